/*
 * sioc_conform.c - the verbs `sioc conform` (check a live server or client
 * against the scenario files) and `sioc record` (write a scenario from a
 * live session; conform_record.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conform_config.h"
#include "conform_record.h"
#include "conform_report.h"
#include "conform_run.h"
#include "conform_scenario.h"
#include "sioc_cli.h"

#define VERB "conform"
#define MAX_GLOBS 64
#define MAX_EXCLUDES 1024

static void help(void)
{
    printf(
        "NAME\n"
        "    sioc conform - check a live Engine.IO / Socket.IO server or client\n"
        "\n"
        "SYNOPSIS\n"
        "    sioc conform server URL [OPTIONS]\n"
        "    sioc conform client [--exec 'CMD {url} {case}'] [--port N] [OPTIONS]\n"
        "    sioc conform --list [server|client] [--scenarios DIR] [--case GLOB]...\n"
        "\n"
        "DESCRIPTION\n"
        "    Plays the test cases of the scenario files against a live implementation\n"
        "    and prints a verdict per case, then a summary. Each case quotes the\n"
        "    requirement it checks and its level (MUST, SHOULD, IMPL, INFO).\n"
        "\n"
        "    server: the harness is the client and plays every server-role case\n"
        "    against URL. A path ending in engine.io/ runs the Engine.IO cases only\n"
        "    (the server is assumed to echo every message); any other path (e.g.\n"
        "    http://localhost:3000/socket.io/) runs both layers (the server is\n"
        "    assumed to behave as the official Socket.IO test suite's server).\n"
        "    client: the harness is a server on 127.0.0.1 and plays every client-role\n"
        "    case; with --exec it starts the client under test once per case\n"
        "    (placeholders {url} {origin} {path} {case} {eio} {transports} {nsp}\n"
        "    {auth} {layer}, shell-quoted), else it waits for a client to connect.\n"
        "    --list parses every scenario file and prints the selected cases.\n"
        "\n"
        "OPTIONS\n"
        "    --scenarios DIR    where the scenario files (*.scn) are (default: see\n"
        "                       SCENARIO FILES)\n"
        "    --list             print the selected cases (id, level, role, title; tab\n"
        "                       separated) and exit\n"
        "    --case GLOB        run only cases whose id matches (repeatable)\n"
        "    --exclude FILE     skip cases: lines 'GLOB  reason' (# comments)\n"
        "    --eio 3|4          Engine.IO version of the target (default 4)\n"
        "    --parser json|msgpack  the target's Socket.IO parser (default json)\n"
        "    --strict           SHOULD failures count as failures\n"
        "    --timeout MS       bound of every wait without its own (default 5000)\n"
        "    --slack MS         the 'slack' of time expressions (default 300)\n"
        "    --time-scale F     multiply literal times and slack by F (default 1)\n"
        "    --feature F        the target has feature F (echo, test-suite)\n"
        "    --no-feature F     the target lacks feature F\n"
        "    --insecure         https: accept any certificate\n"
        "    --ca-file FILE     https: trust these CAs (PEM)\n"
        "    --layer eio|sio    client mode: the client speaks Engine.IO only, or\n"
        "                       Socket.IO (default sio)\n"
        "    --port N           client mode: listen on port N (default: any free port)\n"
        "    --report-json FILE write the JSON report\n"
        "    --junit FILE       write a JUnit XML report\n"
        "    --verbose          print every wire event on stderr\n"
        "    --color / --no-color  colours (default: when stdout is a terminal)\n"
        "\n"
        "SCENARIO FILES\n"
        "    The cases are read from every *.scn file of the first of: the --scenarios\n"
        "    directory; the directory named by the environment variable\n"
        "    SIOC_SCENARIOS (when set and not empty); the vectors/scenarios directory\n"
        "    of the source tree sioc was built from, when it still exists; the\n"
        "    installed copy, share/sioc/scenarios under the installation prefix.\n"
        "\n"
        "VERDICTS\n"
        "    pass, non-strict (a SHOULD or IMPL case failed, or an accepted\n"
        "    alternative), fail, skipped, unsupported, informational.\n"
        "\n"
        "EXIT STATUS\n"
        "    0  no case failed\n"
        "    1  a case failed (MUST, or SHOULD with --strict)\n"
        "    2  bad command line, bad scenario file, report not writable, or the\n"
        "       harness could not start (message on stderr)\n"
        "\n"
        "EXAMPLES\n"
        "    sioc conform server http://localhost:3000/socket.io/ --case 'eio4.*'\n"
        "    sioc conform client --exec 'node client.js {url} {case}' --junit out.xml\n");
}

typedef struct excl {
    char *glob;
    char *reason;
} excl;

typedef struct conf {
    const char *scenarios;
    const char *globs[MAX_GLOBS];
    size_t n_globs;
    excl ex[MAX_EXCLUDES];
    size_t n_ex;
    bool list;
    const char *json;
    const char *junit;
    int color; /* -1 auto */
} conf;

