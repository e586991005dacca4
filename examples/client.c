/*
 * client.c - tutorial step 2 (docs/tutorial.md): a Socket.IO client built
 * from the sans-IO session machines and plain POSIX sockets.
 *
 * Usage: client [--v4] [--path PATH] URL
 *
 *   URL     http://HOST:PORT of a Socket.IO server (no TLS)
 *   --v4    speak Socket.IO v4 over Engine.IO v3 (socket.io 2.x servers)
 *   --path  the server's path, default /socket.io/
 *
 * It connects to the main namespace, emits ["echo", "hello", {"n":1}] asking
 * for an ack and ["echo", <4 binary bytes>] without, waits for the ack and
 * for the server's "echo" event, disconnects and exits 0. Every step is
 * printed on stdout; any failure (refused connection, protocol error, no
 * answer within 20 seconds) is printed on stderr and exits 1.
 *
 * Transport: HTTP long-polling only, one TCP connection per request
 * ("Connection: close"), so the HTTP code stays small; the session never
 * upgrades to WebSocket. The session machines drive everything: they say
 * which request to send, this file sends it and reports the response.
 */
/* POSIX.1-2008 (getline, sockets, clock_gettime) for a plain -std=c11 build. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sioc/sioc.h>

#define MAX_REQUESTS 8                /* HTTP requests in flight (polling needs 2) */
#define MAX_RESPONSE (16u << 20)      /* bytes of one HTTP response, headers included */
#define RUN_LIMIT_MS 20000u           /* the whole exchange must finish in this time */

/* ------------------------------------------------------------------------ */
/* Clock                                                                     */
/* ------------------------------------------------------------------------ */

static eio_time now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (eio_time)ts.tv_sec * 1000u + (eio_time)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------------ */
/* HTTP requests over POSIX sockets                                          */
/* ------------------------------------------------------------------------ */

/* One HTTP request in flight, on its own TCP connection. */
typedef struct request {
    bool used;
    uint32_t conn;      /* the Engine.IO client's id for it */
    int fd;
    bool connected;
    bool done;          /* answered: freed once the machines are drained */
    char *out;          /* the whole request */
    size_t out_len, out_sent;
    char *in;           /* the response so far */
    size_t in_len, in_cap;
} request;

typedef struct client {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char host[300];     /* Host header value */
    request reqs[MAX_REQUESTS];
    eio_client *eio;
    sio_client *sio;
    int64_t socket;     /* the Socket.IO socket of the main namespace */
    bool got_ack, got_echo, closing, failed;
    uint8_t blob[4];    /* the binary argument sent */
} client;

static void request_free(request *r)
{
    if (r->fd >= 0) {
        close(r->fd);
    }
    free(r->out);
    free(r->in);
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}

/* Starts the request of an EIO_CLIENT_HTTP_REQUEST action. The action's
 * strings and body are copied: they are only valid until the next call
 * into the Engine.IO machine. Returns false if it could not even start. */
static bool request_start(client *c, const eio_client_action *a)
{
    request *r = NULL;
    for (size_t i = 0; i < MAX_REQUESTS; i++) {
        if (!c->reqs[i].used) {
            r = &c->reqs[i];
            break;
        }
    }
    if (r == NULL) {
        return false;
    }
    const char *method = a->method == EIO_HTTP_POST ? "POST" : "GET";
    const char *extra = a->headers != NULL ? a->headers : "";
    char head[4096];
    int n;
    if (a->method == EIO_HTTP_POST) {
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     method, a->target, c->host, extra,
                     a->content_type != NULL ? a->content_type : "text/plain;charset=UTF-8",
                     a->len);
    } else {
        n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n",
                     method, a->target, c->host, extra);
    }
    if (n < 0 || (size_t)n >= sizeof head) {
        return false;
    }
    size_t body_len = a->method == EIO_HTTP_POST ? a->len : 0;
    r->out = malloc((size_t)n + body_len);
    if (r->out == NULL) {
        return false;
    }
    memcpy(r->out, head, (size_t)n);
    if (body_len > 0) {
        memcpy(r->out + n, a->body, body_len);
    }
    r->out_len = (size_t)n + body_len;
    r->fd = socket(c->addr.ss_family, SOCK_STREAM, 0);
    if (r->fd < 0) {
        request_free(r);
        return false;
    }
    /* Non-blocking connect: poll() says when it is done. */
    fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
    if (connect(r->fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0 &&
        errno != EINPROGRESS) {
        request_free(r);
        return false;
    }
    r->used = true;
    r->conn = a->conn;
    return true;
}

