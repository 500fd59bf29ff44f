/*
 * The peers' DAG and the mutex+condvar pool (peers.h).
 */
#include "peers.h"

#include <dagrun.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void peer_dag_free(peer_dag *d) {
    if (d == NULL)
        return;
    free(d->ndeps);
    free(d->succ_start);
    free(d->succ);
    free(d->dep_start);
    free(d->dep);
    free(d->roots);
    free(d->stamp);
    free(d);
}

peer_dag *peer_dag_from_graph(const dr_graph *g) {
    peer_dag *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    size_t n = dr_graph_ntasks(g), e = 0;
    for (size_t t = 0; t < n; t++) {
        size_t k;
        dr_task_deps(g, (dr_task)t, &k);
        e += k;
    }
    d->n = n;
    d->nedges = e;
    d->ndeps = malloc((n ? n : 1) * sizeof(*d->ndeps));
    d->succ_start = malloc((n + 1) * sizeof(*d->succ_start));
    d->dep_start = malloc((n + 1) * sizeof(*d->dep_start));
    d->succ = malloc((e ? e : 1) * sizeof(*d->succ));
    d->dep = malloc((e ? e : 1) * sizeof(*d->dep));
    d->roots = malloc((n ? n : 1) * sizeof(*d->roots));
    d->stamp = calloc(n ? n : 1, sizeof(*d->stamp));
    if (!d->ndeps || !d->succ_start || !d->dep_start || !d->succ || !d->dep ||
        !d->roots || !d->stamp) {
        peer_dag_free(d);
        return NULL;
    }
    size_t si = 0, di = 0;
    for (size_t t = 0; t < n; t++) {
        size_t nd, ns;
        const dr_task *deps = dr_task_deps(g, (dr_task)t, &nd);
        const dr_task *succs = dr_task_succs(g, (dr_task)t, &ns);
        d->ndeps[t] = (uint32_t)nd;
        d->dep_start[t] = di;
        for (size_t i = 0; i < nd; i++)
            d->dep[di++] = deps[i];
        d->succ_start[t] = si;
        for (size_t i = 0; i < ns && si < e; i++)
            d->succ[si++] = succs[i];
        if (ns > d->max_succ)
            d->max_succ = ns;
        if (nd == 0)
            d->roots[d->nroots++] = (uint32_t)t;
    }
    d->succ_start[n] = si;
    d->dep_start[n] = di;
    if (si != e) { /* the successor lists must mirror the dependencies */
        peer_dag_free(d);
        return NULL;
    }
    return d;
}

void peer_dag_begin(peer_dag *d, int check) {
    d->run++;
    d->check = check;
    __atomic_store_n(&d->bad, 0, __ATOMIC_RELAXED);
}

int peer_dag_end(peer_dag *d) {
    if (__atomic_load_n(&d->bad, __ATOMIC_RELAXED))
        return -1;
    for (size_t t = 0; t < d->n; t++)
        if (d->stamp[t] != d->run)
            return -1;
    return 0;
}

void peer_body(peer_dag *d, uint32_t t) {
    if (d->check)
        for (size_t i = d->dep_start[t]; i < d->dep_start[t + 1]; i++)
            if (__atomic_load_n(&d->stamp[d->dep[i]], __ATOMIC_ACQUIRE) !=
                d->run)
                __atomic_store_n(&d->bad, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&d->stamp[t], d->run, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ pool */

typedef struct pool {
    peer_dag *d;
    atomic_uint *left;    /* dependencies of each task not finished yet */
    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t ready; /* a task was queued, or every task finished */
    uint32_t *queue;      /* FIFO of ready tasks; each is queued once */
    size_t head, tail;
    size_t finished;
    unsigned idle; /* workers waiting on `ready` */
} pool;

static void *pool_worker(void *arg) {
    pool *p = arg;
    peer_dag *d = p->d;
    uint32_t *released =
        malloc((d->max_succ ? d->max_succ : 1) * sizeof(*released));
    if (released == NULL)
        return (void *)1;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == p->tail && p->finished < d->n) {
            p->idle++;
            pthread_cond_wait(&p->ready, &p->lock);
            p->idle--;
        }
        if (p->head == p->tail)
            break; /* everything finished */
        uint32_t t = p->queue[p->head++];
        pthread_mutex_unlock(&p->lock);

        peer_body(d, t);
        /* Counting happens outside the lock: the one that takes a
         * successor's counter to zero releases it. */
        size_t k = 0;
        for (size_t i = d->succ_start[t]; i < d->succ_start[t + 1]; i++) {
            uint32_t s = d->succ[i];
            if (atomic_fetch_sub_explicit(&p->left[s], 1,
                                          memory_order_acq_rel) == 1)
                released[k++] = s;
        }

        /* One lock per task: queue what was released, count the task, and
         * (at the top of the loop) take the next one. */
        pthread_mutex_lock(&p->lock);
        for (size_t i = 0; i < k; i++)
            p->queue[p->tail++] = released[i];
        if (++p->finished == d->n)
            pthread_cond_broadcast(&p->ready);
        else
            /* This worker takes one of them itself; wake others for the
             * rest. */
            for (size_t i = 1; i < k && i <= p->idle; i++)
                pthread_cond_signal(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    free(released);
    return NULL;
}

int peer_pool_run(peer_dag *d, unsigned workers) {
    pool p = {.d = d};
    p.left = malloc((d->n ? d->n : 1) * sizeof(*p.left));
    p.queue = malloc((d->n ? d->n : 1) * sizeof(*p.queue));
    pthread_t *threads = malloc(workers * sizeof(*threads));
    if (p.left == NULL || p.queue == NULL || threads == NULL) {
        free(p.left);
        free(p.queue);
        free(threads);
        return -1;
    }
    for (size_t t = 0; t < d->n; t++)
        atomic_init(&p.left[t], d->ndeps[t]);
    for (size_t i = 0; i < d->nroots; i++)
        p.queue[p.tail++] = d->roots[i];
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.ready, NULL);
    int rc = 0;
    unsigned started = 0;
    for (; started < workers; started++)
        if (pthread_create(&threads[started], NULL, pool_worker, &p) != 0)
            break;
    if (started == 0)
        rc = -1;
    for (unsigned i = 0; i < started; i++) {
        void *ret;
        pthread_join(threads[i], &ret);
        if (ret != NULL)
            rc = -1;
    }
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
    free(threads);
    free(p.queue);
    free(p.left);
    return rc;
}
