/* The one entry point every fuzz target defines (libFuzzer's). */
#ifndef SIOC_FUZZ_TARGET_H
#define SIOC_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
