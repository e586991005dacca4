/*
 * Replays the shared Engine.IO vectors (the JSON-lines files in vectors/eio/, produced by the
 * reference implementation) through the codec.
 *
 * Every unit is decoded and compared with the expected packets; polling
 * bodies are fed whole, one byte at a time and split in two at every offset,
 * each from an ordinary buffer and from one that ends at a guard page. Error
 * vectors must fail with the same code at the same offset in every mode.
 * Unless a vector says "roundtrip":false, its packets are encoded again and
 * must give the unit's exact bytes.
 *
 * The JSON-lines files are read with jansson, so a fault in sioc's own JSON
 * code cannot hide a fault here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "test_util.h"

/*
 * Bodies up to this size are split at every offset and fed byte by byte from
 * guarded buffers too; larger ones (the 100 KB vectors) at a sample of
 * offsets, and byte by byte from an ordinary buffer only, to keep the run
 * short.
 */
#define FULL_SPLIT_MAX 4096
#define SAMPLED_SPLITS 64

/* ---- bookkeeping ---------------------------------------------------------- */

typedef struct file_stats {
    const char *file;
    int vectors;
    int errors;
    int roundtrips;
    int failures;
} file_stats;

static file_stats *cur_stats;
static const char *cur_name;
static const char *cur_mode;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s %s [%s]: ", cur_stats->file, cur_name, cur_mode ? cur_mode : "-");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cur_stats->failures++;
}

/* ---- test-local base64 (independent of the codec under test) --------------- */

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Decodes padded standard base64 from the vector files; malloc'd result. */
static uint8_t *b64_decode(const char *s, size_t n, size_t *out_len)
{
    uint8_t *out = malloc(n / 4 * 3 + 1);
    assert_non_null(out);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64_value((unsigned char)s[i]);
        assert_true(v >= 0);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = o;
    return out;
}

/* ---- vectors as C data ---------------------------------------------------- */

typedef struct xunit {
    bool binary;   /* binary frame / octet-stream body */
    uint8_t *data; /* malloc'd */
    size_t len;
} xunit;

typedef struct xpacket {
    int type;
    eio_data_kind kind; /* NONE, TEXT or BINARY */
    uint8_t *data;      /* malloc'd */
    size_t len;
} xpacket;

typedef struct xvector {
    const char *name;
    eio_version version;
    bool polling;
    bool b64;
    bool roundtrip;
    xunit *units;
    size_t nunits;
    xpacket *packets;
    size_t npackets;
    bool is_error;
    int error;
    size_t offset;
} xvector;

static int type_from_name(const char *s)
{
    static const char *const names[] = {"open", "close", "ping", "pong",
                                        "message", "upgrade", "noop"};
    for (int t = 0; t <= 6; t++) {
        if (strcmp(names[t], s) == 0) {
            return t;
        }
    }
    fail_msg("unknown packet type name %s", s);
    return -1;
}

/* The bytes of a JSON string (malloc'd); base64-decoded when `b64`. */
static uint8_t *string_bytes(json_t *v, bool b64, size_t *len)
{
    assert_true(json_is_string(v));
    if (b64) {
        return b64_decode(json_string_value(v), json_string_length(v), len);
    }
    *len = json_string_length(v);
    uint8_t *out = malloc(*len + 1);
    assert_non_null(out);
    memcpy(out, json_string_value(v), *len);
    return out;
}

static void unit_from_json(json_t *u, xunit *out)
{
    json_t *v;
    assert_true(json_is_object(u));
    if ((v = json_object_get(u, "text")) != NULL) {
        out->binary = false;
        out->data = string_bytes(v, false, &out->len);
    } else if ((v = json_object_get(u, "binary")) != NULL) {
        out->binary = true;
        out->data = string_bytes(v, true, &out->len);
    } else if ((v = json_object_get(u, "text_base64")) != NULL) {
        /* a text unit whose bytes are not valid UTF-8 */
        out->binary = false;
        out->data = string_bytes(v, true, &out->len);
    } else {
        fail_msg("unit without text, binary or text_base64");
    }
}

