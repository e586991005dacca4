/*
 * conform_report.c - terminal view, JSON report and JUnit XML report of
 * `sioc conform` (docs/conformance.md describes both files).
 */
#include "conform_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"

static const char *const colors[CR_N_VERDICTS] = {
    "\033[32m", /* pass: green */
    "\033[33m", /* non-strict: yellow */
    "\033[31m", /* fail: red */
    "\033[90m", /* skipped: grey */
    "\033[36m", /* unsupported: cyan */
    "\033[34m", /* informational: blue */
};
#define RESET "\033[0m"

static const char *const labels[CR_N_VERDICTS] = {"PASS", "NONSTRICT", "FAIL",
                                                  "SKIP", "UNSUPPORTED", "INFO"};

void crep_begin(FILE *f, bool color, size_t total, const char *what)
{
    fprintf(f, "%s%s%s: %zu case%s\n", color ? "\033[1m" : "", what, color ? RESET : "", total,
            total == 1 ? "" : "s");
    fflush(f);
}

/* Prints text with every line indented. */
static void indent(FILE *f, const char *prefix, const char *text)
{
    fputs(prefix, f);
    for (const char *p = text; *p != '\0'; p++) {
        fputc(*p, f);
        if (*p == '\n' && p[1] != '\0') {
            fputs(prefix, f);
        }
    }
    fputc('\n', f);
}

void crep_case(FILE *f, bool color, size_t index, size_t total, const cr_result *r)
{
    const cs_case *c = r->c;
    int w = total >= 100 ? 3 : total >= 10 ? 2 : 1;
    fprintf(f, "[%*zu/%zu] %s%-11s%s %-6s %s", w, index, total, color ? colors[r->verdict] : "",
            labels[r->verdict], color ? RESET : "", cs_level_name(c->level), c->id);
    if (r->verdict == CR_SKIPPED) {
        fprintf(f, ": %s\n", r->reason != NULL ? r->reason : "skipped");
        fflush(f);
        return;
    }
    fprintf(f, " (%lld ms)\n", (long long)r->duration_ms);
    if (r->verdict == CR_UNSUPPORTED) {
        if (r->reason != NULL) {
            fprintf(f, "        %s\n", r->reason);
        }
    } else if (r->verdict == CR_FAIL || r->verdict == CR_NONSTRICT ||
               (r->verdict == CR_INFO && r->actual != NULL)) {
        fprintf(f, "        %s\n", c->title);
        if (c->quote[0] != '\0') {
            fprintf(f, "        requirement (%s):\n", c->spec);
            indent(f, "          | ", c->quote);
        }
        if (r->expected != NULL) {
            fprintf(f, "        expected (%s:%d):\n", c->file, r->step_line);
            indent(f, "          ", r->expected);
        }
        if (r->actual != NULL) {
            fprintf(f, "        actual:\n");
            indent(f, "          ", r->actual);
        } else if (r->reason != NULL) {
            fprintf(f, "        %s\n", r->reason);
        }
    }
    fflush(f);
}

static void count_verdicts(const crep_run *run, size_t counts[CR_N_VERDICTS])
{
    memset(counts, 0, CR_N_VERDICTS * sizeof counts[0]);
    for (size_t i = 0; i < run->n; i++) {
        counts[run->results[i].verdict]++;
    }
}

void crep_summary(FILE *f, bool color, const crep_run *run, size_t counts[CR_N_VERDICTS])
{
    count_verdicts(run, counts);
    fprintf(f, "\n%zu cases:", run->n);
    for (size_t i = 0; i < CR_N_VERDICTS; i++) {
        fprintf(f, " %s%zu %s%s%s", color && counts[i] ? colors[i] : "", counts[i],
                cr_verdict_name((cr_verdict)i), color && counts[i] ? RESET : "",
                i + 1 < CR_N_VERDICTS ? "," : "");
    }
    fprintf(f, " (%lld ms)\n", (long long)run->duration_ms);
    size_t must_fail = 0;
    for (size_t i = 0; i < run->n; i++) {
        if (run->results[i].verdict == CR_FAIL) {
            must_fail++;
            if (must_fail == 1) {
                fprintf(f, "failed:\n");
            }
            fprintf(f, "  %s (%s:%d)\n", run->results[i].c->id, run->results[i].c->file,
                    run->results[i].step_line);
        }
    }
    fflush(f);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

static bool utf8_ok(const uint8_t *d, size_t n)
{
    return eio_utf8_validate(d, n, NULL) == 0;
}

static void jstr(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                fprintf(f, "\\u%04x", c);
            } else {
                fputc(c, f);
            }
        }
    }
    fputc('"', f);
}

/* A string that may not be UTF-8: invalid bytes become U+FFFD. */
static void jtext(FILE *f, const char *s)
{
    if (s == NULL) {
        fputs("null", f);
        return;
    }
    size_t n = strlen(s);
    if (utf8_ok((const uint8_t *)s, n)) {
        jstr(f, s, n);
        return;
    }
    char *t = malloc(n * 3 + 1);
    if (t == NULL) {
        fputs("null", f);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            t[k++] = (char)c;
        } else {
            /* keep valid sequences, replace stray bytes */
            size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
            if (len > 0 && i + len <= n && utf8_ok((const uint8_t *)s + i, len)) {
                memcpy(t + k, s + i, len);
                k += len;
                i += len - 1;
            } else {
                memcpy(t + k, "\xef\xbf\xbd", 3);
                k += 3;
            }
        }
    }
    jstr(f, t, k);
    free(t);
}

