/*
 * The Socket.IO decoder (sioc/sio.h): Engine.IO messages in, whole packets
 * out, binary attachments put back where their placeholders were.
 *
 * A BINARY_* text packet is decoded at once; its placeholders are found in
 * one walk and chained per attachment number (through the placeholder
 * node's own child fields, so no memory per placeholder). Each attachment
 * then turns its chain into binary nodes as it arrives, and the packet is
 * returned with the last one. Nothing is copied unless asked.
 */
#include <string.h>

#include "sio_internal.h"
#include "sioc/sio_msgpack.h"

static const uint8_t empty_bytes[1] = {0};

int sio_decoder_init(sio_decoder *d, sio_version v, sio_parser parser, const sio_limits *lim,
                     eio_arena *arena, unsigned flags)
{
    if (d == NULL || arena == NULL || (v != SIO_V4 && v != SIO_V5) ||
        (parser != SIO_PARSER_JSON && parser != SIO_PARSER_MSGPACK)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (parser == SIO_PARSER_MSGPACK && !sio_msgpack_available()) {
        return EIO_ERR_UNSUPPORTED;
    }
    memset(d, 0, sizeof *d);
    d->version = v;
    d->parser = parser;
    sio_limits_resolve(lim, &d->limits);
    d->arena = arena;
    d->copy = (flags & SIO_DECODER_COPY_ATTACHMENTS) != 0;
    return 0;
}

void sio_decoder_reset(sio_decoder *d)
{
    if (d == NULL) {
        return;
    }
    memset(&d->pending, 0, sizeof d->pending);
    d->slots = NULL;
    d->received = 0;
    d->received_bytes = 0;
    d->active = false;
}

bool sio_decoder_pending(const sio_decoder *d)
{
    return d != NULL && d->active;
}

typedef struct ph_ctx {
    eio_json **slots;
    uint32_t attachments;
    const uint8_t *buf;
    size_t len;
    size_t payload_off;
    size_t bad_off;
} ph_ctx;

/* Offset of the opening quote of a key that still points into buf, if any. */
static bool key_offset(const ph_ctx *c, const eio_json *m, size_t *off)
{
    if (m == NULL || (m->flags & EIO_JSON_F_KEY_COPIED) || m->key == NULL) {
        return false;
    }
    uintptr_t k = (uintptr_t)m->key, b = (uintptr_t)c->buf;
    if (k <= b || k > b + c->len) {
        return false;
    }
    *off = (size_t)(k - b) - 1;
    return true;
}

/* The reference's test for an attachment index: a number, >= 0, below the
   count; we also require it to be integral (see docs/sio.md). */
static bool placeholder_num(const eio_json *num, uint32_t attachments, uint32_t *out)
{
    if (num == NULL) {
        return false;
    }
    if (num->type == EIO_JSON_INT) {
        if (num->u.i < 0 || (uint64_t)num->u.i >= attachments) {
            return false;
        }
        *out = (uint32_t)num->u.i;
        return true;
    }
    if (num->type == EIO_JSON_DOUBLE) {
        double x = num->u.d;
        if (!(x >= 0.0 && x < (double)attachments) || (double)(uint32_t)x != x) {
            return false;
        }
        *out = (uint32_t)x;
        return true;
    }
    return false;
}

/* Member `key` of obj, the last one when given twice (as JSON.parse keeps). */
static const eio_json *member(const eio_json *obj, const char *key, size_t n)
{
    const eio_json *found = NULL;
    for (const eio_json *m = obj->u.c.first; m != NULL; m = m->next) {
        if (m->key_len == n && memcmp(m->key, key, n) == 0) {
            found = m;
        }
    }
    return found;
}

static int ph_fn(void *ctx, eio_json *n, size_t depth)
{
    (void)depth;
    ph_ctx *c = ctx;
    if (n->type != EIO_JSON_OBJECT) {
        return 0;
    }
    const eio_json *flag = member(n, "_placeholder", 12);
    if (flag == NULL || flag->type != EIO_JSON_BOOL || !flag->u.b) {
        return 0;
    }
    const eio_json *num = member(n, "num", 3);
    uint32_t k;
    if (!placeholder_num(num, c->attachments, &k)) {
        size_t off;
        if (key_offset(c, num, &off) || key_offset(c, flag, &off)) {
            c->bad_off = off;
        } else {
            c->bad_off = c->payload_off;
        }
        return SIO_ERR_BAD_PLACEHOLDER;
    }
    /* The node becomes a pending binary slot: children dropped, chained to
       the other placeholders of the same attachment through u.c.last. */
    n->u.c.first = NULL;
    n->u.c.last = c->slots[k];
    n->u.c.count = 0;
    c->slots[k] = n;
    return 1;
}

static int drop(sio_decoder *d, eio_errinfo *err, int code, size_t offset)
{
    sio_decoder_reset(d);
    return sio_fail(err, code, offset);
}

static int take_text(sio_decoder *d, const uint8_t *data, size_t len, sio_packet *out,
                     eio_errinfo *err)
{
    sio_packet p;
    int rc = sio_packet_decode(d->version, data, len, &d->limits, d->arena, &p, err);
    if (rc < 0) {
        return rc;
    }
    if (p.type != SIO_PACKET_BINARY_EVENT && p.type != SIO_PACKET_BINARY_ACK) {
        *out = p;
        return SIO_DECODER_PACKET;
    }
    eio_json **slots = eio_arena_alloc(d->arena, (size_t)p.attachments * sizeof *slots);
    if (slots == NULL) {
        return sio_fail(err, EIO_ERR_NOMEM, 0);
    }
    memset(slots, 0, (size_t)p.attachments * sizeof *slots);
    ph_ctx c = {slots, p.attachments, data, len, 0, 0};
    /* The payload starts after the header; find it from the tree's text. */
    sio_header h;
    (void)sio_header_parse(d->version, data, len, &d->limits, true, &h, NULL);
    c.payload_off = (size_t)(h.payload.ptr - data);
    rc = sio_visit(p.data, ph_fn, &c);
    if (rc < 0) {
        return sio_fail(err, rc, c.bad_off);
    }
    d->pending = p;
    d->slots = slots;
    d->received = 0;
    d->received_bytes = 0;
    d->active = true;
    return SIO_DECODER_NEED_MORE;
}

static int take_binary(sio_decoder *d, const uint8_t *data, size_t len, sio_packet *out,
                       eio_errinfo *err)
{
    if (!d->active) {
        return sio_fail(err, SIO_ERR_UNEXPECTED_BINARY, 0);
    }
    if (len > d->limits.max_attachment_size) {
        return drop(d, err, SIO_ERR_ATTACHMENT_TOO_LARGE, d->limits.max_attachment_size);
    }
    /* received_bytes never passes the total: checked before adding. */
    size_t room = d->limits.max_attachments_total - d->received_bytes;
    if (len > room) {
        return drop(d, err, SIO_ERR_ATTACHMENT_TOO_LARGE, room);
    }
    const uint8_t *bytes = len > 0 ? data : empty_bytes;
    eio_json *chain = d->slots[d->received];
    if (d->copy && len > 0 && chain != NULL) {
        uint8_t *copy = eio_arena_alloc(d->arena, len);
        if (copy == NULL) {
            return drop(d, err, EIO_ERR_NOMEM, 0);
        }
        memcpy(copy, data, len);
        bytes = copy;
    }
    while (chain != NULL) {
        eio_json *next = chain->u.c.last;
        chain->type = EIO_JSON_BINARY;
        chain->flags = (uint8_t)(chain->flags & ~EIO_JSON_F_STR_COPIED);
        chain->u.str.ptr = (const char *)bytes;
        chain->u.str.len = len;
        chain = next;
    }
    d->slots[d->received] = NULL;
    d->received++;
    d->received_bytes += len;
    if (d->received < d->pending.attachments) {
        return SIO_DECODER_NEED_MORE;
    }
    *out = d->pending;
    sio_decoder_reset(d);
    return SIO_DECODER_PACKET;
}

int sio_decoder_feed(sio_decoder *d, const uint8_t *data, size_t len, bool binary,
                     sio_packet *out, eio_errinfo *err)
{
    if (d == NULL || (data == NULL && len != 0) || out == NULL || d->arena == NULL) {
        return sio_fail(err, EIO_ERR_INVALID_ARGUMENT, 0);
    }
    if (data == NULL) {
        data = empty_bytes;
    }
    if (d->parser == SIO_PARSER_MSGPACK) {
        if (!binary) {
            return sio_fail(err, SIO_ERR_UNEXPECTED_TEXT, 0);
        }
        int rc = sio_msgpack_decode(data, len, &d->limits, d->arena, out, err);
        return rc < 0 ? rc : SIO_DECODER_PACKET;
    }
    if (binary) {
        return take_binary(d, data, len, out, err);
    }
    if (d->active) {
        return drop(d, err, SIO_ERR_UNEXPECTED_TEXT, 0);
    }
    return take_text(d, data, len, out, err);
}
