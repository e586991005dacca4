/* Lookups, deep equality and builders for JSON trees (sioc/json.h). */
#include <math.h>
#include <string.h>

#include "eio_json_internal.h"

#define NODE_SIZE ((sizeof(eio_json) + 7u) & ~(size_t)7u)

const eio_json *eio_json_get(const eio_json *obj, const char *key, size_t key_len)
{
    if (obj == NULL || obj->type != EIO_JSON_OBJECT || (key == NULL && key_len != 0)) {
        return NULL;
    }
    const eio_json *found = NULL;
    for (const eio_json *m = obj->u.c.first; m != NULL; m = m->next) {
        if (m->key_len == key_len && (key_len == 0 || memcmp(m->key, key, key_len) == 0)) {
            found = m;
        }
    }
    return found;
}

const eio_json *eio_json_at(const eio_json *arr, size_t index)
{
    if (arr == NULL || arr->type != EIO_JSON_ARRAY || index >= arr->u.c.count) {
        return NULL;
    }
    const eio_json *m = arr->u.c.first;
    while (index-- > 0 && m != NULL) {
        m = m->next;
    }
    return m;
}

/*
 * An INT and a DOUBLE are equal when the INT, as the JavaScript number it
 * becomes (the nearest double), is the DOUBLE: the writer prints a double
 * of 2^53 or more as an integer literal, which reads back as INT, and both
 * stand for the same number on the other side of the wire.
 */
static bool int_equals_double(int64_t i, double d)
{
    return (double)i == d;
}

static bool is_last_of_key(const eio_json *m)
{
    for (const eio_json *x = m->next; x != NULL; x = x->next) {
        if (eio_jsoni_key_eq(x, m)) {
            return false;
        }
    }
    return true;
}

static const eio_json *lookup_last(const eio_json *obj, const eio_json *k)
{
    const eio_json *found = NULL;
    for (const eio_json *m = obj->u.c.first; m != NULL; m = m->next) {
        if (eio_jsoni_key_eq(m, k)) {
            found = m;
        }
    }
    return found;
}

static bool equal_objects(const eio_json *a, const eio_json *b);

/* Recursion only goes down through non-last children; the last child of a
 * container continues in the loop, so a chain of single-element containers
 * costs no stack. */
bool eio_json_equal(const eio_json *a, const eio_json *b)
{
    for (;;) {
        if (a == NULL || b == NULL) {
            return a == b;
        }
        if (a->type != b->type) {
            if (a->type == EIO_JSON_INT && b->type == EIO_JSON_DOUBLE) {
                return int_equals_double(a->u.i, b->u.d);
            }
            if (a->type == EIO_JSON_DOUBLE && b->type == EIO_JSON_INT) {
                return int_equals_double(b->u.i, a->u.d);
            }
            return false;
        }
        switch (a->type) {
        case EIO_JSON_NULL:
        case EIO_JSON_UNDEFINED:
            return true;
        case EIO_JSON_BOOL:
            return a->u.b == b->u.b;
        case EIO_JSON_INT:
            return a->u.i == b->u.i;
        case EIO_JSON_DOUBLE:
            return a->u.d == b->u.d;
        case EIO_JSON_STRING:
        case EIO_JSON_BINARY:
            return a->u.str.len == b->u.str.len &&
                   (a->u.str.len == 0 || memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0);
        case EIO_JSON_ARRAY: {
            if (a->u.c.count != b->u.c.count) {
                return false;
            }
            const eio_json *x = a->u.c.first, *y = b->u.c.first;
            if (x == NULL || y == NULL) {
                return x == y;
            }
            while (x->next != NULL && y->next != NULL) {
                if (!eio_json_equal(x, y)) {
                    return false;
                }
                x = x->next;
                y = y->next;
            }
            a = x;
            b = y;
            continue;
        }
        case EIO_JSON_OBJECT: {
            /* Usual case: the same keys in the same order and equal values.
             * The last member is the last occurrence of its key in both, so
             * it must match whatever the duplicates; it continues the loop. */
            if (a->u.c.count != b->u.c.count) {
                return equal_objects(a, b);
            }
            const eio_json *x = a->u.c.first, *y = b->u.c.first;
            if (x == NULL || y == NULL) {
                return x == y;
            }
            bool same_keys = true;
            for (const eio_json *p = x, *q = y; p != NULL && q != NULL; p = p->next, q = q->next) {
                if (!eio_jsoni_key_eq(p, q)) {
                    same_keys = false;
                    break;
                }
            }
            if (!same_keys) {
                return equal_objects(a, b);
            }
            while (x->next != NULL && y->next != NULL) {
                if (!eio_json_equal(x, y)) {
                    return equal_objects(a, b);
                }
                x = x->next;
                y = y->next;
            }
            a = x;
            b = y;
            continue;
        }
        default:
            return false;
        }
    }
}

