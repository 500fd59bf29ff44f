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
 * (nready_hint, yielding its CPU after the first microseconds: poll_ready)
 * before sleeping in the kernel.  Every kind
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
 *
 * The executor's files: executor.c sets up and tears down a run
 * (dr__execute); exec_threads.c holds the worker threads and the
 * completions; exec_results.c the results bookkeeping (live bytes,
 * consumers); exec_loop.c the libuv loop side (requests, timeouts, the
 * journal's timer and check, the progress line, signals); exec_commands.c
 * the command child processes (spawn, exit, kill, logs, environment);
 * exec_call.c the public dr_call_* functions; this header their shared
 * types.
 */
#ifndef DAGRUN_EXEC_INTERNAL_H
#define DAGRUN_EXEC_INTERNAL_H

#include "bigmem.h"
#include "builtins.h"
#include "core.h"
#include "drivers.h"
#include "graph_internal.h"
#include "logs.h"
#include "outputs.h"
#include "protocol.h"
#include "reaper.h"
#include "recorder.h"
#include "records.h"
#include "resume.h"

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

#define ERRLEN 512
#define TAIL_LINES 10
#define TAIL_BYTES 4096
#define KILL_GRACE_MS 1000 /* SIGTERM, then SIGKILL this much later */
#define PROGRESS_MS 100
#define JOURNAL_MS 50  /* function tasks' records are written this often */
#define SPIN_TRIES 256 /* sched_lock: trylocks before sleeping on it */
/* A free worker polls for ready tasks this long before sleeping, spinning
 * for the first IDLE_PURE_NS, then yielding its CPU between spins
 * (exec_threads.c, poll_ready). */
#define IDLE_POLL_NS 50000
#define IDLE_PURE_NS 5000
/* Batches (docs/scheduling.md, "Batches of short tasks"): a worker whose
 * last tasks' bodies each took less than BATCH_SHORT_S seconds, finding
 * ready tasks and every other worker holding a task, takes up to BATCH_MAX more
 * at once and records them all in its next lock hold. */
#define BATCH_MAX 16
#define BATCH_SHORT_S 2e-6

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
/* Flags beside the HOW_* value in how[], so that the workers' per-task path
 * reads one byte instead of the graph's task record (a cache miss each). */
enum {
    HOW_MASK = 0x0f,
    HOW_TIMEOUT = 0x10, /* the task has its own timeout (0 included) */
    HOW_FILES = 0x20    /* the task declares outputs */
};

/* How the loop starts commands (exec.spawn_how). */
enum { SPAWN_POSIX = 1, SPAWN_UV = 2 };

/* What a worker asks of the loop for its slot (slot.requests). */
enum { REQ_SPAWN = 1, REQ_TIMER = 2 };

typedef struct result {
    json_t *json;
    void *ptr;
    void (*free_fn)(void *);
    size_t size; /* bytes, for the peak-live-results figure */
    /* --executor processes: the JSON text the worker sent (owned), sent as
     * it is to the dependents' workers; NULL: none (dumped when needed). */
    char *wire;
    size_t nwire;
    /* --executor mpi: the worker rank that keeps this result (its text),
     * 0 when it is here (docs/mpi.md, "Where results are"). */
    int held;
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
    /* In a worker process or rank: the inputs as received (borrowed, ndeps
     * of them), which dr_call_input_json returns; NULL: results[]. */
    json_t **in;
};

/* (loop) A running command's main process and how the loop hears of its
 * exit (exec_commands.c): a pidfd watched for readability, or, where the
 * kernel has no pidfd_open, libuv's process handle. */
typedef struct child {
    struct slot *s;
    int pidfd; /* -1: started by uv_spawn */
    union {
        uv_poll_t poll;
        uv_process_t proc;
    } h;
} child;

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
    struct child *child; /* the running command's process, NULL when none */
    int pid;
    int killing; /* (loop) SIGTERM sent to the process group */
    char env_worker[48], env_attempt[48];
    /* (loop) A command that has exited, waiting for its record to be
     * written before its completion frees its dependents (on_exits). */
    unsigned exit_status;
    char exit_msg[ERRLEN];
    char *exit_tail;
    int journaled; /* (lock) its record is queued already */
    /* --executor processes (exec_process.c): the slot's worker process and
     * its socket (thread; -1 / 0: none, started before the next task), and
     * the attempt's transfer figures (thread, read under the lock by
     * complete; reset by begin). */
    int wfd, wpid;
    /* --executor mpi on rank 0: the worker rank and its slot this slot
     * stands for (exec_mpi.c). */
    int rank;
    unsigned rank_slot;
    float send_s, recv_s;
    uint64_t bytes_sent, bytes_received, bytes_peer;
    /* A batch: tasks given to this slot with `task`, run after it in this
     * order (lock: set with it; thread: run, then recorded under the lock).
     * Only threads-executor tasks without a timeout or declared files,
     * run by a worker whose last bodies were short (longest_body, thread),
     * are batched (exec_threads.c). */
    unsigned nbatch;
    dr_task batch[BATCH_MAX];
    unsigned batch_attempt[BATCH_MAX];
    /* A chain: with nothing else ready when the slot was given its task
     * (chain_ok, lock), a task whose only dependency has just run here,
     * and which is that dependency's only dependent, is appended and run
     * at once (batch_cont); batch_claim[i] (first_claim for the slot's
     * first task) is the task appended for entry i, claimed from the core
     * when entry i is recorded (dr__core_finish_claim). */
    int chain_ok;
    uint8_t batch_cont[BATCH_MAX];
    dr_task batch_claim[BATCH_MAX];
    dr_task first_claim;
    double batch_start[BATCH_MAX], batch_end[BATCH_MAX];
    result batch_out[BATCH_MAX];
    double longest_body;
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
    size_t nstored; /* (lock) results releasing would free (exec_results.c) */

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
    /* The core has stopped (a failure without --keep-going, a signal):
     * written under the lock by dr__x_update_hint, read by a worker before
     * each task of its batch, so that nothing starts after a stop. */
    atomic_int stopped_hint;

    uv_thread_t *threads;
    unsigned nthreads;

    uv_async_t async; /* requests from workers, and the end of the run */
    uv_timer_t progress_timer;
    uv_signal_t sigint, sigterm, sighup;
    int signals_init, progress_init;
    int nsignals; /* (loop) */
    int closing;  /* (loop) */

    /* (loop) How commands start: 0 not decided yet, SPAWN_POSIX or
     * SPAWN_UV (exec_commands.c). */
    int spawn_how;
    char **env; /* the parent's environment, DAGRUN_* removed */
    size_t nenv;
    /* (loop) Programs already looked up in PATH, name -> path, so that a
     * run's commands do not search PATH again each (exec_commands.c). */
    struct dr__prog *progs;
    size_t nprogs;
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
    /* --executor processes: the zygote and workers (pool.c), the largest
     * message accepted, and each C function task's function when the run
     * started (what the workers hold), to refuse one set later. */
    struct dr__pool *pool;
    uint64_t msg_limit;
    dr_task_fn *fn0;
    /* --executor mpi: on rank 0, every task runs on a worker rank (none on
     * the loop); on a worker rank, `serving` is set and `stop` is rank 0's
     * shutdown, polled by the slot threads (exec_mpi.c). */
    int mpi;
    int serving;
    atomic_int stop;
    atomic_int *rank_dead; /* rank 0: per worker rank, 1 once seen dead */
    /* Rank 0: results over keep_min bytes stay on the worker rank that made
     * them (results[t].held) unless rank 0 needs them; `locality` 1: a
     * ready task goes to an idle slot on the rank that holds most of its
     * input bytes; rank_bytes[r] is that sum for rank r (lock, scratch);
     * drops are (rank, task) pairs of held results no longer needed, told
     * to their ranks by the next slot thread that sends (lock). */
    uint64_t keep_min;
    int locality;
    uint64_t *rank_bytes;
    uint32_t *drops;
    size_t ndrops, capdrops;
    /* A worker rank: the results it keeps (text, bytes), per task (lock). */
    char **kept;
    size_t *nkept;
    int rank_self;
};

