/*
 * test_sio_client.c - the Socket.IO client machine driven by fake
 * Engine.IO events and a fake clock; every Engine.IO message it asks to
 * send and every event it reports is compared exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* Harness                                                                   */
/* ------------------------------------------------------------------------ */

/* A scripted random source: returns the values in order, then the last. */
typedef struct script {
    const double *v;
    size_t n, i;
} script;

static double script_random(void *ud)
{
    script *s = ud;
    if (s->n == 0) {
        return 0.0;
    }
    double r = s->v[s->i < s->n ? s->i : s->n - 1];
    s->i++;
    return r;
}

static script no_jitter = {NULL, 0, 0};

static sio_client_options opts(sio_version v)
{
    sio_client_options o;
    sio_client_options_default(&o);
    o.version = v;
    o.random = script_random;
    o.random_user_data = &no_jitter;
    o.randomization_factor = 0; /* exact delays unless a test scripts them */
    return o;
}

static sio_client *make(const sio_client_options *o)
{
    sio_client *c = NULL;
    assert_int_equal(sio_client_new(&c, o, NULL), 0);
    assert_non_null(c);
    return c;
}

static eio_arena targ;

static eio_json *J(const char *text)
{
    eio_json *v = NULL;
    eio_errinfo err;
    int rc = eio_json_parse((const uint8_t *)text, strlen(text), NULL, &targ, &v, &err);
    if (rc != 0) {
        fail_msg("bad test JSON %s: %s", text, err.msg);
    }
    return v;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
    out[2 * n] = '\0';
}

/* Actions as text: "OPEN", "CLOSE", "T:<text>", "B:<hex>". */
static void fmt_action(const sio_action *a, char *out, size_t cap)
{
    switch (a->type) {
    case SIO_ACTION_EIO_OPEN: snprintf(out, cap, "OPEN"); break;
    case SIO_ACTION_EIO_CLOSE: snprintf(out, cap, "CLOSE"); break;
    case SIO_ACTION_EIO_SEND:
        assert_true(a->len * 2 + 3 < cap);
        if (a->binary) {
            memcpy(out, "B:", 2);
            hex(a->data, a->len, out + 2);
        } else {
            snprintf(out, cap, "T:%.*s", (int)a->len, (const char *)a->data);
        }
        break;
    }
}

static const char *reason(int r)
{
    const char *n = sio_disconnect_reason_name(r);
    return n ? n : "none";
}

static void fmt_json(const eio_json *v, char *out, size_t cap)
{
    if (v == NULL) {
        snprintf(out, cap, "-");
        return;
    }
    size_t n = eio_json_write(v, out, cap - 1);
    assert_true(n < cap);
    out[n] = '\0';
}

/* Events as text, e.g. "EVENT 1 /admin [\"a\"] id=3". */
static void fmt_event(const sio_event *e, char *out, size_t cap)
{
    char j[1024];
    char nsp[256];
    snprintf(nsp, sizeof nsp, "%.*s", (int)e->nsp.len, (const char *)e->nsp.ptr);
    switch (e->type) {
    case SIO_EVENT_CONNECT:
        snprintf(out, cap, "CONNECT %u %s sid=%s", e->socket, nsp, e->sid ? e->sid : "(null)");
        break;
    case SIO_EVENT_CONNECT_ERROR:
        fmt_json(e->data, j, sizeof j);
        snprintf(out, cap, "CONNECT_ERROR %u %s %s reason=%s", e->socket, nsp, j,
                 reason(e->reason));
        break;
    case SIO_EVENT_EVENT:
        fmt_json(e->data, j, sizeof j);
        if (e->has_id) {
            snprintf(out, cap, "EVENT %u %s %s id=%llu", e->socket, nsp, j,
                     (unsigned long long)e->id);
        } else {
            snprintf(out, cap, "EVENT %u %s %s", e->socket, nsp, j);
        }
        break;
    case SIO_EVENT_ACK:
        fmt_json(e->data, j, sizeof j);
        snprintf(out, cap, "ACK %u %s id=%llu %s", e->socket, nsp, (unsigned long long)e->id, j);
        break;
    case SIO_EVENT_ACK_TIMEOUT:
        snprintf(out, cap, "ACK_TIMEOUT %u %s id=%llu reason=%s", e->socket, nsp,
                 (unsigned long long)e->id, reason(e->reason));
        break;
    case SIO_EVENT_DISCONNECT:
        snprintf(out, cap, "DISCONNECT %u %s %s", e->socket, nsp, reason(e->reason));
        break;
    case SIO_EVENT_RECONNECT_ATTEMPT:
        snprintf(out, cap, "RECONNECT_ATTEMPT %u", e->attempt);
        break;
    case SIO_EVENT_RECONNECT: snprintf(out, cap, "RECONNECT %u", e->attempt); break;
    case SIO_EVENT_RECONNECT_FAILED: snprintf(out, cap, "RECONNECT_FAILED"); break;
    case SIO_EVENT_RECOVERED: snprintf(out, cap, "RECOVERED %u %s", e->socket, nsp); break;
    default: snprintf(out, cap, "?%d", (int)e->type); break;
    }
}

/* Drains the actions and compares them with the NULL-terminated list. */
static void expect_actions(sio_client *c, ...)
{
    va_list ap;
    va_start(ap, c);
    sio_action a;
    char got[4096];
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL) {
        if (sio_client_next_action(c, &a) != 1) {
            fail_msg("missing action %s", want);
        }
        fmt_action(&a, got, sizeof got);
        if (strcmp(got, want) != 0) {
            fail_msg("action: got %s, want %s", got, want);
        }
    }
    va_end(ap);
    if (sio_client_next_action(c, &a) == 1) {
        fmt_action(&a, got, sizeof got);
        fail_msg("unexpected action %s", got);
    }
}

static void expect_events(sio_client *c, ...)
{
    va_list ap;
    va_start(ap, c);
    sio_event e;
    char got[4096];
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL) {
        if (sio_client_next_event(c, &e) != 1) {
            fail_msg("missing event %s", want);
        }
        fmt_event(&e, got, sizeof got);
        if (strcmp(got, want) != 0) {
            fail_msg("event: got %s, want %s", got, want);
        }
    }
    va_end(ap);
    if (sio_client_next_event(c, &e) == 1) {
        fmt_event(&e, got, sizeof got);
        fail_msg("unexpected event %s", got);
    }
}

#define NONE ((const char *)NULL)

static eio_time now_ms = 1000;

static void feed(sio_client *c, const char *text)
{
    /* through a guard page: the machine must not read past the message */
    size_t n = strlen(text);
    uint8_t *g = tu_guard_copy(text, n);
    assert_int_equal(sio_client_eio_message(c, g, n, false, now_ms), 0);
    tu_guard_free(g, n);
}

static void feed_bin(sio_client *c, const uint8_t *p, size_t n)
{
    uint8_t *g = tu_guard_copy(p, n);
    assert_int_equal(sio_client_eio_message(c, g, n, true, now_ms), 0);
    tu_guard_free(g, n);
}

static int setup(void **state)
{
    (void)state;
    eio_arena_init(&targ, NULL, 0, 0);
    now_ms = 1000;
    no_jitter.i = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    eio_arena_destroy(&targ);
    return 0;
}

