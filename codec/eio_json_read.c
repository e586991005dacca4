/*
 * Strict RFC 8259 reader (sioc/json.h).
 *
 * One loop with an explicit state instead of recursion: an open container
 * keeps its parent in its own `next` field (unused until a later sibling is
 * appended, which can only happen after it closes), so any max_depth costs
 * no C stack and no memory beyond the nodes themselves.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "eio_json_internal.h"

#define NODE_SIZE ((sizeof(eio_json) + 7u) & ~(size_t)7u)

typedef struct reader {
    const uint8_t *errp; /* where the error was detected */
    const char *msg;
} reader;

static inline bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && is_ws(*p)) {
        p++;
    }
    return p;
}

static inline int hexval(uint8_t c)
{
    unsigned d = (unsigned)c - '0';
    if (d < 10) {
        return (int)d;
    }
    d = ((unsigned)c | 0x20u) - 'a';
    if (d < 6) {
        return (int)d + 10;
    }
    return -1;
}

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Kept out of line: inlined into parse(), the error paths cost the hot
 * loop registers (measured: about 4% more instructions per document). */
#define COLD __attribute__((cold, noinline))
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define COLD
#endif

/* Records where and why reading stopped; returns `code`. */
static COLD int fail(reader *r, const uint8_t *at, const char *msg, int code)
{
    r->errp = at;
    r->msg = msg;
    return code;
}

static inline unsigned ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while ((x & 1u) == 0) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/*
 * First byte in [p, end) that a string scan must look at: '"', '\\', a
 * control character or a non-ASCII byte. Returns end when there is none.
 * Never reads at or past `end`.
 */
static inline const uint8_t *scan_plain(const uint8_t *p, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* Signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches them. */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        int bits = _mm_movemask_epi8(m);
        if (bits != 0) {
            return p + ctz64((uint64_t)(unsigned)bits);
        }
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u;
    const uint64_t highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"');
        uint64_t b = w ^ (ones * '\\');
        /* Borrows only propagate upwards, so the lowest flagged byte is exact. */
        uint64_t t = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20u) & ~w) | w;
        t &= highs;
        if (t != 0) {
            return p + (ctz64(t) >> 3);
        }
        p += 8;
    }
#endif
    while (p < end) {
        uint8_t c = *p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
            return p;
        }
        p++;
    }
    return end;
}

/*
 * Length of the UTF-8 sequence at p (p[0] >= 0x80): 2..4, 0 when invalid
 * (overlong, surrogate, above U+10FFFF, bad continuation), -1 when the input
 * ends inside an otherwise valid prefix.
 */
static inline int utf8_step(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t avail = (size_t)(end - p);
    if (c < 0xC2) {
        return 0;
    }
    if (c < 0xE0) {
        if (avail < 2) {
            return -1;
        }
        return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0xF0) {
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
        if (avail < 2) {
            return -1;
        }
        if (p[1] < lo || p[1] > hi) {
            return 0;
        }
        if (avail < 3) {
            return -1;
        }
        return (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c > 0xF4) {
        return 0;
    }
    if (c == 0xF0) {
        lo = 0x90;
    } else if (c == 0xF4) {
        hi = 0x8F;
    }
    if (avail < 2) {
        return -1;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    if (avail < 3) {
        return -1;
    }
    if ((p[2] & 0xC0) != 0x80) {
        return 0;
    }
    if (avail < 4) {
        return -1;
    }
    return (p[3] & 0xC0) == 0x80 ? 4 : 0;
}

bool eio_jsoni_utf8_valid(const uint8_t *s, size_t n)
{
    const uint8_t *p = s, *end = s + n;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int k = utf8_step(p, end);
        if (k <= 0) {
            return false;
        }
        p += k;
    }
    return true;
}

static int utf8_error(reader *r, const uint8_t *p, int k, const uint8_t *end)
{
    if (k < 0) {
        return fail(r, end, "input ends inside a UTF-8 sequence", EIO_ERR_JSON_UNEXPECTED_END);
    }
    return fail(r, p, "invalid UTF-8 in a string", EIO_ERR_JSON_INVALID_UTF8);
}

static int unterminated(reader *r, const uint8_t *end)
{
    return fail(r, end, "unterminated string", EIO_ERR_JSON_UNEXPECTED_END);
}

/* Four hex digits at q (q + 4 <= end is NOT assumed). */
static int read_hex4(reader *r, const uint8_t *q, const uint8_t *end, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (q + i >= end) {
            return fail(r, end, "input ends inside a \\u escape", EIO_ERR_JSON_UNEXPECTED_END);
        }
        int h = hexval(q[i]);
        if (h < 0) {
            return fail(r, q + i, "\\u needs four hex digits", EIO_ERR_JSON_INVALID_ESCAPE);
        }
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 0;
}

static inline uint8_t *put_utf8(uint8_t *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (uint8_t)cp;
    } else if (cp < 0x800) {
        *o++ = (uint8_t)(0xC0 | (cp >> 6));
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (uint8_t)(0xE0 | (cp >> 12));
        *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (uint8_t)(0xF0 | (cp >> 18));
        *o++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    }
    return o;
}

