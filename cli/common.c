/* Pieces every subcommand shares: usage errors, --set, graph loading. */
#include "cli.h"
#include "generate_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* README's exit-code table says the same; tests/test_cli_options.c checks
 * that each --help ends with one of these and agrees with the README. */
const char cli_exit_codes_run[] =
    "Exit codes:\n"
    "  0    success: every task succeeded\n"
    "  1    some task failed, or an output file could not be written\n"
    "  2    usage error, invalid graph, or an output folder in use or that\n"
    "       cannot be made (before any task runs)\n"
    "  130  interrupted (SIGINT, SIGTERM or SIGHUP)\n";
const char cli_exit_codes_scale[] =
    "Exit codes:\n"
    "  0    success: every run succeeded and the report was written\n"
    "  1    a task failed in one of the runs\n"
    "  2    usage error, invalid graph, or the report could not be written\n"
    "  130  interrupted (SIGINT, SIGTERM or SIGHUP)\n";
const char cli_exit_codes_no_tasks[] =
    "Exit codes:\n"
    "  0    success\n"
    "  2    usage error, invalid input, or an output that could not be "
    "written\n";
const char cli_exit_codes_all[] =
    "Exit codes ('dagrun COMMAND --help' lists those of COMMAND):\n"
    "  0    success\n"
    "  1    some task failed (run, scale)\n"
    "  2    usage error, invalid input or unwritable output (every command)\n"
    "  130  interrupted (SIGINT, SIGTERM or SIGHUP) (run, scale)\n";

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "dagrun%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'dagrun%s%s --help'.\n", cmd ? " " : "",
            cmd ? cmd : "");
    return DR_EXIT_USAGE;
}

int cli_params_add(cli_params *p, const char *cmd, const char *text) {
    char *copy = strdup(text);
    dr_param *items = realloc(p->items, (p->n + 1) * sizeof(*items));
    if (items != NULL)
        p->items = items;
    char **texts = realloc(p->texts, (p->n + 1) * sizeof(*texts));
    if (texts != NULL)
        p->texts = texts;
    if (copy == NULL || items == NULL || texts == NULL) {
        free(copy);
        fprintf(stderr, "dagrun: out of memory\n");
        return DR_EXIT_USAGE;
    }
    dr_error err;
    dr_error_clear(&err);
    if (dr_param_parse(copy, &p->items[p->n], &err) != 0) {
        free(copy);
        return cli_usage_error(cmd, "--set %s: %s", text, err.text);
    }
    p->texts[p->n++] = copy;
    return 0;
}

void cli_params_free(cli_params *p) {
    for (size_t i = 0; i < p->n; i++)
        free(p->texts[i]);
    free(p->texts);
    free(p->items);
    free(p->words);
    memset(p, 0, sizeof(*p));
}

/* A word such as "stencil_1d", not a number or an expression: what starts
 * with a letter or '_' (spaces before it aside), since a generator's
 * expressions have no names to start with.  So "all-to-all" or
 * "nearest," is a word the shape refuses with its list of choices, not an
 * expression with unknown names. */
static int is_word(const char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    return isalpha((unsigned char)s[0]) || s[0] == '_';
}

int cli_params_add_gen(cli_params *p, const char *cmd, const char *text) {
    const char *eq = strchr(text, '=');
    if (eq == NULL || !is_word(eq + 1))
        return cli_params_add(p, cmd, text);
    /* NAME=WORD is looked up once the shape is known; a placeholder keeps
     * the --set order. */
    size_t len = (size_t)(eq - text);
    char *holder = malloc(len + 3);
    if (holder != NULL)
        snprintf(holder, len + 3, "%.*s=0", (int)len, text);
    int rc = holder == NULL ? DR_EXIT_USAGE : cli_params_add(p, cmd, holder);
    free(holder);
    if (holder == NULL)
        fprintf(stderr, "dagrun: out of memory\n");
    if (rc != 0)
        return rc;
    const char **words = realloc(p->words, p->n * sizeof(*words));
    if (words == NULL) {
        fprintf(stderr, "dagrun: out of memory\n");
        return DR_EXIT_USAGE;
    }
    for (size_t i = p->nwords; i + 1 < p->n; i++)
        words[i] = NULL;
    const char *word = eq + 1;
    while (*word == ' ' || *word == '\t')
        word++;
    words[p->n - 1] = word;
    p->words = words;
    p->nwords = p->n;
    return 0;
}