static bool equal_objects(const eio_json *a, const eio_json *b)
{
    /* As maps: every distinct key of a (its last value) matches b's last
     * value for that key, and both have as many distinct keys. */
    size_t da = 0, db = 0;
    for (const eio_json *x = a->u.c.first; x != NULL; x = x->next) {
        if (!is_last_of_key(x)) {
            continue;
        }
        da++;
        const eio_json *y = lookup_last(b, x);
        if (y == NULL || !eio_json_equal(x, y)) {
            return false;
        }
    }
    for (const eio_json *y = b->u.c.first; y != NULL; y = y->next) {
        if (is_last_of_key(y)) {
            db++;
        }
    }
    return da == db;
}

static eio_json *new_node(eio_arena *arena, uint8_t type)
{
    if (arena == NULL) {
        return NULL;
    }
    eio_json *n = eio_arena_bump(arena, NODE_SIZE);
    if (n != NULL) {
        memset(n, 0, sizeof *n);
        n->type = type;
    }
    return n;
}

eio_json *eio_json_new_null(eio_arena *arena)
{
    return new_node(arena, EIO_JSON_NULL);
}

eio_json *eio_json_new_bool(eio_arena *arena, bool b)
{
    eio_json *n = new_node(arena, EIO_JSON_BOOL);
    if (n != NULL) {
        n->u.b = b;
    }
    return n;
}

eio_json *eio_json_new_int(eio_arena *arena, int64_t i)
{
    eio_json *n = new_node(arena, EIO_JSON_INT);
    if (n != NULL) {
        n->u.i = i;
    }
    return n;
}

eio_json *eio_json_new_double(eio_arena *arena, double d)
{
    eio_json *n = new_node(arena, EIO_JSON_DOUBLE);
    if (n != NULL) {
        n->u.d = d;
    }
    return n;
}

eio_json *eio_json_new_string(eio_arena *arena, const char *s, size_t len)
{
    if (arena == NULL || (s == NULL && len != 0) ||
        (len != 0 && !eio_jsoni_utf8_valid((const uint8_t *)s, len))) {
        return NULL;
    }
    eio_json *n = new_node(arena, EIO_JSON_STRING);
    if (n == NULL) {
        return NULL;
    }
    char *copy = eio_arena_alloc(arena, len ? len : 1);
    if (copy == NULL) {
        return NULL;
    }
    if (len != 0) {
        memcpy(copy, s, len);
    }
    n->flags = EIO_JSON_F_STR_COPIED;
    n->u.str.ptr = copy;
    n->u.str.len = len;
    return n;
}

eio_json *eio_json_new_binary(eio_arena *arena, const uint8_t *data, size_t len)
{
    if (data == NULL && len != 0) {
        return NULL;
    }
    eio_json *n = new_node(arena, EIO_JSON_BINARY);
    if (n != NULL) {
        n->u.str.ptr = (const char *)data;
        n->u.str.len = len;
    }
    return n;
}

eio_json *eio_json_new_undefined(eio_arena *arena)
{
    return new_node(arena, EIO_JSON_UNDEFINED);
}

eio_json *eio_json_new_array(eio_arena *arena)
{
    return new_node(arena, EIO_JSON_ARRAY);
}

eio_json *eio_json_new_object(eio_arena *arena)
{
    return new_node(arena, EIO_JSON_OBJECT);
}

static void link_child(eio_json *c, eio_json *v)
{
    v->next = NULL;
    if (c->u.c.last != NULL) {
        c->u.c.last->next = v;
    } else {
        c->u.c.first = v;
    }
    c->u.c.last = v;
    c->u.c.count++;
}

