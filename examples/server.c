/*
 * server.c - tutorial step 3 (docs/tutorial.md): a Socket.IO server loop
 * built from the sans-IO session machines and plain POSIX sockets.
 *
 * Usage: server [--port PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: any free port) and prints
 * "listening on PORT" once ready. Serves Socket.IO v5 (socket.io 3+
 * clients) and v4 (socket.io 2.x clients) under /socket.io/:
 *
 *   - the main namespace "/" is accepted, any other is refused with
 *     {"message":"no such namespace"};
 *   - an "echo" event with an ack id is answered with an ack holding its
 *     arguments; without an ack id the same event is emitted back;
 *   - other events are printed and ignored.
 *
 * Runs until SIGINT or SIGTERM, then closes every session and exits 0.
 *
 * Transport: HTTP long-polling only, one request per TCP connection (every
 * response says "Connection: close"); WebSocket upgrade requests are
 * refused by the Engine.IO machine, which does not offer the upgrade.
 */
/* POSIX.1-2008 (getline, sockets, clock_gettime) for a plain -std=c11 build. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sioc/sioc.h>

#define MAX_CONNS 256        /* TCP connections at once; more wait in the backlog */
#define MAX_HEAD 8192        /* bytes of a request line and headers */
#define MAX_BODY 1000000     /* bytes of a POST body: the Engine.IO max_payload */
#define PATH "/socket.io/"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static eio_time now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (eio_time)ts.tv_sec * 1000u + (eio_time)ts.tv_nsec / 1000000u;
}

/* Session ids come from the caller: the machines never read a device. */
static int random_bytes(uint8_t *buf, size_t len, void *ud)
{
    FILE *f = ud;
    return fread(buf, 1, len, f) == len ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* HTTP connections                                                          */
/* ------------------------------------------------------------------------ */

typedef struct conn {
    bool used;
    uint32_t id;          /* our id, given to the Engine.IO server as `conn` */
    int fd;
    char *in;             /* the request so far */
    size_t in_len, in_cap;
    bool handed;          /* given to the Engine.IO server, waiting for its answer */
    char *out;            /* the response */
    size_t out_len, out_sent;
} conn;

typedef struct server {
    int listen_fd;
    conn conns[MAX_CONNS];
    uint32_t next_id;
    eio_server *eio;
    sio_server *sio;
} server;

static void conn_free(conn *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    free(k->in);
    free(k->out);
    memset(k, 0, sizeof(*k));
    k->fd = -1;
}

static conn *find_conn(server *s, uint32_t id)
{
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (s->conns[i].used && s->conns[i].id == id) {
            return &s->conns[i];
        }
    }
    return NULL;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    default: return "Error";
    }
}

/* Queues a response; it is written as the socket accepts it, then the
 * connection is closed. */
static void respond(conn *k, int status, const char *content_type, const uint8_t *body,
                    size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason_phrase(status),
                     content_type != NULL ? content_type : "text/plain", len);
    free(k->out);
    k->out = malloc((size_t)n + len);
    if (k->out == NULL) {
        conn_free(k);
        return;
    }
    memcpy(k->out, head, (size_t)n);
    if (len > 0) {
        memcpy(k->out + n, body, len);
    }
    k->out_len = (size_t)n + len;
    k->out_sent = 0;
    k->handed = false;
}

/* A whole request is in k->in: checks the path and hands it to the
 * Engine.IO server, which answers through actions (at once, or later for a
 * held long-polling GET). */
