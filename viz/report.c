/*
 * The HTML run report: one self-contained file with inline CSS and inline
 * SVG, so it opens anywhere, offline, and prints cleanly.  Nothing is fetched:
 * no scripts, fonts, images or style sheets from elsewhere (a test checks).
 *
 * Figures come from summary.json when given (the scheduler's own numbers);
 * what the trace alone can tell (makespan, work, per-worker busy and idle
 * time, the slowest attempts) is computed here, so a report can also be
 * drawn from a bare trace.  The pictures are the same ones `dagrun viz` and
 * `dagrun gantt` draw.
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every rule is scoped so that it cannot reach inside the embedded SVGs
 * (the Gantt chart's bars are <rect class="bar">, and a rule `.bar` once
 * squashed them to 10 pixels): the report's own classes carry the prefix
 * "rp-", which no picture uses, element rules name HTML elements only, and
 * the universal rule excludes SVG content.  The only rule that touches an
 * <svg> element sizes the element itself, never what is inside. */
static const char css[] =
    ":root{--ink:#1B1F23;--muted:#5A6570;--line:#DDE2E7;--accent:#4E79A7;"
    "--bad:#D62728;--intr:#8A5A00}\n"
    ":not(svg,svg *){box-sizing:border-box}\n"
    "body{margin:0;background:#F5F7F9;color:var(--ink);font:15px/1.5 "
    "system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif}\n"
    "main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}\n"
    "header h1{font-size:26px;margin:8px 0 2px}\n"
    "header p{margin:0;color:var(--muted)}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:16px 20px;margin:18px 0}\n"
    "h2{font-size:18px;margin:0 0 10px}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px}\n"
    "th,td{text-align:left;padding:5px 10px;border-bottom:1px solid "
    "var(--line);vertical-align:top}\n"
    "th{color:var(--muted);font-weight:600}\n"
    "td.rp-num,th.rp-num{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "td.rp-why{color:var(--muted)}\n"
    "div.rp-facts{display:flex;flex-wrap:wrap;gap:8px 28px}\n"
    "div.rp-facts div{min-width:120px}div.rp-facts b{display:block;"
    "font-size:20px}\n"
    "div.rp-facts span{color:var(--muted);font-size:13px}\n"
    "div.rp-share{background:#E9EDF1;border-radius:3px;height:10px;"
    "min-width:120px}\n"
    "div.rp-share i{display:block;height:10px;border-radius:3px;"
    "background:var(--accent)}\n"
    "p.rp-warn{color:#8A4B00;background:#FFF4E0;border:1px solid #F2CC8F;"
    "border-radius:6px;padding:6px 10px}\n"
    "div.rp-figure{overflow-x:auto}div.rp-figure>svg{max-width:100%;"
    "height:auto}\n"
    "div.rp-figure.rp-natural>svg{max-width:none}\n"
    "pre{background:#F6F8FA;border:1px solid var(--line);border-radius:6px;"
    "padding:8px 10px;font-size:12px;white-space:pre-wrap;margin:4px 0 12px}\n"
    "span.rp-bad,td.rp-bad{color:var(--bad);font-weight:600}\n"
    "span.rp-intr,td.rp-intr{color:var(--intr);font-weight:600}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center}\n"
    "@media print{body{background:#fff;font-size:11pt}main{max-width:none;"
    "padding:0}section{border:none;padding:0;margin:0 0 14pt;"
    "break-inside:avoid}div.rp-figure{overflow:visible}"
    "h2{break-after:avoid}}\n";

const char *dr__viz_report_css(void) { return css; }

/* A figure of the summary in [lo, hi], or dflt when it is absent, of the
 * wrong type or out of range (the command line refuses such a summary;
 * here it is left out rather than printed as "inf"). */
static double fig(const json_t *s, const char *key, double lo, double hi,
                  double dflt) {
    double v;
    return dr__vsummary_num(s, key, lo, hi, &v) ? v : dflt;
}

#define TIME_MAX DBL_MAX /* seconds: any finite time (dr__vsummary_check) */

static void put_time(dr__buf *b, double seconds) {
    char t[48];
    dr__vfmt_time(t, sizeof(t), seconds * 1e6);
    dr__buf_puts(b, t);
}

/* Appends an SVG document without its XML prolog and DOCTYPE. */
static void put_svg(dr__buf *b, const char *svg) {
    const char *s = strstr(svg, "<svg");
    dr__buf_puts(b, s ? s : svg);
}

static void metric(dr__buf *b, const char *name, const char *value,
                   const char *why) {
    dr__buf_printf(b,
                   "<tr><th>%s</th><td class=\"rp-num\">%s</td>"
                   "<td class=\"rp-why\">%s</td></tr>\n",
                   name, value, why);
}

/* A number as text: `fmt` while it is short, three significant digits
 * beyond, a dash when unknown (NaN) or not finite. */
static void fmt_num(char *t, size_t len, const char *fmt, double v) {
    if (!isfinite(v))
        snprintf(t, len, "\xE2\x80\x94");
    else if (fabs(v) >= 1e9)
        snprintf(t, len, "%.3g", v);
    else
        snprintf(t, len, fmt, v);
}

/* A time in seconds as text, a dash when unknown. */
static void fmt_time_or_dash(char *t, size_t len, double s) {
    if (!isfinite(s))
        snprintf(t, len, "\xE2\x80\x94");
    else
        dr__vfmt_time(t, len, s * 1e6);
}

static void metric_time(dr__buf *b, const char *name, double s,
                        const char *why) {
    char t[48];
    fmt_time_or_dash(t, sizeof(t), s);
    metric(b, name, t, why);
}

