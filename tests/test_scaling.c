/*
 * Scaling experiments: the pure arithmetic on synthetic timings (median,
 * the Amdahl and Gustafson fits, Karp-Flatt, the derived columns and the
 * verdict), the plots and tables as text, and end-to-end experiments on the
 * simulator where the answers are known exactly (equal independent tasks,
 * a chain, weak scaling of n = 4*workers tasks).
 */
#define _GNU_SOURCE
#include "dagrun/scale.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

/* A minimal XML well-formedness check: balanced, properly nested tags,
 * quoted attributes, no stray '<' or '&' in text.  Returns NULL when well
 * formed, else a static description of the first problem. */
static const char *xml_problem(const char *s) {
    const char *stack[256];
    size_t depth = 0, lens[256];
    int seen_root = 0;
    while (*s) {
        if (*s == '&') {
            const char *semi = strchr(s, ';');
            if (semi == NULL || semi - s > 10)
                return "bare '&'";
            s = semi + 1;
            continue;
        }
        if (*s != '<') {
            s++;
            continue;
        }
        if (strncmp(s, "<?", 2) == 0) {
            s = strstr(s, "?>");
            if (s == NULL)
                return "unterminated <?";
            s += 2;
            continue;
        }
        if (strncmp(s, "<!--", 4) == 0) {
            s = strstr(s, "-->");
            if (s == NULL)
                return "unterminated comment";
            s += 3;
            continue;
        }
        if (s[1] == '/') {
            const char *name = s + 2;
            size_t len = strcspn(name, " >");
            if (depth == 0 || lens[depth - 1] != len ||
                strncmp(stack[depth - 1], name, len) != 0)
                return "mismatched closing tag";
            depth--;
            s = strchr(s, '>');
            if (s == NULL)
                return "unterminated closing tag";
            s++;
            continue;
        }
        const char *name = s + 1;
        size_t len = strcspn(name, " \t\n/>");
        if (len == 0)
            return "bare '<'";
        if (depth == 0 && seen_root)
            return "two root elements";
        seen_root = 1;
        const char *p = name + len;
        for (;;) {
            while (*p == ' ' || *p == '\n' || *p == '\t')
                p++;
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            if (*p == '\0')
                return "unterminated tag";
            const char *eq = strchr(p, '=');
            if (eq == NULL || (eq[1] != '"' && eq[1] != '\''))
                return "unquoted attribute";
            const char *end = strchr(eq + 2, eq[1]);
            if (end == NULL)
                return "unterminated attribute";
            for (const char *q = eq + 2; q < end; q++)
                if (*q == '<')
                    return "'<' in attribute";
            p = end + 1;
        }
        if (*p == '/') {
            s = p + 2;
        } else {
            if (depth == 256)
                return "too deep";
            stack[depth] = name;
            lens[depth++] = len;
            s = p + 1;
        }
    }
    return depth == 0 && seen_root ? NULL : "unclosed element";
}

/* A result with points at the given worker counts and makespans, measured
 * (not simulated) on `cores` cores, each run doing `work` in `ntasks`
 * tasks with average parallelism `par`. */
static dr_scale_result *synthetic(const unsigned *p, const double *t, size_t n,
                                  unsigned cores, double par, double work,
                                  size_t ntasks) {
    dr_scale_result *r = dr_scale_result_create(n);
    cr_assert_not_null(r);
    r->cores = cores;
    r->cpu_tasks = 1; /* tasks that compute, unless a test says otherwise */
    r->graph = strdup("synthetic");
    r->policy = strdup("cp");
    for (size_t i = 0; i < n; i++) {
        dr_scale_point *pt = &r->points[i];
        pt->workers = p[i];
        pt->runs = 3;
        pt->makespan = pt->makespan_min = pt->makespan_max = t[i];
        pt->work = work;
        pt->span = work / par;
        pt->parallelism = par;
        pt->lower_bound = fmax(pt->span, work / p[i]);
        pt->utilization = work / (p[i] * t[i]);
        pt->idle = p[i] * t[i] - work;
        pt->idle_tail = 0;
        pt->ntasks = ntasks;
    }
    return r;
}

/* The tick labels of one axis group of a plot ("x-axis" or "y-axis"):
 * each label's value and its position along the axis (x, or y of the grid
 * line: the label's baseline sits 4 units lower).  Returns the count. */
static size_t axis_ticks(const char *svg, const char *axis, double *pos,
                         double *val, size_t max) {
    char *cls = drt_fmt("class=\"axis %s\"", axis);
    const char *g = strstr(svg, cls);
    free(cls);
    cr_assert_not_null(g, "no %s in %s", axis, svg);
    const char *end = strstr(g, "</g>");
    size_t n = 0;
    int x_axis = axis[0] == 'x';
    for (const char *t = strstr(g, "<text x=\"");
         t != NULL && t < end && n < max; t = strstr(t + 1, "<text x=\"")) {
        double x, y;
        cr_assert_eq(sscanf(t, "<text x=\"%lf\" y=\"%lf\"", &x, &y), 2);
        const char *label = strchr(t, '>');
        cr_assert_not_null(label);
        val[n] = strtod(label + 1, NULL);
        pos[n++] = x_axis ? x : y - 4;
    }
    return n;
}

/* The x of count p on the worker axis, from its tick label. */
static double x_of(const char *svg, unsigned p) {
    double pos[64], val[64];
    size_t n = axis_ticks(svg, "x-axis", pos, val, 64);
    for (size_t i = 0; i < n; i++)
        if (val[i] == p)
            return pos[i];
    cr_assert_fail("no tick for P = %u in %s", p, svg);
    return NAN;
}

/* The y of value v on a log-scale value axis, from its first and last
 * tick labels. */
static double y_of_log(const char *svg, double v) {
    double pos[64], val[64];
    size_t n = axis_ticks(svg, "y-axis", pos, val, 64);
    cr_assert_geq(n, 2, "%s", svg);
    double slope = (pos[n - 1] - pos[0]) / (log2(val[n - 1]) - log2(val[0]));
    return pos[0] + slope * (log2(v) - log2(val[0]));
}

/* The vertices of the first polyline drawn in `color`. */
static size_t polyline_of(const char *svg, const char *color, double *x,
                          double *y, size_t max) {
    char *want = drt_fmt("stroke=\"%s\"", color);
    const char *line = strstr(svg, "<polyline");
    while (line != NULL) {
        const char *close = strchr(line, '>'), *c = strstr(line, want);
        if (c != NULL && c < close)
            break;
        line = strstr(line + 1, "<polyline");
    }
    free(want);
    cr_assert_not_null(line, "no %s line in %s", color, svg);
    const char *pts = strstr(line, "points=\"") + 8;
    const char *end = strchr(pts, '"');
    size_t n = 0;
    while (pts < end && n < max) {
        int used = 0;
        if (sscanf(pts, "%lf,%lf %n", &x[n], &y[n], &used) != 2 || used == 0)
            break;
        pts += used;
        n++;
    }
    return n;
}

/* Asserts that the speedup plot's ceiling line (drawn in #c0392b) passes
 * through (P, v): the line goes through the table's `ceiling` column. */
static void plot_has_ceiling_point(const dr_scale_result *r, unsigned p,
                                   double v) {
    char *svg = dr_scale_speedup_svg(r);
    cr_assert_not_null(svg);
    static double x[4096], y[4096];
    size_t n = polyline_of(svg, "#c0392b", x, y, 4096);
    double wx = x_of(svg, p), wy = y_of_log(svg, v);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= fabs(x[i] - wx) < 0.06 && fabs(y[i] - wy) < 0.2;
    cr_assert(found, "(%.1f, %.1f) not on the ceiling line of %s", wx, wy, svg);
    free(svg);
}

/* ---------------------------------------------------------- pure math */

Test(scaling_math, median_of_odd_and_even_counts) {
    double a[] = {5, 1, 3};
    cr_assert_float_eq(dr_scale_median(a, 3), 3.0, 1e-12);
    double b[] = {4, 1, 3, 2};
    cr_assert_float_eq(dr_scale_median(b, 4), 2.5, 1e-12);
    double c[] = {7};
    cr_assert_float_eq(dr_scale_median(c, 1), 7.0, 1e-12);
    cr_assert(isnan(dr_scale_median(NULL, 0)));
}