static void handle_request(server *s, conn *k, size_t head_len, size_t body_len, eio_time now)
{
    char *head = k->in;
    head[head_len - 2] = '\0'; /* ends the last header line */
    char method[16], target[2048];
    if (sscanf(head, "%15s %2047s HTTP/1.%*d", method, target) != 2) {
        respond(k, 400, NULL, (const uint8_t *)"bad request", 11);
        return;
    }
    char *query = strchr(target, '?');
    if (query != NULL) {
        *query++ = '\0';
    }
    if (strcmp(target, PATH) != 0) {
        respond(k, 404, NULL, (const uint8_t *)"not found", 9);
        return;
    }
    eio_server_request rq;
    memset(&rq, 0, sizeof rq);
    rq.conn = k->id;
    rq.method = strcmp(method, "GET") == 0      ? EIO_HTTP_GET
                : strcmp(method, "POST") == 0    ? EIO_HTTP_POST
                : strcmp(method, "OPTIONS") == 0 ? EIO_HTTP_OPTIONS
                                                 : EIO_HTTP_OTHER;
    rq.query = query;
    rq.query_len = query != NULL ? strlen(query) : 0;
    rq.body = (const uint8_t *)k->in + head_len + 2;
    rq.body_len = body_len;
    rq.content_length = -1;
    for (char *line = strstr(head, "\r\n"); line != NULL;) {
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
                rq.content_type = value;
            } else if (strcasecmp(line, "upgrade") == 0 && strcasecmp(value, "websocket") == 0) {
                rq.websocket = true;
            }
        }
        line = next;
    }
    k->handed = true;
    if (eio_server_handle_request(s->eio, &rq, now) < 0) {
        respond(k, 500, NULL, NULL, 0);
    }
}

/* Once the request head is complete: its length (up to the blank line,
 * excluded) and Content-Length; 0 while incomplete, -1 if malformed. */
static long head_end(const conn *k, long long *content_length)
{
    for (size_t i = 0; i + 4 <= k->in_len; i++) {
        if (memcmp(k->in + i, "\r\n\r\n", 4) == 0) {
            *content_length = 0;
            for (size_t j = 0; j + 15 < i; j++) {
                if (k->in[j] == '\n' && strncasecmp(k->in + j + 1, "content-length:", 15) == 0) {
                    char *end;
                    *content_length = strtoll(k->in + j + 16, &end, 10);
                    if (*content_length < 0) {
                        return -1;
                    }
                }
            }
            return (long)i + 2; /* keeps the last header line's CRLF */
        }
    }
    return k->in_len > MAX_HEAD ? -1 : 0;
}

static void conn_read(server *s, conn *k, eio_time now)
{
    if (k->in_cap - k->in_len < 4096) {
        size_t cap = k->in_cap ? k->in_cap * 2 : 8192;
        char *p = realloc(k->in, cap + 1);
        if (p == NULL) {
            conn_free(k);
            return;
        }
        k->in = p;
        k->in_cap = cap;
    }
    ssize_t n = recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        /* The client went away. A request already handed over (a held
           GET) must be reported: the session then knows its poll is gone. */
        if (k->handed) {
            eio_server_http_closed(s->eio, k->id, now);
        }
        conn_free(k);
        return;
    }
    if (k->handed || k->out != NULL) {
        return; /* one request per connection: anything more is ignored */
    }
    k->in_len += (size_t)n;
    k->in[k->in_len] = '\0';
    long long content_length = 0;
    long head = head_end(k, &content_length);
    if (head < 0) {
        respond(k, 400, NULL, (const uint8_t *)"bad request", 11);
    } else if (content_length > MAX_BODY) {
        respond(k, 413, NULL, (const uint8_t *)"too large", 9);
    } else if (head > 0 && k->in_len >= (size_t)head + 2 + (size_t)content_length) {
        handle_request(s, k, (size_t)head, (size_t)content_length, now);
    }
}

static void conn_write(conn *k)
{
    ssize_t n = send(k->fd, k->out + k->out_sent, k->out_len - k->out_sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        conn_free(k);
        return;
    }
    k->out_sent += n > 0 ? (size_t)n : 0;
    if (k->out_sent == k->out_len) {
        conn_free(k); /* Connection: close */
    }
}

static void accept_conns(server *s)
{
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            return;
        }
        conn *k = NULL;
        for (size_t i = 0; i < MAX_CONNS && k == NULL; i++) {
            k = s->conns[i].used ? NULL : &s->conns[i];
        }
        if (k == NULL) {
            close(fd); /* over MAX_CONNS */
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        k->used = true;
        k->fd = fd;
        k->id = ++s->next_id;
    }
}

/* ------------------------------------------------------------------------ */
/* The application                                                           */
/* ------------------------------------------------------------------------ */

