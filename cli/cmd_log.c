/*
 * `dagrun log DIR|FILE`: the journal of a run's output folder read by
 * people (docs/resuming.md, "dagrun log"): each run that wrote to it and,
 * under it, each finished attempt with its result or error on one line.
 * With --json the journal's valid lines as JSON lines, without checksums.
 * Everything printed that came from the journal (keys, results, errors) is
 * escaped: it is the graph's and the commands' text, not dagrun's.
 */
#include "cli.h"
#include "graph_internal.h"
#include "journal.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Results are cut to this many bytes of one-line text (and "..."). */
#define RESULT_WIDTH 60
#define ERROR_WIDTH 300
#define TASK_WIDTH_MAX 40

static void log_usage(FILE *out) {
    fprintf(
        out,
        "Usage: dagrun log DIR|FILE [--json]\n"
        "\n"
        "Lists what the runs kept in a journal did: DIR is a run's output "
        "folder\n(its journal is DIR/journal.jsonl), FILE a journal itself.  "
        "For each run\nthat wrote to the journal: when it started, its pid and "
        "whether it\nresumed; under it each finished attempt: when it ended "
        "(seconds since the\nrun started), the task, its status, attempt, "
        "worker and duration, and\nits result cut to one line of about %d "
        "characters, or its error.  Lines\nthat are torn or altered are "
        "left out and counted (docs/resuming.md).\n"
        "\n"
        "Options:\n"
        "      --json    print the journal's valid lines (run headers and "
        "records)\n"
        "                as JSON lines, without their checksums\n"
        "  -h, --help    show this text\n\n%s",
        RESULT_WIDTH, cli_exit_codes_no_tasks);
}

/* Columns a terminal gives the UTF-8 text s: one per character. */
static size_t columns(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* s escaped for one line, cut to `width` bytes with "..." when longer. */
static void one_line(char *dst, size_t size, const char *s, size_t width) {
    size_t room = width + 1 < size ? width + 1 : size;
    if (dr__escape(dst, room, s, strlen(s), DR__ESC_MESSAGE)) {
        size_t n = strlen(dst);
        size_t keep = n > 3 ? n - 3 : 0;
        while (keep > 0 && ((unsigned char)dst[keep] & 0xc0) == 0x80)
            keep--; /* a character is cut whole */
        memcpy(dst + keep, "...", 4);
    }
}

static double num(const json_t *o, const char *k) {
    return json_number_value(json_object_get(o, k));
}

static void print_header(const json_t *h, size_t run, size_t width) {
    const char *started = json_string_value(json_object_get(h, "started"));
    const char *version = json_string_value(json_object_get(h, "dagrun"));
    const char *graph = json_string_value(json_object_get(h, "graph"));
    char sgraph[256], sstarted[64], sversion[64];
    one_line(sgraph, sizeof(sgraph), graph ? graph : "?", 200);
    one_line(sstarted, sizeof(sstarted), started ? started : "?", 40);
    one_line(sversion, sizeof(sversion), version ? version : "?", 40);
    printf("%srun %zu of graph '%s': started %s, pid %" JSON_INTEGER_FORMAT
           ", %s (dagrun %s)\n",
           run > 1 ? "\n" : "", run, sgraph, sstarted,
           json_integer_value(json_object_get(h, "pid")),
           json_is_true(json_object_get(h, "resume")) ? "resumed"
                                                      : "started afresh",
           sversion);
    printf("  %9s  %-*s  %-11s  %7s  %6s  %9s  %s\n", "end", (int)width, "task",
           "status", "attempt", "worker", "duration", "result");
}

static void print_record(const json_t *r, size_t width) {
    char task[4 * TASK_WIDTH_MAX + 8], status[64], text[ERROR_WIDTH + 16];
    one_line(task, sizeof(task), json_string_value(json_object_get(r, "task")),
             4 * TASK_WIDTH_MAX);
    one_line(status, sizeof(status),
             json_string_value(json_object_get(r, "status")), 40);
    const json_t *result = json_object_get(r, "result");
    const char *error = json_string_value(json_object_get(r, "error"));
    text[0] = '\0';
    if (error != NULL) {
        char e[ERROR_WIDTH + 1];
        one_line(e, sizeof(e), error, ERROR_WIDTH);
        snprintf(text, sizeof(text), "error: %s", e);
    } else if (result != NULL) {
        char *s = json_dumps(
            result, JSON_ENCODE_ANY | JSON_COMPACT |
                        JSON_REAL_PRECISION(dr__json_real_precision(result)));
        if (s != NULL)
            one_line(text, sizeof(text), s, RESULT_WIDTH);
        free(s);
    }
    size_t cols = columns(task);
    int pad = cols < width ? (int)(width - cols) : 0;
    double start = num(r, "start"), end = num(r, "end");
    printf("  %9.3f  %s%*s  %-11s  %7" JSON_INTEGER_FORMAT
           "  %6" JSON_INTEGER_FORMAT "  %8.3fs  %s\n",
           end, task, pad, "", status,
           json_integer_value(json_object_get(r, "attempt")),
           json_integer_value(json_object_get(r, "worker")), end - start, text);
}

/* Under a run without records: a resumed run that reused every task, or
 * one stopped before any attempt ended. */
#define NO_ATTEMPT                                                             \
    "(no attempt ended in this run: every task was cached, or it stopped "     \
    "first)"

static int print_text(const dr__jread *rd) {
    size_t width = 4, i;
    json_t *v;
    json_array_foreach(rd->lines, i, v) {
        const char *key = json_string_value(json_object_get(v, "task"));
        if (key == NULL)
            continue;
        char t[4 * TASK_WIDTH_MAX + 8];
        one_line(t, sizeof(t), key, 4 * TASK_WIDTH_MAX);
        size_t c = columns(t);
        width = c > width ? c : width;
    }
    width = width < TASK_WIDTH_MAX ? width : TASK_WIDTH_MAX;
    size_t run = 0, in_run = 0;
    json_array_foreach(rd->lines, i, v) {
        if (json_object_get(v, "journal") != NULL) {
            if (run > 0 && in_run == 0)
                printf("  %s\n", NO_ATTEMPT);
            print_header(v, ++run, width);
            in_run = 0;
            continue;
        }
        in_run++;
        if (run == 0) {
            /* The first header was lost (an altered line). */
            printf("records before any valid run header:\n");
            printf("  %9s  %-*s  %-11s  %7s  %6s  %9s  %s\n", "end", (int)width,
                   "task", "status", "attempt", "worker", "duration", "result");
            run = (size_t)-1;
        }
        print_record(v, width);
    }
    if (run > 0 && run != (size_t)-1 && in_run == 0)
        printf("  %s\n", NO_ATTEMPT);
    return 0;
}

static int print_json(const dr__jread *rd) {
    size_t i;
    json_t *v;
    json_array_foreach(rd->lines, i, v) {
        char *s =
            json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
                              JSON_REAL_PRECISION(dr__json_real_precision(v)));
        if (s == NULL) {
            fprintf(stderr, "dagrun log: out of memory\n");
            return DR_EXIT_USAGE;
        }
        puts(s);
        free(s);
    }
    return 0;
}

