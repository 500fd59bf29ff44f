/*
 * dagrun run GRAPH (and plain `dagrun GRAPH`): runs a graph on a worker pool
 * or simulates it, writes trace.json and summary.json into an output folder
 * (dagrun-out/<graph>/ unless told otherwise), prints the summary in plain
 * words and the sinks' results.  Everything but option parsing and printing
 * lives in the scheduler (include/dagrun/run.h), the output folder's life
 * cycle (one run at a time, no mix of two) in run_folder.c, and how the
 * tasks' results are printed in run_results.c.
 */
#include "cli.h"
#include "dagrun/run.h"
#include "dagrun/viz.h"
#include "draw_guard.h"
#include "graph_internal.h"
#include "logs.h"
#include "metrics_internal.h"
#include "run_folder.h"
#include "run_internal.h"
#include "run_results.h"
#include "run_resume.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Above this many tasks a plain run does not draw its pictures by itself
 * (building them needs the whole trace in memory); --dot/--svg/--gantt/
 * --report still do. */
#define PICTURE_TASK_LIMIT 200000

/* Above this many tasks the output folder gets no trace.json unless
 * --trace asks for one: a trace takes about 230 bytes a task (2.2 GB and
 * tens of seconds at 10,000,000 tasks), and past about 2,000,000 tasks it
 * is over the size dagrun's own readers accept (DAGRUN_MAX_TRACE_BYTES,
 * 512 MiB), so dagrun gantt and --costs could not read it back unless that
 * is raised.  --trace FILE writes it at any size. */
#define TRACE_TASK_LIMIT 1000000

static const char usage_text[] =
    "Usage: dagrun run GRAPH [options]\n"
    "       dagrun GRAPH [options]\n"
    "       dagrun run gen:SHAPE [--set NAME=VALUE ...] [options]\n"
    "\n"
    "Runs GRAPH (dagrun JSON, STG or WfCommons) on a pool of workers, or\n"
    "simulates it on a virtual clock.  At most N tasks run at once; builtin\n"
    "and C function tasks run on worker threads (or worker processes, or\n"
    "the main thread: --executor), commands as child processes.\n"
    "Afterwards it writes trace.json (open it in Perfetto) and\n"
    "summary.json into the output folder, prints a summary explaining each\n"
    "figure, and prints the results of the sink tasks.\n"
    "\n"
    "GRAPH gen:SHAPE is the graph 'dagrun gen SHAPE' makes (--set sets its\n"
    "parameters; --gen-seed and --gen-op are gen's --seed and --op), built\n"
    "in memory: no file, and no cap on a file's bytes, so\n"
    "  dagrun run gen:layered --set layers=10000 --set width=1000 --set deps=4 "
    "-s\n"
    "simulates 10,000,000 tasks.  Above 1,000,000 tasks the output folder\n"
    "gets summary.json but no trace.json unless --trace asks for one.\n"
    "\n"
    "Options:\n"
    "  -w, --workers N       worker slots (default: the number of cores)\n"
    "  -p, --policy NAME     which ready task goes first: cp (critical path,\n"
    "                        the default), fifo, lifo, order (depth-first,\n"
    "                        frees memory early) or random\n"
    "      --seed N          seed for --policy random (default 0)\n"
    "      --executor E      threads (default), processes, sync, or mpi\n"
    "                        under mpirun with --workers per worker rank\n"
    "                        (docs/running.md, docs/mpi.md)\n"
    "      --worker-memory   SIZE: each worker process's memory limit "
    "(512M, 1.5G)\n"
    "  -s, --simulate        simulate on a virtual clock: task durations are\n"
    "                        their costs (a sleep's ms; 1 s for a task with\n"
    "                        no cost, and the summary says how many)\n"
    "      --costs TRACE     simulate with the durations measured in an\n"
    "                        earlier run's trace (implies --simulate)\n"
    "      --overhead US     simulate a runtime that spends US microseconds\n"
    "                        of a worker on every task besides its duration\n"
    "                        (only with --simulate or --costs)\n"
    "  -k, --keep-going      after a failure, run everything that does not\n"
    "                        depend on it (default: start nothing new)\n"
    "  -r, --resume          do not run again the tasks whose last successful\n"
    "                        run still holds (same operation and arguments or\n"
    "                        command, inputs and dependencies' results, and\n"
    "                        outputs unchanged): their recorded results are\n"
    "                        reused, from the output folder's journal.jsonl\n"
    "  -n, --dry-run         run nothing: print what --resume would run and\n"
    "                        why (\"KEY: REASON\" lines), and a count\n"
    "      --explain         print those lines on stderr before the run\n"
    "      --no-journal      keep no journal.jsonl (a later --resume then\n"
    "                        runs everything; docs/resuming.md)\n"
    "      --retries N       retry failed tasks N times (default 0)\n"
    "      --timeout S       fail tasks running longer than S seconds\n"
    "      --cost-op OP      run tasks without an operation (STG, WfCommons)\n"
    "                        as 'sleep' or 'spin' for their cost (default:\n"
    "                        as noop, and a note says so)\n"
    "      --cost-scale F    multiply costs by F (also in a simulation, and\n"
    "                        the durations of --costs)\n"
    "      --trace FILE      write the trace to FILE (Perfetto, "
    "chrome://tracing);\n"
    "                        above 1,000,000 tasks the output folder gets no\n"
    "                        trace.json unless this asks for one\n"
    "      --json FILE       write the summary as JSON to FILE\n"
    "      --dot FILE        write the run-annotated graph as DOT to FILE\n"
    "      --svg FILE        ... as SVG; both draw the format FILE's "
    "extension\n"
    "                        names (.dot .svg .png .pdf; also .gv .jpg)\n"
    "      --gantt FILE      write the Gantt timeline to FILE (.svg only)\n"
    "      --report FILE     write the self-contained HTML report to FILE\n"
    "                        (.html or .htm); each name is checked before "
    "the run\n"
    "      --color WHAT      colour tasks in every picture by 'worker' (the\n"
    "                        default) or by 'group' (docs/visualising.md)\n"
    "  -o, --output-dir DIR  where dag.dot, dag.svg, gantt.svg, trace.json,\n"
    "                        summary.json, report.html and logs/ go\n"
    "                        (default dagrun-out/<graph name>/, and\n"
    "                        dagrun-out/<graph name>-sim/ with --simulate);\n"
    "                        one run at a time: a run removes the last\n"
    "                        run's files there first, and marks the folder\n"
    "                        with a RUNNING file until it has written its own\n"
    "      --no-outputs      write none of them (the single-file options\n"
    "                        above still work; command logs go to a\n"
    "                        temporary folder)\n"
    "      --output KEY      print the result of task KEY (repeatable; the\n"
    "                        default prints the sinks' results)\n"
    "      --run-dir DIR     where command logs go (default <output "
    "dir>/logs;\n"
    "                        with --no-outputs a temporary folder removed\n"
    "                        at the end)\n"
    "      --workdir DIR     working folder of commands (default: here)\n"
    "      --set NAME=VALUE  override a graph parameter (repeatable); the\n"
    "                        parameter 'workers' is the worker count unless\n"
    "                        set here; every parameter's value, and which\n"
    "                        were set here, go into the summary and trace;\n"
    "                        for gen:SHAPE a shape parameter (dagrun gen\n"
    "                        --help lists them)\n"
    "      --gen-seed S      gen:SHAPE's seed (default 1, as dagrun gen)\n"
    "      --gen-op OP       the builtin gen:SHAPE's tasks run (as dagrun gen\n"
    "                        --op)\n"
    "  -f, --format FMT      auto (default), json, stg or wfcommons\n"
    "      --plugin LIB.so   load operations from a plugin (repeatable; a\n"
    "                        name without '/' is looked up in the library\n"
    "                        path, so write ./LIB.so for one here)\n"
    "  -q, --quiet           print only errors and --output results\n"
    "  -h, --help            show this text\n"
    "\n"
    "A command task's result is what it printed on standard output (the\n"
    "first 20 lines; the rest stays in its log).  Commands get the output\n"
    "folder as DAGRUN_OUT (absolute) for the files they write.  SIGINT,\n"
    "SIGTERM and SIGHUP stop the run: running tasks are stopped, the trace\n"
    "and summary of what ran are written, and the exit status is 130; a\n"
    "second SIGINT or SIGTERM leaves at once.  One that comes while the\n"
    "pictures are drawn (the tasks have ended) stops the drawing: trace.json\n"
    "and summary.json are complete, the pictures are not written, exit\n"
    "130.  However dagrun ends, nothing its commands started is left running\n"
    "(docs/running.md).\n"
    "\n";

