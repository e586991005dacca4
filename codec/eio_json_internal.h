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

#endif
