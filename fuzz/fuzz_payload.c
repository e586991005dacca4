/*
 * Fuzz target: one polling body through the incremental payload decoder.
 *
 * Input: byte 0 bit 0 = version (0: v3, 1: v4), bit 1 = binary format (v3
 * only; ignored for v4), bit 2 = small limits (max_payload 200, max_packet
 * 40, max_packets 5); byte 1 = seed for the chunk sizes; bytes 2.. = body.
 *
 * The body is decoded whole, then fed in chunks into a growing copy with
 * occasional rebase: both runs must give identical packets, or the same
 * error code and offset. (A body over max_payload fails whole at once,
 * while chunks may first yield packets or an earlier error.) Accepted
 * packets are encoded again, and that body must decode to them.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sioc/eio.h"

typedef struct {
    eio_packet_type type;
    bool binary;
    size_t off; /* data in the run's byte store */
    size_t len;
} item;

typedef struct {
    item *items;
    size_t n;
    uint8_t *store; /* packet data, raw bytes */
    size_t used;
    int code;
    size_t offset;
} run;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        abort();
    }
    return p;
}

/* Raw packet data is never longer than the body it came from. */
static void run_init(run *r, size_t body_len)
{
    r->items = xmalloc((body_len + 1) * sizeof *r->items);
    r->store = xmalloc(body_len + 1);
    r->n = 0;
    r->used = 0;
    r->code = 0;
    r->offset = 0;
}

static void run_free(run *r)
{
    free(r->items);
    free(r->store);
}

static void add(run *r, const eio_packet *p, size_t cap)
{
    item *it = &r->items[r->n++];
    it->type = p->type;
    it->binary = p->kind == EIO_DATA_BINARY || p->kind == EIO_DATA_BASE64;
    it->off = r->used;
    size_t n = p->len;
    if (p->kind == EIO_DATA_BASE64) {
        if (eio_base64_decode(p->data, p->len, r->store + r->used, cap - r->used, &n, NULL) != 0) {
            abort();
        }
    } else if (n > 0) {
        if (n > cap - r->used) {
            abort();
        }
        memcpy(r->store + r->used, p->data, n);
    }
    it->len = n;
    r->used += n;
}

static bool same(const run *a, const run *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        const item *x = &a->items[i], *y = &b->items[i];
        if (x->type != y->type || x->binary != y->binary || x->len != y->len ||
            (x->len > 0 && memcmp(a->store + x->off, b->store + y->off, x->len) != 0)) {
            return false;
        }
    }
    return true;
}

static void check_error(int rc, const eio_errinfo *e, size_t body_len)
{
    if (rc != e->code || e->msg == NULL || e->offset > body_len) {
        abort();
    }
}

