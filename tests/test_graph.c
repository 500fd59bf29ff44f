/*
 * The graph core (graph/graph.c, ops.c, error.c, fileio.c): tasks, keys,
 * dependencies, derived successors and order, cycles, operations, equality,
 * op tables, builtin argument checks, error records and atomic files.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun.h>
#include <graph_internal.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static dr_graph *graph_with(const char *const *keys, size_t n) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    for (size_t i = 0; i < n; i++) {
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t), 0, "%s", keys[i]);
        cr_assert_eq(t, (dr_task)i);
    }
    return g;
}

/* ------------------------------------------------------------------- tasks */

Test(graph, tasks_are_numbered_in_order_and_found_by_key) {
    dr_graph *g = dr_graph_create();
    dr_task a, b;
    cr_assert_eq(dr_graph_ntasks(g), 0);
    cr_assert_eq(dr_graph_add_task(g, "map-0", &a), 0);
    cr_assert_eq(dr_graph_add_task(g, "map-1", &b), 0);
    cr_assert_eq(dr_graph_add_task(g, "reduce", NULL), 0);
    cr_assert_eq(a, 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(dr_graph_ntasks(g), 3);
    cr_assert_eq(dr_graph_find(g, "map-1"), 1);
    cr_assert_eq(dr_graph_find(g, "reduce"), 2);
    cr_assert_eq(dr_graph_find(g, "map-2"), DR_TASK_NONE);
    cr_assert_eq(dr_graph_find(g, ""), DR_TASK_NONE);
    cr_assert_str_eq(dr_task_key(g, 2), "reduce");
    cr_assert_null(dr_task_key(g, 3));
    dr_graph_destroy(g);
}

Test(graph, many_tasks_stay_findable_as_the_index_grows) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        cr_assert_eq(dr_graph_find(g, key), (dr_task)i);
        cr_assert_str_eq(dr_task_key(g, (dr_task)i), key);
    }
    dr_graph_destroy(g);
}

Test(graph, duplicate_key_is_refused) {
    dr_graph *g = dr_graph_create();
    cr_assert_eq(dr_graph_add_task(g, "a", NULL), 0);
    dr_task t = 77;
    cr_assert_eq(dr_graph_add_task(g, "a", &t), DR_EEXIST);
    cr_assert_eq(t, 77, "out is untouched on failure");
    cr_assert_eq(dr_graph_ntasks(g), 1);
    dr_graph_destroy(g);
}

Test(graph, empty_or_missing_key_is_refused) {
    dr_graph *g = dr_graph_create();
    cr_assert_eq(dr_graph_add_task(g, "", NULL), DR_EINVAL);
    cr_assert_eq(dr_graph_add_task(g, NULL, NULL), DR_EINVAL);
    cr_assert_eq(dr_graph_ntasks(g), 0);
    dr_graph_destroy(g);
}

Test(graph, name_description_and_parameters_are_kept) {
    dr_graph *g = dr_graph_create();
    cr_assert_str_eq(dr_graph_name(g), "");
    cr_assert_str_eq(dr_graph_description(g), "");
    cr_assert_eq(dr_graph_set_name(g, "pipeline"), 0);
    cr_assert_eq(dr_graph_set_description(g, "three stages"), 0);
    cr_assert_str_eq(dr_graph_name(g), "pipeline");
    cr_assert_str_eq(dr_graph_description(g), "three stages");
    cr_assert_eq(dr_graph_set_param(g, "n", 4), 0);
    cr_assert_eq(dr_graph_set_param(g, "workers", 2), 0);
    cr_assert_eq(dr_graph_set_param(g, "n", 64), 0);
    cr_assert_eq(dr_graph_set_param(g, "", 1), DR_EINVAL);
    cr_assert_eq(dr_graph_nparams(g), 2);
    cr_assert_str_eq(dr_graph_param_name(g, 0), "n");
    cr_assert_eq(dr_graph_param_value(g, 0), 64);
    cr_assert_str_eq(dr_graph_param_name(g, 1), "workers");
    cr_assert_null(dr_graph_param_name(g, 2));
    dr_graph_destroy(g);
}

Test(graph, destroy_null_does_nothing) {
    dr_graph_destroy(NULL);
    dr_ops_destroy(NULL);
    dr_error_clear(NULL);
}

/* ------------------------------------------------------------ dependencies */

Test(graph, dependencies_by_handle_and_by_key) {
    static const char *const keys[] = {"a", "b", "c"};
    dr_graph *g = graph_with(keys, 3);
    cr_assert_eq(dr_graph_add_dep(g, 2, 0), 0);
    cr_assert_eq(dr_graph_add_dep_key(g, "c", "b"), 0);
    size_t n;
    const dr_task *deps = dr_task_deps(g, 2, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(deps[0], 0);
    cr_assert_eq(deps[1], 1);
    dr_task_deps(g, 0, &n);
    cr_assert_eq(n, 0);
    cr_assert_eq(dr_graph_nedges(g), 2);
    dr_graph_destroy(g);
}

Test(graph, dependency_on_an_unknown_key_is_enoent) {
    static const char *const keys[] = {"a", "b"};
    dr_graph *g = graph_with(keys, 2);
    cr_assert_eq(dr_graph_add_dep_key(g, "a", "zz"), DR_ENOENT);
    cr_assert_eq(dr_graph_add_dep_key(g, "zz", "a"), DR_ENOENT);
    cr_assert_eq(dr_graph_add_dep(g, 0, 2), DR_EINVAL, "id out of range");
    cr_assert_eq(dr_graph_add_dep(g, 5, 0), DR_EINVAL, "id out of range");
    cr_assert_eq(dr_graph_nedges(g), 0);
    dr_graph_destroy(g);
}

Test(graph, self_dependency_is_einval) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    cr_assert_eq(dr_graph_add_dep(g, 0, 0), DR_EINVAL);
    cr_assert_eq(dr_graph_add_dep_key(g, "a", "a"), DR_EINVAL);
    cr_assert_eq(dr_graph_nedges(g), 0);
    dr_graph_destroy(g);
}

