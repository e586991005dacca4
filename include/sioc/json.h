/**
 * @file
 * sioc/json.h - the strict JSON core shared by the Engine.IO handshake and the
 * Socket.IO payloads.
 *
 * Reader: strict RFC 8259 (no comments, no trailing commas, no NaN, UTF-8
 * only, no lone surrogates), one value per document, into an eio_arena: no
 * allocation per node. Strings without escapes point into the input; strings
 * with escapes are decoded into the arena.
 *
 * Writer: output byte-identical to JavaScript's JSON.stringify for the same
 * value: the same escapes (`\"` `\\` `\b` `\f` `\n` `\r` `\t`, other controls as `\u00xx` in
 * lower case, everything else raw), numbers in the shortest form that
 * round-trips as Number.prototype.toString prints them, NaN and infinities as
 * null, -0 as 0, integers exactly.
 */
#ifndef SIOC_JSON_H
#define SIOC_JSON_H

#include "sioc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** JSON value types. */
typedef enum eio_json_type {
    EIO_JSON_NULL = 0,
    EIO_JSON_BOOL = 1,
    EIO_JSON_INT = 2,    /**< a number without fraction or exponent that fits int64_t */
    EIO_JSON_DOUBLE = 3, /**< any other number */
    EIO_JSON_STRING = 4,
    EIO_JSON_ARRAY = 5,
    EIO_JSON_OBJECT = 6,
    /** Raw bytes (u.str.ptr/len): Socket.IO binary attachments and msgpack
        bin values. Never produced by the JSON reader. eio_json_write writes
        the Nth binary node met in document order as the Socket.IO
        placeholder {"_placeholder":true,"num":N}. */
    EIO_JSON_BINARY = 7,
    /** JavaScript's undefined (msgpack ext 0, as notepack.io writes it).
        Never produced by the JSON reader. eio_json_write, as JSON.stringify,
        writes it as null inside arrays and omits object members holding it;
        a root undefined writes nothing. */
    EIO_JSON_UNDEFINED = 8,
} eio_json_type;

/** eio_json.flags: the string (or key) was decoded into the arena, not in the input. */
#define EIO_JSON_F_STR_COPIED 0x01u /**< u.str was decoded into the arena */
#define EIO_JSON_F_KEY_COPIED 0x02u /**< key was decoded into the arena */

/**
 * One node of a JSON tree. Nodes live in an eio_arena; pointers stay valid
 * until the arena is reset or destroyed, and, for strings and keys without
 * EIO_JSON_F_*_COPIED, as long as the parsed input buffer is unchanged.
 *
 * Children of arrays and objects form a singly linked list through `next`,
 * in document order. Object members carry their key in `key`/`key_len`.
 * Strings are valid UTF-8 and may contain NUL bytes (from `\u0000`).
 */
typedef struct eio_json {
    uint8_t type;   /**< eio_json_type */
    uint8_t flags;  /**< EIO_JSON_F_* */
    uint32_t key_len;       /**< bytes of key */
    const char *key;        /**< member key (objects only), not NUL-terminated */
    struct eio_json *next;  /**< next sibling, NULL for the last */
    /** The value, by type. */
    union {
        bool b;    /**< EIO_JSON_BOOL */
        int64_t i; /**< EIO_JSON_INT */
        double d;  /**< EIO_JSON_DOUBLE */
        /** EIO_JSON_STRING and EIO_JSON_BINARY */
        struct {
            const char *ptr; /**< not NUL-terminated */
            size_t len;      /**< bytes */
        } str;
        /** EIO_JSON_ARRAY and EIO_JSON_OBJECT */
        struct {
            struct eio_json *first; /**< first child, NULL when empty */
            struct eio_json *last;  /**< last child, NULL when empty */
            size_t count;           /**< children */
        } c;
    } u;
} eio_json;

/** Reader limits. Zero fields take the defaults. */
typedef struct eio_json_options {
    size_t max_depth; /**< deepest nesting of arrays/objects; default 128 */
    size_t max_size;  /**< longest input in bytes; default 1000000 (Engine.IO's maxPayload) */
} eio_json_options;

/** Default eio_json_options.max_depth. */
#define EIO_JSON_DEFAULT_MAX_DEPTH 128
/** Default eio_json_options.max_size. */
#define EIO_JSON_DEFAULT_MAX_SIZE 1000000

/**
 * Parses exactly one JSON value from `in[0..len)`. White space may surround
 * it; anything else after it is EIO_ERR_JSON_TRAILING.
 *
 * `opt` may be NULL for the defaults. On success stores the root in `*out`
 * and returns 0. On failure returns a negative code and, if `err` is not
 * NULL, fills it with the code, a message and the byte offset; `*out` is
 * NULL and whatever was allocated stays in the arena until it is reset.
 *
 * Numbers: an integer literal that fits int64_t is EIO_JSON_INT; any other
 * number is EIO_JSON_DOUBLE rounded as strtod does; a number whose magnitude
 * rounds to infinity is EIO_ERR_JSON_NUMBER_RANGE (JSON.parse would produce
 * Infinity, which JSON cannot carry back).
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM, EIO_ERR_JSON_SYNTAX,
 * EIO_ERR_JSON_UNEXPECTED_END, EIO_ERR_JSON_INVALID_ESCAPE,
 * EIO_ERR_JSON_INVALID_UNICODE, EIO_ERR_JSON_CONTROL_CHAR,
 * EIO_ERR_JSON_INVALID_NUMBER, EIO_ERR_JSON_NUMBER_RANGE, EIO_ERR_JSON_DEPTH,
 * EIO_ERR_JSON_TOO_LARGE, EIO_ERR_JSON_TRAILING, EIO_ERR_JSON_INVALID_UTF8.
 */
