/*
 * fuzz_sio_server.c - drives one sio_server with a script of opcodes: fake
 * Engine.IO events carrying fuzzed message bytes, application calls with
 * small fixed trees, clock steps and draining.
 *
 * Config bit 5 turns connection state recovery on (short duration, few
 * missed packets), and opcode 11 with bit 6 then sends a CONNECT carrying the
 * last pid the server handed out and a small offset, so kept sockets are
 * restored, expire and overflow under the fuzzer too.
 *
 * Invariants checked (abort on violation):
 *   - no event mentions a socket after that socket's DISCONNECT, unless a
 *     RECOVERED event brought it back first;
 *   - every ack id sio_server_emit returned is answered (ACK) or timed
 *     out (ACK_TIMEOUT) exactly once, by the end at the latest (the script
 *     ends by closing every Engine.IO session);
 *   - event trees and action bytes are readable when drained.
 * Leaks and memory errors are the sanitizers' job.
 */
#include "fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"

#define MAX_SOCKETS 64
#define MAX_ACKS 512

typedef struct script {
    const uint8_t *p;
    size_t n;
    uint8_t counter;
    bool gone[4096]; /* by socket handle */
    struct {
        uint32_t socket;
        uint64_t id;
    } acks[MAX_ACKS];
    size_t nacks;
    char pid[32]; /* the last pid seen in a CONNECT answer, "" if none */
} script;

static uint8_t take(script *sc)
{
    if (sc->n == 0) {
        return 0;
    }
    sc->n--;
    return *sc->p++;
}

static int fake_random(uint8_t *buf, size_t len, void *ud)
{
    script *sc = ud;
    for (size_t i = 0; i < len; i++) {
        buf[i] = sc->counter++;
    }
    return 0;
}

static void ack_done(script *sc, uint32_t socket, uint64_t id)
{
    for (size_t i = 0; i < sc->nacks; i++) {
        if (sc->acks[i].socket == socket && sc->acks[i].id == id) {
            sc->acks[i] = sc->acks[--sc->nacks];
            return;
        }
    }
    abort(); /* answered twice, or never asked for */
}

