/*
 * The loader's front door (graph/load.c) and the limits (graph/limits.c)
 * against hostile input, as a tester would try them: binary files, huge
 * and endless inputs, UTF-16, stdin, FIFOs, folders, malformed limit
 * variables, templates that multiply text, and 100,000s of parameters.
 * Files are made in a private folder (drt_tmpdir); the big ones are sparse,
 * so they cost no disk.
 */
#include "dagrun.h"
#include "dagrun/run.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file of `size` bytes: `head` then NUL bytes (a hole, no disk). */
static char *sparse_file(const char *dir, const char *name, const char *head,
                         off_t size) {
    char *path = drt_fmt("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    size_t n = strlen(head);
    cr_assert_eq(write(fd, head, n), (ssize_t)n);
    cr_assert_eq(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

static void load_fails(const char *path, const dr_load_options *o, int code,
                       const char *text) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load(path, o, &err);
    cr_expect_null(g, "%s loaded", path);
    dr_graph_destroy(g);
    cr_expect_eq(err.code, code, "%s: %s, expected %s (%s)", path,
                 dr_err_name(err.code), dr_err_name(code), err.text);
    cr_expect(strstr(err.text, text) != NULL, "%s:\n  expected: %s\n  got: %s",
              path, text, err.text);
}

/* --------------------------------------------------------- binary input */

Test(load, a_file_of_nul_bytes_is_called_binary_not_a_syntax_error) {
    /* Issue 9: 3 GB of NULs said "1:1: '[' or '{' expected near end of
     * file" after reading them all. */
    char *dir = drt_tmpdir();
    char *path = sparse_file(dir, "zeros.json", "", 64 << 20);
    load_fails(path, NULL, DR_EFORMAT,
               "zeros.json:1:1: not a text file: it holds a NUL byte");
    free(path);
    path = sparse_file(dir, "zeros", "", 64 << 20);
    load_fails(path, NULL, DR_EFORMAT, "zeros:1:1: not a text file");
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(load, dev_zero_fails_at_once) {
    /* Issue 9: `validate /dev/zero` read 9.7 GB before failing.  It is a
     * character device: no size to check first, so reading stops at the
     * first chunk with a NUL in it. */
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "validate /dev/zero");
    cr_expect_eq(rc, 2, "exit %d", rc);
    cr_expect_str_eq(err, "dagrun: /dev/zero:1:1: not a text file: it holds a "
                          "NUL byte (a graph is UTF-8 text; convert UTF-16 "
                          "with iconv -f UTF-16 -t UTF-8)\n");
    free(out);
    free(err);
}

Test(load, a_nul_byte_after_text_is_placed_by_line_and_column) {
    const char text[] =
        "{\"tasks\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\0\"}]}";
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(text, sizeof(text) - 1, "g.json", NULL, &err));
    cr_expect(strstr(err.text, "g.json:3:12: not a text file") == err.text,
              "%s", err.text);
}

/* ------------------------------------------------------------ file size */

Test(load, a_file_over_the_byte_limit_is_refused_after_one_chunk) {
    /* 3 GiB: text at the start, so the limit rather than binary data is
     * what is reported; the rest is a hole. */
    char *dir = drt_tmpdir();
    char head[70000];
    memset(head, ' ', sizeof(head) - 1);
    head[0] = '{';
    head[sizeof(head) - 1] = '\0';
    char *path = sparse_file(dir, "huge.json", head, (off_t)3 << 30);
    load_fails(path, NULL, DR_ETOOBIG,
               "huge.json: the file is 3221225472 bytes, more than the limit "
               "of 1073741824 bytes (set DAGRUN_MAX_GRAPH_BYTES to raise it)");
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(load, the_byte_limit_is_exact_and_raised_by_the_environment) {
    char *dir = drt_tmpdir();
    /* Exactly 1024 bytes: padded with spaces. */
    char text[1025];
    memset(text, ' ', 1024);
    text[1024] = '\0';
    memcpy(text, "{\"tasks\": [{\"id\": \"a\"}]}", 24);
    char *path = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(path, text), 0);
    setenv("DAGRUN_MAX_GRAPH_BYTES", "1K", 1);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_expect_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
    setenv("DAGRUN_MAX_GRAPH_BYTES", "1023", 1);
    load_fails(path, NULL, DR_ETOOBIG,
               "g.json: the file is 1024 bytes, more than the limit of 1023 "
               "bytes (set DAGRUN_MAX_GRAPH_BYTES to raise it)");
    /* From memory too. */
    dr_error_clear(&err);
    cr_expect_null(dr_graph_load_buffer(text, 1024, "m.json", NULL, &err));
    cr_expect_str_eq(err.text,
                     "m.json: the graph is 1024 bytes, more than the limit of "
                     "1023 bytes (set DAGRUN_MAX_GRAPH_BYTES to raise it)");
    /* The option wins over the variable. */
    dr_load_options o = {0};
    o.max_bytes = 2048;
    dr_error_clear(&err);
    g = dr_graph_load(path, &o, &err);
    cr_expect_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
    unsetenv("DAGRUN_MAX_GRAPH_BYTES");
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(load, a_malformed_limit_variable_is_a_load_error) {
    static const char *const bad[] = {"lots", "-1",   "0",
                                      "12Q",  "1.5G", "99999999999999999999G"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("DAGRUN_MAX_GRAPH_BYTES", bad[i], 1);
        dr_error err;
        dr_error_clear(&err);
        const char *text = "{\"tasks\": []}";
        cr_expect_null(
            dr_graph_load_buffer(text, strlen(text), "g.json", NULL, &err),
            "'%s' accepted", bad[i]);
        cr_expect_eq(err.code, DR_EINVAL);
        char *want =
            drt_fmt("DAGRUN_MAX_GRAPH_BYTES='%s' is not a limit", bad[i]);
        cr_expect(strstr(err.text, want) != NULL, "%s", err.text);
        free(want);
    }
    unsetenv("DAGRUN_MAX_GRAPH_BYTES");
}

/* -------------------------------------------- stdin, FIFOs and folders */

Test(load, stdin_is_read_to_the_limit_and_no_further) {
    char *out = NULL, *err = NULL;
    /* `yes` never ends: dagrun must stop reading at the limit. */
    /* drt_cli redirects the last command only: the rest runs in braces. */
    int rc = drt_cli(&out, &err,
                     "--help >/dev/null; { %s gen chain --set n=2 | %s "
                     "validate -; yes | DAGRUN_MAX_GRAPH_BYTES=1M %s validate "
                     "-; }",
                     drt_cli_path(), drt_cli_path(), drt_cli_path());
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_str_eq(out, "-: ok: graph 'chain-n2', 2 tasks, 1 dependency\n");
    cr_expect_str_eq(err, "dagrun: <stdin>: more than 1048576 bytes to read, "
                          "the limit for a graph (set DAGRUN_MAX_GRAPH_BYTES "
                          "to raise it)\n");
    free(out);
    free(err);
}

Test(load, a_fifo_is_read_like_a_file) {
    char *dir = drt_tmpdir();
    char *fifo = drt_fmt("%s/graph.fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "--help >/dev/null; { %s gen chain --set n=3 > %s & %s "
                     "validate --format json %s; wait; }",
                     drt_cli_path(), fifo, drt_cli_path(), fifo);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect(strstr(out, "ok: graph 'chain-n3', 3 tasks, 2 dependencies") !=
                  NULL,
              "%s", out);
    free(out);
    free(err);
    free(fifo);
    drt_rmtree(dir);
    free(dir);
}

Test(load, a_folder_is_refused_by_name) {
    char *dir = drt_tmpdir();
    load_fails(dir, NULL, DR_EIO,
               ": cannot read: Is a directory (expected a graph file)");
    char *out = NULL, *err = NULL;
    cr_expect_eq(drt_cli(&out, &err,
                         "--help >/dev/null; { %s validate - < "
                         "%s; }",
                         drt_cli_path(), dir),
                 2);
    cr_expect(strstr(err, "<stdin>: cannot read: Is a directory") != NULL, "%s",
              err);
    free(out);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(load, a_byte_order_mark_before_stg_is_skipped) {
    const char *text = "\xEF\xBB\xBF"
                       "1\n0 0 0\n1 2 1 0\n2 0 1 1\n";
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "b.stg", NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 1);
    dr_graph_destroy(g);
}

/* ------------------------------------------------------ tasks and deps */

Test(load, the_task_limit_counts_plain_tasks_and_wfcommons_tasks) {
    dr_load_options o = {0};
    o.max_tasks = 2;
    const char *json = "{\"tasks\": [{\"id\": \"a\"}, {\"id\": \"b\"}, "
                       "{\"id\": \"c\"}]}";
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(json, strlen(json), "p.json", &o, &err));
    cr_expect_str_eq(err.text,
                     "p.json:1:45: task 'c': this task brings the graph to 3 "
                     "tasks, more than the limit of 2 (set DAGRUN_MAX_TASKS "
                     "to raise it)");
    const char *wf =
        "{\"workflow\": {\"tasks\": [{\"name\": \"a\"}, {\"name\": "
        "\"b\"}, {\"name\": \"c\"}]}}";
    dr_error_clear(&err);
    cr_expect_null(dr_graph_load_buffer(wf, strlen(wf), "w.json", &o, &err));
    cr_expect_str_eq(err.text, "w.json: WfCommons: 3 tasks, more than the "
                               "limit of 2 (set DAGRUN_MAX_TASKS to raise it)");
    o.max_tasks = 3;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(wf, strlen(wf), "w.json", &o, &err);
    cr_expect_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
}

Test(load, wfcommons_parents_past_the_dependency_limit_are_refused) {
    const char *wf =
        "{\"workflow\": {\"tasks\": [{\"name\": \"a\"}, {\"name\": "
        "\"b\", \"parents\": [\"a\"]},\n{\"name\": \"c\", "
        "\"parents\": [\"a\", \"b\"]}]}}";
    dr_load_options o = {0};
    o.max_deps = 2;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_graph_load_buffer(wf, strlen(wf), "w.json", &o, &err));
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect_str_eq(err.text,
                     "w.json:2:26: task 'c': more than 2 dependencies, the "
                     "limit (set DAGRUN_MAX_DEPS to raise it)");
}

/* ------------------------------------------------------------ templates */

static int note(dr_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return 0;
}

Test(load, expanded_arguments_past_the_byte_limit_are_refused) {
    /* The id and the files are checked before expanding; arguments only
     * as they grow. */
    const char *text =
        "{\"tasks\": [{\"id\": \"t{i}\", \"range\": {\"i\": 100}, \"op\": "
        "\"note\", \"args\": {\"note\": \"{i} xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}]}";
    dr_ops *ops = dr_ops_create();
    cr_assert_eq(dr_ops_register(ops, "note", note, NULL), 0);
    dr_load_options o = {0};
    o.ops = ops;
    o.max_bytes = 1000;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(text, strlen(text), "a.json", &o, &err));
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect_str_eq(err.text,
                     "a.json:1:19: task 't{i}': the graph's ids, commands, "
                     "file names and arguments pass 1000 bytes at this "
                     "template, the limit (set DAGRUN_MAX_GRAPH_BYTES to "
                     "raise it)");
    o.max_bytes = 100000;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "a.json", &o, &err);
    cr_expect_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
}

