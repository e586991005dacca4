/**
 * @file
 * sioc/sio_msgpack.h - the Socket.IO msgpack parser, byte-compatible with
 * npm's socket.io-msgpack-parser (which uses notepack.io).
 *
 * Each Socket.IO packet is one binary Engine.IO message holding one msgpack
 * map with the keys type, nsp, data and id. Binary values are msgpack bin
 * (EIO_JSON_BINARY nodes); there are no separate attachments and no
 * BINARY_* types. Only Socket.IO v5 uses it. docs/msgpack.md describes the
 * format as the reference writes it, with byte examples.
 *
 * Built on msgpack-c when sioc is configured with it (meson option
 * `msgpack`); otherwise these functions return EIO_ERR_UNSUPPORTED.
 */
#ifndef SIOC_SIO_MSGPACK_H
#define SIOC_SIO_MSGPACK_H

#include "sioc/sio.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Whether this build includes the msgpack parser. */
SIOC_API bool sio_msgpack_available(void);

/**
 * Decodes one msgpack packet from `buf[0..len)`. Accepts what the reference
 * decoder accepts: `type` an integer 0-4, `nsp` a string, `data` as the type
 * requires (CONNECT: object or absent; DISCONNECT: absent; CONNECT_ERROR:
 * string or object; EVENT/ACK: array), `id` absent or an integer; extra
 * keys are ignored; ext type 0 (how notepack writes undefined, and how JS
 * clients send some typed arrays) decodes as EIO_JSON_UNDEFINED or, with
 * payload bytes, EIO_JSON_BINARY. Strings and binaries point into `buf`;
 * nodes live in `arena`. Event names are checked as in sio_packet_decode.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM, EIO_ERR_UNSUPPORTED,
 * SIO_ERR_MSGPACK_INVALID, SIO_ERR_MSGPACK_NOT_MAP, SIO_ERR_MSGPACK_TRAILING,
 * SIO_ERR_MSGPACK_UNSUPPORTED, SIO_ERR_INVALID_TYPE, SIO_ERR_BAD_NAMESPACE,
 * SIO_ERR_NAMESPACE_TOO_LONG, SIO_ERR_BAD_ACK_ID, SIO_ERR_MISSING_PAYLOAD,
 * SIO_ERR_EVENT_NOT_ARRAY, SIO_ERR_EVENT_EMPTY, SIO_ERR_EVENT_NAME,
 * SIO_ERR_EVENT_RESERVED, SIO_ERR_ACK_NOT_ARRAY, SIO_ERR_CONNECT_NOT_OBJECT,
 * SIO_ERR_DISCONNECT_PAYLOAD, SIO_ERR_CONNECT_ERROR_PAYLOAD, SIO_ERR_DEPTH,
 * SIO_ERR_PACKET_TOO_LARGE, EIO_ERR_INVALID_UTF8.
 */
SIOC_API int sio_msgpack_decode(const uint8_t *buf, size_t len, const sio_limits *lim,
                                eio_arena *arena, sio_packet *out, eio_errinfo *err);

/**
 * Encodes `p` as the reference server and client would: the same map key
 * order for each packet type and the same choice of msgpack formats
 * (notepack.io's), so the bytes are equal. BINARY_* types are sent as
 * EVENT/ACK. Same size convention as eio_packet_encode.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_UNSUPPORTED, SIO_ERR_INVALID_TYPE,
 * SIO_ERR_BAD_NAMESPACE, SIO_ERR_BAD_ACK_ID, EIO_ERR_BUFFER_TOO_SMALL.
 */
SIOC_API int sio_msgpack_encode(const sio_packet *p, uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_SIO_MSGPACK_H */
