/*
 * Per-task scheduling overhead of dagrun's real executor.
 *
 * Every task is a `noop`, so the time a run takes is all overhead:
 * dependency counting, the ready queue, handing tasks to worker threads and
 * their results back.  Graphs are built and validated before the clock
 * starts (loading is excluded); the clock covers dr_run_graph() only, from
 * the call to its return, so it includes setting the run up (priorities,
 * per-task records) as a user would pay it.  Each shape runs several times
 * and the median is reported, with the run's own makespan (first task start
 * to last task end, as the executor measures it) next to it.
 *
 * Shapes (the ones the issue names; built by shapes.c, which
 * executors.c shares):
 *   wide     100,000 independent tasks and one sink depending on all
 *   chain    100,000 tasks, each depending on the previous one
 *   tree     binary reduction over 100,000 leaves (199,999 tasks)
 *   layered  100 layers of 1,000 tasks, each depending on 4 random tasks
 *            of the layer before (seeded, so every run builds the same graph)
 *
 * For scale, the same run also times a "peer": a plain C thread pool (one
 * mutex, two condition variables, a FIFO of function pointers) running the
 * same number of empty tasks with no dependencies at all.  It is about the
 * least a general-purpose pool can cost, so the ratio says how much the
 * dependency tracking and bookkeeping add.
 *
 * With --journal DIR it measures the journal's cost instead (bench/journal.sh):
 * each repeat runs the shape twice, without a journal and with one in
 * DIR/journal.jsonl (opts.journal, as `dagrun run` keeps it), one after the
 * other so that both see the same machine, and the medians and their ratio
 * are printed; the peer is not run.
 *
 * Usage: dagrun_bench_overhead [--workers N] [--runs N] [--scale F]
 *                              [--policy NAME] [--shape NAME] [--journal DIR]
 */
#include <dagrun.h>
#include <dagrun/run.h>

#include "shapes.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ peer */

typedef struct peer_pool {
    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t work;  /* signalled when a task is queued or on stop */
    pthread_cond_t done;  /* signalled when pending reaches 0 */
    void (**queue)(void *);
    size_t head, tail, cap; /* FIFO of queued tasks */
    size_t pending;         /* queued or running */
    int stop;
    pthread_t *threads;
    unsigned nthreads;
} peer_pool;

static void empty_task(void *arg) { (void)arg; }

static void *peer_worker(void *arg) {
    peer_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == p->tail && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->head == p->tail && p->stop)
            break;
        void (*fn)(void *) = p->queue[p->head++];
        pthread_mutex_unlock(&p->lock);
        fn(NULL);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Runs n empty tasks on a fresh pool; returns the seconds from the first
 * submission to the last completion (thread start-up excluded). */
static double peer_run(size_t n, unsigned threads) {
    peer_pool p = {.cap = n, .nthreads = threads};
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.work, NULL);
    pthread_cond_init(&p.done, NULL);
    p.queue = malloc(n * sizeof(*p.queue));
    p.threads = malloc(threads * sizeof(*p.threads));
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&p.threads[i], NULL, peer_worker, &p);
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&p.lock);
        p.queue[p.tail++] = empty_task;
        p.pending++;
        pthread_cond_signal(&p.work);
        pthread_mutex_unlock(&p.lock);
    }
    pthread_mutex_lock(&p.lock);
    while (p.pending > 0)
        pthread_cond_wait(&p.done, &p.lock);
    double t1 = now();
    p.stop = 1;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.lock);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(p.threads[i], NULL);
    free(p.threads);
    free(p.queue);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    pthread_mutex_destroy(&p.lock);
    return t1 - t0;
}

/* ----------------------------------------------------------------- main */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --journal: each shape without and with a journal, interleaved. */
static int journal_cost(const char *dir, unsigned workers, dr_policy policy,
                        int runs, double scale, const char *only) {
    char path[4096];
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    printf("the journal's cost: noop tasks, %u workers, policy %s, median of "
           "%d interleaved runs, journal %s\n\n",
           workers, dr_policy_name(policy), runs, path);
    printf("%-8s %8s %14s %16s %8s %11s\n", "shape", "tasks", "none us/task",
           "journal us/task", "ratio", "journal MB");
    double *none = malloc((size_t)runs * sizeof(double));
    double *with = malloc((size_t)runs * sizeof(double));
    int failed = 0;
    for (size_t s = 0; s < nshapes; s++) {
        if (only != NULL && strcmp(only, shapes[s].name) != 0)
            continue;
        dr_graph *g = shape_build(shapes[s].name, scale);
        dr_error err;
        if (dr_graph_validate(g, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.text);
            return 1;
        }
        size_t n = dr_graph_ntasks(g);
        double mb = 0;
        for (int r = 0; r < runs; r++)
            for (int j = 0; j < 2; j++) {
                dr_run_options opts;
                dr_run_options_init(&opts);
                opts.workers = workers;
                opts.policy = policy;
                opts.journal = j ? path : NULL;
                double t0 = now();
                dr_run *run = dr_run_graph(g, &opts, &err);
                double t1 = now();
                if (run == NULL) {
                    fprintf(stderr, "bench: %s: %s\n", shapes[s].name,
                            err.text);
                    return 1;
                }
                if (dr_run_status(run) != 0)
                    failed = 1;
                dr_run_destroy(run);
                (j ? with : none)[r] = (t1 - t0) / (double)n * 1e6;
                FILE *f = j ? fopen(path, "rb") : NULL;
                if (f != NULL && fseek(f, 0, SEEK_END) == 0)
                    mb = (double)ftell(f) / 1e6;
                if (f != NULL)
                    fclose(f);
            }
        double a = median(none, runs), b = median(with, runs);
        printf("%-8s %8zu %14.3f %16.3f %8.2f %11.1f\n", shapes[s].name, n, a,
               b, a > 0 ? b / a : 0, mb);
        fflush(stdout);
        dr_graph_destroy(g);
    }
    remove(path);
    free(none);
    free(with);
    if (failed) {
        fprintf(stderr, "bench: some run reported failed tasks\n");
        return 1;
    }
    return 0;
}

