/* UTF-8 validation and UTF-16 length, as the Engine.IO codecs need them. */
#include "eio_internal.h"

int eio_utf8_validate(const uint8_t *s, size_t n, size_t *err_offset)
{
    if (s == NULL && n > 0) {
        if (err_offset != NULL) {
            *err_offset = 0;
        }
        return EIO_ERR_INVALID_UTF8;
    }
    size_t i = 0;
    while (i < n) {
        /* Most protocol text is ASCII: skip it a word at a time. */
        while (i + 16 <= n && eio_ascii8(s + i) && eio_ascii8(s + i + 8)) {
            i += 16;
        }
        if (i + 8 <= n && eio_ascii8(s + i)) {
            i += 8;
        }
        while (i < n && s[i] < 0x80) {
            i++;
            if ((i & 7) == 0) {
                break; /* back to the word loop */
            }
        }
        if (i >= n || s[i] < 0x80) {
            continue;
        }
        int k = eio_utf8_step(s + i, n - i);
        if (k <= 0) {
            if (err_offset != NULL) {
                *err_offset = i;
            }
            return EIO_ERR_INVALID_UTF8;
        }
        i += (size_t)k;
    }
    return 0;
}

size_t eio_utf16_length(const uint8_t *s, size_t n)
{
    /* In valid UTF-8 every byte except continuation bytes starts a code
     * unit, and 4-byte leads start two. */
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        units += (size_t)((c & 0xC0) != 0x80) + (size_t)(c >= 0xF0);
    }
    return units;
}
