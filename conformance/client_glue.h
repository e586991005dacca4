/*
 * client_glue.h - a Socket.IO client on the real network: one sio_client,
 * the eio_client sessions it asks for, and net.h's HTTP and WebSocket
 * client underneath.
 *
 * The glue follows the layering of tests/session_net.c (see
 * docs/sio-session.md, "The glue"):
 *
 *   SIO_ACTION_EIO_OPEN   -> a new eio_client (Engine.IO v4 for Socket.IO v5,
 *                            v3 for v4) and eio_client_open
 *   SIO_ACTION_EIO_SEND   -> eio_client_send (a refusal on an open session
 *                            closes it: a packet without some of its
 *                            attachments would corrupt the stream)
 *   SIO_ACTION_EIO_CLOSE  -> eio_client_close
 *   EIO_CLIENT_HTTP_REQUEST -> net_http_start; the response or the failure
 *                            goes back with eio_client_http_response/_failed
 *   EIO_CLIENT_HTTP_ABORT -> net_http_abort
 *   EIO_CLIENT_WS_OPEN    -> net_ws_open; open, frames and close go back
 *   EIO_CLIENT_WS_SEND    -> net_ws_send
 *   EIO_CLIENT_WS_CLOSE   -> net_ws_close
 *   eio OPEN / MESSAGE    -> sio_client_eio_open / sio_client_eio_message
 *                            (the current session only)
 *   eio CLOSE             -> sio_client_eio_close, once per session
 *
 * One net timer carries the earliest deadline of every machine. A Socket.IO
 * machine is never fed Engine.IO events while its own queues are being
 * drained; those events wait in the Engine.IO machine until the Socket.IO
 * drain has emptied its queues. Sessions that ended and are no longer the
 * current one are freed (their connections closed) once no drain runs.
 *
 * Events go to the callbacks given; a callback may call the sio_client
 * (emit, ack, connect, disconnect, close): the glue drains it when the
 * callback returns. After calling the sio_client from anywhere else, call
 * sioc_client_glue_drain. Never free the glue from a callback.
 */
#ifndef SIOC_CLIENT_GLUE_H
#define SIOC_CLIENT_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"
#include "sioc/eio_session.h"
#include "sioc/sio_session.h"

typedef struct sioc_client_glue sioc_client_glue;

/** A Socket.IO event (valid during the call only, as the machine's events). */
typedef void (*sioc_client_glue_event_fn)(sioc_client_glue *g, const sio_event *e, void *ud);

/**
 * An Engine.IO event of interest to a log: OPEN (the current session's
 * handshake), UPGRADE, UPGRADE_FAILED and CLOSE (every session's, old ones
 * included). MESSAGE, PING and PONG are not passed on.
 */
typedef void (*sioc_client_glue_eio_fn)(sioc_client_glue *g, const eio_event *e, void *ud);

typedef struct sioc_client_glue_options {
    /** Scheme and authority of the server, "http://host:port" or "https://host:port",
        without a path: the machines' targets are appended to it. Copied. */
    const char *base_url;
    /** Socket.IO options. `random` NULL: the glue's (getrandom). */
    sio_client_options sio;
    /** Engine.IO options for every session; `version` is set from sio.version.
        The strings (path, query, extra_headers) are copied. */
    eio_client_options eio;
    sioc_client_glue_event_fn on_event;
    sioc_client_glue_eio_fn on_eio_event; /**< or NULL */
    void *ud;
} sioc_client_glue_options;

/**
 * Creates the glue and its sio_client on loop `l`. Nothing is sent before
 * the first sio_client_connect. Returns 0, EIO_ERR_INVALID_ARGUMENT (a
 * missing base_url or on_event, options the machines refuse, such as
 * header lines that are not "Name: value\r\n") or EIO_ERR_NOMEM.
 */
int sioc_client_glue_new(sioc_client_glue **out, net_loop *l, const sioc_client_glue_options *o);

/** Frees every machine and closes every connection (no callbacks). */
void sioc_client_glue_free(sioc_client_glue *g);

/** The Socket.IO machine: call it, then sioc_client_glue_drain. */
sio_client *sioc_client_glue_sio(sioc_client_glue *g);

/** Carries out what calls into the sio_client produced and rearms the timer. */
void sioc_client_glue_drain(sioc_client_glue *g);

/** The current Engine.IO session, or NULL. */
eio_client *sioc_client_glue_eio(sioc_client_glue *g);

/** Engine.IO sessions not yet closed (current and ending ones). */
size_t sioc_client_glue_live_sessions(const sioc_client_glue *g);

/**
 * No session is live and no request of an ended session is still in flight
 * (the POST carrying a close packet is let finish after its session
 * ended): the network may be torn down without cutting anything short.
 */
bool sioc_client_glue_idle(const sioc_client_glue *g);

/**
 * The first unexpected failure of a machine (a return code the glue cannot
 * act on, e.g. EIO_ERR_NOMEM from sio_client_eio_message), or 0. The glue
 * keeps running; the caller decides whether to stop.
 */
int sioc_client_glue_error(const sioc_client_glue *g);

#endif /* SIOC_CLIENT_GLUE_H */
