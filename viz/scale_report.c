/*
 * The files a scaling experiment leaves behind: scaling.csv for
 * spreadsheets, scaling.json for programs, scaling.md for people and
 * report.html bundling the table, the plots, the verdict and one Gantt
 * chart per worker count.
 *
 * Every writer reads a finished (analysed) dr_scale_result and nothing else.
 * A figure that does not apply (NAN) is an empty CSV cell, a JSON null and
 * a dash in the tables.  The HTML report is self-contained: the plots are
 * inline SVG (their element ids are distinct), the Gantt charts are data:
 * URIs so that ids inside them cannot collide with each other, and the CSS
 * is inline with print rules; nothing is fetched.
 */
#include "dagrun/scale.h"
#include "dagrun/viz.h"
#include "viz_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A number for a table: "-" when it does not apply. */
static void cell(dr__buf *b, const char *fmt, double v) {
    if (isfinite(v))
        dr__buf_printf(b, fmt, v);
    else
        dr__buf_printf(b, "-");
}

/* ------------------------------------------------------------------ CSV */

static const char *const csv_columns[] = {
    "workers",       "runs",        "makespan",    "makespan_min",
    "makespan_max",  "speedup",     "efficiency",  "scaled_efficiency",
    "utilization",   "idle",        "idle_tail",   "work",
    "span",          "parallelism", "lower_bound", "ceiling",
    "bound_ceiling", "karp_flatt",  "fit",         "oversubscribed",
    "baseline_only", "cpu_time",    "cpu_demand",  "uncosted"};

static void csv_num(dr__buf *b, double v) {
    if (isfinite(v))
        dr__buf_printf(b, ",%.9g", v);
    else
        dr__buf_printf(b, ",");
}

char *dr_scale_to_csv(const dr_scale_result *r) {
    dr__buf b = {0};
    for (size_t i = 0; i < sizeof(csv_columns) / sizeof(*csv_columns); i++)
        dr__buf_printf(&b, "%s%s", i ? "," : "", csv_columns[i]);
    dr__buf_printf(&b, "\n");
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        dr__buf_printf(&b, "%u,%u", p->workers, p->runs);
        double v[] = {p->makespan,    p->makespan_min, p->makespan_max,
                      p->speedup,     p->efficiency,   p->scaled_efficiency,
                      p->utilization, p->idle,         p->idle_tail,
                      p->work,        p->span,         p->parallelism,
                      p->lower_bound, p->ceiling,      p->bound_ceiling,
                      p->karp_flatt,  p->amdahl};
        for (size_t k = 0; k < sizeof(v) / sizeof(*v); k++)
            csv_num(&b, v[k]);
        dr__buf_printf(&b, ",%d,%d", p->oversubscribed, p->baseline_only);
        csv_num(&b, p->cpu_time);
        csv_num(&b, p->cpu_demand);
        dr__buf_printf(&b, ",%zu\n", p->uncosted);
    }
    return dr__buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ JSON */

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

/* scaling.json fit.status: "busy" (nothing fitted), "too_few_points"
 * (below DR_SCALE_FIT_MIN_POINTS), "no_fit" (R^2 below
 * DR_SCALE_FIT_MIN_R2), "cp_limited" (fitted but not the explanation) or
 * "fits". */
static const char *fit_status(const dr_scale_result *r) {
    int weak = r->mode == DR_SCALE_WEAK;
    double r2 = weak ? r->gustafson_r2 : r->amdahl_r2;
    if (r->busy)
        return "busy";
    if (r->fit_points + 1 < DR_SCALE_FIT_MIN_POINTS)
        return "too_few_points";
    if (!(r2 >= DR_SCALE_FIT_MIN_R2))
        return "no_fit";
    return r->cp_limited ? "cp_limited" : "fits";
}

/* The line under the tables about the fit, or NULL when there is none to
 * print (a fit that fits: the caller prints its figures). */
