/*
 * test_net.c - the network layer (conformance/net.h) against itself: one
 * loop serving and fetching over 127.0.0.1 (port 0), HTTP and WebSocket,
 * plain and TLS, timers and watched descriptors. Every wait has a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"

#define WAIT_MS 15000 /* generous: a loaded 2-core machine under ASan */

/* Runs the loop until `cond` holds or `ms` passed. */
#define WAIT_UNTIL(l, cond, ms)                                                        \
    for (net_time dl_ = net_now(l) + (ms); !(cond) && net_now(l) < dl_;)              \
    assert_int_equal(net_run_once((l), dl_), NET_OK)

/* ------------------------------------------------------------------------ */
/* The test server application                                               */
/* ------------------------------------------------------------------------ */

#define MAX_HELD 256

typedef struct app {
    net_loop *l;
    net_server *srv;
    uint16_t port;
    char base[64];   /* http://127.0.0.1:port */
    char wsbase[64]; /* ws://127.0.0.1:port */

    /* last request */
    int requests;
    char method[16];
    char path[256];
    char query[1024];
    char headers[8192];
    char ctype[128];
    int64_t clen;
    bool websocket;
    char remote[64];

    int bodies;
    size_t body_len;

    uint64_t held[MAX_HELD];
    int nheld;

    int closed;
    uint64_t closed_conn;

    /* WebSocket server side */
    uint64_t ws_conn;
    int ws_opens;
    int ws_msgs;
    size_t ws_last_len;
    bool ws_last_binary;
    int ws_closes;
    int ws_close_code;
    char ws_close_why[128];
    bool ws_echo;
} app;

static const char *find_header(const char *headers, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > nl + 1 && strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t n = (size_t)(eol - v);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
        p = eol + 2;
    }
    return NULL;
}

static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

static void respond_echo(app *a, uint64_t conn, const uint8_t *body, size_t len)
{
    char hdrs[512];
    snprintf(hdrs, sizeof(hdrs),
             "X-Echo-Method: %s\r\nSet-Cookie: io=abc; Path=/\r\n"
             "Access-Control-Allow-Origin: http://example.test\r\n"
             "Access-Control-Allow-Credentials: true\r\nCache-Control: no-store\r\n",
             a->method);
    assert_int_equal(net_server_respond(a->l, conn, 200,
                                        a->ctype[0] ? a->ctype : "text/plain; charset=UTF-8",
                                        hdrs, body, len),
                     NET_OK);
}

static void srv_on_request(net_loop *l, uint64_t conn, const net_server_request *rq, void *ud)
{
    app *a = ud;
    (void)l;
    a->requests++;
    snprintf(a->method, sizeof(a->method), "%s", rq->method);
    snprintf(a->path, sizeof(a->path), "%s", rq->path);
    snprintf(a->query, sizeof(a->query), "%s", rq->query);
    snprintf(a->headers, sizeof(a->headers), "%s", rq->headers);
    snprintf(a->ctype, sizeof(a->ctype), "%s", rq->content_type ? rq->content_type : "");
    snprintf(a->remote, sizeof(a->remote), "%s", rq->remote);
    a->clen = rq->content_length;
    a->websocket = rq->websocket;

    if (rq->websocket) {
        if (strcmp(rq->path, "/ws-refuse") == 0) {
            assert_int_equal(net_server_respond(l, conn, 403, "text/plain", "X-Why: test\r\n",
                                                (const uint8_t *)"refused", 7),
                             NET_OK);
        } else if (strcmp(rq->path, "/ws-ignore") == 0) {
            /* neither accepted nor answered */
        } else if (strcmp(rq->path, "/ws-hello") == 0) {
            /* frames sent at once wait for the handshake */
            assert_int_equal(net_server_ws_accept(l, conn), NET_OK);
            assert_int_equal(net_server_respond(l, conn, 200, NULL, NULL, NULL, 0),
                             NET_ERR_INVALID);
            assert_int_equal(net_ws_send(l, conn, (const uint8_t *)"hello", 5, false), NET_OK);
            assert_int_equal(net_ws_close(l, conn, 4003), NET_OK);
        } else if (strcmp(rq->path, "/ws-drop") == 0) {
            assert_int_equal(net_server_drop(l, conn), NET_OK);
        } else {
            assert_int_equal(net_server_ws_accept(l, conn), NET_OK);
            a->ws_conn = conn;
        }
        return;
    }
    if (strcmp(rq->path, "/hold") == 0 || strcmp(rq->path, "/hold-post") == 0) {
        if (rq->content_length < 0) {
            assert_true(a->nheld < MAX_HELD);
            a->held[a->nheld++] = conn;
        }
        return; /* POST: held after the body */
    }
    if (strcmp(rq->path, "/wait-body") == 0)
        return; /* answered from on_body */
    if (strcmp(rq->path, "/drop") == 0) {
        assert_int_equal(net_server_drop(l, conn), NET_OK);
        return;
    }
    if (strcmp(rq->path, "/big") == 0) {
        size_t n = (size_t)2 << 20;
        uint8_t *p = pattern(n, 7);
        assert_int_equal(net_server_respond(l, conn, 200, "application/octet-stream", NULL, p, n),
                         NET_OK);
        free(p);
        return;
    }
    if (strcmp(rq->path, "/cookies") == 0) {
        assert_int_equal(net_server_respond(l, conn, 200, "text/plain",
                                            "Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\n"
                                            "Content-Length: 999\r\n",
                                            (const uint8_t *)"c", 1),
                         NET_OK);
        return;
    }
    if (strcmp(rq->path, "/free-server") == 0) {
        net_server_free(a->srv);
        a->srv = NULL;
        return;
    }
    if (strcmp(rq->path, "/early") == 0) {
        /* answered before the body arrived */
        assert_int_equal(net_server_respond(l, conn, 201, NULL, NULL, (const uint8_t *)"early", 5),
                         NET_OK);
        return;
    }
    if (rq->content_length < 0)
        respond_echo(a, conn, (const uint8_t *)rq->query, strlen(rq->query));
}

static void srv_on_body(net_loop *l, uint64_t conn, const uint8_t *body, size_t len, void *ud)
{
    app *a = ud;
    (void)l;
    a->bodies++;
    a->body_len = len;
    if (strcmp(a->path, "/hold-post") == 0) {
        assert_true(a->nheld < MAX_HELD);
        a->held[a->nheld++] = conn;
        return;
    }
    respond_echo(a, conn, body, len);
}

static void srv_on_closed(net_loop *l, uint64_t conn, void *ud)
{
    app *a = ud;
    (void)l;
    a->closed++;
    a->closed_conn = conn;
}

static void srv_on_ws_open(net_loop *l, uint64_t conn, void *ud)
{
    app *a = ud;
    (void)l;
    (void)conn;
    a->ws_opens++;
}

static void srv_on_ws_message(net_loop *l, uint64_t conn, const uint8_t *data, size_t len,
                              bool binary, void *ud)
{
    app *a = ud;
    a->ws_msgs++;
    a->ws_last_len = len;
    a->ws_last_binary = binary;
    if (len == 8 && memcmp(data, "close-me", 8) == 0) {
        assert_int_equal(net_ws_close(l, conn, 4001), NET_OK);
        return;
    }
    if (len == 7 && memcmp(data, "drop-me", 7) == 0) {
        assert_int_equal(net_ws_drop(l, conn), NET_OK);
        return;
    }
    if (a->ws_echo)
        assert_int_equal(net_ws_send(l, conn, data, len, binary), NET_OK);
}

