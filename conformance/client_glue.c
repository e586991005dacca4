/*
 * client_glue.c - sio_client + eio_client over net.h (see client_glue.h).
 */
#include "client_glue.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* One network handle of an Engine.IO session: an HTTP request or a
   WebSocket. It is the `ud` of net's callbacks, so it lives until net
   promises no more callbacks for it (response delivered, abort, close). */
typedef struct cg_conn {
    sioc_client_glue *g;
    struct cg_inst *in; /* NULL: detached (see reap) */
    uint32_t conn;  /* the machine's id */
    uint64_t id;    /* net's handle */
    bool ws;
    struct cg_conn *prev, *next;
} cg_conn;

/* One Engine.IO session (one eio_client). */
typedef struct cg_inst {
    sioc_client_glue *g;
    eio_client *c;
    bool closed;   /* its CLOSE event went up */
    bool draining; /* drain_eio runs for it further up the stack */
    cg_conn *conns;
    struct cg_inst *next;
} cg_inst;

struct sioc_client_glue {
    net_loop *loop;
    char *base_url;
    char *path, *query, *headers;
    sio_client_options so;
    eio_client_options eo;
    sioc_client_glue_event_fn on_event;
    sioc_client_glue_eio_fn on_eio_event;
    void *ud;
    sio_client *s;
    cg_inst *insts; /* oldest first */
    cg_conn *detached; /* requests outliving their session */
    cg_inst *cur;
    bool draining;  /* drain_sio runs further up the stack */
    int depth;      /* entry points on the stack */
    uint64_t timer;
    net_time timer_at;
    int error;
};

static void drain_sio(sioc_client_glue *g);

static eio_time now_of(const sioc_client_glue *g)
{
    return (eio_time)net_now(g->loop);
}

static void note_error(sioc_client_glue *g, int rc)
{
    if (rc != 0 && g->error == 0) {
        g->error = rc;
    }
}

static char *dup_or_null(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s);
    char *r = malloc(n + 1);
    if (r != NULL) {
        memcpy(r, s, n + 1);
    }
    return r;
}

