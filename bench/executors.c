/*
 * What the executors cost (bench/README.md, "Executors"): threads,
 * processes and sync side by side.
 *
 * Part 1, overhead per task: the four shapes of overhead.c (shapes.c) at
 * one size for all three executors, every task a `noop`, so a run's time is
 * all overhead; under processes each task is also a message to a worker
 * process and one back.  Processes cost tens of microseconds a task, so
 * the default is 20,000 tasks per shape (`--tasks`), the same for all three
 * executors so that the ratios compare equal work: wide 19,999 + 1 sink,
 * chain 20,000, tree over 10,000 leaves (19,999 tasks), layered 20 layers of
 * 1,000 with 4 dependencies each.  The clock covers dr_run_graph() from
 * call to return (graph built and validated before), so the processes'
 * start-up (forking the zygote and the workers) is in it, as a user pays
 * it.  sync runs every function task on the calling thread, one at a time,
 * whatever --workers says.
 *
 * Part 2, moving a result: two C function tasks, `make` returning a JSON
 * string of B bytes (1 KB, 1 MB, 64 MB: 10^3, 10^6, 64 x 10^6) and `read`,
 * depending on it, returning its length.  Under threads the string is
 * handed over as a pointer; under processes it is dumped to JSON text in
 * the worker that made it, sent to dagrun, sent on to the worker of `read`
 * and parsed there.  "pair s" is from the start of `make` to the end of
 * `read` as the run records them (the workers' start-up excluded), "MB/s"
 * is B over that; the summary's "transfer" figures (bytes and seconds of
 * the attempts' messages), when the summary has them, are printed beside.
 *
 * Every run is made in a fork of the benchmark (run_once says why).
 * Every measurement is repeated `--runs` times (5) with the executors
 * interleaved (threads, processes, sync, threads, ...) so that all three
 * see the same machine, and the median is printed; the load average is
 * printed before and after, since on a shared machine it decides how much
 * to believe.
 *
 * Usage: dagrun_bench_executors [--workers N] [--runs N] [--tasks N]
 *                               [--shape NAME] [--part overhead|transfer]
 *                               [--max-mb N]
 */
#include "stats.h"
#include <dagrun.h>
#include <dagrun/run.h>

#include "shapes.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void print_load(const char *when) {
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof buf, f) == NULL)
            strcpy(buf, "?");
        fclose(f);
    }
    /* The 1, 5 and 15 minute averages; not the running/total counts. */
    char *p = buf;
    for (int field = 0; field < 3 && p != NULL; field++)
        p = strchr(p + (field > 0), ' ');
    if (p != NULL)
        *p = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average %s: %s\n", when, buf);
}

static const dr_executor executors[] = {
    DR_EXECUTOR_THREADS, DR_EXECUTOR_PROCESSES, DR_EXECUTOR_SYNC};
#define NEXEC (sizeof(executors) / sizeof(executors[0]))

/* What one run measured, passed from the child that ran it. */
typedef struct measure {
    double wall;      /* seconds of dr_run_graph, call to return */
    double pair;      /* end of task b - start of task a (part 2) */
    double xbytes;    /* summary.transfer bytes, sent + received */
    double xseconds;  /* summary.transfer seconds, sending + receiving */
    int has_transfer; /* the summary has a transfer object */
    int failed;       /* some task failed */
    char error[1024]; /* why the run could not start; "" when it did */
} measure;

static int summary_transfer(const dr_run *run, double *bytes, double *seconds);

/*
 * Runs g once under executor e in a fork of this process and returns what
 * it measured; exits when the run cannot start.  `a` and `b` (DR_TASK_NONE
 * in part 1) are the pair whose span is measured.
 *
 * Why a fork per run: every run then starts from the same state, the
 * benchmark's before any run (no executor inherits the threads, heap or
 * descriptors another left), and a run that crashes or leaks cannot spoil
 * the next one.  This process never runs dagrun itself, so it has no
 * threads to fork; the child's clock covers only dr_run_graph, so the fork
 * is not measured.  (It also sidesteps a bug found with this benchmark: a
 * processes run after another run in the same process fails to start its
 * workers, see the bench README.)
 */
