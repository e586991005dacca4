/* placeholder: not built yet */
#include <stdio.h>
#include "sioc_cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; fputs("sioc connect: not built yet\n", stderr); return SIOC_EXIT_USAGE; }
const sioc_verb sioc_verb_connect = {"connect", "connect to a Socket.IO server as a client", run};
