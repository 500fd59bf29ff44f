/*
 * The results of a finished `dagrun run`, printed (run_results.c): cmd_run
 * decides when, this file how.
 */
#ifndef DAGRUN_CLI_RUN_RESULTS_H
#define DAGRUN_CLI_RUN_RESULTS_H

#include "dagrun/run.h"

#include <stddef.h>

/*
 * Prints "KEY = result" on stdout for the tasks named in keys, or when
 * there are none for the sinks (the first MAX_PRINTED_SINKS, unless quiet
 * or simulated), saying why a task has no result.  A command's result is
 * what it printed, read from its log; `logs_kept` is 0 when the log folder
 * is the temporary one of --no-outputs (so nothing points into it).
 */
void run_results_print(const dr_run *run, const dr_graph *g, const char **keys,
                       size_t nkeys, int quiet, int logs_kept);
/* With -q, failures still reach stderr, one line each, from the summary;
 * and a line for the skipped and the interrupted tasks. */
void run_results_print_failures(const json_t *summary);

#endif
