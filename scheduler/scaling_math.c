/*
 * The arithmetic of scaling experiments, kept apart from running anything so
 * that it can be checked on synthetic timings: medians, the Amdahl and
 * Gustafson least-squares fits, Karp-Flatt, the derived columns of a
 * dr_scale_result and the plain-words verdict.
 *
 * The verdict is a list of sentences, each triggered by a threshold below.
 * The thresholds are deliberately coarse (10-30%): measured runs on a busy
 * laptop are noisy, and a verdict that flips between runs teaches nothing.
 */
#define _GNU_SOURCE /* vasprintf, asprintf */
#include "dagrun/scale.h"
#include "graph_internal.h"
#include "scaling_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Efficiency that still counts as "scales well". */
#define GOOD_EFFICIENCY 0.9
/* Going to more workers must gain this much speedup, or the curve is flat. */
#define FLAT_GAIN 1.15
/* The critical path is blamed only when the measured speedup reaches this
 * share of the average parallelism T1/T-inf: a run far below the ceiling is
 * held back by something else (cores, overhead), not by the graph. */
#define NEAR_CEILING 0.8
/* A speedup this many times the core count means the tasks wait, not
 * compute. */
#define BEYOND_CORES 1.3
/* Work growing by this factor at more workers means the tasks compete. */
#define WORK_GROWTH 1.25
/* Repeats whose slowest run exceeds the fastest by this factor are noisy. */
#define NOISY_SPREAD 1.3
/* Below this R^2 a fit is called poor; below DR_SCALE_FIT_MIN_R2 (0.5,
 * include/dagrun/scale.h) the data are said not to follow the law at all
 * and the plots leave the fitted curve out. */
#define GOOD_R2 0.8

const char *dr_scale_mode_name(dr_scale_mode m) {
    return m == DR_SCALE_WEAK ? "weak" : "strong";
}

dr_scale_result *dr_scale_result_create(size_t npoints) {
    dr_scale_result *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    if (npoints > 0) {
        r->points = calloc(npoints, sizeof(*r->points));
        if (r->points == NULL) {
            free(r);
            return NULL;
        }
    }
    r->npoints = npoints;
    for (size_t i = 0; i < npoints; i++) {
        dr_scale_point *pt = &r->points[i];
        pt->wall = pt->cpu_time = pt->cpu_demand = NAN;
        pt->machine_cpu = pt->load_after = NAN;
        pt->overhead = pt->task_median = NAN;
        pt->cost_parallelism = pt->ceiling_parallelism = NAN;
    }
    r->load_before = NAN;
    r->amdahl_f = r->amdahl_r2 = NAN;
    r->gustafson_s = r->gustafson_r2 = NAN;
    r->task_mean = r->task_median = r->task_overhead = NAN;
    return r;
}

void dr_scale_result_destroy(dr_scale_result *r) {
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->npoints; i++) {
        json_decref(r->points[i].trace);
        json_decref(r->points[i].summary);
    }
    free(r->points);
    free(r->graph);
    free(r->policy);
    free(r->warning);
    free(r->verdict);
    free(r);
}

double dr_scale_median(double *v, size_t n) {
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), dr__cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* R^2 of predictions against observations; 1 for a perfect fit of data
 * without spread, 0 for an imperfect one. */
static double r_squared(const double *y, const double *pred, size_t n) {
    double mean = 0, ss_tot = 0, ss_res = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        ss_tot += (y[i] - mean) * (y[i] - mean);
        ss_res += (y[i] - pred[i]) * (y[i] - pred[i]);
    }
    if (ss_tot <= 1e-18 * (mean * mean + 1e-300))
        return ss_res <= 1e-18 * (mean * mean + 1e-300) ? 1.0 : 0.0;
    return 1.0 - ss_res / ss_tot;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

