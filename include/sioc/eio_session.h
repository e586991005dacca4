/**
 * @file
 * sioc/eio_session.h - Engine.IO sessions as sans-IO state machines, for both
 * roles: eio_client (one session) and eio_server (many sessions).
 *
 * The machines do no I/O and never read a clock. The caller feeds them:
 *   - what the network did (an HTTP response arrived, a WebSocket opened,
 *     a frame arrived, a connection closed),
 *   - what the application wants (send a message, close),
 *   - the current time in milliseconds, from any monotonic clock, with every
 *     call (`now`),
 * and then drains, in any order convenient to it:
 *   - actions: I/O the caller must perform (send this HTTP request, respond
 *     to that request, open a WebSocket, send a frame, close),
 *   - events: what the application should hear (open, message, upgrade,
 *     close with a reason),
 *   - the next deadline (`*_get_expiry`), at which the caller calls
 *     `*_handle_expiry(now)`. Late wake-ups are fine: deadlines are compared
 *     with the `now` given, never assumed to be exact.
 *
 * Pointer lifetimes: data in an action or event points into the machine's
 * own storage or into the buffer passed to the call that produced it. It
 * stays valid until the next call to any function of that machine other
 * than *_next_action / *_next_event / *_get_expiry / getters, and
 * eio_client_send / eio_server_send, which release nothing: an event's
 * data may be passed straight back to them (an echo). Drain both queues
 * after every input call.
 *
 * Every buffer is bounded by an option; the machines allocate only through
 * the eio_mem given at creation.
 */
#ifndef SIOC_EIO_SESSION_H
#define SIOC_EIO_SESSION_H

#include "sioc/base.h"
#include "sioc/eio.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Milliseconds on the caller's monotonic clock. */
typedef uint64_t eio_time;

/** "No deadline" from *_get_expiry. */
#define EIO_TIME_NEVER UINT64_MAX

/** The two transports. */
typedef enum eio_transport {
    EIO_TRANSPORT_POLLING = 0,   /**< HTTP long-polling */
    EIO_TRANSPORT_WEBSOCKET = 1, /**< WebSocket */
} eio_transport;

/** HTTP methods as far as Engine.IO cares. */
typedef enum eio_http_method {
    EIO_HTTP_GET = 0,     /**< GET: a poll, or a WebSocket upgrade */
    EIO_HTTP_POST = 1,    /**< POST: packets from the client */
    EIO_HTTP_OPTIONS = 2, /**< OPTIONS: a CORS preflight */
    EIO_HTTP_OTHER = 3,   /**< anything else (refused) */
} eio_http_method;

/** Why a session closed. Names (eio_close_reason_name) are the reference's. */
typedef enum eio_close_reason {
    EIO_CLOSE_NONE = 0,            /**< not closed */
    EIO_CLOSE_FORCED = 1,          /**< "forced close": the local application closed it */
    EIO_CLOSE_TRANSPORT_CLOSE = 2, /**< "transport close": the peer sent close, or the connection ended */
    EIO_CLOSE_TRANSPORT_ERROR = 3, /**< "transport error": a protocol violation or network failure */
    EIO_CLOSE_PING_TIMEOUT = 4,    /**< "ping timeout": the heartbeat was not answered in time */
    EIO_CLOSE_PARSE_ERROR = 5,     /**< "parse error": undecodable data from the peer */
    EIO_CLOSE_HANDSHAKE_ERROR = 6, /**< "handshake error": the session could not be opened (client) */
    EIO_CLOSE_SERVER_SHUTDOWN = 7, /**< "server shutting down" */
} eio_close_reason;

/** The reference's string for a close reason ("ping timeout", ...), or NULL. */
SIOC_API const char *eio_close_reason_name(int reason);

/** Session states, both roles. */
typedef enum eio_session_state {
    EIO_STATE_OPENING = 0, /**< handshake in progress */
    EIO_STATE_OPEN = 1,    /**< open: messages flow */
    EIO_STATE_CLOSING = 2, /**< close requested; flushing */
    EIO_STATE_CLOSED = 3,  /**< closed: the CLOSE event was queued */
} eio_session_state;

/** Application events, both roles. */
typedef enum eio_event_type {
    EIO_EVENT_OPEN = 0,    /**< handshake done (client: `handshake` set; server: a new session) */
    EIO_EVENT_MESSAGE = 1, /**< a message packet: `data`/`len`/`binary` */
    EIO_EVENT_UPGRADE = 2, /**< the session now runs over WebSocket */
    EIO_EVENT_UPGRADE_FAILED = 3, /**< the probe failed; the session stays on polling */
    EIO_EVENT_PING = 4,    /**< a heartbeat ping was received (for logging) */
    EIO_EVENT_PONG = 5,    /**< a heartbeat pong was received (for logging) */
    EIO_EVENT_CLOSE = 6,   /**< the session closed: `reason`, `error` (0 or an eio_error) */
} eio_event_type;

