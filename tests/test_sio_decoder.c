/* The Socket.IO decoder: messages in, packets out, binary attachments put
   back in place; error sequences, limits, reset, arena exhaustion. */
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
#include "sioc/sio_msgpack.h"
#include "test_util.h"

typedef struct {
    bool binary;
    const char *data;
    size_t len; /* 0 with binary: strlen; text always strlen */
} msg;

typedef struct {
    sio_decoder d;
    eio_arena a;
    /* guard copies stay alive until fx_done: packets point into them */
    uint8_t *bufs[16];
    size_t lens[16];
    size_t nbufs;
} fixture;

static void fx_init(fixture *f, sio_version v, const sio_limits *lim, unsigned flags)
{
    memset(f, 0, sizeof *f);
    eio_arena_init(&f->a, NULL, 0, 0);
    assert_int_equal(sio_decoder_init(&f->d, v, SIO_PARSER_JSON, lim, &f->a, flags), 0);
    assert_false(sio_decoder_pending(&f->d));
}

static void fx_done(fixture *f)
{
    for (size_t i = 0; i < f->nbufs; i++) {
        tu_guard_free(f->bufs[i], f->lens[i]);
    }
    eio_arena_destroy(&f->a);
}

static int fx_feed(fixture *f, bool binary, const void *data, size_t len, sio_packet *out,
                   eio_errinfo *err)
{
    assert_true(f->nbufs < 16);
    uint8_t *g = tu_guard_copy(data, len);
    f->bufs[f->nbufs] = g;
    f->lens[f->nbufs++] = len;
    return sio_decoder_feed(&f->d, g, len, binary, out, err);
}

static int fx_text(fixture *f, const char *text, sio_packet *out, eio_errinfo *err)
{
    return fx_feed(f, false, text, strlen(text), out, err);
}

static int fx_bin(fixture *f, const char *bytes, size_t len, sio_packet *out, eio_errinfo *err)
{
    return fx_feed(f, true, bytes, len, out, err);
}

static const eio_json *at(const eio_json *arr, size_t i)
{
    const eio_json *v = eio_json_at(arr, i);
    assert_non_null(v);
    return v;
}

static void expect_binary(const eio_json *n, const char *bytes, size_t len)
{
    assert_int_equal(n->type, EIO_JSON_BINARY);
    assert_int_equal(n->u.str.len, len);
    if (len > 0) {
        assert_memory_equal(n->u.str.ptr, bytes, len);
    }
}

