/*
 * The dr_run result object, filled by either driver (executor.c for real
 * runs, simulator.c for simulated ones) and read by metrics, trace and
 * summary code.  Times are seconds since the run started.
 */
#ifndef DAGRUN_RUN_INTERNAL_H
#define DAGRUN_RUN_INTERNAL_H

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
    char *error;      /* owned; one line, NULL when ok */
} dr__attempt;

/* A failed task's details for the summary. */
typedef struct dr__failure {
    dr_task task;
    uint32_t attempts;
    char *reason;      /* owned */
    char *stderr_tail; /* owned, may be NULL: last lines of a command's stderr */
} dr__failure;

struct dr_run {
    dr_graph *graph;        /* borrowed */
    dr_run_options opts;    /* copied; strings borrowed from the caller */
    unsigned workers;       /* resolved worker count */
    unsigned cores;         /* the host's core count */
    int simulated;
    int interrupted;
    double makespan;

    dr__attempt *attempts;  /* in start order */
    size_t nattempts, capattempts;
    dr__failure *failures;
    size_t nfailures, capfailures;

    uint8_t *state;         /* per task: dr_task_state */
    int32_t *last;          /* per task: index of the last attempt, -1 */
    json_t **results;       /* per task: kept JSON results (sinks...), or NULL */

    size_t peak_live_results;
    size_t peak_live_bytes;
    char *run_dir;          /* owned: where command logs went, or NULL */
};

/* Appends an attempt (error copied); returns its index or -1 (ENOMEM). */
long dr__run_add_attempt(dr_run *run, dr_task t, unsigned worker,
                         unsigned attempt, unsigned status, double ready,
                         double start, double end, const char *error);
/* Records a final failure (strings copied). */
int dr__run_add_failure(dr_run *run, dr_task t, unsigned attempts,
                        const char *reason, const char *stderr_tail);

/* The drivers.  Each runs the whole graph, filling `run`; returns 0 or a
 * DR_E* code for an error that stopped the driver itself (not task
 * failures).  The core is created by the caller (run.c) and started by the
 * driver. */
int dr__simulate(dr_run *run, dr__core *core, const double *duration,
                 dr_error *err);
int dr__execute(dr_run *run, dr__core *core, dr_error *err);

#endif
