/*
 * dagrun's own JSON graph format (docs/graph-format.md) to a dr_graph.
 *
 * Design: jansson parses the whole document first (graph/load.c), then this
 * file walks the DOM in two passes over the "tasks" array.  A task object is
 * a template: without "range" it makes one task, with one it makes the
 * cartesian product of its variables.
 *  1. Every template is expanded and its tasks added with their operation,
 *     cost and files.  Tasks of one template get consecutive numbers, so
 *     first[k] .. first[k+1]-1 are template k's tasks and {"all": pattern}
 *     needs no scan: it adds that range of edges.
 *  2. Dependencies, once every id exists (a dependency may name a task
 *     defined later in the file).  Ids are found through the graph's O(1)
 *     key index.
 * A string without braces is used as it is, without copying or parsing, so
 * a fully expanded million-task file pays nothing for templates.  Argument
 * objects without braces are shared by reference between a template's tasks.
 *
 * Errors are found on the DOM, which has no positions; graph/locate.c finds
 * the line and column in the text afterwards, only when there is an error to
 * report.  The first error wins and stops the load.
 */
#include "expr_internal.h"
#include "formats_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANGE_VARS 8
#define NO_INDEX ((size_t)-1)

/* A growable buffer of NUL-separated strings (expanded text). */
typedef struct strbuf {
    char *p;
    size_t len, cap;
} strbuf;

/* A template's range: variables, [from, to) each, and the product size. */
typedef struct range {
    size_t nvars;
    const char *names[MAX_RANGE_VARS];
    int64_t from[MAX_RANGE_VARS], to[MAX_RANGE_VARS];
    uint64_t count; /* UINT64_MAX when it overflows */
} range;

typedef struct loader {
    const char *text;
    size_t len;
    const char *source;
    const dr_load_options *opts;
    dr_error *err;
    dr_graph *g;
    size_t ntmpl;     /* number of task objects read so far */
    size_t captmpl;   /* room in first, kept and dep_first */
    uint32_t *first;  /* ntmpl + 1 entries: template k's first task */
    json_t *families; /* id pattern -> [template index, ...], built on use */
    /* What pass two needs of each task object, kept from pass one so that
     * the objects themselves can go as soon as they are read (the streaming
     * reader frees each one at once).  A plain task (no "range", no braces
     * in its id, every dependency a string without braces), by far the
     * commonest, keeps only its dependencies, resolved to task numbers
     * where the task is already defined (4 bytes each): deps[dep_first[k]
     * .. dep_first[k + 1]).  Any other object is kept whole in kept[k]. */
    json_t **kept;
    uint32_t *dep_first; /* ntmpl + 1 entries */
    dr_task *deps;       /* DR_TASK_NONE: defined later, id in `pending` */
    size_t ndeps, capdeps;
    strbuf pending; /* ids of those, NUL-separated, in file order */
    size_t pending_at;

    dr__expr_var *scope; /* parameters, then the range variables */
    size_t nparams, nscope;
    json_t *index; /* parameter name -> its position in scope */
    int workers_declared, workers_set;

    size_t max_tasks;
    size_t max_edges, nedges; /* edges added so far, repeats included */
    size_t max_bytes, nbytes; /* text stored per task (ids, commands, files,
                                 expanded args), so far */
    strbuf sb;
    char msg[DR_ERROR_TEXT_LENGTH];
    /* While locating a cycle's dependency entry (dep_entry), add_edge adds
     * nothing and only notes whether the entry names task `probe`. */
    dr_task probe;
    int probe_hit;
} loader;

static const char *const top_keys[] = {"dagrun", "name",  "description",
                                       "params", "tasks", NULL};
static const char *const task_keys[] = {
    "id",    "range",  "op",      "args",        "cmd",
    "shell", "cost",   "timeout", "retries",     "cache",
    "deps",  "inputs", "outputs", "description", NULL};
static const char *const dep_keys[] = {"id", "all", "if", NULL};

/* ---------------------------------------------------------------- errors */

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* The closest of a NULL-terminated list (dr__suggest), or NULL when
 * nothing is close. */
static const char *closest(const char *word, const char *const *list) {
    size_t n = 0;
    while (list[n] != NULL)
        n++;
    const char *near = NULL;
    return dr__suggest(word, list, n, &near, 1) ? near : NULL;
}

/* The closest builtin or registered op, or NULL. */
static const char *closest_op(const char *op, const dr_ops *ops) {
    const char *const *builtins = dr_builtin_names();
    size_t nb = 0, nops = dr_ops_count(ops);
    while (builtins[nb] != NULL)
        nb++;
    const char **names = malloc((nb + nops + 1) * sizeof(*names));
    if (names == NULL)
        return closest(op, builtins);
    memcpy(names, builtins, nb * sizeof(*names));
    for (size_t i = 0; i < nops; i++)
        names[nb + i] = dr_ops_name(ops, i);
    const char *near = NULL;
    if (dr__suggest(op, names, nb + nops, &near, 1) == 0)
        near = NULL;
    free(names);
    return near;
}

/*
 * Records an error at a path in the document.  `task` names the task (NULL
 * when unknown); the path is up to four steps: "tasks"/key0, index k, key,
 * index j (NO_INDEX / NULL ends it early).
 */
static void fail_path(loader *L, int code, const char *task,
                      const dr__json_step *path, size_t npath, const char *fmt,
                      ...) __attribute__((format(printf, 6, 7)));

static void fail_path(loader *L, int code, const char *task,
                      const dr__json_step *path, size_t npath, const char *fmt,
                      ...) {
    if (L->err == NULL || L->err->code != 0)
        return;
    int line = 0, column = 0;
    /* Fall back to shorter paths when the value itself is not found (a
     * missing key is reported at its object). */
    while (dr__json_locate(L->text, L->len, path, npath, &line, &column) != 0 &&
           npath > 0)
        npath--;
    va_list ap;
    va_start(ap, fmt);
    dr__error_setv(L->err, code, L->source, line, column, task, fmt, ap);
    va_end(ap);
}

/* The path of task object k, its `key` (NULL: the object) and index j of
 * that key's array (NO_INDEX: the key's value). */
static size_t task_path(dr__json_step path[4], size_t k, const char *key,
                        size_t j) {
    path[0].key = "tasks";
    path[0].index = 0;
    path[1].key = NULL;
    path[1].index = k;
    path[2].key = key;
    path[2].index = 0;
    path[3].key = NULL;
    path[3].index = j;
    return key == NULL ? 2 : j == NO_INDEX ? 3 : 4;
}

