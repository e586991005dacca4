#include "sio_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

bool tu_slice_eq(eio_slice s, const char *want, size_t len)
{
    return s.len == len && (len == 0 || memcmp(s.ptr, want, len) == 0);
}

void tu_check_slice(eio_slice s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    if (s.len > 0) {
        assert_memory_equal(s.ptr, want, s.len);
    }
}