dr_graph *cli_generate(const char *cmd, const char *shape, cli_params *params,
                       uint64_t seed, const char *op, int for_file) {
    dr_error err;
    dr_error_clear(&err);
    for (size_t i = 0; i < params->nwords; i++) {
        if (params->words[i] == NULL)
            continue;
        if (dr_generator_choice(shape, params->items[i].name, params->words[i],
                                &params->items[i].value, &err) != 0) {
            /* An unknown shape is said as dr_generate says it. */
            if (strncmp(err.text, "unknown shape", 13) == 0)
                fprintf(stderr, "dagrun %s: %s\n", cmd, err.text);
            else
                cli_usage_error(cmd, "--set %s=%s: %s", params->items[i].name,
                                params->words[i], err.text);
            return NULL;
        }
    }
    dr_graph *g =
        dr__generate(shape, params->items, params->n, seed, op, for_file, &err);
    if (g == NULL)
        fprintf(stderr, "dagrun %s: %s\n", cmd, err.text);
    return g;
}

dr_graph *cli_load_graph(const char *path, dr_format format,
                         const cli_params *params, const dr_ops *ops) {
    dr_load_options opts = {0};
    opts.format = format;
    opts.ops = ops;
    if (params != NULL) {
        opts.params = params->items;
        opts.nparams = params->n;
    }
    dr_error err;
    dr_error_clear(&err);
    /* gen:SHAPE is made in memory by `dagrun run` only (a file of that
     * name aside). */
    if (strncmp(path, CLI_GEN_PREFIX, strlen(CLI_GEN_PREFIX)) == 0 &&
        access(path, F_OK) != 0) {
        fprintf(stderr,
                "dagrun: %s: a generated graph works with 'dagrun run' "
                "only; 'dagrun gen %s -o FILE.json' writes one this command "
                "can read\n",
                path, path + strlen(CLI_GEN_PREFIX));
        return NULL;
    }
    dr_graph *g = dr_graph_load(path, &opts, &err);
    if (g == NULL)
        fprintf(stderr, "dagrun: %s\n", err.text[0] ? err.text : path);
    return g;
}

int cli_parse_format(const char *cmd, const char *text, dr_format *out) {
    dr_format f = dr_format_from_name(text);
    if (f == DR_FORMAT_AUTO && strcmp(text, "auto") != 0)
        return cli_usage_error(cmd,
                               "--format: expected auto, json, stg or "
                               "wfcommons, got '%s'",
                               text);
    *out = f;
    return 0;
}

