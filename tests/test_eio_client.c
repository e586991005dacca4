/*
 * The Engine.IO client session machine: every transition against a fake
 * clock and a scripted server built with the codec's encoders, checking the
 * exact bytes of every action and the exact events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sioc/eio_session.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* Harness: drains actions and events into copies, asserts them in order     */
/* ------------------------------------------------------------------------ */

#define MAXQ 512

typedef struct {
    eio_client_action_type type;
    uint32_t conn;
    eio_http_method method;
    char *target;
    char *ctype;
    uint8_t *body;
    size_t len;
    bool binary;
} tact;

typedef struct {
    eio_event e;
    uint8_t *data;
} tev;

typedef struct {
    eio_client *c;
    tact acts[MAXQ];
    size_t na, ai;
    tev evs[MAXQ];
    size_t ne, ei;
    bool closed_seen;
    eio_time now;
    uint32_t get;  /* the GET in flight, as the tests track it */
    uint32_t post;
    uint32_t ws;
} harness;

static uint8_t *dupmem(const void *p, size_t n)
{
    uint8_t *d = malloc(n + 1);
    assert_non_null(d);
    if (n > 0) {
        memcpy(d, p, n);
    }
    d[n] = 0;
    return d;
}

static void drain(harness *h)
{
    eio_client_action a;
    while (eio_client_next_action(h->c, &a)) {
        assert_false(h->closed_seen); /* nothing after CLOSE */
        assert_true(h->na < MAXQ);
        tact *t = &h->acts[h->na++];
        memset(t, 0, sizeof *t);
        t->type = a.type;
        t->conn = a.conn;
        t->method = a.method;
        t->target = a.target ? (char *)dupmem(a.target, strlen(a.target)) : NULL;
        t->ctype = a.content_type ? (char *)dupmem(a.content_type, strlen(a.content_type)) : NULL;
        t->body = a.body ? dupmem(a.body, a.len) : NULL;
        t->len = a.len;
        t->binary = a.binary;
    }
    eio_event e;
    while (eio_client_next_event(h->c, &e)) {
        assert_false(h->closed_seen);
        assert_true(h->ne < MAXQ);
        tev *t = &h->evs[h->ne++];
        t->e = e;
        t->data = e.data ? dupmem(e.data, e.len) : NULL;
        if (e.type == EIO_EVENT_CLOSE) {
            h->closed_seen = true;
        }
    }
    eio_time x = eio_client_get_expiry(h->c);
    assert_true(x == EIO_TIME_NEVER || x >= h->now);
}

static void h_clear(harness *h)
{
    for (size_t i = 0; i < h->na; i++) {
        free(h->acts[i].target);
        free(h->acts[i].ctype);
        free(h->acts[i].body);
    }
    for (size_t i = 0; i < h->ne; i++) {
        free(h->evs[i].data);
    }
    h->na = h->ai = h->ne = h->ei = 0;
}

static void h_init(harness *h, const eio_client_options *o, const eio_mem *mem)
{
    memset(h, 0, sizeof *h);
    h->now = 1000;
    assert_int_equal(eio_client_new(&h->c, o, mem), 0);
}

static void h_done(harness *h)
{
    /* every action and event was checked */
    assert_int_equal(h->ai, h->na);
    assert_int_equal(h->ei, h->ne);
    h_clear(h);
    eio_client_free(h->c);
}

static tact *act(harness *h)
{
    assert_true(h->ai < h->na);
    return &h->acts[h->ai++];
}

static tev *ev(harness *h)
{
    assert_true(h->ei < h->ne);
    return &h->evs[h->ei++];
}

static void no_more(harness *h)
{
    assert_int_equal(h->ai, h->na);
    assert_int_equal(h->ei, h->ne);
}

static uint32_t expect_get(harness *h, const char *target)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_HTTP_REQUEST);
    assert_int_equal(a->method, EIO_HTTP_GET);
    assert_string_equal(a->target, target);
    assert_null(a->ctype);
    assert_null(a->body);
    return a->conn;
}

static uint32_t expect_post(harness *h, const char *target, const char *ctype, const void *body,
                            size_t len)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_HTTP_REQUEST);
    assert_int_equal(a->method, EIO_HTTP_POST);
    assert_string_equal(a->target, target);
    assert_string_equal(a->ctype, ctype);
    assert_int_equal(a->len, len);
    assert_memory_equal(a->body, body, len);
    return a->conn;
}

#define TEXT_CT "text/plain;charset=UTF-8"
#define BIN_CT "application/octet-stream"

static uint32_t expect_ws_open(harness *h, const char *target)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_WS_OPEN);
    assert_string_equal(a->target, target);
    return a->conn;
}

static void expect_ws_send(harness *h, uint32_t conn, const void *body, size_t len, bool binary)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_WS_SEND);
    assert_int_equal(a->conn, conn);
    assert_int_equal(a->len, len);
    assert_memory_equal(a->body, body, len);
    assert_int_equal(a->binary, binary);
}

#define WS_TEXT(h, conn, lit) expect_ws_send(h, conn, lit, sizeof(lit) - 1, false)

static void expect_abort(harness *h, uint32_t conn)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_HTTP_ABORT);
    assert_int_equal(a->conn, conn);
}

static void expect_ws_close(harness *h, uint32_t conn)
{
    tact *a = act(h);
    assert_int_equal(a->type, EIO_CLIENT_WS_CLOSE);
    assert_int_equal(a->conn, conn);
}

static void expect_ev(harness *h, eio_event_type type)
{
    assert_int_equal(ev(h)->e.type, type);
}

static void expect_msg(harness *h, const void *data, size_t len, bool binary)
{
    tev *e = ev(h);
    assert_int_equal(e->e.type, EIO_EVENT_MESSAGE);
    assert_int_equal(e->e.len, len);
    assert_int_equal(e->e.binary, binary);
    if (len > 0) {
        assert_memory_equal(e->data, data, len);
    }
}

#define MSG_TEXT(h, lit) expect_msg(h, lit, sizeof(lit) - 1, false)

static void expect_close(harness *h, eio_close_reason reason, int error)
{
    tev *e = ev(h);
    assert_int_equal(e->e.type, EIO_EVENT_CLOSE);
    assert_int_equal(e->e.reason, reason);
    assert_int_equal(e->e.error, error);
    assert_int_equal(eio_client_state(h->c), EIO_STATE_CLOSED);
    assert_int_equal(eio_client_get_expiry(h->c), EIO_TIME_NEVER);
}

/* Inputs: each from a guard-page copy, then drained. */
static void respond(harness *h, uint32_t conn, int status, const char *ct, const void *body,
                    size_t len)
{
    uint8_t *g = tu_guard_copy(body, len);
    assert_int_equal(eio_client_http_response(h->c, conn, status, ct, g, len, h->now), 0);
    drain(h);
    tu_guard_free(g, len);
}

#define RESP(h, conn, lit) respond(h, conn, 200, NULL, lit, sizeof(lit) - 1)
#define POST_OK(h, conn) respond(h, conn, 200, "text/html", "ok", 2)

static void frame(harness *h, uint32_t conn, const void *data, size_t len, bool binary)
{
    uint8_t *g = tu_guard_copy(data, len);
    assert_int_equal(eio_client_ws_message(h->c, conn, g, len, binary, h->now), 0);
    drain(h);
    tu_guard_free(g, len);
}

#define FRAME(h, conn, lit) frame(h, conn, lit, sizeof(lit) - 1, false)

static void ws_opened(harness *h, uint32_t conn)
{
    assert_int_equal(eio_client_ws_opened(h->c, conn, h->now), 0);
    drain(h);
}

static void ws_closed(harness *h, uint32_t conn)
{
    assert_int_equal(eio_client_ws_closed(h->c, conn, h->now), 0);
    drain(h);
}

static void expire(harness *h, eio_time t)
{
    h->now = t;
    assert_int_equal(eio_client_handle_expiry(h->c, t), 0);
    drain(h);
}

static int send_raw(harness *h, const void *data, size_t len, bool binary)
{
    uint8_t *g = tu_guard_copy(data, len);
    int rc = eio_client_send(h->c, g, len, binary, h->now);
    drain(h);
    tu_guard_free(g, len);
    return rc;
}

#define SEND(h, lit) assert_int_equal(send_raw(h, lit, sizeof(lit) - 1, false), 0)

/* ------------------------------------------------------------------------ */
/* Server responses built with the codec                                     */
/* ------------------------------------------------------------------------ */