static const char *fit_refusal(const dr_scale_result *r, char *buf,
                               size_t len) {
    const char *st = fit_status(r);
    int weak = r->mode == DR_SCALE_WEAK;
    if (strcmp(st, "busy") == 0)
        snprintf(buf, len,
                 "No law is fitted: the machine was busy (see the verdict).");
    else if (strcmp(st, "too_few_points") == 0)
        snprintf(buf, len,
                 "Too few points to fit %s law: it needs %d worker counts "
                 "(P = 1 and %d more).",
                 weak ? "Gustafson's" : "Amdahl's", DR_SCALE_FIT_MIN_POINTS,
                 DR_SCALE_FIT_MIN_POINTS - 1);
    else if (strcmp(st, "no_fit") == 0)
        snprintf(buf, len,
                 "No law fits these points: %s law gives R² = %.2f, below "
                 "%.1f.",
                 weak ? "Gustafson's" : "Amdahl's",
                 weak ? r->gustafson_r2 : r->amdahl_r2, DR_SCALE_FIT_MIN_R2);
    else
        return NULL;
    return buf;
}

json_t *dr_scale_to_json(const dr_scale_result *r) {
    json_t *points = json_array();
    int weak = r->mode == DR_SCALE_WEAK;
    for (size_t i = 0; points != NULL && i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        json_t *o = json_pack(
            "{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
            "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:I}",
            "workers", (json_int_t)p->workers, "runs", (json_int_t)p->runs,
            "makespan", num(p->makespan), "makespan_min", num(p->makespan_min),
            "makespan_max", num(p->makespan_max), "speedup", num(p->speedup),
            "efficiency", num(p->efficiency), "scaled_efficiency",
            num(p->scaled_efficiency), "utilization", num(p->utilization),
            "idle", num(p->idle), "idle_tail", num(p->idle_tail), "work",
            num(p->work), "span", num(p->span), "parallelism",
            num(p->parallelism), "lower_bound", num(p->lower_bound), "ceiling",
            num(p->ceiling), "bound_ceiling", num(p->bound_ceiling),
            "karp_flatt", num(p->karp_flatt), "fit", num(p->amdahl),
            "latency_mean", num(p->latency_mean), "oversubscribed",
            p->oversubscribed, "baseline_only", p->baseline_only, "tasks",
            (json_int_t)p->ntasks);
        if (o != NULL &&
            (json_object_set_new(o, "uncosted",
                                 json_integer((json_int_t)p->uncosted)) ||
             json_object_set_new(o, "wall", num(p->wall)) ||
             json_object_set_new(o, "cpu_time", num(p->cpu_time)) ||
             json_object_set_new(o, "cpu_demand", num(p->cpu_demand)) ||
             json_object_set_new(o, "machine_cpu", num(p->machine_cpu)) ||
             json_object_set_new(o, "load_after", num(p->load_after)) ||
             json_object_set_new(o, "ceiling_parallelism",
                                 num(p->ceiling_parallelism)) ||
             json_object_set_new(o, "overhead", num(p->overhead)) ||
             json_object_set_new(o, "task_median", num(p->task_median)))) {
            json_decref(o);
            o = NULL;
        }
        if (o == NULL || json_array_append_new(points, o) != 0) {
            json_decref(points);
            return NULL;
        }
    }
    json_t *fit =
        weak ? json_pack("{s:s, s:o, s:o, s:I, s:s}", "law", "gustafson",
                         "serial_fraction", num(r->gustafson_s), "r2",
                         num(r->gustafson_r2), "points",
                         (json_int_t)r->fit_points, "status", fit_status(r))
             : json_pack("{s:s, s:o, s:o, s:I, s:s}", "law", "amdahl",
                         "serial_fraction", num(r->amdahl_f), "r2",
                         num(r->amdahl_r2), "points", (json_int_t)r->fit_points,
                         "status", fit_status(r));
    return json_pack(
        "{s:s, s:s, s:b, s:s, s:I, s:b, s:b, s:o, s:b, s:b, "
        "s:o, s:o, s:o, s:o, s:b, s:o, s:s, s:o}",
        "graph", r->graph ? r->graph : "", "mode", dr_scale_mode_name(r->mode),
        "simulated", r->simulated, "policy", r->policy ? r->policy : "",
        "cores", (json_int_t)r->cores, "baseline_added", r->baseline_added,
        "cpu_tasks", r->cpu_tasks, "load_before", num(r->load_before), "busy",
        r->busy, "cp_limited", r->cp_limited, "fit", fit, "task_mean",
        num(r->task_mean), "task_overhead", num(r->task_overhead),
        "task_median", num(r->task_median), "fine_grained", r->fine_grained,
        "warning", r->warning ? json_string(r->warning) : json_null(),
        "verdict", r->verdict ? r->verdict : "", "points", points);
}

