/*
 * conform_run.c - plays scenario cases through net.h and grades them.
 *
 * The script is sequential: each step either acts at once (send, respond)
 * or waits, running the network loop until its condition holds or its
 * deadline passes. Network callbacks only record events into the
 * connection they belong to, so nothing is lost between steps. Callbacks
 * find their connection by a serial number, never by pointer, so a late
 * callback for a finished case is ignored.
 */
#define _POSIX_C_SOURCE 200809L
#include "conform_run.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "sioc_cli.h"
#include "sioc/eio.h"
#include "sioc/json.h"

#define CR_MAX_LOG_BYTES (8u * 1024 * 1024)
#define CR_MAX_CAPS 32
#define CR_MAX_INCOMING 256
#define CR_MAX_EVENTS 4096

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

typedef struct dbuf {
    char *p;
    size_t n, cap;
    bool oom;
} dbuf;

static void db_add(dbuf *b, const void *d, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->n + n + 1) {
            nc *= 2;
        }
        char *np = realloc(b->p, nc);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    if (n > 0) {
        memcpy(b->p + b->n, d, n);
    }
    b->n += n;
    b->p[b->n] = '\0';
}

static void db_str(dbuf *b, const char *s)
{
    db_add(b, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void db_fmt(dbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) {
        db_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    }
}

static void db_free(dbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Takes the buffer's string (never NULL: "" when empty). */
static char *db_take(dbuf *b)
{
    char *s = b->p;
    if (s == NULL || b->oom) {
        free(s);
        s = strdup("");
    }
    memset(b, 0, sizeof *b);
    return s;
}

static char *xstrdup(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

static uint8_t *xmemdup(const void *d, size_t n)
{
    uint8_t *p = malloc(n + 1);
    if (p != NULL) {
        if (n > 0) {
            memcpy(p, d, n);
        }
        p[n] = 0;
    }
    return p;
}

/* A readable rendering of bytes: text quoted with escapes, binary as hex;
 * at most `max` bytes shown. */
static void db_bytes(dbuf *b, const uint8_t *d, size_t n, bool binary, size_t max)
{
    size_t shown = n < max ? n : max;
    if (binary) {
        db_fmt(b, "binary (%zu bytes)", n);
        for (size_t i = 0; i < shown; i++) {
            db_fmt(b, " %02x", d[i]);
        }
    } else {
        db_str(b, "\"");
        for (size_t i = 0; i < shown; i++) {
            uint8_t c = d[i];
            if (c == '"' || c == '\\') {
                db_fmt(b, "\\%c", c);
            } else if (c < 0x20 || c == 0x7f) {
                db_fmt(b, "\\x%02x", c);
            } else {
                db_add(b, &c, 1);
            }
        }
        db_str(b, "\"");
    }
    if (shown < n) {
        db_fmt(b, "... (%zu bytes)", n);
    }
}

/* ------------------------------------------------------------------------ */
/* Runtime state                                                             */
/* ------------------------------------------------------------------------ */

enum { EV_MESSAGE, EV_CLOSE };

typedef struct rev {
    int type;
    uint8_t *data;
    size_t len;
    bool binary;
    int code;
} rev;

/* A packet in matchable form: text packets in packet notation. */
typedef struct rpkt {
    bool binary;
    uint8_t *d;
    size_t n;
} rpkt;

typedef struct rconn {
    uint64_t serial;
    int idx;              /* case connection index, -1 while unclaimed */
    const char *name;
    cs_conn_kind kind;
    uint64_t handle;
    bool active;
    /* WebSocket events */
    rev *ev;
    size_t n_ev, cap_ev, cur;
    bool open, refused, closed;
    cs_ping_mode pings;
    uint64_t ping_timer;
    int64_t ping_every;
    /* HTTP response (out) */
    bool done;
    int status;
    char *error;
    char *ctype;
    char *headers;
    uint8_t *body;
    size_t body_len;
    /* incoming request */
    char *method, *path, *query;
    int64_t clen;
    bool body_done, gone, answered, claimed;
    net_time arrived;
    /* decoded body packets */
    bool pk_done;
    rpkt *pk;
    size_t n_pk, pk_cur;
    char *pk_err;
} rconn;

typedef struct rvar {
    char *name;
    char *val;
    size_t len;
    bool is_str;
} rvar;

typedef struct rcap {
    char name[70];
    char *val;
    size_t len;
    bool is_str;
} rcap;

typedef struct caps {
    rcap v[CR_MAX_CAPS];
    size_t n;
} caps;

struct cr_runner {
    cr_options o;
    net_loop *loop;
    net_server *server;
    char origin[400];     /* scheme://host:port */
    char path[2048];      /* server mode: path of the URL */
    char query[2048];     /* server mode: query of the URL (unused in targets) */
    bool tls;
    bool eio_only;        /* server mode: the URL is an Engine.IO endpoint */
    unsigned features;
    uint64_t next_serial;
    /* the case being run */
    const cs_case *c;
    cr_result *res;
    net_time t0;
    rconn *conns[CS_MAX_CONNS];   /* by case index */
    rconn **all;                  /* every connection of the case */
    size_t n_all, cap_all;
    rvar vars[CS_MAX_VARS + 16];
    size_t n_vars;
    int refuse_ws;
    size_t arrivals;
    /* failure details of the current step */
    char *why;
    bool nonstrict;
    char *nonstrict_why;
    /* client under test */
    pid_t child;
    int child_fd;
    dbuf child_out;
};

const char *cr_verdict_name(cr_verdict v)
{
    static const char *const n[] = {"pass", "non-strict", "fail", "skipped", "unsupported",
                                    "informational"};
    return n[v];
}

static eio_version ver(const cr_runner *r)
{
    return r->o.eio == 3 ? EIO_V3 : EIO_V4;
}

static int64_t since(const cr_runner *r)
{
    return (int64_t)(net_now(r->loop) - r->t0);
}

/* ------------------------------------------------------------------------ */
/* Log                                                                       */
/* ------------------------------------------------------------------------ */

void cr_log_add(cr_result *res, int64_t t, const char *conn, char dir, const char *what,
                const uint8_t *data, size_t len, bool binary)
{
    if (res->n_log == res->cap_log) {
        size_t nc = res->cap_log ? res->cap_log * 2 : 32;
        cr_log *nl = realloc(res->log, nc * sizeof *nl);
        if (nl == NULL) {
            return;
        }
        res->log = nl;
        res->cap_log = nc;
    }
    cr_log *e = &res->log[res->n_log];
    memset(e, 0, sizeof *e);
    e->t = t;
    e->conn = conn != NULL ? conn : "";
    e->dir = dir;
    e->binary = binary;
    if (data != NULL && res->log_bytes + len > CR_MAX_LOG_BYTES) {
        char tmp[300];
        snprintf(tmp, sizeof tmp, "%s (%zu bytes, not kept: log limit reached)", what, len);
        e->what = strdup(tmp);
    } else {
        e->what = strdup(what);
        if (data != NULL) {
            e->data = xmemdup(data, len);
            e->len = len;
            res->log_bytes += len;
        }
    }
    if (e->what == NULL) {
        free(e->data);
        return;
    }
    res->n_log++;
}

static void rlog(cr_runner *r, const rconn *c, char dir, const char *what, const uint8_t *data,
                 size_t len, bool binary)
{
    if (r->res == NULL) {
        return;
    }
    int64_t t = since(r);
    cr_log_add(r->res, t, c != NULL ? c->name : "", dir, what, data, len, binary);
    if (r->o.verbose) {
        dbuf b = {0};
        if (data != NULL) {
            db_bytes(&b, data, len, binary, 300);
        }
        /* A binary payload describes itself ("binary (N bytes) ..."). */
        bool self = data != NULL && binary && strcmp(what, "binary") == 0;
        fprintf(stderr, "  %6lld ms %c %-6s %s%s%s\n", (long long)t, dir,
                c != NULL && c->name != NULL ? c->name : "", self ? "" : what,
                self || b.p == NULL ? "" : " ", b.p != NULL ? b.p : "");
        db_free(&b);
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void note(cr_runner *r, const rconn *c, const char *fmt, ...)
{
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    rlog(r, c, '*', tmp, NULL, 0, false);
}

/* ------------------------------------------------------------------------ */
/* Failure reasons                                                           */
/* ------------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(cr_runner *r, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    free(r->why);
    r->why = strdup(tmp);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Variables                                                                 */
/* ------------------------------------------------------------------------ */

static rvar *var_get(cr_runner *r, const char *name, size_t n)
{
    for (size_t i = 0; i < r->n_vars; i++) {
        if (strlen(r->vars[i].name) == n && memcmp(r->vars[i].name, name, n) == 0) {
            return &r->vars[i];
        }
    }
    return NULL;
}

static int var_set(cr_runner *r, const char *name, const char *val, size_t len, bool is_str)
{
    rvar *v = var_get(r, name, strlen(name));
    if (v == NULL) {
        if (r->n_vars == sizeof r->vars / sizeof r->vars[0]) {
            return fail(r, "too many variables (at most %d)", CS_MAX_VARS);
        }
        v = &r->vars[r->n_vars];
        v->name = strdup(name);
        if (v->name == NULL) {
            return fail(r, "out of memory");
        }
        r->n_vars++;
    } else {
        free(v->val);
    }
    v->val = (char *)xmemdup(val, len);
    v->len = len;
    v->is_str = is_str;
    return v->val == NULL ? fail(r, "out of memory") : 0;
}

static void vars_clear(cr_runner *r)
{
    for (size_t i = 0; i < r->n_vars; i++) {
        free(r->vars[i].name);
        free(r->vars[i].val);
    }
    r->n_vars = 0;
}

typedef struct var_snap {
    rvar v[CS_MAX_VARS + 16];
    size_t n;
} var_snap;

static void vars_save(cr_runner *r, var_snap *s)
{
    s->n = r->n_vars;
    for (size_t i = 0; i < r->n_vars; i++) {
        s->v[i].name = xstrdup(r->vars[i].name);
        s->v[i].val = (char *)xmemdup(r->vars[i].val, r->vars[i].len);
        s->v[i].len = r->vars[i].len;
        s->v[i].is_str = r->vars[i].is_str;
    }
}

static void vars_restore(cr_runner *r, var_snap *s)
{
    vars_clear(r);
    memcpy(r->vars, s->v, s->n * sizeof s->v[0]);
    r->n_vars = s->n;
    s->n = 0;
}

static void snap_free(var_snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].val);
    }
    s->n = 0;
}

static int64_t var_int(cr_runner *r, const char *name)
{
    rvar *v = var_get(r, name, strlen(name));
    if (v == NULL || v->len == 0 || v->len > 12) {
        return -1;
    }
    int64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (v->val[i] < '0' || v->val[i] > '9') {
            return -1;
        }
        x = x * 10 + (v->val[i] - '0');
    }
    return x;
}

static int eval_time(cr_runner *r, const char *expr, int64_t dflt, int64_t *out)
{
    if (expr == NULL) {
        *out = dflt;
        return 0;
    }
    cs_time_env env;
    env.scale = r->o.time_scale;
    env.slack = (int64_t)((double)r->o.slack_ms * r->o.time_scale);
    env.timeout = r->o.timeout_ms;
    env.ping_interval = var_int(r, "pingInterval");
    env.ping_timeout = var_int(r, "pingTimeout");
    char e[400];
    if (cs_time_eval(expr, &env, out, e, sizeof e) != 0) {
        return fail(r, "%s", e);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Templates                                                                 */
/* ------------------------------------------------------------------------ */

static size_t ref_len(const char *s)
{
    if (s[0] == '{') {
        size_t n = 1;
        while (s[n] != '}' && s[n] != '\0') {
            n++;
        }
        return s[n] == '}' ? n + 1 : 0;
    }
    if (s[0] >= '1' && s[0] <= '9') {
        return 1;
    }
    size_t n = 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_' ||
           (n > 0 && s[n] >= '0' && s[n] <= '9')) {
        n++;
    }
    return n;
}

/* Name inside a reference of length n at s (strips braces). */
static void ref_name(const char *s, size_t n, const char **name, size_t *nl)
{
    if (s[0] == '{') {
        *name = s + 1;
        *nl = n - 2;
    } else {
        *name = s;
        *nl = n;
    }
}

static void put_utf8(dbuf *b, uint32_t cp)
{
    uint8_t o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (uint8_t)(0xf0 | cp >> 18);
        o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    db_add(b, o, n);
}

/* Expands a template of what is sent ($var inserted; esc: escapes). */
static int expand(cr_runner *r, const char *t, bool esc, dbuf *out)
{
    for (const char *c = t; *c != '\0'; c++) {
        if (*c == '$') {
            if (c[1] == '$') {
                db_add(out, "$", 1);
                c++;
                continue;
            }
            size_t n = ref_len(c + 1);
            const char *name;
            size_t nl;
            ref_name(c + 1, n, &name, &nl);
            rvar *v = var_get(r, name, nl);
            if (v == NULL) {
                return fail(r, "variable $%.*s is not set", (int)nl, name);
            }
            db_add(out, v->val, v->len);
            c += n;
        } else if (esc && *c == '\\') {
            char e = c[1];
            if (e == 'x') {
                uint8_t byte = (uint8_t)(sioc_hex_digit(c[2]) << 4 | sioc_hex_digit(c[3]));
                db_add(out, &byte, 1);
                c += 3;
            } else if (e == 'u') {
                uint32_t cp = 0;
                for (int i = 2; i < 6; i++) {
                    cp = cp << 4 | (uint32_t)sioc_hex_digit(c[i]);
                }
                c += 5;
                if (cp >= 0xd800 && cp < 0xdc00 && c[1] == '\\' && c[2] == 'u') {
                    uint32_t lo = 0;
                    bool ok = true;
                    for (int i = 3; i < 7; i++) {
                        if (sioc_hex_digit(c[i]) < 0) {
                            ok = false;
                            break;
                        }
                        lo = lo << 4 | (uint32_t)sioc_hex_digit(c[i]);
                    }
                    if (ok && lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        c += 6;
                    }
                }
                put_utf8(out, cp);
            } else {
                static const char from[] = "\"\\/bfnrt";
                static const char to[] = "\"\\/\b\f\n\r\t";
                const char *k = strchr(from, e);
                char ch = k != NULL ? to[k - from] : e;
                db_add(out, &ch, 1);
                c++;
            }
        } else {
            db_add(out, c, 1);
        }
    }
    return out->oom ? fail(r, "out of memory") : 0;
}

static int expand_str(cr_runner *r, const char *t, char **out)
{
    dbuf b = {0};
    if (expand(r, t, false, &b) != 0) {
        db_free(&b);
        return -1;
    }
    *out = db_take(&b);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
/* ------------------------------------------------------------------------ */

static int cap_add(caps *k, const char *name, size_t nl, const void *val, size_t len,
                   bool is_str)
{
    if (k->n == CR_MAX_CAPS || nl >= sizeof k->v[0].name) {
        return -1;
    }
    rcap *c = &k->v[k->n];
    memcpy(c->name, name, nl);
    c->name[nl] = '\0';
    c->val = (char *)xmemdup(val, len);
    if (c->val == NULL) {
        return -1;
    }
    c->len = len;
    c->is_str = is_str;
    k->n++;
    return 0;
}

static void caps_free(caps *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->v[i].val);
    }
    k->n = 0;
}

static int caps_commit(cr_runner *r, caps *k)
{
    int rc = 0;
    for (size_t i = 0; i < k->n && rc == 0; i++) {
        rc = var_set(r, k->v[i].name, k->v[i].val, k->v[i].len, k->v[i].is_str);
    }
    caps_free(k);
    return rc;
}

/* Template segments of a matcher template. */
enum { SEG_LIT, SEG_CAP };

typedef struct seg {
    int kind;
    char *lit; /* SEG_LIT: bytes (refs resolved) */
    size_t len;
    const char *name; /* SEG_CAP */
    size_t nl;
} seg;

#define MAX_SEGS 64

static void segs_free(seg *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].lit);
    }
}

