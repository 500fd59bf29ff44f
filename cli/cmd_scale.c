/*
 * `dagrun scale`: a strong or weak scaling experiment over a list of worker
 * counts, measured or simulated, with its table, plots, verdict and report
 * written into one folder.  The experiment and every figure live in the
 * library (include/dagrun/scale.h); this file parses options, shows
 * progress and prints the Markdown table and the verdict at the end.
 */
#define _GNU_SOURCE /* asprintf */
#include "cli.h"
#include "dagrun/run.h"
#include "dagrun/scale.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* The most worker counts one experiment takes, and the largest count. */
#define MAX_POINTS 256
#define MAX_WORKERS 100000ul

static void usage(FILE *out) {
    fprintf(
        out,
        "Usage: dagrun scale GRAPH [options]\n"
        "\n"
        "Runs GRAPH at several worker counts and reports speedup, efficiency,\n"
        "the Amdahl / Gustafson fits, Karp-Flatt and a verdict in words.\n"
        "Writes scaling.csv, scaling.json, scaling.md, speedup.svg,\n"
        "efficiency.svg (weak: scaled-efficiency.svg), report.html and\n"
        "trace-P<N>.json / summary-P<N>.json / gantt-P<N>.svg per worker "
        "count.\n"
        "\n"
        "Options:\n"
        "  -w, --workers LIST  worker counts: a list '1,2,3,4'; a range\n"
        "                      'A-B' is every count from A to B ('1-4' is\n"
        "                      1,2,3,4); 'A-Bx2' doubles from A to B "
        "('1-64x2'\n"
        "                      is 1,2,4,...,64); mixed: '1-4,8'.  At most 256\n"
        "                      counts.  Default: 1, 2, 4, ... up to twice the\n"
        "                      cores\n"
        "  -m, --mode MODE     strong (the same graph at every count, the\n"
        "                      default) or weak (the graph reloaded with\n"
        "                      its 'workers' parameter set to each count)\n"
        "  -s, --simulate      simulate on a virtual clock (one run per "
        "count)\n"
        "      --costs TRACE   simulate with the task durations of a trace\n"
        "                      (implies --simulate)\n"
        "  -r, --repeat R      measured runs per count; the median is used\n"
        "                      (default 3)\n"
        "  -p, --policy NAME   cp (default), fifo, lifo, order, random\n"
        "      --seed N        seed for the random policy\n"
        "      --executor E    threads (default), processes, sync or mpi\n"
        "                      (under mpirun: P is slots of the worker\n"
        "                      ranks), for every run (docs/running.md)\n"
        "      --worker-memory SIZE\n"
        "                      each worker process's memory limit (512M,\n"
        "                      1.5G), with --executor processes\n"
        "      --set NAME=VAL  set a graph parameter (repeatable); weak\n"
        "                      scaling sets 'workers' itself\n"
        "      --cost-op OP    run tasks without an op as 'sleep' or 'spin'\n"
        "                      for their cost\n"
        "      --cost-scale F  multiply costs (and --costs durations) by F\n"
        "  -f, --format FMT    auto (default), json, stg or wfcommons\n"
        "  -o, --output DIR    where the files go (default\n"
        "                      dagrun-out/<graph>/scaling)\n"
        "  -q, --quiet         no progress and no table on the terminal\n"
        "  -h, --help          show this text\n"
        "\n"
        "P = 1 is the baseline of every speedup; it is run even when not\n"
        "listed.  For tasks that compute (spin, pi, C functions), counts\n"
        "above the machine's cores are oversubscribed and marked.  A busy\n"
        "machine (other programs taking CPU time from the runs) is said\n"
        "first in the verdict, and no law is fitted then.  A law is fitted\n"
        "to three or more worker counts (P = 1 included) and quoted only\n"
        "with R² >= 0.5.  Measured tasks whose scheduling overhead is 10%%\n"
        "or more of the median task are called too fine-grained.  With\n"
        "--costs from a trace recorded on a busy machine, a warning says so.\n"
        "docs/scaling.md defines every column and figure.\n\n%s",
        cli_exit_codes_scale);
}

/* Adds one count; returns 0 or -1 after a usage error. */
static int add_count(unsigned *ps, size_t *n, unsigned long v) {
    for (size_t i = 0; i < *n; i++)
        if (ps[i] == v)
            return 0;
    if (*n >= MAX_POINTS) {
        cli_usage_error("scale",
                        "--workers: at most %d worker counts; for a wide "
                        "range take the powers of two ('1-1024x2')",
                        MAX_POINTS);
        return -1;
    }
    ps[(*n)++] = (unsigned)v;
    return 0;
}

/* One range item: "A-B" (every count from A to B) or "A-BxF" with F = 2
 * (A, 2A, 4A, ... up to B, which must be one of them).  `item` is
 * modified.  Returns 0 or -1 after a usage error. */