static void fail_task(loader *L, int code, size_t k, const char *task,
                      const char *key, size_t j, const char *fmt, ...) {
    char text[DR_ERROR_TEXT_LENGTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    dr__json_step path[4];
    size_t npath = task_path(path, k, key, j);
    if (task == NULL)
        fail_path(L, code, NULL, path, npath, "tasks[%zu]: %s", k, text);
    else
        fail_path(L, code, task, path, npath, "%s", text);
}

static void fail_nomem(loader *L) {
    dr__error_set(L->err, DR_ENOMEM, L->source, 0, 0, NULL, "out of memory");
}

/* ------------------------------------------------------------ expressions */

/* Evaluates s[0..n) over the first `visible` names of the scope: the
 * parameters through their index, range variables one by one. */
static int eval(loader *L, const char *s, size_t n, size_t visible,
                int64_t *out, char *msg, size_t msglen) {
    /* The parameters come first in the scope, and only they are indexed. */
    size_t nindexed = L->index ? json_object_size(L->index) : 0;
    dr__expr_scope scope = {L->scope, visible, L->index,
                            nindexed < visible ? nindexed : visible};
    return dr__expr_eval_in(s, n, &scope, out, msg, msglen);
}

/* Appends a parameter to the scope and its index. */
static int add_param(loader *L, const char *name, int64_t value) {
    if (json_object_set_new(L->index, name,
                            json_integer((json_int_t)L->nscope)) != 0) {
        fail_nomem(L);
        return -1;
    }
    L->scope[L->nscope].name = name;
    L->scope[L->nscope++].value = value;
    return 0;
}

/* ---------------------------------------------------------- substitution */

static int sb_reserve(strbuf *b, size_t more) {
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int has_braces(const char *s) { return strpbrk(s, "{}") != NULL; }

/*
 * Appends `s` with every {expr} replaced by its value and {{ }} by braces,
 * NUL-terminated, to L->sb; *off receives where it starts.  Returns 0, or -1
 * with L->msg set (DR_ENOMEM is reported as a message too, and rare).
 */
static int expand_into(loader *L, const char *s, size_t *off) {
    *off = L->sb.len;
    size_t n = strlen(s);
    if (sb_reserve(&L->sb, n + 1) != 0)
        goto nomem;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '{' && i + 1 < n && s[i + 1] == '{') {
            L->sb.p[L->sb.len++] = '{';
            i += 2;
        } else if (c == '}' && i + 1 < n && s[i + 1] == '}') {
            L->sb.p[L->sb.len++] = '}';
            i += 2;
        } else if (c == '}') {
            snprintf(L->msg, sizeof(L->msg),
                     "in '%s': a lone '}' (write '}}' for a literal brace)", s);
            return -1;
        } else if (c == '{') {
            const char *end = memchr(s + i + 1, '}', n - i - 1);
            const char *open = memchr(s + i + 1, '{', n - i - 1);
            if (end == NULL || (open != NULL && open < end)) {
                snprintf(L->msg, sizeof(L->msg),
                         "in '%s': '{' without its '}' (write '{{' for a "
                         "literal brace)",
                         s);
                return -1;
            }
            int64_t v;
            char emsg[300];
            if (eval(L, s + i + 1, (size_t)(end - s - i - 1), L->nscope, &v,
                     emsg, sizeof(emsg)) != 0) {
                /* A lone brace pair in a shell command (awk '{print}')
                 * is the usual cause of a bad expression here. */
                int arith = strstr(emsg, "division by zero") != NULL ||
                            strstr(emsg, "overflow") != NULL;
                snprintf(L->msg, sizeof(L->msg), "in '%s': %s%s", s, emsg,
                         arith ? "" : " (write {{ and }} for literal braces)");
                return -1;
            }
            char num[32];
            int w = snprintf(num, sizeof(num), "%" PRId64, v);
            if (sb_reserve(&L->sb, (size_t)w + (n - i) + 1) != 0)
                goto nomem;
            memcpy(L->sb.p + L->sb.len, num, (size_t)w);
            L->sb.len += (size_t)w;
            i = (size_t)(end - s) + 1;
        } else {
            L->sb.p[L->sb.len++] = c;
            i++;
        }
    }
    L->sb.p[L->sb.len++] = '\0';
    return 0;
nomem:
    snprintf(L->msg, sizeof(L->msg), "out of memory");
    return -1;
}

/* Expands one string on its own; the result is borrowed (s itself or L->sb)
 * until the next expansion.  NULL with L->msg on error. */
static const char *expand(loader *L, const char *s) {
    if (!has_braces(s))
        return s;
    L->sb.len = 0;
    size_t off;
    if (expand_into(L, s, &off) != 0)
        return NULL;
    return L->sb.p + off;
}

/* 1 when `s` is exactly one "{expr}" (then an args value becomes an
 * integer). */
static int is_whole_expr(const char *s) {
    size_t n = strlen(s);
    return n >= 3 && s[0] == '{' && s[1] != '{' && s[n - 1] == '}' &&
           strpbrk(s + 1, "{}") == s + n - 1;
}

static int json_has_braces(const json_t *v) {
    if (json_is_string(v))
        return has_braces(json_string_value(v));
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key,
                            item) if (json_has_braces(item)) return 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) if (json_has_braces(item)) return 1;
    }
    return 0;
}

/* A new copy of an args value with strings expanded; NULL with L->msg. */
static json_t *expand_json(loader *L, const json_t *v) {
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (is_whole_expr(s)) {
            int64_t x;
            char emsg[300];
            if (eval(L, s + 1, strlen(s) - 2, L->nscope, &x, emsg,
                     sizeof(emsg)) != 0) {
                snprintf(L->msg, sizeof(L->msg), "in '%s': %s", s, emsg);
                return NULL;
            }
            L->nbytes += sizeof(json_int_t);
            return json_integer(x);
        }
        const char *e = expand(L, s);
        if (e != NULL)
            L->nbytes += strlen(e) + 1;
        return e ? json_string(e) : NULL;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            json_t *x = expand_json(L, item);
            if (x == NULL || json_object_set_new(out, key, x) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            json_t *x = expand_json(L, item);
            if (x == NULL || json_array_append_new(out, x) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

/* ------------------------------------------------------------ parameters */

static const dr_param *find_override(const loader *L, const char *name) {
    const dr_param *found = NULL;
    for (size_t i = 0; L->opts && i < L->opts->nparams; i++)
        if (strcmp(L->opts->params[i].name, name) == 0)
            found = &L->opts->params[i]; /* the last --set wins */
    return found;
}

static int load_params(loader *L, json_t *root) {
    json_t *params = json_object_get(root, "params");
    dr__json_step at[2] = {{"params", 0}, {NULL, 0}};
    if (params != NULL && !json_is_object(params)) {
        fail_path(L, DR_EFORMAT, NULL, at, 1,
                  "\"params\" must be an object of name: value, got %s",
                  type_name(params));
        return -1;
    }
    size_t declared = params ? json_object_size(params) : 0;
    L->scope = calloc(declared + 1 + MAX_RANGE_VARS, sizeof(*L->scope));
    if (L->scope == NULL) {
        fail_nomem(L);
        return -1;
    }
    L->workers_declared = params && json_object_get(params, "workers");
    /* Every --set name must be declared; `workers` always is. */
    for (size_t i = 0; L->opts && i < L->opts->nparams; i++) {
        const char *name = L->opts->params[i].name;
        if (strcmp(name, "workers") == 0) {
            L->workers_set = 1;
            continue;
        }
        if (params != NULL && json_object_get(params, name) != NULL)
            continue;
        char known[300] = "";
        size_t used = 0;
        const char *key;
        json_t *value;
        if (params != NULL) {
            json_object_foreach(params, key, value) {
                int w = snprintf(known + used, sizeof(known) - used, "%s%s",
                                 used ? ", " : "", key);
                if (w < 0 || (size_t)w >= sizeof(known) - used)
                    break;
                used += (size_t)w;
            }
        }
        if (used)
            dr__error_set(L->err, DR_EINVAL, L->source, 0, 0, NULL,
                          "unknown parameter '%s' (the graph has: %s)", name,
                          known);
        else
            dr__error_set(L->err, DR_EINVAL, L->source, 0, 0, NULL,
                          "unknown parameter '%s' (the graph declares no "
                          "parameters; only 'workers' can always be set)",
                          name);
        return -1;
    }
    if ((L->index = json_object()) == NULL) {
        fail_nomem(L);
        return -1;
    }
    if (!L->workers_declared) {
        const dr_param *o = find_override(L, "workers");
        if (add_param(L, "workers", o ? o->value : 1) != 0)
            return -1;
    }
    const char *name;
    json_t *value;
    if (params != NULL) {
        json_object_foreach(params, name, value) {
            at[1].key = name;
            if (!dr__expr_is_name(name, strlen(name))) {
                fail_path(L, DR_EFORMAT, NULL, at, 2,
                          "parameter '%s': a name is letters, digits and '_', "
                          "not starting with a digit",
                          name);
                return -1;
            }
            if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0) {
                fail_path(L, DR_EFORMAT, NULL, at, 2,
                          "parameter '%s': the name is taken by the "
                          "function %s(a, b)",
                          name, name);
                return -1;
            }
            const dr_param *o = find_override(L, name);
            int64_t v = 0;
            if (o != NULL) {
                v = o->value;
            } else if (json_is_integer(value)) {
                v = json_integer_value(value);
            } else if (json_is_string(value)) {
                const char *s = json_string_value(value);
                char emsg[400];
                if (eval(L, s, strlen(s), L->nscope, &v, emsg, sizeof(emsg)) !=
                    0) {
                    fail_path(L, DR_EFORMAT, NULL, at, 2, "parameter '%s': %s",
                              name, emsg);
                    return -1;
                }
            } else {
                fail_path(L, DR_EFORMAT, NULL, at, 2,
                          "parameter '%s' must be an integer or an expression "
                          "string, got %s",
                          name, type_name(value));
                return -1;
            }
            if (add_param(L, name, v) != 0)
                return -1;
        }
    }
    L->nparams = L->nscope;
    for (size_t i = 0; i < L->nparams; i++) {
        if (strcmp(L->scope[i].name, "workers") == 0 && L->scope[i].value < 1) {
            at[1].key = "workers";
            if (L->workers_declared && !L->workers_set)
                fail_path(L, DR_ERANGE, NULL, at, 2,
                          "parameter 'workers' must be at least 1 (it is "
                          "the worker count of the run), got %" PRId64,
                          L->scope[i].value);
            else
                dr__error_set(L->err, DR_ERANGE, L->source, 0, 0, NULL,
                              "parameter 'workers' must be at least 1, got "
                              "%" PRId64,
                              L->scope[i].value);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------- templates */

static int range_bound(loader *L, size_t k, const char *pattern,
                       const char *var, const json_t *v, size_t j,
                       int64_t *out) {
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char emsg[400];
        if (eval(L, s, strlen(s), L->nparams, out, emsg, sizeof(emsg)) == 0)
            return 0;
        fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                  "range of '%s': %s", var, emsg);
        return -1;
    }
    (void)j;
    fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
              "range of '%s': a bound must be an integer or an expression "
              "string, got %s",
              var, type_name(v));
    return -1;
}

/* Reads template k's "range" (obj is the task, pattern its id). */
static int parse_range(loader *L, size_t k, const json_t *obj,
                       const char *pattern, range *r) {
    memset(r, 0, sizeof(*r));
    r->count = 1;
    json_t *spec = json_object_get(obj, "range");
    if (spec == NULL)
        return 0;
    if (!json_is_object(spec)) {
        fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                  "\"range\" must be an object such as {\"i\": \"n\"}, got %s",
                  type_name(spec));
        return -1;
    }
    if (json_object_size(spec) == 0 ||
        json_object_size(spec) > MAX_RANGE_VARS) {
        fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                  "\"range\" must have from 1 to %d variables, it has %zu",
                  MAX_RANGE_VARS, json_object_size(spec));
        return -1;
    }
    const char *var;
    json_t *v;
    json_object_foreach(spec, var, v) {
        if (!dr__expr_is_name(var, strlen(var)) || strcmp(var, "min") == 0 ||
            strcmp(var, "max") == 0) {
            fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                      "range variable '%s' is not a valid name", var);
            return -1;
        }
        if (json_object_get(L->index, var) != NULL) {
            fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                      "range variable '%s' hides the parameter '%s'", var, var);
            return -1;
        }
        size_t i = r->nvars++;
        r->names[i] = var;
        if (json_is_array(v)) {
            if (json_array_size(v) != 2) {
                fail_task(L, DR_EFORMAT, k, pattern, "range", NO_INDEX,
                          "range of '%s': expected [from, to], got %zu "
                          "values",
                          var, json_array_size(v));
                return -1;
            }
            if (range_bound(L, k, pattern, var, json_array_get(v, 0), 0,
                            &r->from[i]) != 0 ||
                range_bound(L, k, pattern, var, json_array_get(v, 1), 1,
                            &r->to[i]) != 0)
                return -1;
        } else {
            r->from[i] = 0;
            if (range_bound(L, k, pattern, var, v, 0, &r->to[i]) != 0)
                return -1;
        }
        if (r->to[i] < r->from[i]) {
            fail_task(L, DR_ERANGE, k, pattern, "range", NO_INDEX,
                      "range of '%s' is backwards: [%" PRId64 ", %" PRId64
                      ") (a count must not be negative)",
                      var, r->from[i], r->to[i]);
            return -1;
        }
        uint64_t n = (uint64_t)r->to[i] - (uint64_t)r->from[i];
        if (r->count != UINT64_MAX &&
            __builtin_mul_overflow(r->count, n, &r->count))
            r->count = UINT64_MAX;
    }
    return 0;
}

