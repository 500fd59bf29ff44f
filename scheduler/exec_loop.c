/*
 * The executor's libuv loop side: requests from workers, timeouts, the
 * journal's timer and check, the progress line, signals, and closing the
 * handles at the end (exec_internal.h has the design).
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

/* ------------------------------------------------------------ the loop */

static void on_timeout(uv_timer_t *h);

/* (lock) A command attempt on slot s ended: record it; its worker goes
 * back on the idle stack and the ready tasks are handed out. */
void dr__x_complete_command_at(exec *x, slot *s, unsigned status,
                               const char *error, const char *tail,
                               double end) {
    result none;
    memset(&none, 0, sizeof none);
    dr__x_complete(x, s, status, error, tail, &none, end);
    dr__x_go_idle(x, s);
    dr__x_hand_out(x, now_s(x));
    dr__x_check_over(x);
}

void dr__x_complete_command(exec *x, slot *s, unsigned status,
                            const char *error, const char *tail) {
    dr__x_complete_command_at(x, s, status, error, tail, now_s(x));
}

/* -------------------------------------------------------------- journal */

/* (loop) Writes the records taken; a journal that cannot be written is
 * said once in the run's journal note and the run goes on without it. */
void dr__x_journal_write(exec *x, int sync) {
    dr_error e;
    dr_error_clear(&e);
    if (dr__recorder_write(x->rec, sync, &e) != 0 &&
        x->run->journal_note[0] == '\0')
        snprintf(x->run->journal_note, sizeof x->run->journal_note,
                 "the journal could not be written (%.400s): a --resume "
                 "run will run again what was not recorded",
                 e.text);
}

/* (loop, lock not held) Takes and writes what was pushed. */
static void journal_flush(exec *x, int sync) {
    sched_lock(x);
    size_t n = dr__recorder_queued(x->rec);
    dr__recorder_take(x->rec);
    sched_unlock(x);
    if (n > 0 || sync)
        dr__x_journal_write(x, sync);
}

void dr__x_on_journal_timer(uv_timer_t *h) { journal_flush(h->data, 0); }

/* (loop) At the end of the loop iteration in which commands exited: their
 * records (and those of every attempt that ended before) are written, and
 * synced when a command has dependents, before the completions free those
 * dependents: a dependent never starts on a result the journal could lose. */
void dr__x_on_exits(uv_check_t *h) {
    exec *x = h->data;
    uv_check_stop(h);
    unsigned n = x->nexited;
    x->nexited = 0;
    int sync = 0;
    sched_lock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        int ok = s->exit_status == DR__ATTEMPT_OK;
        if (dr__recorder_push(x->rec, s->task, s->worker, s->attempt,
                              s->exit_status, s->start, s->end,
                              ok ? NULL : s->exit_msg, NULL, 0) != 0)
            dr__x_fail_run(x, DR_ENOMEM, "out of memory recording an attempt");
        s->journaled = 1;
        size_t ns;
        dr_task_succs(x->g, s->task, &ns);
        if (ok && ns > 0)
            sync = 1;
    }
    dr__recorder_take(x->rec);
    sched_unlock(x);
    dr__x_journal_write(x, sync);
    sched_lock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        dr__x_complete_command_at(x, s, s->exit_status, s->exit_msg,
                                  s->exit_tail, s->end);
    }
    sched_unlock(x);
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->exited[i]];
        free(s->exit_tail);
        s->exit_tail = NULL;
    }
}

/* (loop) Workers posted requests, or the run is over. */
void dr__x_on_async(uv_async_t *h) {
    exec *x = h->data;
    if (x->closing)
        return;
    sched_lock(x);
    if (x->over) {
        sched_unlock(x);
        dr__x_finish_loop(x);
        return;
    }
    unsigned n = x->nrequests;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->requests[i]];
        if ((s->requests & REQ_SPAWN) && s->interrupted) {
            /* Ctrl-C came between the assignment and the spawn. */
            s->requests = 0;
            dr__x_complete_command(x, s, DR__ATTEMPT_INTERRUPTED, "interrupted",
                                   NULL);
            continue;
        }
        x->taken[m] = x->requests[i];
        s->taken_requests = s->requests;
        s->taken_gen = s->gen;
        s->taken_timeout = s->timeout;
        m++;
        s->requests = 0;
    }
    n = m;
    x->nrequests = 0;
    sched_unlock(x);

    for (unsigned i = 0; i < n; i++) {
        slot *s = &x->slots[x->taken[i]];
        /* A request can outlive its attempt: taken_* describe the slot's
         * current attempt, which may have no timeout at all. */
        if ((s->taken_requests & REQ_TIMER) && s->taken_timeout > 0) {
            /* A timer armed for an attempt that has already ended is
             * harmless: on_timeout ignores a stale generation. */
            if (!s->timer_init) {
                uv_timer_init(&x->loop, &s->timer);
                s->timer.data = s;
                s->timer_init = 1;
            }
            s->timer_gen = s->taken_gen;
            /* Timeouts past ~285,000 years are "never", not an overflow. */
            double ms = s->taken_timeout * 1000.0 + 0.5;
            uv_timer_start(&s->timer, on_timeout,
                           ms < 9e15 ? (uint64_t)ms : (uint64_t)9e15, 0);
        }
        if (s->taken_requests & REQ_SPAWN) {
            char msg[ERRLEN];
            if (dr__x_spawn_command(x, s, msg, sizeof msg) != 0) {
                if (s->timer_init)
                    uv_timer_stop(&s->timer);
                sched_lock(x);
                dr__x_complete_command(x, s, DR__ATTEMPT_FAILED, msg, NULL);
                sched_unlock(x);
            }
        }
    }
}

