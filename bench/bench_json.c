/*
 * JSON reader and writer speed: sioc against jansson, cJSON and (when built
 * with it) simdjson's DOM parser, on Socket.IO-like documents of about 1 KB
 * and 64 KB generated here from a fixed seed.
 *
 * Cases: json_parse_1k, json_parse_64k (every implementation builds its own
 * tree; sioc resets its arena each time so no malloc happens per document),
 * json_write_1k, json_write_64k (sioc's eio_json_write into a buffer vs
 * jansson's json_dumps and cJSON_PrintUnformatted).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jansson.h>

#include "bench_util.h"
#include "sioc/json.h"

#ifdef HAVE_SIMDJSON
int bench_simdjson_prepare(const char *doc, size_t len);
int bench_simdjson_parse(void);
void bench_simdjson_release(void);
#endif

/* ---- document generator ------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) {
            abort();
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static uint64_t seed = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static const char *const words[] = {
    "hello", "world", "chat", "message", "room", "typing", "user", "joined", "left",
    "caf\xc3\xa9", "\xe4\xbd\xa0\xe5\xa5\xbd", "na\\\"me", "line\\nbreak", "\xf0\x9f\x98\x80",
    "tab\\there", "\\u00e9t\\u00e9", "update", "presence", "ack", "status",
};
#define NWORDS (sizeof words / sizeof words[0])

static void add_text(sbuf *b, int nwords)
{
    sb_str(b, "\"");
    for (int i = 0; i < nwords; i++) {
        if (i) {
            sb_str(b, " ");
        }
        sb_str(b, words[rnd() % NWORDS]);
    }
    sb_str(b, "\"");
}

/* One Socket.IO-like event: ["name", {payload}] inside the packet object. */
static void add_event(sbuf *b, int id)
{
    char num[64];
    sb_str(b, "{\"type\":2,\"nsp\":\"/chat\",\"id\":");
    snprintf(num, sizeof num, "%d", id);
    sb_str(b, num);
    sb_str(b, ",\"data\":[\"message\",{\"user\":{\"id\":");
    snprintf(num, sizeof num, "%llu", (unsigned long long)(rnd() % 100000000));
    sb_str(b, num);
    sb_str(b, ",\"name\":");
    add_text(b, 1);
    sb_str(b, ",\"roles\":[\"member\",\"writer\"],\"verified\":");
    sb_str(b, rnd() & 1 ? "true" : "false");
    sb_str(b, "},\"text\":");
    add_text(b, 3 + (int)(rnd() % 8));
    sb_str(b, ",\"ts\":");
    snprintf(num, sizeof num, "%llu", 1700000000000ull + rnd() % 100000000);
    sb_str(b, num);
    sb_str(b, ",\"score\":");
    snprintf(num, sizeof num, "%.4f", (double)(rnd() % 1000000) / 1000.0);
    sb_str(b, num);
    sb_str(b, ",\"pos\":[");
    snprintf(num, sizeof num, "%.2f,%.2f,[%d,%d]", (double)(rnd() % 10000) / 100.0 - 50,
             (double)(rnd() % 10000) / 100.0, (int)(rnd() % 100), -(int)(rnd() % 100));
    sb_str(b, num);
    sb_str(b, "],\"reply\":null,\"attachments\":[]}]}");
}

static char *make_doc(size_t target, size_t *len)
{
    sbuf b = {NULL, 0, 0};
    sb_str(&b, "[");
    for (int i = 0; b.len < target - 200; i++) {
        if (i) {
            sb_str(&b, ",");
        }
        add_event(&b, i);
    }
    sb_str(&b, "]");
    *len = b.len;
    return b.p;
}

/* ---- cases ------------------------------------------------------------- */

typedef struct ctx {
    const char *doc;
    size_t len;
    eio_arena arena;
    eio_json *tree;
    json_t *jtree;
    cJSON *ctree;
    char *out;
    size_t out_cap;
} ctx;

static int parse_sioc(void *arg)
{
    ctx *c = arg;
    eio_arena_reset(&c->arena);
    eio_json *v;
    int rc = eio_json_parse((const uint8_t *)c->doc, c->len, NULL, &c->arena, &v, NULL);
    return rc != 0 ? -1 : (int)v->type;
}

