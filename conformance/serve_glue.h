/*
 * serve_glue.h - `sioc serve` on a real network: the glue between the HTTP
 * and WebSocket server of net.h and the session machines of libsioc, and
 * the applications that run on top of it.
 *
 * A serve_host is one listening socket (net_server) with a table of paths.
 * Each path is one serve_glue: an eio_server alone (a bare Engine.IO
 * server) or an eio_server with a sio_server stacked on it. Requests for
 * other paths are answered 404.
 *
 *   net request (headers)  -> eio_server_handle_request (body_follows when a
 *                             body is coming), net on_body ->
 *                             eio_server_request_body, client gone ->
 *                             eio_server_http_closed
 *   net WebSocket upgrade  -> eio_server_handle_request (websocket), answered
 *                             before the net callback returns
 *   net WebSocket frames   -> eio_server_ws_message / eio_server_ws_closed
 *   eio actions            -> net_server_respond, net_server_ws_accept,
 *                             net_ws_send, net_ws_close
 *   eio events             -> sio_server_eio_open / _message / _close, or the
 *                             application (bare Engine.IO)
 *   sio actions            -> eio_server_send / eio_server_close_session
 *   sio events             -> the application
 *   both machines' expiry  -> one net timer per path, re-armed after every
 *                             drain
 *
 * Drain rule (as tests/session_net.h): a Socket.IO machine is never fed
 * Engine.IO events while its own queues are being drained further up the
 * stack; those events wait in the eio_server until the sio drain is done.
 * Application callbacks may call the machines of their glue (accept, emit,
 * ack, eio_server_send ...): the glue drains them when the callback
 * returns. Outside a callback, call serve_glue_drain after calling a
 * machine.
 *
 * Connection ids: net handles are 64-bit, the machines' connection ids
 * 32-bit; the glue numbers connections itself (from 1, never reused while
 * the host lives) and keeps both in one table.
 *
 * Limits: a WebSocket whose unsent bytes (net_ws_buffered) pass the path's
 * eio max_buffered is closed, as the machine closes a session whose own
 * queue overflows; request bodies over max_payload are refused (413) by
 * the machine when their Content-Length says so, else by the network
 * layer (its max_body).
 */
#ifndef SIOC_SERVE_GLUE_H
#define SIOC_SERVE_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"
#include "sioc/eio_session.h"
#include "sioc/json.h"
#include "sioc/sio_session.h"
#include "sioc_jsonl.h"

typedef struct serve_host serve_host;
typedef struct serve_glue serve_glue;

/** What an application hears from one path. */
typedef struct serve_glue_app {
    /**
     * Socket.IO events (paths with a Socket.IO layer). The event and its
     * trees are valid during the call only. The callback may call the
     * sio_server of serve_glue_sio(g).
     */
    void (*on_sio_event)(serve_glue *g, const sio_event *e, void *ud);
    /**
     * Engine.IO events (bare paths): OPEN, MESSAGE, UPGRADE, CLOSE ... The
     * callback may call the eio_server of serve_glue_eio(g) (send, close).
     */
    void (*on_eio_event)(serve_glue *g, const eio_event *e, void *ud);
    void *ud;
} serve_glue_app;

/** One path. */
typedef struct serve_glue_options {
    const char *path;       /**< e.g. "/socket.io/" (copied); requests for it with or
                                 without the trailing slash are taken */
    eio_server_options eio; /**< the random source is set by the glue (getrandom) */
    bool socketio;          /**< stack a sio_server on the eio_server */
    sio_server_options sio; /**< with socketio; the random source is set by the glue */
    serve_glue_app app;
} serve_glue_options;

/** The listening side. */
typedef struct serve_host_options {
    net_server_options net; /**< host, port, TLS; max_body and max_message are set from
                                 the paths' max_payload when zero */
    FILE *log;              /**< JSON lines of session events, or NULL for none */
} serve_host_options;

/**
 * Starts listening. Returns 0, or NET_ERR_IO (bind failed, bad
 * certificate) / NET_ERR_NOMEM with nothing left allocated.
 */
int serve_host_new(net_loop *l, const serve_host_options *o, serve_host **out);

/**
 * Adds a path (before or while serving). Returns 0, NET_ERR_INVALID (the
 * path does not start with '/', is taken already, or a machine refused
 * its options) or NET_ERR_NOMEM.
 */
int serve_host_add(serve_host *h, const serve_glue_options *o, serve_glue **out);

/** The port bound. */
uint16_t serve_host_port(const serve_host *h);

/** Ends every session of every path (eio_server_shutdown) and carries out what follows. */
void serve_host_shutdown(serve_host *h);

/** Whether requests are still unanswered or WebSockets still open (after a shutdown). */
bool serve_host_busy(const serve_host *h);

/** Stops listening and frees every path, machine and connection. */
void serve_host_free(serve_host *h);

/* Path accessors, for applications. */
eio_server *serve_glue_eio(serve_glue *g);
sio_server *serve_glue_sio(serve_glue *g); /**< NULL for a bare path */
const char *serve_glue_path(const serve_glue *g);
/** The current time for the machines' `now` (the loop's clock). */
eio_time serve_glue_now(const serve_glue *g);
/** Carries out what calls into the machines made outside a callback produced. */
void serve_glue_drain(serve_glue *g);
/** The Engine.IO sid of a live session of this path, or NULL. */
const char *serve_glue_session_sid(const serve_glue *g, uint32_t session);

/*
 * Log lines: {"t":MS,"event":"NAME",...}, MS counted from the host's
 * start. serve_log_begin returns NULL when logging is off; otherwise the
 * caller appends members (each starting with ',') with the sioc_jbuf
 * functions and ends the line with serve_log_end.
 */
sioc_jbuf *serve_log_begin(serve_glue *g, const char *event);
void serve_log_end(serve_glue *g);
/** Appends `,"key":` then `v` as JSON (binary as {"$binary":"<base64>"}). */
void serve_log_json(sioc_jbuf *b, const char *key, const eio_json *v);
/** Appends `,"key":"text"`. */
void serve_log_str(sioc_jbuf *b, const char *key, const char *text, size_t len);
/** Appends `,"key":N`. */
void serve_log_uint(sioc_jbuf *b, const char *key, uint64_t v);

/* ------------------------------------------------------------------------ */
/* Applications (serve_apps.c)                                               */
/* ------------------------------------------------------------------------ */

typedef struct serve_app serve_app;

/** What the host and paths are set up with. */
typedef struct serve_app_config {
    const char *sio_path;    /**< the Socket.IO path, e.g. "/socket.io/" */
    eio_server_options eio;  /**< for every path */
    sio_server_options sio;  /**< for the Socket.IO path */
} serve_app_config;

/** The applications' names, for --help: "chat", "test-suite". */
extern const char *const serve_app_names[];

/**
 * Creates application `name` and adds its paths to `h`: "chat" the
 * Socket.IO path; "test-suite" the Socket.IO path and a bare Engine.IO
 * echo server on /engine.io/. Returns 0, NET_ERR_INVALID (unknown name, or
 * serve_host_add refused) or NET_ERR_NOMEM.
 */
int serve_app_new(const char *name, serve_host *h, const serve_app_config *c,
                  serve_app **out);

/** Whether the application serves a bare Engine.IO path at /engine.io/. */
bool serve_app_has_engineio(const serve_app *a);

/** Frees the application's own state (the paths belong to the host). */
void serve_app_free(serve_app *a);

#endif /* SIOC_SERVE_GLUE_H */
