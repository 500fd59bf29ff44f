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
 * The same run times native task runtimes on the same DAG (peers.h): the
 * graph's tasks and edges copied into plain arrays before the clock starts,
 * every task a body that records it ran, successors released by dependency
 * counting.  A plain pool (one mutex, one condition variable, a FIFO of
 * ready tasks, atomic counters), OpenMP tasks (libgomp) and TBB's flow
 * graph, the last two when CMake found them.  Each repeat runs dagrun and
 * then each peer, so all see the same machine; each measures at every
 * worker count of --workers-list (1, 2 and 4 by default), and the table
 * gives dagrun's median over the best peer's.  Before the timed runs each
 * runtime runs the graph once untimed, the peers checking that every task
 * ran after its dependencies; every timed run checks that every task ran.
 *
 * With --journal DIR it measures the journal's cost instead (bench/journal.sh):
 * each repeat runs the shape twice, without a journal and with one in
 * DIR/journal.jsonl (opts.journal, as `dagrun run` keeps it), one after the
 * other so that both see the same machine, and the medians and their ratio
 * are printed; the peers are not run.
 *
 * Usage: dagrun_bench_overhead [--workers N | --workers-list N,N,..]
 *                              [--runs N] [--scale F] [--policy NAME]
 *                              [--shape NAME] [--journal DIR]
 */
#include "stats.h"
#include <dagrun.h>
#include <dagrun/run.h>

#include "peers.h"
#include "shapes.h"
#include "workers_list.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ----------------------------------------------------------------- main */

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
        dr_graph *g = shape_build_valid(shapes[s].name, scale);
        size_t n = dr_graph_ntasks(g);
        double mb = 0;
        for (int r = 0; r < runs; r++)
            for (int j = 0; j < 2; j++) {
                dr_run_options opts;
                dr_run_options_init(&opts);
                opts.workers = workers;
                opts.policy = policy;
                opts.journal = j ? path : NULL;
                dr_error err;
                double t0 = bench_now();
                dr_run *run = dr_run_graph(g, &opts, &err);
                double t1 = bench_now();
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
        double a = bench_median(none, runs), b = bench_median(with, runs);
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

/* --------------------------------------------------------- peers, timed */

enum { RT_DAGRUN, RT_POOL, RT_OMP, RT_TBB, NRT };
static const char *const rt_name[NRT] = {"dagrun", "pool", "openmp", "tbb"};
static const int rt_built[NRT] = {
    1,
    1,
#ifdef DAGRUN_BENCH_OPENMP
    1,
#else
    0,
#endif
#ifdef DAGRUN_BENCH_TBB
    1,
#else
    0,
#endif
};

static void print_loadavg(const char *when) {
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof buf, f) == NULL)
            strcpy(buf, "?");
        fclose(f);
    }
    /* "0.52 0.58 0.59 1/467 12345": the three averages, as uptime says. */
    double a = 0, b = 0, c = 0;
    if (sscanf(buf, "%lf %lf %lf", &a, &b, &c) == 3)
        printf("load average %s: %.2f, %.2f, %.2f\n", when, a, b, c);
    else
        printf("load average %s: unknown\n", when);
}

/* Between two runtimes' runs: the threads of the one that just ran (libgomp's
 * and TBB's spin a while before they sleep) must not take the cores from
 * the next. */
static void settle(void) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* One run of runtime rt at `workers`; the seconds it took, or -1 when it
 * failed (said on stderr). */
