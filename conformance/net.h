/*
 * net.h - the network layer of the sioc command line: one event loop with
 * HTTP/1.1 and WebSocket (RFC 6455), client and server, plain and TLS,
 * built on libwebsockets (see docs/dependencies.md). It is never linked into
 * libsioc.
 *
 * It only moves bytes: HTTP requests and responses, WebSocket frames,
 * timers, readable file descriptors. It knows nothing of Engine.IO or
 * Socket.IO; `sioc serve`, `sioc connect` and `sioc conform` put the
 * protocol on top (the session machines of libsioc, or the harness's
 * scripted steps).
 *
 * Threading: none. Every callback runs from inside net_run_once() on the
 * thread that called it. Callbacks may call any net_* function except
 * net_run_once / net_loop_free. Handles (uint64_t ids) are never reused
 * within one loop; a function given a handle that is gone does nothing and
 * returns NET_ERR_GONE.
 *
 * Buffers: every pointer passed to a callback is valid only during that
 * callback. Every buffer passed to a net_* function is copied before it
 * returns.
 */
#ifndef SIOC_NET_H
#define SIOC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Milliseconds on a monotonic clock (CLOCK_MONOTONIC). */
typedef uint64_t net_time;
#define NET_TIME_NEVER UINT64_MAX

/** Return codes (0 = success). */
#define NET_OK 0
#define NET_ERR_INVALID (-1)  /**< bad argument (URL, header lines, state) */
#define NET_ERR_NOMEM (-2)
#define NET_ERR_GONE (-3)     /**< the handle is closed or unknown */
#define NET_ERR_IO (-4)       /**< the library or the OS refused (bind, TLS setup ...) */

typedef struct net_loop net_loop;

typedef struct net_loop_options {
    const char *ca_file;  /**< client TLS: trust these CAs (PEM); NULL: the system's */
    bool insecure;        /**< client TLS: accept any certificate (self-signed, wrong name) */
    int log_level;        /**< 0: errors only (default); 1: warnings; 2: library debug */
} net_loop_options;

/** Creates a loop. `opt` NULL: defaults. */
int net_loop_new(net_loop **out, const net_loop_options *opt);

/** Closes every connection and server at once (no callbacks) and frees the loop. */
void net_loop_free(net_loop *l);

/** The loop's monotonic clock, ms. */
net_time net_now(const net_loop *l);

/**
 * Waits for network events, timers and watched descriptors and runs their
 * callbacks; returns after at least one round of callbacks, or when
 * `until` (a net_now() time; NET_TIME_NEVER: no bound) is reached, or when
 * net_wake() was called. Returns 0 or NET_ERR_IO.
 *
 * Typical uses: `while (!done && net_now(l) < deadline) net_run_once(l, deadline);`
 */
int net_run_once(net_loop *l, net_time until);

/** Makes the current or next net_run_once return promptly (callable from callbacks). */
void net_wake(net_loop *l);

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */
/* ------------------------------------------------------------------------ */

typedef void (*net_timer_fn)(net_loop *l, uint64_t timer, void *ud);

/** Calls `fn` once at `at` (net_now() time; past times fire on the next round). Returns an id > 0, or 0 (no memory). */
uint64_t net_timer_add(net_loop *l, net_time at, net_timer_fn fn, void *ud);

/** Cancels a timer that has not fired. */
void net_timer_cancel(net_loop *l, uint64_t timer);

/* ------------------------------------------------------------------------ */
/* File descriptors (stdin for `sioc connect`, pipes of child processes)     */
/* ------------------------------------------------------------------------ */

typedef void (*net_fd_fn)(net_loop *l, int fd, void *ud);

/** Calls `fn` whenever `fd` is readable (or at end of file / hang-up) until net_fd_unwatch. */
int net_fd_watch(net_loop *l, int fd, net_fd_fn fn, void *ud);
void net_fd_unwatch(net_loop *l, int fd);

/* ------------------------------------------------------------------------ */
/* URLs                                                                      */
/* ------------------------------------------------------------------------ */

/** A split URL (http, https, ws, wss). */
typedef struct net_url {
    bool tls;          /**< https or wss */
    char host[256];    /**< without brackets for IPv6 literals */
    uint16_t port;     /**< the scheme's default when the URL has none */
    char target[2048]; /**< path and query, at least "/" */
} net_url;

