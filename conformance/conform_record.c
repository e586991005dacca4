/*
 * conform_record.c - `sioc record URL`: records a scripted WebSocket
 * session as a scenario case (docs/conformance.md, "Recording").
 */
#define _POSIX_C_SOURCE 200809L
#include "conform_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc_cli.h"

#define VERB "record"
#define REC_MAX_FRAMES 256

typedef struct frame {
    uint8_t *d;
    size_t n;
    bool binary;
} frame;

typedef struct rec {
    net_loop *loop;
    uint64_t ws;
    bool open, closed;
    int close_code;
    frame q[REC_MAX_FRAMES];
    size_t n, cur;
    /* output */
    FILE *out;
    char sid[EIO_SID_MAX + 1];
    int eio;
    int n_sids;
    bool too_many; /* a frame past REC_MAX_FRAMES came */
    bool nomem;    /* a frame could not be kept */
} rec;

/* The command line. */
typedef struct rec_cli {
    const char *url, *message, *id, *outp;
    int eio;
    size_t listen_ms, timeout;
    bool heartbeat, insecure;
} rec_cli;

static void r_open(net_loop *l, uint64_t ws, void *ud)
{
    (void)l;
    (void)ws;
    ((rec *)ud)->open = true;
}

static void r_msg(net_loop *l, uint64_t ws, const uint8_t *d, size_t n, bool binary, void *ud)
{
    (void)l;
    (void)ws;
    rec *r = ud;
    if (r->n == REC_MAX_FRAMES) {
        r->too_many = true;
        return;
    }
    r->q[r->n].d = malloc(n + 1);
    if (r->q[r->n].d == NULL) {
        r->nomem = true;
        return;
    }
    memcpy(r->q[r->n].d, d, n);
    r->q[r->n].d[n] = 0;
    r->q[r->n].n = n;
    r->q[r->n].binary = binary;
    r->n++;
}

static void r_close(net_loop *l, uint64_t ws, int code, const char *why, void *ud)
{
    (void)l;
    (void)ws;
    (void)why;
    rec *r = ud;
    r->closed = true;
    r->close_code = code;
}

/* Next frame within ms, or NULL. */
static frame *next_frame(rec *r, int64_t ms)
{
    net_time dl = net_now(r->loop) + (net_time)ms;
    while (r->cur >= r->n && !r->closed && net_now(r->loop) < dl) {
        net_run_once(r->loop, dl);
    }
    return r->cur < r->n ? &r->q[r->cur++] : NULL;
}

static void send_text(rec *r, const char *t)
{
    net_ws_send(r->loop, r->ws, (const uint8_t *)t, strlen(t), false);
    fprintf(r->out, "send s text ");
    for (const char *c = t; *c != '\0'; c++) {
        if (*c == '$') {
            fputc('$', r->out);
        }
        fputc(*c, r->out);
    }
    fputc('\n', r->out);
}

/* Writes a JSON value as a pattern: "sid" members become captures, strings
 * equal to the Engine.IO sid become @sid, the rest is literal. */
static void write_pattern(rec *r, const eio_json *v)
{
    switch (v->type) {
    case EIO_JSON_OBJECT: {
        fputc('{', r->out);
        for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
            eio_json key;
            memset(&key, 0, sizeof key);
            key.type = EIO_JSON_STRING;
            key.u.str.ptr = m->key;
            key.u.str.len = m->key_len;
            write_pattern(r, &key);
            fputc(':', r->out);
            if (m->key_len == 3 && memcmp(m->key, "sid", 3) == 0 && m->type == EIO_JSON_STRING &&
                !(m->u.str.len == strlen(r->sid) && memcmp(m->u.str.ptr, r->sid, m->u.str.len) == 0)) {
                fprintf(r->out, "$sid%d:string", ++r->n_sids);
            } else {
                write_pattern(r, m);
            }
            if (m->next != NULL) {
                fputc(',', r->out);
            }
        }
        fputc('}', r->out);
        return;
    }
    case EIO_JSON_ARRAY:
        fputc('[', r->out);
        for (const eio_json *e = v->u.c.first; e != NULL; e = e->next) {
            write_pattern(r, e);
            if (e->next != NULL) {
                fputc(',', r->out);
            }
        }
        fputc(']', r->out);
        return;
    case EIO_JSON_STRING:
        if (r->sid[0] != '\0' && v->u.str.len == strlen(r->sid) &&
            memcmp(v->u.str.ptr, r->sid, v->u.str.len) == 0) {
            fputs("@sid", r->out);
            return;
        }
        /* fall through */
    default: {
        size_t n = eio_json_write(v, NULL, 0);
        char *t = malloc(n + 1);
        if (t != NULL) {
            eio_json_write(v, t, n);
            fwrite(t, 1, n, r->out);
            free(t);
        }
        return;
    }
    }
}

