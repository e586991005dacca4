/*
 * eio_server.c - the Engine.IO server role: a table of sessions behind one
 * path, driven by requests, frames and the clock (see eio_session.h and
 * docs/session.md for the behaviour).
 *
 * Storage:
 *   - sessions are heap objects found through three open-addressing hash
 *     tables: by handle (events and the application), by sid (requests),
 *     and by connection id (held GETs, pending POSTs, WebSockets);
 *   - one binary min-heap holds every session with a deadline, keyed by
 *     the earliest of its timers, so get_expiry is O(1) and each timer
 *     change O(log n);
 *   - actions and events are arrays owned by the machine. Drained entries
 *     stay alive until the next mutating call (the pointer lifetime the
 *     header promises) and are reclaimed then;
 *   - a closed session leaves the sid and connection tables at once (so
 *     requests for it get "Session ID unknown") and is freed when its CLOSE
 *     event is drained.
 *
 * Allocation discipline: every entry point first reserves the queue slots,
 * table room and heap room it might need, so that a failure there returns
 * EIO_ERR_NOMEM before anything changed. Past that point the only
 * allocations are data copies (messages, bodies, frames); their failure
 * closes the one session concerned with EIO_ERR_NOMEM, using only the
 * reserved slots and static bodies.
 */
#include <string.h>

#include "eio_session_internal.h"

/* ------------------------------------------------------------------------ */
/* Constants                                                                */
/* ------------------------------------------------------------------------ */

#define CT_TEXT "text/plain; charset=UTF-8"
#define CT_BINARY "application/octet-stream"
#define CT_JSON "application/json"
#define CT_HTML "text/html"

/* The reference's error bodies (server.js errorMessages). */
static const char ERR_TRANSPORT[] = "{\"code\":0,\"message\":\"Transport unknown\"}";
static const char ERR_SID[] = "{\"code\":1,\"message\":\"Session ID unknown\"}";
static const char ERR_METHOD[] = "{\"code\":2,\"message\":\"Bad handshake method\"}";
static const char ERR_BAD[] = "{\"code\":3,\"message\":\"Bad request\"}";
static const char ERR_VERSION[] = "{\"code\":5,\"message\":\"Unsupported protocol version\"}";

/* A forced close of a polling session whose client has no GET waiting
   waits this long for one (the reference transport's closeTimeout). */
#define CLOSE_WAIT_MS 30000u

/* Worst case of what closing one session emits: answers to a held GET and
   a pending POST, WS_SEND of `1`, WS_CLOSE of the WebSocket and of a probe,
   plus the answer to the request being handled; and the CLOSE event plus
   an UPGRADE_FAILED. */
#define CLOSE_ACTIONS 6
#define CLOSE_EVENTS 2

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

enum upgrade_state {
    UPG_NONE = 0,
    UPG_ACCEPTED = 1, /* WebSocket accepted, waiting for 2probe */
    UPG_PROBED = 2,   /* 3probe sent, waiting for 5 */
};

typedef struct sess {
    uint32_t handle;
    char sid[24];
    eio_version version;
    eio_transport transport;
    eio_session_state state;
    bool supports_binary; /* polling: no b64 in the handshake query (v3) */
    bool ws_b64;          /* active WebSocket: binary as base64 text (v3 b64=1) */

    bool has_get;
    uint32_t get_conn;
    bool has_post;        /* a POST whose body has not arrived */
    uint32_t post_conn;
    bool post_binary;     /* its Content-Type was application/octet-stream */
    bool has_ws;
    uint32_t ws_conn;
    int upgrade;          /* enum upgrade_state */
    uint32_t probe_conn;
    bool probe_b64;

    eio_pktq q;           /* packets waiting for a GET (or a flush on WebSocket) */

    eio_time t_ping;      /* v4: when to send the next ping */
    eio_time t_pong;      /* v4: pong due; v3: the client's ping due */
    eio_time t_upgrade;   /* upgrade must finish */
    eio_time t_close;     /* forced close gives up waiting for a GET */
    bool pong_extended;   /* v4: the pong deadline was already extended once */

    size_t heap_idx;      /* SIZE_MAX when not in the heap */
    eio_time heap_key;
} sess;

/* Open-addressing table (linear probing, backward-shift deletion). Keys may
   repeat (sid hashes); a NULL value marks an empty slot. */
typedef struct tab_entry {
    uint32_t key;
    sess *val;
} tab_entry;

typedef struct tab {
    tab_entry *e;
    size_t cap; /* power of two, or 0 */
    size_t n;
} tab;

typedef struct act_entry {
    eio_server_action a;
    uint8_t *owned;
} act_entry;

typedef struct ev_entry {
    eio_event e;
    uint8_t *owned;
} ev_entry;

struct eio_server {
    eio_server_options opt;
    eio_mem mem;
    eio_limits lim;
    eio_time last_now;
    uint32_t next_handle;
    size_t alive;        /* sessions not CLOSED */
    size_t total;        /* session objects allocated */
    bool shut_down;

    tab by_handle;
    tab by_sid;
    tab by_conn;

    sess **heap;
    size_t heap_n;
    size_t heap_cap;

    act_entry *acts;
    size_t acts_head;    /* next to hand out */
    size_t acts_n;
    size_t acts_cap;

    ev_entry *evs;
    size_t evs_head;
    size_t evs_n;
    size_t evs_cap;
};

/* ------------------------------------------------------------------------ */
/* Hash tables                                                              */
/* ------------------------------------------------------------------------ */

static uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t sid_hash(const char *sid, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)sid[i]) * 16777619u;
    }
    return h;
}

static int tab_reserve(eio_server *s, tab *t, size_t extra)
{
    /* Load at most one half keeps probe chains short. */
    size_t need = t->n + extra;
    if (t->cap && need <= t->cap / 2) {
        return 0;
    }
    size_t cap = t->cap ? t->cap : 16;
    while (need > cap / 2) {
        if (cap > SIZE_MAX / 2 / sizeof(tab_entry)) {
            return EIO_ERR_NOMEM;
        }
        cap *= 2;
    }
    tab_entry *e = eio_sess_alloc(&s->mem, cap * sizeof(tab_entry));
    if (!e) {
        return EIO_ERR_NOMEM;
    }
    memset(e, 0, cap * sizeof(tab_entry));
    for (size_t i = 0; i < t->cap; i++) {
        if (t->e[i].val) {
            size_t j = mix32(t->e[i].key) & (cap - 1);
            while (e[j].val) {
                j = (j + 1) & (cap - 1);
            }
            e[j] = t->e[i];
        }
    }
    eio_sess_free(&s->mem, t->e);
    t->e = e;
    t->cap = cap;
    return 0;
}

/* Room must have been reserved. */
static void tab_put(tab *t, uint32_t key, sess *val)
{
    size_t mask = t->cap - 1, j = mix32(key) & mask;
    while (t->e[j].val) {
        j = (j + 1) & mask;
    }
    t->e[j].key = key;
    t->e[j].val = val;
    t->n++;
}

/* Iterates the values stored under `key`: *pos starts at SIZE_MAX. */
static sess *tab_next(const tab *t, uint32_t key, size_t *pos)
{
    if (!t->cap) {
        return NULL;
    }
    size_t mask = t->cap - 1;
    size_t j = *pos == SIZE_MAX ? (mix32(key) & mask) : ((*pos + 1) & mask);
    while (t->e[j].val) {
        if (t->e[j].key == key) {
            *pos = j;
            return t->e[j].val;
        }
        j = (j + 1) & mask;
    }
    return NULL;
}

