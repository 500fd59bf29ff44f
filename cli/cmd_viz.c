/*
 * `dagrun viz`: draw a graph with Graphviz, before a run or, with --trace,
 * as it ran; and, with --report, write the HTML run report.  All drawing is
 * in viz/ (include/dagrun/viz.h); this file only parses options and loads
 * the inputs.
 */
#include "cli.h"
#include "dagrun/viz.h"
#include "viz_internal.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void viz_usage(FILE *out) {
    fprintf(
        out,
        "Usage: dagrun viz GRAPH -o FILE [options]\n"
        "       dagrun viz GRAPH --trace TRACE.json --report FILE.html\n"
        "                  [--summary SUMMARY.json]\n"
        "\n"
        "Draws GRAPH with Graphviz (dot layout).  The format of -o follows "
        "its\n"
        "extension: .svg, .png, .pdf or .dot.  Before a run, nodes show key, "
        "op and\n"
        "cost, and the critical path by cost is bold red.  With --trace (a "
        "trace.json\n"
        "from `dagrun run`), nodes are filled with the colour of their worker "
        "and\n"
        "show measured durations; failed tasks are pink octagons, skipped "
        "ones (a\n"
        "dependency failed) grey and dashed, those that never started (the "
        "run\n"
        "stopped first) white and dotted, the measured critical path bold "
        "red.\n"
        "SVG tooltips give worker, start, end and wait.\n"
        "\n"
        "Only the edges that no other path implies are drawn (the legend says "
        "how\n"
        "many are hidden); wide levels wrap over several rows.  Graphs above "
        "the\n"
        "collapse threshold, or whose layout would take longer than the time "
        "budget,\n"
        "are drawn one node per structural group (map-0 ... map-999 become\n"
        "\"map-* \xC3\x97"
        "1000\", layer-3-0 ... layer-3-99 \"layer-3-* \xC3\x97"
        "100\"; keys without\n"
        "useful numbers by depth level), edges labelled with dependency "
        "counts.\n"
        "\n"
        "Options:\n"
        "  -o, --output FILE           picture to write, format by extension: "
        ".svg\n"
        "                              .png .pdf .dot (also .gv .jpg .json); "
        "-\n"
        "                              writes SVG to standard output\n"
        "  -t, --trace FILE            draw the run recorded in this trace\n"
        "  -s, --summary FILE          the run's summary.json (for --report)\n"
        "  -r, --report FILE           write the HTML run report (needs "
        "--trace):\n"
        "                              .html or .htm, or - for standard "
        "output\n"
        "      --set NAME=VALUE        override a graph parameter\n"
        "      --collapse              always group tasks\n"
        "      --no-collapse           never group, however long the layout "
        "takes\n"
        "                              (refused above 5,000 tasks; .dot is "
        "always\n"
        "                              allowed)\n"
        "      --collapse-threshold N  group above N tasks (default 300)\n"
        "      --time-budget S         seconds the layout may take, as "
        "predicted\n"
        "                              before Graphviz runs (default 1.5; 0: "
        "no\n"
        "                              budget); above it tasks are grouped\n"
        "                              (coarser) and stderr says so\n"
        "      --color WHAT            colour tasks by 'worker' (the default "
        "with\n"
        "                              a trace) or by 'group' (the colours of\n"
        "                              `dagrun gantt --color group`)\n"
        "      --rankdir TB|LR         top-to-bottom (default) or "
        "left-to-right\n"
        "      --no-legend             leave the legend out\n"
        "  -h, --help                  show this text\n"
        "\n"
        "A trace of another graph (none of its tasks in GRAPH) is an error; a "
        "trace\n"
        "whose graph name differs but whose tasks match gives a warning.  "
        "Every\n"
        "error of this command, an output that cannot be written included, "
        "exits 2.\n"
        "\n%s",
        cli_exit_codes_no_tasks);
}

/* The trace or the summary, through the viz readers: size-capped and
 * checked, so a bad file is refused here with its name, the event and the
 * task, before anything is drawn. */