/* Parses the finished response in r->in (the server closed the connection)
 * and hands it to the Engine.IO machine. Bodies come with Content-Length,
 * chunked, or up to the end of the connection. */
static void request_finish(client *c, request *r, eio_time now)
{
    char *end = NULL;
    for (size_t i = 0; i + 4 <= r->in_len; i++) {
        if (memcmp(r->in + i, "\r\n\r\n", 4) == 0) {
            end = r->in + i;
            break;
        }
    }
    int status = 0;
    if (end == NULL || sscanf(r->in, "HTTP/1.%*d %d", &status) != 1) {
        eio_client_http_failed(c->eio, r->conn, now);
        return;
    }
    *end = '\0';
    char *body = end + 4;
    size_t body_len = r->in_len - (size_t)(body - r->in);
    char *content_type = NULL;
    bool chunked = false;
    long long content_length = -1;
    /* Header lines: "Name: value", names case-insensitive. */
    for (char *line = strstr(r->in, "\r\n"); line != NULL;) {
        line += 2;
        char *next = strstr(line, "\r\n");
        if (next != NULL) {
            *next = '\0';
        }
        char *colon = strchr(line, ':');
        if (colon != NULL) {
            *colon = '\0';
            char *value = colon + 1 + strspn(colon + 1, " \t");
            if (strcasecmp(line, "content-type") == 0) {
                content_type = value;
            } else if (strcasecmp(line, "content-length") == 0) {
                content_length = atoll(value);
            } else if (strcasecmp(line, "transfer-encoding") == 0 &&
                       strcasecmp(value, "chunked") == 0) {
                chunked = true;
            }
        }
        line = next;
    }
    if (chunked) {
        /* <hex size>\r\n<data>\r\n ... 0\r\n\r\n, joined in place. */
        size_t in = 0, out = 0;
        for (;;) {
            char *eol = memchr(body + in, '\n', body_len - in);
            if (eol == NULL) {
                eio_client_http_failed(c->eio, r->conn, now);
                return;
            }
            unsigned long size = strtoul(body + in, NULL, 16);
            in = (size_t)(eol - body) + 1;
            if (size == 0) {
                break;
            }
            if (size > body_len - in) {
                eio_client_http_failed(c->eio, r->conn, now);
                return;
            }
            memmove(body + out, body + in, size);
            out += size;
            in += size + 2;
            if (in > body_len) {
                eio_client_http_failed(c->eio, r->conn, now);
                return;
            }
        }
        body_len = out;
    } else if (content_length >= 0) {
        if ((unsigned long long)content_length > body_len) {
            eio_client_http_failed(c->eio, r->conn, now); /* cut short */
            return;
        }
        body_len = (size_t)content_length;
    }
    eio_client_http_response(c->eio, r->conn, status, content_type, (const uint8_t *)body,
                             body_len, now);
}

/* Moves bytes for one request after poll(). */
static void request_io(client *c, request *r, short revents, eio_time now)
{
    if (!r->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            eio_client_http_failed(c->eio, r->conn, now);
            request_free(r);
            return;
        }
        if (!(revents & POLLOUT)) {
            return;
        }
        r->connected = true;
    }
    if (r->out_sent < r->out_len) {
        ssize_t n = send(r->fd, r->out + r->out_sent, r->out_len - r->out_sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            eio_client_http_failed(c->eio, r->conn, now);
            request_free(r);
            return;
        }
        r->out_sent += n > 0 ? (size_t)n : 0;
        return;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR))) {
        return;
    }
    if (r->in_cap - r->in_len < 4096) {
        size_t cap = r->in_cap ? r->in_cap * 2 : 8192;
        char *p = cap <= MAX_RESPONSE ? realloc(r->in, cap) : NULL;
        if (p == NULL) {
            eio_client_http_failed(c->eio, r->conn, now);
            request_free(r);
            return;
        }
        r->in = p;
        r->in_cap = cap;
    }
    ssize_t n = recv(r->fd, r->in + r->in_len, r->in_cap - r->in_len - 1, 0);
    if (n > 0) {
        r->in_len += (size_t)n;
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n < 0) {
        eio_client_http_failed(c->eio, r->conn, now);
        request_free(r);
        return;
    }
    r->in[r->in_len] = '\0';
    request_finish(c, r, now);
    /* The events this produced point into r->in: it is freed only after
       the caller has drained the machines. */
    r->done = true;
}

