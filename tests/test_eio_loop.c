/*
 * The Engine.IO client and server machines talking to each other through an
 * in-memory network: one eio_server, several eio_clients (v4 and v3; polling
 * with upgrade, polling only, WebSocket only), a fake clock and a router.
 *
 * The router turns client actions into server requests, frames and hang-ups
 * and server actions into responses, accepts and frames. Every delivery
 * waits in a queue; each HTTP request and each WebSocket is a link with one
 * FIFO per direction. Deliveries of different links may be reordered (as
 * TCP connections can be), never those of one link. A link can be dropped
 * (both ends hear that the connection failed) and a client can be cut off
 * silently (everything to and from it vanishes, nobody is told).
 *
 * Deterministic scenarios first, then randomised runs from fixed seeds with
 * invariants checked on every step, then runs where one allocation fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sioc/eio_session.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* Deterministic randomness                                                  */
/* ------------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

/* SIOC_LOOP_TRACE=1 prints every delivery, action and event (to debug a seed). */
static bool tracing(void)
{
    static int on = -1;
    if (on < 0) {
        on = getenv("SIOC_LOOP_TRACE") != NULL;
    }
    return on != 0;
}

static uint64_t rnext(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint32_t rbelow(rng *r, uint32_t n)
{
    return n == 0 ? 0 : (uint32_t)(rnext(r) % n);
}

static bool rchance(rng *r, uint32_t per_mille)
{
    return rbelow(r, 1000) < per_mille;
}

/*
 * Message content is a function of a seed, so the receiver regenerates what
 * was sent and compares byte for byte. Text mixes ASCII with 2-, 3- and
 * 4-byte UTF-8 (the last counts as two UTF-16 units in v3 length prefixes).
 * 0x1e is left out: the v4 polling format cannot carry it, so both send
 * functions refuse it in v4 text until the session is on WebSocket.
 */
static void gen_content(uint64_t seed, size_t len, bool binary, uint8_t *out)
{
    rng r = {seed};
    size_t i = 0;
    while (i < len) {
        uint64_t x = rnext(&r);
        if (binary) {
            for (int b = 0; b < 8 && i < len; b++) {
                out[i++] = (uint8_t)(x >> (8 * b));
            }
            continue;
        }
        size_t left = len - i;
        switch (x % 16) {
        case 0:
            if (left >= 4) {
                memcpy(out + i, "\xf0\x9f\x98\x80", 4);
                i += 4;
                break;
            }
            /* fall through */
        case 1:
            if (left >= 3) {
                memcpy(out + i, "\xe2\x82\xac", 3);
                i += 3;
                break;
            }
            /* fall through */
        case 2:
            if (left >= 2) {
                memcpy(out + i, "\xc3\xa9", 2);
                i += 2;
                break;
            }
            /* fall through */
        case 3:
            out[i++] = '\n';
            break;
        default:
            out[i++] = (uint8_t)(0x20 + (x >> 8) % 95);
            break;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The network                                                               */
/* ------------------------------------------------------------------------ */

#define MAX_PEERS 8
#define MAX_MSG 8192
#define SRV_MAX_PAYLOAD 4096u
#define SRV_MAX_BUFFERED 16384u

typedef enum peer_kind {
    PK_V4_UPGRADE,
    PK_V4_POLLING,
    PK_V4_WEBSOCKET,
    PK_V3_UPGRADE,
    PK_V3_UPGRADE_B64,
    PK_V3_POLLING,
    PK_V3_WEBSOCKET,
    PK_COUNT,
} peer_kind;

typedef struct rec {
    uint64_t seed;
    uint32_t len;
    bool binary;
} rec;

/* The messages one side sent, in order, and how many the other side got. */
typedef struct stream {
    rec *v;
    size_t n, cap, recv;
    size_t bytes_sent, bytes_recv;
} stream;

typedef enum mkind {
    M_REQ,      /* c2s: an HTTP request (headers, and the body unless it follows) */
    M_BODY,     /* c2s: the body of a POST announced with body_follows */
    M_ABORT,    /* c2s: the client abandoned the request */
    M_RESP,     /* s2c: the HTTP response */
    M_WSREQ,    /* c2s: a WebSocket upgrade request */
    M_WSACCEPT, /* s2c: the upgrade completed */
    M_WSREJECT, /* s2c: the upgrade was answered with an HTTP error */
    M_FRAME,    /* either way: one WebSocket frame */
    M_WSCLOSE,  /* either way: the WebSocket closed */
} mkind;

typedef struct nmsg {
    eio_time at; /* when it was sent */
    int link;
    int dir; /* 0: client to server, 1: server to client */
    mkind kind;
    eio_http_method method;
    bool body_follows;
    int64_t content_length;
    int status;
    bool has_ct;
    char ct[48];
    bool binary;
    char *query;
    size_t query_len;
    uint8_t *data;
    size_t len;
} nmsg;

/* Server side of a link. */
enum { LS_NEW, LS_PENDING, LS_ANSWERED, LS_OPEN, LS_CLOSED };
/* Client side of a link. */
enum { LC_AWAIT, LC_DONE, LC_OPEN, LC_GONE };

typedef struct nlink {
    int peer;
    uint32_t cconn;
    bool ws;
    eio_http_method method;
    int s, c;
    unsigned mark[2];
} nlink;

typedef struct peer {
    eio_client *c;
    peer_kind kind;
    eio_version v;
    bool ws_only, upgrade, b64;
    bool absent; /* creation failed (allocation failure runs) */
    bool started;
    bool app_closed_c, app_closed_s; /* the application closed this side first */
    bool app_called_c, app_called_s; /* ... or at any time */
    bool c_open, c_closed;
    eio_close_reason c_reason;
    int c_err;
    bool has_session, s_closed;
    uint32_t session;
    eio_close_reason s_reason;
    int s_err;
    int first;          /* 1: the client closed first, 2: the server */
    bool lossy;         /* a link dropped, the clock jumped, or the client was cut off */
    bool blackhole;
    bool shut_down;     /* the server was shut down while this session lived */
    eio_time cut_at, c_closed_at, s_closed_at;
    stream st[2]; /* 0: client to server, 1: server to client */
    int32_t *conn_link;
    size_t conn_cap;
    int gets, posts;
    unsigned c_upgrades, s_upgrades, c_upfail, s_upfail;
} peer;

typedef struct stats {
    unsigned long runs, steps, messages, bytes, upgrades, upgrade_failed, verified;
    unsigned long refused, drops, closes[8], nomem_closes, nomem_returns;
    unsigned long big_queues; /* server sends leaving more than max_payload in flight on polling */
} stats;

typedef struct net {
    rng r;
    tu_failmem fm;
    bool nomem_mode;
    bool guard;
    bool random_body; /* sometimes send POST bodies after their headers */
    eio_time now;
    eio_time latency; /* 0: deliveries wait as long as the test likes */
    size_t client_max_payload; /* non-zero: every client's limits.max_payload */
    bool raw;        /* record server MESSAGE events instead of checking them */
    size_t raw_count, raw_len;
    uint8_t raw_last[64];
    eio_server *s;
    eio_server_options so;
    bool shutdown;
    peer p[MAX_PEERS];
    int np;
    nlink *links;
    size_t nlinks, lcap;
    nmsg **q;
    size_t nq, qcap;
    unsigned epoch;
    int cur_peer;
    stats *st;
    uint8_t buf[MAX_MSG];
    uint8_t chk[MAX_MSG];
} net;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    assert_non_null(p);
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *r = realloc(p, size);
    assert_non_null(r);
    return r;
}

static int srv_random(uint8_t *buf, size_t len, void *ud)
{
    net *n = ud;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)rnext(&n->r);
    }
    return 0;
}

static void stream_push(stream *s, uint64_t seed, size_t len, bool binary)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = (rec){seed, (uint32_t)len, binary};
    s->bytes_sent += len;
}

/* A message arrived: it must be the next one sent, byte for byte. */
static void expect_msg(net *n, stream *s, const uint8_t *data, size_t len, bool binary)
{
    assert_true(s->recv < s->n);
    const rec *r = &s->v[s->recv++];
    assert_int_equal(len, r->len);
    assert_int_equal(binary, r->binary);
    gen_content(r->seed, len, binary, n->chk);
    assert_memory_equal(data, n->chk, len);
    s->bytes_recv += len;
    if (n->st) {
        n->st->messages++;
        n->st->bytes += len;
    }
}

static net *net_new(uint64_t seed, long fail_at, const eio_server_options *so)
{
    net *n = xcalloc(1, sizeof(*n));
    n->r.s = seed;
    tu_failmem_init(&n->fm, fail_at);
    n->nomem_mode = fail_at >= 0;
    n->cur_peer = -1;
    n->now = 1000;
    if (so) {
        n->so = *so;
    } else {
        eio_server_options_default(&n->so);
        n->so.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
        n->so.ping_interval = 1000;
        n->so.ping_timeout = 500;
        n->so.upgrade_timeout = 2000;
        n->so.max_payload = SRV_MAX_PAYLOAD;
        n->so.max_buffered = SRV_MAX_BUFFERED;
    }
    n->so.random = srv_random;
    n->so.random_user_data = n;
    int rc = eio_server_new(&n->s, &n->so, &n->fm.mem);
    if (rc != 0) {
        assert_int_equal(rc, EIO_ERR_NOMEM);
        assert_true(n->nomem_mode);
        n->s = NULL;
    }
    return n;
}

