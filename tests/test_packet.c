/* Single Engine.IO packets (WebSocket frames), v3 and v4. */
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

/* Decodes from a guard-page copy; the packet's data is copied out. */
typedef struct {
    int rc;
    eio_packet p;
    uint8_t data[256];
    eio_errinfo err;
} result;

static result decode(eio_version v, const void *frame, size_t len, bool binary,
                     const eio_limits *lim)
{
    result r;
    memset(&r, 0, sizeof r);
    uint8_t *g = tu_guard_copy(frame, len);
    r.rc = eio_packet_decode(v, g, len, binary, lim, &r.p, &r.err);
    if (r.rc == 0) {
        assert_true(r.p.len <= sizeof r.data);
        if (r.p.len > 0) {
            assert_true(r.p.data >= g && r.p.data + r.p.len <= g + len);
            memcpy(r.data, r.p.data, r.p.len);
        }
    }
    tu_guard_free(g, len);
    return r;
}

#define S(lit) lit, sizeof(lit) - 1

static void expect_ok(eio_version v, const char *frame, size_t len, bool binary,
                      eio_packet_type type, eio_data_kind kind, const char *data, size_t dlen)
{
    result r = decode(v, frame, len, binary, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.p.type, type);
    assert_int_equal(r.p.kind, kind);
    assert_int_equal(r.p.len, dlen);
    assert_memory_equal(r.data, data, dlen);
}

static void expect_err(eio_version v, const char *frame, size_t len, bool binary, int code,
                       size_t offset)
{
    result r = decode(v, frame, len, binary, NULL);
    assert_int_equal(r.rc, code);
    assert_int_equal(r.err.code, code);
    assert_int_equal(r.err.offset, offset);
    assert_non_null(r.err.msg);
}

static void type_names_and_limits(void **state)
{
    (void)state;
    const char *names[] = {"open", "close", "ping", "pong", "message", "upgrade", "noop"};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(eio_packet_type_name(i), names[i]);
    }
    assert_null(eio_packet_type_name(7));
    assert_null(eio_packet_type_name(-1));
    eio_limits l;
    eio_limits_default(&l);
    assert_int_equal(l.max_payload, 1000000);
    assert_int_equal(l.max_packet, 1000000);
    assert_int_equal(l.max_packets, 100000);
    eio_limits_default(NULL);
}

static void v4_text_frames(void **state)
{
    (void)state;
    expect_ok(EIO_V4, S("4hello"), false, EIO_PACKET_MESSAGE, EIO_DATA_TEXT, S("hello"));
    expect_ok(EIO_V4, S("2probe"), false, EIO_PACKET_PING, EIO_DATA_TEXT, S("probe"));
    expect_ok(EIO_V4, S("2"), false, EIO_PACKET_PING, EIO_DATA_NONE, "", 0);
    expect_ok(EIO_V4, S("6"), false, EIO_PACKET_NOOP, EIO_DATA_NONE, "", 0);
    expect_ok(EIO_V4, S("0{\"sid\":\"x\"}"), false, EIO_PACKET_OPEN, EIO_DATA_TEXT,
              S("{\"sid\":\"x\"}"));
    expect_ok(EIO_V4, S("4\xe2\x82\xac"), false, EIO_PACKET_MESSAGE, EIO_DATA_TEXT,
              S("\xe2\x82\xac"));
    expect_ok(EIO_V4, S("4\x00"), false, EIO_PACKET_MESSAGE, EIO_DATA_TEXT, S("\x00"));
    expect_ok(EIO_V4, S("bAQIDBA=="), false, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, S("AQIDBA=="));
    expect_ok(EIO_V4, S("b"), false, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "", 0);
}

static void v4_text_errors(void **state)
{
    (void)state;
    expect_err(EIO_V4, "", 0, false, EIO_ERR_EMPTY_PACKET, 0);
    expect_err(EIO_V4, S("7"), false, EIO_ERR_INVALID_TYPE, 0);
    expect_err(EIO_V4, S("xhello"), false, EIO_ERR_INVALID_TYPE, 0);
    expect_err(EIO_V4, S("\xe2\x82\xac"), false, EIO_ERR_INVALID_TYPE, 0);
    expect_err(EIO_V4, S("4ab\xff"), false, EIO_ERR_INVALID_UTF8, 3);
    expect_err(EIO_V4, S("4\xed\xa0\x80"), false, EIO_ERR_INVALID_UTF8, 1);
    expect_err(EIO_V4, S("bAQI"), false, EIO_ERR_INVALID_BASE64, 4);
    expect_err(EIO_V4, S("bAQ!D"), false, EIO_ERR_INVALID_BASE64, 3);
    expect_err(EIO_V4, S("b4AQIDBA=="), false, EIO_ERR_INVALID_BASE64, 9);
}

