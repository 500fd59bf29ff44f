/*
 * `dagrun gen SHAPE`: builds a synthetic graph with dr_generate() and prints
 * it as dagrun JSON, or writes it atomically with -o.  Everything about the
 * shapes (parameters, defaults, the size cap) lives in graph/generate.c; this
 * file only turns options into a call.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void gen_usage(FILE *out) {
    fprintf(
        out,
        "Usage: dagrun gen SHAPE [--set NAME=VALUE ...] [--seed S] "
        "[--op OP]\n"
        "                  [--compact] [-o FILE]\n"
        "\n"
        "Generates a synthetic task graph and prints it as dagrun JSON "
        "(or writes\nFILE atomically).  The same options always give "
        "the same graph.  To run or\nsimulate it without a file (and "
        "without the cap on a file's bytes), write\nit as dagrun run's "
        "GRAPH: dagrun run gen:SHAPE --set NAME=VALUE ... --simulate\n"
        "\n"
        "Options:\n"
        "      --set NAME=VALUE  set a shape parameter (repeatable; VALUE "
        "may be\n"
        "                        an integer expression such as 4*16, "
        "or a\n"
        "                        word: --set pattern=stencil_1d)\n"
        "      --seed S          seed of the random shapes (default 1)\n"
        "      --op OP           builtin op the tasks run (default noop; "
        "compute\n"
        "                        for taskbench); sleep and spin last as "
        "long as\n"
        "                        the task's cost\n"
        "      --compact         print JSON on one line\n"
        "  -o, --output FILE     write FILE instead of standard output\n"
        "  -h, --help            show this text\n"
        "\n"
        "%s\n"
        "Examples:\n"
        "  dagrun gen cholesky --set t=8 -o cholesky8.json\n"
        "  dagrun gen layered --set layers=20 --set width=50 --seed 7\n"
        "  dagrun gen map-reduce --set n=64 --set unit=10 --op sleep "
        "-o mr.json\n"
        "  dagrun gen taskbench --set pattern=fft --set steps=1000 -o tb.json\n"
        "\n%s",
        dr_generator_help(), cli_exit_codes_no_tasks);
}

int cmd_gen(int argc, char **argv) {
    static const struct option options[] = {
        {"set", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"op", required_argument, NULL, 'p'},
        {"compact", no_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_params params = {0};
    uint64_t seed = 1;
    const char *op = NULL, *output = NULL;
    int compact = 0, rc = DR_EXIT_USAGE, c;
    dr_graph *g = NULL;

    optind = 1; /* main may run several subcommands in tests */
    static const char shortopts[] = "ho:";
    while ((c = cli_getopt(argc, argv, shortopts, options)) != -1) {
        switch (c) {
        case 's':
            /* NAME=WORD (taskbench's pattern=fft) is looked up once the
             * shape is known (cli_generate). */
            if (cli_params_add_gen(&params, "gen", optarg) != 0)
                goto out;
            break;
        case 'S':
            if (cli_parse_seed("gen", "--seed", optarg, 0, &seed) != 0)
                goto out;
            break;
        case 'p':
            op = optarg;
            break;
        case 'c':
            compact = 1;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            gen_usage(stdout);
            rc = DR_EXIT_OK;
            goto out;
        default:
            rc = cli_option_error("gen", argc, argv, shortopts, options);
            goto out;
        }
    }
    if (optind >= argc) {
        rc = cli_usage_error("gen", "which shape? (chain, fork-join, "
                                    "map-reduce, tree, stencil, layered, "
                                    "cholesky, taskbench)");
        goto out;
    }
    if (optind + 1 < argc) {
        rc = cli_usage_error("gen", "unexpected argument '%s'",
                             argv[optind + 1]);
        goto out;
    }

    g = cli_generate("gen", argv[optind], &params, seed, op, 1);
    if (g == NULL)
        goto out;
    dr_error err;
    dr_error_clear(&err);
    if (output != NULL) {
        if (dr_graph_save(g, output, &err) != 0) {
            fprintf(stderr, "dagrun gen: %s\n", err.text);
            goto out;
        }
        rc = DR_EXIT_OK;
        goto out;
    }
    /* Streamed one task at a time and capped at the byte limit on graph
     * files, so no parameters can make gigabytes; fine for millions of
     * tasks. */
    dr_save_options so = {0};
    so.compact = compact;
    size_t len;
    char *text = dr_graph_to_text_opts(g, &so, &len, &err);
    if (text == NULL) {
        fprintf(stderr, "dagrun gen: %s\n", err.text);
        goto out;
    }
    int bad = fwrite(text, 1, len, stdout) != len;
    free(text);
    bad |= fflush(stdout) != 0;
    if (bad) {
        if (errno != EPIPE) /* `| head` stopped reading: not reported */
            fprintf(stderr, "dagrun gen: cannot write to standard output: %s\n",
                    strerror(errno));
        rc = DR_EXIT_USAGE;
        goto out;
    }
    rc = DR_EXIT_OK;
out:
    dr_graph_destroy(g);
    cli_params_free(&params);
    return rc;
}
