/**
 * @file
 * sioc/sio.h - the Socket.IO codec, protocol versions 4 and 5, default
 * (JSON) parser; the msgpack parser is in sioc/sio_msgpack.h.
 *
 * A Socket.IO packet travels as the data of an Engine.IO message packet:
 *
 * @verbatim
   <type>[<attachments>-][<namespace>,][<ack id>][JSON payload]
   @endverbatim
 *
 * followed, for BINARY_EVENT and BINARY_ACK, by `attachments` binary
 * Engine.IO messages. Two levels of decoding:
 *
 *  1. sio_header_decode: zero-copy, no allocation: type, attachment count,
 *     namespace, ack id, payload slice and event name, so that a router can
 *     dispatch on (namespace, event) without building a tree.
 *  2. sio_packet_decode / sio_decoder: the payload parsed into an eio_json
 *     value tree (sioc/json.h) in an arena, validated as the spec and the
 *     reference decoder require, with binary attachments put back in place.
 *
 * Pure: no I/O, no clock, no global state.
 */
#ifndef SIOC_SIO_H
#define SIOC_SIO_H

#include "sioc/base.h"
#include "sioc/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Socket.IO protocol versions: 4 (socket.io 2.x, over Engine.IO v3), 5 (socket.io 3+). */
typedef enum sio_version {
    SIO_V4 = 4, /**< socket.io 1.x and 2.x, over Engine.IO v3 */
    SIO_V5 = 5, /**< socket.io 3 and later, over Engine.IO v4 */
} sio_version;

/** Packet types with their wire digits. In v4, 4 is called ERROR. */
typedef enum sio_packet_type {
    SIO_PACKET_CONNECT = 0,       /**< connect to a namespace (client), or its acceptance */
    SIO_PACKET_DISCONNECT = 1,    /**< leave a namespace */
    SIO_PACKET_EVENT = 2,         /**< an event: name and arguments */
    SIO_PACKET_ACK = 3,           /**< the answer to an event's ack id */
    SIO_PACKET_CONNECT_ERROR = 4, /**< the namespace was refused (v4: ERROR) */
    SIO_PACKET_BINARY_EVENT = 5,  /**< an event with binary attachments */
    SIO_PACKET_BINARY_ACK = 6,    /**< an ack with binary attachments */
} sio_packet_type;

/** Upper-case wire name ("CONNECT" ... "BINARY_ACK"), or NULL. */
SIOC_API const char *sio_packet_type_name(int type);

/** The largest ack id (2^53-1, JavaScript's Number.MAX_SAFE_INTEGER). */
#define SIO_MAX_ACK_ID 9007199254740991ull

/** Limits. Zero fields take the defaults. */
typedef struct sio_limits {
    size_t max_attachments;      /**< default 10 (the reference's maxAttachments) */
    size_t max_attachment_size;  /**< bytes of one attachment; default 1000000 */
    size_t max_attachments_total;/**< bytes of all attachments of a packet; default 10000000 */
    size_t max_packet;           /**< bytes of the encoded text (or msgpack) packet; default 1000000 */
    size_t max_depth;            /**< payload nesting; default 128 */
    size_t max_namespace;        /**< bytes of a namespace (query included); default 1024 */
} sio_limits;

#define SIO_DEFAULT_MAX_ATTACHMENTS 10u             /**< default sio_limits.max_attachments */
#define SIO_DEFAULT_MAX_ATTACHMENT_SIZE 1000000u     /**< default sio_limits.max_attachment_size */
#define SIO_DEFAULT_MAX_ATTACHMENTS_TOTAL 10000000u  /**< default sio_limits.max_attachments_total */
#define SIO_DEFAULT_MAX_PACKET 1000000u              /**< default sio_limits.max_packet */
#define SIO_DEFAULT_MAX_DEPTH 128u                   /**< default sio_limits.max_depth */
#define SIO_DEFAULT_MAX_NAMESPACE 1024u              /**< default sio_limits.max_namespace */

/** Fills `l` with the defaults above. */
SIOC_API void sio_limits_default(sio_limits *l);

/* ------------------------------------------------------------------------ */
/* Level 1: the zero-copy header                                             */
/* ------------------------------------------------------------------------ */

/** What sio_header.event holds. */
typedef enum sio_event_kind {
    SIO_EVENT_NONE = 0,    /**< not an EVENT/BINARY_EVENT, or no payload */
    SIO_EVENT_STRING = 1,  /**< `event` is the name's bytes, valid UTF-8, no escapes */
    SIO_EVENT_ESCAPED = 2, /**< `event` is the raw JSON string body (between the quotes)
                                and contains escapes: decode fully to compare it */
    SIO_EVENT_NUMBER = 3,  /**< `event` is the number's JSON text */
} sio_event_kind;