Test(scaling_math, amdahl_fit_recovers_a_known_serial_fraction) {
    unsigned p[] = {1, 2, 4, 8, 16, 32};
    double s[6];
    for (size_t i = 0; i < 6; i++)
        s[i] = 1.0 / (0.125 + (1 - 0.125) / p[i]);
    double f, r2;
    cr_assert_eq(dr_scale_fit_amdahl(p, s, 6, &f, &r2), 0);
    cr_assert_float_eq(f, 0.125, 1e-12);
    cr_assert_float_eq(r2, 1.0, 1e-12);
    cr_assert_float_eq(dr_scale_amdahl_speedup(f, 4), s[2], 1e-12);
}

Test(scaling_math, amdahl_fit_of_ideal_and_flat_speedups) {
    unsigned p[] = {1, 2, 4, 8};
    double ideal[] = {1, 2, 4, 8}, flat[] = {1, 1, 1, 1};
    double super[] = {1, 2.5, 5, 10};
    double f, r2;
    cr_assert_eq(dr_scale_fit_amdahl(p, ideal, 4, &f, &r2), 0);
    cr_assert_float_eq(f, 0.0, 1e-12);
    cr_assert_eq(dr_scale_fit_amdahl(p, flat, 4, &f, &r2), 0);
    cr_assert_float_eq(f, 1.0, 1e-12);
    cr_assert_float_eq(r2, 1.0, 1e-12);
    /* Superlinear speedup would need f < 0: clamped to 0. */
    cr_assert_eq(dr_scale_fit_amdahl(p, super, 4, &f, &r2), 0);
    cr_assert_float_eq(f, 0.0, 1e-12);
    cr_assert(r2 < 1.0);
}

Test(scaling_math, amdahl_fit_needs_a_point_beyond_one_worker) {
    unsigned p[] = {1};
    double s[] = {1};
    double f = 0, r2 = 0;
    cr_assert_eq(dr_scale_fit_amdahl(p, s, 1, &f, &r2), DR_EINVAL);
    cr_assert(isnan(f) && isnan(r2));
}

Test(scaling_math, karp_flatt_values) {
    cr_assert_float_eq(dr_scale_karp_flatt(4, 4), 0.0, 1e-12);
    cr_assert_float_eq(dr_scale_karp_flatt(1, 8), 1.0, 1e-12);
    /* S = 1/(0.1 + 0.9/4) gives back e = 0.1. */
    cr_assert_float_eq(dr_scale_karp_flatt(1 / (0.1 + 0.9 / 4), 4), 0.1, 1e-12);
    /* (1/3 - 1/4) / (3/4) = 1/9 */
    cr_assert_float_eq(dr_scale_karp_flatt(3, 4), 1.0 / 9, 1e-12);
    cr_assert(isnan(dr_scale_karp_flatt(1, 1)));
    cr_assert(isnan(dr_scale_karp_flatt(0, 4)));
}

Test(scaling_math, gustafson_fit_recovers_a_known_serial_fraction) {
    unsigned p[] = {1, 2, 4, 8};
    double s[4];
    for (size_t i = 0; i < 4; i++)
        s[i] = p[i] - 0.2 * (p[i] - 1.0);
    double g, r2;
    cr_assert_eq(dr_scale_fit_gustafson(p, s, 4, &g, &r2), 0);
    cr_assert_float_eq(g, 0.2, 1e-12);
    cr_assert_float_eq(r2, 1.0, 1e-12);
}

Test(scaling_analyse, derives_speedup_efficiency_and_karp_flatt) {
    unsigned p[] = {4, 1, 2}; /* unsorted on purpose */
    double t[] = {2.5, 8, 4.4};
    dr_scale_result *r = synthetic(p, t, 3, 8, 100, 8, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->points[0].workers, 1);
    cr_assert_eq(r->points[2].workers, 4);
    cr_assert_float_eq(r->points[1].speedup, 8 / 4.4, 1e-12);
    cr_assert_float_eq(r->points[2].speedup, 3.2, 1e-12);
    cr_assert_float_eq(r->points[2].efficiency, 0.8, 1e-12);
    cr_assert_float_eq(r->points[2].karp_flatt, (1 / 3.2 - 0.25) / 0.75, 1e-12);
    cr_assert(isnan(r->points[0].karp_flatt));
    cr_assert(isnan(r->points[2].scaled_efficiency));
    cr_assert_float_eq(r->points[2].ceiling, 4, 1e-12);
    cr_assert_eq(r->points[2].oversubscribed, 0);
    cr_assert_not_null(r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_analyse, without_a_one_worker_point_is_refused) {
    unsigned p[] = {2, 4};
    double t[] = {1, 1};
    dr_scale_result *r = synthetic(p, t, 2, 2, 10, 2, 10);
    cr_assert_eq(dr_scale_analyse(r), DR_EINVAL);
    dr_scale_result_destroy(r);
}

Test(scaling_analyse, weak_scaling_gives_scaled_efficiency_and_gustafson) {
    unsigned p[] = {1, 2, 4};
    double t[] = {2, 2, 2.5};
    dr_scale_result *r = synthetic(p, t, 3, 8, 1000, 2, 10);
    r->mode = DR_SCALE_WEAK;
    for (size_t i = 0; i < 3; i++)
        r->points[i].work = 2.0 * p[i] * p[i]; /* stretched: ignored */
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->points[1].scaled_efficiency, 1.0, 1e-12);
    cr_assert_float_eq(r->points[2].scaled_efficiency, 0.8, 1e-12);
    cr_assert_float_eq(r->points[2].speedup, 3.2, 1e-12);
    cr_assert_float_eq(r->points[2].efficiency, 0.8, 1e-12);
    cr_assert(isfinite(r->gustafson_s));
    cr_assert(isnan(r->amdahl_f));
    cr_assert(strstr(r->verdict, "Gustafson") != NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}

/* ------------------------------------------------------------ verdict */

Test(scaling_verdict, flat_at_the_core_count_names_the_cores) {
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {8, 4.1, 4.0, 4.05};
    dr_scale_result *r = synthetic(p, t, 4, 2, 1000, 8, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "speedup flattens at 2 workers") ||
                  strstr(r->verdict, "Speedup flattens at 2 workers"),
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "this machine has 2 cores") != NULL, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "oversubscribed") != NULL, "%s", r->verdict);
    cr_assert_eq(r->points[2].oversubscribed, 1);
    cr_assert_eq(r->points[1].oversubscribed, 0);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, a_short_critical_path_is_named_with_its_limit) {
    unsigned p[] = {1, 2, 4, 8, 16};
    double t[] = {34, 17, 10, 10, 10};
    dr_scale_result *r = synthetic(p, t, 5, 64, 3.4, 34, 34);
    r->simulated = 1;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "the critical path limits speedup to 3.40") !=
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, tiny_tasks_are_called_too_fine_grained) {
    unsigned p[] = {1, 2, 4};
    double t[] = {0.25, 0.2, 0.2};
    /* The summary's overhead per task (20 µs between tasks) against its
     * median task (50 µs): 40%, above DR_GRAIN_OVERHEAD_SHARE. */
    dr_scale_result *r = synthetic(p, t, 3, 2, 500, 0.05, 1000);
    r->points[0].overhead = 20e-6;
    r->points[0].task_median = 50e-6;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(r->fine_grained);
    cr_assert(strstr(r->verdict,
                     "Tasks are too fine-grained: the scheduling overhead per "
                     "task (about 20 µs at one worker") != NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "is 40% of the median task (50 µs); make "
                                 "fewer, larger tasks") != NULL,
              "%s", r->verdict);
    cr_assert_float_eq(r->task_overhead, 20e-6, 1e-12);
    json_t *j = dr_scale_to_json(r);
    cr_assert(json_is_true(json_object_get(j, "fine_grained")));
    json_decref(j);
    dr_scale_result_destroy(r);

    /* Without the summary's figure: (T(1) - work) / tasks, and the mean. */
    r = synthetic(p, t, 3, 2, 500, 0.05, 1000);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->task_overhead, 200e-6, 1e-12);
    cr_assert(strstr(r->verdict, "so overhead dominates") != NULL, "%s",
              r->verdict);
    dr_scale_result_destroy(r);

    /* Coarse tasks: 5 µs between tasks of 20 ms. */
    r = synthetic(p, t, 3, 2, 500, 0.05, 1000);
    r->points[0].overhead = 5e-6;
    r->points[0].task_median = 20e-3;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_not(r->fine_grained);
    cr_assert(strstr(r->verdict, "fine-grained") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, two_points_are_too_few_to_fit_a_law) {
    unsigned p[] = {1, 2};
    double t[] = {1, 0.55};
    dr_scale_result *r = synthetic(p, t, 2, 8, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->fit_points, 1);
    cr_assert(isnan(r->amdahl_f) && isnan(r->amdahl_r2));
    cr_assert(strstr(r->verdict, "Too few points to fit Amdahl's law: it "
                                 "needs 3 worker counts") != NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "fits") == NULL, "%s", r->verdict);
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "\nToo few points to fit Amdahl's law") != NULL, "%s",
              md);
    cr_assert(strstr(md, "Amdahl fit:") == NULL, "%s", md);
    free(md);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Amdahl fit") == NULL, "%s", svg);
    free(svg);
    json_t *j = dr_scale_to_json(r);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(j, "fit"), "status")),
        "too_few_points");
    json_decref(j);
    dr_scale_result_destroy(r);

    /* Weak scaling alike. */
    r = synthetic(p, t, 2, 8, 1000, 1, 100);
    r->mode = DR_SCALE_WEAK;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(isnan(r->gustafson_s));
    cr_assert(strstr(r->verdict, "too few points to fit Gustafson's law") !=
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);

    /* Three counts are enough. */
    unsigned p3[] = {1, 2, 4};
    double t3[] = {1, 0.55, 0.325};
    r = synthetic(p3, t3, 3, 8, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->amdahl_f, 0.1, 1e-9);
    cr_assert(strstr(r->verdict, "Amdahl's law fits with") != NULL, "%s",
              r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, good_efficiency_is_reported_up_to_its_limit) {
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {8, 4.1, 2.1, 1.1};
    dr_scale_result *r = synthetic(p, t, 4, 8, 1000, 8, 80);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict,
                     "Efficiency stays at or above 90% up to 8 workers") !=
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, missing_baseline_is_said) {
    unsigned p[] = {1, 2};
    double t[] = {2, 1};
    dr_scale_result *r = synthetic(p, t, 2, 2, 100, 2, 10);
    r->baseline_added = 1;
    r->points[0].baseline_only = 1;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "run as the baseline") != NULL, "%s",
              r->verdict);
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "| 1 † |") != NULL, "%s", md);
    free(md);
    dr_scale_result_destroy(r);
}

