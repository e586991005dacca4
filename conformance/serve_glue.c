/*
 * serve_glue.c - the glue of `sioc serve`: net.h's HTTP/WebSocket server
 * below, eio_server and sio_server above (see serve_glue.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "serve_glue.h"
#include "sioc_cli.h"

/* ------------------------------------------------------------------------ */
/* A small hash map from 64-bit keys (never 0) to pointers                   */
/* ------------------------------------------------------------------------ */

typedef struct map_slot {
    uint64_t key; /* 0: empty */
    void *val;
} map_slot;

typedef struct u64map {
    map_slot *s;
    size_t cap; /* a power of two, or 0 */
    size_t n;
} u64map;

static size_t map_home(const u64map *m, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9E3779B97F4A7C15);
    h ^= h >> 29;
    return (size_t)h & (m->cap - 1);
}

static void *map_get(const u64map *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    for (size_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->s[i].key == key) {
            return m->s[i].val;
        }
        if (m->s[i].key == 0) {
            return NULL;
        }
    }
}

static int map_grow(u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    map_slot *ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL) {
        return -1;
    }
    u64map nm = {ns, ncap, 0};
    for (size_t i = 0; i < m->cap; i++) {
        if (m->s[i].key != 0) {
            size_t j = map_home(&nm, m->s[i].key);
            while (ns[j].key != 0) {
                j = (j + 1) & (ncap - 1);
            }
            ns[j] = m->s[i];
            nm.n++;
        }
    }
    free(m->s);
    *m = nm;
    return 0;
}

/* Inserts or replaces; returns the value replaced through *old (or NULL). */
static int map_put(u64map *m, uint64_t key, void *val, void **old)
{
    if (old) {
        *old = NULL;
    }
    if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m) != 0) {
        return -1;
    }
    size_t i = map_home(m, key);
    while (m->s[i].key != 0 && m->s[i].key != key) {
        i = (i + 1) & (m->cap - 1);
    }
    if (m->s[i].key == key) {
        if (old) {
            *old = m->s[i].val;
        }
        m->s[i].val = val;
        return 0;
    }
    m->s[i].key = key;
    m->s[i].val = val;
    m->n++;
    return 0;
}

/* Removes `key` (backward-shift deletion keeps probe chains whole). */
static void *map_del(u64map *m, uint64_t key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1;
    size_t i = map_home(m, key);
    while (m->s[i].key != key) {
        if (m->s[i].key == 0) {
            return NULL;
        }
        i = (i + 1) & mask;
    }
    void *val = m->s[i].val;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->s[j].key == 0) {
            break;
        }
        size_t h = map_home(m, m->s[j].key);
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            m->s[i] = m->s[j];
            i = j;
        }
    }
    m->s[i].key = 0;
    m->s[i].val = NULL;
    m->n--;
    return val;
}

