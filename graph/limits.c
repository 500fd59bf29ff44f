/*
 * The limits on what a graph may be: bytes of a graph file (and of the text
 * templates expand to, and of what `gen` and `convert` write), tasks and
 * dependencies.  Every reader and the generators take them from here, so one
 * environment variable raises a limit for every subcommand at once.
 *
 * Design: a caller's explicit value (dr_load_options.max_*) wins; else the
 * environment variable (DAGRUN_MAX_GRAPH_BYTES, DAGRUN_MAX_TASKS,
 * DAGRUN_MAX_DEPS); else the built-in default.  Environment variables rather
 * than options because graphs are read by every subcommand (run, analyze,
 * viz, scale, ...) and a limit that had to be passed to each would be raised
 * in one and forgotten in the next.  A malformed value is an error, never
 * silently the default: someone who set it meant to change something.
 *
 * The defaults are far above any published benchmark graph (the largest STG
 * graphs have 5,000 tasks; a million-task dagrun file is about 100 MB), and
 * low enough that a typo cannot make dagrun read or build for minutes while
 * eating the machine's memory: loading costs about 15 bytes of memory per
 * byte of JSON.
 */
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dr__limit_from_env(const char *name, size_t *out, dr_error *err) {
    const char *text = getenv(name);
    if (text == NULL || text[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned long long scale = 1;
    if (end != text && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            scale = 1ull << 10;
            end++;
            break;
        case 'm':
        case 'M':
            scale = 1ull << 20;
            end++;
            break;
        case 'g':
        case 'G':
            scale = 1ull << 30;
            end++;
            break;
        }
    }
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0 ||
        v > SIZE_MAX / scale) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "%s='%.40s' is not a limit: expected a whole number "
                      "above 0, optionally followed by K, M or G (times "
                      "1024, 1024^2, 1024^3)",
                      name, text);
        return -1;
    }
    *out = (size_t)(v * scale);
    return 0;
}

int dr__limits_get(dr__limits *out, const dr_load_options *opts,
                   dr_error *err) {
    out->max_bytes = DR__DEFAULT_MAX_BYTES;
    out->max_tasks = DR__DEFAULT_MAX_TASKS;
    out->max_deps = DR__DEFAULT_MAX_DEPS;
    if (opts != NULL && opts->max_bytes != 0)
        out->max_bytes = opts->max_bytes;
    else if (dr__limit_from_env(DR__ENV_MAX_BYTES, &out->max_bytes, err) != 0)
        return DR_EINVAL;
    if (opts != NULL && opts->max_tasks != 0)
        out->max_tasks = opts->max_tasks;
    else if (dr__limit_from_env(DR__ENV_MAX_TASKS, &out->max_tasks, err) != 0)
        return DR_EINVAL;
    if (opts != NULL && opts->max_deps != 0)
        out->max_deps = opts->max_deps;
    else if (dr__limit_from_env(DR__ENV_MAX_DEPS, &out->max_deps, err) != 0)
        return DR_EINVAL;
    /* Sizes stay far from SIZE_MAX so that "limit + 2" cannot wrap. */
    if (out->max_bytes > SIZE_MAX / 4)
        out->max_bytes = SIZE_MAX / 4;
    /* A task is a 32-bit number, with room for DR_TASK_NONE. */
    if (out->max_tasks > (size_t)UINT32_MAX - 2)
        out->max_tasks = (size_t)UINT32_MAX - 2;
    return 0;
}

const dr__limits *dr__limits_or_defaults(const dr__limits *limits) {
    static const dr__limits defaults = {
        DR__DEFAULT_MAX_BYTES, DR__DEFAULT_MAX_TASKS, DR__DEFAULT_MAX_DEPS};
    return limits != NULL ? limits : &defaults;
}
