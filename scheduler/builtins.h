/*
 * The builtin operations (noop, sleep, spin, compute, pi, array, sum, mean,
 * min, max, count, fail), run on a worker thread.  graph/ops.c knows their
 * names and checks their arguments at load time; this is where they do their
 * work.
 */
#ifndef DAGRUN_BUILTINS_H
#define DAGRUN_BUILTINS_H

#include "dagrun.h"

#include <stdatomic.h>

/*
 * Runs builtin `name` with `args` (may be NULL) over the JSON results of the
 * task's dependencies (inputs[0..ninputs-1], borrowed; an entry may be NULL
 * when a dependency produced no JSON result).  On success returns 0 and sets
 * *result to a new reference (json null when the op has no result).  On
 * failure returns non-zero and writes a one-line reason into errbuf.
 * `cancel` (may be NULL) is polled by long ops (sleep, spin, compute, pi,
 * array); when it becomes non-zero the op stops early and fails with
 * "interrupted".
 * Thread-safe: builtins share no state except the spin calibration, which is
 * computed once (dr__spin_calibrate) before workers start.
 */
int dr__builtin_run(const char *name, const json_t *args, json_t *const *inputs,
                    size_t ninputs, json_t **result, char *errbuf,
                    size_t errlen, const atomic_int *cancel);

/* Measures how many inner iterations make one spin unit (about 1 ms of one
 * core) and remembers it; idempotent and thread-safe (call once early).
 * DAGRUN_SPIN_ITERS in the environment overrides the measurement, so that
 * runs on different machines can do the same work. */
void dr__spin_calibrate(void);
/* The calibrated number of inner iterations in one spin unit (calibrating
 * first if needed). */
uint64_t dr__spin_iters_per_unit(void);
/* Burns `units` spin units of CPU (fixed work, not fixed time). */
void dr__spin(double units, const atomic_int *cancel);

/* (public: dr_plugin_load in dagrun/run.h) */

#endif
