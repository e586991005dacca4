#define _DEFAULT_SOURCE
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *tu_vector_path(const char *relative)
{
    static char path[4096];
    const char *dir = getenv("SIOC_VECTORS");
    if (dir == NULL) {
        dir = "vectors";
    }
    snprintf(path, sizeof path, "%s/%s", dir, relative);
    return path;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *nb = realloc(buf, cap + 1);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

uint8_t *tu_guard_copy(const void *data, size_t len)
{
    size_t ps = page_size();
    size_t pages = (len + ps - 1) / ps + 1;
    uint8_t *base = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        return NULL;
    }
    mprotect(base + (pages - 1) * ps, ps, PROT_NONE);
    uint8_t *p = base + (pages - 1) * ps - len;
    if (len > 0) {
        memcpy(p, data, len);
    }
    return p;
}

void tu_guard_free(uint8_t *p, size_t len)
{
    if (p == NULL) {
        return;
    }
    size_t ps = page_size();
    size_t pages = (len + ps - 1) / ps + 1;
    uint8_t *base = p + len - (pages - 1) * ps;
    munmap(base, pages * ps);
}

static void *fm_malloc(size_t size, void *ud)
{
    tu_failmem *f = ud;
    if (f->calls++ == f->fail_at) {
        return NULL;
    }
    void *p = malloc(size);
    if (p != NULL) {
        f->outstanding++;
    }
    return p;
}

static void *fm_realloc(void *ptr, size_t size, void *ud)
{
    tu_failmem *f = ud;
    if (f->calls++ == f->fail_at) {
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p != NULL && ptr == NULL) {
        f->outstanding++;
    }
    return p;
}

static void fm_free(void *ptr, void *ud)
{
    tu_failmem *f = ud;
    if (ptr != NULL) {
        f->outstanding--;
    }
    free(ptr);
}

void tu_failmem_init(tu_failmem *f, long fail_at)
{
    f->mem.malloc = fm_malloc;
    f->mem.realloc = fm_realloc;
    f->mem.free = fm_free;
    f->mem.user_data = f;
    f->fail_at = fail_at;
    f->calls = 0;
    f->outstanding = 0;
}
