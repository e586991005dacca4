/*
 * eio_session_common.c - pieces both session machines use: close reason
 * names, allocation, the clock clamp and the owned packet queue.
 */
#include <stdlib.h>
#include <string.h>

#include "eio_session_internal.h"

const char *eio_close_reason_name(int reason)
{
    switch (reason) {
    case EIO_CLOSE_FORCED: return "forced close";
    case EIO_CLOSE_TRANSPORT_CLOSE: return "transport close";
    case EIO_CLOSE_TRANSPORT_ERROR: return "transport error";
    case EIO_CLOSE_PING_TIMEOUT: return "ping timeout";
    case EIO_CLOSE_PARSE_ERROR: return "parse error";
    case EIO_CLOSE_HANDSHAKE_ERROR: return "handshake error";
    case EIO_CLOSE_SERVER_SHUTDOWN: return "server shutting down";
    default: return NULL;
    }
}

static void *libc_malloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void libc_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

void eio_sess_mem_init(eio_mem *dst, const eio_mem *src)
{
    if (src && src->malloc && src->free) {
        *dst = *src;
        return;
    }
    dst->malloc = libc_malloc;
    dst->realloc = libc_realloc;
    dst->free = libc_free;
    dst->user_data = NULL;
}

void *eio_sess_alloc(const eio_mem *m, size_t n)
{
    /* malloc(0) may legitimately return NULL, which would read as failure. */
    return m->malloc(n ? n : 1, m->user_data);
}

void eio_sess_free(const eio_mem *m, void *p)
{
    if (p) {
        m->free(p, m->user_data);
    }
}

eio_time eio_sess_now(eio_time *last, eio_time now)
{
    if (now < *last) {
        return *last;
    }
    *last = now;
    return now;
}

eio_time eio_sess_deadline(eio_time now, uint64_t delay_ms)
{
    /* EIO_TIME_NEVER is UINT64_MAX: saturate below it so a real deadline
       never reads as "none". */
    if (delay_ms >= EIO_TIME_NEVER - 1 - now) {
        return EIO_TIME_NEVER - 1;
    }
    return now + delay_ms;
}

int eio_pktq_push(eio_pktq *q, const eio_mem *m, eio_packet_type type, eio_data_kind kind,
                  const uint8_t *data, size_t len)
{
    if (len > SIZE_MAX - sizeof(eio_qpkt)) {
        return EIO_ERR_NOMEM;
    }
    eio_qpkt *p = eio_sess_alloc(m, sizeof(eio_qpkt) + len);
    if (!p) {
        return EIO_ERR_NOMEM;
    }
    p->next = NULL;
    p->type = type;
    p->kind = kind;
    p->len = len;
    if (len) {
        memcpy(p->data, data, len);
    }
    if (q->tail) {
        q->tail->next = p;
    } else {
        q->head = p;
    }
    q->tail = p;
    q->count++;
    q->bytes += len;
    return 0;
}

eio_qpkt *eio_pktq_pop(eio_pktq *q)
{
    eio_qpkt *p = q->head;
    if (!p) {
        return NULL;
    }
    q->head = p->next;
    if (!q->head) {
        q->tail = NULL;
    }
    q->count--;
    q->bytes -= p->len;
    p->next = NULL;
    return p;
}

void eio_pktq_clear(eio_pktq *q, const eio_mem *m)
{
    eio_qpkt *p;
    while ((p = eio_pktq_pop(q)) != NULL) {
        eio_sess_free(m, p);
    }
}

int eio_pktq_encode_payload(const eio_pktq *q, size_t n, eio_version v, bool supports_binary,
                            const eio_mem *m, uint8_t **out, size_t *out_len,
                            eio_payload_format *format)
{
    *out = NULL;
    *out_len = 0;
    if (n > q->count) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    eio_packet *pk = NULL;
    if (n) {
        if (n > SIZE_MAX / sizeof(eio_packet)) {
            return EIO_ERR_NOMEM;
        }
        pk = eio_sess_alloc(m, n * sizeof(eio_packet));
        if (!pk) {
            return EIO_ERR_NOMEM;
        }
    }
    const eio_qpkt *p = q->head;
    for (size_t i = 0; i < n; i++, p = p->next) {
        pk[i] = eio_qpkt_view(p);
    }
    eio_payload_format f = eio_payload_format_for(v, pk, n, supports_binary);
    size_t need = 0;
    int rc = eio_payload_encode(v, f, pk, n, NULL, 0, &need);
    if (rc != 0 && rc != EIO_ERR_BUFFER_TOO_SMALL) {
        eio_sess_free(m, pk);
        return rc;
    }
    uint8_t *buf = eio_sess_alloc(m, need);
    if (!buf) {
        eio_sess_free(m, pk);
        return EIO_ERR_NOMEM;
    }
    rc = eio_payload_encode(v, f, pk, n, buf, need, out_len);
    eio_sess_free(m, pk);
    if (rc != 0) {
        eio_sess_free(m, buf);
        return rc;
    }
    *out = buf;
    if (format) {
        *format = f;
    }
    return 0;
}

int eio_sess_random_id(eio_random_fn random, void *user_data, char out[EIO_SESS_ID_LEN + 1])
{
    uint8_t raw[15];
    if (random(raw, sizeof(raw), user_data) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    size_t n = eio_base64_encode(raw, sizeof(raw), out);
    for (size_t i = 0; i < n; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        } else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    out[n] = '\0';
    return 0;
}
