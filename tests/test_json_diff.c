/*
 * Differential test of the JSON reader against jansson.
 *
 * Every vector of vectors/json/cases.jsonl, and a few hundred thousand
 * deterministic mutations of them, go through both readers. They must agree
 * on accept/reject, except for one documented class (docs/json.md):
 *
 *   an integer literal (no '.', 'e' or 'E') outside int64_t: jansson
 *   rejects it ("too big integer"); we accept it as a double.
 *
 *   a NUL byte right after a number or a true/false/null literal: jansson
 *   skips one such byte ("[1\0]" is [1] to it); we reject the NUL.
 *
 *   an object key containing U+0000 (from \u0000): jansson rejects it
 *   ("NUL byte in object key not supported"); we accept it.
 *
 * When both accept, the trees must match: same types (jansson integer = our
 * INT, real = DOUBLE, bit-for-bit the same value), same string bytes, same
 * arrays, and objects with the same keys and values (jansson keeps the last
 * of duplicate keys, as eio_json_get does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sioc/json.h"
#include "test_util.h"

/* jansson's fixed nesting limit; our reader gets the same for the comparison. */
#define JANSSON_MAX_DEPTH 2048

static bool is_last_of_key(const eio_json *m)
{
    for (const eio_json *x = m->next; x != NULL; x = x->next) {
        if (x->key_len == m->key_len && memcmp(x->key, m->key, m->key_len) == 0) {
            return false;
        }
    }
    return true;
}

static bool same_tree(const eio_json *v, json_t *j)
{
    switch (v->type) {
    case EIO_JSON_NULL:
        return json_is_null(j);
    case EIO_JSON_BOOL:
        return v->u.b ? json_is_true(j) : json_is_false(j);
    case EIO_JSON_INT:
        return json_is_integer(j) && json_integer_value(j) == v->u.i;
    case EIO_JSON_DOUBLE:
        return json_is_real(j) && memcmp(&(double){json_real_value(j)}, &v->u.d, sizeof(double)) == 0;
    case EIO_JSON_STRING:
        return json_is_string(j) && json_string_length(j) == v->u.str.len &&
               memcmp(json_string_value(j), v->u.str.ptr, v->u.str.len) == 0;
    case EIO_JSON_ARRAY: {
        if (!json_is_array(j) || json_array_size(j) != v->u.c.count) {
            return false;
        }
        size_t i = 0;
        for (const eio_json *m = v->u.c.first; m != NULL; m = m->next, i++) {
            if (!same_tree(m, json_array_get(j, i))) {
                return false;
            }
        }
        return true;
    }
    case EIO_JSON_OBJECT: {
        if (!json_is_object(j)) {
            return false;
        }
        size_t distinct = 0;
        for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
            if (!is_last_of_key(m)) {
                continue;
            }
            distinct++;
            json_t *jm = json_object_getn(j, m->key, m->key_len);
            if (jm == NULL || !same_tree(m, jm)) {
                return false;
            }
        }
        return distinct == json_object_size(j);
    }
    default:
        return false;
    }
}

/* The one class where jansson rejects what we accept. */
static bool big_integer_literal(const uint8_t *in, size_t len)
{
    /* A run of digits without fraction or exponent outside int64_t, found
     * by scanning the (accepted, so well-formed) input outside strings. */
    for (size_t i = 0; i < len;) {
        if (in[i] == '"') { /* skip strings */
            i++;
            while (i < len && in[i] != '"') {
                i += in[i] == '\\' ? 2 : 1;
            }
            i++;
            continue;
        }
        if (in[i] == '-' || (in[i] >= '0' && in[i] <= '9')) {
            size_t s = i;
            if (in[i] == '-') {
                i++;
            }
            size_t ds = i;
            while (i < len && in[i] >= '0' && in[i] <= '9') {
                i++;
            }
            bool frac = i < len && (in[i] == '.' || in[i] == 'e' || in[i] == 'E');
            while (i < len && ((in[i] >= '0' && in[i] <= '9') || in[i] == '.' || in[i] == 'e' ||
                               in[i] == 'E' || in[i] == '+' || in[i] == '-')) {
                i++;
            }
            if (!frac) {
                size_t nd = i - ds;
                if (nd > 19) {
                    return true;
                }
                if (nd == 19) {
                    const char *lim = in[s] == '-' ? "9223372036854775808" : "9223372036854775807";
                    if (memcmp(in + ds, lim, 19) > 0) {
                        return true;
                    }
                }
            }
            continue;
        }
        i++;
    }
    return false;
}