Test(graph, repeated_edge_with_few_dependencies_is_ignored) {
    static const char *const keys[] = {"a", "b", "c"};
    dr_graph *g = graph_with(keys, 3);
    cr_assert_eq(dr_graph_add_dep(g, 2, 0), 0);
    cr_assert_eq(dr_graph_add_dep(g, 2, 1), 0);
    cr_assert_eq(dr_graph_add_dep(g, 2, 0), 0);
    cr_assert_eq(dr_graph_add_dep_key(g, "c", "b"), 0);
    cr_assert_eq(dr_graph_nedges(g), 2);
    size_t n;
    const dr_task *deps = dr_task_deps(g, 2, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(deps[0], 0);
    cr_assert_eq(deps[1], 1);
    dr_graph_destroy(g);
}

/* Past 32 dependencies repeats are removed in one pass before anything is
 * read; the first occurrence's order must survive. */
Test(graph, repeated_edges_past_the_scan_limit_are_removed_in_order) {
    dr_graph *g = dr_graph_create();
    char key[16];
    for (int i = 0; i < 101; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        dr_graph_add_task(g, key, NULL);
    }
    /* t100 depends on t0..t59, then again on t59..t0, then on t60..t99,
     * and once more on t10. */
    for (dr_task i = 0; i < 60; i++)
        cr_assert_eq(dr_graph_add_dep(g, 100, i), 0);
    for (dr_task i = 60; i-- > 0;)
        cr_assert_eq(dr_graph_add_dep(g, 100, i), 0);
    for (dr_task i = 60; i < 100; i++)
        cr_assert_eq(dr_graph_add_dep(g, 100, i), 0);
    cr_assert_eq(dr_graph_add_dep(g, 100, 10), 0);
    /* A second task past the limit, so the pass sees two of them. */
    for (dr_task i = 0; i < 40; i++) {
        cr_assert_eq(dr_graph_add_dep(g, 99, i), 0);
        cr_assert_eq(dr_graph_add_dep(g, 99, i), 0);
    }
    cr_assert_eq(dr_graph_nedges(g), 100 + 40);
    size_t n;
    const dr_task *deps = dr_task_deps(g, 100, &n);
    cr_assert_eq(n, 100);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(deps[i], (dr_task)i);
    deps = dr_task_deps(g, 99, &n);
    cr_assert_eq(n, 40);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    size_t ns;
    dr_task_succs(g, 10, &ns);
    cr_assert_eq(ns, 2, "t10 feeds t99 and t100 once each");
    dr_graph_destroy(g);
}

Test(graph, successors_list_the_dependents) {
    static const char *const keys[] = {"src", "x", "y", "sink"};
    dr_graph *g = graph_with(keys, 4);
    dr_graph_add_dep(g, 1, 0);
    dr_graph_add_dep(g, 2, 0);
    dr_graph_add_dep(g, 3, 1);
    dr_graph_add_dep(g, 3, 2);
    /* Without validate: built on first use. */
    size_t n;
    const dr_task *s = dr_task_succs(g, 0, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(s[0], 1);
    cr_assert_eq(s[1], 2);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    s = dr_task_succs(g, 2, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(s[0], 3);
    s = dr_task_succs(g, 3, &n);
    cr_assert_eq(n, 0);
    cr_assert_null(s);
    /* A change is seen by the next call. */
    dr_graph_add_task(g, "late", NULL);
    dr_graph_add_dep(g, 4, 3);
    s = dr_task_succs(g, 3, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(s[0], 4);
    dr_graph_destroy(g);
}

/* -------------------------------------------------------- order and cycles */

Test(graph, topological_order_puts_every_dependency_first) {
    /* Tasks depend on higher-numbered tasks, so numbering order is wrong. */
    enum { N = 500 };
    dr_graph *g = dr_graph_create();
    char key[16];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        dr_graph_add_task(g, key, NULL);
    }
    uint32_t x = 12345;
    for (int i = 0; i < N - 1; i++) {
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245u + 12345u;
            dr_task dep = (dr_task)(i + 1 + (x >> 8) % (N - 1 - i));
            cr_assert_eq(dr_graph_add_dep(g, (dr_task)i, dep), 0);
        }
    }
    cr_assert_null(dr_graph_topo_order(g), "not validated yet");
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    const dr_task *order = dr_graph_topo_order(g);
    cr_assert_not_null(order);
    int pos[N];
    for (int i = 0; i < N; i++)
        pos[i] = -1;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(pos[order[i]], -1, "task listed twice");
        pos[order[i]] = i;
    }
    for (int i = 0; i < N; i++) {
        size_t n;
        const dr_task *deps = dr_task_deps(g, (dr_task)i, &n);
        for (size_t k = 0; k < n; k++)
            cr_assert_lt(pos[deps[k]], pos[i], "edge %s -> %s goes back",
                         dr_task_key(g, deps[k]), dr_task_key(g, (dr_task)i));
    }
    /* Any change drops the order until the next validate. */
    dr_graph_add_task(g, "extra", NULL);
    cr_assert_null(dr_graph_topo_order(g));
    dr_graph_destroy(g);
}

Test(graph, topological_order_breaks_ties_by_task_number) {
    static const char *const keys[] = {"c", "a", "b"};
    dr_graph *g = graph_with(keys, 3);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    const dr_task *order = dr_graph_topo_order(g);
    cr_assert_eq(order[0], 0);
    cr_assert_eq(order[1], 1);
    cr_assert_eq(order[2], 2);
    dr_graph_destroy(g);
}

Test(graph, empty_graph_validates) {
    dr_graph *g = dr_graph_create();
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    cr_assert_not_null(dr_graph_topo_order(g));
    cr_assert_eq(dr_graph_nedges(g), 0);
    dr_graph_destroy(g);
}

/* Builds a graph from keys and "task<dep" edges, validates it and returns
 * the error (the graph is gone before anything is asserted, so a failing
 * check leaks nothing). */
static dr_error validate_edges(const char *const *keys, size_t nkeys,
                               const char *const *edges, size_t nedges) {
    dr_graph *g = graph_with(keys, nkeys);
    for (size_t i = 0; i < nedges; i++) {
        char task[32], dep[32];
        cr_assert_eq(sscanf(edges[i], "%31[^<]<%31s", task, dep), 2);
        cr_assert_eq(dr_graph_add_dep_key(g, task, dep), 0, "%s", edges[i]);
    }
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_graph_validate(g, &err);
    int has_order = dr_graph_topo_order(g) != NULL;
    /* Validating again gives the same answer. */
    dr_error again;
    dr_error_clear(&again);
    dr_graph_validate(g, &again);
    dr_graph_destroy(g);
    cr_assert_eq(rc, err.code);
    cr_assert_str_eq(again.text, err.text);
    cr_assert_eq(has_order, rc == 0);
    return err;
}

/* The cycle is printed dependency first, closing on the lowest-numbered
 * task that is on it or leads into it (the one the search starts from). */
Test(graph, three_cycle_is_printed_in_execution_order) {
    static const char *const keys[] = {"c", "b", "a"};
    static const char *const edges[] = {"c<b", "b<a", "a<c"};
    dr_error err = validate_edges(keys, 3, edges, 3);
    cr_assert_eq(err.code, DR_ECYCLE);
    cr_assert_str_eq(err.message, "cycle: a -> b -> c -> a");
    cr_assert_str_eq(err.task, "a");
    cr_assert_str_eq(err.text, "task 'a': cycle: a -> b -> c -> a");
}

Test(graph, cycle_text_does_not_depend_on_luck) {
    static const char *const keys[] = {"a", "b", "c"};
    static const char *const edges[] = {"b<a", "c<b", "a<c"};
    dr_error err = validate_edges(keys, 3, edges, 3);
    cr_assert_eq(err.code, DR_ECYCLE);
    /* The same cycle as above, declared in another order: the message
     * still starts from the smallest key. */
    cr_assert_str_eq(err.message, "cycle: a -> b -> c -> a");
    cr_assert_str_eq(err.task, "a");
}

/* A task downstream of a cycle is not part of it and is not printed. */
Test(graph, cycle_behind_a_dependent_task_prints_only_the_cycle) {
    static const char *const keys[] = {"x", "a", "b", "c"};
    static const char *const edges[] = {"x<c", "b<a", "c<b", "a<c"};
    dr_error err = validate_edges(keys, 4, edges, 4);
    cr_assert_eq(err.code, DR_ECYCLE);
    cr_assert_str_eq(err.message, "cycle: a -> b -> c -> a");
    cr_assert_str_eq(err.task, "a");
}

Test(graph, two_cycle_is_reported) {
    static const char *const keys[] = {"ok", "p", "q"};
    static const char *const edges[] = {"p<ok", "p<q", "q<p"};
    dr_error err = validate_edges(keys, 3, edges, 3);
    cr_assert_eq(err.code, DR_ECYCLE);
    cr_assert_str_eq(err.message, "cycle: p -> q -> p");
    cr_assert_str_eq(err.task, "p");
}

Test(graph, acyclic_graph_validates_without_an_error) {
    static const char *const keys[] = {"a", "b", "c"};
    static const char *const edges[] = {"b<a", "c<b", "c<a"};
    dr_error err = validate_edges(keys, 3, edges, 3);
    cr_assert_eq(err.code, 0);
    cr_assert_str_eq(err.text, "");
}

/* A cycle longer than the message still names its task, and the cut is
 * shown ("...") at a key boundary rather than in the middle of a key. */
Test(graph, a_cycle_too_long_to_print_is_cut_visibly) {
    dr_graph *g = dr_graph_create();
    char key[80];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "a-rather-long-task-key-number-%d", i);
        dr_graph_add_task(g, key, NULL);
    }
    for (dr_task i = 1; i < 200; i++)
        dr_graph_add_dep(g, i, i - 1);
    dr_graph_add_dep(g, 0, 199);
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_graph_validate(g, &err);
    dr_graph_destroy(g);
    cr_assert_eq(rc, DR_ECYCLE);
    const char *head = "cycle: a-rather-long-task-key-number-0 -> "
                       "a-rather-long-task-key-number-1 -> ";
    cr_assert_eq(strncmp(err.message, head, strlen(head)), 0, "%s",
                 err.message);
    cr_assert_lt(strlen(err.text), sizeof(err.text));
    size_t n = strlen(err.message);
    cr_assert_gt(n, 3);
    cr_assert_str_eq(err.message + n - 7, " -> ...", "%s", err.message);
    cr_assert_str_eq(err.task, "a-rather-long-task-key-number-0");
}