static void tab_del(tab *t, uint32_t key, const sess *val)
{
    size_t pos = SIZE_MAX;
    sess *v;
    while ((v = tab_next(t, key, &pos)) != NULL && v != val) {
    }
    if (!v) {
        return;
    }
    size_t mask = t->cap - 1, i = pos, j = pos;
    t->e[i].val = NULL;
    t->n--;
    /* Backward shift: pull later entries of the chain into the hole unless
       their home slot lies cyclically in (i, j]. */
    for (;;) {
        j = (j + 1) & mask;
        if (!t->e[j].val) {
            break;
        }
        size_t k = mix32(t->e[j].key) & mask;
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            t->e[i] = t->e[j];
            t->e[j].val = NULL;
            i = j;
        }
    }
}

static sess *find_handle(const eio_server *s, uint32_t handle)
{
    size_t pos = SIZE_MAX;
    return tab_next(&s->by_handle, handle, &pos);
}

static sess *find_sid(const eio_server *s, const char *sid, size_t len)
{
    size_t pos = SIZE_MAX;
    sess *v;
    uint32_t h = sid_hash(sid, len);
    while ((v = tab_next(&s->by_sid, h, &pos)) != NULL) {
        if (strlen(v->sid) == len && memcmp(v->sid, sid, len) == 0) {
            return v;
        }
    }
    return NULL;
}

static sess *find_conn(const eio_server *s, uint32_t conn)
{
    size_t pos = SIZE_MAX;
    return tab_next(&s->by_conn, conn, &pos);
}

/* ------------------------------------------------------------------------ */
/* Deadline heap                                                            */
/* ------------------------------------------------------------------------ */

static void heap_swap(eio_server *s, size_t a, size_t b)
{
    sess *t = s->heap[a];
    s->heap[a] = s->heap[b];
    s->heap[b] = t;
    s->heap[a]->heap_idx = a;
    s->heap[b]->heap_idx = b;
}

static void heap_up(eio_server *s, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p]->heap_key <= s->heap[i]->heap_key) {
            break;
        }
        heap_swap(s, i, p);
        i = p;
    }
}

static void heap_down(eio_server *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_n && s->heap[l]->heap_key < s->heap[m]->heap_key) {
            m = l;
        }
        if (r < s->heap_n && s->heap[r]->heap_key < s->heap[m]->heap_key) {
            m = r;
        }
        if (m == i) {
            break;
        }
        heap_swap(s, i, m);
        i = m;
    }
}

static void heap_remove(eio_server *s, sess *x)
{
    size_t i = x->heap_idx;
    if (i == SIZE_MAX) {
        return;
    }
    x->heap_idx = SIZE_MAX;
    s->heap_n--;
    if (i == s->heap_n) {
        return;
    }
    s->heap[i] = s->heap[s->heap_n];
    s->heap[i]->heap_idx = i;
    heap_up(s, i);
    heap_down(s, s->heap[i]->heap_idx);
}

static eio_time min_time(eio_time a, eio_time b)
{
    return a < b ? a : b;
}

/* Re-keys a session after any of its timers changed. The heap has room for
   every session (reserved at creation), so this cannot fail. */
static void sess_rearm(eio_server *s, sess *x)
{
    eio_time key = EIO_TIME_NEVER;
    if (x->state != EIO_STATE_CLOSED) {
        key = min_time(min_time(x->t_ping, x->t_pong), min_time(x->t_upgrade, x->t_close));
    }
    if (key == EIO_TIME_NEVER) {
        heap_remove(s, x);
        return;
    }
    if (x->heap_idx == SIZE_MAX) {
        x->heap_key = key;
        x->heap_idx = s->heap_n;
        s->heap[s->heap_n++] = x;
        heap_up(s, x->heap_idx);
        return;
    }
    eio_time old = x->heap_key;
    x->heap_key = key;
    if (key < old) {
        heap_up(s, x->heap_idx);
    } else {
        heap_down(s, x->heap_idx);
    }
}

/* ------------------------------------------------------------------------ */
/* Action and event queues                                                  */
/* ------------------------------------------------------------------------ */

/* Frees what the caller has drained: its pointers were valid until now. */
static void queues_reclaim(eio_server *s)
{
    for (size_t i = 0; i < s->acts_head; i++) {
        eio_sess_free(&s->mem, s->acts[i].owned);
    }
    if (s->acts_head) {
        memmove(s->acts, s->acts + s->acts_head,
                (s->acts_n - s->acts_head) * sizeof(act_entry));
        s->acts_n -= s->acts_head;
        s->acts_head = 0;
    }
    for (size_t i = 0; i < s->evs_head; i++) {
        eio_sess_free(&s->mem, s->evs[i].owned);
    }
    if (s->evs_head) {
        memmove(s->evs, s->evs + s->evs_head, (s->evs_n - s->evs_head) * sizeof(ev_entry));
        s->evs_n -= s->evs_head;
        s->evs_head = 0;
    }
}

static int grow(eio_server *s, void **arr, size_t *cap, size_t n, size_t extra, size_t elem)
{
    if (*cap - n >= extra) {
        return 0;
    }
    size_t want = *cap ? *cap : 16;
    while (want - n < extra) {
        if (want > SIZE_MAX / 2 / elem) {
            return EIO_ERR_NOMEM;
        }
        want *= 2;
    }
    void *p = s->mem.realloc ? s->mem.realloc(*arr, want * elem, s->mem.user_data) : NULL;
    if (!p) {
        return EIO_ERR_NOMEM;
    }
    *arr = p;
    *cap = want;
    return 0;
}

/* Room in the heap for every session object plus one. */
static int heap_reserve(eio_server *s)
{
    void *h = s->heap;
    int rc = grow(s, &h, &s->heap_cap, s->total, 1, sizeof(sess *));
    s->heap = h;
    return rc;
}

static int reserve(eio_server *s, size_t acts, size_t evs)
{
    void *a = s->acts, *e = s->evs;
    int rc = grow(s, &a, &s->acts_cap, s->acts_n, acts, sizeof(act_entry));
    s->acts = a;
    if (rc == 0) {
        rc = grow(s, &e, &s->evs_cap, s->evs_n, evs, sizeof(ev_entry));
        s->evs = e;
    }
    return rc;
}

/* Appends an action; a slot is always there (reserved). `owned` becomes
   the queue's. */
static void push_action(eio_server *s, eio_server_action_type type, uint32_t conn, int status,
                        const char *ct, const uint8_t *body, size_t len, bool binary,
                        uint8_t *owned)
{
    act_entry *e;
    if (s->acts_n == s->acts_cap) {
        /* Cannot happen when callers reserve; dropping beats overflowing. */
        eio_sess_free(&s->mem, owned);
        return;
    }
    e = &s->acts[s->acts_n++];
    memset(e, 0, sizeof(*e));
    e->a.type = type;
    e->a.conn = conn;
    e->a.status = status;
    e->a.content_type = ct;
    e->a.body = body;
    e->a.len = len;
    e->a.binary = binary;
    e->owned = owned;
}

static void respond_static(eio_server *s, uint32_t conn, int status, const char *ct,
                           const char *body)
{
    push_action(s, EIO_SERVER_HTTP_RESPOND, conn, status, ct, (const uint8_t *)body,
                body ? strlen(body) : 0, false, NULL);
}

static void respond_error(eio_server *s, uint32_t conn, const char *json)
{
    respond_static(s, conn, 400, CT_JSON, json);
}

