/*
 * sioc_cli.h - what the verbs of the sioc command line share: the verb
 * table entry, option parsing helpers and the exit statuses.
 *
 * A verb is one file defining one `const sioc_verb`; sioc_main.c lists the
 * verbs and dispatches on argv[1]. Each verb parses its own options with
 * the helpers below and prints its own --help text.
 *
 * Also here: the small text helpers more than one verb needs (messages on
 * stderr, hex digits).
 */
#ifndef SIOC_CLI_H
#define SIOC_CLI_H

#include <stdbool.h>
#include <stddef.h>

/** Exit statuses shared by every verb. */
#define SIOC_EXIT_OK 0      /**< success */
#define SIOC_EXIT_INPUT 1   /**< bad input data: one error line was printed on stdout */
#define SIOC_EXIT_USAGE 2   /**< bad command line or an I/O failure: message on stderr */

/** One verb of the command line. */
typedef struct sioc_verb {
    const char *name;    /**< what follows `sioc` on the command line */
    const char *summary; /**< one line for `sioc --help` */
    /** Runs the verb; argv[0] is the verb name. Returns an exit status. */
    int (*run)(int argc, char **argv);
} sioc_verb;

extern const sioc_verb sioc_verb_decode;
extern const sioc_verb sioc_verb_encode;
extern const sioc_verb sioc_verb_serve;
extern const sioc_verb sioc_verb_connect;
extern const sioc_verb sioc_verb_conform;
extern const sioc_verb sioc_verb_record;

/** Program name used in messages ("sioc"). */
#define SIOC_PROG "sioc"

/**
 * Prints "sioc VERB: <message>" and a hint to use --help on stderr.
 * Returns SIOC_EXIT_USAGE so callers can `return sioc_usage_error(...)`.
 */
int sioc_usage_error(const char *verb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * Prints "sioc VERB: <message>" and a newline on stderr (no --help hint:
 * for failures that are not the command line's fault). Returns
 * SIOC_EXIT_USAGE so callers can `return sioc_error(...)`.
 */
int sioc_error(const char *verb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * Matches argv[*i] against option `name` (e.g. "--eio"), accepting both
 * `--eio 4` and `--eio=4`. Returns 1 and sets `*value` (advancing `*i`
 * past a separate value) on a match, 0 if argv[*i] is another option, and
 * -1 after reporting a usage error when the value is missing.
 */
int sioc_opt_value(const char *verb, int argc, char **argv, int *i, const char *name,
                   const char **value);

/**
 * sioc_opt_value for an option with two allowed values: on a match sets
 * `*which` to 0 for `first`, 1 for `second` and returns 1; any other value
 * is reported as "NAME must be FIRST or SECOND, got 'X'" and returns -1;
 * returns 0 if argv[*i] is another option.
 */
int sioc_opt_choice(const char *verb, int argc, char **argv, int *i, const char *name,
                    const char *first, const char *second, int *which);

/** True if argv[i] is exactly the flag `name` (no value). */
bool sioc_opt_flag(const char *arg, const char *name);

/**
 * Parses a decimal size in [min, max]. Returns 0, or reports a usage
 * error for option `name` and returns -1.
 */
int sioc_parse_size(const char *verb, const char *name, const char *text, size_t min,
                    size_t max, size_t *out);

/**
 * Value of the hex digit `c` (either case), or -1 if `c` is not one.
 * Inline so that code built without the rest of the command line (the
 * scenario parser's fuzz target) can use it.
 */
static inline int sioc_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

#endif /* SIOC_CLI_H */