static measure run_once(dr_graph *g, dr_executor e, unsigned workers,
                        const char *what, dr_task a, dr_task b) {
    measure m;
    memset(&m, 0, sizeof m);
    int fds[2];
    if (pipe(fds) != 0) {
        perror("bench: pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        dr_run_options opts;
        dr_run_options_init(&opts);
        opts.workers = workers;
        opts.executor = e;
        dr_error err;
        dr_error_clear(&err);
        double t0 = bench_now();
        dr_run *run = dr_run_graph(g, &opts, &err);
        m.wall = bench_now() - t0;
        if (run == NULL) {
            snprintf(m.error, sizeof m.error, "%.1000s", err.text);
        } else {
            m.failed = dr_run_status(run) != 0;
            if (a != DR_TASK_NONE)
                m.pair = dr_run_task_end(run, b) - dr_run_task_start(run, a);
            m.has_transfer = summary_transfer(run, &m.xbytes, &m.xseconds);
            dr_run_destroy(run);
        }
        ssize_t w = write(fds[1], &m, sizeof m);
        _exit(w == (ssize_t)sizeof m ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &m, sizeof m);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof m) {
        fprintf(stderr, "bench: %s under %s: the run died (wait status %d)\n",
                what, dr_executor_name(e), status);
        exit(1);
    }
    if (m.error[0] != '\0') {
        fprintf(stderr, "bench: %s under %s: %s\n", what, dr_executor_name(e),
                m.error);
        exit(1);
    }
    return m;
}

/* ------------------------------------------------ part 1: per-task cost */

/* The shape at about n tasks (see the file's comment). */
static dr_graph *build(const char *name, size_t n) {
    if (strcmp(name, "wide") == 0)
        return shape_wide(n > 1 ? n - 1 : 1);
    if (strcmp(name, "chain") == 0)
        return shape_chain(n);
    if (strcmp(name, "tree") == 0)
        return shape_tree(n / 2 > 1 ? n / 2 : 2);
    size_t layers = n / 1000;
    return shape_layered(layers < 2 ? 2 : layers, 1000, 4);
}

static int overhead(unsigned workers, int runs, size_t ntasks,
                    const char *only) {
    printf("overhead per task: noop tasks, %u workers (sync: 1), about %zu "
           "tasks per shape, median of %d interleaved runs\n\n",
           workers, ntasks, runs);
    printf("%-8s %-10s %7s %10s %10s %10s\n", "shape", "executor", "tasks",
           "us/task", "min", "x threads");
    double *t[NEXEC];
    for (size_t e = 0; e < NEXEC; e++)
        t[e] = malloc((size_t)runs * sizeof(double));
    int failed = 0;
    for (size_t s = 0; s < nshapes; s++) {
        if (only != NULL && strcmp(only, shapes[s].name) != 0)
            continue;
        dr_graph *g = build(shapes[s].name, ntasks);
        dr_error err;
        if (dr_graph_validate(g, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.text);
            return 1;
        }
        size_t n = dr_graph_ntasks(g);
        for (int r = 0; r < runs; r++)
            for (size_t e = 0; e < NEXEC; e++) {
                measure m = run_once(g, executors[e], workers, shapes[s].name,
                                     DR_TASK_NONE, DR_TASK_NONE);
                failed |= m.failed;
                t[e][r] = m.wall / (double)n * 1e6;
            }
        double base = 0;
        for (size_t e = 0; e < NEXEC; e++) {
            double m = bench_median(t[e], runs);
            if (e == 0)
                base = m;
            printf("%-8s %-10s %7zu %10.3f %10.3f %10.2f\n", shapes[s].name,
                   dr_executor_name(executors[e]), n, m, t[e][0],
                   base > 0 ? m / base : 0);
        }
        fflush(stdout);
        dr_graph_destroy(g);
    }
    printf("\nus/task: wall time of dr_run_graph / tasks, start-up included; "
           "min: the fastest run;\nx threads: the median over threads' "
           "median on the same shape.\n");
    for (size_t e = 0; e < NEXEC; e++)
        free(t[e]);
    if (failed)
        fprintf(stderr, "bench: some run reported failed tasks\n");
    return failed;
}

/* -------------------------------------------- part 2: moving a result */

/* `make`: a JSON string of *(size_t *)user_data bytes of 'x'. */
static int make_string(dr_call *call, void *user_data) {
    size_t bytes = *(const size_t *)user_data;
    char *buf = malloc(bytes + 1);
    if (buf == NULL)
        return dr_call_fail(call, "out of memory for %zu bytes", bytes);
    memset(buf, 'x', bytes);
    buf[bytes] = '\0';
    /* No UTF-8 check: the bytes are known ASCII, and checking 64 MB would
     * be work of the producer, not of the transfer. */
    json_t *s = json_stringn_nocheck(buf, bytes);
    free(buf);
    if (s == NULL)
        return dr_call_fail(call, "out of memory for %zu bytes", bytes);
    dr_call_set_json(call, s);
    return 0;
}

/* `read`: the length of its one input, which must be the expected one (so
 * that a transfer that lost bytes cannot look fast). */
static int read_length(dr_call *call, void *user_data) {
    size_t bytes = *(const size_t *)user_data;
    json_t *in =
        dr_call_ninputs(call) == 1 ? dr_call_input_json(call, 0) : NULL;
    if (!json_is_string(in) || json_string_length(in) != bytes)
        return dr_call_fail(call, "expected a string of %zu bytes", bytes);
    dr_call_set_json(call, json_integer((json_int_t)json_string_length(in)));
    return 0;
}

/* Sums the members of summary.transfer whose names start with "bytes"
 * (bytes_sent, bytes_received: into *bytes) and end in "seconds" or "_s"
 * (send_seconds, receive_seconds: into *seconds); 0 when there is no
 * transfer object. */
static int summary_transfer(const dr_run *run, double *bytes, double *seconds) {
    json_t *summary = dr_run_summary_json(run);
    json_t *t = json_object_get(summary, "transfer");
    *bytes = *seconds = 0;
    int found = json_is_object(t);
    const char *k;
    json_t *v;
    if (found)
        json_object_foreach(t, k, v) {
            size_t len = strlen(k);
            if (strncmp(k, "bytes", 5) == 0 && json_is_number(v))
                *bytes += json_number_value(v);
            else if (((len > 2 && strcmp(k + len - 2, "_s") == 0) ||
                      (len > 7 && strcmp(k + len - 7, "seconds") == 0)) &&
                     json_is_number(v))
                *seconds += json_number_value(v);
        }
    json_decref(summary);
    return found;
}

static int transfer(unsigned workers, int runs, double max_mb) {
    static const size_t sizes[] = {1000, 1000000, 64000000};
    static const char *const names[] = {"1 KB", "1 MB", "64 MB"};
    printf("moving a result: a C task returns a string of B bytes, a "
           "dependent reads its length;\n%u workers (sync: 1), median of %d "
           "interleaved runs\n\n",
           workers, runs);
    printf("%-6s %-10s %10s %10s %10s %12s %11s\n", "B", "executor", "pair s",
           "MB/s", "wall s", "transfer MB", "transfer s");
    double *pair[NEXEC], *wall[NEXEC], *xs[NEXEC], xbytes[NEXEC];
    int has_transfer[NEXEC];
    for (size_t e = 0; e < NEXEC; e++) {
        pair[e] = malloc((size_t)runs * sizeof(double));
        wall[e] = malloc((size_t)runs * sizeof(double));
        xs[e] = malloc((size_t)runs * sizeof(double));
    }
    int failed = 0;
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
        if ((double)sizes[z] / 1e6 > max_mb)
            continue;
        size_t bytes = sizes[z];
        dr_graph *g = dr_graph_create();
        dr_task make, read;
        int rc = dr_graph_add_task(g, "make", &make);
        if (rc == 0)
            rc = dr_graph_add_task(g, "read", &read);
        if (rc == 0)
            rc = dr_task_set_function(g, make, "make", make_string, &bytes,
                                      NULL);
        if (rc == 0)
            rc = dr_task_set_function(g, read, "read", read_length, &bytes,
                                      NULL);
        if (rc == 0)
            rc = dr_graph_add_dep(g, read, make);
        dr_error err;
        if (rc != 0 || dr_graph_validate(g, &err) != 0) {
            fprintf(stderr, "bench: cannot build the pair: %s\n",
                    dr_strerror(rc));
            return 1;
        }
        for (int r = 0; r < runs; r++)
            for (size_t e = 0; e < NEXEC; e++) {
                measure m =
                    run_once(g, executors[e], workers, names[z], make, read);
                failed |= m.failed;
                wall[e][r] = m.wall;
                pair[e][r] = m.pair;
                has_transfer[e] = m.has_transfer;
                xbytes[e] = m.xbytes;
                xs[e][r] = m.xseconds;
            }
        for (size_t e = 0; e < NEXEC; e++) {
            double p = bench_median(pair[e], runs);
            char mb[32] = "-", sec[32] = "-";
            if (has_transfer[e]) {
                snprintf(mb, sizeof mb, "%.3f", xbytes[e] / 1e6);
                snprintf(sec, sizeof sec, "%.6f", bench_median(xs[e], runs));
            }
            printf("%-6s %-10s %10.6f %10.1f %10.6f %12s %11s\n", names[z],
                   dr_executor_name(executors[e]), p,
                   p > 0 ? (double)bytes / 1e6 / p : 0,
                   bench_median(wall[e], runs), mb, sec);
        }
        fflush(stdout);
        dr_graph_destroy(g);
    }
    printf("\npair s: start of `make` to end of `read`; MB/s: B / pair s; "
           "wall s: dr_run_graph,\nstart-up included; transfer: the "
           "summary's bytes (sent + received) and seconds of the\nattempts' "
           "messages (\"-\": the summary has no transfer figures).\n");
    for (size_t e = 0; e < NEXEC; e++)
        free(pair[e]), free(wall[e]), free(xs[e]);
    if (failed)
        fprintf(stderr, "bench: some run reported failed tasks\n");
    return failed;
}

