/* placeholder: not built yet */
#include <stdio.h>
#include "sioc_cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; fputs("sioc conform: not built yet\n", stderr); return SIOC_EXIT_USAGE; }
static int run_record(int argc, char **argv) { (void)argc; (void)argv; fputs("sioc record: not built yet\n", stderr); return SIOC_EXIT_USAGE; }
const sioc_verb sioc_verb_conform = {"conform", "check a live server or client against the protocol", run};
const sioc_verb sioc_verb_record = {"record", "record a session as a scenario file", run_record};
