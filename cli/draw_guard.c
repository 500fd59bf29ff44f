/*
 * A signal while `dagrun run` draws its pictures stops the drawing cleanly
 * (docs/running.md, "Signals").
 *
 * When the pictures are drawn the tasks have ended and trace.json and
 * summary.json are written: a SIGINT, SIGTERM or SIGHUP then must neither
 * kill dagrun with the default action (exit 129 or 143, the RUNNING file
 * and half-written temporary files left behind) nor wait for a layout that
 * may take seconds.  Graphviz offers no way to stop a layout from inside,
 * so the drawing runs in a forked child: the parent blocks the three
 * signals and SIGCHLD and waits for whichever comes first with
 * sigwaitinfo, so no handler and no race is involved.  On a signal it kills
 * the child (SIGKILL: the drawing is throw-away work), reaps it, and
 * removes what the child may have left: the atomic writer's temporary files
 * beside each target, and the run folder's default pictures, so that the
 * folder shows all of them or none.  The child dies with its parent
 * (PR_SET_PDEATHSIG), so a kill -9 of dagrun leaves no drawing running.
 *
 * After draw_guard_hold_signals() the three signals stay blocked until
 * dagrun exits: one that arrives after the pictures are written finds
 * nothing left to stop, and is discarded at exit.
 */
#define _GNU_SOURCE
#include "draw_guard.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void stop_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void draw_guard_hold_signals(void) {
    sigset_t set;
    stop_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int draw_guard_pending(void) {
    sigset_t set;
    stop_signals(&set);
    struct timespec now = {0, 0};
    int sig;
    while ((sig = sigtimedwait(&set, NULL, &now)) < 0 && errno == EINTR)
        ;
    return sig > 0 ? sig : 0;
}

/* Removes `path`'s temporary files (PATH.tmp.XXXXXX, six hex digits: the
 * names graph/fileio.c gives them) and, if `whole`, path itself. */
static void clean_target(const char *path, int whole) {
    if (strcmp(path, "-") == 0)
        return;
    if (whole)
        unlink(path);
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    char *slash = strrchr(copy, '/');
    const char *dir = slash == NULL ? "." : slash == copy ? "/" : copy;
    const char *base = slash == NULL ? copy : slash + 1;
    if (slash != NULL)
        *slash = '\0';
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) != 0 || strncmp(n + blen, ".tmp.", 5) != 0)
            continue;
        const char *hex = n + blen + 5;
        if (strlen(hex) != 6 || strspn(hex, "0123456789abcdef") != 6)
            continue;
        size_t len = strlen(dir) + strlen(n) + 2;
        char *full = malloc(len);
        if (full != NULL) {
            snprintf(full, len, "%s/%s", dir, n);
            unlink(full);
            free(full);
        }
    }
    if (d != NULL)
        closedir(d);
    free(copy);
}

static void clean_targets(const char *const *targets, const int *remove,
                          size_t n) {
    for (size_t i = 0; i < n; i++)
        clean_target(targets[i], remove != NULL && remove[i]);
}

static void reap(pid_t pid, int *status) {
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

int draw_guard_run(int (*draw)(void *user_data), void *user_data,
                   const char *const *targets, const int *remove,
                   size_t ntargets) {
    int sig = draw_guard_pending();
    if (sig != 0)
        return sig;
    sigset_t wait_for, old;
    stop_signals(&wait_for);
    sigaddset(&wait_for, SIGCHLD);
    sigprocmask(SIG_BLOCK, &wait_for, &old);
    /* Nothing buffered may be printed twice, by both processes. */
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        /* Draw here, unguarded, rather than not at all. */
        fprintf(stderr,
                "dagrun run: cannot start the drawing process (%s); "
                "drawing without it: a signal now kills dagrun at once\n",
                strerror(errno));
        sigdelset(&wait_for, SIGINT);
        sigdelset(&wait_for, SIGTERM);
        sigdelset(&wait_for, SIGHUP);
        sigprocmask(SIG_UNBLOCK, &wait_for, NULL);
        return draw(user_data) == 0 ? 0 : -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        /* The child has the default actions: a Ctrl-C (sent to the whole
         * process group) ends it at once too. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int rc = draw(user_data);
        fflush(stdout);
        fflush(stderr);
        _exit(rc == 0 ? 0 : 1);
    }
    int status = 0, result = 0;
    for (;;) {
        siginfo_t info;
        int s = sigwaitinfo(&wait_for, &info);
        if (s < 0)
            continue; /* EINTR: a signal outside the set */
        if (s == SIGCHLD) {
            pid_t r;
            while ((r = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR)
                ;
            if (r != pid)
                continue; /* another child of ours */
            if (WIFEXITED(status)) {
                result = WEXITSTATUS(status) == 0 ? 0 : -1;
            } else {
                /* Killed: by the same Ctrl-C that is waiting for us, or by
                 * something else (the OOM killer). */
                result = draw_guard_pending();
                if (result == 0) {
                    fprintf(stderr,
                            "dagrun run: the drawing process was killed by "
                            "signal %d (%s); the pictures were not written\n",
                            WTERMSIG(status), strsignal(WTERMSIG(status)));
                    result = -1;
                }
                clean_targets(targets, remove, ntargets);
            }
            break;
        }
        kill(pid, SIGKILL);
        reap(pid, &status);
        clean_targets(targets, remove, ntargets);
        result = s;
        break;
    }
    /* SIGCHLD back as it was; the stop signals stay held (top comment). */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (!sigismember(&old, SIGCHLD))
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
    return result;
}
