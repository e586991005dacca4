/*
 * Polling payloads: the incremental decoder (every body fed whole, one byte
 * at a time, split at every offset, with and without rebase) and the
 * encoder.
 */
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

#define MAXP 8

typedef struct {
    eio_packet_type type;
    eio_data_kind kind;
    const char *data; /* NULL: no data */
    size_t len;
} xpacket;

typedef struct {
    const char *name;
    eio_version v;
    eio_payload_format fmt;
    const char *body;
    size_t len;
    eio_limits lim;
    int code;       /* 0: success */
    size_t offset;  /* error offset */
    size_t npk;     /* packets expected (before the error, if any) */
    xpacket pk[MAXP];
    bool prefix_may_differ; /* payload-too-large: chunked runs may return packets first */
} pcase;

#define B(lit) lit, sizeof(lit) - 1
#define P(t, k, lit) {t, k, lit, sizeof(lit) - 1}
#define PN(t) {t, EIO_DATA_NONE, NULL, 0}
#define MSG(lit) P(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, lit)
#define NOLIM {0, 0, 0}

static const pcase cases[] = {
    /* v4 */
    {"v4 three", EIO_V4, EIO_PAYLOAD_TEXT, B("4hello\x1e" "2\x1e" "4world"), NOLIM, 0, 0, 3,
     {MSG("hello"), PN(EIO_PACKET_PING), MSG("world")}, false},
    {"v4 base64", EIO_V4, EIO_PAYLOAD_TEXT, B("4hello\x1e" "bAQIDBA=="), NOLIM, 0, 0, 2,
     {MSG("hello"), P(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "AQIDBA==")}, false},
    {"v4 one", EIO_V4, EIO_PAYLOAD_TEXT, B("6"), NOLIM, 0, 0, 1, {PN(EIO_PACKET_NOOP)}, false},
    {"v4 empty base64", EIO_V4, EIO_PAYLOAD_TEXT, B("b\x1e" "4"), NOLIM, 0, 0, 2,
     {{EIO_PACKET_MESSAGE, EIO_DATA_BASE64, NULL, 0}, PN(EIO_PACKET_MESSAGE)}, false},
    {"v4 utf8", EIO_V4, EIO_PAYLOAD_TEXT, B("4\xe2\x82\xac\x1e" "4\xf0\x9f\x98\x80"), NOLIM, 0, 0,
     2, {MSG("\xe2\x82\xac"), MSG("\xf0\x9f\x98\x80")}, false},
    {"v4 empty body", EIO_V4, EIO_PAYLOAD_TEXT, "", 0, NOLIM, EIO_ERR_EMPTY_PAYLOAD, 0, 0, {{0}},
     false},
    {"v4 empty record", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e\x1e" "4b"), NOLIM,
     EIO_ERR_EMPTY_PACKET, 3, 1, {MSG("a")}, false},
    {"v4 trailing separator", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e"), NOLIM, EIO_ERR_EMPTY_PACKET,
     3, 1, {MSG("a")}, false},
    {"v4 leading separator", EIO_V4, EIO_PAYLOAD_TEXT, B("\x1e" "4a"), NOLIM,
     EIO_ERR_EMPTY_PACKET, 0, 0, {{0}}, false},
    {"v4 bad type", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "9"), NOLIM, EIO_ERR_INVALID_TYPE, 3, 1,
     {MSG("a")}, false},
    {"v4 bad utf8", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "4\xff"), NOLIM, EIO_ERR_INVALID_UTF8, 4,
     1, {MSG("a")}, false},
    {"v4 bad base64", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "bA="), NOLIM, EIO_ERR_INVALID_BASE64,
     5, 1, {MSG("a")}, false},
    {"v4 packet too large", EIO_V4, EIO_PAYLOAD_TEXT, B("4ab\x1e" "4abc"), {0, 3, 0},
     EIO_ERR_PACKET_TOO_LARGE, 7, 1, {MSG("ab")}, false},
    {"v4 packet too large mid", EIO_V4, EIO_PAYLOAD_TEXT, B("4abcdef\x1e" "4"), {0, 3, 0},
     EIO_ERR_PACKET_TOO_LARGE, 3, 0, {{0}}, false},
    {"v4 packet at limit", EIO_V4, EIO_PAYLOAD_TEXT, B("4ab\x1e" "4cd"), {0, 3, 0}, 0, 0, 2,
     {MSG("ab"), MSG("cd")}, false},
    {"v4 payload at limit", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "4b"), {5, 0, 0}, 0, 0, 2,
     {MSG("a"), MSG("b")}, false},
    {"v4 payload too large", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "4bc"), {5, 0, 0},
     EIO_ERR_PAYLOAD_TOO_LARGE, 5, 0, {{0}}, true},
    {"v4 too many packets", EIO_V4, EIO_PAYLOAD_TEXT, B("4a\x1e" "4b\x1e" "4c"), {0, 0, 2},
     EIO_ERR_TOO_MANY_PACKETS, 6, 2, {MSG("a"), MSG("b")}, false},

    /* v3 text */
    {"v3 two", EIO_V3, EIO_PAYLOAD_TEXT, B("6:4hello6:4world"), NOLIM, 0, 0, 2,
     {MSG("hello"), MSG("world")}, false},
    {"v3 spec base64", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4\xe2\x82\xac" "10:b4AQIDBA=="), NOLIM, 0,
     0, 2, {MSG("\xe2\x82\xac"), P(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "AQIDBA==")}, false},
    {"v3 surrogate pair", EIO_V3, EIO_PAYLOAD_TEXT, B("3:4\xf0\x9f\x98\x80" "1:2"), NOLIM, 0, 0,
     2, {MSG("\xf0\x9f\x98\x80"), PN(EIO_PACKET_PING)}, false},
    {"v3 long ascii", EIO_V3, EIO_PAYLOAD_TEXT, B("21:4abcdefghijklmnopqrst2:3x"), NOLIM, 0, 0, 2,
     {MSG("abcdefghijklmnopqrst"), P(EIO_PACKET_PONG, EIO_DATA_TEXT, "x")}, false},
    {"v3 zero packets", EIO_V3, EIO_PAYLOAD_TEXT, B("0:"), NOLIM, 0, 0, 0, {{0}}, false},
    {"v3 zero records skipped", EIO_V3, EIO_PAYLOAD_TEXT, B("0:6:4hello0:"), NOLIM, 0, 0, 1,
     {MSG("hello")}, false},
    {"v3 leading zeros", EIO_V3, EIO_PAYLOAD_TEXT, B("01:6"), NOLIM, 0, 0, 1,
     {PN(EIO_PACKET_NOOP)}, false},
    {"v3 binary base64 ping", EIO_V3, EIO_PAYLOAD_TEXT, B("2:b2"), NOLIM, 0, 0, 1,
     {{EIO_PACKET_PING, EIO_DATA_BASE64, NULL, 0}}, false},
    {"v3 empty body", EIO_V3, EIO_PAYLOAD_TEXT, "", 0, NOLIM, EIO_ERR_EMPTY_PAYLOAD, 0, 0, {{0}},
     false},
    {"v3 splits pair", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4\xf0\x9f\x98\x80"), NOLIM,
     EIO_ERR_LENGTH_SPLITS_CHAR, 3, 0, {{0}}, false},
    {"v3 ends in length", EIO_V3, EIO_PAYLOAD_TEXT, B("6:4hello3"), NOLIM, EIO_ERR_BAD_LENGTH, 9,
     1, {MSG("hello")}, false},
    {"v3 past end", EIO_V3, EIO_PAYLOAD_TEXT, B("6:4hello6:4wor"), NOLIM,
     EIO_ERR_LENGTH_PAST_END, 8, 1, {MSG("hello")}, false},
    {"v3 no digits", EIO_V3, EIO_PAYLOAD_TEXT, B(":4"), NOLIM, EIO_ERR_BAD_LENGTH, 0, 0, {{0}},
     false},
    {"v3 sign", EIO_V3, EIO_PAYLOAD_TEXT, B("+1:4"), NOLIM, EIO_ERR_BAD_LENGTH, 0, 0, {{0}},
     false},
    {"v3 non-digit", EIO_V3, EIO_PAYLOAD_TEXT, B("1a:4"), NOLIM, EIO_ERR_BAD_LENGTH, 1, 0, {{0}},
     false},
    {"v3 space", EIO_V3, EIO_PAYLOAD_TEXT, B(" 1:4"), NOLIM, EIO_ERR_BAD_LENGTH, 0, 0, {{0}},
     false},
    {"v3 eleven digits", EIO_V3, EIO_PAYLOAD_TEXT, B("00000000001:4"), NOLIM,
     EIO_ERR_BAD_LENGTH, 10, 0, {{0}}, false},
    {"v3 declared too large", EIO_V3, EIO_PAYLOAD_TEXT, B("1:41000001:4"), NOLIM,
     EIO_ERR_PACKET_TOO_LARGE, 3, 1, {PN(EIO_PACKET_MESSAGE)}, false},
    {"v3 declared over max_packet", EIO_V3, EIO_PAYLOAD_TEXT, B("5:4abcd"), {0, 4, 0},
     EIO_ERR_PACKET_TOO_LARGE, 0, 0, {{0}}, false},
    {"v3 bytes over max_packet", EIO_V3, EIO_PAYLOAD_TEXT,
     B("4:4\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"), {0, 4, 0}, EIO_ERR_PACKET_TOO_LARGE, 6, 0,
     {{0}}, false},
    {"v3 bad type", EIO_V3, EIO_PAYLOAD_TEXT, B("1:9"), NOLIM, EIO_ERR_INVALID_TYPE, 2, 0, {{0}},
     false},
    {"v3 bad utf8", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4\xff"), NOLIM, EIO_ERR_INVALID_UTF8, 3, 0,
     {{0}}, false},
    {"v3 truncated utf8", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4\xe2\x82"), NOLIM,
     EIO_ERR_INVALID_UTF8, 3, 0, {{0}}, false},
    {"v3 bad continuation", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4\xe2\x28\xa1"), NOLIM,
     EIO_ERR_INVALID_UTF8, 3, 0, {{0}}, false},
    {"v3 bad base64", EIO_V3, EIO_PAYLOAD_TEXT, B("3:b4A"), NOLIM, EIO_ERR_INVALID_BASE64, 5, 0,
     {{0}}, false},
    {"v3 b without type", EIO_V3, EIO_PAYLOAD_TEXT, B("1:b"), NOLIM, EIO_ERR_INVALID_TYPE, 3, 0,
     {{0}}, false},
    {"v3 colon without length", EIO_V3, EIO_PAYLOAD_TEXT, B("2:4a:"), NOLIM, EIO_ERR_BAD_LENGTH,
     4, 1, {MSG("a")}, false},
    {"v3 too many packets", EIO_V3, EIO_PAYLOAD_TEXT, B("1:41:4"), {0, 0, 1},
     EIO_ERR_TOO_MANY_PACKETS, 3, 1, {PN(EIO_PACKET_MESSAGE)}, false},
    {"v3 zero record not counted", EIO_V3, EIO_PAYLOAD_TEXT, B("1:40:"), {0, 0, 1}, 0, 0, 1,
     {PN(EIO_PACKET_MESSAGE)}, false},
    {"v3 payload too large", EIO_V3, EIO_PAYLOAD_TEXT, B("1:41:4"), {5, 0, 0},
     EIO_ERR_PAYLOAD_TOO_LARGE, 5, 0, {{0}}, true},

    /* v3 binary */
    {"v3b text and binary", EIO_V3, EIO_PAYLOAD_BINARY,
     B("\x00\x04\xff" "4\xe2\x82\xac" "\x01\x05\xff\x04\x01\x02\x03\x04"), NOLIM, 0, 0, 2,
     {MSG("\xe2\x82\xac"), P(EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "\x01\x02\x03\x04")}, false},
    {"v3b two digits", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\x00\xff" "4helloworl"), NOLIM, 0,
     0, 1, {MSG("helloworl")}, false},
    {"v3b binary open empty", EIO_V3, EIO_PAYLOAD_BINARY, B("\x01\x01\xff\x00"), NOLIM, 0, 0, 1,
     {{EIO_PACKET_OPEN, EIO_DATA_BINARY, NULL, 0}}, false},
    {"v3b base64 text record", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x06\xff" "b4AQ=="), NOLIM, 0,
     0, 1, {P(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "AQ==")}, false},
    {"v3b empty body", EIO_V3, EIO_PAYLOAD_BINARY, "", 0, NOLIM, EIO_ERR_EMPTY_PAYLOAD, 0, 0,
     {{0}}, false},
    {"v3b bad marker", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "6" "\x02\x01\xff" "4"),
     NOLIM, EIO_ERR_BAD_BINARY_HEADER, 4, 1, {PN(EIO_PACKET_NOOP)}, false},
    {"v3b no digits", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\xff" "4"), NOLIM, EIO_ERR_BAD_LENGTH,
     1, 0, {{0}}, false},
    {"v3b digit over 9", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x0a\xff"), NOLIM,
     EIO_ERR_BAD_LENGTH, 1, 0, {{0}}, false},
    {"v3b eleven digits", EIO_V3, EIO_PAYLOAD_BINARY,
     B("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff"), NOLIM, EIO_ERR_BAD_LENGTH, 11,
     0, {{0}}, false},
    {"v3b past end", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x05\xff" "4ab"), NOLIM,
     EIO_ERR_LENGTH_PAST_END, 0, 0, {{0}}, false},
    {"v3b ends in length", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01"), NOLIM, EIO_ERR_BAD_LENGTH,
     2, 0, {{0}}, false},
    {"v3b ends after marker", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "6" "\x01"), NOLIM,
     EIO_ERR_BAD_LENGTH, 5, 1, {PN(EIO_PACKET_NOOP)}, false},
    {"v3b empty text record", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x00\xff"), NOLIM,
     EIO_ERR_EMPTY_PACKET, 3, 0, {{0}}, false},
    {"v3b empty binary record", EIO_V3, EIO_PAYLOAD_BINARY, B("\x01\x00\xff"), NOLIM,
     EIO_ERR_EMPTY_PACKET, 3, 0, {{0}}, false},
    {"v3b bad binary type", EIO_V3, EIO_PAYLOAD_BINARY, B("\x01\x01\xff\x07"), NOLIM,
     EIO_ERR_INVALID_TYPE, 3, 0, {{0}}, false},
    {"v3b bad text type", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "9"), NOLIM,
     EIO_ERR_INVALID_TYPE, 3, 0, {{0}}, false},
    {"v3b bad utf8", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x02\xff" "4\xff"), NOLIM,
     EIO_ERR_INVALID_UTF8, 4, 0, {{0}}, false},
    {"v3b bad base64", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x05\xff" "b4AQ="), NOLIM,
     EIO_ERR_INVALID_BASE64, 8, 0, {{0}}, false},
    {"v3b declared too large", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "6" "\x00\x05\xff"),
     {0, 4, 0}, EIO_ERR_PACKET_TOO_LARGE, 5, 1, {PN(EIO_PACKET_NOOP)}, false},
    {"v3b too many packets", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "6" "\x00\x01\xff" "6"),
     {0, 0, 1}, EIO_ERR_TOO_MANY_PACKETS, 4, 1, {PN(EIO_PACKET_NOOP)}, false},
    {"v3b payload too large", EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "6" "\x00\x01\xff" "6"),
     {7, 0, 0}, EIO_ERR_PAYLOAD_TOO_LARGE, 7, 0, {{0}}, true},
};

