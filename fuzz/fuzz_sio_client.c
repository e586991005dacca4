/*
 * fuzz_sio_client.c - drives one Socket.IO client machine with a sequence
 * of opcodes: application calls with small fixed trees, fake Engine.IO
 * events with fuzzed message bytes, clock steps and draining.
 *
 * Invariants checked (abort on violation), besides no crash and no leak:
 *   - once a socket is gone for good (by our call, or by an event that is
 *     final for it), no event mentions it and calls on it are refused;
 *   - every ack id handed out is answered (ACK) or timed out
 *     (ACK_TIMEOUT) exactly once, and all are settled after close.
 *
 * Input: byte 0 = options, then opcodes (see the switch below).
 */
#include "fuzz_target.h"

#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"

#define MAX_HANDLES 64
#define MAX_ACKS 256

typedef struct model {
    bool reconnection;
    uint32_t handles; /* handles given so far: 1..handles */
    bool dead[MAX_HANDLES + 1];
    struct {
        uint32_t socket;
        uint64_t id;
    } acks[MAX_ACKS];
    size_t nacks;
    bool acks_overflow; /* too many to track: stop checking acks */
} model;

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t take(input *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static double fuzz_random(void *ud)
{
    input *in = ud;
    return (double)take(in) / 256.0;
}

static void ack_add(model *m, uint32_t socket, uint64_t id)
{
    for (size_t i = 0; i < m->nacks; i++) {
        if (m->acks[i].socket == socket && m->acks[i].id == id) {
            abort(); /* an id handed out twice */
        }
    }
    if (m->nacks == MAX_ACKS) {
        m->acks_overflow = true;
        return;
    }
    m->acks[m->nacks].socket = socket;
    m->acks[m->nacks].id = id;
    m->nacks++;
}

static void ack_settle(model *m, uint32_t socket, uint64_t id)
{
    for (size_t i = 0; i < m->nacks; i++) {
        if (m->acks[i].socket == socket && m->acks[i].id == id) {
            m->acks[i] = m->acks[--m->nacks];
            return;
        }
    }
    if (!m->acks_overflow) {
        abort(); /* answered twice, or never asked */
    }
}

static void kill(model *m, uint32_t h)
{
    if (h >= 1 && h <= MAX_HANDLES) {
        m->dead[h] = true;
    }
}

static void drain(sio_client *c, model *m)
{
    sio_action a;
    while (sio_client_next_action(c, &a) == 1) {
        if (a.type == SIO_ACTION_EIO_SEND && a.data == NULL) {
            abort();
        }
        if (a.len > 0) { /* the bytes must be readable */
            volatile uint8_t x = a.data[0];
            x = a.data[a.len - 1];
            (void)x;
        }
    }
    sio_event e;
    while (sio_client_next_event(c, &e) == 1) {
        if (e.socket != 0) {
            if (e.socket > m->handles) {
                abort();
            }
            if (e.socket <= MAX_HANDLES && m->dead[e.socket]) {
                abort(); /* mentioned after its end */
            }
        }
        if (e.data != NULL) {
            (void)eio_json_write(e.data, NULL, 0);
        }
        switch (e.type) {
        case SIO_EVENT_ACK:
        case SIO_EVENT_ACK_TIMEOUT: ack_settle(m, e.socket, e.id); break;
        case SIO_EVENT_DISCONNECT:
            /* a connection loss is final only without reconnection */
            if (e.reason == SIO_DISCONNECT_CLIENT || e.reason == SIO_DISCONNECT_SERVER ||
                !m->reconnection) {
                kill(m, e.socket);
            }
            break;
        case SIO_EVENT_CONNECT_ERROR:
            if (e.reason != SIO_DISCONNECT_NONE ? !m->reconnection
                                                : (e.data != NULL && e.data->type != EIO_JSON_STRING)) {
                kill(m, e.socket);
            }
            break;
        case SIO_EVENT_CONNECT:
            if (e.sid == NULL) {
                abort();
            }
            break;
        case SIO_EVENT_RECONNECT_FAILED:
            for (uint32_t h = 1; h <= m->handles && h <= MAX_HANDLES; h++) {
                m->dead[h] = true;
            }
            break;
        default: break;
        }
    }
}

static const char *const canned[] = {
    "0{\"sid\":\"s\",\"pid\":\"p\"}", "0/a,{\"sid\":\"t\"}", "0", "0/a,", "2[\"e\",\"o\"]",
    "21[\"e\"]", "30[]", "31[\"x\"]", "1", "1/a,", "4{\"message\":\"no\"}", "4/a,\"no\"",
    "51-[\"f\",{\"_placeholder\":true,\"num\":0}]", "61-/a,0[{\"_placeholder\":true,\"num\":0}]",
    "3/a,1[]", "0/c,{\"sid\":\"u\"}", "2/c,5[\"q\"]",
};

static const char *const namespaces[] = {"/", "/a", "/b?x=1", "/c", "bad", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, size};
    uint8_t flags = take(&in);
    sio_client_options o;
    sio_client_options_default(&o);
    o.version = (flags & 1) ? SIO_V4 : SIO_V5;
    if ((flags & 2) && o.version == SIO_V5 && sio_msgpack_available()) {
        o.parser = SIO_PARSER_MSGPACK;
    }
    o.reconnection = (flags & 4) != 0;
    o.reconnection_attempts = (flags >> 3) & 3;
    o.ack_timeout = (flags & 32) ? 50 : 0;
    o.open_timeout = (flags & 64) ? 0 : 300;
    o.max_buffered = (flags & 128) ? 64 : 100000;
    o.max_pending_acks = 16;
    o.reconnection_delay = 100;
    o.reconnection_delay_max = 1000;
    o.random = fuzz_random;
    o.random_user_data = &in;

    sio_client *c = NULL;
    if (sio_client_new(&c, &o, NULL) != 0) {
        return 0;
    }
    model m;
    memset(&m, 0, sizeof m);
    m.reconnection = o.reconnection;

    eio_arena arena;
    eio_arena_init(&arena, NULL, 0, 0);
    static const uint8_t bytes[] = {1, 2, 3};
    eio_json *args[4];
    args[0] = eio_json_new_array(&arena);
    (void)eio_json_append(args[0], eio_json_new_string(&arena, "a", 1));
    args[1] = eio_json_new_array(&arena);
    (void)eio_json_append(args[1], eio_json_new_string(&arena, "b", 1));
    (void)eio_json_append(args[1], eio_json_new_binary(&arena, bytes, 3));
    (void)eio_json_append(args[1], eio_json_new_int(&arena, 7));
    args[2] = eio_json_new_array(&arena); /* empty: invalid as an event */
    args[3] = NULL;
    eio_json *auth = eio_json_new_object(&arena);
    (void)eio_json_put(&arena, auth, "t", 1, eio_json_new_string(&arena, "x", 1));

    eio_time now = 1000;
    uint8_t msg[512];
    while (in.n > 0) {
        uint8_t op = take(&in);
        uint32_t h = (uint32_t)(take(&in) % 8);
        switch (op % 12) {
        case 0: {
            /* a RECONNECT_FAILED still queued ends only the sockets before it */
            drain(c, &m);
            int64_t r = sio_client_connect(c, namespaces[h % 6], (op & 0x10) ? auth : NULL, now);
            if (r > 0) {
                if ((uint64_t)r != (uint64_t)m.handles + 1) {
                    abort(); /* handles count from 1 and are never reused */
                }
                m.handles = (uint32_t)r;
            }
            break;
        }
        case 1: {
            unsigned fl = (op >> 4) & 3;
            int64_t r = sio_client_emit(c, h, args[(op >> 6) & 3], fl, (op & 0x40) ? 20 : 0, now);
            if (h >= 1 && h <= MAX_HANDLES && m.dead[h] && r != EIO_ERR_INVALID_ARGUMENT) {
                abort();
            }
            if (r >= 0 && (fl & SIO_EMIT_ACK)) {
                ack_add(&m, h, (uint64_t)r);
            }
            break;
        }
        case 2: (void)sio_client_ack(c, h, take(&in), args[(op >> 4) & 3], now); break;
        case 3:
            drain(c, &m); /* events queued before the call may mention it */
            if (sio_client_disconnect(c, h, now) == 0) {
                drain(c, &m); /* its own last events */
                kill(&m, h);
            }
            break;
        case 4:
            drain(c, &m);
            if (sio_client_close(c, now) == 0) {
                drain(c, &m);
                for (uint32_t k = 1; k <= m.handles && k <= MAX_HANDLES; k++) {
                    m.dead[k] = true;
                }
            }
            break;
        case 5: (void)sio_client_eio_open(c, now); break;
        case 6: {
            size_t k = (h + 8u * ((op >> 4) & 3u)) % (sizeof canned / sizeof canned[0]);
            const char *t = canned[k];
            (void)sio_client_eio_message(c, (const uint8_t *)t, strlen(t), false, now);
            break;
        }
        case 7:
        case 8: {
            size_t len = take(&in);
            if (len > in.n) {
                len = in.n;
            }
            memcpy(msg, in.p, len);
            in.p += len;
            in.n -= len;
            (void)sio_client_eio_message(c, msg, len, op % 12 == 8, now);
            break;
        }
        case 9: (void)sio_client_eio_close(c, (eio_close_reason)(h % 8), now); break;
        case 10: {
            eio_time exp = sio_client_get_expiry(c);
            if ((op & 0x10) && exp != EIO_TIME_NEVER && exp > now) {
                now = exp; /* jump to the deadline exactly */
            } else {
                now += (eio_time)take(&in) * 10u;
            }
            (void)sio_client_handle_expiry(c, now);
            break;
        }
        default: break; /* 11: just drain */
        }
        if ((op & 0x80) == 0) {
            drain(c, &m);
        }
    }
    drain(c, &m);
    /* closing settles every ack */
    if (sio_client_close(c, now) == 0) {
        drain(c, &m);
        if (m.nacks != 0 && !m.acks_overflow) {
            abort();
        }
    }
    sio_client_free(c);
    eio_arena_destroy(&arena);
    return 0;
}
