/* The open packet's handshake JSON: parse and encode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sioc/eio.h"
#include "test_util.h"

static int parse(const char *json, eio_handshake *h, eio_errinfo *e)
{
    size_t n = strlen(json);
    uint8_t *g = tu_guard_copy(json, n);
    int rc = eio_handshake_parse(g, n, h, e);
    tu_guard_free(g, n);
    return rc;
}

static void parses_reference_handshakes(void **state)
{
    (void)state;
    eio_handshake h;
    eio_errinfo e;
    assert_int_equal(parse("{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
                           "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
                           &h, &e),
                     0);
    assert_string_equal(h.sid, "lv_VI97HAXpY6yYWAAAC");
    assert_int_equal(h.sid_len, 20);
    assert_int_equal(h.upgrades, EIO_UPGRADE_WEBSOCKET);
    assert_int_equal(h.ping_interval, 25000);
    assert_int_equal(h.ping_timeout, 20000);
    assert_true(h.has_max_payload);
    assert_int_equal(h.max_payload, 1000000);

    /* v3: no maxPayload; keys in any order; unknown keys and upgrades ignored. */
    assert_int_equal(parse(" {\"pingTimeout\":5000,\"x\":{\"y\":[1,2]},\"upgrades\":[\"webtransport\","
                           "\"carrier-pigeon\",\"websocket\"],\"sid\":\"a\\\"b\\u00e9\","
                           "\"pingInterval\":0} ",
                           &h, &e),
                     0);
    assert_string_equal(h.sid, "a\"b\xc3\xa9");
    assert_int_equal(h.sid_len, 5);
    assert_int_equal(h.upgrades, EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT);
    assert_int_equal(h.ping_interval, 0);
    assert_int_equal(h.ping_timeout, 5000);
    assert_false(h.has_max_payload);
    assert_int_equal(h.max_payload, 0);

    /* Integral doubles are integers; the last duplicate wins. */
    assert_int_equal(parse("{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":2.5e4,"
                           "\"pingTimeout\":1,\"pingTimeout\":2147483647,\"maxPayload\":0}",
                           &h, &e),
                     0);
    assert_int_equal(h.upgrades, 0);
    assert_int_equal(h.ping_interval, 25000);
    assert_int_equal(h.ping_timeout, 2147483647);
    assert_true(h.has_max_payload);
    assert_int_equal(h.max_payload, 0);

    /* A sid of exactly EIO_SID_MAX bytes. */
    char json[400];
    char sid[EIO_SID_MAX + 2];
    memset(sid, 'x', EIO_SID_MAX);
    sid[EIO_SID_MAX] = 0;
    snprintf(json, sizeof json,
             "{\"sid\":\"%s\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1}", sid);
    assert_int_equal(parse(json, &h, &e), 0);
    assert_int_equal(h.sid_len, EIO_SID_MAX);
}

static void expect_invalid(const char *json)
{
    eio_handshake h;
    memset(&h, 0x5A, sizeof h);
    eio_handshake before = h;
    eio_errinfo e = {0, NULL, 99};
    int rc = parse(json, &h, &e);
    if (rc != EIO_ERR_HANDSHAKE_INVALID) {
        fail_msg("%s: got %d", json, rc);
    }
    assert_int_equal(e.code, EIO_ERR_HANDSHAKE_INVALID);
    assert_non_null(e.msg);
    assert_int_equal(e.offset, 0);
    /* Nothing is written on failure. */
    assert_memory_equal(&h, &before, sizeof h);
}

#define UP "\"upgrades\":[]"
#define PI "\"pingInterval\":1"
#define PT "\"pingTimeout\":1"

