/*
 * Whole Socket.IO text packets (sioc/sio.h, level 2): decode into a value
 * tree, encode byte-identically to socket.io-parser, list attachments; and
 * the tree checks every Socket.IO parser shares (sio_internal.h).
 */
#include <string.h>

#include "eio_internal.h"
#include "eio_json_internal.h"
#include "sio_internal.h"

/* ------------------------------------------------------------------------ */
/* Walking a tree as JavaScript sees it                                      */
/* ------------------------------------------------------------------------ */

/*
 * The placeholder numbering must follow the writer's output order exactly
 * (a decoder on the other side numbers attachments by it), so the walk
 * takes its member order from the writer's own iterator.
 */

#define VSTACK 64

static inline bool is_container(const eio_json *n)
{
    return n->type == EIO_JSON_ARRAY || n->type == EIO_JSON_OBJECT;
}

/* Visits the children of container c (at `depth`) and below. */
static int visit_children(eio_json *c, size_t depth, sio_visit_fn fn, void *ctx)
{
    eio_jsoni_iter st[VSTACK];
    size_t sp = 1;
    eio_jsoni_iter_init(&st[0], c);
    while (sp > 0) {
        const eio_json *k;
        /* The walk hands out the caller's own (mutable) nodes. */
        eio_json *x = (eio_json *)(uintptr_t)eio_jsoni_iter_next(&st[sp - 1], &k);
        if (x == NULL) {
            sp--;
            continue;
        }
        size_t d = depth + sp;
        int r = fn(ctx, x, d);
        if (r < 0) {
            return r;
        }
        if (r == 0 && is_container(x) && x->u.c.first != NULL) {
            if (sp == VSTACK) {
                r = visit_children(x, d, fn, ctx);
                if (r < 0) {
                    return r;
                }
            } else {
                eio_jsoni_iter_init(&st[sp++], x);
            }
        }
    }
    return 0;
}

int sio_visit(eio_json *root, sio_visit_fn fn, void *ctx)
{
    if (root == NULL) {
        return 0;
    }
    int r = fn(ctx, root, 0);
    if (r < 0) {
        return r;
    }
    if (r == 0 && is_container(root) && root->u.c.first != NULL) {
        return visit_children(root, 0, fn, ctx);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Tree checks                                                               */
/* ------------------------------------------------------------------------ */

int sio_check_payload(sio_packet_type type, const eio_json *data, eio_errinfo *err,
                      size_t offset)
{
    if (data != NULL && data->type == EIO_JSON_UNDEFINED) {
        data = NULL;
    }
    switch (type) {
    case SIO_PACKET_CONNECT:
        if (data != NULL && data->type != EIO_JSON_OBJECT) {
            return sio_fail(err, SIO_ERR_CONNECT_NOT_OBJECT, offset);
        }
        return 0;
    case SIO_PACKET_DISCONNECT:
        if (data != NULL) {
            return sio_fail(err, SIO_ERR_DISCONNECT_PAYLOAD, offset);
        }
        return 0;
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT: {
        if (data == NULL) {
            return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, offset);
        }
        if (data->type != EIO_JSON_ARRAY) {
            return sio_fail(err, SIO_ERR_EVENT_NOT_ARRAY, offset);
        }
        const eio_json *first = data->u.c.first;
        if (first == NULL) {
            return sio_fail(err, SIO_ERR_EVENT_EMPTY, offset);
        }
        if (first->type == EIO_JSON_STRING) {
            if (sio_event_reserved(first->u.str.ptr, first->u.str.len)) {
                return sio_fail(err, SIO_ERR_EVENT_RESERVED, offset);
            }
            return 0;
        }
        if (first->type == EIO_JSON_INT || first->type == EIO_JSON_DOUBLE) {
            return 0;
        }
        return sio_fail(err, SIO_ERR_EVENT_NAME, offset);
    }
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK:
        if (data == NULL) {
            return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, offset);
        }
        if (data->type != EIO_JSON_ARRAY) {
            return sio_fail(err, SIO_ERR_ACK_NOT_ARRAY, offset);
        }
        return 0;
    case SIO_PACKET_CONNECT_ERROR:
        if (data == NULL) {
            return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, offset);
        }
        if (data->type != EIO_JSON_STRING && data->type != EIO_JSON_OBJECT) {
            return sio_fail(err, SIO_ERR_CONNECT_ERROR_PAYLOAD, offset);
        }
        return 0;
    default:
        return sio_fail(err, SIO_ERR_INVALID_TYPE, offset);
    }
}

typedef struct depth_ctx {
    size_t max;
} depth_ctx;