/** Splits `url`. Returns 0 or NET_ERR_INVALID (other schemes, too long, no host). */
int net_url_parse(const char *url, net_url *out);

/* ------------------------------------------------------------------------ */
/* HTTP client                                                               */
/* ------------------------------------------------------------------------ */

typedef struct net_http_request {
    const char *method;       /**< "GET", "POST", "OPTIONS", "PUT", ... */
    const char *url;          /**< http:// or https:// URL with path and query */
    const char *headers;      /**< extra "Name: value\r\n" lines, or NULL */
    const char *content_type; /**< Content-Type of the body, or NULL */
    const uint8_t *body;      /**< request body (copied); Content-Length is always sent
                                   for POST and PUT, 0 when body is NULL */
    size_t body_len;
    uint32_t timeout_ms;      /**< fail with "timeout" after this long; 0: no limit */
    size_t max_response;      /**< fail when the response body exceeds this; 0: 64 MiB */
} net_http_request;

typedef struct net_http_response {
    int status;               /**< HTTP status, or 0 when the request failed */
    const char *error;        /**< status 0: what failed ("connection refused", "timeout", ...) */
    const char *content_type; /**< the Content-Type header or NULL */
    const char *headers;      /**< the response headers the library exposes, as
                                   "name: value\r\n" lines with lower-case names */
    const uint8_t *body;
    size_t len;
} net_http_response;

typedef void (*net_http_done_fn)(net_loop *l, uint64_t req, const net_http_response *r,
                                 void *ud);

/**
 * Starts a request; `done` is called exactly once (unless aborted) with the
 * whole response or a failure, never from inside this call. Every request
 * uses its own connection, so any number can be in flight at once. Returns
 * an id > 0, or 0 on a bad argument (invalid URL or header lines) or no
 * memory.
 */
uint64_t net_http_start(net_loop *l, const net_http_request *rq, net_http_done_fn done,
                        void *ud);

/** Abandons request `req`: its connection is closed and `done` is not called. */
void net_http_abort(net_loop *l, uint64_t req);

/* ------------------------------------------------------------------------ */
/* WebSocket client                                                          */
/* ------------------------------------------------------------------------ */

typedef struct net_ws_callbacks {
    /** The opening handshake succeeded. */
    void (*on_open)(net_loop *l, uint64_t ws, void *ud);
    /** One whole message (fragments are joined). */
    void (*on_message)(net_loop *l, uint64_t ws, const uint8_t *data, size_t len, bool binary,
                       void *ud);
    /** The connection failed to open, or closed (by the peer or the network). `code`
        is the peer's close code, or 0; `why` a short text. Not called after net_ws_close. */
    void (*on_close)(net_loop *l, uint64_t ws, int code, const char *why, void *ud);
} net_ws_callbacks;

/**
 * Opens a WebSocket to `url` (ws://, wss://, http:// or https://) with extra
 * header lines `headers` (or NULL). The handle is valid at once: frames
 * sent before on_open are queued. Returns an id > 0, or 0 on a bad argument
 * or no memory. `max_message` bounds a received message (0: 64 MiB); a
 * larger one closes the connection with code 1009.
 */
uint64_t net_ws_open(net_loop *l, const char *url, const char *headers, size_t max_message,
                     const net_ws_callbacks *cb, void *ud);

/* ------------------------------------------------------------------------ */
/* WebSocket, both roles                                                     */
/* ------------------------------------------------------------------------ */

/** Queues one message (copied), text or binary, on a client or server WebSocket. */
int net_ws_send(net_loop *l, uint64_t ws, const uint8_t *data, size_t len, bool binary);

/**
 * Sends a close frame with `code` (1000 if 0) after what is queued, then
 * closes. No callback is called for `ws` afterwards.
 */
int net_ws_close(net_loop *l, uint64_t ws, int code);

/** Closes the TCP connection of `ws` at once, without a close frame (tests). */
int net_ws_drop(net_loop *l, uint64_t ws);

/** Bytes queued on `ws` and not yet written to the socket. */
size_t net_ws_buffered(const net_loop *l, uint64_t ws);

/**
 * Connections still writing what was handed over before their handle went
 * away: WebSockets closed with net_ws_close whose queued messages or close
 * frame are not written yet, and HTTP responses given to
 * net_server_respond not yet written whole. A program about to exit runs
 * the loop until this is 0 (with a deadline) so that its last words leave.
 */