static eio_packet pk(eio_packet_type t, const char *s)
{
    eio_packet p = {t, s && *s ? EIO_DATA_TEXT : EIO_DATA_NONE, (const uint8_t *)s,
                    s ? strlen(s) : 0};
    return p;
}

static eio_packet pkb(const void *d, size_t n)
{
    eio_packet p = {EIO_PACKET_MESSAGE, EIO_DATA_BINARY, d, n};
    return p;
}

static size_t payload(eio_version v, eio_payload_format f, const eio_packet *p, size_t n,
                      uint8_t *out, size_t cap)
{
    size_t len = 0;
    assert_int_equal(eio_payload_encode(v, f, p, n, out, cap, &len), 0);
    return len;
}

typedef struct {
    const char *sid;
    unsigned upgrades;
    uint32_t interval, timeout;
    uint64_t max_payload; /* 0: absent */
} hs_spec;

static const hs_spec HS_PLAIN = {"SID", 0, 25000, 20000, 1000000};
static const hs_spec HS_UPG = {"SID", EIO_UPGRADE_WEBSOCKET, 25000, 20000, 1000000};

/* The open packet's JSON into `json` (static storage of the caller). */
static eio_packet open_packet(eio_version v, const hs_spec *s, char *json, size_t cap)
{
    eio_handshake hs;
    memset(&hs, 0, sizeof hs);
    snprintf(hs.sid, sizeof hs.sid, "%s", s->sid);
    hs.sid_len = strlen(s->sid);
    hs.upgrades = s->upgrades;
    hs.ping_interval = s->interval;
    hs.ping_timeout = s->timeout;
    hs.max_payload = s->max_payload;
    hs.has_max_payload = s->max_payload != 0;
    size_t len = 0;
    assert_int_equal(eio_handshake_encode(v, &hs, (uint8_t *)json, cap - 1, &len), 0);
    json[len] = 0;
    return pk(EIO_PACKET_OPEN, json);
}

static eio_client_options opts(eio_version v)
{
    eio_client_options o;
    eio_client_options_default(&o);
    o.version = v;
    return o;
}

/*
 * Opens a polling session: handshake GET, the open packet (plus `extra`
 * packets in the same body), the OPEN event, the next GET. Leaves any
 * further action (the upgrade's WS_OPEN) to the test.
 */
static void open_polling(harness *h, const eio_client_options *o, const hs_spec *s,
                         const eio_packet *extra, size_t n_extra)
{
    h_init(h, o, NULL);
    assert_int_equal(eio_client_state(h->c), EIO_STATE_OPENING);
    assert_int_equal(eio_client_get_expiry(h->c), EIO_TIME_NEVER);
    assert_string_equal(eio_client_sid(h->c), "");
    assert_int_equal(eio_client_open(h->c, h->now), 0);
    drain(h);
    char target[256];
    snprintf(target, sizeof target, "/engine.io/?EIO=%d&transport=polling&t=0", (int)o->version);
    uint32_t hs_get = expect_get(h, target);
    no_more(h);
    char json[512];
    eio_packet pk_all[8];
    pk_all[0] = open_packet(o->version, s, json, sizeof json);
    for (size_t i = 0; i < n_extra; i++) {
        pk_all[i + 1] = extra[i];
    }
    uint8_t body[2048];
    size_t len = payload(o->version, EIO_PAYLOAD_TEXT, pk_all, n_extra + 1, body, sizeof body);
    respond(h, hs_get, 200, "text/plain; charset=UTF-8", body, len);
    tev *e = ev(h);
    assert_int_equal(e->e.type, EIO_EVENT_OPEN);
    assert_non_null(e->e.handshake);
    assert_string_equal(e->e.handshake->sid, s->sid);
    assert_int_equal(e->e.handshake->ping_interval, s->interval);
    assert_int_equal(e->e.version, o->version);
    assert_int_equal(e->e.transport, EIO_TRANSPORT_POLLING);
    assert_int_equal(eio_client_state(h->c), EIO_STATE_OPEN);
    assert_string_equal(eio_client_sid(h->c), s->sid);
    snprintf(target, sizeof target, "/engine.io/?EIO=%d&transport=polling&sid=%s&t=1",
             (int)o->version, s->sid);
    h->get = expect_get(h, target);
}

#define T4(n) "/engine.io/?EIO=4&transport=polling&sid=SID&t=" #n
#define T3(n) "/engine.io/?EIO=3&transport=polling&sid=SID&t=" #n
#define WS4 "/engine.io/?EIO=4&transport=websocket&sid=SID"
#define WS3 "/engine.io/?EIO=3&transport=websocket&sid=SID"

/* ------------------------------------------------------------------------ */
/* Creation and options                                                      */
/* ------------------------------------------------------------------------ */

/* extra_headers come back on every HTTP request and WebSocket open, never on
 * frames; lines that are not "Name: value\r\n" are refused at creation. */
static void test_extra_headers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "X-A: b",                 /* no CRLF */
        "X-A: b\n",               /* bare LF */
        "X-A: b\r\nX-B: c\n",     /* second line with a bare LF */
        ": x\r\n",               /* empty name */
        "X A: b\r\n",            /* space in the name */
        "X-A: b\rc\r\n",         /* bare CR in the value */
        "X-A b\r\n",             /* no colon */
        "X-A: b\r\n\r\nGET / HTTP/1.1\r\n", /* an empty line ends the headers */
    };
    eio_client_options o;
    eio_client *c = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eio_client_options_default(&o);
        o.extra_headers = bad[i];
        assert_int_equal(eio_client_new(&c, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
        assert_null(c);
    }

    char headers[] = "Authorization: Bearer abc.def\r\nX-Trace_Id: 1\t2 \xc3\xa9\r\n";
    eio_client_options_default(&o);
    o.extra_headers = headers;
    assert_int_equal(eio_client_new(&c, &o, NULL), 0);
    headers[0] = 'a'; /* copied: later changes to the caller's string do not leak in */
    assert_int_equal(eio_client_open(c, 0), 0);
    eio_client_action a;
    assert_int_equal(eio_client_next_action(c, &a), 1);
    assert_int_equal(a.type, EIO_CLIENT_HTTP_REQUEST);
    assert_non_null(a.headers);
    assert_string_equal(a.headers, "Authorization: Bearer abc.def\r\nX-Trace_Id: 1\t2 \xc3\xa9\r\n");
    eio_client_free(c);

    eio_client_options_default(&o);
    o.extra_headers = "Cookie: a=b\r\n";
    o.websocket_only = true;
    assert_int_equal(eio_client_new(&c, &o, NULL), 0);
    assert_int_equal(eio_client_open(c, 0), 0);
    assert_int_equal(eio_client_next_action(c, &a), 1);
    assert_int_equal(a.type, EIO_CLIENT_WS_OPEN);
    assert_string_equal(a.headers, "Cookie: a=b\r\n");
    uint32_t ws = a.conn;
    assert_int_equal(eio_client_ws_opened(c, ws, 1), 0);
    const char open_frame[] = "0{\"sid\":\"s1\",\"upgrades\":[],\"pingInterval\":25000,"
                              "\"pingTimeout\":20000,\"maxPayload\":1000000}";
    assert_int_equal(eio_client_ws_message(c, ws, (const uint8_t *)open_frame,
                                           sizeof open_frame - 1, false, 2), 0);
    assert_int_equal(eio_client_send(c, (const uint8_t *)"hi", 2, false, 3), 0);
    int frames = 0;
    while (eio_client_next_action(c, &a) == 1) {
        if (a.type == EIO_CLIENT_WS_SEND) {
            assert_null(a.headers);
            frames++;
        }
    }
    assert_int_equal(frames, 1);
    eio_client_free(c);

    /* none given: NULL */
    assert_int_equal(eio_client_new(&c, NULL, NULL), 0);
    assert_int_equal(eio_client_open(c, 0), 0);
    assert_int_equal(eio_client_next_action(c, &a), 1);
    assert_null(a.headers);
    eio_client_free(c);
}

