/*
 * dagrun's JSON graph format: loading, parameters and --set, templates and
 * their expansion, dependencies on families, saving (load -> save -> load
 * gives an equal graph), the expression language, and where errors point.
 */
#include "dagrun.h"
#include "expr_internal.h"
#include "formats_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The example of docs/graph-format.md, kept in step with it. */
static const char pi_graph[] =
    "{\n"
    "  \"dagrun\": 1,\n"
    "  \"name\": \"pi-weak\",\n"
    "  \"description\": \"Monte Carlo pi, 4 chunks per worker\",\n"
    "  \"params\": {\"workers\": 1, \"n\": \"4*workers\", \"samples\": "
    "1000000},\n"
    "  \"tasks\": [\n"
    "    {\"id\": \"map-{i}\", \"range\": {\"i\": \"n\"}, \"op\": \"pi\",\n"
    "     \"args\": {\"samples\": \"{samples}\", \"seed\": \"{i}\"}, "
    "\"cost\": 0.1},\n"
    "    {\"id\": \"reduce\", \"op\": \"sum\", \"deps\": [{\"all\": "
    "\"map-{i}\"}]},\n"
    "    {\"id\": \"cell-{i}-{j}\", \"range\": {\"i\": \"4\", \"j\": [0, "
    "\"4\"]},\n"
    "     \"deps\": [{\"id\": \"cell-{i-1}-{j}\", \"if\": \"i > 0\"},\n"
    "              {\"id\": \"cell-{i}-{j-1}\", \"if\": \"j > 0\"}]},\n"
    "    {\"id\": \"wc-{i}\", \"range\": {\"i\": 2}, \"cmd\": [\"wc\", "
    "\"-l\", \"data/{i}.csv\"],\n"
    "     \"inputs\": [\"data/{i}.csv\"], \"outputs\": [\"out/{i}.txt\"], "
    "\"timeout\": 10, \"retries\": 1},\n"
    "    {\"id\": \"tot\", \"shell\": \"awk '{{s += $1}} END {{print s}}' "
    "out/*.txt\",\n"
    "     \"deps\": [{\"all\": \"wc-{i}\"}], \"cost\": 2.5}\n"
    "  ]\n"
    "}\n";

static dr_graph *load_str(const char *text, const dr_param *params,
                          size_t nparams, dr_error *err) {
    dr_load_options o = {0};
    o.params = params;
    o.nparams = nparams;
    dr_error_clear(err);
    return dr_graph_load_buffer(text, strlen(text), "g.json", &o, err);
}

static dr_graph *load_ok(const char *text, const dr_param *params,
                         size_t nparams) {
    dr_error err;
    dr_graph *g = load_str(text, params, nparams, &err);
    cr_assert_not_null(g, "load failed: %s", err.text);
    return g;
}

static int has_dep(const dr_graph *g, const char *task, const char *dep) {
    dr_task t = dr_graph_find(g, task), d = dr_graph_find(g, dep);
    cr_assert_neq(t, DR_TASK_NONE, "no task %s", task);
    size_t n;
    const dr_task *deps = dr_task_deps(g, t, &n);
    for (size_t i = 0; i < n; i++)
        if (deps[i] == d)
            return 1;
    return 0;
}

static int64_t param(const dr_graph *g, const char *name) {
    for (size_t i = 0; i < dr_graph_nparams(g); i++)
        if (strcmp(dr_graph_param_name(g, i), name) == 0)
            return dr_graph_param_value(g, i);
    cr_assert_fail("no parameter %s", name);
    return 0;
}

/* ----------------------------------------------------------- loading */

