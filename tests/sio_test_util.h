/* What the Socket.IO test programs share. */
#ifndef SIOC_SIO_TEST_UTIL_H
#define SIOC_SIO_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "sioc/base.h"

/* A string literal as the (pointer, length) argument pair. */
#define S(lit) lit, sizeof(lit) - 1

/* The placeholder object that stands for binary attachment n. */
#define PH(n) "{\"_placeholder\":true,\"num\":" #n "}"

/* True when the slice holds exactly want[0..len). */
bool tu_slice_eq(eio_slice s, const char *want, size_t len);

/* Asserts that the slice holds exactly the string `want`. */
void tu_check_slice(eio_slice s, const char *want);

#endif
