/*
 * eio_version.c - the version of the library as built, as a number
 * (eio_version_string() is with the error registry in eio_error.c).
 */
#include "sioc/base.h"

uint32_t eio_version_number(void)
{
    return (uint32_t)SIOC_VERSION_NUM;
}
