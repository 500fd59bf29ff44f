/*
 * --executor processes: a worker thread runs its slot's function task in
 * the slot's worker process instead of calling run_job itself.
 *
 * Slot w owns worker process w (pool.c starts it from the zygote): the
 * thread sends a task message (the task, its arguments, its dependencies'
 * results as JSON text) over the slot's socket and waits for the result
 * message (docs/worker-protocol.md).  The worker is a fork of dagrun made
 * when the run started, so it holds the graph and every C function; it
 * puts the inputs where run_job reads them and calls run_job, as a worker
 * thread would.  Everything the scheduling core does stays in the parent:
 * the worker sees one task at a time and nothing else.
 *
 * What threads cannot give: a worker that dies (a crash, abort, kill -9,
 * its memory limit) fails only the attempt it ran, with its signal in the
 * message, and the next task on that slot gets a new worker; a task past
 * its timeout, or stopped by Ctrl-C, has its worker killed at once.
 * Results travel as text: the text a worker sent is kept beside the parsed
 * value, and sent as it is to the dependents, never dumped again.
 */
#define _GNU_SOURCE
#include "exec_internal.h"
#include "pool.h"
#include "protocol.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELLO_SECONDS 10.0 /* a new worker's HELLO must come this soon */

/* The graph a worker holds, as its hello says it: the task and edge counts
 * and the name.  Enough for workers forked from dagrun, which cannot hold
 * another graph; the MPI executor, whose ranks load the file themselves,
 * is to send a fingerprint of the whole graph here
 * (docs/worker-protocol.md). */
static void graph_identity(const exec *x, char *buf, size_t len) {
    snprintf(buf, len, "%zu/%zu/%s", x->n, dr_graph_nedges(x->g),
             dr_graph_name(x->g));
}

/* ----------------------------------------------- in the worker process */

static json_t *result_body(dr_task t, unsigned attempt, const char *error,
                           double seconds) {
    json_t *body = json_pack("{sIsIsb}", "task", (json_int_t)t, "attempt",
                             (json_int_t)attempt, "ok", error == NULL);
    if (body == NULL)
        return NULL;
    if (error != NULL)
        json_object_set_new(body, "error", json_string(error));
    json_object_set_new(body, "seconds", json_real(seconds));
    return body;
}

json_t *dr__x_serve_task(exec *x, slot *s, const dr__msg *m, char **text,
                         size_t *len) {
    *text = NULL;
    *len = 0;
    json_t *jt = json_object_get(m->body, "task");
    json_t *ja = json_object_get(m->body, "attempt");
    if (!json_is_integer(jt) || json_integer_value(jt) < 0 ||
        (size_t)json_integer_value(jt) >= x->n)
        return result_body(0, 0, "task message without a valid task", 0);
    dr_task t = (dr_task)json_integer_value(jt);
    unsigned attempt = (unsigned)json_integer_value(ja);
    size_t nd, nin;
    dr_task_deps(x->g, t, &nd);
    const unsigned char **texts = nd ? calloc(nd, sizeof *texts) : NULL;
    size_t *lens = nd ? calloc(nd, sizeof *lens) : NULL;
    json_t **in = nd ? calloc(nd, sizeof *in) : NULL;
    char err[256];
    json_t *reply = NULL;
    if (nd > 0 && (texts == NULL || lens == NULL || in == NULL)) {
        reply = result_body(t, attempt, "out of memory", 0);
        goto out;
    }
    nin = nd;
    if (dr__proto_task_inputs(m, &nin, texts, lens, err, sizeof err) != 0 ||
        nin != nd) {
        if (nin != nd)
            snprintf(err, sizeof err, "task message has %zu inputs, not %zu",
                     nin, nd);
        reply = result_body(t, attempt, err, 0);
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        json_error_t je;
        in[i] = lens[i] == 0 ? json_null()
                             : json_loadb((const char *)texts[i], lens[i],
                                          JSON_DECODE_ANY, &je);
        if (in[i] == NULL) {
            snprintf(err, sizeof err, "input %zu is not JSON: %s", i, je.text);
            reply = result_body(t, attempt, err, 0);
            goto out;
        }
    }
    double t0 = now_s(x);
    s->attempt = attempt;
    dr__x_prepare_call(x, s, t);
    s->call.in = in;
    if (how_of(x, t) == HOW_BUILTIN && !s->failed)
        for (size_t i = 0; i < nd; i++)
            s->inputs[i] = in[i];
    if (!s->failed && is_command(x, t))
        dr__x_run_command_here(s);
    else if (!s->failed)
        dr__x_run_job(s);
    double secs = now_s(x) - t0;
    result *r = &s->call.out;
    if (!s->failed && r->ptr != NULL) {
        snprintf(s->call.error, sizeof s->call.error,
                 "task '%s' returned a C pointer (dr_call_set_ptr), "
                 "which cannot cross a process boundary: run it with "
                 "--executor threads or sync",
                 dr_task_key(x->g, t));
        s->failed = 1;
    }
    if (s->failed) {
        reply = result_body(t, attempt, s->call.error, secs);
    } else {
        if (r->json != NULL && !json_is_null(r->json)) {
            *text = json_dumps(r->json, JSON_COMPACT | JSON_ENCODE_ANY);
            if (*text == NULL) {
                reply = result_body(t, attempt,
                                    "out of memory sending the result", secs);
                goto done;
            }
            *len = strlen(*text);
        }
        reply = result_body(t, attempt, NULL, secs);
    }
done:
    dr__x_result_free(r);
    s->call.in = NULL;
out:
    for (size_t i = 0; in != NULL && i < nd; i++)
        json_decref(in[i]);
    free(in);
    free(texts);
    free(lens);
    return reply;
}

