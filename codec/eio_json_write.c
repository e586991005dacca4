/*
 * JSON writer (sioc/json.h): the bytes JSON.stringify would produce for the
 * JavaScript value the tree stands for.
 *
 * Two JavaScript object rules shape the output: a key given twice keeps its
 * first position and its last value, and keys that are array indices
 * ("0".."4294967294") come first in ascending numeric order. Objects that
 * need neither rule (the usual case, found by a cheap pre-pass) are written
 * straight through.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "eio_internal.h"
#include "eio_json_internal.h"

/*
 * Output: `o` is the next byte, `room` what is left of the caller's buffer
 * (0 once something did not fit), `over` the bytes that did not fit. The
 * usual case, room enough, costs one comparison per write.
 */
typedef struct wbuf {
    char *o;
    size_t room;
    size_t over;
    uint64_t nbin; /* binary placeholders written so far */
} wbuf;

static void put_slow(wbuf *w, const void *s, size_t n)
{
    size_t k = n < w->room ? n : w->room;
    if (k > 0) {
        memcpy(w->o, s, k);
        w->o += k;
    }
    w->room = 0;
    w->over += n - k;
}

static inline void put(wbuf *w, const void *s, size_t n)
{
    if (n == 0) {
        return; /* `o` may be NULL when counting only */
    }
    if (n <= w->room) {
        if (n <= 16) {
            eio_copy_short(w->o, s, n);
        } else {
            memcpy(w->o, s, n);
        }
        w->o += n;
        w->room -= n;
    } else {
        put_slow(w, s, n);
    }
}

static inline void put_ch(wbuf *w, char c)
{
    if (w->room > 0) {
        *w->o++ = c;
        w->room--;
    } else {
        w->over++;
    }
}

/* Bytes JSON.stringify escapes: '"', '\\' and the controls. */
static const uint8_t escaped[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* First byte in [p, end) that JSON.stringify escapes. */
static inline const uint8_t *scan_escape(const uint8_t *p, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
        int bits = _mm_movemask_epi8(m);
        if (bits != 0) {
            return p + __builtin_ctz((unsigned)bits);
        }
        p += 16;
    }
#endif
    while (p < end && !escaped[*p]) {
        p++;
    }
    return p;
}

static void put_escape(wbuf *w, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    size_t el = 2;
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        el = 6;
        break;
    }
    put(w, e, el);
}

/* Writes s[0..n) quoted and escaped, followed by `tail` when not 0 (the
   ':' after a key). */
static void put_string(wbuf *w, const char *s, size_t n, char tail)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    /* Short strings without escapes (keys, words) are copied as they are
       checked, in one pass. */
    if (n <= 32 && n + 3 <= w->room) {
        char *o = w->o;
        *o++ = '"';
        size_t i = 0;
        for (; i < n; i++) {
            uint8_t c = p[i];
            if (escaped[c]) {
                break;
            }
            o[i] = (char)c;
        }
        if (i == n) {
            o += n;
            *o++ = '"';
            size_t used = n + 2;
            if (tail != 0) {
                *o++ = tail;
                used++;
            }
            w->o = o;
            w->room -= used;
            return;
        }
        /* an escape: go on below from byte i */
        w->o = o + i;
        w->room -= i + 1;
        p += i;
    } else {
        put_ch(w, '"');
    }
    while (p < end) {
        const uint8_t *q = scan_escape(p, end);
        put(w, p, (size_t)(q - p));
        if (q == end) {
            break;
        }
        put_escape(w, *q);
        p = q + 1;
    }
    put_ch(w, '"');
    if (tail != 0) {
        put_ch(w, tail);
    }
}

static size_t format_u64(uint64_t v, char *out)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    if (v < 10) {
        out[0] = (char)('0' + v);
        return 1;
    }
    char tmp[24];
    size_t i = sizeof tmp;
    while (v >= 100) {
        size_t k = (size_t)(v % 100) * 2;
        v /= 100;
        tmp[--i] = pairs[k + 1];
        tmp[--i] = pairs[k];
    }
    if (v >= 10) {
        tmp[--i] = pairs[v * 2 + 1];
        tmp[--i] = pairs[v * 2];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    size_t n = sizeof tmp - i;
    memcpy(out, tmp + i, n);
    return n;
}

static size_t format_i64(int64_t v, char *out)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + format_u64((uint64_t)0 - (uint64_t)v, out + 1);
    }
    return format_u64((uint64_t)v, out);
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The double nearest to digits[0..k) x 10^(e10 - k + 1), as strtod rounds. */
static double digits_value(const char *digits, int k, int e10)
{
    uint64_t m = 0;
    for (int i = 0; i < k; i++) {
        m = m * 10 + (uint64_t)(digits[i] - '0');
    }
    int e = e10 - k + 1;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    if (m <= (UINT64_C(1) << 53) && e >= -22 && e <= 22) {
        double v = (double)m;
        return e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
    }
#endif
    /* No decimal point, so the locale cannot matter. */
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)m, e);
    (void)n;
    return strtod(buf, NULL);
}

