/*
 * --executor mpi on a worker rank (docs/mpi.md): the rank loads the graph
 * itself (the same file, checked by rank 0 at start-up: exec_mpi.c), then
 * runs the attempts rank 0 sends it on its K slots, one thread per slot,
 * each waiting on its own tag for a TASK message and answering with the
 * RESULT, as a worker process of --executor processes does
 * (dr__x_serve_task).  The main thread listens to rank 0's control tag: a
 * CANCEL sets the cancel flag of the attempt named (a timeout or Ctrl-C on
 * rank 0), a SHUTDOWN ends the run here.
 *
 * Results (docs/mpi.md, "Where results are"): a result over the task
 * message's keep_min bytes stays here, in kept[t], and only its size goes
 * to rank 0; a later task that needs it names the rank that keeps it
 * ("held"), and the slot that runs it takes it from kept[] or asks that
 * rank for it (FETCH, answered by the rank's fetch thread on the slot's
 * DATA tag), so that a large result never passes through rank 0.  Rank 0
 * says "drop" when its last consumer has run.
 *
 * Commands run here, by the slot's own thread (dr__x_run_command_here), in
 * this rank's working folder (--workdir, or where mpirun started it), with
 * their logs in the run folder rank 0 named: one folder for all ranks on a
 * shared file system (docs/mpi.md says what must be shared).  Nothing else
 * of a run (journal, trace, outputs) is written by a worker rank.
 */
#define _GNU_SOURCE
#include "exec_internal.h"
#include "mpi_link.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

/* The commands running on this rank's slots (their process groups), for
 * the signal handler: mpirun stops a job by sending every rank SIGTERM
 * (after Ctrl-C, or when a rank died), and a terminal's Ctrl-C reaches
 * every rank as SIGINT; the commands, in sessions of their own, would
 * outlive the rank. */
static volatile sig_atomic_t running_pid[DR__MPI_MAX_SLOTS];
static volatile sig_atomic_t nrunning_slots;

static volatile sig_atomic_t signalled;

/* The commands go at once, and so will any started later; the rank itself
 * stays: had it exited, mpirun would SIGKILL rank 0 at once (it aborts the
 * job when a rank exits with a failure), before rank 0 could write the
 * trace.  Rank 0, stopped by the same signal, answers with SHUTDOWN; or
 * mpirun kills this rank a second later. */
static void on_stop_signal(int sig) {
    (void)sig;
    signalled = 1;
    for (int j = 0; j < nrunning_slots; j++)
        if (running_pid[j] > 0)
            kill(-(pid_t)running_pid[j], SIGKILL);
    dr__mpi_abandon();
}

static int stopping(void *arg) {
    exec *x = arg;
    return atomic_load(&x->stop) != 0;
}

/* (thread) The text of result d, kept here or by rank `holder`: a new
 * buffer in *text (*len bytes), or -1 with err filled. */
static int held_text(exec *x, slot *s, int holder, dr_task d, char **text,
                     size_t *len, char *err, size_t errlen) {
    *text = NULL;
    *len = 0;
    if (holder == x->rank_self) {
        sched_lock(x);
        int have = x->kept[d] != NULL;
        if (have && (*text = malloc(x->nkept[d] ? x->nkept[d] : 1)) != NULL) {
            memcpy(*text, x->kept[d], x->nkept[d]);
            *len = x->nkept[d];
        }
        sched_unlock(x);
        if (!have)
            snprintf(err, errlen, "result of '%s' is not kept on rank %d",
                     dr_task_key(x->g, d), x->rank_self);
        else if (*text == NULL)
            snprintf(err, errlen, "out of memory");
        return *text != NULL ? 0 : -1;
    }
    json_t *b = json_pack("{sIsI}", "task", (json_int_t)d, "slot",
                          (json_int_t)s->worker);
    int rc = dr__mpi_send(holder, DR__TAG_FETCH, DR__MSG_TASK, b, NULL, 0,
                          stopping, x, NULL, err, errlen);
    json_decref(b);
    if (rc != DR__PROTO_OK)
        return -1;
    dr__msg m;
    rc = dr__mpi_recv(holder, DR__TAG_DATA(s->worker), &m, x->msg_limit,
                      stopping, x, NULL, err, errlen);
    if (rc != DR__PROTO_OK)
        return -1;
    /* An answer to an earlier fetch (a run stopped before it came) is not
     * this input. */
    if (m.type == DR__MSG_RESULT &&
        json_integer_value(json_object_get(m.body, "task")) != (json_int_t)d) {
        snprintf(err, errlen, "rank %d answered for another result", holder);
        dr__msg_free(&m);
        return -1;
    }
    if (m.type != DR__MSG_RESULT) {
        const char *e = json_string_value(json_object_get(m.body, "error"));
        snprintf(err, errlen, "rank %d: %s", holder, e ? e : "no result");
        dr__msg_free(&m);
        return -1;
    }
    *text = (char *)m.bin;
    *len = m.nbin;
    if (*text == NULL && (*text = malloc(1)) == NULL) {
        dr__msg_free(&m);
        return -1;
    }
    m.bin = NULL;
    m.nbin = 0;
    dr__msg_free(&m);
    return 0;
}

