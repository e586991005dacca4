/*
 * conform_record.c - `sioc record URL`: records a scripted WebSocket
 * session as a scenario case (docs/conformance.md, "Recording").
 */
#define _POSIX_C_SOURCE 200809L
#include "conform_record.h"

#include <errno.h>
#include <stdarg.h>
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
} rec;

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
        return;
    }
    r->q[r->n].d = malloc(n + 1);
    if (r->q[r->n].d == NULL) {
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

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int record_fail(rec *r, const char *fmt, ...)
{
    (void)r;
    va_list ap;
    fputs(SIOC_PROG " " VERB ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SIOC_EXIT_USAGE;
}

int conform_record_main(int argc, char **argv)
{
    const char *url = NULL, *message = NULL, *id = "record.session", *outp = NULL;
    int eio = 4;
    size_t listen_ms = 1000, timeout = 5000;
    bool heartbeat = true, insecure = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val;
        int m, which;
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            help();
            return SIOC_EXIT_OK;
        }
        if (sioc_opt_flag(arg, "--no-heartbeat")) {
            heartbeat = false;
            continue;
        }
        if (sioc_opt_flag(arg, "--insecure")) {
            insecure = true;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--eio", "3", "4", &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            eio = which == 0 ? 3 : 4;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--message", &val)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            if (val[0] < '0' || val[0] > '6') {
                return sioc_usage_error(VERB, "--message must be an Engine.IO packet starting "
                                              "with a type digit, got '%s'",
                                        val);
            }
            message = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--id", &val)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            for (const char *c = val; *c != '\0'; c++) {
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                      *c == '-' || *c == '_') ||
                    !(val[0] >= 'a' && val[0] <= 'z')) {
                    return sioc_usage_error(VERB, "--id: a case id is a-z, 0-9, '.', '_', '-' "
                                                  "starting with a letter, got '%s'",
                                            val);
                }
            }
            id = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--out", &val)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            outp = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--listen", &val)) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--listen", val, 0, 600000, &listen_ms) != 0) {
                return SIOC_EXIT_USAGE;
            }
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--timeout", &val)) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--timeout", val, 1, 3600000, &timeout) != 0) {
                return SIOC_EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-') {
            return sioc_usage_error(VERB, "unknown option '%s'", arg);
        }
        if (url != NULL) {
            return sioc_usage_error(VERB, "unexpected argument '%s'", arg);
        }
        url = arg;
    }
    if (url == NULL) {
        return sioc_usage_error(VERB, "missing the URL of the server");
    }
    net_url u;
    if (net_url_parse(url, &u) != 0) {
        return sioc_usage_error(VERB, "bad URL '%s'", url);
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
    if (message == NULL) {
        message = eio_only ? "4hello" : "42[\"message\",\"hello\"]";
    }

    rec r;
    memset(&r, 0, sizeof r);
    r.eio = eio;
    net_loop_options lo;
    memset(&lo, 0, sizeof lo);
    lo.insecure = insecure;
    if (net_loop_new(&r.loop, &lo) != 0) {
        return record_fail(&r, "cannot create the network loop");
    }
    /* The case goes to memory first: nothing is written if the session fails. */
    char *buf = NULL;
    size_t buflen = 0;
    r.out = open_memstream(&buf, &buflen);
    int rc = SIOC_EXIT_USAGE;
    if (r.out == NULL) {
        net_loop_free(r.loop);
        return record_fail(&r, "out of memory");
    }
    bool v6 = strchr(u.host, ':') != NULL;
    char wsurl[3000];
    snprintf(wsurl, sizeof wsurl, "%s://%s%s%s:%u%s?EIO=%d&transport=websocket",
             u.tls ? "wss" : "ws", v6 ? "[" : "", u.host, v6 ? "]" : "", (unsigned)u.port, path,
             eio);
    static const net_ws_callbacks cb = {r_open, r_msg, r_close};
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    fprintf(r.out,
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
            url, date, id, url, eio_only ? "eio" : "sio", eio);
    r.ws = net_ws_open(r.loop, wsurl, NULL, 0, &cb, &r);
    if (r.ws == 0) {
        rc = record_fail(&r, "cannot open a WebSocket to %s", wsurl);
        goto out;
    }
    net_time dl = net_now(r.loop) + (net_time)timeout;
    while (!r.open && !r.closed && net_now(r.loop) < dl) {
        net_run_once(r.loop, dl);
    }
    if (!r.open) {
        rc = record_fail(&r, "the WebSocket to %s did not open", wsurl);
        goto out;
    }
    frame *f = next_frame(&r, (int64_t)timeout);
    eio_handshake hs;
    if (f == NULL || f->binary || f->n < 2 || f->d[0] != '0' ||
        eio_handshake_parse(f->d + 1, f->n - 1, &hs, NULL) != 0) {
        rc = record_fail(&r, "no valid open packet from the server");
        goto out;
    }
    memcpy(r.sid, hs.sid, hs.sid_len + 1);
    fprintf(r.out, "expect s packet json 0{\"sid\":$sid:string,\"upgrades\":%s,"
                   "\"pingInterval\":$pingInterval:int,\"pingTimeout\":$pingTimeout:int,...}\n",
            (hs.upgrades & EIO_UPGRADE_WEBSOCKET) ? "[\"websocket\"]" : "_:array");
    /* Heartbeats are handled by the script itself, not recorded as replies. */
    if (!eio_only) {
        send_text(&r, "40");
        f = next_frame(&r, (int64_t)timeout);
        if (f == NULL) {
            rc = record_fail(&r, "no answer to the Socket.IO CONNECT");
            goto out;
        }
        expect_frame(&r, f, NULL);
    }
    send_text(&r, message);
    net_time ldl = net_now(r.loop) + (net_time)listen_ms;
    for (;;) {
        int64_t left = (int64_t)(ldl - net_now(r.loop));
        if (net_now(r.loop) >= ldl) {
            break;
        }
        f = next_frame(&r, left);
        if (f == NULL) {
            break;
        }
        if (!f->binary && f->n == 1 && f->d[0] == '2' && eio == 4) {
            /* A ping during the listen window: the heartbeat below. */
            r.cur--;
            break;
        }
        expect_frame(&r, f, NULL);
    }
    if (heartbeat && !r.closed) {
        if (eio == 4) {
            int64_t wait = (int64_t)hs.ping_interval + (int64_t)hs.ping_timeout;
            f = next_frame(&r, wait);
            if (f == NULL || f->binary || f->n != 1 || f->d[0] != '2') {
                rc = record_fail(&r, "no ping within pingInterval+pingTimeout (%lld ms)",
                                 (long long)wait);
                goto out;
            }
            fputs("expect s within pingInterval+slack packet text 2\n", r.out);
            send_text(&r, "3");
        } else {
            send_text(&r, "2");
            f = next_frame(&r, (int64_t)timeout);
            if (f == NULL || f->binary || f->n != 1 || f->d[0] != '3') {
                rc = record_fail(&r, "no pong to the ping");
                goto out;
            }
            fputs("expect s within pingTimeout packet text 3\n", r.out);
        }
    }
    if (!eio_only) {
        send_text(&r, "41");
    }
    fputs("close s\nend\n", r.out);
    rc = SIOC_EXIT_OK;
out:
    if (r.ws != 0 && !r.closed) {
        net_ws_close(r.loop, r.ws, 1000);
    }
    fclose(r.out);
    if (rc == SIOC_EXIT_OK) {
        FILE *o = outp != NULL ? fopen(outp, "w") : stdout;
        if (o == NULL) {
            rc = record_fail(&r, "cannot write '%s': %s", outp, strerror(errno));
        } else {
            fwrite(buf, 1, buflen, o);
            if (outp != NULL && fclose(o) != 0) {
                rc = record_fail(&r, "cannot write '%s'", outp);
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
