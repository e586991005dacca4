/*
 * Engine.IO codec benchmark. Prints `bench<TAB>case<TAB>impl<TAB>ops/s<TAB>MB/s`
 * lines; bench/ref/bench_eio.js measures the same cases on the same bytes with
 * engine.io-parser, and bench/run.sh puts the two side by side.
 *
 * The inputs are built here by plain string concatenation, not by the codec,
 * so a decode figure never depends on the encoder being right (and the
 * JavaScript side builds them by the same rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sioc/eio.h"

#define NPKT 100
#define B64_RAW (64u * 1024u)

typedef struct bench_buf {
    uint8_t *p;
    size_t len;
} bench_buf;

/* State shared by the cases; each case reads what it needs. */
static struct {
    bench_buf small;         /* "4hello" */
    bench_buf hundred;       /* a 100-byte text frame */
    bench_buf v4_body;       /* 100 packets joined by 0x1e */
    bench_buf v3_body;       /* the same 100 packets as <len>:<packet> */
    eio_packet pkts[NPKT];   /* the packets of both bodies, for encoding */
    eio_packet small_pkt;
    eio_packet hundred_pkt;
    uint8_t *raw;            /* B64_RAW bytes for base64 */
    char *b64;               /* their base64 */
    size_t b64_len;
    uint8_t *out;            /* scratch output */
    size_t out_cap;
} g;

