/*
 * The native peers of dagrun_bench_overhead (bench/README.md, "Scheduling
 * overhead"): the same DAG as dagrun runs, held as plain arrays, run by a
 * mutex+condvar pool (peers.c), OpenMP tasks (peer_omp.c) and Intel TBB's
 * flow graph (peer_tbb.cpp).  Every peer calls peer_body() once per task;
 * the pool and OpenMP release a task's successors by decrementing their
 * dependency counters (the last one to reach zero makes it ready), TBB's
 * continue_node does the same counting itself.
 */
#ifndef DAGRUN_BENCH_PEERS_H
#define DAGRUN_BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peer_dag {
    size_t n;           /* tasks, numbered as the dr_graph numbers them */
    size_t nedges;      /* after the graph's removal of repeats */
    uint32_t *ndeps;    /* dependencies of each task */
    size_t *succ_start; /* n + 1: task t's successors are */
    uint32_t *succ;     /* succ[succ_start[t] .. succ_start[t + 1]) */
    size_t *dep_start;  /* the same for dependencies (for the check) */
    uint32_t *dep;
    uint32_t *roots; /* the tasks without dependencies */
    size_t nroots;
    size_t max_succ; /* the largest number of successors of a task */
    uint32_t *stamp; /* what peer_body writes: the run's number */
    uint32_t run;    /* this run's number (peer_dag_begin) */
    int check;       /* peer_body checks the task's dependencies */
    int bad;         /* set by a checking peer_body (__atomic) */
} peer_dag;

struct dr_graph;

/* The arrays of a validated graph; NULL when out of memory. */
peer_dag *peer_dag_from_graph(const struct dr_graph *g);
void peer_dag_free(peer_dag *d);

/* Starts a run: a new stamp; with check, each task's body verifies that
 * every dependency already ran in this run. */
void peer_dag_begin(peer_dag *d, int check);
/* After a run: 0 when every task ran (and, when checking, after all its
 * dependencies), else -1. */
int peer_dag_end(peer_dag *d);

/* A task's body, the same for every peer: it records that task t ran in
 * this run (one store), and when checking, that its dependencies had. */
void peer_body(peer_dag *d, uint32_t t);

/* Runs the DAG on a fresh pool of `workers` threads (one mutex, one
 * condition variable, a FIFO of ready tasks, atomic dependency counters).
 * Returns 0, or -1 when threads or memory could not be had. */
int peer_pool_run(peer_dag *d, unsigned workers);

/* OpenMP tasks (peer_omp.c): a team of `workers` threads, one task per node
 * created when its last dependency ends.  Built only when CMake found
 * OpenMP (DAGRUN_BENCH_OPENMP). */
int peer_omp_run(peer_dag *d, unsigned workers);

/* TBB flow graph (peer_tbb.cpp): a continue_node per task and a make_edge
 * per dependency, in a task_arena of `workers` threads.  Building is apart
 * from running (like dagrun's graph, built and validated before its clock),
 * and a built graph runs many times.  Built only when CMake found TBB
 * (DAGRUN_BENCH_TBB). */
typedef struct peer_tbb peer_tbb;
peer_tbb *peer_tbb_create(peer_dag *d, unsigned workers);
int peer_tbb_run(peer_tbb *p);
void peer_tbb_destroy(peer_tbb *p);

#ifdef __cplusplus
}
#endif

#endif