/* -------------------------------------------------------------- operations */

static int fn_ok(dr_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return 0;
}

static int fn_other(dr_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return 1;
}

Test(graph, a_new_task_has_no_operation) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_NONE);
    cr_assert_str_eq(dr_task_op_label(g, 0), "none");
    cr_assert_null(dr_task_op_name(g, 0));
    cr_assert_null(dr_task_op_args(g, 0));
    cr_assert_null(dr_task_shell(g, 0));
    cr_assert_null(dr_task_function(g, 0, NULL));
    size_t argc = 9;
    cr_assert_null(dr_task_argv(g, 0, &argc));
    cr_assert_eq(argc, 0);
    dr_graph_destroy(g);
}

Test(graph, builtin_op_keeps_name_and_arguments) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    json_t *args = json_pack("{s:i}", "ms", 5);
    cr_assert_eq(dr_task_set_builtin(g, 0, "sleep", args), 0);
    json_decref(args); /* the graph holds its own reference */
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_BUILTIN);
    cr_assert_str_eq(dr_task_op_name(g, 0), "sleep");
    cr_assert_str_eq(dr_task_op_label(g, 0), "sleep");
    cr_assert_eq(
        json_integer_value(json_object_get(dr_task_op_args(g, 0), "ms")), 5);
    cr_assert_eq(dr_task_set_builtin(g, 0, "no-such-op", NULL), DR_ENOOP);
    cr_assert_eq(dr_task_set_builtin(g, 0, NULL, NULL), DR_ENOOP);
    cr_assert_str_eq(dr_task_op_name(g, 0), "sleep", "failure changes nothing");
    cr_assert_eq(dr_task_set_builtin(g, 3, "noop", NULL), DR_EINVAL);
    dr_graph_destroy(g);
}

Test(graph, function_op_keeps_pointer_user_data_and_arguments) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    int cookie;
    json_t *args = json_pack("{s:s}", "mode", "fast");
    cr_assert_eq(dr_task_set_function(g, 0, "my_op", fn_ok, &cookie, args), 0);
    json_decref(args);
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_FUNCTION);
    cr_assert_str_eq(dr_task_op_name(g, 0), "my_op");
    cr_assert_str_eq(dr_task_op_label(g, 0), "my_op");
    void *ud = NULL;
    cr_assert_eq(dr_task_function(g, 0, &ud), fn_ok);
    cr_assert_eq(ud, &cookie);
    cr_assert_str_eq(
        json_string_value(json_object_get(dr_task_op_args(g, 0), "mode")),
        "fast");
    cr_assert_eq(dr_task_set_function(g, 0, "x", NULL, NULL, NULL), DR_EINVAL);
    dr_graph_destroy(g);
}

Test(graph, argv_op_is_copied_and_null_terminated) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    char arg1[] = "hello world";
    const char *argv[] = {"echo", arg1, "-n"};
    cr_assert_eq(dr_task_set_argv(g, 0, argv, 3), 0);
    arg1[0] = 'J'; /* the graph kept a copy */
    size_t argc;
    const char *const *got = dr_task_argv(g, 0, &argc);
    cr_assert_eq(argc, 3);
    cr_assert_str_eq(got[0], "echo");
    cr_assert_str_eq(got[1], "hello world");
    cr_assert_str_eq(got[2], "-n");
    cr_assert_null(got[3]);
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_ARGV);
    cr_assert_str_eq(dr_task_op_label(g, 0), "command");
    cr_assert_null(dr_task_op_name(g, 0));
    const char *empty[] = {""};
    cr_assert_eq(dr_task_set_argv(g, 0, empty, 1), DR_EINVAL);
    cr_assert_eq(dr_task_set_argv(g, 0, argv, 0), DR_EINVAL);
    const char *holey[] = {"echo", NULL};
    cr_assert_eq(dr_task_set_argv(g, 0, holey, 2), DR_EINVAL);
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_ARGV, "unchanged on failure");
    dr_graph_destroy(g);
}