static void die(const char *what)
{
    fprintf(stderr, "bench_eio: %s\n", what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

/* Packet i of the 100-packet bodies: "message <i>" as text, as in the JS script. */
static size_t packet_text(size_t i, char *out, size_t cap)
{
    int n = snprintf(out, cap, "4message %zu", i);
    if (n < 0 || (size_t)n >= cap) {
        die("packet text");
    }
    return (size_t)n;
}

static void setup(void)
{
    static const char hundred_text[] =
        "4[\"chat\",{\"room\":\"lobby\",\"user\":\"alice\",\"text\":\"the quick brown fox jumps "
        "over the lazy dog\",\"t\":1}]";
    g.small.len = 6;
    g.small.p = xmalloc(g.small.len);
    memcpy(g.small.p, "4hello", 6);
    g.hundred.len = sizeof hundred_text - 1;
    g.hundred.p = xmalloc(g.hundred.len);
    memcpy(g.hundred.p, hundred_text, g.hundred.len);

    g.small_pkt = (eio_packet){EIO_PACKET_MESSAGE, EIO_DATA_TEXT, g.small.p + 1, g.small.len - 1};
    g.hundred_pkt =
        (eio_packet){EIO_PACKET_MESSAGE, EIO_DATA_TEXT, g.hundred.p + 1, g.hundred.len - 1};

    size_t cap = NPKT * 32;
    g.v4_body.p = xmalloc(cap);
    g.v3_body.p = xmalloc(cap);
    char tmp[32];
    for (size_t i = 0; i < NPKT; i++) {
        size_t n = packet_text(i, tmp, sizeof tmp);
        if (i > 0) {
            g.v4_body.p[g.v4_body.len++] = 0x1e;
        }
        memcpy(g.v4_body.p + g.v4_body.len, tmp, n);
        /* the packet's data points into the v4 body; it stays unchanged */
        g.pkts[i] = (eio_packet){EIO_PACKET_MESSAGE, EIO_DATA_TEXT, g.v4_body.p + g.v4_body.len + 1,
                                 n - 1};
        g.v4_body.len += n;
        int h = snprintf((char *)g.v3_body.p + g.v3_body.len, cap - g.v3_body.len, "%zu:", n);
        if (h < 0) {
            die("v3 body");
        }
        g.v3_body.len += (size_t)h;
        memcpy(g.v3_body.p + g.v3_body.len, tmp, n);
        g.v3_body.len += n;
    }

    g.raw = xmalloc(B64_RAW);
    uint32_t x = 0x9e3779b9u;
    for (size_t i = 0; i < B64_RAW; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        g.raw[i] = (uint8_t)x;
    }
    g.b64_len = eio_base64_encoded_len(B64_RAW);
    g.b64 = xmalloc(g.b64_len);
    eio_base64_encode(g.raw, B64_RAW, g.b64);

    g.out_cap = g.b64_len + 4096;
    g.out = xmalloc(g.out_cap);
}

/* ---- cases -------------------------------------------------------------- */

static int decode_frame(const bench_buf *b)
{
    eio_packet p;
    int rc = eio_packet_decode(EIO_V4, b->p, b->len, false, NULL, &p, NULL);
    if (rc < 0 || p.kind != EIO_DATA_TEXT) {
        return -1;
    }
    bench_consume(p.data, p.len);
    return 0;
}

static int encode_frame(const eio_packet *p)
{
    size_t n;
    bool bin;
    int rc = eio_packet_encode(EIO_V4, p, 0, g.out, g.out_cap, &n, &bin);
    if (rc < 0) {
        return -1;
    }
    bench_consume(g.out, n);
    return 0;
}

static int packet_decode_small(void *arg) { (void)arg; return decode_frame(&g.small); }
static int packet_encode_small(void *arg) { (void)arg; return encode_frame(&g.small_pkt); }
static int packet_decode_100b(void *arg) { (void)arg; return decode_frame(&g.hundred); }
static int packet_encode_100b(void *arg) { (void)arg; return encode_frame(&g.hundred_pkt); }

static int decode_body(eio_version v, const bench_buf *b)
{
    eio_payload_decoder d;
    eio_packet p;
    size_t count = 0;
    if (eio_payload_decoder_init(&d, v, EIO_PAYLOAD_TEXT, NULL) < 0) {
        return -1;
    }
    for (;;) {
        int rc = eio_payload_decoder_next(&d, b->p, b->len, true, &p, NULL);
        if (rc == EIO_PAYLOAD_PACKET) {
            bench_consume(p.data, p.len);
            count++;
        } else if (rc == EIO_PAYLOAD_END) {
            break;
        } else {
            return -1;
        }
    }
    return count == NPKT ? 0 : -1;
}

static int encode_body(eio_version v)
{
    size_t n;
    if (eio_payload_encode(v, EIO_PAYLOAD_TEXT, g.pkts, NPKT, g.out, g.out_cap, &n) < 0) {
        return -1;
    }
    bench_consume(g.out, n);
    return 0;
}

static int payload_v4_decode(void *arg) { (void)arg; return decode_body(EIO_V4, &g.v4_body); }
static int payload_v4_encode(void *arg) { (void)arg; return encode_body(EIO_V4); }
static int payload_v3_decode(void *arg) { (void)arg; return decode_body(EIO_V3, &g.v3_body); }
static int payload_v3_encode(void *arg) { (void)arg; return encode_body(EIO_V3); }

/* The physical limits for a body: one memchr pass over it finding every
   separator (what splitting cannot beat), and one memcpy of it (what writing
   it cannot beat). */
static int memchr_pass(void *arg)
{
    (void)arg;
    const uint8_t *p = g.v4_body.p, *end = p + g.v4_body.len;
    size_t count = 0;
    for (;;) {
        const uint8_t *q = memchr(p, 0x1e, (size_t)(end - p));
        if (q == NULL) {
            break;
        }
        count++;
        p = q + 1;
    }
    bench_consume(&count, sizeof count);
    return count == NPKT - 1 ? 0 : -1;
}

static int memcpy_pass(void *arg)
{
    (void)arg;
    memcpy(g.out, g.v4_body.p, g.v4_body.len);
    bench_consume(g.out, g.v4_body.len);
    return 0;
}

static int base64_encode_64k(void *arg)
{
    (void)arg;
    size_t n = eio_base64_encode(g.raw, B64_RAW, (char *)g.out);
    bench_consume(g.out, n);
    return n == g.b64_len ? 0 : -1;
}

static int base64_decode_64k(void *arg)
{
    (void)arg;
    size_t n;
    if (eio_base64_decode((const uint8_t *)g.b64, g.b64_len, g.out, g.out_cap, &n, NULL) < 0) {
        return -1;
    }
    bench_consume(g.out, n);
    return n == B64_RAW ? 0 : -1;
}

int main(void)
{
    setup();
    double s = bench_seconds();
    const int rounds = 5;
    bench_run("packet_decode_small", "sioc", g.small.len, s, rounds, packet_decode_small, NULL);
    bench_run("packet_encode_small", "sioc", g.small.len, s, rounds, packet_encode_small, NULL);
    bench_run("packet_decode_100b", "sioc", g.hundred.len, s, rounds, packet_decode_100b, NULL);
    bench_run("packet_encode_100b", "sioc", g.hundred.len, s, rounds, packet_encode_100b, NULL);
    bench_run("payload_v4_decode_100", "sioc", g.v4_body.len, s, rounds, payload_v4_decode, NULL);
    bench_run("payload_v4_decode_100", "memchr", g.v4_body.len, s, rounds, memchr_pass, NULL);
    bench_run("payload_v4_encode_100", "sioc", g.v4_body.len, s, rounds, payload_v4_encode, NULL);
    bench_run("payload_v4_encode_100", "memchr", g.v4_body.len, s, rounds, memcpy_pass, NULL);
    bench_run("payload_v3_decode_100", "sioc", g.v3_body.len, s, rounds, payload_v3_decode, NULL);
    bench_run("payload_v3_encode_100", "sioc", g.v3_body.len, s, rounds, payload_v3_encode, NULL);
    bench_run("base64_encode_64k", "sioc", B64_RAW, s, rounds, base64_encode_64k, NULL);
    bench_run("base64_decode_64k", "sioc", B64_RAW, s, rounds, base64_decode_64k, NULL);
    free(g.small.p);
    free(g.hundred.p);
    free(g.v4_body.p);
    free(g.v3_body.p);
    free(g.raw);
    free(g.b64);
    free(g.out);
    return 0;
}
