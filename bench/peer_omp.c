/*
 * The OpenMP peer (peers.h): libgomp's tasks, one per node.
 *
 * A node's task runs the body and then decrements its successors'
 * counters; the one that takes a counter to zero creates the successor's
 * task.  So the dependency counting is the same as the pool's, and what is
 * compared is OpenMP's task queues and threads.  `depend` clauses are not
 * used: they describe dependencies as storage locations that one thread
 * declares, task after task, in a sequential order of creation, so the
 * single creating thread would make all of the graph's tasks up front (the
 * wide sink naming 100,000 locations) while libgomp matches them in its
 * dependency hash; that measures the creation of a whole graph from one
 * thread, not the release of ready tasks as the other runtimes do it.
 */
#include "peers.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>

static void node(peer_dag *d, atomic_uint *left, uint32_t t) {
    peer_body(d, t);
    for (size_t i = d->succ_start[t]; i < d->succ_start[t + 1]; i++) {
        uint32_t s = d->succ[i];
        if (atomic_fetch_sub_explicit(&left[s], 1, memory_order_acq_rel) == 1) {
#pragma omp task firstprivate(s)
            node(d, left, s);
        }
    }
}

int peer_omp_run(peer_dag *d, unsigned workers) {
    atomic_uint *left = malloc((d->n ? d->n : 1) * sizeof(*left));
    if (left == NULL)
        return -1;
    for (size_t t = 0; t < d->n; t++)
        atomic_init(&left[t], d->ndeps[t]);
        /* The team's implicit barrier waits for every task, those created by
         * other tasks included. */
#pragma omp parallel num_threads(workers)
#pragma omp single
    for (size_t i = 0; i < d->nroots; i++) {
        uint32_t r = d->roots[i];
#pragma omp task firstprivate(r)
        node(d, left, r);
    }
    free(left);
    return 0;
}
