/*
 * The recorder (recorder.h): attempts queued under the driver's lock, then
 * fingerprinted, formatted and written by one thread outside it.
 */
#include "recorder.h"
#include "graph_internal.h"
#include "resume.h"
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    dr_task task;
    uint32_t worker, attempt, status;
    int pointer;
    double start, end;
    char *error;  /* owned, or NULL */
    json_t *json; /* a reference, or NULL */
} entry;

typedef struct queue {
    entry *e;
    size_t n, cap;
} queue;

struct dr__recorder {
    const dr_graph *g;
    dr__journal *j;
    const dr_plan *plan;
    const char *workdir;
    size_t ntasks;
    dr__fp *result_fp; /* (writer) per task, once its ok record is made */
    uint8_t *have_fp;  /* (writer) per task: result_fp is known */
    queue pushed;      /* (driver's lock) */
    queue batch;       /* (writer) */
    dr__fp *dep_fps;   /* (writer) scratch for one task's dependencies */
    size_t cap_dep_fps;
    dr__jfile *files; /* (writer) scratch: inputs then outputs */
    dr__file_fp *fps; /* (writer) scratch: the files' fps, inputs first */
    size_t cap_files;
    dr__fp null_fp; /* the result fingerprint of JSON null */
    int failed;
    char error[sizeof(((dr_error *)0)->text)];
};

dr__recorder *dr__recorder_create(const dr_graph *g, dr__journal *j,
                                  const dr_plan *plan, const char *workdir) {
    dr__recorder *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->g = g;
    r->j = j;
    r->plan = plan;
    r->workdir = workdir;
    r->ntasks = dr_graph_ntasks(g);
    size_t n1 = r->ntasks ? r->ntasks : 1;
    r->result_fp = calloc(n1, sizeof *r->result_fp);
    r->have_fp = calloc(n1, 1);
    if (r->result_fp == NULL || r->have_fp == NULL ||
        dr__json_fp(NULL, &r->null_fp) != 0) {
        dr__recorder_destroy(r);
        return NULL;
    }
    /* The cached tasks' results feed their dependents as recorded. */
    for (dr_task t = 0; t < r->ntasks; t++)
        if (plan != NULL && dr_plan_cached(plan, t) &&
            dr__plan_result_fp(plan, t, &r->result_fp[t]) == 0)
            r->have_fp[t] = 1;
    return r;
}

static void queue_clear(queue *q) {
    for (size_t i = 0; i < q->n; i++) {
        free(q->e[i].error);
        json_decref(q->e[i].json);
    }
    q->n = 0;
}

void dr__recorder_destroy(dr__recorder *r) {
    if (r == NULL)
        return;
    queue_clear(&r->pushed);
    queue_clear(&r->batch);
    free(r->pushed.e);
    free(r->batch.e);
    free(r->result_fp);
    free(r->have_fp);
    free(r->dep_fps);
    free(r->files);
    free(r->fps);
    free(r);
}

int dr__recorder_push(dr__recorder *r, dr_task t, unsigned worker,
                      unsigned attempt, unsigned status, double start,
                      double end, const char *error, json_t *result,
                      int pointer) {
    queue *q = &r->pushed;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 256;
        entry *e = realloc(q->e, cap * sizeof *e);
        if (e == NULL)
            return DR_ENOMEM;
        q->e = e;
        q->cap = cap;
    }
    entry *e = &q->e[q->n];
    e->task = t;
    e->worker = worker;
    e->attempt = attempt;
    e->status = status;
    e->pointer = pointer;
    e->start = start;
    e->end = end;
    e->error = NULL;
    if (error != NULL && (e->error = strdup(error)) == NULL)
        return DR_ENOMEM;
    e->json = json_incref(result);
    q->n++;
    return 0;
}

size_t dr__recorder_queued(const dr__recorder *r) { return r->pushed.n; }

void dr__recorder_take(dr__recorder *r) {
    /* The writer has emptied its batch before it takes again; the arrays
     * swap, so neither side allocates in the steady state. */
    queue q = r->batch;
    r->batch = r->pushed;
    r->pushed = q;
    r->pushed.n = 0;
}

