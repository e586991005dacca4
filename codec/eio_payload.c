/*
 * Engine.IO polling payloads: the incremental decoder and the encoder.
 *
 * The decoder is resumable at any byte: `pos` is the start of the record in
 * progress, `scan` the first byte not yet examined, and `state` holds what a
 * format needs to continue (phase, declared length, digits or UTF-16 units
 * counted, start of the packet data). Offsets in the decoder are relative to
 * the caller's current buffer; `base` adds the bytes dropped by rebase.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "eio_internal.h"

enum {
    ST_PHASE = 0, /* v3 formats: which part of the record is being read */
    ST_VALUE = 1, /* v3: declared length */
    ST_COUNT = 2, /* v3: length digits read, then UTF-16 units counted (text) */
    ST_DATA = 3,  /* v3: offset of the packet data */
};

/* v3 text phases */
enum { PH_LENGTH = 0, PH_CONTENT = 1 };
/* v3 binary phases */
enum { PH_MARKER = 0, PH_DIGITS = 1, PH_BODY = 2 };

/* Once failed, state[ERR_OFFSET] keeps the absolute offset and state[ERR_MSG]
 * the message index, so that later calls report the same error. */
enum { ERR_OFFSET = 0, ERR_MSG = 1 };

#define SEPARATOR 0x1e
#define MAX_LENGTH_DIGITS 10

static const char *const messages[] = {
    "invalid argument",                                    /* 0 */
    "empty payload",                                       /* 1 */
    "payload larger than max_payload",                     /* 2 */
    "record larger than max_packet",                       /* 3 */
    "more packets than max_packets",                       /* 4 */
    "empty record",                                        /* 5 */
    "length prefix is not a decimal number",               /* 6 */
    "length prefix has more than 10 digits",               /* 7 */
    "length prefix is empty",                              /* 8 */
    "payload ends inside a length prefix",                 /* 9 */
    "length runs past the end of the payload",             /* 10 */
    "length ends inside a surrogate pair",                 /* 11 */
    "invalid UTF-8 in text packet",                        /* 12 */
    "binary record marker is neither 0 nor 1",             /* 13 */
    "invalid packet type",                                 /* 14 */
    "invalid base64 data",                                 /* 15 */
    "packet has no type",                                  /* 16 */
    "invalid packet",                                      /* 17 */
};
enum {
    M_ARG, M_EMPTY_PAYLOAD, M_PAYLOAD_LARGE, M_PACKET_LARGE, M_TOO_MANY, M_EMPTY_RECORD,
    M_NOT_DECIMAL, M_TOO_MANY_DIGITS, M_NO_DIGITS, M_ENDS_IN_LENGTH, M_PAST_END,
    M_SPLITS_CHAR, M_UTF8, M_BAD_MARKER, M_TYPE, M_BASE64, M_EMPTY_PACKET, M_OTHER,
};

static size_t message_for_packet_error(int code)
{
    switch (code) {
    case EIO_ERR_INVALID_TYPE:
        return M_TYPE;
    case EIO_ERR_INVALID_UTF8:
        return M_UTF8;
    case EIO_ERR_INVALID_BASE64:
        return M_BASE64;
    case EIO_ERR_EMPTY_PACKET:
        return M_EMPTY_PACKET;
    default:
        return M_OTHER;
    }
}

static void fill(eio_errinfo *err, int code, size_t msg, size_t offset)
{
    if (err != NULL) {
        err->code = code;
        err->msg = messages[msg];
        err->offset = offset;
    }
}

/* Records a sticky error at `rel` (relative to the current buffer). */
static int fail(eio_payload_decoder *d, eio_errinfo *err, int code, size_t msg, size_t rel)
{
    d->error = code;
    d->state[ERR_OFFSET] = d->base + rel;
    d->state[ERR_MSG] = msg;
    fill(err, code, msg, d->base + rel);
    return code;
}