/* Puts the range variables in scope at their first values. */
static void range_start(loader *L, const range *r) {
    L->nscope = L->nparams;
    for (size_t i = 0; i < r->nvars; i++) {
        L->scope[L->nscope].name = r->names[i];
        L->scope[L->nscope++].value = r->from[i];
    }
}

/* Steps to the next combination, the last variable fastest. */
static void range_next(loader *L, const range *r) {
    for (size_t i = r->nvars; i-- > 0;) {
        dr__expr_var *v = &L->scope[L->nparams + i];
        if (++v->value < r->to[i])
            return;
        v->value = r->from[i];
    }
}

/* Which template made task t (binary search over first[]). */
static size_t template_of(const loader *L, dr_task t, size_t upto) {
    size_t lo = 0, hi = upto; /* first[lo] <= t < first[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->first[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------- pass one */

static int check_keys(loader *L, size_t k, const json_t *obj,
                      const char *pattern) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (task_keys[i] != NULL && strcmp(task_keys[i], key) != 0)
            i++;
        if (task_keys[i] != NULL)
            continue;
        const char *near = closest(key, task_keys);
        if (near != NULL)
            fail_task(L, DR_EFORMAT, k, pattern, key, NO_INDEX,
                      "unknown key \"%s\" (did you mean \"%s\"?)", key, near);
        else
            fail_task(L, DR_EFORMAT, k, pattern, key, NO_INDEX,
                      "unknown key \"%s\" (a task has: id, range, op, args, "
                      "cmd, shell, cost, timeout, retries, cache, deps, "
                      "inputs, outputs, description)",
                      key);
        return -1;
    }
    return 0;
}

static int check_string_array(loader *L, size_t k, const json_t *obj,
                              const char *pattern, const char *key,
                              int nonempty) {
    json_t *a = json_object_get(obj, key);
    if (a == NULL)
        return 0;
    if (!json_is_array(a) || (nonempty && json_array_size(a) == 0)) {
        fail_task(L, DR_EFORMAT, k, pattern, key, NO_INDEX,
                  "\"%s\" must be %s array of strings, got %s", key,
                  nonempty ? "a non-empty" : "an",
                  json_is_array(a) ? "an empty array" : type_name(a));
        return -1;
    }
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s) {
        if (!json_is_string(s) || json_string_length(s) == 0) {
            fail_task(L, DR_EFORMAT, k, pattern, key, i,
                      "\"%s\"[%zu] must be a non-empty string, got %s", key, i,
                      json_is_string(s) ? "\"\"" : type_name(s));
            return -1;
        }
    }
    return 0;
}

static int check_number(loader *L, size_t k, const json_t *obj,
                        const char *pattern, const char *key, double *out,
                        int *present) {
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (v == NULL)
        return 0;
    if (!json_is_number(v)) {
        fail_task(L, DR_EFORMAT, k, pattern, key, NO_INDEX,
                  "\"%s\" must be a number of seconds, got %s", key,
                  type_name(v));
        return -1;
    }
    *out = json_number_value(v);
    if (!(*out >= 0) || !isfinite(*out)) {
        fail_task(L, DR_ERANGE, k, pattern, key, NO_INDEX,
                  "\"%s\" must not be negative (got %g)", key, *out);
        return -1;
    }
    return 0;
}

/* What a template does, checked once and applied to each of its tasks. */
typedef struct task_spec {
    const char *op;
    json_t *args;    /* borrowed */
    int args_expand; /* args hold braces: expand per task */
    dr_task_fn fn;   /* registered op */
    void *fn_data;
    json_t *cmd;
    const char *shell;
    double cost, timeout;
    int has_cost, has_timeout;
    int retries;
    int no_cache; /* "cache": false */
} task_spec;