static void metric_num(dr__buf *b, const char *name, double v, const char *fmt,
                       const char *why) {
    char t[64];
    fmt_num(t, sizeof(t), fmt, v);
    metric(b, name, t, why);
}

static int by_dur_desc(const void *pa, const void *pb) {
    const dr__vattempt *a = *(const dr__vattempt *const *)pa,
                       *b = *(const dr__vattempt *const *)pb;
    if (a->dur != b->dur)
        return a->dur > b->dur ? -1 : 1;
    return strcmp(a->task, b->task);
}

/* "1.5 MB", "340 kB", "512 bytes" (decimal units, as the printed summary
 * writes them). */
static void fmt_bytes(char *t, size_t len, double n) {
    if (n < 1000)
        snprintf(t, len, "%.0f byte%s", n, n == 1 ? "" : "s");
    else if (n < 1e6)
        snprintf(t, len, "%.3g kB", n / 1e3);
    else if (n < 1e9)
        snprintf(t, len, "%.3g MB", n / 1e6);
    else
        snprintf(t, len, "%.3g GB", n / 1e9);
}

/* "Data moved": what worker processes were sent and sent back, from
 * summary.json's `transfer`, else summed from the trace's attempts; no
 * row when nothing moved (threads, sync). */
static void data_moved_row(dr__buf *b, const json_t *s, const dr__vtrace *t) {
    double bytes = t->bytes_moved, messages = 2.0 * (double)t->moved,
           send = t->send_total / 1e6, recv = t->recv_total / 1e6;
    const json_t *x = json_object_get(s, "transfer");
    if (json_is_object(x)) {
        bytes = fig(x, "bytes_sent", 0, DBL_MAX, 0) +
                fig(x, "bytes_received", 0, DBL_MAX, 0);
        messages = fig(x, "messages", 0, DBL_MAX, 0);
        send = fig(x, "send_seconds", 0, TIME_MAX, 0);
        recv = fig(x, "receive_seconds", 0, TIME_MAX, 0);
    }
    if (!(bytes > 0 || messages > 0 || send > 0 || recv > 0))
        return;
    char v[200], by[48], ts[48], tr[48];
    fmt_bytes(by, sizeof(by), bytes);
    dr__vfmt_time(ts, sizeof(ts), send * 1e6);
    dr__vfmt_time(tr, sizeof(tr), recv * 1e6);
    snprintf(v, sizeof(v), "%s in %.0f messages", by, messages);
    dr__buf_printf(b,
                   "<tr id=\"data-moved\"><th>Data moved</th><td "
                   "class=\"rp-num\">%s</td><td class=\"rp-why\">Task "
                   "messages (inputs) sent to the worker %s and "
                   "result messages received from them; %s sending, %s "
                   "receiving, inside the attempts' times (the darker ends "
                   "of the Gantt bars).</td></tr>\n",
                   v, strcmp(t->executor, "mpi") == 0 ? "ranks" : "processes",
                   ts, tr);
}

static void fact(dr__buf *b, const char *label, const char *value) {
    dr__buf_puts(b, "<div><b>");
    dr__vbuf_xml(b, value);
    dr__buf_printf(b, "</b><span>%s</span></div>\n", label);
}

/* The parameters the graph was made with, in the header: "Parameters:
 * workers=2, n=1000000, chunks=4 (--set)", from summary.json's `params` and
 * `params_set`, else the trace's otherData (added with the summary's
 * parameters; scheduler/metrics.c prints the same line).  Nothing when
 * there are none; values that are not integers are left out. */
static void put_params(dr__buf *b, const json_t *s, const dr__vtrace *t) {
    const json_t *params = json_object_get(s, "params");
    const json_t *set = json_object_get(s, "params_set");
    if (!json_is_object(params)) {
        params = t->params;
        set = t->params_set;
    }
    if (!json_is_object(params) || json_object_size(params) == 0)
        return;
    dr__buf_puts(b, "<p class=\"rp-params\">Parameters: ");
    const char *name;
    json_t *value;
    size_t shown = 0;
    json_object_foreach((json_t *)params, name, value) {
        if (!json_is_integer(value))
            continue;
        if (shown++ == 50) {
            dr__buf_puts(b, ", \xE2\x80\xA6");
            break;
        }
        int by_set = 0;
        size_t i;
        json_t *n;
        json_array_foreach((json_t *)set, i, n) by_set |=
            json_is_string(n) && strcmp(json_string_value(n), name) == 0;
        dr__buf_puts(b, shown > 1 ? ", " : "");
        dr__vbuf_xml(b, name);
        dr__buf_printf(b, "=%lld%s", (long long)json_integer_value(value),
                       by_set ? " (--set)" : "");
    }
    dr__buf_puts(b, "</p>");
}

/* A list of task ids from the summary, as "a, b, c" (the first 50). */
static void put_ids(dr__buf *b, const json_t *list) {
    size_t n = json_array_size(list);
    for (size_t i = 0; i < n && i < 50; i++) {
        json_t *k = json_array_get(list, i);
        dr__buf_puts(b, i ? ", " : "");
        dr__vbuf_xml(b, json_is_string(k) ? json_string_value(k) : "?");
    }
    if (n > 50)
        dr__buf_printf(b, ", \xE2\x80\xA6 (%zu in all)", n);
}

/* The list under `key` when it is one, else NULL. */
static json_t *list_of(const json_t *s, const char *key) {
    json_t *l = json_object_get(s, key);
    return json_is_array(l) ? l : NULL;
}

/* Under the task table: the cached tasks, which are in no table of times
 * because they did not run (the summary's `cached` list, else the trace's
 * cached events; the first 50). */