static int peer_add(net *n, peer_kind kind)
{
    assert_true(n->np < MAX_PEERS);
    int pi = n->np++;
    peer *p = &n->p[pi];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->v = kind <= PK_V4_WEBSOCKET ? EIO_V4 : EIO_V3;
    p->ws_only = kind == PK_V4_WEBSOCKET || kind == PK_V3_WEBSOCKET;
    p->upgrade = kind == PK_V4_UPGRADE || kind == PK_V3_UPGRADE || kind == PK_V3_UPGRADE_B64;
    p->b64 = kind == PK_V3_UPGRADE_B64;
    eio_client_options o;
    eio_client_options_default(&o);
    o.version = p->v;
    o.websocket_only = p->ws_only;
    o.upgrade = p->upgrade;
    o.supports_binary = !p->b64;
    o.probe_timeout = 2000;
    /* v3 handshakes carry no maxPayload: the client batches by its own
     * limit, which must then be the server's. */
    if (p->v == EIO_V3) {
        o.limits.max_payload = SRV_MAX_PAYLOAD;
    }
    if (n->client_max_payload) {
        o.limits.max_payload = n->client_max_payload;
    }
    o.max_buffered = 20000;
    int rc = eio_client_new(&p->c, &o, &n->fm.mem);
    if (rc != 0) {
        assert_int_equal(rc, EIO_ERR_NOMEM);
        assert_true(n->nomem_mode);
        if (n->st) {
            n->st->nomem_returns++;
        }
        p->absent = true;
        p->c = NULL;
    }
    return pi;
}

static void net_free(net *n)
{
    for (int i = 0; i < n->np; i++) {
        eio_client_free(n->p[i].c);
        free(n->p[i].st[0].v);
        free(n->p[i].st[1].v);
        free(n->p[i].conn_link);
    }
    eio_server_free(n->s);
    assert_int_equal(n->fm.outstanding, 0);
    for (size_t i = 0; i < n->nq; i++) {
        free(n->q[i]->query);
        free(n->q[i]->data);
        free(n->q[i]);
    }
    free(n->q);
    free(n->links);
    free(n);
}

static int new_link(net *n, int pi, uint32_t cconn, bool ws, eio_http_method m)
{
    peer *p = &n->p[pi];
    assert_true(cconn > 0 && cconn < 1000000);
    if (cconn >= p->conn_cap) {
        size_t cap = p->conn_cap ? p->conn_cap : 16;
        while (cap <= cconn) {
            cap *= 2;
        }
        p->conn_link = xrealloc(p->conn_link, cap * sizeof(*p->conn_link));
        for (size_t i = p->conn_cap; i < cap; i++) {
            p->conn_link[i] = -1;
        }
        p->conn_cap = cap;
    }
    /* a connection id is handed out once */
    assert_int_equal(p->conn_link[cconn], -1);
    if (n->nlinks == n->lcap) {
        n->lcap = n->lcap ? 2 * n->lcap : 64;
        n->links = xrealloc(n->links, n->lcap * sizeof(*n->links));
    }
    int li = (int)n->nlinks++;
    n->links[li] = (nlink){.peer = pi, .cconn = cconn, .ws = ws, .method = m, .s = LS_NEW,
                           .c = LC_AWAIT};
    p->conn_link[cconn] = li;
    return li;
}

static nlink *client_link(net *n, int pi, uint32_t cconn)
{
    peer *p = &n->p[pi];
    assert_true(cconn < p->conn_cap);
    int32_t li = p->conn_link[cconn];
    assert_true(li >= 0);
    return &n->links[li];
}

static nmsg *msg_new(int link, int dir, mkind kind)
{
    nmsg *m = xcalloc(1, sizeof(*m));
    m->link = link;
    m->dir = dir;
    m->kind = kind;
    return m;
}

static void msg_set_data(nmsg *m, const void *data, size_t len)
{
    m->data = xcalloc(1, len ? len : 1);
    if (len) {
        memcpy(m->data, data, len);
    }
    m->len = len;
}

static void msg_free(nmsg *m)
{
    free(m->query);
    free(m->data);
    free(m);
}

static void push(net *n, nmsg *m)
{
    if (n->p[n->links[m->link].peer].blackhole) {
        msg_free(m);
        return;
    }
    m->at = n->now;
    if (n->nq == n->qcap) {
        n->qcap = n->qcap ? 2 * n->qcap : 64;
        n->q = xrealloc(n->q, n->qcap * sizeof(*n->q));
    }
    n->q[n->nq++] = m;
}

static nmsg *take(net *n, size_t i)
{
    nmsg *m = n->q[i];
    memmove(n->q + i, n->q + i + 1, (n->nq - i - 1) * sizeof(*n->q));
    n->nq--;
    return m;
}

/* Removes every queued delivery of a link (or of every link of a peer). */
static void purge(net *n, int link, int pi)
{
    size_t w = 0;
    for (size_t i = 0; i < n->nq; i++) {
        nmsg *m = n->q[i];
        if (m->link == link || (pi >= 0 && n->links[m->link].peer == pi)) {
            if (tracing()) {
                fprintf(stderr, "purged link %d kind %d\n", m->link, (int)m->kind);
            }
            msg_free(m);
        } else {
            n->q[w++] = m;
        }
    }
    n->nq = w;
}

/* ------------------------------------------------------------------------ */
/* Draining the machines                                                     */
/* ------------------------------------------------------------------------ */

static void check_target(const char *target)
{
    assert_non_null(target);
    assert_memory_equal(target, "/engine.io/?", 12);
}

static void on_client_action(net *n, int pi, const eio_client_action *a)
{
    peer *p = &n->p[pi];
    if (tracing()) {
        fprintf(stderr, "t=%llu peer %d client action %d conn %u method %d len %zu %s\n",
                (unsigned long long)n->now, pi, (int)a->type, a->conn, (int)a->method, a->len,
                a->target ? a->target : "");
    }
    /* no action once the session is closed */
    assert_false(p->c_closed);
    switch (a->type) {
    case EIO_CLIENT_HTTP_REQUEST: {
        int li = new_link(n, pi, a->conn, false, a->method);
        if (a->method == EIO_HTTP_GET) {
            assert_int_equal(p->gets, 0);
            p->gets++;
        } else {
            assert_int_equal(a->method, EIO_HTTP_POST);
            assert_int_equal(p->posts, 0);
            p->posts++;
        }
        check_target(a->target);
        nmsg *m = msg_new(li, 0, M_REQ);
        m->method = a->method;
        m->query_len = strlen(a->target) - 12;
        m->query = xcalloc(1, m->query_len + 1);
        memcpy(m->query, a->target + 12, m->query_len);
        if (a->content_type) {
            assert_true(strlen(a->content_type) < sizeof(m->ct));
            m->has_ct = true;
            strcpy(m->ct, a->content_type);
        }
        if (a->method == EIO_HTTP_POST && n->random_body && rchance(&n->r, 300)) {
            m->body_follows = true;
            m->content_length = rchance(&n->r, 500) ? (int64_t)a->len : -1;
            push(n, m);
            nmsg *b = msg_new(li, 0, M_BODY);
            msg_set_data(b, a->body, a->len);
            push(n, b);
        } else {
            msg_set_data(m, a->body, a->len);
            push(n, m);
        }
        break;
    }
    case EIO_CLIENT_HTTP_ABORT: {
        nlink *l = client_link(n, pi, a->conn);
        assert_false(l->ws);
        assert_int_equal(l->c, LC_AWAIT);
        l->c = LC_GONE;
        if (l->method == EIO_HTTP_GET) {
            p->gets--;
        } else {
            p->posts--;
        }
        push(n, msg_new((int)(l - n->links), 0, M_ABORT));
        break;
    }
    case EIO_CLIENT_WS_OPEN: {
        int li = new_link(n, pi, a->conn, true, EIO_HTTP_GET);
        check_target(a->target);
        assert_non_null(strstr(a->target, "transport=websocket"));
        nmsg *m = msg_new(li, 0, M_WSREQ);
        m->query_len = strlen(a->target) - 12;
        m->query = xcalloc(1, m->query_len + 1);
        memcpy(m->query, a->target + 12, m->query_len);
        push(n, m);
        break;
    }
    case EIO_CLIENT_WS_SEND: {
        nlink *l = client_link(n, pi, a->conn);
        assert_true(l->ws);
        assert_int_equal(l->c, LC_OPEN);
        nmsg *m = msg_new((int)(l - n->links), 0, M_FRAME);
        m->binary = a->binary;
        msg_set_data(m, a->body, a->len);
        push(n, m);
        break;
    }
    case EIO_CLIENT_WS_CLOSE: {
        nlink *l = client_link(n, pi, a->conn);
        assert_true(l->ws);
        assert_true(l->c == LC_AWAIT || l->c == LC_OPEN);
        l->c = LC_GONE;
        push(n, msg_new((int)(l - n->links), 0, M_WSCLOSE));
        break;
    }
    default:
        fail_msg("unknown client action %d", (int)a->type);
    }
}

