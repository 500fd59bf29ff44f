/*
 * The executor's worker threads: running a function task (dr__x_run_job),
 * recording an attempt and handing out the next tasks under the sched lock
 * (exec_internal.h has the design).
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

#include <sched.h>

/* ------------------------------------------------------- worker threads */

/* Sleeps `sec` seconds in steps short enough to notice a cancel. */
static int sleep_cancellable(double sec, const atomic_int *cancel) {
    /* Capped at ~30 years so the nanoseconds cannot overflow. */
    double ns = sec > 0 ? (sec < 1e9 ? sec * 1e9 : 1e18) : 0;
    uint64_t end = uv_hrtime() + (uint64_t)ns;
    for (;;) {
        if (atomic_load(cancel))
            return -1;
        uint64_t now = uv_hrtime();
        if (now >= end)
            return 0;
        uint64_t step = end - now;
        if (step > 20000000)
            step = 20000000;
        struct timespec ts = {(time_t)(step / 1000000000),
                              (long)(step % 1000000000)};
        nanosleep(&ts, NULL);
    }
}

dr_task_fn dr__x_task_fn(const exec *x, dr_task t, void **user) {
    dr_task_fn fn = dr_task_function(x->g, t, user);
    if (fn == NULL)
        dr_ops_find(x->run->opts.ops, dr_task_op_name(x->g, t), &fn, user);
    return fn;
}

/* (thread) Runs the function task on slot s, the sched lock not held. */
void dr__x_run_job(slot *s) {
    exec *x = s->x;
    dr_task t = s->call.task;
    dr_call *call = &s->call;
    int rc = 0;
    switch (how_of(x, t)) {
    case HOW_NOOP:
        call->out.json = json_null();
        break;
    case HOW_BUILTIN: {
        json_t *res = NULL;
        rc = dr__builtin_run(dr_task_op_name(x->g, t), dr_task_op_args(x->g, t),
                             s->inputs, call->ndeps, &res, call->error,
                             sizeof call->error, &s->cancel);
        if (rc == 0)
            call->out.json = res;
        else
            json_decref(res);
        break;
    }
    case HOW_FUNCTION: {
        void *user = NULL;
        dr_task_fn fn = dr__x_task_fn(x, t, &user);
        rc = fn != NULL ? fn(call, user) : -1;
        if (fn == NULL)
            snprintf(call->error, sizeof call->error,
                     "no C function for operation '%s'",
                     dr_task_op_name(x->g, t));
        if (rc != 0 && call->error[0] == '\0')
            snprintf(call->error, sizeof call->error,
                     "function '%s' returned %d", dr_task_op_name(x->g, t), rc);
        break;
    }
    case HOW_SLEEP:
        rc = sleep_cancellable(dr_task_cost(x->g, t) * x->run->opts.cost_scale,
                               &s->cancel);
        break;
    case HOW_SPIN:
        dr__spin(dr_task_cost(x->g, t) * x->run->opts.cost_scale * 1000.0,
                 &s->cancel);
        rc = atomic_load(&s->cancel) ? -1 : 0;
        break;
    default:
        break;
    }
    if (rc != 0 && call->error[0] == '\0')
        snprintf(call->error, sizeof call->error, "interrupted");
    if (rc == 0 && call->out.json != NULL && !json_is_null(call->out.json))
        call->out.size = dr__x_json_size(call->out.json, 0);
    s->failed = rc != 0;
}

/* (thread) Fills slot s's call for task t before it runs, the lock not
 * held: dependencies' results are stable while t runs (top comment). */
