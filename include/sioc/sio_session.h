/**
 * @file
 * sioc/sio_session.h - the Socket.IO layer as sans-IO state machines, for
 * both roles: sio_client (namespaces, acks, reconnection over one Engine.IO
 * connection at a time) and sio_server (namespaces and sockets over many
 * Engine.IO sessions).
 *
 * These machines sit on top of Engine.IO *events*, not on the network: the
 * caller (or the glue of its choice) runs an Engine.IO machine from
 * sioc/eio_session.h, passes its OPEN, MESSAGE and CLOSE events in, and
 * carries the Engine.IO-level actions out (send this message, open or close
 * the Engine.IO session). That keeps each layer testable alone and lets an
 * application put the Socket.IO layer over any Engine.IO implementation.
 *
 * The conventions of sioc/eio_session.h hold: time comes in as `now`
 * (eio_time, ms); *_next_action / *_next_event drain the queues;
 * *_get_expiry / *_handle_expiry carry deadlines (ack timeouts,
 * reconnection delays, connect timeouts); pointers in actions and events
 * (including packet trees) stay valid until the next call to any other
 * function of the machine, except the calls that send application data
 * (sio_client_emit, sio_client_ack, sio_server_emit, sio_server_broadcast,
 * sio_server_ack, sio_server_refuse), which release nothing: an event's
 * tree may be passed straight back to them (an echo, an ack with the
 * event's arguments); allocation only through the eio_mem given.
 *
 * Application data is an eio_json array tree (sioc/json.h): the event name
 * first, then the arguments; EIO_JSON_BINARY nodes are sent as binary
 * attachments (or msgpack bin). The machines encode at call time, so the
 * caller's tree and arena can be reused right after the call.
 */
#ifndef SIOC_SIO_SESSION_H
#define SIOC_SIO_SESSION_H

#include "sioc/base.h"
#include "sioc/eio_session.h"
#include "sioc/json.h"
#include "sioc/sio.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Why a Socket.IO socket disconnected. Names (sio_disconnect_reason_name) are the reference's. */
typedef enum sio_disconnect_reason {
    SIO_DISCONNECT_NONE = 0,
    SIO_DISCONNECT_CLIENT = 1,        /**< "io client disconnect": the client side disconnected it */
    SIO_DISCONNECT_SERVER = 2,        /**< "io server disconnect": the server side disconnected it */
    SIO_DISCONNECT_TRANSPORT_CLOSE = 3, /**< "transport close" */
    SIO_DISCONNECT_TRANSPORT_ERROR = 4, /**< "transport error" */
    SIO_DISCONNECT_PING_TIMEOUT = 5,  /**< "ping timeout" */
    SIO_DISCONNECT_PARSE_ERROR = 6,   /**< "parse error": an invalid Socket.IO packet */
    SIO_DISCONNECT_CLIENT_NAMESPACE = 7, /**< "client namespace disconnect" (server side) */
    SIO_DISCONNECT_SERVER_SHUTDOWN = 8,  /**< "server shutting down" */
    SIO_DISCONNECT_FORCED_CLOSE = 9,  /**< "forced close": the whole connection was closed locally */
} sio_disconnect_reason;

/** The reference's string for a disconnect reason, or NULL. */
SIOC_API const char *sio_disconnect_reason_name(int reason);

/** Maps an Engine.IO close reason to the disconnect reason sockets report. */
SIOC_API sio_disconnect_reason sio_disconnect_reason_from_eio(eio_close_reason r);

/** Actions, both roles: Engine.IO-level work for the caller. */
typedef enum sio_action_type {
    SIO_ACTION_EIO_OPEN = 0,  /**< client: open a new Engine.IO session (first connection, or a
                                   reconnection attempt) and report it with sio_client_eio_open
                                   or sio_client_eio_close */
    SIO_ACTION_EIO_SEND = 1,  /**< send one Engine.IO message: `data`/`len`, `binary` */
    SIO_ACTION_EIO_CLOSE = 2, /**< close the Engine.IO session (server: `session`) */
} sio_action_type;

/** One action: work for the Engine.IO layer below. */
typedef struct sio_action {
    sio_action_type type;     /**< what to do */
    uint32_t session;         /**< server: the Engine.IO session handle; client: 0 */
    const uint8_t *data;      /**< EIO_SEND: the message */
    size_t len;               /**< EIO_SEND: bytes of data */
    bool binary;              /**< EIO_SEND: a binary message */
} sio_action;

