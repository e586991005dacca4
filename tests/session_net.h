/*
 * An in-memory network that runs whole Socket.IO connections: sio_client +
 * eio_client pairs on one side, one eio_server + sio_server on the other,
 * and the glue that stacks the Socket.IO machines on the Engine.IO ones.
 *
 * The glue is the part an application copies (session_net.c, "Glue"):
 *
 *   client: SIO_ACTION_EIO_OPEN  -> a new eio_client (EIO v4 for Socket.IO
 *                                   v5, v3 for v4) and eio_client_open
 *           SIO_ACTION_EIO_SEND  -> eio_client_send
 *           SIO_ACTION_EIO_CLOSE -> eio_client_close
 *           EIO_EVENT_OPEN       -> sio_client_eio_open
 *           EIO_EVENT_MESSAGE    -> sio_client_eio_message
 *           EIO_EVENT_CLOSE      -> sio_client_eio_close (once per session)
 *   server: EIO_EVENT_OPEN       -> sio_server_eio_open
 *           EIO_EVENT_MESSAGE    -> sio_server_eio_message
 *           EIO_EVENT_CLOSE      -> sio_server_eio_close
 *           SIO_ACTION_EIO_SEND  -> eio_server_send
 *           SIO_ACTION_EIO_CLOSE -> eio_server_close_session
 *
 * Every machine is drained right after each call into it, with one rule:
 * a Socket.IO machine is never fed Engine.IO events while its own queues
 * are being drained further up the stack (its unread events may point at
 * state the new input would free); those events wait in the Engine.IO
 * machine until the Socket.IO drain has emptied its queues. Socket.IO
 * events go to the callbacks in snet_options; a callback may call the
 * Socket.IO machines (accept, emit, ack ...): the network drains them when
 * it returns. After calling a machine from outside a callback, call
 * snet_client_drain / snet_server_drain.
 *
 * Below the Engine.IO machines a router carries HTTP requests, responses,
 * WebSocket handshakes and frames as in tests/test_eio_loop.c: each HTTP
 * request and each WebSocket is a link with one FIFO per direction;
 * deliveries of different links may be taken in any order, those of one
 * link never; a link can be dropped (both ends are told). The clock is
 * fake: it moves only through snet_advance / snet_jump, and every
 * deadline of every machine fires when it falls due.
 *
 * Any unexpected return code of a machine aborts the program with a
 * message (the test treats that as a failure).
 */
#ifndef SIOC_TESTS_SESSION_NET_H
#define SIOC_TESTS_SESSION_NET_H

#include <stddef.h>
#include <stdint.h>

#include "sioc/eio_session.h"
#include "sioc/sio_session.h"

typedef struct snet snet;

typedef void (*snet_server_event_fn)(snet *n, const sio_event *e, void *ud);
typedef void (*snet_client_event_fn)(snet *n, int client, const sio_event *e, void *ud);

typedef struct snet_stats {
    unsigned long deliveries;      /* router deliveries */
    unsigned long eio_c2s, eio_s2c;/* Engine.IO messages handed to the Socket.IO machines */
    unsigned long eio_opens;       /* client sessions opened */
    unsigned long upgrades, upgrade_failed; /* client side */
    unsigned long client_closes[8], server_closes[8]; /* by eio_close_reason */
    unsigned long drops;           /* links dropped */
    unsigned long send_refused;    /* EIO_SEND for a session already closing */
    unsigned long send_failed;     /* EIO_SEND refused on an open session (it is closed) */
} snet_stats;

typedef struct snet_options {
    const eio_mem *mem;          /* every machine allocates through it; NULL: libc */
    uint64_t seed;               /* session ids, socket ids, link order */
    eio_server_options eio;      /* random source set by the network */
    sio_server_options sio;      /* random source set by the network */
    eio_time latency;            /* snet_advance: 0 = deliveries wait for snet_pump */
    snet_server_event_fn on_server_event;
    void *server_ud;
    snet_client_event_fn on_client_event;
    void *client_ud;
} snet_options;

/* Defaults: v3 and v4 accepted, ping 25 s / 20 s, auto_accept off, latency 0. */
void snet_options_default(snet_options *o);

/* Returns 0 or the error of a machine's creation. */
int snet_new(snet **out, const snet_options *o);
/* Frees every machine and everything in flight. */
void snet_free(snet *n);

/*
 * Adds a client: a sio_client with `so` (its version picks the Engine.IO
 * version) whose Engine.IO sessions use `eo` (NULL: defaults; version is
 * set from `so`). Returns the client index (>= 0) or an error.
 */
int snet_add_client(snet *n, const sio_client_options *so, const eio_client_options *eo);

sio_client *snet_client(snet *n, int client);
/* The client's current Engine.IO session, or NULL. */
eio_client *snet_eio_client(snet *n, int client);
sio_server *snet_server(snet *n);
eio_server *snet_eio_server(snet *n);
eio_time snet_now(const snet *n);
const snet_stats *snet_get_stats(const snet *n);
/* Engine.IO client sessions not yet closed (current and retiring), all clients. */
size_t snet_live_eio_clients(const snet *n);

/* Routes what the application's own calls into a machine produced
   (snet_server_drain: the eio_server's and the sio_server's). */
void snet_client_drain(snet *n, int client);
void snet_server_drain(snet *n);

/* Deliveries waiting in the network. */
size_t snet_pending(const snet *n);
/* Indexes of the deliveries at the head of their link (may be taken now). */
size_t snet_eligible(snet *n, size_t *out, size_t cap);
/* Performs delivery `i` (an index from snet_eligible, or 0: the oldest). */
void snet_deliver(snet *n, size_t i);
/* Delivers everything, oldest first, the clock standing still. */
void snet_pump(snet *n);
/* Time passes with the network working (deliveries after `latency`). */
void snet_advance(snet *n, eio_time ms);
/* The clock jumps with nothing delivered meanwhile. */
void snet_jump(snet *n, eio_time ms);
/* Fires every deadline due now. */
void snet_expire(snet *n);
/* Drops a live link chosen by `pick` (both ends hear of it). Returns 1 if one was dropped. */
int snet_drop_link(snet *n, uint64_t pick);

#endif
