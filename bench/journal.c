/*
 * The journal's cost per record (scheduler/journal.c), the part a run of
 * no-op tasks pays for every task: formatting a record into the journal's
 * buffer (dr__journal_append) alone, and with writing the buffer out
 * (write(2), no fsync) every `--batch` records (1000 by default) timed
 * too; and reading the journal back (checksums, jansson, checks).
 *
 * 100,000 records of a no-op builtin task (key "t12345", no result, no
 * files, three fingerprints, two times), as the executor would append
 * them.  Times come two ways: as nanoseconds / 1e9 (the fast path of the
 * real formatter) and as nanoseconds * 1e-9 (often a bit off the
 * nanosecond grid, so printed with "%.17g").  Each measurement runs --runs
 * times and the median is printed, in nanoseconds per record.
 *
 * Usage: dagrun_bench_journal [--records N] [--runs N] [--batch N] [DIR]
 * (DIR: where the journal file goes, default /tmp).
 */
#include "journal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One pass: ns per record.  The buffer is written every `batch` records
 * and at the end; without `write` only the appends are timed. */
static double pass(dr__journal *j, char (*keys)[24], size_t n, int grid,
                   size_t batch, int write) {
    dr__jrec r = {.status = "ok", .attempt = 1};
    dr__fp rfp = {0x0123456789abcdefu, 0xfedcba9876543210u};
    r.result_fp = &rfp;
    dr_error err;
    double spent = 0, t0 = now();
    for (size_t i = 0; i < n; i++) {
        uint64_t ns = 1000000 + i * 12345 + (i * 7919) % 1000;
        r.task = keys[i];
        r.worker = (unsigned)(i % 8);
        r.start = grid ? (double)ns / 1e9 : (double)ns * 1e-9;
        r.end = grid ? (double)(ns + 4321) / 1e9 : (double)(ns + 4321) * 1e-9;
        r.fp.hi = i * 0x9e3779b97f4a7c15u;
        r.fp.lo = ~r.fp.hi;
        r.op.hi = 0x1234;
        r.op.lo = 0x5678;
        if (dr__journal_append(j, &r) != 0) {
            fprintf(stderr, "append failed\n");
            exit(1);
        }
        if ((i + 1) % batch == 0 || i + 1 == n) {
            if (!write)
                spent += now() - t0; /* the write is not timed */
            if (dr__journal_write(j, &err) != 0) {
                fprintf(stderr, "%s\n", err.text);
                exit(1);
            }
            if (!write)
                t0 = now();
        }
    }
    if (write)
        spent = now() - t0;
    return spent * 1e9 / (double)n;
}

int main(int argc, char **argv) {
    size_t n = 100000, batch = 1000;
    int runs = 5;
    static const struct option opts[] = {{"records", 1, NULL, 'n'},
                                         {"runs", 1, NULL, 'r'},
                                         {"batch", 1, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "n:r:b:", opts, NULL)) != -1) {
        if (c == 'n')
            n = strtoul(optarg, NULL, 10);
        else if (c == 'r')
            runs = atoi(optarg);
        else if (c == 'b')
            batch = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    const char *dir = optind < argc ? argv[optind] : "/tmp";
    if (n == 0 || runs < 1 || runs > 99 || batch == 0)
        return 2;
    char path[4096];
    snprintf(path, sizeof(path), "%s/dagrun-bench-journal.jsonl", dir);
    char(*keys)[24] = malloc(n * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        snprintf(keys[i], sizeof(keys[i]), "t%zu", i);
    static const char *const names[] = {
        "append, times ns / 1e9      ", "append, times ns * 1e-9     ",
        "append+write, ns / 1e9      ", "append+write, ns * 1e-9     "};
    for (int m = 0; m < 4; m++) {
        double v[99];
        for (int k = 0; k < runs; k++) {
            dr__journal *j;
            dr_error err;
            dr_error_clear(&err);
            if (dr__journal_open(path, "bench", 0, &j, &err) != 0) {
                fprintf(stderr, "%s\n", err.text);
                return 1;
            }
            v[k] = pass(j, keys, n, m % 2 == 0, batch, m >= 2);
            if (dr__journal_close(j, &err) != 0) {
                fprintf(stderr, "%s\n", err.text);
                return 1;
            }
        }
        printf("%s  %7.1f ns/record (median of %d, %zu records", names[m],
               median(v, runs), runs, n);
        printf(", %s every %zu", m >= 2 ? "timed write(2)" : "write(2) untimed",
               batch);
        printf(")\n");
    }
    /* Reading it back (what --resume and dagrun log pay): the last
     * journal written. */
    double v[99];
    for (int k = 0; k < runs; k++) {
        dr__jread rd;
        dr_error err;
        dr_error_clear(&err);
        double t0 = now();
        if (dr__journal_read(path, "bench", &rd, &err) != 0 ||
            json_array_size(rd.records) != n) {
            fprintf(stderr, "read: %s\n", err.text);
            return 1;
        }
        v[k] = (now() - t0) * 1e9 / (double)n;
        dr__journal_read_free(&rd);
    }
    printf("read back (dr__journal_read)    %7.1f ns/record (median of %d)\n",
           median(v, runs), runs);
    if (getenv("DAGRUN_BENCH_KEEP") == NULL)
        remove(path);
    free(keys);
    return 0;
}
