/**
 * @file
 * sioc/eio.h - the Engine.IO codec, protocol versions 3 and 4.
 *
 * Pure and I/O-free: packets (one WebSocket frame each), polling payloads
 * (one HTTP body holding many packets), the open packet's handshake, and
 * base64. Decoders never allocate: packets are slices into the caller's
 * buffer, valid as long as that buffer is unchanged. Encoders write into a
 * caller buffer and report the size needed when it is too small.
 */
#ifndef SIOC_EIO_H
#define SIOC_EIO_H

#include "sioc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Engine.IO protocol versions (the EIO query parameter). */
typedef enum eio_version {
    EIO_V3 = 3, /**< Engine.IO 3 (socket.io 2.x) */
    EIO_V4 = 4, /**< Engine.IO 4 (socket.io 3 and later) */
} eio_version;

/** Packet types, with their wire digits. */
typedef enum eio_packet_type {
    EIO_PACKET_OPEN = 0,    /**< the handshake (server to client) */
    EIO_PACKET_CLOSE = 1,   /**< the session ends */
    EIO_PACKET_PING = 2,    /**< heartbeat, and the upgrade probe ("2probe") */
    EIO_PACKET_PONG = 3,    /**< heartbeat answer, and the probe's answer ("3probe") */
    EIO_PACKET_MESSAGE = 4, /**< application data */
    EIO_PACKET_UPGRADE = 5, /**< the client switches to the probed transport */
    EIO_PACKET_NOOP = 6,    /**< nothing: ends a held poll during an upgrade */
} eio_packet_type;

/** Lower-case name of a packet type ("open" ... "noop"), or NULL. */
SIOC_API const char *eio_packet_type_name(int type);

/** What eio_packet.data holds. */
typedef enum eio_data_kind {
    EIO_DATA_NONE = 0,   /**< the packet carries no data ("2", "4") */
    EIO_DATA_TEXT = 1,   /**< UTF-8 text, already validated */
    EIO_DATA_BINARY = 2, /**< raw bytes */
    EIO_DATA_BASE64 = 3, /**< binary data still in base64 (decoded packets only):
                              validated; decode it with eio_base64_decode */
} eio_data_kind;

/**
 * One Engine.IO packet. After decoding, `data` points into the decoded
 * buffer. For encoding, `kind` must be NONE, TEXT or BINARY (BASE64 is also
 * accepted and re-emitted as binary data).
 */
typedef struct eio_packet {
    eio_packet_type type; /**< the packet type */
    eio_data_kind kind;   /**< what `data` holds */
    const uint8_t *data;  /**< the data (decoded packets: points into the input) */
    size_t len;           /**< bytes of data */
} eio_packet;

/** Limits applied by the decoders. Zero fields take the defaults. */
typedef struct eio_limits {
    size_t max_payload; /**< bytes in one polling body; default 1000000 (reference maxPayload) */
    size_t max_packet;  /**< bytes of one packet's encoded form; default: max_payload */
    size_t max_packets; /**< packets in one polling body; default 100000 */
} eio_limits;

/** Default eio_limits.max_payload (the reference's maxPayload). */
#define EIO_DEFAULT_MAX_PAYLOAD 1000000u
/** Default eio_limits.max_packets. */
#define EIO_DEFAULT_MAX_PACKETS 100000u

/** Fills `l` with the defaults above. */
SIOC_API void eio_limits_default(eio_limits *l);

/* ------------------------------------------------------------------------ */
/* Single packets: one WebSocket frame each                                  */
/* ------------------------------------------------------------------------ */

/**
 * Decodes one packet from a WebSocket frame (or any unit holding exactly one
 * packet). `binary_frame` says whether the frame was binary.
 *
 * Text frames: `<type digit>[data]`, data valid UTF-8; `b<base64>` (v4) or
 * `b<type digit><base64>` (v3) is binary data in base64 (kind BASE64).
 * Binary frames: v4, the whole frame is a message's data; v3, the first byte
 * is the packet type (0-6) and the rest its data.
 *
 * `lim` may be NULL for the defaults (max_packet applies). Returns 0 and
 * fills `*out`, or a negative code and fills `err` (if not NULL).
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_EMPTY_PACKET,
 * EIO_ERR_INVALID_TYPE, EIO_ERR_INVALID_UTF8, EIO_ERR_INVALID_BASE64,
 * EIO_ERR_PACKET_TOO_LARGE.
 */
SIOC_API int eio_packet_decode(eio_version v, const uint8_t *buf, size_t len, bool binary_frame,
                               const eio_limits *lim, eio_packet *out, eio_errinfo *err);

/** eio_packet_encode flags. */
#define EIO_ENCODE_BASE64 0x01u /**< send binary data as a base64 text frame (`b...`) */