/*
 * The slow half of read_string: the string at s has an escape at p. The
 * decoded text is never longer than the raw text, so one arena allocation
 * bounded by the distance to the closing quote is enough.
 */
static int read_escaped(reader *r, const uint8_t *s, const uint8_t *p, const uint8_t *end,
                        eio_arena *a, const char **optr, size_t *olen, const uint8_t **pp)
{
    const uint8_t *q = p;
    for (;;) {
        q = memchr(q, '"', (size_t)(end - q));
        if (q == NULL) {
            q = end;
            break;
        }
        const uint8_t *b = q;
        while (b > s && b[-1] == '\\') {
            b--;
        }
        if (((size_t)(q - b) & 1u) == 0) {
            break;
        }
        q++;
    }
    size_t cap = (size_t)(q - s);
    uint8_t *buf = eio_arena_alloc_slow(a, cap ? cap : 1);
    if (buf == NULL) {
        return fail(r, s, "arena exhausted", EIO_ERR_NOMEM);
    }
    memcpy(buf, s, (size_t)(p - s));
    uint8_t *o = buf + (p - s);
    for (;;) {
        uint8_t c = *p;
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            if (end - p < 2) {
                return unterminated(r, end);
            }
            const uint8_t *esc = p;
            switch (p[1]) {
            case '"': *o++ = '"'; p += 2; break;
            case '\\': *o++ = '\\'; p += 2; break;
            case '/': *o++ = '/'; p += 2; break;
            case 'b': *o++ = '\b'; p += 2; break;
            case 'f': *o++ = '\f'; p += 2; break;
            case 'n': *o++ = '\n'; p += 2; break;
            case 'r': *o++ = '\r'; p += 2; break;
            case 't': *o++ = '\t'; p += 2; break;
            case 'u': {
                unsigned u = 0;
                int rc = read_hex4(r, p + 2, end, &u);
                if (rc != 0) {
                    return rc;
                }
                p += 6;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (p == end || (p[0] == '\\' && p + 1 == end)) {
                        return unterminated(r, end);
                    }
                    if (p[0] != '\\' || p[1] != 'u') {
                        return fail(r, esc, "high surrogate without a low surrogate",
                                    EIO_ERR_JSON_INVALID_UNICODE);
                    }
                    unsigned u2 = 0;
                    rc = read_hex4(r, p + 2, end, &u2);
                    if (rc != 0) {
                        return rc;
                    }
                    if (u2 < 0xDC00 || u2 > 0xDFFF) {
                        return fail(r, esc, "high surrogate without a low surrogate",
                                    EIO_ERR_JSON_INVALID_UNICODE);
                    }
                    p += 6;
                    u = 0x10000u + ((u - 0xD800u) << 10) + (u2 - 0xDC00u);
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    return fail(r, esc, "low surrogate without a high surrogate",
                                EIO_ERR_JSON_INVALID_UNICODE);
                }
                o = put_utf8(o, u);
                break;
            }
            default:
                return fail(r, p + 1, "unknown escape", EIO_ERR_JSON_INVALID_ESCAPE);
            }
        } else if (c >= 0x80) {
            int k = utf8_step(p, end);
            if (k <= 0) {
                return utf8_error(r, p, k, end);
            }
            memcpy(o, p, (size_t)k);
            o += k;
            p += k;
        } else {
            return fail(r, p, "unescaped control character in a string", EIO_ERR_JSON_CONTROL_CHAR);
        }
        const uint8_t *run = p;
        p = scan_plain(p, end);
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == end) {
            return unterminated(r, end);
        }
    }
    size_t n = (size_t)(o - buf);
    eio_arena_trim_last(a, buf, cap ? cap : 1, n ? n : 1);
    *optr = (const char *)buf;
    *olen = n;
    *pp = p + 1;
    return 1;
}

/*
 * Reads the string whose opening quote is just before *pp. Returns 0 when
 * the string points into the input, 1 when it was decoded into the arena,
 * or a negative error. On success *pp is past the closing quote.
 */
