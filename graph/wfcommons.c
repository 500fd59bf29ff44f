/*
 * Reader for WfCommons WfFormat instances (https://wfcommons.org): traces of
 * real scientific workflows such as Montage, Epigenomics or BLAST.
 *
 * Two layouts are in use:
 *  - 1.5 splits the workflow into workflow.specification.tasks (the graph:
 *    id, name, parents, children, files) and workflow.execution.tasks (what
 *    happened: id, runtimeInSeconds, machines...).  The two are joined on id.
 *  - 1.4 (and earlier) keeps one list, workflow.tasks, where every task
 *    carries its runtime and names its parents by task *name*; the "id"
 *    field there is a short number ("ID0000001") that parents never use.
 * We tell them apart by the shape (a "specification" object or a "tasks"
 * array), not by schemaVersion, so a file with a missing or odd version
 * still loads.
 *
 * Decisions:
 *  - The task key is the identifier parents use: "id" in 1.5, "name" in 1.4.
 *    Both traces of the same run then give the same keys (in 1.5 files the
 *    id is the old name), which the tests check.
 *  - Only "parents" makes edges; "children" is the same information
 *    reversed and is not read, so a file cannot contradict itself into two
 *    different graphs.
 *  - cost = runtimeInSeconds (or "runtime", its pre-1.4 name).  A task with
 *    no runtime keeps the analysis default of 1.
 *  - Tasks get no operation (DR_OP_NONE) and no file lists: the files named
 *    in a trace do not exist on this machine, and the scheduler must not wait
 *    for them.
 *  - Graph name from the top-level "name" without a trailing ".json"
 *    (generators name instances after their file), else the file's base
 *    name, as for the other formats; description from "description".
 *
 * Semantic errors name the task and, through dr__json_locate, the
 * line:column of the offending value in the original text; a cycle is
 * reported at the entry of "parents" that closes it.  The task count and
 * the number of parents are capped (DAGRUN_MAX_TASKS, DAGRUN_MAX_DEPS) before
 * anything is built.
 */
#include "formats_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct wf_reader {
    const char *text;
    size_t len;
    const char *source;
    dr_error *err;
    int v15; /* 1: specification/execution layout */
} wf_reader;

/* Path steps to workflow[.specification].tasks[i][.key][j]; `key` may be
 * NULL to stop at the task, `j` is used when has_j. */
static void report(wf_reader *r, int code, const char *list, size_t i,
                   const char *key, int has_j, size_t j, const char *task,
                   const char *fmt, ...) __attribute__((format(printf, 9, 10)));