/** Events, both roles. */
typedef enum sio_event_type {
    SIO_EVENT_CONNECT = 0,        /**< client: a namespace is connected (`sid`); server: a socket
                                       connected (after accept) */
    SIO_EVENT_CONNECT_REQUEST = 1,/**< server: a client asks for namespace `nsp` with `auth`
                                       (may be NULL): answer with sio_server_accept/refuse */
    SIO_EVENT_CONNECT_ERROR = 2,  /**< client: the server refused the namespace: `data` */
    SIO_EVENT_EVENT = 3,          /**< an event: `data` (array: name, args...), `has_id`/`id` when
                                       the sender wants an ack */
    SIO_EVENT_ACK = 4,            /**< the answer to our ack id `id`: `data` (array) */
    SIO_EVENT_ACK_TIMEOUT = 5,    /**< our ack id `id` got no answer in time (or its socket
                                       disconnected first: `reason` says which) */
    SIO_EVENT_DISCONNECT = 6,     /**< a socket disconnected: `reason` */
    SIO_EVENT_RECONNECT_ATTEMPT = 7, /**< client: attempt number `attempt` starts */
    SIO_EVENT_RECONNECT = 8,      /**< client: reconnected after `attempt` attempts */
    SIO_EVENT_RECONNECT_FAILED = 9, /**< client: reconnection_attempts exhausted */
    SIO_EVENT_RECOVERED = 10,     /**< connection state recovered (before the CONNECT event):
                                       client: missed packets follow as EVENTs; server: the
                                       socket handle is the one it had before */
} sio_event_type;

/** One event for the application. */
typedef struct sio_event {
    sio_event_type type;      /**< what happened */
    uint32_t socket;          /**< the socket (one per namespace per connection) */
    uint32_t session;         /**< server: the Engine.IO session */
    eio_slice nsp;            /**< the namespace */
    const char *sid;          /**< CONNECT: the Socket.IO socket id (NUL-terminated) */
    const eio_json *data;     /**< EVENT, ACK, CONNECT_ERROR; server CONNECT_REQUEST: auth */
    bool has_id;              /**< EVENT: the sender wants an ack */
    uint64_t id;              /**< EVENT: ack id to answer; ACK/ACK_TIMEOUT: our ack id */
    sio_disconnect_reason reason; /**< DISCONNECT, ACK_TIMEOUT */
    uint32_t attempt;         /**< RECONNECT_ATTEMPT, RECONNECT */
} sio_event;

/** Random numbers in [0, 1) for jitter (client), supplied by the caller. */
typedef double (*sio_random_fn)(void *user_data);

/* ------------------------------------------------------------------------ */
/* Client role                                                               */
/* ------------------------------------------------------------------------ */

/** Client options; sio_client_options_default fills the reference's defaults. */
typedef struct sio_client_options {
    sio_version version;            /**< 5 (over Engine.IO v4) or 4 (over v3); default 5 */
    sio_parser parser;              /**< default SIO_PARSER_JSON */
    bool reconnection;              /**< default true */
    uint32_t reconnection_attempts; /**< 0 = unlimited (default) */
    uint32_t reconnection_delay;    /**< ms; default 1000 */
    uint32_t reconnection_delay_max;/**< ms; default 5000 */
    double randomization_factor;    /**< default 0.5 */
    uint32_t open_timeout;          /**< ms for the Engine.IO session to open; default 20000 */
    uint32_t ack_timeout;           /**< default per-ack timeout in ms; 0 = none (default) */
    size_t max_buffered;            /**< bytes of packets held while not connected; default 1000000 */
    size_t max_pending_acks;        /**< acks awaited at once; default 10000 */
    size_t max_held_events;         /**< events received for a namespace before its CONNECT
                                         answer, held and delivered right after it (as the
                                         reference does); later ones are dropped; default 1000 */
    sio_limits limits;              /**< decoding limits */
    sio_random_fn random;           /**< required when reconnection and randomization_factor > 0 */
    void *random_user_data;         /**< passed to `random` */
} sio_client_options;

/** Fills `o` with the defaults documented on each field (docs/limits.md); `random` is NULL. */
SIOC_API void sio_client_options_default(sio_client_options *o);

/** A Socket.IO client: the sockets (namespaces) of one connection. Opaque. */
typedef struct sio_client sio_client;

