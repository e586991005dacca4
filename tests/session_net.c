/*
 * The in-memory network of session_net.h: the glue between the Socket.IO
 * and Engine.IO machines, and a router below the Engine.IO machines.
 */
#include "session_net.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_PREFIX "/engine.io/?"
#define PATH_PREFIX_LEN 12

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

/* One Engine.IO client session (one eio_client). */
typedef struct inst {
    eio_client *c;    /* NULL once freed */
    int client;
    bool closed;      /* its CLOSE event was reported */
    bool draining;    /* drain_eio_client is running for it */
    int32_t *conn_link;
    size_t conn_cap;
} inst;

typedef struct sclient {
    sio_client *s;
    eio_client_options eo;
    int cur; /* the current instance, or -1 */
    bool draining; /* drain_sio_client is running for it */
} sclient;

/* Server side of a link. */
enum { LS_NEW, LS_PENDING, LS_ANSWERED, LS_OPEN, LS_CLOSED };
/* Client side of a link. */
enum { LC_AWAIT, LC_DONE, LC_OPEN, LC_GONE };

typedef struct link {
    int inst;
    uint32_t cconn;
    bool ws;
    int s, c;
    unsigned mark[2];
} link;

typedef enum mkind {
    M_REQ, M_ABORT, M_RESP, M_WSREQ, M_WSACCEPT, M_WSREJECT, M_FRAME, M_WSCLOSE,
} mkind;

typedef struct nmsg {
    eio_time at;
    int link;
    int dir; /* 0: client to server */
    mkind kind;
    eio_http_method method;
    int status;
    bool binary;
    char *ct;
    char *query;
    uint8_t *data;
    size_t len;
} nmsg;

struct snet {
    snet_options o;
    uint64_t rng;
    eio_time now;
    eio_server *es;
    sio_server *ss;
    sclient *cl;
    size_t ncl, clcap;
    inst **in;
    size_t nin, incap;
    link *links;
    size_t nlinks, lcap;
    nmsg **q;
    size_t nq, qcap;
    unsigned epoch;
    bool es_draining, ss_draining;
    snet_stats st;
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static bool tracing(void)
{
    static int on = -1;
    if (on < 0) {
        on = getenv("SIOC_SNET_TRACE") != NULL;
    }
    return on != 0;
}

static void fatal(const char *what, long rc, int line)
{
    fprintf(stderr, "session_net.c:%d: %s returned %ld\n", line, what, rc);
    abort();
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        long rc_ = (long)(call);                                                                   \
        if (rc_ != 0) {                                                                            \
            fatal(#call, rc_, __LINE__);                                                           \
        }                                                                                          \
    } while (0)

static void *xmalloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (p == NULL) {
        fatal("calloc", 0, __LINE__);
    }
    return p;
}

static void *xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        c *= 2;
    }
    void *r = realloc(p, c * elem);
    if (r == NULL) {
        fatal("realloc", 0, __LINE__);
    }
    *cap = c;
    return r;
}

static char *xstrdup(const char *s)
{
    size_t len = strlen(s);
    char *r = xmalloc(len + 1);
    memcpy(r, s, len);
    return r;
}