static int depth_fn(void *ctx, eio_json *n, size_t depth)
{
    const depth_ctx *c = ctx;
    if (is_container(n) && depth + 1 > c->max) {
        return SIO_ERR_DEPTH;
    }
    return 0;
}

int sio_check_depth(const eio_json *data, size_t max_depth, eio_errinfo *err, size_t offset)
{
    depth_ctx c = {max_depth};
    /* The walk only reads the tree; the cast is for the shared callback type. */
    int r = sio_visit((eio_json *)(uintptr_t)data, depth_fn, &c);
    if (r < 0) {
        return sio_fail(err, r, offset);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */
/* ------------------------------------------------------------------------ */

int sio_packet_decode(sio_version v, const uint8_t *buf, size_t len, const sio_limits *lim,
                      eio_arena *arena, sio_packet *out, eio_errinfo *err)
{
    if (arena == NULL || out == NULL) {
        return sio_fail(err, EIO_ERR_INVALID_ARGUMENT, 0);
    }
    memset(out, 0, sizeof *out);
    sio_header h;
    int rc = sio_header_parse(v, buf, len, lim, true, &h, err);
    if (rc < 0) {
        return rc;
    }
    eio_json *data = NULL;
    if (h.payload.len > 0) {
        size_t poff = (size_t)(h.payload.ptr - buf);
        eio_json_options o;
        o.max_depth = lim != NULL && lim->max_depth ? lim->max_depth : SIO_DEFAULT_MAX_DEPTH;
        o.max_size = h.payload.len;
        eio_errinfo je;
        rc = eio_json_parse(h.payload.ptr, h.payload.len, &o, arena, &data, &je);
        if (rc < 0) {
            if (rc == EIO_ERR_JSON_DEPTH) {
                return sio_fail(err, SIO_ERR_DEPTH, poff + je.offset);
            }
            if (err != NULL) {
                err->code = rc;
                err->msg = je.msg != NULL ? je.msg : eio_strerror(rc);
                err->offset = poff + je.offset;
            }
            return rc;
        }
        bool event = h.type == SIO_PACKET_EVENT || h.type == SIO_PACKET_BINARY_EVENT;
        size_t coff = event ? (size_t)(h.event.ptr - buf) : poff;
        rc = sio_check_payload(h.type, data, err, coff);
        if (rc < 0) {
            return rc;
        }
    }
    out->type = h.type;
    out->nsp = h.nsp;
    out->query = h.query;
    out->has_id = h.has_id;
    out->id = h.id;
    out->attachments = h.attachments;
    out->data = data;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct count_ctx {
    size_t binaries;
} count_ctx;

static int count_fn(void *ctx, eio_json *n, size_t depth)
{
    (void)depth;
    if (n->type == EIO_JSON_BINARY) {
        ((count_ctx *)ctx)->binaries++;
    }
    return 0;
}

typedef struct list_ctx {
    const eio_json **list;
    size_t cap;
    size_t n;
} list_ctx;

static int list_fn(void *ctx, eio_json *n, size_t depth)
{
    (void)depth;
    list_ctx *c = ctx;
    if (n->type == EIO_JSON_BINARY) {
        if (c->n < c->cap) {
            c->list[c->n] = n;
        }
        c->n++;
    }
    return 0;
}

size_t sio_packet_attachments(const sio_packet *p, const eio_json **list, size_t cap)
{
    if (p == NULL || p->data == NULL) {
        return 0;
    }
    list_ctx c = {list, list != NULL ? cap : 0, 0};
    (void)sio_visit(p->data, list_fn, &c);
    return c.n;
}

static size_t u64_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static uint8_t *put_u64(uint8_t *o, uint64_t v, size_t n)
{
    for (size_t k = n; k > 0; k--) {
        o[k - 1] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/* Valid UTF-8 without ',' (which would end the namespace early) and, when
   `no_q`, without '?' (which would start the query). */
static bool nsp_part_ok(const uint8_t *s, size_t n, bool no_q)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c == ',' || (no_q && c == '?')) {
                return false;
            }
            i++;
            continue;
        }
        int k = eio_utf8_step(s + i, n - i);
        if (k <= 0) {
            return false;
        }
        i += (size_t)k;
    }
    return true;
}

int sio_packet_encode(sio_version v, const sio_packet *p, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    if (p == NULL || out_len == NULL || (out == NULL && cap != 0) ||
        (v != SIO_V4 && v != SIO_V5)) {
        return sio_fail(NULL, EIO_ERR_INVALID_ARGUMENT, 0);
    }
    *out_len = 0;
    if ((unsigned)p->type > 6u) {
        return SIO_ERR_INVALID_TYPE;
    }
    bool main_nsp = p->nsp.ptr == NULL || p->nsp.len == 0 ||
                    (p->nsp.len == 1 && p->nsp.ptr[0] == '/');
    size_t qlen = p->query.ptr != NULL ? p->query.len : 0;
    if (!main_nsp && p->nsp.ptr[0] != '/') {
        return SIO_ERR_BAD_NAMESPACE;
    }
    /* In v4 a '?' in the name would be read back as the start of the query. */
    if (!main_nsp && !nsp_part_ok(p->nsp.ptr, p->nsp.len, v == SIO_V4)) {
        return SIO_ERR_BAD_NAMESPACE;
    }
    if (qlen > 0 && !nsp_part_ok(p->query.ptr, qlen, false)) {
        return SIO_ERR_BAD_NAMESPACE;
    }
    if (p->has_id && p->id > SIO_MAX_ACK_ID) {
        return SIO_ERR_BAD_ACK_ID;
    }

    /* As the reference encoder: a null or undefined payload is left out. */
    const eio_json *data = p->data;
    if (data != NULL && (data->type == EIO_JSON_NULL || data->type == EIO_JSON_UNDEFINED)) {
        data = NULL;
    }
    /* The type without attachments; the writer tells whether there are. */
    sio_packet_type type = p->type;
    if (type == SIO_PACKET_BINARY_EVENT) {
        type = SIO_PACKET_EVENT; /* "0-" is refused by every decoder */
    } else if (type == SIO_PACKET_BINARY_ACK) {
        type = SIO_PACKET_ACK;
    }
    bool can_attach = type == SIO_PACKET_EVENT || type == SIO_PACKET_ACK;
    int rc = sio_check_payload(type, data, NULL, 0);
    if (rc < 0) {
        /* Binary data in a packet that cannot carry attachments is the
           caller's mistake before it is a payload problem. */
        if (!can_attach && data != NULL) {
            count_ctx cc = {0};
            (void)sio_visit((eio_json *)(uintptr_t)data, count_fn, &cc);
            if (cc.binaries > 0) {
                return EIO_ERR_INVALID_ARGUMENT;
            }
        }
        return rc;
    }
    if (type == SIO_PACKET_EVENT) {
        /* JSON.stringify writes a non-finite name as null, which no decoder
           takes as an event name. */
        const eio_json *name = data->u.c.first;
        if (name->type == EIO_JSON_DOUBLE && !(name->u.d - name->u.d == 0.0)) {
            return SIO_ERR_EVENT_NAME;
        }
    }

    size_t nsp_len = 0;
    if (!main_nsp || qlen > 0) {
        nsp_len = (main_nsp ? 1 : p->nsp.len) + (qlen > 0 ? qlen + 1 : 0) + 1;
    }
    size_t id_len = p->has_id ? u64_len(p->id) : 0;
    size_t head = 1 + nsp_len + id_len;

    /* The JSON goes after the header as it would be without attachments;
       when the writer met binary nodes it moves up by the count's length. */
    size_t room = cap > head ? cap - head : 0;
    size_t json_len = 0;
    uint64_t binaries = 0;
    if (data != NULL) {
        json_len = eio_jsoni_write(data, room > 0 ? (char *)out + head : NULL, room, &binaries);
    }
    size_t att_len = 0;
    if (binaries > 0) {
        if (!can_attach) {
            return EIO_ERR_INVALID_ARGUMENT; /* only events and acks carry attachments */
        }
        type = type == SIO_PACKET_EVENT ? SIO_PACKET_BINARY_EVENT : SIO_PACKET_BINARY_ACK;
        att_len = u64_len(binaries) + 1;
    }
    size_t total = head + att_len + json_len;
    *out_len = total;
    if (total > cap) {
        return EIO_ERR_BUFFER_TOO_SMALL;
    }
    if (att_len > 0 && json_len > 0) {
        memmove(out + head + att_len, out + head, json_len);
    }
    uint8_t *o = out;
    *o++ = (uint8_t)('0' + (unsigned)type);
    if (att_len > 0) {
        o = put_u64(o, binaries, att_len - 1);
        *o++ = '-';
    }
    if (nsp_len > 0) {
        if (main_nsp) {
            *o++ = '/';
        } else {
            memcpy(o, p->nsp.ptr, p->nsp.len);
            o += p->nsp.len;
        }
        if (qlen > 0) {
            *o++ = '?';
            memcpy(o, p->query.ptr, qlen);
            o += qlen;
        }
        *o++ = ',';
    }
    if (p->has_id) {
        o = put_u64(o, p->id, id_len);
    }
    return 0;
}