static void map_free(u64map *m)
{
    free(m->s);
    m->s = NULL;
    m->cap = m->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct frame {
    struct frame *next;
    size_t len;
    bool binary;
    uint8_t data[];
} frame;

/* One request, or one WebSocket, of the network. */
typedef struct conn {
    uint64_t net;      /* net handle */
    uint32_t id;       /* the machines' connection id */
    serve_glue *g;
    bool ws;           /* an upgrade request / a WebSocket */
    bool accepted;     /* net_server_ws_accept done */
    bool open;         /* on_ws_open seen: frames may go out */
    bool close_pending;/* the machine closed it before it was open */
    bool body_pending; /* a POST whose body is announced */
    frame *q_head, *q_tail; /* frames queued before on_ws_open */
    size_t q_bytes;
} conn;

typedef struct sock_info {
    char *id;    /* the Socket.IO id */
    char *nsp;
    size_t nsp_len;
    char *sid;   /* the Engine.IO sid, or NULL */
} sock_info;

struct serve_glue {
    serve_host *h;
    char *path;
    size_t path_len;
    eio_server *es;
    sio_server *ss;
    serve_glue_app app;
    size_t max_buffered;
    bool es_draining;
    bool ss_draining;
    uint64_t timer;
    eio_time timer_at;
    u64map sessions; /* session handle -> char *sid */
    u64map sockets;  /* socket handle -> sock_info * */
};

struct serve_host {
    net_loop *l;
    net_server *srv;
    FILE *log;
    net_time t0;
    serve_glue **paths;
    size_t npaths;
    u64map by_net; /* net handle -> conn * */
    u64map by_id;  /* conn id -> conn * (the same entries) */
    uint32_t next_id;
    sioc_jbuf line;
    bool line_open;
    bool shut;
};

/* ------------------------------------------------------------------------ */
/* Log lines                                                                 */
/* ------------------------------------------------------------------------ */

sioc_jbuf *serve_log_begin(serve_glue *g, const char *event)
{
    serve_host *h = g->h;
    if (h->log == NULL || h->line_open) {
        return NULL;
    }
    h->line_open = true;
    h->line.len = 0;
    h->line.nomem = false;
    sioc_jbuf_lit(&h->line, "{\"t\":");
    sioc_jbuf_uint(&h->line, net_now(h->l) - h->t0);
    sioc_jbuf_lit(&h->line, ",\"event\":");
    sioc_jbuf_string(&h->line, (const uint8_t *)event, strlen(event));
    return &h->line;
}

void serve_log_end(serve_glue *g)
{
    serve_host *h = g->h;
    if (!h->line_open) {
        return;
    }
    h->line_open = false;
    sioc_jbuf_lit(&h->line, "}");
    int rc = sioc_jbuf_emit(&h->line, h->log);
    if (rc == 0) {
        rc = fflush(h->log) == 0 ? 0 : -1;
    }
    if (rc == -1) {
        /* Nobody reads the log any more: keep serving without it. */
        fprintf(stderr, SIOC_PROG " serve: cannot write the log (%s); logging stops\n",
                strerror(errno));
        h->log = NULL;
    }
}

static void key(sioc_jbuf *b, const char *k)
{
    sioc_jbuf_lit(b, ",");
    sioc_jbuf_string(b, (const uint8_t *)k, strlen(k));
    sioc_jbuf_lit(b, ":");
}

void serve_log_json(sioc_jbuf *b, const char *k, const eio_json *v)
{
    key(b, k);
    if (v == NULL) {
        sioc_jbuf_lit(b, "null");
    } else {
        sioc_jbuf_tree(b, v);
    }
}

void serve_log_str(sioc_jbuf *b, const char *k, const char *text, size_t len)
{
    key(b, k);
    if (text == NULL) {
        sioc_jbuf_lit(b, "null");
    } else {
        sioc_jbuf_string(b, (const uint8_t *)text, len);
    }
}

void serve_log_uint(sioc_jbuf *b, const char *k, uint64_t v)
{
    key(b, k);
    sioc_jbuf_uint(b, v);
}

static void log_cstr(sioc_jbuf *b, const char *k, const char *text)
{
    serve_log_str(b, k, text, text ? strlen(text) : 0);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static void queue_free(conn *c)
{
    frame *f = c->q_head;
    while (f) {
        frame *n = f->next;
        free(f);
        f = n;
    }
    c->q_head = c->q_tail = NULL;
    c->q_bytes = 0;
}

static conn *conn_new(serve_host *h, serve_glue *g, uint64_t net, bool ws)
{
    conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    /* Ids count up from 1; after a wrap, skip those still alive. */
    do {
        h->next_id++;
        if (h->next_id == 0) {
            h->next_id = 1;
        }
    } while (map_get(&h->by_id, h->next_id) != NULL);
    c->net = net;
    c->id = h->next_id;
    c->g = g;
    c->ws = ws;
    if (map_put(&h->by_net, net, c, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (map_put(&h->by_id, c->id, c, NULL) != 0) {
        map_del(&h->by_net, net);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_forget(serve_host *h, conn *c)
{
    map_del(&h->by_net, c->net);
    map_del(&h->by_id, c->id);
    queue_free(c);
    free(c);
}

/* ------------------------------------------------------------------------ */
/* Draining                                                                  */
/* ------------------------------------------------------------------------ */

static void drain_eio(serve_glue *g);
static void drain_sio(serve_glue *g);
static void rearm(serve_glue *g);

static eio_time now_of(const serve_glue *g)
{
    return net_now(g->h->l);
}

/* The WebSocket of `c` holds more than the session may buffer: the client
 * does not read. It is closed, as the machine closes a session whose own
 * queue overflows. */
static void ws_overflow(serve_glue *g, conn *c)
{
    serve_host *h = g->h;
    uint32_t id = c->id;
    sioc_jbuf *b = serve_log_begin(g, "ws_overflow");
    if (b) {
        serve_log_str(b, "path", g->path, g->path_len);
        serve_log_uint(b, "buffered", c->q_bytes + net_ws_buffered(h->l, c->net));
        serve_log_uint(b, "limit", g->max_buffered);
        serve_log_end(g);
    }
    net_ws_close(h->l, c->net, 1008);
    conn_forget(h, c);
    eio_server_ws_closed(g->es, id, now_of(g));
}

static void ws_send(serve_glue *g, conn *c, const uint8_t *data, size_t len, bool binary)
{
    serve_host *h = g->h;
    if (!c->open) {
        frame *f = malloc(sizeof(*f) + len);
        if (f == NULL) {
            ws_overflow(g, c);
            return;
        }
        f->next = NULL;
        f->len = len;
        f->binary = binary;
        if (len) {
            memcpy(f->data, data, len);
        }
        if (c->q_tail) {
            c->q_tail->next = f;
        } else {
            c->q_head = f;
        }
        c->q_tail = f;
        c->q_bytes += len;
        if (c->q_bytes > g->max_buffered) {
            ws_overflow(g, c);
        }
        return;
    }
    if (net_ws_send(h->l, c->net, data, len, binary) != NET_OK) {
        return; /* gone: its close callback tells the machine */
    }
    if (net_ws_buffered(h->l, c->net) > g->max_buffered) {
        ws_overflow(g, c);
    }
}

static void on_eio_action(serve_glue *g, const eio_server_action *a)
{
    serve_host *h = g->h;
    conn *c = map_get(&h->by_id, a->conn);
    if (c == NULL) {
        return; /* the client left meanwhile; the machine was told */
    }
    switch (a->type) {
    case EIO_SERVER_HTTP_RESPOND:
        net_server_respond(h->l, c->net, a->status, a->content_type, NULL, a->body, a->len);
        conn_forget(h, c);
        break;
    case EIO_SERVER_WS_ACCEPT:
        if (net_server_ws_accept(h->l, c->net) != NET_OK) {
            uint32_t id = c->id;
            conn_forget(h, c);
            eio_server_ws_closed(g->es, id, now_of(g));
        } else {
            c->accepted = true;
        }
        break;
    case EIO_SERVER_WS_SEND:
        ws_send(g, c, a->body, a->len, a->binary);
        break;
    case EIO_SERVER_WS_CLOSE:
        if (c->accepted && !c->open) {
            c->close_pending = true; /* closed once the handshake completes */
        } else {
            net_ws_close(h->l, c->net, 1000);
            conn_forget(h, c);
        }
        break;
    }
}

static void sid_forget(serve_glue *g, uint32_t session)
{
    free(map_del(&g->sessions, session));
}

static void log_eio_event(serve_glue *g, const eio_event *e, const char *sid)
{
    static const char *const names[] = {"eio_open", "eio_message", "eio_upgrade",
                                        "eio_upgrade_failed", "eio_ping", "eio_pong",
                                        "eio_close"};
    if (e->type == EIO_EVENT_PING || e->type == EIO_EVENT_PONG) {
        return; /* heartbeats would drown the rest */
    }
    if (e->type == EIO_EVENT_MESSAGE && g->ss != NULL) {
        return; /* the Socket.IO events say more */
    }
    if ((unsigned)e->type >= sizeof(names) / sizeof(names[0])) {
        return;
    }
    sioc_jbuf *b = serve_log_begin(g, names[e->type]);
    if (b == NULL) {
        return;
    }
    serve_log_str(b, "path", g->path, g->path_len);
    log_cstr(b, "sid", sid);
    switch (e->type) {
    case EIO_EVENT_OPEN:
        serve_log_uint(b, "eio", e->version == EIO_V3 ? 3 : 4);
        log_cstr(b, "transport", e->transport == EIO_TRANSPORT_WEBSOCKET ? "websocket" : "polling");
        break;
    case EIO_EVENT_MESSAGE:
        serve_log_uint(b, "len", e->len);
        key(b, "binary");
        sioc_jbuf_lit(b, e->binary ? "true" : "false");
        break;
    case EIO_EVENT_CLOSE:
        log_cstr(b, "reason", eio_close_reason_name((int)e->reason));
        if (e->error != 0) {
            log_cstr(b, "error", eio_error_name(e->error));
        }
        break;
    default:
        break;
    }
    serve_log_end(g);
}

static void on_eio_event(serve_glue *g, const eio_event *e)
{
    eio_time now = now_of(g);
    if (e->type == EIO_EVENT_OPEN) {
        const char *sid = eio_server_session_sid(g->es, e->session);
        char *copy = sid ? strdup(sid) : NULL;
        void *old = NULL;
        if (copy == NULL || map_put(&g->sessions, e->session, copy, &old) != 0) {
            /* No memory to follow the session: end it rather than run it blind. */
            free(copy);
            eio_server_close_session(g->es, e->session, now);
            return;
        }
        free(old);
    }
    const char *sid = map_get(&g->sessions, e->session);
    log_eio_event(g, e, sid);
    if (g->ss != NULL) {
        int rc = 0;
        switch (e->type) {
        case EIO_EVENT_OPEN:
            rc = sio_server_eio_open(g->ss, e->session, e->version, now);
            break;
        case EIO_EVENT_MESSAGE:
            rc = sio_server_eio_message(g->ss, e->session, e->data, e->len, e->binary, now);
            break;
        case EIO_EVENT_CLOSE:
            sio_server_eio_close(g->ss, e->session, e->reason, now);
            break;
        default:
            break;
        }
        if (rc == EIO_ERR_NOMEM &&
            eio_server_session_state(g->es, e->session) < EIO_STATE_CLOSING) {
            eio_server_close_session(g->es, e->session, now);
        }
        drain_sio(g);
    } else if (g->app.on_eio_event != NULL) {
        g->app.on_eio_event(g, e, g->app.ud);
    }
    if (e->type == EIO_EVENT_CLOSE) {
        sid_forget(g, e->session);
    }
}

static void drain_eio(serve_glue *g)
{
    eio_server_action a;
    eio_event e;
    if (g->es_draining) {
        return;
    }
    g->es_draining = true;
    for (;;) {
        if (eio_server_next_action(g->es, &a)) {
            on_eio_action(g, &a);
            continue;
        }
        if (g->ss_draining || !eio_server_next_event(g->es, &e)) {
            break;
        }
        on_eio_event(g, &e);
    }
    g->es_draining = false;
}

static void on_sio_action(serve_glue *g, const sio_action *a)
{
    eio_time now = now_of(g);
    eio_session_state st = eio_server_session_state(g->es, a->session);
    if (a->type == SIO_ACTION_EIO_SEND) {
        int rc = eio_server_send(g->es, a->session, a->data, a->len, a->binary, now);
        if (rc != 0 && st < EIO_STATE_CLOSING) {
            /* A packet without some of its parts would be worse than no
             * connection: the client reconnects. */
            sioc_jbuf *b = serve_log_begin(g, "eio_send_refused");
            if (b) {
                serve_log_str(b, "path", g->path, g->path_len);
                log_cstr(b, "sid", map_get(&g->sessions, a->session));
                log_cstr(b, "error", eio_error_name(rc));
                serve_log_end(g);
            }
            eio_server_close_session(g->es, a->session, now);
        }
    } else if (a->type == SIO_ACTION_EIO_CLOSE) {
        if (st < EIO_STATE_CLOSING) {
            eio_server_close_session(g->es, a->session, now);
        }
    }
}

static void log_sio_event(serve_glue *g, const sio_event *e)
{
    static const char *const names[] = {
        "sio_connect", "sio_connect_request", "sio_connect_error", "sio_event", "sio_ack",
        "sio_ack_timeout", "sio_disconnect", "sio_reconnect_attempt", "sio_reconnect",
        "sio_reconnect_failed", "sio_recovered"};
    if ((unsigned)e->type >= sizeof(names) / sizeof(names[0])) {
        return;
    }
    sioc_jbuf *b = serve_log_begin(g, names[e->type]);
    if (b == NULL) {
        return;
    }
    sock_info *si = map_get(&g->sockets, e->socket);
    const char *sid = map_get(&g->sessions, e->session);
    if (sid == NULL && si != NULL) {
        sid = si->sid;
    }
    log_cstr(b, "sid", sid);
    serve_log_str(b, "nsp", (const char *)e->nsp.ptr, e->nsp.len);
    const char *id = e->type == SIO_EVENT_CONNECT ? e->sid : sio_server_socket_id(g->ss, e->socket);
    if (id == NULL && si != NULL) {
        id = si->id;
    }
    if (e->type != SIO_EVENT_CONNECT_REQUEST) {
        log_cstr(b, "id", id);
    }
    switch (e->type) {
    case SIO_EVENT_CONNECT_REQUEST:
        serve_log_json(b, "auth", e->data);
        break;
    case SIO_EVENT_EVENT: {
        const eio_json *name = e->data ? e->data->u.c.first : NULL;
        if (name && name->type == EIO_JSON_STRING) {
            serve_log_str(b, "name", name->u.str.ptr, name->u.str.len);
        }
        if (e->has_id) {
            serve_log_uint(b, "ack", e->id);
        }
        break;
    }
    case SIO_EVENT_ACK:
        serve_log_uint(b, "ack", e->id);
        serve_log_json(b, "data", e->data);
        break;
    case SIO_EVENT_ACK_TIMEOUT:
        serve_log_uint(b, "ack", e->id);
        if (e->reason != SIO_DISCONNECT_NONE) {
            log_cstr(b, "reason", sio_disconnect_reason_name((int)e->reason));
        }
        break;
    case SIO_EVENT_DISCONNECT:
        log_cstr(b, "reason", sio_disconnect_reason_name((int)e->reason));
        break;
    default:
        break;
    }
    serve_log_end(g);
}

static void sock_free(sock_info *si)
{
    if (si) {
        free(si->id);
        free(si->nsp);
        free(si->sid);
        free(si);
    }
}

static void sock_remember(serve_glue *g, const sio_event *e)
{
    sock_info *si = calloc(1, sizeof(*si));
    const char *sid = map_get(&g->sessions, e->session);
    if (si == NULL) {
        return; /* only the log loses the id */
    }
    si->id = e->sid ? strdup(e->sid) : NULL;
    si->sid = sid ? strdup(sid) : NULL;
    si->nsp = malloc(e->nsp.len + 1);
    if (si->nsp) {
        memcpy(si->nsp, e->nsp.ptr, e->nsp.len);
        si->nsp[e->nsp.len] = '\0';
        si->nsp_len = e->nsp.len;
    }
    void *old = NULL;
    if (map_put(&g->sockets, e->socket, si, &old) != 0) {
        sock_free(si);
        return;
    }
    sock_free(old);
}

static void drain_sio(serve_glue *g)
{
    sio_action a;
    sio_event e;
    if (g->ss == NULL || g->ss_draining) {
        return;
    }
    g->ss_draining = true;
    for (;;) {
        if (sio_server_next_action(g->ss, &a)) {
            on_sio_action(g, &a);
            drain_eio(g);
            continue;
        }
        if (!sio_server_next_event(g->ss, &e)) {
            break;
        }
        if (e.type == SIO_EVENT_CONNECT) {
            sock_remember(g, &e);
        }
        log_sio_event(g, &e);
        if (g->app.on_sio_event != NULL) {
            g->app.on_sio_event(g, &e, g->app.ud);
        }
        if (e.type == SIO_EVENT_DISCONNECT) {
            sock_free(map_del(&g->sockets, e.socket));
        }
    }
    g->ss_draining = false;
    drain_eio(g); /* Engine.IO events held back meanwhile */
}

static void on_timer(net_loop *l, uint64_t timer, void *ud)
{
    serve_glue *g = ud;
    (void)l;
    if (timer != g->timer) {
        return;
    }
    g->timer = 0;
    g->timer_at = EIO_TIME_NEVER;
    eio_time now = now_of(g);
    eio_server_handle_expiry(g->es, now);
    drain_eio(g);
    if (g->ss != NULL) {
        sio_server_handle_expiry(g->ss, now);
    }
    serve_glue_drain(g);
}

static void rearm(serve_glue *g)
{
    eio_time t = eio_server_get_expiry(g->es);
    if (g->ss != NULL) {
        eio_time st = sio_server_get_expiry(g->ss);
        if (st < t) {
            t = st;
        }
    }
    if (g->timer != 0 && t == g->timer_at) {
        return;
    }
    if (g->timer != 0) {
        net_timer_cancel(g->h->l, g->timer);
        g->timer = 0;
    }
    g->timer_at = EIO_TIME_NEVER;
    if (t != EIO_TIME_NEVER) {
        /* Without memory for a timer the next network event retries. */
        g->timer = net_timer_add(g->h->l, t, on_timer, g);
        if (g->timer != 0) {
            g->timer_at = t;
        }
    }
}

void serve_glue_drain(serve_glue *g)
{
    drain_eio(g);
    drain_sio(g);
    rearm(g);
}

/* ------------------------------------------------------------------------ */
/* Network callbacks                                                         */
/* ------------------------------------------------------------------------ */

static serve_glue *find_path(serve_host *h, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < h->npaths; i++) {
        serve_glue *g = h->paths[i];
        if (n == g->path_len && memcmp(path, g->path, n) == 0) {
            return g;
        }
        /* "/socket.io" for "/socket.io/" */
        if (g->path_len > 1 && g->path[g->path_len - 1] == '/' && n == g->path_len - 1 &&
            memcmp(path, g->path, n) == 0) {
            return g;
        }
    }
    return NULL;
}

static eio_http_method method_of(const char *m)
{
    if (strcmp(m, "GET") == 0) {
        return EIO_HTTP_GET;
    }
    if (strcmp(m, "POST") == 0) {
        return EIO_HTTP_POST;
    }
    if (strcmp(m, "OPTIONS") == 0) {
        return EIO_HTTP_OPTIONS;
    }
    return EIO_HTTP_OTHER;
}

/* Whether the lower-case header lines hold header `name` (lower case). */
static bool has_header(const char *headers, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = headers; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            return true;
        }
        p = strchr(p, '\n');
        if (p) {
            p++;
        }
    }
    return false;
}

static void respond_text(serve_host *h, uint64_t net, int status, const char *text)
{
    net_server_respond(h->l, net, status, "text/plain; charset=UTF-8", NULL,
                       (const uint8_t *)text, strlen(text));
}

static void on_request(net_loop *l, uint64_t net, const net_server_request *rq, void *ud)
{
    serve_host *h = ud;
    serve_glue *g = find_path(h, rq->path);
    if (g == NULL) {
        respond_text(h, net, 404, "Not Found");
        return;
    }
    conn *c = conn_new(h, g, net, rq->websocket);
    if (c == NULL) {
        respond_text(h, net, 503, "Service Unavailable");
        return;
    }
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = c->id;
    r.method = method_of(rq->method);
    r.query = rq->query;
    r.query_len = rq->query ? strlen(rq->query) : 0;
    r.content_type = rq->content_type;
    r.websocket = rq->websocket;
    r.content_length = -1;
    if (r.method == EIO_HTTP_POST && !rq->websocket) {
        /* HTTP/1.1: a body comes with a length or chunked, else there is none. */
        bool body = rq->content_length > 0 ||
                    (rq->content_length < 0 && has_header(rq->headers, "transfer-encoding"));
        if (body) {
            r.body_follows = true;
            r.content_length = rq->content_length;
            c->body_pending = true;
        } else {
            r.body = (const uint8_t *)"";
            r.body_len = 0;
        }
    }
    uint32_t id = c->id;
    int rc = eio_server_handle_request(g->es, &r, net_now(l));
    if (rc != 0) {
        /* Not taken (no memory): the machine changed nothing. */
        respond_text(h, net, rc == EIO_ERR_NOMEM ? 503 : 500,
                     rc == EIO_ERR_NOMEM ? "Service Unavailable" : "Internal Server Error");
        conn_forget(h, c);
        serve_glue_drain(g);
        return;
    }
    serve_glue_drain(g);
    if (rq->websocket) {
        /* The upgrade must be answered before this callback returns. */
        c = map_get(&h->by_id, id);
        if (c != NULL && !c->accepted) {
            respond_text(h, net, 500, "Internal Server Error");
            conn_forget(h, c);
            eio_server_ws_closed(g->es, id, net_now(l));
            serve_glue_drain(g);
        }
    }
}

static void on_body(net_loop *l, uint64_t net, const uint8_t *body, size_t len, void *ud)
{
    serve_host *h = ud;
    conn *c = map_get(&h->by_net, net);
    if (c == NULL || !c->body_pending) {
        return; /* answered already (413, a refused request) */
    }
    c->body_pending = false;
    serve_glue *g = c->g;
    eio_server_request_body(g->es, c->id, body ? body : (const uint8_t *)"", len, net_now(l));
    serve_glue_drain(g);
}

static void on_closed(net_loop *l, uint64_t net, void *ud)
{
    serve_host *h = ud;
    conn *c = map_get(&h->by_net, net);
    if (c == NULL) {
        return;
    }
    serve_glue *g = c->g;
    uint32_t id = c->id;
    bool ws = c->ws && c->accepted;
    conn_forget(h, c);
    if (ws) {
        eio_server_ws_closed(g->es, id, net_now(l));
    } else {
        eio_server_http_closed(g->es, id, net_now(l));
    }
    serve_glue_drain(g);
}

static void on_ws_open(net_loop *l, uint64_t net, void *ud)
{
    serve_host *h = ud;
    conn *c = map_get(&h->by_net, net);
    if (c == NULL) {
        return;
    }
    serve_glue *g = c->g;
    c->open = true;
    frame *f = c->q_head;
    c->q_head = c->q_tail = NULL;
    c->q_bytes = 0;
    while (f) {
        frame *n = f->next;
        net_ws_send(l, net, f->data, f->len, f->binary);
        free(f);
        f = n;
    }
    if (c->close_pending) {
        net_ws_close(l, net, 1000);
        conn_forget(h, c);
    } else if (net_ws_buffered(l, net) > g->max_buffered) {
        ws_overflow(g, c);
    }
    serve_glue_drain(g);
}

static void on_ws_message(net_loop *l, uint64_t net, const uint8_t *data, size_t len,
                          bool binary, void *ud)
{
    serve_host *h = ud;
    conn *c = map_get(&h->by_net, net);
    if (c == NULL) {
        return;
    }
    serve_glue *g = c->g;
    eio_server_ws_message(g->es, c->id, data ? data : (const uint8_t *)"", len, binary,
                          net_now(l));
    serve_glue_drain(g);
}

static void on_ws_close(net_loop *l, uint64_t net, int code, const char *why, void *ud)
{
    serve_host *h = ud;
    (void)code;
    (void)why;
    conn *c = map_get(&h->by_net, net);
    if (c == NULL) {
        return;
    }
    serve_glue *g = c->g;
    uint32_t id = c->id;
    conn_forget(h, c);
    eio_server_ws_closed(g->es, id, net_now(l));
    serve_glue_drain(g);
}

/* ------------------------------------------------------------------------ */
/* Host and paths                                                            */
/* ------------------------------------------------------------------------ */

static int random_bytes(uint8_t *buf, size_t len, void *ud)
{
    (void)ud;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int serve_host_new(net_loop *l, const serve_host_options *o, serve_host **out)
{
    static const net_server_callbacks cb = {
        on_request, on_body, on_closed, on_ws_open, on_ws_message, on_ws_close,
    };
    *out = NULL;
    serve_host *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return NET_ERR_NOMEM;
    }
    h->l = l;
    h->log = o->log;
    h->t0 = net_now(l);
    int rc = net_server_new(l, &h->srv, &o->net, &cb, h);
    if (rc != NET_OK) {
        free(h);
        return rc;
    }
    *out = h;
    return 0;
}

uint16_t serve_host_port(const serve_host *h)
{
    return net_server_port(h->srv);
}

static void glue_free(serve_glue *g)
{
    if (g == NULL) {
        return;
    }
    if (g->timer != 0) {
        net_timer_cancel(g->h->l, g->timer);
    }
    sio_server_free(g->ss);
    eio_server_free(g->es);
    for (size_t i = 0; i < g->sessions.cap; i++) {
        if (g->sessions.s[i].key != 0) {
            free(g->sessions.s[i].val);
        }
    }
    for (size_t i = 0; i < g->sockets.cap; i++) {
        if (g->sockets.s[i].key != 0) {
            sock_free(g->sockets.s[i].val);
        }
    }
    map_free(&g->sessions);
    map_free(&g->sockets);
    free(g->path);
    free(g);
}

int serve_host_add(serve_host *h, const serve_glue_options *o, serve_glue **out)
{
    if (out) {
        *out = NULL;
    }
    if (o->path == NULL || o->path[0] != '/' || find_path(h, o->path) != NULL) {
        return NET_ERR_INVALID;
    }
    serve_glue *g = calloc(1, sizeof(*g));
    serve_glue **np = realloc(h->paths, (h->npaths + 1) * sizeof(*np));
    if (np != NULL) {
        h->paths = np;
    }
    if (g == NULL || np == NULL) {
        free(g);
        return NET_ERR_NOMEM;
    }
    g->h = h;
    g->timer_at = EIO_TIME_NEVER;
    g->app = o->app;
    g->path = strdup(o->path);
    if (g->path == NULL) {
        glue_free(g);
        return NET_ERR_NOMEM;
    }
    g->path_len = strlen(g->path);
    eio_server_options eo = o->eio;
    eo.random = random_bytes;
    eo.random_user_data = NULL;
    g->max_buffered = eo.max_buffered ? eo.max_buffered : 10 * eo.max_payload;
    int rc = eio_server_new(&g->es, &eo, NULL);
    if (rc == 0 && o->socketio) {
        sio_server_options so = o->sio;
        so.random = random_bytes;
        so.random_user_data = NULL;
        rc = sio_server_new(&g->ss, &so, NULL);
    }
    if (rc != 0) {
        glue_free(g);
        return rc == EIO_ERR_NOMEM ? NET_ERR_NOMEM : NET_ERR_INVALID;
    }
    h->paths[h->npaths++] = g;
    if (out) {
        *out = g;
    }
    return 0;
}

void serve_host_shutdown(serve_host *h)
{
    h->shut = true;
    for (size_t i = 0; i < h->npaths; i++) {
        serve_glue *g = h->paths[i];
        eio_server_shutdown(g->es, now_of(g));
        serve_glue_drain(g);
    }
}

bool serve_host_busy(const serve_host *h)
{
    return h->by_net.n > 0;
}

void serve_host_free(serve_host *h)
{
    if (h == NULL) {
        return;
    }
    net_server_free(h->srv);
    for (size_t i = 0; i < h->by_net.cap; i++) {
        if (h->by_net.s[i].key != 0) {
            conn *c = h->by_net.s[i].val;
            queue_free(c);
            free(c);
        }
    }
    map_free(&h->by_net);
    map_free(&h->by_id);
    for (size_t i = 0; i < h->npaths; i++) {
        glue_free(h->paths[i]);
    }
    free(h->paths);
    sioc_jbuf_free(&h->line);
    free(h);
}

eio_server *serve_glue_eio(serve_glue *g)
{
    return g->es;
}

sio_server *serve_glue_sio(serve_glue *g)
{
    return g->ss;
}

const char *serve_glue_path(const serve_glue *g)
{
    return g->path;
}

eio_time serve_glue_now(const serve_glue *g)
{
    return now_of(g);
}

const char *serve_glue_session_sid(const serve_glue *g, uint32_t session)
{
    return map_get(&g->sessions, session);
}
