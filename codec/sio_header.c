/*
 * Socket.IO text packet header (sioc/sio.h, level 1) and the checks shared
 * by every Socket.IO parser (sio_internal.h).
 *
 * One forward pass over the header bytes, no allocation: the payload is
 * only looked at as far as its first character and, for events, the first
 * array element (so that a router can dispatch on the event name).
 */
#include <string.h>

#include "eio_internal.h"
#include "sio_internal.h"

static const uint8_t main_nsp[1] = {'/'};

const char *sio_packet_type_name(int type)
{
    static const char *const names[] = {"CONNECT",       "DISCONNECT",   "EVENT",     "ACK",
                                        "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
    if (type < 0 || type > 6) {
        return NULL;
    }
    return names[type];
}

void sio_limits_default(sio_limits *l)
{
    if (l == NULL) {
        return;
    }
    l->max_attachments = SIO_DEFAULT_MAX_ATTACHMENTS;
    l->max_attachment_size = SIO_DEFAULT_MAX_ATTACHMENT_SIZE;
    l->max_attachments_total = SIO_DEFAULT_MAX_ATTACHMENTS_TOTAL;
    l->max_packet = SIO_DEFAULT_MAX_PACKET;
    l->max_depth = SIO_DEFAULT_MAX_DEPTH;
    l->max_namespace = SIO_DEFAULT_MAX_NAMESPACE;
}

void sio_limits_resolve(const sio_limits *in, sio_limits *out)
{
    sio_limits_default(out);
    if (in == NULL) {
        return;
    }
    if (in->max_attachments != 0) {
        out->max_attachments = in->max_attachments;
    }
    if (in->max_attachment_size != 0) {
        out->max_attachment_size = in->max_attachment_size;
    }
    if (in->max_attachments_total != 0) {
        out->max_attachments_total = in->max_attachments_total;
    }
    if (in->max_packet != 0) {
        out->max_packet = in->max_packet;
    }
    if (in->max_depth != 0) {
        out->max_depth = in->max_depth;
    }
    if (in->max_namespace != 0) {
        out->max_namespace = in->max_namespace;
    }
}

int sio_fail(eio_errinfo *err, int code, size_t offset)
{
    if (err != NULL) {
        err->code = code;
        err->msg = eio_strerror(code);
        err->offset = offset;
    }
    return code;
}

bool sio_event_reserved(const char *name, size_t len)
{
    /* Dispatch on length first: the common event name matches none of them. */
    switch (len) {
    case 7:
        return memcmp(name, "connect", 7) == 0;
    case 10:
        return memcmp(name, "disconnect", 10) == 0;
    case 11:
        return memcmp(name, "newListener", 11) == 0;
    case 13:
        return memcmp(name, "connect_error", 13) == 0 || memcmp(name, "disconnecting", 13) == 0;
    case 14:
        return memcmp(name, "removeListener", 14) == 0;
    default:
        return false;
    }
}

int sio_check_namespace(const uint8_t *nsp, size_t len, size_t query_len, const sio_limits *lim,
                        eio_errinfo *err, size_t offset)
{
    if (len == 0 || nsp == NULL || nsp[0] != '/') {
        return sio_fail(err, SIO_ERR_BAD_NAMESPACE, offset);
    }
    if (len > lim->max_namespace || query_len > lim->max_namespace - len) {
        return sio_fail(err, SIO_ERR_NAMESPACE_TOO_LONG, offset);
    }
    size_t i = 0;
    while (i < len) {
        if (nsp[i] < 0x80) {
            i++;
            continue;
        }
        int k = eio_utf8_step(nsp + i, len - i);
        if (k <= 0) {
            return sio_fail(err, SIO_ERR_BAD_NAMESPACE, offset + i);
        }
        i += (size_t)k;
    }
    return 0;
}

static inline bool is_digit(uint8_t c)
{
    return (unsigned)c - '0' < 10u;
}

static inline bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int hexval(uint8_t c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    unsigned d = ((unsigned)c | 0x20u) - 'a';
    return d < 6 ? (int)d + 10 : -1;
}

/*
 * Whether the JSON string body s[0..n) (escapes well-formed, already
 * checked) unescapes to a reserved name. Reserved names are short ASCII,
 * so decoding stops as soon as the result cannot be one.
 */
static bool escaped_reserved(const uint8_t *s, size_t n)
{
    char name[16];
    size_t k = 0;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == '\\') {
            uint8_t e = s[i + 1];
            i += 2;
            switch (e) {
            case 'u':
                c = (unsigned)(hexval(s[i]) << 12 | hexval(s[i + 1]) << 8 |
                               hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
                i += 4;
                break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: c = e; break; /* \" \\ \/ */
            }
        } else {
            i++;
        }
        if (c >= 0x80 || k == sizeof name) {
            return false;
        }
        name[k++] = (char)c;
    }
    return sio_event_reserved(name, k);
}

