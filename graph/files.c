/*
 * The rules on the files tasks declare (docs/graph-format.md, "Declared
 * files"): one file is the output of at most one task; a task that reads
 * another task's output depends on it, directly or not (else the two race);
 * and, before a real run, an input that no task outputs exists.
 *
 * Paths are compared as written, after the spellings that are the same file
 * whatever the file system holds are made one: "./" components and repeated
 * or trailing slashes go ("./out//a.txt" is "out/a.txt").  Two spellings of
 * one file through a symbolic link, "..", or an absolute and a relative path
 * are not seen as one: telling would need the file system, and the rules
 * must hold for a graph before any of its files exist.
 *
 * Outputs go into an open-addressing table of (hash, task, index) over the
 * normalised paths, built once per check in O(files); only inputs found in
 * it are checked for a dependency, first among the reader's own
 * dependencies (O(1) each), then by graph searches that each serve a group
 * of reads (answer_queries).
 */
#include "graph_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t dr__path_normalize(const char *path, char *out) {
    size_t n = 0;
    const char *p = path;
    int absolute = *p == '/';
    if (absolute)
        out[n++] = '/';
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            break;
        if (!(len == 1 && p[0] == '.')) {
            if (n > 0 && out[n - 1] != '/')
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        out[n++] = '.';
    out[n] = '\0';
    return n;
}

typedef struct file_slot {
    uint32_t hash;
    dr_task task; /* DR_TASK_NONE: empty */
    uint32_t index;
    uint32_t off; /* of the normalised path in the table's text */
} file_slot;

typedef struct file_table {
    file_slot *slots;
    size_t mask;
    char *text;
    size_t used;
} file_table;

