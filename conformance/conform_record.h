/*
 * conform_record.h - `sioc record URL`: plays a short scripted session
 * against a live server (handshake, Socket.IO connect, one message, one
 * heartbeat, close) and writes what happened as a scenario case, with the
 * variable parts (session ids, timings) turned into captures and bounds,
 * for replay with `sioc conform` against another implementation.
 */
#ifndef SIOC_CONFORM_RECORD_H
#define SIOC_CONFORM_RECORD_H

/** The verb's entry point (argv[0] is "record"). */
int conform_record_main(int argc, char **argv);

#endif /* SIOC_CONFORM_RECORD_H */
