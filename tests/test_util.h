/* Helpers shared by the CMocka test programs. */
#ifndef SIOC_TEST_UTIL_H
#define SIOC_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "sioc/base.h"

/* Path of a file under vectors/ (from $SIOC_VECTORS); static buffer. */
const char *tu_vector_path(const char *relative);

/* Reads a whole file; malloc'd, NUL-terminated (the NUL is not counted). NULL on failure. */
uint8_t *tu_read_file(const char *path, size_t *len);

/*
 * Copies `len` bytes so that they end exactly at a page boundary followed by
 * an inaccessible guard page: any read past the end faults. Free with
 * tu_guard_free. Falls back to malloc where mmap/mprotect are unavailable.
 */
uint8_t *tu_guard_copy(const void *data, size_t len);
void tu_guard_free(uint8_t *p, size_t len);

/*
 * An allocator whose Nth allocation (counting from 0 after tu_failmem_reset)
 * fails; every allocation is counted so leaks show as outstanding > 0.
 */
typedef struct tu_failmem {
    eio_mem mem;
    long fail_at;       /* -1: never fail */
    long calls;
    long outstanding;
} tu_failmem;
void tu_failmem_init(tu_failmem *f, long fail_at);

#endif
