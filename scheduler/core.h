/*
 * The scheduling core, shared by the real executor and the simulator: it
 * knows which tasks are ready (dependency counts), orders them by a policy,
 * and pairs the best ready task with a free worker.  It knows nothing about
 * threads, processes or clocks: the drivers pass `now` (seconds since the
 * run started, wall or virtual) into every call, so the same core gives the
 * same decisions for the same events in both drivers.
 *
 * Not thread-safe: the executor calls it only under its sched lock (from
 * worker threads and the libuv loop thread), the simulator from one thread.
 * Every call is O(log n) in the number of ready tasks, except
 * dr__core_fail, which visits the failed task's descendants once.
 */
#ifndef DAGRUN_CORE_H
#define DAGRUN_CORE_H

#include "dagrun/run.h"

typedef struct dr__core dr__core;

/* Per-task state as the core sees it. */
enum {
    DR__WAITING = 0, /* some dependency has not finished */
    DR__READY,       /* in the ready set */
    DR__RUNNING,     /* assigned to a worker */
    DR__DONE,        /* finished successfully */
    DR__FAILED,      /* failed for good */
    DR__SKIPPED      /* a dependency failed */
};

/*
 * Creates a core for a validated graph.  `duration` (may be NULL: graph
 * costs) gives the per-task durations the cp/order priorities use.
 * Returns NULL on DR_ENOMEM.
 */
dr__core *dr__core_create(const dr_graph *g, dr_policy policy, uint64_t seed,
                          unsigned workers, const double *duration);
void dr__core_destroy(dr__core *c);

/* Before dr__core_start: t is done already (a cached task of a resumed
 * run, docs/resuming.md): it never runs, takes no worker, and counts as
 * finished; its dependents wait only for their other dependencies.  Call
 * it on a task only once, and only when all its dependencies were given
 * to it too (a cached task's dependencies are cached). */
void dr__core_cached(dr__core *c, dr_task t);

/* Makes every task without dependencies ready at `now` (and every task
 * whose dependencies are all cached). */
void dr__core_start(dr__core *c, double now);

/* Pops the best ready task and a free worker (lowest free id).  Returns 1
 * and sets both, or 0 when nothing can start (no ready task, no free worker,
 * or the core is stopped). */
int dr__core_assign(dr__core *c, double now, dr_task *task, unsigned *worker);
/* Pops the best ready task for `worker`, which asks for work itself (the
 * executor's worker threads).  Returns 1 and sets *task, or 0 when nothing
 * can start (no ready task, the worker is not free or out of range, or the
 * core is stopped). */
int dr__core_assign_to(dr__core *c, double now, unsigned worker, dr_task *task);

/* Pops the best ready task for `worker`, which already holds one or more
 * (the executor's batches of short tasks, docs/scheduling.md): the worker
 * stays taken until every task it holds has ended.  Returns 1 and sets
 * *task, or 0 when nothing can start (no ready task, the worker holds
 * nothing, or the core is stopped). */
int dr__core_assign_more(dr__core *c, double now, unsigned worker,
                         dr_task *task);
/* Gives back task t, assigned to `worker` but never started (a batch cut
 * short): it is ready again, with its old ready time.  Under cp, order and
 * random it is where it was; under fifo it goes behind the tasks that
 * became ready since, under lifo in front of them (tasks given back one
 * after another come out in reverse order). */
void dr__core_unassign(dr__core *c, dr_task t, unsigned worker);

/* Pops the best ready task t and asks pick(arg, t) which free worker takes
 * it (the MPI executor's locality rule: the policy chooses the task, the
 * driver the worker); a worker that is not free is replaced by the lowest
 * free id.  Returns 1 and sets both, or 0 as dr__core_assign. */
int dr__core_assign_pick(dr__core *c, double now,
                         unsigned (*pick)(void *arg, dr_task t), void *arg,
                         dr_task *task, unsigned *worker);

/* The task ended well on `worker`: frees the worker, readies dependents. */
void dr__core_finish(dr__core *c, dr_task t, unsigned worker, double now);
/* dr__core_finish, and `claim` (DR_TASK_NONE: none), a dependent of t that
 * becomes ready now, starts on the same worker at once, never entering the
 * ready set (the executor's chains of short tasks, docs/scheduling.md).
 * A claim that does not become ready is ignored. */
void dr__core_finish_claim(dr__core *c, dr_task t, unsigned worker, double now,
                           dr_task claim);
/* The attempt failed but will be retried: frees the worker, makes t ready
 * again at `now`. */
void dr__core_retry(dr__core *c, dr_task t, unsigned worker, double now);
/* The task failed for good: frees the worker, marks every descendant
 * skipped; unless keep_going, stops the core (nothing new starts). */
void dr__core_fail(dr__core *c, dr_task t, unsigned worker, double now,
                   int keep_going);
/* Start nothing new from now on (interrupt, failure). */
void dr__core_stop(dr__core *c);

/* State of a task (DR__*) and when it became ready (-1: never). */
int dr__core_state(const dr__core *c, dr_task t);
double dr__core_ready_time(const dr__core *c, dr_task t);

size_t dr__core_nready(const dr__core *c);
size_t dr__core_nrunning(const dr__core *c);
/* Workers that hold no task (asking for one, polling or idle). */
size_t dr__core_nfree(const dr__core *c);
size_t dr__core_nfinished(const dr__core *c); /* done + failed + skipped */
/* 1 when nothing runs and nothing more can start. */
int dr__core_idle(const dr__core *c);
/* 1 once dr__core_stop (or a failure without keep_going) stopped the core. */
int dr__core_stopped(const dr__core *c);
/* The static priority of t for cp and order (0 = most urgent); 0 for the
 * other policies.  For tests and the trace. */
uint64_t dr__core_rank(const dr__core *c, dr_task t);

#endif