int dr__x_prepare_call(exec *x, slot *s, dr_task t) {
    dr_call *call = &s->call;
    call->x = x;
    call->task = t;
    call->worker = s->worker;
    /* A noop, sleep or spin run here looks at no input: no need to fetch
     * its dependencies (a cache miss on the graph per task). */
    unsigned how = how_of(x, t);
    if (x->pool == NULL && !x->mpi &&
        (how == HOW_NOOP || how == HOW_SLEEP || how == HOW_SPIN)) {
        call->deps = NULL;
        call->ndeps = 0;
    } else
        call->deps = dr_task_deps(x->g, t, &call->ndeps);
    call->cancel = &s->cancel;
    call->in = NULL;
    memset(&call->out, 0, sizeof call->out);
    call->error[0] = '\0';
    s->failed = 0;
    if (how == HOW_BUILTIN) {
        if (call->ndeps > s->capinputs) {
            size_t cap = call->ndeps * 2;
            json_t **in = realloc(s->inputs, cap * sizeof *in);
            if (in == NULL) {
                snprintf(call->error, sizeof call->error, "out of memory");
                s->failed = 1;
                return -1;
            }
            s->inputs = in;
            s->capinputs = cap;
        }
        for (size_t i = 0; i < call->ndeps; i++)
            s->inputs[i] = x->results[call->deps[i]].json;
    }
    return 0;
}

/* ---------------------------------------------------------- completions */

static unsigned task_retries(const exec *x, dr_task t) {
    int r = dr_task_retries(x->g, t);
    if (r < 0)
        r = x->run->opts.retries;
    return r > 0 ? (unsigned)r : 0;
}

/* (lock) */
void dr__x_fail_run(exec *x, int code, const char *fmt, ...) {
    if (x->err == 0) {
        va_list ap;
        va_start(ap, fmt);
        dr__error_setv(x->errp, code, NULL, 0, 0, NULL, fmt, ap);
        va_end(ap);
        x->err = code;
    }
}

/* (lock) Refreshes nready_hint. */
void dr__x_update_hint(exec *x) {
    int any = dr__core_nready(x->core) > 0;
    if (atomic_load_explicit(&x->nready_hint, memory_order_relaxed) != any)
        atomic_store_explicit(&x->nready_hint, any, memory_order_relaxed);
    if (dr__core_stopped(x->core) &&
        !atomic_load_explicit(&x->stopped_hint, memory_order_relaxed))
        atomic_store_explicit(&x->stopped_hint, 1, memory_order_relaxed);
}

/* (lock) Hands the ready tasks to idle workers at `now`, best task to the
 * lowest idle id (as dr__core_assign pairs them), so which slot runs what
 * follows from the events, not from which thread wakes first.  Only a worker
 * given a function task is woken: one wake-up per task that needs a thread,
 * never a herd racing for one task.  A worker given a command stays asleep
 * (idle, but off the stack) until the loop frees its slot. */
void dr__x_hand_out(exec *x, double now) {
    while (x->mpi && x->nidle > 0 && dr__core_nready(x->core) > 0) {
        dr_task t;
        slot *s;
        if (!dr__x_mpi_assign(x, NULL, now, &t, &s))
            break; /* stopped */
        dr__x_begin(x, s, t, now);
        s->idle = 0;
        pthread_cond_signal(&s->wake);
    }
    while (x->nidle > 0 && dr__core_nready(x->core) > 0) {
        unsigned best = 0;
        for (unsigned i = 1; i < x->nidle; i++)
            if (x->idle[i] < x->idle[best])
                best = i;
        slot *s = &x->slots[x->idle[best]];
        dr_task t;
        if (!dr__core_assign_to(x->core, now, s->worker, &t))
            break; /* stopped */
        x->idle[best] = x->idle[--x->nidle];
        dr__x_begin(x, s, t, now);
        if (!on_loop(x, t)) {
            s->idle = 0;
            pthread_cond_signal(&s->wake);
        }
    }
    dr__x_update_hint(x);
}

/* (lock) Worker s has nothing to run: onto the idle stack. */
void dr__x_go_idle(exec *x, slot *s) {
    s->idle = 1;
    x->idle[x->nidle++] = s->worker;
}

