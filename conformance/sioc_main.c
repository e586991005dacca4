/*
 * sioc - the command line: verb dispatch, global --help and --version, and
 * the option helpers every verb uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/base.h"
#include "sioc_cli.h"

/* New verbs go here (and into conformance/meson.build); nothing else in
 * this file needs to change. */
static const sioc_verb *const verbs[] = {
    &sioc_verb_decode,
    &sioc_verb_encode,
    &sioc_verb_serve,
    &sioc_verb_connect,
    &sioc_verb_conform,
    &sioc_verb_record,
};

#define N_VERBS (sizeof verbs / sizeof verbs[0])

static void print_help(FILE *f)
{
    fprintf(f,
            "NAME\n"
            "    sioc - Engine.IO / Socket.IO protocol tool\n"
            "\n"
            "SYNOPSIS\n"
            "    sioc VERB [OPTIONS]\n"
            "    sioc VERB --help\n"
            "    sioc --help | --version\n"
            "\n"
            "VERBS\n");
    for (size_t i = 0; i < N_VERBS; i++) {
        fprintf(f, "    %-10s %s\n", verbs[i]->name, verbs[i]->summary);
    }
    fprintf(f,
            "\n"
            "OPTIONS\n"
            "    -h, --help     print this help and exit\n"
            "    -V, --version  print the version and exit\n"
            "\n"
            "    Every verb reads and writes JSON lines (one JSON object per line) and\n"
            "    documents its own options: run `sioc VERB --help`.\n"
            "\n"
            "EXIT STATUS\n"
            "    0  success\n"
            "    1  bad input data; one {\"error\":...} line was printed on stdout\n"
            "    2  bad command line, or input/output that cannot be read or written\n"
            "\n"
            "EXAMPLE\n"
            "    printf '{\"text\":\"4hello\"}\\n' | sioc decode --eio 4 --transport websocket\n"
            "    {\"type\":\"message\",\"data\":\"hello\"}\n");
}

int sioc_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    if (verb != NULL) {
        fprintf(stderr, SIOC_PROG " %s: ", verb);
    } else {
        fputs(SIOC_PROG ": ", stderr);
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (verb != NULL) {
        fprintf(stderr, "\nTry '" SIOC_PROG " %s --help'.\n", verb);
    } else {
        fputs("\nTry '" SIOC_PROG " --help'.\n", stderr);
    }
    return SIOC_EXIT_USAGE;
}

int sioc_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, SIOC_PROG " %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SIOC_EXIT_USAGE;
}

int sioc_opt_value(const char *verb, int argc, char **argv, int *i, const char *name,
                   const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) {
        return 0;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        sioc_usage_error(verb, "option '%s' needs a value", name);
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

int sioc_opt_choice(const char *verb, int argc, char **argv, int *i, const char *name,
                    const char *first, const char *second, int *which)
{
    const char *val = NULL;
    int m = sioc_opt_value(verb, argc, argv, i, name, &val);
    if (m <= 0) {
        return m;
    }
    if (strcmp(val, first) == 0) {
        *which = 0;
    } else if (strcmp(val, second) == 0) {
        *which = 1;
    } else {
        sioc_usage_error(verb, "%s must be %s or %s, got '%s'", name, first, second, val);
        return -1;
    }
    return 1;
}

bool sioc_opt_flag(const char *arg, const char *name)
{
    return strcmp(arg, name) == 0;
}

int sioc_parse_size(const char *verb, const char *name, const char *text, size_t min,
                    size_t max, size_t *out)
{
    /* strtoull accepts signs and leading blanks; a size is digits only. */
    const char *p = text;
    if (*p == '\0') {
        sioc_usage_error(verb, "option '%s' needs a number, got ''", name);
        return -1;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            sioc_usage_error(verb, "option '%s' needs a decimal number, got '%s'", name, text);
            return -1;
        }
    }
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno != 0 || v < min || v > max) {
        sioc_usage_error(verb, "option '%s' must be between %zu and %zu, got '%s'", name, min,
                         max, text);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return sioc_usage_error(NULL, "missing verb");
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_help(stdout);
        return SIOC_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf(SIOC_PROG " %s\n", eio_version_string());
        return SIOC_EXIT_OK;
    }
    for (size_t i = 0; i < N_VERBS; i++) {
        if (strcmp(first, verbs[i]->name) == 0) {
            int rc = verbs[i]->run(argc - 1, argv + 1);
            /* A verb's output is only complete once it reached stdout. */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, SIOC_PROG " %s: cannot write to stdout\n", first);
                return SIOC_EXIT_USAGE;
            }
            return rc;
        }
    }
    if (first[0] == '-') {
        return sioc_usage_error(NULL, "unknown option '%s'", first);
    }
    return sioc_usage_error(NULL, "unknown verb '%s'", first);
}
