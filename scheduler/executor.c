/*
 * The real executor: runs a graph on N worker slots with the wall clock.
 *
 * Worker slot w (0..N-1, the core's worker id) is driven by worker thread w,
 * like a classic mutex + condition variable pool.  The scheduling core and
 * the run's records are protected by one mutex, the sched lock.  A thread
 * that finishes a task takes the lock, records the attempt, tells the core
 * (finish, retry or fail) and at once takes the best ready task for its own
 * slot (dr__core_assign_to), all with one clock read; it wakes idle workers
 * only for the ready tasks left over, so a chain never wakes anybody and a
 * wide graph wakes each worker once.  The lock is held for well under a
 * microsecond, so a worker retries it (sched_lock) and polls for ready tasks
 * (nready_hint) a few microseconds before sleeping in the kernel.  Every kind
 * of task holds its slot:
 *  - a function task (builtin op including `noop`, C function, a
 *    cost-replaying sleep/spin) runs on the worker thread itself, the lock
 *    dropped;
 *  - a command task runs as a child process, which only the libuv loop (the
 *    caller's thread) may start: the worker posts its slot to the loop (a
 *    request list under the sched lock, then uv_async_send) and sleeps; the
 *    loop spawns the process (detached into its own process group so a
 *    timeout or Ctrl-C can kill everything it started) and, when it exits,
 *    kills what it left in its group, records it under the sched lock and
 *    wakes that worker to take its next task.  A watcher process
 *    (reaper.c), forked before the threads, stops whatever the commands
 *    left when the run ends or dagrun dies; log files are named and the
 *    run folder cleared in logs.c.
 * Timeouts, the progress line and signals (SIGINT, SIGTERM, SIGHUP) are
 * loop timers and handles; a worker starting a task with a timeout posts a
 * request for its timer the same way.  A command past its timeout has its
 * process group killed; a function task cannot be killed (it is one of our
 * threads), so its cancel flag is set and it is reported as timed out
 * whenever it returns (docs/running.md).  The run is over when the core is idle
 * (nothing running, nothing more can start): whoever made the last transition
 * marks it, wakes every worker to exit and sends the loop an async so it closes
 * its handles.
 *
 * Results: a task's result stays in results[t] until its last dependent has
 * run (consumers[t] counts down), then is released; results the run keeps
 * (run->keep: sinks and --output keys) move into run->results at the end.  Task
 * inputs are read by the worker thread straight from results[] without the
 * lock: a dependency's result was written under the sched lock before the
 * task became ready, and is freed, under the lock again, only after the task
 * has completed.
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "builtins.h"
#include "graph_internal.h"
#include "logs.h"
#include "outputs.h"
#include "reaper.h"
#include "recorder.h"
#include "resume.h"
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

#define ERRLEN 512
#define TAIL_LINES 10
#define TAIL_BYTES 4096
#define KILL_GRACE_MS 1000 /* SIGTERM, then SIGKILL this much later */
#define PROGRESS_MS 100
#define JOURNAL_MS 50   /* function tasks' records are written this often */
#define SPIN_TRIES 256  /* sched_lock: trylocks before sleeping on it */
#define IDLE_SPINS 1000 /* worker: polls for ready tasks before idling */

/* How a task runs; decided once before the run. */
enum {
    HOW_NOOP = 0, /* thread: nothing, the result is JSON null */
    HOW_BUILTIN,  /* thread: dr__builtin_run */
    HOW_FUNCTION, /* thread: a dr_task_fn */
    HOW_SLEEP,    /* thread: sleep for cost * cost_scale (--cost-op sleep) */
    HOW_SPIN,     /* thread: spin for cost * cost_scale (--cost-op spin) */
    HOW_ARGV,     /* child process */
    HOW_SHELL     /* child process through /bin/sh -c */
};

/* What a worker asks of the loop for its slot (slot.requests). */
enum { REQ_SPAWN = 1, REQ_TIMER = 2 };

typedef struct result {
    json_t *json;
    void *ptr;
    void (*free_fn)(void *);
    size_t size; /* bytes, for the peak-live-results figure */
} result;

typedef struct exec exec;

struct dr_call {
    exec *x;
    dr_task task;
    unsigned worker;
    const dr_task *deps;
    size_t ndeps;
    result out;         /* what the function set */
    char error[ERRLEN]; /* dr_call_fail's message, "" when none */
    const atomic_int *cancel;
};

/* One worker slot, its thread and the attempt running on it.  Fields marked
 * (lock) are read and written only under the sched lock; (thread) only by
 * the slot's worker thread while it runs a function task; (loop) only by the
 * loop thread. */
typedef struct slot {
    exec *x;
    unsigned worker;
    pthread_cond_t wake; /* with the sched lock: the thread waits here while
                            idle or while a command holds its slot */
    int idle;            /* (lock) on the idle stack, waiting for work */
    int busy;            /* (lock) an attempt holds this slot */
    dr_task task;        /* (lock) */
    unsigned attempt;    /* (lock) 1-based */
    unsigned gen;        /* (lock) attempts started on this slot, to tell a
                            stale timer from the current attempt's */
    double start, end;   /* (lock) seconds since the run started; a
                            command's start is set by the loop */
    int failed;          /* (thread) the function's outcome */
    /* Set by the loop (timeout, interrupt), polled by the running function
     * task through dr_call_cancelled and the builtins' `cancel`. */
    atomic_int cancel;
    int timed_out;     /* (lock) the timeout fired */
    int interrupted;   /* (lock) a signal asked this attempt to stop */
    double timeout;    /* (lock) seconds, 0: none */
    unsigned requests; /* (lock) REQ_* posted to the loop, not yet taken */
    dr_call call;      /* (thread) */
    json_t **inputs;   /* (thread) dependencies' JSON results, for builtins */
    size_t capinputs;
    /* (loop) handles, created on first use. */
    uv_timer_t timer;   /* the attempt's timeout */
    uv_timer_t grace;   /* SIGKILL after SIGTERM */
    unsigned timer_gen; /* the gen the timer was armed for */
    /* (loop) the requests, gen and timeout taken under the lock. */
    unsigned taken_requests, taken_gen;
    double taken_timeout;
    int timer_init, grace_init;
    uv_process_t *proc; /* the running child, NULL when none */
    int pid;
    int killing; /* (loop) SIGTERM sent to the process group */
    char env_worker[48], env_attempt[48];
    /* (loop) A command that has exited, waiting for its record to be
     * written before its completion frees its dependents (on_exits). */
    unsigned exit_status;
    char exit_msg[ERRLEN];
    char *exit_tail;
    int journaled; /* (lock) its record is queued already */
} slot;

struct exec {
    dr_run *run;
    dr__core *core;
    const dr_graph *g;
    size_t n;
    uv_loop_t loop;
    uint64_t t0; /* uv_hrtime() at the start of the run */

    uint8_t *how;        /* per task: HOW_*, read-only during the run */
    uint32_t *attempts;  /* (lock) per task: attempts started */
    uint32_t *consumers; /* (lock) per task: dependents that have not run */
    uint8_t *skip_seen;  /* (lock) per task: skipped, inputs released; made
                            at the first failure */
    result *results;     /* per task; see the top comment for who touches it */
    size_t live_bytes;   /* (lock) */

