/*
 * net_lws.c - the network layer of net.h on libwebsockets (4.1 and later).
 *
 * One lws context holds everything: a client vhost (HTTP and WebSocket
 * clients, watched file descriptors) and one vhost per net_server. Every
 * lws callback lands in net_lws_callback(), which finds its object through
 * the wsi's opaque user pointer: an nh (a handle: HTTP request, WebSocket,
 * server request), an sconn (one accepted server connection, which may
 * carry several keep-alive requests in turn) or an fdw (a watched fd).
 *
 * Object lifetimes: a handle is "gone" once the application may no longer
 * see it (answered, aborted, closed, or its peer went away); it is freed
 * once it is gone and no wsi refers to it any more (LWS_CALLBACK_WSI_DESTROY
 * is the last word from lws about a wsi). Connections are never closed
 * synchronously from the outside: lws_set_timeout(LWS_TO_KILL_ASYNC) lets
 * lws close them on its next round, which is safe from inside any callback.
 */
/* POLLRDHUP (Linux) for noticing a held request's client hang up */
#define _GNU_SOURCE

#include "net.h"

#include <libwebsockets.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

#define NET_DEFAULT_MAX_RESPONSE ((size_t)64 << 20)  /* net_http_request.max_response */
#define NET_DEFAULT_MAX_WS_CLIENT ((size_t)64 << 20) /* net_ws_open max_message */
#define NET_DEFAULT_MAX_BODY ((size_t)100 << 20)     /* net_server_options.max_body */
#define NET_DEFAULT_MAX_WS_SERVER ((size_t)100 << 20)
#define NET_WRITE_CHUNK ((size_t)64 << 10)  /* HTTP body bytes per writeable callback */
#define NET_SERV_BUF ((unsigned int)64 << 10) /* lws per-thread buffer: request header lines */
#define NET_MAX_HEADER_DATA 16384 /* header bytes kept per request or response (as node) */
/* lws's own network timeouts (seconds). Client connections wait for as long
 * as the application wants (a long-polling GET may be held for minutes):
 * the application bounds them with timeout_ms. */
#define NET_CLIENT_LWS_TIMEOUT (24u * 3600u)
#define NET_SERVER_LWS_TIMEOUT 30u
#define NET_HANDLE_BUCKETS 1024
#define NET_HELD_CHECK_MS 200 /* how often held requests are checked for a hang-up */

/* ------------------------------------------------------------------------ */
/* Objects                                                                   */
/* ------------------------------------------------------------------------ */

enum obj_tag { TAG_NH = 0x4e480001, TAG_SCONN = 0x53430002, TAG_FDW = 0x46440003 };

enum nh_kind { NH_HTTP, NH_WS_CLIENT, NH_SRV_REQ, NH_SRV_WS };

/* Server request state. */
enum sr_state {
    SR_NEW,       /* inside on_request of a plain request */
    SR_UPGRADE,   /* inside on_request of a WebSocket upgrade */
    SR_BODY,      /* waiting for the request body */
    SR_WAIT,      /* waiting for net_server_respond */
    SR_WS,        /* accepted WebSocket */
};

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

typedef struct wsmsg {
    struct wsmsg *next;
    size_t len;
    bool binary;
    uint8_t data[]; /* LWS_PRE headroom, then the payload */
} wsmsg;

typedef struct sconn sconn;

typedef struct nh {
    int tag;
    enum nh_kind kind;
    uint64_t id;
    net_loop *l;
    struct nh *hnext;           /* hash chain */
    struct nh *anext, *aprev;   /* every live handle */
    struct lws *wsi;
    void *ud;
    bool gone;                  /* no more callbacks; the API answers NET_ERR_GONE */
    bool deferred;              /* on l->deferred */
    struct nh *dnext;
    bool starting;              /* inside net_http_start / net_ws_open */

    /* HTTP client */
    net_http_done_fn done;
    char *method, *target, *host_hdr, *hdr_lines, *ctype;
    uint8_t *body;
    size_t body_len, body_off;
    bool has_clen;              /* send Content-Length */
    size_t max_response;
    uint64_t timer;
    bool delivered;
    const char *fail;           /* failure to deliver (static string or err_buf) */
    char err_buf[320];
    int status;
    char *resp_ctype;
    sbuf resp_headers;
    sbuf resp_body;

    /* WebSocket, both roles */
    net_ws_callbacks wcb;       /* client */
    wsmsg *qhead, *qtail;
    size_t qbytes;
    sbuf rx;
    bool rx_active, rx_binary;
    size_t max_message;
    bool opened;
    bool closing;               /* net_ws_close: close after the queue */
    bool close_sent;            /* the close frame was handed to the socket */
    int close_code;
    int peer_code;
    char peer_why[128];
    bool close_notified;

    /* Server request */
    sconn *sc;
    enum sr_state state;
    bool websocket;
    bool head;                  /* HEAD: headers only */
    bool ws_accept;
    bool responded;             /* a response is stored (by the app or the layer) */
    bool over_limit;            /* the body is discarded */
    bool close_after;           /* close the connection once answered */
    bool hdrs_sent;
    bool rx_paused;             /* held: lws reads nothing, see srv_hold */
    int64_t req_clen;
    sbuf req_body;
    int resp_status;
    char *resp_ctype_s;
    char *resp_hdrs_s;
    uint8_t *resp_body_s;
    size_t resp_len, resp_off;
} nh;

struct sconn {
    int tag;
    net_server *srv;
    struct lws *wsi;
    nh *cur;
    sconn *next, *prev;
};

typedef struct fdw {
    int tag;
    net_loop *l;
    int fd;
    struct lws *wsi;
    net_fd_fn fn;
    void *ud;
    bool removed;
    bool hung;
    struct fdw *next;
} fdw;

typedef struct ntimer {
    uint64_t id;
    net_time at;
    net_timer_fn fn;
    void *ud;
    struct ntimer *next;
} ntimer;

struct net_server {
    net_loop *l;
    struct lws_vhost *vh;
    net_server_callbacks cb;
    void *ud;
    size_t max_body, max_message;
    uint16_t port;
    bool dead;
    bool destroy_pending;
    char *host;
    char name[48];
    sconn *conns;
    net_server *next;
};

struct net_loop {
    struct lws_context *ctx;
    struct lws_vhost *client_vh;
    net_loop_options opt;
    char *ca_file;
    uint64_t next_id;
    nh *buckets[NET_HANDLE_BUCKETS];
    nh *all;
    nh *deferred;
    ntimer *timers;             /* sorted by (at, id) */
    fdw *fds;
    net_server *servers;
    lws_sorted_usec_list_t sul_timer, sul_until, sul_defer, sul_held;
    bool held_armed;
    bool woke;
    bool until_hit;
    bool destroying;
    int depth;                  /* > 0: inside lws_service */
    uint64_t events;            /* application callbacks run */
};

#define USER_CALL(l) ((l)->events++)

