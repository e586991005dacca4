/*
 * conform_scenario.h - scenario files of `sioc conform`: the data model and
 * the strict parser (docs/scenario-format.md is the reference).
 *
 * A cs_set owns everything it holds (one arena); cs_set_free releases it.
 * Templates (text that may contain $var / @var) are kept as written and
 * expanded by the runner; everything else is checked at parse time so that
 * a scenario that parses can only fail at run time because of the target.
 */
#ifndef SIOC_CONFORM_SCENARIO_H
#define SIOC_CONFORM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sioc/base.h"
#include "sioc/json.h"

/* Limits of the format (docs/scenario-format.md, "Lexical rules"). */
#define CS_MAX_LINE 65536
#define CS_MAX_FILE (4u * 1024 * 1024)
#define CS_MAX_CASES_PER_FILE 1000
#define CS_MAX_STEPS 500
#define CS_MAX_CONNS 32
#define CS_MAX_VARS 64
#define CS_MAX_ID 100
#define CS_MAX_PATTERN_DEPTH 32
#define CS_MAX_BRANCHES 8
#define CS_MAX_CODES 8
#define CS_MAX_HEADERS 16
#define CS_MAX_PACKETS 64
#define CS_MAX_FILES 256

typedef enum cs_level { CS_MUST, CS_SHOULD, CS_IMPL, CS_INFO } cs_level;
typedef enum cs_role { CS_ROLE_SERVER, CS_ROLE_CLIENT } cs_role;
typedef enum cs_layer { CS_LAYER_EIO, CS_LAYER_SIO } cs_layer;

/* Transport bits. */
#define CS_T_POLLING 1u
#define CS_T_WEBSOCKET 2u

/* Feature bits (`requires`). */
#define CS_F_ECHO 1u
#define CS_F_TEST_SUITE 2u

/** What is sent (data forms). */
typedef enum cs_data_kind {
    CS_DATA_NONE = 0,
    CS_DATA_TEXT,    /**< tmpl, $var inserted */
    CS_DATA_ESC,     /**< tmpl with escapes, $var inserted */
    CS_DATA_BYTES,   /**< hex / base64, decoded at parse time */
    CS_DATA_PACKETS, /**< packets[] in packet notation, each a template */
    CS_DATA_EMPTY,
} cs_data_kind;

typedef struct cs_data {
    cs_data_kind kind;
    const char *tmpl;
    const uint8_t *bytes;
    size_t len;
    const char **packets;
    size_t n_packets;
} cs_data;

/** JSON pattern node. */
typedef enum cs_pat_kind {
    CS_PAT_LITERAL, /**< lit: a scalar compared with eio_json_equal */
    CS_PAT_ANY,     /**< `_` / `_:TYPE` */
    CS_PAT_CAPTURE, /**< `$name` / `$name:TYPE` */
    CS_PAT_REF,     /**< `@name` */
    CS_PAT_OBJECT,
    CS_PAT_ARRAY,
} cs_pat_kind;

/* Type filters of `_:TYPE` / `$x:TYPE` (0: any). */
typedef enum cs_pat_type {
    CS_PT_ANY = 0,
    CS_PT_STRING,
    CS_PT_NUMBER,
    CS_PT_INT,
    CS_PT_BOOL,
    CS_PT_NULL,
    CS_PT_OBJECT,
    CS_PT_ARRAY,
} cs_pat_type;

typedef struct cs_pat {
    cs_pat_kind kind;
    cs_pat_type type;
    const char *name;           /**< capture / ref */
    const eio_json *lit;
    struct cs_pat **items;      /**< object members or array elements */
    const char **keys;          /**< object member keys (NUL-terminated, may hold no NUL) */
    size_t *key_lens;
    size_t n;
    bool open;                  /**< `...`: more members / elements allowed */
} cs_pat;

typedef enum cs_match_kind {
    CS_M_TEXT,
    CS_M_PREFIX,
    CS_M_REGEX,
    CS_M_JSON,
    CS_M_BYTES, /**< hex / base64 */
    CS_M_BINARY,
    CS_M_ANY,
    CS_M_ABSENT, /**< header / query only */
} cs_match_kind;

typedef struct cs_matcher {
    cs_match_kind kind;
    const char *src;        /**< as written (for reports) */
    const char *tmpl;       /**< text / prefix / regex / json prefix */
    const cs_pat *pat;      /**< json */
    const uint8_t *bytes;   /**< bytes */
    size_t len;
} cs_matcher;

typedef enum cs_step_kind {
    CS_STEP_HTTP,
    CS_STEP_WS,
    CS_STEP_SEND,
    CS_STEP_CLOSE,
    CS_STEP_DROP,
    CS_STEP_ABORT,
    CS_STEP_PINGS,
    CS_STEP_SLEEP,
    CS_STEP_SET,
    CS_STEP_AWAIT_REQUEST,
    CS_STEP_AWAIT_WS,
    CS_STEP_RESPOND,
    CS_STEP_REFUSE_WS,
    CS_STEP_EXPECT,
    CS_STEP_EXPECT_NO_REQUEST,
    CS_STEP_EITHER,
} cs_step_kind;

