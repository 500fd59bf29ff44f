/*
 * The task graph: tasks, their operations and their dependencies.
 *
 * Design: tasks are 24-byte records in one growable array and are named by
 * their index (dr_task), so edges cost 4 bytes.  Keys are copied into an
 * arena and indexed by an open-addressing hash table of (task, hash) pairs
 * kept at most half full.  What only some tasks have goes in a side array of
 * cold records.  Dependencies are one CSR array for the whole graph, filled
 * in the order graphs are built (a task, then its dependencies; or all tasks,
 * then each one's dependencies in task order); an edge of an earlier task is
 * logged and merged in by dr__graph_settle.  Successors and a topological
 * order are derived together into CSR arrays the first time somebody needs
 * them and dropped on every change, so building a graph never pays for them.
 *
 * Repeated edges: a task with few dependencies checks for a repeat when the
 * edge is added; past DEDUPE_SCAN dependencies that check would be quadratic
 * (a reduce over 100,000 maps), so the edge is appended and the whole graph
 * is deduplicated in one O(V+E) pass when it is settled.
 */
#include "graph_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEDUPE_SCAN 32
#define ARENA_BLOCK (64 * 1024)

static void graph_changed(dr_graph *g) {
    g->settled = 0;
    if (!g->derived)
        return;
    free(g->succ_off);
    free(g->succ);
    free(g->topo);
    g->succ_off = NULL;
    g->succ = NULL;
    g->topo = NULL;
    g->derived = 0;
    g->acyclic = 0;
}

/* ----------------------------------------------------------------- arena */

const char *dr__graph_intern(dr_graph *g, const char *s) {
    size_t n = strlen(s) + 1;
    dr__arena_block *b = g->arena;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + size);
        if (b == NULL)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = g->arena;
        g->arena = b;
        g->arena_bytes += sizeof(*b) + size;
    }
    char *p = b->mem + b->used;
    memcpy(p, s, n);
    b->used += n;
    return p;
}

/* Op names repeat on every task of a graph; keep one copy of each.  *index
 * is its place in g->op_names.  A graph has a few names, found by a scan;
 * past OP_SCAN (a C graph may name a function per task) they are indexed by
 * a jansson object of name -> index, as parameters are. */
#define OP_SCAN 16
static const char *intern_op_name(dr_graph *g, const char *name,
                                  size_t *index) {
    if (g->op_index == NULL) {
        for (size_t i = 0; i < g->nop_names; i++)
            if (strcmp(g->op_names[i], name) == 0) {
                *index = i;
                return g->op_names[i];
            }
        if (g->nop_names >= OP_SCAN) {
            json_t *ix = json_object();
            for (size_t i = 0; ix != NULL && i < g->nop_names; i++)
                if (json_object_set_new_nocheck(
                        ix, g->op_names[i], json_integer((json_int_t)i)) != 0) {
                    json_decref(ix);
                    ix = NULL;
                }
            if (ix == NULL)
                return NULL;
            g->op_index = ix;
        }
    } else {
        json_t *at = json_object_get(g->op_index, name);
        if (at != NULL) {
            *index = (size_t)json_integer_value(at);
            return g->op_names[*index];
        }
    }
    if ((g->nop_names & (g->nop_names - 1)) == 0) { /* 0 or a power of 2 */
        size_t cap = g->nop_names < 4 ? 8 : g->nop_names * 2;
        const char **names = realloc(g->op_names, cap * sizeof(*names));
        if (names == NULL)
            return NULL;
        g->op_names = names;
    }
    const char **names = g->op_names;
    const char *copy = dr__graph_intern(g, name);
    if (copy == NULL ||
        (g->op_index != NULL &&
         json_object_set_new_nocheck(
             g->op_index, name, json_integer((json_int_t)g->nop_names)) != 0))
        return NULL;
    *index = g->nop_names;
    names[g->nop_names++] = copy;
    return copy;
}

/* Grows *p (an array of *cap elements of `size` bytes) to hold one more
 * than `n`.  0 or DR_ENOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t size, size_t first) {
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : first;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return DR_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Task t's cold record, made (zeroed, retries -1) on first use; NULL on
 * DR_ENOMEM. */
static dr__task_cold *cold_get(dr_graph *g, dr_task t) {
    dr__task *task = &g->tasks[t];
    if (task->cold != 0)
        return &g->cold[task->cold - 1];
    if (grow((void **)&g->cold, &g->capcold, g->ncold, sizeof(*g->cold), 16) !=
        0)
        return NULL;
    dr__task_cold *c = &g->cold[g->ncold];
    memset(c, 0, sizeof(*c));
    c->retries = -1;
    task->cold = (uint32_t)++g->ncold;
    return c;
}

/* ------------------------------------------------------------- key index */