static void srv_on_ws_close(net_loop *l, uint64_t conn, int code, const char *why, void *ud)
{
    app *a = ud;
    (void)l;
    (void)conn;
    a->ws_closes++;
    a->ws_close_code = code;
    snprintf(a->ws_close_why, sizeof(a->ws_close_why), "%s", why);
}

static const net_server_callbacks srv_cb = {
    srv_on_request, srv_on_body, srv_on_closed, srv_on_ws_open, srv_on_ws_message, srv_on_ws_close,
};

static app *app_new(const net_server_options *opt, const net_loop_options *lopt)
{
    app *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->ws_echo = true;
    net_loop_options lo = {0};
    if (lopt)
        lo = *lopt;
    if (getenv("SIOC_NET_TEST_LOG")) /* library logging while debugging a test */
        lo.log_level = atoi(getenv("SIOC_NET_TEST_LOG"));
    assert_int_equal(net_loop_new(&a->l, &lo), NET_OK);
    net_server_options o = {0};
    if (opt)
        o = *opt;
    assert_int_equal(net_server_new(a->l, &a->srv, &o, &srv_cb, a), NET_OK);
    a->port = net_server_port(a->srv);
    assert_true(a->port > 0);
    const char *s = o.tls_cert ? "s" : "";
    snprintf(a->base, sizeof(a->base), "http%s://127.0.0.1:%u", s, (unsigned)a->port);
    snprintf(a->wsbase, sizeof(a->wsbase), "ws%s://127.0.0.1:%u", s, (unsigned)a->port);
    return a;
}

static void app_free(app *a)
{
    if (a->srv)
        net_server_free(a->srv);
    net_loop_free(a->l);
    free(a);
}

/* ------------------------------------------------------------------------ */
/* HTTP client results                                                       */
/* ------------------------------------------------------------------------ */

typedef struct res {
    int calls;
    int status;
    char error[160];
    char ctype[128];
    char headers[4096];
    uint8_t *body;
    size_t len;
} res;

static void on_done(net_loop *l, uint64_t req, const net_http_response *r, void *ud)
{
    (void)l;
    (void)req;
    res *x = ud;
    x->calls++;
    x->status = r->status;
    snprintf(x->error, sizeof(x->error), "%s", r->error ? r->error : "");
    snprintf(x->ctype, sizeof(x->ctype), "%s", r->content_type ? r->content_type : "");
    snprintf(x->headers, sizeof(x->headers), "%s", r->headers ? r->headers : "");
    free(x->body);
    x->body = malloc(r->len + 1);
    assert_non_null(x->body);
    if (r->len)
        memcpy(x->body, r->body, r->len);
    x->body[r->len] = 0;
    x->len = r->len;
}

static uint64_t start(app *a, const char *method, const char *path, const char *ctype,
                      const void *body, size_t len, res *x)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", a->base, path);
    net_http_request rq = {0};
    rq.method = method;
    rq.url = url;
    rq.content_type = ctype;
    rq.body = body;
    rq.body_len = len;
    rq.timeout_ms = 30000;
    uint64_t id = net_http_start(a->l, &rq, on_done, x);
    assert_true(id > 0);
    return id;
}

/* ------------------------------------------------------------------------ */
/* Tests: loop and timers                                                    */
/* ------------------------------------------------------------------------ */

static int order[16];
static int norder;

static void timer_fn(net_loop *l, uint64_t t, void *ud)
{
    (void)l;
    (void)t;
    order[norder++] = (int)(intptr_t)ud;
}

static void test_timers_order(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    norder = 0;
    net_time now = net_now(l);
    net_timer_add(l, now + 300, timer_fn, (void *)3);
    net_timer_add(l, now + 100, timer_fn, (void *)1);
    uint64_t c = net_timer_add(l, now + 200, timer_fn, (void *)99);
    net_timer_add(l, now + 200, timer_fn, (void *)2);
    net_timer_add(l, now + 300, timer_fn, (void *)4); /* same time: in order of adding */
    net_timer_add(l, now - 50, timer_fn, (void *)0); /* past: next round */
    assert_true(c > 0);
    net_timer_cancel(l, c);
    assert_int_equal(norder, 0); /* nothing from inside net_timer_add */
    WAIT_UNTIL(l, norder == 5, WAIT_MS);
    assert_int_equal(norder, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], i);
    /* the 300 ms timers fired no earlier than their time */
    assert_true(net_now(l) >= now + 300);
    net_loop_free(l);
}

static void test_run_once_until(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    net_time t0 = net_now(l);
    assert_int_equal(net_run_once(l, t0 + 200), NET_OK);
    net_time t1 = net_now(l);
    assert_true(t1 >= t0 + 190);
    assert_true(t1 < t0 + 5000);
    /* a wake before the call makes it return promptly */
    net_wake(l);
    net_time t2 = net_now(l);
    assert_int_equal(net_run_once(l, t2 + 5000), NET_OK);
    assert_true(net_now(l) < t2 + 2500);
    /* a past deadline returns at once */
    t2 = net_now(l);
    assert_int_equal(net_run_once(l, t2 - 1), NET_OK);
    assert_true(net_now(l) < t2 + 2500);
    net_loop_free(l);
}

static void wake_fn(net_loop *l, uint64_t t, void *ud)
{
    (void)t;
    *(int *)ud += 1;
    net_wake(l);
}

static void test_wake_from_callback(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    int n = 0;
    net_time t0 = net_now(l);
    net_timer_add(l, t0 + 50, wake_fn, &n);
    assert_int_equal(net_run_once(l, NET_TIME_NEVER), NET_OK);
    assert_int_equal(n, 1);
    assert_true(net_now(l) < t0 + 5000);
    net_loop_free(l);
}

/* ------------------------------------------------------------------------ */
/* Tests: URLs                                                               */
/* ------------------------------------------------------------------------ */