enum {
    OPT_SEED = 256,
    OPT_COSTS,
    OPT_RETRIES,
    OPT_TIMEOUT,
    OPT_COST_OP,
    OPT_COST_SCALE,
    OPT_OVERHEAD,
    OPT_TRACE,
    OPT_JSON,
    OPT_NO_OUTPUTS,
    OPT_OUTPUT,
    OPT_RUN_DIR,
    OPT_WORKDIR,
    OPT_SET,
    OPT_PLUGIN,
    OPT_DOT,
    OPT_SVG,
    OPT_GANTT,
    OPT_REPORT,
    OPT_COLOR,
    OPT_EXPLAIN,
    OPT_NO_JOURNAL,
    OPT_EXECUTOR,
    OPT_WORKER_MEMORY,
    OPT_GEN_SEED,
    OPT_GEN_OP
};

static const char short_options[] = "w:p:skrnqo:f:h";
static const struct option long_options[] = {
    {"workers", required_argument, NULL, 'w'},
    {"policy", required_argument, NULL, 'p'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"executor", required_argument, NULL, OPT_EXECUTOR},
    {"worker-memory", required_argument, NULL, OPT_WORKER_MEMORY},
    {"simulate", no_argument, NULL, 's'},
    {"costs", required_argument, NULL, OPT_COSTS},
    {"keep-going", no_argument, NULL, 'k'},
    {"resume", no_argument, NULL, 'r'},
    {"dry-run", no_argument, NULL, 'n'},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"no-journal", no_argument, NULL, OPT_NO_JOURNAL},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"cost-op", required_argument, NULL, OPT_COST_OP},
    {"cost-scale", required_argument, NULL, OPT_COST_SCALE},
    {"overhead", required_argument, NULL, OPT_OVERHEAD},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"json", required_argument, NULL, OPT_JSON},
    {"output-dir", required_argument, NULL, 'o'},
    {"no-outputs", no_argument, NULL, OPT_NO_OUTPUTS},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"run-dir", required_argument, NULL, OPT_RUN_DIR},
    {"workdir", required_argument, NULL, OPT_WORKDIR},
    {"set", required_argument, NULL, OPT_SET},
    {"gen-seed", required_argument, NULL, OPT_GEN_SEED},
    {"gen-op", required_argument, NULL, OPT_GEN_OP},
    {"format", required_argument, NULL, 'f'},
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"dot", required_argument, NULL, OPT_DOT},
    {"svg", required_argument, NULL, OPT_SVG},
    {"gantt", required_argument, NULL, OPT_GANTT},
    {"report", required_argument, NULL, OPT_REPORT},
    {"color", required_argument, NULL, OPT_COLOR},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* The graph's name, or the file name without folder and extension; only
 * characters safe in a folder name. */