/*
 * Scans the JSON string whose opening quote is at buf[q]. Sets *end to the
 * closing quote and *escaped. Errors: SIO_ERR_EVENT_NAME at a control
 * character or bad escape, or at len when unterminated;
 * EIO_ERR_INVALID_UTF8 at the first byte of a bad sequence.
 */
static int scan_name(const uint8_t *buf, size_t len, size_t q, size_t *end, bool *escaped,
                     eio_errinfo *err)
{
    size_t i = q + 1;
    bool esc = false;
    for (;;) {
        /* Plain ASCII runs are the common case: no branch per class. */
        while (i < len && buf[i] >= 0x20 && buf[i] < 0x80 && buf[i] != '"' && buf[i] != '\\') {
            i++;
        }
        if (i >= len) {
            return sio_fail(err, SIO_ERR_EVENT_NAME, len);
        }
        uint8_t c = buf[i];
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            esc = true;
            if (i + 1 >= len) {
                return sio_fail(err, SIO_ERR_EVENT_NAME, len);
            }
            uint8_t e = buf[i + 1];
            if (e == 'u') {
                if (len - i < 6) {
                    return sio_fail(err, SIO_ERR_EVENT_NAME, len);
                }
                for (size_t h = 2; h < 6; h++) {
                    if (hexval(buf[i + h]) < 0) {
                        return sio_fail(err, SIO_ERR_EVENT_NAME, i + h);
                    }
                }
                /* A lone surrogate escape is refused by the JSON reader too. */
                unsigned cp = (unsigned)(hexval(buf[i + 2]) << 12 | hexval(buf[i + 3]) << 8 |
                                         hexval(buf[i + 4]) << 4 | hexval(buf[i + 5]));
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (len - i < 12 || buf[i + 6] != '\\' || buf[i + 7] != 'u') {
                        return sio_fail(err, SIO_ERR_EVENT_NAME, i);
                    }
                    unsigned lo = 0;
                    for (size_t h = 8; h < 12; h++) {
                        int v = hexval(buf[i + h]);
                        if (v < 0) {
                            return sio_fail(err, SIO_ERR_EVENT_NAME, i + h);
                        }
                        lo = lo << 4 | (unsigned)v;
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        return sio_fail(err, SIO_ERR_EVENT_NAME, i);
                    }
                    i += 12;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return sio_fail(err, SIO_ERR_EVENT_NAME, i);
                } else {
                    i += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                e != 'r' && e != 't') {
                return sio_fail(err, SIO_ERR_EVENT_NAME, i + 1);
            }
            i += 2;
            continue;
        }
        if (c < 0x20) {
            return sio_fail(err, SIO_ERR_EVENT_NAME, i);
        }
        int k = eio_utf8_step(buf + i, len - i);
        if (k <= 0) {
            return sio_fail(err, EIO_ERR_INVALID_UTF8, i);
        }
        i += (size_t)k;
    }
    *end = i;
    *escaped = esc;
    return 0;
}

/* Scans a JSON number starting at buf[i]; returns its end or 0 when malformed. */
static size_t scan_number(const uint8_t *buf, size_t len, size_t i)
{
    if (i < len && buf[i] == '-') {
        i++;
    }
    if (i >= len || !is_digit(buf[i])) {
        return 0;
    }
    if (buf[i] == '0') {
        i++;
    } else {
        while (i < len && is_digit(buf[i])) {
            i++;
        }
    }
    if (i < len && buf[i] == '.') {
        i++;
        if (i >= len || !is_digit(buf[i])) {
            return 0;
        }
        while (i < len && is_digit(buf[i])) {
            i++;
        }
    }
    if (i < len && (buf[i] == 'e' || buf[i] == 'E')) {
        i++;
        if (i < len && (buf[i] == '+' || buf[i] == '-')) {
            i++;
        }
        if (i >= len || !is_digit(buf[i])) {
            return 0;
        }
        while (i < len && is_digit(buf[i])) {
            i++;
        }
    }
    return i;
}