static int tmpl_segs(cr_runner *r, const char *t, seg *s, size_t *ns, dbuf *why)
{
    size_t n = 0;
    dbuf lit = {0};
    for (const char *c = t;; c++) {
        bool cap = false;
        if (*c == '\0') {
            break;
        }
        if ((*c == '$' && c[1] == '$') || (*c == '@' && c[1] == '@')) {
            db_add(&lit, c, 1);
            c++;
            continue;
        }
        if (*c == '@') {
            size_t k = ref_len(c + 1);
            const char *name;
            size_t nl;
            ref_name(c + 1, k, &name, &nl);
            rvar *v = var_get(r, name, nl);
            if (v == NULL) {
                db_fmt(why, "variable @%.*s is not set", (int)nl, name);
                db_free(&lit);
                segs_free(s, n);
                return -1;
            }
            db_add(&lit, v->val, v->len);
            c += k;
            continue;
        }
        if (*c == '$') {
            cap = true;
        }
        if (!cap) {
            db_add(&lit, c, 1);
            continue;
        }
        if (n + 2 > MAX_SEGS) {
            db_str(why, "template too complex");
            db_free(&lit);
            segs_free(s, n);
            return -1;
        }
        if (lit.n > 0) {
            s[n].kind = SEG_LIT;
            s[n].len = lit.n;
            s[n].lit = db_take(&lit);
            n++;
        }
        size_t k = ref_len(c + 1);
        s[n].kind = SEG_CAP;
        s[n].lit = NULL;
        ref_name(c + 1, k, &s[n].name, &s[n].nl);
        n++;
        c += k;
    }
    if (lit.n > 0) {
        if (n == MAX_SEGS) {
            db_str(why, "template too complex");
            db_free(&lit);
            segs_free(s, n);
            return -1;
        }
        s[n].kind = SEG_LIT;
        s[n].len = lit.n;
        s[n].lit = db_take(&lit);
        n++;
    }
    db_free(&lit);
    *ns = n;
    return 0;
}

static const uint8_t *find_bytes(const uint8_t *h, size_t hn, const void *nd, size_t nn)
{
    if (nn == 0) {
        return h;
    }
    for (size_t i = 0; i + nn <= hn; i++) {
        if (memcmp(h + i, nd, nn) == 0) {
            return h + i;
        }
    }
    return NULL;
}

enum { TM_FULL, TM_PREFIX, TM_JSON };

/* Matches a template against d[0..n). On success *end is where the matched
 * text ends (TM_JSON: where the JSON starts). */
static bool tmpl_match(cr_runner *r, const char *t, const uint8_t *d, size_t n, int mode,
                       caps *k, dbuf *why, size_t *end)
{
    seg s[MAX_SEGS];
    size_t ns;
    if (tmpl_segs(r, t, s, &ns, why) != 0) {
        return false;
    }
    size_t pos = 0;
    bool ok = true;
    for (size_t i = 0; i < ns && ok; i++) {
        if (s[i].kind == SEG_LIT) {
            if (pos + s[i].len > n || memcmp(d + pos, s[i].lit, s[i].len) != 0) {
                db_fmt(why, "expected \"%.*s\" at offset %zu", (int)(s[i].len > 80 ? 80 : s[i].len),
                       s[i].lit, pos);
                ok = false;
            } else {
                pos += s[i].len;
            }
            continue;
        }
        size_t stop;
        if (i + 1 < ns && s[i + 1].kind == SEG_LIT) {
            const uint8_t *f = find_bytes(d + pos, n - pos, s[i + 1].lit, s[i + 1].len);
            if (f == NULL) {
                db_fmt(why, "no \"%.*s\" after offset %zu for $%.*s",
                       (int)(s[i + 1].len > 80 ? 80 : s[i + 1].len), s[i + 1].lit, pos,
                       (int)s[i].nl, s[i].name);
                ok = false;
                continue;
            }
            stop = (size_t)(f - d);
        } else if (i + 1 < ns) {
            stop = pos; /* two captures in a row: the first is empty */
        } else if (mode == TM_JSON) {
            stop = pos;
            while (stop < n && d[stop] != '[' && d[stop] != '{') {
                stop++;
            }
        } else {
            stop = n;
        }
        if (cap_add(k, s[i].name, s[i].nl, d + pos, stop - pos, true) != 0) {
            db_str(why, "too many captures");
            ok = false;
        }
        pos = stop;
    }
    segs_free(s, ns);
    if (ok && mode == TM_FULL && pos != n) {
        db_fmt(why, "%zu unexpected bytes after offset %zu", n - pos, pos);
        ok = false;
    }
    *end = pos;
    return ok;
}

static bool type_ok(cs_pat_type t, const eio_json *v)
{
    switch (t) {
    case CS_PT_ANY:
        return true;
    case CS_PT_STRING:
        return v->type == EIO_JSON_STRING;
    case CS_PT_NUMBER:
        return v->type == EIO_JSON_INT || v->type == EIO_JSON_DOUBLE;
    case CS_PT_INT:
        return v->type == EIO_JSON_INT ||
               (v->type == EIO_JSON_DOUBLE && v->u.d == (double)(int64_t)v->u.d);
    case CS_PT_BOOL:
        return v->type == EIO_JSON_BOOL;
    case CS_PT_NULL:
        return v->type == EIO_JSON_NULL;
    case CS_PT_OBJECT:
        return v->type == EIO_JSON_OBJECT;
    case CS_PT_ARRAY:
        return v->type == EIO_JSON_ARRAY;
    }
    return false;
}

static const char *ptype_name(cs_pat_type t)
{
    static const char *const n[] = {"any",  "string", "number", "int",
                                    "bool", "null",   "object", "array"};
    return n[t];
}

static void db_json(dbuf *b, const eio_json *v)
{
    size_t n = eio_json_write(v, NULL, 0);
    char *t = malloc(n + 1);
    if (t == NULL) {
        return;
    }
    eio_json_write(v, t, n);
    db_add(b, t, n > 120 ? 120 : n);
    if (n > 120) {
        db_str(b, "...");
    }
    free(t);
}