static int read_spec(loader *L, size_t k, const json_t *obj,
                     const char *pattern, task_spec *ts) {
    memset(ts, 0, sizeof(*ts));
    ts->retries = -1;
    json_t *op = json_object_get(obj, "op");
    json_t *args = json_object_get(obj, "args");
    json_t *cmd = json_object_get(obj, "cmd");
    json_t *shell = json_object_get(obj, "shell");
    if ((op != NULL) + (cmd != NULL) + (shell != NULL) > 1) {
        fail_task(L, DR_EFORMAT, k, pattern, op && cmd ? "cmd" : "shell",
                  NO_INDEX,
                  "only one of \"op\", \"cmd\" and \"shell\" may be given");
        return -1;
    }
    if (op != NULL) {
        if (!json_is_string(op)) {
            fail_task(L, DR_EFORMAT, k, pattern, "op", NO_INDEX,
                      "\"op\" must be a string, got %s", type_name(op));
            return -1;
        }
        ts->op = json_string_value(op);
        const dr_ops *ops = L->opts ? L->opts->ops : NULL;
        if (!dr_builtin_exists(ts->op) &&
            dr_ops_find(ops, ts->op, &ts->fn, &ts->fn_data) != 0) {
            const char *near = closest_op(ts->op, ops);
            /* Ops are the builtins, the registered C functions and what
             * plugins add: a graph written for a plugin and run without it
             * is told where its ops would come from. */
            if (near != NULL)
                fail_task(L, DR_ENOOP, k, pattern, "op", NO_INDEX,
                          "unknown op '%s' (did you mean '%s'? other ops come "
                          "from a plugin: --plugin LIB.so)",
                          ts->op, near);
            else
                fail_task(
                    L, DR_ENOOP, k, pattern, "op", NO_INDEX,
                    "unknown op '%s' (builtins: noop, sleep, spin, compute, "
                    "pi, array, sum, mean, min, max, count, fail%s; other ops "
                    "come from a plugin: --plugin LIB.so)",
                    ts->op, dr_ops_count(ops) ? "; or a registered op" : "");
            return -1;
        }
    }
    if (args != NULL) {
        if (op == NULL) {
            fail_task(L, DR_EFORMAT, k, pattern, "args", NO_INDEX,
                      "\"args\" is only for \"op\"");
            return -1;
        }
        if (!json_is_object(args)) {
            fail_task(L, DR_EFORMAT, k, pattern, "args", NO_INDEX,
                      "\"args\" must be an object, got %s", type_name(args));
            return -1;
        }
        ts->args = args;
        ts->args_expand = json_has_braces(args);
    }
    if (ts->op != NULL && ts->fn == NULL && !ts->args_expand &&
        dr_builtin_check(ts->op, args, L->msg, sizeof(L->msg)) != 0) {
        fail_task(L, DR_EINVAL, k, pattern, args ? "args" : "op", NO_INDEX,
                  "%s", L->msg);
        return -1;
    }
    if (cmd != NULL) {
        if (check_string_array(L, k, obj, pattern, "cmd", 1) != 0)
            return -1;
        ts->cmd = cmd;
    }
    if (shell != NULL) {
        if (!json_is_string(shell) || json_string_length(shell) == 0) {
            fail_task(L, DR_EFORMAT, k, pattern, "shell", NO_INDEX,
                      "\"shell\" must be a non-empty string, got %s",
                      json_is_string(shell) ? "\"\"" : type_name(shell));
            return -1;
        }
        ts->shell = json_string_value(shell);
    }
    if (check_number(L, k, obj, pattern, "cost", &ts->cost, &ts->has_cost) !=
            0 ||
        check_number(L, k, obj, pattern, "timeout", &ts->timeout,
                     &ts->has_timeout) != 0)
        return -1;
    json_t *retries = json_object_get(obj, "retries");
    if (retries != NULL) {
        if (!json_is_integer(retries) || json_integer_value(retries) < 0 ||
            json_integer_value(retries) > 1000000) {
            fail_task(L, DR_EFORMAT, k, pattern, "retries", NO_INDEX,
                      "\"retries\" must be a whole number from 0 to 1000000, "
                      "got %s",
                      json_is_integer(retries) ? "a negative or huge one"
                                               : type_name(retries));
            return -1;
        }
        ts->retries = (int)json_integer_value(retries);
    }
    json_t *cache = json_object_get(obj, "cache");
    if (cache != NULL) {
        if (!json_is_boolean(cache)) {
            fail_task(L, DR_EFORMAT, k, pattern, "cache", NO_INDEX,
                      "\"cache\" must be true or false, got %s",
                      type_name(cache));
            return -1;
        }
        ts->no_cache = json_is_false(cache);
    }
    json_t *deps = json_object_get(obj, "deps");
    if (deps != NULL && !json_is_array(deps)) {
        fail_task(L, DR_EFORMAT, k, pattern, "deps", NO_INDEX,
                  "\"deps\" must be an array, got %s", type_name(deps));
        return -1;
    }
    json_t *d = json_object_get(obj, "description");
    if (d != NULL && !json_is_string(d)) {
        fail_task(L, DR_EFORMAT, k, pattern, "description", NO_INDEX,
                  "\"description\" must be a string, got %s", type_name(d));
        return -1;
    }
    if (check_string_array(L, k, obj, pattern, "inputs", 0) != 0 ||
        check_string_array(L, k, obj, pattern, "outputs", 0) != 0)
        return -1;
    return 0;
}

/*
 * Counts n more bytes of text stored for template k's tasks; -1 with the
 * error when the graph's text passes the byte limit.  A file without
 * templates holds all its text itself, so only templates can reach it.
 */
static int charge(loader *L, size_t k, const json_t *obj, size_t n) {
    L->nbytes += n;
    if (L->nbytes <= L->max_bytes)
        return 0;
    const char *pattern = json_string_value(json_object_get(obj, "id"));
    fail_task(L, DR_ETOOBIG, k, pattern, "id", NO_INDEX,
              "the graph's ids, commands, file names and arguments pass %zu "
              "bytes at this template, the limit " DR__RAISE_BYTES,
              L->max_bytes);
    return -1;
}

/* Applies a spec to task t (the scope holds its variables). */
static int apply_spec(loader *L, size_t k, const json_t *obj, dr_task t,
                      const task_spec *ts) {
    dr_graph *g = L->g;
    const char *key = dr_task_key(g, t);
    int rc = 0;
    if (ts->op != NULL) {
        json_t *args = ts->args;
        if (ts->args_expand) {
            L->msg[0] = '\0';
            if ((args = expand_json(L, ts->args)) == NULL) {
                fail_task(L, DR_EFORMAT, k, key, "args", NO_INDEX, "%s",
                          L->msg[0] ? L->msg : "out of memory");
                return -1;
            }
            if (charge(L, k, obj, 0) != 0) {
                json_decref(args);
                return -1;
            }
            if (ts->fn == NULL &&
                dr_builtin_check(ts->op, args, L->msg, sizeof(L->msg)) != 0) {
                json_decref(args);
                fail_task(L, DR_EINVAL, k, key, "args", NO_INDEX, "%s", L->msg);
                return -1;
            }
        }
        rc = ts->fn
                 ? dr_task_set_function(g, t, ts->op, ts->fn, ts->fn_data, args)
                 : dr_task_set_builtin(g, t, ts->op, args);
        if (ts->args_expand)
            json_decref(args);
    } else if (ts->cmd != NULL) {
        size_t argc = json_array_size(ts->cmd);
        size_t *offs = malloc(argc * sizeof(*offs));
        const char **argv = malloc((argc + 1) * sizeof(*argv));
        if (offs == NULL || argv == NULL) {
            free(offs);
            free(argv);
            fail_nomem(L);
            return -1;
        }
        L->sb.len = 0;
        for (size_t i = 0; i < argc; i++) {
            const char *s = json_string_value(json_array_get(ts->cmd, i));
            if (expand_into(L, s, &offs[i]) != 0) {
                free(offs);
                free(argv);
                fail_task(L, DR_EFORMAT, k, key, "cmd", i, "%s", L->msg);
                return -1;
            }
        }
        for (size_t i = 0; i < argc; i++)
            argv[i] = L->sb.p + offs[i];
        argv[argc] = NULL;
        if (charge(L, k, obj, L->sb.len) != 0) {
            free(offs);
            free(argv);
            return -1;
        }
        rc =
            argv[0][0] == '\0' ? DR_EINVAL : dr_task_set_argv(g, t, argv, argc);
        free(offs);
        free(argv);
        if (rc == DR_EINVAL) {
            fail_task(L, DR_EFORMAT, k, key, "cmd", 0,
                      "the command name must not be empty");
            return -1;
        }
    } else if (ts->shell != NULL) {
        const char *s = expand(L, ts->shell);
        if (s == NULL) {
            fail_task(L, DR_EFORMAT, k, key, "shell", NO_INDEX, "%s", L->msg);
            return -1;
        }
        if (charge(L, k, obj, strlen(s) + 1) != 0)
            return -1;
        rc = dr_task_set_shell(g, t, s);
    }
    if (rc == 0 && ts->has_cost)
        rc = dr_task_set_cost(g, t, ts->cost);
    if (rc == 0 && ts->has_timeout)
        rc = dr_task_set_timeout(g, t, ts->timeout);
    if (rc == 0 && ts->retries >= 0)
        rc = dr_task_set_retries(g, t, ts->retries);
    if (rc == 0 && ts->no_cache)
        rc = dr_task_set_cache(g, t, 0);
    for (int out = 0; out < 2 && rc == 0; out++) {
        const char *fkey = out ? "outputs" : "inputs";
        json_t *files = json_object_get(obj, fkey);
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f) {
            const char *s = expand(L, json_string_value(f));
            if (s == NULL) {
                fail_task(L, DR_EFORMAT, k, key, fkey, i, "%s", L->msg);
                return -1;
            }
            if (charge(L, k, obj, strlen(s) + 1) != 0)
                return -1;
            rc = out ? dr_task_add_output(g, t, s) : dr_task_add_input(g, t, s);
            if (rc != 0)
                break;
        }
    }
    if (rc != 0) {
        fail_task(L, rc, k, key, NULL, NO_INDEX, "%s", dr_strerror(rc));
        return -1;
    }
    return 0;
}

