/*
 * What `dagrun run` prints about the tasks once the run is over (see
 * run_results.h): each result as JSON with the digits that read back
 * exactly, a command's standard output made safe for the terminal, why a
 * task has no result, and with -q the failures on stderr.
 */
#include "run_results.h"
#include "graph_internal.h"
#include "logs.h"
#include "run_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a command printed is shown up to this much; the rest stays in its
 * log. */
#define RESULT_LINES 20
#define RESULT_BYTES 4096

/* A command task's result: what it printed on standard output, made safe
 * for the terminal (logs.c).  One line is printed as `KEY = line`, more as
 * an indented block; beyond the limits, where the rest is.  `logs_kept`: 0
 * when the log folder is the temporary one of --no-outputs. */
static void print_command_output(const dr_run *run, const char *shown_key,
                                 const char *key, int logs_kept) {
    char *path = dr__log_path(run->run_dir, key, ".out");
    size_t shown = 0, size = 0;
    char *text = path != NULL ? dr__log_head(path, RESULT_LINES, RESULT_BYTES,
                                             &shown, &size)
                              : NULL;
    char *where = path != NULL ? dr__safe_text(path, strlen(path), 0) : NULL;
    if (text == NULL) {
        printf("%s = (a command: its output cannot be read from %s)\n",
               shown_key, where ? where : "its log");
    } else if (size == 0) {
        printf("%s = (a command that printed nothing)\n", shown_key);
    } else if (strchr(text, '\n') == NULL && shown == size) {
        printf("%s = %s\n", shown_key, text);
    } else {
        printf("%s: standard output%s:\n", shown_key,
               shown < size ? ", first part" : "");
        for (const char *line = text; line != NULL;) {
            const char *nl = strchr(line, '\n');
            int len = nl ? (int)(nl - line) : (int)strlen(line);
            printf("  | %.*s\n", len, line);
            line = nl ? nl + 1 : NULL;
        }
        if (shown < size && logs_kept)
            printf("  ... %zu more bytes in %s\n", size - shown, where);
        else if (shown < size)
            printf("  ... %zu more bytes (logs are not kept with "
                   "--no-outputs; --run-dir DIR keeps them)\n",
                   size - shown);
    }
    free(where);
    free(text);
    free(path);
}

/* "KEY = <JSON>"; `explain` (the default sink listing, not --output) says
 * what a null result means.  Keys are printed with control characters
 * escaped. */
static void print_result(const dr_run *run, const dr_graph *g, dr_task t,
                         int explain, int logs_kept) {
    const char *raw = dr_task_key(g, t);
    char *key = dr__safe_text(raw, strlen(raw), 0);
    if (key == NULL)
        return;
    json_t *r = dr_run_task_result(run, t);
    /* JSON null is what sleep/noop return: say so rather than print null. */
    char *text =
        r && !json_is_null(r)
            ? json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY |
                                JSON_REAL_PRECISION(dr__json_real_precision(r)))
            : NULL;
    const char *why = NULL;
    if (r != NULL && json_is_null(r)) {
        if (explain)
            printf("%s = null (%s returns no value)\n", key,
                   dr_task_op_label(g, t));
        else
            printf("%s = null\n", key);
    } else if (text != NULL) {
        printf("%s = %s\n", key, text);
    } else {
        switch (dr_run_task_state(run, t)) {
        case DR_STATE_OK:
        case DR_STATE_CACHED: /* a command's log is kept from its run */
            if (run->simulated)
                why = "(simulated: no result)";
            else if (dr__task_is_command(g, t))
                print_command_output(run, key, raw, logs_kept);
            else
                why = "(no result)";
            break;
        case DR_STATE_FAILED:
            why = "(failed)";
            break;
        case DR_STATE_SKIPPED:
            why = "(skipped: a dependency failed)";
            break;
        case DR_STATE_INTERRUPTED:
            why = "(interrupted)";
            break;
        default:
            why = "(did not run)";
            break;
        }
    }
    if (why != NULL)
        printf("%s = %s\n", key, why);
    free(text);
    free(key);
}

#define MAX_PRINTED_SINKS 20

void run_results_print(const dr_run *run, const dr_graph *g, const char **keys,
                       size_t nkeys, int quiet, int logs_kept) {
    if (nkeys > 0) {
        for (size_t i = 0; i < nkeys; i++)
            print_result(run, g, dr_graph_find(g, keys[i]), 0, logs_kept);
        return;
    }
    if (quiet || run->simulated)
        return;
    size_t n = dr_graph_ntasks(g), shown = 0, sinks = 0, nulls = 0;
    for (size_t t = 0; t < n; t++) {
        size_t ns;
        dr_task_succs(g, (dr_task)t, &ns);
        sinks += ns == 0;
    }
    /* Many sinks: those that returned no value (noop, sleep) are counted,
     * not listed: 2,766 lines of "= null" hid the results that matter. */
    int many = sinks > MAX_PRINTED_SINKS;
    for (size_t t = 0; t < n; t++) {
        size_t ns;
        dr_task_succs(g, (dr_task)t, &ns);
        if (ns != 0)
            continue;
        json_t *r = dr_run_task_result(run, (dr_task)t);
        if (many && r != NULL && json_is_null(r)) {
            nulls++;
            continue;
        }
        if (shown < MAX_PRINTED_SINKS) {
            print_result(run, g, (dr_task)t, 1, logs_kept);
            shown++;
        }
    }
    if (nulls > 0)
        printf("%zu sink task%s returned no value (null: noop and sleep "
               "return none)\n",
               nulls, nulls == 1 ? "" : "s");
    if (sinks > shown + nulls)
        printf("... and %zu more sink results (use --output KEY)\n",
               sinks - shown - nulls);
}

void run_results_print_failures(const json_t *s) {
    json_t *failures = json_object_get(s, "failures");
    size_t i;
    json_t *f;
    json_array_foreach(failures, i, f) {
        json_t *task = json_object_get(f, "task");
        json_t *reason = json_object_get(f, "reason");
        /* Task ids may hold control characters: never raw on a terminal.
         * The reason was made safe when it was recorded (scheduler/run.c):
         * escaping it again would double its backslashes. */
        char *t =
            dr__safe_text(json_string_value(task), json_string_length(task), 0);
        const char *r = json_string_value(reason);
        fprintf(stderr, "dagrun: task '%s' failed: %s\n", t ? t : "?",
                r ? r : "?");
        free(t);
    }
    size_t skipped = json_array_size(json_object_get(s, "skipped"));
    if (skipped > 0)
        fprintf(stderr, "dagrun: %zu task%s skipped (a dependency failed)\n",
                skipped, skipped == 1 ? "" : "s");
    size_t stopped = json_array_size(json_object_get(s, "interrupted_tasks"));
    size_t not_run = json_array_size(json_object_get(s, "not_run"));
    if (json_is_true(json_object_get(s, "interrupted")))
        fprintf(stderr,
                "dagrun: interrupted: %zu task%s stopped while running, %zu "
                "not run\n",
                stopped, stopped == 1 ? "" : "s", not_run);
}