static void test_options(void **state)
{
    (void)state;
    eio_client_options o;
    eio_client_options_default(&o);
    assert_int_equal(o.version, EIO_V4);
    assert_string_equal(o.path, "/engine.io/");
    assert_null(o.query);
    assert_false(o.websocket_only);
    assert_true(o.upgrade);
    assert_true(o.timestamp_requests);
    assert_true(o.supports_binary);
    assert_int_equal(o.probe_timeout, 10000);
    assert_int_equal(o.max_buffered, 10 * 1000000);

    eio_client *c = NULL;
    assert_int_equal(eio_client_new(NULL, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    o.version = (eio_version)5;
    assert_int_equal(eio_client_new(&c, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_null(c);
    eio_mem bad = {NULL, NULL, NULL, NULL};
    assert_int_equal(eio_client_new(&c, NULL, &bad), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_new(&c, NULL, NULL), 0);
    assert_int_equal(eio_client_transport(c), EIO_TRANSPORT_POLLING);
    assert_int_equal(eio_client_open(c, 0), 0);
    assert_int_equal(eio_client_open(c, 0), EIO_ERR_INVALID_ARGUMENT);
    eio_client_free(c);
    eio_client_free(NULL);
    /* max_buffered 0: ten times the local max payload */
    eio_client_options_default(&o);
    o.max_buffered = 0;
    o.limits.max_payload = 100;
    assert_int_equal(eio_client_new(&c, &o, NULL), 0);
    uint8_t buf[1001];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(eio_client_send(c, buf, 1001, false, 0), EIO_ERR_LIMIT);
    assert_int_equal(eio_client_send(c, buf, 101, false, 0), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(eio_client_send(c, buf, 99, false, 0), 0);
    eio_client_free(c);
    assert_int_equal(eio_client_state(NULL), EIO_STATE_CLOSED);
    assert_string_equal(eio_client_sid(NULL), "");
}

/* ------------------------------------------------------------------------ */
/* Handshake                                                                 */
/* ------------------------------------------------------------------------ */

static void test_handshake_v4_polling(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    eio_packet extra[] = {pk(EIO_PACKET_MESSAGE, "hi"), pk(EIO_PACKET_NOOP, NULL)};
    harness h;
    open_polling(&h, &o, &HS_PLAIN, extra, 2);
    MSG_TEXT(&h, "hi");
    no_more(&h);
    assert_int_equal(eio_client_get_expiry(h.c), 1000 + 25000 + 20000);
    assert_int_equal(eio_client_transport(h.c), EIO_TRANSPORT_POLLING);
    /* the GET loop: answered -> sent again */
    RESP(&h, h.get, "4a\x1e" "4b");
    MSG_TEXT(&h, "a");
    MSG_TEXT(&h, "b");
    h.get = expect_get(&h, T4(2));
    RESP(&h, h.get, "6");
    h.get = expect_get(&h, T4(3));
    h_done(&h);
}

/* The v3 protocol document's sample session, byte for byte. */
static void test_handshake_v3_spec_sample(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    o.upgrade = true;
    harness h;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = expect_get(&h, "/engine.io/?EIO=3&transport=polling&t=0");
    RESP(&h, get,
         "96:0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
         "\"pingInterval\":25000,\"pingTimeout\":5000}");
    tev *e = ev(&h);
    assert_int_equal(e->e.type, EIO_EVENT_OPEN);
    assert_string_equal(e->e.handshake->sid, "lv_VI97HAXpY6yYWAAAC");
    assert_int_equal(e->e.handshake->ping_timeout, 5000);
    assert_int_equal(e->e.version, EIO_V3);
    get = expect_get(&h, "/engine.io/?EIO=3&transport=polling&sid=lv_VI97HAXpY6yYWAAAC&t=1");
    uint32_t probe =
        expect_ws_open(&h, "/engine.io/?EIO=3&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC");
    RESP(&h, get, "4:4hey");
    MSG_TEXT(&h, "hey");
    get = expect_get(&h, "/engine.io/?EIO=3&transport=polling&sid=lv_VI97HAXpY6yYWAAAC&t=2");
    /* both sends while no POST is in flight: the first goes alone */
    SEND(&h, "hello");
    uint32_t post = expect_post(&h, "/engine.io/?EIO=3&transport=polling&sid=lv_VI97HAXpY6yYWAAAC&t=3",
                                TEXT_CT, "6:4hello", 8);
    SEND(&h, "world");
    no_more(&h);
    POST_OK(&h, post);
    post = expect_post(&h, "/engine.io/?EIO=3&transport=polling&sid=lv_VI97HAXpY6yYWAAAC&t=4",
                       TEXT_CT, "6:4world", 8);
    POST_OK(&h, post);
    /* the upgrade of the sample */
    ws_opened(&h, probe);
    WS_TEXT(&h, probe, "2probe");
    FRAME(&h, probe, "3probe");
    no_more(&h); /* pausing: the GET is still out */
    RESP(&h, get, "1:6");
    WS_TEXT(&h, probe, "5");
    expect_ev(&h, EIO_EVENT_UPGRADE);
    assert_int_equal(eio_client_transport(h.c), EIO_TRANSPORT_WEBSOCKET);
    SEND(&h, "hello");
    WS_TEXT(&h, probe, "4hello");
    /* v3 ping over the WebSocket after one interval from the open */
    expire(&h, 1000 + 25000);
    WS_TEXT(&h, probe, "2");
    FRAME(&h, probe, "3");
    expect_ev(&h, EIO_EVENT_PONG);
    assert_int_equal(eio_client_close(h.c, h.now), 0);
    drain(&h);
    WS_TEXT(&h, probe, "1");
    expect_ws_close(&h, probe);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
}

static void test_handshake_v3_b64_query(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    o.supports_binary = false;
    o.query = "token=abc";
    o.path = "/socket.io/";
    o.upgrade = false;
    harness h;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = expect_get(&h, "/socket.io/?EIO=3&transport=polling&t=0&b64=1&token=abc");
    char json[512];
    uint8_t bin[] = {1, 2, 3};
    eio_packet p[] = {open_packet(EIO_V3, &HS_UPG, json, sizeof json), pkb(bin, 3)};
    uint8_t body[1024];
    size_t len = payload(EIO_V3, EIO_PAYLOAD_TEXT, p, 2, body, sizeof body);
    respond(&h, get, 200, "text/plain; charset=UTF-8", body, len);
    expect_ev(&h, EIO_EVENT_OPEN);
    expect_msg(&h, bin, 3, true); /* b4AQID, decoded */
    /* b64 only on the handshake; no probe since upgrade is off */
    h.get = expect_get(&h, "/socket.io/?EIO=3&transport=polling&sid=SID&t=1&token=abc");
    /* a binary send travels as base64 text when binary is not supported */
    assert_int_equal(send_raw(&h, bin, 3, true), 0);
    expect_post(&h, "/socket.io/?EIO=3&transport=polling&sid=SID&t=2&token=abc", TEXT_CT,
                "6:b4AQID", 8);
    h_done(&h);
}

static void test_handshake_v3_binary_body(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    o.timestamp_requests = false;
    harness h;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = expect_get(&h, "/engine.io/?EIO=3&transport=polling");
    char json[512];
    uint8_t bin[] = {0, 0xff, 7};
    eio_packet p[] = {open_packet(EIO_V3, &HS_PLAIN, json, sizeof json), pkb(bin, 3),
                      pk(EIO_PACKET_MESSAGE, "t\xc3\xa9")};
    uint8_t body[1024];
    size_t len = payload(EIO_V3, EIO_PAYLOAD_BINARY, p, 3, body, sizeof body);
    respond(&h, get, 200, "Application/Octet-Stream", body, len);
    expect_ev(&h, EIO_EVENT_OPEN);
    expect_msg(&h, bin, 3, true);
    MSG_TEXT(&h, "t\xc3\xa9");
    h.get = expect_get(&h, "/engine.io/?EIO=3&transport=polling&sid=SID");
    /* a batch with a binary packet goes in the binary format */
    SEND(&h, "ab");
    uint32_t post = expect_post(&h, "/engine.io/?EIO=3&transport=polling&sid=SID", TEXT_CT,
                                "3:4ab", 5);
    assert_int_equal(send_raw(&h, bin, 3, true), 0);
    SEND(&h, "c");
    POST_OK(&h, post);
    static const uint8_t want[] = {1, 4, 0xff, 4, 0, 0xff, 7, 0, 2, 0xff, '4', 'c'};
    post = expect_post(&h, "/engine.io/?EIO=3&transport=polling&sid=SID", BIN_CT, want,
                       sizeof want);
    /* a binary body announced as text/plain is read as text: parse error,
     * and the POST still out is abandoned */
    respond(&h, h.get, 200, "text/plain", want, sizeof want);
    expect_abort(&h, post);
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_BAD_LENGTH);
    h_done(&h);
}

static void test_handshake_websocket_only(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    o.websocket_only = true;
    o.query = "a=1";
    harness h;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_transport(h.c), EIO_TRANSPORT_WEBSOCKET);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t ws = expect_ws_open(&h, "/engine.io/?EIO=4&transport=websocket&a=1");
    /* queued before the session exists */
    SEND(&h, "early");
    uint8_t bin[] = {9, 8};
    assert_int_equal(send_raw(&h, bin, 2, true), 0);
    no_more(&h);
    /* a frame before the open report is the caller's mistake */
    assert_int_equal(eio_client_ws_message(h.c, ws, (const uint8_t *)"4", 1, false, h.now),
                     EIO_ERR_INVALID_ARGUMENT);
    ws_opened(&h, ws);
    no_more(&h);
    char json[512];
    eio_packet op = open_packet(EIO_V4, &HS_UPG, json, sizeof json);
    char fr[600];
    fr[0] = '0';
    memcpy(fr + 1, op.data, op.len);
    frame(&h, ws, fr, op.len + 1, false);
    tev *e = ev(&h);
    assert_int_equal(e->e.type, EIO_EVENT_OPEN);
    assert_int_equal(e->e.transport, EIO_TRANSPORT_WEBSOCKET);
    WS_TEXT(&h, ws, "4early");
    expect_ws_send(&h, ws, bin, 2, true);
    /* no upgrade probe from a WebSocket session */
    FRAME(&h, ws, "4hello");
    MSG_TEXT(&h, "hello");
    frame(&h, ws, bin, 2, true);
    expect_msg(&h, bin, 2, true);
    FRAME(&h, ws, "bCQg=");
    expect_msg(&h, bin, 2, true);
    FRAME(&h, ws, "2");
    expect_ev(&h, EIO_EVENT_PING);
    WS_TEXT(&h, ws, "3");
    FRAME(&h, ws, "1");
    expect_ws_close(&h, ws);
    expect_close(&h, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    h_done(&h);
}

/* Handshakes that fail: each ends with one CLOSE and then nothing. */
static void hs_fail(eio_version v, int status, const char *ct, const char *body, size_t len,
                    eio_close_reason reason, int error)
{
    eio_client_options o = opts(v);
    harness h;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = act(&h)->conn;
    respond(&h, get, status, ct, body, len);
    tev *e = ev(&h);
    assert_int_equal(e->e.type, EIO_EVENT_CLOSE);
    assert_int_equal(e->e.reason, reason);
    assert_int_equal(e->e.error, error);
    if (status != 200) {
        assert_int_equal(e->e.len, len);
        assert_memory_equal(e->data, body, len);
    }
    assert_string_equal(eio_client_sid(h.c), "");
    /* dead: every input returns 0 and produces nothing */
    assert_int_equal(eio_client_http_response(h.c, get, 200, NULL, (const uint8_t *)"6", 1, 0), 0);
    assert_int_equal(eio_client_http_failed(h.c, 77, 0), 0);
    assert_int_equal(eio_client_ws_opened(h.c, 77, 0), 0);
    assert_int_equal(eio_client_ws_closed(h.c, 77, 0), 0);
    assert_int_equal(eio_client_handle_expiry(h.c, UINT64_MAX - 1), 0);
    assert_int_equal(eio_client_send(h.c, (const uint8_t *)"x", 1, false, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_close(h.c, 0), 0);
    drain(&h);
    h_done(&h);
}

static void test_handshake_failures(void **state)
{
    (void)state;
    const char *refusal = "{\"code\":5,\"message\":\"Unsupported protocol version\"}";
    hs_fail(EIO_V4, 400, "application/json", refusal, strlen(refusal),
            EIO_CLOSE_HANDSHAKE_ERROR, 0);
    hs_fail(EIO_V4, 200, NULL, "x", 1, EIO_CLOSE_HANDSHAKE_ERROR, EIO_ERR_INVALID_TYPE);
    hs_fail(EIO_V4, 200, NULL, "", 0, EIO_CLOSE_HANDSHAKE_ERROR, EIO_ERR_EMPTY_PAYLOAD);
    hs_fail(EIO_V4, 200, NULL, "4hello", 6, EIO_CLOSE_HANDSHAKE_ERROR, EIO_ERR_HANDSHAKE_INVALID);
    hs_fail(EIO_V4, 200, NULL, "0", 1, EIO_CLOSE_HANDSHAKE_ERROR, EIO_ERR_HANDSHAKE_INVALID);
    hs_fail(EIO_V4, 200, NULL, "0{", 2, EIO_CLOSE_HANDSHAKE_ERROR,
            EIO_ERR_JSON_UNEXPECTED_END);
    hs_fail(EIO_V4, 200, NULL, "0{\"sid\":\"a\"}", 12, EIO_CLOSE_HANDSHAKE_ERROR,
            EIO_ERR_HANDSHAKE_INVALID);
    hs_fail(EIO_V3, 200, NULL, "5:4abcd", 7, EIO_CLOSE_HANDSHAKE_ERROR,
            EIO_ERR_HANDSHAKE_INVALID);
    hs_fail(EIO_V3, 200, NULL, "9:4abcd", 7, EIO_CLOSE_HANDSHAKE_ERROR,
            EIO_ERR_LENGTH_PAST_END);
    /* a good open packet followed by garbage: opened, then a parse error */
    {
        eio_client_options o = opts(EIO_V4);
        harness h;
        h_init(&h, &o, NULL);
        assert_int_equal(eio_client_open(h.c, h.now), 0);
        drain(&h);
        uint32_t get = act(&h)->conn;
        char json[512];
        eio_packet op = open_packet(EIO_V4, &HS_PLAIN, json, sizeof json);
        char body[600];
        body[0] = '0';
        memcpy(body + 1, op.data, op.len);
        memcpy(body + 1 + op.len, "\x1e" "4ok\x1e" "9", 6);
        respond(&h, get, 200, NULL, body, op.len + 7);
        expect_ev(&h, EIO_EVENT_OPEN);
        MSG_TEXT(&h, "ok");
        expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_INVALID_TYPE);
        h_done(&h);
    }
    /* the handshake request failing at the network level */
    {
        eio_client_options o = opts(EIO_V4);
        harness h;
        h_init(&h, &o, NULL);
        assert_int_equal(eio_client_open(h.c, h.now), 0);
        drain(&h);
        uint32_t get = act(&h)->conn;
        assert_int_equal(eio_client_http_failed(h.c, get, h.now), 0);
        drain(&h);
        expect_close(&h, EIO_CLOSE_TRANSPORT_ERROR, 0);
        h_done(&h);
    }
    /* websocket-only: failing to connect, a first frame that is not open,
     * closed after connecting */
    for (int i = 0; i < 3; i++) {
        eio_client_options o = opts(EIO_V4);
        o.websocket_only = true;
        harness h;
        h_init(&h, &o, NULL);
        assert_int_equal(eio_client_open(h.c, h.now), 0);
        drain(&h);
        uint32_t ws = expect_ws_open(&h, "/engine.io/?EIO=4&transport=websocket");
        if (i == 0) {
            ws_closed(&h, ws);
            expect_close(&h, EIO_CLOSE_TRANSPORT_ERROR, 0);
        } else if (i == 1) {
            ws_opened(&h, ws);
            FRAME(&h, ws, "4hello");
            expect_ws_close(&h, ws);
            expect_close(&h, EIO_CLOSE_HANDSHAKE_ERROR, EIO_ERR_HANDSHAKE_INVALID);
        } else {
            ws_opened(&h, ws);
            ws_closed(&h, ws);
            expect_close(&h, EIO_CLOSE_TRANSPORT_CLOSE, 0);
        }
        h_done(&h);
    }
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                   */
/* ------------------------------------------------------------------------ */

static void test_send_batching(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    hs_spec s = HS_PLAIN;
    s.max_payload = 12;
    harness h;
    open_polling(&h, &o, &s, NULL, 0);
    SEND(&h, "aaaa"); /* "4aaaa" = 5 */
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "4aaaa", 5);
    SEND(&h, "bbbb");
    SEND(&h, "cccc");
    SEND(&h, "");
    SEND(&h, "dddddddddd"); /* 11: fits alone */
    /* 12 bytes of body at most, one whole packet at least */
    assert_int_equal(send_raw(&h, "eeeeeeeeeeee", 12, false), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(send_raw(&h, "\xff", 1, false), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_send(h.c, NULL, 1, false, h.now), EIO_ERR_INVALID_ARGUMENT);
    no_more(&h);
    POST_OK(&h, post);
    post = expect_post(&h, T4(3), TEXT_CT, "4bbbb\x1e" "4cccc", 11);
    POST_OK(&h, post);
    post = expect_post(&h, T4(4), TEXT_CT, "4", 1);
    POST_OK(&h, post);
    post = expect_post(&h, T4(5), TEXT_CT, "4dddddddddd", 11);
    POST_OK(&h, post);
    no_more(&h);
    /* binary in v4 polling: base64 */
    uint8_t bin[] = {1, 2, 3};
    assert_int_equal(send_raw(&h, bin, 3, true), 0);
    expect_post(&h, T4(6), TEXT_CT, "bAQID", 5);
    h_done(&h);
}

static void test_send_max_buffered(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    o.max_buffered = 10;
    harness h;
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    assert_int_equal(send_raw(&h, "12345678901", 11, false), EIO_ERR_LIMIT);
    SEND(&h, "12345678");
    /* handed to a POST at once: no longer held */
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "412345678", 9);
    SEND(&h, "123456");
    assert_int_equal(send_raw(&h, "12345", 5, false), EIO_ERR_LIMIT);
    SEND(&h, "1234");
    assert_int_equal(send_raw(&h, "1", 1, false), EIO_ERR_LIMIT);
    no_more(&h);
    POST_OK(&h, post);
    expect_post(&h, T4(3), TEXT_CT, "4123456\x1e" "41234", 13);
    SEND(&h, "0123456789");
    h_done(&h);
}

/* v3: a server maxPayload is ignored; the local limit applies. */
static void test_send_v3_limit(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    o.limits.max_payload = 200;
    o.upgrade = false;
    hs_spec s = HS_PLAIN;
    s.max_payload = 3;
    harness h;
    open_polling(&h, &o, &s, NULL, 0);
    SEND(&h, "abc");
    uint32_t post = expect_post(&h, T3(2), TEXT_CT, "4:4abc", 6);
    char big[200];
    memset(big, 'x', sizeof big);
    /* "200:4" + 199 bytes = 204 */
    assert_int_equal(send_raw(&h, big, 199, false), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(send_raw(&h, big, 190, false), 0); /* "191:4" + 190 = 195 */
    SEND(&h, "d");                                      /* 199 */
    SEND(&h, "e");                                      /* 203: next POST */
    POST_OK(&h, post);
    char want[256];
    memcpy(want, "191:4", 5);
    memcpy(want + 5, big, 190);
    memcpy(want + 195, "2:4d", 4);
    post = expect_post(&h, T3(3), TEXT_CT, want, 199);
    POST_OK(&h, post);
    expect_post(&h, T3(4), TEXT_CT, "2:4e", 4);
    h_done(&h);
}

/* ------------------------------------------------------------------------ */
/* Receiving                                                                 */
/* ------------------------------------------------------------------------ */

static void test_receive(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    harness h;
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    RESP(&h, h.get, "4text\x1e" "bAQID\x1e" "4\x1e" "5\x1e" "6\x1e" "0{}\x1e" "3");
    MSG_TEXT(&h, "text");
    expect_msg(&h, "\x01\x02\x03", 3, true);
    expect_msg(&h, "", 0, false);
    h.get = expect_get(&h, T4(2));
    h_done(&h);

    /* v3 with b64=1: base64 records; pings from a v3 server are ignored */
    eio_client_options o3 = opts(EIO_V3);
    o3.supports_binary = false;
    o3.upgrade = false;
    h_init(&h, &o3, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = expect_get(&h, "/engine.io/?EIO=3&transport=polling&t=0&b64=1");
    char json[512];
    eio_packet op = open_packet(EIO_V3, &HS_PLAIN, json, sizeof json);
    uint8_t body[1024];
    size_t len = payload(EIO_V3, EIO_PAYLOAD_TEXT, &op, 1, body, sizeof body);
    respond(&h, get, 200, NULL, body, len);
    expect_ev(&h, EIO_EVENT_OPEN);
    get = expect_get(&h, T3(1));
    RESP(&h, get, "6:b4AQID1:22:4\xc3\xa9");
    expect_msg(&h, "\x01\x02\x03", 3, true);
    MSG_TEXT(&h, "\xc3\xa9");
    get = expect_get(&h, T3(2));
    /* bad base64 is a parse error */
    RESP(&h, get, "4:b4A=");
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_INVALID_BASE64);
    h_done(&h);
}

/* `n` copies of `c` after `prefix`, at `out`; returns the end. */
static char *fill(char *out, const char *prefix, char c, size_t n)
{
    size_t k = strlen(prefix);
    memcpy(out, prefix, k);
    memset(out + k, c, n);
    return out + k + n;
}

/* A body of exactly limits.max_payload is read; one byte more is refused.
 * (The limit must leave room for the handshake's open packet.) */
static void test_receive_max_payload(void **state)
{
    (void)state;
    char body[256], *e;
    eio_client_options o = opts(EIO_V4);
    o.limits.max_payload = 128;
    o.upgrade = false;
    harness h;
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    /* 1 + 63, 0x1e, 1 + 62: 128 */
    e = fill(fill(body, "4", 'a', 63), "\x1e" "4", 'b', 62);
    respond(&h, h.get, 200, NULL, body, (size_t)(e - body));
    assert_int_equal(e - body, 128);
    expect_msg(&h, body + 1, 63, false);
    expect_msg(&h, body + 66, 62, false);
    h.get = expect_get(&h, T4(2));
    /* one record of 128 */
    e = fill(body, "4", 'c', 127);
    respond(&h, h.get, 200, NULL, body, (size_t)(e - body));
    expect_msg(&h, body + 1, 127, false);
    h.get = expect_get(&h, T4(3));
    e = fill(fill(body, "4", 'a', 63), "\x1e" "4", 'b', 63);
    respond(&h, h.get, 200, NULL, body, (size_t)(e - body));
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_PAYLOAD_TOO_LARGE);
    h_done(&h);

    eio_client_options o3 = opts(EIO_V3);
    o3.limits.max_payload = 128;
    o3.upgrade = false;
    open_polling(&h, &o3, &HS_PLAIN, NULL, 0);
    /* 4 + 30, 4 + 90: 128 */
    e = fill(fill(body, "31:4", 'a', 30), "91:4", 'b', 90);
    assert_int_equal(e - body, 128);
    respond(&h, h.get, 200, NULL, body, (size_t)(e - body));
    expect_msg(&h, body + 4, 30, false);
    expect_msg(&h, body + 38, 90, false);
    h.get = expect_get(&h, T3(2));
    e = fill(fill(body, "31:4", 'a', 30), "92:4", 'b', 91);
    respond(&h, h.get, 200, NULL, body, (size_t)(e - body));
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_PAYLOAD_TOO_LARGE);
    h_done(&h);
}

/* v4 text holding 0x1e: refused until the session is on WebSocket. */
static void test_send_separator(void **state)
{
    (void)state;
    static const char rs[] = "a\x1e" "b";
    eio_client_options o = opts(EIO_V4);
    harness h;
    /* queued before the handshake: the polling rule applies */
    h_init(&h, &o, NULL);
    assert_int_equal(send_raw(&h, rs, 3, false), EIO_ERR_INVALID_ARGUMENT);
    h_done(&h);

    open_polling(&h, &o, &HS_UPG, NULL, 0);
    uint32_t ws = expect_ws_open(&h, WS4);
    assert_int_equal(send_raw(&h, rs, 3, false), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(send_raw(&h, rs + 1, 1, false), EIO_ERR_INVALID_ARGUMENT);
    no_more(&h);
    /* binary is base64 on polling */
    assert_int_equal(send_raw(&h, rs, 3, true), 0);
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "bYR5i", 5);
    ws_opened(&h, ws);
    WS_TEXT(&h, ws, "2probe");
    POST_OK(&h, post);
    FRAME(&h, ws, "3probe");
    /* pausing is still polling: a failed switch would post it */
    assert_int_equal(send_raw(&h, rs, 3, false), EIO_ERR_INVALID_ARGUMENT);
    no_more(&h);
    RESP(&h, h.get, "6");
    WS_TEXT(&h, ws, "5");
    expect_ev(&h, EIO_EVENT_UPGRADE);
    assert_int_equal(send_raw(&h, rs, 3, false), 0);
    WS_TEXT(&h, ws, "4a\x1e" "b");
    FRAME(&h, ws, "4a\x1e" "b");
    MSG_TEXT(&h, "a\x1e" "b");
    h_done(&h);

    /* WebSocket only: accepted from the start */
    o.websocket_only = true;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    ws = expect_ws_open(&h, "/engine.io/?EIO=4&transport=websocket");
    assert_int_equal(send_raw(&h, rs, 3, false), 0);
    ws_opened(&h, ws);
    char json[512];
    eio_packet op = open_packet(EIO_V4, &HS_PLAIN, json, sizeof json);
    char fr[600];
    fr[0] = '0';
    memcpy(fr + 1, op.data, op.len);
    frame(&h, ws, fr, op.len + 1, false);
    expect_ev(&h, EIO_EVENT_OPEN);
    WS_TEXT(&h, ws, "4a\x1e" "b");
    h_done(&h);

    /* v3 polling has length prefixes: fine */
    eio_client_options o3 = opts(EIO_V3);
    o3.upgrade = false;
    open_polling(&h, &o3, &HS_PLAIN, NULL, 0);
    assert_int_equal(send_raw(&h, rs, 3, false), 0);
    expect_post(&h, T3(2), TEXT_CT, "4:4a\x1e" "b", 6);
    h_done(&h);
}

/* ------------------------------------------------------------------------ */
/* Heartbeat                                                                 */
/* ------------------------------------------------------------------------ */

static void test_heartbeat_v4(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    hs_spec s = HS_PLAIN;
    s.interval = 300;
    s.timeout = 200;
    harness h;
    open_polling(&h, &o, &s, NULL, 0);
    eio_time deadline = 1000 + 500;
    assert_int_equal(eio_client_get_expiry(h.c), deadline);
    expire(&h, deadline - 1);
    no_more(&h);
    /* a ping: pong with the same data, deadline restarts from now */
    h.now = 1499;
    RESP(&h, h.get, "2");
    expect_ev(&h, EIO_EVENT_PING);
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "3", 1);
    h.get = expect_get(&h, T4(3));
    assert_int_equal(eio_client_get_expiry(h.c), 1999);
    h.now = 1600;
    RESP(&h, h.get, "2x\x1e" "2y");
    tev *e = ev(&h);
    assert_int_equal(e->e.type, EIO_EVENT_PING);
    assert_memory_equal(e->data, "x", 1);
    expect_ev(&h, EIO_EVENT_PING);
    h.get = expect_get(&h, T4(4));
    /* the POST is busy: both pongs wait for it */
    POST_OK(&h, post);
    post = expect_post(&h, T4(5), TEXT_CT, "3x\x1e" "3y", 5);
    /* messages do not extend a v4 deadline; a pong from the server is ignored */
    RESP(&h, h.get, "4m\x1e" "3");
    MSG_TEXT(&h, "m");
    h.get = expect_get(&h, T4(6));
    assert_int_equal(eio_client_get_expiry(h.c), 2100);
    /* a clock stepping back counts as no time passing */
    expire(&h, 100);
    no_more(&h);
    expire(&h, 2099);
    no_more(&h);
    /* ten intervals late: one close */
    expire(&h, 2100 + 10 * 300);
    expect_abort(&h, h.get);
    expect_abort(&h, post);
    expect_close(&h, EIO_CLOSE_PING_TIMEOUT, 0);
    expire(&h, 99999);
    no_more(&h);
    h_done(&h);
}

static void test_heartbeat_v3(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    hs_spec s = HS_PLAIN;
    s.interval = 300;
    s.timeout = 200;
    harness h;
    open_polling(&h, &o, &s, NULL, 0);
    assert_int_equal(eio_client_get_expiry(h.c), 1300);
    expire(&h, 1299);
    no_more(&h);
    expire(&h, 1300);
    uint32_t post = expect_post(&h, T3(2), TEXT_CT, "1:2", 3);
    assert_int_equal(eio_client_get_expiry(h.c), 1500); /* pong due */
    POST_OK(&h, post);
    /* the pong: next ping one interval later; the timeout moves to
     * interval + timeout from this packet */
    h.now = 1450;
    RESP(&h, h.get, "1:3");
    expect_ev(&h, EIO_EVENT_PONG);
    h.get = expect_get(&h, T3(3));
    assert_int_equal(eio_client_get_expiry(h.c), 1750);
    /* a wake-up ten intervals late sends one ping, and the server gets a
     * full timeout from now */
    expire(&h, 1750 + 3000);
    post = expect_post(&h, T3(4), TEXT_CT, "1:2", 3);
    no_more(&h);
    assert_int_equal(eio_client_get_expiry(h.c), 4750 + 200);
    /* any packet proves life (engine.io-client 3's heartbeat) */
    h.now = 4800;
    RESP(&h, h.get, "2:4a");
    MSG_TEXT(&h, "a");
    h.get = expect_get(&h, T3(5));
    assert_int_equal(eio_client_get_expiry(h.c), 4800 + 500);
    /* a ping from a v3 server is ignored, but is still a packet */
    h.now = 4900;
    RESP(&h, h.get, "1:2");
    h.get = expect_get(&h, T3(6));
    assert_int_equal(eio_client_get_expiry(h.c), 5400);
    expire(&h, 5399);
    no_more(&h);
    expire(&h, 5400);
    expect_abort(&h, h.get);
    expect_abort(&h, post);
    expect_close(&h, EIO_CLOSE_PING_TIMEOUT, 0);
    h_done(&h);
}

/* ------------------------------------------------------------------------ */
/* Upgrade                                                                   */
/* ------------------------------------------------------------------------ */

static void test_upgrade(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    harness h;
    open_polling(&h, &o, &HS_UPG, NULL, 0);
    uint32_t ws = expect_ws_open(&h, WS4);
    assert_int_equal(eio_client_get_expiry(h.c), 1000 + 10000);
    /* polling carries on while probing */
    SEND(&h, "a");
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "4a", 2);
    ws_opened(&h, ws);
    WS_TEXT(&h, ws, "2probe");
    POST_OK(&h, post);
    SEND(&h, "b");
    post = expect_post(&h, T4(3), TEXT_CT, "4b", 2);
    FRAME(&h, ws, "3probe");
    /* pausing: nothing new goes out */
    SEND(&h, "c");
    no_more(&h);
    /* the held GET is answered (noop and a late message) */
    RESP(&h, h.get, "4late\x1e" "6");
    MSG_TEXT(&h, "late");
    no_more(&h);
    SEND(&h, "d");
    no_more(&h);
    POST_OK(&h, post);
    WS_TEXT(&h, ws, "5");
    expect_ev(&h, EIO_EVENT_UPGRADE);
    WS_TEXT(&h, ws, "4c");
    WS_TEXT(&h, ws, "4d");
    assert_int_equal(eio_client_transport(h.c), EIO_TRANSPORT_WEBSOCKET);
    assert_int_equal(eio_client_get_expiry(h.c), 1000 + 45000);
    uint8_t bin[] = {1, 2};
    assert_int_equal(send_raw(&h, bin, 2, true), 0);
    expect_ws_send(&h, ws, bin, 2, true);
    FRAME(&h, ws, "4x");
    MSG_TEXT(&h, "x");
    h.now = 2000;
    FRAME(&h, ws, "2");
    expect_ev(&h, EIO_EVENT_PING);
    WS_TEXT(&h, ws, "3");
    assert_int_equal(eio_client_get_expiry(h.c), 2000 + 45000);
    /* stale reports for the polling requests are ignored */
    assert_int_equal(eio_client_http_failed(h.c, h.get, h.now), 0);
    /* undecodable frame */
    FRAME(&h, ws, "9");
    expect_ws_close(&h, ws);
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_INVALID_TYPE);
    h_done(&h);
}