/* -------------------------------------------------------------- Markdown */

static int any_oversubscribed(const dr_scale_result *r) {
    for (size_t i = 0; i < r->npoints; i++)
        if (r->points[i].oversubscribed)
            return 1;
    return 0;
}

/* Why a computed fit is not the explanation, after the formula. */
static const char *fit_caveat(const dr_scale_result *r) {
    return r->cp_limited ? "; not the explanation here and not drawn: the "
                           "critical path sets the plateau"
                         : "";
}

char *dr_scale_to_markdown(const dr_scale_result *r) {
    dr__buf b = {0};
    int weak = r->mode == DR_SCALE_WEAK;
    dr__buf_printf(&b, "# %s scaling of %s\n\n", weak ? "Weak" : "Strong",
                   r->graph ? r->graph : "graph");
    dr__buf_printf(
        &b,
        "%s, policy %s, %u core%s on this machine; makespans are the "
        "median of the repeats.\n\n",
        r->simulated ? "Simulated (virtual clock)" : "Measured",
        r->policy ? r->policy : "?", r->cores, r->cores == 1 ? "" : "s");
    if (r->warning != NULL)
        dr__buf_printf(&b, "**Warning.** %s\n\n", r->warning);
    dr__buf_printf(
        &b,
        "| P | runs | makespan (s) | min | max | %s | %s |%s utilisation "
        "| idle (w·s) | idle tail (w·s) | T1/T∞ | ceiling | Karp–Flatt |\n",
        weak ? "scaled speedup" : "speedup", "efficiency",
        weak ? " scaled efficiency |" : "");
    dr__buf_printf(&b,
                   "|--:|--:|--:|--:|--:|--:|--:|%s--:|--:|--:|--:|--:|--:|\n",
                   weak ? "--:|" : "");
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        dr__buf_printf(
            &b, "| %u%s | %u | ", p->workers,
            p->oversubscribed ? " *" : (p->baseline_only ? " †" : ""), p->runs);
        cell(&b, "%.4g", p->makespan);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.4g", p->makespan_min);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.4g", p->makespan_max);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.2f", p->speedup);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.0f%%", p->efficiency * 100);
        dr__buf_printf(&b, " | ");
        if (weak) {
            cell(&b, "%.0f%%", p->scaled_efficiency * 100);
            dr__buf_printf(&b, " | ");
        }
        cell(&b, "%.0f%%", p->utilization * 100);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.3g", p->idle);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.3g", p->idle_tail);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.2f", p->parallelism);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.2f", p->ceiling);
        dr__buf_printf(&b, " | ");
        cell(&b, "%.3f", p->karp_flatt);
        dr__buf_printf(&b, " |\n");
    }
    if (any_oversubscribed(r))
        dr__buf_printf(
            &b,
            "\n\\* oversubscribed: more workers than the machine's %u "
            "cores.\n",
            r->cores);
    if (r->baseline_added)
        dr__buf_printf(
            &b, "\n† P = 1 was not asked for; it was run as the baseline.\n");
    char refusal[256];
    if (fit_refusal(r, refusal, sizeof(refusal)) != NULL)
        dr__buf_printf(&b, "\n%s\n", refusal);
    else if (weak && isfinite(r->gustafson_s))
        dr__buf_printf(
            &b,
            "\nGustafson fit: serial fraction s = %.4g (R² = %.3f), scaled "
            "speedup S(P) = P − s(P − 1)%s.\n",
            r->gustafson_s, r->gustafson_r2, fit_caveat(r));
    else if (!weak && isfinite(r->amdahl_f))
        dr__buf_printf(
            &b,
            "\nAmdahl fit: serial fraction f = %.4g (R² = %.3f), speedup "
            "S(P) = 1 / (f + (1 − f)/P)%s.\n",
            r->amdahl_f, r->amdahl_r2, fit_caveat(r));
    dr__buf_printf(&b, "\n**Verdict.** %s\n", r->verdict ? r->verdict : "");
    return dr__buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ HTML */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(dr__buf *b, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n && !b->oom; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        dr__buf_printf(b, "%c%c%c%c", b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                       i + 1 < n ? b64[(v >> 6) & 63] : '=',
                       i + 2 < n ? b64[v & 63] : '=');
    }
}

