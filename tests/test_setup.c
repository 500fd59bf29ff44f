/*
 * scripts/setup.sh: which packages each form installs, and the wait for a
 * package manager that is already running.
 *
 * The lock is real: this test process holds an fcntl write lock, the kind
 * dpkg and apt take, on a file of its own, named to the script by
 * DAGRUN_APT_LOCKS, while setup.sh runs as a real child process.  Holding
 * the system's /var/lib/dpkg/lock-frontend instead would stop every other
 * apt on the machine (other test runs, unattended-upgrades) for the test's
 * duration, so it is not done here.  What cannot run in a test is the
 * package manager itself: dpkg-query and apt-get are replaced, through
 * PATH, by scripts that report every package missing and log their
 * arguments.  The log shows whether apt-get ran before or after the lock
 * was released.
 */
#define _GNU_SOURCE
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;

static void write_tool(const char *name, const char *body) {
    char *path = drt_fmt("%s/bin/%s", dir, name);
    char *text = drt_fmt("#!/bin/sh\n%s\n", body);
    cr_assert_eq(drt_write_file(path, text), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    free(text);
    free(path);
}

static void setup(void) {
    dir = drt_tmpdir();
    char *bin = drt_fmt("%s/bin", dir);
    cr_assert_eq(mkdir(bin, 0755), 0);
    free(bin);
    /* Every package is missing; apt-get logs what it was asked; sudo (used
     * when the tests do not run as root) just runs the command. */
    write_tool("dpkg-query", "exit 1");
    write_tool("apt-get", "echo \"apt-get $*\" >>\"$DAGRUN_TEST_LOG\"");
    write_tool("sudo", "exec \"$@\"");
}

static void teardown(void) {
    drt_rmtree(dir);
    free(dir);
}

/* Takes an fcntl write lock on path; returns the descriptor (closing it
 * releases the lock). */
static int hold_lock(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    cr_assert_eq(fcntl(fd, F_SETLK, &fl), 0);
    return fd;
}

/* Starts `env ... scripts/setup.sh ARGS` with stderr to dir/err. */
static pid_t start_setup(const char *env, const char *args) {
    char *cmd = drt_fmt("PATH='%s/bin':\"$PATH\" DAGRUN_TEST_LOG='%s/log' "
                        "DAGRUN_APT_LOCKS='%s/lock-frontend %s/lists-lock' "
                        "%s exec '%s/scripts/setup.sh' %s </dev/null "
                        ">'%s/out' 2>'%s/err'",
                        dir, dir, dir, dir, env, DR_SOURCE_DIR, args, dir, dir);
    char *const argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid = drt_start(NULL, "/bin/sh", argv, NULL, NULL, NULL);
    free(cmd);
    return pid;
}

static char *file(const char *name) { return drt_text_in(dir, name); }

/* Waits until dir/err contains `text` or the process has exited; returns
 * whether the text appeared.  The test's own timeout bounds the wait. */
static int wait_for_stderr(pid_t pid, const char *text) {
    for (;;) {
        char *err = file("err");
        int found = strstr(err, text) != NULL;
        free(err);
        if (found)
            return 1;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return 0;
        drt_nap_ms(20);
    }
}

static int exit_code(pid_t pid) {
    int status;
    drt_reap(pid, 0, &status);
    return drt_exit_code(status);
}

Test(setup, waits_for_a_held_package_lock_and_installs_after_its_release,
     .init = setup, .fini = teardown, .timeout = 120) {
    char *lock = drt_fmt("%s/lists-lock", dir);
    int fd = hold_lock(lock);
    pid_t pid = start_setup("", "");
    cr_assert(wait_for_stderr(pid, "waiting for"),
              "setup.sh did not say it waits:\n%s", file("err"));
    /* It says for which lock and which process... */
    char *err = file("err");
    char *holder = drt_fmt("%s, held by process %d (", lock, (int)getpid());
    cr_expect(strstr(err, holder) != NULL, "no '%s' in:\n%s", holder, err);
    free(holder);
    free(err);
    /* ...and neither failed nor ran apt-get while the lock is held. */
    int status;
    cr_expect_eq(waitpid(pid, &status, WNOHANG), 0,
                 "setup.sh ended while the lock was held");
    char *log = file("log");
    cr_expect_str_empty(log, "apt-get ran while the lock was held: %s", log);
    free(log);

    char *path = drt_fmt("%s/log", dir);
    cr_assert_eq(drt_write_file(path, "released\n"), 0);
    free(path);
    close(fd); /* releases the lock */
    cr_expect_eq(exit_code(pid), 0, "%s", file("err"));

    log = file("log");
    const char *update = strstr(log, "apt-get -o DPkg::Lock::Timeout=");
    cr_assert(strncmp(log, "released\n", 9) == 0 && update != NULL,
              "apt-get did not run after the release:\n%s", log);
    cr_expect_not_null(strstr(update, " update"), "%s", log);
    const char *install = strstr(update, " install ");
    cr_assert_not_null(install, "no install: %s", log);
    /* The plain form installs what building and running need only. */
    cr_expect_not_null(strstr(install, "libuv1-dev"), "%s", install);
    cr_expect_not_null(strstr(install, "libjansson-dev"), "%s", install);
    /* --executor mpi is part of the build: its library, and mpirun. */
    cr_expect_not_null(strstr(install, "libopenmpi-dev"), "%s", install);
    cr_expect_not_null(strstr(install, "openmpi-bin"), "%s", install);
    const char *test_only[] = {"chromium",     "clang",      "libcriterion-dev",
                               "clang-format", "libtbb-dev", "ninja-build"};
    for (size_t i = 0; i < sizeof(test_only) / sizeof(test_only[0]); i++)
        cr_expect_null(strstr(install, test_only[i]),
                       "the plain setup installs %s: %s", test_only[i],
                       install);
    err = file("err");
    cr_expect_not_null(strstr(err, "the package manager is free"), "%s", err);
    free(err);
    free(log);
    free(lock);
}

Test(setup, test_form_adds_the_test_only_packages, .init = setup,
     .fini = teardown, .timeout = 60) {
    pid_t pid = start_setup("", "--test");
    cr_assert_eq(exit_code(pid), 0, "%s", file("err"));
    char *log = file("log");
    const char *install = strstr(log, " install ");
    cr_assert_not_null(install, "%s", log);
    /* libtbb-dev and ninja-build: the benchmarks' peers (bench/). */
    const char *want[] = {"chromium",     "clang",      "libcriterion-dev",
                          "clang-format", "libuv1-dev", "libopenmpi-dev",
                          "openmpi-bin",  "libtbb-dev", "ninja-build"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(install, want[i]), "no %s: %s", want[i],
                           install);
    /* Nobody held a lock: nothing was said about waiting. */
    char *err = file("err");
    cr_expect_null(strstr(err, "waiting"), "%s", err);
    free(err);
    free(log);
}

Test(setup, gives_up_after_the_timeout_and_names_the_holder, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *lock = drt_fmt("%s/lock-frontend", dir);
    int fd = hold_lock(lock);
    pid_t pid = start_setup("DAGRUN_APT_LOCK_TIMEOUT=1", "");
    cr_expect_eq(exit_code(pid), 1);
    char *err = file("err");
    char *msg = drt_fmt("gave up after 1 s waiting for %s, held by process %d",
                        lock, (int)getpid());
    cr_expect_not_null(strstr(err, msg), "no '%s' in:\n%s", msg, err);
    char *log = file("log");
    cr_expect_str_empty(log, "apt-get ran although the lock was held: %s", log);
    free(log);
    free(msg);
    free(err);
    close(fd);
    free(lock);
}

Test(setup, nothing_missing_means_no_apt_and_no_wait, .init = setup,
     .fini = teardown, .timeout = 60) {
    /* Every package installed: dpkg-query says so, and a held lock does not
     * matter since nothing will be installed. */
    write_tool("dpkg-query", "echo 'install ok installed'");
    char *lock = drt_fmt("%s/lock-frontend", dir);
    int fd = hold_lock(lock);
    pid_t pid = start_setup("", "--test");
    cr_expect_eq(exit_code(pid), 0);
    char *log = file("log");
    cr_expect_str_empty(log, "%s", log);
    char *err = file("err");
    cr_expect_str_empty(err, "%s", err);
    free(err);
    free(log);
    close(fd);
    free(lock);
}