Test(graph, shell_op_and_replacing_operations) {
    static const char *const keys[] = {"a"};
    dr_graph *g = graph_with(keys, 1);
    const char *argv[] = {"true"};
    cr_assert_eq(dr_task_set_argv(g, 0, argv, 1), 0);
    cr_assert_eq(dr_task_set_shell(g, 0, "echo $HOME | wc -c"), 0);
    cr_assert_eq(dr_task_op_kind(g, 0), DR_OP_SHELL);
    cr_assert_str_eq(dr_task_shell(g, 0), "echo $HOME | wc -c");
    cr_assert_str_eq(dr_task_op_label(g, 0), "shell");
    cr_assert_null(dr_task_argv(g, 0, NULL));
    cr_assert_eq(dr_task_set_shell(g, 0, ""), DR_EINVAL);
    cr_assert_eq(dr_task_set_shell(g, 0, NULL), DR_EINVAL);
    json_t *args = json_pack("{s:i}", "ms", 1);
    cr_assert_eq(dr_task_set_builtin(g, 0, "sleep", args), 0);
    cr_assert_eq(dr_task_set_builtin(g, 0, "noop", NULL), 0);
    cr_assert_null(dr_task_op_args(g, 0), "old arguments are dropped");
    cr_assert_eq(args->refcount, 1, "and released");
    json_decref(args);
    cr_assert_null(dr_task_shell(g, 0));
    dr_graph_destroy(g);
}

Test(graph, cost_timeout_retries_files_and_data) {
    static const char *const keys[] = {"a", "b"};
    dr_graph *g = graph_with(keys, 2);
    cr_assert_eq(dr_task_has_cost(g, 0), 0);
    cr_assert_float_eq(dr_task_cost(g, 0), 1.0, 1e-12, "default cost");
    cr_assert_eq(dr_task_set_cost(g, 0, 2.5), 0);
    cr_assert_eq(dr_task_has_cost(g, 0), 1);
    cr_assert_float_eq(dr_task_cost(g, 0), 2.5, 1e-12);
    cr_assert_eq(dr_task_set_cost(g, 1, 0.0), 0);
    cr_assert_eq(dr_task_has_cost(g, 1), 1);
    cr_assert_eq(dr_task_set_cost(g, 0, -1), DR_ERANGE);
    cr_assert_eq(dr_task_set_cost(g, 0, NAN), DR_ERANGE);
    cr_assert_eq(dr_task_set_cost(g, 0, INFINITY), DR_ERANGE);
    cr_assert_float_eq(dr_task_cost(g, 0), 2.5, 1e-12);

    cr_assert_float_eq(dr_task_timeout(g, 0), 0.0, 1e-12);
    cr_assert_eq(dr_task_set_timeout(g, 0, 30), 0);
    cr_assert_float_eq(dr_task_timeout(g, 0), 30.0, 1e-12);
    cr_assert_eq(dr_task_set_timeout(g, 0, -2), DR_ERANGE);

    cr_assert_eq(dr_task_retries(g, 0), -1);
    cr_assert_eq(dr_task_set_retries(g, 0, 3), 0);
    cr_assert_eq(dr_task_retries(g, 0), 3);
    cr_assert_eq(dr_task_set_retries(g, 0, -2), DR_ERANGE);
    cr_assert_eq(dr_task_set_retries(g, 9, 1), DR_EINVAL);

    cr_assert_eq(dr_task_ninputs(g, 0), 0);
    cr_assert_null(dr_task_input(g, 0, 0));
    cr_assert_eq(dr_task_add_input(g, 0, "in/a.csv"), 0);
    cr_assert_eq(dr_task_add_input(g, 0, "in/b.csv"), 0);
    cr_assert_eq(dr_task_add_output(g, 0, "out.txt"), 0);
    cr_assert_eq(dr_task_add_output(g, 0, ""), DR_EINVAL);
    cr_assert_eq(dr_task_ninputs(g, 0), 2);
    cr_assert_str_eq(dr_task_input(g, 0, 1), "in/b.csv");
    cr_assert_eq(dr_task_noutputs(g, 0), 1);
    cr_assert_str_eq(dr_task_output(g, 0, 0), "out.txt");
    cr_assert_null(dr_task_output(g, 0, 1));
    cr_assert_eq(dr_task_noutputs(g, 1), 0);

    int x;
    cr_assert_null(dr_task_data(g, 1));
    cr_assert_eq(dr_task_set_data(g, 1, &x), 0);
    cr_assert_eq(dr_task_data(g, 1), &x);
    cr_assert_eq(dr_task_set_data(g, 7, &x), DR_EINVAL);
    cr_assert_eq(dr_task_set_data(g, 0, NULL), 0);
    cr_assert_null(dr_task_data(g, 0));
    dr_graph_destroy(g);
}

/* ---------------------------------------------------------------- equality */

/* Dependencies are one array filled as graphs are built; an edge added to
 * an earlier task is logged and merged in when dependencies are read. */
