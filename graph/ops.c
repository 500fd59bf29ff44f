/*
 * Operation names: the builtin ops the loader knows, with a check of their
 * arguments, and dr_ops, a table of named C function ops.
 *
 * The builtins are described here (names and argument rules) because the
 * graph layer validates graphs; they are implemented by the scheduler
 * (scheduler/builtins.c), which runs them.  Keeping the argument rules next to
 * the names means a typo such as {"msec": 5} is an error at load time rather
 * than a silent zero-length sleep.
 */
#include "graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Argument kinds a builtin accepts. */
enum arg_kind { ARG_NUMBER, ARG_INTEGER, ARG_STRING };

typedef struct builtin_arg {
    const char *name;
    enum arg_kind kind;
    int required;
} builtin_arg;

typedef struct builtin_desc {
    const char *name;
    builtin_arg args[3];
} builtin_desc;

static const builtin_desc builtins[] = {
    {"noop", {{0}}},
    {"sleep", {{"ms", ARG_NUMBER, 1}}},
    {"spin", {{"units", ARG_NUMBER, 1}}},
    {"compute", {{"iterations", ARG_INTEGER, 1}}},
    {"pi", {{"samples", ARG_INTEGER, 1}, {"seed", ARG_INTEGER, 0}}},
    {"array", {{"n", ARG_INTEGER, 1}}},
    {"sum", {{0}}},
    {"mean", {{0}}},
    {"min", {{0}}},
    {"max", {{0}}},
    {"count", {{0}}},
    {"fail", {{"message", ARG_STRING, 0}}},
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static const char *const builtin_name_list[] = {
    "noop", "sleep", "spin", "compute", "pi",   "array", "sum",
    "mean", "min",   "max",  "count",   "fail", NULL};

const char *const *dr_builtin_names(void) { return builtin_name_list; }

static const builtin_desc *find_builtin(const char *name) {
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

int dr_builtin_exists(const char *name) {
    return name != NULL && find_builtin(name) != NULL;
}

static const char *kind_name(enum arg_kind k) {
    switch (k) {
    case ARG_NUMBER:
        return "a number";
    case ARG_INTEGER:
        return "an integer";
    case ARG_STRING:
        return "a string";
    }
    return "?";
}

int dr_builtin_check(const char *name, const json_t *args, char *msg,
                     size_t msglen) {
    const builtin_desc *b = name ? find_builtin(name) : NULL;
    if (b == NULL) {
        snprintf(msg, msglen, "unknown op '%s'", name ? name : "");
        return DR_ENOOP;
    }
    if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
        snprintf(msg, msglen, "op '%s': \"args\" must be an object", name);
        return DR_EINVAL;
    }
    /* Every key must be known... */
    if (json_is_object(args)) {
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)args, key, value) {
            const builtin_arg *a = NULL;
            for (size_t i = 0; i < 3 && b->args[i].name; i++)
                if (strcmp(b->args[i].name, key) == 0)
                    a = &b->args[i];
            if (a == NULL) {
                char expected[96] = "";
                for (size_t i = 0; i < 3 && b->args[i].name; i++) {
                    strncat(expected, i ? ", " : "",
                            sizeof(expected) - strlen(expected) - 1);
                    strncat(expected, b->args[i].name,
                            sizeof(expected) - strlen(expected) - 1);
                }
                snprintf(msg, msglen, "op '%s': unknown argument '%s' (%s%s)",
                         name, key,
                         expected[0] ? "expected: " : "it takes none",
                         expected);
                return DR_EINVAL;
            }
            int ok = a->kind == ARG_STRING    ? json_is_string(value)
                     : a->kind == ARG_INTEGER ? json_is_integer(value)
                                              : json_is_number(value);
            if (!ok) {
                snprintf(msg, msglen, "op '%s': argument '%s' must be %s", name,
                         key, kind_name(a->kind));
                return DR_EINVAL;
            }
            if (a->kind != ARG_STRING && json_number_value(value) < 0) {
                snprintf(msg, msglen,
                         "op '%s': argument '%s' must not be negative", name,
                         key);
                return DR_EINVAL;
            }
        }
    }
    /* An array's size is bounded at load time, so that a typo of a few
     * digits is refused before the run rather than after gigabytes. */
    if (strcmp(name, "array") == 0 && json_is_object(args)) {
        json_t *n = json_object_get(args, "n");
        if (json_is_integer(n) && json_integer_value(n) > DR__ARRAY_MAX) {
            snprintf(msg, msglen,
                     "op 'array': 'n' is %lld, more than the %d numbers an "
                     "array may hold",
                     (long long)json_integer_value(n), DR__ARRAY_MAX);
            return DR_EINVAL;
        }
    }
    /* ...and every required one present. */
    for (size_t i = 0; i < 3 && b->args[i].name; i++) {
        if (b->args[i].required &&
            (!json_is_object(args) ||
             json_object_get(args, b->args[i].name) == NULL)) {
            snprintf(msg, msglen, "op '%s' needs %s '%s' in \"args\"", name,
                     kind_name(b->args[i].kind), b->args[i].name);
            return DR_EINVAL;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ op tables */

typedef struct op_entry {
    char *name;
    dr_task_fn fn;
    void *user_data;
} op_entry;

struct dr_ops {
    op_entry *entries;
    size_t n, cap;
};

dr_ops *dr_ops_create(void) { return calloc(1, sizeof(dr_ops)); }

void dr_ops_destroy(dr_ops *ops) {
    if (ops == NULL)
        return;
    for (size_t i = 0; i < ops->n; i++)
        free(ops->entries[i].name);
    free(ops->entries);
    free(ops);
}

int dr_ops_register(dr_ops *ops, const char *name, dr_task_fn fn,
                    void *user_data) {
    if (ops == NULL || name == NULL || name[0] == '\0' || fn == NULL ||
        dr_builtin_exists(name))
        return DR_EINVAL;
    for (size_t i = 0; i < ops->n; i++) {
        if (strcmp(ops->entries[i].name, name) == 0) {
            ops->entries[i].fn = fn;
            ops->entries[i].user_data = user_data;
            return 0;
        }
    }
    if (ops->n == ops->cap) {
        size_t cap = ops->cap ? ops->cap * 2 : 8;
        op_entry *e = realloc(ops->entries, cap * sizeof(*e));
        if (e == NULL)
            return DR_ENOMEM;
        ops->entries = e;
        ops->cap = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL)
        return DR_ENOMEM;
    ops->entries[ops->n++] = (op_entry){copy, fn, user_data};
    return 0;
}

int dr_ops_find(const dr_ops *ops, const char *name, dr_task_fn *fn,
                void **user_data) {
    if (ops == NULL || name == NULL)
        return DR_ENOENT;
    for (size_t i = 0; i < ops->n; i++) {
        if (strcmp(ops->entries[i].name, name) == 0) {
            if (fn != NULL)
                *fn = ops->entries[i].fn;
            if (user_data != NULL)
                *user_data = ops->entries[i].user_data;
            return 0;
        }
    }
    return DR_ENOENT;
}

size_t dr_ops_count(const dr_ops *ops) { return ops ? ops->n : 0; }

const char *dr_ops_name(const dr_ops *ops, size_t i) {
    return ops != NULL && i < ops->n ? ops->entries[i].name : NULL;
}
