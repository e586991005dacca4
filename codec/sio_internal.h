/*
 * sio_internal.h - internals shared by the Socket.IO codec's source files
 * (sio_header.c, sio_packet.c, sio_decoder.c, sio_msgpack.c). Not installed;
 * nothing here is exported from the shared library.
 *
 * The checks below are the single definition of what a valid Socket.IO
 * packet is, whichever parser produced the tree; the msgpack parser calls
 * them on its decoded map so both parsers reject the same packets with the
 * same codes:
 *
 *   sio_limits_resolve      zero fields of a caller's sio_limits -> defaults
 *   sio_event_reserved      is an (already unescaped) event name reserved?
 *   sio_check_namespace     '/' first, length limit, valid UTF-8
 *   sio_check_payload       the payload tree against the packet type
 *                           (CONNECT object or absent, DISCONNECT absent,
 *                           EVENT non-empty array whose first element is a
 *                           string or a number and not a reserved name,
 *                           ACK array, CONNECT_ERROR string or object)
 *   sio_check_depth         nesting of a tree against max_depth
 *   sio_fail                fill an eio_errinfo (NULL allowed), return code
 *
 * Every check returns 0 or a negative SIO_ERR_* / EIO_ERR_* code and fills
 * `err` (when not NULL) with that code, a static message and `offset` (or
 * an offset derived from it, as documented per function). Trees have no
 * byte offsets, so callers pass the best offset they have (the msgpack
 * parser: the offset of the map value being checked; the text parser: the
 * offset of the payload, or of the first array element for events).
 */
#ifndef SIOC_SIO_INTERNAL_H
#define SIOC_SIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sioc/sio.h"

/* Fills *err (when not NULL) with code, eio_strerror(code) and offset; returns code. */
int sio_fail(eio_errinfo *err, int code, size_t offset);

/* Copies `in` (NULL: all defaults) into `out`, replacing zero fields by the defaults. */
void sio_limits_resolve(const sio_limits *in, sio_limits *out);

/*
 * Whether name[0..len) (decoded bytes, not JSON text) is one of the names
 * the reference refuses as events: connect, connect_error, disconnect,
 * disconnecting, newListener, removeListener. Exact, case-sensitive.
 */
bool sio_event_reserved(const char *name, size_t len);

/*
 * Checks a namespace given as bytes nsp[0..len) (without query): starts
 * with '/' (else SIO_ERR_BAD_NAMESPACE at `offset`), len + query_len at
 * most lim->max_namespace (else SIO_ERR_NAMESPACE_TOO_LONG at `offset`),
 * valid UTF-8 (else SIO_ERR_BAD_NAMESPACE at offset + index of the bad
 * byte). `lim` must be resolved (no zero fields). `query_len` is the
 * length of a separate query, 0 if none (pass 0 when the query is still
 * part of nsp).
 */
int sio_check_namespace(const uint8_t *nsp, size_t len, size_t query_len, const sio_limits *lim,
                        eio_errinfo *err, size_t offset);

/*
 * Checks that `data` (NULL: no payload) is what packet `type` requires.
 * BINARY_EVENT is checked as EVENT and BINARY_ACK as ACK. All errors are
 * reported at `offset`. Codes: SIO_ERR_INVALID_TYPE (type not 0-6),
 * SIO_ERR_MISSING_PAYLOAD, SIO_ERR_EVENT_NOT_ARRAY, SIO_ERR_EVENT_EMPTY,
 * SIO_ERR_EVENT_NAME, SIO_ERR_EVENT_RESERVED, SIO_ERR_ACK_NOT_ARRAY,
 * SIO_ERR_CONNECT_NOT_OBJECT, SIO_ERR_DISCONNECT_PAYLOAD,
 * SIO_ERR_CONNECT_ERROR_PAYLOAD. A root EIO_JSON_UNDEFINED counts as
 * absent (as the reference's `payload === undefined`). Does not recurse:
 * depth is sio_check_depth's job.
 */
int sio_check_payload(sio_packet_type type, const eio_json *data, eio_errinfo *err,
                      size_t offset);

/*
 * Checks that `data` nests at most `max_depth` arrays/objects (a root
 * array is depth 1; scalars are 0). Iterative, no recursion. Returns 0 or
 * SIO_ERR_DEPTH at `offset`.
 */
int sio_check_depth(const eio_json *data, size_t max_depth, eio_errinfo *err, size_t offset);

/*
 * sio_header_decode's worker. `full` = true is the mode sio_packet_decode
 * uses: for events the first array element is only located (event.ptr =
 * its first byte after white space, event.len = 0, event_kind NONE), not
 * scanned nor checked, because the JSON reader and sio_check_payload do
 * that on the tree; every other check is the same.
 */
int sio_header_parse(sio_version v, const uint8_t *buf, size_t len, const sio_limits *lim,
                     bool full, sio_header *out, eio_errinfo *err);

/*
 * Visits the value nodes of `root` the way JavaScript sees the object the
 * tree stands for, in the order eio_json_write writes them: the root, then
 * depth first; object members with array-index keys first in ascending
 * numeric order, then the other keys in first-appearance order, a key
 * given twice visited once with its last value (earlier duplicates are
 * invisible, as after JSON.parse). This is the order placeholders are
 * numbered in, so binary nodes met here are attachments 0, 1, 2...
 *
 * fn(ctx, node, depth) gets depth = number of enclosing arrays/objects
 * (0 for the root) and returns 0 to continue (into the node's children
 * when it is a container), 1 to skip the node's children, or a negative
 * code that stops the walk and is returned. Returns 0 when done.
 * Uses a fixed stack and recurses once per 64 levels of nesting.
 */
typedef int (*sio_visit_fn)(void *ctx, eio_json *node, size_t depth);
int sio_visit(eio_json *root, sio_visit_fn fn, void *ctx);

#endif /* SIOC_SIO_INTERNAL_H */