/* (lock) If the core has gone idle, the run is over: every worker thread is
 * woken to exit and the loop to close its handles.  Nothing can start after
 * that, so this is the last uv_async_send of the run. */
void dr__x_check_over(exec *x) {
    if (x->over || !dr__core_idle(x->core))
        return;
    x->over = 1;
    for (unsigned w = 0; w < x->nthreads; w++)
        pthread_cond_signal(&x->slots[w].wake);
    uv_async_send(&x->async);
}

/* (lock) The attempt on slot s ended at `now` with `status`; records it,
 * tells the core, keeps or drops the result, frees the slot.  `tail` is a
 * failed command's stderr tail (may be NULL). */
static void complete_core(exec *x, slot *s, unsigned status, const char *error,
                          const char *tail, result *out, double now,
                          dr_task claim);
void dr__x_complete(exec *x, slot *s, unsigned status, const char *error,
                    const char *tail, result *out, double now) {
    complete_core(x, s, status, error, tail, out, now, DR_TASK_NONE);
    dr__x_update_hint(x);
}

/* `claim`: a dependent of the task that starts on this slot at once (a
 * chain, fill_batch), or DR_TASK_NONE. */
static void complete_core(exec *x, slot *s, unsigned status, const char *error,
                          const char *tail, result *out, double now,
                          dr_task claim) {
    dr_task t = s->task;
    unsigned w = s->worker;
    s->busy = 0;
    s->end = now;
    long at = dr__run_add_attempt(
        x->run, t, w, s->attempt, status, dr__core_ready_time(x->core, t),
        s->start, s->end, status == DR__ATTEMPT_OK ? NULL : error);
    if (at < 0)
        dr__x_fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
    else if (s->bytes_sent > 0 || s->bytes_received > 0) {
        dr__move *m = dr__run_move_set(x->run, (size_t)at);
        if (m == NULL)
            dr__x_fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
        else
            *m = (dr__move){s->send_s, s->recv_s, s->bytes_sent,
                            s->bytes_received, s->bytes_peer};
    }
    if (x->rec != NULL && !s->journaled) {
        int ok = status == DR__ATTEMPT_OK;
        /* A result a worker rank keeps is not here to be stored: like a C
         * pointer, it makes the task run again on --resume. */
        if (dr__recorder_push(x->rec, t, w, s->attempt, status, s->start,
                              s->end, ok ? NULL : error, ok ? out->json : NULL,
                              ok && (out->ptr != NULL || out->held > 0)) != 0)
            dr__x_fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
    }
    s->journaled = 0;

    if (status == DR__ATTEMPT_OK) {
        dr__x_keep_result(x, t, out);
        /* Every dependent may already have been skipped (a failure while t
         * ran, with --keep-going): then nobody will consume the result. */
        if (x->consumers[t] == 0 && !x->run->keep[t]) {
            size_t ns;
            dr_task_succs(x->g, t, &ns);
            if (ns > 0)
                dr__x_release_result(x, t);
        }
        dr__core_finish_claim(x->core, t, w, now, claim);
        dr__x_consumed(x, t);
        x->done_units += x->by_cost ? dr_task_cost(x->g, t) : 1.0;
        return;
    }
    dr__x_result_free(out);
    if (status != DR__ATTEMPT_INTERRUPTED && !dr__core_stopped(x->core) &&
        s->attempt <= task_retries(x, t)) {
        dr__core_retry(x->core, t, w, now);
        return;
    }
    if (dr__run_add_failure(x->run, t, s->attempt, error, tail) < 0)
        dr__x_fail_run(x, DR_ENOMEM, "out of memory recording a failure");
    x->nfailed++;
    dr__core_fail(x->core, t, w, now, x->run->opts.keep_going);
    dr__x_consumed(x, t);
    dr__x_consumed_by_skipped(x, t);
}

