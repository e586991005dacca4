/* Tests of the Socket.IO msgpack parser (sioc/sio_msgpack.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc/sio_msgpack.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */
/* ------------------------------------------------------------------------ */

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = hex; p[0] != '\0' && p[1] != '\0';) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        sscanf(p, "%2x", &v);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

/* Decodes `in` placed before a guard page. */
static int decode_guarded(const uint8_t *in, size_t len, const sio_limits *lim, eio_arena *a,
                          sio_packet *p, eio_errinfo *err, uint8_t **keep)
{
    uint8_t *g = tu_guard_copy(in, len);
    assert_non_null(g);
    int rc = sio_msgpack_decode(g, len, lim, a, p, err);
    *keep = g;
    return rc;
}

static const eio_json *jget(const eio_json *o, const char *k)
{
    return eio_json_get(o, k, strlen(k));
}

static size_t b64dec(const eio_json *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(eio_base64_decode((const uint8_t *)s->u.str.ptr, s->u.str.len, out, cap, &n,
                                       NULL),
                     0);
    return n;
}

/*
 * Compares a decoded tree with a vector's JSON value, where
 * {"$binary":b64} stands for a binary node and {"$undefined":true} for
 * undefined. Member order must match too (the wire order).
 */
static bool same_value(const eio_json *got, const eio_json *want)
{
    if (want->type == EIO_JSON_OBJECT) {
        const eio_json *b = jget(want, "$binary");
        if (b != NULL) {
            uint8_t bytes[1024];
            size_t n = b64dec(b, bytes, sizeof bytes);
            return got->type == EIO_JSON_BINARY && got->u.str.len == n &&
                   (n == 0 || memcmp(got->u.str.ptr, bytes, n) == 0);
        }
        if (jget(want, "$undefined") != NULL) {
            return got->type == EIO_JSON_UNDEFINED;
        }
    }
    if (want->type == EIO_JSON_INT || want->type == EIO_JSON_DOUBLE) {
        double w = want->type == EIO_JSON_INT ? (double)want->u.i : want->u.d;
        if (got->type == EIO_JSON_INT) {
            return (double)got->u.i == w;
        }
        return got->type == EIO_JSON_DOUBLE && got->u.d == w;
    }
    if (got->type != want->type) {
        return false;
    }
    switch (want->type) {
    case EIO_JSON_NULL:
        return true;
    case EIO_JSON_BOOL:
        return got->u.b == want->u.b;
    case EIO_JSON_STRING:
        return got->u.str.len == want->u.str.len &&
               memcmp(got->u.str.ptr, want->u.str.ptr, want->u.str.len) == 0;
    default:
        break;
    }
    if (got->u.c.count != want->u.c.count) {
        return false;
    }
    const eio_json *g = got->u.c.first, *w = want->u.c.first;
    for (; g != NULL && w != NULL; g = g->next, w = w->next) {
        if (want->type == EIO_JSON_OBJECT &&
            (g->key_len != w->key_len || memcmp(g->key, w->key, w->key_len) != 0)) {
            return false;
        }
        if (!same_value(g, w)) {
            return false;
        }
    }
    return g == NULL && w == NULL;
}

/* ------------------------------------------------------------------------ */
/* the live capture                                                          */
/* ------------------------------------------------------------------------ */

static const char *type_names[] = {"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR"};