static void on_client_event(net *n, int pi, const eio_event *e)
{
    peer *p = &n->p[pi];
    if (tracing()) {
        fprintf(stderr, "t=%llu peer %d client event %d len %zu reason %d err %d\n",
                (unsigned long long)n->now, pi, (int)e->type, e->len, (int)e->reason, e->error);
    }
    /* nothing after CLOSE */
    assert_false(p->c_closed);
    switch (e->type) {
    case EIO_EVENT_OPEN:
        assert_false(p->c_open);
        p->c_open = true;
        assert_non_null(e->handshake);
        assert_int_equal(e->version, p->v);
        assert_int_equal(e->transport,
                         p->ws_only ? EIO_TRANSPORT_WEBSOCKET : EIO_TRANSPORT_POLLING);
        assert_true(p->has_session);
        {
            const char *sid = eio_server_session_sid(n->s, p->session);
            if (sid) {
                assert_string_equal(sid, eio_client_sid(p->c));
            }
        }
        break;
    case EIO_EVENT_MESSAGE:
        assert_true(p->c_open);
        expect_msg(n, &p->st[1], e->data, e->len, e->binary);
        break;
    case EIO_EVENT_UPGRADE:
        assert_true(p->upgrade);
        assert_int_equal(p->c_upgrades, 0);
        p->c_upgrades++;
        assert_int_equal(eio_client_transport(p->c), EIO_TRANSPORT_WEBSOCKET);
        if (n->st) {
            n->st->upgrades++;
        }
        break;
    case EIO_EVENT_UPGRADE_FAILED:
        assert_true(p->upgrade);
        p->c_upfail++;
        if (n->st) {
            n->st->upgrade_failed++;
        }
        break;
    case EIO_EVENT_PING:
    case EIO_EVENT_PONG:
        assert_true(p->c_open);
        break;
    case EIO_EVENT_CLOSE:
        p->c_closed = true;
        p->c_reason = e->reason;
        p->c_err = e->error;
        p->c_closed_at = n->now;
        if (!p->first) {
            p->first = 1;
        }
        if (n->st) {
            n->st->closes[e->reason & 7]++;
            n->st->nomem_closes += e->error == EIO_ERR_NOMEM;
        }
        assert_int_equal(eio_client_state(p->c), EIO_STATE_CLOSED);
        break;
    default:
        fail_msg("unknown client event %d", (int)e->type);
    }
}

static void drain_client(net *n, int pi)
{
    peer *p = &n->p[pi];
    eio_client_action a;
    while (eio_client_next_action(p->c, &a)) {
        on_client_action(n, pi, &a);
    }
    eio_event e;
    while (eio_client_next_event(p->c, &e)) {
        on_client_event(n, pi, &e);
    }
}

static peer *peer_of_session(net *n, uint32_t session)
{
    for (int i = 0; i < n->np; i++) {
        if (n->p[i].has_session && n->p[i].session == session) {
            return &n->p[i];
        }
    }
    fail_msg("event for unknown session %u", session);
    return NULL;
}

static void on_server_action(net *n, const eio_server_action *a)
{
    /* the server's connection ids are link numbers + 1 */
    assert_true(a->conn >= 1 && a->conn <= n->nlinks);
    int li = (int)a->conn - 1;
    nlink *l = &n->links[li];
    peer *p = &n->p[l->peer];
    switch (a->type) {
    case EIO_SERVER_HTTP_RESPOND: {
        assert_int_equal(l->s, LS_PENDING);
        /* a polling answer never exceeds maxPayload, however much is queued */
        if (!l->ws && l->method == EIO_HTTP_GET && a->status == 200) {
            assert_true(a->len <= n->so.max_payload);
        }
        l->s = LS_ANSWERED;
        nmsg *m = msg_new(li, 1, l->ws ? M_WSREJECT : M_RESP);
        m->status = a->status;
        if (a->content_type) {
            assert_true(strlen(a->content_type) < sizeof(m->ct));
            m->has_ct = true;
            strcpy(m->ct, a->content_type);
        }
        msg_set_data(m, a->body, a->len);
        push(n, m);
        break;
    }
    case EIO_SERVER_WS_ACCEPT:
        assert_true(l->ws);
        assert_int_equal(l->s, LS_PENDING);
        l->s = LS_OPEN;
        push(n, msg_new(li, 1, M_WSACCEPT));
        break;
    case EIO_SERVER_WS_SEND: {
        assert_true(l->ws);
        assert_int_equal(l->s, LS_OPEN);
        assert_false(p->has_session && p->s_closed);
        nmsg *m = msg_new(li, 1, M_FRAME);
        m->binary = a->binary;
        msg_set_data(m, a->body, a->len);
        push(n, m);
        break;
    }
    case EIO_SERVER_WS_CLOSE:
        assert_true(l->ws);
        assert_int_equal(l->s, LS_OPEN);
        assert_false(p->has_session && p->s_closed);
        l->s = LS_CLOSED;
        push(n, msg_new(li, 1, M_WSCLOSE));
        break;
    default:
        fail_msg("unknown server action %d", (int)a->type);
    }
}

static void on_server_event(net *n, const eio_event *e)
{
    if (tracing()) {
        fprintf(stderr, "t=%llu session %u server event %d len %zu reason %d err %d\n",
                (unsigned long long)n->now, e->session, (int)e->type, e->len, (int)e->reason,
                e->error);
    }
    if (e->type == EIO_EVENT_OPEN) {
        /* a session is born from the request being delivered */
        assert_true(n->cur_peer >= 0);
        peer *p = &n->p[n->cur_peer];
        assert_false(p->has_session);
        p->has_session = true;
        p->session = e->session;
        assert_int_equal(e->version, p->v);
        assert_int_equal(e->transport,
                         p->ws_only ? EIO_TRANSPORT_WEBSOCKET : EIO_TRANSPORT_POLLING);
        return;
    }
    peer *p = peer_of_session(n, e->session);
    assert_false(p->s_closed);
    switch (e->type) {
    case EIO_EVENT_MESSAGE:
        if (n->raw) {
            n->raw_count++;
            n->raw_len = e->len < sizeof(n->raw_last) ? e->len : sizeof(n->raw_last);
            memcpy(n->raw_last, e->data, n->raw_len);
            break;
        }
        expect_msg(n, &p->st[0], e->data, e->len, e->binary);
        break;
    case EIO_EVENT_UPGRADE:
        assert_int_equal(p->s_upgrades, 0);
        p->s_upgrades++;
        assert_int_equal(eio_server_session_transport(n->s, e->session),
                         EIO_TRANSPORT_WEBSOCKET);
        break;
    case EIO_EVENT_UPGRADE_FAILED:
        p->s_upfail++;
        break;
    case EIO_EVENT_PING:
    case EIO_EVENT_PONG:
        break;
    case EIO_EVENT_CLOSE:
        p->s_closed = true;
        p->s_reason = e->reason;
        p->s_err = e->error;
        p->s_closed_at = n->now;
        if (!p->first) {
            p->first = 2;
        }
        if (n->st) {
            n->st->closes[e->reason & 7]++;
            n->st->nomem_closes += e->error == EIO_ERR_NOMEM;
        }
        break;
    default:
        fail_msg("unknown server event %d", (int)e->type);
    }
}

static void drain_server(net *n)
{
    eio_server_action a;
    while (eio_server_next_action(n->s, &a)) {
        on_server_action(n, &a);
    }
    eio_event e;
    while (eio_server_next_event(n->s, &e)) {
        on_server_event(n, &e);
    }
}

/*
 * Server entry points that return EIO_ERR_NOMEM change nothing, so the
 * caller may offer the same input again; with one failing allocation the
 * second attempt succeeds.
 */
static void server_rc_at(net *n, int rc, int line)
{
    if (rc == EIO_ERR_NOMEM) {
        assert_true(n->nomem_mode);
        if (n->st) {
            n->st->nomem_returns++;
        }
        return;
    }
    if (rc != 0) {
        fail_msg("server call at line %d returned %d", line, rc);
    }
}

static void client_rc_at(net *n, int rc, int line)
{
    if (rc == EIO_ERR_NOMEM) {
        assert_true(n->nomem_mode);
        if (n->st) {
            n->st->nomem_returns++;
        }
        return;
    }
    if (rc != 0) {
        fail_msg("client call at line %d returned %d", line, rc);
    }
}

#define server_rc(n, rc) server_rc_at((n), (rc), __LINE__)
#define client_rc(n, rc) client_rc_at((n), (rc), __LINE__)

/* ------------------------------------------------------------------------ */
/* Deliveries, time, failures                                                */
/* ------------------------------------------------------------------------ */