static void test_url_parse(void **state)
{
    (void)state;
    net_url u;
    assert_int_equal(net_url_parse("http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling", &u),
                     NET_OK);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 3000);
    assert_string_equal(u.target, "/socket.io/?EIO=4&transport=polling");
    assert_int_equal(net_url_parse("wss://example.com", &u), NET_OK);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.target, "/");
    assert_int_equal(net_url_parse("HTTPS://[::1]:8443?x=1#frag", &u), NET_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.target, "/?x=1");
    assert_int_equal(net_url_parse("ws://h/p", &u), NET_OK);
    assert_int_equal(u.port, 80);
    assert_int_equal(net_url_parse("ftp://h/", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://h:0/", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://h:65536/", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://h:/", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://u@h/", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://h/a b", &u), NET_ERR_INVALID);
    assert_int_equal(net_url_parse("http://[::1/", &u), NET_ERR_INVALID);
    char longurl[3000];
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[sizeof(longurl) - 1] = 0;
    memcpy(longurl, "http://h/", 9);
    assert_int_equal(net_url_parse(longurl, &u), NET_ERR_INVALID);
}

/* ------------------------------------------------------------------------ */
/* Tests: HTTP                                                               */
/* ------------------------------------------------------------------------ */

static void test_http_get(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    char url[256];
    snprintf(url, sizeof(url), "%s/socket.io/?EIO=4&transport=polling&t=Nx_1-a.b~c", a->base);
    net_http_request rq = {0};
    rq.method = "GET";
    rq.url = url;
    rq.headers = "X-Test: one\r\nCookie: k=v\r\nOrigin: http://example.test\r\n";
    rq.timeout_ms = 30000;
    uint64_t id = net_http_start(a->l, &rq, on_done, &x);
    assert_true(id > 0);
    assert_int_equal(x.calls, 0); /* never from inside net_http_start */
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.status, 200);
    assert_string_equal(a->method, "GET");
    assert_string_equal(a->path, "/socket.io/");
    assert_string_equal(a->query, "EIO=4&transport=polling&t=Nx_1-a.b~c");
    assert_string_equal(a->remote, "127.0.0.1");
    assert_int_equal(a->clen, -1);
    assert_false(a->websocket);
    char v[256];
    assert_non_null(find_header(a->headers, "cookie", v, sizeof(v)));
    assert_string_equal(v, "k=v");
    assert_non_null(find_header(a->headers, "origin", v, sizeof(v)));
    assert_string_equal(v, "http://example.test");
    assert_non_null(find_header(a->headers, "host", v, sizeof(v)));
    /* the body echoes the query */
    assert_string_equal((char *)x.body, "EIO=4&transport=polling&t=Nx_1-a.b~c");
    assert_string_equal(x.ctype, "text/plain; charset=UTF-8");
    /* response headers, lower-case names */
    assert_non_null(find_header(x.headers, "content-type", v, sizeof(v)));
    assert_non_null(find_header(x.headers, "content-length", v, sizeof(v)));
    assert_int_equal(atoi(v), (int)x.len);
    assert_non_null(find_header(x.headers, "set-cookie", v, sizeof(v)));
    assert_string_equal(v, "io=abc; Path=/");
    assert_non_null(find_header(x.headers, "access-control-allow-origin", v, sizeof(v)));
    assert_string_equal(v, "http://example.test");
    assert_non_null(find_header(x.headers, "access-control-allow-credentials", v, sizeof(v)));
    assert_string_equal(v, "true");
    assert_non_null(find_header(x.headers, "cache-control", v, sizeof(v)));
    assert_string_equal(v, "no-store");
    /* the callback is not repeated */
    for (int i = 0; i < 3; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(x.calls, 1);
    free(x.body);
    app_free(a);
}

static void test_http_query_encoded(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    /* percent-escapes reach the app with the same meaning */
    start(a, "GET", "/q?a=%41b%2Fc&sp=x%20y&amp=%26&empty=&flag", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_string_equal(a->path, "/q");
    assert_string_equal(a->query, "a=Ab/c&sp=x%20y&amp=%26&empty=&flag");
    free(x.body);
    app_free(a);
}

static void test_http_methods_and_bodies(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    const char *methods[] = {"POST", "PUT", "OPTIONS", "DELETE"};
    for (size_t i = 0; i < 4; i++) {
        res x = {0};
        const char *body = i < 2 ? "4:hello" : NULL;
        start(a, methods[i], "/echo?m=1", body ? "text/plain;charset=UTF-8" : NULL, body,
              body ? 7 : 0, &x);
        WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
        assert_int_equal(x.calls, 1);
        assert_int_equal(x.status, 200);
        assert_string_equal(a->method, methods[i]);
        if (body) {
            assert_int_equal(a->clen, 7);
            assert_string_equal(a->ctype, "text/plain;charset=UTF-8");
            assert_int_equal(x.len, 7);
            assert_memory_equal(x.body, "4:hello", 7);
        } else {
            assert_string_equal((char *)x.body, "m=1");
        }
        free(x.body);
    }
    /* POST with an empty body: Content-Length: 0, on_body with 0 bytes */
    res x = {0};
    int bodies = a->bodies;
    start(a, "POST", "/echo", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_int_equal(a->clen, 0);
    assert_int_equal(a->bodies, bodies + 1);
    assert_int_equal(x.len, 0);
    free(x.body);
    app_free(a);
}

static void test_http_held_response(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    start(a, "GET", "/hold", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, a->nheld == 1, WAIT_MS);
    assert_int_equal(a->nheld, 1);
    /* held for 3 s: no library timeout may kill it */
    net_time t0 = net_now(a->l);
    WAIT_UNTIL(a->l, x.calls != 0, 3000);
    assert_int_equal(x.calls, 0);
    assert_int_equal(a->closed, 0);
    assert_true(net_now(a->l) >= t0 + 2900);
    assert_int_equal(net_server_respond(a->l, a->held[0], 200, "text/plain", NULL,
                                        (const uint8_t *)"late", 4),
                     NET_OK);
    /* answering twice is refused */
    assert_int_equal(net_server_respond(a->l, a->held[0], 200, NULL, NULL, NULL, 0), NET_ERR_GONE);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_string_equal((char *)x.body, "late");
    free(x.body);
    app_free(a);
}

static void test_http_held_post(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    start(a, "POST", "/hold-post", "text/plain", "abc", 3, &x);
    WAIT_UNTIL(a->l, a->nheld == 1, WAIT_MS);
    assert_int_equal(a->body_len, 3);
    WAIT_UNTIL(a->l, x.calls != 0, 500);
    assert_int_equal(x.calls, 0);
    assert_int_equal(net_server_respond(a->l, a->held[0], 200, "text/html", NULL,
                                        (const uint8_t *)"ok", 2),
                     NET_OK);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_string_equal(x.ctype, "text/html");
    free(x.body);
    app_free(a);
}

static void test_http_early_response(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    size_t n = 300000;
    uint8_t *p = pattern(n, 3);
    start(a, "POST", "/early", "application/octet-stream", p, n, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 201);
    assert_string_equal((char *)x.body, "early");
    int bodies = a->bodies;
    /* no on_body for a request already answered */
    for (int i = 0; i < 3; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(a->bodies, bodies);
    free(p);
    free(x.body);
    app_free(a);
}

static int count_calls(const res *x, int n)
{
    int done = 0;
    for (int i = 0; i < n; i++)
        done += x[i].calls;
    return done;
}

static void test_http_many_concurrent(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    enum { N = 200 };
    res *x = calloc(N, sizeof(res));
    assert_non_null(x);
    for (int i = 0; i < N; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/echo?i=%d", i);
        start(a, "GET", path, NULL, NULL, 0, &x[i]);
    }
    WAIT_UNTIL(a->l, count_calls(x, N) == N, 60000);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "i=%d", i);
        assert_int_equal(x[i].calls, 1);
        assert_int_equal(x[i].status, 200);
        assert_string_equal((char *)x[i].body, want);
        free(x[i].body);
    }
    free(x);
    app_free(a);
}

static void test_http_big_bodies(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    size_t n = (size_t)2 << 20;
    uint8_t *p = pattern(n, 11);
    res up = {0}, down = {0};
    start(a, "POST", "/echo", "application/octet-stream", p, n, &up);
    start(a, "GET", "/big", NULL, NULL, 0, &down);
    WAIT_UNTIL(a->l, up.calls == 1 && down.calls == 1, 60000);
    assert_int_equal(net_flushing(a->l), 0); /* answered responses are not counted */
    assert_int_equal(up.status, 200);
    assert_int_equal(a->body_len, n);
    assert_int_equal(up.len, n);
    assert_memory_equal(up.body, p, n);
    assert_int_equal(down.status, 200);
    assert_int_equal(down.len, n);
    uint8_t *q = pattern(n, 7);
    assert_memory_equal(down.body, q, n);
    free(q);
    free(p);
    free(up.body);
    free(down.body);
    app_free(a);
}

static void test_http_max_response(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    char url[256];
    snprintf(url, sizeof(url), "%s/big", a->base);
    net_http_request rq = {0};
    rq.url = url;
    rq.max_response = 1000;
    rq.timeout_ms = 30000;
    assert_true(net_http_start(a->l, &rq, on_done, &x) > 0);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 0);
    assert_non_null(strstr(x.error, "too large"));
    for (int i = 0; i < 3; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(x.calls, 1);
    free(x.body);
    app_free(a);
}

static void test_http_max_body_413(void **state)
{
    (void)state;
    net_server_options o = {0};
    o.max_body = 1000;
    app *a = app_new(&o, NULL);
    res x = {0};
    uint8_t *p = pattern(5000, 1);
    start(a, "POST", "/echo", "application/octet-stream", p, 5000, &x);
    WAIT_UNTIL(a->l, x.calls == 1 && a->closed == 1, WAIT_MS);
    assert_int_equal(x.status, 413);
    assert_int_equal(a->closed, 1);
    assert_int_equal(a->bodies, 0);
    /* at the limit: accepted */
    res y = {0};
    start(a, "POST", "/echo", "application/octet-stream", p, 1000, &y);
    WAIT_UNTIL(a->l, y.calls == 1, WAIT_MS);
    assert_int_equal(y.status, 200);
    assert_int_equal(y.len, 1000);
    free(p);
    free(x.body);
    free(y.body);
    app_free(a);
}

static void test_http_abort(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    uint64_t id = start(a, "GET", "/hold", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, a->nheld == 1, WAIT_MS);
    net_http_abort(a->l, id);
    /* the server sees its client go away */
    WAIT_UNTIL(a->l, a->closed == 1, WAIT_MS);
    assert_int_equal(a->closed, 1);
    assert_int_equal(a->closed_conn, a->held[0]);
    assert_int_equal(net_server_respond(a->l, a->held[0], 200, NULL, NULL, NULL, 0), NET_ERR_GONE);
    for (int i = 0; i < 5; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(x.calls, 0);
    /* abort before anything happened, and abort twice */
    res y = {0};
    uint64_t id2 = start(a, "GET", "/echo", NULL, NULL, 0, &y);
    net_http_abort(a->l, id2);
    net_http_abort(a->l, id2);
    for (int i = 0; i < 10; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(y.calls, 0);
    /* abort from a completed request does nothing */
    net_http_abort(a->l, id);
    app_free(a);
}

static void test_http_timeout(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    char url[256];
    snprintf(url, sizeof(url), "%s/hold", a->base);
    net_http_request rq = {0};
    rq.url = url;
    rq.timeout_ms = 300;
    assert_true(net_http_start(a->l, &rq, on_done, &x) > 0);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 0);
    assert_string_equal(x.error, "timeout");
    WAIT_UNTIL(a->l, a->closed == 1, WAIT_MS);
    assert_int_equal(a->closed, 1);
    assert_int_equal(x.calls, 1);
    free(x.body);
    app_free(a);
}

static void test_http_refused(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    /* a port that was just free */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));
    res x = {0};
    net_http_request rq = {0};
    rq.url = url;
    rq.timeout_ms = 20000;
    assert_true(net_http_start(l, &rq, on_done, &x) > 0);
    assert_int_equal(x.calls, 0);
    WAIT_UNTIL(l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.status, 0);
    assert_true(x.error[0] != 0);
    assert_string_not_equal(x.error, "timeout");
    /* bad arguments */
    rq.url = "ftp://127.0.0.1/";
    assert_int_equal(net_http_start(l, &rq, on_done, &x), 0);
    rq.url = url;
    rq.headers = "Bad header\r\n";
    assert_int_equal(net_http_start(l, &rq, on_done, &x), 0);
    rq.headers = "X-A: 1\r\nX-B: 2\nX-C: 3\r\n";
    assert_int_equal(net_http_start(l, &rq, on_done, &x), 0);
    free(x.body);
    net_loop_free(l);
}

static void test_http_server_drop(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0};
    start(a, "GET", "/drop", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 0);
    assert_true(x.error[0] != 0);
    assert_int_equal(a->closed, 0); /* no on_closed after net_server_drop */
    free(x.body);
    app_free(a);
}