Test(load, a_long_command_times_a_big_range_is_refused_before_expanding) {
    const char *text =
        "{\"tasks\": [{\"id\": \"t{i}\", \"range\": {\"i\": 1000},"
        " \"cmd\": [\"echo\", \"{{{i}}}\"], \"outputs\": "
        "[\"out/{i}.txt\"]}]}";
    dr_load_options o = {0};
    /* Per task at least: "t" + NUL, "echo" + NUL, "{}" + NUL,
     * "out/.txt" + NUL = 2 + 5 + 3 + 9 = 19 bytes. */
    o.max_bytes = 18999;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(text, strlen(text), "c.json", &o, &err));
    cr_expect_str_eq(err.text,
                     "c.json:1:36: task 't{i}': template 't{i}' expands to "
                     "at least 19000 bytes of ids, commands, file names and "
                     "arguments, more than the limit of 18999 (set "
                     "DAGRUN_MAX_GRAPH_BYTES to raise it)");
    o.max_bytes = 100000;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "c.json", &o, &err);
    cr_assert_not_null(g, "%s", err.text);
    size_t argc;
    const char *const *argv = dr_task_argv(g, dr_graph_find(g, "t7"), &argc);
    cr_expect_str_eq(argv[1], "{7}");
    dr_graph_destroy(g);
}