/**
 * Encodes one packet as one WebSocket frame into `out` (capacity `cap`).
 * Sets `*out_len` to the frame's length and `*binary_frame` to whether it
 * must go out as a binary frame. If `cap` is too small, writes nothing,
 * sets `*out_len` to the size needed and returns EIO_ERR_BUFFER_TOO_SMALL.
 *
 * v4 binary frames can only carry messages: binary data on another type is
 * sent as base64 text. TEXT data must be valid UTF-8.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_INVALID_TYPE,
 * EIO_ERR_INVALID_UTF8, EIO_ERR_INVALID_BASE64, EIO_ERR_BUFFER_TOO_SMALL.
 */
SIOC_API int eio_packet_encode(eio_version v, const eio_packet *p, unsigned flags, uint8_t *out,
                               size_t cap, size_t *out_len, bool *binary_frame);

/* ------------------------------------------------------------------------ */
/* Polling payloads: one HTTP body, many packets                             */
/* ------------------------------------------------------------------------ */

/** The two body formats. */
typedef enum eio_payload_format {
    /** v4: records joined by 0x1e, binary as `b`+base64.
        v3: `<length>:<packet>` with lengths in UTF-16 code units, binary as
        `b<type>`+base64. Content-Type text/plain. */
    EIO_PAYLOAD_TEXT = 0,
    /** v3 only (application/octet-stream): records
        `<0 text|1 binary><length as bytes 0-9><0xFF><packet>`, lengths in bytes. */
    EIO_PAYLOAD_BINARY = 1,
} eio_payload_format;

/** Status values of eio_payload_decoder_next (non-negative). */
typedef enum eio_payload_status {
    EIO_PAYLOAD_NEED_MORE = 0, /**< no complete packet yet: append more bytes and call again */
    EIO_PAYLOAD_PACKET = 1,    /**< `*out` holds the next packet */
    EIO_PAYLOAD_END = 2,       /**< the body is complete and every packet was returned */
} eio_payload_status;

/**
 * Incremental payload decoder. Caller storage; fields are private.
 *
 * The caller keeps the body received so far in one buffer, appending as
 * chunks arrive, and passes the whole buffer each time: the decoder
 * remembers how far it got, so every byte is examined once and packets are
 * slices into that buffer. Bytes before eio_payload_decoder_consumed() are
 * no longer needed and may be dropped with eio_payload_decoder_rebase().
 */
typedef struct eio_payload_decoder {
    eio_version version;        /**< private */
    eio_payload_format format;  /**< private */
    eio_limits limits;          /**< private */
    size_t pos;                 /**< private: start of the next record */
    size_t scan;                /**< private: how far the current record was scanned */
    size_t base;                /**< private: bytes dropped by rebase, for offsets */
    size_t packets;             /**< private: packets returned */
    size_t state[4];            /**< private: format-specific progress */
    int error;                  /**< private: sticky error, 0 if none */
    bool done;                  /**< private: the body ended */
} eio_payload_decoder;

/**
 * Prepares `d` to decode one body of `format` for version `v`. `lim` may be
 * NULL for the defaults. EIO_PAYLOAD_BINARY requires EIO_V3.
 * Returns 0 or EIO_ERR_INVALID_ARGUMENT.
 */
SIOC_API int eio_payload_decoder_init(eio_payload_decoder *d, eio_version v,
                                      eio_payload_format format, const eio_limits *lim);

/**
 * Returns the next packet of the body in `buf[0..len)` (everything received
 * so far, after any rebase). `final` says that the body is complete.
 *
 * Returns EIO_PAYLOAD_PACKET with `*out` filled, EIO_PAYLOAD_NEED_MORE (only
 * while !final), EIO_PAYLOAD_END, or a negative code with `err` filled (the
 * offset counts from the start of the body, dropped bytes included). Errors
 * are sticky: later calls return the same code.
 *
 * An empty body is EIO_ERR_EMPTY_PAYLOAD. v3 text records of length 0
 * (`0:`) are skipped, as the reference does.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_EMPTY_PACKET,
 * EIO_ERR_INVALID_TYPE, EIO_ERR_INVALID_UTF8, EIO_ERR_INVALID_BASE64,
 * EIO_ERR_BAD_LENGTH, EIO_ERR_LENGTH_PAST_END, EIO_ERR_LENGTH_SPLITS_CHAR,
 * EIO_ERR_EMPTY_PAYLOAD, EIO_ERR_PAYLOAD_TOO_LARGE, EIO_ERR_PACKET_TOO_LARGE,
 * EIO_ERR_TOO_MANY_PACKETS, EIO_ERR_BAD_BINARY_HEADER.
 */
SIOC_API int eio_payload_decoder_next(eio_payload_decoder *d, const uint8_t *buf, size_t len,
                                      bool final, eio_packet *out, eio_errinfo *err);

/** Offset (relative to the current buffer) before which bytes are no longer needed. */
SIOC_API size_t eio_payload_decoder_consumed(const eio_payload_decoder *d);

/**
 * Tells the decoder that the caller dropped the first `n` bytes of its
 * buffer (n <= eio_payload_decoder_consumed()). Packets returned earlier
 * point into the old bytes. Returns 0 or EIO_ERR_INVALID_ARGUMENT.
 */
SIOC_API int eio_payload_decoder_rebase(eio_payload_decoder *d, size_t n);

