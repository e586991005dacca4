/* Whole Socket.IO text packets: sio_packet_decode, sio_packet_encode,
   sio_packet_attachments, protocol v4 and v5. */
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

static eio_json *parse_json(eio_arena *a, const char *text)
{
    eio_json *v = NULL;
    eio_errinfo err;
    int rc = eio_json_parse((const uint8_t *)text, strlen(text), NULL, a, &v, &err);
    if (rc != 0) {
        fprintf(stderr, "bad test JSON %s: %d at %zu\n", text, rc, err.offset);
    }
    assert_int_equal(rc, 0);
    return v;
}

typedef struct {
    sio_version v;
    const char *text;
    int type;
    uint32_t attachments;
    const char *nsp;
    const char *query;
    long id;
    const char *data; /* NULL: no payload */
    bool roundtrip;   /* encoding the decoded packet gives the same bytes */
} pk_case;

static const pk_case cases[] = {
    /* v5 spec examples */
    {SIO_V5, "0", 0, 0, "/", "", -1, NULL, true},
    {SIO_V5, "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", 0, 0, "/admin", "", -1,
     "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", true},
    {SIO_V5, "4{\"message\":\"Not authorized\"}", 4, 0, "/", "", -1,
     "{\"message\":\"Not authorized\"}", true},
    {SIO_V5, "2[\"foo\"]", 2, 0, "/", "", -1, "[\"foo\"]", true},
    {SIO_V5, "2/admin,[\"bar\"]", 2, 0, "/admin", "", -1, "[\"bar\"]", true},
    {SIO_V5, "51-[\"baz\"," PH(0) "]", 5, 1, "/", "", -1, "[\"baz\"," PH(0) "]", false},
    {SIO_V5, "52-/admin,[\"baz\"," PH(0) "," PH(1) "]", 5, 2, "/admin", "", -1,
     "[\"baz\"," PH(0) "," PH(1) "]", false},
    {SIO_V5, "212[\"foo\"]", 2, 0, "/", "", 12, "[\"foo\"]", true},
    {SIO_V5, "3/admin,12[]", 3, 0, "/admin", "", 12, "[]", true},
    {SIO_V5, "3/admin,13[\"bar\"]", 3, 0, "/admin", "", 13, "[\"bar\"]", true},
    {SIO_V5, "61-15[\"bar\"," PH(0) "]", 6, 1, "/", "", 15, "[\"bar\"," PH(0) "]", false},
    {SIO_V5, "1", 1, 0, "/", "", -1, NULL, true},
    {SIO_V5, "1/admin,", 1, 0, "/admin", "", -1, NULL, true},
    /* v4 spec examples */
    {SIO_V4, "0", 0, 0, "/", "", -1, NULL, true},
    {SIO_V4, "0/admin,", 0, 0, "/admin", "", -1, NULL, true},
    {SIO_V4, "1/admin,", 1, 0, "/admin", "", -1, NULL, true},
    {SIO_V4, "2[\"hello\",1]", 2, 0, "/", "", -1, "[\"hello\",1]", true},
    {SIO_V4, "2/admin,456[\"project:delete\",123]", 2, 0, "/admin", "", 456,
     "[\"project:delete\",123]", true},
    {SIO_V4, "3/admin,456[]", 3, 0, "/admin", "", 456, "[]", true},
    {SIO_V4, "4/admin,\"Not authorized\"", 4, 0, "/admin", "", -1, "\"Not authorized\"", true},
    {SIO_V4, "51-[\"hello\"," PH(0) "]", 5, 1, "/", "", -1, "[\"hello\"," PH(0) "]", false},
    {SIO_V4, "51-/admin,456[\"project:delete\"," PH(0) "]", 5, 1, "/admin", "", 456,
     "[\"project:delete\"," PH(0) "]", false},
    {SIO_V4, "61-/admin,456[" PH(0) "]", 6, 1, "/admin", "", 456, "[" PH(0) "]", false},
    {SIO_V4, "0/admin?token=1234&uid=abcd,", 0, 0, "/admin", "token=1234&uid=abcd", -1, NULL,
     true},
    {SIO_V4, "2[\"hey\",\"Jude\"]", 2, 0, "/", "", -1, "[\"hey\",\"Jude\"]", true},
    {SIO_V4, "2/admin,1[\"tellme\"]", 2, 0, "/admin", "", 1, "[\"tellme\"]", true},
    /* more shapes */
    {SIO_V4, "0/?x=1,", 0, 0, "/", "x=1", -1, NULL, true},
    {SIO_V5, "0/?x=1,", 0, 0, "/?x=1", "", -1, NULL, true},
    {SIO_V5, "2/admin?x=1,[\"q\"]", 2, 0, "/admin?x=1", "", -1, "[\"q\"]", true},
    {SIO_V5, "0/admin", 0, 0, "/admin", "", -1, NULL, false},
    {SIO_V5, "0/,", 0, 0, "/", "", -1, NULL, false},
    {SIO_V5, "2012[\"a\"]", 2, 0, "/", "", 12, "[\"a\"]", false},
    {SIO_V5, "2[ \"a\" , 1 ]", 2, 0, "/", "", -1, "[\"a\",1]", false},
    {SIO_V5, "2[\"\\u0061\\n\"]", 2, 0, "/", "", -1, "[\"a\\n\"]", false},
    {SIO_V5, "2[1.5,{\"a\":[true,false,null]}]", 2, 0, "/", "", -1,
     "[1.5,{\"a\":[true,false,null]}]", true},
    {SIO_V5, "2[-0.5e-7]", 2, 0, "/", "", -1, "[-5e-8]", false},
    {SIO_V5, "2/\xc3\xa9,[\"\xe2\x82\xac\"]", 2, 0, "/\xc3\xa9", "", -1, "[\"\xe2\x82\xac\"]",
     true},
    {SIO_V5, "39007199254740991[]", 3, 0, "/", "", 9007199254740991L, "[]", true},
    {SIO_V5, "2[\"a\"," PH(0) "]", 2, 0, "/", "", -1, "[\"a\"," PH(0) "]", true},
    {SIO_V5, "2[\"connects\",{\"b\":1,\"1\":2}]", 2, 0, "/", "", -1,
     "[\"connects\",{\"1\":2,\"b\":1}]", false},
    {SIO_V5, "4\"x\"", 4, 0, "/", "", -1, "\"x\"", true},
    {SIO_V5, "1/admin,12", 1, 0, "/admin", "", 12, NULL, true},
};

