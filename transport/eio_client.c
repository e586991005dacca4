/*
 * The Engine.IO client session (sioc/eio_session.h): one session, polling
 * or WebSocket, with the upgrade probe and the heartbeat of either protocol
 * version. docs/session.md describes the behaviour; the comments here say
 * why the code is shaped the way it is.
 *
 * Storage: outgoing packets are copied into a queue (bounded by
 * max_buffered); actions and events wait in two arrays the caller drains.
 * Whatever a drained action or event points to stays alive until the next
 * mutating call, which frees it (release_drained).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eio_internal.h"
#include "sioc/eio_session.h"

/* Where the session is. INIT exists only before eio_client_open; the public
 * state reports it as OPENING. */
typedef enum client_state {
    ST_INIT,
    ST_OPENING,
    ST_OPEN,
    ST_CLOSING,
    ST_CLOSED,
} client_state;

/* Progress of the polling -> WebSocket upgrade. */
typedef enum upgrade_state {
    UPG_NONE,    /* not started (or not wanted) */
    UPG_OPENING, /* WS_OPEN sent, waiting for the WebSocket */
    UPG_PROBING, /* `2probe` sent, waiting for `3probe` */
    UPG_PAUSING, /* `3probe` received: polling drains its GET and POST */
    UPG_DONE,    /* running on the WebSocket */
    UPG_FAILED,  /* the probe failed; polling for good */
} upgrade_state;

/* One queued outgoing packet. `buf` holds one spare byte and then the data,
 * so a WebSocket frame (`<type digit>data`, or the v3 binary type byte) is
 * built in place and the buffer handed to the action without a copy. */
typedef struct out_packet {
    eio_packet_type type;
    bool binary;
    size_t len;
    size_t rec_text; /* bytes as the only packet of a TEXT body */
    size_t rec_bin;  /* v3: bytes as the only packet of a BINARY body */
    uint8_t *buf;
} out_packet;

typedef struct pending_action {
    eio_client_action a;
    void *own; /* freed once drained and the next mutating call starts */
} pending_action;

typedef struct pending_event {
    eio_event e;
    void *own;
} pending_event;

/* Teardown (aborting the GET and the POST, closing both WebSockets) must work
 * when memory is exhausted, so the action array always keeps this many free
 * slots that only teardown may use. */
#define ACTION_RESERVE 4u

struct eio_client {
    eio_mem mem;
    bool has_mem;

    /* options, normalised */
    eio_version version;
    char *path;
    char *query; /* NULL: none */
    char *headers; /* NULL: none */
    bool websocket_only;
    bool upgrade;
    bool timestamp_requests;
    bool supports_binary;
    uint32_t probe_timeout;
    size_t max_buffered;
    eio_limits limits;

    client_state state;
    eio_transport transport;
    upgrade_state upg;
    eio_handshake hs;
    bool have_hs;
    eio_time now; /* the largest `now` seen */
    uint64_t request_counter; /* the `t` parameter */

    uint32_t next_conn;
    uint32_t get_conn;   /* polling GET in flight (the handshake GET too), or 0 */
    uint32_t post_conn;  /* polling POST in flight, or 0 */
    uint32_t ws_conn;    /* the WebSocket transport (websocket-only, or upgraded), or 0 */
    bool ws_opened;      /* ws_conn reported open */
    uint32_t probe_conn; /* the upgrade probe's WebSocket, or 0 */

    /* deadlines; EIO_TIME_NEVER when unarmed */
    eio_time hb_deadline; /* v4: next ping due by; v3: pong (or any packet) due by */
    eio_time ping_at;     /* v3: when to send the next ping */
    eio_time probe_deadline;

    /* outgoing packets not yet handed to a POST or a frame */
    out_packet *q;
    size_t q_head, q_len, q_cap;
    size_t q_bytes;

    pending_action *acts;
    size_t a_head, a_len, a_cap;

    pending_event *evs;
    size_t e_head, e_len, e_cap;

    /* The CLOSE event has its own slot so that closing never allocates. */
    bool close_pending;
    bool close_delivered;
    eio_event close_ev;
};

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

static void *cl_alloc(const eio_client *c, size_t n)
{
    if (n == 0) {
        n = 1;
    }
    if (c->has_mem) {
        return c->mem.malloc(n, c->mem.user_data);
    }
    return malloc(n);
}

static void cl_free(const eio_client *c, void *p)
{
    if (p == NULL) {
        return;
    }
    if (c->has_mem) {
        c->mem.free(p, c->mem.user_data);
    } else {
        free(p);
    }
}

/* Grows an array to hold at least `need` elements (malloc + copy rather than
 * realloc, so an eio_mem without realloc works too). */
static bool grow_array(eio_client *c, void **arr, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap) {
        return true;
    }
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem) {
            return false;
        }
        ncap *= 2;
    }
    void *n = cl_alloc(c, ncap * elem);
    if (n == NULL) {
        return false;
    }
    if (*arr != NULL) {
        memcpy(n, *arr, *cap * elem);
        cl_free(c, *arr);
    }
    *arr = n;
    *cap = ncap;
    return true;
}

static char *dup_str(eio_client *c, const char *s)
{
    size_t n = strlen(s);
    char *d = cl_alloc(c, n + 1);
    if (d != NULL) {
        memcpy(d, s, n + 1);
    }
    return d;
}

/* Frees what drained actions and events pointed to: the header promises it
 * only until the next mutating call. */
static void release_drained(eio_client *c)
{
    for (size_t i = 0; i < c->a_head; i++) {
        cl_free(c, c->acts[i].own);
    }
    if (c->a_head > 0) {
        memmove(c->acts, c->acts + c->a_head, (c->a_len - c->a_head) * sizeof *c->acts);
        c->a_len -= c->a_head;
        c->a_head = 0;
    }
    for (size_t i = 0; i < c->e_head; i++) {
        cl_free(c, c->evs[i].own);
    }
    if (c->e_head > 0) {
        memmove(c->evs, c->evs + c->e_head, (c->e_len - c->e_head) * sizeof *c->evs);
        c->e_len -= c->e_head;
        c->e_head = 0;
    }
}

static void observe_time(eio_client *c, eio_time now)
{
    if (now > c->now) {
        c->now = now;
    }
}