static void drain(sio_server *s, script *sc)
{
    sio_action a;
    static const char key[] = "\"pid\":\"";
    while (sio_server_next_action(s, &a)) {
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < a.len; i++) {
            sink ^= a.data[i];
        }
        (void)sink;
        /* Remember the pid of a CONNECT answer: 0[/nsp,]{"sid":"...","pid":"..."} */
        if (!a.binary && a.len > 0 && a.data[0] == '0') {
            const uint8_t *end = a.data + a.len;
            for (const uint8_t *q = a.data; q + sizeof key - 1 + 20 < end; q++) {
                if (memcmp(q, key, sizeof key - 1) == 0) {
                    memcpy(sc->pid, q + sizeof key - 1, 20);
                    sc->pid[20] = '\0';
                    break;
                }
            }
        }
    }
    sio_event e;
    while (sio_server_next_event(s, &e)) {
        if (e.type == SIO_EVENT_RECOVERED && e.socket < 4096) {
            sc->gone[e.socket] = false; /* the kept socket is back */
        }
        if (e.socket < 4096 && sc->gone[e.socket]) {
            abort();
        }
        if (e.data != NULL) {
            char buf[64];
            (void)eio_json_write(e.data, buf, sizeof buf);
        }
        if (e.nsp.len > 0 && e.nsp.ptr[0] != '/') {
            abort();
        }
        switch (e.type) {
        case SIO_EVENT_ACK:
        case SIO_EVENT_ACK_TIMEOUT:
            ack_done(sc, e.socket, e.id);
            break;
        case SIO_EVENT_DISCONNECT:
            if (e.socket < 4096) {
                sc->gone[e.socket] = true;
            }
            break;
        case SIO_EVENT_RECOVERED:
            break; /* handled before the gone check below */
        case SIO_EVENT_CONNECT:
            if (e.sid == NULL || strlen(e.sid) != 20) {
                abort();
            }
            break;
        default:
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script *sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        return 0;
    }
    sc->p = data;
    sc->n = size;
    uint8_t cfg = take(sc);
    sio_server_options o;
    sio_server_options_default(&o);
    o.random = fake_random;
    o.random_user_data = sc;
    o.auto_accept = (cfg & 1) != 0;
    o.max_sockets = 1 + (cfg >> 1 & 3);
    o.max_pending_acks = 4;
    o.ack_timeout = (cfg & 8) ? 100 : 0;
    o.connect_timeout = 1000;
    if ((cfg & 16) && sio_msgpack_available()) {
        o.parser = SIO_PARSER_MSGPACK;
    }
    if (cfg & 32) {
        o.recovery = true;
        o.max_disconnection_duration = 500;
        o.max_missed_packets = 3;
    }
    sio_server *s = NULL;
    if (sio_server_new(&s, &o, NULL) != 0) {
        free(sc);
        return 0;
    }

    eio_arena arena;
    eio_arena_init(&arena, NULL, 0, 0);
    static const uint8_t bytes[] = {1, 2, 3};
    eio_json *plain = eio_json_new_array(&arena);
    eio_json_append(plain, eio_json_new_string(&arena, "ev", 2));
    eio_json_append(plain, eio_json_new_int(&arena, 1));
    eio_json *withbin = eio_json_new_array(&arena);
    eio_json_append(withbin, eio_json_new_string(&arena, "b", 1));
    eio_json_append(withbin, eio_json_new_binary(&arena, bytes, 3));
    eio_json *obj = eio_json_new_object(&arena);
    eio_json_put(&arena, obj, "k", 1, eio_json_new_null(&arena));

    eio_time now = 0;
    while (sc->n > 0) {
        uint8_t op = take(sc);
        uint32_t session = 1u + (take(sc) & 3u);
        uint32_t socket = take(sc) % MAX_SOCKETS;
        switch (op % 12) {
        case 0:
            (void)sio_server_eio_open(s, session, (op & 0x10) ? EIO_V3 : EIO_V4, now);
            break;
        case 1:
        case 2: {
            size_t len = take(sc);
            if (len > sc->n) {
                len = sc->n;
            }
            (void)sio_server_eio_message(s, session, sc->p, len, op % 12 == 2, now);
            sc->p += len;
            sc->n -= len;
            break;
        }
        case 3:
            (void)sio_server_eio_close(s, session, (eio_close_reason)(op >> 4 & 7), now);
            break;
        case 4:
            (void)sio_server_accept(s, socket, now);
            break;
        case 5:
            (void)sio_server_refuse(s, socket, "no", (op & 0x10) ? obj : NULL, now);
            break;
        case 6: {
            unsigned flags = op >> 4 & 3u;
            int64_t id = sio_server_emit(s, socket, (op & 0x40) ? withbin : plain, flags,
                                         (uint32_t)take(sc) * 10u, now);
            if ((flags & SIO_EMIT_ACK) && id >= 0) {
                if (sc->nacks == MAX_ACKS) {
                    abort();
                }
                sc->acks[sc->nacks].socket = socket;
                sc->acks[sc->nacks].id = (uint64_t)id;
                sc->nacks++;
            }
            break;
        }
        case 7: {
            uint32_t all[MAX_SOCKETS];
            for (uint32_t i = 0; i < MAX_SOCKETS; i++) {
                all[i] = i;
            }
            (void)sio_server_broadcast(s, all, MAX_SOCKETS, (op & 0x10) ? withbin : plain, now);
            break;
        }
        case 8:
            (void)sio_server_ack(s, socket, take(sc), (op & 0x10) ? withbin : NULL, now);
            break;
        case 9:
            (void)sio_server_disconnect(s, socket, (op & 0x10) != 0, now);
            break;
        case 10:
            now += (eio_time)take(sc) * 10u;
            (void)sio_server_handle_expiry(s, now);
            break;
        default:
            if ((op & 0x40) && sc->pid[0] != '\0' && o.parser == SIO_PARSER_JSON) {
                char msg[96];
                int len = snprintf(msg, sizeof msg, "0{\"pid\":\"%s\",\"offset\":\"%u\"}",
                                   sc->pid, (unsigned)(take(sc) % 8));
                if (len > 0 && (size_t)len < sizeof msg) {
                    (void)sio_server_eio_message(s, session, (const uint8_t *)msg, (size_t)len,
                                                 false, now);
                }
            } else {
                drain(s, sc);
            }
            break;
        }
        if (op & 0x80) {
            drain(s, sc);
        }
        if (sio_server_get_expiry(s) < now && (op & 0x20)) {
            (void)sio_server_handle_expiry(s, now);
        }
    }
    /* Close everything: every ack must then be settled. */
    drain(s, sc);
    for (uint32_t i = 1; i <= 4; i++) {
        (void)sio_server_eio_close(s, i, EIO_CLOSE_TRANSPORT_CLOSE, now);
        drain(s, sc);
    }
    if (sc->nacks != 0) {
        abort();
    }
    sio_server_free(s);
    eio_arena_destroy(&arena);
    free(sc);
    return 0;
}
