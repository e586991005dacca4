/* The bump allocator behind every JSON tree (sioc/base.h). */
#include <stdlib.h>
#include <string.h>

#include "eio_json_internal.h"

/* Every block starts with this header; the payload follows, aligned to 16. */
typedef struct arena_block {
    struct arena_block *next;
    size_t size; /* payload bytes */
} arena_block;

#define ARENA_ALIGN 8u
#define ARENA_DEFAULT_BLOCK 4096u
/* Requests larger than a quarter block get a block of their own, so one
 * big string does not throw away the rest of the current block. */
#define ARENA_BIG_DIVISOR 4u

static void *mem_malloc(const eio_mem *m, size_t n)
{
    if (m != NULL && m->malloc != NULL) {
        return m->malloc(n, m->user_data);
    }
    return malloc(n);
}

static void mem_free(const eio_mem *m, void *p)
{
    if (m != NULL && m->free != NULL) {
        m->free(p, m->user_data);
        return;
    }
    free(p);
}

static uint8_t *block_data(arena_block *b)
{
    return (uint8_t *)b + ((sizeof(arena_block) + 15u) & ~(size_t)15u);
}

static size_t block_header(void)
{
    return (sizeof(arena_block) + 15u) & ~(size_t)15u;
}

/* `end` never lies past what the limit still allows, so the inline fast path
 * only compares against `end`. */
static void set_window(eio_arena *a, uint8_t *start, uint8_t *stop)
{
    a->cur = start;
    if (a->limit != 0) {
        size_t left = a->limit > a->used ? a->limit - a->used : 0;
        if ((size_t)(stop - start) > left) {
            stop = start + left;
        }
    }
    a->end = stop;
}

void eio_arena_init(eio_arena *a, const eio_mem *mem, size_t block_size, size_t limit)
{
    if (a == NULL) {
        return;
    }
    a->mem = mem;
    a->blocks = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
    a->used = 0;
    a->limit = limit;
    a->fixed = false;
}

void eio_arena_init_fixed(eio_arena *a, void *buf, size_t len)
{
    if (a == NULL) {
        return;
    }
    a->mem = NULL;
    a->block_size = 0;
    a->used = 0;
    a->limit = 0;
    a->fixed = true;
    if (buf == NULL) {
        len = 0;
    }
    uint8_t *p = buf;
    uintptr_t mis = (uintptr_t)p & (ARENA_ALIGN - 1);
    size_t skip = mis ? ARENA_ALIGN - mis : 0;
    if (skip > len) {
        skip = len;
    }
    /* The aligned start is remembered in `blocks` for eio_arena_reset. */
    a->blocks = p == NULL ? NULL : p + skip;
    a->cur = p == NULL ? NULL : p + skip;
    a->end = p == NULL ? NULL : p + len;
}

void *eio_arena_alloc_slow(eio_arena *a, size_t size)
{
    if (a == NULL || size > SIZE_MAX - 64) {
        return NULL;
    }
    size_t n = (size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0) {
        n = ARENA_ALIGN;
    }
    if (a->cur != NULL && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        a->used += n;
        return p;
    }
    if (a->fixed) {
        return NULL;
    }
    if (a->limit != 0 && (a->used > a->limit || n > a->limit - a->used)) {
        return NULL;
    }
    bool big = n > a->block_size / ARENA_BIG_DIVISOR;
    size_t payload = big ? n : a->block_size;
    if (payload < n) {
        payload = n;
    }
    if (payload > SIZE_MAX - block_header()) {
        return NULL;
    }
    arena_block *b = mem_malloc(a->mem, block_header() + payload);
    if (b == NULL) {
        return NULL;
    }
    b->size = payload;
    uint8_t *data = block_data(b);
    if (big && a->blocks != NULL) {
        /* Behind the current block: the current one keeps serving small requests. */
        arena_block *head = a->blocks;
        b->next = head->next;
        head->next = b;
        a->used += n;
        if (a->limit != 0) {
            set_window(a, a->cur, a->end); /* the limit shrank what is left */
        }
        return data;
    }
    b->next = a->blocks;
    a->blocks = b;
    a->used += n;
    set_window(a, data + n, data + payload);
    return data;
}

void *eio_arena_alloc(eio_arena *a, size_t size)
{
    return eio_arena_alloc_slow(a, size);
}

void eio_arena_reset(eio_arena *a)
{
    if (a == NULL) {
        return;
    }
    a->used = 0;
    if (a->fixed) {
        a->cur = a->blocks;
        return;
    }
    /* Keep the largest block: the next document is likely the same size. */
    arena_block *keep = NULL;
    for (arena_block *b = a->blocks; b != NULL; b = b->next) {
        if (keep == NULL || b->size > keep->size) {
            keep = b;
        }
    }
    arena_block *b = a->blocks;
    while (b != NULL) {
        arena_block *next = b->next;
        if (b != keep) {
            mem_free(a->mem, b);
        }
        b = next;
    }
    a->blocks = keep;
    if (keep == NULL) {
        a->cur = NULL;
        a->end = NULL;
        return;
    }
    keep->next = NULL;
    set_window(a, block_data(keep), block_data(keep) + keep->size);
}

void eio_arena_destroy(eio_arena *a)
{
    if (a == NULL) {
        return;
    }
    if (!a->fixed) {
        arena_block *b = a->blocks;
        while (b != NULL) {
            arena_block *next = b->next;
            mem_free(a->mem, b);
            b = next;
        }
    }
    a->blocks = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->used = 0;
}

size_t eio_arena_used(const eio_arena *a)
{
    return a == NULL ? 0 : a->used;
}

void eio_arena_trim_last(eio_arena *a, void *p, size_t old_size, size_t new_size)
{
    size_t oldn = (old_size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    size_t newn = (new_size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (oldn == 0) {
        oldn = ARENA_ALIGN;
    }
    if (newn == 0) {
        newn = ARENA_ALIGN;
    }
    if (newn >= oldn || (uint8_t *)p + oldn != a->cur) {
        return; /* not the last allocation of the current window */
    }
    a->cur = (uint8_t *)p + newn;
    a->used -= oldn - newn;
    if (a->limit != 0 && !a->fixed) {
        /* The window may have been clipped by the limit; widen it again. */
        arena_block *head = a->blocks;
        if (head != NULL) {
            set_window(a, a->cur, block_data(head) + head->size);
        }
    }
}
