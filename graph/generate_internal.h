/*
 * The generator for callers inside dagrun that never save the graph
 * (`dagrun run gen:SHAPE`): dr_generate() refuses parameters whose saved
 * JSON would pass the byte cap on graph files (DAGRUN_MAX_GRAPH_BYTES), so
 * that whatever `dagrun gen` writes, dagrun can load; a graph that is only
 * simulated or run in memory is never written, so only the caps on tasks
 * and dependencies apply to it.
 */
#ifndef DAGRUN_GENERATE_INTERNAL_H
#define DAGRUN_GENERATE_INTERNAL_H

#include "dagrun.h"

/* dr_generate(), and with `for_file` 0 the byte cap is not checked. */
dr_graph *dr__generate(const char *shape, const dr_param *params,
                       size_t nparams, uint64_t seed, const char *op,
                       int for_file, dr_error *err);

#endif
