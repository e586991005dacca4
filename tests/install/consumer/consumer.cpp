// consumer.cpp - the sioc headers used from C++: every public header
// through sioc/sioc.h, then an Engine.IO packet and a JSON tree round trip.
// Prints "ok VERSION" and exits 0, or prints what failed and exits 1.
#include <sioc/sioc.h>

#include <cstdio>
#include <cstring>
#include <string>

int main()
{
    if (std::string(eio_version_string()) != SIOC_VERSION) {
        std::printf("headers %s, library %s\n", SIOC_VERSION, eio_version_string());
        return 1;
    }

    // An Engine.IO v4 message frame, decoded then encoded again.
    const std::string frame = "4hello";
    eio_packet p;
    eio_errinfo err;
    int rc = eio_packet_decode(EIO_V4, reinterpret_cast<const uint8_t *>(frame.data()),
                               frame.size(), false, nullptr, &p, &err);
    if (rc != 0 || p.type != EIO_PACKET_MESSAGE || p.len != 5) {
        std::printf("decode: %s\n", rc != 0 ? err.msg : "unexpected packet");
        return 1;
    }
    uint8_t out[16];
    size_t len = 0;
    bool binary = true;
    rc = eio_packet_encode(EIO_V4, &p, 0, out, sizeof out, &len, &binary);
    if (rc != 0 || std::string(reinterpret_cast<char *>(out), len) != frame || binary) {
        std::printf("encode: %s\n", rc != 0 ? eio_strerror(rc) : "unexpected frame");
        return 1;
    }

    // JSON: parse, write back byte for byte.
    const std::string doc = "{\"a\":[1,2.5,\"x\"],\"b\":null}";
    eio_arena arena;
    eio_arena_init(&arena, nullptr, 0, 0);
    eio_json *v = nullptr;
    rc = eio_json_parse(reinterpret_cast<const uint8_t *>(doc.data()), doc.size(), nullptr,
                        &arena, &v, &err);
    char text[64];
    size_t n = rc == 0 ? eio_json_write(v, text, sizeof text) : 0;
    eio_arena_destroy(&arena);
    if (rc != 0 || std::string(text, n) != doc) {
        std::printf("json: %s\n", rc != 0 ? err.msg : "different text");
        return 1;
    }
    std::printf("ok %s\n", eio_version_string());
    return 0;
}