static void on_sio_event(server *s, const sio_event *e, eio_time now)
{
    switch (e->type) {
    case SIO_EVENT_CONNECT_REQUEST:
        if (e->nsp.len == 1 && e->nsp.ptr[0] == '/') {
            sio_server_accept(s->sio, e->socket, now);
        } else {
            printf("refused namespace %.*s\n", (int)e->nsp.len, (const char *)e->nsp.ptr);
            sio_server_refuse(s->sio, e->socket, "no such namespace", NULL, now);
        }
        break;
    case SIO_EVENT_CONNECT:
        printf("socket %s connected to %.*s\n", sio_server_socket_id(s->sio, e->socket),
               (int)e->nsp.len, (const char *)e->nsp.ptr);
        break;
    case SIO_EVENT_EVENT: {
        const eio_json *name = eio_json_at(e->data, 0);
        if (name->type != EIO_JSON_STRING || name->u.str.len != 4 ||
            memcmp(name->u.str.ptr, "echo", 4) != 0) {
            printf("ignored an event\n");
            break;
        }
        /* The event's own tree may go straight back to the calls that
           send (they release nothing before reading it). */
        if (e->has_id) {
            /* The ack carries the arguments without the event name: a view
               of the array from its second element on. */
            eio_json rest = *e->data;
            rest.u.c.first = e->data->u.c.first->next;
            rest.u.c.last = rest.u.c.first != NULL ? e->data->u.c.last : NULL;
            rest.u.c.count = e->data->u.c.count - 1;
            sio_server_ack(s->sio, e->socket, e->id, &rest, now);
            printf("acked echo %llu\n", (unsigned long long)e->id);
        } else {
            sio_server_emit(s->sio, e->socket, e->data, 0, 0, now);
            printf("echoed an event\n");
        }
        break;
    }
    case SIO_EVENT_DISCONNECT:
        printf("socket disconnected: %s\n", sio_disconnect_reason_name((int)e->reason));
        break;
    default:
        break;
    }
    fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* The glue: Socket.IO server on top of the Engine.IO server                 */
/* ------------------------------------------------------------------------ */

static void on_eio_action(server *s, const eio_server_action *a)
{
    conn *k = find_conn(s, a->conn);
    if (k == NULL) {
        return; /* the client left meanwhile */
    }
    switch (a->type) {
    case EIO_SERVER_HTTP_RESPOND:
        respond(k, a->status, a->content_type, a->body, a->len);
        break;
    case EIO_SERVER_WS_ACCEPT:
    case EIO_SERVER_WS_SEND:
    case EIO_SERVER_WS_CLOSE:
        /* Not produced: allow_websocket is false. */
        conn_free(k);
        break;
    }
}

/* Runs every queue dry; the Socket.IO machine is fed the next Engine.IO
 * event only once its own queues are empty (its unread events may point
 * at state that new input frees). */
static void pump(server *s, eio_time now)
{
    for (;;) {
        sio_action sa;
        sio_event se;
        eio_server_action ea;
        eio_event ee;
        if (sio_server_next_action(s->sio, &sa)) {
            if (sa.type == SIO_ACTION_EIO_SEND) {
                if (eio_server_send(s->eio, sa.session, sa.data, sa.len, sa.binary, now) < 0 &&
                    eio_server_session_state(s->eio, sa.session) < EIO_STATE_CLOSING) {
                    /* A packet with a part missing would corrupt the stream. */
                    eio_server_close_session(s->eio, sa.session, now);
                }
            } else if (sa.type == SIO_ACTION_EIO_CLOSE &&
                       eio_server_session_state(s->eio, sa.session) < EIO_STATE_CLOSING) {
                eio_server_close_session(s->eio, sa.session, now);
            }
            continue;
        }
        if (sio_server_next_event(s->sio, &se)) {
            on_sio_event(s, &se, now);
            continue;
        }
        if (eio_server_next_action(s->eio, &ea)) {
            on_eio_action(s, &ea);
            continue;
        }
        if (!eio_server_next_event(s->eio, &ee)) {
            return;
        }
        switch (ee.type) {
        case EIO_EVENT_OPEN:
            sio_server_eio_open(s->sio, ee.session, ee.version, now);
            break;
        case EIO_EVENT_MESSAGE:
            sio_server_eio_message(s->sio, ee.session, ee.data, ee.len, ee.binary, now);
            break;
        case EIO_EVENT_CLOSE:
            sio_server_eio_close(s->sio, ee.session, ee.reason, now);
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* main                                                                      */
/* ------------------------------------------------------------------------ */

static int listen_on(server *s, uint16_t port)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(s->listen_fd, 64) < 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&sa, &len) < 0) {
        return -1;
    }
    fcntl(s->listen_fd, F_SETFL, fcntl(s->listen_fd, F_GETFL) | O_NONBLOCK);
    return ntohs(sa.sin_port);
}

int main(int argc, char **argv)
{
    long port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = strtol(argv[++i], NULL, 10);
        } else {
            port = -1;
            break;
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "usage: server [--port PORT]\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    FILE *urandom = fopen("/dev/urandom", "rb");
    if (urandom == NULL) {
        perror("server: /dev/urandom");
        return 1;
    }
    server s;
    memset(&s, 0, sizeof s);
    s.listen_fd = -1;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        s.conns[i].fd = -1;
    }

    eio_server_options eo;
    eio_server_options_default(&eo);
    eo.versions = EIO_ACCEPT_V3 | EIO_ACCEPT_V4; /* socket.io 2.x and 3+ clients */
    eo.allow_websocket = false;
    eo.allow_upgrades = false;
    eo.max_payload = MAX_BODY;
    eo.random = random_bytes;
    eo.random_user_data = urandom;

    sio_server_options so;
    sio_server_options_default(&so);
    so.random = random_bytes;
    so.random_user_data = urandom;

    int status = 1;
    int bound = -1;
    if (eio_server_new(&s.eio, &eo, NULL) < 0 || sio_server_new(&s.sio, &so, NULL) < 0) {
        fprintf(stderr, "server: cannot create the session machines\n");
    } else if ((bound = listen_on(&s, (uint16_t)port)) < 0) {
        perror("server: listen");
    } else {
        printf("listening on %d\n", bound);
        fflush(stdout);
        status = 0;
    }

    while (status == 0 && !stop) {
        eio_time now = now_ms();
        eio_time due = eio_server_get_expiry(s.eio);
        eio_time due2 = sio_server_get_expiry(s.sio);
        due = due2 < due ? due2 : due;
        int timeout = due == EIO_TIME_NEVER ? -1 : due > now ? (int)(due - now) : 0;

        struct pollfd fds[MAX_CONNS + 1];
        uint32_t ids[MAX_CONNS + 1];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = s.listen_fd, .events = POLLIN};
        for (size_t i = 0; i < MAX_CONNS; i++) {
            conn *k = &s.conns[i];
            if (k->used) {
                ids[n] = k->id;
                fds[n++] = (struct pollfd){.fd = k->fd,
                                           .events = k->out != NULL ? POLLOUT : POLLIN};
            }
        }
        if (poll(fds, n, timeout) < 0 && errno != EINTR) {
            perror("server: poll");
            status = 1;
            break;
        }
        now = now_ms();
        for (nfds_t i = 1; i < n; i++) {
            conn *k = find_conn(&s, ids[i]); /* may have gone meanwhile */
            if (k == NULL || fds[i].revents == 0) {
                continue;
            }
            if (k->out != NULL) {
                conn_write(k);
            } else {
                conn_read(&s, k, now);
            }
            pump(&s, now);
        }
        if (fds[0].revents & POLLIN) {
            accept_conns(&s);
        }
        eio_server_handle_expiry(s.eio, now);
        sio_server_handle_expiry(s.sio, now);
        pump(&s, now);
    }

    if (s.eio != NULL && s.sio != NULL && status == 0) {
        /* Tell every client: held GETs get their close packet if they can
           take it now; nothing waits for slow ones. */
        eio_time now = now_ms();
        eio_server_shutdown(s.eio, now);
        pump(&s, now);
        for (size_t i = 0; i < MAX_CONNS; i++) {
            if (s.conns[i].used && s.conns[i].out != NULL) {
                conn_write(&s.conns[i]);
            }
        }
        printf("stopped\n");
    }
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (s.conns[i].used) {
            conn_free(&s.conns[i]);
        }
    }
    if (s.listen_fd >= 0) {
        close(s.listen_fd);
    }
    sio_server_free(s.sio);
    eio_server_free(s.eio);
    fclose(urandom);
    return status;
}