static void packet_from_json(json_t *p, xpacket *out)
{
    json_t *t = json_object_get(p, "type"), *v;
    assert_true(json_is_string(t));
    out->type = type_from_name(json_string_value(t));
    if ((v = json_object_get(p, "data")) != NULL) {
        out->kind = EIO_DATA_TEXT;
        out->data = string_bytes(v, false, &out->len);
    } else if ((v = json_object_get(p, "binary")) != NULL) {
        out->kind = EIO_DATA_BINARY;
        out->data = string_bytes(v, true, &out->len);
    } else {
        out->kind = EIO_DATA_NONE;
        out->data = NULL;
        out->len = 0;
    }
}

static void vector_from_json(json_t *j, xvector *x)
{
    memset(x, 0, sizeof *x);
    json_t *name = json_object_get(j, "name");
    assert_true(json_is_string(name));
    x->name = json_string_value(name);
    json_t *eio = json_object_get(j, "eio");
    assert_true(json_is_integer(eio));
    x->version = json_integer_value(eio) == 3 ? EIO_V3 : EIO_V4;
    assert_true(json_integer_value(eio) == 3 || json_integer_value(eio) == 4);
    json_t *tr = json_object_get(j, "transport");
    assert_true(json_is_string(tr));
    x->polling = strcmp(json_string_value(tr), "polling") == 0;
    assert_true(x->polling || strcmp(json_string_value(tr), "websocket") == 0);
    x->b64 = json_is_true(json_object_get(j, "b64"));
    x->roundtrip = !json_is_false(json_object_get(j, "roundtrip"));

    json_t *units = json_object_get(j, "units");
    assert_true(json_is_array(units));
    x->nunits = json_array_size(units);
    assert_true(x->nunits > 0);
    x->units = calloc(x->nunits, sizeof *x->units);
    assert_non_null(x->units);
    for (size_t i = 0; i < x->nunits; i++) {
        unit_from_json(json_array_get(units, i), &x->units[i]);
    }
    if (x->polling) {
        assert_int_equal(x->nunits, 1);
    }

    json_t *err = json_object_get(j, "error");
    if (err != NULL) {
        assert_true(json_is_string(err));
        x->is_error = true;
        x->error = eio_error_from_name(json_string_value(err));
        if (x->error > 0) {
            fail_msg("%s: unknown error name %s", x->name, json_string_value(err));
        }
        json_t *off = json_object_get(j, "offset");
        assert_true(json_is_integer(off));
        x->offset = (size_t)json_integer_value(off);
        return;
    }
    json_t *pk = json_object_get(j, "packets");
    assert_true(json_is_array(pk));
    x->npackets = json_array_size(pk);
    x->packets = calloc(x->npackets + 1, sizeof *x->packets);
    assert_non_null(x->packets);
    for (size_t i = 0; i < x->npackets; i++) {
        packet_from_json(json_array_get(pk, i), &x->packets[i]);
    }
    if (!x->polling) {
        assert_int_equal(x->nunits, x->npackets);
    }
}

static void vector_free(xvector *x)
{
    for (size_t i = 0; i < x->nunits; i++) {
        free(x->units[i].data);
    }
    for (size_t i = 0; i < x->npackets; i++) {
        free(x->packets[i].data);
    }
    free(x->units);
    free(x->packets);
}

/* ---- comparing a decoded packet with an expected one ---------------------- */