static bool has_nul_key(const eio_json *v)
{
    if (v->type != EIO_JSON_ARRAY && v->type != EIO_JSON_OBJECT) {
        return false;
    }
    for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
        if (v->type == EIO_JSON_OBJECT && memchr(m->key, 0, m->key_len) != NULL) {
            return true;
        }
        if (has_nul_key(m)) {
            return true;
        }
    }
    return false;
}

/* Class 2: jansson skips one NUL byte right after a number or a
 * true/false/null literal. True when deleting every such NUL where our
 * reader stops makes it accept the input. */
static bool nul_after_scalar(const uint8_t *in, size_t len, int rc, size_t off)
{
    if (rc == 0 || len == 0) {
        return false;
    }
    uint8_t *copy = malloc(len);
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, in, len);
    bool result = false;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    eio_json_options opt = {2048, SIZE_MAX};
    for (;;) {
        if (off == 0 || off >= len || copy[off] != 0) {
            break;
        }
        uint8_t p = copy[off - 1];
        if (!((p >= '0' && p <= '9') || p == 'e' || p == 'l')) {
            break;
        }
        memmove(copy + off, copy + off + 1, len - off - 1);
        len--;
        eio_json *v;
        eio_errinfo ei;
        eio_arena_reset(&a);
        rc = eio_json_parse(copy, len, &opt, &a, &v, &ei);
        if (rc == 0) {
            result = true;
            break;
        }
        off = ei.offset;
    }
    eio_arena_destroy(&a);
    free(copy);
    return result;
}

typedef struct stats {
    long both_accept, both_reject, big_int, nul_end, nul_key, total;
} stats;

static void compare_one(const uint8_t *in, size_t len, eio_arena *a, stats *st)
{
    eio_json_options opt = {JANSSON_MAX_DEPTH, SIZE_MAX};
    eio_json *v = NULL;
    eio_errinfo ei;
    int rc = eio_json_parse(in, len, &opt, a, &v, &ei);
    json_error_t je;
    json_t *j = json_loadb((const char *)in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    st->total++;
    if (rc == 0 && j != NULL) {
        if (!same_tree(v, j)) {
            fail_msg("trees differ for '%.*s'", (int)(len > 200 ? 200 : len), (const char *)in);
        }
        st->both_accept++;
    } else if (rc != 0 && j == NULL) {
        st->both_reject++;
    } else if (rc == 0 && big_integer_literal(in, len)) {
        st->big_int++;
    } else if (j != NULL && nul_after_scalar(in, len, rc, ei.offset)) {
        st->nul_end++;
    } else if (rc == 0 && has_nul_key(v)) {
        st->nul_key++;
    } else {
        fail_msg("disagree on '%.*s' (%zu bytes): sioc %s at %zu (%s), jansson %s",
                 (int)(len > 200 ? 200 : len), (const char *)in, len,
                 rc ? eio_error_name(rc) : "accepts", rc ? ei.offset : 0, rc ? ei.msg : "",
                 j ? "accepts" : je.text);
    }
    json_decref(j);
    eio_arena_reset(a);
}

/* Loads the raw inputs of cases.jsonl. */
static size_t load_inputs(uint8_t ***inputs, size_t **lens)
{
    size_t flen = 0;
    uint8_t *text = tu_read_file(tu_vector_path("json/cases.jsonl"), &flen);
    assert_non_null(text);
    size_t n = 0, cap = 512;
    *inputs = malloc(cap * sizeof **inputs);
    *lens = malloc(cap * sizeof **lens);
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t je;
        json_t *c = json_loads(line, JSON_ALLOW_NUL, &je);
        assert_non_null(c);
        json_t *in = json_object_get(c, "input");
        json_t *hex = json_object_get(c, "input_hex");
        uint8_t *buf;
        size_t bl;
        if (in != NULL) {
            bl = json_string_length(in);
            buf = malloc(bl + 1);
            memcpy(buf, json_string_value(in), bl);
        } else {
            const char *h = json_string_value(hex);
            bl = strlen(h) / 2;
            buf = malloc(bl + 1);
            for (size_t i = 0; i < bl; i++) {
                unsigned x;
                sscanf(h + 2 * i, "%2x", &x);
                buf[i] = (uint8_t)x;
            }
        }
        if (n == cap) {
            cap *= 2;
            *inputs = realloc(*inputs, cap * sizeof **inputs);
            *lens = realloc(*lens, cap * sizeof **lens);
        }
        (*inputs)[n] = buf;
        (*lens)[n] = bl;
        n++;
        json_decref(c);
    }
    free(text);
    return n;
}

