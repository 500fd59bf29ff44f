/*
 * The simulator: the scheduling core driven by a virtual clock.  Task
 * durations come from the caller (graph costs or a previous trace, see
 * dr__run_durations); a task assigned at `now` ends at now + duration.
 * Pending completions sit in a min-heap keyed by (end time, start sequence),
 * so equal end times are handled in start order and the whole run is
 * deterministic.  All completions at the same instant are applied before
 * the next assignment round, so the policy chooses among every task that is
 * ready at that instant (what a list scheduler assumes).
 *
 * Attempts are recorded at start, in start order, exactly as a real run
 * records them, so the trace, metrics and summary code cannot tell the two
 * apart except for the `simulated` flag.  Builtin `fail` tasks fail at the
 * end of their duration (message from their args), with retries and
 * --keep-going honoured, so failure handling can be rehearsed too.  The
 * peak-live-results figure is computed from the attempts by metrics.c, as
 * for a real run; sizes are unknown, so peak bytes is 0.
 */
#include "drivers.h"
#include "graph_internal.h"
#include "records.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sim_event {
    double end;
    uint64_t seq;
    uint32_t task, worker;
} sim_event;

typedef struct sim_heap {
    sim_event *e;
    size_t n;
} sim_heap;

/* Without branches (& and | rather than && and ||): which child is
 * smaller is a coin toss the branch predictor cannot learn. */
static int event_less(const sim_event *a, const sim_event *b) {
    return (a->end < b->end) | ((a->end == b->end) & (a->seq < b->seq));
}

static void heap_push(sim_heap *h, sim_event ev) {
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!event_less(&ev, &h->e[p]))
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = ev;
}

/* Floyd's pop: the hole at the root goes down to a leaf by the smaller
 * child (one comparison a level instead of two), then the last event goes
 * up from there, usually not far: with 1,024 workers the heap has ten
 * levels, and this pop is most of the simulator's own time. */
static sim_event heap_pop(sim_heap *h) {
    sim_event top = h->e[0], last = h->e[--h->n];
    size_t n = h->n, i = 0;
    if (n == 0)
        return top;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l + (l + 1 < n && event_less(&h->e[l + 1], &h->e[l]));
        h->e[i] = h->e[m];
        i = m;
    }
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!event_less(&last, &h->e[p]))
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = last;
    return top;
}

static int is_fail_op(const dr_graph *g, dr_task t) {
    const char *op = dr_task_op_name(g, t);
    return dr_task_op_kind(g, t) == DR_OP_BUILTIN && op != NULL &&
           strcmp(op, "fail") == 0;
}

static const char *fail_message(const dr_graph *g, dr_task t) {
    const char *m =
        json_string_value(json_object_get(dr_task_op_args(g, t), "message"));
    return m != NULL ? m : "op 'fail' failed";
}