static void decode_and_encode(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pk_case *c = &cases[i];
        size_t len = strlen(c->text);
        uint8_t *g = tu_guard_copy(c->text, len);
        sio_packet p;
        eio_errinfo err;
        int rc = sio_packet_decode(c->v, g, len, NULL, &a, &p, &err);
        if (rc != 0) {
            fprintf(stderr, "case %zu (%s): %d at %zu\n", i, c->text, rc, err.offset);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(p.type, c->type);
        assert_int_equal(p.attachments, c->attachments);
        tu_check_slice(p.nsp, c->nsp);
        tu_check_slice(p.query, c->query);
        assert_int_equal(p.has_id, c->id >= 0);
        if (c->id >= 0) {
            assert_int_equal(p.id, (uint64_t)c->id);
        }
        if (c->data == NULL) {
            assert_null(p.data);
        } else {
            assert_non_null(p.data);
            assert_true(eio_json_equal(p.data, parse_json(&a, c->data)));
        }

        /* the header agrees with the full decode */
        sio_header h;
        assert_int_equal(sio_header_decode(c->v, g, len, NULL, &h, NULL), 0);
        assert_int_equal(h.type, p.type);
        assert_int_equal(h.attachments, p.attachments);
        assert_true(h.nsp.len == p.nsp.len && memcmp(h.nsp.ptr, p.nsp.ptr, h.nsp.len) == 0);
        assert_int_equal(h.has_id, p.has_id);
        assert_int_equal(h.id, p.id);

        /* re-encoding gives the same bytes (non-binary packets) */
        if (c->roundtrip) {
            uint8_t out[512];
            size_t n = 0;
            rc = sio_packet_encode(c->v, &p, out, sizeof out, &n);
            assert_int_equal(rc, 0);
            assert_int_equal(n, len);
            assert_memory_equal(out, c->text, len);
            /* every smaller buffer: BUFFER_TOO_SMALL with the size needed */
            for (size_t cap = 0; cap < len; cap++) {
                size_t need = 0;
                uint8_t *small = cap ? malloc(cap) : NULL;
                rc = sio_packet_encode(c->v, &p, small, cap, &need);
                free(small);
                assert_int_equal(rc, EIO_ERR_BUFFER_TOO_SMALL);
                assert_int_equal(need, len);
            }
        }
        tu_guard_free(g, len);
        eio_arena_reset(&a);
    }
    eio_arena_destroy(&a);
}