static bool pat_match(cr_runner *r, const cs_pat *p, const eio_json *v, caps *k, dbuf *why,
                      const char *path)
{
    switch (p->kind) {
    case CS_PAT_ANY:
        if (!type_ok(p->type, v)) {
            db_fmt(why, "at %s: expected a %s, got ", path, ptype_name(p->type));
            db_json(why, v);
            return false;
        }
        return true;
    case CS_PAT_CAPTURE: {
        if (!type_ok(p->type, v)) {
            db_fmt(why, "at %s: expected a %s for $%s, got ", path, ptype_name(p->type), p->name);
            db_json(why, v);
            return false;
        }
        if (v->type == EIO_JSON_STRING) {
            if (cap_add(k, p->name, strlen(p->name), v->u.str.ptr, v->u.str.len, true) != 0) {
                db_str(why, "too many captures");
                return false;
            }
            return true;
        }
        size_t n = eio_json_write(v, NULL, 0);
        char *t = malloc(n + 1);
        if (t == NULL) {
            db_str(why, "out of memory");
            return false;
        }
        eio_json_write(v, t, n);
        int rc = cap_add(k, p->name, strlen(p->name), t, n, false);
        free(t);
        if (rc != 0) {
            db_str(why, "too many captures");
            return false;
        }
        return true;
    }
    case CS_PAT_REF: {
        rvar *var = var_get(r, p->name, strlen(p->name));
        if (var == NULL) {
            db_fmt(why, "at %s: variable @%s is not set", path, p->name);
            return false;
        }
        if (var->is_str) {
            if (v->type != EIO_JSON_STRING || v->u.str.len != var->len ||
                memcmp(v->u.str.ptr, var->val, var->len) != 0) {
                db_fmt(why, "at %s: expected \"%.*s\" (@%s), got ", path,
                       (int)(var->len > 100 ? 100 : var->len), var->val, p->name);
                db_json(why, v);
                return false;
            }
            return true;
        }
        eio_arena a;
        eio_arena_init(&a, NULL, 0, 0);
        eio_json *want = NULL;
        bool eq = eio_json_parse((const uint8_t *)var->val, var->len, NULL, &a, &want, NULL) ==
                      0 &&
                  eio_json_equal(want, v);
        eio_arena_destroy(&a);
        if (!eq) {
            db_fmt(why, "at %s: expected %.*s (@%s), got ", path,
                   (int)(var->len > 100 ? 100 : var->len), var->val, p->name);
            db_json(why, v);
        }
        return eq;
    }
    case CS_PAT_LITERAL:
        if (!eio_json_equal(p->lit, v)) {
            db_fmt(why, "at %s: expected ", path);
            db_json(why, p->lit);
            db_str(why, ", got ");
            db_json(why, v);
            return false;
        }
        return true;
    case CS_PAT_OBJECT: {
        if (v->type != EIO_JSON_OBJECT) {
            db_fmt(why, "at %s: expected an object, got ", path);
            db_json(why, v);
            return false;
        }
        for (size_t i = 0; i < p->n; i++) {
            const eio_json *m = eio_json_get(v, p->keys[i], p->key_lens[i]);
            char sub[300];
            snprintf(sub, sizeof sub, "%s.%.*s", path, (int)(p->key_lens[i] > 60 ? 60 : p->key_lens[i]),
                     p->keys[i]);
            if (m == NULL) {
                db_fmt(why, "at %s: missing member", sub);
                return false;
            }
            if (!pat_match(r, p->items[i], m, k, why, sub)) {
                return false;
            }
        }
        if (!p->open) {
            for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
                bool known = false;
                for (size_t i = 0; i < p->n && !known; i++) {
                    known = p->key_lens[i] == m->key_len &&
                            memcmp(p->keys[i], m->key, m->key_len) == 0;
                }
                if (!known) {
                    db_fmt(why, "at %s: unexpected member \"%.*s\" (add '...' to allow others)",
                           path, (int)(m->key_len > 60 ? 60 : m->key_len), m->key);
                    return false;
                }
            }
        }
        return true;
    }
    case CS_PAT_ARRAY: {
        if (v->type != EIO_JSON_ARRAY) {
            db_fmt(why, "at %s: expected an array, got ", path);
            db_json(why, v);
            return false;
        }
        if (v->u.c.count < p->n || (!p->open && v->u.c.count != p->n)) {
            db_fmt(why, "at %s: expected %s%zu elements, got %zu: ", path, p->open ? "at least " : "",
                   p->n, v->u.c.count);
            db_json(why, v);
            return false;
        }
        const eio_json *e = v->u.c.first;
        for (size_t i = 0; i < p->n; i++, e = e->next) {
            char sub[300];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!pat_match(r, p->items[i], e, k, why, sub)) {
                return false;
            }
        }
        return true;
    }
    }
    return false;
}

static void regex_escape(dbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr("\\^$.[]|()*+?{}", s[i]) != NULL) {
            db_add(b, "\\", 1);
        }
        db_add(b, s + i, 1);
    }
}

static bool regex_match(cr_runner *r, const char *t, const uint8_t *d, size_t n, caps *k,
                        dbuf *why)
{
    dbuf re = {0};
    for (const char *c = t; *c != '\0'; c++) {
        if (*c == '@' && c[1] == '@') {
            db_add(&re, "@", 1);
            c++;
        } else if (*c == '@') {
            size_t kl = ref_len(c + 1);
            const char *name;
            size_t nl;
            ref_name(c + 1, kl, &name, &nl);
            rvar *v = var_get(r, name, nl);
            if (v == NULL) {
                db_fmt(why, "variable @%.*s is not set", (int)nl, name);
                db_free(&re);
                return false;
            }
            regex_escape(&re, v->val, v->len);
            c += kl;
        } else {
            db_add(&re, c, 1);
        }
    }
    regex_t rx;
    if (re.p == NULL || regcomp(&rx, re.p, REG_EXTENDED) != 0) {
        db_str(why, "the regular expression does not compile after inserting variables");
        db_free(&re);
        return false;
    }
    db_free(&re);
    char *s = (char *)xmemdup(d, n); /* NUL-terminated; a NUL inside ends the text */
    regmatch_t m[10];
    bool ok = s != NULL && regexec(&rx, s, 10, m, 0) == 0;
    if (ok) {
        for (int g = 1; g < 10; g++) {
            char name[2] = {(char)('0' + g), 0};
            if (m[g].rm_so >= 0) {
                cap_add(k, name, 1, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so), true);
            }
        }
    } else {
        db_str(why, "no match for the regular expression");
    }
    free(s);
    regfree(&rx);
    return ok;
}

/* Matches `m` against one message/body/packet/value. */
static bool match(cr_runner *r, const cs_matcher *m, const uint8_t *d, size_t n, bool binary,
                  caps *k, dbuf *why)
{
    size_t end;
    switch (m->kind) {
    case CS_M_ANY:
        return true;
    case CS_M_ABSENT:
        db_str(why, "present");
        return false;
    case CS_M_BINARY:
        if (!binary) {
            db_str(why, "not binary");
        }
        return binary;
    case CS_M_BYTES:
        if (n != m->len || memcmp(d, m->bytes, n) != 0) {
            db_str(why, "different bytes");
            return false;
        }
        return true;
    default:
        break;
    }
    if (binary) {
        db_str(why, "binary where text was expected");
        return false;
    }
    switch (m->kind) {
    case CS_M_TEXT:
        return tmpl_match(r, m->tmpl, d, n, TM_FULL, k, why, &end);
    case CS_M_PREFIX:
        return tmpl_match(r, m->tmpl, d, n, TM_PREFIX, k, why, &end);
    case CS_M_REGEX:
        return regex_match(r, m->tmpl, d, n, k, why);
    case CS_M_JSON: {
        if (!tmpl_match(r, m->tmpl, d, n, TM_JSON, k, why, &end)) {
            return false;
        }
        eio_arena a;
        eio_arena_init(&a, NULL, 0, 0);
        eio_json *v = NULL;
        eio_errinfo ei;
        bool ok;
        if (eio_json_parse(d + end, n - end, NULL, &a, &v, &ei) != 0) {
            db_fmt(why, "not JSON after offset %zu: %s at offset %zu", end, ei.msg,
                   end + ei.offset);
            ok = false;
        } else {
            ok = pat_match(r, m->pat, v, k, why, "$");
        }
        eio_arena_destroy(&a);
        return ok;
    }
    default:
        return false;
    }
}

/* ------------------------------------------------------------------------ */
/* Packets                                                                   */
/* ------------------------------------------------------------------------ */

/* Converts a decoded packet into packet notation / binary data. */
static int pkt_view(const eio_packet *p, rpkt *out)
{
    memset(out, 0, sizeof *out);
    if (p->kind == EIO_DATA_BINARY || p->kind == EIO_DATA_BASE64) {
        out->binary = true;
        if (p->kind == EIO_DATA_BINARY) {
            out->d = xmemdup(p->data, p->len);
            out->n = p->len;
        } else {
            size_t cap = eio_base64_decoded_max(p->len) + 1;
            out->d = malloc(cap);
            if (out->d == NULL ||
                eio_base64_decode(p->data, p->len, out->d, cap, &out->n, NULL) != 0) {
                free(out->d);
                out->d = NULL;
                return -1;
            }
        }
        return out->d == NULL ? -1 : 0;
    }
    out->n = 1 + (p->kind == EIO_DATA_TEXT ? p->len : 0);
    out->d = malloc(out->n + 1);
    if (out->d == NULL) {
        return -1;
    }
    out->d[0] = (uint8_t)('0' + p->type);
    if (p->kind == EIO_DATA_TEXT && p->len > 0) {
        memcpy(out->d + 1, p->data, p->len);
    }
    out->d[out->n] = 0;
    return 0;
}

/* Parses a word of packet notation (already expanded) into a packet;
 * binary data goes to *owned. */
static int pkt_from_word(const char *w, size_t n, eio_packet *p, uint8_t **owned)
{
    *owned = NULL;
    memset(p, 0, sizeof *p);
    if (n > 0 && w[0] == 'b') {
        size_t cap = eio_base64_decoded_max(n - 1) + 1;
        *owned = malloc(cap);
        size_t len = 0;
        if (*owned == NULL ||
            eio_base64_decode((const uint8_t *)w + 1, n - 1, *owned, cap, &len, NULL) != 0) {
            return -1;
        }
        p->type = EIO_PACKET_MESSAGE;
        p->kind = EIO_DATA_BINARY;
        p->data = *owned;
        p->len = len;
        return 0;
    }
    if (n == 0 || w[0] < '0' || w[0] > '6') {
        return -1;
    }
    p->type = (eio_packet_type)(w[0] - '0');
    p->kind = n > 1 ? EIO_DATA_TEXT : EIO_DATA_NONE;
    p->data = (const uint8_t *)w + 1;
    p->len = n - 1;
    return 0;
}

static void pkts_free(rconn *c)
{
    for (size_t i = 0; i < c->n_pk; i++) {
        free(c->pk[i].d);
    }
    free(c->pk);
    free(c->pk_err);
    c->pk = NULL;
    c->n_pk = 0;
    c->pk_err = NULL;
}

/* Decodes a polling body into c->pk (once). */
static void decode_body(cr_runner *r, rconn *c, const uint8_t *body, size_t len,
                        const char *ctype)
{
    if (c->pk_done) {
        return;
    }
    c->pk_done = true;
    eio_payload_format fmt = EIO_PAYLOAD_TEXT;
    if (ver(r) == EIO_V3 && ctype != NULL &&
        strncasecmp(ctype, "application/octet-stream", 24) == 0) {
        fmt = EIO_PAYLOAD_BINARY;
    }
    eio_payload_decoder dec;
    eio_limits lim;
    eio_limits_default(&lim);
    lim.max_payload = 100u * 1024 * 1024;
    lim.max_packet = lim.max_payload;
    eio_payload_decoder_init(&dec, ver(r), fmt, &lim);
    size_t cap = 0;
    for (;;) {
        eio_packet p;
        eio_errinfo ei;
        int rc = eio_payload_decoder_next(&dec, body != NULL ? body : (const uint8_t *)"", len,
                                          true, &p, &ei);
        if (rc == EIO_PAYLOAD_PACKET) {
            if (c->n_pk == cap) {
                size_t nc = cap ? cap * 2 : 8;
                rpkt *np = realloc(c->pk, nc * sizeof *np);
                if (np == NULL) {
                    c->pk_err = strdup("out of memory");
                    return;
                }
                c->pk = np;
                cap = nc;
            }
            if (pkt_view(&p, &c->pk[c->n_pk]) != 0) {
                c->pk_err = strdup("out of memory");
                return;
            }
            c->n_pk++;
            continue;
        }
        if (rc < 0) {
            char tmp[300];
            snprintf(tmp, sizeof tmp, "the body is not a valid %s payload: %s (%s) at byte %zu",
                     ver(r) == EIO_V3 ? "v3" : "v4", ei.msg, eio_error_name(rc), ei.offset);
            c->pk_err = strdup(tmp);
        }
        return;
    }
}

/* Builds the bytes of a data form. For packets over HTTP: one payload; over a
 * WebSocket the caller sends packet by packet (see send_packets). */
