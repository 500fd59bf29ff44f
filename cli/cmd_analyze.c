/*
 * dagrun analyze GRAPH: work, span, parallelism, width, critical path,
 * profile and makespan lower bounds, explained in plain words (or as JSON
 * with --json).  All numbers come from dr_analyze(); this file only prints.
 */
#include "cli.h"
#include "graph_internal.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: dagrun analyze GRAPH [--json] [--levels] [--set NAME=VALUE ...]\n"
    "                            [--format FMT] [--exact-limit N]\n"
    "\n"
    "Analyses GRAPH (dagrun JSON, STG or WfCommons) with unlimited workers:\n"
    "  work T1     the sum of task costs (the time one worker needs),\n"
    "  span T∞     the length of the critical path (no number of workers\n"
    "              can finish sooner), and the critical path itself\n"
    "              (of equally long paths, the one with the most tasks,\n"
    "              then the first: the path `dagrun viz` draws in red),\n"
    "  T1/T∞       the average parallelism: the best possible speedup,\n"
    "  width       the most tasks that can ever run at once (the largest set\n"
    "              of tasks no two of which depend on each other), exact up\n"
    "              to --exact-limit tasks and a labelled bound above,\n"
    "  profile     how many tasks run at each moment when every task starts\n"
    "              as early as it can,\n"
    "  bounds      the makespan lower bound max(T∞, T1/P) for P workers.\n"
    "A task without a cost counts as the simulator takes it: a sleep its\n"
    "ms / 1000, a spin its units / 1000, any other task 1.\n"
    "\n"
    "Options:\n"
    "  -j, --json            print the analysis as one JSON object\n"
    "  -l, --levels          also list every task's top level (earliest\n"
    "                        start) and bottom level (longest path from its\n"
    "                        start to the end, its own cost included)\n"
    "  -s, --set NAME=VALUE  override a graph parameter (repeatable)\n"
    "  -f, --format FMT      auto (default), json, stg or wfcommons\n"
    "  -x, --exact-limit N   compute the width exactly up to N tasks\n"
    "                        (default 20000)\n"
    "  -h, --help            show this text\n"
    "\n";

/* A cost or time for the reader: at most 10 significant digits (--json
 * has every digit that reads back exactly). */
static const char *num(char *buf, size_t size, double x) {
    snprintf(buf, size, "%.10g", x);
    return buf;
}

#define PATH_HEAD 6 /* tasks shown at each end of a long critical path */

static void print_critical_path(const dr_analysis *a, const dr_graph *g) {
    char b[64];
    printf("Critical path (%zu task%s, length %s):\n  ", a->critical_path_len,
           a->critical_path_len == 1 ? "" : "s", num(b, sizeof(b), a->span));
    size_t len = a->critical_path_len;
    for (size_t i = 0; i < len; i++) {
        if (len > 2 * PATH_HEAD + 1 && i == PATH_HEAD) {
            printf(" -> ... (%zu more) ...", len - 2 * PATH_HEAD);
            i = len - PATH_HEAD - 1;
            continue;
        }
        printf("%s%s", i > 0 ? " -> " : "",
               dr_task_key(g, a->critical_path[i]));
    }
    printf("\n");
}

/* Tasks running at time t in the profile (step function). */
static uint32_t running_at(const dr_analysis *a, double t) {
    uint32_t r = 0;
    for (size_t i = 0; i < a->profile_len && a->profile_time[i] <= t; i++)
        r = a->profile_running[i];
    return r;
}

#define PROFILE_ROWS 16
#define BAR_WIDTH 40

static void print_bar(size_t value, size_t peak) {
    size_t w = peak > 0 ? (value * BAR_WIDTH + peak - 1) / peak : 0;
    for (size_t i = 0; i < w; i++)
        putchar('#');
}

