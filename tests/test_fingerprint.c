/*
 * Fingerprints (graph/fingerprint.c): what makes two tasks, JSON values or
 * files the same for a resumed run, and what makes them differ.  Every
 * field is hashed behind a tag and a length, so values that would run
 * together ("ab","c" and "a","bc") stay apart.
 */
#include "dagrun.h"
#include "fingerprint.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* ------------------------------------------------------------ helpers */

static dr_graph *graph(void) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    return g;
}

static dr_task task(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
    return t;
}

static dr__fp op_fp(const dr_graph *g, dr_task t, const char *workdir) {
    dr__fp f;
    cr_assert_eq(dr__task_op_fp(g, t, workdir, &f), 0);
    return f;
}

static dr__fp json_fp_of(const char *text) {
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(v, "%s: %s", text, jerr.text);
    dr__fp f;
    cr_assert_eq(dr__json_fp(v, &f), 0);
    json_decref(v);
    return f;
}

static int same(dr__fp a, dr__fp b) { return dr__fp_equal(&a, &b); }

static json_t *args(const char *text) {
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    cr_assert_not_null(v, "%s: %s", text, jerr.text);
    return v;
}

/* Sets the task's builtin op (args given as JSON text, NULL: none). */
static void builtin(dr_graph *g, dr_task t, const char *name,
                    const char *json) {
    json_t *a = json ? args(json) : NULL;
    cr_assert_eq(dr_task_set_builtin(g, t, name, a), 0);
    json_decref(a);
}

static int fn(dr_call *call, void *data) {
    (void)call;
    (void)data;
    return 0;
}

static void set_mtime(const char *path, time_t sec, long nsec) {
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0, "utimensat %s", path);
}

static dr__file_fp file_fp(const char *dir, const char *name) {
    dr__file_fp f;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__file_fp_compute(dir, name, &f, &err), 0, "%s", err.text);
    return f;
}

/* ------------------------------------------------------ fingerprints */

Test(fingerprint, hex_round_trip_and_bad_text) {
    dr__fp f = {0x0123456789abcdefull, 0xfedcba9876543210ull}, g;
    char hex[DR__FP_HEX];
    dr__fp_hex(&f, hex);
    cr_expect_str_eq(hex, "0123456789abcdeffedcba9876543210");
    cr_assert_eq(dr__fp_parse(hex, &g), 0);
    cr_expect(dr__fp_equal(&f, &g));
    cr_expect_eq(dr__fp_parse("0123", &g), -1, "too short");
    cr_expect_eq(dr__fp_parse("0123456789abcdeffedcba98765432100", &g), -1,
                 "too long");
    cr_expect_eq(dr__fp_parse("0123456789abcdeffedcba987654321x", &g), -1,
                 "not hex");
    cr_expect_eq(dr__fp_parse(NULL, &g), -1);
}

