/*
 * Fuzz target: one Engine.IO packet (a WebSocket frame).
 *
 * Input: byte 0 bit 0 = version (0: v3, 1: v4), bit 1 = binary frame;
 * bytes 1.. = the frame. A frame that decodes is encoded again (as a binary
 * frame where allowed, and as base64 text) and decoded: both must give the
 * same packet type and the same data bytes (base64 decoded).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/eio.h"

/* The packet's data as raw bytes (base64 decoded); caller frees. */
static uint8_t *raw_data(const eio_packet *p, size_t *n)
{
    uint8_t *b = malloc(p->len + 1);
    if (b == NULL) {
        abort();
    }
    if (p->kind == EIO_DATA_BASE64) {
        if (eio_base64_decode(p->data, p->len, b, p->len, n, NULL) != 0) {
            abort(); /* the decoder validated it */
        }
    } else {
        if (p->len > 0) {
            memcpy(b, p->data, p->len);
        }
        *n = p->len;
    }
    return b;
}

static bool is_binary(eio_data_kind k)
{
    return k == EIO_DATA_BINARY || k == EIO_DATA_BASE64;
}

static void roundtrip(eio_version v, const eio_packet *p, unsigned flags)
{
    size_t need = 0;
    bool bin = false;
    int rc = eio_packet_encode(v, p, flags, NULL, 0, &need, &bin);
    if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        abort();
    }
    uint8_t *out = malloc(need + 1);
    if (out == NULL) {
        abort();
    }
    size_t len = 0;
    if (eio_packet_encode(v, p, flags, out, need, &len, &bin) != 0 || len != need) {
        abort();
    }
    eio_limits lim = {SIZE_MAX, SIZE_MAX, 0};
    eio_packet q;
    if (eio_packet_decode(v, out, len, bin, &lim, &q, NULL) != 0) {
        abort();
    }
    if (q.type != p->type || is_binary(q.kind) != is_binary(p->kind)) {
        abort();
    }
    size_t na, nb;
    uint8_t *a = raw_data(p, &na);
    uint8_t *b = raw_data(&q, &nb);
    if (na != nb || (na > 0 && memcmp(a, b, na) != 0)) {
        abort();
    }
    free(a);
    free(b);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    eio_version v = (data[0] & 1) ? EIO_V4 : EIO_V3;
    bool binary = (data[0] & 2) != 0;
    eio_packet p;
    eio_errinfo err;
    int rc = eio_packet_decode(v, data + 1, size - 1, binary, NULL, &p, &err);
    if (rc != 0) {
        if (rc != err.code || err.msg == NULL || err.offset > size - 1) {
            abort();
        }
        return 0;
    }
    roundtrip(v, &p, 0);
    roundtrip(v, &p, EIO_ENCODE_BASE64);
    return 0;
}
