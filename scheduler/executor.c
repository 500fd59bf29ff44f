/*
 * The real executor's setup and teardown: how each task runs, the run
 * folder and environment, the handles and threads, and the outcome copied
 * into the run.  The design is in exec_internal.h.
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

extern char **environ;

static int is_dagrun_var(const char *e) {
    return strncmp(e, "DAGRUN_TASK=", 12) == 0 ||
           strncmp(e, "DAGRUN_WORKER=", 14) == 0 ||
           strncmp(e, "DAGRUN_ATTEMPT=", 15) == 0 ||
           strncmp(e, "DAGRUN_OUT=", 11) == 0 ||
           strncmp(e, DR__RUN_MARK_VAR "=", sizeof DR__RUN_MARK_VAR) == 0;
}

/* Checked before anything runs, and again when a spawn fails: libuv's
 * error alone would blame the program ("no such file or directory"). */
int dr__workdir_error(const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    return access(dir, X_OK) != 0 ? errno : 0;
}

/* Decides how each task runs; checks C functions can be found and the
 * commands' working folder exists; clears the run folder of the last run's
 * logs and creates it when there are commands.  Returns 0 or a DR_E* code
 * (err filled, except for DR_ENOMEM). */
int dr__x_decide(exec *x, int *commands_out) {
    const dr_run_options *o = &x->run->opts;
    int commands = 0, spin = 0, all_costs = 1;
    x->total_units = 0;
    for (dr_task t = 0; t < x->n; t++) {
        if (x->run->state[t] != DR_STATE_CACHED)
            continue;
        if (x->cached == NULL && (x->cached = calloc(x->n, 1)) == NULL)
            return DR_ENOMEM;
        x->cached[t] = 1;
    }
    const char *last_name = NULL;
    int last_how = HOW_NOOP, last_spin = 0;
    for (dr_task t = 0; t < x->n; t++) {
        int how = HOW_NOOP;
        const char *name = dr_task_op_name(x->g, t);
        switch (dr_task_op_kind(x->g, t)) {
        case DR_OP_NONE:
            how = o->cost_op == DR_COST_OP_SLEEP  ? HOW_SLEEP
                  : o->cost_op == DR_COST_OP_SPIN ? HOW_SPIN
                                                  : HOW_NOOP;
            break;
        case DR_OP_BUILTIN:
            /* Op names are interned in the graph: most tasks repeat the
             * last one, and two string compares per task were a visible
             * part of a run's set-up. */
            if (name != last_name) {
                last_name = name;
                last_how = strcmp(name, "noop") == 0 ? HOW_NOOP : HOW_BUILTIN;
                last_spin = strcmp(name, "spin") == 0;
            }
            how = last_how;
            spin |= last_spin;
            break;
        case DR_OP_FUNCTION: {
            dr_task_fn fn = dr_task_function(x->g, t, NULL);
            if (fn == NULL && dr_ops_find(o->ops, name, &fn, NULL) != 0) {
                dr__error_set(x->errp, DR_ENOOP, NULL, 0, 0,
                              dr_task_key(x->g, t), "unknown operation '%s'",
                              name ? name : "");
                return DR_ENOOP;
            }
            how = HOW_FUNCTION;
            break;
        }
        case DR_OP_ARGV:
            how = HOW_ARGV;
            commands = 1;
            break;
        case DR_OP_SHELL:
            how = HOW_SHELL;
            commands = 1;
            break;
        }
        if (how == HOW_SPIN)
            spin = 1;
        if (dr_task_has_timeout(x->g, t))
            how |= HOW_TIMEOUT;
        if (dr_task_noutputs(x->g, t) > 0)
            how |= HOW_FILES;
        x->how[t] = (uint8_t)how;
        if (!dr_task_has_cost(x->g, t))
            all_costs = 0;
        x->total_units += dr_task_cost(x->g, t);
        size_t ns;
        dr_task_succs(x->g, t, &ns);
        x->consumers[t] = (uint32_t)ns;
    }
    x->by_cost = all_costs && x->total_units > 0;
    if (!x->by_cost)
        x->total_units = (double)x->n; /* ETA by task count */
    if (spin)
        dr__spin_calibrate();
    *commands_out = commands;
    return 0;
}

