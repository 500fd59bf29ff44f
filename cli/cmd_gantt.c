/*
 * `dagrun gantt`: the Gantt timeline of a recorded run, drawn as SVG by
 * viz/gantt.c from the trace alone (plus the summary for the chain that set
 * the makespan).  Both files are read through the viz readers, which cap
 * their size and check what the chart needs, so errors name the file, the
 * event and the task.
 */
#include "cli.h"
#include "dagrun/viz.h"
#include "viz_internal.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH_MIN = 400, WIDTH_MAX = 20000, MAX_WORKERS_MAX = 1000000000 };

static int parse_width(const char *text, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
        v < WIDTH_MIN || v > WIDTH_MAX)
        return -1;
    *out = v;
    return 0;
}

static void gantt_usage(FILE *out) {
    fprintf(
        out,
        "Usage: dagrun gantt TRACE.json -o FILE.svg [options]\n"
        "\n"
        "Draws the timeline of a run from its trace.json: one row per "
        "worker (under\n--executor mpi, per rank:slot, grouped by host), one\n"
        "bar per task attempt coloured by its worker (or, with "
        "--color group,\nby its group), failed attempts hatched red, "
        "interrupted ones hatched amber,\neach worker's idle tail shaded, "
        "tooltips with task, times and wait; the\nchain of attempts that set "
        "the makespan (from the trace, or --summary)\noutlined and linked "
        "(solid: waited for a dependency, dashed: waited for a\nworker); "
        "below, the number "
        "of running tasks over time against the\nworker count (per pixel "
        "column: the mean, shaded, and the most at once, a\nline).  Bars "
        "narrower than a pixel are merged, shaded by how busy their\nworker "
        "was, and above 1000 workers a row stands for a band of workers,\n"
        "so 100,000 tasks stay readable.\n"
        "\n"
        "Options:\n"
        "  -o, --output FILE     the SVG to write (required): a name ending "
        "in .svg,\n"
        "                        or - for standard output\n"
        "  -s, --summary FILE    summary.json: its chain that set the makespan "
        "(the\n"
        "                        trace has it too) or, from older runs, the\n"
        "                        critical path\n"
        "  -g, --graph FILE      accepted for symmetry with 'viz' (the "
        "trace has\n"
        "                        everything the chart needs)\n"
        "  -w, --width PIXELS    chart width, 400 to 20000 (default 1200)\n"
        "      --no-profile      leave out the parallelism plot\n"
        "      --color WHAT      colour bars by 'worker' (default) or by "
        "'group': the\n"
        "                        task's structural group (the trace's "
        "cat), with\n"
        "                        the colours of `dagrun viz --color group`\n"
        "      --max-workers N   accept traces of up to N workers (default "
        "100000,\n"
        "                        the most 'dagrun run' uses)\n"
        "  -h, --help            show this text\n"
        "\n"
        "Limits: trace and summary files up to 512 MiB (set "
        "DAGRUN_MAX_TRACE_BYTES to\nraise it).  An attempt without ts or dur, "
        "a negative or infinite time or a\nworker beyond the limit is an "
        "error naming the file, the event and the task\n"
        "(docs/trace-format.md).\n\n%s",
        cli_exit_codes_no_tasks);
}

int cmd_gantt(int argc, char **argv) {
    enum { OPT_NO_PROFILE = 256, OPT_MAX_WORKERS, OPT_COLOR };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"summary", required_argument, NULL, 's'},
        {"graph", required_argument, NULL, 'g'},
        {"width", required_argument, NULL, 'w'},
        {"no-profile", no_argument, NULL, OPT_NO_PROFILE},
        {"color", required_argument, NULL, OPT_COLOR},
        {"max-workers", required_argument, NULL, OPT_MAX_WORKERS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *summary_path = NULL;
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    unsigned long n;
    int c;
    optind = 1;
    static const char shortopts[] = "o:s:g:w:h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 's':
            summary_path = optarg;
            break;
        case 'g':
            break;
        case 'w':
            /* One wording for every bad width: the range, both ends. */
            if (parse_width(optarg, &n) != 0)
                return cli_usage_error("gantt",
                                       "--width: expected a whole number of "
                                       "pixels from %d to %d, got '%s'",
                                       WIDTH_MIN, WIDTH_MAX, optarg);
            go.width = (int)n;
            break;
        case OPT_NO_PROFILE:
            go.profile = 0;
            break;
        case OPT_COLOR:
            if (dr_viz_color_parse(optarg, &go.color) != 0)
                return cli_usage_error(
                    "gantt", "--color: expected worker or group, got '%s'",
                    optarg);
            break;
        case OPT_MAX_WORKERS:
            if (cli_parse_uint("gantt", "--max-workers", optarg,
                               MAX_WORKERS_MAX, &n) != 0)
                return DR_EXIT_USAGE;
            go.max_workers = (int)n;
            break;
        case 'h':
            gantt_usage(stdout);
            return DR_EXIT_OK;
        default:
            return cli_option_error("gantt", argc, argv, shortopts, longopts);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("gantt", optind >= argc
                                            ? "no trace given"
                                            : "expected one trace file");
    if (output == NULL)
        return cli_usage_error("gantt", "no output: give -o FILE.svg");
    if (cli_check_output("gantt", "-o", output, CLI_OUT_GANTT, 1) != 0)
        return DR_EXIT_USAGE;
    dr_error err;
    dr_error_clear(&err);
    json_t *trace = dr__vload_trace(
        argv[optind], go.max_workers,
        go.max_workers > 0 ? "raise it with --max-workers N" : NULL, &err);
    json_t *summary = NULL;
    if (trace != NULL && summary_path != NULL)
        summary = dr__vload_summary(summary_path, &err);
    int rc = trace == NULL || (summary_path != NULL && summary == NULL)
                 ? err.code
                 : 0;
    char *svg = NULL;
    size_t len = 0;
    if (rc == 0 &&
        (rc = dr_viz_gantt_svg(trace, summary, &go, &svg, &len, &err)) == 0)
        rc = cli_write_output(output, svg, len, &err);
    free(svg);
    if (rc != 0)
        fprintf(stderr, "dagrun gantt: %s\n", err.text);
    json_decref(trace);
    json_decref(summary);
    /* Every error exits 2, an output that cannot be written included: 1
     * means "a task failed" and only `dagrun run` returns it. */
    return rc == 0 ? DR_EXIT_OK : DR_EXIT_USAGE;
}