/* Fails with the error a packet decoder reported, moved to the record's place. */
static int fail_packet(eio_payload_decoder *d, eio_errinfo *err, const eio_fail *f, size_t at)
{
    return fail(d, err, f->code, message_for_packet_error(f->code), at + f->offset);
}

int eio_payload_decoder_init(eio_payload_decoder *d, eio_version v, eio_payload_format format,
                             const eio_limits *lim)
{
    if (d == NULL || (v != EIO_V3 && v != EIO_V4) ||
        (format != EIO_PAYLOAD_TEXT && format != EIO_PAYLOAD_BINARY) ||
        (format == EIO_PAYLOAD_BINARY && v != EIO_V3)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    memset(d, 0, sizeof *d);
    d->version = v;
    d->format = format;
    eio_limits_default(&d->limits);
    if (lim != NULL) {
        if (lim->max_payload != 0) {
            d->limits.max_payload = lim->max_payload;
        }
        d->limits.max_packet = lim->max_packet != 0 ? lim->max_packet : d->limits.max_payload;
        if (lim->max_packets != 0) {
            d->limits.max_packets = lim->max_packets;
        }
    }
    return 0;
}

size_t eio_payload_decoder_consumed(const eio_payload_decoder *d)
{
    return d != NULL ? d->pos : 0;
}

int eio_payload_decoder_rebase(eio_payload_decoder *d, size_t n)
{
    if (d == NULL || n > d->pos) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    d->pos -= n;
    d->scan -= n;
    d->base += n;
    if (d->error == 0 && d->version == EIO_V3) {
        bool has_data = d->format == EIO_PAYLOAD_TEXT ? d->state[ST_PHASE] == PH_CONTENT
                                                      : d->state[ST_PHASE] == PH_BODY;
        if (has_data) {
            d->state[ST_DATA] -= n;
        }
    }
    return 0;
}

/* Hands out one packet, after the max_packets check; `next` starts the next record. */
static int emit(eio_payload_decoder *d, eio_errinfo *err, size_t next)
{
    if (d->packets >= d->limits.max_packets) {
        return fail(d, err, EIO_ERR_TOO_MANY_PACKETS, M_TOO_MANY, d->pos);
    }
    d->packets++;
    d->pos = next;
    d->scan = next;
    return EIO_PAYLOAD_PACKET;
}

/*
 * Finds the first record separator in p[0..n) and tells whether every byte
 * before it (or before n, if there is none) is ASCII. One pass does both the
 * split and, for ASCII records, the UTF-8 check, so the common body is read
 * once instead of twice.
 */
static const uint8_t *find_separator(const uint8_t *p, size_t n, bool *ascii)
{
    size_t i = 0;
    uint8_t high = 0;
#if defined(__SSE2__)
    const __m128i sep = _mm_set1_epi8(SEPARATOR);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sep));
        unsigned hi = (unsigned)_mm_movemask_epi8(v);
        if (hit != 0) {
            unsigned before = hit & (0u - hit); /* lowest set bit */
            *ascii = high == 0 && (hi & (before - 1u)) == 0;
            return p + i + (size_t)__builtin_ctz(hit);
        }
        high |= (uint8_t)(hi != 0);
    }
#endif
    for (; i < n; i++) {
        if (p[i] == SEPARATOR) {
            *ascii = high == 0;
            return p + i;
        }
        high |= (uint8_t)(p[i] & 0x80u);
    }
    *ascii = high == 0;
    return NULL;
}

