/*
 * What every bench program measures with: a monotonic clock, the median of
 * a few runs, the load average beside each figure (bench/README.md: figures
 * on these noisy 2-core machines are medians and say the load).
 */
#ifndef DAGRUN_BENCH_STATS_H
#define DAGRUN_BENCH_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v and returns its median (v[0] is then the minimum). */
static inline double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The 1, 5 and 15 minute load averages as "a, b, c" (sep ", ") or
 * "a b c" (sep " "); "?" when /proc/loadavg cannot be read. */
static inline void bench_load_average(char *buf, size_t len, const char *sep) {
    snprintf(buf, len, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL)
        return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(buf, len, "%.2f%s%.2f%s%.2f", a, sep, b, sep, c);
    fclose(f);
}

#endif