static void rejects_invalid_handshakes(void **state)
{
    (void)state;
    expect_invalid("[]");
    expect_invalid("\"sid\"");
    expect_invalid("null");
    expect_invalid("{" UP "," PI "," PT "}");                  /* no sid */
    expect_invalid("{\"sid\":\"\"," UP "," PI "," PT "}");     /* empty sid */
    expect_invalid("{\"sid\":5," UP "," PI "," PT "}");
    expect_invalid("{\"sid\":\"a\\u0000b\"," UP "," PI "," PT "}");
    expect_invalid("{\"sid\":\"s\"," PI "," PT "}");           /* no upgrades */
    expect_invalid("{\"sid\":\"s\",\"upgrades\":\"websocket\"," PI "," PT "}");
    expect_invalid("{\"sid\":\"s\",\"upgrades\":[1]," PI "," PT "}");
    expect_invalid("{\"sid\":\"s\"," UP "," PT "}");           /* no pingInterval */
    expect_invalid("{\"sid\":\"s\"," UP "," PI "}");           /* no pingTimeout */
    expect_invalid("{\"sid\":\"s\"," UP ",\"pingInterval\":-1," PT "}");
    expect_invalid("{\"sid\":\"s\"," UP ",\"pingInterval\":1.5," PT "}");
    expect_invalid("{\"sid\":\"s\"," UP ",\"pingInterval\":\"1\"," PT "}");
    expect_invalid("{\"sid\":\"s\"," UP ",\"pingInterval\":2147483648," PT "}");
    expect_invalid("{\"sid\":\"s\"," UP "," PI ",\"pingTimeout\":null}");
    expect_invalid("{\"sid\":\"s\"," UP "," PI "," PT ",\"maxPayload\":-5}");
    expect_invalid("{\"sid\":\"s\"," UP "," PI "," PT ",\"maxPayload\":\"1e6\"}");
    expect_invalid("{\"sid\":\"s\"," UP "," PI "," PT ",\"maxPayload\":9007199254740992}");
    char json[400];
    char sid[EIO_SID_MAX + 2];
    memset(sid, 'x', EIO_SID_MAX + 1);
    sid[EIO_SID_MAX + 1] = 0;
    snprintf(json, sizeof json, "{\"sid\":\"%s\"," UP "," PI "," PT "}", sid);
    expect_invalid(json);
    /* Too many extra keys for the fixed arena. */
    size_t big = 200000;
    char *many = malloc(big);
    assert_non_null(many);
    size_t n = (size_t)snprintf(many, big, "{\"sid\":\"s\"," UP "," PI "," PT ",\"x\":[");
    while (n < big - 10) {
        memcpy(many + n, "1,", 2);
        n += 2;
    }
    memcpy(many + n, "1]}", 4);
    expect_invalid(many);
    free(many);
}

static void json_errors_pass_through(void **state)
{
    (void)state;
    eio_handshake h;
    eio_errinfo e;
    assert_int_equal(parse("{\"sid\":\"s\",", &h, &e), EIO_ERR_JSON_UNEXPECTED_END);
    assert_int_equal(e.code, EIO_ERR_JSON_UNEXPECTED_END);
    assert_int_equal(parse("{\"sid\":'s'}", &h, &e), EIO_ERR_JSON_SYNTAX);
    assert_int_equal(e.offset, 7);
    assert_int_equal(parse("{} x", &h, &e), EIO_ERR_JSON_TRAILING);
    assert_int_equal(parse("", &h, &e) < 0, true);
    assert_int_equal(eio_handshake_parse(NULL, 3, &h, &e), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.code, EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_handshake_parse((const uint8_t *)"{}", 2, NULL, &e),
                     EIO_ERR_INVALID_ARGUMENT);
}

static void expect_encoded(eio_version v, const eio_handshake *h, const char *want)
{
    size_t wlen = strlen(want), n = 0;
    assert_int_equal(eio_handshake_encode(v, h, NULL, 0, &n), EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, wlen);
    uint8_t out[512];
    memset(out, 0xAA, sizeof out);
    assert_int_equal(eio_handshake_encode(v, h, out, wlen - 1, &n), EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, wlen);
    assert_int_equal(out[0], 0xAA);
    assert_int_equal(eio_handshake_encode(v, h, out, wlen, &n), 0);
    assert_int_equal(n, wlen);
    assert_memory_equal(out, want, wlen);
    /* And it parses back. */
    eio_handshake back;
    assert_int_equal(eio_handshake_parse(out, n, &back, NULL), 0);
    assert_int_equal(back.sid_len, h->sid_len);
    assert_memory_equal(back.sid, h->sid, h->sid_len);
    assert_int_equal(back.upgrades, h->upgrades);
    assert_int_equal(back.ping_interval, h->ping_interval);
    assert_int_equal(back.ping_timeout, h->ping_timeout);
}

