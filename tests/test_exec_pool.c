/*
 * The process pool of --executor processes (scheduler/pool.c): workers
 * forked by the zygote, their crashes seen with their signal, memory
 * limits, and nothing left running when the pool ends or dagrun dies.
 * Real processes throughout.
 */
#include "pool.h"
#include "support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A worker that answers each byte: 'e' echo, 's' segfault, 'a' abort,
 * 'm' try to allocate 1 GiB and say whether it could, 'h' hang. */
static void serve(int fd, unsigned worker, void *arg) {
    (void)arg;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (c == 's')
            raise(SIGSEGV);
        if (c == 'a')
            abort();
        if (c == 'h')
            for (;;)
                pause();
        if (c == 'm') {
            void *big = malloc((size_t)1 << 30);
            if (big != NULL)
                memset(big, 1, 4096);
            c = big != NULL ? 'y' : 'n';
            free(big);
        }
        if (c == 'w')
            c = (char)('0' + worker);
        if (write(fd, &c, 1) != 1)
            return;
    }
}

static char ask(int fd, char c) {
    cr_assert_eq(write(fd, &c, 1), 1);
    char r = 0;
    ssize_t got = read(fd, &r, 1);
    return got == 1 ? r : 0;
}

static int alive(int pid) { return kill(pid, 0) == 0; }

/* Waits up to 5 s for pid to be gone (not our child: no waitpid). */
static int gone_soon(int pid) {
    for (int i = 0; i < 500 && drt_alive(pid); i++)
        drt_nap_ms(10);
    return !drt_alive(pid);
}

Test(pool, workers_answer_and_know_their_id) {
    dr__pool_config cfg = {serve, NULL, 0};
    dr__pool *p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    int fd[3], pid[3];
    char err[256];
    for (unsigned w = 0; w < 3; w++)
        cr_assert_eq(dr__pool_spawn(p, w, &fd[w], &pid[w], err, sizeof err), 0,
                     "%s", err);
    for (unsigned w = 0; w < 3; w++) {
        cr_expect_eq(ask(fd[w], 'e'), 'e');
        cr_expect_eq(ask(fd[w], 'w'), '0' + (char)w);
        cr_expect_neq(pid[w], getpid());
    }
    int zygote = dr__pool_pid(p);
    for (unsigned w = 0; w < 3; w++)
        close(fd[w]);
    dr__pool_finish(p, 1000);
    cr_expect(!alive(zygote));
    for (unsigned w = 0; w < 3; w++)
        cr_expect(gone_soon(pid[w]), "worker %d is still running", pid[w]);
}

Test(pool, a_crash_is_seen_with_its_signal_and_the_worker_replaced) {
    dr__pool_config cfg = {serve, NULL, 0};
    dr__pool *p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    int fd, pid;
    char err[256], text[128];
    cr_assert_eq(dr__pool_spawn(p, 2, &fd, &pid, err, sizeof err), 0);
    cr_expect_eq(ask(fd, 's'), 0, "a crashed worker answers nothing");
    int st = dr__pool_reap(p, pid);
    cr_expect_str_eq(dr__wait_status_text(st, text, sizeof text),
                     "died of signal 11 (Segmentation fault)");
    close(fd);
    cr_assert_eq(dr__pool_spawn(p, 2, &fd, &pid, err, sizeof err), 0);
    cr_expect_eq(ask(fd, 'a'), 0);
    st = dr__pool_reap(p, pid);
    cr_expect_str_eq(dr__wait_status_text(st, text, sizeof text),
                     "died of signal 6 (Aborted)");
    close(fd);
    /* A hung worker is killed. */
    cr_assert_eq(dr__pool_spawn(p, 2, &fd, &pid, err, sizeof err), 0);
    char h = 'h';
    cr_assert_eq(write(fd, &h, 1), 1);
    st = dr__pool_reap(p, pid);
    cr_expect_str_eq(dr__wait_status_text(st, text, sizeof text),
                     "died of signal 9 (Killed)");
    close(fd);
    dr__pool_finish(p, 0);
}