/* ----------------------------------------------------------------- main */

static int known_shape(const char *name) {
    for (size_t s = 0; s < nshapes; s++)
        if (strcmp(shapes[s].name, name) == 0)
            return 1;
    return 0;
}

static void usage(FILE *out) {
    fprintf(out,
            "Usage: dagrun_bench_executors [options]\n"
            "  -w, --workers N   worker slots (2; sync always runs one)\n"
            "  -r, --runs N      interleaved runs; the median is shown (5)\n"
            "  -n, --tasks N     tasks per shape in part 1 (20000)\n"
            "      --shape NAME  only this shape (wide, chain, tree, "
            "layered)\n"
            "      --part P      only `overhead` or `transfer`\n"
            "      --max-mb N    part 2: skip results larger than N MB "
            "(64)\n");
}

int main(int argc, char **argv) {
    unsigned workers = 2;
    int runs = 5;
    long ntasks = 20000;
    double max_mb = 64;
    const char *only = NULL, *part = NULL;
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"runs", required_argument, NULL, 'r'},
        {"tasks", required_argument, NULL, 'n'},
        {"shape", required_argument, NULL, 'S'},
        {"part", required_argument, NULL, 'P'},
        {"max-mb", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "w:r:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            workers = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'n':
            ntasks = atol(optarg);
            break;
        case 'S':
            only = optarg;
            break;
        case 'P':
            part = optarg;
            break;
        case 'M':
            max_mb = strtod(optarg, NULL);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (workers < 1 || runs < 1 || runs > 1000 || ntasks < 2 ||
        (part != NULL && strcmp(part, "overhead") != 0 &&
         strcmp(part, "transfer") != 0) ||
        (only != NULL && !known_shape(only))) {
        usage(stderr);
        return 2;
    }
    printf("dagrun executors: threads, processes, sync; %ld cores\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    print_load("before");
    printf("\n");
    int rc = 0;
    if (part == NULL || strcmp(part, "overhead") == 0)
        rc |= overhead(workers, runs, (size_t)ntasks, only);
    if (part == NULL)
        printf("\n");
    if (part == NULL || strcmp(part, "transfer") == 0)
        rc |= transfer(workers, runs, max_mb);
    printf("\n");
    print_load("after");
    return rc;
}
