/* Socket.IO packet headers (sio_header_decode), protocol v4 and v5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio_test_util.h"
#include "sioc/sio.h"
#include "test_util.h"

typedef struct {
    int rc;
    sio_header h;
    eio_errinfo err;
    /* slices as offsets into the input (-1: not in the input) */
    long nsp_off, query_off, payload_off, event_off;
    uint8_t copy[4][512];
} result;

/* Copies a slice out of the guard buffer before it is freed. */
static void keep(eio_slice *s, uint8_t *store)
{
    if (s->ptr != NULL) {
        assert_true(s->len <= 512);
        memcpy(store, s->ptr, s->len);
        s->ptr = store;
    }
}

static long off_in(const uint8_t *g, size_t len, eio_slice s)
{
    if (s.ptr == NULL) {
        return -1;
    }
    if (s.ptr >= g && s.ptr + s.len <= g + len) {
        return (long)(s.ptr - g);
    }
    return -1;
}

static result decode_lim(sio_version v, const char *text, size_t len, const sio_limits *lim)
{
    result r;
    memset(&r, 0, sizeof r);
    uint8_t *g = tu_guard_copy(text, len);
    r.rc = sio_header_decode(v, g, len, lim, &r.h, &r.err);
    if (r.rc == 0) {
        r.nsp_off = off_in(g, len, r.h.nsp);
        r.query_off = off_in(g, len, r.h.query);
        r.payload_off = off_in(g, len, r.h.payload);
        r.event_off = off_in(g, len, r.h.event);
        if (r.nsp_off < 0) {
            /* the implicit main namespace lives in static storage */
            assert_int_equal(r.h.nsp.len, 1);
            assert_int_equal(r.h.nsp.ptr[0], '/');
        }
        keep(&r.h.nsp, r.copy[0]);
        keep(&r.h.query, r.copy[1]);
        keep(&r.h.payload, r.copy[2]);
        keep(&r.h.event, r.copy[3]);
    }
    tu_guard_free(g, len);
    return r;
}

static result decode(sio_version v, const char *text, size_t len)
{
    return decode_lim(v, text, len, NULL);
}

typedef struct {
    sio_version v;
    const char *text;
    int type;
    uint32_t attachments;
    const char *nsp;
    const char *query;
    long id; /* -1: none */
    const char *payload;
    sio_event_kind kind;
    const char *event;
} ok_case;