Test(graph, edges_added_to_earlier_tasks_keep_the_order_they_were_added) {
    static const char *const keys[] = {"a", "b", "c", "d", "e"};
    dr_graph *g = graph_with(keys, 5);
    cr_assert_eq(dr_graph_add_dep(g, 3, 0), 0); /* d: a */
    cr_assert_eq(dr_graph_add_dep(g, 1, 0), 0); /* b: a (late) */
    cr_assert_eq(dr_graph_add_dep(g, 3, 2), 0); /* d: a c */
    cr_assert_eq(dr_graph_add_dep(g, 2, 1), 0); /* c: b (late) */
    cr_assert_eq(dr_graph_add_dep(g, 3, 1), 0); /* d: a c b */
    cr_assert_eq(dr_graph_add_dep(g, 2, 0), 0); /* c: b a (late) */
    cr_assert_eq(dr_graph_add_dep(g, 2, 1), 0); /* c: repeat (late) */
    cr_assert_eq(dr_graph_add_dep(g, 4, 3), 0); /* e: d */
    cr_assert_eq(dr_graph_add_dep(g, 3, 0), 0); /* d: repeat (late) */
    cr_assert_eq(dr_graph_nedges(g), 7);
    static const dr_task want_b[] = {0}, want_c[] = {1, 0},
                         want_d[] = {0, 2, 1}, want_e[] = {3};
    static const dr_task *const want[] = {NULL, want_b, want_c, want_d, want_e};
    static const size_t nwant[] = {0, 1, 2, 3, 1};
    for (dr_task t = 0; t < 5; t++) {
        size_t n;
        const dr_task *deps = dr_task_deps(g, t, &n);
        cr_assert_eq(n, nwant[t], "task %s", keys[t]);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(deps[i], want[t][i], "task %s dep %zu", keys[t], i);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    const dr_task *order = dr_graph_topo_order(g);
    cr_assert_not_null(order);
    cr_assert_eq(order[0], 0);
    cr_assert_eq(order[4], 4);
    /* After validation: a late edge again, then a new task's edges. */
    cr_assert_eq(dr_graph_add_dep(g, 1, 3), 0); /* b: a d makes a cycle */
    cr_assert_eq(dr_graph_validate(g, NULL), DR_ECYCLE);
    size_t n;
    const dr_task *deps = dr_task_deps(g, 1, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(deps[1], 3);
    cr_assert_eq(dr_graph_add_task(g, "f", NULL), 0);
    cr_assert_eq(dr_graph_add_dep(g, 5, 4), 0);
    cr_assert_eq(dr_graph_add_dep(g, 5, 0), 0);
    cr_assert_eq(dr_graph_nedges(g), 10);
    deps = dr_task_deps(g, 5, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(deps[0], 4);
    cr_assert_eq(deps[1], 0);
    dr_graph_destroy(g);
}

/* Reading successors (which derives them) is not a change: dependencies
 * borrowed before stay valid (ASan would see a moved array). */
Test(graph, reading_successors_keeps_borrowed_dependencies) {
    dr_graph *g = dr_graph_create();
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        if (i > 0)
            cr_assert_eq(dr_graph_add_dep(g, t, t - 1), 0);
    }
    size_t n, ns;
    const dr_task *deps = dr_task_deps(g, 50, &n);
    const char *k = dr_task_key(g, 50);
    cr_assert_eq(n, 1);
    dr_task_succs(g, 0, &ns);
    cr_assert_eq(ns, 1);
    cr_assert_eq(deps[0], 49);
    cr_assert_str_eq(k, "t50");
    cr_assert_eq(dr_graph_nedges(g), 99);
    cr_assert_eq(deps[0], 49);
    dr_graph_destroy(g);
}

/* A loader adds every task first and then each one's dependencies; a C
 * program adds a task and then its dependencies; edges may also come in any
 * order.  All three make the same graph, with repeats dropped past the scan
 * limit as well. */
static dr_graph *layered(int how) {
    enum { N = 300 };
    dr_graph *g = dr_graph_create();
    char key[16];
    if (how != 0)
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof(key), "t%d", i);
            cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
        }
    for (int k = 0; k < N; k++) {
        /* how 2: tasks from the last to the first */
        int i = how == 2 ? N - 1 - k : k;
        if (how == 0) {
            snprintf(key, sizeof(key), "t%d", i);
            cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
        }
        /* t299 depends on every other task, twice; the others on up to 3
         * earlier ones, one of them repeated. */
        int ndeps = i == N - 1 ? N - 1 : (i < 3 ? i : 3);
        for (int rep = 0; rep < 2; rep++)
            for (int j = 0; j < ndeps; j++)
                cr_assert_eq(
                    dr_graph_add_dep(g, (dr_task)i,
                                     (dr_task)(i == N - 1 ? j : i - 1 - j)),
                    0);
    }
    return g;
}

Test(graph, tasks_first_tasks_in_turn_and_edges_backwards_make_one_graph) {
    dr_graph *a = layered(0), *b = layered(1), *c = layered(2);
    char why[256] = "";
    cr_assert(dr_graph_equal(a, b, why, sizeof(why)), "%s", why);
    cr_assert(dr_graph_equal(a, c, why, sizeof(why)), "%s", why);
    cr_assert_eq(dr_graph_nedges(a), 3 + 296 * 3 + 299);
    for (dr_task t = 0; t < 300; t++) {
        size_t na, nc;
        const dr_task *da = dr_task_deps(a, t, &na);
        const dr_task *dc = dr_task_deps(c, t, &nc);
        cr_assert_eq(na, nc);
        for (size_t i = 0; i < na; i++)
            cr_assert_eq(da[i], dc[i], "task %u: same order", t);
    }
    cr_assert_eq(dr_graph_validate(c, NULL), 0);
    size_t ns;
    dr_task_succs(c, 0, &ns);
    cr_assert_eq(ns, 4, "t0 feeds t1, t2, t3 and t299");
    dr_graph_destroy(a);
    dr_graph_destroy(b);
    dr_graph_destroy(c);
}

/* A task record numbers its op name; a graph with more distinct names than
 * that keeps the rest beside the task, and every name still reads back. */
static int count_fn(dr_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return 0;
}

Test(graph, a_function_name_per_task_past_65534_names_reads_back) {
    enum { N = 70000 };
    dr_graph *g = dr_graph_create();
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "f%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        cr_assert_eq(dr_task_set_function(g, t, key, count_fn, NULL, NULL), 0);
    }
    /* A name seen before is the same interned string. */
    cr_assert_eq(dr_task_set_function(g, 5, "f69999", count_fn, NULL, NULL), 0);
    for (int i = 0; i < N; i += 997) {
        snprintf(key, sizeof(key), "f%d", i);
        cr_assert_str_eq(dr_task_op_name(g, (dr_task)i),
                         i == 5 ? "f69999" : key);
    }
    cr_assert_str_eq(dr_task_op_name(g, N - 1), "f69999");
    cr_assert_eq(dr_task_op_name(g, 5), dr_task_op_name(g, N - 1));
    cr_assert_str_eq(dr_task_op_label(g, N - 2), "f69998");
    cr_assert_eq(dr_task_op_kind(g, N - 2), DR_OP_FUNCTION);
    /* Replacing an op whose name is kept beside the task. */
    cr_assert_eq(dr_task_set_builtin(g, N - 2, "noop", NULL), 0);
    cr_assert_str_eq(dr_task_op_name(g, N - 2), "noop");
    cr_assert_eq(dr_task_set_shell(g, N - 3, "true"), 0);
    cr_assert_null(dr_task_op_name(g, N - 3));
    cr_assert_str_eq(dr_task_shell(g, N - 3), "true");
    dr_graph_destroy(g);
}

/* What few tasks have (arguments, commands, files, a timeout, user data)
 * is kept beside the task record: a graph of tasks with a cost and a
 * builtin without arguments costs no more per task than one without. */
Test(graph, plain_tasks_pay_for_no_extras) {
    dr_graph *plain = dr_graph_create(), *ops = dr_graph_create();
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(plain, key, NULL), 0);
        cr_assert_eq(dr_graph_add_task(ops, key, &t), 0);
        cr_assert_eq(dr_task_set_builtin(ops, t, i % 2 ? "noop" : "sum", NULL),
                     0);
        cr_assert_eq(dr_task_set_cost(ops, t, i), 0);
        cr_assert_eq(dr_task_set_cache(ops, t, i % 3 != 0), 0);
        cr_assert_eq(dr_task_set_retries(ops, t, -1), 0);
    }
    cr_assert_eq(dr_graph_validate(plain, NULL), 0);
    cr_assert_eq(dr_graph_validate(ops, NULL), 0);
    cr_assert_lt(dr_graph_memory(ops), dr_graph_memory(plain) + 256,
                 "%zu vs %zu", dr_graph_memory(ops), dr_graph_memory(plain));
    cr_assert_eq(dr_task_retries(ops, 7), -1);
    cr_assert_eq(dr_task_cache(ops, 3), 0);
    cr_assert_eq(dr_task_cache(ops, 4), 1);
    cr_assert_eq(dr_task_cost(ops, 9), 9);
    cr_assert_str_eq(dr_task_op_name(ops, 9), "noop");
    cr_assert_str_eq(dr_task_op_name(ops, 8), "sum");
    cr_assert_null(dr_task_op_args(ops, 8));
    cr_assert_eq(dr_task_timeout(ops, 8), 0);
    /* One task with extras: only it grows. */
    size_t before = dr_graph_memory(ops);
    json_t *args = json_pack("{s:i}", "ms", 1);
    cr_assert_eq(dr_task_set_builtin(ops, 0, "sleep", args), 0);
    json_decref(args);
    cr_assert_eq(dr_task_set_timeout(ops, 0, 2.5), 0);
    cr_assert_gt(dr_graph_memory(ops), before);
    cr_assert_lt(dr_graph_memory(ops), before + 4096);
    cr_assert_eq(dr_task_timeout(ops, 0), 2.5);
    cr_assert_eq(
        json_integer_value(json_object_get(dr_task_op_args(ops, 0), "ms")), 1);
    dr_graph_destroy(plain);
    dr_graph_destroy(ops);
}