/* A v5 client with "/" connected (sid "s1"), everything drained. */
static sio_client *connected_v5(sio_client_options *o, int64_t *sock)
{
    sio_client *c = make(o);
    *sock = sio_client_connect(c, "/", NULL, now_ms);
    assert_int_equal(*sock, 1);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"s1\"}");
    expect_events(c, "CONNECT 1 / sid=s1", NONE);
    return c;
}

/* ------------------------------------------------------------------------ */
/* Common pieces                                                             */
/* ------------------------------------------------------------------------ */

static void test_backoff_reference(void **state)
{
    (void)state;
    /* expected values computed by socket.io-client's backo2 with
       Math.random() returning r */
    static const struct {
        uint32_t delay, max;
        double factor;
        uint32_t attempt;
        double r;
        uint32_t want;
    } t[] = {
        {1000u, 5000u, 0.5, 0u, 0, 1000u},
        {1000u, 5000u, 0.5, 0u, 0.3, 1150u},
        {1000u, 5000u, 0.5, 0u, 0.25, 875u},
        {1000u, 5000u, 0.5, 1u, 0.99, 2990u},
        {1000u, 5000u, 0.5, 2u, 0.05, 3900u},
        {1000u, 5000u, 0.5, 10u, 0.7, 5000u},
        {1000u, 5000u, 0, 31u, 0.7, 5000u},
        {1u, 4294967295u, 0, 10u, 0, 1024u},
        {1u, 2000000000u, 0.5, 30u, 0.15, 1154272460u},
        {1u, 2000000000u, 0.5, 30u, 0.95, 1583769190u},
        {1000u, 4294967295u, 1, 1u, 0.45, 1100u},
        {1000u, 4294967295u, 1, 1u, 0.85, 300u},
        {500u, 100000u, 0.2, 5u, 0.61, 14048u},
        {1000u, 5000u, 0.5, 64u, 0.3, 5000u},
        {1000u, 5000u, 0.5, 1000u, 0.3, 5000u},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(sio_backoff_delay(t[i].delay, t[i].max, t[i].factor, t[i].attempt, t[i].r),
                         t[i].want);
    }
    /* the reference's "| 0" makes 2^31 negative; we keep the value */
    assert_int_equal(sio_backoff_delay(1, 4294967295u, 0, 31, 0), 2147483648u);
}

static void test_backoff_extremes(void **state)
{
    (void)state;
    static const uint32_t attempts[] = {0, 1, 10, 31, 64, 1000, 4294967295u};
    static const uint32_t want_1000_5000[] = {1000, 2000, 5000, 5000, 5000, 5000, 5000};
    static const uint32_t want_1_max[] = {1, 2, 1024, 2147483648u, 4294967295u, 4294967295u,
                                          4294967295u};
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        assert_int_equal(sio_backoff_delay(1000, 5000, 0, attempts[i], 0.5), want_1000_5000[i]);
        assert_int_equal(sio_backoff_delay(1, 4294967295u, 0, attempts[i], 0.5), want_1_max[i]);
        /* with jitter: never 0 (the reference turns into NaN -> 0 past ~1024) */
        for (double r = 0.0; r < 1.0; r += 0.05) {
            uint32_t d = sio_backoff_delay(1000, 5000, 0.5, attempts[i], r);
            assert_true(d >= 500 && d <= 5000);
            assert_true(sio_backoff_delay(1, 4294967295u, 1.0, attempts[i], r) > 0 ||
                        attempts[i] == 0);
        }
        assert_int_equal(sio_backoff_delay(0, 5000, 0.5, attempts[i], 0.3), 0);
    }
    /* a jitter the reference ignores, and random values out of range */
    assert_int_equal(sio_backoff_delay(1000, 5000, 1.5, 0, 0.3), 1000);
    assert_int_equal(sio_backoff_delay(1000, 5000, -1, 0, 0.3), 1000);
    assert_int_equal(sio_backoff_delay(1000, 5000, NAN, 0, 0.3), 1000);
    assert_int_equal(sio_backoff_delay(1000, 5000, 0.5, 0, NAN), 1000);
    assert_int_equal(sio_backoff_delay(1000, 5000, 0.5, 0, -3), 1000);
    assert_int_equal(sio_backoff_delay(1000, 5000, 0.5, 0, 7), 1499);
    /* max below delay */
    assert_int_equal(sio_backoff_delay(1000, 10, 0, 0, 0), 10);
}

static void test_reason_names(void **state)
{
    (void)state;
    static const char *names[] = {NULL,
                                  "io client disconnect",
                                  "io server disconnect",
                                  "transport close",
                                  "transport error",
                                  "ping timeout",
                                  "parse error",
                                  "client namespace disconnect",
                                  "server shutting down",
                                  "forced close"};
    for (int i = 0; i < 10; i++) {
        if (names[i] == NULL) {
            assert_null(sio_disconnect_reason_name(i));
        } else {
            assert_string_equal(sio_disconnect_reason_name(i), names[i]);
        }
    }
    assert_null(sio_disconnect_reason_name(10));
    assert_null(sio_disconnect_reason_name(-1));
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_FORCED), SIO_DISCONNECT_FORCED_CLOSE);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_TRANSPORT_CLOSE),
                     SIO_DISCONNECT_TRANSPORT_CLOSE);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_TRANSPORT_ERROR),
                     SIO_DISCONNECT_TRANSPORT_ERROR);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_PING_TIMEOUT),
                     SIO_DISCONNECT_PING_TIMEOUT);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_PARSE_ERROR),
                     SIO_DISCONNECT_PARSE_ERROR);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_HANDSHAKE_ERROR),
                     SIO_DISCONNECT_TRANSPORT_ERROR);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_SERVER_SHUTDOWN),
                     SIO_DISCONNECT_SERVER_SHUTDOWN);
    assert_int_equal(sio_disconnect_reason_from_eio(EIO_CLOSE_NONE),
                     SIO_DISCONNECT_TRANSPORT_CLOSE);
}