static ev_entry *push_event(eio_server *s, eio_event_type type, uint32_t handle)
{
    if (s->evs_n == s->evs_cap) {
        return NULL;
    }
    ev_entry *e = &s->evs[s->evs_n++];
    memset(e, 0, sizeof(*e));
    e->e.type = type;
    e->e.session = handle;
    return e;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */
/* ------------------------------------------------------------------------ */

static void conn_forget(eio_server *s, sess *x, uint32_t conn)
{
    tab_del(&s->by_conn, conn, x);
}

/* ------------------------------------------------------------------------ */
/* Outgoing data                                                            */
/* ------------------------------------------------------------------------ */

/* Bodies of one control packet, for answers that must not allocate. */
static const char *static_body(eio_version v, char type)
{
    if (v == EIO_V3) {
        return type == '1' ? "1:1" : "1:6";
    }
    return type == '1' ? "1" : "6";
}

/* A close packet, as the extra packet of an orderly close's last answer. */
static eio_packet close_packet(void)
{
    eio_packet p = {EIO_PACKET_CLOSE, EIO_DATA_NONE, NULL, 0};
    return p;
}

/*
 * The size of a packet as the only record of a polling body, in the text
 * format and in the v3 binary format. A body's size is the sum of its
 * records' sizes (plus, in v4, one separator between two records), so a
 * batch is measured without encoding it.
 */
static int poll_record_size(const sess *x, const eio_packet *p, size_t *text, size_t *bin)
{
    size_t need = 0;
    int rc = eio_payload_encode(x->version, EIO_PAYLOAD_TEXT, p, 1, NULL, 0, &need);
    if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        return rc;
    }
    *text = *bin = need;
    if (x->version == EIO_V3 && x->supports_binary) {
        rc = eio_payload_encode(x->version, EIO_PAYLOAD_BINARY, p, 1, NULL, 0, &need);
        if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
            return rc;
        }
        *bin = need;
    }
    return 0;
}

/* Running size of a polling body, in the format its packets so far select. */
typedef struct body_size {
    size_t text;
    size_t bin;
    size_t n;
    bool any_bin;
} body_size;

/* The body's size with `p` appended (body_size_add keeps it). */
static int body_size_with(const sess *x, const body_size *b, const eio_packet *p,
                          body_size *out)
{
    size_t t, bn;
    int rc = poll_record_size(x, p, &t, &bn);
    if (rc != 0) {
        return rc;
    }
    size_t sep = x->version == EIO_V4 && b->n > 0 ? 1u : 0u;
    /* Records are bounded by max_buffered; saturate rather than wrap anyway. */
    out->text = b->text <= SIZE_MAX - t - sep ? b->text + t + sep : SIZE_MAX;
    out->bin = b->bin <= SIZE_MAX - bn ? b->bin + bn : SIZE_MAX;
    out->n = b->n + 1;
    out->any_bin = b->any_bin || p->kind == EIO_DATA_BINARY;
    return 0;
}

static size_t body_size_total(const sess *x, const body_size *b)
{
    return x->version == EIO_V3 && x->supports_binary && b->any_bin ? b->bin : b->text;
}

/*
 * How many leading queued packets one GET answer carries so that the body
 * stays within max_payload, the client's limit too: with `close_after`,
 * counting a close packet after them (the answer may then hold none of the
 * queue); without, at least one, so a packet that fits no body on its own
 * (only the machine's own packets can) still leaves rather than block the
 * queue. Returns 0 or an encoder error.
 */
static int poll_fit(const eio_server *s, const sess *x, bool close_after, size_t *count)
{
    body_size b = {0, 0, 0, false};
    eio_packet cp = close_packet();
    size_t n = 0;
    for (const eio_qpkt *q = x->q.head; q; q = q->next, n++) {
        eio_packet p = eio_qpkt_view(q);
        body_size next, with_close;
        int rc = body_size_with(x, &b, &p, &next);
        if (rc != 0) {
            return rc;
        }
        with_close = next;
        if (close_after && (rc = body_size_with(x, &next, &cp, &with_close)) != 0) {
            return rc;
        }
        if (body_size_total(x, &with_close) > s->opt.max_payload && (close_after || n > 0)) {
            break;
        }
        b = next;
    }
    *count = n;
    return 0;
}

/*
 * Encodes the first `n` queued packets (plus a close packet when
 * `with_close`) as one polling body. Returns 0 with an owned body, or a
 * negative code. The queue is not changed.
 */
static int encode_poll_body(eio_server *s, sess *x, size_t n, bool with_close, uint8_t **body,
                            size_t *len, const char **ct)
{
    size_t total = n + (with_close ? 1 : 0);
    eio_packet *pk = eio_sess_alloc(&s->mem, total * sizeof(eio_packet));
    if (!pk) {
        return EIO_ERR_NOMEM;
    }
    size_t i = 0;
    for (const eio_qpkt *p = x->q.head; p && i < n; p = p->next) {
        pk[i++] = eio_qpkt_view(p);
    }
    if (with_close) {
        pk[i] = close_packet();
    }
    eio_payload_format f = eio_payload_format_for(x->version, pk, total, x->supports_binary);
    size_t need = 0;
    int rc = eio_payload_encode(x->version, f, pk, total, NULL, 0, &need);
    uint8_t *buf = NULL;
    if (rc == 0 || rc == EIO_ERR_BUFFER_TOO_SMALL) {
        buf = eio_sess_alloc(&s->mem, need);
        rc = buf ? eio_payload_encode(x->version, f, pk, total, buf, need, len) : EIO_ERR_NOMEM;
    }
    eio_sess_free(&s->mem, pk);
    if (rc != 0) {
        eio_sess_free(&s->mem, buf);
        return rc;
    }
    *body = buf;
    *ct = f == EIO_PAYLOAD_BINARY ? CT_BINARY : CT_TEXT;
    return 0;
}

/* Drops the first `n` queued packets (sent, or abandoned at shutdown). */
static void queue_drop(eio_server *s, sess *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eio_sess_free(&s->mem, eio_pktq_pop(&x->q));
    }
}

/* Answers the held GET with a static one-packet body (close or noop). */
static void answer_get_static(eio_server *s, sess *x, char type)
{
    if (!x->has_get) {
        return;
    }
    respond_static(s, x->get_conn, 200, CT_TEXT, static_body(x->version, type));
    conn_forget(s, x, x->get_conn);
    x->has_get = false;
}

static int ws_send_packet(eio_server *s, sess *x, uint32_t conn, bool b64, eio_packet_type type,
                          eio_data_kind kind, const uint8_t *data, size_t len)
{
    eio_packet p = {type, kind, len ? data : NULL, len};
    size_t need = 0;
    bool bin = false;
    unsigned flags = b64 ? EIO_ENCODE_BASE64 : 0u;
    int rc = eio_packet_encode(x->version, &p, flags, NULL, 0, &need, &bin);
    if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        return rc;
    }
    uint8_t *buf = eio_sess_alloc(&s->mem, need);
    if (!buf) {
        return EIO_ERR_NOMEM;
    }
    rc = eio_packet_encode(x->version, &p, flags, buf, need, &need, &bin);
    if (rc != 0) {
        eio_sess_free(&s->mem, buf);
        return rc;
    }
    push_action(s, EIO_SERVER_WS_SEND, conn, 0, NULL, buf, need, bin, buf);
    return 0;
}

static void sess_close(eio_server *s, sess *x, eio_close_reason reason, int error);

/*
 * Sends what is queued if the transport can take it now: over WebSocket
 * every packet as a frame; over polling, as the answer to a held GET, the
 * leading packets that fit in max_payload (the rest wait for the next GET).
 * A failure closes the session.
 */
