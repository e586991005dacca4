/* UTF-8 validation and UTF-16 length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sioc/eio.h"
#include "test_util.h"

static int validate(const char *s, size_t n, size_t *off)
{
    uint8_t *g = tu_guard_copy(s, n);
    int rc = eio_utf8_validate(g, n, off);
    tu_guard_free(g, n);
    return rc;
}

#define VALID(lit) assert_int_equal(validate(lit, sizeof(lit) - 1, NULL), 0)
#define INVALID_AT(lit, at)                                                                    \
    do {                                                                                       \
        size_t off_ = 999;                                                                     \
        assert_int_equal(validate(lit, sizeof(lit) - 1, &off_), EIO_ERR_INVALID_UTF8);         \
        assert_int_equal(off_, (at));                                                          \
    } while (0)

static void valid_sequences(void **state)
{
    (void)state;
    VALID("");
    VALID("hello");
    VALID("\x00");
    VALID("\x7f");
    VALID("\xc2\x80");
    VALID("\xdf\xbf");
    VALID("\xe0\xa0\x80");
    VALID("\xe2\x82\xac");
    VALID("\xed\x9f\xbf");
    VALID("\xee\x80\x80");
    VALID("\xef\xbf\xbf");
    VALID("\xf0\x90\x80\x80");
    VALID("\xf0\x9f\x98\x80");
    VALID("\xf4\x8f\xbf\xbf");
    VALID("0123456789abcdef0123456789abcdef\xe2\x82\xac" "0123456789abcdef");
    assert_int_equal(eio_utf8_validate(NULL, 0, NULL), 0);
}

static void invalid_sequences(void **state)
{
    (void)state;
    INVALID_AT("\x80", 0);
    INVALID_AT("a\xbf", 1);
    INVALID_AT("\xc0\x80", 0);     /* overlong */
    INVALID_AT("\xc1\xbf", 0);     /* overlong */
    INVALID_AT("\xe0\x9f\xbf", 0); /* overlong */
    INVALID_AT("\xf0\x8f\xbf\xbf", 0);
    INVALID_AT("\xed\xa0\x80", 0); /* surrogate */
    INVALID_AT("\xed\xbf\xbf", 0);
    INVALID_AT("\xf4\x90\x80\x80", 0); /* above U+10FFFF */
    INVALID_AT("\xf5\x80\x80\x80", 0);
    INVALID_AT("\xff", 0);
    INVALID_AT("\xfe", 0);
    INVALID_AT("ab\xc2", 2);         /* truncated at the end */
    INVALID_AT("ab\xe2\x82", 2);
    INVALID_AT("ab\xf0\x9f\x98", 2);
    INVALID_AT("\xe2\x28\xa1", 0);   /* bad continuation */
    INVALID_AT("\xe2\x82\x28", 0);
    INVALID_AT("\xf0\x9f\x98\x28", 0);
    INVALID_AT("0123456789abcdef0123456789abcdef\x80", 32);
    INVALID_AT("0123456\x80", 7);
    INVALID_AT("01234567\x80", 8);
    INVALID_AT("\xe2\x82\xac\xe2\x82\xac" "01234567890123456789\xc3", 26);
    size_t off = 7;
    assert_int_equal(eio_utf8_validate(NULL, 3, &off), EIO_ERR_INVALID_UTF8);
    assert_int_equal(eio_utf8_validate((const uint8_t *)"\x80", 1, NULL), EIO_ERR_INVALID_UTF8);
}

/* Every byte position of a long ASCII run, so each fast-path boundary is hit. */
static void error_at_every_position(void **state)
{
    (void)state;
    char buf[80];
    for (size_t at = 0; at < sizeof buf; at++) {
        memset(buf, 'x', sizeof buf);
        buf[at] = (char)0xC3; /* lead byte followed by 'x': invalid */
        size_t off = 999;
        assert_int_equal(validate(buf, sizeof buf, &off), EIO_ERR_INVALID_UTF8);
        assert_int_equal(off, at);
        buf[at] = (char)0xC3;
        if (at + 1 < sizeof buf) {
            buf[at + 1] = (char)0xA9; /* now valid */
            assert_int_equal(validate(buf, sizeof buf, NULL), 0);
        }
    }
}

/* Compares with a plain reference decoder on every 1-3 byte input. */
static int ref_validate(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i], cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (i + k > n) {
            return -1;
        }
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return -1;
            }
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return -1;
        }
        i += k;
    }
    return 0;
}

static void exhaustive_short_inputs(void **state)
{
    (void)state;
    uint8_t b[3];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        assert_int_equal(eio_utf8_validate(b, 1, NULL) == 0, ref_validate(b, 1) == 0);
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (uint8_t)y;
            assert_int_equal(eio_utf8_validate(b, 2, NULL) == 0, ref_validate(b, 2) == 0);
            if (x >= 0xE0 && x <= 0xF4) {
                for (unsigned z = 0x70; z < 0xC8; z++) {
                    b[2] = (uint8_t)z;
                    assert_int_equal(eio_utf8_validate(b, 3, NULL) == 0,
                                     ref_validate(b, 3) == 0);
                }
            }
        }
    }
    /* All four-byte leads with boundary second bytes. */
    uint8_t q[4] = {0, 0, 0x80, 0x80};
    for (unsigned x = 0xF0; x < 0x100; x++) {
        for (unsigned y = 0x70; y < 0xD0; y++) {
            q[0] = (uint8_t)x;
            q[1] = (uint8_t)y;
            assert_int_equal(eio_utf8_validate(q, 4, NULL) == 0, ref_validate(q, 4) == 0);
        }
    }
}

static void utf16_length(void **state)
{
    (void)state;
    assert_int_equal(eio_utf16_length((const uint8_t *)"", 0), 0);
    assert_int_equal(eio_utf16_length((const uint8_t *)"hello", 5), 5);
    assert_int_equal(eio_utf16_length((const uint8_t *)"\xe2\x82\xac", 3), 1);
    assert_int_equal(eio_utf16_length((const uint8_t *)"\xc3\xa9", 2), 1);
    assert_int_equal(eio_utf16_length((const uint8_t *)"\xf0\x9f\x98\x80", 4), 2);
    assert_int_equal(eio_utf16_length((const uint8_t *)"a\xf0\x9f\x98\x80\xe2\x82\xac", 8), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_sequences),
        cmocka_unit_test(invalid_sequences),
        cmocka_unit_test(error_at_every_position),
        cmocka_unit_test(exhaustive_short_inputs),
        cmocka_unit_test(utf16_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