static int reserve(dr__recorder *r, size_t ndeps, size_t nfiles) {
    if (ndeps > r->cap_dep_fps) {
        dr__fp *d = realloc(r->dep_fps, ndeps * sizeof *d);
        if (d == NULL)
            return DR_ENOMEM;
        r->dep_fps = d;
        r->cap_dep_fps = ndeps;
    }
    if (nfiles > r->cap_files) {
        dr__jfile *f = realloc(r->files, nfiles * sizeof *f);
        if (f == NULL)
            return DR_ENOMEM;
        r->files = f;
        dr__file_fp *p = realloc(r->fps, nfiles * sizeof *p);
        if (p == NULL)
            return DR_ENOMEM;
        r->fps = p;
        r->cap_files = nfiles;
    }
    return 0;
}

/* Stats and hashes the declared file `path` into f; a file that cannot be
 * read is recorded as missing (so that a resume never trusts it). */
static void file_entry(dr__recorder *r, const char *path, dr__jfile *f) {
    dr_error ignored;
    f->path = path;
    if (dr__file_fp_compute(r->workdir, path, &f->fp, &ignored) != 0)
        memset(&f->fp, 0, sizeof f->fp);
}

/* Formats one attempt's record.  Returns 0 or DR_ENOMEM. */
static int record(dr__recorder *r, const entry *e) {
    const dr_graph *g = r->g;
    dr_task t = e->task;
    size_t nd, ni = dr_task_ninputs(g, t), no = dr_task_noutputs(g, t);
    const dr_task *deps = dr_task_deps(g, t, &nd);
    if (reserve(r, nd, ni + no) != 0)
        return DR_ENOMEM;
    int known = 1; /* every dependency's result fingerprint is known */
    for (size_t i = 0; i < nd; i++) {
        if (!r->have_fp[deps[i]])
            known = 0;
        r->dep_fps[i] = r->result_fp[deps[i]];
    }
    for (size_t i = 0; i < ni; i++) {
        file_entry(r, dr_task_input(g, t, i), &r->files[i]);
        r->fps[i] = r->files[i].fp;
    }
    int ok = e->status == DR__ATTEMPT_OK;
    for (size_t i = 0; ok && i < no; i++)
        file_entry(r, dr_task_output(g, t, i), &r->files[ni + i]);

    dr__jrec rec;
    memset(&rec, 0, sizeof rec);
    rec.task = dr_task_key(g, t);
    rec.attempt = e->attempt;
    rec.worker = e->worker;
    rec.status = dr__attempt_status_name(e->status);
    rec.start = e->start;
    rec.end = e->end;
    rec.op = *dr__plan_op_fp(r->plan, t);
    dr__task_fp(&rec.op, r->dep_fps, nd, r->fps, ni, &rec.fp);
    rec.inputs = r->files;
    rec.ninputs = ni;
    rec.error = ok ? NULL : (e->error ? e->error : "failed");

    dr__fp result_fp;
    char *text = NULL;
    if (ok) {
        rec.outputs = r->files + ni;
        rec.noutputs = no;
        int command = dr__task_is_command(g, t);
        if (e->pointer || !known) {
            /* A pointer cannot be stored; a task fed by one cannot be
             * trusted either (its inputs were not recorded). */
            rec.result_fp = NULL;
        } else if (command) {
            for (size_t i = 0; i < no; i++)
                r->fps[ni + i] = r->files[ni + i].fp;
            dr__command_result_fp(&rec.fp, r->fps + ni, no, &result_fp);
            rec.result_fp = &result_fp;
        } else if (e->json == NULL || json_is_null(e->json)) {
            result_fp = r->null_fp;
            rec.result_fp = &result_fp;
        } else {
            /* Dumped once: the text stored is the one hashed. */
            if (dr__json_fp_text(e->json, &result_fp, &text, &rec.result_len) !=
                0)
                return DR_ENOMEM;
            rec.result = text;
            rec.result_fp = &result_fp;
        }
        if (rec.result_fp != NULL) {
            r->result_fp[t] = result_fp;
            r->have_fp[t] = 1;
        } else {
            r->have_fp[t] = 0;
        }
    }
    int rc = dr__journal_append(r->j, &rec);
    free(text);
    return rc;
}