/* (lock) Posts request `req` for slot s to the loop. */
static void post(exec *x, slot *s, unsigned req) {
    if (s->requests == 0)
        x->requests[x->nrequests++] = s->worker;
    s->requests |= req;
    uv_async_send(&x->async);
}

/* (lock) Task t starts on slot s at `now`. */
void dr__x_begin(exec *x, slot *s, dr_task t, double now) {
    s->busy = 1;
    s->task = t;
    s->attempt = ++x->attempts[t];
    s->gen++;
    s->start = now;
    s->timed_out = 0;
    s->interrupted = 0;
    s->send_s = s->recv_s = 0;
    s->bytes_sent = s->bytes_received = s->bytes_peer = 0;
    atomic_store_explicit(&s->cancel, 0, memory_order_relaxed);
    /* A task's own timeout wins, 0 (none) included. */
    s->timeout = (x->how[t] & HOW_TIMEOUT) ? dr_task_timeout(x->g, t)
                                           : x->run->opts.timeout;
    if (on_loop(x, t))
        post(x, s, REQ_SPAWN | (s->timeout > 0 ? REQ_TIMER : 0));
    else if (s->timeout > 0)
        post(x, s, REQ_TIMER);
}

/* ---------------------------------------------------------------- batches */

/* Task t may run in a batch: on this thread, with no timeout to arm and no
 * declared files to check (docs/scheduling.md, "Batches of short tasks"). */
static int batchable(const exec *x, dr_task t) {
    unsigned how = how_of(x, t);
    return (how == HOW_NOOP || how == HOW_BUILTIN || how == HOW_FUNCTION ||
            how == HOW_SPIN) &&
           !(x->how[t] & (HOW_TIMEOUT | HOW_FILES));
}

/* (lock) Slot s has just been given t: while its last bodies were short,
 * ready tasks are left over and every other worker holds a task, it takes
 * up to BATCH_MAX more, the best first. */
static void fill_batch(exec *x, slot *s, dr_task t, double now) {
    s->nbatch = 0;
    s->chain_ok = 0;
    s->first_claim = DR_TASK_NONE;
    /* sync runs one task at a time in the policy's order (docs/executors.md),
     * processes and MPI send each task away. */
    if (x->pool != NULL || x->mpi ||
        x->run->opts.executor == DR_EXECUTOR_SYNC || x->run->opts.timeout > 0 ||
        s->longest_body >= BATCH_SHORT_S || !batchable(x, t))
        return;
    /* Nothing else to choose from: the task t makes ready may follow it
     * here at once, as it would (this worker being the one set free). */
    s->chain_ok = dr__core_nready(x->core) == 0;
    /* Every worker holds a task: none is idle, and none is about to ask
     * (a worker polling for work is free in the core, and would take the
     * next ready task itself a moment later). */
    while (s->nbatch < BATCH_MAX && dr__core_nfree(x->core) == 0 &&
           dr__core_nready(x->core) > 0) {
        dr_task u;
        if (!dr__core_assign_more(x->core, now, s->worker, &u))
            break;
        if (!batchable(x, u)) {
            dr__core_unassign(x->core, u, s->worker);
            break;
        }
        s->batch[s->nbatch] = u;
        s->batch_attempt[s->nbatch] = ++x->attempts[u];
        s->batch_cont[s->nbatch] = 0;
        s->batch_claim[s->nbatch] = DR_TASK_NONE;
        s->nbatch++;
    }
}

/* (thread) The task that may follow v at once in a chain: v's only
 * dependent, when v is its only dependency and it reads no input (a noop
 * or a spin, as batchable: no timeout, no files) and was not cached; else
 * DR_TASK_NONE.  The graph is read-only during the run. */
static dr_task chain_next(const exec *x, dr_task v) {
    size_t n;
    const dr_task *succ = dr_task_succs(x->g, v, &n);
    if (n != 1)
        return DR_TASK_NONE;
    dr_task u = succ[0];
    dr_task_deps(x->g, u, &n);
    unsigned how = how_of(x, u);
    if (n != 1 || (how != HOW_NOOP && how != HOW_SPIN) ||
        (x->how[u] & (HOW_TIMEOUT | HOW_FILES)) ||
        (x->cached != NULL && x->cached[u]))
        return DR_TASK_NONE;
    return u;
}