/* (thread) Task message m with its held inputs put in: a new message in
 * *out (the caller frees it) with the inputs' texts in its bin, as if rank
 * 0 had sent them.  *fetched gets the bytes that came from other ranks.
 * 0, or -1 with err filled. */
static int resolve_held(exec *x, slot *s, const dr__msg *m, dr__msg *out,
                        size_t *fetched, char *err, size_t errlen) {
    json_t *held = json_object_get(m->body, "held");
    size_t nin = 0;
    *fetched = 0;
    memset(out, 0, sizeof *out);
    if (dr__proto_task_inputs(m, &nin, NULL, NULL, NULL, 0) != DR__PROTO_OK &&
        nin == 0) {
        snprintf(err, errlen, "a task message without inputs");
        return -1;
    }
    const unsigned char **texts = calloc(nin ? nin : 1, sizeof *texts);
    size_t *lens = calloc(nin ? nin : 1, sizeof *lens);
    char **own = calloc(nin ? nin : 1, sizeof *own);
    int rc = -1;
    if (texts == NULL || lens == NULL || own == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t n = nin;
    if (dr__proto_task_inputs(m, &n, texts, lens, err, errlen) != DR__PROTO_OK)
        goto out;
    size_t i;
    json_t *h;
    json_array_foreach(held, i, h) {
        json_int_t in = json_integer_value(json_array_get(h, 0));
        int rank = (int)json_integer_value(json_array_get(h, 1));
        json_int_t d = json_integer_value(json_array_get(h, 2));
        if (in < 0 || (size_t)in >= nin || d < 0 || (size_t)d >= x->n) {
            snprintf(err, errlen, "a bad held input");
            goto out;
        }
        size_t len;
        if (held_text(x, s, rank, (dr_task)d, &own[in], &len, err, errlen) != 0)
            goto out;
        texts[in] = (const unsigned char *)own[in];
        lens[in] = len;
        if (rank != x->rank_self)
            *fetched += len;
    }
    size_t total = 0;
    for (i = 0; i < nin; i++)
        total += lens[i];
    out->bin = malloc(total ? total : 1);
    json_t *jl = json_array();
    if (out->bin == NULL || jl == NULL) {
        json_decref(jl);
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t off = 0;
    for (i = 0; i < nin; i++) {
        if (lens[i] > 0) /* an empty input's text may be NULL */
            memcpy(out->bin + off, texts[i], lens[i]);
        off += lens[i];
        json_array_append_new(jl, json_integer((json_int_t)lens[i]));
    }
    out->nbin = total;
    out->type = m->type;
    out->body = json_deep_copy(m->body);
    json_object_set_new(out->body, "inputs", jl);
    json_object_del(out->body, "held");
    rc = 0;
out:
    for (i = 0; own != NULL && i < nin; i++)
        free(own[i]);
    free(own);
    free(texts);
    free(lens);
    if (rc != 0)
        dr__msg_free(out);
    return rc;
}

/* The fetch thread: answers other ranks' FETCH of a result kept here. */
static void fetch_main(void *arg) {
    exec *x = arg;
    for (;;) {
        dr__msg m;
        char err[256];
        int from = -1;
        int rc = dr__mpi_recv(-1, DR__TAG_FETCH, &m, 1 << 20, stopping, x,
                              &from, err, sizeof err);
        if (rc == DR__PROTO_STOPPED)
            return;
        if (rc != DR__PROTO_OK)
            continue;
        json_int_t d = json_integer_value(json_object_get(m.body, "task"));
        json_int_t j = json_integer_value(json_object_get(m.body, "slot"));
        dr__msg_free(&m);
        char *text = NULL;
        size_t len = 0;
        sched_lock(x);
        if (d >= 0 && (size_t)d < x->n && x->kept[d] != NULL &&
            (text = malloc(x->nkept[d] ? x->nkept[d] : 1)) != NULL) {
            memcpy(text, x->kept[d], x->nkept[d]);
            len = x->nkept[d];
        }
        sched_unlock(x);
        if (j < 0 || j >= DR__MPI_MAX_SLOTS) {
            free(text);
            continue;
        }
        if (text != NULL) {
            json_t *b = json_pack("{sI}", "task", (json_int_t)d);
            dr__mpi_send(from, DR__TAG_DATA(j), DR__MSG_RESULT, b, text, len,
                         stopping, x, NULL, err, sizeof err);
            json_decref(b);
        } else {
            json_t *b = json_pack("{ss}", "error", "no such result kept");
            dr__mpi_send(from, DR__TAG_DATA(j), DR__MSG_ERROR, b, NULL, 0,
                         stopping, x, NULL, err, sizeof err);
            json_decref(b);
        }
        free(text);
    }
}

/* Slot thread: TASK in, RESULT out, until shutdown. */
static void slot_main(void *arg) {
    slot *s = arg;
    exec *x = s->x;
    for (;;) {
        dr__msg m;
        char err[256];
        int rc = dr__mpi_recv(0, DR__TAG_TASK(s->worker), &m, x->msg_limit,
                              stopping, x, NULL, err, sizeof err);
        if (rc == DR__PROTO_STOPPED)
            return;
        if (rc != DR__PROTO_OK) {
            fprintf(stderr, "dagrun: worker rank slot %u: %s\n", s->worker,
                    err);
            return;
        }
        if (m.type != DR__MSG_TASK) {
            dr__msg_free(&m);
            continue;
        }
        json_t *w = json_object_get(m.body, "worker");
        sched_lock(x);
        s->task = (dr_task)json_integer_value(json_object_get(m.body, "task"));
        s->attempt =
            (unsigned)json_integer_value(json_object_get(m.body, "attempt"));
        s->busy = 1;
        atomic_store(&s->cancel, 0);
        sched_unlock(x);
        /* Commands see rank 0's worker id, as under every executor. */
        s->gen =
            json_is_integer(w) ? (unsigned)json_integer_value(w) : s->worker;
        char *text = NULL;
        size_t len = 0, fetched = 0;
        json_t *reply;
        json_int_t keep_min =
            json_is_integer(json_object_get(m.body, "keep_min"))
                ? json_integer_value(json_object_get(m.body, "keep_min"))
                : -1;
        double f0 = now_s(x), fetch_s = 0;
        if (json_object_get(m.body, "held") != NULL) {
            dr__msg r;
            if (resolve_held(x, s, &m, &r, &fetched, err, sizeof err) != 0) {
                char e2[300];
                snprintf(e2, sizeof e2, "cannot get its inputs: %s", err);
                reply = json_pack(
                    "{sIsIsbss}", "task",
                    json_object_get(m.body, "task")
                        ? json_integer_value(json_object_get(m.body, "task"))
                        : 0,
                    "attempt", (json_int_t)s->attempt, "ok", 0, "error", e2);
            } else {
                fetch_s = now_s(x) - f0;
                reply = dr__x_serve_task(x, s, &r, &text, &len);
                dr__msg_free(&r);
            }
        } else
            reply = dr__x_serve_task(x, s, &m, &text, &len);
        dr__msg_free(&m);
        dr_task t = s->task;
        if (reply != NULL && fetched > 0) {
            json_object_set_new(reply, "fetched",
                                json_integer((json_int_t)fetched));
            json_object_set_new(reply, "fetch_seconds", json_real(fetch_s));
        }
        if (reply != NULL && text != NULL && keep_min >= 0 &&
            len > (size_t)keep_min &&
            json_is_true(json_object_get(reply, "ok"))) {
            /* Kept here: rank 0 gets its size only. */
            sched_lock(x);
            free(x->kept[t]);
            x->kept[t] = text;
            x->nkept[t] = len;
            sched_unlock(x);
            text = NULL;
            json_object_set_new(reply, "kept", json_integer((json_int_t)len));
            len = 0;
        }
        sched_lock(x);
        s->busy = 0;
        sched_unlock(x);
        if (reply == NULL) {
            fprintf(stderr, "dagrun: worker rank: out of memory\n");
            free(text);
            return;
        }
        rc = dr__mpi_send(0, DR__TAG_RESULT(s->worker), DR__MSG_RESULT, reply,
                          text, len, NULL, NULL, NULL, err, sizeof err);
        json_decref(reply);
        free(text);
        if (rc != DR__PROTO_OK) {
            fprintf(stderr, "dagrun: worker rank slot %u: %s\n", s->worker,
                    err);
            return;
        }
    }
}

/* Main thread: rank 0's control messages until SHUTDOWN. */
static void control(exec *x) {
    for (;;) {
        dr__msg m;
        char err[256];
        int rc = dr__mpi_recv(0, DR__TAG_CTRL, &m, 1 << 20, NULL, NULL, NULL,
                              err, sizeof err);
        if (rc != DR__PROTO_OK) {
            fprintf(stderr, "dagrun: worker rank: %s\n", err);
            break;
        }
        const char *op = json_string_value(json_object_get(m.body, "op"));
        if (op != NULL && strcmp(op, "cancel") == 0) {
            json_int_t j = json_integer_value(json_object_get(m.body, "slot"));
            json_int_t t = json_integer_value(json_object_get(m.body, "task"));
            json_int_t a =
                json_integer_value(json_object_get(m.body, "attempt"));
            if (j >= 0 && (unsigned)j < x->nslots) {
                slot *s = &x->slots[j];
                sched_lock(x);
                if (s->busy && s->task == (dr_task)t &&
                    s->attempt == (unsigned)a)
                    atomic_store(&s->cancel, 1);
                sched_unlock(x);
            }
            dr__msg_free(&m);
            continue;
        }
        if (op != NULL && strcmp(op, "drop") == 0) {
            json_int_t t = json_integer_value(json_object_get(m.body, "task"));
            if (t >= 0 && (size_t)t < x->n) {
                sched_lock(x);
                free(x->kept[t]);
                x->kept[t] = NULL;
                x->nkept[t] = 0;
                sched_unlock(x);
            }
            dr__msg_free(&m);
            continue;
        }
        dr__msg_free(&m);
        break; /* shutdown */
    }
    /* What still runs was given up on by rank 0: stopped. */
    atomic_store(&x->stop, 1);
    for (unsigned j = 0; j < x->nslots; j++)
        atomic_store(&x->slots[j].cancel, 1);
}

int dr__serve_mpi(dr_run *run, dr_error *err) {
    char why[512];
    int rank, size;
    if (dr_mpi_rank(NULL) < 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "dr_mpi_serve: this process was not started by mpirun "
                      "or srun");
        return DR_EINVAL;
    }
    if (dr__mpi_init(&rank, &size, why, sizeof why) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL, "--executor mpi: %s", why);
        return DR_EIO;
    }
    if (rank == 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "dr_mpi_serve on rank 0: rank 0 runs the graph "
                      "(dr_run_graph with DR_EXECUTOR_MPI)");
        return DR_EINVAL;
    }
    exec xs, *x = &xs;
    memset(x, 0, sizeof *x);
    x->run = run;
    x->g = run->graph;
    x->n = dr_graph_ntasks(run->graph);
    x->errp = err;
    x->reaper.fd = -1;
    x->serving = 1;
    x->nslots = run->workers > 0 ? run->workers : 1;
    if (x->nslots > DR__MPI_MAX_SLOTS)
        x->nslots = DR__MPI_MAX_SLOTS;
    size_t n1 = x->n ? x->n : 1;
    x->how = dr__big_calloc(n1, sizeof *x->how);
    x->attempts = dr__big_calloc(n1, sizeof *x->attempts);
    x->consumers = dr__big_calloc(n1, sizeof *x->consumers);
    x->results = dr__big_calloc(n1, sizeof *x->results);
    x->slots = calloc(x->nslots, sizeof *x->slots);
    x->threads = calloc(x->nslots + 1, sizeof *x->threads);
    x->kept = calloc(n1, sizeof *x->kept);
    x->nkept = calloc(n1, sizeof *x->nkept);
    x->rank_self = rank;
    int commands = 0, rc = DR_ENOMEM;
    if (!x->how || !x->attempts || !x->consumers || !x->results || !x->slots ||
        !x->threads || !x->kept || !x->nkept)
        goto nomem;
    rc = dr__x_decide(x, &commands);
    if (rc != 0)
        goto fail;
    if (dr__proto_limit(&x->msg_limit, why, sizeof why) != 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "%s", why);
        rc = DR_EINVAL;
        goto fail;
    }
    pthread_mutex_init(&x->lock, NULL);
    for (unsigned w = 0; w < x->nslots; w++) {
        x->slots[w].x = x;
        x->slots[w].worker = w;
        x->slots[w].wfd = -1;
        atomic_init(&x->slots[w].cancel, 0);
        pthread_cond_init(&x->slots[w].wake, NULL);
    }
    x->lock_init = 1;
    atomic_init(&x->stop, 0);
    x->t0 = uv_hrtime();

    json_t *hello = dr__mpi_hello_body(x->g, rank, x->nslots);
    if (hello == NULL)
        goto nomem;
    rc = dr__mpi_send(0, DR__TAG_HELLO, DR__MSG_HELLO, hello, NULL, 0, NULL,
                      NULL, NULL, why, sizeof why);
    json_decref(hello);
    dr__msg m;
    if (rc == DR__PROTO_OK)
        rc = dr__mpi_recv(0, DR__TAG_START, &m, 1 << 20, NULL, NULL, NULL, why,
                          sizeof why);
    if (rc != DR__PROTO_OK) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL, "--executor mpi: %s", why);
        rc = DR_EIO;
        goto fail;
    }
    if (m.type == DR__MSG_SHUTDOWN) { /* rank 0 has ended the job */
        dr__msg_free(&m);
        rc = 1;
        goto fail;
    }
    if (!json_is_true(json_object_get(m.body, "ok"))) {
        const char *e = json_string_value(json_object_get(m.body, "error"));
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "%s",
                      e != NULL ? e : "rank 0 refused this rank");
        dr__msg_free(&m);
        rc = DR_EINVAL;
        goto fail;
    }
    /* Rank 0's run folder and output folder, for the commands. */
    const char *rd = json_string_value(json_object_get(m.body, "run_dir"));
    const char *od = json_string_value(json_object_get(m.body, "output_dir"));
    if (rd != NULL)
        run->run_dir = strdup(rd);
    else {
        const char *name = dr_graph_name(x->g);
        size_t len = strlen(name) + 32;
        if ((run->run_dir = malloc(len)) != NULL)
            snprintf(run->run_dir, len, "dagrun-out/%s/logs",
                     *name ? name : "graph");
    }
    run->opts.output_dir = NULL;
    char *out_copy = od != NULL ? strdup(od) : NULL;
    run->opts.output_dir = out_copy;
    dr__msg_free(&m);
    rc = commands ? dr__x_build_env(x) : 0;
    if (rc != 0 || run->run_dir == NULL) {
        free(out_copy);
        run->opts.output_dir = NULL;
        goto nomem;
    }
    /* The watcher that stops what the commands leave, even when this rank
     * is killed (reaper.c; it makes only system calls after its fork, so
     * MPI's threads do not matter). */
    if (commands && dr__reaper_start(&x->reaper, x->mark, x->nslots) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot start the process watcher: %s", strerror(errno));
        free(out_copy);
        run->opts.output_dir = NULL;
        rc = DR_EIO;
        goto fail;
    }

    struct sigaction sa, old[3];
    static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    if (run->opts.handle_signals) {
        nrunning_slots = (sig_atomic_t)x->nslots;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &sa, &old[i]);
    }
    unsigned started = 0;
    for (; started < x->nslots; started++)
        if (uv_thread_create(&x->threads[started], slot_main,
                             &x->slots[started]) != 0)
            break;
    int fetching = uv_thread_create(&x->threads[x->nslots], fetch_main, x) == 0;
    control(x);
    for (unsigned i = 0; i < started; i++)
        uv_thread_join(&x->threads[i]);
    if (fetching)
        uv_thread_join(&x->threads[x->nslots]);
    if (run->opts.handle_signals)
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
    free(out_copy);
    run->opts.output_dir = NULL;
    dr__x_free(x);
    return 0;

