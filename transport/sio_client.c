/*
 * sio_client.c - the Socket.IO client session machine: namespaces (one
 * socket each), acks with deadlines, a bounded send buffer while not
 * connected, and reconnection with backoff, over Engine.IO events.
 *
 * Layout:
 *   - a socket table (handles from 1, never reused); a socket is
 *     CONNECTING (waiting for the server's CONNECT), CONNECTED, or DEAD
 *     (kept until the events that mention it are drained, then freed);
 *   - one Engine.IO connection at a time: IDLE, OPENING (EIO_OPEN asked,
 *     open timeout running), OPEN, or WAITING (the reconnection delay);
 *   - a pending-ack table with deadlines, in emit order;
 *   - per-socket send buffers of packets already encoded;
 *   - machine-owned action and event queues.
 *
 * Allocation happens before a transition changes anything (encoding,
 * copying, reserving queue room), so a failed allocation leaves the
 * machine as it was. docs/sio-session.md ("Client role") lists the
 * behaviour decisions and where they differ from the reference client.
 */
#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

/* One encoded Engine.IO message, owned. */
typedef struct cl_msg {
    struct cl_msg *next;
    bool binary;
    size_t len;
    uint8_t data[];
} cl_msg;

/* A packet held while its socket is not connected: its messages in order. */
typedef struct cl_packet {
    struct cl_packet *next;
    bool has_ack;
    uint64_t ack_id;
    size_t bytes;
    size_t count; /* messages */
    cl_msg *msgs;
} cl_packet;

typedef enum cl_sock_state {
    SOCK_CONNECTING = 0,
    SOCK_CONNECTED = 1,
    SOCK_DEAD = 2,
} cl_sock_state;

/* An owned byte string (may contain NUL bytes; NUL-terminated as well). */
typedef struct cl_str {
    char *ptr;
    size_t len;
} cl_str;

typedef struct cl_socket {
    uint32_t handle;
    cl_sock_state state;
    cl_str nsp;   /* without the v4 query */
    cl_str query; /* v4: after '?' */
    cl_str auth;  /* the auth object as JSON text; ptr NULL when none */
    cl_str sid;
    cl_str pid;   /* connection state recovery: the server's private id */
    cl_str offset;/* and the last event offset seen */
    uint64_t next_ack_id;
    cl_packet *buf_head;
    cl_packet *buf_tail;
    /* Events received before the CONNECT answer, delivered right after it
       (their trees live in the client's arena, which is kept meanwhile). */
    struct cl_held *held;
    size_t nheld, cap_held;
} cl_socket;

typedef struct cl_held {
    const eio_json *data;
    bool has_id;
    uint64_t id;
} cl_held;

typedef struct cl_ack {
    uint32_t socket;
    uint64_t id;
    eio_time deadline; /* EIO_TIME_NEVER: no timeout */
    bool buffered;     /* its packet still waits in the send buffer */
} cl_ack;

typedef struct cl_action {
    sio_action_type type;
    cl_msg *msg; /* SEND only */
} cl_action;

typedef enum cl_conn_state {
    CONN_IDLE = 0,
    CONN_OPENING = 1,
    CONN_OPEN = 2,
    CONN_WAITING = 3,
} cl_conn_state;

struct sio_client {
    eio_mem mem; /* the arena keeps a pointer to it: it must not move */
    sio_client_options opt;
    eio_time last_now;

    cl_socket **socks;
    size_t nsocks, cap_socks;
    uint32_t next_handle;

    cl_conn_state conn;
    eio_time conn_deadline;     /* OPENING: open timeout; WAITING: end of the delay */
    uint32_t closes_unreported; /* EIO_CLOSE asked whose close report is still due */
    bool reconnecting;          /* inside a reconnection loop: RECONNECT on success */
    uint32_t attempts;          /* backoff attempts of the current loop */
    bool v4_root_open;          /* v4: the server's implicit "/" CONNECT arrived */
    sio_disconnect_reason loss_reason; /* why the last connection was lost */

    sio_decoder dec;
    eio_arena arena; /* decoded packets, copies of incoming messages, event data */

    cl_ack *acks;
    size_t nacks, cap_acks;
    size_t buffered_bytes;
    size_t held_total; /* events held over all sockets (see cl_socket.held) */

    cl_action *acts;
    size_t nacts, acts_read, cap_acts;
    sio_event *evs;
    size_t nevs, evs_read, cap_evs;
};

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

static void *mem_alloc(const sio_client *c, size_t n)
{
    return c->mem.malloc(n ? n : 1, c->mem.user_data);
}

static void mem_free(const sio_client *c, void *p)
{
    if (p != NULL) {
        c->mem.free(p, c->mem.user_data);
    }
}

/* Grows an array to hold `need` elements. Done with malloc/copy/free since
   an eio_mem is not required to provide realloc. */
static int grow(sio_client *c, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return 0;
    }
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem) {
            return EIO_ERR_NOMEM;
        }
        n *= 2;
    }
    void *p = mem_alloc(c, n * elem);
    if (p == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (*arr != NULL) {
        memcpy(p, *arr, *cap * elem);
        mem_free(c, *arr);
    }
    *arr = p;
    *cap = n;
    return 0;
}

/* Room for `n` more actions and `m` more events, so that the transition
   that follows cannot fail half way. */
static int reserve(sio_client *c, size_t n, size_t m)
{
    int rc = grow(c, (void **)&c->acts, &c->cap_acts, c->nacts + n, sizeof(cl_action));
    if (rc == 0) {
        rc = grow(c, (void **)&c->evs, &c->cap_evs, c->nevs + m, sizeof(sio_event));
    }
    return rc;
}

