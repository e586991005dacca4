/*
 * Differential test of the JSON reader against jansson.
 *
 * Every vector of vectors/json/cases.jsonl, and a few hundred thousand
 * deterministic mutations of them, go through both readers. They must agree
 * on accept/reject, except in the three documented classes listed in
 * json_ref.h (docs/json.md), and when both accept, the trees must match.
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

#include "json_ref.h"
#include "sioc/json.h"
#include "test_util.h"

typedef struct stats {
    long both_accept, both_reject, big_int, nul_end, nul_key, total;
} stats;

static void compare_one(const uint8_t *in, size_t len, eio_arena *a, stats *st)
{
    eio_json_options opt = {JSON_REF_MAX_DEPTH, SIZE_MAX};
    eio_json *v = NULL;
    eio_errinfo ei;
    int rc = eio_json_parse(in, len, &opt, a, &v, &ei);
    json_error_t je;
    json_t *j = json_loadb((const char *)in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    st->total++;
    switch (json_ref_compare(in, len, rc, &ei, v, j)) {
    case JSON_REF_BOTH_ACCEPT:
        if (!json_ref_same_tree(v, j)) {
            fail_msg("trees differ for '%.*s'", (int)(len > 200 ? 200 : len), (const char *)in);
        }
        st->both_accept++;
        break;
    case JSON_REF_BOTH_REJECT:
        st->both_reject++;
        break;
    case JSON_REF_BIG_INT:
        st->big_int++;
        break;
    case JSON_REF_NUL_END:
        st->nul_end++;
        break;
    case JSON_REF_NUL_KEY:
        st->nul_key++;
        break;
    default:
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

static void free_inputs(uint8_t **inputs, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(inputs[i]);
    }
    free(inputs);
    free(lens);
}

static void print_stats(const char *what, const stats *st)
{
    print_message("%s: %ld inputs, %ld both accept, %ld both reject, %ld big integers, "
                  "%ld NUL skips, %ld NUL keys\n",
                  what, st->total, st->both_accept, st->both_reject, st->big_int, st->nul_end,
                  st->nul_key);
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
    print_stats("vectors", &st);
    assert_true(st.both_accept > 100);
    assert_true(st.both_reject > 100);
    assert_true(st.big_int > 0);
    free_inputs(inputs, lens, n);
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
    print_stats("mutations", &st);
    assert_true(st.both_accept > rounds / 20);
    free_inputs(inputs, lens, n);
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