static void test_options(void **state)
{
    (void)state;
    sio_client_options o;
    sio_client_options_default(&o);
    assert_int_equal(o.version, SIO_V5);
    assert_int_equal(o.parser, SIO_PARSER_JSON);
    assert_true(o.reconnection);
    assert_int_equal(o.reconnection_attempts, 0);
    assert_int_equal(o.reconnection_delay, 1000);
    assert_int_equal(o.reconnection_delay_max, 5000);
    assert_true(o.randomization_factor == 0.5);
    assert_int_equal(o.open_timeout, 20000);
    assert_int_equal(o.ack_timeout, 0);
    assert_int_equal(o.max_buffered, 1000000);
    assert_int_equal(o.max_pending_acks, 10000);
    assert_null(o.random);

    sio_client *c = NULL;
    /* jitter without a random source */
    assert_int_equal(sio_client_new(&c, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_null(c);
    o.reconnection = false;
    assert_int_equal(sio_client_new(&c, &o, NULL), 0);
    sio_client_free(c);
    o.version = SIO_V4;
    o.parser = SIO_PARSER_MSGPACK;
    assert_int_equal(sio_client_new(&c, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    o.version = (sio_version)3;
    o.parser = SIO_PARSER_JSON;
    assert_int_equal(sio_client_new(&c, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_new(NULL, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    sio_client_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Sample sessions of the specs                                              */
/* ------------------------------------------------------------------------ */

static void test_v5_sample_session(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, NULL, NULL, now_ms), 1);
    expect_actions(c, "OPEN", NONE);
    expect_events(c, NONE);
    assert_false(sio_client_connected(c, 1));
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
    expect_actions(c, NONE);
    expect_events(c, "CONNECT 1 / sid=wZX3oN0bSVIhsaknAAAI", NONE);
    assert_true(sio_client_connected(c, 1));
    assert_string_equal(sio_client_socket_id(c, 1), "wZX3oN0bSVIhsaknAAAI");

    feed(c, "2[\"hey\",\"Jude\"]");
    expect_events(c, "EVENT 1 / [\"hey\",\"Jude\"]", NONE);

    assert_int_equal(sio_client_emit(c, 1, J("[\"hello\"]"), 0, 0, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"world\"]"), 0, 0, now_ms), 0);
    expect_actions(c, "T:2[\"hello\"]", "T:2[\"world\"]", NONE);

    assert_int_equal(sio_client_connect(c, "/admin", NULL, now_ms), 2);
    expect_actions(c, "T:0/admin,", NONE);
    feed(c, "0/admin,{\"sid\":\"-G5j-67EZFp-q59rADQM\"}");
    expect_events(c, "CONNECT 2 /admin sid=-G5j-67EZFp-q59rADQM", NONE);

    /* ack ids count per socket from 0: the sample's id 1 is the second */
    assert_int_equal(sio_client_emit(c, 2, J("[\"first\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 2, J("[\"tellme\"]"), SIO_EMIT_ACK, 0, now_ms), 1);
    expect_actions(c, "T:2/admin,0[\"first\"]", "T:2/admin,1[\"tellme\"]", NONE);
    feed(c, "61-/admin,1[{\"_placeholder\":true,\"num\":0}]");
    expect_events(c, NONE);
    static const uint8_t att[] = {0xde, 0xad, 0x00, 0xbe};
    feed_bin(c, att, sizeof att);
    sio_event e;
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_ACK);
    assert_int_equal(e.id, 1);
    assert_int_equal(e.socket, 2);
    const eio_json *b = eio_json_at(e.data, 0);
    assert_non_null(b);
    assert_int_equal(b->type, EIO_JSON_BINARY);
    assert_int_equal(b->u.str.len, 4);
    assert_memory_equal(b->u.str.ptr, att, 4);
    expect_events(c, NONE);

    /* closing: DISCONNECT for each, the unanswered ack times out first */
    assert_int_equal(sio_client_close(c, now_ms), 0);
    expect_actions(c, "T:1", "T:1/admin,", "CLOSE", NONE);
    expect_events(c, "DISCONNECT 1 / forced close", "ACK_TIMEOUT 2 /admin id=0 reason=forced close",
                  "DISCONNECT 2 /admin forced close", NONE);
    assert_false(sio_client_connected(c, 1));
    assert_int_equal(sio_client_emit(c, 1, J("[\"x\"]"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    /* the close report of the session we closed is expected and swallowed */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms), 0);
    expect_events(c, NONE);
    expect_actions(c, NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
    sio_client_free(c);
}

static void test_v4_sample_session(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V4);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, NONE); /* "/" is implicit in v4 */
    feed(c, "0");
    expect_events(c, "CONNECT 1 / sid=", NONE);
    assert_string_equal(sio_client_socket_id(c, 1), "");
    feed(c, "2[\"hey\",\"Jude\"]");
    expect_events(c, "EVENT 1 / [\"hey\",\"Jude\"]", NONE);
    assert_int_equal(sio_client_emit(c, 1, J("[\"hello\"]"), 0, 0, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"world\"]"), 0, 0, now_ms), 0);
    expect_actions(c, "T:2[\"hello\"]", "T:2[\"world\"]", NONE);

    /* custom namespace with a v4 query; auth is a v5 thing */
    assert_int_equal(sio_client_connect(c, "/x", J("{}"), now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_connect(c, "/admin?token=abc", NULL, now_ms), 2);
    expect_actions(c, "T:0/admin?token=abc,", NONE);
    feed(c, "0/admin,");
    expect_events(c, "CONNECT 2 /admin sid=", NONE);
    assert_int_equal(sio_client_emit(c, 2, J("[\"tellme\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "T:2/admin,0[\"tellme\"]", NONE);
    feed(c, "3/admin,0[\"sure\"]");
    expect_events(c, "ACK 2 /admin id=0 [\"sure\"]", NONE);

    /* a refused namespace in v4: ERROR with a string */
    assert_int_equal(sio_client_connect(c, "/secret", NULL, now_ms), 3);
    expect_actions(c, "T:0/secret,", NONE);
    feed(c, "4/secret,\"Not authorized\"");
    expect_events(c, "CONNECT_ERROR 3 /secret \"Not authorized\" reason=none", NONE);
    expect_actions(c, NONE); /* other sockets remain: the session stays */

    /* a "/" socket asked for after the server's implicit CONNECT: at once */
    assert_int_equal(sio_client_disconnect(c, 1, now_ms), 0);
    expect_actions(c, "T:1", NONE);
    expect_events(c, "DISCONNECT 1 / io client disconnect", NONE);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 4);
    expect_actions(c, NONE);
    expect_events(c, "CONNECT 4 / sid=", NONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Namespaces, auth, connect errors                                          */
/* ------------------------------------------------------------------------ */

static void test_auth_and_namespaces(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", J("{\"token\":\"x\"}"), now_ms), 1);
    assert_int_equal(sio_client_connect(c, "/admin", J("{\"token\":\"x\",\"n\":1.5}"), now_ms), 2);
    assert_int_equal(sio_client_connect(c, "/plain", NULL, now_ms), 3);
    expect_actions(c, "OPEN", NONE); /* once */
    /* errors: duplicate namespace, bad names, non-object or binary auth */
    assert_int_equal(sio_client_connect(c, "/admin", NULL, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_connect(c, "admin", NULL, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_connect(c, "/a\xff", NULL, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_connect(c, "/b", J("[1]"), now_ms), EIO_ERR_INVALID_ARGUMENT);
    eio_json *bin = J("{}");
    static const uint8_t one = 1;
    assert_int_equal(eio_json_put(&targ, bin, "k", 1, eio_json_new_binary(&targ, &one, 1)), 0);
    assert_int_equal(sio_client_connect(c, "/b", bin, now_ms), EIO_ERR_INVALID_ARGUMENT);
    expect_actions(c, NONE);
    expect_events(c, NONE);

    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0{\"token\":\"x\"}", "T:0/admin,{\"token\":\"x\",\"n\":1.5}", "T:0/plain,",
                   NONE);
    /* answers in any order; packets for unknown namespaces are dropped */
    feed(c, "0/admin,{\"sid\":\"A\"}");
    feed(c, "2/other,[\"x\"]");
    feed(c, "0/other,{\"sid\":\"O\"}");
    feed(c, "0{\"sid\":\"R\"}");
    expect_events(c, "CONNECT 2 /admin sid=A", "CONNECT 1 / sid=R", NONE);
    /* a v2 server's answer (no sid): connect error, the socket keeps waiting */
    feed(c, "0/plain,");
    expect_events(c,
                  "CONNECT_ERROR 3 /plain \"It seems you are trying to reach a Socket.IO server in "
                  "v2.x with a v3.x client, but they are not compatible\" reason=none",
                  NONE);
    feed(c, "0/plain,{\"sid\":\"P\"}");
    expect_events(c, "CONNECT 3 /plain sid=P", NONE);
    /* a repeated CONNECT changes nothing */
    feed(c, "0/plain,{\"sid\":\"Q\"}");
    expect_events(c, NONE);
    assert_string_equal(sio_client_socket_id(c, 3), "P");
    sio_client_free(c);
}

static void test_connect_error(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/admin", NULL, now_ms), 1);
    /* emitted while connecting: buffered with its ack */
    assert_int_equal(sio_client_emit(c, 1, J("[\"early\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0/admin,", NONE);
    feed(c, "4/admin,{\"message\":\"Not authorized\",\"data\":{\"code\":7}}");
    /* the ack goes first; the last socket gone closes the session */
    expect_events(c, "ACK_TIMEOUT 1 /admin id=0 reason=io server disconnect",
                  "CONNECT_ERROR 1 /admin {\"message\":\"Not authorized\",\"data\":{\"code\":7}} "
                  "reason=none",
                  NONE);
    expect_actions(c, "CLOSE", NONE);
    assert_int_equal(sio_client_emit(c, 1, J("[\"x\"]"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER); /* no reconnection */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms), 0);
    expect_events(c, NONE);
    /* a new socket opens a new session; handles are never reused */
    assert_int_equal(sio_client_connect(c, "/admin", NULL, now_ms), 2);
    expect_actions(c, "OPEN", NONE);
    sio_client_free(c);
}

/* Events that arrive before the CONNECT answer are held and follow it, in
   order, binary ones included; a refused socket forgets them; past the
   limit they are dropped. */
static void test_events_before_connect_answer(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.max_held_events = 3;
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, NULL, NULL, now_ms), 1);
    assert_int_equal(sio_client_connect(c, "/admin", NULL, now_ms), 2);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0", "T:0/admin,", NONE);
    feed(c, "2[\"welcome\",{\"x\":1}]");
    feed(c, "51-[\"blob\",{\"_placeholder\":true,\"num\":0}]");
    static const uint8_t att[] = {0x01, 0x02};
    feed_bin(c, att, sizeof att);
    feed(c, "2[\"third\"]");
    feed(c, "2[\"fourth: over the limit\"]");
    feed(c, "2/admin,[\"admin-early\"]");
    expect_events(c, NONE);
    feed(c, "0{\"sid\":\"abc\"}");
    sio_event e;
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_CONNECT);
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_EVENT);
    assert_int_equal(eio_json_at(e.data, 0)->u.str.len, 7);
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_EVENT);
    const eio_json *b = eio_json_at(e.data, 1);
    assert_non_null(b);
    assert_int_equal(b->type, EIO_JSON_BINARY);
    assert_memory_equal(b->u.str.ptr, att, 2);
    expect_events(c, "EVENT 1 / [\"third\"]", NONE);
    /* the held trees survive later calls until delivered */
    feed(c, "2[\"after\"]");
    expect_events(c, "EVENT 1 / [\"after\"]", NONE);
    /* /admin is refused: its held event is never delivered */
    feed(c, "4/admin,{\"message\":\"no\"}");
    expect_events(c, "CONNECT_ERROR 2 /admin {\"message\":\"no\"} reason=none", NONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Buffering and volatile                                                    */
/* ------------------------------------------------------------------------ */

static void test_buffered_then_flushed(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.max_buffered = 60;
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    expect_actions(c, "OPEN", NONE);
    eio_json *args = J("[\"bin\"]");
    static const uint8_t att[] = {1, 2, 3};
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&targ, att, 3)), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), 0, 0, now_ms), 0);       /* 6 bytes */
    assert_int_equal(sio_client_emit(c, 1, args, SIO_EMIT_ACK, 0, now_ms), 0);     /* 39+3 */
    assert_int_equal(sio_client_emit(c, 1, J("[\"v\"]"), SIO_EMIT_VOLATILE, 0, now_ms), 0);
    /* over the limit: refused, nothing changes */
    assert_int_equal(sio_client_emit(c, 1, J("[\"too much\"]"), 0, 0, now_ms), EIO_ERR_LIMIT);
    /* volatile with an ack: dropped, and its ack times out at once */
    assert_int_equal(sio_client_emit(c, 1, J("[\"v\"]"), SIO_EMIT_VOLATILE | SIO_EMIT_ACK, 0, now_ms),
                     1);
    expect_events(c, "ACK_TIMEOUT 1 / id=1 reason=none", NONE);
    expect_actions(c, NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"x\"}");
    /* flushed in order, attachments right after their packet */
    expect_actions(c, "T:2[\"a\"]", "T:51-0[\"bin\",{\"_placeholder\":true,\"num\":0}]", "B:010203",
                   NONE);
    expect_events(c, "CONNECT 1 / sid=x", NONE);
    /* the buffer is empty again */
    assert_int_equal(sio_client_emit(c, 1, J("[\"v\"]"), SIO_EMIT_VOLATILE, 0, now_ms), 0);
    expect_actions(c, "T:2[\"v\"]", NONE);
    feed(c, "3/,0[]");
    expect_events(c, "ACK 1 / id=0 []", NONE);
    /* invalid arguments */
    assert_int_equal(sio_client_emit(c, 1, J("[]"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_emit(c, 1, J("[\"connect\"]"), 0, 0, now_ms),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_emit(c, 1, J("{}"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_emit(c, 9, J("[\"a\"]"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    expect_actions(c, NONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Acks                                                                      */
/* ------------------------------------------------------------------------ */

static void test_ack_timeouts(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.ack_timeout = 500;
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    now_ms = 10000;
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), SIO_EMIT_ACK, 100, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"b\"]"), SIO_EMIT_ACK, 0, now_ms), 1); /* 500 */
    assert_int_equal(sio_client_emit(c, 1, J("[\"c\"]"), SIO_EMIT_ACK, 50, now_ms), 2);
    assert_int_equal(sio_client_emit(c, 1, J("[\"d\"]"), SIO_EMIT_ACK, 300, now_ms), 3);
    expect_actions(c, "T:20[\"a\"]", "T:21[\"b\"]", "T:22[\"c\"]", "T:23[\"d\"]", NONE);
    assert_int_equal(sio_client_get_expiry(c), 10050);
    assert_int_equal(sio_client_handle_expiry(c, 10049), 0); /* deadline - 1 */
    expect_events(c, NONE);
    assert_int_equal(sio_client_handle_expiry(c, 10050), 0); /* deadline */
    expect_events(c, "ACK_TIMEOUT 1 / id=2 reason=none", NONE);
    assert_int_equal(sio_client_get_expiry(c), 10100);
    feed(c, "32[\"late\"]"); /* answered after its timeout: ignored */
    feed(c, "39[\"unknown\"]");
    feed(c, "3[\"no id\"]");
    expect_events(c, NONE);
    feed(c, "33[\"d ok\"]");
    expect_events(c, "ACK 1 / id=3 [\"d ok\"]", NONE);
    /* late wake-up: both remaining, in emit order */
    assert_int_equal(sio_client_handle_expiry(c, 99999), 0);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=none", "ACK_TIMEOUT 1 / id=1 reason=none", NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
    /* a clock stepping back fires nothing early */
    assert_int_equal(sio_client_emit(c, 1, J("[\"e\"]"), SIO_EMIT_ACK, 10, 5), 4);
    expect_actions(c, "T:24[\"e\"]", NONE);
    assert_int_equal(sio_client_get_expiry(c), 100009);
    assert_int_equal(sio_client_handle_expiry(c, 6000), 0);
    expect_events(c, NONE);
    sio_client_free(c);
}

static void test_ack_limits_and_disconnect(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.max_pending_acks = 2;
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"b\"]"), SIO_EMIT_ACK, 0, now_ms), 1);
    assert_int_equal(sio_client_emit(c, 1, J("[\"c\"]"), SIO_EMIT_ACK, 0, now_ms), EIO_ERR_LIMIT);
    assert_int_equal(sio_client_emit(c, 1, J("[\"c\"]"), 0, 0, now_ms), 0); /* no ack: fine */
    expect_actions(c, "T:20[\"a\"]", "T:21[\"b\"]", "T:2[\"c\"]", NONE);
    /* answering the server's event, with and without arguments */
    feed(c, "27[\"question\"]");
    expect_events(c, "EVENT 1 / [\"question\"] id=7", NONE);
    assert_int_equal(sio_client_ack(c, 1, 7, J("[\"answer\",2]"), now_ms), 0);
    assert_int_equal(sio_client_ack(c, 1, 8, NULL, now_ms), 0);
    assert_int_equal(sio_client_ack(c, 9, 8, NULL, now_ms), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_client_ack(c, 1, 8, J("{}"), now_ms), EIO_ERR_INVALID_ARGUMENT);
    static const uint8_t att[] = {0xff};
    eio_json *args = J("[]");
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&targ, att, 1)), 0);
    assert_int_equal(sio_client_ack(c, 1, 9, args, now_ms), 0);
    expect_actions(c, "T:37[\"answer\",2]", "T:38[]",
                   "T:61-9[{\"_placeholder\":true,\"num\":0}]", "B:ff", NONE);
    /* the socket disconnects: pending acks time out just before */
    assert_int_equal(sio_client_disconnect(c, 1, now_ms), 0);
    expect_actions(c, "T:1", "CLOSE", NONE);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=io client disconnect",
                  "ACK_TIMEOUT 1 / id=1 reason=io client disconnect",
                  "DISCONNECT 1 / io client disconnect", NONE);
    assert_int_equal(sio_client_disconnect(c, 1, now_ms), EIO_ERR_INVALID_ARGUMENT);
    /* the session was closed by us: a late ack is not seen */
    feed(c, "30[]");
    expect_events(c, NONE);
    sio_client_free(c);
}

static void test_buffered_ack_timeout_drops_packet(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), SIO_EMIT_ACK, 100, now_ms), 0);
    assert_int_equal(sio_client_emit(c, 1, J("[\"b\"]"), 0, 0, now_ms), 0);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 100);
    assert_int_equal(sio_client_handle_expiry(c, now_ms + 100), 0);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=none", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms + 100), 0);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"x\"}");
    expect_actions(c, "T:2[\"b\"]", NONE); /* the timed-out packet is not sent */
    expect_events(c, "CONNECT 1 / sid=x", NONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Binary and msgpack                                                        */
/* ------------------------------------------------------------------------ */

static void test_binary_events(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    feed(c, "52-3[\"pics\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]");
    static const uint8_t a0[] = {0, 1}, a1[] = {2};
    feed_bin(c, a0, 2);
    expect_events(c, NONE);
    feed_bin(c, a1, 1);
    sio_event e;
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_EVENT);
    assert_true(e.has_id);
    assert_int_equal(e.id, 3);
    assert_int_equal(eio_json_at(e.data, 0)->u.str.len, 4);
    assert_memory_equal(eio_json_at(e.data, 0)->u.str.ptr, "pics", 4);
    const eio_json *x = eio_json_at(e.data, 1), *y = eio_json_at(e.data, 2);
    assert_int_equal(x->type, EIO_JSON_BINARY);
    assert_int_equal(y->type, EIO_JSON_BINARY);
    assert_int_equal(x->u.str.len, 1);
    assert_int_equal(x->u.str.ptr[0], 2);
    assert_int_equal(y->u.str.len, 2);
    assert_memory_equal(y->u.str.ptr, a0, 2);
    expect_events(c, NONE);

    /* out: attachments as separate binary messages, in placeholder order */
    eio_json *args = J("[\"up\",{\"a\":null}]");
    eio_json *obj = (eio_json *)eio_json_at(args, 1);
    assert_int_equal(eio_json_put(&targ, obj, "b", 1, eio_json_new_binary(&targ, a0, 2)), 0);
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&targ, a1, 1)), 0);
    assert_int_equal(sio_client_emit(c, 1, args, SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c,
                   "T:52-0[\"up\",{\"a\":null,\"b\":{\"_placeholder\":true,\"num\":0}},"
                   "{\"_placeholder\":true,\"num\":1}]",
                   "B:0001", "B:02", NONE);
    /* the caller's bytes may change right after: the machine copied them */
    feed(c, "30[]");
    expect_events(c, "ACK 1 / id=0 []", NONE);
    sio_client_free(c);
}

