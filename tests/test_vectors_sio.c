/*
 * Replays every Socket.IO vector (each .jsonl file in vectors/sio/) through sio_decoder
 * (JSON or msgpack parser) and checks the packets, or the error code, offset
 * and message index; then encodes each decoded packet again and checks the
 * bytes equal the messages unless the vector says "roundtrip":false.
 *
 * jansson reads the vector files; the expected payload trees are built from
 * them with the library's builders and compared with eio_json_equal.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc/sio.h"
#include "sio_test_util.h"
#include "sioc/sio_msgpack.h"
#include "test_util.h"

#define MAX_MESSAGES 64
#define MAX_PACKETS 16

typedef struct message {
    uint8_t *bytes; /* guard copy */
    size_t len;
    bool binary;
} message;

typedef struct vec_ctx {
    const char *file;
    const char *name;
    int failures;
} vec_ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void report(vec_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: %s: ", c->file, c->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->failures++;
}

/* Base64 from a vector into a malloc'd buffer (non-NULL even when empty). */
static uint8_t *b64_bytes(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    size_t cap = eio_base64_decoded_max(n);
    uint8_t *out = malloc(cap + 1);
    assert_non_null(out);
    eio_errinfo err;
    int rc = eio_base64_decode((const uint8_t *)s, n, out, cap, out_len, &err);
    assert_int_equal(rc, 0);
    return out;
}

/* Builds the eio_json tree of an expected value; binaries are decoded into
   buffers kept in `keep` (freed by the caller). */
typedef struct keeplist {
    uint8_t *p[4096];
    size_t n;
} keeplist;

static eio_json *expected_tree(json_t *j, eio_arena *a, keeplist *keep)
{
    switch (json_typeof(j)) {
    case JSON_NULL:
        return eio_json_new_null(a);
    case JSON_TRUE:
        return eio_json_new_bool(a, true);
    case JSON_FALSE:
        return eio_json_new_bool(a, false);
    case JSON_INTEGER:
        return eio_json_new_int(a, (int64_t)json_integer_value(j));
    case JSON_REAL:
        return eio_json_new_double(a, json_real_value(j));
    case JSON_STRING:
        return eio_json_new_string(a, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        eio_json *arr = eio_json_new_array(a);
        assert_non_null(arr);
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e) {
            eio_json *c = expected_tree(e, a, keep);
            assert_non_null(c);
            assert_int_equal(eio_json_append(arr, c), 0);
        }
        return arr;
    }
    case JSON_OBJECT: {
        json_t *b = json_object_get(j, "$binary");
        if (b != NULL && json_object_size(j) == 1 && json_is_string(b)) {
            size_t len;
            uint8_t *bytes = b64_bytes(json_string_value(b), &len);
            assert_true(keep->n < sizeof keep->p / sizeof keep->p[0]);
            keep->p[keep->n++] = bytes;
            return eio_json_new_binary(a, bytes, len);
        }
        if (json_object_get(j, "$undefined") != NULL && json_object_size(j) == 1) {
            return eio_json_new_undefined(a);
        }
        eio_json *obj = eio_json_new_object(a);
        assert_non_null(obj);
        const char *key;
        size_t klen;
        json_t *e;
        void *tmp;
        json_object_keylen_foreach_safe(j, tmp, key, klen, e) {
            eio_json *c = expected_tree(e, a, keep);
            assert_non_null(c);
            assert_int_equal(eio_json_put(a, obj, key, klen, c), 0);
        }
        return obj;
    }
    }
    return NULL;
}