Test(fingerprint, same_task_twice_is_the_same) {
    dr_graph *a = graph(), *b = graph();
    builtin(a, task(a, "t"), "sleep", "{\"ms\": 5}");
    builtin(b, task(b, "other-key"), "sleep", "{\"ms\": 5}");
    cr_expect(same(op_fp(a, 0, NULL), op_fp(b, 0, NULL)),
              "the key is not part of what a task does");
    dr_task_set_cost(b, 0, 3);
    dr_task_set_timeout(b, 0, 9);
    dr_task_set_retries(b, 0, 2);
    cr_expect(same(op_fp(a, 0, NULL), op_fp(b, 0, NULL)),
              "cost, timeout and retries do not change the result");
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

Test(fingerprint, op_kind_differs) {
    dr_graph *g = graph();
    dr_task none = task(g, "none"), noop = task(g, "noop"), f = task(g, "fn");
    builtin(g, noop, "noop", NULL);
    cr_assert_eq(dr_task_set_function(g, f, "noop", fn, NULL, NULL), 0);
    cr_expect(!same(op_fp(g, none, NULL), op_fp(g, noop, NULL)));
    cr_expect(!same(op_fp(g, noop, NULL), op_fp(g, f, NULL)),
              "a function named like a builtin is another operation");
    dr_graph_destroy(g);
}

Test(fingerprint, op_name_differs_in_both_halves) {
    dr_graph *g = graph();
    dr_task a = task(g, "a"), b = task(g, "b");
    builtin(g, a, "sleep", "{\"ms\": 5}");
    builtin(g, b, "spin", "{\"ms\": 5}");
    dr__fp fa = op_fp(g, a, NULL), fb = op_fp(g, b, NULL);
    cr_expect_neq(fa.hi, fb.hi, "the name is in the half naming the op");
    cr_expect_neq(fa.lo, fb.lo);
    dr_graph_destroy(g);
}

Test(fingerprint, args_key_order_is_irrelevant_values_are_not) {
    dr_graph *g = graph();
    dr_task a = task(g, "a"), b = task(g, "b"), c = task(g, "c"),
            d = task(g, "d");
    builtin(g, a, "sum",
            "{\"x\": 1, \"y\": [1, 2], \"z\": {\"p\": 1, "
            "\"q\": 2}}");
    builtin(g, b, "sum",
            "{\"z\": {\"q\": 2, \"p\": 1}, \"y\": [1, 2], "
            "\"x\": 1}");
    builtin(g, c, "sum",
            "{\"x\": 1, \"y\": [2, 1], \"z\": {\"p\": 1, "
            "\"q\": 2}}");
    builtin(g, d, "sum", NULL);
    cr_expect(same(op_fp(g, a, NULL), op_fp(g, b, NULL)));
    dr__fp fa = op_fp(g, a, NULL), fc = op_fp(g, c, NULL);
    cr_expect(!same(fa, fc), "array order is part of the value");
    cr_expect_eq(fa.hi, fc.hi, "same op: only the arguments' half differs");
    cr_expect(!same(fa, op_fp(g, d, NULL)), "no args differs from some");
    dr_graph_destroy(g);
}

Test(fingerprint, argv_split_and_shell) {
    dr_graph *g = graph();
    dr_task a = task(g, "a"), b = task(g, "b"), c = task(g, "c"),
            d = task(g, "d"), e = task(g, "e"), f = task(g, "f");
    const char *va[] = {"echo", "ab", "c"}, *vb[] = {"echo", "a", "bc"},
               *vc[] = {"echo", "ab", "c"};
    cr_assert_eq(dr_task_set_argv(g, a, va, 3), 0);
    cr_assert_eq(dr_task_set_argv(g, b, vb, 3), 0);
    cr_assert_eq(dr_task_set_argv(g, c, vc, 3), 0);
    cr_assert_eq(dr_task_set_shell(g, d, "echo ab c"), 0);
    cr_assert_eq(dr_task_set_shell(g, e, "echo ab c"), 0);
    cr_assert_eq(dr_task_set_shell(g, f, "echo ab  c"), 0);
    cr_expect(same(op_fp(g, a, "/w"), op_fp(g, c, "/w")));
    cr_expect(!same(op_fp(g, a, "/w"), op_fp(g, b, "/w")),
              "[\"ab\",\"c\"] and [\"a\",\"bc\"] are other commands");
    cr_expect(!same(op_fp(g, a, "/w"), op_fp(g, d, "/w")),
              "argv and the same words in a shell string differ");
    cr_expect(same(op_fp(g, d, "/w"), op_fp(g, e, "/w")));
    cr_expect(!same(op_fp(g, d, "/w"), op_fp(g, f, "/w")));
    dr_graph_destroy(g);
}

Test(fingerprint, working_folder_is_part_of_a_command_only) {
    dr_graph *g = graph();
    dr_task cmd = task(g, "cmd"), b = task(g, "b");
    cr_assert_eq(dr_task_set_shell(g, cmd, "make"), 0);
    builtin(g, b, "noop", NULL);
    dr__fp w1 = op_fp(g, cmd, "/w1"), w2 = op_fp(g, cmd, "/w2");
    cr_expect(!same(w1, w2));
    cr_expect_eq(w1.hi, w2.hi, "same command: only the second half differs");
    char *cwd = getcwd(NULL, 0);
    cr_expect(same(op_fp(g, cmd, NULL), op_fp(g, cmd, cwd)),
              "NULL is the current folder");
    cr_expect(same(op_fp(g, cmd, "."), op_fp(g, cmd, cwd)),
              "a relative folder is made absolute");
    free(cwd);
    cr_expect(same(op_fp(g, b, "/w1"), op_fp(g, b, "/w2")),
              "a builtin does not run in a folder");
    dr_graph_destroy(g);
}

Test(fingerprint, reals_read_back_hash_the_same) {
    static const double xs[] = {
        0.1,       0.30000000000000004, 1e-7, 2.0, 1e300,
        -0.054023, 3.141592653589793};
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        json_t *v = json_pack("{s:f,s:[f,i]}", "x", xs[i], "y", xs[i] / 3, 7);
        dr__fp orig;
        cr_assert_eq(dr__json_fp(v, &orig), 0);
        /* Written as a journal may write it (jansson's default 17 digits,
         * or the fewest that read back), then read back. */
        size_t flags[] = {JSON_COMPACT, JSON_COMPACT | JSON_REAL_PRECISION(17)};
        for (size_t k = 0; k < 2; k++) {
            char *text = json_dumps(v, flags[k]);
            cr_expect(same(orig, json_fp_of(text)), "%s", text);
            free(text);
        }
        json_decref(v);
    }
    cr_expect(!same(json_fp_of("1"), json_fp_of("1.0")),
              "an integer and a real are different values");
    cr_expect(!same(json_fp_of("0.1"), json_fp_of("0.10000000000000002")));
    dr__fp null_fp;
    cr_assert_eq(dr__json_fp(NULL, &null_fp), 0);
    cr_expect(same(null_fp, json_fp_of("null")), "NULL hashes as null");
}

