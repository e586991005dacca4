/* Socket.IO packets as JSON lines: printing decoded packets, reading packets to encode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "sioc_sio.h"

bool sioc_sio_type_like(const char *name, size_t len)
{
    return len > 0 && name[0] >= 'A' && name[0] <= 'Z';
}

int sioc_sio_type_from_name(sio_version v, const char *name, size_t len)
{
    for (int t = SIO_PACKET_CONNECT; t <= SIO_PACKET_BINARY_ACK; t++) {
        const char *n = sio_packet_type_name(t);
        if (n != NULL && strlen(n) == len && memcmp(n, name, len) == 0) {
            return t;
        }
    }
    if (v == SIO_V4 && len == 5 && memcmp(name, "ERROR", 5) == 0) {
        return SIO_PACKET_CONNECT_ERROR;
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Printing                                                                  */
/* ------------------------------------------------------------------------ */

/* JavaScript lists an object's canonical array-index keys ("0" to
 * "4294967294") first, in numeric order, whatever order they came in. */
static bool array_index(const char *key, size_t len, uint32_t *value)
{
    if (len == 0 || len > 10 || (len > 1 && key[0] == '0')) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (key[i] < '0' || key[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(key[i] - '0');
    }
    if (v >= 4294967295u) {
        return false;
    }
    *value = (uint32_t)v;
    return true;
}

typedef struct member_ref {
    const eio_json *m;
    size_t pos;
    uint32_t index;
    bool is_index;
} member_ref;

static int cmp_key_pos(const void *a, const void *b)
{
    const member_ref *x = a;
    const member_ref *y = b;
    size_t n = x->m->key_len < y->m->key_len ? x->m->key_len : y->m->key_len;
    int c = n > 0 ? memcmp(x->m->key, y->m->key, n) : 0;
    if (c != 0) {
        return c;
    }
    if (x->m->key_len != y->m->key_len) {
        return x->m->key_len < y->m->key_len ? -1 : 1;
    }
    return x->pos < y->pos ? -1 : (x->pos > y->pos ? 1 : 0);
}

static int cmp_index(const void *a, const void *b)
{
    const member_ref *x = a;
    const member_ref *y = b;
    return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

static int cmp_pos(const void *a, const void *b)
{
    const member_ref *x = a;
    const member_ref *y = b;
    return x->pos < y->pos ? -1 : (x->pos > y->pos ? 1 : 0);
}

static void print_value(sioc_jbuf *b, const eio_json *v);

/* Socket.IO payloads are JavaScript values, whose numbers are doubles: an
 * integer beyond 2^53 exists on a JavaScript peer only as the double nearest
 * to it, which is what JSON.stringify prints and JSON.parse reads back. */
#define JS_SAFE_INT 9007199254740992LL

static bool js_unsafe_int(const eio_json *v)
{
    return v->type == EIO_JSON_INT && (v->u.i > JS_SAFE_INT || v->u.i < -JS_SAFE_INT);
}

static void print_object(sioc_jbuf *b, const eio_json *o)
{
    size_t n = o->u.c.count;
    if (n == 0 || o->u.c.first == NULL) {
        sioc_jbuf_lit(b, "{}");
        return;
    }
    member_ref *refs = calloc(2 * n, sizeof *refs);
    if (refs == NULL) {
        b->nomem = true;
        return;
    }
    size_t k = 0;
    for (const eio_json *m = o->u.c.first; m != NULL && k < n; m = m->next, k++) {
        refs[k].m = m;
        refs[k].pos = k;
    }
    n = k;
    /* Duplicates: the first place, the last value (as JSON.parse leaves
     * them). After sorting by key, each run of equal keys keeps one ref. */
    qsort(refs, n, sizeof *refs, cmp_key_pos);
    size_t kept = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && refs[j].m->key_len == refs[i].m->key_len &&
               (refs[i].m->key_len == 0 ||
                memcmp(refs[j].m->key, refs[i].m->key, refs[i].m->key_len) == 0)) {
            j++;
        }
        member_ref r = refs[i];
        r.m = refs[j - 1].m;
        r.is_index = array_index(r.m->key, r.m->key_len, &r.index);
        refs[kept++] = r;
        i = j;
    }
    /* Index keys first by value, then the others in their order. */
    qsort(refs, kept, sizeof *refs, cmp_pos);
    member_ref *sorted = refs + n;
    size_t n_index = 0;
    for (size_t i = 0; i < kept; i++) {
        if (refs[i].is_index) {
            sorted[n_index++] = refs[i];
        }
    }
    qsort(sorted, n_index, sizeof *refs, cmp_index);
    for (size_t i = 0, o2 = n_index; i < kept; i++) {
        if (!refs[i].is_index) {
            sorted[o2++] = refs[i];
        }
    }

    sioc_jbuf_lit(b, "{");
    for (size_t i = 0; i < kept && !b->nomem; i++) {
        if (i > 0) {
            sioc_jbuf_lit(b, ",");
        }
        sioc_jbuf_string(b, (const uint8_t *)sorted[i].m->key, sorted[i].m->key_len);
        sioc_jbuf_lit(b, ":");
        print_value(b, sorted[i].m);
    }
    sioc_jbuf_lit(b, "}");
    free(refs);
}