static void test_live_vectors(void **state)
{
    (void)state;
    size_t flen = 0;
    uint8_t *file = tu_read_file(tu_vector_path("sio/msgpack-live.jsonl"), &flen);
    assert_non_null(file);
    eio_arena va, a;
    eio_arena_init(&va, NULL, 0, 0);
    eio_arena_init(&a, NULL, 0, 0);
    size_t count = 0, roundtrips = 0;
    for (uint8_t *line = file; line < file + flen;) {
        uint8_t *nl = memchr(line, '\n', (size_t)(file + flen - line));
        size_t ll = nl != NULL ? (size_t)(nl - line) : (size_t)(file + flen - line);
        if (ll == 0) {
            line += 1;
            continue;
        }
        eio_json *v = NULL;
        assert_int_equal(eio_json_parse(line, ll, NULL, &va, &v, NULL), 0);
        const eio_json *name = jget(v, "name");
        const eio_json *msg = eio_json_at(jget(v, "messages"), 0);
        const eio_json *want = eio_json_at(jget(v, "packets"), 0);
        const eio_json *rt = jget(v, "roundtrip");
        assert_non_null(msg);
        assert_non_null(want);
        uint8_t bytes[4096];
        size_t n = b64dec(jget(msg, "binary"), bytes, sizeof bytes);

        sio_packet p;
        eio_errinfo err = {0};
        uint8_t *g = NULL;
        int rc = decode_guarded(bytes, n, NULL, &a, &p, &err, &g);
        if (rc != 0) {
            print_error("%.*s: %s at %zu\n", (int)name->u.str.len, name->u.str.ptr,
                        eio_error_name(rc), err.offset);
        }
        assert_int_equal(rc, 0);
        const eio_json *wt = jget(want, "type");
        assert_true(p.type <= SIO_PACKET_CONNECT_ERROR);
        assert_int_equal(wt->u.str.len, strlen(type_names[p.type]));
        assert_memory_equal(wt->u.str.ptr, type_names[p.type], wt->u.str.len);
        const eio_json *wn = jget(want, "nsp");
        assert_int_equal(p.nsp.len, wn->u.str.len);
        assert_memory_equal(p.nsp.ptr, wn->u.str.ptr, p.nsp.len);
        /* zero-copy: the namespace points into the input */
        assert_true(p.nsp.ptr >= g && p.nsp.ptr < g + n);
        const eio_json *wid = jget(want, "id");
        assert_int_equal(p.has_id, wid != NULL);
        if (wid != NULL) {
            assert_int_equal(p.id, (uint64_t)wid->u.i);
        }
        const eio_json *wd = jget(want, "data");
        assert_int_equal(p.data != NULL, wd != NULL);
        if (wd != NULL && !same_value(p.data, wd)) {
            fail_msg("%.*s: data differs", (int)name->u.str.len, name->u.str.ptr);
        }

        /* re-encode: the bytes are the captured ones unless marked */
        uint8_t enc[4096];
        size_t elen = 0;
        assert_int_equal(sio_msgpack_encode(&p, enc, sizeof enc, &elen), 0);
        if (rt == NULL || rt->type != EIO_JSON_BOOL || rt->u.b) {
            if (elen != n || memcmp(enc, bytes, n) != 0) {
                fail_msg("%.*s: re-encoding differs", (int)name->u.str.len, name->u.str.ptr);
            }
            roundtrips++;
        }
        /* whatever we write decodes to the same packet */
        sio_packet q;
        assert_int_equal(sio_msgpack_decode(enc, elen, NULL, &a, &q, NULL), 0);
        assert_int_equal(q.type, p.type);
        assert_int_equal(q.has_id, p.has_id);
        assert_int_equal(q.id, p.id);
        assert_true((q.data == NULL) == (p.data == NULL));
        if (p.data != NULL && p.data->type != EIO_JSON_UNDEFINED) {
            assert_true(eio_json_equal(q.data, p.data));
        }
        /* measuring: cap 0 gives the size needed */
        size_t need = 0;
        assert_int_equal(sio_msgpack_encode(&p, NULL, 0, &need), EIO_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(need, elen);
        assert_int_equal(sio_msgpack_encode(&p, enc, elen - 1, &need), EIO_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(need, elen);

        /* every proper prefix is truncated msgpack */
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *gc = tu_guard_copy(bytes, cut);
            eio_errinfo e2 = {0};
            int r2 = sio_msgpack_decode(gc, cut, NULL, &a, &p, &e2);
            assert_int_equal(r2, SIO_ERR_MSGPACK_INVALID);
            assert_int_equal(e2.offset, cut);
            tu_guard_free(gc, cut);
        }
        /* a byte more is trailing */
        bytes[n] = 0xc0;
        eio_errinfo e3 = {0};
        assert_int_equal(sio_msgpack_decode(bytes, n + 1, NULL, &a, &p, &e3),
                         SIO_ERR_MSGPACK_TRAILING);
        assert_int_equal(e3.offset, n);

        tu_guard_free(g, n);
        eio_arena_reset(&a);
        count++;
        line += ll + 1;
    }
    assert_true(count >= 20);
    assert_true(roundtrips >= 15);
    eio_arena_destroy(&a);
    eio_arena_destroy(&va);
    free(file);
}

/* ------------------------------------------------------------------------ */
/* errors, each at its offset                                                */
/* ------------------------------------------------------------------------ */

typedef struct err_case {
    const char *hex;
    int code;
    size_t offset;
} err_case;

/* 83 a4 "type" T a4 "data" D a3 "nsp" a1 "/" with T, D spliced in */
#define TYPE "a474797065"
#define DATA "a464617461"
#define NSP "a36e7370"
#define ID "a26964"

static const err_case err_cases[] = {
    {"", SIO_ERR_MSGPACK_INVALID, 0},
    {"c0", SIO_ERR_MSGPACK_NOT_MAP, 0},
    {"93 01 02 03", SIO_ERR_MSGPACK_NOT_MAP, 0},
    {"82" TYPE "00" NSP "a12f" "c0", SIO_ERR_MSGPACK_TRAILING, 13},
    {"82" TYPE "00" NSP "a2", SIO_ERR_MSGPACK_INVALID, 12},
    {"82" TYPE "c1" NSP "a12f", SIO_ERR_MSGPACK_INVALID, 6},
    /* type */
    {"81" NSP "a12f", SIO_ERR_INVALID_TYPE, 0},
    {"82" TYPE "05" NSP "a12f", SIO_ERR_INVALID_TYPE, 6},
    {"82" TYPE "ff" NSP "a12f", SIO_ERR_INVALID_TYPE, 6},
    {"82" TYPE "a132" NSP "a12f", SIO_ERR_INVALID_TYPE, 6},
    {"82" TYPE "cb3ff8000000000000" NSP "a12f", SIO_ERR_INVALID_TYPE, 6},
    /* nsp */
    {"81" TYPE "00", SIO_ERR_BAD_NAMESPACE, 0},
    {"82" TYPE "00" NSP "01", SIO_ERR_BAD_NAMESPACE, 11},
    {"82" TYPE "00" NSP "a161", SIO_ERR_BAD_NAMESPACE, 11},
    {"82" TYPE "00" NSP "a0", SIO_ERR_BAD_NAMESPACE, 11},
    {"82" TYPE "00" NSP "a22fff", EIO_ERR_INVALID_UTF8, 13},
    /* data by type */
    {"82" TYPE "02" NSP "a12f", SIO_ERR_MISSING_PAYLOAD, 0},
    {"83" TYPE "02" DATA "a161" NSP "a12f", SIO_ERR_EVENT_NOT_ARRAY, 12},
    {"83" TYPE "02" DATA "90" NSP "a12f", SIO_ERR_EVENT_EMPTY, 12},
    {"83" TYPE "02" DATA "91c0" NSP "a12f", SIO_ERR_EVENT_NAME, 13},
    {"83" TYPE "02" DATA "91a7636f6e6e656374" NSP "a12f", SIO_ERR_EVENT_RESERVED, 13},
    {"83" TYPE "03" DATA "80" NSP "a12f", SIO_ERR_ACK_NOT_ARRAY, 12},
    {"83" TYPE "00" DATA "90" NSP "a12f", SIO_ERR_CONNECT_NOT_OBJECT, 12},
    {"83" TYPE "01" DATA "80" NSP "a12f", SIO_ERR_DISCONNECT_PAYLOAD, 12},
    {"83" TYPE "04" DATA "01" NSP "a12f", SIO_ERR_CONNECT_ERROR_PAYLOAD, 12},
    {"83" TYPE "02" DATA "d40000" NSP "a12f", SIO_ERR_MISSING_PAYLOAD, 12},
    /* id */
    {"84" TYPE "02" DATA "91a161" ID "ff" NSP "a12f", SIO_ERR_BAD_ACK_ID, 18},
    {"84" TYPE "02" DATA "91a161" ID "a131" NSP "a12f", SIO_ERR_BAD_ACK_ID, 18},
    {"84" TYPE "02" DATA "91a161" ID "cb3ff8000000000000" NSP "a12f", SIO_ERR_BAD_ACK_ID, 18},
    {"84" TYPE "02" DATA "91a161" ID "cf0020000000000000" NSP "a12f", SIO_ERR_BAD_ACK_ID, 18},
    /* values a tree cannot hold */
    {"83" TYPE "02" DATA "92a161d40100" NSP "a12f", SIO_ERR_MSGPACK_UNSUPPORTED, 15},
    {"83" TYPE "02" DATA "92a161d7000000000000000000" NSP "a12f", SIO_ERR_MSGPACK_UNSUPPORTED,
     15},
    {"83" TYPE "02" DATA "92a161d5000000" NSP "a12f", SIO_ERR_MSGPACK_UNSUPPORTED, 15},
    {"83" TYPE "02" DATA "92a1618101c0" NSP "a12f", SIO_ERR_MSGPACK_UNSUPPORTED, 16},
    {"83" TYPE "00" DATA "81c0c0" NSP "a12f", SIO_ERR_MSGPACK_UNSUPPORTED, 13},
    {"83" TYPE "02" DATA "92a161a1ff" NSP "a12f", EIO_ERR_INVALID_UTF8, 16},
    {"83" TYPE "02" DATA "92a16181a1ff01" NSP "a12f", EIO_ERR_INVALID_UTF8, 17},
};

static void test_errors(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        uint8_t in[256];
        size_t n = unhex(err_cases[i].hex, in);
        sio_packet p;
        eio_errinfo err = {0};
        uint8_t *g = NULL;
        int rc = decode_guarded(n ? in : (const uint8_t *)"", n, NULL, &a, &p, &err, &g);
        if (rc != err_cases[i].code || err.offset != err_cases[i].offset) {
            fail_msg("case %zu (%s): got %s at %zu, want %s at %zu", i, err_cases[i].hex,
                     eio_error_name(rc), err.offset, eio_error_name(err_cases[i].code),
                     err_cases[i].offset);
        }
        assert_int_equal(err.code, rc);
        assert_non_null(err.msg);
        tu_guard_free(g, n);
        eio_arena_reset(&a);
    }
    eio_arena_destroy(&a);
}