    slot *slots;
    unsigned nslots;

    /* The sched lock.  It protects the core, the run's records (attempts,
     * failures, peaks), results[] bookkeeping, the (lock) fields of every
     * slot, the idle stack, the request list and `over`.  It is the only
     * lock here, so there is no lock order; its holder never runs a task,
     * never waits for anything but the lock itself, and calls no libuv
     * function but uv_async_send (which is thread-safe and does not block).
     * The one exception to "no user code under the lock": releasing a result
     * calls the pointer's free function (and json_decref).  The lock is
     * held for well under a microsecond, so it is taken through sched_lock,
     * which retries a while before sleeping in the kernel (and the mutex is
     * adaptive for the condition-variable re-locks). */
    pthread_mutex_t lock;
    int lock_init;
    unsigned *idle; /* (lock) stack of idle worker ids */
    unsigned nidle;
    unsigned *requests; /* (lock) slots with REQ_* flags for the loop */
    unsigned nrequests;
    unsigned *taken; /* (loop) copy of requests taken under the lock */
    int over;        /* (lock) the core went idle: the run is finished */
    /* Whether the core has ready tasks: written (relaxed, and only when it
     * changes, so that a polling worker does not pull the cache line from
     * the lock holder at every task) under the lock, read without it by a
     * worker deciding whether to go to sleep.  Only a hint: every decision
     * is taken again under the lock. */
    atomic_int nready_hint;

    uv_thread_t *threads;
    unsigned nthreads;

    uv_async_t async; /* requests from workers, and the end of the run */
    uv_timer_t progress_timer;
    uv_signal_t sigint, sigterm, sighup;
    int signals_init, progress_init;
    int nsignals; /* (loop) */
    int closing;  /* (loop) */

    char **env; /* the parent's environment, DAGRUN_* removed */
    size_t nenv;
    /* Commands only: the watcher that stops what they leave running, and
     * the mark their environment carries (reaper.c). */
    dr__reaper reaper;
    char mark[64];
    char *out_var;                  /* "DAGRUN_OUT=<output folder>", or NULL */
    size_t nfailed;                 /* (lock) */
    double total_units, done_units; /* progress: by cost or by count (lock) */
    int by_cost;
    int err; /* (lock) */
    dr_error *errp;

    /* The journal (docs/resuming.md), when the run keeps one: attempts are
     * pushed under the lock as they end and written by the loop, every
     * JOURNAL_MS for function tasks and at once, synced, for commands with
     * dependents: a command's exit waits in `exited` until the end of the
     * loop iteration (exit_check), so that the commands ending together
     * share one fdatasync, and only then frees its dependents. */
    dr__recorder *rec;
    uv_timer_t journal_timer;
    uv_check_t exit_check;
    int journal_init;
    unsigned *exited; /* (loop) slots */
    unsigned nexited;
    uint8_t *cached; /* per task: reused by a resumed run; NULL: none */
};

/* Takes the sched lock.  It is held for well under a microsecond at a
 * time, so a contending thread first retries for a few hundred
 * nanoseconds: sleeping in the kernel would cost the holder a futex wake
 * syscall at its next unlock, dearer than the whole critical section. */
static void sched_lock(exec *x) {
    for (int i = 0; i < SPIN_TRIES; i++) {
        if (pthread_mutex_trylock(&x->lock) == 0)
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&x->lock);
}

static void sched_unlock(exec *x) { pthread_mutex_unlock(&x->lock); }

/* Divided, not multiplied by 1e-9: the journal writes such a time as whole
 * nanoseconds, exactly and fast (journal.c). */
static double now_s(const exec *x) {
    return (double)(uv_hrtime() - x->t0) / 1e9;
}

/* --------------------------------------------------------------- results */

/* A cheap estimate of the memory a JSON value holds (jansson's own structs
 * plus strings), good enough for the peak-live-bytes figure. */