static char *output_name(const dr_graph *g, const char *path) {
    const char *name = dr_graph_name(g);
    size_t len = strlen(name);
    if (len == 0 && strcmp(path, "-") == 0) {
        name = "stdin"; /* "name": "" read from standard input */
        len = strlen(name);
    } else if (len == 0) {
        const char *slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
        const char *dot = strrchr(name, '.');
        len = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    }
    char *out = malloc(len + 6);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out[i] = ok ? c : '_';
    }
    out[len] = '\0';
    if (len == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        strcpy(out, "graph");
    return out;
}

typedef struct run_args {
    dr_run_options opts;
    const char *graph_path, *trace, *json, *outdir;
    dr_format format;
    const char *dot, *svg, *gantt, *report;
    const char **keys;
    size_t nkeys;
    const char **plugins;
    size_t nplugins;
    cli_params params;
    const char **sets; /* --set's texts, parsed once GRAPH is known */
    size_t nsets;
    int gen;               /* GRAPH is gen:SHAPE */
    uint64_t gen_seed;     /* --gen-seed, default 1 */
    const char *gen_op;    /* --gen-op */
    const char *gen_given; /* the first --gen-* option written, or NULL */
    int format_given;
    int no_outputs, quiet;
    int dry_run, no_journal;
    int executor_given; /* --executor was written (--simulate refuses it) */
    dr_viz_color color;
} run_args;

static int push_str(const char ***list, size_t *n, const char *s) {
    const char **bigger = realloc(*list, (*n + 1) * sizeof(**list));
    if (bigger == NULL)
        return -1;
    *list = bigger;
    bigger[(*n)++] = s;
    return 0;
}