static int build_data(cr_runner *r, const cs_data *d, dbuf *out, bool *binary)
{
    *binary = false;
    switch (d->kind) {
    case CS_DATA_NONE:
    case CS_DATA_EMPTY:
        return 0;
    case CS_DATA_TEXT:
    case CS_DATA_ESC:
        return expand(r, d->tmpl, d->kind == CS_DATA_ESC, out);
    case CS_DATA_BYTES:
        *binary = true;
        db_add(out, d->bytes, d->len);
        return 0;
    case CS_DATA_PACKETS: {
        eio_packet pk[CS_MAX_PACKETS];
        uint8_t *owned[CS_MAX_PACKETS];
        char *words[CS_MAX_PACKETS];
        size_t n = d->n_packets;
        int rc = 0;
        memset(owned, 0, sizeof owned);
        memset(words, 0, sizeof words);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (d->packets[i][0] == 'b') {
                words[i] = strdup(d->packets[i]);
            } else if (expand_str(r, d->packets[i], &words[i]) != 0) {
                rc = -1;
                break;
            }
            if (words[i] == NULL ||
                pkt_from_word(words[i], strlen(words[i]), &pk[i], &owned[i]) != 0) {
                rc = fail(r, "bad packet '%s'", d->packets[i]);
            }
        }
        if (rc == 0) {
            size_t need = 0;
            int e = eio_payload_encode(ver(r), EIO_PAYLOAD_TEXT, pk, n, NULL, 0, &need);
            if (e != 0 && e != EIO_ERR_BUFFER_TOO_SMALL) {
                rc = fail(r, "cannot encode the packets: %s", eio_strerror(e));
            } else {
                uint8_t *buf = malloc(need + 1);
                if (buf == NULL ||
                    eio_payload_encode(ver(r), EIO_PAYLOAD_TEXT, pk, n, buf, need, &need) != 0) {
                    rc = fail(r, "cannot encode the packets");
                } else {
                    db_add(out, buf, need);
                }
                free(buf);
            }
        }
        for (size_t i = 0; i < n; i++) {
            free(owned[i]);
            free(words[i]);
        }
        return rc;
    }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static rconn *conn_new(cr_runner *r, cs_conn_kind kind)
{
    if (r->n_all == r->cap_all) {
        size_t nc = r->cap_all ? r->cap_all * 2 : 16;
        rconn **na = realloc(r->all, nc * sizeof *na);
        if (na == NULL) {
            return NULL;
        }
        r->all = na;
        r->cap_all = nc;
    }
    rconn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->serial = ++r->next_serial;
    c->idx = -1;
    c->kind = kind;
    c->clen = -1;
    c->name = "";
    r->all[r->n_all++] = c;
    return c;
}

static rconn *by_serial(cr_runner *r, void *ud)
{
    uint64_t s = (uint64_t)(uintptr_t)ud;
    for (size_t i = 0; i < r->n_all; i++) {
        if (r->all[i]->serial == s) {
            return r->all[i];
        }
    }
    return NULL;
}

static rconn *by_handle(cr_runner *r, uint64_t h)
{
    for (size_t i = 0; i < r->n_all; i++) {
        if (r->all[i]->handle == h &&
            (r->all[i]->kind == CS_CONN_REQ_IN || r->all[i]->kind == CS_CONN_WS_IN)) {
            return r->all[i];
        }
    }
    return NULL;
}

static void conn_free(rconn *c)
{
    for (size_t i = 0; i < c->n_ev; i++) {
        free(c->ev[i].data);
    }
    free(c->ev);
    free(c->error);
    free(c->ctype);
    free(c->headers);
    free(c->body);
    free(c->method);
    free(c->path);
    free(c->query);
    pkts_free(c);
    free(c);
}

static void push_event(cr_runner *r, rconn *c, int type, const uint8_t *d, size_t n, bool binary,
                       int code)
{
    if (c->n_ev == CR_MAX_EVENTS) {
        note(r, c, "event dropped: more than %d events on one connection", CR_MAX_EVENTS);
        return;
    }
    if (c->n_ev == c->cap_ev) {
        size_t nc = c->cap_ev ? c->cap_ev * 2 : 16;
        rev *ne = realloc(c->ev, nc * sizeof *ne);
        if (ne == NULL) {
            return;
        }
        c->ev = ne;
        c->cap_ev = nc;
    }
    rev *e = &c->ev[c->n_ev++];
    e->type = type;
    e->data = d != NULL ? xmemdup(d, n) : NULL;
    e->len = n;
    e->binary = binary;
    e->code = code;
}

/* Whether this side of the session sends the pings (server role v3: the
 * harness is the client, which pings in v3; client role v4: the harness is
 * the server, which pings in v4). */
static bool harness_pings(const cr_runner *r)
{
    return (r->o.mode == CR_MODE_SERVER) == (r->o.eio == 3);
}

static void ws_message(cr_runner *r, rconn *c, const uint8_t *d, size_t n, bool binary)
{
    bool hb = !binary && n == 1 && (d[0] == '2' || d[0] == '3');
    if (hb && c->pings != CS_PINGS_KEEP) {
        rlog(r, c, '<', c->pings == CS_PINGS_ANSWER ? "text (heartbeat, handled)" : "text (heartbeat, ignored)",
             d, n, false);
        if (c->pings == CS_PINGS_ANSWER && d[0] == '2' && !harness_pings(r)) {
            net_ws_send(r->loop, c->handle, (const uint8_t *)"3", 1, false);
            rlog(r, c, '>', "text (pong)", (const uint8_t *)"3", 1, false);
        }
        return;
    }
    rlog(r, c, '<', binary ? "binary" : "text", d, n, binary);
    push_event(r, c, EV_MESSAGE, d, n, binary, 0);
}

static void ws_closed(cr_runner *r, rconn *c, int code, const char *why)
{
    if (!c->open) {
        c->refused = true;
    }
    c->closed = true;
    c->active = false;
    if (c->ping_timer != 0) {
        net_timer_cancel(r->loop, c->ping_timer);
        c->ping_timer = 0;
    }
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s (code %d%s%s)", c->open ? "closed" : "failed to open", code,
             why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
    rlog(r, c, '<', tmp, NULL, 0, false);
    push_event(r, c, EV_CLOSE, NULL, 0, false, code);
}

/* Client-side callbacks (server mode). */
static void cb_http_done(net_loop *l, uint64_t req, const net_http_response *rs, void *ud);
static void cb_ws_open(net_loop *l, uint64_t ws, void *ud);
static void cb_ws_message(net_loop *l, uint64_t ws, const uint8_t *d, size_t n, bool binary,
                          void *ud);
static void cb_ws_close(net_loop *l, uint64_t ws, int code, const char *why, void *ud);

/* The runner is reachable from callbacks through this pointer: callbacks
 * carry a connection serial as user data, never a pointer. */
static cr_runner *g_runner;

static void cb_http_done(net_loop *l, uint64_t req, const net_http_response *rs, void *ud)
{
    (void)l;
    (void)req;
    cr_runner *r = g_runner;
    rconn *c = r != NULL ? by_serial(r, ud) : NULL;
    if (c == NULL) {
        return;
    }
    c->done = true;
    c->active = false;
    c->status = rs->status;
    c->error = xstrdup(rs->error);
    c->ctype = xstrdup(rs->content_type);
    c->headers = xstrdup(rs->headers);
    c->body = xmemdup(rs->body != NULL ? rs->body : (const uint8_t *)"", rs->len);
    c->body_len = rs->len;
    char tmp[400];
    if (rs->status == 0) {
        snprintf(tmp, sizeof tmp, "request failed: %s", rs->error != NULL ? rs->error : "?");
        rlog(r, c, '<', tmp, NULL, 0, false);
    } else {
        snprintf(tmp, sizeof tmp, "status %d, Content-Type %s", rs->status,
                 rs->content_type != NULL ? rs->content_type : "(none)");
        rlog(r, c, '<', tmp, rs->body, rs->len, false);
    }
}

static void cb_ws_open(net_loop *l, uint64_t ws, void *ud)
{
    (void)l;
    (void)ws;
    rconn *c = g_runner != NULL ? by_serial(g_runner, ud) : NULL;
    if (c != NULL) {
        c->open = true;
        rlog(g_runner, c, '<', "open", NULL, 0, false);
    }
}

static void cb_ws_message(net_loop *l, uint64_t ws, const uint8_t *d, size_t n, bool binary,
                          void *ud)
{
    (void)l;
    (void)ws;
    rconn *c = g_runner != NULL ? by_serial(g_runner, ud) : NULL;
    if (c != NULL) {
        ws_message(g_runner, c, d, n, binary);
    }
}

static void cb_ws_close(net_loop *l, uint64_t ws, int code, const char *why, void *ud)
{
    (void)l;
    (void)ws;
    rconn *c = g_runner != NULL ? by_serial(g_runner, ud) : NULL;
    if (c != NULL) {
        ws_closed(g_runner, c, code, why);
    }
}

/* Server-side callbacks (client mode); user data is the runner. */
static void srv_request(net_loop *l, uint64_t conn, const net_server_request *rq, void *ud)
{
    cr_runner *r = ud;
    if (r->c == NULL) {
        /* Between cases: nobody is listening. */
        net_server_respond(l, conn, 503, "text/plain", NULL, (const uint8_t *)"no case running",
                           15);
        return;
    }
    char what[2400];
    snprintf(what, sizeof what, "%s %s%s%s%s", rq->method, rq->path, rq->query[0] ? "?" : "",
             rq->query, rq->websocket ? " (WebSocket upgrade)" : "");
    if (rq->websocket && r->refuse_ws != 0) {
        int st = r->refuse_ws;
        r->refuse_ws = 0;
        rlog(r, NULL, '<', what, NULL, 0, false);
        net_server_respond(l, conn, st, "text/plain", NULL, (const uint8_t *)"refused", 7);
        note(r, NULL, "WebSocket upgrade refused with status %d", st);
        return;
    }
    size_t pending = 0;
    for (size_t i = 0; i < r->n_all; i++) {
        pending += r->all[i]->idx < 0;
    }
    rconn *c = pending < CR_MAX_INCOMING
                   ? conn_new(r, rq->websocket ? CS_CONN_WS_IN : CS_CONN_REQ_IN)
                   : NULL;
    if (c == NULL) {
        rlog(r, NULL, '<', what, NULL, 0, false);
        note(r, NULL, "too many unclaimed requests: answered 503");
        net_server_respond(l, conn, 503, "text/plain", NULL, NULL, 0);
        return;
    }
    c->handle = conn;
    c->active = true;
    c->method = xstrdup(rq->method);
    c->path = xstrdup(rq->path);
    c->query = xstrdup(rq->query);
    c->headers = xstrdup(rq->headers);
    c->ctype = xstrdup(rq->content_type);
    c->clen = rq->content_length;
    c->arrived = net_now(l);
    r->arrivals++;
    rlog(r, c, '<', what, NULL, 0, false);
    if (rq->websocket) {
        if (net_server_ws_accept(l, conn) != 0) {
            note(r, c, "could not accept the WebSocket");
            c->closed = true;
            c->active = false;
        }
    } else if (c->clen == 0 ||
               (c->clen < 0 && strcmp(rq->method, "POST") != 0 && strcmp(rq->method, "PUT") != 0)) {
        c->body_done = true;
    }
}

static void srv_body(net_loop *l, uint64_t conn, const uint8_t *body, size_t len, void *ud)
{
    (void)l;
    cr_runner *r = ud;
    rconn *c = by_handle(r, conn);
    if (c == NULL) {
        return;
    }
    free(c->body);
    c->body = xmemdup(body, len);
    c->body_len = len;
    c->body_done = true;
    rlog(r, c, '<', "request body", body, len, false);
}

static void srv_closed(net_loop *l, uint64_t conn, void *ud)
{
    (void)l;
    cr_runner *r = ud;
    rconn *c = by_handle(r, conn);
    if (c == NULL) {
        return;
    }
    c->gone = true;
    c->active = false;
    rlog(r, c, '<', "client closed the connection before the answer", NULL, 0, false);
}

static void srv_ws_open(net_loop *l, uint64_t conn, void *ud)
{
    (void)l;
    cr_runner *r = ud;
    rconn *c = by_handle(r, conn);
    if (c != NULL) {
        c->open = true;
        rlog(r, c, '<', "WebSocket open", NULL, 0, false);
    }
}

static void srv_ws_message(net_loop *l, uint64_t conn, const uint8_t *d, size_t n, bool binary,
                           void *ud)
{
    (void)l;
    cr_runner *r = ud;
    rconn *c = by_handle(r, conn);
    if (c != NULL) {
        ws_message(r, c, d, n, binary);
    }
}

static void srv_ws_close(net_loop *l, uint64_t conn, int code, const char *why, void *ud)
{
    (void)l;
    cr_runner *r = ud;
    rconn *c = by_handle(r, conn);
    if (c != NULL) {
        ws_closed(r, c, code, why);
    }
}

static void ping_tick(net_loop *l, uint64_t timer, void *ud)
{
    (void)timer;
    rconn *c = g_runner != NULL ? by_serial(g_runner, ud) : NULL;
    if (c == NULL || !c->active || c->pings != CS_PINGS_ANSWER) {
        return;
    }
    net_ws_send(l, c->handle, (const uint8_t *)"2", 1, false);
    rlog(g_runner, c, '>', "text (ping)", (const uint8_t *)"2", 1, false);
    c->ping_timer = net_timer_add(l, net_now(l) + (net_time)c->ping_every, ping_tick, ud);
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */
/* ------------------------------------------------------------------------ */

static void pump(cr_runner *r, net_time until)
{
    if (net_run_once(r->loop, until) != 0) {
        note(r, NULL, "network loop error");
    }
}

static net_time deadline_in(cr_runner *r, int64_t ms)
{
    return net_now(r->loop) + (net_time)(ms < 0 ? 0 : ms);
}

/* ------------------------------------------------------------------------ */
/* Steps                                                                     */
/* ------------------------------------------------------------------------ */

static const char *hdr_lookup(const char *headers, const char *name, size_t *vlen)
{
    if (headers == NULL) {
        return NULL;
    }
    size_t nl = strlen(name);
    const char *p = headers;
    while (*p != '\0') {
        const char *eol = strstr(p, "\r\n");
        size_t ll = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            *vlen = (size_t)(p + ll - v);
            return v;
        }
        p += ll;
        if (eol != NULL) {
            p += 2;
        }
    }
    return NULL;
}

/* Decoded value of query parameter `key` into out; returns false if absent. */
static bool query_lookup(const char *q, const char *key, dbuf *out)
{
    if (q == NULL) {
        return false;
    }
    size_t kl = strlen(key);
    const char *p = q;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        size_t pl = amp != NULL ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', pl);
        size_t klen = eq != NULL ? (size_t)(eq - p) : pl;
        if (klen == kl && memcmp(p, key, kl) == 0) {
            const char *v = eq != NULL ? eq + 1 : p + pl;
            const char *ve = p + pl;
            for (; v < ve; v++) {
                if (*v == '%' && ve - v >= 3 && sioc_hex_digit(v[1]) >= 0 &&
                    sioc_hex_digit(v[2]) >= 0) {
                    char ch = (char)(sioc_hex_digit(v[1]) << 4 | sioc_hex_digit(v[2]));
                    db_add(out, &ch, 1);
                    v += 2;
                } else if (*v == '+') {
                    db_add(out, " ", 1);
                } else {
                    db_add(out, v, 1);
                }
            }
            if (out->p == NULL) {
                db_add(out, "", 0);
            }
            return true;
        }
        p += pl;
        if (amp != NULL) {
            p++;
        }
    }
    return false;
}

