/*
 * conform_run.h - the runner of `sioc conform`: plays scenario cases
 * against a live server (the harness is the client) or a live client (the
 * harness is the server), through the network layer of net.h, and grades
 * each case.
 */
#ifndef SIOC_CONFORM_RUN_H
#define SIOC_CONFORM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conform_scenario.h"

/** Verdicts, in report order. */
typedef enum cr_verdict {
    CR_PASS,
    CR_NONSTRICT,
    CR_FAIL,
    CR_SKIPPED,
    CR_UNSUPPORTED,
    CR_INFO,
} cr_verdict;

#define CR_N_VERDICTS 6

/** "pass", "non-strict", "fail", "skipped", "unsupported", "informational". */
const char *cr_verdict_name(cr_verdict v);

/** One entry of a case's wire log. */
typedef struct cr_log {
    int64_t t;        /**< ms since the case started */
    const char *conn; /**< connection name, or "" */
    char dir;         /**< '>' sent by the harness, '<' received, '*' a note */
    char *what;       /**< e.g. "GET /socket.io/?EIO=4...", "status 200", "text", "binary", "close 1000" */
    uint8_t *data;    /**< payload (body, frame) or NULL */
    size_t len;
    bool binary;
} cr_log;

/** The outcome of one case. */
typedef struct cr_result {
    const cs_case *c;
    cr_verdict verdict;
    char *reason;     /**< why (fail, skipped, unsupported, non-strict), or NULL */
    int step_line;    /**< line of the step that decided, 0 if none */
    char *expected;   /**< what the deciding step accepted, or NULL */
    char *actual;     /**< what happened instead, or NULL */
    int64_t duration_ms;
    cr_log *log;
    size_t n_log;
    size_t cap_log;
    size_t log_bytes;
} cr_result;

/** Frees what a result holds (not the struct). */
void cr_result_free(cr_result *r);

typedef enum cr_mode { CR_MODE_SERVER, CR_MODE_CLIENT } cr_mode;

/** Runner settings (command-line options). */
typedef struct cr_options {
    cr_mode mode;
    const char *url;         /**< server mode: the URL under test */
    int eio;                 /**< 3 or 4 */
    bool insecure;
    const char *ca_file;
    int64_t timeout_ms;      /**< default bound of every wait */
    int64_t slack_ms;        /**< before scaling */
    double time_scale;
    bool strict;
    unsigned features_on;    /**< CS_F_* forced on */
    unsigned features_off;   /**< CS_F_* forced off */
    const char *exec;        /**< client mode: command template, or NULL (wait) */
    uint16_t port;           /**< client mode: port to listen on, 0 any */
    bool client_eio_only;    /**< client mode: the client speaks Engine.IO only (--layer eio) */
    bool msgpack;            /**< the target's Socket.IO parser is msgpack (--parser) */
    bool verbose;            /**< print the wire log live on stderr */
} cr_options;

typedef struct cr_runner cr_runner;

/**
 * Creates a runner: the network loop, and in client mode the listening
 * server. Returns 0, or -1 with a message in err.
 */
int cr_runner_new(cr_runner **out, const cr_options *opt, char *err, size_t errcap);

void cr_runner_free(cr_runner *r);

/** Client mode: the base URL clients connect to ("http://127.0.0.1:PORT"). */
const char *cr_runner_origin(const cr_runner *r);

/** Whether `c` is for this run at all: the mode's role, the target's
    Engine.IO version, and (Engine.IO endpoints and clients) the layer. Cases
    out of scope are neither run nor counted. */
bool cr_case_in_scope(const cr_runner *r, const cs_case *c);

/**
 * Whether `c` applies to this target; if not, *why says why (the case is
 * then reported skipped). Cases of the other role never apply.
 */
bool cr_case_applies(const cr_runner *r, const cs_case *c, const char **why);

/** Runs one case and fills `out` (which the caller frees with cr_result_free). */
void cr_run_case(cr_runner *r, const cs_case *c, cr_result *out);

/** Adds a log entry (copies data). Used by the runner and by `sioc record`. */
void cr_log_add(cr_result *res, int64_t t, const char *conn, char dir, const char *what,
                const uint8_t *data, size_t len, bool binary);

#endif /* SIOC_CONFORM_RUN_H */