/** One application event. */
typedef struct eio_event {
    eio_event_type type;      /**< what happened */
    uint32_t session;         /**< server: the session handle; client: 0 */
    const uint8_t *data;      /**< MESSAGE: the data (see lifetimes above) */
    size_t len;               /**< MESSAGE: bytes of data */
    bool binary;              /**< MESSAGE: binary data (already base64-decoded) */
    eio_close_reason reason;  /**< CLOSE */
    int error;                /**< CLOSE: the eio_error behind it, or 0 */
    const eio_handshake *handshake; /**< OPEN (client): the server's handshake */
    eio_version version;      /**< OPEN: the session's protocol version */
    eio_transport transport;  /**< OPEN: the first transport */
} eio_event;

/* ------------------------------------------------------------------------ */
/* Client role                                                               */
/* ------------------------------------------------------------------------ */

/** Actions a client asks its caller to perform. */
typedef enum eio_client_action_type {
    EIO_CLIENT_HTTP_REQUEST = 0, /**< send an HTTP request; answer with eio_client_http_response
                                      or eio_client_http_failed, quoting `conn` */
    EIO_CLIENT_HTTP_ABORT = 1,   /**< abandon the HTTP request `conn` (no answer expected) */
    EIO_CLIENT_WS_OPEN = 2,      /**< open a WebSocket to `target`; report eio_client_ws_opened
                                      or eio_client_ws_closed with `conn` */
    EIO_CLIENT_WS_SEND = 3,      /**< send one frame on WebSocket `conn` */
    EIO_CLIENT_WS_CLOSE = 4,     /**< close WebSocket `conn` (no further report needed) */
} eio_client_action_type;

/** One client action. */
typedef struct eio_client_action {
    eio_client_action_type type; /**< what to do */
    uint32_t conn;            /**< request or WebSocket id, chosen by the machine */
    eio_http_method method;   /**< HTTP_REQUEST: GET or POST */
    const char *target;       /**< HTTP_REQUEST, WS_OPEN: path and query, e.g.
                                   "/engine.io/?EIO=4&transport=polling&sid=..." (NUL-terminated) */
    const char *content_type; /**< HTTP_REQUEST POST: "text/plain;charset=UTF-8" or
                                   "application/octet-stream"; else NULL */
    const uint8_t *body;      /**< HTTP_REQUEST POST body; WS_SEND frame */
    size_t len;               /**< bytes of body */
    bool binary;              /**< WS_SEND: binary frame */
    const char *headers;      /**< HTTP_REQUEST, WS_OPEN: the extra_headers option
                                   ("Name: value\r\n" lines) to add, or NULL; valid while
                                   the client lives */
} eio_client_action;

/** Client options. eio_client_options_default fills the reference's defaults. */
typedef struct eio_client_options {
    eio_version version;      /**< EIO=3 or 4; default 4 */
    const char *path;         /**< default "/engine.io/"; copied */
    const char *query;        /**< extra query parameters, already URL-encoded, without
                                   leading '&' or '?' (e.g. "token=abc"); NULL for none; copied */
    const char *extra_headers;/**< HTTP headers for every request and WebSocket handshake,
                                   as "Name: value\r\n" lines (e.g. "Authorization: Bearer x\r\n"),
                                   handed back in each action; NULL for none; copied.
                                   eio_client_new refuses (EIO_ERR_INVALID_ARGUMENT) lines
                                   that are not of that form, so nothing can inject a
                                   header or a request through them */
    bool websocket_only;      /**< open with WebSocket, no polling; default false */
    bool upgrade;             /**< upgrade to WebSocket when the server offers it; default true */
    bool timestamp_requests;  /**< add t=N (a counter) to polling requests (cache busting); default true */
    bool supports_binary;     /**< v3: false sends b64=1 and expects base64; default true */
    uint32_t probe_timeout;   /**< ms to wait for the upgrade probe's pong; default 10000 */
    size_t max_buffered;      /**< bytes of unsent packets held; default 10 * max payload */
    eio_limits limits;        /**< decoding limits (zero: defaults) */
} eio_client_options;

/** Fills `o` with the defaults documented on each field (docs/limits.md). */
SIOC_API void eio_client_options_default(eio_client_options *o);

/** An Engine.IO client session. Opaque. */
typedef struct eio_client eio_client;

