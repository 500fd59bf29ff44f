/*
 * dagrun's entry point: a table of subcommands (git.c's cmd_struct).  A first
 * argument that is not a subcommand but names a file runs it, so
 * `dagrun graph.json --workers 4` is `dagrun run graph.json --workers 4`.
 */
#include "cli.h"

#include <errno.h>
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
};

static void usage(FILE *out) {
    fprintf(out,
            "Usage: dagrun [GRAPH] [run options]\n"
            "       dagrun COMMAND [options]\n"
            "\n"
            "A task-graph scheduler with a DAG visualiser.  GRAPH is a dagrun "
            "JSON file,\nan STG file (.stg) or a WfCommons trace.\n"
            "\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n'dagrun COMMAND --help' describes a command.\n"
            "  --help       show this text\n"
            "  --version    show the version\n\n%s",
            cli_exit_codes_help);
}

/* Edit distance, for "did you mean"; names are short. */
static size_t distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    size_t d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] =
                sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* getopt names the program by argv[0] in its messages: make that
 * "dagrun run" rather than "run". */
static int dispatch(const cli_command *c, int argc, char **argv) {
    char name[64];
    snprintf(name, sizeof(name), "dagrun %s", c->name);
    argv[0] = name;
    return c->fn(argc, argv);
}

int main(int argc, char **argv) {
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
    if (first[0] != '-' && (stat(first, &st) == 0 || strcmp(first, "-") == 0))
        /* `dagrun graph.json ...` runs the graph. */
        return dispatch(&commands[0], argc, argv);
    if (first[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", first);
    for (size_t i = 0; i < ncommands; i++)
        if (distance(first, commands[i].name) <= 2)
            return cli_usage_error(NULL,
                                   "unknown command '%s' (did you mean "
                                   "'%s'?)",
                                   first, commands[i].name);
    if (strchr(first, '.') != NULL || strchr(first, '/') != NULL)
        return cli_usage_error(NULL, "cannot read graph '%s': %s", first,
                               strerror(errno));
    return cli_usage_error(NULL, "'%s' is neither a command nor a graph file",
                           first);
}