/* The worker process's life: HELLO, then one task at a time until dagrun
 * closes the socket or says SHUTDOWN.  Runs in the fork (pool.c). */
static void serve(int fd, unsigned worker, void *arg) {
    exec *x = arg;
    slot *s = &x->slots[worker];
    char graph[512];
    graph_identity(x, graph, sizeof graph);
    json_t *hello =
        json_pack("{sisIsIssss}", "version", DR__PROTO_VERSION, "pid",
                  (json_int_t)getpid(), "worker", (json_int_t)worker, "dagrun",
                  DAGRUN_VERSION_STRING, "graph", graph);
    if (hello == NULL ||
        dr__proto_write(fd, DR__MSG_HELLO, hello, NULL, 0, NULL) != 0) {
        json_decref(hello);
        return;
    }
    json_decref(hello);
    for (;;) {
        dr__msg m;
        char err[256];
        int rc =
            dr__proto_read(fd, &m, x->msg_limit, NULL, NULL, err, sizeof err);
        if (rc != DR__PROTO_OK)
            return; /* EOF: the run is over; anything else: dagrun kills us */
        int stop = m.type != DR__MSG_TASK;
        if (!stop) {
            char *text;
            size_t len;
            json_t *reply = dr__x_serve_task(x, s, &m, &text, &len);
            if (reply == NULL || dr__proto_write(fd, DR__MSG_RESULT, reply,
                                                 text, len, NULL) != 0)
                stop = 1;
            json_decref(reply);
            free(text);
        }
        dr__msg_free(&m);
        if (stop)
            return;
    }
}

/* ------------------------------------------------------- in dagrun */

static int stop_requested(void *arg) {
    slot *s = arg;
    return atomic_load(&s->cancel) != 0;
}

typedef struct deadline {
    uint64_t end;
} deadline;

static int past_deadline(void *arg) {
    return uv_hrtime() >= ((deadline *)arg)->end;
}