static void flush(eio_server *s, sess *x)
{
    if (x->state == EIO_STATE_CLOSED || x->q.count == 0) {
        return;
    }
    if (x->transport == EIO_TRANSPORT_WEBSOCKET) {
        size_t n = x->q.count;
        if (reserve(s, n + CLOSE_ACTIONS, CLOSE_EVENTS) != 0) {
            sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM);
            return;
        }
        eio_qpkt *p;
        while ((p = eio_pktq_pop(&x->q)) != NULL) {
            int rc = ws_send_packet(s, x, x->ws_conn, x->ws_b64, p->type, p->kind, p->data,
                                    p->len);
            eio_sess_free(&s->mem, p);
            if (rc != 0) {
                sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, rc);
                return;
            }
        }
        return;
    }
    if (!x->has_get) {
        return;
    }
    uint8_t *body = NULL;
    size_t len, n = 0;
    const char *ct;
    int rc = poll_fit(s, x, false, &n);
    if (rc == 0) {
        rc = encode_poll_body(s, x, n, false, &body, &len, &ct);
    }
    if (rc != 0) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, rc);
        return;
    }
    push_action(s, EIO_SERVER_HTTP_RESPOND, x->get_conn, 200, ct, body, len, false, body);
    conn_forget(s, x, x->get_conn);
    x->has_get = false;
    queue_drop(s, x, n);
}

/* What a queued packet costs against max_buffered: its data and its type. */
static bool fits(const eio_server *s, const sess *x, size_t len)
{
    size_t used = x->q.bytes + x->q.count;
    return len < SIZE_MAX - used && used + len + 1 <= s->opt.max_buffered;
}

/* Queues a packet the machine itself produces (ping, pong). Over the
   limit or out of memory, the session closes: a client that never polls
   must not make the server buffer without bound. */
static bool queue_control(eio_server *s, sess *x, eio_packet_type type, eio_data_kind kind,
                          const uint8_t *data, size_t len)
{
    if (!fits(s, x, len)) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_LIMIT);
        return false;
    }
    if (eio_pktq_push(&x->q, &s->mem, type, kind, data, len) != 0) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Closing                                                                  */
/* ------------------------------------------------------------------------ */

/* Abandons an upgrade in progress: the probe WebSocket is closed (unless
   the peer already closed it) and the session stays on polling. */
static void upgrade_abort(eio_server *s, sess *x, bool send_close, bool report)
{
    if (x->upgrade == UPG_NONE) {
        return;
    }
    if (send_close) {
        push_action(s, EIO_SERVER_WS_CLOSE, x->probe_conn, 0, NULL, NULL, 0, false, NULL);
    }
    conn_forget(s, x, x->probe_conn);
    x->upgrade = UPG_NONE;
    x->t_upgrade = EIO_TIME_NEVER;
    if (report) {
        push_event(s, EIO_EVENT_UPGRADE_FAILED, x->handle);
    }
    sess_rearm(s, x);
}

/*
 * Ends a session now. What the peer is told depends on why:
 *   - FORCED / SERVER_SHUTDOWN: the queue is flushed, then a close packet
 *     (the held GET's answer, or a `1` frame before WS_CLOSE);
 *   - TRANSPORT_CLOSE (the client sent close or hung up): a held GET gets
 *     a noop, as the reference's polling onClose does;
 *   - errors: a held GET gets a close packet, a WebSocket is closed.
 * A pending POST is answered 400 (its body will not be read); a probe
 * WebSocket is closed. Needs CLOSE_ACTIONS/CLOSE_EVENTS reserved.
 */
static void sess_close(eio_server *s, sess *x, eio_close_reason reason, int error)
{
    if (x->state == EIO_STATE_CLOSED) {
        return;
    }
    bool orderly = reason == EIO_CLOSE_FORCED || reason == EIO_CLOSE_SERVER_SHUTDOWN;
    upgrade_abort(s, x, true, false);
    if (x->transport == EIO_TRANSPORT_WEBSOCKET) {
        if (orderly) {
            flush(s, x);
            if (x->state == EIO_STATE_CLOSED) {
                return; /* flush failed and closed it already */
            }
            if (ws_send_packet(s, x, x->ws_conn, false, EIO_PACKET_CLOSE, EIO_DATA_NONE, NULL,
                               0) != 0) {
                error = EIO_ERR_NOMEM;
            }
        }
        if (x->has_ws) {
            push_action(s, EIO_SERVER_WS_CLOSE, x->ws_conn, 0, NULL, NULL, 0, false, NULL);
        }
    }
    if (x->has_ws) {
        conn_forget(s, x, x->ws_conn);
        x->has_ws = false;
    }
    if (x->has_get) {
        uint8_t *body = NULL;
        size_t len, n = 0;
        const char *ct;
        /* A GET is held only while the queue is empty, and an
           application's close with a larger queue goes through
           close_polling; measuring anyway keeps even a stray queue (at
           shutdown, whatever does not fit is dropped) within max_payload. */
        if (orderly && poll_fit(s, x, true, &n) == 0 &&
            encode_poll_body(s, x, n, true, &body, &len, &ct) == 0) {
            push_action(s, EIO_SERVER_HTTP_RESPOND, x->get_conn, 200, ct, body, len, false,
                        body);
            conn_forget(s, x, x->get_conn);
            x->has_get = false;
        } else {
            if (orderly) {
                error = EIO_ERR_NOMEM;
            }
            answer_get_static(s, x, reason == EIO_CLOSE_TRANSPORT_CLOSE ? '6' : '1');
        }
    }
    if (x->has_post) {
        respond_error(s, x->post_conn, ERR_BAD);
        conn_forget(s, x, x->post_conn);
        x->has_post = false;
    }
    eio_pktq_clear(&x->q, &s->mem);
    tab_del(&s->by_sid, sid_hash(x->sid, strlen(x->sid)), x);
    x->state = EIO_STATE_CLOSED;
    x->t_ping = x->t_pong = x->t_upgrade = x->t_close = EIO_TIME_NEVER;
    heap_remove(s, x);
    s->alive--;
    ev_entry *e = push_event(s, EIO_EVENT_CLOSE, x->handle);
    if (e) {
        e->e.reason = reason;
        e->e.error = error;
        e->e.version = x->version;
        e->e.transport = x->transport;
    }
}

static void sess_free(eio_server *s, sess *x)
{
    eio_pktq_clear(&x->q, &s->mem);
    eio_sess_free(&s->mem, x);
    s->total--;
}

/* ------------------------------------------------------------------------ */
/* Incoming packets                                                         */
/* ------------------------------------------------------------------------ */

/* A MESSAGE event with a copy of the data (base64 decoded). */
static void deliver_message(eio_server *s, sess *x, const eio_packet *p)
{
    size_t n = p->len;
    if (p->kind == EIO_DATA_BASE64) {
        n = eio_base64_decoded_max(p->len);
    }
    uint8_t *copy = NULL;
    if (n) {
        copy = eio_sess_alloc(&s->mem, n);
        if (!copy) {
            sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM);
            return;
        }
        if (p->kind == EIO_DATA_BASE64) {
            /* Already validated by the decoder; cannot fail. */
            (void)eio_base64_decode(p->data, p->len, copy, n, &n, NULL);
        } else {
            memcpy(copy, p->data, n);
        }
    }
    ev_entry *e = push_event(s, EIO_EVENT_MESSAGE, x->handle);
    if (!e) {
        eio_sess_free(&s->mem, copy);
        return;
    }
    e->e.data = copy;
    e->e.len = n;
    e->e.binary = p->kind == EIO_DATA_BINARY || p->kind == EIO_DATA_BASE64;
    e->owned = copy;
}

/*
 * One packet on the active transport of an open session (polling POST or
 * WebSocket). Returns false when the session closed (stop reading).
 */
