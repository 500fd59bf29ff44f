/* dagrun convert IN -o OUT.json: any graph format to dagrun's JSON. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
    "Usage: dagrun convert GRAPH -o OUT.json [--format FMT] [--set "
    "NAME=VALUE ...]\n"
    "\n"
    "Loads GRAPH (dagrun JSON, STG or WfCommons; see docs/graph-format.md),\n"
    "checks it, and writes it as dagrun JSON with every template expanded\n"
    "(one task a line).  Parameters set with --set are applied first and\n"
    "recorded in the output's \"params\".  The output is written atomically,\n"
    "with the umask's permissions (a replaced file keeps its own), and never\n"
    "past the byte limit below, so it always loads back.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE     where to write (required)\n"
    "  -f, --format FMT      input format: auto (default), json, stg or\n"
    "                        wfcommons\n"
    "  -s, --set NAME=VALUE  override a graph parameter (repeatable)\n"
    "  -h, --help            show this text\n"
    "\n"
    "Example:\n"
    "  dagrun convert tests/data/stg/rand0000.stg -o rand0000.json\n"
    "\n"
    "Limits (docs/graph-format.md): a graph file of at most 1 GiB, 10,000,000\n"
    "tasks and 100,000,000 dependencies; DAGRUN_MAX_GRAPH_BYTES,\n"
    "DAGRUN_MAX_TASKS and DAGRUN_MAX_DEPS raise them (e.g. =4G, =50000000).\n"
    "\n";

int cmd_convert(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_params params = {0};
    dr_format format = DR_FORMAT_AUTO;
    const char *output = NULL;
    int c, rc = DR_EXIT_OK;
    optind = 1;
    static const char shortopts[] = "o:f:s:h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'f':
            if ((rc = cli_parse_format("convert", optarg, &format)) != 0)
                goto out;
            break;
        case 's':
            if ((rc = cli_params_add(&params, "convert", optarg)) != 0)
                goto out;
            break;
        case 'h':
            printf("%s%s", usage_text, cli_exit_codes_no_tasks);
            goto out;
        default:
            rc = cli_option_error("convert", argc, argv, shortopts, longopts);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("convert", "expected one GRAPH file");
        goto out;
    }
    if (output == NULL) {
        rc = cli_usage_error("convert", "missing -o OUT.json");
        goto out;
    }
    const char *input = argv[optind];
    dr_graph *g = cli_load_graph(input, format, &params, NULL);
    if (g == NULL) {
        rc = DR_EXIT_USAGE;
        goto out;
    }
    dr_error err;
    dr_error_clear(&err);
    if (dr_graph_save(g, output, &err) != 0) {
        fprintf(stderr, "dagrun convert: %s\n", err.text);
        rc = DR_EXIT_USAGE; /* an unwritable -o is a usage error */
    } else {
        size_t n = dr_graph_ntasks(g), e = dr_graph_nedges(g);
        printf("wrote %s: graph '%s', %zu task%s, %zu dependenc%s (dagrun "
               "JSON)\n",
               output, dr_graph_name(g), n, n == 1 ? "" : "s", e,
               e == 1 ? "y" : "ies");
    }
    dr_graph_destroy(g);
out:
    cli_params_free(&params);
    return rc;
}
