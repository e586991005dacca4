/*
 * fuzz_scenario.c - the scenario file parser of `sioc conform`
 * (conformance/conform_scenario.c) on arbitrary text.
 *
 * Invariants checked (abort on violation):
 *   - a rejected file gets a NUL-terminated message naming the file;
 *   - every case of an accepted file has its required headers, at most
 *     CS_MAX_STEPS steps and CS_MAX_CONNS connections, connection indexes
 *     in range, and an id its own glob matches;
 *   - every time expression the parser accepted evaluates again as the
 *     parser evaluated it, and within [0, 1e10] ms whenever it evaluates;
 *   - parsing the same text again into the same set fails (duplicate ids)
 *     when it holds a case.
 * Leaks and memory errors are the sanitizers' job.
 */
#include "fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform_scenario.h"

#define NAME "fuzz.scn"

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scenario: invariant broken: %s\n", what);
        abort();
    }
}

static void check_time(const char *expr)
{
    if (expr == NULL) {
        return;
    }
    /* The first is the parser's own check; the others may fail (unknown
       heartbeat values, too long once scaled) but never crash. */
    static const cs_time_env envs[] = {
        {1.0, 1, 1, 1, 1},
        {0.1, 30, 500, -1, -1},
        {100.0, 30000, 500000, 0, 0},
        {1.0, 300, 5000, 25000, 20000},
    };
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        char err[256];
        memset(err, 'x', sizeof err);
        int64_t ms = -1;
        int rc = cs_time_eval(expr, &envs[i], &ms, err, sizeof err);
        if (rc == 0) {
            check(ms >= 0 && ms <= 10000000000LL, "time in range");
        } else {
            check(i > 0, "an accepted time expression evaluates");
            check(memchr(err, '\0', sizeof err) != NULL, "time error terminated");
        }
    }
}

static void check_pattern(const cs_pat *p, int depth)
{
    if (p == NULL) {
        return;
    }
    check(depth <= CS_MAX_PATTERN_DEPTH + 1, "pattern depth");
    if (p->kind == CS_PAT_OBJECT || p->kind == CS_PAT_ARRAY) {
        for (size_t i = 0; i < p->n; i++) {
            if (p->kind == CS_PAT_OBJECT) {
                check(p->keys != NULL && p->keys[i] != NULL, "pattern key");
            }
            check_pattern(p->items[i], depth + 1);
        }
    }
    if (p->kind == CS_PAT_CAPTURE || p->kind == CS_PAT_REF) {
        check(p->name != NULL && p->name[0] != '\0', "pattern name");
    }
    if (p->kind == CS_PAT_LITERAL) {
        check(p->lit != NULL, "pattern literal");
        (void)eio_json_write(p->lit, NULL, 0);
    }
}

static void check_steps(const cs_case *c, const cs_step *steps, size_t n, int depth)
{
    check(depth <= 2, "either nesting");
    for (size_t i = 0; i < n; i++) {
        const cs_step *s = &steps[i];
        check(s->conn >= -1 && (s->conn < 0 || (size_t)s->conn < c->n_conns), "conn index");
        check(s->src != NULL, "step source");
        check_time(s->time);
        check_pattern(s->m.pat, 0);
        for (size_t b = 0; b < s->n_branches; b++) {
            check_steps(c, s->branches[b].steps, s->branches[b].n_steps, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_set s;
    cs_set_init(&s);
    char err[1024];
    memset(err, 'x', sizeof err);
    int rc = cs_parse_text(&s, NAME, (const char *)data, size, err, sizeof err);
    if (rc != 0) {
        check(rc == -1, "error code");
        check(memchr(err, '\0', sizeof err) != NULL, "error terminated");
        check(strncmp(err, NAME, strlen(NAME)) == 0, "error names the file");
        cs_set_free(&s);
        return 0;
    }
    for (size_t i = 0; i < s.n_cases; i++) {
        const cs_case *c = &s.cases[i];
        check(c->id != NULL && c->title != NULL && c->spec != NULL, "headers");
        check(cs_glob_match(c->id, c->id), "id matches itself");
        check(c->n_steps <= CS_MAX_STEPS && c->n_conns <= CS_MAX_CONNS, "limits");
        (void)cs_level_name(c->level);
        (void)cs_role_name(c->role);
        (void)cs_layer_name(c->layer);
        check_steps(c, c->steps, c->n_steps, 0);
    }
    if (s.n_cases > 0) {
        rc = cs_parse_text(&s, NAME, (const char *)data, size, err, sizeof err);
        check(rc == -1, "duplicate ids refused");
    }
    cs_set_free(&s);
    return 0;
}