static bool printable_line(const uint8_t *d, size_t n)
{
    if (n == 0 || d[0] == ' ' || d[0] == '\t' || d[n - 1] == ' ' || d[n - 1] == '\t') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (d[i] < 0x20 || d[i] == 0x7f) {
            return false;
        }
    }
    return eio_utf8_validate(d, n, NULL) == 0;
}

/* Writes an expectation for a received frame. `prefix_time` adds a bound. */
static void expect_frame(rec *r, const frame *f, const char *within)
{
    fprintf(r->out, "expect s %s%s%s", within ? "within " : "", within ? within : "",
            within ? " " : "");
    if (f->binary || !printable_line(f->d, f->n)) {
        fputs("frame hex", r->out);
        for (size_t i = 0; i < f->n; i++) {
            fprintf(r->out, " %02x", f->d[i]);
        }
        fputc('\n', r->out);
        return;
    }
    size_t split = strcspn((const char *)f->d, "[{");
    if (split < f->n) {
        eio_arena a;
        eio_arena_init(&a, NULL, 0, 0);
        eio_json *v = NULL;
        if (eio_json_parse(f->d + split, f->n - split, NULL, &a, &v, NULL) == 0) {
            fputs("packet json ", r->out);
            for (size_t i = 0; i < split; i++) {
                if (f->d[i] == '$' || f->d[i] == '@') {
                    fputc(f->d[i], r->out);
                }
                fputc(f->d[i], r->out);
            }
            write_pattern(r, v);
            fputc('\n', r->out);
            eio_arena_destroy(&a);
            return;
        }
        eio_arena_destroy(&a);
    }
    fputs("packet text ", r->out);
    for (size_t i = 0; i < f->n; i++) {
        if (f->d[i] == '$' || f->d[i] == '@') {
            fputc(f->d[i], r->out);
        }
        fputc(f->d[i], r->out);
    }
    fputc('\n', r->out);
}

static void help(void)
{
    printf("NAME\n"
           "    sioc record - record a session with a live server as a scenario case\n"
           "\n"
           "SYNOPSIS\n"
           "    sioc record URL [--eio 3|4] [--message PACKET] [--listen MS] [--timeout MS]\n"
           "                [--no-heartbeat] [--id ID] [--out FILE] [--insecure]\n"
           "\n"
           "DESCRIPTION\n"
           "    Turns the behaviour of a live server (usually a reference implementation)\n"
           "    into a scenario case that `sioc conform server` can replay against others.\n"
           "\n"
           "    Opens a WebSocket session to URL (a path ending in engine.io/ records an\n"
           "    Engine.IO session; any other a Socket.IO one: CONNECT to '/'), sends one\n"
           "    message, records every reply for --listen ms, waits for one heartbeat\n"
           "    (v4: the server's ping, answered; v3: a ping sent and its pong), closes,\n"
           "    and writes a scenario case (level IMPL, role server) replaying it. The\n"
           "    session id becomes a capture ($sid), other \"sid\" members captures too,\n"
           "    the heartbeat wait a bound 'pingInterval+slack'. Review the case before\n"
           "    adding it to a scenario file: what it expects is what this server did.\n"
           "\n"
           "OPTIONS\n"
           "    --eio 3|4          Engine.IO version (default 4)\n"
           "    --message PACKET   the Engine.IO packet to send (default: '4hello', or\n"
           "                       '42[\"message\",\"hello\"]' for Socket.IO)\n"
           "    --listen MS        how long replies are collected (default 1000)\n"
           "    --timeout MS       bound of every wait (default 5000)\n"
           "    --no-heartbeat     do not wait for a heartbeat\n"
           "    --id ID            the case id (default record.session)\n"
           "    --out FILE         write the case there (default: stdout)\n"
           "    --insecure         https: accept any certificate\n"
           "\n"
           "EXIT STATUS\n"
           "    0  recorded\n"
           "    2  bad command line, or the session failed (message on stderr)\n"
           "\n"
           "EXAMPLE\n"
           "    sioc record http://localhost:3000/socket.io/ --id sio5.recorded.hello \\\n"
           "        --out hello.scn\n");
}

/* Parses the command line into `c`. Returns 0, 1 after printing --help,
   or a negative number after reporting a usage error. */
