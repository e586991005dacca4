/**
 * @file
 * sioc/base.h - what every layer of sioc shares: version, visibility, the one
 * error enum, error details, the allocator hook and the arena.
 *
 * Nothing here performs I/O, reads a clock or keeps global state.
 */
#ifndef SIOC_BASE_H
#define SIOC_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sioc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SIOC_BUILDING) && defined(__GNUC__)
#define SIOC_API __attribute__((visibility("default")))
#else
#define SIOC_API
#endif

/**
 * Every error sioc can report. All are negative; 0 is success.
 *
 * A code never changes meaning once released; docs/errors.md lists them all.
 * Ranges: -1..-99 general, -100..-199 Engine.IO codec, -200..-299 JSON,
 * -300..-399 Socket.IO codec (named SIO_ERR_*), -400.. the session layer.
 * Codes at or below EIO_ERR_FATAL (none yet) leave an object unusable.
 */
typedef enum eio_error {
    EIO_OK = 0,

    /* general */
    EIO_ERR_INVALID_ARGUMENT = -1,   /**< a NULL pointer or out-of-range argument */
    EIO_ERR_NOMEM = -2,              /**< the allocator (or a fixed arena) is exhausted */
    EIO_ERR_BUFFER_TOO_SMALL = -3,   /**< an output buffer is too small; the size needed is reported */
    EIO_ERR_LIMIT = -4,              /**< a configured limit (other than the specific ones below) was hit */
    EIO_ERR_UNSUPPORTED = -5,        /**< a feature this build of sioc does not include (e.g. msgpack) */

    /* Engine.IO codec */
    EIO_ERR_EMPTY_PACKET = -100,        /**< a packet with no type (empty frame or empty record) */
    EIO_ERR_INVALID_TYPE = -101,        /**< the packet type is not one of 0-6 (or 'b' + 0-6) */
    EIO_ERR_INVALID_UTF8 = -102,        /**< text is not valid UTF-8 */
    EIO_ERR_INVALID_BASE64 = -103,      /**< base64 data is malformed */
    EIO_ERR_BAD_LENGTH = -104,          /**< v3: a length prefix is missing, not decimal, or too long */
    EIO_ERR_LENGTH_PAST_END = -105,     /**< v3: a length prefix runs past the end of the payload */
    EIO_ERR_LENGTH_SPLITS_CHAR = -106,  /**< v3: a UTF-16 length ends inside a surrogate pair */
    EIO_ERR_EMPTY_PAYLOAD = -107,       /**< a polling body with no packet in it */
    EIO_ERR_PAYLOAD_TOO_LARGE = -108,   /**< a polling body over eio_limits.max_payload */
    EIO_ERR_PACKET_TOO_LARGE = -109,    /**< one packet over eio_limits.max_packet */
    EIO_ERR_TOO_MANY_PACKETS = -110,    /**< a polling body with more than eio_limits.max_packets */
    EIO_ERR_BAD_BINARY_HEADER = -111,   /**< v3 binary payload: the record marker is not 0 or 1 */
    EIO_ERR_HANDSHAKE_INVALID = -112,   /**< the open packet's JSON is not a valid handshake */
    EIO_ERR_NOT_BINARY = -113,          /**< binary data where the format allows only text */

    /* JSON */
    EIO_ERR_JSON_SYNTAX = -200,         /**< an unexpected character */
    EIO_ERR_JSON_UNEXPECTED_END = -201, /**< the input ended inside a value */
    EIO_ERR_JSON_INVALID_ESCAPE = -202, /**< an unknown escape or a bad \\u sequence */
    EIO_ERR_JSON_INVALID_UNICODE = -203,/**< a \\u escape that is a lone surrogate */
    EIO_ERR_JSON_CONTROL_CHAR = -204,   /**< an unescaped control character inside a string */
    EIO_ERR_JSON_INVALID_NUMBER = -205, /**< a number that breaks the RFC 8259 grammar */
    EIO_ERR_JSON_NUMBER_RANGE = -206,   /**< a number whose magnitude overflows a double */
    EIO_ERR_JSON_DEPTH = -207,          /**< nesting deeper than eio_json_options.max_depth */
    EIO_ERR_JSON_TOO_LARGE = -208,      /**< input longer than eio_json_options.max_size */
    EIO_ERR_JSON_TRAILING = -209,       /**< something other than white space after the value */
    EIO_ERR_JSON_INVALID_UTF8 = -210,   /**< the input is not valid UTF-8 */

    /* Socket.IO codec */
    SIO_ERR_INVALID_TYPE = -300,        /**< packet type not 0-6 (msgpack: not an integer 0-4) */
    SIO_ERR_BAD_ATTACHMENTS = -301,     /**< BINARY_*: attachment count missing, not decimal, 0, or no '-' */
    SIO_ERR_TOO_MANY_ATTACHMENTS = -302,/**< attachment count over sio_limits.max_attachments */
    SIO_ERR_BAD_NAMESPACE = -303,       /**< namespace not starting with '/', not a string, or not valid UTF-8 */
    SIO_ERR_NAMESPACE_TOO_LONG = -304,  /**< namespace longer than sio_limits.max_namespace */
    SIO_ERR_BAD_ACK_ID = -305,          /**< ack id not a non-negative integer <= 2^53-1 */
    SIO_ERR_MISSING_PAYLOAD = -306,     /**< EVENT/ACK/CONNECT_ERROR without the payload they require */
    SIO_ERR_EVENT_NOT_ARRAY = -307,     /**< EVENT payload not an array */
    SIO_ERR_EVENT_EMPTY = -308,         /**< EVENT payload an empty array */
    SIO_ERR_EVENT_NAME = -309,          /**< EVENT name (first element) neither a string nor a number */
    SIO_ERR_EVENT_RESERVED = -310,      /**< EVENT name is reserved (connect, disconnect, ...) */
    SIO_ERR_ACK_NOT_ARRAY = -311,       /**< ACK payload not an array */
    SIO_ERR_CONNECT_NOT_OBJECT = -312,  /**< CONNECT payload present but not an object */
    SIO_ERR_DISCONNECT_PAYLOAD = -313,  /**< DISCONNECT with a payload */
    SIO_ERR_CONNECT_ERROR_PAYLOAD = -314,/**< CONNECT_ERROR payload neither a string nor an object */
    SIO_ERR_BAD_PLACEHOLDER = -315,     /**< placeholder `num` not an integer in [0, attachments) */
    SIO_ERR_UNEXPECTED_TEXT = -316,     /**< a text packet while binary attachments are pending */
    SIO_ERR_UNEXPECTED_BINARY = -317,   /**< a binary message while no attachment is pending */
    SIO_ERR_ATTACHMENT_TOO_LARGE = -318,/**< an attachment, or all of them, over the configured limit */
    SIO_ERR_PACKET_TOO_LARGE = -319,    /**< the encoded packet over sio_limits.max_packet */
    SIO_ERR_MSGPACK_INVALID = -320,     /**< msgpack bytes malformed or truncated */
    SIO_ERR_MSGPACK_NOT_MAP = -321,     /**< msgpack packet not a map */
    SIO_ERR_MSGPACK_TRAILING = -322,    /**< bytes after the msgpack packet */
    SIO_ERR_MSGPACK_UNSUPPORTED = -323, /**< msgpack value sioc cannot represent (ext type other than 0, non-string map key) */
    SIO_ERR_DEPTH = -324,               /**< payload nesting over sio_limits.max_depth */
} eio_error;