/* Builds the same small graph with tasks added in either order. */
static dr_graph *sample(int reversed) {
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "sample");
    dr_graph_set_description(g, "for equality");
    static const char *const keys[] = {"load", "work", "save"};
    for (int i = 0; i < 3; i++)
        dr_graph_add_task(g, keys[reversed ? 2 - i : i], NULL);
    dr_graph_add_dep_key(g, "work", "load");
    dr_graph_add_dep_key(g, "save", "work");
    dr_graph_add_dep_key(g, "save", "load");
    json_t *args = json_pack("{s:i}", "ms", 10);
    dr_task_set_builtin(g, dr_graph_find(g, "work"), "sleep", args);
    json_decref(args);
    const char *argv[] = {"cp", "a", "b"};
    dr_task_set_argv(g, dr_graph_find(g, "save"), argv, 3);
    dr_task_set_shell(g, dr_graph_find(g, "load"), "cat x");
    dr_task_set_cost(g, dr_graph_find(g, "work"), 2);
    dr_task_add_output(g, dr_graph_find(g, "save"), "b");
    return g;
}

/* Changes a copy of the sample with the statements given and checks the
 * difference is found and named. */
#define ASSERT_DIFFERS(expected, ...)                                          \
    do {                                                                       \
        dr_graph *a_ = sample(0), *b_ = sample(0);                             \
        dr_graph *g = b_;                                                      \
        __VA_ARGS__;                                                           \
        char why_[256] = "";                                                   \
        cr_assert_eq(dr_graph_equal(a_, b_, why_, sizeof(why_)), 0, "%s",      \
                     expected);                                                \
        cr_assert_str_eq(why_, expected);                                      \
        dr_graph_destroy(a_);                                                  \
        dr_graph_destroy(b_);                                                  \
    } while (0)

