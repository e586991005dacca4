/*
 * Socket.IO codec benchmark. Prints `bench<TAB>case<TAB>impl<TAB>ops/s<TAB>MB/s`
 * lines; bench/ref/bench_sio.js measures the same cases on the same bytes
 * with socket.io-parser, socket.io-msgpack-parser and notepack.io, and
 * bench/run.sh puts them side by side.
 *
 * Implementations: "sioc-header" is sio_header_decode alone (type,
 * namespace, ack id, event name: what a router needs), "sioc" is the whole
 * packet with its value tree (sio_decoder, arena reset every iteration) or
 * the encoder, "memcpy" copies the same bytes once, as a floor for the
 * binary case.
 *
 * The inputs are built by plain string concatenation, not by the codec, so
 * a decode figure never depends on the encoder being right (the JavaScript
 * side builds them by the same rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sioc/sio.h"
#include "sioc/sio_msgpack.h"

typedef struct bench_buf {
    uint8_t *p;
    size_t len;
} bench_buf;

/* One text case: its bytes and the packet decoded once, for encoding. */
typedef struct text_case {
    const char *decode_name;
    const char *encode_name;
    bench_buf in;
    sio_packet pkt;
} text_case;

enum { C_SMALL, C_ACK_NSP, C_1K, C_64K, NCASES };

static struct {
    text_case cases[NCASES];
    eio_arena keep;      /* trees of the prepared packets */
    eio_arena scratch;   /* reset every iteration */
    sio_decoder dec;
    uint8_t *out;
    size_t out_cap;
    /* binary event: text + two attachments */
    bench_buf bin_text;
    bench_buf att[2];
    sio_packet bin_pkt;
    uint8_t *flat;       /* the same bytes for the memcpy floor */
    size_t flat_len;
    /* msgpack */
    bench_buf mp_small;
    sio_packet mp_pkt;
} g;

static bench_buf buf_from(const char *s, size_t len)
{
    bench_buf b;
    b.p = malloc(len ? len : 1);
    if (b.p == NULL) {
        exit(1);
    }
    memcpy(b.p, s, len);
    b.len = len;
    return b;
}

/* A growing string for building inputs. */
typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_add(sb *s, const char *str)
{
    size_t n = strlen(str);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        if (s->p == NULL) {
            exit(1);
        }
    }
    memcpy(s->p + s->len, str, n + 1);
    s->len += n;
}

/* `2["data",{"items":[{"id":0,"name":"item 0","tags":["a","b"],"v":0.5},...]}]`
   with as many items as needed to reach `target` bytes. */
static bench_buf json_event(size_t target)
{
    sb s = {NULL, 0, 0};
    sb_add(&s, "2[\"data\",{\"items\":[");
    for (int i = 0; s.len + 2 < target; i++) {
        char item[128];
        snprintf(item, sizeof item, "%s{\"id\":%d,\"name\":\"item %d\",\"tags\":[\"a\",\"b\"],\"v\":%d.5}",
                 i ? "," : "", i, i, i);
        sb_add(&s, item);
    }
    sb_add(&s, "]}]");
    bench_buf b = buf_from(s.p, s.len);
    free(s.p);
    return b;
}

/* Deterministic bytes (xorshift32), the same as the JavaScript side. */
static bench_buf pseudo_bytes(size_t n, uint32_t seed)
{
    bench_buf b;
    b.p = malloc(n);
    if (b.p == NULL) {
        exit(1);
    }
    b.len = n;
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b.p[i] = (uint8_t)(x & 0xff);
    }
    return b;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_sio: %s failed: %s\n", what, eio_strerror(rc));
    exit(1);
}

/* ---- cases --------------------------------------------------------------- */

static int header_decode(void *arg)
{
    text_case *c = arg;
    sio_header h;
    int rc = sio_header_decode(SIO_V5, c->in.p, c->in.len, NULL, &h, NULL);
    bench_consume(h.event.ptr, h.event.len);
    return rc;
}

static int full_decode(void *arg)
{
    text_case *c = arg;
    sio_packet p;
    eio_arena_reset(&g.scratch);
    int rc = sio_decoder_feed(&g.dec, c->in.p, c->in.len, false, &p, NULL);
    if (rc != SIO_DECODER_PACKET) {
        return rc < 0 ? rc : -1;
    }
    bench_consume(&p.data, sizeof p.data);
    return 0;
}