static void vectors_agree(void **state)
{
    (void)state;
    uint8_t **inputs;
    size_t *lens;
    size_t n = load_inputs(&inputs, &lens);
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    stats st = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        compare_one(inputs[i], lens[i], &a, &st);
    }
    print_message("vectors: %ld inputs, %ld both accept, %ld both reject, %ld big integers, %ld NUL skips, %ld NUL keys\n",
                  st.total, st.both_accept, st.both_reject, st.big_int, st.nul_end, st.nul_key);
    assert_true(st.both_accept > 100);
    assert_true(st.both_reject > 100);
    assert_true(st.big_int > 0);
    for (size_t i = 0; i < n; i++) {
        free(inputs[i]);
    }
    free(inputs);
    free(lens);
    eio_arena_destroy(&a);
}

static uint64_t rng_state = 0x243F6A8885A308D3u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Bytes that tend to make interesting JSON when spliced in. */
static const char *const tokens[] = {
    "\"", "\\", "\\u", "\\ud800", "\\udc00", "{", "}", "[", "]", ",", ":", "0", "-", ".",
    "e", "E+", "1e400", "9223372036854775808", "-9223372036854775809", "true", "null",
    "\xc3\xa9", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x01", " ", "\n", "\t",
    "\"a\":", "1.5", "00", "\xef\xbb\xbf", "\\n", "\\u0000", "\x7f", "\xf0\x9f\x98\x80",
};

static void mutations_agree(void **state)
{
    (void)state;
    uint8_t **inputs;
    size_t *lens;
    size_t n = load_inputs(&inputs, &lens);
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    stats st = {0, 0, 0, 0, 0, 0};
    uint8_t buf[4096];
    const long rounds = 200000;
    for (long r = 0; r < rounds; r++) {
        size_t k = (size_t)(rng() % n);
        size_t len = lens[k] < sizeof buf ? lens[k] : sizeof buf;
        memcpy(buf, inputs[k], len);
        int edits = 1 + (int)(rng() % 3);
        for (int e = 0; e < edits; e++) {
            size_t pos = len ? (size_t)(rng() % (len + 1)) : 0;
            switch (rng() % 4) {
            case 0: /* flip a byte */
                if (pos < len) {
                    buf[pos] = (uint8_t)rng();
                }
                break;
            case 1: /* delete a byte */
                if (pos < len) {
                    memmove(buf + pos, buf + pos + 1, len - pos - 1);
                    len--;
                }
                break;
            case 2: { /* insert a token */
                const char *t = tokens[rng() % (sizeof tokens / sizeof tokens[0])];
                size_t tl = strlen(t);
                if (len + tl <= sizeof buf) {
                    memmove(buf + pos + tl, buf + pos, len - pos);
                    memcpy(buf + pos, t, tl);
                    len += tl;
                }
                break;
            }
            default: /* truncate */
                len = pos;
                break;
            }
        }
        uint8_t *g = tu_guard_copy(buf, len);
        compare_one(g, len, &a, &st);
        tu_guard_free(g, len);
    }
    print_message("mutations: %ld inputs, %ld both accept, %ld both reject, %ld big integers, %ld NUL skips, %ld NUL keys\n",
                  st.total, st.both_accept, st.both_reject, st.big_int, st.nul_end, st.nul_key);
    assert_true(st.both_accept > rounds / 20);
    for (size_t i = 0; i < n; i++) {
        free(inputs[i]);
    }
    free(inputs);
    free(lens);
    eio_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_agree),
        cmocka_unit_test(mutations_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