static int next_v4(eio_payload_decoder *d, const uint8_t *buf, size_t len, bool final,
                   eio_packet *out, eio_errinfo *err)
{
    size_t pos = d->pos;
    size_t max_packet = d->limits.max_packet;
    /* Search no further than one byte past the largest record allowed. */
    size_t avail = len - pos;
    size_t end = pos + (max_packet < avail ? max_packet + 1 : avail);
    size_t start = d->scan > pos ? d->scan : pos;
    bool ascii = false;
    const uint8_t *sep = start < end ? find_separator(buf + start, end - start, &ascii) : NULL;
    /* The scan saw the whole record only when it started at the record. */
    ascii = ascii && start == pos;
    size_t rec_end, next;
    bool last = false;
    if (sep != NULL) {
        rec_end = (size_t)(sep - buf);
        next = rec_end + 1;
    } else {
        if (avail > max_packet) {
            return fail(d, err, EIO_ERR_PACKET_TOO_LARGE, M_PACKET_LARGE, pos + max_packet);
        }
        if (!final) {
            d->scan = len;
            return EIO_PAYLOAD_NEED_MORE;
        }
        rec_end = len;
        next = len;
        last = true;
    }
    if (rec_end == pos) {
        return fail(d, err, EIO_ERR_EMPTY_PACKET, M_EMPTY_RECORD, pos);
    }
    uint8_t t = buf[pos];
    if (ascii && t >= '0' && t <= '6') {
        /* The usual record, checked already: what eio_packet_decode_text
           would return, without the call. */
        size_t n = rec_end - pos;
        out->type = (eio_packet_type)(t - '0');
        out->kind = n > 1 ? EIO_DATA_TEXT : EIO_DATA_NONE;
        out->data = n > 1 ? buf + pos + 1 : NULL;
        out->len = n - 1;
    } else {
        eio_fail f;
        if (eio_packet_decode_text(EIO_V4, buf + pos, rec_end - pos, ascii, out, &f) != 0) {
            return fail_packet(d, err, &f, pos);
        }
    }
    int rc = emit(d, err, next);
    if (rc == EIO_PAYLOAD_PACKET && last) {
        d->done = true;
    }
    return rc;
}

/* Reads v3 length digits from d->scan; returns 1 when the terminator was
 * reached (at *term), 0 when the buffer ran out, or a negative error. */
static int read_length(eio_payload_decoder *d, const uint8_t *buf, size_t len, bool binary,
                       size_t digits_at, size_t *term, eio_errinfo *err)
{
    size_t i = d->scan;
    uint64_t value = d->state[ST_VALUE];
    size_t count = d->state[ST_COUNT];
    int rc = 0;
    for (; i < len; i++) {
        uint8_t c = buf[i];
        unsigned digit;
        if (binary ? c <= 9 : (c >= '0' && c <= '9')) {
            digit = binary ? c : (unsigned)(c - '0');
        } else if (c == (binary ? 0xFF : ':')) {
            if (count == 0) {
                return fail(d, err, EIO_ERR_BAD_LENGTH, M_NO_DIGITS, i);
            }
            *term = i;
            rc = 1;
            break;
        } else {
            return fail(d, err, EIO_ERR_BAD_LENGTH, M_NOT_DECIMAL, i);
        }
        if (count == MAX_LENGTH_DIGITS) {
            return fail(d, err, EIO_ERR_BAD_LENGTH, M_TOO_MANY_DIGITS, i);
        }
        count++;
        value = value * 10 + digit;
        /* A declared size over the limit fails before its bytes arrive. */
        if (value > d->limits.max_packet) {
            return fail(d, err, EIO_ERR_PACKET_TOO_LARGE, M_PACKET_LARGE, digits_at);
        }
    }
    d->scan = i;
    d->state[ST_VALUE] = (size_t)value;
    d->state[ST_COUNT] = count;
    return rc;
}

