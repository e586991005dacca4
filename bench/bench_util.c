#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile unsigned char bench_sink;

void bench_consume(const void *p, size_t n)
{
    if (p != NULL && n > 0) {
        bench_sink = (unsigned char)(bench_sink ^ ((const unsigned char *)p)[n - 1]);
    }
}

double bench_seconds(void)
{
    const char *s = getenv("SIOC_BENCH_SECONDS");
    double v = s ? atof(s) : 0.0;
    return v > 0.0 ? v : 0.3;
}

double bench_run(const char *case_name, const char *impl, size_t bytes, double min_seconds,
                 int rounds, int (*fn)(void *arg), void *arg)
{
    double best = 0.0;
    const char *only = getenv("SIOC_BENCH_FILTER");
    if (only != NULL && *only != '\0' && strstr(case_name, only) == NULL) {
        return 0.0;
    }
    /* warm-up: caches, branch predictors, lazy page faults */
    double warm_end = bench_now() + min_seconds / 4;
    while (bench_now() < warm_end) {
        if (fn(arg) < 0) {
            fprintf(stderr, "bench %s/%s: operation failed\n", case_name, impl);
            exit(1);
        }
    }
    for (int r = 0; r < rounds; r++) {
        long iters = 0, batch = 1;
        double start = bench_now(), now = start;
        while (now - start < min_seconds) {
            for (long i = 0; i < batch; i++) {
                if (fn(arg) < 0) {
                    fprintf(stderr, "bench %s/%s: operation failed\n", case_name, impl);
                    exit(1);
                }
            }
            iters += batch;
            if (batch < (1L << 20)) {
                batch *= 2;
            }
            now = bench_now();
        }
        double ops = (double)iters / (now - start);
        if (ops > best) {
            best = ops;
        }
    }
    printf("bench\t%s\t%s\t%.1f\t%.1f\n", case_name, impl, best, best * (double)bytes / 1e6);
    fflush(stdout);
    return best;
}