static const char css[] =
    "body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;"
    "max-width:1100px;color:#222;padding:0 1em}"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;"
    "border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;font-size:.9em;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
    "td{white-space:nowrap}"
    "th{background:#f3f3f3}tr.over td{background:#fbecec}"
    ".verdict{background:#eef4fb;border-left:4px solid #1f5fbf;"
    "padding:.6em 1em}"
    ".warning{background:#fbeeee;border-left:4px solid #b03a2e;"
    "padding:.6em 1em}"
    ".plots svg{max-width:100%;height:auto;margin-right:1em}"
    "img.gantt{max-width:100%;border:1px solid #ddd}"
    "dt{font-weight:bold;margin-top:.4em}dd{margin-left:1.5em}"
    "@media print{body{margin:0;max-width:none}"
    "section.gantt{page-break-inside:avoid}"
    ".plots svg{page-break-inside:avoid}}";

static const char definitions[] =
    "<dl>"
    "<dt>makespan T(P)</dt><dd>wall-clock (or virtual) time of the run with "
    "P workers; the median of the repeats, with min and max.</dd>"
    "<dt>speedup S(P)</dt><dd>strong scaling: T(1)/T(P).  Weak scaling: "
    "Gustafson's scaled speedup, the time one worker would need for the "
    "grown problem over the time P workers took: T(1)·(W(P)/W(1))/T(P) "
    "with the exact work W of a simulation; P·T(1)/T(P) when measured.</dd>"
    "<dt>efficiency</dt><dd>S(P)/P: the share of the workers' time that "
    "turned into speedup.</dd>"
    "<dt>scaled efficiency</dt><dd>weak scaling: T(1)/T(P); 1 when P "
    "workers do P times the work in the same time.</dd>"
    "<dt>utilisation</dt><dd>work / (P · makespan): busy share of the "
    "worker-seconds.</dd>"
    "<dt>idle, idle tail</dt><dd>worker-seconds without a task; the tail is "
    "the part after a worker's last task, which an elastic cluster could "
    "have released.</dd>"
    "<dt>T1/T∞</dt><dd>average parallelism: total work over the critical "
    "path (span).  No schedule beats it.</dd>"
    "<dt>ceiling</dt><dd>min(P, T1/T∞): the speedup the graph allows with P "
    "workers.</dd>"
    "<dt>Amdahl fit</dt><dd>the serial fraction f that best explains "
    "1/S = f + (1−f)/P (least squares); the speedup never exceeds 1/f.</dd>"
    "<dt>Karp–Flatt e(P)</dt><dd>(1/S − 1/P)/(1 − 1/P): the serial fraction "
    "implied by one measurement.  Constant e: a real serial part; e growing "
    "with P: overhead that grows with the workers.</dd>"
    "<dt>Gustafson fit</dt><dd>weak scaling: the s in S(P) = P − s(P−1).</dd>"
    "<dt>oversubscribed</dt><dd>more workers than cores for tasks that "
    "compute (spin, pi, C functions): they share the cores and take longer. "
    "Tasks that wait (sleep, I/O) are never oversubscribed.</dd>"
    "<dt>busy machine</dt><dd>other programs took CPU time from the runs: "
    "the computing tasks got less than 80% of the CPU time they needed, or "
    "other programs used half a core or more.  No law is fitted then.</dd>"
    "</dl>";