/* Called at the top of every mutating entry point. */
static void enter(eio_client *c, eio_time now)
{
    release_drained(c);
    observe_time(c, now);
}

/* now + ms, saturating: a deadline past the end of time is no deadline. */
static eio_time after(const eio_client *c, uint64_t ms)
{
    return ms >= EIO_TIME_NEVER - c->now ? EIO_TIME_NEVER : c->now + ms;
}

static bool closed(const eio_client *c)
{
    return c->state == ST_CLOSED;
}

static uint32_t new_conn(eio_client *c)
{
    uint32_t id = c->next_conn++;
    if (c->next_conn == 0) {
        c->next_conn = 1; /* 2^32 connections in one session: wrap past 0 */
    }
    return id;
}

/* ------------------------------------------------------------------------ */
/* Closing                                                                   */
/* ------------------------------------------------------------------------ */

/* Teardown actions use the reserved slots, so they cannot fail. */
static void push_teardown(eio_client *c, eio_client_action_type type, uint32_t conn)
{
    if (c->a_len >= c->a_cap) {
        return; /* unreachable: ACTION_RESERVE slots are always free */
    }
    pending_action *pa = &c->acts[c->a_len++];
    memset(pa, 0, sizeof *pa);
    pa->a.type = type;
    pa->a.conn = conn;
}

static void drop_queue(eio_client *c)
{
    for (size_t i = 0; i < c->q_len; i++) {
        cl_free(c, c->q[(c->q_head + i) % c->q_cap].buf);
    }
    c->q_head = c->q_len = 0;
    c->q_bytes = 0;
}

/*
 * Ends the session: abandons every connection still open (unless
 * `keep_post`, for the POST that carries a forced close's `1`), drops what
 * was never sent and posts the CLOSE event. Nothing is produced afterwards.
 */
static void close_session(eio_client *c, eio_close_reason reason, int error, bool keep_post)
{
    if (closed(c)) {
        return;
    }
    if (c->get_conn != 0) {
        push_teardown(c, EIO_CLIENT_HTTP_ABORT, c->get_conn);
        c->get_conn = 0;
    }
    if (c->post_conn != 0 && !keep_post) {
        push_teardown(c, EIO_CLIENT_HTTP_ABORT, c->post_conn);
    }
    c->post_conn = 0;
    if (c->ws_conn != 0) {
        push_teardown(c, EIO_CLIENT_WS_CLOSE, c->ws_conn);
        c->ws_conn = 0;
    }
    if (c->probe_conn != 0) {
        push_teardown(c, EIO_CLIENT_WS_CLOSE, c->probe_conn);
        c->probe_conn = 0;
    }
    drop_queue(c);
    c->hb_deadline = c->ping_at = c->probe_deadline = EIO_TIME_NEVER;
    c->state = ST_CLOSED;
    c->close_pending = true;
    memset(&c->close_ev, 0, sizeof c->close_ev);
    c->close_ev.type = EIO_EVENT_CLOSE;
    c->close_ev.reason = reason;
    c->close_ev.error = error;
    c->close_ev.version = c->version;
    c->close_ev.transport = c->transport;
}

