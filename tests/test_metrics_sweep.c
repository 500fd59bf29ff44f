/*
 * The summary's sweep figures on random hand-made attempt lists, against
 * plain reference computations written here (sort everything with qsort,
 * count by brute force): the ready-to-start latency's median, the median
 * task duration, the most attempts running at once, the worker time free
 * while work waited, and the peak of live results.  metrics.c sorts the
 * instants of each kind apart (radix), merges them (ends, then readies,
 * then starts at equal instants), skips the sort of keys already in order
 * and takes medians by selection; times on a half-second grid make many
 * equal instants, zero-length attempts and lists already in order occur,
 * and both odd and even counts are checked.
 */
#define _GNU_SOURCE /* open_memstream */
#include "metrics_internal.h"
#include "run_internal.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 7;
static unsigned below(unsigned n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng >> 33) % n);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double ref_median(double *v, size_t n) {
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct ev {
    double t;
    int kind; /* 0 end, 1 ready, 2 start (zero-length: 3) */
} ev;

static int cmp_ev(const void *a, const void *b) {
    const ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    int kx = x->kind == 3 ? 2 : x->kind, ky = y->kind == 3 ? 2 : y->kind;
    return kx - ky;
}

static double num(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

/* n tasks, each depending on up to two earlier ones; one attempt each on
 * one of P workers (the metrics need no valid schedule); `sorted`: the
 * attempts are added in start order, as the simulator adds them. */
static int grid = 1; /* times on a half-second grid, or any double */

static double draw(unsigned n) {
    return grid ? below(n) / 2.0 : below(1u << 30) / (double)(1u << 30) * n;
}

static void check(size_t n, unsigned P, int sorted) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (size_t t = 0; t < n; t++) {
        snprintf(key, sizeof key, "t%zu", t);
        cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
        for (int k = 0; t > 0 && k < 2; k++)
            if (below(3) > 0)
                dr_graph_add_dep(g, (dr_task)t, below((unsigned)t));
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run *run = dr__run_create(g, NULL, P, P, 1);
    cr_assert_not_null(run);
    double *start = malloc(n * sizeof(*start)), *end = malloc(n * sizeof(*end));
    double *ready = malloc(n * sizeof(*ready));
    for (size_t t = 0; t < n; t++) {
        start[t] = draw(40);
        end[t] = start[t] + below(5) / 2.0; /* a fifth are zero-length */
        ready[t] = start[t] - draw(4);
        if (ready[t] < 0)
            ready[t] = 0;
    }
    if (sorted) {
        qsort(start, n, sizeof(*start), cmp_double);
        for (size_t t = 0; t < n; t++) {
            end[t] = start[t] + below(5) / 2.0;
            ready[t] = fmax(0, start[t] - draw(4));
        }
    }
    double makespan = 0;
    for (size_t t = 0; t < n; t++) {
        cr_assert_geq(dr__run_add_attempt(run, (dr_task)t, below(P), 1,
                                          DR__ATTEMPT_OK, ready[t], start[t],
                                          end[t], NULL),
                      0);
        run->state[t] = DR_STATE_OK;
        makespan = fmax(makespan, end[t]);
    }
    run->makespan = makespan;

    /* References. */
    double *v = malloc(n * sizeof(*v));
    for (size_t t = 0; t < n; t++)
        v[t] = start[t] - ready[t];
    double lat_median = ref_median(v, n);
    for (size_t t = 0; t < n; t++)
        v[t] = end[t] - start[t];
    double task_median = ref_median(v, n);
    ev *e = malloc(3 * n * sizeof(*e));
    size_t ne = 0;
    for (size_t t = 0; t < n; t++) {
        if (end[t] > start[t])
            e[ne++] = (ev){end[t], 0};
        e[ne++] = (ev){ready[t], 1};
        e[ne++] = (ev){start[t], end[t] > start[t] ? 2 : 3};
    }
    qsort(e, ne, sizeof(*e), cmp_ev);
    size_t running = 0, waiting = 0, max_running = 0;
    double idle = 0;
    for (size_t i = 0; i < ne; i++) {
        if (i > 0 && running < P) {
            size_t usable = waiting < P - running ? waiting : P - running;
            idle += usable * (e[i].t - e[i - 1].t);
        }
        running += e[i].kind == 2;
        running -= e[i].kind == 0;
        waiting += e[i].kind == 1;
        waiting -= e[i].kind >= 2;
        if (running > max_running)
            max_running = running;
    }
    /* A result lives from its task's end until its last dependent's end
     * (a sink's to the end of the run); at one instant productions count
     * before releases. */
    double *freed = malloc(n * sizeof(*freed));
    for (size_t t = 0; t < n; t++) {
        size_t ns;
        const dr_task *s = dr_task_succs(g, (dr_task)t, &ns);
        freed[t] = ns == 0 ? INFINITY : end[t];
        for (size_t j = 0; j < ns; j++)
            freed[t] = fmax(freed[t], end[s[j]]);
    }
    size_t peak = 0;
    for (size_t x = 0; n <= 6000 && x < n; x++) {
        size_t live = 0;
        for (size_t t = 0; t < n; t++)
            live += end[t] <= end[x] && freed[t] >= end[x];
        if (live > peak)
            peak = live;
    }

    json_t *sum = dr_run_summary_json(run);
    cr_assert_not_null(sum);
    json_t *over = json_object_get(sum, "overhead");
    cr_expect_eq(num(over, "latency_median"), lat_median,
                 "n %zu: latency median %g, expected %g", n,
                 num(over, "latency_median"), lat_median);
    cr_expect_eq(num(over, "task_median"), task_median,
                 "n %zu: task median %g, expected %g", n,
                 num(over, "task_median"), task_median);
    cr_expect_eq(num(sum, "max_running"), (double)max_running,
                 "n %zu: max running %g, expected %zu", n,
                 num(sum, "max_running"), max_running);
    cr_expect(fabs(num(over, "ready_while_idle") - idle) <= 1e-9 * (1 + idle),
              "n %zu: ready while idle %g, expected %g", n,
              num(over, "ready_while_idle"), idle);
    /* A long profile is DR_PROFILE_BUCKETS (2,000) time-weighted means
     * of the running count over equal intervals. */
    json_t *prof = json_object_get(sum, "profile");
    /* Runs this long have more steps than buckets: the resampled form is
     * the one checked (long_profiles_are_the_means_of_the_steps). */
    if (n >= 30000)
        cr_assert(json_is_false(json_object_get(sum, "profile_exact")),
                  "n %zu: a profile this long is resampled", n);
    if (json_is_false(json_object_get(sum, "profile_exact"))) {
        size_t nb = 2000;
        double width = makespan / nb, *bv = calloc(nb, sizeof(*bv));
        running = 0;
        for (size_t i = 0; i < ne; i++) {
            running += e[i].kind == 2;
            running -= e[i].kind == 0;
            double a = e[i].t, b = i + 1 < ne ? e[i + 1].t : makespan;
            for (size_t k = 0; k < nb && running > 0; k++) {
                double lo = fmax(a, k * width), hi = fmin(b, (k + 1) * width);
                if (hi > lo)
                    bv[k] += running * (hi - lo);
            }
        }
        cr_assert_eq(json_array_size(prof), nb);

        for (size_t k = 0; k < nb; k++) {
            double got =
                json_number_value(json_array_get(json_array_get(prof, k), 1));
            cr_assert(fabs(got - bv[k] / width) <= 1e-9 * (1 + bv[k] / width),
                      "n %zu: bucket %zu is %.17g, expected %.17g", n, k, got,
                      bv[k] / width);
        }
        free(bv);
    }
    /* The quadratic reference only up to 6,000 tasks. */
    if (n <= 6000)
        cr_expect_eq(num(sum, "peak_live_results"), (double)peak,
                     "n %zu: peak live %g, expected %zu", n,
                     num(sum, "peak_live_results"), peak);
    json_decref(sum);
    free(v), free(e), free(freed), free(start), free(end), free(ready);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(metrics_sweep, random_lists_match_the_references) {
    const size_t sizes[] = {1, 2, 3, 10, 101, 400, 2001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (unsigned P = 1; P <= 5; P += 2)
            check(sizes[i], P, 0);
}

/* Times anywhere: the sort's buckets go down to every byte. */
Test(metrics_sweep, times_off_the_grid_match_the_references) {
    grid = 0;
    const size_t sizes[] = {33, 257, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check(sizes[i], 3, i % 2);
}

/* More than 20,000 steps: the profile's buckets are summed while the
 * sweep goes (metrics.c, flush_profile), and must be the means of the
 * whole step profile. */
Test(metrics_sweep, long_profiles_are_the_means_of_the_steps) {
    grid = 0;
    check(30000, 7, 0);
    check(45000, 3, 1);
}

Test(metrics_sweep, lists_in_start_order_match_the_references) {
    const size_t sizes[] = {1, 2, 10, 400, 2000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check(sizes[i], 4, 1);
}

/* dr__run_summary_print (dagrun run's one computation of the metrics)
 * prints dr_run_print_summary's text and returns dr_run_summary_json's
 * object. */
Test(metrics_sweep, one_computation_gives_both_forms) {
    dr_graph *g = dr_graph_create();
    cr_assert_eq(dr_graph_add_task(g, "a", NULL), 0);
    cr_assert_eq(dr_graph_add_task(g, "b", NULL), 0);
    dr_graph_add_dep(g, 1, 0);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    dr_error err;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    char *one = NULL, *two = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f1 = open_memstream(&one, &n1), *f2 = open_memstream(&two, &n2);
    json_t *s1 = dr__run_summary_print(run, f1);
    dr_run_print_summary(run, f2);
    fclose(f1), fclose(f2);
    json_t *s2 = dr_run_summary_json(run);
    cr_assert_not_null(s1);
    cr_expect_gt(n1, 100, "nothing printed: %s", one);
    cr_expect_str_eq(one, two);
    char *j1 = json_dumps(s1, JSON_SORT_KEYS),
         *j2 = json_dumps(s2, JSON_SORT_KEYS);
    cr_expect_str_eq(j1, j2);
    json_t *s3 = dr__run_summary_print(run, NULL); /* prints nothing */
    char *j3 = json_dumps(s3, JSON_SORT_KEYS);
    cr_expect_str_eq(j1, j3);
    free(j1), free(j2), free(j3), free(one), free(two);
    json_decref(s1), json_decref(s2), json_decref(s3);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