/* ----------------------------------------------------------- parameters */

/* Issue 9: 100,000 parameters took 10.8 s, quadratic in their number (each
 * one was looked up and recorded by a linear scan).  400,000 of them, each
 * an expression over the first, with a template per 1,000 of them: the
 * values must all arrive.  The timeout is a guard against the quadratic
 * path (minutes here) at well over ten times what the linear one takes
 * under sanitizers; it is not a performance threshold. */
Test(load, four_hundred_thousand_parameters_load, .timeout = 240) {
    size_t n = 400000, cap = n * 32 + 1000000;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t used = (size_t)snprintf(text, cap, "{\"params\": {\"p0\": 7");
    for (size_t i = 1; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used,
                                 ", \"p%zu\": \"p0+%zu\"", i, i);
    used += (size_t)snprintf(text + used, cap - used, "}, \"tasks\": [");
    for (size_t k = 0; k < n / 1000; k++)
        used += (size_t)snprintf(text + used, cap - used,
                                 "%s{\"id\": \"t%zu-{i}\", \"range\": {\"i\": "
                                 "\"p%zu - p%zu\"}}",
                                 k ? ", " : "", k, k + 2, k);
    used += (size_t)snprintf(text + used, cap - used, "]}");
    cr_assert_lt(used, cap);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, used, "p.json", NULL, &err);
    free(text);
    cr_assert_not_null(g, "%s", err.text);
    /* p0 .. p399999 (workers is not recorded when it was not set) */
    cr_expect_eq(dr_graph_nparams(g), n);
    cr_expect_str_eq(dr_graph_param_name(g, n - 1), "p399999");
    cr_expect_eq(dr_graph_param_value(g, n - 1), 7 + 399999);
    cr_expect_eq(dr_graph_ntasks(g), 2 * (n / 1000));
    cr_expect_neq(dr_graph_find(g, "t399-1"), DR_TASK_NONE);
    dr_graph_destroy(g);
}

