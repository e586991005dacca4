/*
 * Strict base64 (RFC 4648, standard alphabet, padded).
 *
 * Decoding looks each character up in one of four tables that hold its six
 * bits already shifted into place; an invalid character's entry has a bit
 * above the 24 data bits set, so OR-ing the four lookups of a group both
 * assembles the three bytes and flags any bad character with one test.
 * Only when that test fails does a slow scan find the exact offset.
 */
#include <string.h>

#include "eio_internal.h"

static const char alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The six-bit value of character c, or 64 if c is not in the alphabet. */
#define B64V(c)                                                                              \
    ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                  \
     : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                             \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                             \
     : (c) == '+'               ? 62                                                         \
     : (c) == '/'               ? 63                                                         \
                                : 64)
#define B64BAD 0x01000000u
#define B64T(c, shift) (B64V(c) == 64 ? B64BAD : (uint32_t)B64V(c) << (shift))
#define T0(c) B64T(c, 18)
#define T1(c) B64T(c, 12)
#define T2(c) B64T(c, 6)
#define T3(c) B64T(c, 0)
#define R4(M, n) M(n), M((n) + 1), M((n) + 2), M((n) + 3)
#define R16(M, n) R4(M, n), R4(M, (n) + 4), R4(M, (n) + 8), R4(M, (n) + 12)
#define R64(M, n) R16(M, n), R16(M, (n) + 16), R16(M, (n) + 32), R16(M, (n) + 48)
#define R256(M) R64(M, 0), R64(M, 64), R64(M, 128), R64(M, 192)

static const uint32_t dec0[256] = {R256(T0)};
static const uint32_t dec1[256] = {R256(T1)};
static const uint32_t dec2[256] = {R256(T2)};
static const uint32_t dec3[256] = {R256(T3)};

size_t eio_base64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? 4 : 0);
}

size_t eio_base64_decoded_max(size_t n)
{
    return n / 4 * 3 + (n % 4 ? 3 : 0);
}

size_t eio_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0;
    char *o = out;
    /* Six input bytes make eight characters: one 64-bit load, one store. */
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        char q[8];
        q[0] = alphabet[(w >> 58) & 63];
        q[1] = alphabet[(w >> 52) & 63];
        q[2] = alphabet[(w >> 46) & 63];
        q[3] = alphabet[(w >> 40) & 63];
        q[4] = alphabet[(w >> 34) & 63];
        q[5] = alphabet[(w >> 28) & 63];
        q[6] = alphabet[(w >> 22) & 63];
        q[7] = alphabet[(w >> 16) & 63];
        memcpy(o, q, 8);
        o += 8;
        i += 6;
    }
    while (n - i >= 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = alphabet[v & 63];
        o += 4;
        i += 3;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = '=';
        o[3] = '=';
        o += 4;
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = '=';
        o += 4;
    }
    return (size_t)(o - out);
}

static bool is_b64char(uint8_t c)
{
    return dec3[c] != B64BAD;
}

/*
 * Finds the first offending character of invalid input (called only after
 * the fast path failed, or to validate the last group). The rules, in input
 * order: a character outside the alphabet and '=' is bad; '=' is bad in the
 * first two positions of a group; after "xx=" only '=' may follow; nothing
 * may follow a padded group; a padded group whose last data character has
 * nonzero unused bits is bad at that character; input that stops early
 * (length not a multiple of 4, or "xx=" at the end) is bad at its end.
 */
static size_t find_error(const uint8_t *in, size_t n)
{
    bool padded = false; /* a group ended with padding */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        size_t p = i % 4;
        if (padded) {
            return i;
        }
        if (is_b64char(c)) {
            if (p == 3 && i >= 1 && in[i - 1] == '=') {
                return i; /* "xx=" must be followed by '=' */
            }
            continue;
        }
        if (c != '=' || p < 2) {
            return i;
        }
        if (p == 2) {
            if ((dec3[in[i - 1]] & 0x0F) != 0) {
                return i - 1;
            }
            continue;
        }
        /* p == 3 */
        if (in[i - 1] != '=' && (dec3[in[i - 1]] & 0x03) != 0) {
            return i - 1;
        }
        padded = true;
    }
    return n; /* only possible failure left: the input stops early */
}

size_t eio_b64_decoded_len(const uint8_t *in, size_t n)
{
    size_t len = n / 4 * 3;
    if (n >= 4) {
        len -= (size_t)(in[n - 1] == '=') + (size_t)(in[n - 2] == '=');
    }
    return len;
}

/*
 * Decodes the groups before the last one (the only one that may be padded).
 * Returns false if any character is invalid. `out` may be NULL to validate.
 */