static size_t json_size(json_t *v, int depth) {
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
            size += 32 + strlen(key) + json_size(value, depth + 1);
        }
        return size;
    }
    case JSON_ARRAY: {
        size_t size = 32 + 8 * json_array_size(v), i;
        json_t *value;
        if (depth > 32)
            return size;
        json_array_foreach(v, i, value) { size += json_size(value, depth + 1); }
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

static void result_free(result *r) {
    json_decref(r->json);
    if (r->ptr != NULL && r->free_fn != NULL)
        r->free_fn(r->ptr);
    memset(r, 0, sizeof *r);
}

/* Whether r counts as a live result: JSON null (what noop and sleep give)
 * is a shared singleton that costs nothing to hold. */
static int result_held(const result *r) {
    return r->ptr != NULL || (r->json != NULL && !json_is_null(r->json));
}

/* (lock) Keeps t's result and updates the peak of bytes held (the peak
 * count of results is metrics.c's, from the attempt list). */
static void keep_result(exec *x, dr_task t, result *r) {
    x->results[t] = *r;
    memset(r, 0, sizeof *r);
    if (!result_held(&x->results[t]))
        return;
    x->live_bytes += x->results[t].size;
    if (x->live_bytes > x->run->peak_live_bytes)
        x->run->peak_live_bytes = x->live_bytes;
}

/* (lock) */
static void release_result(exec *x, dr_task t) {
    result *r = &x->results[t];
    if (result_held(r))
        x->live_bytes -= r->size;
    result_free(r);
}

/* (lock) t has run (well or not): each dependency has one consumer less. */
static void consumed(exec *x, dr_task t) {
    size_t nd;
    const dr_task *deps = dr_task_deps(x->g, t, &nd);
    for (size_t i = 0; i < nd; i++)
        if (--x->consumers[deps[i]] == 0 && !x->run->keep[deps[i]])
            release_result(x, deps[i]);
}

/*
 * (lock) The tasks the core has just skipped because t failed will never
 * run, so they never consume their inputs: consume for them, or with
 * --keep-going those results would stay alive until the end of the run.
 * Walks t's descendants once each; on DR_ENOMEM the results are simply
 * released at the end, as before.
 */
static void consumed_by_skipped(exec *x, dr_task t) {
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
            consumed(x, v);
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

/* (thread) Runs the function task on slot s, the sched lock not held. */
static void run_job(slot *s) {
    exec *x = s->x;
    dr_task t = s->call.task;
    dr_call *call = &s->call;
    int rc = 0;
    switch (x->how[t]) {
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
        dr_task_fn fn = dr_task_function(x->g, t, &user);
        if (fn == NULL)
            dr_ops_find(x->run->opts.ops, dr_task_op_name(x->g, t), &fn, &user);
        rc = fn(call, user);
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
        call->out.size = json_size(call->out.json, 0);
    s->failed = rc != 0;
}

/* (thread) Fills slot s's call for task t before it runs, the lock not
 * held: dependencies' results are stable while t runs (top comment). */
static int prepare_call(exec *x, slot *s, dr_task t) {
    dr_call *call = &s->call;
    call->x = x;
    call->task = t;
    call->worker = s->worker;
    call->deps = dr_task_deps(x->g, t, &call->ndeps);
    call->cancel = &s->cancel;
    memset(&call->out, 0, sizeof call->out);
    call->error[0] = '\0';
    s->failed = 0;
    if (x->how[t] == HOW_BUILTIN) {
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
static void fail_run(exec *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_run(exec *x, int code, const char *fmt, ...) {
    if (x->err == 0) {
        va_list ap;
        va_start(ap, fmt);
        dr__error_setv(x->errp, code, NULL, 0, 0, NULL, fmt, ap);
        va_end(ap);
        x->err = code;
    }
}

static void begin(exec *x, slot *s, dr_task t, double now);

/* (lock) Refreshes nready_hint. */
static void update_hint(exec *x) {
    int any = dr__core_nready(x->core) > 0;
    if (atomic_load_explicit(&x->nready_hint, memory_order_relaxed) != any)
        atomic_store_explicit(&x->nready_hint, any, memory_order_relaxed);
}

static int is_command(const exec *x, dr_task t) {
    return x->how[t] == HOW_ARGV || x->how[t] == HOW_SHELL;
}

/* (lock) Hands the ready tasks to idle workers at `now`, best task to the
 * lowest idle id (as dr__core_assign pairs them), so which slot runs what
 * follows from the events, not from which thread wakes first.  Only a worker
 * given a function task is woken: one wake-up per task that needs a thread,
 * never a herd racing for one task.  A worker given a command stays asleep
 * (idle, but off the stack) until the loop frees its slot. */
static void hand_out(exec *x, double now) {
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
        begin(x, s, t, now);
        if (!is_command(x, t)) {
            s->idle = 0;
            pthread_cond_signal(&s->wake);
        }
    }
    update_hint(x);
}

/* (lock) Worker s has nothing to run: onto the idle stack. */
static void go_idle(exec *x, slot *s) {
    s->idle = 1;
    x->idle[x->nidle++] = s->worker;
}

/* (lock) If the core has gone idle, the run is over: every worker thread is
 * woken to exit and the loop to close its handles.  Nothing can start after
 * that, so this is the last uv_async_send of the run. */
static void check_over(exec *x) {
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
                          const char *tail, result *out, double now);
static void complete(exec *x, slot *s, unsigned status, const char *error,
                     const char *tail, result *out, double now) {
    complete_core(x, s, status, error, tail, out, now);
    update_hint(x);
}

static void complete_core(exec *x, slot *s, unsigned status, const char *error,
                          const char *tail, result *out, double now) {
    dr_task t = s->task;
    unsigned w = s->worker;
    s->busy = 0;
    s->end = now;
    if (dr__run_add_attempt(x->run, t, w, s->attempt, status,
                            dr__core_ready_time(x->core, t), s->start, s->end,
                            status == DR__ATTEMPT_OK ? NULL : error) < 0)
        fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
    if (x->rec != NULL && !s->journaled) {
        int ok = status == DR__ATTEMPT_OK;
        if (dr__recorder_push(x->rec, t, w, s->attempt, status, s->start,
                              s->end, ok ? NULL : error, ok ? out->json : NULL,
                              ok && out->ptr != NULL) != 0)
            fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
    }
    s->journaled = 0;

    if (status == DR__ATTEMPT_OK) {
        keep_result(x, t, out);
        /* Every dependent may already have been skipped (a failure while t
         * ran, with --keep-going): then nobody will consume the result. */
        size_t ns;
        dr_task_succs(x->g, t, &ns);
        if (ns > 0 && x->consumers[t] == 0 && !x->run->keep[t])
            release_result(x, t);
        dr__core_finish(x->core, t, w, now);
        consumed(x, t);
        x->done_units += x->by_cost ? dr_task_cost(x->g, t) : 1.0;
        return;
    }
    result_free(out);
    if (status != DR__ATTEMPT_INTERRUPTED && !dr__core_stopped(x->core) &&
        s->attempt <= task_retries(x, t)) {
        dr__core_retry(x->core, t, w, now);
        return;
    }
    if (dr__run_add_failure(x->run, t, s->attempt, error, tail) < 0)
        fail_run(x, DR_ENOMEM, "out of memory recording a failure");
    x->nfailed++;
    dr__core_fail(x->core, t, w, now, x->run->opts.keep_going);
    consumed(x, t);
    consumed_by_skipped(x, t);
}

/* (lock) Posts request `req` for slot s to the loop. */
static void post(exec *x, slot *s, unsigned req) {
    if (s->requests == 0)
        x->requests[x->nrequests++] = s->worker;
    s->requests |= req;
    uv_async_send(&x->async);
}

/* (lock) Task t starts on slot s at `now`. */
static void begin(exec *x, slot *s, dr_task t, double now) {
    s->busy = 1;
    s->task = t;
    s->attempt = ++x->attempts[t];
    s->gen++;
    s->start = now;
    s->timed_out = 0;
    s->interrupted = 0;
    atomic_store_explicit(&s->cancel, 0, memory_order_relaxed);
    /* A task's own timeout wins, 0 (none) included. */
    s->timeout = dr_task_has_timeout(x->g, t) ? dr_task_timeout(x->g, t)
                                              : x->run->opts.timeout;
    if (is_command(x, t))
        post(x, s, REQ_SPAWN | (s->timeout > 0 ? REQ_TIMER : 0));
    else if (s->timeout > 0)
        post(x, s, REQ_TIMER);
}

/* Worker thread w: runs the function tasks given to its slot, by itself
 * (the best ready task when it becomes free) or by another worker or the
 * loop (hand_out), records each and takes the next, all under the sched
 * lock except the task itself.  While idle, or while a command holds its
 * slot, it sleeps on its condition variable. */
static void worker_main(void *arg) {
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
            if (!dr__core_assign_to(x->core, now, s->worker, &t)) {
                if (!polled && dr__core_nrunning(x->core) > 0 &&
                    !dr__core_stopped(x->core)) {
                    /* Running tasks may make some ready any moment: poll
                     * a few microseconds before paying for a sleep and a
                     * wake-up on the condition variable. */
                    polled = 1;
                    sched_unlock(x);
                    for (int i = 0; i < IDLE_SPINS; i++) {
                        if (atomic_load_explicit(&x->nready_hint,
                                                 memory_order_relaxed) > 0)
                            break;
#if defined(__x86_64__) || defined(__i386__)
                        __builtin_ia32_pause();
#endif
                    }
                    sched_lock(x);
                    now = now_s(x);
                    continue;
                }
                polled = 0;
                go_idle(x, s);
                continue;
            }
            begin(x, s, t, now);
            update_hint(x);
        }
        polled = 0;
        dr_task t = s->task;
        /* Ready tasks left over are for the idle workers. */
        hand_out(x, now);
        if (is_command(x, t)) {
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
        int ran = prepare_call(x, s, t) == 0;
        /* An output left by an earlier run must not pass for this
         * attempt's (docs/graph-format.md, "Declared files"). */
        if (ran && dr_task_noutputs(x->g, t) > 0)
            dr__outputs_remove(x->g, t, x->run->opts.workdir, NULL, 0);
        double body_start = ran ? now_s(x) : 0;
        if (ran)
            run_job(s);
        double body_end = now_s(x);
        /* Declared outputs are file system work: done here, before the
         * lock (outputs.c).  `removed`: this attempt's are gone. */
        char note[ERRLEN];
        note[0] = '\0';
        int files = ran && dr_task_noutputs(x->g, t) > 0, removed = 0;
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
            snprintf(msg, sizeof msg, "timed out after %g s", s->timeout);
        } else if (s->failed) {
            status =
                s->interrupted ? DR__ATTEMPT_INTERRUPTED : DR__ATTEMPT_FAILED;
            snprintf(msg, sizeof msg, "%s", s->call.error);
        }
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
        complete(x, s, status, msg, NULL, &s->call.out, now);
        check_over(x);
        now = now_s(x); /* the next task's start (set again at its body) */
    }
    sched_unlock(x);
}

/* ------------------------------------------------------------ the loop */

static void finish_loop(exec *x);
static int spawn_command(exec *x, slot *s, char *msg, size_t msglen);
static void on_timeout(uv_timer_t *h);

/* (lock) A command attempt on slot s ended: record it; its worker goes
 * back on the idle stack and the ready tasks are handed out. */
static void complete_command_at(exec *x, slot *s, unsigned status,
                                const char *error, const char *tail,
                                double end) {
    result none;
    memset(&none, 0, sizeof none);
    complete(x, s, status, error, tail, &none, end);
    go_idle(x, s);
    hand_out(x, now_s(x));
    check_over(x);
}

static void complete_command(exec *x, slot *s, unsigned status,
                             const char *error, const char *tail) {
    complete_command_at(x, s, status, error, tail, now_s(x));
}

/* -------------------------------------------------------------- journal */

/* (loop) Writes the records taken; a journal that cannot be written is
 * said once in the run's journal note and the run goes on without it. */
static void journal_write(exec *x, int sync) {
    dr_error e;
    dr_error_clear(&e);
    if (dr__recorder_write(x->rec, sync, &e) != 0 &&
        x->run->journal_note[0] == '\0')
        snprintf(x->run->journal_note, sizeof x->run->journal_note,
                 "the journal could not be written (%.400s): a --resume "
                 "run will run again what was not recorded",
                 e.text);
}

/* (loop, lock not held) Takes and writes what was pushed. */
static void journal_flush(exec *x, int sync) {
    sched_lock(x);
    size_t n = dr__recorder_queued(x->rec);
    dr__recorder_take(x->rec);
    sched_unlock(x);
    if (n > 0 || sync)
        journal_write(x, sync);
}

static void on_journal_timer(uv_timer_t *h) { journal_flush(h->data, 0); }

/* (loop) At the end of the loop iteration in which commands exited: their
 * records (and those of every attempt that ended before) are written, and
 * synced when a command has dependents, before the completions free those
 * dependents: a dependent never starts on a result the journal could lose. */
static void on_exits(uv_check_t *h) {
    exec *x = h->data;
    uv_check_stop(h);
    unsigned n = x->nexited;
    x->nexited = 0;
    int sync = 0;
    sched_lock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        int ok = s->exit_status == DR__ATTEMPT_OK;
        if (dr__recorder_push(x->rec, s->task, s->worker, s->attempt,
                              s->exit_status, s->start, s->end,
                              ok ? NULL : s->exit_msg, NULL, 0) != 0)
            fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
        s->journaled = 1;
        size_t ns;
        dr_task_succs(x->g, s->task, &ns);
        if (ok && ns > 0)
            sync = 1;
    }
    dr__recorder_take(x->rec);
    sched_unlock(x);
    journal_write(x, sync);
    sched_lock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        complete_command_at(x, s, s->exit_status, s->exit_msg, s->exit_tail,
                            s->end);
    }
    sched_unlock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        free(s->exit_tail);
        s->exit_tail = NULL;
    }
}