static int load_excludes(conf *cf, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return sioc_usage_error(VERB, "cannot open exclude file '%s': %s", path,
                                strerror(errno));
    }
    char line[2048];
    int ln = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        ln++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            rc = sioc_usage_error(VERB, "%s:%d: line too long", path, ln);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t')) {
            line[--n] = '\0';
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0' || *p == '#') {
            continue;
        }
        char *g = p;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
        char *reason = p;
        if (*p != '\0') {
            *p = '\0';
            reason = p + 1;
            while (*reason == ' ' || *reason == '\t') {
                reason++;
            }
        }
        if (cf->n_ex == MAX_EXCLUDES) {
            rc = sioc_usage_error(VERB, "%s: more than %d exclusions", path, MAX_EXCLUDES);
            break;
        }
        cf->ex[cf->n_ex].glob = strdup(g);
        cf->ex[cf->n_ex].reason = strdup(*reason ? reason : "excluded");
        cf->n_ex++;
    }
    fclose(f);
    return rc;
}

static bool selected(const conf *cf, const char *id)
{
    if (cf->n_globs == 0) {
        return true;
    }
    for (size_t i = 0; i < cf->n_globs; i++) {
        if (cs_glob_match(cf->globs[i], id)) {
            return true;
        }
    }
    return false;
}

static const char *excluded(const conf *cf, const char *id)
{
    for (size_t i = 0; i < cf->n_ex; i++) {
        if (cs_glob_match(cf->ex[i].glob, id)) {
            return cf->ex[i].reason;
        }
    }
    return NULL;
}

