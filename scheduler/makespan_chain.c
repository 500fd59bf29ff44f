/*
 * The chain of attempts that set the makespan, computed from the attempt
 * records alone, so a real run and a simulated one are explained by the same
 * code (docs/scheduling.md, "The chain that set the makespan").
 *
 * The graph's critical path says what unlimited workers would wait for: the
 * longest chain of dependencies.  With few workers the run also waits for
 * workers, and the chain that ended the run can leave the critical path:
 * pi on 8 workers ends with map-15, which ran after map-6 on map-6's worker,
 * although only map-6 is on the critical path.  This walk finds that chain.
 *
 * It starts from the attempt that ended last (the latest end; at equal ends
 * the latest start) and asks of each step X, ready at r, started at s on
 * worker w, why it started then:
 *
 *  - W is the attempt that ran on w just before X.  When r < end(W), X was
 *    ready while its worker was still busy: X waited for a worker, and the
 *    previous step is W (via "worker").  A greedy scheduler starts X as
 *    soon as W frees the worker, so end(W) is s up to the dispatch latency.
 *  - Otherwise, when X is a retry, the previous step is the failed attempt
 *    it repeats (via "retry": X could not start before it ended, but that
 *    is no dependency of the graph).
 *  - Otherwise, when X's task has dependencies, the previous step is the
 *    dependency attempt that ended last, the one that made X ready (via
 *    "dependency"); at equal ends the one on X's worker, then the first in
 *    the task's dependency order.
 *  - Otherwise nothing held X: it is the first step (via "start").
 *
 * Each step moves to an attempt that ended no later than the current one
 * started, so the walk ends; a visited mark guards against inconsistent
 * hand-made records (equal instants, zero-length attempts).  O(A + P + E)
 * for A attempts, P workers and the dependencies of the steps, plus a sort of
 * any worker whose attempts were not recorded in start order (neither driver
 * does that: a worker runs one attempt at a time and records them in turn).
 */
#include "graph_internal.h"
#include "run_internal.h"

#include <stdlib.h>

#define NONE ((size_t)-1)

const char *dr__via_name(unsigned via) {
    switch (via) {
    case DR__VIA_DEPENDENCY:
        return "dependency";
    case DR__VIA_WORKER:
        return "worker";
    case DR__VIA_RETRY:
        return "retry";
    default:
        return "start";
    }
}

/* An attempt in its worker's order. */
typedef struct slot_order {
    double start, end;
    size_t index;
} slot_order;

static int order_cmp(const void *pa, const void *pb) {
    const slot_order *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* prev_on_worker[i]: the attempt that ran on i's worker just before i, or
 * NONE.  A counting sort by worker keeps record order within a worker, which
 * is start order for both drivers; a worker found out of order is sorted. */
static int worker_predecessors(const dr_run *run, size_t *prev_on_worker) {
    size_t na = run->nattempts;
    uint32_t nw = 0;
    for (size_t i = 0; i < na; i++)
        if (run->attempts[i].worker + 1 > nw)
            nw = run->attempts[i].worker + 1;
    size_t *off = calloc((size_t)nw + 1, sizeof(*off));
    slot_order *by = malloc(na * sizeof(*by));
    if (off == NULL || by == NULL) {
        free(off), free(by);
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < na; i++)
        off[run->attempts[i].worker + 1]++;
    for (uint32_t w = 0; w < nw; w++)
        off[w + 1] += off[w];
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        by[off[a->worker]++] = (slot_order){a->start, a->end, i};
    }
    /* off[w] is now the end of worker w's run of entries. */
    size_t begin = 0;
    for (uint32_t w = 0; w < nw; w++) {
        size_t end = off[w];
        for (size_t k = begin + 1; k < end; k++)
            if (order_cmp(&by[k - 1], &by[k]) > 0) {
                qsort(by + begin, end - begin, sizeof(*by), order_cmp);
                break;
            }
        for (size_t k = begin; k < end; k++)
            prev_on_worker[by[k].index] = k > begin ? by[k - 1].index : NONE;
        begin = end;
    }
    free(off), free(by);
    return 0;
}

/* prev_try[i]: the attempt that attempt i retries (same task, attempt
 * number one less), or NONE. */
static int retry_predecessors(const dr_run *run, size_t *prev_try) {
    size_t n = dr_graph_ntasks(run->graph);
    size_t *latest = malloc((n ? n : 1) * sizeof(*latest));
    if (latest == NULL)
        return DR_ENOMEM;
    for (size_t t = 0; t < n; t++)
        latest[t] = NONE;
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        size_t p = a->task < n ? latest[a->task] : NONE;
        prev_try[i] =
            p != NONE && run->attempts[p].attempt + 1 == a->attempt ? p : NONE;
        if (a->task < n)
            latest[a->task] = i;
    }
    free(latest);
    return 0;
}

