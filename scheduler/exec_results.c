/*
 * The executor's results bookkeeping: which results are held, how many
 * bytes they take, and when the last consumer lets one go (exec_internal.h).
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

/* --------------------------------------------------------------- results */

/* A cheap estimate of the memory a JSON value holds (jansson's own structs
 * plus strings), good enough for the peak-live-bytes figure. */
size_t dr__x_json_size(json_t *v, int depth) {
    if (v == NULL)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t size = 64;
        const char *key;
        json_t *value;
        if (depth > 32)
            return size;
        json_object_foreach(v, key, value) {
            size += 32 + strlen(key) + dr__x_json_size(value, depth + 1);
        }
        return size;
    }
    case JSON_ARRAY: {
        size_t size = 32 + 8 * json_array_size(v), i;
        json_t *value;
        if (depth > 32)
            return size;
        json_array_foreach(v, i, value) {
            size += dr__x_json_size(value, depth + 1);
        }
        return size;
    }
    case JSON_STRING:
        return 32 + json_string_length(v);
    case JSON_INTEGER:
    case JSON_REAL:
        return 24;
    default: /* true, false, null are shared singletons */
        return 0;
    }
}

void dr__x_result_free(result *r) {
    json_decref(r->json);
    free(r->wire);
    if (r->ptr != NULL && r->free_fn != NULL)
        r->free_fn(r->ptr);
    memset(r, 0, sizeof *r);
}

/* Whether r counts as a live result: JSON null (what noop and sleep give)
 * is a shared singleton that costs nothing to hold. */
static int result_held(const result *r) {
    return r->ptr != NULL || r->held > 0 ||
           (r->json != NULL && !json_is_null(r->json));
}

/* Whether releasing r would do anything: held, or a worker's text to free
 * (a null result a worker process sent still has its text). */
int dr__x_result_stored(const result *r) {
    return result_held(r) || r->wire != NULL;
}

/* (lock) Keeps t's result and updates the peak of bytes held (the peak
 * count of results is metrics.c's, from the attempt list). */
void dr__x_keep_result(exec *x, dr_task t, result *r) {
    if (!dr__x_result_stored(r)) {
        /* null or none (a noop's, a sleep's): results[t] is still zero
         * from the start, so only the JSON pointer is written. */
        x->results[t].json = r->json;
        memset(r, 0, sizeof *r);
        return;
    }
    x->results[t] = *r;
    memset(r, 0, sizeof *r);
    x->nstored++;
    if (!result_held(&x->results[t]))
        return;
    x->live_bytes += x->results[t].size;
    if (x->live_bytes > x->run->peak_live_bytes)
        x->run->peak_live_bytes = x->live_bytes;
}

/* (lock) */
void dr__x_release_result(exec *x, dr_task t) {
    result *r = &x->results[t];
    if (dr__x_result_stored(r))
        x->nstored--;
    if (result_held(r))
        x->live_bytes -= r->size;
    if (r->held > 0)
        dr__x_mpi_drop(x, t, r->held);
    dr__x_result_free(r);
}

/* (lock) Each of t's dependencies has one consumer less. */
static void consume_deps(exec *x, dr_task t) {
    size_t nd;
    const dr_task *deps = dr_task_deps(x->g, t, &nd);
    for (size_t i = 0; i < nd; i++)
        if (--x->consumers[deps[i]] == 0 && !x->run->keep[deps[i]])
            dr__x_release_result(x, deps[i]);
}

/* (lock) t has run (well or not): each dependency has one consumer less.
 * When no result is stored at all (a graph of noops, sleeps, results
 * already released) there is nothing to release, and nothing to count
 * either: t's dependencies have all ended, and a result is stored only
 * when its task ends, so theirs never will be (the common case for
 * scheduling experiments: no walk over t's dependencies per task). */
void dr__x_consumed(exec *x, dr_task t) {
    if (x->nstored > 0)
        consume_deps(x, t);
}

/*
 * (lock) The tasks the core has just skipped because t failed will never
 * run, so they never consume their inputs: consume for them, or with
 * --keep-going those results would stay alive until the end of the run.
 * Walks t's descendants once each; on DR_ENOMEM the results are simply
 * released at the end, as before.
 */
void dr__x_consumed_by_skipped(exec *x, dr_task t) {
    if (x->skip_seen == NULL &&
        (x->skip_seen = calloc(x->n ? x->n : 1, 1)) == NULL)
        return;
    size_t cap = 64, top = 0;
    dr_task *stack = malloc(cap * sizeof(*stack));
    if (stack == NULL)
        return;
    stack[top++] = t;
    while (top > 0) {
        size_t ns;
        const dr_task *succ = dr_task_succs(x->g, stack[--top], &ns);
        for (size_t i = 0; i < ns; i++) {
            dr_task v = succ[i];
            if (x->skip_seen[v] || dr__core_state(x->core, v) != DR__SKIPPED)
                continue;
            x->skip_seen[v] = 1;
            /* v never ran: some of its dependencies may not have ended
             * yet, so their counts are kept exact. */
            consume_deps(x, v);
            if (top == cap) {
                dr_task *bigger = realloc(stack, 2 * cap * sizeof(*stack));
                if (bigger == NULL)
                    break;
                stack = bigger;
                cap *= 2;
            }
            stack[top++] = v;
        }
    }
    free(stack);
}