/**
 * Creates a client; `mem` NULL means libc. Nothing is sent until
 * sio_client_connect. `opt` NULL means the defaults, which reconnect with
 * jitter and so need a `random` source: in practice pass options with
 * `random` set, or with `reconnection` false.
 *
 * Errors: EIO_ERR_INVALID_ARGUMENT (bad version or parser, msgpack with
 * v4, no random source when jitter is needed), EIO_ERR_UNSUPPORTED
 * (msgpack in a build without it), EIO_ERR_NOMEM.
 */
SIOC_API int sio_client_new(sio_client **out, const sio_client_options *opt, const eio_mem *mem);
/** Frees the client and everything it holds (no action is produced). */
SIOC_API void sio_client_free(sio_client *c);

/**
 * Asks for namespace `nsp` (NULL or "/" for the main one) with `auth` (an
 * object, or NULL). Returns a socket handle (> 0) or a negative error. If no
 * Engine.IO session is open, queues SIO_ACTION_EIO_OPEN (once). The CONNECT
 * is sent when the session opens (v5), or, in v4, only for custom
 * namespaces ("/" is implicit).
 */
SIOC_API int64_t sio_client_connect(sio_client *c, const char *nsp, const eio_json *auth,
                                    eio_time now);

/** sio_client_emit flags */
#define SIO_EMIT_ACK 0x01u      /**< ask for an ack: the id is returned */
#define SIO_EMIT_VOLATILE 0x02u /**< drop instead of buffering while not connected */

/**
 * Emits `args` (an array whose first element is the event name) on
 * `socket`. With SIO_EMIT_ACK returns the ack id (>= 0) and, if `timeout`
 * (ms; 0 = the ack_timeout option) is set, SIO_EVENT_ACK_TIMEOUT follows if
 * no ACK comes in time. Without it returns 0. Packets emitted while the
 * socket is not connected are buffered (max_buffered) unless volatile.
 * Errors: EIO_ERR_INVALID_ARGUMENT (unknown socket, invalid args),
 * EIO_ERR_LIMIT (buffer or pending acks full), EIO_ERR_NOMEM.
 */
SIOC_API int64_t sio_client_emit(sio_client *c, uint32_t socket, const eio_json *args,
                                 unsigned flags, uint32_t timeout, eio_time now);

/** Answers the server's event ack id `id` on `socket` with `args` (an array, may be empty).
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown or disconnected socket, args not an array),
    EIO_ERR_NOMEM, and the codes of sio_packet_encode for arguments it refuses. */
SIOC_API int sio_client_ack(sio_client *c, uint32_t socket, uint64_t id, const eio_json *args,
                            eio_time now);

/** Disconnects `socket` (DISCONNECT sent if connected); its pending acks time out at once.
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown socket), EIO_ERR_NOMEM. */
SIOC_API int sio_client_disconnect(sio_client *c, uint32_t socket, eio_time now);

/** Closes everything: all sockets, the Engine.IO session, no reconnection.
    Errors: EIO_ERR_INVALID_ARGUMENT (NULL), EIO_ERR_NOMEM. */
SIOC_API int sio_client_close(sio_client *c, eio_time now);

/** The Engine.IO session opened (EIO_EVENT_OPEN). Errors: EIO_ERR_INVALID_ARGUMENT,
    EIO_ERR_NOMEM. */
SIOC_API int sio_client_eio_open(sio_client *c, eio_time now);
/** An Engine.IO message arrived (EIO_EVENT_MESSAGE). An invalid packet closes the
    connection ("parse error") rather than returning an error.
    Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int sio_client_eio_message(sio_client *c, const uint8_t *data, size_t len, bool binary,
                                    eio_time now);
/** The Engine.IO session closed (or failed to open) with `reason`: sockets
 *  disconnect and, unless the close was asked for, reconnection is scheduled.
 *  Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int sio_client_eio_close(sio_client *c, eio_close_reason reason, eio_time now);

/** The next action, if any: returns 1 and fills `*a`, or 0. */
SIOC_API int sio_client_next_action(sio_client *c, sio_action *a);
/** The next event, if any: returns 1 and fills `*e`, or 0. */
SIOC_API int sio_client_next_event(sio_client *c, sio_event *e);
/** The next deadline (ack timeouts, reconnection delay, open timeout), or EIO_TIME_NEVER. */
SIOC_API eio_time sio_client_get_expiry(const sio_client *c);
/** Handles every deadline at or before `now`. Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int sio_client_handle_expiry(sio_client *c, eio_time now);

/** Whether `socket` is connected. */
SIOC_API bool sio_client_connected(const sio_client *c, uint32_t socket);