static void html_table(dr__buf *b, const dr_scale_result *r) {
    int weak = r->mode == DR_SCALE_WEAK;
    dr__buf_printf(
        b,
        "<table><tr><th>P</th><th>runs</th><th>makespan (s)</th>"
        "<th>min</th><th>max</th><th>%s</th><th>efficiency</th>%s"
        "<th>utilisation</th><th>idle (w·s)</th><th>idle tail (w·s)</th>"
        "<th>T1/T∞</th><th>ceiling</th><th>Karp–Flatt</th></tr>\n",
        weak ? "scaled speedup" : "speedup",
        weak ? "<th>scaled efficiency</th>" : "");
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        dr__buf_printf(
            b, "<tr%s><td>%u%s</td><td>%u</td><td>",
            p->oversubscribed ? " class=\"over\"" : "", p->workers,
            p->oversubscribed ? " *" : (p->baseline_only ? " †" : ""), p->runs);
        cell(b, "%.4g", p->makespan);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.4g", p->makespan_min);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.4g", p->makespan_max);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.2f", p->speedup);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.0f%%", p->efficiency * 100);
        dr__buf_printf(b, "</td><td>");
        if (weak) {
            cell(b, "%.0f%%", p->scaled_efficiency * 100);
            dr__buf_printf(b, "</td><td>");
        }
        cell(b, "%.0f%%", p->utilization * 100);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.3g", p->idle);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.3g", p->idle_tail);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.2f", p->parallelism);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.2f", p->ceiling);
        dr__buf_printf(b, "</td><td>");
        cell(b, "%.3f", p->karp_flatt);
        dr__buf_printf(b, "</td></tr>\n");
    }
    dr__buf_printf(b, "</table>\n");
    if (any_oversubscribed(r))
        dr__buf_printf(
            b,
            "<p>* oversubscribed: more workers than the machine's %u "
            "cores.</p>\n",
            r->cores);
    if (r->baseline_added)
        dr__buf_printf(b, "<p>† P = 1 was not asked for; it was run as the "
                          "baseline.</p>\n");
}

static void html_gantts(dr__buf *b, const dr_scale_result *r) {
    int any = 0;
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        if (p->trace == NULL)
            continue;
        dr_gantt_options o;
        dr_gantt_options_init(&o);
        o.width = 1000;
        char *svg = NULL;
        size_t len = 0;
        if (dr_viz_gantt_svg(p->trace, p->summary, &o, &svg, &len, NULL) != 0)
            continue;
        if (!any)
            dr__buf_printf(
                b, "<h2>Timelines</h2>\n<p>One Gantt chart per worker count "
                   "(the median run): idle gaps and idle tails show where "
                   "workers waited.</p>\n");
        any = 1;
        dr__buf_printf(b, "<section class=\"gantt\"><h3>P = %u%s</h3>\n",
                       p->workers,
                       p->oversubscribed ? " (oversubscribed)" : "");
        dr__buf_printf(
            b,
            "<img class=\"gantt\" alt=\"Gantt chart with %u workers\" "
            "src=\"data:image/svg+xml;base64,",
            p->workers);
        put_base64(b, (const unsigned char *)svg, len);
        dr__buf_printf(b, "\"></section>\n");
        free(svg);
    }
}