Test(graph_equal, graphs_built_in_another_order_are_equal) {
    dr_graph *a = sample(0), *b = sample(1);
    char why[256] = "";
    cr_assert(dr_graph_equal(a, b, why, sizeof(why)), "%s", why);
    cr_assert(dr_graph_equal(b, a, NULL, 0));
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

Test(graph_equal, empty_arguments_equal_no_arguments) {
    dr_graph *a = sample(0), *b = sample(0);
    json_t *empty = json_object();
    dr_task_set_builtin(a, 0, "noop", NULL);
    dr_task_set_builtin(b, 0, "noop", empty);
    json_decref(empty);
    cr_assert(dr_graph_equal(a, b, NULL, 0));
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

Test(graph_equal, each_kind_of_difference_is_named) {
    ASSERT_DIFFERS("names differ: 'sample' vs 'other'",
                   dr_graph_set_name(g, "other"));
    ASSERT_DIFFERS("descriptions differ", dr_graph_set_description(g, "x"));
    ASSERT_DIFFERS("task counts differ", dr_graph_add_task(g, "extra", NULL));
    ASSERT_DIFFERS("edge counts differ", dr_graph_add_dep(g, 1, 2));
    ASSERT_DIFFERS("task 'load': operations differ",
                   dr_task_set_shell(g, 0, "cat y"));
    ASSERT_DIFFERS("task 'work': operations differ",
                   json_t *x = json_pack("{s:i}", "ms", 11);
                   dr_task_set_builtin(g, 1, "sleep", x); json_decref(x));
    ASSERT_DIFFERS("task 'save': operations differ",
                   const char *argv[] = {"cp", "a", "c"};
                   dr_task_set_argv(g, 2, argv, 3));
    ASSERT_DIFFERS("task 'save': operations differ",
                   const char *argv[] = {"cp", "a"};
                   dr_task_set_argv(g, 2, argv, 2));
    ASSERT_DIFFERS("task 'work': operations differ",
                   dr_task_set_function(g, 1, "f", fn_ok, NULL, NULL));
    ASSERT_DIFFERS("task 'work': costs differ", dr_task_set_cost(g, 1, 3));
    ASSERT_DIFFERS("task 'load': costs differ", dr_task_set_cost(g, 0, 1));
    ASSERT_DIFFERS("task 'load': timeout/retries differ",
                   dr_task_set_timeout(g, 0, 5));
    ASSERT_DIFFERS("task 'load': timeout/retries differ",
                   dr_task_set_retries(g, 0, 2));
    ASSERT_DIFFERS("task 'load': files differ", dr_task_add_input(g, 0, "x"));
    ASSERT_DIFFERS("task 'save': files differ", dr_task_add_output(g, 2, "c"));
    ASSERT_DIFFERS("task 'work': cache differs", dr_task_set_cache(g, 1, 0));
}

Test(graph_equal, different_keys_and_dependencies_are_named) {
    /* Same counts, a task renamed. */
    dr_graph *a = dr_graph_create(), *b = dr_graph_create();
    dr_graph_add_task(a, "x", NULL);
    dr_graph_add_task(a, "y", NULL);
    dr_graph_add_task(a, "z", NULL);
    dr_graph_add_task(b, "x", NULL);
    dr_graph_add_task(b, "y", NULL);
    dr_graph_add_task(b, "w", NULL);
    char why[256] = "";
    cr_assert_not(dr_graph_equal(a, b, why, sizeof(why)));
    cr_assert_str_eq(why, "task 'z' is missing");
    dr_graph_destroy(b);
    /* Same counts, one dependency different. */
    b = dr_graph_create();
    dr_graph_add_task(b, "x", NULL);
    dr_graph_add_task(b, "y", NULL);
    dr_graph_add_task(b, "z", NULL);
    dr_graph_add_dep_key(a, "z", "x");
    dr_graph_add_dep_key(b, "z", "y");
    cr_assert_not(dr_graph_equal(a, b, why, sizeof(why)));
    cr_assert_str_eq(why, "task 'z': dependency 'x' differs");
    dr_graph_add_dep_key(a, "y", "x");
    dr_graph_add_dep_key(b, "z", "x");
    cr_assert_not(dr_graph_equal(a, b, why, sizeof(why)));
    cr_assert_str_eq(why, "task 'y': dependency counts differ");
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

/* ------------------------------------------------------------------ op table
 */

Test(ops, registered_functions_are_found_by_name) {
    dr_ops *ops = dr_ops_create();
    int ud1, ud2;
    cr_assert_eq(dr_ops_count(ops), 0);
    cr_assert_eq(dr_ops_register(ops, "load_csv", fn_ok, &ud1), 0);
    cr_assert_eq(dr_ops_register(ops, "train", fn_other, &ud2), 0);
    cr_assert_eq(dr_ops_count(ops), 2);
    cr_assert_str_eq(dr_ops_name(ops, 1), "train");
    cr_assert_null(dr_ops_name(ops, 2));
    dr_task_fn fn = NULL;
    void *ud = NULL;
    cr_assert_eq(dr_ops_find(ops, "train", &fn, &ud), 0);
    cr_assert_eq(fn, fn_other);
    cr_assert_eq(ud, &ud2);
    cr_assert_eq(dr_ops_find(ops, "load_csv", NULL, NULL), 0);
    cr_assert_eq(dr_ops_find(ops, "nope", &fn, &ud), DR_ENOENT);
    cr_assert_eq(dr_ops_find(NULL, "train", &fn, &ud), DR_ENOENT);
    /* Registering again replaces. */
    cr_assert_eq(dr_ops_register(ops, "train", fn_ok, NULL), 0);
    cr_assert_eq(dr_ops_count(ops), 2);
    cr_assert_eq(dr_ops_find(ops, "train", &fn, &ud), 0);
    cr_assert_eq(fn, fn_ok);
    cr_assert_null(ud);
    dr_ops_destroy(ops);
}

Test(ops, builtin_and_empty_names_are_refused) {
    dr_ops *ops = dr_ops_create();
    for (const char *const *n = dr_builtin_names(); *n != NULL; n++)
        cr_assert_eq(dr_ops_register(ops, *n, fn_ok, NULL), DR_EINVAL, "%s",
                     *n);
    cr_assert_eq(dr_ops_register(ops, "", fn_ok, NULL), DR_EINVAL);
    cr_assert_eq(dr_ops_register(ops, NULL, fn_ok, NULL), DR_EINVAL);
    cr_assert_eq(dr_ops_register(ops, "f", NULL, NULL), DR_EINVAL);
    cr_assert_eq(dr_ops_count(ops), 0);
    dr_ops_destroy(ops);
}

Test(ops, many_registrations_grow_the_table) {
    dr_ops *ops = dr_ops_create();
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "op%d", i);
        cr_assert_eq(dr_ops_register(ops, name, fn_ok, NULL), 0);
    }
    cr_assert_eq(dr_ops_count(ops), 100);
    cr_assert_eq(dr_ops_find(ops, "op99", NULL, NULL), 0);
    dr_ops_destroy(ops);
}

/* ---------------------------------------------------------------- builtins */

Test(builtins, every_listed_name_exists) {
    size_t n = 0;
    for (const char *const *p = dr_builtin_names(); *p != NULL; p++, n++)
        cr_assert(dr_builtin_exists(*p), "%s", *p);
    cr_assert_eq(n, 12);
    cr_assert_not(dr_builtin_exists("nope"));
    cr_assert_not(dr_builtin_exists(NULL));
}

static void check_msg(const char *name, const char *args_json, int code,
                      const char *expected) {
    json_t *args =
        args_json ? json_loads(args_json, JSON_DECODE_ANY, NULL) : NULL;
    char msg[256] = "";
    cr_assert_eq(dr_builtin_check(name, args, msg, sizeof(msg)), code,
                 "%s %s: %s", name, args_json ? args_json : "", msg);
    if (expected != NULL)
        cr_assert_str_eq(msg, expected);
    json_decref(args);
}

Test(builtins, arguments_are_checked_with_clear_messages) {
    check_msg("noop", NULL, 0, NULL);
    check_msg("noop", "{}", 0, NULL);
    check_msg("noop", "null", 0, NULL);
    check_msg("sleep", "{\"ms\": 2.5}", 0, NULL);
    check_msg("pi", "{\"samples\": 1000, \"seed\": 3}", 0, NULL);
    check_msg("fail", "{\"message\": \"boom\"}", 0, NULL);
    check_msg("sleep", NULL, DR_EINVAL,
              "op 'sleep' needs a number 'ms' in \"args\"");
    check_msg("sleep", "{}", DR_EINVAL,
              "op 'sleep' needs a number 'ms' in \"args\"");
    check_msg("sleep", "{\"msec\": 5}", DR_EINVAL,
              "op 'sleep': unknown argument 'msec' (expected: ms)");
    check_msg("pi", "{\"samples\": 5, \"n\": 1}", DR_EINVAL,
              "op 'pi': unknown argument 'n' (expected: samples, seed)");
    check_msg("noop", "{\"x\": 1}", DR_EINVAL,
              "op 'noop': unknown argument 'x' (it takes none)");
    check_msg("sleep", "{\"ms\": \"5\"}", DR_EINVAL,
              "op 'sleep': argument 'ms' must be a number");
    check_msg("pi", "{\"samples\": 1.5}", DR_EINVAL,
              "op 'pi': argument 'samples' must be an integer");
    check_msg("fail", "{\"message\": 3}", DR_EINVAL,
              "op 'fail': argument 'message' must be a string");
    check_msg("sleep", "{\"ms\": -1}", DR_EINVAL,
              "op 'sleep': argument 'ms' must not be negative");
    check_msg("spin", "[1]", DR_EINVAL,
              "op 'spin': \"args\" must be an object");
    check_msg("frobnicate", NULL, DR_ENOOP, "unknown op 'frobnicate'");
}

/* ------------------------------------------------------------------ errors */

Test(errors, every_code_has_a_name_and_a_text) {
    static const struct {
        int code;
        const char *name, *text;
    } all[] = {
#define ROW(name, num, text) {DR_E##name, "DR_E" #name, text},
        DR_ERRNO_MAP(ROW)
#undef ROW
    };
    cr_assert_eq(sizeof(all) / sizeof(all[0]), 17);
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        cr_assert_eq(all[i].code, -(int)(i + 1));
        cr_assert_str_eq(dr_err_name(all[i].code), all[i].name);
        cr_assert_str_eq(dr_strerror(all[i].code), all[i].text);
    }
    cr_assert_str_eq(dr_err_name(DR_ENOMEM), "DR_ENOMEM");
    cr_assert_str_eq(dr_strerror(DR_ECYCLE), "the graph has a cycle");
    cr_assert_str_eq(dr_strerror(0), "success");
    cr_assert_str_eq(dr_err_name(0), "DR_OK");
    cr_assert_str_eq(dr_strerror(-99), "unknown error");
    cr_assert_str_eq(dr_err_name(42), "DR_EUNKNOWN");
}