typedef struct {
    size_t npk;
    eio_packet_type type[MAXP];
    eio_data_kind kind[MAXP];
    size_t len[MAXP];
    uint8_t data[MAXP][64];
    int code;
    size_t offset;
    size_t calls;
} outcome;

static void record(outcome *o, const eio_packet *p)
{
    assert_true(o->npk < MAXP);
    o->type[o->npk] = p->type;
    o->kind[o->npk] = p->kind;
    o->len[o->npk] = p->len;
    assert_true(p->len <= 64);
    if (p->len > 0) {
        memcpy(o->data[o->npk], p->data, p->len);
    }
    o->npk++;
}

/*
 * Feeds `c->body` with `first` bytes available at first and `step` more
 * each time NEED_MORE comes back (SIZE_MAX: the rest). With `rebase`, drops
 * the consumed bytes after every packet. Each call gets a fresh guard-page
 * copy of exactly the bytes it may read.
 */
static outcome feed(const pcase *c, size_t first, size_t step, bool rebase)
{
    outcome o;
    memset(&o, 0, sizeof o);
    eio_payload_decoder d;
    assert_int_equal(eio_payload_decoder_init(&d, c->v, c->fmt, &c->lim), 0);
    size_t have = first < c->len ? first : c->len;
    size_t dropped = 0;
    for (;;) {
        size_t n = have - dropped;
        uint8_t *g = tu_guard_copy(c->body + dropped, n);
        eio_packet p;
        eio_errinfo e = {0, NULL, 0};
        bool final = have == c->len;
        int rc = eio_payload_decoder_next(&d, g, n, final, &p, &e);
        o.calls++;
        if (rc == EIO_PAYLOAD_PACKET) {
            assert_true(p.len == 0 || (p.data >= g && p.data + p.len <= g + n));
            record(&o, &p);
            size_t used = eio_payload_decoder_consumed(&d);
            assert_true(used <= n);
            if (rebase) {
                assert_int_equal(eio_payload_decoder_rebase(&d, used), 0);
                assert_int_equal(eio_payload_decoder_consumed(&d), 0);
                dropped += used;
            }
        } else if (rc == EIO_PAYLOAD_NEED_MORE) {
            assert_false(final);
            have = c->len - have <= step ? c->len : have + step;
        } else if (rc == EIO_PAYLOAD_END) {
            assert_true(final);
            /* END stays END. */
            assert_int_equal(eio_payload_decoder_next(&d, g, n, true, &p, &e), EIO_PAYLOAD_END);
            tu_guard_free(g, n);
            break;
        } else {
            assert_true(rc < 0);
            assert_int_equal(e.code, rc);
            assert_non_null(e.msg);
            o.code = rc;
            o.offset = e.offset;
            /* Errors are sticky, with the same offset. */
            eio_errinfo e2 = {0, NULL, 0};
            assert_int_equal(eio_payload_decoder_next(&d, g, n, final, &p, &e2), rc);
            assert_int_equal(e2.offset, e.offset);
            tu_guard_free(g, n);
            break;
        }
        tu_guard_free(g, n);
        assert_true(o.calls < 10000);
    }
    return o;
}

