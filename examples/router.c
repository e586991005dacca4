/*
 * router.c - tutorial step 1 (docs/tutorial.md): dispatch Socket.IO packets
 * by namespace and event name with the zero-copy header decoder, and build
 * a value tree only for the routes that need their arguments.
 *
 * Usage: router [--v4] < packets
 *
 * Reads one Socket.IO packet per line (the data of an Engine.IO message,
 * e.g. 2/chat,["message","hi"]) and prints one line per packet saying what
 * was done with it. --v4 reads Socket.IO protocol v4 (socket.io 2.x)
 * instead of v5. Exits 0 at end of input, 1 if a line could not be read.
 */
/* POSIX.1-2008 (getline, sockets, clock_gettime) for a plain -std=c11 build. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sioc/sioc.h>

/* ------------------------------------------------------------------------ */
/* Handlers                                                                  */
/* ------------------------------------------------------------------------ */

/* What a handler gets: the header always; the whole packet only when its
 * route asked for it (`full` is then non-NULL). */
typedef void (*handler_fn)(const sio_header *h, const sio_packet *full);

static void print_slice(eio_slice s)
{
    fwrite(s.ptr, 1, s.len, stdout);
}

/* ("/", "ping"): answered from the header alone; the payload is never parsed. */
static void on_ping(const sio_header *h, const sio_packet *full)
{
    (void)full;
    if (h->has_id) {
        printf("ping: would ack id %llu with [\"pong\"]\n", (unsigned long long)h->id);
    } else {
        printf("ping: no ack requested\n");
    }
}

/* ("/chat", "message"): needs the text argument, so the route asks for the
 * whole packet. data is ["message", <text>, ...]. */
static void on_chat_message(const sio_header *h, const sio_packet *full)
{
    (void)h;
    const eio_json *text = eio_json_at(full->data, 1);
    if (text == NULL || text->type != EIO_JSON_STRING) {
        printf("chat message: first argument is not a string\n");
        return;
    }
    printf("chat message: \"%.*s\"\n", (int)text->u.str.len, text->u.str.ptr);
}

/* ("/admin", any event): only counts and logs the raw payload text. */
static void on_admin_any(const sio_header *h, const sio_packet *full)
{
    (void)full;
    printf("admin event, payload ");
    print_slice(h->payload);
    printf("\n");
}

/* ------------------------------------------------------------------------ */
/* The routing table                                                         */
/* ------------------------------------------------------------------------ */

typedef struct route {
    const char *nsp;
    const char *event; /* NULL: any event of the namespace */
    bool needs_args;   /* decode the whole packet before calling the handler */
    handler_fn fn;
} route;

static const route routes[] = {
    {"/", "ping", false, on_ping},
    {"/chat", "message", true, on_chat_message},
    {"/admin", NULL, false, on_admin_any},
};

static bool slice_is(eio_slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && memcmp(s.ptr, str, n) == 0;
}

/* The event name as plain bytes. SIO_EVENT_STRING names are in the header;
 * names written with escapes (e.g. "\u006dessage") are only known once the
 * packet is decoded, so `full` is decoded on demand for them. Numbers never
 * match a route here. */
static bool event_name(const sio_header *h, const sio_packet *full, eio_slice *name)
{
    if (h->event_kind == SIO_EVENT_STRING) {
        *name = h->event;
        return true;
    }
    if (h->event_kind == SIO_EVENT_ESCAPED && full != NULL) {
        const eio_json *first = eio_json_at(full->data, 0);
        name->ptr = (const uint8_t *)first->u.str.ptr;
        name->len = first->u.str.len;
        return true;
    }
    return false;
}

static const route *find_route(const sio_header *h, eio_slice name)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *r = &routes[i];
        if (slice_is(h->nsp, r->nsp) && (r->event == NULL || slice_is(name, r->event))) {
            return r;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* One packet                                                                */
/* ------------------------------------------------------------------------ */

static void route_packet(sio_version v, const uint8_t *data, size_t len, eio_arena *arena)
{
    sio_header h;
    eio_errinfo err;
    int rc = sio_header_decode(v, data, len, NULL, &h, &err);
    if (rc < 0) {
        /* A peer that sends this is broken: a server closes the connection. */
        printf("invalid packet: %s at byte %zu: %s\n", eio_error_name(rc), err.offset, err.msg);
        return;
    }
    if (h.type != SIO_PACKET_EVENT) {
        /* CONNECT, DISCONNECT, ACK...: the session machines handle these;
           BINARY_EVENT waits for its attachments (sio_decoder). */
        printf("not routed: %s on ", sio_packet_type_name((int)h.type));
        print_slice(h.nsp);
        printf("\n");
        return;
    }

    /* Escaped names need the whole packet to be compared. */
    sio_packet full;
    bool decoded = false;
    if (h.event_kind == SIO_EVENT_ESCAPED) {
        rc = sio_packet_decode(v, data, len, NULL, arena, &full, &err);
        if (rc < 0) {
            printf("invalid packet: %s at byte %zu: %s\n", eio_error_name(rc), err.offset,
                   err.msg);
            eio_arena_reset(arena);
            return;
        }
        decoded = true;
    }
    eio_slice name = {NULL, 0};
    const route *r = event_name(&h, decoded ? &full : NULL, &name) ? find_route(&h, name) : NULL;
    if (r == NULL) {
        printf("no route for ");
        print_slice(h.nsp);
        printf(" ");
        if (name.ptr != NULL) {
            print_slice(name);
        } else {
            print_slice(h.event); /* a number */
        }
        printf("\n");
        eio_arena_reset(arena);
        return;
    }
    if (r->needs_args && !decoded) {
        /* The header did not look at the arguments: the full decode checks
           the whole payload before the handler trusts it. */
        rc = sio_packet_decode(v, data, len, NULL, arena, &full, &err);
        if (rc < 0) {
            printf("invalid packet: %s at byte %zu: %s\n", eio_error_name(rc), err.offset,
                   err.msg);
            eio_arena_reset(arena);
            return;
        }
        decoded = true;
    }
    r->fn(&h, decoded ? &full : NULL);
    /* The tree is not needed any more: one arena serves every packet. */
    eio_arena_reset(arena);
}

int main(int argc, char **argv)
{
    sio_version v = SIO_V5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--v4") == 0) {
            v = SIO_V4;
        } else {
            fprintf(stderr, "usage: router [--v4] < packets\n");
            return 2;
        }
    }

    /* Trees of at most 1 MiB per packet; blocks come from libc. */
    eio_arena arena;
    eio_arena_init(&arena, NULL, 0, (size_t)1 << 20);

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n') {
            len--;
        }
        route_packet(v, (const uint8_t *)line, len, &arena);
    }
    int status = ferror(stdin) ? 1 : 0;
    free(line);
    eio_arena_destroy(&arena);
    return status;
}
