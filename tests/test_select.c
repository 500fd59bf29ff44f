/*
 * The selection behind the summary's medians (scheduler/metrics.c,
 * dr__select_kth): the right value on every shape of data, and a number
 * of partitions that stays logarithmic on the shapes that made the old
 * pivot (median of first, middle and last) quadratic: the latencies of a
 * run whose queued commands were followed by a million noops released at
 * once, two increasing series one after the other.
 */
#include "metrics_internal.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Selects k = 0, n/4, n/2 - 1, n/2 and n - 1 from a copy of v and checks it
 * against a sorted copy, that v[..k] <= v[k] <= v[k..], and that the rounds are
 * at most `max_rounds`. */
static void check(const double *v, size_t n, size_t max_rounds) {
    double *sorted = malloc(n * sizeof(*sorted));
    double *w = malloc(n * sizeof(*w));
    cr_assert(sorted != NULL && w != NULL);
    memcpy(sorted, v, n * sizeof(*v));
    qsort(sorted, n, sizeof(*sorted), cmp);
    size_t ks[] = {0, n / 4, n / 2, n / 2 - (n > 1), n - 1};
    for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
        size_t k = ks[t], rounds = 0;
        memcpy(w, v, n * sizeof(*v));
        double got = dr__select_kth(w, n, k, &rounds);
        cr_assert_eq(got, sorted[k], "n %zu k %zu: %g, not %g", n, k, got,
                     sorted[k]);
        cr_assert_eq(w[k], got);
        for (size_t i = 0; i < n; i++)
            cr_assert(i < k   ? w[i] <= got
                      : i > k ? w[i] >= got
                              : 1,
                      "n %zu k %zu: w[%zu] = %g on the wrong side", n, k, i,
                      w[i]);
        cr_assert_leq(rounds, max_rounds, "n %zu k %zu: %zu partitions", n, k,
                      rounds);
    }
    free(sorted);
    free(w);
}

Test(select, small_and_equal) {
    double one[] = {3.5};
    check(one, 1, 0);
    double two[] = {2, 1};
    check(two, 2, 2);
    double same[1000];
    for (size_t i = 0; i < 1000; i++)
        same[i] = 7;
    check(same, 1000, 40);
    double few[1001];
    for (size_t i = 0; i < 1001; i++)
        few[i] = (double)(i % 3);
    check(few, 1001, 40);
}

/* Sorted, reversed, organ pipe, and the run's shape: two increasing series
 * one after the other.  300,000 values: at most 40 partitions, under the
 * 52 (2 log2(n) + 16) past which the rest is sorted. */
Test(select, hard_shapes_stay_logarithmic) {
    size_t n = 300000;
    double *v = malloc(n * sizeof(*v));
    cr_assert(v != NULL);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)i;
    check(v, n, 40);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(n - i);
    check(v, n, 40);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(i < n / 2 ? i : n - i);
    check(v, n, 40);
    /* 1,000 commands' latencies 0.0025 .. 0.74 s, then the noops' from
     * 0.048 s upwards, as in bench/commands.sh's big case. */
    for (size_t i = 0; i < n; i++)
        v[i] = i < 1000 ? 0.0025 + i * 0.00073
                        : 0.048 + (double)(i - 1000) * 3.4e-6;
    check(v, n, 40);
    free(v);
}

/* The run's shape at the size that showed it: the old pivot made 5,410
 * partitions of 3,000,000 values here. */
Test(select, run_shape_at_three_million) {
    size_t n = 3000000;
    double *v = malloc(n * sizeof(*v));
    cr_assert(v != NULL);
    for (size_t i = 0; i < n; i++)
        v[i] = i < 1000 ? 0.0025 + i * 0.00073
                        : 0.048 + (double)(i - 1000) * 3.4e-7;
    check(v, n, 40);
    free(v);
}