/**
 * The format a body of these packets should use: v4 always TEXT; v3 BINARY
 * when `supports_binary` (no b64=1) and some packet has binary data, as the
 * reference server does, else TEXT.
 */
SIOC_API eio_payload_format eio_payload_format_for(eio_version v, const eio_packet *pkts,
                                                   size_t n, bool supports_binary);

/**
 * Encodes `n` packets as one polling body of `format` into `out`. Sets
 * `*out_len` to the body's length; if `cap` is too small writes nothing,
 * sets `*out_len` to the size needed and returns EIO_ERR_BUFFER_TOO_SMALL.
 * Zero packets encode as the reference does (v3 text `0:`, otherwise empty).
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_INVALID_TYPE,
 * EIO_ERR_INVALID_UTF8, EIO_ERR_INVALID_BASE64, EIO_ERR_BUFFER_TOO_SMALL.
 */
SIOC_API int eio_payload_encode(eio_version v, eio_payload_format format, const eio_packet *pkts,
                                size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* ------------------------------------------------------------------------ */
/* Handshake: the open packet's JSON                                         */
/* ------------------------------------------------------------------------ */

/** The longest session id accepted, in bytes. */
#define EIO_SID_MAX 128

/** eio_handshake.upgrades bit: "websocket". */
#define EIO_UPGRADE_WEBSOCKET 0x01u
/** eio_handshake.upgrades bit: "webtransport". */
#define EIO_UPGRADE_WEBTRANSPORT 0x02u

/**
 * The open packet's payload, e.g.
 * {"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,
 *  "pingTimeout":20000,"maxPayload":1000000}. The sid is copied in.
 */
typedef struct eio_handshake {
    char sid[EIO_SID_MAX + 1]; /**< NUL-terminated */
    size_t sid_len;            /**< bytes of sid */
    unsigned upgrades;         /**< EIO_UPGRADE_* bits; unknown names are ignored */
    uint32_t ping_interval;    /**< ms */
    uint32_t ping_timeout;     /**< ms */
    uint64_t max_payload;      /**< bytes; 0 when absent (v3 servers send none) */
    bool has_max_payload;      /**< whether maxPayload was present */
} eio_handshake;

/**
 * Parses the open packet's data. Requires an object with a non-empty string
 * `sid` (at most EIO_SID_MAX bytes), an array of strings `upgrades`, and
 * non-negative integers `pingInterval` and `pingTimeout` (at most 2^31-1);
 * `maxPayload`, when present, a non-negative integer. Other keys are ignored.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_HANDSHAKE_INVALID and the JSON
 * reader's codes.
 */
SIOC_API int eio_handshake_parse(const uint8_t *json, size_t len, eio_handshake *out,
                                 eio_errinfo *err);

/**
 * Writes the handshake JSON as the reference server builds it, keys in the
 * order sid, upgrades, pingInterval, pingTimeout, maxPayload (maxPayload
 * only for v4 and when has_max_payload). Same size convention as
 * eio_packet_encode. Errors: EIO_ERR_INVALID_ARGUMENT,
 * EIO_ERR_BUFFER_TOO_SMALL.
 */
SIOC_API int eio_handshake_encode(eio_version v, const eio_handshake *h, uint8_t *out,
                                  size_t cap, size_t *out_len);

/* ------------------------------------------------------------------------ */
/* Base64 (RFC 4648, standard alphabet, padded)                              */
/* ------------------------------------------------------------------------ */

/** Length of the base64 text for `n` bytes. */
SIOC_API size_t eio_base64_encoded_len(size_t n);

/** Upper bound of the bytes decoded from `n` base64 characters. */
SIOC_API size_t eio_base64_decoded_max(size_t n);

/** Writes eio_base64_encoded_len(n) characters (no NUL) to `out`; returns that length. */
SIOC_API size_t eio_base64_encode(const uint8_t *in, size_t n, char *out);

/**
 * Strict decode: the standard alphabet, a length that is a multiple of 4,
 * `=` padding only at the end, zero unused bits in the last group. Writes at
 * most `cap` bytes; sets `*out_len`.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_INVALID_BASE64 (offset of the
 * offending character), EIO_ERR_BUFFER_TOO_SMALL (`*out_len` = size needed).
 */
SIOC_API int eio_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                               size_t *out_len, eio_errinfo *err);

/* ------------------------------------------------------------------------ */
/* UTF-8 helpers used by the codecs                                          */
/* ------------------------------------------------------------------------ */

/**
 * Validates UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). Returns 0, or EIO_ERR_INVALID_UTF8 with `*err_offset` set to
 * the offset of the first bad sequence (if err_offset is not NULL).
 */
SIOC_API int eio_utf8_validate(const uint8_t *s, size_t n, size_t *err_offset);

/**
 * Length of valid UTF-8 `s` in UTF-16 code units, as JavaScript's
 * String.length counts it (code points above U+FFFF count 2).
 */
SIOC_API size_t eio_utf16_length(const uint8_t *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_EIO_H */