/* (loop) Workers posted requests, or the run is over. */
static void on_async(uv_async_t *h) {
    exec *x = h->data;
    if (x->closing)
        return;
    sched_lock(x);
    if (x->over) {
        sched_unlock(x);
        finish_loop(x);
        return;
    }
    unsigned n = x->nrequests;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->requests[i]];
        if ((s->requests & REQ_SPAWN) && s->interrupted) {
            /* Ctrl-C came between the assignment and the spawn. */
            s->requests = 0;
            complete_command(x, s, DR__ATTEMPT_INTERRUPTED, "interrupted",
                             NULL);
            continue;
        }
        x->taken[m] = x->requests[i];
        s->taken_requests = s->requests;
        s->taken_gen = s->gen;
        s->taken_timeout = s->timeout;
        m++;
        s->requests = 0;
    }
    n = m;
    x->nrequests = 0;
    sched_unlock(x);

    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->taken[i]];
        /* A request can outlive its attempt: taken_* describe the slot's
         * current attempt, which may have no timeout at all. */
        if ((s->taken_requests & REQ_TIMER) && s->taken_timeout > 0) {
            /* A timer armed for an attempt that has already ended is
             * harmless: on_timeout ignores a stale generation. */
            if (!s->timer_init) {
                uv_timer_init(&x->loop, &s->timer);
                s->timer.data = s;
                s->timer_init = 1;
            }
            s->timer_gen = s->taken_gen;
            /* Timeouts past ~285,000 years are "never", not an overflow. */
            double ms = s->taken_timeout * 1000.0 + 0.5;
            uv_timer_start(&s->timer, on_timeout,
                           ms < 9e15 ? (uint64_t)ms : (uint64_t)9e15, 0);
        }
        if (s->taken_requests & REQ_SPAWN) {
            char msg[ERRLEN];
            if (spawn_command(x, s, msg, sizeof msg) != 0) {
                if (s->timer_init)
                    uv_timer_stop(&s->timer);
                sched_lock(x);
                complete_command(x, s, DR__ATTEMPT_FAILED, msg, NULL);
                sched_unlock(x);
            }
        }
    }
}
/* Log file names are made in logs.c (escaped, cut when too long). */
static char *log_path(const exec *x, dr_task t, const char *ext) {
    return dr__log_path(x->run->run_dir, dr_task_key(x->g, t), ext);
}

/* The failure's stderr tail, made safe for terminals and JSON (logs.c). */
static char *stderr_tail(const exec *x, dr_task t) {
    char *path = log_path(x, t, ".err");
    if (path == NULL)
        return NULL;
    char *tail = dr__log_tail(path, TAIL_LINES, TAIL_BYTES);
    free(path);
    return tail;
}

static void on_proc_closed(uv_handle_t *h) { free(h); }

static void kill_group(slot *s, int sig) {
    if (s->proc != NULL && s->pid > 0)
        kill(-s->pid, sig);
}

static void on_grace(uv_timer_t *h) { kill_group(h->data, SIGKILL); }

