/*
 * The Socket.IO decoder fed a sequence of messages. Input: byte 0 bit 0 =
 * protocol (0: v4, 1: v5), then messages, each <flags: bit 0 binary>
 * <length: 2 bytes little-endian><bytes> (a short last message takes what
 * is left). Every packet returned must re-encode, with its attachments,
 * into messages that a fresh decoder turns into an equal packet.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/sio.h"

#define MAX_MSGS 64

static bool same_slice(eio_slice a, eio_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int plain_type(sio_packet_type t)
{
    return t == SIO_PACKET_BINARY_EVENT ? SIO_PACKET_EVENT
           : t == SIO_PACKET_BINARY_ACK ? SIO_PACKET_ACK
                                        : (int)t;
}

static void roundtrip(sio_version v, const sio_packet *p)
{
    size_t need = 0;
    if (sio_packet_encode(v, p, NULL, 0, &need) != EIO_ERR_BUFFER_TOO_SMALL) {
        abort();
    }
    uint8_t *text = malloc(need);
    size_t n = 0;
    if (text == NULL || sio_packet_encode(v, p, text, need, &n) != 0 || n != need) {
        abort();
    }
    size_t count = sio_packet_attachments(p, NULL, 0);
    const eio_json **list = malloc((count > 0 ? count : 1) * sizeof *list);
    if (list == NULL || sio_packet_attachments(p, list, count) != count) {
        abort();
    }

    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_limits lim;
    sio_limits_default(&lim);
    lim.max_attachments = count > 0 ? count : 1;
    sio_decoder d;
    if (sio_decoder_init(&d, v, SIO_PARSER_JSON, &lim, &a, 0) != 0) {
        abort();
    }
    sio_packet q;
    eio_errinfo err;
    int rc = sio_decoder_feed(&d, text, n, false, &q, &err);
    for (size_t i = 0; i < count; i++) {
        if (rc != SIO_DECODER_NEED_MORE) {
            abort();
        }
        rc = sio_decoder_feed(&d, (const uint8_t *)list[i]->u.str.ptr, list[i]->u.str.len, true,
                              &q, &err);
    }
    if (rc != SIO_DECODER_PACKET) {
        abort();
    }
    if (plain_type(q.type) != plain_type(p->type) || !same_slice(q.nsp, p->nsp) ||
        !same_slice(q.query, p->query) || q.has_id != p->has_id || q.id != p->id ||
        (p->data == NULL) != (q.data == NULL) ||
        (p->data != NULL && !eio_json_equal(p->data, q.data))) {
        abort();
    }
    eio_arena_destroy(&a);
    free(list);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    sio_version v = (data[0] & 1) ? SIO_V5 : SIO_V4;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    sio_decoder d;
    if (sio_decoder_init(&d, v, SIO_PARSER_JSON, NULL, &a, 0) != 0) {
        abort();
    }
    /* messages stay alive to the end: packets point into them */
    uint8_t *msgs[MAX_MSGS];
    size_t nmsgs = 0;
    size_t pos = 1;
    while (pos < size && nmsgs < MAX_MSGS) {
        bool binary = data[pos] & 1;
        size_t len = 0;
        if (pos + 1 < size) {
            len = data[pos + 1];
        }
        if (pos + 2 < size) {
            len |= (size_t)data[pos + 2] << 8;
        }
        pos += 3;
        if (pos > size) {
            pos = size;
        }
        if (len > size - pos) {
            len = size - pos;
        }
        uint8_t *m = malloc(len > 0 ? len : 1);
        if (m == NULL) {
            break;
        }
        memcpy(m, data + pos, len);
        msgs[nmsgs++] = m;
        pos += len;

        sio_packet p;
        eio_errinfo err;
        int rc = sio_decoder_feed(&d, m, len, binary, &p, &err);
        if (rc < 0) {
            if (err.code != rc || err.offset > len || err.msg == NULL ||
                sio_decoder_pending(&d)) {
                abort();
            }
        } else if (rc == SIO_DECODER_PACKET) {
            if (sio_decoder_pending(&d)) {
                abort();
            }
            roundtrip(v, &p);
        } else if (rc != SIO_DECODER_NEED_MORE || !sio_decoder_pending(&d)) {
            abort();
        }
    }
    for (size_t i = 0; i < nmsgs; i++) {
        free(msgs[i]);
    }
    eio_arena_destroy(&a);
    return 0;
}