static void jdata(FILE *f, const uint8_t *d, size_t n, bool binary)
{
    if (!binary && utf8_ok(d, n)) {
        fputs(",\"text\":", f);
        jstr(f, (const char *)d, n);
        return;
    }
    char *b = malloc(eio_base64_encoded_len(n) + 1);
    if (b == NULL) {
        return;
    }
    size_t bl = eio_base64_encode(d, n, b);
    fputs(",\"base64\":", f);
    jstr(f, b, bl);
    free(b);
}

int crep_write_json(const char *path, const crep_run *run)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    size_t counts[CR_N_VERDICTS];
    count_verdicts(run, counts);
    fprintf(f, "{\"tool\":\"sioc conform\",\"version\":\"%s\",\"mode\":", eio_version_string());
    jtext(f, run->mode);
    fputs(",\"target\":", f);
    jtext(f, run->target);
    fprintf(f, ",\"eio\":%d,\"strict\":%s,\"duration_ms\":%lld,\"summary\":{", run->eio,
            run->strict ? "true" : "false", (long long)run->duration_ms);
    for (size_t i = 0; i < CR_N_VERDICTS; i++) {
        fprintf(f, "%s\"%s\":%zu", i ? "," : "", cr_verdict_name((cr_verdict)i), counts[i]);
    }
    fputs("},\"cases\":[", f);
    for (size_t i = 0; i < run->n; i++) {
        const cr_result *r = &run->results[i];
        const cs_case *c = r->c;
        fputs(i ? ",\n{" : "\n{", f);
        fputs("\"id\":", f);
        jtext(f, c->id);
        fputs(",\"title\":", f);
        jtext(f, c->title);
        fprintf(f, ",\"level\":\"%s\",\"role\":\"%s\",\"layer\":\"%s\",\"spec\":",
                cs_level_name(c->level), cs_role_name(c->role), cs_layer_name(c->layer));
        jtext(f, c->spec);
        fputs(",\"requirement\":", f);
        jtext(f, c->quote);
        fputs(",\"file\":", f);
        jtext(f, c->file);
        fprintf(f, ",\"line\":%d,\"verdict\":\"%s\",\"reason\":", c->line,
                cr_verdict_name(r->verdict));
        jtext(f, r->reason);
        fprintf(f, ",\"step_line\":%d,\"expected\":", r->step_line);
        jtext(f, r->expected);
        fputs(",\"actual\":", f);
        jtext(f, r->actual);
        fprintf(f, ",\"duration_ms\":%lld,\"log\":[", (long long)r->duration_ms);
        for (size_t k = 0; k < r->n_log; k++) {
            const cr_log *e = &r->log[k];
            fprintf(f, "%s{\"t\":%lld,\"conn\":", k ? "," : "", (long long)e->t);
            jtext(f, e->conn);
            fprintf(f, ",\"dir\":\"%s\",\"what\":",
                    e->dir == '>' ? "out" : e->dir == '<' ? "in" : "note");
            jtext(f, e->what);
            if (e->data != NULL) {
                jdata(f, e->data, e->len, e->binary);
            }
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("\n]}\n", f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JUnit                                                                     */
/* ------------------------------------------------------------------------ */

/* XML 1.0 text: escapes markup, drops characters XML cannot hold. */
static void xesc(FILE *f, const char *s)
{
    if (s == NULL) {
        return;
    }
    size_t n = strlen(s);
    bool ok = utf8_ok((const uint8_t *)s, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                fprintf(f, "\\x%02x", c);
            } else if (c >= 0x80 && !ok) {
                fprintf(f, "\\x%02x", c);
            } else {
                fputc(c, f);
            }
        }
    }
}

int crep_write_junit(const char *path, const crep_run *run)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    size_t counts[CR_N_VERDICTS];
    count_verdicts(run, counts);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"sioc conform %s\" tests=\"%zu\" failures=\"%zu\" "
               "errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
            run->mode, run->n, counts[CR_FAIL], counts[CR_SKIPPED] + counts[CR_UNSUPPORTED],
            (double)run->duration_ms / 1000.0);
    for (size_t i = 0; i < run->n; i++) {
        const cr_result *r = &run->results[i];
        const cs_case *c = r->c;
        fputs("  <testcase classname=\"", f);
        xesc(f, c->file);
        fputs("\" name=\"", f);
        xesc(f, c->id);
        fprintf(f, "\" time=\"%.3f\">\n", (double)r->duration_ms / 1000.0);
        if (r->verdict == CR_FAIL) {
            fputs("    <failure message=\"", f);
            xesc(f, r->reason);
            fputs("\">", f);
            xesc(f, c->title);
            fputs("\nrequirement: ", f);
            xesc(f, c->quote);
            fputs("\nexpected: ", f);
            xesc(f, r->expected);
            fputs("\nactual: ", f);
            xesc(f, r->actual);
            fputs("</failure>\n", f);
        } else if (r->verdict == CR_SKIPPED || r->verdict == CR_UNSUPPORTED) {
            fprintf(f, "    <skipped message=\"%s: ", cr_verdict_name(r->verdict));
            xesc(f, r->reason);
            fputs("\"/>\n", f);
        }
        fprintf(f, "    <system-out>level %s, verdict %s", cs_level_name(c->level),
                cr_verdict_name(r->verdict));
        if (r->verdict != CR_PASS && r->verdict != CR_SKIPPED && r->reason != NULL) {
            fputs(": ", f);
            xesc(f, r->reason);
        }
        fputs("</system-out>\n", f);
        fputs("  </testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        return -1;
    }
    return 0;
}