static int add_range(char *item, char *dash, unsigned *ps, size_t *n) {
    char whole[64]; /* the item as written, for the messages */
    snprintf(whole, sizeof(whole), "%s", item);
    *dash = '\0';
    char *times = strchr(dash + 1, 'x');
    if (times != NULL) {
        *times = '\0';
        if (strcmp(times + 1, "2") != 0) {
            cli_usage_error("scale",
                            "--workers: '%s': only doubling ranges ('A-Bx2') "
                            "are known",
                            whole);
            return -1;
        }
    }
    unsigned long a, b;
    if (cli_parse_uint("scale", "--workers", item, MAX_WORKERS, &a) ||
        cli_parse_uint("scale", "--workers", dash + 1, MAX_WORKERS, &b))
        return -1;
    if (b < a) {
        cli_usage_error("scale", "--workers: range '%s' runs backwards", whole);
        return -1;
    }
    if (times == NULL) {
        for (unsigned long p = a; p <= b; p++)
            if (add_count(ps, n, p))
                return -1;
        return 0;
    }
    unsigned long p = a;
    while (p < b)
        p *= 2;
    if (p != b && p / 2 == a) {
        cli_usage_error("scale",
                        "--workers: '%s': %lu is not %lu doubled; list the "
                        "counts instead: '%lu,%lu'",
                        whole, b, a, a, b);
        return -1;
    }
    if (p != b) {
        cli_usage_error("scale",
                        "--workers: '%s': %lu is not %lu doubled (%lu, %lu, "
                        "%lu, ...); end the range at %lu, or add %lu to the "
                        "list: '%lu-%lux2,%lu'",
                        whole, b, a, a, 2 * a, 4 * a, p / 2, b, a, p / 2, b);
        return -1;
    }
    for (p = a; p <= b; p *= 2)
        if (add_count(ps, n, p))
            return -1;
    return 0;
}

/* Parses "1,2,4,8", "1-8" (every count) and "1-64x2" (doubling), in any
 * mix; returns 0 or -1 after a usage error. */
static int parse_workers(const char *text, unsigned *ps, size_t *n) {
    *n = 0;
    if (text[0] == '\0' || text[strlen(text) - 1] == ',' || text[0] == ',' ||
        strstr(text, ",,") != NULL || strlen(text) > 4096) {
        cli_usage_error("scale",
                        "--workers: expected a list like '1,2,4,8', a range "
                        "like '1-8' (every count) or '1-64x2' (doubling), "
                        "got '%s'",
                        text);
        return -1;
    }
    char *copy = strdup(text);
    if (copy == NULL)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); rc == 0 && item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(item, '-');
        unsigned long a;
        if (dash != NULL && dash != item)
            rc = add_range(item, dash, ps, n);
        else if (cli_parse_uint("scale", "--workers", item, MAX_WORKERS, &a) ||
                 add_count(ps, n, a))
            rc = -1;
    }
    free(copy);
    return rc;
}

/* Progress: one redrawn line on a terminal, else one line per point. */
typedef struct progress_state {
    int tty;
    int quiet;
    double run_started; /* elapsed at the start of the current run */
    double last_run;    /* wall seconds of the last finished run */
    int drawn;
} progress_state;

static void on_progress(const dr_scale_progress *p, void *user_data) {
    progress_state *st = user_data;
    if (st->quiet)
        return;
    if (!p->done) {
        st->run_started = p->elapsed;
        if (st->tty) {
            char eta[32] = "?";
            double left = st->last_run * (double)(p->runs_total - p->run_index);
            if (st->last_run > 0)
                snprintf(eta, sizeof(eta), left < 10 ? "%.1f s" : "%.0f s",
                         left);
            fprintf(stderr,
                    "\r\033[Kscale: P=%u, run %u/%u (%zu/%zu), elapsed %.1f "
                    "s, ETA %s",
                    p->workers, p->repeat, p->repeats, p->run_index + 1,
                    p->runs_total, p->elapsed, eta);
            fflush(stderr);
            st->drawn = 1;
        }
        return;
    }
    st->last_run = p->elapsed - st->run_started;
    if (!st->tty && p->repeat == p->repeats)
        fprintf(stderr, "scale: P=%u done (%u run%s, last makespan %.4g s)\n",
                p->workers, p->repeats, p->repeats == 1 ? "" : "s",
                p->makespan);
}

/* The default output folder: dagrun-out/<file name without extension>. */
static char *default_dir(const char *graph_path) {
    const char *base = strrchr(graph_path, '/');
    base = base ? base + 1 : graph_path;
    size_t len = strcspn(base, ".");
    char *dir = NULL;
    if (asprintf(&dir, "dagrun-out/%.*s/scaling", (int)(len ? len : 5),
                 len ? base : "graph") < 0)
        return NULL;
    return dir;
}