Test(json, example_graph_expands_templates) {
    dr_graph *g = load_ok(pi_graph, NULL, 0);
    /* 4 maps, reduce, 16 cells, 2 wc, tot */
    cr_expect_eq(dr_graph_ntasks(g), 24);
    /* reduce: 4, cells: 2*4*3 = 24, tot: 2 */
    cr_expect_eq(dr_graph_nedges(g), 30);
    cr_expect_str_eq(dr_graph_name(g), "pi-weak");
    cr_expect_str_eq(dr_graph_description(g),
                     "Monte Carlo pi, 4 chunks per worker");
    dr_task m2 = dr_graph_find(g, "map-2");
    cr_assert_neq(m2, DR_TASK_NONE);
    cr_expect_eq(dr_task_op_kind(g, m2), DR_OP_BUILTIN);
    cr_expect_str_eq(dr_task_op_name(g, m2), "pi");
    json_t *args = dr_task_op_args(g, m2);
    cr_expect(json_is_integer(json_object_get(args, "seed")),
              "\"{i}\" becomes an integer");
    cr_expect_eq(json_integer_value(json_object_get(args, "seed")), 2);
    cr_expect_eq(json_integer_value(json_object_get(args, "samples")), 1000000);
    cr_expect(dr_task_has_cost(g, m2));
    cr_expect_float_eq(dr_task_cost(g, m2), 0.1, 1e-12);
    dr_graph_destroy(g);
}

Test(json, range_expands_in_order_last_variable_fastest) {
    dr_graph *g = load_ok(pi_graph, NULL, 0);
    dr_task first = dr_graph_find(g, "cell-0-0");
    cr_assert_neq(first, DR_TASK_NONE);
    const char *want[] = {"cell-0-0", "cell-0-1", "cell-0-2", "cell-0-3",
                          "cell-1-0"};
    for (size_t i = 0; i < 5; i++)
        cr_expect_str_eq(dr_task_key(g, first + (dr_task)i), want[i]);
    dr_graph_destroy(g);
}

Test(json, conditional_dependencies_follow_the_condition) {
    dr_graph *g = load_ok(pi_graph, NULL, 0);
    size_t n;
    dr_task_deps(g, dr_graph_find(g, "cell-0-0"), &n);
    cr_expect_eq(n, 0);
    cr_expect(has_dep(g, "cell-2-3", "cell-1-3"));
    cr_expect(has_dep(g, "cell-2-3", "cell-2-2"));
    cr_expect(has_dep(g, "cell-0-3", "cell-0-2"));
    dr_task_deps(g, dr_graph_find(g, "cell-0-3"), &n);
    cr_expect_eq(n, 1);
    dr_graph_destroy(g);
}

Test(json, all_dependency_names_every_task_of_a_template) {
    dr_graph *g = load_ok(pi_graph, NULL, 0);
    size_t n;
    dr_task_deps(g, dr_graph_find(g, "reduce"), &n);
    cr_expect_eq(n, 4);
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof(key), "map-%d", i);
        cr_expect(has_dep(g, "reduce", key), "reduce needs %s", key);
    }
    dr_graph_destroy(g);
}

Test(json, commands_shell_files_timeout_and_retries_are_read) {
    dr_graph *g = load_ok(pi_graph, NULL, 0);
    dr_task w = dr_graph_find(g, "wc-1");
    size_t argc;
    const char *const *argv = dr_task_argv(g, w, &argc);
    cr_assert_eq(argc, 3);
    cr_expect_str_eq(argv[2], "data/1.csv");
    cr_expect_null(argv[3]);
    cr_expect_str_eq(dr_task_input(g, w, 0), "data/1.csv");
    cr_expect_str_eq(dr_task_output(g, w, 0), "out/1.txt");
    cr_expect_float_eq(dr_task_timeout(g, w), 10.0, 1e-12);
    cr_expect_eq(dr_task_retries(g, w), 1);
    dr_task t = dr_graph_find(g, "tot");
    cr_expect_str_eq(dr_task_shell(g, t),
                     "awk '{s += $1} END {print s}' out/*.txt",
                     "{{ and }} are literal braces");
    cr_expect_eq(dr_task_retries(g, t), -1);
    cr_expect_eq(dr_task_op_kind(g, dr_graph_find(g, "cell-1-1")), DR_OP_NONE);
    dr_graph_destroy(g);
}

/* ---------------------------------------------------- params and --set */

Test(json, set_overrides_apply_before_dependent_params) {
    dr_param p = {"workers", 3};
    dr_graph *g = load_ok(pi_graph, &p, 1);
    cr_expect_neq(dr_graph_find(g, "map-11"), DR_TASK_NONE);
    cr_expect_eq(dr_graph_find(g, "map-12"), DR_TASK_NONE);
    cr_expect_eq(param(g, "workers"), 3);
    cr_expect_eq(param(g, "n"), 12, "params are recorded after overrides");
    dr_graph_destroy(g);
}

