/*
 * The executor's command tasks: spawning the child process with its logs
 * and environment, its exit, and killing its process group (exec_internal.h
 * has the design).
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

/* Log file names are made in logs.c (escaped, cut when too long). */
static char *log_path(const exec *x, dr_task t, const char *ext) {
    return dr__log_path(x->run->run_dir, dr_task_key(x->g, t), ext);
}

/* The failure's stderr tail, made safe for terminals and JSON (logs.c). */
static char *stderr_tail(const exec *x, dr_task t) {
    char *path = log_path(x, t, ".err");
    if (path == NULL)
        return NULL;
    char *tail = dr__log_tail(path, TAIL_LINES, TAIL_BYTES);
    free(path);
    return tail;
}

static void on_proc_closed(uv_handle_t *h) { free(h); }

void dr__x_kill_group(slot *s, int sig) {
    if (s->proc != NULL && s->pid > 0)
        kill(-s->pid, sig);
}

static void on_grace(uv_timer_t *h) { dr__x_kill_group(h->data, SIGKILL); }

/* (loop) SIGTERM the attempt's process group, SIGKILL it after a grace. */
void dr__x_terminate(slot *s) {
    if (s->proc == NULL || s->killing)
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

static void on_child_exit(uv_process_t *p, int64_t status, int sig) {
    slot *s = p->data;
    exec *x = s->x;
    if (s->timer_init)
        uv_timer_stop(&s->timer);
    /* The command's main process is gone (libuv has just reaped it, so its
     * group id cannot have been reused): whatever it left running in its
     * group, such as a `sleep 60 &` of a command that succeeded, goes too.
     * The watcher need not look after the group any longer. */
    dr__x_kill_group(s, SIGKILL);
    dr__reaper_forget(&x->reaper, s->pid);
    if (s->killing) {
        uv_timer_stop(&s->grace);
        s->killing = 0;
    }
    s->proc = NULL;
    uv_close((uv_handle_t *)p, on_proc_closed);

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
    char *tail = st != DR__ATTEMPT_OK ? stderr_tail(x, t) : NULL;
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

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
    ofd = open_log(outp);
    efd = ofd >= 0 ? open_log(errp) : -1;
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
    if (x->how[t] == HOW_SHELL) {
        shell[2] = (char *)dr_task_shell(x->g, t);
        args = shell;
    } else {
        size_t argc;
        args = (char **)dr_task_argv(x->g, t, &argc);
    }
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = ofd;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = efd;
    uv_process_options_t o;
    memset(&o, 0, sizeof o);
    o.exit_cb = on_child_exit;
    o.file = args[0];
    o.args = args;
    o.env = env;
    o.cwd = x->run->opts.workdir;
    o.flags = UV_PROCESS_DETACHED;
    o.stdio_count = 3;
    o.stdio = stdio;

    s->proc = malloc(sizeof *s->proc);
    if (s->proc == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    s->proc->data = s;
    s->killing = 0;
    s->start = now_s(x);
    int r = uv_spawn(&x->loop, s->proc, &o);
    if (r != 0) {
        /* libuv initialised the handle even though no child started. */
        uv_close((uv_handle_t *)s->proc, on_proc_closed);
        s->proc = NULL;
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
    s->pid = s->proc->pid;
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