static int encode(void *arg)
{
    text_case *c = arg;
    size_t n;
    int rc = sio_packet_encode(SIO_V5, &c->pkt, g.out, g.out_cap, &n);
    bench_consume(g.out, n);
    return rc;
}

static int binary_decode(void *arg)
{
    (void)arg;
    sio_packet p;
    eio_arena_reset(&g.scratch);
    int rc = sio_decoder_feed(&g.dec, g.bin_text.p, g.bin_text.len, false, &p, NULL);
    if (rc != SIO_DECODER_NEED_MORE) {
        return rc < 0 ? rc : -1;
    }
    rc = sio_decoder_feed(&g.dec, g.att[0].p, g.att[0].len, true, &p, NULL);
    if (rc != SIO_DECODER_NEED_MORE) {
        return rc < 0 ? rc : -1;
    }
    rc = sio_decoder_feed(&g.dec, g.att[1].p, g.att[1].len, true, &p, NULL);
    if (rc != SIO_DECODER_PACKET) {
        return rc < 0 ? rc : -1;
    }
    bench_consume(&p.data, sizeof p.data);
    return 0;
}

static int binary_header_decode(void *arg)
{
    (void)arg;
    sio_header h;
    int rc = sio_header_decode(SIO_V5, g.bin_text.p, g.bin_text.len, NULL, &h, NULL);
    bench_consume(h.event.ptr, h.event.len);
    return rc;
}

static int binary_encode(void *arg)
{
    (void)arg;
    size_t n;
    int rc = sio_packet_encode(SIO_V5, &g.bin_pkt, g.out, g.out_cap, &n);
    const eio_json *att[2];
    size_t na = sio_packet_attachments(&g.bin_pkt, att, 2);
    bench_consume(g.out, n);
    bench_consume(&att[0], na * sizeof att[0]);
    return rc;
}

static int flat_memcpy(void *arg)
{
    (void)arg;
    memcpy(g.out, g.flat, g.flat_len);
    bench_consume(g.out, g.flat_len);
    return 0;
}

static int msgpack_decode(void *arg)
{
    (void)arg;
    sio_packet p;
    eio_arena_reset(&g.scratch);
    int rc = sio_msgpack_decode(g.mp_small.p, g.mp_small.len, NULL, &g.scratch, &p, NULL);
    bench_consume(&p.data, sizeof p.data);
    return rc;
}

static int msgpack_encode(void *arg)
{
    (void)arg;
    size_t n;
    int rc = sio_msgpack_encode(&g.mp_pkt, g.out, g.out_cap, &n);
    bench_consume(g.out, n);
    return rc;
}

/* ---- setup --------------------------------------------------------------- */

static void prepare(text_case *c, const char *dname, const char *ename, bench_buf in)
{
    c->decode_name = dname;
    c->encode_name = ename;
    c->in = in;
    int rc = sio_packet_decode(SIO_V5, in.p, in.len, NULL, &g.keep, &c->pkt, NULL);
    if (rc < 0) {
        die(dname, rc);
    }
}

