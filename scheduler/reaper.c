/*
 * The reaper: nothing a run starts may outlive it.
 *
 * Each command runs in its own session and process group (posix_spawnp with
 * POSIX_SPAWN_SETSID, exec_commands.c), which the executor kills as soon as
 * the command's main process exits, so a `sleep 60 & echo ok` leaves nothing
 * behind.  That covers every end of dagrun in which dagrun's own code still
 * runs.  For the others (kill -9, a crash, an _exit) something outside
 * dagrun's process must notice: that is the watcher, a child forked before
 * the run starts its threads.  It holds one end of a socket pair; dagrun
 * holds the other (close-on-exec, so no command inherits it) and sends it
 * each command's process group when the command starts and again once dagrun
 * has killed it.  When the socket reads end-of-file — dagrun closed it at the
 * end of the run, or dagrun is dead — the watcher
 *   1. sends SIGTERM to every group it still knows, and to every process
 *      whose environment holds the run's mark (DAGRUN_RUN=<id>, given to
 *      every command and inherited by everything they start: this finds
 *      what left its process group with setsid or setpgid),
 *   2. waits up to REAP_GRACE_MS for them to go, then sends SIGKILL to
 *      whatever is left, and exits.
 * At a normal end dagrun waits for it, so when dr_run_graph returns nothing
 * the run started is running.  The one thing it cannot find is a process
 * that left its group and cleared its environment (`setsid env -i ...`);
 * a cgroup would, but is rarely writable by users (docs/running.md).
 *
 * A group is only signalled while dagrun has not reported it killed, and a
 * process only when it carries this run's mark, so a recycled pid is never
 * hit: a process group id stays taken while any member lives, and the mark
 * is unique to the run.
 *
 * The watcher is forked from a process that may have other threads (a
 * program using the library), so after fork() it only makes system calls
 * that are async-signal-safe: no malloc, no stdio.  Its group table and the
 * mark are prepared by the parent before the fork.  It leaves dagrun's
 * session (no terminal signals: a Ctrl-C or a hang-up reaches dagrun, which
 * handles it, and the watcher only sees the end), ignores the signals that
 * would stop a run, closes every descriptor but its socket, and names itself
 * "dagrun-reaper" (ps -o comm).
 */
#define _GNU_SOURCE /* close_range, getdents64 */
#include "reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAP_GRACE_MS 1000 /* SIGTERM, then SIGKILL this much later */
#define REAP_BATCH_MS 2    /* the least time between two reads of records */
#define REAP_POLL_MS 20

/* ------------------------------------------------- in the watcher only */

typedef struct watcher {
    int fd;
    const char *mark; /* "DAGRUN_RUN=<id>" */
    size_t marklen;
    int *groups; /* live process groups; 0: a free entry */
    unsigned cap;
    unsigned long long born; /* the watcher's start (clock ticks since boot) */
} watcher;

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void remember(watcher *w, int pgid) {
    for (unsigned i = 0; i < w->cap; i++)
        if (w->groups[i] == 0) {
            w->groups[i] = pgid;
            return;
        }
    /* Cannot happen: at most one live group per worker slot. */
}

static void forget(watcher *w, int pgid) {
    for (unsigned i = 0; i < w->cap; i++)
        if (w->groups[i] == pgid)
            w->groups[i] = 0;
}

/* Opens /proc/<pid>/<file> for reading ("self" is a pid too); -1 when it
 * cannot.  No malloc or stdio: it runs in the watcher. */
static int open_proc(const char *pid, const char *file) {
    char path[64] = "/proc/";
    size_t n = strlen(pid), f = strlen(file);
    if (n > 20 || f > 20)
        return -1;
    memcpy(path + 6, pid, n);
    path[6 + n] = '/';
    memcpy(path + 7 + n, file, f + 1);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The start time of process `pid` ("self" too), in clock ticks since boot
 * (field 22 of /proc/<pid>/stat), and whether it is alive (not a zombie);
 * 0 when it cannot be read. */
static unsigned long long started(const char *pid, int *alive) {
    int fd = open_proc(pid, "stat");
    if (fd < 0)
        return 0;
    char buf[1024];
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf - 1)) < 0 && errno == EINTR)
        ;
    close(fd);
    if (got <= 0)
        return 0;
    buf[got] = '\0';
    /* The command name may hold spaces and ')': fields follow the last ')'. */
    char *p = NULL;
    for (char *q = buf; *q; q++)
        if (*q == ')')
            p = q;
    if (p == NULL || p[1] != ' ')
        return 0;
    p += 2; /* field 3, the state */
    if (alive != NULL)
        *alive = *p != 'Z' && *p != 'X';
    for (int field = 3; field < 22; field++) {
        while (*p && *p != ' ')
            p++;
        if (*p++ != ' ')
            return 0;
    }
    unsigned long long t = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        t = t * 10 + (unsigned long long)(*p - '0');
    return t;
}

/* Whether the NUL-separated environment of `pid` holds the mark as one
 * whole entry.  Streams the file, so any size works; a zombie's is empty. */