static inline int read_string(reader *r, const uint8_t **pp, const uint8_t *end, eio_arena *a,
                              const char **optr, size_t *olen)
{
    const uint8_t *s = *pp, *p = s;
    for (;;) {
        p = scan_plain(p, end);
        if (UNLIKELY(p == end)) {
            return unterminated(r, end);
        }
        uint8_t c = *p;
        if (LIKELY(c == '"')) {
            *optr = (const char *)s;
            *olen = (size_t)(p - s);
            *pp = p + 1;
            return 0;
        }
        if (c >= 0x80) {
            int k = utf8_step(p, end);
            if (k <= 0) {
                return utf8_error(r, p, k, end);
            }
            p += k;
            continue;
        }
        if (c == '\\') {
            return read_escaped(r, s, p, end, a, optr, olen, pp);
        }
        return fail(r, p, "unescaped control character in a string", EIO_ERR_JSON_CONTROL_CHAR);
    }
}

double eio_jsoni_strtod(const char *s, size_t n, char *scratch)
{
    memcpy(scratch, s, n);
    scratch[n] = '\0';
    /* strtod follows LC_NUMERIC; JSON always uses '.'. */
    const char *dp = localeconv()->decimal_point;
    if (dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0') {
        char *dot = memchr(scratch, '.', n);
        if (dot != NULL) {
            *dot = dp[0];
        }
    }
    return strtod(scratch, NULL);
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Reads the number starting at *pp (a '-' or a digit) into node n. */
static int read_number(reader *r, const uint8_t **pp, const uint8_t *end, eio_arena *a,
                       eio_json *n)
{
    const uint8_t *start = *pp, *p = start;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
        if (p == end) {
            return fail(r, end, "input ends inside a number", EIO_ERR_JSON_UNEXPECTED_END);
        }
    }
    uint64_t m = 0;
    int nd = 0;          /* significant digits folded into m */
    bool many = false;   /* more than 19 significant digits: m is not exact */
    int64_t e10 = 0;     /* decimal exponent of m's last digit */
    bool is_int = true;
    unsigned d = (unsigned)*p - '0';
    if (d == 0) {
        p++;
        if (p < end && (unsigned)*p - '0' < 10) {
            return fail(r, p, "leading zero in a number", EIO_ERR_JSON_INVALID_NUMBER);
        }
    } else if (d < 10) {
        m = d;
        nd = 1;
        p++;
        while (p < end && (d = (unsigned)*p - '0') < 10) {
            if (LIKELY(nd < 19)) {
                m = m * 10 + d;
                nd++;
            } else {
                many = true;
                e10++;
            }
            p++;
        }
    } else {
        return fail(r, p, "a number needs a digit here", EIO_ERR_JSON_INVALID_NUMBER);
    }
    if (p < end && *p == '.') {
        is_int = false;
        p++;
        if (p == end) {
            return fail(r, end, "input ends inside a number", EIO_ERR_JSON_UNEXPECTED_END);
        }
        if ((unsigned)*p - '0' >= 10) {
            return fail(r, p, "a fraction needs a digit", EIO_ERR_JSON_INVALID_NUMBER);
        }
        while (p < end && (d = (unsigned)*p - '0') < 10) {
            if (nd < 19) {
                if (m != 0 || d != 0) {
                    nd++;
                }
                m = m * 10 + d;
                e10--;
            } else {
                many = true;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = false;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end) {
            return fail(r, end, "input ends inside a number", EIO_ERR_JSON_UNEXPECTED_END);
        }
        if ((unsigned)*p - '0' >= 10) {
            return fail(r, p, "an exponent needs a digit", EIO_ERR_JSON_INVALID_NUMBER);
        }
        int ex = 0;
        while (p < end && (d = (unsigned)*p - '0') < 10) {
            if (ex < 100000) {
                ex = ex * 10 + (int)d;
            }
            p++;
        }
        e10 += eneg ? -(int64_t)ex : (int64_t)ex;
    }
    *pp = p;
    if (is_int && !many) {
        if (!neg && m <= (uint64_t)INT64_MAX) {
            n->type = EIO_JSON_INT;
            n->u.i = (int64_t)m;
            return 0;
        }
        if (neg && m <= (uint64_t)INT64_MAX + 1u) {
            n->type = EIO_JSON_INT;
            n->u.i = m == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)m;
            return 0;
        }
    }
    n->type = EIO_JSON_DOUBLE;
    double v;
    if (m == 0 && !many) {
        v = 0.0;
    }
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    /* Both m and 10^|e10| are exact doubles, so one IEEE operation rounds
     * exactly as strtod does. */
    else if (!many && m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        v = (double)m;
        v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
    }
#endif
    else {
        size_t len = (size_t)(p - start);
        char local[128];
        char *scratch = local;
        if (len >= sizeof local) {
            scratch = eio_arena_alloc_slow(a, len + 1);
            if (scratch == NULL) {
                return fail(r, start, "arena exhausted", EIO_ERR_NOMEM);
            }
        }
        v = eio_jsoni_strtod((const char *)start, len, scratch);
        if (scratch != local) {
            eio_arena_trim_last(a, scratch, len + 1, 0);
        }
        if (isinf(v)) {
            return fail(r, start, "number out of double range", EIO_ERR_JSON_NUMBER_RANGE);
        }
        n->u.d = v;
        return 0;
    }
    n->u.d = neg ? -v : v;
    return 0;
}