static bool decode_body(const uint8_t *in, size_t groups, uint8_t *out)
{
    size_t i = 0;
    if (out == NULL) {
        uint32_t acc = 0;
        for (; i + 4 <= groups; i += 4) {
            const uint8_t *s = in + i * 4;
            for (int g = 0; g < 16; g += 4) {
                acc |= dec0[s[g]] | dec1[s[g + 1]] | dec2[s[g + 2]] | dec3[s[g + 3]];
            }
            if (acc & B64BAD) {
                return false;
            }
        }
        for (; i < groups; i++) {
            const uint8_t *s = in + i * 4;
            acc |= dec0[s[0]] | dec1[s[1]] | dec2[s[2]] | dec3[s[3]];
        }
        return (acc & B64BAD) == 0;
    }
    /* Two groups per step: the check is one predictable branch. */
    for (; i + 2 <= groups; i += 2) {
        const uint8_t *s = in + i * 4;
        uint32_t a = dec0[s[0]] | dec1[s[1]] | dec2[s[2]] | dec3[s[3]];
        uint32_t b = dec0[s[4]] | dec1[s[5]] | dec2[s[6]] | dec3[s[7]];
        if ((a | b) & B64BAD) {
            return false;
        }
        uint8_t *o = out + i * 3;
        o[0] = (uint8_t)(a >> 16);
        o[1] = (uint8_t)(a >> 8);
        o[2] = (uint8_t)a;
        o[3] = (uint8_t)(b >> 16);
        o[4] = (uint8_t)(b >> 8);
        o[5] = (uint8_t)b;
    }
    if (i < groups) {
        const uint8_t *s = in + i * 4;
        uint32_t a = dec0[s[0]] | dec1[s[1]] | dec2[s[2]] | dec3[s[3]];
        if (a & B64BAD) {
            return false;
        }
        uint8_t *o = out + i * 3;
        o[0] = (uint8_t)(a >> 16);
        o[1] = (uint8_t)(a >> 8);
        o[2] = (uint8_t)a;
    }
    return true;
}

/*
 * Checks the last group (s[0..3]) and decodes it into out (when not NULL).
 * Returns the number of bytes (1-3) or -1 if it is invalid.
 */
static int decode_last(const uint8_t *s, uint8_t *out)
{
    uint32_t a = dec0[s[0]] | dec1[s[1]];
    if (s[3] != '=') {
        uint32_t v = a | dec2[s[2]] | dec3[s[3]];
        if (v & B64BAD) {
            return -1;
        }
        if (out != NULL) {
            out[0] = (uint8_t)(v >> 16);
            out[1] = (uint8_t)(v >> 8);
            out[2] = (uint8_t)v;
        }
        return 3;
    }
    if (s[2] != '=') {
        uint32_t v = a | dec2[s[2]];
        if ((v & B64BAD) || (v & 0xFF)) {
            return -1;
        }
        if (out != NULL) {
            out[0] = (uint8_t)(v >> 16);
            out[1] = (uint8_t)(v >> 8);
        }
        return 2;
    }
    if ((a & B64BAD) || (a & 0xFFFF)) {
        return -1;
    }
    if (out != NULL) {
        out[0] = (uint8_t)(a >> 16);
    }
    return 1;
}

int eio_b64_validate(const uint8_t *in, size_t n, size_t *err_off)
{
    if (n == 0) {
        return 0;
    }
    if (n % 4 != 0 || !decode_body(in, n / 4 - 1, NULL) || decode_last(in + n - 4, NULL) < 0) {
        *err_off = find_error(in, n);
        return EIO_ERR_INVALID_BASE64;
    }
    return 0;
}

int eio_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                      eio_errinfo *err)
{
    int code = 0;
    const char *msg = NULL;
    size_t off = 0;
    if ((in == NULL && n > 0) || out_len == NULL || (out == NULL && cap > 0)) {
        code = EIO_ERR_INVALID_ARGUMENT;
        msg = "NULL argument";
        goto fail;
    }
    *out_len = 0;
    if (n == 0) {
        return 0;
    }
    if (n % 4 != 0) {
        code = EIO_ERR_INVALID_BASE64;
        msg = "base64: invalid character, padding or length";
        off = find_error(in, n);
        goto fail;
    }
    size_t need = eio_b64_decoded_len(in, n);
    if (cap < need) {
        *out_len = need;
        code = EIO_ERR_BUFFER_TOO_SMALL;
        msg = "output buffer too small";
        goto fail;
    }
    size_t groups = n / 4 - 1;
    if (!decode_body(in, groups, out) || decode_last(in + n - 4, out + groups * 3) < 0) {
        code = EIO_ERR_INVALID_BASE64;
        msg = "base64: invalid character, padding or length";
        off = find_error(in, n);
        goto fail;
    }
    *out_len = need;
    return 0;
fail:
    if (err != NULL) {
        err->code = code;
        err->msg = msg;
        err->offset = off;
    }
    return code;
}