/* Lists every file dr_scale_write wrote, in shell brace notation:
 * "Wrote DIR/{scaling.csv,...}" and, for the points that kept a trace,
 * "Wrote DIR/{trace,summary}-P{1,2,4}.json and DIR/gantt-P{1,2,4}.svg". */
static void print_written(const dr_scale_result *r, const char *dir) {
    printf("\nWrote %s/{scaling.csv,scaling.json,scaling.md,speedup.svg,"
           "%s,report.html}\n",
           dir,
           r->mode == DR_SCALE_WEAK ? "scaled-efficiency.svg"
                                    : "efficiency.svg");
    char ps[MAX_POINTS * 8 + 8] = "";
    size_t len = 0, n = 0;
    for (size_t i = 0; i < r->npoints && len < sizeof(ps); i++) {
        if (r->points[i].trace == NULL)
            continue;
        len += (size_t)snprintf(ps + len, sizeof(ps) - len, "%s%u",
                                n ? "," : "", r->points[i].workers);
        n++;
    }
    if (n == 0)
        return;
    const char *open = n > 1 ? "{" : "", *close = n > 1 ? "}" : "";
    printf("Wrote %s/{trace,summary}-P%s%s%s.json and %s/gantt-P%s%s%s.svg\n",
           dir, open, ps, close, dir, open, ps, close);
}

