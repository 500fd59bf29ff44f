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