/* Bytes of s that every expansion keeps: all but the {expr} parts, a
 * doubled brace counting once, plus its NUL. */
static size_t fixed_len(const char *s) {
    size_t n = 1;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if ((s[i] == '{' || s[i] == '}') && s[i + 1] == s[i]) {
            n++;
            i++;
        } else if (s[i] == '{') {
            const char *end = strchr(s + i, '}');
            if (end == NULL)
                break;
            i = (size_t)(end - s);
        } else {
            n++;
        }
    }
    return n;
}

static size_t fixed_strings(const json_t *a) {
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v)) n +=
        fixed_len(json_string_value(v));
    return n;
}

/* A lower bound on the bytes each task of template obj stores: its id,
 * command and files (args without braces are shared, not copied). */
static size_t fixed_bytes(const json_t *obj) {
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *shell = json_string_value(json_object_get(obj, "shell"));
    return fixed_len(id) + (shell ? fixed_len(shell) : 0) +
           fixed_strings(json_object_get(obj, "cmd")) +
           fixed_strings(json_object_get(obj, "inputs")) +
           fixed_strings(json_object_get(obj, "outputs"));
}

static int expand_template(loader *L, size_t k, json_t *obj, size_t *total) {
    L->first[k] = (uint32_t)dr_graph_ntasks(L->g);
    if (!json_is_object(obj)) {
        fail_task(L, DR_EFORMAT, k, NULL, NULL, NO_INDEX,
                  "a task must be an object, got %s", type_name(obj));
        return -1;
    }
    json_t *id = json_object_get(obj, "id");
    if (id == NULL) {
        fail_task(L, DR_EFORMAT, k, NULL, NULL, NO_INDEX,
                  "the task has no \"id\"");
        return -1;
    }
    if (!json_is_string(id) || json_string_length(id) == 0) {
        fail_task(L, DR_EFORMAT, k, NULL, "id", NO_INDEX,
                  "\"id\" must be a non-empty string, got %s",
                  json_is_string(id) ? "\"\"" : type_name(id));
        return -1;
    }
    const char *pattern = json_string_value(id);
    if (strlen(pattern) != json_string_length(id)) {
        fail_task(L, DR_EFORMAT, k, NULL, "id", NO_INDEX,
                  "\"id\" must not contain a NUL character");
        return -1;
    }
    range r;
    task_spec ts;
    if (check_keys(L, k, obj, pattern) != 0 ||
        parse_range(L, k, obj, pattern, &r) != 0 ||
        read_spec(L, k, obj, pattern, &ts) != 0)
        return -1;
    if (r.count > L->max_tasks || *total + r.count > L->max_tasks) {
        if (r.count == UINT64_MAX)
            fail_task(L, DR_ETOOBIG, k, pattern, "range", NO_INDEX,
                      "template '%s' expands to more than 2^64 tasks, more "
                      "than the limit of %zu " DR__RAISE_TASKS,
                      pattern, L->max_tasks);
        else if (r.count > L->max_tasks)
            fail_task(L, DR_ETOOBIG, k, pattern, "range", NO_INDEX,
                      "template '%s' expands to %" PRIu64
                      " tasks, more than the limit of %zu " DR__RAISE_TASKS,
                      pattern, r.count, L->max_tasks);
        else
            fail_task(L, DR_ETOOBIG, k, pattern,
                      json_object_get(obj, "range") ? "range" : "id", NO_INDEX,
                      "%s brings the graph to %" PRIu64
                      " tasks, more than the limit of %zu " DR__RAISE_TASKS,
                      json_object_get(obj, "range") ? "the template"
                                                    : "this task",
                      *total + r.count, L->max_tasks);
        return -1;
    }
    *total += r.count;
    /* Refuse before expanding what cannot fit, so a long command times a
     * big range fails at once instead of after a gigabyte of copies. */
    double least = (double)r.count * (double)fixed_bytes(obj);
    if (r.count > 1 && least > (double)(L->max_bytes - L->nbytes)) {
        fail_task(L, DR_ETOOBIG, k, pattern, "range", NO_INDEX,
                  "template '%s' expands to at least %.0f bytes of ids, "
                  "commands, file names and arguments, more than the limit "
                  "of %zu " DR__RAISE_BYTES,
                  pattern, least + (double)L->nbytes, L->max_bytes);
        return -1;
    }
    range_start(L, &r);
    for (uint64_t n = 0; n < r.count; n++, range_next(L, &r)) {
        const char *key = expand(L, pattern);
        if (key == NULL) {
            fail_task(L, DR_EFORMAT, k, pattern, "id", NO_INDEX, "%s", L->msg);
            return -1;
        }
        if (charge(L, k, obj, strlen(key) + 1) != 0)
            return -1;
        dr_task t;
        int rc = dr_graph_add_task(L->g, key, &t);
        if (rc == DR_EEXIST) {
            dr_task other = dr_graph_find(L->g, key);
            size_t ko = template_of(L, other, k + 1);
            int line = 0, col = 0;
            dr__json_step path[4];
            size_t npath = task_path(path, ko, "id", NO_INDEX);
            dr__json_locate(L->text, L->len, path, npath, &line, &col);
            if (ko == k)
                fail_task(L, DR_EEXIST, k, key, "id", NO_INDEX,
                          "duplicate id '%s': template '%s' makes it twice "
                          "(use every range variable in the id)",
                          key, pattern);
            else
                fail_task(L, DR_EEXIST, k, key, "id", NO_INDEX,
                          "duplicate id '%s' (first defined at line %d)", key,
                          line);
            return -1;
        }
        if (rc == DR_EINVAL) {
            fail_task(L, DR_EFORMAT, k, pattern, "id", NO_INDEX,
                      "the id expands to an empty string");
            return -1;
        }
        if (rc != 0) {
            fail_task(L, rc, k, pattern, NULL, NO_INDEX, "%s", dr_strerror(rc));
            return -1;
        }
        if (apply_spec(L, k, obj, t, &ts) != 0)
            return -1;
    }
    L->nscope = L->nparams;
    return 0;
}

/* Template k's "id" as written. */
static const char *template_id(const loader *L, size_t k) {
    if (L->kept[k] != NULL)
        return json_string_value(json_object_get(L->kept[k], "id"));
    return dr_task_key(L->g, L->first[k]); /* a plain task's id is its key */
}

/*
 * Keeps what pass two needs of task object k, which made its tasks: a plain
 * task's dependencies (looked up now when already defined: a file usually
 * names a task after it, and its key is still in the cache), or the whole
 * object otherwise.
 */
static int record_deps(loader *L, size_t k, json_t *obj) {
    json_t *deps = json_object_get(obj, "deps");
    int plain = json_object_get(obj, "range") == NULL &&
                !has_braces(json_string_value(json_object_get(obj, "id")));
    size_t i, n = json_array_size(deps);
    json_t *dep;
    json_array_foreach(deps, i, dep) {
        if (!plain)
            break;
        plain = json_is_string(dep) && !has_braces(json_string_value(dep));
    }
    L->dep_first[k + 1] = (uint32_t)L->ndeps;
    if (!plain) {
        L->kept[k] = json_incref(obj);
        return 0;
    }
    L->kept[k] = NULL;
    if (n > UINT32_MAX - L->ndeps) {
        fail_nomem(L);
        return -1;
    }
    if (L->capdeps - L->ndeps < n) {
        size_t cap = L->capdeps ? L->capdeps : 1024;
        while (cap - L->ndeps < n)
            cap *= 2;
        dr_task *grown = realloc(L->deps, cap * sizeof(*grown));
        if (grown == NULL) {
            fail_nomem(L);
            return -1;
        }
        L->deps = grown;
        L->capdeps = cap;
    }
    json_array_foreach(deps, i, dep) {
        const char *id = json_string_value(dep);
        dr_task d = dr_graph_find(L->g, id);
        if (d == DR_TASK_NONE) {
            size_t len = strlen(id) + 1;
            if (sb_reserve(&L->pending, len) != 0) {
                fail_nomem(L);
                return -1;
            }
            memcpy(L->pending.p + L->pending.len, id, len);
            L->pending.len += len;
        }
        L->deps[L->ndeps++] = d;
    }
    L->dep_first[k + 1] = (uint32_t)L->ndeps;
    return 0;
}