/* (loop) SIGTERM the attempt's process group, SIGKILL it after a grace. */
static void terminate(slot *s) {
    if (s->proc == NULL || s->killing)
        return;
    s->killing = 1;
    kill_group(s, SIGTERM);
    if (!s->grace_init) {
        uv_timer_init(&s->x->loop, &s->grace);
        s->grace.data = s;
        s->grace_init = 1;
    }
    uv_timer_start(&s->grace, on_grace, KILL_GRACE_MS, 0);
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig) {
    slot *s = p->data;
    exec *x = s->x;
    if (s->timer_init)
        uv_timer_stop(&s->timer);
    /* The command's main process is gone (libuv has just reaped it, so its
     * group id cannot have been reused): whatever it left running in its
     * group, such as a `sleep 60 &` of a command that succeeded, goes too.
     * The watcher need not look after the group any longer. */
    kill_group(s, SIGKILL);
    dr__reaper_forget(&x->reaper, s->pid);
    if (s->killing) {
        uv_timer_stop(&s->grace);
        s->killing = 0;
    }
    s->proc = NULL;
    uv_close((uv_handle_t *)p, on_proc_closed);

    /* Only the loop sets these while a command holds the slot, but they
     * are (lock) fields. */
    sched_lock(x);
    int timed_out = s->timed_out, interrupted = s->interrupted;
    double timeout = s->timeout;
    dr_task t = s->task;
    sched_unlock(x);

    char msg[ERRLEN];
    msg[0] = '\0';
    unsigned st = DR__ATTEMPT_OK;
    if (timed_out) {
        st = DR__ATTEMPT_TIMEOUT;
        snprintf(msg, sizeof msg, "timed out after %g s", timeout);
    } else if (status != 0 || sig != 0) {
        st = interrupted ? DR__ATTEMPT_INTERRUPTED : DR__ATTEMPT_FAILED;
        if (sig != 0)
            snprintf(msg, sizeof msg, "killed by signal %d (%s)", sig,
                     strsignal(sig));
        else
            snprintf(msg, sizeof msg, "exit status %lld", (long long)status);
        if (interrupted)
            snprintf(msg, sizeof msg, "interrupted");
    }
    /* Declared outputs (outputs.c), outside the lock, now that the
     * attempt's whole process group has been killed. */
    if (dr_task_noutputs(x->g, t) > 0) {
        const char *wd = x->run->opts.workdir;
        if (st == DR__ATTEMPT_OK &&
            dr__outputs_check(x->g, t, wd, msg, sizeof msg))
            st = DR__ATTEMPT_FAILED;
        if (st != DR__ATTEMPT_OK) {
            char note[ERRLEN];
            dr__outputs_remove(x->g, t, wd, note, sizeof note);
            dr__strlcpy(msg + strlen(msg), note, sizeof msg - strlen(msg));
        }
    }
    /* Read the log outside the lock; it is only used if this was the
     * task's last attempt. */
    char *tail = st != DR__ATTEMPT_OK ? stderr_tail(x, t) : NULL;
    if (x->rec != NULL) {
        /* Completed at the end of this loop iteration, once recorded. */
        sched_lock(x);
        s->end = now_s(x);
        sched_unlock(x);
        s->exit_status = st;
        snprintf(s->exit_msg, sizeof s->exit_msg, "%s",
                 st == DR__ATTEMPT_OK ? "" : msg);
        s->exit_tail = tail;
        x->exited[x->nexited++] = s->worker;
        uv_check_start(&x->exit_check, on_exits);
        return;
    }
    sched_lock(x);
    complete_command(x, s, st, msg, tail);
    sched_unlock(x);
    free(tail);
}

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* (loop) Starts the command of slot s.  Returns 0, or fills msg.  Reads
 * the slot's (lock) task and attempt without the lock: they were set before
 * the spawn request was taken under it, and the worker waits until the loop
 * frees the slot.  Sets the attempt's start, likewise. */
