/*
 * The run's records: struct dr_run and the attempts and failures the
 * drivers (executor, simulator) append to it while they run.  Both drivers
 * include this header, never run_internal.h, so that they do not depend on
 * the dispatcher (run.c) that chose them: run.c -> drivers -> records.
 * Times are seconds since the run started.
 */
#ifndef DAGRUN_RECORDS_H
#define DAGRUN_RECORDS_H

#include "core.h"

/* How an attempt ended. */
enum {
    DR__ATTEMPT_OK = 0,
    DR__ATTEMPT_FAILED,
    DR__ATTEMPT_TIMEOUT,
    DR__ATTEMPT_INTERRUPTED
};

/* One attempt of one task: a bar in the Gantt chart, an event in the trace. */
typedef struct dr__attempt {
    dr_task task;
    uint32_t worker;
    uint32_t attempt; /* 1-based */
    uint32_t status;  /* DR__ATTEMPT_* */
    double ready, start, end;
    char *error; /* owned; one line, NULL when ok */
} dr__attempt;   /* 48 bytes: a run of 10^7 tasks records 10^7 of them */

/* What an attempt moved, beside it in run->moves (NULL until an attempt
 * moves something: threads and sync never do, and their records stay
 * small).  DR_EXECUTOR_PROCESSES (and MPI): seconds spent sending the task
 * message (its arguments and its dependencies' results) and receiving the
 * result message, inside [start, end], and the bytes of each message. */
typedef struct dr__move {
    float send_s, recv_s;
    uint64_t bytes_sent, bytes_received;
    /* --executor mpi: of bytes_sent, those the worker rank fetched from
     * another worker rank that kept them (not through rank 0). */
    uint64_t bytes_peer;
} dr__move;

/* A failed task's details for the summary. */
typedef struct dr__failure {
    dr_task task;
    uint32_t attempts;
    char *reason; /* owned */
    char
        *stderr_tail; /* owned, may be NULL: last lines of a command's stderr */
} dr__failure;

/* --executor mpi: a worker rank, as it said hello; its slots are the run's
 * workers first .. first + nslots - 1. */
typedef struct dr__rank {
    int rank;
    int pid;
    unsigned first, nslots;
    char host[64];
} dr__rank;

struct dr_run {
    dr_graph *graph;     /* borrowed */
    dr_run_options opts; /* copied; strings borrowed from the caller */
    unsigned workers;    /* resolved worker count */
    unsigned cores;      /* the host's core count */
    int simulated;
    int interrupted;
    int stop_signal; /* the signal that interrupted the run, 0: none */
    double makespan;

    /* In the order the driver recorded them: the simulator when an attempt
     * starts, the executor when it ends.  Either way one worker's attempts
     * are in start order (a worker runs one at a time); across workers
     * there is no order to rely on (metrics.c sorts its sweep's events). */
    dr__attempt *attempts;
    size_t nattempts, capattempts;
    dr__move *moves; /* NULL, or capattempts of them, zero when none */
    dr__failure *failures;
    size_t nfailures, capfailures;

    uint8_t *state;   /* per task: dr_task_state */
    int32_t *last;    /* per task: index of the last attempt, -1 */
    json_t **results; /* per task: kept JSON results (sinks...), or NULL */

    uint8_t *keep; /* per task: 1 when its result is kept after
                      the run (sinks and opts.keep_results) */

    /* Bytes of the in-memory results (JSON values, pointers) held at once,
     * at most; real runs only.  The peak count of live results is a metric
     * of the attempt list (metrics.c), the same for both drivers. */
    size_t peak_live_bytes;
    /* Per graph parameter (dr_graph_param_name order): 1 when it was set
     * on the command line (opts.params_set); NULL when none was. */
    uint8_t *param_set;
    char *run_dir; /* owned: where command logs went, or NULL */

    /* A simulation's tasks whose duration is the default cost 1 (no cost,
     * no sleep/spin length, not in the --costs trace); 0 for real runs. */
    size_t tasks_without_cost;
    /* Tasks that burn CPU in this process (dr_task_uses_cpu). */
    size_t cpu_tasks;

    /* A real run's check of the machine (run.c, with scaling_probe.c):
     * whether other programs took CPU time from its computing tasks, and
     * the evidence as one clause.  NAN figures are unknown; all NAN and
     * busy 0 for a simulation or when no task computes. */
    int busy;
    double cpu_share;    /* CPU seconds got / needed by the computing tasks */
    double others_cores; /* cores used by other programs, on average */
    double load_before, load_after; /* 1-minute load averages */
    char busy_why[384];
    /* --costs: the replayed trace says it was recorded on a busy machine
     * (its otherData.busy_machine). */
    int costs_busy;

    /* Durable runs (docs/resuming.md), real runs with opts.journal only:
     * the plan (which tasks are cached, every task's op fingerprint) and
     * the journal open for the run, both released by run.c when the
     * driver returns; and why the journal was not used or not written
     * ("" when it was). */
    struct dr_plan *plan;
    struct dr__journal *journal;
    char journal_note[640];

    /* --executor mpi: the worker ranks (owned), in rank order; NULL and 0
     * otherwise.  Rank 0's own host is host0. */
    dr__rank *ranks;
    unsigned nranks;
    char host0[64];
};

/* The worker rank that worker slot w belongs to, or NULL (not an MPI run). */
const dr__rank *dr__run_rank_of(const dr_run *run, unsigned w);

/* Appends an attempt (error copied); returns its index or -1 (ENOMEM). */
long dr__run_add_attempt(dr_run *run, dr_task t, unsigned worker,
                         unsigned attempt, unsigned status, double ready,
                         double start, double end, const char *error);

/* Attempt i's moves; all zero when it moved nothing. */
const dr__move *dr__run_move(const dr_run *run, size_t i);
/* Attempt i's moves to fill in (made on first use); NULL: out of memory. */
dr__move *dr__run_move_set(dr_run *run, size_t i);
/* Makes room for n attempts in all (harmless to fail: adding grows). */
int dr__run_reserve_attempts(dr_run *run, size_t n);
/* Records a final failure (strings copied): the reason is made safe here
 * (graph/escape.c); the stderr tail is safe already (dr__log_tail made it)
 * and is copied as it is, so that it is escaped once. */
int dr__run_add_failure(dr_run *run, dr_task t, unsigned attempts,
                        const char *reason, const char *stderr_tail);

/* A run with no attempts yet: per-task arrays allocated (state pending,
 * last -1, keep set for sinks and opts->keep_results), workers and cores as
 * given, cpu_tasks counted.  Used by dr_run_graph and by tests that build
 * attempt lists by hand.  Returns NULL on DR_ENOMEM. */
dr_run *dr__run_create(dr_graph *g, const dr_run_options *opts,
                       unsigned workers, unsigned cores, int simulated);

#endif