static uint32_t hash_path(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a, as the key index */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static void table_free(file_table *ft) {
    free(ft->slots);
    free(ft->text);
    memset(ft, 0, sizeof(*ft));
}

/* The slot holding `path` (normalised), or the empty slot it would go in. */
static file_slot *table_find(const file_table *ft, const char *path,
                             uint32_t h) {
    for (size_t j = h & ft->mask;; j = (j + 1) & ft->mask) {
        file_slot *s = &ft->slots[j];
        if (s->task == DR_TASK_NONE ||
            (s->hash == h && strcmp(ft->text + s->off, path) == 0))
            return s;
    }
}

/* Fills ft with every task's outputs.  Returns 0, DR_ENOMEM, or DR_EFORMAT
 * with err filled and *at set when two tasks declare one output. */
static int table_build(const dr_graph *g, file_table *ft, dr_error *err,
                       dr__file_at *at) {
    memset(ft, 0, sizeof(*ft));
    size_t nout = 0, bytes = 0;
    for (size_t t = 0; t < g->ntasks; t++) {
        const dr__files *f = dr__task_files(g, (dr_task)t);
        for (uint32_t i = 0; f != NULL && i < f->noutputs; i++) {
            nout++;
            bytes += strlen(f->outputs[i]) + 2;
        }
    }
    if (nout == 0)
        return 0;
    if (bytes >= UINT32_MAX)
        return DR_ENOMEM;
    size_t nslots = 16;
    while (nslots < nout * 2)
        nslots *= 2;
    ft->slots = malloc(nslots * sizeof(*ft->slots));
    ft->text = malloc(bytes);
    if (ft->slots == NULL || ft->text == NULL) {
        table_free(ft);
        return DR_ENOMEM;
    }
    ft->mask = nslots - 1;
    for (size_t j = 0; j < nslots; j++)
        ft->slots[j].task = DR_TASK_NONE;
    for (size_t t = 0; t < g->ntasks; t++) {
        const dr__files *f = dr__task_files(g, (dr_task)t);
        for (uint32_t i = 0; f != NULL && i < f->noutputs; i++) {
            char *path = ft->text + ft->used;
            size_t len = dr__path_normalize(f->outputs[i], path);
            uint32_t h = hash_path(path);
            file_slot *s = table_find(ft, path, h);
            if (s->task == DR_TASK_NONE) {
                s->hash = h;
                s->task = (dr_task)t;
                s->index = i;
                s->off = (uint32_t)ft->used;
                ft->used += len + 1;
                continue;
            }
            if (s->task == (dr_task)t)
                continue; /* listed twice by one task: harmless */
            const char *first = dr__task_files(g, s->task)->outputs[s->index];
            int same = strcmp(first, f->outputs[i]) == 0;
            dr__error_set(err, DR_EFORMAT, NULL, 0, 0, g->tasks[t].key,
                          "output '%s' is also an output of task '%s'%s%s%s: "
                          "one file can be written by one task only",
                          f->outputs[i], g->tasks[s->task].key,
                          same ? "" : " ('", same ? "" : first,
                          same ? "" : "')");
            if (at != NULL) {
                at->task = (dr_task)t;
                at->output = 1;
                at->index = i;
            }
            table_free(ft);
            return DR_EFORMAT;
        }
    }
    return 0;
}

/* The task that outputs `path` (as written), or DR_TASK_NONE; buf has room
 * for its normalised form. */
static dr_task table_writer(const file_table *ft, const char *path, char *buf) {
    if (ft->slots == NULL)
        return DR_TASK_NONE;
    dr__path_normalize(path, buf);
    return table_find(ft, buf, hash_path(buf))->task;
}

static size_t longest_input(const dr_graph *g) {
    size_t most = 0;
    for (size_t t = 0; t < g->ntasks; t++) {
        const dr__files *f = dr__task_files(g, (dr_task)t);
        for (uint32_t i = 0; f != NULL && i < f->ninputs; i++) {
            size_t n = strlen(f->inputs[i]);
            most = n > most ? n : most;
        }
    }
    return most;
}

/* A read of another task's output by a task that does not depend on it
 * directly: whether it depends on it at all is searched for. */
typedef struct query {
    dr_task reader, writer;
    uint32_t input;  /* the reader's inputs[input] */
    uint32_t order;  /* position in the list as made: reader, then input */
    uint8_t forward; /* answered by a search from the writer */
    uint8_t ok;
} query;

/* The search a query is answered by: side, then its start, then order. */
static int by_search(const void *a, const void *b) {
    const query *x = a, *y = b;
    if (x->forward != y->forward)
        return x->forward < y->forward ? -1 : 1;
    dr_task fx = x->forward ? x->writer : x->reader;
    dr_task fy = y->forward ? y->writer : y->reader;
    if (fx != fy)
        return fx < fy ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int by_order(const void *a, const void *b) {
    const query *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The queries: every read of another task's output that is not a direct
 * dependency.  Returns 0 or DR_ENOMEM; *out NULL when there are none. */
static int make_queries(const dr_graph *g, const file_table *ft, query **out,
                        size_t *nout) {
    *out = NULL;
    *nout = 0;
    char *buf = malloc(longest_input(g) + 2);
    uint32_t *dep_mark = NULL; /* reader + 1 on its direct dependencies */
    query *q = NULL;
    size_t nq = 0, cap = 0;
    int rc = buf == NULL ? DR_ENOMEM : 0;
    for (size_t r = 0; r < g->ntasks && rc == 0; r++) {
        const dr__files *f = dr__task_files(g, (dr_task)r);
        int marked = 0;
        for (uint32_t i = 0; f != NULL && i < f->ninputs; i++) {
            dr_task w = table_writer(ft, f->inputs[i], buf);
            if (w == DR_TASK_NONE || w == (dr_task)r)
                continue;
            if (!marked) {
                /* A reduce may read 100,000 outputs of its 100,000
                 * dependencies: each is found in O(1), not by a scan. */
                if (dep_mark == NULL &&
                    (dep_mark = calloc(g->ntasks, sizeof(*dep_mark))) == NULL) {
                    rc = DR_ENOMEM;
                    break;
                }
                uint32_t nd;
                const dr_task *d = dr__task_deps_of(g, (dr_task)r, &nd);
                for (uint32_t k = 0; k < nd; k++)
                    dep_mark[d[k]] = (uint32_t)r + 1;
                marked = 1;
            }
            if (dep_mark[w] == (uint32_t)r + 1)
                continue;
            if (nq == cap) {
                size_t c = cap ? cap * 2 : 16;
                query *grown = realloc(q, c * sizeof(*q));
                if (grown == NULL || c > UINT32_MAX) {
                    free(grown != NULL ? grown : q);
                    q = NULL;
                    rc = DR_ENOMEM;
                    break;
                }
                q = grown;
                cap = c;
            }
            q[nq] = (query){(dr_task)r, w, i, (uint32_t)nq, 0, 0};
            nq++;
        }
    }
    free(buf);
    free(dep_mark);
    if (rc != 0) {
        free(q);
        return rc;
    }
    *out = q;
    *nout = nq;
    return 0;
}

/*
 * Answers the queries.  One graph search serves many: a query is answered
 * from its writer forward (through dependents) when the writer has at least
 * as many queries as the reader, else from its reader back (through
 * dependencies), so a chain whose every task reads the first task's output
 * is one search forward and a last task that reads every output of a chain
 * one search back.  A search stops once it has reached every task its
 * queries ask about, and never passes a task placed, in the topological
 * order, after the last of them (forward) or before the first (back).
 */
static int answer_queries(const dr_graph *g, query *q, size_t nq) {
    size_t n = g->ntasks;
    uint32_t *pos = malloc(n * sizeof(*pos));
    uint32_t *stamp = calloc(n, sizeof(*stamp));
    uint32_t *want = calloc(n, sizeof(*want)); /* counts, then targets */
    uint32_t *count = calloc(n, sizeof(*count));
    dr_task *queue = malloc(n * sizeof(*queue));
    if (pos == NULL || stamp == NULL || want == NULL || count == NULL ||
        queue == NULL) {
        free(pos);
        free(stamp);
        free(want);
        free(count);
        free(queue);
        return DR_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        pos[g->topo[k]] = (uint32_t)k;
    for (size_t i = 0; i < nq; i++) {
        want[q[i].writer]++;  /* queries by writer */
        count[q[i].reader]++; /* and by reader */
    }
    for (size_t i = 0; i < nq; i++)
        q[i].forward = want[q[i].writer] >= count[q[i].reader];
    free(count);
    memset(want, 0, n * sizeof(*want));
    qsort(q, nq, sizeof(*q), by_search);
    uint32_t mark = 0;
    for (size_t lo = 0, hi; lo < nq; lo = hi) {
        int fwd = q[lo].forward;
        dr_task from = fwd ? q[lo].writer : q[lo].reader;
        uint32_t bound = fwd ? 0 : UINT32_MAX;
        size_t left = 0; /* targets not reached yet */
        mark++;
        for (hi = lo; hi < nq && q[hi].forward == fwd &&
                      (fwd ? q[hi].writer : q[hi].reader) == from;
             hi++) {
            dr_task to = fwd ? q[hi].reader : q[hi].writer;
            uint32_t p = pos[to];
            bound = fwd ? (p > bound ? p : bound) : (p < bound ? p : bound);
            if (want[to] != mark) {
                want[to] = mark;
                left++;
            }
        }
        size_t head = 0, tail = 0;
        queue[tail++] = from;
        while (head < tail && left > 0) {
            dr_task t = queue[head++];
            const dr_task *next;
            uint32_t nnext;
            if (fwd) {
                next = g->succ + g->succ_off[t];
                nnext = g->succ_off[t + 1] - g->succ_off[t];
            } else {
                next = dr__task_deps_of(g, t, &nnext);
            }
            for (uint32_t k = 0; k < nnext; k++) {
                dr_task d = next[k];
                if (stamp[d] == mark || (fwd ? pos[d] > bound : pos[d] < bound))
                    continue;
                stamp[d] = mark;
                queue[tail++] = d;
                left -= want[d] == mark;
            }
        }
        for (size_t i = lo; i < hi; i++)
            q[i].ok = stamp[fwd ? q[i].reader : q[i].writer] == mark;
    }
    qsort(q, nq, sizeof(*q), by_order);
    free(pos);
    free(stamp);
    free(want);
    free(queue);
    return 0;
}

/* A reader of another task's output must depend on it.  g is acyclic and
 * derived.  Returns 0, DR_ENOMEM or DR_EFORMAT (err, *at: the first such
 * read, by task and input order). */
static int check_races(const dr_graph *g, const file_table *ft, dr_error *err,
                       dr__file_at *at) {
    if (ft->slots == NULL)
        return 0;
    query *q;
    size_t nq;
    int rc = make_queries(g, ft, &q, &nq);
    if (rc == 0 && nq > 0)
        rc = answer_queries(g, q, nq);
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        if (q[i].ok)
            continue;
        const char *rkey = g->tasks[q[i].reader].key;
        const char *wkey = g->tasks[q[i].writer].key;
        dr__error_set(err, DR_EFORMAT, NULL, 0, 0, rkey,
                      "reads '%s', which task '%s' writes, but does not "
                      "depend on '%s'",
                      dr__task_files(g, q[i].reader)->inputs[q[i].input], wkey,
                      wkey);
        if (at != NULL) {
            at->task = q[i].reader;
            at->output = 0;
            at->index = q[i].input;
        }
        rc = DR_EFORMAT;
    }
    free(q);
    if (rc == DR_ENOMEM)
        dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
    return rc;
}

int dr__graph_check_files(dr_graph *g, dr_error *err, dr__file_at *at) {
    if (at != NULL)
        at->task = DR_TASK_NONE;
    if (g->nfile_tasks == 0)
        return 0;
    int rc = dr__graph_derive(g);
    if (rc != 0)
        return rc;
    file_table ft;
    rc = table_build(g, &ft, err, at);
    if (rc == 0)
        rc = check_races(g, &ft, err, at);
    else if (rc == DR_ENOMEM)
        dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
    table_free(&ft);
    return rc;
}

int dr__graph_check_inputs(const dr_graph *g, const char *workdir,
                           dr_error *err) {
    size_t longest = longest_input(g);
    int any = 0;
    for (size_t t = 0; t < g->ntasks && !any && g->nfile_tasks > 0; t++)
        any = dr_task_ninputs(g, (dr_task)t) > 0;
    if (!any)
        return 0;
    /* A working folder that is not one is the executor's error to report
     * (it names the folder); relative inputs are not looked for in it. */
    struct stat st;
    int relative_ok =
        workdir == NULL || (stat(workdir, &st) == 0 && S_ISDIR(st.st_mode));
    size_t wlen = workdir != NULL ? strlen(workdir) : 0;
    char *buf = malloc(longest + 2);
    char *path = malloc(wlen + longest + 2);
    file_table ft;
    int rc = buf && path ? table_build(g, &ft, NULL, NULL) : DR_ENOMEM;
    if (rc != 0) {
        /* Two tasks with one output never pass validation: not here. */
        free(buf);
        free(path);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    for (size_t t = 0; t < g->ntasks && rc == 0; t++) {
        /* A task without an operation reads nothing (outputs.c). */
        const dr__files *f = g->tasks[t].op_kind != DR_OP_NONE
                                 ? dr__task_files(g, (dr_task)t)
                                 : NULL;
        for (uint32_t i = 0; f != NULL && i < f->ninputs; i++) {
            const char *in = f->inputs[i];
            if (table_writer(&ft, in, buf) != DR_TASK_NONE)
                continue;
            if (in[0] != '/' && !relative_ok)
                continue;
            if (in[0] != '/' && workdir != NULL)
                snprintf(path, wlen + longest + 2, "%s/%s", workdir, in);
            else
                snprintf(path, wlen + longest + 2, "%s", in);
            if (stat(path, &st) == 0)
                continue;
            int e = errno;
            if (e == ENOENT || e == ENOTDIR) {
                const char *in_dir = in[0] != '/' ? workdir : NULL;
                rc = DR_ENOENT;
                dr__error_set(err, rc, NULL, 0, 0, g->tasks[t].key,
                              "declared input '%s' does not exist%s%s%s, and "
                              "no task outputs it",
                              in, in_dir ? " in '" : "", in_dir ? in_dir : "",
                              in_dir ? "'" : "");
            } else {
                rc = DR_EIO;
                dr__error_set(err, rc, NULL, 0, 0, g->tasks[t].key,
                              "declared input '%s': %s", in, strerror(e));
            }
            break;
        }
    }
    table_free(&ft);
    free(buf);
    free(path);
    return rc;
}