static void deliver(net *n, size_t qi)
{
    nmsg *m = take(n, qi);
    if (tracing()) {
        static const char *const names[] = {"REQ", "BODY", "ABORT", "RESP", "WSREQ",
                                            "WSACCEPT", "WSREJECT", "FRAME", "WSCLOSE"};
        fprintf(stderr, "t=%llu link %d peer %d %s %s status %d q=%s len %zu: %.*s\n",
                (unsigned long long)n->now, m->link, n->links[m->link].peer, m->dir ? "<-" : "->",
                names[m->kind], m->status, m->query ? m->query : "", m->len,
                (int)(m->len < 80 ? m->len : 80), m->data ? (const char *)m->data : "");
    }
    nlink *l = &n->links[m->link];
    int pi = l->peer;
    peer *p = &n->p[pi];
    uint32_t sconn = (uint32_t)m->link + 1;
    const uint8_t *d = m->data;
    uint8_t *g = NULL;
    if (n->guard && m->data) {
        g = tu_guard_copy(m->data, m->len);
        d = g;
    }
    int rc;
    switch (m->kind) {
    case M_REQ:
    case M_WSREQ: {
        eio_server_request rq;
        memset(&rq, 0, sizeof(rq));
        rq.conn = sconn;
        rq.method = m->kind == M_WSREQ ? EIO_HTTP_GET : m->method;
        rq.query = m->query;
        rq.query_len = m->query_len;
        rq.content_type = m->has_ct ? m->ct : NULL;
        rq.body = d;
        rq.body_len = m->len;
        rq.body_follows = m->body_follows;
        rq.content_length = m->body_follows ? m->content_length : -1;
        rq.websocket = m->kind == M_WSREQ;
        l->s = LS_PENDING;
        n->cur_peer = pi;
        rc = eio_server_handle_request(n->s, &rq, n->now);
        drain_server(n);
        n->cur_peer = -1;
        if (rc == EIO_ERR_NOMEM) {
            /* not taken: the I/O layer answers it itself */
            server_rc(n, rc);
            assert_int_equal(l->s, LS_PENDING);
            l->s = LS_ANSWERED;
            nmsg *r = msg_new(m->link, 1, l->ws ? M_WSREJECT : M_RESP);
            r->status = 503;
            push(n, r);
        } else {
            assert_int_equal(rc, 0);
        }
        break;
    }
    case M_BODY:
        do {
            bool pending = l->s == LS_PENDING;
            rc = eio_server_request_body(n->s, sconn, d, m->len, n->now);
            drain_server(n);
            if (!pending && rc == EIO_ERR_INVALID_ARGUMENT) {
                rc = 0; /* answered early (413, overlap): the body is not wanted */
            }
            server_rc(n, rc);
        } while (rc == EIO_ERR_NOMEM);
        break;
    case M_ABORT:
        if (l->s == LS_PENDING) {
            l->s = LS_CLOSED;
        }
        do {
            rc = eio_server_http_closed(n->s, sconn, n->now);
            drain_server(n);
            server_rc(n, rc);
        } while (rc == EIO_ERR_NOMEM);
        break;
    case M_RESP:
        if (l->c == LC_AWAIT) {
            l->c = LC_DONE;
            if (l->method == EIO_HTTP_GET) {
                p->gets--;
            } else {
                p->posts--;
            }
        }
        rc = eio_client_http_response(p->c, l->cconn, m->status, m->has_ct ? m->ct : NULL, d,
                                      m->len, n->now);
        drain_client(n, pi);
        client_rc(n, rc);
        break;
    case M_WSACCEPT:
        if (l->c == LC_AWAIT) {
            l->c = LC_OPEN;
        }
        rc = eio_client_ws_opened(p->c, l->cconn, n->now);
        drain_client(n, pi);
        client_rc(n, rc);
        break;
    case M_WSREJECT:
        if (l->c == LC_AWAIT) {
            l->c = LC_GONE;
        }
        rc = eio_client_ws_closed(p->c, l->cconn, n->now);
        drain_client(n, pi);
        client_rc(n, rc);
        break;
    case M_FRAME:
        if (m->dir == 0) {
            do {
                rc = eio_server_ws_message(n->s, sconn, d, m->len, m->binary, n->now);
                drain_server(n);
                server_rc(n, rc);
            } while (rc == EIO_ERR_NOMEM);
        } else {
            rc = eio_client_ws_message(p->c, l->cconn, d, m->len, m->binary, n->now);
            drain_client(n, pi);
            client_rc(n, rc);
        }
        break;
    case M_WSCLOSE:
        if (m->dir == 0) {
            /* a refused upgrade never became a WebSocket on the server */
            if (l->s != LS_ANSWERED) {
                if (l->s == LS_OPEN) {
                    l->s = LS_CLOSED;
                }
                do {
                    rc = eio_server_ws_closed(n->s, sconn, n->now);
                    drain_server(n);
                    server_rc(n, rc);
                } while (rc == EIO_ERR_NOMEM);
            }
        } else {
            if (l->c == LC_AWAIT || l->c == LC_OPEN) {
                l->c = LC_GONE;
            }
            rc = eio_client_ws_closed(p->c, l->cconn, n->now);
            drain_client(n, pi);
            client_rc(n, rc);
        }
        break;
    }
    if (g) {
        tu_guard_free(g, m->len);
    }
    msg_free(m);
}

/* Deliveries at the head of their link's FIFO. */
static size_t eligible(net *n, size_t *out)
{
    size_t k = 0;
    n->epoch++;
    for (size_t i = 0; i < n->nq; i++) {
        nlink *l = &n->links[n->q[i]->link];
        int dir = n->q[i]->dir;
        if (l->mark[dir] != n->epoch) {
            l->mark[dir] = n->epoch;
            out[k++] = i;
        }
    }
    return k;
}

/* Fires due deadlines; afterwards none may lie at or before now. */
static void run_expiry(net *n)
{
    for (int i = 0; i < n->np; i++) {
        peer *p = &n->p[i];
        if (p->absent || !p->started) {
            continue;
        }
        if (eio_client_get_expiry(p->c) <= n->now) {
            int rc = eio_client_handle_expiry(p->c, n->now);
            drain_client(n, i);
            client_rc(n, rc);
            assert_true(eio_client_get_expiry(p->c) > n->now);
        }
    }
    for (int tries = 0; eio_server_get_expiry(n->s) <= n->now; tries++) {
        assert_true(tries < 3);
        int rc = eio_server_handle_expiry(n->s, n->now);
        drain_server(n);
        server_rc(n, rc);
        if (rc == 0) {
            assert_true(eio_server_get_expiry(n->s) > n->now);
        }
    }
}

/* The clock jumps: nothing is delivered meanwhile (a process asleep). */
static void jump(net *n, eio_time ms)
{
    n->now += ms;
    run_expiry(n);
}

/*
 * Time passes with the network working: no delivery waits longer than the
 * latency bound, each happening at the moment it is due.
 */
static void advance(net *n, eio_time ms)
{
    eio_time target = n->now + ms;
    for (int guard = 0; n->latency > 0; guard++) {
        assert_true(guard < 1000000);
        size_t i = 0;
        while (i < n->nq && n->q[i]->at + n->latency > target) {
            i++;
        }
        if (i == n->nq) {
            break;
        }
        eio_time t = n->q[i]->at + n->latency;
        if (t > n->now) {
            n->now = t;
            run_expiry(n);
            continue;
        }
        deliver(n, i);
        run_expiry(n);
    }
    if (target > n->now) {
        n->now = target;
    }
    run_expiry(n);
}

/* Delivers everything in arrival order, without moving the clock. */
static void pump(net *n)
{
    for (int guard = 0; n->nq > 0; guard++) {
        assert_true(guard < 200000);
        deliver(n, 0);
        run_expiry(n);
    }
}

static void peer_open(net *n, int pi)
{
    peer *p = &n->p[pi];
    if (p->absent || p->started || p->c_closed) {
        return;
    }
    p->started = true;
    int rc = eio_client_open(p->c, n->now);
    drain_client(n, pi);
    client_rc(n, rc);
}

/* The connection fails: both ends are told. */
static void drop_link(net *n, int li)
{
    nlink *l = &n->links[li];
    peer *p = &n->p[l->peer];
    uint32_t sconn = (uint32_t)li + 1;
    int rc;
    if (tracing()) {
        fprintf(stderr, "t=%llu drop link %d (peer %d, s %d, c %d)\n", (unsigned long long)n->now,
                li, l->peer, l->s, l->c);
    }
    purge(n, li, -1);
    p->lossy = true;
    if (n->st) {
        n->st->drops++;
    }
    if (l->s == LS_PENDING || l->s == LS_OPEN) {
        bool ws_open = l->s == LS_OPEN;
        l->s = LS_CLOSED;
        do {
            rc = ws_open ? eio_server_ws_closed(n->s, sconn, n->now)
                         : eio_server_http_closed(n->s, sconn, n->now);
            drain_server(n);
            server_rc(n, rc);
        } while (rc == EIO_ERR_NOMEM);
    }
    if (l->c == LC_AWAIT || l->c == LC_OPEN) {
        if (l->ws) {
            l->c = LC_GONE;
            rc = eio_client_ws_closed(p->c, l->cconn, n->now);
        } else {
            l->c = LC_DONE;
            if (l->method == EIO_HTTP_GET) {
                p->gets--;
            } else {
                p->posts--;
            }
            rc = eio_client_http_failed(p->c, l->cconn, n->now);
        }
        drain_client(n, l->peer);
        client_rc(n, rc);
    }
}

/* The client's network vanishes: nobody is told anything. */
static void cut_off(net *n, int pi)
{
    if (tracing()) {
        fprintf(stderr, "t=%llu cut off peer %d\n", (unsigned long long)n->now, pi);
    }
    n->p[pi].blackhole = true;
    n->p[pi].lossy = true;
    n->p[pi].cut_at = n->now;
    purge(n, -1, pi);
}

/* ------------------------------------------------------------------------ */
/* Application sends                                                         */
/* ------------------------------------------------------------------------ */

static int app_client_send(net *n, int pi, size_t len, bool binary)
{
    peer *p = &n->p[pi];
    uint64_t seed = rnext(&n->r);
    assert_true(len <= MAX_MSG);
    gen_content(seed, len, binary, n->buf);
    bool closing = p->c_closed || eio_client_state(p->c) >= EIO_STATE_CLOSING;
    int rc = eio_client_send(p->c, n->buf, len, binary, n->now);
    if (tracing()) {
        fprintf(stderr, "t=%llu peer %d client send %zu %d -> %d\n", (unsigned long long)n->now,
                pi, len, binary, rc);
    }
    if (rc == 0) {
        stream_push(&p->st[0], seed, len, binary);
    } else if (rc == EIO_ERR_INVALID_ARGUMENT) {
        assert_true(closing);
    } else if (rc == EIO_ERR_NOMEM) {
        assert_true(n->nomem_mode);
        n->st->nomem_returns++;
    } else {
        assert_true(rc == EIO_ERR_LIMIT || rc == EIO_ERR_PACKET_TOO_LARGE);
        if (n->st) {
            n->st->refused++;
        }
    }
    drain_client(n, pi);
    return rc;
}