/* Pass one of the next task object: its tasks, and what pass two needs.
 * The object may be freed afterwards. */
static int add_template(loader *L, json_t *obj, size_t *total) {
    size_t k = L->ntmpl;
    if (k + 1 >= L->captmpl) {
        size_t cap = L->captmpl ? L->captmpl * 2 : 1024;
        uint32_t *first = realloc(L->first, cap * sizeof(*first));
        if (first != NULL)
            L->first = first;
        uint32_t *dep_first = realloc(L->dep_first, cap * sizeof(*dep_first));
        if (dep_first != NULL)
            L->dep_first = dep_first;
        json_t **kept = realloc(L->kept, cap * sizeof(*kept));
        if (kept != NULL)
            L->kept = kept;
        if (first == NULL || dep_first == NULL || kept == NULL) {
            fail_nomem(L);
            return -1;
        }
        L->captmpl = cap;
        if (k == 0)
            L->dep_first[0] = 0;
    }
    L->kept[k] = NULL;
    L->dep_first[k + 1] = (uint32_t)L->ndeps;
    L->ntmpl = k + 1;
    if (expand_template(L, k, obj, total) != 0)
        return -1;
    return record_deps(L, k, obj);
}

/* ------------------------------------------------------------- pass two */

/* Template indexes by id pattern, for {"all": pattern}.  Built on first use
 * so files without "all" never pay for it. */
static json_t *family(loader *L, const char *pattern) {
    if (L->families == NULL) {
        L->families = json_object();
        if (L->families == NULL)
            return NULL;
        for (size_t k = 0; k < L->ntmpl; k++) {
            const char *p = template_id(L, k);
            json_t *list = json_object_get(L->families, p);
            if (list == NULL) {
                list = json_array();
                if (json_object_set_new(L->families, p, list) != 0)
                    return NULL;
            }
            json_array_append_new(list, json_integer((json_int_t)k));
        }
    }
    return json_object_get(L->families, pattern);
}

static int add_edge(loader *L, size_t k, size_t j, dr_task t, dr_task d) {
    if (L->probe != DR_TASK_NONE) {
        L->probe_hit |= d == L->probe;
        return 0;
    }
    if (d == t) {
        fail_task(L, DR_EINVAL, k, dr_task_key(L->g, t), "deps", j,
                  "depends on itself");
        return -1;
    }
    if (++L->nedges > L->max_edges) {
        fail_task(L, DR_ETOOBIG, k, dr_task_key(L->g, t), "deps", j,
                  "the graph has more than %zu dependencies, the "
                  "limit " DR__RAISE_DEPS,
                  L->max_edges);
        return -1;
    }
    int rc = dr_graph_add_dep(L->g, t, d);
    if (rc != 0) {
        fail_task(L, rc, k, dr_task_key(L->g, t), "deps", j, "%s",
                  dr_strerror(rc));
        return -1;
    }
    return 0;
}

static int add_one_dep(loader *L, size_t k, size_t j, dr_task t,
                       const json_t *dep) {
    const char *key = dr_task_key(L->g, t);
    const char *id = NULL, *all = NULL;
    if (json_is_string(dep)) {
        id = json_string_value(dep);
    } else if (json_is_object(dep)) {
        const char *dk;
        json_t *v;
        json_object_foreach((json_t *)dep, dk, v) {
            size_t i = 0;
            while (dep_keys[i] != NULL && strcmp(dep_keys[i], dk) != 0)
                i++;
            if (dep_keys[i] == NULL) {
                fail_task(L, DR_EFORMAT, k, key, "deps", j,
                          "unknown key \"%s\" in a dependency (it has: id or "
                          "all, and if)",
                          dk);
                return -1;
            }
            if (strcmp(dk, "if") != 0 && !json_is_string(v)) {
                fail_task(L, DR_EFORMAT, k, key, "deps", j,
                          "\"%s\" in a dependency must be a string, got %s", dk,
                          type_name(v));
                return -1;
            }
        }
        json_t *idv = json_object_get(dep, "id");
        json_t *allv = json_object_get(dep, "all");
        if ((idv == NULL) == (allv == NULL)) {
            fail_task(L, DR_EFORMAT, k, key, "deps", j,
                      "a dependency object needs one of \"id\" and \"all\"");
            return -1;
        }
        id = json_string_value(idv);
        all = json_string_value(allv);
        json_t *cond = json_object_get(dep, "if");
        if (cond != NULL) {
            int64_t v;
            if (json_is_boolean(cond)) {
                v = json_is_true(cond);
            } else if (json_is_string(cond)) {
                const char *s = json_string_value(cond);
                char emsg[400];
                if (eval(L, s, strlen(s), L->nscope, &v, emsg, sizeof(emsg)) !=
                    0) {
                    fail_task(L, DR_EFORMAT, k, key, "deps", j, "\"if\": %s",
                              emsg);
                    return -1;
                }
            } else {
                fail_task(L, DR_EFORMAT, k, key, "deps", j,
                          "\"if\" must be a condition string or a boolean, "
                          "got %s",
                          type_name(cond));
                return -1;
            }
            if (v == 0)
                return 0;
        }
    } else {
        fail_task(L, DR_EFORMAT, k, key, "deps", j,
                  "a dependency must be a task id or an object, got %s",
                  type_name(dep));
        return -1;
    }
    if (id != NULL) {
        const char *e = expand(L, id);
        if (e == NULL) {
            fail_task(L, DR_EFORMAT, k, key, "deps", j, "%s", L->msg);
            return -1;
        }
        dr_task d = dr_graph_find(L->g, e);
        if (d == DR_TASK_NONE) {
            fail_task(L, DR_ENOENT, k, key, "deps", j,
                      "unknown dependency '%s'", e);
            return -1;
        }
        return add_edge(L, k, j, t, d);
    }
    json_t *list = family(L, all);
    if (list == NULL) {
        if (L->families == NULL) {
            fail_nomem(L);
            return -1;
        }
        fail_task(L, DR_ENOENT, k, key, "deps", j,
                  "no task has the id pattern '%s' (\"all\" names a task's "
                  "\"id\" exactly as written, e.g. \"map-{i}\")",
                  all);
        return -1;
    }
    size_t i;
    json_t *kv;
    json_array_foreach(list, i, kv) {
        size_t ko = (size_t)json_integer_value(kv);
        /* Fail before adding a family that cannot fit. */
        if (L->nedges + (L->first[ko + 1] - L->first[ko]) > L->max_edges)
            L->nedges = L->max_edges;
        for (uint32_t d = L->first[ko]; d < L->first[ko + 1]; d++)
            if (add_edge(L, k, j, t, d) != 0)
                return -1;
    }
    return 0;
}

/* Pass two of a plain task (record_deps): its dependencies, those that
 * were not defined when it was read looked up now. */
static int add_plain_deps(loader *L, size_t k) {
    dr_task t = L->first[k];
    for (uint32_t i = L->dep_first[k]; i < L->dep_first[k + 1]; i++) {
        size_t j = i - L->dep_first[k];
        if (L->deps[i] == DR_TASK_NONE) {
            const char *id = L->pending.p + L->pending_at;
            L->pending_at += strlen(id) + 1;
            if ((L->deps[i] = dr_graph_find(L->g, id)) == DR_TASK_NONE) {
                fail_task(L, DR_ENOENT, k, dr_task_key(L->g, t), "deps", j,
                          "unknown dependency '%s'", id);
                return -1;
            }
        }
        if (add_edge(L, k, j, t, L->deps[i]) != 0)
            return -1;
    }
    return 0;
}

