/*
 * The process pool (pool.h).
 *
 * Why a zygote.  Worker processes must run the program's own C functions,
 * so they are forks of dagrun, not new programs (no exec).  But dagrun has
 * threads while it runs (the worker threads, the libuv loop), and a fork of
 * a process with threads holds, in its copy of memory, every lock another
 * thread held at that instant, locked for ever.  So once, when the run
 * starts and before it starts a thread of its own, dagrun forks one small
 * process, the zygote, which stays single-threaded and forks every worker,
 * the first ones and the replacements of those that die, on request.  A
 * worker is thus always the fork of a single-threaded process.  What the
 * zygote cannot fix is a program (a user of the C API) that has threads of
 * its own when it starts the run: glibc makes malloc and stdio safe across
 * fork, but a lock of the program's held by another thread at that moment
 * stays held in every worker (docs/running.md, "Executors").
 *
 * The zygote talks to dagrun over a socket of fixed-size requests, one at
 * a time under a mutex (any worker thread may start or reap a worker):
 *   SPAWN w -> a reply {pid, errno} with the worker's socket end passed as
 *              SCM_RIGHTS;
 *   REAP pid -> kill(pid, SIGKILL) already done by dagrun, the zygote waits
 *              for its child and replies {status}.
 * End of file on that socket (the run is over, or dagrun died, kill -9
 * included) makes the zygote kill every worker still alive and exit, and a
 * worker dies with its zygote (PR_SET_PDEATHSIG): none outlives dagrun.
 * The zygote ignores the terminal's signals and lives in its own process
 * group, so Ctrl-C reaches dagrun, which stops the workers itself.
 */
#define _GNU_SOURCE /* close_range, strsignal */
#include "pool.h"
#include "bigmem.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKER_FD 3
#define ZYGOTE_FD 3
/* The zygote answers at once; one that does not within this long is hung
 * (stopped, say) and is killed, so that no worker thread waits for ever. */
#define REPLY_MS 10000

enum { OP_SPAWN = 1, OP_REAP = 2, OP_FINISH = 3 };

typedef struct request {
    int32_t op;
    int32_t arg; /* the worker id, or the pid to reap */
} request;

typedef struct reply {
    int32_t value; /* pid, or wait status */
    int32_t err;   /* errno, 0: none */
} reply;

struct dr__pool {
    int fd;     /* dagrun's end of the zygote's socket; -1: gone */
    int pid;    /* the zygote */
    int status; /* its wait status once reaped (reaped: 1) */
    int reaped;
    int gave_up; /* it did not answer in time and was killed */
    pthread_mutex_t lock;
};

/* ----------------------------------------------------- in the zygote */

static void close_fds_from(int first) {
    if (close_range((unsigned)first, ~0U, 0) != 0)
        for (int fd = first; fd < 65536; fd++)
            close(fd);
}

/* Moves `fd` to `to` (closing what was there) and closes every fd above. */
static int settle_fd(int fd, int to) {
    if (fd != to) {
        if (dup2(fd, to) < 0)
            return -1;
        close(fd);
    }
    close_fds_from(to + 1);
    return 0;
}

static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int send_reply(int fd, reply r, int passfd) {
    struct iovec iov = {&r, sizeof r};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (passfd >= 0) {
        memset(&u, 0, sizeof u);
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passfd, sizeof passfd);
    }
    for (;;) {
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        return w == (ssize_t)sizeof r ? 0 : -1;
    }
}

static void worker_start(const dr__pool_config *cfg, int fd, unsigned worker,
                         pid_t zygote) __attribute__((noreturn));
static void worker_start(const dr__pool_config *cfg, int fd, unsigned worker,
                         pid_t zygote) {
    /* Dies with the zygote, which dies with dagrun (the top comment);
     * unless the zygote died before this line. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != zygote)
        _exit(127);
    /* The crash signals too: a handler of the program's (or a sanitizer's)
     * would turn a crash into an exit, and the message would lose the
     * signal that says what happened. */
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
                                SIGBUS, SIGFPE,  SIGILL, SIGABRT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaction(reset[i], &sa, NULL);
    if (settle_fd(fd, WORKER_FD) != 0)
        _exit(127);
    char name[16];
    snprintf(name, sizeof name, "dagrun-w%u", worker);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    if (cfg->memory > 0) {
        struct rlimit rl = {(rlim_t)cfg->memory, (rlim_t)cfg->memory};
        setrlimit(RLIMIT_AS, &rl);
    }
    cfg->main(WORKER_FD, worker, cfg->arg);
    fflush(NULL);
    _exit(0);
}

static void kill_all(pid_t *kids, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (kids[i] > 0)
            kill(kids[i], SIGKILL);
    for (size_t i = 0; i < n; i++)
        if (kids[i] > 0)
            while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
                ;
}

static void forget_kid(pid_t *kids, size_t n, pid_t pid) {
    for (size_t i = 0; i < n; i++)
        if (kids[i] == pid)
            kids[i] = 0;
}