static void check_packet(vec_ctx *c, size_t k, const sio_packet *p, json_t *want, eio_arena *a,
                         keeplist *keep)
{
    const char *tname = json_string_value(json_object_get(want, "type"));
    const char *gname = sio_packet_type_name((int)p->type);
    if (tname == NULL || gname == NULL || strcmp(tname, gname) != 0) {
        report(c, "packet %zu: type %s, expected %s", k, gname ? gname : "?", tname ? tname : "?");
        return;
    }
    json_t *nsp = json_object_get(want, "nsp");
    if (!tu_slice_eq(p->nsp, json_string_value(nsp), json_string_length(nsp))) {
        report(c, "packet %zu: nsp '%.*s', expected '%s'", k, (int)p->nsp.len,
               (const char *)p->nsp.ptr, json_string_value(nsp));
    }
    json_t *q = json_object_get(want, "query");
    if (q != NULL ? !tu_slice_eq(p->query, json_string_value(q), json_string_length(q))
                  : p->query.len != 0) {
        report(c, "packet %zu: query '%.*s', expected '%s'", k, (int)p->query.len,
               p->query.ptr ? (const char *)p->query.ptr : "", q ? json_string_value(q) : "");
    }
    json_t *id = json_object_get(want, "id");
    if (id != NULL) {
        uint64_t wid = (uint64_t)json_number_value(id);
        if (!p->has_id || p->id != wid) {
            report(c, "packet %zu: id %s%llu, expected %llu", k, p->has_id ? "" : "(none) ",
                   (unsigned long long)p->id, (unsigned long long)wid);
        }
    } else if (p->has_id) {
        report(c, "packet %zu: unexpected id %llu", k, (unsigned long long)p->id);
    }
    json_t *data = json_object_get(want, "data");
    if (data == NULL) {
        if (p->data != NULL) {
            report(c, "packet %zu: unexpected data (type %d)", k, p->data->type);
        }
        return;
    }
    if (p->data == NULL) {
        report(c, "packet %zu: data missing", k);
        return;
    }
    eio_json *exp = expected_tree(data, a, keep);
    assert_non_null(exp);
    if (!eio_json_equal(p->data, exp)) {
        char buf[300];
        size_t n = eio_json_write(p->data, buf, sizeof buf - 1);
        buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = 0;
        report(c, "packet %zu: data differs; got %s", k, buf);
    }
}

/* Encodes a decoded packet again and compares with messages[first..]. */
static void check_roundtrip(vec_ctx *c, sio_version v, sio_parser parser, const sio_packet *p,
                            const message *msgs, size_t nmsgs, size_t first)
{
    size_t need = 0;
    int rc;
    if (parser == SIO_PARSER_MSGPACK) {
        rc = sio_msgpack_encode(p, NULL, 0, &need);
    } else {
        rc = sio_packet_encode(v, p, NULL, 0, &need);
    }
    if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        report(c, "encode (measure) failed: %s", eio_error_name(rc));
        return;
    }
    uint8_t *out = malloc(need + 1);
    assert_non_null(out);
    size_t got = 0;
    if (parser == SIO_PARSER_MSGPACK) {
        rc = sio_msgpack_encode(p, out, need, &got);
    } else {
        rc = sio_packet_encode(v, p, out, need, &got);
    }
    if (rc != 0) {
        report(c, "encode failed: %s", eio_error_name(rc));
    } else if (first >= nmsgs || got != msgs[first].len ||
               (got > 0 && memcmp(out, msgs[first].bytes, got) != 0)) {
        report(c, "message %zu: encoding gives '%.*s' (%zu bytes), expected %zu bytes", first,
               (int)(got < 200 ? got : 200), (const char *)out, got,
               first < nmsgs ? msgs[first].len : 0);
    }
    free(out);
    if (parser == SIO_PARSER_MSGPACK) {
        return;
    }
    const eio_json *att[64];
    size_t n = sio_packet_attachments(p, att, 64);
    size_t expect_n = (p->type == SIO_PACKET_BINARY_EVENT || p->type == SIO_PACKET_BINARY_ACK)
                          ? p->attachments
                          : 0;
    if (n != expect_n) {
        report(c, "message %zu: %zu attachments, %zu announced", first, n, expect_n);
        return;
    }
    for (size_t i = 0; i < n && i < 64; i++) {
        size_t m = first + 1 + i;
        if (m >= nmsgs || !msgs[m].binary || att[i]->u.str.len != msgs[m].len ||
            (msgs[m].len > 0 && memcmp(att[i]->u.str.ptr, msgs[m].bytes, msgs[m].len) != 0)) {
            report(c, "attachment %zu differs from message %zu", i, m);
        }
    }
}