/* v3 upgrade: binary frames carry the type byte. */
static void test_upgrade_v3_binary(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V3);
    harness h;
    open_polling(&h, &o, &HS_UPG, NULL, 0);
    uint32_t ws = expect_ws_open(&h, WS3);
    ws_opened(&h, ws);
    WS_TEXT(&h, ws, "2probe");
    uint8_t bin[] = {7, 7};
    assert_int_equal(send_raw(&h, bin, 2, true), 0);
    uint8_t want_body[] = {1, 3, 0xff, 4, 7, 7};
    uint32_t post = expect_post(&h, T3(2), BIN_CT, want_body, sizeof want_body);
    FRAME(&h, ws, "3probe");
    RESP(&h, h.get, "1:6");
    no_more(&h);
    assert_int_equal(send_raw(&h, bin, 2, true), 0);
    POST_OK(&h, post);
    WS_TEXT(&h, ws, "5");
    expect_ev(&h, EIO_EVENT_UPGRADE);
    uint8_t want_frame[] = {4, 7, 7};
    expect_ws_send(&h, ws, want_frame, 3, true);
    frame(&h, ws, want_frame, 3, true);
    expect_msg(&h, bin, 2, true);
    /* peer closes the WebSocket */
    ws_closed(&h, ws);
    expect_close(&h, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    h_done(&h);
}