/**
 * A packet's header. Every slice points into the decoded buffer (or, for
 * the implicit namespace "/", into static storage) and stays valid as long
 * as that buffer is unchanged.
 */
typedef struct sio_header {
    sio_packet_type type;  /**< the packet type */
    uint32_t attachments;  /**< BINARY_*: the count before '-'; else 0 */
    eio_slice nsp;         /**< namespace without query and without the ','; "/" when absent */
    eio_slice query;       /**< v4: what follows '?' in the namespace; empty if none */
    bool has_id;           /**< the packet carries an ack id */
    uint64_t id;           /**< ack id, when has_id */
    eio_slice payload;     /**< the JSON payload text; empty (len 0) when absent */
    sio_event_kind event_kind; /**< what `event` holds */
    eio_slice event;       /**< see sio_event_kind */
} sio_header;

/**
 * Decodes the header of the text packet in `buf[0..len)` (the data of an
 * Engine.IO message). Checks the type digit, the attachment count (1 to
 * max_attachments), the namespace (starts with '/', at most max_namespace
 * bytes, valid UTF-8), the ack id (digits, at most SIO_MAX_ACK_ID), the
 * first character of the payload against the type, and for events the
 * first element's kind and the reserved names. It does NOT validate the
 * whole payload: sio_packet_decode does.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_EMPTY_PACKET,
 * SIO_ERR_INVALID_TYPE, SIO_ERR_BAD_ATTACHMENTS, SIO_ERR_TOO_MANY_ATTACHMENTS,
 * SIO_ERR_BAD_NAMESPACE, SIO_ERR_NAMESPACE_TOO_LONG, SIO_ERR_BAD_ACK_ID,
 * SIO_ERR_PACKET_TOO_LARGE, SIO_ERR_MISSING_PAYLOAD, SIO_ERR_EVENT_NOT_ARRAY,
 * SIO_ERR_EVENT_EMPTY, SIO_ERR_EVENT_NAME, SIO_ERR_EVENT_RESERVED,
 * SIO_ERR_ACK_NOT_ARRAY, SIO_ERR_CONNECT_NOT_OBJECT, SIO_ERR_DISCONNECT_PAYLOAD,
 * SIO_ERR_CONNECT_ERROR_PAYLOAD, EIO_ERR_INVALID_UTF8.
 */
SIOC_API int sio_header_decode(sio_version v, const uint8_t *buf, size_t len,
                               const sio_limits *lim, sio_header *out, eio_errinfo *err);

/* ------------------------------------------------------------------------ */
/* Level 2: whole packets with a value tree                                  */
/* ------------------------------------------------------------------------ */

/**
 * A whole packet. `data` is the payload tree (NULL when absent); binary
 * attachments are EIO_JSON_BINARY nodes. After decoding, `type` is as on
 * the wire (BINARY_EVENT stays BINARY_EVENT) and the tree and slices point
 * into the arena and the decoded buffers.
 *
 * For encoding, set `type` to EVENT or ACK: when `data` holds binary nodes
 * the encoder sends BINARY_EVENT/BINARY_ACK with the right count, as the
 * reference does (BINARY_* given explicitly are accepted too). `nsp` NULL
 * or "/" means the main namespace; `query` (v4) is appended after '?'.
 */
typedef struct sio_packet {
    sio_packet_type type;   /**< the packet type */
    eio_slice nsp;          /**< the namespace ("/" or empty: the main one) */
    eio_slice query;        /**< v4: the namespace's query, after '?'; empty if none */
    bool has_id;            /**< the packet carries an ack id */
    uint64_t id;            /**< ack id, when has_id (at most SIO_MAX_ACK_ID) */
    uint32_t attachments;   /**< after decoding: the count announced */
    eio_json *data;         /**< the payload tree, NULL when absent */
} sio_packet;

/**
 * Decodes a whole text packet: the header as sio_header_decode, then the
 * payload with the JSON reader (depth limited) and the checks of the spec:
 * EVENT a non-empty array whose first element is a string or a number and
 * not a reserved name; ACK an array; CONNECT an object or absent;
 * DISCONNECT nothing; CONNECT_ERROR a string or an object. For BINARY_*
 * the placeholders stay as they are (objects): use sio_decoder to put the
 * attachments back. Allocates from `arena` only.
 *
 * Errors: those of sio_header_decode, the JSON reader's codes (offsets in
 * the whole packet), SIO_ERR_DEPTH, EIO_ERR_NOMEM.
 */
SIOC_API int sio_packet_decode(sio_version v, const uint8_t *buf, size_t len,
                               const sio_limits *lim, eio_arena *arena, sio_packet *out,
                               eio_errinfo *err);

