/*
 * An option's value given as the next argument must not be another option
 * (acceptance tester: `dagrun run lecture.json -s --json --no-outputs`
 * wrote the summary to a file named "--no-outputs", `--json -q` made a file
 * "-q").  cli_getopt (cli/options.c) refuses it for every subcommand;
 * "--json=--no-outputs" still means that file, "-" and negative numbers are
 * still values.  Each case runs the real CLI in a scratch folder and checks
 * which files appeared.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs dagrun argv in `dir`; returns the exit code, *err its stderr. */
static int run_in(const char *dir, char *const argv[], char **err) {
    pid_t pid = drt_start_cli(dir, argv, NULL, "out", "err");
    int status;
    cr_assert_eq(drt_reap(pid, 300, &status), 0, "dagrun did not end");
    *err = drt_text_in(dir, "err");
    return drt_exit_code(status);
}

static int exists_in(const char *dir, const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    int yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

#define LECTURE DR_SOURCE_DIR "/examples/lecture.json"

Test(option_values, json_followed_by_an_option_is_refused_and_writes_nothing) {
    char *dir = drt_tmpdir();
    char *argv[] = {"dagrun", "run",          LECTURE, "-s",
                    "--json", "--no-outputs", NULL};
    char *err;
    cr_expect_eq(run_in(dir, argv, &err), 2, "%s", err);
    cr_expect_str_eq(err, "dagrun run: option '--json' needs a value; "
                          "'--no-outputs' looks like an option (write "
                          "--json=--no-outputs if that is the value)\n");
    cr_expect(!exists_in(dir, "--no-outputs"), "a file --no-outputs appeared");
    cr_expect(!exists_in(dir, "dagrun-out"), "the run ran anyway");
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(option_values, a_short_option_as_the_value_is_refused_too) {
    char *dir = drt_tmpdir();
    char *argv[] = {"dagrun", "run", LECTURE, "-s", "--json", "-q", NULL};
    char *err;
    cr_expect_eq(run_in(dir, argv, &err), 2, "%s", err);
    cr_expect(strstr(err, "option '--json' needs a value; '-q' looks like an "
                          "option") != NULL,
              "%s", err);
    cr_expect(!exists_in(dir, "-q"), "a file -q appeared");
    free(err);
    /* A short option's value: the hint spells its long name. */
    char *argv2[] = {"dagrun", "gen", "chain", "-o", "--compact", NULL};
    cr_expect_eq(run_in(dir, argv2, &err), 2, "%s", err);
    cr_expect_str_eq(err, "dagrun gen: option '-o' needs a value; "
                          "'--compact' looks like an option (write "
                          "--output=--compact if that is the value)\n");
    cr_expect(!exists_in(dir, "--compact"), "a file --compact appeared");
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(option_values, every_command_refuses_it) {
    char *dir = drt_tmpdir();
    char *const cases[][8] = {
        {"dagrun", "analyze", LECTURE, "--set", "--json", NULL},
        {"dagrun", "validate", LECTURE, "--format", "--help", NULL},
        {"dagrun", "convert", LECTURE, "-o", "-f", NULL},
        {"dagrun", "viz", LECTURE, "-o", "--type", NULL},
        {"dagrun", "gantt", "t.json", "-o", "--width", NULL},
        {"dagrun", "scale", LECTURE, "-s", "-o", "--quiet", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err;
        int code = run_in(dir, cases[i], &err);
        cr_expect_eq(code, 2, "%s: exit %d: %s", cases[i][1], code, err);
        cr_expect(strstr(err, "looks like an option") != NULL, "%s: %s",
                  cases[i][1], err);
        free(err);
    }
    cr_expect(!exists_in(dir, "-f") && !exists_in(dir, "--type") &&
                  !exists_in(dir, "--width") && !exists_in(dir, "--quiet"),
              "a file named like an option appeared");
    drt_rmtree(dir);
    free(dir);
}

Test(option_values, an_attached_value_is_taken_as_written) {
    char *dir = drt_tmpdir();
    char *argv[] = {"dagrun",
                    "run",
                    LECTURE,
                    "-s",
                    "-q",
                    "--no-outputs",
                    "--json=--summary.json",
                    NULL};
    char *err;
    cr_expect_eq(run_in(dir, argv, &err), 0, "%s", err);
    cr_expect(exists_in(dir, "--summary.json"),
              "--json=--summary.json wrote no such file");
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(option_values, a_negative_number_reaches_the_option_s_own_check) {
    char *dir = drt_tmpdir();
    char *argv[] = {"dagrun", "run", LECTURE, "-s", "--cost-scale", "-1", NULL};
    char *err;
    cr_expect_eq(run_in(dir, argv, &err), 2, "%s", err);
    cr_expect(strstr(err, "--cost-scale") != NULL &&
                  strstr(err, "looks like an option") == NULL,
              "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------- --executor, --worker-memory */

/* Two noop tasks: a run takes milliseconds under any executor. */
static const char tiny_graph[] =
    "{\"name\": \"tiny\", \"tasks\": [{\"id\": \"a\", \"op\": \"noop\"}, "
    "{\"id\": \"b\", \"op\": \"noop\", \"deps\": [\"a\"]}]}\n";

static char *tiny_dir(void) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/tiny.json", dir);
    cr_assert_eq(drt_write_file(path, tiny_graph), 0);
    free(path);
    return dir;
}

/* A summary file of dir, parsed. */
static json_t *summary_in(const char *dir, const char *name) {
    char *text = drt_text_in(dir, name);
    cr_assert_not_null(text, "no %s", name);
    json_error_t je;
    json_t *s = json_loads(text, 0, &je);
    cr_assert_not_null(s, "%s: %s", name, je.text);
    free(text);
    return s;
}

/* `dagrun run tiny.json -q --no-outputs --json s.json` plus up to four
 * more arguments; returns the exit code and *err its stderr. */
static int run_tiny(const char *dir, char **err, const char *a1, const char *a2,
                    const char *a3, const char *a4) {
    char *argv[] = {"dagrun",       "run",      "tiny.json", "-q",
                    "--no-outputs", "--json",   "s.json",    (char *)a1,
                    (char *)a2,     (char *)a3, (char *)a4,  NULL};
    return run_in(dir, argv, err);
}

Test(option_values, executor_names_reach_the_run_and_its_summary) {
    char *dir = tiny_dir();
    const char *names[] = {"threads", "processes", "sync"};
    for (int k = 0; k < 3; k++) {
        char *err;
        cr_assert_eq(run_tiny(dir, &err, "--executor", names[k], NULL, NULL), 0,
                     "%s: %s", names[k], err);
        free(err);
        json_t *s = summary_in(dir, "s.json");
        cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                         names[k]);
        json_decref(s);
    }
    /* No option: threads. */
    char *err;
    cr_assert_eq(run_tiny(dir, &err, NULL, NULL, NULL, NULL), 0, "%s", err);
    free(err);
    json_t *s = summary_in(dir, "s.json");
    cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                     "threads");
    cr_expect_null(json_object_get(s, "worker_memory"));
    json_decref(s);
    drt_rmtree(dir);
    free(dir);
}

Test(option_values, an_unknown_executor_lists_the_four) {
    char *dir = tiny_dir();
    char *err;
    cr_expect_eq(run_tiny(dir, &err, "--executor", "gpu", NULL, NULL), 2);
    cr_expect_str_eq(err, "dagrun run: --executor: unknown executor 'gpu' "
                          "(threads, processes, sync or mpi)\n"
                          "Try 'dagrun run --help'.\n");
    free(err);
    char *argv[] = {"dagrun",     "scale",   "tiny.json",
                    "--executor", "Threads", NULL};
    cr_expect_eq(run_in(dir, argv, &err), 2);
    cr_expect_str_eq(err, "dagrun scale: --executor: unknown executor "
                          "'Threads' (threads, processes, sync or mpi)\n"
                          "Try 'dagrun scale --help'.\n");
    free(err);
    cr_expect(!exists_in(dir, "s.json"), "a refused run ran");
    drt_rmtree(dir);
    free(dir);
}

/* A sanitizer build's dagrun starts with terabytes of address space
 * reserved, so it refuses every --worker-memory (docs/executors.md): the
 * runs that take one are checked in the normal build only. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
Test(option_values, worker_memory_sizes_are_binary_and_case_blind) {
    char *dir = tiny_dir();
    /* `shown`: below a worker's starting size the run refuses the limit,
     * and says it as it understood it. */
    static const struct {
        const char *text;
        unsigned long long bytes;
        const char *shown;
    } ok[] = {
        {"512M", 512ull << 20, NULL},
        {"2G", 2ull << 30, NULL},
        {"1.5G", 3ull << 29, NULL},
        {"4096K", 4096ull << 10, "4 MiB"},
        {"1000000", 1000000, "977 KiB"},
        {"2g", 2ull << 30, NULL},
        {"512MB", 512ull << 20, NULL},
        {"512mib", 512ull << 20, NULL},
        {"1T", 1ull << 40, NULL},
        {"100b", 100, "100 bytes"},
        {"0.5k", 512, "512 bytes"},
        {"8388607T", 8388607ull << 40, NULL}, /* below 2^63 */
        {"9223372036854775807", 9223372036854775807ull, NULL},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *err;
        int rc = run_tiny(dir, &err, "--executor", "processes",
                          "--worker-memory", ok[i].text);
        if (ok[i].shown != NULL) {
            char *want =
                drt_fmt("--worker-memory %s is less than the", ok[i].shown);
            cr_expect_eq(rc, 2, "%s: %s", ok[i].text, err);
            cr_expect(strstr(err, want) != NULL, "%s: %s", ok[i].text, err);
            free(want);
            free(err);
            continue;
        }
        cr_assert_eq(rc, 0, "%s: %s", ok[i].text, err);
        free(err);
        json_t *s = summary_in(dir, "s.json");
        json_t *v = json_object_get(s, "worker_memory");
        cr_assert(json_is_integer(v), "%s: no worker_memory", ok[i].text);
        cr_expect_eq((unsigned long long)json_integer_value(v), ok[i].bytes,
                     "%s", ok[i].text);
        json_decref(s);
    }
    drt_rmtree(dir);
    free(dir);
}
#endif

Test(option_values, worker_memory_refuses_zero_garbage_and_overflow) {
    char *dir = tiny_dir();
    const char *garbage =
        "expected a size such as 512M, 2G, 1.5G or 4096K (K, M, G, T are "
        "powers of 1024; plain numbers are bytes), got";
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"0", "expected a size of at least one byte"},
        {"0K", "expected a size of at least one byte"},
        {"0.0001", "expected a size of at least one byte"},
        {"-1G", NULL},
        {"12Q", NULL},
        {"1.2.3M", NULL},
        {"", NULL},
        {"G", NULL},
        {"1e9", NULL},
        {" 1G", NULL},
        {"1G ", NULL},
        {"512iB", NULL},
        {"1GBB", NULL},
        {"0x10M", NULL},
        {"8388608T", "expected a size below 8 EiB (2^63 bytes)"},
        {"8388607.9999999999T", "expected a size below 8 EiB"},
        {"9223372036854775808", "expected a size below 8 EiB"},
        {"18446744073709551616", "expected a size below 8 EiB"},
        {"99999999999999999999999T", "expected a size below 8 EiB"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *err;
        char *value = drt_fmt("--worker-memory=%s", bad[i].text);
        cr_expect_eq(
            run_tiny(dir, &err, "--executor", "processes", value, NULL), 2,
            "'%s' was taken", bad[i].text);
        char *want = drt_fmt("dagrun run: --worker-memory: %s",
                             bad[i].why ? bad[i].why : garbage);
        cr_expect(strncmp(err, want, strlen(want)) == 0, "'%s': %s",
                  bad[i].text, err);
        char *named = drt_fmt("'%s'\n", bad[i].text);
        cr_expect_not_null(strstr(err, named), "the value is named: %s", err);
        free(named), free(want), free(value), free(err);
    }
    cr_expect(!exists_in(dir, "s.json"), "a refused run ran");
    drt_rmtree(dir);
    free(dir);
}

/* A sanitizer build's dagrun starts with terabytes of address space
 * reserved, so it refuses every --worker-memory (docs/executors.md): the
 * runs that take one are checked in the normal build only. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
Test(option_values, worker_memory_needs_processes) {
    char *dir = tiny_dir();
    char *err;
    cr_expect_eq(run_tiny(dir, &err, "--worker-memory", "1G", NULL, NULL), 2);
    cr_expect_str_eq(err, "dagrun run: --worker-memory needs --executor "
                          "processes: it limits the memory of each worker "
                          "process, and worker threads share this process\n"
                          "Try 'dagrun run --help'.\n");
    free(err);
    /* Either order. */
    cr_expect_eq(
        run_tiny(dir, &err, "--worker-memory", "1G", "--executor", "sync"), 2);
    cr_expect_not_null(strstr(err, "--worker-memory needs --executor "
                                   "processes"),
                       "%s", err);
    free(err);
    cr_expect_eq(
        run_tiny(dir, &err, "--worker-memory", "1G", "--executor", "processes"),
        0, "%s", err);
    free(err);
    char *argv[] = {"dagrun",          "scale", "tiny.json",
                    "--worker-memory", "1G",    NULL};
    cr_expect_eq(run_in(dir, argv, &err), 2);
    cr_expect(strstr(err, "dagrun scale: --worker-memory needs --executor "
                          "processes") == err,
              "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}
#endif

Test(option_values, simulate_refuses_an_executor) {
    char *dir = tiny_dir();
    char *err;
    const char *want = "dagrun run: --simulate runs no tasks: --executor "
                       "does not apply\nTry 'dagrun run --help'.\n";
    cr_expect_eq(run_tiny(dir, &err, "--executor", "threads", "-s", NULL), 2);
    cr_expect_str_eq(err, want);
    free(err);
    cr_expect_eq(run_tiny(dir, &err, "--simulate", "--executor", "sync", NULL),
                 2);
    cr_expect_str_eq(err, want);
    free(err);
    char *argv[] = {"dagrun",     "scale",     "tiny.json", "-s",
                    "--executor", "processes", NULL};
    cr_expect_eq(run_in(dir, argv, &err), 2);
    cr_expect_str_eq(err, "dagrun scale: --simulate runs no tasks: "
                          "--executor does not apply\n"
                          "Try 'dagrun scale --help'.\n");
    free(err);
    /* Without --executor a simulation runs as before, and says nothing of
     * an executor. */
    cr_expect_eq(run_tiny(dir, &err, "-s", NULL, NULL, NULL), 0, "%s", err);
    free(err);
    json_t *s = summary_in(dir, "s.json");
    cr_expect_null(json_object_get(s, "executor"));
    json_decref(s);
    drt_rmtree(dir);
    free(dir);
}

/* A sanitizer build's dagrun starts with terabytes of address space
 * reserved, so it refuses every --worker-memory (docs/executors.md): the
 * runs that take one are checked in the normal build only. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
Test(option_values, scale_passes_the_executor_to_every_run) {
    char *dir = tiny_dir();
    char *argv[] = {"dagrun",
                    "scale",
                    "tiny.json",
                    "-w",
                    "1,2",
                    "-r",
                    "1",
                    "-q",
                    "-o",
                    "sc",
                    "--executor",
                    "processes",
                    "--worker-memory",
                    "300M",
                    NULL};
    char *err;
    cr_assert_eq(run_in(dir, argv, &err), 0, "%s", err);
    free(err);
    const char *files[] = {"sc/summary-P1.json", "sc/summary-P2.json"};
    for (int k = 0; k < 2; k++) {
        json_t *s = summary_in(dir, files[k]);
        cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                         "processes", "%s", files[k]);
        cr_expect_eq(json_integer_value(json_object_get(s, "worker_memory")),
                     300 << 20, "%s", files[k]);
        json_decref(s);
    }
    drt_rmtree(dir);
    free(dir);
}
#endif