/* Returns -1 to go on, or an exit code. */
static int parse(int argc, char **argv, run_args *a) {
    const char *cmd = "run";
    unsigned long ul;
    double d;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, short_options, long_options)) != -1) {
        switch (c) {
        case 'w':
            if (cli_parse_uint(cmd, "--workers", optarg, 100000, &ul) != 0)
                return DR_EXIT_USAGE;
            a->opts.workers = (unsigned)ul;
            break;
        case 'p':
            if (dr_policy_from_name(optarg, &a->opts.policy) != 0)
                return cli_usage_error(cmd,
                                       "--policy: unknown policy '%s' (cp, "
                                       "fifo, lifo, order or random)",
                                       optarg);
            break;
        case OPT_SEED:
            if (cli_parse_seed(cmd, "--seed", optarg, 10, &a->opts.seed) != 0)
                return DR_EXIT_USAGE;
            break;
        case OPT_EXECUTOR:
            if (cli_parse_executor(cmd, optarg, &a->opts.executor) != 0)
                return DR_EXIT_USAGE;
            a->executor_given = 1;
            break;
        case OPT_WORKER_MEMORY:
            if (cli_parse_size(cmd, "--worker-memory", optarg,
                               &a->opts.worker_memory) != 0)
                return DR_EXIT_USAGE;
            break;
        case 's':
            a->opts.simulate = 1;
            break;
        case OPT_COSTS:
            a->opts.costs_trace = optarg;
            a->opts.simulate = 1;
            break;
        case 'k':
            a->opts.keep_going = 1;
            break;
        case OPT_RETRIES: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || v > 1000)
                return cli_usage_error(cmd,
                                       "--retries: expected a whole number "
                                       "from 0 to 1000, got '%s'",
                                       optarg);
            a->opts.retries = (int)v;
            break;
        }
        case OPT_TIMEOUT:
            if (cli_parse_double(cmd, "--timeout", optarg, &d) != 0)
                return DR_EXIT_USAGE;
            a->opts.timeout = d;
            break;
        case OPT_COST_OP:
            if (strcmp(optarg, "sleep") == 0)
                a->opts.cost_op = DR_COST_OP_SLEEP;
            else if (strcmp(optarg, "spin") == 0)
                a->opts.cost_op = DR_COST_OP_SPIN;
            else if (strcmp(optarg, "noop") == 0 || strcmp(optarg, "none") == 0)
                a->opts.cost_op = DR_COST_OP_NONE;
            else
                return cli_usage_error(cmd,
                                       "--cost-op: expected sleep or spin, "
                                       "got '%s'",
                                       optarg);
            break;
        case OPT_COST_SCALE:
            if (cli_parse_positive(cmd, "--cost-scale", optarg, &d) != 0)
                return DR_EXIT_USAGE;
            a->opts.cost_scale = d;
            break;
        case OPT_OVERHEAD:
            if (cli_parse_double(cmd, "--overhead", optarg, &d) != 0)
                return DR_EXIT_USAGE;
            a->opts.sim_overhead = d / 1e6;
            break;
        case OPT_TRACE:
            a->trace = optarg;
            break;
        case OPT_JSON:
            a->json = optarg;
            break;
        case 'o':
            a->outdir = optarg;
            break;
        case OPT_NO_OUTPUTS:
            a->no_outputs = 1;
            break;
        case OPT_OUTPUT:
            if (push_str(&a->keys, &a->nkeys, optarg) != 0)
                return DR_EXIT_USAGE;
            break;
        case OPT_RUN_DIR:
            a->opts.run_dir = optarg;
            break;
        case OPT_WORKDIR:
            a->opts.workdir = optarg;
            break;
        case OPT_SET:
            if (push_str(&a->sets, &a->nsets, optarg) != 0)
                return DR_EXIT_USAGE;
            break;
        case OPT_GEN_SEED:
            if (cli_parse_seed(cmd, "--gen-seed", optarg, 0, &a->gen_seed) != 0)
                return DR_EXIT_USAGE;
            if (a->gen_given == NULL)
                a->gen_given = "--gen-seed";
            break;
        case OPT_GEN_OP:
            a->gen_op = optarg;
            if (a->gen_given == NULL)
                a->gen_given = "--gen-op";
            break;
        case 'f':
            if (cli_parse_format(cmd, optarg, &a->format) != 0)
                return DR_EXIT_USAGE;
            a->format_given = 1;
            break;
        case OPT_PLUGIN:
            if (push_str(&a->plugins, &a->nplugins, optarg) != 0)
                return DR_EXIT_USAGE;
            break;
        case OPT_DOT:
            a->dot = optarg;
            break;
        case OPT_SVG:
            a->svg = optarg;
            break;
        case OPT_GANTT:
            a->gantt = optarg;
            break;
        case OPT_REPORT:
            a->report = optarg;
            break;
        case OPT_COLOR:
            if (dr_viz_color_parse(optarg, &a->color) != 0)
                return cli_usage_error(cmd,
                                       "--color: expected worker or group, "
                                       "got '%s'",
                                       optarg);
            break;
        case 'q':
            a->quiet = 1;
            break;
        case 'r':
            a->opts.resume = 1;
            break;
        case 'n':
            a->dry_run = 1;
            break;
        case OPT_EXPLAIN:
            a->opts.explain = stderr;
            break;
        case OPT_NO_JOURNAL:
            a->no_journal = 1;
            break;
        case 'h':
            printf("%s%s", usage_text, cli_exit_codes_run);
            return DR_EXIT_OK;
        default:
            return cli_option_error(cmd, argc, argv, short_options,
                                    long_options);
        }
    }
    /* --set's meaning depends on GRAPH: a shape's parameters (words
     * allowed: pattern=fft) for gen:SHAPE, a graph file's otherwise. */
    a->gen = optind < argc &&
             strncmp(argv[optind], CLI_GEN_PREFIX, strlen(CLI_GEN_PREFIX)) == 0;
    for (size_t i = 0; i < a->nsets; i++)
        if ((a->gen ? cli_params_add_gen(&a->params, cmd, a->sets[i])
                    : cli_params_add(&a->params, cmd, a->sets[i])) != 0)
            return DR_EXIT_USAGE;
    if (optind >= argc)
        return cli_usage_error(cmd, "missing GRAPH");
    if (a->gen && argv[optind][strlen(CLI_GEN_PREFIX)] == '\0')
        return cli_usage_error(cmd, "gen: needs a shape, such as gen:layered "
                                    "(dagrun gen --help lists them)");
    if (!a->gen && a->gen_given != NULL)
        return cli_usage_error(cmd,
                               "%s is for a generated graph: write GRAPH as "
                               "gen:SHAPE",
                               a->gen_given);
    if (a->gen && a->format_given)
        return cli_usage_error(cmd, "--format is for a graph file, not "
                                    "gen:SHAPE");
    if (a->opts.sim_overhead > 0 && !a->opts.simulate)
        return cli_usage_error(cmd, "--overhead is for a simulation: add "
                                    "--simulate (or --costs TRACE)");
    if (run_resume_check_options(a->opts.simulate, a->opts.resume, a->dry_run,
                                 a->opts.explain != NULL, a->no_journal,
                                 a->no_outputs) != 0)
        return DR_EXIT_USAGE;
    if (cli_check_executor(cmd, a->opts.simulate, a->executor_given,
                           a->opts.executor, a->opts.worker_memory) != 0)
        return DR_EXIT_USAGE;
    if (a->opts.executor == DR_EXECUTOR_SYNC && a->opts.workers > 1)
        fprintf(stderr,
                "dagrun run: note: --executor sync runs one task at a time: "
                "--workers %u is ignored\n",
                a->opts.workers);
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'",
                               argv[optind + 1]);
    a->graph_path = argv[optind];
    return -1;
}

/* 0 when `path`'s folder exists and is writable, else prints why. */
static int check_file_folder(const char *opt, const char *path) {
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    char *slash = strrchr(copy, '/');
    const char *dir = slash == NULL ? "." : slash == copy ? "/" : copy;
    if (slash != NULL && slash != copy)
        *slash = '\0';
    int rc = 0;
    if (access(dir, W_OK) != 0) {
        cli_usage_error("run", "%s %s: cannot write to folder '%s': %s", opt,
                        path, dir, strerror(errno));
        rc = -1;
    }
    free(copy);
    return rc;
}