static int parse_feature(const char *v, unsigned *bits)
{
    if (strcmp(v, "echo") == 0) {
        *bits |= CS_F_ECHO;
    } else if (strcmp(v, "test-suite") == 0) {
        *bits |= CS_F_TEST_SUITE;
    } else {
        return sioc_usage_error(VERB, "unknown feature '%s' (echo, test-suite)", v);
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parses the command line into `cf`, `o` and `*mode`. Returns 0, 1 after
   printing --help, or -1 after reporting a usage error. */
static int parse_cli(int argc, char **argv, conf *cf, cr_options *o, const char **mode)
{
    /* The options whose value is kept as given. */
    const struct {
        const char *name;
        const char **value;
    } texts[] = {
        {"--scenarios", &cf->scenarios}, {"--exec", &o->exec},    {"--ca-file", &o->ca_file},
        {"--report-json", &cf->json},    {"--junit", &cf->junit},
    };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        int m = 0, which;
        for (size_t k = 0; k < sizeof texts / sizeof texts[0] && m == 0; k++) {
            m = sioc_opt_value(VERB, argc, argv, &i, texts[k].name, texts[k].value);
        }
        if (m != 0) {
            if (m < 0) {
                return -1;
            }
            continue;
        }
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            help();
            return 1;
        }
        if (sioc_opt_flag(arg, "--list")) {
            cf->list = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--strict")) {
            o->strict = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--insecure")) {
            o->insecure = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--verbose")) {
            o->verbose = true;
            continue;
        }
        if (sioc_opt_flag(arg, "--color") || sioc_opt_flag(arg, "--no-color")) {
            cf->color = arg[2] == 'c';
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--eio", "3", "4", &which)) != 0) {
            if (m < 0) {
                return -1;
            }
            o->eio = which == 0 ? 3 : 4;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--parser", "json", "msgpack", &which)) !=
            0) {
            if (m < 0) {
                return -1;
            }
            o->msgpack = which == 1;
            continue;
        }
        if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--layer", "eio", "sio", &which)) != 0) {
            if (m < 0) {
                return -1;
            }
            o->client_eio_only = which == 0;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--case", &val)) != 0) {
            if (m < 0) {
                return -1;
            }
            if (cf->n_globs == MAX_GLOBS) {
                sioc_usage_error(VERB, "more than %d --case options", MAX_GLOBS);
                return -1;
            }
            cf->globs[cf->n_globs++] = val;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--exclude", &val)) != 0) {
            if (m < 0 || load_excludes(cf, val) != 0) {
                return -1;
            }
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--feature", &val)) != 0 ||
            (m = sioc_opt_value(VERB, argc, argv, &i, "--no-feature", &val)) != 0) {
            if (m < 0 ||
                parse_feature(val, arg[2] == 'n' ? &o->features_off : &o->features_on) != 0) {
                return -1;
            }
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--timeout", &val)) != 0) {
            size_t v;
            if (m < 0 || sioc_parse_size(VERB, "--timeout", val, 1, 3600000, &v) != 0) {
                return -1;
            }
            o->timeout_ms = (int64_t)v;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--slack", &val)) != 0) {
            size_t v;
            if (m < 0 || sioc_parse_size(VERB, "--slack", val, 0, 600000, &v) != 0) {
                return -1;
            }
            o->slack_ms = (int64_t)v;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--port", &val)) != 0) {
            size_t v;
            if (m < 0 || sioc_parse_size(VERB, "--port", val, 0, 65535, &v) != 0) {
                return -1;
            }
            o->port = (uint16_t)v;
            continue;
        }
        if ((m = sioc_opt_value(VERB, argc, argv, &i, "--time-scale", &val)) != 0) {
            if (m < 0) {
                return -1;
            }
            char *end;
            double d = strtod(val, &end);
            if (*val == '\0' || *end != '\0' || !(d >= 0.1 && d <= 100)) {
                sioc_usage_error(VERB, "--time-scale must be a number from 0.1 to 100, got '%s'",
                                 val);
                return -1;
            }
            o->time_scale = d;
            continue;
        }
        if (arg[0] == '-') {
            sioc_usage_error(VERB, "unknown option '%s'", arg);
            return -1;
        }
        if (*mode == NULL) {
            *mode = arg;
            if (strcmp(*mode, "server") != 0 && strcmp(*mode, "client") != 0) {
                sioc_usage_error(VERB, "mode must be 'server' or 'client', got '%s'", *mode);
                return -1;
            }
            continue;
        }
        if (strcmp(*mode, "server") == 0 && o->url == NULL) {
            o->url = arg;
            continue;
        }
        sioc_usage_error(VERB, "unexpected argument '%s'", arg);
        return -1;
    }
    if (!cf->list) {
        if (*mode == NULL) {
            sioc_usage_error(VERB, "missing mode: 'server URL', 'client' or '--list'");
            return -1;
        }
        if (strcmp(*mode, "server") == 0 && o->url == NULL) {
            sioc_usage_error(VERB, "'server' needs the URL under test");
            return -1;
        }
        if (strcmp(*mode, "server") == 0 && o->exec != NULL) {
            sioc_usage_error(VERB, "--exec is for client mode");
            return -1;
        }
    }

    return 0;
}

/* --list: the selected cases of `mode` (NULL: both roles), one a line. */
static void list_cases(const conf *cf, const cs_set *set, const char *mode)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n_cases; i++) {
        const cs_case *c = &set->cases[i];
        if (!selected(cf, c->id)) {
            continue;
        }
        if (mode != NULL && (c->role == CS_ROLE_SERVER) != (strcmp(mode, "server") == 0)) {
            continue;
        }
        printf("%s\t%s\t%s\t%s\n", c->id, cs_level_name(c->level), cs_role_name(c->role),
               c->title);
        n++;
    }
}

/* Runs the selected cases of `mode` and writes the reports. Returns the
   exit status. */