Test(json, set_of_a_declared_param_replaces_its_expression) {
    dr_param p[] = {{"n", 2}, {"n", 5}};
    dr_graph *g = load_ok(pi_graph, p, 2);
    cr_expect_eq(param(g, "n"), 5, "the last --set wins");
    cr_expect_neq(dr_graph_find(g, "map-4"), DR_TASK_NONE);
    dr_graph_destroy(g);
}

Test(json, set_of_an_undeclared_param_is_an_error) {
    dr_param p = {"x", 3};
    dr_error err;
    dr_graph *g = load_str(pi_graph, &p, 1, &err);
    cr_expect_null(g);
    cr_expect_str_eq(err.text, "g.json: unknown parameter 'x' (the graph has: "
                               "workers, n, samples)");
}

Test(json, workers_is_always_defined_and_settable) {
    const char *text = "{\"params\": {\"n\": \"2*workers\"}, \"tasks\": "
                       "[{\"id\": \"t-{i}\", \"range\": {\"i\": \"n\"}}]}";
    dr_graph *g = load_ok(text, NULL, 0);
    cr_expect_eq(dr_graph_ntasks(g), 2, "workers defaults to 1");
    dr_graph_destroy(g);
    dr_param p = {"workers", 4};
    g = load_ok(text, &p, 1);
    cr_expect_eq(dr_graph_ntasks(g), 8);
    cr_expect_eq(param(g, "workers"), 4);
    dr_graph_destroy(g);
}

Test(json, param_parse_reads_name_and_expression) {
    char text[] = "n = 4*16";
    dr_param p;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_param_parse(text, &p, &err), 0, "%s", err.text);
    cr_expect_str_eq(p.name, "n");
    cr_expect_eq(p.value, 64);
    char bad[] = "2n=3";
    cr_expect_eq(dr_param_parse(bad, &p, &err), DR_EINVAL);
    dr_error_clear(&err);
    char noeq[] = "n";
    cr_expect_eq(dr_param_parse(noeq, &p, &err), DR_EINVAL);
    cr_expect(strstr(err.text, "NAME=VALUE") != NULL, "%s", err.text);
}

/* ---------------------------------------------------------- expressions */

static int64_t eval(const char *s) {
    dr__expr_var vars[] = {{"n", 10}, {"i", 3}};
    char msg[256];
    int64_t v = 0;
    cr_assert_eq(dr__expr_eval(s, strlen(s), vars, 2, &v, msg, sizeof(msg)), 0,
                 "'%s': %s", s, msg);
    return v;
}

static const char *eval_error(const char *s) {
    static char msg[256];
    dr__expr_var vars[] = {{"n", 10}};
    int64_t v;
    cr_assert_neq(dr__expr_eval(s, strlen(s), vars, 1, &v, msg, sizeof(msg)), 0,
                  "'%s' should fail", s);
    return msg;
}

Test(expr, arithmetic_follows_precedence_and_truncates) {
    cr_expect_eq(eval("2+3*4"), 14);
    cr_expect_eq(eval("(2+3)*4"), 20);
    cr_expect_eq(eval("n/i"), 3);
    cr_expect_eq(eval("-7/2"), -3);
    cr_expect_eq(eval("n%i"), 1);
    cr_expect_eq(eval("--n"), 10);
    cr_expect_eq(eval("min(n, i) + max(n, i)"), 13);
    cr_expect_eq(eval(" 4 * n - 1 "), 39);
}

Test(expr, conditions_compare_and_short_circuit) {
    cr_expect_eq(eval("i > 0 && i < n"), 1);
    cr_expect_eq(eval("i >= 4 || n == 10"), 1);
    cr_expect_eq(eval("i != 3"), 0);
    cr_expect_eq(eval("i <= 3"), 1);
    cr_expect_eq(eval("!(i == 3)"), 0);
    cr_expect_eq(eval("i - 3 > 0 && n / (i - 3) > 1"), 0,
                 "the right side is not evaluated");
}