int cmd_scale(int argc, char **argv) {
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"mode", required_argument, NULL, 'm'},
        {"simulate", no_argument, NULL, 's'},
        {"costs", required_argument, NULL, 'C'},
        {"repeat", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 'S'},
        {"executor", required_argument, NULL, 'E'},
        {"worker-memory", required_argument, NULL, 'M'},
        {"set", required_argument, NULL, 'D'},
        {"cost-op", required_argument, NULL, 'O'},
        {"cost-scale", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    unsigned ps[MAX_POINTS];
    size_t np = 0;
    dr_scale_options so;
    dr_scale_options_init(&so);
    so.run.handle_signals = 1;
    cli_params params = {0};
    const char *out_dir = NULL;
    int quiet = 0, rc = DR_EXIT_OK, executor_given = 0;
    unsigned long ul;
    double d;

    optind = 1;
    int c;
    static const char shortopts[] = "w:m:sr:p:o:f:qh";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 'w':
            if (parse_workers(optarg, ps, &np) != 0)
                rc = DR_EXIT_USAGE;
            break;
        case 'm':
            if (strcmp(optarg, "strong") == 0)
                so.mode = DR_SCALE_STRONG;
            else if (strcmp(optarg, "weak") == 0)
                so.mode = DR_SCALE_WEAK;
            else
                rc = cli_usage_error("scale",
                                     "--mode: expected strong or weak, got "
                                     "'%s'",
                                     optarg);
            break;
        case 's':
            so.run.simulate = 1;
            break;
        case 'C':
            so.run.simulate = 1;
            so.run.costs_trace = optarg;
            break;
        case 'r':
            if (cli_parse_uint("scale", "--repeat", optarg, 1000, &ul) != 0)
                rc = DR_EXIT_USAGE;
            else
                so.repeat = (unsigned)ul;
            break;
        case 'p':
            if (dr_policy_from_name(optarg, &so.run.policy) != 0)
                rc = cli_usage_error("scale",
                                     "--policy: unknown policy '%s' (cp, "
                                     "fifo, lifo, order, random)",
                                     optarg);
            break;
        case 'S':
            if (cli_parse_uint("scale", "--seed", optarg, ~0ul, &ul) != 0)
                rc = DR_EXIT_USAGE;
            else
                so.run.seed = ul;
            break;
        case 'E':
            rc = cli_parse_executor("scale", optarg, &so.run.executor);
            executor_given = 1;
            break;
        case 'M':
            if (cli_parse_size("scale", "--worker-memory", optarg,
                               &so.run.worker_memory) != 0)
                rc = DR_EXIT_USAGE;
            break;
        case 'D':
            if (cli_params_add(&params, "scale", optarg) != 0)
                rc = DR_EXIT_USAGE;
            break;
        case 'O':
            if (strcmp(optarg, "sleep") == 0)
                so.run.cost_op = DR_COST_OP_SLEEP;
            else if (strcmp(optarg, "spin") == 0)
                so.run.cost_op = DR_COST_OP_SPIN;
            else if (strcmp(optarg, "none") == 0)
                so.run.cost_op = DR_COST_OP_NONE;
            else
                rc = cli_usage_error("scale",
                                     "--cost-op: expected sleep, spin or "
                                     "none, got '%s'",
                                     optarg);
            break;
        case 'F':
            if (cli_parse_positive("scale", "--cost-scale", optarg, &d) != 0)
                rc = DR_EXIT_USAGE;
            else
                so.run.cost_scale = d;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'f':
            rc = cli_parse_format("scale", optarg, &so.load.format);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            cli_params_free(&params);
            return DR_EXIT_OK;
        default:
            rc = cli_option_error("scale", argc, argv, shortopts, longopts);
        }
        if (rc != DR_EXIT_OK)
            break;
    }
    if (rc == DR_EXIT_OK && optind != argc - 1)
        rc = cli_usage_error("scale", optind >= argc
                                          ? "expected a graph file"
                                          : "expected one graph file, got "
                                            "more arguments");
    if (rc == DR_EXIT_OK)
        rc = cli_check_executor("scale", so.run.simulate, executor_given,
                                so.run.executor, so.run.worker_memory);
    if (rc != DR_EXIT_OK) {
        cli_params_free(&params);
        return rc;
    }
    if (np == 0) {
        unsigned cores = uv_available_parallelism();
        for (unsigned long p = 1; p <= 2ul * (cores ? cores : 1); p *= 2)
            ps[np++] = (unsigned)p;
    }
    const char *path = argv[optind];
    char *dir = out_dir ? strdup(out_dir) : default_dir(path);
    /* "-o out/" must not print (or create) "out//scaling.csv". */
    for (size_t n = dir ? strlen(dir) : 0; n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    char *log_dir = NULL;
    if (dir == NULL || asprintf(&log_dir, "%s/logs", dir) < 0) {
        free(dir);
        cli_params_free(&params);
        fprintf(stderr, "dagrun scale: out of memory\n");
        return DR_EXIT_USAGE;
    }
    so.workers = ps;
    so.nworkers = np;
    so.path = path;
    so.load.params = params.items;
    so.load.nparams = params.n;
    so.run.run_dir = log_dir;
    progress_state st = {isatty(STDERR_FILENO), quiet, 0, 0, 0};
    so.progress = on_progress;
    so.user_data = &st;

    dr_graph *g = NULL;
    int mpi = so.run.executor == DR_EXECUTOR_MPI && !so.run.simulate;
    if (mpi && so.mode == DR_SCALE_WEAK) {
        /* Weak scaling reloads a new graph at every count: every rank
         * would have to, in step; not done. */
        if (dr_mpi_rank(NULL) <= 0)
            cli_usage_error("scale", "--executor mpi scales strongly only "
                                     "(--mode weak reloads the graph at "
                                     "every count)");
        else
            sleep(1); /* rank 0 says why before mpirun stops the job */
        free(dir);
        free(log_dir);
        cli_params_free(&params);
        return DR_EXIT_USAGE;
    }
    if (so.mode == DR_SCALE_STRONG) {
        g = cli_load_graph(path, so.load.format, &params, NULL);
        if (g == NULL) {
            free(dir);
            free(log_dir);
            cli_params_free(&params);
            return DR_EXIT_USAGE;
        }
        if (mpi && dr_mpi_rank(NULL) > 0) {
            /* A worker rank: its cores' slots for every run of the
             * series, until rank 0 ends the job. */
            dr_run_options wo = so.run;
            wo.workers = 0;
            wo.handle_signals = 1;
            rc = cli_mpi_serve("scale", g, &wo);
            dr_graph_destroy(g);
            free(dir);
            free(log_dir);
            cli_params_free(&params);
            return rc;
        }
        if (!quiet)
            cli_note_costs_not_spent("scale", g, so.run.simulate,
                                     so.run.cost_op);
    }
    dr_error err;
    dr_error_clear(&err);
    dr_scale_result *r = dr_scale_run(g, &so, &err);
    if (st.drawn)
        fprintf(stderr, "\r\033[K");
    if (r == NULL) {
        fprintf(stderr, "dagrun scale: %s\n",
                err.text[0] ? err.text : dr_strerror(err.code));
        rc = err.code == DR_EINTR     ? DR_EXIT_INTERRUPTED
             : err.code == DR_EFAILED ? DR_EXIT_FAILED
                                      : DR_EXIT_USAGE;
    } else if ((r->warning != NULL &&
                fprintf(stderr, "dagrun scale: warning: %s\n", r->warning) <
                    0) ||
               dr_scale_write(r, dir, &err) != 0) {
        fprintf(stderr, "dagrun scale: %s\n", err.text);
        rc = DR_EXIT_USAGE;
    } else if (!quiet) {
        char *md = dr_scale_to_markdown(r);
        if (md != NULL)
            fputs(md, stdout);
        free(md);
        print_written(r, dir);
    }
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
    free(dir);
    free(log_dir);
    cli_params_free(&params);
    return rc;
}