static bool same_packet(const eio_packet *got, const xpacket *want, size_t index)
{
    if ((int)got->type != want->type) {
        failure("packet %zu: type %d, expected %d", index, (int)got->type, want->type);
        return false;
    }
    switch (want->kind) {
    case EIO_DATA_NONE:
        if (got->kind != EIO_DATA_NONE || got->len != 0) {
            failure("packet %zu: kind %d len %zu, expected no data", index, (int)got->kind,
                    got->len);
            return false;
        }
        return true;
    case EIO_DATA_TEXT:
        if (got->kind != EIO_DATA_TEXT) {
            failure("packet %zu: kind %d, expected text", index, (int)got->kind);
            return false;
        }
        if (got->len != want->len || (want->len > 0 && memcmp(got->data, want->data, want->len))) {
            failure("packet %zu: text of %zu bytes differs from the expected %zu", index,
                    got->len, want->len);
            return false;
        }
        return true;
    default:
        break;
    }
    const uint8_t *bytes = got->data;
    size_t n = got->len;
    uint8_t *tmp = NULL;
    if (got->kind == EIO_DATA_BASE64) {
        size_t cap = eio_base64_decoded_max(got->len);
        tmp = malloc(cap + 1);
        assert_non_null(tmp);
        eio_errinfo e;
        int rc = eio_base64_decode(got->data, got->len, tmp, cap, &n, &e);
        if (rc != 0) {
            failure("packet %zu: returned base64 does not decode (%d)", index, rc);
            free(tmp);
            return false;
        }
        bytes = tmp;
    } else if (got->kind != EIO_DATA_BINARY) {
        failure("packet %zu: kind %d, expected binary", index, (int)got->kind);
        return false;
    }
    bool ok = n == want->len && (n == 0 || memcmp(bytes, want->data, n) == 0);
    if (!ok) {
        failure("packet %zu: binary of %zu bytes differs from the expected %zu", index, n,
                want->len);
    }
    free(tmp);
    return ok;
}

/* ---- websocket frames ----------------------------------------------------- */

static void check_frame(const xvector *x, size_t i, const uint8_t *buf, size_t len)
{
    eio_packet p;
    eio_errinfo e = {0, NULL, 0};
    int rc = eio_packet_decode(x->version, buf, len, x->units[i].binary, NULL, &p, &e);
    if (x->is_error) {
        if (rc != x->error || e.code != x->error || e.offset != x->offset) {
            failure("frame %zu: got %s (%d) at %zu, expected %s at %zu", i,
                    eio_error_name(rc) ? eio_error_name(rc) : "success", rc, e.offset,
                    eio_error_name(x->error), x->offset);
        } else if (e.msg == NULL) {
            failure("frame %zu: no error message", i);
        }
        return;
    }
    if (rc != 0) {
        failure("frame %zu: %s at %zu (%s)", i, eio_error_name(rc), e.offset,
                e.msg ? e.msg : "");
        return;
    }
    same_packet(&p, &x->packets[i], i);
}

static void encode_frame(const xvector *x, size_t i)
{
    const xpacket *w = &x->packets[i];
    const xunit *u = &x->units[i];
    eio_packet p = {(eio_packet_type)w->type, w->kind, w->data, w->len};
    unsigned flags = (!u->binary && w->kind == EIO_DATA_BINARY) ? EIO_ENCODE_BASE64 : 0;
    size_t need = 0;
    bool bin = false;
    int rc = eio_packet_encode(x->version, &p, flags, NULL, 0, &need, &bin);
    if (rc != EIO_ERR_BUFFER_TOO_SMALL && !(rc == 0 && need == 0)) {
        failure("frame %zu: encode with no room gave %d", i, rc);
        return;
    }
    if (need != u->len) {
        failure("frame %zu: encode needs %zu bytes, the unit has %zu", i, need, u->len);
        return;
    }
    uint8_t *out = malloc(need + 1);
    assert_non_null(out);
    size_t n = 0;
    rc = eio_packet_encode(x->version, &p, flags, out, need, &n, &bin);
    if (rc != 0) {
        failure("frame %zu: encode failed %d", i, rc);
    } else if (n != u->len || memcmp(out, u->data, n) != 0) {
        failure("frame %zu: encoded bytes differ", i);
    } else if (bin != u->binary) {
        failure("frame %zu: binary_frame %d, expected %d", i, (int)bin, (int)u->binary);
    }
    free(out);
}

static void run_websocket(const xvector *x)
{
    for (size_t i = 0; i < x->nunits; i++) {
        const xunit *u = &x->units[i];
        cur_mode = "frame";
        check_frame(x, i, u->data, u->len);
        cur_mode = "frame guarded";
        uint8_t *g = tu_guard_copy(u->data, u->len);
        assert_non_null(g);
        check_frame(x, i, g, u->len);
        tu_guard_free(g, u->len);
        if (!x->is_error && x->roundtrip) {
            cur_mode = "encode";
            encode_frame(x, i);
        }
    }
}