static const struct lws_protocols client_protocols[3];
static const struct lws_protocols server_protocols[2];

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void sb_put(sbuf *b, const void *data, size_t len)
{
    if (b->oom)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_free(sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static char *dupstr(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static net_time mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (net_time)ts.tv_sec * 1000u + (net_time)ts.tv_nsec / 1000000u;
}

net_time net_now(const net_loop *l)
{
    (void)l;
    return mono_ms();
}

/* Kills a wsi on lws's next round (safe from inside any callback). */
static void wsi_kill(struct lws *wsi)
{
    if (wsi)
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
}

/* "Name: value\r\n" lines: every line has a token name and a colon, no bare
   CR or LF; the last line may lack its CRLF. */
static bool header_lines_valid(const char *h)
{
    if (!h)
        return true;
    const char *p = h;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        size_t i = 0;
        while (i < n && p[i] != ':') {
            unsigned char c = (unsigned char)p[i];
            if (c <= ' ' || c >= 0x7f || strchr("()<>@,;\\\"/[]?={}", c))
                return false;
            i++;
        }
        if (i == 0 || i == n)
            return false;
        for (size_t j = i; j < n; j++)
            if (p[j] == '\r' || p[j] == '\n' || p[j] == '\0')
                return false;
        p += n;
        if (eol)
            p += 2;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

static nh *nh_new(net_loop *l, enum nh_kind kind)
{
    nh *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->tag = TAG_NH;
    h->kind = kind;
    h->l = l;
    h->id = ++l->next_id;
    size_t b = (size_t)(h->id % NET_HANDLE_BUCKETS);
    h->hnext = l->buckets[b];
    l->buckets[b] = h;
    h->anext = l->all;
    if (l->all)
        l->all->aprev = h;
    l->all = h;
    return h;
}

static nh *nh_find(const net_loop *l, uint64_t id)
{
    if (!l || !id)
        return NULL;
    for (nh *h = l->buckets[id % NET_HANDLE_BUCKETS]; h; h = h->hnext)
        if (h->id == id)
            return h;
    return NULL;
}

static nh *nh_live(const net_loop *l, uint64_t id)
{
    nh *h = nh_find(l, id);
    return h && !h->gone ? h : NULL;
}

static void timer_cancel_internal(net_loop *l, uint64_t id);

static void nh_free(nh *h)
{
    net_loop *l = h->l;
    nh **pp = &l->buckets[h->id % NET_HANDLE_BUCKETS];
    while (*pp && *pp != h)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = h->hnext;
    if (h->aprev)
        h->aprev->anext = h->anext;
    else
        l->all = h->anext;
    if (h->anext)
        h->anext->aprev = h->aprev;
    if (h->timer && !l->destroying)
        timer_cancel_internal(l, h->timer);
    free(h->method);
    free(h->target);
    free(h->host_hdr);
    free(h->hdr_lines);
    free(h->ctype);
    free(h->body);
    free(h->resp_ctype);
    sb_free(&h->resp_headers);
    sb_free(&h->resp_body);
    for (wsmsg *m = h->qhead, *n; m; m = n) {
        n = m->next;
        free(m);
    }
    sb_free(&h->rx);
    sb_free(&h->req_body);
    free(h->resp_ctype_s);
    free(h->resp_hdrs_s);
    free(h->resp_body_s);
    free(h);
}

/* Frees `h` when nothing refers to it any more. */
static void nh_maybe_free(nh *h)
{
    if (h->gone && !h->wsi && !h->sc && !h->deferred)
        nh_free(h);
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */
/* ------------------------------------------------------------------------ */

static void sul_timer_cb(lws_sorted_usec_list_t *sul);

static void timers_reschedule(net_loop *l)
{
    if (l->destroying)
        return;
    if (!l->timers) {
        lws_sul_schedule(l->ctx, 0, &l->sul_timer, sul_timer_cb, LWS_SET_TIMER_USEC_CANCEL);
        return;
    }
    net_time now = mono_ms();
    net_time at = l->timers->at;
    lws_usec_t us = at > now ? (lws_usec_t)(at - now) * 1000 : 0;
    lws_sul_schedule(l->ctx, 0, &l->sul_timer, sul_timer_cb, us);
}

static void sul_timer_cb(lws_sorted_usec_list_t *sul)
{
    net_loop *l = lws_container_of(sul, net_loop, sul_timer);
    net_time now = mono_ms();
    /* Timers added by the callbacks below wait for the next round. */
    uint64_t limit = l->next_id;
    bool fired = false;
    for (;;) {
        ntimer **pp = &l->timers, *t = NULL;
        while (*pp && (*pp)->at <= now) {
            if ((*pp)->id <= limit) {
                t = *pp;
                *pp = t->next;
                break;
            }
            pp = &(*pp)->next;
        }
        if (!t)
            break;
        net_timer_fn fn = t->fn;
        void *ud = t->ud;
        uint64_t id = t->id;
        free(t);
        USER_CALL(l);
        fn(l, id, ud);
        fired = true;
    }
    timers_reschedule(l);
    if (fired)
        lws_cancel_service(l->ctx); /* see sul_until_cb */
}

uint64_t net_timer_add(net_loop *l, net_time at, net_timer_fn fn, void *ud)
{
    if (!l || !fn)
        return 0;
    ntimer *t = calloc(1, sizeof(*t));
    if (!t)
        return 0;
    t->id = ++l->next_id;
    t->at = at;
    t->fn = fn;
    t->ud = ud;
    ntimer **pp = &l->timers;
    while (*pp && (*pp)->at <= at)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    if (l->timers == t)
        timers_reschedule(l);
    return t->id;
}

static void timer_cancel_internal(net_loop *l, uint64_t id)
{
    for (ntimer **pp = &l->timers; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            ntimer *t = *pp;
            bool first = t == l->timers;
            *pp = t->next;
            free(t);
            if (first)
                timers_reschedule(l);
            return;
        }
    }
}

void net_timer_cancel(net_loop *l, uint64_t timer)
{
    if (l && timer)
        timer_cancel_internal(l, timer);
}

/* ------------------------------------------------------------------------ */
/* Deferred deliveries (failures met inside net_http_start / net_ws_open)   */
/* ------------------------------------------------------------------------ */

static void http_deliver(nh *h);
static void ws_notify_close(nh *h, int code, const char *why);

static void sul_defer_cb(lws_sorted_usec_list_t *sul)
{
    net_loop *l = lws_container_of(sul, net_loop, sul_defer);
    while (l->deferred) {
        nh *h = l->deferred;
        l->deferred = h->dnext;
        h->deferred = false;
        h->dnext = NULL;
        if (!h->gone) {
            if (h->kind == NH_HTTP)
                http_deliver(h);
            else
                ws_notify_close(h, 0, h->fail ? h->fail : "connection failed");
        }
        nh_maybe_free(h);
    }
    lws_cancel_service(l->ctx); /* see sul_until_cb */
}

static void defer_failure(nh *h)
{
    net_loop *l = h->l;
    if (h->deferred)
        return;
    h->deferred = true;
    h->dnext = NULL;
    nh **pp = &l->deferred;
    while (*pp)
        pp = &(*pp)->dnext;
    *pp = h;
    lws_sul_schedule(l->ctx, 0, &l->sul_defer, sul_defer_cb, 0);
}

/* ------------------------------------------------------------------------ */
/* Header helpers                                                            */
/* ------------------------------------------------------------------------ */

/* Header names lws does not parse into tokens, probed by name (lws 4.1 has
   no way to list them). */
static const char *const custom_probe[] = {
    "access-control-allow-credentials:",
    "access-control-allow-headers:",
    "access-control-allow-methods:",
    "access-control-expose-headers:",
    "access-control-max-age:",
    "access-control-request-method:",
    "access-control-request-headers:",
    "keep-alive:",
    "x-forwarded-proto:",
    "x-forwarded-host:",
    "x-powered-by:",
    "x-request-id:",
    "x-my-header:",
    "x-custom-header:",
    "x-token:",
    "x-api-key:",
    "sec-fetch-mode:",
    "sec-fetch-site:",
    "sec-fetch-dest:",
    "priority:",
    "dnt:",
};

/* Appends every header lws kept as "name: value\r\n" lines; a header that
   came several times (set-cookie) gives one line each. */
static void collect_headers(struct lws *wsi, sbuf *out)
{
    char stack[1024];
    for (int i = 0; i < (int)WSI_TOKEN_COUNT; i++) {
        enum lws_token_indexes t = (enum lws_token_indexes)i;
        if (t == WSI_TOKEN_HTTP_URI_ARGS)
            continue;
        const char *name = (const char *)lws_token_to_string(t);
        if (!name || !*name || name[0] == ':')
            continue;
        size_t nl = strlen(name);
        if (name[nl - 1] != ':')
            continue; /* methods, "http/1.1 " */
        if (lws_hdr_total_length(wsi, t) <= 0)
            continue;
        for (int f = 0;; f++) {
            int len = lws_hdr_fragment_length(wsi, t, f);
            if (len < 0)
                break;
            char *v = (size_t)len + 1 <= sizeof(stack) ? stack : malloc((size_t)len + 1);
            if (!v) {
                out->oom = true;
                return;
            }
            int n = lws_hdr_copy_fragment(wsi, v, len + 1, t, f);
            if (n >= 0) {
                const char *vs = v;
                while (n > 0 && (*vs == ' ' || *vs == '\t')) {
                    vs++;
                    n--;
                }
                sb_put(out, name, nl - 1);
                sb_str(out, ": ");
                sb_put(out, vs, (size_t)n);
                sb_str(out, "\r\n");
            }
            if (v != stack)
                free(v);
            if (n < 0)
                break;
        }
    }
#if defined(LWS_WITH_CUSTOM_HEADERS)
    for (size_t k = 0; k < sizeof(custom_probe) / sizeof(custom_probe[0]); k++) {
        const char *name = custom_probe[k];
        int nl = (int)strlen(name);
        int len = lws_hdr_custom_length(wsi, name, nl);
        if (len < 0)
            continue;
        char *v = (size_t)len + 1 <= sizeof(stack) ? stack : malloc((size_t)len + 1);
        if (!v) {
            out->oom = true;
            return;
        }
        int n = lws_hdr_custom_copy(wsi, v, len + 1, name, nl);
        if (n >= 0) {
            sb_put(out, name, (size_t)nl - 1);
            sb_str(out, ": ");
            sb_put(out, v, (size_t)n);
            sb_str(out, "\r\n");
        }
        if (v != stack)
            free(v);
    }
#endif
}

static char *hdr_dup(struct lws *wsi, enum lws_token_indexes t)
{
    int len = lws_hdr_total_length(wsi, t);
    if (len <= 0)
        return NULL;
    char *v = malloc((size_t)len + 1);
    if (v && lws_hdr_copy(wsi, v, len + 1, t) < 0) {
        free(v);
        return NULL;
    }
    return v;
}

/* ------------------------------------------------------------------------ */
/* URLs                                                                      */
/* ------------------------------------------------------------------------ */

int net_url_parse(const char *url, net_url *out)
{
    if (!url || !out)
        return NET_ERR_INVALID;
    memset(out, 0, sizeof(*out));
    static const struct {
        const char *scheme;
        bool tls;
        uint16_t port;
    } schemes[] = {{"http://", false, 80}, {"https://", true, 443},
                   {"ws://", false, 80},   {"wss://", true, 443}};
    const char *p = NULL;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncasecmp(url, schemes[i].scheme, n) == 0) {
            p = url + n;
            out->tls = schemes[i].tls;
            out->port = schemes[i].port;
            break;
        }
    }
    if (!p)
        return NET_ERR_INVALID;
    size_t alen = strcspn(p, "/?#");
    const char *auth = p, *aend = p + alen;
    if (memchr(auth, '@', alen))
        return NET_ERR_INVALID;
    const char *hs, *he, *portp = NULL;
    if (*auth == '[') {
        const char *rb = memchr(auth, ']', alen);
        if (!rb)
            return NET_ERR_INVALID;
        hs = auth + 1;
        he = rb;
        if (rb + 1 < aend) {
            if (rb[1] != ':')
                return NET_ERR_INVALID;
            portp = rb + 2;
        }
    } else {
        hs = auth;
        const char *colon = memchr(auth, ':', alen);
        he = colon ? colon : aend;
        if (colon)
            portp = colon + 1;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl >= sizeof(out->host))
        return NET_ERR_INVALID;
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)hs[i] <= ' ' || hs[i] == '%' || hs[i] == '/')
            return NET_ERR_INVALID;
    memcpy(out->host, hs, hl);
    if (portp) {
        if (portp == aend)
            return NET_ERR_INVALID;
        unsigned long v = 0;
        for (const char *q = portp; q < aend; q++) {
            if (*q < '0' || *q > '9')
                return NET_ERR_INVALID;
            v = v * 10 + (unsigned long)(*q - '0');
            if (v > 65535)
                return NET_ERR_INVALID;
        }
        if (v == 0)
            return NET_ERR_INVALID;
        out->port = (uint16_t)v;
    }
    const char *rest = aend;
    size_t rl = strcspn(rest, "#");
    for (size_t i = 0; i < rl; i++)
        if ((unsigned char)rest[i] <= ' ' || rest[i] == 0x7f)
            return NET_ERR_INVALID;
    size_t need = rl + (rl == 0 || rest[0] == '?' ? 1 : 0);
    if (need >= sizeof(out->target))
        return NET_ERR_INVALID;
    size_t o = 0;
    if (rl == 0 || rest[0] == '?')
        out->target[o++] = '/';
    memcpy(out->target + o, rest, rl);
    out->target[o + rl] = '\0';
    return NET_OK;
}

