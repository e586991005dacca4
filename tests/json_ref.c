/* sioc's JSON reader against jansson (json_ref.h). */
#include "json_ref.h"

#include <stdlib.h>
#include <string.h>

static bool is_last_of_key(const eio_json *m)
{
    for (const eio_json *x = m->next; x != NULL; x = x->next) {
        if (x->key_len == m->key_len && memcmp(x->key, m->key, m->key_len) == 0) {
            return false;
        }
    }
    return true;
}

bool json_ref_same_tree(const eio_json *v, const json_t *j)
{
    switch (v->type) {
    case EIO_JSON_NULL:
        return json_is_null(j);
    case EIO_JSON_BOOL:
        return v->u.b ? json_is_true(j) : json_is_false(j);
    case EIO_JSON_INT:
        return json_is_integer(j) && json_integer_value(j) == v->u.i;
    case EIO_JSON_DOUBLE:
        return json_is_real(j) &&
               memcmp(&(double){json_real_value(j)}, &v->u.d, sizeof(double)) == 0;
    case EIO_JSON_STRING:
        return json_is_string(j) && json_string_length(j) == v->u.str.len &&
               memcmp(json_string_value(j), v->u.str.ptr, v->u.str.len) == 0;
    case EIO_JSON_ARRAY: {
        if (!json_is_array(j) || json_array_size(j) != v->u.c.count) {
            return false;
        }
        size_t i = 0;
        for (const eio_json *m = v->u.c.first; m != NULL; m = m->next, i++) {
            if (!json_ref_same_tree(m, json_array_get(j, i))) {
                return false;
            }
        }
        return true;
    }
    case EIO_JSON_OBJECT: {
        if (!json_is_object(j)) {
            return false;
        }
        size_t distinct = 0;
        for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
            if (!is_last_of_key(m)) {
                continue;
            }
            distinct++;
            const json_t *jm = json_object_getn(j, m->key, m->key_len);
            if (jm == NULL || !json_ref_same_tree(m, jm)) {
                return false;
            }
        }
        return distinct == json_object_size(j);
    }
    default:
        return false;
    }
}

/* Class 1: a digit run without fraction or exponent beyond int64_t, outside
 * strings. Only called on inputs our reader accepted (well-formed). */
static bool big_integer_literal(const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (in[i] == '"') {
            i++;
            while (i < len && in[i] != '"') {
                i += in[i] == '\\' ? 2 : 1;
            }
            i++;
            continue;
        }
        if (in[i] == '-' || (in[i] >= '0' && in[i] <= '9')) {
            bool neg = in[i] == '-';
            if (neg) {
                i++;
            }
            size_t ds = i;
            while (i < len && in[i] >= '0' && in[i] <= '9') {
                i++;
            }
            size_t nd = i - ds;
            bool frac = i < len && (in[i] == '.' || in[i] == 'e' || in[i] == 'E');
            while (i < len && ((in[i] >= '0' && in[i] <= '9') || in[i] == '.' || in[i] == 'e' ||
                               in[i] == 'E' || in[i] == '+' || in[i] == '-')) {
                i++;
            }
            if (!frac && (nd > 19 ||
                          (nd == 19 && memcmp(in + ds, neg ? "9223372036854775808"
                                                           : "9223372036854775807", 19) > 0))) {
                return true;
            }
            continue;
        }
        i++;
    }
    return false;
}

/* Class 2: true when deleting every NUL that follows a number or a literal
 * where our reader stops makes it accept the input. */
static bool nul_after_scalar(const uint8_t *in, size_t len, int rc, size_t off)
{
    if (rc == 0 || len == 0) {
        return false;
    }
    uint8_t *copy = malloc(len);
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, in, len);
    bool result = false;
    eio_arena a;
    eio_arena_init(&a, NULL, 0, 0);
    eio_json_options opt = {JSON_REF_MAX_DEPTH, SIZE_MAX};
    for (;;) {
        if (off == 0 || off >= len || copy[off] != 0) {
            break;
        }
        uint8_t p = copy[off - 1];
        if (!((p >= '0' && p <= '9') || p == 'e' || p == 'l')) {
            break;
        }
        memmove(copy + off, copy + off + 1, len - off - 1);
        len--;
        eio_json *v;
        eio_errinfo ei;
        eio_arena_reset(&a);
        rc = eio_json_parse(copy, len, &opt, &a, &v, &ei);
        if (rc == 0) {
            result = true;
            break;
        }
        off = ei.offset;
    }
    eio_arena_destroy(&a);
    free(copy);
    return result;
}

/* Class 3. */
static bool has_nul_key(const eio_json *v)
{
    if (v->type != EIO_JSON_ARRAY && v->type != EIO_JSON_OBJECT) {
        return false;
    }
    for (const eio_json *m = v->u.c.first; m != NULL; m = m->next) {
        if (v->type == EIO_JSON_OBJECT && memchr(m->key, 0, m->key_len) != NULL) {
            return true;
        }
        if (has_nul_key(m)) {
            return true;
        }
    }
    return false;
}

json_ref_verdict json_ref_compare(const uint8_t *in, size_t len, int rc, const eio_errinfo *err,
                                  const eio_json *v, const json_t *j)
{
    if (rc == 0 && j != NULL) {
        return JSON_REF_BOTH_ACCEPT;
    }
    if (rc != 0 && j == NULL) {
        return JSON_REF_BOTH_REJECT;
    }
    if (rc == 0 && big_integer_literal(in, len)) {
        return JSON_REF_BIG_INT;
    }
    if (j != NULL && nul_after_scalar(in, len, rc, err->offset)) {
        return JSON_REF_NUL_END;
    }
    if (rc == 0 && has_nul_key(v)) {
        return JSON_REF_NUL_KEY;
    }
    return JSON_REF_DISAGREE;
}