static void on_timeout(uv_timer_t *h) {
    slot *s = h->data;
    exec *x = s->x;
    sched_lock(x);
    int current = s->busy && s->gen == s->timer_gen;
    if (current) {
        s->timed_out = 1;
        atomic_store(&s->cancel, 1);
    }
    sched_unlock(x);
    if (current && s->child != NULL)
        dr__x_terminate(s);
}

/* ------------------------------------------------------- progress line */

static void progress_draw(exec *x, int clear) {
    if (clear) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        return;
    }
    double el = now_s(x);
    sched_lock(x);
    size_t fin = dr__core_nfinished(x->core);
    size_t running = dr__core_nrunning(x->core);
    size_t failed = x->nfailed;
    double done_units = x->done_units;
    sched_unlock(x);
    char eta[32] = "ETA --";
    if (fin > 0 && el >= 0.5 && done_units > 0) {
        double left = x->total_units - done_units;
        double sec = left > 0 ? left * el / done_units : 0;
        if (sec < 1e6)
            snprintf(eta, sizeof eta, "ETA %.0fs", sec + 0.5);
    }
    fprintf(stderr,
            "\r\033[Kdagrun: %zu/%zu done, %zu running, %zu failed, "
            "%.1fs elapsed, %s",
            fin, x->n, running, failed, el, eta);
    fflush(stderr);
}

void dr__x_on_progress(uv_timer_t *h) { progress_draw(h->data, 0); }

/* --------------------------------------------------------------- signals */

/* SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) stop the
 * run the same way: nothing new starts, running tasks are stopped, and the
 * caller gets a run to report. */
void dr__x_on_signal(uv_signal_t *h, int signum) {
    exec *x = h->data;
    if (x->nsignals > 0) {
        /* A hang-up can come more than once (the terminal, then the
         * shell): only a second SIGINT or SIGTERM means "leave now". */
        if (signum == SIGHUP)
            return;
        /* Leave now, taking the children with us; the watcher stops what
         * they left.  The process fields are the loop's own, so no lock
         * is needed. */
        for (unsigned w = 0; w < x->nslots; w++)
            dr__x_kill_group(&x->slots[w], SIGKILL);
        if (x->progress_init)
            progress_draw(x, 1);
        /* What ended is kept: a --resume run need not do it again. */
        if (x->rec != NULL)
            journal_flush(x, 0);
        _exit(130);
    }
    x->nsignals++;
    sched_lock(x);
    x->run->interrupted = 1;
    x->run->stop_signal = signum;
    dr__core_stop(x->core);
    for (unsigned w = 0; w < x->nslots; w++) {
        slot *s = &x->slots[w];
        if (!s->busy)
            continue;
        s->interrupted = 1;
        atomic_store(&s->cancel, 1);
    }
    dr__x_check_over(x); /* nothing may be running */
    sched_unlock(x);
    /* Commands are the loop's: kill their groups outside the lock. */
    for (unsigned w = 0; w < x->nslots; w++)
        dr__x_terminate(&x->slots[w]);
}

/* --------------------------------------------------------------- closing */

static void close_handle(uv_handle_t *h) {
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* (loop) Closes every handle so that uv_run returns.  Called once the run
 * is over (no worker will send the async again) or before anything ran. */
void dr__x_finish_loop(exec *x) {
    if (x->closing)
        return;
    x->closing = 1;
    close_handle((uv_handle_t *)&x->async);
    if (x->progress_init) {
        uv_timer_stop(&x->progress_timer);
        close_handle((uv_handle_t *)&x->progress_timer);
        progress_draw(x, 1);
    }
    if (x->signals_init) {
        close_handle((uv_handle_t *)&x->sigint);
        close_handle((uv_handle_t *)&x->sigterm);
        close_handle((uv_handle_t *)&x->sighup);
    }
    if (x->journal_init) {
        uv_timer_stop(&x->journal_timer);
        close_handle((uv_handle_t *)&x->journal_timer);
        uv_check_stop(&x->exit_check);
        close_handle((uv_handle_t *)&x->exit_check);
    }
    for (unsigned w = 0; w < x->nslots; w++) {
        if (x->slots[w].timer_init)
            close_handle((uv_handle_t *)&x->slots[w].timer);
        if (x->slots[w].grace_init)
            close_handle((uv_handle_t *)&x->slots[w].grace);
    }
}