static int make_url(cr_runner *r, const char *target, bool ws, char **out)
{
    char *t;
    if (expand_str(r, target, &t) != 0) {
        return -1;
    }
    dbuf b = {0};
    if (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0 ||
        strncmp(t, "ws://", 5) == 0 || strncmp(t, "wss://", 6) == 0) {
        db_str(&b, t);
    } else if (t[0] == '/') {
        const char *o = r->origin;
        if (ws) {
            db_str(&b, r->tls ? "wss" : "ws");
            o = strstr(o, "://");
        }
        db_str(&b, o);
        db_str(&b, t);
    } else {
        free(t);
        return fail(r, "target '%s' is neither a path starting with '/' nor a URL", target);
    }
    free(t);
    *out = db_take(&b);
    return 0;
}

static int join_headers(cr_runner *r, const cs_step *st, char **out)
{
    *out = NULL;
    if (st->n_headers == 0) {
        return 0;
    }
    dbuf b = {0};
    for (size_t i = 0; i < st->n_headers; i++) {
        if (expand(r, st->headers[i], false, &b) != 0) {
            db_free(&b);
            return -1;
        }
        db_str(&b, "\r\n");
    }
    *out = db_take(&b);
    return 0;
}

static rconn *conn_at(cr_runner *r, int idx)
{
    return idx >= 0 ? r->conns[idx] : NULL;
}

static int step_http(cr_runner *r, const cs_step *st)
{
    char *url = NULL, *hdrs = NULL;
    dbuf body = {0};
    bool binary;
    int rc = -1;
    if (make_url(r, st->target, false, &url) != 0 || join_headers(r, st, &hdrs) != 0 ||
        build_data(r, &st->data, &body, &binary) != 0) {
        goto out;
    }
    rconn *c = conn_new(r, CS_CONN_HTTP);
    if (c == NULL) {
        rc = fail(r, "out of memory");
        goto out;
    }
    c->idx = st->conn;
    c->name = r->c->conn_names[st->conn];
    r->conns[st->conn] = c;
    net_http_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = st->method;
    rq.url = url;
    rq.headers = hdrs;
    rq.content_type = st->ctype;
    if (rq.content_type == NULL && st->data.kind != CS_DATA_NONE && st->data.kind != CS_DATA_EMPTY) {
        rq.content_type = binary ? "application/octet-stream" : "text/plain;charset=UTF-8";
    }
    rq.body = (const uint8_t *)(body.p != NULL ? body.p : "");
    rq.body_len = body.n;
    if (st->data.kind == CS_DATA_NONE) {
        rq.body = NULL;
        rq.body_len = 0;
    }
    char what[2400];
    snprintf(what, sizeof what, "%s %s", st->method, url);
    rlog(r, c, '>', what, rq.body, rq.body_len, binary);
    c->handle = net_http_start(r->loop, &rq, cb_http_done, (void *)(uintptr_t)c->serial);
    if (c->handle == 0) {
        rc = fail(r, "the request could not be started (invalid URL or header): %s", url);
        goto out;
    }
    c->active = true;
    rc = 0;
out:
    free(url);
    free(hdrs);
    db_free(&body);
    return rc;
}

static int step_ws(cr_runner *r, const cs_step *st)
{
    char *url = NULL, *hdrs = NULL;
    int rc = -1;
    if (make_url(r, st->target, true, &url) != 0 || join_headers(r, st, &hdrs) != 0) {
        goto out;
    }
    rconn *c = conn_new(r, CS_CONN_WS);
    if (c == NULL) {
        rc = fail(r, "out of memory");
        goto out;
    }
    c->idx = st->conn;
    c->name = r->c->conn_names[st->conn];
    r->conns[st->conn] = c;
    static const net_ws_callbacks cb = {cb_ws_open, cb_ws_message, cb_ws_close};
    rlog(r, c, '>', url, NULL, 0, false);
    c->handle = net_ws_open(r->loop, url, hdrs, 0, &cb, (void *)(uintptr_t)c->serial);
    if (c->handle == 0) {
        rc = fail(r, "the WebSocket could not be started (invalid URL or header): %s", url);
        goto out;
    }
    c->active = true;
    rc = 0;
out:
    free(url);
    free(hdrs);
    return rc;
}

static int ws_send_bytes(cr_runner *r, rconn *c, const uint8_t *d, size_t n, bool binary)
{
    rlog(r, c, '>', binary ? "binary" : "text", d, n, binary);
    if (net_ws_send(r->loop, c->handle, d, n, binary) != 0) {
        return fail(r, "cannot send on '%s': the WebSocket is closed", c->name);
    }
    return 0;
}