Test(errors, text_names_source_line_column_and_task) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(err.code, 0);
    dr__error_set(&err, DR_ENOENT, "graph.json", 12, 5, "reduce",
                  "unknown dependency '%s'", "map-7");
    cr_assert_eq(err.code, DR_ENOENT);
    cr_assert_eq(err.line, 12);
    cr_assert_eq(err.column, 5);
    cr_assert_str_eq(err.source, "graph.json");
    cr_assert_str_eq(err.task, "reduce");
    cr_assert_str_eq(err.message, "unknown dependency 'map-7'");
    cr_assert_str_eq(err.text,
                     "graph.json:12:5: task 'reduce': unknown dependency "
                     "'map-7'");
}

Test(errors, unknown_parts_are_left_out) {
    dr_error err;
    dr_error_clear(&err);
    dr__error_set(&err, DR_EPARSE, "g.stg", 3, 0, NULL, "bad line");
    cr_assert_str_eq(err.text, "g.stg:3: bad line");
    dr_error_clear(&err);
    dr__error_set(&err, DR_EIO, "out.json", 0, 0, NULL, "cannot write");
    cr_assert_str_eq(err.text, "out.json: cannot write");
    dr_error_clear(&err);
    dr__error_set(&err, DR_EINVAL, NULL, 4, 2, "t", "odd");
    cr_assert_str_eq(err.text, "task 't': odd", "no source: no position");
    dr_error_clear(&err);
    dr__error_set(&err, DR_EINVAL, "", 0, 0, "", "plain");
    cr_assert_str_eq(err.text, "plain");
}

Test(errors, first_error_wins_and_null_record_is_fine) {
    dr_error err;
    dr_error_clear(&err);
    dr__error_set(&err, DR_EFORMAT, "a.json", 1, 1, NULL, "first");
    dr__error_set(&err, DR_EIO, "b.json", 2, 2, NULL, "second");
    cr_assert_eq(err.code, DR_EFORMAT);
    cr_assert_str_eq(err.text, "a.json:1:1: first");
    dr__error_set(NULL, DR_EIO, NULL, 0, 0, NULL, "nobody listens");
    dr_error_clear(&err);
    cr_assert_eq(err.code, 0);
    cr_assert_str_eq(err.text, "");
}

Test(errors, long_parts_are_truncated_not_overflowed) {
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    dr_error err;
    dr_error_clear(&err);
    dr__error_set(&err, DR_EINVAL, big, 1, 1, big, "%s", big);
    cr_assert_eq(strlen(err.source), sizeof(err.source) - 1);
    cr_assert_eq(strlen(err.task), sizeof(err.task) - 1);
    cr_assert_lt(strlen(err.text), sizeof(err.text));
}

/* ------------------------------------------------------------ atomic files */

/* Number of entries in a folder besides . and .. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

Test(files, atomic_write_creates_and_replaces) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/out.txt", dir);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_write_file_atomic(path, "first\n", 6, &err), 0, "%s",
                 err.text);
    char *text = drt_read_file(path, NULL);
    cr_assert_str_eq(text, "first\n");
    free(text);
    cr_assert_eq(dr_write_file_atomic(path, "2", 1, &err), 0);
    text = drt_read_file(path, NULL);
    cr_assert_str_eq(text, "2");
    free(text);
    cr_assert_eq(dr_write_file_atomic(path, "", 0, &err), 0);
    size_t len = 99;
    text = drt_read_file(path, &len);
    cr_assert_eq(len, 0);
    free(text);
    cr_assert_eq(count_entries(dir), 1, "no temporary file is left");
    drt_rmtree(dir);
    free(dir);
    free(path);
}

Test(files, atomic_write_to_a_missing_folder_fails_cleanly) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/no/such/out.txt", dir);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_write_file_atomic(path, "x", 1, &err), DR_EIO);
    cr_assert_eq(err.code, DR_EIO);
    char *expected =
        drt_fmt("%s: cannot write: No such file or directory", path);
    cr_assert_str_eq(err.text, expected);
    cr_assert_eq(count_entries(dir), 0);
    /* Without an error record too. */
    cr_assert_eq(dr_write_file_atomic(path, "x", 1, NULL), DR_EIO);
    free(expected);
    drt_rmtree(dir);
    free(dir);
    free(path);
}

Test(files, atomic_write_over_a_folder_leaves_no_temporary_file) {
    char *dir = drt_tmpdir();
    char *sub = drt_fmt("%s/taken", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_write_file_atomic(sub, "x", 1, &err), DR_EIO);
    cr_assert_not_null(strstr(err.text, sub), "%s", err.text);
    cr_assert_eq(count_entries(dir), 1, "only the folder itself");
    drt_rmtree(dir);
    free(dir);
    free(sub);
}

Test(files, atomic_json_ends_with_a_newline) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/a.json", dir);
    json_t *j = json_pack("{s:i}", "n", 3);
    cr_assert_eq(dr_write_json_atomic(path, j, JSON_COMPACT, NULL), 0);
    json_decref(j);
    char *text = drt_read_file(path, NULL);
    cr_assert_str_eq(text, "{\"n\":3}\n");
    free(text);
    drt_rmtree(dir);
    free(dir);
    free(path);
}

/* ------------------------------------------------------------------ memory */

Test(graph, memory_grows_with_tasks_and_edges) {
    dr_graph *g = dr_graph_create();
    size_t empty = dr_graph_memory(g);
    cr_assert_gt(empty, 0);
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        dr_graph_add_task(g, key, NULL);
    }
    size_t tasks = dr_graph_memory(g);
    cr_assert_gt(tasks, empty + 1000 * 8);
    for (dr_task i = 1; i < 1000; i++)
        dr_graph_add_dep(g, i, i - 1);
    cr_assert_gt(dr_graph_memory(g), tasks);
    dr_graph_destroy(g);
}

Test(fileio, make_dirs_creates_parents_and_names_what_is_in_the_way) {
    char *dir = drt_tmpdir();
    char *deep = drt_fmt("%s/a/b/c", dir);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_make_dirs(deep, &err), 0, "%s", err.text);
    cr_assert_eq(dr_make_dirs(deep, &err), 0, "an existing folder is fine");
    char *file = drt_fmt("%s/file", dir);
    cr_assert_eq(drt_write_file(file, "x"), 0);
    char *under = drt_fmt("%s/sub", file);
    cr_assert_eq(dr_make_dirs(under, &err), DR_EIO);
    cr_expect_not_null(strstr(err.text, under), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "Not a directory"), "%s", err.text);
    dr_error_clear(&err);
    cr_assert_eq(dr_make_dirs(file, &err), DR_EIO, "a file is not a folder");
    drt_rmtree(dir);
    free(dir), free(deep), free(file), free(under);
}