int dr__recorder_write(dr__recorder *r, int sync, dr_error *err) {
    int rc = 0;
    for (size_t i = 0; i < r->batch.n && !r->failed; i++)
        if (record(r, &r->batch.e[i]) != 0) {
            rc = DR_ENOMEM;
            break;
        }
    queue_clear(&r->batch);
    if (r->failed)
        return 0;
    dr_error e;
    dr_error_clear(&e);
    if (rc == 0)
        rc = sync ? dr__journal_sync(r->j, &e) : dr__journal_write(r->j, &e);
    else
        dr__error_set(&e, rc, NULL, 0, 0, NULL,
                      "out of memory writing the journal");
    if (rc != 0) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "%s", e.text);
        if (err != NULL)
            *err = e;
    }
    return rc;
}

const char *dr__recorder_error(const dr__recorder *r) {
    return r->failed ? r->error : NULL;
}

/* The record's file list `name` with the fps of `now` (the list's order). */
static int touched_files(const json_t *rec, const char *name,
                         const dr__file_fp *now, dr__jfile *out, size_t n) {
    const json_t *list = json_object_get(rec, name);
    if (json_array_size(list) != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[i].path =
            json_string_value(json_object_get(json_array_get(list, i), "path"));
        out[i].fp = now[i];
        if (out[i].path == NULL)
            return -1;
    }
    return 0;
}

static int touched_record(const dr_plan *plan, dr_task t, const char *key,
                          dr__journal *j) {
    size_t nfiles;
    const dr__file_fp *now = dr__plan_touched(plan, t, &nfiles);
    const json_t *rec = dr__plan_record(plan, t);
    if (now == NULL || rec == NULL)
        return 0;
    size_t ni = json_array_size(json_object_get(rec, "inputs"));
    size_t no = json_array_size(json_object_get(rec, "outputs"));
    if (ni + no != nfiles)
        return 0;
    dr__jfile *files = malloc((nfiles ? nfiles : 1) * sizeof *files);
    if (files == NULL)
        return DR_ENOMEM;
    dr__jrec r;
    memset(&r, 0, sizeof r);
    dr__fp result_fp;
    int rc = 0;
    if (touched_files(rec, "inputs", now, files, ni) != 0 ||
        touched_files(rec, "outputs", now + ni, files + ni, no) != 0 ||
        dr__fp_parse(json_string_value(json_object_get(rec, "fp")), &r.fp) !=
            0 ||
        dr__fp_parse(json_string_value(json_object_get(rec, "op")), &r.op) !=
            0 ||
        dr__fp_parse(json_string_value(json_object_get(rec, "result_fp")),
                     &result_fp) != 0) {
        free(files);
        return 0; /* the plan checked it; nothing to refresh otherwise */
    }
    r.task = key;
    r.attempt = (unsigned)json_integer_value(json_object_get(rec, "attempt"));
    r.worker = (unsigned)json_integer_value(json_object_get(rec, "worker"));
    r.status = "ok";
    r.start = json_number_value(json_object_get(rec, "start"));
    r.end = json_number_value(json_object_get(rec, "end"));
    r.result_fp = &result_fp;
    r.inputs = files;
    r.ninputs = ni;
    r.outputs = files + ni;
    r.noutputs = no;
    char *text = NULL;
    const json_t *result = json_object_get(rec, "result");
    dr__fp unused;
    if (result != NULL &&
        dr__json_fp_text(result, &unused, &text, &r.result_len) != 0)
        rc = DR_ENOMEM;
    r.result = text;
    if (rc == 0)
        rc = dr__journal_append(j, &r);
    free(text);
    free(files);
    return rc;
}

int dr__record_touched(const dr_graph *g, const dr_plan *plan, dr__journal *j) {
    int any = 0;
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++) {
        size_t n;
        if (dr__plan_touched(plan, t, &n) == NULL)
            continue;
        int rc = touched_record(plan, t, dr_task_key(g, t), j);
        if (rc != 0)
            return rc;
        any = 1;
    }
    return any ? dr__journal_write(j, NULL) : 0;
}