/* What the reference accepts and we accept too. */
static void test_accepts(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    uint8_t in[128];
    sio_packet p;
    /* extra keys (socket.io-client's "options") are ignored; ids as float64 */
    size_t n = unhex("85" TYPE "02" DATA "91a161" "a76f7074696f6e7381a8636f6d7072657373c3"
                     ID "cb4014000000000000" NSP "a12f", in);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, NULL), 0);
    assert_true(p.has_id);
    assert_int_equal(p.id, 5);
    /* ext 8 type 0 (Node's typed arrays) is binary, pointing into the input */
    n = unhex("83" TYPE "02" DATA "92a161c7020001ff" NSP "a12f", in);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, NULL), 0);
    const eio_json *b = eio_json_at(p.data, 1);
    assert_int_equal(b->type, EIO_JSON_BINARY);
    assert_int_equal(b->u.str.len, 2);
    assert_ptr_equal(b->u.str.ptr, (const char *)in + 18);
    /* undefined id means no id; undefined data of CONNECT is kept as a node */
    n = unhex("84" TYPE "00" DATA "d40000" ID "d40000" NSP "a12f", in);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, NULL), 0);
    assert_false(p.has_id);
    assert_int_equal(p.data->type, EIO_JSON_UNDEFINED);
    /* duplicate keys: the last one wins, as in a JavaScript object */
    n = unhex("83" TYPE "03" TYPE "01" NSP "a12f", in);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, NULL), 0);
    assert_int_equal(p.type, SIO_PACKET_DISCONNECT);
    /* float32, uint64 and map16 / str8 forms */
    n = unhex("de0003" TYPE "03" DATA "93ca3fc00000cfffffffffffffffffd90161" NSP "a12f", in);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, NULL), 0);
    assert_int_equal(eio_json_at(p.data, 0)->type, EIO_JSON_DOUBLE);
    assert_true(eio_json_at(p.data, 0)->u.d == 1.5);
    assert_int_equal(eio_json_at(p.data, 1)->type, EIO_JSON_DOUBLE);
    assert_true(eio_json_at(p.data, 1)->u.d == 18446744073709551615.0);
    assert_int_equal(eio_json_at(p.data, 2)->u.str.len, 1);
    eio_arena_destroy(&a);
}

