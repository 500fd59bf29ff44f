/*
 * Every command under a file-size limit (`ulimit -f`): SIGXFSZ is ignored
 * by the CLI's main, so a write past the limit fails with EFBIG, the error
 * names the file, the temporary file is removed, and dagrun exits with its
 * own code instead of dying by the signal (153).  The limit is set for
 * real with setrlimit in the child before it execs dagrun.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 2048 /* bytes: `ulimit -f 2` */

/* Runs dagrun with argv (argv[0] "dagrun") in `dir` under the limit,
 * standard output to dir/`out` (NULL: /dev/null), standard error to
 * dir/err.  Returns the exit code as a shell says it. */
static int run_limited(const char *dir, const char *out, char *const argv[]) {
    char *outp = out != NULL ? drt_fmt("%s/%s", dir, out) : NULL;
    char *errp = drt_fmt("%s/err", dir);
    const char *cli = drt_cli_path();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int o = open(outp != NULL ? outp : "/dev/null",
                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(dir) != 0)
            _exit(126);
        dup2(o, 1);
        dup2(e, 2);
        /* The shell's default, whatever the test runner set. */
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit rl = {LIMIT, LIMIT};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(126);
        execv(cli, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(drt_reap(pid, 300, &status), 0, "dagrun did not end");
    free(outp);
    free(errp);
    return drt_exit_code(status);
}

/* Whether any name in `dir` holds ".tmp.". */
static int has_temporary(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "no folder %s", dir);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        found |= strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return found;
}

/* A scratch folder with a graph (big.json, 40 tasks) and its simulated
 * trace (t.json), both larger than the limit. */
static char *setup(void) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "gen chain --set n=40 -o %s/big.json && %s run -s "
                     "%s/big.json --trace %s/t.json --no-outputs -q",
                     dir, drt_cli_path(), dir, dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    return dir;
}

static void expect_reported(const char *dir, int code, const char *file,
                            const char *what) {
    char *err = drt_text_in(dir, "err");
    cr_expect_eq(code, 2, "%s: exit %d (153 is death by SIGXFSZ): %s", what,
                 code, err);
    cr_expect(strstr(err, file) != NULL &&
                  strstr(err, "File too large") != NULL,
              "%s: the error does not name %s: %s", what, file, err);
    free(err);
}

Test(limits, gantt_o_past_the_limit_reports_and_leaves_no_temporary) {
    char *dir = setup();
    char *argv[] = {"dagrun", "gantt", "t.json", "-o", "g.svg", NULL};
    int code = run_limited(dir, NULL, argv);
    expect_reported(dir, code, "g.svg", "gantt");
    cr_expect(!has_temporary(dir), "gantt left a temporary file");
    drt_rmtree(dir);
    free(dir);
}

Test(limits, gen_o_past_the_limit_reports_and_leaves_no_temporary) {
    char *dir = setup();
    char *argv[] = {"dagrun", "gen", "chain",  "--set",
                    "n=200",  "-o",  "g.json", NULL};
    int code = run_limited(dir, NULL, argv);
    expect_reported(dir, code, "g.json", "gen");
    cr_expect(!has_temporary(dir), "gen left a temporary file");
    drt_rmtree(dir);
    free(dir);
}

Test(limits, viz_o_past_the_limit_reports_and_leaves_no_temporary) {
    char *dir = setup();
    char *argv[] = {"dagrun", "viz", "big.json", "-o", "v.svg", NULL};
    int code = run_limited(dir, NULL, argv);
    expect_reported(dir, code, "v.svg", "viz");
    cr_expect(!has_temporary(dir), "viz left a temporary file");
    drt_rmtree(dir);
    free(dir);
}

Test(limits, scale_past_the_limit_reports_and_leaves_no_temporary) {
    char *dir = setup();
    char *argv[] = {"dagrun", "scale", "big.json", "-s", "-w",
                    "1,2",    "-o",    "sc",       NULL};
    int code = run_limited(dir, NULL, argv);
    char *err = drt_text_in(dir, "err");
    cr_expect_eq(code, 2, "scale: exit %d (153 is death by SIGXFSZ): %s", code,
                 err);
    cr_expect(strstr(err, "sc/") != NULL &&
                  strstr(err, "File too large") != NULL,
              "scale: the error names no file: %s", err);
    free(err);
    char *sc = drt_fmt("%s/sc", dir);
    cr_expect(!has_temporary(sc), "scale left a temporary file");
    free(sc);
    drt_rmtree(dir);
    free(dir);
}

Test(limits, analyze_json_to_a_file_past_the_limit_fails_and_says_so) {
    char *dir = setup();
    char *argv[] = {"dagrun",   "analyze",  "--json",
                    "--levels", "big.json", NULL};
    int code = run_limited(dir, "a.json", argv);
    expect_reported(dir, code, "standard output", "analyze --json > file");
    drt_rmtree(dir);
    free(dir);
}

Test(limits, run_outputs_past_the_limit_report_and_leave_no_temporary) {
    char *dir = setup();
    char *argv[] = {"dagrun", "run", "-s", "big.json", "-o", "out", "-q", NULL};
    int code = run_limited(dir, NULL, argv);
    char *err = drt_text_in(dir, "err");
    cr_expect(code == 1 || code == 2,
              "run: exit %d (153 is death by SIGXFSZ): %s", code, err);
    cr_expect(strstr(err, "out/") != NULL &&
                  strstr(err, "File too large") != NULL,
              "run: the error names no file: %s", err);
    free(err);
    char *out = drt_fmt("%s/out", dir);
    cr_expect(!has_temporary(out), "run left a temporary file");
    free(out);
    drt_rmtree(dir);
    free(dir);
}