/*
 * Splits "%.*e" output into its digits and decimal exponent, whatever
 * character the locale uses as decimal point.
 */
static int split_e(const char *buf, char *digits, int *e10)
{
    int k = 0;
    const char *p = buf;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; p++) {
        if (*p >= '0' && *p <= '9') {
            digits[k++] = *p;
        }
    }
    *e10 = *p ? atoi(p + 1) : 0;
    return k;
}

/* Adds one unit in the last place of digits[0..k); returns the carry-out. */
static bool digits_increment(char *digits, int k)
{
    for (int i = k - 1; i >= 0; i--) {
        if (digits[i] != '9') {
            digits[i]++;
            return false;
        }
        digits[i] = '0';
    }
    digits[0] = '1';
    return true;
}

/*
 * The shortest digit string that reads back as d (d > 0, finite), the one
 * nearest to d among those of that length, as ECMAScript's Number::toString
 * requires. Returns the digit count; *e10 is the exponent of the first digit.
 */
static int shortest_digits(double d, char *out, int *e10)
{
    char buf[64];
    char full[20];
    int fe;
    snprintf(buf, sizeof buf, "%.16e", d);
    int fk = split_e(buf, full, &fe);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    /* Only at a power of two is the rounding interval lopsided, so only
     * there can the nearest candidate miss while its other neighbour reads
     * back. */
    bool pow2 = (bits & ((UINT64_C(1) << 52) - 1)) == 0 && (bits >> 52) > 1;
    for (int k = 1; k < fk; k++) {
        char cand[20];
        int ce = fe;
        memcpy(cand, full, (size_t)k);
        /* Round the 17 correct digits to k. A tail of exactly 5000... may
         * be a rounding artifact of the 17-digit form, so ask printf. */
        bool tie = full[k] == '5';
        for (int i = k + 1; i < fk && tie; i++) {
            tie = full[i] == '0';
        }
        bool up;
        if (tie) {
            char b2[64];
            snprintf(b2, sizeof b2, "%.*e", k - 1, d);
            int ek;
            (void)split_e(b2, cand, &ek);
            up = ek > fe || memcmp(cand, full, (size_t)k) != 0;
            ce = ek;
        } else {
            up = full[k] >= '5';
            if (up && digits_increment(cand, k)) {
                ce++;
            }
        }
        if (digits_value(cand, k, ce) == d) {
            memcpy(out, cand, (size_t)k);
            *e10 = ce;
            return k;
        }
        if (pow2) {
            /* The other neighbour at this length. */
            char alt[20];
            int ae = fe;
            memcpy(alt, full, (size_t)k);
            if (!up && digits_increment(alt, k)) {
                ae++;
            }
            if (digits_value(alt, k, ae) == d) {
                memcpy(out, alt, (size_t)k);
                *e10 = ae;
                return k;
            }
        }
    }
    /* 17 digits always read back; drop trailing zeros. */
    while (fk > 1 && full[fk - 1] == '0') {
        fk--;
    }
    memcpy(out, full, (size_t)fk);
    *e10 = fe;
    return fk;
}

/*
 * Fast path for the common case of a number with few decimals (3.14,
 * 0.05): the smallest k such that m = round(d * 10^k) reads back as d, for
 * m < 10^15. Both m and 10^k are exact doubles, so m / 10^k is the
 * correctly rounded value of the decimal m x 10^-k, which is what strtod
 * would return: the test is exact. Below 10^15 the product's rounding error
 * (at most 1/8) cannot move round() to a neighbouring integer that also
 * reads back, so no shorter or nearer string is missed; the first k found
 * gives the fewest digits. Returns the digit count, or 0 to fall back.
 */
static int short_decimal_digits(double d, char *out, int *e10)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    if (!(d >= 1e-7 && d < 1e15)) {
        return 0;
    }
    for (int k = 1; k <= 15; k++) {
        double p = d * pow10_exact[k];
        if (p >= 1e15) {
            return 0;
        }
        uint64_t m = (uint64_t)(p + 0.5);
        if ((double)m / pow10_exact[k] == d && m != 0) {
            while (m % 10 == 0) {
                m /= 10;
                k--;
            }
            int len = (int)format_u64(m, out);
            *e10 = len - 1 - k;
            return len;
        }
    }
#else
    (void)d;
    (void)out;
    (void)e10;
#endif
    return 0;
}

