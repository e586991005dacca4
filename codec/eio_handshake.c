/* The open packet's handshake JSON: parse and encode. */
#include <stdio.h>
#include <string.h>

#include "eio_internal.h"
#include "sioc/json.h"

/* Enough for any real handshake and a good number of extra keys; a larger
 * document fails as invalid rather than allocating. */
#define HANDSHAKE_ARENA 16384

/* Number.MAX_SAFE_INTEGER: larger numbers do not survive JSON.parse exactly. */
#define MAX_SAFE_INTEGER UINT64_C(9007199254740991)

static int invalid(eio_errinfo *err, const char *msg)
{
    if (err != NULL) {
        err->code = EIO_ERR_HANDSHAKE_INVALID;
        err->msg = msg;
        err->offset = 0;
    }
    return EIO_ERR_HANDSHAKE_INVALID;
}

static bool key_is(const eio_json *m, const char *key)
{
    size_t n = strlen(key);
    return m->key_len == n && memcmp(m->key, key, n) == 0;
}

/* A JSON number that is an integer in [0, max]; 1e3 and 25000.0 count. */
static bool get_uint(const eio_json *v, uint64_t max, uint64_t *out)
{
    if (v->type == EIO_JSON_INT) {
        if (v->u.i < 0 || (uint64_t)v->u.i > max) {
            return false;
        }
        *out = (uint64_t)v->u.i;
        return true;
    }
    if (v->type == EIO_JSON_DOUBLE) {
        double d = v->u.d;
        /* 2^53: beyond it a double no longer names one integer. */
        if (!(d >= 0.0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d ||
            (uint64_t)d > max) {
            return false;
        }
        *out = (uint64_t)d;
        return true;
    }
    return false;
}

int eio_handshake_parse(const uint8_t *json, size_t len, eio_handshake *out, eio_errinfo *err)
{
    if ((json == NULL && len > 0) || out == NULL) {
        if (err != NULL) {
            err->code = EIO_ERR_INVALID_ARGUMENT;
            err->msg = "invalid argument";
            err->offset = 0;
        }
        return EIO_ERR_INVALID_ARGUMENT;
    }
    _Alignas(16) uint8_t mem[HANDSHAKE_ARENA];
    eio_arena arena;
    eio_arena_init_fixed(&arena, mem, sizeof mem);
    eio_json *root = NULL;
    eio_errinfo jerr = {0, NULL, 0};
    int rc = eio_json_parse(json, len, NULL, &arena, &root, &jerr);
    if (rc == EIO_ERR_NOMEM) {
        return invalid(err, "handshake JSON too large");
    }
    if (rc != 0) {
        if (err != NULL) {
            *err = jerr;
        }
        return rc;
    }
    if (root->type != EIO_JSON_OBJECT) {
        return invalid(err, "handshake is not a JSON object");
    }
    const eio_json *sid = NULL, *upgrades = NULL, *interval = NULL, *timeout = NULL,
                   *max_payload = NULL;
    /* Last duplicate wins, as in JSON.parse. */
    for (const eio_json *m = root->u.c.first; m != NULL; m = m->next) {
        if (key_is(m, "sid")) {
            sid = m;
        } else if (key_is(m, "upgrades")) {
            upgrades = m;
        } else if (key_is(m, "pingInterval")) {
            interval = m;
        } else if (key_is(m, "pingTimeout")) {
            timeout = m;
        } else if (key_is(m, "maxPayload")) {
            max_payload = m;
        }
    }
    eio_handshake h;
    memset(&h, 0, sizeof h);
    if (sid == NULL || sid->type != EIO_JSON_STRING || sid->u.str.len == 0) {
        return invalid(err, "handshake: sid missing, not a string, or empty");
    }
    if (sid->u.str.len > EIO_SID_MAX || memchr(sid->u.str.ptr, 0, sid->u.str.len) != NULL) {
        return invalid(err, "handshake: sid too long or contains NUL");
    }
    memcpy(h.sid, sid->u.str.ptr, sid->u.str.len);
    h.sid[sid->u.str.len] = '\0';
    h.sid_len = sid->u.str.len;
    if (upgrades == NULL || upgrades->type != EIO_JSON_ARRAY) {
        return invalid(err, "handshake: upgrades missing or not an array");
    }
    for (const eio_json *e = upgrades->u.c.first; e != NULL; e = e->next) {
        if (e->type != EIO_JSON_STRING) {
            return invalid(err, "handshake: an upgrade is not a string");
        }
        if (e->u.str.len == 9 && memcmp(e->u.str.ptr, "websocket", 9) == 0) {
            h.upgrades |= EIO_UPGRADE_WEBSOCKET;
        } else if (e->u.str.len == 12 && memcmp(e->u.str.ptr, "webtransport", 12) == 0) {
            h.upgrades |= EIO_UPGRADE_WEBTRANSPORT;
        }
    }
    uint64_t u;
    if (interval == NULL || !get_uint(interval, INT32_MAX, &u)) {
        return invalid(err, "handshake: pingInterval missing or not an integer in [0, 2^31-1]");
    }
    h.ping_interval = (uint32_t)u;
    if (timeout == NULL || !get_uint(timeout, INT32_MAX, &u)) {
        return invalid(err, "handshake: pingTimeout missing or not an integer in [0, 2^31-1]");
    }
    h.ping_timeout = (uint32_t)u;
    if (max_payload != NULL) {
        if (!get_uint(max_payload, MAX_SAFE_INTEGER, &u)) {
            return invalid(err, "handshake: maxPayload not an integer in [0, 2^53-1]");
        }
        h.max_payload = u;
        h.has_max_payload = true;
    }
    *out = h;
    return 0;
}

/* Bytes JSON.stringify uses for byte c of a string (valid UTF-8 passes raw). */
static size_t escaped_len(uint8_t c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
        return 2;
    }
    return c < 0x20 ? 6 : 1;
}