/* "host" or "host:port" for the Host header ([v6] when needed). */
static char *make_host_header(const net_url *u)
{
    char buf[300];
    bool v6 = strchr(u->host, ':') != NULL;
    bool dflt = u->port == (u->tls ? 443 : 80);
    if (dflt)
        snprintf(buf, sizeof(buf), v6 ? "[%s]" : "%s", u->host);
    else
        snprintf(buf, sizeof(buf), v6 ? "[%s]:%u" : "%s:%u", u->host, (unsigned)u->port);
    return dupstr(buf);
}

/* ------------------------------------------------------------------------ */
/* Loop                                                                      */
/* ------------------------------------------------------------------------ */

static void apply_log_level(int level)
{
    int mask = LLL_ERR;
    if (level >= 1)
        mask |= LLL_WARN;
    if (level >= 2)
        mask |= LLL_NOTICE | LLL_INFO | LLL_DEBUG | LLL_CLIENT;
    lws_set_log_level(mask, NULL);
}

int net_loop_new(net_loop **out, const net_loop_options *opt)
{
    if (!out)
        return NET_ERR_INVALID;
    *out = NULL;
    net_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NET_ERR_NOMEM;
    if (opt) {
        l->opt = *opt;
        if (opt->ca_file && !(l->ca_file = dupstr(opt->ca_file))) {
            free(l);
            return NET_ERR_NOMEM;
        }
    }
    l->opt.ca_file = l->ca_file;
    apply_log_level(l->opt.log_level);

    /* A peer closing mid-write must be an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);

    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    ci.user = l;
    ci.pt_serv_buf_size = NET_SERV_BUF;
    ci.max_http_header_data = NET_MAX_HEADER_DATA;
    ci.timeout_secs = NET_CLIENT_LWS_TIMEOUT;
    ci.port = CONTEXT_PORT_NO_LISTEN;
    l->ctx = lws_create_context(&ci);
    if (!l->ctx) {
        free(l->ca_file);
        free(l);
        return NET_ERR_IO;
    }

    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof(vi));
    vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.protocols = client_protocols;
    vi.vhost_name = "sioc-client";
    vi.timeout_secs = NET_CLIENT_LWS_TIMEOUT;
    vi.client_ssl_ca_filepath = l->ca_file;
    vi.user = NULL;
    l->client_vh = lws_create_vhost(l->ctx, &vi);
    if (!l->client_vh) {
        lws_context_destroy(l->ctx);
        free(l->ca_file);
        free(l);
        return NET_ERR_IO;
    }
    *out = l;
    return NET_OK;
}

void net_loop_free(net_loop *l)
{
    if (!l)
        return;
    l->destroying = true;
    lws_context_destroy(l->ctx);
    l->ctx = NULL;
    while (l->all)
        nh_free(l->all);
    for (ntimer *t = l->timers, *n; t; t = n) {
        n = t->next;
        free(t);
    }
    for (fdw *w = l->fds, *n; w; w = n) {
        n = w->next;
        free(w);
    }
    for (net_server *s = l->servers, *n; s; s = n) {
        n = s->next;
        for (sconn *c = s->conns, *cn; c; c = cn) {
            cn = c->next;
            free(c);
        }
        free(s->host);
        free(s);
    }
    free(l->ca_file);
    free(l);
}

static void sul_until_cb(lws_sorted_usec_list_t *sul)
{
    net_loop *l = lws_container_of(sul, net_loop, sul_until);
    l->until_hit = true;
    /* lws runs ripe timers before it polls: without this the poll would
       still wait for the next event */
    lws_cancel_service(l->ctx);
}

static void servers_reap(net_loop *l)
{
    for (net_server *s = l->servers; s; s = s->next) {
        if (s->destroy_pending && s->vh) {
            struct lws_vhost *vh = s->vh;
            s->vh = NULL;
            s->destroy_pending = false;
            lws_vhost_destroy(vh);
        }
    }
}

int net_run_once(net_loop *l, net_time until)
{
    if (!l || l->depth)
        return NET_ERR_INVALID;
    servers_reap(l);
    uint64_t ev0 = l->events;
    l->until_hit = false;
    if (until != NET_TIME_NEVER) {
        net_time now = mono_ms();
        lws_usec_t us = until > now ? (lws_usec_t)(until - now) * 1000 : 0;
        lws_sul_schedule(l->ctx, 0, &l->sul_until, sul_until_cb, us);
    }
    int rc = NET_OK;
    for (;;) {
        l->depth++;
        int n = lws_service(l->ctx, 0);
        l->depth--;
        servers_reap(l);
        if (n < 0) {
            rc = NET_ERR_IO;
            break;
        }
        if (l->woke || l->until_hit || l->events != ev0)
            break;
        if (until != NET_TIME_NEVER && mono_ms() >= until)
            break;
    }
    if (until != NET_TIME_NEVER)
        lws_sul_schedule(l->ctx, 0, &l->sul_until, sul_until_cb, LWS_SET_TIMER_USEC_CANCEL);
    l->woke = false;
    return rc;
}

void net_wake(net_loop *l)
{
    if (!l || !l->ctx)
        return;
    l->woke = true;
    lws_cancel_service(l->ctx);
}

/* ------------------------------------------------------------------------ */
/* File descriptors                                                          */
/* ------------------------------------------------------------------------ */

int net_fd_watch(net_loop *l, int fd, net_fd_fn fn, void *ud)
{
    if (!l || fd < 0 || !fn)
        return NET_ERR_INVALID;
    for (fdw *w = l->fds; w; w = w->next)
        if (w->fd == fd && !w->removed)
            return NET_ERR_INVALID;
    fdw *w = calloc(1, sizeof(*w));
    if (!w)
        return NET_ERR_NOMEM;
    /* lws closes the descriptors it adopts: give it a duplicate. */
    int dfd = dup(fd);
    if (dfd < 0) {
        free(w);
        return NET_ERR_IO;
    }
    w->tag = TAG_FDW;
    w->l = l;
    w->fd = fd;
    w->fn = fn;
    w->ud = ud;
    w->next = l->fds;
    l->fds = w;
    lws_adopt_desc_t ad;
    memset(&ad, 0, sizeof(ad));
    ad.vh = l->client_vh;
    ad.type = LWS_ADOPT_RAW_FILE_DESC;
    ad.fd.filefd = dfd;
    ad.vh_prot_name = "sioc-fd";
    ad.opaque = w;
    struct lws *wsi = lws_adopt_descriptor_vhost_via_info(&ad);
    if (!wsi) {
        /* lws closed dfd */
        l->fds = w->next;
        free(w);
        return NET_ERR_IO;
    }
    w->wsi = wsi;
    return NET_OK;
}

static void fdw_maybe_free(fdw *w)
{
    if (!w->removed || w->wsi)
        return;
    net_loop *l = w->l;
    for (fdw **pp = &l->fds; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            free(w);
            return;
        }
    }
}

void net_fd_unwatch(net_loop *l, int fd)
{
    if (!l)
        return;
    for (fdw *w = l->fds; w; w = w->next) {
        if (w->fd == fd && !w->removed) {
            w->removed = true;
            if (w->wsi)
                wsi_kill(w->wsi);
            else
                fdw_maybe_free(w);
            return;
        }
    }
}

