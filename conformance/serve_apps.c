/*
 * serve_apps.c - the applications of `sioc serve`:
 *
 *   test-suite  what the servers of the official protocol test suites do:
 *               an Engine.IO echo server on /engine.io/, and on the
 *               Socket.IO path namespaces "/" and "/custom" that emit
 *               "auth" on connect, answer "message" with "message-back"
 *               and ack "message-with-ack"; other namespaces are refused
 *               with "Invalid namespace". Hooks for what the official
 *               suites leave untested (the conformance scenarios use them):
 *               "emit-with-ack" is emitted back with an ack id and the
 *               client's ack is emitted as "emit-with-ack"; "server-disconnect"
 *               makes the server send DISCONNECT; a CONNECT whose auth has
 *               "refuse": true is refused with "Not authorized".
 *   chat        every namespace accepted; rooms (join, leave, rooms),
 *               messages to the namespace or a room, echo, acks both ways
 *               (docs/serve.md lists the events).
 */
#include <stdlib.h>
#include <string.h>

#include "serve_glue.h"

const char *const serve_app_names[] = {"chat", "test-suite", NULL};

/* Chat limits. */
#define CHAT_MAX_ROOM_NAME 128u    /* bytes of a room name */
#define CHAT_MAX_ROOMS 64u         /* rooms one socket may be in */
#define CHAT_PING_TIMEOUT 10000u   /* ms the client has to answer "server-ping" */

typedef enum app_kind { APP_CHAT = 0, APP_TEST_SUITE = 1 } app_kind;

typedef struct chat_sock {
    uint32_t socket;
    char *nsp;
    size_t nsp_len;
    char **rooms;
    size_t nrooms;
    bool v5;            /* over Engine.IO 4: may be kept for recovery */
    bool kept;          /* disconnected, may come back through recovery */
    eio_time kept_until;
} chat_sock;

struct serve_app {
    app_kind kind;
    eio_arena arena;     /* trees built for one call, reset before each event */
    serve_glue *sio;
    serve_glue *eio;     /* test-suite: the Engine.IO echo path */
    /* chat */
    chat_sock **socks;
    size_t nsocks, capsocks;
    uint32_t *targets;
    size_t captargets;
    bool recovery;
    uint32_t keep_ms;
};

/* ------------------------------------------------------------------------ */
/* Trees                                                                     */
/* ------------------------------------------------------------------------ */

static eio_json *copy_json(eio_arena *a, const eio_json *v)
{
    eio_json *r = NULL;
    switch (v->type) {
    case EIO_JSON_NULL:
        return eio_json_new_null(a);
    case EIO_JSON_BOOL:
        return eio_json_new_bool(a, v->u.b);
    case EIO_JSON_INT:
        return eio_json_new_int(a, v->u.i);
    case EIO_JSON_DOUBLE:
        return eio_json_new_double(a, v->u.d);
    case EIO_JSON_STRING:
        return eio_json_new_string(a, v->u.str.ptr, v->u.str.len);
    case EIO_JSON_UNDEFINED:
        return eio_json_new_undefined(a);
    case EIO_JSON_BINARY: {
        uint8_t *p = eio_arena_alloc(a, v->u.str.len ? v->u.str.len : 1);
        if (p == NULL) {
            return NULL;
        }
        if (v->u.str.len) {
            memcpy(p, v->u.str.ptr, v->u.str.len);
        }
        return eio_json_new_binary(a, p, v->u.str.len);
    }
    case EIO_JSON_ARRAY:
        r = eio_json_new_array(a);
        for (const eio_json *c = v->u.c.first; r && c; c = c->next) {
            eio_json *x = copy_json(a, c);
            if (x == NULL || eio_json_append(r, x) != 0) {
                return NULL;
            }
        }
        return r;
    case EIO_JSON_OBJECT:
        r = eio_json_new_object(a);
        for (const eio_json *c = v->u.c.first; r && c; c = c->next) {
            eio_json *x = copy_json(a, c);
            if (x == NULL || eio_json_put(a, r, c->key, c->key_len, x) != 0) {
                return NULL;
            }
        }
        return r;
    default:
        return NULL;
    }
}

/* [name, args[from]...] sharing the argument nodes of `data` (the encoder
 * only reads them, at call time). `name` NULL: the arguments alone. */