static void test_http_head_cookies_args(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    /* HEAD: the headers a GET would get, no body */
    res x = {0};
    start(a, "HEAD", "/echo?abc", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_string_equal(a->method, "HEAD");
    assert_int_equal(x.len, 0);
    char v[64];
    assert_non_null(find_header(x.headers, "content-length", v, sizeof(v)));
    assert_string_equal(v, "3");
    /* two set-cookie lines stay two; the app's content-length is dropped */
    res y = {0};
    start(a, "GET", "/cookies", NULL, NULL, 0, &y);
    WAIT_UNTIL(a->l, y.calls == 1, WAIT_MS);
    assert_int_equal(y.status, 200);
    assert_non_null(strstr(y.headers, "set-cookie: a=1; Path=/\r\nset-cookie: b=2\r\n"));
    assert_non_null(find_header(y.headers, "content-length", v, sizeof(v)));
    assert_string_equal(v, "1");
    assert_string_equal((char *)y.body, "c");
    /* held requests answered out of order */
    res h[3] = {{0}};
    for (int i = 0; i < 3; i++)
        start(a, "GET", "/hold", NULL, NULL, 0, &h[i]);
    WAIT_UNTIL(a->l, a->nheld == 3, WAIT_MS);
    assert_int_equal(a->nheld, 3);
    for (int i = 2; i >= 0; i--) {
        char body[8];
        snprintf(body, sizeof(body), "r%d", i);
        assert_int_equal(net_server_respond(a->l, a->held[i], 200, NULL, NULL,
                                            (const uint8_t *)body, 2),
                         NET_OK);
    }
    WAIT_UNTIL(a->l, h[0].calls + h[1].calls + h[2].calls == 3, WAIT_MS);
    /* each client got the answer to its own request */
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h[i].calls, 1);
        assert_int_equal(h[i].status, 200);
        assert_int_equal(h[i].len, 2);
        seen |= 1 << (h[i].body[1] - '0');
        free(h[i].body);
    }
    assert_int_equal(seen, 7);
    /* bad arguments to the server API */
    res z = {0};
    start(a, "GET", "/hold", NULL, NULL, 0, &z);
    WAIT_UNTIL(a->l, a->nheld == 4, WAIT_MS);
    uint64_t c = a->held[3];
    assert_int_equal(net_server_respond(a->l, c, 42, NULL, NULL, NULL, 0), NET_ERR_INVALID);
    assert_int_equal(net_server_respond(a->l, c, 200, NULL, "bad line\r\n", NULL, 0),
                     NET_ERR_INVALID);
    assert_int_equal(net_server_ws_accept(a->l, c), NET_ERR_INVALID);
    assert_int_equal(net_ws_send(a->l, c, (const uint8_t *)"x", 1, false), NET_ERR_INVALID);
    assert_int_equal(net_server_respond(a->l, 999999, 200, NULL, NULL, NULL, 0), NET_ERR_GONE);
    assert_int_equal(net_server_respond(a->l, c, 204, NULL, NULL, NULL, 0), NET_OK);
    WAIT_UNTIL(a->l, z.calls == 1, WAIT_MS);
    assert_int_equal(z.status, 204);
    free(x.body);
    free(y.body);
    free(z.body);
    app_free(a);
}