/**
 * Creates a client. `opt` NULL means defaults; `mem` NULL means libc.
 * Nothing happens until eio_client_open. Errors: EIO_ERR_INVALID_ARGUMENT,
 * EIO_ERR_NOMEM.
 */
SIOC_API int eio_client_new(eio_client **out, const eio_client_options *opt, const eio_mem *mem);

/** Frees the client and everything it holds (no action is produced). */
SIOC_API void eio_client_free(eio_client *c);

/** Starts the handshake: queues the first HTTP GET (or WS_OPEN).
    Errors: EIO_ERR_INVALID_ARGUMENT (NULL, or already opened). */
SIOC_API int eio_client_open(eio_client *c, eio_time now);

/**
 * An HTTP response arrived for request `conn`: status, Content-Type (may be
 * NULL) and the whole body. Errors: EIO_ERR_INVALID_ARGUMENT (unknown conn);
 * protocol failures close the session with an EIO_EVENT_CLOSE event rather
 * than returning an error.
 */
SIOC_API int eio_client_http_response(eio_client *c, uint32_t conn, int status,
                                      const char *content_type, const uint8_t *body, size_t len,
                                      eio_time now);

/** The HTTP request `conn` failed at the network level (refused, reset, timed out). Errors: EIO_ERR_INVALID_ARGUMENT (NULL client, or a `conn` the machine never issued); protocol failures close the session with an EIO_EVENT_CLOSE event instead. */
SIOC_API int eio_client_http_failed(eio_client *c, uint32_t conn, eio_time now);

/** WebSocket `conn` is open. Errors: EIO_ERR_INVALID_ARGUMENT (NULL client, or a `conn` the machine never issued); protocol failures close the session with an EIO_EVENT_CLOSE event instead. */
SIOC_API int eio_client_ws_opened(eio_client *c, uint32_t conn, eio_time now);

/** A frame arrived on WebSocket `conn`; `data` must stay valid until the queues are drained. Errors: EIO_ERR_INVALID_ARGUMENT (NULL client, or a `conn` the machine never issued); protocol failures close the session with an EIO_EVENT_CLOSE event instead. */
SIOC_API int eio_client_ws_message(eio_client *c, uint32_t conn, const uint8_t *data, size_t len,
                                   bool binary, eio_time now);

/** WebSocket `conn` closed or failed to open. Errors: EIO_ERR_INVALID_ARGUMENT (NULL client, or a `conn` the machine never issued); protocol failures close the session with an EIO_EVENT_CLOSE event instead. */
SIOC_API int eio_client_ws_closed(eio_client *c, uint32_t conn, eio_time now);

/**
 * Queues a message packet (copied). Errors: EIO_ERR_INVALID_ARGUMENT (closed
 * session, invalid UTF-8 text, or v4 text containing the byte 0x1e while
 * the session is not on WebSocket), EIO_ERR_LIMIT (max_buffered would be
 * passed), EIO_ERR_PACKET_TOO_LARGE (larger than the server's maxPayload,
 * which a polling body could never carry), EIO_ERR_NOMEM.
 *
 * 0x1e separates the packets of a v4 polling body and has no escape, so
 * such text would arrive split in two. A v4 session refuses it until it
 * runs on WebSocket (websocket_only, or after EIO_EVENT_UPGRADE; a session
 * never goes back to polling), including before the handshake and during
 * the upgrade probe. Send such data as binary instead.
 */
SIOC_API int eio_client_send(eio_client *c, const uint8_t *data, size_t len, bool binary,
                             eio_time now);

/** Closes the session: flushes what is queued, sends close, ends with EIO_CLOSE_FORCED.
    Closing a closed or closing session does nothing. Errors: EIO_ERR_INVALID_ARGUMENT (NULL). */
SIOC_API int eio_client_close(eio_client *c, eio_time now);

/** The next action, if any: returns 1 and fills `*a`, or 0. */
SIOC_API int eio_client_next_action(eio_client *c, eio_client_action *a);

/** The next event, if any: returns 1 and fills `*e`, or 0. */
SIOC_API int eio_client_next_event(eio_client *c, eio_event *e);

/** The next deadline, or EIO_TIME_NEVER. */
SIOC_API eio_time eio_client_get_expiry(const eio_client *c);

/** Handles every deadline at or before `now` (heartbeat, probe timeout).
    Errors: EIO_ERR_INVALID_ARGUMENT (NULL). */
SIOC_API int eio_client_handle_expiry(eio_client *c, eio_time now);

