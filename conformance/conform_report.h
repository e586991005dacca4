/*
 * conform_report.h - what `sioc conform` prints and writes: the live
 * terminal view (one line per case, colours on a terminal), the failure
 * details, the summary, the JSON report and the JUnit XML report.
 */
#ifndef SIOC_CONFORM_REPORT_H
#define SIOC_CONFORM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "conform_run.h"

/** The whole run, for the report files. */
typedef struct crep_run {
    const char *mode;        /**< "server" or "client" */
    const char *target;      /**< URL under test, or the client command */
    int eio;
    bool strict;
    const cr_result *results;
    size_t n;
    int64_t duration_ms;
} crep_run;

/** Live view: starts a run of `total` cases on `f` (colours if `color`). */
void crep_begin(FILE *f, bool color, size_t total, const char *what);

/** Live view: one case finished (`index` counts from 1). */
void crep_case(FILE *f, bool color, size_t index, size_t total, const cr_result *r);

/** Summary line(s); returns the count per verdict into counts[CR_N_VERDICTS]. */
void crep_summary(FILE *f, bool color, const crep_run *run, size_t counts[CR_N_VERDICTS]);

/** Writes the JSON report. Returns 0 or -1 (errno set). */
int crep_write_json(const char *path, const crep_run *run);

/** Writes the JUnit XML report. Returns 0 or -1 (errno set). */
int crep_write_junit(const char *path, const crep_run *run);

#endif /* SIOC_CONFORM_REPORT_H */
