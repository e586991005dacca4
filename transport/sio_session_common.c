/*
 * sio_session_common.c - what both Socket.IO session machines share: the
 * disconnect reason names, the mapping from Engine.IO close reasons, and
 * the reconnection backoff.
 */
#include <float.h>

#include "sioc/sio_session.h"

/* floor() for x >= 0 without libm (the library does not link it): doubles
   of 2^52 and more are integers already, smaller ones fit a uint64_t. */
static double floor_nonneg(double x)
{
    if (x >= 4503599627370496.0) {
        return x;
    }
    return (double)(uint64_t)x;
}

const char *sio_disconnect_reason_name(int reason)
{
    switch (reason) {
    case SIO_DISCONNECT_CLIENT: return "io client disconnect";
    case SIO_DISCONNECT_SERVER: return "io server disconnect";
    case SIO_DISCONNECT_TRANSPORT_CLOSE: return "transport close";
    case SIO_DISCONNECT_TRANSPORT_ERROR: return "transport error";
    case SIO_DISCONNECT_PING_TIMEOUT: return "ping timeout";
    case SIO_DISCONNECT_PARSE_ERROR: return "parse error";
    case SIO_DISCONNECT_CLIENT_NAMESPACE: return "client namespace disconnect";
    case SIO_DISCONNECT_SERVER_SHUTDOWN: return "server shutting down";
    case SIO_DISCONNECT_FORCED_CLOSE: return "forced close";
    default: return NULL;
    }
}

sio_disconnect_reason sio_disconnect_reason_from_eio(eio_close_reason r)
{
    switch (r) {
    case EIO_CLOSE_FORCED: return SIO_DISCONNECT_FORCED_CLOSE;
    case EIO_CLOSE_TRANSPORT_CLOSE: return SIO_DISCONNECT_TRANSPORT_CLOSE;
    case EIO_CLOSE_TRANSPORT_ERROR: return SIO_DISCONNECT_TRANSPORT_ERROR;
    case EIO_CLOSE_PING_TIMEOUT: return SIO_DISCONNECT_PING_TIMEOUT;
    case EIO_CLOSE_PARSE_ERROR: return SIO_DISCONNECT_PARSE_ERROR;
    /* The reference client reports a failed (re)open as a transport
       error; sockets were not connected over it anyway. */
    case EIO_CLOSE_HANDSHAKE_ERROR: return SIO_DISCONNECT_TRANSPORT_ERROR;
    case EIO_CLOSE_SERVER_SHUTDOWN: return SIO_DISCONNECT_SERVER_SHUTDOWN;
    case EIO_CLOSE_NONE:
    default:
        /* A socket must always say why it went away; an unspecified
           Engine.IO close is the connection ending. */
        return SIO_DISCONNECT_TRANSPORT_CLOSE;
    }
}

uint32_t sio_backoff_delay(uint32_t delay, uint32_t delay_max, double factor, uint32_t attempt,
                           double r)
{
    /* delay * 2^attempt exceeds any uint32_t maximum once attempt reaches
       33 (delay >= 1), so capping the exponent at 64 changes no result
       while keeping the double finite: the reference computes 2^attempt
       unbounded and turns into Infinity - Infinity = NaN -> 0 ms. */
    uint32_t exp = attempt > 64u ? 64u : attempt;
    double ms = (double)delay;
    for (uint32_t i = 0; i < exp; i++) {
        ms *= 2.0; /* exact: a power of two times an integer below 2^32 */
    }

    /* The reference ignores a jitter outside (0, 1]; keep r in [0, 1) so a
       faulty random source cannot make the delay negative. */
    if (factor > 0.0 && factor <= 1.0) {
        if (!(r >= 0.0)) { /* also catches NaN */
            r = 0.0;
        } else if (r >= 1.0) {
            r = 1.0 - DBL_EPSILON / 2.0; /* the largest double below 1 */
        }
        double deviation = floor_nonneg(r * factor * ms);
        unsigned parity = (unsigned)(r * 10.0); /* floor, 0..9 */
        ms = (parity & 1u) == 0 ? ms - deviation : ms + deviation;
    }
    if (ms > (double)delay_max) {
        ms = (double)delay_max;
    }
    if (ms < 0.0) {
        ms = 0.0;
    }
    return (uint32_t)ms;
}