static eio_handshake make(const char *sid, unsigned upgrades, uint32_t pi, uint32_t pt,
                          bool has_max, uint64_t max)
{
    eio_handshake h;
    memset(&h, 0, sizeof h);
    h.sid_len = strlen(sid);
    memcpy(h.sid, sid, h.sid_len);
    h.upgrades = upgrades;
    h.ping_interval = pi;
    h.ping_timeout = pt;
    h.has_max_payload = has_max;
    h.max_payload = max;
    return h;
}

static void encodes_as_the_reference(void **state)
{
    (void)state;
    eio_handshake h = make("lv_VI97HAXpY6yYWAAAC", EIO_UPGRADE_WEBSOCKET, 25000, 20000, true,
                           1000000);
    expect_encoded(EIO_V4, &h,
                   "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
                   "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
    /* v3 never carries maxPayload. */
    expect_encoded(EIO_V3, &h,
                   "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
                   "\"pingInterval\":25000,\"pingTimeout\":20000}");
    h = make("abc", 0, 0, 0, false, 0);
    expect_encoded(EIO_V4, &h, "{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":0,\"pingTimeout\":0}");
    h = make("abc", EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT, 2147483647, 1, true,
             9007199254740991u);
    expect_encoded(EIO_V4, &h,
                   "{\"sid\":\"abc\",\"upgrades\":[\"websocket\",\"webtransport\"],"
                   "\"pingInterval\":2147483647,\"pingTimeout\":1,"
                   "\"maxPayload\":9007199254740991}");
    h = make("x", EIO_UPGRADE_WEBTRANSPORT | 0x80u, 1, 2, false, 0);
    h.upgrades = EIO_UPGRADE_WEBTRANSPORT;
    expect_encoded(EIO_V4, &h,
                   "{\"sid\":\"x\",\"upgrades\":[\"webtransport\"],\"pingInterval\":1,"
                   "\"pingTimeout\":2}");
    /* Escapes exactly as JSON.stringify: short forms, \u00xx lower case, rest raw. */
    h = make("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9", 0, 1, 1, false, 0);
    expect_encoded(EIO_V3, &h,
                   "{\"sid\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\","
                   "\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1}");
}

static void encode_errors(void **state)
{
    (void)state;
    uint8_t out[512];
    size_t n;
    eio_handshake h = make("abc", 0, 1, 1, false, 0);
    assert_int_equal(eio_handshake_encode((eio_version)2, &h, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_handshake_encode(EIO_V4, NULL, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_handshake_encode(EIO_V4, &h, out, sizeof out, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_handshake_encode(EIO_V4, &h, NULL, 5, &n), EIO_ERR_INVALID_ARGUMENT);
    eio_handshake bad = h;
    bad.sid_len = 0;
    assert_int_equal(eio_handshake_encode(EIO_V4, &bad, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    bad = h;
    bad.sid_len = EIO_SID_MAX + 1;
    assert_int_equal(eio_handshake_encode(EIO_V4, &bad, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    bad = make("a\xff", 0, 1, 1, false, 0);
    assert_int_equal(eio_handshake_encode(EIO_V4, &bad, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    bad = h;
    bad.ping_interval = 0x80000000u;
    assert_int_equal(eio_handshake_encode(EIO_V4, &bad, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    bad = h;
    bad.has_max_payload = true;
    bad.max_payload = 9007199254740992u;
    assert_int_equal(eio_handshake_encode(EIO_V4, &bad, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_reference_handshakes),
        cmocka_unit_test(rejects_invalid_handshakes),
        cmocka_unit_test(json_errors_pass_through),
        cmocka_unit_test(encodes_as_the_reference),
        cmocka_unit_test(encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
