/*
 * The drivers' entry points, called by run.c, and the functions the
 * drivers' files define for others (executor.c, simulator.c).  A driver
 * includes this header and records.h, never run_internal.h.
 */
#ifndef DAGRUN_DRIVERS_H
#define DAGRUN_DRIVERS_H

#include "core.h"
#include "records.h"

/* Reads a previous run's trace and sets duration[t] for every task found
 * (*busy, may be NULL, as dr__trace_busy)
 * (its last ok attempt, dur in µs); others are left alone.  found (may be
 * NULL) gets found[t] = 1 for them.  Returns the number of tasks matched (0
 * is an error: DR_EFORMAT), or a DR_E* code. */
long dr__costs_from_trace(const dr_graph *g, const char *path, double *duration,
                          uint8_t *found, int *busy, dr_error *err);
/* 1 when a trace's otherData says it was recorded on a busy machine
 * (busy_machine, written by dr_run_trace_json), else 0. */
int dr__trace_busy(const json_t *trace);
/* The same on a trace already read; `source` names it in errors. */
long dr__costs_from_trace_json(const dr_graph *g, const json_t *trace,
                               const char *source, double *duration,
                               uint8_t *found, dr_error *err);

/* 0 when `dir` is a folder commands can run in (it exists, is a folder,
 * and may be entered), else an errno value (executor.c).  The CLI asks
 * before it takes its output folder. */
int dr__workdir_error(const char *dir);

/* The drivers.  Each runs the whole graph, filling `run`; returns 0 or a
 * DR_E* code for an error that stopped the driver itself (not task
 * failures).  The core is created by the caller (run.c) and started by the
 * driver. */
int dr__simulate(dr_run *run, dr__core *core, const double *duration,
                 dr_error *err);
int dr__execute(dr_run *run, dr__core *core, dr_error *err);

/* --executor mpi (exec_mpi.c, exec_mpi_serve.c).  On rank 0, before the
 * core is made: greets every worker rank, checks they hold the same graph
 * and dagrun, and tells them where the run's logs and outputs are; fills
 * the ranks (malloc'd, rank order), their count and the slots in all, and
 * rank 0's host.  0 or a DR_E* code (err filled; the ranks are refused).
 * Then, whatever became of the run, dr__mpi_disconnect ends the ranks'
 * part.  On a worker rank, dr__serve_mpi greets rank 0 and runs what it
 * sends on run->workers slots until it says shutdown. */
int dr__mpi_connect(const dr_graph *g, const char *run_dir,
                    const char *output_dir, dr__rank **ranks, unsigned *nranks,
                    unsigned *nslots, unsigned max_slots, char *host0,
                    size_t hostlen, dr_error *err);
void dr__mpi_disconnect(const dr__rank *ranks, unsigned nranks);
int dr__serve_mpi(dr_run *run, dr_error *err);
json_t *dr__mpi_hello_body(const dr_graph *g, int rank, unsigned slots);

#endif
