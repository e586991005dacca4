/* Private helpers shared by the arena and the JSON reader, writer and tree. */
#ifndef SIOC_EIO_JSON_INTERNAL_H
#define SIOC_EIO_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sioc/json.h"

/* eio_arena_alloc without the inline fast path. */
void *eio_arena_alloc_slow(eio_arena *a, size_t size);

/* Shrinks the most recent allocation `p` of `old_size` bytes to `new_size`;
 * does nothing when `p` is not the last allocation of the current block. */
void eio_arena_trim_last(eio_arena *a, void *p, size_t old_size, size_t new_size);

/* Bump allocation for the hot paths; `n` must be a multiple of 8. */
static inline void *eio_arena_bump(eio_arena *a, size_t n)
{
    if (a->cur != NULL && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        a->used += n;
        return p;
    }
    return eio_arena_alloc_slow(a, n);
}

/* Whether s[0..n) is valid UTF-8 (no surrogates, nothing above U+10FFFF). */
bool eio_jsoni_utf8_valid(const uint8_t *s, size_t n);

/*
 * strtod over s[0..n), which is a JSON number (not NUL-terminated), in the C
 * locale's notation whatever the current locale is. Uses `scratch` (at least
 * n + 1 bytes) as a copy.
 */
double eio_jsoni_strtod(const char *s, size_t n, char *scratch);

/* Whether `key` is a canonical array index ("0".."4294967294"), which
 * JavaScript objects list first, in ascending numeric order. */
bool eio_jsoni_array_index(const char *key, size_t len, uint32_t *value);

/* Key equality. */
static inline bool eio_jsoni_key_eq(const eio_json *a, const eio_json *b)
{
    return a->key_len == b->key_len &&
           (a->key_len == 0 || memcmp(a->key, b->key, a->key_len) == 0);
}

/*
 * The members of an array or object in the order the writer writes them,
 * which is the order JavaScript enumerates the value the tree stands for
 * (the one definition of it; the Socket.IO codec numbers attachments by
 * it): array elements and ordinary objects in list order; objects with an
 * array-index key or a key given twice with the index keys first in
 * ascending numeric order, then the other keys in first-appearance order,
 * a key given twice once, at its first position, with its last value
 * (earlier duplicates are invisible, as after JSON.parse).
 *
 *   eio_jsoni_iter it;
 *   eio_jsoni_iter_init(&it, container);
 *   for (const eio_json *k, *m; (m = eio_jsoni_iter_next(&it, &k)) != NULL;)
 *       ... m is the value, k the member whose key to print ...
 *
 * The container's member list must not change while iterating (the
 * values' own children may).
 */
enum { EIO_JSONI_PLAIN, EIO_JSONI_INDEX, EIO_JSONI_NAMED };

typedef struct eio_jsoni_iter {
    const eio_json *c;   /* the container */
    const eio_json *m;   /* next member to look at */
    uint32_t last_index; /* EIO_JSONI_INDEX: last index key returned */
    uint8_t mode;        /* EIO_JSONI_* */
    uint8_t have_index;  /* EIO_JSONI_INDEX: an index key was returned */
} eio_jsoni_iter;

void eio_jsoni_iter_init(eio_jsoni_iter *it, const eio_json *c);

/* eio_jsoni_iter_next for the reordered modes. */
const eio_json *eio_jsoni_iter_next_ordered(eio_jsoni_iter *it, const eio_json **key);

/* The next value, or NULL when done; *key receives the member carrying the
   key to print (the value itself unless a later duplicate holds it). */
static inline const eio_json *eio_jsoni_iter_next(eio_jsoni_iter *it, const eio_json **key)
{
    if (it->mode == EIO_JSONI_PLAIN) {
        const eio_json *m = it->m;
        if (m != NULL) {
            it->m = m->next;
        }
        *key = m;
        return m;
    }
    return eio_jsoni_iter_next_ordered(it, key);
}

/* eio_json_write that also stores in *binaries (when not NULL) the number
   of EIO_JSON_BINARY nodes it wrote as placeholders. */
size_t eio_jsoni_write(const eio_json *v, char *out, size_t cap, uint64_t *binaries);

#endif