static void test_http_abort_upload(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    size_t n = (size_t)8 << 20;
    uint8_t *p = pattern(n, 4);
    res x = {0};
    uint64_t id = start(a, "POST", "/echo", "application/octet-stream", p, n, &x);
    WAIT_UNTIL(a->l, a->requests == 1, WAIT_MS);
    assert_int_equal(a->requests, 1);
    net_http_abort(a->l, id);
    WAIT_UNTIL(a->l, a->closed == 1, WAIT_MS);
    assert_int_equal(a->closed, 1);
    assert_int_equal(a->bodies, 0);
    for (int i = 0; i < 5; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(x.calls, 0);
    free(p);
    app_free(a);
}

/* Sends `req` on a raw connection and reads until the server closes. */
static void raw_exchange(app *a, const char *req, char *buf, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(a->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    size_t got = 0;
    bool eof = false;
    buf[0] = 0;
    net_time dl = net_now(a->l) + WAIT_MS;
    while (!eof && net_now(a->l) < dl) {
        net_run_once(a->l, net_now(a->l) + 20);
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            eof = true;
        buf[got] = 0;
    }
    assert_true(eof);
    close(fd);
}

/* HTTP/1.0 without keep-alive: answered, then closed by the server. */
static void test_http_10_client(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    char buf[4096];
    raw_exchange(a, "GET /echo?old HTTP/1.0\r\n\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 "));
    assert_non_null(strstr(buf, "\r\n\r\nold"));
    app_free(a);
}

/* A chunked request body (which libwebsockets 4.1 cannot read) is refused. */
static void test_http_chunked_refused(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    char buf[4096];
    raw_exchange(a,
                 "POST /wait-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n0\r\n\r\n",
                 buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 411"));
    assert_int_equal(a->requests, 1);
    assert_int_equal(a->clen, -1);
    assert_int_equal(a->closed, 1);
    assert_int_equal(a->bodies, 0);
    app_free(a);
}

/* Request headers over the limit (16 KiB): closed, the application sees nothing. */
static void test_http_headers_too_large(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    size_t n = 20000;
    char *req = malloc(n + 128);
    assert_non_null(req);
    int k = snprintf(req, n + 128, "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + k, 'a', n);
    memcpy(req + k + n, "\r\n\r\n", 5);
    char buf[4096];
    raw_exchange(a, req, buf, sizeof(buf));
    assert_int_equal(a->requests, 0);
    assert_null(strstr(buf, " 200 "));
    free(req);
    /* the server still works */
    res x = {0};
    start(a, "GET", "/echo?after", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    free(x.body);
    app_free(a);
}
static void test_http_keepalive(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(a->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    const char *req1 = "GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *req2 = "POST /echo?n=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                       "Content-Type: text/plain\r\n\r\nhello";
    char buf[8192];
    size_t got = 0;
    assert_int_equal(write(fd, req1, strlen(req1)), (ssize_t)strlen(req1));
    net_time dl = net_now(a->l) + WAIT_MS;
    while (!strstr(buf, "n=1") && net_now(a->l) < dl) {
        net_run_once(a->l, net_now(a->l) + 20);
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n > 0)
            got += (size_t)n;
        buf[got] = 0;
    }
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "n=1"));
    got = 0;
    buf[0] = 0;
    assert_int_equal(write(fd, req2, strlen(req2)), (ssize_t)strlen(req2));
    dl = net_now(a->l) + WAIT_MS;
    while (!strstr(buf, "hello") && net_now(a->l) < dl) {
        net_run_once(a->l, net_now(a->l) + 20);
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n > 0)
            got += (size_t)n;
        buf[got] = 0;
    }
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "hello"));
    assert_int_equal(a->requests, 2);
    close(fd);
    app_free(a);
}

/* ------------------------------------------------------------------------ */
/* Tests: WebSocket                                                          */
/* ------------------------------------------------------------------------ */

typedef struct wsc {
    int opens;
    int msgs;
    int closes;
    int close_code;
    char why[128];
    uint8_t *last;
    size_t last_len;
    bool last_binary;
} wsc;

static void c_on_open(net_loop *l, uint64_t ws, void *ud)
{
    (void)l;
    (void)ws;
    ((wsc *)ud)->opens++;
}

static void c_on_message(net_loop *l, uint64_t ws, const uint8_t *data, size_t len, bool binary,
                         void *ud)
{
    (void)l;
    (void)ws;
    wsc *c = ud;
    c->msgs++;
    free(c->last);
    c->last = malloc(len + 1);
    assert_non_null(c->last);
    if (len)
        memcpy(c->last, data, len);
    c->last[len] = 0;
    c->last_len = len;
    c->last_binary = binary;
}

static void c_on_close(net_loop *l, uint64_t ws, int code, const char *why, void *ud)
{
    (void)l;
    (void)ws;
    wsc *c = ud;
    c->closes++;
    c->close_code = code;
    snprintf(c->why, sizeof(c->why), "%s", why ? why : "");
}

static const net_ws_callbacks ws_cb = {c_on_open, c_on_message, c_on_close};

static uint64_t ws_open(app *a, const char *path, wsc *c, size_t max_message)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", a->wsbase, path);
    uint64_t id = net_ws_open(a->l, url, "X-Ws: yes\r\n", max_message, &ws_cb, c);
    assert_true(id > 0);
    return id;
}

static void test_ws_echo(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    wsc c = {0};
    uint64_t ws = ws_open(a, "/engine.io/?EIO=4&transport=websocket&sid=abc", &c, 0);
    /* queued before the handshake */
    assert_int_equal(net_ws_send(a->l, ws, (const uint8_t *)"2probe", 6, false), NET_OK);
    WAIT_UNTIL(a->l, c.opens == 1 && c.msgs == 1, WAIT_MS);
    assert_int_equal(c.opens, 1);
    assert_int_equal(a->ws_opens, 1);
    assert_true(a->websocket);
    assert_string_equal(a->path, "/engine.io/");
    assert_string_equal(a->query, "EIO=4&transport=websocket&sid=abc");
    char v[64];
    assert_non_null(find_header(a->headers, "upgrade", v, sizeof(v)));
    assert_int_equal(c.msgs, 1);
    assert_string_equal((char *)c.last, "2probe");
    assert_false(c.last_binary);
    uint8_t bin[5] = {4, 0, 1, 2, 255};
    assert_int_equal(net_ws_send(a->l, ws, bin, 5, true), NET_OK);
    assert_int_equal(net_ws_send(a->l, ws, NULL, 0, false), NET_OK);
    WAIT_UNTIL(a->l, c.msgs == 3, WAIT_MS);
    assert_int_equal(c.msgs, 3);
    assert_int_equal(c.last_len, 0);
    assert_false(c.last_binary);
    assert_int_equal(a->ws_msgs, 3);
    /* server sends first too */
    assert_int_equal(net_ws_send(a->l, a->ws_conn, (const uint8_t *)"3", 1, false), NET_OK);
    WAIT_UNTIL(a->l, c.msgs == 4, WAIT_MS);
    assert_string_equal((char *)c.last, "3");
    /* client closes: the server hears the code, the client hears nothing */
    assert_int_equal(net_ws_close(a->l, ws, 4000), NET_OK);
    assert_int_equal(net_ws_send(a->l, ws, (const uint8_t *)"x", 1, false), NET_ERR_GONE);
    WAIT_UNTIL(a->l, a->ws_closes == 1, WAIT_MS);
    assert_int_equal(a->ws_closes, 1);
    assert_int_equal(a->ws_close_code, 4000);
    for (int i = 0; i < 5; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(c.closes, 0);
    assert_int_equal(net_ws_send(a->l, a->ws_conn, (const uint8_t *)"x", 1, false), NET_ERR_GONE);
    free(c.last);
    app_free(a);
}

static void test_ws_server_close_and_binary(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    wsc c = {0};
    uint64_t ws = ws_open(a, "/socket.io/?EIO=4&transport=websocket", &c, 0);
    uint8_t bin[3] = {1, 2, 3};
    net_ws_send(a->l, ws, bin, 3, true);
    WAIT_UNTIL(a->l, c.msgs == 1, WAIT_MS);
    assert_true(c.last_binary);
    assert_true(a->ws_last_binary);
    assert_int_equal(c.last_len, 3);
    net_ws_send(a->l, ws, (const uint8_t *)"close-me", 8, false);
    WAIT_UNTIL(a->l, c.closes == 1, WAIT_MS);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_code, 4001);
    assert_int_equal(a->ws_closes, 0); /* not after net_ws_close */
    assert_int_equal(net_ws_send(a->l, ws, bin, 1, true), NET_ERR_GONE);
    free(c.last);
    app_free(a);
}