static uint32_t hash_key(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static int index_grow(dr_graph *g) {
    size_t n = g->nslots ? g->nslots * 2 : 64;
    dr__slot *slots = malloc(n * sizeof(*slots));
    if (slots == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        slots[i].task = DR_TASK_NONE;
    for (size_t i = 0; i < g->nslots; i++) {
        if (g->slots[i].task == DR_TASK_NONE)
            continue;
        size_t j = g->slots[i].hash & (n - 1);
        while (slots[j].task != DR_TASK_NONE)
            j = (j + 1) & (n - 1);
        slots[j] = g->slots[i];
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = n;
    return 0;
}

dr_task dr_graph_find(const dr_graph *g, const char *key) {
    if (g == NULL || key == NULL)
        return DR_TASK_NONE;
    uint32_t h = hash_key(key);
    size_t mask = g->nslots - 1;
    for (size_t j = h & mask; g->nslots > 0; j = (j + 1) & mask) {
        const dr__slot *s = &g->slots[j];
        if (s->task == DR_TASK_NONE)
            break;
        if (s->hash == h && strcmp(g->tasks[s->task].key, key) == 0)
            return s->task;
    }
    /* Tasks not in the index yet (dr__graph_add_task_fresh). */
    for (size_t t = g->ntasks - g->nunindexed; t < g->ntasks; t++)
        if (strcmp(g->tasks[t].key, key) == 0)
            return (dr_task)t;
    return DR_TASK_NONE;
}

/* Puts task t (hash h) in the index, which has room; DR_EEXIST when its key
 * is there. */
static int index_put(dr_graph *g, uint32_t t, uint32_t h) {
    size_t mask = g->nslots - 1, j = h & mask;
    for (; g->slots[j].task != DR_TASK_NONE; j = (j + 1) & mask)
        if (g->slots[j].hash == h &&
            strcmp(g->tasks[g->slots[j].task].key, g->tasks[t].key) == 0)
            return DR_EEXIST;
    g->slots[j].task = t;
    g->slots[j].hash = h;
    return 0;
}

/* The whole index anew for ntasks tasks: (home slot, task) pairs sorted by
 * home (two 16-bit radix passes), then each entry at its home or just past
 * the one before, which is where linear probing puts entries inserted in
 * that order; the few that would run past the end wrap round by probing. */
static int index_rebuild(dr_graph *g, dr_task *dup) {
    size_t n = g->ntasks, nslots = 64;
    while ((n + 1) * 2 > nslots)
        nslots *= 2;
    dr__slot *slots = malloc(nslots * sizeof(*slots));
    uint64_t *pair = malloc(n * sizeof(*pair));
    uint64_t *tmp = malloc(n * sizeof(*tmp));
    uint32_t *hash = malloc(n * sizeof(*hash));
    if (slots == NULL || pair == NULL || tmp == NULL || hash == NULL) {
        free(slots);
        free(pair);
        free(tmp);
        free(hash);
        return DR_ENOMEM;
    }
    size_t mask = nslots - 1;
    for (size_t t = 0; t < n; t++) {
        hash[t] = hash_key(g->tasks[t].key);
        pair[t] = ((uint64_t)(hash[t] & mask) << 32) | t;
    }
    size_t *count = malloc((1 << 16) * sizeof(*count));
    if (count == NULL) {
        free(slots);
        free(pair);
        free(tmp);
        free(hash);
        return DR_ENOMEM;
    }
    for (int pass = 0; pass < 2; pass++) {
        unsigned shift = 32 + 16 * (unsigned)pass;
        memset(count, 0, (1 << 16) * sizeof(*count));
        for (size_t i = 0; i < n; i++)
            count[(pair[i] >> shift) & 0xffff]++;
        size_t at = 0;
        for (size_t b = 0; b < (1 << 16); b++) {
            size_t c = count[b];
            count[b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(pair[i] >> shift) & 0xffff]++] = pair[i];
        uint64_t *swap = pair;
        pair = tmp;
        tmp = swap;
    }
    free(tmp);
    free(count);
    for (size_t j = 0; j < nslots; j++)
        slots[j].task = DR_TASK_NONE;
    dr__slot *old = g->slots;
    size_t oldn = g->nslots;
    g->slots = slots;
    g->nslots = nslots;
    int rc = 0;
    size_t next = 0; /* the first slot past the entries placed */
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t home = (size_t)(pair[i] >> 32);
        uint32_t t = (uint32_t)pair[i];
        if (home < next && next < nslots) {
            /* In the run of entries before it: a key seen before has the
             * same home, so it is in this run. */
            for (size_t j = home; j < next; j++)
                if (slots[j].hash == hash[t] &&
                    strcmp(g->tasks[slots[j].task].key, g->tasks[t].key) == 0) {
                    rc = DR_EEXIST;
                    break;
                }
        }
        if (rc != 0) {
            if (dup != NULL)
                *dup = t;
            break;
        }
        size_t j = home > next ? home : next;
        if (j < nslots) {
            slots[j].task = t;
            slots[j].hash = hash[t];
            next = j + 1;
        } else if ((rc = index_put(g, t, hash[t])) != 0 && dup != NULL) {
            *dup = t;
        }
    }
    free(pair);
    free(hash);
    if (rc != 0) {
        free(slots);
        g->slots = old;
        g->nslots = oldn;
        return rc;
    }
    free(old);
    return 0;
}

int dr__graph_index_build(dr_graph *g, dr_task *dup) {
    if (g->nunindexed == 0)
        return 0;
    size_t first = g->ntasks - g->nunindexed;
    if (g->nunindexed > first / 4 || (g->ntasks + 1) * 2 > g->nslots) {
        int rc = index_rebuild(g, dup);
        if (rc == 0)
            g->nunindexed = 0;
        return rc;
    }
    for (size_t t = first; t < g->ntasks; t++) {
        int rc = index_put(g, (uint32_t)t, hash_key(g->tasks[t].key));
        if (rc != 0) {
            /* Out again, so the index is as it was. */
            for (size_t u = first; u < t; u++) {
                uint32_t h = hash_key(g->tasks[u].key);
                size_t mask = g->nslots - 1, j = h & mask;
                while (g->slots[j].task != (uint32_t)u)
                    j = (j + 1) & mask;
                g->slots[j].task = DR_TASK_NONE;
            }
            if (dup != NULL)
                *dup = (dr_task)t;
            return rc;
        }
    }
    g->nunindexed = 0;
    return 0;
}

size_t dr_key_prefix(const char *key) {
    size_t len = strlen(key);
    for (;;) {
        size_t i = len;
        while (i > 0 && key[i - 1] >= '0' && key[i - 1] <= '9')
            i--;
        if (i == len)
            return len;
        /* "<prefix>_ID<digits>", as WfCommons names its tasks. */
        if (i > 3 && key[i - 1] == 'D' && key[i - 2] == 'I' &&
            (key[i - 3] == '_' || key[i - 3] == '-')) {
            len = i - 3;
            continue;
        }
        /* Needs a separator before the digits and something before it. */
        if (i < 2 || (key[i - 1] != '-' && key[i - 1] != '_'))
            return len;
        len = i - 1;
    }
}

/* ------------------------------------------------------------ life cycle */

dr_graph *dr_graph_create(void) {
    dr_graph *g = calloc(1, sizeof(*g));
    return g;
}

static void free_strv(char **v, size_t n) {
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void task_clear_op(dr_graph *g, dr_task t) {
    dr__task *task = &g->tasks[t];
    dr__task_cold *c = task->cold ? &g->cold[task->cold - 1] : NULL;
    if (c != NULL) {
        json_decref(c->args);
        c->args = NULL;
        if (task->op_kind == DR_OP_ARGV) {
            char **argv = c->op_ptr;
            for (size_t i = 0; argv[i] != NULL; i++)
                free(argv[i]);
            free(argv);
        } else if (task->op_kind == DR_OP_SHELL) {
            free(c->op_ptr);
        }
        c->op_ptr = NULL;
        c->fn_data = NULL;
        c->op_name = NULL;
    }
    task->op = 0;
    task->op_kind = DR_OP_NONE;
}

void dr_graph_destroy(dr_graph *g) {
    if (g == NULL)
        return;
    graph_changed(g);
    for (size_t i = 0; i < g->ntasks; i++) {
        if (g->tasks[i].cold == 0)
            continue;
        task_clear_op(g, (dr_task)i);
        dr__files *f = g->cold[g->tasks[i].cold - 1].files;
        if (f != NULL) {
            free_strv(f->inputs, f->ninputs);
            free_strv(f->outputs, f->noutputs);
            free(f);
        }
    }
    free(g->tasks);
    free(g->cold);
    free(g->dep_off);
    free(g->dep);
    free(g->late);
    free(g->slots);
    free(g->op_names);
    json_decref(g->op_index);
    while (g->arena != NULL) {
        dr__arena_block *next = g->arena->next;
        free(g->arena);
        g->arena = next;
    }
    free_strv(g->param_names, g->nparams);
    free(g->param_values);
    json_decref(g->param_index);
    free(g->name);
    free(g->description);
    free(g);
}

static int set_string(char **slot, const char *s) {
    char *copy = strdup(s ? s : "");
    if (copy == NULL)
        return DR_ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

int dr_graph_set_name(dr_graph *g, const char *name) {
    return set_string(&g->name, name);
}

const char *dr_graph_name(const dr_graph *g) { return g->name ? g->name : ""; }

int dr__graph_name_from_source(dr_graph *g, const char *source,
                               const char *fallback) {
    /* A graph read from standard input is "stdin" (its outputs go to
     * dagrun-out/stdin/), whatever its format. */
    if (source != NULL && strcmp(source, "<stdin>") == 0)
        return dr_graph_set_name(g, "stdin");
    if (source == NULL || source[0] == '<' || source[0] == '\0')
        return fallback[0] ? dr_graph_set_name(g, fallback) : 0;
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    char name[256];
    dr__strlcpy(name, base, sizeof(name));
    char *dot = strrchr(name, '.');
    if (dot != NULL && dot != name)
        *dot = '\0';
    if (name[0] == '\0')
        return fallback[0] ? dr_graph_set_name(g, fallback) : 0;
    return dr_graph_set_name(g, name);
}

int dr_graph_set_description(dr_graph *g, const char *text) {
    return set_string(&g->description, text);
}

const char *dr_graph_description(const dr_graph *g) {
    return g->description ? g->description : "";
}

/* Parameters keep their order in two arrays (dr_graph_param_name(g, i)) and
 * are found by name through a jansson object of name -> index, so a file
 * with 100,000 parameters loads in linear time. */
int dr_graph_set_param(dr_graph *g, const char *name, int64_t value) {
    if (name == NULL || name[0] == '\0')
        return DR_EINVAL;
    if (g->param_index == NULL && (g->param_index = json_object()) == NULL)
        return DR_ENOMEM;
    json_t *at = json_object_get(g->param_index, name);
    if (at != NULL) {
        g->param_values[json_integer_value(at)] = value;
        return 0;
    }
    if (g->nparams == g->capparams) {
        size_t cap = g->capparams ? g->capparams * 2 : 8;
        char **names = realloc(g->param_names, cap * sizeof(*names));
        if (names == NULL)
            return DR_ENOMEM;
        g->param_names = names;
        int64_t *values = realloc(g->param_values, cap * sizeof(*values));
        if (values == NULL)
            return DR_ENOMEM;
        g->param_values = values;
        g->capparams = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL ||
        json_object_set_new(g->param_index, name,
                            json_integer((json_int_t)g->nparams)) != 0) {
        free(copy);
        return DR_ENOMEM;
    }
    g->param_names[g->nparams] = copy;
    g->param_values[g->nparams++] = value;
    return 0;
}

size_t dr_graph_nparams(const dr_graph *g) { return g->nparams; }
const char *dr_graph_param_name(const dr_graph *g, size_t i) {
    return i < g->nparams ? g->param_names[i] : NULL;
}
int64_t dr_graph_param_value(const dr_graph *g, size_t i) {
    return i < g->nparams ? g->param_values[i] : 0;
}

/* ------------------------------------------------------------------ tasks */

/* A task with this key may be added to g (its uniqueness aside). */
static int task_key_ok(const dr_graph *g, const char *key) {
    if (g == NULL || key == NULL || key[0] == '\0')
        return DR_EINVAL;
    return g->ntasks >= (size_t)UINT32_MAX - 1 ? DR_ERANGE : 0;
}

/* Appends task `key`, the index aside. */
static int append_task(dr_graph *g, const char *key, dr_task *out) {
    if (g->ntasks == g->captasks) {
        size_t cap = g->captasks ? g->captasks * 2 : 64;
        dr__task *tasks = realloc(g->tasks, cap * sizeof(*tasks));
        if (tasks == NULL)
            return DR_ENOMEM;
        g->tasks = tasks;
        uint32_t *off = realloc(g->dep_off, (cap + 1) * sizeof(*off));
        if (off == NULL)
            return DR_ENOMEM; /* the larger tasks array is kept: harmless */
        if (g->dep_off == NULL)
            off[0] = 0;
        g->dep_off = off;
        g->captasks = cap;
    }
    const char *k = dr__graph_intern(g, key);
    if (k == NULL)
        return DR_ENOMEM;
    dr__task *t = &g->tasks[g->ntasks];
    memset(t, 0, sizeof(*t));
    t->key = k;
    t->cost = 1.0;
    if (out != NULL)
        *out = (dr_task)g->ntasks;
    g->ntasks++;
    graph_changed(g);
    return 0;
}

int dr_graph_add_task(dr_graph *g, const char *key, dr_task *out) {
    int rc = task_key_ok(g, key);
    if (rc == 0)
        rc = dr__graph_index_build(g, NULL);
    if (rc != 0)
        return rc;
    if ((g->ntasks + 1) * 2 > g->nslots && index_grow(g) != 0)
        return DR_ENOMEM;
    uint32_t h = hash_key(key);
    size_t mask = g->nslots - 1;
    size_t j = h & mask;
    for (; g->slots[j].task != DR_TASK_NONE; j = (j + 1) & mask) {
        if (g->slots[j].hash == h &&
            strcmp(g->tasks[g->slots[j].task].key, key) == 0)
            return DR_EEXIST;
    }
    dr_task t;
    if ((rc = append_task(g, key, &t)) != 0)
        return rc;
    g->slots[j].task = (uint32_t)t;
    g->slots[j].hash = h;
    if (out != NULL)
        *out = t;
    return 0;
}

int dr__graph_add_task_fresh(dr_graph *g, const char *key, dr_task *out) {
    int rc = task_key_ok(g, key);
    if (rc == 0)
        rc = append_task(g, key, out);
    if (rc == 0)
        g->nunindexed++;
    return rc;
}

#define CHECK_TASK(g, t)                                                       \
    do {                                                                       \
        if ((g) == NULL || (size_t)(t) >= (g)->ntasks)                         \
            return DR_EINVAL;                                                  \
    } while (0)

int dr_graph_add_dep(dr_graph *g, dr_task task, dr_task dep) {
    CHECK_TASK(g, task);
    CHECK_TASK(g, dep);
    if (task == dep)
        return DR_EINVAL;
    /* dep_off holds 32-bit positions. */
    if (g->ndep + g->nlate >= (size_t)UINT32_MAX - 1)
        return DR_ERANGE;
    if ((size_t)task < g->dep_front) {
        /* An earlier task: logged, merged (and repeats dropped) later. */
        if (grow((void **)&g->late, &g->caplate, g->nlate, sizeof(*g->late),
                 64) != 0)
            return DR_ENOMEM;
        g->late[g->nlate].task = task;
        g->late[g->nlate].dep = dep;
        g->nlate++;
        g->needs_dedupe = 1;
    } else {
        if ((size_t)task > g->dep_front) {
            /* The tasks in between have no dependencies (yet). */
            for (size_t i = g->dep_front + 1; i <= (size_t)task; i++)
                g->dep_off[i] = (uint32_t)g->ndep;
            g->dep_front = task;
        }
        size_t have = g->ndep - g->dep_off[task];
        if (have <= DEDUPE_SCAN) {
            /* (g->dep is NULL before the first edge: no offset on it.) */
            for (size_t i = 0; i < have; i++)
                if (g->dep[g->dep_off[task] + i] == dep)
                    return 0;
        } else {
            g->needs_dedupe = 1;
        }
        if (grow((void **)&g->dep, &g->capdep, g->ndep, sizeof(*g->dep), 64) !=
            0)
            return DR_ENOMEM;
        g->dep[g->ndep++] = dep;
    }
    g->nedges++;
    graph_changed(g);
    return 0;
}

int dr_graph_add_dep_key(dr_graph *g, const char *task, const char *dep) {
    dr_task t = dr_graph_find(g, task), d = dr_graph_find(g, dep);
    if (t == DR_TASK_NONE || d == DR_TASK_NONE)
        return DR_ENOENT;
    return dr_graph_add_dep(g, t, d);
}

/* Makes task t a builtin or function op named `name`, with `args`: what
 * can fail is done before the old op is dropped, so a failure leaves the
 * task as it was.  The cold record holds the name only in a graph with more
 * distinct names than a task record can number. */
static int set_named_op(dr_graph *g, dr_task t, dr_op_kind kind,
                        const char *name, json_t *args, void *op_ptr,
                        void *fn_data) {
    size_t index;
    const char *n = intern_op_name(g, name, &index);
    if (n == NULL)
        return DR_ENOMEM;
    int in_cold = index >= DR__OP_INDEX_MAX;
    dr__task_cold *c = NULL;
    if ((in_cold || args != NULL || op_ptr != NULL || fn_data != NULL ||
         g->tasks[t].cold != 0) &&
        (c = cold_get(g, t)) == NULL)
        return DR_ENOMEM;
    task_clear_op(g, t);
    dr__task *task = &g->tasks[t];
    task->op_kind = (uint8_t)kind;
    task->op = in_cold ? DR__OP_IN_COLD : (uint16_t)(index + 1);
    if (c != NULL) {
        c->op_name = in_cold ? n : NULL;
        c->args = json_incref(args);
        c->op_ptr = op_ptr;
        c->fn_data = fn_data;
    }
    return 0;
}

int dr_task_set_builtin(dr_graph *g, dr_task t, const char *name,
                        json_t *args) {
    CHECK_TASK(g, t);
    if (name == NULL || !dr_builtin_exists(name))
        return DR_ENOOP;
    return set_named_op(g, t, DR_OP_BUILTIN, name, args, NULL, NULL);
}

int dr_task_set_function(dr_graph *g, dr_task t, const char *name,
                         dr_task_fn fn, void *user_data, json_t *args) {
    CHECK_TASK(g, t);
    if (fn == NULL)
        return DR_EINVAL;
    /* ISO C does not convert function pointers to void *; POSIX guarantees
     * they have the same size, so the bits are copied. */
    _Static_assert(sizeof(fn) == sizeof(void *), "function pointer size");
    void *ptr;
    memcpy(&ptr, &fn, sizeof(fn));
    return set_named_op(g, t, DR_OP_FUNCTION, name ? name : "", args, ptr,
                        user_data);
}

int dr_task_set_argv(dr_graph *g, dr_task t, const char *const *argv,
                     size_t argc) {
    CHECK_TASK(g, t);
    if (argv == NULL || argc == 0 || argv[0] == NULL || argv[0][0] == '\0')
        return DR_EINVAL;
    dr__task_cold *c = cold_get(g, t);
    char **copy = c ? calloc(argc + 1, sizeof(*copy)) : NULL;
    if (copy == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < argc; i++) {
        if (argv[i] == NULL || (copy[i] = strdup(argv[i])) == NULL) {
            free_strv(copy, i);
            return argv[i] == NULL ? DR_EINVAL : DR_ENOMEM;
        }
    }
    task_clear_op(g, t);
    g->tasks[t].op_kind = DR_OP_ARGV;
    c->op_ptr = copy;
    return 0;
}

int dr_task_set_shell(dr_graph *g, dr_task t, const char *command) {
    CHECK_TASK(g, t);
    if (command == NULL || command[0] == '\0')
        return DR_EINVAL;
    dr__task_cold *c = cold_get(g, t);
    char *copy = c ? strdup(command) : NULL;
    if (copy == NULL)
        return DR_ENOMEM;
    task_clear_op(g, t);
    g->tasks[t].op_kind = DR_OP_SHELL;
    c->op_ptr = copy;
    return 0;
}

int dr_task_set_cost(dr_graph *g, dr_task t, double seconds) {
    CHECK_TASK(g, t);
    if (!isfinite(seconds) || seconds < 0)
        return DR_ERANGE;
    g->tasks[t].cost = seconds;
    g->tasks[t].flags |= DR__T_HAS_COST;
    return 0;
}

int dr_task_set_timeout(dr_graph *g, dr_task t, double seconds) {
    CHECK_TASK(g, t);
    if (!isfinite(seconds) || seconds < 0)
        return DR_ERANGE;
    dr__task_cold *c = cold_get(g, t);
    if (c == NULL)
        return DR_ENOMEM;
    c->timeout = seconds;
    g->tasks[t].flags |= DR__T_HAS_TIMEOUT;
    return 0;
}

int dr_task_set_retries(dr_graph *g, dr_task t, int retries) {
    CHECK_TASK(g, t);
    if (retries < -1)
        return DR_ERANGE;
    if (retries == -1 && g->tasks[t].cold == 0)
        return 0;
    dr__task_cold *c = cold_get(g, t);
    if (c == NULL)
        return DR_ENOMEM;
    c->retries = retries;
    return 0;
}

int dr_task_set_cache(dr_graph *g, dr_task t, int cache) {
    CHECK_TASK(g, t);
    if (cache)
        g->tasks[t].flags &= (uint8_t)~DR__T_NO_CACHE;
    else
        g->tasks[t].flags |= DR__T_NO_CACHE;
    return 0;
}

static int add_file(dr_graph *g, dr_task t, const char *path, int output) {
    CHECK_TASK(g, t);
    if (path == NULL || path[0] == '\0')
        return DR_EINVAL;
    dr__task_cold *c = cold_get(g, t);
    if (c == NULL)
        return DR_ENOMEM;
    if (c->files == NULL) {
        if ((c->files = calloc(1, sizeof(dr__files))) == NULL)
            return DR_ENOMEM;
        g->nfile_tasks++;
    }
    char ***v = output ? &c->files->outputs : &c->files->inputs;
    uint32_t *n = output ? &c->files->noutputs : &c->files->ninputs;
    char **grown = realloc(*v, (*n + 1) * sizeof(char *));
    if (grown == NULL)
        return DR_ENOMEM;
    *v = grown;
    if ((grown[*n] = strdup(path)) == NULL)
        return DR_ENOMEM;
    (*n)++;
    return 0;
}

int dr_task_add_input(dr_graph *g, dr_task t, const char *path) {
    return add_file(g, t, path, 0);
}

int dr_task_add_output(dr_graph *g, dr_task t, const char *path) {
    return add_file(g, t, path, 1);
}

int dr_task_set_data(dr_graph *g, dr_task t, void *data) {
    CHECK_TASK(g, t);
    if (data == NULL && g->tasks[t].cold == 0)
        return 0;
    dr__task_cold *c = cold_get(g, t);
    if (c == NULL)
        return DR_ENOMEM;
    c->data = data;
    return 0;
}

/* ----------------------------------------------------------------- reading */

size_t dr_graph_ntasks(const dr_graph *g) { return g ? g->ntasks : 0; }

size_t dr_graph_nedges(const dr_graph *g) {
    if (g == NULL)
        return 0;
    dr__graph_settle((dr_graph *)g); /* on DR_ENOMEM: repeats counted */
    return g->nedges;
}

const char *dr_task_key(const dr_graph *g, dr_task t) {
    return (size_t)t < g->ntasks ? g->tasks[t].key : NULL;
}

dr_op_kind dr_task_op_kind(const dr_graph *g, dr_task t) {
    return (dr_op_kind)g->tasks[t].op_kind;
}

int dr__task_is_command(const dr_graph *g, dr_task t) {
    dr_op_kind k = dr_task_op_kind(g, t);
    return k == DR_OP_ARGV || k == DR_OP_SHELL;
}

int dr__graph_has_commands(const dr_graph *g) {
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++)
        if (dr__task_is_command(g, t))
            return 1;
    return 0;
}

const char *dr_task_op_name(const dr_graph *g, dr_task t) {
    uint16_t op = g->tasks[t].op;
    if (op == 0)
        return NULL;
    if (op == DR__OP_IN_COLD)
        return dr__task_cold_of(g, t)->op_name;
    return g->op_names[op - 1];
}

json_t *dr_task_op_args(const dr_graph *g, dr_task t) {
    const dr__task_cold *c = dr__task_cold_of(g, t);
    return c ? c->args : NULL;
}

dr_task_fn dr_task_function(const dr_graph *g, dr_task t, void **user_data) {
    if (g->tasks[t].op_kind != DR_OP_FUNCTION)
        return NULL;
    const dr__task_cold *c = dr__task_cold_of(g, t);
    dr_task_fn fn;
    memcpy(&fn, &c->op_ptr, sizeof(fn));
    if (user_data != NULL)
        *user_data = c->fn_data;
    return fn;
}

const char *const *dr_task_argv(const dr_graph *g, dr_task t, size_t *argc) {
    if (g->tasks[t].op_kind != DR_OP_ARGV) {
        if (argc != NULL)
            *argc = 0;
        return NULL;
    }
    char **argv = dr__task_cold_of(g, t)->op_ptr;
    if (argc != NULL) {
        size_t n = 0;
        while (argv[n] != NULL)
            n++;
        *argc = n;
    }
    return (const char *const *)argv;
}

const char *dr_task_shell(const dr_graph *g, dr_task t) {
    return g->tasks[t].op_kind == DR_OP_SHELL ? dr__task_cold_of(g, t)->op_ptr
                                              : NULL;
}

const char *dr_task_op_label(const dr_graph *g, dr_task t) {
    switch ((dr_op_kind)g->tasks[t].op_kind) {
    case DR_OP_BUILTIN:
    case DR_OP_FUNCTION:
        return dr_task_op_name(g, t);
    case DR_OP_ARGV:
        return "command";
    case DR_OP_SHELL:
        return "shell";
    case DR_OP_NONE:
        break;
    }
    return "none";
}

int dr_task_has_cost(const dr_graph *g, dr_task t) {
    return (g->tasks[t].flags & DR__T_HAS_COST) != 0;
}
double dr_task_cost(const dr_graph *g, dr_task t) { return g->tasks[t].cost; }
double dr_task_timeout(const dr_graph *g, dr_task t) {
    const dr__task_cold *c = dr__task_cold_of(g, t);
    return c ? c->timeout : 0;
}
int dr_task_has_timeout(const dr_graph *g, dr_task t) {
    return (g->tasks[t].flags & DR__T_HAS_TIMEOUT) != 0;
}
int dr_task_retries(const dr_graph *g, dr_task t) {
    const dr__task_cold *c = dr__task_cold_of(g, t);
    return c ? c->retries : -1;
}

int dr_task_cache(const dr_graph *g, dr_task t) {
    return (g->tasks[t].flags & DR__T_NO_CACHE) == 0;
}

size_t dr_task_ninputs(const dr_graph *g, dr_task t) {
    const dr__files *f = dr__task_files(g, t);
    return f ? f->ninputs : 0;
}
const char *dr_task_input(const dr_graph *g, dr_task t, size_t i) {
    const dr__files *f = dr__task_files(g, t);
    return f && i < f->ninputs ? f->inputs[i] : NULL;
}
size_t dr_task_noutputs(const dr_graph *g, dr_task t) {
    const dr__files *f = dr__task_files(g, t);
    return f ? f->noutputs : 0;
}
const char *dr_task_output(const dr_graph *g, dr_task t, size_t i) {
    const dr__files *f = dr__task_files(g, t);
    return f && i < f->noutputs ? f->outputs[i] : NULL;
}
void *dr_task_data(const dr_graph *g, dr_task t) {
    const dr__task_cold *c = dr__task_cold_of(g, t);
    return c ? c->data : NULL;
}

const dr_task *dr_task_deps(const dr_graph *g, dr_task t, size_t *n) {
    *n = 0;
    if (dr__graph_settle((dr_graph *)g) != 0)
        return NULL;
    uint32_t k;
    const dr_task *d = dr__task_deps_of(g, t, &k);
    *n = k;
    return k > 0 ? d : NULL;
}

const dr_task *dr_task_succs(const dr_graph *g, dr_task t, size_t *n) {
    *n = 0;
    if (dr__graph_derive((dr_graph *)g) == DR_ENOMEM)
        return NULL;
    uint32_t a = g->succ_off[t], b = g->succ_off[t + 1];
    *n = b - a;
    return b > a ? g->succ + a : NULL;
}

/* --------------------------------------------------------- derived arrays */

/* Moves the late edges into the CSR array, each after its task's others in
 * the order they were added.  The array only grows, so segments move from
 * the last one back, each to a place at or after its old one. */
static int merge_late(dr_graph *g) {
    size_t n = g->ntasks, total = g->ndep + g->nlate;
    uint32_t *at = calloc(n + 1, sizeof(*at)); /* late edges before task i */
    dr_task *sorted = malloc(g->nlate * sizeof(*sorted));
    if (at == NULL || sorted == NULL || total > g->capdep) {
        dr_task *dep =
            at && sorted ? realloc(g->dep, total * sizeof(*dep)) : NULL;
        if (dep == NULL) {
            free(at);
            free(sorted);
            return DR_ENOMEM;
        }
        g->dep = dep;
        g->capdep = total;
    }
    for (size_t k = 0; k < g->nlate; k++)
        at[g->late[k].task + 1]++;
    for (size_t i = 0; i < n; i++)
        at[i + 1] += at[i];
    for (size_t k = 0; k < g->nlate; k++) /* stable: add order kept */
        sorted[at[g->late[k].task]++] = g->late[k].dep;
    /* at[i] is now the late edges of tasks up to and including i. */
    uint32_t old_end = g->dep_off[n];
    g->dep_off[n] = (uint32_t)total;
    for (size_t i = n; i-- > 0;) {
        uint32_t before = i > 0 ? at[i - 1] : 0, late = at[i] - before;
        uint32_t old_start = g->dep_off[i], len = old_end - old_start;
        uint32_t start = old_start + before;
        memmove(g->dep + start, g->dep + old_start, len * sizeof(*g->dep));
        memcpy(g->dep + start + len, sorted + before, late * sizeof(*g->dep));
        old_end = old_start;
        g->dep_off[i] = start;
    }
    g->ndep = total;
    free(at);
    free(sorted);
    free(g->late);
    g->late = NULL;
    g->nlate = g->caplate = 0;
    return 0;
}

/* Drops repeated dependencies of each task, keeping the first of each. */
static int dedupe(dr_graph *g) {
    size_t n = g->ntasks;
    uint32_t *seen = malloc((n ? n : 1) * sizeof(*seen));
    if (seen == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        seen[i] = UINT32_MAX;
    uint32_t k = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t end = g->dep_off[i + 1];
        g->dep_off[i] = k;
        for (uint32_t j = start; j < end; j++) {
            dr_task d = g->dep[j];
            if (seen[d] == (uint32_t)i)
                continue;
            seen[d] = (uint32_t)i;
            g->dep[k++] = d;
        }
        start = end;
    }
    g->dep_off[n] = k;
    free(seen);
    g->ndep = k;
    return 0;
}

int dr__graph_settle(dr_graph *g) {
    if (g->settled)
        return 0;
    size_t n = g->ntasks;
    if (n == 0) {
        g->settled = 1;
        return 0;
    }
    for (size_t i = g->dep_front + 1; i <= n; i++)
        g->dep_off[i] = (uint32_t)g->ndep;
    if (g->nlate > 0 && merge_late(g) != 0)
        return DR_ENOMEM;
    if (g->needs_dedupe && dedupe(g) != 0)
        return DR_ENOMEM;
    g->needs_dedupe = 0;
    g->nedges = g->ndep;
    g->dep_front = n - 1;
    g->settled = 1;
    return 0;
}

/* Gives back what the growth of the arrays left unused: a built graph is
 * kept for the whole run.  Only dr_graph_validate calls it (the arrays may
 * move: its documentation says so), never a reader.  dep_off may stay
 * longer than captasks + 1 (its shrink failed), never shorter. */
static void shrink_to_fit(dr_graph *g) {
    if (g->captasks > g->ntasks && g->ntasks > 0) {
        dr__task *t = realloc(g->tasks, g->ntasks * sizeof(*t));
        if (t != NULL) {
            g->tasks = t;
            g->captasks = g->ntasks;
            uint32_t *off = realloc(g->dep_off, (g->ntasks + 1) * sizeof(*off));
            if (off != NULL)
                g->dep_off = off;
        }
    }
    if (g->capdep > g->ndep && g->ndep > 0) {
        dr_task *d = realloc(g->dep, g->ndep * sizeof(*d));
        if (d != NULL) {
            g->dep = d;
            g->capdep = g->ndep;
        }
    }
    if (g->capcold > g->ncold && g->ncold > 0) {
        dr__task_cold *c = realloc(g->cold, g->ncold * sizeof(*c));
        if (c != NULL) {
            g->cold = c;
            g->capcold = g->ncold;
        }
    }
}

int dr__graph_derive(dr_graph *g) {
    if (g->derived)
        return g->acyclic ? 0 : DR_ECYCLE;
    if (dr__graph_settle(g) != 0)
        return DR_ENOMEM;
    size_t n = g->ntasks;
    if (g->nedges >= UINT32_MAX)
        return DR_ENOMEM;
    uint32_t *off = calloc(n + 1, sizeof(*off));
    dr_task *succ = malloc((g->nedges ? g->nedges : 1) * sizeof(*succ));
    dr_task *topo = malloc((n ? n : 1) * sizeof(*topo));
    uint32_t *indeg = malloc((n ? n : 1) * sizeof(*indeg));
    if (off == NULL || succ == NULL || topo == NULL || indeg == NULL) {
        free(off);
        free(succ);
        free(topo);
        free(indeg);
        return DR_ENOMEM;
    }
    /* Successor lists in CSR form: count, prefix-sum, fill. */
    const uint32_t *doff = g->dep_off;
    for (size_t j = 0; j < g->ndep; j++)
        off[g->dep[j] + 1]++;
    for (size_t i = 0; i < n; i++)
        off[i + 1] += off[i];
    uint32_t *fill = indeg; /* reuse as a cursor, then as in-degrees */
    for (size_t i = 0; i < n; i++)
        fill[i] = off[i];
    for (size_t i = 0; i < n; i++)
        for (uint32_t j = doff[i]; j < doff[i + 1]; j++)
            succ[fill[g->dep[j]]++] = (dr_task)i;
    /* Kahn's algorithm; sources in task order, so the order is stable. */
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++) {
        indeg[i] = doff[i + 1] - doff[i];
        if (indeg[i] == 0)
            topo[tail++] = (dr_task)i;
    }
    while (head < tail) {
        dr_task t = topo[head++];
        for (uint32_t k = off[t]; k < off[t + 1]; k++)
            if (--indeg[succ[k]] == 0)
                topo[tail++] = succ[k];
    }
    free(indeg);
    g->succ_off = off;
    g->succ = succ;
    g->derived = 1;
    if (tail == n) {
        g->topo = topo;
        g->acyclic = 1;
        return 0;
    }
    free(topo);
    g->topo = NULL;
    g->acyclic = 0;
    return DR_ECYCLE;
}

void dr__graph_describe_cycle(const dr_graph *g, char *buf, size_t len,
                              dr_task *first, dr_task *first_dep) {
    /* Tasks left over by Kahn's algorithm each have a dependency that is
     * also left over; walking dependencies from any of them must revisit a
     * task, and the walk between the two visits is a cycle. */
    size_t n = g->ntasks;
    uint8_t *done = calloc(n ? n : 1, 1);
    uint32_t *pos = malloc((n ? n : 1) * sizeof(*pos));
    dr_task *walk = malloc((n ? n : 1) * sizeof(*walk));
    buf[0] = '\0';
    if (done == NULL || pos == NULL || walk == NULL)
        goto out;
    /* Recompute what Kahn's algorithm finished. */
    uint32_t *indeg = pos;
    dr_task *queue = walk;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if ((indeg[i] = g->dep_off[i + 1] - g->dep_off[i]) == 0)
            queue[tail++] = (dr_task)i;
    while (head < tail) {
        dr_task t = queue[head++];
        done[t] = 1;
        for (uint32_t k = g->succ_off[t]; k < g->succ_off[t + 1]; k++)
            if (--indeg[g->succ[k]] == 0)
                queue[tail++] = g->succ[k];
    }
    dr_task start = DR_TASK_NONE;
    for (size_t i = 0; i < n && start == DR_TASK_NONE; i++)
        if (!done[i])
            start = (dr_task)i;
    if (start == DR_TASK_NONE)
        goto out;
    for (size_t i = 0; i < n; i++)
        pos[i] = UINT32_MAX;
    size_t len_walk = 0;
    dr_task t = start;
    while (pos[t] == UINT32_MAX) {
        pos[t] = (uint32_t)len_walk;
        walk[len_walk++] = t;
        uint32_t nd;
        const dr_task *deps = dr__task_deps_of(g, t, &nd);
        dr_task next = DR_TASK_NONE;
        for (uint32_t j = 0; j < nd; j++)
            if (!done[deps[j]]) {
                next = deps[j];
                break;
            }
        t = next;
    }
    /* walk[pos[t]..] is the cycle, each entry depending on the next.  It is
     * printed in execution order (a dependency before its dependent),
     * starting from its smallest key so the message does not depend on the
     * order tasks were declared in.  Keys are printed whole; a cycle too
     * long for the buffer ends in "...". */
    size_t from = pos[t], cyclen = len_walk - from;
    size_t best = from;
    for (size_t i = from; i < len_walk; i++)
        if (strcmp(g->tasks[walk[i]].key, g->tasks[walk[best]].key) < 0)
            best = i;
    if (first != NULL)
        *first = walk[best];
    if (first_dep != NULL)
        *first_dep = walk[from + (best - from + 1) % cyclen];
    size_t used = 0, room = len > 4 ? len - 4 : 0;
    /* Execution order walks the array backwards from `best`. */
    for (size_t k = 0; k <= cyclen; k++) {
        size_t i = from + (best - from + cyclen - (k % cyclen)) % cyclen;
        const char *key = g->tasks[walk[i]].key;
        int w = snprintf(buf + used, room > used ? room - used : 0, "%s%s", key,
                         k < cyclen ? " -> " : "");
        if (w < 0 || (size_t)w >= room - used) {
            snprintf(buf + used, len - used, "...");
            break;
        }
        used += (size_t)w;
    }
out:
    free(done);
    free(pos);
    free(walk);
}

/* The builtin reductions (sum, mean, min, max, count) reduce numbers; a
 * command's result is the text it printed, so a reduction over a command
 * would silently see nothing (docs/graph-format.md, "Builtin operations").
 * Returns DR_EINVAL with *task and *dep set at the first such pair, else
 * 0. */
static int check_reductions(const dr_graph *g, dr_error *err, dr_task *task,
                            dr_task *dep) {
    static const char *const reducers[] = {"sum", "mean", "min", "max",
                                           "count"};
    /* Op names are interned: a task with the last task's op is the same
     * pointer, and costs no string compares. */
    const char *last_op = NULL;
    int reduces = 0;
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++) {
        if (dr_task_op_kind(g, t) != DR_OP_BUILTIN)
            continue;
        const char *op = dr_task_op_name(g, t);
        if (op == NULL || op != last_op) {
            last_op = op;
            reduces = 0;
            for (size_t i = 0; i < sizeof(reducers) / sizeof(reducers[0]); i++)
                reduces |= op != NULL && strcmp(op, reducers[i]) == 0;
        }
        if (!reduces)
            continue;
        size_t n;
        const dr_task *deps = dr_task_deps(g, t, &n);
        for (size_t i = 0; i < n; i++) {
            if (!dr__task_is_command(g, deps[i]))
                continue;
            dr__error_set(err, DR_EINVAL, NULL, 0, 0, g->tasks[t].key,
                          "%s: input '%s' is a command's output (text), not "
                          "a number: the reductions take the results of "
                          "builtin or C function tasks",
                          op, g->tasks[deps[i]].key);
            *task = t;
            *dep = deps[i];
            return DR_EINVAL;
        }
    }
    return 0;
}

int dr__graph_validate_at(dr_graph *g, dr_error *err, dr_task *first,
                          dr_task *first_dep) {
    dr_task a = DR_TASK_NONE, b = DR_TASK_NONE;
    if (!g->derived && dr__graph_settle(g) == 0)
        shrink_to_fit(g);
    int rc = dr__graph_derive(g);
    if (rc == 0)
        rc = check_reductions(g, err, &a, &b);
    if (rc == 0)
        rc = dr__graph_check_files(g, err, NULL);
    if (rc == DR_ENOMEM)
        dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
    if (rc == DR_ECYCLE) {
        char cycle[DR_ERROR_TEXT_LENGTH - 16];
        dr__graph_describe_cycle(g, cycle, sizeof(cycle), &a, &b);
        dr__error_set(err, rc, NULL, 0, 0,
                      a != DR_TASK_NONE ? g->tasks[a].key : NULL, "cycle: %s",
                      cycle);
    }
    if (first != NULL)
        *first = a;
    if (first_dep != NULL)
        *first_dep = b;
    return rc;
}

int dr_graph_validate(dr_graph *g, dr_error *err) {
    return dr__graph_validate_at(g, err, NULL, NULL);
}

const dr_task *dr_graph_topo_order(const dr_graph *g) {
    if (!g->derived || !g->acyclic)
        return NULL;
    return g->topo;
}

size_t dr_graph_memory(const dr_graph *g) {
    size_t bytes = sizeof(*g) + g->captasks * sizeof(dr__task) +
                   g->nslots * sizeof(dr__slot) + g->arena_bytes +
                   (g->dep_off ? (g->captasks + 1) * sizeof(uint32_t) : 0) +
                   g->capdep * sizeof(dr_task) +
                   g->caplate * sizeof(dr__late_edge) +
                   g->capcold * sizeof(dr__task_cold) +
                   g->nfile_tasks * sizeof(dr__files) +
                   g->nop_names * sizeof(const char *);
    if (g->derived)
        bytes += (g->ntasks + 1) * sizeof(uint32_t) +
                 g->nedges * sizeof(dr_task) +
                 (g->topo ? g->ntasks * sizeof(dr_task) : 0);
    return bytes;
}

/* ------------------------------------------------------------- comparison */

static int why(char *buf, size_t len, const char *fmt, const char *a,
               const char *b) {
    if (buf != NULL && len > 0)
        snprintf(buf, len, fmt, a, b);
    return 0;
}

/* Task a of ga and task b of gb declare the same files. */
static int files_equal(const dr_graph *ga, dr_task a, const dr_graph *gb,
                       dr_task b) {
    size_t ni = dr_task_ninputs(ga, a), no = dr_task_noutputs(ga, a);
    if (ni != dr_task_ninputs(gb, b) || no != dr_task_noutputs(gb, b))
        return 0;
    for (size_t i = 0; i < ni; i++)
        if (strcmp(dr_task_input(ga, a, i), dr_task_input(gb, b, i)) != 0)
            return 0;
    for (size_t i = 0; i < no; i++)
        if (strcmp(dr_task_output(ga, a, i), dr_task_output(gb, b, i)) != 0)
            return 0;
    return 1;
}

/* No arguments, null and {} all mean "no arguments". */
static int args_empty(const json_t *a) {
    return a == NULL || json_is_null(a) ||
           (json_is_object(a) && json_object_size(a) == 0);
}

static int op_equal(const dr_graph *ga, dr_task ta, const dr_graph *gb,
                    dr_task tb) {
    dr_op_kind kind = dr_task_op_kind(ga, ta);
    if (kind != dr_task_op_kind(gb, tb))
        return 0;
    switch (kind) {
    case DR_OP_NONE:
        return 1;
    case DR_OP_BUILTIN:
    case DR_OP_FUNCTION: {
        if (strcmp(dr_task_op_name(ga, ta), dr_task_op_name(gb, tb)) != 0)
            return 0;
        json_t *x = dr_task_op_args(ga, ta), *y = dr_task_op_args(gb, tb);
        if (args_empty(x) || args_empty(y))
            return args_empty(x) && args_empty(y);
        return json_equal(x, y);
    }
    case DR_OP_ARGV: {
        const char *const *x = dr_task_argv(ga, ta, NULL);
        const char *const *y = dr_task_argv(gb, tb, NULL);
        size_t i = 0;
        for (; x[i] != NULL && y[i] != NULL; i++)
            if (strcmp(x[i], y[i]) != 0)
                return 0;
        return x[i] == NULL && y[i] == NULL;
    }
    case DR_OP_SHELL:
        return strcmp(dr_task_shell(ga, ta), dr_task_shell(gb, tb)) == 0;
    }
    return 0;
}

int dr_graph_equal(const dr_graph *a, const dr_graph *b, char *whybuf,
                   size_t whylen) {
    if (strcmp(dr_graph_name(a), dr_graph_name(b)) != 0)
        return why(whybuf, whylen, "names differ: '%s' vs '%s'",
                   dr_graph_name(a), dr_graph_name(b));
    if (strcmp(dr_graph_description(a), dr_graph_description(b)) != 0)
        return why(whybuf, whylen, "descriptions differ%s%s", "", "");
    if (a->ntasks != b->ntasks)
        return why(whybuf, whylen, "task counts differ%s%s", "", "");
    if (dr_graph_nedges(a) != dr_graph_nedges(b))
        return why(whybuf, whylen, "edge counts differ%s%s", "", "");
    uint8_t *mark = calloc(b->ntasks ? b->ntasks : 1, 1);
    if (mark == NULL)
        return 0;
    int equal = 1;
    for (size_t i = 0; i < a->ntasks && equal; i++) {
        dr_task ta = (dr_task)i;
        const char *key = a->tasks[i].key;
        dr_task tb = dr_graph_find(b, key);
        if (tb == DR_TASK_NONE) {
            equal = why(whybuf, whylen, "task '%s' is missing%s", key, "");
            break;
        }
        size_t na, nb;
        const dr_task *da = dr_task_deps(a, ta, &na);
        const dr_task *db = dr_task_deps(b, tb, &nb);
        if (!op_equal(a, ta, b, tb))
            equal =
                why(whybuf, whylen, "task '%s': operations differ%s", key, "");
        else if (dr_task_has_cost(a, ta) != dr_task_has_cost(b, tb) ||
                 (dr_task_has_cost(a, ta) &&
                  dr_task_cost(a, ta) != dr_task_cost(b, tb)))
            equal = why(whybuf, whylen, "task '%s': costs differ%s", key, "");
        else if (dr_task_has_timeout(a, ta) != dr_task_has_timeout(b, tb) ||
                 dr_task_timeout(a, ta) != dr_task_timeout(b, tb) ||
                 dr_task_retries(a, ta) != dr_task_retries(b, tb))
            equal = why(whybuf, whylen, "task '%s': timeout/retries differ%s",
                        key, "");
        else if (dr_task_cache(a, ta) != dr_task_cache(b, tb))
            equal = why(whybuf, whylen, "task '%s': cache differs%s", key, "");
        else if (!files_equal(a, ta, b, tb))
            equal = why(whybuf, whylen, "task '%s': files differ%s", key, "");
        else if (na != nb)
            equal = why(whybuf, whylen, "task '%s': dependency counts differ%s",
                        key, "");
        if (!equal)
            break;
        for (size_t k = 0; k < nb; k++)
            mark[db[k]] = 1;
        for (size_t k = 0; k < na && equal; k++) {
            const char *dkey = a->tasks[da[k]].key;
            dr_task d = dr_graph_find(b, dkey);
            if (d == DR_TASK_NONE || !mark[d])
                equal = why(whybuf, whylen,
                            "task '%s': dependency '%s' differs", key, dkey);
        }
        for (size_t k = 0; k < nb; k++)
            mark[db[k]] = 0;
    }
    free(mark);
    return equal;
}
