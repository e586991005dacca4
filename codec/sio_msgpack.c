/*
 * The Socket.IO msgpack parser on msgpack-c: reading through msgpack-c's
 * unpack template (callbacks build eio_json nodes straight into the
 * caller's arena, no msgpack_zone, strings and binaries point into the
 * input); writing with a small writer of its own that follows notepack.io's
 * choice of formats byte for byte. docs/msgpack.md describes the wire format.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include <msgpack.h>

#include "sioc/eio.h"
#include "sioc/sio_msgpack.h"
#include "eio_json_internal.h"
#include "sio_internal.h"

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * One decoded value while the template holds it. Strings stay bare (node
 * NULL) until they turn out not to be map keys, so keys cost no node.
 * `ord` numbers values in document order: errors found after the fact are
 * located by walking the input to that ordinal (mp_offset_of).
 */
typedef struct mp_obj {
    eio_json *node;
    const char *s;
    uint32_t slen;
    uint32_t ord;
} mp_obj;

/* Deepest container nesting the template can hold (root map included). */
#define MP_STACK 160

typedef struct mp_user {
    eio_arena *arena;
    const char *base;
    uint32_t ord;          /* next value's ordinal */
    uint32_t depth;        /* containers open */
    uint32_t max_depth;    /* containers allowed open, root map included */
    uint32_t remaining[MP_STACK];
    eio_json *root;
    int err;               /* set by a callback that fails */
    bool err_has_off;
    size_t err_off;        /* when err_has_off */
    uint32_t err_ord;      /* otherwise */
    /* the root map's members the packet needs (last duplicate wins) */
    bool has_type, has_nsp, has_data, has_id;
    mp_obj type, nsp, data, id;
} mp_user;

static int mp_fail_ord(mp_user *u, int code, uint32_t ord)
{
    u->err = code;
    u->err_has_off = false;
    u->err_ord = ord;
    return -1;
}

/* Node size rounded for the arena's bump allocation. */
#define MP_NODE_SIZE ((sizeof(eio_json) + 7u) & ~(size_t)7u)