/* Before anything runs: every output must be writable, so a long run never
 * ends by losing its trace.  Returns 0 or prints and returns -1. */
static int check_outputs(const run_args *a, const char *outdir) {
    /* -o is a folder of several files: it cannot be standard output (and a
     * folder named "-" is never what was meant). */
    if (strcmp(outdir, "-") == 0) {
        cli_usage_error("run", "-o -: the output folder holds several files "
                               "and cannot be standard output: give a "
                               "folder, or --no-outputs");
        return -1;
    }
    if (!a->no_outputs &&
        (dr_make_dirs(outdir, NULL) != 0 || access(outdir, W_OK) != 0)) {
        cli_usage_error("run", "cannot write to the output folder '%s': %s",
                        outdir, strerror(errno));
        return -1;
    }
    const char *opts[] = {"--trace", "--json",  "--dot",
                          "--svg",   "--gantt", "--report"};
    const char *paths[] = {a->trace, a->json,  a->dot,
                           a->svg,   a->gantt, a->report};
    /* Each file's name suits what it will hold (no SVG in x.png), and
     * none is "-": standard output carries the run's printed summary. */
    const cli_output kinds[] = {CLI_OUT_JSON,  CLI_OUT_JSON,  CLI_OUT_GRAPH,
                                CLI_OUT_GRAPH, CLI_OUT_GANTT, CLI_OUT_REPORT};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (paths[i] != NULL &&
            (cli_check_output("run", opts[i], paths[i], kinds[i], 0) != 0 ||
             check_file_folder(opts[i], paths[i]) != 0))
            return -1;
    return 0;
}

static const char *signal_words(int sig) {
    switch (sig) {
    case SIGINT:
        return "SIGINT (Ctrl-C)";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP (the terminal or session closed)";
    default:
        return "a signal";
    }
}

/* Writes the trace and the summary (computed once by the caller) files;
 * returns 0 or prints and returns -1. */
static int write_outputs(const dr_run *run, const json_t *summary_json,
                         const run_args *a, const char *outdir) {
    dr_error err;
    dr_error_clear(&err);
    char *trace = NULL, *summary = NULL;
    int rc = 0;
    size_t n = dr_graph_ntasks(run->graph);
    /* A huge run's folder gets its summary only (TRACE_TASK_LIMIT). */
    int big = n > TRACE_TASK_LIMIT && a->trace == NULL;
    if (!a->no_outputs) {
        /* check_outputs() created outdir before the run. */
        trace = big ? NULL : cli_join(outdir, "trace.json");
        summary = cli_join(outdir, "summary.json");
    }
    const char *tpath = a->trace ? a->trace : trace;
    const char *spath = a->json ? a->json : summary;
    /* Each file is written whatever became of the other, and each failure
     * is reported by its file. */
    int tbad = 0, sbad = 0;
    if (tpath != NULL && dr__run_write_trace(run, tpath, &err) != 0) {
        fprintf(stderr, "dagrun run: cannot write the trace: %s\n", err.text);
        tbad = 1;
    }
    dr_error_clear(&err);
    if (spath != NULL &&
        dr_write_json_atomic(spath, summary_json, JSON_INDENT(2), &err) != 0) {
        fprintf(stderr, "dagrun run: cannot write the summary: %s\n", err.text);
        sbad = 1;
    }
    rc = tbad || sbad ? -1 : 0;
    if (!a->quiet && (tpath || spath) && big && !a->no_outputs)
        printf("\nTrace: not written for %zu tasks (more than %d: about "
               "230 bytes a task); --trace FILE writes it\nSummary: %s%s\n",
               n, TRACE_TASK_LIMIT, spath ? spath : "(not written)",
               sbad ? " (failed)" : "");
    else if (!a->quiet && (tpath || spath))
        printf("\nTrace: %s%s\nSummary: %s%s\n",
               tpath ? tpath : "(not written)", tbad ? " (failed)" : "",
               spath ? spath : "(not written)", sbad ? " (failed)" : "");
    if (!a->quiet && a->opts.journal != NULL)
        printf("Journal: %s (dagrun log %s; --resume reuses what still "
               "holds)\n",
               a->opts.journal, outdir);
    free(trace);
    free(summary);
    return rc;
}

/* A picture drawn otherwise than asked (to keep its layout within the time
 * budget) says so in one line, printed after the pictures' names. */
static void keep_note(const char *line, void *user_data) {
    char *note = user_data;
    snprintf(note, 400, "%s", line);
}

/* The default pictures are not drawn for graphs this large: said once. */
static void note_pictures_skipped(const dr_graph *g, const run_args *a) {
    size_t n = dr_graph_ntasks(g);
    if (a->quiet || a->no_outputs || n <= PICTURE_TASK_LIMIT)
        return;
    printf("Pictures: not drawn for %zu tasks (more than %d); ", n,
           PICTURE_TASK_LIMIT);
    if (n > TRACE_TASK_LIMIT && a->trace == NULL) /* no trace.json either */
        printf("--trace FILE writes the trace, and dagrun gantt FILE -o "
               "gantt.svg draws its timeline\n");
    else
        printf("dagrun gantt TRACE -o gantt.svg draws the timeline from the "
               "trace (dagrun viz GRAPH --trace TRACE the graph)\n");
}

