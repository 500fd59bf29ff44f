/*
 * A dr_graph back to dagrun's JSON format, templates expanded.
 *
 * The saved file is written so that loading it gives an equal graph
 * (dr_graph_equal): every string the loader would substitute in (ids, deps,
 * commands, args, files) has its braces doubled, "{" -> "{{", so a shell
 * command such as awk '{print $1}' survives the trip.  The parameters the
 * graph was made with are recorded under "params" for the reader; they no
 * longer change anything, as every task is written out.
 *
 * dr_graph_save and dr_graph_to_text write one task per line: a million-task
 * file stays readable with grep and diff, and is a third the size of a fully
 * indented one.  Reals (costs, op arguments) are written with the fewest
 * digits that read back as the same double.  dr_graph_save refuses a text past
 * the byte limit on graph files (DAGRUN_MAX_GRAPH_BYTES), so whatever dagrun
 * saves it can load.
 */
#include "formats_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `s` with braces doubled, as a new JSON string. */
static json_t *escaped_string(const char *s) {
    if (strpbrk(s, "{}") == NULL)
        return json_string(s);
    size_t n = strlen(s), extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += s[i] == '{' || s[i] == '}';
    char *buf = malloc(n + extra + 1);
    if (buf == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = s[i];
        if (s[i] == '{' || s[i] == '}')
            buf[k++] = s[i];
    }
    buf[k] = '\0';
    json_t *out = json_string(buf);
    free(buf);
    return out;
}

static int needs_escape(const json_t *v) {
    if (json_is_string(v))
        return strpbrk(json_string_value(v), "{}") != NULL;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key,
                            item) if (needs_escape(item)) return 1;
    if (json_is_array(v))
        json_array_foreach(v, i, item) if (needs_escape(item)) return 1;
    return 0;
}

/* Args with every string escaped; a new reference (shared when nothing
 * needs escaping). */
