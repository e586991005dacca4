/*
 * eio_session_internal.h - what the client and server session machines
 * share. Not installed; nothing here is exported from the shared library.
 *
 *   - allocator helpers over an eio_mem (NULL hooks mean libc),
 *   - the "now never goes backwards" clamp every entry point applies,
 *   - a queue of owned packet copies with byte accounting (max_buffered),
 *     and its encoding as one polling body.
 */
#ifndef SIOC_EIO_SESSION_INTERNAL_H
#define SIOC_EIO_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sioc/eio.h"
#include "sioc/eio_session.h"

/* Copies `src` into `dst`, or libc's functions when src is NULL. */
void eio_sess_mem_init(eio_mem *dst, const eio_mem *src);

/* Allocation through an initialized eio_mem; size 0 is allowed (asks for 1 byte). */
void *eio_sess_alloc(const eio_mem *m, size_t n);
void eio_sess_free(const eio_mem *m, void *p);

/*
 * The time to use for a call: the larger of `now` and the last one seen,
 * which is updated. Callers may hand in a clock that steps back; deadlines
 * are then simply not reached early.
 */
eio_time eio_sess_now(eio_time *last, eio_time now);

/* Saturating addition of a millisecond delay to a time. */
eio_time eio_sess_deadline(eio_time now, uint64_t delay_ms);

/* One queued packet: an owned copy of its data follows the header. */
typedef struct eio_qpkt {
    struct eio_qpkt *next;
    eio_packet_type type;
    eio_data_kind kind; /* NONE, TEXT or BINARY */
    size_t len;
    uint8_t data[];
} eio_qpkt;

/* FIFO of eio_qpkt; `bytes` is the sum of the data lengths (max_buffered). */
typedef struct eio_pktq {
    eio_qpkt *head;
    eio_qpkt *tail;
    size_t count;
    size_t bytes;
} eio_pktq;

/* Appends a copy of the packet. Returns 0 or EIO_ERR_NOMEM (queue unchanged). */
int eio_pktq_push(eio_pktq *q, const eio_mem *m, eio_packet_type type, eio_data_kind kind,
                  const uint8_t *data, size_t len);

/* Detaches the first packet (NULL when empty); free it with eio_sess_free. */
eio_qpkt *eio_pktq_pop(eio_pktq *q);

/* Frees every packet. */
void eio_pktq_clear(eio_pktq *q, const eio_mem *m);

/*
 * Encodes the first `n` packets of the queue (n <= q->count) as one polling
 * body into a new allocation (*out, *out_len; free with eio_sess_free).
 * Format: eio_payload_format_for(v, ..., supports_binary). The queue itself
 * is not changed. Returns 0, EIO_ERR_NOMEM or an encoder error.
 */
int eio_pktq_encode_payload(const eio_pktq *q, size_t n, eio_version v, bool supports_binary,
                            const eio_mem *m, uint8_t **out, size_t *out_len,
                            eio_payload_format *format);

/* A packet view of a queued packet, for the codec's encoders. */
static inline eio_packet eio_qpkt_view(const eio_qpkt *p)
{
    eio_packet pk;
    pk.type = p->type;
    pk.kind = p->kind;
    pk.data = p->len ? p->data : NULL;
    pk.len = p->len;
    return pk;
}

/*
 * A random id as the reference's base64id makes them: 15 bytes from the
 * caller's random source, base64url, 20 characters plus a NUL in `out`.
 * Returns 0, or EIO_ERR_INVALID_ARGUMENT when the random source fails.
 */
#define EIO_SESS_ID_LEN 20
int eio_sess_random_id(eio_random_fn random, void *user_data, char out[EIO_SESS_ID_LEN + 1]);

#endif /* SIOC_EIO_SESSION_INTERNAL_H */