static uint8_t *write_escaped(uint8_t *o, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    char e = 0;
    switch (c) {
    case '"': e = '"'; break;
    case '\\': e = '\\'; break;
    case '\b': e = 'b'; break;
    case '\f': e = 'f'; break;
    case '\n': e = 'n'; break;
    case '\r': e = 'r'; break;
    case '\t': e = 't'; break;
    default: break;
    }
    if (e != 0) {
        o[0] = '\\';
        o[1] = (uint8_t)e;
        return o + 2;
    }
    if (c < 0x20) {
        memcpy(o, "\\u00", 4);
        o[4] = (uint8_t)hex[c >> 4];
        o[5] = (uint8_t)hex[c & 15];
        return o + 6;
    }
    *o = c;
    return o + 1;
}

int eio_handshake_encode(eio_version v, const eio_handshake *h, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    if ((v != EIO_V3 && v != EIO_V4) || h == NULL || out_len == NULL ||
        (out == NULL && cap > 0) || h->sid_len == 0 || h->sid_len > EIO_SID_MAX ||
        h->ping_interval > INT32_MAX || h->ping_timeout > INT32_MAX ||
        (h->has_max_payload && h->max_payload > MAX_SAFE_INTEGER)) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    const uint8_t *sid = (const uint8_t *)h->sid;
    if (eio_utf8_validate(sid, h->sid_len, NULL) != 0) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    size_t sid_out = 0;
    for (size_t i = 0; i < h->sid_len; i++) {
        sid_out += escaped_len(sid[i]);
    }
    const char *ups;
    switch (h->upgrades & (EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT)) {
    case EIO_UPGRADE_WEBSOCKET: ups = "[\"websocket\"]"; break;
    case EIO_UPGRADE_WEBTRANSPORT: ups = "[\"webtransport\"]"; break;
    case EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT:
        ups = "[\"websocket\",\"webtransport\"]";
        break;
    default: ups = "[]"; break;
    }
    char tail[160];
    int tn;
    if (v == EIO_V4 && h->has_max_payload) {
        tn = snprintf(tail, sizeof tail,
                      "\",\"upgrades\":%s,\"pingInterval\":%lu,\"pingTimeout\":%lu,"
                      "\"maxPayload\":%llu}",
                      ups, (unsigned long)h->ping_interval, (unsigned long)h->ping_timeout,
                      (unsigned long long)h->max_payload);
    } else {
        tn = snprintf(tail, sizeof tail,
                      "\",\"upgrades\":%s,\"pingInterval\":%lu,\"pingTimeout\":%lu}", ups,
                      (unsigned long)h->ping_interval, (unsigned long)h->ping_timeout);
    }
    if (tn < 0 || (size_t)tn >= sizeof tail) {
        return EIO_ERR_INVALID_ARGUMENT;
    }
    size_t need = 8 + sid_out + (size_t)tn; /* {"sid":" */
    *out_len = need;
    if (cap < need) {
        return EIO_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *o = out;
    memcpy(o, "{\"sid\":\"", 8);
    o += 8;
    for (size_t i = 0; i < h->sid_len; i++) {
        o = write_escaped(o, sid[i]);
    }
    memcpy(o, tail, (size_t)tn);
    return 0;
}