static void usage(FILE *out) {
    fprintf(out, "Usage: dagrun_bench_overhead [options]\n"
                 "  -w, --workers N   worker threads (2)\n"
                 "  -r, --runs N      runs per shape; the median is shown (7)\n"
                 "  -s, --scale F     multiply the task counts by F (1.0)\n"
                 "  -p, --policy P    scheduling policy (cp)\n"
                 "      --shape NAME  only this shape (wide, chain, tree, "
                 "layered)\n"
                 "      --journal DIR compare runs without and with a journal "
                 "in DIR\n");
}

int main(int argc, char **argv) {
    unsigned workers = 2;
    int runs = 7;
    double scale = 1.0;
    dr_policy policy = DR_POLICY_CP;
    const char *only = NULL;
    const char *journal_dir = NULL;
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"runs", required_argument, NULL, 'r'},
        {"scale", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"shape", required_argument, NULL, 'S'},
        {"journal", required_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "w:r:s:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            workers = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 's':
            scale = strtod(optarg, NULL);
            break;
        case 'p':
            if (dr_policy_from_name(optarg, &policy) != 0) {
                fprintf(stderr, "bench: unknown policy '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            only = optarg;
            break;
        case 'J':
            journal_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (workers < 1 || runs < 1 || runs > 1000 || !(scale > 0)) {
        usage(stderr);
        return 2;
    }

    if (journal_dir != NULL)
        return journal_cost(journal_dir, workers, policy, runs, scale, only);
    printf("dagrun scheduling overhead: noop tasks, %u workers, policy %s, "
           "median of %d runs\n\n",
           workers, dr_policy_name(policy), runs);
    printf("%-8s %-34s %8s %8s %10s %10s %10s %8s\n", "shape", "graph", "tasks",
           "edges", "us/task", "min", "makespan", "x peer");
    double *wall = malloc((size_t)runs * sizeof(double));
    double *span = malloc((size_t)runs * sizeof(double));
    double *peer = malloc((size_t)runs * sizeof(double));
    int failed = 0;
    for (size_t s = 0; s < nshapes; s++) {
        if (only != NULL && strcmp(only, shapes[s].name) != 0)
            continue;
        dr_graph *g = shape_build(shapes[s].name, scale);
        dr_error err;
        if (dr_graph_validate(g, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.text);
            return 1;
        }
        size_t n = dr_graph_ntasks(g);
        dr_run_options opts;
        dr_run_options_init(&opts);
        opts.workers = workers;
        opts.policy = policy;
        for (int r = 0; r < runs; r++) {
            double t0 = now();
            dr_run *run = dr_run_graph(g, &opts, &err);
            double t1 = now();
            if (run == NULL) {
                fprintf(stderr, "bench: %s: %s\n", shapes[s].name, err.text);
                return 1;
            }
            if (dr_run_status(run) != 0)
                failed = 1;
            wall[r] = (t1 - t0) / (double)n * 1e6;
            span[r] = dr_run_makespan(run) / (double)n * 1e6;
            dr_run_destroy(run);
            /* The peer runs between dagrun's runs, so both see the same
             * machine load. */
            peer[r] = peer_run(n, workers) / (double)n * 1e6;
        }
        double pm = median(peer, runs);
        double wm = median(wall, runs);
        double mn = wall[0]; /* sorted by median() */
        printf("%-8s %-34s %8zu %8zu %10.3f %10.3f %10.3f %8.1f\n",
               shapes[s].name, shapes[s].what, n, dr_graph_nedges(g), wm, mn,
               median(span, runs), pm > 0 ? wm / pm : 0);
        printf("%-8s %-34s %8zu %8s %10.3f\n", "", "  peer: mutex+condvar pool",
               n, "-", pm);
        fflush(stdout);
        dr_graph_destroy(g);
    }
    printf("\nus/task: wall time of dr_run_graph / tasks (graph built and "
           "validated\nbeforehand); min: the fastest run; makespan: the "
           "executor's own\nfirst-start-to-last-end / tasks; x peer: us/task "
           "over the peer's.\n");
    free(wall);
    free(span);
    free(peer);
    if (failed) {
        fprintf(stderr, "bench: some run reported failed tasks\n");
        return 1;
    }
    return 0;
}