static void test_ws_big_messages(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    wsc c = {0};
    size_t n = (size_t)2 << 20;
    uint8_t *p = pattern(n, 5);
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    assert_int_equal(net_ws_send(a->l, ws, p, n, true), NET_OK);
    assert_true(net_ws_buffered(a->l, ws) >= n);
    WAIT_UNTIL(a->l, c.msgs == 1, 60000);
    assert_int_equal(a->ws_last_len, n);
    assert_int_equal(c.last_len, n);
    assert_true(c.last_binary);
    assert_memory_equal(c.last, p, n);
    assert_int_equal(net_ws_buffered(a->l, ws), 0);
    /* text too */
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + i % 26);
    net_ws_send(a->l, ws, p, n, false);
    WAIT_UNTIL(a->l, c.msgs == 2, 60000);
    assert_int_equal(c.last_len, n);
    assert_false(c.last_binary);
    assert_memory_equal(c.last, p, n);
    free(p);
    free(c.last);
    app_free(a);
}

static void test_ws_max_message(void **state)
{
    (void)state;
    net_server_options o = {0};
    o.max_message = 1000;
    app *a = app_new(&o, NULL);
    /* server limit */
    wsc c = {0};
    uint8_t *p = pattern(4000, 2);
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    net_ws_send(a->l, ws, p, 1000, true);
    WAIT_UNTIL(a->l, c.msgs == 1, WAIT_MS);
    assert_int_equal(c.last_len, 1000);
    net_ws_send(a->l, ws, p, 1001, true);
    WAIT_UNTIL(a->l, c.closes == 1 && a->ws_closes == 1, WAIT_MS);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_code, 1009);
    assert_int_equal(a->ws_close_code, 1009);
    /* client limit */
    wsc d = {0};
    uint64_t ws2 = ws_open(a, "/ws", &d, 100);
    net_ws_send(a->l, ws2, p, 100, false);
    WAIT_UNTIL(a->l, d.msgs == 1, WAIT_MS);
    assert_int_equal(d.last_len, 100);
    a->ws_echo = false;
    net_ws_send(a->l, a->ws_conn, p, 101, true);
    WAIT_UNTIL(a->l, d.closes == 1 && a->ws_closes == 2, WAIT_MS);
    assert_int_equal(d.close_code, 1009);
    assert_int_equal(a->ws_close_code, 1009);
    free(p);
    free(c.last);
    free(d.last);
    app_free(a);
}

static void test_ws_refused(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    wsc c = {0};
    ws_open(a, "/ws-refuse", &c, 0);
    WAIT_UNTIL(a->l, c.closes == 1, WAIT_MS);
    assert_int_equal(c.opens, 0);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_code, 0);
    assert_int_equal(a->ws_opens, 0);
    wsc d = {0};
    ws_open(a, "/ws-ignore", &d, 0);
    WAIT_UNTIL(a->l, d.closes == 1, WAIT_MS);
    assert_int_equal(d.opens, 0);
    wsc e = {0};
    ws_open(a, "/ws-drop", &e, 0);
    WAIT_UNTIL(a->l, e.closes == 1, WAIT_MS);
    assert_int_equal(e.opens, 0);
    wsc g = {0};
    ws_open(a, "/ws-hello", &g, 0);
    WAIT_UNTIL(a->l, g.closes == 1, WAIT_MS);
    assert_int_equal(g.opens, 1);
    assert_int_equal(g.msgs, 1);
    assert_string_equal((char *)g.last, "hello");
    assert_int_equal(g.close_code, 4003);
    assert_int_equal(a->ws_opens, 0); /* closed before on_ws_open */
    free(g.last);
    /* a plain HTTP client sees the refusal's status and body */
    res x = {0};
    char url[256];
    snprintf(url, sizeof(url), "%s/ws-refuse", a->base);
    net_http_request rq = {0};
    rq.url = url;
    rq.headers = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    rq.timeout_ms = 20000;
    assert_true(net_http_start(a->l, &rq, on_done, &x) > 0);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 403);
    assert_string_equal((char *)x.body, "refused");
    char v[64];
    assert_non_null(find_header(x.headers, "content-type", v, sizeof(v)));
    free(x.body);
    app_free(a);
}

static void test_ws_drop_and_peer_gone(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    /* the server drops: the client hears a close without a code */
    wsc c = {0};
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    net_ws_send(a->l, ws, (const uint8_t *)"drop-me", 7, false);
    WAIT_UNTIL(a->l, c.closes == 1, WAIT_MS);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_code, 0);
    assert_int_equal(a->ws_closes, 0);
    /* the client drops: the server hears it */
    wsc d = {0};
    uint64_t ws2 = ws_open(a, "/ws", &d, 0);
    WAIT_UNTIL(a->l, d.opens == 1 && a->ws_opens == 2, WAIT_MS);
    assert_int_equal(net_ws_drop(a->l, ws2), NET_OK);
    assert_int_equal(net_ws_drop(a->l, ws2), NET_ERR_GONE);
    WAIT_UNTIL(a->l, a->ws_closes == 1, WAIT_MS);
    assert_int_equal(a->ws_closes, 1);
    assert_int_equal(a->ws_close_code, 0);
    for (int i = 0; i < 5; i++)
        net_run_once(a->l, net_now(a->l) + 20);
    assert_int_equal(d.closes, 0);
    /* the server goes away entirely: the client hears it */
    wsc e = {0};
    ws_open(a, "/ws", &e, 0);
    WAIT_UNTIL(a->l, e.opens == 1, WAIT_MS);
    net_server_free(a->srv);
    a->srv = NULL;
    WAIT_UNTIL(a->l, e.closes == 1, WAIT_MS);
    assert_int_equal(e.closes, 1);
    assert_int_equal(a->ws_closes, 1);
    app_free(a);
}

static void test_server_free_in_callback(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    wsc c = {0};
    ws_open(a, "/ws", &c, 0);
    WAIT_UNTIL(a->l, c.opens == 1, WAIT_MS);
    res x = {0};
    start(a, "GET", "/free-server", NULL, NULL, 0, &x);
    WAIT_UNTIL(a->l, x.calls == 1 && c.closes == 1, WAIT_MS);
    assert_null(a->srv);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.status, 0);
    assert_int_equal(c.closes, 1);
    assert_int_equal(a->ws_closes, 0);
    /* the loop goes on */
    res y = {0};
    start(a, "GET", "/echo", NULL, NULL, 0, &y);
    WAIT_UNTIL(a->l, y.calls == 1, WAIT_MS);
    assert_int_equal(y.status, 0);
    free(x.body);
    free(y.body);
    free(c.last);
    app_free(a);
}