/** The session's state. */
SIOC_API eio_session_state eio_client_state(const eio_client *c);
/** The current transport. */
SIOC_API eio_transport eio_client_transport(const eio_client *c);
/** The session id once open (NUL-terminated), else "". */
SIOC_API const char *eio_client_sid(const eio_client *c);

/* ------------------------------------------------------------------------ */
/* Server role                                                               */
/* ------------------------------------------------------------------------ */

/** Random bytes for session ids, supplied by the caller (e.g. getrandom). */
typedef int (*eio_random_fn)(uint8_t *buf, size_t len, void *user_data);

/** eio_server_options.versions bits. */
#define EIO_ACCEPT_V3 0x01u /**< accept EIO=3 (socket.io 2.x clients) */
#define EIO_ACCEPT_V4 0x02u /**< accept EIO=4 (socket.io 3+ clients) */

/** Server options. eio_server_options_default fills the reference's defaults. */
typedef struct eio_server_options {
    unsigned versions;        /**< EIO_ACCEPT_* bits; default EIO_ACCEPT_V4 */
    bool allow_polling;       /**< default true */
    bool allow_websocket;     /**< default true */
    bool allow_upgrades;      /**< offer "websocket" in upgrades; default true */
    uint32_t ping_interval;   /**< ms; default 25000 */
    uint32_t ping_timeout;    /**< ms; default 20000 */
    uint32_t upgrade_timeout; /**< ms to finish an upgrade; default 10000 */
    size_t max_payload;       /**< bytes of a POST body / maxPayload, and the most a polling
                                   answer holds (unless one packet alone is larger: the open
                                   packet); default 1000000 */
    size_t max_buffered;      /**< bytes of unsent packets per session; default 10 * max_payload */
    size_t max_sessions;      /**< sessions at once; default 100000 */
    eio_random_fn random;     /**< required: the source of session ids */
    void *random_user_data;   /**< passed to `random` */
} eio_server_options;

/** Fills `o` with the defaults documented on each field (docs/limits.md); `random` is NULL. */
SIOC_API void eio_server_options_default(eio_server_options *o);

/** An incoming HTTP request (polling) or WebSocket upgrade request. */
typedef struct eio_server_request {
    uint32_t conn;            /**< the caller's id for this request/connection; unique while alive */
    eio_http_method method;   /**< the request method */
    const char *query;        /**< the raw query string (after '?'), URL-encoded; may be NULL */
    size_t query_len;         /**< bytes of query */
    const char *content_type; /**< may be NULL */
    const uint8_t *body;      /**< POST: the whole body (unless body_follows) */
    size_t body_len;          /**< bytes of body */
    bool body_follows;        /**< POST reported when its headers arrive: the body comes
                                   later through eio_server_request_body. This lets the
                                   machine see overlapping POSTs, which the spec forbids. */
    int64_t content_length;   /**< with body_follows: the Content-Length, or -1 if unknown
                                   (a length over max_payload is answered 413 at once) */
    bool websocket;           /**< a WebSocket upgrade request (GET with Upgrade: websocket) */
} eio_server_request;

/** Actions a server asks its caller to perform. */
typedef enum eio_server_action_type {
    EIO_SERVER_HTTP_RESPOND = 0, /**< answer request `conn` with status, Content-Type and body */
    EIO_SERVER_WS_ACCEPT = 1,    /**< complete the WebSocket handshake of request `conn` */
    EIO_SERVER_WS_SEND = 2,      /**< send one frame on WebSocket `conn` */
    EIO_SERVER_WS_CLOSE = 3,     /**< close WebSocket `conn` */
} eio_server_action_type;

/** One server action. */
typedef struct eio_server_action {
    eio_server_action_type type; /**< what to do */
    uint32_t conn;            /**< the request or WebSocket (the caller's id) */
    int status;               /**< HTTP_RESPOND: 200, 400, 403, 413 ... */
    const char *content_type; /**< HTTP_RESPOND: "text/plain; charset=UTF-8",
                                   "application/octet-stream" or "application/json" */
    const uint8_t *body;      /**< HTTP_RESPOND body; WS_SEND frame */
    size_t len;               /**< bytes of body */
    bool binary;              /**< WS_SEND: binary frame */
} eio_server_action;

/** An Engine.IO server: the table of sessions behind one path. Opaque. */
typedef struct eio_server eio_server;

/** Creates a server. Errors: EIO_ERR_INVALID_ARGUMENT (no random source), EIO_ERR_NOMEM. */
SIOC_API int eio_server_new(eio_server **out, const eio_server_options *opt, const eio_mem *mem);

/** Frees the server and every session (no action is produced). */
SIOC_API void eio_server_free(eio_server *s);