typedef struct {
    sio_version v;
    const char *text;
    int code;
    size_t offset;
} err_case;

static const err_case err_cases[] = {
    /* header errors come through unchanged */
    {SIO_V5, "", EIO_ERR_EMPTY_PACKET, 0},
    {SIO_V5, "9", SIO_ERR_INVALID_TYPE, 0},
    {SIO_V5, "5-[]", SIO_ERR_BAD_ATTACHMENTS, 1},
    {SIO_V5, "51000000-[\"a\"]", SIO_ERR_TOO_MANY_ATTACHMENTS, 1},
    {SIO_V5, "2/a\xff,[1]", SIO_ERR_BAD_NAMESPACE, 3},
    {SIO_V5, "29999999999999999[\"a\"]", SIO_ERR_BAD_ACK_ID, 1},
    {SIO_V5, "2", SIO_ERR_MISSING_PAYLOAD, 1},
    {SIO_V5, "2{}", SIO_ERR_EVENT_NOT_ARRAY, 1},
    {SIO_V5, "3\"a\"", SIO_ERR_ACK_NOT_ARRAY, 1},
    {SIO_V5, "0[]", SIO_ERR_CONNECT_NOT_OBJECT, 1},
    {SIO_V5, "1{}", SIO_ERR_DISCONNECT_PAYLOAD, 1},
    {SIO_V5, "41", SIO_ERR_MISSING_PAYLOAD, 2},
    {SIO_V5, "4[]", SIO_ERR_CONNECT_ERROR_PAYLOAD, 1},
    /* payload meaning, judged on the tree */
    {SIO_V5, "2[]", SIO_ERR_EVENT_EMPTY, 2},
    {SIO_V5, "2[ ]", SIO_ERR_EVENT_EMPTY, 3},
    {SIO_V5, "2[true]", SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[null,1]", SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2/x,[{\"toString\":\"x\"}]", SIO_ERR_EVENT_NAME, 5},
    {SIO_V5, "2[[\"a\"]]", SIO_ERR_EVENT_NAME, 2},
    {SIO_V5, "2[\"connect\"]", SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"\\u0063onnect\"]", SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "2[\"removeListene\\u0072\",1]", SIO_ERR_EVENT_RESERVED, 2},
    {SIO_V5, "51-[\"newListener\"," PH(0) "]", SIO_ERR_EVENT_RESERVED, 4},
    {SIO_V4, "2/admin,7[ \"disconnecting\"]", SIO_ERR_EVENT_RESERVED, 11},
    /* JSON errors at their offset in the packet */
    {SIO_V5, "2[\"a\",]", EIO_ERR_JSON_SYNTAX, 6},
    {SIO_V5, "2[\"a\"]x", EIO_ERR_JSON_TRAILING, 6},
    {SIO_V5, "2/ab,3[\"a\"] ]", EIO_ERR_JSON_TRAILING, 12},
    {SIO_V5, "2[\"a\"", EIO_ERR_JSON_UNEXPECTED_END, 5},
    {SIO_V5, "2[\"abc", EIO_ERR_JSON_UNEXPECTED_END, 6},
    {SIO_V5, "2[\"a\\x\"]", EIO_ERR_JSON_INVALID_ESCAPE, 5},
    {SIO_V5, "2[\"a\x01\"]", EIO_ERR_JSON_CONTROL_CHAR, 4},
    {SIO_V5, "2[01]", EIO_ERR_JSON_INVALID_NUMBER, 3},
    {SIO_V5, "2[\"a\",1e999]", EIO_ERR_JSON_NUMBER_RANGE, 6},
    {SIO_V5, "0{\"a\":1,}", EIO_ERR_JSON_SYNTAX, 8},
    {SIO_V5, "4{\"a\"", EIO_ERR_JSON_UNEXPECTED_END, 5},
    {SIO_V5, "0null", SIO_ERR_CONNECT_NOT_OBJECT, 1},
    /* nesting */
    {SIO_V5, "2[\"a\",[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
     SIO_ERR_DEPTH, 133},
};

static void decode_errors(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *c = &err_cases[i];
        size_t len = strlen(c->text);
        uint8_t *g = tu_guard_copy(c->text, len);
        sio_packet p;
        eio_errinfo err;
        memset(&err, 0, sizeof err);
        int rc = sio_packet_decode(c->v, g, len, NULL, &a, &p, &err);
        if (rc != c->code || err.offset != c->offset) {
            fprintf(stderr, "case %zu (%s): %d at %zu, want %d at %zu\n", i, c->text, rc,
                    err.offset, c->code, c->offset);
        }
        assert_int_equal(rc, c->code);
        assert_int_equal(err.code, c->code);
        assert_int_equal(err.offset, c->offset);
        assert_non_null(err.msg);
        tu_guard_free(g, len);
        eio_arena_reset(&a);
    }
    eio_arena_destroy(&a);
}