/**
 * Encodes `p` as its text packet into `out`, writing binary nodes of
 * `p->data` as placeholders numbered in document order; the attachments to
 * send after it are listed by sio_packet_attachments in the same order.
 * Output is byte-identical to the reference encoder's (socket.io-parser)
 * for the same packet. Same size convention as eio_packet_encode (sets
 * `*out_len`; EIO_ERR_BUFFER_TOO_SMALL with the size needed).
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, SIO_ERR_INVALID_TYPE,
 * SIO_ERR_BAD_NAMESPACE, SIO_ERR_BAD_ACK_ID, EIO_ERR_BUFFER_TOO_SMALL and
 * the payload checks of sio_packet_decode (an encoder never sends what the
 * decoder would reject).
 */
SIOC_API int sio_packet_encode(sio_version v, const sio_packet *p, uint8_t *out, size_t cap,
                               size_t *out_len);

/**
 * Stores in `list[0..cap)` the binary nodes of `p->data` in document order
 * (the order of their placeholders) and returns how many there are (which
 * may exceed cap).
 */
SIOC_API size_t sio_packet_attachments(const sio_packet *p, const eio_json **list, size_t cap);

/* ------------------------------------------------------------------------ */
/* The decoder: Engine.IO messages in, whole packets out                     */
/* ------------------------------------------------------------------------ */

/** Which parser a decoder uses. */
typedef enum sio_parser {
    SIO_PARSER_JSON = 0,    /**< the default parser (socket.io-parser) */
    SIO_PARSER_MSGPACK = 1, /**< socket.io-msgpack-parser; needs a build with msgpack */
} sio_parser;

/** Status values of sio_decoder_feed (non-negative). */
typedef enum sio_decoder_status {
    SIO_DECODER_NEED_MORE = 0, /**< an attachment was taken; more are pending */
    SIO_DECODER_PACKET = 1,    /**< `*out` holds a whole packet */
} sio_decoder_status;

/**
 * Turns the Engine.IO message packets of one connection into Socket.IO
 * packets, reconstructing binary ones. Caller storage; fields are private.
 */
typedef struct sio_decoder {
    sio_version version;      /**< private */
    sio_parser parser;        /**< private */
    sio_limits limits;        /**< private */
    eio_arena *arena;         /**< private */
    sio_packet pending;       /**< private: the BINARY_* packet being completed */
    eio_json **slots;         /**< private: placeholder nodes, by num */
    uint32_t received;        /**< private: attachments taken so far */
    size_t received_bytes;    /**< private: their bytes */
    bool active;              /**< private: attachments are pending */
    bool copy;                /**< private: SIO_DECODER_COPY_ATTACHMENTS */
} sio_decoder;

/** sio_decoder_init flags. */
#define SIO_DECODER_COPY_ATTACHMENTS 0x01u /**< copy attachments into the arena
                                                (default: point at the caller's bytes) */

/**
 * Prepares a decoder. Trees and slots are allocated in `arena`, which the
 * caller may reset after each packet is consumed (not while attachments are
 * pending). `lim` may be NULL. Returns 0, EIO_ERR_INVALID_ARGUMENT, or
 * EIO_ERR_UNSUPPORTED for SIO_PARSER_MSGPACK in a build without msgpack.
 */
SIOC_API int sio_decoder_init(sio_decoder *d, sio_version v, sio_parser parser,
                              const sio_limits *lim, eio_arena *arena, unsigned flags);

/**
 * Feeds the data of one Engine.IO message: `binary` says whether it was a
 * binary message (or base64 data already decoded). JSON parser: a text
 * message starts a packet (a BINARY_* one waits for its attachments), a
 * binary message is the next attachment. msgpack parser: every message is
 * one binary packet.
 *
 * Returns SIO_DECODER_PACKET with `*out` filled, SIO_DECODER_NEED_MORE, or
 * a negative code (the pending packet, if any, is dropped; the decoder can
 * be fed again). Unless SIO_DECODER_COPY_ATTACHMENTS, binary nodes point
 * at the attachment bytes passed in, which must outlive the packet.
 *
 * Errors: those of sio_packet_decode (or sio_msgpack_decode),
 * SIO_ERR_BAD_PLACEHOLDER, SIO_ERR_UNEXPECTED_TEXT, SIO_ERR_UNEXPECTED_BINARY,
 * SIO_ERR_ATTACHMENT_TOO_LARGE, EIO_ERR_NOMEM.
 */
SIOC_API int sio_decoder_feed(sio_decoder *d, const uint8_t *data, size_t len, bool binary,
                              sio_packet *out, eio_errinfo *err);

/** Drops a pending packet (e.g. when the connection closes). */
SIOC_API void sio_decoder_reset(sio_decoder *d);

/** Whether attachments are pending. */
SIOC_API bool sio_decoder_pending(const sio_decoder *d);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_SIO_H */
