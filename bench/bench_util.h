/* Timing helpers shared by the benchmarks. Results are printed as
 *   bench<TAB>case<TAB>impl<TAB>ops_per_sec<TAB>mb_per_sec
 * lines, the form bench/run.sh reads (the JavaScript reference scripts print
 * the same form). */
#ifndef SIOC_BENCH_UTIL_H
#define SIOC_BENCH_UTIL_H

#include <stddef.h>

/* Monotonic time in seconds. */
double bench_now(void);

/* Keeps the optimiser from discarding a result. */
void bench_consume(const void *p, size_t n);

/*
 * Calls fn(arg) repeatedly for at least min_seconds (after a short warm-up),
 * best of `rounds` rounds, and prints one result line for `case_name` and
 * `impl` where each call processes `bytes` bytes. Returns ops per second.
 * A negative return from fn aborts the run with a message. When
 * $SIOC_BENCH_FILTER is set, cases whose name does not contain it are
 * skipped (nothing printed, 0 returned), for profiling one case.
 */
double bench_run(const char *case_name, const char *impl, size_t bytes, double min_seconds,
                 int rounds, int (*fn)(void *arg), void *arg);

/* Seconds per round from $SIOC_BENCH_SECONDS (default 0.3). */
double bench_seconds(void);

#endif