/* ------------------------------------------------------- plots, tables */

Test(scaling_output, plots_are_well_formed_with_title_axes_and_legend) {
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {8, 4.4, 2.6, 1.7}; /* Amdahl with f = 0.1: drawn */
    dr_scale_result *r = synthetic(p, t, 4, 2, 6, 8, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *svg[2] = {dr_scale_speedup_svg(r), dr_scale_efficiency_svg(r)};
    for (int i = 0; i < 2; i++) {
        cr_assert_not_null(svg[i]);
        const char *why = xml_problem(svg[i]);
        cr_assert_null(why, "%s", why);
        cr_assert(strstr(svg[i], "<title>Strong scaling of synthetic") != NULL);
        cr_assert(strstr(svg[i], "class=\"title\"") != NULL);
        cr_assert(strstr(svg[i], "workers P (log scale)") != NULL);
        cr_assert(strstr(svg[i], "class=\"legend\"") != NULL);
        cr_assert(strstr(svg[i], "Amdahl fit") != NULL);
        cr_assert(strstr(svg[i], "critical-path ceiling") != NULL);
        cr_assert(strstr(svg[i], "oversubscribed (&gt; 2 cores)") != NULL);
        /* Ticks of the log-2 axis. */
        cr_assert(strstr(svg[i], ">8</text>") != NULL);
        free(svg[i]);
    }
    dr_scale_result_destroy(r);
}

Test(scaling_output, weak_plots_show_scaled_efficiency) {
    unsigned p[] = {1, 2, 4};
    double t[] = {2, 2, 2.5};
    dr_scale_result *r = synthetic(p, t, 3, 8, 1000, 2, 10);
    r->mode = DR_SCALE_WEAK;
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *svg = dr_scale_efficiency_svg(r);
    cr_assert_null(xml_problem(svg));
    cr_assert(strstr(svg, "scaled efficiency") != NULL);
    cr_assert(strstr(svg, "Gustafson fit") != NULL);
    cr_assert(strstr(svg, "oversubscribed") == NULL);
    free(svg);
    char *html = dr_scale_report_html(r);
    cr_assert(strstr(html, "<!DOCTYPE html>") != NULL);
    cr_assert(strstr(html, "http://") == NULL ||
              strstr(html, "src=\"http") == NULL);
    cr_assert(strstr(html, "@media print") != NULL);
    free(html);
    dr_scale_result_destroy(r);
}

Test(scaling_output, tables_mark_oversubscribed_rows) {
    unsigned p[] = {1, 2, 4};
    double t[] = {4, 2.2, 2.1};
    dr_scale_result *r = synthetic(p, t, 3, 2, 100, 4, 10);
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *csv = dr_scale_to_csv(r);
    cr_assert(strncmp(csv,
                      "workers,runs,makespan,makespan_min,makespan_max,"
                      "speedup,efficiency,scaled_efficiency,utilization,"
                      "idle,idle_tail,",
                      110) == 0,
              "%s", csv);
    cr_assert(strstr(csv, "karp_flatt") && strstr(csv, "ceiling") &&
              strstr(csv, "oversubscribed"));
    /* Last line: P = 4 oversubscribed, not a baseline (the columns after
     * them are the CPU figures, empty here, and the uncosted count). */
    cr_assert(strstr(csv, ",1,0,,,0\n") != NULL, "%s", csv);
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "| 4 * |") != NULL, "%s", md);
    cr_assert(strstr(md, "| 2 |") != NULL, "%s", md);
    cr_assert(strstr(md, "oversubscribed") != NULL);
    json_t *j = dr_scale_to_json(r);
    cr_assert_not_null(j);
    cr_assert_eq(json_array_size(json_object_get(j, "points")), 3);
    cr_assert(json_is_null(json_object_get(
        json_array_get(json_object_get(j, "points"), 0), "karp_flatt")));
    json_decref(j);
    free(csv);
    free(md);
    dr_scale_result_destroy(r);
}

/* ------------------------------------------- end to end, simulated */

static dr_graph *independent(size_t n) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, "independent");
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t-%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        cr_assert_eq(dr_task_set_cost(g, t, 1.0), 0);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

static dr_scale_result *simulate(dr_graph *g, const unsigned *ps, size_t n) {
    dr_scale_options o;
    dr_scale_options_init(&o);
    o.workers = ps;
    o.nworkers = n;
    o.run.simulate = 1;
    dr_error err;
    dr_scale_result *r = dr_scale_run(g, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    return r;
}

Test(scaling_sim, equal_independent_tasks_speed_up_exactly_p_then_flat) {
    dr_graph *g = independent(16);
    unsigned ps[] = {1, 2, 4, 8, 16, 32, 64};
    dr_scale_result *r = simulate(g, ps, 7);
    cr_assert_eq(r->npoints, 7);
    cr_assert_eq(r->simulated, 1);
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        double expect = pt->workers <= 16 ? pt->workers : 16;
        cr_assert_float_eq(pt->speedup, expect, 1e-9, "P=%u: %g", pt->workers,
                           pt->speedup);
        cr_assert_eq(pt->oversubscribed, 0);
        cr_assert_eq(pt->runs, 1);
        cr_assert_not_null(pt->trace);
    }
    cr_assert_float_eq(r->amdahl_f, 0.0, 0.05);
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
}