static void put_cached(dr__buf *b, const json_t *s, const dr__vtrace *t) {
    json_t *list = list_of(s, "cached");
    size_t n = list != NULL ? json_array_size(list) : t->ncached;
    if (n == 0)
        return;
    dr__buf_printf(b,
                   "<p class=\"rp-cached\">%zu task%s cached: not run, %s "
                   "recorded result%s of an earlier run reused (--resume): ",
                   n, n == 1 ? "" : "s", n == 1 ? "its" : "their",
                   n == 1 ? "" : "s");
    if (list != NULL) {
        put_ids(b, list);
    } else {
        for (size_t i = 0; i < n && i < 50; i++) {
            dr__buf_puts(b, i ? ", " : "");
            dr__vbuf_xml(b, t->cached[i].task);
        }
        if (n > 50)
            dr__buf_printf(b, ", \xE2\x80\xA6 (%zu in all)", n);
    }
    dr__buf_puts(b, ".</p>");
}

static const char *status_class(dr__vstatus st) {
    return st == DR__V_OK            ? ""
           : st == DR__V_INTERRUPTED ? " class=\"rp-intr\""
                                     : " class=\"rp-bad\"";
}

/* The counts row of the summary table: tasks by what became of them, each
 * kind only when there is one (succeeded always). */
static void tasks_row(dr__buf *b, const json_t *s, const dr__vtrace *t) {
    char v[256];
    size_t ok = 0, failed = 0, intr = 0;
    for (size_t i = 0; i < t->n; i++) {
        ok += t->a[i].status == DR__V_OK;
        intr += t->a[i].status == DR__V_INTERRUPTED;
        failed +=
            t->a[i].status == DR__V_FAILED || t->a[i].status == DR__V_TIMEOUT;
    }
    const char *unit = "Attempts";
    size_t skipped = 0, not_run = 0, cached = t->ncached;
    if (s != NULL) {
        unit = "Tasks";
        ok = (size_t)fig(s, "succeeded", 0, 1e12, (double)ok);
        json_t *l;
        if ((l = list_of(s, "failed")) != NULL)
            failed = json_array_size(l);
        if ((l = list_of(s, "interrupted_tasks")) != NULL)
            intr = json_array_size(l);
        skipped = json_array_size(list_of(s, "skipped"));
        not_run = json_array_size(list_of(s, "not_run"));
        cached = (size_t)fig(s, "cached_tasks", 0, 1e12, (double)cached);
    }
    int n = snprintf(v, sizeof(v), "%zu succeeded", ok);
    const struct {
        size_t count;
        const char *word;
    } kinds[] = {{failed, "failed"},
                 {intr, "interrupted"},
                 {skipped, "skipped"},
                 {not_run, "not run"},
                 {cached, "cached"}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
        if (kinds[k].count > 0 && n > 0 && (size_t)n < sizeof(v))
            n += snprintf(v + n, sizeof(v) - (size_t)n, ", %zu %s",
                          kinds[k].count, kinds[k].word);
    /* One explanation per kind the row shows, saying what happened to it
     * (an interrupted run may have no interrupted task: nothing was
     * running when the signal came). */
    const char *said[6];
    size_t nsaid = 0;
    if (failed > 0)
        said[nsaid++] = s != NULL ? "Failed: every attempt failed or timed "
                                    "out."
                                  : "Failed: the attempt failed or timed out.";
    if (intr > 0)
        said[nsaid++] = "Interrupted: running when a signal stopped the run "
                        "(not failed; a rerun starts it again).";
    if (skipped > 0)
        said[nsaid++] = "Skipped: a dependency failed.";
    if (not_run > 0)
        said[nsaid++] =
            json_is_true(json_object_get(s, "interrupted"))
                ? "Not run: never started, because a signal stopped the run "
                  "first."
            : failed > 0 ? "Not run: never started, because the run stopped "
                           "after a failure (without --keep-going)."
                         : "Not run: never started, because the run stopped "
                           "first.";
    if (cached > 0)
        said[nsaid++] = "Cached: not run, the recorded result of an earlier "
                        "run reused (--resume).";
    if (nsaid == 0)
        said[nsaid++] = s != NULL ? "What became of the tasks: all of them "
                                    "succeeded."
                                  : "What became of the attempts: all of them "
                                    "succeeded.";
    char why[512] = "";
    for (size_t i = 0; i < nsaid; i++)
        snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
                 i ? " " : "", said[i]);
    metric(b, unit, v, why);
}