/* Probe failures: the session stays on polling and loses nothing. */
static void test_probe_failures(void **state)
{
    (void)state;
    for (int kind = 0; kind < 7; kind++) {
        eio_client_options o = opts(EIO_V4);
        harness h;
        open_polling(&h, &o, &HS_UPG, NULL, 0);
        uint32_t ws = expect_ws_open(&h, WS4);
        bool peer_closed = false;
        switch (kind) {
        case 0: /* fails to connect */
            ws_closed(&h, ws);
            peer_closed = true;
            break;
        case 1: /* times out before opening, at the edge */
            expire(&h, 1000 + 10000 - 1);
            no_more(&h);
            expire(&h, 1000 + 10000);
            break;
        case 2: /* wrong answer */
            ws_opened(&h, ws);
            WS_TEXT(&h, ws, "2probe");
            FRAME(&h, ws, "3nope");
            break;
        case 3: /* garbage */
            ws_opened(&h, ws);
            WS_TEXT(&h, ws, "2probe");
            FRAME(&h, ws, "x");
            break;
        case 4: /* closed after the probe was sent */
            ws_opened(&h, ws);
            WS_TEXT(&h, ws, "2probe");
            ws_closed(&h, ws);
            peer_closed = true;
            break;
        case 5: /* no answer */
            ws_opened(&h, ws);
            WS_TEXT(&h, ws, "2probe");
            expire(&h, 1000 + 10000);
            break;
        case 6: /* fails while pausing: the GET was answered and not sent again */
            ws_opened(&h, ws);
            WS_TEXT(&h, ws, "2probe");
            SEND(&h, "p");
            h.post = expect_post(&h, T4(2), TEXT_CT, "4p", 2);
            FRAME(&h, ws, "3probe");
            RESP(&h, h.get, "4g");
            MSG_TEXT(&h, "g");
            SEND(&h, "q");
            no_more(&h);
            FRAME(&h, ws, "4unexpected");
            break;
        }
        if (!peer_closed) {
            expect_ws_close(&h, ws);
        }
        expect_ev(&h, EIO_EVENT_UPGRADE_FAILED);
        assert_int_equal(eio_client_transport(h.c), EIO_TRANSPORT_POLLING);
        if (kind == 6) {
            h.get = expect_get(&h, T4(3));
            no_more(&h);
            POST_OK(&h, h.post);
            expect_post(&h, T4(4), TEXT_CT, "4q", 2);
        }
        no_more(&h);
        /* stale report for the dropped probe: ignored */
        assert_int_equal(eio_client_ws_closed(h.c, ws, h.now), 0);
        drain(&h);
        no_more(&h);
        assert_int_equal(eio_client_get_expiry(h.c), 1000 + 45000);
        h_done(&h);
    }
}

