/*
 * What a resumed run reruns (docs/resuming.md "What reruns"): the public
 * dr_plan and the accessors of scheduler/resume.h.
 *
 * Tasks are decided in topological order, so a task's dependencies are
 * decided before it: a task can be cached only when all its dependencies
 * are, and its fingerprint is then recomputed from their recorded result
 * fingerprints.  Each task uses its last successful record; the first
 * reason that applies is the one given.  Everything is per-task arrays
 * and one text buffer for the reasons (a 100,000-task plan allocates a
 * handful of blocks); the records stay in the journal read, borrowed.
 */
#include "resume.h"
#include "graph_internal.h"
#include "journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE_IDX SIZE_MAX

/* The reasons that name nothing, each stored once in the text buffer. */
enum {
    R_FIRST_RUN,
    R_NO_RESUME,
    R_NO_CACHE,
    R_FAILED,
    R_TIMED_OUT,
    R_INTERRUPTED,
    R_COMMAND,
    R_FOLDER,
    R_ARGS,
    R_OPERATION,
    R_INPUTS_LIST,
    R_OUTPUTS_LIST,
    R_DEPS,
    R_POINTER,
    R_MALFORMED,
    R_NFIXED
};

static const char *const fixed_text[R_NFIXED] = {
    [R_FIRST_RUN] = "first run",
    [R_NO_RESUME] = "--resume not given",
    [R_NO_CACHE] = "\"cache\": false",
    [R_FAILED] = "its last attempt failed",
    [R_TIMED_OUT] = "its last attempt timed out",
    [R_INTERRUPTED] = "its last attempt was interrupted",
    [R_COMMAND] = "command changed",
    [R_FOLDER] = "working folder changed",
    [R_ARGS] = "arguments changed",
    [R_OPERATION] = "operation changed",
    [R_INPUTS_LIST] = "its declared inputs changed",
    [R_OUTPUTS_LIST] = "its declared outputs changed",
    [R_DEPS] = "dependencies changed",
    [R_POINTER] = "its result is a C pointer, which the journal cannot store",
    [R_MALFORMED] = "its last successful record is malformed",
};

struct dr_plan {
    const dr_graph *g;
    size_t n, nrun;
    dr__fp *op;       /* every task */
    uint8_t *cached;  /* 1: reused */
    size_t *reason;   /* offset in text; NONE_IDX when cached */
    json_t **record;  /* the record reused, borrowed from `read` */
    dr__fp *result;   /* result fingerprint of a cached task */
    size_t *last_ok;  /* index in read.records of t's last ok record */
    size_t *last_any; /* ... of its last record, whatever the status */
    size_t *prev_ok;  /* per record: the same task's ok record before it */
    dr__file_fp **touched;
    uint32_t *ntouched;
    char *text; /* reasons, NUL-separated */
    size_t len, cap;
    size_t fixed[R_NFIXED];
    int have_read;
    dr__jread read;
    char note[1024]; /* room for an error's text */
};

/* ------------------------------------------------------------ reasons */

/* Appends a NUL-terminated text; returns its offset, or NONE_IDX (ENOMEM). */
static size_t text_add(dr_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t text_add(dr_plan *p, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(p->text + p->len, p->cap - p->len, fmt, ap);
        va_end(ap);
        if (k < 0)
            return NONE_IDX;
        if ((size_t)k < p->cap - p->len) {
            size_t at = p->len;
            p->len += (size_t)k + 1;
            return at;
        }
        size_t cap = p->cap ? p->cap : 4096;
        while (cap - p->len <= (size_t)k)
            cap *= 2;
        char *s = realloc(p->text, cap);
        if (s == NULL)
            return NONE_IDX;
        p->text = s;
        p->cap = cap;
    }
}

static int run_because(dr_plan *p, dr_task t, size_t at) {
    if (at == NONE_IDX)
        return DR_ENOMEM;
    p->reason[t] = at;
    return 0;
}

static int run_fixed(dr_plan *p, dr_task t, int which) {
    if (p->fixed[which] == NONE_IDX)
        p->fixed[which] = text_add(p, "%s", fixed_text[which]);
    return run_because(p, t, p->fixed[which]);
}

/* ------------------------------------------------------------ records */

static int record_fp(const json_t *rec, const char *name, dr__fp *out) {
    return dr__fp_parse(json_string_value(json_object_get(rec, name)), out);
}

/* Whether the record's file list names exactly the task's declared files,
 * in order; fills fps (room for n) from it. */