/** What sio_client_socket_state says about one socket handle. */
typedef enum sio_socket_state {
    /** Unknown handle, or the socket is over for good: disconnected by
        sio_client_disconnect or sio_client_close, by the server (DISCONNECT
        or CONNECT_ERROR), by a connection loss without reconnection, or
        after SIO_EVENT_RECONNECT_FAILED. Handles are never reused, so a
        socket in this state never leaves it. */
    SIO_SOCKET_GONE = 0,
    /** Waiting: for the Engine.IO session to open, for a reconnection
        delay, or for the server's answer to its CONNECT. Emits are buffered
        and the socket will connect (or end) later. */
    SIO_SOCKET_CONNECTING = 1,
    /** Connected: emits go out at once; sio_client_socket_id is set. */
    SIO_SOCKET_CONNECTED = 2,
} sio_socket_state;

/**
 * The state of `socket`, as of the last call into the machine (a socket
 * the server disconnected reads SIO_SOCKET_GONE as soon as the call that
 * queued its last event returns, before that event is drained); a socket
 * that lost its connection reads SIO_SOCKET_CONNECTING while reconnection
 * may bring it back. SIO_SOCKET_GONE for a NULL client or an unknown
 * handle.
 */
SIOC_API sio_socket_state sio_client_socket_state(const sio_client *c, uint32_t socket);
/** The Socket.IO id of `socket` once connected (NUL-terminated), else NULL. */
SIOC_API const char *sio_client_socket_id(const sio_client *c, uint32_t socket);

/**
 * The reconnection delay for `attempt` (0-based) and a random value r in
 * [0, 1), as the reference computes it: min(delay * 2^attempt, max) with
 * a deviation of floor(r * factor * ms) added or subtracted; exact for any
 * attempt count (no overflow, never 0 because of it).
 */
SIOC_API uint32_t sio_backoff_delay(uint32_t delay, uint32_t delay_max, double factor,
                                    uint32_t attempt, double r);

/* ------------------------------------------------------------------------ */
/* Server role                                                               */
/* ------------------------------------------------------------------------ */

/** Server options; sio_server_options_default fills the reference's defaults. */
typedef struct sio_server_options {
    sio_parser parser;          /**< default SIO_PARSER_JSON */
    uint32_t connect_timeout;   /**< ms for the first CONNECT after the Engine.IO open; default 45000 */
    bool auto_accept;           /**< accept every namespace without asking (no CONNECT_REQUEST
                                     events); default false */
    size_t max_sockets;         /**< sockets per Engine.IO session; default 100 */
    size_t max_pending_acks;    /**< acks awaited per socket; default 10000 */
    uint32_t ack_timeout;       /**< default per-ack timeout in ms; 0 = none */
    sio_limits limits;          /**< decoding limits */
    eio_random_fn random;       /**< required: socket ids */
    void *random_user_data;     /**< passed to `random` */
    /**
     * Connection state recovery (socket.io 4.6's connectionStateRecovery; not
     * part of the protocol spec): CONNECT answers carry a private id "pid",
     * events sent to a socket carry an offset string as their last argument,
     * and a socket that disconnects without meaning to (transport close or
     * error, ping timeout) is kept for max_disconnection_duration with the
     * events it misses (at most max_missed_packets). A client that comes back
     * with {"pid":...,"offset":...} in its CONNECT gets the same sid, no
     * CONNECT_REQUEST (the application already accepted it), an
     * SIO_EVENT_RECOVERED then SIO_EVENT_CONNECT event, and the missed events
     * replayed in order. Default false.
     */
    bool recovery;
    uint32_t max_disconnection_duration; /**< ms; default 120000 (the reference's 2 minutes) */
    size_t max_missed_packets;  /**< per kept socket; default 1000 */
} sio_server_options;

/** Fills `o` with the defaults documented on each field (docs/limits.md); `random` is NULL. */
SIOC_API void sio_server_options_default(sio_server_options *o);

/** A Socket.IO server: the sockets of every Engine.IO session of one eio_server. Opaque. */
typedef struct sio_server sio_server;

/** Creates a server. Errors: EIO_ERR_INVALID_ARGUMENT (no random source), EIO_ERR_NOMEM. */
SIOC_API int sio_server_new(sio_server **out, const sio_server_options *opt, const eio_mem *mem);
/** Frees the server and every socket (no action is produced). */
SIOC_API void sio_server_free(sio_server *s);