static int parse_cli(int argc, char **argv, rec_cli *c)
{
    c->id = "record.session";
    c->eio = 4;
    c->listen_ms = 1000;
    c->timeout = 5000;
    c->heartbeat = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val;
        int m, which;
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            help();
            return 1;
        }
        if (sioc_opt_flag(arg, "--no-heartbeat")) {
            c->heartbeat = false;
            continue;
        }
        if (sioc_opt_flag(arg, "--insecure")) {
            c->insecure = true;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--eio", "3", "4", &which)) != 0) {
            if (m < 0) {
                return -1;
            }
            c->eio = which == 0 ? 3 : 4;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--message", &val)) != 0) {
            if (m < 0) {
                return -1;
            }
            if (val[0] < '0' || val[0] > '6') {
                return -sioc_usage_error(VERB, "--message must be an Engine.IO packet starting "
                                              "with a type digit, got '%s'",
                                        val);
            }
            c->message = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--id", &val)) != 0) {
            if (m < 0) {
                return -1;
            }
            bool ok = val[0] >= 'a' && val[0] <= 'z';
            for (const char *ch = val; *ch != '\0' && ok; ch++) {
                ok = (*ch >= 'a' && *ch <= 'z') || (*ch >= '0' && *ch <= '9') || *ch == '.' ||
                     *ch == '-' || *ch == '_';
            }
            if (!ok) {
                return -sioc_usage_error(VERB, "--id: a case id is a-z, 0-9, '.', '_', '-' "
                                               "starting with a letter, got '%s'",
                                         val);
            }
            c->id = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--out", &val)) != 0) {
            if (m < 0) {
                return -1;
            }
            c->outp = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--listen", &val)) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--listen", val, 0, 600000, &c->listen_ms) != 0) {
                return -1;
            }
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--timeout", &val)) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--timeout", val, 1, 3600000, &c->timeout) != 0) {
                return -1;
            }
            continue;
        }
        if (arg[0] == '-') {
            return -sioc_usage_error(VERB, "unknown option '%s'", arg);
        }
        if (c->url != NULL) {
            return -sioc_usage_error(VERB, "unexpected argument '%s'", arg);
        }
        c->url = arg;
    }
    if (c->url == NULL) {
        return -sioc_usage_error(VERB, "missing the URL of the server");
    }
    return 0;
}

/* Plays the session with the server at `wsurl` and writes the case to
   r->out. Returns the exit status. */
static int record_session(rec *r, const rec_cli *c, const char *wsurl, bool eio_only)
{
    static const net_ws_callbacks cb = {r_open, r_msg, r_close};
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    fprintf(r->out,
            "# Recorded by `sioc record` from %s on %s.\n"
            "case %s\n"
            "title   Replay of a WebSocket session recorded from a reference server\n"
            "spec    recorded session (%s)\n"
            "level   IMPL\n"
            "role    server\n"
            "layer   %s\n"
            "eio     %d\n"
            "transports websocket\n"
            "\n"
            "ws s $path?EIO=$EIO&transport=websocket\n"
            "expect s open\n",
            c->url, date, c->id, c->url, eio_only ? "eio" : "sio", c->eio);
    r->ws = net_ws_open(r->loop, wsurl, NULL, 0, &cb, r);
    if (r->ws == 0) {
        return sioc_error(VERB, "cannot open a WebSocket to %s", wsurl);
    }
    net_time dl = net_now(r->loop) + (net_time)c->timeout;
    while (!r->open && !r->closed && net_now(r->loop) < dl) {
        net_run_once(r->loop, dl);
    }
    if (!r->open) {
        return sioc_error(VERB, "the WebSocket to %s did not open", wsurl);
    }
    frame *f = next_frame(r, (int64_t)c->timeout);
    eio_handshake hs;
    if (f == NULL || f->binary || f->n < 2 || f->d[0] != '0' ||
        eio_handshake_parse(f->d + 1, f->n - 1, &hs, NULL) != 0) {
        return sioc_error(VERB, "no valid open packet from the server");
    }
    memcpy(r->sid, hs.sid, hs.sid_len + 1);
    fprintf(r->out, "expect s packet json 0{\"sid\":$sid:string,\"upgrades\":%s,"
                   "\"pingInterval\":$pingInterval:int,\"pingTimeout\":$pingTimeout:int,...}\n",
            (hs.upgrades & EIO_UPGRADE_WEBSOCKET) ? "[\"websocket\"]" : "_:array");
    /* Heartbeats are handled by the script itself, not recorded as replies. */
    if (!eio_only) {
        send_text(r, "40");
        f = next_frame(r, (int64_t)c->timeout);
        if (f == NULL) {
            return sioc_error(VERB, "no answer to the Socket.IO CONNECT");
        }
        expect_frame(r, f, NULL);
    }
    send_text(r, c->message);
    net_time ldl = net_now(r->loop) + (net_time)c->listen_ms;
    for (;;) {
        int64_t left = (int64_t)(ldl - net_now(r->loop));
        if (net_now(r->loop) >= ldl) {
            break;
        }
        f = next_frame(r, left);
        if (f == NULL) {
            break;
        }
        if (!f->binary && f->n == 1 && f->d[0] == '2' && c->eio == 4) {
            /* A ping during the listen window: the heartbeat below. */
            r->cur--;
            break;
        }
        expect_frame(r, f, NULL);
    }
    if (c->heartbeat && !r->closed) {
        if (c->eio == 4) {
            int64_t wait = (int64_t)hs.ping_interval + (int64_t)hs.ping_timeout;
            f = next_frame(r, wait);
            if (f == NULL || f->binary || f->n != 1 || f->d[0] != '2') {
                return sioc_error(VERB, "no ping within pingInterval+pingTimeout (%lld ms)",
                                  (long long)wait);
            }
            fputs("expect s within pingInterval+slack packet text 2\n", r->out);
            send_text(r, "3");
        } else {
            send_text(r, "2");
            f = next_frame(r, (int64_t)c->timeout);
            if (f == NULL || f->binary || f->n != 1 || f->d[0] != '3') {
                return sioc_error(VERB, "no pong to the ping");
            }
            fputs("expect s within pingTimeout packet text 3\n", r->out);
        }
    }
    if (!eio_only) {
        send_text(r, "41");
    }
    fputs("close s\nend\n", r->out);
    if (r->too_many) {
        return sioc_error(VERB, "the server sent more than %d frames (the most one recording "
                                "keeps)",
                          REC_MAX_FRAMES);
    }
    if (r->nomem) {
        return sioc_error(VERB, "out of memory");
    }
    return SIOC_EXIT_OK;
}