/* Takes the sched lock.  It is held for well under a microsecond at a
 * time, so a contending thread first retries for a few hundred
 * nanoseconds: sleeping in the kernel would cost the holder a futex wake
 * syscall at its next unlock, dearer than the whole critical section. */
static inline void sched_lock(exec *x) {
    for (int i = 0; i < SPIN_TRIES; i++) {
        if (pthread_mutex_trylock(&x->lock) == 0)
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&x->lock);
}

static inline void sched_unlock(exec *x) { pthread_mutex_unlock(&x->lock); }

/* Divided, not multiplied by 1e-9: the journal writes such a time as whole
 * nanoseconds, exactly and fast (journal.c). */
static inline double now_s(const exec *x) {
    return (double)(uv_hrtime() - x->t0) / 1e9;
}

static inline int how_of(const exec *x, dr_task t) {
    return x->how[t] & HOW_MASK;
}

static inline int has_files(const exec *x, dr_task t) {
    return (x->how[t] & HOW_FILES) != 0;
}

static inline int is_command(const exec *x, dr_task t) {
    return how_of(x, t) == HOW_ARGV || how_of(x, t) == HOW_SHELL;
}

/* Whether the loop starts task t as a child process of this one: a
 * command, except under --executor mpi, whose worker ranks run commands. */