/* Draws the run: the default pictures into outdir (unless --no-outputs or
 * the graph is very large) and the single files asked for.  Returns 0 or
 * prints the error and returns -1. */
static int write_pictures(const dr_run *run, const json_t *summary,
                          const dr_graph *g, const run_args *a,
                          const char *outdir) {
    int defaults = !a->no_outputs;
    if (defaults && dr_graph_ntasks(g) > PICTURE_TASK_LIMIT) {
        defaults = 0;
        note_pictures_skipped(g, a);
    }
    if (!defaults && !a->dot && !a->svg && !a->gantt && !a->report)
        return 0;
    json_t *trace = dr_run_trace_json(run);
    char note[400] = "";
    dr_viz_options vo;
    dr_viz_options_init(&vo);
    vo.color = a->color;
    vo.note = keep_note;
    vo.note_data = note;
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.color = a->color;
    dr_error err;
    dr_error_clear(&err);
    int rc = trace == NULL ? DR_ENOMEM : 0;
    if (rc == 0 && defaults)
        rc = dr_viz_write_run_pictures(g, trace, summary, &vo, outdir, &err);
    if (rc == 0 && a->dot)
        rc = dr_viz_write(g, trace, &vo, a->dot, &err);
    if (rc == 0 && a->svg)
        rc = dr_viz_write(g, trace, &vo, a->svg, &err);
    if (rc == 0 && a->gantt)
        rc = dr_viz_gantt_write(trace, summary, &go, a->gantt, &err);
    if (rc == 0 && a->report)
        rc = dr_viz_report_write(g, trace, summary, &vo, a->report, &err);
    json_decref(trace);
    if (rc != 0) {
        fprintf(stderr, "dagrun run: cannot draw the run: %s\n",
                err.text[0] ? err.text : dr_strerror(rc));
        return -1;
    }
    if (defaults && !a->quiet)
        printf("Pictures: %s/dag.svg, %s/gantt.svg, %s/report.html\n", outdir,
               outdir, outdir);
    /* The files asked for by name, with or without the default ones
     * (--no-outputs): where they went is said as for the trace. */
    const char *asked[] = {a->dot, a->svg, a->gantt, a->report};
    /* --svg writes SVG or PNG by the name's ending. */
    const char *what[] = {"Graph (DOT)", "Graph", "Gantt chart", "Report"};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0] && !a->quiet; i++)
        if (asked[i] != NULL)
            printf("%s: %s\n", what[i], asked[i]);
    if (note[0] && !a->quiet)
        printf("Task graph: %s\n", note);
    return 0;
}

/* `path` made absolute (without resolving links, so the name stays the one
 * the user gave); a new string, or NULL when out of memory or the current
 * folder is gone (after printing why). */
static char *absolute_path(const char *path) {
    if (path[0] == '/')
        return strdup(path);
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL) {
        fprintf(stderr, "dagrun run: cannot tell the current folder: %s\n",
                strerror(errno));
        return NULL;
    }
    const char *rest = strncmp(path, "./", 2) == 0 ? path + 2 : path;
    char *abs = cli_join(cwd, rest);
    free(cwd);
    return abs;
}

/* 1 when write_pictures has something to draw. */
static int pictures_asked(const dr_graph *g, const run_args *a) {
    return (!a->no_outputs && dr_graph_ntasks(g) <= PICTURE_TASK_LIMIT) ||
           a->dot || a->svg || a->gantt || a->report;
}

typedef struct draw_job {
    const dr_run *run;
    const json_t *summary;
    const dr_graph *g;
    const run_args *a;
    const char *outdir;
} draw_job;

static int draw_job_run(void *user_data) {
    const draw_job *j = user_data;
    return write_pictures(j->run, j->summary, j->g, j->a, j->outdir);
}

/* Draws the pictures so that a signal stops the drawing cleanly
 * (draw_guard.c).  Returns 0, -1 (failed, printed) or the signal that
 * stopped it. */
static int draw_guarded(const dr_run *run, const json_t *summary,
                        const dr_graph *g, const run_args *a,
                        const char *outdir) {
    int sig = draw_guard_pending();
    if (sig != 0)
        return sig;
    if (!pictures_asked(g, a)) {
        note_pictures_skipped(g, a); /* (else write_pictures says it) */
        return 0;
    }
    static const char *const defaults[] = {"dag.dot", "dag.svg", "gantt.svg",
                                           "report.html"};
    enum { NDEFAULTS = sizeof(defaults) / sizeof(defaults[0]) };
    char *paths[NDEFAULTS + 4];
    const char *targets[NDEFAULTS + 4];
    int remove[NDEFAULTS + 4];
    size_t n = 0;
    int rc = -1;
    if (!a->no_outputs)
        for (size_t i = 0; i < NDEFAULTS; i++, n++) {
            if ((paths[n] = cli_join(outdir, defaults[i])) == NULL)
                goto out;
            targets[n] = paths[n];
            remove[n] = 1;
        }
    const char *files[] = {a->dot, a->svg, a->gantt, a->report};
    for (size_t i = 0; i < 4; i++)
        if (files[i] != NULL) {
            paths[n] = NULL;
            targets[n] = files[i];
            remove[n++] = 0; /* whole: the old file or the new one */
        }
    draw_job job = {run, summary, g, a, outdir};
    rc = draw_guard_run(draw_job_run, &job, targets, remove, n);
out:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    if (n < NDEFAULTS && !a->no_outputs)
        fprintf(stderr, "dagrun run: out of memory for the pictures\n");
    return rc;
}