static int fdw_callback(fdw *w, struct lws *wsi, enum lws_callback_reasons reason)
{
    net_loop *l = w->l;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (w->removed || l->destroying)
            return -1;
        USER_CALL(l);
        w->fn(l, w->fd, w->ud);
        return w->removed ? -1 : 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        /* lws gives up on a descriptor at hang-up or error: tell the
           application once, so it reads the end of file. */
        if (!w->removed && !w->hung && !l->destroying) {
            w->hung = true;
            USER_CALL(l);
            w->fn(l, w->fd, w->ud);
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (w->wsi == wsi)
            w->wsi = NULL;
        lws_set_opaque_user_data(wsi, NULL);
        if (!l->destroying)
            fdw_maybe_free(w);
        return 0;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* WebSocket, both roles                                                     */
/* ------------------------------------------------------------------------ */

static void ws_notify_close(nh *h, int code, const char *why)
{
    net_loop *l = h->l;
    if (h->gone || h->close_notified)
        return;
    h->close_notified = true;
    h->gone = true;
    if (l->destroying)
        return;
    if (h->kind == NH_WS_CLIENT) {
        if (h->wcb.on_close) {
            USER_CALL(l);
            h->wcb.on_close(l, h->id, code, why ? why : "", h->ud);
        }
    } else if (h->kind == NH_SRV_WS && h->sc && h->sc->srv && !h->sc->srv->dead) {
        net_server *s = h->sc->srv;
        if (s->cb.on_ws_close) {
            USER_CALL(l);
            s->cb.on_ws_close(l, h->id, code, why ? why : "", s->ud);
        }
    }
}

/* Whole messages out of fragments; returns -1 to close the connection. */
static int ws_receive(nh *h, struct lws *wsi, const void *in, size_t len)
{
    net_loop *l = h->l;
    if (h->gone)
        return h->closing ? 0 : -1;
    if (!h->rx_active) {
        h->rx_active = true;
        h->rx_binary = lws_frame_is_binary(wsi) != 0;
        h->rx.len = 0;
    }
    if (h->rx.len + len > h->max_message) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        sb_free(&h->rx);
        h->rx_active = false;
        ws_notify_close(h, 1009, "message too big");
        return -1;
    }
    sb_put(&h->rx, in, len);
    if (h->rx.oom) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, NULL, 0);
        sb_free(&h->rx);
        ws_notify_close(h, 1011, "out of memory");
        return -1;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0)
        return 0;
    h->rx_active = false;
    const uint8_t *data = (const uint8_t *)(h->rx.p ? h->rx.p : "");
    size_t n = h->rx.len;
    bool bin = h->rx_binary;
    USER_CALL(l);
    if (h->kind == NH_WS_CLIENT) {
        if (h->wcb.on_message)
            h->wcb.on_message(l, h->id, data, n, bin, h->ud);
    } else {
        net_server *s = h->sc ? h->sc->srv : NULL;
        if (s && !s->dead && s->cb.on_ws_message)
            s->cb.on_ws_message(l, h->id, data, n, bin, s->ud);
    }
    /* Keep the buffer for the next message unless it was large. */
    if (h->rx.cap > ((size_t)1 << 20))
        sb_free(&h->rx);
    else
        h->rx.len = 0;
    return 0;
}

/* One queued message per writeable callback; -1 closes. */
static int ws_writeable(nh *h, struct lws *wsi)
{
    wsmsg *m = h->qhead;
    if (m) {
        h->qhead = m->next;
        if (!h->qhead)
            h->qtail = NULL;
        h->qbytes -= m->len;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len,
                          m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        free(m);
        if (n < 0)
            return -1;
        if (h->qhead || h->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (h->closing) {
        lws_close_reason(wsi, (enum lws_close_status)h->close_code, NULL, 0);
        h->close_sent = true;
        return -1;
    }
    return 0;
}

size_t net_flushing(const net_loop *l)
{
    size_t n = 0;
    if (l == NULL)
        return 0;
    for (const nh *h = l->all; h; h = h->anext) {
        if (!h->gone || !h->wsi)
            continue;
        if ((h->kind == NH_WS_CLIENT || h->kind == NH_SRV_WS) && h->closing && !h->close_sent)
            n++;
        else if (h->kind == NH_SRV_REQ && h->responded && h->sc)
            n++;
    }
    return n;
}

int net_ws_send(net_loop *l, uint64_t ws, const uint8_t *data, size_t len, bool binary)
{
    nh *h = nh_live(l, ws);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_WS_CLIENT && h->kind != NH_SRV_WS)
        return NET_ERR_INVALID;
    if (len && !data)
        return NET_ERR_INVALID;
    wsmsg *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (!m)
        return NET_ERR_NOMEM;
    m->next = NULL;
    m->len = len;
    m->binary = binary;
    if (len)
        memcpy(m->data + LWS_PRE, data, len);
    if (h->qtail)
        h->qtail->next = m;
    else
        h->qhead = m;
    h->qtail = m;
    h->qbytes += len;
    if (h->opened && h->wsi)
        lws_callback_on_writable(h->wsi);
    return NET_OK;
}

int net_ws_close(net_loop *l, uint64_t ws, int code)
{
    nh *h = nh_live(l, ws);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_WS_CLIENT && h->kind != NH_SRV_WS)
        return NET_ERR_INVALID;
    if (code == 0)
        code = 1000;
    if (code < 1000 || code > 4999)
        return NET_ERR_INVALID;
    h->gone = true;
    h->close_notified = true;
    h->closing = true;
    h->close_code = code;
    if (h->opened && h->wsi)
        lws_callback_on_writable(h->wsi);
    else if (!h->wsi)
        nh_maybe_free(h);
    /* not open yet: the queue and the close frame go once it is */
    return NET_OK;
}

int net_ws_drop(net_loop *l, uint64_t ws)
{
    nh *h = nh_live(l, ws);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_WS_CLIENT && h->kind != NH_SRV_WS)
        return NET_ERR_INVALID;
    h->gone = true;
    h->close_notified = true;
    if (h->wsi) {
        /* No close frame: the socket is shut before lws gets to it. */
        int fd = lws_get_socket_fd(h->wsi);
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
        wsi_kill(h->wsi);
    } else {
        nh_maybe_free(h);
    }
    return NET_OK;
}

size_t net_ws_buffered(const net_loop *l, uint64_t ws)
{
    nh *h = nh_live(l, ws);
    return h ? h->qbytes : 0;
}

/* ------------------------------------------------------------------------ */
/* HTTP client                                                               */
/* ------------------------------------------------------------------------ */

/* Starts the client connection of `h` (HTTP with `method`, or a WebSocket
   when `method` is NULL) to `u`. A connection that cannot even start fails
   like any later one: through the handle's callbacks, deferred to the next
   loop turn. Returns the handle's id. */