static eio_json *mp_node(mp_user *u, uint8_t type, mp_obj *o)
{
    eio_json *n = eio_arena_bump(u->arena, MP_NODE_SIZE);
    o->s = NULL;
    o->slen = 0;
    o->ord = u->ord++;
    o->node = n;
    if (n == NULL) {
        mp_fail_ord(u, EIO_ERR_NOMEM, o->ord);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

/* A bare string becomes a node when it is a value, not a key. */
static eio_json *mp_materialize(mp_user *u, mp_obj *o)
{
    if (o->node != NULL) {
        return o->node;
    }
    eio_json *n = eio_arena_bump(u->arena, MP_NODE_SIZE);
    if (n == NULL) {
        mp_fail_ord(u, EIO_ERR_NOMEM, o->ord);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = EIO_JSON_STRING;
    n->u.str.ptr = o->s;
    n->u.str.len = o->slen;
    o->node = n;
    return n;
}

static mp_obj mp_cb_root(mp_user *u)
{
    (void)u;
    mp_obj o = {NULL, NULL, 0, 0};
    return o;
}

static int mp_int(mp_user *u, int64_t v, mp_obj *o)
{
    eio_json *n = mp_node(u, EIO_JSON_INT, o);
    if (n == NULL) {
        return -1;
    }
    n->u.i = v;
    return 0;
}

static int mp_cb_uint8(mp_user *u, uint8_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_uint16(mp_user *u, uint16_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_uint32(mp_user *u, uint32_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_int8(mp_user *u, int8_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_int16(mp_user *u, int16_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_int32(mp_user *u, int32_t d, mp_obj *o) { return mp_int(u, d, o); }
static int mp_cb_int64(mp_user *u, int64_t d, mp_obj *o) { return mp_int(u, d, o); }

static int mp_cb_double(mp_user *u, double d, mp_obj *o)
{
    eio_json *n = mp_node(u, EIO_JSON_DOUBLE, o);
    if (n == NULL) {
        return -1;
    }
    n->u.d = d;
    return 0;
}

static int mp_cb_float(mp_user *u, float d, mp_obj *o) { return mp_cb_double(u, d, o); }

static int mp_cb_uint64(mp_user *u, uint64_t d, mp_obj *o)
{
    /* Above int64 only a double can hold it, as JavaScript's number does. */
    if (d > (uint64_t)INT64_MAX) {
        return mp_cb_double(u, (double)d, o);
    }
    return mp_int(u, (int64_t)d, o);
}

static int mp_cb_nil(mp_user *u, mp_obj *o)
{
    return mp_node(u, EIO_JSON_NULL, o) == NULL ? -1 : 0;
}

static int mp_bool(mp_user *u, bool b, mp_obj *o)
{
    eio_json *n = mp_node(u, EIO_JSON_BOOL, o);
    if (n == NULL) {
        return -1;
    }
    n->u.b = b;
    return 0;
}

static int mp_cb_true(mp_user *u, mp_obj *o) { return mp_bool(u, true, o); }
static int mp_cb_false(mp_user *u, mp_obj *o) { return mp_bool(u, false, o); }

/* Opens a container: enforces the depth limit before the template's own. */
static int mp_open(mp_user *u, uint8_t type, unsigned int n, mp_obj *o)
{
    uint32_t ord = u->ord;
    if (u->depth + 1 > u->max_depth) {
        return mp_fail_ord(u, SIO_ERR_DEPTH, ord);
    }
    eio_json *node = mp_node(u, type, o);
    if (node == NULL) {
        return -1;
    }
    if (u->root == NULL) {
        u->root = node;
    }
    if (n > 0) {
        u->remaining[u->depth++] = n;
    }
    return 0;
}

static void mp_item_done(mp_user *u)
{
    if (--u->remaining[u->depth - 1] == 0) {
        u->depth--;
    }
}

static int mp_cb_array(mp_user *u, unsigned int n, mp_obj *o)
{
    return mp_open(u, EIO_JSON_ARRAY, n, o);
}

static int mp_cb_map(mp_user *u, unsigned int n, mp_obj *o)
{
    return mp_open(u, EIO_JSON_OBJECT, n, o);
}

static void mp_link(eio_json *parent, eio_json *child)
{
    if (parent->u.c.last == NULL) {
        parent->u.c.first = child;
    } else {
        parent->u.c.last->next = child;
    }
    parent->u.c.last = child;
    parent->u.c.count++;
}

static int mp_cb_array_item(mp_user *u, mp_obj *c, mp_obj o)
{
    eio_json *child = mp_materialize(u, &o);
    if (child == NULL) {
        return -1;
    }
    mp_link(c->node, child);
    mp_item_done(u);
    return 0;
}

static bool mp_key_is(const mp_obj *k, const char *name, size_t len)
{
    return k->slen == len && memcmp(k->s, name, len) == 0;
}

static int mp_cb_map_item(mp_user *u, mp_obj *c, mp_obj k, mp_obj v)
{
    /* JavaScript would turn any key into a string; a tree key must be one. */
    if (k.node != NULL) {
        return mp_fail_ord(u, SIO_ERR_MSGPACK_UNSUPPORTED, k.ord);
    }
    mp_item_done(u);
    if (c->node == u->root) {
        /* The packet's own fields are kept apart; other keys are ignored. */
        if (mp_key_is(&k, "type", 4)) {
            u->has_type = true;
            u->type = v;
        } else if (mp_key_is(&k, "nsp", 3)) {
            u->has_nsp = true;
            u->nsp = v;
        } else if (mp_key_is(&k, "data", 4)) {
            u->has_data = true;
            u->data = v;
        } else if (mp_key_is(&k, "id", 2)) {
            u->has_id = true;
            u->id = v;
        }
        return 0;
    }
    eio_json *child = mp_materialize(u, &v);
    if (child == NULL) {
        return -1;
    }
    child->key = k.s;
    child->key_len = k.slen;
    mp_link(c->node, child);
    return 0;
}

static int mp_cb_str(mp_user *u, const char *b, const char *p, unsigned int l, mp_obj *o)
{
    size_t bad = 0;
    o->node = NULL;
    o->s = p;
    o->slen = l;
    o->ord = u->ord++;
    /* Keys and short words are ASCII: checked here without a call. */
    if (l <= 32) {
        uint8_t high = 0;
        for (unsigned int i = 0; i < l; i++) {
            high |= (uint8_t)p[i];
        }
        if (high < 0x80) {
            return 0;
        }
    }
    if (eio_utf8_validate((const uint8_t *)p, l, &bad) != 0) {
        u->err = EIO_ERR_INVALID_UTF8;
        u->err_has_off = true;
        u->err_off = (size_t)(p - b) + bad;
        return -1;
    }
    return 0;
}

static int mp_cb_bin(mp_user *u, const char *b, const char *p, unsigned int l, mp_obj *o)
{
    (void)b;
    eio_json *n = mp_node(u, EIO_JSON_BINARY, o);
    if (n == NULL) {
        return -1;
    }
    n->u.str.ptr = p;
    n->u.str.len = l;
    return 0;
}

/* Data length of fixext header byte h (0xd4-0xd8), or 0 for other bytes. */
static unsigned int mp_fixext_len(uint8_t h)
{
    return (h >= 0xd4 && h <= 0xd8) ? 1u << (h - 0xd4) : 0;
}

/*
 * `p` is the type byte, `l` counts it plus the data. notepack.io writes
 * undefined as fixext 1 type 0 and Node's ArrayBuffers and typed arrays
 * as ext 8/16/32 type 0; its decoder turns fixext 8 type 0 into a Date and
 * other fixext type 0 or other types into [type, Buffer], which a tree
 * cannot say, so those are refused.
 */
static int mp_cb_ext(mp_user *u, const char *b, const char *p, unsigned int l, mp_obj *o)
{
    uint32_t ord = u->ord;
    if ((int8_t)p[0] != 0) {
        return mp_fail_ord(u, SIO_ERR_MSGPACK_UNSUPPORTED, ord);
    }
    /* An ext 8 length byte in 0xd4-0xd8 means 212+ bytes, never a fixext size. */
    bool fixext = p > b && mp_fixext_len((uint8_t)p[-1]) == l - 1;
    if (fixext) {
        if (l - 1 != 1) {
            return mp_fail_ord(u, SIO_ERR_MSGPACK_UNSUPPORTED, ord);
        }
        return mp_node(u, EIO_JSON_UNDEFINED, o) == NULL ? -1 : 0;
    }
    eio_json *n = mp_node(u, EIO_JSON_BINARY, o);
    if (n == NULL) {
        return -1;
    }
    n->u.str.ptr = p + 1;
    n->u.str.len = l - 1;
    return 0;
}

#define MSGPACK_EMBED_STACK_SIZE MP_STACK
#include <msgpack/unpack_define.h>
#define msgpack_unpack_struct(name) struct mp_template##name
#define msgpack_unpack_func(ret, name) static ret mp_template##name
#define msgpack_unpack_callback(name) mp_cb##name
#define msgpack_unpack_object mp_obj
#define msgpack_unpack_user mp_user
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <msgpack/unpack_template.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static uint32_t mp_load_be(const uint8_t *p, unsigned int n)
{
    uint32_t v = 0;
    for (unsigned int i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/*
 * Offset of the value numbered `ord` (document order). Values before it
 * were read by the template, so their headers are whole; the walk still
 * stops at `len`. Containers contribute only their header: their children
 * follow them in document order.
 */
static size_t mp_offset_of(const uint8_t *buf, size_t len, uint32_t ord)
{
    size_t pos = 0;
    for (uint32_t k = 0; k < ord && pos < len; k++) {
        uint8_t h = buf[pos];
        size_t head = 1, body = 0;
        if (h >= 0xa0 && h <= 0xbf) {
            body = h & 0x1fu;
        } else if (h >= 0xc4 && h <= 0xc6) { /* bin */
            head = 1 + (1u << (h - 0xc4));
            body = pos + head <= len ? mp_load_be(buf + pos + 1, (unsigned int)head - 1) : 0;
        } else if (h >= 0xc7 && h <= 0xc9) { /* ext */
            head = 2 + (1u << (h - 0xc7));
            body = pos + head <= len ? mp_load_be(buf + pos + 1, (unsigned int)head - 2) : 0;
        } else if (h >= 0xca && h <= 0xd3) {
            static const uint8_t sz[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
            body = sz[h - 0xca];
        } else if (h >= 0xd4 && h <= 0xd8) {
            body = 1 + mp_fixext_len(h);
        } else if (h >= 0xd9 && h <= 0xdb) { /* str */
            head = 1 + (1u << (h - 0xd9));
            body = pos + head <= len ? mp_load_be(buf + pos + 1, (unsigned int)head - 1) : 0;
        } else if (h == 0xdc || h == 0xde) {
            head = 3;
        } else if (h == 0xdd || h == 0xdf) {
            head = 5;
        }
        if (head + body > len - pos) {
            return len;
        }
        pos += head + body;
    }
    return pos < len ? pos : len;
}

static int mp_shift(eio_errinfo *err, int rc, size_t by)
{
    if (err != NULL) {
        err->offset += by;
    }
    return rc;
}

static size_t mp_ord_offset(const uint8_t *buf, size_t len, bool has, const mp_obj *o)
{
    return has ? mp_offset_of(buf, len, o->ord) : 0;
}

/* Math.floor(d) === d for a finite d, without libm. */
static bool mp_integral(double d)
{
    if (!isfinite(d)) {
        return false;
    }
    if (fabs(d) >= 9007199254740992.0) {
        return true; /* no fraction bits left */
    }
    return (double)(int64_t)d == d;
}

/* JavaScript's Number.isInteger on a tree number, as int64 when in range. */
static bool mp_integer(const eio_json *n, int64_t *out)
{
    if (n == NULL) {
        return false;
    }
    if (n->type == EIO_JSON_INT) {
        *out = n->u.i;
        return true;
    }
    if (n->type == EIO_JSON_DOUBLE && mp_integral(n->u.d)) {
        if (n->u.d >= 9223372036854775808.0) {
            *out = INT64_MAX;
        } else if (n->u.d < -9223372036854775808.0) {
            *out = INT64_MIN;
        } else {
            *out = (int64_t)n->u.d;
        }
        return true;
    }
    return false;
}

int sio_msgpack_decode(const uint8_t *buf, size_t len, const sio_limits *lim_in,
                       eio_arena *arena, sio_packet *out, eio_errinfo *err)
{
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    if ((buf == NULL && len > 0) || arena == NULL || out == NULL) {
        return sio_fail(err, EIO_ERR_INVALID_ARGUMENT, 0);
    }
    sio_limits lim;
    sio_limits_resolve(lim_in, &lim);
    if (len > lim.max_packet) {
        return sio_fail(err, SIO_ERR_PACKET_TOO_LARGE, lim.max_packet);
    }
    if (len == 0) {
        return sio_fail(err, SIO_ERR_MSGPACK_INVALID, 0);
    }
    if (!((buf[0] >= 0x80 && buf[0] <= 0x8f) || buf[0] == 0xde || buf[0] == 0xdf)) {
        return sio_fail(err, SIO_ERR_MSGPACK_NOT_MAP, 0);
    }

    struct mp_template_context ctx;
    (void)mp_template_data; /* the root is taken from the callbacks */
    mp_template_init(&ctx);
    mp_user *u = &ctx.user;
    u->arena = arena;
    u->base = (const char *)buf;
    u->ord = 0;
    u->depth = 0;
    /* the root map plus max_depth levels of payload */
    size_t md = lim.max_depth + 1;
    u->max_depth = md < MP_STACK ? (uint32_t)md : MP_STACK;
    u->root = NULL;
    u->err = 0;
    u->has_type = u->has_nsp = u->has_data = u->has_id = false;

    size_t off = 0;
    int ret = mp_template_execute(&ctx, (const char *)buf, len, &off);
    if (ret < 0) {
        if (u->err != 0) {
            size_t at = u->err_has_off ? u->err_off : mp_offset_of(buf, len, u->err_ord);
            return sio_fail(err, u->err, at);
        }
        if (ret == MSGPACK_UNPACK_NOMEM_ERROR) { /* the template's stack is full */
            return sio_fail(err, SIO_ERR_DEPTH, mp_offset_of(buf, len, u->ord));
        }
        return sio_fail(err, SIO_ERR_MSGPACK_INVALID, off);
    }
    if (ret == 0) {
        return sio_fail(err, SIO_ERR_MSGPACK_INVALID, len);
    }
    if (off < len) {
        return sio_fail(err, SIO_ERR_MSGPACK_TRAILING, off);
    }

    /* The reference's checkPacket, in its order: type, nsp, data, id. */
    int64_t type = -1;
    if (!u->has_type || !mp_integer(u->type.node, &type) || type < 0 ||
        type > SIO_PACKET_CONNECT_ERROR) {
        return sio_fail(err, SIO_ERR_INVALID_TYPE, mp_ord_offset(buf, len, u->has_type, &u->type));
    }
    if (!u->has_nsp || u->nsp.node != NULL) {
        return sio_fail(err, SIO_ERR_BAD_NAMESPACE, mp_ord_offset(buf, len, u->has_nsp, &u->nsp));
    }
    /* strings were checked for UTF-8 as they were read */
    /* The checks report relative to the offset given; locating a value
       walks the input, so it is done only when a check fails. */
    int rc = sio_check_namespace((const uint8_t *)u->nsp.s, u->nsp.slen, 0, &lim, err, 0);
    if (rc != 0) {
        return mp_shift(err, rc, mp_offset_of(buf, len, u->nsp.ord));
    }
    eio_json *data = NULL;
    if (u->has_data) {
        data = mp_materialize(u, &u->data);
        if (data == NULL) {
            return sio_fail(err, EIO_ERR_NOMEM, mp_offset_of(buf, len, u->data.ord));
        }
    }
    uint32_t data_ord = u->data.ord;
    if (u->has_data && (type == SIO_PACKET_EVENT) && data->type == EIO_JSON_ARRAY &&
        data->u.c.count > 0) {
        data_ord++; /* event name problems point at the name */
    }
    rc = sio_check_payload((sio_packet_type)type, data, err, 0);
    if (rc != 0) {
        return mp_shift(err, rc, u->has_data ? mp_offset_of(buf, len, data_ord) : 0);
    }
    int64_t id = 0;
    bool has_id = u->has_id && u->id.node != NULL && u->id.node->type != EIO_JSON_UNDEFINED;
    if (has_id && (!mp_integer(u->id.node, &id) || id < 0 || (uint64_t)id > SIO_MAX_ACK_ID)) {
        return sio_fail(err, SIO_ERR_BAD_ACK_ID, mp_offset_of(buf, len, u->id.ord));
    }
    if (u->has_id && !has_id && u->id.node == NULL) { /* a string id */
        return sio_fail(err, SIO_ERR_BAD_ACK_ID, mp_offset_of(buf, len, u->id.ord));
    }

    out->type = (sio_packet_type)type;
    out->nsp.ptr = (const uint8_t *)u->nsp.s;
    out->nsp.len = u->nsp.slen;
    out->has_id = has_id;
    out->id = has_id ? (uint64_t)id : 0;
    out->data = data;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * The writer puts bytes straight into the caller's buffer; once something
 * does not fit it only counts, so the caller learns the size needed.
 * Formats are notepack.io's (docs/msgpack.md), which for headers are the
 * smallest ones but for never writing a positive integer in a signed format.
 */
typedef struct mp_out {
    uint8_t *buf;
    size_t cap;
    size_t len; /* bytes the whole packet needs so far */
    uint8_t spill[16]; /* where headers go once the buffer is full */
} mp_out;

/* Room for a header of n <= 16 bytes at the current position. */
static inline uint8_t *mp_head(mp_out *o, size_t n)
{
    uint8_t *p = o->len <= o->cap && n <= o->cap - o->len ? o->buf + o->len : o->spill;
    o->len += n;
    return p;
}

static inline void mp_body(mp_out *o, const void *b, size_t n)
{
    if (o->len <= o->cap && n <= o->cap - o->len) {
        if (n > 0) {
            memcpy(o->buf + o->len, b, n);
        }
    }
    o->len += n;
}

static inline void mp_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void mp_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void mp_be64(uint8_t *p, uint64_t v)
{
    mp_be32(p, (uint32_t)(v >> 32));
    mp_be32(p + 4, (uint32_t)v);
}

static inline void mp_byte(mp_out *o, uint8_t b)
{
    *mp_head(o, 1) = b;
}

/* One byte of tag, then a big-endian length of 1, 2 or 4 bytes by size;
   below `fix` the length goes into the tag byte `fixtag` instead. */
static inline void mp_len(mp_out *o, size_t n, size_t fix, uint8_t fixtag, uint8_t tag8,
                          uint8_t tag16, uint8_t tag32)
{
    if (n < fix) {
        mp_byte(o, (uint8_t)(fixtag | n));
    } else if (n < 256 && tag8 != 0) {
        uint8_t *p = mp_head(o, 2);
        p[0] = tag8;
        p[1] = (uint8_t)n;
    } else if (n < 65536) {
        uint8_t *p = mp_head(o, 3);
        p[0] = tag16;
        mp_be16(p + 1, (uint16_t)n);
    } else {
        uint8_t *p = mp_head(o, 5);
        p[0] = tag32;
        mp_be32(p + 1, (uint32_t)n);
    }
}

static inline void mp_str(mp_out *o, const void *s, size_t n)
{
    mp_len(o, n, 32, 0xa0, 0xd9, 0xda, 0xdb);
    mp_body(o, s, n);
}

/* Deepest tree the encoder follows (it recurses). */
#define MP_ENCODE_MAX_DEPTH 1000

static void mp_pack_int(mp_out *o, int64_t v)
{
    uint8_t *p;
    if (v >= 0) {
        if (v < 0x80) {
            mp_byte(o, (uint8_t)v);
        } else if (v < 0x100) {
            p = mp_head(o, 2);
            p[0] = 0xcc;
            p[1] = (uint8_t)v;
        } else if (v < 0x10000) {
            p = mp_head(o, 3);
            p[0] = 0xcd;
            mp_be16(p + 1, (uint16_t)v);
        } else if (v < INT64_C(0x100000000)) {
            p = mp_head(o, 5);
            p[0] = 0xce;
            mp_be32(p + 1, (uint32_t)v);
        } else {
            p = mp_head(o, 9);
            p[0] = 0xcf;
            mp_be64(p + 1, (uint64_t)v);
        }
    } else if (v >= -0x20) {
        mp_byte(o, (uint8_t)(int8_t)v);
    } else if (v >= -0x80) {
        p = mp_head(o, 2);
        p[0] = 0xd0;
        p[1] = (uint8_t)(int8_t)v;
    } else if (v >= -0x8000) {
        p = mp_head(o, 3);
        p[0] = 0xd1;
        mp_be16(p + 1, (uint16_t)(int16_t)v);
    } else if (v >= -INT64_C(0x80000000)) {
        p = mp_head(o, 5);
        p[0] = 0xd2;
        mp_be32(p + 1, (uint32_t)(int32_t)v);
    } else {
        p = mp_head(o, 9);
        p[0] = 0xd3;
        mp_be64(p + 1, (uint64_t)v);
    }
}

static void mp_float64(mp_out *o, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    uint8_t *p = mp_head(o, 9);
    p[0] = 0xcb;
    mp_be64(p + 1, bits);
}

static void mp_pack_double(mp_out *o, double d)
{
    if (!mp_integral(d)) {
        mp_float64(o, isnan(d) ? (double)NAN : d);
        return;
    }
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        mp_pack_int(o, (int64_t)d); /* -0 becomes 0, as in notepack.io */
        return;
    }
    if (d > 0 && d < 18446744073709551616.0) {
        uint8_t *p = mp_head(o, 9);
        p[0] = 0xcf;
        mp_be64(p + 1, (uint64_t)d);
        return;
    }
    /* notepack.io would write these as 64-bit integers modulo 2^64, which
       changes the number; float 64 keeps it. */
    mp_float64(o, d);
}

static int mp_pack_value(mp_out *o, const eio_json *v, int depth)
{
    switch (v->type) {
    case EIO_JSON_NULL:
        mp_byte(o, 0xc0);
        return 0;
    case EIO_JSON_BOOL:
        mp_byte(o, v->u.b ? 0xc3 : 0xc2);
        return 0;
    case EIO_JSON_INT:
        mp_pack_int(o, v->u.i);
        return 0;
    case EIO_JSON_DOUBLE:
        mp_pack_double(o, v->u.d);
        return 0;
    case EIO_JSON_STRING:
        mp_str(o, v->u.str.ptr, v->u.str.len);
        return 0;
    case EIO_JSON_BINARY:
        mp_len(o, v->u.str.len, 0, 0, 0xc4, 0xc5, 0xc6);
        mp_body(o, v->u.str.ptr, v->u.str.len);
        return 0;
    case EIO_JSON_UNDEFINED: {
        uint8_t *p = mp_head(o, 3); /* fixext 1, type 0, data 0 */
        p[0] = 0xd4;
        p[1] = 0;
        p[2] = 0;
        return 0;
    }
    case EIO_JSON_ARRAY:
    case EIO_JSON_OBJECT:
        break;
    default:
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (depth >= MP_ENCODE_MAX_DEPTH) {
        return SIO_ERR_DEPTH;
    }
    bool object = v->type == EIO_JSON_OBJECT;
    if (object) {
        mp_len(o, v->u.c.count, 16, 0x80, 0, 0xde, 0xdf);
    } else {
        mp_len(o, v->u.c.count, 16, 0x90, 0, 0xdc, 0xdd);
    }
    size_t n = 0;
    for (const eio_json *c = v->u.c.first; c != NULL; c = c->next, n++) {
        if (object) {
            /* notepack.io 2.2 keeps members whose value is undefined */
            mp_str(o, c->key, c->key_len);
        }
        int rc = mp_pack_value(o, c, depth + 1);
        if (rc != 0) {
            return rc;
        }
    }
    return n == v->u.c.count ? 0 : EIO_ERR_INVALID_ARGUMENT;
}

int sio_msgpack_encode(const sio_packet *p, uint8_t *out, size_t cap, size_t *out_len)
{
    if (p == NULL || out_len == NULL || (out == NULL && cap > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    *out_len = 0;
    sio_packet_type type = p->type;
    if (type == SIO_PACKET_BINARY_EVENT) {
        type = SIO_PACKET_EVENT;
    } else if (type == SIO_PACKET_BINARY_ACK) {
        type = SIO_PACKET_ACK;
    }
    if ((int)type < 0 || type > SIO_PACKET_CONNECT_ERROR) {
        return SIO_ERR_INVALID_TYPE;
    }
    const char *nsp = "/";
    size_t nsp_len = 1;
    if (p->nsp.ptr != NULL && p->nsp.len > 0) {
        nsp = (const char *)p->nsp.ptr;
        nsp_len = p->nsp.len;
    }
    /* msgpack is Socket.IO v5 only: a namespace has no query there */
    if (nsp[0] != '/' || p->query.len > 0 ||
        eio_utf8_validate((const uint8_t *)nsp, nsp_len, NULL) != 0) {
        return SIO_ERR_BAD_NAMESPACE;
    }
    if (p->has_id && p->id > SIO_MAX_ACK_ID) {
        return SIO_ERR_BAD_ACK_ID;
    }
    int rc = sio_check_payload(type, p->data, NULL, 0);
    if (rc != 0) {
        return rc;
    }

    mp_out o;
    o.buf = out;
    o.cap = cap;
    o.len = 0;
    /* The order in which socket.io's server builds each packet object:
       ACK {id, type, data, nsp}, the others {type, data, id, nsp}. */
    mp_byte(&o, (uint8_t)(0x80 | (2 + (p->data != NULL) + p->has_id)));
    if (type == SIO_PACKET_ACK && p->has_id) {
        mp_body(&o, "\xa2id", 3);
        mp_pack_int(&o, (int64_t)p->id);
    }
    uint8_t *t = mp_head(&o, 6);
    memcpy(t, "\xa4type", 5);
    t[5] = (uint8_t)type; /* 0-4: a positive fixint */
    if (p->data != NULL) {
        mp_body(&o, "\xa4" "data", 5);
        rc = mp_pack_value(&o, p->data, 0);
        if (rc != 0) {
            return rc;
        }
    }
    if (type != SIO_PACKET_ACK && p->has_id) {
        mp_body(&o, "\xa2id", 3);
        mp_pack_int(&o, (int64_t)p->id);
    }
    mp_body(&o, "\xa3nsp", 4);
    mp_str(&o, nsp, nsp_len);

    *out_len = o.len;
    return o.len <= cap ? 0 : EIO_ERR_BUFFER_TOO_SMALL;
}

bool sio_msgpack_available(void)
{
    return true;
}