/* (thread) Starts slot s's worker and reads its HELLO. */
static int start_worker(exec *x, slot *s, char *err, size_t errlen) {
    int fd, pid;
    if (dr__pool_spawn(x->pool, s->worker, &fd, &pid, err, errlen) != 0)
        return -1;
    dr__msg m;
    char why[256];
    deadline d = {uv_hrtime() + (uint64_t)(HELLO_SECONDS * 1e9)};
    int rc = dr__proto_read(fd, &m, x->msg_limit, past_deadline, &d, why,
                            sizeof why);
    if (rc == DR__PROTO_OK && m.type != DR__MSG_HELLO) {
        snprintf(why, sizeof why, "its first message is %s, not hello",
                 dr__proto_type_name(m.type));
        rc = DR__PROTO_BAD;
    }
    if (rc == DR__PROTO_OK) {
        json_t *v = json_object_get(m.body, "version");
        const char *theirs =
            json_string_value(json_object_get(m.body, "graph"));
        char ours[512];
        graph_identity(x, ours, sizeof ours);
        if (json_integer_value(v) != DR__PROTO_VERSION) {
            snprintf(why, sizeof why, "it speaks protocol version %lld, not %d",
                     (long long)json_integer_value(v), DR__PROTO_VERSION);
            rc = DR__PROTO_BAD;
        } else if (theirs == NULL || strcmp(theirs, ours) != 0) {
            snprintf(why, sizeof why,
                     "it holds another graph (%.100s, not "
                     "%.100s)",
                     theirs != NULL ? theirs : "none", ours);
            rc = DR__PROTO_BAD;
        }
    }
    dr__msg_free(&m);
    if (rc != DR__PROTO_OK) {
        char st[96];
        int status = dr__pool_reap(x->pool, pid);
        if (rc == DR__PROTO_EOF || rc == DR__PROTO_IO)
            snprintf(why, sizeof why, "it %s",
                     dr__wait_status_text(status, st, sizeof st));
        else if (rc == DR__PROTO_STOPPED)
            snprintf(why, sizeof why, "it did not say hello within %g s",
                     HELLO_SECONDS);
        snprintf(err, errlen, "cannot start worker process %u: %s", s->worker,
                 why);
        close(fd);
        return -1;
    }
    s->wfd = fd;
    s->wpid = pid;
    return 0;
}

/* (thread) Ends slot s's worker (killed if still running) and returns how
 * it ended, as a phrase ("died of signal 11 (Segmentation fault)"). */
static const char *end_worker(exec *x, slot *s, char *buf, size_t len) {
    int status = dr__pool_reap(x->pool, s->wpid);
    close(s->wfd);
    s->wfd = -1;
    s->wpid = 0;
    return dr__wait_status_text(status, buf, len);
}

/* "512 MiB", "1.5 GiB" */
static const char *bytes_text(uint64_t m, char *buf, size_t len) {
    static const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)m;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.3g %s", v, unit[u]);
    return buf;
}

static void memory_note(const exec *x, char *buf, size_t len) {
    uint64_t m = x->run->opts.worker_memory;
    char b[32];
    if (m == 0)
        buf[0] = '\0';
    else
        snprintf(buf, len, " (its memory limit is %s: --worker-memory)",
                 bytes_text(m, b, sizeof b));
}

/* (thread) If the zygote is gone, no worker can start any more: the run
 * stops (nothing new starts, as after Ctrl-C but without the signal), and
 * the reason is added to msg, once per run.  Returns 1 then. */
static int pool_lost(exec *x, char *msg, size_t len) {
    char why[256];
    if (!dr__pool_gone(x->pool, why, sizeof why))
        return 0;
    size_t used = strlen(msg);
    if (used < len)
        snprintf(msg + used, len - used, "%s%s; the run stops",
                 used ? ": " : "", why);
    sched_lock(x);
    dr__core_stop(x->core);
    sched_unlock(x);
    return 1;
}

void dr__x_task_msg_free(dr__task_msg *tm) {
    json_decref(tm->body);
    for (size_t i = 0; tm->dumped != NULL && i < tm->nd; i++)
        free(tm->dumped[i]);
    free(tm->dumped);
    free(tm->texts);
    free(tm->sizes);
    free(tm->bin);
    memset(tm, 0, sizeof *tm);
}

