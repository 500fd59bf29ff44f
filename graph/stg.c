/*
 * Reader for the Standard Task Graph Set (STG) of the Kasahara laboratory.
 *
 * An STG file is a task count n, then n + 2 task records
 *     id  processing-time  npred  pred_1 ... pred_npred
 * for ids 0..n+1 in order, where 0 is a dummy entry and n+1 a dummy exit,
 * then free-form '#' comment lines (the generator's parameters, the critical
 * path length and the average parallelism).  The published files align the
 * numbers in columns; we split on whitespace instead, so any spacing works.
 *
 * Design decisions:
 *  - A record is one line.  The format never wraps a record, and keeping
 *    records to lines lets a wrong predecessor count be reported on the line
 *    where it is wrong instead of swallowing the next record's id.
 *  - The dummy entry and exit are dropped when their processing time is 0
 *    (always, in the published sets): they only hold the graph together.
 *    Edges from the entry vanish, so a task that depended only on it becomes
 *    a source; edges into the exit vanish likewise.  A dummy with a non-zero
 *    time is kept as a real task so that no work is lost.
 *  - Tasks are keyed "t<id>" (t1..tn), keeping the STG numbering so a task
 *    can be found in the original file, while reading as a name rather than
 *    a count in diagrams and traces.
 *  - The cost of a task is its processing time.
 *  - Predecessors may name any other record (not only earlier ones).  A
 *    cycle is found by dr_graph_validate() once the graph is built, and
 *    reported at the predecessor that closes it, with its line and column.
 *  - The task count and the number of predecessors are capped by the
 *    limits (DAGRUN_MAX_TASKS, DAGRUN_MAX_DEPS) as they are read, so a
 *    huge count in a short file fails at once.
 *  - The input need not be NUL-terminated (the fuzzer hands us raw bytes):
 *    every read is bounded by `len`.
 *
 * Errors name source:line:column and the task, e.g.
 *     rand0000.stg:14:25: task 't12': predecessor 60 is out of range (0..51)
 */
#include "formats_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ids must fit a dr_task with room for the dummies.  The limit the user
 * sees is DAGRUN_MAX_TASKS (graph/limits.c), far lower by default. */
#define STG_MAX_TASKS ((unsigned long long)UINT32_MAX - 4)

typedef struct stg_reader {
    const char *text, *end;
    const char *next;       /* start of the next unread line, NULL at end */
    const char *line_start; /* start of the current line */
    const char *pos;        /* next unread byte of the current line */
    const char *line_end;   /* end of the current line's content: its '\n',
                               a '#' comment or the end of the text */
    int line;               /* 1-based number of the current line */
    const char *source;
    dr_error *err;
} stg_reader;

typedef struct stg_token {
    const char *s;
    size_t len;
    int column;
} stg_token;

static int is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Moves to the next line holding something besides blanks and a '#'
 * comment.  Returns 1 when there is one, 0 at the end of the text. */
static int next_content_line(stg_reader *r) {
    while (r->next != NULL) {
        const char *p = r->next;
        const char *e = memchr(p, '\n', (size_t)(r->end - p));
        r->next = e != NULL ? e + 1 : NULL;
        r->line += r->line < INT_MAX; /* a 4 GiB file may pass it */
        r->line_start = p;
        r->pos = p;
        r->line_end = e != NULL ? e : r->end;
        /* A comment may also follow a record: "5 3 0  # note". */
        const char *hash = memchr(p, '#', (size_t)(r->line_end - p));
        if (hash != NULL)
            r->line_end = hash;
        for (const char *q = p; q < r->line_end; q++)
            if (!is_blank(*q))
                return 1;
    }
    return 0;
}

/* Reads the next token of the current line; returns 0 when the line has no
 * more tokens. */
