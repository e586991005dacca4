/* JSON lines for the sioc command line: a bounded line reader and a writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sioc/eio.h"
#include "sioc_jsonl.h"

/* read(2) returns what is available, so piping a live capture through a
 * verb prints each line as soon as it is complete. */
#define READ_CHUNK 65536u

/* Arena budget per line: a line like {"a":0,"a":0,...} costs one node of
 * about 48 bytes per 6 input bytes, and unescaped strings at most the line
 * again; anything beyond this is reported as EIO_ERR_NOMEM. */
#define ARENA_PER_LINE_BYTE 10u
#define ARENA_SLACK (1u << 20)

void sioc_jsonl_in_init(sioc_jsonl_in *in, FILE *f, size_t max_line)
{
    memset(in, 0, sizeof *in);
    in->f = f;
    in->max_line = max_line;
    size_t limit = SIZE_MAX;
    if (max_line <= (SIZE_MAX - ARENA_SLACK) / ARENA_PER_LINE_BYTE) {
        limit = max_line * ARENA_PER_LINE_BYTE + ARENA_SLACK;
    }
    eio_arena_init(&in->arena, NULL, 65536, limit);
    in->opt.max_size = max_line;
}

void sioc_jsonl_in_free(sioc_jsonl_in *in)
{
    free(in->buf);
    in->buf = NULL;
    eio_arena_destroy(&in->arena);
}

/* Makes room for one more read chunk. The buffer never holds more than one
 * unfinished line (at most max_line + 1 bytes) plus one chunk. */
static int make_room(sioc_jsonl_in *in)
{
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->start = 0;
    }
    if (in->cap - in->end >= READ_CHUNK) {
        return 0;
    }
    size_t want = in->end + READ_CHUNK;
    size_t ncap = in->cap < 4096 ? 4096 : in->cap;
    while (ncap < want) {
        ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
    }
    uint8_t *nb = realloc(in->buf, ncap);
    if (nb == NULL) {
        return EIO_ERR_NOMEM;
    }
    in->buf = nb;
    in->cap = ncap;
    return 0;
}

static int fill(sioc_jsonl_in *in)
{
    int rc = make_room(in);
    if (rc < 0) {
        return rc;
    }
    /* Before waiting for more input, hand what was printed so far to the
     * consumer, so a pipeline sees each answer as soon as it exists. */
    if (in->flush_before_read != NULL) {
        fflush(in->flush_before_read);
    }
    int fd = fileno(in->f);
    for (;;) {
        ssize_t n = read(fd, in->buf + in->end, in->cap - in->end);
        if (n > 0) {
            in->end += (size_t)n;
            return 0;
        }
        if (n == 0) {
            in->eof = true;
            return 0;
        }
        if (errno != EINTR) {
            in->eof = true;
            in->io_error = true;
            in->io_errno = errno;
            return 0;
        }
    }
}

/* Returns 1 with the next physical line, 0 at the end, or a negative code. */
static int next_line(sioc_jsonl_in *in, eio_errinfo *err)
{
    for (;;) {
        size_t avail = in->end - in->start;
        const uint8_t *base = in->buf != NULL ? in->buf + in->start : NULL;
        const uint8_t *nl = NULL;
        if (avail > in->scan) {
            nl = memchr(base + in->scan, '\n', avail - in->scan);
        }
        size_t len = nl != NULL ? (size_t)(nl - base) : avail;
        if (len > in->max_line) {
            in->line_no++;
            err->code = EIO_ERR_LIMIT;
            err->msg = "line longer than the line limit (--max-line)";
            err->offset = in->max_line;
            return EIO_ERR_LIMIT;
        }
        if (nl != NULL || (in->eof && avail > 0)) {
            in->line = base;
            in->line_len = len;
            in->line_no++;
            in->start += nl != NULL ? len + 1 : len;
            in->scan = 0;
            return 1;
        }
        if (in->eof) {
            return 0;
        }
        in->scan = avail;
        int rc = fill(in);
        if (rc < 0) {
            in->line_no++;
            err->code = rc;
            err->msg = "out of memory reading a line";
            err->offset = avail;
            return rc;
        }
    }
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t sioc_json_skip_ws(const uint8_t *s, size_t n, size_t i)
{
    while (i < n && is_ws(s[i])) {
        i++;
    }
    return i;
}

int sioc_jsonl_next(sioc_jsonl_in *in, const eio_json **root, eio_errinfo *err)
{
    for (;;) {
        int rc = next_line(in, err);
        if (rc <= 0) {
            return rc;
        }
        size_t first = sioc_json_skip_ws(in->line, in->line_len, 0);
        if (first == in->line_len) {
            continue; /* blank line */
        }
        eio_arena_reset(&in->arena);
        eio_json *v = NULL;
        rc = eio_json_parse(in->line, in->line_len, &in->opt, &in->arena, &v, err);
        if (rc < 0) {
            return rc;
        }
        if (v->type != EIO_JSON_OBJECT) {
            err->code = EIO_ERR_INVALID_ARGUMENT;
            err->msg = "a line must hold one JSON object";
            err->offset = first;
            return EIO_ERR_INVALID_ARGUMENT;
        }
        *root = v;
        return 1;
    }
}

/* The helpers below walk a line the JSON reader already accepted, so they
 * only need to find boundaries; the bounds checks keep them safe anyway. */
size_t sioc_json_skip_string(const uint8_t *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return n;
}

size_t sioc_json_skip_value(const uint8_t *s, size_t n, size_t i)
{
    size_t depth = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == '"') {
            i = sioc_json_skip_string(s, n, i);
            if (depth == 0) {
                return i;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return i;
            }
            depth--;
            if (depth == 0) {
                return i + 1;
            }
        } else if (depth == 0 && (c == ',' || is_ws(c))) {
            return i;
        }
        i++;
    }
    return n;
}

