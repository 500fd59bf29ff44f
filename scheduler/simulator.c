/*
 * The simulator: the scheduling core driven by a virtual clock.  Task
 * durations come from the caller (graph costs or a previous trace, see
 * dr__run_durations); a task assigned at `now` ends at now + duration.
 * Pending completions sit in a radix heap keyed by end time, first in first
 * out at equal times, so equal end times are handled in start order and
 * the whole run is deterministic.  All completions at the same instant are
 * applied before the next assignment round, so the policy chooses among every
 * task that is ready at that instant (what a list scheduler assumes).
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
    uint64_t key; /* the end time's bits, ordered as the times (ekey) */
    double end;
    uint32_t task, worker;
} sim_event;

/* A double >= 0 as an unsigned key with the same order. */
static uint64_t ekey(double t) {
    uint64_t u;
    memcpy(&u, &t, sizeof(u));
    return u | (1ULL << 63);
}

/*
 * The pending completions: a radix heap (Ahuja, Mehlhorn, Orlin, Tarjan
 * 1990).  The clock never goes back, so every key pushed is at least the
 * last one taken (`last`); a key goes into bucket 0 when it equals `last`
 * and else into bucket 1 + the highest bit where it differs from `last`.
 * Taking from an empty bucket 0 finds the first bucket with events, makes
 * its least key `last` and spreads that bucket over the lower ones, which
 * are empty then: each event moves down a few times in its life, against
 * a binary heap's ten levels at 1,024 workers (the simulator's own time
 * was mostly that heap).  Buckets keep their order and equal keys always
 * share a bucket, so equal end times come out in the order they went in:
 * start order, as the heap's (end, sequence) order had it.
 */
typedef struct sim_bucket {
    sim_event *e;
    size_t n, cap, head; /* head: bucket 0's next to take */
} sim_bucket;

typedef struct sim_queue {
    sim_bucket b[65];
    uint64_t last;
    size_t n;
} sim_queue;

static unsigned bucket_of(uint64_t key, uint64_t last) {
    return key == last ? 0 : 64 - (unsigned)__builtin_clzll(key ^ last);
}

static int bucket_add(sim_bucket *b, sim_event ev) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        sim_event *e = realloc(b->e, cap * sizeof(*e));
        if (e == NULL)
            return DR_ENOMEM;
        b->e = e;
        b->cap = cap;
    }
    b->e[b->n++] = ev;
    return 0;
}

static int queue_push(sim_queue *q, sim_event ev) {
    int rc = bucket_add(&q->b[bucket_of(ev.key, q->last)], ev);
    q->n += rc == 0;
    return rc;
}

/* The next event (q->n > 0), left in the queue, its key now `last`:
 * nothing may be pushed before it from then on.  NULL when out of
 * memory. */
static const sim_event *queue_peek(sim_queue *q) {
    sim_bucket *b0 = &q->b[0];
    if (b0->head == b0->n) {
        b0->head = b0->n = 0;
        unsigned i = 1;
        while (q->b[i].n == 0)
            i++;
        sim_bucket *bi = &q->b[i];
        uint64_t min = bi->e[0].key;
        for (size_t j = 1; j < bi->n; j++)
            if (bi->e[j].key < min)
                min = bi->e[j].key;
        q->last = min;
        for (size_t j = 0; j < bi->n; j++)
            if (bucket_add(&q->b[bucket_of(bi->e[j].key, min)], bi->e[j]) != 0)
                return NULL; /* the events moved so far are lost: the run
                              * fails, nothing reads them again */
        bi->n = 0;
    }
    return &b0->e[b0->head];
}

static void queue_free(sim_queue *q) {
    for (unsigned i = 0; i < 65; i++)
        free(q->b[i].e);
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
    sim_queue queue;
    memset(&queue, 0, sizeof(queue));
    /* Which tasks fail (builtin `fail`), looked up once: op names are
     * strings and the loop below runs once per attempt.  NULL when none
     * does (the usual case: no byte a task). */
    uint8_t *fails = NULL;
    for (size_t t = 0; t < n; t++) {
        if (!is_fail_op(g, (dr_task)t))
            continue;
        if (fails == NULL && (fails = calloc(alloc, 1)) == NULL) {
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            return DR_ENOMEM;
        }
        fails[t] = 1;
    }
    /* Attempts usually number the tasks: reserve them in one go. */
    (void)dr__run_reserve_attempts(run, n);
    double now = 0,
           overhead = run->opts.sim_overhead > 0 ? run->opts.sim_overhead : 0;
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
            /* The runtime's overhead (--overhead, in the duration) comes
             * first and is no part of the attempt: it shows as the gap
             * before it, as a real run's does, not as work. */
            double start = now + overhead;
            if (dr__run_add_attempt(run, t, w, attempt,
                                    fail ? DR__ATTEMPT_FAILED : DR__ATTEMPT_OK,
                                    dr__core_ready_time(core, t), start, end,
                                    fail ? fail_message(g, t) : NULL) < 0) {
                rc = DR_ENOMEM;
                goto done;
            }
            if (queue_push(&queue, (sim_event){ekey(end), end, t, w}) != 0) {
                rc = DR_ENOMEM;
                goto done;
            }
        }
        if (queue.n == 0)
            break;
        const sim_event *next = queue_peek(&queue);
        if (next == NULL) {
            rc = DR_ENOMEM;
            goto done;
        }
        /* Every completion at `now` is in bucket 0 (its key is `last`);
         * the rest is later.  Nothing is pushed until they are all
         * handled, and then at `now` or after, never before `last`. */
        now = next->end;
        sim_bucket *b0 = &queue.b[0];
        while (b0->head < b0->n) {
            sim_event ev = b0->e[b0->head++];
            queue.n--;
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
    queue_free(&queue);
    free(fails);
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