static json_t *escaped_args(json_t *v) {
    if (!needs_escape(v))
        return json_incref(v);
    if (json_is_string(v))
        return escaped_string(json_string_value(v));
    json_t *out = json_is_object(v) ? json_object() : json_array();
    if (out == NULL)
        return NULL;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            if (json_object_set_new(out, key, escaped_args(item)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
    } else {
        json_array_foreach(v, i, item) {
            if (json_array_append_new(out, escaped_args(item)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
    }
    return out;
}

/* Seconds as an integer when whole (reads better), else a real. */
static json_t *seconds(double s) {
    if (s == floor(s) && fabs(s) < 9007199254740992.0)
        return json_integer((json_int_t)s);
    return json_real(s);
}

static json_t *strings(size_t n,
                       const char *(*get)(const dr_graph *, dr_task, size_t),
                       const dr_graph *g, dr_task t) {
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, escaped_string(get(g, t, i))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *task_to_json(const dr_graph *g, dr_task t) {
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int rc = json_object_set_new(o, "id", escaped_string(dr_task_key(g, t)));
    switch (dr_task_op_kind(g, t)) {
    case DR_OP_NONE:
        break;
    case DR_OP_FUNCTION:
        if (dr_task_op_name(g, t) == NULL || dr_task_op_name(g, t)[0] == '\0')
            goto fail; /* a bare function pointer has no name to save */
        /* fall through */
    case DR_OP_BUILTIN: {
        rc |= json_object_set_new(o, "op", json_string(dr_task_op_name(g, t)));
        json_t *args = dr_task_op_args(g, t);
        if (args != NULL && !json_is_null(args) &&
            !(json_is_object(args) && json_object_size(args) == 0))
            rc |= json_object_set_new(o, "args", escaped_args(args));
        break;
    }
    case DR_OP_ARGV: {
        size_t argc = 0;
        const char *const *argv = dr_task_argv(g, t, &argc);
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < argc; i++)
            rc |= json_array_append_new(a, escaped_string(argv[i]));
        rc |= json_object_set_new(o, "cmd", a);
        break;
    }
    case DR_OP_SHELL:
        rc |= json_object_set_new(o, "shell",
                                  escaped_string(dr_task_shell(g, t)));
        break;
    }
    if (dr_task_has_cost(g, t))
        rc |= json_object_set_new(o, "cost", seconds(dr_task_cost(g, t)));
    if (dr_task_has_timeout(g, t))
        rc |= json_object_set_new(o, "timeout", seconds(dr_task_timeout(g, t)));
    if (dr_task_retries(g, t) >= 0)
        rc |= json_object_set_new(o, "retries",
                                  json_integer(dr_task_retries(g, t)));
    if (!dr_task_cache(g, t))
        rc |= json_object_set_new(o, "cache", json_false());
    size_t ndeps;
    const dr_task *deps = dr_task_deps(g, t, &ndeps);
    if (ndeps > 0) {
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < ndeps; i++)
            rc |= json_array_append_new(
                a, escaped_string(dr_task_key(g, deps[i])));
        rc |= json_object_set_new(o, "deps", a);
    }
    if (dr_task_ninputs(g, t) > 0)
        rc |= json_object_set_new(
            o, "inputs", strings(dr_task_ninputs(g, t), dr_task_input, g, t));
    if (dr_task_noutputs(g, t) > 0)
        rc |= json_object_set_new(
            o, "outputs",
            strings(dr_task_noutputs(g, t), dr_task_output, g, t));
    if (rc != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *header_to_json(const dr_graph *g);

json_t *dr_graph_to_json(const dr_graph *g) {
    if (g == NULL)
        return NULL;
    json_t *root = header_to_json(g);
    json_t *tasks = json_array();
    int rc = root == NULL || tasks == NULL;
    for (size_t t = 0; rc == 0 && t < dr_graph_ntasks(g); t++) {
        json_t *task = task_to_json(g, (dr_task)t);
        rc |= task == NULL || json_array_append_new(tasks, task) != 0;
    }
    rc |= json_object_set(root, "tasks", tasks);
    json_decref(tasks);
    if (rc != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A growable text buffer, with a cap on its length. */
typedef struct text {
    char *p;
    size_t len, cap, max;
    int failed, toobig;
} text;

static void put(text *b, const char *s, size_t n) {
    if (b->failed)
        return;
    if (n > b->max - b->len) {
        b->failed = b->toobig = 1;
        return;
    }
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap - b->len < n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* The fewest significant digits (1..17) that print x so that it reads back
 * as exactly x: 0.054023 stays 0.054023, not 0.054023000000000002, and
 * 0.30000000000000004 keeps every digit. */
static int shortest_digits(double x) {
    char text[40];
    for (int p = 1; p < 17; p++) {
        snprintf(text, sizeof(text), "%.*g", p, x);
        if (strtod(text, NULL) == x)
            return p;
    }
    return 17;
}

int dr__json_real_precision(const json_t *v) {
    int p = 1;
    if (json_is_real(v))
        return shortest_digits(json_real_value(v));
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            int q = dr__json_real_precision(item);
            p = q > p ? q : p;
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            int q = dr__json_real_precision(item);
            p = q > p ? q : p;
        }
    }
    return p;
}

/* Reals with the digits that read back exactly (jansson takes one
 * precision per dump: the most any real of `v` needs). */
static void put_json(text *b, const json_t *v, size_t flags) {
    char *s =
        json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | flags |
                          JSON_REAL_PRECISION(dr__json_real_precision(v)));
    if (s == NULL) {
        b->failed = 1;
        return;
    }
    put(b, s, strlen(s));
    free(s);
}

/* The graph's top-level fields (no tasks) as an object; NULL on ENOMEM. */
static json_t *header_to_json(const dr_graph *g) {
    json_t *root = json_object();
    int rc = root == NULL;
    rc |= json_object_set_new(root, "dagrun", json_integer(1));
    rc |= json_object_set_new(root, "name", json_string(dr_graph_name(g)));
    if (dr_graph_description(g)[0] != '\0')
        rc |= json_object_set_new(root, "description",
                                  json_string(dr_graph_description(g)));
    if (dr_graph_nparams(g) > 0) {
        json_t *params = json_object();
        for (size_t i = 0; params != NULL && i < dr_graph_nparams(g); i++)
            rc |= json_object_set_new(params, dr_graph_param_name(g, i),
                                      json_integer(dr_graph_param_value(g, i)));
        rc |= json_object_set_new(root, "params", params);
    }
    if (rc != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/*
 * Streams the graph out one task at a time, so a million-task graph never
 * exists as a jansson tree (that tree costs about a kilobyte a task):
 * either one task a line or, compact, all on one line as json_dumps with
 * JSON_COMPACT would write it.  Stops as soon as the text passes `max`
 * bytes, so a graph too big to save costs no more memory than the limit.
 */
static char *graph_text(const dr_graph *g, int compact, size_t max, size_t *len,
                        int *toobig) {
    *toobig = 0;
    json_t *root = g != NULL ? header_to_json(g) : NULL;
    if (root == NULL)
        return NULL;
    size_t flags = compact ? JSON_COMPACT : 0;
    text b = {0};
    b.max = max;
    put(&b, compact ? "{" : "{\n", compact ? 1 : 2);
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (!compact)
            put(&b, "  ", 2);
        json_t *k = json_string(key);
        put_json(&b, k, flags);
        json_decref(k);
        put(&b, compact ? ":" : ": ", compact ? 1 : 2);
        put_json(&b, value, flags);
        put(&b, compact ? "," : ",\n", compact ? 1 : 2);
    }
    json_decref(root);
    put(&b, compact ? "\"tasks\":[" : "  \"tasks\": [", compact ? 9 : 12);
    size_t n = dr_graph_ntasks(g);
    for (size_t i = 0; i < n && !b.failed; i++) {
        json_t *task = task_to_json(g, (dr_task)i);
        if (task == NULL) {
            b.failed = 1;
            break;
        }
        if (compact)
            put(&b, ",", i ? 1 : 0);
        else
            put(&b, i ? ",\n    " : "\n    ", i ? 6 : 5);
        put_json(&b, task, flags);
        json_decref(task);
    }
    if (compact)
        put(&b, "]}\n", 3);
    else
        put(&b, n ? "\n  ]\n}\n" : "]\n}\n", n ? 7 : 4);
    if (b.failed) {
        *toobig = b.toobig;
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (len != NULL)
        *len = b.len;
    return b.p;
}

char *dr_graph_to_text(const dr_graph *g, size_t *len) {
    int toobig;
    return graph_text(g, 0, SIZE_MAX - 1, len, &toobig);
}

/* The text for opts, or NULL with err filled (naming `path`, may be NULL)
 * and *rc set. */
static char *text_for(const dr_graph *g, const dr_save_options *opts,
                      const char *path, size_t *len, dr_error *err, int *rc) {
    dr__limits limits;
    dr_load_options lo = {0};
    lo.max_bytes = opts ? opts->max_bytes : 0;
    if ((*rc = dr__limits_get(&limits, &lo, err)) != 0)
        return NULL;
    int toobig;
    char *out =
        graph_text(g, opts ? opts->compact : 0, limits.max_bytes, len, &toobig);
    if (out != NULL)
        return out;
    if (toobig) {
        *rc = DR_ETOOBIG;
        dr__error_set(err, DR_ETOOBIG, path, 0, 0, NULL,
                      "the graph as JSON passes %zu bytes, the limit for a "
                      "graph file " DR__RAISE_BYTES,
                      limits.max_bytes);
    } else {
        *rc = DR_EINVAL;
        dr__error_set(err, DR_EINVAL, path, 0, 0, NULL,
                      "cannot save: out of memory, or a task runs a C "
                      "function that has no registered name");
    }
    return NULL;
}

char *dr_graph_to_text_opts(const dr_graph *g, const dr_save_options *opts,
                            size_t *len, dr_error *err) {
    int rc;
    return text_for(g, opts, NULL, len, err, &rc);
}

int dr_graph_save(const dr_graph *g, const char *path, dr_error *err) {
    size_t len;
    int rc;
    char *out = text_for(g, NULL, path, &len, err, &rc);
    if (out == NULL)
        return rc;
    rc = dr_write_file_atomic(path, out, len, err);
    free(out);
    return rc;
}