Test(load, a_parameter_set_twice_keeps_one_entry) {
    dr_graph *g = dr_graph_create();
    cr_assert_eq(dr_graph_set_param(g, "n", 1), 0);
    cr_assert_eq(dr_graph_set_param(g, "m", 2), 0);
    cr_assert_eq(dr_graph_set_param(g, "n", 3), 0);
    cr_expect_eq(dr_graph_nparams(g), 2);
    cr_expect_str_eq(dr_graph_param_name(g, 0), "n");
    cr_expect_eq(dr_graph_param_value(g, 0), 3);
    cr_expect_eq(dr_graph_set_param(g, "", 3), DR_EINVAL);
    dr_graph_destroy(g);
}

/* -------------------------------------------------------------- messages */

Test(load, messages_escape_control_characters_and_mark_a_cut) {
    const char *text = "{\"tasks\": [{\"id\": \"a\", \"deps\": "
                       "[\"\\u001b]0;owned\\u0007\\u009b\\r\"]}]}";
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(text, strlen(text), "e\n.json", NULL, &err));
    cr_expect_str_eq(err.text, "e\\n.json:1:33: task 'a': unknown dependency "
                               "'\\x1b]0;owned\\x07\\u009b\\r'");
    /* err.source keeps the bytes for the caller. */
    cr_expect_str_eq(err.source, "e\n.json");

    char *big = malloc(5000);
    memset(big, 'k', 4999);
    big[4999] = '\0';
    char *doc = drt_fmt("{\"tasks\": [{\"id\": \"a\", \"%s\": 1}]}", big);
    dr_error_clear(&err);
    cr_expect_null(
        dr_graph_load_buffer(doc, strlen(doc), "k.json", NULL, &err));
    size_t n = strlen(err.message);
    cr_expect_lt(n, sizeof(err.message));
    cr_expect_str_eq(err.message + n - 4, "k...");
    free(doc);
    free(big);
}

/* The streaming reader (graph/json_load.c) reads "tasks" last when other
 * keys follow it: a "params" after the tasks still sets their range, and a
 * syntax error after a valid task still wins over everything. */
Test(load, params_after_tasks_still_apply) {
    static const char text[] =
        "{\"tasks\": [{\"id\": \"t{i}\", \"range\": {\"i\": \"n\"}}],\n"
        " \"params\": {\"n\": 3}, \"name\": \"late\"}\n";
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g =
        dr_graph_load_buffer(text, sizeof(text) - 1, "g.json", NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 3);
    cr_expect_str_eq(dr_graph_name(g), "late");
    dr_graph_destroy(g);
}

Test(load, a_syntax_error_after_a_bad_task_is_the_one_reported) {
    static const char text[] =
        "{\"tasks\": [{\"id\": \"a\", \"deps\": [\"x\"]},\n"
        " {\"id\": \"b\",]}\n";
    dr_error err;
    dr_error_clear(&err);
    cr_assert_null(
        dr_graph_load_buffer(text, sizeof(text) - 1, "g.json", NULL, &err));
    cr_expect_eq(err.code, DR_EPARSE, "%s", err.text);
    cr_expect_eq(err.line, 2, "%s", err.text);
}

/* The examples' `dr_error err;` is not initialised: whatever its bytes, a
 * failure must still be reported (the first recorded error wins, so stack
 * garbage once passed for an error and hid the real one). */
Test(load, an_uninitialised_error_gets_the_real_failure) {
    dr_error err;
    memset(&err, 0x5a, sizeof err);
    cr_assert_null(dr_run_graph(NULL, NULL, &err));
    cr_expect_eq(err.code, DR_EINVAL);
    cr_expect_str_eq(err.message, "no graph to run");

    memset(&err, 0x5a, sizeof err);
    cr_assert_null(dr_graph_load_buffer("{", 1, "bad.json", NULL, &err));
    cr_expect_neq(err.code, 0x5a5a5a5a);
    cr_expect_neq(err.code, 0);
    cr_expect_not_null(strstr(err.text, "bad.json"), "%s", err.text);
}