size_t eio_json_format_double(double d, char *out)
{
    if (isnan(d) || isinf(d)) {
        memcpy(out, "null", 4);
        return 4;
    }
    if (d == 0) {
        out[0] = '0'; /* -0 too */
        return 1;
    }
    char *o = out;
    if (d < 0) {
        *o++ = '-';
        d = -d;
    }
    if (d < 9007199254740992.0 && (double)(uint64_t)d == d) {
        return (size_t)(o - out) + format_u64((uint64_t)d, o);
    }
    char s[20];
    int e10;
    int k = short_decimal_digits(d, s, &e10);
    if (k == 0) {
        k = shortest_digits(d, s, &e10);
    }
    int n = e10 + 1;
    if (k <= n && n <= 21) {
        memcpy(o, s, (size_t)k);
        o += k;
        for (int i = k; i < n; i++) {
            *o++ = '0';
        }
    } else if (0 < n && n <= 21) {
        memcpy(o, s, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, s + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++) {
            *o++ = '0';
        }
        memcpy(o, s, (size_t)k);
        o += k;
    } else {
        *o++ = s[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, s + 1, (size_t)(k - 1));
            o += k - 1;
        }
        *o++ = 'e';
        int x = n - 1;
        *o++ = x < 0 ? '-' : '+';
        o += format_u64((uint64_t)(x < 0 ? -x : x), o);
    }
    return (size_t)(o - out);
}

bool eio_jsoni_array_index(const char *key, size_t len, uint32_t *value)
{
    if (len == 0 || len > 10 || key[0] < '0' || key[0] > '9' || (key[0] == '0' && len > 1)) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(uint8_t)key[i] - '0';
        if (d > 9) {
            return false;
        }
        v = v * 10 + d;
    }
    if (v > UINT64_C(4294967294)) {
        return false;
    }
    *value = (uint32_t)v;
    return true;
}

static uint32_t key_hash(const eio_json *m)
{
    uint32_t h = 2166136261u ^ m->key_len;
    size_t n = m->key_len < 16 ? m->key_len : 16;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)m->key[i]) * 16777619u;
    }
    return h;
}

static inline bool index_key(const eio_json *m, uint32_t *v)
{
    return m->key_len > 0 && (unsigned)(uint8_t)m->key[0] - '0' < 10u &&
           eio_jsoni_array_index(m->key, m->key_len, v);
}

/* Whether obj needs the JavaScript reordering (index keys or duplicates). */
static bool needs_reorder(const eio_json *obj)
{
    uint32_t iv;
    if (obj->u.c.count <= 8) {
        /* Few members: comparing every pair is cheaper than hashing. */
        for (const eio_json *m = obj->u.c.first; m != NULL; m = m->next) {
            if (index_key(m, &iv)) {
                return true;
            }
            for (const eio_json *x = obj->u.c.first; x != m; x = x->next) {
                if (x->key_len == m->key_len &&
                    (m->key_len == 0 || (x->key[0] == m->key[0] && eio_jsoni_key_eq(x, m)))) {
                    return true;
                }
            }
        }
        return false;
    }
    uint64_t bloom[16] = {0};
    for (const eio_json *m = obj->u.c.first; m != NULL; m = m->next) {
        if (index_key(m, &iv)) {
            return true;
        }
        uint32_t h = key_hash(m) & 1023u;
        uint64_t bit = UINT64_C(1) << (h & 63);
        if (bloom[h >> 6] & bit) {
            for (const eio_json *x = obj->u.c.first; x != m; x = x->next) {
                if (eio_jsoni_key_eq(x, m)) {
                    return true;
                }
            }
        }
        bloom[h >> 6] |= bit;
    }
    return false;
}

/* The last member of obj whose key equals m's (m itself when unique). */
static const eio_json *last_with_key(const eio_json *m)
{
    const eio_json *found = m;
    for (const eio_json *x = m->next; x != NULL; x = x->next) {
        if (eio_jsoni_key_eq(x, m)) {
            found = x;
        }
    }
    return found;
}

void eio_jsoni_iter_init(eio_jsoni_iter *it, const eio_json *c)
{
    it->c = c;
    it->m = c->u.c.first;
    it->last_index = 0;
    it->have_index = 0;
    it->mode = EIO_JSONI_PLAIN;
    if (c->type == EIO_JSON_OBJECT && c->u.c.first != NULL && needs_reorder(c)) {
        it->mode = EIO_JSONI_INDEX;
    }
}