char *dr_scale_report_html(const dr_scale_result *r) {
    dr__buf b = {0};
    int weak = r->mode == DR_SCALE_WEAK;
    char title[512];
    snprintf(title, sizeof(title), "%s scaling of %s", weak ? "Weak" : "Strong",
             r->graph ? r->graph : "graph");
    dr__buf_printf(
        &b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>");
    dr__vbuf_xml(&b, title);
    dr__buf_printf(&b, "</title><style>%s</style></head><body>\n<h1>", css);
    dr__vbuf_xml(&b, title);
    dr__buf_printf(&b, "</h1>\n<p>%s runs, policy <code>",
                   r->simulated ? "Simulated (virtual "
                                  "clock)"
                                : "Measured");
    dr__vbuf_xml(&b, r->policy);
    dr__buf_printf(
        &b, "</code>, %u core%s on this machine; %s.</p>\n", r->cores,
        r->cores == 1 ? "" : "s",
        weak ? "the graph was re-expanded with workers = P at each point"
             : "the same graph at every worker count");
    if (r->warning != NULL) {
        dr__buf_printf(&b, "<p class=\"warning\"><b>Warning.</b> ");
        dr__vbuf_xml(&b, r->warning);
        dr__buf_printf(&b, "</p>\n");
    }
    dr__buf_printf(&b, "<p class=\"verdict\"><b>Verdict.</b> ");
    dr__vbuf_xml(&b, r->verdict);
    dr__buf_printf(&b, "</p>\n<h2>Plots</h2>\n<div class=\"plots\">\n");
    char *s1 = dr_scale_speedup_svg(r), *s2 = dr_scale_efficiency_svg(r);
    if (s1 == NULL || s2 == NULL)
        b.oom = 1;
    dr__buf_printf(&b, "%s%s</div>\n<h2>Table</h2>\n", s1 ? s1 : "",
                   s2 ? s2 : "");
    free(s1);
    free(s2);
    html_table(&b, r);
    char refusal[256];
    if (fit_refusal(r, refusal, sizeof(refusal)) != NULL)
        dr__buf_printf(&b, "<p>%s</p>\n", refusal);
    else if (weak && isfinite(r->gustafson_s))
        dr__buf_printf(&b, "<p>Gustafson fit: s = %.4g (R² = %.3f)%s.</p>\n",
                       r->gustafson_s, r->gustafson_r2, fit_caveat(r));
    else if (!weak && isfinite(r->amdahl_f) && r->cp_limited)
        dr__buf_printf(&b, "<p>Amdahl fit: f = %.4g (R² = %.3f)%s.</p>\n",
                       r->amdahl_f, r->amdahl_r2, fit_caveat(r));
    else if (!weak && isfinite(r->amdahl_f))
        dr__buf_printf(
            &b,
            "<p>Amdahl fit: f = %.4g (R² = %.3f); the speedup can never "
            "exceed 1/f = %.3g.</p>\n",
            r->amdahl_f, r->amdahl_r2,
            r->amdahl_f > 0 ? 1.0 / r->amdahl_f : INFINITY);
    html_gantts(&b, r);
    dr__buf_printf(&b, "<h2>What the figures mean</h2>\n%s\n</body></html>\n",
                   definitions);
    return dr__buf_take(&b, NULL);
}

/* ------------------------------------------------------------- writing */

static int write_text(const char *dir, const char *name, char *text,
                      dr_error *err) {
    if (text == NULL)
        return DR_ENOMEM;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int rc = dr_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int dr_scale_write(const dr_scale_result *r, const char *dir, dr_error *err) {
    int rc = dr_make_dirs(dir, err);
    if (rc != 0)
        return rc;
    int weak = r->mode == DR_SCALE_WEAK;
    if ((rc = write_text(dir, "scaling.csv", dr_scale_to_csv(r), err)) ||
        (rc = write_text(dir, "scaling.md", dr_scale_to_markdown(r), err)) ||
        (rc = write_text(dir, "speedup.svg", dr_scale_speedup_svg(r), err)) ||
        (rc = write_text(dir, weak ? "scaled-efficiency.svg" : "efficiency.svg",
                         dr_scale_efficiency_svg(r), err)) ||
        (rc = write_text(dir, "report.html", dr_scale_report_html(r), err)))
        return rc;
    json_t *j = dr_scale_to_json(r);
    if (j == NULL)
        return DR_ENOMEM;
    char path[4096];
    snprintf(path, sizeof(path), "%s/scaling.json", dir);
    rc = dr_write_json_atomic(path, j, JSON_INDENT(2) | JSON_REAL_PRECISION(9),
                              err);
    json_decref(j);
    for (size_t i = 0; rc == 0 && i < r->npoints; i++) {
        const dr_scale_point *p = &r->points[i];
        if (p->trace == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/trace-P%u.json", dir, p->workers);
        rc = dr_write_json_atomic(path, p->trace, JSON_COMPACT, err);
        if (rc == 0 && p->summary != NULL) {
            snprintf(path, sizeof(path), "%s/summary-P%u.json", dir,
                     p->workers);
            rc = dr_write_json_atomic(path, p->summary, JSON_INDENT(2), err);
        }
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s/gantt-P%u.svg", dir, p->workers);
            /* A trace the visualiser cannot draw only loses the picture. */
            (void)dr_viz_gantt_write(p->trace, p->summary, NULL, path, NULL);
        }
    }
    return rc;
}