static void check(const pcase *c, const outcome *o, bool whole, const char *mode, size_t arg)
{
    if (o->code != c->code || (c->code != 0 && o->offset != c->offset)) {
        fail_msg("%s (%s %zu): got %s at %zu, expected %s at %zu", c->name, mode, arg,
                 eio_error_name(o->code) ? eio_error_name(o->code) : "OK", o->offset,
                 eio_error_name(c->code) ? eio_error_name(c->code) : "OK", c->offset);
    }
    if (c->prefix_may_differ && !whole) {
        return; /* packets completed before the limit was crossed may come out first */
    }
    if (o->npk != c->npk) {
        fail_msg("%s (%s %zu): %zu packets, expected %zu", c->name, mode, arg, o->npk, c->npk);
    }
    for (size_t i = 0; i < c->npk; i++) {
        assert_int_equal(o->type[i], c->pk[i].type);
        assert_int_equal(o->kind[i], c->pk[i].kind);
        assert_int_equal(o->len[i], c->pk[i].len);
        if (c->pk[i].len > 0) {
            assert_memory_equal(o->data[i], c->pk[i].data, c->pk[i].len);
        }
    }
}

static void decode_whole(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        outcome o = feed(&cases[k], SIZE_MAX, SIZE_MAX, false);
        check(&cases[k], &o, true, "whole", 0);
        /* Whole bodies need exactly one call per packet plus the last. */
        assert_true(o.calls <= o.npk + 1);
    }
}