const eio_json *eio_jsoni_iter_next_ordered(eio_jsoni_iter *it, const eio_json **kp)
{
    if (it->mode == EIO_JSONI_INDEX) {
        const eio_json *best = NULL;
        uint32_t best_v = 0;
        for (const eio_json *x = it->c->u.c.first; x != NULL; x = x->next) {
            uint32_t v;
            if (index_key(x, &v) && (!it->have_index || v > it->last_index) &&
                (best == NULL || v <= best_v)) {
                best = x; /* ties: the later duplicate holds the value */
                best_v = v;
            }
        }
        if (best != NULL) {
            it->last_index = best_v;
            it->have_index = 1;
            *kp = best;
            return best;
        }
        it->mode = EIO_JSONI_NAMED;
        it->m = it->c->u.c.first;
    }
    if (it->mode == EIO_JSONI_PLAIN) {
        return eio_jsoni_iter_next(it, kp);
    }
    for (const eio_json *m = it->m; m != NULL; m = m->next) {
        uint32_t v;
        if (index_key(m, &v)) {
            continue;
        }
        bool seen = false;
        for (const eio_json *x = it->c->u.c.first; x != m; x = x->next) {
            if (eio_jsoni_key_eq(x, m)) {
                seen = true;
                break;
            }
        }
        if (seen) {
            continue;
        }
        it->m = m->next;
        *kp = m;
        return last_with_key(m);
    }
    it->m = NULL;
    *kp = NULL;
    return NULL;
}

/* Frame of the explicit stack: one open array or object. */
typedef struct wframe {
    eio_jsoni_iter it;
    uint8_t object;
    uint8_t first; /* nothing written inside yet */
} wframe;

#define WSTACK 256

static void write_scalar(wbuf *w, const eio_json *v)
{
    char num[EIO_JSON_NUMBER_MAX];
    switch (v->type) {
    case EIO_JSON_NULL:
        put(w, "null", 4);
        break;
    case EIO_JSON_BOOL:
        if (v->u.b) {
            put(w, "true", 4);
        } else {
            put(w, "false", 5);
        }
        break;
    case EIO_JSON_INT:
        put(w, num, format_i64(v->u.i, num));
        break;
    case EIO_JSON_DOUBLE:
        put(w, num, eio_json_format_double(v->u.d, num));
        break;
    case EIO_JSON_STRING:
        put_string(w, v->u.str.ptr, v->u.str.len, 0);
        break;
    case EIO_JSON_BINARY: {
        /* Socket.IO's placeholder, numbered in the order JavaScript would
         * enumerate the value (the order this writer follows). */
        put(w, "{\"_placeholder\":true,\"num\":", 27);
        put(w, num, format_u64(w->nbin++, num));
        put_ch(w, '}');
        break;
    }
    case EIO_JSON_UNDEFINED: /* in arrays; members and roots never get here */
    default:
        put(w, "null", 4); /* not a valid node */
        break;
    }
}

/* Writes v; containers deeper than WSTACK continue in a nested call, so the
 * C stack grows by one frame per WSTACK levels. */
static void write_value(wbuf *w, const eio_json *v)
{
    wframe st[WSTACK];
    size_t sp = 0;
    const eio_json *x = v;
    for (;;) {
        if (x->type == EIO_JSON_ARRAY || x->type == EIO_JSON_OBJECT) {
            bool object = x->type == EIO_JSON_OBJECT;
            if (x->u.c.first == NULL) {
                put(w, object ? "{}" : "[]", 2);
            } else if (sp == WSTACK) {
                write_value(w, x);
            } else {
                wframe *f = &st[sp++];
                eio_jsoni_iter_init(&f->it, x);
                f->object = object;
                f->first = 1;
                put_ch(w, object ? '{' : '[');
            }
        } else {
            write_scalar(w, x);
        }
        x = NULL;
        while (sp > 0) {
            wframe *f = &st[sp - 1];
            const eio_json *k;
            const eio_json *nx = eio_jsoni_iter_next(&f->it, &k);
            if (nx != NULL) {
                if (f->object) {
                    if (nx->type == EIO_JSON_UNDEFINED) {
                        continue; /* JSON.stringify drops such members */
                    }
                    if (!f->first) {
                        put_ch(w, ',');
                    }
                    put_string(w, k->key, k->key_len, ':');
                } else if (!f->first) {
                    put_ch(w, ',');
                }
                f->first = 0;
                x = nx;
                break;
            }
            put_ch(w, f->object ? '}' : ']');
            sp--;
        }
        if (x == NULL) {
            return;
        }
    }
}

size_t eio_jsoni_write(const eio_json *v, char *out, size_t cap, uint64_t *binaries)
{
    wbuf w = {out, out != NULL ? cap : 0, 0, 0};
    if (v == NULL) {
        put(&w, "null", 4);
    } else if (v->type != EIO_JSON_UNDEFINED) { /* JSON.stringify(undefined) is no text */
        write_value(&w, v);
    }
    if (binaries != NULL) {
        *binaries = w.nbin;
    }
    return (out != NULL ? (size_t)(w.o - out) : 0) + w.over;
}

size_t eio_json_write(const eio_json *v, char *out, size_t cap)
{
    return eio_jsoni_write(v, out, cap, NULL);
}