int dr__x_task_msg(exec *x, slot *s, dr__task_msg *tm) {
    dr_call *call = &s->call;
    dr_task t = call->task;
    const char *key = dr_task_key(x->g, t);
    size_t nd = call->ndeps;
    memset(tm, 0, sizeof *tm);
    tm->nd = nd;
    json_t *lens = json_array();
    tm->dumped = nd ? calloc(nd, sizeof *tm->dumped) : NULL;
    tm->texts = nd ? calloc(nd, sizeof *tm->texts) : NULL;
    tm->sizes = nd ? calloc(nd, sizeof *tm->sizes) : NULL;
    if (lens == NULL || (nd > 0 && (!tm->dumped || !tm->texts || !tm->sizes)))
        goto nomem;
    for (size_t i = 0; i < nd; i++) {
        const result *r = &x->results[call->deps[i]];
        if (r->wire != NULL) {
            tm->texts[i] = r->wire;
            tm->sizes[i] = r->nwire;
        } else if (r->json != NULL && !json_is_null(r->json)) {
            tm->dumped[i] = json_dumps(r->json, JSON_COMPACT | JSON_ENCODE_ANY);
            if (tm->dumped[i] == NULL)
                goto nomem;
            tm->texts[i] = tm->dumped[i];
            tm->sizes[i] = strlen(tm->dumped[i]);
        } else {
            tm->texts[i] = "";
            tm->sizes[i] = 0;
        }
        tm->total += tm->sizes[i];
        json_array_append_new(lens, json_integer((json_int_t)tm->sizes[i]));
    }
    if (nd == 1) {
        tm->payload = tm->texts[0];
    } else if (tm->total > 0) {
        if ((tm->bin = malloc(tm->total)) == NULL)
            goto nomem;
        size_t off = 0;
        for (size_t i = 0; i < nd; i++) {
            memcpy(tm->bin + off, tm->texts[i], tm->sizes[i]);
            off += tm->sizes[i];
        }
        tm->payload = tm->bin;
    }
    json_t *args = dr_task_op_args(x->g, t);
    tm->body = json_pack("{sIsssIsIsOso}", "task", (json_int_t)t, "key", key,
                         "attempt", (json_int_t)s->attempt, "worker",
                         (json_int_t)s->worker, "args",
                         args != NULL ? args : json_null(), "inputs", lens);
    lens = NULL; /* "o" took it */
    if (tm->body == NULL)
        goto nomem;
    /* Over the limit the worker would refuse it and leave: said here. */
    if (DR__PROTO_HEADER + tm->total + 65536 > x->msg_limit) {
        char *text = json_dumps(tm->body, JSON_COMPACT);
        uint64_t size =
            DR__PROTO_HEADER + tm->total + (text != NULL ? strlen(text) : 0);
        free(text);
        if (size > x->msg_limit) {
            snprintf(call->error, sizeof call->error,
                     "the task message of '%s' (its arguments and inputs) "
                     "would be %llu bytes, over the %llu-byte limit "
                     "(DAGRUN_MAX_MESSAGE_BYTES)",
                     key, (unsigned long long)size,
                     (unsigned long long)x->msg_limit);
            dr__x_task_msg_free(tm);
            return -1;
        }
    }
    return 0;
nomem:
    json_decref(lens);
    dr__x_task_msg_free(tm);
    snprintf(call->error, sizeof call->error,
             "out of memory preparing the task message");
    return -1;
}

int dr__x_result_msg(exec *x, slot *s, dr__msg *m, char *why, size_t len) {
    dr_call *call = &s->call;
    s->bytes_received = m->wire_bytes;
    json_t *ok = json_object_get(m->body, "ok");
    if (!json_is_true(ok)) {
        const char *e = json_string_value(json_object_get(m->body, "error"));
        snprintf(call->error, sizeof call->error, "%s",
                 e != NULL ? e : "failed (the worker gave no reason)");
        return 0;
    }
    json_error_t je;
    json_t *v = m->nbin == 0 ? json_null()
                             : json_loadb((const char *)m->bin, m->nbin,
                                          JSON_DECODE_ANY, &je);
    if (v == NULL) {
        snprintf(why, len, "%s", je.text);
        return -1;
    }
    call->out.json = v;
    if (m->nbin > 0) {
        call->out.wire = (char *)m->bin;
        call->out.nwire = m->nbin;
        m->bin = NULL;
        m->nbin = 0;
        call->out.size = dr__x_json_size(v, 0) + call->out.nwire;
    }
    (void)x;
    s->failed = 0;
    return 0;
}

