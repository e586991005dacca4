/*
 * Fuzz target: one msgpack Socket.IO packet. Whatever the decoder accepts
 * must encode, decode again to the same packet, and, when the input was
 * written the way notepack.io and the server key order write it
 * ("canonical", checked here independently of the codec), encode to the
 * very same bytes. A deep copy of the packet's data (eio_json_clone)
 * encodes to the same bytes as the original.
 */
#include "fuzz_target.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static bool integral(double d)
{
    return fabs(d) >= 9007199254740992.0 || (double)(int64_t)d == d;
}

/* NaN is not equal to itself, so trees holding one are compared by bytes only. */
static bool has_nan(const eio_json *v, int depth)
{
    if (v->type == EIO_JSON_DOUBLE) {
        return isnan(v->u.d);
    }
    if ((v->type == EIO_JSON_ARRAY || v->type == EIO_JSON_OBJECT) && depth < 300) {
        for (const eio_json *c = v->u.c.first; c != NULL; c = c->next) {
            if (has_nan(c, depth + 1)) {
                return true;
            }
        }
    }
    return false;
}

/* Whether the value at *pos uses the format notepack.io picks for it. */
static bool canon_value(const uint8_t *b, size_t len, size_t *pos, int depth)
{
    if (*pos >= len || depth > 300) {
        return false;
    }
    uint8_t h = b[(*pos)++];
    size_t n = 0;
    if (h <= 0x7f || h >= 0xe0 || h == 0xc0 || h == 0xc2 || h == 0xc3) {
        return true;
    }
    if (h >= 0xa0 && h <= 0xbf) {
        n = h & 0x1fu;
    } else if (h >= 0x80 && h <= 0x9f) {
        n = h & 0x0fu;
    } else {
        static const uint8_t extra[] = {
            /* c4 */ 1, 2, 4, 0, 0, 0, 4, 8, /* cc */ 1, 2, 4, 8, 1, 2, 4, 8,
            /* d4 */ 2, 0, 0, 0, 0, /* d9 */ 1, 2, 4, 2, 4, 2, 4};
        if (h < 0xc4 || h > 0xdf || extra[h - 0xc4] == 0) {
            return false; /* c1, float 32, ext (except undefined below) */
        }
        size_t k = extra[h - 0xc4];
        if (len - *pos < k) {
            return false;
        }
        uint64_t v = be(b + *pos, k);
        *pos += k;
        switch (h) {
        case 0xcb: {
            double d;
            memcpy(&d, &v, sizeof d);
            if (isnan(d)) {
                return v == UINT64_C(0x7ff8000000000000);
            }
            /* sioc writes float 64 for numbers no 64-bit format holds */
            return isinf(d) || !integral(d) || d >= 18446744073709551616.0 ||
                   d < -9223372036854775808.0;
        }
        case 0xcc: return v >= 0x80;
        case 0xcd: return v >= 0x100;
        case 0xce: return v >= 0x10000;
        case 0xcf:
            return v >= UINT64_C(0x100000000) &&
                   (v <= (uint64_t)INT64_MAX ||
                    ((double)v < 18446744073709551616.0 && (uint64_t)(double)v == v));
        case 0xd0: return (int8_t)v < -32;
        case 0xd1: return (int16_t)v < -128;
        case 0xd2: return (int32_t)v < -32768;
        case 0xd3: return (int64_t)v < INT64_C(-2147483648);
        case 0xd4: return v == 0; /* undefined: type 0, data 0 */
        case 0xd9: n = (size_t)v; return n >= 32 && len - *pos >= n && (*pos += n, true);
        case 0xda: n = (size_t)v; return n >= 256 && len - *pos >= n && (*pos += n, true);
        case 0xdb: n = (size_t)v; return n >= 65536 && len - *pos >= n && (*pos += n, true);
        case 0xc4: n = (size_t)v; return len - *pos >= n && (*pos += n, true);
        case 0xc5: n = (size_t)v; return n >= 256 && len - *pos >= n && (*pos += n, true);
        case 0xc6: n = (size_t)v; return n >= 65536 && len - *pos >= n && (*pos += n, true);
        case 0xdc: case 0xdd: case 0xde: case 0xdf:
            n = (size_t)v;
            if (n < (h == 0xdc || h == 0xde ? 16u : 65536u)) {
                return false;
            }
            h = (h == 0xdc || h == 0xdd) ? 0x90 : 0x80;
            goto container;
        default:
            return false;
        }
    }
    if (h >= 0xa0) { /* fixstr */
        if (len - *pos < n) {
            return false;
        }
        *pos += n;
        return true;
    }
    h = h >= 0x90 ? 0x90 : 0x80;
container:
    for (size_t i = 0; i < (h == 0x80 ? 2 * n : n); i++) {
        if (!canon_value(b, len, pos, depth + 1)) {
            return false;
        }
    }
    return true;
}