static void test_msgpack(void **state)
{
    (void)state;
    if (!sio_msgpack_available()) {
        skip();
    }
    sio_client_options o = opts(SIO_V5);
    o.parser = SIO_PARSER_MSGPACK;
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", J("{\"token\":\"x\"}"), now_ms), 1);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    /* the reference client's bytes: type, data, nsp */
    expect_actions(c, "B:83a47479706500a46461746181a5746f6b656ea178a36e7370a12f", NONE);
    static const uint8_t conn[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa3, 'n', 's', 'p', 0xa1,
                                   '/', 0xa4, 'd', 'a', 't', 'a', 0x81, 0xa3, 's', 'i', 'd', 0xa3,
                                   'a', 'b', 'c'};
    feed_bin(c, conn, sizeof conn);
    expect_events(c, "CONNECT 1 / sid=abc", NONE);
    static const uint8_t two[] = {1, 2};
    eio_json *args = J("[\"hello\"]");
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&targ, two, 2)), 0);
    assert_int_equal(sio_client_emit(c, 1, args, SIO_EMIT_ACK, 0, now_ms), 0);
    /* the codec's (server) key order; the reference client also writes
       options: {compress: true} (docs/msgpack.md) */
    expect_actions(c, "B:84a47479706502a46461746192a568656c6c6fc4020102a2696400a36e7370a12f", NONE);
    static const uint8_t ev[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's', 'p', 0xa1,
                                 '/', 0xa4, 'd', 'a', 't', 'a', 0x92, 0xa3, 'h', 'e', 'y', 0xc4,
                                 0x01, 0x09};
    feed_bin(c, ev, sizeof ev);
    sio_event e;
    assert_int_equal(sio_client_next_event(c, &e), 1);
    assert_int_equal(e.type, SIO_EVENT_EVENT);
    assert_int_equal(eio_json_at(e.data, 1)->type, EIO_JSON_BINARY);
    assert_int_equal(eio_json_at(e.data, 1)->u.str.ptr[0], 9);
    expect_events(c, NONE);
    assert_int_equal(sio_client_ack(c, 1, 7, J("[\"ok\"]"), now_ms), 0);
    expect_actions(c, "B:84a2696407a47479706503a46461746191a26f6ba36e7370a12f", NONE);
    /* a text message is a parse error for this parser */
    feed(c, "2[\"x\"]");
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=parse error", "DISCONNECT 1 / parse error", NONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Connection loss and reconnection                                          */
/* ------------------------------------------------------------------------ */

