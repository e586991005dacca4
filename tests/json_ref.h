/*
 * sioc's JSON reader against jansson (json_loadb with JSON_DECODE_ANY |
 * JSON_ALLOW_NUL), as the differential test and the JSON fuzz target run it.
 *
 * The two readers must agree on accept/reject except in three documented
 * classes (docs/json.md, "Where we differ from jansson"):
 *   1. an integer literal (no '.', 'e' or 'E') outside int64_t: jansson
 *      rejects it ("too big integer"); we accept it as a double;
 *   2. a NUL byte right after a number or a true/false/null literal: jansson
 *      skips one such byte ("[1\0]" is [1] to it); we reject the NUL;
 *   3. an object key containing U+0000 (from \u0000): jansson rejects it
 *      ("NUL byte in object key not supported"); we accept it.
 */
#ifndef SIOC_JSON_REF_H
#define SIOC_JSON_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sioc/json.h"

/* jansson's fixed nesting limit; our reader gets the same for the comparison. */
#define JSON_REF_MAX_DEPTH 2048

typedef enum json_ref_verdict {
    JSON_REF_BOTH_ACCEPT,
    JSON_REF_BOTH_REJECT,
    JSON_REF_BIG_INT,  /* class 1 */
    JSON_REF_NUL_END,  /* class 2 */
    JSON_REF_NUL_KEY,  /* class 3 */
    JSON_REF_DISAGREE, /* none of the above: a fault in one of the readers */
} json_ref_verdict;

/*
 * Judges one input: rc, err (read only when rc != 0) and v are what
 * eio_json_parse (max_depth JSON_REF_MAX_DEPTH) gave for in[0..len), j what
 * json_loadb gave.
 */
json_ref_verdict json_ref_compare(const uint8_t *in, size_t len, int rc, const eio_errinfo *err,
                                  const eio_json *v, const json_t *j);

/*
 * True when both trees hold the same thing: same types (jansson integer =
 * INT, real = DOUBLE, bit for bit), same string bytes, same arrays, objects
 * with the same keys and values (jansson keeps the last of duplicate keys,
 * as eio_json_get does).
 */
bool json_ref_same_tree(const eio_json *v, const json_t *j);

#endif