static int app_server_send(net *n, int pi, size_t len, bool binary)
{
    peer *p = &n->p[pi];
    uint64_t seed = rnext(&n->r);
    assert_true(len <= MAX_MSG);
    gen_content(seed, len, binary, n->buf);
    eio_session_state state = eio_server_session_state(n->s, p->session);
    eio_transport tr = eio_server_session_transport(n->s, p->session);
    int rc = eio_server_send(n->s, p->session, n->buf, len, binary, n->now);
    if (tracing()) {
        fprintf(stderr, "t=%llu peer %d server send %zu %d -> %d\n", (unsigned long long)n->now,
                pi, len, binary, rc);
    }
    if (rc == 0) {
        stream_push(&p->st[1], seed, len, binary);
        const stream *s = &p->st[1];
        if (n->st && tr == EIO_TRANSPORT_POLLING &&
            s->bytes_sent - s->bytes_recv > n->so.max_payload) {
            n->st->big_queues++;
        }
    } else if (rc == EIO_ERR_INVALID_ARGUMENT) {
        assert_true(state >= EIO_STATE_CLOSING);
    } else if (rc == EIO_ERR_NOMEM) {
        assert_true(n->nomem_mode);
        n->st->nomem_returns++;
    } else {
        /* a message no polling body could carry is refused while on polling */
        assert_true(rc == EIO_ERR_LIMIT ||
                    (rc == EIO_ERR_PACKET_TOO_LARGE && tr == EIO_TRANSPORT_POLLING &&
                     len >= n->so.max_payload * 3 / 4 - 8));
        if (n->st) {
            n->st->refused++;
        }
    }
    drain_server(n);
    return rc;
}

static void app_client_close(net *n, int pi)
{
    peer *p = &n->p[pi];
    if (p->absent || p->c_closed) {
        return;
    }
    if (!p->first) {
        p->app_closed_c = true;
    }
    p->app_called_c = true;
    int rc = eio_client_close(p->c, n->now);
    drain_client(n, pi);
    client_rc(n, rc);
}

static void app_server_close(net *n, int pi)
{
    peer *p = &n->p[pi];
    if (!p->has_session || p->s_closed) {
        return;
    }
    if (!p->first) {
        p->app_closed_s = true;
    }
    p->app_called_s = true;
    int rc = eio_server_close_session(n->s, p->session, n->now);
    drain_server(n);
    assert_int_equal(rc, 0);
}

static bool pair_alive(const peer *p)
{
    return !p->absent && p->c_open && !p->c_closed && p->has_session && !p->s_closed;
}

static bool all_closed(net *n)
{
    for (int i = 0; i < n->np; i++) {
        peer *p = &n->p[i];
        if (p->absent) {
            continue;
        }
        if ((p->started && !p->c_closed) || (p->has_session && !p->s_closed)) {
            return false;
        }
    }
    return eio_server_session_count(n->s) == 0;
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                    */
/* ------------------------------------------------------------------------ */

static void check_delivered(net *n, const peer *p)
{
    if (p->st[0].recv != p->st[0].n || p->st[1].recv != p->st[1].n) {
        fail_msg("peer %d (kind %d): client sent %zu, server got %zu; "
                 "server sent %zu, client got %zu",
                 (int)(p - n->p), (int)p->kind, p->st[0].n, p->st[0].recv, p->st[1].n,
                 p->st[1].recv);
    }
    assert_int_equal(p->st[0].recv, p->st[0].n);
    assert_int_equal(p->st[1].recv, p->st[1].n);
    /* both ends agree on the transport while the session lives */
    if (pair_alive(p)) {
        assert_int_equal(eio_client_transport(p->c),
                         eio_server_session_transport(n->s, p->session));
    }
}

static bool reason_is_end(eio_close_reason r)
{
    return r == EIO_CLOSE_TRANSPORT_CLOSE || r == EIO_CLOSE_TRANSPORT_ERROR ||
           r == EIO_CLOSE_PING_TIMEOUT;
}

/*
 * Close reasons agree: the side whose application closed says "forced
 * close" and the other heard the close or lost the connection; nothing
 * ever reports a parse error (the network never corrupts). A ping timeout
 * needs a reason: lost connections, a clock jump, or a client that closed
 * before the handshake finished (its session is orphaned on the server).
 */
static void check_reasons(net *n, const peer *p)
{
    if (p->absent) {
        return;
    }
    if (p->started) {
        assert_true(p->c_closed);
    }
    if (p->has_session) {
        assert_true(p->s_closed);
    }
    if (tracing()) {
        fprintf(stderr,
                "peer %d kind %d: client %d err %d, server %d err %d, first %d, app %d/%d, "
                "lossy %d\n",
                (int)(p - n->p), (int)p->kind, (int)p->c_reason, p->c_err, (int)p->s_reason,
                p->s_err, p->first, p->app_closed_c, p->app_closed_s, p->lossy);
    }
    bool nomem = n->nomem_mode;
    /* an allocation failure ends a session as a transport error, unless
     * it only spoiled the goodbye of a close already under way */
    if (p->c_closed && p->c_err == EIO_ERR_NOMEM) {
        assert_true(p->c_reason == EIO_CLOSE_TRANSPORT_ERROR ||
                    (p->app_called_c && p->c_reason == EIO_CLOSE_FORCED));
    }
    if (p->has_session && p->s_err == EIO_ERR_NOMEM) {
        assert_true(p->s_reason == EIO_CLOSE_TRANSPORT_ERROR ||
                    (p->app_called_s && p->s_reason == EIO_CLOSE_FORCED) ||
                    (p->shut_down && p->s_reason == EIO_CLOSE_SERVER_SHUTDOWN));
    }
    if (p->c_closed) {
        eio_close_reason r = p->c_reason;
        assert_int_not_equal(r, EIO_CLOSE_NONE);
        assert_int_not_equal(r, EIO_CLOSE_SERVER_SHUTDOWN);
        if (!nomem) {
            assert_int_not_equal(r, EIO_CLOSE_PARSE_ERROR);
            assert_int_not_equal(r, EIO_CLOSE_HANDSHAKE_ERROR);
            assert_true(r == EIO_CLOSE_FORCED || reason_is_end(r));
            /* a polling close waits for its POSTs; without a network the
             * heartbeat may end it first */
            if (p->app_closed_c) {
                assert_true(r == EIO_CLOSE_FORCED || (p->lossy && reason_is_end(r)) ||
                            (p->app_called_s && (r == EIO_CLOSE_TRANSPORT_CLOSE ||
                                                 r == EIO_CLOSE_TRANSPORT_ERROR)));
            }
            if (r == EIO_CLOSE_FORCED) {
                assert_true(p->app_called_c);
            }
        }
    }
    if (p->has_session) {
        eio_close_reason r = p->s_reason;
        assert_int_not_equal(r, EIO_CLOSE_NONE);
        assert_int_not_equal(r, EIO_CLOSE_HANDSHAKE_ERROR);
        if (!nomem) {
            assert_int_not_equal(r, EIO_CLOSE_PARSE_ERROR);
            if (p->app_closed_s) {
                assert_true(r == EIO_CLOSE_FORCED || (p->lossy && reason_is_end(r)) ||
                            (p->app_called_c && (r == EIO_CLOSE_TRANSPORT_CLOSE ||
                                                 r == EIO_CLOSE_TRANSPORT_ERROR)) ||
                            (p->shut_down && r == EIO_CLOSE_SERVER_SHUTDOWN));
            }
            if (r == EIO_CLOSE_FORCED) {
                assert_true(p->app_called_s);
            }
            if (r == EIO_CLOSE_SERVER_SHUTDOWN) {
                assert_true(p->shut_down);
            }
        }
    }
    if (nomem || !p->has_session || !p->c_closed) {
        return;
    }
    bool ping_ok = p->lossy || !p->c_open;
    if (p->app_closed_c && p->c_open) {
        assert_true(p->s_reason == EIO_CLOSE_TRANSPORT_CLOSE ||
                    p->s_reason == EIO_CLOSE_TRANSPORT_ERROR ||
                    (ping_ok && p->s_reason == EIO_CLOSE_PING_TIMEOUT) ||
                    (p->app_called_s && p->s_reason == EIO_CLOSE_FORCED) ||
                    (p->shut_down && p->s_reason == EIO_CLOSE_SERVER_SHUTDOWN));
    }
    if (p->app_closed_s) {
        assert_true(p->c_reason == EIO_CLOSE_TRANSPORT_CLOSE ||
                    p->c_reason == EIO_CLOSE_TRANSPORT_ERROR ||
                    (ping_ok && p->c_reason == EIO_CLOSE_PING_TIMEOUT) ||
                    (p->app_called_c && p->c_reason == EIO_CLOSE_FORCED));
    }
}

/* ------------------------------------------------------------------------ */
/* Deterministic scenarios                                                   */
/* ------------------------------------------------------------------------ */

static const size_t fixed_sizes[] = {0, 1, 5, 100, 1000, 3000};

static net *open_pair(peer_kind kind, int *pi)
{
    net *n = net_new(0x5eed0000u + (uint64_t)kind, -1, NULL);
    n->guard = true;
    *pi = peer_add(n, kind);
    peer_open(n, *pi);
    pump(n);
    peer *p = &n->p[*pi];
    assert_true(pair_alive(p));
    assert_int_equal(eio_client_state(p->c), EIO_STATE_OPEN);
    assert_int_equal(eio_server_session_state(n->s, p->session), EIO_STATE_OPEN);
    if (p->upgrade) {
        assert_int_equal(p->c_upgrades, 1);
        assert_int_equal(p->s_upgrades, 1);
    } else {
        assert_int_equal(p->c_upgrades + p->s_upgrades + p->c_upfail + p->s_upfail, 0);
    }
    assert_int_equal(eio_client_transport(p->c), (p->upgrade || p->ws_only)
                                                     ? EIO_TRANSPORT_WEBSOCKET
                                                     : EIO_TRANSPORT_POLLING);
    return n;
}

static void send_fixed(net *n, int pi, bool from_client)
{
    for (size_t i = 0; i < sizeof(fixed_sizes) / sizeof(*fixed_sizes); i++) {
        for (int bin = 0; bin < 2; bin++) {
            size_t len = fixed_sizes[i];
            int rc = from_client ? app_client_send(n, pi, len, bin != 0)
                                 : app_server_send(n, pi, len, bin != 0);
            assert_int_equal(rc, 0);
        }
    }
}

static void test_messages_each_kind(void **state)
{
    (void)state;
    for (int k = 0; k < PK_COUNT; k++) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        send_fixed(n, pi, true);
        send_fixed(n, pi, false);
        pump(n);
        check_delivered(n, p);
        assert_int_equal(p->st[0].n, 12);
        /* several rounds, each answered before the next */
        for (int round = 0; round < 3; round++) {
            assert_int_equal(app_client_send(n, pi, 10, false), 0);
            assert_int_equal(app_server_send(n, pi, 10, true), 0);
            pump(n);
            check_delivered(n, p);
        }
        app_client_close(n, pi);
        pump(n);
        assert_true(p->c_closed && p->s_closed);
        assert_int_equal(p->c_reason, EIO_CLOSE_FORCED);
        assert_int_equal(p->s_reason, EIO_CLOSE_TRANSPORT_CLOSE);
        check_reasons(n, p);
        net_free(n);
    }
}

