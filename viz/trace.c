/*
 * Reading a Chrome trace written by dagrun (docs/trace-format.md) into a flat
 * array of attempts, sorted by worker and start time, which is the order the
 * Gantt chart draws and the report sums in.  Only "ph": "X" events are
 * attempts; instant ("i") events of cached tasks (a resumed run reused
 * their results) are listed apart, never as attempts; metadata and
 * unknown events are skipped, unknown keys ignored, so traces
 * from other versions (or edited by hand) still draw.  Strings are borrowed
 * from the json_t.
 *
 * What an attempt needs to be drawn is checked, and anything that would make
 * a picture wrong, huge or endless is refused with the event's index and
 * task: a missing or non-numeric ts or dur, a negative time, ts + dur that
 * overflows, a worker number that is not a whole number or is beyond the
 * limit (a trace of three attempts on "tid": 9999999 would otherwise ask for
 * ten million rows).  Large but finite times are accepted: a simulated run
 * of absurd costs still draws, on an axis labelled in powers of ten.  Fields
 * that only decorate (attempt number, cores, status words from newer
 * versions) fall back to a default instead.
 *
 * The summary is checked here too (dr__vsummary_check) for the command
 * line, which refuses a summary whose figures are of the wrong type or out
 * of range; the library's writers read summaries through the same rules and
 * leave out what fails them, so a picture never shows "inf" or "-nan".
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- numbers */