Test(expr, errors_are_named) {
    cr_expect(strstr(eval_error("n/0"), "division by zero") != NULL);
    cr_expect(strstr(eval_error("n%0"), "division by zero") != NULL);
    cr_expect(strstr(eval_error("9223372036854775807+1"), "overflow") != NULL);
    cr_expect_str_eq(eval_error("99999999999999999999"),
                     "bad expression '99999999999999999999': number too "
                     "large (at most 9223372036854775807)");
    cr_expect(strstr(eval_error("k+1"), "unknown name 'k' (known: n)") != NULL);
    cr_expect(strstr(eval_error("n +"), "expected") != NULL);
    cr_expect(strstr(eval_error("(n"), "')'") != NULL);
    cr_expect(strstr(eval_error("n n"), "operator") != NULL);
    cr_expect(strstr(eval_error(""), "empty") != NULL);
    char deep[400];
    memset(deep, '(', 200);
    strcpy(deep + 200, "1");
    memset(deep + 201, ')', 198);
    deep[399] = '\0';
    cr_expect(strstr(eval_error(deep), "nested too deeply") != NULL);
}

Test(expr, an_indexed_scope_finds_what_the_linear_one_finds) {
    dr__expr_var vars[] = {{"a", 1}, {"b", 2}, {"c", 3}, {"i", 40}};
    json_t *index = json_object();
    for (json_int_t k = 0; k < 3; k++)
        json_object_set_new(index, vars[k].name, json_integer(k));
    /* a, b, c through the index; i, a range variable, one by one. */
    dr__expr_scope scope = {vars, 4, index, 3};
    char msg[256];
    int64_t v = 0;
    cr_expect_eq(
        dr__expr_eval_in("a + b*c + i", 11, &scope, &v, msg, sizeof(msg)), 0,
        "%s", msg);
    cr_expect_eq(v, 47);
    /* A name past the visible ones is unknown, indexed or not. */
    scope.nvars = 2;
    scope.nindexed = 2;
    cr_expect_neq(dr__expr_eval_in("c", 1, &scope, &v, msg, sizeof(msg)), 0);
    cr_expect_str_eq(msg, "bad expression 'c': unknown name 'c' (known: a, b)");
    /* A prefix of a name is not the name. */
    cr_expect_neq(dr__expr_eval_in("ab", 2, &scope, &v, msg, sizeof(msg)), 0);
    json_decref(index);
}

/* ----------------------------------------------------------- positions */

Test(json, unknown_dependency_names_file_line_column_and_task) {
    const char *text = "{\"tasks\": [\n"
                       "  {\"id\": \"a\"},\n"
                       "  {\"id\": \"reduce\",\n"
                       "   \"deps\": [\"a\", \"map-7\"]}\n"
                       "]}\n";
    dr_error err;
    cr_assert_null(load_str(text, NULL, 0, &err));
    cr_expect_eq(err.code, DR_ENOENT);
    cr_expect_str_eq(err.text,
                     "g.json:4:18: task 'reduce': unknown dependency 'map-7'");
    cr_expect_eq(err.line, 4);
    cr_expect_eq(err.column, 18);
    cr_expect_str_eq(err.task, "reduce");
}

Test(json, syntax_error_names_jansson_position) {
    dr_error err;
    cr_assert_null(
        load_str("{\"tasks\": [\n  {\"id\": \"a\",}\n]}", NULL, 0, &err));
    cr_expect_eq(err.code, DR_EPARSE);
    cr_expect(strncmp(err.text, "g.json:2:", 9) == 0, "%s", err.text);
}

Test(json, cycle_names_the_file_and_the_cycle) {
    const char *text = "{\"tasks\": [\n"
                       "  {\"id\": \"c\", \"deps\": [\"b\"]},\n"
                       "  {\"id\": \"b\", \"deps\": [\"a\"]},\n"
                       "  {\"id\": \"a\", \"deps\": [\"c\"]}\n"
                       "]}\n";
    dr_error err;
    cr_assert_null(load_str(text, NULL, 0, &err));
    cr_expect_eq(err.code, DR_ECYCLE);
    cr_expect_str_eq(err.text,
                     "g.json:4:24: task 'a': cycle: a -> b -> c -> a");
}