/* (thread) Runs slot s's batch after its first task, which ended well at
 * `end`: each task's attempt starts where the one before ended (one clock
 * read a task).  The batch stops after a failure, a cancel, a stop, or a
 * body that took BATCH_SHORT_S or more (the rest may be as long: they go
 * back to the ready set for any worker).  Returns how many ran; *failed:
 * the last of them failed (its error in s->call.error). */
static unsigned run_batch(exec *x, slot *s, dr_task first, double end,
                          int *failed) {
    *failed = 0;
    unsigned i = 0;
    dr_task prev = first;
    while (!atomic_load_explicit(&s->cancel, memory_order_relaxed) &&
           !atomic_load_explicit(&x->stopped_hint, memory_order_relaxed)) {
        if (i == s->nbatch) {
            /* Past the batch: a chain goes on from the last task run. */
            /* (Every body so far was short: a long one ends the batch.) */
            dr_task next = s->chain_ok && s->nbatch < BATCH_MAX
                               ? chain_next(x, prev)
                               : DR_TASK_NONE;
            if (next == DR_TASK_NONE)
                break;
            if (i == 0)
                s->first_claim = next;
            else
                s->batch_claim[i - 1] = next;
            s->batch[i] = next;
            s->batch_cont[i] = 1;
            s->batch_claim[i] = DR_TASK_NONE;
            s->nbatch++;
        }
        dr_task u = s->batch[i];
        prev = u;
        s->batch_start[i] = end;
        if (dr__x_prepare_call(x, s, u) != 0) {
            /* Out of memory for its inputs: failed, its error written. */
            s->batch_end[i] = end;
            memset(&s->batch_out[i], 0, sizeof s->batch_out[i]);
            i++;
            *failed = 1;
            break;
        }
        dr__x_run_job(s);
        end = now_s(x);
        s->batch_end[i] = end;
        s->batch_out[i] = s->call.out;
        if (end - s->batch_start[i] > s->longest_body)
            s->longest_body = end - s->batch_start[i];
        i++;
        if (s->failed) {
            *failed = 1;
            break;
        }
        if (end - s->batch_start[i - 1] >= BATCH_SHORT_S)
            break; /* not short after all */
    }
    return i;
}

/* (lock) Records the `ran` tasks of slot s's batch that ran (the last one
 * failed when `failed`) and gives back the ones that did not start. */
static void complete_batch(exec *x, slot *s, unsigned ran, int failed) {
    for (unsigned i = 0; i < ran; i++) {
        if (s->batch_cont[i]) /* claimed when the one before was recorded */
            s->batch_attempt[i] = ++x->attempts[s->batch[i]];
        int bad = failed && i + 1 == ran;
        unsigned status = !bad             ? DR__ATTEMPT_OK
                          : s->interrupted ? DR__ATTEMPT_INTERRUPTED
                                           : DR__ATTEMPT_FAILED;
        s->task = s->batch[i];
        s->attempt = s->batch_attempt[i];
        s->start = s->batch_start[i];
        s->busy = 1;
        complete_core(x, s, status, bad ? s->call.error : "", NULL,
                      &s->batch_out[i], s->batch_end[i],
                      bad ? DR_TASK_NONE : s->batch_claim[i]);
    }
    for (unsigned i = ran; i < s->nbatch; i++) {
        x->attempts[s->batch[i]]--;
        dr__core_unassign(x->core, s->batch[i], s->worker);
    }
    s->nbatch = 0;
    dr__x_update_hint(x);
}