static bool on_packet(eio_server *s, sess *x, const eio_packet *p, eio_time now)
{
    /* One packet and the worst case of closing afterwards. */
    if (reserve(s, 1 + CLOSE_ACTIONS, 1 + CLOSE_EVENTS) != 0) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM);
        return false;
    }
    if (x->version == EIO_V4 && x->t_pong != EIO_TIME_NEVER && !x->pong_extended &&
        p->type != EIO_PACKET_PONG) {
        /* The reference refreshes the pong timer once when other traffic
           shows the client is alive but its pong is stuck behind it. */
        x->t_pong = eio_sess_deadline(now, s->opt.ping_timeout);
        x->pong_extended = true;
        sess_rearm(s, x);
    }
    switch (p->type) {
    case EIO_PACKET_MESSAGE:
        deliver_message(s, x, p);
        break;
    case EIO_PACKET_CLOSE:
        sess_close(s, x, EIO_CLOSE_TRANSPORT_CLOSE, 0);
        break;
    case EIO_PACKET_PING:
        if (x->version == EIO_V4) {
            sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0); /* invalid heartbeat direction */
            break;
        }
        x->t_pong = eio_sess_deadline(now, (uint64_t)s->opt.ping_interval + s->opt.ping_timeout);
        sess_rearm(s, x);
        push_event(s, EIO_EVENT_PING, x->handle);
        if (queue_control(s, x, EIO_PACKET_PONG, p->kind == EIO_DATA_NONE ? EIO_DATA_NONE
                                                  : EIO_DATA_TEXT,
                          p->data, p->kind == EIO_DATA_TEXT ? p->len : 0)) {
            if (x->transport == EIO_TRANSPORT_WEBSOCKET) {
                flush(s, x);
            }
        }
        break;
    case EIO_PACKET_PONG:
        if (x->version == EIO_V3) {
            sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0); /* invalid heartbeat direction */
            break;
        }
        /* The reference restarts the interval timer on each pong: the next
           ping goes out pingInterval after the pong, not after the ping. */
        x->t_pong = EIO_TIME_NEVER;
        x->t_ping = eio_sess_deadline(now, s->opt.ping_interval);
        sess_rearm(s, x);
        push_event(s, EIO_EVENT_PONG, x->handle);
        break;
    default:
        break; /* open, upgrade, noop: nothing to do, as the reference */
    }
    return x->state != EIO_STATE_CLOSED;
}

/* ------------------------------------------------------------------------ */
/* Query parsing                                                            */
/* ------------------------------------------------------------------------ */

typedef struct query {
    int eio;          /* 4, or 3 for anything else (the reference's default) */
    int transport;    /* -1 unknown/missing, else eio_transport */
    char sid[EIO_SID_MAX + 2];
    size_t sid_len;   /* 0: none; EIO_SID_MAX + 1: too long to be ours */
    bool b64;         /* b64 present and not empty */
} query;

static int hexval(char c)
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

/* URL-decodes src into dst (as URLSearchParams: '+' is a space, a bad
   escape stays literal). Returns the decoded length, capped at cap + 1 to
   flag overflow. */
static size_t url_decode(const char *src, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 &&
                   hexval(src[i + 2]) >= 0) {
            c = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
            i += 2;
        }
        if (o >= cap) {
            return cap + 1;
        }
        dst[o++] = c;
    }
    return o;
}

static bool value_is(const char *v, size_t n, const char *lit)
{
    char buf[16];
    size_t len = url_decode(v, n, buf, sizeof(buf));
    return len == strlen(lit) && memcmp(buf, lit, len) == 0;
}

static void query_parse(const char *q, size_t len, query *out)
{
    memset(out, 0, sizeof(*out));
    out->eio = 3;
    out->transport = -1;
    if (!q) {
        return;
    }
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && q[end] != '&') {
            end++;
        }
        size_t eq = i;
        while (eq < end && q[eq] != '=') {
            eq++;
        }
        const char *k = q + i, *v = eq < end ? q + eq + 1 : q + end;
        size_t kn = eq - i, vn = eq < end ? end - eq - 1 : 0;
        /* Later occurrences win, as Object.fromEntries does. */
        if (value_is(k, kn, "EIO")) {
            out->eio = value_is(v, vn, "4") ? 4 : 3;
        } else if (value_is(k, kn, "transport")) {
            out->transport = value_is(v, vn, "polling")     ? EIO_TRANSPORT_POLLING
                             : value_is(v, vn, "websocket") ? EIO_TRANSPORT_WEBSOCKET
                                                            : -1;
        } else if (value_is(k, kn, "sid")) {
            out->sid_len = url_decode(v, vn, out->sid, EIO_SID_MAX);
            out->sid[out->sid_len <= EIO_SID_MAX ? out->sid_len : 0] = '\0';
        } else if (value_is(k, kn, "b64")) {
            out->b64 = vn > 0;
        }
        i = end + 1;
    }
}