static json_t *load_json(const char *what, const char *path) {
    dr_error err;
    dr_error_clear(&err);
    json_t *j = strcmp(what, "the trace") == 0
                    ? dr__vload_trace(path, 0, NULL, &err)
                    : dr__vload_summary(path, &err);
    if (j == NULL)
        fprintf(stderr, "dagrun viz: %s\n", err.text);
    return j;
}

/* A picture drawn otherwise than asked, to keep within the time budget;
 * said once even when -o and --report both draw the graph. */
static void print_note(const char *line, void *user_data) {
    char *last = user_data;
    if (strncmp(last, line, 511) == 0)
        return;
    snprintf(last, 512, "%s", line);
    fprintf(stderr, "dagrun viz: note: %s\n", line);
}

/* The task graph to `path` (format by extension) or, for "-", as SVG to
 * standard output (as SVG too to /dev/null, a FIFO: cli_output_is_stream). */
static int write_graph(const dr_graph *g, const json_t *trace,
                       const dr_viz_options *vo, const char *path,
                       dr_error *err) {
    if (strcmp(path, "-") != 0 && !cli_output_is_stream(path))
        return dr_viz_write(g, trace, vo, path, err);
    char *svg = NULL;
    size_t len;
    int rc = dr_viz_render(g, trace, vo, "svg", &svg, &len, err);
    if (rc == 0)
        rc = cli_write_output(path, svg, len, err);
    free(svg);
    return rc;
}

static int write_report(const dr_graph *g, const json_t *trace,
                        const json_t *summary, const dr_viz_options *vo,
                        const char *path, dr_error *err) {
    char *html = NULL;
    size_t len;
    int rc = dr_viz_report_html(g, trace, summary, vo, &html, &len, err);
    if (rc == 0)
        rc = cli_write_output(path, html, len, err);
    free(html);
    return rc;
}