static int next_v3_text(eio_payload_decoder *d, const uint8_t *buf, size_t len, bool final,
                        eio_packet *out, eio_errinfo *err)
{
    for (;;) {
        if (d->state[ST_PHASE] == PH_LENGTH) {
            size_t colon;
            int rc = read_length(d, buf, len, false, d->pos, &colon, err);
            if (rc < 0) {
                return rc;
            }
            if (rc == 0) {
                if (!final) {
                    return EIO_PAYLOAD_NEED_MORE;
                }
                if (d->pos == len) {
                    d->done = true;
                    return EIO_PAYLOAD_END;
                }
                return fail(d, err, EIO_ERR_BAD_LENGTH, M_ENDS_IN_LENGTH, len);
            }
            if (d->state[ST_VALUE] == 0) {
                /* `0:` holds no packet; the reference skips it. */
                d->pos = d->scan = colon + 1;
                d->state[ST_COUNT] = 0;
                continue;
            }
            d->state[ST_PHASE] = PH_CONTENT;
            d->state[ST_DATA] = colon + 1;
            d->state[ST_COUNT] = 0;
            d->scan = colon + 1;
        }
        /* Count UTF-16 units until the declared length, validating UTF-8. */
        size_t value = d->state[ST_VALUE];
        size_t units = d->state[ST_COUNT];
        size_t data = d->state[ST_DATA];
        size_t max_packet = d->limits.max_packet;
        size_t i = d->scan;
        while (units < value && i < len) {
            if (value - units >= 8 && len - i >= 8 && eio_ascii8(buf + i)) {
                i += 8;
                units += 8;
            } else {
                int k = eio_utf8_step(buf + i, len - i);
                if (k == EIO_UTF8_BAD) {
                    return fail(d, err, EIO_ERR_INVALID_UTF8, M_UTF8, i);
                }
                if (k == EIO_UTF8_INCOMPLETE) {
                    if (final) {
                        return fail(d, err, EIO_ERR_INVALID_UTF8, M_UTF8, i);
                    }
                    break;
                }
                size_t u = k == 4 ? 2 : 1;
                if (value - units < u) {
                    return fail(d, err, EIO_ERR_LENGTH_SPLITS_CHAR, M_SPLITS_CHAR, i);
                }
                i += (size_t)k;
                units += u;
            }
            if (i - data > max_packet) {
                return fail(d, err, EIO_ERR_PACKET_TOO_LARGE, M_PACKET_LARGE, data + max_packet);
            }
        }
        d->scan = i;
        d->state[ST_COUNT] = units;
        if (units < value) {
            if (!final) {
                return EIO_PAYLOAD_NEED_MORE;
            }
            return fail(d, err, EIO_ERR_LENGTH_PAST_END, M_PAST_END, d->pos);
        }
        eio_fail f;
        if (eio_packet_decode_text(EIO_V3, buf + data, i - data, true, out, &f) != 0) {
            return fail_packet(d, err, &f, data);
        }
        int rc = emit(d, err, i);
        if (rc == EIO_PAYLOAD_PACKET) {
            d->state[ST_PHASE] = PH_LENGTH;
            d->state[ST_VALUE] = 0;
            d->state[ST_COUNT] = 0;
        }
        return rc;
    }
}

static int next_v3_binary(eio_payload_decoder *d, const uint8_t *buf, size_t len, bool final,
                          eio_packet *out, eio_errinfo *err)
{
    if (d->state[ST_PHASE] == PH_MARKER) {
        if (d->pos == len) {
            if (!final) {
                return EIO_PAYLOAD_NEED_MORE;
            }
            d->done = true;
            return EIO_PAYLOAD_END;
        }
        if (buf[d->pos] > 1) {
            return fail(d, err, EIO_ERR_BAD_BINARY_HEADER, M_BAD_MARKER, d->pos);
        }
        d->state[ST_PHASE] = PH_DIGITS;
        d->state[ST_VALUE] = 0;
        d->state[ST_COUNT] = 0;
        d->scan = d->pos + 1;
    }
    if (d->state[ST_PHASE] == PH_DIGITS) {
        size_t ff;
        int rc = read_length(d, buf, len, true, d->pos + 1, &ff, err);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            if (!final) {
                return EIO_PAYLOAD_NEED_MORE;
            }
            return fail(d, err, EIO_ERR_BAD_LENGTH, M_ENDS_IN_LENGTH, len);
        }
        d->state[ST_PHASE] = PH_BODY;
        d->state[ST_DATA] = ff + 1;
        d->scan = ff + 1;
    }
    size_t data = d->state[ST_DATA];
    size_t value = d->state[ST_VALUE];
    if (len - data < value) {
        if (!final) {
            return EIO_PAYLOAD_NEED_MORE;
        }
        return fail(d, err, EIO_ERR_LENGTH_PAST_END, M_PAST_END, d->pos);
    }
    eio_fail f;
    int rc = buf[d->pos] == 0
                 ? eio_packet_decode_text(EIO_V3, buf + data, value, false, out, &f)
                 : eio_packet_decode_v3_binary(buf + data, value, out, &f);
    if (rc != 0) {
        return fail_packet(d, err, &f, data);
    }
    rc = emit(d, err, data + value);
    if (rc == EIO_PAYLOAD_PACKET) {
        d->state[ST_PHASE] = PH_MARKER;
    }
    return rc;
}

