/*
 * The executor's command tasks: spawning the child process with its logs
 * and environment, its exit, and killing its process group (exec_internal.h
 * has the design).
 *
 * How a command starts (issue 13).  libuv 1.44's uv_spawn forks, and a fork
 * copies the parent's page tables: its cost grows with dagrun's memory (with
 * a 1,000,000-task graph loaded, 1,000 `true` commands took 4.8 s more) and
 * even for a small graph it made dagrun slower than make -j2.  So commands
 * start with glibc's posix_spawnp, which clones with CLONE_VM | CLONE_VFORK:
 * nothing is copied, the loop thread waits only until the child has
 * exec'ed, and an exec failure (missing program, working folder) comes back
 * as posix_spawnp's result, as uv_spawn returned it.  The child is set up as
 * uv_spawn with UV_PROCESS_DETACHED set it up: a new session and process
 * group (POSIX_SPAWN_SETSID), no signal blocked, signals 1-31 at their
 * default action, stdin /dev/null, stdout and stderr the log files, the
 * working folder (posix_spawn_file_actions_addchdir_np, glibc 2.29), the
 * environment built here.  The program is looked up in PATH the way
 * uv_spawn's execvp did: the command's environment is the parent's with
 * only DAGRUN_* variables changed, so its PATH is the one posix_spawnp
 * reads.  (One difference: execvp ran a file without a #! line through
 * /bin/sh, posix_spawnp fails with "exec format error".)
 *
 * Its exit reaches the loop without libuv's SIGCHLD handler: a pidfd
 * (pidfd_open, Linux 5.3) watched by a uv_poll_t turns readable when the
 * process has exited; it is then still a zombie, so its process group is
 * killed while its id cannot be reused, and only then is it reaped, with
 * waitpid on its own pid.  Every command is so reaped exactly once, by us;
 * libuv's handler (installed only by uv_spawn) waits only for its own
 * handles' pids, and the zygote (pool.c) and the watcher (reaper.c) are
 * waited for by their own pids too, so nobody takes another's child.  A
 * kernel without pidfd_open, or a process that ignores SIGCHLD (whose
 * children the kernel reaps, status lost), gets uv_spawn and its exit
 * callback as before (checked once per run); the completion after the exit
 * is shared.
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal, addchdir_np */
#include "exec_internal.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Log file names are made in logs.c (escaped, cut when too long). */
static char *log_path(const exec *x, dr_task t, const char *ext) {
    return dr__log_path(x->run->run_dir, dr_task_key(x->g, t), ext);
}

/* The failure's stderr tail, made safe for terminals and JSON (logs.c). */
char *dr__x_stderr_tail(const exec *x, dr_task t) {
    char *path = log_path(x, t, ".err");
    if (path == NULL)
        return NULL;
    char *tail = dr__log_tail(path, TAIL_LINES, TAIL_BYTES);
    free(path);
    return tail;
}

static void on_child_closed(uv_handle_t *h) {
    child *c = h->data;
    if (c->pidfd >= 0)
        close(c->pidfd);
    free(c);
}

void dr__x_kill_group(slot *s, int sig) {
    if (s->child != NULL && s->pid > 0)
        kill(-s->pid, sig);
}

static void on_grace(uv_timer_t *h) { dr__x_kill_group(h->data, SIGKILL); }

/* (loop) SIGTERM the attempt's process group, SIGKILL it after a grace. */
void dr__x_terminate(slot *s) {
    if (s->child == NULL || s->killing)
        return;
    s->killing = 1;
    dr__x_kill_group(s, SIGTERM);
    if (!s->grace_init) {
        uv_timer_init(&s->x->loop, &s->grace);
        s->grace.data = s;
        s->grace_init = 1;
    }
    uv_timer_start(&s->grace, on_grace, KILL_GRACE_MS, 0);
}

/* (loop) The command's main process is gone: whatever it left running in
 * its group, such as a `sleep 60 &` of a command that succeeded, goes too,
 * and the watcher need not look after the group any longer.  Called while
 * the group id cannot have been reused: before the process is reaped
 * (pidfd), or just after libuv reaped it and before the loop goes on. */