/* 1: a number (in *out), 0: absent or null, -1: present, not a number. */
static int get_num(const json_t *o, const char *key, double *out) {
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return isfinite(*out) ? 1 : -1;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A whole number in [lo, hi] as an int (no undefined cast). */
static int whole_in(double v, double lo, double hi) {
    return v >= lo && v <= hi && v == floor(v);
}

static int clamp_int(double v, int lo, int hi) {
    if (!(v >= lo))
        return lo;
    if (v >= hi)
        return hi;
    return (int)v;
}

int dr__vsummary_num(const json_t *s, const char *key, double lo, double hi,
                     double *out) {
    double v;
    if (!json_is_object(s) || get_num(s, key, &v) != 1 || !(v >= lo) ||
        !(v <= hi))
        return 0;
    *out = v;
    return 1;
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

/* ---------------------------------------------------------------- trace */

static int bad_event(dr_error *err, const char *source, const char *task,
                     size_t i, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int bad_event(dr_error *err, const char *source, const char *task,
                     size_t i, const char *fmt, ...) {
    char msg[DR_ERROR_TEXT_LENGTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dr__error_set(err, DR_EINVAL, source, 0, 0, task, "traceEvents[%zu]: %s", i,
                  msg);
    return DR_EINVAL;
}

static const char *default_raise_hint(void) {
    return "the most workers `dagrun run` uses; `dagrun gantt "
           "--max-workers N` draws more";
}

/* An instant event of a cached task (status "cached", a task name): one
 * more entry of t->cached.  Other instant events, of other tools or
 * without a task, are skipped as unknown events are.  0 or DR_ENOMEM. */
static int read_cached(dr__vtrace *t, const json_t *e, size_t *cap,
                       dr_error *err) {
    json_t *args = json_object_get(e, "args");
    if (!json_is_object(args) ||
        strcmp(str_or(args, "status", ""), "cached") != 0)
        return 0;
    const char *task = str_or(args, "task", str_or(e, "name", NULL));
    if (task == NULL)
        return 0;
    if (t->ncached == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        dr__vcached *p = realloc(t->cached, c * sizeof(*p));
        if (p == NULL) {
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            return DR_ENOMEM;
        }
        t->cached = p;
        *cap = c;
    }
    t->cached[t->ncached++] =
        (dr__vcached){task, str_or(e, "cat", ""), str_or(args, "op", NULL)};
    return 0;
}

/* args.send_s, recv_s (seconds) and bytes_sent, bytes_received of an
 * attempt moved by worker processes.  Only such attempts have them, and
 * they are decoration: an absent, non-numeric, negative or non-finite one
 * is 0 rather than an error, and the two times are cut to fit inside the
 * attempt (send first, as it happens first).  Called once ts and dur are
 * read. */
static void read_transfer(const json_t *args, dr__vattempt *a) {
    static const char *const keys[4] = {"send_s", "recv_s", "bytes_sent",
                                        "bytes_received"};
    double v[4];
    for (int k = 0; k < 4; k++)
        if (get_num(args, keys[k], &v[k]) != 1 || !(v[k] > 0) ||
            !isfinite(v[k]))
            v[k] = 0;
    a->send = fmin(v[0] * 1e6, a->dur);
    a->recv = fmin(v[1] * 1e6, a->dur - a->send);
    a->bytes_sent = v[2];
    a->bytes_received = v[3];
}

/* otherData.ranks of an MPI run: they only label rows, so an entry that
 * is not {rank, first_worker, slots} with whole numbers (slots from 1) is
 * left out, not an error.  0 or DR_ENOMEM. */
static int read_ranks(dr__vtrace *t, const json_t *ranks, dr_error *err) {
    size_t n = json_array_size(ranks);
    if (n == 0)
        return 0;
    if ((t->ranks = calloc(n, sizeof(*t->ranks))) == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *k = json_array_get(ranks, i);
        double rank, first, slots;
        if (!json_is_object(k) || get_num(k, "rank", &rank) != 1 ||
            !whole_in(rank, 0, INT32_MAX) ||
            get_num(k, "first_worker", &first) != 1 ||
            !whole_in(first, 0, DR__VMAX_WORKERS) ||
            get_num(k, "slots", &slots) != 1 ||
            !whole_in(slots, 1, DR__VMAX_WORKERS))
            continue;
        t->ranks[t->nranks++] = (dr__vrank){(int)rank, str_or(k, "host", ""),
                                            (int)first, (int)slots};
    }
    return 0;
}

const dr__vrank *dr__vtrace_rank_of(const dr__vtrace *t, int w) {
    for (size_t i = 0; i < t->nranks; i++)
        if (w >= t->ranks[i].first && w - t->ranks[i].first < t->ranks[i].slots)
            return &t->ranks[i];
    return NULL;
}

int dr__vtrace_read_ex(const json_t *trace, const char *source, int max_workers,
                       const char *raise_hint, dr__vtrace *t, dr_error *err) {
    memset(t, 0, sizeof(*t));
    t->graph = t->policy = t->executor = t->host0 = "";
    if (source == NULL)
        source = "the trace";
    if (max_workers <= 0)
        max_workers = DR__VMAX_WORKERS;
    if (raise_hint == NULL)
        raise_hint = default_raise_hint();
    json_t *events = json_is_array(trace)
                         ? (json_t *)trace
                         : json_object_get(trace, "traceEvents");
    if (!json_is_array(events)) {
        dr__error_set(err, DR_EINVAL, source, 0, 0, NULL,
                      "not a trace: no \"traceEvents\" list");
        return DR_EINVAL;
    }
    json_t *other = json_object_get(trace, "otherData");
    double v;
    if (json_is_object(other)) {
        t->graph = str_or(other, "graph", "");
        t->policy = str_or(other, "policy", "");
        t->executor = str_or(other, "executor", "");
        int k = get_num(other, "workers", &v);
        if (k < 0 || (k == 1 && !whole_in(v, 1, max_workers))) {
            char shown[64] = "not a number";
            if (k == 1)
                snprintf(shown, sizeof(shown), "%.10g", v);
            dr__error_set(err, DR_EINVAL, source, 0, 0, NULL,
                          "otherData.workers is %s: expected a whole number "
                          "of workers from 1 to %d (%s)",
                          shown, max_workers, raise_hint);
            return DR_EINVAL;
        }
        if (k == 1)
            t->workers = (int)v;
        if (get_num(other, "cores", &v) == 1)
            t->cores = clamp_int(v, 0, 1000000);
        t->simulated = json_is_true(json_object_get(other, "simulated"));
        k = get_num(other, "makespan_us", &v);
        if (k < 0 || (k == 1 && !(v >= 0))) {
            dr__error_set(err, DR_EINVAL, source, 0, 0, NULL,
                          "otherData.makespan_us is not a time in "
                          "microseconds (a number from 0 up)");
            return DR_EINVAL;
        }
        if (k == 1)
            t->makespan = v;
        json_t *chain = json_object_get(other, "makespan_chain");
        if (chain != NULL && !json_is_null(chain)) {
            size_t j;
            json_t *st;
            if (!json_is_array(chain)) {
                dr__error_set(err, DR_EINVAL, source, 0, 0, NULL,
                              "otherData.makespan_chain is not a list of "
                              "steps");
                return DR_EINVAL;
            }
            json_array_foreach(chain, j, st) {
                dr__vstep step;
                const char *why = dr__vstep_read(st, &step);
                if (why != NULL) {
                    dr__error_set(err, DR_EINVAL, source, 0, 0, NULL,
                                  "otherData.makespan_chain[%zu]: %s", j, why);
                    return DR_EINVAL;
                }
            }
            t->chain = chain;
        }
        if (read_ranks(t, json_object_get(other, "ranks"), err) != 0)
            return DR_ENOMEM;
        t->host0 = str_or(other, "host0", "");
        json_t *params = json_object_get(other, "params");
        json_t *set = json_object_get(other, "params_set");
        t->params = json_is_object(params) ? params : NULL;
        t->params_set = json_is_array(set) ? set : NULL;
    }
    size_t n = json_array_size(events);
    t->a = calloc(n ? n : 1, sizeof(*t->a));
    if (t->a == NULL) {
        dr__vtrace_free(t);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    double last_end = 0;
    int rc = 0;
    size_t capcached = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *e = json_array_get(events, i);
        if (json_is_object(e) && strcmp(str_or(e, "ph", ""), "i") == 0) {
            rc = read_cached(t, e, &capcached, err);
            continue;
        }
        if (!json_is_object(e) || strcmp(str_or(e, "ph", ""), "X") != 0)
            continue;
        json_t *args = json_object_get(e, "args");
        if (args != NULL && !json_is_object(args))
            args = NULL;
        dr__vattempt *a = &t->a[t->n];
        a->task = str_or(args, "task", str_or(e, "name", NULL));
        if (a->task == NULL) {
            rc = bad_event(err, source, NULL, i,
                           "a complete (\"X\") event without a task name "
                           "(\"args\": {\"task\"} or \"name\")");
            break;
        }
        a->cat = str_or(e, "cat", "");
        a->op = str_or(args, "op", NULL);
        a->error = str_or(args, "error", NULL);
        static const char *const times[2] = {"ts", "dur"};
        double tv[2];
        for (int k = 0; k < 2 && rc == 0; k++) {
            int got = get_num(e, times[k], &tv[k]);
            if (got != 1)
                rc = bad_event(err, source, a->task, i,
                               "\"%s\" is %s: a complete event needs it, in "
                               "microseconds",
                               times[k], got == 0 ? "missing" : "not a number");
            else if (tv[k] < 0)
                rc = bad_event(err, source, a->task, i,
                               "\"%s\" is %.10g: %s cannot be negative",
                               times[k], tv[k],
                               k == 0 ? "times count from the run's start and"
                                      : "a duration");
        }
        if (rc != 0)
            break;
        a->ts = tv[0];
        a->dur = tv[1];
        if (!isfinite(a->ts + a->dur)) {
            rc = bad_event(err, source, a->task, i,
                           "\"ts\" + \"dur\" (%.10g + %.10g) is not a finite "
                           "time",
                           a->ts, a->dur);
            break;
        }
        int got = get_num(args, "ready", &v);
        if (got < 0) {
            rc = bad_event(err, source, a->task, i,
                           "\"args\".\"ready\" is not a number");
            break;
        }
        /* A task is ready before it starts; an edited trace that says
         * otherwise shows a wait of 0, not a negative one. */
        a->ready = got == 1 && v >= 0 && v < a->ts ? v : a->ts;
        read_transfer(args, a);
        if (a->send > 0 || a->recv > 0 || a->bytes_sent > 0 ||
            a->bytes_received > 0) {
            t->moved++;
            t->bytes_moved += a->bytes_sent + a->bytes_received;
            t->send_total += a->send;
            t->recv_total += a->recv;
        }
        const char *wkey = "tid";
        got = get_num(e, "tid", &v);
        if (got == 0) {
            wkey = "args.worker";
            got = get_num(args, "worker", &v);
        }
        if (got == 0)
            v = 0; /* one worker: a trace from a tool without threads */
        if (got < 0 || !whole_in(v, 0, (double)max_workers - 1)) {
            if (got < 0)
                rc = bad_event(err, source, a->task, i,
                               "\"%s\" is not a number: it is the worker that "
                               "ran the attempt",
                               wkey);
            else
                rc = bad_event(err, source, a->task, i,
                               "\"%s\" is %.10g: workers are numbered 0 to "
                               "%d (a limit of %d workers: %s)",
                               wkey, v, max_workers - 1, max_workers,
                               raise_hint);
            break;
        }
        a->worker = a->row = (int)v;
        a->attempt =
            get_num(args, "attempt", &v) == 1 ? clamp_int(v, 1, 1000000000) : 1;
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
    if (rc != 0) {
        dr__vtrace_free(t);
        return rc;
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
        if (next->worker == a->worker && a->ts + a->dur > next->ts) {
            a->dur = next->ts - a->ts;
            /* ts + (next - ts) can round one ulp above next. */
            while (a->dur > 0 && a->ts + a->dur > next->ts)
                a->dur = nextafter(a->dur, 0);
        }
    }
    return 0;
}

int dr__vtrace_read(const json_t *trace, dr__vtrace *t, dr_error *err) {
    return dr__vtrace_read_ex(trace, NULL, 0, NULL, t, err);
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
    if (t->n + t->ncached == 0 || dr__vtrace_count_in_graph(t, g) > 0)
        return 0;
    /* A resumed run where every task was cached has no attempts. */
    for (size_t i = 0; i < t->ncached; i++)
        if (dr_graph_find(g, t->cached[i].task) != DR_TASK_NONE)
            return 0;
    const char *name = dr_graph_name(g);
    dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                  "the trace is of graph '%s', not of graph '%s': none of its "
                  "%zu %s is a task of the graph",
                  t->graph[0] ? t->graph : "(unnamed)",
                  name[0] ? name : "(unnamed)", t->n ? t->n : t->ncached,
                  t->n ? "task attempts" : "cached tasks");
    return DR_EINVAL;
}

void dr__vtrace_free(dr__vtrace *t) {
    free(t->a);
    free(t->cached);
    free(t->ranks);
    memset(t, 0, sizeof(*t));
}

/* -------------------------------------------------------------- summary */

/* The figures of summary.json and their ranges (docs/trace-format.md).
 * Times are seconds, any finite number from 0 up: a simulation of absurd
 * costs writes absurd but finite times, and its summary must still draw.
 * Counts have ranges no run reaches, so that 1e300 tasks is refused. */
static const struct {
    const char *key;
    double lo, hi;
} summary_numbers[] = {
    {"workers", 1, DR__VMAX_WORKERS},
    {"cores", 0, 1e6},
    {"makespan", 0, DBL_MAX},
    {"work", 0, DBL_MAX},
    {"span", 0, DBL_MAX},
    {"parallelism", 0, DBL_MAX},
    {"lower_bound", 0, DBL_MAX},
    {"makespan_over_bound", 0, DBL_MAX},
    {"utilization", 0, DBL_MAX},
    {"useful_utilization", 0, DBL_MAX},
    {"busy", 0, DBL_MAX},
    {"busy_failed", 0, DBL_MAX},
    {"max_running", 0, 1e9},
    {"avg_running", 0, 1e9},
    {"tasks", 0, 1e12},
    {"succeeded", 0, 1e12},
    {"cached_tasks", 0, 1e12},
    {"peak_live_results", 0, 1e12},
    {"peak_live_bytes", 0, 1e18},
};

static const char *const summary_id_lists[] = {
    "critical_path",     "failed",  "skipped",
    "interrupted_tasks", "not_run", "cached"};

static int bad_summary(dr_error *err, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_summary(dr_error *err, const char *source, const char *fmt,
                       ...) {
    char msg[DR_ERROR_TEXT_LENGTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dr__error_set(err, DR_EINVAL, source, 0, 0, NULL, "%s", msg);
    return DR_EINVAL;
}

int dr__vsummary_check(const json_t *s, const char *source, dr_error *err) {
    if (source == NULL)
        source = "the summary";
    if (!json_is_object(s))
        return bad_summary(err, source, "not a summary: not a JSON object");
    for (size_t i = 0; i < sizeof(summary_numbers) / sizeof(*summary_numbers);
         i++) {
        double v;
        int k = get_num(s, summary_numbers[i].key, &v);
        if (k < 0)
            return bad_summary(err, source, "\"%s\" is not a number",
                               summary_numbers[i].key);
        if (k == 1 &&
            !(v >= summary_numbers[i].lo && v <= summary_numbers[i].hi)) {
            char range[64];
            if (summary_numbers[i].hi == DBL_MAX)
                snprintf(range, sizeof(range), "%g up", summary_numbers[i].lo);
            else
                snprintf(range, sizeof(range), "%g to %g",
                         summary_numbers[i].lo, summary_numbers[i].hi);
            return bad_summary(err, source,
                               "\"%s\" is %.10g: expected a number from %s",
                               summary_numbers[i].key, v, range);
        }
    }
    for (size_t i = 0; i < sizeof(summary_id_lists) / sizeof(*summary_id_lists);
         i++) {
        json_t *l = json_object_get(s, summary_id_lists[i]);
        if (l == NULL || json_is_null(l))
            continue;
        if (!json_is_array(l))
            return bad_summary(err, source, "\"%s\" is not a list of task ids",
                               summary_id_lists[i]);
        size_t j;
        json_t *id;
        json_array_foreach(l, j, id) {
            if (!json_is_string(id))
                return bad_summary(err, source,
                                   "\"%s\"[%zu] is not a task id (a string)",
                                   summary_id_lists[i], j);
        }
    }
    json_t *chain = json_object_get(s, "makespan_chain");
    if (chain != NULL && !json_is_null(chain)) {
        if (!json_is_array(chain))
            return bad_summary(err, source,
                               "\"makespan_chain\" is not a list of steps");
        size_t j;
        json_t *st;
        json_array_foreach(chain, j, st) {
            dr__vstep step;
            const char *why = dr__vstep_read(st, &step);
            if (why != NULL)
                return bad_summary(err, source, "\"makespan_chain\"[%zu]: %s",
                                   j, why);
        }
    }
    json_t *failures = json_object_get(s, "failures");
    if (failures != NULL && !json_is_null(failures)) {
        if (!json_is_array(failures))
            return bad_summary(err, source, "\"failures\" is not a list");
        size_t j;
        json_t *f;
        json_array_foreach(failures, j, f) {
            if (!json_is_object(f) ||
                !json_is_string(json_object_get(f, "task")))
                return bad_summary(err, source,
                                   "\"failures\"[%zu] is not an object with "
                                   "a \"task\" id",
                                   j);
        }
    }
    return 0;
}

const char *dr__vstep_read(const json_t *st, dr__vstep *out) {
    if (!json_is_object(st))
        return "a step is an object {\"task\", \"worker\", \"start\", "
               "\"end\", \"via\"}";
    out->task = str_or(st, "task", NULL);
    if (out->task == NULL)
        return "\"task\" is missing or not a string";
    double w, start, end;
    if (get_num(st, "worker", &w) != 1 || !whole_in(w, 0, DR__VMAX_WORKERS))
        return "\"worker\" is not a worker number";
    if (get_num(st, "start", &start) != 1 || !(start >= 0) ||
        get_num(st, "end", &end) != 1 || !(end >= start))
        return "\"start\" and \"end\" are not times in seconds with "
               "0 <= start <= end";
    const char *via = str_or(st, "via", "start");
    out->worker = (int)w;
    out->start = start;
    out->end = end;
    out->via = strcmp(via, "worker") == 0       ? DR__VVIA_WORKER
               : strcmp(via, "dependency") == 0 ? DR__VVIA_DEPENDENCY
               : strcmp(via, "retry") == 0      ? DR__VVIA_RETRY
                                                : DR__VVIA_START;
    return NULL;
}

/* ------------------------------------------------------------- files */

json_t *dr__vload_trace(const char *path, int max_workers,
                        const char *raise_hint, dr_error *err) {
    json_t *j = dr__json_load_run_file(path, "trace", err);
    if (j == NULL)
        return NULL;
    dr__vtrace t;
    if (dr__vtrace_read_ex(j, path, max_workers, raise_hint, &t, err) != 0) {
        json_decref(j);
        return NULL;
    }
    dr__vtrace_free(&t);
    return j;
}

json_t *dr__vload_summary(const char *path, dr_error *err) {
    json_t *j = dr__json_load_run_file(path, "summary", err);
    if (j != NULL && dr__vsummary_check(j, path, err) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}