Test(json, locate_finds_values_through_escapes_and_unicode) {
    const char *text = "{\"a\\\"b\": 1, \"\\u00e9\": {\"x\": [10, \"}\", "
                       "\"\\u00e9\"]},\n \"k\":\n   \"v\"}";
    dr__json_step p1[] = {{"\xc3\xa9", 0}, {"x", 0}, {NULL, 2}};
    int line, col;
    cr_assert_eq(dr__json_locate(text, strlen(text), p1, 3, &line, &col), 0);
    cr_expect_eq(line, 1);
    cr_expect_eq(col, 39);
    dr__json_step p2[] = {{"k", 0}};
    cr_assert_eq(dr__json_locate(text, strlen(text), p2, 1, &line, &col), 0);
    cr_expect_eq(line, 3);
    cr_expect_eq(col, 4);
    dr__json_step p3[] = {{"a\"b", 0}};
    cr_assert_eq(dr__json_locate(text, strlen(text), p3, 1, &line, &col), 0);
    cr_expect_eq(col, 10);
    dr__json_step missing[] = {{"nope", 0}};
    cr_expect_eq(dr__json_locate(text, strlen(text), missing, 1, &line, &col),
                 -1);
    cr_expect_eq(line, 0);
}

/* --------------------------------------------------------------- options */

Test(json, expansion_cap_is_checked_before_allocating) {
    const char *text = "{\"params\": {\"n\": 300},\"tasks\": [{\"id\": "
                       "\"t-{i}-{j}\", \"range\": {\"i\": \"n\", \"j\": "
                       "\"n\"}}]}";
    dr_load_options o = {0};
    o.max_tasks = 89999;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(dr_graph_load_buffer(text, strlen(text), NULL, &o, &err));
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect(strstr(err.text, "template 't-{i}-{j}' expands to 90000 "
                               "tasks, more than the limit of 89999") != NULL,
              "%s", err.text);
    o.max_tasks = 90000;
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), NULL, &o, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 90000);
    dr_graph_destroy(g);
}

static int my_fn(dr_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return 0;
}

Test(json, registered_ops_become_function_tasks) {
    dr_ops *ops = dr_ops_create();
    int token;
    cr_assert_eq(dr_ops_register(ops, "my_op", my_fn, &token), 0);
    const char *text = "{\"tasks\": [{\"id\": \"a\", \"op\": \"my_op\", "
                       "\"args\": {\"k\": \"{1+1}\"}}]}";
    dr_load_options o = {0};
    o.ops = ops;
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), NULL, &o, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_task_op_kind(g, 0), DR_OP_FUNCTION);
    void *ud = NULL;
    cr_expect_eq(dr_task_function(g, 0, &ud), my_fn);
    cr_expect_eq(ud, &token);
    cr_expect_eq(
        json_integer_value(json_object_get(dr_task_op_args(g, 0), "k")), 2);
    dr_graph_destroy(g);
    /* Without the table the op is unknown. */
    dr_error_clear(&err);
    cr_expect_null(dr_graph_load_buffer(text, strlen(text), NULL, NULL, &err));
    cr_expect_eq(err.code, DR_ENOOP);
    dr_ops_destroy(ops);
}

Test(json, empty_task_list_is_an_empty_graph) {
    dr_graph *g = load_ok("{\"tasks\": []}", NULL, 0);
    cr_expect_eq(dr_graph_ntasks(g), 0);
    cr_expect_str_eq(dr_graph_name(g), "g", "named after the file");
    dr_graph_destroy(g);
}

Test(json, buffer_without_source_is_named_string) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(
        dr_graph_load_buffer("{\"tasks\": 1}", 12, NULL, NULL, &err));
    cr_expect(strncmp(err.text, "<string>:1:", 11) == 0, "%s", err.text);
}

Test(json, missing_file_is_an_io_error) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(dr_graph_load("/nonexistent/g.json", NULL, &err));
    cr_expect_eq(err.code, DR_EIO);
    cr_expect_str_eq(err.text,
                     "/nonexistent/g.json: cannot read: No such file or "
                     "directory");
}

