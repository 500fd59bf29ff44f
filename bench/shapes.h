/*
 * The graph shapes of the overhead benchmarks (bench/README.md), shared by
 * overhead.c and executors.c so that both measure the same graphs.  Every
 * task is a `noop`; a builder that fails (out of memory) prints why and
 * exits, since a benchmark cannot go on without its graph.  Each returns a
 * new graph (dr_graph_destroy), not yet validated.
 */
#ifndef DAGRUN_BENCH_SHAPES_H
#define DAGRUN_BENCH_SHAPES_H

#include <dagrun.h>

#include <stddef.h>

/* n independent tasks and one sink depending on all of them. */
dr_graph *shape_wide(size_t n);
/* n tasks, each depending on the one before. */
dr_graph *shape_chain(size_t n);
/* A binary reduction over `leaves` tasks (2 * leaves - 1 tasks). */
dr_graph *shape_tree(size_t leaves);
/* `layers` layers of `width` tasks, each depending on `deps` random tasks
 * of the layer before (seeded: every call builds the same graph). */
dr_graph *shape_layered(size_t layers, size_t width, size_t deps);

/* The four shapes by name, in the order the tables print them. */
typedef struct shape {
    const char *name;
    const char *what; /* the graph at the default size, for the tables */
} shape;
extern const shape shapes[];
extern const size_t nshapes;

/* overhead.c's sizes: wide and chain 100,000 x scale tasks, tree 100,000 x
 * scale leaves, layered 100 x scale layers of 1,000; NULL for an unknown
 * name. */
dr_graph *shape_build(const char *name, double scale);
/* shape_build, validated; on failure prints why and exits 1. */
dr_graph *shape_build_valid(const char *name, double scale);

#endif