static void kill_leftovers(slot *s) {
    if (s->timer_init)
        uv_timer_stop(&s->timer);
    dr__x_kill_group(s, SIGKILL);
    dr__reaper_forget(&s->x->reaper, s->pid);
    if (s->killing) {
        uv_timer_stop(&s->grace);
        s->killing = 0;
    }
}

static void command_exited(slot *s, int64_t status, int sig);

/* (loop) libuv's exit callback (uv_spawn: no pidfd). */
static void on_process_exit(uv_process_t *p, int64_t status, int sig) {
    child *c = p->data;
    slot *s = c->s;
    kill_leftovers(s);
    s->child = NULL;
    uv_close((uv_handle_t *)p, on_child_closed);
    command_exited(s, status, sig);
}

/* (loop) The pidfd is readable: the process has exited and is a zombie
 * until waitpid below. */
static void on_pidfd(uv_poll_t *h, int status, int events) {
    (void)events;
    child *c = h->data;
    slot *s = c->s;
    /* A pidfd is readable only once its process has exited; after an error
     * from the poll, ask (WNOWAIT: left a zombie, its group id ours). */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (status < 0 &&
        waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_pid == 0)
        return;
    kill_leftovers(s);
    int ws = 0;
    pid_t r;
    while ((r = waitpid(s->pid, &ws, 0)) < 0 && errno == EINTR)
        ;
    int64_t code = 0;
    int sig = 0;
    if (r < 0)
        code = -1; /* reaped by someone else: SIGCHLD ignored since */
    else if (WIFSIGNALED(ws))
        sig = WTERMSIG(ws);
    else
        code = WEXITSTATUS(ws);
    s->child = NULL;
    uv_poll_stop(h);
    uv_close((uv_handle_t *)h, on_child_closed);
    command_exited(s, code, sig);
}

/* (loop) What follows a command's exit, however it was heard of. */
static void command_exited(slot *s, int64_t status, int sig) {
    exec *x = s->x;

    /* Only the loop sets these while a command holds the slot, but they
     * are (lock) fields. */
    sched_lock(x);
    int timed_out = s->timed_out, interrupted = s->interrupted;
    double timeout = s->timeout;
    dr_task t = s->task;
    sched_unlock(x);

    char msg[ERRLEN];
    msg[0] = '\0';
    unsigned st = DR__ATTEMPT_OK;
    if (timed_out) {
        st = DR__ATTEMPT_TIMEOUT;
        snprintf(msg, sizeof msg, "timed out after %g s", timeout);
    } else if (status != 0 || sig != 0) {
        st = interrupted ? DR__ATTEMPT_INTERRUPTED : DR__ATTEMPT_FAILED;
        if (sig != 0)
            snprintf(msg, sizeof msg, "killed by signal %d (%s)", sig,
                     strsignal(sig));
        else
            snprintf(msg, sizeof msg, "exit status %lld", (long long)status);
        if (interrupted)
            snprintf(msg, sizeof msg, "interrupted");
    }
    /* Declared outputs (outputs.c), outside the lock, now that the
     * attempt's whole process group has been killed. */
    if (dr_task_noutputs(x->g, t) > 0) {
        const char *wd = x->run->opts.workdir;
        if (st == DR__ATTEMPT_OK &&
            dr__outputs_check(x->g, t, wd, msg, sizeof msg))
            st = DR__ATTEMPT_FAILED;
        if (st != DR__ATTEMPT_OK) {
            char note[ERRLEN];
            dr__outputs_remove(x->g, t, wd, note, sizeof note);
            dr__strlcpy(msg + strlen(msg), note, sizeof msg - strlen(msg));
        }
    }
    /* Read the log outside the lock; it is only used if this was the
     * task's last attempt. */
    char *tail = st != DR__ATTEMPT_OK ? dr__x_stderr_tail(x, t) : NULL;
    if (x->rec != NULL) {
        /* Completed at the end of this loop iteration, once recorded. */
        sched_lock(x);
        s->end = now_s(x);
        sched_unlock(x);
        s->exit_status = st;
        snprintf(s->exit_msg, sizeof s->exit_msg, "%s",
                 st == DR__ATTEMPT_OK ? "" : msg);
        s->exit_tail = tail;
        x->exited[x->nexited++] = s->worker;
        uv_check_start(&x->exit_check, dr__x_on_exits);
        return;
    }
    sched_lock(x);
    dr__x_complete_command(x, s, st, msg, tail);
    sched_unlock(x);
    free(tail);
}