static request *find_request(client *c, uint32_t conn)
{
    for (size_t i = 0; i < MAX_REQUESTS; i++) {
        if (c->reqs[i].used && c->reqs[i].conn == conn) {
            return &c->reqs[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The application                                                           */
/* ------------------------------------------------------------------------ */

static void print_json(const char *what, const eio_json *v)
{
    char buf[512];
    size_t n = eio_json_write(v, buf, sizeof buf);
    printf("%s %.*s%s\n", what, (int)(n < sizeof buf ? n : sizeof buf), buf,
           n > sizeof buf ? "..." : "");
}

static void fail(client *c, const char *why)
{
    fprintf(stderr, "client: %s\n", why);
    c->failed = true;
}

/* Emits the two events once the namespace is connected. */
static void on_connected(client *c, eio_time now)
{
    uint8_t store[1024];
    eio_arena arena;
    eio_arena_init_fixed(&arena, store, sizeof store);

    /* ["echo", "hello", {"n": 1}], asking for an ack within 10 s */
    eio_json *args = eio_json_new_array(&arena);
    eio_json *obj = eio_json_new_object(&arena);
    eio_json_append(args, eio_json_new_string(&arena, "echo", 4));
    eio_json_append(args, eio_json_new_string(&arena, "hello", 5));
    eio_json_put(&arena, obj, "n", 1, eio_json_new_int(&arena, 1));
    eio_json_append(args, obj);
    int64_t id = sio_client_emit(c->sio, (uint32_t)c->socket, args, SIO_EMIT_ACK, 10000, now);
    if (id < 0) {
        fail(c, eio_strerror((int)id));
        return;
    }
    printf("emitted echo with ack id %lld\n", (long long)id);

    /* ["echo", <binary>]: the binary node becomes an attachment. The
       machine encodes at call time, so the arena can be reused at once. */
    eio_arena_reset(&arena);
    args = eio_json_new_array(&arena);
    eio_json_append(args, eio_json_new_string(&arena, "echo", 4));
    eio_json_append(args, eio_json_new_binary(&arena, c->blob, sizeof c->blob));
    int64_t rc = sio_client_emit(c->sio, (uint32_t)c->socket, args, 0, 0, now);
    if (rc < 0) {
        fail(c, eio_strerror((int)rc));
        return;
    }
    printf("emitted echo with 4 binary bytes\n");
}

static void on_sio_event(client *c, const sio_event *e, eio_time now)
{
    switch (e->type) {
    case SIO_EVENT_CONNECT:
        printf("connected to %.*s as %s\n", (int)e->nsp.len, (const char *)e->nsp.ptr, e->sid);
        on_connected(c, now);
        break;
    case SIO_EVENT_CONNECT_ERROR:
        /* The server refused the namespace, or (reconnection being off)
           the connection could not be made at all. */
        print_json("connect error", e->data);
        fail(c, "could not connect");
        break;
    case SIO_EVENT_ACK:
        print_json("ack", e->data);
        c->got_ack = true;
        break;
    case SIO_EVENT_ACK_TIMEOUT:
        fail(c, "no ack in time");
        break;
    case SIO_EVENT_EVENT: {
        const eio_json *arg = eio_json_at(e->data, 1);
        if (arg != NULL && arg->type == EIO_JSON_BINARY) {
            printf("event echo with %zu binary bytes %s\n", arg->u.str.len,
                   arg->u.str.len == sizeof c->blob &&
                           memcmp(arg->u.str.ptr, c->blob, sizeof c->blob) == 0
                       ? "(same as sent)"
                       : "(different)");
            c->got_echo = true;
        } else {
            print_json("event", e->data);
        }
        break;
    }
    case SIO_EVENT_DISCONNECT:
        printf("disconnected: %s\n", sio_disconnect_reason_name((int)e->reason));
        if (!c->closing) {
            fail(c, "disconnected before the end");
        }
        break;
    default:
        break;
    }
    if (c->got_ack && c->got_echo && !c->closing && !c->failed) {
        c->closing = true;
        printf("closing\n");
        sio_client_close(c->sio, now);
    }
}

/* ------------------------------------------------------------------------ */
/* The glue: Socket.IO machine on top of the Engine.IO machine               */
/* ------------------------------------------------------------------------ */

/* Performs one Engine.IO action: the I/O the machine asks for. */
static void on_eio_action(client *c, const eio_client_action *a, eio_time now)
{
    request *r;
    switch (a->type) {
    case EIO_CLIENT_HTTP_REQUEST:
        if (!request_start(c, a)) {
            eio_client_http_failed(c->eio, a->conn, now);
        }
        break;
    case EIO_CLIENT_HTTP_ABORT:
        if ((r = find_request(c, a->conn)) != NULL) {
            request_free(r);
        }
        break;
    case EIO_CLIENT_WS_OPEN:
        /* Not produced with upgrade = false; refuse it if it were. */
        eio_client_ws_closed(c->eio, a->conn, now);
        break;
    case EIO_CLIENT_WS_SEND:
    case EIO_CLIENT_WS_CLOSE:
        break;
    }
}

static int open_eio(client *c, const char *path, sio_version v, eio_time now)
{
    eio_client_options eo;
    eio_client_options_default(&eo);
    eo.version = v == SIO_V4 ? EIO_V3 : EIO_V4; /* Socket.IO v5 runs on Engine.IO v4 */
    eo.path = path;
    eo.upgrade = false;                         /* stay on polling */
    int rc = eio_client_new(&c->eio, &eo, NULL);
    if (rc < 0) {
        return rc;
    }
    return eio_client_open(c->eio, now);
}

/*
 * Runs every queue dry. The order matters: the Socket.IO machine's actions
 * and events are all handled before it is fed the next Engine.IO event,
 * because its unread events may point at state that new input frees.
 */
static void pump(client *c, const char *path, sio_version v, eio_time now)
{
    for (;;) {
        sio_action sa;
        sio_event se;
        eio_client_action ea;
        eio_event ee;
        if (sio_client_next_action(c->sio, &sa)) {
            switch (sa.type) {
            case SIO_ACTION_EIO_OPEN:
                /* Reconnection is off: this comes once, at the start. */
                if (c->eio == NULL && open_eio(c, path, v, now) < 0) {
                    fail(c, "cannot create the Engine.IO client");
                }
                break;
            case SIO_ACTION_EIO_SEND:
                if (c->eio != NULL &&
                    eio_client_send(c->eio, sa.data, sa.len, sa.binary, now) < 0) {
                    /* A packet with a part missing would corrupt the stream. */
                    eio_client_close(c->eio, now);
                }
                break;
            case SIO_ACTION_EIO_CLOSE:
                if (c->eio != NULL) {
                    eio_client_close(c->eio, now);
                }
                break;
            }
            continue;
        }
        if (sio_client_next_event(c->sio, &se)) {
            on_sio_event(c, &se, now);
            continue;
        }
        if (c->eio == NULL) {
            return;
        }
        if (eio_client_next_action(c->eio, &ea)) {
            on_eio_action(c, &ea, now);
            continue;
        }
        if (!eio_client_next_event(c->eio, &ee)) {
            return;
        }
        switch (ee.type) {
        case EIO_EVENT_OPEN:
            printf("engine.io session %s open (EIO=%d, ping every %u ms)\n",
                   eio_client_sid(c->eio), (int)ee.version, (unsigned)ee.handshake->ping_interval);
            sio_client_eio_open(c->sio, now);
            break;
        case EIO_EVENT_MESSAGE:
            sio_client_eio_message(c->sio, ee.data, ee.len, ee.binary, now);
            break;
        case EIO_EVENT_CLOSE:
            printf("engine.io session closed: %s\n", eio_close_reason_name((int)ee.reason));
            if (!c->closing) {
                fail(c, "the Engine.IO session closed before the end");
            }
            sio_client_eio_close(c->sio, ee.reason, now);
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* main                                                                      */
/* ------------------------------------------------------------------------ */

static int resolve(client *c, const char *url)
{
    char host[256], port[16] = "80";
    if (strncmp(url, "http://", 7) != 0) {
        return -1;
    }
    const char *p = url + 7;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof host) {
        return -1;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        size_t pl = strcspn(p + 1, "/");
        if (pl == 0 || pl >= sizeof port) {
            return -1;
        }
        memcpy(port, p + 1, pl);
        port[pl] = '\0';
    }
    snprintf(c->host, sizeof c->host, "%s:%s", host, port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
    c->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int main(int argc, char **argv)
{
    sio_version v = SIO_V5;
    const char *path = "/socket.io/";
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--v4") == 0) {
            v = SIO_V4;
        } else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (url == NULL && argv[i][0] != '-') {
            url = argv[i];
        } else {
            url = NULL;
            break;
        }
    }
    client c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < MAX_REQUESTS; i++) {
        c.reqs[i].fd = -1;
    }
    if (url == NULL || resolve(&c, url) < 0) {
        fprintf(stderr, "usage: client [--v4] [--path PATH] http://HOST:PORT\n");
        return 2;
    }
    memcpy(c.blob, "\x01\x02\x03\xff", 4);

    sio_client_options so;
    sio_client_options_default(&so);
    so.version = v;
    so.reconnection = false; /* one session: see docs/tutorial.md for reconnection */
    if (sio_client_new(&c.sio, &so, NULL) < 0) {
        fprintf(stderr, "client: cannot create the Socket.IO client\n");
        return 1;
    }

    eio_time start = now_ms();
    c.socket = sio_client_connect(c.sio, "/", NULL, start);
    if (c.socket < 0) {
        fail(&c, eio_strerror((int)c.socket));
    }
    pump(&c, path, v, start);

    /* The loop: wait for sockets or the next deadline, feed the machines. */
    if (c.eio == NULL) {
        fail(&c, "no Engine.IO session was asked for");
    }
    while (!c.failed && eio_client_state(c.eio) != EIO_STATE_CLOSED) {
        eio_time now = now_ms();
        if (now - start > RUN_LIMIT_MS) {
            fail(&c, "timed out");
            break;
        }
        eio_time due = c.eio != NULL ? eio_client_get_expiry(c.eio) : EIO_TIME_NEVER;
        eio_time due2 = sio_client_get_expiry(c.sio);
        due = due2 < due ? due2 : due;
        eio_time limit = start + RUN_LIMIT_MS;
        due = due < limit ? due : limit;
        int timeout = due > now ? (int)(due - now) : 0;

        struct pollfd fds[MAX_REQUESTS];
        request *which[MAX_REQUESTS];
        uint32_t conns[MAX_REQUESTS];
        nfds_t n = 0;
        for (size_t i = 0; i < MAX_REQUESTS; i++) {
            request *r = &c.reqs[i];
            if (r->used) {
                bool writing = !r->connected || r->out_sent < r->out_len;
                fds[n] = (struct pollfd){.fd = r->fd, .events = writing ? POLLOUT : POLLIN};
                which[n] = r;
                conns[n++] = r->conn;
            }
        }
        if (poll(fds, n, timeout) < 0 && errno != EINTR) {
            fail(&c, "poll failed");
            break;
        }
        now = now_ms();
        for (nfds_t i = 0; i < n; i++) {
            /* Skip a request that the pump of an earlier one ended. */
            if (fds[i].revents != 0 && which[i]->used && which[i]->conn == conns[i]) {
                request_io(&c, which[i], fds[i].revents, now);
                pump(&c, path, v, now);
                if (which[i]->used && which[i]->done) {
                    request_free(which[i]);
                }
            }
        }
        eio_client_handle_expiry(c.eio, now);
        sio_client_handle_expiry(c.sio, now);
        pump(&c, path, v, now);
    }

    for (size_t i = 0; i < MAX_REQUESTS; i++) {
        if (c.reqs[i].used) {
            request_free(&c.reqs[i]);
        }
    }
    eio_client_free(c.eio);
    sio_client_free(c.sio);
    if (c.failed) {
        return 1;
    }
    printf("done\n");
    return 0;
}