/* ---- polling bodies ------------------------------------------------------- */

typedef struct feed {
    const xvector *x;
    eio_payload_decoder d;
    size_t got;    /* packets returned so far */
    int rc;        /* last status or error */
    eio_errinfo e;
    bool failed;   /* a mismatch was reported */
    const uint8_t *buf; /* the buffer of the last call */
    size_t len;
} feed;

static eio_payload_format unit_format(const xvector *x)
{
    return x->units[0].binary ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
}

static void feed_init(feed *f, const xvector *x)
{
    memset(f, 0, sizeof *f);
    f->x = x;
    int rc = eio_payload_decoder_init(&f->d, x->version, unit_format(x), NULL);
    assert_int_equal(rc, 0);
}

/*
 * Pulls packets out of buf[0..len) until the decoder wants more, ends or
 * fails. Returns true while decoding may go on.
 */
static bool feed_step(feed *f, const uint8_t *buf, size_t len, bool final)
{
    const xvector *x = f->x;
    f->buf = buf;
    f->len = len;
    for (int guard = 0; guard < 1000000; guard++) {
        eio_packet p;
        f->rc = eio_payload_decoder_next(&f->d, buf, len, final, &p, &f->e);
        if (f->rc == EIO_PAYLOAD_PACKET) {
            if (x->is_error) {
                f->got++;
                continue;
            }
            if (f->got >= x->npackets) {
                failure("more packets than the %zu expected", x->npackets);
                f->failed = true;
                return false;
            }
            if (!same_packet(&p, &x->packets[f->got], f->got)) {
                f->failed = true;
                return false;
            }
            f->got++;
            continue;
        }
        if (f->rc == EIO_PAYLOAD_NEED_MORE) {
            if (final) {
                failure("NEED_MORE with final set");
                f->failed = true;
                return false;
            }
            return true;
        }
        return false; /* END or an error */
    }
    failure("the decoder does not stop");
    f->failed = true;
    return false;
}

/* Checks how a feeding ended. */
static void feed_finish(feed *f)
{
    const xvector *x = f->x;
    if (f->failed) {
        return;
    }
    if (x->is_error) {
        if (f->rc != x->error || f->e.code != x->error || f->e.offset != x->offset) {
            failure("got %s (%d) at %zu, expected %s at %zu",
                    f->rc < 0 && eio_error_name(f->rc) ? eio_error_name(f->rc) : "no error",
                    f->rc, f->e.offset, eio_error_name(x->error), x->offset);
            return;
        }
        /* errors are sticky (only checked where the last buffer is still alive) */
        if (f->buf != NULL) {
            eio_packet p;
            eio_errinfo e2 = {0, NULL, 0};
            int again = eio_payload_decoder_next(&f->d, f->buf, f->len, true, &p, &e2);
            if (again != x->error || e2.offset != x->offset) {
                failure("error not sticky: the next call gave %d at %zu", again, e2.offset);
            }
        }
        return;
    }
    if (f->rc < 0) {
        failure("%s at %zu (%s) after %zu packets", eio_error_name(f->rc), f->e.offset,
                f->e.msg ? f->e.msg : "", f->got);
        return;
    }
    if (f->rc != EIO_PAYLOAD_END) {
        failure("ended with status %d", f->rc);
        return;
    }
    if (f->got != x->npackets) {
        failure("%zu packets, expected %zu", f->got, x->npackets);
    }
}

static void feed_whole(const xvector *x, const uint8_t *buf, size_t len)
{
    feed f;
    feed_init(&f, x);
    feed_step(&f, buf, len, true);
    feed_finish(&f);
}