static uint64_t client_connect(net_loop *l, nh *h, const net_url *u, const char *method)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = l->ctx;
    ci.vhost = l->client_vh;
    ci.address = u->host;
    ci.port = u->port;
    ci.path = h->target;
    ci.host = h->host_hdr;
    ci.method = method;
    ci.local_protocol_name = "sioc-client";
    ci.alpn = "http/1.1";
    ci.opaque_user_data = h;
    if (method != NULL)
        ci.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    if (u->tls) {
        ci.ssl_connection |= LCCSCF_USE_SSL;
        if (l->opt.insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    uint64_t id = h->id;
    h->starting = true;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    h->starting = false;
    if (!wsi) {
        h->wsi = NULL;
        if (!h->fail) {
            snprintf(h->err_buf, sizeof(h->err_buf), "connection failed (%s port %u)", u->host,
                     (unsigned)u->port);
            h->fail = h->err_buf;
        }
        defer_failure(h);
    } else {
        h->wsi = wsi;
        /* delivered: an HTTP request whose failure was already reported */
        if (h->deferred || h->delivered)
            wsi_kill(wsi);
    }
    return id;
}

static void http_fail(nh *h, const char *why)
{
    if (h->delivered || h->gone)
        return;
    if (!h->fail) {
        snprintf(h->err_buf, sizeof(h->err_buf), "%s", why ? why : "connection failed");
        h->fail = h->err_buf;
    }
    if (h->starting)
        defer_failure(h);
    else
        http_deliver(h);
}

/* Calls `done` once with the response or the recorded failure. */
static void http_deliver(nh *h)
{
    net_loop *l = h->l;
    if (h->delivered || h->gone)
        return;
    h->delivered = true;
    h->gone = true;
    if (h->timer) {
        timer_cancel_internal(l, h->timer);
        h->timer = 0;
    }
    if (l->destroying)
        return;
    net_http_response r;
    memset(&r, 0, sizeof(r));
    if (h->fail) {
        r.status = 0;
        r.error = h->fail;
        r.headers = "";
        r.body = (const uint8_t *)"";
    } else {
        r.status = h->status;
        r.content_type = h->resp_ctype;
        r.headers = h->resp_headers.p ? h->resp_headers.p : "";
        r.body = (const uint8_t *)(h->resp_body.p ? h->resp_body.p : "");
        r.len = h->resp_body.len;
    }
    USER_CALL(l);
    h->done(l, h->id, &r, h->ud);
    if (h->wsi)
        wsi_kill(h->wsi);
}

/* timeout_ms passed (an ordinary loop timer, cancelled when the request ends) */
static void http_timeout_cb(net_loop *l, uint64_t timer, void *ud)
{
    (void)l;
    (void)timer;
    nh *h = ud;
    h->timer = 0;
    if (h->gone)
        return;
    h->fail = "timeout";
    http_deliver(h);
}

/* lws 4.1 reports most connect failures as "Unable to connect" (the errno
   is gone by then): keep its text behind a stable prefix. */
static const char *connect_error_text(const char *in, char *buf, size_t cap)
{
    if (!in || !*in)
        return "connection failed";
    if (strstr(in, "refused"))
        snprintf(buf, cap, "connection refused (%s)", in);
    else if (strstr(in, "reset"))
        snprintf(buf, cap, "connection reset (%s)", in);
    else
        snprintf(buf, cap, "connection failed (%s)", in);
    return buf;
}

uint64_t net_http_start(net_loop *l, const net_http_request *rq, net_http_done_fn done,
                        void *ud)
{
    if (!l || !rq || !rq->url || !done || (rq->body_len && !rq->body))
        return 0;
    net_url u;
    if (net_url_parse(rq->url, &u) != NET_OK)
        return 0;
    if (strncasecmp(rq->url, "ws", 2) == 0)
        return 0;
    if (!header_lines_valid(rq->headers))
        return 0;
    const char *method = rq->method && *rq->method ? rq->method : "GET";
    for (const char *p = method; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return 0;
    if (rq->content_type && strpbrk(rq->content_type, "\r\n"))
        return 0;
    nh *h = nh_new(l, NH_HTTP);
    if (!h)
        return 0;
    h->ud = ud;
    h->done = done;
    h->method = dupstr(method);
    h->target = dupstr(u.target);
    h->host_hdr = make_host_header(&u);
    h->hdr_lines = rq->headers ? dupstr(rq->headers) : NULL;
    h->ctype = rq->content_type ? dupstr(rq->content_type) : NULL;
    h->max_response = rq->max_response ? rq->max_response : NET_DEFAULT_MAX_RESPONSE;
    h->has_clen = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                  strcmp(method, "PATCH") == 0 || rq->body_len > 0;
    if (rq->body_len) {
        h->body = malloc(rq->body_len);
        if (h->body)
            memcpy(h->body, rq->body, rq->body_len);
        h->body_len = rq->body_len;
    }
    if (!h->method || !h->target || !h->host_hdr || (rq->headers && !h->hdr_lines) ||
        (rq->content_type && !h->ctype) || (rq->body_len && !h->body)) {
        h->gone = true;
        nh_free(h);
        return 0;
    }
    if (rq->timeout_ms) {
        h->timer = net_timer_add(l, mono_ms() + rq->timeout_ms, http_timeout_cb, h);
        if (!h->timer) {
            h->gone = true;
            nh_free(h);
            return 0;
        }
    }

    return client_connect(l, h, &u, h->method);
}

void net_http_abort(net_loop *l, uint64_t req)
{
    nh *h = nh_live(l, req);
    if (!h || h->kind != NH_HTTP)
        return;
    h->gone = true;
    if (h->timer) {
        timer_cancel_internal(l, h->timer);
        h->timer = 0;
    }
    if (h->wsi)
        wsi_kill(h->wsi);
    else
        nh_maybe_free(h);
}

static int http_append_headers(nh *h, struct lws *wsi, char **p, char *end)
{
    char line[128];
    if (h->ctype) {
        size_t n = strlen(h->ctype);
        if ((size_t)(end - *p) < n + 18)
            return -1;
        *p += lws_snprintf(*p, (size_t)(end - *p), "content-type: %s\r\n", h->ctype);
    }
    if (h->has_clen) {
        int n = snprintf(line, sizeof(line), "content-length: %zu\r\n", h->body_len);
        if (n < 0 || end - *p <= n)
            return -1;
        memcpy(*p, line, (size_t)n);
        *p += n;
    }
    if (h->hdr_lines && *h->hdr_lines) {
        size_t n = strlen(h->hdr_lines);
        bool crlf = n >= 2 && h->hdr_lines[n - 2] == '\r' && h->hdr_lines[n - 1] == '\n';
        if ((size_t)(end - *p) <= n + 2)
            return -1;
        memcpy(*p, h->hdr_lines, n);
        *p += n;
        if (!crlf) {
            memcpy(*p, "\r\n", 2);
            *p += 2;
        }
    }
    if (h->kind == NH_HTTP && h->body_len) {
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
    }
    return 0;
}

static int http_client_callback(nh *h, struct lws *wsi, enum lws_callback_reasons reason,
                                void *in, size_t len)
{
    net_loop *l = h->l;
    h->wsi = wsi;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (h->gone)
            return -1;
        if (http_append_headers(h, wsi, (char **)in, *(char **)in + len) < 0) {
            h->fail = "request headers too large";
            return -1;
        }
        return 0;

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
        if (h->gone)
            return -1;
        if (h->body_off >= h->body_len)
            return 0;
        size_t n = h->body_len - h->body_off;
        if (n > NET_WRITE_CHUNK)
            n = NET_WRITE_CHUNK;
        bool last = h->body_off + n == h->body_len;
        uint8_t *buf = malloc(LWS_PRE + n);
        if (!buf) {
            h->fail = "out of memory";
            return -1;
        }
        memcpy(buf + LWS_PRE, h->body + h->body_off, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (w < 0) {
            h->fail = "write failed";
            return -1;
        }
        h->body_off += n;
        if (last)
            lws_client_http_body_pending(wsi, 0);
        else
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (h->gone)
            return -1;
        h->status = (int)lws_http_client_http_response(wsi);
        h->resp_ctype = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
        collect_headers(wsi, &h->resp_headers);
        if (h->resp_headers.oom) {
            h->fail = "out of memory";
            return -1;
        }
        if (strcmp(h->method, "HEAD") == 0) {
            /* lws would wait for a body of Content-Length bytes */
            http_deliver(h);
            return -1;
        }
        return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        if (h->gone)
            return -1;
        char buf[LWS_PRE + 16384];
        char *px = buf + LWS_PRE;
        int lenx = (int)(sizeof(buf) - LWS_PRE);
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        return 0;
    }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (h->gone)
            return -1;
        if (h->resp_body.len + len > h->max_response) {
            h->fail = "response too large";
            http_deliver(h);
            return -1;
        }
        sb_put(&h->resp_body, in, len);
        if (h->resp_body.oom) {
            h->fail = "out of memory";
            http_deliver(h);
            return -1;
        }
        return 0;

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (!h->gone)
            http_deliver(h);
        /* one request per connection: do not keep it */
        return -1;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char buf[160];
        if (!h->gone && !h->fail)
            http_fail(h, connect_error_text((const char *)in, buf, sizeof(buf)));
        else if (!h->gone)
            http_fail(h, NULL);
        return 0;
    }

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (!h->gone)
            http_fail(h, h->status ? "connection closed before the end of the response"
                                   : "connection closed");
        return 0;

    default:
        (void)l;
        return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* WebSocket client                                                          */
/* ------------------------------------------------------------------------ */

uint64_t net_ws_open(net_loop *l, const char *url, const char *headers, size_t max_message,
                     const net_ws_callbacks *cb, void *ud)
{
    if (!l || !url || !cb)
        return 0;
    net_url u;
    if (net_url_parse(url, &u) != NET_OK)
        return 0;
    if (!header_lines_valid(headers))
        return 0;
    nh *h = nh_new(l, NH_WS_CLIENT);
    if (!h)
        return 0;
    h->ud = ud;
    h->wcb = *cb;
    h->max_message = max_message ? max_message : NET_DEFAULT_MAX_WS_CLIENT;
    h->target = dupstr(u.target);
    h->host_hdr = make_host_header(&u);
    h->hdr_lines = headers ? dupstr(headers) : NULL;
    if (!h->target || !h->host_hdr || (headers && !h->hdr_lines)) {
        h->gone = true;
        nh_free(h);
        return 0;
    }
    return client_connect(l, h, &u, NULL);
}

static void ws_client_fail(nh *h, const char *why)
{
    if (h->gone)
        return;
    if (h->starting) {
        if (!h->fail) {
            snprintf(h->err_buf, sizeof(h->err_buf), "%s", why);
            h->fail = h->err_buf;
        }
        defer_failure(h);
        return;
    }
    ws_notify_close(h, 0, why);
}

static int ws_client_callback(nh *h, struct lws *wsi, enum lws_callback_reasons reason,
                              void *in, size_t len)
{
    net_loop *l = h->l;
    h->wsi = wsi;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (h->gone && !h->closing)
            return -1;
        if (http_append_headers(h, wsi, (char **)in, *(char **)in + len) < 0) {
            ws_client_fail(h, "request headers too large");
            return -1;
        }
        return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        h->opened = true;
        if (h->gone) {
            if (h->closing)
                lws_callback_on_writable(wsi);
            return h->closing ? 0 : -1;
        }
        if (h->wcb.on_open) {
            USER_CALL(l);
            h->wcb.on_open(l, h->id, h->ud);
        }
        if (h->qhead || h->closing)
            lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
        return ws_receive(h, wsi, in, len);

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return ws_writeable(h, wsi);

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const uint8_t *b = in;
            h->peer_code = (b[0] << 8) | b[1];
            size_t wl = len - 2 < sizeof(h->peer_why) - 1 ? len - 2 : sizeof(h->peer_why) - 1;
            memcpy(h->peer_why, b + 2, wl);
            h->peer_why[wl] = '\0';
        } else {
            h->peer_code = 1005;
        }
        return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
        if (h->peer_code)
            ws_notify_close(h, h->peer_code, h->peer_why[0] ? h->peer_why : "closed by peer");
        else
            ws_notify_close(h, 0, "connection closed");
        return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char buf[160];
        ws_client_fail(h, connect_error_text((const char *)in, buf, sizeof(buf)));
        return 0;
    }

    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Server                                                                    */
/* ------------------------------------------------------------------------ */

/* Query arguments as lws split and decoded them ('&' and ';' separate,
   %XX and '+' decoded), encoded again: the same arguments, not always the
   same bytes. */
static void rebuild_query(struct lws *wsi, sbuf *q)
{
    static const char keep[] = "-._~!$'()*,:@/?";
    char stack[2048];
    for (int i = 0;; i++) {
        int fl = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (fl < 0)
            break;
        char *f = (size_t)fl + 1 <= sizeof(stack) ? stack : malloc((size_t)fl + 1);
        if (!f) {
            q->oom = true;
            return;
        }
        int n = lws_hdr_copy_fragment(wsi, f, fl + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) {
            if (f != stack)
                free(f);
            break;
        }
        if (i > 0)
            sb_put(q, "&", 1);
        bool eq = false;
        for (int k = 0; k < n; k++) {
            unsigned char c = (unsigned char)f[k];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c && strchr(keep, c))) {
                sb_put(q, &f[k], 1);
            } else if (c == '=' && !eq) {
                eq = true;
                sb_put(q, "=", 1);
            } else {
                char e[4];
                snprintf(e, sizeof(e), "%%%02X", c);
                sb_put(q, e, 3);
            }
        }
        if (f != stack)
            free(f);
    }
}