static int prepare(exec *x) {
    const dr_run_options *o = &x->run->opts;
    int commands = 0;
    int rc = dr__x_decide(x, &commands);
    if (rc != 0)
        return rc;
    int bad = o->workdir != NULL ? dr__workdir_error(o->workdir) : 0;
    if (bad != 0) {
        dr__error_set(x->errp, DR_EIO, NULL, 0, 0, NULL,
                      "working folder of commands (--workdir) '%s': %s",
                      o->workdir, strerror(bad));
        return DR_EIO;
    }
    const char *name = dr_graph_name(x->g);
    char *dir;
    if (o->run_dir != NULL)
        dir = strdup(o->run_dir);
    else {
        size_t len = strlen(name) + 32;
        dir = malloc(len);
        if (dir != NULL)
            snprintf(dir, len, "dagrun-out/%s/logs", *name ? name : "graph");
    }
    if (dir == NULL)
        return DR_ENOMEM;
    /* Without commands an existing run folder is still cleared: no log
     * of an earlier run may look like one of this run's. */
    rc = dr__logs_prepare(x->g, dir, commands, x->cached, x->errp);
    if (rc != 0 || !commands) {
        free(dir);
        return rc;
    }
    free(x->run->run_dir);
    x->run->run_dir = dir;
    return dr__x_build_env(x);
}

int dr__x_build_env(exec *x) {
    /* The mark every command's environment carries, unique to the run, by
     * which the watcher finds what escaped the commands' groups. */
    uint64_t id = 0;
    if (uv_random(NULL, NULL, &id, sizeof id, 0, NULL) != 0)
        id = uv_hrtime();
    snprintf(x->mark, sizeof x->mark, "%s=%ld-%016llx", DR__RUN_MARK_VAR,
             (long)getpid(), (unsigned long long)id);
    size_t ne = 0;
    while (environ != NULL && environ[ne] != NULL)
        ne++;
    x->env = malloc((ne + 2) * sizeof *x->env);
    if (x->env == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < ne; i++)
        if (!is_dagrun_var(environ[i]))
            x->env[x->nenv++] = environ[i];
    const char *out = x->run->opts.output_dir;
    if (out != NULL) {
        x->out_var = malloc(strlen(out) + sizeof "DAGRUN_OUT=");
        if (x->out_var == NULL)
            return DR_ENOMEM;
        sprintf(x->out_var, "DAGRUN_OUT=%s", out);
        x->env[x->nenv++] = x->out_var;
    }
    return 0;
}

/* Before the threads: the cached tasks of a resumed run (run.c marked them
 * in the core and in run->state) hold their recorded results for their
 * dependents, and are done as far as the progress line goes. */
static void use_cached(exec *x) {
    if (x->cached == NULL)
        return;
    for (dr_task t = 0; t < x->n; t++) {
        if (!x->cached[t])
            continue;
        json_t *res = dr__plan_result(x->run->plan, t);
        result r;
        memset(&r, 0, sizeof r);
        /* A record without a result is of a command or of a task whose
         * result was null (noop, sleep, a function that set none). */
        if (res == NULL && !is_command(x, t))
            res = json_null();
        r.json = json_incref(res);
        if (res != NULL && !json_is_null(res))
            r.size = dr__x_json_size(res, 0);
        dr__x_keep_result(x, t, &r);
        x->done_units += x->by_cost ? dr_task_cost(x->g, t) : 1.0;
        size_t nd;
        const dr_task *deps = dr_task_deps(x->g, t, &nd);
        for (size_t i = 0; i < nd; i++)
            x->consumers[deps[i]]--;
    }
    for (dr_task t = 0; t < x->n; t++)
        if (x->cached[t] && x->consumers[t] == 0 && !x->run->keep[t])
            dr__x_release_result(x, t);
}