static void decode_byte_at_a_time(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int rebase = 0; rebase < 2; rebase++) {
            outcome o = feed(&cases[k], 0, 1, rebase != 0);
            check(&cases[k], &o, false, rebase ? "bytes+rebase" : "bytes", 1);
        }
    }
}

static void decode_split_everywhere(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (size_t at = 0; at <= cases[k].len; at++) {
            outcome o = feed(&cases[k], at, SIZE_MAX, false);
            check(&cases[k], &o, at == cases[k].len, "split", at);
            o = feed(&cases[k], at, SIZE_MAX, true);
            check(&cases[k], &o, at == cases[k].len, "split+rebase", at);
        }
    }
}

/* Offsets stay absolute after rebase, and consumed() tracks record starts. */
static void rebase_and_consumed(void **state)
{
    (void)state;
    eio_payload_decoder d;
    assert_int_equal(eio_payload_decoder_init(&d, EIO_V3, EIO_PAYLOAD_TEXT, NULL), 0);
    const char *body = "6:4hello3:4a\xff";
    const uint8_t *b = (const uint8_t *)body;
    eio_packet p;
    eio_errinfo e;
    assert_int_equal(eio_payload_decoder_next(&d, b, 5, false, &p, &e), EIO_PAYLOAD_NEED_MORE);
    assert_int_equal(eio_payload_decoder_consumed(&d), 0);
    assert_int_equal(eio_payload_decoder_rebase(&d, 1), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_next(&d, b, 10, false, &p, &e), EIO_PAYLOAD_PACKET);
    assert_int_equal(p.len, 5);
    assert_memory_equal(p.data, "hello", 5);
    assert_int_equal(eio_payload_decoder_consumed(&d), 8);
    assert_int_equal(eio_payload_decoder_rebase(&d, 8), 0);
    /* Now the buffer starts at "3:"; a partial record is kept. */
    assert_int_equal(eio_payload_decoder_next(&d, b + 8, 3, false, &p, &e),
                     EIO_PAYLOAD_NEED_MORE);
    assert_int_equal(eio_payload_decoder_consumed(&d), 0);
    assert_int_equal(eio_payload_decoder_next(&d, b + 8, 5, true, &p, &e),
                     EIO_ERR_INVALID_UTF8);
    assert_int_equal(e.offset, 12);
    /* A buffer shorter than what was already examined is a caller error. */
    assert_int_equal(eio_payload_decoder_init(&d, EIO_V4, EIO_PAYLOAD_TEXT, NULL), 0);
    assert_int_equal(eio_payload_decoder_next(&d, b, 4, false, &p, &e), EIO_PAYLOAD_NEED_MORE);
    assert_int_equal(eio_payload_decoder_next(&d, b, 3, false, &p, &e),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.code, EIO_ERR_INVALID_ARGUMENT);
    /* ... and not sticky. */
    assert_int_equal(eio_payload_decoder_next(&d, b, 4, false, &p, &e), EIO_PAYLOAD_NEED_MORE);
}