static void depth_limit(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_limits l;
    memset(&l, 0, sizeof l);
    l.max_depth = 2;
    sio_packet p;
    eio_errinfo err;
    assert_int_equal(sio_packet_decode(SIO_V5, (const uint8_t *)S("2[\"a\",[1]]"), &l, &a, &p,
                                       &err),
                     0);
    assert_int_equal(sio_packet_decode(SIO_V5, (const uint8_t *)S("2[\"a\",[[1]]]"), &l, &a, &p,
                                       &err),
                     SIO_ERR_DEPTH);
    assert_int_equal(err.offset, 7);
    assert_int_equal(sio_packet_decode(SIO_V5, (const uint8_t *)S("0{\"a\":{\"b\":{}}}"), &l, &a,
                                       &p, &err),
                     SIO_ERR_DEPTH);
    assert_int_equal(err.offset, 11);
    eio_arena_destroy(&a);
}

static void bad_arguments(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_packet p;
    eio_errinfo err;
    assert_int_equal(sio_packet_decode(SIO_V5, (const uint8_t *)"0", 1, NULL, NULL, &p, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_packet_decode(SIO_V5, (const uint8_t *)"0", 1, NULL, &a, NULL, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_packet_decode(SIO_V5, NULL, 3, NULL, &a, &p, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    size_t n;
    memset(&p, 0, sizeof p);
    uint8_t out[8];
    assert_int_equal(sio_packet_encode(SIO_V5, NULL, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_packet_encode(SIO_V5, &p, out, sizeof out, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_packet_encode(SIO_V5, &p, NULL, 4, &n), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_packet_encode((sio_version)3, &p, out, sizeof out, &n),
                     EIO_ERR_INVALID_ARGUMENT);
    /* measuring with a NULL buffer */
    assert_int_equal(sio_packet_encode(SIO_V5, &p, NULL, 0, &n), EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1);
    eio_arena_destroy(&a);
}

/* Builds a packet for encoding. */
static sio_packet mk(sio_packet_type t, const char *nsp, eio_json *data)
{
    sio_packet p;
    memset(&p, 0, sizeof p);
    p.type = t;
    if (nsp != NULL) {
        p.nsp.ptr = (const uint8_t *)nsp;
        p.nsp.len = strlen(nsp);
    }
    p.data = data;
    return p;
}

static int enc(sio_version v, const sio_packet *p, char *out, size_t cap)
{
    size_t n = 0;
    int rc = sio_packet_encode(v, p, (uint8_t *)out, cap - 1, &n);
    out[rc == 0 ? n : 0] = '\0';
    return rc;
}

static void encode_errors(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    char out[256];

    sio_packet p = mk((sio_packet_type)7, NULL, NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_INVALID_TYPE);
    p = mk(SIO_PACKET_CONNECT, "admin", NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_BAD_NAMESPACE);
    p = mk(SIO_PACKET_CONNECT, "/a,b", NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_BAD_NAMESPACE);
    p = mk(SIO_PACKET_CONNECT, "/a?b", NULL);
    assert_int_equal(enc(SIO_V4, &p, out, sizeof out), SIO_ERR_BAD_NAMESPACE);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "0/a?b,");
    p = mk(SIO_PACKET_CONNECT, "/a\xff", NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_BAD_NAMESPACE);
    p = mk(SIO_PACKET_CONNECT, "/a", NULL);
    p.query.ptr = (const uint8_t *)"x,y";
    p.query.len = 3;
    assert_int_equal(enc(SIO_V4, &p, out, sizeof out), SIO_ERR_BAD_NAMESPACE);
    p = mk(SIO_PACKET_ACK, NULL, parse_json(&a, "[]"));
    p.has_id = true;
    p.id = SIO_MAX_ACK_ID + 1;
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_BAD_ACK_ID);
    p.id = SIO_MAX_ACK_ID;
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "39007199254740991[]");

    struct {
        sio_packet_type t;
        const char *data;
        int code;
    } bad[] = {
        {SIO_PACKET_EVENT, NULL, SIO_ERR_MISSING_PAYLOAD},
        {SIO_PACKET_EVENT, "null", SIO_ERR_MISSING_PAYLOAD},
        {SIO_PACKET_EVENT, "{}", SIO_ERR_EVENT_NOT_ARRAY},
        {SIO_PACKET_EVENT, "[]", SIO_ERR_EVENT_EMPTY},
        {SIO_PACKET_EVENT, "[true]", SIO_ERR_EVENT_NAME},
        {SIO_PACKET_EVENT, "[\"connect\"]", SIO_ERR_EVENT_RESERVED},
        {SIO_PACKET_BINARY_EVENT, "[\"disconnect\"]", SIO_ERR_EVENT_RESERVED},
        {SIO_PACKET_ACK, NULL, SIO_ERR_MISSING_PAYLOAD},
        {SIO_PACKET_ACK, "{}", SIO_ERR_ACK_NOT_ARRAY},
        {SIO_PACKET_CONNECT, "[]", SIO_ERR_CONNECT_NOT_OBJECT},
        {SIO_PACKET_DISCONNECT, "{}", SIO_ERR_DISCONNECT_PAYLOAD},
        {SIO_PACKET_CONNECT_ERROR, NULL, SIO_ERR_MISSING_PAYLOAD},
        {SIO_PACKET_CONNECT_ERROR, "1", SIO_ERR_CONNECT_ERROR_PAYLOAD},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = mk(bad[i].t, NULL, bad[i].data ? parse_json(&a, bad[i].data) : NULL);
        assert_int_equal(enc(SIO_V5, &p, out, sizeof out), bad[i].code);
    }
    /* a non-finite event name would be written as null */
    eio_json *arr = parse_json(&a, "[1.5]");
    arr->u.c.first->u.d = 1.0 / 0.0;
    p = mk(SIO_PACKET_EVENT, NULL, arr);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_EVENT_NAME);
    /* binary data only in events and acks */
    eio_json *obj = parse_json(&a, "{\"a\":null}");
    obj->u.c.first->type = EIO_JSON_BINARY;
    obj->u.c.first->u.str.ptr = "x";
    obj->u.c.first->u.str.len = 1;
    p = mk(SIO_PACKET_CONNECT, NULL, obj);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), EIO_ERR_INVALID_ARGUMENT);
    eio_arena_destroy(&a);
}