size_t sioc_jsonl_member_offset(const sioc_jsonl_in *in, const char *key, bool want_key)
{
    const uint8_t *s = in->line;
    size_t n = in->line_len;
    size_t klen = key != NULL ? strlen(key) : 0;
    size_t i = sioc_json_skip_ws(s, n, 0);
    size_t found = i;
    if (key == NULL || i >= n || s[i] != '{') {
        return found;
    }
    i++;
    for (;;) {
        i = sioc_json_skip_ws(s, n, i);
        if (i >= n || s[i] != '"') {
            return found;
        }
        size_t kstart = i;
        i = sioc_json_skip_string(s, n, i);
        bool match = i - kstart == klen + 2 && memcmp(s + kstart + 1, key, klen) == 0;
        i = sioc_json_skip_ws(s, n, i);
        if (i >= n || s[i] != ':') {
            return found;
        }
        i = sioc_json_skip_ws(s, n, i + 1);
        if (match) {
            found = want_key ? kstart : i;
        }
        i = sioc_json_skip_ws(s, n, sioc_json_skip_value(s, n, i));
        if (i >= n || s[i] != ',') {
            return found;
        }
        i++;
    }
}

size_t sioc_jsonl_string_offset(const sioc_jsonl_in *in, const eio_json *v, const char *key)
{
    const uint8_t *p = (const uint8_t *)v->u.str.ptr;
    if ((v->flags & EIO_JSON_F_STR_COPIED) == 0 && p >= in->line &&
        p <= in->line + in->line_len) {
        return (size_t)(p - in->line);
    }
    return sioc_jsonl_member_offset(in, key, false);
}

/* ------------------------------------------------------------------------ */

void sioc_jbuf_free(sioc_jbuf *b)
{
    free(b->ptr);
    memset(b, 0, sizeof *b);
}

static bool reserve(sioc_jbuf *b, size_t n)
{
    if (b->nomem) {
        return false;
    }
    if (b->cap - b->len >= n) {
        return true;
    }
    if (n > SIZE_MAX / 2 - b->len) {
        b->nomem = true;
        return false;
    }
    size_t ncap = b->cap < 256 ? 256 : b->cap;
    while (ncap < b->len + n) {
        ncap *= 2;
    }
    char *np = realloc(b->ptr, ncap);
    if (np == NULL) {
        b->nomem = true;
        return false;
    }
    b->ptr = np;
    b->cap = ncap;
    return true;
}

void sioc_jbuf_raw(sioc_jbuf *b, const char *s, size_t n)
{
    if (n > 0 && reserve(b, n)) {
        memcpy(b->ptr + b->len, s, n);
        b->len += n;
    }
}

void sioc_jbuf_lit(sioc_jbuf *b, const char *s)
{
    sioc_jbuf_raw(b, s, strlen(s));
}

void sioc_jbuf_string(sioc_jbuf *b, const uint8_t *s, size_t n)
{
    /* A node on the stack lets the library's writer do the escaping
     * without copying the bytes into an arena first. */
    eio_json node;
    memset(&node, 0, sizeof node);
    node.type = EIO_JSON_STRING;
    /* An empty string may come as (NULL, 0); the writer wants a pointer. */
    node.u.str.ptr = s != NULL ? (const char *)s : "";
    node.u.str.len = n;
    /* Most text needs no escapes: try with room for quotes first. */
    if (n > SIZE_MAX - 2 || !reserve(b, n + 2)) {
        b->nomem = true;
        return;
    }
    size_t need = eio_json_write(&node, b->ptr + b->len, b->cap - b->len);
    if (need > b->cap - b->len) {
        if (!reserve(b, need)) {
            return;
        }
        need = eio_json_write(&node, b->ptr + b->len, b->cap - b->len);
    }
    b->len += need;
}