static void test_ws_close_after_queue(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    a->ws_echo = false;
    wsc c = {0};
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "m%d", i);
        assert_int_equal(net_ws_send(a->l, ws, (const uint8_t *)m, strlen(m), false), NET_OK);
    }
    /* closed before the handshake finished: the queue still goes first */
    assert_int_equal(net_ws_close(a->l, ws, 4002), NET_OK);
    assert_int_equal(net_flushing(a->l), 1); /* the queue and the close frame */
    WAIT_UNTIL(a->l, a->ws_closes == 1, WAIT_MS);
    assert_int_equal(net_flushing(a->l), 0);
    assert_int_equal(a->ws_msgs, 20);
    assert_int_equal(a->ws_closes, 1);
    assert_int_equal(a->ws_close_code, 4002);
    assert_int_equal(c.closes, 0);
    assert_int_equal(c.opens, 0);
    /* bad close codes */
    wsc d = {0};
    uint64_t ws2 = ws_open(a, "/ws", &d, 0);
    assert_int_equal(net_ws_close(a->l, ws2, 999), NET_ERR_INVALID);
    assert_int_equal(net_ws_close(a->l, ws2, 5000), NET_ERR_INVALID);
    assert_int_equal(net_ws_close(a->l, ws2, 0), NET_OK);
    WAIT_UNTIL(a->l, a->ws_closes == 2, WAIT_MS);
    assert_int_equal(a->ws_close_code, 1000);
    app_free(a);
}


static void test_ws_open_failure(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));
    wsc c = {0};
    uint64_t ws = net_ws_open(l, url, NULL, 0, &ws_cb, &c);
    assert_true(ws > 0);
    assert_int_equal(c.closes, 0);
    WAIT_UNTIL(l, c.closes == 1, WAIT_MS);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.opens, 0);
    assert_int_equal(net_ws_send(l, ws, (const uint8_t *)"x", 1, false), NET_ERR_GONE);
    assert_int_equal(net_ws_open(l, "ftp://x/", NULL, 0, &ws_cb, &c), 0);
    /* closed before it opened: no callback at all */
    wsc d = {0};
    uint64_t ws2 = net_ws_open(l, url, NULL, 0, &ws_cb, &d);
    assert_int_equal(net_ws_close(l, ws2, 0), NET_OK);
    for (int i = 0; i < 10; i++)
        net_run_once(l, net_now(l) + 20);
    assert_int_equal(d.closes, 0);
    net_loop_free(l);
}

/* ------------------------------------------------------------------------ */
/* Tests: TLS                                                                */
/* ------------------------------------------------------------------------ */

static bool make_cert(char *dir, char *cert, char *key, size_t cap)
{
    snprintf(dir, cap, "/tmp/sioc-net-XXXXXX");
    if (!mkdtemp(dir))
        return false;
    snprintf(cert, cap, "%s/cert.pem", dir);
    snprintf(key, cap, "%s/key.pem", dir);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "timeout 120 openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' "
             "-days 2 -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' "
             ">/dev/null 2>&1",
             key, cert);
    return system(cmd) == 0;
}