/* ------------------------------------------------------------------------ */
/* Closing                                                                   */
/* ------------------------------------------------------------------------ */

static void do_close(harness *h)
{
    assert_int_equal(eio_client_close(h->c, h->now), 0);
    drain(h);
}

static void test_close_states(void **state)
{
    (void)state;
    harness h;
    eio_client_options o = opts(EIO_V4);
    /* before open */
    h_init(&h, &o, NULL);
    do_close(&h);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    assert_int_equal(eio_client_open(h.c, h.now), EIO_ERR_INVALID_ARGUMENT);
    h_done(&h);
    /* during the polling handshake */
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t get = act(&h)->conn;
    do_close(&h);
    expect_abort(&h, get);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    /* during the websocket-only handshake */
    o.websocket_only = true;
    h_init(&h, &o, NULL);
    assert_int_equal(eio_client_open(h.c, h.now), 0);
    drain(&h);
    uint32_t ws = act(&h)->conn;
    do_close(&h);
    expect_ws_close(&h, ws);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    o.websocket_only = false;
    /* open, polling, queue flushed with the close packet */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    SEND(&h, "a");
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "4a", 2);
    SEND(&h, "b");
    do_close(&h);
    assert_int_equal(eio_client_state(h.c), EIO_STATE_CLOSING);
    assert_int_equal(send_raw(&h, "c", 1, false), EIO_ERR_INVALID_ARGUMENT);
    do_close(&h);
    no_more(&h);
    /* what the GET brings while closing is still delivered; no new GET */
    RESP(&h, h.get, "4in");
    MSG_TEXT(&h, "in");
    no_more(&h);
    POST_OK(&h, post);
    expect_post(&h, T4(3), TEXT_CT, "4b\x1e" "1", 4);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    /* open, polling, idle */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    do_close(&h);
    expect_post(&h, T4(2), TEXT_CT, "1", 1);
    expect_abort(&h, h.get);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    /* while probing: the probe is dropped without UPGRADE_FAILED */
    open_polling(&h, &o, &HS_UPG, NULL, 0);
    ws = expect_ws_open(&h, WS4);
    ws_opened(&h, ws);
    WS_TEXT(&h, ws, "2probe");
    do_close(&h);
    expect_ws_close(&h, ws);
    expect_post(&h, T4(2), TEXT_CT, "1", 1);
    expect_abort(&h, h.get);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    /* while pausing with a POST out */
    open_polling(&h, &o, &HS_UPG, NULL, 0);
    ws = expect_ws_open(&h, WS4);
    ws_opened(&h, ws);
    WS_TEXT(&h, ws, "2probe");
    SEND(&h, "x");
    post = expect_post(&h, T4(2), TEXT_CT, "4x", 2);
    FRAME(&h, ws, "3probe");
    SEND(&h, "y");
    do_close(&h);
    expect_ws_close(&h, ws);
    no_more(&h);
    POST_OK(&h, post);
    expect_post(&h, T4(3), TEXT_CT, "4y\x1e" "1", 4);
    expect_abort(&h, h.get);
    expect_close(&h, EIO_CLOSE_FORCED, 0);
    h_done(&h);
    /* the close's own POST may be abandoned by the caller: ignored */
}

