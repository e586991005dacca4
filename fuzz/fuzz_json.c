/*
 * Fuzz target for the JSON reader and writer.
 *
 * Every input is parsed; when accepted, it is written, the output must parse
 * again to an equal tree, and writing that tree must give the same bytes;
 * so must writing a deep copy (eio_json_clone) of the first tree.
 *
 * With SIOC_FUZZ_JANSSON, jansson (json_loadb, JSON_DECODE_ANY |
 * JSON_ALLOW_NUL, the same nesting limit of 2048) must agree on
 * accept/reject, except in the three documented classes of
 * tests/json_ref.h (docs/json.md). Any other disagreement aborts.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/json.h"

#ifdef SIOC_FUZZ_JANSSON
/* The comparison the differential test runs; compiled into this target so
 * the fuzz build needs no extra source file. */
#include "../tests/json_ref.c"
#endif

#define FUZZ_MAX_DEPTH 2048 /* jansson's fixed limit */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eio_arena a;
    eio_arena_init(&a, NULL, 1 << 16, (size_t)64 << 20);
    eio_json_options opt = {FUZZ_MAX_DEPTH, SIZE_MAX};
    eio_json *v = NULL;
    eio_errinfo ei;
    int rc = eio_json_parse(data, size, &opt, &a, &v, &ei);
    if (rc == EIO_ERR_NOMEM) {
        eio_arena_destroy(&a);
        return 0;
    }
    if (rc != 0 && (v != NULL || ei.code != rc || ei.offset > size || ei.msg == NULL)) {
        abort();
    }
    if (rc == 0) {
        size_t n = eio_json_write(v, NULL, 0);
        char *out = malloc(n ? n : 1);
        if (out == NULL || eio_json_write(v, out, n) != n) {
            abort();
        }
        eio_json *w = NULL;
        if (eio_json_parse((const uint8_t *)out, n, &opt, &a, &w, NULL) != 0) {
            abort();
        }
        if (!eio_json_equal(v, w) || !eio_json_equal(w, v)) {
            abort();
        }
        char *out2 = malloc(n ? n : 1);
        if (out2 == NULL || eio_json_write(w, out2, n) != n || memcmp(out, out2, n) != 0) {
            abort();
        }
        /* A deep copy, in an arena of its own, is the same tree and writes
           the same bytes. */
        eio_arena ca;
        eio_arena_init(&ca, NULL, 1 << 16, 0);
        const eio_json *c = eio_json_clone(&ca, v);
        if (c == NULL || !eio_json_equal(v, c) || eio_json_write(c, out2, n) != n ||
            memcmp(out, out2, n) != 0) {
            abort();
        }
        eio_arena_destroy(&ca);
        free(out2);
        free(out);
    }
#ifdef SIOC_FUZZ_JANSSON
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (json_ref_compare(data, size, rc, &ei, v, j) == JSON_REF_DISAGREE) {
        abort();
    }
    json_decref(j);
#endif
    eio_arena_destroy(&a);
    return 0;
}