int eio_json_append(eio_json *arr, eio_json *v)
{
    if (arr == NULL || v == NULL || arr->type != EIO_JSON_ARRAY || v == arr) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    link_child(arr, v);
    return 0;
}

int eio_json_put(eio_arena *arena, eio_json *obj, const char *key, size_t key_len, eio_json *v)
{
    if (arena == NULL || obj == NULL || v == NULL || obj->type != EIO_JSON_OBJECT || v == obj ||
        (key == NULL && key_len != 0) || key_len > UINT32_MAX ||
        (key_len != 0 && !eio_jsoni_utf8_valid((const uint8_t *)key, key_len))) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    char *copy = eio_arena_alloc(arena, key_len ? key_len : 1);
    if (copy == NULL) {
        return EIO_ERR_NOMEM;
    }
    if (key_len != 0) {
        memcpy(copy, key, key_len);
    }
    v->key = copy;
    v->key_len = (uint32_t)key_len;
    v->flags |= EIO_JSON_F_KEY_COPIED;
    link_child(obj, v);
    return 0;
}

/* The node `v` alone: its scalar value (string and binary bytes copied),
 * its key copied when it has one, no children and no sibling. */
static eio_json *clone_node(eio_arena *arena, const eio_json *v)
{
    eio_json *n = new_node(arena, v->type);
    if (n == NULL) {
        return NULL;
    }
    switch (v->type) {
    case EIO_JSON_BOOL:
        n->u.b = v->u.b;
        break;
    case EIO_JSON_INT:
        n->u.i = v->u.i;
        break;
    case EIO_JSON_DOUBLE:
        n->u.d = v->u.d;
        break;
    case EIO_JSON_STRING:
    case EIO_JSON_BINARY: {
        char *bytes = eio_arena_alloc(arena, v->u.str.len ? v->u.str.len : 1);
        if (bytes == NULL) {
            return NULL;
        }
        if (v->u.str.len != 0) {
            memcpy(bytes, v->u.str.ptr, v->u.str.len);
        }
        n->u.str.ptr = bytes;
        n->u.str.len = v->u.str.len;
        n->flags |= EIO_JSON_F_STR_COPIED;
        break;
    }
    default: /* null, undefined, and containers, whose children come later */
        break;
    }
    if (v->key != NULL) {
        char *key = eio_arena_alloc(arena, v->key_len ? v->key_len : 1);
        if (key == NULL) {
            return NULL;
        }
        if (v->key_len != 0) {
            memcpy(key, v->key, v->key_len);
        }
        n->key = key;
        n->key_len = v->key_len;
        n->flags |= EIO_JSON_F_KEY_COPIED;
    }
    return n;
}

static bool has_children(const eio_json *v)
{
    return (v->type == EIO_JSON_ARRAY || v->type == EIO_JSON_OBJECT) && v->u.c.first != NULL;
}

/* Frame of the explicit stack: one container being copied. */
typedef struct cframe {
    const eio_json *src; /* next child of the original to copy, NULL when done */
    eio_json *dst;       /* the copy being filled */
} cframe;

#define CSTACK 128

/* Containers deeper than CSTACK continue in a nested call, so the C stack
 * grows by one frame per CSTACK levels, as in the writer. */
eio_json *eio_json_clone(eio_arena *arena, const eio_json *v)
{
    if (arena == NULL || v == NULL) {
        return NULL;
    }
    eio_json *root = clone_node(arena, v);
    if (root == NULL || !has_children(v)) {
        return root;
    }
    cframe st[CSTACK];
    size_t sp = 0;
    st[sp++] = (cframe){v->u.c.first, root};
    while (sp > 0) {
        cframe *f = &st[sp - 1];
        const eio_json *s = f->src;
        if (s == NULL) {
            sp--;
            continue;
        }
        f->src = s->next;
        bool nested = has_children(s) && sp == CSTACK;
        eio_json *d = nested ? eio_json_clone(arena, s) : clone_node(arena, s);
        if (d == NULL) {
            return NULL;
        }
        link_child(f->dst, d);
        if (!nested && has_children(s)) {
            st[sp++] = (cframe){s->u.c.first, d};
        }
    }
    return root;
}
