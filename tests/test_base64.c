/* Strict base64: encode, decode, every error at its offset, sizes. */
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

static const struct {
    const char *raw;
    const char *b64;
} rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        size_t n = strlen(rfc4648[i].raw), m = strlen(rfc4648[i].b64);
        char enc[16];
        assert_int_equal(eio_base64_encoded_len(n), m);
        assert_int_equal(eio_base64_encode((const uint8_t *)rfc4648[i].raw, n, enc), m);
        assert_memory_equal(enc, rfc4648[i].b64, m);
        uint8_t *g = tu_guard_copy(rfc4648[i].b64, m);
        uint8_t dec[16];
        size_t got = 99;
        assert_int_equal(eio_base64_decode(g, m, dec, sizeof dec, &got, NULL), 0);
        assert_int_equal(got, n);
        assert_memory_equal(dec, rfc4648[i].raw, n);
        tu_guard_free(g, m);
    }
}

/* Every length 0..300 with all byte values: encode, decode, compare. */
static void roundtrip_all_lengths(void **state)
{
    (void)state;
    uint8_t raw[300], dec[300];
    char enc[400];
    for (size_t i = 0; i < sizeof raw; i++) {
        raw[i] = (uint8_t)(i * 151 + 7);
    }
    for (size_t n = 0; n <= sizeof raw; n++) {
        size_t m = eio_base64_encode(raw, n, enc);
        assert_int_equal(m, eio_base64_encoded_len(n));
        assert_true(eio_base64_decoded_max(m) >= n);
        uint8_t *g = tu_guard_copy(enc, m);
        size_t got = 0;
        /* Exactly the size needed is enough. */
        assert_int_equal(eio_base64_decode(g, m, dec, n, &got, NULL), 0);
        assert_int_equal(got, n);
        assert_memory_equal(dec, raw, n);
        if (n > 0) {
            eio_errinfo e;
            assert_int_equal(eio_base64_decode(g, m, dec, n - 1, &got, &e),
                             EIO_ERR_BUFFER_TOO_SMALL);
            assert_int_equal(got, n);
            assert_int_equal(e.code, EIO_ERR_BUFFER_TOO_SMALL);
        }
        tu_guard_free(g, m);
    }
}

static void sizes(void **state)
{
    (void)state;
    assert_int_equal(eio_base64_encoded_len(0), 0);
    assert_int_equal(eio_base64_encoded_len(1), 4);
    assert_int_equal(eio_base64_encoded_len(3), 4);
    assert_int_equal(eio_base64_encoded_len(4), 8);
    assert_int_equal(eio_base64_decoded_max(0), 0);
    assert_int_equal(eio_base64_decoded_max(4), 3);
    assert_int_equal(eio_base64_decoded_max(5), 6);
    assert_int_equal(eio_base64_decoded_max(8), 6);
}

static void expect_invalid(const char *s, size_t at)
{
    size_t n = strlen(s);
    uint8_t *g = tu_guard_copy(s, n);
    uint8_t out[256];
    size_t got = 0;
    eio_errinfo e = {0, NULL, 0};
    int rc = eio_base64_decode(g, n, out, sizeof out, &got, &e);
    if (rc != EIO_ERR_INVALID_BASE64 || e.offset != at) {
        fail_msg("\"%s\": rc %d offset %zu, expected offset %zu", s, rc, e.offset, at);
    }
    assert_int_equal(e.code, EIO_ERR_INVALID_BASE64);
    assert_non_null(e.msg);
    tu_guard_free(g, n);
}

static void strict_errors(void **state)
{
    (void)state;
    expect_invalid("A", 1);           /* length not a multiple of 4 */
    expect_invalid("AQI", 3);
    expect_invalid("AQIDB", 5);
    expect_invalid("AQ?D", 2);        /* outside the alphabet */
    expect_invalid("AQ-_", 2);        /* URL-safe alphabet */
    expect_invalid("AQID AQID", 4);
    expect_invalid("AQID\nAQI", 4);
    expect_invalid("=AAA", 0);        /* padding too early */
    expect_invalid("A===", 1);
    expect_invalid("AQ=D", 3);        /* data after "xx=" */
    expect_invalid("AQ==AQID", 4);    /* data after a padded group */
    expect_invalid("AQI=AQID", 4);
}

static void unused_bits(void **state)
{
    (void)state;
    expect_invalid("AR==", 1); /* 'R' has nonzero low bits */
    expect_invalid("AQJ=", 2); /* 'J' has nonzero low bits */
    expect_invalid("AAAAAR==", 5);
    expect_invalid("AQ=", 3);  /* stops early after "xx=" */
    expect_invalid("AQID\x80\x80\x80\x80", 4);
    expect_invalid("AQIDAQIDAQIDAQIDAQIDAQIDAQIDAQI*", 31);
    expect_invalid("*QIDAQIDAQIDAQIDAQIDAQIDAQIDAQID", 0);
}

/* A bad character at every position of a long input is found exactly. */
static void bad_char_every_position(void **state)
{
    (void)state;
    char s[97];
    for (size_t at = 0; at < 96; at++) {
        memset(s, 'Q', 96);
        s[96] = 0;
        s[at] = '!';
        expect_invalid(s, at);
        s[at] = '=';
        if (at == 95) {
            /* "QQQ=" at the end is valid: 'Q' has zero unused bits. */
            uint8_t out[96];
            size_t got;
            assert_int_equal(eio_base64_decode((const uint8_t *)s, 96, out, sizeof out, &got,
                                               NULL),
                             0);
            assert_int_equal(got, 71);
            continue;
        }
        /* '=' early in a group is itself bad; later, what follows it is. */
        expect_invalid(s, at % 4 < 2 ? at : at + 1);
    }
}

static void arguments(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t got = 5;
    eio_errinfo e;
    assert_int_equal(eio_base64_decode(NULL, 4, out, 4, &got, &e), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.code, EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_base64_decode((const uint8_t *)"AAAA", 4, out, 4, NULL, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_base64_decode((const uint8_t *)"AAAA", 4, NULL, 4, &got, NULL),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_base64_decode(NULL, 0, NULL, 0, &got, NULL), 0);
    assert_int_equal(got, 0);
    /* Measuring with cap 0 reports the exact size. */
    assert_int_equal(eio_base64_decode((const uint8_t *)"AQI=", 4, NULL, 0, &got, NULL),
                     EIO_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(got, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),   cmocka_unit_test(roundtrip_all_lengths),
        cmocka_unit_test(sizes),             cmocka_unit_test(strict_errors),
        cmocka_unit_test(unused_bits),       cmocka_unit_test(bad_char_every_position),
        cmocka_unit_test(arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