static eio_json *args_from(eio_arena *a, const eio_json *data, size_t from, const char *name)
{
    eio_json *arr = eio_json_new_array(a);
    if (arr == NULL) {
        return NULL;
    }
    eio_json *rest = data ? data->u.c.first : NULL;
    size_t n = data ? data->u.c.count : 0;
    for (size_t i = 0; i < from && rest; i++) {
        rest = rest->next;
        n--;
    }
    if (name != NULL) {
        eio_json *s = eio_json_new_string(a, name, strlen(name));
        if (s == NULL) {
            return NULL;
        }
        s->next = rest;
        arr->u.c.first = s;
        arr->u.c.last = rest ? data->u.c.last : s;
        arr->u.c.count = n + 1;
    } else if (rest != NULL) {
        arr->u.c.first = rest;
        arr->u.c.last = data->u.c.last;
        arr->u.c.count = n;
    }
    return arr;
}

static bool name_is(const eio_json *data, const char *name)
{
    const eio_json *n = data ? data->u.c.first : NULL;
    size_t len = strlen(name);
    return n && n->type == EIO_JSON_STRING && n->u.str.len == len &&
           memcmp(n->u.str.ptr, name, len) == 0;
}

static void log_refusal(serve_glue *g, const sio_event *e, const char *why)
{
    sioc_jbuf *b = serve_log_begin(g, "sio_refused");
    if (b) {
        serve_log_str(b, "nsp", (const char *)e->nsp.ptr, e->nsp.len);
        serve_log_str(b, "message", why, strlen(why));
        serve_log_end(g);
    }
}

static void log_failure(serve_glue *g, const char *what, int rc)
{
    sioc_jbuf *b = serve_log_begin(g, "app_error");
    if (b) {
        serve_log_str(b, "what", what, strlen(what));
        const char *name = eio_error_name(rc);
        serve_log_str(b, "error", name, strlen(name));
        serve_log_end(g);
    }
}

/* ------------------------------------------------------------------------ */
/* test-suite                                                                */
/* ------------------------------------------------------------------------ */

static bool nsp_is(eio_slice nsp, const char *s)
{
    size_t n = strlen(s);
    return nsp.len == n && memcmp(nsp.ptr, s, n) == 0;
}

static void ts_sio_event(serve_glue *g, const sio_event *e, void *ud)
{
    serve_app *app = ud;
    sio_server *ss = serve_glue_sio(g);
    eio_time now = serve_glue_now(g);
    eio_arena_reset(&app->arena);
    switch (e->type) {
    case SIO_EVENT_CONNECT_REQUEST: {
        if (!nsp_is(e->nsp, "/") && !nsp_is(e->nsp, "/custom")) {
            log_refusal(g, e, "Invalid namespace");
            sio_server_refuse(ss, e->socket, "Invalid namespace", NULL, now);
            return;
        }
        const eio_json *refuse = e->data != NULL && e->data->type == EIO_JSON_OBJECT
                                     ? eio_json_get(e->data, "refuse", 6)
                                     : NULL;
        if (refuse != NULL && refuse->type == EIO_JSON_BOOL && refuse->u.b) {
            log_refusal(g, e, "Not authorized");
            sio_server_refuse(ss, e->socket, "Not authorized", NULL, now);
            return;
        }
        /* The auth tree is only valid until the next call: copy it first.
           The reference's handshake.auth is {} when none was sent. */
        eio_json *auth = e->data ? copy_json(&app->arena, e->data)
                                 : eio_json_new_object(&app->arena);
        eio_json *args = eio_json_new_array(&app->arena);
        eio_json *name = eio_json_new_string(&app->arena, "auth", 4);
        int rc = sio_server_accept(ss, e->socket, now);
        if (rc != 0) {
            log_failure(g, "accept", rc);
            return;
        }
        if (auth == NULL || args == NULL || name == NULL || eio_json_append(args, name) != 0 ||
            eio_json_append(args, auth) != 0) {
            log_failure(g, "auth", EIO_ERR_NOMEM);
            return;
        }
        int64_t r = sio_server_emit(ss, e->socket, args, 0, 0, now);
        if (r < 0) {
            log_failure(g, "emit auth", (int)r);
        }
        return;
    }
    case SIO_EVENT_EVENT:
        if (name_is(e->data, "message")) {
            eio_json *args = args_from(&app->arena, e->data, 1, "message-back");
            int64_t r = args ? sio_server_emit(ss, e->socket, args, 0, 0, now) : EIO_ERR_NOMEM;
            if (r < 0) {
                log_failure(g, "emit message-back", (int)r);
            }
        } else if (name_is(e->data, "message-with-ack") && e->has_id) {
            eio_json *args = args_from(&app->arena, e->data, 1, NULL);
            int r = args ? sio_server_ack(ss, e->socket, e->id, args, now) : EIO_ERR_NOMEM;
            if (r < 0) {
                log_failure(g, "ack message-with-ack", r);
            }
        } else if (name_is(e->data, "emit-with-ack")) {
            eio_json *args = args_from(&app->arena, e->data, 1, "emit-with-ack");
            int64_t r = args ? sio_server_emit(ss, e->socket, args, SIO_EMIT_ACK, 0, now)
                             : EIO_ERR_NOMEM;
            if (r < 0) {
                log_failure(g, "emit emit-with-ack", (int)r);
            }
        } else if (name_is(e->data, "server-disconnect")) {
            int r = sio_server_disconnect(ss, e->socket, false, now);
            if (r < 0) {
                log_failure(g, "server-disconnect", r);
            }
        }
        return;
    case SIO_EVENT_ACK: {
        /* Only "emit-with-ack" asks for acks here: the answer goes back. */
        eio_json *args = args_from(&app->arena, e->data, 0, "emit-with-ack");
        int64_t r = args ? sio_server_emit(ss, e->socket, args, 0, 0, now) : EIO_ERR_NOMEM;
        if (r < 0) {
            log_failure(g, "emit emit-with-ack answer", (int)r);
        }
        return;
    }
    default:
        return;
    }
}