size_t net_flushing(const net_loop *l);

/* ------------------------------------------------------------------------ */
/* HTTP and WebSocket server                                                 */
/* ------------------------------------------------------------------------ */

/** One incoming HTTP request, or WebSocket upgrade request, at the end of its headers. */
typedef struct net_server_request {
    uint64_t conn;            /**< the handle for answering it */
    const char *method;       /**< "GET", "POST", ... (upper case) */
    const char *path;         /**< URL-decoded path, e.g. "/socket.io/" */
    const char *query;        /**< the raw query string after '?', "" if none */
    const char *content_type; /**< or NULL */
    int64_t content_length;   /**< or -1 */
    const char *headers;      /**< every request header as "name: value\r\n" lines,
                                   lower-case names */
    const char *remote;       /**< peer address, e.g. "127.0.0.1" */
    bool websocket;           /**< an upgrade to WebSocket (GET with Upgrade: websocket) */
} net_server_request;

typedef struct net_server_callbacks {
    /**
     * A request's headers arrived. For a WebSocket upgrade the callback MUST,
     * before it returns, either call net_server_ws_accept(conn) or
     * net_server_respond(conn, ...) (the upgrade is then refused with that
     * status, or at least the connection is closed); otherwise the upgrade is
     * refused. For other requests it may answer now or any time later (long
     * polling); a body, if any, follows through on_body.
     */
    void (*on_request)(net_loop *l, uint64_t conn, const net_server_request *rq, void *ud);
    /** The whole request body (only for requests with a body; after on_request).
        Bodies over max_body are answered 413 by the layer, then on_closed follows. */
    void (*on_body)(net_loop *l, uint64_t conn, const uint8_t *body, size_t len, void *ud);
    /** The client went away (or the layer answered by itself) before net_server_respond. */
    void (*on_closed)(net_loop *l, uint64_t conn, void *ud);
    /** The WebSocket accepted on `conn` is open (frames may be sent). */
    void (*on_ws_open)(net_loop *l, uint64_t conn, void *ud);
    /** One whole message arrived on WebSocket `conn`. */
    void (*on_ws_message)(net_loop *l, uint64_t conn, const uint8_t *data, size_t len,
                          bool binary, void *ud);
    /** WebSocket `conn` closed by the peer or the network (not after net_ws_close). */
    void (*on_ws_close)(net_loop *l, uint64_t conn, int code, const char *why, void *ud);
} net_server_callbacks;

typedef struct net_server_options {
    const char *host;     /**< address to bind, default "127.0.0.1" */
    uint16_t port;        /**< 0: any free port (see net_server_port) */
    const char *tls_cert; /**< PEM certificate and key: serve https/wss; both or neither */
    const char *tls_key;
    size_t max_body;      /**< request body limit, default 100 MiB (the protocol layer sets
                               its own smaller limit and answers 413 itself when it can) */
    size_t max_message;   /**< WebSocket message limit, default 100 MiB */
} net_server_options;

typedef struct net_server net_server;

/** Starts listening. Returns 0, NET_ERR_IO (bind failed, bad certificate), NET_ERR_NOMEM. */
int net_server_new(net_loop *l, net_server **out, const net_server_options *opt,
                   const net_server_callbacks *cb, void *ud);

/** The port actually bound. */
uint16_t net_server_port(const net_server *s);

/** Stops listening and closes its connections (no callbacks). */
void net_server_free(net_server *s);

/**
 * Answers request `conn` (once): status, Content-Type (or NULL), extra
 * header lines (or NULL) and the body (copied). Content-Length is always
 * sent; the connection is kept alive for the next request when the client
 * allows it.
 */
int net_server_respond(net_loop *l, uint64_t conn, int status, const char *content_type,
                       const char *headers, const uint8_t *body, size_t len);

/** Completes the WebSocket handshake of upgrade request `conn` (from on_request only).
    From then on `conn` is a WebSocket handle for net_ws_send / net_ws_close. */
int net_server_ws_accept(net_loop *l, uint64_t conn);

/** Closes the connection of request `conn` without answering (tests). */
int net_server_drop(net_loop *l, uint64_t conn);

#endif /* SIOC_NET_H */