static int spawn_command(exec *x, slot *s, char *msg, size_t msglen) {
    dr_task t = s->task;
    /* Declared outputs left by an earlier run or attempt go first: a
     * command that writes none then fails, whatever was there. */
    if (dr_task_noutputs(x->g, t) > 0)
        dr__outputs_remove(x->g, t, x->run->opts.workdir, NULL, 0);
    char *outp = log_path(x, t, ".out"), *errp = log_path(x, t, ".err");
    char **env = malloc((x->nenv + 5) * sizeof *env);
    char *task_var = NULL; /* the child has its own copy after fork */
    int ofd = -1, efd = -1, rc = -1;
    if (outp == NULL || errp == NULL || env == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    ofd = open_log(outp);
    efd = ofd >= 0 ? open_log(errp) : -1;
    if (efd < 0) {
        snprintf(msg, msglen, "cannot open log file '%s': %s",
                 ofd < 0 ? outp : errp, strerror(errno));
        goto out;
    }
    memcpy(env, x->env, x->nenv * sizeof *env);
    env[x->nenv + 3] = x->mark;
    const char *key = dr_task_key(x->g, t);
    task_var = malloc(strlen(key) + sizeof "DAGRUN_TASK=");
    if (task_var == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    sprintf(task_var, "DAGRUN_TASK=%s", key);
    snprintf(s->env_worker, sizeof s->env_worker, "DAGRUN_WORKER=%u",
             s->worker);
    snprintf(s->env_attempt, sizeof s->env_attempt, "DAGRUN_ATTEMPT=%u",
             s->attempt);
    env[x->nenv] = task_var;
    env[x->nenv + 1] = s->env_worker;
    env[x->nenv + 2] = s->env_attempt;
    env[x->nenv + 4] = NULL;

    char *shell[] = {"/bin/sh", "-c", NULL, NULL};
    char **args;
    if (x->how[t] == HOW_SHELL) {
        shell[2] = (char *)dr_task_shell(x->g, t);
        args = shell;
    } else {
        size_t argc;
        args = (char **)dr_task_argv(x->g, t, &argc);
    }
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = ofd;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = efd;
    uv_process_options_t o;
    memset(&o, 0, sizeof o);
    o.exit_cb = on_child_exit;
    o.file = args[0];
    o.args = args;
    o.env = env;
    o.cwd = x->run->opts.workdir;
    o.flags = UV_PROCESS_DETACHED;
    o.stdio_count = 3;
    o.stdio = stdio;

    s->proc = malloc(sizeof *s->proc);
    if (s->proc == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    s->proc->data = s;
    s->killing = 0;
    s->start = now_s(x);
    int r = uv_spawn(&x->loop, s->proc, &o);
    if (r != 0) {
        /* libuv initialised the handle even though no child started. */
        uv_close((uv_handle_t *)s->proc, on_proc_closed);
        s->proc = NULL;
        int bad = x->run->opts.workdir != NULL
                      ? dr__workdir_error(x->run->opts.workdir)
                      : 0;
        if (bad != 0)
            snprintf(msg, msglen, "cannot run '%s': working folder '%s': %s",
                     args[0], x->run->opts.workdir, strerror(bad));
        else
            snprintf(msg, msglen, "cannot run '%s': %s", args[0],
                     uv_strerror(r));
        goto out;
    }
    s->pid = s->proc->pid;
    /* Detached: the child is the leader of its own session and group. */
    dr__reaper_watch(&x->reaper, s->pid);
    rc = 0;
out:
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    free(outp);
    free(errp);
    free(env);
    free(task_var);
    return rc;
}

/* ------------------------------------------------------- timeouts */

static void on_timeout(uv_timer_t *h) {
    slot *s = h->data;
    exec *x = s->x;
    sched_lock(x);
    int current = s->busy && s->gen == s->timer_gen;
    if (current) {
        s->timed_out = 1;
        atomic_store(&s->cancel, 1);
    }
    sched_unlock(x);
    if (current && s->proc != NULL)
        terminate(s);
}

/* ------------------------------------------------------- progress line */

static void progress_draw(exec *x, int clear) {
    if (clear) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        return;
    }
    double el = now_s(x);
    sched_lock(x);
    size_t fin = dr__core_nfinished(x->core);
    size_t running = dr__core_nrunning(x->core);
    size_t failed = x->nfailed;
    double done_units = x->done_units;
    sched_unlock(x);
    char eta[32] = "ETA --";
    if (fin > 0 && el >= 0.5 && done_units > 0) {
        double left = x->total_units - done_units;
        double sec = left > 0 ? left * el / done_units : 0;
        if (sec < 1e6)
            snprintf(eta, sizeof eta, "ETA %.0fs", sec + 0.5);
    }
    fprintf(stderr,
            "\r\033[Kdagrun: %zu/%zu done, %zu running, %zu failed, "
            "%.1fs elapsed, %s",
            fin, x->n, running, failed, el, eta);
    fflush(stderr);
}

static void on_progress(uv_timer_t *h) { progress_draw(h->data, 0); }

/* --------------------------------------------------------------- signals */

/* SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) stop the
 * run the same way: nothing new starts, running tasks are stopped, and the
 * caller gets a run to report. */
static void on_signal(uv_signal_t *h, int signum) {
    exec *x = h->data;
    if (x->nsignals > 0) {
        /* A hang-up can come more than once (the terminal, then the
         * shell): only a second SIGINT or SIGTERM means "leave now". */
        if (signum == SIGHUP)
            return;
        /* Leave now, taking the children with us; the watcher stops what
         * they left.  The process fields are the loop's own, so no lock
         * is needed. */
        for (unsigned w = 0; w < x->nslots; w++)
            kill_group(&x->slots[w], SIGKILL);
        if (x->progress_init)
            progress_draw(x, 1);
        /* What ended is kept: a --resume run need not do it again. */
        if (x->rec != NULL)
            journal_flush(x, 0);
        _exit(130);
    }
    x->nsignals++;
    sched_lock(x);
    x->run->interrupted = 1;
    x->run->stop_signal = signum;
    dr__core_stop(x->core);
    for (unsigned w = 0; w < x->nslots; w++) {
        slot *s = &x->slots[w];
        if (!s->busy)
            continue;
        s->interrupted = 1;
        atomic_store(&s->cancel, 1);
    }
    check_over(x); /* nothing may be running */
    sched_unlock(x);
    /* Commands are the loop's: kill their groups outside the lock. */
    for (unsigned w = 0; w < x->nslots; w++)
        terminate(&x->slots[w]);
}

/* ----------------------------------------------------------------- setup */

static void close_handle(uv_handle_t *h) {
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* (loop) Closes every handle so that uv_run returns.  Called once the run
 * is over (no worker will send the async again) or before anything ran. */
static void finish_loop(exec *x) {
    if (x->closing)
        return;
    x->closing = 1;
    close_handle((uv_handle_t *)&x->async);
    if (x->progress_init) {
        uv_timer_stop(&x->progress_timer);
        close_handle((uv_handle_t *)&x->progress_timer);
        progress_draw(x, 1);
    }
    if (x->signals_init) {
        close_handle((uv_handle_t *)&x->sigint);
        close_handle((uv_handle_t *)&x->sigterm);
        close_handle((uv_handle_t *)&x->sighup);
    }
    if (x->journal_init) {
        uv_timer_stop(&x->journal_timer);
        close_handle((uv_handle_t *)&x->journal_timer);
        uv_check_stop(&x->exit_check);
        close_handle((uv_handle_t *)&x->exit_check);
    }
    for (unsigned w = 0; w < x->nslots; w++) {
        if (x->slots[w].timer_init)
            close_handle((uv_handle_t *)&x->slots[w].timer);
        if (x->slots[w].grace_init)
            close_handle((uv_handle_t *)&x->slots[w].grace);
    }
}

static int is_dagrun_var(const char *e) {
    return strncmp(e, "DAGRUN_TASK=", 12) == 0 ||
           strncmp(e, "DAGRUN_WORKER=", 14) == 0 ||
           strncmp(e, "DAGRUN_ATTEMPT=", 15) == 0 ||
           strncmp(e, "DAGRUN_OUT=", 11) == 0 ||
           strncmp(e, DR__RUN_MARK_VAR "=", sizeof DR__RUN_MARK_VAR) == 0;
}

/* Checked before anything runs, and again when a spawn fails: libuv's
 * error alone would blame the program ("no such file or directory"). */
int dr__workdir_error(const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    return access(dir, X_OK) != 0 ? errno : 0;
}

/* Decides how each task runs; checks C functions can be found and the
 * commands' working folder exists; clears the run folder of the last run's
 * logs and creates it when there are commands.  Returns 0 or a DR_E* code
 * (err filled, except for DR_ENOMEM). */
static int prepare(exec *x) {
    const dr_run_options *o = &x->run->opts;
    int commands = 0, spin = 0, all_costs = 1;
    x->total_units = 0;
    for (dr_task t = 0; t < x->n; t++) {
        if (x->run->state[t] != DR_STATE_CACHED)
            continue;
        if (x->cached == NULL && (x->cached = calloc(x->n, 1)) == NULL)
            return DR_ENOMEM;
        x->cached[t] = 1;
    }
    for (dr_task t = 0; t < x->n; t++) {
        int how = HOW_NOOP;
        const char *name = dr_task_op_name(x->g, t);
        switch (dr_task_op_kind(x->g, t)) {
        case DR_OP_NONE:
            how = o->cost_op == DR_COST_OP_SLEEP  ? HOW_SLEEP
                  : o->cost_op == DR_COST_OP_SPIN ? HOW_SPIN
                                                  : HOW_NOOP;
            break;
        case DR_OP_BUILTIN:
            how = strcmp(name, "noop") == 0 ? HOW_NOOP : HOW_BUILTIN;
            if (strcmp(name, "spin") == 0)
                spin = 1;
            break;
        case DR_OP_FUNCTION: {
            dr_task_fn fn = dr_task_function(x->g, t, NULL);
            if (fn == NULL && dr_ops_find(o->ops, name, &fn, NULL) != 0) {
                dr__error_set(x->errp, DR_ENOOP, NULL, 0, 0,
                              dr_task_key(x->g, t), "unknown operation '%s'",
                              name ? name : "");
                return DR_ENOOP;
            }
            how = HOW_FUNCTION;
            break;
        }
        case DR_OP_ARGV:
            how = HOW_ARGV;
            commands = 1;
            break;
        case DR_OP_SHELL:
            how = HOW_SHELL;
            commands = 1;
            break;
        }
        if (how == HOW_SPIN)
            spin = 1;
        x->how[t] = (uint8_t)how;
        if (!dr_task_has_cost(x->g, t))
            all_costs = 0;
        x->total_units += dr_task_cost(x->g, t);
        size_t ns;
        dr_task_succs(x->g, t, &ns);
        x->consumers[t] = (uint32_t)ns;
    }
    x->by_cost = all_costs && x->total_units > 0;
    if (!x->by_cost)
        x->total_units = (double)x->n; /* ETA by task count */
    if (spin)
        dr__spin_calibrate();
    int bad = o->workdir != NULL ? dr__workdir_error(o->workdir) : 0;
    if (bad != 0) {
        dr__error_set(x->errp, DR_EIO, NULL, 0, 0, NULL,
                      "working folder of commands (--workdir) '%s': %s",
                      o->workdir, strerror(bad));
        return DR_EIO;
    }
    const char *name = dr_graph_name(x->g);
    char *dir;
    if (o->run_dir != NULL)
        dir = strdup(o->run_dir);
    else {
        size_t len = strlen(name) + 32;
        dir = malloc(len);
        if (dir != NULL)
            snprintf(dir, len, "dagrun-out/%s/logs", *name ? name : "graph");
    }
    if (dir == NULL)
        return DR_ENOMEM;
    /* Without commands an existing run folder is still cleared: no log
     * of an earlier run may look like one of this run's. */
    int rc = dr__logs_prepare(x->g, dir, commands, x->cached, x->errp);
    if (rc != 0 || !commands) {
        free(dir);
        return rc;
    }
    free(x->run->run_dir);
    x->run->run_dir = dir;
    /* The mark every command's environment carries, unique to the run, by
     * which the watcher finds what escaped the commands' groups. */
    uint64_t id = 0;
    if (uv_random(NULL, NULL, &id, sizeof id, 0, NULL) != 0)
        id = uv_hrtime();
    snprintf(x->mark, sizeof x->mark, "%s=%ld-%016llx", DR__RUN_MARK_VAR,
             (long)getpid(), (unsigned long long)id);
    size_t ne = 0;
    while (environ != NULL && environ[ne] != NULL)
        ne++;
    x->env = malloc((ne + 2) * sizeof *x->env);
    if (x->env == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < ne; i++)
        if (!is_dagrun_var(environ[i]))
            x->env[x->nenv++] = environ[i];
    const char *out = x->run->opts.output_dir;
    if (out != NULL) {
        x->out_var = malloc(strlen(out) + sizeof "DAGRUN_OUT=");
        if (x->out_var == NULL)
            return DR_ENOMEM;
        sprintf(x->out_var, "DAGRUN_OUT=%s", out);
        x->env[x->nenv++] = x->out_var;
    }
    return 0;
}

/* Before the threads: the cached tasks of a resumed run (run.c marked them
 * in the core and in run->state) hold their recorded results for their
 * dependents, and are done as far as the progress line goes. */
static void use_cached(exec *x) {
    if (x->cached == NULL)
        return;
    for (dr_task t = 0; t < x->n; t++) {
        if (!x->cached[t])
            continue;
        json_t *res = dr__plan_result(x->run->plan, t);
        result r;
        memset(&r, 0, sizeof r);
        /* A record without a result is of a command or of a task whose
         * result was null (noop, sleep, a function that set none). */
        if (res == NULL && !is_command(x, t))
            res = json_null();
        r.json = json_incref(res);
        if (res != NULL && !json_is_null(res))
            r.size = json_size(res, 0);
        keep_result(x, t, &r);
        x->done_units += x->by_cost ? dr_task_cost(x->g, t) : 1.0;
        size_t nd;
        const dr_task *deps = dr_task_deps(x->g, t, &nd);
        for (size_t i = 0; i < nd; i++)
            x->consumers[deps[i]]--;
    }
    for (dr_task t = 0; t < x->n; t++)
        if (x->cached[t] && x->consumers[t] == 0 && !x->run->keep[t])
            release_result(x, t);
}

/* Copies the outcome into run: states, sink results, makespan. */
static int collect(exec *x) {
    dr_run *run = x->run;
    if (run->state == NULL)
        run->state = calloc(x->n ? x->n : 1, sizeof *run->state);
    if (run->results == NULL)
        run->results = calloc(x->n ? x->n : 1, sizeof *run->results);
    if (run->state == NULL || run->results == NULL)
        return DR_ENOMEM;
    for (dr_task t = 0; t < x->n; t++) {
        switch (run->state[t] == DR_STATE_CACHED ? -1
                                                 : dr__core_state(x->core, t)) {
        case -1:
            break;
        case DR__DONE:
            run->state[t] = DR_STATE_OK;
            break;
        case DR__FAILED:
            run->state[t] = DR_STATE_FAILED;
            break;
        case DR__SKIPPED:
            run->state[t] = DR_STATE_SKIPPED;
            break;
        default:
            run->state[t] = DR_STATE_PENDING;
        }
        if (run->keep[t] && x->results[t].json != NULL &&
            run->results[t] == NULL) {
            run->results[t] = x->results[t].json;
            x->results[t].json = NULL;
        }
    }
    double end = 0;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].end > end)
            end = run->attempts[i].end;
    run->makespan = end;
    return 0;
}

static void exec_free(exec *x) {
    /* Waits for the watcher to stop whatever the commands left running. */
    dr__reaper_finish(&x->reaper);
    for (size_t t = 0; x->results != NULL && t < x->n; t++)
        result_free(&x->results[t]);
    for (unsigned w = 0; x->slots != NULL && w < x->nslots; w++) {
        free(x->slots[w].inputs);
        if (x->lock_init)
            pthread_cond_destroy(&x->slots[w].wake);
    }
    free(x->results);
    free(x->how);
    free(x->attempts);
    free(x->consumers);
    free(x->skip_seen);
    free(x->slots);
    free(x->threads);
    free(x->idle);
    free(x->requests);
    free(x->taken);
    free(x->exited);
    free(x->cached);
    dr__recorder_destroy(x->rec);
    free(x->env);
    free(x->out_var);
    if (x->lock_init)
        pthread_mutex_destroy(&x->lock);
}

/* Reserves the attempt records for one attempt per task, so that recording
 * (under the sched lock) does not copy the array while it grows.  Failing is
 * harmless: dr__run_add_attempt grows it as needed. */
static void reserve_attempts(dr_run *run, size_t n) {
    if (run->capattempts >= n || n == 0)
        return;
    dr__attempt *a = realloc(run->attempts, n * sizeof *a);
    if (a == NULL)
        return;
    run->attempts = a;
    run->capattempts = n;
}

int dr__execute(dr_run *run, dr__core *core, dr_error *err) {
    exec xs, *x = &xs;
    memset(x, 0, sizeof *x);
    x->run = run;
    x->core = core;
    x->g = run->graph;
    x->n = dr_graph_ntasks(run->graph);
    x->errp = err;
    x->reaper.fd = -1;
    x->nslots = run->workers > 0 ? run->workers : 1;
    size_t n1 = x->n ? x->n : 1;
    x->how = calloc(n1, sizeof *x->how);
    x->attempts = calloc(n1, sizeof *x->attempts);
    x->consumers = calloc(n1, sizeof *x->consumers);
    x->results = calloc(n1, sizeof *x->results);
    x->slots = calloc(x->nslots, sizeof *x->slots);
    x->idle = calloc(x->nslots, sizeof *x->idle);
    x->requests = calloc(x->nslots, sizeof *x->requests);
    x->taken = calloc(x->nslots, sizeof *x->taken);
    x->exited = calloc(x->nslots, sizeof *x->exited);
    if (run->journal != NULL)
        x->rec = dr__recorder_create(x->g, run->journal, run->plan,
                                     run->opts.workdir);
    if (!x->how || !x->attempts || !x->consumers || !x->results || !x->slots ||
        !x->idle || !x->requests || !x->taken || !x->exited ||
        (run->journal != NULL && x->rec == NULL)) {
        exec_free(x);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = prepare(x);
    if (rc != 0) {
        if (rc == DR_ENOMEM)
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        exec_free(x);
        return rc;
    }
    /* Before any thread of ours exists: the watcher is forked. */
    if (x->env != NULL &&
        dr__reaper_start(&x->reaper, x->mark, x->nslots) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot start the process watcher: %s", strerror(errno));
        exec_free(x);
        return DR_EIO;
    }
    reserve_attempts(run, x->n);
    use_cached(x);

    if (uv_loop_init(&x->loop) != 0) {
        exec_free(x);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                      "cannot create the event loop");
        return DR_ENOMEM;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&x->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    for (unsigned w = 0; w < x->nslots; w++) {
        slot *s = &x->slots[w];
        s->x = x;
        s->worker = w;
        atomic_init(&s->cancel, 0);
        pthread_cond_init(&s->wake, NULL);
    }
    atomic_init(&x->nready_hint, 0);
    x->lock_init = 1;
    uv_async_init(&x->loop, &x->async, on_async);
    x->async.data = x;
    if (x->rec != NULL) {
        uv_timer_init(&x->loop, &x->journal_timer);
        x->journal_timer.data = x;
        uv_timer_start(&x->journal_timer, on_journal_timer, JOURNAL_MS,
                       JOURNAL_MS);
        uv_check_init(&x->loop, &x->exit_check);
        x->exit_check.data = x;
        x->journal_init = 1;
    }
    if (run->opts.handle_signals) {
        uv_signal_init(&x->loop, &x->sigint);
        uv_signal_init(&x->loop, &x->sigterm);
        uv_signal_init(&x->loop, &x->sighup);
        x->sigint.data = x->sigterm.data = x->sighup.data = x;
        uv_signal_start(&x->sigint, on_signal, SIGINT);
        uv_signal_start(&x->sigterm, on_signal, SIGTERM);
        uv_signal_start(&x->sighup, on_signal, SIGHUP);
        x->signals_init = 1;
    }
    if (run->opts.progress && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {
        uv_timer_init(&x->loop, &x->progress_timer);
        x->progress_timer.data = x;
        uv_timer_start(&x->progress_timer, on_progress, PROGRESS_MS,
                       PROGRESS_MS);
        x->progress_init = 1;
    }

    /* The core is started before any worker thread exists, so no lock is
     * needed yet; thread creation orders it before their first lock. */
    x->t0 = uv_hrtime();
    dr__core_start(core, 0.0);
    x->over = dr__core_idle(core);

    /* One thread per slot that can ever be used: no more than tasks.  They
     * all start idle, and the first ready tasks are handed out before any
     * runs, so the first assignments are the same on every run. */
    x->nthreads = x->n < x->nslots ? (unsigned)x->n : x->nslots;
    if (x->over)
        x->nthreads = 0; /* every task was cached: nothing to run */
    sched_lock(x);
    for (unsigned w = x->nthreads; w-- > 0;)
        go_idle(x, &x->slots[w]);
    hand_out(x, 0.0);
    sched_unlock(x);
    x->threads = calloc(x->nthreads ? x->nthreads : 1, sizeof *x->threads);
    unsigned started = 0;
    if (x->threads != NULL && !x->over) {
        /* Threads read nthreads (check_over), so publish the final count
         * before any starts; it is lowered under the lock if one fails. */
        for (; started < x->nthreads; started++)
            if (uv_thread_create(&x->threads[started], worker_main,
                                 &x->slots[started]) != 0)
                break;
    }
    sched_lock(x);
    if (started < x->nthreads) {
        /* A slot without a thread can run nothing: stop the run, and fail
         * the function tasks already handed to such slots. */
        fail_run(x, DR_ENOMEM, "cannot start worker threads");
        dr__core_stop(core);
        for (unsigned w = started; w < x->nthreads; w++) {
            slot *s = &x->slots[w];
            if (s->busy && !is_command(x, s->task)) {
                result none;
                memset(&none, 0, sizeof none);
                complete(x, s, DR__ATTEMPT_FAILED,
                         "cannot start a worker thread", NULL, &none, 0.0);
            }
        }
        x->nthreads = started;
        check_over(x);
    }
    int over = x->over;
    sched_unlock(x);
    if (over)
        finish_loop(x); /* nothing will run */
    uv_run(&x->loop, UV_RUN_DEFAULT);
    if (!x->closing) { /* cannot happen while the async handle is open */
        finish_loop(x);
        uv_run(&x->loop, UV_RUN_DEFAULT);
    }

    for (unsigned i = 0; i < started; i++)
        uv_thread_join(&x->threads[i]);
    /* Every thread has ended: the last records, synced. */
    if (x->rec != NULL) {
        dr__recorder_take(x->rec);
        journal_write(x, 1);
    }
    /* Tasks that did not start this time keep no (emptied) log. */
    if (x->env != NULL)
        dr__logs_forget_unrun(x->g, run->run_dir, x->attempts, x->cached);
    while (uv_loop_close(&x->loop) == UV_EBUSY)
        uv_run(&x->loop, UV_RUN_NOWAIT);

    rc = x->err;
    if (collect(x) != 0 && rc == 0) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = DR_ENOMEM;
    }
    exec_free(x);
    return rc;
}

/* ------------------------------------------------- C function task calls */

const char *dr_call_task(const dr_call *call) {
    return dr_task_key(call->x->g, call->task);
}

unsigned dr_call_worker(const dr_call *call) { return call->worker; }

json_t *dr_call_args(const dr_call *call) {
    return dr_task_op_args(call->x->g, call->task);
}

size_t dr_call_ninputs(const dr_call *call) { return call->ndeps; }

const char *dr_call_input_key(const dr_call *call, size_t i) {
    return i < call->ndeps ? dr_task_key(call->x->g, call->deps[i]) : NULL;
}

json_t *dr_call_input_json(const dr_call *call, size_t i) {
    return i < call->ndeps ? call->x->results[call->deps[i]].json : NULL;
}

void *dr_call_input_ptr(const dr_call *call, size_t i) {
    return i < call->ndeps ? call->x->results[call->deps[i]].ptr : NULL;
}

void dr_call_set_json(dr_call *call, json_t *value) {
    result_free(&call->out);
    call->out.json = value;
}

void dr_call_set_ptr(dr_call *call, void *ptr, void (*free_fn)(void *),
                     size_t size) {
    result_free(&call->out);
    call->out.ptr = ptr;
    call->out.free_fn = free_fn;
    call->out.size = size;
}

int dr_call_fail(dr_call *call, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->error, sizeof call->error, fmt, ap);
    va_end(ap);
    /* One line: the failure record and the trace show it that way. */
    for (char *p = call->error; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

int dr_call_cancelled(const dr_call *call) {
    return atomic_load(call->cancel) != 0;
}