/* The dependency attempt that made attempt x ready, or NONE. */
static size_t last_dependency(const dr_run *run, const dr__attempt *x) {
    size_t nd, best = NONE;
    const dr_task *deps = dr_task_deps(run->graph, x->task, &nd);
    for (size_t j = 0; j < nd; j++) {
        int32_t li = run->last[deps[j]];
        if (li < 0)
            continue;
        const dr__attempt *d = &run->attempts[li];
        if (d->status != DR__ATTEMPT_OK || d->end > x->start)
            continue;
        if (best == NONE) {
            best = (size_t)li;
            continue;
        }
        const dr__attempt *b = &run->attempts[best];
        if (d->end > b->end || (d->end == b->end && d->worker == x->worker &&
                                b->worker != x->worker))
            best = (size_t)li;
    }
    return best;
}

int dr__run_makespan_chain(const dr_run *run, dr__chain_step **steps,
                           size_t *nsteps) {
    *steps = NULL;
    *nsteps = 0;
    size_t na = run->nattempts;
    if (na == 0)
        return 0;
    size_t *prev_w = malloc(na * sizeof(*prev_w));
    size_t *prev_try = malloc(na * sizeof(*prev_try));
    uint8_t *seen = calloc(na, 1);
    dr__chain_step *out = NULL;
    size_t len = 0, cap = 0;
    int rc = DR_ENOMEM;
    if (prev_w == NULL || prev_try == NULL || seen == NULL ||
        worker_predecessors(run, prev_w) != 0 ||
        retry_predecessors(run, prev_try) != 0)
        goto done;
    size_t cur = 0;
    for (size_t i = 1; i < na; i++) {
        const dr__attempt *a = &run->attempts[i], *b = &run->attempts[cur];
        if (a->end > b->end || (a->end == b->end && a->start > b->start))
            cur = i;
    }
    for (;;) {
        const dr__attempt *x = &run->attempts[cur];
        double ready =
            x->ready >= 0 && x->ready <= x->start ? x->ready : x->start;
        size_t prev = NONE;
        unsigned via = DR__VIA_START;
        size_t w = prev_w[cur];
        if (w != NONE && ready < run->attempts[w].end &&
            run->attempts[w].end <= x->start) {
            prev = w;
            via = DR__VIA_WORKER;
        } else if (prev_try[cur] != NONE) {
            prev = prev_try[cur];
            via = DR__VIA_RETRY;
        } else if ((prev = last_dependency(run, x)) != NONE) {
            via = DR__VIA_DEPENDENCY;
        }
        seen[cur] = 1;
        if (prev != NONE && seen[prev])
            prev = NONE;
        if (len == cap) {
            size_t c = cap ? 2 * cap : 16;
            dr__chain_step *bigger = realloc(out, c * sizeof(*out));
            if (bigger == NULL)
                goto done;
            out = bigger;
            cap = c;
        }
        out[len++] = (dr__chain_step){cur, prev == NONE ? DR__VIA_START : via};
        if (prev == NONE)
            break;
        cur = prev;
    }
    for (size_t i = 0; i < len / 2; i++) {
        dr__chain_step t = out[i];
        out[i] = out[len - 1 - i];
        out[len - 1 - i] = t;
    }
    *steps = out;
    *nsteps = len;
    out = NULL;
    rc = 0;
done:
    free(out);
    free(prev_w);
    free(prev_try);
    free(seen);
    return rc;
}

json_t *dr__chain_json(const dr_run *run, const dr__chain_step *steps,
                       size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; i < n && list != NULL; i++) {
        const dr__attempt *a = &run->attempts[steps[i].attempt];
        json_t *step =
            json_pack("{s:s, s:I, s:f, s:f, s:s}", "task",
                      dr_task_key(run->graph, a->task), "worker",
                      (json_int_t)a->worker, "start", a->start, "end", a->end,
                      "via", dr__via_name(steps[i].via));
        if (step == NULL || json_array_append_new(list, step) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

json_t *dr__run_chain_json(const dr_run *run) {
    dr__chain_step *steps;
    size_t n;
    if (dr__run_makespan_chain(run, &steps, &n) != 0)
        return NULL;
    json_t *list = dr__chain_json(run, steps, n);
    free(steps);
    return list;
}