void dr__x_transfer_times(slot *s, const dr__msg *m, double t0, double r0,
                          double end) {
    s->recv_s = (float)(end - r0);
    /* Writing the task can wake the worker on this very core, which may
     * then run the whole task before the write returns: the wall time of
     * the write would count the task as sending.  What the worker measured
     * as its body is not transfer, whatever the clocks say. */
    json_t *secs = json_object_get(m->body, "seconds");
    if (json_is_number(secs)) {
        double io = (end - t0) - json_number_value(secs);
        if (io < 0)
            io = 0;
        if (s->recv_s > io)
            s->recv_s = (float)io;
        if (s->send_s > io - s->recv_s)
            s->send_s = (float)(io - s->recv_s);
    }
}

/* (thread) Runs s's function task (prepare_call done) in its worker
 * process; sets s->failed and call.error as run_job does, and the
 * attempt's transfer figures. */
void dr__x_run_remote(slot *s) {
    exec *x = s->x;
    dr_call *call = &s->call;
    dr_task t = call->task;
    const char *key = dr_task_key(x->g, t);
    s->failed = 1;
    if (how_of(x, t) == HOW_FUNCTION && x->fn0 != NULL) {
        void *user = NULL;
        if (dr__x_task_fn(x, t, &user) != x->fn0[t]) {
            snprintf(call->error, sizeof call->error,
                     "task '%s': its C function was set after the run "
                     "started; worker processes are copies of dagrun made "
                     "when it starts (--executor processes): set every "
                     "function before dr_run_graph",
                     key);
            return;
        }
    }
    if (s->wfd < 0 &&
        start_worker(x, s, call->error, sizeof call->error) != 0) {
        pool_lost(x, call->error, sizeof call->error);
        return;
    }

    /* The task message: inputs as text, the text each was received as. */
    dr__task_msg tm;
    if (dr__x_task_msg(x, s, &tm) != 0)
        return;
    double t0 = now_s(x);
    size_t sent = 0;
    int wrc = dr__proto_write(s->wfd, DR__MSG_TASK, tm.body, tm.payload,
                              tm.total, &sent);
    double t1 = now_s(x);
    dr__x_task_msg_free(&tm);
    s->send_s = (float)(t1 - t0);
    s->bytes_sent = sent;

    char why[256], st[96], note[128];
    dr__msg m;
    memset(&m, 0, sizeof m);
    int rc = wrc == 0 ? DR__PROTO_OK : DR__PROTO_IO;
    double r0 = 0;
    if (rc == DR__PROTO_OK) {
        /* The task runs now: wait for the first byte of the answer, then
         * time the receiving. */
        struct pollfd pfd = {s->wfd, POLLIN, 0};
        for (;;) {
            if (stop_requested(s)) {
                rc = DR__PROTO_STOPPED;
                break;
            }
            int n = poll(&pfd, 1, 20);
            if (n > 0)
                break;
            if (n < 0 && errno != EINTR) {
                rc = DR__PROTO_IO;
                break;
            }
        }
        r0 = now_s(x);
        if (rc == DR__PROTO_OK)
            rc = dr__proto_read(s->wfd, &m, x->msg_limit, stop_requested, s,
                                why, sizeof why);
    }
    if (rc == DR__PROTO_OK &&
        (m.type != DR__MSG_RESULT || json_integer_value(json_object_get(
                                         m.body, "task")) != (json_int_t)t)) {
        snprintf(
            why, sizeof why, "it answered with a %s message for task %lld",
            dr__proto_type_name(m.type),
            (long long)json_integer_value(json_object_get(m.body, "task")));
        rc = DR__PROTO_BAD;
    }
    if (rc == DR__PROTO_STOPPED) {
        /* A timeout or Ctrl-C: the task is stopped for real. */
        end_worker(x, s, st, sizeof st);
        snprintf(call->error, sizeof call->error,
                 "stopped: worker process %u was killed", s->worker);
        dr__msg_free(&m);
        return;
    }
    if (rc == DR__PROTO_EOF || rc == DR__PROTO_IO) {
        memory_note(x, note, sizeof note);
        end_worker(x, s, st, sizeof st);
        snprintf(call->error, sizeof call->error,
                 "worker process %u %s while running '%s'%s", s->worker, st,
                 key, note);
        pool_lost(x, call->error, sizeof call->error);
        dr__msg_free(&m);
        return;
    }
    if (rc != DR__PROTO_OK) { /* BAD, TOOBIG */
        end_worker(x, s, st, sizeof st);
        snprintf(call->error, sizeof call->error,
                 "worker process %u sent a malformed message while running "
                 "'%s' (%s); it was stopped",
                 s->worker, key, why);
        dr__msg_free(&m);
        return;
    }
    if (dr__x_result_msg(x, s, &m, why, sizeof why) != 0) {
        end_worker(x, s, st, sizeof st);
        snprintf(call->error, sizeof call->error,
                 "worker process %u sent a result that is not JSON while "
                 "running '%s' (%s); it was stopped",
                 s->worker, key, why);
    }
    dr__x_transfer_times(s, &m, t0, r0, now_s(x));
    dr__msg_free(&m);
}