static int has_mark(const watcher *w, const char *pid) {
    int fd = open_proc(pid, "environ");
    if (fd < 0)
        return 0;
    char buf[4096];
    long matched = 0; /* bytes of the mark matched in this entry; -1: no */
    int found = 0;
    ssize_t got;
    while (!found && (got = read(fd, buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; i < got && !found; i++) {
            if (buf[i] == '\0') {
                found = matched == (long)w->marklen;
                matched = 0;
            } else if (matched >= 0 && (size_t)matched < w->marklen &&
                       buf[i] == w->mark[matched]) {
                matched++;
            } else {
                matched = -1;
            }
        }
    }
    if (!found && matched == (long)w->marklen)
        found = 1; /* the last entry, without its NUL */
    close(fd);
    return found;
}

/* Sends `sig` to every live process carrying the mark (sig 0: only
 * counts them); returns how many there were. */
static unsigned sweep_marked(const watcher *w, int sig) {
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    unsigned count = 0;
    pid_t self = getpid();
    char buf[8192];
    ssize_t got;
    while ((got = getdents64(dir, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            long pid = 0;
            const char *p = name;
            for (; *p >= '0' && *p <= '9' && pid < 1L << 40; p++)
                pid = pid * 10 + (*p - '0');
            if (*p != '\0' || p == name || pid <= 1 || pid == self)
                continue;
            /* Only a live process started after the watcher (as everything
             * the commands start is) can carry the mark: the others' memory
             * is not even looked at (reading an environment takes the
             * process's memory lock). */
            int alive = 0;
            if (started(name, &alive) < w->born || !alive)
                continue;
            if (!has_mark(w, name))
                continue;
            count++;
            if (sig != 0)
                kill((pid_t)pid, sig);
        }
    }
    close(dir);
    return count;
}

/* Sends `sig` to every group still known (sig 0: counts the groups that
 * still exist). */
static unsigned signal_groups(const watcher *w, int sig) {
    unsigned count = 0;
    for (unsigned i = 0; i < w->cap; i++)
        if (w->groups[i] > 0 && kill(-w->groups[i], sig) == 0)
            count++;
    return count;
}

static void stop_everything(const watcher *w) {
    unsigned found = signal_groups(w, SIGTERM) + sweep_marked(w, SIGTERM);
    if (found == 0)
        return;
    for (int waited = 0; waited < REAP_GRACE_MS; waited += REAP_POLL_MS) {
        nap_ms(REAP_POLL_MS);
        if (signal_groups(w, 0) == 0 && sweep_marked(w, 0) == 0)
            return;
    }
    signal_groups(w, SIGKILL);
    sweep_marked(w, SIGKILL);
}

static void close_other_fds(int keep) {
    if (keep > 0 && close_range(0, (unsigned)keep - 1, 0) != 0)
        for (int fd = 0; fd < keep; fd++)
            close(fd);
    if (close_range((unsigned)keep + 1, ~0U, 0) != 0) {
        /* Kernels before 5.9: close what can plausibly be open. */
        for (int fd = keep + 1; fd < 65536; fd++)
            close(fd);
    }
}

static void watcher_main(watcher *w) __attribute__((noreturn));
static void watcher_main(watcher *w) {
    static const int ignored[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                  SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    prctl(PR_SET_NAME, "dagrun-reaper", 0, 0, 0);
    w->born = started("self", NULL);
    close_other_fds(w->fd);
    if (chdir("/") != 0) {
        /* Only so as not to hold a mount busy; harmless if it fails. */
    }

    /* Records are native int32: +pgid watch, -pgid forget.  A stream may
     * split one across reads. */
    unsigned char buf[4096];
    size_t have = 0;
    for (;;) {
        ssize_t got = read(w->fd, buf + have, sizeof buf - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* end of file: the run is over or dagrun is dead */
        have += (size_t)got;
        size_t used = 0;
        for (; have - used >= sizeof(int32_t); used += sizeof(int32_t)) {
            int32_t v;
            memcpy(&v, buf + used, sizeof v);
            if (v > 0)
                remember(w, v);
            else if (v < 0)
                forget(w, -v);
        }
        memmove(buf, buf + used, have - used);
        have -= used;
        /* Records wait in the socket, in order, even if dagrun dies, so
         * reading them a little later loses nothing; it only spares a
         * wake-up (a process switch, on the cores the commands use) for
         * each command's start and end.  The end of the file, too, is
         * seen at most this late. */
        nap_ms(REAP_BATCH_MS);
    }
    stop_everything(w);
    _exit(0);
}

/* ------------------------------------------------------- in dagrun */

int dr__reaper_start(dr__reaper *r, const char *mark, unsigned groups) {
    r->fd = -1;
    r->pid = 0;
    watcher w;
    w.mark = mark;
    w.marklen = strlen(mark);
    w.cap = groups > 0 ? groups : 1;
    w.born = 0;
    w.groups = calloc(w.cap, sizeof *w.groups);
    if (w.groups == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int saved = errno;
        free(w.groups);
        errno = saved;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(sv[0]);
        close(sv[1]);
        free(w.groups);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        w.fd = sv[1];
        watcher_main(&w);
    }
    close(sv[1]);
    free(w.groups); /* the watcher has its own copy */
    r->fd = sv[0];
    r->pid = (int)pid;
    return 0;
}

static void tell(dr__reaper *r, int32_t v) {
    if (r->fd < 0)
        return;
    const char *p = (const char *)&v;
    size_t left = sizeof v;
    while (left > 0) {
        ssize_t w = send(r->fd, p, left, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the watcher is gone: nothing to tell */
        p += w;
        left -= (size_t)w;
    }
}

void dr__reaper_watch(dr__reaper *r, int pgid) {
    if (pgid > 0)
        tell(r, pgid);
}

void dr__reaper_forget(dr__reaper *r, int pgid) {
    if (pgid > 0)
        tell(r, -pgid);
}

void dr__reaper_finish(dr__reaper *r) {
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->pid > 0)
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    r->pid = 0;
}
