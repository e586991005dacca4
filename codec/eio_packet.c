/* Engine.IO packets: one WebSocket frame each, v3 and v4. */
#include <string.h>

#include "eio_internal.h"

static const char *const type_names[] = {
    "open", "close", "ping", "pong", "message", "upgrade", "noop",
};

const char *eio_packet_type_name(int type)
{
    if (type < 0 || type > 6) {
        return NULL;
    }
    return type_names[type];
}

void eio_limits_default(eio_limits *l)
{
    if (l == NULL) {
        return;
    }
    l->max_payload = EIO_DEFAULT_MAX_PAYLOAD;
    l->max_packet = EIO_DEFAULT_MAX_PAYLOAD;
    l->max_packets = EIO_DEFAULT_MAX_PACKETS;
}

static int fail(eio_fail *f, int code, const char *msg, size_t offset)
{
    f->code = code;
    f->msg = msg;
    f->offset = offset;
    return code;
}

/* Whether s[0..n) is ASCII; for the short texts a payload is made of, where
   a call to the full validator costs more than the check. */
static inline bool short_ascii(const uint8_t *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    uint8_t tail = 0;
    for (; i < n; i++) {
        tail |= s[i];
    }
    return (acc & UINT64_C(0x8080808080808080)) == 0 && tail < 0x80;
}

static bool is_type_digit(uint8_t c)
{
    return c >= '0' && c <= '6';
}

int eio_packet_decode_text(eio_version v, const uint8_t *buf, size_t len, bool utf8_checked,
                           eio_packet *out, eio_fail *f)
{
    if (len == 0) {
        return fail(f, EIO_ERR_EMPTY_PACKET, "empty packet", 0);
    }
    size_t skip;
    if (buf[0] == 'b') {
        /* Binary data as base64: v4 `b<base64>` is always a message, v3
         * carries the type: `b<digit><base64>`. */
        eio_packet_type type = EIO_PACKET_MESSAGE;
        skip = 1;
        if (v == EIO_V3) {
            if (len < 2 || !is_type_digit(buf[1])) {
                return fail(f, EIO_ERR_INVALID_TYPE, "invalid packet type after 'b'", 1);
            }
            type = (eio_packet_type)(buf[1] - '0');
            skip = 2;
        }
        size_t off;
        if (eio_b64_validate(buf + skip, len - skip, &off) != 0) {
            return fail(f, EIO_ERR_INVALID_BASE64, "invalid base64 data", skip + off);
        }
        out->type = type;
        out->kind = EIO_DATA_BASE64;
        out->data = buf + skip;
        out->len = len - skip;
        return 0;
    }
    if (!is_type_digit(buf[0])) {
        return fail(f, EIO_ERR_INVALID_TYPE, "invalid packet type", 0);
    }
    if (!utf8_checked) {
        size_t off;
        if (eio_utf8_validate(buf + 1, len - 1, &off) != 0) {
            return fail(f, EIO_ERR_INVALID_UTF8, "invalid UTF-8 in text packet", 1 + off);
        }
    }
    out->type = (eio_packet_type)(buf[0] - '0');
    out->kind = len > 1 ? EIO_DATA_TEXT : EIO_DATA_NONE;
    out->data = len > 1 ? buf + 1 : NULL;
    out->len = len - 1;
    return 0;
}

int eio_packet_decode_v3_binary(const uint8_t *buf, size_t len, eio_packet *out, eio_fail *f)
{
    if (len == 0) {
        return fail(f, EIO_ERR_EMPTY_PACKET, "empty binary packet", 0);
    }
    if (buf[0] > 6) {
        return fail(f, EIO_ERR_INVALID_TYPE, "invalid packet type byte", 0);
    }
    out->type = (eio_packet_type)buf[0];
    out->kind = EIO_DATA_BINARY;
    out->data = buf + 1;
    out->len = len - 1;
    return 0;
}

int eio_packet_decode(eio_version v, const uint8_t *buf, size_t len, bool binary_frame,
                      const eio_limits *lim, eio_packet *out, eio_errinfo *err)
{
    eio_fail f = {0, NULL, 0};
    int rc;
    if ((v != EIO_V3 && v != EIO_V4) || (buf == NULL && len > 0) || out == NULL) {
        rc = fail(&f, EIO_ERR_INVALID_ARGUMENT, "invalid argument", 0);
        goto done;
    }
    size_t max_packet = lim != NULL && lim->max_packet != 0 ? lim->max_packet
                        : lim != NULL && lim->max_payload != 0 ? lim->max_payload
                                                               : EIO_DEFAULT_MAX_PAYLOAD;
    if (len > max_packet) {
        rc = fail(&f, EIO_ERR_PACKET_TOO_LARGE, "packet larger than max_packet", max_packet);
        goto done;
    }
    if (!binary_frame) {
        rc = eio_packet_decode_text(v, buf, len, false, out, &f);
    } else if (v == EIO_V3) {
        rc = eio_packet_decode_v3_binary(buf, len, out, &f);
    } else {
        /* v4: a binary frame is a message's data, whatever it holds. */
        out->type = EIO_PACKET_MESSAGE;
        out->kind = EIO_DATA_BINARY;
        out->data = buf;
        out->len = len;
        rc = 0;
    }
done:
    if (rc != 0 && err != NULL) {
        err->code = f.code;
        err->msg = f.msg;
        err->offset = f.offset;
    }
    return rc;
}

