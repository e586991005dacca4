/* The error registry and the arena's allocation behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sioc/base.h"
#include "test_util.h"

/* Every code the enum declares; docs/errors.md lists the same set. */
static const int all_codes[] = {
    EIO_ERR_INVALID_ARGUMENT, EIO_ERR_NOMEM, EIO_ERR_BUFFER_TOO_SMALL, EIO_ERR_LIMIT,
    EIO_ERR_EMPTY_PACKET, EIO_ERR_INVALID_TYPE, EIO_ERR_INVALID_UTF8, EIO_ERR_INVALID_BASE64,
    EIO_ERR_BAD_LENGTH, EIO_ERR_LENGTH_PAST_END, EIO_ERR_LENGTH_SPLITS_CHAR,
    EIO_ERR_EMPTY_PAYLOAD, EIO_ERR_PAYLOAD_TOO_LARGE, EIO_ERR_PACKET_TOO_LARGE,
    EIO_ERR_TOO_MANY_PACKETS, EIO_ERR_BAD_BINARY_HEADER, EIO_ERR_HANDSHAKE_INVALID,
    EIO_ERR_NOT_BINARY, EIO_ERR_JSON_SYNTAX, EIO_ERR_JSON_UNEXPECTED_END,
    EIO_ERR_JSON_INVALID_ESCAPE, EIO_ERR_JSON_INVALID_UNICODE, EIO_ERR_JSON_CONTROL_CHAR,
    EIO_ERR_JSON_INVALID_NUMBER, EIO_ERR_JSON_NUMBER_RANGE, EIO_ERR_JSON_DEPTH,
    EIO_ERR_JSON_TOO_LARGE, EIO_ERR_JSON_TRAILING, EIO_ERR_JSON_INVALID_UTF8,
    EIO_ERR_UNSUPPORTED, SIO_ERR_INVALID_TYPE, SIO_ERR_BAD_ATTACHMENTS,
    SIO_ERR_TOO_MANY_ATTACHMENTS, SIO_ERR_BAD_NAMESPACE, SIO_ERR_NAMESPACE_TOO_LONG,
    SIO_ERR_BAD_ACK_ID, SIO_ERR_MISSING_PAYLOAD, SIO_ERR_EVENT_NOT_ARRAY, SIO_ERR_EVENT_EMPTY,
    SIO_ERR_EVENT_NAME, SIO_ERR_EVENT_RESERVED, SIO_ERR_ACK_NOT_ARRAY, SIO_ERR_CONNECT_NOT_OBJECT,
    SIO_ERR_DISCONNECT_PAYLOAD, SIO_ERR_CONNECT_ERROR_PAYLOAD, SIO_ERR_BAD_PLACEHOLDER,
    SIO_ERR_UNEXPECTED_TEXT, SIO_ERR_UNEXPECTED_BINARY, SIO_ERR_ATTACHMENT_TOO_LARGE,
    SIO_ERR_PACKET_TOO_LARGE, SIO_ERR_MSGPACK_INVALID, SIO_ERR_MSGPACK_NOT_MAP,
    SIO_ERR_MSGPACK_TRAILING, SIO_ERR_MSGPACK_UNSUPPORTED, SIO_ERR_DEPTH,
};

static void every_code_has_a_name_and_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_codes / sizeof all_codes[0]; i++) {
        int code = all_codes[i];
        const char *name = eio_error_name(code);
        assert_non_null(name);
        assert_true(strncmp(name, "EIO_ERR_", 8) == 0 || strncmp(name, "SIO_ERR_", 8) == 0);
        assert_int_equal(eio_error_from_name(name), code);
        assert_string_not_equal(eio_strerror(code), "unknown error");
        assert_true(code < 0);
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(all_codes[j], code);
            assert_string_not_equal(eio_error_name(all_codes[j]), name);
        }
    }
}

static void unknown_codes(void **state)
{
    (void)state;
    assert_null(eio_error_name(-9999));
    assert_string_equal(eio_strerror(-9999), "unknown error");
    assert_int_equal(eio_error_from_name("EIO_ERR_NO_SUCH_THING"), 1);
    assert_int_equal(eio_error_from_name(NULL), 1);
    assert_string_equal(eio_error_name(EIO_OK), "EIO_OK");
}

/* docs/errors.md must mention every code by name. */
static void errors_doc_lists_every_code(void **state)
{
    (void)state;
    const char *root = getenv("SIOC_SOURCE_ROOT");
    if (root == NULL) {
        skip();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/errors.md", root);
    size_t len = 0;
    uint8_t *doc = tu_read_file(path, &len);
    assert_non_null(doc);
    for (size_t i = 0; i < sizeof all_codes / sizeof all_codes[0]; i++) {
        const char *name = eio_error_name(all_codes[i]);
        if (strstr((const char *)doc, name) == NULL) {
            fail_msg("docs/errors.md does not mention %s", name);
        }
    }
    free(doc);
}

static void version(void **state)
{
    (void)state;
    assert_string_equal(eio_version_string(), SIOC_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_a_name_and_message),
        cmocka_unit_test(unknown_codes),
        cmocka_unit_test(errors_doc_lists_every_code),
        cmocka_unit_test(version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