/* One byte more per call, all from one buffer holding the whole body. */
static void feed_bytes(const xvector *x, const uint8_t *body, size_t len)
{
    feed f;
    feed_init(&f, x);
    bool go = true;
    for (size_t i = 0; i < len && go; i++) {
        go = feed_step(&f, body, i, false);
    }
    if (go) {
        feed_step(&f, body, len, true);
    }
    feed_finish(&f);
}

/*
 * One byte more per call, the prefix moved each time so that it ends right
 * before the guard page: reading one byte past what was given faults.
 */
static void feed_bytes_guarded(const xvector *x, const uint8_t *body, size_t len)
{
    uint8_t *g = tu_guard_copy(body, len);
    assert_non_null(g);
    feed f;
    feed_init(&f, x);
    bool go = true;
    for (size_t i = 0; i < len && go; i++) {
        memcpy(g + len - i, body, i);
        go = feed_step(&f, g + len - i, i, false);
    }
    if (go) {
        memcpy(g, body, len);
        feed_step(&f, g, len, true);
    }
    feed_finish(&f);
    tu_guard_free(g, len);
}

/* Two calls: the first k bytes (not final), then the whole body (final). */
static void feed_split(const xvector *x, const uint8_t *body, size_t len, size_t k, bool guarded)
{
    feed f;
    feed_init(&f, x);
    bool go;
    if (guarded) {
        uint8_t *a = tu_guard_copy(body, k);
        assert_non_null(a);
        go = feed_step(&f, a, k, false);
        tu_guard_free(a, k);
        f.buf = NULL;
    } else {
        go = feed_step(&f, body, k, false);
    }
    if (go) {
        if (guarded) {
            uint8_t *b = tu_guard_copy(body, len);
            assert_non_null(b);
            feed_step(&f, b, len, true);
            feed_finish(&f);
            tu_guard_free(b, len);
            return;
        } else {
            feed_step(&f, body, len, true);
        }
    }
    feed_finish(&f);
}

static void encode_body(const xvector *x)
{
    eio_packet *pk = calloc(x->npackets + 1, sizeof *pk);
    assert_non_null(pk);
    bool has_binary = false;
    for (size_t i = 0; i < x->npackets; i++) {
        const xpacket *w = &x->packets[i];
        pk[i] = (eio_packet){(eio_packet_type)w->type, w->kind, w->data, w->len};
        has_binary = has_binary || w->kind == EIO_DATA_BINARY;
    }
    eio_payload_format fmt = unit_format(x);
    /* The format a server would pick must be the one the reference picked
       (the vectors that force the octet-stream format on text-only bodies
       aside). */
    if (fmt == EIO_PAYLOAD_TEXT || has_binary) {
        eio_payload_format want = eio_payload_format_for(x->version, pk, x->npackets, !x->b64);
        if (want != fmt) {
            failure("eio_payload_format_for gives %d, the unit is %d", (int)want, (int)fmt);
        }
    }
    const xunit *u = &x->units[0];
    size_t need = 0;
    int rc = eio_payload_encode(x->version, fmt, pk, x->npackets, NULL, 0, &need);
    if (rc != EIO_ERR_BUFFER_TOO_SMALL && !(rc == 0 && need == 0)) {
        failure("encode with no room gave %d", rc);
    } else if (need != u->len) {
        failure("encode needs %zu bytes, the unit has %zu", need, u->len);
    } else {
        uint8_t *out = malloc(need + 1);
        assert_non_null(out);
        size_t n = 0;
        rc = eio_payload_encode(x->version, fmt, pk, x->npackets, out, need, &n);
        if (rc != 0) {
            failure("encode failed %d", rc);
        } else if (n != u->len || memcmp(out, u->data, n) != 0) {
            size_t at = 0;
            while (at < n && at < u->len && out[at] == u->data[at]) {
                at++;
            }
            failure("encoded bytes differ from offset %zu", at);
        }
        free(out);
    }
    free(pk);
}