int cmd_viz(int argc, char **argv) {
    enum {
        OPT_SET = 256,
        OPT_COLLAPSE,
        OPT_NO_COLLAPSE,
        OPT_THRESHOLD,
        OPT_RANKDIR,
        OPT_NO_LEGEND,
        OPT_TIME_BUDGET,
        OPT_COLOR
    };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"trace", required_argument, NULL, 't'},
        {"summary", required_argument, NULL, 's'},
        {"report", required_argument, NULL, 'r'},
        {"set", required_argument, NULL, OPT_SET},
        {"collapse", no_argument, NULL, OPT_COLLAPSE},
        {"no-collapse", no_argument, NULL, OPT_NO_COLLAPSE},
        {"collapse-threshold", required_argument, NULL, OPT_THRESHOLD},
        {"rankdir", required_argument, NULL, OPT_RANKDIR},
        {"no-legend", no_argument, NULL, OPT_NO_LEGEND},
        {"time-budget", required_argument, NULL, OPT_TIME_BUDGET},
        {"color", required_argument, NULL, OPT_COLOR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *trace_path = NULL, *summary_path = NULL,
               *report = NULL;
    cli_params params = {0};
    dr_viz_options vo;
    dr_viz_options_init(&vo);
    int c, rc = DR_EXIT_USAGE;
    unsigned long n;
    optind = 1;
    static const char shortopts[] = "o:t:s:r:h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 't':
            trace_path = optarg;
            break;
        case 's':
            summary_path = optarg;
            break;
        case 'r':
            report = optarg;
            break;
        case OPT_SET:
            if (cli_params_add(&params, "viz", optarg) != 0)
                goto out;
            break;
        case OPT_COLLAPSE:
            vo.collapse = DR_VIZ_COLLAPSE_ALWAYS;
            break;
        case OPT_NO_COLLAPSE:
            vo.collapse = DR_VIZ_COLLAPSE_NEVER;
            break;
        case OPT_THRESHOLD:
            if (cli_parse_uint("viz", "--collapse-threshold", optarg,
                               100000000UL, &n) != 0)
                goto out;
            vo.collapse_threshold = n;
            break;
        case OPT_RANKDIR:
            if (strcasecmp(optarg, "TB") != 0 &&
                strcasecmp(optarg, "LR") != 0) {
                cli_usage_error("viz", "--rankdir: expected TB or LR, got '%s'",
                                optarg);
                goto out;
            }
            vo.rankdir = optarg;
            break;
        case OPT_NO_LEGEND:
            vo.legend = 0;
            break;
        case OPT_TIME_BUDGET: {
            double d;
            if (cli_parse_double("viz", "--time-budget", optarg, &d) != 0)
                goto out;
            if (d < 0) {
                cli_usage_error("viz",
                                "--time-budget: expected seconds (0 "
                                "for no budget), got '%s'",
                                optarg);
                goto out;
            }
            vo.time_budget = d == 0 ? -1 : d;
            break;
        }
        case OPT_COLOR:
            if (dr_viz_color_parse(optarg, &vo.color) != 0) {
                cli_usage_error("viz",
                                "--color: expected worker or group, got '%s'",
                                optarg);
                goto out;
            }
            break;
        case 'h':
            viz_usage(stdout);
            rc = DR_EXIT_OK;
            goto out;
        default:
            cli_option_error("viz", argc, argv, shortopts, longopts);
            goto out;
        }
    }
    if (optind != argc - 1) {
        cli_usage_error("viz", optind >= argc ? "no graph given"
                                              : "expected one graph file");
        goto out;
    }
    if (output == NULL && report == NULL) {
        cli_usage_error("viz",
                        "nothing to write: give -o FILE or --report FILE");
        goto out;
    }
    if (report != NULL && trace_path == NULL) {
        cli_usage_error("viz", "--report needs --trace TRACE.json");
        goto out;
    }
    /* Each output's name is checked before anything is loaded: a format
     * the writer gives, or "-" for standard output (one of them). */
    if ((output != NULL &&
         cli_check_output("viz", "-o", output, CLI_OUT_GRAPH, 1) != 0) ||
        (report != NULL &&
         cli_check_output("viz", "--report", report, CLI_OUT_REPORT, 1) != 0))
        goto out;
    if (output != NULL && report != NULL && strcmp(output, "-") == 0 &&
        strcmp(report, "-") == 0) {
        cli_usage_error("viz", "-o - and --report -: only one of them can "
                               "go to standard output");
        goto out;
    }
    if (vo.color == DR_VIZ_COLOR_WORKER && trace_path == NULL) {
        cli_usage_error("viz", "--color worker needs --trace TRACE.json: "
                               "before a run no task has a worker");
        goto out;
    }
    char last_note[512] = "";
    vo.note = print_note;
    vo.note_data = last_note;
    json_t *trace = NULL, *summary = NULL;
    dr_graph *g = cli_load_graph(argv[optind], DR_FORMAT_AUTO, &params, NULL);
    if (g == NULL)
        goto out;
    if (trace_path && (trace = load_json("the trace", trace_path)) == NULL)
        goto done;
    if (summary_path &&
        (summary = load_json("the summary", summary_path)) == NULL)
        goto done;
    /* Every error here exits 2, an output that cannot be written included:
     * 1 means "a task failed" and only `dagrun run` returns it. */
    dr_error err;
    dr_error_clear(&err);
    if (output != NULL && write_graph(g, trace, &vo, output, &err) != 0) {
        fprintf(stderr, "dagrun viz: %s\n", err.text);
        goto done;
    }
    if (report != NULL &&
        write_report(g, trace, summary, &vo, report, &err) != 0) {
        fprintf(stderr, "dagrun viz: %s\n", err.text);
        goto done;
    }
    /* A trace of no task of the graph is refused above; one whose graph
     * name differs but whose tasks match (a renamed or edited graph) is
     * drawn, with a warning. */
    const char *tname = json_string_value(
        json_object_get(json_object_get(trace, "otherData"), "graph"));
    if (tname != NULL && tname[0] != '\0' &&
        strcmp(tname, dr_graph_name(g)) != 0)
        fprintf(stderr,
                "dagrun viz: warning: %s is a trace of graph '%s', drawn on "
                "graph '%s' (its tasks match)\n",
                trace_path, tname, dr_graph_name(g));
    rc = DR_EXIT_OK;
done:
    json_decref(trace);
    json_decref(summary);
    dr_graph_destroy(g);
out:
    cli_params_free(&params);
    return rc;
}