Test(fingerprint, args_with_reals_survive_a_save_and_load) {
    const char *text =
        "{\"dagrun\": 1, \"name\": \"r\", \"tasks\": [{\"id\": \"t\", "
        "\"op\": \"sleep\", \"args\": {\"ms\": 0.30000000000000004}}, "
        "{\"id\": \"u\", \"op\": \"sleep\", \"args\": {\"ms\": 1.5e-7}}]}";
    dr_error err;
    dr_graph *a = dr_graph_load_buffer(text, strlen(text), NULL, NULL, &err);
    cr_assert_not_null(a, "%s", err.text);
    size_t len;
    char *saved = dr_graph_to_text(a, &len);
    cr_assert_not_null(saved);
    dr_graph *b = dr_graph_load_buffer(saved, len, NULL, NULL, &err);
    cr_assert_not_null(b, "%s", err.text);
    for (dr_task t = 0; t < 2; t++)
        cr_expect(same(op_fp(a, t, NULL), op_fp(b, t, NULL)), "task %u: %s",
                  (unsigned)t, saved);
    free(saved);
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

Test(fingerprint, json_strings_and_nesting_do_not_run_together) {
    cr_expect(
        !same(json_fp_of("[\"ab\",\"c\"]"), json_fp_of("[\"a\",\"bc\"]")));
    cr_expect(!same(json_fp_of("[[1],2]"), json_fp_of("[1,[2]]")));
    cr_expect(!same(json_fp_of("{\"a\":\"b\"}"), json_fp_of("[\"a\",\"b\"]")));
}

Test(fingerprint, task_fp_orders_and_counts) {
    dr__fp op = {1, 2}, d[3] = {{3, 4}, {5, 6}, {7, 8}}, r[3];
    dr__file_fp in[2];
    memset(in, 0, sizeof(in));
    in[0].exists = in[1].exists = 1;
    in[0].hash = (dr__fp){9, 10};
    in[1].hash = (dr__fp){11, 12};
    dr__task_fp(&op, d, 3, in, 2, &r[0]);
    dr__task_fp(&op, d, 3, in, 2, &r[1]);
    cr_expect(same(r[0], r[1]));
    dr__fp swapped[3] = {d[1], d[0], d[2]};
    dr__task_fp(&op, swapped, 3, in, 2, &r[1]);
    cr_expect(!same(r[0], r[1]), "dependency order counts");
    /* Size and mtime are not part of it: only content. */
    dr__file_fp touched[2] = {in[0], in[1]};
    touched[0].mtime_ns = 12345;
    dr__task_fp(&op, d, 3, touched, 2, &r[1]);
    cr_expect(same(r[0], r[1]), "an input's mtime is not its content");
    touched[1].hash.lo++;
    dr__task_fp(&op, d, 3, touched, 2, &r[1]);
    cr_expect(!same(r[0], r[1]));
    /* A dependency's fingerprint is not taken for an input's: the counts
     * keep the lists apart. */
    dr__fp d2[1] = {{9, 10}};
    dr__file_fp one[1] = {in[0]};
    dr__task_fp(&op, d, 2, one, 1, &r[1]);
    dr__fp d3[3] = {d[0], d[1], d2[0]};
    dr__task_fp(&op, d3, 3, NULL, 0, &r[2]);
    cr_expect(!same(r[1], r[2]));
    /* The command result adds the outputs' contents. */
    dr__command_result_fp(&r[0], in, 2, &r[1]);
    dr__command_result_fp(&r[0], in, 1, &r[2]);
    cr_expect(!same(r[1], r[2]));
    cr_expect(!same(r[0], r[1]), "a result is not its task");
}

Test(fingerprint, many_dependencies_past_one_block) {
    enum { N = 1000 }; /* 16 KB of fingerprints: several 4 KiB blocks */
    static dr__fp d[N];
    for (size_t i = 0; i < N; i++)
        d[i] = (dr__fp){i, ~(uint64_t)i};
    dr__fp op = {0, 0}, a, b;
    dr__task_fp(&op, d, N, NULL, 0, &a);
    dr__task_fp(&op, d, N, NULL, 0, &b);
    cr_expect(same(a, b));
    d[N - 1].lo ^= 1;
    dr__task_fp(&op, d, N, NULL, 0, &b);
    cr_expect(!same(a, b), "the last dependency counts");
    d[N - 1].lo ^= 1;
    d[0].hi ^= 1;
    dr__task_fp(&op, d, N, NULL, 0, &b);
    cr_expect(!same(a, b), "the first dependency counts");
    dr__task_fp(&op, d, N - 1, NULL, 0, &b);
    cr_expect(!same(a, b));
}

/* -------------------------------------------------------------- files */

Test(fingerprint, file_content_is_hashed_whole) {
    char *dir = drt_tmpdir();
    enum { N = 200 * 1024 + 17 }; /* past several 64 KiB reads */
    char *data = malloc(N);
    for (size_t i = 0; i < N; i++)
        data[i] = (char)(i * 7919 % 251);
    char *path = drt_fmt("%s/big.bin", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, N, f), (size_t)N);
    fclose(f);
    dr__file_fp fp = file_fp(dir, "big.bin");
    XXH128_hash_t whole = XXH3_128bits(data, N);
    cr_expect(fp.exists);
    cr_expect_eq(fp.size, (uint64_t)N);
    cr_expect(fp.hash.hi == whole.high64 && fp.hash.lo == whole.low64,
              "streamed hash is the hash of the whole content");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(fp.mtime_ns,
                 (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
    /* The same file by absolute path, without a folder. */
    dr__file_fp abs = file_fp(NULL, path);
    cr_expect(dr__fp_equal(&abs.hash, &fp.hash));
    free(data);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fingerprint, file_same_touched_changed_missing) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/in.csv", dir);
    cr_assert_eq(drt_write_file(path, "1,2,3\n"), 0);
    set_mtime(path, 1700000000, 5);
    dr__file_fp was = file_fp(dir, "in.csv"), now;
    cr_expect_eq(was.mtime_ns, 1700000000ll * 1000000000 + 5);
    int touched;
    const char *why;
    dr_error err;

    cr_expect_eq(
        dr__file_fp_same(dir, "in.csv", &was, &now, &touched, &why, &err), 1);
    cr_expect_eq(touched, 0);
    cr_expect(dr__fp_equal(&now.hash, &was.hash));

    /* Touched: new mtime, same bytes. */
    set_mtime(path, 1700000100, 0);
    cr_expect_eq(
        dr__file_fp_same(dir, "in.csv", &was, &now, &touched, &why, &err), 1);
    cr_expect_eq(touched, 1);
    cr_expect_eq(now.mtime_ns, 1700000100ll * 1000000000);
    cr_expect(dr__fp_equal(&now.hash, &was.hash));

    /* Edited in place, same size, new mtime. */
    cr_assert_eq(drt_write_file(path, "1,2,4\n"), 0);
    set_mtime(path, 1700000200, 0);
    cr_expect_eq(
        dr__file_fp_same(dir, "in.csv", &was, &now, &touched, &why, &err), 0);
    cr_expect_str_eq(why, "changed (content)");
    cr_expect_eq(touched, 0);

    /* Another size. */
    cr_assert_eq(drt_write_file(path, "1,2,3,4\n"), 0);
    cr_expect_eq(
        dr__file_fp_same(dir, "in.csv", &was, &now, &touched, &why, &err), 0);
    cr_expect_str_eq(why, "changed (content)");

    /* Gone. */
    cr_assert_eq(unlink(path), 0);
    cr_expect_eq(
        dr__file_fp_same(dir, "in.csv", &was, &now, &touched, &why, &err), 0);
    cr_expect_str_eq(why, "missing");
    dr__file_fp gone = file_fp(dir, "in.csv");
    cr_expect_eq(gone.exists, 0, "a missing file is not an error");
    dr__file_fp gone2 = file_fp(dir, "no/such/folder/in.csv");
    cr_expect_eq(gone2.exists, 0);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fingerprint, same_size_and_mtime_is_trusted_without_reading) {
    /* As make and Nextflow do: size and mtime equal means unchanged, so a
     * big input costs a stat, not a read. */
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/in.txt", dir);
    cr_assert_eq(drt_write_file(path, "aaaa"), 0);
    set_mtime(path, 1700000000, 0);
    dr__file_fp was = file_fp(dir, "in.txt"), now;
    cr_assert_eq(drt_write_file(path, "bbbb"), 0);
    set_mtime(path, 1700000000, 0);
    int touched;
    const char *why;
    dr_error err;
    cr_expect_eq(
        dr__file_fp_same(dir, "in.txt", &was, &now, &touched, &why, &err), 1);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fingerprint, a_folder_is_an_error_naming_it) {
    char *dir = drt_tmpdir();
    char *sub = drt_fmt("%s/data", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    dr__file_fp f, was = {1, 0, 0, {0, 0}};
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__file_fp_compute(dir, "data", &f, &err), DR_EIO);
    cr_expect(strstr(err.text, "data") != NULL, "%s", err.text);
    cr_expect(strstr(err.text, "folder") != NULL, "%s", err.text);
    int touched;
    const char *why;
    dr_error_clear(&err);
    cr_expect_eq(dr__file_fp_same(dir, "data", &was, &f, &touched, &why, &err),
                 -1);
    cr_expect(strstr(err.text, "data") != NULL, "%s", err.text);
    free(sub);
    drt_rmtree(dir);
    free(dir);
}

Test(fingerprint, a_fifo_is_refused_without_blocking) {
    char *dir = drt_tmpdir();
    char *fifo = drt_fmt("%s/pipe", dir);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    dr__file_fp f;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__file_fp_compute(dir, "pipe", &f, &err), DR_EIO);
    cr_expect(strstr(err.text, "not a regular file") != NULL, "%s", err.text);
    free(fifo);
    drt_rmtree(dir);
    free(dir);
}