SIOC_API int eio_json_parse(const uint8_t *in, size_t len, const eio_json_options *opt,
                            eio_arena *arena, eio_json **out, eio_errinfo *err);

/**
 * Writes `v` as JSON.stringify would (no indentation) into `out`, writing at
 * most `cap` bytes (no NUL terminator is added). Returns the full length of
 * the text, which may exceed `cap`: call with cap 0 to measure.
 * Strings must be valid UTF-8 (the reader and builders guarantee it).
 */
SIOC_API size_t eio_json_write(const eio_json *v, char *out, size_t cap);

/**
 * Formats a double as JavaScript's Number.prototype.toString does (which is
 * what JSON.stringify prints), shortest round-trip digits; NaN and
 * infinities print as "null". `out` must hold EIO_JSON_NUMBER_MAX bytes;
 * returns the length written (no NUL terminator).
 */
#define EIO_JSON_NUMBER_MAX 32
/** See EIO_JSON_NUMBER_MAX above. */
SIOC_API size_t eio_json_format_double(double d, char *out);

/** Member of object `obj` named `key` (last one wins on duplicates), or NULL. */
SIOC_API const eio_json *eio_json_get(const eio_json *obj, const char *key, size_t key_len);

/** Element `index` of array `arr`, or NULL (O(index)). */
SIOC_API const eio_json *eio_json_at(const eio_json *arr, size_t index);

/**
 * Deep equality: same types and values (INT and DOUBLE compare by numeric
 * value, BINARY by bytes), arrays element by element, objects as maps
 * (order-insensitive, last duplicate wins).
 */
SIOC_API bool eio_json_equal(const eio_json *a, const eio_json *b);

/*
 * Builders. Each returns a new node in `arena`, or NULL when the arena is
 * exhausted or (for strings) the bytes are not valid UTF-8. Strings are
 * copied into the arena.
 */
/** A new null node, or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_null(eio_arena *arena);
/** A new boolean node, or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_bool(eio_arena *arena, bool b);
/** A new EIO_JSON_INT node, or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_int(eio_arena *arena, int64_t i);
/** A new EIO_JSON_DOUBLE node, or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_double(eio_arena *arena, double d);
/** A new string node holding a copy of `s[0..len)` (valid UTF-8, may hold NUL
    bytes), or NULL when the arena is exhausted or `s` is not valid UTF-8. */
SIOC_API eio_json *eio_json_new_string(eio_arena *arena, const char *s, size_t len);
/** Binary node pointing at `data` (not copied: it must outlive the tree). */
SIOC_API eio_json *eio_json_new_binary(eio_arena *arena, const uint8_t *data, size_t len);
/** A new undefined node (see EIO_JSON_UNDEFINED), or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_undefined(eio_arena *arena);
/** A new empty array (fill it with eio_json_append), or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_array(eio_arena *arena);
/** A new empty object (fill it with eio_json_put), or NULL when the arena is exhausted. */
SIOC_API eio_json *eio_json_new_object(eio_arena *arena);

/** Appends `v` (a node of the same arena, not yet in a tree) to array `arr`.
    Returns 0, or EIO_ERR_INVALID_ARGUMENT (NULL, or `arr` not an array). */
SIOC_API int eio_json_append(eio_json *arr, eio_json *v);

/**
 * Appends member `key` = `v` to object `obj` (the key is copied into the
 * arena; duplicates are not checked). Returns 0, EIO_ERR_INVALID_ARGUMENT
 * or EIO_ERR_NOMEM.
 */
SIOC_API int eio_json_put(eio_arena *arena, eio_json *obj, const char *key, size_t key_len,
                          eio_json *v);

/**
 * A deep copy of the tree `v` in `arena`: every node of every type
 * (EIO_JSON_BINARY and EIO_JSON_UNDEFINED included), with the bytes of
 * strings, binary values and keys copied, so the copy depends on nothing
 * but `arena`: it stays valid after the original's arena is reset and its
 * input buffer (or binary attachment) is gone. Use it to keep data a
 * session machine handed out (an event's arguments) past the next call,
 * or to pass such data back to a machine (sio_server_emit, sio_client_ack).
 *
 * Members keep their order, duplicate keys included. Copied strings and
 * binary values carry EIO_JSON_F_STR_COPIED and copied keys
 * EIO_JSON_F_KEY_COPIED. The copy's `next` is NULL; when `v` is an object
 * member its key is copied too (eio_json_put replaces it). Nesting costs
 * no C stack beyond one frame per 128 levels.
 *
 * Returns the copy, or NULL when `arena` or `v` is NULL or the arena is
 * exhausted (a partial copy then stays in the arena until it is reset).
 */
SIOC_API eio_json *eio_json_clone(eio_arena *arena, const eio_json *v);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_JSON_H */