/*
 * v4 batching: the client never posts a body over the server's maxPayload,
 * so a burst of large messages takes several POSTs, all accepted.
 */
static void test_batching_across_max_payload(void **state)
{
    (void)state;
    eio_server_options so;
    eio_server_options_default(&so);
    so.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
    so.max_payload = SRV_MAX_PAYLOAD;
    so.max_buffered = SRV_MAX_BUFFERED;
    so.allow_upgrades = false;
    net *n = net_new(77, -1, &so);
    int pi = peer_add(n, PK_V4_POLLING);
    peer *p = &n->p[pi];
    peer_open(n, pi);
    pump(n);
    assert_true(pair_alive(p));
    for (int i = 0; i < 8; i++) {
        assert_int_equal(app_client_send(n, pi, 1500 + 150 * (size_t)i, i % 3 == 0), 0);
    }
    size_t posts = 0;
    while (n->nq > 0) {
        nmsg *m = n->q[0];
        if (m->kind == M_REQ && m->method == EIO_HTTP_POST) {
            posts++;
            assert_true(m->len <= SRV_MAX_PAYLOAD);
        }
        deliver(n, 0);
    }
    assert_true(posts >= 5);
    check_delivered(n, p);
    /* a single message the polling body could never carry is refused */
    assert_int_equal(app_client_send(n, pi, SRV_MAX_PAYLOAD, false), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(app_client_send(n, pi, SRV_MAX_PAYLOAD - 1, false), 0);
    pump(n);
    check_delivered(n, p);
    app_client_close(n, pi);
    pump(n);
    check_reasons(n, p);
    net_free(n);
}

/*
 * The upgrade with messages flowing both ways throughout: one delivery at
 * a time, a message each way after every delivery, until both sides have
 * switched; nothing is lost or reordered across the switch.
 */
static void test_upgrade_in_flight(void **state)
{
    (void)state;
    const peer_kind kinds[] = {PK_V4_UPGRADE, PK_V3_UPGRADE, PK_V3_UPGRADE_B64};
    for (size_t k = 0; k < 3; k++) {
        for (uint64_t seed = 0; seed < 8; seed++) {
            net *n = net_new(seed * 31 + k, -1, NULL);
            n->random_body = true;
            int pi = peer_add(n, kinds[k]);
            peer *p = &n->p[pi];
            peer_open(n, pi);
            unsigned before_c = 0, before_s = 0;
            size_t idx[1024];
            for (int step = 0; step < 10000 && !(p->c_upgrades && p->s_upgrades); step++) {
                if (p->c_open) {
                    assert_int_equal(app_client_send(n, pi, rbelow(&n->r, 200),
                                                     rchance(&n->r, 500)), 0);
                    if (!p->c_upgrades) {
                        before_c++;
                    }
                }
                if (p->has_session) {
                    assert_int_equal(app_server_send(n, pi, rbelow(&n->r, 200),
                                                     rchance(&n->r, 500)), 0);
                    if (!p->s_upgrades) {
                        before_s++;
                    }
                }
                assert_true(n->nq > 0);
                /* seed 0 delivers in order; the others in any order the links allow */
                size_t ne = eligible(n, idx);
                deliver(n, seed == 0 ? 0 : idx[rbelow(&n->r, (uint32_t)ne)]);
                advance(n, 1);
            }
            assert_int_equal(p->c_upgrades, 1);
            assert_int_equal(p->s_upgrades, 1);
            assert_true(before_c > 0 && before_s > 0);
            pump(n);
            check_delivered(n, p);
            assert_int_equal(eio_client_transport(p->c), EIO_TRANSPORT_WEBSOCKET);
            /* the polling requests are all over */
            assert_int_equal(p->gets + p->posts, 0);
            app_server_close(n, pi);
            pump(n);
            check_reasons(n, p);
            assert_int_equal(p->c_reason, EIO_CLOSE_TRANSPORT_CLOSE);
            net_free(n);
        }
    }
}

static void test_server_close(void **state)
{
    (void)state;
    for (int k = 0; k < PK_COUNT; k++) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        send_fixed(n, pi, false);
        app_server_close(n, pi);
        /* sends after the close are refused */
        assert_int_equal(app_server_send(n, pi, 3, false), EIO_ERR_INVALID_ARGUMENT);
        pump(n);
        assert_true(p->s_closed && p->c_closed);
        assert_int_equal(p->s_reason, EIO_CLOSE_FORCED);
        assert_int_equal(p->c_reason, EIO_CLOSE_TRANSPORT_CLOSE);
        /* what was queued before the close was flushed first */
        check_delivered(n, p);
        assert_int_equal(eio_server_session_count(n->s), 0);
        check_reasons(n, p);
        net_free(n);
    }
}

/* Polling without a GET at the server: the close waits for the next GET. */
static void test_server_close_without_get(void **state)
{
    (void)state;
    for (int k = PK_V4_POLLING; k <= PK_V3_POLLING; k += PK_V3_POLLING - PK_V4_POLLING) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        /* the held GET gets a message; its answer stays in the network */
        assert_int_equal(app_server_send(n, pi, 7, false), 0);
        assert_int_equal(n->nq, 1);
        assert_int_equal(app_server_send(n, pi, 8, true), 0);
        app_server_close(n, pi);
        assert_false(p->s_closed);
        assert_int_equal(eio_server_session_state(n->s, p->session), EIO_STATE_CLOSING);
        pump(n);
        assert_true(p->s_closed && p->c_closed);
        assert_int_equal(p->s_reason, EIO_CLOSE_FORCED);
        assert_int_equal(p->c_reason, EIO_CLOSE_TRANSPORT_CLOSE);
        check_delivered(n, p);
        net_free(n);
    }
}

static void test_client_close(void **state)
{
    (void)state;
    for (int k = 0; k < PK_COUNT; k++) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        send_fixed(n, pi, true);
        app_client_close(n, pi);
        /* closing: sends are refused; polling still flushes its queue first */
        assert_int_equal(app_client_send(n, pi, 3, false), EIO_ERR_INVALID_ARGUMENT);
        pump(n);
        assert_true(p->c_closed);
        assert_int_equal(p->c_reason, EIO_CLOSE_FORCED);
        assert_true(p->s_closed);
        assert_int_equal(p->s_reason, EIO_CLOSE_TRANSPORT_CLOSE);
        check_delivered(n, p);
        check_reasons(n, p);
        net_free(n);
    }
}

/*
 * The client's network goes away without a word: both sides time out, at
 * the latest pingInterval + pingTimeout after the last exchange.
 */
static void test_ping_timeout_cut_off(void **state)
{
    (void)state;
    for (int k = 0; k < PK_COUNT; k++) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        /* a few heartbeats first, to show the session stays up */
        for (int i = 0; i < 60; i++) {
            advance(n, 50);
            pump(n);
        }
        assert_true(pair_alive(p));
        cut_off(n, pi);
        eio_time t0 = n->now;
        for (int i = 0; i < 400 && !all_closed(n); i++) {
            advance(n, 10);
        }
        assert_true(p->c_closed && p->s_closed);
        assert_int_equal(p->c_reason, EIO_CLOSE_PING_TIMEOUT);
        assert_int_equal(p->s_reason, EIO_CLOSE_PING_TIMEOUT);
        eio_time bound = t0 + n->so.ping_interval + n->so.ping_timeout + 10;
        assert_true(p->c_closed_at <= bound);
        assert_true(p->s_closed_at <= bound);
        /* and not before the peer could possibly have answered */
        assert_true(p->s_closed_at >= t0 + n->so.ping_timeout);
        net_free(n);
    }
}

/* A late wake-up far past every deadline closes a cut-off session once. */
static void test_late_wakeup(void **state)
{
    (void)state;
    for (int k = 0; k < PK_COUNT; k++) {
        int pi;
        net *n = open_pair((peer_kind)k, &pi);
        peer *p = &n->p[pi];
        cut_off(n, pi);
        /* each machine fires what was due once (a v3 client's overdue ping,
         * a v4 server's), so the pong deadline runs from the wake-up */
        advance(n, 3600000);
        advance(n, n->so.ping_timeout);
        assert_true(p->c_closed && p->s_closed);
        assert_int_equal(p->c_reason, EIO_CLOSE_PING_TIMEOUT);
        assert_int_equal(p->s_reason, EIO_CLOSE_PING_TIMEOUT);
        assert_int_equal(eio_server_get_expiry(n->s), EIO_TIME_NEVER);
        net_free(n);
    }
}

/*
 * A polling session whose client made the handshake and never polled again
 * is reclaimed by the heartbeat, and its memory with it.
 */