static void fail_nomem(eio_client *c)
{
    close_session(c, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_NOMEM, false);
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                    */
/* ------------------------------------------------------------------------ */

/* Makes room for `n` ordinary actions on top of the teardown reserve. */
static bool reserve_actions(eio_client *c, size_t n)
{
    return grow_array(c, (void **)&c->acts, &c->a_cap, sizeof *c->acts,
                      c->a_len + n + ACTION_RESERVE);
}

/* Appends an action; the caller reserved room. `own` becomes the action's. */
static eio_client_action *add_action(eio_client *c, eio_client_action_type type, uint32_t conn,
                                     void *own)
{
    pending_action *pa = &c->acts[c->a_len++];
    memset(pa, 0, sizeof *pa);
    pa->a.type = type;
    pa->a.conn = conn;
    if (type == EIO_CLIENT_HTTP_REQUEST || type == EIO_CLIENT_WS_OPEN) {
        pa->a.headers = c->headers;
    }
    pa->own = own;
    return &pa->a;
}

/* Queues an event; on allocation failure frees `own` and closes the session. */
static eio_event *add_event(eio_client *c, eio_event_type type, void *own)
{
    if (!grow_array(c, (void **)&c->evs, &c->e_cap, sizeof *c->evs, c->e_len + 1)) {
        cl_free(c, own);
        fail_nomem(c);
        return NULL;
    }
    pending_event *pe = &c->evs[c->e_len++];
    memset(pe, 0, sizeof *pe);
    pe->e.type = type;
    pe->e.version = c->version;
    pe->e.transport = c->transport;
    pe->own = own;
    return &pe->e;
}

/* Sends a frame with static contents ("2probe", "5", "1"). */
static bool send_static_frame(eio_client *c, uint32_t conn, const char *text)
{
    if (!reserve_actions(c, 1)) {
        fail_nomem(c);
        return false;
    }
    eio_client_action *a = add_action(c, EIO_CLIENT_WS_SEND, conn, NULL);
    a->body = (const uint8_t *)text;
    a->len = strlen(text);
    return true;
}

/* Single-packet body sizes, which add up to the size of a batch (v4 adds
 * one separator between records). */
static int measure_packet(const eio_client *c, out_packet *op)
{
    eio_packet p = {op->type, EIO_DATA_NONE, op->buf + 1, op->len};
    if (op->binary) {
        p.kind = EIO_DATA_BINARY;
    } else if (op->len > 0) {
        p.kind = EIO_DATA_TEXT;
    }
    size_t need = 0;
    int rc = eio_payload_encode(c->version, EIO_PAYLOAD_TEXT, &p, 1, NULL, 0, &need);
    if (rc != EIO_ERR_BUFFER_TOO_SMALL) {
        return rc < 0 ? rc : EIO_ERR_INVALID_ARGUMENT;
    }
    op->rec_text = need;
    op->rec_bin = need;
    if (c->version == EIO_V3) {
        rc = eio_payload_encode(c->version, EIO_PAYLOAD_BINARY, &p, 1, NULL, 0, &need);
        if (rc != EIO_ERR_BUFFER_TOO_SMALL) {
            return rc < 0 ? rc : EIO_ERR_INVALID_ARGUMENT;
        }
        op->rec_bin = need;
    }
    return 0;
}

/* The body size a lone packet needs, in the format it would travel in. */
static size_t lone_body_size(const eio_client *c, const out_packet *op)
{
    if (c->version == EIO_V3 && c->supports_binary && op->binary) {
        return op->rec_bin;
    }
    return op->rec_text;
}

/* The most bytes one POST body may hold: the server's maxPayload (v4), else
 * the local limit (v3 servers announce none; engine.io 6 sends one anyway,
 * which the v3 protocol does not define). */
static size_t body_limit(const eio_client *c)
{
    if (c->version == EIO_V4 && c->have_hs && c->hs.has_max_payload && c->hs.max_payload > 0 &&
        c->hs.max_payload < SIZE_MAX) {
        return (size_t)c->hs.max_payload;
    }
    return c->limits.max_payload;
}

/* Copies a packet into the outgoing queue. Returns 0 or an eio_error; NOMEM
 * leaves the session untouched (the caller decides). */
static int enqueue(eio_client *c, eio_packet_type type, const uint8_t *data, size_t len,
                   bool binary, bool check_size)
{
    if (len > SIZE_MAX - 1) {
        return EIO_ERR_LIMIT;
    }
    out_packet op = {type, binary, len, 0, 0, NULL};
    op.buf = cl_alloc(c, len + 1);
    if (op.buf == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (len > 0) {
        memcpy(op.buf + 1, data, len);
    }
    int rc = measure_packet(c, &op);
    if (rc == 0 && check_size && lone_body_size(c, &op) > body_limit(c)) {
        rc = EIO_ERR_PACKET_TOO_LARGE;
    }
    if (rc == 0 && c->q_len == c->q_cap) {
        /* Unroll the ring into a larger array. */
        size_t ncap = c->q_cap ? c->q_cap * 2 : 8;
        out_packet *nq = ncap <= SIZE_MAX / sizeof *nq ? cl_alloc(c, ncap * sizeof *nq) : NULL;
        if (nq == NULL) {
            rc = EIO_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < c->q_len; i++) {
                nq[i] = c->q[(c->q_head + i) % c->q_cap];
            }
            cl_free(c, c->q);
            c->q = nq;
            c->q_cap = ncap;
            c->q_head = 0;
        }
    }
    if (rc != 0) {
        cl_free(c, op.buf);
        return rc;
    }
    c->q[(c->q_head + c->q_len) % c->q_cap] = op;
    c->q_len++;
    c->q_bytes += len;
    return 0;
}

static out_packet *queue_at(eio_client *c, size_t i)
{
    return &c->q[(c->q_head + i) % c->q_cap];
}

static void queue_pop(eio_client *c)
{
    c->q_bytes -= c->q[c->q_head].len;
    c->q_head = (c->q_head + 1) % c->q_cap;
    c->q_len--;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * `<path>?EIO=<v>&transport=<t>[&sid=<sid>][&t=<n>][&b64=1][&<query>]`,
 * written into a fresh buffer with `extra` spare bytes after the NUL (the
 * POST body goes there, so one allocation serves the whole action).
 */
#define TARGET_FMT "%s?EIO=%d&transport=%s%s%s%s%s%s%s"
static char *build_target(eio_client *c, bool websocket, size_t extra)
{
    bool with_sid = c->have_hs;
    bool with_t = !websocket && c->timestamp_requests;
    /* The server remembers b64 from the handshake, as engine.io-client relies on. */
    bool with_b64 = !websocket && !with_sid && c->version == EIO_V3 && !c->supports_binary;
    char tbuf[32] = "";
    if (with_t) {
        snprintf(tbuf, sizeof tbuf, "&t=%llu", (unsigned long long)c->request_counter);
    }
    const char *tr = websocket ? "websocket" : "polling";
    const char *sid_key = with_sid ? "&sid=" : "";
    const char *sid = with_sid ? c->hs.sid : "";
    const char *b64 = with_b64 ? "&b64=1" : "";
    const char *qamp = c->query ? "&" : "";
    const char *q = c->query ? c->query : "";
    int n = snprintf(NULL, 0, TARGET_FMT, c->path, (int)c->version, tr, sid_key, sid, tbuf, b64, qamp, q);
    if (n < 0 || (size_t)n > SIZE_MAX - 1 - extra) {
        return NULL;
    }
    char *s = cl_alloc(c, (size_t)n + 1 + extra);
    if (s == NULL) {
        return NULL;
    }
    snprintf(s, (size_t)n + 1, TARGET_FMT, c->path, (int)c->version, tr, sid_key, sid, tbuf, b64, qamp, q);
    if (with_t) {
        c->request_counter++;
    }
    return s;
}

/* Sends the polling GET (the handshake GET when no sid is known yet). */
static void start_get(eio_client *c)
{
    if (!reserve_actions(c, 1)) {
        fail_nomem(c);
        return;
    }
    char *target = build_target(c, false, 0);
    if (target == NULL) {
        fail_nomem(c);
        return;
    }
    c->get_conn = new_conn(c);
    eio_client_action *a = add_action(c, EIO_CLIENT_HTTP_REQUEST, c->get_conn, target);
    a->method = EIO_HTTP_GET;
    a->target = target;
}

/* Opens a WebSocket: the transport itself (websocket-only) or the probe. */
static uint32_t start_ws_open(eio_client *c)
{
    if (!reserve_actions(c, 1)) {
        fail_nomem(c);
        return 0;
    }
    char *target = build_target(c, true, 0);
    if (target == NULL) {
        fail_nomem(c);
        return 0;
    }
    uint32_t conn = new_conn(c);
    eio_client_action *a = add_action(c, EIO_CLIENT_WS_OPEN, conn, target);
    a->target = target;
    return conn;
}

/* ------------------------------------------------------------------------ */
/* Flushing the queue                                                        */
/* ------------------------------------------------------------------------ */

static void finish_forced_close(eio_client *c);

/*
 * Sends the queue's head as one POST, as many packets as fit in the body
 * limit (at least one, as engine.io-client does, so a packet queued before
 * the server announced a smaller maxPayload still leaves). Polling allows one
 * POST at a time and none while pausing for the upgrade.
 */
static void flush_polling(eio_client *c)
{
    if (c->q_len == 0 || c->post_conn != 0 || c->upg == UPG_PAUSING ||
        (c->state != ST_OPEN && c->state != ST_CLOSING)) {
        return;
    }
    size_t limit = body_limit(c);
    bool v3bin = c->version == EIO_V3 && c->supports_binary;
    size_t n = 0, sum_text = 0, sum_bin = 0;
    bool any_bin = false, has_close = false;
    for (; n < c->q_len; n++) {
        const out_packet *op = queue_at(c, n);
        size_t t = sum_text + op->rec_text + (c->version == EIO_V4 && n > 0 ? 1u : 0u);
        size_t b = sum_bin + op->rec_bin;
        bool nb = any_bin || op->binary;
        size_t size = v3bin && nb ? b : t;
        if (n > 0 && size > limit) {
            break;
        }
        sum_text = t;
        sum_bin = b;
        any_bin = nb;
        has_close = has_close || op->type == EIO_PACKET_CLOSE;
    }
    eio_payload_format fmt = v3bin && any_bin ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
    size_t body_len = fmt == EIO_PAYLOAD_BINARY ? sum_bin : sum_text;

    if (!reserve_actions(c, 1)) {
        fail_nomem(c);
        return;
    }
    char *target = build_target(c, false, body_len);
    if (target == NULL) {
        fail_nomem(c);
        return;
    }
    size_t tlen = strlen(target);
    uint8_t *body = (uint8_t *)target + tlen + 1;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const out_packet *op = queue_at(c, 0);
        eio_packet p = {op->type, EIO_DATA_NONE, op->buf + 1, op->len};
        if (op->binary) {
            p.kind = EIO_DATA_BINARY;
        } else if (op->len > 0) {
            p.kind = EIO_DATA_TEXT;
        }
        if (c->version == EIO_V4 && i > 0) {
            body[off++] = 0x1e;
        }
        size_t w = 0;
        /* Cannot fail: the packet was encoded once already to measure it. */
        (void)eio_payload_encode(c->version, fmt, &p, 1, body + off, body_len - off, &w);
        off += w;
        cl_free(c, op->buf);
        queue_pop(c);
    }
    c->post_conn = new_conn(c);
    eio_client_action *a = add_action(c, EIO_CLIENT_HTTP_REQUEST, c->post_conn, target);
    a->method = EIO_HTTP_POST;
    a->target = target;
    a->content_type =
        fmt == EIO_PAYLOAD_BINARY ? "application/octet-stream" : "text/plain;charset=UTF-8";
    a->body = body;
    a->len = off;
    if (has_close) {
        finish_forced_close(c);
    }
}

/* A WebSocket has no flow control of its own here: every queued packet
 * becomes a frame at once, the buffer moving to the action. */
static void flush_ws(eio_client *c)
{
    if (c->ws_conn == 0 || (c->state != ST_OPEN && c->state != ST_CLOSING)) {
        return;
    }
    while (c->q_len > 0) {
        if (!reserve_actions(c, 1)) {
            fail_nomem(c);
            return;
        }
        out_packet op = *queue_at(c, 0);
        queue_pop(c);
        eio_client_action *a = add_action(c, EIO_CLIENT_WS_SEND, c->ws_conn, op.buf);
        if (op.binary && c->version == EIO_V4) {
            a->body = op.buf + 1; /* v4 binary frames are a message's bare data */
            a->len = op.len;
            a->binary = true;
        } else {
            op.buf[0] = op.binary ? (uint8_t)op.type : (uint8_t)('0' + (int)op.type);
            a->body = op.buf;
            a->len = op.len + 1;
            a->binary = op.binary;
        }
    }
}

static void flush(eio_client *c)
{
    if (c->transport == EIO_TRANSPORT_WEBSOCKET) {
        flush_ws(c);
    } else {
        flush_polling(c);
    }
}

/* Queues a control packet the session itself sends (pong, ping); these are
 * not bound by max_buffered, and are dropped once closing starts, as
 * engine.io-client drops every packet then. */
static void send_control(eio_client *c, eio_packet_type type, const uint8_t *data, size_t len)
{
    if (c->state != ST_OPEN) {
        return;
    }
    int rc = enqueue(c, type, data, len, false, false);
    if (rc == EIO_ERR_NOMEM) {
        fail_nomem(c);
        return;
    }
    if (rc != 0) {
        close_session(c, EIO_CLOSE_TRANSPORT_ERROR, rc, false);
        return;
    }
    flush(c);
}

/* ------------------------------------------------------------------------ */
/* Forced close                                                              */
/* ------------------------------------------------------------------------ */

/* The POST carrying `1` is out: abandon the GET and report the close. */
static void finish_forced_close(eio_client *c)
{
    close_session(c, EIO_CLOSE_FORCED, 0, true);
}

/* ------------------------------------------------------------------------ */
/* Heartbeat                                                                 */
/* ------------------------------------------------------------------------ */

static void start_heartbeat(eio_client *c)
{
    if (c->version == EIO_V4) {
        /* The server pings; silence for interval + timeout means it is gone. */
        c->hb_deadline = after(c, (uint64_t)c->hs.ping_interval + c->hs.ping_timeout);
    } else {
        /* engine.io-client 3: the first ping after one interval; no timeout
         * runs until a ping is sent or a packet arrives. */
        c->ping_at = after(c, c->hs.ping_interval);
        c->hb_deadline = EIO_TIME_NEVER;
    }
}

/* v3: any packet proves the server alive (engine.io-client 3's
 * "heartbeat" event restarts the timeout at interval + timeout). */
static void v3_packet_seen(eio_client *c)
{
    if (c->version == EIO_V3 && c->have_hs) {
        c->hb_deadline = after(c, (uint64_t)c->hs.ping_interval + c->hs.ping_timeout);
    }
}

/* v3: time to ping. The timeout now runs from this ping, as in
 * engine.io-client 3 (`onHeartbeat(pingTimeout)`); a late wake-up sends one
 * ping and gives the server a full timeout from now. */
static void fire_v3_ping(eio_client *c)
{
    c->ping_at = EIO_TIME_NEVER;
    c->hb_deadline = after(c, c->hs.ping_timeout);
    send_control(c, EIO_PACKET_PING, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Upgrade                                                                   */
/* ------------------------------------------------------------------------ */

static void start_probe(eio_client *c)
{
    uint32_t conn = start_ws_open(c);
    if (conn == 0) {
        return;
    }
    c->probe_conn = conn;
    c->upg = UPG_OPENING;
    /* The timeout covers opening the WebSocket as well as the probe's pong:
     * a WebSocket that never opens must not hold the upgrade forever. */
    c->probe_deadline = after(c, c->probe_timeout);
}

/* The probe failed: drop it (closing its WebSocket unless the peer did),
 * tell the application and carry on polling. */
static void fail_probe(eio_client *c, bool ws_already_closed)
{
    if (!ws_already_closed) {
        push_teardown(c, EIO_CLIENT_WS_CLOSE, c->probe_conn);
    }
    c->probe_conn = 0;
    c->probe_deadline = EIO_TIME_NEVER;
    c->upg = UPG_FAILED;
    if (add_event(c, EIO_EVENT_UPGRADE_FAILED, NULL) == NULL) {
        return;
    }
    if (c->state == ST_OPEN && c->get_conn == 0) {
        start_get(c);
        if (closed(c)) {
            return;
        }
    }
    flush_polling(c);
}

static void on_probe_opened(eio_client *c)
{
    if (c->upg != UPG_OPENING) {
        fail_probe(c, false);
        return;
    }
    if (send_static_frame(c, c->probe_conn, "2probe")) {
        c->upg = UPG_PROBING;
    }
}

/* Polling has drained: the WebSocket takes over. `5` goes first so the
 * server switches before it sees anything else on the WebSocket. */
static void maybe_finish_upgrade(eio_client *c)
{
    if (c->upg != UPG_PAUSING || c->get_conn != 0 || c->post_conn != 0 || closed(c)) {
        return;
    }
    if (!send_static_frame(c, c->probe_conn, "5")) {
        return;
    }
    c->ws_conn = c->probe_conn;
    c->ws_opened = true;
    c->probe_conn = 0;
    c->probe_deadline = EIO_TIME_NEVER;
    c->transport = EIO_TRANSPORT_WEBSOCKET;
    c->upg = UPG_DONE;
    if (add_event(c, EIO_EVENT_UPGRADE, NULL) == NULL) {
        return;
    }
    flush_ws(c);
}

static void on_probe_frame(eio_client *c, const uint8_t *data, size_t len, bool binary)
{
    eio_packet p;
    if (c->upg != UPG_PROBING ||
        eio_packet_decode(c->version, data, len, binary, &c->limits, &p, NULL) != 0 ||
        p.type != EIO_PACKET_PONG || p.kind != EIO_DATA_TEXT || p.len != 5 ||
        memcmp(p.data, "probe", 5) != 0) {
        fail_probe(c, false);
        return;
    }
    /* Pause polling: no new GET or POST; the server answers the held GET
     * with a noop, and packets that came on it are delivered first. */
    c->upg = UPG_PAUSING;
    maybe_finish_upgrade(c);
}

/* ------------------------------------------------------------------------ */
/* Incoming packets                                                          */
/* ------------------------------------------------------------------------ */

/* Base64 data becomes bytes the event owns. */
static void emit_message(eio_client *c, const eio_packet *p)
{
    if (p->kind == EIO_DATA_BASE64) {
        size_t cap = eio_base64_decoded_max(p->len);
        uint8_t *buf = cl_alloc(c, cap);
        if (buf == NULL) {
            fail_nomem(c);
            return;
        }
        size_t n = 0;
        if (eio_base64_decode(p->data, p->len, buf, cap, &n, NULL) != 0) {
            cl_free(c, buf); /* unreachable: the decoder validated it */
            close_session(c, EIO_CLOSE_PARSE_ERROR, EIO_ERR_INVALID_BASE64, false);
            return;
        }
        eio_event *e = add_event(c, EIO_EVENT_MESSAGE, buf);
        if (e != NULL) {
            e->data = buf;
            e->len = n;
            e->binary = true;
        }
        return;
    }
    eio_event *e = add_event(c, EIO_EVENT_MESSAGE, NULL);
    if (e != NULL) {
        e->data = p->data;
        e->len = p->len;
        e->binary = p->kind == EIO_DATA_BINARY;
    }
}

/* One packet from the server on the session's transport. Returns false when
 * the session ended (the rest of the body is ignored). */
static bool handle_packet(eio_client *c, const eio_packet *p)
{
    v3_packet_seen(c);
    switch (p->type) {
    case EIO_PACKET_CLOSE:
        close_session(c, EIO_CLOSE_TRANSPORT_CLOSE, 0, false);
        return false;
    case EIO_PACKET_PING:
        /* v3 servers never ping; engine.io-client 3 ignores it. */
        if (c->version == EIO_V4) {
            c->hb_deadline = after(c, (uint64_t)c->hs.ping_interval + c->hs.ping_timeout);
            eio_event *e = add_event(c, EIO_EVENT_PING, NULL);
            if (e == NULL) {
                return false;
            }
            bool has_data = p->kind == EIO_DATA_TEXT;
            e->data = has_data ? p->data : NULL;
            e->len = has_data ? p->len : 0;
            send_control(c, EIO_PACKET_PONG, has_data ? p->data : NULL, has_data ? p->len : 0);
        }
        break;
    case EIO_PACKET_PONG:
        /* v4 servers never receive pings from clients; ignored as the reference does. */
        if (c->version == EIO_V3) {
            c->ping_at = after(c, c->hs.ping_interval);
            eio_event *e = add_event(c, EIO_EVENT_PONG, NULL);
            if (e != NULL && p->kind == EIO_DATA_TEXT) {
                e->data = p->data;
                e->len = p->len;
            }
        }
        break;
    case EIO_PACKET_MESSAGE:
        emit_message(c, p);
        break;
    default:
        /* open (a second handshake), upgrade and noop carry nothing for an
         * open session. */
        break;
    }
    return !closed(c);
}

/* Reads a handshake from the open packet. Returns 0 or an eio_error. */
static int take_handshake(eio_client *c, const eio_packet *p)
{
    if (p->type != EIO_PACKET_OPEN || p->kind != EIO_DATA_TEXT) {
        return EIO_ERR_HANDSHAKE_INVALID;
    }
    eio_errinfo err;
    int rc = eio_handshake_parse(p->data, p->len, &c->hs, &err);
    if (rc != 0) {
        return rc;
    }
    c->have_hs = true;
    return 0;
}

static void emit_open(eio_client *c)
{
    c->state = ST_OPEN;
    start_heartbeat(c);
    eio_event *e = add_event(c, EIO_EVENT_OPEN, NULL);
    if (e != NULL) {
        e->handshake = &c->hs;
    }
}

static eio_payload_format body_format(const eio_client *c, const char *content_type)
{
    static const char octet[] = "application/octet-stream";
    size_t n = sizeof octet - 1;
    if (c->version != EIO_V3 || content_type == NULL) {
        return EIO_PAYLOAD_TEXT;
    }
    while (*content_type == ' ') {
        content_type++;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = content_type[i];
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        if (ch != octet[i]) {
            return EIO_PAYLOAD_TEXT;
        }
    }
    char end = content_type[n];
    return end == '\0' || end == ';' || end == ' ' ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
}

/* The handshake GET was answered. */
static void on_handshake_response(eio_client *c, int status, const char *content_type,
                                  const uint8_t *body, size_t len)
{
    c->get_conn = 0;
    if (status != 200) {
        close_session(c, EIO_CLOSE_HANDSHAKE_ERROR, 0, false);
        /* The refusal's body ({"code":...,"message":...}) helps the application. */
        c->close_ev.data = body;
        c->close_ev.len = len;
        return;
    }
    eio_payload_decoder d;
    eio_payload_decoder_init(&d, c->version, body_format(c, content_type), &c->limits);
    eio_packet p;
    eio_errinfo err;
    int rc = eio_payload_decoder_next(&d, body, len, true, &p, &err);
    if (rc != EIO_PAYLOAD_PACKET) {
        close_session(c, EIO_CLOSE_HANDSHAKE_ERROR,
                      rc < 0 ? rc : EIO_ERR_HANDSHAKE_INVALID, false);
        return;
    }
    rc = take_handshake(c, &p);
    if (rc != 0) {
        close_session(c, EIO_CLOSE_HANDSHAKE_ERROR, rc, false);
        return;
    }
    emit_open(c);
    /* Packets after the open packet in the same body. */
    while (!closed(c)) {
        rc = eio_payload_decoder_next(&d, body, len, true, &p, &err);
        if (rc == EIO_PAYLOAD_END) {
            break;
        }
        if (rc < 0) {
            close_session(c, EIO_CLOSE_PARSE_ERROR, rc, false);
            break;
        }
        handle_packet(c, &p);
    }
    if (closed(c)) {
        return;
    }
    start_get(c);
    if (closed(c)) {
        return;
    }
    flush_polling(c);
    if (closed(c)) {
        return;
    }
    if (c->upgrade && (c->hs.upgrades & EIO_UPGRADE_WEBSOCKET) != 0) {
        start_probe(c);
    }
}

/* A polling GET (after the handshake) was answered. */
static void on_poll_response(eio_client *c, int status, const char *content_type,
                             const uint8_t *body, size_t len)
{
    c->get_conn = 0;
    if (status != 200) {
        close_session(c, EIO_CLOSE_TRANSPORT_ERROR, 0, false);
        return;
    }
    eio_payload_decoder d;
    eio_payload_decoder_init(&d, c->version, body_format(c, content_type), &c->limits);
    for (;;) {
        eio_packet p;
        eio_errinfo err;
        int rc = eio_payload_decoder_next(&d, body, len, true, &p, &err);
        if (rc == EIO_PAYLOAD_END) {
            break;
        }
        if (rc < 0) {
            close_session(c, EIO_CLOSE_PARSE_ERROR, rc, false);
            return;
        }
        if (!handle_packet(c, &p)) {
            return;
        }
    }
    if (c->upg == UPG_PAUSING) {
        maybe_finish_upgrade(c);
        return;
    }
    if (c->state == ST_OPEN && c->transport == EIO_TRANSPORT_POLLING) {
        start_get(c);
    }
}

static void on_post_response(eio_client *c, int status)
{
    c->post_conn = 0;
    if (status != 200) {
        close_session(c, EIO_CLOSE_TRANSPORT_ERROR, 0, false);
        return;
    }
    if (c->upg == UPG_PAUSING) {
        maybe_finish_upgrade(c);
        return;
    }
    flush_polling(c);
}

/* A frame on the session's WebSocket (websocket-only or upgraded). */
static void on_ws_frame(eio_client *c, const uint8_t *data, size_t len, bool binary)
{
    eio_packet p;
    eio_errinfo err;
    int rc = eio_packet_decode(c->version, data, len, binary, &c->limits, &p, &err);
    if (c->state == ST_OPENING) {
        /* websocket-only: the first frame must be the open packet */
        rc = rc != 0 ? rc : take_handshake(c, &p);
        if (rc != 0) {
            close_session(c, EIO_CLOSE_HANDSHAKE_ERROR, rc, false);
            return;
        }
        emit_open(c);
        flush_ws(c);
        return;
    }
    if (rc != 0) {
        close_session(c, EIO_CLOSE_PARSE_ERROR, rc, false);
        return;
    }
    handle_packet(c, &p);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

void eio_client_options_default(eio_client_options *o)
{
    if (o == NULL) {
        return;
    }
    memset(o, 0, sizeof *o);
    o->version = EIO_V4;
    o->path = "/engine.io/";
    o->query = NULL;
    o->extra_headers = NULL;
    o->websocket_only = false;
    o->upgrade = true;
    o->timestamp_requests = true;
    o->supports_binary = true;
    o->probe_timeout = 10000;
    eio_limits_default(&o->limits);
    o->max_buffered = 10 * o->limits.max_payload;
}

/*
 * extra_headers must be whole "Name: value\r\n" lines: a token name, a
 * colon, a value of visible characters, spaces and tabs, and CRLF. Anything
 * else (a bare CR or LF, an empty name, a missing final CRLF) could split a
 * header or smuggle a request through the caller's HTTP layer.
 */
static bool headers_valid(const char *h)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    while (*h != '\0') {
        const char *name = h;
        while ((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
               (*h != '\0' && strchr(tchar, *h) != NULL)) {
            h++;
        }
        if (h == name || *h != ':') {
            return false;
        }
        h++;
        while (*h == ' ' || *h == '\t' || ((unsigned char)*h >= 0x21 && (unsigned char)*h != 0x7f)) {
            h++;
        }
        if (h[0] != '\r' || h[1] != '\n') {
            return false;
        }
        h += 2;
    }
    return true;
}

int eio_client_new(eio_client **out, const eio_client_options *opt, const eio_mem *mem)
{
    if (out == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    eio_client_options defaults;
    eio_client_options_default(&defaults);
    if (opt == NULL) {
        opt = &defaults;
    }
    if ((opt->version != EIO_V3 && opt->version != EIO_V4) ||
        (mem != NULL && (mem->malloc == NULL || mem->free == NULL)) ||
        (opt->extra_headers != NULL && !headers_valid(opt->extra_headers))) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    eio_client tmp;
    memset(&tmp, 0, sizeof tmp);
    if (mem != NULL) {
        tmp.mem = *mem;
        tmp.has_mem = true;
    }
    eio_client *c = cl_alloc(&tmp, sizeof *c);
    if (c == NULL) {
        return EIO_ERR_NOMEM;
    }
    *c = tmp;
    c->version = opt->version;
    c->websocket_only = opt->websocket_only;
    c->upgrade = opt->upgrade;
    c->timestamp_requests = opt->timestamp_requests;
    c->supports_binary = opt->supports_binary;
    c->probe_timeout = opt->probe_timeout ? opt->probe_timeout : 10000;
    eio_limits_default(&c->limits);
    if (opt->limits.max_payload) {
        c->limits.max_payload = opt->limits.max_payload;
        c->limits.max_packet = opt->limits.max_payload;
    }
    if (opt->limits.max_packet) {
        c->limits.max_packet = opt->limits.max_packet;
    }
    if (opt->limits.max_packets) {
        c->limits.max_packets = opt->limits.max_packets;
    }
    c->max_buffered = opt->max_buffered;
    if (c->max_buffered == 0) {
        c->max_buffered = c->limits.max_payload <= SIZE_MAX / 10 ? 10 * c->limits.max_payload
                                                                : SIZE_MAX;
    }
    c->state = ST_INIT;
    c->transport = opt->websocket_only ? EIO_TRANSPORT_WEBSOCKET : EIO_TRANSPORT_POLLING;
    c->next_conn = 1;
    c->hb_deadline = c->ping_at = c->probe_deadline = EIO_TIME_NEVER;
    c->path = dup_str(c, opt->path ? opt->path : "/engine.io/");
    if (opt->query != NULL && opt->query[0] != '\0') {
        c->query = dup_str(c, opt->query);
    }
    if (opt->extra_headers != NULL && opt->extra_headers[0] != '\0') {
        c->headers = dup_str(c, opt->extra_headers);
    }
    if (c->path == NULL || (opt->query != NULL && opt->query[0] != '\0' && c->query == NULL) ||
        (opt->extra_headers != NULL && opt->extra_headers[0] != '\0' && c->headers == NULL) ||
        !reserve_actions(c, 4)) {
        eio_client_free(c);
        return EIO_ERR_NOMEM;
    }
    *out = c;
    return 0;
}

void eio_client_free(eio_client *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->a_len; i++) {
        cl_free(c, c->acts[i].own);
    }
    for (size_t i = 0; i < c->e_len; i++) {
        cl_free(c, c->evs[i].own);
    }
    drop_queue(c);
    cl_free(c, c->q);
    cl_free(c, c->acts);
    cl_free(c, c->evs);
    cl_free(c, c->path);
    cl_free(c, c->query);
    cl_free(c, c->headers);
    cl_free(c, c);
}

int eio_client_open(eio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (c->state != ST_INIT) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    c->state = ST_OPENING;
    if (c->websocket_only) {
        c->ws_conn = start_ws_open(c);
    } else {
        start_get(c);
    }
    return 0;
}

/*
 * Connections the machine abandoned (aborted, closed, replaced) may still be
 * reported by a caller racing with it: those reports are ignored. A conn the
 * machine never handed out is the caller's mistake.
 */
static int unknown_conn(const eio_client *c, uint32_t conn)
{
    return conn != 0 && conn < c->next_conn ? 0 : EIO_ERR_INVALID_ARGUMENT;
}

int eio_client_http_response(eio_client *c, uint32_t conn, int status, const char *content_type,
                             const uint8_t *body, size_t len, eio_time now)
{
    if (c == NULL || (body == NULL && len > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (closed(c)) {
        return 0;
    }
    if (conn != 0 && conn == c->get_conn) {
        if (c->state == ST_OPENING) {
            on_handshake_response(c, status, content_type, body, len);
        } else {
            on_poll_response(c, status, content_type, body, len);
        }
        return 0;
    }
    if (conn != 0 && conn == c->post_conn) {
        on_post_response(c, status);
        return 0;
    }
    if (conn == c->ws_conn || conn == c->probe_conn) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return unknown_conn(c, conn);
}

int eio_client_http_failed(eio_client *c, uint32_t conn, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (closed(c)) {
        return 0;
    }
    if (conn != 0 && (conn == c->get_conn || conn == c->post_conn)) {
        if (conn == c->get_conn) {
            c->get_conn = 0;
        } else {
            c->post_conn = 0;
        }
        close_session(c, EIO_CLOSE_TRANSPORT_ERROR, 0, false);
        return 0;
    }
    if (conn == c->ws_conn || conn == c->probe_conn) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return unknown_conn(c, conn);
}

int eio_client_ws_opened(eio_client *c, uint32_t conn, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (closed(c)) {
        return 0;
    }
    if (conn != 0 && conn == c->probe_conn) {
        on_probe_opened(c);
        return 0;
    }
    if (conn != 0 && conn == c->ws_conn && !c->ws_opened) {
        c->ws_opened = true; /* websocket-only: now the open packet is due */
        return 0;
    }
    if (conn != 0 && (conn == c->ws_conn || conn == c->get_conn || conn == c->post_conn)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return unknown_conn(c, conn);
}

int eio_client_ws_message(eio_client *c, uint32_t conn, const uint8_t *data, size_t len,
                          bool binary, eio_time now)
{
    if (c == NULL || (data == NULL && len > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (closed(c)) {
        return 0;
    }
    if (conn != 0 && conn == c->probe_conn) {
        on_probe_frame(c, data, len, binary);
        return 0;
    }
    if (conn != 0 && conn == c->ws_conn) {
        if (!c->ws_opened) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        on_ws_frame(c, data, len, binary);
        return 0;
    }
    if (conn != 0 && (conn == c->get_conn || conn == c->post_conn)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return unknown_conn(c, conn);
}

int eio_client_ws_closed(eio_client *c, uint32_t conn, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    if (closed(c)) {
        return 0;
    }
    if (conn != 0 && conn == c->probe_conn) {
        fail_probe(c, true);
        return 0;
    }
    if (conn != 0 && conn == c->ws_conn) {
        /* Never opened: the connection failed; opened: the peer ended it. */
        bool was_open = c->ws_opened;
        c->ws_conn = 0;
        close_session(c, was_open ? EIO_CLOSE_TRANSPORT_CLOSE : EIO_CLOSE_TRANSPORT_ERROR, 0,
                      false);
        return 0;
    }
    if (conn != 0 && (conn == c->get_conn || conn == c->post_conn)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    return unknown_conn(c, conn);
}

int eio_client_send(eio_client *c, const uint8_t *data, size_t len, bool binary, eio_time now)
{
    if (c == NULL || (data == NULL && len > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    /* Only the clock: `data` may be the data of one of this client's own
       events (an echo); the next other call releases it. */
    observe_time(c, now);
    if (c->state == ST_CLOSING || c->state == ST_CLOSED) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (!binary && eio_utf8_validate(data, len, NULL) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    /* v4 polling joins packets with 0x1e and has no escape for it: such text
     * would arrive as two messages. Only a session already on WebSocket (it
     * never goes back) may send it; before the upgrade decision the packet
     * may still leave in a POST. */
    if (c->version == EIO_V4 && !binary && c->transport != EIO_TRANSPORT_WEBSOCKET && len > 0 &&
        memchr(data, 0x1e, len) != NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (len > c->max_buffered || c->q_bytes > c->max_buffered - len) {
        return EIO_ERR_LIMIT;
    }
    int rc = enqueue(c, EIO_PACKET_MESSAGE, data, len, binary, true);
    if (rc == EIO_ERR_NOMEM) {
        fail_nomem(c);
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    if (c->state == ST_OPEN) {
        flush(c);
    }
    return 0;
}

int eio_client_close(eio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    switch (c->state) {
    case ST_CLOSING:
    case ST_CLOSED:
        return 0;
    case ST_INIT:
    case ST_OPENING:
        /* No session yet: abandon the handshake (engine.io-client would wait
         * for it and close afterwards). */
        close_session(c, EIO_CLOSE_FORCED, 0, false);
        return 0;
    case ST_OPEN:
        break;
    }
    if (c->transport == EIO_TRANSPORT_WEBSOCKET) {
        flush_ws(c);
        if (!closed(c) && send_static_frame(c, c->ws_conn, "1")) {
            close_session(c, EIO_CLOSE_FORCED, 0, false);
        }
        return 0;
    }
    /* Polling. A probe in progress is dropped without an event: the session
     * ends before it could matter. */
    if (c->probe_conn != 0) {
        push_teardown(c, EIO_CLIENT_WS_CLOSE, c->probe_conn);
        c->probe_conn = 0;
        c->probe_deadline = EIO_TIME_NEVER;
        c->upg = UPG_FAILED;
    }
    c->state = ST_CLOSING;
    int rc = enqueue(c, EIO_PACKET_CLOSE, NULL, 0, false, false);
    if (rc != 0) {
        close_session(c, EIO_CLOSE_TRANSPORT_ERROR, rc, false);
        return 0;
    }
    /* The queue, then `1`, goes out one POST at a time; the POST holding
     * the `1` ends the session (finish_forced_close). */
    flush_polling(c);
    return 0;
}

int eio_client_next_action(eio_client *c, eio_client_action *a)
{
    if (c == NULL || a == NULL || c->a_head >= c->a_len) {
        return 0;
    }
    *a = c->acts[c->a_head++].a;
    return 1;
}

int eio_client_next_event(eio_client *c, eio_event *e)
{
    if (c == NULL || e == NULL) {
        return 0;
    }
    if (c->e_head < c->e_len) {
        *e = c->evs[c->e_head++].e;
        return 1;
    }
    if (c->close_pending && !c->close_delivered) {
        c->close_delivered = true;
        *e = c->close_ev;
        return 1;
    }
    return 0;
}

static eio_time min_time(eio_time a, eio_time b)
{
    return a < b ? a : b;
}

eio_time eio_client_get_expiry(const eio_client *c)
{
    if (c == NULL || c->state == ST_CLOSED) {
        return EIO_TIME_NEVER;
    }
    return min_time(min_time(c->hb_deadline, c->ping_at), c->probe_deadline);
}

int eio_client_handle_expiry(eio_client *c, eio_time now)
{
    if (c == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    enter(c, now);
    /* Earliest first; each firing disarms or re-arms its deadline in the
     * future, so a late wake-up fires each at most once. */
    while (!closed(c)) {
        eio_time t = eio_client_get_expiry(c);
        if (t > c->now) {
            break;
        }
        if (c->hb_deadline == t) {
            close_session(c, EIO_CLOSE_PING_TIMEOUT, 0, false);
        } else if (c->ping_at == t) {
            fire_v3_ping(c);
        } else {
            fail_probe(c, false);
        }
    }
    return 0;
}

eio_session_state eio_client_state(const eio_client *c)
{
    if (c == NULL) {
        return EIO_STATE_CLOSED;
    }
    switch (c->state) {
    case ST_INIT:
    case ST_OPENING:
        return EIO_STATE_OPENING;
    case ST_OPEN:
        return EIO_STATE_OPEN;
    case ST_CLOSING:
        return EIO_STATE_CLOSING;
    case ST_CLOSED:
        break;
    }
    return EIO_STATE_CLOSED;
}

eio_transport eio_client_transport(const eio_client *c)
{
    return c != NULL ? c->transport : EIO_TRANSPORT_POLLING;
}

const char *eio_client_sid(const eio_client *c)
{
    return c != NULL && c->have_hs ? c->hs.sid : "";
}
