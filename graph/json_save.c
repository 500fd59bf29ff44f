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
 * indented one.
 */
#include "formats_internal.h"

#include <math.h>
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

/* A growable text buffer for the one-task-a-line layout. */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

static void put(text *b, const char *s, size_t n) {
    if (b->failed)
        return;
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

static void put_json(text *b, const json_t *v) {
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
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

/* Streams the graph out one task at a time, so a million-task graph never
 * exists as a jansson tree (that tree costs about a kilobyte a task). */
char *dr_graph_to_text(const dr_graph *g, size_t *len) {
    json_t *root = g != NULL ? header_to_json(g) : NULL;
    if (root == NULL)
        return NULL;
    text b = {0};
    put(&b, "{\n", 2);
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        put(&b, "  ", 2);
        json_t *k = json_string(key);
        put_json(&b, k);
        json_decref(k);
        put(&b, ": ", 2);
        put_json(&b, value);
        put(&b, ",\n", 2);
    }
    json_decref(root);
    put(&b, "  \"tasks\": [", 12);
    size_t n = dr_graph_ntasks(g);
    for (size_t i = 0; i < n && !b.failed; i++) {
        json_t *task = task_to_json(g, (dr_task)i);
        if (task == NULL) {
            b.failed = 1;
            break;
        }
        put(&b, i ? ",\n    " : "\n    ", i ? 6 : 5);
        put_json(&b, task);
        json_decref(task);
    }
    put(&b, n ? "\n  ]\n}\n" : "]\n}\n", n ? 7 : 4);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (len != NULL)
        *len = b.len;
    return b.p;
}

int dr_graph_save(const dr_graph *g, const char *path, dr_error *err) {
    size_t len;
    char *out = dr_graph_to_text(g, &len);
    if (out == NULL) {
        dr__error_set(err, DR_EINVAL, path, 0, 0, NULL,
                      "cannot save: out of memory, or a task runs a C "
                      "function that has no registered name");
        return DR_EINVAL;
    }
    int rc = dr_write_file_atomic(path, out, len, err);
    free(out);
    return rc;
}