int eio_payload_decoder_next(eio_payload_decoder *d, const uint8_t *buf, size_t len, bool final,
                             eio_packet *out, eio_errinfo *err)
{
    if (d == NULL || (buf == NULL && len > 0) || out == NULL) {
        fill(err, EIO_ERR_INVALID_ARGUMENT, M_ARG, 0);
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (d->error != 0) {
        fill(err, d->error, d->state[ERR_MSG], d->state[ERR_OFFSET]);
        return d->error;
    }
    if (d->done) {
        return EIO_PAYLOAD_END;
    }
    if (len < d->scan || len < d->pos) {
        /* The caller's buffer lost bytes it had already passed. */
        fill(err, EIO_ERR_INVALID_ARGUMENT, M_ARG, d->base + len);
        return EIO_ERR_INVALID_ARGUMENT;
    }
    if (d->base > d->limits.max_payload || len > d->limits.max_payload - d->base) {
        /* Detected as soon as the buffer holds more than the limit, even if
         * earlier records in it would be complete. */
        return fail(d, err, EIO_ERR_PAYLOAD_TOO_LARGE, M_PAYLOAD_LARGE,
                    d->limits.max_payload - d->base);
    }
    if (final && d->base + len == 0) {
        return fail(d, err, EIO_ERR_EMPTY_PAYLOAD, M_EMPTY_PAYLOAD, 0);
    }
    if (d->version == EIO_V4) {
        return next_v4(d, buf, len, final, out, err);
    }
    if (d->format == EIO_PAYLOAD_TEXT) {
        return next_v3_text(d, buf, len, final, out, err);
    }
    return next_v3_binary(d, buf, len, final, out, err);
}

eio_payload_format eio_payload_format_for(eio_version v, const eio_packet *pkts, size_t n,
                                          bool supports_binary)
{
    if (v != EIO_V3 || !supports_binary || pkts == NULL) {
        return EIO_PAYLOAD_TEXT;
    }
    for (size_t i = 0; i < n; i++) {
        if (eio_kind_is_binary(pkts[i].kind)) {
            return EIO_PAYLOAD_BINARY;
        }
    }
    return EIO_PAYLOAD_TEXT;
}

static size_t decimal_digits(size_t x)
{
    size_t n = 1;
    while (x >= 10) {
        x /= 10;
        n++;
    }
    return n;
}

/* Writes x in decimal, as characters (binary: as byte values 0-9). */
static uint8_t *write_decimal(uint8_t *o, size_t x, bool binary)
{
    size_t n = decimal_digits(x);
    for (size_t k = n; k-- > 0;) {
        o[k] = (uint8_t)((binary ? 0 : '0') + x % 10);
        x /= 10;
    }
    return o + n;
}

static size_t binary_len(const eio_packet *p)
{
    return p->kind == EIO_DATA_BASE64 ? eio_b64_decoded_len(p->data, p->len) : p->len;
}

/* The UTF-16 length of a packet's text form (v3 `len:` prefix). */
static size_t v3_units(const eio_packet *p, size_t text_size)
{
    if (p->kind == EIO_DATA_TEXT) {
        /* ASCII, the usual short message, has one unit per byte. */
        if (p->len <= 64) {
            size_t i = 0;
            while (i + 8 <= p->len && eio_ascii8(p->data + i)) {
                i += 8;
            }
            while (i < p->len && p->data[i] < 0x80) {
                i++;
            }
            if (i == p->len) {
                return 1 + p->len;
            }
        }
        return 1 + eio_utf16_length(p->data, p->len);
    }
    return text_size; /* ASCII only */
}

/* Size of one record; sets *units for v3 text. */
static size_t record_size(eio_version v, eio_payload_format format, const eio_packet *p,
                          size_t bin_len, size_t *units)
{
    if (format == EIO_PAYLOAD_BINARY) {
        size_t body = 1 + (eio_kind_is_binary(p->kind)       ? bin_len
                           : p->kind == EIO_DATA_TEXT ? p->len
                                                      : 0);
        return 2 + decimal_digits(body) + body;
    }
    size_t text = eio_packet_text_size(v, p, bin_len);
    if (v == EIO_V4) {
        return text;
    }
    *units = v3_units(p, text);
    return decimal_digits(*units) + 1 + text;
}

static bool add_size(size_t *total, size_t n)
{
    if (*total > SIZE_MAX - n) {
        return false;
    }
    *total += n;
    return true;
}

int eio_payload_encode(eio_version v, eio_payload_format format, const eio_packet *pkts,
                       size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if ((v != EIO_V3 && v != EIO_V4) ||
        (format != EIO_PAYLOAD_TEXT && format != EIO_PAYLOAD_BINARY) ||
        (format == EIO_PAYLOAD_BINARY && v != EIO_V3) || (pkts == NULL && n > 0) ||
        out_len == NULL || (out == NULL && cap > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    size_t total = 0;
    if (n == 0 && v == EIO_V3 && format == EIO_PAYLOAD_TEXT) {
        total = 2;
    }
    for (size_t i = 0; i < n; i++) {
        size_t bin_len, units = 0;
        int rc = eio_packet_check(&pkts[i], &bin_len);
        if (rc != 0) {
            return rc;
        }
        size_t sz = record_size(v, format, &pkts[i], bin_len, &units);
        if (!add_size(&total, sz) || (v == EIO_V4 && i > 0 && !add_size(&total, 1))) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
    }
    *out_len = total;
    if (cap < total) {
        return EIO_ERR_BUFFER_TOO_SMALL;
    }
    if (n == 0) {
        if (total == 2) {
            memcpy(out, "0:", 2);
        }
        return 0;
    }
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) {
        const eio_packet *p = &pkts[i];
        size_t bin_len = eio_kind_is_binary(p->kind) ? binary_len(p) : 0;
        if (format == EIO_PAYLOAD_BINARY) {
            bool bin = eio_kind_is_binary(p->kind);
            size_t body = 1 + (bin ? bin_len : (p->kind == EIO_DATA_TEXT ? p->len : 0));
            *o++ = bin ? 1 : 0;
            o = write_decimal(o, body, true);
            *o++ = 0xFF;
            if (bin) {
                *o++ = (uint8_t)p->type;
                o = eio_packet_binary_write(p, o);
            } else {
                o = eio_packet_text_write(v, p, o);
            }
            continue;
        }
        if (v == EIO_V4) {
            if (i > 0) {
                *o++ = SEPARATOR;
            }
        } else {
            size_t text = eio_packet_text_size(v, p, bin_len);
            o = write_decimal(o, v3_units(p, text), false);
            *o++ = ':';
        }
        o = eio_packet_text_write(v, p, o);
    }
    return 0;
}