/* Rebase in the middle of v3 records (digits, content, binary body). */
static void rebase_mid_record(void **state)
{
    (void)state;
    static const struct {
        eio_version v;
        eio_payload_format f;
        const char *body;
        size_t len;
        size_t first; /* bytes needed for the first packet */
    } bodies[] = {
        {EIO_V3, EIO_PAYLOAD_TEXT, B("1:212:4hello world"), 3},
        {EIO_V3, EIO_PAYLOAD_BINARY, B("\x00\x01\xff" "2" "\x01\x01\x02\xff\x04" "abcdefghijk"), 4},
        {EIO_V4, EIO_PAYLOAD_TEXT, B("2\x1e" "4hello world"), 2},
    };
    for (size_t k = 0; k < sizeof bodies / sizeof bodies[0]; k++) {
        for (size_t cut = 0; cut <= bodies[k].len; cut++) {
            eio_payload_decoder d;
            assert_int_equal(eio_payload_decoder_init(&d, bodies[k].v, bodies[k].f, NULL), 0);
            const uint8_t *b = (const uint8_t *)bodies[k].body;
            eio_packet p;
            eio_errinfo e;
            /* First packet, from the whole body. */
            assert_int_equal(eio_payload_decoder_next(&d, b, cut, cut == bodies[k].len, &p, &e),
                             cut >= bodies[k].first ? EIO_PAYLOAD_PACKET : EIO_PAYLOAD_NEED_MORE);
            if (cut < bodies[k].first) {
                continue;
            }
            assert_int_equal(p.type, EIO_PACKET_PING);
            size_t used = eio_payload_decoder_consumed(&d);
            assert_int_equal(eio_payload_decoder_next(&d, b, cut, cut == bodies[k].len, &p, &e),
                             cut == bodies[k].len ? EIO_PAYLOAD_PACKET : EIO_PAYLOAD_NEED_MORE);
            if (cut == bodies[k].len) {
                continue;
            }
            /* Drop the first record while the second is half read. */
            assert_int_equal(eio_payload_decoder_rebase(&d, used), 0);
            uint8_t copy[64];
            size_t rest = bodies[k].len - used;
            memcpy(copy, b + used, rest);
            assert_int_equal(eio_payload_decoder_next(&d, copy, rest, true, &p, &e),
                             EIO_PAYLOAD_PACKET);
            assert_int_equal(p.type, EIO_PACKET_MESSAGE);
            assert_int_equal(p.kind, bodies[k].f == EIO_PAYLOAD_TEXT ? EIO_DATA_TEXT
                                                                     : EIO_DATA_BINARY);
            assert_int_equal(p.len, 11);
            assert_memory_equal(p.data, bodies[k].f == EIO_PAYLOAD_TEXT ? "hello world" : "abcdefghijk", 11);
            assert_int_equal(eio_payload_decoder_next(&d, copy, rest, true, &p, &e),
                             EIO_PAYLOAD_END);
        }
    }
}

