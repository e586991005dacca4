/*
 * sioc_sio.h - Socket.IO packets as JSON lines for the sioc command line:
 *
 *   {"type":"EVENT","nsp":"/admin","id":12,"data":["msg",{"$binary":"AQID"}]}
 *
 * `type` is the wire name (sio_packet_type_name), `nsp` always, `query`
 * (v4) when not empty, `id` and `data` when present; binary values are
 * {"$binary":"<base64>"} and JavaScript's undefined {"$undefined":true}.
 */
#ifndef SIOC_SIO_LINES_H
#define SIOC_SIO_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "sioc/sio.h"
#include "sioc_jsonl.h"

/**
 * Whether a line's "type" is meant as a Socket.IO type: it starts with an
 * upper-case letter (Engine.IO type names are lower case).
 */
bool sioc_sio_type_like(const char *name, size_t len);

/**
 * The Socket.IO packet type named `name` for protocol `v` (v4 also takes
 * ERROR, its name for CONNECT_ERROR), or -1.
 */
int sioc_sio_type_from_name(sio_version v, const char *name, size_t len);

/**
 * Appends the line for `p` to `b` (no newline). Objects are written as
 * JSON.stringify would write the decoded value: keys that are array
 * indices first in numeric order, a duplicated key once, at its first
 * place, with its last value. Allocation failures set b->nomem.
 */
void sioc_sio_print_packet(sioc_jbuf *b, sio_version v, const sio_packet *p);

/**
 * Builds the packet of the current line `root` of `in` (an object whose
 * "type" is a Socket.IO type). The tree of "data" is rebuilt in `arena` in
 * the order of the line ("$binary" objects become EIO_JSON_BINARY nodes
 * over bytes decoded into the arena, {"$undefined":true} EIO_JSON_UNDEFINED),
 * so nothing of the line is reordered and no number changes. Strings and
 * the namespace may point into the line, which must stay unchanged while
 * the packet is used.
 *
 * Returns 0, or a negative code with `err` filled, its offset inside the
 * line: EIO_ERR_INVALID_ARGUMENT (a member of the wrong kind, an unknown
 * type name, "query" in v5, an object with "$binary" or "$undefined" and
 * other keys, "$undefined" not true), EIO_ERR_INVALID_BASE64,
 * SIO_ERR_BAD_ACK_ID (a negative id), EIO_ERR_NOMEM.
 */
int sioc_sio_read_packet(const sioc_jsonl_in *in, const eio_json *root, sio_version v,
                         eio_arena *arena, sio_packet *out, eio_errinfo *err);

/**
 * The offset inside the current line of `in` to report for `code`, an
 * error of the Socket.IO encoder: the member the code is about.
 */
size_t sioc_sio_encode_error_offset(const sioc_jsonl_in *in, int code);

#endif /* SIOC_SIO_LINES_H */