Test(scaling_sim, a_chain_has_speedup_one) {
    dr_graph *g = dr_graph_create();
    dr_task prev = DR_TASK_NONE;
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "c-%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        dr_task_set_cost(g, t, 0.5);
        if (prev != DR_TASK_NONE)
            cr_assert_eq(dr_graph_add_dep(g, t, prev), 0);
        prev = t;
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    unsigned ps[] = {4, 2, 8}; /* no 1: run as the baseline */
    dr_scale_result *r = simulate(g, ps, 3);
    cr_assert_eq(r->npoints, 4);
    cr_assert_eq(r->baseline_added, 1);
    cr_assert_eq(r->points[0].baseline_only, 1);
    for (size_t i = 0; i < r->npoints; i++)
        cr_assert_float_eq(r->points[i].speedup, 1.0, 1e-9);
    cr_assert_float_eq(r->amdahl_f, 1.0, 1e-9);
    cr_assert(strstr(r->verdict, "critical path limits speedup to 1.00") !=
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
}

Test(scaling_sim, weak_scaling_of_four_tasks_per_worker_is_perfect) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/weak.json", dir);
    cr_assert_eq(drt_write_file(path,
                                "{\"dagrun\": 1, \"name\": \"weak\",\n"
                                " \"params\": {\"workers\": 1, \"n\": "
                                "\"4*workers\"},\n"
                                " \"tasks\": [{\"id\": \"t-{i}\", \"range\": "
                                "{\"i\": \"n\"}, \"cost\": 1}]}\n"),
                 0);
    dr_scale_options o;
    dr_scale_options_init(&o);
    unsigned ps[] = {1, 2, 4, 8};
    o.workers = ps;
    o.nworkers = 4;
    o.mode = DR_SCALE_WEAK;
    o.path = path;
    o.run.simulate = 1;
    dr_error err;
    dr_scale_result *r = dr_scale_run(NULL, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    for (size_t i = 0; i < r->npoints; i++) {
        cr_assert_float_eq(r->points[i].scaled_efficiency, 1.0, 1e-9);
        cr_assert_float_eq(r->points[i].makespan, 4.0, 1e-9);
        cr_assert_float_eq(r->points[i].work, 4.0 * r->points[i].workers, 1e-9);
    }
    cr_assert_float_eq(r->gustafson_s, 0.0, 1e-9);

    /* Every file lands in the output folder. */
    char *out = drt_fmt("%s/out/sub", dir);
    cr_assert_eq(dr_scale_write(r, out, &err), 0, "%s", err.text);
    const char *files[] = {
        "scaling.csv",   "scaling.json",          "scaling.md",
        "speedup.svg",   "scaled-efficiency.svg", "report.html",
        "trace-P8.json", "summary-P8.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        char *f = drt_fmt("%s/%s", out, files[i]);
        char *text = drt_read_file(f, NULL);
        cr_assert_not_null(text, "missing %s", f);
        free(text);
        free(f);
    }
    dr_scale_result_destroy(r);
    drt_rmtree(dir);
    free(out);
    free(path);
    free(dir);
}

Test(scaling_sim, weak_scaling_with_a_serial_reduction_fits_gustafson) {
    /* 4P tasks and one reduction, all of cost 1: at one worker the
     * reduction is 1/5 of the time, and Gustafson's s is exactly 0.2. */
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/weak.json", dir);
    cr_assert_eq(
        drt_write_file(path,
                       "{\"dagrun\": 1, \"name\": \"weak\",\n"
                       " \"params\": {\"workers\": 1, \"n\": \"4*workers\"},\n"
                       " \"tasks\": [{\"id\": \"t-{i}\", \"range\": "
                       "{\"i\": \"n\"}, \"cost\": 1},\n"
                       "  {\"id\": \"reduce\", \"cost\": 1, "
                       "\"deps\": [{\"all\": \"t-{i}\"}]}]}\n"),
        0);
    dr_scale_options o;
    dr_scale_options_init(&o);
    unsigned ps[] = {1, 2, 4, 8, 16};
    o.workers = ps;
    o.nworkers = 5;
    o.mode = DR_SCALE_WEAK;
    o.path = path;
    o.run.simulate = 1;
    dr_error err;
    dr_scale_result *r = dr_scale_run(NULL, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    cr_assert_float_eq(r->gustafson_s, 0.2, 1e-9);
    cr_assert_float_eq(r->gustafson_r2, 1.0, 1e-9);
    for (size_t i = 0; i < r->npoints; i++) {
        double P = r->points[i].workers;
        cr_assert_float_eq(r->points[i].speedup, P - 0.2 * (P - 1), 1e-9);
        /* One formula: the scaled efficiency is the scaled speedup over P
         * (the reduction does not grow, so it is below 1). */
        cr_assert_float_eq(r->points[i].scaled_efficiency,
                           (P - 0.2 * (P - 1)) / P, 1e-9);
    }
    /* The verdict's figures follow from each other: at 16 workers the
     * scaled speedup 13.00 and the scaled efficiency 13/16 = 81.3%. */
    cr_assert(strstr(r->verdict, "scaled speedup at 16 workers is 13.00") !=
                  NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "falls to 81.3% at 16") != NULL, "%s",
              r->verdict);
    dr_scale_result_destroy(r);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

Test(scaling_sim, bad_options_are_refused) {
    dr_graph *g = independent(2);
    dr_scale_options o;
    dr_scale_options_init(&o);
    unsigned zero[] = {0};
    o.workers = zero;
    o.nworkers = 1;
    o.run.simulate = 1;
    dr_error err;
    cr_assert_null(dr_scale_run(g, &o, &err));
    cr_assert_eq(err.code, DR_EINVAL);
    o.nworkers = 0;
    cr_assert_null(dr_scale_run(g, &o, &err));
    unsigned one[] = {1};
    o.workers = one;
    o.nworkers = 1;
    o.mode = DR_SCALE_WEAK; /* no path */
    cr_assert_null(dr_scale_run(g, &o, &err));
    cr_assert(strstr(err.text, "weak scaling needs the graph file") != NULL);
    dr_graph_destroy(g);
}

/* ---------------------------------------------------------------- CLI */

Test(scaling_cli, help_and_usage_errors) {
    char *out = NULL, *err = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "scale --help"), 0);
    cr_assert(strstr(out, "--workers") && strstr(out, "Exit codes"));
    free(out);
    const char *bad[] = {"0", "1,,2", "a", "4-2", "1,", "-3", "2-0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cr_assert_eq(drt_cli(NULL, &err,
                             "scale %s/examples/pi.json --simulate "
                             "--workers '%s'",
                             DR_SOURCE_DIR, bad[i]),
                     2, "--workers %s", bad[i]);
        cr_assert(strstr(err, "--workers") != NULL, "%s", err);
        free(err);
    }
    cr_assert_eq(drt_cli(NULL, NULL, "scale --simulate --workers 1,2"), 2);
    cr_assert_eq(drt_cli(NULL, &err,
                         "scale %s/examples/lecture.json --simulate "
                         "--workers 1,2 -o /dev/null/cannot",
                         DR_SOURCE_DIR),
                 2);
    cr_assert(strstr(err, "/dev/null") != NULL, "%s", err);
    free(err);
    cr_assert_eq(drt_cli(NULL, NULL,
                         "scale %s/examples/pi.json --mode sideways",
                         DR_SOURCE_DIR),
                 2);
}