int cli_parse_seed(const char *cmd, const char *opt, const char *text, int base,
                   uint64_t *out) {
    char *end;
    errno = 0;
    /* A digit first: strtoull would skip spaces and take " -1" as 2^64-1. */
    unsigned long long v = strtoull(text, &end, base);
    if (!isdigit((unsigned char)text[0]) || errno != 0 || *end != '\0') {
        cli_usage_error(cmd, "%s: expected a whole number, got '%s'", opt,
                        text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *text,
                   unsigned long max, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0 ||
        v > max) {
        cli_usage_error(cmd,
                        "%s: expected a whole number from 1 to %lu, got '%s'",
                        opt, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *text,
                     double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < 0) {
        cli_usage_error(cmd, "%s: expected a non-negative number, got '%s'",
                        opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_positive(const char *cmd, const char *opt, const char *text,
                       double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    /* 1e400 overflows (ERANGE, inf); 1e-400 underflows to 0 or a
     * denormal: both are refused, saying what is accepted. */
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || !(v > 0)) {
        cli_usage_error(cmd, "%s: expected a positive finite number, got '%s'",
                        opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_executor(const char *cmd, const char *text, dr_executor *out) {
    if (dr_executor_from_name(text, out) != 0)
        return cli_usage_error(cmd,
                               "--executor: unknown executor '%s' (threads, "
                               "processes, sync or mpi)",
                               text);
    return 0;
}

/* 1 when s (case-insensitively) is one of the unit suffixes after the
 * letter: "", "b", "ib". */
static int byte_suffix(const char *s) {
    return s[0] == '\0' || ((s[0] == 'b' || s[0] == 'B') && s[1] == '\0') ||
           ((s[0] == 'i' || s[0] == 'I') && (s[1] == 'b' || s[1] == 'B') &&
            s[2] == '\0');
}

int cli_parse_size(const char *cmd, const char *opt, const char *text,
                   uint64_t *out) {
    /* Only digits and one point: strtod would also take signs, spaces,
     * hexadecimal, exponents, "inf" and "nan", none of which is a size. */
    size_t digits = 0, points = 0, i = 0;
    for (; text[i] != '\0'; i++) {
        if (text[i] >= '0' && text[i] <= '9')
            digits++;
        else if (text[i] == '.' && points == 0)
            points++;
        else
            break;
    }
    const char *unit = text + i;
    int shift = -1;
    switch (unit[0]) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    case '\0':
    case 'b':
    case 'B':
        shift = 0;
        break;
    }
    /* "iB" only follows a letter of a unit: "512iB" is not a size. */
    int suffix_ok = shift > 0    ? byte_suffix(unit + 1)
                    : shift == 0 ? unit[0] == '\0' || (unit[1] == '\0')
                                 : 0;
    if (digits == 0 || !suffix_ok) {
        cli_usage_error(cmd,
                        "%s: expected a size such as 512M, 2G, 1.5G or 4096K "
                        "(K, M, G, T are powers of 1024; plain numbers are "
                        "bytes), got '%s'",
                        opt, text);
        return -1;
    }
    /* At most 2^63 - 1: a size goes into summary.json as a JSON integer
     * (signed 64 bits), and 8 EiB is beyond any address space anyway.
     * 2^63 as a double is exact. */
    const uint64_t limit = UINT64_C(1) << 63;
    uint64_t bytes;
    if (points == 0) {
        errno = 0;
        unsigned long long v = strtoull(text, NULL, 10);
        if (errno == ERANGE || v >= (limit >> shift))
            goto too_big;
        bytes = (uint64_t)v << shift;
    } else {
        double v = strtod(text, NULL) * (double)(UINT64_C(1) << shift);
        if (!(v < (double)limit))
            goto too_big;
        bytes = (uint64_t)v;
    }
    if (bytes == 0) {
        cli_usage_error(cmd,
                        "%s: expected a size of at least one byte (leave the "
                        "option out for no limit), got '%s'",
                        opt, text);
        return -1;
    }
    *out = bytes;
    return 0;
too_big:
    cli_usage_error(cmd,
                    "%s: expected a size below 8 EiB (2^63 bytes), got "
                    "'%s'",
                    opt, text);
    return -1;
}

int cli_check_executor(const char *cmd, int simulate, int executor_given,
                       dr_executor executor, uint64_t worker_memory) {
    if (simulate && executor_given)
        return cli_usage_error(cmd, "--simulate runs no tasks: --executor "
                                    "does not apply");
    if (worker_memory > 0 && executor != DR_EXECUTOR_PROCESSES)
        return cli_usage_error(cmd,
                               "--worker-memory needs --executor processes: "
                               "it limits the memory of each worker process, "
                               "and %s",
                               executor == DR_EXECUTOR_SYNC
                                   ? "--executor sync has none"
                                   : "worker threads share this process");
    return 0;
}

int cli_mpi_serve(const char *cmd, dr_graph *g, const dr_run_options *opts) {
    dr_error err;
    dr_error_clear(&err);
    unsigned size = 0;
    int rank = dr_mpi_rank(&size);
    int rc;
    while ((rc = dr_mpi_serve(g, opts, &err)) == 0) {
        /* rank 0's next run (dagrun scale makes several) */
    }
    if (rc == 1)
        return DR_EXIT_OK;
    /* Rank 0 says why it refused the ranks, once for all of them, and
     * exits with the same code (mpirun passes on whichever ends first). */
    if (rc == DR_EINVAL && strstr(err.text, "--executor mpi: ") != NULL)
        return DR_EXIT_USAGE;
    fprintf(stderr, "dagrun %s (rank %d of %u): %s\n", cmd, rank, size,
            err.text);
    return DR_EXIT_FAILED;
}

char *cli_join(const char *dir, const char *file) {
    size_t len = strlen(dir) + strlen(file) + 2;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s/%s", dir, file);
    return s;
}

/* STG and WfCommons tasks are all of this kind; the line is the only record
 * of it (nothing in the trace or the summary). */
void cli_note_costs_not_spent(const char *cmd, const dr_graph *g, int simulate,
                              dr_cost_op cost_op) {
    if (simulate || cost_op != DR_COST_OP_NONE)
        return;
    size_t n = dr_graph_ntasks(g), costed = 0;
    for (dr_task t = 0; t < n; t++)
        if (dr_task_op_kind(g, t) == DR_OP_NONE && dr_task_has_cost(g, t) &&
            dr_task_cost(g, t) > 0)
            costed++;
    if (costed == 0)
        return;
    fprintf(stderr,
            "dagrun %s: note: %zu of %zu tasks %s a cost but no operation, "
            "so %s as noop (instantly); --simulate times them by their "
            "costs, --cost-op sleep|spin spends the costs for real\n",
            cmd, costed, n, costed == 1 ? "has" : "have",
            costed == 1 ? "it runs" : "they run");
}