static const char *method_name(int m)
{
    switch (m) {
    case LWSHUMETH_GET: return "GET";
    case LWSHUMETH_POST: return "POST";
    case LWSHUMETH_OPTIONS: return "OPTIONS";
    case LWSHUMETH_PUT: return "PUT";
    case LWSHUMETH_PATCH: return "PATCH";
    case LWSHUMETH_DELETE: return "DELETE";
    case LWSHUMETH_CONNECT: return "CONNECT";
    case LWSHUMETH_HEAD: return "HEAD";
    default: return "GET";
    }
}

/* Fills the request record and calls on_request. */
static void srv_call_on_request(nh *h, struct lws *wsi, bool websocket)
{
    net_server *s = h->sc->srv;
    net_loop *l = s->l;
    sbuf path = {0}, query = {0}, headers = {0};
    char *uri = NULL;
    int ulen = 0;
    int m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
    if (uri && ulen > 0)
        sb_put(&path, uri, (size_t)ulen);
    else
        sb_str(&path, "/");
    rebuild_query(wsi, &query);
    if (!query.p)
        sb_str(&query, "");
    collect_headers(wsi, &headers);
    if (!headers.p)
        sb_str(&headers, "");
    char *ctype = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    char remote[128] = "";
    lws_get_peer_simple(wsi, remote, sizeof(remote));
    const char *rem = remote;
    if (strncmp(rem, "::ffff:", 7) == 0 && strchr(rem + 7, '.'))
        rem += 7;
    h->req_clen = -1;
    char *cl = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (cl) {
        char *e = NULL;
        long long v = strtoll(cl, &e, 10);
        if (e != cl && v >= 0)
            h->req_clen = (int64_t)v;
        free(cl);
    }
    if (path.oom || query.oom || headers.oom) {
        sb_free(&path);
        sb_free(&query);
        sb_free(&headers);
        free(ctype);
        h->gone = true; /* answered by nobody: the connection is closed */
        return;
    }
    net_server_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.conn = h->id;
    rq.method = method_name(m);
    rq.path = path.p;
    rq.query = query.p;
    rq.content_type = ctype;
    rq.content_length = h->req_clen;
    rq.headers = headers.p;
    rq.remote = rem;
    rq.websocket = websocket;
    if (s->cb.on_request) {
        USER_CALL(l);
        s->cb.on_request(l, h->id, &rq, s->ud);
    }
    sb_free(&path);
    sb_free(&query);
    sb_free(&headers);
    free(ctype);
}

/* Stores a response on request `h`. */
static int srv_store_response(nh *h, int status, const char *content_type, const char *headers,
                              const uint8_t *body, size_t len)
{
    h->resp_status = status;
    h->resp_ctype_s = content_type ? dupstr(content_type) : NULL;
    h->resp_hdrs_s = headers ? dupstr(headers) : NULL;
    if (len) {
        h->resp_body_s = malloc(len);
        if (h->resp_body_s)
            memcpy(h->resp_body_s, body, len);
    }
    h->resp_len = len;
    h->resp_off = 0;
    if ((content_type && !h->resp_ctype_s) || (headers && !h->resp_hdrs_s) ||
        (len && !h->resp_body_s)) {
        free(h->resp_ctype_s);
        free(h->resp_hdrs_s);
        free(h->resp_body_s);
        h->resp_ctype_s = h->resp_hdrs_s = NULL;
        h->resp_body_s = NULL;
        return NET_ERR_NOMEM;
    }
    h->responded = true;
    return NET_OK;
}

/* Status line and headers into buf; returns the end pointer or NULL. */
static int srv_write_headers(nh *h, struct lws *wsi)
{
    size_t extra = h->resp_hdrs_s ? strlen(h->resp_hdrs_s) : 0;
    size_t ct = h->resp_ctype_s ? strlen(h->resp_ctype_s) : 0;
    size_t cap = LWS_PRE + 1024 + extra * 2 + ct;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + cap - 1;
    int rc = -1;
    if (lws_add_http_common_headers(wsi, (unsigned int)h->resp_status, h->resp_ctype_s,
                                    (lws_filepos_t)h->resp_len, &p, end))
        goto out;
    for (const char *q = h->resp_hdrs_s; q && *q;) {
        const char *eol = strstr(q, "\r\n");
        size_t n = eol ? (size_t)(eol - q) : strlen(q);
        const char *colon = memchr(q, ':', n);
        size_t nl0 = colon ? (size_t)(colon - q) : 0;
        /* the layer frames the body itself */
        bool framing = (nl0 == 14 && strncasecmp(q, "content-length", 14) == 0) ||
                       (nl0 == 17 && strncasecmp(q, "transfer-encoding", 17) == 0);
        if (colon && !framing) {
            char name[256];
            size_t nl = (size_t)(colon - q);
            if (nl + 2 > sizeof(name))
                goto out;
            memcpy(name, q, nl);
            name[nl] = ':';
            name[nl + 1] = '\0';
            const char *v = colon + 1;
            while (v < q + n && (*v == ' ' || *v == '\t'))
                v++;
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                            (const unsigned char *)v, (int)(q + n - v), &p, end))
                goto out;
        }
        q += n;
        if (eol)
            q += 2;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        goto out;
    rc = 0;
out:
    free(buf);
    return rc;
}

/*
 * Held requests (long polling). While lws waits for the application's
 * answer it does not read from the connection, yet it still polls it: a
 * client that goes away (or pipelines its next request) would make poll()
 * return at once forever. So a held request's connection is taken out of
 * the read set (rx flow control), and a hang-up is found by polling the
 * held sockets for POLLRDHUP every NET_HELD_CHECK_MS instead.
 */
static void sul_held_cb(lws_sorted_usec_list_t *sul);

static void held_arm(net_loop *l)
{
    if (l->held_armed || l->destroying)
        return;
    l->held_armed = true;
    lws_sul_schedule(l->ctx, 0, &l->sul_held, sul_held_cb,
                     (lws_usec_t)NET_HELD_CHECK_MS * 1000);
}

static void srv_hold(nh *h, struct lws *wsi)
{
    if (h->rx_paused || h->responded || h->gone)
        return;
    h->rx_paused = true;
    lws_rx_flow_control(wsi, 0);
    held_arm(h->l);
}

static void srv_unhold(nh *h)
{
    if (!h->rx_paused)
        return;
    h->rx_paused = false;
    if (h->sc && h->sc->wsi)
        lws_rx_flow_control(h->sc->wsi, 1);
}

static bool peer_hung_up(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd pfd;
    pfd.fd = fd;
    pfd.revents = 0;
#if defined(POLLRDHUP)
    pfd.events = POLLRDHUP;
    if (poll(&pfd, 1, 0) < 0)
        return false;
    return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
#else
    /* plain TCP only: TLS records in the way hide the end of stream */
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
        return true;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
#endif
}

