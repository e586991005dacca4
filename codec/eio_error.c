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
    {EIO_ERR_UNSUPPORTED, "EIO_ERR_UNSUPPORTED", "not supported by this build"},
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
    {SIO_ERR_INVALID_TYPE, "SIO_ERR_INVALID_TYPE", "invalid Socket.IO packet type"},
    {SIO_ERR_BAD_ATTACHMENTS, "SIO_ERR_BAD_ATTACHMENTS", "illegal attachment count"},
    {SIO_ERR_TOO_MANY_ATTACHMENTS, "SIO_ERR_TOO_MANY_ATTACHMENTS", "too many attachments"},
    {SIO_ERR_BAD_NAMESPACE, "SIO_ERR_BAD_NAMESPACE", "invalid namespace"},
    {SIO_ERR_NAMESPACE_TOO_LONG, "SIO_ERR_NAMESPACE_TOO_LONG", "namespace longer than the configured maximum"},
    {SIO_ERR_BAD_ACK_ID, "SIO_ERR_BAD_ACK_ID", "invalid acknowledgement id"},
    {SIO_ERR_MISSING_PAYLOAD, "SIO_ERR_MISSING_PAYLOAD", "packet type requires a payload"},
    {SIO_ERR_EVENT_NOT_ARRAY, "SIO_ERR_EVENT_NOT_ARRAY", "EVENT payload is not an array"},
    {SIO_ERR_EVENT_EMPTY, "SIO_ERR_EVENT_EMPTY", "EVENT payload is an empty array"},
    {SIO_ERR_EVENT_NAME, "SIO_ERR_EVENT_NAME", "event name is neither a string nor a number"},
    {SIO_ERR_EVENT_RESERVED, "SIO_ERR_EVENT_RESERVED", "event name is reserved"},
    {SIO_ERR_ACK_NOT_ARRAY, "SIO_ERR_ACK_NOT_ARRAY", "ACK payload is not an array"},
    {SIO_ERR_CONNECT_NOT_OBJECT, "SIO_ERR_CONNECT_NOT_OBJECT", "CONNECT payload is not an object"},
    {SIO_ERR_DISCONNECT_PAYLOAD, "SIO_ERR_DISCONNECT_PAYLOAD", "DISCONNECT must not carry a payload"},
    {SIO_ERR_CONNECT_ERROR_PAYLOAD, "SIO_ERR_CONNECT_ERROR_PAYLOAD", "CONNECT_ERROR payload is neither a string nor an object"},
    {SIO_ERR_BAD_PLACEHOLDER, "SIO_ERR_BAD_PLACEHOLDER", "invalid binary placeholder"},
    {SIO_ERR_UNEXPECTED_TEXT, "SIO_ERR_UNEXPECTED_TEXT", "text packet while binary attachments are pending"},
    {SIO_ERR_UNEXPECTED_BINARY, "SIO_ERR_UNEXPECTED_BINARY", "binary message while no attachment is pending"},
    {SIO_ERR_ATTACHMENT_TOO_LARGE, "SIO_ERR_ATTACHMENT_TOO_LARGE", "attachment larger than the configured maximum"},
    {SIO_ERR_PACKET_TOO_LARGE, "SIO_ERR_PACKET_TOO_LARGE", "Socket.IO packet larger than the configured maximum"},
    {SIO_ERR_MSGPACK_INVALID, "SIO_ERR_MSGPACK_INVALID", "malformed msgpack data"},
    {SIO_ERR_MSGPACK_NOT_MAP, "SIO_ERR_MSGPACK_NOT_MAP", "msgpack packet is not a map"},
    {SIO_ERR_MSGPACK_TRAILING, "SIO_ERR_MSGPACK_TRAILING", "bytes after the msgpack packet"},
    {SIO_ERR_MSGPACK_UNSUPPORTED, "SIO_ERR_MSGPACK_UNSUPPORTED", "msgpack value that cannot be represented"},
    {SIO_ERR_DEPTH, "SIO_ERR_DEPTH", "payload nesting deeper than the configured maximum"},
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