static int run_cases(const conf *cf, cr_options *o, const cs_set *set, const char *mode)
{
    int rc = SIOC_EXIT_USAGE;
    char err[1024];
    cr_result *results = NULL;
    cr_runner *runner = NULL;
    o->mode = strcmp(mode, "server") == 0 ? CR_MODE_SERVER : CR_MODE_CLIENT;
    if (cr_runner_new(&runner, o, err, sizeof err) != 0) {
        sioc_error(VERB, "%s", err);
        goto out;
    }
    /* The cases of this mode, selected. */
    size_t total = 0;
    for (size_t i = 0; i < set->n_cases; i++) {
        const cs_case *c = &set->cases[i];
        total += cr_case_in_scope(runner, c) && selected(cf, c->id);
    }
    if (total == 0) {
        sioc_error(VERB, "no %s-role case matches the selection", mode);
        goto out;
    }
    results = calloc(total, sizeof *results);
    if (results == NULL) {
        sioc_error(VERB, "out of memory");
        goto out;
    }
    bool color = cf->color >= 0 ? cf->color == 1 : isatty(1) != 0;
    char what[700];
    if (o->mode == CR_MODE_SERVER) {
        snprintf(what, sizeof what, "sioc conform server %s (Engine.IO v%d)", o->url, o->eio);
    } else {
        snprintf(what, sizeof what, "sioc conform client at %s (Engine.IO v%d)",
                 cr_runner_origin(runner), o->eio);
    }
    crep_begin(stdout, color, total, what);
    int64_t t0 = now_ms();
    size_t k = 0;
    for (size_t i = 0; i < set->n_cases; i++) {
        const cs_case *c = &set->cases[i];
        if (!cr_case_in_scope(runner, c) || !selected(cf, c->id)) {
            continue;
        }
        cr_result *res = &results[k++];
        const char *why = NULL;
        const char *ex = excluded(cf, c->id);
        if (ex != NULL) {
            memset(res, 0, sizeof *res);
            res->c = c;
            res->verdict = CR_SKIPPED;
            size_t l = strlen(ex) + 16;
            res->reason = malloc(l);
            if (res->reason != NULL) {
                snprintf(res->reason, l, "excluded: %s", ex);
            }
        } else if (!cr_case_applies(runner, c, &why)) {
            memset(res, 0, sizeof *res);
            res->c = c;
            res->verdict = CR_SKIPPED;
            res->reason = strdup(why);
        } else {
            cr_run_case(runner, c, res);
        }
        crep_case(stdout, color, k, total, res);
    }
    crep_run rr;
    rr.mode = mode;
    rr.target = o->mode == CR_MODE_SERVER ? o->url
                : o->exec != NULL         ? o->exec
                                          : cr_runner_origin(runner);
    rr.eio = o->eio;
    rr.strict = o->strict;
    rr.results = results;
    rr.n = k;
    rr.duration_ms = now_ms() - t0;
    size_t counts[CR_N_VERDICTS];
    crep_summary(stdout, color, &rr, counts);
    rc = counts[CR_FAIL] > 0 ? 1 : SIOC_EXIT_OK;
    if (cf->json != NULL && crep_write_json(cf->json, &rr) != 0) {
        sioc_error(VERB, "cannot write '%s': %s", cf->json, strerror(errno));
        rc = SIOC_EXIT_USAGE;
    }
    if (cf->junit != NULL && crep_write_junit(cf->junit, &rr) != 0) {
        sioc_error(VERB, "cannot write '%s': %s", cf->junit,
                   strerror(errno));
        rc = SIOC_EXIT_USAGE;
    }
    for (size_t i = 0; i < k; i++) {
        cr_result_free(&results[i]);
    }
out:
    free(results);
    cr_runner_free(runner);
    return rc;
}

static int run(int argc, char **argv)
{
    conf cf;
    memset(&cf, 0, sizeof cf);
    cf.color = -1;
    cr_options o;
    memset(&o, 0, sizeof o);
    o.eio = 4;
    o.timeout_ms = 5000;
    o.slack_ms = 300;
    o.time_scale = 1.0;
    const char *mode = NULL;
    int rc = SIOC_EXIT_USAGE;
    cs_set set;
    cs_set_init(&set);

    int parsed = parse_cli(argc, argv, &cf, &o, &mode);
    if (parsed != 0) {
        rc = parsed > 0 ? SIOC_EXIT_OK : SIOC_EXIT_USAGE;
        goto out;
    }
    const char *dir = cf.scenarios;
    if (dir == NULL) {
        dir = getenv("SIOC_SCENARIOS");
    }
    if (dir == NULL || dir[0] == '\0') {
        struct stat st;
        dir = stat(SIOC_SCENARIO_DIR, &st) == 0 && S_ISDIR(st.st_mode)
                  ? SIOC_SCENARIO_DIR
                  : SIOC_SCENARIO_DIR_INSTALLED;
    }
    char err[1024];
    if (cs_parse_dir(&set, dir, err, sizeof err) != 0) {
        sioc_error(VERB, "%s", err);
        goto out;
    }

    if (cf.list) {
        list_cases(&cf, &set, mode);
        rc = SIOC_EXIT_OK;
        goto out;
    }
    rc = run_cases(&cf, &o, &set, mode);
out:
    cs_set_free(&set);
    for (size_t i = 0; i < cf.n_ex; i++) {
        free(cf.ex[i].glob);
        free(cf.ex[i].reason);
    }
    return rc;
}

const sioc_verb sioc_verb_conform = {"conform",
                                     "check a live server or client against the protocol", run};
const sioc_verb sioc_verb_record = {"record", "record a session as a scenario file",
                                    conform_record_main};