static double run_once(int rt, dr_graph *g, peer_dag *d, peer_tbb *tbb,
                       unsigned workers, dr_policy policy, int check,
                       double *makespan, int *failed) {
    double t0, t1;
    int rc = 0;
    if (rt == RT_DAGRUN) {
        dr_run_options opts;
        dr_run_options_init(&opts);
        opts.workers = workers;
        opts.policy = policy;
        dr_error err;
        t0 = bench_now();
        dr_run *run = dr_run_graph(g, &opts, &err);
        t1 = bench_now();
        if (run == NULL) {
            fprintf(stderr, "bench: dagrun: %s\n", err.text);
            return -1;
        }
        if (dr_run_status(run) != 0)
            *failed = 1;
        *makespan = dr_run_makespan(run);
        dr_run_destroy(run);
        return t1 - t0;
    }
    peer_dag_begin(d, check);
    t0 = bench_now();
    if (rt == RT_POOL)
        rc = peer_pool_run(d, workers);
#ifdef DAGRUN_BENCH_OPENMP
    else if (rt == RT_OMP)
        rc = peer_omp_run(d, workers);
#endif
#ifdef DAGRUN_BENCH_TBB
    else if (rt == RT_TBB)
        rc = peer_tbb_run(tbb);
#else
    (void)tbb;
#endif
    t1 = bench_now();
    if (rc != 0) {
        fprintf(stderr, "bench: %s: could not run (threads or memory)\n",
                rt_name[rt]);
        return -1;
    }
    if (peer_dag_end(d) != 0) {
        fprintf(stderr, "bench: %s: a task did not run%s\n", rt_name[rt],
                check ? ", or ran before one of its dependencies" : "");
        return -1;
    }
    return t1 - t0;
}

static int peers_table(const unsigned *workers, size_t nworkers,
                       dr_policy policy, int runs, double scale,
                       const char *only) {
    printf("dagrun and native peers: noop tasks, policy %s, median of %d "
           "interleaved runs\n",
           dr_policy_name(policy), runs);
    for (int rt = RT_POOL; rt < NRT; rt++)
        if (!rt_built[rt])
            printf("peer %s: absent (not built in: CMake did not find it "
                   "at configure time)\n",
                   rt_name[rt]);
    print_loadavg("before");
    printf("\n%-8s %7s %7s %8s %9s %9s %9s %9s %-7s %7s %9s\n", "shape",
           "workers", "tasks", "dagrun", "(span)", "pool", "openmp", "tbb",
           "best", "x best", "tbb build");
    double *t[NRT];
    double *span = malloc((size_t)runs * sizeof(double));
    for (int rt = 0; rt < NRT; rt++)
        t[rt] = malloc((size_t)runs * sizeof(double));
    int failed = 0;
    for (size_t s = 0; s < nshapes; s++) {
        if (only != NULL && strcmp(only, shapes[s].name) != 0)
            continue;
        dr_graph *g = shape_build_valid(shapes[s].name, scale);
        peer_dag *d = peer_dag_from_graph(g);
        if (d == NULL) {
            fprintf(stderr, "bench: %s: out of memory\n", shapes[s].name);
            return 1;
        }
        size_t n = d->n;
        for (size_t wi = 0; wi < nworkers; wi++) {
            unsigned w = workers[wi];
            peer_tbb *tbb = NULL;
            double build = 0;
#ifdef DAGRUN_BENCH_TBB
            double b0 = bench_now();
            tbb = peer_tbb_create(d, w);
            build = bench_now() - b0;
            if (tbb == NULL) {
                fprintf(stderr, "bench: tbb: could not build the graph\n");
                return 1;
            }
#endif
            double ms;
            /* Untimed first runs: warm-up, and the peers' order check. */
            for (int rt = 0; rt < NRT; rt++)
                if (rt_built[rt] &&
                    run_once(rt, g, d, tbb, w, policy, 1, &ms, &failed) < 0)
                    return 1;
            for (int r = 0; r < runs; r++)
                for (int rt = 0; rt < NRT; rt++) {
                    if (!rt_built[rt])
                        continue;
                    settle();
                    double sec =
                        run_once(rt, g, d, tbb, w, policy, 0, &ms, &failed);
                    if (sec < 0)
                        return 1;
                    t[rt][r] = sec / (double)n * 1e6;
                    if (rt == RT_DAGRUN)
                        span[r] = ms / (double)n * 1e6;
                }
#ifdef DAGRUN_BENCH_TBB
            peer_tbb_destroy(tbb);
#endif
            double med[NRT];
            int best = -1;
            for (int rt = 0; rt < NRT; rt++) {
                med[rt] = rt_built[rt] ? bench_median(t[rt], runs) : 0;
                if (rt != RT_DAGRUN && rt_built[rt] &&
                    (best < 0 || med[rt] < med[best]))
                    best = rt;
            }
            printf("%-8s %7u %7zu %8.3f %9.3f", shapes[s].name, w, n,
                   med[RT_DAGRUN], bench_median(span, runs));
            for (int rt = RT_POOL; rt < NRT; rt++) {
                if (rt_built[rt])
                    printf(" %9.3f", med[rt]);
                else
                    printf(" %9s", "-");
            }
            printf(" %-7s %7.1f", rt_name[best],
                   med[best] > 0 ? med[RT_DAGRUN] / med[best] : 0);
            if (rt_built[RT_TBB])
                printf(" %9.3f\n", build / (double)n * 1e6);
            else
                printf(" %9s\n", "-");
            fflush(stdout);
        }
        peer_dag_free(d);
        dr_graph_destroy(g);
    }
    printf("\n");
    print_loadavg("after");
    printf("\nus/task: median wall time of a run / tasks (graphs built "
           "beforehand);\n(span): dagrun's own first-start-to-last-end / "
           "tasks; pool: mutex+condvar\npool with dependency counters; "
           "openmp: a libgomp task per node; tbb: a\ncontinue_node per "
           "task; best: the fastest peer; x best: dagrun over it;\ntbb "
           "build: making the flow graph's nodes and edges, once, not in "
           "its runs.\n");
    free(span);
    for (int rt = 0; rt < NRT; rt++)
        free(t[rt]);
    if (failed) {
        fprintf(stderr, "bench: some run reported failed tasks\n");
        return 1;
    }
    return 0;
}