static int next_token(stg_reader *r, stg_token *t) {
    const char *p = r->pos;
    while (p < r->line_end && is_blank(*p))
        p++;
    if (p >= r->line_end) {
        r->pos = p;
        return 0;
    }
    const char *s = p;
    while (p < r->line_end && !is_blank(*p))
        p++;
    t->s = s;
    t->len = (size_t)(p - s);
    t->column = (int)(s - r->line_start) + 1;
    r->pos = p;
    return 1;
}

/* Parses a token as a non-negative integer no larger than max. */
static int token_uint(const stg_token *t, unsigned long long max,
                      unsigned long long *out) {
    unsigned long long v = 0;
    if (t->len == 0)
        return -1;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c < '0' || c > '9')
            return -1;
        if (v > (max - (c - '0')) / 10)
            return -2;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

/* Prints a token for an error message, shortened and made printable. */
static const char *token_text(const stg_token *t, char *buf, size_t size) {
    size_t n = t->len < size - 4 ? t->len : size - 4;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n < t->len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* Reads the next token of the current record as an integer, with errors
 * naming what it is ("processing time", ...). */
static int read_uint(stg_reader *r, const char *task, const char *what,
                     unsigned long long max, unsigned long long *out,
                     int *column) {
    stg_token t;
    if (!next_token(r, &t)) {
        dr__error_set(r->err, DR_EPARSE, r->source, r->line,
                      (int)(r->line_end - r->line_start) + 1, task,
                      "the line ends before the %s", what);
        return DR_EPARSE;
    }
    if (column != NULL)
        *column = t.column;
    char buf[40];
    int rc = token_uint(&t, max, out);
    if (rc == -1) {
        dr__error_set(r->err, DR_EPARSE, r->source, r->line, t.column, task,
                      "%s: expected a non-negative integer, got '%s'", what,
                      token_text(&t, buf, sizeof(buf)));
        return DR_EPARSE;
    }
    if (rc == -2) {
        dr__error_set(r->err, DR_ERANGE, r->source, r->line, t.column, task,
                      "%s %s is too large (at most %llu)", what,
                      token_text(&t, buf, sizeof(buf)), max);
        return DR_ERANGE;
    }
    return 0;
}

typedef struct stg_record {
    unsigned long long ptime;
    size_t first_pred, npred; /* into the preds array */
    int line;
} stg_record;

typedef struct stg_pred {
    uint32_t id;
    int column;
} stg_pred;

/* The graph key of STG record `id`. */
static void task_key(unsigned long long id, char *buf, size_t size) {
    snprintf(buf, size, "t%llu", id);
}

/* Validates the built graph; a cycle is reported on the record of the task
 * its message starts with, at the predecessor that closes it.  Tasks are
 * records in order, less the dropped entry dummy. */
static int validate(dr_graph *g, const stg_record *recs, const stg_pred *preds,
                    int keep_entry, stg_reader *r) {
    dr_error local;
    dr_error_clear(&local);
    dr_task first, dep;
    int rc = dr__graph_validate_at(g, &local, &first, &dep);
    if (rc == 0)
        return 0;
    int line = 0, column = 0;
    if (first != DR_TASK_NONE) {
        size_t id = (size_t)first + (keep_entry ? 0 : 1);
        uint32_t dep_id = (uint32_t)dep + (keep_entry ? 0 : 1);
        line = recs[id].line;
        for (size_t k = 0; k < recs[id].npred; k++)
            if (preds[recs[id].first_pred + k].id == dep_id)
                column = preds[recs[id].first_pred + k].column;
    }
    dr__error_set(r->err, rc, r->source, line, column,
                  local.task[0] ? local.task : NULL, "%s", local.message);
    return -1;
}

dr_graph *dr__load_stg(const char *text, size_t len, const char *source,
                       const dr__limits *limits, dr_error *err) {
    limits = dr__limits_or_defaults(limits);
    stg_reader r = {.text = text,
                    .end = text + len,
                    .next = text,
                    .source = source != NULL ? source : "<string>",
                    .err = err};
    stg_record *recs = NULL;
    stg_pred *preds = NULL;
    size_t npreds = 0, cappreds = 0;
    dr_graph *g = NULL;
    char key[32];
    int rc = 0;

    if (text == NULL && len > 0) {
        dr__error_set(err, DR_EINVAL, r.source, 0, 0, NULL, "no text");
        return NULL;
    }
    if (len == 0 || !next_content_line(&r)) {
        dr__error_set(err, DR_EPARSE, r.source, 1, 1, NULL,
                      "empty STG file: expected the number of tasks");
        return NULL;
    }
    unsigned long long n;
    if (read_uint(&r, NULL, "number of tasks", STG_MAX_TASKS, &n, NULL) != 0)
        return NULL;
    stg_token extra;
    if (next_token(&r, &extra)) {
        char buf[40];
        dr__error_set(err, DR_EPARSE, r.source, r.line, extra.column, NULL,
                      "unexpected '%s' after the number of tasks",
                      token_text(&extra, buf, sizeof(buf)));
        return NULL;
    }
    int first_line = r.line;
    if (n > limits->max_tasks) {
        dr__error_set(err, DR_ETOOBIG, r.source, r.line, 1, NULL,
                      "the file declares %llu tasks, more than the limit of "
                      "%zu " DR__RAISE_TASKS,
                      n, limits->max_tasks);
        return NULL;
    }

    /* Records are read before any task is made, so a truncated file with a
     * huge n costs nothing: arrays grow with the records actually present. */
    size_t caprecs = 0;
    unsigned long long nrec = n + 2;
    for (unsigned long long id = 0; id < nrec; id++) {
        if (!next_content_line(&r)) {
            dr__error_set(err, DR_EPARSE, r.source, r.line, 0, NULL,
                          "truncated file: expected %llu task records "
                          "(ids 0..%llu) after the count on line %d, found "
                          "%llu",
                          nrec, n + 1, first_line, id);
            goto fail;
        }
        if (id == caprecs) {
            size_t cap = caprecs ? caprecs * 2 : 64;
            stg_record *p = realloc(recs, cap * sizeof(*p));
            if (p == NULL)
                goto nomem;
            recs = p;
            caprecs = cap;
        }
        task_key(id, key, sizeof(key));
        unsigned long long got_id, npred;
        int col;
        if (read_uint(&r, NULL, "task id", STG_MAX_TASKS + 1, &got_id, &col) !=
            0)
            goto fail;
        if (got_id != id) {
            dr__error_set(err, DR_EFORMAT, r.source, r.line, col, NULL,
                          "task ids out of order: expected %llu, got %llu "
                          "(ids run 0..%llu, one record a line)",
                          id, got_id, n + 1);
            goto fail;
        }
        stg_record *rec = &recs[id];
        rec->line = r.line;
        rec->first_pred = npreds;
        if (read_uint(&r, key, "processing time", 1000000000000ull, &rec->ptime,
                      NULL) != 0 ||
            read_uint(&r, key, "number of predecessors", nrec, &npred, NULL) !=
                0)
            goto fail;
        rec->npred = (size_t)npred;
        for (unsigned long long k = 0; k < npred; k++) {
            unsigned long long pred;
            stg_token t;
            if (!next_token(&r, &t)) {
                dr__error_set(err, DR_EFORMAT, r.source, r.line,
                              (int)(r.line_end - r.line_start) + 1, key,
                              "says it has %llu predecessors but the line "
                              "lists %llu",
                              npred, k);
                goto fail;
            }
            char buf[40];
            int prc = token_uint(&t, STG_MAX_TASKS + 1, &pred);
            if (prc == -1) {
                dr__error_set(err, DR_EPARSE, r.source, r.line, t.column, key,
                              "predecessor: expected a task id, got '%s'",
                              token_text(&t, buf, sizeof(buf)));
                goto fail;
            }
            if (prc == -2 || pred > n + 1) {
                dr__error_set(err, DR_ERANGE, r.source, r.line, t.column, key,
                              "predecessor %s is out of range (0..%llu)",
                              token_text(&t, buf, sizeof(buf)), n + 1);
                goto fail;
            }
            if (pred == id) {
                dr__error_set(err, DR_EFORMAT, r.source, r.line, t.column, key,
                              "depends on itself");
                goto fail;
            }
            if (pred == n + 1) {
                dr__error_set(err, DR_EFORMAT, r.source, r.line, t.column, key,
                              "depends on the exit task %llu, which must come "
                              "last",
                              n + 1);
                goto fail;
            }
            if (npreds >= limits->max_deps) {
                dr__error_set(
                    err, DR_ETOOBIG, r.source, r.line, t.column, key,
                    "more than %zu dependencies, the limit " DR__RAISE_DEPS,
                    limits->max_deps);
                goto fail;
            }
            if (npreds == cappreds) {
                size_t cap = cappreds ? cappreds * 2 : 256;
                stg_pred *p = realloc(preds, cap * sizeof(*p));
                if (p == NULL)
                    goto nomem;
                preds = p;
                cappreds = cap;
            }
            preds[npreds].id = (uint32_t)pred;
            preds[npreds].column = t.column;
            npreds++;
        }
        if (next_token(&r, &extra)) {
            char buf[40];
            dr__error_set(err, DR_EFORMAT, r.source, r.line, extra.column, key,
                          "unexpected '%s' after its %llu predecessors (wrong "
                          "predecessor count?)",
                          token_text(&extra, buf, sizeof(buf)), npred);
            goto fail;
        }
    }
    if (next_content_line(&r)) {
        stg_token t = {0};
        char buf[40];
        next_token(&r, &t);
        dr__error_set(err, DR_EFORMAT, r.source, r.line, t.column, NULL,
                      "unexpected '%s' after the exit task %llu (only '#' "
                      "comments may follow)",
                      token_text(&t, buf, sizeof(buf)), n + 1);
        goto fail;
    }

    /* Build the graph: record id -> dr_task, DR_TASK_NONE for a dropped
     * dummy. */
    int keep_entry = recs[0].ptime != 0, keep_exit = recs[n + 1].ptime != 0;
    dr_task *task_of = malloc((size_t)nrec * sizeof(*task_of));
    g = dr_graph_create();
    if (task_of == NULL || g == NULL) {
        free(task_of);
        goto nomem;
    }
    for (unsigned long long id = 0; id < nrec; id++) {
        task_of[id] = DR_TASK_NONE;
        if ((id == 0 && !keep_entry) || (id == n + 1 && !keep_exit))
            continue;
        task_key(id, key, sizeof(key));
        if ((rc = dr_graph_add_task(g, key, &task_of[id])) != 0 ||
            (rc = dr_task_set_cost(g, task_of[id], (double)recs[id].ptime)) !=
                0) {
            free(task_of);
            goto nomem;
        }
    }
    for (unsigned long long id = 0; id < nrec; id++) {
        dr_task t = task_of[id];
        if (t == DR_TASK_NONE)
            continue;
        for (size_t k = 0; k < recs[id].npred; k++) {
            dr_task d = task_of[preds[recs[id].first_pred + k].id];
            if (d == DR_TASK_NONE)
                continue;
            if ((rc = dr_graph_add_dep(g, t, d)) != 0) {
                free(task_of);
                goto nomem;
            }
        }
    }
    free(task_of);
    if ((rc = dr__graph_name_from_source(g, source, "stg")) != 0)
        goto nomem;
    if (validate(g, recs, preds, keep_entry, &r) != 0)
        goto fail;
    free(recs);
    free(preds);
    return g;

nomem:
    dr__error_set(err, DR_ENOMEM, r.source, 0, 0, NULL, "out of memory");
fail:
    free(recs);
    free(preds);
    dr_graph_destroy(g);
    return NULL;
}