static void encode_shapes(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    char out[256];

    /* null and main namespaces */
    sio_packet p = mk(SIO_PACKET_CONNECT, NULL, NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "0");
    p = mk(SIO_PACKET_CONNECT, "/", parse_json(&a, "null"));
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "0");
    p = mk(SIO_PACKET_DISCONNECT, "/admin", NULL);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "1/admin,");
    /* queries, v4 style */
    p = mk(SIO_PACKET_CONNECT, "/admin", NULL);
    p.query.ptr = (const uint8_t *)"token=1&a=?";
    p.query.len = 11;
    assert_int_equal(enc(SIO_V4, &p, out, sizeof out), 0);
    assert_string_equal(out, "0/admin?token=1&a=?,");
    p = mk(SIO_PACKET_CONNECT, NULL, NULL);
    p.query.ptr = (const uint8_t *)"t=1";
    p.query.len = 3;
    assert_int_equal(enc(SIO_V4, &p, out, sizeof out), 0);
    assert_string_equal(out, "0/?t=1,");
    /* JSON.stringify's output */
    p = mk(SIO_PACKET_EVENT, NULL, parse_json(&a, "[\"a\\u0001\\u2028\",1e21,-0,0.1,{\"2\":1,\"1\":2}]"));
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "2[\"a\\u0001\xe2\x80\xa8\",1e+21,0,0.1,{\"1\":2,\"2\":1}]");
    /* explicit BINARY_* without binary data goes out as EVENT/ACK */
    p = mk(SIO_PACKET_BINARY_EVENT, NULL, parse_json(&a, "[\"a\"]"));
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "2[\"a\"]");
    p = mk(SIO_PACKET_BINARY_ACK, NULL, parse_json(&a, "[]"));
    p.has_id = true;
    p.id = 0;
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "30[]");
    eio_arena_destroy(&a);
}

/* Turns the node into a binary one over `s`. */
static void make_binary(eio_json *n, const char *s)
{
    n->type = EIO_JSON_BINARY;
    n->flags = 0;
    n->u.str.ptr = s;
    n->u.str.len = strlen(s);
}