static void ts_eio_event(serve_glue *g, const eio_event *e, void *ud)
{
    serve_app *app = ud;
    if (e->type != EIO_EVENT_MESSAGE) {
        return;
    }
    /* The event's data lives in the machine, which may reclaim it as soon
       as it is called again, eio_server_send included: copy it first. */
    eio_arena_reset(&app->arena);
    uint8_t *copy = eio_arena_alloc(&app->arena, e->len ? e->len : 1);
    if (copy == NULL) {
        log_failure(g, "echo", EIO_ERR_NOMEM);
        return;
    }
    if (e->len) {
        memcpy(copy, e->data, e->len);
    }
    int rc = eio_server_send(serve_glue_eio(g), e->session, copy, e->len, e->binary,
                             serve_glue_now(g));
    if (rc != 0) {
        log_failure(g, "echo", rc);
    }
}

/* ------------------------------------------------------------------------ */
/* chat                                                                      */
/* ------------------------------------------------------------------------ */

static void chat_sock_free(chat_sock *cs)
{
    for (size_t i = 0; i < cs->nrooms; i++) {
        free(cs->rooms[i]);
    }
    free(cs->rooms);
    free(cs->nsp);
    free(cs);
}

static size_t chat_find(const serve_app *app, uint32_t socket)
{
    for (size_t i = 0; i < app->nsocks; i++) {
        if (app->socks[i]->socket == socket) {
            return i;
        }
    }
    return SIZE_MAX;
}

static void chat_remove(serve_app *app, size_t i)
{
    chat_sock_free(app->socks[i]);
    app->socks[i] = app->socks[--app->nsocks];
}

/* Forgets kept sockets the machine no longer keeps. */
static void chat_purge(serve_app *app, eio_time now)
{
    for (size_t i = 0; i < app->nsocks;) {
        if (app->socks[i]->kept && app->socks[i]->kept_until <= now) {
            chat_remove(app, i);
        } else {
            i++;
        }
    }
}