static void print_profile(const dr_analysis *a) {
    char b1[64], b2[64];
    if (a->profile_len == 0) {
        printf("Profile: every task has cost 0, nothing to show.\n");
        return;
    }
    printf("Parallelism profile (every task starts as early as it can, "
           "unlimited workers):\n");
    if (a->profile_len <= PROFILE_ROWS) {
        printf("  %-24s %7s\n", "time", "running");
        for (size_t i = 0; i < a->profile_len; i++) {
            double end =
                i + 1 < a->profile_len ? a->profile_time[i + 1] : a->span;
            char range[160];
            snprintf(range, sizeof(range), "%s .. %s",
                     num(b1, sizeof(b1), a->profile_time[i]),
                     num(b2, sizeof(b2), end));
            printf("  %-24s %7u ", range, a->profile_running[i]);
            print_bar(a->profile_running[i], a->max_profile);
            printf("\n");
        }
        return;
    }
    /* Long profiles: PROFILE_ROWS equal slices, each with its peak. */
    printf("  %-24s %7s  (peak in each slice of the time)\n", "time",
           "running");
    double step = a->span / PROFILE_ROWS;
    size_t seg = 0;
    for (int r = 0; r < PROFILE_ROWS; r++) {
        double lo = r * step, hi = (r + 1) * step;
        uint32_t peak = running_at(a, lo);
        while (seg < a->profile_len && a->profile_time[seg] < lo)
            seg++;
        for (size_t i = seg; i < a->profile_len && a->profile_time[i] < hi; i++)
            if (a->profile_running[i] > peak)
                peak = a->profile_running[i];
        char range[160];
        snprintf(range, sizeof(range), "%.6g .. %.6g", lo, hi);
        printf("  %-24s %7u ", range, peak);
        print_bar(peak, a->max_profile);
        printf("\n");
    }
}

static void print_bounds(const dr_analysis *a) {
    char b[64];
    printf("Makespan lower bound max(T∞, T1/P) with P workers:\n");
    printf("  %8s  %14s  %s\n", "P", "at least", "limited by");
    for (unsigned long p = 1; p <= (1ul << 30); p *= 2) {
        double lb = dr_analysis_lower_bound(a, (unsigned)p);
        int by_span = a->span >= a->work / (double)p;
        printf("  %8lu  %14s  %s\n", p, num(b, sizeof(b), lb),
               by_span ? "span (the critical path)" : "work (T1/P)");
        if (p > a->width)
            break;
    }
}

static void print_levels(const dr_analysis *a, const dr_graph *g) {
    char b1[64], b2[64], b3[64], b4[64];
    const dr_task *topo = dr_graph_topo_order(g);
    printf("Levels (top = earliest start; bottom = longest path from the "
           "task's start to the end;\n"
           "        slack = span - top - bottom, 0 on a critical path), in "
           "topological order, in cost units:\n");
    printf("  %-24s %12s %12s %12s %12s\n", "task", "cost", "top", "bottom",
           "slack");
    for (size_t i = 0; i < a->tasks; i++) {
        dr_task t = topo[i];
        double slack = a->span - a->top_level[t] - a->bottom_level[t];
        if (slack < 0 && slack > -1e-9 * a->span)
            slack = 0;
        printf("  %-24s %12s %12s %12s %12s\n", dr_task_key(g, t),
               num(b1, sizeof(b1), dr_task_cost(g, t)),
               num(b2, sizeof(b2), a->top_level[t]),
               num(b3, sizeof(b3), a->bottom_level[t]),
               num(b4, sizeof(b4), slack));
    }
}

static void print_text(const char *path, const dr_analysis *a,
                       const dr_graph *g, size_t limit, int levels) {
    char b[64];
    printf("Graph '%s' (%s)\n", dr_graph_name(g), path);
    printf("  %zu tasks, %zu dependencies\n", a->tasks, a->edges);
    printf("  %zu sources (tasks with no dependencies), %zu sinks (tasks "
           "nothing depends on)\n",
           a->sources, a->sinks);
    printf("  depth %zu: the longest chain of dependent tasks has %zu "
           "task%s\n\n",
           a->depth, a->depth, a->depth == 1 ? "" : "s");
    printf("Costs are in the graph's own units (a simulation reads them as "
           "seconds;\n  a real run times what the tasks do).\n");
    printf("Work T1 = %s (sum of task costs: one worker needs this long)\n",
           num(b, sizeof(b), a->work));
    printf("Span T∞ = %s (the critical path: no number of workers can "
           "finish sooner)\n",
           num(b, sizeof(b), a->span));
    printf("Average parallelism T1/T∞ = %.2f: the best speedup any number "
           "of workers can reach\n",
           a->parallelism);
    if (a->width_exact)
        printf("Width = %zu (exact): at most %zu task%s can ever run at once\n",
               a->width, a->width, a->width == 1 ? "" : "s");
    else
        printf("Width between %zu and %zu (bounds; exact only up to %zu "
               "tasks, see --exact-limit):\n"
               "  at most %zu tasks can ever run at once (a cover by "
               "disjoint paths), and %zu\n"
               "  can (the peak of the profile or the widest level)\n",
               a->width_lower, a->width, limit, a->width, a->width_lower);
    printf("Profile peak = %zu: tasks running at once when each starts as "
           "early as it can\n\n",
           a->max_profile);
    if (a->critical_path_len > 0)
        print_critical_path(a, g);
    printf("\n");
    print_profile(a);
    printf("\n");
    print_bounds(a);
    if (levels) {
        printf("\n");
        print_levels(a, g);
    }
}

