/*
 * `dagrun gantt`: the Gantt timeline of a recorded run, drawn as SVG by
 * viz/gantt.c from the trace alone (plus the summary for the critical path).
 */
#include "cli.h"
#include "dagrun/viz.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH_MIN = 400, WIDTH_MAX = 20000 };

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
        "worker, one\nbar per task attempt coloured by its worker, failed "
        "attempts hatched red,\neach worker's idle tail shaded, tooltips "
        "with task, times and wait; below,\nthe number of running tasks over "
        "time against the worker count.  Bars\nnarrower than a pixel are "
        "merged, so 100,000 tasks stay readable.\n"
        "\n"
        "Options:\n"
        "  -o, --output FILE     the SVG to write (required)\n"
        "  -s, --summary FILE    summary.json: outline the critical path\n"
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
        "  -h, --help            show this text\n\n%s",
        cli_exit_codes_help);
}

int cmd_gantt(int argc, char **argv) {
    enum { OPT_NO_PROFILE = 256, OPT_COLOR };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"summary", required_argument, NULL, 's'},
        {"graph", required_argument, NULL, 'g'},
        {"width", required_argument, NULL, 'w'},
        {"no-profile", no_argument, NULL, OPT_NO_PROFILE},
        {"color", required_argument, NULL, OPT_COLOR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *summary_path = NULL;
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    unsigned long n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:g:w:h", longopts, NULL)) != -1) {
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
        case 'h':
            gantt_usage(stdout);
            return DR_EXIT_OK;
        default:
            return cli_usage_error("gantt", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("gantt", optind >= argc
                                            ? "no trace given"
                                            : "expected one trace file");
    if (output == NULL)
        return cli_usage_error("gantt", "no output: give -o FILE.svg");
    json_error_t je;
    json_t *trace = json_load_file(argv[optind], 0, &je), *summary = NULL;
    if (trace == NULL) {
        fprintf(stderr, "dagrun gantt: %s:%d:%d: %s\n", argv[optind], je.line,
                je.column, je.text);
        return DR_EXIT_USAGE;
    }
    if (summary_path != NULL &&
        (summary = json_load_file(summary_path, 0, &je)) == NULL) {
        fprintf(stderr, "dagrun gantt: %s:%d:%d: %s\n", summary_path, je.line,
                je.column, je.text);
        json_decref(trace);
        return DR_EXIT_USAGE;
    }
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_viz_gantt_write(trace, summary, &go, output, &err);
    if (rc != 0)
        fprintf(stderr, "dagrun gantt: %s%s%s\n",
                rc == DR_EINVAL ? argv[optind] : "",
                rc == DR_EINVAL ? ": " : "", err.text);
    json_decref(trace);
    json_decref(summary);
    /* Every error exits 2, an output that cannot be written included: 1
     * means "a task failed" and only `dagrun run` returns it. */
    return rc == 0 ? DR_EXIT_OK : DR_EXIT_USAGE;
}