static void report(wf_reader *r, int code, const char *list, size_t i,
                   const char *key, int has_j, size_t j, const char *task,
                   const char *fmt, ...) {
    dr__json_step path[6];
    size_t n = 0;
    path[n++] = (dr__json_step){"workflow", 0};
    if (list != NULL)
        path[n++] = (dr__json_step){list, 0};
    path[n++] = (dr__json_step){"tasks", 0};
    path[n++] = (dr__json_step){NULL, i};
    if (key != NULL) {
        path[n++] = (dr__json_step){key, 0};
        if (has_j)
            path[n++] = (dr__json_step){NULL, j};
    }
    int line = 0, column = 0;
    if (r->text == NULL ||
        dr__json_locate(r->text, r->len, path, n, &line, &column) != 0) {
        line = 0;
        column = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    dr__error_setv(r->err, code, r->source, line, column, task, fmt, ap);
    va_end(ap);
}

/* The task list of the graph, or NULL with an error. */
static json_t *task_list(wf_reader *r, json_t *root) {
    json_t *wf = json_object_get(root, "workflow");
    if (!json_is_object(wf)) {
        dr__error_set(r->err, DR_EFORMAT, r->source, 0, 0, NULL, "%s",
                      "WfCommons: no \"workflow\" object");
        return NULL;
    }
    json_t *spec = json_object_get(wf, "specification");
    json_t *tasks;
    if (spec != NULL) {
        r->v15 = 1;
        tasks = json_is_object(spec) ? json_object_get(spec, "tasks") : NULL;
        if (!json_is_array(tasks)) {
            dr__error_set(r->err, DR_EFORMAT, r->source, 0, 0, NULL, "%s",
                          "WfCommons 1.5: workflow.specification.tasks must "
                          "be an array");
            return NULL;
        }
    } else {
        tasks = json_object_get(wf, "tasks");
        if (!json_is_array(tasks)) {
            dr__error_set(r->err, DR_EFORMAT, r->source, 0, 0, NULL, "%s",
                          "WfCommons: expected workflow.specification.tasks "
                          "(WfFormat 1.5) or workflow.tasks (1.4)");
            return NULL;
        }
    }
    return tasks;
}

/* WfCommons generators name an instance after the file they write it to
 * ("chain-5-...-1683736566.json"): the graph's name is that without the
 * ".json", as for a name taken from a file name, so that outputs go to
 * dagrun-out/chain-5-...-1683736566/. */
static int set_name(dr_graph *g, const char *name) {
    size_t len = strlen(name);
    if (len > 5 && strcasecmp(name + len - 5, ".json") == 0) {
        char *stem = strndup(name, len - 5);
        if (stem == NULL)
            return DR_ENOMEM;
        int rc = dr_graph_set_name(g, stem);
        free(stem);
        return rc;
    }
    return dr_graph_set_name(g, name);
}

/* Reads a task's runtime into its cost; `list` names where the entry is. */
static int set_runtime(wf_reader *r, dr_graph *g, dr_task t, json_t *entry,
                       const char *list, size_t i) {
    const char *field = "runtimeInSeconds";
    json_t *rt = json_object_get(entry, field);
    if (rt == NULL) {
        field = "runtime";
        rt = json_object_get(entry, field);
    }
    if (rt == NULL || json_is_null(rt))
        return 0;
    const char *key = dr_task_key(g, t);
    if (!json_is_number(rt)) {
        report(r, DR_EFORMAT, list, i, field, 0, 0, key, "%s must be a number",
               field);
        return DR_EFORMAT;
    }
    double v = json_number_value(rt);
    if (!isfinite(v) || v < 0) {
        report(r, DR_ERANGE, list, i, field, 0, 0, key,
               "%s must not be negative", field);
        return DR_ERANGE;
    }
    return dr_task_set_cost(g, t, v);
}

/* Validates the graph; a cycle is reported at the entry of "parents" of the
 * task its message starts with that names the next task back on it.  Task
 * numbers are indexes of the task list. */
static int validate(wf_reader *r, dr_graph *g, json_t *tasks,
                    const char *list) {
    dr_error local;
    dr_error_clear(&local);
    dr_task first, dep;
    if (dr__graph_validate_at(g, &local, &first, &dep) == 0)
        return 0;
    if (first == DR_TASK_NONE) {
        dr__error_set(r->err, local.code, r->source, 0, 0, NULL, "%s",
                      local.message);
        return -1;
    }
    json_t *parents = json_object_get(json_array_get(tasks, first), "parents");
    const char *dep_key = dr_task_key(g, dep);
    size_t j, at = 0;
    json_t *p;
    json_array_foreach(parents, j, p) {
        if (strcmp(json_string_value(p), dep_key) == 0) {
            at = j;
            break;
        }
    }
    report(r, local.code, list, first, "parents", 1, at, local.task, "%s",
           local.message);
    return -1;
}

dr_graph *dr__load_wfcommons(json_t *root, const char *text, size_t len,
                             const char *source, const dr__limits *limits,
                             dr_error *err) {
    limits = dr__limits_or_defaults(limits);
    wf_reader r = {.text = text,
                   .len = len,
                   .source = source != NULL ? source : "<string>",
                   .err = err};
    if (!json_is_object(root)) {
        dr__error_set(err, DR_EFORMAT, r.source, 0, 0, NULL,
                      "WfCommons: the document must be a JSON object");
        return NULL;
    }
    json_t *tasks = task_list(&r, root);
    if (tasks == NULL)
        return NULL;
    const char *list = r.v15 ? "specification" : NULL;
    const char *key_field = r.v15 ? "id" : "name";
    if (json_array_size(tasks) > limits->max_tasks) {
        dr__error_set(err, DR_ETOOBIG, r.source, 0, 0, NULL,
                      "WfCommons: %zu tasks, more than the limit of "
                      "%zu " DR__RAISE_TASKS,
                      json_array_size(tasks), limits->max_tasks);
        return NULL;
    }
    dr_graph *g = dr_graph_create();
    if (g == NULL)
        goto nomem;

    /* Pass 1: every task, so parents may come later in the list. */
    size_t i;
    json_t *entry;
    json_array_foreach(tasks, i, entry) {
        if (!json_is_object(entry)) {
            report(&r, DR_EFORMAT, list, i, NULL, 0, 0, NULL,
                   "task entry %zu must be an object", i);
            goto fail;
        }
        json_t *k = json_object_get(entry, key_field);
        if (!json_is_string(k) || json_string_length(k) == 0) {
            report(&r, DR_EFORMAT, list, i, k != NULL ? key_field : NULL, 0, 0,
                   NULL, "task entry needs a non-empty string \"%s\"",
                   key_field);
            goto fail;
        }
        const char *key = json_string_value(k);
        if (strlen(key) != json_string_length(k)) {
            report(&r, DR_EFORMAT, list, i, key_field, 0, 0, NULL,
                   "task %s contains a NUL character", key_field);
            goto fail;
        }
        dr_task t;
        int rc = dr_graph_add_task(g, key, &t);
        if (rc == DR_EEXIST) {
            report(&r, DR_EFORMAT, list, i, key_field, 0, 0, key,
                   "duplicate task %s", key_field);
            goto fail;
        }
        if (rc != 0)
            goto nomem;
        if (!r.v15 && set_runtime(&r, g, t, entry, list, i) != 0)
            goto fail;
    }

    /* Pass 2: edges from "parents". */
    size_t ndeps = 0;
    json_array_foreach(tasks, i, entry) {
        dr_task t = (dr_task)i;
        const char *key = dr_task_key(g, t);
        json_t *parents = json_object_get(entry, "parents");
        if (parents == NULL || json_is_null(parents))
            continue;
        if (!json_is_array(parents)) {
            report(&r, DR_EFORMAT, list, i, "parents", 0, 0, key,
                   "\"parents\" must be an array of task %ss", key_field);
            goto fail;
        }
        if ((ndeps += json_array_size(parents)) > limits->max_deps) {
            report(&r, DR_ETOOBIG, list, i, "parents", 0, 0, key,
                   "more than %zu dependencies, the limit " DR__RAISE_DEPS,
                   limits->max_deps);
            goto fail;
        }
        size_t j;
        json_t *p;
        json_array_foreach(parents, j, p) {
            if (!json_is_string(p)) {
                report(&r, DR_EFORMAT, list, i, "parents", 1, j, key,
                       "each parent must be a string (a task %s)", key_field);
                goto fail;
            }
            dr_task d = dr_graph_find(g, json_string_value(p));
            if (d == DR_TASK_NONE) {
                report(&r, DR_EFORMAT, list, i, "parents", 1, j, key,
                       "unknown parent '%s'", json_string_value(p));
                goto fail;
            }
            if (d == t) {
                report(&r, DR_EFORMAT, list, i, "parents", 1, j, key,
                       "is its own parent");
                goto fail;
            }
            if (dr_graph_add_dep(g, t, d) != 0)
                goto nomem;
        }
    }

    /* 1.5: runtimes from the execution record, joined on id. */
    if (r.v15) {
        json_t *wf = json_object_get(root, "workflow");
        json_t *exec = json_object_get(wf, "execution");
        json_t *etasks =
            json_is_object(exec) ? json_object_get(exec, "tasks") : NULL;
        if (exec != NULL && etasks != NULL && !json_is_array(etasks)) {
            dr__error_set(err, DR_EFORMAT, r.source, 0, 0, NULL,
                          "WfCommons 1.5: workflow.execution.tasks must be an "
                          "array");
            goto fail;
        }
        json_array_foreach(etasks, i, entry) {
            json_t *k =
                json_is_object(entry) ? json_object_get(entry, "id") : NULL;
            if (!json_is_string(k)) {
                report(&r, DR_EFORMAT, "execution", i, NULL, 0, 0, NULL,
                       "execution task entry needs a string \"id\"");
                goto fail;
            }
            dr_task t = dr_graph_find(g, json_string_value(k));
            if (t == DR_TASK_NONE) {
                report(&r, DR_EFORMAT, "execution", i, "id", 0, 0,
                       json_string_value(k),
                       "execution record of a task that is not in "
                       "workflow.specification.tasks");
                goto fail;
            }
            if (set_runtime(&r, g, t, entry, "execution", i) != 0)
                goto fail;
        }
    }

    json_t *name = json_object_get(root, "name");
    json_t *desc = json_object_get(root, "description");
    if ((json_is_string(name)
             ? set_name(g, json_string_value(name))
             : dr__graph_name_from_source(g, source, "wfcommons")) != 0 ||
        (json_is_string(desc) &&
         dr_graph_set_description(g, json_string_value(desc)) != 0))
        goto nomem;
    if (validate(&r, g, tasks, list) != 0)
        goto fail;
    return g;

nomem:
    dr__error_set(err, DR_ENOMEM, r.source, 0, 0, NULL, "out of memory");
fail:
    dr_graph_destroy(g);
    return NULL;
}

int dr__is_wfcommons(const json_t *root) {
    if (!json_is_object(root))
        return 0;
    json_t *wf = json_object_get(root, "workflow");
    if (!json_is_object(wf))
        return 0;
    return json_is_object(json_object_get(wf, "specification")) ||
           json_is_array(json_object_get(wf, "tasks")) ||
           json_object_get(root, "schemaVersion") != NULL;
}
