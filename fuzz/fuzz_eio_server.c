/*
 * Fuzz target: the Engine.IO server machine driven by a script.
 *
 * The input is a sequence of operations, one opcode byte each, followed by
 * its operands: handshakes (polling/WebSocket, v3/v4), GETs, POSTs (inline
 * or with the body following, any bytes), upgrade requests, WebSocket
 * frames, hang-ups, raw queries, the clock moving on, application sends and
 * closes, shutdown. After every operation all actions and events are
 * drained and checked:
 *   - every HTTP_RESPOND answers a request that is outstanding, once;
 *   - WS_SEND / WS_CLOSE name an accepted, still open WebSocket;
 *   - the next deadline is NEVER or not before the last time given;
 *   - no event for a session follows its CLOSE;
 *   - nothing leaks (a counting allocator, checked at the end).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/eio_session.h"

#define MAXC 64 /* connections tracked */
#define MAXS 16 /* sessions tracked */

enum cstate { C_FREE = 0, C_REQ = 1, C_FOLLOWS = 2, C_WS = 3 };

typedef struct {
    uint32_t id;
    int state;
} conn;

typedef struct {
    uint32_t handle;
    char sid[32];
    int version;
    bool closed;
} session;

typedef struct {
    const uint8_t *p;
    size_t n;
    eio_server *s;
    conn c[MAXC];
    session ss[MAXS];
    size_t nss;
    uint32_t next_conn;
    eio_time now;
    long outstanding;
    uint8_t rnd;
} fz;

static void *m_malloc(size_t n, void *ud)
{
    fz *f = ud;
    void *p = malloc(n);
    if (p) {
        f->outstanding++;
    }
    return p;
}

static void *m_realloc(void *p, size_t n, void *ud)
{
    fz *f = ud;
    void *q = realloc(p, n);
    if (q && !p) {
        f->outstanding++;
    }
    return q;
}

static void m_free(void *p, void *ud)
{
    fz *f = ud;
    if (p) {
        f->outstanding--;
    }
    free(p);
}

static int rnd(uint8_t *buf, size_t len, void *ud)
{
    fz *f = ud;
    for (size_t i = 0; i < len; i++) {
        buf[i] = f->rnd++;
    }
    return 0;
}

static uint8_t byte(fz *f)
{
    if (!f->n) {
        return 0;
    }
    f->n--;
    return *f->p++;
}

static const uint8_t *take(fz *f, size_t *len)
{
    size_t want = byte(f);
    if (want > f->n) {
        want = f->n;
    }
    const uint8_t *r = f->p;
    f->p += want;
    f->n -= want;
    *len = want;
    return r;
}

static conn *conn_find(fz *f, uint32_t id)
{
    for (int i = 0; i < MAXC; i++) {
        if (f->c[i].state != C_FREE && f->c[i].id == id) {
            return &f->c[i];
        }
    }
    return NULL;
}

static conn *conn_new(fz *f, int state)
{
    for (int i = 0; i < MAXC; i++) {
        if (f->c[i].state == C_FREE) {
            f->c[i].id = f->next_conn++;
            f->c[i].state = state;
            return &f->c[i];
        }
    }
    return NULL;
}

static conn *conn_pick(fz *f, int state, uint8_t k)
{
    int n = 0;
    for (int i = 0; i < MAXC; i++) {
        n += f->c[i].state == state;
    }
    if (!n) {
        return NULL;
    }
    int want = k % n;
    for (int i = 0; i < MAXC; i++) {
        if (f->c[i].state == state && want-- == 0) {
            return &f->c[i];
        }
    }
    return NULL;
}

static session *sess_find(fz *f, uint32_t h)
{
    for (size_t i = 0; i < f->nss; i++) {
        if (f->ss[i].handle == h) {
            return &f->ss[i];
        }
    }
    return NULL;
}