static int files_match(const json_t *list, const dr_graph *g, dr_task t,
                       int outputs, dr__file_fp *fps) {
    size_t n = outputs ? dr_task_noutputs(g, t) : dr_task_ninputs(g, t);
    if (n == 0 && list == NULL)
        return 1;
    if (!json_is_array(list) || json_array_size(list) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(list, i);
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *want =
            outputs ? dr_task_output(g, t, i) : dr_task_input(g, t, i);
        if (path == NULL || strcmp(path, want) != 0 ||
            dr__journal_file_fp(f, &fps[i]) != 0)
            return 0;
    }
    return 1;
}

/* Scratch space reused from task to task. */
typedef struct scratch {
    dr__fp *deps;
    dr__file_fp *files; /* inputs, then outputs: as recorded */
    dr__file_fp *now;   /* the same, as stat sees them now */
    size_t capdeps, capfiles, capnow;
} scratch;

static int grow(void **p, size_t *cap, size_t want, size_t size) {
    if (want <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < want)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return DR_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Checks declared files against the record: 0 when all hold (touched ones
 * noted in *touched), 1 when one does not (t runs, its reason set), or
 * DR_ENOMEM. */
static int check_files(dr_plan *p, dr_task t, const char *workdir,
                       const dr__file_fp *was, dr__file_fp *now, size_t nin,
                       size_t nout, int *touched) {
    const dr_graph *g = p->g;
    for (size_t i = 0; i < nin + nout; i++) {
        int output = i >= nin;
        const char *path =
            output ? dr_task_output(g, t, i - nin) : dr_task_input(g, t, i);
        const char *why;
        int tch;
        dr_error err;
        dr_error_clear(&err);
        int same =
            dr__file_fp_same(workdir, path, &was[i], &now[i], &tch, &why, &err);
        if (same == 1) {
            *touched |= tch;
            continue;
        }
        if (err.code == DR_ENOMEM)
            return DR_ENOMEM;
        size_t at;
        if (same < 0)
            at = text_add(p, "%s %s: %s", output ? "output" : "input", path,
                          err.message);
        else if (output)
            at = text_add(p, "output %s %s", path,
                          strcmp(why, "missing") == 0 ? "missing" : "changed");
        else
            at = text_add(p, "input %s %s", path, why);
        return run_because(p, t, at) != 0 ? DR_ENOMEM : 1;
    }
    return 0;
}

/* Whether cached dependency d has succeeded again since record `at` was
 * made, with another result than the one it had then: the record holds
 * only the fingerprint of all its dependencies' results together, so the
 * dependency's own records say which one changed.  0 when d had no
 * success before `at` (a new dependency: "dependencies changed"). */
static int reran_differently(const dr_plan *p, dr_task d, size_t at) {
    size_t i = p->last_ok[d];
    if (i < at)
        return 0;
    while (i != NONE_IDX && i > at)
        i = p->prev_ok[i];
    dr__fp then;
    if (i == NONE_IDX ||
        record_fp(json_array_get(p->read.records, i), "result_fp", &then) != 0)
        return 0;
    return !dr__fp_equal(&then, &p->result[d]);
}

/* Decides t, whose dependencies are decided.  Returns 0 or DR_ENOMEM. */
static int decide(dr_plan *p, dr_task t, const char *workdir, scratch *s) {
    const dr_graph *g = p->g;
    const json_t *records = p->read.records;
    size_t at = p->last_ok[t];
    if (at == NONE_IDX) {
        if (p->last_any[t] == NONE_IDX)
            return run_fixed(p, t, R_FIRST_RUN);
        const char *status = json_string_value(
            json_object_get(json_array_get(records, p->last_any[t]), "status"));
        status = status ? status : "";
        return run_fixed(p, t,
                         strcmp(status, "timeout") == 0       ? R_TIMED_OUT
                         : strcmp(status, "interrupted") == 0 ? R_INTERRUPTED
                                                              : R_FAILED);
    }
    if (!dr_task_cache(g, t))
        return run_fixed(p, t, R_NO_CACHE);

    json_t *rec = json_array_get(records, at);
    dr__fp op, fp, result;
    if (record_fp(rec, "op", &op) != 0 || record_fp(rec, "fp", &fp) != 0)
        return run_fixed(p, t, R_MALFORMED);
    if (!dr__fp_equal(&op, &p->op[t])) {
        /* The first half names the op (fingerprint.h). */
        int same_op = op.hi == p->op[t].hi;
        if (dr__task_is_command(g, t))
            return run_fixed(p, t, same_op ? R_FOLDER : R_COMMAND);
        return run_fixed(p, t, same_op ? R_ARGS : R_OPERATION);
    }

    size_t nin = dr_task_ninputs(g, t), nout = dr_task_noutputs(g, t);
    if (grow((void **)&s->files, &s->capfiles, nin + nout, sizeof(*s->files)) ||
        grow((void **)&s->now, &s->capnow, nin + nout, sizeof(*s->now)))
        return DR_ENOMEM;
    if (!files_match(json_object_get(rec, "inputs"), g, t, 0, s->files))
        return run_fixed(p, t, R_INPUTS_LIST);
    if (!files_match(json_object_get(rec, "outputs"), g, t, 1, s->files + nin))
        return run_fixed(p, t, R_OUTPUTS_LIST);

    size_t nd;
    const dr_task *deps = dr_task_deps(g, t, &nd);
    for (size_t i = 0; i < nd; i++)
        if (!p->cached[deps[i]])
            return run_because(
                p, t,
                text_add(p, "dependency %s runs", dr_task_key(g, deps[i])));
    if (grow((void **)&s->deps, &s->capdeps, nd, sizeof(*s->deps)))
        return DR_ENOMEM;
    for (size_t i = 0; i < nd; i++)
        s->deps[i] = p->result[deps[i]];
    dr__fp now_fp;
    dr__task_fp(&p->op[t], s->deps, nd, s->files, nin, &now_fp);
    if (!dr__fp_equal(&now_fp, &fp)) {
        for (size_t i = 0; i < nd; i++)
            if (reran_differently(p, deps[i], at))
                return run_because(
                    p, t,
                    text_add(p, "dependency %s reran with a different result",
                             dr_task_key(g, deps[i])));
        return run_fixed(p, t, R_DEPS);
    }

    int touched = 0;
    int rc = check_files(p, t, workdir, s->files, s->now, nin, nout, &touched);
    if (rc != 0)
        return rc < 0 ? rc : 0;

    json_t *rfp = json_object_get(rec, "result_fp");
    if (json_is_null(rfp))
        return run_fixed(p, t, R_POINTER);
    if (dr__fp_parse(json_string_value(rfp), &result) != 0)
        return run_fixed(p, t, R_MALFORMED);

    p->cached[t] = 1;
    p->reason[t] = NONE_IDX;
    p->record[t] = rec;
    p->result[t] = result;
    if (touched) {
        p->touched[t] = malloc((nin + nout) * sizeof(dr__file_fp));
        if (p->touched[t] == NULL)
            return DR_ENOMEM;
        memcpy(p->touched[t], s->now, (nin + nout) * sizeof(dr__file_fp));
        p->ntouched[t] = (uint32_t)(nin + nout);
    }
    return 0;
}

/* Last ok and last any record of each task (records of tasks the graph no
 * longer has are ignored). */
static int index_records(dr_plan *p) {
    const json_t *records = p->read.records;
    size_t n = json_array_size(records);
    if ((p->prev_ok = malloc((n + 1) * sizeof(*p->prev_ok))) == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        p->prev_ok[i] = NONE_IDX;
        const json_t *rec = json_array_get(records, i);
        const char *key = json_string_value(json_object_get(rec, "task"));
        dr_task t = key ? dr_graph_find(p->g, key) : DR_TASK_NONE;
        if (t == DR_TASK_NONE)
            continue;
        p->last_any[t] = i;
        const char *status = json_string_value(json_object_get(rec, "status"));
        if (status != NULL && strcmp(status, "ok") == 0) {
            p->prev_ok[i] = p->last_ok[t];
            p->last_ok[t] = i;
        }
    }
    return 0;
}

/* Every task runs for the same reason. */
static int all_run(dr_plan *p, int which) {
    for (size_t t = 0; t < p->n; t++)
        if (run_fixed(p, (dr_task)t, which) != 0)
            return DR_ENOMEM;
    return 0;
}

static int plan_fill(dr_plan *p, const dr_run_options *opts, dr_error *err) {
    const char *workdir = opts ? opts->workdir : NULL;
    for (size_t t = 0; t < p->n; t++)
        if (dr__task_op_fp(p->g, (dr_task)t, workdir, &p->op[t]) != 0)
            return DR_ENOMEM;
    if (opts == NULL || !opts->resume)
        return all_run(p, R_NO_RESUME);
    if (opts->journal == NULL) {
        snprintf(p->note, sizeof(p->note),
                 "the run keeps no journal to resume from: every task runs");
        return all_run(p, R_FIRST_RUN);
    }
    dr_error rerr;
    dr_error_clear(&rerr);
    int rc =
        dr__journal_read(opts->journal, dr_graph_name(p->g), &p->read, &rerr);
    if (rc == DR_ENOMEM) {
        dr__error_set(err, DR_ENOMEM, opts->journal, 0, 0, NULL,
                      "out of memory");
        return rc;
    }
    if (rc != 0) {
        snprintf(p->note, sizeof(p->note), "%s: every task runs", rerr.text);
        return all_run(p, R_FIRST_RUN);
    }
    p->have_read = 1;
    if (p->read.note[0] != '\0') {
        snprintf(p->note, sizeof(p->note), "%s", p->read.note);
        return all_run(p, R_FIRST_RUN);
    }
    for (size_t t = 0; t < p->n; t++)
        p->last_ok[t] = p->last_any[t] = NONE_IDX;
    if (index_records(p) != 0)
        return DR_ENOMEM;
    const dr_task *topo = dr_graph_topo_order(p->g);
    scratch s = {0};
    rc = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        rc = decide(p, topo[i], workdir, &s);
    free(s.deps);
    free(s.files);
    free(s.now);
    return rc;
}

dr_plan *dr_plan_create(dr_graph *g, const dr_run_options *opts,
                        dr_error *err) {
    if (dr_graph_topo_order(g) == NULL && dr_graph_validate(g, err) != 0)
        return NULL;
    dr_plan *p = calloc(1, sizeof(*p));
    size_t n = dr_graph_ntasks(g);
    if (p != NULL) {
        p->g = g;
        p->n = n;
        for (int i = 0; i < R_NFIXED; i++)
            p->fixed[i] = NONE_IDX;
        /* +1: calloc(0) may give NULL. */
        p->op = calloc(n + 1, sizeof(*p->op));
        p->cached = calloc(n + 1, sizeof(*p->cached));
        p->reason = calloc(n + 1, sizeof(*p->reason));
        p->record = calloc(n + 1, sizeof(*p->record));
        p->result = calloc(n + 1, sizeof(*p->result));
        p->last_ok = calloc(n + 1, sizeof(*p->last_ok));
        p->last_any = calloc(n + 1, sizeof(*p->last_any));
        p->touched = calloc(n + 1, sizeof(*p->touched));
        p->ntouched = calloc(n + 1, sizeof(*p->ntouched));
    }
    if (p == NULL || p->op == NULL || p->cached == NULL || p->reason == NULL ||
        p->record == NULL || p->result == NULL || p->last_ok == NULL ||
        p->last_any == NULL || p->touched == NULL || p->ntouched == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        dr_plan_destroy(p);
        return NULL;
    }
    if (plan_fill(p, opts, err) != 0) {
        if (err != NULL && err->code == 0)
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        dr_plan_destroy(p);
        return NULL;
    }
    for (size_t t = 0; t < n; t++)
        p->nrun += !p->cached[t];
    return p;
}

void dr_plan_destroy(dr_plan *p) {
    if (p == NULL)
        return;
    if (p->touched != NULL)
        for (size_t t = 0; t < p->n; t++)
            free(p->touched[t]);
    free(p->touched);
    free(p->ntouched);
    free(p->op);
    free(p->cached);
    free(p->reason);
    free(p->record);
    free(p->result);
    free(p->last_ok);
    free(p->last_any);
    free(p->prev_ok);
    free(p->text);
    if (p->have_read)
        dr__journal_read_free(&p->read);
    free(p);
}

int dr_plan_cached(const dr_plan *p, dr_task t) {
    return t < p->n && p->cached[t];
}

const char *dr_plan_reason(const dr_plan *p, dr_task t) {
    if (t >= p->n || p->cached[t])
        return NULL;
    return p->text + p->reason[t];
}

size_t dr_plan_nrun(const dr_plan *p) { return p->nrun; }

const char *dr_plan_note(const dr_plan *p) { return p->note; }

json_t *dr__plan_result(const dr_plan *p, dr_task t) {
    return dr_plan_cached(p, t) ? json_object_get(p->record[t], "result")
                                : NULL;
}

int dr__plan_result_fp(const dr_plan *p, dr_task t, dr__fp *out) {
    if (!dr_plan_cached(p, t))
        return -1;
    *out = p->result[t];
    return 0;
}

const dr__fp *dr__plan_op_fp(const dr_plan *p, dr_task t) { return &p->op[t]; }

json_t *dr__plan_record(const dr_plan *p, dr_task t) {
    return dr_plan_cached(p, t) ? p->record[t] : NULL;
}

const dr__file_fp *dr__plan_touched(const dr_plan *p, dr_task t, size_t *n) {
    if (!dr_plan_cached(p, t) || p->touched[t] == NULL) {
        *n = 0;
        return NULL;
    }
    *n = p->ntouched[t];
    return p->touched[t];
}

void dr_plan_print(const dr_plan *p, FILE *out) {
    const dr_task *order = dr_graph_topo_order(p->g);
    for (size_t i = 0; order != NULL && i < p->n; i++) {
        const char *why = dr_plan_reason(p, order[i]);
        if (why == NULL)
            continue;
        /* A key may hold anything; the terminal gets it escaped. */
        const char *key = dr_task_key(p->g, order[i]);
        char *safe = dr__safe_text(key, strlen(key), 0);
        fprintf(out, "%s: %s\n", safe != NULL ? safe : key, why);
        free(safe);
    }
}