/* Copies the outcome into run: states, sink results, makespan. */
static int collect(exec *x) {
    dr_run *run = x->run;
    if (run->state == NULL)
        run->state = dr__big_calloc(x->n ? x->n : 1, sizeof *run->state);
    if (run->results == NULL)
        run->results = dr__big_calloc(x->n ? x->n : 1, sizeof *run->results);
    if (run->state == NULL || run->results == NULL)
        return DR_ENOMEM;
    for (dr_task t = 0; t < x->n; t++) {
        switch (run->state[t] == DR_STATE_CACHED ? -1
                                                 : dr__core_state(x->core, t)) {
        case -1:
            break;
        case DR__DONE:
            run->state[t] = DR_STATE_OK;
            break;
        case DR__FAILED:
            run->state[t] = DR_STATE_FAILED;
            break;
        case DR__SKIPPED:
            run->state[t] = DR_STATE_SKIPPED;
            break;
        default:
            run->state[t] = DR_STATE_PENDING;
        }
        if (run->keep[t] && x->results[t].json != NULL &&
            run->results[t] == NULL) {
            run->results[t] = x->results[t].json;
            x->results[t].json = NULL;
        }
    }
    double end = 0;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].end > end)
            end = run->attempts[i].end;
    run->makespan = end;
    return 0;
}

void dr__x_free(exec *x) {
    dr__x_pool_finish(x);
    free(x->fn0);
    free(x->rank_dead);
    free(x->rank_bytes);
    free(x->drops);
    for (size_t t = 0; x->kept != NULL && t < x->n; t++)
        free(x->kept[t]);
    free(x->kept);
    free(x->nkept);
    /* Waits for the watcher to stop whatever the commands left running. */
    dr__reaper_finish(&x->reaper);
    for (size_t t = 0; x->results != NULL && t < x->n; t++) {
        if (dr__x_result_stored(&x->results[t]))
            dr__x_result_free(&x->results[t]); /* null owns nothing */
    }
    for (unsigned w = 0; x->slots != NULL && w < x->nslots; w++) {
        free(x->slots[w].inputs);
        if (x->lock_init)
            pthread_cond_destroy(&x->slots[w].wake);
    }
    dr__big_free(x->results);
    dr__big_free(x->how);
    dr__big_free(x->attempts);
    dr__big_free(x->consumers);
    free(x->skip_seen);
    free(x->slots);
    free(x->threads);
    free(x->idle);
    free(x->requests);
    free(x->taken);
    free(x->exited);
    free(x->cached);
    dr__recorder_destroy(x->rec);
    free(x->env);
    dr__x_free_progs(x);
    free(x->out_var);
    if (x->lock_init)
        pthread_mutex_destroy(&x->lock);
}

/* Reserves the attempt records for one attempt per task, so that recording
 * (under the sched lock) does not copy the array while it grows.  Failing is
 * harmless: dr__run_add_attempt grows it as needed. */
static void reserve_attempts(dr_run *run, size_t n) {
    (void)dr__run_reserve_attempts(run, n);
}

/* Runs the loop until the run is over and every handle is closed: on the
 * caller's thread, or on its own under --executor sync. */
static void loop_main(void *arg) {
    exec *x = arg;
    uv_run(&x->loop, UV_RUN_DEFAULT);
    if (!x->closing) { /* cannot happen while the async handle is open */
        dr__x_finish_loop(x);
        uv_run(&x->loop, UV_RUN_DEFAULT);
    }
}

