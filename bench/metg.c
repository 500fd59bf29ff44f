/*
 * Task Bench's METG (bench/README.md, "Task Bench METG"): the smallest task
 * granularity at which a runtime still reaches 50% of its peak rate of
 * work (Slaughter et al., "Task Bench", SC20, section 3).
 *
 * For each pattern, `dagrun gen taskbench` makes a graph of `--width`
 * points (2, the cores) and `--steps` timesteps (1000), every task the
 * `compute` builtin for N iterations, and each runtime runs it on
 * `--workers` workers (2) for N from `--max-iter` (2^17) down by halves to
 * `--min-iter` (2^4):
 *
 *   threads     dagrun, --executor threads (the default)
 *   processes   dagrun, --executor processes
 *   openmp      a peer with OpenMP tasks (libgomp): the same graph, a task
 *               per node, a node's successors released by atomic
 *               counters of unfinished dependencies, each node running
 *               the same kernel loop as `compute` (kernel() below)
 *
 * Per run: granularity = time x workers / tasks (Task Bench's "task
 * granularity": the wall time a task costs one core, the runtime's share
 * included), rate = tasks x N / time, efficiency = rate / peak, the peak
 * being the runtime's rate at the largest N of the same pattern (Task
 * Bench's efficiency when no machine peak is given).  The time
 * is the graph's execution: for dagrun the first task's start to the last
 * one's end as the run records them (so, as in Task Bench, the runtime's
 * start-up, e.g. forking the worker processes, is not in it); for OpenMP
 * the parallel region, the thread team started beforehand.  METG(50%) is
 * interpolated linearly between the two measured points around 50%
 * efficiency, as Task Bench's scripts do (metg() below); "<G" when even
 * the smallest grain G reached 50%.
 *
 * Each point is the median of `--runs` (3) runs, the runtimes interleaved
 * (threads, processes, openmp, threads, ...) so they see the same machine.
 * Every run is made in a fork (see bench/executors.c, run_once): the same
 * starting state each time, and libgomp's threads never forked.
 *
 * --simulate --overhead US: no real runs; the simulator (dr_run_options.
 * sim_overhead) runs each graph with tasks of N x --iter-ps picoseconds and
 * US microseconds of overhead each, and gives the curve and METG such a
 * runtime would have: a class can see what a runtime's overhead costs on
 * any machine.
 *
 * Usage: dagrun_bench_metg [--workers N] [--width N] [--steps N] [--runs N]
 *            [--patterns a,b,...] [--runtimes threads,processes,openmp]
 *            [--max-iter N] [--min-iter N] [--csv FILE]
 *            [--simulate --overhead US [--iter-ps PS]]
 */
#include "stats.h"
#include <dagrun.h>
#include <dagrun/run.h>

#include <getopt.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ the kernel */

/* The loop of the `compute` builtin (scheduler/builtins.c, spin_kernel and
 * op_compute), repeated here so that the OpenMP peer does the same work
 * per iteration without dagrun's argument handling. */
static _Atomic uint64_t sink;

static int kernel(uint64_t iterations) {
    uint64_t x = 0x2545f4914f6cdd1dull ^ iterations;
    double f = 1.0;
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f = f * 0.999999 + (double)(x & 0xff) * 1e-9;
    }
    x ^= (uint64_t)f;
    atomic_store_explicit(&sink, x, memory_order_relaxed);
    return x == 0 ? -1 : 0; /* never: the result is checked so it is kept */
}

/* ------------------------------------------------------------ OpenMP peer */

typedef struct peer {
    size_t n;
    uint32_t *succ_start, *succ; /* CSR successor lists */
    atomic_uint *left;           /* unfinished dependencies per node */
    uint64_t iterations;
    atomic_int failed;
} peer;