static void decode_whole(eio_version v, eio_payload_format f, const eio_limits *lim,
                         const uint8_t *body, size_t len, run *r)
{
    eio_payload_decoder d;
    if (eio_payload_decoder_init(&d, v, f, lim) != 0) {
        abort();
    }
    for (;;) {
        eio_packet p;
        eio_errinfo e;
        int rc = eio_payload_decoder_next(&d, body, len, true, &p, &e);
        if (rc == EIO_PAYLOAD_PACKET) {
            add(r, &p, len + 1);
        } else if (rc == EIO_PAYLOAD_END) {
            return;
        } else if (rc < 0) {
            check_error(rc, &e, len);
            r->code = rc;
            r->offset = e.offset;
            return;
        } else {
            abort(); /* NEED_MORE with final */
        }
    }
}

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void decode_chunked(eio_version v, eio_payload_format f, const eio_limits *lim,
                           const uint8_t *body, size_t len, uint8_t seed, run *r)
{
    eio_payload_decoder d;
    if (eio_payload_decoder_init(&d, v, f, lim) != 0) {
        abort();
    }
    uint32_t rs = 0x9E3779B9u ^ ((uint32_t)seed * 0x01010101u);
    uint8_t *buf = NULL;
    size_t have = 0;    /* bytes of the body received */
    size_t dropped = 0; /* bytes dropped by rebase */
    size_t calls = 0;
    for (;;) {
        size_t n = have - dropped;
        /* A fresh exact-size copy each call, so any over-read is caught. */
        uint8_t *view = xmalloc(n);
        if (n > 0) {
            memcpy(view, buf, n);
        }
        eio_packet p;
        eio_errinfo e;
        int rc = eio_payload_decoder_next(&d, view, n, have == len, &p, &e);
        if (++calls > 4 * len + 100) {
            abort(); /* no progress */
        }
        if (rc == EIO_PAYLOAD_PACKET) {
            add(r, &p, len + 1);
            size_t c = eio_payload_decoder_consumed(&d);
            if (c > n) {
                abort();
            }
            if (next_rand(&rs) & 1) {
                if (eio_payload_decoder_rebase(&d, c) != 0) {
                    abort();
                }
                if (c > 0) {
                    memmove(buf, buf + c, n - c);
                }
                dropped += c;
            }
        } else if (rc == EIO_PAYLOAD_NEED_MORE) {
            if (have == len) {
                abort();
            }
            uint32_t x = next_rand(&rs);
            size_t step = (x & 3) == 0 ? (x >> 8) % 300 : (x >> 8) % 5;
            if (step > len - have) {
                step = len - have;
            }
            uint8_t *nb = realloc(buf, have - dropped + step + 1);
            if (nb == NULL) {
                abort();
            }
            buf = nb;
            memcpy(buf + (have - dropped), body + have, step);
            have += step;
        } else if (rc == EIO_PAYLOAD_END) {
            if (have != len) {
                abort();
            }
            free(view);
            break;
        } else {
            check_error(rc, &e, len);
            r->code = rc;
            r->offset = e.offset;
            free(view);
            break;
        }
        free(view);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    eio_version v = (data[0] & 1) ? EIO_V4 : EIO_V3;
    eio_payload_format f =
        (v == EIO_V3 && (data[0] & 2)) ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT;
    eio_limits lim = {0, 0, 0};
    if (data[0] & 4) {
        lim.max_payload = 200;
        lim.max_packet = 40;
        lim.max_packets = 5;
    }
    const uint8_t *body = data + 2;
    size_t len = size - 2;

    run whole, chunked;
    run_init(&whole, len);
    run_init(&chunked, len);
    decode_whole(v, f, &lim, body, len, &whole);
    decode_chunked(v, f, &lim, body, len, data[1], &chunked);

    size_t max_payload = lim.max_payload ? lim.max_payload : EIO_DEFAULT_MAX_PAYLOAD;
    if (whole.code == EIO_ERR_PAYLOAD_TOO_LARGE) {
        if (whole.n != 0 || whole.offset != max_payload || chunked.code == 0 ||
            (chunked.code != whole.code && chunked.offset >= max_payload) ||
            (chunked.code == whole.code && chunked.offset != whole.offset)) {
            abort();
        }
    } else if (whole.code != chunked.code || whole.offset != chunked.offset ||
               !same(&whole, &chunked)) {
        abort();
    }

    if (whole.code == 0) {
        /* Encode the packets again; that body must decode to them. */
        eio_packet *pk = xmalloc(whole.n * sizeof *pk + 1);
        for (size_t i = 0; i < whole.n; i++) {
            const item *it = &whole.items[i];
            pk[i].type = it->type;
            pk[i].kind = it->binary ? EIO_DATA_BINARY : it->len ? EIO_DATA_TEXT : EIO_DATA_NONE;
            pk[i].data = whole.store + it->off;
            pk[i].len = it->len;
        }
        size_t need = 0;
        int rc = eio_payload_encode(v, f, pk, whole.n, NULL, 0, &need);
        if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
            abort();
        }
        uint8_t *out = xmalloc(need);
        size_t got = 0;
        if (eio_payload_encode(v, f, pk, whole.n, out, need, &got) != 0 || got != need) {
            abort();
        }
        if (got > 0) {
            eio_limits big = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
            run again;
            run_init(&again, got);
            decode_whole(v, f, &big, out, got, &again);
            if (again.code != 0 || !same(&whole, &again)) {
                abort();
            }
            run_free(&again);
        } else if (whole.n != 0) {
            abort();
        }
        free(out);
        free(pk);
    }
    run_free(&whole);
    run_free(&chunked);
    return 0;
}