/* ------------------------------------------------------------------------ */
/* encoder                                                                   */
/* ------------------------------------------------------------------------ */

static void expect_value_bytes(eio_json *v, const char *hex)
{
    sio_packet p = {0};
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    eio_json *arr = eio_json_new_array(&a);
    eio_json *name = eio_json_new_string(&a, "a", 1);
    assert_int_equal(eio_json_append(arr, name), 0);
    assert_int_equal(eio_json_append(arr, v), 0);
    p.type = SIO_PACKET_EVENT;
    p.data = arr;
    uint8_t out[64], want[64];
    size_t n = 0;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), 0);
    /* 83 type 02 data 92 a1 61 <value> nsp a1 2f */
    size_t wn = unhex(hex, want);
    size_t head = 1 + 5 + 1 + 5 + 1 + 2;
    assert_int_equal(n, head + wn + 6);
    assert_memory_equal(out + head, want, wn);
    eio_arena_destroy(&a);
}

static void test_encode_numbers(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    static const struct {
        double d;
        const char *hex;
    } dcases[] = {
        {-0.0, "00"},
        {1.0, "01"},
        {255.0, "ccff"},
        {-33.0, "d0df"},
        {1.5, "cb3ff8000000000000"},
        {4294967296.0, "cf0000000100000000"},
        {-2147483649.0, "d3ffffffff7fffffff"},
        {9223372036854775808.0, "cf8000000000000000"},
        /* notepack.io would wrap these modulo 2^64; sioc keeps the number */
        {1e20, "cb4415af1d78b58c40"},
        {-1e20, "cbc415af1d78b58c40"},
        {-9223372036854777856.0, "cbc3e0000000000001"},
        {INFINITY, "cb7ff0000000000000"},
        {NAN, "cb7ff8000000000000"},
    };
    for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
        expect_value_bytes(eio_json_new_double(&a, dcases[i].d), dcases[i].hex);
    }
    static const struct {
        int64_t i;
        const char *hex;
    } icases[] = {
        {0, "00"},        {127, "7f"},          {128, "cc80"},
        {256, "cd0100"},  {65536, "ce00010000"}, {-1, "ff"},
        {-32, "e0"},      {-129, "d1ff7f"},     {-32769, "d2ffff7fff"},
        {INT64_MAX, "cf7fffffffffffffff"},      {INT64_MIN, "d38000000000000000"},
    };
    for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++) {
        expect_value_bytes(eio_json_new_int(&a, icases[i].i), icases[i].hex);
    }
    expect_value_bytes(eio_json_new_null(&a), "c0");
    expect_value_bytes(eio_json_new_bool(&a, true), "c3");
    eio_json *u = eio_json_new_undefined(&a);
    if (u != NULL) {
        expect_value_bytes(u, "d40000");
    }
    eio_arena_destroy(&a);
}