static void test_parse_error(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "T:20[\"a\"]", NONE);
    feed(c, "2[\"broken\""); /* truncated JSON */
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=parse error", "DISCONNECT 1 / parse error", NONE);
    /* reconnection follows (delay 1000, no jitter) */
    assert_int_equal(sio_client_get_expiry(c), now_ms + 1000);
    /* the report of the close we asked for is swallowed */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms), 0);
    expect_events(c, NONE);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 1000);
    /* messages while not open are ignored */
    feed(c, "2[\"x\"]");
    feed_bin(c, (const uint8_t *)"\x01", 1);
    expect_events(c, NONE);
    sio_client_free(c);

    /* an attachment nobody announced and a text inside a binary packet */
    c = connected_v5(&o, &s);
    feed_bin(c, (const uint8_t *)"\x01", 1);
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "DISCONNECT 1 / parse error", NONE);
    sio_client_free(c);
    c = connected_v5(&o, &s);
    feed(c, "51-[\"a\",{\"_placeholder\":true,\"num\":0}]");
    feed(c, "2[\"b\"]");
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "DISCONNECT 1 / parse error", NONE);
    sio_client_free(c);
}

static void test_eio_close_reasons(void **state)
{
    (void)state;
    static const struct {
        eio_close_reason in;
        const char *out;
    } t[] = {
        {EIO_CLOSE_FORCED, "forced close"},
        {EIO_CLOSE_TRANSPORT_CLOSE, "transport close"},
        {EIO_CLOSE_TRANSPORT_ERROR, "transport error"},
        {EIO_CLOSE_PING_TIMEOUT, "ping timeout"},
        {EIO_CLOSE_PARSE_ERROR, "parse error"},
        {EIO_CLOSE_HANDSHAKE_ERROR, "transport error"},
        {EIO_CLOSE_SERVER_SHUTDOWN, "server shutting down"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sio_client_options o = opts(SIO_V5);
        o.reconnection = false;
        int64_t s;
        sio_client *c = connected_v5(&o, &s);
        assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms), 2);
        expect_actions(c, "T:0/b,", NONE);
        assert_int_equal(sio_client_emit(c, 2, J("[\"q\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
        assert_int_equal(sio_client_eio_close(c, t[i].in, now_ms), 0);
        char d1[128], a2[128], d2[128];
        snprintf(d1, sizeof d1, "DISCONNECT 1 / %s", t[i].out);
        snprintf(a2, sizeof a2, "ACK_TIMEOUT 2 /b id=0 reason=%s", t[i].out);
        snprintf(d2, sizeof d2, "DISCONNECT 2 /b %s", t[i].out);
        /* a connecting socket hears it too (as the reference) */
        expect_events(c, d1, a2, d2, NONE);
        expect_actions(c, NONE);
        assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
        assert_int_equal(sio_client_emit(c, 1, J("[\"x\"]"), 0, 0, now_ms),
                         EIO_ERR_INVALID_ARGUMENT);
        /* a second close report is ignored */
        assert_int_equal(sio_client_eio_close(c, t[i].in, now_ms), 0);
        expect_events(c, NONE);
        sio_client_free(c);
    }
}

static void test_reconnection_schedule(void **state)
{
    (void)state;
    static const double rs[] = {0.3, 0.25, 0.99, 0.05};
    script sc = {rs, 4, 0};
    sio_client_options o = opts(SIO_V5);
    o.randomization_factor = 0.5;
    o.random_user_data = &sc;
    o.open_timeout = 700;
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    assert_int_equal(sio_client_emit(c, 1, J("[\"sent\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "T:20[\"sent\"]", NONE);

    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_PING_TIMEOUT, now_ms), 0);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=ping timeout", "DISCONNECT 1 / ping timeout",
                  NONE);
    expect_actions(c, NONE);
    /* attempt 0: 1000 + floor(0.3 * 0.5 * 1000) (floor(3) odd: added) */
    assert_int_equal(sio_client_get_expiry(c), 1000 + 1150);
    /* emitted during the wait: buffered (its ack survives the loss) */
    assert_int_equal(sio_client_emit(c, 1, J("[\"later\"]"), SIO_EMIT_ACK, 0, now_ms), 1);
    assert_int_equal(sio_client_handle_expiry(c, 2149), 0);
    expect_events(c, NONE);
    expect_actions(c, NONE);
    now_ms = 2150;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_get_expiry(c), 2150 + 700); /* open timeout */
    /* attempt 1 fails: handshake error */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_HANDSHAKE_ERROR, now_ms), 0);
    expect_events(c, "CONNECT_ERROR 1 / \"handshake error\" reason=transport error", NONE);
    /* 2000 - floor(0.25 * 0.5 * 2000) (floor(2.5) even: subtracted) */
    assert_int_equal(sio_client_get_expiry(c), 2150 + 1750);
    now_ms = 2150 + 1750 + 5; /* a late wake-up */
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 2", NONE);
    expect_actions(c, "OPEN", NONE);
    /* attempt 2 times out: the machine closes it */
    eio_time t2 = now_ms;
    assert_int_equal(sio_client_handle_expiry(c, t2 + 699), 0);
    expect_events(c, NONE);
    now_ms = t2 + 700;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "CONNECT_ERROR 1 / \"timeout\" reason=transport error", NONE);
    /* 4000 + floor(0.99 * 0.5 * 4000) = 5980 -> max 5000 */
    assert_int_equal(sio_client_get_expiry(c), now_ms + 5000);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms), 0); /* ours: swallowed */
    expect_events(c, NONE);
    now_ms += 5000;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 3", NONE);
    expect_actions(c, "OPEN", NONE);
    /* attempt 3 succeeds */
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_events(c, "RECONNECT 3", NONE);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"s2\"}");
    expect_actions(c, "T:21[\"later\"]", NONE);
    expect_events(c, "CONNECT 1 / sid=s2", NONE);
    feed(c, "31[\"done\"]");
    expect_events(c, "ACK 1 / id=1 [\"done\"]", NONE);
    /* success reset the attempts: the next loss starts from attempt 0 */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_CLOSE, now_ms), 0);
    expect_events(c, "DISCONNECT 1 / transport close", NONE);
    /* 1000 - floor(0.05 * 0.5 * 1000) */
    assert_int_equal(sio_client_get_expiry(c), now_ms + 975);
    /* the application disconnecting during the wait stops it */
    assert_int_equal(sio_client_disconnect(c, 1, now_ms), 0);
    expect_actions(c, NONE);
    expect_events(c, NONE); /* not connected: no DISCONNECT again */
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
    sio_client_free(c);
}