Test(scaling_cli, simulated_experiment_writes_every_file) {
    char *dir = drt_tmpdir();
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL,
                         "scale %s/examples/lecture.json --simulate "
                         "--workers 1-4 -o %s/s",
                         DR_SOURCE_DIR, dir),
                 0);
    cr_assert(strstr(out, "| P |") != NULL, "%s", out);
    cr_assert(strstr(out, "Verdict") != NULL, "%s", out);
    free(out);
    char *csv_path = drt_fmt("%s/s/scaling.csv", dir);
    char *csv = drt_read_file(csv_path, NULL);
    cr_assert_not_null(csv);
    cr_assert(strncmp(csv, "workers,", 8) == 0);
    /* '1-4' is every count, 1, 2, 3 and 4 (3 is the lecture DAG's); plus
     * the header. */
    size_t lines = 0;
    for (char *c = csv; *c; c++)
        lines += *c == '\n';
    cr_assert_eq(lines, 5, "%s", csv);
    cr_assert(strstr(csv, "\n3,1,") != NULL, "%s", csv);
    char *html_path = drt_fmt("%s/s/report.html", dir);
    char *html = drt_read_file(html_path, NULL);
    cr_assert_not_null(html);
    free(html);
    free(html_path);
    free(csv);
    free(csv_path);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_verdict, slower_with_more_workers_is_said) {
    unsigned p[] = {1, 2, 4};
    double t[] = {1, 1.4, 1.5};
    dr_scale_result *r = synthetic(p, t, 3, 2, 4, 1, 4);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "slower than one worker") != NULL, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "No law fits these points: Amdahl's law "
                                 "gives R²") != NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, noisy_repeats_are_pointed_out) {
    unsigned p[] = {1, 2};
    double t[] = {1, 0.55};
    dr_scale_result *r = synthetic(p, t, 2, 2, 100, 1, 10);
    r->points[1].makespan_min = 0.5;
    r->points[1].makespan_max = 0.8;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "The repeats vary by up to 60% (at 2 "
                                 "workers)") != NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, efficiency_just_below_90_percent_prints_a_decimal) {
    unsigned p[] = {1, 2};
    double t[] = {1, 1 / (2 * 0.899)};
    dr_scale_result *r = synthetic(p, t, 2, 2, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "falls below 90% already at 2 workers "
                                 "(89.9%)") != NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);

    /* 89.96% prints as 90.0%: then it counts as 90%, not as below. */
    double t2[] = {1, 1 / (2 * 0.8996)};
    r = synthetic(p, t2, 2, 2, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "stays at or above 90% up to 2 workers") !=
                  NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "below 90%") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, a_low_r2_is_not_called_a_fit_nor_drawn) {
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {1, 0.6, 1.1, 0.7}; /* noise, no trend */
    dr_scale_result *r = synthetic(p, t, 4, 8, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_lt(r->amdahl_r2, DR_SCALE_FIT_MIN_R2);
    cr_assert(strstr(r->verdict, "No law fits these points: Amdahl's law "
                                 "gives R²") != NULL,
              "%s", r->verdict);
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "\nNo law fits these points") != NULL, "%s", md);
    cr_assert(strstr(md, "Amdahl fit:") == NULL, "%s", md);
    free(md);
    json_t *j = dr_scale_to_json(r);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(j, "fit"), "status")),
        "no_fit");
    json_decref(j);
    cr_assert(strstr(r->verdict, "Amdahl's law fits") == NULL, "%s",
              r->verdict);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Amdahl fit") == NULL, "%s", svg);
    free(svg);
    dr_scale_result_destroy(r);

    /* A good fit is drawn. */
    double t2[] = {1, 0.55, 0.325, 0.2125}; /* f = 0.1 exactly */
    r = synthetic(p, t2, 4, 8, 1000, 1, 100);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "Amdahl's law fits with") != NULL, "%s",
              r->verdict);
    svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Amdahl fit") != NULL);
    free(svg);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, a_distant_ceiling_is_not_blamed) {
    /* Speedup about 1 on 2 cores; the graph would allow 6.2 at 8 workers. */
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {1, 1.03, 1.02, 1.03};
    dr_scale_result *r = synthetic(p, t, 4, 2, 6.2, 1, 32);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "limits speedup") == NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "would allow a speedup of 6.20, but the "
                                 "best measured is 1.00") != NULL,
              "%s", r->verdict);
    /* The plot's ceiling is the table's: min(P, 6.2) = 6.2 at P = 8. */
    cr_assert_float_eq(r->points[3].ceiling, 6.2, 1e-12);
    dr_scale_result_destroy(r);

    /* Close to the ceiling: the critical path is named. */
    double t2[] = {1, 0.5, 0.26, 0.17};
    r = synthetic(p, t2, 4, 8, 6.2, 1, 32);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "critical path limits speedup to 6.20") !=
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_output, the_ceiling_is_the_baselines_not_the_stretched_runs) {
    /* Measured runs each have their own T1/T-inf: oversubscribed runs
     * stretch their durations, and at P = 8 it reads 7.03 where the
     * baseline (P = 1, no contention) says 4.5.  The ceiling is the
     * baseline's at every P, in the table, the plot and the verdict. */
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {1, 0.55, 0.3, 0.25};
    dr_scale_result *r = synthetic(p, t, 4, 2, 4.5, 1, 32);
    r->points[2].parallelism = 5.9;
    r->points[3].parallelism = 7.03;
    cr_assert_eq(dr_scale_analyse(r), 0);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_float_eq(r->points[i].ceiling_parallelism, 4.5, 1e-12);
        cr_assert_float_eq(r->points[i].ceiling, fmin(p[i], 4.5), 1e-12);
    }
    plot_has_ceiling_point(r, 8, 4.5);
    plot_has_ceiling_point(r, 4, 4);
    cr_assert(strstr(r->verdict, "7.03") == NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "4.50") != NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);

    /* The graph's costs, when every task has one, come first. */
    r = synthetic(p, t, 4, 2, 4.5, 1, 32);
    for (size_t i = 0; i < 4; i++)
        r->points[i].cost_parallelism = 4.25;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->points[3].ceiling, 4.25, 1e-12);
    plot_has_ceiling_point(r, 8, 4.25);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, one_worker_is_singular) {
    unsigned p[] = {1, 2};
    double t[] = {1, 0.55};
    dr_scale_result *r = synthetic(p, t, 2, 1, 100, 1, 10);
    r->points[0].makespan_min = 0.8;
    r->points[0].makespan_max = 1.2;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "(at 1 worker)") != NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "more than 1 worker are") != NULL, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "1 workers") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_cli, a_failed_task_is_named_with_its_reason, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/fail.json", dir);
    cr_assert_eq(drt_write_file(graph,
                                "{\"dagrun\": 1, \"name\": \"fail\", "
                                "\"tasks\": [{\"id\": \"boom\", \"cmd\": "
                                "[\"sh\", \"-c\", \"echo bad input >&2; "
                                "exit 3\"]}]}"),
                 0);
    char *err = NULL;
    cr_assert_eq(
        drt_cli(NULL, &err, "scale %s -w 1,2 -q -o %s/out", graph, dir), 1);
    cr_assert(strstr(err, "the run with 1 worker had a failed task 'boom' "
                          "(exit status 3: bad input)") != NULL,
              "%s", err);
    free(err);
    drt_rmtree(dir);
    free(graph);
    free(dir);
}

Test(scaling_cli, written_files_are_listed_without_a_double_slash) {
    char *dir = drt_tmpdir();
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL,
                         "scale %s/examples/lecture.json --simulate "
                         "--workers 1-4 -o %s/s/",
                         DR_SOURCE_DIR, dir),
                 0);
    char *want = drt_fmt("Wrote %s/s/{scaling.csv,", dir);
    cr_assert(strstr(out, want) != NULL, "%s", out);
    cr_assert(strstr(out, "//") == NULL, "%s", out);
    char *per_p = drt_fmt("Wrote %s/s/{trace,summary}-P{1,2,3,4}.json and "
                          "%s/s/gantt-P{1,2,3,4}.svg",
                          dir, dir);
    cr_assert(strstr(out, per_p) != NULL, "%s", out);
    const char *files[] = {"trace-P2.json", "summary-P2.json", "gantt-P4.svg"};
    for (size_t i = 0; i < 3; i++) {
        char *path = drt_fmt("%s/s/%s", dir, files[i]);
        cr_assert_eq(access(path, F_OK), 0, "%s", path);
        free(path);
    }
    free(per_p);
    free(want);
    free(out);
    drt_rmtree(dir);
    free(dir);
}