static int print_json(const dr_analysis *a, const dr_graph *g, int levels) {
    json_t *o = dr_analysis_to_json(a, g);
    if (o == NULL)
        return -1;
    if (levels) {
        json_t *lv = json_object();
        if (lv == NULL || json_object_set_new(o, "levels", lv) != 0) {
            json_decref(o);
            return -1;
        }
        for (size_t t = 0; t < a->tasks; t++)
            if (json_object_set_new(lv, dr_task_key(g, (dr_task)t),
                                    json_pack("{s:f,s:f}", "top",
                                              a->top_level[t], "bottom",
                                              a->bottom_level[t])) != 0) {
                json_decref(o);
                return -1;
            }
    }
    /* Every figure with the fewest digits that read back exactly. */
    int rc = json_dumpf(o, stdout,
                        JSON_INDENT(2) |
                            JSON_REAL_PRECISION(dr__json_real_precision(o)));
    json_decref(o);
    printf("\n");
    return rc;
}

int cmd_analyze(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"levels", no_argument, NULL, 'l'},
        {"set", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"exact-limit", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_params params = {0};
    dr_format format = DR_FORMAT_AUTO;
    dr_analyze_options aopts = {0};
    int c, rc = DR_EXIT_OK, json = 0, levels = 0;
    unsigned long limit = 20000;
    optind = 1;
    static const char shortopts[] = "jls:f:x:h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'l':
            levels = 1;
            break;
        case 's':
            if ((rc = cli_params_add(&params, "analyze", optarg)) != 0)
                goto out;
            break;
        case 'f':
            if ((rc = cli_parse_format("analyze", optarg, &format)) != 0)
                goto out;
            break;
        case 'x':
            if (cli_parse_uint("analyze", "--exact-limit", optarg, 4000000000ul,
                               &limit) != 0) {
                rc = DR_EXIT_USAGE;
                goto out;
            }
            break;
        case 'h':
            printf("%s%s", usage_text, cli_exit_codes_no_tasks);
            goto out;
        default:
            rc = cli_option_error("analyze", argc, argv, shortopts, longopts);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("analyze", "expected one GRAPH file");
        goto out;
    }
    const char *path = argv[optind];
    dr_graph *g = cli_load_graph(path, format, &params, NULL);
    if (g == NULL) {
        rc = DR_EXIT_USAGE;
        goto out;
    }
    aopts.exact_width_limit = limit;
    dr_error err;
    dr_error_clear(&err);
    dr_analysis *a = dr_analyze(g, &aopts, &err);
    if (a == NULL) {
        /* Errors about the graph as a whole carry no file name: add it. */
        fprintf(stderr, "dagrun analyze: %s%s%s\n", err.source[0] ? "" : path,
                err.source[0] ? "" : ": ", err.text);
        rc = DR_EXIT_USAGE;
    } else if (json) {
        errno = 0;
        if (print_json(a, g, levels) != 0) {
            /* A reader that closed the pipe (`| head`) is not an error to
             * report (cli/main.c). */
            if (errno != EPIPE)
                fprintf(stderr,
                        "dagrun analyze: cannot write the JSON to standard "
                        "output: %s\n",
                        errno != 0 ? strerror(errno) : "out of memory");
            rc = DR_EXIT_USAGE;
        }
    } else {
        print_text(path, a, g, limit, levels);
    }
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
out:
    cli_params_free(&params);
    return rc;
}