int dr__execute(dr_run *run, dr__core *core, dr_error *err) {
    exec xs, *x = &xs;
    memset(x, 0, sizeof *x);
    x->run = run;
    x->core = core;
    x->g = run->graph;
    x->n = dr_graph_ntasks(run->graph);
    x->errp = err;
    x->reaper.fd = -1;
    x->nslots = run->workers > 0 ? run->workers : 1;
    size_t n1 = x->n ? x->n : 1;
    x->how = dr__big_calloc(n1, sizeof *x->how);
    x->attempts = dr__big_calloc(n1, sizeof *x->attempts);
    x->consumers = dr__big_calloc(n1, sizeof *x->consumers);
    x->results = dr__big_calloc(n1, sizeof *x->results);
    x->slots = calloc(x->nslots, sizeof *x->slots);
    x->idle = calloc(x->nslots, sizeof *x->idle);
    x->requests = calloc(x->nslots, sizeof *x->requests);
    x->taken = calloc(x->nslots, sizeof *x->taken);
    x->exited = calloc(x->nslots, sizeof *x->exited);
    if (run->journal != NULL)
        x->rec = dr__recorder_create(x->g, run->journal, run->plan,
                                     run->opts.workdir);
    if (!x->how || !x->attempts || !x->consumers || !x->results || !x->slots ||
        !x->idle || !x->requests || !x->taken || !x->exited ||
        (run->journal != NULL && x->rec == NULL)) {
        dr__x_free(x);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = prepare(x);
    if (rc != 0) {
        if (rc == DR_ENOMEM)
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        dr__x_free(x);
        return rc;
    }
    /* Before any thread of ours exists: the watcher is forked (under
     * --executor mpi the worker ranks start the commands, and their own). */
    x->mpi = run->opts.executor == DR_EXECUTOR_MPI;
    if (x->env != NULL && !x->mpi &&
        dr__reaper_start(&x->reaper, x->mark, x->nslots) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot start the process watcher: %s", strerror(errno));
        dr__x_free(x);
        return DR_EIO;
    }
    reserve_attempts(run, x->n);
    use_cached(x);
    /* Still before any thread: the zygote of the worker processes. */
    if (run->opts.executor == DR_EXECUTOR_PROCESSES) {
        unsigned need = 0;
        for (dr_task t = 0; t < x->n && need < x->nslots; t++)
            need += !is_command(x, t) && (x->cached == NULL || !x->cached[t]);
        if (need > 0 && (rc = dr__x_pool_start(x, need)) != 0) {
            if (rc == DR_ENOMEM)
                dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                              "out of memory");
            dr__x_free(x);
            return rc;
        }
    }

    if (uv_loop_init(&x->loop) != 0) {
        dr__x_free(x);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                      "cannot create the event loop");
        return DR_ENOMEM;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&x->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    for (unsigned w = 0; w < x->nslots; w++) {
        slot *s = &x->slots[w];
        s->x = x;
        s->worker = w;
        s->longest_body = 1e300; /* nothing run yet: no batch */
        atomic_init(&s->cancel, 0);
        pthread_cond_init(&s->wake, NULL);
    }
    if (x->mpi)
        dr__x_mpi_setup(x);
    atomic_init(&x->nready_hint, 0);
    atomic_init(&x->stopped_hint, 0);
    x->lock_init = 1;
    uv_async_init(&x->loop, &x->async, dr__x_on_async);
    x->async.data = x;
    if (x->rec != NULL) {
        uv_timer_init(&x->loop, &x->journal_timer);
        x->journal_timer.data = x;
        uv_timer_start(&x->journal_timer, dr__x_on_journal_timer, JOURNAL_MS,
                       JOURNAL_MS);
        uv_check_init(&x->loop, &x->exit_check);
        x->exit_check.data = x;
        x->journal_init = 1;
    }
    if (run->opts.handle_signals) {
        uv_signal_init(&x->loop, &x->sigint);
        uv_signal_init(&x->loop, &x->sigterm);
        uv_signal_init(&x->loop, &x->sighup);
        x->sigint.data = x->sigterm.data = x->sighup.data = x;
        uv_signal_start(&x->sigint, dr__x_on_signal, SIGINT);
        uv_signal_start(&x->sigterm, dr__x_on_signal, SIGTERM);
        uv_signal_start(&x->sighup, dr__x_on_signal, SIGHUP);
        x->signals_init = 1;
    }
    if (run->opts.progress && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {
        uv_timer_init(&x->loop, &x->progress_timer);
        x->progress_timer.data = x;
        uv_timer_start(&x->progress_timer, dr__x_on_progress, PROGRESS_MS,
                       PROGRESS_MS);
        x->progress_init = 1;
    }

    /* The core is started before any worker thread exists, so no lock is
     * needed yet; thread creation orders it before their first lock. */
    x->t0 = uv_hrtime();
    dr__core_start(core, 0.0);
    x->over = dr__core_idle(core);

    /* One thread per slot that can ever be used: no more than tasks.  They
     * all start idle, and the first ready tasks are handed out before any
     * runs, so the first assignments are the same on every run. */
    x->nthreads = x->n < x->nslots ? (unsigned)x->n : x->nslots;
    if (x->over)
        x->nthreads = 0; /* every task was cached: nothing to run */
    sched_lock(x);
    for (unsigned w = x->nthreads; w-- > 0;)
        dr__x_go_idle(x, &x->slots[w]);
    dr__x_hand_out(x, 0.0);
    sched_unlock(x);
    x->threads = calloc(x->nthreads ? x->nthreads : 1, sizeof *x->threads);
    unsigned started = 0;
    /* --executor sync: the caller is worker 0 and the loop gets a thread. */
    uv_thread_t loop_thread;
    int on_caller = run->opts.executor == DR_EXECUTOR_SYNC &&
                    x->nthreads == 1 && x->threads != NULL && !x->over;
    if (on_caller && uv_thread_create(&loop_thread, loop_main, x) != 0)
        on_caller = 0;
    if (on_caller)
        started = 1;
    else if (x->threads != NULL && !x->over) {
        /* Threads read nthreads (dr__x_check_over), so publish the final count
         * before any starts; it is lowered under the lock if one fails. */
        for (; started < x->nthreads; started++)
            if (uv_thread_create(&x->threads[started], dr__x_worker_main,
                                 &x->slots[started]) != 0)
                break;
    }
    sched_lock(x);
    if (started < x->nthreads) {
        /* A slot without a thread can run nothing: stop the run, and fail
         * the function tasks already handed to such slots. */
        dr__x_fail_run(x, DR_ENOMEM, "cannot start worker threads");
        dr__core_stop(core);
        for (unsigned w = started; w < x->nthreads; w++) {
            slot *s = &x->slots[w];
            if (s->busy && !on_loop(x, s->task)) {
                result none;
                memset(&none, 0, sizeof none);
                dr__x_complete(x, s, DR__ATTEMPT_FAILED,
                               "cannot start a worker thread", NULL, &none,
                               0.0);
            }
        }
        x->nthreads = started;
        dr__x_check_over(x);
    }
    int over = x->over;
    sched_unlock(x);
    if (on_caller) {
        dr__x_worker_main(&x->slots[0]);
        uv_thread_join(&loop_thread);
    } else {
        if (over)
            dr__x_finish_loop(x); /* nothing will run */
        loop_main(x);
        for (unsigned i = 0; i < started; i++)
            uv_thread_join(&x->threads[i]);
    }
    /* Every worker thread has ended: so can the worker processes (the
     * worker ranks are told by run.c, whatever became of the run). */
    dr__x_pool_finish(x);
    /* Every thread has ended: the last records, synced. */
    if (x->rec != NULL) {
        dr__recorder_take(x->rec);
        dr__x_journal_write(x, 1);
    }
    /* Tasks that did not start this time keep no (emptied) log. */
    if (x->env != NULL)
        dr__logs_forget_unrun(x->g, run->run_dir, x->attempts, x->cached);
    while (uv_loop_close(&x->loop) == UV_EBUSY)
        uv_run(&x->loop, UV_RUN_NOWAIT);

    rc = x->err;
    if (collect(x) != 0 && rc == 0) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = DR_ENOMEM;
    }
    dr__x_free(x);
    return rc;
}