/**
 * Where and why a decoder failed. Filled by every decoder on error (when the
 * pointer passed is not NULL). `msg` is a static string; `offset` is the byte
 * offset in the input at which the problem was detected.
 */
typedef struct eio_errinfo {
    int code;          /**< an eio_error value */
    const char *msg;   /**< human-readable reason, static storage */
    size_t offset;     /**< byte offset in the input */
} eio_errinfo;

/** A static English description of an error code ("unknown error" if none). */
SIOC_API const char *eio_strerror(int code);

/** The enum identifier of an error code, e.g. "EIO_ERR_INVALID_TYPE"; NULL if unknown. */
SIOC_API const char *eio_error_name(int code);

/** The code whose identifier is `name` (as eio_error_name returns), or 1 if none. */
SIOC_API int eio_error_from_name(const char *name);

/**
 * The version of the library loaded at run time, as a string: the
 * SIOC_VERSION it was built with. It may differ from the SIOC_VERSION of
 * the headers a program was compiled with.
 */
SIOC_API const char *eio_version_string(void);

/**
 * The version of the library loaded at run time as one number, 0xMMmmpp:
 * the SIOC_VERSION_NUM it was built with. A program compiled against newer
 * headers can check `eio_version_number() >= SIOC_VERSION_NUM`.
 */