static chat_sock *chat_add(serve_app *app, serve_glue *g, const sio_event *e)
{
    if (app->nsocks == app->capsocks) {
        size_t ncap = app->capsocks ? app->capsocks * 2 : 16;
        chat_sock **n = realloc(app->socks, ncap * sizeof(*n));
        if (n == NULL) {
            return NULL;
        }
        app->socks = n;
        app->capsocks = ncap;
    }
    chat_sock *cs = calloc(1, sizeof(*cs));
    if (cs == NULL) {
        return NULL;
    }
    cs->socket = e->socket;
    cs->v5 = eio_server_session_version(serve_glue_eio(g), e->session) == EIO_V4;
    cs->nsp = malloc(e->nsp.len + 1);
    if (cs->nsp == NULL) {
        free(cs);
        return NULL;
    }
    memcpy(cs->nsp, e->nsp.ptr, e->nsp.len);
    cs->nsp[e->nsp.len] = '\0';
    cs->nsp_len = e->nsp.len;
    app->socks[app->nsocks++] = cs;
    return cs;
}

static size_t room_index(const chat_sock *cs, const char *room, size_t len)
{
    for (size_t i = 0; i < cs->nrooms; i++) {
        if (strlen(cs->rooms[i]) == len && memcmp(cs->rooms[i], room, len) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* The socket's rooms as an array, in the order joined. */
static eio_json *rooms_of(eio_arena *a, const chat_sock *cs)
{
    eio_json *arr = eio_json_new_array(a);
    for (size_t i = 0; arr && cs && i < cs->nrooms; i++) {
        eio_json *s = eio_json_new_string(a, cs->rooms[i], strlen(cs->rooms[i]));
        if (s == NULL || eio_json_append(arr, s) != 0) {
            return NULL;
        }
    }
    return arr;
}

/* [{"error":msg}] */
static eio_json *error_args(eio_arena *a, const char *msg)
{
    eio_json *arr = eio_json_new_array(a);
    eio_json *obj = eio_json_new_object(a);
    eio_json *s = eio_json_new_string(a, msg, strlen(msg));
    if (!arr || !obj || !s || eio_json_put(a, obj, "error", 5, s) != 0 ||
        eio_json_append(arr, obj) != 0) {
        return NULL;
    }
    return arr;
}

/* [value] */
static eio_json *one_arg(eio_arena *a, eio_json *v)
{
    eio_json *arr = eio_json_new_array(a);
    if (!arr || !v || eio_json_append(arr, v) != 0) {
        return NULL;
    }
    return arr;
}

static const eio_json *arg_at(const eio_json *data, size_t i)
{
    return data ? eio_json_at(data, i) : NULL;
}

/* join / leave: returns NULL (success) or what went wrong. */
static const char *chat_room_op(chat_sock *cs, const eio_json *room, bool join)
{
    if (room == NULL || room->type != EIO_JSON_STRING || room->u.str.len == 0) {
        return "the room must be a non-empty string";
    }
    if (room->u.str.len > CHAT_MAX_ROOM_NAME || memchr(room->u.str.ptr, 0, room->u.str.len)) {
        return "the room name is too long (at most 128 bytes) or holds NUL";
    }
    size_t i = room_index(cs, room->u.str.ptr, room->u.str.len);
    if (!join) {
        if (i != SIZE_MAX) {
            free(cs->rooms[i]);
            memmove(&cs->rooms[i], &cs->rooms[i + 1], (cs->nrooms - i - 1) * sizeof(char *));
            cs->nrooms--;
        }
        return NULL;
    }
    if (i != SIZE_MAX) {
        return NULL;
    }
    if (cs->nrooms >= CHAT_MAX_ROOMS) {
        return "too many rooms (at most 64 per socket)";
    }
    char **n = realloc(cs->rooms, (cs->nrooms + 1) * sizeof(char *));
    if (n == NULL) {
        return "out of memory";
    }
    cs->rooms = n;
    char *copy = malloc(room->u.str.len + 1);
    if (copy == NULL) {
        return "out of memory";
    }
    memcpy(copy, room->u.str.ptr, room->u.str.len);
    copy[room->u.str.len] = '\0';
    cs->rooms[cs->nrooms++] = copy;
    return NULL;
}

/* Emits `args` to the namespace's other sockets, or those in `room`. */
static int64_t chat_broadcast(serve_app *app, serve_glue *g, const chat_sock *from,
                              const eio_json *room, const eio_json *args)
{
    size_t n = 0;
    if (app->captargets < app->nsocks) {
        uint32_t *t = realloc(app->targets, app->nsocks * sizeof(*t));
        if (t == NULL) {
            return EIO_ERR_NOMEM;
        }
        app->targets = t;
        app->captargets = app->nsocks;
    }
    for (size_t i = 0; i < app->nsocks; i++) {
        const chat_sock *cs = app->socks[i];
        if (cs == from || cs->nsp_len != from->nsp_len ||
            memcmp(cs->nsp, from->nsp, from->nsp_len) != 0) {
            continue;
        }
        if (room != NULL && room_index(cs, room->u.str.ptr, room->u.str.len) == SIZE_MAX) {
            continue;
        }
        app->targets[n++] = cs->socket;
    }
    if (n == 0) {
        return 0;
    }
    return sio_server_broadcast(serve_glue_sio(g), app->targets, n, args, serve_glue_now(g));
}

static void chat_answer(serve_glue *g, const sio_event *e, eio_json *args)
{
    if (!e->has_id) {
        return;
    }
    int rc = args ? sio_server_ack(serve_glue_sio(g), e->socket, e->id, args, serve_glue_now(g))
                  : EIO_ERR_NOMEM;
    if (rc != 0) {
        log_failure(g, "ack", rc);
    }
}

static void chat_event(serve_app *app, serve_glue *g, const sio_event *e)
{
    sio_server *ss = serve_glue_sio(g);
    eio_time now = serve_glue_now(g);
    eio_arena *a = &app->arena;
    size_t i = chat_find(app, e->socket);
    chat_sock *cs = i == SIZE_MAX ? NULL : app->socks[i];
    const eio_json *data = e->data;
    if (cs == NULL) {
        return; /* not followed (no memory at connect) */
    }
    if (name_is(data, "join") || name_is(data, "leave")) {
        const char *err = chat_room_op(cs, arg_at(data, 1), name_is(data, "join"));
        chat_answer(g, e, err ? error_args(a, err) : one_arg(a, rooms_of(a, cs)));
    } else if (name_is(data, "rooms")) {
        eio_json *rooms = rooms_of(a, cs);
        if (e->has_id) {
            chat_answer(g, e, one_arg(a, rooms));
        } else {
            eio_json *args = eio_json_new_array(a);
            eio_json *name = eio_json_new_string(a, "rooms", 5);
            if (args && name && rooms && eio_json_append(args, name) == 0 &&
                eio_json_append(args, rooms) == 0) {
                int64_t r = sio_server_emit(ss, e->socket, args, 0, 0, now);
                if (r < 0) {
                    log_failure(g, "emit rooms", (int)r);
                }
            }
        }
    } else if (name_is(data, "message") || name_is(data, "room-message")) {
        bool to_room = name_is(data, "room-message");
        const eio_json *room = to_room ? arg_at(data, 1) : NULL;
        if (to_room && (room == NULL || room->type != EIO_JSON_STRING)) {
            chat_answer(g, e, error_args(a, "the room must be a string"));
            return;
        }
        eio_json *args = args_from(a, data, to_room ? 2 : 1, "message");
        int64_t n = args ? chat_broadcast(app, g, cs, room, args) : EIO_ERR_NOMEM;
        if (n < 0) {
            log_failure(g, "broadcast", (int)n);
            chat_answer(g, e, error_args(a, eio_error_name((int)n)));
        } else {
            chat_answer(g, e, one_arg(a, eio_json_new_int(a, n)));
        }
    } else if (name_is(data, "echo")) {
        eio_json *args = args_from(a, data, 1, "echo");
        int64_t r = args ? sio_server_emit(ss, e->socket, args, 0, 0, now) : EIO_ERR_NOMEM;
        if (r < 0) {
            log_failure(g, "emit echo", (int)r);
        }
        chat_answer(g, e, args_from(a, data, 1, NULL));
    } else if (name_is(data, "ping-me")) {
        eio_json *args = args_from(a, data, 1, "server-ping");
        int64_t r = args ? sio_server_emit(ss, e->socket, args, SIO_EMIT_ACK, CHAT_PING_TIMEOUT,
                                           now)
                         : EIO_ERR_NOMEM;
        if (r < 0) {
            log_failure(g, "emit server-ping", (int)r);
        }
        chat_answer(g, e, eio_json_new_array(a));
    } else {
        /* Any other event: its ack, if asked for, carries the arguments back. */
        chat_answer(g, e, args_from(a, data, 1, NULL));
    }
}

static void chat_sio_event(serve_glue *g, const sio_event *e, void *ud)
{
    serve_app *app = ud;
    sio_server *ss = serve_glue_sio(g);
    eio_time now = serve_glue_now(g);
    eio_arena_reset(&app->arena);
    switch (e->type) {
    case SIO_EVENT_CONNECT_REQUEST: {
        int rc = sio_server_accept(ss, e->socket, now);
        if (rc != 0) {
            log_failure(g, "accept", rc);
        }
        return;
    }
    case SIO_EVENT_RECOVERED: {
        size_t i = chat_find(app, e->socket);
        if (i != SIZE_MAX) {
            app->socks[i]->kept = false; /* its rooms come back with it */
        }
        return;
    }
    case SIO_EVENT_CONNECT:
        chat_purge(app, now);
        if (chat_find(app, e->socket) == SIZE_MAX && chat_add(app, g, e) == NULL) {
            log_failure(g, "follow socket", EIO_ERR_NOMEM);
        }
        return;
    case SIO_EVENT_DISCONNECT: {
        size_t i = chat_find(app, e->socket);
        if (i == SIZE_MAX) {
            return;
        }
        bool lost = e->reason == SIO_DISCONNECT_TRANSPORT_CLOSE ||
                    e->reason == SIO_DISCONNECT_TRANSPORT_ERROR ||
                    e->reason == SIO_DISCONNECT_PING_TIMEOUT;
        if (app->recovery && lost && app->socks[i]->v5) {
            /* The machine keeps it for recovery; broadcasts to its rooms are
               recorded for it meanwhile. */
            app->socks[i]->kept = true;
            app->socks[i]->kept_until = now + app->keep_ms;
        } else {
            chat_remove(app, i);
        }
        return;
    }
    case SIO_EVENT_EVENT:
        chat_event(app, g, e);
        return;
    case SIO_EVENT_ACK:
        /* The client's answer to "server-ping": sent back so the client
           sees what the server got (the log has it too). */
        {
            eio_json *args = args_from(&app->arena, e->data, 0, "server-ping-answer");
            int64_t r = args ? sio_server_emit(ss, e->socket, args, 0, 0, now) : EIO_ERR_NOMEM;
            if (r < 0) {
                log_failure(g, "emit server-ping-answer", (int)r);
            }
        }
        return;
    default:
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */
/* ------------------------------------------------------------------------ */

int serve_app_new(const char *name, serve_host *h, const serve_app_config *c,
                  serve_app **out)
{
    *out = NULL;
    app_kind kind;
    if (strcmp(name, "chat") == 0) {
        kind = APP_CHAT;
    } else if (strcmp(name, "test-suite") == 0) {
        kind = APP_TEST_SUITE;
    } else {
        return NET_ERR_INVALID;
    }
    serve_app *app = calloc(1, sizeof(*app));
    if (app == NULL) {
        return NET_ERR_NOMEM;
    }
    app->kind = kind;
    app->recovery = c->sio.recovery;
    app->keep_ms = c->sio.max_disconnection_duration ? c->sio.max_disconnection_duration
                                                     : 120000u;
    eio_arena_init(&app->arena, NULL, 0, 0);

    serve_glue_options go;
    memset(&go, 0, sizeof(go));
    go.path = c->sio_path;
    go.eio = c->eio;
    go.socketio = true;
    go.sio = c->sio;
    go.app.on_sio_event = kind == APP_CHAT ? chat_sio_event : ts_sio_event;
    go.app.ud = app;
    int rc = serve_host_add(h, &go, &app->sio);
    if (rc == 0 && kind == APP_TEST_SUITE) {
        memset(&go, 0, sizeof(go));
        go.path = "/engine.io/";
        go.eio = c->eio;
        go.socketio = false;
        go.app.on_eio_event = ts_eio_event;
        go.app.ud = app;
        rc = serve_host_add(h, &go, &app->eio);
    }
    if (rc != 0) {
        serve_app_free(app);
        return rc;
    }
    *out = app;
    return 0;
}

bool serve_app_has_engineio(const serve_app *a)
{
    return a->kind == APP_TEST_SUITE;
}

void serve_app_free(serve_app *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->nsocks; i++) {
        chat_sock_free(a->socks[i]);
    }
    free(a->socks);
    free(a->targets);
    eio_arena_destroy(&a->arena);
    free(a);
}