static const ok_case ok_cases[] = {
    /* protocol v5 spec examples */
    {SIO_V5, "0", 0, 0, "/", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V5, "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", 0, 0, "/admin", "", -1,
     "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", SIO_EVENT_NONE, NULL},
    {SIO_V5, "4{\"message\":\"Not authorized\"}", 4, 0, "/", "", -1,
     "{\"message\":\"Not authorized\"}", SIO_EVENT_NONE, NULL},
    {SIO_V5, "2[\"foo\"]", 2, 0, "/", "", -1, "[\"foo\"]", SIO_EVENT_STRING, "foo"},
    {SIO_V5, "2/admin,[\"bar\"]", 2, 0, "/admin", "", -1, "[\"bar\"]", SIO_EVENT_STRING, "bar"},
    {SIO_V5, "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", 5, 1, "/", "", -1,
     "[\"baz\",{\"_placeholder\":true,\"num\":0}]", SIO_EVENT_STRING, "baz"},
    {SIO_V5,
     "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
     5, 2, "/admin", "", -1,
     "[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
     SIO_EVENT_STRING, "baz"},
    {SIO_V5, "212[\"foo\"]", 2, 0, "/", "", 12, "[\"foo\"]", SIO_EVENT_STRING, "foo"},
    {SIO_V5, "3/admin,13[\"bar\"]", 3, 0, "/admin", "", 13, "[\"bar\"]", SIO_EVENT_NONE, NULL},
    {SIO_V5, "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", 6, 1, "/", "", 15,
     "[\"bar\",{\"_placeholder\":true,\"num\":0}]", SIO_EVENT_NONE, NULL},
    {SIO_V5, "1", 1, 0, "/", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V5, "1/admin,", 1, 0, "/admin", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V5, "3/admin,12[]", 3, 0, "/admin", "", 12, "[]", SIO_EVENT_NONE, NULL},
    /* protocol v4 spec examples */
    {SIO_V4, "0", 0, 0, "/", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V4, "0/admin,", 0, 0, "/admin", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V4, "1/admin,", 1, 0, "/admin", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V4, "2[\"hello\",1]", 2, 0, "/", "", -1, "[\"hello\",1]", SIO_EVENT_STRING, "hello"},
    {SIO_V4, "2/admin,456[\"project:delete\",123]", 2, 0, "/admin", "", 456,
     "[\"project:delete\",123]", SIO_EVENT_STRING, "project:delete"},
    {SIO_V4, "3/admin,456[]", 3, 0, "/admin", "", 456, "[]", SIO_EVENT_NONE, NULL},
    {SIO_V4, "4/admin,\"Not authorized\"", 4, 0, "/admin", "", -1, "\"Not authorized\"",
     SIO_EVENT_NONE, NULL},
    {SIO_V4, "51-[\"hello\",{\"_placeholder\":true,\"num\":0}]", 5, 1, "/", "", -1,
     "[\"hello\",{\"_placeholder\":true,\"num\":0}]", SIO_EVENT_STRING, "hello"},
    {SIO_V4, "51-/admin,456[\"project:delete\",{\"_placeholder\":true,\"num\":0}]", 5, 1,
     "/admin", "", 456, "[\"project:delete\",{\"_placeholder\":true,\"num\":0}]",
     SIO_EVENT_STRING, "project:delete"},
    {SIO_V4, "61-/admin,456[{\"_placeholder\":true,\"num\":0}]", 6, 1, "/admin", "", 456,
     "[{\"_placeholder\":true,\"num\":0}]", SIO_EVENT_NONE, NULL},
    {SIO_V4, "0/admin?token=1234&uid=abcd,", 0, 0, "/admin", "token=1234&uid=abcd", -1, "",
     SIO_EVENT_NONE, NULL},
    {SIO_V4, "2/admin,1[\"tellme\"]", 2, 0, "/admin", "", 1, "[\"tellme\"]", SIO_EVENT_STRING,
     "tellme"},
    /* v4 splits a query off; in v5 '?' is part of the name */
    {SIO_V4, "0/admin?x=1?y,{}", 0, 0, "/admin", "x=1?y", -1, "{}", SIO_EVENT_NONE, NULL},
    {SIO_V4, "0/?x,", 0, 0, "/", "x", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V5, "0/admin?x=1?y,{}", 0, 0, "/admin?x=1?y", "", -1, "{}", SIO_EVENT_NONE, NULL},
    {SIO_V5, "2/admin?x=1,[\"q\"]", 2, 0, "/admin?x=1", "", -1, "[\"q\"]", SIO_EVENT_STRING,
     "q"},
    /* the namespace may end at the end of the packet (the reference allows it) */
    {SIO_V5, "0/admin", 0, 0, "/admin", "", -1, "", SIO_EVENT_NONE, NULL},
    {SIO_V5, "1/admin", 1, 0, "/admin", "", -1, "", SIO_EVENT_NONE, NULL},
    /* event name kinds */
    {SIO_V5, "2[\"a\\nb\",1]", 2, 0, "/", "", -1, "[\"a\\nb\",1]", SIO_EVENT_ESCAPED, "a\\nb"},
    {SIO_V5, "2[42,1]", 2, 0, "/", "", -1, "[42,1]", SIO_EVENT_NUMBER, "42"},
    {SIO_V5, "2[ -1.5e3 ]", 2, 0, "/", "", -1, "[ -1.5e3 ]", SIO_EVENT_NUMBER, "-1.5e3"},
    {SIO_V5, "2[\t\"x\"]", 2, 0, "/", "", -1, "[\t\"x\"]", SIO_EVENT_STRING, "x"},
    {SIO_V5, "2[\"\"]", 2, 0, "/", "", -1, "[\"\"]", SIO_EVENT_STRING, ""},
    {SIO_V5, "2[\"h\xc3\xa9\xf0\x9f\x98\x80\"]", 2, 0, "/", "", -1,
     "[\"h\xc3\xa9\xf0\x9f\x98\x80\"]", SIO_EVENT_STRING, "h\xc3\xa9\xf0\x9f\x98\x80"},
    {SIO_V5, "2[\"connects\"]", 2, 0, "/", "", -1, "[\"connects\"]", SIO_EVENT_STRING,
     "connects"},
    {SIO_V5, "2[\"\\u0063onnectx\"]", 2, 0, "/", "", -1, "[\"\\u0063onnectx\"]",
     SIO_EVENT_ESCAPED, "\\u0063onnectx"},
    {SIO_V5, "2[\"\\ud83d\\ude00\"]", 2, 0, "/", "", -1, "[\"\\ud83d\\ude00\"]",
     SIO_EVENT_ESCAPED, "\\ud83d\\ude00"},
    /* the header does not judge what follows the first element */
    {SIO_V5, "2[\"a\" junk", 2, 0, "/", "", -1, "[\"a\" junk", SIO_EVENT_STRING, "a"},
    /* ack ids: leading zeros and the largest one */
    {SIO_V5, "2012[\"a\"]", 2, 0, "/", "", 12, "[\"a\"]", SIO_EVENT_STRING, "a"},
    {SIO_V5, "39007199254740991[]", 3, 0, "/", "", 9007199254740991L, "[]", SIO_EVENT_NONE,
     NULL},
    {SIO_V5, "501-[1,{\"_placeholder\":true,\"num\":0}]", 5, 1, "/", "", -1,
     "[1,{\"_placeholder\":true,\"num\":0}]", SIO_EVENT_NUMBER, "1"},
    {SIO_V5, "510-[1]", 5, 10, "/", "", -1, "[1]", SIO_EVENT_NUMBER, "1"},
    {SIO_V5, "4\"x\"", 4, 0, "/", "", -1, "\"x\"", SIO_EVENT_NONE, NULL},
};