int dr_scale_fit_amdahl(const unsigned *p, const double *speedup, size_t n,
                        double *f, double *r2) {
    *f = *r2 = NAN;
    double num = 0, den = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 1 || !(speedup[i] > 0))
            continue;
        double x = 1.0 / p[i], y = 1.0 / speedup[i];
        num += (1 - x) * (y - x);
        den += (1 - x) * (1 - x);
        m++;
    }
    if (m == 0)
        return DR_EINVAL;
    double fit = clamp01(num / den);
    double *y = malloc(2 * m * sizeof(*y));
    if (y == NULL)
        return DR_ENOMEM;
    double *pred = y + m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 1 || !(speedup[i] > 0))
            continue;
        y[k] = 1.0 / speedup[i];
        pred[k] = fit + (1 - fit) / p[i];
        k++;
    }
    *f = fit;
    *r2 = r_squared(y, pred, m);
    free(y);
    return 0;
}

int dr_scale_fit_gustafson(const unsigned *p, const double *speedup, size_t n,
                           double *s, double *r2) {
    *s = *r2 = NAN;
    double num = 0, den = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 1 || !isfinite(speedup[i]))
            continue;
        /* P - S = s (P - 1): a line through the origin in (P - 1). */
        num += (p[i] - 1.0) * (p[i] - speedup[i]);
        den += (p[i] - 1.0) * (p[i] - 1.0);
        m++;
    }
    if (m == 0)
        return DR_EINVAL;
    double fit = clamp01(num / den);
    double *y = malloc(2 * m * sizeof(*y));
    if (y == NULL)
        return DR_ENOMEM;
    double *pred = y + m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 1 || !isfinite(speedup[i]))
            continue;
        y[k] = speedup[i];
        pred[k] = p[i] - fit * (p[i] - 1.0);
        k++;
    }
    *s = fit;
    *r2 = r_squared(y, pred, m);
    free(y);
    return 0;
}

double dr_scale_karp_flatt(double speedup, unsigned p) {
    if (p <= 1 || !(speedup > 0))
        return NAN;
    return (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p);
}

double dr_scale_amdahl_speedup(double f, unsigned p) {
    if (p == 0 || !isfinite(f))
        return NAN;
    return 1.0 / (f + (1.0 - f) / p);
}

static int cmp_point(const void *a, const void *b) {
    const dr_scale_point *x = a, *y = b;
    return (x->workers > y->workers) - (x->workers < y->workers);
}

/* ------------------------------------------------------------- verdict */

typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