/* A task's first attempt finds its logs emptied or absent (the run's
 * start cleared them: dr__logs_prepare), so it opens them without O_TRUNC,
 * which on ext4 journals an inode update even for an empty file; a retry
 * truncates what the attempt before it wrote. */
static int open_log(const char *path, unsigned attempt) {
    return open(path,
                O_WRONLY | O_CREAT | O_CLOEXEC | (attempt > 1 ? O_TRUNC : 0),
                0644);
}

int dr__x_spawn_with_uv = 0;

static int pidfd_open_(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Whether commands can start with posix_spawnp and be waited for through
 * a pidfd: the kernel has pidfd_open (asked of our own pid), and SIGCHLD is
 * not ignored, for then the kernel reaps children itself and their status
 * is lost (uv_spawn installs its own SIGCHLD handler, which undoes that). */
static int can_spawn_posix(void) {
    struct sigaction sa;
    if (sigaction(SIGCHLD, NULL, &sa) == 0 &&
        (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT) != 0))
        return 0;
    int fd = pidfd_open_(getpid());
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* The spawn itself; exact: args[0] is a path already looked up, so
 * posix_spawn, not posix_spawnp. */
static int posix_spawn_(const char *wd, const char *file, char **args,
                        char **env, int ofd, int efd, int exact, int *pid_out) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int err = posix_spawn_file_actions_init(&fa);
    if (err != 0)
        return err;
    err = posix_spawnattr_init(&at);
    if (err != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return err;
    }
    /* The log descriptors first: one of them may be 0 when dagrun was
     * started with its standard streams closed. */
    err = posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    if (err == 0)
        err = posix_spawn_file_actions_adddup2(&fa, efd, 2);
    if (err == 0)
        err =
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (err == 0 && wd != NULL)
        err = posix_spawn_file_actions_addchdir_np(&fa, wd);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaddset(&dfl, sig);
    if (err == 0)
        err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
                                                POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF);
    if (err == 0)
        err = posix_spawnattr_setsigmask(&at, &none);
    if (err == 0)
        err = posix_spawnattr_setsigdefault(&at, &dfl);
    pid_t pid = -1;
    if (err == 0)
        err = exact ? posix_spawn(&pid, file, &fa, &at, args, env)
                    : posix_spawnp(&pid, file, &fa, &at, args, env);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    if (err == 0)
        *pid_out = (int)pid;
    return err;
}

int dr__x_posix_spawn(const char *wd, char **args, char **env, int ofd, int efd,
                      int *pid_out) {
    return posix_spawn_(wd, args[0], args, env, ofd, efd, 0, pid_out);
}

/* Looking a program up in PATH once per run (issue 13).  posix_spawnp
 * searches PATH in the child, by trying execve in each folder: with a PATH
 * of ten folders, `true` cost nine failed execve per command, while the
 * loop thread waits for the child (CLONE_VFORK).  make looks the program up
 * in the parent; we do it once per program and run and keep the path.  The
 * search is the child's: the commands' PATH is ours (only DAGRUN_*
 * variables differ), and a PATH with a relative or empty entry, which
 * would be searched from the command's working folder, is left to
 * posix_spawnp.  What the cache changes: a program put during the run into
 * a PATH folder before the one it was found in is not seen by the run's
 * later commands.  A kept path that no longer runs (removed, made
 * non-executable) is dropped and the command retried with posix_spawnp. */
struct dr__prog {
    char *name, *path;
};
#define MAX_PROGS 256 /* beyond, commands search PATH themselves */