int eio_packet_check(const eio_packet *p, size_t *bin_len)
{
    *bin_len = 0;
    if ((unsigned)p->type > 6) {
        return EIO_ERR_INVALID_TYPE;
    }
    switch (p->kind) {
    case EIO_DATA_NONE:
        return 0;
    case EIO_DATA_TEXT:
        if (p->data == NULL && p->len > 0) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        if (p->len <= 64 && short_ascii(p->data, p->len)) {
            return 0;
        }
        return eio_utf8_validate(p->data, p->len, NULL);
    case EIO_DATA_BINARY:
        if (p->data == NULL && p->len > 0) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        *bin_len = p->len;
        return 0;
    case EIO_DATA_BASE64: {
        if (p->data == NULL && p->len > 0) {
            return EIO_ERR_INVALID_ARGUMENT;
        }
        size_t off;
        if (eio_b64_validate(p->data, p->len, &off) != 0) {
            return EIO_ERR_INVALID_BASE64;
        }
        *bin_len = eio_b64_decoded_len(p->data, p->len);
        return 0;
    }
    default:
        return EIO_ERR_INVALID_ARGUMENT;
    }
}

size_t eio_packet_text_size(eio_version v, const eio_packet *p, size_t bin_len)
{
    switch (p->kind) {
    case EIO_DATA_TEXT:
        return 1 + p->len;
    case EIO_DATA_BINARY:
    case EIO_DATA_BASE64:
        return (v == EIO_V3 ? 2 : 1) + eio_base64_encoded_len(bin_len);
    default:
        return 1;
    }
}

uint8_t *eio_packet_text_write(eio_version v, const eio_packet *p, uint8_t *out)
{
    char digit = (char)('0' + (int)p->type);
    switch (p->kind) {
    case EIO_DATA_TEXT:
        *out++ = (uint8_t)digit;
        eio_copy_short(out, p->data, p->len);
        return out + p->len;
    case EIO_DATA_BINARY:
        *out++ = 'b';
        if (v == EIO_V3) {
            *out++ = (uint8_t)digit;
        }
        return out + eio_base64_encode(p->data, p->len, (char *)out);
    case EIO_DATA_BASE64:
        /* Strict base64 has exactly one spelling, so it is copied as is. */
        *out++ = 'b';
        if (v == EIO_V3) {
            *out++ = (uint8_t)digit;
        }
        if (p->len > 0) {
            memcpy(out, p->data, p->len);
        }
        return out + p->len;
    default:
        *out++ = (uint8_t)digit;
        return out;
    }
}

uint8_t *eio_packet_binary_write(const eio_packet *p, uint8_t *out)
{
    if (p->kind == EIO_DATA_BASE64) {
        size_t n = 0;
        size_t cap = eio_b64_decoded_len(p->data, p->len);
        (void)eio_base64_decode(p->data, p->len, out, cap, &n, NULL);
        return out + n;
    }
    if (p->len > 0) {
        memcpy(out, p->data, p->len);
    }
    return out + p->len;
}

int eio_packet_encode(eio_version v, const eio_packet *p, unsigned flags, uint8_t *out,
                      size_t cap, size_t *out_len, bool *binary_frame)
{
    if ((v != EIO_V3 && v != EIO_V4) || p == NULL || out_len == NULL || binary_frame == NULL ||
        (out == NULL && cap > 0)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    size_t bin_len;
    int rc = eio_packet_check(p, &bin_len);
    if (rc != 0) {
        return rc;
    }
    bool binary = eio_kind_is_binary(p->kind) && !(flags & EIO_ENCODE_BASE64) &&
                  (v == EIO_V3 || p->type == EIO_PACKET_MESSAGE);
    size_t need;
    if (binary) {
        need = (v == EIO_V3 ? 1 : 0) + bin_len;
    } else {
        need = eio_packet_text_size(v, p, bin_len);
    }
    *out_len = need;
    *binary_frame = binary;
    if (cap < need) {
        return EIO_ERR_BUFFER_TOO_SMALL;
    }
    if (need == 0) {
        return 0; /* an empty v4 binary message; `out` may be NULL */
    }
    if (binary) {
        uint8_t *o = out;
        if (v == EIO_V3) {
            *o++ = (uint8_t)p->type;
        }
        (void)eio_packet_binary_write(p, o);
    } else {
        (void)eio_packet_text_write(v, p, out);
    }
    return 0;
}
