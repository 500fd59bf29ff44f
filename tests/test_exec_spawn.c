/*
 * How command tasks start (scheduler/exec_commands.c): posix_spawnp with
 * the exit heard through a pidfd, and uv_spawn where the kernel has no
 * pidfd_open.  Both ways must give a command the same process: its own
 * session and group, no signal blocked or ignored whatever the caller's
 * thread had, stdin /dev/null, the logs, the environment and working
 * folder, the program found in PATH, and the same messages when it exits
 * with a status, is killed, or cannot be found; and what it leaves in its
 * group is killed when it exits.
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern int dr__x_spawn_with_uv; /* exec_commands.c */

static dr_task add(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "adding %s", key);
    return t;
}

/* The value of "Name:" in /proc/<pid>/status text, NULL when absent. */
static char *status_field(const char *text, const char *name) {
    char *key = drt_fmt("\n%s:", name);
    const char *p = strstr(text, key);
    free(key);
    if (p == NULL)
        return NULL;
    p += strlen(name) + 2;
    p += strspn(p, " \t");
    return strndup(p, strcspn(p, "\n"));
}

static const char *reason_of(const dr_run *run, const dr_graph *g,
                             const char *key) {
    for (size_t i = 0; i < run->nfailures; i++)
        if (strcmp(dr_task_key(g, run->failures[i].task), key) == 0)
            return run->failures[i].reason;
    return NULL;
}

static void commands_behave_alike(int with_uv) {
    dr__x_spawn_with_uv = with_uv;
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    /* Found in PATH: argv[0] has no slash. */
    const char *status_argv[] = {"cat", "/proc/self/status"};
    dr_task_set_argv(g, add(g, "status"), status_argv, 2);
    dr_task_set_shell(g, add(g, "env"),
                      "printf '%s|%s|%s' \"$DAGRUN_TASK\" \"$(pwd -P)\" "
                      "\"$(cat)\" > env.txt");
    dr_task_set_shell(g, add(g, "fails"), "echo oops >&2; exit 3");
    dr_task_set_shell(g, add(g, "killed"), "kill -9 $$");
    const char *missing_argv[] = {"dagrun-no-such-program"};
    dr_task_set_argv(g, add(g, "missing"), missing_argv, 1);
    dr_task_set_shell(g, add(g, "leaves"), "sleep 60 & echo $! > left.pid");

    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.workdir = dir;
    o.keep_going = 1;
    char *logs = drt_fmt("%s/logs", dir);
    o.run_dir = logs;

    /* The loop runs on this thread: what it blocks and ignores must not
     * reach the commands. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct sigaction ign, oldact;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGUSR1, &ign, &oldact);
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    sigaction(SIGUSR1, &oldact, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    dr__x_spawn_with_uv = 0;
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);

    char *path = drt_fmt("%s/status.out", logs);
    char *status = drt_read_file(path, NULL);
    cr_assert_not_null(status, "no %s", path);
    char *pid = status_field(status, "Pid");
    char *pgid = status_field(status, "NSpgid");
    char *sid = status_field(status, "NSsid");
    char *blk = status_field(status, "SigBlk");
    char *ignd = status_field(status, "SigIgn");
    cr_assert(pid && pgid && sid && blk && ignd, "%s", status);
    cr_expect_str_eq(pgid, pid, "not its own process group");
    cr_expect_str_eq(sid, pid, "not its own session");
    cr_expect_str_eq(blk, "0000000000000000", "blocked signals: %s", blk);
    /* Except glibc's two internal signals, 32 and 33, which its
     * posix_spawn leaves ignored and no program may use. */
    unsigned long long ignored = strtoull(ignd, NULL, 16);
    ignored &= ~((1ULL << (32 - 1)) | (1ULL << (33 - 1)));
    cr_expect_eq(ignored, 0, "ignored signals: %s", ignd);

    char *envp = drt_fmt("%s/env.txt", dir);
    char *env = drt_read_file(envp, NULL);
    char real[PATH_MAX];
    cr_assert_not_null(realpath(dir, real));
    char *want = drt_fmt("env|%s|", real);
    cr_assert_not_null(env, "env.txt not written in the working folder");
    cr_expect_str_eq(env, want);

    cr_expect_eq(run->nfailures, 3);
    const char *r = reason_of(run, g, "fails");
    cr_expect(r != NULL && strcmp(r, "exit status 3") == 0, "%s", r);
    for (size_t i = 0; i < run->nfailures; i++)
        if (strcmp(dr_task_key(g, run->failures[i].task), "fails") == 0)
            cr_expect(run->failures[i].stderr_tail != NULL &&
                          strstr(run->failures[i].stderr_tail, "oops"),
                      "no stderr tail");
    r = reason_of(run, g, "killed");
    cr_expect(r != NULL && strcmp(r, "killed by signal 9 (Killed)") == 0, "%s",
              r);
    r = reason_of(run, g, "missing");
    cr_expect(r != NULL && strcmp(r, "cannot run 'dagrun-no-such-program': "
                                     "no such file or directory") == 0,
              "%s", r);
    cr_expect_null(reason_of(run, g, "leaves"), "it succeeded");

    char *leftp = drt_fmt("%s/left.pid", dir);
    char *left = drt_read_file(leftp, NULL);
    cr_assert_not_null(left);
    int lpid = atoi(left);
    cr_assert(lpid > 0);
    for (int i = 0; i < 500 && drt_alive(lpid); i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    cr_expect(!drt_alive(lpid), "the command's sleep %d still runs", lpid);

    free(left);
    free(leftp);
    free(want);
    free(env);
    free(envp);
    free(pid);
    free(pgid);
    free(sid);
    free(blk);
    free(ignd);
    free(status);
    free(path);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free(logs);
    drt_rmtree(dir);
    free(dir);
}

Test(exec_spawn, commands_started_with_posix_spawn_get_their_own_process,
     .timeout = 60) {
    commands_behave_alike(0);
}

Test(exec_spawn, commands_started_with_uv_spawn_get_the_same_process,
     .timeout = 60) {
    commands_behave_alike(1);
}

/* A caller that ignores SIGCHLD has its children reaped by the kernel, so
 * no pidfd could give their status: uv_spawn's handler is used instead and
 * the status is still right. */
Test(exec_spawn, a_caller_ignoring_sigchld_still_gets_exit_statuses,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task_set_shell(g, add(g, "fails"), "exit 3");
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.workdir = dir;
    char *logs = drt_fmt("%s/logs", dir);
    o.run_dir = logs;
    struct sigaction ign, oldact;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGCHLD, &ign, &oldact);
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    sigaction(SIGCHLD, &oldact, NULL);
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    cr_assert_eq(run->nfailures, 1);
    cr_expect_str_eq(run->failures[0].reason, "exit status 3");
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free(logs);
    drt_rmtree(dir);
    free(dir);
}