__attribute__((format(printf, 2, 3))) static void say(text *t, const char *fmt,
                                                      ...) {
    if (t->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->oom = 1;
        return;
    }
    if (t->len + (size_t)n + 2 > t->cap) {
        size_t cap = (t->cap + (size_t)n + 2) * 2;
        char *s = realloc(t->s, cap);
        if (s == NULL) {
            free(line);
            t->oom = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    if (t->len > 0)
        t->s[t->len++] = ' ';
    memcpy(t->s + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
    free(line);
}

/* A duration in words: "50 µs", "3.2 ms", "1.5 s". */
static void duration_words(double s, char *buf, size_t len) {
    s = dr__round3(s); /* the unit after rounding: 999.97 µs is 1 ms */
    if (s < 1e-6)
        snprintf(buf, len, "%.0f ns", s * 1e9);
    else if (s < 1e-3)
        snprintf(buf, len, "%.3g µs", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.3g ms", s * 1e3);
    else
        snprintf(buf, len, "%.3g s", s);
}

/* "worker" or "workers", to follow a count. */
static const char *workers_word(unsigned p) {
    return p == 1 ? "worker" : "workers";
}

/* An efficiency as the percentage with one decimal that the verdict
 * prints.  The 90% test compares this rounded figure, so that the verdict
 * never says "falls below 90%" next to a printed "90.0%". */
static double percent1(double e) { return round(e * 1000.0) / 10.0; }

/* Largest P up to which every point's `value` stays at or above `good`;
 * 0 when even the first P > 1 is below. */
static unsigned good_until(const dr_scale_result *r, int scaled) {
    unsigned until = 1;
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        double e = scaled ? pt->scaled_efficiency : pt->efficiency;
        if (pt->workers == 1)
            continue;
        if (!(percent1(e) >= GOOD_EFFICIENCY * 100))
            break;
        until = pt->workers;
    }
    return until;
}

/* The first sentence: up to which P the (scaled) efficiency stays at or
 * above 90%, where it first falls below, and where it ends when that is
 * back above 90% (noisy or uneven measurements). */
static void say_efficiency(const dr_scale_result *r, text *t, int scaled) {
    const char *what = scaled ? "Scaled efficiency" : "Efficiency";
    const dr_scale_point *last = &r->points[r->npoints - 1];
    unsigned good = good_until(r, scaled);
    if (good == last->workers) {
        say(t, "%s stays at or above 90%% up to %u workers.", what, good);
        return;
    }
    const dr_scale_point *below = NULL;
    for (size_t i = 1; i < r->npoints && below == NULL; i++)
        if (r->points[i].workers > good)
            below = &r->points[i];
    double e_below = scaled ? below->scaled_efficiency : below->efficiency;
    double e_last = scaled ? last->scaled_efficiency : last->efficiency;
    if (good == 1)
        say(t, "%s falls below 90%% already at %u workers (%.1f%%).", what,
            below->workers, percent1(e_below));
    else if (below == last || !(percent1(e_last) >= GOOD_EFFICIENCY * 100))
        say(t,
            "%s stays at or above 90%% up to %u workers, then falls to "
            "%.1f%% at %u.",
            what, good, percent1(e_last), last->workers);
    else
        say(t,
            "%s stays at or above 90%% up to %u workers and falls to "
            "%.1f%% at %u.",
            what, good, percent1(e_below), below->workers);
    if (below != last && percent1(e_last) >= GOOD_EFFICIENCY * 100)
        say(t,
            "It is back at %.1f%% at %u workers: the durations or timings "
            "are uneven.",
            percent1(e_last), last->workers);
}

/* Index of the point where speedup stops growing: no later point gains
 * FLAT_GAIN over it.  -1 when it keeps growing to the end. */
static long flat_from(const dr_scale_result *r) {
    for (size_t i = 0; i + 1 < r->npoints; i++) {
        int flat = 1;
        for (size_t j = i + 1; j < r->npoints; j++)
            if (r->points[j].speedup >= r->points[i].speedup * FLAT_GAIN)
                flat = 0;
        if (flat)
            return (long)i;
    }
    return -1;
}

/* The index of the point where the critical path explains the plateau of a
 * strong-scaling experiment, or -1: either the speedup flattens (no later
 * P gains FLAT_GAIN) at a value near the average parallelism T1/T-inf of
 * that point, or the last P exceeds T1/T-inf and the best speedup comes
 * near it.  A run far below the graph's limit is held back by something
 * else, and the graph is not blamed. */
static long strong_cp_limit(const dr_scale_result *r) {
    long flat = flat_from(r);
    if (flat >= 0 && r->points[flat].workers > 1) {
        const dr_scale_point *f = &r->points[flat];
        if (isfinite(f->ceiling_parallelism) &&
            f->speedup >= NEAR_CEILING * f->ceiling_parallelism)
            return flat;
    }
    const dr_scale_point *last = &r->points[r->npoints - 1];
    double best = 0;
    for (size_t i = 0; i < r->npoints; i++)
        best = fmax(best, r->points[i].speedup);
    if (last->workers > 1 && isfinite(last->ceiling_parallelism) &&
        last->ceiling_parallelism < last->workers &&
        best >= NEAR_CEILING * last->ceiling_parallelism)
        return (long)r->npoints - 1;
    return -1;
}

/* Weak scaling: the last P exceeds the grown graph's T1/T-inf and the
 * scaled speedup comes near it. */
static int weak_cp_limited(const dr_scale_result *r) {
    const dr_scale_point *last = &r->points[r->npoints - 1];
    return last->workers > 1 && isfinite(last->ceiling_parallelism) &&
           last->ceiling_parallelism < last->workers &&
           last->speedup >= NEAR_CEILING * last->ceiling_parallelism;
}

static void verdict_strong(const dr_scale_result *r, text *t) {
    const dr_scale_point *last = &r->points[r->npoints - 1];
    const dr_scale_point *base = &r->points[0];
    /* The best speedup, at the fewest workers that reach it (within 1%:
     * on a plateau the noise should not pick the count). */
    double top = 0;
    for (size_t i = 0; i < r->npoints; i++)
        top = fmax(top, r->points[i].speedup);
    const dr_scale_point *best = base;
    for (size_t i = 0; i < r->npoints; i++)
        if (r->points[i].speedup >= 0.99 * top) {
            best = &r->points[i];
            break;
        }

    if (last->workers == 1) {
        say(t, "Only one worker count was run: nothing to compare.");
        return;
    }
    say_efficiency(r, t, 0);
    /* On a busy machine the rest would explain noise. */
    if (r->busy)
        return;

    long limit = strong_cp_limit(r);
    long flat = flat_from(r);
    if (limit >= 0 && limit == flat) {
        const dr_scale_point *f = &r->points[flat];
        say(t,
            "Speedup flattens at %u workers (%.2f): the critical path "
            "limits speedup to %.2f.",
            f->workers, f->speedup, f->ceiling_parallelism);
    } else if (flat >= 0 && r->points[flat].workers > 1) {
        const dr_scale_point *f = &r->points[flat];
        if (!r->simulated && r->cpu_tasks && f->workers >= r->cores &&
            f->workers <= 2 * r->cores)
            say(t,
                "Speedup flattens at %u workers (%.2f): this machine has %u "
                "core%s.",
                f->workers, f->speedup, r->cores, r->cores == 1 ? "" : "s");
        else
            say(t, "Speedup flattens at %u workers (%.2f).", f->workers,
                f->speedup);
    }
    if (limit >= 0 && limit != flat) {
        say(t,
            "The critical path limits speedup to %.2f: the average "
            "parallelism (work / span) of the graph.",
            last->ceiling_parallelism);
    } else if (limit < 0 && isfinite(last->ceiling_parallelism) &&
               last->ceiling_parallelism < last->workers) {
        double par = last->ceiling_parallelism;
        if (!r->simulated && r->cpu_tasks && r->cores < par &&
            best->speedup >= NEAR_CEILING * r->cores)
            say(t,
                "The critical path would allow a speedup of %.2f, but the "
                "best measured is %.2f: this machine has %u core%s.",
                par, best->speedup, r->cores, r->cores == 1 ? "" : "s");
        else
            say(t,
                "The critical path would allow a speedup of %.2f, but the "
                "best measured is %.2f: overhead, waiting or noise costs "
                "the rest, not the graph.",
                par, best->speedup);
    }
    if (!r->simulated) {
        const dr_scale_point *hi = last;
        if (r->cpu_tasks && base->work > 0 &&
            hi->work > base->work * WORK_GROWTH && hi->workers > r->cores) {
            say(t,
                "The total work grows by %.0f%% at %u workers: more busy "
                "threads than the %u cores share the CPU, so CPU-bound tasks "
                "gain nothing from workers beyond the cores.",
                (hi->work / base->work - 1) * 100, hi->workers, r->cores);
        } else if (best->workers > r->cores &&
                   best->speedup > r->cores * BEYOND_CORES) {
            say(t,
                "Speedup %.2f at %u workers exceeds the %u core%s: the tasks "
                "wait (sleep, I/O) rather than compute, so extra workers "
                "help.",
                best->speedup, best->workers, r->cores,
                r->cores == 1 ? "" : "s");
        }
    }
    int slower = 0;
    for (size_t i = 1; i < r->npoints; i++)
        slower |= r->points[i].speedup < 1.0;
    if (slower)
        say(t, "Some runs with more workers are slower than one worker: "
               "overhead or contention outweighs the parallel work.");
    if (r->cp_limited) {
        /* Amdahl's 1/f would only restate the plateau as a serial part
         * that the graph does not have. */
        say(t, "Amdahl's law is not the explanation: a plateau set by the "
               "critical path "
               "is not a serial fraction of the work; only a graph with a "
               "shorter critical path for its work would raise it.");
    } else if (r->fit_points + 1 < DR_SCALE_FIT_MIN_POINTS) {
        say(t,
            "Too few points to fit Amdahl's law: it needs %d worker counts "
            "(P = 1 and %d more).",
            DR_SCALE_FIT_MIN_POINTS, DR_SCALE_FIT_MIN_POINTS - 1);
    } else if (isfinite(r->amdahl_f) &&
               !(r->amdahl_r2 >= DR_SCALE_FIT_MIN_R2)) {
        say(t,
            "No law fits these points: Amdahl's law gives R² = %.2f, below "
            "%.1f; %s",
            r->amdahl_r2, DR_SCALE_FIT_MIN_R2,
            r->simulated ? "the loss is not a fixed serial part."
                         : "the loss is not a fixed serial part; usually the "
                           "runs are too short for the noise, or overhead or "
                           "oversubscription grows with the workers.");
    } else if (isfinite(r->amdahl_f)) {
        if (r->amdahl_f > 0)
            say(t,
                "Amdahl's law fits %swith a serial fraction f = %.3g "
                "(R² = %.2f): no number of workers gives a speedup above "
                "%.1f.",
                r->amdahl_r2 < GOOD_R2 ? "only roughly " : "", r->amdahl_f,
                r->amdahl_r2, 1.0 / r->amdahl_f);
        else
            say(t,
                "Amdahl's law fits %swith a serial fraction f = 0 "
                "(R² = %.2f): ideal scaling over this range.",
                r->amdahl_r2 < GOOD_R2 ? "only roughly " : "", r->amdahl_r2);
    }
}

static void verdict_weak(const dr_scale_result *r, text *t) {
    const dr_scale_point *last = &r->points[r->npoints - 1];
    if (last->workers == 1) {
        say(t, "Only one worker count was run: nothing to compare.");
        return;
    }
    unsigned good = good_until(r, 1);
    say_efficiency(r, t, 1);
    if (r->busy)
        return;
    if (!r->simulated && r->cpu_tasks && good < last->workers &&
        good >= r->cores && good <= 2 * r->cores)
        say(t,
            "Beyond %u %s the work per worker no longer runs at the "
            "same time: this machine has %u core%s.",
            good, workers_word(good), r->cores, r->cores == 1 ? "" : "s");
    if (r->cp_limited) {
        say(t,
            "At %u workers the critical path limits the scaled speedup to "
            "%.2f (it reaches %.2f): the graph does not grow wide enough, "
            "which is not a serial fraction, so no Gustafson fit is given.",
            last->workers, last->ceiling_parallelism, last->speedup);
        return;
    }
    if (r->fit_points + 1 < DR_SCALE_FIT_MIN_POINTS)
        say(t,
            "Gustafson's scaled speedup at %u workers is %.2f; too few "
            "points to fit Gustafson's law: it needs %d worker counts (P = 1 "
            "and %d more).",
            last->workers, last->speedup, DR_SCALE_FIT_MIN_POINTS,
            DR_SCALE_FIT_MIN_POINTS - 1);
    else if (isfinite(r->gustafson_s) &&
             !(r->gustafson_r2 >= DR_SCALE_FIT_MIN_R2))
        say(t,
            "Gustafson's scaled speedup at %u workers is %.2f; no law fits "
            "these points: Gustafson's law gives R² = %.2f, below %.1f.",
            last->workers, last->speedup, r->gustafson_r2, DR_SCALE_FIT_MIN_R2);
    else if (isfinite(r->gustafson_s))
        say(t,
            "Gustafson's scaled speedup at %u workers is %.2f (serial "
            "fraction s = %.3g, R² = %.2f%s).",
            last->workers, last->speedup, r->gustafson_s, r->gustafson_r2,
            r->gustafson_r2 < GOOD_R2 ? ", a rough fit" : "");
    else
        say(t, "Gustafson's scaled speedup at %u workers is %.2f.",
            last->workers, last->speedup);
    if (isfinite(last->ceiling_parallelism) &&
        last->ceiling_parallelism < last->workers)
        say(t,
            "At %u workers the critical path would allow a scaled speedup "
            "of %.2f.",
            last->workers, last->ceiling_parallelism);
}

/* The largest max/min ratio of the repeats, and where; 0 without repeats. */
static double worst_spread(const dr_scale_result *r,
                           const dr_scale_point **where) {
    double spread = 0;
    *where = NULL;
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        if (pt->runs > 1 && pt->makespan_min > 0 &&
            pt->makespan_max / pt->makespan_min > spread) {
            spread = pt->makespan_max / pt->makespan_min;
            *where = pt;
        }
    }
    return spread;
}

/* Appends "; clause" (or the first clause) to buf. */
__attribute__((format(printf, 3, 4))) static void
add_clause(char *buf, size_t len, const char *fmt, ...) {
    size_t used = strlen(buf);
    if (used + 3 >= len)
        return;
    if (used > 0) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

int dr_scale_machine_busy(const dr_scale_result *r, char *why, size_t len) {
    if (why != NULL && len > 0)
        why[0] = '\0';
    if (r == NULL || r->simulated || !r->cpu_tasks)
        return 0;
    const dr_scale_point *starved = NULL, *crowded = NULL;
    double share = INFINITY, others = -INFINITY;
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        double s, o;
        dr__busy_judge(pt->wall, pt->cpu_time, pt->cpu_demand, pt->machine_cpu,
                       &s, &o);
        if (s < share) {
            share = s;
            starved = pt;
        }
        if (o > others) {
            others = o;
            crowded = pt;
        }
    }
    int by_share = starved != NULL && share < DR_SCALE_BUSY_CPU_SHARE;
    int by_others = crowded != NULL && others >= DR_SCALE_BUSY_OTHERS;
    if (!by_share && !by_others)
        return 0;
    if (why == NULL || len == 0)
        return 1;
    if (by_share)
        add_clause(why, len,
                   "at %u %s the computing tasks got %.0f%% of the CPU time "
                   "they needed",
                   starved->workers, workers_word(starved->workers),
                   share * 100);
    if (by_others)
        add_clause(why, len,
                   "other programs used %.1f core%s on average during the "
                   "runs at %u %s",
                   others, fabs(others - 1) < 0.05 ? "" : "s", crowded->workers,
                   workers_word(crowded->workers));
    double load_after = NAN;
    for (size_t i = 0; i < r->npoints; i++)
        if (isfinite(r->points[i].load_after) &&
            !(load_after >= r->points[i].load_after))
            load_after = r->points[i].load_after;
    if (isfinite(r->load_before) && isfinite(load_after))
        add_clause(why, len,
                   "the load average was %.2f before the runs and up to %.2f "
                   "after them, on %u core%s",
                   r->load_before, load_after, r->cores,
                   r->cores == 1 ? "" : "s");
    else if (isfinite(r->load_before))
        add_clause(why, len,
                   "the load average was %.2f before the runs, on "
                   "%u core%s",
                   r->load_before, r->cores, r->cores == 1 ? "" : "s");
    const dr_scale_point *where;
    double spread = worst_spread(r, &where);
    if (where != NULL && spread > NOISY_SPREAD)
        add_clause(why, len, "the repeats vary by up to %.0f%% (at %u %s)",
                   (spread - 1) * 100, where->workers,
                   workers_word(where->workers));
    return 1;
}

static char *make_verdict(const dr_scale_result *r) {
    text t = {0};
    if (r->busy) {
        char why[1024];
        dr_scale_machine_busy(r, why, sizeof(why));
        say(&t,
            "The machine was busy while this was measured: %s. These "
            "timings show the competition for the cores, not the graph, so "
            "no law is fitted to them; run again when the machine is idle "
            "(check with uptime or top), or simulate with measured costs "
            "(--costs).",
            why);
    }
    if (r->mode == DR_SCALE_WEAK)
        verdict_weak(r, &t);
    else
        verdict_strong(r, &t);
    if (r->fine_grained) {
        char med[32], over[32], share[48] = "more than";
        duration_words(r->task_median, med, sizeof(med));
        duration_words(r->task_overhead, over, sizeof(over));
        if (r->task_median > 0)
            snprintf(share, sizeof(share), "%.0f%% of",
                     100 * r->task_overhead / r->task_median);
        say(&t,
            "Tasks are too fine-grained: the scheduling overhead per task "
            "(about %s at one worker, between the end of a task and the "
            "start of the next) is %s the median task (%s)%s; make fewer, "
            "larger tasks.",
            over, share, med,
            r->task_overhead >= r->task_median ? ", so overhead dominates"
                                               : "");
    }
    if (!r->simulated && !r->busy) {
        const dr_scale_point *worst;
        double spread = worst_spread(r, &worst);
        if (worst != NULL && spread > NOISY_SPREAD)
            say(&t,
                "The repeats vary by up to %.0f%% (at %u %s): the "
                "machine was busy or the runs are short; repeat more "
                "(--repeat) or make the runs longer.",
                (spread - 1) * 100, worst->workers,
                workers_word(worst->workers));
    }
    int over = 0;
    for (size_t i = 0; i < r->npoints; i++)
        over |= r->points[i].oversubscribed;
    if (over)
        say(&t,
            "Runs with more than %u %s are oversubscribed (more workers "
            "than cores) and marked so.",
            r->cores, workers_word(r->cores));
    if (r->baseline_added)
        say(&t, "P = 1 was not in the list; it was run as the baseline.");
    if (t.len == 0)
        say(&t, "No verdict: too few points.");
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* The warning about the inputs of a simulation: tasks without a duration
 * were counted as 1 s each.  NULL when there is nothing to warn about;
 * *oom set when out of memory. */
static char *make_warning(const dr_scale_result *r, int *oom) {
    *oom = 0;
    if (!r->simulated)
        return NULL;
    const char *busy =
        r->costs_busy ? "The durations replayed (--costs) were measured on a "
                        "busy machine (the trace says so): they include "
                        "waiting for the cores, so the simulation replays "
                        "that competition; measure again on an idle machine."
                      : NULL;
    const dr_scale_point *worst = NULL;
    for (size_t i = 0; i < r->npoints; i++)
        if (r->points[i].uncosted > 0 &&
            (worst == NULL || r->points[i].uncosted > worst->uncosted))
            worst = &r->points[i];
    if (worst == NULL) {
        char *s = busy != NULL ? strdup(busy) : NULL;
        *oom = busy != NULL && s == NULL;
        return s;
    }
    char where[64] = "";
    if (r->mode == DR_SCALE_WEAK)
        snprintf(where, sizeof(where), " (at %u %s)", worst->workers,
                 workers_word(worst->workers));
    char *s = NULL;
    if (asprintf(&s,
                 "%zu of %zu tasks%s have no cost, so the simulation counted "
                 "each as 1 s: the figures describe that guess, not the "
                 "tasks. Give them a cost, or replay the durations of a "
                 "measured run with --costs TRACE.json.%s%s",
                 worst->uncosted,
                 worst->ntasks >= worst->uncosted ? worst->ntasks
                                                  : worst->uncosted,
                 where, busy ? " " : "", busy ? busy : "") < 0) {
        *oom = 1;
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------- analysis */

int dr_scale_analyse(dr_scale_result *r) {
    if (r == NULL || r->npoints == 0)
        return DR_EINVAL;
    qsort(r->points, r->npoints, sizeof(*r->points), cmp_point);
    const dr_scale_point *base = &r->points[0];
    if (base->workers != 1 || !(base->makespan > 0))
        return DR_EINVAL;
    double t1 = base->makespan;
    int weak = r->mode == DR_SCALE_WEAK;

    unsigned *p = malloc(r->npoints * sizeof(*p));
    double *s = malloc(r->npoints * sizeof(*s));
    if (p == NULL || s == NULL) {
        free(p);
        free(s);
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < r->npoints; i++) {
        dr_scale_point *pt = &r->points[i];
        if (!(pt->makespan > 0) || pt->workers == 0) {
            free(p);
            free(s);
            return DR_EINVAL;
        }
        double P = pt->workers;
        /* Tasks that only wait share no cores: more of them than cores is
         * the point of an I/O-bound experiment, not a mistake. */
        pt->oversubscribed = !r->simulated && r->cpu_tasks && r->cores > 0 &&
                             pt->workers > r->cores;
        /* Weak scaling: one worker would need T(1) times the growth of the
         * work for the grown problem (Gustafson's numerator).  Simulated
         * work is exact; measured task durations stretch when workers
         * share cores, so measured runs assume the textbook P-fold growth. */
        double grow = weak && r->simulated && base->work > 0 && pt->work > 0
                          ? pt->work / base->work
                          : P;
        pt->speedup = weak ? grow * t1 / pt->makespan : t1 / pt->makespan;
        pt->efficiency = pt->speedup / P;
        /* One formula for every weak figure: the scaled efficiency is the
         * scaled speedup over P, so the two never disagree (measured, where
         * the growth is P, it is T(1)/T(P)). */
        pt->scaled_efficiency = weak ? pt->efficiency : NAN;
        pt->karp_flatt = dr_scale_karp_flatt(pt->speedup, pt->workers);
        /* The ceiling's T1/T-inf: the graph's own by its costs (what
         * `dagrun analyze` says) when every task has one; else strong
         * scaling takes the baseline's, measured without contention (runs
         * at many workers on few cores stretch their durations and would
         * move the ceiling), and weak scaling each P's own graph. */
        double par = pt->cost_parallelism;
        if (!(isfinite(par) && par > 0))
            par = weak ? pt->parallelism : base->parallelism;
        pt->ceiling_parallelism = isfinite(par) && par > 0 ? par : NAN;
        pt->ceiling = isfinite(pt->ceiling_parallelism)
                          ? fmin(P, pt->ceiling_parallelism)
                          : P;
        pt->bound_ceiling = pt->lower_bound > 0
                                ? (weak ? grow : 1.0) * t1 / pt->lower_bound
                                : NAN;
        p[i] = pt->workers;
        s[i] = pt->speedup;
    }
    r->fit_points = 0;
    for (size_t i = 0; i < r->npoints; i++)
        r->fit_points += r->points[i].workers > 1 && isfinite(s[i]) && s[i] > 0;
    int enough = r->fit_points + 1 >= DR_SCALE_FIT_MIN_POINTS;
    /* A busy machine's timings measure the other programs: fitting a law
     * to them would explain noise, so nothing is fitted. */
    r->busy = dr_scale_machine_busy(r, NULL, 0);
    r->amdahl_f = r->amdahl_r2 = r->gustafson_s = r->gustafson_r2 = NAN;
    int rc = 0;
    if (!r->busy && enough && weak)
        rc = dr_scale_fit_gustafson(p, s, r->npoints, &r->gustafson_s,
                                    &r->gustafson_r2);
    else if (!r->busy && enough)
        rc = dr_scale_fit_amdahl(p, s, r->npoints, &r->amdahl_f, &r->amdahl_r2);
    free(p);
    free(s);
    if (rc == DR_ENOMEM)
        return rc;
    for (size_t i = 0; i < r->npoints; i++) {
        dr_scale_point *pt = &r->points[i];
        double P = pt->workers;
        pt->amdahl =
            weak ? (isfinite(r->gustafson_s) ? P - r->gustafson_s * (P - 1)
                                             : NAN)
                 : dr_scale_amdahl_speedup(r->amdahl_f, pt->workers);
    }
    r->cp_limited =
        !r->busy && (weak ? weak_cp_limited(r) : strong_cp_limit(r) >= 0);
    if (base->ntasks > 0 && base->work >= 0) {
        r->task_mean = base->work / (double)base->ntasks;
        r->task_median =
            isfinite(base->task_median) ? base->task_median : r->task_mean;
        /* The summary's overhead.per_task is measured between tasks; the
         * makespan's excess over the work at one worker is the fallback
         * for results without it. */
        r->task_overhead = isfinite(base->overhead)
                               ? base->overhead
                               : fmax(0.0, (base->makespan - base->work) /
                                               (double)base->ntasks);
    }
    r->fine_grained =
        !r->simulated && !r->busy && isfinite(r->task_overhead) &&
        r->task_overhead > 0 && isfinite(r->task_median) &&
        r->task_overhead >= DR_GRAIN_OVERHEAD_SHARE * r->task_median;
    int oom;
    free(r->warning);
    r->warning = make_warning(r, &oom);
    if (oom)
        return DR_ENOMEM;
    free(r->verdict);
    r->verdict = make_verdict(r);
    return r->verdict != NULL ? 0 : DR_ENOMEM;
}