/* Before any thread: the zygote, then one worker per slot that can be
 * used, each greeted.  0, or a DR_E* code with err filled. */
/* This process's address-space size, bytes (0: unknown): what every worker
 * starts with, being a copy. */
static uint64_t own_size(void) {
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

int dr__x_pool_start(exec *x, unsigned nworkers) {
    char why[256];
    uint64_t limit = x->run->opts.worker_memory, size = own_size();
    if (limit > 0 && limit <= size) {
        char a[32], b[32];
        dr__error_set(x->errp, DR_EINVAL, NULL, 0, 0, NULL,
                      "--worker-memory %s is less than the %s each worker "
                      "process starts with (a copy of dagrun and the graph): "
                      "give it at least that much more than the tasks need",
                      bytes_text(limit, a, sizeof a),
                      bytes_text(size, b, sizeof b));
        return DR_EINVAL;
    }
    if (dr__proto_limit(&x->msg_limit, why, sizeof why) != 0) {
        dr__error_set(x->errp, DR_EINVAL, NULL, 0, 0, NULL, "%s", why);
        return DR_EINVAL;
    }
    x->fn0 = calloc(x->n ? x->n : 1, sizeof *x->fn0);
    if (x->fn0 == NULL)
        return DR_ENOMEM;
    for (dr_task t = 0; t < x->n; t++)
        if (how_of(x, t) == HOW_FUNCTION) {
            void *user = NULL;
            x->fn0[t] = dr__x_task_fn(x, t, &user);
        }
    /* The workers are copies of this: their slot must be filled in. */
    for (unsigned w = 0; w < x->nslots; w++) {
        x->slots[w].x = x;
        x->slots[w].worker = w;
        x->slots[w].wfd = -1;
    }
    dr__pool_config cfg = {serve, x, x->run->opts.worker_memory};
    x->pool = dr__pool_start(&cfg);
    if (x->pool == NULL) {
        dr__error_set(x->errp, DR_EIO, NULL, 0, 0, NULL,
                      "cannot start the worker processes: %s", strerror(errno));
        return DR_EIO;
    }
    for (unsigned w = 0; w < nworkers; w++) {
        char err[512];
        if (start_worker(x, &x->slots[w], err, sizeof err) != 0) {
            dr__error_set(x->errp, DR_EIO, NULL, 0, 0, NULL, "%s", err);
            dr__x_pool_finish(x);
            return DR_EIO;
        }
    }
    return 0;
}

/* After the threads: every worker is told to go (its socket closed),
 * given a second, then killed; the zygote is waited for. */
void dr__x_pool_finish(exec *x) {
    if (x->pool == NULL)
        return;
    for (unsigned w = 0; w < x->nslots; w++)
        if (x->slots[w].wfd >= 0) {
            close(x->slots[w].wfd);
            x->slots[w].wfd = -1;
        }
    dr__pool_finish(x->pool, 1000);
    x->pool = NULL;
}