static void usage(FILE *out) {
    fprintf(out,
            "Usage: dagrun_bench_overhead [options]\n"
            "  -w, --workers N   only N worker threads (same as "
            "--workers-list N)\n"
            "      --workers-list N,N,..\n"
            "                    worker counts to measure at (1,2,4)\n"
            "  -r, --runs N      runs per shape; the median is shown (7)\n"
            "  -s, --scale F     multiply the task counts by F (1.0)\n"
            "  -p, --policy P    scheduling policy (cp)\n"
            "      --shape NAME  only this shape (wide, chain, tree, "
            "layered)\n"
            "      --journal DIR compare dagrun's runs without and with a "
            "journal in DIR\n"
            "                    (first worker count; 2 when none is given)\n");
}

int main(int argc, char **argv) {
    unsigned workers[16] = {1, 2, 4};
    int nworkers = 3, workers_given = 0;
    int runs = 7;
    double scale = 1.0;
    dr_policy policy = DR_POLICY_CP;
    const char *only = NULL;
    const char *journal_dir = NULL;
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"workers-list", required_argument, NULL, 'W'},
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
        case 'W':
            nworkers = workers_list_parse(
                optarg, workers,
                c == 'w' ? 1 : sizeof(workers) / sizeof(workers[0]));
            if (nworkers < 0) {
                fprintf(stderr,
                        "bench: bad worker count%s '%s' (want %s of 1..%d)\n",
                        c == 'w' ? "" : " list", optarg,
                        c == 'w' ? "one count" : "counts like 1,2,4",
                        WORKERS_LIST_MAX_WORKERS);
                return 2;
            }
            workers_given = 1;
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
    if (runs < 1 || runs > 1000 || !(scale > 0)) {
        usage(stderr);
        return 2;
    }
    if (only != NULL) {
        dr_graph *g = shape_build(only, 0.0001);
        if (g == NULL) {
            fprintf(stderr, "bench: unknown shape '%s'\n", only);
            return 2;
        }
        dr_graph_destroy(g);
    }

    if (journal_dir != NULL)
        return journal_cost(journal_dir, workers_given ? workers[0] : 2, policy,
                            runs, scale, only);
    return peers_table(workers, (size_t)nworkers, policy, runs, scale, only);
}