int sio_header_parse(sio_version v, const uint8_t *buf, size_t len, const sio_limits *lim,
                     bool full, sio_header *out, eio_errinfo *err)
{
    if ((buf == NULL && len != 0) || out == NULL || (v != SIO_V4 && v != SIO_V5)) {
        return sio_fail(err, EIO_ERR_INVALID_ARGUMENT, 0);
    }
    size_t max_packet = lim != NULL && lim->max_packet ? lim->max_packet : SIO_DEFAULT_MAX_PACKET;
    size_t max_att =
        lim != NULL && lim->max_attachments ? lim->max_attachments : SIO_DEFAULT_MAX_ATTACHMENTS;
    size_t max_nsp =
        lim != NULL && lim->max_namespace ? lim->max_namespace : SIO_DEFAULT_MAX_NAMESPACE;

    out->type = SIO_PACKET_CONNECT;
    out->attachments = 0;
    out->nsp.ptr = main_nsp;
    out->nsp.len = 1;
    out->query.ptr = NULL;
    out->query.len = 0;
    out->has_id = false;
    out->id = 0;
    out->payload.ptr = NULL;
    out->payload.len = 0;
    out->event_kind = SIO_EVENT_NONE;
    out->event.ptr = NULL;
    out->event.len = 0;

    if (len == 0) {
        return sio_fail(err, EIO_ERR_EMPTY_PACKET, 0);
    }
    if (len > max_packet) {
        return sio_fail(err, SIO_ERR_PACKET_TOO_LARGE, max_packet);
    }
    unsigned t = (unsigned)buf[0] - '0';
    if (t > 6) {
        return sio_fail(err, SIO_ERR_INVALID_TYPE, 0);
    }
    sio_packet_type type = (sio_packet_type)t;
    out->type = type;
    size_t i = 1;

    if (type == SIO_PACKET_BINARY_EVENT || type == SIO_PACKET_BINARY_ACK) {
        size_t start = i;
        uint64_t n = 0;
        bool over = false;
        while (i < len && is_digit(buf[i])) {
            if (!over) {
                n = n * 10 + (uint64_t)(buf[i] - '0');
                over = n > max_att;
            }
            i++;
        }
        if (i == start || i == len || buf[i] != '-') {
            return sio_fail(err, SIO_ERR_BAD_ATTACHMENTS, i);
        }
        if (over) {
            return sio_fail(err, SIO_ERR_TOO_MANY_ATTACHMENTS, start);
        }
        if (n == 0) {
            return sio_fail(err, SIO_ERR_BAD_ATTACHMENTS, start);
        }
        out->attachments = (uint32_t)n;
        i++;
    }

    if (i < len && buf[i] == '/') {
        /* The namespace runs to ',' or to the end of the packet, as the
           reference reads it. Scanned once: separator, query, UTF-8, length. */
        size_t start = i, q = 0;
        bool has_q = false;
        /* v4 clients pass connection parameters as a query after the
           namespace; in v5 a '?' is just part of the name, as v5 servers
           read it. */
        bool split_query = v == SIO_V4;
        size_t limit = len - start > max_nsp ? start + max_nsp : len;
        while (i < limit) {
            uint8_t c = buf[i];
            if (c < 0x80) {
                if (c == ',') {
                    break;
                }
                if (c == '?' && !has_q && split_query) {
                    has_q = true;
                    q = i;
                }
                i++;
                continue;
            }
            int k = eio_utf8_step(buf + i, len - i);
            if (k <= 0) {
                return sio_fail(err, SIO_ERR_BAD_NAMESPACE, i);
            }
            i += (size_t)k;
        }
        if (i > limit || (i == limit && i < len && buf[i] != ',')) {
            return sio_fail(err, SIO_ERR_NAMESPACE_TOO_LONG, start + max_nsp);
        }
        if (has_q) {
            out->nsp.ptr = buf + start;
            out->nsp.len = q - start;
            out->query.ptr = buf + q + 1;
            out->query.len = i - q - 1;
        } else {
            out->nsp.ptr = buf + start;
            out->nsp.len = i - start;
        }
        if (i < len) {
            i++; /* the ',' */
        }
    }

    if (i < len && is_digit(buf[i])) {
        size_t start = i;
        uint64_t id = 0;
        bool over = false;
        while (i < len && is_digit(buf[i])) {
            if (!over) {
                id = id * 10 + (uint64_t)(buf[i] - '0');
                over = id > SIO_MAX_ACK_ID;
            }
            i++;
        }
        if (over) {
            return sio_fail(err, SIO_ERR_BAD_ACK_ID, start);
        }
        out->has_id = true;
        out->id = id;
    }

    out->payload.ptr = buf + i;
    out->payload.len = len - i;
    bool has_payload = i < len;
    uint8_t c0 = has_payload ? buf[i] : 0;

    switch (type) {
    case SIO_PACKET_CONNECT:
        if (has_payload && c0 != '{') {
            return sio_fail(err, SIO_ERR_CONNECT_NOT_OBJECT, i);
        }
        return 0;
    case SIO_PACKET_DISCONNECT:
        if (has_payload) {
            return sio_fail(err, SIO_ERR_DISCONNECT_PAYLOAD, i);
        }
        return 0;
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK:
        if (!has_payload) {
            return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, len);
        }
        if (c0 != '[') {
            return sio_fail(err, SIO_ERR_ACK_NOT_ARRAY, i);
        }
        return 0;
    case SIO_PACKET_CONNECT_ERROR:
        if (!has_payload) {
            return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, len);
        }
        if (c0 != '"' && c0 != '{') {
            return sio_fail(err, SIO_ERR_CONNECT_ERROR_PAYLOAD, i);
        }
        return 0;
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT:
    default:
        break;
    }

    if (!has_payload) {
        return sio_fail(err, SIO_ERR_MISSING_PAYLOAD, len);
    }
    if (c0 != '[') {
        return sio_fail(err, SIO_ERR_EVENT_NOT_ARRAY, i);
    }
    size_t j = i + 1;
    while (j < len && is_ws(buf[j])) {
        j++;
    }
    out->event.ptr = buf + j;
    if (full) {
        /* The JSON reader and the tree check will judge the element. */
        return 0;
    }
    if (j == len) {
        return sio_fail(err, SIO_ERR_EVENT_NAME, len);
    }
    uint8_t e = buf[j];
    if (e == '"') {
        size_t end;
        bool escaped;
        int rc = scan_name(buf, len, j, &end, &escaped, err);
        if (rc < 0) {
            return rc;
        }
        const uint8_t *name = buf + j + 1;
        size_t nlen = end - j - 1;
        if (escaped ? escaped_reserved(name, nlen) : sio_event_reserved((const char *)name, nlen)) {
            return sio_fail(err, SIO_ERR_EVENT_RESERVED, j);
        }
        out->event_kind = escaped ? SIO_EVENT_ESCAPED : SIO_EVENT_STRING;
        out->event.ptr = name;
        out->event.len = nlen;
        return 0;
    }
    if (e == '-' || is_digit(e)) {
        size_t end = scan_number(buf, len, j);
        if (end == 0 || (end < len && buf[end] != ',' && buf[end] != ']' && !is_ws(buf[end]))) {
            return sio_fail(err, SIO_ERR_EVENT_NAME, j);
        }
        out->event_kind = SIO_EVENT_NUMBER;
        out->event.len = end - j;
        return 0;
    }
    if (e == ']') {
        return sio_fail(err, SIO_ERR_EVENT_EMPTY, j);
    }
    return sio_fail(err, SIO_ERR_EVENT_NAME, j);
}

int sio_header_decode(sio_version v, const uint8_t *buf, size_t len, const sio_limits *lim,
                      sio_header *out, eio_errinfo *err)
{
    return sio_header_parse(v, buf, len, lim, false, out, err);
}