static int step_send(cr_runner *r, const cs_step *st)
{
    rconn *c = conn_at(r, st->conn);
    if (st->data.kind != CS_DATA_PACKETS) {
        dbuf b = {0};
        bool binary;
        int rc = build_data(r, &st->data, &b, &binary);
        if (rc == 0) {
            rc = ws_send_bytes(r, c, (const uint8_t *)(b.p != NULL ? b.p : ""), b.n, binary);
        }
        db_free(&b);
        return rc;
    }
    for (size_t i = 0; i < st->data.n_packets; i++) {
        char *w = NULL;
        if (st->data.packets[i][0] == 'b') {
            w = strdup(st->data.packets[i]);
        } else if (expand_str(r, st->data.packets[i], &w) != 0) {
            return -1;
        }
        eio_packet p;
        uint8_t *owned = NULL;
        int rc = 0;
        if (w == NULL || pkt_from_word(w, strlen(w), &p, &owned) != 0) {
            rc = fail(r, "bad packet '%s'", st->data.packets[i]);
        } else {
            size_t need = 0;
            bool bin = false;
            eio_packet_encode(ver(r), &p, 0, NULL, 0, &need, &bin);
            uint8_t *buf = malloc(need + 1);
            if (buf == NULL || eio_packet_encode(ver(r), &p, 0, buf, need, &need, &bin) != 0) {
                rc = fail(r, "cannot encode packet '%s'", w);
            } else {
                rc = ws_send_bytes(r, c, buf, need, bin);
            }
            free(buf);
        }
        free(owned);
        free(w);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int step_respond(cr_runner *r, const cs_step *st)
{
    rconn *c = conn_at(r, st->conn);
    if (c->answered) {
        return fail(r, "'%s' was already answered", c->name);
    }
    char *hdrs = NULL;
    dbuf body = {0};
    bool binary;
    if (join_headers(r, st, &hdrs) != 0 || build_data(r, &st->data, &body, &binary) != 0) {
        free(hdrs);
        db_free(&body);
        return -1;
    }
    const char *ct = st->ctype;
    if (ct == NULL && st->data.kind != CS_DATA_NONE && st->data.kind != CS_DATA_EMPTY) {
        ct = binary ? "application/octet-stream" : "text/plain; charset=UTF-8";
    }
    char what[200];
    snprintf(what, sizeof what, "status %d, Content-Type %s", st->status, ct != NULL ? ct : "(none)");
    rlog(r, c, '>', what, (const uint8_t *)body.p, body.n, binary);
    int rc = net_server_respond(r->loop, c->handle, st->status, ct, hdrs,
                                (const uint8_t *)(body.p != NULL ? body.p : ""), body.n);
    free(hdrs);
    db_free(&body);
    c->answered = true;
    if (rc != 0) {
        return fail(r, "cannot answer '%s': the client closed the connection", c->name);
    }
    return 0;
}

static int step_await(cr_runner *r, const cs_step *st, bool ws)
{
    int64_t ms;
    if (eval_time(r, st->time, r->o.timeout_ms, &ms) != 0) {
        return -1;
    }
    net_time dl = deadline_in(r, ms);
    for (;;) {
        for (size_t i = 0; i < r->n_all; i++) {
            rconn *c = r->all[i];
            if (c->idx >= 0 || c->claimed ||
                c->kind != (ws ? CS_CONN_WS_IN : CS_CONN_REQ_IN)) {
                continue;
            }
            if (st->method != NULL && strcmp(c->method, st->method) != 0) {
                continue;
            }
            c->claimed = true;
            c->idx = st->conn;
            c->name = r->c->conn_names[st->conn];
            r->conns[st->conn] = c;
            note(r, c, "claimed: %s %s%s%s", c->method, c->path, c->query[0] ? "?" : "", c->query);
            return 0;
        }
        if (net_now(r->loop) >= dl) {
            size_t unclaimed = 0;
            for (size_t i = 0; i < r->n_all; i++) {
                unclaimed += r->all[i]->idx < 0 && !r->all[i]->claimed;
            }
            return fail(r, "no %s%s%s arrived within %lld ms (%zu other unclaimed)",
                        ws ? "WebSocket" : "HTTP request", st->method ? " " : "",
                        st->method ? st->method : "", (long long)ms, unclaimed);
        }
        pump(r, dl);
    }
}

/* Next unconsumed WebSocket event, waiting until dl. */
static rev *ws_next(cr_runner *r, rconn *c, net_time dl)
{
    while (c->cur >= c->n_ev) {
        if (net_now(r->loop) >= dl) {
            return NULL;
        }
        pump(r, dl);
    }
    return &c->ev[c->cur];
}

static void describe_event(dbuf *b, const rev *e)
{
    if (e->type == EV_CLOSE) {
        db_fmt(b, "the connection closed (code %d)", e->code);
    } else {
        db_str(b, e->binary ? "binary message " : "text message ");
        db_bytes(b, e->data, e->len, e->binary, 200);
    }
}

static int wait_http(cr_runner *r, rconn *c, net_time dl, int64_t ms)
{
    while (!c->done) {
        if (net_now(r->loop) >= dl) {
            return fail(r, "no response within %lld ms", (long long)ms);
        }
        pump(r, dl);
    }
    return 0;
}

static int wait_body(cr_runner *r, rconn *c, net_time dl, int64_t ms)
{
    while (!c->body_done) {
        if (c->gone) {
            return fail(r, "the client closed the connection before the body arrived");
        }
        if (net_now(r->loop) >= dl) {
            return fail(r, "no request body within %lld ms", (long long)ms);
        }
        pump(r, dl);
    }
    return 0;
}

static int check_value(cr_runner *r, const cs_step *st, const char *what, bool present,
                       const char *v, size_t vl)
{
    if (st->m.kind == CS_M_ABSENT) {
        if (present) {
            return fail(r, "%s '%s' is present: \"%.*s\"", what, st->name, (int)(vl > 200 ? 200 : vl), v);
        }
        return 0;
    }
    if (!present) {
        return fail(r, "%s '%s' is absent", what, st->name);
    }
    caps k = {0};
    dbuf why = {0};
    if (!match(r, &st->m, (const uint8_t *)v, vl, false, &k, &why)) {
        int rc = fail(r, "%s '%s' is \"%.*s\": %s", what, st->name, (int)(vl > 200 ? 200 : vl), v,
                      why.p != NULL ? why.p : "");
        caps_free(&k);
        db_free(&why);
        return rc;
    }
    db_free(&why);
    return caps_commit(r, &k);
}

/* Matches the next packet of a body (HTTP response or incoming request). */
static int next_body_packet(cr_runner *r, const cs_step *st, rconn *c, const uint8_t *body,
                            size_t len, const char *ctype)
{
    decode_body(r, c, body, len, ctype);
    if (c->pk_err != NULL && c->pk_cur >= c->n_pk) {
        return fail(r, "%s", c->pk_err);
    }
    for (;;) {
        if (c->pk_cur >= c->n_pk) {
            return fail(r, "no more packets in the body (it held %zu)", c->n_pk);
        }
        rpkt *p = &c->pk[c->pk_cur++];
        caps k = {0};
        dbuf why = {0};
        if (match(r, &st->m, p->d, p->n, p->binary, &k, &why)) {
            db_free(&why);
            return caps_commit(r, &k);
        }
        caps_free(&k);
        if (!st->skipping) {
            dbuf a = {0};
            db_fmt(&a, "packet %zu of the body is ", c->pk_cur);
            db_bytes(&a, p->d, p->n, p->binary, 200);
            int rc = fail(r, "%s: %s", a.p, why.p != NULL ? why.p : "");
            db_free(&a);
            db_free(&why);
            return rc;
        }
        db_free(&why);
        note(r, c, "skipped packet %zu", c->pk_cur);
    }
}

static int step_expect(cr_runner *r, const cs_step *st)
{
    rconn *c = conn_at(r, st->conn);
    if (c == NULL) {
        return fail(r, "connection '%s' was never opened or claimed", r->c->conn_names[st->conn]);
    }
    int64_t ms;
    if (eval_time(r, st->x == CS_X_NONE ? st->time : st->time, r->o.timeout_ms, &ms) != 0) {
        return -1;
    }
    net_time dl = deadline_in(r, ms);
    bool http = c->kind == CS_CONN_HTTP;
    bool req = c->kind == CS_CONN_REQ_IN;
    switch (st->x) {
    case CS_X_STATUS: {
        if (wait_http(r, c, dl, ms) != 0) {
            return -1;
        }
        if (c->status == 0) {
            return fail(r, "the request failed: %s", c->error != NULL ? c->error : "?");
        }
        for (size_t i = 0; i < st->n_codes; i++) {
            if (st->codes[i] == c->status) {
                return 0;
            }
        }
        for (size_t i = 0; i < st->n_ns_codes; i++) {
            if (st->ns_codes[i] == c->status) {
                r->nonstrict = true;
                free(r->nonstrict_why);
                char tmp[200];
                snprintf(tmp, sizeof tmp, "line %d: status %d is accepted as non-strict", st->line,
                         c->status);
                r->nonstrict_why = strdup(tmp);
                return 0;
            }
        }
        dbuf b = {0};
        db_bytes(&b, c->body, c->body_len, false, 200);
        int rc = fail(r, "status %d, body %s", c->status, b.p);
        db_free(&b);
        return rc;
    }
    case CS_X_FAILED:
        if (wait_http(r, c, dl, ms) != 0) {
            return -1;
        }
        if (c->status != 0) {
            return fail(r, "the request succeeded with status %d", c->status);
        }
        return 0;
    case CS_X_HEADER: {
        const char *h = NULL;
        size_t hl = 0;
        if (http && wait_http(r, c, dl, ms) != 0) {
            return -1;
        }
        if (strcasecmp(st->name, "content-type") == 0 && c->ctype != NULL) {
            h = c->ctype;
            hl = strlen(h);
        } else {
            h = hdr_lookup(c->headers, st->name, &hl);
        }
        return check_value(r, st, "header", h != NULL, h, hl);
    }
    case CS_X_QUERY: {
        dbuf v = {0};
        bool present = query_lookup(c->query, st->name, &v);
        int rc = check_value(r, st, "query parameter", present, v.p != NULL ? v.p : "", v.n);
        db_free(&v);
        return rc;
    }
    case CS_X_METHOD:
        if (strcmp(c->method, st->method) != 0) {
            return fail(r, "method %s", c->method);
        }
        return 0;
    case CS_X_BODY: {
        if (http ? wait_http(r, c, dl, ms) != 0 : wait_body(r, c, dl, ms) != 0) {
            return -1;
        }
        if (http && c->status == 0) {
            return fail(r, "the request failed: %s", c->error != NULL ? c->error : "?");
        }
        caps k = {0};
        dbuf why = {0};
        if (match(r, &st->m, c->body, c->body_len, false, &k, &why)) {
            db_free(&why);
            return caps_commit(r, &k);
        }
        dbuf b = {0};
        db_bytes(&b, c->body, c->body_len, false, 300);
        int rc = fail(r, "body %s: %s", b.p, why.p != NULL ? why.p : "");
        db_free(&b);
        db_free(&why);
        caps_free(&k);
        return rc;
    }
    case CS_X_END:
        if (http ? wait_http(r, c, dl, ms) != 0 : wait_body(r, c, dl, ms) != 0) {
            return -1;
        }
        decode_body(r, c, c->body, c->body_len, c->ctype);
        if (c->pk_err != NULL) {
            return fail(r, "%s", c->pk_err);
        }
        if (c->pk_cur < c->n_pk) {
            dbuf b = {0};
            rpkt *p = &c->pk[c->pk_cur];
            db_bytes(&b, p->d, p->n, p->binary, 200);
            int rc = fail(r, "%zu more packet(s) in the body, the next is %s", c->n_pk - c->pk_cur,
                          b.p);
            db_free(&b);
            return rc;
        }
        return 0;
    case CS_X_PACKET:
    case CS_X_FRAME: {
        if (http || req) {
            if (st->x == CS_X_FRAME) {
                return fail(r, "internal: frame on HTTP");
            }
            if (http ? wait_http(r, c, dl, ms) != 0 : wait_body(r, c, dl, ms) != 0) {
                return -1;
            }
            if (http && c->status == 0) {
                return fail(r, "the request failed: %s", c->error != NULL ? c->error : "?");
            }
            return next_body_packet(r, st, c, c->body, c->body_len, c->ctype);
        }
        for (;;) {
            rev *e = ws_next(r, c, dl);
            if (e == NULL) {
                return fail(r, "no message within %lld ms", (long long)ms);
            }
            if (e->type == EV_CLOSE) {
                dbuf b = {0};
                describe_event(&b, e);
                int rc = fail(r, "%s", b.p);
                db_free(&b);
                return rc;
            }
            c->cur++;
            caps k = {0};
            dbuf why = {0};
            bool ok;
            if (st->x == CS_X_FRAME) {
                ok = match(r, &st->m, e->data, e->len, e->binary, &k, &why);
            } else {
                eio_packet p;
                eio_errinfo ei;
                rpkt v;
                if (eio_packet_decode(ver(r), e->data, e->len, e->binary, NULL, &p, &ei) != 0) {
                    db_fmt(&why, "not an Engine.IO v%d packet: %s", r->o.eio, ei.msg);
                    ok = false;
                } else if (pkt_view(&p, &v) != 0) {
                    db_str(&why, "out of memory");
                    ok = false;
                } else {
                    ok = match(r, &st->m, v.d, v.n, v.binary, &k, &why);
                    free(v.d);
                }
            }
            if (ok) {
                db_free(&why);
                return caps_commit(r, &k);
            }
            caps_free(&k);
            if (!st->skipping) {
                dbuf b = {0};
                describe_event(&b, e);
                int rc = fail(r, "%s: %s", b.p, why.p != NULL ? why.p : "");
                db_free(&b);
                db_free(&why);
                return rc;
            }
            db_free(&why);
            note(r, c, "skipped message %zu", c->cur);
        }
    }
    case CS_X_OPEN:
        while (!c->open && !c->closed) {
            if (net_now(r->loop) >= dl) {
                return fail(r, "not open within %lld ms", (long long)ms);
            }
            pump(r, dl);
        }
        if (!c->open) {
            return fail(r, "the WebSocket handshake failed (%s)",
                        c->n_ev > 0 ? "refused or connection error" : "closed");
        }
        return 0;
    case CS_X_REFUSED:
        while (!c->open && !c->closed) {
            if (net_now(r->loop) >= dl) {
                return fail(r, "neither opened nor refused within %lld ms", (long long)ms);
            }
            pump(r, dl);
        }
        if (c->open) {
            return fail(r, "the WebSocket opened");
        }
        return 0;
    case CS_X_CLOSED:
        for (;;) {
            rev *e = ws_next(r, c, dl);
            if (e == NULL) {
                return fail(r, "still open after %lld ms", (long long)ms);
            }
            if (e->type == EV_MESSAGE) {
                if (st->skipping) {
                    c->cur++;
                    note(r, c, "skipped message %zu", c->cur);
                    continue;
                }
                dbuf b = {0};
                describe_event(&b, e);
                int rc = fail(r, "%s before the close", b.p);
                db_free(&b);
                return rc;
            }
            c->cur++;
            if (st->n_codes == 0) {
                return 0;
            }
            for (size_t i = 0; i < st->n_codes; i++) {
                if (st->codes[i] == e->code) {
                    return 0;
                }
            }
            return fail(r, "closed with code %d", e->code);
        }
    case CS_X_NONE:
        for (;;) {
            if (http) {
                if (c->done) {
                    return fail(r, "a response arrived: %s %d", c->status ? "status" : "failure",
                                c->status);
                }
            } else if (req) {
                if (c->gone) {
                    return fail(r, "the client closed the connection");
                }
            } else if (c->cur < c->n_ev) {
                dbuf b = {0};
                describe_event(&b, &c->ev[c->cur]);
                int rc = fail(r, "%s", b.p);
                db_free(&b);
                return rc;
            }
            if (net_now(r->loop) >= dl) {
                return 0;
            }
            pump(r, dl);
        }
    case CS_X_GONE:
        while (!c->gone) {
            if (net_now(r->loop) >= dl) {
                return fail(r, "the connection is still open after %lld ms", (long long)ms);
            }
            pump(r, dl);
        }
        return 0;
    }
    return fail(r, "internal: unknown expectation");
}

static int step_no_request(cr_runner *r, const cs_step *st)
{
    int64_t ms;
    if (eval_time(r, st->time, 0, &ms) != 0) {
        return -1;
    }
    net_time dl = deadline_in(r, ms);
    size_t before = r->arrivals;
    while (net_now(r->loop) < dl) {
        pump(r, dl);
        if (r->arrivals != before) {
            for (size_t i = r->n_all; i-- > 0;) {
                rconn *c = r->all[i];
                if (c->kind == CS_CONN_REQ_IN || c->kind == CS_CONN_WS_IN) {
                    return fail(r, "%s %s%s%s arrived", c->method, c->path, c->query[0] ? "?" : "",
                                c->query);
                }
            }
            return fail(r, "a request arrived");
        }
    }
    return 0;
}

/* Result of a step. */
enum { ST_OK = 0, ST_FAIL = -1, ST_UNSUPPORTED = 1, ST_KNOWN_FAIL = 2 };

static int run_step(cr_runner *r, const cs_step *st);

typedef struct cursor_snap {
    size_t cur[CS_MAX_CONNS];
    size_t pk[CS_MAX_CONNS];
} cursor_snap;

static int step_either(cr_runner *r, const cs_step *st)
{
    dbuf whys = {0};
    for (size_t b = 0; b < st->n_branches; b++) {
        const cs_branch *br = &st->branches[b];
        cursor_snap cs;
        var_snap vs;
        for (size_t i = 0; i < r->c->n_conns; i++) {
            cs.cur[i] = r->conns[i] != NULL ? r->conns[i]->cur : 0;
            cs.pk[i] = r->conns[i] != NULL ? r->conns[i]->pk_cur : 0;
        }
        vars_save(r, &vs);
        int rc = 0;
        for (size_t i = 0; i < br->n_steps && rc == 0; i++) {
            rc = run_step(r, &br->steps[i]);
            if (rc != 0) {
                db_fmt(&whys, "%sbranch at line %d: line %d: %s", whys.n ? "; " : "", br->line,
                       br->steps[i].line, r->why != NULL ? r->why : "?");
            }
        }
        if (rc == 0) {
            snap_free(&vs);
            db_free(&whys);
            note(r, NULL, "either (line %d): branch %zu (line %d) matched", st->line, b + 1,
                 br->line);
            switch (br->grade) {
            case CS_GRADE_PASS:
                return ST_OK;
            case CS_GRADE_NONSTRICT: {
                r->nonstrict = true;
                free(r->nonstrict_why);
                char tmp[600];
                snprintf(tmp, sizeof tmp, "line %d: %s", br->line,
                         br->note != NULL ? br->note : "accepted as non-strict");
                r->nonstrict_why = strdup(tmp);
                return ST_OK;
            }
            case CS_GRADE_UNSUPPORTED:
                fail(r, "%s", br->note != NULL ? br->note : "the target does not support this");
                return ST_UNSUPPORTED;
            case CS_GRADE_FAIL:
                fail(r, "known wrong outcome (line %d): %s", br->line,
                     br->note != NULL ? br->note : "");
                return ST_KNOWN_FAIL;
            }
        }
        vars_restore(r, &vs);
        for (size_t i = 0; i < r->c->n_conns; i++) {
            if (r->conns[i] != NULL) {
                r->conns[i]->cur = cs.cur[i];
                r->conns[i]->pk_cur = cs.pk[i];
            }
        }
    }
    fail(r, "no branch matched: %s", whys.p != NULL ? whys.p : "");
    db_free(&whys);
    return ST_FAIL;
}

static int run_step(cr_runner *r, const cs_step *st)
{
    rconn *c = conn_at(r, st->conn);
    switch (st->kind) {
    case CS_STEP_HTTP:
        return step_http(r, st);
    case CS_STEP_WS:
        return step_ws(r, st);
    case CS_STEP_SEND:
        if (c == NULL) {
            return fail(r, "connection '%s' was never opened", r->c->conn_names[st->conn]);
        }
        return step_send(r, st);
    case CS_STEP_CLOSE:
        if (c == NULL || !c->active) {
            return fail(r, "'%s' is not open", r->c->conn_names[st->conn]);
        }
        rlog(r, c, '>', "close", NULL, 0, false);
        net_ws_close(r->loop, c->handle, st->code);
        c->active = false;
        return 0;
    case CS_STEP_DROP:
    case CS_STEP_ABORT:
        if (c == NULL) {
            return fail(r, "connection '%s' was never opened", r->c->conn_names[st->conn]);
        }
        rlog(r, c, '>', st->kind == CS_STEP_DROP ? "drop" : "abort", NULL, 0, false);
        if (c->active) {
            if (c->kind == CS_CONN_HTTP) {
                net_http_abort(r->loop, c->handle);
            } else if (c->kind == CS_CONN_REQ_IN) {
                net_server_drop(r->loop, c->handle);
                c->answered = true;
            } else {
                net_ws_drop(r->loop, c->handle);
            }
        }
        c->active = false;
        return 0;
    case CS_STEP_PINGS:
        if (c == NULL) {
            return fail(r, "connection '%s' was never opened", r->c->conn_names[st->conn]);
        }
        c->pings = st->pings;
        /* Heartbeats already queued are handled as if they arrived now. */
        for (size_t i = c->cur; i < c->n_ev && st->pings != CS_PINGS_KEEP;) {
            rev *e = &c->ev[i];
            if (e->type == EV_MESSAGE && !e->binary && e->len == 1 &&
                (e->data[0] == '2' || e->data[0] == '3')) {
                if (st->pings == CS_PINGS_ANSWER && e->data[0] == '2' && !harness_pings(r)) {
                    net_ws_send(r->loop, c->handle, (const uint8_t *)"3", 1, false);
                    rlog(r, c, '>', "text (pong)", (const uint8_t *)"3", 1, false);
                }
                free(e->data);
                memmove(e, e + 1, (c->n_ev - i - 1) * sizeof *e);
                c->n_ev--;
                continue;
            }
            i++;
        }
        if (st->pings == CS_PINGS_ANSWER && harness_pings(r) && c->ping_timer == 0) {
            int64_t every = var_int(r, "pingInterval");
            if (every <= 0) {
                return fail(r, "'pings answer' needs pingInterval (handshake or set) to send pings");
            }
            c->ping_every = every;
            c->ping_timer = net_timer_add(r->loop, net_now(r->loop) + (net_time)every, ping_tick,
                                          (void *)(uintptr_t)c->serial);
        }
        return 0;
    case CS_STEP_SLEEP: {
        int64_t ms;
        if (eval_time(r, st->time, 0, &ms) != 0) {
            return -1;
        }
        net_time dl = deadline_in(r, ms);
        while (net_now(r->loop) < dl) {
            pump(r, dl);
        }
        return 0;
    }
    case CS_STEP_SET: {
        dbuf b = {0};
        if (expand(r, st->value, false, &b) != 0) {
            db_free(&b);
            return -1;
        }
        int rc = var_set(r, st->var, b.p != NULL ? b.p : "", b.n, true);
        db_free(&b);
        return rc;
    }
    case CS_STEP_AWAIT_REQUEST:
        return step_await(r, st, false);
    case CS_STEP_AWAIT_WS:
        return step_await(r, st, true);
    case CS_STEP_RESPOND:
        return step_respond(r, st);
    case CS_STEP_REFUSE_WS:
        r->refuse_ws = st->status;
        return 0;
    case CS_STEP_EXPECT:
        return step_expect(r, st);
    case CS_STEP_EXPECT_NO_REQUEST:
        return step_no_request(r, st);
    case CS_STEP_EITHER:
        return step_either(r, st);
    }
    return fail(r, "internal: unknown step");
}

/* ------------------------------------------------------------------------ */
/* The client under test                                                     */
/* ------------------------------------------------------------------------ */

static void child_readable(net_loop *l, int fd, void *ud)
{
    cr_runner *r = ud;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        if (r->child_out.n < 256 * 1024) {
            db_add(&r->child_out, buf, (size_t)n);
        }
        if (r->o.verbose) {
            fprintf(stderr, "  [client] %.*s", (int)n, buf);
        }
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        net_fd_unwatch(l, fd);
        close(fd);
        r->child_fd = -1;
    }
}

static void shell_quote(dbuf *b, const char *s)
{
    db_add(b, "'", 1);
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            db_str(b, "'\\''");
        } else {
            db_add(b, s, 1);
        }
    }
    db_add(b, "'", 1);
}