/* Out of line: only reached when the literal is wrong or cut short. */
static int literal_error(reader *r, const uint8_t *p, const uint8_t *end, const char *lit,
                         size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p + i == end) {
            return fail(r, end, "input ends inside a literal", EIO_ERR_JSON_UNEXPECTED_END);
        }
        if (p[i] != (uint8_t)lit[i]) {
            return fail(r, p + i, "invalid literal", EIO_ERR_JSON_SYNTAX);
        }
    }
    return 0;
}

/* Steps over the literal `lit` (true, false, null) at *pp. */
static inline int read_literal(reader *r, const uint8_t **pp, const uint8_t *end, const char *lit,
                               size_t len)
{
    const uint8_t *p = *pp;
    if (LIKELY((size_t)(end - p) >= len && memcmp(p, lit, len) == 0)) {
        *pp = p + len;
        return 0;
    }
    return literal_error(r, p, end, lit, len);
}

/* Steps over white space inside an object and then over `c`, which the
 * grammar requires there (the quote opening a key, or the ':' after it). */
static inline int object_token(reader *r, const uint8_t **pp, const uint8_t *end, uint8_t c,
                               const char *msg)
{
    const uint8_t *p = skip_ws(*pp, end);
    if (UNLIKELY(p == end)) {
        return fail(r, end, "input ends inside an object", EIO_ERR_JSON_UNEXPECTED_END);
    }
    if (UNLIKELY(*p != c)) {
        return fail(r, p, msg, EIO_ERR_JSON_SYNTAX);
    }
    *pp = p + 1;
    return 0;
}

static inline eio_json *new_node(eio_arena *a)
{
    eio_json *n = eio_arena_bump(a, NODE_SIZE);
    if (n != NULL) {
        n->flags = 0;
        n->key_len = 0;
        n->key = NULL;
        n->next = NULL;
    }
    return n;
}

static int parse(reader *r, const uint8_t *in, size_t len, size_t max_depth, eio_arena *a,
                 eio_json **out)
{
    const uint8_t *p = in, *end = in + len;
    eio_json *root = NULL, *cur = NULL, *node;
    const char *key = NULL;
    size_t key_len = 0;
    uint8_t key_flag = 0;
    size_t depth = 0;
    int rc;

value:
    p = skip_ws(p, end);
    if (UNLIKELY(p == end)) {
        return fail(r, end, "input ends where a value is expected", EIO_ERR_JSON_UNEXPECTED_END);
    }
    node = new_node(a);
    if (UNLIKELY(node == NULL)) {
        goto nomem;
    }
    if (key != NULL) {
        node->key = key;
        node->key_len = (uint32_t)key_len;
        node->flags = key_flag;
        key = NULL;
    }
    if (cur != NULL) {
        if (cur->u.c.last != NULL) {
            cur->u.c.last->next = node;
        } else {
            cur->u.c.first = node;
        }
        cur->u.c.last = node;
        cur->u.c.count++;
    } else {
        root = node;
    }
    switch (*p) {
    case '"': {
        p++;
        const char *s;
        size_t sl;
        rc = read_string(r, &p, end, a, &s, &sl);
        if (UNLIKELY(rc < 0)) {
            return rc;
        }
        node->type = EIO_JSON_STRING;
        node->flags |= rc ? EIO_JSON_F_STR_COPIED : 0;
        node->u.str.ptr = s;
        node->u.str.len = sl;
        goto after;
    }
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        rc = read_number(r, &p, end, a, node);
        goto scalar;
    case '[':
    case '{':
        if (UNLIKELY(depth >= max_depth)) {
            return fail(r, p, "nesting too deep", EIO_ERR_JSON_DEPTH);
        }
        depth++;
        node->type = *p == '[' ? EIO_JSON_ARRAY : EIO_JSON_OBJECT;
        node->u.c.first = NULL;
        node->u.c.last = NULL;
        node->u.c.count = 0;
        node->next = cur; /* parent, until it closes */
        cur = node;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (node->type == EIO_JSON_ARRAY ? ']' : '}')) {
            p++;
            goto close;
        }
        if (node->type == EIO_JSON_ARRAY) {
            goto value;
        }
        goto member;
    case 't':
        node->type = EIO_JSON_BOOL;
        node->u.b = true;
        rc = read_literal(r, &p, end, "true", 4);
        goto scalar;
    case 'f':
        node->type = EIO_JSON_BOOL;
        node->u.b = false;
        rc = read_literal(r, &p, end, "false", 5);
        goto scalar;
    case 'n':
        node->type = EIO_JSON_NULL;
        rc = read_literal(r, &p, end, "null", 4);
        goto scalar;
    default:
        return fail(r, p, "unexpected character where a value is expected", EIO_ERR_JSON_SYNTAX);
    }