/* Media type equality, ignoring parameters, case and surrounding blanks. */
static bool is_octet_stream(const char *ct)
{
    static const char want[] = "application/octet-stream";
    if (!ct) {
        return false;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    for (size_t i = 0; i < sizeof(want) - 1; i++) {
        char c = ct[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != want[i]) {
            return false;
        }
    }
    ct += sizeof(want) - 1;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

/* ------------------------------------------------------------------------ */
/* Handshake                                                                */
/* ------------------------------------------------------------------------ */

static int make_sid(eio_server *s, char *sid)
{
    /* A collision with a live sid draws again. */
    for (int attempt = 0; attempt < 8; attempt++) {
        if (eio_sess_random_id(s->opt.random, s->opt.random_user_data, sid) != 0) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        if (!find_sid(s, sid, EIO_SESS_ID_LEN)) {
            return 0;
        }
    }
    return EIO_ERR_INVALID_ARGUMENT;
}

static int handshake(eio_server *s, const eio_server_request *req, const query *q, eio_time now)
{
    eio_version v = q->eio == 4 ? EIO_V4 : EIO_V3;
    unsigned bit = v == EIO_V4 ? EIO_ACCEPT_V4 : EIO_ACCEPT_V3;
    if (!(s->opt.versions & bit)) {
        respond_error(s, req->conn, ERR_VERSION);
        return 0;
    }
    if (s->shut_down || s->alive >= s->opt.max_sessions || s->next_handle == 0) {
        respond_error(s, req->conn, ERR_BAD);
        return 0;
    }
    /* Room in every structure before anything changes. */
    if (tab_reserve(s, &s->by_handle, 1) != 0 || tab_reserve(s, &s->by_sid, 1) != 0 ||
        tab_reserve(s, &s->by_conn, 1) != 0 ||
        heap_reserve(s) != 0) {
        return EIO_ERR_NOMEM;
    }
    sess *x = eio_sess_alloc(&s->mem, sizeof(sess));
    if (!x) {
        return EIO_ERR_NOMEM;
    }
    memset(x, 0, sizeof(*x));
    if (make_sid(s, x->sid) != 0) {
        eio_sess_free(&s->mem, x);
        respond_error(s, req->conn, ERR_BAD);
        return 0;
    }
    x->version = v;
    x->transport = (eio_transport)q->transport;
    x->state = EIO_STATE_OPEN;
    x->supports_binary = !q->b64;
    x->ws_b64 = q->b64;
    x->t_ping = x->t_pong = x->t_upgrade = x->t_close = EIO_TIME_NEVER;
    x->heap_idx = SIZE_MAX;

    eio_handshake h;
    memset(&h, 0, sizeof(h));
    memcpy(h.sid, x->sid, strlen(x->sid) + 1);
    h.sid_len = strlen(x->sid);
    h.upgrades = (x->transport == EIO_TRANSPORT_POLLING && s->opt.allow_upgrades &&
                  s->opt.allow_websocket)
                     ? EIO_UPGRADE_WEBSOCKET
                     : 0u;
    h.ping_interval = s->opt.ping_interval;
    h.ping_timeout = s->opt.ping_timeout;
    h.max_payload = s->opt.max_payload;
    h.has_max_payload = true;
    size_t jlen = 0;
    uint8_t *json = NULL;
    int rc = eio_handshake_encode(v, &h, NULL, 0, &jlen);
    if (rc == EIO_ERR_BUFFER_TOO_SMALL) {
        json = eio_sess_alloc(&s->mem, jlen);
        rc = json ? eio_handshake_encode(v, &h, json, jlen, &jlen) : EIO_ERR_NOMEM;
    }
    if (rc == 0) {
        rc = eio_pktq_push(&x->q, &s->mem, EIO_PACKET_OPEN, EIO_DATA_TEXT, json, jlen);
    }
    eio_sess_free(&s->mem, json);
    if (rc != 0) {
        eio_sess_free(&s->mem, x);
        return EIO_ERR_NOMEM;
    }

    x->handle = s->next_handle++; /* wraps to 0: no more sessions, ever */
    tab_put(&s->by_handle, x->handle, x);
    tab_put(&s->by_sid, sid_hash(x->sid, strlen(x->sid)), x);
    s->alive++;
    s->total++;

    ev_entry *e = push_event(s, EIO_EVENT_OPEN, x->handle);
    if (e) {
        e->e.version = v;
        e->e.transport = x->transport;
    }
    if (v == EIO_V4) {
        x->t_ping = eio_sess_deadline(now, s->opt.ping_interval);
    } else {
        x->t_pong = eio_sess_deadline(now, (uint64_t)s->opt.ping_interval + s->opt.ping_timeout);
    }
    sess_rearm(s, x);

    if (x->transport == EIO_TRANSPORT_WEBSOCKET) {
        push_action(s, EIO_SERVER_WS_ACCEPT, req->conn, 0, NULL, NULL, 0, false, NULL);
        x->has_ws = true;
        x->ws_conn = req->conn;
        tab_put(&s->by_conn, req->conn, x);
    } else {
        x->has_get = true;
        x->get_conn = req->conn;
        tab_put(&s->by_conn, req->conn, x);
    }
    flush(s, x);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests on an existing session                                          */
/* ------------------------------------------------------------------------ */

/* An orderly close of a polling session waits for a GET to carry the rest
   of the queue and the close packet: no heartbeat, no upgrade, and
   CLOSE_WAIT_MS from now for the next GET. */
static void enter_closing(eio_server *s, sess *x, eio_time now)
{
    upgrade_abort(s, x, true, false);
    x->state = EIO_STATE_CLOSING;
    x->t_ping = x->t_pong = EIO_TIME_NEVER;
    x->t_close = eio_sess_deadline(now, CLOSE_WAIT_MS);
    sess_rearm(s, x);
}

/*
 * The application's close of a polling session with a GET held: the GET
 * carries the queue and the close packet and the session ends; when they
 * do not fit in one body, it carries what fits and the session waits in
 * CLOSING for the next GET, so the client never gets a body over
 * max_payload and nothing queued is lost.
 */
static void close_polling(eio_server *s, sess *x, eio_time now)
{
    size_t n = 0;
    int rc = poll_fit(s, x, true, &n);
    if (rc != 0) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, rc);
        return;
    }
    if (n == x->q.count) {
        sess_close(s, x, EIO_CLOSE_FORCED, 0);
        return;
    }
    enter_closing(s, x, now);
    flush(s, x);
}

static void on_poll_get(eio_server *s, sess *x, const eio_server_request *req, eio_time now)
{
    if (x->has_get) {
        /* The spec: 400 and close the session ("overlap from client"). */
        respond_error(s, req->conn, ERR_BAD);
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0);
        return;
    }
    x->has_get = true;
    x->get_conn = req->conn;
    tab_put(&s->by_conn, req->conn, x);
    if (x->state == EIO_STATE_CLOSING) {
        close_polling(s, x, now);
        return;
    }
    if (x->q.count) {
        flush(s, x);
    } else if (x->upgrade == UPG_PROBED) {
        /* The client is pausing polling to switch: release it at once. */
        answer_get_static(s, x, '6');
    }
}

/* Decodes a POST body and answers the POST. */
static void on_post_body(eio_server *s, sess *x, uint32_t conn, bool binary,
                         const uint8_t *body, size_t len, eio_time now)
{
    if (len > s->opt.max_payload) {
        respond_static(s, conn, 413, NULL, NULL);
        return;
    }
    if (x->state != EIO_STATE_OPEN) {
        /* Closing: the reference ignores packets once not open. */
        respond_static(s, conn, 200, CT_HTML, "ok");
        return;
    }
    eio_payload_decoder d;
    eio_payload_format f = binary ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
    (void)eio_payload_decoder_init(&d, x->version, f, &s->lim);
    for (;;) {
        eio_packet p;
        eio_errinfo err;
        int rc = eio_payload_decoder_next(&d, body, len, true, &p, &err);
        if (rc == EIO_PAYLOAD_PACKET) {
            if (!on_packet(s, x, &p, now)) {
                break;
            }
            continue;
        }
        if (rc < 0) {
            /* The reference answers 200 and closes; a 400 tells the client
               which request was at fault. */
            respond_error(s, conn, ERR_BAD);
            sess_close(s, x, EIO_CLOSE_PARSE_ERROR, rc);
            return;
        }
        break;
    }
    respond_static(s, conn, 200, CT_HTML, "ok");
    if (x->state != EIO_STATE_CLOSED) {
        flush(s, x);
    }
}

static void on_poll_post(eio_server *s, sess *x, const eio_server_request *req, eio_time now)
{
    if (x->has_post) {
        respond_error(s, req->conn, ERR_BAD);
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0);
        return;
    }
    bool binary = is_octet_stream(req->content_type);
    if (binary && x->version == EIO_V4) {
        /* v4 bodies are text only (reference: "invalid content"). */
        respond_error(s, req->conn, ERR_BAD);
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0);
        return;
    }
    if (req->body_follows) {
        if (req->content_length > 0 && (uint64_t)req->content_length > s->opt.max_payload) {
            respond_static(s, req->conn, 413, NULL, NULL);
            return;
        }
        x->has_post = true;
        x->post_conn = req->conn;
        x->post_binary = binary;
        tab_put(&s->by_conn, req->conn, x);
        return;
    }
    on_post_body(s, x, req->conn, binary, req->body, req->body_len, now);
}

static void on_ws_request(eio_server *s, sess *x, const eio_server_request *req,
                          const query *q, eio_time now)
{
    if (q->transport != EIO_TRANSPORT_WEBSOCKET || x->state != EIO_STATE_OPEN ||
        x->transport != EIO_TRANSPORT_POLLING || x->upgrade != UPG_NONE ||
        !s->opt.allow_upgrades) {
        respond_error(s, req->conn, ERR_BAD);
        return;
    }
    push_action(s, EIO_SERVER_WS_ACCEPT, req->conn, 0, NULL, NULL, 0, false, NULL);
    x->upgrade = UPG_ACCEPTED;
    x->probe_conn = req->conn;
    x->probe_b64 = q->b64;
    tab_put(&s->by_conn, req->conn, x);
    x->t_upgrade = eio_sess_deadline(now, s->opt.upgrade_timeout);
    sess_rearm(s, x);
}

/* Frames on the WebSocket that is being probed. */
static void on_probe_frame(eio_server *s, sess *x, const uint8_t *data, size_t len, bool binary)
{
    eio_packet p;
    int rc = eio_packet_decode(x->version, data, len, binary, &s->lim, &p, NULL);
    if (rc == 0 && p.type == EIO_PACKET_PING && p.kind == EIO_DATA_TEXT && p.len == 5 &&
        memcmp(p.data, "probe", 5) == 0) {
        if (ws_send_packet(s, x, x->probe_conn, false, EIO_PACKET_PONG, EIO_DATA_TEXT,
                           (const uint8_t *)"probe", 5) != 0) {
            sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM);
            return;
        }
        x->upgrade = UPG_PROBED;
        /* A held GET has nothing to carry (it would have been answered):
           a noop lets the client finish pausing. */
        answer_get_static(s, x, '6');
        return;
    }
    if (rc == 0 && p.type == EIO_PACKET_UPGRADE) {
        /* The reference switches on `5` even without a probe first. */
        x->upgrade = UPG_NONE;
        x->t_upgrade = EIO_TIME_NEVER;
        x->transport = EIO_TRANSPORT_WEBSOCKET;
        x->has_ws = true;
        x->ws_conn = x->probe_conn;
        x->ws_b64 = x->probe_b64;
        answer_get_static(s, x, '6');
        sess_rearm(s, x);
        push_event(s, EIO_EVENT_UPGRADE, x->handle);
        flush(s, x);
        return;
    }
    upgrade_abort(s, x, true, true);
}