/* A uniform double in [0, 1) from the kernel's generator (53 bits). */
static double glue_random(void *ud)
{
    (void)ud;
    uint64_t v = 0;
    size_t got = 0;
    while (got < sizeof v) {
        ssize_t n = getrandom((uint8_t *)&v + got, sizeof v - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            /* No entropy source at all: the jitter only spreads reconnections,
               a fixed midpoint keeps the delays valid. */
            return 0.5;
        }
        got += (size_t)n;
    }
    return (double)(v >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------------ */
/* Network handles                                                           */
/* ------------------------------------------------------------------------ */

static cg_conn **conn_head(cg_conn *k)
{
    return k->in != NULL ? &k->in->conns : &k->g->detached;
}

static void conn_link(cg_conn *k)
{
    cg_conn **head = conn_head(k);
    k->prev = NULL;
    k->next = *head;
    if (*head != NULL) {
        (*head)->prev = k;
    }
    *head = k;
}

static void conn_unlink(cg_conn *k)
{
    if (k->prev != NULL) {
        k->prev->next = k->next;
    } else {
        *conn_head(k) = k->next;
    }
    if (k->next != NULL) {
        k->next->prev = k->prev;
    }
    k->prev = k->next = NULL;
}

static cg_conn *conn_add(cg_inst *in, uint32_t conn, bool ws)
{
    cg_conn *k = calloc(1, sizeof *k);
    if (k == NULL) {
        return NULL;
    }
    k->g = in->g;
    k->in = in;
    k->conn = conn;
    k->ws = ws;
    conn_link(k);
    return k;
}

static void conn_remove(cg_conn *k)
{
    conn_unlink(k);
    free(k);
}

static cg_conn *conn_find(cg_inst *in, uint32_t conn)
{
    for (cg_conn *k = in->conns; k != NULL; k = k->next) {
        if (k->conn == conn) {
            return k;
        }
    }
    return NULL;
}

/* Ends a handle without telling the machine (it asked for it, or is gone). */
static void conn_shut(sioc_client_glue *g, cg_conn *k)
{
    if (k->id != 0) {
        if (k->ws) {
            net_ws_close(g->loop, k->id, 1000);
        } else {
            net_http_abort(g->loop, k->id);
        }
    }
    conn_remove(k);
}

/* ------------------------------------------------------------------------ */
/* Entry points: every callback from net and every public call that runs    */
/* machines goes through enter/leave, which reap and rearm at the outermost */
/* ------------------------------------------------------------------------ */

static void reap(sioc_client_glue *g)
{
    cg_inst **pp = &g->insts;
    while (*pp != NULL) {
        cg_inst *in = *pp;
        if (in->closed && in != g->cur) {
            /* A request the machine left running is the POST carrying a
               forced close's `1`: let it reach the server, without a
               session to report to. WebSockets still open are closed. */
            while (in->conns != NULL) {
                cg_conn *k = in->conns;
                if (k->ws || k->id == 0) {
                    conn_shut(g, k);
                } else {
                    conn_unlink(k);
                    k->in = NULL;
                    conn_link(k);
                }
            }
            eio_client_free(in->c);
            *pp = in->next;
            free(in);
        } else {
            pp = &in->next;
        }
    }
}

static void on_timer(net_loop *l, uint64_t timer, void *ud);

static void rearm(sioc_client_glue *g)
{
    eio_time at = sio_client_get_expiry(g->s);
    for (cg_inst *in = g->insts; in != NULL; in = in->next) {
        if (!in->closed) {
            eio_time e = eio_client_get_expiry(in->c);
            if (e < at) {
                at = e;
            }
        }
    }
    if (g->timer != 0 && g->timer_at == at) {
        return;
    }
    if (g->timer != 0) {
        net_timer_cancel(g->loop, g->timer);
        g->timer = 0;
    }
    g->timer_at = at;
    if (at != EIO_TIME_NEVER) {
        g->timer = net_timer_add(g->loop, (net_time)at, on_timer, g);
        if (g->timer == 0) {
            note_error(g, EIO_ERR_NOMEM);
        }
    }
}

static void enter(sioc_client_glue *g)
{
    g->depth++;
}

static void leave(sioc_client_glue *g)
{
    if (--g->depth == 0) {
        reap(g);
        rearm(g);
    }
}

/* ------------------------------------------------------------------------ */
/* Engine.IO side                                                            */
/* ------------------------------------------------------------------------ */

static void drain_eio(cg_inst *in);

/* Ends a network callback that fed the machine of `in` (`rc`, what the
   machine answered): sends what the machine has to send. */
static void fed(sioc_client_glue *g, cg_inst *in, int rc)
{
    note_error(g, rc);
    drain_eio(in);
    leave(g);
}

static void http_done(net_loop *l, uint64_t req, const net_http_response *r, void *ud)
{
    (void)l;
    (void)req;
    cg_conn *k = ud;
    cg_inst *in = k->in;
    sioc_client_glue *g = k->g;
    uint32_t conn = k->conn;
    conn_remove(k);
    if (in == NULL) {
        return; /* detached: its session is gone */
    }
    enter(g);
    int rc;
    if (r->status == 0) {
        rc = eio_client_http_failed(in->c, conn, now_of(g));
    } else {
        rc = eio_client_http_response(in->c, conn, r->status, r->content_type, r->body, r->len,
                                      now_of(g));
    }
    fed(g, in, rc);
}

static void ws_on_open(net_loop *l, uint64_t ws, void *ud)
{
    (void)l;
    (void)ws;
    cg_conn *k = ud;
    cg_inst *in = k->in;
    sioc_client_glue *g = in->g;
    enter(g);
    fed(g, in, eio_client_ws_opened(in->c, k->conn, now_of(g)));
}

static void ws_on_message(net_loop *l, uint64_t ws, const uint8_t *data, size_t len, bool binary,
                          void *ud)
{
    (void)l;
    (void)ws;
    cg_conn *k = ud;
    cg_inst *in = k->in;
    sioc_client_glue *g = in->g;
    enter(g);
    fed(g, in, eio_client_ws_message(in->c, k->conn, data, len, binary, now_of(g)));
}

static void ws_on_close(net_loop *l, uint64_t ws, int code, const char *why, void *ud)
{
    (void)l;
    (void)ws;
    (void)code;
    (void)why;
    cg_conn *k = ud;
    cg_inst *in = k->in;
    sioc_client_glue *g = in->g;
    uint32_t conn = k->conn;
    conn_remove(k);
    enter(g);
    fed(g, in, eio_client_ws_closed(in->c, conn, now_of(g)));
}

static const net_ws_callbacks ws_callbacks = {
    .on_open = ws_on_open,
    .on_message = ws_on_message,
    .on_close = ws_on_close,
};

static char *full_url(const sioc_client_glue *g, const char *target)
{
    size_t a = strlen(g->base_url), b = strlen(target);
    char *u = malloc(a + b + 1);
    if (u != NULL) {
        memcpy(u, g->base_url, a);
        memcpy(u + a, target, b + 1);
    }
    return u;
}

static size_t max_body(const sioc_client_glue *g)
{
    size_t m = g->eo.limits.max_payload;
    return m != 0 ? m : EIO_DEFAULT_MAX_PAYLOAD;
}

/*
 * An action the network cannot even start (no memory, a URL net refuses) is
 * reported to the machine as the failure of that request or WebSocket, so
 * the session fails the way it would on a network error.
 */
static void do_eio_action(cg_inst *in, const eio_client_action *a)
{
    sioc_client_glue *g = in->g;
    switch (a->type) {
    case EIO_CLIENT_HTTP_REQUEST:
    case EIO_CLIENT_WS_OPEN: {
        bool ws = a->type == EIO_CLIENT_WS_OPEN;
        cg_conn *k = conn_add(in, a->conn, ws);
        char *url = k != NULL ? full_url(g, a->target) : NULL;
        if (url != NULL) {
            if (ws) {
                k->id = net_ws_open(g->loop, url, a->headers, max_body(g), &ws_callbacks, k);
            } else {
                net_http_request rq = {
                    .method = a->method == EIO_HTTP_POST ? "POST" : "GET",
                    .url = url,
                    .headers = a->headers,
                    .content_type = a->content_type,
                    .body = a->body,
                    .body_len = a->len,
                    .timeout_ms = 0, /* the heartbeat bounds a held GET */
                    .max_response = max_body(g),
                };
                k->id = net_http_start(g->loop, &rq, http_done, k);
            }
        }
        free(url);
        if (k == NULL || k->id == 0) {
            if (k != NULL) {
                conn_remove(k);
            }
            note_error(g, EIO_ERR_NOMEM);
            int rc = ws ? eio_client_ws_closed(in->c, a->conn, now_of(g))
                        : eio_client_http_failed(in->c, a->conn, now_of(g));
            (void)rc; /* the session closes; its CLOSE event goes up */
        }
        break;
    }
    case EIO_CLIENT_HTTP_ABORT:
    case EIO_CLIENT_WS_CLOSE: {
        cg_conn *k = conn_find(in, a->conn);
        if (k != NULL) {
            conn_shut(g, k);
        }
        break;
    }
    case EIO_CLIENT_WS_SEND: {
        cg_conn *k = conn_find(in, a->conn);
        if (k != NULL && net_ws_send(g->loop, k->id, a->body, a->len, a->binary) == NET_ERR_NOMEM) {
            /* A lost frame would break the session's stream: end it. */
            note_error(g, EIO_ERR_NOMEM);
            conn_shut(g, k);
            (void)eio_client_ws_closed(in->c, a->conn, now_of(g));
        }
        break;
    }
    }
}

/*
 * Only the current session speaks to the Socket.IO client, except for its
 * CLOSE: every session reports its end exactly once, since the Socket.IO
 * client counts the closes it asked for.
 */
static void drain_eio(cg_inst *in)
{
    sioc_client_glue *g = in->g;
    eio_client_action a;
    eio_event e;
    if (in->draining) {
        return; /* the loop further up the stack takes what is new */
    }
    in->draining = true;
    for (;;) {
        if (eio_client_next_action(in->c, &a)) {
            do_eio_action(in, &a);
            continue;
        }
        /* Fed only once its own queues are empty: the Socket.IO client's
           undrained events may point at state a new input would free. */
        if (g->draining || !eio_client_next_event(in->c, &e)) {
            break;
        }
        bool current = g->cur == in;
        switch (e.type) {
        case EIO_EVENT_OPEN:
            if (current) {
                if (g->on_eio_event != NULL) {
                    g->on_eio_event(g, &e, g->ud);
                }
                note_error(g, sio_client_eio_open(g->s, now_of(g)));
                drain_sio(g);
            }
            break;
        case EIO_EVENT_MESSAGE:
            if (current) {
                note_error(g, sio_client_eio_message(g->s, e.data, e.len, e.binary, now_of(g)));
                drain_sio(g);
            }
            break;
        case EIO_EVENT_UPGRADE:
        case EIO_EVENT_UPGRADE_FAILED:
            if (current && g->on_eio_event != NULL) {
                g->on_eio_event(g, &e, g->ud);
            }
            break;
        case EIO_EVENT_CLOSE:
            in->closed = true;
            if (g->on_eio_event != NULL) {
                g->on_eio_event(g, &e, g->ud);
            }
            note_error(g, sio_client_eio_close(g->s, e.reason, now_of(g)));
            drain_sio(g);
            break;
        default:
            break;
        }
    }
    in->draining = false;
}

static void open_eio(sioc_client_glue *g)
{
    /* The previous session, if any, stays until it has reported its CLOSE
       (one closing on request waits for its POSTs): reap() frees it then. */
    g->cur = NULL;
    cg_inst *in = calloc(1, sizeof *in);
    int rc = in != NULL ? eio_client_new(&in->c, &g->eo, NULL) : EIO_ERR_NOMEM;
    if (rc != 0) {
        free(in);
        note_error(g, rc);
        /* The open cannot even start: report it as a failed open, which the
           Socket.IO client turns into a connect error (and a retry). */
        note_error(g, sio_client_eio_close(g->s, EIO_CLOSE_TRANSPORT_ERROR, now_of(g)));
        return;
    }
    in->g = g;
    cg_inst **pp = &g->insts;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    *pp = in;
    g->cur = in;
    note_error(g, eio_client_open(in->c, now_of(g)));
    drain_eio(in);
}

static void drain_sio(sioc_client_glue *g)
{
    sio_action a;
    sio_event e;
    if (g->draining) {
        return;
    }
    g->draining = true;
    for (;;) {
        if (sio_client_next_action(g->s, &a)) {
            cg_inst *in = g->cur;
            switch (a.type) {
            case SIO_ACTION_EIO_OPEN:
                open_eio(g);
                break;
            case SIO_ACTION_EIO_SEND: {
                if (in == NULL || in->closed) {
                    break; /* the session is gone; its close report is on its way up */
                }
                eio_session_state st = eio_client_state(in->c);
                int rc = eio_client_send(in->c, a.data, a.len, a.binary, now_of(g));
                if (rc != 0 && st < EIO_STATE_CLOSING) {
                    /* A Socket.IO packet with a piece missing would corrupt
                       the stream: end the session instead. */
                    note_error(g, eio_client_close(in->c, now_of(g)));
                }
                drain_eio(in);
                break;
            }
            case SIO_ACTION_EIO_CLOSE:
                if (in != NULL && !in->closed) {
                    note_error(g, eio_client_close(in->c, now_of(g)));
                    drain_eio(in);
                }
                break;
            }
            continue;
        }
        if (!sio_client_next_event(g->s, &e)) {
            break;
        }
        g->on_event(g, &e, g->ud);
    }
    g->draining = false;
    /* Engine.IO events held back meanwhile, of any session */
    for (cg_inst *in = g->insts; in != NULL; in = in->next) {
        if (!in->closed) {
            drain_eio(in);
        }
    }
}

static void on_timer(net_loop *l, uint64_t timer, void *ud)
{
    (void)l;
    (void)timer;
    sioc_client_glue *g = ud;
    g->timer = 0;
    g->timer_at = EIO_TIME_NEVER;
    enter(g);
    eio_time now = now_of(g);
    for (cg_inst *in = g->insts; in != NULL; in = in->next) {
        if (!in->closed && eio_client_get_expiry(in->c) <= now) {
            note_error(g, eio_client_handle_expiry(in->c, now));
            drain_eio(in);
        }
    }
    if (sio_client_get_expiry(g->s) <= now) {
        note_error(g, sio_client_handle_expiry(g->s, now));
        drain_sio(g);
    }
    leave(g);
}

/* ------------------------------------------------------------------------ */
/* Public                                                                    */
/* ------------------------------------------------------------------------ */

int sioc_client_glue_new(sioc_client_glue **out, net_loop *l, const sioc_client_glue_options *o)
{
    *out = NULL;
    if (l == NULL || o == NULL || o->base_url == NULL || o->on_event == NULL) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    sioc_client_glue *g = calloc(1, sizeof *g);
    if (g == NULL) {
        return EIO_ERR_NOMEM;
    }
    g->loop = l;
    g->timer_at = EIO_TIME_NEVER;
    g->on_event = o->on_event;
    g->on_eio_event = o->on_eio_event;
    g->ud = o->ud;
    g->so = o->sio;
    if (g->so.random == NULL) {
        g->so.random = glue_random;
        g->so.random_user_data = NULL;
    }
    g->eo = o->eio;
    g->eo.version = g->so.version == SIO_V4 ? EIO_V3 : EIO_V4;
    g->base_url = dup_or_null(o->base_url);
    g->path = dup_or_null(o->eio.path);
    g->query = dup_or_null(o->eio.query);
    g->headers = dup_or_null(o->eio.extra_headers);
    g->eo.path = g->path;
    g->eo.query = g->query;
    g->eo.extra_headers = g->headers;
    int rc = 0;
    if (g->base_url == NULL || (o->eio.path != NULL && g->path == NULL) ||
        (o->eio.query != NULL && g->query == NULL) ||
        (o->eio.extra_headers != NULL && g->headers == NULL)) {
        rc = EIO_ERR_NOMEM;
    }
    if (rc == 0) {
        /* Check the Engine.IO options now rather than at the first open. */
        eio_client *probe = NULL;
        rc = eio_client_new(&probe, &g->eo, NULL);
        eio_client_free(probe);
    }
    if (rc == 0) {
        rc = sio_client_new(&g->s, &g->so, NULL);
    }
    if (rc != 0) {
        sioc_client_glue_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void sioc_client_glue_free(sioc_client_glue *g)
{
    if (g == NULL) {
        return;
    }
    if (g->timer != 0) {
        net_timer_cancel(g->loop, g->timer);
    }
    while (g->insts != NULL) {
        cg_inst *in = g->insts;
        while (in->conns != NULL) {
            conn_shut(g, in->conns);
        }
        eio_client_free(in->c);
        g->insts = in->next;
        free(in);
    }
    while (g->detached != NULL) {
        conn_shut(g, g->detached);
    }
    sio_client_free(g->s);
    free(g->base_url);
    free(g->path);
    free(g->query);
    free(g->headers);
    free(g);
}

sio_client *sioc_client_glue_sio(sioc_client_glue *g)
{
    return g->s;
}

void sioc_client_glue_drain(sioc_client_glue *g)
{
    enter(g);
    drain_sio(g);
    leave(g);
}

eio_client *sioc_client_glue_eio(sioc_client_glue *g)
{
    return g->cur != NULL ? g->cur->c : NULL;
}

size_t sioc_client_glue_live_sessions(const sioc_client_glue *g)
{
    size_t n = 0;
    for (const cg_inst *in = g->insts; in != NULL; in = in->next) {
        if (!in->closed) {
            n++;
        }
    }
    return n;
}

bool sioc_client_glue_idle(const sioc_client_glue *g)
{
    return sioc_client_glue_live_sessions(g) == 0 && g->detached == NULL;
}

int sioc_client_glue_error(const sioc_client_glue *g)
{
    return g->error;
}