static void sul_held_cb(lws_sorted_usec_list_t *sul)
{
    net_loop *l = lws_container_of(sul, net_loop, sul_held);
    l->held_armed = false;
    bool any = false;
    for (net_server *s = l->servers; s; s = s->next) {
        if (s->dead)
            continue;
        for (sconn *c = s->conns; c; c = c->next) {
            nh *h = c->cur;
            if (!h || !h->rx_paused || h->gone || h->responded || !c->wsi)
                continue;
            if (peer_hung_up(lws_get_socket_fd(c->wsi))) {
                h->gone = true;
                if (s->cb.on_closed) {
                    USER_CALL(l);
                    s->cb.on_closed(l, h->id, s->ud);
                }
                wsi_kill(c->wsi);
                if (s->dead)
                    break;
            } else {
                any = true;
            }
        }
    }
    if (any)
        held_arm(l);
}

static void sconn_detach(sconn *c)
{
    nh *h = c->cur;
    if (!h)
        return;
    c->cur = NULL;
    h->sc = NULL;
    h->wsi = NULL;
    h->gone = true;
    nh_maybe_free(h);
}

/* The layer answers by itself (413, 411); the application hears on_closed. */
static void srv_refuse(nh *h, int status, const char *msg)
{
    net_server *s = h->sc->srv;
    net_loop *l = s->l;
    bool notify = !h->gone && !h->responded;
    if (!h->responded) {
        if (srv_store_response(h, status, "text/plain", "connection: close\r\n",
                               (const uint8_t *)msg, strlen(msg)) != NET_OK)
            h->responded = true; /* no memory: the connection just closes */
        h->close_after = true;
    }
    h->gone = true;
    if (notify && !s->dead && s->cb.on_closed) {
        USER_CALL(l);
        s->cb.on_closed(l, h->id, s->ud);
    }
}

static sconn *sconn_get(net_loop *l, struct lws *wsi)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    net_server *s = vh ? lws_vhost_user(vh) : NULL;
    if (!s || s->dead || l->destroying)
        return NULL;
    sconn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->tag = TAG_SCONN;
    c->srv = s;
    c->wsi = wsi;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    lws_set_opaque_user_data(wsi, c);
    return c;
}

static void sconn_free(sconn *c)
{
    net_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static nh *srv_new_request(sconn *c, struct lws *wsi)
{
    net_loop *l = c->srv->l;
    nh *h = nh_new(l, NH_SRV_REQ);
    if (!h)
        return NULL;
    h->sc = c;
    h->wsi = wsi;
    h->max_message = c->srv->max_message;
    c->cur = h;
    return h;
}

/* Writes the next part of the stored response; -1 closes. */
static int srv_http_writeable(sconn *c, struct lws *wsi)
{
    nh *h = c->cur;
    if (!h || !h->responded || h->state == SR_BODY)
        return 0;
    if (!h->hdrs_sent) {
        if (srv_write_headers(h, wsi) < 0)
            return -1;
        h->hdrs_sent = true;
        if (h->head)
            h->resp_off = h->resp_len; /* Content-Length of the body a GET would get */
        if (h->resp_len && !h->head) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else if (h->resp_off < h->resp_len) {
        size_t n = h->resp_len - h->resp_off;
        if (n > NET_WRITE_CHUNK)
            n = NET_WRITE_CHUNK;
        bool last = h->resp_off + n == h->resp_len;
        uint8_t *buf = malloc(LWS_PRE + n);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, h->resp_body_s + h->resp_off, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (w < 0)
            return -1;
        h->resp_off += n;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    bool close_after = h->over_limit || h->close_after;
    sconn_detach(c);
    if (close_after)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int server_callback(net_loop *l, struct lws *wsi, enum lws_callback_reasons reason,
                           void *in, size_t len)
{
    sconn *c = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        /* known from the start, so that net_server_free can close it */
        if (!c && !sconn_get(l, wsi))
            return -1;
        return 0;

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        if (!c && !(c = sconn_get(l, wsi)))
            return -1;
        if (!in || strcmp((const char *)in, "websocket") != 0)
            return -1;
        net_server *s = c->srv;
        if (s->dead)
            return -1;
        if (c->cur)
            sconn_detach(c);
        nh *h = srv_new_request(c, wsi);
        if (!h)
            return -1;
        h->websocket = true;
        h->state = SR_UPGRADE;
        srv_call_on_request(h, wsi, true);
        if (h->ws_accept && (!h->gone || h->closing)) {
            h->state = SR_WS;
            lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
            return 0;
        }
        if (h->responded) {
            /* Refused with a status: the response goes out now, lws then
               finishes the transaction. */
            int rc = srv_write_headers(h, wsi);
            if (rc == 0 && h->resp_len) {
                uint8_t *buf = malloc(LWS_PRE + h->resp_len);
                if (!buf)
                    rc = -1;
                else {
                    memcpy(buf + LWS_PRE, h->resp_body_s, h->resp_len);
                    if (lws_write(wsi, buf + LWS_PRE, h->resp_len, LWS_WRITE_HTTP_FINAL) < 0)
                        rc = -1;
                    free(buf);
                }
            }
            sconn_detach(c);
            return rc < 0 ? -1 : 1;
        }
        /* neither accepted nor answered (or dropped): hang up */
        sconn_detach(c);
        return -1;
    }

    case LWS_CALLBACK_HTTP: {
        if (!c && !(c = sconn_get(l, wsi)))
            return -1;
        net_server *s = c->srv;
        if (s->dead)
            return -1;
        /* A held response (long polling) must outlive lws's header-idle
           timeout. */
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        if (c->cur)
            sconn_detach(c);
        nh *h = srv_new_request(c, wsi);
        if (!h)
            return -1;
        h->state = SR_NEW;
        h->head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
        srv_call_on_request(h, wsi, false);
        if (h->gone && !h->responded) {
            sconn_detach(c);
            return -1; /* dropped, or no memory */
        }
        if (h->req_clen > 0) {
            h->state = SR_BODY;
            if ((uint64_t)h->req_clen > (uint64_t)s->max_body && !h->responded) {
                h->over_limit = true;
                srv_refuse(h, 413, "request body too large\n");
            }
            return 0;
        }
        if (h->req_clen < 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
            /* lws 4.1 does not decode chunked request bodies: what follows
               cannot be read as the next request either */
            h->close_after = true;
            srv_refuse(h, 411, "chunked request bodies are not supported: send Content-Length\n");
        }
        h->state = SR_WAIT;
        if (h->req_clen == 0 && !h->gone && !h->responded && s->cb.on_body) {
            USER_CALL(l);
            s->cb.on_body(l, h->id, (const uint8_t *)"", 0, s->ud);
            if (c->cur != h)
                return 0;
            if (h->gone && !h->responded) {
                sconn_detach(c);
                return -1;
            }
        }
        if (h->responded)
            lws_callback_on_writable(wsi);
        else
            srv_hold(h, wsi);
        return 0;
    }

    case LWS_CALLBACK_HTTP_BODY: {
        nh *h = c ? c->cur : NULL;
        if (!h || h->state != SR_BODY)
            return 0;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        if (h->over_limit || h->gone || h->responded)
            return 0; /* read and discarded */
        if (h->req_body.len + len > c->srv->max_body) {
            h->over_limit = true;
            sb_free(&h->req_body);
            srv_refuse(h, 413, "request body too large\n");
            return 0;
        }
        sb_put(&h->req_body, in, len);
        if (h->req_body.oom) {
            sb_free(&h->req_body);
            h->over_limit = true;
            srv_refuse(h, 500, "out of memory\n");
        }
        return 0;
    }

    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
        nh *h = c ? c->cur : NULL;
        if (!h || h->state != SR_BODY)
            return 0;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        h->state = SR_WAIT;
        net_server *s = c->srv;
        if (!h->gone && !h->responded && !s->dead && s->cb.on_body) {
            USER_CALL(l);
            s->cb.on_body(l, h->id, (const uint8_t *)(h->req_body.p ? h->req_body.p : ""),
                          h->req_body.len, s->ud);
            if (c->cur != h)
                return 0;
        }
        sb_free(&h->req_body);
        if (h->gone && !h->responded) {
            sconn_detach(c);
            return -1;
        }
        if (h->responded)
            lws_callback_on_writable(wsi);
        else
            srv_hold(h, wsi);
        return 0;
    }

    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!c)
            return 0;
        if (c->cur && c->cur->gone && !c->cur->responded) {
            sconn_detach(c);
            return -1;
        }
        return srv_http_writeable(c, wsi);

    case LWS_CALLBACK_CLOSED_HTTP:
        if (c && c->cur && c->cur->kind == NH_SRV_REQ) {
            nh *h = c->cur;
            net_server *s = c->srv;
            if (!h->gone && !h->responded && !s->dead && !l->destroying && s->cb.on_closed) {
                h->gone = true;
                USER_CALL(l);
                s->cb.on_closed(l, h->id, s->ud);
            }
            sconn_detach(c);
        }
        return 0;

    case LWS_CALLBACK_ESTABLISHED: {
        nh *h = c ? c->cur : NULL;
        if (!h || h->kind != NH_SRV_WS)
            return -1;
        h->opened = true;
        if (h->gone)
            return h->closing ? (lws_callback_on_writable(wsi), 0) : -1;
        net_server *s = c->srv;
        if (s->cb.on_ws_open && !s->dead) {
            USER_CALL(l);
            s->cb.on_ws_open(l, h->id, s->ud);
        }
        if (h->qhead || h->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_RECEIVE: {
        nh *h = c ? c->cur : NULL;
        if (!h || h->kind != NH_SRV_WS)
            return -1;
        return ws_receive(h, wsi, in, len);
    }

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        nh *h = c ? c->cur : NULL;
        if (!h || h->kind != NH_SRV_WS)
            return -1;
        return ws_writeable(h, wsi);
    }

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        nh *h = c ? c->cur : NULL;
        if (h && h->kind == NH_SRV_WS) {
            if (len >= 2) {
                const uint8_t *b = in;
                h->peer_code = (b[0] << 8) | b[1];
                size_t wl = len - 2 < sizeof(h->peer_why) - 1 ? len - 2 : sizeof(h->peer_why) - 1;
                memcpy(h->peer_why, b + 2, wl);
                h->peer_why[wl] = '\0';
            } else {
                h->peer_code = 1005;
            }
        }
        return 0;
    }

    case LWS_CALLBACK_CLOSED: {
        nh *h = c ? c->cur : NULL;
        if (h && h->kind == NH_SRV_WS) {
            if (h->peer_code)
                ws_notify_close(h, h->peer_code, h->peer_why[0] ? h->peer_why : "closed by peer");
            else
                ws_notify_close(h, 0, "connection closed");
            sconn_detach(c);
        }
        return 0;
    }

    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            nh *h = c->cur;
            if (h && !h->gone && !l->destroying && !c->srv->dead) {
                if (h->kind == NH_SRV_WS)
                    ws_notify_close(h, 0, "connection closed");
                else if (!h->responded && c->srv->cb.on_closed) {
                    h->gone = true;
                    USER_CALL(l);
                    c->srv->cb.on_closed(l, h->id, c->srv->ud);
                }
            }
            sconn_detach(c);
            lws_set_opaque_user_data(wsi, NULL);
            sconn_free(c);
        }
        return 0;

    default:
        return 0;
    }
}

