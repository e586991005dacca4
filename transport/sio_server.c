/*
 * sio_server.c - the Socket.IO server machine: namespaces and sockets over
 * many Engine.IO sessions, driven by Engine.IO events (sioc/sio_session.h).
 *
 * Layout:
 *   - a table of Engine.IO sessions (sorted by the caller's handle), each
 *     with its Socket.IO decoder, the arena its packets live in, its
 *     connect deadline and the handles of its sockets;
 *   - a table of sockets (handles from 1, never reused, so the table stays
 *     sorted by appending), each with namespace, id, state, ack counter and
 *     pending acks with deadlines;
 *   - queues of actions and events owned by the machine;
 *   - with connection state recovery, a table of kept sockets (sorted by
 *     handle): sockets whose transport dropped, with their id, private id
 *     and the events sent to them since, until their deadline.
 *
 * Lifetimes. Everything an action or event points to must survive until
 * the next input call, even if the socket or session it names is gone by
 * then. So outgoing bytes are reference-counted blobs (a broadcast queues
 * one blob for many sockets), a socket's namespace and id are a
 * reference-counted label that events keep alive, and an event whose tree
 * lives in a session's arena counts as a reference on that session: the
 * arena is reset (and a closed session freed) only at the start of an input
 * call, once every such event has been drained and no binary packet is
 * waiting for attachments.
 */
#include <string.h>

#include "eio_session_internal.h"
#include "sioc/eio.h"
#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"

/* ------------------------------------------------------------------------ */
/* Data                                                                     */
/* ------------------------------------------------------------------------ */

/* The bytes of one outgoing Engine.IO message, shared by the actions that send it. */
typedef struct blob {
    size_t refs;
    size_t len;
    uint8_t data[];
} blob;

/* A socket's namespace and id, shared with the events that name it. */
typedef struct label {
    size_t refs;
    char sid[24];      /* 20 characters once accepted, "" before */
    size_t nsp_len;
    char nsp[];        /* NUL-terminated */
} label;

typedef struct qaction {
    sio_action a;
    blob *b;
} qaction;

struct sess;

typedef struct qevent {
    sio_event e;
    label *l;           /* may be NULL */
    struct sess *owner; /* the session whose arena holds e.data, or NULL */
} qevent;

typedef enum sess_state {
    SESS_OPEN = 0,
    SESS_CLOSING = 1, /* we asked for SIO_ACTION_EIO_CLOSE; waiting for eio_close */
} sess_state;

typedef struct sess {
    uint32_t handle;
    sio_version version;
    sess_state state;
    eio_time connect_deadline; /* EIO_TIME_NEVER once a CONNECT arrived (or v4) */
    sio_decoder dec;
    eio_arena arena;           /* incoming messages and their trees */
    size_t refs;               /* queued events pointing into the arena */
    uint32_t *sockets;         /* handles, in creation order */
    size_t nsockets;
    size_t cap_sockets;
    struct sess *next_dead;    /* removed from the table, freed when refs == 0 */
} sess;

typedef enum sock_state {
    SOCK_DEFERRED = 0,  /* v4: a custom namespace waiting for "/" (the app has not heard of it) */
    SOCK_PENDING = 1,   /* CONNECT_REQUEST sent; waiting for accept/refuse */
    SOCK_CONNECTED = 2,
} sock_state;

typedef struct pending_ack {
    uint64_t id;
    eio_time deadline; /* EIO_TIME_NEVER: no timeout */
} pending_ack;

typedef struct sock {
    uint32_t handle;
    sess *sess;
    sock_state state;
    label *l;
    char pid[24];       /* recovery: the private id sent in CONNECT, "" when none */
    char *query;        /* v4: the namespace's ?query, turned into auth when asked */
    size_t query_len;
    uint64_t next_ack;
    pending_ack *acks;  /* in id order */
    size_t nacks;
    size_t cap_acks;
} sock;

/* One event sent to a kept socket: its offset and its encoded parts (shared blobs). */
typedef struct record {
    uint64_t offset;
    blob **parts;
    size_t n;
} record;

/* A socket whose transport dropped, waiting for its client to come back. */
typedef struct kept {
    uint32_t handle;
    label *l;           /* namespace and sid, moved from the socket */
    char pid[24];
    eio_time deadline;  /* gone at this instant */
    uint64_t next_ack;
    record *recs;       /* in offset order */
    size_t nrecs;
    size_t cap_recs;
} kept;

struct sio_server {
    sio_server_options opt;
    eio_mem mem;
    eio_time last_now;
    sess **sessions; /* sorted by handle */
    size_t nsessions;
    size_t cap_sessions;
    sess *dead;
    sock **sockets;  /* sorted by handle */
    size_t nsockets;
    size_t cap_sockets;
    uint32_t next_socket;
    qaction *actions;
    size_t nactions;
    size_t action_head;
    size_t cap_actions;
    qevent *events;
    size_t nevents;
    size_t event_head;
    size_t cap_events;
    eio_arena scratch; /* trees built for outgoing packets, reset after each */
    kept **kept;       /* sorted by handle */
    size_t nkept;
    size_t cap_kept;
    uint64_t next_offset; /* recovery: the next event offset, from 1 */
};

/* One packet encoded for one (version, namespace): parts[0] is the text (or msgpack)
   message, the rest its binary attachments. */
typedef struct encoded {
    blob **parts;
    size_t n;
    bool first_binary;
} encoded;

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */
/* ------------------------------------------------------------------------ */

static void *xalloc(sio_server *s, size_t n)
{
    return eio_sess_alloc(&s->mem, n);
}

static void xfree(sio_server *s, void *p)
{
    if (p != NULL) {
        eio_sess_free(&s->mem, p);
    }
}