int dr_viz_report_html(const dr_graph *g, const json_t *trace,
                       const json_t *summary, const dr_viz_options *o,
                       char **html, size_t *len, dr_error *err) {
    if (html == NULL || trace == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    *html = NULL;
    dr__vtrace t;
    int rc = dr__vtrace_read(trace, &t, err);
    if (rc != 0)
        return rc;
    rc = dr__viz_report_html_with(g, &t, summary, o, NULL, html, len, err);
    dr__vtrace_free(&t);
    return rc;
}

int dr__viz_report_html_with(const dr_graph *g, const dr__vtrace *trace,
                             const json_t *summary, const dr_viz_options *o,
                             const char *dag_svg, char **html, size_t *len,
                             dr_error *err) {
    *html = NULL;
    int rc;
    if (g != NULL && (rc = dr__vtrace_check_graph(trace, g, err)) != 0)
        return rc;
    /* Read only: the attempts are the caller's. */
    const dr__vtrace t = *trace;
    const json_t *s = json_is_object(summary) ? summary : NULL;
    dr__buf b = {0};
    char v[256];

    /* What the trace alone says. */
    double work = 0, busy = 0, makespan = t.makespan / 1e6;
    size_t ok = 0, failed_attempts = 0, interrupted_attempts = 0;
    for (size_t i = 0; i < t.n; i++) {
        busy += t.a[i].dur / 1e6;
        if (t.a[i].status == DR__V_OK) {
            work += t.a[i].dur / 1e6;
            ok++;
        } else if (t.a[i].status == DR__V_INTERRUPTED)
            interrupted_attempts++;
        else
            failed_attempts++;
    }
    /* A resumed run where every task was cached ran nothing: no figure of
     * time means anything, so the report says so and shows the tasks. */
    json_t *cached_list = list_of(s, "cached");
    size_t ncached =
        cached_list != NULL ? json_array_size(cached_list) : t.ncached;
    int nothing_ran = t.n == 0 && ncached > 0;
    const char *graph = t.graph[0] ? t.graph : (g ? dr_graph_name(g) : "");
    if (s && json_is_string(json_object_get(s, "graph")))
        graph = json_string_value(json_object_get(s, "graph"));
    int workers = (int)fig(s, "workers", 1, DR__VMAX_WORKERS, t.workers);
    const char *policy = t.policy;
    if (s && json_is_string(json_object_get(s, "policy")))
        policy = json_string_value(json_object_get(s, "policy"));
    int simulated =
        s ? json_is_true(json_object_get(s, "simulated")) : t.simulated;
    int cores = (int)fig(s, "cores", 0, 1e6, t.cores);
    /* Where the tasks ran: the summary's word, else the trace's; a
     * simulation ran nothing anywhere. */
    const char *executor = t.executor;
    if (s && json_is_string(json_object_get(s, "executor")))
        executor = json_string_value(json_object_get(s, "executor"));
    if (simulated)
        executor = "";

    dr__buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                     "charset=\"utf-8\"><meta name=\"viewport\" "
                     "content=\"width=device-width, initial-scale=1\">"
                     "<title>dagrun report: ");
    dr__vbuf_xml(&b, graph[0] ? graph : "run");
    dr__buf_printf(&b, "</title>\n<style>\n%s</style></head>\n<body><main>\n",
                   css);
    dr__buf_puts(&b, "<header><p>dagrun " DAGRUN_VERSION_STRING
                     " run report</p><h1>");
    dr__vbuf_xml(&b, graph[0] ? graph : "run");
    dr__buf_printf(&b, "</h1><p>%s run on %d worker%s</p>",
                   simulated ? "Simulated" : "Real", workers,
                   workers == 1 ? "" : "s");
    put_params(&b, s, &t);
    dr__buf_puts(&b, "</header>\n");

    /* Run facts. */
    dr__buf_puts(
        &b, "<section id=\"facts\"><h2>Run</h2><div class=\"rp-facts\">\n");
    fact(&b, "graph", graph[0] ? graph : "(unnamed)");
    snprintf(v, sizeof(v), "%zu",
             g ? dr_graph_ntasks(g) : (size_t)fig(s, "tasks", 0, 1e12, ok));
    fact(&b, "tasks", v);
    snprintf(v, sizeof(v), "%d", workers);
    fact(&b, "workers", v);
    fact(&b, "policy", policy[0] ? policy : "?");
    snprintf(v, sizeof(v), "%d", cores);
    fact(&b, "cores on this machine", cores > 0 ? v : "?");
    fact(&b, "clock", simulated ? "simulated" : "real");
    if (executor[0])
        fact(&b, "executor", executor);
    dr__vfmt_time(v, sizeof(v), t.makespan);
    fact(&b, "makespan", v);
    dr__buf_puts(&b, "</div>\n");
    if (nothing_ran)
        dr__buf_printf(&b,
                       "<p>Nothing ran: %s %zu task%s %s cached, %s recorded "
                       "result%s of an earlier run reused (--resume), so "
                       "there are no times to show.</p>\n",
                       ncached == 1 ? "the" : "all", ncached,
                       ncached == 1 ? "" : "s", ncached == 1 ? "was" : "were",
                       ncached == 1 ? "its" : "their", ncached == 1 ? "" : "s");
    json_t *intr_list = list_of(s, "interrupted_tasks"),
           *not_run = list_of(s, "not_run");
    size_t n_intr =
        intr_list ? json_array_size(intr_list) : interrupted_attempts;
    /* Stopped by a signal: the summary says so, or an attempt of the trace
     * was interrupted (a report from a trace alone). */
    int stopped = json_is_true(json_object_get(s, "interrupted")) || n_intr > 0;
    if (stopped) {
        if (n_intr > 0)
            dr__buf_printf(&b,
                           "<p class=\"rp-warn\">The run was interrupted: "
                           "%zu task%s %s running when it was stopped",
                           n_intr, n_intr == 1 ? "" : "s",
                           n_intr == 1 ? "was" : "were");
        else
            dr__buf_puts(&b, "<p class=\"rp-warn\">The run was interrupted "
                             "between tasks: none was running when it was "
                             "stopped");
        if (json_array_size(not_run) > 0)
            dr__buf_printf(&b, "%s %zu never started",
                           n_intr > 0 ? " and" : ";", json_array_size(not_run));
        dr__buf_puts(&b, "; the figures cover what ran.</p>\n");
    }
    /* The summary's verdict (tasks that use CPU in this process, more
     * workers than cores); a trace alone cannot tell sleeps from spins. */
    json_t *over = json_object_get(s, "oversubscribed");
    if (!simulated && cores > 0 && workers > cores &&
        (over == NULL || json_is_true(over)))
        dr__buf_printf(&b,
                       "<p class=\"rp-warn\">%d workers on %d cores: "
                       "CPU-bound tasks share cores, so their durations "
                       "grow.</p>\n",
                       workers, cores);
    dr__buf_puts(&b, "</section>\n");

    /* Metrics. */
    double span = fig(s, "span", 0, TIME_MAX, NAN),
           lb = fig(s, "lower_bound", 0, TIME_MAX, NAN);
    double par = fig(s, "parallelism", 0, DBL_MAX, NAN);
    work = fig(s, "work", 0, TIME_MAX, work);
    makespan = fig(s, "makespan", 0, TIME_MAX, makespan);
    if (isnan(lb) && !isnan(span))
        lb = fmax(span, work / workers);
    dr__buf_puts(&b, "<section id=\"metrics\"><h2>Summary</h2><table>\n");
    metric_time(&b, "Makespan", makespan,
                simulated ? "Virtual time from the start of the simulated run "
                            "to the end of its last task."
                          : "Wall time from the start of the run to the end "
                            "of its last task.");
    tasks_row(&b, s, &t);
    if (!simulated)
        data_moved_row(&b, s, &t);
    if (!nothing_ran) {
        metric_time(&b, "Work T<sub>1</sub>", work,
                    "Sum of the measured durations of successful attempts: the "
                    "time one worker would need.");
        metric_time(
            &b, "Span T<sub>\xE2\x88\x9E</sub>", span,
            "The longest dependency chain by measured durations: no number "
            "of workers can finish sooner.");
        metric_num(
            &b, "Parallelism T<sub>1</sub>/T<sub>\xE2\x88\x9E</sub>", par,
            "%.2f",
            "Average number of tasks that could run at once: workers beyond "
            "this cannot help.");
        metric_time(
            &b, "Lower bound", lb,
            "max(T<sub>\xE2\x88\x9E</sub>, T<sub>1</sub>/P): no schedule on "
            "P workers is shorter.");
        metric_num(&b, "Makespan / bound",
                   isnan(lb) || lb <= 0 ? NAN : makespan / lb, "%.3f",
                   "1.000 is a perfect schedule; above it is time lost to "
                   "dependencies, idling or overhead.");
        /* A worker running a failing attempt is busy; the useful share counts
         * successful attempts only (docs/scheduling.md, scheduler/metrics.c).
         */
        double util = fig(s, "utilization", 0, DBL_MAX,
                          makespan > 0 ? busy / (workers * makespan) : NAN);
        double useful = fig(s, "useful_utilization", 0, DBL_MAX,
                            makespan > 0 ? work / (workers * makespan) : NAN);
        metric_num(&b, "Utilisation", 100 * util, "%.1f %%",
                   "busy/(P \xC2\xB7 makespan): the share of worker time spent "
                   "running attempts, failed ones included.");
        if (useful < util)
            metric_num(
                &b, "Useful utilisation", 100 * useful, "%.1f %%",
                "T<sub>1</sub>/(P \xC2\xB7 makespan): successful attempts "
                "only; the rest of the busy time went to attempts that "
                "failed, timed out or were interrupted.");
        {
            char mx[48], mean[48];
            fmt_num(mx, sizeof(mx), "%.0f", fig(s, "max_running", 0, 1e9, NAN));
            fmt_num(mean, sizeof(mean), "%.2f",
                    fig(s, "avg_running", 0, 1e9, NAN));
            snprintf(v, sizeof(v), "max %s, mean %s", mx, mean);
        }
        metric(&b, "Observed parallelism", s ? v : "see the profile below",
               "Tasks running at once: the peak and the time-weighted mean.");
        /* Three different figures, each under its own name: idle worker time
         * while work waited (the scheduler's loss), the ready-to-start latency
         * (which includes waiting for a busy worker, so it is not an overhead),
         * and, when the summary has it, the overhead per task proper. */
        json_t *ov = json_object_get(s, "overhead");
        if (json_is_object(ov)) {
            double rwi = fig(ov, "ready_while_idle", 0, TIME_MAX, NAN);
            if (!isnan(rwi)) {
                char a[48];
                dr__vfmt_time(a, sizeof(a), rwi * 1e6);
                metric(&b, "Idle while work waited", a,
                       "Worker time during which a worker was free while a "
                       "task was ready (worker-seconds): time the scheduler "
                       "lost.");
            }
            char mean[48], med[48], mx[48];
            double lm = fig(ov, "latency_mean", 0, TIME_MAX, NAN),
                   ld = fig(ov, "latency_median", 0, TIME_MAX, NAN),
                   lx = fig(ov, "latency_max", 0, TIME_MAX, NAN);
            if (!isnan(lm)) {
                fmt_time_or_dash(mean, sizeof(mean), lm);
                fmt_time_or_dash(med, sizeof(med), ld);
                fmt_time_or_dash(mx, sizeof(mx), lx);
                snprintf(v, sizeof(v), "mean %s, median %s, max %s", mean, med,
                         mx);
                metric(&b, "Ready-to-start latency", v,
                       "Per task, the time from becoming ready (its "
                       "dependencies done) to its start. It includes waiting "
                       "for a busy worker, so it is not an overhead.");
            }
            double per = fig(ov, "per_task", 0, TIME_MAX, NAN),
                   handovers = fig(ov, "dispatches", 0, 1e12, NAN);
            if (!isnan(per) && !simulated && !(handovers == 0)) {
                char pt[48];
                fmt_time_or_dash(pt, sizeof(pt), per);
                if (!isnan(handovers))
                    snprintf(v, sizeof(v), "%s (mean of %.0f)", pt, handovers);
                else
                    snprintf(v, sizeof(v), "%s", pt);
                metric(&b, "Overhead per task", v,
                       "A worker's time from the end of one task to the start "
                       "of the next when that one was already ready: "
                       "dagrun's own cost of handing out a task.");
            }
        }
        if (json_is_number(json_object_get(s, "peak_live_results"))) {
            char r[48], by[48];
            fmt_num(r, sizeof(r), "%.0f",
                    fig(s, "peak_live_results", 0, 1e12, NAN));
            fmt_num(by, sizeof(by), "%.0f",
                    fig(s, "peak_live_bytes", 0, 1e18, NAN));
            snprintf(v, sizeof(v), "%s (%s bytes)", r, by);
            metric(
                &b, "Peak live results", v,
                "Most task results held in memory at once, waiting for their "
                "dependents.");
        }
    }
    dr__buf_puts(&b, "</table></section>\n");

    /* Pictures. */
    dr_viz_options vo;
    if (o == NULL) {
        dr_viz_options_init(&vo);
        o = &vo;
    }
    if (g != NULL) {
        char *svg = NULL;
        size_t n;
        dr_error e2;
        dr_error_clear(&e2);
        dr__buf_puts(&b, "<section id=\"dag\"><h2>Task graph</h2><p>");
        dr__buf_puts(&b, o->color == DR_VIZ_COLOR_GROUP
                             ? "Colour: the task's group, as in the "
                               "timeline. "
                             : "Colour: the worker that ran the task (the "
                               "same colour marks its row in the "
                               "timeline). ");
        dr__buf_puts(&b, "Bold red: the measured critical path. Hover for "
                         "times. A wide graph keeps its natural size: "
                         "scroll sideways.</p>"
                         "<div class=\"rp-figure rp-natural\">\n");
        if (dag_svg != NULL)
            put_svg(&b, dag_svg);
        else if (dr__viz_render_both(g, trace, o, NULL, NULL, "svg", &svg, &n,
                                     &e2) == 0)
            put_svg(&b, svg);
        else {
            dr__buf_puts(&b, "<p class=\"rp-warn\">");
            dr__vbuf_xml(&b, e2.text);
            dr__buf_puts(&b, "</p>");
        }
        free(svg);
        dr__buf_puts(&b, "</div></section>\n");
    }
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.profile = 0;
    go.color = o->color;
    char *svg = NULL;
    if ((rc = dr__vgantt_svg(trace, summary, &go, &svg, NULL, err)) != 0)
        goto out;
    dr__buf_puts(&b, "<section id=\"gantt\"><h2>Timeline</h2><p>One row per "
                     "worker, marked with the worker's colour from the task "
                     "graph; one bar per attempt, coloured ");
    dr__buf_puts(&b, go.color == DR_VIZ_COLOR_GROUP
                         ? "by the task's group, in light colours of their "
                           "own, as in the task graph. "
                         : "by the worker that ran it, as in the task "
                           "graph. ");
    dr__buf_puts(&b, json_array_size(json_object_get(s, "makespan_chain")) > 0
                         ? "Outlined and linked: the chain of attempts that "
                           "set the makespan (solid: it waited for a "
                           "dependency, dashed: for a worker). "
                         : "Outlined: the critical path. ");
    dr__buf_puts(&b, "Hover a bar for its task, times and wait.</p>"
                     "<div class=\"rp-figure\">\n");
    put_svg(&b, svg);
    free(svg);
    dr__buf_puts(&b, "</div></section>\n");
    if (!nothing_ran) {
        if ((rc = dr__vprofile_svg(trace, 1200, &svg, err)) != 0)
            goto out;
        dr__buf_puts(&b,
                     "<section id=\"profile\"><h2>Parallelism profile</h2>"
                     "<p>How many tasks ran at each moment; the dashed line "
                     "is the number of workers.</p>"
                     "<div class=\"rp-figure\">\n");
        put_svg(&b, svg);
        free(svg);
        dr__buf_puts(&b, "</div></section>\n");

        /* Workers. */
        dr__buf_puts(
            &b,
            "<section id=\"workers\"><h2>Workers</h2><table><tr>"
            "<th>worker</th><th class=\"rp-num\">tasks</th>"
            "<th class=\"rp-num\">busy</th><th class=\"rp-num\">idle</th>"
            "<th class=\"rp-num\">idle tail</th><th>busy share</th></tr>\n");
        for (int w = 0, i = 0; w < t.workers && w < 256; w++) {
            size_t tasks = 0, intr = 0;
            double busy = 0, last = 0;
            while ((size_t)i < t.n && t.a[i].worker < w)
                i++;
            for (; (size_t)i < t.n && t.a[i].worker == w; i++) {
                tasks++;
                intr += t.a[i].status == DR__V_INTERRUPTED;
                busy += t.a[i].dur;
                if (t.a[i].ts + t.a[i].dur > last)
                    last = t.a[i].ts + t.a[i].dur;
            }
            double share = t.makespan > 0 ? busy / t.makespan : 0;
            dr__buf_printf(&b, "<tr><td>%d", w);
            /* --executor mpi: which rank's slot, on which host. */
            const dr__vrank *k = dr__vtrace_rank_of(&t, w);
            if (k != NULL) {
                dr__buf_printf(&b, " (rank %d:%d, ", k->rank, w - k->first);
                dr__vbuf_xml(&b, k->host[0] ? k->host : "unknown host");
                dr__buf_puts(&b, ")");
            }
            dr__buf_printf(&b, "</td><td class=\"rp-num\">%zu", tasks);
            if (intr > 0)
                dr__buf_printf(&b,
                               " <span class=\"rp-intr\">(%zu "
                               "interrupted)</span>",
                               intr);
            dr__buf_puts(&b, "</td><td class=\"rp-num\">");
            put_time(&b, busy / 1e6);
            dr__buf_puts(&b, "</td><td class=\"rp-num\">");
            put_time(&b, (t.makespan - busy) / 1e6);
            dr__buf_puts(&b, "</td><td class=\"rp-num\">");
            put_time(&b, (t.makespan - last) / 1e6);
            dr__buf_printf(&b,
                           "</td><td><div class=\"rp-share\"><i style=\"width:"
                           "%.1f%%\"></i></div></td></tr>\n",
                           100 * share);
        }
        dr__buf_puts(&b, "</table>");
        if (t.workers > 256)
            dr__buf_printf(&b, "<p>The first 256 of %d workers.</p>",
                           t.workers);
        dr__buf_puts(&b, "<p>Idle tail: time from a worker's last task to the "
                         "end of the run, which an elastic pool could have "
                         "given back.</p></section>\n");
    }

    /* Slowest tasks. */
    {
        const dr__vattempt **top = malloc((t.n ? t.n : 1) * sizeof(*top));
        if (top == NULL) {
            b.oom = 1;
        } else {
            for (size_t i = 0; i < t.n; i++)
                top[i] = &t.a[i];
            qsort(top, t.n, sizeof(*top), by_dur_desc);
            dr__buf_puts(&b, "<section id=\"slowest\"><h2>Slowest tasks</h2>");
            if (t.n == 0)
                dr__buf_puts(&b, "<p>No task ran.</p>");
            else
                dr__buf_puts(&b, "<table><tr><th>task</th><th>op</th>"
                                 "<th class=\"rp-num\">worker</th>"
                                 "<th class=\"rp-num\">start</th>"
                                 "<th class=\"rp-num\">duration</th>"
                                 "<th class=\"rp-num\">wait</th><th>status</th>"
                                 "</tr>\n");
            for (size_t i = 0; i < t.n && i < 10; i++) {
                const dr__vattempt *a = top[i];
                dr__buf_puts(&b, "<tr><td>");
                dr__vbuf_xml(&b, a->task);
                dr__buf_puts(&b, "</td><td>");
                dr__vbuf_xml(&b, a->op ? a->op : "");
                dr__buf_printf(&b,
                               "</td><td class=\"rp-num\">%d</td>"
                               "<td class=\"rp-num\">",
                               a->worker);
                put_time(&b, a->ts / 1e6);
                dr__buf_puts(&b, "</td><td class=\"rp-num\">");
                put_time(&b, a->dur / 1e6);
                dr__buf_puts(&b, "</td><td class=\"rp-num\">");
                put_time(&b, (a->ts - a->ready) / 1e6);
                dr__buf_printf(&b, "</td><td%s>%s</td></tr>\n",
                               status_class(a->status),
                               dr__vstatus_name(a->status));
            }
            if (t.n > 0)
                dr__buf_puts(&b, "</table>");
            put_cached(&b, s, &t);
            dr__buf_puts(&b, "</section>\n");
            free(top);
        }
    }

    /* Failures. */
    json_t *failures = list_of(s, "failures");
    json_t *skipped = list_of(s, "skipped");
    dr__buf_puts(&b, "<section id=\"failures\"><h2>Failures</h2>\n");
    if (json_array_size(failures) == 0 && failed_attempts == 0)
        dr__buf_puts(&b, "<p>No task failed.</p>\n");
    if (json_array_size(failures) > 0) {
        size_t i;
        json_t *f;
        json_array_foreach(failures, i, f) {
            json_t *task = json_object_get(f, "task"),
                   *reason = json_object_get(f, "reason"),
                   *tail = json_object_get(f, "stderr_tail");
            double attempts = fig(f, "attempts", 0, 1e9, 1);
            dr__buf_puts(&b, "<p><span class=\"rp-bad\">");
            dr__vbuf_xml(&b,
                         json_is_string(task) ? json_string_value(task) : "?");
            dr__buf_puts(&b, "</span>: ");
            dr__vbuf_xml(&b, json_is_string(reason) ? json_string_value(reason)
                                                    : "failed");
            dr__buf_printf(&b, " (%.0f attempt%s)</p>\n", attempts,
                           attempts == 1 ? "" : "s");
            if (json_is_string(tail) && json_string_length(tail) > 0) {
                dr__buf_puts(&b, "<pre>");
                dr__vbuf_xml(&b, json_string_value(tail));
                dr__buf_puts(&b, "</pre>\n");
            }
        }
    } else if (failed_attempts > 0) {
        for (size_t i = 0; i < t.n; i++) {
            if (t.a[i].status == DR__V_OK || t.a[i].status == DR__V_INTERRUPTED)
                continue;
            dr__buf_puts(&b, "<p><span class=\"rp-bad\">");
            dr__vbuf_xml(&b, t.a[i].task);
            dr__buf_printf(&b, "</span>: %s", dr__vstatus_name(t.a[i].status));
            if (t.a[i].error) {
                dr__buf_puts(&b, " \xE2\x80\x94 ");
                dr__vbuf_xml(&b, t.a[i].error);
            }
            dr__buf_puts(&b, "</p>\n");
        }
    }
    if (json_array_size(skipped) > 0) {
        dr__buf_printf(
            &b, "<p>%zu task%s skipped because a dependency failed: ",
            json_array_size(skipped), json_array_size(skipped) == 1 ? "" : "s");
        put_ids(&b, skipped);
        dr__buf_puts(&b, ".</p>\n");
    }
    /* Tasks that never started in a run that was not interrupted: it
     * stopped after a failure (no --keep-going). */
    if (!stopped && json_array_size(not_run) > 0) {
        dr__buf_printf(&b, "<p>%zu task%s never started: the run stopped %s: ",
                       json_array_size(not_run),
                       json_array_size(not_run) == 1 ? "" : "s",
                       json_array_size(failures) > 0 || failed_attempts > 0
                           ? "after the failure (without --keep-going)"
                           : "first");
        put_ids(&b, not_run);
        dr__buf_puts(&b, ".</p>\n");
    }
    dr__buf_puts(&b, "</section>\n");

    /* Interrupted: only when a signal stopped the run. */
    if (stopped) {
        dr__buf_puts(&b, "<section id=\"interrupted\"><h2>Interrupted</h2>\n");
        if (n_intr > 0) {
            dr__buf_printf(&b,
                           "<p><span class=\"rp-intr\">%zu task%s</span> "
                           "%s running when a signal stopped the run: ",
                           n_intr, n_intr == 1 ? "" : "s",
                           n_intr == 1 ? "was" : "were");
            if (intr_list != NULL)
                put_ids(&b, intr_list);
            else
                for (size_t i = 0, k = 0; i < t.n && k < 50; i++)
                    if (t.a[i].status == DR__V_INTERRUPTED) {
                        dr__buf_puts(&b, k++ ? ", " : "");
                        dr__vbuf_xml(&b, t.a[i].task);
                    }
            dr__buf_puts(&b, ". They did not fail: their attempts are "
                             "hatched amber in the timeline, and a rerun "
                             "starts them again.</p>\n");
        }
        if (n_intr == 0)
            dr__buf_puts(&b, "<p>No task was running when the run was "
                             "stopped.</p>\n");
        if (json_array_size(not_run) > 0) {
            dr__buf_printf(
                &b, "<p>%zu task%s never started: ", json_array_size(not_run),
                json_array_size(not_run) == 1 ? "" : "s");
            put_ids(&b, not_run);
            dr__buf_puts(&b, ".</p>\n");
        }
        dr__buf_puts(&b, "</section>\n");
    }
    dr__buf_puts(&b, "<footer>Written by dagrun " DAGRUN_VERSION_STRING
                     ". Self-contained: no scripts, "
                     "no network.</footer>\n</main></body></html>\n");
out:
    if (rc != 0) {
        dr__buf_free(&b);
        return rc;
    }
    *html = dr__buf_take(&b, len);
    if (*html == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    return 0;
}

int dr_viz_report_write(const dr_graph *g, const json_t *trace,
                        const json_t *summary, const dr_viz_options *o,
                        const char *path, dr_error *err) {
    char *html;
    size_t len;
    int rc = dr_viz_report_html(g, trace, summary, o, &html, &len, err);
    if (rc != 0)
        return rc;
    rc = dr_write_file_atomic(path, html, len, err);
    free(html);
    return rc;
}

int dr_viz_write_run_outputs(const dr_graph *g, const json_t *trace,
                             const json_t *summary, const char *dir,
                             dr_error *err) {
    return dr_viz_write_run_pictures(g, trace, summary, NULL, dir, err);
}

int dr_viz_write_run_pictures(const dr_graph *g, const json_t *trace,
                              const json_t *summary, const dr_viz_options *vo,
                              const char *dir, dr_error *err) {
    if (g == NULL || trace == NULL || dir == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    size_t dl = strlen(dir);
    char *path = malloc(dl + 32);
    if (path == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    dr_viz_options o;
    if (vo != NULL)
        o = *vo;
    else
        dr_viz_options_init(&o);
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.color = o.color;
    const char *sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";
    /* The task graph is planned and laid out once: dag.dot, dag.svg and the
     * report's copy are the same drawing (and its budget note is said
     * once). */
    /* ... and the trace is read once for all of them. */
    dr__vtrace t;
    int rc = dr__vtrace_read(trace, &t, err);
    if (rc != 0) {
        free(path);
        return rc;
    }
    char *dot = NULL, *svg = NULL;
    size_t dot_len = 0, svg_len = 0;
    rc = dr__viz_render_both(g, &t, &o, &dot, &dot_len, "svg", &svg, &svg_len,
                             err);
    if (rc == DR_ETOOBIG) {
        /* Too many nodes to lay out: DOT is still written, as on its own. */
        dr_error local;
        dr_error_clear(&local);
        if (dr__viz_render_both(g, &t, &o, &dot, &dot_len, NULL, NULL, NULL,
                                &local) != 0)
            dot = NULL;
    }
    if (dot != NULL) {
        sprintf(path, "%s%sdag.dot", dir, sep);
        int wrc = dr_write_file_atomic(path, dot, dot_len, err);
        if (rc == 0)
            rc = wrc;
    }
    if (rc == 0) {
        sprintf(path, "%s%sdag.svg", dir, sep);
        rc = dr_write_file_atomic(path, svg, svg_len, err);
    }
    if (rc == 0) {
        char *gantt;
        size_t len;
        if ((rc = dr__vgantt_svg(&t, summary, &go, &gantt, &len, err)) == 0) {
            sprintf(path, "%s%sgantt.svg", dir, sep);
            rc = dr_write_file_atomic(path, gantt, len, err);
            free(gantt);
        }
    }
    if (rc == 0) {
        char *html;
        size_t len;
        o.note = NULL;
        rc =
            dr__viz_report_html_with(g, &t, summary, &o, svg, &html, &len, err);
        if (rc == 0) {
            sprintf(path, "%s%sreport.html", dir, sep);
            rc = dr_write_file_atomic(path, html, len, err);
            free(html);
        }
    }
    dr__vtrace_free(&t);
    free(dot);
    free(svg);
    free(path);
    return rc;
}