/* (lock not held) Polls nready_hint for up to IDLE_POLL_NS, spinning for
 * the first IDLE_PURE_NS, then giving the CPU away (sched_yield) every few
 * dozen spins.  The yield matters on a machine with as many cores as
 * workers: a worker this one just woke (dr__x_hand_out) may have been queued
 * on this CPU (Linux often puts a wakee on its waker's CPU), and a pure spin
 * keeps it off until the spin ends, so each hand-off of a width-2 graph
 * cost the whole poll, and the two workers fell into waking each other in
 * turn (a 2,000-step Task Bench stencil took 2-40 ms instead of 2 ms;
 * bench/README.md, "Task Bench METG"). */
static void poll_ready(const exec *x) {
    uint64_t t0 = uv_hrtime();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&x->nready_hint, memory_order_relaxed) > 0)
            return;
        if (i % 32 == 0) {
            uint64_t spent = uv_hrtime() - t0;
            if (spent >= IDLE_POLL_NS)
                return;
            if (spent >= IDLE_PURE_NS) {
                sched_yield();
                continue;
            }
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

/* Worker thread w: runs the function tasks given to its slot, by itself
 * (the best ready task when it becomes free) or by another worker or the
 * loop (dr__x_hand_out), records each and takes the next, all under the sched
 * lock except the task itself.  While idle, or while a command holds its
 * slot, it sleeps on its condition variable. */
void dr__x_worker_main(void *arg) {
    slot *s = arg;
    exec *x = s->x;
    sched_lock(x);
    double now = now_s(x);
    int polled = 0; /* polled for ready tasks since the last assignment */
    for (;;) {
        if (x->over)
            break;
        if (s->idle) {
            pthread_cond_wait(&s->wake, &x->lock);
            now = now_s(x);
            continue;
        }
        if (!s->busy) {
            dr_task t;
            slot *to = s;
            int got = x->mpi ? dr__x_mpi_assign(x, s, now, &t, &to)
                             : dr__core_assign_to(x->core, now, s->worker, &t);
            if (got && to != s) {
                /* An idle slot on the rank that holds its inputs takes it;
                 * this one asks again. */
                dr__x_begin(x, to, t, now);
                to->idle = 0;
                pthread_cond_signal(&to->wake);
                dr__x_update_hint(x);
                continue;
            }
            if (!got) {
                if (!polled && dr__core_nrunning(x->core) > 0 &&
                    !dr__core_stopped(x->core)) {
                    /* Running tasks may make some ready any moment: poll
                     * before paying for a sleep and a wake-up on the
                     * condition variable (poll_ready). */
                    polled = 1;
                    sched_unlock(x);
                    poll_ready(x);
                    sched_lock(x);
                    now = now_s(x);
                    continue;
                }
                polled = 0;
                dr__x_go_idle(x, s);
                continue;
            }
            dr__x_begin(x, s, t, now);
            dr__x_update_hint(x);
        }
        polled = 0;
        dr_task t = s->task;
        /* Ready tasks left over are for the idle workers, then for a
         * batch. */
        dr__x_hand_out(x, now);
        fill_batch(x, s, t, now);
        if (on_loop(x, t)) {
            /* The loop runs it; idle but off the stack until it exits. */
            s->idle = 1;
            continue;
        }
        sched_unlock(x);

        /* The attempt is the task's own time, from just before its body to
         * just after it: what the worker does between two tasks (taking
         * the lock, recording, choosing the next, gathering its inputs) is
         * scheduling overhead, and it shows as the gap between the two bars
         * (the summary's overhead.per_task).  Counted inside the attempts,
         * it would vanish: a run of no-op tasks would look 100% busy. */
        int ran = dr__x_prepare_call(x, s, t) == 0;
        /* An output left by an earlier run must not pass for this
         * attempt's (docs/graph-format.md, "Declared files"). */
        if (ran && has_files(x, t))
            dr__outputs_remove(x->g, t, x->run->opts.workdir, NULL, 0);
        double body_start = ran ? now_s(x) : 0;
        if (ran && x->mpi)
            dr__x_run_mpi(s); /* on the slot's worker rank */
        else if (ran && x->pool != NULL)
            dr__x_run_remote(s); /* in the slot's worker process */
        else if (ran)
            dr__x_run_job(s);
        double body_end = now_s(x);
        if (ran && x->pool == NULL && !x->mpi)
            s->longest_body = body_end - body_start;
        /* The batch runs once the first task has ended well; its results
         * wait in batch_out, the first's here. */
        unsigned batch_ran = 0;
        int batch_failed = 0;
        result first_out = s->call.out;
        if ((s->nbatch > 0 || s->chain_ok) && ran && !s->failed &&
            body_end - body_start < BATCH_SHORT_S) {
            batch_ran = run_batch(x, s, t, body_end, &batch_failed);
            s->failed = 0; /* the first task's outcome, not the batch's */
        }
        /* A command a worker rank ran: its log is in the run folder, on
         * the shared file system (docs/mpi.md). */
        char *tail = x->mpi && ran && s->failed && is_command(x, t)
                         ? dr__x_stderr_tail(x, t)
                         : NULL;
        /* Declared outputs are file system work: done here, before the
         * lock (outputs.c).  `removed`: this attempt's are gone. */
        char note[ERRLEN];
        note[0] = '\0';
        int files = ran && has_files(x, t), removed = 0;
        if (files && !s->failed &&
            dr__outputs_check(x->g, t, x->run->opts.workdir, s->call.error,
                              sizeof s->call.error))
            s->failed = 1;
        if (files && s->failed) {
            dr__outputs_remove(x->g, t, x->run->opts.workdir, note,
                               sizeof note);
            removed = 1;
        }

        sched_lock(x);
        if (ran)
            s->start = body_start;
        now = body_end; /* this task's end; its dependents' ready time */
        unsigned status = DR__ATTEMPT_OK;
        char msg[ERRLEN + 64];
        msg[0] = '\0';
        if (s->timed_out) {
            status = DR__ATTEMPT_TIMEOUT;
            snprintf(msg, sizeof msg, "timed out after %g s%s", s->timeout,
                     x->pool != NULL ? "; its worker process was killed"
                     : x->mpi        ? "; it was stopped on its worker rank"
                                     : "");
        } else if (s->failed) {
            status =
                s->interrupted ? DR__ATTEMPT_INTERRUPTED : DR__ATTEMPT_FAILED;
            snprintf(msg, sizeof msg, "%s", s->call.error);
        }
        /* (A first task that failed ran no batch: s->call.error is its.) */
        if (files && !removed && status != DR__ATTEMPT_OK) {
            /* Timed out although the body succeeded (it ignored its cancel
             * flag, or the timeout fired just after it returned): the lock
             * is dropped for the files once more.  The status stays, as
             * the flags are only ever set, never cleared, while the slot
             * is busy. */
            sched_unlock(x);
            dr__outputs_remove(x->g, t, x->run->opts.workdir, note,
                               sizeof note);
            sched_lock(x);
        }
        if (status != DR__ATTEMPT_OK)
            dr__strlcpy(msg + strlen(msg), note, sizeof msg - strlen(msg));
        complete_core(x, s, status, msg, tail, &first_out, now,
                      status == DR__ATTEMPT_OK ? s->first_claim : DR_TASK_NONE);
        dr__x_update_hint(x);
        s->first_claim = DR_TASK_NONE;
        s->chain_ok = 0;
        if (s->nbatch > 0)
            complete_batch(x, s, batch_ran, batch_failed);
        free(tail);
        dr__x_check_over(x);
        /* `now` stays this task's end: the next task's start is only
         * provisional until its body starts (or the loop spawns its
         * command), and one clock read less is 1/3 of the clock reads per
         * task (about 23 ns on this VM's TSC clock). */
    }
    sched_unlock(x);
}