static void test_server_close_and_errors(void **state)
{
    (void)state;
    eio_client_options o = opts(EIO_V4);
    harness h;
    /* close packet on the GET: what follows it is ignored; the POST is abandoned */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    SEND(&h, "a");
    uint32_t post = expect_post(&h, T4(2), TEXT_CT, "4a", 2);
    RESP(&h, h.get, "4before\x1e" "1\x1e" "4after");
    MSG_TEXT(&h, "before");
    expect_abort(&h, post);
    expect_close(&h, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    assert_int_equal(eio_client_http_response(h.c, post, 200, NULL, (const uint8_t *)"ok", 2, 0), 0);
    drain(&h);
    h_done(&h);
    /* GET status */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    respond(&h, h.get, 400, "application/json", "{}", 2);
    expect_close(&h, EIO_CLOSE_TRANSPORT_ERROR, 0);
    h_done(&h);
    /* POST status */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    SEND(&h, "a");
    post = expect_post(&h, T4(2), TEXT_CT, "4a", 2);
    respond(&h, post, 413, NULL, "", 0);
    expect_abort(&h, h.get);
    expect_close(&h, EIO_CLOSE_TRANSPORT_ERROR, 0);
    h_done(&h);
    /* failed requests */
    for (int which = 0; which < 2; which++) {
        open_polling(&h, &o, &HS_UPG, NULL, 0);
        uint32_t ws = expect_ws_open(&h, WS4);
        SEND(&h, "a");
        post = expect_post(&h, T4(2), TEXT_CT, "4a", 2);
        assert_int_equal(eio_client_http_failed(h.c, which ? post : h.get, h.now), 0);
        drain(&h);
        if (which) {
            expect_abort(&h, h.get);
        } else {
            expect_abort(&h, post);
        }
        expect_ws_close(&h, ws);
        expect_close(&h, EIO_CLOSE_TRANSPORT_ERROR, 0);
        h_done(&h);
    }
    /* parse error on the GET */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    RESP(&h, h.get, "4ok\x1e\x1e" "4no");
    MSG_TEXT(&h, "ok");
    expect_close(&h, EIO_CLOSE_PARSE_ERROR, EIO_ERR_EMPTY_PACKET);
    h_done(&h);
    /* conns: unknown, wrong kind, stale */
    open_polling(&h, &o, &HS_PLAIN, NULL, 0);
    assert_int_equal(eio_client_http_response(h.c, 0, 200, NULL, NULL, 0, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_http_response(h.c, 999, 200, NULL, NULL, 0, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_ws_opened(h.c, h.get, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_ws_message(h.c, h.get, (const uint8_t *)"4", 1, false, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_ws_closed(h.c, h.get, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_http_failed(h.c, 999, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_client_http_response(h.c, 1, 200, NULL, (const uint8_t *)"6", 1, 0), 0);
    assert_int_equal(eio_client_http_response(h.c, h.get, 200, NULL, NULL, 1, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    drain(&h);
    no_more(&h);
    h_done(&h);
}

/* ------------------------------------------------------------------------ */
/* Allocation failure                                                        */
/* ------------------------------------------------------------------------ */

static bool saw_nomem;

static void fm_respond(eio_client *c, uint32_t conn, const char *body, eio_time now)
{
    eio_client_http_response(c, conn, 200, NULL, (const uint8_t *)body, strlen(body), now);
}

static uint32_t fm_get, fm_post, fm_ws;

/* Drains, remembering the last GET, POST and WebSocket. */
static void fm_drain(eio_client *c)
{
    eio_client_action a;
    while (eio_client_next_action(c, &a)) {
        if (a.type == EIO_CLIENT_HTTP_REQUEST) {
            *(a.method == EIO_HTTP_GET ? &fm_get : &fm_post) = a.conn;
        } else if (a.type == EIO_CLIENT_WS_OPEN) {
            fm_ws = a.conn;
        }
    }
    eio_event e;
    while (eio_client_next_event(c, &e)) {
        if (e.type == EIO_EVENT_CLOSE && e.error == EIO_ERR_NOMEM) {
            saw_nomem = true;
        }
    }
}

/* A scripted session touching every allocating path. */
static void scripted(const eio_mem *mem, eio_version v)
{
    eio_client_options o = opts(v);
    o.query = "k=v";
    eio_client *c = NULL;
    int rc = eio_client_new(&c, &o, mem);
    if (rc != 0) {
        assert_int_equal(rc, EIO_ERR_NOMEM);
        saw_nomem = true;
        return;
    }
    eio_time now = 0;
    fm_get = fm_post = fm_ws = 0;
    eio_client_send(c, (const uint8_t *)"early", 5, false, now);
    eio_client_open(c, now);
    fm_drain(c);
    char json[512];
    eio_packet op = open_packet(v, &HS_UPG, json, sizeof json);
    eio_packet ps[] = {op, pk(EIO_PACKET_MESSAGE, "m"), pkb("\x01\x02", 2),
                       pk(EIO_PACKET_PING, "d")};
    uint8_t body[1024];
    size_t len = payload(v, EIO_PAYLOAD_TEXT, ps, v == EIO_V4 ? 4 : 3, body, sizeof body);
    eio_client_http_response(c, fm_get, 200, NULL, body, len, now);
    fm_drain(c);
    for (int i = 0; i < 3; i++) {
        eio_client_send(c, (const uint8_t *)"abc", 3, i == 1, now);
    }
    fm_drain(c);
    eio_client_ws_opened(c, fm_ws, now);
    fm_drain(c);
    eio_client_ws_message(c, fm_ws, (const uint8_t *)"3probe", 6, false, now);
    fm_drain(c);
    /* enough queued packets, events and frames to grow every array */
    for (int i = 0; i < 20; i++) {
        eio_client_send(c, (const uint8_t *)"queued", 6, i % 3 == 0, now);
    }
    char many[256] = "";
    for (int i = 0; i < 20; i++) {
        strcat(many, v == EIO_V4 ? "4x\x1e" : "2:4x");
    }
    strcat(many, v == EIO_V4 ? "6" : "1:6");
    fm_respond(c, fm_get, many, now);
    fm_drain(c);
    eio_client_http_response(c, fm_post, 200, NULL, (const uint8_t *)"ok", 2, now);
    fm_drain(c);
    eio_client_http_response(c, fm_post, 200, NULL, (const uint8_t *)"ok", 2, now);
    fm_drain(c);
    eio_client_send(c, (const uint8_t *)"over ws", 7, false, now);
    if (v == EIO_V4) {
        eio_client_ws_message(c, fm_ws, (const uint8_t *)"bAQID", 5, false, now);
    } else {
        eio_client_ws_message(c, fm_ws, (const uint8_t *)"b4AQID", 6, false, now);
    }
    eio_client_ws_message(c, fm_ws, (const uint8_t *)"2", 1, false, now);
    eio_client_ws_message(c, fm_ws, (const uint8_t *)"3x", 2, false, now);
    fm_drain(c);
    eio_client_handle_expiry(c, now + 25000);
    fm_drain(c);
    if (!saw_nomem) {
        /* the script got as far as the upgrade */
        assert_int_equal(eio_client_transport(c), EIO_TRANSPORT_WEBSOCKET);
    }
    eio_client_close(c, now);
    fm_drain(c);
    eio_client_free(c);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    for (int v = 3; v <= 4; v++) {
        long total = -1;
        for (long fail = 0;; fail++) {
            tu_failmem fm;
            tu_failmem_init(&fm, fail);
            saw_nomem = false;
            scripted(&fm.mem, (eio_version)v);
            assert_int_equal(fm.outstanding, 0);
            if (fm.calls <= fail) {
                total = fm.calls; /* the whole script ran without failing */
                assert_false(saw_nomem);
                break;
            }
            /* every failure is reported: a NOMEM close or eio_client_new's code */
            assert_true(saw_nomem);
            assert_true(fail < 10000);
        }
        assert_true(total > 10);
    }
}

/* Freeing with actions and events still queued releases them. */
static void test_free_undrained(void **state)
{
    (void)state;
    tu_failmem fm;
    tu_failmem_init(&fm, -1);
    eio_client_options o = opts(EIO_V4);
    o.websocket_only = true;
    eio_client *c;
    assert_int_equal(eio_client_new(&c, &o, &fm.mem), 0);
    assert_int_equal(eio_client_send(c, (const uint8_t *)"q", 1, false, 0), 0);
    assert_int_equal(eio_client_open(c, 0), 0);
    assert_int_equal(eio_client_ws_opened(c, 1, 0), 0);
    char json[512];
    eio_packet op = open_packet(EIO_V4, &HS_PLAIN, json, sizeof json);
    char fr[600];
    fr[0] = '0';
    memcpy(fr + 1, op.data, op.len);
    assert_int_equal(eio_client_ws_message(c, 1, (const uint8_t *)fr, op.len + 1, false, 0), 0);
    assert_int_equal(eio_client_ws_message(c, 1, (const uint8_t *)"bAQID", 5, false, 0), 0);
    assert_int_equal(eio_client_send(c, (const uint8_t *)"r", 1, false, 0), 0);
    assert_true(fm.outstanding > 0);
    eio_client_free(c);
    assert_int_equal(fm.outstanding, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_extra_headers),
        cmocka_unit_test(test_handshake_v4_polling),
        cmocka_unit_test(test_handshake_v3_spec_sample),
        cmocka_unit_test(test_handshake_v3_b64_query),
        cmocka_unit_test(test_handshake_v3_binary_body),
        cmocka_unit_test(test_handshake_websocket_only),
        cmocka_unit_test(test_handshake_failures),
        cmocka_unit_test(test_send_batching),
        cmocka_unit_test(test_send_max_buffered),
        cmocka_unit_test(test_send_v3_limit),
        cmocka_unit_test(test_receive),
        cmocka_unit_test(test_receive_max_payload),
        cmocka_unit_test(test_send_separator),
        cmocka_unit_test(test_heartbeat_v4),
        cmocka_unit_test(test_heartbeat_v3),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_upgrade_v3_binary),
        cmocka_unit_test(test_probe_failures),
        cmocka_unit_test(test_close_states),
        cmocka_unit_test(test_server_close_and_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_free_undrained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