int net_server_new(net_loop *l, net_server **out, const net_server_options *opt,
                   const net_server_callbacks *cb, void *ud)
{
    if (!out)
        return NET_ERR_INVALID;
    *out = NULL;
    if (!l || !cb)
        return NET_ERR_INVALID;
    net_server_options o;
    memset(&o, 0, sizeof(o));
    if (opt)
        o = *opt;
    if ((o.tls_cert == NULL) != (o.tls_key == NULL))
        return NET_ERR_INVALID;
    /* lws would share the listening socket of a vhost on the same address
       and port (name-based virtual hosting): here that is "in use". */
    for (net_server *o2 = l->servers; o2; o2 = o2->next)
        if (!o2->dead && o.port && o2->port == o.port &&
            strcmp(o2->host, o.host ? o.host : "127.0.0.1") == 0)
            return NET_ERR_IO;
    net_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NET_ERR_NOMEM;
    s->l = l;
    s->cb = *cb;
    s->ud = ud;
    s->max_body = o.max_body ? o.max_body : NET_DEFAULT_MAX_BODY;
    s->max_message = o.max_message ? o.max_message : NET_DEFAULT_MAX_WS_SERVER;
    s->host = dupstr(o.host ? o.host : "127.0.0.1");
    if (!s->host) {
        free(s);
        return NET_ERR_NOMEM;
    }
    snprintf(s->name, sizeof(s->name), "sioc-server-%llu", (unsigned long long)++l->next_id);

    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof(vi));
    vi.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (!strchr(s->host, ':'))
        vi.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    vi.port = o.port;
    vi.iface = s->host;
    vi.protocols = server_protocols;
    vi.vhost_name = s->name;
    vi.user = s;
    vi.server_string = "sioc";
    vi.timeout_secs = NET_SERVER_LWS_TIMEOUT;
    vi.alpn = "http/1.1";
    if (o.tls_cert) {
        vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        vi.ssl_cert_filepath = o.tls_cert;
        vi.ssl_private_key_filepath = o.tls_key;
    }
    s->vh = lws_create_vhost(l->ctx, &vi);
    if (!s->vh) {
        free(s->host);
        free(s);
        return NET_ERR_IO;
    }
    int port = lws_get_vhost_listen_port(s->vh);
    if (port <= 0 || port > 65535) {
        lws_vhost_destroy(s->vh);
        free(s->host);
        free(s);
        return NET_ERR_IO;
    }
    s->port = (uint16_t)port;
    s->next = l->servers;
    l->servers = s;
    *out = s;
    return NET_OK;
}

uint16_t net_server_port(const net_server *s) { return s ? s->port : 0; }

void net_server_free(net_server *s)
{
    if (!s || s->dead)
        return;
    net_loop *l = s->l;
    s->dead = true;
    /* lws defers a vhost's end until its connections are gone, and does
       not close them itself: close them now. */
    for (sconn *c = s->conns; c; c = c->next) {
        if (c->cur) {
            c->cur->gone = true;
            c->cur->close_notified = true;
        }
        if (c->wsi)
            wsi_kill(c->wsi);
    }
    /* lws must not destroy a vhost under one of its own callbacks: inside
       net_run_once the vhost goes when lws_service returns. The structure
       stays until net_loop_free (lws keeps a pointer to it until the vhost
       is really gone). */
    if (l->depth)
        s->destroy_pending = true;
    else if (s->vh) {
        struct lws_vhost *vh = s->vh;
        s->vh = NULL;
        lws_vhost_destroy(vh);
    }
}

int net_server_respond(net_loop *l, uint64_t conn, int status, const char *content_type,
                       const char *headers, const uint8_t *body, size_t len)
{
    nh *h = nh_live(l, conn);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_SRV_REQ || h->responded || !h->sc)
        return NET_ERR_INVALID;
    if (status < 100 || status > 999 || (len && !body) || !header_lines_valid(headers) ||
        (content_type && strpbrk(content_type, "\r\n")))
        return NET_ERR_INVALID;
    int rc = srv_store_response(h, status, content_type, headers, body, len);
    if (rc != NET_OK)
        return rc;
    /* The application is done with the handle; the layer writes it out. */
    h->gone = true;
    srv_unhold(h);
    if (h->state == SR_WAIT && h->sc && h->sc->wsi)
        lws_callback_on_writable(h->sc->wsi);
    return NET_OK;
}

int net_server_ws_accept(net_loop *l, uint64_t conn)
{
    nh *h = nh_live(l, conn);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_SRV_REQ || !h->websocket || h->state != SR_UPGRADE || h->responded)
        return NET_ERR_INVALID;
    h->ws_accept = true;
    h->kind = NH_SRV_WS; /* frames sent from now on wait for the handshake */
    return NET_OK;
}

int net_server_drop(net_loop *l, uint64_t conn)
{
    nh *h = nh_live(l, conn);
    if (!h)
        return NET_ERR_GONE;
    if (h->kind != NH_SRV_REQ && h->kind != NH_SRV_WS)
        return NET_ERR_INVALID;
    h->gone = true;
    h->close_notified = true;
    if (h->state == SR_UPGRADE || h->state == SR_NEW)
        return NET_OK; /* on_request's caller hangs up */
    if (h->sc && h->sc->wsi) {
        int fd = lws_get_socket_fd(h->sc->wsi);
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
        wsi_kill(h->sc->wsi);
    }
    return NET_OK;
}

/* ------------------------------------------------------------------------ */
/* The lws callback                                                          */
/* ------------------------------------------------------------------------ */

static int net_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                            void *in, size_t len)
{
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    net_loop *l = ctx ? lws_context_user(ctx) : NULL;
    if (!l)
        return 0;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
        return 0;
    void *op = lws_get_opaque_user_data(wsi);
    int tag = op ? *(const int *)op : 0;

    if (tag == TAG_FDW)
        return fdw_callback(op, wsi, reason);

    if (tag == TAG_NH) {
        nh *h = op;
        if (reason == LWS_CALLBACK_WSI_DESTROY) {
            if (!h->gone && !l->destroying) {
                if (h->kind == NH_HTTP)
                    http_fail(h, "connection closed");
                else if (h->kind == NH_WS_CLIENT)
                    ws_client_fail(h, "connection closed");
            }
            lws_set_opaque_user_data(wsi, NULL);
            if (h->wsi == wsi || !h->wsi)
                h->wsi = NULL;
            if (!l->destroying) {
                if (!h->deferred)
                    h->gone = true;
                nh_maybe_free(h);
            }
            return 0;
        }
        if (l->destroying)
            return 0;
        if (h->kind == NH_HTTP)
            return http_client_callback(h, wsi, reason, in, len);
        return ws_client_callback(h, wsi, reason, in, len);
    }

    /* server connections (opaque is an sconn, or not set yet) */
    struct lws_vhost *vh = lws_get_vhost(wsi);
    if (vh && vh != l->client_vh && lws_vhost_user(vh)) {
        if (l->destroying && reason != LWS_CALLBACK_WSI_DESTROY)
            return 0;
        return server_callback(l, wsi, reason, in, len);
    }
    return 0;
}

static const struct lws_protocols client_protocols[3] = {
    {"sioc-client", net_lws_callback, 0, 0, 0, NULL, 0},
    {"sioc-fd", net_lws_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocols server_protocols[2] = {
    {"sioc-server", net_lws_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