/** An Engine.IO session opened, with its protocol version (3: Socket.IO v4, 4: v5).
    Errors: EIO_ERR_INVALID_ARGUMENT (bad version, session already known), EIO_ERR_NOMEM. */
SIOC_API int sio_server_eio_open(sio_server *s, uint32_t session, eio_version v, eio_time now);
/** An Engine.IO message arrived on `session` (EIO_EVENT_MESSAGE). An invalid packet
    closes the session ("parse error") rather than returning an error.
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown session), EIO_ERR_NOMEM. */
SIOC_API int sio_server_eio_message(sio_server *s, uint32_t session, const uint8_t *data,
                                    size_t len, bool binary, eio_time now);
/** Engine.IO session `session` closed (EIO_EVENT_CLOSE): its sockets disconnect with
    the matching reason (or are kept for recovery).
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown session), EIO_ERR_NOMEM. */
SIOC_API int sio_server_eio_close(sio_server *s, uint32_t session, eio_close_reason reason,
                                  eio_time now);

/** Accepts the CONNECT_REQUEST of `socket`: CONNECT {"sid":...} is sent.
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown socket, or not waiting for an answer),
    EIO_ERR_NOMEM. */
SIOC_API int sio_server_accept(sio_server *s, uint32_t socket, eio_time now);

/** Refuses it: CONNECT_ERROR with {"message":message[,"data":data]} (v4: the message string).
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown socket, not waiting, NULL message),
    EIO_ERR_NOMEM, and the codes of sio_packet_encode for a `data` it refuses. */
SIOC_API int sio_server_refuse(sio_server *s, uint32_t socket, const char *message,
                               const eio_json *data, eio_time now);

/** Emits to one socket; flags, return value and errors as sio_client_emit (a socket kept
    for recovery stores the event instead, without ack). */
SIOC_API int64_t sio_server_emit(sio_server *s, uint32_t socket, const eio_json *args,
                                 unsigned flags, uint32_t timeout, eio_time now);

/**
 * Emits the same event to many sockets, encoding it once (no acks).
 * Sockets that are not connected are skipped. Returns how many got it.
 * Errors: EIO_ERR_INVALID_ARGUMENT (args not an array), EIO_ERR_NOMEM, and the
 * codes of sio_packet_encode for arguments it refuses.
 */
SIOC_API int64_t sio_server_broadcast(sio_server *s, const uint32_t *sockets, size_t n,
                                      const eio_json *args, eio_time now);

/** Answers the client's event ack id `id` on `socket` with `args` (an array, may be NULL:
    empty). Errors: EIO_ERR_INVALID_ARGUMENT (unknown or disconnected socket, bad args). */
SIOC_API int sio_server_ack(sio_server *s, uint32_t socket, uint64_t id, const eio_json *args,
                            eio_time now);

/** Disconnects `socket` (DISCONNECT sent); with `close_session` also the Engine.IO session.
    Errors: EIO_ERR_INVALID_ARGUMENT (unknown socket), EIO_ERR_NOMEM. */
SIOC_API int sio_server_disconnect(sio_server *s, uint32_t socket, bool close_session,
                                   eio_time now);

/** The next action, if any: returns 1 and fills `*a`, or 0. */
SIOC_API int sio_server_next_action(sio_server *s, sio_action *a);
/** The next event, if any: returns 1 and fills `*e`, or 0. */
SIOC_API int sio_server_next_event(sio_server *s, sio_event *e);
/** The next deadline (connect and ack timeouts, recovery expiry), or EIO_TIME_NEVER. */
SIOC_API eio_time sio_server_get_expiry(const sio_server *s);
/** Handles every deadline at or before `now`. Errors: EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM. */
SIOC_API int sio_server_handle_expiry(sio_server *s, eio_time now);

/** The Socket.IO id of `socket` (NUL-terminated), or NULL when unknown. */
SIOC_API const char *sio_server_socket_id(const sio_server *s, uint32_t socket);
/** The namespace of `socket`; empty when unknown. */
SIOC_API eio_slice sio_server_socket_nsp(const sio_server *s, uint32_t socket);
/** The Engine.IO session of `socket`, or 0 when unknown. */
SIOC_API uint32_t sio_server_socket_session(const sio_server *s, uint32_t socket);

#ifdef __cplusplus
}
#endif

#endif /* SIOC_SIO_SESSION_H */
