/* The error registry: names and messages for every eio_error code. */
#include <string.h>

#include "sioc/base.h"

struct error_entry {
    int code;
    const char *name;
    const char *message;
};

/* Keep in the order of the enum; docs/errors.md mirrors this table and
 * tests/test_base.c checks that every code has an entry. */
static const struct error_entry errors[] = {
    {EIO_OK, "EIO_OK", "success"},
    {EIO_ERR_INVALID_ARGUMENT, "EIO_ERR_INVALID_ARGUMENT", "invalid argument"},
    {EIO_ERR_NOMEM, "EIO_ERR_NOMEM", "out of memory"},
    {EIO_ERR_BUFFER_TOO_SMALL, "EIO_ERR_BUFFER_TOO_SMALL", "output buffer too small"},
    {EIO_ERR_LIMIT, "EIO_ERR_LIMIT", "configured limit exceeded"},
    {EIO_ERR_EMPTY_PACKET, "EIO_ERR_EMPTY_PACKET", "empty packet: no packet type"},
    {EIO_ERR_INVALID_TYPE, "EIO_ERR_INVALID_TYPE", "invalid packet type"},
    {EIO_ERR_INVALID_UTF8, "EIO_ERR_INVALID_UTF8", "invalid UTF-8 in text"},
    {EIO_ERR_INVALID_BASE64, "EIO_ERR_INVALID_BASE64", "invalid base64 data"},
    {EIO_ERR_BAD_LENGTH, "EIO_ERR_BAD_LENGTH", "bad length prefix"},
    {EIO_ERR_LENGTH_PAST_END, "EIO_ERR_LENGTH_PAST_END", "length prefix runs past the end of the payload"},
    {EIO_ERR_LENGTH_SPLITS_CHAR, "EIO_ERR_LENGTH_SPLITS_CHAR", "length prefix ends inside a surrogate pair"},
    {EIO_ERR_EMPTY_PAYLOAD, "EIO_ERR_EMPTY_PAYLOAD", "empty payload"},
    {EIO_ERR_PAYLOAD_TOO_LARGE, "EIO_ERR_PAYLOAD_TOO_LARGE", "payload larger than the configured maximum"},
    {EIO_ERR_PACKET_TOO_LARGE, "EIO_ERR_PACKET_TOO_LARGE", "packet larger than the configured maximum"},
    {EIO_ERR_TOO_MANY_PACKETS, "EIO_ERR_TOO_MANY_PACKETS", "more packets in one payload than the configured maximum"},
    {EIO_ERR_BAD_BINARY_HEADER, "EIO_ERR_BAD_BINARY_HEADER", "binary payload record marker is neither 0 nor 1"},
    {EIO_ERR_HANDSHAKE_INVALID, "EIO_ERR_HANDSHAKE_INVALID", "invalid handshake"},
    {EIO_ERR_NOT_BINARY, "EIO_ERR_NOT_BINARY", "binary data where only text is allowed"},
    {EIO_ERR_JSON_SYNTAX, "EIO_ERR_JSON_SYNTAX", "JSON syntax error"},
    {EIO_ERR_JSON_UNEXPECTED_END, "EIO_ERR_JSON_UNEXPECTED_END", "JSON input ends inside a value"},
    {EIO_ERR_JSON_INVALID_ESCAPE, "EIO_ERR_JSON_INVALID_ESCAPE", "invalid escape in a JSON string"},
    {EIO_ERR_JSON_INVALID_UNICODE, "EIO_ERR_JSON_INVALID_UNICODE", "lone surrogate in a JSON \\u escape"},
    {EIO_ERR_JSON_CONTROL_CHAR, "EIO_ERR_JSON_CONTROL_CHAR", "unescaped control character in a JSON string"},
    {EIO_ERR_JSON_INVALID_NUMBER, "EIO_ERR_JSON_INVALID_NUMBER", "invalid JSON number"},
    {EIO_ERR_JSON_NUMBER_RANGE, "EIO_ERR_JSON_NUMBER_RANGE", "JSON number out of the range of a double"},
    {EIO_ERR_JSON_DEPTH, "EIO_ERR_JSON_DEPTH", "JSON nesting deeper than the configured maximum"},
    {EIO_ERR_JSON_TOO_LARGE, "EIO_ERR_JSON_TOO_LARGE", "JSON input larger than the configured maximum"},
    {EIO_ERR_JSON_TRAILING, "EIO_ERR_JSON_TRAILING", "trailing characters after the JSON value"},
    {EIO_ERR_JSON_INVALID_UTF8, "EIO_ERR_JSON_INVALID_UTF8", "invalid UTF-8 in JSON input"},
};

static const struct error_entry *find(int code)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        if (errors[i].code == code) {
            return &errors[i];
        }
    }
    return NULL;
}

const char *eio_strerror(int code)
{
    const struct error_entry *e = find(code);
    return e ? e->message : "unknown error";
}

const char *eio_error_name(int code)
{
    const struct error_entry *e = find(code);
    return e ? e->name : NULL;
}

int eio_error_from_name(const char *name)
{
    if (name == NULL) {
        return 1;
    }
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        if (strcmp(errors[i].name, name) == 0) {
            return errors[i].code;
        }
    }
    return 1;
}

const char *eio_version_string(void)
{
    return SIOC_VERSION_STRING;
}
