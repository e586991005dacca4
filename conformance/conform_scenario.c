/*
 * conform_scenario.c - the strict parser of scenario files
 * (docs/scenario-format.md). Every error names the file and line.
 */
#include "conform_scenario.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "sioc_cli.h"

/* ------------------------------------------------------------------------ */
/* Parser state                                                              */
/* ------------------------------------------------------------------------ */

typedef struct step_vec {
    cs_step *v;
    size_t n, cap;
} step_vec;

typedef struct parser {
    cs_set *s;
    const char *file;
    int line;
    char *err;
    size_t errcap;
    cs_case *c;          /* case being built, NULL outside */
    bool in_steps;
    step_vec steps;
    /* either block */
    bool in_either;
    int either_line;
    cs_branch branches[CS_MAX_BRANCHES];
    size_t n_branches;
    step_vec bsteps;
    /* headers seen */
    unsigned seen;
    char *quote;
    size_t quote_len;
    size_t cases_in_file;
} parser;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int perr(parser *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->line > 0) {
        snprintf(p->err, p->errcap, "%s:%d: %s", p->file, p->line, msg);
    } else {
        snprintf(p->err, p->errcap, "%s: %s", p->file, msg);
    }
    return -1;
}

static void *palloc(parser *p, size_t n)
{
    void *m = eio_arena_alloc(&p->s->arena, n == 0 ? 1 : n);
    if (m == NULL) {
        perr(p, "out of memory");
        return NULL;
    }
    memset(m, 0, n == 0 ? 1 : n);
    return m;
}

static char *pdup(parser *p, const char *s, size_t n)
{
    char *d = palloc(p, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* An arena array `arr` of `n` elements of `elem` bytes with room for
   `*cap`: returns it with room for one more (the old copy stays in the
   arena), growing `*cap` to `first` or twice; NULL (reported) when out of
   memory. */
static void *pgrow(parser *p, void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap) {
        return arr;
    }
    size_t ncap = *cap == 0 ? first : *cap * 2;
    void *na = palloc(p, ncap * elem);
    if (na == NULL) {
        return NULL;
    }
    if (n > 0) {
        memcpy(na, arr, n * elem);
    }
    *cap = ncap;
    return na;
}

static int vec_push(parser *p, step_vec *v, const cs_step *st)
{
    cs_step *nv = pgrow(p, v->v, v->n, &v->cap, sizeof *nv, 16);
    if (nv == NULL) {
        return -1;
    }
    v->v = nv;
    v->v[v->n++] = *st;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Words                                                                     */
/* ------------------------------------------------------------------------ */

/* One word of a fixed list (a header's, a step's) and what it stands for. */
typedef struct word_value {
    const char *word;
    unsigned value;
} word_value;

#define N_WORDS(t) (sizeof(t) / sizeof((t)[0]))

static const word_value *find_word(const word_value *t, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].word, w) == 0) {
            return &t[i];
        }
    }
    return NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void skip_blanks(const char **cur)
{
    while (is_blank(**cur)) {
        (*cur)++;
    }
}

static bool at_end(const char **cur)
{
    skip_blanks(cur);
    return **cur == '\0';
}

/* Scans a JSON string literal starting at s[0] == '"'; returns its length
 * including the quotes, or 0 if unterminated. */
static size_t json_string_len(const char *s)
{
    size_t i = 1;
    while (s[i] != '\0') {
        if (s[i] == '\\') {
            if (s[i + 1] == '\0') {
                return 0;
            }
            i += 2;
            continue;
        }
        if (s[i] == '"') {
            return i + 1;
        }
        i++;
    }
    return 0;
}

/* Decodes JSON string literal s[0..n) into a NUL-terminated arena string. */
static char *decode_json_string(parser *p, const char *s, size_t n, size_t *out_len)
{
    eio_arena tmp;
    eio_arena_init(&tmp, NULL, 0, 0);
    eio_json *v = NULL;
    eio_errinfo ei;
    char *res = NULL;
    if (eio_json_parse((const uint8_t *)s, n, NULL, &tmp, &v, &ei) != 0 ||
        v->type != EIO_JSON_STRING) {
        perr(p, "bad quoted word %.*s: %s", (int)(n > 60 ? 60 : n), s,
             v == NULL ? ei.msg : "not a string");
    } else {
        res = pdup(p, v->u.str.ptr, v->u.str.len);
        if (out_len != NULL) {
            *out_len = v->u.str.len;
        }
    }
    eio_arena_destroy(&tmp);
    return res;
}

/* Next word (a quoted word is decoded). Returns NULL at end of line (no
 * error) or on error (p->err set, *failed = true). */
static char *next_word(parser *p, const char **cur, bool *failed)
{
    skip_blanks(cur);
    const char *s = *cur;
    if (*s == '\0') {
        return NULL;
    }
    if (*s == '"') {
        size_t n = json_string_len(s);
        if (n == 0) {
            *failed = true;
            perr(p, "unterminated quoted word");
            return NULL;
        }
        if (s[n] != '\0' && !is_blank(s[n])) {
            *failed = true;
            perr(p, "a quoted word must be followed by a blank");
            return NULL;
        }
        char *w = decode_json_string(p, s, n, NULL);
        if (w == NULL) {
            *failed = true;
            return NULL;
        }
        *cur = s + n;
        return w;
    }
    size_t n = 0;
    while (s[n] != '\0' && !is_blank(s[n])) {
        n++;
    }
    *cur = s + n;
    char *w = pdup(p, s, n);
    if (w == NULL) {
        *failed = true;
    }
    return w;
}

/* A required word: error "missing WHAT" when absent. */
static char *need_word(parser *p, const char **cur, const char *what)
{
    bool failed = false;
    char *w = next_word(p, cur, &failed);
    if (w == NULL && !failed) {
        perr(p, "missing %s", what);
    }
    return w;
}

/* Rest of the line after the blanks (the line is already trimmed). */
static char *rest_of_line(parser *p, const char **cur)
{
    skip_blanks(cur);
    char *r = pdup(p, *cur, strlen(*cur));
    *cur += strlen(*cur);
    return r;
}