int conform_record_main(int argc, char **argv)
{
    rec_cli c;
    memset(&c, 0, sizeof c);
    int parsed = parse_cli(argc, argv, &c);
    if (parsed != 0) {
        return parsed > 0 ? SIOC_EXIT_OK : SIOC_EXIT_USAGE;
    }
    net_url u;
    if (net_url_parse(c.url, &u) != 0) {
        return sioc_usage_error(VERB, "bad URL '%s'", c.url);
    }
    char path[2048];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(u.target, "?"), u.target);
    size_t pl = strlen(path);
    if (pl == 0 || path[pl - 1] != '/') {
        if (pl + 1 < sizeof path) {
            path[pl++] = '/';
            path[pl] = '\0';
        }
    }
    bool eio_only = pl >= 10 && strcmp(path + pl - 10, "engine.io/") == 0;
    if (c.message == NULL) {
        c.message = eio_only ? "4hello" : "42[\"message\",\"hello\"]";
    }

    rec r;
    memset(&r, 0, sizeof r);
    r.eio = c.eio;
    net_loop_options lo;
    memset(&lo, 0, sizeof lo);
    lo.insecure = c.insecure;
    if (net_loop_new(&r.loop, &lo) != 0) {
        return sioc_error(VERB, "cannot create the network loop");
    }
    /* The case goes to memory first: nothing is written if the session fails. */
    char *buf = NULL;
    size_t buflen = 0;
    r.out = open_memstream(&buf, &buflen);
    if (r.out == NULL) {
        net_loop_free(r.loop);
        return sioc_error(VERB, "out of memory");
    }
    bool v6 = strchr(u.host, ':') != NULL;
    char wsurl[3000];
    snprintf(wsurl, sizeof wsurl, "%s://%s%s%s:%u%s?EIO=%d&transport=websocket",
             u.tls ? "wss" : "ws", v6 ? "[" : "", u.host, v6 ? "]" : "", (unsigned)u.port, path,
             c.eio);
    int rc = record_session(&r, &c, wsurl, eio_only);
    if (r.ws != 0 && !r.closed) {
        net_ws_close(r.loop, r.ws, 1000);
    }
    fclose(r.out);
    if (rc == SIOC_EXIT_OK) {
        FILE *o = c.outp != NULL ? fopen(c.outp, "w") : stdout;
        if (o == NULL) {
            rc = sioc_error(VERB, "cannot write '%s': %s", c.outp, strerror(errno));
        } else {
            bool bad = fwrite(buf, 1, buflen, o) != buflen;
            bad = (c.outp != NULL ? fclose(o) : fflush(o)) != 0 || bad;
            if (bad) {
                rc = sioc_error(VERB, "cannot write '%s'", c.outp != NULL ? c.outp : "stdout");
            }
        }
    }
    free(buf);
    for (size_t i = 0; i < r.n; i++) {
        free(r.q[i].d);
    }
    net_loop_free(r.loop);
    return rc;
}