static void test_encode_errors(void **state)
{
    (void)state;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    uint8_t out[64];
    size_t n = 0;
    sio_packet p = {0};
    p.type = SIO_PACKET_DISCONNECT;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), 0);
    assert_int_equal(n, 13); /* 82 type 01 nsp "/" */
    assert_memory_equal(out, "\x82\xa4type\x01\xa3nsp\xa1/", 13);
    p.type = (sio_packet_type)7;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), SIO_ERR_INVALID_TYPE);
    p.type = SIO_PACKET_CONNECT;
    p.nsp.ptr = (const uint8_t *)"admin";
    p.nsp.len = 5;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), SIO_ERR_BAD_NAMESPACE);
    p.nsp.ptr = (const uint8_t *)"/admin";
    p.nsp.len = 6;
    p.query.ptr = (const uint8_t *)"x=1";
    p.query.len = 3;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), SIO_ERR_BAD_NAMESPACE);
    p.query.len = 0;
    p.type = SIO_PACKET_BINARY_ACK; /* sent as ACK, id first */
    p.has_id = true;
    p.id = SIO_MAX_ACK_ID + 1;
    p.data = eio_json_new_array(&a);
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), SIO_ERR_BAD_ACK_ID);
    p.id = 7;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), 0);
    assert_memory_equal(out, "\x84\xa2id\x07\xa4type\x03\xa4" "data\x90\xa3nsp\xa6/admin", n);
    p.type = SIO_PACKET_EVENT;
    assert_int_equal(sio_msgpack_encode(&p, out, sizeof out, &n), SIO_ERR_EVENT_EMPTY);
    assert_int_equal(sio_msgpack_encode(NULL, out, sizeof out, &n), EIO_ERR_INVALID_ARGUMENT);
    eio_arena_destroy(&a);
}