static int add_deps(loader *L, size_t k) {
    json_t *obj = L->kept[k];
    if (obj == NULL)
        return add_plain_deps(L, k);
    json_t *deps = json_object_get(obj, "deps");
    if (deps == NULL || json_array_size(deps) == 0)
        return 0;
    range r;
    if (parse_range(L, k, obj, json_string_value(json_object_get(obj, "id")),
                    &r) != 0)
        return -1;
    range_start(L, &r);
    for (dr_task t = L->first[k]; t < L->first[k + 1]; t++, range_next(L, &r)) {
        size_t j;
        json_t *dep;
        json_array_foreach(deps, j, dep) {
            if (add_one_dep(L, k, j, t, dep) != 0)
                return -1;
        }
    }
    L->nscope = L->nparams;
    return 0;
}

/* ------------------------------------------------------------ the whole */

static int check_top(loader *L, json_t *root) {
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i = 0;
        while (top_keys[i] != NULL && strcmp(top_keys[i], key) != 0)
            i++;
        if (top_keys[i] != NULL)
            continue;
        dr__json_step at = {key, 0};
        const char *near = closest(key, top_keys);
        fail_path(L, DR_EFORMAT, NULL, &at, 1,
                  "unknown top-level key \"%s\" (%s%s%s)", key,
                  near ? "did you mean \""
                       : "a graph has: dagrun, name, "
                         "description, params, tasks",
                  near ? near : "", near ? "\"?" : "");
        return -1;
    }
    json_t *version = json_object_get(root, "dagrun");
    if (version != NULL &&
        (!json_is_integer(version) || json_integer_value(version) != 1)) {
        dr__json_step at = {"dagrun", 0};
        fail_path(L, DR_ENOTSUP, NULL, &at, 1,
                  "\"dagrun\" is the format version and must be 1; this "
                  "file needs a newer dagrun or is not a dagrun graph");
        return -1;
    }
    static const char *const strings[] = {"name", "description"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = json_object_get(root, strings[i]);
        if (s != NULL && !json_is_string(s)) {
            dr__json_step at = {strings[i], 0};
            fail_path(L, DR_EFORMAT, NULL, &at, 1,
                      "\"%s\" must be a string, "
                      "got %s",
                      strings[i], type_name(s));
            return -1;
        }
    }
    return 0;
}

/*
 * Which entry of the "deps" of task t's template makes t depend on d: the
 * template's range variables are set to t's values and each entry is
 * expanded again (add_one_dep) with add_edge only probing.  The file loaded
 * once already, so nothing here fails anew.  Returns the index, or
 * NO_INDEX when no entry names d.
 */
static size_t dep_entry(loader *L, dr_task t, dr_task d) {
    size_t k = template_of(L, t, L->ntmpl);
    json_t *obj = L->kept[k];
    if (obj == NULL) {
        /* A plain task: pass two resolved every entry. */
        for (uint32_t i = L->dep_first[k]; i < L->dep_first[k + 1]; i++)
            if (L->deps[i] == d)
                return i - L->dep_first[k];
        return NO_INDEX;
    }
    json_t *deps = json_object_get(obj, "deps");
    range r;
    if (parse_range(L, k, obj, json_string_value(json_object_get(obj, "id")),
                    &r) != 0)
        return NO_INDEX;
    range_start(L, &r);
    for (dr_task u = L->first[k]; u < t; u++)
        range_next(L, &r);
    size_t j, found = NO_INDEX;
    json_t *dep;
    L->probe = d;
    json_array_foreach(deps, j, dep) {
        L->probe_hit = 0;
        if (add_one_dep(L, k, j, t, dep) == 0 && L->probe_hit) {
            found = j;
            break;
        }
    }
    L->probe = DR_TASK_NONE;
    L->nscope = L->nparams;
    return found;
}

/* Validates the graph.  A cycle is reported at the entry of "deps" that
 * closes it: the dependency of the task the message starts with on the
 * last task before it (`a -> b -> c -> a`: a's entry naming c), else at
 * that task's id. */
static int finish(loader *L) {
    dr_error local;
    dr_error_clear(&local);
    dr_task first = DR_TASK_NONE, dep = DR_TASK_NONE;
    int rc = dr__graph_validate_at(L->g, &local, &first, &dep);
    if (rc == 0)
        return 0;
    int line = 0, col = 0;
    dr__file_at file = {DR_TASK_NONE, 0, 0};
    if (first == DR_TASK_NONE && rc == DR_EFORMAT) {
        /* A rule on files: which declaration breaks it.  Only on this
         * error path, so validation itself keeps no positions. */
        dr_error again;
        dr_error_clear(&again);
        dr__graph_check_files(L->g, &again, &file);
    }
    if (file.task != DR_TASK_NONE) {
        /* A task's files are its template's list, expanded in order. */
        size_t k = template_of(L, file.task, L->ntmpl);
        dr__json_step path[4];
        size_t npath =
            task_path(path, k, file.output ? "outputs" : "inputs", file.index);
        dr__json_locate(L->text, L->len, path, npath, &line, &col);
    } else if (first != DR_TASK_NONE) {
        size_t k = template_of(L, first, L->ntmpl);
        size_t j = dep != DR_TASK_NONE ? dep_entry(L, first, dep) : NO_INDEX;
        dr__json_step path[4];
        size_t npath = j != NO_INDEX ? task_path(path, k, "deps", j)
                                     : task_path(path, k, "id", NO_INDEX);
        dr__json_locate(L->text, L->len, path, npath, &line, &col);
    }
    dr__error_set(L->err, rc, L->source, line, col,
                  local.task[0] ? local.task : NULL, "%s", local.message);
    return -1;
}

static int record_params(loader *L) {
    int rc = 0;
    for (size_t i = 0; i < L->nparams && rc == 0; i++) {
        if (strcmp(L->scope[i].name, "workers") == 0 && !L->workers_declared &&
            !L->workers_set)
            continue;
        rc = dr_graph_set_param(L->g, L->scope[i].name, L->scope[i].value);
    }
    if (rc != 0)
        fail_nomem(L);
    return rc;
}

static void loader_init(loader *L, const char *text, size_t len,
                        const char *source, const dr_load_options *opts,
                        const dr__limits *limits, dr_error *err) {
    limits = dr__limits_or_defaults(limits);
    memset(L, 0, sizeof(*L));
    L->probe = DR_TASK_NONE;
    L->text = text;
    L->len = len;
    L->source = source;
    L->opts = opts;
    L->err = err;
    /* Templates can ask for far more edges than tasks ({"all": ...} from
     * every task of a big family) and far more text than the file holds (a
     * long command times a big range); cap both too, so no input can make
     * the loader run for hours or fill the memory. */
    L->max_tasks = limits->max_tasks;
    L->max_edges = limits->max_deps;
    L->max_bytes = limits->max_bytes;
}

/* Frees the loader; returns its graph when `ok`, else destroys it. */
static dr_graph *loader_end(loader *L, int ok) {
    for (size_t k = 0; k < L->ntmpl; k++)
        json_decref(L->kept[k]);
    free(L->kept);
    free(L->first);
    free(L->dep_first);
    free(L->deps);
    free(L->pending.p);
    free(L->scope);
    free(L->sb.p);
    json_decref(L->families);
    json_decref(L->index);
    if (!ok) {
        dr_graph_destroy(L->g);
        return NULL;
    }
    return L->g;
}

/* The graph and everything of the top level but "tasks" (any other key is
 * refused), checked in the order of the file. */
static int load_top(loader *L, json_t *root) {
    if ((L->g = dr_graph_create()) == NULL) {
        fail_nomem(L);
        return -1;
    }
    if (check_top(L, root) != 0 || load_params(L, root) != 0)
        return -1;
    json_t *name = json_object_get(root, "name");
    json_t *desc = json_object_get(root, "description");
    if ((name ? dr_graph_set_name(L->g, json_string_value(name))
              : dr__graph_name_from_source(L->g, L->source, "")) != 0 ||
        (desc &&
         dr_graph_set_description(L->g, json_string_value(desc)) != 0)) {
        fail_nomem(L);
        return -1;
    }
    return 0;
}

/* Pass two, once every task object went through add_template, then
 * validation. */
static int load_deps(loader *L) {
    if (L->first == NULL &&
        (L->first = malloc(sizeof(*L->first))) == NULL) { /* no tasks */
        fail_nomem(L);
        return -1;
    }
    L->first[L->ntmpl] = (uint32_t)dr_graph_ntasks(L->g);
    for (size_t k = 0; k < L->ntmpl; k++)
        if (add_deps(L, k) != 0)
            return -1;
    return finish(L) != 0 || record_params(L) != 0 ? -1 : 0;
}