int cmd_log(int argc, char **argv) {
    enum { OPT_JSON = 256 };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, json = 0;
    optind = 1;
    static const char shortopts[] = "h";
    while ((c = cli_getopt(argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            log_usage(stdout);
            return DR_EXIT_OK;
        default:
            return cli_option_error("log", argc, argv, shortopts, longopts);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("log", optind >= argc
                                          ? "no journal given: give a run's "
                                            "output folder or its journal"
                                          : "expected one folder or journal");
    const char *arg = argv[optind];
    struct stat st;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "dagrun log: cannot read '%s': %s\n", arg,
                strerror(errno));
        return DR_EXIT_USAGE;
    }
    char *path =
        S_ISDIR(st.st_mode) ? cli_join(arg, "journal.jsonl") : strdup(arg);
    if (path == NULL) {
        fprintf(stderr, "dagrun log: out of memory\n");
        return DR_EXIT_USAGE;
    }
    int rc = DR_EXIT_USAGE;
    if (S_ISDIR(st.st_mode) && stat(path, &st) != 0) {
        fprintf(stderr,
                "dagrun log: no journal in folder '%s': %s: %s (a run "
                "without --no-journal writes it)\n",
                arg, path, strerror(errno));
        free(path);
        return rc;
    }
    dr_error err;
    dr_error_clear(&err);
    dr__jread rd;
    if (dr__journal_read(path, NULL, &rd, &err) != 0) {
        fprintf(stderr, "dagrun log: %s\n", err.text);
        free(path);
        return rc;
    }
    json_int_t format =
        json_integer_value(json_object_get(rd.header, "format"));
    if (json_array_size(rd.lines) == 0)
        fprintf(stderr, "dagrun log: %s is not a dagrun journal: %s\n", path,
                st.st_size == 0 ? "it is empty"
                                : "no line of it is a valid journal line");
    else if (rd.header != NULL && format != DR__JOURNAL_FORMAT)
        fprintf(stderr,
                "dagrun log: %s is a journal of format %" JSON_INTEGER_FORMAT
                "; this dagrun (%s) reads format %d\n",
                path, format, DAGRUN_VERSION_STRING, DR__JOURNAL_FORMAT);
    else
        rc = json ? print_json(&rd) : print_text(&rd);
    if (rc == 0 && rd.bad > 0)
        fprintf(json ? stderr : stdout,
                "%s%zu line%s of %s left out: torn, altered or not a "
                "journal line\n",
                json ? "dagrun log: " : "\n", rd.bad, rd.bad == 1 ? "" : "s",
                path);
    dr__journal_read_free(&rd);
    free(path);
    return rc;
}