void sioc_jbuf_json(sioc_jbuf *b, const eio_json *v)
{
    /* Only the node itself: a copy without siblings or key. */
    eio_json node = *v;
    node.next = NULL;
    node.key = NULL;
    node.key_len = 0;
    /* Measuring needs a real pointer too: the writer offsets `out`. */
    if (!reserve(b, EIO_JSON_NUMBER_MAX)) {
        return;
    }
    size_t need = eio_json_write(&node, b->ptr + b->len, b->cap - b->len);
    if (need > b->cap - b->len) {
        if (!reserve(b, need)) {
            return;
        }
        need = eio_json_write(&node, b->ptr + b->len, b->cap - b->len);
    }
    b->len += need;
}

bool sioc_jbuf_marker(sioc_jbuf *b, const eio_json *v)
{
    if (v->type == EIO_JSON_BINARY) {
        sioc_jbuf_lit(b, "{\"$binary\":");
        sioc_jbuf_base64(b, (const uint8_t *)v->u.str.ptr, v->u.str.len);
        sioc_jbuf_lit(b, "}");
        return true;
    }
    if (v->type == EIO_JSON_UNDEFINED) {
        sioc_jbuf_lit(b, "{\"$undefined\":true}");
        return true;
    }
    return false;
}

void sioc_jbuf_tree(sioc_jbuf *b, const eio_json *v)
{
    if (sioc_jbuf_marker(b, v)) {
        return;
    }
    if (v->type != EIO_JSON_ARRAY && v->type != EIO_JSON_OBJECT) {
        sioc_jbuf_json(b, v);
        return;
    }
    bool obj = v->type == EIO_JSON_OBJECT;
    sioc_jbuf_lit(b, obj ? "{" : "[");
    for (const eio_json *c = v->u.c.first; c != NULL; c = c->next) {
        if (c != v->u.c.first) {
            sioc_jbuf_lit(b, ",");
        }
        if (obj) {
            sioc_jbuf_string(b, (const uint8_t *)c->key, c->key_len);
            sioc_jbuf_lit(b, ":");
        }
        sioc_jbuf_tree(b, c);
    }
    sioc_jbuf_lit(b, obj ? "}" : "]");
}

void sioc_jbuf_base64(sioc_jbuf *b, const uint8_t *bytes, size_t n)
{
    size_t m = eio_base64_encoded_len(n);
    if (m > SIZE_MAX - 2 || !reserve(b, m + 2)) {
        b->nomem = true;
        return;
    }
    b->ptr[b->len++] = '"';
    b->len += eio_base64_encode(bytes, n, b->ptr + b->len);
    b->ptr[b->len++] = '"';
}

void sioc_jbuf_uint(sioc_jbuf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    if (n > 0) {
        sioc_jbuf_raw(b, tmp, (size_t)n);
    }
}

int sioc_jbuf_emit(sioc_jbuf *b, FILE *f)
{
    sioc_jbuf_raw(b, "\n", 1);
    if (b->nomem) {
        b->len = 0;
        b->nomem = false;
        return EIO_ERR_NOMEM;
    }
    size_t n = b->len;
    b->len = 0;
    return fwrite(b->ptr, 1, n, f) == n ? 0 : -1;
}

int sioc_jsonl_print_error(FILE *f, int code, size_t offset, const char *msg,
                           unsigned long line)
{
    const char *name = eio_error_name(code);
    if (name == NULL) {
        name = "EIO_ERR_UNKNOWN";
    }
    if (msg == NULL) {
        msg = eio_strerror(code);
    }
    sioc_jbuf b = {0};
    sioc_jbuf_lit(&b, "{\"error\":");
    sioc_jbuf_string(&b, (const uint8_t *)name, strlen(name));
    sioc_jbuf_lit(&b, ",\"offset\":");
    sioc_jbuf_uint(&b, offset);
    sioc_jbuf_lit(&b, ",\"message\":");
    sioc_jbuf_string(&b, (const uint8_t *)msg, strlen(msg));
    sioc_jbuf_lit(&b, ",\"line\":");
    sioc_jbuf_uint(&b, line);
    sioc_jbuf_lit(&b, "}");
    int rc = sioc_jbuf_emit(&b, f);
    sioc_jbuf_free(&b);
    return rc;
}