/* Waits up to grace_ms for the children to exit by themselves. */
static void wait_kids(pid_t *kids, size_t n, unsigned grace_ms) {
    for (unsigned waited = 0;; waited += 10) {
        size_t alive = 0;
        for (size_t i = 0; i < n; i++) {
            if (kids[i] <= 0)
                continue;
            pid_t r = waitpid(kids[i], NULL, WNOHANG);
            if (r == kids[i] || (r < 0 && errno == ECHILD))
                kids[i] = 0;
            else
                alive++;
        }
        if (alive == 0 || waited >= grace_ms)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void zygote_main(const dr__pool_config *cfg, int fd)
    __attribute__((noreturn));
static void zygote_main(const dr__pool_config *cfg, int fd) {
    static const int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    prctl(PR_SET_NAME, "dagrun-zygote", 0, 0, 0);
    if (settle_fd(fd, ZYGOTE_FD) != 0)
        _exit(127);
    fd = ZYGOTE_FD;
    pid_t self = getpid();

    size_t cap = 64, n = 0;
    pid_t *kids = calloc(cap, sizeof *kids);
    request rq;
    unsigned grace_ms = 0;
    while (kids != NULL && read_full(fd, &rq, sizeof rq) == 0) {
        if (rq.op == OP_REAP) {
            int status = -1;
            pid_t r;
            while ((r = waitpid(rq.arg, &status, 0)) < 0 && errno == EINTR)
                ;
            forget_kid(kids, n, rq.arg);
            reply rp = {r == rq.arg ? status : -1, r == rq.arg ? 0 : errno};
            if (send_reply(fd, rp, -1) != 0)
                break;
            continue;
        }
        if (rq.op != OP_SPAWN) { /* OP_FINISH */
            grace_ms = rq.op == OP_FINISH ? (unsigned)rq.arg : 0;
            break;
        }
        reply rp = {0, 0};
        int sv[2] = {-1, -1};
        if (n == cap) {
            pid_t *bigger = realloc(kids, 2 * cap * sizeof *kids);
            if (bigger == NULL) {
                rp.err = ENOMEM;
                goto answer;
            }
            memset(bigger + cap, 0, cap * sizeof *kids);
            kids = bigger;
            cap *= 2;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            rp.err = errno;
            goto answer;
        }
        /* _Fork: no pthread_atfork handler runs.  The zygote has one
         * thread, so there is no lock for them to make safe, and they would
         * act on stale state: libuv's, registered by an earlier run of
         * this process, closes by number the descriptors of its signal
         * pipe, which in a worker are the worker's own socket. */
        pid_t pid = _Fork();
        if (pid == 0) {
            close(fd);
            close(sv[0]);
            free(kids);
            worker_start(cfg, sv[1], (unsigned)rq.arg, self);
        }
        close(sv[1]);
        if (pid < 0) {
            rp.err = errno;
            close(sv[0]);
            sv[0] = -1;
        } else {
            rp.value = pid;
            kids[n++] = pid;
        }
    answer:
        if (send_reply(fd, rp, rp.err == 0 ? sv[0] : -1) != 0)
            break;
        if (sv[0] >= 0)
            close(sv[0]);
    }
    /* The run is over or dagrun is gone: nothing may outlive it. */
    if (kids != NULL) {
        wait_kids(kids, n, grace_ms);
        kill_all(kids, n);
    }
    _exit(0);
}

/* ------------------------------------------------------- in dagrun */

dr__pool *dr__pool_start(const dr__pool_config *cfg) {
    dr__pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int saved = errno;
        free(p);
        errno = saved;
        return NULL;
    }
    /* Whatever stdio holds would be written twice, by dagrun and by a
     * worker's exit. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(sv[0]);
        close(sv[1]);
        free(p);
        errno = saved;
        return NULL;
    }
    if (pid == 0) {
        close(sv[0]);
        /* The last runs' kept arrays are not the workers' (bigmem.h): under
         * --worker-memory they would count against every worker's limit. */
        dr__big_trim();
        zygote_main(cfg, sv[1]);
    }
    close(sv[1]);
    p->fd = sv[0];
    p->pid = (int)pid;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

int dr__pool_pid(const dr__pool *p) { return p != NULL ? p->pid : 0; }

int dr__pool_gone(dr__pool *p, char *why, size_t len) {
    pthread_mutex_lock(&p->lock);
    if (!p->reaped && p->pid > 0) {
        /* Once its socket has failed the zygote has exited or is about to
         * (killed, or its socket closed as it died): wait for it. */
        int st;
        pid_t r;
        while ((r = waitpid(p->pid, &st, p->fd < 0 ? 0 : WNOHANG)) < 0 &&
               errno == EINTR)
            ;
        if (r == p->pid) {
            p->reaped = 1;
            p->status = st;
        }
    }
    int gone = p->reaped || p->fd < 0;
    if (gone) {
        char text[96];
        snprintf(why, len,
                 "the process that starts worker processes (dagrun-zygote, "
                 "pid %d) %s",
                 p->pid,
                 p->gave_up ? "stopped answering for 10 s and was killed"
                 : p->reaped
                     ? dr__wait_status_text(p->status, text, sizeof text)
                     : "is gone");
    }
    pthread_mutex_unlock(&p->lock);
    return gone;
}

static int write_full(int fd, const void *buf, size_t n) {
    const char *q = buf;
    while (n > 0) {
        ssize_t w = send(fd, q, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

/* (p->lock) Receives a reply, and the fd passed with it if any. */
static int recv_reply(int fd, reply *rp, int *passed, int *truncated) {
    struct iovec iov = {rp, sizeof *rp};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    *passed = -1;
    *truncated = 0;
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready;
    while ((ready = poll(&pfd, 1, REPLY_MS)) < 0 && errno == EINTR)
        ;
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    ssize_t got;
    while ((got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); got > 0 && c != NULL;
         c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(passed, CMSG_DATA(c), sizeof *passed);
    /* No free descriptor here: the kernel drops the passed one. */
    *truncated = got > 0 && (msg.msg_flags & MSG_CTRUNC) != 0;
    if (got != (ssize_t)sizeof *rp) {
        if (*passed >= 0)
            close(*passed);
        *passed = -1;
        if (got >= 0)
            errno = EPIPE;
        return -1;
    }
    return 0;
}

/* (p->lock) Talking to the zygote failed: it is gone (its socket closed:
 * it died), or it did not answer in time and is killed (its workers die
 * with it).  Either way no worker can start any more. */
static void give_up(dr__pool *p) {
    int saved = errno;
    if (saved == ETIMEDOUT && p->pid > 0) {
        kill(p->pid, SIGKILL);
        p->gave_up = 1;
    }
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    errno = saved;
}

int dr__pool_spawn(dr__pool *p, unsigned worker, int *fd, int *pid, char *err,
                   size_t errlen) {
    request rq = {OP_SPAWN, (int32_t)worker};
    reply rp = {0, 0};
    int passed = -1, rc = -1, truncated = 0, orphan = 0;
    pthread_mutex_lock(&p->lock);
    if (p->fd < 0)
        errno = EPIPE;
    else if (write_full(p->fd, &rq, sizeof rq) == 0 &&
             recv_reply(p->fd, &rp, &passed, &truncated) == 0) {
        if (rp.err != 0)
            errno = rp.err;
        else if (passed < 0) {
            errno = truncated ? EMFILE : EPROTO;
            orphan = rp.value; /* started, but unreachable */
        } else
            rc = 0;
    } else
        give_up(p);
    pthread_mutex_unlock(&p->lock);
    if (rc != 0) {
        int saved = errno;
        if (orphan > 0)
            dr__pool_reap(p, orphan);
        if (passed >= 0)
            close(passed);
        snprintf(err, errlen, "cannot start worker process %u: %s%s", worker,
                 strerror(saved),
                 saved == EMFILE || saved == ENFILE
                     ? " (each worker process takes one file descriptor: "
                       "raise `ulimit -n` or use fewer --workers)"
                 : saved == EPIPE ? " (the process that starts them is gone)"
                 : saved == ETIMEDOUT
                     ? " (the process that starts them did not "
                       "answer for 10 s and was killed)"
                     : "");
        errno = saved;
        return -1;
    }
    *fd = passed;
    *pid = rp.value;
    return 0;
}

int dr__pool_reap(dr__pool *p, int pid) {
    if (pid <= 0)
        return -1;
    kill(pid, SIGKILL);
    request rq = {OP_REAP, pid};
    reply rp = {-1, 0};
    int passed = -1, status = -1, truncated = 0;
    pthread_mutex_lock(&p->lock);
    if (p->fd >= 0) {
        if (write_full(p->fd, &rq, sizeof rq) != 0 ||
            recv_reply(p->fd, &rp, &passed, &truncated) != 0)
            give_up(p);
        else if (rp.err == 0)
            status = rp.value;
    }
    pthread_mutex_unlock(&p->lock);
    if (passed >= 0)
        close(passed);
    return status;
}

void dr__pool_finish(dr__pool *p, unsigned grace_ms) {
    if (p == NULL)
        return;
    if (p->fd >= 0) {
        request rq = {OP_FINISH, (int32_t)grace_ms};
        write_full(p->fd, &rq, sizeof rq);
        close(p->fd);
    }
    p->fd = -1;
    if (p->pid > 0 && !p->reaped)
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *dr__wait_status_text(int status, char *buf, size_t len) {
    if (status < 0)
        snprintf(buf, len, "ended (its status is unknown)");
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "died of signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "stopped (status 0x%x)", (unsigned)status);
    return buf;
}