/* A big record fed one byte at a time finishes quickly: each byte is looked
 * at a bounded number of times, not once per call. */
static void byte_at_a_time_is_linear(void **state)
{
    (void)state;
    size_t n = 400000;
    uint8_t *body = malloc(n + 16);
    if (body == NULL) { /* an early return also tells gcc the writes below are in bounds */
        fail_msg("out of memory");
        return;
    }
    for (int fmt = 0; fmt < 3; fmt++) {
        eio_payload_decoder d;
        size_t len;
        if (fmt == 0) {
            assert_int_equal(eio_payload_decoder_init(&d, EIO_V4, EIO_PAYLOAD_TEXT, NULL), 0);
            body[0] = '4';
            memset(body + 1, 'x', n - 1);
            len = n;
        } else if (fmt == 1) {
            assert_int_equal(eio_payload_decoder_init(&d, EIO_V3, EIO_PAYLOAD_TEXT, NULL), 0);
            /* "<units>:4" + m bytes of text with one 3-byte character. */
            size_t m = n - 16;
            char prefix[16];
            int k = snprintf(prefix, sizeof prefix, "%zu:4", 1 + m - 2);
            memcpy(body, prefix, (size_t)k);
            memset(body + k, 'y', m);
            memcpy(body + k + 100, "\xe2\x82\xac", 3);
            len = (size_t)k + m;
        } else {
            assert_int_equal(eio_payload_decoder_init(&d, EIO_V3, EIO_PAYLOAD_BINARY, NULL), 0);
            memcpy(body, "\x01\x03\x09\x09\x09\x09\x09\xff\x04", 9);
            memset(body + 9, 'z', 399998);
            len = 9 + 399998;
        }
        eio_packet p;
        eio_errinfo e;
        int rc = EIO_PAYLOAD_NEED_MORE;
        size_t have = 0;
        while (rc == EIO_PAYLOAD_NEED_MORE) {
            have++;
            rc = eio_payload_decoder_next(&d, body, have, have == len, &p, &e);
        }
        assert_int_equal(rc, EIO_PAYLOAD_PACKET);
        assert_int_equal(eio_payload_decoder_next(&d, body, len, true, &p, &e), EIO_PAYLOAD_END);
    }
    free(body);
}