static void run_vector(vec_ctx *c, json_t *v, size_t *skipped)
{
    json_t *jname = json_object_get(v, "name");
    c->name = json_is_string(jname) ? json_string_value(jname) : "(unnamed)";
    int sio = (int)json_number_value(json_object_get(v, "sio"));
    const char *pname = json_string_value(json_object_get(v, "parser"));
    assert_true(sio == 4 || sio == 5);
    assert_non_null(pname);
    sio_parser parser = strcmp(pname, "msgpack") == 0 ? SIO_PARSER_MSGPACK : SIO_PARSER_JSON;
    if (parser == SIO_PARSER_MSGPACK && !sio_msgpack_available()) {
        (*skipped)++;
        return;
    }
    sio_version ver = sio == 4 ? SIO_V4 : SIO_V5;

    json_t *jmsgs = json_object_get(v, "messages");
    size_t nmsgs = json_array_size(jmsgs);
    assert_true(nmsgs > 0 && nmsgs <= MAX_MESSAGES);
    message msgs[MAX_MESSAGES];
    for (size_t i = 0; i < nmsgs; i++) {
        json_t *m = json_array_get(jmsgs, i);
        json_t *t = json_object_get(m, "text");
        json_t *b = json_object_get(m, "binary");
        json_t *tb = json_object_get(m, "text_base64");
        uint8_t *raw;
        size_t len;
        if (t != NULL) {
            len = json_string_length(t);
            raw = malloc(len + 1);
            assert_non_null(raw);
            memcpy(raw, json_string_value(t), len);
            msgs[i].binary = false;
        } else {
            assert_true(b != NULL || tb != NULL);
            raw = b64_bytes(json_string_value(b != NULL ? b : tb), &len);
            msgs[i].binary = b != NULL;
        }
        msgs[i].bytes = tu_guard_copy(raw, len);
        assert_non_null(msgs[i].bytes);
        msgs[i].len = len;
        free(raw);
    }

    json_t *jerr = json_object_get(v, "error");
    json_t *jpackets = json_object_get(v, "packets");
    bool roundtrip = !json_is_false(json_object_get(v, "roundtrip"));
    int want_code = 0;
    size_t want_offset = 0, want_message = 0;
    if (jerr != NULL) {
        want_code = eio_error_from_name(json_string_value(jerr));
        assert_true(want_code < 0);
        want_offset = (size_t)json_number_value(json_object_get(v, "offset"));
        want_message = (size_t)json_number_value(json_object_get(v, "message"));
        assert_true(want_message < nmsgs);
    } else {
        assert_non_null(jpackets);
    }

    eio_arena arena;
    eio_arena_init(&arena, NULL, 0, 0);
    keeplist *keep = calloc(1, sizeof *keep);
    assert_non_null(keep);
    sio_decoder d;
    assert_int_equal(sio_decoder_init(&d, ver, parser, NULL, &arena, 0), 0);

    sio_packet got[MAX_PACKETS];
    size_t first_msg[MAX_PACKETS];
    size_t npk = 0, start = 0;
    bool failed_early = false;
    for (size_t i = 0; i < nmsgs; i++) {
        sio_packet p;
        eio_errinfo err = {0, NULL, 0};
        int rc = sio_decoder_feed(&d, msgs[i].bytes, msgs[i].len, msgs[i].binary, &p, &err);
        if (jerr != NULL && i == want_message) {
            if (rc != want_code || err.code != want_code || err.offset != want_offset) {
                report(c, "message %zu: got %s at offset %zu, expected %s at %zu", i,
                       rc < 0 ? eio_error_name(rc) : (rc == 1 ? "a packet" : "need-more"),
                       err.offset, json_string_value(jerr), want_offset);
            } else if (err.msg == NULL) {
                report(c, "error without a message");
            }
            break;
        }
        if (rc < 0) {
            report(c, "message %zu: unexpected %s at offset %zu (%s)", i, eio_error_name(rc),
                   err.offset, err.msg ? err.msg : "");
            failed_early = true;
            break;
        }
        if (rc == SIO_DECODER_PACKET) {
            assert_true(npk < MAX_PACKETS);
            first_msg[npk] = start;
            got[npk++] = p;
            start = i + 1;
        } else if (rc != SIO_DECODER_NEED_MORE) {
            report(c, "message %zu: status %d", i, rc);
        }
    }

    if (jerr == NULL && !failed_early) {
        size_t nwant = json_array_size(jpackets);
        if (npk != nwant || sio_decoder_pending(&d)) {
            report(c, "%zu packets decoded, expected %zu%s", npk, nwant,
                   sio_decoder_pending(&d) ? " (attachments still pending)" : "");
        } else {
            for (size_t k = 0; k < npk; k++) {
                check_packet(c, k, &got[k], json_array_get(jpackets, k), &arena, keep);
                if (roundtrip) {
                    check_roundtrip(c, ver, parser, &got[k], msgs, nmsgs, first_msg[k]);
                }
            }
        }
    }

    for (size_t i = 0; i < keep->n; i++) {
        free(keep->p[i]);
    }
    free(keep);
    eio_arena_destroy(&arena);
    for (size_t i = 0; i < nmsgs; i++) {
        tu_guard_free(msgs[i].bytes, msgs[i].len);
    }
}