static int parse_jansson(void *arg)
{
    ctx *c = arg;
    json_error_t e;
    json_t *j = json_loadb(c->doc, c->len, 0, &e);
    if (j == NULL) {
        return -1;
    }
    json_decref(j);
    return 0;
}

static int parse_cjson(void *arg)
{
    ctx *c = arg;
    cJSON *j = cJSON_ParseWithLength(c->doc, c->len);
    if (j == NULL) {
        return -1;
    }
    cJSON_Delete(j);
    return 0;
}

#ifdef HAVE_SIMDJSON
static int parse_simdjson(void *arg)
{
    (void)arg;
    return bench_simdjson_parse();
}
#endif

static int write_sioc(void *arg)
{
    ctx *c = arg;
    size_t n = eio_json_write(c->tree, c->out, c->out_cap);
    if (n > c->out_cap) {
        return -1;
    }
    bench_consume(c->out, n);
    return 0;
}

static int write_jansson(void *arg)
{
    ctx *c = arg;
    char *s = json_dumps(c->jtree, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == NULL) {
        return -1;
    }
    bench_consume(s, strlen(s));
    free(s);
    return 0;
}

static int write_cjson(void *arg)
{
    ctx *c = arg;
    char *s = cJSON_PrintUnformatted(c->ctree);
    if (s == NULL) {
        return -1;
    }
    bench_consume(s, strlen(s));
    free(s);
    return 0;
}

static void run_size(const char *label, size_t target)
{
    ctx c;
    memset(&c, 0, sizeof c);
    char *doc = make_doc(target, &c.len);
    c.doc = doc;
    eio_arena_init(&c.arena, NULL, 1 << 16, 0);
    if (parse_sioc(&c) < 0 || parse_jansson(&c) < 0 || parse_cjson(&c) < 0) {
        fprintf(stderr, "bench_json: generated document does not parse\n");
        exit(1);
    }
    double secs = bench_seconds();
    char name[64];
    snprintf(name, sizeof name, "json_parse_%s", label);
    bench_run(name, "sioc", c.len, secs, 5, parse_sioc, &c);
    bench_run(name, "jansson", c.len, secs, 5, parse_jansson, &c);
    bench_run(name, "cjson", c.len, secs, 5, parse_cjson, &c);
#ifdef HAVE_SIMDJSON
    if (bench_simdjson_prepare(doc, c.len) < 0) {
        fprintf(stderr, "bench_json: simdjson rejects the document\n");
        exit(1);
    }
    bench_run(name, "simdjson", c.len, secs, 5, parse_simdjson, &c);
    bench_simdjson_release();
#endif

    /* Writers, each from its own tree of the same document. */
    eio_arena_reset(&c.arena);
    if (eio_json_parse((const uint8_t *)doc, c.len, NULL, &c.arena, &c.tree, NULL) != 0) {
        exit(1);
    }
    json_error_t e;
    c.jtree = json_loadb(doc, c.len, 0, &e);
    c.ctree = cJSON_ParseWithLength(doc, c.len);
    c.out_cap = eio_json_write(c.tree, NULL, 0);
    c.out = malloc(c.out_cap);
    snprintf(name, sizeof name, "json_write_%s", label);
    bench_run(name, "sioc", c.out_cap, secs, 5, write_sioc, &c);
    bench_run(name, "jansson", c.out_cap, secs, 5, write_jansson, &c);
    bench_run(name, "cjson", c.out_cap, secs, 5, write_cjson, &c);
    free(c.out);
    json_decref(c.jtree);
    cJSON_Delete(c.ctree);
    eio_arena_destroy(&c.arena);
    free(doc);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--dump") == 0) {
        /* Prints the generated documents, for inspection. */
        size_t len;
        char *d = make_doc(argc > 2 ? (size_t)atol(argv[2]) : 1024, &len);
        fwrite(d, 1, len, stdout);
        free(d);
        return 0;
    }
    run_size("1k", 1024);
    run_size("64k", 65536);
    return 0;
}