/* ----------------------------------------- plots: axes, bars, ceilings */

/* The file `fmt` (with one %s, the folder) as text or as JSON. */
static char *read_in(const char *fmt, const char *dir) {
    char *path = drt_fmt(fmt, dir);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text, "%s", path);
    free(path);
    return text;
}

static json_t *json_in(const char *fmt, const char *dir) {
    char *path = drt_fmt(fmt, dir);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    cr_assert_not_null(j, "%s: %s", path, e.text);
    free(path);
    return j;
}

/* The frame of the plotting area: x, y, width, height of the rect with
 * stroke #333 and no fill. */
static void frame_of(const char *svg, double *x, double *y, double *w,
                     double *h) {
    const char *f = strstr(svg, "fill=\"none\" stroke=\"#333\"/>");
    cr_assert_not_null(f, "%s", svg);
    while (f > svg && strncmp(f, "<rect", 5) != 0)
        f--;
    cr_assert_eq(sscanf(f,
                        "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" "
                        "height=\"%lf\"",
                        x, y, w, h),
                 4, "%.80s", f);
}

Test(scaling_output, speedup_is_log_log_so_the_ideal_line_is_straight) {
    unsigned p[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    double t[9];
    for (size_t i = 0; i < 9; i++)
        t[i] = 1.0 / (p[i] < 12 ? p[i] : 12);
    dr_scale_result *r = synthetic(p, t, 9, 2, 12, 1, 100);
    r->simulated = 1;
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *svg = dr_scale_speedup_svg(r);
    static double x[4096], y[4096];
    size_t n = polyline_of(svg, "#777777", x, y, 4096);
    cr_assert_geq(n, 100);
    /* Straight: every vertex on the line through the first and last. */
    for (size_t i = 1; i + 1 < n; i++) {
        double want =
            y[0] + (y[n - 1] - y[0]) * (x[i] - x[0]) / (x[n - 1] - x[0]);
        cr_assert(fabs(y[i] - want) < 0.15, "vertex %zu: %.1f,%.1f vs %.1f", i,
                  x[i], y[i], want);
    }
    /* Log value axis: equal ratios are equal distances. */
    double a = y_of_log(svg, 1), b = y_of_log(svg, 16), c = y_of_log(svg, 256);
    cr_assert_float_eq(b - a, c - b, 0.2);
    cr_assert(strstr(svg, ">256</text>") != NULL, "%s", svg);
    free(svg);

    /* Efficiency keeps a linear value axis: ticks at equal steps are at
     * equal distances, 0 included. */
    svg = dr_scale_efficiency_svg(r);
    double pos[64], val[64];
    size_t k = axis_ticks(svg, "y-axis", pos, val, 64);
    cr_assert_geq(k, 3);
    cr_assert_float_eq(val[0], 0, 1e-12);
    for (size_t i = 2; i < k; i++)
        cr_assert_float_eq(pos[i] - pos[i - 1], pos[1] - pos[0], 0.15);
    free(svg);
    dr_scale_result_destroy(r);
}

Test(scaling_output, min_max_bars_at_the_first_and_last_p_clear_the_frame) {
    unsigned p[] = {1, 2};
    double t[] = {1, 0.6};
    dr_scale_result *r = synthetic(p, t, 2, 2, 100, 1, 10);
    r->points[0].makespan_min = 0.9;
    r->points[0].makespan_max = 1.3;
    r->points[1].makespan_min = 0.55;
    r->points[1].makespan_max = 0.8;
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *svgs[2] = {dr_scale_speedup_svg(r), dr_scale_efficiency_svg(r)};
    for (int s = 0; s < 2; s++) {
        char *svg = svgs[s];
        double fx, fy, fw, fh;
        frame_of(svg, &fx, &fy, &fw, &fh);
        size_t bars = 0;
        for (const char *b = strstr(svg, "class=\"range\" d=\"M"); b != NULL;
             b = strstr(b + 1, "class=\"range\" d=\"M")) {
            double x, y0, y1;
            cr_assert_eq(
                sscanf(b, "class=\"range\" d=\"M%lf %lfV%lf", &x, &y0, &y1), 3);
            /* The bar and its 4-unit caps lie inside, off the frame. */
            cr_assert(x - 4 > fx + 2 && x + 4 < fx + fw - 2,
                      "bar at x = %.1f on the frame [%.1f, %.1f]", x, fx,
                      fx + fw);
            cr_assert(fmin(y0, y1) > fy && fmax(y0, y1) < fy + fh,
                      "bar %.1f..%.1f leaves the frame", y0, y1);
            bars++;
        }
        cr_assert_eq(bars, 2, "%s", svg);
        cr_assert(strstr(svg, "min–max of the repeats") != NULL);
        free(svg);
    }
    dr_scale_result_destroy(r);
}

Test(scaling_output, the_ceiling_never_rises_above_the_ideal_line) {
    /* T1/T-inf is 1.2 at P = 1 and 50 at P = 4.  Between the points the ceiling
     * must stay at or below S = P (drawn straight, before, it cut above it). */
    unsigned p[] = {1, 4, 16};
    double t[] = {1, 0.3, 0.1};
    dr_scale_result *r = synthetic(p, t, 3, 32, 50, 1, 100);
    /* The graph's T1/T-inf differs per P (as in weak scaling, where each
     * P has its own graph). */
    r->points[0].cost_parallelism = 1.2;
    r->points[1].cost_parallelism = 50;
    r->points[2].cost_parallelism = 13;
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *svg = dr_scale_speedup_svg(r);
    static double cx[4096], cy[4096], ix[4096], iy[4096];
    size_t nc = polyline_of(svg, "#c0392b", cx, cy, 4096);
    size_t ni = polyline_of(svg, "#777777", ix, iy, 4096);
    cr_assert_geq(nc, 100);
    for (size_t i = 0; i < nc; i++) {
        /* The ideal line's y at this x (it is straight). */
        double want = iy[0] + (iy[ni - 1] - iy[0]) * (cx[i] - ix[0]) /
                                  (ix[ni - 1] - ix[0]);
        cr_assert(cy[i] >= want - 0.15,
                  "ceiling above the ideal line at x = %.1f: %.1f < %.1f",
                  cx[i], cy[i], want);
    }
    /* And it passes through the table's ceilings. */
    free(svg);
    plot_has_ceiling_point(r, 4, 4);
    plot_has_ceiling_point(r, 16, 13);
    dr_scale_result_destroy(r);
}

Test(scaling_output, a_fitted_curve_is_never_drawn_above_the_ceiling) {
    /* The graph allows only 1.5 at P = 2, yet the Amdahl curve through
     * the three points passes above 1.5 there. */
    unsigned p[] = {1, 2, 4};
    double t[] = {1, 1 / 1.45, 1 / 3.9};
    dr_scale_result *r = synthetic(p, t, 3, 8, 10, 1, 100);
    r->points[1].cost_parallelism = 1.5;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->cp_limited, 0);
    cr_assert_gt(r->amdahl_r2, DR_SCALE_FIT_MIN_R2);
    cr_assert_gt(dr_scale_amdahl_speedup(r->amdahl_f, 2), 1.5);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Amdahl fit") != NULL, "%s", svg);
    /* Every drawn piece of the fit (#e08a00) lies on or below the ceiling
     * at the same x (both are sampled at the same P). */
    static double cx[4096], cy[4096];
    size_t nc = polyline_of(svg, "#c0392b", cx, cy, 4096);
    size_t pieces = 0, checked = 0;
    for (const char *l = strstr(svg, "stroke=\"#e08a00\" stroke-dasharray");
         l != NULL; l = strstr(l + 1, "stroke=\"#e08a00\" stroke-dasharray")) {
        const char *pts = strstr(l, "points=\"");
        if (pts == NULL || pts > strchr(l, '>'))
            continue; /* the legend's line */
        pieces++;
        pts += 8;
        const char *end = strchr(pts, '"');
        double x, y;
        int used;
        while (pts < end && sscanf(pts, "%lf,%lf %n", &x, &y, &used) == 2) {
            pts += used;
            for (size_t i = 0; i < nc; i++)
                if (fabs(cx[i] - x) < 0.05) {
                    cr_assert(y >= cy[i] - 0.15,
                              "fit above the ceiling at x = %.1f", x);
                    checked++;
                }
        }
    }
    cr_assert_geq(pieces, 1);
    cr_assert_gt(checked, 50);
    free(svg);
    dr_scale_result_destroy(r);
}