int main(void)
{
    double s = bench_seconds();
    int rounds = 5;

    eio_arena_init(&g.keep, NULL, 0, 0);
    eio_arena_init(&g.scratch, NULL, 1 << 20, 0);
    g.out_cap = 1 << 20;
    g.out = malloc(g.out_cap);
    if (g.out == NULL) {
        return 1;
    }
    int rc = sio_decoder_init(&g.dec, SIO_V5, SIO_PARSER_JSON, NULL, &g.scratch, 0);
    if (rc < 0) {
        die("sio_decoder_init", rc);
    }

    static const char small[] = "2[\"msg\",\"hi\"]";
    static const char ack_nsp[] = "2/chat,12[\"msg\",{\"from\":\"ann\",\"text\":\"hello there\"}]";
    prepare(&g.cases[C_SMALL], "sio_decode_small", "sio_encode_small",
            buf_from(small, sizeof small - 1));
    prepare(&g.cases[C_ACK_NSP], "sio_decode_ack_nsp", "sio_encode_ack_nsp",
            buf_from(ack_nsp, sizeof ack_nsp - 1));
    prepare(&g.cases[C_1K], "sio_decode_1k", "sio_encode_1k", json_event(1024));
    prepare(&g.cases[C_64K], "sio_decode_64k", "sio_encode_64k", json_event(65536));

    for (int i = 0; i < NCASES; i++) {
        text_case *c = &g.cases[i];
        bench_run(c->decode_name, "sioc-header", c->in.len, s, rounds, header_decode, c);
        bench_run(c->decode_name, "sioc", c->in.len, s, rounds, full_decode, c);
        bench_run(c->encode_name, "sioc", c->in.len, s, rounds, encode, c);
    }

    /* binary event: 52-["upload",{placeholder 0},{placeholder 1}] + 1 KB + 64 KB */
    static const char bin_text[] = "52-[\"upload\",{\"_placeholder\":true,\"num\":0},"
                                   "{\"_placeholder\":true,\"num\":1}]";
    g.bin_text = buf_from(bin_text, sizeof bin_text - 1);
    g.att[0] = pseudo_bytes(1024, 7);
    g.att[1] = pseudo_bytes(65536, 11);
    g.flat_len = g.bin_text.len + g.att[0].len + g.att[1].len;
    g.flat = malloc(g.flat_len);
    if (g.flat == NULL) {
        return 1;
    }
    memcpy(g.flat, g.bin_text.p, g.bin_text.len);
    memcpy(g.flat + g.bin_text.len, g.att[0].p, g.att[0].len);
    memcpy(g.flat + g.bin_text.len + g.att[0].len, g.att[1].p, g.att[1].len);
    {
        /* the packet to encode: decoded once into the long-lived arena */
        sio_decoder d;
        sio_packet p;
        memset(&p, 0, sizeof p);
        if ((rc = sio_decoder_init(&d, SIO_V5, SIO_PARSER_JSON, NULL, &g.keep, 0)) < 0 ||
            (rc = sio_decoder_feed(&d, g.bin_text.p, g.bin_text.len, false, &p, NULL)) < 0 ||
            (rc = sio_decoder_feed(&d, g.att[0].p, g.att[0].len, true, &p, NULL)) < 0 ||
            (rc = sio_decoder_feed(&d, g.att[1].p, g.att[1].len, true, &p, NULL)) < 0) {
            die("binary packet", rc);
        }
        g.bin_pkt = p;
    }
    bench_run("sio_decode_binary_1k_64k", "sioc-header", g.bin_text.len, s, rounds,
              binary_header_decode, NULL);
    bench_run("sio_decode_binary_1k_64k", "sioc", g.flat_len, s, rounds, binary_decode, NULL);
    bench_run("sio_decode_binary_1k_64k", "memcpy", g.flat_len, s, rounds, flat_memcpy, NULL);
    bench_run("sio_encode_binary_1k_64k", "sioc", g.flat_len, s, rounds, binary_encode, NULL);
    bench_run("sio_encode_binary_1k_64k", "memcpy", g.flat_len, s, rounds, flat_memcpy, NULL);

    /* msgpack: {type:2,data:["msg","hi"],nsp:"/"} as notepack writes it */
    static const uint8_t mp_small[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't',
                                       'a', 0x92, 0xa3, 'm', 's', 'g', 0xa2, 'h', 'i', 0xa3, 'n',
                                       's', 'p', 0xa1, '/'};
    if (sio_msgpack_available()) {
        g.mp_small = buf_from((const char *)mp_small, sizeof mp_small);
        rc = sio_msgpack_decode(g.mp_small.p, g.mp_small.len, NULL, &g.keep, &g.mp_pkt, NULL);
        if (rc < 0) {
            die("msgpack packet", rc);
        }
        bench_run("sio_msgpack_decode_small", "sioc", g.mp_small.len, s, rounds, msgpack_decode,
                  NULL);
        bench_run("sio_msgpack_encode_small", "sioc", g.mp_small.len, s, rounds, msgpack_encode,
                  NULL);
    } else {
        fprintf(stderr, "bench_sio: no msgpack in this build, msgpack cases skipped\n");
    }

    eio_arena_destroy(&g.scratch);
    eio_arena_destroy(&g.keep);
    return 0;
}