/* AddressSanitizer and ThreadSanitizer reserve terabytes of address space
 * at start-up: no address-space limit leaves them room
 * (docs/executors.md). */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
Test(pool, the_memory_limit_applies_to_each_worker) {
    dr__pool_config cfg = {serve, NULL, (uint64_t)256 << 20};
    dr__pool *p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    int fd, pid;
    char err[256];
    cr_assert_eq(dr__pool_spawn(p, 0, &fd, &pid, err, sizeof err), 0);
    cr_expect_eq(ask(fd, 'm'), 'n', "1 GiB must not fit in 256 MiB");
    close(fd);
    dr__pool_finish(p, 1000);

    cfg.memory = 0;
    p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    cr_assert_eq(dr__pool_spawn(p, 0, &fd, &pid, err, sizeof err), 0);
    cr_expect_eq(ask(fd, 'm'), 'y', "no limit: 1 GiB of address space fits");
    close(fd);
    dr__pool_finish(p, 1000);
}
#endif

Test(pool, finish_kills_workers_that_do_not_exit) {
    dr__pool_config cfg = {serve, NULL, 0};
    dr__pool *p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    int fd, pid;
    char err[256];
    cr_assert_eq(dr__pool_spawn(p, 0, &fd, &pid, err, sizeof err), 0);
    char h = 'h';
    cr_assert_eq(write(fd, &h, 1), 1);
    usleep(50000);
    dr__pool_finish(p, 100);
    cr_expect(gone_soon(pid));
    close(fd);
}

/* dagrun killed with SIGKILL: its zygote and workers end too. */
Test(pool, nothing_outlives_a_killed_dagrun) {
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        dr__pool_config cfg = {serve, NULL, 0};
        dr__pool *p = dr__pool_start(&cfg);
        int pids[3] = {0, 0, 0}, fd;
        char err[256];
        for (unsigned w = 0; p != NULL && w < 2; w++)
            dr__pool_spawn(p, w, &fd, &pids[w], err, sizeof err);
        pids[2] = dr__pool_pid(p);
        if (write(pipefd[1], pids, sizeof pids) != sizeof pids)
            _exit(1);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    int pids[3];
    cr_assert_eq(read(pipefd[0], pids, sizeof pids), (ssize_t)sizeof pids);
    close(pipefd[0]);
    for (int i = 0; i < 3; i++)
        cr_assert_gt(pids[i], 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    for (int i = 0; i < 3; i++)
        cr_expect(gone_soon(pids[i]), "process %d outlived dagrun", pids[i]);
}

Test(pool, running_out_of_descriptors_is_a_clear_error) {
    dr__pool_config cfg = {serve, NULL, 0};
    dr__pool *p = dr__pool_start(&cfg);
    cr_assert_not_null(p);
    /* Fill this process's descriptor table (made small) so that the
     * passed socket cannot arrive. */
    struct rlimit rl = {64, 64};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int held[64], nheld = 0, fd, pid;
    char err[256] = "";
    int rc = 0;
    while (nheld < 64) {
        int d = dup(0);
        if (d < 0)
            break;
        held[nheld++] = d;
    }
    rc = dr__pool_spawn(p, 5, &fd, &pid, err, sizeof err);
    for (int i = 0; i < nheld; i++)
        close(held[i]);
    cr_assert_neq(rc, 0, "a worker started with no descriptor to reach it");
    cr_expect(strstr(err, "cannot start worker process 5") != NULL, "%s", err);
    cr_expect(strstr(err, "ulimit -n") != NULL, "%s", err);
    /* And the pool still works once descriptors are free. */
    cr_assert_eq(dr__pool_spawn(p, 5, &fd, &pid, err, sizeof err), 0, "%s",
                 err);
    cr_expect_eq(ask(fd, 'e'), 'e');
    close(fd);
    dr__pool_finish(p, 1000);
}
