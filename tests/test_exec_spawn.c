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
#include <sys/stat.h>
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

/* PATH is searched once per program and run, in the parent
 * (exec_commands.c): what it finds is what posix_spawnp would run. */
char *dr__x_path_lookup(const char *path_var, const char *name);

static void write_prog(const char *path, const char *body, int mode) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    cr_assert_eq(chmod(path, (mode_t)mode), 0);
}

Test(exec_spawn, path_lookup_finds_what_posix_spawnp_would_run) {
    char *dir = drt_tmpdir();
    char *a = drt_fmt("%s/a", dir), *b = drt_fmt("%s/b", dir);
    cr_assert_eq(mkdir(a, 0755), 0);
    cr_assert_eq(mkdir(b, 0755), 0);
    char *noexec = drt_fmt("%s/prog", a), *prog = drt_fmt("%s/prog", b);
    write_prog(noexec, "exit 0", 0644); /* not executable: skipped */
    write_prog(prog, "exit 0", 0755);
    char *sub = drt_fmt("%s/prog2", a); /* a folder: skipped */
    cr_assert_eq(mkdir(sub, 0755), 0);
    char *prog2 = drt_fmt("%s/prog2", b);
    write_prog(prog2, "exit 0", 0755);

    char *pv = drt_fmt("/dagrun-no-such-dir:%s:%s", a, b);
    char *got = dr__x_path_lookup(pv, "prog");
    cr_expect(got != NULL && strcmp(got, prog) == 0, "%s", got);
    free(got);
    got = dr__x_path_lookup(pv, "prog2");
    cr_expect(got != NULL && strcmp(got, prog2) == 0, "%s", got);
    free(got);
    cr_expect_null(dr__x_path_lookup(pv, "dagrun-no-such-program"));
    cr_expect_null(dr__x_path_lookup(pv, "b/prog"), "a slash: no search");
    cr_expect_null(dr__x_path_lookup(NULL, "prog"));
    /* Entries searched from the command's working folder: left to
     * posix_spawnp, before or after the folder that has it. */
    char *rel = drt_fmt("%s::%s", a, b);
    cr_expect_null(dr__x_path_lookup(rel, "prog"));
    free(rel);
    rel = drt_fmt("relative:%s", b);
    cr_expect_null(dr__x_path_lookup(rel, "prog"));
    free(rel);

    free(pv);
    free(prog2);
    free(sub);
    free(prog);
    free(noexec);
    free(b);
    free(a);
    drt_rmtree(dir);
    free(dir);
}

/* A program whose kept path is gone by a later command is looked up again:
 * the later command runs the one now first in PATH. */
Test(exec_spawn, a_program_removed_during_the_run_is_looked_up_again,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    char *a = drt_fmt("%s/a", dir), *b = drt_fmt("%s/b", dir);
    cr_assert_eq(mkdir(a, 0755), 0);
    cr_assert_eq(mkdir(b, 0755), 0);
    char *pa = drt_fmt("%s/dagrun-prog", a), *pb = drt_fmt("%s/dagrun-prog", b);
    write_prog(pa, "echo a >> which.txt", 0755);
    write_prog(pb, "echo b >> which.txt", 0755);
    const char *old = getenv("PATH");
    char *saved = old != NULL ? strdup(old) : NULL;
    char *pv = drt_fmt("%s:%s:%s", a, b, old != NULL ? old : "/usr/bin:/bin");
    setenv("PATH", pv, 1);

    dr_graph *g = dr_graph_create();
    const char *argv[] = {"dagrun-prog"};
    dr_task first = add(g, "first"), rm = add(g, "rm"), again = add(g, "again");
    dr_task_set_argv(g, first, argv, 1);
    char *rmcmd = drt_fmt("rm '%s'", pa);
    dr_task_set_shell(g, rm, rmcmd);
    dr_task_set_argv(g, again, argv, 1);
    cr_assert_eq(dr_graph_add_dep(g, rm, first), 0);
    cr_assert_eq(dr_graph_add_dep(g, again, rm), 0);

    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.workdir = dir;
    char *logs = drt_fmt("%s/logs", dir);
    o.run_dir = logs;
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    if (saved != NULL)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    cr_expect_eq(dr_run_status(run), 0, "%s",
                 run->nfailures ? run->failures[0].reason : "");
    char *wp = drt_fmt("%s/which.txt", dir);
    char *which = drt_read_file(wp, NULL);
    cr_expect(which != NULL && strcmp(which, "a\nb\n") == 0, "%s", which);

    free(which);
    free(wp);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free(logs);
    free(rmcmd);
    free(pv);
    free(saved);
    free(pb);
    free(pa);
    free(b);
    free(a);
    drt_rmtree(dir);
    free(dir);
}