static void test_idle_polling_reclaimed(void **state)
{
    (void)state;
    for (int v = 3; v <= 4; v++) {
        net *n = net_new(99, -1, NULL);
        long baseline = -1;
        for (int round = 0; round < 2; round++) {
            int count = round == 0 ? 1 : 50;
            for (int i = 0; i < count; i++) {
                int pi = peer_add(n, v == 4 ? PK_V4_POLLING : PK_V3_POLLING);
                peer_open(n, pi);
                /* deliver the handshake only, then the client's network is gone */
                while (!n->p[pi].c_open) {
                    deliver(n, 0);
                }
                cut_off(n, pi);
                eio_time t0 = n->now;
                for (int j = 0; j < 1000 && !n->p[pi].s_closed; j++) {
                    advance(n, 10);
                }
                peer *p = &n->p[pi];
                assert_true(p->s_closed);
                assert_int_equal(p->s_reason, EIO_CLOSE_PING_TIMEOUT);
                assert_true(n->now <= t0 + n->so.ping_interval + n->so.ping_timeout + 10);
                assert_int_equal(eio_server_session_count(n->s), 0);
                assert_int_equal(eio_server_session_state(n->s, p->session), EIO_STATE_CLOSED);
                /* the client gave up too; then its slot is recycled */
                for (int j = 0; j < 1000 && !p->c_closed; j++) {
                    advance(n, 10);
                }
                assert_true(p->c_closed);
                eio_client_free(p->c);
                free(p->st[0].v);
                free(p->st[1].v);
                free(p->conn_link);
                memset(p, 0, sizeof(*p));
                p->absent = true;
                n->np--;
            }
            /* sessions leave nothing behind once their CLOSE is drained */
            if (round == 0) {
                baseline = n->fm.outstanding;
            } else {
                assert_int_equal(n->fm.outstanding, baseline);
            }
        }
        net_free(n);
    }
}

/* A dropped probe WebSocket: the upgrade fails on both sides, polling goes on. */
static void test_probe_dropped(void **state)
{
    (void)state;
    const peer_kind kinds[] = {PK_V4_UPGRADE, PK_V3_UPGRADE};
    for (size_t k = 0; k < 2; k++) {
        net *n = net_new(5, -1, NULL);
        int pi = peer_add(n, kinds[k]);
        peer *p = &n->p[pi];
        peer_open(n, pi);
        int ws = -1;
        for (int i = 0; i < 100 && ws < 0; i++) {
            deliver(n, 0);
            for (size_t j = 0; j < n->nlinks; j++) {
                if (n->links[j].ws && n->links[j].s == LS_OPEN) {
                    ws = (int)j;
                }
            }
        }
        assert_true(ws >= 0);
        assert_int_equal(app_client_send(n, pi, 20, false), 0);
        assert_int_equal(app_server_send(n, pi, 20, true), 0);
        drop_link(n, ws);
        p->lossy = false; /* the session itself must survive this */
        pump(n);
        assert_true(pair_alive(p));
        assert_int_equal(p->c_upfail, 1);
        assert_int_equal(p->s_upfail, 1);
        assert_int_equal(eio_client_transport(p->c), EIO_TRANSPORT_POLLING);
        check_delivered(n, p);
        assert_int_equal(app_client_send(n, pi, 20, true), 0);
        assert_int_equal(app_server_send(n, pi, 20, false), 0);
        pump(n);
        check_delivered(n, p);
        app_client_close(n, pi);
        pump(n);
        check_reasons(n, p);
        net_free(n);
    }
}

/* ------------------------------------------------------------------------ */
/* Randomised runs                                                           */
/* ------------------------------------------------------------------------ */

static size_t pick_size(rng *r, const peer *p, bool from_client)
{
    uint32_t c = rbelow(r, 100);
    if (c < 50) {
        return rbelow(r, 41);
    }
    if (c < 80) {
        return 41 + rbelow(r, 360);
    }
    if (c < 95 || p->v == EIO_V3 || !p->c_open) {
        return 401 + rbelow(r, 1100);
    }
    /* near and past the server's maxPayload: batching, refusals */
    return from_client ? 1501 + rbelow(r, 3000) : 1501 + rbelow(r, 6000);
}

/*
 * What a careful application does: leave room in max_buffered for the
 * server's own pings and pongs. What it has in flight may well pass the
 * client's max payload: the server splits polling answers by max_payload.
 */
static bool server_may_send(const peer *p, size_t len)
{
    const stream *s = &p->st[1];
    size_t bytes = s->bytes_sent - s->bytes_recv + len;
    size_t count = s->n - s->recv;
    return bytes <= 12000 && count < 150;
}

static void random_step(net *n)
{
    rng *r = &n->r;
    uint32_t op = rbelow(r, 1000);
    int pi = (int)rbelow(r, (uint32_t)n->np);
    peer *p = &n->p[pi];
    static size_t idx[4096];
    if (op < 450) {
        if (n->nq == 0) {
            run_expiry(n);
            return;
        }
        /* half the time the oldest delivery, so no link starves */
        size_t ne = eligible(n, idx);
        assert_true(ne > 0 && ne <= sizeof(idx) / sizeof(*idx));
        deliver(n, rchance(r, 500) ? 0 : idx[rbelow(r, (uint32_t)ne)]);
    } else if (op < 570) {
        if (!p->absent && p->started && !p->c_closed) {
            app_client_send(n, pi, pick_size(r, p, true), rchance(r, 400));
        }
    } else if (op < 690) {
        /* sometimes a burst, so a polling client finds more than
         * max_payload queued when it polls */
        int burst = rchance(r, 100) ? 2 + (int)rbelow(r, 5) : 1;
        for (int i = 0; i < burst && p->has_session && !p->s_closed; i++) {
            size_t len = pick_size(r, p, false);
            if (server_may_send(p, len)) {
                app_server_send(n, pi, len, rchance(r, 400));
            }
        }
    } else if (op < 850) {
        advance(n, 1 + rbelow(r, 40));
    } else if (op < 860) {
        /* a slow wake-up, still within the heartbeat's slack */
        jump(n, n->so.ping_timeout / 8 + rbelow(r, n->so.ping_timeout / 8));
    } else if (op < 900) {
        peer_open(n, pi);
    } else if (op < 901) {
        /* a big late jump: timeouts are fair */
        for (int i = 0; i < n->np; i++) {
            n->p[i].lossy = true;
        }
        jump(n, n->so.ping_interval + rbelow(r, 60000));
    } else if (op < 903) {
        if (n->nlinks > 0) {
            size_t li = rbelow(r, (uint32_t)n->nlinks);
            nlink *l = &n->links[li];
            if (l->s == LS_PENDING || l->s == LS_OPEN || l->c == LC_AWAIT || l->c == LC_OPEN) {
                if (!n->p[l->peer].blackhole) {
                    drop_link(n, (int)li);
                }
            }
        }
    } else if (op < 905) {
        app_client_close(n, pi);
    } else if (op < 907) {
        app_server_close(n, pi);
    } else if (op < 908) {
        if (!p->absent && !p->blackhole && rchance(r, 300)) {
            cut_off(n, pi);
        }
    } else if (op < 960) {
        /* an early or spurious wake-up must not fire anything not yet due */
        if (!p->absent && p->started) {
            eio_time e = eio_client_get_expiry(p->c);
            int rc = eio_client_handle_expiry(p->c, n->now);
            drain_client(n, pi);
            client_rc(n, rc);
            if (e > n->now) {
                assert_int_equal(eio_client_get_expiry(p->c), e);
            }
        }
    }
    run_expiry(n);
}

static long random_run(uint64_t seed, long fail_at, stats *st)
{
    rng r0 = {seed};
    if (getenv("SIOC_LOOP_VERBOSE")) {
        fprintf(stderr, "run %#llx fail_at %ld\n", (unsigned long long)seed, fail_at);
    }
    eio_server_options so;
    eio_server_options_default(&so);
    so.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
    so.ping_interval = 300 + rbelow(&r0, 1200);
    so.ping_timeout = 200 + rbelow(&r0, 800);
    so.upgrade_timeout = 2000;
    so.max_payload = SRV_MAX_PAYLOAD;
    so.max_buffered = SRV_MAX_BUFFERED;
    net *n = net_new(rnext(&r0), fail_at, &so);
    n->st = st;
    if (n->s == NULL) {
        st->nomem_returns++;
    }
    n->random_body = true;
    n->latency = so.ping_timeout / 10;
    n->guard = seed % 16 == 0;
    if (n->s == NULL) {
        assert_int_equal(n->fm.outstanding, 0);
        free(n);
        return 0;
    }
    int np = 2 + (int)rbelow(&n->r, 5);
    for (int i = 0; i < np; i++) {
        peer_add(n, (peer_kind)rbelow(&n->r, PK_COUNT));
    }
    peer_open(n, 0);
    int steps = 100 + (int)rbelow(&n->r, 500);
    for (int i = 0; i < steps; i++) {
        random_step(n);
    }
    st->steps += (unsigned long)steps;

    /* let everything in flight land, with the clock standing still */
    pump(n);
    for (int i = 0; i < n->np; i++) {
        peer *p = &n->p[i];
        if (pair_alive(p) && !p->blackhole && !n->nomem_mode) {
            check_delivered(n, p);
            st->verified++;
        }
        /* with the network quiet, no close is left half done */
        if (pair_alive(p) && !p->blackhole) {
            assert_int_equal(eio_client_state(p->c), EIO_STATE_OPEN);
            assert_int_equal(eio_server_session_state(n->s, p->session), EIO_STATE_OPEN);
        }
    }

    /* end every session one way or another; each must end on both sides */
    for (int i = 0; i < n->np; i++) {
        switch (rbelow(&n->r, 4)) {
        case 0:
            app_client_close(n, i);
            break;
        case 1:
            app_server_close(n, i);
            break;
        case 2:
            if (!n->p[i].absent && !n->p[i].blackhole) {
                cut_off(n, i);
            }
            break;
        default:
            break; /* left to the shutdown below */
        }
    }
    for (int i = 0; i < 400 && !all_closed(n); i++) {
        pump(n);
        advance(n, 100);
        if (i == 200 && !n->shutdown) {
            n->shutdown = true;
            for (int j = 0; j < n->np; j++) {
                if (n->p[j].has_session && !n->p[j].s_closed) {
                    n->p[j].shut_down = true;
                }
            }
            for (int tries = 0;; tries++) {
                assert_true(tries < 3);
                int rc = eio_server_shutdown(n->s, n->now);
                drain_server(n);
                if (rc != EIO_ERR_NOMEM) {
                    assert_int_equal(rc, 0);
                    break;
                }
                server_rc(n, rc);
            }
        }
        /* connections nobody hears from any more time out in the I/O layer */
        if (i == 300) {
            for (size_t li = 0; li < n->nlinks; li++) {
                nlink *l = &n->links[li];
                peer *q = &n->p[l->peer];
                if (!q->absent && q->started && !q->c_closed &&
                    (l->s == LS_PENDING || l->s == LS_OPEN || l->c == LC_AWAIT ||
                     l->c == LC_OPEN)) {
                    drop_link(n, (int)li);
                }
            }
        }
    }
    pump(n);
    assert_true(all_closed(n));
    for (int i = 0; i < n->np; i++) {
        check_reasons(n, &n->p[i]);
    }
    if (n->nomem_mode && n->fm.calls > fail_at) {
        /* the failure surfaced somewhere: a NOMEM return or a NOMEM close */
        assert_true(st->nomem_returns + st->nomem_closes > 0);
    }
    st->runs++;
    long calls = n->fm.calls;
    net_free(n);
    return calls;
}

