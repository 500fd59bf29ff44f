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

#endif