SIOC_API uint32_t eio_version_number(void);

/**
 * Allocator hooks. Objects that allocate take one at creation; NULL means
 * libc's malloc/realloc/free. Functions receive `user_data` as last argument.
 */
typedef struct eio_mem {
    /** As malloc(3): `size` bytes, or NULL. */
    void *(*malloc)(size_t size, void *user_data);
    /** As realloc(3): `ptr` (NULL or from these hooks) resized, or NULL. */
    void *(*realloc)(void *ptr, size_t size, void *user_data);
    /** As free(3): `ptr` is NULL or from these hooks. */
    void (*free)(void *ptr, void *user_data);
    /** Passed as the last argument of every hook. */
    void *user_data;
} eio_mem;

/** A read-only slice of bytes, usually pointing into the caller's buffer. */
typedef struct eio_slice {
    const uint8_t *ptr; /**< the first byte (not NUL-terminated); may be NULL when len is 0 */
    size_t len;         /**< bytes */
} eio_slice;

/**
 * A bump allocator: many small allocations, freed all at once.
 *
 * Caller storage; fields are private. Either grows in blocks taken from an
 * eio_mem (eio_arena_init) or lives in one fixed caller buffer and never
 * allocates (eio_arena_init_fixed).
 */
typedef struct eio_arena {
    const eio_mem *mem;  /**< private: the allocator of the blocks */
    void *blocks;        /**< private: list of allocated blocks */
    uint8_t *cur;        /**< private: next free byte */
    uint8_t *end;        /**< private: end of the current block */
    size_t block_size;   /**< private: bytes per block */
    size_t used;         /**< private: bytes handed out */
    size_t limit;        /**< private: 0 = no limit */
    bool fixed;          /**< private: over a caller buffer */
} eio_arena;

/**
 * Initializes an arena that allocates blocks of `block_size` bytes (0 means
 * 4096) from `mem` (NULL: libc), handing out at most `limit` bytes in total
 * (0: no limit). Allocates nothing until first used.
 */
SIOC_API void eio_arena_init(eio_arena *a, const eio_mem *mem, size_t block_size,
                             size_t limit);

/** Initializes an arena over the caller's buffer; it never allocates. */
SIOC_API void eio_arena_init_fixed(eio_arena *a, void *buf, size_t len);

/**
 * Returns `size` bytes aligned to 8 (or to alignof(max_align_t) where larger
 * is needed it is the caller's job), or NULL when the allocator fails, the
 * fixed buffer is full or the limit would be passed.
 */
SIOC_API void *eio_arena_alloc(eio_arena *a, size_t size);

/** Forgets every allocation; keeps one block for reuse. */
SIOC_API void eio_arena_reset(eio_arena *a);

/** Frees every block. The arena may be initialized again afterwards. */
SIOC_API void eio_arena_destroy(eio_arena *a);

/** Bytes handed out since init or the last reset. */
SIOC_API size_t eio_arena_used(const eio_arena *a);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_BASE_H */
