/*
 * Drives one Engine.IO client session with a sequence of operations read
 * from the input, playing a server that answers at random, and checks the
 * machine's invariants after every step:
 *   - every action refers to a connection the machine opened and that is
 *     still alive (aborts and closes too),
 *   - at most one GET and one POST in flight,
 *   - deadlines are NEVER or not before the latest `now`,
 *   - exactly one CLOSE, and nothing at all after it,
 *   - no crash, leak or out-of-bounds access (sanitizers).
 *
 * Input: byte 0 picks the options; then operations of one opcode byte and
 * their operands (see the switch below).
 */
#include "fuzz_target.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio_session.h"

#define CHECK(x)                                                                              \
    do {                                                                                      \
        if (!(x)) {                                                                           \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #x, __LINE__);                \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#define MAX_WS 8

typedef struct {
    eio_client *c;
    eio_time now;
    uint32_t get, post; /* requests in flight, as the server sees them */
    uint32_t ws[MAX_WS];
    bool ws_open[MAX_WS];
    size_t n_ws;
    bool close_seen;
    eio_version version;
} world;

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t take(input *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static const uint8_t *take_bytes(input *in, size_t *len)
{
    size_t want = take(in);
    if (want > in->n) {
        want = in->n;
    }
    const uint8_t *p = in->p;
    in->p += want;
    in->n -= want;
    *len = want;
    return p;
}

static int ws_index(const world *w, uint32_t conn)
{
    for (size_t i = 0; i < w->n_ws; i++) {
        if (w->ws[i] == conn) {
            return (int)i;
        }
    }
    return -1;
}

static void ws_forget(world *w, int i)
{
    w->ws[i] = w->ws[w->n_ws - 1];
    w->ws_open[i] = w->ws_open[w->n_ws - 1];
    w->n_ws--;
}

static void drain(world *w)
{
    eio_client_action a;
    while (eio_client_next_action(w->c, &a)) {
        CHECK(!w->close_seen);
        CHECK(a.conn != 0);
        switch (a.type) {
        case EIO_CLIENT_HTTP_REQUEST:
            CHECK(a.target != NULL);
            if (a.method == EIO_HTTP_GET) {
                CHECK(w->get == 0);
                w->get = a.conn;
            } else {
                CHECK(a.method == EIO_HTTP_POST);
                CHECK(w->post == 0);
                CHECK(a.content_type != NULL && (a.body != NULL || a.len == 0));
                w->post = a.conn;
            }
            break;
        case EIO_CLIENT_HTTP_ABORT:
            CHECK(a.conn == w->get || a.conn == w->post);
            if (a.conn == w->get) {
                w->get = 0;
            } else {
                w->post = 0;
            }
            break;
        case EIO_CLIENT_WS_OPEN:
            CHECK(a.target != NULL);
            CHECK(ws_index(w, a.conn) < 0);
            if (w->n_ws < MAX_WS) {
                w->ws[w->n_ws] = a.conn;
                w->ws_open[w->n_ws] = false;
                w->n_ws++;
            }
            break;
        case EIO_CLIENT_WS_SEND: {
            int i = ws_index(w, a.conn);
            CHECK(i >= 0 && w->ws_open[i]);
            CHECK(a.body != NULL || a.len == 0);
            break;
        }
        case EIO_CLIENT_WS_CLOSE: {
            int i = ws_index(w, a.conn);
            CHECK(i >= 0);
            ws_forget(w, i);
            break;
        }
        default:
            CHECK(0);
        }
    }
    eio_event e;
    while (eio_client_next_event(w->c, &e)) {
        CHECK(!w->close_seen);
        CHECK(e.data != NULL || e.len == 0);
        if (e.type == EIO_EVENT_CLOSE) {
            w->close_seen = true;
        } else if (e.type == EIO_EVENT_OPEN) {
            CHECK(e.handshake != NULL);
        }
    }
    if (w->close_seen) {
        CHECK(eio_client_state(w->c) == EIO_STATE_CLOSED);
    }
    eio_time x = eio_client_get_expiry(w->c);
    CHECK(x == EIO_TIME_NEVER || x >= w->now);
}

/* A valid open packet, so the fuzzer reaches the open session often. */
static size_t handshake_unit(world *w, uint8_t sel, uint8_t *out, size_t cap)
{
    eio_handshake hs;
    memset(&hs, 0, sizeof hs);
    memcpy(hs.sid, "fuzzsid", 8);
    hs.sid_len = 7;
    hs.upgrades = (sel & 1) ? EIO_UPGRADE_WEBSOCKET : 0;
    hs.ping_interval = 100u * (uint32_t)((sel >> 1) & 7);
    hs.ping_timeout = 50u * (uint32_t)((sel >> 4) & 3);
    hs.max_payload = (sel & 0x40) ? 16 : 1000000;
    hs.has_max_payload = true;
    out[0] = '0';
    size_t len = 0;
    if (eio_handshake_encode(w->version, &hs, out + 1, cap - 1, &len) != 0) {
        return 0;
    }
    return len + 1;
}

static eio_time advance(world *w, eio_time by)
{
    w->now += by;
    return w->now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, size};
    uint8_t cfg = take(&in);
    eio_client_options o;
    eio_client_options_default(&o);
    o.version = (cfg & 1) ? EIO_V3 : EIO_V4;
    o.websocket_only = (cfg & 2) != 0;
    o.upgrade = (cfg & 4) == 0;
    o.supports_binary = (cfg & 8) == 0;
    o.timestamp_requests = (cfg & 16) == 0;
    o.query = (cfg & 32) ? "q=1" : NULL;
    o.max_buffered = (cfg & 64) ? 40 : 0;
    o.limits.max_payload = (cfg & 128) ? 64 : 0;
    o.probe_timeout = 300;

    world w;
    memset(&w, 0, sizeof w);
    w.version = o.version;
    if (eio_client_new(&w.c, &o, NULL) != 0) {
        return 0;
    }
    uint8_t unit[512];
    while (in.n > 0) {
        uint8_t op = take(&in);
        uint8_t arg = take(&in);
        eio_time now = advance(&w, 0);
        switch (op % 14) {
        case 0:
            eio_client_open(w.c, now);
            break;
        case 1:
        case 2: { /* answer the GET (1) or the POST (2) */
            uint32_t conn = op % 14 == 1 ? w.get : w.post;
            size_t len;
            const uint8_t *body = take_bytes(&in, &len);
            int status = (arg & 3) == 3 ? 400 : 200;
            const char *ct = (arg & 4) ? "application/octet-stream" : NULL;
            if (conn == 0) {
                conn = arg; /* a stray conn, never one in flight */
                if (conn == w.get || conn == w.post) {
                    break;
                }
            } else if (conn == w.get) {
                w.get = 0;
            } else {
                w.post = 0;
            }
            eio_client_http_response(w.c, conn, status, ct, body, len, now);
            break;
        }
        case 3: { /* the GET answered with a handshake */
            if (w.get == 0) {
                break;
            }
            size_t len = handshake_unit(&w, arg, unit, sizeof unit);
            if (w.version == EIO_V3) {
                /* v3 text body: `<length>:` before the packet (ASCII: bytes = units) */
                char pre[16];
                int n = snprintf(pre, sizeof pre, "%zu:", len);
                memmove(unit + n, unit, len);
                memcpy(unit, pre, (size_t)n);
                len += (size_t)n;
            }
            uint32_t conn = w.get;
            w.get = 0;
            eio_client_http_response(w.c, conn, 200, NULL, unit, len, now);
            break;
        }
        case 4: { /* a request fails */
            uint32_t conn = (arg & 1) ? w.post : w.get;
            if (conn == 0 && (arg == w.get || arg == w.post)) {
                break;
            }
            if (conn != 0 && conn == w.get) {
                w.get = 0;
            } else if (conn != 0) {
                w.post = 0;
            }
            eio_client_http_failed(w.c, conn ? conn : arg, now);
            break;
        }
        case 5: /* a WebSocket opens */
            if (w.n_ws > 0) {
                size_t i = arg % w.n_ws;
                w.ws_open[i] = true;
                eio_client_ws_opened(w.c, w.ws[i], now);
            }
            break;
        case 6: { /* a frame arrives */
            size_t len;
            const uint8_t *fr = take_bytes(&in, &len);
            if (w.n_ws > 0) {
                size_t i = arg % w.n_ws;
                if (w.ws_open[i]) {
                    eio_client_ws_message(w.c, w.ws[i], fr, len, (arg & 0x80) != 0, now);
                }
            }
            break;
        }
        case 7: /* canned frames: the probe's pong, the open packet */
            if (w.n_ws > 0) {
                size_t i = arg % w.n_ws;
                if (!w.ws_open[i]) {
                    break;
                }
                if (arg & 0x80) {
                    size_t len = handshake_unit(&w, take(&in), unit, sizeof unit);
                    eio_client_ws_message(w.c, w.ws[i], unit, len, false, now);
                } else {
                    eio_client_ws_message(w.c, w.ws[i], (const uint8_t *)"3probe", 6, false,
                                          now);
                }
            }
            break;
        case 8: /* a WebSocket closes */
            if (w.n_ws > 0) {
                int i = (int)(arg % w.n_ws);
                uint32_t conn = w.ws[i];
                ws_forget(&w, i);
                eio_client_ws_closed(w.c, conn, now);
            }
            break;
        case 9: /* time passes */
            now = advance(&w, (eio_time)arg * ((op & 0x80) ? 100u : 1u));
            eio_client_handle_expiry(w.c, now);
            break;
        case 10: { /* the application sends */
            size_t len;
            const uint8_t *msg = take_bytes(&in, &len);
            eio_client_send(w.c, msg, len, (arg & 1) != 0, now);
            break;
        }
        case 11:
            eio_client_close(w.c, now);
            break;
        case 12: /* a clock that steps back */
            eio_client_handle_expiry(w.c, now > arg ? now - arg : 0);
            break;
        case 13: /* a canned server body on the GET */
            if (w.get != 0) {
                static const char *const bodies4[] = {"6", "2", "4hi\036bAQID", "1", "2probe"};
                static const char *const bodies3[] = {"1:6", "1:3", "3:4hi6:b4AQID", "1:1", "1:2"};
                const char *b = (w.version == EIO_V4 ? bodies4 : bodies3)[arg % 5];
                uint32_t conn = w.get;
                w.get = 0;
                eio_client_http_response(w.c, conn, 200, NULL, (const uint8_t *)b, strlen(b),
                                         now);
            }
            break;
        }
        drain(&w);
    }
    eio_client_close(w.c, w.now);
    drain(&w);
    eio_client_free(w.c);
    return 0;
}