static void peer_node(peer *p, uint32_t t) {
    if (kernel(p->iterations) != 0)
        atomic_store(&p->failed, 1);
    for (uint32_t k = p->succ_start[t]; k < p->succ_start[t + 1]; k++) {
        uint32_t s = p->succ[k];
        if (atomic_fetch_sub_explicit(&p->left[s], 1, memory_order_acq_rel) ==
            1) {
#pragma omp task firstprivate(s) default(none) shared(p)
            peer_node(p, s);
        }
    }
}

/* Runs g's structure with OpenMP tasks; returns the region's seconds. */
static double peer_run(const dr_graph *g, unsigned workers,
                       uint64_t iterations) {
    peer p = {0};
    p.n = dr_graph_ntasks(g);
    p.iterations = iterations;
    p.succ_start = calloc(p.n + 1, sizeof(*p.succ_start));
    p.left = calloc(p.n, sizeof(*p.left));
    size_t edges = 0;
    for (size_t t = 0; t < p.n; t++) {
        size_t ns, nd;
        dr_task_succs(g, (dr_task)t, &ns);
        dr_task_deps(g, (dr_task)t, &nd);
        p.succ_start[t] = (uint32_t)edges;
        edges += ns;
        atomic_init(&p.left[t], (unsigned)nd);
    }
    p.succ_start[p.n] = (uint32_t)edges;
    p.succ = malloc((edges ? edges : 1) * sizeof(*p.succ));
    for (size_t t = 0; t < p.n; t++) {
        size_t ns;
        const dr_task *s = dr_task_succs(g, (dr_task)t, &ns);
        for (size_t k = 0; k < ns; k++)
            p.succ[p.succ_start[t] + k] = (uint32_t)s[k];
    }
    omp_set_num_threads((int)workers);
#pragma omp parallel
    { /* start the team before the clock */
    }
    double t0 = bench_now();
#pragma omp parallel default(none) shared(p)
#pragma omp single
    for (uint32_t t = 0; t < p.n; t++)
        if (atomic_load(&p.left[t]) == 0) { /* the sources */
#pragma omp task firstprivate(t) default(none) shared(p)
            peer_node(&p, t);
        }
    double wall = bench_now() - t0;
    int failed = atomic_load(&p.failed);
    free(p.succ_start), free(p.succ), free(p.left);
    return failed ? -1 : wall;
}

/* ------------------------------------------------------------------ runs */

enum { R_THREADS, R_PROCESSES, R_OPENMP, NRUNTIMES };
static const char *const runtime_names[] = {"threads", "processes", "openmp"};

typedef struct config {
    unsigned workers;
    int64_t width, steps;
    int runs;
    int64_t max_iter, min_iter;
    int simulate;
    double overhead_us;
    int64_t iter_ps;
    int use[NRUNTIMES];
} config;

/* The seconds of one run of g under runtime r, in a fork; -1 on failure
 * (the reason on stderr). */
