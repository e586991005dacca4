/*
 * The msgpack parser in a build without msgpack-c: present so that callers
 * link either way, and able to say it is missing.
 */
#include <string.h>

#include "sioc/sio_msgpack.h"

static int mp_unsupported(eio_errinfo *err)
{
    if (err != NULL) {
        err->code = EIO_ERR_UNSUPPORTED;
        err->msg = eio_strerror(EIO_ERR_UNSUPPORTED);
        err->offset = 0;
    }
    return EIO_ERR_UNSUPPORTED;
}

bool sio_msgpack_available(void)
{
    return false;
}

int sio_msgpack_decode(const uint8_t *buf, size_t len, const sio_limits *lim, eio_arena *arena,
                       sio_packet *out, eio_errinfo *err)
{
    (void)buf;
    (void)len;
    (void)lim;
    (void)arena;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    return mp_unsupported(err);
}

int sio_msgpack_encode(const sio_packet *p, uint8_t *out, size_t cap, size_t *out_len)
{
    (void)p;
    (void)out;
    (void)cap;
    if (out_len != NULL) {
        *out_len = 0;
    }
    return EIO_ERR_UNSUPPORTED;
}