static void spec_binary_event(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, SIO_V5, NULL, 0);
    sio_packet p;
    eio_errinfo err;
    assert_int_equal(fx_text(&f, "51-[\"baz\"," PH(0) "]", &p, &err), SIO_DECODER_NEED_MORE);
    assert_true(sio_decoder_pending(&f.d));
    assert_int_equal(fx_bin(&f, "\x01\x02\x03\x04", 4, &p, &err), SIO_DECODER_PACKET);
    assert_false(sio_decoder_pending(&f.d));
    assert_int_equal(p.type, SIO_PACKET_BINARY_EVENT);
    assert_int_equal(p.attachments, 1);
    assert_string_equal(at(p.data, 0)->u.str.ptr[0] == 'b' ? "baz" : "", "baz");
    expect_binary(at(p.data, 1), "\x01\x02\x03\x04", 4);
    /* points at the caller's attachment bytes */
    assert_ptr_equal(at(p.data, 1)->u.str.ptr, (const char *)f.bufs[1]);

    /* re-encodes to the same text and attachment */
    uint8_t out[128];
    size_t n;
    assert_int_equal(sio_packet_encode(SIO_V5, &p, out, sizeof out, &n), 0);
    assert_int_equal(n, strlen("51-[\"baz\"," PH(0) "]"));
    assert_memory_equal(out, "51-[\"baz\"," PH(0) "]", n);
    const eio_json *list[2];
    assert_int_equal(sio_packet_attachments(&p, list, 2), 1);
    assert_ptr_equal(list[0], at(p.data, 1));

    /* the next packet is an ordinary one */
    assert_int_equal(fx_text(&f, "2[\"x\"]", &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(p.type, SIO_PACKET_EVENT);
    fx_done(&f);
}

static void spec_two_attachments(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, SIO_V5, NULL, 0);
    sio_packet p;
    eio_errinfo err;
    const char *text = "52-/admin,[\"baz\"," PH(0) "," PH(1) "]";
    assert_int_equal(fx_text(&f, text, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "\x01\x02", 2, &p, &err), SIO_DECODER_NEED_MORE);
    assert_true(sio_decoder_pending(&f.d));
    assert_int_equal(fx_bin(&f, "\x03\x04", 2, &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(p.nsp.len, 6);
    assert_memory_equal(p.nsp.ptr, "/admin", 6);
    expect_binary(at(p.data, 1), "\x01\x02", 2);
    expect_binary(at(p.data, 2), "\x03\x04", 2);
    uint8_t out[128];
    size_t n;
    assert_int_equal(sio_packet_encode(SIO_V5, &p, out, sizeof out, &n), 0);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(out, text, n);
    fx_done(&f);

    /* v4 BINARY_ACK from the sample session */
    fx_init(&f, SIO_V4, NULL, 0);
    assert_int_equal(fx_text(&f, "61-/admin,1[" PH(0) "]", &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "\x03\x02\x01", 3, &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(p.type, SIO_PACKET_BINARY_ACK);
    assert_true(p.has_id);
    assert_int_equal(p.id, 1);
    expect_binary(at(p.data, 0), "\x03\x02\x01", 3);
    fx_done(&f);
}

static void placeholder_shapes(void **state)
{
    (void)state;
    fixture f;
    sio_packet p;
    eio_errinfo err;

    /* numbers out of document order, shared, nested, and as a double */
    fx_init(&f, SIO_V5, NULL, 0);
    assert_int_equal(fx_text(&f,
                             "53-[\"a\"," PH(2) ",{\"k\":[" PH(0) "]}," PH(2)
                             ",{\"_placeholder\":true,\"num\":1.0}]",
                             &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "A", 1, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "", 0, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "CC", 2, &p, &err), SIO_DECODER_PACKET);
    expect_binary(at(p.data, 1), "CC", 2);
    expect_binary(at(eio_json_get(at(p.data, 2), "k", 1), 0), "A", 1);
    expect_binary(at(p.data, 3), "CC", 2);
    expect_binary(at(p.data, 4), "", 0);
    fx_done(&f);

    /* attachments no placeholder refers to are accepted and dropped */
    fx_init(&f, SIO_V5, NULL, 0);
    assert_int_equal(fx_text(&f, "52-[\"a\"," PH(1) "]", &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "x", 1, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "y", 1, &p, &err), SIO_DECODER_PACKET);
    expect_binary(at(p.data, 1), "y", 1);
    assert_int_equal(sio_packet_attachments(&p, NULL, 0), 1);
    /* no placeholder at all */
    assert_int_equal(fx_text(&f, "51-[\"a\"]", &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "z", 1, &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(p.data->u.c.count, 1);
    fx_done(&f);

    /* not placeholders: _placeholder not exactly true; and in plain EVENTs */
    fx_init(&f, SIO_V5, NULL, 0);
    assert_int_equal(fx_text(&f,
                             "51-[\"a\",{\"_placeholder\":\"true\",\"num\":0},"
                             "{\"_placeholder\":1,\"num\":0}," PH(0) "]",
                             &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "q", 1, &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(at(p.data, 1)->type, EIO_JSON_OBJECT);
    assert_int_equal(at(p.data, 2)->type, EIO_JSON_OBJECT);
    expect_binary(at(p.data, 3), "q", 1);
    assert_int_equal(fx_text(&f, "2[\"a\"," PH(0) "]", &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(at(p.data, 1)->type, EIO_JSON_OBJECT);
    /* the last of duplicate keys decides, as JSON.parse */
    assert_int_equal(fx_text(&f,
                             "51-[\"a\",{\"_placeholder\":false,\"num\":9,"
                             "\"_placeholder\":true,\"num\":0}]",
                             &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "r", 1, &p, &err), SIO_DECODER_PACKET);
    expect_binary(at(p.data, 1), "r", 1);
    fx_done(&f);
}

static size_t off_of(const char *text, const char *needle)
{
    const char *s = strstr(text, needle);
    assert_non_null(s);
    return (size_t)(s - text);
}

/* CVE-2022-2421 shapes: placeholder numbers that are not attachment indices. */
static void bad_placeholders(void **state)
{
    (void)state;
    static const char *bad[] = {
        "51-[\"a\",{\"_placeholder\":true,\"num\":\"toString\"}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":{}}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":[0]}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":null}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":true}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":1}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":0.5}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":1e300}]",
        "52-[\"a\"," PH(0) ",{\"x\":{\"_placeholder\":true,\"num\":2}}]",
        "61-/admin,3[{\"_placeholder\":true,\"num\":\"__proto__\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f;
        fx_init(&f, SIO_V5, NULL, 0);
        sio_packet p;
        eio_errinfo err;
        int rc = fx_text(&f, bad[i], &p, &err);
        if (rc != SIO_ERR_BAD_PLACEHOLDER) {
            fprintf(stderr, "case %zu: %d\n", i, rc);
        }
        assert_int_equal(rc, SIO_ERR_BAD_PLACEHOLDER);
        assert_int_equal(err.code, SIO_ERR_BAD_PLACEHOLDER);
        /* at the offending placeholder's "num" key */
        const char *last = bad[i];
        for (const char *s = strstr(last, "\"num\""); s != NULL; s = strstr(s + 1, "\"num\"")) {
            last = s;
        }
        assert_int_equal(err.offset, (size_t)(last - bad[i]));
        assert_false(sio_decoder_pending(&f.d));
        assert_int_equal(fx_bin(&f, "x", 1, &p, &err), SIO_ERR_UNEXPECTED_BINARY);
        fx_done(&f);
    }
    /* no num at all: at the _placeholder key */
    fixture f;
    fx_init(&f, SIO_V5, NULL, 0);
    sio_packet p;
    eio_errinfo err;
    const char *t = "51-[\"a\",{\"_placeholder\":true}]";
    assert_int_equal(fx_text(&f, t, &p, &err), SIO_ERR_BAD_PLACEHOLDER);
    assert_int_equal(err.offset, off_of(t, "\"_placeholder\""));
    /* escaped keys are copied: the payload start is reported */
    t = "51-[\"a\",{\"_placeholder\":true,\"n\\u0075m\":\"x\"}]";
    assert_int_equal(fx_text(&f, t, &p, &err), SIO_ERR_BAD_PLACEHOLDER);
    assert_int_equal(err.offset, off_of(t, "\"_placeholder\""));
    t = "51-[\"a\",{\"_pl\\u0061ceholder\":true,\"n\\u0075m\":\"x\"}]";
    assert_int_equal(fx_text(&f, t, &p, &err), SIO_ERR_BAD_PLACEHOLDER);
    assert_int_equal(err.offset, 3);
    fx_done(&f);
}

/* CVE-2023-32695 shapes and an unbounded attachment count. */
static void hostile_packets(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
    } cases[] = {
        {"2[{\"toString\":\"x\"}]", SIO_ERR_EVENT_NAME},
        {"2[[\"connect\"]]", SIO_ERR_EVENT_NAME},
        {"2[null]", SIO_ERR_EVENT_NAME},
        {"2[\"connect\"]", SIO_ERR_EVENT_RESERVED},
        {"2[\"\\u0064isconnect\"]", SIO_ERR_EVENT_RESERVED},
        {"51-[{\"_placeholder\":true,\"num\":0}]", SIO_ERR_EVENT_NAME},
        {"51000000-[\"a\"]", SIO_ERR_TOO_MANY_ATTACHMENTS},
        {"54294967297-[\"a\"]", SIO_ERR_TOO_MANY_ATTACHMENTS},
        {"2", SIO_ERR_MISSING_PAYLOAD},
        {"3", SIO_ERR_MISSING_PAYLOAD},
    };
    fixture f;
    fx_init(&f, SIO_V5, NULL, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sio_packet p;
        eio_errinfo err;
        assert_int_equal(fx_feed(&f, false, cases[i].text, strlen(cases[i].text), &p, &err),
                         cases[i].code);
        assert_false(sio_decoder_pending(&f.d));
        f.nbufs--;
        tu_guard_free(f.bufs[f.nbufs], f.lens[f.nbufs]);
    }
    fx_done(&f);
}

static void sequences(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, SIO_V5, NULL, 0);
    sio_packet p;
    eio_errinfo err;

    /* binary with nothing pending */
    assert_int_equal(fx_bin(&f, "x", 1, &p, &err), SIO_ERR_UNEXPECTED_BINARY);
    assert_int_equal(err.code, SIO_ERR_UNEXPECTED_BINARY);
    assert_int_equal(err.offset, 0);
    /* text while pending: the pending packet is dropped */
    assert_int_equal(fx_text(&f, "52-[\"a\"," PH(0) "," PH(1) "]", &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "x", 1, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_text(&f, "2[\"b\"]", &p, &err), SIO_ERR_UNEXPECTED_TEXT);
    assert_int_equal(err.offset, 0);
    assert_false(sio_decoder_pending(&f.d));
    assert_int_equal(fx_bin(&f, "y", 1, &p, &err), SIO_ERR_UNEXPECTED_BINARY);
    /* and the decoder works afterwards */
    assert_int_equal(fx_text(&f, "2[\"c\"]", &p, &err), SIO_DECODER_PACKET);
    assert_int_equal(fx_text(&f, "61-[" PH(0) "]", &p, &err), SIO_DECODER_NEED_MORE);
    /* reset drops what is pending */
    sio_decoder_reset(&f.d);
    assert_false(sio_decoder_pending(&f.d));
    assert_int_equal(fx_bin(&f, "z", 1, &p, &err), SIO_ERR_UNEXPECTED_BINARY);
    /* a decode error of a text packet leaves nothing pending */
    assert_int_equal(fx_text(&f, "5x-[]", &p, &err), SIO_ERR_BAD_ATTACHMENTS);
    assert_int_equal(fx_text(&f, "51-[\"a\"," PH(0) "]", &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "w", 1, &p, &err), SIO_DECODER_PACKET);
    expect_binary(at(p.data, 1), "w", 1);
    sio_decoder_reset(NULL);
    assert_false(sio_decoder_pending(NULL));
    fx_done(&f);
}

static void attachment_limits(void **state)
{
    (void)state;
    sio_limits l;
    memset(&l, 0, sizeof l);
    l.max_attachment_size = 3;
    l.max_attachments_total = 5;
    fixture f;
    fx_init(&f, SIO_V5, &l, 0);
    sio_packet p;
    eio_errinfo err;
    assert_int_equal(fx_text(&f, "52-[\"a\"," PH(0) "," PH(1) "]", &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "abcd", 4, &p, &err), SIO_ERR_ATTACHMENT_TOO_LARGE);
    assert_int_equal(err.offset, 3);
    assert_false(sio_decoder_pending(&f.d));

    assert_int_equal(fx_text(&f, "52-[\"a\"," PH(0) "," PH(1) "]", &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "abc", 3, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "def", 3, &p, &err), SIO_ERR_ATTACHMENT_TOO_LARGE);
    assert_int_equal(err.offset, 2);
    assert_false(sio_decoder_pending(&f.d));

    assert_int_equal(fx_text(&f, "52-[\"a\"," PH(0) "," PH(1) "]", &p, &err),
                     SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "abc", 3, &p, &err), SIO_DECODER_NEED_MORE);
    assert_int_equal(fx_bin(&f, "de", 2, &p, &err), SIO_DECODER_PACKET);
    fx_done(&f);
}

static void copy_attachments(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, SIO_V5, NULL, SIO_DECODER_COPY_ATTACHMENTS);
    sio_packet p;
    eio_errinfo err;
    assert_int_equal(fx_text(&f, "51-[\"a\"," PH(0) "]", &p, &err), SIO_DECODER_NEED_MORE);
    char bytes[3] = {'x', 'y', 'z'};
    assert_int_equal(sio_decoder_feed(&f.d, (const uint8_t *)bytes, 3, true, &p, &err),
                     SIO_DECODER_PACKET);
    memset(bytes, 0, sizeof bytes);
    expect_binary(at(p.data, 1), "xyz", 3);
    fx_done(&f);
}

static void init_and_arguments(void **state)
{
    (void)state;
    sio_decoder d;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    assert_int_equal(sio_decoder_init(NULL, SIO_V5, SIO_PARSER_JSON, NULL, &a, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_init(&d, SIO_V5, SIO_PARSER_JSON, NULL, NULL, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_init(&d, (sio_version)3, SIO_PARSER_JSON, NULL, &a, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_init(&d, SIO_V5, (sio_parser)7, NULL, &a, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    sio_packet p;
    eio_errinfo err;
    if (sio_msgpack_available()) {
        assert_int_equal(sio_decoder_init(&d, SIO_V5, SIO_PARSER_MSGPACK, NULL, &a, 0), 0);
        assert_int_equal(sio_decoder_feed(&d, (const uint8_t *)"2[\"a\"]", 6, false, &p, &err),
                         SIO_ERR_UNEXPECTED_TEXT);
    } else {
        assert_int_equal(sio_decoder_init(&d, SIO_V5, SIO_PARSER_MSGPACK, NULL, &a, 0),
                         EIO_ERR_UNSUPPORTED);
    }
    assert_int_equal(sio_decoder_init(&d, SIO_V4, SIO_PARSER_JSON, NULL, &a, 0), 0);
    assert_int_equal(sio_decoder_feed(NULL, (const uint8_t *)"0", 1, false, &p, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_feed(&d, NULL, 1, false, &p, &err), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_feed(&d, (const uint8_t *)"0", 1, false, NULL, &err),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_decoder_feed(&d, NULL, 0, false, &p, &err), EIO_ERR_EMPTY_PACKET);
    assert_int_equal(sio_decoder_feed(&d, (const uint8_t *)"0", 1, false, &p, NULL),
                     SIO_DECODER_PACKET);
    eio_arena_destroy(&a);
}

/* Fixed arenas of every size up to what the sequence needs: NOMEM or the
   packet, never a crash, and the decoder stays usable. */
static void arena_exhaustion(void **state)
{
    (void)state;
    static const char text[] = "52-/a,7[\"ev\",{\"k\":[1,2," PH(1) "]}," PH(0) "]";
    static uint8_t buf[8192] __attribute__((aligned(16)));
    bool done = false;
    for (size_t sz = 0; sz <= sizeof buf && !done; sz += 8) {
        eio_arena a;
        eio_arena_init_fixed(&a, buf, sz);
        sio_decoder d;
        assert_int_equal(
            sio_decoder_init(&d, SIO_V5, SIO_PARSER_JSON, NULL, &a, SIO_DECODER_COPY_ATTACHMENTS),
            0);
        sio_packet p;
        eio_errinfo err;
        uint8_t *g = tu_guard_copy(text, sizeof text - 1);
        int rc = sio_decoder_feed(&d, g, sizeof text - 1, false, &p, &err);
        if (rc < 0) {
            assert_int_equal(rc, EIO_ERR_NOMEM);
            assert_false(sio_decoder_pending(&d));
        } else {
            assert_int_equal(rc, SIO_DECODER_NEED_MORE);
            rc = sio_decoder_feed(&d, (const uint8_t *)"AAAA", 4, true, &p, &err);
            if (rc < 0) {
                assert_int_equal(rc, EIO_ERR_NOMEM);
                assert_false(sio_decoder_pending(&d));
            } else {
                assert_int_equal(rc, SIO_DECODER_NEED_MORE);
                rc = sio_decoder_feed(&d, (const uint8_t *)"BBBB", 4, true, &p, &err);
                if (rc < 0) {
                    assert_int_equal(rc, EIO_ERR_NOMEM);
                } else {
                    assert_int_equal(rc, SIO_DECODER_PACKET);
                    expect_binary(at(p.data, 2), "AAAA", 4);
                    expect_binary(at(eio_json_get(at(p.data, 1), "k", 1), 2), "BBBB", 4);
                    done = true;
                }
            }
        }
        tu_guard_free(g, sizeof text - 1);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_binary_event), cmocka_unit_test(spec_two_attachments),
        cmocka_unit_test(placeholder_shapes), cmocka_unit_test(bad_placeholders),
        cmocka_unit_test(hostile_packets),   cmocka_unit_test(sequences),
        cmocka_unit_test(attachment_limits), cmocka_unit_test(copy_attachments),
        cmocka_unit_test(init_and_arguments), cmocka_unit_test(arena_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