char *dr__x_path_lookup(const char *path_var, const char *name) {
    if (path_var == NULL || *name == '\0' || strchr(name, '/') != NULL)
        return NULL;
    size_t nl = strlen(name);
    for (const char *p = path_var;; p++) {
        const char *e = strchrnul(p, ':');
        size_t dl = (size_t)(e - p);
        if (dl == 0 || p[0] != '/')
            return NULL; /* searched from the working folder */
        char *full = malloc(dl + nl + 2);
        if (full == NULL)
            return NULL;
        memcpy(full, p, dl);
        full[dl] = '/';
        memcpy(full + dl + 1, name, nl + 1);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
            access(full, X_OK) == 0)
            return full;
        free(full);
        if (*e == '\0')
            return NULL;
        p = e;
    }
}

void dr__x_free_progs(exec *x) {
    for (size_t i = 0; i < x->nprogs; i++) {
        free(x->progs[i].name);
        free(x->progs[i].path);
    }
    free(x->progs);
    x->progs = NULL;
    x->nprogs = 0;
}

/* (loop) The kept path of program name, looked up now if new; NULL: let
 * posix_spawnp search. */
static const char *prog_path(exec *x, const char *name) {
    for (size_t i = 0; i < x->nprogs; i++)
        if (strcmp(x->progs[i].name, name) == 0)
            return x->progs[i].path;
    if (x->nprogs == MAX_PROGS || strchr(name, '/') != NULL)
        return NULL;
    if (x->progs == NULL) {
        x->progs = malloc(MAX_PROGS * sizeof *x->progs);
        if (x->progs == NULL)
            return NULL;
    }
    char *n = strdup(name);
    if (n == NULL)
        return NULL;
    /* NULL kept too: a program not found is left to posix_spawnp. */
    x->progs[x->nprogs].name = n;
    x->progs[x->nprogs].path = dr__x_path_lookup(getenv("PATH"), name);
    return x->progs[x->nprogs++].path;
}

/* (loop) The kept path of name did not run (or the working folder is
 * missing): forget it, to be looked up again by the next command. */
static void prog_forget(exec *x, const char *name) {
    for (size_t i = 0; i < x->nprogs; i++)
        if (strcmp(x->progs[i].name, name) == 0) {
            free(x->progs[i].name);
            free(x->progs[i].path);
            x->progs[i] = x->progs[--x->nprogs];
            return;
        }
}

/* (loop) Starts args with posix_spawnp, set up as the top comment says,
 * and watches its pidfd.  Returns 0 with s->pid set, or a libuv error code
 * (c is then freed). */
