/*
 * Reading a Chrome trace written by dagrun (docs/trace-format.md) into a flat
 * array of attempts, sorted by worker and start time, which is the order the
 * Gantt chart draws and the report sums in.  Only "ph": "X" events count;
 * metadata and unknown events are skipped, unknown keys ignored, so traces
 * from other versions (or edited by hand) still draw.  Strings are borrowed
 * from the json_t.
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double num_or(const json_t *o, const char *key, double dflt) {
    json_t *v = json_object_get(o, key);
    if (json_is_number(v)) {
        double d = json_number_value(v);
        return isfinite(d) ? d : dflt;
    }
    return dflt;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

const char *dr__vstatus_name(dr__vstatus s) {
    switch (s) {
    case DR__V_OK:
        return "ok";
    case DR__V_FAILED:
        return "failed";
    case DR__V_TIMEOUT:
        return "timeout";
    case DR__V_INTERRUPTED:
        return "interrupted";
    }
    return "ok";
}

static int by_worker_start(const void *pa, const void *pb) {
    const dr__vattempt *a = pa, *b = pb;
    if (a->worker != b->worker)
        return a->worker < b->worker ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return 0;
}

int dr__vtrace_read(const json_t *trace, dr__vtrace *t, dr_error *err) {
    memset(t, 0, sizeof(*t));
    t->graph = t->policy = "";
    json_t *events = json_is_array(trace)
                         ? (json_t *)trace
                         : json_object_get(trace, "traceEvents");
    if (!json_is_array(events)) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "not a trace: no \"traceEvents\" list");
        return DR_EINVAL;
    }
    json_t *other = json_object_get(trace, "otherData");
    if (json_is_object(other)) {
        t->graph = str_or(other, "graph", "");
        t->policy = str_or(other, "policy", "");
        t->workers = (int)num_or(other, "workers", 0);
        t->cores = (int)num_or(other, "cores", 0);
        t->simulated = json_is_true(json_object_get(other, "simulated"));
        t->makespan = num_or(other, "makespan_us", 0);
    }
    if (t->workers < 0 || t->workers > 10000000)
        t->workers = 0;
    size_t n = json_array_size(events);
    t->a = calloc(n ? n : 1, sizeof(*t->a));
    if (t->a == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    double last_end = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        if (!json_is_object(e) || strcmp(str_or(e, "ph", ""), "X") != 0)
            continue;
        json_t *args = json_object_get(e, "args");
        dr__vattempt *a = &t->a[t->n];
        a->task = str_or(args, "task", str_or(e, "name", "?"));
        a->cat = str_or(e, "cat", "");
        a->op = str_or(args, "op", NULL);
        a->error = str_or(args, "error", NULL);
        a->ts = num_or(e, "ts", 0);
        a->dur = num_or(e, "dur", 0);
        if (a->dur < 0)
            a->dur = 0;
        a->ready = num_or(args, "ready", a->ts);
        double w = num_or(e, "tid", num_or(args, "worker", 0));
        a->worker = (w >= 0 && w < 10000000) ? (int)w : 0;
        a->attempt = (int)num_or(args, "attempt", 1);
        const char *st = str_or(args, "status", "ok");
        a->status = strcmp(st, "failed") == 0        ? DR__V_FAILED
                    : strcmp(st, "timeout") == 0     ? DR__V_TIMEOUT
                    : strcmp(st, "interrupted") == 0 ? DR__V_INTERRUPTED
                                                     : DR__V_OK;
        if (a->worker + 1 > t->workers)
            t->workers = a->worker + 1;
        if (a->ts + a->dur > last_end)
            last_end = a->ts + a->dur;
        t->n++;
    }
    if (t->workers < 1)
        t->workers = 1;
    if (t->makespan < last_end)
        t->makespan = last_end;
    qsort(t->a, t->n, sizeof(*t->a), by_worker_start);
    /* A worker runs one attempt at a time, but ts and dur are rounded
     * floating microseconds, so start + dur can overshoot the next start on
     * the same worker by a few nanoseconds.  Left alone, the sweep that
     * counts running tasks would see both at once and report more running
     * tasks than workers; so each end is clamped to the next start. */
    for (size_t i = 0; i + 1 < t->n; i++) {
        dr__vattempt *a = &t->a[i], *next = &t->a[i + 1];
        if (next->worker == a->worker && a->ts + a->dur > next->ts)
            a->dur = next->ts - a->ts;
    }
    return 0;
}

size_t dr__vtrace_count_in_graph(const dr__vtrace *t, const dr_graph *g) {
    size_t matched = 0;
    for (size_t i = 0; i < t->n; i++)
        if (dr_graph_find(g, t->a[i].task) != DR_TASK_NONE)
            matched++;
    return matched;
}

int dr__vtrace_check_graph(const dr__vtrace *t, const dr_graph *g,
                           dr_error *err) {
    if (t->n == 0 || dr__vtrace_count_in_graph(t, g) > 0)
        return 0;
    const char *name = dr_graph_name(g);
    dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                  "the trace is of graph '%s', not of graph '%s': none of its "
                  "%zu task attempts is a task of the graph",
                  t->graph[0] ? t->graph : "(unnamed)",
                  name[0] ? name : "(unnamed)", t->n);
    return DR_EINVAL;
}

void dr__vtrace_free(dr__vtrace *t) {
    free(t->a);
    memset(t, 0, sizeof(*t));
}