static void run_polling(const xvector *x)
{
    const uint8_t *body = x->units[0].data;
    size_t len = x->units[0].len;
    bool full = len <= FULL_SPLIT_MAX;

    cur_mode = "whole";
    feed_whole(x, body, len);
    cur_mode = "whole guarded";
    uint8_t *g = tu_guard_copy(body, len);
    assert_non_null(g);
    feed_whole(x, g, len);
    tu_guard_free(g, len);

    cur_mode = "byte by byte";
    feed_bytes(x, body, len);
    if (full) {
        cur_mode = "byte by byte guarded";
        feed_bytes_guarded(x, body, len);
    }

    size_t step = full ? 1 : len / SAMPLED_SPLITS;
    for (size_t k = 0; k <= len; k += step) {
        cur_mode = "split";
        feed_split(x, body, len, k, false);
        cur_mode = "split guarded";
        feed_split(x, body, len, k, true);
        if (!full && k < 64) {
            k = k + 1 - step; /* every offset near the start */
        }
        if (cur_stats->failures > 200) {
            break;
        }
    }
    if (!full) {
        for (size_t k = len > 64 ? len - 64 : 0; k <= len; k++) {
            cur_mode = "split near end";
            feed_split(x, body, len, k, true);
        }
    }
    if (!x->is_error && x->roundtrip) {
        cur_mode = "encode";
        encode_body(x);
    }
}

/* ---- per file --------------------------------------------------------------- */

/*
 * Runs `check` on every vector (line) of vectors/eio/<st->file>, then prints
 * the file's counts and fails the test if any vector failed.
 */
static void run_file(file_stats *st, void (*check)(json_t *j, file_stats *st))
{
    cur_stats = st;
    size_t len = 0;
    char rel[256];
    snprintf(rel, sizeof rel, "eio/%s", st->file);
    const char *path = tu_vector_path(rel);
    uint8_t *text = tu_read_file(path, &len);
    if (text == NULL) {
        fail_msg("cannot read %s", path);
    }
    char *line = (char *)text, *end = (char *)text + len;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n > 0) {
            json_error_t jerr;
            json_t *j = json_loadb(line, n, JSON_ALLOW_NUL, &jerr);
            if (j == NULL) {
                fail_msg("%s line %d: %s", st->file, jerr.line, jerr.text);
            }
            cur_name = json_string_value(json_object_get(j, "name"));
            assert_non_null(cur_name);
            cur_mode = NULL;
            st->vectors++;
            check(j, st);
            json_decref(j);
        }
        line += n + 1;
    }
    free(text);
    printf("vectors eio/%s: %d vectors (%d errors, %d encoded back), %d failures\n", st->file,
           st->vectors, st->errors, st->roundtrips, st->failures);
    fflush(stdout);
    if (st->vectors == 0) {
        fail_msg("%s has no vectors", path);
    }
    assert_int_equal(st->failures, 0);
}

static void check_vector(json_t *j, file_stats *st)
{
    xvector x;
    vector_from_json(j, &x);
    st->errors += x.is_error;
    st->roundtrips += !x.is_error && x.roundtrip;
    if (x.polling) {
        run_polling(&x);
    } else {
        run_websocket(&x);
    }
    vector_free(&x);
}

/* ---- handshake.jsonl --------------------------------------------------------- */