typedef struct file_state {
    char path[4096];
    char file[256];
} file_state;

static void test_file(void **state)
{
    file_state *fs = *state;
    json_error_t jerr;
    FILE *f = fopen(fs->path, "rb");
    assert_non_null(f);
    vec_ctx c = {fs->file, "", 0};
    size_t count = 0, skipped = 0, lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n <= 1) {
            continue;
        }
        json_t *v = json_loadb(line, (size_t)n, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
        if (v == NULL) {
            fprintf(stderr, "%s:%zu: %s\n", fs->file, lineno, jerr.text);
            fail();
        }
        run_vector(&c, v, &skipped);
        json_decref(v);
        count++;
    }
    free(line);
    fclose(f);
    printf("%s: %zu vectors, %zu failed, %zu skipped\n", fs->file, count, (size_t)c.failures,
           skipped);
    assert_true(count > 0);
    assert_int_equal(c.failures, 0);
    if (skipped == count) {
        printf("SKIP %s: this build has no msgpack parser (sio_msgpack_available() is false)\n",
               fs->file);
        skip();
    } else if (skipped > 0) {
        printf("SKIP %zu msgpack vectors of %s: this build has no msgpack parser\n", skipped,
               fs->file);
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const file_state *)a)->file, ((const file_state *)b)->file);
}

int main(void)
{
    static file_state files[32];
    static struct CMUnitTest tests[32];
    size_t n = 0;
    const char *dir = tu_vector_path("sio");
    char dirpath[3800];
    snprintf(dirpath, sizeof dirpath, "%s", dir);
    DIR *d = opendir(dirpath);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 32) {
            size_t len = strlen(e->d_name);
            if (len > 6 && strcmp(e->d_name + len - 6, ".jsonl") == 0 && len < 256) {
                snprintf(files[n].file, sizeof files[n].file, "%s", e->d_name);
                snprintf(files[n].path, sizeof files[n].path, "%s/%s", dirpath, e->d_name);
                n++;
            }
        }
        closedir(d);
    }
    if (n == 0) {
        fprintf(stderr, "no vector file found in %s\n", dirpath);
        return 1;
    }
    qsort(files, n, sizeof files[0], cmp_names);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = files[i].file;
        tests[i].test_func = test_file;
        tests[i].setup_func = NULL;
        tests[i].teardown_func = NULL;
        tests[i].initial_state = &files[i];
    }
    return _cmocka_run_group_tests("vectors_sio", tests, n, NULL, NULL);
}