static int no_more(parser *p, const char **cur)
{
    if (!at_end(cur)) {
        return perr(p, "unexpected '%s' at the end of the line", *cur);
    }
    return 0;
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool valid_name(const char *w)
{
    if (!is_name_start(w[0])) {
        return false;
    }
    for (const char *c = w; *c != '\0'; c++) {
        if (!is_name_char(*c)) {
            return false;
        }
    }
    return strlen(w) <= 64;
}

/* ------------------------------------------------------------------------ */
/* Templates                                                                 */
/* ------------------------------------------------------------------------ */

/* Length of a variable reference after the sigil at s[0]: a name, a digit
 * 1-9 (regex group) or {name}. Returns 0 if none. */
static size_t var_ref_len(const char *s)
{
    if (s[0] == '{') {
        size_t n = 1;
        if (!is_name_start(s[1]) && !(s[1] >= '1' && s[1] <= '9')) {
            return 0;
        }
        while (is_name_char(s[n])) {
            n++;
        }
        return s[n] == '}' ? n + 1 : 0;
    }
    if (s[0] >= '1' && s[0] <= '9') {
        return 1;
    }
    if (!is_name_start(s[0])) {
        return 0;
    }
    size_t n = 0;
    while (is_name_char(s[n])) {
        n++;
    }
    return n;
}

/* `*c` is a sigil ('$' or '@') in a template: steps over a doubled sigil
   or the reference that follows; reports a sigil followed by neither,
   naming `what` it should be followed by. */
static int skip_ref(parser *p, const char **c, const char *what)
{
    char sigil = **c;
    if ((*c)[1] == sigil) {
        *c += 1;
        return 0;
    }
    size_t n = var_ref_len(*c + 1);
    if (n == 0) {
        return perr(p, "'%c' must be followed by a %s, '{name}' or '%c' (write '%c%c' for a "
                       "literal '%c')",
                    sigil, what, sigil, sigil, sigil, sigil);
    }
    *c += n;
    return 0;
}

/* What is sent: $name, ${name}, $$. With `esc`, backslash escapes too. */
static int check_send_tmpl(parser *p, const char *t, bool esc)
{
    for (const char *c = t; *c != '\0'; c++) {
        if (*c == '$') {
            if (skip_ref(p, &c, "variable name") != 0) {
                return -1;
            }
        } else if (esc && *c == '\\') {
            char e = c[1];
            if (e == 'x') {
                if (sioc_hex_digit(c[2]) < 0 || sioc_hex_digit(c[3]) < 0) {
                    return perr(p, "'\\x' needs two hex digits");
                }
                c += 3;
            } else if (e == 'u') {
                for (int i = 2; i < 6; i++) {
                    if (sioc_hex_digit(c[i]) < 0) {
                        return perr(p, "'\\u' needs four hex digits");
                    }
                }
                c += 5;
            } else if (e != '\0' && strchr("\"\\/bfnrt", e)) {
                c++;
            } else {
                return perr(p, "unknown escape '\\%c' (known: \\\" \\\\ \\/ \\b \\f \\n \\r "
                               "\\t \\uXXXX \\xHH)",
                            e == '\0' ? ' ' : e);
            }
        }
    }
    return 0;
}

/* What is matched: $name captures, @name refs, $$ and @@ literals. With
 * `regex`, '$' is the regex anchor and only @ refs exist. */
static int check_match_tmpl(parser *p, const char *t, bool regex)
{
    for (const char *c = t; *c != '\0'; c++) {
        int rc = 0;
        if (*c == '@') {
            rc = skip_ref(p, &c, "variable name");
        } else if (*c == '$' && !regex) {
            rc = skip_ref(p, &c, "capture name");
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Time expressions                                                          */
/* ------------------------------------------------------------------------ */

typedef struct texpr {
    const char *s;
    size_t i;
    const cs_time_env *env;
    char *err;
    size_t errcap;
    int depth;
} texpr;

static int t_expr(texpr *t, double *out);

static int t_fail(texpr *t, const char *msg)
{
    snprintf(t->err, t->errcap, "time expression '%s': %s", t->s, msg);
    return -1;
}

/* Stores the value of an atom; *lit says whether it was a literal, which
 * t_term scales (a literal inside a product with a name is a count). */
static int t_atom(texpr *t, double *out, bool *lit)
{
    *lit = false;
    const char *s = t->s + t->i;
    if (*s == '(') {
        if (++t->depth > 16) {
            return t_fail(t, "nested too deeply");
        }
        t->i++;
        if (t_expr(t, out) != 0) {
            return -1;
        }
        if (t->s[t->i] != ')') {
            return t_fail(t, "missing ')'");
        }
        t->i++;
        t->depth--;
        return 0;
    }
    if (*s >= '0' && *s <= '9') {
        double v = 0;
        size_t n = 0;
        while (s[n] >= '0' && s[n] <= '9') {
            v = v * 10 + (s[n] - '0');
            if (v > 1e9) {
                return t_fail(t, "number too large (at most 1000000000 ms)");
            }
            n++;
        }
        t->i += n;
        *out = v;
        *lit = true;
        return 0;
    }
    size_t n = 0;
    while (is_name_char(s[n])) {
        n++;
    }
    if (n == 0) {
        return t_fail(t, "expected a number, a name or '('");
    }
    int64_t v;
    if (n == 12 && strncmp(s, "pingInterval", n) == 0) {
        v = t->env->ping_interval;
        if (v < 0) {
            return t_fail(t, "pingInterval is not known (no handshake, and not set)");
        }
    } else if (n == 11 && strncmp(s, "pingTimeout", n) == 0) {
        v = t->env->ping_timeout;
        if (v < 0) {
            return t_fail(t, "pingTimeout is not known (no handshake, and not set)");
        }
    } else if (n == 5 && strncmp(s, "slack", n) == 0) {
        v = t->env->slack;
    } else if (n == 7 && strncmp(s, "timeout", n) == 0) {
        v = t->env->timeout;
    } else {
        return t_fail(t, "unknown name (known: pingInterval, pingTimeout, slack, timeout)");
    }
    t->i += n;
    *out = (double)v;
    return 0;
}

static int t_term(texpr *t, double *out)
{
    bool lit;
    if (t_atom(t, out, &lit) != 0) {
        return -1;
    }
    bool all_lit = lit;
    while (t->s[t->i] == '*') {
        t->i++;
        double r;
        if (t_atom(t, &r, &lit) != 0) {
            return -1;
        }
        all_lit = all_lit && lit;
        *out = *out * r;
    }
    if (all_lit) {
        *out *= t->env->scale;
    }
    return 0;
}

static int t_expr(texpr *t, double *out)
{
    if (t_term(t, out) != 0) {
        return -1;
    }
    while (t->s[t->i] == '+' || t->s[t->i] == '-') {
        char op = t->s[t->i++];
        double r;
        if (t_term(t, &r) != 0) {
            return -1;
        }
        *out = op == '+' ? *out + r : *out - r;
    }
    return 0;
}

int cs_time_eval(const char *expr, const cs_time_env *env, int64_t *out, char *err,
                 size_t errcap)
{
    texpr t = {expr, 0, env, err, errcap, 0};
    double v;
    if (expr[0] == '\0') {
        snprintf(err, errcap, "empty time expression");
        return -1;
    }
    if (t_expr(&t, &v) != 0) {
        return -1;
    }
    if (t.s[t.i] != '\0') {
        return t_fail(&t, "unexpected character");
    }
    if (v < 0) {
        v = 0;
    }
    if (v > 1e10) {
        return t_fail(&t, "too long");
    }
    *out = (int64_t)(v + 0.5);
    return 0;
}

static int check_time(parser *p, const char *expr)
{
    cs_time_env env = {1.0, 1, 1, 1, 1};
    char e[300];
    int64_t v;
    if (cs_time_eval(expr, &env, &v, e, sizeof e) != 0) {
        return perr(p, "%s", e);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JSON patterns                                                             */
/* ------------------------------------------------------------------------ */

typedef struct jp {
    parser *p;
    const char *s;
    size_t i;
    int depth;
} jp;

static void jp_ws(jp *j)
{
    while (j->s[j->i] == ' ' || j->s[j->i] == '\t') {
        j->i++;
    }
}

static int jp_fail(jp *j, const char *msg)
{
    return perr(j->p, "JSON pattern at column %zu: %s", j->i + 1, msg);
}

static int jp_type(jp *j, cs_pat_type *out)
{
    *out = CS_PT_ANY;
    if (j->s[j->i] != ':') {
        return 0;
    }
    j->i++;
    static const struct {
        const char *n;
        cs_pat_type t;
    } types[] = {{"string", CS_PT_STRING}, {"number", CS_PT_NUMBER}, {"int", CS_PT_INT},
                 {"bool", CS_PT_BOOL},     {"null", CS_PT_NULL},     {"object", CS_PT_OBJECT},
                 {"array", CS_PT_ARRAY}};
    size_t n = 0;
    while (is_name_char(j->s[j->i + n])) {
        n++;
    }
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        if (strlen(types[k].n) == n && strncmp(types[k].n, j->s + j->i, n) == 0) {
            *out = types[k].t;
            j->i += n;
            return 0;
        }
    }
    return jp_fail(j, "unknown type after ':' (string, number, int, bool, null, object, array)");
}

static const eio_json *jp_literal(jp *j, size_t n)
{
    eio_json *v = NULL;
    eio_errinfo ei;
    if (eio_json_parse((const uint8_t *)j->s + j->i, n, NULL, &j->p->s->arena, &v, &ei) != 0) {
        jp_fail(j, ei.msg);
        return NULL;
    }
    /* Strings without escapes point into the line buffer: copy them. */
    if (v->type == EIO_JSON_STRING && !(v->flags & EIO_JSON_F_STR_COPIED)) {
        char *d = pdup(j->p, v->u.str.ptr, v->u.str.len);
        if (d == NULL) {
            return NULL;
        }
        v->u.str.ptr = d;
    }
    j->i += n;
    return v;
}

static cs_pat *jp_value(jp *j);

static int jp_push(jp *j, cs_pat *pat, cs_pat *item, const char *key, size_t key_len,
                   size_t *cap)
{
    if (pat->n == *cap) {
        size_t ncap = *cap == 0 ? 4 : *cap * 2;
        cs_pat **ni = palloc(j->p, ncap * sizeof *ni);
        const char **nk = palloc(j->p, ncap * sizeof *nk);
        size_t *nl = palloc(j->p, ncap * sizeof *nl);
        if (ni == NULL || nk == NULL || nl == NULL) {
            return -1;
        }
        if (pat->n > 0) {
            memcpy(ni, pat->items, pat->n * sizeof *ni);
            memcpy(nk, pat->keys, pat->n * sizeof *nk);
            memcpy(nl, pat->key_lens, pat->n * sizeof *nl);
        }
        pat->items = ni;
        pat->keys = nk;
        pat->key_lens = nl;
        *cap = ncap;
    }
    pat->items[pat->n] = item;
    pat->keys[pat->n] = key;
    pat->key_lens[pat->n] = key_len;
    pat->n++;
    return 0;
}

static bool jp_ellipsis(jp *j)
{
    if (strncmp(j->s + j->i, "...", 3) == 0) {
        j->i += 3;
        return true;
    }
    return false;
}

static cs_pat *jp_container(jp *j, bool object)
{
    cs_pat *pat = palloc(j->p, sizeof *pat);
    if (pat == NULL) {
        return NULL;
    }
    pat->kind = object ? CS_PAT_OBJECT : CS_PAT_ARRAY;
    char close = object ? '}' : ']';
    size_t cap = 0;
    if (++j->depth > CS_MAX_PATTERN_DEPTH) {
        jp_fail(j, "nested too deeply (at most 32 levels)");
        return NULL;
    }
    j->i++;
    jp_ws(j);
    if (j->s[j->i] == close) {
        j->i++;
        j->depth--;
        return pat;
    }
    for (;;) {
        jp_ws(j);
        if (jp_ellipsis(j)) {
            pat->open = true;
            jp_ws(j);
            if (j->s[j->i] != close) {
                jp_fail(j, "'...' must be the last member");
                return NULL;
            }
            j->i++;
            break;
        }
        const char *key = NULL;
        size_t key_len = 0;
        if (object) {
            if (j->s[j->i] != '"') {
                jp_fail(j, "expected a member name in double quotes or '...'");
                return NULL;
            }
            size_t n = json_string_len(j->s + j->i);
            if (n == 0) {
                jp_fail(j, "unterminated string");
                return NULL;
            }
            key = decode_json_string(j->p, j->s + j->i, n, &key_len);
            if (key == NULL) {
                return NULL;
            }
            for (size_t k = 0; k < pat->n; k++) {
                if (pat->key_lens[k] == key_len && memcmp(pat->keys[k], key, key_len) == 0) {
                    jp_fail(j, "duplicate member name");
                    return NULL;
                }
            }
            j->i += n;
            jp_ws(j);
            if (j->s[j->i] != ':') {
                jp_fail(j, "expected ':'");
                return NULL;
            }
            j->i++;
        }
        cs_pat *item = jp_value(j);
        if (item == NULL || jp_push(j, pat, item, key, key_len, &cap) != 0) {
            return NULL;
        }
        jp_ws(j);
        if (j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->s[j->i] == close) {
            j->i++;
            break;
        }
        jp_fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
        return NULL;
    }
    j->depth--;
    return pat;
}

static cs_pat *jp_value(jp *j)
{
    jp_ws(j);
    const char *s = j->s + j->i;
    if (*s == '{' || *s == '[') {
        return jp_container(j, *s == '{');
    }
    cs_pat *pat = palloc(j->p, sizeof *pat);
    if (pat == NULL) {
        return NULL;
    }
    if (*s == '_' && !is_name_char(s[1])) {
        pat->kind = CS_PAT_ANY;
        j->i++;
        return jp_type(j, &pat->type) == 0 ? pat : NULL;
    }
    if (*s == '$' || *s == '@') {
        size_t n = var_ref_len(s + 1);
        if (n == 0 || s[1] == '{') {
            jp_fail(j, *s == '$' ? "'$' must be followed by a capture name"
                                 : "'@' must be followed by a variable name");
            return NULL;
        }
        pat->kind = *s == '$' ? CS_PAT_CAPTURE : CS_PAT_REF;
        pat->name = pdup(j->p, s + 1, n);
        j->i += 1 + n;
        if (pat->name == NULL) {
            return NULL;
        }
        if (pat->kind == CS_PAT_CAPTURE) {
            return jp_type(j, &pat->type) == 0 ? pat : NULL;
        }
        return pat;
    }
    size_t n = 0;
    if (*s == '"') {
        n = json_string_len(s);
        if (n == 0) {
            jp_fail(j, "unterminated string");
            return NULL;
        }
    } else if (*s == '-' || (*s >= '0' && *s <= '9')) {
        while (s[n] != '\0' && strchr("+-.eE0123456789", s[n]) != NULL) {
            n++;
        }
    } else if (strncmp(s, "true", 4) == 0) {
        n = 4;
    } else if (strncmp(s, "false", 5) == 0) {
        n = 5;
    } else if (strncmp(s, "null", 4) == 0) {
        n = 4;
    } else {
        jp_fail(j, "expected a JSON value, '_', '$name' or '@name'");
        return NULL;
    }
    pat->kind = CS_PAT_LITERAL;
    pat->lit = jp_literal(j, n);
    return pat->lit != NULL ? pat : NULL;
}

static const cs_pat *parse_pattern(parser *p, const char *text)
{
    jp j = {p, text, 0, 0};
    cs_pat *pat = jp_value(&j);
    if (pat == NULL) {
        return NULL;
    }
    jp_ws(&j);
    if (j.s[j.i] != '\0') {
        jp_fail(&j, "unexpected text after the pattern");
        return NULL;
    }
    return pat;
}

/* ------------------------------------------------------------------------ */
/* Data forms and matchers                                                   */
/* ------------------------------------------------------------------------ */

static int parse_hex(parser *p, const char *t, const uint8_t **out, size_t *out_len)
{
    size_t n = strlen(t);
    uint8_t *b = palloc(p, n / 2 + 1);
    if (b == NULL) {
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (is_blank(t[i])) {
            i++;
            continue;
        }
        int hi = sioc_hex_digit(t[i]);
        int lo = i + 1 < n ? sioc_hex_digit(t[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            return perr(p, "hex data must be pairs of hex digits (blanks allowed between "
                           "pairs), bad at column %zu",
                        i + 1);
        }
        b[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    *out = b;
    *out_len = k;
    return 0;
}

static int parse_base64(parser *p, const char *t, const uint8_t **out, size_t *out_len)
{
    size_t n = strlen(t);
    uint8_t *b = palloc(p, eio_base64_decoded_max(n) + 1);
    if (b == NULL) {
        return -1;
    }
    size_t len = 0;
    eio_errinfo ei;
    if (eio_base64_decode((const uint8_t *)t, n, b, eio_base64_decoded_max(n) + 1, &len, &ei) !=
        0) {
        return perr(p, "bad base64 data: %s", ei.msg);
    }
    *out = b;
    *out_len = len;
    return 0;
}

static int check_packet_word(parser *p, const char *w)
{
    if (w[0] == 'b') {
        const uint8_t *b;
        size_t n;
        return parse_base64(p, w + 1, &b, &n);
    }
    if (w[0] < '0' || w[0] > '6') {
        return perr(p, "packet '%s' must start with a type digit 0-6, or 'b' and base64 for "
                       "a binary message",
                    w);
    }
    return check_send_tmpl(p, w, false);
}

static bool is_data_keyword(const char *w)
{
    return strcmp(w, "text") == 0 || strcmp(w, "esc") == 0 || strcmp(w, "hex") == 0 ||
           strcmp(w, "base64") == 0 || strcmp(w, "packets") == 0 || strcmp(w, "empty") == 0;
}

/* Parses a data form whose keyword `kw` was just read. */
static int parse_data(parser *p, const char *kw, const char **cur, cs_data *d)
{
    if (strcmp(kw, "text") == 0 || strcmp(kw, "esc") == 0) {
        d->kind = kw[0] == 't' ? CS_DATA_TEXT : CS_DATA_ESC;
        d->tmpl = rest_of_line(p, cur);
        if (d->tmpl == NULL) {
            return -1;
        }
        return check_send_tmpl(p, d->tmpl, d->kind == CS_DATA_ESC);
    }
    if (strcmp(kw, "hex") == 0 || strcmp(kw, "base64") == 0) {
        d->kind = CS_DATA_BYTES;
        char *t = rest_of_line(p, cur);
        if (t == NULL) {
            return -1;
        }
        return kw[0] == 'h' ? parse_hex(p, t, &d->bytes, &d->len)
                            : parse_base64(p, t, &d->bytes, &d->len);
    }
    if (strcmp(kw, "empty") == 0) {
        d->kind = CS_DATA_EMPTY;
        return no_more(p, cur);
    }
    if (strcmp(kw, "packets") == 0) {
        d->kind = CS_DATA_PACKETS;
        const char *words[CS_MAX_PACKETS];
        size_t n = 0;
        for (;;) {
            bool failed = false;
            char *w = next_word(p, cur, &failed);
            if (failed) {
                return -1;
            }
            if (w == NULL) {
                break;
            }
            if (n == CS_MAX_PACKETS) {
                return perr(p, "too many packets (at most %d)", CS_MAX_PACKETS);
            }
            if (check_packet_word(p, w) != 0) {
                return -1;
            }
            words[n++] = w;
        }
        if (n == 0) {
            return perr(p, "'packets' needs at least one packet");
        }
        d->packets = palloc(p, n * sizeof *d->packets);
        if (d->packets == NULL) {
            return -1;
        }
        memcpy(d->packets, words, n * sizeof *words);
        d->n_packets = n;
        return 0;
    }
    return perr(p, "unknown data form '%s' (text, esc, hex, base64, packets, empty)", kw);
}

/* Validates a regex with @refs replaced by a plain letter. */
static int check_regex(parser *p, const char *re)
{
    size_t n = strlen(re);
    char *t = malloc(n + 1);
    if (t == NULL) {
        return perr(p, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (re[i] == '@' && re[i + 1] == '@') {
            t[k++] = '@';
            i++;
        } else if (re[i] == '@') {
            i += var_ref_len(re + i + 1);
            t[k++] = 'x';
        } else {
            t[k++] = re[i];
        }
    }
    t[k] = '\0';
    regex_t rx;
    int rc = regcomp(&rx, t, REG_EXTENDED);
    free(t);
    if (rc != 0) {
        char msg[200];
        regerror(rc, &rx, msg, sizeof msg);
        return perr(p, "bad regular expression: %s", msg);
    }
    regfree(&rx);
    return 0;
}

/* matcher: KIND ... ; allow_absent for header / query. */
static int parse_matcher(parser *p, const char **cur, bool allow_absent, cs_matcher *m)
{
    skip_blanks(cur);
    const char *start = *cur;
    char *kw = need_word(p, cur, "matcher (text, prefix, regex, json, hex, base64, binary, any)");
    if (kw == NULL) {
        return -1;
    }
    m->src = pdup(p, start, strlen(start));
    if (strcmp(kw, "text") == 0 || strcmp(kw, "prefix") == 0) {
        m->kind = kw[0] == 't' ? CS_M_TEXT : CS_M_PREFIX;
        m->tmpl = rest_of_line(p, cur);
        return m->tmpl == NULL ? -1 : check_match_tmpl(p, m->tmpl, false);
    }
    if (strcmp(kw, "regex") == 0) {
        m->kind = CS_M_REGEX;
        m->tmpl = rest_of_line(p, cur);
        if (m->tmpl == NULL || check_match_tmpl(p, m->tmpl, true) != 0) {
            return -1;
        }
        if (m->tmpl[0] == '\0') {
            return perr(p, "'regex' needs an expression");
        }
        return check_regex(p, m->tmpl);
    }
    if (strcmp(kw, "json") == 0) {
        m->kind = CS_M_JSON;
        char *t = rest_of_line(p, cur);
        if (t == NULL) {
            return -1;
        }
        size_t split = strcspn(t, "{[");
        if (t[split] == '\0') {
            return perr(p, "'json' needs a JSON object or array pattern (use 'text' or "
                           "'regex' for other values)");
        }
        m->tmpl = pdup(p, t, split);
        if (m->tmpl == NULL || check_match_tmpl(p, m->tmpl, false) != 0) {
            return -1;
        }
        m->pat = parse_pattern(p, t + split);
        return m->pat == NULL ? -1 : 0;
    }
    if (strcmp(kw, "hex") == 0 || strcmp(kw, "base64") == 0) {
        m->kind = CS_M_BYTES;
        char *t = rest_of_line(p, cur);
        if (t == NULL) {
            return -1;
        }
        return kw[0] == 'h' ? parse_hex(p, t, &m->bytes, &m->len)
                            : parse_base64(p, t, &m->bytes, &m->len);
    }
    if (strcmp(kw, "binary") == 0 || strcmp(kw, "any") == 0) {
        m->kind = kw[0] == 'b' ? CS_M_BINARY : CS_M_ANY;
        return no_more(p, cur);
    }
    if (allow_absent && strcmp(kw, "absent") == 0) {
        m->kind = CS_M_ABSENT;
        return no_more(p, cur);
    }
    return perr(p, "unknown matcher '%s' (text, prefix, regex, json, hex, base64, binary, any%s)",
                kw, allow_absent ? ", absent" : "");
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static int conn_open(parser *p, const char *name, cs_conn_kind kind)
{
    cs_case *c = p->c;
    if (!valid_name(name)) {
        return perr(p, "bad connection name '%s' (letters, digits and '_', not starting with "
                       "a digit)",
                    name);
    }
    for (size_t i = 0; i < c->n_conns; i++) {
        if (strcmp(c->conn_names[i], name) == 0) {
            return perr(p, "connection '%s' is already used in this case", name);
        }
    }
    if (c->n_conns == CS_MAX_CONNS) {
        return perr(p, "too many connections in one case (at most %d)", CS_MAX_CONNS);
    }
    c->conn_names[c->n_conns] = name;
    c->conn_kinds[c->n_conns] = kind;
    return (int)c->n_conns++;
}

static const char *conn_kind_text(cs_conn_kind k)
{
    switch (k) {
    case CS_CONN_HTTP:
        return "an HTTP request";
    case CS_CONN_WS:
        return "a WebSocket";
    case CS_CONN_REQ_IN:
        return "an incoming HTTP request";
    case CS_CONN_WS_IN:
        return "an incoming WebSocket";
    }
    return "?";
}

/* Looks up `name`; its kind must be in `mask` (bits 1 << cs_conn_kind). */
static int conn_ref(parser *p, const char *name, unsigned mask, const char *what)
{
    cs_case *c = p->c;
    for (size_t i = 0; i < c->n_conns; i++) {
        if (strcmp(c->conn_names[i], name) == 0) {
            if (!(mask & (1u << c->conn_kinds[i]))) {
                return perr(p, "%s does not apply to '%s', which is %s", what, name,
                            conn_kind_text(c->conn_kinds[i]));
            }
            return (int)i;
        }
    }
    return perr(p, "unknown connection '%s' (open or claim it in an earlier step)", name);
}

/* Reads the name of the connection a step acts on (one of the kinds in
   `mask`) into st->conn. */
static int step_conn(parser *p, const char **cur, unsigned mask, const char *what, cs_step *st)
{
    char *name = need_word(p, cur, "connection name");
    if (name == NULL || (st->conn = conn_ref(p, name, mask, what)) < 0) {
        return -1;
    }
    return 0;
}

#define K_HTTP (1u << CS_CONN_HTTP)
#define K_WS (1u << CS_CONN_WS)
#define K_REQ (1u << CS_CONN_REQ_IN)
#define K_WSIN (1u << CS_CONN_WS_IN)
#define K_ANY (K_HTTP | K_WS | K_REQ | K_WSIN)

/* ------------------------------------------------------------------------ */
/* Steps                                                                     */
/* ------------------------------------------------------------------------ */

static int parse_int(parser *p, const char *w, int min, int max, const char *what, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(w, &end, 10);
    if (w[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max || w[0] == '+' ||
        w[0] == '-') {
        return perr(p, "%s must be a number from %d to %d, got '%s'", what, min, max, w);
    }
    *out = (int)v;
    return 0;
}

static int need_role(parser *p, cs_role r, const char *step)
{
    if (p->c->role != r) {
        return perr(p, "'%s' is a %s-role step (this case has role %s)", step,
                    r == CS_ROLE_SERVER ? "server" : "client", cs_role_name(p->c->role));
    }
    return 0;
}

/* [header "N: v"]... [ctype TYPE] [DATA] */
static int parse_request_tail(parser *p, const char **cur, cs_step *st, bool allow_data)
{
    const char *hdrs[CS_MAX_HEADERS];
    size_t nh = 0;
    for (;;) {
        bool failed = false;
        char *w = next_word(p, cur, &failed);
        if (failed) {
            return -1;
        }
        if (w == NULL) {
            break;
        }
        if (strcmp(w, "header") == 0) {
            char *h = need_word(p, cur, "header line \"Name: value\"");
            if (h == NULL) {
                return -1;
            }
            const char *colon = strchr(h, ':');
            if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL) {
                return perr(p, "a header must be one quoted word \"Name: value\"");
            }
            if (check_send_tmpl(p, h, false) != 0) {
                return -1;
            }
            if (nh == CS_MAX_HEADERS) {
                return perr(p, "too many headers (at most %d)", CS_MAX_HEADERS);
            }
            hdrs[nh++] = h;
        } else if (strcmp(w, "ctype") == 0) {
            st->ctype = need_word(p, cur, "content type after 'ctype'");
            if (st->ctype == NULL) {
                return -1;
            }
        } else if (allow_data && is_data_keyword(w)) {
            if (parse_data(p, w, cur, &st->data) != 0) {
                return -1;
            }
            break;
        } else {
            return perr(p, "unexpected '%s' (header, ctype%s)", w,
                        allow_data ? " or a data form: text, esc, hex, base64, packets, empty"
                                   : "");
        }
    }
    if (nh > 0) {
        st->headers = palloc(p, nh * sizeof *st->headers);
        if (st->headers == NULL) {
            return -1;
        }
        memcpy(st->headers, hdrs, nh * sizeof *hdrs);
        st->n_headers = nh;
    }
    return no_more(p, cur);
}

static int add_step(parser *p, cs_step *st);
static int parse_step_line(parser *p, const char *line);

static int parse_expect(parser *p, const char **cur, cs_step *st)
{
    char *name = need_word(p, cur, "connection name after 'expect'");
    if (name == NULL) {
        return -1;
    }
    if (strcmp(name, "no-request") == 0) {
        if (need_role(p, CS_ROLE_CLIENT, "expect no-request") != 0) {
            return -1;
        }
        st->kind = CS_STEP_EXPECT_NO_REQUEST;
        char *f = need_word(p, cur, "'for' after 'no-request'");
        if (f == NULL) {
            return -1;
        }
        if (strcmp(f, "for") != 0) {
            return perr(p, "expected 'for TIME' after 'no-request'");
        }
        st->time = need_word(p, cur, "time after 'for'");
        if (st->time == NULL || check_time(p, st->time) != 0) {
            return -1;
        }
        return no_more(p, cur);
    }
    st->kind = CS_STEP_EXPECT;
    /* Resolve the name first without a kind check; checks per WHAT below. */
    int ci = conn_ref(p, name, K_ANY, "expect");
    if (ci < 0) {
        return -1;
    }
    st->conn = ci;
    char *w = need_word(p, cur, "what to expect");
    if (w == NULL) {
        return -1;
    }
    if (strcmp(w, "within") == 0) {
        st->time = need_word(p, cur, "time after 'within'");
        if (st->time == NULL || check_time(p, st->time) != 0) {
            return -1;
        }
        w = need_word(p, cur, "what to expect");
        if (w == NULL) {
            return -1;
        }
    }
    if (strcmp(w, "skipping") == 0) {
        st->skipping = true;
        w = need_word(p, cur, "what to expect");
        if (w == NULL) {
            return -1;
        }
    }
    unsigned mask;
    if (strcmp(w, "status") == 0) {
        st->x = CS_X_STATUS;
        mask = K_HTTP;
        bool ns = false;
        for (;;) {
            bool failed = false;
            char *c = next_word(p, cur, &failed);
            if (failed) {
                return -1;
            }
            if (c == NULL) {
                break;
            }
            if (strcmp(c, "nonstrict") == 0) {
                if (ns) {
                    return perr(p, "'nonstrict' given twice");
                }
                ns = true;
                continue;
            }
            int code;
            if (parse_int(p, c, 100, 599, "an HTTP status", &code) != 0) {
                return -1;
            }
            if ((ns ? st->n_ns_codes : st->n_codes) == CS_MAX_CODES) {
                return perr(p, "too many status codes (at most %d)", CS_MAX_CODES);
            }
            if (ns) {
                st->ns_codes[st->n_ns_codes++] = code;
            } else {
                st->codes[st->n_codes++] = code;
            }
        }
        if (st->n_codes == 0) {
            return perr(p, "'status' needs at least one code before 'nonstrict'");
        }
        if (ns && st->n_ns_codes == 0) {
            return perr(p, "'nonstrict' needs at least one code");
        }
    } else if (strcmp(w, "failed") == 0) {
        st->x = CS_X_FAILED;
        mask = K_HTTP;
    } else if (strcmp(w, "header") == 0 || strcmp(w, "query") == 0) {
        bool hdr = w[0] == 'h';
        st->x = hdr ? CS_X_HEADER : CS_X_QUERY;
        mask = hdr ? (K_HTTP | K_REQ | K_WSIN) : (K_REQ | K_WSIN);
        st->name = need_word(p, cur, hdr ? "header name" : "query parameter name");
        if (st->name == NULL || parse_matcher(p, cur, true, &st->m) != 0) {
            return -1;
        }
        if (st->m.kind == CS_M_JSON || st->m.kind == CS_M_BYTES || st->m.kind == CS_M_BINARY) {
            return perr(p, "%s values take text, prefix, regex, any or absent",
                        hdr ? "header" : "query");
        }
    } else if (strcmp(w, "body") == 0) {
        st->x = CS_X_BODY;
        mask = K_HTTP | K_REQ;
        if (parse_matcher(p, cur, false, &st->m) != 0) {
            return -1;
        }
    } else if (strcmp(w, "packet") == 0) {
        st->x = CS_X_PACKET;
        mask = K_ANY;
        if (parse_matcher(p, cur, false, &st->m) != 0) {
            return -1;
        }
    } else if (strcmp(w, "frame") == 0) {
        st->x = CS_X_FRAME;
        mask = K_WS | K_WSIN;
        if (parse_matcher(p, cur, false, &st->m) != 0) {
            return -1;
        }
    } else if (strcmp(w, "end") == 0) {
        st->x = CS_X_END;
        mask = K_HTTP | K_REQ;
    } else if (strcmp(w, "open") == 0 || strcmp(w, "refused") == 0) {
        st->x = w[0] == 'o' ? CS_X_OPEN : CS_X_REFUSED;
        mask = K_WS;
    } else if (strcmp(w, "closed") == 0) {
        st->x = CS_X_CLOSED;
        mask = K_WS | K_WSIN;
        for (;;) {
            bool failed = false;
            char *c = next_word(p, cur, &failed);
            if (failed) {
                return -1;
            }
            if (c == NULL) {
                break;
            }
            int code;
            if (parse_int(p, c, 0, 4999, "a close code", &code) != 0) {
                return -1;
            }
            if (st->n_codes == CS_MAX_CODES) {
                return perr(p, "too many close codes (at most %d)", CS_MAX_CODES);
            }
            st->codes[st->n_codes++] = code;
        }
    } else if (strcmp(w, "none") == 0) {
        st->x = CS_X_NONE;
        mask = K_ANY;
        if (st->time != NULL) {
            return perr(p, "'none' takes 'for TIME', not 'within'");
        }
        char *f = need_word(p, cur, "'for' after 'none'");
        if (f == NULL) {
            return -1;
        }
        if (strcmp(f, "for") != 0) {
            return perr(p, "expected 'for TIME' after 'none'");
        }
        st->time = need_word(p, cur, "time after 'for'");
        if (st->time == NULL || check_time(p, st->time) != 0) {
            return -1;
        }
    } else if (strcmp(w, "method") == 0) {
        st->x = CS_X_METHOD;
        mask = K_REQ;
        st->method = need_word(p, cur, "method");
        if (st->method == NULL) {
            return -1;
        }
    } else if (strcmp(w, "gone") == 0) {
        st->x = CS_X_GONE;
        mask = K_REQ;
    } else {
        return perr(p, "unknown expectation '%s' (status, failed, header, body, packet, end, "
                       "frame, open, refused, closed, none, method, query, gone)",
                    w);
    }
    if (conn_ref(p, name, mask, w) < 0) {
        return -1;
    }
    return no_more(p, cur);
}

static int parse_step(parser *p, const char *kw, const char **cur, cs_step *st, bool *done)
{
    *done = false;
    if (strcmp(kw, "http") == 0) {
        if (need_role(p, CS_ROLE_SERVER, kw) != 0) {
            return -1;
        }
        st->kind = CS_STEP_HTTP;
        char *name = need_word(p, cur, "connection name");
        char *method = name ? need_word(p, cur, "method") : NULL;
        char *target = method ? need_word(p, cur, "target") : NULL;
        if (target == NULL) {
            return -1;
        }
        for (const char *c = method; *c != '\0'; c++) {
            if (*c < 'A' || *c > 'Z') {
                return perr(p, "method '%s' must be upper-case letters", method);
            }
        }
        if (check_send_tmpl(p, target, false) != 0) {
            return -1;
        }
        st->method = method;
        st->target = target;
        if ((st->conn = conn_open(p, name, CS_CONN_HTTP)) < 0) {
            return -1;
        }
        return parse_request_tail(p, cur, st, true);
    }
    if (strcmp(kw, "ws") == 0) {
        if (need_role(p, CS_ROLE_SERVER, kw) != 0) {
            return -1;
        }
        st->kind = CS_STEP_WS;
        char *name = need_word(p, cur, "connection name");
        char *target = name ? need_word(p, cur, "target") : NULL;
        if (target == NULL || check_send_tmpl(p, target, false) != 0) {
            return -1;
        }
        st->target = target;
        if ((st->conn = conn_open(p, name, CS_CONN_WS)) < 0) {
            return -1;
        }
        return parse_request_tail(p, cur, st, false);
    }
    if (strcmp(kw, "handshake") == 0) {
        if (need_role(p, CS_ROLE_SERVER, kw) != 0) {
            return -1;
        }
        char *name = need_word(p, cur, "connection name");
        char *tr = name ? need_word(p, cur, "transport (polling or websocket)") : NULL;
        if (tr == NULL || no_more(p, cur) != 0) {
            return -1;
        }
        if (!valid_name(name)) {
            return perr(p, "bad connection name '%s'", name);
        }
        static const char open_pat[] =
            "packet json 0{\"sid\":$sid:string,\"upgrades\":$upgrades:array,"
            "\"pingInterval\":$pingInterval:int,\"pingTimeout\":$pingTimeout:int,...}";
        char l1[256], l2[256], l3[400];
        if (strcmp(tr, "polling") == 0) {
            snprintf(l1, sizeof l1, "http %s GET $path?EIO=$EIO&transport=polling", name);
            snprintf(l2, sizeof l2, "expect %s status 200", name);
        } else if (strcmp(tr, "websocket") == 0) {
            snprintf(l1, sizeof l1, "ws %s $path?EIO=$EIO&transport=websocket", name);
            snprintf(l2, sizeof l2, "expect %s open", name);
        } else {
            return perr(p, "handshake transport must be polling or websocket, got '%s'", tr);
        }
        snprintf(l3, sizeof l3, "expect %s %s", name, open_pat);
        if (parse_step_line(p, l1) != 0 || parse_step_line(p, l2) != 0) {
            return -1;
        }
        *done = true; /* the last expanded step is returned in st */
        const char *c3 = l3;
        char *k3 = need_word(p, &c3, "expect");
        if (k3 == NULL) {
            return -1;
        }
        st->kind = CS_STEP_EXPECT;
        return parse_expect(p, &c3, st) == 0 ? 1 : -1;
    }
    if (strcmp(kw, "send") == 0) {
        st->kind = CS_STEP_SEND;
        if (step_conn(p, cur, K_WS | K_WSIN, "send", st) != 0) {
            return -1;
        }
        char *d = need_word(p, cur, "data form (text, esc, hex, base64, packets)");
        if (d == NULL) {
            return -1;
        }
        if (strcmp(d, "empty") == 0) {
            return perr(p, "'empty' is for HTTP bodies; send 'text' with nothing after it for "
                           "an empty frame");
        }
        return parse_data(p, d, cur, &st->data);
    }
    if (strcmp(kw, "close") == 0 || strcmp(kw, "drop") == 0 || strcmp(kw, "abort") == 0) {
        st->kind = kw[0] == 'c' ? CS_STEP_CLOSE : kw[0] == 'd' ? CS_STEP_DROP : CS_STEP_ABORT;
        unsigned mask = st->kind == CS_STEP_CLOSE   ? (K_WS | K_WSIN)
                        : st->kind == CS_STEP_ABORT ? K_HTTP
                                                    : K_ANY;
        if (step_conn(p, cur, mask, kw, st) != 0) {
            return -1;
        }
        if (st->kind == CS_STEP_CLOSE) {
            bool failed = false;
            char *c = next_word(p, cur, &failed);
            if (failed) {
                return -1;
            }
            if (c != NULL && parse_int(p, c, 1000, 4999, "a close code", &st->code) != 0) {
                return -1;
            }
        }
        return no_more(p, cur);
    }
    if (strcmp(kw, "pings") == 0) {
        st->kind = CS_STEP_PINGS;
        if (step_conn(p, cur, K_WS | K_WSIN, "pings", st) != 0) {
            return -1;
        }
        static const word_value modes[] = {
            {"keep", CS_PINGS_KEEP}, {"ignore", CS_PINGS_IGNORE}, {"answer", CS_PINGS_ANSWER}};
        char *m = need_word(p, cur, "mode (keep, ignore, answer)");
        if (m == NULL) {
            return -1;
        }
        const word_value *mode = find_word(modes, N_WORDS(modes), m);
        if (mode == NULL) {
            return perr(p, "pings mode must be keep, ignore or answer, got '%s'", m);
        }
        st->pings = (cs_ping_mode)mode->value;
        return no_more(p, cur);
    }
    if (strcmp(kw, "sleep") == 0) {
        st->kind = CS_STEP_SLEEP;
        st->time = need_word(p, cur, "time");
        if (st->time == NULL || check_time(p, st->time) != 0) {
            return -1;
        }
        return no_more(p, cur);
    }
    if (strcmp(kw, "set") == 0) {
        st->kind = CS_STEP_SET;
        st->var = need_word(p, cur, "variable name");
        if (st->var == NULL) {
            return -1;
        }
        if (!valid_name(st->var)) {
            return perr(p, "bad variable name '%s'", st->var);
        }
        st->value = rest_of_line(p, cur);
        return st->value == NULL ? -1 : check_send_tmpl(p, st->value, false);
    }
    if (strcmp(kw, "await-request") == 0 || strcmp(kw, "await-ws") == 0) {
        bool ws = kw[6] == 'w';
        if (need_role(p, CS_ROLE_CLIENT, kw) != 0) {
            return -1;
        }
        st->kind = ws ? CS_STEP_AWAIT_WS : CS_STEP_AWAIT_REQUEST;
        char *name = need_word(p, cur, "connection name");
        if (name == NULL ||
            (st->conn = conn_open(p, name, ws ? CS_CONN_WS_IN : CS_CONN_REQ_IN)) < 0) {
            return -1;
        }
        bool failed = false;
        char *w = next_word(p, cur, &failed);
        if (failed) {
            return -1;
        }
        if (w != NULL && strcmp(w, "within") == 0) {
            st->time = need_word(p, cur, "time after 'within'");
            if (st->time == NULL || check_time(p, st->time) != 0) {
                return -1;
            }
            w = next_word(p, cur, &failed);
            if (failed) {
                return -1;
            }
        }
        if (w != NULL) {
            if (ws) {
                return perr(p, "unexpected '%s'", w);
            }
            for (const char *c = w; *c != '\0'; c++) {
                if (*c < 'A' || *c > 'Z') {
                    return perr(p, "method '%s' must be upper-case letters", w);
                }
            }
            st->method = w;
        }
        return no_more(p, cur);
    }
    if (strcmp(kw, "respond") == 0) {
        if (need_role(p, CS_ROLE_CLIENT, kw) != 0) {
            return -1;
        }
        st->kind = CS_STEP_RESPOND;
        if (step_conn(p, cur, K_REQ, "respond", st) != 0) {
            return -1;
        }
        char *s = need_word(p, cur, "status");
        if (s == NULL || parse_int(p, s, 100, 599, "an HTTP status", &st->status) != 0) {
            return -1;
        }
        return parse_request_tail(p, cur, st, true);
    }
    if (strcmp(kw, "refuse-ws") == 0) {
        if (need_role(p, CS_ROLE_CLIENT, kw) != 0) {
            return -1;
        }
        st->kind = CS_STEP_REFUSE_WS;
        char *s = need_word(p, cur, "status");
        if (s == NULL || parse_int(p, s, 400, 599, "a refusal status", &st->status) != 0) {
            return -1;
        }
        return no_more(p, cur);
    }
    if (strcmp(kw, "expect") == 0) {
        return parse_expect(p, cur, st);
    }
    return perr(p, "unknown step '%s'", kw);
}

static int add_step(parser *p, cs_step *st)
{
    if (p->in_either) {
        if (st->kind != CS_STEP_EXPECT && st->kind != CS_STEP_EXPECT_NO_REQUEST &&
            st->kind != CS_STEP_SLEEP) {
            return perr(p, "only 'expect' and 'sleep' steps are allowed inside 'either'");
        }
        if (p->bsteps.n >= CS_MAX_STEPS) {
            return perr(p, "too many steps in one branch (at most %d)", CS_MAX_STEPS);
        }
        return vec_push(p, &p->bsteps, st);
    }
    if (p->steps.n >= CS_MAX_STEPS) {
        return perr(p, "too many steps in one case (at most %d)", CS_MAX_STEPS);
    }
    return vec_push(p, &p->steps, st);
}

/* Parses one step line (also used for the expansion of `handshake`). */
static int parse_step_line(parser *p, const char *line)
{
    const char *cur = line;
    char *kw = need_word(p, &cur, "step");
    if (kw == NULL) {
        return -1;
    }
    cs_step st;
    memset(&st, 0, sizeof st);
    st.line = p->line;
    st.conn = -1;
    st.src = pdup(p, line, strlen(line));
    if (st.src == NULL) {
        return -1;
    }
    bool expanded = false;
    int rc = parse_step(p, kw, &cur, &st, &expanded);
    if (rc < 0) {
        return -1;
    }
    return add_step(p, &st);
}

/* ------------------------------------------------------------------------ */
/* Either blocks                                                             */
/* ------------------------------------------------------------------------ */

static int close_branch(parser *p)
{
    cs_branch *b = &p->branches[p->n_branches - 1];
    if (p->bsteps.n == 0) {
        p->line = b->line;
        return perr(p, "an 'either' branch needs at least one step");
    }
    b->steps = p->bsteps.v;
    b->n_steps = p->bsteps.n;
    memset(&p->bsteps, 0, sizeof p->bsteps);
    return 0;
}

static int open_branch(parser *p, cs_grade g, const char *note)
{
    if (p->n_branches == CS_MAX_BRANCHES) {
        return perr(p, "too many branches in one 'either' (at most %d)", CS_MAX_BRANCHES);
    }
    cs_branch *b = &p->branches[p->n_branches++];
    memset(b, 0, sizeof *b);
    b->grade = g;
    b->note = note;
    b->line = p->line;
    return 0;
}

static int parse_or(parser *p, const char **cur)
{
    if (close_branch(p) != 0) {
        return -1;
    }
    char *g = need_word(p, cur, "grade after 'or' (pass, nonstrict, unsupported, fail)");
    if (g == NULL) {
        return -1;
    }
    cs_grade grade;
    if (strcmp(g, "pass") == 0) {
        grade = CS_GRADE_PASS;
    } else if (strcmp(g, "nonstrict") == 0) {
        grade = CS_GRADE_NONSTRICT;
    } else if (strcmp(g, "unsupported") == 0) {
        grade = CS_GRADE_UNSUPPORTED;
    } else if (strcmp(g, "fail") == 0) {
        grade = CS_GRADE_FAIL;
    } else {
        return perr(p, "grade must be pass, nonstrict, unsupported or fail, got '%s'", g);
    }
    const char *note = NULL;
    skip_blanks(cur);
    if (**cur == '"') {
        bool failed = false;
        note = next_word(p, cur, &failed);
        if (note == NULL || no_more(p, cur) != 0) {
            return -1;
        }
    } else if (**cur != '\0') {
        note = rest_of_line(p, cur);
        if (note == NULL) {
            return -1;
        }
    }
    return open_branch(p, grade, note);
}

static int end_either(parser *p)
{
    if (close_branch(p) != 0) {
        return -1;
    }
    if (p->n_branches < 2) {
        p->line = p->either_line;
        return perr(p, "'either' needs at least one 'or' branch");
    }
    cs_step st;
    memset(&st, 0, sizeof st);
    st.kind = CS_STEP_EITHER;
    st.line = p->either_line;
    st.conn = -1;
    st.src = "either";
    st.branches = palloc(p, p->n_branches * sizeof *st.branches);
    if (st.branches == NULL) {
        return -1;
    }
    memcpy(st.branches, p->branches, p->n_branches * sizeof *st.branches);
    st.n_branches = p->n_branches;
    p->in_either = false;
    p->n_branches = 0;
    return add_step(p, &st);
}

/* ------------------------------------------------------------------------ */
/* Cases and headers                                                         */
/* ------------------------------------------------------------------------ */

enum {
    H_TITLE = 1u << 0,
    H_SPEC = 1u << 1,
    H_QUOTE = 1u << 2,
    H_LEVEL = 1u << 3,
    H_ROLE = 1u << 4,
    H_LAYER = 1u << 5,
    H_EIO = 1u << 6,
    H_TRANSPORTS = 1u << 7,
    H_REQUIRES = 1u << 8,
    H_PARSER = 1u << 9,
    H_CTRANS = 1u << 10,
    H_CNS = 1u << 11,
    H_CAUTH = 1u << 12,
};

static const struct {
    const char *name;
    unsigned bit;
} headers[] = {
    {"title", H_TITLE},
    {"spec", H_SPEC},
    {"quote", H_QUOTE},
    {"level", H_LEVEL},
    {"role", H_ROLE},
    {"layer", H_LAYER},
    {"eio", H_EIO},
    {"transports", H_TRANSPORTS},
    {"requires", H_REQUIRES},
    {"parser", H_PARSER},
    {"client-transports", H_CTRANS},
    {"client-namespace", H_CNS},
    {"client-auth", H_CAUTH},
};

static int case_index(const cs_set *s, const char *id)
{
    for (size_t i = 0; i < s->n_cases; i++) {
        if (strcmp(s->cases[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int begin_case(parser *p, const char **cur)
{
    if (p->c != NULL) {
        return perr(p, "'case' inside case '%s' (missing 'end')", p->c->id);
    }
    char *id = need_word(p, cur, "case id");
    if (id == NULL || no_more(p, cur) != 0) {
        return -1;
    }
    size_t n = strlen(id);
    if (n > CS_MAX_ID) {
        return perr(p, "case id longer than %d characters", CS_MAX_ID);
    }
    if (!(id[0] >= 'a' && id[0] <= 'z')) {
        return perr(p, "case id '%s' must start with a lower-case letter", id);
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-')) {
            return perr(p, "case id '%s' may hold only a-z, 0-9, '.', '_' and '-'", id);
        }
    }
    int dup = case_index(p->s, id);
    if (dup >= 0) {
        return perr(p, "duplicate case id '%s' (first defined at %s:%d)", id,
                    p->s->cases[dup].file, p->s->cases[dup].line);
    }
    if (++p->cases_in_file > CS_MAX_CASES_PER_FILE) {
        return perr(p, "too many cases in one file (at most %d)", CS_MAX_CASES_PER_FILE);
    }
    cs_case *c = palloc(p, sizeof *c);
    if (c == NULL) {
        return -1;
    }
    c->id = id;
    c->file = p->file;
    c->line = p->line;
    c->quote = "";
    c->client_transports = CS_T_POLLING | CS_T_WEBSOCKET;
    c->client_namespace = "/";
    p->c = c;
    p->in_steps = false;
    p->seen = 0;
    p->quote = NULL;
    p->quote_len = 0;
    memset(&p->steps, 0, sizeof p->steps);
    return 0;
}

static const word_value level_words[] = {
    {"MUST", CS_MUST}, {"SHOULD", CS_SHOULD}, {"IMPL", CS_IMPL}, {"INFO", CS_INFO}};
static const word_value role_words[] = {{"server", CS_ROLE_SERVER}, {"client", CS_ROLE_CLIENT}};
static const word_value layer_words[] = {{"eio", CS_LAYER_EIO}, {"sio", CS_LAYER_SIO}};
static const word_value parser_words[] = {{"json", 0}, {"msgpack", 1}};
static const word_value eio_words[] = {{"3", 1u << 3}, {"4", 1u << 4}};
static const word_value transport_words[] = {{"polling", CS_T_POLLING},
                                              {"websocket", CS_T_WEBSOCKET}};
static const word_value feature_words[] = {{"echo", CS_F_ECHO},
                                            {"test-suite", CS_F_TEST_SUITE}};

/* The headers that hold exactly one word out of a list: `what` names the
   word when it is missing, any other word is reported as
   "<bad>, got '<word>'". */
typedef struct one_word_header {
    unsigned bit;
    const char *what;
    const word_value *words;
    size_t n_words;
    const char *bad;
} one_word_header;

static const one_word_header one_word_headers[] = {
    {H_LEVEL, "level", level_words, N_WORDS(level_words),
     "level must be MUST, SHOULD, IMPL or INFO"},
    {H_ROLE, "role", role_words, N_WORDS(role_words), "role must be server or client"},
    {H_LAYER, "layer", layer_words, N_WORDS(layer_words), "layer must be eio or sio"},
    {H_PARSER, "parser", parser_words, N_WORDS(parser_words), "parser must be json or msgpack"},
};

static int header_one(parser *p, const char **cur, unsigned bit, unsigned *out)
{
    const one_word_header *h = NULL;
    for (size_t i = 0; i < N_WORDS(one_word_headers); i++) {
        if (one_word_headers[i].bit == bit) {
            h = &one_word_headers[i];
        }
    }
    if (h == NULL) {
        return perr(p, "internal: unknown header");
    }
    char *w = need_word(p, cur, h->what);
    if (w == NULL) {
        return -1;
    }
    const word_value *hw = find_word(h->words, h->n_words, w);
    if (hw == NULL) {
        return perr(p, "%s, got '%s'", h->bad, w);
    }
    *out = hw->value;
    return no_more(p, cur);
}

/* A header holding one or more words of `t`, whose values are or'ed into
   `*out`; any other word is reported as "<bad_pre>'<word>'<bad_post>",
   no word at all as `none`. */
static int header_set(parser *p, const char **cur, const word_value *t, size_t n,
                      const char *bad_pre, const char *bad_post, const char *none,
                      unsigned *out)
{
    unsigned set = 0;
    for (;;) {
        bool failed = false;
        char *w = next_word(p, cur, &failed);
        if (failed) {
            return -1;
        }
        if (w == NULL) {
            break;
        }
        const word_value *hw = find_word(t, n, w);
        if (hw == NULL) {
            return perr(p, "%s'%s'%s", bad_pre, w, bad_post);
        }
        set |= hw->value;
    }
    if (set == 0) {
        return perr(p, "%s", none);
    }
    *out = set;
    return 0;
}

static int parse_transports(parser *p, const char **cur, unsigned *out)
{
    return header_set(p, cur, transport_words, N_WORDS(transport_words),
                      "transport must be polling or websocket, got ", "",
                      "at least one transport (polling, websocket) is needed", out);
}

static int parse_header(parser *p, unsigned bit, const char *kw, const char **cur)
{
    cs_case *c = p->c;
    if (p->in_steps) {
        return perr(p, "header '%s' after the first step", kw);
    }
    if ((p->seen & bit) && bit != H_QUOTE) {
        return perr(p, "header '%s' given twice", kw);
    }
    p->seen |= bit;
    switch (bit) {
    case H_TITLE:
    case H_SPEC: {
        char *t = rest_of_line(p, cur);
        if (t == NULL) {
            return -1;
        }
        if (t[0] == '\0') {
            return perr(p, "'%s' needs a text", kw);
        }
        if (bit == H_TITLE) {
            c->title = t;
        } else {
            c->spec = t;
        }
        return 0;
    }
    case H_QUOTE: {
        const char *t = *cur;
        skip_blanks(&t);
        size_t n = strlen(t);
        if (n == 0) {
            return perr(p, "'quote' needs a text");
        }
        size_t nl = p->quote_len + (p->quote_len ? 1 : 0) + n;
        char *q = palloc(p, nl + 1);
        if (q == NULL) {
            return -1;
        }
        size_t k = 0;
        if (p->quote_len) {
            memcpy(q, p->quote, p->quote_len);
            k = p->quote_len;
            q[k++] = '\n';
        }
        memcpy(q + k, t, n);
        q[nl] = '\0';
        p->quote = q;
        p->quote_len = nl;
        c->quote = q;
        return 0;
    }
    case H_LEVEL:
    case H_ROLE:
    case H_LAYER:
    case H_PARSER: {
        unsigned v = 0;
        if (header_one(p, cur, bit, &v) != 0) {
            return -1;
        }
        if (bit == H_LEVEL) {
            c->level = (cs_level)v;
        } else if (bit == H_ROLE) {
            c->role = (cs_role)v;
        } else if (bit == H_LAYER) {
            c->layer = (cs_layer)v;
        } else {
            c->msgpack = v != 0;
        }
        return 0;
    }
    case H_EIO:
        return header_set(p, cur, eio_words, N_WORDS(eio_words),
                          "Engine.IO version must be 3 or 4, got ", "",
                          "'eio' needs at least one version (3, 4)", &c->eio_mask);
    case H_TRANSPORTS:
        return parse_transports(p, cur, &c->transports);
    case H_CTRANS:
        return parse_transports(p, cur, &c->client_transports);
    case H_REQUIRES:
        return header_set(p, cur, feature_words, N_WORDS(feature_words), "unknown feature ",
                          " (echo, test-suite)",
                          "'requires' needs at least one feature (echo, test-suite)", &c->requires);
    case H_CNS: {
        char *w = need_word(p, cur, "namespace");
        if (w == NULL) {
            return -1;
        }
        if (w[0] != '/') {
            return perr(p, "a namespace starts with '/', got '%s'", w);
        }
        c->client_namespace = w;
        return no_more(p, cur);
    }
    case H_CAUTH: {
        char *t = rest_of_line(p, cur);
        if (t == NULL) {
            return -1;
        }
        eio_arena tmp;
        eio_arena_init(&tmp, NULL, 0, 0);
        eio_json *v = NULL;
        eio_errinfo ei;
        int rc = eio_json_parse((const uint8_t *)t, strlen(t), NULL, &tmp, &v, &ei);
        bool obj = rc == 0 && v->type == EIO_JSON_OBJECT;
        eio_arena_destroy(&tmp);
        if (!obj) {
            return perr(p, "'client-auth' needs a JSON object%s%s", rc != 0 ? ": " : "",
                        rc != 0 ? ei.msg : "");
        }
        c->client_auth = t;
        return 0;
    }
    default:
        return perr(p, "internal: unknown header");
    }
}

static int end_case(parser *p)
{
    cs_case *c = p->c;
    static const struct {
        unsigned bit;
        const char *name;
    } req[] = {{H_TITLE, "title"}, {H_SPEC, "spec"},   {H_LEVEL, "level"},
               {H_ROLE, "role"},   {H_LAYER, "layer"}, {H_EIO, "eio"},
               {H_TRANSPORTS, "transports"}};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        if (!(p->seen & req[i].bit)) {
            return perr(p, "case '%s' has no '%s' header", c->id, req[i].name);
        }
    }
    if ((c->level == CS_MUST || c->level == CS_SHOULD) && !(p->seen & H_QUOTE)) {
        return perr(p, "case '%s' is %s but has no 'quote' of the requirement", c->id,
                    cs_level_name(c->level));
    }
    if (c->role == CS_ROLE_SERVER && (p->seen & (H_CTRANS | H_CNS | H_CAUTH))) {
        return perr(p, "case '%s': client-* headers are for role client", c->id);
    }
    if (p->steps.n == 0) {
        return perr(p, "case '%s' has no steps", c->id);
    }
    c->steps = p->steps.v;
    c->n_steps = p->steps.n;
    cs_set *s = p->s;
    cs_case *nc = pgrow(p, s->cases, s->n_cases, &s->cap_cases, sizeof *nc, 64);
    if (nc == NULL) {
        return -1;
    }
    s->cases = nc;
    s->cases[s->n_cases++] = *c;
    p->c = NULL;
    return 0;
}

static int parse_line(parser *p, const char *line)
{
    const char *cur = line;
    skip_blanks(&cur);
    if (*cur == '\0' || *cur == '#') {
        return 0;
    }
    const char *after = cur;
    bool failed = false;
    char *kw = next_word(p, &after, &failed);
    if (kw == NULL) {
        return -1;
    }
    if (strcmp(kw, "case") == 0) {
        return begin_case(p, &after);
    }
    if (p->c == NULL) {
        return perr(p, "'%s' outside a case (a case starts with 'case ID')", kw);
    }
    if (strcmp(kw, "end") == 0) {
        if (no_more(p, &after) != 0) {
            return -1;
        }
        if (p->in_either) {
            return end_either(p);
        }
        return end_case(p);
    }
    if (strcmp(kw, "either") == 0) {
        if (p->in_either) {
            return perr(p, "'either' blocks cannot be nested");
        }
        if (no_more(p, &after) != 0) {
            return -1;
        }
        p->in_steps = true;
        p->in_either = true;
        p->either_line = p->line;
        p->n_branches = 0;
        memset(&p->bsteps, 0, sizeof p->bsteps);
        return open_branch(p, CS_GRADE_PASS, NULL);
    }
    if (strcmp(kw, "or") == 0) {
        if (!p->in_either) {
            return perr(p, "'or' outside an 'either' block");
        }
        return parse_or(p, &after);
    }
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        if (strcmp(kw, headers[i].name) == 0) {
            return parse_header(p, headers[i].bit, kw, &after);
        }
    }
    /* A step: the role must be known to check it. */
    if (!(p->seen & H_ROLE)) {
        return perr(p, "step '%s' before the 'role' header", kw);
    }
    p->in_steps = true;
    return parse_step_line(p, cur);
}

int cs_parse_text(cs_set *s, const char *name, const char *text, size_t len, char *err,
                  size_t errcap)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.err = err;
    p.errcap = errcap;
    p.file = pdup(&p, name, strlen(name));
    if (p.file == NULL) {
        snprintf(err, errcap, "%s: out of memory", name);
        return -1;
    }
    if (len > CS_MAX_FILE) {
        return perr(&p, "file larger than %u bytes", CS_MAX_FILE);
    }
    size_t bad;
    if (eio_utf8_validate((const uint8_t *)text, len, &bad) != 0) {
        int line = 1;
        for (size_t i = 0; i < bad; i++) {
            line += text[i] == '\n';
        }
        p.line = line;
        return perr(&p, "not valid UTF-8");
    }
    char *buf = malloc(CS_MAX_LINE + 2);
    if (buf == NULL) {
        return perr(&p, "out of memory");
    }
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        p.line++;
        size_t e = pos;
        while (e < len && text[e] != '\n') {
            e++;
        }
        size_t n = e - pos;
        if (n > 0 && text[pos + n - 1] == '\r') {
            n--;
        }
        if (n > CS_MAX_LINE) {
            rc = perr(&p, "line longer than %d bytes", CS_MAX_LINE);
            break;
        }
        if (memchr(text + pos, '\0', n) != NULL) {
            rc = perr(&p, "NUL byte in the line");
            break;
        }
        memcpy(buf, text + pos, n);
        while (n > 0 && is_blank(buf[n - 1])) {
            n--;
        }
        buf[n] = '\0';
        rc = parse_line(&p, buf);
        pos = e + 1;
    }
    free(buf);
    if (rc == 0 && p.c != NULL) {
        rc = perr(&p, "case '%s' (line %d) has no 'end'%s", p.c->id, p.c->line,
                  p.in_either ? " (and an 'either' block is open)" : "");
    }
    return rc;
}

int cs_parse_file(cs_set *s, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(CS_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, CS_MAX_FILE + 1, f);
    bool rd_err = ferror(f) != 0;
    fclose(f);
    int rc;
    if (rd_err) {
        snprintf(err, errcap, "%s: read error", path);
        rc = -1;
    } else if (n > CS_MAX_FILE) {
        snprintf(err, errcap, "%s: file larger than %u bytes", path, CS_MAX_FILE);
        rc = -1;
    } else {
        rc = cs_parse_text(s, path, buf, n, err, errcap);
    }
    free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cs_parse_dir(cs_set *s, const char *dir, char *err, size_t errcap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errcap, "%s: cannot open scenario directory: %s", dir, strerror(errno));
        return -1;
    }
    char *names[CS_MAX_FILES];
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".scn") != 0 || e->d_name[0] == '.') {
            continue;
        }
        if (n == CS_MAX_FILES) {
            snprintf(err, errcap, "%s: more than %d scenario files", dir, CS_MAX_FILES);
            rc = -1;
            break;
        }
        names[n] = malloc(strlen(dir) + l + 2);
        if (names[n] == NULL) {
            snprintf(err, errcap, "%s: out of memory", dir);
            rc = -1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (rc == 0) {
        qsort(names, n, sizeof names[0], cmp_str);
        for (size_t i = 0; i < n && rc == 0; i++) {
            rc = cs_parse_file(s, names[i], err, errcap);
        }
        if (rc == 0 && n == 0) {
            snprintf(err, errcap, "%s: no *.scn scenario files", dir);
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    return rc;
}

void cs_set_init(cs_set *s)
{
    memset(s, 0, sizeof *s);
    eio_arena_init(&s->arena, NULL, 65536, 0);
}

void cs_set_free(cs_set *s)
{
    eio_arena_destroy(&s->arena);
    memset(s, 0, sizeof *s);
}

const char *cs_level_name(cs_level l)
{
    static const char *const n[] = {"MUST", "SHOULD", "IMPL", "INFO"};
    return n[l];
}

const char *cs_role_name(cs_role r)
{
    return r == CS_ROLE_SERVER ? "server" : "client";
}

const char *cs_layer_name(cs_layer l)
{
    return l == CS_LAYER_EIO ? "eio" : "sio";
}

bool cs_glob_match(const char *glob, const char *id)
{
    return fnmatch(glob, id, 0) == 0;
}