int dr__simulate(dr_run *run, dr__core *core, const double *duration,
                 dr_error *err) {
    const dr_graph *g = run->graph;
    size_t n = dr_graph_ntasks(g), alloc = n ? n : 1;
    sim_heap heap = {malloc(run->workers * sizeof(sim_event)), 0};
    if (heap.e == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    /* Which tasks fail (builtin `fail`), looked up once: op names are
     * strings and the loop below runs once per attempt.  NULL when none
     * does (the usual case: no byte a task). */
    uint8_t *fails = NULL;
    for (size_t t = 0; t < n; t++) {
        if (!is_fail_op(g, (dr_task)t))
            continue;
        if (fails == NULL && (fails = calloc(alloc, 1)) == NULL) {
            free(heap.e);
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            return DR_ENOMEM;
        }
        fails[t] = 1;
    }
    /* Attempts usually number the tasks: reserve them in one go. */
    (void)dr__run_reserve_attempts(run, n);
    uint64_t seq = 0;
    double now = 0;
    int rc = 0;
    dr__core_start(core, now);
    for (;;) {
        dr_task t;
        unsigned w;
        while (dr__core_assign(core, now, &t, &w)) {
            /* The task's attempts so far are its last one's number. */
            int32_t last = run->last[t];
            unsigned attempt = last < 0 ? 1 : run->attempts[last].attempt + 1;
            int fail = fails != NULL && fails[t];
            double end = now + duration[t];
            if (dr__run_add_attempt(run, t, w, attempt,
                                    fail ? DR__ATTEMPT_FAILED : DR__ATTEMPT_OK,
                                    dr__core_ready_time(core, t), now, end,
                                    fail ? fail_message(g, t) : NULL) < 0) {
                rc = DR_ENOMEM;
                goto done;
            }
            heap_push(&heap, (sim_event){end, seq++, t, w});
        }
        if (heap.n == 0)
            break;
        now = heap.e[0].end;
        while (heap.n > 0 && heap.e[0].end == now) {
            sim_event ev = heap_pop(&heap);
            dr_task u = ev.task;
            if (fails == NULL || !fails[u]) {
                dr__core_finish(core, u, ev.worker, now);
                continue;
            }
            unsigned tried = run->attempts[run->last[u]].attempt;
            int retries = dr_task_retries(g, u);
            if (retries < 0)
                retries = run->opts.retries;
            /* As in a real run: once a failure has stopped the run, a
             * failing task is not tried again. */
            if (tried <= (unsigned)retries && !dr__core_stopped(core)) {
                dr__core_retry(core, u, ev.worker, now);
                continue;
            }
            dr__core_fail(core, u, ev.worker, now, run->opts.keep_going);
            if (dr__run_add_failure(run, u, tried, fail_message(g, u), NULL) !=
                0) {
                rc = DR_ENOMEM;
                goto done;
            }
        }
    }
done:
    if (rc == DR_ENOMEM)
        dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
    run->peak_live_bytes = 0;
    run->makespan = now;
    free(heap.e), free(fails);
    return rc;
}

/* 1: a finite number in *out, 0: absent, -1: present but not a number. */
static int trace_num(const json_t *o, const char *key, double *out) {
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return isfinite(*out) ? 1 : -1;
}

long dr__costs_from_trace_json(const dr_graph *g, const json_t *root,
                               const char *source, double *duration,
                               uint8_t *found, dr_error *err) {
    json_t *events = json_object_get(root, "traceEvents");
    if (!json_is_array(events)) {
        dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                      "not a dagrun trace: no 'traceEvents' list");
        return DR_EFORMAT;
    }
    size_t n = dr_graph_ntasks(g);
    double *best_ts = malloc((n ? n : 1) * sizeof(*best_ts));
    if (best_ts == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    for (size_t t = 0; t < n; t++)
        best_ts[t] = -1;
    long matched = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *ph = json_string_value(json_object_get(ev, "ph"));
        json_t *args = json_object_get(ev, "args");
        const char *key = json_string_value(json_object_get(args, "task"));
        const char *status = json_string_value(json_object_get(args, "status"));
        if (ph == NULL || strcmp(ph, "X") != 0 || key == NULL ||
            (status && strcmp(status, "ok") != 0))
            continue;
        dr_task t = dr_graph_find(g, key);
        if (t == DR_TASK_NONE)
            continue;
        /* A successful attempt of a task of the graph gives that task its
         * cost, so its times must be usable: present, finite, not
         * negative (docs/trace-format.md, readers' limits). */
        double ts = 0, dur = 0;
        int got_ts = trace_num(ev, "ts", &ts),
            got_dur = trace_num(ev, "dur", &dur);
        if (got_ts != 1 || got_dur != 1 || ts < 0 || dur < 0) {
            const char *which = got_dur != 1 || dur < 0 ? "dur" : "ts";
            int got = which[0] == 'd' ? got_dur : got_ts;
            dr__error_set(err, DR_EFORMAT, source, 0, 0, key,
                          "traceEvents[%zu]: \"%s\" is %s: a successful "
                          "attempt needs a start and a duration in "
                          "microseconds, from 0 up",
                          i, which,
                          got == 0  ? "missing"
                          : got < 0 ? "not a number"
                                    : "negative");
            free(best_ts);
            return DR_EFORMAT;
        }
        if (ts < best_ts[t])
            continue;
        if (best_ts[t] < 0)
            matched++;
        best_ts[t] = ts;
        if (found != NULL)
            found[t] = 1;
        duration[t] = dur / 1e6;
    }
    free(best_ts);
    if (matched == 0 && n > 0) {
        dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                      "the trace has no successful task of this graph");
        return DR_EFORMAT;
    }
    return matched;
}

int dr__trace_busy(const json_t *trace) {
    return json_is_true(
        json_object_get(json_object_get(trace, "otherData"), "busy_machine"));
}

long dr__costs_from_trace(const dr_graph *g, const char *path, double *duration,
                          uint8_t *found, int *busy, dr_error *err) {
    dr_error local;
    if (err == NULL) { /* the code is wanted even when the text is not */
        dr_error_clear(&local);
        err = &local;
    }
    /* The size cap of every reader of run files (DAGRUN_MAX_TRACE_BYTES). */
    json_t *root = dr__json_load_run_file(path, "trace", err);
    if (root == NULL)
        return err->code != 0 ? err->code : DR_EPARSE;
    long rc = dr__costs_from_trace_json(g, root, path, duration, found, err);
    if (busy != NULL)
        *busy = rc >= 0 && dr__trace_busy(root);
    json_decref(root);
    return rc;
}