static void drain(fz *f)
{
    eio_server_action a;
    while (eio_server_next_action(f->s, &a)) {
        conn *c = conn_find(f, a.conn);
        if (!c) {
            abort(); /* an action for a connection not alive */
        }
        switch (a.type) {
        case EIO_SERVER_HTTP_RESPOND:
            if (c->state != C_REQ && c->state != C_FOLLOWS) {
                abort();
            }
            if (a.len && !a.body) {
                abort();
            }
            if (a.len) {
                volatile uint8_t sink = a.body[0] ^ a.body[a.len - 1];
                (void)sink;
            }
            c->state = C_FREE;
            break;
        case EIO_SERVER_WS_ACCEPT:
            if (c->state != C_REQ) {
                abort();
            }
            c->state = C_WS;
            break;
        case EIO_SERVER_WS_SEND:
            if (c->state != C_WS || (a.len && !a.body)) {
                abort();
            }
            break;
        case EIO_SERVER_WS_CLOSE:
            if (c->state != C_WS) {
                abort();
            }
            c->state = C_FREE;
            break;
        default:
            abort();
        }
    }
    eio_event e;
    while (eio_server_next_event(f->s, &e)) {
        session *x = sess_find(f, e.session);
        if (e.type == EIO_EVENT_OPEN) {
            if (x || f->nss == MAXS) {
                if (x) {
                    abort(); /* handles are never reused */
                }
                continue;
            }
            x = &f->ss[f->nss++];
            x->handle = e.session;
            x->version = (int)e.version;
            const char *sid = eio_server_session_sid(f->s, e.session);
            if (!sid || strlen(sid) != 20) {
                abort();
            }
            memcpy(x->sid, sid, 21);
            continue;
        }
        if (x && x->closed) {
            abort(); /* an event after CLOSE */
        }
        if (e.type == EIO_EVENT_MESSAGE && e.len) {
            volatile uint8_t sink = e.data[0] ^ e.data[e.len - 1];
            (void)sink;
        }
        if (e.type == EIO_EVENT_CLOSE && x) {
            x->closed = true;
        }
    }
    eio_time t = eio_server_get_expiry(f->s);
    if (t != EIO_TIME_NEVER && t < f->now) {
        abort(); /* a deadline in the past survived handle_expiry */
    }
}

static session *sess_pick(fz *f)
{
    uint8_t k = byte(f);
    return f->nss ? &f->ss[k % f->nss] : NULL;
}

static void request(fz *f, eio_http_method m, const char *q, size_t qlen, bool ws,
                    const uint8_t *body, size_t blen, bool follows, bool binary)
{
    conn *c = conn_new(f, follows ? C_FOLLOWS : C_REQ);
    if (!c) {
        return;
    }
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = c->id;
    r.method = m;
    r.query = q;
    r.query_len = qlen;
    r.websocket = ws;
    r.body = body;
    r.body_len = blen;
    r.body_follows = follows;
    r.content_length = follows ? (int64_t)blen - 1 : -1;
    r.content_type = binary ? "application/octet-stream" : "text/plain;charset=UTF-8";
    int rc = eio_server_handle_request(f->s, &r, f->now);
    if (rc != 0) {
        c->state = C_FREE;
    }
}