static void test_reconnection_attempts_limit(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.reconnection_attempts = 2;
    o.reconnection_delay = 100;
    o.open_timeout = 0; /* none */
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_ERROR, now_ms), 0);
    expect_events(c, "DISCONNECT 1 / transport error", NONE);
    assert_int_equal(sio_client_emit(c, 1, J("[\"b\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 100);
    now_ms += 100;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER); /* no open timeout */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_ERROR, now_ms), 0);
    expect_events(c, "CONNECT_ERROR 1 / \"transport error\" reason=transport error", NONE);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 200);
    now_ms += 200;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 2", NONE);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_ERROR, now_ms), 0);
    /* exhausted: the buffered ack times out, then the end */
    expect_events(c, "CONNECT_ERROR 1 / \"transport error\" reason=transport error",
                  "ACK_TIMEOUT 1 / id=0 reason=transport error", "RECONNECT_FAILED", NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
    assert_int_equal(sio_client_emit(c, 1, J("[\"x\"]"), 0, 0, now_ms), EIO_ERR_INVALID_ARGUMENT);
    expect_actions(c, NONE);
    sio_client_free(c);
}

static void test_first_open_fails(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.reconnection = false;
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 20000);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_HANDSHAKE_ERROR, now_ms), 0);
    expect_events(c, "ACK_TIMEOUT 1 / id=0 reason=transport error",
                  "CONNECT_ERROR 1 / \"handshake error\" reason=transport error", NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER);
    /* an open nobody asked for is ignored */
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, NONE);
    expect_events(c, NONE);
    sio_client_free(c);

    /* with reconnection, the first failure starts the loop (as the reference) */
    o = opts(SIO_V5);
    c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_handle_expiry(c, now_ms + 20000), 0);
    expect_actions(c, "CLOSE", NONE);
    expect_events(c, "CONNECT_ERROR 1 / \"timeout\" reason=transport error", NONE);
    assert_int_equal(sio_client_get_expiry(c), now_ms + 20000 + 1000);
    /* a socket asked for during the wait waits for the same attempt */
    assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms + 20000), 2);
    expect_actions(c, NONE);
    assert_int_equal(sio_client_handle_expiry(c, now_ms + 21000), 0);
    expect_actions(c, "OPEN", NONE);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms + 21000), 0); /* ours */
    assert_int_equal(sio_client_eio_open(c, now_ms + 21001), 0);
    expect_actions(c, "T:0", "T:0/b,", NONE);
    expect_events(c, "RECONNECT 1", NONE);
    sio_client_free(c);
}