static void v4_binary_frames(void **state)
{
    (void)state;
    expect_ok(EIO_V4, S("\x01\x02\x03"), true, EIO_PACKET_MESSAGE, EIO_DATA_BINARY,
              S("\x01\x02\x03"));
    expect_ok(EIO_V4, S("4hello"), true, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("4hello"));
    expect_ok(EIO_V4, "", 0, true, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "", 0);
    expect_ok(EIO_V4, S("\xff\xfe"), true, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\xff\xfe"));
}

static void v3_frames(void **state)
{
    (void)state;
    expect_ok(EIO_V3, S("4hello"), false, EIO_PACKET_MESSAGE, EIO_DATA_TEXT, S("hello"));
    expect_ok(EIO_V3, S("3probe"), false, EIO_PACKET_PONG, EIO_DATA_TEXT, S("probe"));
    expect_ok(EIO_V3, S("5"), false, EIO_PACKET_UPGRADE, EIO_DATA_NONE, "", 0);
    expect_ok(EIO_V3, S("b4AQIDBA=="), false, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, S("AQIDBA=="));
    expect_ok(EIO_V3, S("b2"), false, EIO_PACKET_PING, EIO_DATA_BASE64, "", 0);
    expect_ok(EIO_V3, S("\x04\x01\x02"), true, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\x01\x02"));
    expect_ok(EIO_V3, S("\x00"), true, EIO_PACKET_OPEN, EIO_DATA_BINARY, "", 0);
    expect_ok(EIO_V3, S("\x06xyz"), true, EIO_PACKET_NOOP, EIO_DATA_BINARY, S("xyz"));
    expect_err(EIO_V3, "", 0, false, EIO_ERR_EMPTY_PACKET, 0);
    expect_err(EIO_V3, "", 0, true, EIO_ERR_EMPTY_PACKET, 0);
    expect_err(EIO_V3, S("\x07"), true, EIO_ERR_INVALID_TYPE, 0);
    expect_err(EIO_V3, S("4hello"), true, EIO_ERR_INVALID_TYPE, 0); /* '4' is 0x34 */
    expect_err(EIO_V3, S("9"), false, EIO_ERR_INVALID_TYPE, 0);
    expect_err(EIO_V3, S("b"), false, EIO_ERR_INVALID_TYPE, 1);
    expect_err(EIO_V3, S("b7AAAA"), false, EIO_ERR_INVALID_TYPE, 1);
    expect_err(EIO_V3, S("bAQID"), false, EIO_ERR_INVALID_TYPE, 1);
    expect_err(EIO_V3, S("b4AQI"), false, EIO_ERR_INVALID_BASE64, 5);
    expect_err(EIO_V3, S("b4AR=="), false, EIO_ERR_INVALID_BASE64, 3);
    expect_err(EIO_V3, S("4\xc0\xaf"), false, EIO_ERR_INVALID_UTF8, 1);
}

static void frame_limits(void **state)
{
    (void)state;
    eio_limits lim = {0, 5, 0};
    result r = decode(EIO_V4, S("4abcd"), false, &lim);
    assert_int_equal(r.rc, 0);
    r = decode(EIO_V4, S("4abcde"), false, &lim);
    assert_int_equal(r.rc, EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(r.err.offset, 5);
    r = decode(EIO_V3, S("\x04\x01\x02\x03\x04\x05"), true, &lim);
    assert_int_equal(r.rc, EIO_ERR_PACKET_TOO_LARGE);
    /* max_packet defaults to max_payload. */
    eio_limits lim2 = {3, 0, 0};
    r = decode(EIO_V4, S("4abc"), true, &lim2);
    assert_int_equal(r.rc, EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(r.err.offset, 3);
}

static void decode_arguments(void **state)
{
    (void)state;
    eio_packet p;
    eio_errinfo e;
    assert_int_equal(eio_packet_decode(EIO_V4, NULL, 1, false, NULL, &p, &e),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.code, EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_decode(EIO_V4, (const uint8_t *)"4", 1, false, NULL, NULL, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_decode((eio_version)5, (const uint8_t *)"4", 1, false, NULL, &p,
                                       NULL),
                     EIO_ERR_INVALID_ARGUMENT);
}

/* Encodes, checks the size convention, and compares the bytes. */
static void expect_encoded(eio_version v, eio_packet_type type, eio_data_kind kind,
                           const char *data, size_t dlen, unsigned flags, const char *want,
                           size_t wlen, bool want_binary)
{
    eio_packet p = {type, kind, (const uint8_t *)data, dlen};
    uint8_t out[256];
    size_t n = 0;
    bool bin = !want_binary;
    assert_int_equal(eio_packet_encode(v, &p, flags, NULL, 0, &n, &bin),
                     wlen == 0 ? 0 : EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, wlen);
    if (wlen > 0) {
        memset(out, 0xAA, sizeof out);
        assert_int_equal(eio_packet_encode(v, &p, flags, out, wlen - 1, &n, &bin),
                         EIO_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(n, wlen);
        assert_int_equal(out[0], 0xAA); /* nothing written */
    }
    assert_int_equal(eio_packet_encode(v, &p, flags, out, wlen, &n, &bin), 0);
    assert_int_equal(n, wlen);
    assert_int_equal(bin, want_binary);
    assert_memory_equal(out, want, wlen);
    /* And it decodes back to the same packet (type may become message for v4 base64). */
    result r = decode(v, out, n, bin, NULL);
    assert_int_equal(r.rc, 0);
}

static void encode_frames(void **state)
{
    (void)state;
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_TEXT, S("hello"), 0, S("4hello"), false);
    expect_encoded(EIO_V4, EIO_PACKET_PING, EIO_DATA_NONE, NULL, 0, 0, S("2"), false);
    expect_encoded(EIO_V4, EIO_PACKET_PING, EIO_DATA_TEXT, S("probe"), 0, S("2probe"), false);
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\x01\x02\x03\x04"), 0,
                   S("\x01\x02\x03\x04"), true);
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "", 0, 0, "", 0, true);
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\x01\x02\x03\x04"),
                   EIO_ENCODE_BASE64, S("bAQIDBA=="), false);
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, S("AQIDBA=="), 0,
                   S("\x01\x02\x03\x04"), true);
    expect_encoded(EIO_V4, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, S("AQIDBA=="), EIO_ENCODE_BASE64,
                   S("bAQIDBA=="), false);
    /* v4 binary frames carry only messages. */
    expect_encoded(EIO_V4, EIO_PACKET_PING, EIO_DATA_BINARY, S("\x01"), 0, S("bAQ=="), false);
    expect_encoded(EIO_V3, EIO_PACKET_MESSAGE, EIO_DATA_TEXT, S("\xe2\x82\xac"), 0,
                   S("4\xe2\x82\xac"), false);
    expect_encoded(EIO_V3, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\x01\x02"), 0,
                   S("\x04\x01\x02"), true);
    expect_encoded(EIO_V3, EIO_PACKET_PING, EIO_DATA_BINARY, "", 0, 0, S("\x02"), true);
    expect_encoded(EIO_V3, EIO_PACKET_MESSAGE, EIO_DATA_BINARY, S("\x01\x02\x03\x04"),
                   EIO_ENCODE_BASE64, S("b4AQIDBA=="), false);
    expect_encoded(EIO_V3, EIO_PACKET_MESSAGE, EIO_DATA_BASE64, S("AQIDBA=="), 0,
                   S("\x04\x01\x02\x03\x04"), true);
    expect_encoded(EIO_V3, EIO_PACKET_CLOSE, EIO_DATA_NONE, NULL, 0, 0, S("1"), false);
}

static void encode_errors(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n;
    bool bin;
    eio_packet p = {(eio_packet_type)7, EIO_DATA_NONE, NULL, 0};
    assert_int_equal(eio_packet_encode(EIO_V4, &p, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_TYPE);
    p.type = (eio_packet_type)-1;
    assert_int_equal(eio_packet_encode(EIO_V4, &p, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_TYPE);
    eio_packet t = {EIO_PACKET_MESSAGE, EIO_DATA_TEXT, (const uint8_t *)"a\xff", 2};
    assert_int_equal(eio_packet_encode(EIO_V4, &t, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_UTF8);
    eio_packet b = {EIO_PACKET_MESSAGE, EIO_DATA_BASE64, (const uint8_t *)"AQI", 3};
    assert_int_equal(eio_packet_encode(EIO_V3, &b, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_BASE64);
    eio_packet k = {EIO_PACKET_MESSAGE, (eio_data_kind)9, NULL, 0};
    assert_int_equal(eio_packet_encode(EIO_V3, &k, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
    eio_packet ok = {EIO_PACKET_MESSAGE, EIO_DATA_TEXT, (const uint8_t *)"x", 1};
    assert_int_equal(eio_packet_encode(EIO_V4, NULL, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_encode(EIO_V4, &ok, 0, NULL, 5, &n, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_encode(EIO_V4, &ok, 0, out, sizeof out, NULL, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_encode(EIO_V4, &ok, 0, out, sizeof out, &n, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_packet_encode((eio_version)2, &ok, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
    eio_packet nul = {EIO_PACKET_MESSAGE, EIO_DATA_TEXT, NULL, 3};
    assert_int_equal(eio_packet_encode(EIO_V4, &nul, 0, out, sizeof out, &n, &bin),
                     EIO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names_and_limits), cmocka_unit_test(v4_text_frames),
        cmocka_unit_test(v4_text_errors),        cmocka_unit_test(v4_binary_frames),
        cmocka_unit_test(v3_frames),             cmocka_unit_test(frame_limits),
        cmocka_unit_test(decode_arguments),      cmocka_unit_test(encode_frames),
        cmocka_unit_test(encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