static void decoder_arguments(void **state)
{
    (void)state;
    eio_payload_decoder d;
    eio_packet p;
    eio_errinfo e;
    assert_int_equal(eio_payload_decoder_init(NULL, EIO_V4, EIO_PAYLOAD_TEXT, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_init(&d, EIO_V4, EIO_PAYLOAD_BINARY, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_init(&d, (eio_version)5, EIO_PAYLOAD_TEXT, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_init(&d, EIO_V3, (eio_payload_format)2, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_init(&d, EIO_V4, EIO_PAYLOAD_TEXT, NULL), 0);
    assert_int_equal(eio_payload_decoder_next(NULL, NULL, 0, true, &p, &e),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_next(&d, NULL, 3, true, &p, &e),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_next(&d, (const uint8_t *)"4", 1, true, NULL, &e),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_rebase(NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_decoder_consumed(NULL), 0);
    /* NULL err is fine. */
    assert_int_equal(eio_payload_decoder_next(&d, (const uint8_t *)"9", 1, true, &p, NULL),
                     EIO_ERR_INVALID_TYPE);
    assert_int_equal(eio_payload_decoder_next(&d, (const uint8_t *)"9", 1, true, &p, &e),
                     EIO_ERR_INVALID_TYPE);
    assert_int_equal(e.offset, 0);
}

/* ---------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ---------------------------------------------------------------------- */

#define PK(t, k, lit) {t, k, (const uint8_t *)(lit), sizeof(lit) - 1}

static void expect_body(eio_version v, eio_payload_format f, const eio_packet *pk, size_t n,
                        const char *want, size_t wlen)
{
    size_t got = 12345;
    int rc = eio_payload_encode(v, f, pk, n, NULL, 0, &got);
    assert_int_equal(rc, wlen == 0 ? 0 : EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(got, wlen);
    uint8_t out[256];
    if (wlen > 0) {
        memset(out, 0xAA, sizeof out);
        assert_int_equal(eio_payload_encode(v, f, pk, n, out, wlen - 1, &got),
                         EIO_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(got, wlen);
        for (size_t i = 0; i < sizeof out; i++) {
            assert_int_equal(out[i], 0xAA);
        }
    }
    assert_int_equal(eio_payload_encode(v, f, pk, n, out, sizeof out, &got), 0);
    assert_int_equal(got, wlen);
    assert_memory_equal(out, want, wlen);
    if (wlen == 0) {
        return;
    }
    /* The body decodes back to the packets (binary data may come back as BASE64). */
    eio_payload_decoder d;
    assert_int_equal(eio_payload_decoder_init(&d, v, f, NULL), 0);
    for (size_t i = 0;; i++) {
        eio_packet p;
        int r = eio_payload_decoder_next(&d, out, got, true, &p, NULL);
        if (r == EIO_PAYLOAD_END) {
            assert_int_equal(i, n);
            break;
        }
        assert_int_equal(r, EIO_PAYLOAD_PACKET);
        assert_true(i < n);
        if (v == EIO_V3 || pk[i].kind == EIO_DATA_TEXT || pk[i].kind == EIO_DATA_NONE) {
            assert_int_equal(p.type, pk[i].type);
        }
    }
}

static void encode_bodies(void **state)
{
    (void)state;
    const eio_packet v4[] = {
        PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "hello"),
        {EIO_PACKET_PING, EIO_DATA_NONE, NULL, 0},
        PK(EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "\x01\x02\x03\x04"),
        PK(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "AQ=="),
    };
    expect_body(EIO_V4, EIO_PAYLOAD_TEXT, v4, 4,
                B("4hello\x1e" "2\x1e" "bAQIDBA==\x1e" "bAQ=="));
    expect_body(EIO_V4, EIO_PAYLOAD_TEXT, v4, 1, B("4hello"));
    expect_body(EIO_V4, EIO_PAYLOAD_TEXT, v4, 0, "", 0);

    const eio_packet v3t[] = {
        PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "\xe2\x82\xac"),
        PK(EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "\x01\x02\x03\x04"),
        PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "\xf0\x9f\x98\x80"),
        {EIO_PACKET_NOOP, EIO_DATA_NONE, NULL, 0},
    };
    expect_body(EIO_V3, EIO_PAYLOAD_TEXT, v3t, 4,
                B("2:4\xe2\x82\xac" "10:b4AQIDBA==3:4\xf0\x9f\x98\x80" "1:6"));
    expect_body(EIO_V3, EIO_PAYLOAD_TEXT, v3t, 0, B("0:"));
    expect_body(EIO_V3, EIO_PAYLOAD_BINARY, v3t, 4,
                B("\x00\x04\xff" "4\xe2\x82\xac" "\x01\x05\xff\x04\x01\x02\x03\x04"
                  "\x00\x05\xff" "4\xf0\x9f\x98\x80" "\x00\x01\xff" "6"));
    expect_body(EIO_V3, EIO_PAYLOAD_BINARY, v3t, 0, "", 0);

    const eio_packet longer[] = {
        PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "abcdefghij"),
        PK(EIO_PACKET_PING, EIO_DATA_BASE64, "AQID"),
    };
    expect_body(EIO_V3, EIO_PAYLOAD_BINARY, longer, 2,
                B("\x00\x01\x01\xff" "4abcdefghij" "\x01\x04\xff\x02\x01\x02\x03"));
    expect_body(EIO_V3, EIO_PAYLOAD_TEXT, longer, 2, B("11:4abcdefghij6:b2AQID"));
}

static void encode_errors(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n;
    const eio_packet bad_type[] = {{(eio_packet_type)7, EIO_DATA_NONE, NULL, 0}};
    const eio_packet bad_utf8[] = {PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "\xc3")};
    const eio_packet bad_b64[] = {PK(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "A")};
    for (int f = 0; f < 3; f++) {
        eio_version v = f == 0 ? EIO_V4 : EIO_V3;
        eio_payload_format fmt = f == 2 ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
        assert_int_equal(eio_payload_encode(v, fmt, bad_type, 1, out, sizeof out, &n),
                         EIO_ERR_INVALID_TYPE);
        assert_int_equal(eio_payload_encode(v, fmt, bad_utf8, 1, out, sizeof out, &n),
                         EIO_ERR_INVALID_UTF8);
        assert_int_equal(eio_payload_encode(v, fmt, bad_b64, 1, out, sizeof out, &n),
                         EIO_ERR_INVALID_BASE64);
    }
    assert_int_equal(eio_payload_encode(EIO_V4, EIO_PAYLOAD_BINARY, bad_type, 0, out, 64, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_encode(EIO_V4, EIO_PAYLOAD_TEXT, NULL, 1, out, 64, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_encode(EIO_V4, EIO_PAYLOAD_TEXT, bad_type, 0, out, 64, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_encode(EIO_V4, EIO_PAYLOAD_TEXT, bad_type, 0, NULL, 64, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_payload_encode((eio_version)1, EIO_PAYLOAD_TEXT, bad_type, 0, out, 64,
                                        &n),
                     EIO_ERR_INVALID_ARGUMENT);
}

static void format_for(void **state)
{
    (void)state;
    const eio_packet text[] = {PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "x")};
    const eio_packet mixed[] = {PK(EIO_PACKET_MESSAGE, EIO_DATA_TEXT, "x"),
                                PK(EIO_PACKET_MESSAGE, EIO_DATA_BINARY, "\x01")};
    const eio_packet b64[] = {PK(EIO_PACKET_MESSAGE, EIO_DATA_BASE64, "AQ==")};
    assert_int_equal(eio_payload_format_for(EIO_V4, mixed, 2, true), EIO_PAYLOAD_TEXT);
    assert_int_equal(eio_payload_format_for(EIO_V3, mixed, 2, true), EIO_PAYLOAD_BINARY);
    assert_int_equal(eio_payload_format_for(EIO_V3, b64, 1, true), EIO_PAYLOAD_BINARY);
    assert_int_equal(eio_payload_format_for(EIO_V3, mixed, 2, false), EIO_PAYLOAD_TEXT);
    assert_int_equal(eio_payload_format_for(EIO_V3, text, 1, true), EIO_PAYLOAD_TEXT);
    assert_int_equal(eio_payload_format_for(EIO_V3, NULL, 0, true), EIO_PAYLOAD_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_whole),
        cmocka_unit_test(decode_byte_at_a_time),
        cmocka_unit_test(decode_split_everywhere),
        cmocka_unit_test(rebase_and_consumed),
        cmocka_unit_test(rebase_mid_record),
        cmocka_unit_test(byte_at_a_time_is_linear),
        cmocka_unit_test(decoder_arguments),
        cmocka_unit_test(encode_bodies),
        cmocka_unit_test(encode_errors),
        cmocka_unit_test(format_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