static void test_recovery(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", J("{\"token\":\"t\",\"offset\":\"mine\"}"), now_ms), 1);
    assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms), 2);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0{\"token\":\"t\",\"offset\":\"mine\"}", "T:0/b,", NONE);
    feed(c, "0{\"sid\":\"a\",\"pid\":\"p1\"}");
    feed(c, "0/b,{\"sid\":\"b\",\"pid\":\"q1\"}");
    expect_events(c, "CONNECT 1 / sid=a", "CONNECT 2 /b sid=b", NONE);
    feed(c, "2[\"ev\",1,\"off1\"]");
    feed(c, "21[\"ev\",\"not-with-ack\"]");
    feed(c, "2[\"ev\",2]");
    feed(c, "2/b,[\"only-name\"]"); /* the name is the last argument there */
    expect_events(c, "EVENT 1 / [\"ev\",1,\"off1\"]", "EVENT 1 / [\"ev\",\"not-with-ack\"] id=1",
                  "EVENT 1 / [\"ev\",2]", "EVENT 2 /b [\"only-name\"]", NONE);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_CLOSE, now_ms), 0);
    expect_events(c, "DISCONNECT 1 / transport close", "DISCONNECT 2 /b transport close", NONE);
    now_ms += 1000;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_actions(c, "OPEN", NONE);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    /* Object.assign({pid, offset}, auth): auth's "offset" wins in place */
    expect_actions(c, "T:0{\"pid\":\"p1\",\"offset\":\"mine\",\"token\":\"t\"}",
                   "T:0/b,{\"pid\":\"q1\",\"offset\":\"only-name\"}", NONE);
    expect_events(c, "RECONNECT 1", NONE);
    feed(c, "0{\"sid\":\"a2\",\"pid\":\"p1\"}");
    feed(c, "2[\"missed\",\"off2\"]");
    feed(c, "0/b,{\"sid\":\"b2\",\"pid\":\"q2\"}"); /* another pid: not recovered */
    expect_events(c, "RECOVERED 1 /", "CONNECT 1 / sid=a2", "EVENT 1 / [\"missed\",\"off2\"]",
                  "CONNECT 2 /b sid=b2", NONE);
    sio_client_free(c);

    /* no offset seen yet: only the pid */
    c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    feed(c, "0{\"sid\":\"a\",\"pid\":\"p\"}");
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_CLOSE, now_ms), 0);
    assert_int_equal(sio_client_handle_expiry(c, now_ms + 1000), 0);
    assert_int_equal(sio_client_eio_open(c, now_ms + 1000), 0);
    expect_actions(c, "OPEN", "T:0", "OPEN", "T:0{\"pid\":\"p\"}", NONE);
    sio_client_free(c);
}

static void test_server_disconnect(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    int64_t s;
    sio_client *c = connected_v5(&o, &s);
    assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms), 2);
    expect_actions(c, "T:0/b,", NONE);
    feed(c, "0/b,{\"sid\":\"B\"}");
    expect_events(c, "CONNECT 2 /b sid=B", NONE);
    assert_int_equal(sio_client_emit(c, 2, J("[\"q\"]"), SIO_EMIT_ACK, 0, now_ms), 0);
    expect_actions(c, "T:2/b,0[\"q\"]", NONE);
    feed(c, "1/b,");
    expect_events(c, "ACK_TIMEOUT 2 /b id=0 reason=io server disconnect",
                  "DISCONNECT 2 /b io server disconnect", NONE);
    expect_actions(c, NONE); /* "/" remains */
    feed(c, "2/b,[\"gone\"]");
    feed(c, "3/b,0[]");
    expect_events(c, NONE);
    assert_int_equal(sio_client_get_expiry(c), EIO_TIME_NEVER); /* no reconnection */
    feed(c, "1");
    expect_events(c, "DISCONNECT 1 / io server disconnect", NONE);
    expect_actions(c, "CLOSE", NONE);
    /* a new socket after our close: a new session */
    assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms), 3);
    expect_actions(c, "OPEN", NONE);
    /* the old session's close report is swallowed, the new one opens */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_FORCED, now_ms), 0);
    expect_events(c, NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_actions(c, "T:0/b,", NONE);
    sio_client_free(c);
}

static void test_disconnect_connecting(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    assert_int_equal(sio_client_emit(c, 1, J("[\"a\"]"), 0, 0, now_ms), 0);
    assert_int_equal(sio_client_disconnect(c, 1, now_ms), 0);
    expect_actions(c, "OPEN", "CLOSE", NONE);
    expect_events(c, NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0); /* too late: ignored */
    expect_actions(c, NONE);
    sio_client_free(c);
}

/* sio_client_socket_state through every transition, read before the
   events are drained (the state changes with the call, not the drain). */