static void print_value(sioc_jbuf *b, const eio_json *v)
{
    if (sioc_jbuf_marker(b, v)) {
        return;
    }
    switch (v->type) {
    case EIO_JSON_ARRAY:
        sioc_jbuf_lit(b, "[");
        for (const eio_json *e = v->u.c.first; e != NULL && !b->nomem; e = e->next) {
            if (e != v->u.c.first) {
                sioc_jbuf_lit(b, ",");
            }
            print_value(b, e);
        }
        sioc_jbuf_lit(b, "]");
        break;
    case EIO_JSON_OBJECT:
        print_object(b, v);
        break;
    default:
        if (js_unsafe_int(v)) {
            char num[EIO_JSON_NUMBER_MAX];
            sioc_jbuf_raw(b, num, eio_json_format_double((double)v->u.i, num));
        } else {
            sioc_jbuf_json(b, v);
        }
        break;
    }
}

void sioc_sio_print_packet(sioc_jbuf *b, sio_version v, const sio_packet *p)
{
    const char *name = sio_packet_type_name((int)p->type);
    sioc_jbuf_lit(b, "{\"type\":\"");
    sioc_jbuf_lit(b, name != NULL ? name : "UNKNOWN");
    sioc_jbuf_lit(b, "\",\"nsp\":");
    if (p->nsp.ptr != NULL && p->nsp.len > 0) {
        sioc_jbuf_string(b, p->nsp.ptr, p->nsp.len);
    } else {
        sioc_jbuf_lit(b, "\"/\"");
    }
    if (v == SIO_V4 && p->query.ptr != NULL && p->query.len > 0) {
        sioc_jbuf_lit(b, ",\"query\":");
        sioc_jbuf_string(b, p->query.ptr, p->query.len);
    }
    if (p->has_id) {
        sioc_jbuf_lit(b, ",\"id\":");
        sioc_jbuf_uint(b, p->id);
    }
    if (p->data != NULL) {
        sioc_jbuf_lit(b, ",\"data\":");
        print_value(b, p->data);
    }
    sioc_jbuf_lit(b, "}");
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

/* Rebuilding "data" walks the tree and, beside it, the line's text, so that
 * an error deep inside points at its own value. The text was accepted by
 * the JSON reader; should the walk ever disagree with the tree (a key
 * written with escapes hides "data" from sioc_jsonl_member_offset), errors
 * fall back to the offset of "data". */
#define LOST SIZE_MAX

typedef struct conv {
    const uint8_t *s;
    size_t n;
    size_t fallback;
    eio_arena *arena;
    eio_errinfo *err;
} conv;

static int conv_fail(conv *c, int code, size_t pos, const char *msg)
{
    c->err->code = code;
    c->err->offset = pos == LOST ? c->fallback : pos;
    c->err->msg = msg;
    return code;
}

static bool starts_as(const conv *c, size_t pos, const eio_json *v)
{
    if (pos == LOST || pos >= c->n) {
        return false;
    }
    uint8_t ch = c->s[pos];
    switch (v->type) {
    case EIO_JSON_OBJECT:
        return ch == '{';
    case EIO_JSON_ARRAY:
        return ch == '[';
    case EIO_JSON_STRING:
        return ch == '"';
    case EIO_JSON_NULL:
        return ch == 'n';
    case EIO_JSON_BOOL:
        return ch == 't' || ch == 'f';
    default:
        return ch == '-' || (ch >= '0' && ch <= '9');
    }
}

/* Position of the first child of the container at `pos`, or of the next
 * one after the child ending at `pos`; for objects, of the member's value. */
static size_t next_child(const conv *c, size_t pos, bool object)
{
    if (pos == LOST) {
        return LOST;
    }
    size_t i = sioc_json_skip_ws(c->s, c->n, pos);
    if (object) {
        if (i >= c->n || c->s[i] != '"') {
            return LOST;
        }
        i = sioc_json_skip_ws(c->s, c->n, sioc_json_skip_string(c->s, c->n, i));
        if (i >= c->n || c->s[i] != ':') {
            return LOST;
        }
        i = sioc_json_skip_ws(c->s, c->n, i + 1);
    }
    return i < c->n ? i : LOST;
}

static size_t after_child(const conv *c, size_t pos)
{
    if (pos == LOST) {
        return LOST;
    }
    size_t i = sioc_json_skip_ws(c->s, c->n, sioc_json_skip_value(c->s, c->n, pos));
    if (i < c->n && c->s[i] == ',') {
        return i + 1;
    }
    return i < c->n ? i : LOST;
}

static eio_json *new_node(conv *c, const eio_json *src)
{
    eio_json *v = eio_arena_alloc(c->arena, sizeof *v);
    if (v != NULL) {
        *v = *src;
        v->next = NULL;
    }
    return v;
}

static int conv_value(conv *c, const eio_json *src, size_t pos, eio_json **out);

/* {"$binary":...} or {"$undefined":true}: a marker object. */
static int conv_marker(conv *c, const eio_json *src, size_t pos, eio_json **out)
{
    const eio_json *m = src->u.c.first;
    bool binary = m->key_len == 7 && memcmp(m->key, "$binary", 7) == 0;
    if (src->u.c.count != 1) {
        return conv_fail(c, EIO_ERR_INVALID_ARGUMENT, pos,
                         binary ? "an object with \"$binary\" has no other key"
                                : "an object with \"$undefined\" has no other key");
    }
    size_t vpos = starts_as(c, pos, src) ? next_child(c, pos + 1, true) : LOST;
    eio_json *v = new_node(c, src);
    if (v == NULL) {
        return conv_fail(c, EIO_ERR_NOMEM, pos, "out of memory");
    }
    if (!binary) {
        if (m->type != EIO_JSON_BOOL || !m->u.b) {
            return conv_fail(c, EIO_ERR_INVALID_ARGUMENT, vpos != LOST ? vpos : pos,
                             "\"$undefined\" must be true");
        }
        v->type = EIO_JSON_UNDEFINED;
        v->flags = 0;
        memset(&v->u, 0, sizeof v->u);
        *out = v;
        return 0;
    }
    if (m->type != EIO_JSON_STRING) {
        return conv_fail(c, EIO_ERR_INVALID_ARGUMENT, vpos != LOST ? vpos : pos,
                         "\"$binary\" must be a string of base64");
    }
    size_t cap = eio_base64_decoded_max(m->u.str.len);
    uint8_t *bytes = eio_arena_alloc(c->arena, cap > 0 ? cap : 1);
    if (bytes == NULL) {
        return conv_fail(c, EIO_ERR_NOMEM, pos, "out of memory");
    }
    size_t len = 0;
    eio_errinfo e = {0};
    int rc = eio_base64_decode((const uint8_t *)m->u.str.ptr, m->u.str.len, bytes, cap, &len, &e);
    if (rc < 0) {
        size_t at = vpos != LOST ? vpos : pos;
        if (vpos != LOST && (m->flags & EIO_JSON_F_STR_COPIED) == 0) {
            at = vpos + 1 + e.offset;
        }
        return conv_fail(c, rc == EIO_ERR_INVALID_BASE64 ? rc : EIO_ERR_INVALID_ARGUMENT, at,
                         "\"$binary\" is not valid base64");
    }
    v->type = EIO_JSON_BINARY;
    v->flags = 0;
    memset(&v->u, 0, sizeof v->u);
    v->u.str.ptr = (const char *)bytes;
    v->u.str.len = len;
    *out = v;
    return 0;
}

static bool is_marker_key(const eio_json *m)
{
    return (m->key_len == 7 && memcmp(m->key, "$binary", 7) == 0) ||
           (m->key_len == 10 && memcmp(m->key, "$undefined", 10) == 0);
}

static int conv_value(conv *c, const eio_json *src, size_t pos, eio_json **out)
{
    if (!starts_as(c, pos, src)) {
        pos = LOST;
    }
    if (src->type != EIO_JSON_ARRAY && src->type != EIO_JSON_OBJECT) {
        *out = new_node(c, src);
        if (*out == NULL) {
            return conv_fail(c, EIO_ERR_NOMEM, pos, "out of memory");
        }
        if (js_unsafe_int(src)) {
            (*out)->type = EIO_JSON_DOUBLE;
            (*out)->u.d = (double)src->u.i;
        }
        return 0;
    }
    bool object = src->type == EIO_JSON_OBJECT;
    if (object) {
        for (const eio_json *m = src->u.c.first; m != NULL; m = m->next) {
            if (is_marker_key(m)) {
                if (m != src->u.c.first || src->u.c.count != 1) {
                    return conv_fail(c, EIO_ERR_INVALID_ARGUMENT, pos,
                                     "an object with \"$binary\" or \"$undefined\" has no "
                                     "other key");
                }
                return conv_marker(c, src, pos, out);
            }
        }
    }
    eio_json *v = new_node(c, src);
    if (v == NULL) {
        return conv_fail(c, EIO_ERR_NOMEM, pos, "out of memory");
    }
    v->u.c.first = NULL;
    v->u.c.last = NULL;
    v->u.c.count = 0;
    size_t cpos = pos == LOST ? LOST : next_child(c, pos + 1, object);
    for (const eio_json *e = src->u.c.first; e != NULL; e = e->next) {
        eio_json *child = NULL;
        int rc = conv_value(c, e, cpos, &child);
        if (rc < 0) {
            return rc;
        }
        if (v->u.c.last != NULL) {
            v->u.c.last->next = child;
        } else {
            v->u.c.first = child;
        }
        v->u.c.last = child;
        v->u.c.count++;
        cpos = after_child(c, cpos);
        if (e->next != NULL) {
            cpos = next_child(c, cpos, object);
        }
    }
    *out = v;
    return 0;
}

static int member_fail(const sioc_jsonl_in *in, eio_errinfo *err, int code, const char *key,
                       const char *msg)
{
    err->code = code;
    err->offset = sioc_jsonl_member_offset(in, key, false);
    err->msg = msg;
    return code;
}

int sioc_sio_read_packet(const sioc_jsonl_in *in, const eio_json *root, sio_version v,
                         eio_arena *arena, sio_packet *out, eio_errinfo *err)
{
    memset(out, 0, sizeof *out);
    const eio_json *type = eio_json_get(root, "type", 4);
    if (type == NULL || type->type != EIO_JSON_STRING) {
        return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "type",
                           "\"type\" must be a string naming the packet type");
    }
    int t = sioc_sio_type_from_name(v, type->u.str.ptr, type->u.str.len);
    if (t < 0) {
        return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "type",
                           v == SIO_V4 ? "unknown Socket.IO packet type: expected CONNECT, "
                                         "DISCONNECT, EVENT, ACK, ERROR, BINARY_EVENT or "
                                         "BINARY_ACK"
                                       : "unknown Socket.IO packet type: expected CONNECT, "
                                         "DISCONNECT, EVENT, ACK, CONNECT_ERROR, "
                                         "BINARY_EVENT or BINARY_ACK");
    }
    out->type = (sio_packet_type)t;

    const eio_json *nsp = eio_json_get(root, "nsp", 3);
    if (nsp != NULL) {
        if (nsp->type != EIO_JSON_STRING) {
            return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "nsp",
                               "\"nsp\" must be a string");
        }
        out->nsp.ptr = (const uint8_t *)nsp->u.str.ptr;
        out->nsp.len = nsp->u.str.len;
    }
    const eio_json *query = eio_json_get(root, "query", 5);
    if (query != NULL) {
        if (v != SIO_V4) {
            return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "query",
                               "\"query\" is for Socket.IO v4 (v5 keeps it in \"nsp\")");
        }
        if (query->type != EIO_JSON_STRING) {
            return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "query",
                               "\"query\" must be a string");
        }
        out->query.ptr = (const uint8_t *)query->u.str.ptr;
        out->query.len = query->u.str.len;
    }
    const eio_json *id = eio_json_get(root, "id", 2);
    if (id != NULL) {
        if (id->type != EIO_JSON_INT) {
            return member_fail(in, err, EIO_ERR_INVALID_ARGUMENT, "id",
                               "\"id\" must be an integer");
        }
        if (id->u.i < 0) {
            return member_fail(in, err, SIO_ERR_BAD_ACK_ID, "id",
                               "\"id\" must not be negative");
        }
        out->has_id = true;
        out->id = (uint64_t)id->u.i;
    }
    const eio_json *data = eio_json_get(root, "data", 4);
    if (data != NULL) {
        conv c;
        c.s = in->line;
        c.n = in->line_len;
        c.fallback = sioc_jsonl_member_offset(in, "data", false);
        c.arena = arena;
        c.err = err;
        size_t pos = c.fallback;
        if (pos == sioc_jsonl_member_offset(in, NULL, false)) {
            pos = LOST; /* "data" written with escapes: no position */
        }
        int rc = conv_value(&c, data, pos, &out->data);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

size_t sioc_sio_encode_error_offset(const sioc_jsonl_in *in, int code)
{
    const char *key;
    switch (code) {
    case SIO_ERR_INVALID_TYPE:
        key = "type";
        break;
    case SIO_ERR_BAD_NAMESPACE:
    case SIO_ERR_NAMESPACE_TOO_LONG:
        key = "nsp";
        break;
    case SIO_ERR_BAD_ACK_ID:
        key = "id";
        break;
    default:
        key = "data";
        break;
    }
    return sioc_jsonl_member_offset(in, key, false);
}