static void valid_headers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const ok_case *c = &ok_cases[i];
        size_t len = strlen(c->text);
        result r = decode(c->v, c->text, len);
        if (r.rc != 0) {
            fprintf(stderr, "case %zu (%s): rc %d at %zu\n", i, c->text, r.rc, r.err.offset);
        }
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.h.type, c->type);
        assert_int_equal(r.h.attachments, c->attachments);
        tu_check_slice(r.h.nsp, c->nsp);
        tu_check_slice(r.h.query, c->query);
        assert_int_equal(r.h.has_id, c->id >= 0);
        if (c->id >= 0) {
            assert_int_equal(r.h.id, (uint64_t)c->id);
        }
        tu_check_slice(r.h.payload, c->payload);
        assert_int_equal(r.payload_off, (long)(len - strlen(c->payload)));
        assert_int_equal(r.h.event_kind, c->kind);
        if (c->event != NULL) {
            tu_check_slice(r.h.event, c->event);
            assert_true(r.event_off > 0);
        }
        if (strcmp(c->nsp, "/") != 0 || strstr(c->text, "/,") != NULL ||
            strstr(c->text, "/?") != NULL) {
            assert_true(r.nsp_off > 0);
        }
    }
}

typedef struct {
    sio_version v;
    const char *text;
    size_t len; /* 0: strlen */
    int code;
    size_t offset;
} err_case;

