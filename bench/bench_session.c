/*
 * Socket.IO session benchmark: events routed through the whole stack in
 * memory (sio_client -> eio_client -> router -> eio_server -> sio_server and
 * back), with the in-memory network of tests/session_net.c. Each operation
 * is one event (or one round trip with its ack) carried to the other side,
 * over WebSocket (after the upgrade) or over polling. Prints
 * `bench<TAB>case<TAB>sioc<TAB>ops/s<TAB>MB/s` lines (MB/s counts the
 * application data: the event's name and arguments as JSON, attachments
 * included). There is no JavaScript counterpart: no ratio is computed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "session_net.h"

static struct {
    snet *n;
    int ci;
    uint32_t csock;      /* the client's socket */
    uint32_t ssock;      /* the server's socket for it */
    unsigned long server_events, client_events, acks;
    eio_arena arena;
    eio_json *small;     /* ["msg","hello",42,{"a":true}] */
    eio_json *bin;       /* ["bin",<1 KB>] */
    uint8_t blob[1024];
} g;

static void on_server(snet *n, const sio_event *e, void *ud)
{
    (void)ud;
    if (e->type == SIO_EVENT_CONNECT) {
        g.ssock = e->socket;
    } else if (e->type == SIO_EVENT_EVENT) {
        g.server_events++;
        if (e->has_id) {
            sio_server_ack(snet_server(n), e->socket, e->id, NULL, snet_now(n));
        }
    } else if (e->type == SIO_EVENT_ACK) {
        g.acks++;
    }
}

static void on_client(snet *n, int ci, const sio_event *e, void *ud)
{
    (void)ud;
    if (e->type == SIO_EVENT_EVENT) {
        g.client_events++;
        if (e->has_id) {
            sio_client_ack(snet_client(n, ci), e->socket, e->id, NULL, snet_now(n));
        }
    } else if (e->type == SIO_EVENT_ACK) {
        g.acks++;
    }
}

static void setup(bool websocket)
{
    snet_options o;
    snet_options_default(&o);
    o.sio.auto_accept = true;
    o.on_server_event = on_server;
    o.on_client_event = on_client;
    if (snet_new(&g.n, &o) != 0) {
        fprintf(stderr, "bench_session: snet_new failed\n");
        exit(1);
    }
    sio_client_options so;
    sio_client_options_default(&so);
    so.reconnection = false;
    eio_client_options eo;
    eio_client_options_default(&eo);
    eo.upgrade = websocket;
    g.ci = snet_add_client(g.n, &so, &eo);
    int64_t h = sio_client_connect(snet_client(g.n, g.ci), "/", NULL, snet_now(g.n));
    if (g.ci < 0 || h <= 0) {
        fprintf(stderr, "bench_session: connect failed\n");
        exit(1);
    }
    g.csock = (uint32_t)h;
    g.ssock = 0;
    snet_client_drain(g.n, g.ci);
    snet_pump(g.n);
    eio_client *ec = snet_eio_client(g.n, g.ci);
    eio_transport want = websocket ? EIO_TRANSPORT_WEBSOCKET : EIO_TRANSPORT_POLLING;
    if (g.ssock == 0 || !sio_client_connected(snet_client(g.n, g.ci), g.csock) || ec == NULL ||
        eio_client_transport(ec) != want) {
        fprintf(stderr, "bench_session: the connection did not come up as expected\n");
        exit(1);
    }
}

static void teardown(void)
{
    snet_free(g.n);
    g.n = NULL;
}

static int client_emit(eio_json *ev, unsigned flags)
{
    unsigned long before = g.server_events;
    if (sio_client_emit(snet_client(g.n, g.ci), g.csock, ev, flags, 0, snet_now(g.n)) < 0) {
        return -1;
    }
    snet_client_drain(g.n, g.ci);
    snet_pump(g.n);
    return g.server_events == before + 1 ? 0 : -1;
}

static int server_emit(eio_json *ev, unsigned flags)
{
    unsigned long before = g.client_events;
    if (sio_server_emit(snet_server(g.n), g.ssock, ev, flags, 0, snet_now(g.n)) < 0) {
        return -1;
    }
    snet_server_drain(g.n);
    snet_pump(g.n);
    return g.client_events == before + 1 ? 0 : -1;
}

static int c2s_small(void *arg)
{
    (void)arg;
    return client_emit(g.small, 0);
}

static int s2c_small(void *arg)
{
    (void)arg;
    return server_emit(g.small, 0);
}

static int c2s_ack(void *arg)
{
    (void)arg;
    unsigned long acks = g.acks;
    int rc = client_emit(g.small, SIO_EMIT_ACK);
    return rc == 0 && g.acks == acks + 1 ? 0 : -1;
}

static int s2c_ack(void *arg)
{
    (void)arg;
    unsigned long acks = g.acks;
    int rc = server_emit(g.small, SIO_EMIT_ACK);
    return rc == 0 && g.acks == acks + 1 ? 0 : -1;
}

static int c2s_binary(void *arg)
{
    (void)arg;
    return client_emit(g.bin, 0);
}

static int s2c_binary(void *arg)
{
    (void)arg;
    return server_emit(g.bin, 0);
}

static void build_trees(void)
{
    eio_arena_init(&g.arena, NULL, 0, 0);
    for (size_t i = 0; i < sizeof(g.blob); i++) {
        g.blob[i] = (uint8_t)(i * 7 + 3);
    }
    g.small = eio_json_new_array(&g.arena);
    eio_json_append(g.small, eio_json_new_string(&g.arena, "msg", 3));
    eio_json_append(g.small, eio_json_new_string(&g.arena, "hello", 5));
    eio_json_append(g.small, eio_json_new_int(&g.arena, 42));
    eio_json *obj = eio_json_new_object(&g.arena);
    eio_json_put(&g.arena, obj, "a", 1, eio_json_new_bool(&g.arena, true));
    eio_json_append(g.small, obj);
    g.bin = eio_json_new_array(&g.arena);
    eio_json_append(g.bin, eio_json_new_string(&g.arena, "bin", 3));
    eio_json_append(g.bin, eio_json_new_binary(&g.arena, g.blob, sizeof(g.blob)));
}

int main(void)
{
    build_trees();
    double secs = bench_seconds();
    /* application bytes per operation: the arguments as JSON, plus the attachment */
    size_t small_bytes = eio_json_write(g.small, NULL, 0);
    size_t bin_bytes = eio_json_write(g.bin, NULL, 0) + sizeof(g.blob);
    static const struct {
        const char *name;
        int (*fn)(void *);
        bool binary;
    } cases[] = {
        {"c2s_small", c2s_small, false},   {"s2c_small", s2c_small, false},
        {"c2s_ack_roundtrip", c2s_ack, false}, {"s2c_ack_roundtrip", s2c_ack, false},
        {"c2s_binary_1k", c2s_binary, true}, {"s2c_binary_1k", s2c_binary, true},
    };
    for (int ws = 1; ws >= 0; ws--) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
            char name[96];
            snprintf(name, sizeof(name), "session_%s_%s", cases[i].name,
                     ws ? "websocket" : "polling");
            setup(ws != 0);
            bench_run(name, "sioc", cases[i].binary ? bin_bytes : small_bytes, secs, 3,
                      cases[i].fn, NULL);
            teardown();
        }
    }
    eio_arena_destroy(&g.arena);
    return 0;
}