/* The y of a polyline (x sorted) at x, as the renderer draws it: straight
 * between its vertices; NAN outside it. */
static double polyline_y(const double *x, const double *y, size_t n,
                         double at) {
    for (size_t i = 0; i + 1 < n; i++)
        if (x[i] <= at && at <= x[i + 1])
            return x[i + 1] == x[i] ? y[i]
                                    : y[i] + (y[i + 1] - y[i]) * (at - x[i]) /
                                                 (x[i + 1] - x[i]);
    return NAN;
}

Test(scaling_output, the_measured_line_is_never_drawn_above_the_ceiling) {
    /* The speedup runs along the ceiling min(P, 4): 1, 2, 3.9, 4, 4.  On
     * the efficiency plot the ceiling min(P, 4)/P is a curve (4/P beyond
     * P = 4); a straight segment from 97.5% at 4 to 50% at 8 cut above it
     * (74% against 71% at P = 5.7). */
    unsigned p[] = {1, 2, 4, 8, 16};
    double t[] = {1, 0.5, 1 / 3.9, 0.25, 0.25};
    dr_scale_result *r = synthetic(p, t, 5, 64, 4, 1, 100);
    r->simulated = 1;
    cr_assert_eq(dr_scale_analyse(r), 0);
    char *plots[] = {dr_scale_efficiency_svg(r), dr_scale_speedup_svg(r)};
    for (size_t k = 0; k < 2; k++) {
        char *svg = plots[k];
        static double mx[4096], my[4096], cx[4096], cy[4096];
        size_t nm = polyline_of(svg, "#1f5fbf", mx, my, 4096);
        size_t nc = polyline_of(svg, "#c0392b", cx, cy, 4096);
        cr_assert_geq(nc, 100);
        size_t checked = 0;
        /* Wherever either line has a vertex, the measured line is on or
         * under the ceiling (SVG y grows downwards). */
        for (size_t i = 0; i < nc + nm; i++) {
            double x = i < nc ? cx[i] : mx[i - nc];
            double m = polyline_y(mx, my, nm, x), c = polyline_y(cx, cy, nc, x);
            if (!isfinite(m) || !isfinite(c))
                continue;
            cr_assert(m >= c - 0.25,
                      "%s: measured line above the ceiling at x = %.1f: "
                      "%.1f < %.1f\n%s",
                      k ? "speedup" : "efficiency", x, m, c, svg);
            checked++;
        }
        cr_assert_gt(checked, 100);
        free(svg);
    }
    dr_scale_result_destroy(r);
}

Test(scaling_output, the_weak_speedup_label_is_the_plotted_formula) {
    /* Simulated weak scaling with a reduction of 1 in 4P + 1 tasks: at
     * P = 4 the work grew 17/5-fold, not 4-fold, and the plotted value is
     * 17/5 = 3.4; the label must say so, not P·T(1)/T(P) = 4. */
    unsigned p[] = {1, 2, 4};
    double t[] = {5, 5, 5};
    dr_scale_result *r = synthetic(p, t, 3, 2, 1000, 5, 5);
    r->mode = DR_SCALE_WEAK;
    r->simulated = 1;
    r->points[1].work = 9;
    r->points[2].work = 17;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->points[2].speedup, 3.4, 1e-9);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "scaled speedup T(1)·W(P)/(W(1)·T(P))") != NULL, "%s",
              svg);
    cr_assert(strstr(svg, "P·T(1)/T(P)") == NULL, "%s", svg);
    cr_assert(strstr(svg, "P = 4: scaled speedup 3.4<") != NULL, "%s", svg);
    free(svg);
    /* Measured: the textbook P·T(1)/T(P) is what is plotted. */
    r->simulated = 0;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_float_eq(r->points[2].speedup, 4, 1e-9);
    svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "scaled speedup P·T(1)/T(P)") != NULL, "%s", svg);
    free(svg);
    dr_scale_result_destroy(r);
}

Test(scaling_output, waiting_tasks_are_not_shaded_oversubscribed) {
    /* Sleeping tasks on 2 cores: 8 workers give 7.5, the lesson is that
     * waiting tasks gain from more workers than cores. */
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {8, 4, 2, 1.07};
    dr_scale_result *r = synthetic(p, t, 4, 2, 100, 8, 8);
    r->cpu_tasks = 0;
    cr_assert_eq(dr_scale_analyse(r), 0);
    for (size_t i = 0; i < r->npoints; i++)
        cr_assert_eq(r->points[i].oversubscribed, 0);
    char *svg[2] = {dr_scale_speedup_svg(r), dr_scale_efficiency_svg(r)};
    for (int i = 0; i < 2; i++) {
        cr_assert(strstr(svg[i], "oversubscribed") == NULL, "%s", svg[i]);
        free(svg[i]);
    }
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "oversubscribed") == NULL, "%s", md);
    cr_assert(strstr(md, "| 8 * |") == NULL, "%s", md);
    free(md);
    cr_assert(strstr(r->verdict, "oversubscribed") == NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "exceeds the 2 cores: the tasks wait") != NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);

    /* The same timings of computing tasks are oversubscribed. */
    r = synthetic(p, t, 4, 2, 100, 8, 8);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->points[3].oversubscribed, 1);
    char *s = dr_scale_speedup_svg(r);
    cr_assert(strstr(s, "oversubscribed (&gt; 2 cores)") != NULL);
    free(s);
    dr_scale_result_destroy(r);
}

Test(scaling_cli, a_sleeping_graph_measured_is_not_oversubscribed,
     .timeout = 120) {
    char *dir = drt_tmpdir();
    /* web-requests sleeps; percent=2 makes its waits 20-60 ms. */
    cr_assert_eq(drt_cli(NULL, NULL,
                         "scale %s/examples/web-requests.json --set "
                         "percent=2 -w 1,2,4,8 -r 1 -q -o %s/s",
                         DR_SOURCE_DIR, dir),
                 0);
    char *svg = read_in("%s/s/speedup.svg", dir);
    cr_assert_not_null(svg);
    cr_assert(strstr(svg, "oversubscribed") == NULL, "%s", svg);
    json_t *j = json_in("%s/s/scaling.json", dir);
    cr_assert(json_is_false(json_object_get(j, "cpu_tasks")));
    cr_assert(json_is_false(json_object_get(j, "busy")));
    json_decref(j);
    free(svg);
    drt_rmtree(dir);
    free(dir);
}

/* --------------------------------------- verdicts: the critical path */

Test(scaling_verdict, a_critical_path_plateau_is_not_explained_by_amdahl) {
    /* The π simulation: 16 chunks of unequal length, speedup levels off
     * at T1/T-inf = 11.51 from 16 workers on. */
    unsigned p[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    double t[9];
    for (size_t i = 0; i < 9; i++)
        t[i] = p[i] < 16 ? 1.0 / (p[i] * (1 - 0.02 * log2(p[i]))) : 1.0 / 11.51;
    dr_scale_result *r = synthetic(p, t, 9, 2, 11.51, 1, 17);
    r->simulated = 1;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->cp_limited, 1);
    cr_assert(strstr(r->verdict, "the critical path limits speedup to "
                                 "11.51") != NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "Amdahl's law fits") == NULL, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "no number of workers") == NULL, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "Amdahl's law is not the explanation") != NULL,
              "%s", r->verdict);
    char *svg[2] = {dr_scale_speedup_svg(r), dr_scale_efficiency_svg(r)};
    for (int i = 0; i < 2; i++) {
        cr_assert(strstr(svg[i], "Amdahl fit") == NULL, "%s", svg[i]);
        free(svg[i]);
    }
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "not the explanation here") != NULL, "%s", md);
    free(md);
    dr_scale_result_destroy(r);
}