dr_graph *dr__load_json(json_t *root, const char *text, size_t len,
                        const char *source, const dr_load_options *opts,
                        const dr__limits *limits, dr_error *err) {
    loader L;
    loader_init(&L, text, len, source, opts, limits, err);
    int ok = 0;
    if (!json_is_object(root)) {
        fail_path(&L, DR_EFORMAT, NULL, NULL, 0,
                  "a dagrun graph is a JSON object with \"tasks\", got %s",
                  type_name(root));
        return NULL;
    }
    if (load_top(&L, root) != 0)
        goto out;
    json_t *tasks = json_object_get(root, "tasks");
    if (tasks == NULL) {
        fail_path(&L, DR_EFORMAT, NULL, NULL, 0,
                  "the graph has no \"tasks\" (write \"tasks\": [] for an "
                  "empty graph)");
        goto out;
    }
    if (!json_is_array(tasks)) {
        dr__json_step at = {"tasks", 0};
        fail_path(&L, DR_EFORMAT, NULL, &at, 1,
                  "\"tasks\" must be an array, got %s", type_name(tasks));
        goto out;
    }
    size_t total = 0;
    for (size_t k = 0; k < json_array_size(tasks); k++)
        if (add_template(&L, json_array_get(tasks, k), &total) != 0)
            goto out;
    ok = load_deps(&L) == 0;
out:
    return loader_end(&L, ok);
}

/* ------------------------------------------------------------ streaming */

/*
 * The same load without the document's tree: the text is walked with a
 * minimal structural step (whitespace, ',', ':', '{', '[', ']', '}' between
 * values) and jansson parses each top-level value, and each task object on
 * its own (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY; the error's position
 * says how many bytes it read).  Each task object goes through pass one and
 * is freed at once, so the memory peak is one task's tree, not the whole
 * file's (jansson's tree of a million-task file is about 1.3 GB and takes
 * longer to build and free than to parse).
 *
 * It only ever succeeds: at the first thing it does not take (any error,
 * and a few shapes: a key after "tasks", which could be the "params" the
 * tasks needed, or arguments nested nearly as deep as jansson allows) it
 * gives up, and the caller loads the file again through the tree
 * (dr__load_json).  So every error keeps the wording, the line and column
 * and the precedence it always had (a syntax error anywhere wins over any
 * other), for the price of a second read of a file that fails.
 */

static size_t skip_space(const char *s, size_t len, size_t p) {
    while (p < len &&
           (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
        p++;
    return p;
}

/* The JSON value at text[*p], moving *p past it; NULL when it is not one. */
static json_t *parse_at(const char *text, size_t len, size_t *p) {
    json_error_t je;
    json_t *v = json_loadb(
        text + *p, len - *p,
        JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
    if (v == NULL)
        return NULL;
    if (je.position <= 0 || (size_t)je.position > len - *p) {
        json_decref(v);
        return NULL;
    }
    *p += (size_t)je.position;
    return v;
}

/* 1 when v nests more than `levels` values deep (a number is one level,
 * an empty array two with its parent's...). */
static int nests_deeper(const json_t *v, size_t levels) {
    if (levels == 0)
        return 1;
    size_t i;
    const char *key;
    json_t *item;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if (nests_deeper(item, levels - 1))
                return 1;
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            if (nests_deeper(item, levels - 1))
                return 1;
        }
    }
    return 0;
}

/* At the "tasks" value: the top level read so far (root), then every task
 * object through pass one.  *p moves past the array. */
static int stream_tasks(loader *L, json_t *root, size_t *p) {
    const char *text = L->text;
    size_t len = L->len, at = *p, total = 0;
    if (load_top(L, root) != 0 || at >= len || text[at] != '[')
        return -1;
    at = skip_space(text, len, at + 1);
    if (at < len && text[at] == ']') {
        *p = at + 1;
        return 0;
    }
    for (;;) {
        json_t *obj = parse_at(text, len, &at);
        if (obj == NULL)
            return -1;
        /* Parsed alone, a task's values sit 2 levels less deep than in the
         * document (the top object and "tasks"), so the arguments (the
         * only value of a valid task that may nest) could pass jansson's
         * depth limit here and not there. */
        json_t *args = json_object_get(obj, "args");
        int rc = args != NULL && nests_deeper(args, JSON_PARSER_MAX_DEPTH - 3)
                     ? -1
                     : add_template(L, obj, &total);
        json_decref(obj);
        if (rc != 0)
            return -1;
        at = skip_space(text, len, at);
        if (at < len && text[at] == ']') {
            *p = at + 1;
            return 0;
        }
        if (at >= len || text[at] != ',')
            return -1;
        at = skip_space(text, len, at + 1);
    }
}

/* Past the value at text[p] (assumed well formed: stream_tasks checks it
 * again), or `len` when it does not end. */
static size_t skip_value(const char *text, size_t len, size_t p) {
    size_t depth = 0;
    do {
        if (p >= len)
            return len;
        char c = text[p++];
        if (c == '"') {
            while (p < len && text[p] != '"')
                p += text[p] == '\\' ? 2 : 1;
            if (p >= len)
                return len;
            p++;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth-- == 0)
                return len;
        } else if (depth == 0) {
            /* A number or a literal: runs to a delimiter. */
            while (p < len && strchr(",]} \t\r\n", text[p]) == NULL)
                p++;
        }
    } while (depth > 0);
    return p;
}

/* 1 when the text ends in ']' and '}' (with spaces): "tasks" is probably
 * the last key, as in every file dagrun writes. */
static int ends_in_array(const char *text, size_t len) {
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
        len--;
    if (len == 0 || text[--len] != '}')
        return 0;
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
        len--;
    return len > 0 && text[len - 1] == ']';
}

dr_graph *dr__load_json_text(const char *text, size_t len, const char *source,
                             const dr_load_options *opts,
                             const dr__limits *limits) {
    /* jansson reports how far it read as an int. */
    if (len > INT_MAX)
        return NULL;
    dr_error quiet; /* any error is found again by dr__load_json */
    dr_error_clear(&quiet);
    loader L;
    loader_init(&L, text, len, source, opts, limits, &quiet);
    json_t *root = json_object(), *key = NULL;
    int ok = 0, streamed = 0;
    size_t p = skip_space(text, len, 0), tasks_at = 0, tasks_end = 0;
    if (root == NULL || p >= len || text[p] != '{')
        goto out;
    p = skip_space(text, len, p + 1);
    for (;;) {
        if (p >= len || text[p] != '"' ||
            (key = parse_at(text, len, &p)) == NULL)
            goto out;
        const char *name = json_string_value(key);
        p = skip_space(text, len, p);
        if (name == NULL || p >= len || text[p] != ':')
            goto out;
        p = skip_space(text, len, p + 1);
        if (strcmp(name, "tasks") == 0) {
            if (tasks_at != 0) /* a duplicate key */
                goto out;
            tasks_at = p;
            if (ends_in_array(text, len)) {
                /* Read the tasks now; then the top level must end, since a
                 * key after them could change how they read ("params"). */
                if (stream_tasks(&L, root, &p) != 0)
                    goto out;
                streamed = 1;
                p = skip_space(text, len, p);
                if (p >= len || text[p] != '}')
                    goto out;
                break;
            }
            /* Keys follow: the tasks are read once they are known. */
            p = tasks_end = skip_value(text, len, p);
        } else {
            size_t i = 0;
            while (top_keys[i] != NULL && strcmp(top_keys[i], name) != 0)
                i++;
            json_t *v;
            if (top_keys[i] == NULL || json_object_get(root, name) != NULL ||
                (v = parse_at(text, len, &p)) == NULL ||
                json_object_set_new(root, name, v) != 0)
                goto out;
        }
        json_decref(key);
        key = NULL;
        p = skip_space(text, len, p);
        if (p < len && text[p] == '}')
            break;
        if (p >= len || text[p] != ',')
            goto out;
        p = skip_space(text, len, p + 1);
    }
    if (skip_space(text, len, p + 1) != len)
        goto out;
    if (!streamed) {
        size_t end = tasks_at;
        if (tasks_at == 0 || stream_tasks(&L, root, &end) != 0 ||
            end != tasks_end)
            goto out;
    }
    ok = load_deps(&L) == 0;
out:
    json_decref(key);
    json_decref(root);
    return loader_end(&L, ok);
}
