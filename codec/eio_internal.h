/*
 * eio_internal.h - internals shared by the Engine.IO codec's source files.
 * Not installed; nothing here is exported from the shared library.
 */
#ifndef SIOC_EIO_INTERNAL_H
#define SIOC_EIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sioc/eio.h"

/* Result of eio_utf8_step. */
#define EIO_UTF8_INCOMPLETE 0 /* a valid prefix of a sequence that the input cuts short */
#define EIO_UTF8_BAD (-1)     /* not the start of any valid sequence */

/*
 * Examines the sequence starting at s[0] with `avail` (>= 1) bytes present.
 * Returns its length (1-4) when complete and valid, EIO_UTF8_INCOMPLETE when
 * every byte present is a valid start of a longer sequence, EIO_UTF8_BAD
 * otherwise. Never reads past s[avail-1].
 */
static inline int eio_utf8_step(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        return 1;
    }
    int need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) {
            lo = 0xA0; /* overlong */
        } else if (c == 0xED) {
            hi = 0x9F; /* surrogates */
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) {
            lo = 0x90; /* overlong */
        } else if (c == 0xF4) {
            hi = 0x8F; /* above U+10FFFF */
        }
    } else {
        return EIO_UTF8_BAD;
    }
    if (avail < 2) {
        return EIO_UTF8_INCOMPLETE;
    }
    if (s[1] < lo || s[1] > hi) {
        return EIO_UTF8_BAD;
    }
    for (int i = 2; i < need; i++) {
        if ((size_t)i >= avail) {
            return EIO_UTF8_INCOMPLETE;
        }
        if ((s[i] & 0xC0) != 0x80) {
            return EIO_UTF8_BAD;
        }
    }
    return need;
}

/* True when the 8 bytes at p are all ASCII. */
static inline bool eio_ascii8(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return (w & UINT64_C(0x8080808080808080)) == 0;
}

/*
 * Validates strict base64 without decoding it. Returns 0 or
 * EIO_ERR_INVALID_BASE64 with *err_off set (same offsets as
 * eio_base64_decode).
 */
int eio_b64_validate(const uint8_t *in, size_t n, size_t *err_off);

/* Bytes that strict, already validated base64 text of length n decodes to. */
size_t eio_b64_decoded_len(const uint8_t *in, size_t n);

/* Decoding failure of one packet: code, static message and offset in the packet. */
typedef struct eio_fail {
    int code;
    const char *msg;
    size_t offset;
} eio_fail;

/*
 * Decodes one text packet (a WebSocket text frame or a text record of a
 * payload). `utf8_checked` skips UTF-8 validation when the caller already
 * did it. Returns 0 or a negative code with *f filled.
 */
int eio_packet_decode_text(eio_version v, const uint8_t *buf, size_t len, bool utf8_checked,
                           eio_packet *out, eio_fail *f);

/*
 * Decodes a v3 binary packet (type byte + data). Returns 0 or a negative
 * code with *f filled.
 */
int eio_packet_decode_v3_binary(const uint8_t *buf, size_t len, eio_packet *out, eio_fail *f);

/*
 * Checks that `p` can be encoded (type, kind, data) and returns the length
 * of its binary data after base64 decoding in *bin_len (BINARY/BASE64 kinds).
 */
int eio_packet_check(const eio_packet *p, size_t *bin_len);

/*
 * Size of the text form of a checked packet: `<digit>[data]`, or for binary
 * data `b` [`<digit>` when v3] base64.
 */
size_t eio_packet_text_size(eio_version v, const eio_packet *p, size_t bin_len);

/* Writes the text form sized by eio_packet_text_size; returns the end pointer. */
uint8_t *eio_packet_text_write(eio_version v, const eio_packet *p, uint8_t *out);

/* Copies the binary bytes of a checked BINARY or BASE64 packet to out; returns the end. */
uint8_t *eio_packet_binary_write(const eio_packet *p, uint8_t *out);

/* True for kinds that carry binary data. */
static inline bool eio_kind_is_binary(eio_data_kind k)
{
    return k == EIO_DATA_BINARY || k == EIO_DATA_BASE64;
}

/*
 * Copies n bytes; runs of up to 16 bytes without a library call, as two
 * possibly overlapping word moves (short strings and packets dominate the
 * protocol, and a memcpy call costs more than the copy itself there).
 */
static inline void eio_copy_short(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++) {
            d[i] = s[i];
        }
    }
}

#endif /* SIOC_EIO_INTERNAL_H */
