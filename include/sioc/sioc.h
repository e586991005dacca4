/**
 * @file
 * sioc/sioc.h - includes every public header of sioc.
 */
#ifndef SIOC_SIOC_H
#define SIOC_SIOC_H

#include "sioc/base.h"
#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc/sio.h"
#include "sioc/sio_msgpack.h"
#include "sioc/eio_session.h"
#include "sioc/sio_session.h"

#endif /* SIOC_SIOC_H */