Test(json, format_names_round_trip) {
    dr_format all[] = {DR_FORMAT_JSON, DR_FORMAT_STG, DR_FORMAT_WFCOMMONS};
    for (size_t i = 0; i < 3; i++)
        cr_expect_eq(dr_format_from_name(dr_format_name(all[i])), all[i]);
    cr_expect_eq(dr_format_from_name("nonsense"), DR_FORMAT_AUTO);
}

Test(json, unknown_content_is_reported) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(dr_graph_load_buffer("hello", 5, "x", NULL, &err));
    cr_expect(strstr(err.text, "cannot tell the format") != NULL, "%s",
              err.text);
}

/* ------------------------------------------------------------ round trip */

static void round_trip(const char *text) {
    dr_graph *a = load_ok(text, NULL, 0);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/saved.json", dir);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_graph_save(a, path, &err), 0, "%s", err.text);
    dr_error_clear(&err);
    dr_graph *b = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(b, "reload failed: %s", err.text);
    char why[256] = "";
    cr_expect(dr_graph_equal(a, b, why, sizeof(why)), "not equal: %s", why);
    /* Saving the reloaded graph gives the same bytes. */
    char *path2 = drt_fmt("%s/again.json", dir);
    cr_assert_eq(dr_graph_save(b, path2, &err), 0, "%s", err.text);
    char *t1 = drt_read_file(path, NULL), *t2 = drt_read_file(path2, NULL);
    cr_expect_str_eq(t1, t2);
    /* dr_graph_to_json gives the same document. */
    json_t *j = dr_graph_to_json(a);
    json_t *k = json_loads(t1, 0, NULL);
    cr_expect(json_equal(j, k));
    json_decref(j);
    json_decref(k);
    free(t1);
    free(t2);
    free(path2);
    free(path);
    drt_rmtree(dir);
    free(dir);
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

Test(json, save_then_load_gives_an_equal_graph) {
    round_trip(pi_graph);
    round_trip("{\"tasks\": []}");
    round_trip("{\"name\": \"x\", \"tasks\": [{\"id\": \"a{{1}}\", \"shell\": "
               "\"echo '}}{{'\"}, {\"id\": \"b\", \"op\": \"fail\", \"args\": "
               "{\"message\": \"{{oops}}\"}, \"deps\": [\"a{{1}}\"], "
               "\"cost\": 1e-3}]}");
    round_trip("{\"params\": {\"n\": 3}, \"tasks\": [{\"id\": \"s-{i}\", "
               "\"range\": {\"i\": \"n\"}, \"op\": \"sleep\", \"args\": "
               "{\"ms\": \"{i*10}\"}, \"cost\": 0.3333333333333333, "
               "\"timeout\": 2.5, \"retries\": 0, \"inputs\": [\"in {{a}}\"], "
               "\"outputs\": [\"o{i}\", \"p{i}\"]}, {\"id\": \"z\", \"cmd\": "
               "[\"printf\", \"%s\\n\", \"{{x}}\"], \"deps\": [{\"all\": "
               "\"s-{i}\"}]}]}");
}

Test(json, cache_false_is_read_saved_only_when_false_and_round_trips) {
    const char *text = "{\"tasks\": [{\"id\": \"clock\", \"shell\": \"date\", "
                       "\"cache\": false}, {\"id\": \"s-{i}\", \"range\": "
                       "{\"i\": 2}, \"cache\": true, \"deps\": [\"clock\"]}, "
                       "{\"id\": \"plain\"}]}";
    dr_graph *g = load_ok(text, NULL, 0);
    cr_expect_eq(dr_task_cache(g, dr_graph_find(g, "clock")), 0);
    cr_expect_eq(dr_task_cache(g, dr_graph_find(g, "s-1")), 1);
    cr_expect_eq(dr_task_cache(g, dr_graph_find(g, "plain")), 1);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/out.json", dir);
    cr_assert_eq(dr_graph_save(g, path, NULL), 0);
    char *saved = drt_read_file(path, NULL);
    cr_expect(strstr(saved, "{\"id\": \"clock\", \"shell\": \"date\", "
                            "\"cache\": false}") != NULL,
              "%s", saved);
    /* true is the default, and is not written. */
    cr_expect(strstr(saved, "true") == NULL, "%s", saved);
    free(saved);
    free(path);
    drt_rmtree(dir);
    free(dir);
    dr_graph_destroy(g);
    round_trip(text);
}

Test(json, saved_file_records_params_and_one_task_a_line) {
    dr_param p = {"n", 2};
    dr_graph *g = load_ok(pi_graph, &p, 1);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/out.json", dir);
    cr_assert_eq(dr_graph_save(g, path, NULL), 0);
    char *text = drt_read_file(path, NULL);
    cr_expect(strstr(text, "\"params\": {\"workers\": 1, \"n\": 2, "
                           "\"samples\": 1000000}") != NULL,
              "%s", text);
    cr_expect(strstr(text,
                     "\n    {\"id\": \"map-1\", \"op\": \"pi\", "
                     "\"args\": {\"samples\": 1000000, \"seed\": 1}") != NULL,
              "%s", text);
    free(text);
    free(path);
    drt_rmtree(dir);
    free(dir);
    dr_graph_destroy(g);
}

Test(json, unnamed_function_tasks_cannot_be_saved) {
    dr_graph *g = dr_graph_create();
    dr_task t;
    dr_graph_add_task(g, "f", &t);
    dr_task_set_function(g, t, NULL, my_fn, NULL, NULL);
    cr_expect_null(dr_graph_to_json(g));
    dr_error err;
    dr_error_clear(&err);
    cr_expect_neq(dr_graph_save(g, "/tmp/never-written.json", &err), 0);
    cr_expect(strstr(err.text, "no registered name") != NULL, "%s", err.text);
    dr_graph_destroy(g);
}

/* -------------------------------------------------------------- the CLI */

Test(json, convert_writes_dagrun_json_and_says_so) {
    char *dir = drt_tmpdir();
    char *in = drt_fmt("%s/pi.json", dir);
    char *outp = drt_fmt("%s/flat.json", dir);
    cr_assert_eq(drt_write_file(in, pi_graph), 0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "convert %s -o %s --set n=3", in, outp);
    cr_expect_eq(rc, 0, "stderr: %s", err);
    cr_expect(strstr(out, "wrote ") != NULL && strstr(out, "23 tasks") != NULL,
              "stdout: %s", out);
    free(out);
    free(err);
    dr_error e;
    dr_error_clear(&e);
    dr_graph *g = dr_graph_load(outp, NULL, &e);
    cr_assert_not_null(g, "%s", e.text);
    cr_expect_eq(dr_graph_ntasks(g), 23);
    dr_graph_destroy(g);

    rc = drt_cli(&out, &err, "convert %s", in);
    cr_expect_eq(rc, 2, "missing -o is a usage error");
    free(out);
    free(err);
    rc = drt_cli(&out, &err, "convert %s -o %s --set nope=1", in, outp);
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "unknown parameter 'nope'") != NULL, "%s", err);
    free(out);
    free(err);
    rc = drt_cli(&out, &err, "convert --help");
    cr_expect_eq(rc, 0);
    cr_expect(strstr(out, "Exit codes") != NULL);
    free(out);
    free(err);
    free(in);
    free(outp);
    drt_rmtree(dir);
    free(dir);
}

Test(json, dependency_count_is_capped) {
    const char *text =
        "{\"tasks\": [{\"id\": \"a-{i}\", \"range\": {\"i\": 1500}},"
        "{\"id\": \"b-{i}\", \"range\": {\"i\": 1500}, \"deps\": "
        "[{\"all\": \"a-{i}\"}]}]}";
    dr_load_options o = {0};
    o.max_tasks = 5000;
    o.max_deps = 1000000;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(dr_graph_load_buffer(text, strlen(text), NULL, &o, &err));
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect(strstr(err.text, "more than 1000000 dependencies, the limit "
                               "(set DAGRUN_MAX_DEPS to raise it)") != NULL,
              "%s", err.text);
}