static void test_socket_state(void **state)
{
    (void)state;
    sio_client_options o = opts(SIO_V5);
    o.reconnection_delay = 100;
    o.reconnection_attempts = 1;
    o.open_timeout = 0;
    assert_int_equal(sio_client_socket_state(NULL, 1), SIO_SOCKET_GONE);
    sio_client *c = make(&o);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_GONE); /* unknown */
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 1);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTING);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTING);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"s1\"}");
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTED);
    expect_events(c, "CONNECT 1 / sid=s1", NONE);
    /* a second socket refused by the server */
    assert_int_equal(sio_client_connect(c, "/no", NULL, now_ms), 2);
    expect_actions(c, "T:0/no,", NONE);
    feed(c, "4/no,{\"message\":\"nope\"}");
    assert_int_equal(sio_client_socket_state(c, 2), SIO_SOCKET_GONE);
    expect_events(c, "CONNECT_ERROR 2 /no {\"message\":\"nope\"} reason=none", NONE);
    /* a third one the server disconnects, a fourth we disconnect */
    assert_int_equal(sio_client_connect(c, "/b", NULL, now_ms), 3);
    assert_int_equal(sio_client_connect(c, "/d", NULL, now_ms), 4);
    expect_actions(c, "T:0/b,", "T:0/d,", NONE);
    feed(c, "0/b,{\"sid\":\"B\"}");
    feed(c, "0/d,{\"sid\":\"D\"}");
    expect_events(c, "CONNECT 3 /b sid=B", "CONNECT 4 /d sid=D", NONE);
    feed(c, "1/b,");
    assert_int_equal(sio_client_socket_state(c, 3), SIO_SOCKET_GONE);
    assert_int_equal(sio_client_disconnect(c, 4, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 4), SIO_SOCKET_GONE);
    expect_events(c, "DISCONNECT 3 /b io server disconnect",
                  "DISCONNECT 4 /d io client disconnect", NONE);
    expect_actions(c, "T:1/d,", NONE);
    /* connection lost with reconnection: waiting again, not gone */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_CLOSE, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTING);
    expect_events(c, "DISCONNECT 1 / transport close", NONE);
    now_ms += 100;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTING);
    assert_int_equal(sio_client_eio_open(c, now_ms), 0);
    expect_events(c, "RECONNECT 1", NONE);
    expect_actions(c, "T:0", NONE);
    feed(c, "0{\"sid\":\"s2\"}");
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_CONNECTED);
    expect_events(c, "CONNECT 1 / sid=s2", NONE);
    /* lost again, and the only attempt fails: gone for good */
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_ERROR, now_ms), 0);
    expect_events(c, "DISCONNECT 1 / transport error", NONE);
    now_ms += 100;
    assert_int_equal(sio_client_handle_expiry(c, now_ms), 0);
    expect_events(c, "RECONNECT_ATTEMPT 1", NONE);
    expect_actions(c, "OPEN", NONE);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_ERROR, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_GONE);
    expect_events(c, "CONNECT_ERROR 1 / \"transport error\" reason=transport error",
                  "RECONNECT_FAILED", NONE);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_GONE);
    sio_client_free(c);

    /* Without reconnection a loss ends the socket; sio_client_close ends
       a connecting one too. */
    o.reconnection = false;
    int64_t s;
    c = connected_v5(&o, &s);
    assert_int_equal(sio_client_eio_close(c, EIO_CLOSE_PING_TIMEOUT, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 1), SIO_SOCKET_GONE);
    expect_events(c, "DISCONNECT 1 / ping timeout", NONE);
    assert_int_equal(sio_client_connect(c, "/", NULL, now_ms), 2);
    assert_int_equal(sio_client_socket_state(c, 2), SIO_SOCKET_CONNECTING);
    assert_int_equal(sio_client_close(c, now_ms), 0);
    assert_int_equal(sio_client_socket_state(c, 2), SIO_SOCKET_GONE);
    sio_client_free(c);
}

/* ------------------------------------------------------------------------ */
/* Allocation failures                                                       */
/* ------------------------------------------------------------------------ */

static void drain(sio_client *c)
{
    sio_action a;
    sio_event e;
    while (sio_client_next_action(c, &a) == 1) {
    }
    while (sio_client_next_event(c, &e) == 1) {
    }
}

/* One scripted session; every call may fail, none may crash or leak. */
static void scripted(sio_client *c)
{
    eio_time t = 1000;
    static const uint8_t att[] = {7, 8};
    eio_json *bin = J("[\"b\"]");
    (void)eio_json_append(bin, eio_json_new_binary(&targ, att, 2));
    (void)sio_client_connect(c, "/", J("{\"k\":[1,2]}"), t);
    (void)sio_client_emit(c, 1, bin, SIO_EMIT_ACK, 100, t);
    (void)sio_client_connect(c, "/x", NULL, t);
    drain(c);
    (void)sio_client_eio_open(c, t);
    drain(c);
    static const char *in[] = {"0{\"sid\":\"a\",\"pid\":\"p\"}", "0/x,{\"sid\":\"b\"}",
                               "2[\"e\",\"o\"]", "51-[\"f\",{\"_placeholder\":true,\"num\":0}]"};
    for (size_t i = 0; i < 4; i++) {
        (void)sio_client_eio_message(c, (const uint8_t *)in[i], strlen(in[i]), false, t);
    }
    (void)sio_client_eio_message(c, att, 2, true, t);
    drain(c);
    (void)sio_client_emit(c, 2, bin, SIO_EMIT_ACK, 0, t);
    (void)sio_client_ack(c, 1, 3, bin, t);
    (void)sio_client_eio_message(c, (const uint8_t *)"30[]", 4, false, t);
    (void)sio_client_eio_close(c, EIO_CLOSE_TRANSPORT_CLOSE, t);
    (void)sio_client_handle_expiry(c, t + 5000);
    (void)sio_client_eio_open(c, t + 5000);
    (void)sio_client_eio_message(c, (const uint8_t *)"0{\"sid\":\"c\",\"pid\":\"p\"}", 22, false,
                                 t + 5000);
    drain(c);
    (void)sio_client_eio_message(c, (const uint8_t *)"2[", 2, false, t + 5000);
    (void)sio_client_disconnect(c, 2, t + 5000);
    (void)sio_client_close(c, t + 5000);
    drain(c);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    /* count the allocations of a run without failure, then fail each */
    tu_failmem count;
    tu_failmem_init(&count, -1);
    sio_client_options oc = opts(SIO_V5);
    sio_client *cc = NULL;
    assert_int_equal(sio_client_new(&cc, &oc, &count.mem), 0);
    scripted(cc);
    sio_client_free(cc);
    assert_int_equal(count.outstanding, 0);
    print_message("allocations: %ld\n", count.calls);
    assert_true(count.calls > 30);
    for (long fail_at = 0; fail_at < count.calls; fail_at++) {
        tu_failmem fm;
        tu_failmem_init(&fm, fail_at);
        sio_client_options o = opts(SIO_V5);
        sio_client *c = NULL;
        if (sio_client_new(&c, &o, &fm.mem) != 0) {
            assert_null(c);
            assert_int_equal(fm.outstanding, 0);
            continue;
        }
        scripted(c);
        sio_client_free(c);
        assert_int_equal(fm.outstanding, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backoff_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_extremes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v5_sample_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v4_sample_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_and_namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_before_connect_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_then_flushed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_limits_and_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_ack_timeout_drops_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msgpack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eio_close_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnection_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnection_attempts_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_open_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_connecting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