static void rm_cert(const char *dir, const char *cert, const char *key)
{
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

static void test_tls_round_trip(void **state)
{
    (void)state;
    char dir[256], cert[300], key[300];
    if (!make_cert(dir, cert, key, sizeof(cert))) {
        rm_cert(dir, cert, key);
        skip();
    }
    net_server_options o = {0};
    o.tls_cert = cert;
    o.tls_key = key;
    net_loop_options lo = {0};
    lo.insecure = true;
    app *a = app_new(&o, &lo);
    assert_non_null(strstr(a->base, "https://"));
    res x = {0};
    start(a, "POST", "/echo?tls=1", "text/plain", "secret", 6, &x);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    assert_string_equal((char *)x.body, "secret");
    wsc c = {0};
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    size_t n = 300000;
    uint8_t *p = pattern(n, 9);
    net_ws_send(a->l, ws, p, n, true);
    WAIT_UNTIL(a->l, c.msgs == 1, WAIT_MS);
    assert_int_equal(c.last_len, n);
    assert_memory_equal(c.last, p, n);
    net_ws_close(a->l, ws, 1000);
    WAIT_UNTIL(a->l, a->ws_closes == 1, WAIT_MS);
    assert_int_equal(a->ws_close_code, 1000);
    free(p);
    free(c.last);
    free(x.body);
    app_free(a);

    /* without `insecure` the self-signed certificate is refused */
    net_loop_options strict = {0};
    a = app_new(&o, &strict);
    res y = {0};
    start(a, "GET", "/echo", NULL, NULL, 0, &y);
    WAIT_UNTIL(a->l, y.calls == 1, WAIT_MS);
    assert_int_equal(y.status, 0);
    free(y.body);
    app_free(a);

    /* trusting it as a CA works */
    net_loop_options ca = {0};
    ca.ca_file = cert;
    a = app_new(&o, &ca);
    res z = {0};
    char url[128];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/echo?ca=1", (unsigned)a->port);
    net_http_request rq = {0};
    rq.url = url;
    rq.timeout_ms = 20000;
    assert_true(net_http_start(a->l, &rq, on_done, &z) > 0);
    WAIT_UNTIL(a->l, z.calls == 1, WAIT_MS);
    assert_int_equal(z.status, 200);
    assert_string_equal((char *)z.body, "ca=1");
    /* trusted, but not for this name: refused */
    res w = {0};
    net_server *s2 = NULL;
    net_server_options o2 = o;
    o2.host = "127.0.0.2";
    assert_int_equal(net_server_new(a->l, &s2, &o2, &srv_cb, a), NET_OK);
    snprintf(url, sizeof(url), "https://127.0.0.2:%u/echo?ca=2", (unsigned)net_server_port(s2));
    rq.url = url;
    assert_true(net_http_start(a->l, &rq, on_done, &w) > 0);
    WAIT_UNTIL(a->l, w.calls == 1, WAIT_MS);
    assert_int_equal(w.status, 0);
    net_server_free(s2);
    free(w.body);
    free(z.body);
    app_free(a);

    /* a bad certificate path fails at net_server_new */
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    net_server *s = NULL;
    net_server_options bad = {0};
    bad.tls_cert = "/nonexistent/cert.pem";
    bad.tls_key = "/nonexistent/key.pem";
    assert_int_equal(net_server_new(l, &s, &bad, &srv_cb, NULL), NET_ERR_IO);
    bad.tls_key = NULL;
    assert_int_equal(net_server_new(l, &s, &bad, &srv_cb, NULL), NET_ERR_INVALID);
    net_loop_free(l);
    rm_cert(dir, cert, key);
}

/* ------------------------------------------------------------------------ */
/* Tests: file descriptors, servers                                          */
/* ------------------------------------------------------------------------ */

typedef struct fdctx {
    int calls;
    char data[256];
    size_t len;
    bool eof;
    bool unwatch_at_eof;
} fdctx;

static void fd_fn(net_loop *l, int fd, void *ud)
{
    fdctx *f = ud;
    f->calls++;
    ssize_t n = read(fd, f->data + f->len, sizeof(f->data) - 1 - f->len);
    if (n > 0)
        f->len += (size_t)n;
    else if (n == 0) {
        f->eof = true;
        if (f->unwatch_at_eof)
            net_fd_unwatch(l, fd);
    }
    f->data[f->len] = 0;
}

static void test_fd_watch(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fdctx f = {0};
    f.unwatch_at_eof = true;
    assert_int_equal(net_fd_watch(l, p[0], fd_fn, &f), NET_OK);
    assert_int_equal(net_fd_watch(l, p[0], fd_fn, &f), NET_ERR_INVALID);
    for (int i = 0; i < 3; i++)
        net_run_once(l, net_now(l) + 20);
    assert_int_equal(f.calls, 0);
    assert_int_equal(write(p[1], "hello", 5), 5);
    WAIT_UNTIL(l, f.len == 5, WAIT_MS);
    assert_string_equal(f.data, "hello");
    assert_int_equal(write(p[1], " world", 6), 6);
    close(p[1]);
    WAIT_UNTIL(l, f.eof, WAIT_MS);
    assert_true(f.eof);
    assert_string_equal(f.data, "hello world");
    int calls = f.calls;
    for (int i = 0; i < 5; i++)
        net_run_once(l, net_now(l) + 20);
    assert_int_equal(f.calls, calls); /* unwatched */
    close(p[0]);

    /* unwatch from outside, then watch again */
    assert_int_equal(pipe(p), 0);
    fdctx g = {0};
    assert_int_equal(net_fd_watch(l, p[0], fd_fn, &g), NET_OK);
    net_fd_unwatch(l, p[0]);
    assert_int_equal(write(p[1], "x", 1), 1);
    for (int i = 0; i < 5; i++)
        net_run_once(l, net_now(l) + 20);
    assert_int_equal(g.calls, 0);
    assert_int_equal(net_fd_watch(l, p[0], fd_fn, &g), NET_OK);
    WAIT_UNTIL(l, g.len == 1, WAIT_MS);
    assert_string_equal(g.data, "x");
    /* the watched fd is still ours after net_loop_free */
    net_loop_free(l);
    assert_int_equal(write(p[1], "y", 1), 1);
    char ch;
    assert_int_equal(read(p[0], &ch, 1), 1);
    close(p[0]);
    close(p[1]);
}

static void test_fd_hangup(void **state)
{
    (void)state;
    net_loop *l;
    assert_int_equal(net_loop_new(&l, NULL), NET_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fdctx f = {0}; /* does not unwatch at end of file */
    assert_int_equal(net_fd_watch(l, p[0], fd_fn, &f), NET_OK);
    assert_int_equal(write(p[1], "abc", 3), 3);
    close(p[1]);
    WAIT_UNTIL(l, f.eof, WAIT_MS);
    assert_true(f.eof);
    assert_string_equal(f.data, "abc");
    /* after the hang-up the function is not called in a loop */
    for (int i = 0; i < 5; i++)
        net_run_once(l, net_now(l) + 20);
    assert_true(f.calls <= 4);
    net_fd_unwatch(l, p[0]);
    net_fd_unwatch(l, p[0]);
    assert_int_equal(net_fd_watch(l, -1, fd_fn, &f), NET_ERR_INVALID);
    net_loop_free(l);
    close(p[0]);
}

static void test_server_bind_errors(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    net_server *s2 = NULL;
    net_server_options o = {0};
    o.port = a->port;
    assert_int_equal(net_server_new(a->l, &s2, &o, &srv_cb, a), NET_ERR_IO);
    assert_null(s2);
    o.port = 0;
    o.host = "203.0.113.1"; /* not ours */
    assert_int_equal(net_server_new(a->l, &s2, &o, &srv_cb, a), NET_ERR_IO);
    /* two servers on one loop */
    o.host = NULL;
    assert_int_equal(net_server_new(a->l, &s2, &o, &srv_cb, a), NET_OK);
    assert_int_not_equal(net_server_port(s2), a->port);
    res x = {0};
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo?second=1", (unsigned)net_server_port(s2));
    net_http_request rq = {0};
    rq.url = url;
    rq.timeout_ms = 20000;
    assert_true(net_http_start(a->l, &rq, on_done, &x) > 0);
    WAIT_UNTIL(a->l, x.calls == 1, WAIT_MS);
    assert_int_equal(x.status, 200);
    net_server_free(s2);
    /* the port is released */
    res y = {0};
    assert_true(net_http_start(a->l, &rq, on_done, &y) > 0);
    WAIT_UNTIL(a->l, y.calls == 1, WAIT_MS);
    assert_int_equal(y.status, 0);
    free(x.body);
    free(y.body);
    app_free(a);
}

/* net_loop_free with everything in flight: no callbacks, no leaks. */
static void test_free_with_traffic(void **state)
{
    (void)state;
    app *a = app_new(NULL, NULL);
    res x = {0}, y = {0};
    wsc c = {0};
    start(a, "GET", "/hold", NULL, NULL, 0, &x);
    start(a, "POST", "/echo", "text/plain", "abc", 3, &y);
    uint64_t ws = ws_open(a, "/ws", &c, 0);
    net_ws_send(a->l, ws, (const uint8_t *)"queued", 6, false);
    net_timer_add(a->l, net_now(a->l) + 100000, timer_fn, NULL);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fdctx f = {0};
    net_fd_watch(a->l, p[0], fd_fn, &f);
    WAIT_UNTIL(a->l, a->nheld == 1 && c.opens == 1, WAIT_MS);
    net_loop_free(a->l);
    /* the server struct went with the loop */
    free(a);
    assert_int_equal(x.calls, 0);
    assert_int_equal(c.closes, 0);
    free(y.body);
    free(c.last);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_order),
        cmocka_unit_test(test_run_once_until),
        cmocka_unit_test(test_wake_from_callback),
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_http_get),
        cmocka_unit_test(test_http_query_encoded),
        cmocka_unit_test(test_http_methods_and_bodies),
        cmocka_unit_test(test_http_held_response),
        cmocka_unit_test(test_http_held_post),
        cmocka_unit_test(test_http_early_response),
        cmocka_unit_test(test_http_many_concurrent),
        cmocka_unit_test(test_http_big_bodies),
        cmocka_unit_test(test_http_max_response),
        cmocka_unit_test(test_http_max_body_413),
        cmocka_unit_test(test_http_abort),
        cmocka_unit_test(test_http_timeout),
        cmocka_unit_test(test_http_refused),
        cmocka_unit_test(test_http_server_drop),
        cmocka_unit_test(test_http_keepalive),
        cmocka_unit_test(test_http_head_cookies_args),
        cmocka_unit_test(test_http_abort_upload),
        cmocka_unit_test(test_http_10_client),
        cmocka_unit_test(test_http_chunked_refused),
        cmocka_unit_test(test_http_headers_too_large),
        cmocka_unit_test(test_ws_echo),
        cmocka_unit_test(test_ws_server_close_and_binary),
        cmocka_unit_test(test_ws_big_messages),
        cmocka_unit_test(test_ws_max_message),
        cmocka_unit_test(test_ws_refused),
        cmocka_unit_test(test_ws_drop_and_peer_gone),
        cmocka_unit_test(test_ws_open_failure),
        cmocka_unit_test(test_ws_close_after_queue),
        cmocka_unit_test(test_server_free_in_callback),
        cmocka_unit_test(test_tls_round_trip),
        cmocka_unit_test(test_fd_watch),
        cmocka_unit_test(test_fd_hangup),
        cmocka_unit_test(test_server_bind_errors),
        cmocka_unit_test(test_free_with_traffic),
    };
    /* an optional argument runs the matching tests only (glob) */
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