static double run_once(const dr_graph *g, int r, const config *c,
                       uint64_t iterations) {
    int fds[2];
    if (pipe(fds) != 0) {
        perror("metg: pipe");
        exit(1);
    }
    fflush(NULL); /* or a child's exit (a worker process's) writes the
                     CSV's buffer again */
    pid_t pid = fork();
    if (pid < 0) {
        perror("metg: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        double seconds = -1;
        if (r == R_OPENMP && !c->simulate) {
            seconds = peer_run(g, c->workers, iterations);
        } else {
            dr_run_options opts;
            dr_run_options_init(&opts);
            opts.workers = c->workers;
            opts.executor =
                r == R_PROCESSES ? DR_EXECUTOR_PROCESSES : DR_EXECUTOR_THREADS;
            opts.simulate = c->simulate;
            opts.sim_overhead = c->overhead_us * 1e-6;
            dr_error err;
            dr_error_clear(&err);
            dr_run *run = dr_run_graph((dr_graph *)g, &opts, &err);
            if (run == NULL) {
                fprintf(stderr, "metg: %s: %s\n", runtime_names[r], err.text);
            } else if (dr_run_status(run) != 0) {
                fprintf(stderr, "metg: %s: a task failed\n", runtime_names[r]);
            } else {
                double first = -1, last = 0;
                for (size_t t = 0; t < dr_graph_ntasks(g); t++) {
                    double s = dr_run_task_start(run, (dr_task)t);
                    double e = dr_run_task_end(run, (dr_task)t);
                    if (first < 0 || s < first)
                        first = s;
                    if (e > last)
                        last = e;
                }
                seconds = last - first;
            }
            dr_run_destroy(run);
        }
        ssize_t w = write(fds[1], &seconds, sizeof seconds);
        _exit(w == (ssize_t)sizeof seconds ? 0 : 1);
    }
    close(fds[1]);
    double seconds = -1;
    if (read(fds[0], &seconds, sizeof seconds) != (ssize_t)sizeof seconds)
        seconds = -1;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return seconds;
}

static dr_graph *make_graph(const char *pattern, const config *c,
                            int64_t iterations) {
    dr_error err;
    dr_error_clear(&err);
    int64_t pv;
    if (dr_generator_choice("taskbench", "pattern", pattern, &pv, &err) != 0) {
        fprintf(stderr, "metg: %s\n", err.text);
        exit(2);
    }
    int radixed = !strcmp(pattern, "nearest") || !strcmp(pattern, "spread");
    /* Radix 3 is Task Bench's default; at width 2 it is cut to 2. */
    int64_t radix = c->width < 3 ? c->width : 3;
    dr_param p[8] = {{"pattern", pv},
                     {"width", c->width},
                     {"steps", c->steps},
                     {"iterations", iterations},
                     {"iter_ps", c->iter_ps}};
    size_t n = 5;
    if (radixed)
        p[n++] = (dr_param){"radix", radix};
    dr_graph *g = dr_generate("taskbench", p, n, 1, NULL, &err);
    if (g == NULL) {
        fprintf(stderr, "metg: %s\n", err.text);
        exit(2);
    }
    return g;
}

/* One measured point. */
typedef struct point {
    int64_t iterations;
    size_t tasks;
    double seconds, granularity_us, rate, efficiency, load1;
} point;

/*
 * METG(50%) in microseconds from points ordered from the largest grain
 * down, as Task Bench's scripts/chart_metg.py finds it: the point of
 * smallest granularity among those at 50% efficiency or more, then, when
 * the next point (the next smaller iteration count) has a smaller
 * granularity, the granularity where the line between the two crosses
 * 50%.  Sets *below when that point is the last one (the sweep did not go
 * small enough; Task Bench refuses such a run); *none when no point
 * reached 50%.
 */
static double metg(const point *pts, int n, int *below, int *none) {
    int best = -1;
    *below = 0;
    *none = 0;
    for (int i = 0; i < n; i++)
        if (pts[i].efficiency >= 0.5 &&
            (best < 0 || pts[i].granularity_us < pts[best].granularity_us))
            best = i;
    if (best < 0) {
        *none = 1;
        return 0;
    }
    if (best + 1 >= n) {
        *below = 1;
        return pts[best].granularity_us;
    }
    const point *hi = &pts[best], *lo = &pts[best + 1];
    if (!(lo->granularity_us < hi->granularity_us))
        return hi->granularity_us;
    double f = (0.5 - lo->efficiency) / (hi->efficiency - lo->efficiency);
    return lo->granularity_us + f * (hi->granularity_us - lo->granularity_us);
}

int main(int argc, char **argv) {
    config c = {2, 2, 1000, 3, 1 << 17, 1 << 4, 0, 0, 2000, {1, 1, 1}};
    const char *patterns_arg =
        "trivial,no_comm,stencil_1d,nearest,spread,tree,fft,all_to_all";
    const char *csv_path = "metg.csv";
    static const struct option opts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"width", required_argument, NULL, 'W'},
        {"steps", required_argument, NULL, 's'},
        {"runs", required_argument, NULL, 'r'},
        {"patterns", required_argument, NULL, 'p'},
        {"runtimes", required_argument, NULL, 'R'},
        {"max-iter", required_argument, NULL, 'M'},
        {"min-iter", required_argument, NULL, 'm'},
        {"csv", required_argument, NULL, 'c'},
        {"simulate", no_argument, NULL, 'S'},
        {"overhead", required_argument, NULL, 'o'},
        {"iter-ps", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0}};
    int ch;
    const char *runtimes_arg = NULL;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'w':
            c.workers = (unsigned)atoi(optarg);
            break;
        case 'W':
            c.width = atoll(optarg);
            break;
        case 's':
            c.steps = atoll(optarg);
            break;
        case 'r':
            c.runs = atoi(optarg);
            break;
        case 'p':
            patterns_arg = optarg;
            break;
        case 'R':
            runtimes_arg = optarg;
            break;
        case 'M':
            c.max_iter = atoll(optarg);
            break;
        case 'm':
            c.min_iter = atoll(optarg);
            break;
        case 'c':
            csv_path = optarg;
            break;
        case 'S':
            c.simulate = 1;
            break;
        case 'o':
            c.overhead_us = atof(optarg);
            break;
        case 'i':
            c.iter_ps = atoll(optarg);
            break;
        default:
            fprintf(stderr, "usage: see the comment at the top of "
                            "bench/metg.c\n");
            return 2;
        }
    }
    if (c.workers < 1 || c.width < 1 || c.steps < 1 || c.runs < 1 ||
        c.min_iter < 1 || c.max_iter < c.min_iter || c.overhead_us < 0) {
        fprintf(stderr, "metg: bad option values\n");
        return 2;
    }
    if (c.simulate) {
        /* One simulated runtime: the simulator is deterministic. */
        c.use[R_THREADS] = 1, c.use[R_PROCESSES] = 0, c.use[R_OPENMP] = 0;
        c.runs = 1;
    } else if (runtimes_arg != NULL) {
        for (int r = 0; r < NRUNTIMES; r++)
            c.use[r] = strstr(runtimes_arg, runtime_names[r]) != NULL;
    }
    FILE *csv = fopen(csv_path, "w");
    if (csv == NULL) {
        perror(csv_path);
        return 2;
    }
    fprintf(csv, "runtime,pattern,width,steps,workers,iterations,tasks,"
                 "seconds,granularity_us,efficiency,load1\n");
    char load[64], simulated[64];
    /* The simulated runtime is named by its overhead: sim-2us. */
    snprintf(simulated, sizeof simulated, "sim-%gus", c.overhead_us);
    bench_load_average(load, sizeof load, " ");
    printf("METG(50%%): width %lld, %lld steps, %u workers, %d runs a point, "
           "iterations %lld down to %lld%s\n",
           (long long)c.width, (long long)c.steps, c.workers, c.runs,
           (long long)c.max_iter, (long long)c.min_iter,
           c.simulate ? " (simulated)" : "");
    printf("load average before: %s\n\n", load);
    printf("| pattern | ");
    for (int r = 0; r < NRUNTIMES; r++)
        if (c.use[r])
            printf("%s METG µs | ", c.simulate ? simulated : runtime_names[r]);
    int ratios = !c.simulate && c.use[R_OPENMP] &&
                 (c.use[R_THREADS] || c.use[R_PROCESSES]);
    for (int r = R_THREADS; ratios && r <= R_PROCESSES; r++)
        if (c.use[r])
            printf("%s / openmp | ", runtime_names[r]);
    printf("load 1 min |\n|---|");
    for (int r = 0; r < NRUNTIMES; r++)
        if (c.use[r])
            printf("---:|");
    for (int r = R_THREADS; ratios && r <= R_PROCESSES; r++)
        if (c.use[r])
            printf("---:|");
    printf("---:|\n");
    fflush(stdout);

    int npts = 0;
    for (int64_t it = c.max_iter; it >= c.min_iter; it /= 2)
        npts++;
    point *pts[NRUNTIMES];
    for (int r = 0; r < NRUNTIMES; r++)
        pts[r] = calloc((size_t)npts, sizeof(point));
    double *samples = calloc((size_t)c.runs * NRUNTIMES, sizeof(double));

    char *plist = strdup(patterns_arg);
    for (char *save = NULL, *pat = strtok_r(plist, ",", &save); pat != NULL;
         pat = strtok_r(NULL, ",", &save)) {
        int k = 0;
        for (int64_t it = c.max_iter; it >= c.min_iter; it /= 2, k++) {
            dr_graph *g = make_graph(pat, &c, it);
            size_t tasks = dr_graph_ntasks(g);
            for (int run = 0; run < c.runs; run++)
                for (int r = 0; r < NRUNTIMES; r++)
                    if (c.use[r])
                        samples[r * c.runs + run] =
                            run_once(g, r, &c, (uint64_t)it);
            bench_load_average(load, sizeof load, " ");
            for (int r = 0; r < NRUNTIMES; r++) {
                if (!c.use[r])
                    continue;
                point *p = &pts[r][k];
                p->iterations = it;
                p->seconds = bench_median(&samples[r * c.runs], c.runs);
                if (!(p->seconds > 0)) {
                    fprintf(stderr, "metg: %s %s: a run failed\n",
                            runtime_names[r], pat);
                    return 1;
                }
                p->granularity_us =
                    p->seconds * c.workers / (double)tasks * 1e6;
                p->rate = (double)tasks * (double)it / p->seconds;
                p->efficiency = 0; /* below, once the peak is known */
                p->tasks = tasks;
                p->load1 = atof(load);
            }
            dr_graph_destroy(g);
        }
        /* The peak is the rate at the largest grain, as in Task Bench
         * (chart_metg.py without a machine peak). */
        for (int r = 0; r < NRUNTIMES; r++) {
            if (!c.use[r])
                continue;
            double peak = pts[r][0].rate;
            for (int i = 0; i < npts; i++) {
                point *p = &pts[r][i];
                p->efficiency = p->rate / peak;
                fprintf(csv,
                        "%s,%s,%lld,%lld,%u,%lld,%zu,%.9g,%.6g,%.6g,%.2f\n",
                        c.simulate ? simulated : runtime_names[r], pat,
                        (long long)c.width, (long long)c.steps, c.workers,
                        (long long)p->iterations, p->tasks, p->seconds,
                        p->granularity_us, p->efficiency, p->load1);
            }
        }
        fflush(csv);
        printf("| %s | ", pat);
        double metgs[NRUNTIMES] = {0};
        for (int r = 0; r < NRUNTIMES; r++) {
            if (!c.use[r])
                continue;
            int below, none;
            double m = metg(pts[r], npts, &below, &none);
            metgs[r] = below || none ? 0 : m;
            if (none)
                printf("none | ");
            else
                printf("%s%.2f | ", below ? "<" : "", m);
        }
        /* dagrun against the peer measured in the same interleaved runs. */
        for (int r = R_THREADS; ratios && r <= R_PROCESSES; r++)
            if (c.use[r] && metgs[r] > 0 && metgs[R_OPENMP] > 0)
                printf("%.2f | ", metgs[r] / metgs[R_OPENMP]);
            else if (c.use[r])
                printf("- | ");
        bench_load_average(load, sizeof load, " ");
        printf("%.2f |\n", atof(load));
        fflush(stdout);
    }
    free(plist);
    free(samples);
    for (int r = 0; r < NRUNTIMES; r++)
        free(pts[r]);
    fclose(csv);
    bench_load_average(load, sizeof load, " ");
    printf("\nload average after: %s\nCSV: %s\n", load, csv_path);
    return 0;
}
