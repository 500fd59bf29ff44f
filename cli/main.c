/*
 * dagrun's entry point: a table of subcommands (git.c's cmd_struct).  A first
 * argument that is not a subcommand but names a file runs it, so
 * `dagrun graph.json --workers 4` is `dagrun run graph.json --workers 4`.
 */
#include "cli.h"
#include "graph_internal.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"run", cmd_run, "run a graph on a worker pool, or simulate it"},
    {"analyze", cmd_analyze, "work, span, critical path, width, profile"},
    {"validate", cmd_validate, "check a graph and print a one-line summary"},
    {"convert", cmd_convert, "convert STG / WfCommons / JSON to dagrun JSON"},
    {"gen", cmd_gen, "generate a synthetic graph (chain, cholesky, ...)"},
    {"viz", cmd_viz, "draw a graph (DOT, SVG, PNG, PDF)"},
    {"gantt", cmd_gantt, "draw a Gantt timeline from a trace"},
    {"scale", cmd_scale, "strong / weak scaling experiment and report"},
    {"log", cmd_log, "list what the runs kept in a journal did"},
};

static void usage(FILE *out) {
    fprintf(out,
            "Usage: dagrun [GRAPH] [run options]\n"
            "       dagrun COMMAND [options]\n"
            "\n"
            "A task-graph scheduler with a DAG visualiser.  GRAPH is a dagrun "
            "JSON file,\nan STG file (.stg), a WfCommons trace, or (for run) "
            "gen:SHAPE for a graph\n'dagrun gen' makes, in memory.\n"
            "\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n'dagrun COMMAND --help' describes a command.\n"
            "\nOptions:\n"
            "  -h, --help     show this text\n"
            "      --version  show the version\n\n%s",
            cli_exit_codes_all);
}

/*
 * What was printed on standard output must have reached it: `analyze
 * --json > file` under a file-size limit or on a full disk says so and
 * fails rather than leave a cut file behind an exit code of 0.  A reader
 * that closed the pipe early (`| head`) chose to stop reading: that is not
 * reported (SIGPIPE is ignored, so this is where `| head` ends quietly).
 */
static int check_stdout(const char *name, int rc) {
    errno = 0;
    int failed = fflush(stdout) != 0;
    failed |= ferror(stdout) != 0;
    /* A command that failed has said why (gen and analyze say it for
     * their standard output themselves). */
    if (!failed || errno == EPIPE || rc != DR_EXIT_OK)
        return rc;
    fprintf(stderr, "%s: cannot write standard output: %s\n", name,
            errno != 0 ? strerror(errno) : "a write failed");
    /* run and scale say "an output could not be written" with 1. */
    return strcmp(name, "dagrun run") == 0 || strcmp(name, "dagrun scale") == 0
               ? DR_EXIT_FAILED
               : DR_EXIT_USAGE;
}

/* getopt names the program by argv[0] in its messages: make that
 * "dagrun run" rather than "run". */
static int dispatch(const cli_command *c, int argc, char **argv) {
    char name[64];
    snprintf(name, sizeof(name), "dagrun %s", c->name);
    argv[0] = name;
    return check_stdout(name, c->fn(argc, argv));
}

int main(int argc, char **argv) {
    /* Every subcommand reports its option errors itself, in one line
     * (cli_option_error): getopt_long must not print its own. */
    opterr = 0;
    /* A closed pipe or a file-size limit (ulimit -f) must not kill dagrun
     * half-way through an output: the write fails (EPIPE, EFBIG), the error
     * names the file and the temporary file is removed.  Every command,
     * set once here; commands that run tasks start them with the default
     * dispositions (uv_spawn resets them). */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return DR_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 ||
        strcmp(first, "help") == 0) {
        usage(stdout);
        return DR_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("dagrun %s\n", DAGRUN_VERSION_STRING);
        return DR_EXIT_OK;
    }
    size_t ncommands = sizeof(commands) / sizeof(commands[0]);
    for (size_t i = 0; i < ncommands; i++)
        if (strcmp(first, commands[i].name) == 0)
            return dispatch(&commands[i], argc - 1, argv + 1);
    struct stat st;
    if (first[0] != '-' &&
        (stat(first, &st) == 0 || strcmp(first, "-") == 0 ||
         strncmp(first, CLI_GEN_PREFIX, strlen(CLI_GEN_PREFIX)) == 0))
        /* `dagrun graph.json ...` runs the graph (`dagrun gen:SHAPE ...`
         * a generated one). */
        return dispatch(&commands[0], argc, argv);
    const char *near[2];
    if (first[0] == '-') {
        /* A slip in dagrun's own options, or run's options before the
         * graph (`dagrun -w 4 graph.json`), which run parses. */
        static const char *const own[] = {"help", "version"};
        if (strncmp(first, "--", 2) != 0 ||
            dr__suggest(first + 2, own, 2, near, 1) == 0)
            return dispatch(&commands[0], argc, argv);
        fprintf(stderr, "dagrun: unknown option '%s' (did you mean '--%s'?)\n",
                first, near[0]);
        return DR_EXIT_USAGE;
    }
    const char *names[sizeof(commands) / sizeof(commands[0])];
    for (size_t i = 0; i < ncommands; i++)
        names[i] = commands[i].name;
    size_t n = dr__suggest(first, names, ncommands, near, 2);
    if (n > 0) {
        /* One line, as for options: the suggestion is the hint. */
        fprintf(stderr,
                "dagrun: unknown command '%s' (did you mean '%s'%s%s%s?)\n",
                first, near[0], n > 1 ? " or '" : "", n > 1 ? near[1] : "",
                n > 1 ? "'" : "");
        return DR_EXIT_USAGE;
    }
    if (strchr(first, '.') != NULL || strchr(first, '/') != NULL)
        return cli_usage_error(NULL, "cannot read graph '%s': %s", first,
                               strerror(errno));
    return cli_usage_error(NULL, "'%s' is neither a command nor a graph file",
                           first);
}