static int check_conn_free(const eio_server *s, uint32_t conn)
{
    return find_conn(s, conn) ? EIO_ERR_INVALID_ARGUMENT : 0;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

void eio_server_options_default(eio_server_options *o)
{
    if (!o) {
        return;
    }
    memset(o, 0, sizeof(*o));
    o->versions = EIO_ACCEPT_V4;
    o->allow_polling = true;
    o->allow_websocket = true;
    o->allow_upgrades = true;
    o->ping_interval = 25000;
    o->ping_timeout = 20000;
    o->upgrade_timeout = 10000;
    o->max_payload = EIO_DEFAULT_MAX_PAYLOAD;
    o->max_buffered = 10u * EIO_DEFAULT_MAX_PAYLOAD;
    o->max_sessions = 100000;
}

int eio_server_new(eio_server **out, const eio_server_options *opt, const eio_mem *mem)
{
    if (!out) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (!opt || !opt->random || opt->max_payload == 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    eio_mem m;
    eio_sess_mem_init(&m, mem);
    if (!m.realloc) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    eio_server *s = eio_sess_alloc(&m, sizeof(*s));
    if (!s) {
        return EIO_ERR_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->opt = *opt;
    s->mem = m;
    s->next_handle = 1;
    eio_limits_default(&s->lim);
    s->lim.max_payload = opt->max_payload;
    s->lim.max_packet = opt->max_payload;
    *out = s;
    return 0;
}

void eio_server_free(eio_server *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->by_handle.cap; i++) {
        if (s->by_handle.e[i].val) {
            sess_free(s, s->by_handle.e[i].val);
        }
    }
    for (size_t i = 0; i < s->acts_n; i++) {
        eio_sess_free(&s->mem, s->acts[i].owned);
    }
    for (size_t i = 0; i < s->evs_n; i++) {
        eio_sess_free(&s->mem, s->evs[i].owned);
    }
    eio_sess_free(&s->mem, s->acts);
    eio_sess_free(&s->mem, s->evs);
    eio_sess_free(&s->mem, s->heap);
    eio_sess_free(&s->mem, s->by_handle.e);
    eio_sess_free(&s->mem, s->by_sid.e);
    eio_sess_free(&s->mem, s->by_conn.e);
    eio_mem m = s->mem;
    eio_sess_free(&m, s);
}

int eio_server_handle_request(eio_server *s, const eio_server_request *req, eio_time now)
{
    if (!s || !req || (req->query_len && !req->query) ||
        (!req->body_follows && req->body_len && !req->body)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    if (check_conn_free(s, req->conn) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (reserve(s, 1 + CLOSE_ACTIONS, 1 + CLOSE_EVENTS) != 0 ||
        tab_reserve(s, &s->by_conn, 1) != 0) {
        return EIO_ERR_NOMEM;
    }
    if (req->method == EIO_HTTP_OPTIONS) {
        /* CORS preflight: headers are the I/O layer's; the body is empty. */
        respond_static(s, req->conn, 204, NULL, NULL);
        return 0;
    }
    query q;
    query_parse(req->query, req->query_len, &q);
    bool allowed = q.transport == EIO_TRANSPORT_POLLING     ? s->opt.allow_polling
                   : q.transport == EIO_TRANSPORT_WEBSOCKET ? s->opt.allow_websocket
                                                            : false;
    if (!allowed) {
        respond_error(s, req->conn, ERR_TRANSPORT);
        return 0;
    }
    if (q.sid_len == 0) {
        if (req->method != EIO_HTTP_GET) {
            respond_error(s, req->conn, ERR_METHOD);
            return 0;
        }
        if ((q.transport == EIO_TRANSPORT_WEBSOCKET) != req->websocket) {
            respond_error(s, req->conn, ERR_BAD);
            return 0;
        }
        return handshake(s, req, &q, now);
    }
    sess *x = q.sid_len <= EIO_SID_MAX ? find_sid(s, q.sid, q.sid_len) : NULL;
    if (!x) {
        respond_error(s, req->conn, ERR_SID);
        return 0;
    }
    if ((!req->websocket && (eio_transport)q.transport != x->transport) ||
        (q.eio == 4) != (x->version == EIO_V4)) {
        respond_error(s, req->conn, ERR_BAD);
        return 0;
    }
    if (req->websocket) {
        on_ws_request(s, x, req, &q, now);
        return 0;
    }
    switch (req->method) {
    case EIO_HTTP_GET:
        on_poll_get(s, x, req, now);
        break;
    case EIO_HTTP_POST:
        on_poll_post(s, x, req, now);
        break;
    default:
        /* The reference's polling transport answers other methods 500. */
        respond_static(s, req->conn, 500, NULL, NULL);
        break;
    }
    return 0;
}

int eio_server_request_body(eio_server *s, uint32_t conn, const uint8_t *body, size_t len,
                            eio_time now)
{
    if (!s || (len && !body)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    sess *x = find_conn(s, conn);
    if (!x || !x->has_post || x->post_conn != conn) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (reserve(s, 1 + CLOSE_ACTIONS, 1 + CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    x->has_post = false;
    conn_forget(s, x, conn);
    on_post_body(s, x, conn, x->post_binary, body, len, now);
    return 0;
}

int eio_server_http_closed(eio_server *s, uint32_t conn, eio_time now)
{
    if (!s) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    sess *x = find_conn(s, conn);
    if (!x || !((x->has_get && x->get_conn == conn) || (x->has_post && x->post_conn == conn))) {
        return 0; /* already answered: the race is harmless */
    }
    if (reserve(s, CLOSE_ACTIONS, CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    if (x->has_get && x->get_conn == conn) {
        x->has_get = false;
    } else {
        x->has_post = false;
    }
    conn_forget(s, x, conn);
    /* The reference: "poll connection closed prematurely". */
    sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, 0);
    return 0;
}

int eio_server_ws_message(eio_server *s, uint32_t conn, const uint8_t *data, size_t len,
                          bool binary, eio_time now)
{
    if (!s || (len && !data)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    sess *x = find_conn(s, conn);
    if (!x) {
        return 0; /* a WebSocket the machine already closed */
    }
    if (reserve(s, 2 + CLOSE_ACTIONS, 1 + CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    if (x->upgrade != UPG_NONE && x->probe_conn == conn) {
        on_probe_frame(s, x, data, len, binary);
        return 0;
    }
    if (!(x->has_ws && x->ws_conn == conn) || x->state != EIO_STATE_OPEN) {
        return 0;
    }
    eio_packet p;
    int rc = eio_packet_decode(x->version, data, len, binary, &s->lim, &p, NULL);
    if (rc == EIO_ERR_PACKET_TOO_LARGE) {
        sess_close(s, x, EIO_CLOSE_TRANSPORT_ERROR, rc); /* ws: "Max payload size exceeded" */
        return 0;
    }
    if (rc != 0) {
        sess_close(s, x, EIO_CLOSE_PARSE_ERROR, rc);
        return 0;
    }
    (void)on_packet(s, x, &p, now);
    return 0;
}

int eio_server_ws_closed(eio_server *s, uint32_t conn, eio_time now)
{
    if (!s) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    sess *x = find_conn(s, conn);
    if (!x) {
        return 0;
    }
    if (reserve(s, CLOSE_ACTIONS, CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    if (x->upgrade != UPG_NONE && x->probe_conn == conn) {
        upgrade_abort(s, x, false, true);
        return 0;
    }
    if (x->has_ws && x->ws_conn == conn) {
        conn_forget(s, x, conn);
        x->has_ws = false;
        sess_close(s, x, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    }
    return 0;
}

/*
 * What a message must satisfy while the session may still travel over
 * polling (a session on WebSocket never goes back): v4 text without 0x1e,
 * the record separator, which has no escape and would split the message in
 * two; and a body of its own within max_payload, since a GET answer never
 * exceeds it.
 */
static int check_polling_send(const eio_server *s, const sess *x, const uint8_t *data,
                              size_t len, bool binary)
{
    if (x->transport != EIO_TRANSPORT_POLLING) {
        return 0;
    }
    if (x->version == EIO_V4 && !binary && len && memchr(data, 0x1e, len)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    eio_packet p = {EIO_PACKET_MESSAGE, binary ? EIO_DATA_BINARY : EIO_DATA_TEXT,
                    len ? data : NULL, len};
    size_t text, bin;
    int rc = poll_record_size(x, &p, &text, &bin);
    if (rc != 0) {
        return rc;
    }
    size_t lone = x->version == EIO_V3 && x->supports_binary && binary ? bin : text;
    return lone > s->opt.max_payload ? EIO_ERR_PACKET_TOO_LARGE : 0;
}

int eio_server_send(eio_server *s, uint32_t session, const uint8_t *data, size_t len,
                    bool binary, eio_time now)
{
    if (!s || (len && !data)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    /* Nothing handed out earlier is released here: `data` may be the data
       of one of this server's own events (an echo); the next other call
       releases it. */
    (void)eio_sess_now(&s->last_now, now);
    sess *x = find_handle(s, session);
    if (!x || x->state != EIO_STATE_OPEN) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (!binary && eio_utf8_validate(data, len, NULL) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    int rc = check_polling_send(s, x, data, len, binary);
    if (rc != 0) {
        return rc;
    }
    if (!fits(s, x, len)) {
        return EIO_ERR_LIMIT;
    }
    if (reserve(s, 1 + CLOSE_ACTIONS, CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    rc = eio_pktq_push(&x->q, &s->mem, EIO_PACKET_MESSAGE, binary ? EIO_DATA_BINARY : EIO_DATA_TEXT,
                       data, len);
    if (rc != 0) {
        return rc;
    }
    flush(s, x);
    return 0;
}

int eio_server_close_session(eio_server *s, uint32_t session, eio_time now)
{
    if (!s) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    sess *x = find_handle(s, session);
    if (!x || x->state == EIO_STATE_CLOSED) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (x->state == EIO_STATE_CLOSING) {
        return 0;
    }
    if (reserve(s, CLOSE_ACTIONS + x->q.count, CLOSE_EVENTS) != 0) {
        return EIO_ERR_NOMEM;
    }
    if (x->transport == EIO_TRANSPORT_WEBSOCKET) {
        sess_close(s, x, EIO_CLOSE_FORCED, 0);
        return 0;
    }
    if (x->has_get) {
        close_polling(s, x, now);
        return 0;
    }
    /* Polling with no GET to answer: the queue and a close packet wait for
       the next GET, as the reference's orderly close. */
    enter_closing(s, x, now);
    return 0;
}

int eio_server_shutdown(eio_server *s, eio_time now)
{
    if (!s) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    s->shut_down = true;
    for (size_t i = 0; i < s->by_handle.cap; i++) {
        sess *x = s->by_handle.e[i].val;
        if (!x || x->state == EIO_STATE_CLOSED) {
            continue;
        }
        if (reserve(s, CLOSE_ACTIONS + x->q.count, CLOSE_EVENTS) != 0) {
            return EIO_ERR_NOMEM; /* the rest stay open; call again */
        }
        /* A session already closing was closed by the application. */
        sess_close(s, x, x->state == EIO_STATE_CLOSING ? EIO_CLOSE_FORCED
                                                        : EIO_CLOSE_SERVER_SHUTDOWN,
                   0);
    }
    return 0;
}

int eio_server_next_action(eio_server *s, eio_server_action *a)
{
    if (!s || !a || s->acts_head == s->acts_n) {
        return 0;
    }
    *a = s->acts[s->acts_head++].a;
    return 1;
}

int eio_server_next_event(eio_server *s, eio_event *e)
{
    if (!s || !e || s->evs_head == s->evs_n) {
        return 0;
    }
    *e = s->evs[s->evs_head++].e;
    if (e->type == EIO_EVENT_CLOSE) {
        sess *x = find_handle(s, e->session);
        if (x) {
            tab_del(&s->by_handle, x->handle, x);
            sess_free(s, x);
        }
    }
    return 1;
}

eio_time eio_server_get_expiry(const eio_server *s)
{
    if (!s || s->heap_n == 0) {
        return EIO_TIME_NEVER;
    }
    return s->heap[0]->heap_key;
}

/* Fires the session's earliest timer (which is <= now). */
static void fire_one(eio_server *s, sess *x, eio_time now)
{
    eio_time t = x->heap_key;
    if (x->t_close == t) {
        x->t_close = EIO_TIME_NEVER;
        sess_close(s, x, EIO_CLOSE_FORCED, 0);
    } else if (x->t_pong == t) {
        x->t_pong = EIO_TIME_NEVER;
        sess_close(s, x, EIO_CLOSE_PING_TIMEOUT, 0);
    } else if (x->t_upgrade == t) {
        upgrade_abort(s, x, true, true);
    } else if (x->t_ping == t) {
        /* Deadlines restart from this call's now, so a late wake-up sends
           one ping, not one per interval missed. */
        x->t_ping = EIO_TIME_NEVER;
        x->t_pong = eio_sess_deadline(now, s->opt.ping_timeout);
        x->pong_extended = false;
        sess_rearm(s, x);
        if (queue_control(s, x, EIO_PACKET_PING, EIO_DATA_NONE, NULL, 0)) {
            flush(s, x);
        }
    } else {
        heap_remove(s, x); /* stale key: never loop on it */
    }
}

int eio_server_handle_expiry(eio_server *s, eio_time now)
{
    if (!s) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = eio_sess_now(&s->last_now, now);
    queues_reclaim(s);
    while (s->heap_n && s->heap[0]->heap_key <= now) {
        sess *x = s->heap[0];
        if (reserve(s, 2 + CLOSE_ACTIONS + x->q.count, 1 + CLOSE_EVENTS) != 0) {
            return EIO_ERR_NOMEM;
        }
        fire_one(s, x, now);
    }
    return 0;
}

const char *eio_server_session_sid(const eio_server *s, uint32_t session)
{
    const sess *x = s ? find_handle(s, session) : NULL;
    return x ? x->sid : NULL;
}

eio_session_state eio_server_session_state(const eio_server *s, uint32_t session)
{
    const sess *x = s ? find_handle(s, session) : NULL;
    return x ? x->state : EIO_STATE_CLOSED;
}

eio_transport eio_server_session_transport(const eio_server *s, uint32_t session)
{
    const sess *x = s ? find_handle(s, session) : NULL;
    return x ? x->transport : EIO_TRANSPORT_POLLING;
}

eio_version eio_server_session_version(const eio_server *s, uint32_t session)
{
    const sess *x = s ? find_handle(s, session) : NULL;
    return x ? x->version : EIO_V4;
}

size_t eio_server_session_count(const eio_server *s)
{
    return s ? s->alive : 0;
}