static void encode_binary(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    char out[256];
    const eio_json *list[4];

    /* the spec's example with two attachments */
    eio_json *d = parse_json(&a, "[\"baz\",null,null]");
    make_binary(eio_json_at(d, 1) == NULL ? NULL : d->u.c.first->next, "\x01\x02");
    make_binary(d->u.c.first->next->next, "\x03\x04");
    sio_packet p = mk(SIO_PACKET_EVENT, "/admin", d);
    assert_int_equal(sio_packet_attachments(&p, list, 4), 2);
    assert_ptr_equal(list[0], d->u.c.first->next);
    assert_ptr_equal(list[1], d->u.c.first->next->next);
    assert_int_equal(sio_packet_attachments(&p, NULL, 0), 2);
    assert_int_equal(sio_packet_attachments(&p, list, 1), 2);
    assert_ptr_equal(list[0], d->u.c.first->next);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "52-/admin,[\"baz\"," PH(0) "," PH(1) "]");

    /* BINARY_ACK with an id */
    d = parse_json(&a, "[\"bar\",null]");
    make_binary(d->u.c.first->next, "\x01\x02\x03\x04");
    p = mk(SIO_PACKET_ACK, NULL, d);
    p.has_id = true;
    p.id = 15;
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "61-15[\"bar\"," PH(0) "]");

    /* attachment order is JavaScript's key order: index keys first */
    d = parse_json(&a, "[\"a\",{\"b\":null,\"1\":null}]");
    eio_json *o = d->u.c.first->next;
    make_binary(o->u.c.first, "B");
    make_binary(o->u.c.first->next, "1");
    p = mk(SIO_PACKET_EVENT, NULL, d);
    assert_int_equal(sio_packet_attachments(&p, list, 4), 2);
    assert_ptr_equal(list[0], o->u.c.first->next);
    assert_ptr_equal(list[1], o->u.c.first);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "52-[\"a\",{\"1\":" PH(0) ",\"b\":" PH(1) "}]");

    /* a key given twice: only the last value is sent */
    d = parse_json(&a, "[\"a\",{\"x\":null,\"x\":null}]");
    o = d->u.c.first->next;
    make_binary(o->u.c.first, "first");
    make_binary(o->u.c.first->next, "last");
    p = mk(SIO_PACKET_EVENT, NULL, d);
    assert_int_equal(sio_packet_attachments(&p, list, 4), 1);
    assert_ptr_equal(list[0], o->u.c.first->next);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), 0);
    assert_string_equal(out, "51-[\"a\",{\"x\":" PH(0) "}]");

    /* binary as event name: the receiver would see a placeholder object */
    d = parse_json(&a, "[null]");
    make_binary(d->u.c.first, "x");
    p = mk(SIO_PACKET_EVENT, NULL, d);
    assert_int_equal(enc(SIO_V5, &p, out, sizeof out), SIO_ERR_EVENT_NAME);

    p = mk(SIO_PACKET_EVENT, NULL, NULL);
    assert_int_equal(sio_packet_attachments(&p, list, 4), 0);
    assert_int_equal(sio_packet_attachments(NULL, list, 4), 0);
    eio_arena_destroy(&a);
}

/* A fixed arena too small for the tree: EIO_ERR_NOMEM, never a crash. */
static void arena_exhaustion(void **state)
{
    (void)state;
    static const char text[] = "2/admin,1[\"ev\\u00e9\",{\"b\":[1,2,3,\"x\\n\"]},null]";
    size_t len = sizeof text - 1;
    uint8_t *g = tu_guard_copy(text, len);
    bool ok = false;
    for (size_t sz = 0; sz <= 4096 && !ok; sz += 8) {
        static uint8_t buf[4096] __attribute__((aligned(16)));
        eio_arena a;
        eio_arena_init_fixed(&a, buf, sz);
        sio_packet p;
        eio_errinfo err;
        int rc = sio_packet_decode(SIO_V5, g, len, NULL, &a, &p, &err);
        if (rc == 0) {
            ok = true;
            assert_int_equal(p.id, 1);
        } else {
            assert_int_equal(rc, EIO_ERR_NOMEM);
            assert_int_equal(err.code, EIO_ERR_NOMEM);
        }
    }
    assert_true(ok);
    tu_guard_free(g, len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_and_encode), cmocka_unit_test(decode_errors),
        cmocka_unit_test(depth_limit),       cmocka_unit_test(bad_arguments),
        cmocka_unit_test(encode_errors),     cmocka_unit_test(encode_shapes),
        cmocka_unit_test(encode_binary),     cmocka_unit_test(arena_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