Test(scaling_verdict, a_critical_path_limit_in_weak_scaling_is_no_gustafson) {
    /* A graph that does not grow wide enough: at 16 workers T1/T-inf is 6
     * and the scaled speedup reaches 5.8. */
    unsigned p[] = {1, 2, 4, 8, 16};
    double t[] = {1, 1, 1.05, 1.4, 2.76};
    dr_scale_result *r = synthetic(p, t, 5, 64, 1000, 1, 10);
    r->mode = DR_SCALE_WEAK;
    r->simulated = 1;
    for (size_t i = 0; i < 5; i++)
        r->points[i].work = p[i];
    r->points[4].parallelism = 6;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(r->cp_limited);
    cr_assert(strstr(r->verdict, "critical path limits the scaled speedup to "
                                 "6.00") != NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "serial fraction s =") == NULL, "%s",
              r->verdict);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Gustafson fit") == NULL, "%s", svg);
    free(svg);
    dr_scale_result_destroy(r);
}

/* -------------------------------------- simulated tasks without a cost */

Test(scaling_sim, tasks_without_a_cost_are_warned_about, .timeout = 60) {
    char *dir = drt_tmpdir();
    /* pi's tasks have no cost: a simulation counts each as 1 s. */
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "scale %s/examples/pi.json --set chunks=4 --simulate "
                         "-w 1,2 -q -o %s/sim",
                         DR_SOURCE_DIR, dir),
                 0);
    /* Said on the terminal too, even with -q. */
    cr_assert(strstr(err, "dagrun scale: warning: 5 of 5 tasks have no "
                          "cost") != NULL,
              "%s", err);
    free(err);
    json_t *j = json_in("%s/sim/scaling.json", dir);
    cr_assert_not_null(j);
    const char *w = json_string_value(json_object_get(j, "warning"));
    cr_assert(w != NULL &&
                  strstr(w, "5 of 5 tasks have no cost, so the simulation "
                            "counted each as 1 s") != NULL &&
                  strstr(w, "--costs") != NULL,
              "%s", w ? w : "(no warning)");
    json_decref(j);
    char *md = read_in("%s/sim/scaling.md", dir);
    cr_assert(strstr(md, "**Warning.** 5 of 5 tasks have no cost") != NULL,
              "%s", md);
    free(md);
    char *html = read_in("%s/sim/report.html", dir);
    cr_assert(strstr(html, "<p class=\"warning\"><b>Warning.</b> 5 of 5") !=
              NULL);
    free(html);
    char *svg = read_in("%s/sim/speedup.svg", dir);
    cr_assert(strstr(svg, "Tasks without a cost counted as 1 s each") != NULL);
    free(svg);

    /* Measured durations (--costs) give every task one: no warning. */
    cr_assert_eq(drt_cli(NULL, NULL,
                         "run %s/examples/pi.json --set chunks=4 --set "
                         "samples=40000 -w 1 -q -o %s/one",
                         DR_SOURCE_DIR, dir),
                 0);
    cr_assert_eq(drt_cli(NULL, NULL,
                         "scale %s/examples/pi.json --set chunks=4 --costs "
                         "%s/one/trace.json -w 1,2 -q -o %s/costs",
                         DR_SOURCE_DIR, dir, dir),
                 0);
    j = json_in("%s/costs/scaling.json", dir);
    /* (A busy machine while pi-1 was measured is warned about, rightly.) */
    w = json_string_value(json_object_get(j, "warning"));
    cr_assert(w == NULL || strstr(w, "have no cost") == NULL, "%s", w);
    json_decref(j);

    /* Weak scaling with the trace of one worker: the tasks of the grown
     * graphs are not in it. */
    cr_assert_eq(
        drt_cli(NULL, NULL,
                "run %s/examples/pi-weak.json --set chunk_samples=1000 "
                "-w 1 -q -o %s/weak-one",
                DR_SOURCE_DIR, dir),
        0);
    cr_assert_eq(drt_cli(NULL, NULL,
                         "scale %s/examples/pi-weak.json --mode weak --costs "
                         "%s/weak-one/trace.json -w 1,2,4 -q -o %s/weak",
                         DR_SOURCE_DIR, dir, dir),
                 0);
    j = json_in("%s/weak/scaling.json", dir);
    w = json_string_value(json_object_get(j, "warning"));
    cr_assert(w != NULL && strstr(w, "12 of 17 tasks (at 4 workers) have no "
                                     "cost") != NULL,
              "%s", w ? w : "(no warning)");
    json_decref(j);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------ worker lists */

Test(scaling_cli, a_range_is_every_count_and_x2_doubles) {
    char *dir = drt_tmpdir();
    struct {
        const char *list;
        const char *counts;
    } ok[] = {{"1-4", "1,2,3,4"},
              {"2-3", "1,2,3"},
              {"1-16x2", "1,2,4,8,16"},
              {"3-12x2", "1,3,6,12"},
              {"1-3,8-32x2", "1,2,3,8,16,32"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        cr_assert_eq(drt_cli(NULL, NULL,
                             "scale %s/examples/lecture.json --simulate -w %s "
                             "-q -o %s/s",
                             DR_SOURCE_DIR, ok[i].list, dir),
                     0, "%s", ok[i].list);
        json_t *j = json_in("%s/s/scaling.json", dir);
        char got[256] = "";
        size_t k;
        json_t *pt;
        json_array_foreach(json_object_get(j, "points"), k, pt) {
            snprintf(
                got + strlen(got), sizeof(got) - strlen(got), "%s%lld",
                k ? "," : "",
                (long long)json_integer_value(json_object_get(pt, "workers")));
        }
        cr_assert_str_eq(got, ok[i].counts, "-w %s", ok[i].list);
        json_decref(j);
    }
    struct {
        const char *list;
        const char *says;
    } bad[] = {{"1-100x2", "'1-100x2': 100 is not 1 doubled (1, 2, 4, ...); "
                           "end the range at 64, or add 100 to the list: "
                           "'1-64x2,100'"},
               {"1-8x3", "only doubling ranges ('A-Bx2')"},
               {"1-300", "at most 256 worker counts"},
               {"8-2", "range '8-2' runs backwards"},
               {"1-x2", "expected a whole number"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *err = NULL;
        cr_assert_eq(drt_cli(NULL, &err,
                             "scale %s/examples/lecture.json --simulate -w %s "
                             "-q -o %s/s",
                             DR_SOURCE_DIR, bad[i].list, dir),
                     2, "%s", bad[i].list);
        cr_assert(strstr(err, bad[i].says) != NULL, "-w %s: %s", bad[i].list,
                  err);
        free(err);
    }
    char *help = NULL;
    cr_assert_eq(drt_cli(&help, NULL, "scale --help"), 0);
    cr_assert(strstr(help, "'1-4' is") != NULL && strstr(help, "1,2,3,4"), "%s",
              help);
    cr_assert(strstr(help, "'1-64x2'") != NULL, "%s", help);
    free(help);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_verdict, efficiency_back_above_90_percent_is_not_a_fall) {
    /* Uneven durations: scaled efficiency 76% at 4 workers, 96.5% at 8.
     * "then falls to 96.5%" would contradict the 90% it names. */
    unsigned p[] = {1, 2, 4, 8};
    double t[] = {1, 1.0 / 0.95, 1.0 / 0.76, 1.0 / 0.965};
    dr_scale_result *r = synthetic(p, t, 4, 64, 1000, 1, 10);
    r->mode = DR_SCALE_WEAK;
    r->simulated = 1;
    for (size_t i = 0; i < 4; i++)
        r->points[i].work = p[i]; /* the work grows P-fold */
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(strstr(r->verdict, "Scaled efficiency stays at or above 90% up "
                                 "to 2 workers and falls to 76.0% at 4. It "
                                 "is back at 96.5% at 8 workers") != NULL,
              "%s", r->verdict);
    cr_assert(strstr(r->verdict, "falls to 96.5%") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}