static inline int on_loop(const exec *x, dr_task t) {
    return is_command(x, t) && !x->mpi;
}

/* executor.c: how each task runs (how[], consumers[], the spin
 * calibration; *commands 1 when there are commands), the commands'
 * environment, and freeing what an exec holds.  0 or a DR_E* code. */
int dr__x_decide(exec *x, int *commands);
int dr__x_build_env(exec *x);
void dr__x_free(exec *x);

/* exec_results.c: results bookkeeping (all (lock) but json_size and
 * result_free). */
size_t dr__x_json_size(json_t *v, int depth);
void dr__x_result_free(result *r);
/* Whether freeing r would free anything (a null result owns nothing). */
int dr__x_result_stored(const result *r);
void dr__x_keep_result(exec *x, dr_task t, result *r);
void dr__x_release_result(exec *x, dr_task t);
void dr__x_consumed(exec *x, dr_task t);
void dr__x_consumed_by_skipped(exec *x, dr_task t);

/* exec_threads.c: the worker threads and completions. */
void dr__x_run_job(slot *s);
/* The C function task t runs, as run_job finds it (NULL: none). */
dr_task_fn dr__x_task_fn(const exec *x, dr_task t, void **user);

/* exec_process.c: --executor processes, and what the MPI executor shares
 * with it: the task message of slot s's attempt (its inputs as text, the
 * text each was received as), the result message read into call.out, the
 * attempt's transfer times, and the worker side of a task message. */
typedef struct dr__task_msg {
    json_t *body;
    const void *payload; /* the inputs' texts, one after the other */
    size_t total;        /* bytes of payload */
    size_t nd;
    char **dumped;
    const char **texts;
    size_t *sizes;
    unsigned char *bin;
} dr__task_msg;
/* 0, or -1 with call.error set (out of memory, over the message limit). */
int dr__x_task_msg(exec *x, slot *s, dr__task_msg *tm);
void dr__x_task_msg_free(dr__task_msg *tm);
/* 0 (call.out set and s->failed 0, or call.error the task's failure), or
 * -1 when the result is not JSON (why filled). */
