/*
 * Socket.IO text packets. Input: byte 0 bit 0 = protocol (0: v4, 1: v5),
 * the rest = the packet. Checks that the header and the full decode agree,
 * and that a decoded packet re-encodes to text that decodes to an equal
 * packet.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/sio.h"

static bool same_slice(eio_slice a, eio_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* BINARY_EVENT without binary data goes out as EVENT (and ACK alike). */
static int plain_type(sio_packet_type t)
{
    return t == SIO_PACKET_BINARY_EVENT ? SIO_PACKET_EVENT
           : t == SIO_PACKET_BINARY_ACK ? SIO_PACKET_ACK
                                        : (int)t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    sio_version v = (data[0] & 1) ? SIO_V5 : SIO_V4;
    size_t len = size - 1;
    /* an exact-size copy, so that any over-read is caught */
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data + 1, len);

    sio_header h;
    eio_errinfo he;
    int hr = sio_header_decode(v, buf, len, NULL, &h, &he);
    if (hr < 0 && (he.code != hr || he.offset > len || he.msg == NULL)) {
        abort();
    }

    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_packet p;
    eio_errinfo pe;
    int pr = sio_packet_decode(v, buf, len, NULL, &a, &p, &pe);
    if (pr < 0 && (pe.code != pr || pe.offset > len || pe.msg == NULL)) {
        abort();
    }
    if (pr == 0) {
        /* whatever decodes fully has a valid header, with the same fields */
        if (hr != 0 || h.type != p.type || h.attachments != p.attachments ||
            !same_slice(h.nsp, p.nsp) || !same_slice(h.query, p.query) ||
            h.has_id != p.has_id || h.id != p.id || (h.payload.len == 0) != (p.data == NULL)) {
            abort();
        }
        if (h.event_kind == SIO_EVENT_STRING || h.event_kind == SIO_EVENT_ESCAPED) {
            const eio_json *name = p.data->u.c.first;
            if (name->type != EIO_JSON_STRING) {
                abort();
            }
            if (h.event_kind == SIO_EVENT_STRING &&
                (name->u.str.len != h.event.len ||
                 memcmp(name->u.str.ptr, h.event.ptr, h.event.len) != 0)) {
                abort();
            }
        } else if (h.event_kind == SIO_EVENT_NUMBER) {
            const eio_json *name = p.data->u.c.first;
            if (name->type != EIO_JSON_INT && name->type != EIO_JSON_DOUBLE) {
                abort();
            }
        }

        /* re-encode, decode again: an equal packet */
        size_t need = 0;
        int er = sio_packet_encode(v, &p, NULL, 0, &need);
        if (er != EIO_ERR_BUFFER_TOO_SMALL || need == 0) {
            abort();
        }
        uint8_t *out = malloc(need);
        size_t n = 0;
        if (out == NULL) {
            abort();
        }
        if (sio_packet_encode(v, &p, out, need, &n) != 0 || n != need) {
            abort();
        }
        sio_packet q;
        eio_errinfo qe;
        if (sio_packet_decode(v, out, n, NULL, &a, &q, &qe) != 0) {
            abort();
        }
        if (plain_type(q.type) != plain_type(p.type) || !same_slice(q.nsp, p.nsp) ||
            !same_slice(q.query, p.query) || q.has_id != p.has_id || q.id != p.id) {
            abort();
        }
        if ((p.data == NULL) != (q.data == NULL) ||
            (p.data != NULL && !eio_json_equal(p.data, q.data))) {
            abort();
        }
        /* the canonical form is a fixed point */
        uint8_t *again = malloc(n);
        size_t n2 = 0;
        if (again == NULL || sio_packet_encode(v, &q, again, n, &n2) != 0 || n2 != n ||
            memcmp(again, out, n) != 0) {
            abort();
        }
        free(again);
        free(out);
    }
    eio_arena_destroy(&a);
    free(buf);
    return 0;
}