/**
 * A request arrived. Validates it as the spec and the reference require
 * (EIO and transport parameters, known sid, method, one GET and one POST at
 * a time, body size, packets) and answers with actions: an immediate
 * response, a held GET answered later, or a WebSocket accept. Errors are
 * answered the way the reference answers them (HTTP 400 with
 * {"code":N,"message":"..."}, 413, ...), not returned. Returns 0, or
 * EIO_ERR_INVALID_ARGUMENT / EIO_ERR_NOMEM.
 */
SIOC_API int eio_server_handle_request(eio_server *s, const eio_server_request *req, eio_time now);

/**
 * The body of POST `conn`, announced earlier with body_follows, is complete.
 * Errors: EIO_ERR_INVALID_ARGUMENT (no such POST pending).
 */
SIOC_API int eio_server_request_body(eio_server *s, uint32_t conn, const uint8_t *body,
                                     size_t len, eio_time now);

/** The client went away before request `conn` was answered (a held GET, a pending POST).
    Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int eio_server_http_closed(eio_server *s, uint32_t conn, eio_time now);

/** A frame arrived on accepted WebSocket `conn`; `data` must stay valid until the queues
    are drained. Errors: EIO_ERR_INVALID_ARGUMENT (unknown `conn`), EIO_ERR_NOMEM;
    protocol failures close the session instead. */
SIOC_API int eio_server_ws_message(eio_server *s, uint32_t conn, const uint8_t *data, size_t len,
                                   bool binary, eio_time now);

/** WebSocket `conn` closed. Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int eio_server_ws_closed(eio_server *s, uint32_t conn, eio_time now);

/**
 * Queues a message to session `session` (copied). Errors:
 * EIO_ERR_INVALID_ARGUMENT (unknown or closed session, invalid UTF-8, or
 * v4 text containing the byte 0x1e while the session is on polling),
 * EIO_ERR_PACKET_TOO_LARGE (on polling: the message alone would make a
 * body over max_payload), EIO_ERR_LIMIT (max_buffered), EIO_ERR_NOMEM.
 *
 * A polling GET is answered with the leading queued packets whose body
 * stays within max_payload (at least one packet); the rest wait for the
 * next GET. 0x1e separates the packets of a v4 polling body and has no
 * escape, so v4 text holding it is refused until the session runs on
 * WebSocket (it never goes back to polling), including during the upgrade
 * probe; send such data as binary. Both polling rules are lifted once the
 * session is on WebSocket.
 */
SIOC_API int eio_server_send(eio_server *s, uint32_t session, const uint8_t *data, size_t len,
                             bool binary, eio_time now);

/**
 * Closes one session (EIO_CLOSE_FORCED): flushes, sends close. Over
 * polling, when the queue and the close packet do not fit in one body of
 * max_payload, or no GET is held, the session stays EIO_STATE_CLOSING and
 * the next GETs carry the rest, the last one with the close packet.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT (unknown session), EIO_ERR_NOMEM.
 */
SIOC_API int eio_server_close_session(eio_server *s, uint32_t session, eio_time now);

/** Closes every session (EIO_CLOSE_SERVER_SHUTDOWN); new handshakes are refused from then
    on. Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM (the sessions not yet closed stay
    open: call again). */
SIOC_API int eio_server_shutdown(eio_server *s, eio_time now);

/** The next action, if any: returns 1 and fills `*a`, or 0. */
SIOC_API int eio_server_next_action(eio_server *s, eio_server_action *a);
/** The next event, if any: returns 1 and fills `*e`, or 0. */
SIOC_API int eio_server_next_event(eio_server *s, eio_event *e);
/** The next deadline of any session, or EIO_TIME_NEVER. */
SIOC_API eio_time eio_server_get_expiry(const eio_server *s);
/** Handles every deadline at or before `now` (heartbeats, upgrade timeouts).
    Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int eio_server_handle_expiry(eio_server *s, eio_time now);

/** The session id of `session` (NUL-terminated), or NULL for an unknown handle. */
SIOC_API const char *eio_server_session_sid(const eio_server *s, uint32_t session);
/** The state of `session`; EIO_STATE_CLOSED for an unknown handle. */
SIOC_API eio_session_state eio_server_session_state(const eio_server *s, uint32_t session);
/** The current transport of `session`. */
SIOC_API eio_transport eio_server_session_transport(const eio_server *s, uint32_t session);
/** The protocol version `session` speaks. */
SIOC_API eio_version eio_server_session_version(const eio_server *s, uint32_t session);
/** Sessions currently alive. */
SIOC_API size_t eio_server_session_count(const eio_server *s);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_EIO_SESSION_H */