/* Unless --set names it, the graph parameter `workers` is the run's worker
 * count, so a weak-scaling graph (n = 4*workers) grows with -w.  Returns 0
 * or an exit code. */
static int set_workers_param(run_args *a) {
    for (size_t i = 0; i < a->params.n; i++)
        if (strcmp(a->params.items[i].name, "workers") == 0)
            return 0;
    unsigned long n = a->opts.workers;
    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (unsigned long)cores : 1;
    }
    char text[48];
    snprintf(text, sizeof(text), "workers=%lu", n);
    return cli_params_add(&a->params, "run", text);
}

/* dlopen looks a name without a '/' up in the library path (LD_LIBRARY_PATH,
 * the system's folders), never in the current folder, as the shell does
 * with commands: when that failed and the file is here, say how to name it
 * (`--plugin ./libfoo.so`). */
static void plugin_hint(const char *path) {
    if (strchr(path, '/') == NULL && access(path, F_OK) == 0)
        fprintf(stderr,
                "dagrun run: hint: use ./%s: a plugin named without a '/' "
                "is looked up in the library path (LD_LIBRARY_PATH, the "
                "system's folders), not in this folder\n",
                path);
}

int cmd_run(int argc, char **argv) {
    run_args a;
    memset(&a, 0, sizeof(a));
    a.gen_seed = 1; /* dagrun gen's default */
    dr_run_options_init(&a.opts);
    int code = parse(argc, argv, &a);
    dr_ops *ops = NULL;
    dr_graph *g = NULL;
    dr_run *run = NULL;
    json_t *summary = NULL;
    char *name = NULL, *outdir = NULL, *logs = NULL, *tmplogs = NULL;
    char *outdir_abs = NULL, *journal = NULL;
    const char **set_names = NULL;
    folder_lock lock = FOLDER_LOCK_NONE;
    if (code >= 0)
        goto out;
    /* SIGPIPE and SIGXFSZ are ignored by main (cli/main.c). */
    code = DR_EXIT_USAGE;
    dr_error err;
    dr_error_clear(&err);
    /* The summary and the trace say which parameters --set gave: the
     * first a.params.n, before `workers` joins them. */
    /* A generated graph has no graph parameters: --set gave its shape's,
     * which its name shows. */
    size_t nset = a.gen ? 0 : a.params.n;
    if ((set_names = malloc((nset ? nset : 1) * sizeof(*set_names))) == NULL)
        goto out;
    for (size_t i = 0; i < nset; i++)
        set_names[i] = a.params.items[i].name;
    if (!a.gen && set_workers_param(&a) != 0)
        goto out;
    if (a.nplugins > 0) {
        if ((ops = dr_ops_create()) == NULL)
            goto out;
        for (size_t i = 0; i < a.nplugins; i++)
            if (dr_plugin_load(a.plugins[i], ops, &err) != 0) {
                fprintf(stderr, "dagrun run: %s\n", err.text);
                plugin_hint(a.plugins[i]);
                goto out;
            }
    }
    g = a.gen ? cli_generate("run", a.graph_path + strlen(CLI_GEN_PREFIX),
                             &a.params, a.gen_seed, a.gen_op, 0)
              : cli_load_graph(a.graph_path, a.format, &a.params, ops);
    if (g == NULL)
        goto out;
    for (size_t i = 0; i < a.nkeys; i++)
        if (dr_graph_find(g, a.keys[i]) == DR_TASK_NONE) {
            cli_usage_error("run", "--output: no task '%s' in %s", a.keys[i],
                            a.graph_path);
            goto out;
        }
    /* --executor mpi, ranks 1..N-1: serve rank 0's run, write nothing. */
    if (a.opts.executor == DR_EXECUTOR_MPI && !a.opts.simulate &&
        dr_mpi_rank(NULL) > 0) {
        /* A dry run starts nothing: rank 0 prints it, nobody serves. */
        if (a.dry_run) {
            code = DR_EXIT_OK;
            goto out;
        }
        a.opts.ops = ops;
        a.opts.handle_signals = 1;
        code = cli_mpi_serve("run", g, &a.opts);
        goto out;
    }
    name = output_name(g, a.graph_path);
    if (name != NULL && a.opts.simulate && a.outdir == NULL) {
        /* A simulation must not overwrite the pictures of a real run. */
        char *sim = malloc(strlen(name) + 5);
        if (sim != NULL)
            sprintf(sim, "%s-sim", name);
        free(name);
        name = sim;
    }
    outdir = a.outdir ? strdup(a.outdir)
             : name   ? cli_join("dagrun-out", name)
                      : NULL;
    if (outdir == NULL)
        goto out;
    if (a.dry_run) { /* nothing is written, no folder made */
        code = run_resume_dry_run(g, &a.opts, outdir);
        goto out;
    }
    if (check_outputs(&a, outdir) != 0)
        goto out;
    /* What would stop the run before it starts is checked before the
     * output folder is taken (and the last run's outputs removed). */
    if (dr_graph_validate(g, &err) != 0) {
        fprintf(stderr, "dagrun run: %s\n", err.text);
        goto out;
    }
    if (a.opts.workdir != NULL && !a.opts.simulate) {
        int bad = dr__workdir_error(a.opts.workdir);
        if (bad != 0) {
            cli_usage_error("run", "--workdir %s: %s", a.opts.workdir,
                            strerror(bad));
            goto out;
        }
    }
    /* A missing declared input stops the run before the last run's
     * outputs are removed. */
    if (!a.opts.simulate &&
        dr__graph_check_inputs(g, a.opts.workdir, &err) != 0) {
        fprintf(stderr, "dagrun run: %s\n", err.text);
        goto out;
    }
    if (!a.no_outputs && run_folder_take(outdir, a.graph_path, &lock) != 0)
        goto out;
    if (!a.quiet)
        cli_note_costs_not_spent("run", g, a.opts.simulate, a.opts.cost_op);
    if (a.opts.run_dir == NULL && a.no_outputs && !a.opts.simulate &&
        dr__graph_has_commands(g)) {
        if ((tmplogs = run_folder_temporary_logs()) == NULL)
            goto out;
        a.opts.run_dir = tmplogs;
    }
    if (a.opts.run_dir == NULL && (logs = cli_join(outdir, "logs")) == NULL)
        goto out;
    if (a.opts.run_dir == NULL)
        a.opts.run_dir = logs;
    a.opts.ops = ops;
    a.opts.keep_results = a.keys;
    a.opts.nkeep_results = a.nkeys;
    a.opts.params_set = set_names;
    a.opts.nparams_set = nset;
    a.opts.progress = !a.quiet;
    a.opts.handle_signals = 1;
    /* Commands learn the output folder as DAGRUN_OUT, absolute so that a
     * --workdir elsewhere does not change it; with --no-outputs it is the
     * folder that would have held the outputs (dagrun writes nothing
     * there, the commands may). */
    if ((outdir_abs = absolute_path(outdir)) == NULL)
        goto out;
    a.opts.output_dir = outdir_abs;
    /* Real runs with an output folder keep a journal there. */
    if (!a.opts.simulate && !a.no_outputs && !a.no_journal &&
        (journal = cli_join(outdir, RUN_JOURNAL_FILE)) == NULL)
        goto out;
    a.opts.journal = journal;
    run = dr_run_graph(g, &a.opts, &err);
    if (run == NULL) {
        fprintf(stderr, "dagrun run: %s\n", err.text[0] ? err.text : "failed");
        goto out;
    }
    if (dr_run_journal_note(run)[0] != '\0')
        fprintf(stderr, "dagrun run: note: %s\n", dr_run_journal_note(run));
    /* The tasks have ended: from here a signal waits until trace.json and
     * summary.json are written, and then stops the pictures. */
    draw_guard_hold_signals();
    int status = dr_run_status(run);
    code = status == 0          ? DR_EXIT_OK
           : status == DR_EINTR ? DR_EXIT_INTERRUPTED
                                : DR_EXIT_FAILED;
    if (run->stop_signal != 0)
        fprintf(stderr, "dagrun run: interrupted by %s\n",
                signal_words(run->stop_signal));
    /* One computation of the metrics for the printed summary, the file,
     * the pictures and -q's failure lines (sweeps over every attempt and
     * task: seconds at 10,000,000 tasks, not worth repeating). */
    summary = dr__run_summary_print(run, a.quiet ? NULL : stdout);
    if (summary == NULL) {
        fprintf(stderr, "dagrun run: out of memory for the summary\n");
        if (code == DR_EXIT_OK)
            code = DR_EXIT_FAILED;
        goto out;
    }
    if (a.quiet && status != 0)
        run_results_print_failures(summary);
    run_folder_keep_modes(&lock); /* chmod 600 summary.json stays */
    if (write_outputs(run, summary, &a, outdir) != 0 && code == DR_EXIT_OK)
        code = DR_EXIT_FAILED;
    /* The summary and the files' names are on screen before the pictures
     * are drawn, even when stdout is a pipe. */
    fflush(stdout);
    int drawn = draw_guarded(run, summary, g, &a, outdir);
    if (drawn > 0) {
        fprintf(stderr,
                "dagrun run: interrupted by %s while drawing the pictures: "
                "%s; trace.json and summary.json are complete, the pictures "
                "were not written\n",
                signal_words(drawn),
                run->stop_signal != 0 ? "the run had already been stopped"
                                      : "the tasks had ended (none was "
                                        "interrupted)");
        code = DR_EXIT_INTERRUPTED;
        goto out;
    }
    if (drawn != 0 && code == DR_EXIT_OK)
        code = DR_EXIT_FAILED;
    if (!a.quiet || a.nkeys > 0) {
        if (!a.quiet)
            printf("\n");
        run_results_print(run, g, a.keys, a.nkeys, a.quiet, tmplogs == NULL);
    }
    fflush(stdout);
out:
    run_folder_release(&lock);
    if (tmplogs != NULL)
        dr__logs_remove(g, tmplogs);
    json_decref(summary);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
    cli_params_free(&a.params);
    free(a.keys);
    free(a.sets);
    free(a.plugins);
    free(set_names);
    free(name);
    free(outdir);
    free(outdir_abs);
    free(journal);
    free(logs);
    free(tmplogs);
    return code;
}