static int spawn_posix(exec *x, child *c, char **args, char **env, int ofd,
                       int efd) {
    slot *s = c->s;
    int pid = -1;
    const char *wd = x->run->opts.workdir;
    const char *path = prog_path(x, args[0]);
    int err = path != NULL
                  ? posix_spawn_(wd, path, args, env, ofd, efd, 1, &pid)
                  : ENOENT;
    if (path != NULL &&
        (err == ENOENT || err == EACCES || err == ENOTDIR || err == ENOEXEC))
        prog_forget(x, args[0]);
    if (err != 0)
        err = dr__x_posix_spawn(wd, args, env, ofd, efd, &pid);
    if (err != 0) {
        free(c);
        return uv_translate_sys_error(err);
    }
    s->pid = pid;
    c->pidfd = pidfd_open_(pid);
    if (c->pidfd < 0 || uv_poll_init(&x->loop, &c->h.poll, c->pidfd) != 0) {
        /* Out of descriptors: the child cannot be watched, so it goes. */
        err = c->pidfd < 0 ? errno : EMFILE;
        kill(-pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (c->pidfd >= 0)
            close(c->pidfd);
        free(c);
        return uv_translate_sys_error(err);
    }
    c->h.poll.data = c;
    uv_poll_start(&c->h.poll, UV_READABLE, on_pidfd);
    return 0;
}

/* (loop) Starts args with uv_spawn (no pidfd).  Same contract. */
static int spawn_uv(exec *x, child *c, char **args, char **env, int ofd,
                    int efd) {
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = ofd;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = efd;
    uv_process_options_t o;
    memset(&o, 0, sizeof o);
    o.exit_cb = on_process_exit;
    o.file = args[0];
    o.args = args;
    o.env = env;
    o.cwd = x->run->opts.workdir;
    o.flags = UV_PROCESS_DETACHED;
    o.stdio_count = 3;
    o.stdio = stdio;
    c->h.proc.data = c;
    int r = uv_spawn(&x->loop, &c->h.proc, &o);
    if (r != 0) {
        /* libuv initialised the handle even though no child started. */
        uv_close((uv_handle_t *)&c->h.proc, on_child_closed);
        return r;
    }
    c->s->pid = c->h.proc.pid;
    return 0;
}

/* (loop) Starts the command of slot s.  Returns 0, or fills msg.  Reads
 * the slot's (lock) task and attempt without the lock: they were set before
 * the spawn request was taken under it, and the worker waits until the loop
 * frees the slot.  Sets the attempt's start, likewise. */
int dr__x_spawn_command(exec *x, slot *s, char *msg, size_t msglen) {
    dr_task t = s->task;
    /* Declared outputs left by an earlier run or attempt go first: a
     * command that writes none then fails, whatever was there. */
    if (dr_task_noutputs(x->g, t) > 0)
        dr__outputs_remove(x->g, t, x->run->opts.workdir, NULL, 0);
    char *outp = log_path(x, t, ".out"), *errp = log_path(x, t, ".err");
    char **env = malloc((x->nenv + 5) * sizeof *env);
    char *task_var = NULL; /* the child has its own copy after fork */
    int ofd = -1, efd = -1, rc = -1;
    if (outp == NULL || errp == NULL || env == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    ofd = open_log(outp, s->attempt);
    efd = ofd >= 0 ? open_log(errp, s->attempt) : -1;
    if (efd < 0) {
        snprintf(msg, msglen, "cannot open log file '%s': %s",
                 ofd < 0 ? outp : errp, strerror(errno));
        goto out;
    }
    memcpy(env, x->env, x->nenv * sizeof *env);
    env[x->nenv + 3] = x->mark;
    const char *key = dr_task_key(x->g, t);
    task_var = malloc(strlen(key) + sizeof "DAGRUN_TASK=");
    if (task_var == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    sprintf(task_var, "DAGRUN_TASK=%s", key);
    snprintf(s->env_worker, sizeof s->env_worker, "DAGRUN_WORKER=%u",
             s->worker);
    snprintf(s->env_attempt, sizeof s->env_attempt, "DAGRUN_ATTEMPT=%u",
             s->attempt);
    env[x->nenv] = task_var;
    env[x->nenv + 1] = s->env_worker;
    env[x->nenv + 2] = s->env_attempt;
    env[x->nenv + 4] = NULL;

    char *shell[] = {"/bin/sh", "-c", NULL, NULL};
    char **args;
    if (how_of(x, t) == HOW_SHELL) {
        shell[2] = (char *)dr_task_shell(x->g, t);
        args = shell;
    } else {
        size_t argc;
        args = (char **)dr_task_argv(x->g, t, &argc);
    }
    child *c = malloc(sizeof *c);
    if (c == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    c->s = s;
    c->pidfd = -1;
    s->killing = 0;
    s->start = now_s(x);
    if (x->spawn_how == 0)
        x->spawn_how =
            !dr__x_spawn_with_uv && can_spawn_posix() ? SPAWN_POSIX : SPAWN_UV;
    int r = x->spawn_how == SPAWN_POSIX ? spawn_posix(x, c, args, env, ofd, efd)
                                        : spawn_uv(x, c, args, env, ofd, efd);
    if (r != 0) {
        int bad = x->run->opts.workdir != NULL
                      ? dr__workdir_error(x->run->opts.workdir)
                      : 0;
        if (bad != 0)
            snprintf(msg, msglen, "cannot run '%s': working folder '%s': %s",
                     args[0], x->run->opts.workdir, strerror(bad));
        else
            snprintf(msg, msglen, "cannot run '%s': %s", args[0],
                     uv_strerror(r));
        goto out;
    }
    s->child = c;
    /* Detached: the child is the leader of its own session and group. */
    dr__reaper_watch(&x->reaper, s->pid);
    rc = 0;
out:
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    free(outp);
    free(errp);
    free(env);
    free(task_var);
    return rc;
}
