/*
 * sioc connect - a Socket.IO client for the command line: connects to a
 * server through client_glue (sio_client + eio_client over net.h), runs
 * commands from the command line and from stdin (a terminal or a script),
 * and prints everything it receives as JSON lines on stdout.
 * docs/connect.md describes the options, the commands and the output.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SIOC_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "client_glue.h"
#include "net.h"
#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc/sio.h"
#include "sioc_cli.h"
#include "sioc_jsonl.h"

#define VERB "connect"

/* Exit statuses of this verb beyond the shared ones. */
#define EXIT_CONNECT_FAILED 1 /* a connection or a namespace could not be made */
#define EXIT_WAIT_TIMEOUT 3   /* a `wait` command reached its deadline */

/* Limits (docs/connect.md, "Limits"). */
#define MAX_LINE (1u << 20)            /* one command line */
#define MAX_QUEUED (4u << 20)          /* command bytes read ahead of the script */
#define MAX_FILE SIO_DEFAULT_MAX_ATTACHMENT_SIZE /* one @file: argument */
#define ARENA_LIMIT (64u << 20)        /* one command's parsed arguments */
#define MAX_RECORDS 10000u             /* distinct kinds of arrivals remembered for `wait` */
#define DEFAULT_WAIT_MS 10000u
#define QUIT_GRACE_MS 3000u            /* a clean close may take this long */
#define LINGER_MS 100u                 /* lets the last frames leave the sockets */
#define READ_CHUNK 65536u

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct nsp_entry {
    char *name;
    uint32_t sock;  /* the latest socket asked for; sio_client_socket_state says how it is */
} nsp_entry;

typedef struct pending_ack {
    uint32_t sock;
    uint64_t id;
    char *name; /* the event name as JSON, for the ack line */
} pending_ack;

typedef struct arrival {
    char *kind;
    char *nsp;  /* or NULL */
    char *name; /* message name, or NULL */
    unsigned long count;
} arrival;

typedef struct line_q {
    char *text;
    bool from_stdin;
    struct line_q *next;
} line_q;

enum { BLOCK_NONE, BLOCK_SLEEP, BLOCK_WAIT };

typedef struct app {
    /* options */
    const char *url;
    sio_version version;
    bool auto_ack;
    bool read_stdin;
    uint32_t exit_after;
    bool has_exit_after;
    const char *default_nsp;

    net_loop *loop;
    sioc_client_glue *g;
    sio_client *s;
    eio_arena arena; /* one command's arguments, auto-ack copies */

    nsp_entry *nsps;
    size_t n_nsps, cap_nsps;
    pending_ack *acks;
    size_t n_acks, cap_acks;
    arrival *recs;
    size_t n_recs, cap_recs;

    /* script */
    line_q *q_head, *q_tail;
    size_t q_bytes;
    int block;
    net_time block_until;
    char *wait_kind, *wait_name, *wait_nsp;
    uint32_t wait_ms;

    /* stdin */
    bool tty;      /* interactive: errors in commands do not end the program */
    bool use_edit; /* libedit's callback interface is installed */
    bool stdin_watched;
    bool stdin_eof;
    char *ibuf;
    size_t ilen, icap;

    /* ending */
    bool quitting;
    bool lingering;
    bool done;
    net_time quit_deadline;
    net_time linger_until;
    net_time exit_at;
    bool failed;       /* exit 1 */
    bool wait_timeout; /* exit 3 */
    bool usage_failed; /* exit 2 */
    bool out_failed;   /* stdout cannot be written */
    bool glue_error_reported;

    sioc_jbuf out;
} app;

#ifdef SIOC_HAVE_LIBEDIT
static app *edit_app; /* libedit's line handler has no user pointer */
#define PROMPT "sioc> "
static size_t edit_typed;  /* bytes read since the last line was accepted */
static bool edit_eof;      /* end of input seen by edit_getc */
#endif

static void out_flush_line(app *a);

static char *xstrndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r != NULL) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return true;
    }
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need) {
        c *= 2;
    }
    void *r = realloc(*arr, c * elem);
    if (r == NULL) {
        return false;
    }
    *arr = r;
    *cap = c;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

static sioc_jbuf *out_begin(app *a, const char *event)
{
    sioc_jbuf *b = &a->out;
    b->len = 0;
    b->nomem = false;
    sioc_jbuf_lit(b, "{\"event\":\"");
    sioc_jbuf_lit(b, event);
    sioc_jbuf_lit(b, "\"");
    return b;
}

static void out_key(sioc_jbuf *b, const char *key)
{
    sioc_jbuf_lit(b, ",\"");
    sioc_jbuf_lit(b, key);
    sioc_jbuf_lit(b, "\":");
}

static void out_str(sioc_jbuf *b, const char *key, const char *s, size_t n)
{
    out_key(b, key);
    sioc_jbuf_string(b, (const uint8_t *)s, n);
}

static void out_cstr(sioc_jbuf *b, const char *key, const char *s)
{
    out_str(b, key, s, strlen(s));
}

static void out_uint(sioc_jbuf *b, const char *key, uint64_t v)
{
    out_key(b, key);
    sioc_jbuf_uint(b, v);
}

static void out_end(app *a)
{
    sioc_jbuf_lit(&a->out, "}");
    out_flush_line(a);
}

static void out_flush_line(app *a)
{
#ifdef SIOC_HAVE_LIBEDIT
    /* Clear the prompt line, print, and let libedit draw it again. */
    bool redraw = a->use_edit && a->stdin_watched && isatty(STDOUT_FILENO) &&
                  isatty(STDERR_FILENO);
    if (redraw) {
        fputs("\r\033[K", stderr);
    }
#endif
    int rc = sioc_jbuf_emit(&a->out, stdout);
    if (rc == EIO_ERR_NOMEM) {
        sioc_error(VERB, "out of memory writing an output line");
    } else if (rc != 0 || fflush(stdout) != 0) {
        a->out_failed = true;
    }
#ifdef SIOC_HAVE_LIBEDIT
    if (redraw) {
        /* Right after a line was accepted libedit still holds it until the
           next key: draw a fresh prompt rather than the old line. */
        if (edit_typed == 0) {
            fputs(PROMPT, stderr);
            fflush(stderr);
        } else {
            rl_forced_update_display();
        }
    }
#endif
}

/* ------------------------------------------------------------------------ */
/* Bookkeeping: namespaces, acks, arrivals                                   */
/* ------------------------------------------------------------------------ */

static nsp_entry *nsp_by_name(app *a, const char *name)
{
    for (size_t i = 0; i < a->n_nsps; i++) {
        if (strcmp(a->nsps[i].name, name) == 0) {
            return &a->nsps[i];
        }
    }
    return NULL;
}

static nsp_entry *nsp_by_sock(app *a, uint32_t sock)
{
    for (size_t i = 0; i < a->n_nsps; i++) {
        if (a->nsps[i].sock == sock) {
            return &a->nsps[i];
        }
    }
    return NULL;
}

static size_t ack_find(app *a, uint32_t sock, uint64_t id)
{
    for (size_t i = 0; i < a->n_acks; i++) {
        if (a->acks[i].sock == sock && a->acks[i].id == id) {
            return i;
        }
    }
    return SIZE_MAX;
}

static void ack_remove(app *a, size_t i)
{
    free(a->acks[i].name);
    a->acks[i] = a->acks[--a->n_acks];
}