static const err_case err_cases[] = {
    {SIO_V5, "", 0, EIO_ERR_EMPTY_PACKET, 0},
    {SIO_V5, "7", 0, SIO_ERR_INVALID_TYPE, 0},
    {SIO_V5, "a[\"x\"]", 0, SIO_ERR_INVALID_TYPE, 0},
    {SIO_V5, "/", 0, SIO_ERR_INVALID_TYPE, 0},
    {SIO_V4, "8", 0, SIO_ERR_INVALID_TYPE, 0},
    /* attachment counts */
    {SIO_V5, "5", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "6", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "5-[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "51[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 2},
    {SIO_V5, "51", 0, SIO_ERR_BAD_ATTACHMENTS, 2},
    {SIO_V5, "5a-[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "5 1-[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "51e1-[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 2},
    {SIO_V5, "50-[\"a\"]", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "600-[]", 0, SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "511-[\"a\"]", 0, SIO_ERR_TOO_MANY_ATTACHMENTS, 1},
    {SIO_V5, "51000000-[\"a\"]", 0, SIO_ERR_TOO_MANY_ATTACHMENTS, 1},
    {SIO_V4, "51000000-[\"a\",{\"_placeholder\":true,\"num\":0}]", 0,
     SIO_ERR_TOO_MANY_ATTACHMENTS, 1},
    {SIO_V5, "599999999999999999999999999999-[\"a\"]", 0, SIO_ERR_TOO_MANY_ATTACHMENTS, 1},
    {SIO_V5, "599999999999999999999999999999x", 0, SIO_ERR_BAD_ATTACHMENTS, 30},
    /* namespaces */
    {SIO_V5, "2/a\xff,[\"x\"]", 0, SIO_ERR_BAD_NAMESPACE, 3},
    {SIO_V5, "2/a\xc3", 0, SIO_ERR_BAD_NAMESPACE, 3},
    {SIO_V5, "2/a\xc3,[\"x\"]", 0, SIO_ERR_BAD_NAMESPACE, 3},
    {SIO_V5, "0/\xed\xa0\x80,", 0, SIO_ERR_BAD_NAMESPACE, 2},
    /* ack ids */
    {SIO_V5, "29007199254740992[\"a\"]", 0, SIO_ERR_BAD_ACK_ID, 1},
    {SIO_V5, "2/a,99999999999999999999999999[\"a\"]", 0, SIO_ERR_BAD_ACK_ID, 4},
    {SIO_V4, "3299999999999999999999[]", 0, SIO_ERR_BAD_ACK_ID, 1},
    /* payloads by type */
    {SIO_V5, "2", 0, SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V5, "2/admin,", 0, SIO_ERR_MISSING_PAYLOAD, 8},
    {SIO_V5, "2/admin", 0, SIO_ERR_MISSING_PAYLOAD, 7},
    {SIO_V5, "212", 0, SIO_ERR_MISSING_PAYLOAD, 3},
    {SIO_V5, "3", 0, SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V5, "312", 0, SIO_ERR_MISSING_PAYLOAD, 3},
    {SIO_V5, "4", 0, SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V5, "4123", 0, SIO_ERR_MISSING_PAYLOAD, 4},
    {SIO_V5, "51-", 0, SIO_ERR_MISSING_PAYLOAD, 3},
    {SIO_V4, "2", 0, SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V4, "61-1", 0, SIO_ERR_MISSING_PAYLOAD, 4},
    {SIO_V4, "3/admin,1", 0, SIO_ERR_MISSING_PAYLOAD, 9},
    {SIO_V4, "4", 0, SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V4, "4/admin,", 0, SIO_ERR_MISSING_PAYLOAD, 8},
    {SIO_V5, "61-/x,", 0, SIO_ERR_MISSING_PAYLOAD, 6},
    {SIO_V5, "2{}", 0, SIO_ERR_EVENT_NOT_ARRAY, 1},
    {SIO_V5, "2 [\"a\"]", 0, SIO_ERR_EVENT_NOT_ARRAY, 1},
    {SIO_V5, "2\"a\"", 0, SIO_ERR_EVENT_NOT_ARRAY, 1},
    {SIO_V5, "51-{}", 0, SIO_ERR_EVENT_NOT_ARRAY, 3},
    {SIO_V5, "2[]", 0, SIO_ERR_EVENT_EMPTY, 2},
    {SIO_V5, "2/x,1[ \n]", 0, SIO_ERR_EVENT_EMPTY, 8},
    {SIO_V5, "2[true]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[null]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[{}]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[{\"toString\":1}]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[[\"a\"]]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[,1]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[  ", 0, SIO_ERR_EVENT_NAME, 4},
    {SIO_V5, "2[\"abc", 0, SIO_ERR_EVENT_NAME, 6},
    {SIO_V5, "2[\"abc\\", 0, SIO_ERR_EVENT_NAME, 7},
    {SIO_V5, "2[\"a\\x\"]", 0, SIO_ERR_EVENT_NAME, 5},
    {SIO_V5, "2[\"a\\u12\"]", 0, SIO_ERR_EVENT_NAME, 8},
    {SIO_V5, "2[\"a\\u12", 0, SIO_ERR_EVENT_NAME, 8},
    {SIO_V5, "2[\"\\udc00\"]", 0, SIO_ERR_EVENT_NAME, 3},
    {SIO_V5, "2[\"\\ud800\"]", 0, SIO_ERR_EVENT_NAME, 3},
    {SIO_V5, "2[\"\\ud800\\u0041\"]", 0, SIO_ERR_EVENT_NAME, 3},
    {SIO_V5, "2[\"a\x01\"]", 0, SIO_ERR_EVENT_NAME, 4},
    {SIO_V5, "2[-]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[01]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[1.]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[1e]", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2['a']", 0, SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[\"a\xc3\"]", 0, EIO_ERR_INVALID_UTF8, 4},
    {SIO_V5, "2[\"\xff\"]", 0, EIO_ERR_INVALID_UTF8, 3},
    {SIO_V5, "2[\"connect\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"connect_error\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"disconnect\",1]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2/admin,[\"disconnecting\"]", 0, SIO_ERR_EVENT_RESERVED, 9},
    {SIO_V5, "2[ \"newListener\"]", 0, SIO_ERR_EVENT_RESERVED, 3},
    {SIO_V5, "2[\"removeListener\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V4, "51-[\"connect\",{\"_placeholder\":true,\"num\":0}]", 0, SIO_ERR_EVENT_RESERVED,
     4},
    {SIO_V5, "2[\"\\u0063onnect\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"dis\\u0063onnect\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"new\\u004cistener\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"connect\\u005ferror\"]", 0, SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"\\/connect\"]", 0, 0, 0}, /* "/connect" is not reserved */
    {SIO_V5, "3{}", 0, SIO_ERR_ACK_NOT_ARRAY, 1},
    {SIO_V5, "31\"a\"", 0, SIO_ERR_ACK_NOT_ARRAY, 2},
    {SIO_V5, "61-{}", 0, SIO_ERR_ACK_NOT_ARRAY, 3},
    {SIO_V5, "0[]", 0, SIO_ERR_CONNECT_NOT_OBJECT, 1},
    {SIO_V5, "0\"x\"", 0, SIO_ERR_CONNECT_NOT_OBJECT, 1},
    {SIO_V5, "0null", 0, SIO_ERR_CONNECT_NOT_OBJECT, 1},
    {SIO_V5, "1{}", 0, SIO_ERR_DISCONNECT_PAYLOAD, 1},
    {SIO_V5, "1/admin,{}", 0, SIO_ERR_DISCONNECT_PAYLOAD, 8},
    {SIO_V5, "1/admin,12", 0, 0, 0}, /* an id is not a payload */
    {SIO_V5, "4[]", 0, SIO_ERR_CONNECT_ERROR_PAYLOAD, 1},
    {SIO_V5, "4true", 0, SIO_ERR_CONNECT_ERROR_PAYLOAD, 1},
};

static void header_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *c = &err_cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        result r = decode(c->v, c->text, len);
        if (r.rc != c->code || (c->code != 0 && r.err.offset != c->offset)) {
            fprintf(stderr, "case %zu (%s): rc %d at %zu, want %d at %zu\n", i, c->text, r.rc,
                    r.err.offset, c->code, c->offset);
        }
        assert_int_equal(r.rc, c->code);
        if (c->code != 0) {
            assert_int_equal(r.err.code, c->code);
            assert_int_equal(r.err.offset, c->offset);
            assert_non_null(r.err.msg);
        }
    }
}

static void limits(void **state)
{
    (void)state;
    sio_limits l;
    sio_limits_default(&l);
    assert_int_equal(l.max_attachments, 10);
    assert_int_equal(l.max_attachment_size, 1000000);
    assert_int_equal(l.max_attachments_total, 10000000);
    assert_int_equal(l.max_packet, 1000000);
    assert_int_equal(l.max_depth, 128);
    assert_int_equal(l.max_namespace, 1024);
    sio_limits_default(NULL);

    /* max_packet */
    memset(&l, 0, sizeof l);
    l.max_packet = 7;
    result r = decode_lim(SIO_V5, S("2[\"ab\"]"), &l);
    assert_int_equal(r.rc, 0);
    r = decode_lim(SIO_V5, S("2[\"abc\"]"), &l);
    assert_int_equal(r.rc, SIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(r.err.offset, 7);

    /* max_attachments */
    memset(&l, 0, sizeof l);
    l.max_attachments = 2;
    r = decode_lim(SIO_V5, S("52-[1]"), &l);
    assert_int_equal(r.rc, 0);
    r = decode_lim(SIO_V5, S("53-[1]"), &l);
    assert_int_equal(r.rc, SIO_ERR_TOO_MANY_ATTACHMENTS);
    assert_int_equal(r.err.offset, 1);
    r = decode_lim(SIO_V5, S("5002-[1]"), &l);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.h.attachments, 2);

    /* max_namespace counts the query too */
    memset(&l, 0, sizeof l);
    l.max_namespace = 4;
    r = decode_lim(SIO_V5, S("2/abc,[1]"), &l);
    assert_int_equal(r.rc, 0);
    r = decode_lim(SIO_V5, S("0/abc"), &l);
    assert_int_equal(r.rc, 0);
    r = decode_lim(SIO_V5, S("2/abcd,[1]"), &l);
    assert_int_equal(r.rc, SIO_ERR_NAMESPACE_TOO_LONG);
    assert_int_equal(r.err.offset, 5);
    r = decode_lim(SIO_V5, S("0/abcd"), &l);
    assert_int_equal(r.rc, SIO_ERR_NAMESPACE_TOO_LONG);
    assert_int_equal(r.err.offset, 5);
    r = decode_lim(SIO_V4, S("0/a?bc,"), &l);
    assert_int_equal(r.rc, SIO_ERR_NAMESPACE_TOO_LONG);
    r = decode_lim(SIO_V4, S("0/a?b,"), &l);
    assert_int_equal(r.rc, 0);
    tu_check_slice(r.h.query, "b");
    /* a multi-byte character crossing the limit */
    r = decode_lim(SIO_V5, S("0/ab\xc3\xa9,"), &l);
    assert_int_equal(r.rc, SIO_ERR_NAMESPACE_TOO_LONG);
}

static void bad_arguments(void **state)
{
    (void)state;
    sio_header h;
    eio_errinfo err;
    assert_int_equal(sio_header_decode(SIO_V5, NULL, 1, NULL, &h, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.code, EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_header_decode(SIO_V5, (const uint8_t *)"0", 1, NULL, NULL, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_header_decode((sio_version)3, (const uint8_t *)"0", 1, NULL, &h, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_header_decode(SIO_V5, NULL, 0, NULL, &h, NULL), EIO_ERR_EMPTY_PACKET);
    /* err may be NULL */
    assert_int_equal(sio_header_decode(SIO_V5, (const uint8_t *)"9", 1, NULL, &h, NULL),
                     SIO_ERR_INVALID_TYPE);
}

static void type_names(void **state)
{
    (void)state;
    const char *names[] = {"CONNECT",       "DISCONNECT",   "EVENT",     "ACK",
                           "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(sio_packet_type_name(i), names[i]);
    }
    assert_null(sio_packet_type_name(7));
    assert_null(sio_packet_type_name(-1));
}

/* Every prefix of every valid packet decodes or fails cleanly, never reading
   past its end (the guard page would fault). */
static void prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const char *t = ok_cases[i].text;
        size_t len = strlen(t);
        for (size_t k = 0; k <= len; k++) {
            result r = decode(ok_cases[i].v, t, k);
            if (r.rc != 0) {
                assert_true(r.err.offset <= k);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_headers), cmocka_unit_test(header_errors),
        cmocka_unit_test(limits),        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(type_names),    cmocka_unit_test(prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