scalar:
    if (UNLIKELY(rc < 0)) {
        return rc;
    }
    goto after;

close: {
    eio_json *parent = cur->next;
    cur->next = NULL;
    cur = parent;
    depth--;
}

after:
    p = skip_ws(p, end);
    if (cur == NULL) {
        if (p != end) {
            return fail(r, p, "unexpected data after the value", EIO_ERR_JSON_TRAILING);
        }
        *out = root;
        return 0;
    }
    if (UNLIKELY(p == end)) {
        return fail(r, end,
                    cur->type == EIO_JSON_ARRAY ? "input ends inside an array"
                                                : "input ends inside an object",
                    EIO_ERR_JSON_UNEXPECTED_END);
    }
    if (*p == ',') {
        p++;
        if (cur->type == EIO_JSON_ARRAY) {
            goto value;
        }
        goto member;
    }
    if (*p == (cur->type == EIO_JSON_ARRAY ? ']' : '}')) {
        p++;
        goto close;
    }
    return fail(r, p, cur->type == EIO_JSON_ARRAY ? "expected ',' or ']'" : "expected ',' or '}'",
                EIO_ERR_JSON_SYNTAX);

member:
    rc = object_token(r, &p, end, '"', "expected a string key");
    if (UNLIKELY(rc < 0)) {
        return rc;
    }
    {
        const uint8_t *kstart = p;
        rc = read_string(r, &p, end, a, &key, &key_len);
        if (UNLIKELY(rc < 0)) {
            return rc;
        }
        if (UNLIKELY(key_len > UINT32_MAX)) {
            return fail(r, kstart, "key too long", EIO_ERR_JSON_TOO_LARGE);
        }
        key_flag = rc ? EIO_JSON_F_KEY_COPIED : 0;
    }
    rc = object_token(r, &p, end, ':', "expected ':' after a key");
    if (UNLIKELY(rc < 0)) {
        return rc;
    }
    goto value;

nomem:
    return fail(r, p, "arena exhausted", EIO_ERR_NOMEM);
}

static int report(eio_errinfo *err, int code, const char *msg, size_t offset)
{
    if (err != NULL) {
        err->code = code;
        err->msg = msg;
        err->offset = offset;
    }
    return code;
}

int eio_json_parse(const uint8_t *in, size_t len, const eio_json_options *opt, eio_arena *arena,
                   eio_json **out, eio_errinfo *err)
{
    reader r = {NULL, NULL};
    int rc;
    if (out != NULL) {
        *out = NULL;
    }
    size_t max_depth = opt != NULL && opt->max_depth ? opt->max_depth : EIO_JSON_DEFAULT_MAX_DEPTH;
    size_t max_size = opt != NULL && opt->max_size ? opt->max_size : EIO_JSON_DEFAULT_MAX_SIZE;
    if ((in == NULL && len != 0) || arena == NULL || out == NULL) {
        return report(err, EIO_ERR_INVALID_ARGUMENT, "NULL argument", 0);
    }
    if (len > max_size) {
        return report(err, EIO_ERR_JSON_TOO_LARGE, "input longer than max_size", max_size);
    }
    static const uint8_t empty[1] = {0};
    if (in == NULL) {
        in = empty;
    }
    eio_json *root = NULL;
    rc = parse(&r, in, len, max_depth, arena, &root);
    if (rc == 0) {
        *out = root;
        return 0;
    }
    return report(err, rc, r.msg, r.errp != NULL ? (size_t)(r.errp - in) : 0);
}