static void sess_request(fz *f, eio_http_method m, bool ws, const uint8_t *body, size_t blen,
                         bool follows, bool binary)
{
    session *x = sess_pick(f);
    if (!x) {
        return;
    }
    char q[96];
    int n = snprintf(q, sizeof(q), "EIO=%d&transport=%s&sid=%s", x->version,
                     ws ? "websocket" : "polling", x->sid);
    request(f, m, q, (size_t)n, ws, body, blen, follows, binary);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz *f = calloc(1, sizeof(*f));
    if (!f) {
        return 0;
    }
    f->p = data;
    f->n = size;
    f->next_conn = 1;
    eio_mem mem = {m_malloc, m_realloc, m_free, f};
    eio_server_options o;
    eio_server_options_default(&o);
    o.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
    o.random = rnd;
    o.random_user_data = f;
    o.ping_interval = 1000;
    o.ping_timeout = 500;
    o.upgrade_timeout = 700;
    o.max_payload = 200;
    o.max_buffered = 400;
    o.max_sessions = 8;
    if (eio_server_new(&f->s, &o, &mem) != 0) {
        free(f);
        return 0;
    }
    while (f->n) {
        uint8_t op = byte(f);
        size_t len;
        const uint8_t *b;
        switch (op % 14) {
        case 0: {
            bool v4 = byte(f) & 1;
            const char *q = v4 ? "EIO=4&transport=polling" : "EIO=3&transport=polling&b64=1";
            request(f, EIO_HTTP_GET, q, strlen(q), false, NULL, 0, false, false);
            break;
        }
        case 1: {
            bool v4 = byte(f) & 1;
            const char *q = v4 ? "EIO=4&transport=websocket" : "EIO=3&transport=websocket";
            request(f, EIO_HTTP_GET, q, strlen(q), true, NULL, 0, false, false);
            break;
        }
        case 2:
            sess_request(f, EIO_HTTP_GET, false, NULL, 0, false, false);
            break;
        case 3: {
            bool bin = byte(f) & 1;
            b = take(f, &len);
            sess_request(f, EIO_HTTP_POST, false, b, len, false, bin);
            break;
        }
        case 4: {
            bool bin = byte(f) & 1;
            sess_request(f, EIO_HTTP_POST, false, NULL, byte(f), true, bin);
            break;
        }
        case 5: {
            conn *c = conn_pick(f, C_FOLLOWS, byte(f));
            b = take(f, &len);
            if (c && eio_server_request_body(f->s, c->id, b, len, f->now) == 0) {
                c->state = C_REQ;
            }
            break;
        }
        case 6:
            sess_request(f, EIO_HTTP_GET, true, NULL, 0, false, false);
            break;
        case 7: {
            conn *c = conn_pick(f, C_WS, byte(f));
            bool bin = byte(f) & 1;
            b = take(f, &len);
            if (c) {
                (void)eio_server_ws_message(f->s, c->id, b, len, bin, f->now);
            }
            break;
        }
        case 8: {
            conn *c = conn_pick(f, C_WS, byte(f));
            if (c) {
                c->state = C_FREE;
                (void)eio_server_ws_closed(f->s, c->id, f->now);
            }
            break;
        }
        case 9: {
            uint8_t k = byte(f);
            conn *c = conn_pick(f, k & 1 ? C_REQ : C_FOLLOWS, k);
            if (c) {
                c->state = C_FREE;
                (void)eio_server_http_closed(f->s, c->id, f->now);
            }
            break;
        }
        case 10: {
            uint8_t k = byte(f);
            /* forward by up to ~2.5 s, sometimes backwards */
            if (k == 255 && f->now >= 100) {
                (void)eio_server_handle_expiry(f->s, f->now - 100);
            } else {
                f->now += (eio_time)k * 10;
                (void)eio_server_handle_expiry(f->s, f->now);
            }
            break;
        }
        case 11: {
            session *x = sess_pick(f);
            bool bin = byte(f) & 1;
            b = take(f, &len);
            if (x) {
                (void)eio_server_send(f->s, x->handle, b, len, bin, f->now);
            }
            break;
        }
        case 12: {
            session *x = sess_pick(f);
            if (x && (byte(f) & 7) == 0) {
                (void)eio_server_shutdown(f->s, f->now);
            } else if (x) {
                (void)eio_server_close_session(f->s, x->handle, f->now);
            }
            break;
        }
        case 13: {
            uint8_t k = byte(f);
            b = take(f, &len);
            eio_http_method m = (eio_http_method)(k & 3);
            request(f, m, (const char *)b, len, (k & 4) != 0, b, len, false, (k & 8) != 0);
            break;
        }
        default:
            break;
        }
        drain(f);
    }
    eio_server_free(f->s);
    if (f->outstanding != 0) {
        abort(); /* leak */
    }
    free(f);
    return 0;
}