static int start_child(cr_runner *r, const cs_case *c, char **cmd_out)
{
    const char *path = c->layer == CS_LAYER_EIO ? "/engine.io/" : "/socket.io/";
    char url[600], eio[4], trans[32];
    snprintf(url, sizeof url, "%s%s", r->origin, path);
    snprintf(eio, sizeof eio, "%d", r->o.eio);
    snprintf(trans, sizeof trans, "%s%s%s",
             (c->client_transports & CS_T_POLLING) ? "polling" : "",
             (c->client_transports & CS_T_POLLING) && (c->client_transports & CS_T_WEBSOCKET) ? ","
                                                                                               : "",
             (c->client_transports & CS_T_WEBSOCKET) ? "websocket" : "");
    static const char *const keys[] = {"url", "origin", "path", "case", "eio",
                                       "transports", "nsp", "auth", "layer"};
    const char *vals[] = {url, r->origin, path, c->id, eio, trans, c->client_namespace,
                          c->client_auth != NULL ? c->client_auth : "",
                          cs_layer_name(c->layer)};
    dbuf cmd = {0};
    for (const char *p = r->o.exec; *p != '\0'; p++) {
        bool done = false;
        if (*p == '{') {
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                size_t kl = strlen(keys[k]);
                if (strncmp(p + 1, keys[k], kl) == 0 && p[1 + kl] == '}') {
                    shell_quote(&cmd, vals[k]);
                    p += kl + 1;
                    done = true;
                    break;
                }
            }
        }
        if (!done) {
            db_add(&cmd, p, 1);
        }
    }
    if (cmd.oom) {
        db_free(&cmd);
        return fail(r, "out of memory");
    }
    int pfd[2];
    if (pipe(pfd) != 0) {
        db_free(&cmd);
        return fail(r, "pipe: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        db_free(&cmd);
        return fail(r, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        execl("/bin/sh", "sh", "-c", cmd.p, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    r->child = pid;
    r->child_fd = pfd[0];
    net_fd_watch(r->loop, pfd[0], child_readable, r);
    *cmd_out = db_take(&cmd);
    return 0;
}

static void stop_child(cr_runner *r)
{
    if (r->child <= 0) {
        return;
    }
    int status = 0;
    pid_t w = waitpid(r->child, &status, WNOHANG);
    if (w == 0) {
        kill(-r->child, SIGTERM);
        kill(r->child, SIGTERM);
        net_time dl = net_now(r->loop) + 2000;
        while ((w = waitpid(r->child, &status, WNOHANG)) == 0 && net_now(r->loop) < dl) {
            net_run_once(r->loop, net_now(r->loop) + 20);
        }
        if (w == 0) {
            kill(-r->child, SIGKILL);
            kill(r->child, SIGKILL);
            w = waitpid(r->child, &status, 0);
        }
        note(r, NULL, "client under test stopped by the harness");
    } else if (w == r->child) {
        if (WIFEXITED(status)) {
            note(r, NULL, "client under test exited with status %d", WEXITSTATUS(status));
        } else if (WIFSIGNALED(status)) {
            note(r, NULL, "client under test killed by signal %d", WTERMSIG(status));
        }
    }
    /* Let the other processes of its group go too. */
    kill(-r->child, SIGKILL);
    if (r->child_fd >= 0) {
        /* drain what is left */
        for (int i = 0; i < 64 && r->child_fd >= 0; i++) {
            child_readable(r->loop, r->child_fd, r);
        }
        if (r->child_fd >= 0) {
            net_fd_unwatch(r->loop, r->child_fd);
            close(r->child_fd);
            r->child_fd = -1;
        }
    }
    if (r->child_out.n > 0) {
        rlog(r, NULL, '*', "client output", (const uint8_t *)r->child_out.p, r->child_out.n,
             false);
    }
    db_free(&r->child_out);
    r->child = 0;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

static unsigned default_features(const cr_runner *r)
{
    if (r->o.mode == CR_MODE_CLIENT) {
        return CS_F_ECHO | CS_F_TEST_SUITE;
    }
    return r->eio_only ? CS_F_ECHO : CS_F_TEST_SUITE;
}

bool cr_case_in_scope(const cr_runner *r, const cs_case *c)
{
    bool server = r->o.mode == CR_MODE_SERVER;
    return (c->role == CS_ROLE_SERVER) == server && (c->eio_mask & (1u << r->o.eio)) != 0 &&
           !(c->layer == CS_LAYER_SIO && r->eio_only);
}

bool cr_case_applies(const cr_runner *r, const cs_case *c, const char **why)
{
    bool server = r->o.mode == CR_MODE_SERVER;
    if ((c->role == CS_ROLE_SERVER) != server) {
        *why = server ? "a client-role case" : "a server-role case";
        return false;
    }
    if (!(c->eio_mask & (1u << r->o.eio))) {
        *why = r->o.eio == 3 ? "not for Engine.IO v3" : "not for Engine.IO v4";
        return false;
    }
    if (c->layer == CS_LAYER_SIO && r->eio_only) {
        *why = server ? "a Socket.IO case, and the URL is an Engine.IO endpoint"
                      : "a Socket.IO case, and the client is an Engine.IO client (--layer eio)";
        return false;
    }
    if (c->layer == CS_LAYER_SIO && c->msgpack != r->o.msgpack) {
        *why = c->msgpack ? "needs the msgpack parser (--parser msgpack)"
                          : "needs the JSON parser (the target uses --parser msgpack)";
        return false;
    }
    unsigned missing = c->requires & ~r->features;
    if (missing & CS_F_ECHO) {
        *why = "needs feature 'echo' (an Engine.IO echo server; see --feature)";
        return false;
    }
    if (missing & CS_F_TEST_SUITE) {
        *why = "needs feature 'test-suite' (the Socket.IO test-suite server; see --feature)";
        return false;
    }
    return true;
}

void cr_result_free(cr_result *res)
{
    free(res->reason);
    free(res->expected);
    free(res->actual);
    for (size_t i = 0; i < res->n_log; i++) {
        free(res->log[i].what);
        free(res->log[i].data);
    }
    free(res->log);
    memset(res, 0, sizeof *res);
}

static void case_teardown(cr_runner *r)
{
    for (size_t i = 0; i < r->n_all; i++) {
        rconn *c = r->all[i];
        if (c->ping_timer != 0) {
            net_timer_cancel(r->loop, c->ping_timer);
            c->ping_timer = 0;
        }
        if (!c->active) {
            continue;
        }
        switch (c->kind) {
        case CS_CONN_HTTP:
            net_http_abort(r->loop, c->handle);
            break;
        case CS_CONN_WS:
        case CS_CONN_WS_IN:
            net_ws_drop(r->loop, c->handle);
            break;
        case CS_CONN_REQ_IN:
            if (!c->answered) {
                net_server_drop(r->loop, c->handle);
            }
            break;
        }
        c->active = false;
    }
    stop_child(r);
    /* Late callbacks of dropped connections find nothing (by serial). */
    for (size_t i = 0; i < r->n_all; i++) {
        conn_free(r->all[i]);
    }
    free(r->all);
    r->all = NULL;
    r->n_all = r->cap_all = 0;
    memset(r->conns, 0, sizeof r->conns);
    vars_clear(r);
    free(r->why);
    r->why = NULL;
    free(r->nonstrict_why);
    r->nonstrict_why = NULL;
    r->nonstrict = false;
    r->refuse_ws = 0;
    r->c = NULL;
    r->res = NULL;
}

static char *expected_text(const cs_case *c, const cs_step *st)
{
    dbuf b = {0};
    if (st->kind == CS_STEP_EITHER) {
        db_str(&b, "one of:");
        for (size_t i = 0; i < st->n_branches; i++) {
            const cs_branch *br = &st->branches[i];
            db_fmt(&b, "\n  [%s%s%s]", br->grade == CS_GRADE_PASS          ? "pass"
                                       : br->grade == CS_GRADE_NONSTRICT   ? "non-strict"
                                       : br->grade == CS_GRADE_UNSUPPORTED ? "unsupported"
                                                                           : "known failure",
                   br->note ? ": " : "", br->note ? br->note : "");
            for (size_t k = 0; k < br->n_steps; k++) {
                db_fmt(&b, "\n    %s", br->steps[k].src);
            }
        }
    } else {
        db_str(&b, st->src);
    }
    (void)c;
    return db_take(&b);
}

void cr_run_case(cr_runner *r, const cs_case *c, cr_result *out)
{
    memset(out, 0, sizeof *out);
    out->c = c;
    r->c = c;
    r->res = out;
    r->t0 = net_now(r->loop);
    g_runner = r;
    char eio[4];
    snprintf(eio, sizeof eio, "%d", r->o.eio);
    var_set(r, "EIO", eio, strlen(eio), true);
    if (r->o.mode == CR_MODE_SERVER) {
        var_set(r, "path", r->path, strlen(r->path), true);
    } else {
        const char *p = c->layer == CS_LAYER_EIO ? "/engine.io/" : "/socket.io/";
        var_set(r, "path", p, strlen(p), true);
        var_set(r, "origin", r->origin, strlen(r->origin), true);
    }
    int rc = 0;
    const cs_step *decider = NULL;
    if (r->o.mode == CR_MODE_CLIENT) {
        if (r->o.exec != NULL) {
            char *cmd = NULL;
            if (start_child(r, c, &cmd) != 0) {
                rc = ST_FAIL;
            } else {
                note(r, NULL, "started the client under test: %s", cmd);
                free(cmd);
            }
        } else {
            fprintf(stderr, "sioc conform: case %s: waiting for the client at %s%s\n", c->id,
                    r->origin, c->layer == CS_LAYER_EIO ? "/engine.io/" : "/socket.io/");
        }
    }
    for (size_t i = 0; i < c->n_steps && rc == 0; i++) {
        rc = run_step(r, &c->steps[i]);
        if (rc != 0) {
            decider = &c->steps[i];
        }
    }
    cr_verdict v;
    bool failed = rc == ST_FAIL || rc == ST_KNOWN_FAIL;
    if (rc == ST_UNSUPPORTED) {
        v = CR_UNSUPPORTED;
    } else if (failed) {
        switch (c->level) {
        case CS_MUST:
            v = CR_FAIL;
            break;
        case CS_SHOULD:
            v = r->o.strict ? CR_FAIL : CR_NONSTRICT;
            break;
        case CS_IMPL:
            v = CR_NONSTRICT;
            break;
        default:
            v = CR_INFO;
            break;
        }
    } else if (c->level == CS_INFO) {
        v = CR_INFO;
    } else if (r->nonstrict) {
        v = CR_NONSTRICT;
    } else {
        v = CR_PASS;
    }
    out->verdict = v;
    if (rc != 0) {
        out->reason = xstrdup(r->why != NULL ? r->why : "failed");
        out->actual = xstrdup(r->why);
        if (decider != NULL) {
            out->step_line = decider->line;
            out->expected = expected_text(c, decider);
        }
        note(r, NULL, "line %d: %s", out->step_line, out->reason != NULL ? out->reason : "");
    } else if (r->nonstrict) {
        out->reason = xstrdup(r->nonstrict_why);
    }
    out->duration_ms = since(r);
    case_teardown(r);
}

/* ------------------------------------------------------------------------ */
/* Runner                                                                    */
/* ------------------------------------------------------------------------ */

int cr_runner_new(cr_runner **out, const cr_options *opt, char *err, size_t errcap)
{
    cr_runner *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    r->o = *opt;
    r->child_fd = -1;
    net_loop_options lo;
    memset(&lo, 0, sizeof lo);
    lo.insecure = opt->insecure;
    lo.ca_file = opt->ca_file;
    if (net_loop_new(&r->loop, &lo) != 0) {
        snprintf(err, errcap, "cannot create the network loop");
        free(r);
        return -1;
    }
    if (opt->mode == CR_MODE_SERVER) {
        net_url u;
        if (net_url_parse(opt->url, &u) != 0) {
            snprintf(err, errcap, "bad URL '%s' (http:// or https:// with a host)", opt->url);
            cr_runner_free(r);
            return -1;
        }
        r->tls = u.tls;
        bool v6 = strchr(u.host, ':') != NULL;
        snprintf(r->origin, sizeof r->origin, "%s://%s%s%s:%u", u.tls ? "https" : "http",
                 v6 ? "[" : "", u.host, v6 ? "]" : "", (unsigned)u.port);
        const char *q = strchr(u.target, '?');
        size_t pl = q != NULL ? (size_t)(q - u.target) : strlen(u.target);
        snprintf(r->path, sizeof r->path, "%.*s", (int)pl, u.target);
        if (q != NULL) {
            snprintf(r->query, sizeof r->query, "%s", q + 1);
        }
        if (pl == 0 || r->path[pl - 1] != '/') {
            /* Engine.IO paths end with '/' as the reference servers route them. */
            if (pl + 1 < sizeof r->path) {
                r->path[pl] = '/';
                r->path[pl + 1] = '\0';
                pl++;
            }
        }
        r->eio_only = pl >= 10 && strcmp(r->path + pl - 10, "engine.io/") == 0;
    } else {
        net_server_options so;
        memset(&so, 0, sizeof so);
        so.host = "127.0.0.1";
        so.port = opt->port;
        static const net_server_callbacks cb = {srv_request,    srv_body,       srv_closed,
                                                srv_ws_open,    srv_ws_message, srv_ws_close};
        if (net_server_new(r->loop, &r->server, &so, &cb, r) != 0) {
            snprintf(err, errcap, "cannot listen on 127.0.0.1:%u", (unsigned)opt->port);
            cr_runner_free(r);
            return -1;
        }
        snprintf(r->origin, sizeof r->origin, "http://127.0.0.1:%u",
                 (unsigned)net_server_port(r->server));
        snprintf(r->path, sizeof r->path, "/socket.io/");
        r->eio_only = opt->client_eio_only;
    }
    r->features = (default_features(r) | opt->features_on) & ~opt->features_off;
    *out = r;
    return 0;
}

void cr_runner_free(cr_runner *r)
{
    if (r == NULL) {
        return;
    }
    if (r->server != NULL) {
        net_server_free(r->server);
    }
    if (r->loop != NULL) {
        net_loop_free(r->loop);
    }
    if (g_runner == r) {
        g_runner = NULL;
    }
    free(r);
}

const char *cr_runner_origin(const cr_runner *r)
{
    return r->origin;
}