static int str_set(sio_client *c, cl_str *s, const void *p, size_t len)
{
    char *d = mem_alloc(c, len + 1);
    if (d == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (len > 0) {
        memcpy(d, p, len);
    }
    d[len] = '\0';
    mem_free(c, s->ptr);
    s->ptr = d;
    s->len = len;
    return 0;
}

static void str_clear(sio_client *c, cl_str *s)
{
    mem_free(c, s->ptr);
    s->ptr = NULL;
    s->len = 0;
}

static void msgs_free(sio_client *c, cl_msg *m)
{
    while (m != NULL) {
        cl_msg *next = m->next;
        mem_free(c, m);
        m = next;
    }
}

static void packet_free(sio_client *c, cl_packet *p)
{
    msgs_free(c, p->msgs);
    mem_free(c, p);
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                    */
/* ------------------------------------------------------------------------ */

/* Callers reserved room first. */
static void push_action(sio_client *c, sio_action_type type, cl_msg *msg)
{
    c->acts[c->nacts].type = type;
    c->acts[c->nacts].msg = msg;
    c->nacts++;
}

static void push_msgs(sio_client *c, cl_msg *m)
{
    while (m != NULL) {
        cl_msg *next = m->next;
        m->next = NULL;
        push_action(c, SIO_ACTION_EIO_SEND, m);
        m = next;
    }
}

/* Asks the caller to close the Engine.IO session; its close report is then
   expected and swallowed. */
static void push_eio_close(sio_client *c)
{
    push_action(c, SIO_ACTION_EIO_CLOSE, NULL);
    c->closes_unreported++;
}

static sio_event *push_event(sio_client *c, sio_event_type type, const cl_socket *s)
{
    sio_event *e = &c->evs[c->nevs++];
    memset(e, 0, sizeof *e);
    e->type = type;
    if (s != NULL) {
        e->socket = s->handle;
        e->nsp.ptr = (const uint8_t *)s->nsp.ptr;
        e->nsp.len = s->nsp.len;
    }
    return e;
}

static size_t live_sockets(const sio_client *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nsocks; i++) {
        if (c->socks[i]->state != SOCK_DEAD) {
            n++;
        }
    }
    return n;
}

/* An upper bound of the events one transition can queue: one per ack plus
   a few per socket plus a few for the connection. */
static size_t event_bound(const sio_client *c)
{
    return c->nacks + 3 * c->nsocks + 4;
}

/* Forgets the events held for `s` (its connection is gone or it is dead). */
static void held_clear(sio_client *c, cl_socket *s)
{
    c->held_total -= s->nheld;
    s->nheld = 0;
}

static void socket_free(sio_client *c, cl_socket *s)
{
    held_clear(c, s);
    mem_free(c, s->held);
    while (s->buf_head != NULL) {
        cl_packet *p = s->buf_head;
        s->buf_head = p->next;
        packet_free(c, p);
    }
    str_clear(c, &s->nsp);
    str_clear(c, &s->query);
    str_clear(c, &s->auth);
    str_clear(c, &s->sid);
    str_clear(c, &s->pid);
    str_clear(c, &s->offset);
    mem_free(c, s);
}

/*
 * Every entry point that changes the machine starts here: the actions and
 * events handed out by the previous call die now (their pointers were
 * valid until this call), and once every event was drained, dead sockets
 * (whose namespace events pointed at) and the arena go too.
 */
static eio_time begin(sio_client *c, eio_time now)
{
    for (size_t i = 0; i < c->acts_read; i++) {
        msgs_free(c, c->acts[i].msg);
    }
    if (c->acts_read > 0) {
        memmove(c->acts, c->acts + c->acts_read, (c->nacts - c->acts_read) * sizeof(cl_action));
        c->nacts -= c->acts_read;
        c->acts_read = 0;
    }
    if (c->evs_read > 0) {
        memmove(c->evs, c->evs + c->evs_read, (c->nevs - c->evs_read) * sizeof(sio_event));
        c->nevs -= c->evs_read;
        c->evs_read = 0;
    }
    if (c->nevs == 0) {
        size_t keep = 0;
        for (size_t i = 0; i < c->nsocks; i++) {
            if (c->socks[i]->state == SOCK_DEAD) {
                socket_free(c, c->socks[i]);
            } else {
                c->socks[keep++] = c->socks[i];
            }
        }
        c->nsocks = keep;
        if (!sio_decoder_pending(&c->dec) && c->held_total == 0) {
            eio_arena_reset(&c->arena);
        }
    }
    if (now < c->last_now) {
        now = c->last_now; /* a clock stepping back never fires a deadline early */
    }
    c->last_now = now;
    return now;
}

/*
 * The start of the calls that take application data to send (emit, ack):
 * only the clock. Nothing handed out earlier is released, so the data may
 * point into this machine's own events (an echo, an ack with the event's
 * arguments); the next other call releases it.
 */
static eio_time begin_output(sio_client *c, eio_time now)
{
    if (now < c->last_now) {
        now = c->last_now;
    }
    c->last_now = now;
    return now;
}

static eio_time deadline_after(eio_time now, uint64_t ms)
{
    return ms >= EIO_TIME_NEVER - 1 - now ? EIO_TIME_NEVER - 1 : now + ms;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                   */
/* ------------------------------------------------------------------------ */

static cl_socket *find_socket(const sio_client *c, uint32_t handle)
{
    for (size_t i = 0; i < c->nsocks; i++) {
        if (c->socks[i]->handle == handle && c->socks[i]->state != SOCK_DEAD) {
            return c->socks[i];
        }
    }
    return NULL;
}

static bool nsp_is(const cl_socket *s, eio_slice nsp)
{
    if (nsp.ptr == NULL || nsp.len == 0) {
        return s->nsp.len == 1 && s->nsp.ptr[0] == '/';
    }
    return s->nsp.len == nsp.len && memcmp(s->nsp.ptr, nsp.ptr, nsp.len) == 0;
}

static cl_socket *find_nsp(const sio_client *c, eio_slice nsp)
{
    for (size_t i = 0; i < c->nsocks; i++) {
        if (c->socks[i]->state != SOCK_DEAD && nsp_is(c->socks[i], nsp)) {
            return c->socks[i];
        }
    }
    return NULL;
}

static cl_ack *find_ack(const sio_client *c, uint32_t socket, uint64_t id)
{
    for (size_t i = 0; i < c->nacks; i++) {
        if (c->acks[i].socket == socket && c->acks[i].id == id) {
            return &c->acks[i];
        }
    }
    return NULL;
}

/* Removal keeps emit order, which is the order timeouts are reported in. */
static void remove_ack(sio_client *c, cl_ack *a)
{
    size_t i = (size_t)(a - c->acks);
    memmove(a, a + 1, (c->nacks - i - 1) * sizeof(cl_ack));
    c->nacks--;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

static cl_msg *msg_new(sio_client *c, size_t len, bool binary)
{
    if (len > SIZE_MAX - sizeof(cl_msg)) {
        return NULL;
    }
    cl_msg *m = mem_alloc(c, sizeof(cl_msg) + len);
    if (m != NULL) {
        m->next = NULL;
        m->binary = binary;
        m->len = len;
    }
    return m;
}

/* What the codec says about a packet the application built is the
   application's mistake, reported as one code. */
static int encode_error(int rc)
{
    return rc == EIO_ERR_NOMEM ? rc : EIO_ERR_INVALID_ARGUMENT;
}

/*
 * Encodes `p` at call time into owned messages: the text packet and one
 * binary message per attachment (JSON parser), or one msgpack message.
 * Attachment bytes are copied, so the caller's tree may go right after.
 */
static int encode_packet(sio_client *c, const sio_packet *p, cl_msg **out, size_t *count,
                         size_t *bytes)
{
    size_t len = 0;
    int rc;
    bool msgpack = c->opt.parser == SIO_PARSER_MSGPACK;
    if (msgpack) {
        rc = sio_msgpack_encode(p, NULL, 0, &len);
    } else {
        rc = sio_packet_encode(c->opt.version, p, NULL, 0, &len);
    }
    if (rc != EIO_ERR_BUFFER_TOO_SMALL && rc != 0) {
        return encode_error(rc);
    }
    cl_msg *head = msg_new(c, len, msgpack);
    if (head == NULL) {
        return EIO_ERR_NOMEM;
    }
    rc = msgpack ? sio_msgpack_encode(p, head->data, len, &head->len)
                 : sio_packet_encode(c->opt.version, p, head->data, len, &head->len);
    if (rc != 0) {
        mem_free(c, head);
        return encode_error(rc);
    }
    *count = 1;
    *bytes = head->len;
    if (!msgpack) {
        size_t n = sio_packet_attachments(p, NULL, 0);
        const eio_json **list = NULL;
        if (n > 0) {
            if (n > SIZE_MAX / sizeof(*list) || (list = mem_alloc(c, n * sizeof(*list))) == NULL) {
                mem_free(c, head);
                return EIO_ERR_NOMEM;
            }
            (void)sio_packet_attachments(p, list, n);
        }
        cl_msg *tail = head;
        for (size_t i = 0; i < n; i++) {
            cl_msg *m = msg_new(c, list[i]->u.str.len, true);
            if (m == NULL) {
                mem_free(c, list);
                msgs_free(c, head);
                return EIO_ERR_NOMEM;
            }
            if (m->len > 0) {
                memcpy(m->data, list[i]->u.str.ptr, m->len);
            }
            tail->next = m;
            tail = m;
            *bytes += m->len;
            (*count)++;
        }
        mem_free(c, list);
    }
    *out = head;
    return 0;
}

static void packet_init(sio_packet *p, const cl_socket *s, sio_packet_type type)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    p->nsp.ptr = (const uint8_t *)s->nsp.ptr;
    p->nsp.len = s->nsp.len;
}

/* The CONNECT packet for `s`. With a recovery id known (v5), the payload is
   built as the reference's Object.assign({pid, offset}, auth): pid and
   offset first, then auth's members, an auth member of the same name
   replacing the value in place. */
static int encode_connect(sio_client *c, const cl_socket *s, eio_arena *scratch, cl_msg **out,
                          size_t *count, size_t *bytes)
{
    sio_packet p;
    packet_init(&p, s, SIO_PACKET_CONNECT);
    p.query.ptr = (const uint8_t *)s->query.ptr;
    p.query.len = s->query.len;
    eio_json *auth = NULL;
    if (s->auth.ptr != NULL && eio_json_parse((const uint8_t *)s->auth.ptr, s->auth.len, NULL,
                                              scratch, &auth, NULL) != 0) {
        return EIO_ERR_NOMEM; /* the text was written by us: only memory can fail */
    }
    p.data = auth;
    if (auth == NULL && c->opt.parser == SIO_PARSER_MSGPACK) {
        /* the reference sends `data: undefined`, which notepack writes */
        if ((p.data = eio_json_new_undefined(scratch)) == NULL) {
            return EIO_ERR_NOMEM;
        }
    }
    if (s->pid.ptr != NULL) {
        eio_json *o = eio_json_new_object(scratch);
        eio_json *pid = eio_json_new_string(scratch, s->pid.ptr, s->pid.len);
        if (o == NULL || pid == NULL || eio_json_put(scratch, o, "pid", 3, pid) != 0) {
            return EIO_ERR_NOMEM;
        }
        /* no offset yet: undefined, which JSON leaves out and msgpack keeps */
        eio_json *off = s->offset.ptr != NULL
                            ? eio_json_new_string(scratch, s->offset.ptr, s->offset.len)
                            : eio_json_new_undefined(scratch);
        if (off == NULL || eio_json_put(scratch, o, "offset", 6, off) != 0) {
            return EIO_ERR_NOMEM;
        }
        for (eio_json *m = auth != NULL ? auth->u.c.first : NULL; m != NULL;) {
            eio_json *next = m->next;
            eio_json *same = NULL;
            for (eio_json *k = o->u.c.first; k != NULL; k = k->next) {
                if (k->key_len == m->key_len && memcmp(k->key, m->key, m->key_len) == 0) {
                    same = k;
                }
            }
            if (same != NULL) {
                /* keep the position, take the value */
                eio_json *keep_next = same->next;
                const char *key = same->key;
                uint32_t key_len = same->key_len;
                *same = *m;
                same->key = key;
                same->key_len = key_len;
                same->next = keep_next;
            } else {
                m->next = NULL;
                if (eio_json_put(scratch, o, m->key, m->key_len, m) != 0) {
                    return EIO_ERR_NOMEM;
                }
            }
            m = next;
        }
        p.data = o;
    }
    return encode_packet(c, &p, out, count, bytes);
}

/* Sends the CONNECT for `s` now. v4 sends none for "/": the server
   connects the main namespace by itself. */
static int send_connect(sio_client *c, cl_socket *s)
{
    if (c->opt.version == SIO_V4 && s->nsp.len == 1) {
        return 0;
    }
    eio_arena scratch;
    eio_arena_init(&scratch, &c->mem, 0, 0);
    cl_msg *m = NULL;
    size_t count = 0, bytes = 0;
    int rc = encode_connect(c, s, &scratch, &m, &count, &bytes);
    eio_arena_destroy(&scratch);
    if (rc == 0) {
        rc = reserve(c, count, 0);
        if (rc == 0) {
            push_msgs(c, m);
        } else {
            msgs_free(c, m);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Socket transitions                                                        */
/* ------------------------------------------------------------------------ */

/* Reports every ack of `s` as timed out with `reason` (only those already
   sent unless `all`: buffered ones are still to be sent after a
   reconnection). */
static void time_out_acks(sio_client *c, const cl_socket *s, sio_disconnect_reason reason, bool all)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->nacks; i++) {
        cl_ack a = c->acks[i];
        if (a.socket == s->handle && (all || !a.buffered)) {
            sio_event *e = push_event(c, SIO_EVENT_ACK_TIMEOUT, s);
            e->has_id = true;
            e->id = a.id;
            e->reason = reason;
        } else {
            c->acks[keep++] = a;
        }
    }
    c->nacks = keep;
}

static void drop_buffer(sio_client *c, cl_socket *s)
{
    while (s->buf_head != NULL) {
        cl_packet *p = s->buf_head;
        s->buf_head = p->next;
        c->buffered_bytes -= p->bytes;
        packet_free(c, p);
    }
    s->buf_tail = NULL;
}

/* The socket is gone for good: its acks time out first, so that nothing
   mentions it after its last event (which the caller queues). Its strings
   stay until begin() frees the dead socket, because events not drained yet
   (a CONNECT's sid, a namespace) may still point at them. */
static void socket_kill(sio_client *c, cl_socket *s, sio_disconnect_reason reason)
{
    time_out_acks(c, s, reason, true);
    drop_buffer(c, s);
    held_clear(c, s);
    s->state = SOCK_DEAD;
}

/* Moves the socket's send buffer to the action queue, in emit order. */
static void flush_buffer(sio_client *c, cl_socket *s)
{
    for (cl_packet *p = s->buf_head; p != NULL; p = p->next) {
        if (p->has_ack) {
            cl_ack *a = find_ack(c, s->handle, p->ack_id);
            if (a != NULL) {
                a->buffered = false;
            }
        }
        push_msgs(c, p->msgs);
        p->msgs = NULL;
    }
    drop_buffer(c, s);
}

static size_t buffered_msgs(const cl_socket *s)
{
    size_t n = 0;
    for (const cl_packet *p = s->buf_head; p != NULL; p = p->next) {
        n += p->count;
    }
    return n;
}

/* No socket left: the reference client closes the Engine.IO connection
   (Manager._destroy), and stops any reconnection. */
static void close_if_unused(sio_client *c)
{
    if (live_sockets(c) > 0) {
        return;
    }
    if (c->conn == CONN_OPEN || c->conn == CONN_OPENING) {
        push_eio_close(c);
        sio_decoder_reset(&c->dec);
    }
    c->conn = CONN_IDLE;
    c->conn_deadline = EIO_TIME_NEVER;
    c->reconnecting = false;
    c->attempts = 0;
}

static int deliver_event(sio_client *c, cl_socket *s, const eio_json *data, bool has_id,
                         uint64_t id);

/* The server's CONNECT answer for `s` arrived. */
static int on_connect(sio_client *c, cl_socket *s, const sio_packet *p)
{
    if (s->state != SOCK_CONNECTING) {
        return 0; /* already connected: a repeated answer changes nothing */
    }
    int rc = reserve(c, buffered_msgs(s), 2 + s->nheld);
    if (rc != 0) {
        return rc;
    }
    cl_str sid = {NULL, 0}, pid = {NULL, 0};
    const eio_json *jpid = NULL;
    if (c->opt.version == SIO_V5) {
        const eio_json *jsid = p->data ? eio_json_get(p->data, "sid", 3) : NULL;
        if (jsid == NULL || jsid->type != EIO_JSON_STRING || jsid->u.str.len == 0) {
            /* a v2 server answering a v3+ client: the reference reports it
               as a connect error and keeps waiting */
            static const char msg[] = "It seems you are trying to reach a Socket.IO server in "
                                      "v2.x with a v3.x client, but they are not compatible";
            sio_event *e = push_event(c, SIO_EVENT_CONNECT_ERROR, s);
            e->data = eio_json_new_string(&c->arena, msg, sizeof msg - 1);
            return 0;
        }
        jpid = eio_json_get(p->data, "pid", 3);
        if (jpid != NULL && jpid->type != EIO_JSON_STRING) {
            jpid = NULL;
        }
        if (str_set(c, &sid, jsid->u.str.ptr, jsid->u.str.len) != 0 ||
            (jpid != NULL && str_set(c, &pid, jpid->u.str.ptr, jpid->u.str.len) != 0)) {
            str_clear(c, &sid);
            return EIO_ERR_NOMEM;
        }
    } else if (str_set(c, &sid, "", 0) != 0) {
        return EIO_ERR_NOMEM; /* v4 carries no id: see docs */
    }
    bool recovered = jpid != NULL && s->pid.ptr != NULL && s->pid.len == pid.len &&
                     memcmp(s->pid.ptr, pid.ptr, pid.len) == 0;
    str_clear(c, &s->sid);
    s->sid = sid;
    str_clear(c, &s->pid);
    s->pid = pid; /* as the reference: a CONNECT without pid forgets it */
    s->state = SOCK_CONNECTED;
    flush_buffer(c, s);
    if (recovered) {
        push_event(c, SIO_EVENT_RECOVERED, s);
    }
    sio_event *e = push_event(c, SIO_EVENT_CONNECT, s);
    e->sid = s->sid.ptr;
    /* Events that came before the answer follow it, in order (a server
       replaying missed packets writes them before its CONNECT answer). A
       failed offset copy only loses the recovery offset, never an event. */
    for (size_t i = 0; i < s->nheld; i++) {
        (void)deliver_event(c, s, s->held[i].data, s->held[i].has_id, s->held[i].id);
    }
    held_clear(c, s);
    return 0;
}

/* Queues an EVENT for the connected socket `s`; the caller reserved room. */
static int deliver_event(sio_client *c, cl_socket *s, const eio_json *data, bool has_id,
                         uint64_t id)
{
    int rc = 0;
    /* Recovery offset, as the reference: the last argument when it is a
       string, which it is not for events wanting an ack (the reference
       appends the callback). That may be the event name itself. */
    if (s->pid.ptr != NULL && !has_id && data != NULL && data->u.c.last != NULL &&
        data->u.c.last->type == EIO_JSON_STRING) {
        const eio_json *last = data->u.c.last;
        rc = str_set(c, &s->offset, last->u.str.ptr, last->u.str.len);
    }
    sio_event *e = push_event(c, SIO_EVENT_EVENT, s);
    e->data = data;
    e->has_id = has_id;
    e->id = id;
    return rc;
}

static int on_event(sio_client *c, cl_socket *s, const sio_packet *p)
{
    if (s->state == SOCK_CONNECTING && c->conn == CONN_OPEN) {
        /* Before the CONNECT answer: held for it, as the reference does. */
        if (s->nheld >= c->opt.max_held_events) {
            return 0; /* over the limit: dropped (see docs) */
        }
        int rc = grow(c, (void **)&s->held, &s->cap_held, s->nheld + 1, sizeof(cl_held));
        if (rc != 0) {
            return rc;
        }
        s->held[s->nheld].data = p->data;
        s->held[s->nheld].has_id = p->has_id;
        s->held[s->nheld].id = p->id;
        s->nheld++;
        c->held_total++;
        return 0;
    }
    if (s->state != SOCK_CONNECTED) {
        return 0;
    }
    int rc = reserve(c, 0, 1);
    if (rc != 0) {
        return rc;
    }
    if (deliver_event(c, s, p->data, p->has_id, p->id) != 0) {
        return EIO_ERR_NOMEM;
    }
    return 0;
}

static int on_ack(sio_client *c, cl_socket *s, const sio_packet *p)
{
    cl_ack *a = p->has_id ? find_ack(c, s->handle, p->id) : NULL;
    if (a == NULL) {
        return 0; /* unknown or already timed out: ignored, as the reference */
    }
    int rc = reserve(c, 0, 1);
    if (rc != 0) {
        return rc;
    }
    remove_ack(c, a);
    sio_event *e = push_event(c, SIO_EVENT_ACK, s);
    e->data = p->data;
    e->has_id = true;
    e->id = p->id;
    return 0;
}

static int on_disconnect(sio_client *c, cl_socket *s)
{
    int rc = reserve(c, 1, event_bound(c));
    if (rc != 0) {
        return rc;
    }
    socket_kill(c, s, SIO_DISCONNECT_SERVER);
    push_event(c, SIO_EVENT_DISCONNECT, s)->reason = SIO_DISCONNECT_SERVER;
    close_if_unused(c);
    return 0;
}

static int on_connect_error(sio_client *c, cl_socket *s, const sio_packet *p)
{
    if (s->state != SOCK_CONNECTING) {
        return 0; /* only an answer to our CONNECT means anything */
    }
    int rc = reserve(c, 1, event_bound(c));
    if (rc != 0) {
        return rc;
    }
    socket_kill(c, s, SIO_DISCONNECT_SERVER);
    push_event(c, SIO_EVENT_CONNECT_ERROR, s)->data = p->data;
    close_if_unused(c);
    return 0;
}

static int dispatch(sio_client *c, const sio_packet *p)
{
    cl_socket *s = find_nsp(c, p->nsp);
    if (c->opt.version == SIO_V4 && p->type == SIO_PACKET_CONNECT &&
        (p->nsp.len == 0 || (p->nsp.len == 1 && p->nsp.ptr[0] == '/'))) {
        c->v4_root_open = true; /* for a "/" socket asked for later */
    }
    if (s == NULL) {
        return 0; /* nobody asked for that namespace: dropped, as the reference */
    }
    switch (p->type) {
    case SIO_PACKET_CONNECT: return on_connect(c, s, p);
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT: return on_event(c, s, p);
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK: return on_ack(c, s, p);
    case SIO_PACKET_DISCONNECT: return on_disconnect(c, s);
    case SIO_PACKET_CONNECT_ERROR: return on_connect_error(c, s, p);
    default: return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Connection transitions                                                    */
/* ------------------------------------------------------------------------ */

static void start_open(sio_client *c, eio_time now)
{
    push_action(c, SIO_ACTION_EIO_OPEN, NULL);
    c->conn = CONN_OPENING;
    c->conn_deadline = c->opt.open_timeout ? deadline_after(now, c->opt.open_timeout)
                                           : EIO_TIME_NEVER;
}

/* Every live socket is gone with `reason`; its last event is queued by the
   caller's choice (`last`). */
static void kill_all(sio_client *c, sio_disconnect_reason reason)
{
    for (size_t i = 0; i < c->nsocks; i++) {
        if (c->socks[i]->state != SOCK_DEAD) {
            socket_kill(c, c->socks[i], reason);
        }
    }
}

/* The reference's Manager.reconnect: the next delay, or the end of it. */
static void schedule_reconnect(sio_client *c, eio_time now)
{
    if (c->opt.reconnection_attempts != 0 && c->attempts >= c->opt.reconnection_attempts) {
        kill_all(c, c->loss_reason);
        push_event(c, SIO_EVENT_RECONNECT_FAILED, NULL);
        c->conn = CONN_IDLE;
        c->conn_deadline = EIO_TIME_NEVER;
        c->reconnecting = false;
        c->attempts = 0;
        return;
    }
    double r = 0.0;
    if (c->opt.random != NULL) {
        r = c->opt.random(c->opt.random_user_data);
    }
    uint32_t delay = sio_backoff_delay(c->opt.reconnection_delay, c->opt.reconnection_delay_max,
                                       c->opt.randomization_factor, c->attempts, r);
    if (c->attempts < UINT32_MAX) {
        c->attempts++;
    }
    c->conn = CONN_WAITING;
    c->conn_deadline = deadline_after(now, delay);
    c->reconnecting = true;
}

/* The open Engine.IO connection is gone (not asked for by us). */
static void connection_lost(sio_client *c, sio_disconnect_reason reason, eio_time now)
{
    sio_decoder_reset(&c->dec);
    c->conn = CONN_IDLE;
    c->conn_deadline = EIO_TIME_NEVER;
    c->loss_reason = reason;
    c->reconnecting = false;
    c->attempts = 0; /* the reference resets its backoff on every close */
    bool again = c->opt.reconnection && live_sockets(c) > 0;
    for (size_t i = 0; i < c->nsocks; i++) {
        cl_socket *s = c->socks[i];
        if (s->state == SOCK_DEAD) {
            continue;
        }
        if (again) {
            time_out_acks(c, s, reason, false);
            str_clear(c, &s->sid);
            held_clear(c, s);
            s->state = SOCK_CONNECTING;
        } else {
            socket_kill(c, s, reason);
        }
        push_event(c, SIO_EVENT_DISCONNECT, s)->reason = reason;
    }
    if (again) {
        schedule_reconnect(c, now);
    }
}

/* An open (first or reconnection) failed. Every waiting socket hears it
   as a connect error with `reason` set, as the reference emits
   connect_error to its sockets on each failed open. */
static void open_failed(sio_client *c, sio_disconnect_reason reason, const char *msg,
                        eio_time now)
{
    sio_decoder_reset(&c->dec);
    c->conn = CONN_IDLE;
    c->conn_deadline = EIO_TIME_NEVER;
    c->loss_reason = reason;
    bool again = c->opt.reconnection && live_sockets(c) > 0;
    for (size_t i = 0; i < c->nsocks; i++) {
        cl_socket *s = c->socks[i];
        if (s->state == SOCK_DEAD) {
            continue;
        }
        if (!again) {
            socket_kill(c, s, reason);
        }
        sio_event *e = push_event(c, SIO_EVENT_CONNECT_ERROR, s);
        e->reason = reason;
        e->data = eio_json_new_string(&c->arena, msg, strlen(msg));
    }
    if (again) {
        schedule_reconnect(c, now);
    } else {
        c->reconnecting = false;
        c->attempts = 0;
    }
}

/* A decode failure breaks the connection ("parse error"). */
static void parse_error(sio_client *c, eio_time now)
{
    push_eio_close(c);
    connection_lost(c, SIO_DISCONNECT_PARSE_ERROR, now);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

void sio_client_options_default(sio_client_options *o)
{
    if (o == NULL) {
        return;
    }
    memset(o, 0, sizeof *o);
    o->version = SIO_V5;
    o->parser = SIO_PARSER_JSON;
    o->reconnection = true;
    o->reconnection_attempts = 0;
    o->reconnection_delay = 1000;
    o->reconnection_delay_max = 5000;
    o->randomization_factor = 0.5;
    o->open_timeout = 20000;
    o->ack_timeout = 0;
    o->max_buffered = 1000000;
    o->max_pending_acks = 10000;
    o->max_held_events = 1000;
    sio_limits_default(&o->limits);
}

static void *mem_default_malloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *mem_default_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void mem_default_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

int sio_client_new(sio_client **out, const sio_client_options *opt, const eio_mem *mem)
{
    if (out == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    sio_client_options o;
    if (opt != NULL) {
        o = *opt;
    } else {
        sio_client_options_default(&o);
    }
    if ((o.version != SIO_V4 && o.version != SIO_V5) ||
        (o.parser != SIO_PARSER_JSON && o.parser != SIO_PARSER_MSGPACK) ||
        (o.parser == SIO_PARSER_MSGPACK && o.version != SIO_V5)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    /* The jitter is only drawn when the reference would use it. */
    if (o.reconnection && o.randomization_factor > 0.0 && o.randomization_factor <= 1.0 &&
        o.random == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (o.parser == SIO_PARSER_MSGPACK && !sio_msgpack_available()) {
        return EIO_ERR_UNSUPPORTED;
    }
    eio_mem m;
    if (mem != NULL && mem->malloc != NULL && mem->free != NULL) {
        m = *mem;
    } else {
        m.malloc = mem_default_malloc;
        m.realloc = mem_default_realloc;
        m.free = mem_default_free;
        m.user_data = NULL;
    }
    sio_client *c = m.malloc(sizeof *c, m.user_data);
    if (c == NULL) {
        return EIO_ERR_NOMEM;
    }
    memset(c, 0, sizeof *c);
    c->mem = m;
    c->opt = o;
    c->next_handle = 1;
    c->conn = CONN_IDLE;
    c->conn_deadline = EIO_TIME_NEVER;
    eio_arena_init(&c->arena, &c->mem, 0, 0);
    int rc = sio_decoder_init(&c->dec, o.version, o.parser, &o.limits, &c->arena, 0);
    if (rc != 0) {
        m.free(c, m.user_data);
        return rc;
    }
    *out = c;
    return 0;
}

void sio_client_free(sio_client *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->nsocks; i++) {
        socket_free(c, c->socks[i]);
    }
    for (size_t i = 0; i < c->nacts; i++) {
        msgs_free(c, c->acts[i].msg);
    }
    mem_free(c, c->socks);
    mem_free(c, c->acks);
    mem_free(c, c->acts);
    mem_free(c, c->evs);
    eio_arena_destroy(&c->arena);
    eio_mem m = c->mem;
    m.free(c, m.user_data);
}

/* Whether the auth tree can travel as a CONNECT payload (no binary). */
static bool auth_ok(const eio_json *v, size_t depth)
{
    if (depth > SIO_DEFAULT_MAX_DEPTH) {
        return false;
    }
    if (v->type == EIO_JSON_BINARY) {
        return false;
    }
    if (v->type == EIO_JSON_ARRAY || v->type == EIO_JSON_OBJECT) {
        for (const eio_json *k = v->u.c.first; k != NULL; k = k->next) {
            if (!auth_ok(k, depth + 1)) {
                return false;
            }
        }
    }
    return true;
}

int64_t sio_client_connect(sio_client *c, const char *nsp, const eio_json *auth, eio_time now)
{
    if (c == NULL || (auth != NULL && (auth->type != EIO_JSON_OBJECT || !auth_ok(auth, 0)))) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    /* v4 CONNECT packets carry no payload (a query goes in the namespace). */
    if (auth != NULL && c->opt.version == SIO_V4) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(c, now);
    if (nsp == NULL || nsp[0] == '\0') {
        nsp = "/";
    }
    if (nsp[0] != '/' || c->next_handle == 0) {
        return nsp[0] != '/' ? EIO_ERR_INVALID_ARGUMENT : EIO_ERR_LIMIT;
    }
    size_t len = strlen(nsp), qpos = len;
    if (c->opt.version == SIO_V4) {
        const char *q = strchr(nsp, '?');
        qpos = q ? (size_t)(q - nsp) : len;
    }
    eio_slice name = {(const uint8_t *)nsp, qpos};
    if (find_nsp(c, name) != NULL) {
        return EIO_ERR_INVALID_ARGUMENT; /* one socket per namespace */
    }
    int rc = grow(c, (void **)&c->socks, &c->cap_socks, c->nsocks + 1, sizeof(cl_socket *));
    if (rc == 0) {
        rc = reserve(c, 1, 2);
    }
    if (rc != 0) {
        return rc;
    }
    cl_socket *s = mem_alloc(c, sizeof *s);
    if (s == NULL) {
        return EIO_ERR_NOMEM;
    }
    memset(s, 0, sizeof *s);
    s->state = SOCK_CONNECTING;
    rc = str_set(c, &s->nsp, nsp, qpos);
    if (rc == 0 && qpos < len) {
        rc = str_set(c, &s->query, nsp + qpos + 1, len - qpos - 1);
    }
    if (rc == 0 && auth != NULL) {
        /* kept as text: the caller's tree may go once we return */
        size_t n = eio_json_write(auth, NULL, 0);
        s->auth.ptr = mem_alloc(c, n + 1);
        if (s->auth.ptr == NULL) {
            rc = EIO_ERR_NOMEM;
        } else {
            s->auth.len = eio_json_write(auth, s->auth.ptr, n);
            s->auth.ptr[n] = '\0';
        }
    }
    if (rc == 0) {
        /* a trial encoding rejects a namespace the wire cannot carry now,
           rather than when the session opens */
        eio_arena scratch;
        eio_arena_init(&scratch, &c->mem, 0, 0);
        cl_msg *m = NULL;
        size_t count = 0, bytes = 0;
        rc = encode_connect(c, s, &scratch, &m, &count, &bytes);
        eio_arena_destroy(&scratch);
        msgs_free(c, m);
    }
    if (rc != 0) {
        socket_free(c, s);
        return rc;
    }
    if (c->conn == CONN_OPEN) {
        /* a CONNECT encoded a moment ago cannot fail but for memory */
        rc = send_connect(c, s);
        if (rc != 0) {
            socket_free(c, s);
            return rc;
        }
    }
    s->handle = c->next_handle++;
    c->socks[c->nsocks++] = s;
    if (c->conn == CONN_IDLE) {
        c->reconnecting = false;
        c->attempts = 0;
        start_open(c, now);
    } else if (c->conn == CONN_OPEN && c->opt.version == SIO_V4 && s->nsp.len == 1 &&
               c->v4_root_open) {
        /* v4: the server connected "/" when the session opened */
        sio_packet p;
        packet_init(&p, s, SIO_PACKET_CONNECT);
        rc = on_connect(c, s, &p);
        if (rc != 0) {
            s->state = SOCK_DEAD;
            return rc;
        }
    }
    return s->handle;
}

int64_t sio_client_emit(sio_client *c, uint32_t socket, const eio_json *args, unsigned flags,
                        uint32_t timeout, eio_time now)
{
    if (c == NULL || args == NULL || args->type != EIO_JSON_ARRAY) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin_output(c, now);
    cl_socket *s = find_socket(c, socket);
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    bool want_ack = (flags & SIO_EMIT_ACK) != 0;
    bool connected = s->state == SOCK_CONNECTED;
    if (want_ack && (c->nacks >= c->opt.max_pending_acks || s->next_ack_id > SIO_MAX_ACK_ID)) {
        return EIO_ERR_LIMIT;
    }
    sio_packet p;
    packet_init(&p, s, SIO_PACKET_EVENT);
    p.has_id = want_ack;
    p.id = s->next_ack_id;
    p.data = (eio_json *)(uintptr_t)args; /* the encoder only reads it */
    cl_msg *m = NULL;
    size_t count = 0, bytes = 0;
    int rc = encode_packet(c, &p, &m, &count, &bytes);
    if (rc != 0) {
        return rc;
    }
    bool dropped = !connected && (flags & SIO_EMIT_VOLATILE) != 0;
    if (!connected && !dropped && bytes > c->opt.max_buffered - c->buffered_bytes) {
        msgs_free(c, m);
        return EIO_ERR_LIMIT;
    }
    cl_packet *bp = NULL;
    rc = reserve(c, connected ? count : 0, 1);
    if (rc == 0 && want_ack) {
        rc = grow(c, (void **)&c->acks, &c->cap_acks, c->nacks + 1, sizeof(cl_ack));
    }
    if (rc == 0 && !connected && !dropped && (bp = mem_alloc(c, sizeof *bp)) == NULL) {
        rc = EIO_ERR_NOMEM;
    }
    if (rc != 0) {
        msgs_free(c, m);
        return rc;
    }
    uint64_t id = 0;
    if (want_ack) {
        id = s->next_ack_id++;
    }
    if (dropped) {
        msgs_free(c, m);
        if (want_ack) {
            /* an ack for a packet never sent would never come */
            sio_event *e = push_event(c, SIO_EVENT_ACK_TIMEOUT, s);
            e->has_id = true;
            e->id = id;
        }
        return (int64_t)id;
    }
    if (connected) {
        push_msgs(c, m);
    } else {
        bp->next = NULL;
        bp->has_ack = want_ack;
        bp->ack_id = id;
        bp->bytes = bytes;
        bp->count = count;
        bp->msgs = m;
        if (s->buf_tail != NULL) {
            s->buf_tail->next = bp;
        } else {
            s->buf_head = bp;
        }
        s->buf_tail = bp;
        c->buffered_bytes += bytes;
    }
    if (want_ack) {
        uint32_t t = timeout ? timeout : c->opt.ack_timeout;
        cl_ack *a = &c->acks[c->nacks++];
        a->socket = s->handle;
        a->id = id;
        a->deadline = t ? deadline_after(now, t) : EIO_TIME_NEVER;
        a->buffered = !connected;
    }
    return (int64_t)id;
}

int sio_client_ack(sio_client *c, uint32_t socket, uint64_t id, const eio_json *args,
                   eio_time now)
{
    if (c == NULL || (args != NULL && args->type != EIO_JSON_ARRAY) || id > SIO_MAX_ACK_ID) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)begin_output(c, now);
    cl_socket *s = find_socket(c, socket);
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (s->state != SOCK_CONNECTED) {
        return 0; /* the id belonged to a connection that is gone */
    }
    eio_json empty;
    if (args == NULL) {
        memset(&empty, 0, sizeof empty);
        empty.type = EIO_JSON_ARRAY;
        args = &empty;
    }
    sio_packet p;
    packet_init(&p, s, SIO_PACKET_ACK);
    p.has_id = true;
    p.id = id;
    p.data = (eio_json *)(uintptr_t)args;
    cl_msg *m = NULL;
    size_t count = 0, bytes = 0;
    int rc = encode_packet(c, &p, &m, &count, &bytes);
    if (rc == 0) {
        rc = reserve(c, count, 0);
        if (rc == 0) {
            push_msgs(c, m);
        } else {
            msgs_free(c, m);
        }
    }
    return rc;
}

int sio_client_disconnect(sio_client *c, uint32_t socket, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)begin(c, now);
    cl_socket *s = find_socket(c, socket);
    if (s == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    int rc = reserve(c, 2, event_bound(c));
    if (rc != 0) {
        return rc;
    }
    bool was_connected = s->state == SOCK_CONNECTED;
    if (was_connected) {
        sio_packet p;
        packet_init(&p, s, SIO_PACKET_DISCONNECT);
        cl_msg *m = NULL;
        size_t count = 0, bytes = 0;
        rc = encode_packet(c, &p, &m, &count, &bytes);
        if (rc != 0) {
            return rc;
        }
        push_msgs(c, m);
    }
    socket_kill(c, s, SIO_DISCONNECT_CLIENT);
    if (was_connected) {
        /* as the reference, only a connected socket reports a disconnect */
        push_event(c, SIO_EVENT_DISCONNECT, s)->reason = SIO_DISCONNECT_CLIENT;
    }
    close_if_unused(c);
    return 0;
}

int sio_client_close(sio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)begin(c, now);
    /* Encode every DISCONNECT first so that nothing changes if memory runs out. */
    cl_msg *all = NULL, **tail = &all;
    size_t nmsgs = 0;
    int rc = 0;
    for (size_t i = 0; i < c->nsocks && rc == 0; i++) {
        cl_socket *s = c->socks[i];
        if (s->state == SOCK_CONNECTED) {
            sio_packet p;
            packet_init(&p, s, SIO_PACKET_DISCONNECT);
            size_t count = 0, bytes = 0;
            rc = encode_packet(c, &p, tail, &count, &bytes);
            if (rc == 0) {
                nmsgs += count;
                while (*tail != NULL) {
                    tail = &(*tail)->next;
                }
            }
        }
    }
    if (rc == 0) {
        rc = reserve(c, nmsgs + 1, event_bound(c));
    }
    if (rc != 0) {
        msgs_free(c, all);
        return rc;
    }
    push_msgs(c, all);
    for (size_t i = 0; i < c->nsocks; i++) {
        cl_socket *s = c->socks[i];
        if (s->state != SOCK_DEAD) {
            socket_kill(c, s, SIO_DISCONNECT_FORCED_CLOSE);
            push_event(c, SIO_EVENT_DISCONNECT, s)->reason = SIO_DISCONNECT_FORCED_CLOSE;
        }
    }
    close_if_unused(c);
    return 0;
}

int sio_client_eio_open(sio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    (void)begin(c, now);
    if (c->conn != CONN_OPENING) {
        return 0; /* not asked for (or already given up on): ignored */
    }
    int rc = reserve(c, 0, 1);
    if (rc != 0) {
        return rc;
    }
    c->conn = CONN_OPEN;
    c->conn_deadline = EIO_TIME_NEVER;
    c->v4_root_open = false;
    sio_decoder_reset(&c->dec);
    if (c->reconnecting) {
        push_event(c, SIO_EVENT_RECONNECT, NULL)->attempt = c->attempts;
        c->reconnecting = false;
    }
    c->attempts = 0;
    /* Every socket waiting (first connection or reconnection) asks now. */
    for (size_t i = 0; i < c->nsocks; i++) {
        cl_socket *s = c->socks[i];
        if (s->state == SOCK_CONNECTING) {
            int r = send_connect(c, s);
            if (r != 0) {
                rc = r;
            }
        }
    }
    return rc;
}

int sio_client_eio_message(sio_client *c, const uint8_t *data, size_t len, bool binary,
                           eio_time now)
{
    if (c == NULL || (data == NULL && len > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(c, now);
    if (c->conn != CONN_OPEN) {
        return 0; /* a late message of a connection we gave up: ignored */
    }
    /* The decoder's tree points into the message, and a binary packet's
       text comes calls before its attachments: keep a copy in the arena,
       which lives until the packet's events are drained. */
    uint8_t *copy = eio_arena_alloc(&c->arena, len ? len : 1);
    if (copy == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (len > 0) {
        memcpy(copy, data, len);
    }
    sio_packet p;
    eio_errinfo err;
    int rc = sio_decoder_feed(&c->dec, copy, len, binary, &p, &err);
    if (rc == EIO_ERR_NOMEM) {
        return rc;
    }
    if (rc < 0) {
        rc = reserve(c, 1, event_bound(c));
        if (rc != 0) {
            return rc;
        }
        parse_error(c, now);
        return 0;
    }
    if (rc == SIO_DECODER_NEED_MORE) {
        return 0;
    }
    return dispatch(c, &p);
}

int sio_client_eio_close(sio_client *c, eio_close_reason reason, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(c, now);
    if (c->closes_unreported > 0) {
        c->closes_unreported--; /* the close we asked for */
        return 0;
    }
    if (c->conn != CONN_OPEN && c->conn != CONN_OPENING) {
        return 0;
    }
    int rc = reserve(c, 0, event_bound(c));
    if (rc != 0) {
        return rc;
    }
    sio_disconnect_reason r = sio_disconnect_reason_from_eio(reason);
    if (c->conn == CONN_OPEN) {
        connection_lost(c, r, now);
    } else {
        const char *name = eio_close_reason_name((int)reason);
        open_failed(c, r, name ? name : "transport close", now);
    }
    return 0;
}

int sio_client_next_action(sio_client *c, sio_action *a)
{
    if (c == NULL || a == NULL || c->acts_read >= c->nacts) {
        return 0;
    }
    const cl_action *x = &c->acts[c->acts_read++];
    memset(a, 0, sizeof *a);
    a->type = x->type;
    if (x->msg != NULL) {
        a->data = x->msg->data;
        a->len = x->msg->len;
        a->binary = x->msg->binary;
    }
    return 1;
}

int sio_client_next_event(sio_client *c, sio_event *e)
{
    if (c == NULL || e == NULL || c->evs_read >= c->nevs) {
        return 0;
    }
    *e = c->evs[c->evs_read++];
    return 1;
}

eio_time sio_client_get_expiry(const sio_client *c)
{
    if (c == NULL) {
        return EIO_TIME_NEVER;
    }
    eio_time t = EIO_TIME_NEVER;
    if (c->conn == CONN_OPENING || c->conn == CONN_WAITING) {
        t = c->conn_deadline;
    }
    for (size_t i = 0; i < c->nacks; i++) {
        if (c->acks[i].deadline < t) {
            t = c->acks[i].deadline;
        }
    }
    return t;
}

/* A timed-out ack whose packet was never sent takes the packet with it
   (the reference removes it from its send buffer). */
static void unbuffer(sio_client *c, cl_socket *s, uint64_t id)
{
    cl_packet **pp = &s->buf_head, *prev = NULL;
    while (*pp != NULL) {
        cl_packet *p = *pp;
        if (p->has_ack && p->ack_id == id) {
            *pp = p->next;
            if (s->buf_tail == p) {
                s->buf_tail = prev;
            }
            c->buffered_bytes -= p->bytes;
            packet_free(c, p);
            return;
        }
        prev = p;
        pp = &p->next;
    }
}

int sio_client_handle_expiry(sio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    now = begin(c, now);
    int rc = reserve(c, 1, event_bound(c));
    if (rc != 0) {
        return rc;
    }
    size_t keep = 0;
    for (size_t i = 0; i < c->nacks; i++) {
        cl_ack a = c->acks[i];
        cl_socket *s = find_socket(c, a.socket);
        if (a.deadline > now || s == NULL) {
            c->acks[keep++] = a;
            continue;
        }
        if (a.buffered) {
            unbuffer(c, s, a.id);
        }
        sio_event *e = push_event(c, SIO_EVENT_ACK_TIMEOUT, s);
        e->has_id = true;
        e->id = a.id;
    }
    c->nacks = keep;
    if (c->conn == CONN_OPENING && c->conn_deadline <= now) {
        /* the reference gives the attempt up and closes the Engine.IO socket */
        push_eio_close(c);
        open_failed(c, SIO_DISCONNECT_TRANSPORT_ERROR, "timeout", now);
    } else if (c->conn == CONN_WAITING && c->conn_deadline <= now) {
        push_event(c, SIO_EVENT_RECONNECT_ATTEMPT, NULL)->attempt = c->attempts;
        start_open(c, now);
    }
    return 0;
}

bool sio_client_connected(const sio_client *c, uint32_t socket)
{
    const cl_socket *s = c ? find_socket(c, socket) : NULL;
    return s != NULL && s->state == SOCK_CONNECTED;
}

sio_socket_state sio_client_socket_state(const sio_client *c, uint32_t socket)
{
    const cl_socket *s = c ? find_socket(c, socket) : NULL;
    if (s == NULL) {
        return SIO_SOCKET_GONE;
    }
    return s->state == SOCK_CONNECTED ? SIO_SOCKET_CONNECTED : SIO_SOCKET_CONNECTING;
}

const char *sio_client_socket_id(const sio_client *c, uint32_t socket)
{
    const cl_socket *s = c ? find_socket(c, socket) : NULL;
    return s != NULL && s->state == SOCK_CONNECTED ? s->sid.ptr : NULL;
}