nomem:
    dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    rc = DR_ENOMEM;
fail:
    dr__x_free(x);
    return rc;
}

/* ------------------------------------------------------- commands */

static int pidfd_open_(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Waits for pid, polling s's cancel flag: SIGTERM to its group on cancel,
 * SIGKILL a grace later.  Returns the wait status. */
static int wait_child(slot *s, pid_t pid) {
    int pfd = pidfd_open_(pid);
    uint64_t kill_at = 0;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (atomic_load(&s->cancel)) {
            uint64_t now = uv_hrtime();
            if (kill_at == 0) {
                kill(-pid, SIGTERM);
                kill_at = now + (uint64_t)KILL_GRACE_MS * 1000000;
            } else if (now >= kill_at) {
                kill(-pid, SIGKILL);
                kill_at = UINT64_MAX;
            }
        }
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            poll(&p, 1, 20);
        } else {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    kill(-pid, SIGKILL); /* what it left in its group */
    return status;
}

void dr__x_run_command_here(slot *s) {
    exec *x = s->x;
    dr_call *call = &s->call;
    dr_task t = call->task;
    const char *key = dr_task_key(x->g, t);
    char *outp = dr__log_path(x->run->run_dir, key, ".out");
    char *errp = dr__log_path(x->run->run_dir, key, ".err");
    char **env = malloc((x->nenv + 5) * sizeof *env);
    char *task_var = malloc(strlen(key) + sizeof "DAGRUN_TASK=");
    int ofd = -1, efd = -1;
    s->failed = 1;
    if (outp == NULL || errp == NULL || env == NULL || task_var == NULL) {
        snprintf(call->error, sizeof call->error, "out of memory");
        goto out;
    }
    ofd = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    efd = ofd >= 0 ? open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                   : -1;
    if (efd < 0) {
        snprintf(call->error, sizeof call->error,
                 "cannot open log file '%s': %s", ofd < 0 ? outp : errp,
                 strerror(errno));
        goto out;
    }
    memcpy(env, x->env, x->nenv * sizeof *env);
    sprintf(task_var, "DAGRUN_TASK=%s", key);
    snprintf(s->env_worker, sizeof s->env_worker, "DAGRUN_WORKER=%u", s->gen);
    snprintf(s->env_attempt, sizeof s->env_attempt, "DAGRUN_ATTEMPT=%u",
             s->attempt);
    env[x->nenv] = task_var;
    env[x->nenv + 1] = s->env_worker;
    env[x->nenv + 2] = s->env_attempt;
    env[x->nenv + 3] = x->mark;
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
    const char *wd = x->run->opts.workdir;
    int pid = -1;
    int e = dr__x_posix_spawn(wd, args, env, ofd, efd, &pid);
    if (e != 0) {
        int bad = wd != NULL ? dr__workdir_error(wd) : 0;
        if (bad != 0)
            snprintf(call->error, sizeof call->error,
                     "cannot run '%s': working folder '%s': %s", args[0], wd,
                     strerror(bad));
        else
            snprintf(call->error, sizeof call->error, "cannot run '%s': %s",
                     args[0], strerror(e));
        goto out;
    }
    close(ofd);
    close(efd);
    ofd = efd = -1;
    if (s->worker < DR__MPI_MAX_SLOTS)
        running_pid[s->worker] = (sig_atomic_t)pid;
    dr__reaper_watch(&x->reaper, pid);
    if (signalled) /* the handler ran before the pid was known */
        kill(-pid, SIGKILL);
    int st = wait_child(s, pid);
    dr__reaper_forget(&x->reaper, pid);
    if (s->worker < DR__MPI_MAX_SLOTS)
        running_pid[s->worker] = 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !atomic_load(&s->cancel)) {
        s->failed = 0;
        call->out.json = NULL; /* a command has no JSON result */
    } else if (atomic_load(&s->cancel))
        snprintf(call->error, sizeof call->error, "interrupted");
    else if (WIFSIGNALED(st))
        snprintf(call->error, sizeof call->error, "killed by signal %d (%s)",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(call->error, sizeof call->error, "exit status %d",
                 WEXITSTATUS(st));
out:
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    free(outp);
    free(errp);
    free(env);
    free(task_var);
}