typedef enum cs_expect_kind {
    CS_X_STATUS,
    CS_X_FAILED,
    CS_X_HEADER,
    CS_X_BODY,
    CS_X_PACKET,
    CS_X_END,
    CS_X_FRAME,
    CS_X_OPEN,
    CS_X_REFUSED,
    CS_X_CLOSED,
    CS_X_NONE,
    CS_X_METHOD,
    CS_X_QUERY,
    CS_X_GONE,
} cs_expect_kind;

typedef enum cs_ping_mode { CS_PINGS_KEEP, CS_PINGS_IGNORE, CS_PINGS_ANSWER } cs_ping_mode;

/* Connection kinds, known at parse time from the step that opens them. */
typedef enum cs_conn_kind {
    CS_CONN_HTTP,    /**< server role: an HTTP request the harness sent */
    CS_CONN_WS,      /**< server role: a WebSocket the harness opened */
    CS_CONN_REQ_IN,  /**< client role: a claimed incoming request */
    CS_CONN_WS_IN,   /**< client role: a claimed incoming WebSocket */
} cs_conn_kind;

typedef enum cs_grade { CS_GRADE_PASS, CS_GRADE_NONSTRICT, CS_GRADE_UNSUPPORTED, CS_GRADE_FAIL } cs_grade;

struct cs_step;

typedef struct cs_branch {
    cs_grade grade;
    const char *note;   /**< or NULL */
    int line;
    struct cs_step *steps;
    size_t n_steps;
} cs_branch;

typedef struct cs_step {
    cs_step_kind kind;
    int line;
    const char *src;        /**< the line as written (trimmed) */
    int conn;               /**< connection index, -1 if none */
    /* http / ws / respond */
    const char *method;
    const char *target;     /**< template */
    const char **headers;   /**< templates "Name: value" */
    size_t n_headers;
    const char *ctype;
    cs_data data;
    int status;             /**< respond, refuse-ws */
    int code;               /**< close code (0: default) */
    cs_ping_mode pings;
    const char *time;       /**< time expression: sleep, within, none for */
    const char *var;        /**< set */
    const char *value;      /**< set (template) */
    /* expect */
    cs_expect_kind x;
    bool skipping;
    int codes[CS_MAX_CODES];
    size_t n_codes;
    int ns_codes[CS_MAX_CODES];
    size_t n_ns_codes;
    const char *name;       /**< header / query name */
    cs_matcher m;
    /* either */
    cs_branch *branches;
    size_t n_branches;
} cs_step;

typedef struct cs_case {
    const char *id;
    const char *title;
    const char *spec;
    const char *quote;      /**< quote lines joined with '\n', or "" */
    const char *file;
    int line;
    cs_level level;
    cs_role role;
    cs_layer layer;
    unsigned eio_mask;      /**< bit 3 / bit 4 */
    unsigned transports;    /**< CS_T_* */
    unsigned requires;      /**< CS_F_* */
    bool msgpack;
    unsigned client_transports;
    const char *client_namespace;
    const char *client_auth; /**< JSON text or NULL */
    cs_step *steps;
    size_t n_steps;
    const char *conn_names[CS_MAX_CONNS];
    cs_conn_kind conn_kinds[CS_MAX_CONNS];
    size_t n_conns;
} cs_case;

typedef struct cs_set {
    eio_arena arena;
    cs_case *cases;
    size_t n_cases;
    size_t cap_cases;
} cs_set;

/** Initializes an empty set. */
void cs_set_init(cs_set *s);

/** Frees everything the set holds. */
void cs_set_free(cs_set *s);

/**
 * Parses file `path` and appends its cases to `s` (ids must stay unique
 * across the set). Returns 0, or -1 with "FILE:LINE: message" (or "FILE:
 * message") in err[0..errcap).
 */
int cs_parse_file(cs_set *s, const char *path, char *err, size_t errcap);

/** Parses text already in memory (`name` is used in messages). Same returns. */
int cs_parse_text(cs_set *s, const char *name, const char *text, size_t len, char *err,
                  size_t errcap);

/**
 * Parses every `*.scn` file of directory `dir` in name order. Returns 0, or
 * -1 with the first error in err.
 */
int cs_parse_dir(cs_set *s, const char *dir, char *err, size_t errcap);

/**
 * Evaluates a time expression (validated by the parser). `lookup` returns
 * the value of pingInterval / pingTimeout, or -1 when unset. Literals are
 * multiplied by `scale`. Returns 0 and stores ms, or -1 with a message.
 */
typedef struct cs_time_env {
    double scale;
    int64_t slack;   /**< already scaled */
    int64_t timeout;
    int64_t ping_interval; /**< -1 if unknown */
    int64_t ping_timeout;  /**< -1 if unknown */
} cs_time_env;

int cs_time_eval(const char *expr, const cs_time_env *env, int64_t *out, char *err,
                 size_t errcap);

/** Names of enum values, for listings and reports. */
const char *cs_level_name(cs_level l);
const char *cs_role_name(cs_role r);
const char *cs_layer_name(cs_layer l);

/** fnmatch-style glob ('*', '?', '[...]') against a case id. */
bool cs_glob_match(const char *glob, const char *id);

#endif /* SIOC_CONFORM_SCENARIO_H */