static bool str_eq_opt(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* Remembers one arrival for `wait` (kinds are bounded by MAX_RECORDS). */
static void record(app *a, const char *kind, const char *nsp, size_t nsp_len, const char *name,
                   size_t name_len)
{
    char *n = nsp != NULL ? xstrndup(nsp, nsp_len) : NULL;
    char *m = name != NULL ? xstrndup(name, name_len) : NULL;
    if ((nsp != NULL && n == NULL) || (name != NULL && m == NULL)) {
        goto out;
    }
    for (size_t i = 0; i < a->n_recs; i++) {
        arrival *r = &a->recs[i];
        if (strcmp(r->kind, kind) == 0 && str_eq_opt(r->nsp, n) && str_eq_opt(r->name, m)) {
            r->count++;
            goto out;
        }
    }
    if (a->n_recs >= MAX_RECORDS ||
        !grow((void **)&a->recs, &a->cap_recs, a->n_recs + 1, sizeof *a->recs)) {
        goto out;
    }
    char *k = xstrndup(kind, strlen(kind));
    if (k == NULL) {
        goto out;
    }
    a->recs[a->n_recs++] = (arrival){.kind = k, .nsp = n, .name = m, .count = 1};
    return;
out:
    free(n);
    free(m);
}

/* Takes one arrival matching the current wait; true if there was one. */
static bool consume_match(app *a)
{
    for (size_t i = 0; i < a->n_recs; i++) {
        arrival *r = &a->recs[i];
        if (r->count == 0 || strcmp(r->kind, a->wait_kind) != 0) {
            continue;
        }
        if (a->wait_nsp != NULL && (r->nsp == NULL || strcmp(r->nsp, a->wait_nsp) != 0)) {
            continue;
        }
        if (a->wait_name != NULL && (r->name == NULL || strcmp(r->name, a->wait_name) != 0)) {
            continue;
        }
        r->count--;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Turns {"$binary":"<base64>"} objects into binary nodes and
 * {"$undefined":true} into undefined, in place, anywhere in the tree.
 * Returns 0 or a message.
 */
static const char *tree_special(eio_arena *arena, eio_json *v)
{
    if (v->type == EIO_JSON_ARRAY) {
        for (eio_json *c = v->u.c.first; c != NULL; c = c->next) {
            const char *m = tree_special(arena, c);
            if (m != NULL) {
                return m;
            }
        }
        return NULL;
    }
    if (v->type != EIO_JSON_OBJECT) {
        return NULL;
    }
    eio_json *f = v->u.c.first;
    if (v->u.c.count == 1 && f->key_len == 7 && memcmp(f->key, "$binary", 7) == 0) {
        if (f->type != EIO_JSON_STRING) {
            return "\"$binary\" must be a base64 string";
        }
        size_t cap = eio_base64_decoded_max(f->u.str.len);
        uint8_t *buf = eio_arena_alloc(arena, cap ? cap : 1);
        size_t got = 0;
        if (buf == NULL) {
            return "out of memory";
        }
        if (eio_base64_decode((const uint8_t *)f->u.str.ptr, f->u.str.len, buf, cap, &got,
                              NULL) != 0) {
            return "\"$binary\" is not valid base64";
        }
        v->type = EIO_JSON_BINARY;
        v->u.str.ptr = (const char *)buf;
        v->u.str.len = got;
        return NULL;
    }
    if (v->u.c.count == 1 && f->key_len == 10 && memcmp(f->key, "$undefined", 10) == 0) {
        if (f->type != EIO_JSON_BOOL || !f->u.b) {
            return "\"$undefined\" must be true";
        }
        v->type = EIO_JSON_UNDEFINED;
        return NULL;
    }
    for (eio_json *c = v->u.c.first; c != NULL; c = c->next) {
        const char *m = tree_special(arena, c);
        if (m != NULL) {
            return m;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

static void put_nsp(sioc_jbuf *b, eio_slice nsp)
{
    if (nsp.len == 0) {
        out_str(b, "nsp", "/", 1);
    } else {
        out_str(b, "nsp", (const char *)nsp.ptr, nsp.len);
    }
}

static const char *reason_name(int reason)
{
    const char *n = sio_disconnect_reason_name(reason);
    return n != NULL ? n : "unknown";
}

/* What the machine says of the namespace's latest socket. */
static sio_socket_state nsp_state(const app *a, const nsp_entry *e)
{
    return sio_client_socket_state(a->s, e->sock);
}

static void auto_ack(app *a, const sio_event *e)
{
    /* The event's tree dies at the next call into the machine, which the
       ack is: copy the arguments first. */
    eio_arena_reset(&a->arena);
    eio_json *args = eio_json_new_array(&a->arena);
    bool ok = args != NULL;
    const eio_json *first = e->data != NULL ? e->data->u.c.first : NULL;
    for (const eio_json *c = first != NULL ? first->next : NULL; ok && c != NULL; c = c->next) {
        eio_json *cc = eio_json_clone(&a->arena, c);
        ok = cc != NULL && eio_json_append(args, cc) == 0;
    }
    if (!ok) {
        sioc_error(VERB, "auto-ack %" PRIu64 ": out of memory", e->id);
        return;
    }
    int rc = sio_client_ack(a->s, e->socket, e->id, args, net_now(a->loop));
    if (rc != 0) {
        sioc_error(VERB, "auto-ack %" PRIu64 ": %s", e->id, eio_strerror(rc));
    }
}

static void on_sio_event(sioc_client_glue *g, const sio_event *e, void *ud)
{
    (void)g;
    app *a = ud;
    nsp_entry *ns = nsp_by_sock(a, e->socket);
    sioc_jbuf *b;
    switch (e->type) {
    case SIO_EVENT_CONNECT:
        b = out_begin(a, "connect");
        put_nsp(b, e->nsp);
        out_cstr(b, "sid", e->sid != NULL ? e->sid : "");
        out_end(a);
        record(a, "connect", (const char *)e->nsp.ptr, e->nsp.len, NULL, 0);
        break;
    case SIO_EVENT_RECOVERED:
        b = out_begin(a, "recovered");
        put_nsp(b, e->nsp);
        out_end(a);
        record(a, "recovered", (const char *)e->nsp.ptr, e->nsp.len, NULL, 0);
        break;
    case SIO_EVENT_CONNECT_ERROR:
        b = out_begin(a, "connect_error");
        put_nsp(b, e->nsp);
        if (e->data != NULL) {
            out_key(b, "data");
            sioc_jbuf_tree(b, e->data);
        }
        if (e->reason != SIO_DISCONNECT_NONE) {
            out_cstr(b, "reason", reason_name(e->reason));
        }
        out_end(a);
        record(a, "connect_error", (const char *)e->nsp.ptr, e->nsp.len, NULL, 0);
        if (ns != NULL && nsp_state(a, ns) == SIO_SOCKET_GONE) {
            a->failed = true; /* refused, or no reconnection will try again */
        }
        break;
    case SIO_EVENT_EVENT: {
        const eio_json *name = e->data != NULL ? e->data->u.c.first : NULL;
        b = out_begin(a, "message");
        put_nsp(b, e->nsp);
        if (name != NULL) {
            out_key(b, "name");
            sioc_jbuf_tree(b, name);
        }
        out_key(b, "args");
        sioc_jbuf_lit(b, "[");
        for (const eio_json *c = name != NULL ? name->next : NULL; c != NULL; c = c->next) {
            sioc_jbuf_tree(b, c);
            if (c->next != NULL) {
                sioc_jbuf_lit(b, ",");
            }
        }
        sioc_jbuf_lit(b, "]");
        if (e->has_id) {
            out_uint(b, "id", e->id);
        }
        out_end(a);
        if (name != NULL && name->type == EIO_JSON_STRING) {
            record(a, "message", (const char *)e->nsp.ptr, e->nsp.len, name->u.str.ptr,
                   name->u.str.len);
        } else if (name != NULL) {
            char num[EIO_JSON_NUMBER_MAX + 8];
            size_t n = eio_json_write(name, num, sizeof num);
            record(a, "message", (const char *)e->nsp.ptr, e->nsp.len, num,
                   n < sizeof num ? n : 0);
        }
        if (e->has_id && a->auto_ack) {
            auto_ack(a, e);
        }
        break;
    }
    case SIO_EVENT_ACK:
    case SIO_EVENT_ACK_TIMEOUT: {
        bool ack = e->type == SIO_EVENT_ACK;
        size_t i = ack_find(a, e->socket, e->id);
        b = out_begin(a, ack ? "ack" : "ack_timeout");
        put_nsp(b, e->nsp);
        out_uint(b, "id", e->id);
        if (i != SIZE_MAX) {
            out_key(b, "name");
            sioc_jbuf_lit(b, a->acks[i].name);
        }
        if (ack && e->data != NULL) {
            out_key(b, "args");
            sioc_jbuf_tree(b, e->data);
        }
        if (!ack) {
            out_cstr(b, "reason",
                     e->reason == SIO_DISCONNECT_NONE ? "timeout" : reason_name(e->reason));
        }
        out_end(a);
        record(a, ack ? "ack" : "ack_timeout", (const char *)e->nsp.ptr, e->nsp.len, NULL, 0);
        if (i != SIZE_MAX) {
            ack_remove(a, i);
        }
        break;
    }
    case SIO_EVENT_DISCONNECT:
        b = out_begin(a, "disconnect");
        put_nsp(b, e->nsp);
        out_cstr(b, "reason", reason_name(e->reason));
        out_end(a);
        record(a, "disconnect", (const char *)e->nsp.ptr, e->nsp.len, NULL, 0);
        break;
    case SIO_EVENT_RECONNECT_ATTEMPT:
    case SIO_EVENT_RECONNECT: {
        const char *kind =
            e->type == SIO_EVENT_RECONNECT ? "reconnect" : "reconnect_attempt";
        b = out_begin(a, kind);
        out_uint(b, "attempt", e->attempt);
        out_end(a);
        record(a, kind, NULL, 0, NULL, 0);
        break;
    }
    case SIO_EVENT_RECONNECT_FAILED:
        out_begin(a, "reconnect_failed");
        out_end(a);
        record(a, "reconnect_failed", NULL, 0, NULL, 0);
        a->failed = true;
        break;
    default:
        break;
    }
}

static const char *transport_name(eio_transport t)
{
    return t == EIO_TRANSPORT_WEBSOCKET ? "websocket" : "polling";
}

static void on_eio_event(sioc_client_glue *g, const eio_event *e, void *ud)
{
    app *a = ud;
    sioc_jbuf *b;
    switch (e->type) {
    case EIO_EVENT_OPEN:
        b = out_begin(a, "open");
        if (e->handshake != NULL) {
            out_str(b, "sid", e->handshake->sid, e->handshake->sid_len);
            out_uint(b, "pingInterval", e->handshake->ping_interval);
            out_uint(b, "pingTimeout", e->handshake->ping_timeout);
        }
        out_cstr(b, "transport", transport_name(e->transport));
        out_uint(b, "eio", e->version == EIO_V3 ? 3 : 4);
        out_end(a);
        record(a, "open", NULL, 0, NULL, 0);
        break;
    case EIO_EVENT_UPGRADE:
        b = out_begin(a, "upgrade");
        out_cstr(b, "transport", "websocket");
        out_end(a);
        record(a, "upgrade", NULL, 0, NULL, 0);
        break;
    case EIO_EVENT_UPGRADE_FAILED:
        out_begin(a, "upgrade_failed");
        out_end(a);
        record(a, "upgrade_failed", NULL, 0, NULL, 0);
        break;
    case EIO_EVENT_CLOSE: {
        const char *r = eio_close_reason_name((int)e->reason);
        b = out_begin(a, "close");
        out_cstr(b, "reason", r != NULL ? r : "unknown");
        if (e->error != 0 && eio_error_name(e->error) != NULL) {
            out_cstr(b, "error", eio_error_name(e->error));
        }
        if (e->reason == EIO_CLOSE_HANDSHAKE_ERROR && e->len > 0) {
            /* The server's refusal body, e.g. {"code":1,"message":"..."} */
            out_key(b, "body");
            if (eio_utf8_validate(e->data, e->len, NULL) == 0) {
                sioc_jbuf_string(b, e->data, e->len);
            } else {
                sioc_jbuf_base64(b, e->data, e->len);
            }
        }
        out_end(a);
        record(a, "close", NULL, 0, NULL, 0);
        break;
    }
    default:
        break;
    }
    (void)g;
}

/* ------------------------------------------------------------------------ */
/* Ending                                                                    */
/* ------------------------------------------------------------------------ */

static void stdin_stop(app *a);

static void begin_quit(app *a)
{
    if (a->quitting) {
        return;
    }
    a->quitting = true;
    a->block = BLOCK_NONE;
    for (size_t i = 0; i < a->n_nsps && !a->usage_failed; i++) {
        if (nsp_state(a, &a->nsps[i]) == SIO_SOCKET_CONNECTING) {
            a->failed = true; /* asked for and never (re)connected */
        }
    }
    stdin_stop(a);
    net_time now = net_now(a->loop);
    a->quit_deadline = now + QUIT_GRACE_MS;
    int rc = sio_client_close(a->s, (eio_time)now);
    if (rc != 0) {
        sioc_error(VERB, "close: %s", eio_strerror(rc));
    }
    sioc_client_glue_drain(a->g);
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cur {
    const char *s;
    size_t n, i;
} cur;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_ws(cur *c)
{
    while (c->i < c->n && is_space(c->s[c->i])) {
        c->i++;
    }
}

static bool at_end(cur *c)
{
    skip_ws(c);
    return c->i >= c->n;
}

/* The next whitespace-delimited token (may be empty at the end). */
static eio_slice word(cur *c)
{
    skip_ws(c);
    size_t start = c->i;
    while (c->i < c->n && !is_space(c->s[c->i])) {
        c->i++;
    }
    return (eio_slice){(const uint8_t *)c->s + start, c->i - start};
}

static bool slice_is(eio_slice w, const char *lit)
{
    size_t n = strlen(lit);
    return w.len == n && memcmp(w.ptr, lit, n) == 0;
}

static bool parse_u64(eio_slice w, uint64_t max, uint64_t *out)
{
    if (w.len == 0 || w.len > 20) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < w.len; i++) {
        if (w.ptr[i] < '0' || w.ptr[i] > '9') {
            return false;
        }
        unsigned d = (unsigned)(w.ptr[i] - '0');
        if (v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Reads a whole file (at most MAX_FILE bytes) into the arena. */
static const char *read_file(app *a, const char *path, eio_json **out)
{
    static char msg[512];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "cannot open '%s': %s", path, strerror(errno));
        return msg;
    }
    uint8_t *buf = eio_arena_alloc(&a->arena, MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        return "out of memory";
    }
    size_t got = fread(buf, 1, MAX_FILE + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        snprintf(msg, sizeof msg, "cannot read '%s'", path);
        return msg;
    }
    if (got > MAX_FILE) {
        snprintf(msg, sizeof msg, "'%s' is larger than %u bytes", path, (unsigned)MAX_FILE);
        return msg;
    }
    *out = eio_json_new_binary(&a->arena, buf, got);
    return *out != NULL ? NULL : "out of memory";
}

/*
 * One argument: a JSON value ({"$binary":..} and {"$undefined":true}
 * understood), or @file:PATH, @hex:HEX, @b64:BASE64 (binary).
 * Returns NULL or a message.
 */
static const char *parse_arg(app *a, cur *c, eio_json **out)
{
    skip_ws(c);
    const uint8_t *s = (const uint8_t *)c->s;
    if (s[c->i] == '@') {
        eio_slice w = word(c);
        if (w.len >= 6 && memcmp(w.ptr, "@file:", 6) == 0) {
            char *path = xstrndup((const char *)w.ptr + 6, w.len - 6);
            if (path == NULL) {
                return "out of memory";
            }
            const char *m = read_file(a, path, out);
            free(path);
            return m;
        }
        if (w.len >= 5 && memcmp(w.ptr, "@hex:", 5) == 0) {
            size_t n = w.len - 5;
            if (n % 2 != 0) {
                return "@hex: needs an even number of hex digits";
            }
            uint8_t *buf = eio_arena_alloc(&a->arena, n / 2 + 1);
            if (buf == NULL) {
                return "out of memory";
            }
            for (size_t i = 0; i < n / 2; i++) {
                int hi = sioc_hex_digit(w.ptr[5 + 2 * i]), lo = sioc_hex_digit(w.ptr[6 + 2 * i]);
                if (hi < 0 || lo < 0) {
                    return "@hex: holds a character that is not a hex digit";
                }
                buf[i] = (uint8_t)(hi * 16 + lo);
            }
            *out = eio_json_new_binary(&a->arena, buf, n / 2);
            return *out != NULL ? NULL : "out of memory";
        }
        if (w.len >= 5 && memcmp(w.ptr, "@b64:", 5) == 0) {
            size_t cap = eio_base64_decoded_max(w.len - 5);
            uint8_t *buf = eio_arena_alloc(&a->arena, cap + 1);
            size_t got = 0;
            if (buf == NULL) {
                return "out of memory";
            }
            if (eio_base64_decode(w.ptr + 5, w.len - 5, buf, cap, &got, NULL) != 0) {
                return "@b64: is not valid base64";
            }
            *out = eio_json_new_binary(&a->arena, buf, got);
            return *out != NULL ? NULL : "out of memory";
        }
        return "an argument starting with '@' must be @file:PATH, @hex:HEX or @b64:BASE64";
    }
    size_t end = sioc_json_skip_value(s, c->n, c->i);
    if (end == c->i) {
        return "expected a JSON value";
    }
    eio_json_options jo = {.max_depth = 0, .max_size = MAX_LINE};
    eio_errinfo err;
    if (eio_json_parse(s + c->i, end - c->i, &jo, &a->arena, out, &err) != 0) {
        static char msg[256];
        snprintf(msg, sizeof msg, "argument '%.*s' is not JSON (%s)",
                 (int)(end - c->i > 40 ? 40 : end - c->i), (const char *)s + c->i, err.msg);
        return msg;
    }
    c->i = end;
    if (c->i < c->n && !is_space(c->s[c->i])) {
        return "arguments must be separated by white space";
    }
    return tree_special(&a->arena, *out);
}

/* The event name: a bare word, or a JSON string. */
static const char *parse_name(app *a, cur *c, eio_json **out)
{
    skip_ws(c);
    if (c->i >= c->n) {
        return "missing event name";
    }
    if (c->s[c->i] == '"') {
        const char *m = parse_arg(a, c, out);
        if (m == NULL && (*out)->type != EIO_JSON_STRING) {
            return "the event name must be a string";
        }
        return m;
    }
    eio_slice w = word(c);
    *out = eio_json_new_string(&a->arena, (const char *)w.ptr, w.len);
    return *out != NULL ? NULL : "the event name is not valid UTF-8";
}

static const char *parse_args_into(app *a, cur *c, eio_json *arr)
{
    while (!at_end(c)) {
        eio_json *v = NULL;
        const char *m = parse_arg(a, c, &v);
        if (m != NULL) {
            return m;
        }
        if (eio_json_append(arr, v) != 0) {
            return "out of memory";
        }
    }
    return NULL;
}

static nsp_entry *live_nsp(app *a, const char *nsp)
{
    nsp_entry *e = nsp_by_name(a, nsp);
    if (e == NULL || nsp_state(a, e) == SIO_SOCKET_GONE) {
        sioc_error(VERB, "no socket for namespace %s (use: connect %s)", nsp, nsp);
        return NULL;
    }
    return e;
}

static int do_connect(app *a, const char *nsp, const eio_json *auth)
{
    nsp_entry *e = nsp_by_name(a, nsp);
    sio_socket_state st = e != NULL ? nsp_state(a, e) : SIO_SOCKET_GONE;
    if (st != SIO_SOCKET_GONE) {
        sioc_error(VERB, "namespace %s is already %s", nsp,
                   st == SIO_SOCKET_CONNECTED ? "connected" : "connecting");
        return -1;
    }
    int64_t h = sio_client_connect(a->s, nsp, auth, net_now(a->loop));
    if (h < 0) {
        sioc_error(VERB, "connect %s: %s", nsp, eio_strerror((int)h));
        return -1;
    }
    if (e == NULL) {
        if (!grow((void **)&a->nsps, &a->cap_nsps, a->n_nsps + 1, sizeof *a->nsps)) {
            sioc_error(VERB, "out of memory");
            return -1;
        }
        char *name = xstrndup(nsp, strlen(nsp));
        if (name == NULL) {
            sioc_error(VERB, "out of memory");
            return -1;
        }
        e = &a->nsps[a->n_nsps++];
        e->name = name;
    }
    e->sock = (uint32_t)h;
    sioc_client_glue_drain(a->g);
    return 0;
}

/* The command list, each line after `indent`. */
static void print_commands(FILE *f, const char *indent)
{
    static const char *const lines[] = {
        "Commands (one per line; [/NSP] addresses a namespace, default: the first --namespace):",
        "  [/NSP] emit EVENT [ARG...]      send an event; ARGs are JSON values or binary",
        "                                  (@file:PATH, @hex:0102, @b64:AQI=, {\"$binary\":\"AQI=\"})",
        "  [/NSP] emit-ack EVENT [ARG...]  send an event asking for an ack (printed when it comes)",
        "  [/NSP] ack ID [ARG...]          answer the server's event ID",
        "  connect NSP [AUTH]              join a namespace (AUTH: a JSON object)",
        "  disconnect [NSP]                leave a namespace",
        "  sleep MS                        pause the script",
        "  [/NSP] wait WHAT [MS]           pause until WHAT arrives (default 10000 ms); WHAT is an",
        "                                  output event (connect, disconnect, connect_error, ack,",
        "                                  ack_timeout, open, upgrade, close, reconnect, ...) or",
        "                                  message or message:NAME",
        "  close                           close the connection (connect starts a new one)",
        "  quit                            close and exit",
        "  help                            this list",
        "Lines starting with # are comments.",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        fprintf(f, "%s%s\n", indent, lines[i]);
    }
}

/* Runs one command line. Returns 0, or -1 after printing why it failed. */
static int exec_line(app *a, const char *line)
{
    cur c = {.s = line, .n = strlen(line), .i = 0};
    if (at_end(&c) || c.s[c.i] == '#') {
        return 0;
    }
    char nsp[SIO_DEFAULT_MAX_NAMESPACE + 1];
    bool has_nsp = false;
    if (c.s[c.i] == '/') {
        eio_slice w = word(&c);
        if (w.len > SIO_DEFAULT_MAX_NAMESPACE) {
            sioc_error(VERB, "namespace too long");
            return -1;
        }
        memcpy(nsp, w.ptr, w.len);
        nsp[w.len] = '\0';
        has_nsp = true;
    } else {
        snprintf(nsp, sizeof nsp, "%s", a->default_nsp);
    }
    eio_slice cmd = word(&c);
    eio_arena_reset(&a->arena);
    net_time now = net_now(a->loop);

    if (slice_is(cmd, "emit") || slice_is(cmd, "emit-ack")) {
        bool want_ack = slice_is(cmd, "emit-ack");
        nsp_entry *e = live_nsp(a, nsp);
        if (e == NULL) {
            return -1;
        }
        eio_json *arr = eio_json_new_array(&a->arena);
        eio_json *name = NULL;
        const char *m = arr == NULL ? "out of memory" : parse_name(a, &c, &name);
        if (m == NULL && eio_json_append(arr, name) != 0) {
            m = "out of memory";
        }
        if (m == NULL) {
            m = parse_args_into(a, &c, arr);
        }
        if (m != NULL) {
            sioc_error(VERB, "%.*s: %s", (int)cmd.len, (const char *)cmd.ptr, m);
            return -1;
        }
        char *name_json = NULL;
        if (want_ack) {
            size_t n = eio_json_write(name, NULL, 0);
            name_json = malloc(n + 1);
            if (name_json == NULL ||
                !grow((void **)&a->acks, &a->cap_acks, a->n_acks + 1, sizeof *a->acks)) {
                free(name_json);
                sioc_error(VERB, "out of memory");
                return -1;
            }
            eio_json_write(name, name_json, n);
            name_json[n] = '\0';
        }
        int64_t rc = sio_client_emit(a->s, e->sock, arr, want_ack ? SIO_EMIT_ACK : 0, 0,
                                     (eio_time)now);
        if (rc < 0) {
            free(name_json);
            sioc_error(VERB, "%.*s: %s", (int)cmd.len, (const char *)cmd.ptr, eio_strerror((int)rc));
            return -1;
        }
        if (want_ack) {
            a->acks[a->n_acks++] =
                (pending_ack){.sock = e->sock, .id = (uint64_t)rc, .name = name_json};
        }
        sioc_client_glue_drain(a->g);
        return 0;
    }
    if (slice_is(cmd, "ack")) {
        nsp_entry *e = live_nsp(a, nsp);
        if (e == NULL) {
            return -1;
        }
        uint64_t id = 0;
        if (!parse_u64(word(&c), SIO_MAX_ACK_ID, &id)) {
            sioc_error(VERB, "ack: ID must be a number up to %llu", (unsigned long long)SIO_MAX_ACK_ID);
            return -1;
        }
        eio_json *arr = eio_json_new_array(&a->arena);
        const char *m = arr == NULL ? "out of memory" : parse_args_into(a, &c, arr);
        if (m != NULL) {
            sioc_error(VERB, "ack: %s", m);
            return -1;
        }
        int rc = sio_client_ack(a->s, e->sock, id, arr, (eio_time)now);
        if (rc != 0) {
            sioc_error(VERB, "ack: %s", eio_strerror(rc));
            return -1;
        }
        sioc_client_glue_drain(a->g);
        return 0;
    }
    if (slice_is(cmd, "connect")) {
        eio_slice w = word(&c);
        if (w.len == 0 || w.ptr[0] != '/' || w.len > SIO_DEFAULT_MAX_NAMESPACE) {
            sioc_error(VERB, "connect: NSP must start with '/'");
            return -1;
        }
        char name[SIO_DEFAULT_MAX_NAMESPACE + 1];
        memcpy(name, w.ptr, w.len);
        name[w.len] = '\0';
        eio_json *auth = NULL;
        if (!at_end(&c)) {
            const char *m = parse_arg(a, &c, &auth);
            if (m == NULL && auth->type != EIO_JSON_OBJECT) {
                m = "AUTH must be a JSON object";
            }
            if (m == NULL && !at_end(&c)) {
                m = "too many arguments";
            }
            if (m != NULL) {
                sioc_error(VERB, "connect: %s", m);
                return -1;
            }
        }
        return do_connect(a, name, auth);
    }
    if (slice_is(cmd, "disconnect")) {
        eio_slice w = word(&c);
        if (w.len > 0) {
            if (w.ptr[0] != '/' || w.len > SIO_DEFAULT_MAX_NAMESPACE) {
                sioc_error(VERB, "disconnect: NSP must start with '/'");
                return -1;
            }
            memcpy(nsp, w.ptr, w.len);
            nsp[w.len] = '\0';
        }
        nsp_entry *e = live_nsp(a, nsp);
        if (e == NULL) {
            return -1;
        }
        int rc = sio_client_disconnect(a->s, e->sock, (eio_time)now);
        if (rc != 0) {
            sioc_error(VERB, "disconnect: %s", eio_strerror(rc));
            return -1;
        }
        sioc_client_glue_drain(a->g);
        return 0;
    }
    if (slice_is(cmd, "sleep")) {
        uint64_t ms = 0;
        if (!parse_u64(word(&c), UINT32_MAX, &ms) || !at_end(&c)) {
            sioc_error(VERB, "sleep: MS must be a number of milliseconds");
            return -1;
        }
        a->block = BLOCK_SLEEP;
        a->block_until = now + ms;
        return 0;
    }
    if (slice_is(cmd, "wait")) {
        eio_slice what = word(&c);
        uint64_t ms = DEFAULT_WAIT_MS;
        eio_slice w = word(&c);
        if (what.len == 0 || (w.len > 0 && !parse_u64(w, UINT32_MAX, &ms)) || !at_end(&c)) {
            sioc_error(VERB, "wait: usage: wait WHAT [MS]");
            return -1;
        }
        const uint8_t *colon = memchr(what.ptr, ':', what.len);
        size_t klen = colon != NULL ? (size_t)(colon - what.ptr) : what.len;
        free(a->wait_kind);
        free(a->wait_name);
        free(a->wait_nsp);
        a->wait_kind = xstrndup((const char *)what.ptr, klen);
        a->wait_name = colon != NULL
                           ? xstrndup((const char *)colon + 1, what.len - klen - 1)
                           : NULL;
        a->wait_nsp = has_nsp ? xstrndup(nsp, strlen(nsp)) : NULL;
        if (a->wait_kind == NULL || (colon != NULL && a->wait_name == NULL) ||
            (has_nsp && a->wait_nsp == NULL)) {
            sioc_error(VERB, "out of memory");
            return -1;
        }
        if (colon != NULL && strcmp(a->wait_kind, "message") != 0) {
            sioc_error(VERB, "wait: only message takes a name (message:NAME)");
            return -1;
        }
        a->wait_ms = (uint32_t)ms;
        a->block = BLOCK_WAIT;
        a->block_until = now + ms;
        return 0;
    }
    if (slice_is(cmd, "close")) {
        int rc = sio_client_close(a->s, (eio_time)now);
        if (rc != 0) {
            sioc_error(VERB, "close: %s", eio_strerror(rc));
        }
        sioc_client_glue_drain(a->g);
        return 0;
    }
    if (slice_is(cmd, "quit") || slice_is(cmd, "exit")) {
        begin_quit(a);
        return 0;
    }
    if (slice_is(cmd, "help")) {
        print_commands(stderr, "");
        return 0;
    }
    sioc_error(VERB, "unknown command '%.*s' (try: help)", (int)cmd.len, (const char *)cmd.ptr);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* The script: lines from --command and stdin, run in order                  */
/* ------------------------------------------------------------------------ */

static bool enqueue(app *a, const char *text, size_t n, bool from_stdin)
{
    line_q *l = malloc(sizeof *l);
    char *t = xstrndup(text, n);
    if (l == NULL || t == NULL) {
        free(l);
        free(t);
        return false;
    }
    l->text = t;
    l->from_stdin = from_stdin;
    l->next = NULL;
    if (a->q_tail != NULL) {
        a->q_tail->next = l;
    } else {
        a->q_head = l;
    }
    a->q_tail = l;
    a->q_bytes += n;
    return true;
}

static void stdin_start(app *a);

static void run_script(app *a)
{
    for (;;) {
        if (a->block == BLOCK_WAIT && consume_match(a)) {
            a->block = BLOCK_NONE; /* what it waits for may have come already */
        }
        if (a->quitting || a->block != BLOCK_NONE || a->q_head == NULL) {
            break;
        }
        line_q *l = a->q_head;
        a->q_head = l->next;
        if (a->q_head == NULL) {
            a->q_tail = NULL;
        }
        a->q_bytes -= strlen(l->text);
        int rc = exec_line(a, l->text);
        bool interactive = l->from_stdin && a->tty;
        free(l->text);
        free(l);
        if (rc != 0 && !interactive) {
            /* A script that cannot run as written stops. */
            a->usage_failed = true;
            begin_quit(a);
        }
    }
    if (!a->quitting && !a->stdin_watched && !a->stdin_eof && a->read_stdin &&
        a->q_bytes < MAX_QUEUED / 2) {
        stdin_start(a);
    }
}

static void take_lines(app *a, bool at_eof)
{
    size_t start = 0;
    for (size_t i = 0; i < a->ilen; i++) {
        if (a->ibuf[i] == '\n') {
            size_t n = i - start;
            if (n > 0 && a->ibuf[start + n - 1] == '\r') {
                n--;
            }
            if (n > MAX_LINE) {
                sioc_error(VERB, "a command line is longer than %u bytes", (unsigned)MAX_LINE);
                a->usage_failed = true;
                begin_quit(a);
                return;
            }
            if (!enqueue(a, a->ibuf + start, n, true)) {
                sioc_error(VERB, "out of memory");
                a->usage_failed = true;
                begin_quit(a);
                return;
            }
            start = i + 1;
        }
    }
    memmove(a->ibuf, a->ibuf + start, a->ilen - start);
    a->ilen -= start;
    if (at_eof && a->ilen > 0) {
        if (!enqueue(a, a->ibuf, a->ilen, true)) {
            sioc_error(VERB, "out of memory");
        }
        a->ilen = 0;
    }
}

static void on_stdin_plain(net_loop *l, int fd, void *ud)
{
    (void)l;
    app *a = ud;
    if (!grow((void **)&a->ibuf, &a->icap, a->ilen + READ_CHUNK, 1)) {
        sioc_error(VERB, "out of memory");
        a->usage_failed = true;
        begin_quit(a);
        return;
    }
    ssize_t n = read(fd, a->ibuf + a->ilen, READ_CHUNK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n < 0) {
        sioc_error(VERB, "cannot read stdin: %s", strerror(errno));
    }
    if (n <= 0) {
        take_lines(a, true);
        a->stdin_eof = true;
        stdin_stop(a);
        return;
    }
    a->ilen += (size_t)n;
    take_lines(a, false);
    if (a->quitting) {
        return;
    }
    if (a->ilen > MAX_LINE) {
        sioc_error(VERB, "a command line is longer than %u bytes", (unsigned)MAX_LINE);
        a->usage_failed = true;
        begin_quit(a);
        return;
    }
    if (a->q_bytes >= MAX_QUEUED) {
        stdin_stop(a); /* run_script reads on once the script caught up */
    }
}

#ifdef SIOC_HAVE_LIBEDIT
/*
 * libedit's rl_callback_read_char swallows ^D on an empty line (its el_gets
 * returns no characters and the line handler is not called), so the bytes
 * are read here and the end of input is recognized by hand.
 */
static int edit_getc(FILE *f)
{
    (void)f;
    unsigned char ch;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, &ch, 1);
        if (n == 1) {
            if (ch == 4 && edit_typed == 0) {
                edit_eof = true;
            }
            edit_typed++;
            return ch;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        edit_eof = true;
        return EOF;
    }
}

static void on_edit_line(char *line)
{
    app *a = edit_app;
    edit_typed = 0;
    if (line == NULL) {
        a->stdin_eof = true;
        fputc('\n', stderr);
        stdin_stop(a);
        return;
    }
    if (line[0] != '\0') {
        add_history(line);
    }
    if (!enqueue(a, line, strlen(line), true)) {
        sioc_error(VERB, "out of memory");
    }
    free(line);
}

static void on_stdin_edit(net_loop *l, int fd, void *ud)
{
    (void)l;
    (void)fd;
    app *a = ud;
    rl_callback_read_char();
    if (edit_eof && !a->stdin_eof) {
        on_edit_line(NULL);
    }
}
#endif

static void stdin_start(app *a)
{
    if (a->stdin_watched || a->stdin_eof) {
        return;
    }
#ifdef SIOC_HAVE_LIBEDIT
    if (a->use_edit) {
        if (net_fd_watch(a->loop, STDIN_FILENO, on_stdin_edit, a) == 0) {
            a->stdin_watched = true;
            rl_getc_function = edit_getc;
            rl_callback_handler_install(PROMPT, on_edit_line);
        }
        return;
    }
#endif
    if (net_fd_watch(a->loop, STDIN_FILENO, on_stdin_plain, a) == 0) {
        a->stdin_watched = true;
    } else {
        sioc_error(VERB, "cannot watch stdin");
        a->stdin_eof = true;
    }
}

static void stdin_stop(app *a)
{
    if (!a->stdin_watched) {
        return;
    }
    net_fd_unwatch(a->loop, STDIN_FILENO);
    a->stdin_watched = false;
#ifdef SIOC_HAVE_LIBEDIT
    if (a->use_edit) {
        rl_callback_handler_remove();
    }
#endif
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

/* Everything asked for is settled: no socket still connecting, no ack awaited. */
static bool settled(const app *a)
{
    if (a->n_acks > 0) {
        return false;
    }
    for (size_t i = 0; i < a->n_nsps; i++) {
        if (nsp_state(a, &a->nsps[i]) == SIO_SOCKET_CONNECTING) {
            return false;
        }
    }
    return true;
}

static void tick(app *a)
{
    net_time now = net_now(a->loop);
    if (a->out_failed && !a->quitting) {
        sioc_error(VERB, "cannot write to stdout");
        a->usage_failed = true;
        begin_quit(a);
    }
    int gerr = sioc_client_glue_error(a->g);
    if (gerr != 0 && !a->glue_error_reported) {
        a->glue_error_reported = true;
        sioc_error(VERB, "warning: %s (%s)", eio_strerror(gerr),
                   eio_error_name(gerr) != NULL ? eio_error_name(gerr) : "?");
    }
    if (a->has_exit_after && now >= a->exit_at) {
        begin_quit(a);
    }
    if (a->block == BLOCK_SLEEP && now >= a->block_until) {
        a->block = BLOCK_NONE;
    }
    if (a->block == BLOCK_WAIT) {
        if (consume_match(a)) {
            a->block = BLOCK_NONE;
        } else if (now >= a->block_until) {
            sioc_error(VERB, "wait %s%s%s: nothing arrived within %" PRIu32 " ms", a->wait_kind,
                       a->wait_name != NULL ? ":" : "", a->wait_name != NULL ? a->wait_name : "",
                       a->wait_ms);
            a->block = BLOCK_NONE;
            a->wait_timeout = true;
            begin_quit(a);
        }
    }
    run_script(a);
    if (!a->quitting && (a->stdin_eof || !a->read_stdin) && a->q_head == NULL &&
        a->block == BLOCK_NONE && settled(a)) {
        begin_quit(a);
    }
    if (a->quitting && !a->lingering &&
        (sioc_client_glue_idle(a->g) || now >= a->quit_deadline)) {
        a->lingering = true;
        a->linger_until = now + LINGER_MS;
    }
    if (a->lingering && now >= a->linger_until) {
        a->done = true;
    }
}

static net_time next_wake(const app *a)
{
    net_time t = NET_TIME_NEVER;
    if (a->has_exit_after && !a->quitting && a->exit_at < t) {
        t = a->exit_at;
    }
    if (a->block != BLOCK_NONE && a->block_until < t) {
        t = a->block_until;
    }
    if (a->quitting && !a->lingering && a->quit_deadline < t) {
        t = a->quit_deadline;
    }
    if (a->lingering && a->linger_until < t) {
        t = a->linger_until;
    }
    return t;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

static void print_help(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    sioc connect - a Socket.IO client for the command line\n"
            "\n"
            "SYNOPSIS\n"
            "    sioc connect [OPTIONS] URL\n"
            "\n"
            "DESCRIPTION\n"
            "    Connects to the Socket.IO server at URL (Engine.IO 4 / Socket.IO 5, or\n"
            "    with --eio 3 the socket.io 2 protocols), joins the namespaces asked for,\n"
            "    runs commands (emit, ack, connect, disconnect, wait, ...; see COMMANDS)\n"
            "    and prints everything that happens on stdout, one JSON object per line\n"
            "    (see OUTPUT): a scriptable client for trying out and testing servers.\n"
            "\n"
            "    URL is http://HOST[:PORT][/PATH][?QUERY] (https with TLS; ws and wss are taken\n"
            "    as http and https). PATH is the Engine.IO path, default /socket.io/; QUERY is\n"
            "    added to every request. Commands are read from stdin (a terminal, with line\n"
            "    editing when built with libedit, or a script), or given with --emit/--command.\n"
            "    The connection starts with long polling and upgrades to WebSocket unless\n"
            "    told otherwise, and reconnects after a loss unless --no-reconnect is given,\n"
            "    as socket.io-client does.\n"
            "\n"
            "    At the end of the script (end of stdin, or of --emit/--command without\n"
            "    --stdin) sioc waits until every namespace connected or failed and every ack\n"
            "    arrived or timed out, then closes and exits.\n"
            "\n"
            "OPTIONS\n"
            "    --eio 3|4                 Engine.IO version: 4 = Socket.IO v5 (default);\n"
            "                              3 = Socket.IO v4 (socket.io 2 servers)\n"
            "    --transport polling|websocket\n"
            "                              polling (default): long polling, then upgrade to\n"
            "                              WebSocket; websocket: WebSocket only\n"
            "    --no-upgrade              stay on polling\n"
            "    --parser json|msgpack     Socket.IO parser (default json)\n"
            "    --namespace NSP           namespace to join at start (repeatable; default /)\n"
            "    --auth JSON               auth object sent with each --namespace (v5 only)\n"
            "    --header 'Name: value'    extra HTTP header on every request (repeatable)\n"
            "    --query K=V               extra query parameter, URL-encoded here (repeatable)\n"
            "    --no-reconnect            do not reconnect after the connection is lost\n"
            "    --reconnection-attempts N give up after N attempts (default 0 = unlimited)\n"
            "    --reconnection-delay MS   first delay between attempts (default 1000)\n"
            "    --reconnection-delay-max MS  longest delay (default 5000)\n"
            "    --randomization-factor F  jitter of the delays, 0 to 1 (default 0.5)\n"
            "    --timeout MS              time for the Engine.IO session to open (default 20000)\n"
            "    --ack-timeout MS          emit-ack gives up after MS (default 0 = never)\n"
            "    --max-payload BYTES       largest polling body or WebSocket message accepted\n"
            "                              (default 1000000)\n"
            "    --auto-ack                answer every event that asks for an ack with its own\n"
            "                              arguments\n"
            "    --emit 'EVENT [ARG...]'   run `emit EVENT [ARG...]` (repeatable, in order)\n"
            "    --command 'CMD'           run a command (repeatable, in order with --emit)\n"
            "    --stdin                   read stdin after --emit/--command (default: stdin is\n"
            "                              read only when neither is given)\n"
            "    --exit-after MS           close and exit MS after the start\n"
            "    --insecure                https: accept any certificate\n"
            "    --ca FILE                 https: trust the CA certificates in FILE (PEM)\n"
            "    --verbose                 network library warnings on stderr\n"
            "    -h, --help                this help\n"
            "\n"
            "COMMANDS\n");
    print_commands(f, "    ");
    fprintf(f,
            "\n"
            "OUTPUT\n"
            "    On stdout, one JSON object per line:\n"
            "    {\"event\":\"open\",\"sid\":..,\"transport\":\"polling\",\"eio\":4,...}\n"
            "    {\"event\":\"connect\",\"nsp\":\"/\",\"sid\":\"...\"}\n"
            "    {\"event\":\"message\",\"nsp\":\"/\",\"name\":\"x\",\"args\":[...],\"id\":N}  (id: ack wanted)\n"
            "    {\"event\":\"ack\",\"nsp\":\"/\",\"id\":N,\"name\":\"x\",\"args\":[...]}\n"
            "    {\"event\":\"ack_timeout\",\"nsp\":\"/\",\"id\":N,\"name\":\"x\",\"reason\":\"timeout\"}\n"
            "    {\"event\":\"connect_error\",\"nsp\":\"/\",\"data\":...[,\"reason\":...]}\n"
            "    {\"event\":\"disconnect\",\"nsp\":\"/\",\"reason\":\"io server disconnect\"}\n"
            "    {\"event\":\"upgrade\",\"transport\":\"websocket\"}, upgrade_failed,\n"
            "    {\"event\":\"close\",\"reason\":\"transport close\"}, recovered,\n"
            "    {\"event\":\"reconnect_attempt\",\"attempt\":N}, reconnect, reconnect_failed\n"
            "    Binary values are {\"$binary\":\"<base64>\"}; errors go to stderr.\n"
            "\n"
            "EXIT STATUS\n"
            "    0  success\n"
            "    1  the connection or a namespace failed (refused, reconnection gave up,\n"
            "       or still not connected at exit)\n"
            "    2  bad command line, a bad command in a script, or I/O error\n"
            "    3  a wait command reached its deadline\n"
            "\n"
            "EXAMPLE\n"
            "    printf 'emit-ack echo \"hi\" 1\\n' | sioc connect http://127.0.0.1:3000/\n");
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static void url_encode(sioc_jbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            sioc_jbuf_raw(b, (const char *)&s[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sioc_jbuf_raw(b, e, 3);
        }
    }
}

static void jbuf_nul(sioc_jbuf *b)
{
    sioc_jbuf_raw(b, "", 1);
    b->len--;
}

typedef struct cli {
    const char *url;
    sio_client_options so;
    eio_client_options eo;
    const char **nsps;
    size_t n_nsps;
    const char **cmds;
    size_t n_cmds;
    const char *auth;
    sioc_jbuf headers, query;
    bool auto_ack, stdin_flag, insecure, verbose;
    const char *ca;
    bool has_exit_after;
    uint32_t exit_after;
} cli;

static int parse_ms(const char *name, const char *v, uint32_t *out)
{
    size_t x = 0;
    if (sioc_parse_size(VERB, name, v, 0, UINT32_MAX, &x) != 0) {
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

/* Returns 0, or an exit status. */
static int parse_cli(int argc, char **argv, cli *o, bool *help)
{
    sio_client_options_default(&o->so);
    eio_client_options_default(&o->eo);
    o->nsps = calloc((size_t)argc, sizeof *o->nsps);
    o->cmds = calloc((size_t)argc, sizeof *o->cmds);
    if (o->nsps == NULL || o->cmds == NULL) {
        return sioc_error(VERB, "out of memory");
    }
    /* The options holding a count or a number of milliseconds. */
    const struct {
        const char *name;
        uint32_t *value;
    } numbers[] = {
        {"--reconnection-attempts", &o->so.reconnection_attempts},
        {"--reconnection-delay-max", &o->so.reconnection_delay_max},
        {"--reconnection-delay", &o->so.reconnection_delay},
        {"--timeout", &o->so.open_timeout},
        {"--ack-timeout", &o->so.ack_timeout},
        {"--exit-after", &o->exit_after},
    };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        int which = 0;
        int m = 0;
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            *help = true;
            return 0;
        }
        for (size_t k = 0; k < sizeof numbers / sizeof numbers[0] && m == 0; k++) {
            m = sioc_opt_value(VERB, argc, argv, &i, numbers[k].name, &v);
            if (m > 0 && parse_ms(numbers[k].name, v, numbers[k].value) != 0) {
                m = -1;
            }
            if (m > 0 && numbers[k].value == &o->exit_after) {
                o->has_exit_after = true;
            }
        }
        if (m != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--eio", "3", "4", &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->so.version = which == 0 ? SIO_V4 : SIO_V5;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--transport", "polling", "websocket",
                                 &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->eo.websocket_only = which == 1;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--parser", "json", "msgpack",
                                 &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->so.parser = which == 0 ? SIO_PARSER_JSON : SIO_PARSER_MSGPACK;
            continue;
        }
        if (sioc_opt_flag(arg, "--no-upgrade")) {
            o->eo.upgrade = false;
            continue;
        }
        if (sioc_opt_flag(arg, "--no-reconnect")) {
            o->so.reconnection = false;
            continue;
        }
        if (sioc_opt_flag(arg, "--auto-ack")) {
            o->auto_ack = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--stdin")) {
            o->stdin_flag = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--insecure")) {
            o->insecure = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--verbose")) {
            o->verbose = true;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--namespace", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            if (v[0] != '/') {
                return sioc_usage_error(VERB, "--namespace must start with '/', got '%s'", v);
            }
            o->nsps[o->n_nsps++] = v;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--auth", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->auth = v;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--header", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            if (strchr(v, '\r') != NULL || strchr(v, '\n') != NULL || strchr(v, ':') == NULL) {
                return sioc_usage_error(VERB, "--header must be 'Name: value', got '%s'", v);
            }
            sioc_jbuf_lit(&o->headers, v);
            sioc_jbuf_lit(&o->headers, "\r\n");
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--query", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v) {
                return sioc_usage_error(VERB, "--query must be KEY=VALUE, got '%s'", v);
            }
            if (o->query.len > 0) {
                sioc_jbuf_lit(&o->query, "&");
            }
            url_encode(&o->query, v, (size_t)(eq - v));
            sioc_jbuf_lit(&o->query, "=");
            url_encode(&o->query, eq + 1, strlen(eq + 1));
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--randomization-factor", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            char *end = NULL;
            errno = 0;
            double f = strtod(v, &end);
            if (errno != 0 || end == v || *end != '\0' || !(f >= 0.0 && f <= 1.0)) {
                return sioc_usage_error(VERB, "--randomization-factor must be between 0 and 1, "
                                              "got '%s'", v);
            }
            o->so.randomization_factor = f;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--max-payload", &v)) != 0) {
            size_t x = 0;
            /* room for the handshake's open packet (docs/session.md) */
            if (m < 0 || sioc_parse_size(VERB, "--max-payload", v, 1024, SIZE_MAX / 4, &x)) {
                return SIOC_EXIT_USAGE;
            }
            o->eo.limits.max_payload = x;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--emit", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            size_t n = strlen(v) + 6;
            char *c = malloc(n);
            if (c == NULL) {
                return sioc_error(VERB, "out of memory");
            }
            snprintf(c, n, "emit %s", v);
            o->cmds[o->n_cmds++] = c;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--command", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            char *c = xstrndup(v, strlen(v));
            if (c == NULL) {
                return sioc_error(VERB, "out of memory");
            }
            o->cmds[o->n_cmds++] = c;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--ca", &v)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->ca = v;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            return sioc_usage_error(VERB, "unknown option '%s'", arg);
        }
        if (o->url != NULL) {
            return sioc_usage_error(VERB, "more than one URL: '%s' and '%s'", o->url, arg);
        }
        o->url = arg;
    }
    if (o->url == NULL) {
        return sioc_usage_error(VERB, "missing URL");
    }
    if (o->so.reconnection_delay_max < o->so.reconnection_delay) {
        return sioc_usage_error(VERB, "--reconnection-delay-max is below --reconnection-delay");
    }
    if (o->auth != NULL && o->so.version == SIO_V4) {
        return sioc_usage_error(VERB, "--auth needs Socket.IO v5 (--eio 4); with --eio 3 use "
                                      "a namespace query, e.g. --namespace '/?token=x'");
    }
    return 0;
}

/* Splits the URL into the base (scheme://host:port), the path and the query. */
static int split_url(const char *url, sioc_jbuf *base, sioc_jbuf *path, sioc_jbuf *query)
{
    /* net_url_parse takes ws:// and wss:// too; the base is always http(s). */
    net_url u;
    if (net_url_parse(url, &u) != NET_OK) {
        return sioc_usage_error(VERB, "cannot parse URL '%s' (http://HOST[:PORT][/PATH])", url);
    }
    sioc_jbuf_lit(base, u.tls ? "https://" : "http://");
    bool v6 = strchr(u.host, ':') != NULL;
    if (v6) {
        sioc_jbuf_lit(base, "[");
    }
    sioc_jbuf_lit(base, u.host);
    if (v6) {
        sioc_jbuf_lit(base, "]");
    }
    sioc_jbuf_lit(base, ":");
    sioc_jbuf_uint(base, u.port);
    const char *t = u.target;
    const char *q = strchr(t, '?');
    size_t plen = q != NULL ? (size_t)(q - t) : strlen(t);
    if (plen <= 1) {
        sioc_jbuf_lit(path, "/socket.io/");
    } else {
        sioc_jbuf_raw(path, t, plen);
        if (t[plen - 1] != '/') {
            sioc_jbuf_lit(path, "/"); /* as engine.io-client's addTrailingSlash */
        }
    }
    if (q != NULL && q[1] != '\0') {
        if (query->len > 0) {
            sioc_jbuf_lit(query, "&");
        }
        sioc_jbuf_lit(query, q + 1);
    }
    return 0;
}

static void cli_free(cli *o)
{
    for (size_t i = 0; i < o->n_cmds; i++) {
        free((void *)o->cmds[i]);
    }
    free(o->cmds);
    free(o->nsps);
    sioc_jbuf_free(&o->headers);
    sioc_jbuf_free(&o->query);
}

static void app_free(app *a)
{
    stdin_stop(a);
    sioc_client_glue_free(a->g);
    net_loop_free(a->loop);
    eio_arena_destroy(&a->arena);
    for (size_t i = 0; i < a->n_nsps; i++) {
        free(a->nsps[i].name);
    }
    free(a->nsps);
    for (size_t i = 0; i < a->n_acks; i++) {
        free(a->acks[i].name);
    }
    free(a->acks);
    for (size_t i = 0; i < a->n_recs; i++) {
        free(a->recs[i].kind);
        free(a->recs[i].nsp);
        free(a->recs[i].name);
    }
    free(a->recs);
    while (a->q_head != NULL) {
        line_q *l = a->q_head;
        a->q_head = l->next;
        free(l->text);
        free(l);
    }
    free(a->wait_kind);
    free(a->wait_name);
    free(a->wait_nsp);
    free(a->ibuf);
    sioc_jbuf_free(&a->out);
}

static int run(int argc, char **argv)
{
    cli o;
    memset(&o, 0, sizeof o);
    bool help = false;
    int rc = parse_cli(argc, argv, &o, &help);
    if (rc != 0 || help) {
        if (help) {
            print_help(stdout);
        }
        cli_free(&o);
        return rc;
    }
    sioc_jbuf base = {0}, path = {0};
    rc = split_url(o.url, &base, &path, &o.query);
    jbuf_nul(&base);
    jbuf_nul(&path);
    jbuf_nul(&o.query);
    jbuf_nul(&o.headers);
    if (rc == 0 && (base.nomem || path.nomem || o.query.nomem || o.headers.nomem)) {
        sioc_error(VERB, "out of memory");
        rc = SIOC_EXIT_USAGE;
    }
    app a;
    memset(&a, 0, sizeof a);
    eio_arena_init(&a.arena, NULL, 65536, ARENA_LIMIT);
    eio_arena auth_arena;
    eio_arena_init(&auth_arena, NULL, 4096, MAX_LINE * 8);
    eio_json *auth = NULL;
    if (rc == 0 && o.auth != NULL) {
        eio_errinfo err;
        if (eio_json_parse((const uint8_t *)o.auth, strlen(o.auth), NULL, &auth_arena, &auth,
                           &err) != 0) {
            rc = sioc_usage_error(VERB, "--auth is not JSON: %s at byte %zu", err.msg,
                                  err.offset);
        } else if (auth->type != EIO_JSON_OBJECT) {
            rc = sioc_usage_error(VERB, "--auth must be a JSON object");
        }
    }
    if (rc == 0) {
        net_loop_options lo = {.ca_file = o.ca, .insecure = o.insecure,
                               .log_level = o.verbose ? 1 : 0};
        if (net_loop_new(&a.loop, &lo) != NET_OK) {
            sioc_error(VERB, "cannot set up the network layer%s",
                       o.ca != NULL ? " (check --ca)" : "");
            rc = SIOC_EXIT_USAGE;
        }
    }
    if (rc == 0) {
        sioc_client_glue_options go;
        memset(&go, 0, sizeof go);
        go.base_url = base.ptr;
        go.sio = o.so;
        go.eio = o.eo;
        go.eio.path = path.ptr;
        go.eio.query = o.query.len > 0 ? o.query.ptr : NULL;
        go.eio.extra_headers = o.headers.len > 0 ? o.headers.ptr : NULL;
        go.on_event = on_sio_event;
        go.on_eio_event = on_eio_event;
        go.ud = &a;
        int grc = sioc_client_glue_new(&a.g, a.loop, &go);
        if (grc == EIO_ERR_UNSUPPORTED) {
            rc = sioc_usage_error(VERB, "this build of sioc has no msgpack parser");
        } else if (grc == EIO_ERR_INVALID_ARGUMENT) {
            rc = sioc_usage_error(VERB, "the options were refused (a --header that is not "
                                        "'Name: value', or an invalid --query)");
        } else if (grc != 0) {
            sioc_error(VERB, "%s", eio_strerror(grc));
            rc = SIOC_EXIT_USAGE;
        }
    }
    sioc_jbuf_free(&base);
    sioc_jbuf_free(&path);
    if (rc != 0) {
        app_free(&a);
        eio_arena_destroy(&auth_arena);
        cli_free(&o);
        return rc;
    }
    a.s = sioc_client_glue_sio(a.g);
    a.url = o.url;
    a.version = o.so.version;
    a.auto_ack = o.auto_ack;
    a.has_exit_after = o.has_exit_after;
    a.exit_at = net_now(a.loop) + o.exit_after;
    a.read_stdin = o.n_cmds == 0 || o.stdin_flag;
    a.default_nsp = o.n_nsps > 0 ? o.nsps[0] : "/";
    a.tty = a.read_stdin && isatty(STDIN_FILENO);
#ifdef SIOC_HAVE_LIBEDIT
    a.use_edit = a.tty;
    edit_app = &a;
    if (a.use_edit) {
        rl_outstream = stderr;
    }
#endif
    signal(SIGPIPE, SIG_IGN);

    if (o.n_nsps == 0) {
        o.nsps[o.n_nsps++] = "/";
    }
    for (size_t i = 0; i < o.n_nsps && rc == 0; i++) {
        if (nsp_by_name(&a, o.nsps[i]) != NULL) {
            continue;
        }
        if (do_connect(&a, o.nsps[i], auth) != 0) {
            rc = SIOC_EXIT_USAGE;
        }
    }
    eio_arena_destroy(&auth_arena);
    for (size_t i = 0; i < o.n_cmds && rc == 0; i++) {
        if (!enqueue(&a, o.cmds[i], strlen(o.cmds[i]), false)) {
            sioc_error(VERB, "out of memory");
            rc = SIOC_EXIT_USAGE;
        }
    }
    if (rc != 0) {
        app_free(&a);
        cli_free(&o);
        return rc;
    }
    if (a.read_stdin) {
        stdin_start(&a);
    }
    tick(&a);
    while (!a.done) {
        if (net_run_once(a.loop, next_wake(&a)) != NET_OK) {
            sioc_error(VERB, "the network layer failed");
            a.usage_failed = true;
            break;
        }
        tick(&a);
    }
    if (a.out_failed) {
        a.usage_failed = true;
    }
    /* A connection that failed explains the commands that could not run
       after it, so it comes first. */
    rc = a.failed         ? EXIT_CONNECT_FAILED
         : a.usage_failed ? SIOC_EXIT_USAGE
         : a.wait_timeout ? EXIT_WAIT_TIMEOUT
                          : SIOC_EXIT_OK;
    app_free(&a);
    cli_free(&o);
    return rc;
}

const sioc_verb sioc_verb_connect = {"connect", "connect to a Socket.IO server as a client", run};