/* Makes room for `need` elements of `size` bytes in *arr (capacity *cap). */
static int grow(sio_server *s, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return 0;
    }
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size) {
            return EIO_ERR_NOMEM;
        }
        ncap *= 2;
    }
    /* Allocate-and-copy rather than realloc: eio_mem's realloc hook is optional in spirit
       and this keeps the failure path trivially leak-free. */
    void *n = xalloc(s, ncap * size);
    if (n == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (*arr != NULL) {
        memcpy(n, *arr, *cap * size);
        xfree(s, *arr);
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

static blob *blob_new(sio_server *s, size_t len)
{
    if (len > SIZE_MAX - sizeof(blob)) {
        return NULL;
    }
    blob *b = xalloc(s, sizeof(blob) + len);
    if (b != NULL) {
        b->refs = 1;
        b->len = len;
    }
    return b;
}

static void blob_unref(sio_server *s, blob *b)
{
    if (b != NULL && --b->refs == 0) {
        xfree(s, b);
    }
}

static label *label_new(sio_server *s, const uint8_t *nsp, size_t len)
{
    if (len > SIZE_MAX - sizeof(label) - 1) {
        return NULL;
    }
    label *l = xalloc(s, sizeof(label) + len + 1);
    if (l == NULL) {
        return NULL;
    }
    l->refs = 1;
    l->sid[0] = '\0';
    l->nsp_len = len;
    if (len) {
        memcpy(l->nsp, nsp, len);
    }
    l->nsp[len] = '\0';
    return l;
}

static void label_unref(sio_server *s, label *l)
{
    if (l != NULL && --l->refs == 0) {
        xfree(s, l);
    }
}

static void encoded_free(sio_server *s, encoded *enc)
{
    for (size_t i = 0; i < enc->n; i++) {
        blob_unref(s, enc->parts[i]);
    }
    xfree(s, enc->parts);
    enc->parts = NULL;
    enc->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

/* Transitions reserve queue room first, so that once they start changing
   state, queueing can no longer fail halfway. */
static int reserve_actions(sio_server *s, size_t n)
{
    return grow(s, (void **)&s->actions, &s->cap_actions, s->nactions + n, sizeof(qaction));
}

static int reserve_events(sio_server *s, size_t n)
{
    return grow(s, (void **)&s->events, &s->cap_events, s->nevents + n, sizeof(qevent));
}

/* Queues one action; room must have been reserved. */
static void push_action(sio_server *s, sio_action_type type, uint32_t session, blob *b,
                        bool binary)
{
    qaction *q = &s->actions[s->nactions++];
    memset(q, 0, sizeof(*q));
    q->a.type = type;
    q->a.session = session;
    q->a.binary = binary;
    if (b != NULL) {
        b->refs++;
        q->b = b;
        q->a.data = b->data;
        q->a.len = b->len;
    }
}

/* Queues every part of an encoded packet for `session`; room must have been reserved. */
static void push_encoded(sio_server *s, uint32_t session, const encoded *enc)
{
    for (size_t i = 0; i < enc->n; i++) {
        push_action(s, SIO_ACTION_EIO_SEND, session, enc->parts[i], i > 0 || enc->first_binary);
    }
}

/* Queues an event about socket `k` (may be NULL); room must have been reserved.
   `data` lives in the arena of `owner` when owner is not NULL. */
static sio_event *push_event(sio_server *s, sio_event_type type, const sock *k, sess *owner,
                             const eio_json *data)
{
    qevent *q = &s->events[s->nevents++];
    memset(q, 0, sizeof(*q));
    q->e.type = type;
    q->e.data = data;
    if (k != NULL) {
        q->e.socket = k->handle;
        q->e.session = k->sess->handle;
        q->e.nsp.ptr = (const uint8_t *)k->l->nsp;
        q->e.nsp.len = k->l->nsp_len;
        q->l = k->l;
        k->l->refs++;
    }
    if (owner != NULL && data != NULL) {
        q->owner = owner;
        owner->refs++;
    }
    return &q->e;
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * NAME(s, h): index of the first entry of s->TABLE (COUNT entries, sorted by
 * handle) whose handle is >= h. Sessions, sockets and kept sockets are three
 * tables of different types searched the same way.
 */
#define DEFINE_HANDLE_INDEX(NAME, TABLE, COUNT)                                \
    static size_t NAME(const sio_server *s, uint32_t h)                        \
    {                                                                          \
        size_t lo = 0, hi = s->COUNT;                                          \
        while (lo < hi) {                                                      \
            size_t mid = lo + (hi - lo) / 2;                                   \
            if (s->TABLE[mid]->handle < h) {                                   \
                lo = mid + 1;                                                  \
            } else {                                                           \
                hi = mid;                                                      \
            }                                                                  \
        }                                                                      \
        return lo;                                                             \
    }

DEFINE_HANDLE_INDEX(session_index, sessions, nsessions)
DEFINE_HANDLE_INDEX(socket_index, sockets, nsockets)
DEFINE_HANDLE_INDEX(kept_index, kept, nkept)

static sess *find_session(const sio_server *s, uint32_t h)
{
    size_t i = session_index(s, h);
    return i < s->nsessions && s->sessions[i]->handle == h ? s->sessions[i] : NULL;
}

static sock *find_socket(const sio_server *s, uint32_t h)
{
    size_t i = socket_index(s, h);
    return i < s->nsockets && s->sockets[i]->handle == h ? s->sockets[i] : NULL;
}

/* The socket of `se` for namespace `nsp` (any state), or NULL. */
static sock *session_socket(const sio_server *s, const sess *se, const uint8_t *nsp, size_t len)
{
    for (size_t i = 0; i < se->nsockets; i++) {
        sock *k = find_socket(s, se->sockets[i]);
        if (k != NULL && k->l->nsp_len == len && (len == 0 || memcmp(k->l->nsp, nsp, len) == 0)) {
            return k;
        }
    }
    return NULL;
}

static bool is_root(const uint8_t *nsp, size_t len)
{
    return len == 1 && nsp[0] == '/';
}

static void sess_free(sio_server *s, sess *se)
{
    eio_arena_destroy(&se->arena);
    xfree(s, se->sockets);
    xfree(s, se);
}

/* Takes a session out of the table; it is freed once no queued event points into its arena. */
static void session_remove(sio_server *s, sess *se)
{
    size_t i = session_index(s, se->handle);
    if (i < s->nsessions && s->sessions[i] == se) {
        memmove(&s->sessions[i], &s->sessions[i + 1], (s->nsessions - i - 1) * sizeof(sess *));
        s->nsessions--;
    }
    se->next_dead = s->dead;
    s->dead = se;
}

/* Creates a socket for `nsp` on `se` in `state`. */
static sock *socket_new(sio_server *s, sess *se, const uint8_t *nsp, size_t nsp_len,
                        const uint8_t *query, size_t query_len, sock_state state)
{
    if (s->next_socket == 0) { /* wrapped: handles are never reused */
        return NULL;
    }
    if (grow(s, (void **)&s->sockets, &s->cap_sockets, s->nsockets + 1, sizeof(sock *)) < 0 ||
        grow(s, (void **)&se->sockets, &se->cap_sockets, se->nsockets + 1, sizeof(uint32_t)) < 0) {
        return NULL;
    }
    sock *k = xalloc(s, sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    memset(k, 0, sizeof(*k));
    k->l = label_new(s, nsp, nsp_len);
    if (k->l == NULL) {
        xfree(s, k);
        return NULL;
    }
    if (query_len > 0) {
        k->query = xalloc(s, query_len);
        if (k->query == NULL) {
            label_unref(s, k->l);
            xfree(s, k);
            return NULL;
        }
        memcpy(k->query, query, query_len);
        k->query_len = query_len;
    }
    k->handle = s->next_socket++;
    k->sess = se;
    k->state = state;
    s->sockets[s->nsockets++] = k; /* handles only grow: the table stays sorted */
    se->sockets[se->nsockets++] = k->handle;
    return k;
}

static void socket_remove(sio_server *s, sock *k)
{
    size_t i = socket_index(s, k->handle);
    if (i < s->nsockets && s->sockets[i] == k) {
        memmove(&s->sockets[i], &s->sockets[i + 1], (s->nsockets - i - 1) * sizeof(sock *));
        s->nsockets--;
    }
    sess *se = k->sess;
    for (size_t j = 0; j < se->nsockets; j++) {
        if (se->sockets[j] == k->handle) {
            memmove(&se->sockets[j], &se->sockets[j + 1],
                    (se->nsockets - j - 1) * sizeof(uint32_t));
            se->nsockets--;
            break;
        }
    }
    label_unref(s, k->l);
    xfree(s, k->query);
    xfree(s, k->acks);
    xfree(s, k);
}

/* ------------------------------------------------------------------------ */
/* Kept sockets (connection state recovery)                                 */
/* ------------------------------------------------------------------------ */

static kept *find_kept(const sio_server *s, uint32_t h)
{
    size_t i = kept_index(s, h);
    return i < s->nkept && s->kept[i]->handle == h ? s->kept[i] : NULL;
}

static void record_free(sio_server *s, record *r)
{
    for (size_t i = 0; i < r->n; i++) {
        blob_unref(s, r->parts[i]);
    }
    xfree(s, r->parts);
}

static void kept_free(sio_server *s, kept *kp)
{
    for (size_t i = 0; i < kp->nrecs; i++) {
        record_free(s, &kp->recs[i]);
    }
    xfree(s, kp->recs);
    label_unref(s, kp->l);
    xfree(s, kp);
}

static void kept_remove(sio_server *s, kept *kp)
{
    size_t i = kept_index(s, kp->handle);
    if (i < s->nkept && s->kept[i] == kp) {
        memmove(&s->kept[i], &s->kept[i + 1], (s->nkept - i - 1) * sizeof(kept *));
        s->nkept--;
    }
    kept_free(s, kp);
}

/* The kept socket of namespace `nsp` with private id `pid`, or NULL. A linear scan:
   it only runs for CONNECT packets that carry a private id. */
static kept *find_kept_pid(const sio_server *s, const uint8_t *nsp, size_t nsp_len,
                           const char *pid, size_t pid_len)
{
    for (size_t i = 0; i < s->nkept; i++) {
        kept *kp = s->kept[i];
        if (kp->l->nsp_len == nsp_len && memcmp(kp->l->nsp, nsp, nsp_len) == 0 &&
            strlen(kp->pid) == pid_len && memcmp(kp->pid, pid, pid_len) == 0) {
            return kp;
        }
    }
    return NULL;
}

/* Keeps connected socket `k` (about to be removed) for its client's return. */
static int keep_socket(sio_server *s, const sock *k)
{
    if (k->handle == 0 || find_kept(s, k->handle) != NULL) {
        return 0; /* cannot happen: a handle is live or kept, never both */
    }
    int rc = grow(s, (void **)&s->kept, &s->cap_kept, s->nkept + 1, sizeof(kept *));
    if (rc < 0) {
        return rc;
    }
    kept *kp = xalloc(s, sizeof(*kp));
    if (kp == NULL) {
        return EIO_ERR_NOMEM;
    }
    memset(kp, 0, sizeof(*kp));
    kp->handle = k->handle;
    kp->l = k->l;
    k->l->refs++;
    memcpy(kp->pid, k->pid, sizeof(kp->pid));
    kp->next_ack = k->next_ack;
    kp->deadline = eio_sess_deadline(s->last_now, s->opt.max_disconnection_duration);
    size_t i = kept_index(s, k->handle);
    memmove(&s->kept[i + 1], &s->kept[i], (s->nkept - i) * sizeof(kept *));
    s->kept[i] = kp;
    s->nkept++;
    return 0;
}

/* Offsets are the decimal value of a per-server counter: unique per server and ordered. */
static void format_offset(uint64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
}

/* An offset this server issued (canonical decimal, below next_offset). */
static bool parse_offset(const sio_server *s, const eio_json *v, uint64_t *out)
{
    if (v == NULL || v->type != EIO_JSON_STRING || v->u.str.len == 0 || v->u.str.len > 20 ||
        (v->u.str.len > 1 && v->u.str.ptr[0] == '0')) {
        return false;
    }
    uint64_t n = 0;
    for (size_t i = 0; i < v->u.str.len; i++) {
        char c = v->u.str.ptr[i];
        if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
            return false;
        }
        n = n * 10 + (uint64_t)(c - '0');
    }
    if (n >= s->next_offset) {
        return false;
    }
    *out = n;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Call boundaries                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Every input call starts here: what was drained since the previous call
 * may now be released (the header promises pointers until this moment),
 * and arenas nobody points into any more are reset.
 */
static eio_time begin(sio_server *s, eio_time now)
{
    if (s->action_head > 0) {
        for (size_t i = 0; i < s->action_head; i++) {
            blob_unref(s, s->actions[i].b);
        }
        memmove(s->actions, s->actions + s->action_head,
                (s->nactions - s->action_head) * sizeof(qaction));
        s->nactions -= s->action_head;
        s->action_head = 0;
    }
    if (s->event_head > 0) {
        for (size_t i = 0; i < s->event_head; i++) {
            label_unref(s, s->events[i].l);
        }
        memmove(s->events, s->events + s->event_head,
                (s->nevents - s->event_head) * sizeof(qevent));
        s->nevents -= s->event_head;
        s->event_head = 0;
    }

    for (size_t i = 0; i < s->nsessions; i++) {
        sess *se = s->sessions[i];
        if (se->refs == 0 && !sio_decoder_pending(&se->dec)) {
            eio_arena_reset(&se->arena);
        }
    }
    for (sess **p = &s->dead; *p != NULL;) {
        sess *se = *p;
        if (se->refs == 0) {
            *p = se->next_dead;
            sess_free(s, se);
        } else {
            p = &se->next_dead;
        }
    }
    eio_arena_reset(&s->scratch);
    return eio_sess_now(&s->last_now, now);
}

/*
 * The start of the calls that take application data to send (emit,
 * broadcast, ack, refuse): only the clock. Nothing handed out earlier is
 * released, so the data may point into this machine's own events (an echo,
 * an ack with the event's arguments); the next other call releases it.
 */
static eio_time begin_output(sio_server *s, eio_time now)
{
    return eio_sess_now(&s->last_now, now);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                 */
/* ------------------------------------------------------------------------ */

/* Encodes `p` for sessions of version `v` into blobs (text, then attachments). */
static int encode_packet(sio_server *s, sio_version v, const sio_packet *p, encoded *enc)
{
    memset(enc, 0, sizeof(*enc));
    size_t len = 0;
    int rc;
    bool msgpack = s->opt.parser == SIO_PARSER_MSGPACK;
    if (msgpack) {
        rc = sio_msgpack_encode(p, NULL, 0, &len);
    } else {
        rc = sio_packet_encode(v, p, NULL, 0, &len);
    }
    if (rc < 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        return rc;
    }
    size_t natt = msgpack ? 0 : sio_packet_attachments(p, NULL, 0);
    if (natt > SIZE_MAX / sizeof(blob *) - 1) {
        return EIO_ERR_NOMEM;
    }
    enc->parts = xalloc(s, (natt + 1) * sizeof(blob *));
    if (enc->parts == NULL) {
        return EIO_ERR_NOMEM;
    }
    enc->first_binary = msgpack;
    blob *text = blob_new(s, len);
    if (text == NULL) {
        encoded_free(s, enc);
        return EIO_ERR_NOMEM;
    }
    enc->parts[enc->n++] = text;
    rc = msgpack ? sio_msgpack_encode(p, text->data, len, &len)
                 : sio_packet_encode(v, p, text->data, len, &len);
    if (rc < 0) {
        encoded_free(s, enc);
        return rc;
    }
    if (natt > 0) {
        const eio_json **list = xalloc(s, natt * sizeof(*list));
        if (list == NULL) {
            encoded_free(s, enc);
            return EIO_ERR_NOMEM;
        }
        sio_packet_attachments(p, list, natt);
        /* Copied: the caller may reuse its tree as soon as the call returns. */
        for (size_t i = 0; i < natt; i++) {
            blob *b = blob_new(s, list[i]->u.str.len);
            if (b == NULL) {
                xfree(s, list);
                encoded_free(s, enc);
                return EIO_ERR_NOMEM;
            }
            if (b->len) {
                memcpy(b->data, list[i]->u.str.ptr, b->len);
            }
            enc->parts[enc->n++] = b;
        }
        xfree(s, list);
    }
    return 0;
}

/* A packet header for namespace label `l`, nothing else. */
static sio_packet packet_for_label(const label *l, sio_packet_type type)
{
    sio_packet p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.nsp.ptr = (const uint8_t *)l->nsp;
    p.nsp.len = l->nsp_len;
    return p;
}

/* A packet header for socket `k`: its namespace, nothing else. */
static sio_packet packet_for(const sock *k, sio_packet_type type)
{
    return packet_for_label(k->l, type);
}

/*
 * `args` with the offset string appended, built in the scratch arena: the
 * top-level elements are shallow copies (their subtrees are shared) because
 * an array links its elements through their own `next` fields and the
 * caller's tree is const.
 */
static eio_json *with_offset(sio_server *s, const eio_json *args, const char *offset)
{
    eio_json *arr = eio_json_new_array(&s->scratch);
    eio_json *off = eio_json_new_string(&s->scratch, offset, strlen(offset));
    if (arr == NULL || off == NULL) {
        return NULL;
    }
    for (const eio_json *v = args->u.c.first; v != NULL; v = v->next) {
        eio_json *copy = eio_arena_alloc(&s->scratch, sizeof(*copy));
        if (copy == NULL) {
            return NULL;
        }
        *copy = *v;
        copy->next = NULL;
        copy->key = NULL;
        copy->key_len = 0;
        if (eio_json_append(arr, copy) < 0) {
            return NULL;
        }
    }
    return eio_json_append(arr, off) < 0 ? NULL : arr;
}

/*
 * Records an event for kept socket `kp`. Past max_missed_packets the
 * client could no longer be given everything it missed, so the kept socket
 * is dropped (its client will get a new session), as is one whose deadline
 * passed. Returns 0 or EIO_ERR_NOMEM (nothing recorded).
 */
static int record_event(sio_server *s, kept *kp, uint64_t offset, const encoded *enc)
{
    if (kp->deadline <= s->last_now || kp->nrecs >= s->opt.max_missed_packets) {
        kept_remove(s, kp);
        return 0;
    }
    int rc = grow(s, (void **)&kp->recs, &kp->cap_recs, kp->nrecs + 1, sizeof(record));
    if (rc < 0) {
        return rc;
    }
    record *r = &kp->recs[kp->nrecs];
    r->parts = xalloc(s, enc->n * sizeof(blob *));
    if (r->parts == NULL) {
        return EIO_ERR_NOMEM;
    }
    for (size_t i = 0; i < enc->n; i++) {
        r->parts[i] = enc->parts[i];
        enc->parts[i]->refs++;
    }
    r->n = enc->n;
    r->offset = offset;
    kp->nrecs++;
    return 0;
}

/* Encodes and queues `p` to session `se`. Nothing is queued on failure. */
static int send_packet(sio_server *s, sess *se, const sio_packet *p)
{
    encoded enc;
    int rc = encode_packet(s, se->version, p, &enc);
    if (rc < 0) {
        return rc;
    }
    rc = reserve_actions(s, enc.n);
    if (rc == 0) {
        push_encoded(s, se->handle, &enc);
    }
    encoded_free(s, &enc);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Transitions                                                              */
/* ------------------------------------------------------------------------ */

/*
 * A socket goes away with `reason`: every ack it still waits for is
 * answered with ACK_TIMEOUT first (so each ack id ends exactly once and
 * nothing mentions the socket after its DISCONNECT), then DISCONNECT if the
 * application has heard of it. Never fails to remove the socket; returns
 * EIO_ERR_NOMEM if the events could not be queued.
 */
static int socket_gone(sio_server *s, sock *k, sio_disconnect_reason reason)
{
    int rc = reserve_events(s, k->nacks + 1);
    if (rc == 0) {
        for (size_t i = 0; i < k->nacks; i++) {
            sio_event *e = push_event(s, SIO_EVENT_ACK_TIMEOUT, k, NULL, NULL);
            e->has_id = true;
            e->id = k->acks[i].id;
            e->reason = reason;
        }
        if (k->state != SOCK_DEFERRED) {
            push_event(s, SIO_EVENT_DISCONNECT, k, NULL, NULL)->reason = reason;
        }
    }
    /* Recovery: only a connection lost without anyone meaning to close it is worth
       waiting for (the reference also keeps sockets on "forced close" and "server
       shutting down"; here those come from the server's own decisions). */
    if (k->state == SOCK_CONNECTED && k->pid[0] != '\0' &&
        (reason == SIO_DISCONNECT_TRANSPORT_CLOSE || reason == SIO_DISCONNECT_TRANSPORT_ERROR ||
         reason == SIO_DISCONNECT_PING_TIMEOUT)) {
        int r = keep_socket(s, k);
        if (r < 0) {
            rc = r;
        }
    }
    socket_remove(s, k);
    return rc;
}

/*
 * Ends every socket of a session. With `send_close` the machine itself
 * closes the Engine.IO session (parse error, protocol violation, connect
 * timeout, disconnect with close_session) and keeps the entry until
 * sio_server_eio_close reports it, so that messages still in flight are
 * dropped quietly; otherwise the Engine.IO session is already gone.
 */
static int close_session(sio_server *s, sess *se, sio_disconnect_reason reason, bool send_close)
{
    int rc = 0;
    while (se->nsockets > 0) {
        sock *k = find_socket(s, se->sockets[0]);
        if (k == NULL) { /* cannot happen: the lists are kept in step */
            se->nsockets--;
            memmove(se->sockets, se->sockets + 1, se->nsockets * sizeof(uint32_t));
            continue;
        }
        int r = socket_gone(s, k, reason);
        if (r < 0) {
            rc = r;
        }
    }
    sio_decoder_reset(&se->dec);
    se->connect_deadline = EIO_TIME_NEVER;
    if (!send_close) {
        session_remove(s, se);
        return rc;
    }
    if (se->state == SESS_OPEN) {
        se->state = SESS_CLOSING;
        int r = reserve_actions(s, 1);
        if (r == 0) {
            push_action(s, SIO_ACTION_EIO_CLOSE, se->handle, NULL, false);
        } else {
            rc = r;
        }
    }
    return rc;
}

/*
 * A packet that is valid but not allowed in the session's state (a first
 * packet other than CONNECT, a second CONNECT for a namespace, a packet for
 * a namespace without a connected socket, a CONNECT_ERROR from a client).
 * Socket.IO 3+ servers close the connection ("invalid state"); socket.io 2
 * (protocol v4) ignores such packets.
 */
static int invalid_state(sio_server *s, sess *se)
{
    if (se->version == SIO_V4) {
        return 0;
    }
    return close_session(s, se, SIO_DISCONNECT_FORCED_CLOSE, true);
}

static int make_sid(sio_server *s, char out[24])
{
    return eio_sess_random_id(s->opt.random, s->opt.random_user_data, out);
}

static int request_or_accept(sio_server *s, sock *k, const eio_json *auth);

/* The CONNECT answer: `0{"sid":...}` (v5) or `0` (v4), then SIO_EVENT_CONNECT. */
static int accept_socket(sio_server *s, sock *k)
{
    sess *se = k->sess;
    char sid[24], pid[24];
    pid[0] = '\0';
    int rc = make_sid(s, sid);
    bool recovery = s->opt.recovery && se->version == SIO_V5;
    if (rc == 0 && recovery) {
        rc = make_sid(s, pid); /* the reference draws the private id like the sid */
    }
    if (rc < 0) {
        return rc;
    }
    sio_packet p = packet_for(k, SIO_PACKET_CONNECT);
    if (se->version == SIO_V5) {
        eio_json *obj = eio_json_new_object(&s->scratch);
        eio_json *str = eio_json_new_string(&s->scratch, sid, strlen(sid));
        if (obj == NULL || str == NULL || eio_json_put(&s->scratch, obj, "sid", 3, str) < 0) {
            eio_arena_reset(&s->scratch);
            return EIO_ERR_NOMEM;
        }
        /* The reference answers {sid, pid}, pid undefined without connection state
           recovery: JSON drops it, msgpack writes it (d4 00 00). */
        if (recovery || s->opt.parser == SIO_PARSER_MSGPACK) {
            eio_json *jp = recovery ? eio_json_new_string(&s->scratch, pid, strlen(pid))
                                    : eio_json_new_undefined(&s->scratch);
            if (jp == NULL || eio_json_put(&s->scratch, obj, "pid", 3, jp) < 0) {
                eio_arena_reset(&s->scratch);
                return EIO_ERR_NOMEM;
            }
        }
        p.data = obj;
    }
    rc = reserve_events(s, 1);
    if (rc == 0) {
        rc = send_packet(s, se, &p);
    }
    eio_arena_reset(&s->scratch);
    if (rc < 0) {
        return rc;
    }
    memcpy(k->l->sid, sid, sizeof(sid));
    memcpy(k->pid, pid, sizeof(pid));
    k->state = SOCK_CONNECTED;
    sio_event *e = push_event(s, SIO_EVENT_CONNECT, k, NULL, NULL);
    e->sid = k->l->sid;

    /* socket.io 2 holds custom namespaces back until "/" is connected. */
    if (se->version == SIO_V4 && is_root((const uint8_t *)k->l->nsp, k->l->nsp_len)) {
        for (size_t i = 0; i < se->nsockets; i++) {
            sock *d = find_socket(s, se->sockets[i]);
            if (d != NULL && d->state == SOCK_DEFERRED) {
                d->state = SOCK_PENDING;
                int r = request_or_accept(s, d, NULL);
                if (r < 0) {
                    rc = r;
                }
            }
        }
    }
    return rc;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* application/x-www-form-urlencoded decoding of in[0..len) into out (same size or less). */
static size_t form_decode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[o++] = ' ';
        } else if (in[i] == '%' && i + 2 < len && hexval(in[i + 1]) >= 0 &&
                   hexval(in[i + 2]) >= 0) {
            out[o++] = (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
            i += 2;
        } else {
            out[o++] = (char)in[i];
        }
    }
    return o;
}

/* A form-decoded string node; falls back to the raw text when the decoded bytes are not UTF-8. */
static eio_json *form_string(eio_arena *a, const uint8_t *in, size_t len)
{
    char *buf = eio_arena_alloc(a, len ? len : 1);
    if (buf == NULL) {
        return NULL;
    }
    size_t n = form_decode(in, len, buf);
    eio_json *v = eio_json_new_string(a, buf, n);
    return v != NULL ? v : eio_json_new_string(a, (const char *)in, len);
}

/*
 * v4 has no CONNECT payload: clients pass parameters as the namespace's
 * query (`0/admin?token=1,`). The auth the application sees is that query
 * as an object of strings, as socket.io 3+ builds it for protocol v4
 * clients (last duplicate wins when looked up, pairs without '=' map to "").
 */
static int query_auth(eio_arena *a, const uint8_t *q, size_t len, eio_json **out)
{
    *out = NULL;
    if (len == 0) {
        return 0;
    }
    eio_json *obj = eio_json_new_object(a);
    if (obj == NULL) {
        return EIO_ERR_NOMEM;
    }
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && q[end] != '&') {
            end++;
        }
        if (end > i) {
            size_t eq = i;
            while (eq < end && q[eq] != '=') {
                eq++;
            }
            eio_json *key = form_string(a, q + i, eq - i);
            eio_json *val = eq < end ? form_string(a, q + eq + 1, end - eq - 1)
                                     : eio_json_new_string(a, "", 0);
            if (key == NULL || val == NULL ||
                eio_json_put(a, obj, key->u.str.ptr, key->u.str.len, val) < 0) {
                return EIO_ERR_NOMEM;
            }
        }
        i = end + 1;
    }
    *out = obj;
    return 0;
}

/* Announces a socket to the application (CONNECT_REQUEST), or accepts it at once. */
static int request_or_accept(sio_server *s, sock *k, const eio_json *auth)
{
    if (s->opt.auto_accept) {
        return accept_socket(s, k);
    }
    int rc = reserve_events(s, 1);
    if (rc < 0) {
        return rc;
    }
    if (auth == NULL && k->query_len > 0) {
        eio_json *q;
        rc = query_auth(&k->sess->arena, (const uint8_t *)k->query, k->query_len, &q);
        if (rc < 0) {
            return rc;
        }
        auth = q;
    }
    push_event(s, SIO_EVENT_CONNECT_REQUEST, k, k->sess, auth);
    return 0;
}

/* Sends CONNECT_ERROR for `nsp`: v5 {"message":m[,"data":d]}, v4 "m". */
static int send_connect_error(sio_server *s, sess *se, const sock *k, const uint8_t *nsp,
                              size_t nsp_len, const char *message, const eio_json *data)
{
    sio_packet p;
    memset(&p, 0, sizeof(p));
    p.type = SIO_PACKET_CONNECT_ERROR;
    if (k != NULL) {
        p = packet_for(k, SIO_PACKET_CONNECT_ERROR);
    } else {
        p.nsp.ptr = nsp;
        p.nsp.len = nsp_len;
    }
    int rc = EIO_ERR_INVALID_ARGUMENT;
    eio_json *msg = eio_json_new_string(&s->scratch, message, strlen(message));
    if (msg == NULL) {
        goto out; /* not UTF-8 (or out of memory) */
    }
    if (se->version == SIO_V4) {
        p.data = msg;
    } else {
        eio_json *obj = eio_json_new_object(&s->scratch);
        rc = EIO_ERR_NOMEM;
        if (obj == NULL || eio_json_put(&s->scratch, obj, "message", 7, msg) < 0) {
            goto out;
        }
        if (data != NULL) {
            /* eio_json_put links the member through its own key/next fields: put a
               shallow copy so the caller's (const) root stays untouched. */
            eio_json *copy = eio_arena_alloc(&s->scratch, sizeof(*copy));
            if (copy == NULL) {
                goto out;
            }
            *copy = *data;
            copy->next = NULL;
            if (eio_json_put(&s->scratch, obj, "data", 4, copy) < 0) {
                goto out;
            }
        } else if (s->opt.parser == SIO_PARSER_MSGPACK && k != NULL) {
            /* The reference's refusal is {message, data: undefined}; msgpack keeps the
               member (d4 00 00), JSON drops it. */
            eio_json *undef = eio_json_new_undefined(&s->scratch);
            if (undef == NULL || eio_json_put(&s->scratch, obj, "data", 4, undef) < 0) {
                goto out;
            }
        }
        p.data = obj;
    }
    rc = send_packet(s, se, &p);
out:
    eio_arena_reset(&s->scratch);
    return rc;
}

/*
 * Brings kept socket `kp` back on session `se`: the same handle, sid and
 * private id, CONNECT {"sid","pid"} sent, RECOVERED then CONNECT events,
 * then the recorded events after `offset` sent again in order. No
 * CONNECT_REQUEST: the application accepted this socket already (the
 * reference's skipMiddlewares default). Everything that can fail is done
 * before the first change, so a failure leaves the kept socket as it was.
 */
static int restore(sio_server *s, sess *se, kept *kp, uint64_t offset)
{
    size_t parts = 0, first = kp->nrecs;
    for (size_t i = kp->nrecs; i > 0 && kp->recs[i - 1].offset > offset; i--) {
        first = i - 1;
        parts += kp->recs[i - 1].n;
    }
    int rc = grow(s, (void **)&s->sockets, &s->cap_sockets, s->nsockets + 1, sizeof(sock *));
    if (rc == 0) {
        rc = grow(s, (void **)&se->sockets, &se->cap_sockets, se->nsockets + 1,
                  sizeof(uint32_t));
    }
    if (rc == 0) {
        rc = reserve_events(s, 2);
    }
    if (rc < 0) {
        return rc;
    }
    sio_packet p = packet_for_label(kp->l, SIO_PACKET_CONNECT);
    eio_json *obj = eio_json_new_object(&s->scratch);
    eio_json *sid = eio_json_new_string(&s->scratch, kp->l->sid, strlen(kp->l->sid));
    eio_json *pid = eio_json_new_string(&s->scratch, kp->pid, strlen(kp->pid));
    if (obj == NULL || sid == NULL || pid == NULL ||
        eio_json_put(&s->scratch, obj, "sid", 3, sid) < 0 ||
        eio_json_put(&s->scratch, obj, "pid", 3, pid) < 0) {
        eio_arena_reset(&s->scratch);
        return EIO_ERR_NOMEM;
    }
    p.data = obj;
    encoded enc;
    rc = encode_packet(s, se->version, &p, &enc);
    eio_arena_reset(&s->scratch);
    if (rc < 0) {
        return rc;
    }
    rc = reserve_actions(s, enc.n + parts);
    sock *k = rc == 0 ? xalloc(s, sizeof(*k)) : NULL;
    if (k == NULL) {
        encoded_free(s, &enc);
        return EIO_ERR_NOMEM;
    }
    memset(k, 0, sizeof(*k));
    k->handle = kp->handle;
    k->sess = se;
    k->state = SOCK_CONNECTED;
    k->l = kp->l;
    kp->l = NULL;
    memcpy(k->pid, kp->pid, sizeof(k->pid));
    k->next_ack = kp->next_ack;
    size_t i = socket_index(s, k->handle);
    memmove(&s->sockets[i + 1], &s->sockets[i], (s->nsockets - i) * sizeof(sock *));
    s->sockets[i] = k;
    s->nsockets++;
    se->sockets[se->nsockets++] = k->handle;

    push_encoded(s, se->handle, &enc);
    encoded_free(s, &enc);
    push_event(s, SIO_EVENT_RECOVERED, k, NULL, NULL)->sid = k->l->sid;
    push_event(s, SIO_EVENT_CONNECT, k, NULL, NULL)->sid = k->l->sid;
    bool msgpack = s->opt.parser == SIO_PARSER_MSGPACK;
    for (size_t r = first; r < kp->nrecs; r++) {
        for (size_t j = 0; j < kp->recs[r].n; j++) {
            push_action(s, SIO_ACTION_EIO_SEND, se->handle, kp->recs[r].parts[j],
                        j > 0 || msgpack);
        }
    }
    kept_remove(s, kp);
    return 0;
}

/*
 * Recovery: a CONNECT whose auth has a string "pid" and a string "offset"
 * (the reference's test) naming a socket kept in this namespace before its
 * deadline, with an offset this server issued. Returns the kept socket or
 * NULL (a normal connection then follows, auth untouched, as the reference).
 */
static kept *recoverable(sio_server *s, const sess *se, const sio_packet *p)
{
    if (!s->opt.recovery || se->version != SIO_V5 || p->data == NULL ||
        p->data->type != EIO_JSON_OBJECT) {
        return NULL;
    }
    const eio_json *pid = eio_json_get(p->data, "pid", 3);
    const eio_json *off = eio_json_get(p->data, "offset", 6);
    if (pid == NULL || pid->type != EIO_JSON_STRING || off == NULL ||
        off->type != EIO_JSON_STRING) {
        return NULL;
    }
    kept *kp = find_kept_pid(s, p->nsp.ptr, p->nsp.len, pid->u.str.ptr, pid->u.str.len);
    if (kp == NULL) {
        return NULL;
    }
    if (kp->deadline <= s->last_now) {
        kept_remove(s, kp); /* expired, even if handle_expiry has not run yet */
        return NULL;
    }
    return kp;
}

/* A CONNECT for a namespace the session has no socket for. */
static int on_connect(sio_server *s, sess *se, const sio_packet *p)
{
    /* The first CONNECT ends the connect timeout, whatever its outcome. */
    se->connect_deadline = EIO_TIME_NEVER;
    if (se->nsockets >= s->opt.max_sockets) {
        return send_connect_error(s, se, NULL, p->nsp.ptr, p->nsp.len, "too many namespaces",
                                  NULL);
    }
    kept *kp = recoverable(s, se, p);
    uint64_t offset;
    if (kp != NULL && parse_offset(s, eio_json_get(p->data, "offset", 6), &offset)) {
        return restore(s, se, kp, offset);
    }
    bool defer = false;
    if (se->version == SIO_V4 && !is_root(p->nsp.ptr, p->nsp.len)) {
        const sock *root = session_socket(s, se, (const uint8_t *)"/", 1);
        defer = root == NULL || root->state != SOCK_CONNECTED;
    }
    sock *k = socket_new(s, se, p->nsp.ptr, p->nsp.len, p->query.ptr, p->query.len,
                         defer ? SOCK_DEFERRED : SOCK_PENDING);
    if (k == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (defer) {
        return 0;
    }
    /* msgpack clients send `data: undefined` when they have no auth: that is no auth. */
    const eio_json *auth = se->version == SIO_V5 ? p->data : NULL;
    if (auth != NULL && auth->type == EIO_JSON_UNDEFINED) {
        auth = NULL;
    }
    int rc = request_or_accept(s, k, auth);
    if (rc < 0) {
        socket_remove(s, k); /* as if the CONNECT never came */
    }
    return rc;
}

static int on_event(sio_server *s, sess *se, sock *k, const sio_packet *p)
{
    int rc = reserve_events(s, 1);
    if (rc < 0) {
        return rc;
    }
    sio_event *e = push_event(s, SIO_EVENT_EVENT, k, se, p->data);
    e->has_id = p->has_id;
    e->id = p->id;
    return 0;
}

/* An ACK answers one of our pending ids; others are ignored, as the reference does. */
static int on_ack(sio_server *s, sess *se, sock *k, const sio_packet *p)
{
    if (!p->has_id) {
        return 0;
    }
    for (size_t i = 0; i < k->nacks; i++) {
        if (k->acks[i].id == p->id) {
            int rc = reserve_events(s, 1);
            if (rc < 0) {
                return rc;
            }
            memmove(&k->acks[i], &k->acks[i + 1], (k->nacks - i - 1) * sizeof(pending_ack));
            k->nacks--;
            sio_event *e = push_event(s, SIO_EVENT_ACK, k, se, p->data);
            e->has_id = true;
            e->id = p->id;
            return 0;
        }
    }
    return 0;
}

/* One decoded packet from the client. */
static int on_packet(sio_server *s, sess *se, const sio_packet *p)
{
    sock *k = session_socket(s, se, p->nsp.ptr, p->nsp.len);
    if (p->type == SIO_PACKET_CONNECT) {
        return k == NULL ? on_connect(s, se, p) : invalid_state(s, se);
    }
    if (k == NULL || k->state != SOCK_CONNECTED || p->type == SIO_PACKET_CONNECT_ERROR) {
        return invalid_state(s, se);
    }
    switch (p->type) {
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT:
        return on_event(s, se, k, p);
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK:
        return on_ack(s, se, k, p);
    case SIO_PACKET_DISCONNECT:
        return socket_gone(s, k, SIO_DISCONNECT_CLIENT_NAMESPACE);
    case SIO_PACKET_CONNECT:
    case SIO_PACKET_CONNECT_ERROR:
    default:
        return invalid_state(s, se);
    }
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

void sio_server_options_default(sio_server_options *o)
{
    if (o == NULL) {
        return;
    }
    memset(o, 0, sizeof(*o));
    o->parser = SIO_PARSER_JSON;
    o->connect_timeout = 45000;
    o->auto_accept = false;
    o->max_sockets = 100;
    o->max_pending_acks = 10000;
    o->ack_timeout = 0;
    o->recovery = false;
    o->max_disconnection_duration = 120000;
    o->max_missed_packets = 1000;
    sio_limits_default(&o->limits);
}

int sio_server_new(sio_server **out, const sio_server_options *opt, const eio_mem *mem)
{
    if (out == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (opt == NULL || opt->random == NULL ||
        (opt->parser != SIO_PARSER_JSON && opt->parser != SIO_PARSER_MSGPACK)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (opt->parser == SIO_PARSER_MSGPACK && !sio_msgpack_available()) {
        return EIO_ERR_UNSUPPORTED;
    }
    eio_mem m;
    eio_sess_mem_init(&m, mem);
    sio_server *s = eio_sess_alloc(&m, sizeof(*s));
    if (s == NULL) {
        return EIO_ERR_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->mem = m;
    s->opt = *opt;
    if (s->opt.max_sockets == 0) {
        s->opt.max_sockets = 100;
    }
    if (s->opt.max_pending_acks == 0) {
        s->opt.max_pending_acks = 10000;
    }
    if (s->opt.max_disconnection_duration == 0) {
        s->opt.max_disconnection_duration = 120000;
    }
    if (s->opt.max_missed_packets == 0) {
        s->opt.max_missed_packets = 1000;
    }
    s->next_socket = 1;
    s->next_offset = 1;
    eio_arena_init(&s->scratch, &s->mem, 0, 0);
    *out = s;
    return 0;
}

void sio_server_free(sio_server *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->nactions; i++) {
        blob_unref(s, s->actions[i].b);
    }
    for (size_t i = 0; i < s->nevents; i++) {
        label_unref(s, s->events[i].l);
    }
    while (s->nsockets > 0) {
        socket_remove(s, s->sockets[s->nsockets - 1]);
    }
    for (size_t i = 0; i < s->nsessions; i++) {
        sess_free(s, s->sessions[i]);
    }
    while (s->dead != NULL) {
        sess *se = s->dead;
        s->dead = se->next_dead;
        sess_free(s, se);
    }
    for (size_t i = 0; i < s->nkept; i++) {
        kept_free(s, s->kept[i]);
    }
    xfree(s, s->kept);
    xfree(s, s->actions);
    xfree(s, s->events);
    xfree(s, s->sessions);
    xfree(s, s->sockets);
    eio_arena_destroy(&s->scratch);
    eio_mem m = s->mem;
    eio_sess_free(&m, s);
}

int sio_server_eio_open(sio_server *s, uint32_t session, eio_version v, eio_time now)
{
    if (s == NULL || (v != EIO_V3 && v != EIO_V4)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(s, now);
    if (find_session(s, session) != NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    int rc = grow(s, (void **)&s->sessions, &s->cap_sessions, s->nsessions + 1, sizeof(sess *));
    if (rc < 0) {
        return rc;
    }
    sess *se = xalloc(s, sizeof(*se));
    if (se == NULL) {
        return EIO_ERR_NOMEM;
    }
    memset(se, 0, sizeof(*se));
    se->handle = session;
    se->version = v == EIO_V3 ? SIO_V4 : SIO_V5;
    se->state = SESS_OPEN;
    eio_arena_init(&se->arena, &s->mem, 0, 0);
    rc = sio_decoder_init(&se->dec, se->version, s->opt.parser, &s->opt.limits, &se->arena, 0);
    if (rc < 0) {
        sess_free(s, se);
        return rc;
    }
    se->connect_deadline = EIO_TIME_NEVER;
    if (se->version == SIO_V5 && s->opt.connect_timeout > 0) {
        se->connect_deadline = eio_sess_deadline(now, s->opt.connect_timeout);
    }
    size_t i = session_index(s, session);
    memmove(&s->sessions[i + 1], &s->sessions[i], (s->nsessions - i) * sizeof(sess *));
    s->sessions[i] = se;
    s->nsessions++;

    if (se->version == SIO_V4) {
        /* Protocol v4: every client is in "/" from the start, without asking. */
        sock *k = socket_new(s, se, (const uint8_t *)"/", 1, NULL, 0, SOCK_PENDING);
        rc = k == NULL ? EIO_ERR_NOMEM : request_or_accept(s, k, NULL);
        if (rc < 0) {
            if (k != NULL) {
                socket_remove(s, k);
            }
            session_remove(s, se);
            return rc;
        }
    }
    return 0;
}

int sio_server_eio_message(sio_server *s, uint32_t session, const uint8_t *data, size_t len,
                           bool binary, eio_time now)
{
    if (s == NULL || (data == NULL && len > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin(s, now);
    sess *se = find_session(s, session);
    if (se == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (se->state == SESS_CLOSING) {
        return 0; /* in flight when we closed it */
    }
    /* Copied into the session's arena: a binary packet's text and attachments arrive in
       separate calls, and its tree points into all of them. */
    uint8_t *copy = eio_arena_alloc(&se->arena, len ? len : 1);
    if (copy == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    sio_packet p;
    eio_errinfo err;
    int rc = sio_decoder_feed(&se->dec, copy, len, binary, &p, &err);
    if (rc == SIO_DECODER_NEED_MORE) {
        return 0;
    }
    if (rc == EIO_ERR_NOMEM) {
        return rc;
    }
    if (rc < 0) {
        /* The spec: an invalid packet closes the connection. */
        return close_session(s, se, SIO_DISCONNECT_PARSE_ERROR, true);
    }
    return on_packet(s, se, &p);
}

int sio_server_eio_close(sio_server *s, uint32_t session, eio_close_reason reason, eio_time now)
{
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin(s, now);
    sess *se = find_session(s, session);
    if (se == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (se->state == SESS_CLOSING) {
        session_remove(s, se); /* the close we asked for; sockets already ended */
        return 0;
    }
    return close_session(s, se, sio_disconnect_reason_from_eio(reason), false);
}

int sio_server_accept(sio_server *s, uint32_t socket, eio_time now)
{
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin(s, now);
    sock *k = find_socket(s, socket);
    if (k == NULL || k->state != SOCK_PENDING) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return accept_socket(s, k);
}

int sio_server_refuse(sio_server *s, uint32_t socket, const char *message, const eio_json *data,
                      eio_time now)
{
    if (s == NULL || message == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin_output(s, now);
    sock *k = find_socket(s, socket);
    if (k == NULL || k->state != SOCK_PENDING) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    int rc = send_connect_error(s, k->sess, k, NULL, 0, message, data);
    if (rc < 0) {
        return rc;
    }
    /* Refused sockets were never connected: no DISCONNECT, as in the reference. */
    socket_remove(s, k);
    return 0;
}

/* The socket `socket` if it is connected and its session open, else NULL. */
static sock *connected_socket(const sio_server *s, uint32_t socket)
{
    sock *k = find_socket(s, socket);
    return k != NULL && k->state == SOCK_CONNECTED && k->sess->state == SESS_OPEN ? k : NULL;
}

/* An event for a kept socket: encoded as its client will get it, and recorded. */
static int64_t emit_kept(sio_server *s, kept *kp, const eio_json *args)
{
    char off[24];
    uint64_t offset = s->next_offset++;
    format_offset(offset, off);
    sio_packet p = packet_for_label(kp->l, SIO_PACKET_EVENT);
    p.data = with_offset(s, args, off);
    if (p.data == NULL) {
        eio_arena_reset(&s->scratch);
        return EIO_ERR_NOMEM;
    }
    encoded enc;
    int rc = encode_packet(s, SIO_V5, &p, &enc);
    eio_arena_reset(&s->scratch);
    if (rc < 0) {
        return rc;
    }
    rc = record_event(s, kp, offset, &enc);
    encoded_free(s, &enc);
    return rc;
}

int64_t sio_server_emit(sio_server *s, uint32_t socket, const eio_json *args, unsigned flags,
                        uint32_t timeout, eio_time now)
{
    if (s == NULL || args == NULL || args->type != EIO_JSON_ARRAY ||
        (flags & ~(SIO_EMIT_ACK | SIO_EMIT_VOLATILE)) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin_output(s, now);
    bool want_ack = (flags & SIO_EMIT_ACK) != 0;
    bool is_volatile = (flags & SIO_EMIT_VOLATILE) != 0;
    sock *k = connected_socket(s, socket);
    if (k == NULL) {
        kept *kp = find_kept(s, socket);
        if (kp == NULL || want_ack) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        if (is_volatile) {
            return 0; /* volatile events are not stored, as the reference */
        }
        return emit_kept(s, kp, args);
    }
    sio_packet p = packet_for(k, SIO_PACKET_EVENT);
    /* The encoder only reads the tree; sio_packet is shared with decoding, hence non-const. */
    p.data = (eio_json *)(uintptr_t)args;
    /* Recovery, as the reference's socket.emit: events without ack and not volatile
       carry an offset (acks cannot be replayed, volatile events are not stored). */
    if (k->pid[0] != '\0' && !want_ack && !is_volatile) {
        char off[24];
        format_offset(s->next_offset++, off);
        p.data = with_offset(s, args, off);
        if (p.data == NULL) {
            eio_arena_reset(&s->scratch);
            return EIO_ERR_NOMEM;
        }
    }
    if (want_ack) {
        if (k->nacks >= s->opt.max_pending_acks || k->next_ack > SIO_MAX_ACK_ID) {
            return EIO_ERR_LIMIT;
        }
        int rc = grow(s, (void **)&k->acks, &k->cap_acks, k->nacks + 1, sizeof(pending_ack));
        if (rc < 0) {
            return rc;
        }
        p.has_id = true;
        p.id = k->next_ack;
    }
    int rc = send_packet(s, k->sess, &p);
    eio_arena_reset(&s->scratch);
    if (rc < 0) {
        return rc;
    }
    if (!want_ack) {
        return 0;
    }
    uint32_t t = timeout ? timeout : s->opt.ack_timeout;
    pending_ack *a = &k->acks[k->nacks++];
    a->id = k->next_ack++;
    a->deadline = t ? eio_sess_deadline(now, t) : EIO_TIME_NEVER;
    return (int64_t)a->id;
}

int64_t sio_server_broadcast(sio_server *s, const uint32_t *sockets, size_t n,
                             const eio_json *args, eio_time now)
{
    if (s == NULL || (sockets == NULL && n > 0) || args == NULL ||
        args->type != EIO_JSON_ARRAY) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin_output(s, now);
    /* One encoding per (protocol version, namespace) met, usually just one. With
       recovery, one offset for the whole broadcast (the reference's one id per
       packet), carried by v5 sockets only. */
    typedef struct cached {
        sio_version v;
        label *l; /* referenced: recording may drop the kept socket that owned it */
        encoded enc;
    } cached;
    cached *cache = NULL;
    size_t ncache = 0, cap_cache = 0;
    int64_t sent = 0;
    int rc = 0;
    char off[24];
    uint64_t offset = 0;
    if (s->opt.recovery) {
        offset = s->next_offset++;
        format_offset(offset, off);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        sock *k = connected_socket(s, sockets[i]);
        kept *kp = k == NULL && s->opt.recovery ? find_kept(s, sockets[i]) : NULL;
        if (k == NULL && kp == NULL) {
            continue;
        }
        label *l = k != NULL ? k->l : kp->l;
        sio_version v = k != NULL ? k->sess->version : SIO_V5;
        cached *c = NULL;
        for (size_t j = 0; j < ncache; j++) {
            if (cache[j].v == v && cache[j].l->nsp_len == l->nsp_len &&
                memcmp(cache[j].l->nsp, l->nsp, l->nsp_len) == 0) {
                c = &cache[j];
                break;
            }
        }
        if (c == NULL) {
            rc = grow(s, (void **)&cache, &cap_cache, ncache + 1, sizeof(cached));
            if (rc < 0) {
                break;
            }
            sio_packet p = packet_for_label(l, SIO_PACKET_EVENT);
            p.data = (eio_json *)(uintptr_t)args;
            if (s->opt.recovery && v == SIO_V5) {
                p.data = with_offset(s, args, off);
                if (p.data == NULL) {
                    rc = EIO_ERR_NOMEM;
                    break;
                }
            }
            rc = encode_packet(s, v, &p, &cache[ncache].enc);
            eio_arena_reset(&s->scratch);
            if (rc < 0) {
                break;
            }
            cache[ncache].v = v;
            cache[ncache].l = l;
            l->refs++;
            c = &cache[ncache++];
        }
        if (kp != NULL) {
            /* Recorded for its return, not counted: it did not get it. */
            rc = record_event(s, kp, offset, &c->enc);
            continue;
        }
        rc = reserve_actions(s, c->enc.n);
        if (rc == 0) {
            push_encoded(s, k->sess->handle, &c->enc);
            sent++;
        }
    }
    eio_arena_reset(&s->scratch);
    for (size_t j = 0; j < ncache; j++) {
        encoded_free(s, &cache[j].enc);
        label_unref(s, cache[j].l);
    }
    xfree(s, cache);
    return rc < 0 ? rc : sent;
}

int sio_server_ack(sio_server *s, uint32_t socket, uint64_t id, const eio_json *args,
                   eio_time now)
{
    if (s == NULL || id > SIO_MAX_ACK_ID || (args != NULL && args->type != EIO_JSON_ARRAY)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin_output(s, now);
    sock *k = connected_socket(s, socket);
    if (k == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    sio_packet p = packet_for(k, SIO_PACKET_ACK);
    p.has_id = true;
    p.id = id;
    if (args != NULL) {
        p.data = (eio_json *)(uintptr_t)args;
    } else {
        p.data = eio_json_new_array(&s->scratch);
        if (p.data == NULL) {
            return EIO_ERR_NOMEM;
        }
    }
    int rc = send_packet(s, k->sess, &p);
    eio_arena_reset(&s->scratch);
    return rc;
}

int sio_server_disconnect(sio_server *s, uint32_t socket, bool close_session_too, eio_time now)
{
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    begin(s, now);
    sock *k = find_socket(s, socket);
    if (k == NULL) {
        kept *kp = find_kept(s, socket);
        if (kp == NULL) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        kept_remove(s, kp); /* forgotten: its DISCONNECT was reported when it dropped */
        return 0;
    }
    if (k->state == SOCK_DEFERRED || k->sess->state != SESS_OPEN) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    sess *se = k->sess;
    if (!close_session_too) {
        if (k->state == SOCK_CONNECTED) {
            sio_packet p = packet_for(k, SIO_PACKET_DISCONNECT);
            int rc = send_packet(s, se, &p);
            if (rc < 0) {
                return rc;
            }
        }
        return socket_gone(s, k, SIO_DISCONNECT_SERVER);
    }
    /* As the reference's disconnect(true): DISCONNECT on every namespace, then close. */
    for (size_t i = 0; i < se->nsockets; i++) {
        sock *o = find_socket(s, se->sockets[i]);
        if (o != NULL && o->state == SOCK_CONNECTED) {
            sio_packet p = packet_for(o, SIO_PACKET_DISCONNECT);
            int rc = send_packet(s, se, &p);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return close_session(s, se, SIO_DISCONNECT_SERVER, true);
}

int sio_server_next_action(sio_server *s, sio_action *a)
{
    if (s == NULL || a == NULL || s->action_head >= s->nactions) {
        return 0;
    }
    *a = s->actions[s->action_head++].a;
    return 1;
}

int sio_server_next_event(sio_server *s, sio_event *e)
{
    if (s == NULL || e == NULL || s->event_head >= s->nevents) {
        return 0;
    }
    qevent *q = &s->events[s->event_head++];
    *e = q->e;
    /* The tree stays valid until the next input call, which may then reset the arena. */
    if (q->owner != NULL) {
        q->owner->refs--;
        q->owner = NULL;
    }
    return 1;
}

eio_time sio_server_get_expiry(const sio_server *s)
{
    eio_time t = EIO_TIME_NEVER;
    if (s == NULL) {
        return t;
    }
    for (size_t i = 0; i < s->nsessions; i++) {
        const sess *se = s->sessions[i];
        if (se->state == SESS_OPEN && se->connect_deadline < t) {
            t = se->connect_deadline;
        }
    }
    for (size_t i = 0; i < s->nsockets; i++) {
        const sock *k = s->sockets[i];
        for (size_t j = 0; j < k->nacks; j++) {
            if (k->acks[j].deadline < t) {
                t = k->acks[j].deadline;
            }
        }
    }
    for (size_t i = 0; i < s->nkept; i++) {
        if (s->kept[i]->deadline < t) {
            t = s->kept[i]->deadline;
        }
    }
    return t;
}

int sio_server_handle_expiry(sio_server *s, eio_time now)
{
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(s, now);
    int rc = 0;
    /* Connect timeouts (the reference: no namespace joined in time -> close). The entry
       stays in the table (CLOSING), so indexes do not move. */
    for (size_t i = 0; i < s->nsessions; i++) {
        sess *se = s->sessions[i];
        if (se->state == SESS_OPEN && se->connect_deadline <= now) {
            int r = close_session(s, se, SIO_DISCONNECT_FORCED_CLOSE, true);
            if (r < 0) {
                rc = r;
            }
        }
    }
    /* Ack timeouts, socket by socket, each in id order. */
    for (size_t i = 0; i < s->nsockets; i++) {
        sock *k = s->sockets[i];
        size_t keep = 0;
        for (size_t j = 0; j < k->nacks; j++) {
            if (k->acks[j].deadline <= now && reserve_events(s, 1) == 0) {
                sio_event *e = push_event(s, SIO_EVENT_ACK_TIMEOUT, k, NULL, NULL);
                e->has_id = true;
                e->id = k->acks[j].id;
                e->reason = SIO_DISCONNECT_NONE;
            } else {
                if (k->acks[j].deadline <= now) {
                    rc = EIO_ERR_NOMEM;
                }
                k->acks[keep++] = k->acks[j];
            }
        }
        k->nacks = keep;
    }
    /* Kept sockets whose client did not come back in time. */
    for (size_t i = s->nkept; i > 0; i--) {
        if (s->kept[i - 1]->deadline <= now) {
            kept_remove(s, s->kept[i - 1]);
        }
    }
    return rc;
}

const char *sio_server_socket_id(const sio_server *s, uint32_t socket)
{
    const sock *k = s != NULL ? find_socket(s, socket) : NULL;
    return k != NULL && k->state == SOCK_CONNECTED ? k->l->sid : NULL;
}

eio_slice sio_server_socket_nsp(const sio_server *s, uint32_t socket)
{
    eio_slice out = {NULL, 0};
    const sock *k = s != NULL ? find_socket(s, socket) : NULL;
    if (k != NULL && k->state != SOCK_DEFERRED) {
        out.ptr = (const uint8_t *)k->l->nsp;
        out.len = k->l->nsp_len;
    }
    return out;
}

uint32_t sio_server_socket_session(const sio_server *s, uint32_t socket)
{
    const sock *k = s != NULL ? find_socket(s, socket) : NULL;
    return k != NULL && k->state != SOCK_DEFERRED ? k->sess->handle : 0;
}