int dr__x_result_msg(exec *x, slot *s, dr__msg *m, char *why, size_t len);
void dr__x_transfer_times(slot *s, const dr__msg *m, double t0, double r0,
                          double end);
/* Runs TASK message m on slot s of a worker process or rank: returns the
 * RESULT body (NULL: out of memory) and the result's text (*text, malloc'd,
 * NULL when none). */
json_t *dr__x_serve_task(exec *x, slot *s, const dr__msg *m, char **text,
                         size_t *len);
void dr__x_run_remote(slot *s);
int dr__x_pool_start(exec *x, unsigned nworkers);
void dr__x_pool_finish(exec *x);
int dr__x_prepare_call(exec *x, slot *s, dr_task t);
void dr__x_fail_run(exec *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dr__x_update_hint(exec *x);
void dr__x_hand_out(exec *x, double now);
void dr__x_go_idle(exec *x, slot *s);
void dr__x_check_over(exec *x);
void dr__x_complete(exec *x, slot *s, unsigned status, const char *error,
                    const char *tail, result *out, double now);
void dr__x_begin(exec *x, slot *s, dr_task t, double now);
void dr__x_worker_main(void *arg);

/* exec_mpi.c: --executor mpi on rank 0 (the slot's task on its worker
 * rank), and the command of slot s run by its own thread, as a worker rank
 * runs one (exec_mpi_serve.c). */
void dr__x_run_mpi(slot *s);
void dr__x_mpi_setup(exec *x);
/* (lock) The locality rule: pops the best ready task and chooses the slot
 * for it among `self` (may be NULL) and the idle slots, preferring the rank
 * that holds most of its input bytes, then self, then the lowest id; an
 * idle slot chosen is taken off the idle stack.  1 with *t and *to set, or
 * 0 when nothing can start. */
int dr__x_mpi_assign(exec *x, slot *self, double now, dr_task *t, slot **to);
/* (lock) Result t, held by a worker rank, is no longer needed. */
void dr__x_mpi_drop(exec *x, dr_task t, int rank);
void dr__x_run_command_here(slot *s);

/* exec_loop.c: the libuv loop side. */
void dr__x_complete_command_at(exec *x, slot *s, unsigned status,
                               const char *error, const char *tail, double end);
void dr__x_complete_command(exec *x, slot *s, unsigned status,
                            const char *error, const char *tail);
void dr__x_journal_write(exec *x, int sync);
void dr__x_on_journal_timer(uv_timer_t *h);
void dr__x_on_exits(uv_check_t *h);
void dr__x_on_async(uv_async_t *h);
void dr__x_on_progress(uv_timer_t *h);
void dr__x_on_signal(uv_signal_t *h, int signum);
void dr__x_finish_loop(exec *x);

/* exec_commands.c: command child processes. */
/* Set by tests only: start commands with uv_spawn as a kernel without
 * pidfd_open would (read when a run's first command starts). */
extern int dr__x_spawn_with_uv;
int dr__x_spawn_command(exec *x, slot *s, char *msg, size_t msglen);
void dr__x_kill_group(slot *s, int sig);
/* Starts args (PATH looked up) as every command starts: its own session,
 * no signal blocked or caught, stdin /dev/null, stdout and stderr ofd and
 * efd, working folder wd (NULL: ours), environment env.  0 with *pid, or
 * an errno value. */
int dr__x_posix_spawn(const char *wd, char **args, char **env, int ofd, int efd,
                      int *pid);
/* Where PATH (colon-separated; NULL: unset) has an executable regular file
 * name: a malloc'ed path, or NULL when not found or when the lookup would
 * depend on the working folder (a relative or empty PATH entry). */
char *dr__x_path_lookup(const char *path_var, const char *name);
void dr__x_free_progs(exec *x);
/* The last lines of task t's stderr log, made safe; NULL when none. */
char *dr__x_stderr_tail(const exec *x, dr_task t);
void dr__x_terminate(slot *s);

#endif