static void check_handshake(json_t *j, file_stats *st)
{
    json_t *js = json_object_get(j, "json");
    assert_true(json_is_string(js));
    const uint8_t *src = (const uint8_t *)json_string_value(js);
    size_t len = json_string_length(js);
    uint8_t *g = tu_guard_copy(src, len);
    assert_non_null(g);
    eio_handshake h;
    eio_errinfo e = {0, NULL, 0};
    memset(&h, 0xa5, sizeof h);
    int rc = eio_handshake_parse(g, len, &h, &e);
    json_t *err = json_object_get(j, "error");
    cur_mode = "parse";
    if (err != NULL) {
        st->errors++;
        int want = eio_error_from_name(json_string_value(err));
        assert_true(want < 0);
        json_t *off = json_object_get(j, "offset");
        if (rc != want || e.code != want) {
            failure("got %s (%d), expected %s", rc ? eio_error_name(rc) : "success", rc,
                    json_string_value(err));
        } else if (off != NULL && e.offset != (size_t)json_integer_value(off)) {
            failure("offset %zu, expected %lld", e.offset, (long long)json_integer_value(off));
        }
        tu_guard_free(g, len);
        return;
    }
    tu_guard_free(g, len);
    if (rc != 0) {
        failure("%s at %zu (%s)", eio_error_name(rc), e.offset, e.msg ? e.msg : "");
        return;
    }
    json_t *w = json_object_get(j, "handshake");
    assert_true(json_is_object(w));
    json_t *sid = json_object_get(w, "sid");
    assert_true(json_is_string(sid));
    if (h.sid_len != json_string_length(sid) ||
        memcmp(h.sid, json_string_value(sid), h.sid_len) != 0 || h.sid[h.sid_len] != '\0') {
        failure("sid differs");
    }
    unsigned up = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(w, "upgrades"), i, item) {
        if (strcmp(json_string_value(item), "websocket") == 0) {
            up |= EIO_UPGRADE_WEBSOCKET;
        } else if (strcmp(json_string_value(item), "webtransport") == 0) {
            up |= EIO_UPGRADE_WEBTRANSPORT;
        }
    }
    if (h.upgrades != up) {
        failure("upgrades 0x%x, expected 0x%x", h.upgrades, up);
    }
    if (h.ping_interval != (uint32_t)json_integer_value(json_object_get(w, "pingInterval"))) {
        failure("pingInterval %u", (unsigned)h.ping_interval);
    }
    if (h.ping_timeout != (uint32_t)json_integer_value(json_object_get(w, "pingTimeout"))) {
        failure("pingTimeout %u", (unsigned)h.ping_timeout);
    }
    json_t *mp = json_object_get(w, "maxPayload");
    if (mp != NULL) {
        if (!h.has_max_payload || h.max_payload != (uint64_t)json_integer_value(mp)) {
            failure("maxPayload missing or %llu", (unsigned long long)h.max_payload);
        }
    } else if (h.has_max_payload) {
        failure("maxPayload present, expected absent");
    }
    json_t *eio = json_object_get(j, "eio");
    if (eio != NULL && !json_is_false(json_object_get(j, "roundtrip"))) {
        cur_mode = "encode";
        st->roundtrips++;
        eio_version v = json_integer_value(eio) == 3 ? EIO_V3 : EIO_V4;
        size_t need = 0, n = 0;
        rc = eio_handshake_encode(v, &h, NULL, 0, &need);
        if (rc != EIO_ERR_BUFFER_TOO_SMALL || need != len) {
            failure("encode with no room: %d, needs %zu (expected %zu)", rc, need, len);
            return;
        }
        uint8_t *out = malloc(need + 1);
        assert_non_null(out);
        rc = eio_handshake_encode(v, &h, out, need, &n);
        if (rc != 0 || n != len || memcmp(out, src, len) != 0) {
            failure("encoded handshake differs (rc %d, %zu bytes)", rc, n);
        }
        free(out);
    }
}

/* One test per vector file; its name is the initial state. */
static void test_vector_file(void **state)
{
    file_stats st = {*state, 0, 0, 0, 0};
    run_file(&st, check_vector);
}

static void test_handshake(void **state)
{
    (void)state;
    file_stats st = {"handshake.jsonl", 0, 0, 0, 0};
    run_file(&st, check_handshake);
}

#define VECTOR_FILE_TEST(name, file) {#name, test_vector_file, NULL, NULL, (void *)(file)}

int main(void)
{
    const struct CMUnitTest tests[] = {
        VECTOR_FILE_TEST(test_packets, "packets.jsonl"),
        VECTOR_FILE_TEST(test_payload_v4, "payload-v4.jsonl"),
        VECTOR_FILE_TEST(test_payload_v3_text, "payload-v3-text.jsonl"),
        VECTOR_FILE_TEST(test_payload_v3_binary, "payload-v3-binary.jsonl"),
        VECTOR_FILE_TEST(test_errors, "errors.jsonl"),
        cmocka_unit_test(test_handshake),
    };
    return cmocka_run_group_tests_name("vectors_eio", tests, NULL, NULL);
}
