/*
 * consumer.c - a program built against an installed sioc: checks that the
 * headers and the library loaded agree on the version, encodes a Socket.IO
 * event and decodes it back, and creates and frees a client machine.
 * Prints "ok VERSION" and exits 0, or prints what failed and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include <sioc/sioc.h>

int main(void)
{
    if (strcmp(eio_version_string(), SIOC_VERSION) != 0 ||
        eio_version_number() != SIOC_VERSION_NUM) {
        printf("headers %s, library %s\n", SIOC_VERSION, eio_version_string());
        return 1;
    }

    /* Build ["chat", "hi"], encode it as a Socket.IO v5 EVENT on /room. */
    uint8_t store[512];
    eio_arena arena;
    eio_arena_init_fixed(&arena, store, sizeof store);
    eio_json *args = eio_json_new_array(&arena);
    eio_json_append(args, eio_json_new_string(&arena, "chat", 4));
    eio_json_append(args, eio_json_new_string(&arena, "hi", 2));
    sio_packet p;
    memset(&p, 0, sizeof p);
    p.type = SIO_PACKET_EVENT;
    p.nsp.ptr = (const uint8_t *)"/room";
    p.nsp.len = 5;
    p.data = args;
    uint8_t out[64];
    size_t len = 0;
    int rc = sio_packet_encode(SIO_V5, &p, out, sizeof out, &len);
    const char *want = "2/room,[\"chat\",\"hi\"]";
    if (rc != 0 || len != strlen(want) || memcmp(out, want, len) != 0) {
        printf("encode: %s\n", rc != 0 ? eio_strerror(rc) : "unexpected bytes");
        return 1;
    }

    /* Route it with the zero-copy header. */
    sio_header h;
    eio_errinfo err;
    rc = sio_header_decode(SIO_V5, out, len, NULL, &h, &err);
    if (rc != 0 || h.event_kind != SIO_EVENT_STRING || h.event.len != 4) {
        printf("header: %s\n", rc != 0 ? err.msg : "unexpected header");
        return 1;
    }

    /* A client machine: created, asked to connect, freed. */
    sio_client_options o;
    sio_client_options_default(&o);
    o.reconnection = false; /* with it, a random source is required */
    sio_client *c = NULL;
    if (sio_client_new(&c, &o, NULL) != 0 || sio_client_connect(c, "/", NULL, 0) <= 0) {
        printf("client: cannot connect\n");
        sio_client_free(c);
        return 1;
    }
    sio_action a;
    int got = sio_client_next_action(c, &a);
    sio_client_free(c);
    if (got != 1 || a.type != SIO_ACTION_EIO_OPEN) {
        printf("client: no EIO_OPEN action\n");
        return 1;
    }
    printf("ok %s\n", eio_version_string());
    return 0;
}