/* Reads the top-level key at *pos (a fixstr) into name. */
static bool top_key(const uint8_t *b, size_t len, size_t *pos, char *name)
{
    if (*pos >= len || b[*pos] < 0xa0 || b[*pos] > 0xa4) {
        return false;
    }
    size_t n = b[*pos] & 0x1fu;
    if (len - *pos - 1 < n) {
        return false;
    }
    memcpy(name, b + *pos + 1, n);
    name[n] = '\0';
    *pos += 1 + n;
    return true;
}

static bool canonical(const uint8_t *b, size_t len, const sio_packet *p)
{
    if (len == 0 || b[0] < 0x82 || b[0] > 0x84) {
        return false;
    }
    const char *order[4];
    size_t k = 0;
    if (p->type == SIO_PACKET_ACK && p->has_id) {
        order[k++] = "id";
    }
    order[k++] = "type";
    if (p->data != NULL) {
        order[k++] = "data";
    }
    if (p->type != SIO_PACKET_ACK && p->has_id) {
        order[k++] = "id";
    }
    order[k++] = "nsp";
    if ((size_t)(b[0] & 0x0f) != k) {
        return false;
    }
    size_t pos = 1;
    for (size_t i = 0; i < k; i++) {
        char name[8];
        if (!top_key(b, len, &pos, name) || strcmp(name, order[i]) != 0) {
            return false;
        }
        if (!canon_value(b, len, &pos, 0)) {
            return false;
        }
    }
    return pos == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t arena_buf[1 << 20];
    eio_arena a;
    eio_arena_init_fixed(&a, arena_buf, sizeof arena_buf);
    sio_packet p;
    eio_errinfo err;
    int rc = sio_msgpack_decode(data, size, NULL, &a, &p, &err);
    if (rc != 0) {
        if (rc != err.code || err.msg == NULL || err.offset > size) {
            abort();
        }
        return 0;
    }
    size_t need = 0;
    rc = sio_msgpack_encode(&p, NULL, 0, &need);
    if (rc != EIO_ERR_BUFFER_TOO_SMALL && rc != 0) {
        abort(); /* anything decoded can be sent back */
    }
    uint8_t *out = malloc(need + 1);
    if (out == NULL) {
        return 0;
    }
    size_t n = 0;
    if (sio_msgpack_encode(&p, out, need, &n) != 0 || n != need) {
        abort();
    }
    sio_packet q;
    if (sio_msgpack_decode(out, n, NULL, &a, &q, &err) != 0) {
        abort();
    }
    if (q.type != p.type || q.has_id != p.has_id || q.id != p.id || q.nsp.len != p.nsp.len ||
        memcmp(q.nsp.ptr, p.nsp.ptr, p.nsp.len) != 0 || (q.data == NULL) != (p.data == NULL)) {
        abort();
    }
    if (p.data != NULL && !has_nan(p.data, 0) && !eio_json_equal(p.data, q.data)) {
        abort();
    }
    /* A deep copy (binary and undefined nodes included) encodes to the
       same bytes. */
    if (p.data != NULL) {
        eio_arena ca;
        eio_arena_init(&ca, NULL, 1 << 16, 0);
        sio_packet pc = p;
        pc.data = eio_json_clone(&ca, p.data);
        uint8_t *outc = malloc(need + 1);
        size_t nc = 0;
        if (pc.data == NULL || outc == NULL || sio_msgpack_encode(&pc, outc, need, &nc) != 0 ||
            nc != n || memcmp(outc, out, n) != 0) {
            abort();
        }
        free(outc);
        eio_arena_destroy(&ca);
    }
    if (canonical(data, size, &p) && (n != size || memcmp(out, data, size) != 0)) {
        abort();
    }
    free(out);
    return 0;
}