/* ------------------------------------------------------------------------ */
/* Polling limits                                                            */
/* ------------------------------------------------------------------------ */

/*
 * Client and server configured with the same max payload (4096): the
 * server answers a GET with the packets that fit in max_payload and keeps
 * the rest for the next GET, so more than max_payload queued while no GET
 * is held (the normal state of a polling session between two GETs) all
 * arrives; an orderly close with such a queue spreads it and the close
 * packet over as many GETs as needed.
 */
static void test_poll_answers_within_max_payload(void **state)
{
    (void)state;
    const peer_kind kinds[] = {PK_V4_POLLING, PK_V3_POLLING};
    for (size_t k = 0; k < 2; k++) {
        eio_server_options so;
        eio_server_options_default(&so);
        so.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
        so.max_payload = SRV_MAX_PAYLOAD;
        so.max_buffered = 10 * SRV_MAX_PAYLOAD;
        net *n = net_new(11, -1, &so);
        n->client_max_payload = SRV_MAX_PAYLOAD;
        int pi = peer_add(n, kinds[k]);
        peer *p = &n->p[pi];
        peer_open(n, pi);
        pump(n);
        assert_true(pair_alive(p));
        /* the held GET takes the first message; the answer is on its way */
        assert_int_equal(app_server_send(n, pi, 100, false), 0);
        /* meanwhile three messages of 2000 bytes are queued: each fits
         * maxPayload, together they do not */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(app_server_send(n, pi, 2000, i == 1), 0);
        }
        pump(n);
        assert_false(p->c_closed);
        assert_true(pair_alive(p));
        check_delivered(n, p);
        /* the same, closed by the server before the client polls again */
        assert_int_equal(app_server_send(n, pi, 100, false), 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(app_server_send(n, pi, 2000, i == 0), 0);
        }
        app_server_close(n, pi);
        assert_int_equal(eio_server_session_state(n->s, p->session), EIO_STATE_CLOSING);
        pump(n);
        check_delivered(n, p);
        assert_true(p->c_closed && p->s_closed);
        assert_int_equal(p->s_reason, EIO_CLOSE_FORCED);
        assert_int_equal(p->c_reason, EIO_CLOSE_TRANSPORT_CLOSE);
        check_reasons(n, p);
        net_free(n);
    }
}

/*
 * v4 polling joins packets with the record separator 0x1e and has no
 * escape for it (the reference has the same hole): both send functions
 * refuse v4 text holding 0x1e while the session may still travel over
 * polling, and accept it once on WebSocket, where it arrives whole.
 */
static void test_v4_text_with_separator(void **state)
{
    (void)state;
    static const uint8_t text[] = "a\x1e" "b";
    int pi;
    net *n = open_pair(PK_V4_POLLING, &pi);
    peer *p = &n->p[pi];
    n->raw = true;
    assert_int_equal(eio_client_send(p->c, text, 3, false, n->now), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_send(n->s, p->session, text, 3, false, n->now),
                     EIO_ERR_INVALID_ARGUMENT);
    /* as binary it is fine */
    assert_int_equal(eio_client_send(p->c, text, 3, true, n->now), 0);
    drain_client(n, pi);
    pump(n);
    assert_int_equal(n->raw_count, 1);
    assert_int_equal(n->raw_len, 3);
    assert_memory_equal(n->raw_last, text, 3);
    app_client_close(n, pi);
    pump(n);
    net_free(n);

    /* upgraded: accepted, one message */
    n = open_pair(PK_V4_UPGRADE, &pi);
    p = &n->p[pi];
    n->raw = true;
    assert_int_equal(eio_client_send(p->c, text, 3, false, n->now), 0);
    drain_client(n, pi);
    pump(n);
    assert_int_equal(n->raw_count, 1);
    assert_int_equal(n->raw_len, 3);
    assert_memory_equal(n->raw_last, text, 3);
    app_client_close(n, pi);
    pump(n);
    net_free(n);
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_stats(const char *what, const stats *st, double secs)
{
    printf("%s: %lu runs, %lu steps, %lu messages (%lu bytes) delivered, %lu upgrades, "
           "%lu failed upgrades, %lu sessions verified whole, %lu sends refused, %lu drops, "
           "%lu sends past max_payload in flight on polling, %.2f s\n",
           what, st->runs, st->steps, st->messages, st->bytes, st->upgrades, st->upgrade_failed,
           st->verified, st->refused, st->drops, st->big_queues, secs);
    printf("%s: closes: forced %lu, transport close %lu, transport error %lu, ping timeout %lu, "
           "shutdown %lu; NOMEM closes %lu, NOMEM returns %lu\n",
           what, st->closes[EIO_CLOSE_FORCED], st->closes[EIO_CLOSE_TRANSPORT_CLOSE],
           st->closes[EIO_CLOSE_TRANSPORT_ERROR], st->closes[EIO_CLOSE_PING_TIMEOUT],
           st->closes[EIO_CLOSE_SERVER_SHUTDOWN], st->nomem_closes, st->nomem_returns);
}

static unsigned long env_runs(unsigned long dflt)
{
    const char *s = getenv("SIOC_LOOP_RUNS");
    return s ? strtoul(s, NULL, 10) : dflt;
}

static void test_random_runs(void **state)
{
    (void)state;
    stats st;
    memset(&st, 0, sizeof(st));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long runs = env_runs(5000);
    const char *from = getenv("SIOC_LOOP_FIRST");
    unsigned long first = from ? strtoul(from, NULL, 0) : 0;
    for (unsigned long i = first; i < first + runs; i++) {
        random_run(0xe10c0000u + i, -1, &st);
    }
    print_stats("random", &st, elapsed(&t0));
    assert_int_equal(st.runs, runs);
    assert_true(st.upgrades > 0 && st.verified > 0 && st.messages > 0 && st.big_queues > 0);
}

/* The same runs with one allocation failing somewhere in them. */
static void test_random_nomem(void **state)
{
    (void)state;
    stats total;
    memset(&total, 0, sizeof(total));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long runs = env_runs(5000) / 20 + 1;
    rng r = {42};
    for (unsigned long i = 0; i < runs; i++) {
        uint64_t seed = 0xfa110000u + i;
        stats st;
        memset(&st, 0, sizeof(st));
        /* a clean run counts the allocations, then one of them fails */
        long calls = random_run(seed, -1, &st);
        assert_true(calls > 0);
        memset(&st, 0, sizeof(st));
        random_run(seed, (long)rbelow(&r, (uint32_t)calls), &st);
        total.runs += st.runs;
        total.steps += st.steps;
        total.messages += st.messages;
        total.bytes += st.bytes;
        total.upgrades += st.upgrades;
        total.upgrade_failed += st.upgrade_failed;
        total.refused += st.refused;
        total.drops += st.drops;
        total.big_queues += st.big_queues;
        total.nomem_closes += st.nomem_closes;
        total.nomem_returns += st.nomem_returns;
        for (int k = 0; k < 8; k++) {
            total.closes[k] += st.closes[k];
        }
    }
    print_stats("allocation failure", &total, elapsed(&t0));
    assert_true(total.nomem_closes + total.nomem_returns > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_each_kind),
        cmocka_unit_test(test_batching_across_max_payload),
        cmocka_unit_test(test_upgrade_in_flight),
        cmocka_unit_test(test_server_close),
        cmocka_unit_test(test_server_close_without_get),
        cmocka_unit_test(test_client_close),
        cmocka_unit_test(test_ping_timeout_cut_off),
        cmocka_unit_test(test_late_wakeup),
        cmocka_unit_test(test_idle_polling_reclaimed),
        cmocka_unit_test(test_probe_dropped),
        cmocka_unit_test(test_random_runs),
        cmocka_unit_test(test_random_nomem),
        cmocka_unit_test(test_poll_answers_within_max_payload),
        cmocka_unit_test(test_v4_text_with_separator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