static uint64_t rnext(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int net_random(uint8_t *buf, size_t len, void *ud)
{
    snet *n = ud;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)rnext(&n->rng);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The router's queue                                                        */
/* ------------------------------------------------------------------------ */

static int new_link(snet *n, int ii, uint32_t cconn, bool ws)
{
    inst *in = n->in[ii];
    if (cconn >= in->conn_cap) {
        size_t old = in->conn_cap;
        in->conn_link = xgrow(in->conn_link, &in->conn_cap, (size_t)cconn + 1, sizeof(int32_t));
        for (size_t i = old; i < in->conn_cap; i++) {
            in->conn_link[i] = -1;
        }
    }
    n->links = xgrow(n->links, &n->lcap, n->nlinks + 1, sizeof(link));
    int li = (int)n->nlinks++;
    n->links[li] = (link){.inst = ii, .cconn = cconn, .ws = ws, .s = LS_NEW, .c = LC_AWAIT};
    in->conn_link[cconn] = li;
    return li;
}

static link *client_link(snet *n, int ii, uint32_t cconn)
{
    inst *in = n->in[ii];
    if (cconn >= in->conn_cap || in->conn_link[cconn] < 0) {
        fatal("unknown client connection", (long)cconn, __LINE__);
    }
    return &n->links[in->conn_link[cconn]];
}

static nmsg *msg_new(int li, int dir, mkind kind, const void *data, size_t len)
{
    nmsg *m = xmalloc(sizeof(*m));
    m->link = li;
    m->dir = dir;
    m->kind = kind;
    if (data != NULL || len > 0) {
        m->data = xmalloc(len);
        memcpy(m->data, data, len);
        m->len = len;
    }
    return m;
}

static void msg_free(nmsg *m)
{
    free(m->ct);
    free(m->query);
    free(m->data);
    free(m);
}

static void push(snet *n, nmsg *m)
{
    m->at = n->now;
    n->q = xgrow(n->q, &n->qcap, n->nq + 1, sizeof(*n->q));
    n->q[n->nq++] = m;
}

static nmsg *take(snet *n, size_t i)
{
    nmsg *m = n->q[i];
    memmove(n->q + i, n->q + i + 1, (n->nq - i - 1) * sizeof(*n->q));
    n->nq--;
    return m;
}

/* ------------------------------------------------------------------------ */
/* Glue: client side                                                         */
/* ------------------------------------------------------------------------ */

static void drain_sio_client(snet *n, int ci);

static void on_eio_client_action(snet *n, int ii, const eio_client_action *a)
{
    switch (a->type) {
    case EIO_CLIENT_HTTP_REQUEST:
    case EIO_CLIENT_WS_OPEN: {
        bool ws = a->type == EIO_CLIENT_WS_OPEN;
        int li = new_link(n, ii, a->conn, ws);
        if (strncmp(a->target, PATH_PREFIX, PATH_PREFIX_LEN) != 0) {
            fatal("unexpected target", 0, __LINE__);
        }
        nmsg *m = msg_new(li, 0, ws ? M_WSREQ : M_REQ, a->body, a->len);
        m->method = ws ? EIO_HTTP_GET : a->method;
        m->query = xstrdup(a->target + PATH_PREFIX_LEN);
        if (a->content_type) {
            m->ct = xstrdup(a->content_type);
        }
        push(n, m);
        break;
    }
    case EIO_CLIENT_HTTP_ABORT: {
        link *l = client_link(n, ii, a->conn);
        l->c = LC_GONE;
        push(n, msg_new((int)(l - n->links), 0, M_ABORT, NULL, 0));
        break;
    }
    case EIO_CLIENT_WS_SEND: {
        link *l = client_link(n, ii, a->conn);
        nmsg *m = msg_new((int)(l - n->links), 0, M_FRAME, a->body, a->len);
        m->binary = a->binary;
        push(n, m);
        break;
    }
    case EIO_CLIENT_WS_CLOSE: {
        link *l = client_link(n, ii, a->conn);
        l->c = LC_GONE;
        push(n, msg_new((int)(l - n->links), 0, M_WSCLOSE, NULL, 0));
        break;
    }
    }
}

/*
 * The Engine.IO session's events go up to the Socket.IO client. Only the
 * current session speaks to it, except for CLOSE: every session reports
 * its end exactly once, because the Socket.IO client counts the closes it
 * asked for and expects one report for each.
 */
static void drain_eio_client(snet *n, int ii)
{
    inst *in = n->in[ii];
    sclient *cl = &n->cl[in->client];
    eio_client_action a;
    eio_event e;
    if (in->draining) {
        return; /* the loop further up the stack takes what is new */
    }
    in->draining = true;
    while (in->c != NULL) {
        if (eio_client_next_action(in->c, &a)) {
            on_eio_client_action(n, ii, &a);
            continue;
        }
        /* The Socket.IO client is fed only once its own queues are empty:
           its undrained events may point at state a new input would free. */
        if (cl->draining || !eio_client_next_event(in->c, &e)) {
            break;
        }
        bool current = cl->cur == ii;
        switch (e.type) {
        case EIO_EVENT_OPEN:
            if (current) {
                n->st.eio_opens++;
                CHECK(sio_client_eio_open(cl->s, n->now));
                drain_sio_client(n, in->client);
            }
            break;
        case EIO_EVENT_MESSAGE:
            if (current) {
                n->st.eio_s2c++;
                CHECK(sio_client_eio_message(cl->s, e.data, e.len, e.binary, n->now));
                drain_sio_client(n, in->client);
            }
            break;
        case EIO_EVENT_UPGRADE:
            n->st.upgrades++;
            break;
        case EIO_EVENT_UPGRADE_FAILED:
            n->st.upgrade_failed++;
            break;
        case EIO_EVENT_CLOSE:
            if (tracing()) {
                fprintf(stderr, "t=%llu client %d eio session %d closed: %s\n",
                        (unsigned long long)n->now, in->client, ii,
                        eio_close_reason_name((int)e.reason));
            }
            in->closed = true;
            n->st.client_closes[e.reason & 7]++;
            CHECK(sio_client_eio_close(cl->s, e.reason, n->now));
            drain_sio_client(n, in->client);
            break;
        default:
            break;
        }
    }
    in->draining = false;
}

/*
 * Frees the Engine.IO sessions that ended and are no longer a client's
 * current one. Only from the network's own entry points: a drain may be
 * running further up the stack for the session being replaced.
 */
static void reap(snet *n)
{
    for (size_t i = 0; i < n->nin; i++) {
        inst *in = n->in[i];
        if (in->c != NULL && in->closed && n->cl[in->client].cur != (int)i) {
            eio_client_free(in->c);
            in->c = NULL;
        }
    }
}

static void open_eio_client(snet *n, int ci)
{
    sclient *cl = &n->cl[ci];
    /* The previous session, if any, is freed by reap() once it has
       reported its CLOSE: one still saying goodbye (closed on request,
       waiting for its POSTs) keeps running until then, because the
       Socket.IO client expects that report. */
    cl->cur = -1;
    inst *in = xmalloc(sizeof(*in));
    in->client = ci;
    CHECK(eio_client_new(&in->c, &cl->eo, n->o.mem));
    n->in = xgrow(n->in, &n->incap, n->nin + 1, sizeof(*n->in));
    int ii = (int)n->nin++;
    n->in[ii] = in;
    cl->cur = ii;
    CHECK(eio_client_open(in->c, n->now));
    drain_eio_client(n, ii);
}

static void drain_sio_client(snet *n, int ci)
{
    sclient *cl = &n->cl[ci];
    sio_action a;
    sio_event e;
    if (cl->draining) {
        return;
    }
    cl->draining = true;
    for (;;) {
        if (sio_client_next_action(cl->s, &a)) {
            inst *in = cl->cur >= 0 ? n->in[cl->cur] : NULL;
            switch (a.type) {
            case SIO_ACTION_EIO_OPEN:
                open_eio_client(n, ci);
                break;
            case SIO_ACTION_EIO_SEND: {
                if (in == NULL || in->c == NULL) {
                    n->st.send_refused++;
                    break;
                }
                eio_session_state st = eio_client_state(in->c);
                int rc = eio_client_send(in->c, a.data, a.len, a.binary, n->now);
                if (rc != 0 && st < EIO_STATE_CLOSING) {
                    /* A Socket.IO packet with a piece missing would corrupt
                       the stream: end the session instead. */
                    n->st.send_failed++;
                    CHECK(eio_client_close(in->c, n->now));
                } else if (rc != 0) {
                    n->st.send_refused++;
                }
                drain_eio_client(n, cl->cur);
                break;
            }
            case SIO_ACTION_EIO_CLOSE:
                if (in != NULL && in->c != NULL) {
                    CHECK(eio_client_close(in->c, n->now));
                    drain_eio_client(n, cl->cur);
                }
                break;
            }
            continue;
        }
        if (!sio_client_next_event(cl->s, &e)) {
            break;
        }
        if (n->o.on_client_event) {
            n->o.on_client_event(n, ci, &e, n->o.client_ud);
        }
    }
    cl->draining = false;
    /* Engine.IO events held back meanwhile (any of the client's sessions) */
    for (size_t i = 0; i < n->nin; i++) {
        if (n->in[i]->client == ci && n->in[i]->c != NULL && !n->in[i]->closed) {
            drain_eio_client(n, (int)i);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Glue: server side                                                         */
/* ------------------------------------------------------------------------ */

static void drain_sio_server(snet *n);

static void on_eio_server_action(snet *n, const eio_server_action *a)
{
    if (a->conn < 1 || a->conn > n->nlinks) {
        fatal("server action for an unknown connection", (long)a->conn, __LINE__);
    }
    int li = (int)a->conn - 1;
    link *l = &n->links[li];
    nmsg *m = NULL;
    switch (a->type) {
    case EIO_SERVER_HTTP_RESPOND:
        l->s = LS_ANSWERED;
        m = msg_new(li, 1, l->ws ? M_WSREJECT : M_RESP, a->body, a->len);
        m->status = a->status;
        if (a->content_type) {
            m->ct = xstrdup(a->content_type);
        }
        break;
    case EIO_SERVER_WS_ACCEPT:
        l->s = LS_OPEN;
        m = msg_new(li, 1, M_WSACCEPT, NULL, 0);
        break;
    case EIO_SERVER_WS_SEND:
        m = msg_new(li, 1, M_FRAME, a->body, a->len);
        m->binary = a->binary;
        break;
    case EIO_SERVER_WS_CLOSE:
        l->s = LS_CLOSED;
        m = msg_new(li, 1, M_WSCLOSE, NULL, 0);
        break;
    }
    if (m != NULL) {
        push(n, m);
    }
}

static void drain_eio_server(snet *n)
{
    eio_server_action a;
    eio_event e;
    if (n->es_draining) {
        return;
    }
    n->es_draining = true;
    for (;;) {
        if (eio_server_next_action(n->es, &a)) {
            on_eio_server_action(n, &a);
            continue;
        }
        if (n->ss_draining || !eio_server_next_event(n->es, &e)) {
            break;
        }
        switch (e.type) {
        case EIO_EVENT_OPEN:
            CHECK(sio_server_eio_open(n->ss, e.session, e.version, n->now));
            drain_sio_server(n);
            break;
        case EIO_EVENT_MESSAGE:
            n->st.eio_c2s++;
            CHECK(sio_server_eio_message(n->ss, e.session, e.data, e.len, e.binary, n->now));
            drain_sio_server(n);
            break;
        case EIO_EVENT_CLOSE:
            n->st.server_closes[e.reason & 7]++;
            CHECK(sio_server_eio_close(n->ss, e.session, e.reason, n->now));
            drain_sio_server(n);
            break;
        default:
            break;
        }
    }
    n->es_draining = false;
}

static void drain_sio_server(snet *n)
{
    sio_action a;
    sio_event e;
    if (n->ss_draining) {
        return;
    }
    n->ss_draining = true;
    for (;;) {
        if (sio_server_next_action(n->ss, &a)) {
            if (a.type == SIO_ACTION_EIO_SEND) {
                eio_session_state st = eio_server_session_state(n->es, a.session);
                int rc = eio_server_send(n->es, a.session, a.data, a.len, a.binary, n->now);
                if (rc != 0 && st < EIO_STATE_CLOSING) {
                    n->st.send_failed++;
                    CHECK(eio_server_close_session(n->es, a.session, n->now));
                } else if (rc != 0) {
                    n->st.send_refused++;
                }
            } else if (a.type == SIO_ACTION_EIO_CLOSE) {
                if (eio_server_session_state(n->es, a.session) < EIO_STATE_CLOSING) {
                    CHECK(eio_server_close_session(n->es, a.session, n->now));
                }
            }
            drain_eio_server(n);
            continue;
        }
        if (!sio_server_next_event(n->ss, &e)) {
            break;
        }
        if (n->o.on_server_event) {
            n->o.on_server_event(n, &e, n->o.server_ud);
        }
    }
    n->ss_draining = false;
    drain_eio_server(n); /* events held back meanwhile */
}

void snet_client_drain(snet *n, int client)
{
    drain_sio_client(n, client);
}

void snet_server_drain(snet *n)
{
    drain_eio_server(n);
    drain_sio_server(n);
}

/* ------------------------------------------------------------------------ */
/* Deliveries                                                                */
/* ------------------------------------------------------------------------ */

static eio_client *live_client(snet *n, const link *l)
{
    return n->in[l->inst]->c;
}

void snet_deliver(snet *n, size_t qi)
{
    reap(n);
    nmsg *m = take(n, qi);
    link *l = &n->links[m->link];
    uint32_t sconn = (uint32_t)m->link + 1;
    eio_client *c = live_client(n, l);
    n->st.deliveries++;
    if (tracing()) {
        fprintf(stderr, "t=%llu link %d %s kind %d status %d q=%s len %zu: %.*s\n",
                (unsigned long long)n->now, m->link, m->dir ? "<-" : "->", (int)m->kind,
                m->status, m->query ? m->query : "", m->len, (int)(m->len < 60 ? m->len : 60),
                m->data ? (const char *)m->data : "");
    }
    switch (m->kind) {
    case M_REQ:
    case M_WSREQ: {
        eio_server_request rq;
        memset(&rq, 0, sizeof(rq));
        rq.conn = sconn;
        rq.method = m->method;
        rq.query = m->query;
        rq.query_len = strlen(m->query);
        rq.content_type = m->ct;
        rq.body = m->data;
        rq.body_len = m->len;
        rq.content_length = -1;
        rq.websocket = m->kind == M_WSREQ;
        l->s = LS_PENDING;
        CHECK(eio_server_handle_request(n->es, &rq, n->now));
        drain_eio_server(n);
        break;
    }
    case M_ABORT:
        if (l->s == LS_PENDING) {
            l->s = LS_CLOSED;
        }
        CHECK(eio_server_http_closed(n->es, sconn, n->now));
        drain_eio_server(n);
        break;
    case M_FRAME:
        if (m->dir == 0) {
            CHECK(eio_server_ws_message(n->es, sconn, m->data, m->len, m->binary, n->now));
            drain_eio_server(n);
        } else if (c != NULL) {
            CHECK(eio_client_ws_message(c, l->cconn, m->data, m->len, m->binary, n->now));
            drain_eio_client(n, l->inst);
        }
        break;
    case M_WSCLOSE:
        if (m->dir == 0) {
            if (l->s != LS_ANSWERED) {
                if (l->s == LS_OPEN) {
                    l->s = LS_CLOSED;
                }
                CHECK(eio_server_ws_closed(n->es, sconn, n->now));
                drain_eio_server(n);
            }
        } else if (c != NULL) {
            if (l->c == LC_AWAIT || l->c == LC_OPEN) {
                l->c = LC_GONE;
            }
            CHECK(eio_client_ws_closed(c, l->cconn, n->now));
            drain_eio_client(n, l->inst);
        }
        break;
    case M_RESP:
        if (c != NULL) {
            if (l->c == LC_AWAIT) {
                l->c = LC_DONE;
            }
            CHECK(eio_client_http_response(c, l->cconn, m->status, m->ct, m->data, m->len,
                                           n->now));
            drain_eio_client(n, l->inst);
        }
        break;
    case M_WSACCEPT:
        if (c != NULL) {
            if (l->c == LC_AWAIT) {
                l->c = LC_OPEN;
            }
            CHECK(eio_client_ws_opened(c, l->cconn, n->now));
            drain_eio_client(n, l->inst);
        }
        break;
    case M_WSREJECT:
        if (c != NULL) {
            if (l->c == LC_AWAIT) {
                l->c = LC_GONE;
            }
            CHECK(eio_client_ws_closed(c, l->cconn, n->now));
            drain_eio_client(n, l->inst);
        }
        break;
    }
    msg_free(m);
}

size_t snet_eligible(snet *n, size_t *out, size_t cap)
{
    size_t k = 0;
    n->epoch++;
    for (size_t i = 0; i < n->nq && k < cap; i++) {
        link *l = &n->links[n->q[i]->link];
        int dir = n->q[i]->dir;
        if (l->mark[dir] != n->epoch) {
            l->mark[dir] = n->epoch;
            out[k++] = i;
        }
    }
    return k;
}

size_t snet_pending(const snet *n)
{
    return n->nq;
}

void snet_expire(snet *n)
{
    reap(n);
    for (size_t i = 0; i < n->nin; i++) {
        inst *in = n->in[i];
        if (in->c != NULL && eio_client_get_expiry(in->c) <= n->now) {
            CHECK(eio_client_handle_expiry(in->c, n->now));
            drain_eio_client(n, (int)i);
        }
    }
    for (size_t i = 0; i < n->ncl; i++) {
        if (sio_client_get_expiry(n->cl[i].s) <= n->now) {
            CHECK(sio_client_handle_expiry(n->cl[i].s, n->now));
            drain_sio_client(n, (int)i);
        }
    }
    if (eio_server_get_expiry(n->es) <= n->now) {
        CHECK(eio_server_handle_expiry(n->es, n->now));
        drain_eio_server(n);
    }
    if (sio_server_get_expiry(n->ss) <= n->now) {
        CHECK(sio_server_handle_expiry(n->ss, n->now));
        drain_sio_server(n);
    }
}

void snet_pump(snet *n)
{
    while (n->nq > 0) {
        snet_deliver(n, 0);
        snet_expire(n);
    }
}

void snet_jump(snet *n, eio_time ms)
{
    n->now += ms;
    snet_expire(n);
}

/* The earliest deadline of any machine. */
static eio_time next_deadline(const snet *n)
{
    eio_time t = eio_server_get_expiry(n->es);
    eio_time u = sio_server_get_expiry(n->ss);
    if (u < t) {
        t = u;
    }
    for (size_t i = 0; i < n->nin; i++) {
        if (n->in[i]->c != NULL) {
            u = eio_client_get_expiry(n->in[i]->c);
            t = u < t ? u : t;
        }
    }
    for (size_t i = 0; i < n->ncl; i++) {
        u = sio_client_get_expiry(n->cl[i].s);
        t = u < t ? u : t;
    }
    return t;
}

void snet_advance(snet *n, eio_time ms)
{
    eio_time target = n->now + ms;
    for (;;) {
        /* the next thing to happen: a delivery falling due, or a deadline */
        eio_time t = next_deadline(n);
        size_t qi = SIZE_MAX;
        if (n->o.latency > 0) {
            for (size_t i = 0; i < n->nq; i++) {
                if (n->q[i]->at + n->o.latency <= t) {
                    t = n->q[i]->at + n->o.latency;
                    qi = i;
                    break;
                }
            }
        }
        if (t > target) {
            break;
        }
        if (t > n->now) {
            n->now = t;
        }
        if (qi != SIZE_MAX) {
            snet_deliver(n, qi);
        }
        snet_expire(n);
    }
    n->now = target;
    snet_expire(n);
}

int snet_drop_link(snet *n, uint64_t pick)
{
    if (n->nlinks == 0) {
        return 0;
    }
    for (size_t k = 0; k < n->nlinks; k++) {
        int li = (int)((pick + k) % n->nlinks);
        link *l = &n->links[li];
        eio_client *c = live_client(n, l);
        bool srv = l->s == LS_PENDING || l->s == LS_OPEN;
        bool cli = c != NULL && (l->c == LC_AWAIT || l->c == LC_OPEN);
        if (!srv && !cli) {
            continue;
        }
        if (tracing()) {
            fprintf(stderr, "t=%llu drop link %d\n", (unsigned long long)n->now, li);
        }
        n->st.drops++;
        size_t w = 0;
        for (size_t i = 0; i < n->nq; i++) {
            if (n->q[i]->link == li) {
                msg_free(n->q[i]);
            } else {
                n->q[w++] = n->q[i];
            }
        }
        n->nq = w;
        uint32_t sconn = (uint32_t)li + 1;
        bool ws = l->ws;
        uint32_t cconn = l->cconn;
        int ii = l->inst;
        if (srv) {
            bool ws_open = l->s == LS_OPEN;
            l->s = LS_CLOSED;
            CHECK(ws_open ? eio_server_ws_closed(n->es, sconn, n->now)
                          : eio_server_http_closed(n->es, sconn, n->now));
            drain_eio_server(n);
        }
        if (cli) {
            n->links[li].c = ws ? LC_GONE : LC_DONE;
            CHECK(ws ? eio_client_ws_closed(c, cconn, n->now)
                     : eio_client_http_failed(c, cconn, n->now));
            drain_eio_client(n, ii);
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */
/* ------------------------------------------------------------------------ */

void snet_options_default(snet_options *o)
{
    memset(o, 0, sizeof(*o));
    eio_server_options_default(&o->eio);
    o->eio.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
    sio_server_options_default(&o->sio);
    o->seed = 1;
}

int snet_new(snet **out, const snet_options *o)
{
    snet *n = xmalloc(sizeof(*n));
    n->o = *o;
    n->rng = o->seed;
    n->now = 1000;
    n->o.eio.random = net_random;
    n->o.eio.random_user_data = n;
    n->o.sio.random = net_random;
    n->o.sio.random_user_data = n;
    int rc = eio_server_new(&n->es, &n->o.eio, o->mem);
    if (rc == 0) {
        rc = sio_server_new(&n->ss, &n->o.sio, o->mem);
    }
    if (rc != 0) {
        eio_server_free(n->es);
        free(n);
        return rc;
    }
    *out = n;
    return 0;
}

int snet_add_client(snet *n, const sio_client_options *so, const eio_client_options *eo)
{
    n->cl = xgrow(n->cl, &n->clcap, n->ncl + 1, sizeof(*n->cl));
    sclient *cl = &n->cl[n->ncl];
    memset(cl, 0, sizeof(*cl));
    cl->cur = -1;
    if (eo != NULL) {
        cl->eo = *eo;
    } else {
        eio_client_options_default(&cl->eo);
    }
    /* Socket.IO v5 runs over Engine.IO v4, v4 over v3. */
    cl->eo.version = so->version == SIO_V4 ? EIO_V3 : EIO_V4;
    /* v3 handshakes do not announce maxPayload: batch POSTs by the server's. */
    if (cl->eo.version == EIO_V3 && cl->eo.limits.max_payload == 0) {
        cl->eo.limits.max_payload = n->o.eio.max_payload;
    }
    int rc = sio_client_new(&cl->s, so, n->o.mem);
    if (rc != 0) {
        return rc;
    }
    return (int)n->ncl++;
}

void snet_free(snet *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->nin; i++) {
        eio_client_free(n->in[i]->c);
        free(n->in[i]->conn_link);
        free(n->in[i]);
    }
    for (size_t i = 0; i < n->ncl; i++) {
        sio_client_free(n->cl[i].s);
    }
    sio_server_free(n->ss);
    eio_server_free(n->es);
    for (size_t i = 0; i < n->nq; i++) {
        msg_free(n->q[i]);
    }
    free(n->q);
    free(n->in);
    free(n->cl);
    free(n->links);
    free(n);
}

sio_client *snet_client(snet *n, int client)
{
    return n->cl[client].s;
}

eio_client *snet_eio_client(snet *n, int client)
{
    int ii = n->cl[client].cur;
    return ii >= 0 ? n->in[ii]->c : NULL;
}

sio_server *snet_server(snet *n)
{
    return n->ss;
}

eio_server *snet_eio_server(snet *n)
{
    return n->es;
}

eio_time snet_now(const snet *n)
{
    return n->now;
}

const snet_stats *snet_get_stats(const snet *n)
{
    return &n->st;
}

size_t snet_live_eio_clients(const snet *n)
{
    size_t k = 0;
    for (size_t i = 0; i < n->nin; i++) {
        if (n->in[i]->c != NULL && !n->in[i]->closed) {
            k++;
        }
    }
    return k;
}