static void test_depth(void **state)
{
    (void)state;
    /* {type:2, data:["a", [[[...]]]], nsp:"/"} nested `levels` deep */
    uint8_t in[600];
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    for (size_t levels = 1; levels <= 200; levels++) {
        size_t n = unhex("83" TYPE "02" DATA "92a161", in);
        size_t first = n;
        for (size_t i = 1; i < levels; i++) {
            in[n++] = 0x91;
        }
        in[n++] = 0x90;
        n += unhex(NSP "a12f", in + n);
        sio_limits lim = {0};
        lim.max_depth = 4;
        sio_packet p;
        eio_errinfo err = {0};
        /* data itself is depth 1 */
        int rc = sio_msgpack_decode(in, n, &lim, &a, &p, &err);
        if (levels + 1 <= 4) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SIO_ERR_DEPTH);
            assert_int_equal(err.offset, first + 3);
        }
        rc = sio_msgpack_decode(in, n, NULL, &a, &p, &err);
        if (levels + 1 <= SIO_DEFAULT_MAX_DEPTH) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SIO_ERR_DEPTH);
        }
        eio_arena_reset(&a);
    }
    eio_arena_destroy(&a);
}

static void test_limits_and_nomem(void **state)
{
    (void)state;
    uint8_t in[128];
    size_t n = unhex("84" TYPE "02" DATA "93a161c403010203a3787878" ID "05" NSP "a12f", in);
    sio_limits lim = {0};
    lim.max_packet = n - 1;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_packet p;
    eio_errinfo err = {0};
    assert_int_equal(sio_msgpack_decode(in, n, &lim, &a, &p, &err), SIO_ERR_PACKET_TOO_LARGE);
    lim.max_packet = n;
    assert_int_equal(sio_msgpack_decode(in, n, &lim, &a, &p, &err), 0);
    assert_int_equal(sio_msgpack_decode(NULL, n, NULL, &a, &p, &err), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, NULL, &p, &err), EIO_ERR_INVALID_ARGUMENT);
    eio_arena_destroy(&a);

    /* every allocation failure is reported, and nothing leaks */
    bool succeeded = false;
    for (long k = 0; k < 64 && !succeeded; k++) {
        tu_failmem fm;
        tu_failmem_init(&fm, k);
        eio_arena fa;
        eio_arena_init(&fa, &fm.mem, 64, 0);
        int rc = sio_msgpack_decode(in, n, NULL, &fa, &p, &err);
        assert_true(rc == 0 || rc == EIO_ERR_NOMEM);
        succeeded = rc == 0;
        eio_arena_destroy(&fa);
        assert_int_equal(fm.outstanding, 0);
    }
    assert_true(succeeded);
    /* a fixed arena that is too small */
    uint8_t small[100];
    eio_arena_init_fixed(&a, small, sizeof small);
    assert_int_equal(sio_msgpack_decode(in, n, NULL, &a, &p, &err), EIO_ERR_NOMEM);
    assert_int_equal(err.code, EIO_ERR_NOMEM);
}

/* A build without msgpack-c: everything says UNSUPPORTED. */
static void test_unsupported(void **state)
{
    (void)state;
    uint8_t in[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0x01, 0xa3, 'n', 's', 'p', 0xa1, '/'};
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_packet p;
    eio_errinfo err = {0};
    assert_int_equal(sio_msgpack_decode(in, sizeof in, NULL, &a, &p, &err), EIO_ERR_UNSUPPORTED);
    assert_int_equal(err.code, EIO_ERR_UNSUPPORTED);
    assert_non_null(err.msg);
    sio_packet q = {0};
    q.type = SIO_PACKET_DISCONNECT;
    uint8_t out[32];
    size_t n = 1;
    assert_int_equal(sio_msgpack_encode(&q, out, sizeof out, &n), EIO_ERR_UNSUPPORTED);
    assert_int_equal(n, 0);
    eio_arena_destroy(&a);
}

int main(void)
{
    if (!sio_msgpack_available()) {
        const struct CMUnitTest none[] = {cmocka_unit_test(test_unsupported)};
        return cmocka_run_group_tests(none, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_vectors),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_accepts),        cmocka_unit_test(test_encode_numbers),
        cmocka_unit_test(test_encode_errors),  cmocka_unit_test(test_depth),
        cmocka_unit_test(test_limits_and_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
