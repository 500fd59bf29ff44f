/* dagrun validate GRAPH: load, check, print a one-line summary. */
#include "cli.h"
#include "graph_internal.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
    "Usage: dagrun validate GRAPH [--set NAME=VALUE ...] [--format FMT]\n"
    "\n"
    "Loads GRAPH (dagrun JSON, STG or WfCommons; see docs/graph-format.md),\n"
    "checks it (syntax, types, ids, dependencies, cycles, ops, templates)\n"
    "and prints a one-line summary.  Errors name file:line:column and the\n"
    "task.  A graph that cannot be analysed (costs adding up to more than\n"
    "the largest double) is refused as analyze and run refuse it.\n"
    "\n"
    "Options:\n"
    "  -s, --set NAME=VALUE  override a graph parameter (repeatable)\n"
    "  -f, --format FMT      auto (default), json, stg or wfcommons\n"
    "  -h, --help            show this text\n"
    "\n"
    "Limits (docs/graph-format.md): a graph file of at most 1 GiB, 10,000,000\n"
    "tasks and 100,000,000 dependencies; DAGRUN_MAX_GRAPH_BYTES,\n"
    "DAGRUN_MAX_TASKS and DAGRUN_MAX_DEPS raise them (e.g. =4G, =50000000).\n"
    "\n";

int cmd_validate(int argc, char **argv) {
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_params params = {0};
    dr_format format = DR_FORMAT_AUTO;
    int c, rc = DR_EXIT_OK;
    optind = 1;
    static const char shortopts[] = "s:f:h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 's':
            if ((rc = cli_params_add(&params, "validate", optarg)) != 0)
                goto out;
            break;
        case 'f':
            if ((rc = cli_parse_format("validate", optarg, &format)) != 0)
                goto out;
            break;
        case 'h':
            printf("%s%s", usage_text, cli_exit_codes_no_tasks);
            goto out;
        default:
            rc = cli_option_error("validate", argc, argv, shortopts, longopts);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("validate", "expected one GRAPH file");
        goto out;
    }
    const char *path = argv[optind];
    dr_graph *g = cli_load_graph(path, format, &params, NULL);
    if (g == NULL) {
        rc = DR_EXIT_USAGE;
        goto out;
    }
    /* A graph that analyze and run refuse is not "ok": costs that add up
     * to more than DBL_MAX leave the work, the span and every bound
     * without a value (the same error as analyze's).  That is the one
     * check of dr_analyze a loaded graph can fail, so only it runs: the
     * rest (levels, profile, the width's matching) took longer than the
     * load itself on a million tasks. */
    dr_error err;
    dr_error_clear(&err);
    if (dr__analysis_check_work(g, &err) != 0) {
        fprintf(stderr, "dagrun validate: %s%s%s\n", err.source[0] ? "" : path,
                err.source[0] ? "" : ": ", err.text);
        dr_graph_destroy(g);
        rc = DR_EXIT_USAGE;
        goto out;
    }
    size_t n = dr_graph_ntasks(g), e = dr_graph_nedges(g);
    printf("%s: ok: graph '%s', %zu task%s, %zu dependenc%s\n", path,
           dr_graph_name(g), n, n == 1 ? "" : "s", e, e == 1 ? "y" : "ies");
    dr_graph_destroy(g);
out:
    cli_params_free(&params);
    return rc;
}
