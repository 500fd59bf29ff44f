/*
 * --executor mpi on rank 0 (docs/mpi.md): the scheduling core, the loop
 * (timeouts, signals, the journal, the progress line) and every record stay
 * here, exactly as under --executor threads; only the tasks leave.  Each of
 * the run's worker slots stands for one slot of one worker rank: slot w's
 * thread sends its attempt as a TASK message (the worker protocol,
 * protocol.h) to its rank and waits for the RESULT on its own tag
 * (mpi_link.h), polling its cancel flag, so that a timeout or Ctrl-C sends
 * the rank a CANCEL for that attempt.  The worker ranks' side is
 * exec_mpi_serve.c.
 *
 * Start-up (dr__mpi_connect, from run.c before the core is made, since the
 * run's worker count is the sum of the ranks' slots): every worker rank
 * sends a HELLO with its dagrun and protocol versions, a fingerprint of the
 * graph it loaded (graph/fingerprint.c), its host, pid and slot count; rank
 * 0 checks them all and answers each with START, which gives the rank its
 * first worker id, or refuses them all with one message that names the
 * first rank that differs.  The end (dr__mpi_disconnect): a SHUTDOWN on
 * each rank's control tag, whatever became of the run.
 *
 * A worker rank that dies: on this host its pid is watched (kill 0 every
 * DEATH_CHECK_MS while a slot waits for it), and the attempt it held fails
 * with the rank, host and task named; the run stops as when the process
 * pool's zygote dies.  (Open MPI's mpirun also stops the whole job when a
 * rank dies: docs/mpi.md says what survives.)
 */
#define _GNU_SOURCE
#include "exec_internal.h"
#include "fingerprint.h"
#include "mpi_link.h"

#include <signal.h>

#define HELLO_SECONDS_DEFAULT 120.0 /* DAGRUN_MPI_HELLO_SECONDS */
#define DEATH_CHECK_MS 100
#define CANCEL_GRACE_S 5.0 /* an answer after a CANCEL, at most this late */

/* What each rank says of its graph: the fingerprint, and for messages the
 * counts and name. */
static int graph_id(const dr_graph *g, char fp[DR__FP_HEX], char *desc,
                    size_t len) {
    dr__fp f;
    if (dr__graph_fp(g, &f) != 0)
        return DR_ENOMEM;
    dr__fp_hex(&f, fp);
    int used =
        snprintf(desc, len, "'%s', %zu tasks, %zu edges", dr_graph_name(g),
                 dr_graph_ntasks(g), dr_graph_nedges(g));
    /* Parameters: two ranks given different --set differ only there. */
    for (size_t i = 0;
         i < dr_graph_nparams(g) && used > 0 && (size_t)used < len; i++)
        used += snprintf(desc + used, len - (size_t)used, "%s%s=%lld",
                         i == 0 ? ", " : " ", dr_graph_param_name(g, i),
                         (long long)dr_graph_param_value(g, i));
    return 0;
}

json_t *dr__mpi_hello_body(const dr_graph *g, int rank, unsigned slots) {
    char fp[DR__FP_HEX], desc[256], host[64];
    if (graph_id(g, fp, desc, sizeof desc) != 0)
        return NULL;
    dr__mpi_host(host, sizeof host);
    /* For the tests only: a rank that says it is another dagrun. */
    const char *ver = getenv("DAGRUN_TEST_MPI_VERSION");
    if (ver == NULL || *ver == '\0')
        ver = DAGRUN_VERSION_STRING;
    return json_pack("{sisssssssIsIsIss}", "version", DR__PROTO_VERSION,
                     "dagrun", ver, "graph", fp, "host", host, "pid",
                     (json_int_t)getpid(), "rank", (json_int_t)rank, "slots",
                     (json_int_t)slots, "about", desc);
}

static double hello_seconds(void) {
    const char *v = getenv("DAGRUN_MPI_HELLO_SECONDS");
    char *end;
    double d = v != NULL ? strtod(v, &end) : 0;
    return v != NULL && end != v && *end == '\0' && d > 0
               ? d
               : HELLO_SECONDS_DEFAULT;
}

typedef struct deadline {
    uint64_t end;
} deadline;

static int past(void *arg) { return uv_hrtime() >= ((deadline *)arg)->end; }

#define CONTROL_SEND_MS 500 /* a control message to a rank that may be gone */

/* Sends a small control message, giving up after CONTROL_SEND_MS: a send
 * to a rank that died can wait for ever (Open MPI reports no dead peer). */
static void send_control(int rank, int tag, unsigned type, json_t *b) {
    deadline d = {uv_hrtime() + (uint64_t)CONTROL_SEND_MS * 1000000};
    char e[256];
    dr__mpi_send(rank, tag, type, b, NULL, 0, past, &d, NULL, e, sizeof e);
}

static void refuse_all(int size, const char *why) {
    json_t *b = json_pack("{sbss}", "ok", 0, "error", why);
    for (int r = 1; r < size; r++)
        send_control(r, DR__TAG_START, DR__MSG_ERROR, b);
    json_decref(b);
}

/* At exit of rank 0: the worker ranks, waiting for the next run's START,
 * are told there is none. */
static int job_size;

static void say_bye(void) {
    if (dr__mpi_abandoned())
        return;
    json_t *b = json_pack("{ss}", "op", "bye");
    for (int r = 1; r < job_size; r++)
        send_control(r, DR__TAG_START, DR__MSG_SHUTDOWN, b);
    json_decref(b);
}

int dr__mpi_connect(const dr_graph *g, const char *run_dir,
                    const char *output_dir, dr__rank **ranks_out,
                    unsigned *nranks_out, unsigned *nslots_out,
                    unsigned max_slots, char *host0, size_t hostlen,
                    dr_error *err) {
    *ranks_out = NULL;
    *nranks_out = *nslots_out = 0;
    unsigned job = 0;
    int env_rank = dr_mpi_rank(&job);
    if (!dr_mpi_available()) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "--executor mpi: this dagrun was built without MPI "
                      "(CMake found no MPI library): install libopenmpi-dev "
                      "and openmpi-bin (scripts/setup.sh does) and build "
                      "again");
        return DR_EINVAL;
    }
    if (env_rank < 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "--executor mpi runs inside an MPI job: start it as "
                      "`mpirun -np 3 dagrun run GRAPH --executor mpi` (rank "
                      "0 schedules, ranks 1 and 2 run the tasks), or with "
                      "srun under Slurm (docs/mpi.md)");
        return DR_EINVAL;
    }
    char why[512];
    int rank, size;
    if (dr__mpi_init(&rank, &size, why, sizeof why) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL, "--executor mpi: %s", why);
        return DR_EIO;
    }
    if (rank != 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "--executor mpi: rank %d is a worker rank; only rank 0 "
                      "runs the graph (the others call dr_mpi_serve)",
                      rank);
        return DR_EINVAL;
    }
    if (size < 2) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "--executor mpi needs worker ranks besides rank 0, "
                      "which only schedules: this job has 1 rank; start it "
                      "with `mpirun -np 3 ...` (2 worker ranks)");
        return DR_EINVAL;
    }
    if (job_size == 0) {
        job_size = size;
        atexit(say_bye); /* runs before MPI's finalize, registered earlier */
    }
    dr__mpi_host(host0, hostlen);
    char fp[DR__FP_HEX], desc[256];
    if (graph_id(g, fp, desc, sizeof desc) != 0) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    dr__rank *ranks = calloc((size_t)size - 1, sizeof *ranks);
    if (ranks == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    uint8_t *seen = calloc((size_t)size, 1);
    double secs = hello_seconds();
    deadline d = {uv_hrtime() + (uint64_t)(secs * 1e9)};
    why[0] = '\0';
    int got = 0;
    while (got < size - 1 && why[0] == '\0') {
        dr__msg m;
        int from = -1;
        char e[256];
        int rc = dr__mpi_recv(-1, DR__TAG_HELLO, &m, 1 << 20, past, &d, &from,
                              e, sizeof e);
        if (rc == DR__PROTO_STOPPED) {
            size_t used =
                (size_t)snprintf(why, sizeof why,
                                 "--executor mpi: no hello within %g s "
                                 "(DAGRUN_MPI_HELLO_SECONDS) from rank",
                                 secs);
            for (int r = 1; r < size && used < sizeof why; r++)
                if (!seen[r])
                    used += (size_t)snprintf(why + used, sizeof why - used,
                                             " %d", r);
            break;
        }
        if (rc != DR__PROTO_OK) {
            snprintf(why, sizeof why,
                     "--executor mpi: a bad hello from rank %d: %s", from, e);
            break;
        }
        json_t *b = m.body;
        const char *theirs = json_string_value(json_object_get(b, "graph"));
        const char *ver = json_string_value(json_object_get(b, "dagrun"));
        const char *host = json_string_value(json_object_get(b, "host"));
        const char *about = json_string_value(json_object_get(b, "about"));
        json_int_t proto = json_integer_value(json_object_get(b, "version"));
        json_int_t slots = json_integer_value(json_object_get(b, "slots"));
        json_int_t pid = json_integer_value(json_object_get(b, "pid"));
        if (host == NULL)
            host = "?";
        if (m.type != DR__MSG_HELLO || from < 1 || from >= size || seen[from])
            snprintf(why, sizeof why,
                     "--executor mpi: rank %d sent a %s message instead of "
                     "its hello",
                     from, dr__proto_type_name(m.type));
        else if (proto != DR__PROTO_VERSION || ver == NULL ||
                 strcmp(ver, DAGRUN_VERSION_STRING) != 0)
            snprintf(why, sizeof why,
                     "--executor mpi: rank %d (pid %lld on %s) runs dagrun "
                     "%s (worker protocol %lld), rank 0 runs dagrun %s "
                     "(protocol %d): every rank must run the same dagrun",
                     from, (long long)pid, host, ver ? ver : "?",
                     (long long)proto, DAGRUN_VERSION_STRING,
                     DR__PROTO_VERSION);
        else if (theirs == NULL || strcmp(theirs, fp) != 0)
            snprintf(why, sizeof why,
                     "--executor mpi: rank %d (pid %lld on %s) loaded "
                     "another graph (%s) than rank 0 (%s): every rank must "
                     "load the same graph file with the same parameters "
                     "(docs/mpi.md)",
                     from, (long long)pid, host, about ? about : "?", desc);
        else if (slots < 1 || slots > DR__MPI_MAX_SLOTS)
            snprintf(why, sizeof why,
                     "--executor mpi: rank %d asks for %lld slots (1 to %d)",
                     from, (long long)slots, DR__MPI_MAX_SLOTS);
        else {
            dr__rank *k = &ranks[from - 1];
            k->rank = from;
            k->pid = (int)pid;
            k->nslots = (unsigned)slots;
            snprintf(k->host, sizeof k->host, "%s", host);
            seen[from] = 1;
            got++;
        }
        dr__msg_free(&m);
    }
    free(seen);
    if (why[0] != '\0') {
        refuse_all(size, why);
        free(ranks);
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "%s", why);
        return DR_EINVAL;
    }
    unsigned first = 0;
    for (int i = 0; i < size - 1; i++) {
        ranks[i].first = first;
        first += ranks[i].nslots;
    }
    if (first > max_slots) {
        snprintf(why, sizeof why,
                 "--executor mpi: the worker ranks have %u slots in all, "
                 "over the %u a real run may have: give fewer with "
                 "--workers K (per rank)",
                 first, max_slots);
        refuse_all(size, why);
        free(ranks);
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL, "%s", why);
        return DR_ERANGE;
    }
    for (int i = 0; i < size - 1; i++) {
        json_t *b = json_pack("{sbsIss*ss*}", "ok", 1, "first",
                              (json_int_t)ranks[i].first, "run_dir", run_dir,
                              "output_dir", output_dir);
        send_control(ranks[i].rank, DR__TAG_START, DR__MSG_HELLO, b);
        json_decref(b);
    }
    *ranks_out = ranks;
    *nranks_out = (unsigned)size - 1;
    *nslots_out = first;
    return 0;
}

void dr__mpi_disconnect(const dr__rank *ranks, unsigned nranks) {
    if (dr__mpi_abandoned())
        return; /* the ranks are being stopped, or one is dead */
    json_t *b = json_pack("{ss}", "op", "shutdown");
    for (unsigned i = 0; i < nranks; i++)
        send_control(ranks[i].rank, DR__TAG_CTRL, DR__MSG_SHUTDOWN, b);
    json_decref(b);
}

/* ------------------------------------------------------------ the run */

#define KEEP_MIN_DEFAULT 65536 /* DAGRUN_MPI_KEEP_BYTES */

static uint64_t env_bytes(const char *name, uint64_t dflt) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n;
    if (v == NULL || *v == '\0')
        return dflt;
    n = strtoull(v, &end, 10);
    return *end == '\0' ? (uint64_t)n : dflt;
}

void dr__x_mpi_setup(exec *x) {
    x->rank_dead =
        calloc(x->run->nranks ? x->run->nranks : 1, sizeof *x->rank_dead);
    /* Where results are (docs/mpi.md): over keep_min bytes, a result stays
     * on the rank that made it, and the rule places its consumers there.
     * DAGRUN_MPI_KEEP_BYTES=0 keeps every result there; DAGRUN_MPI_LOCALITY=0
     * turns the placement rule off (to measure what it saves). */
    x->keep_min = env_bytes("DAGRUN_MPI_KEEP_BYTES", KEEP_MIN_DEFAULT);
    const char *loc = getenv("DAGRUN_MPI_LOCALITY");
    x->locality = loc == NULL || strcmp(loc, "0") != 0;
    x->rank_bytes = calloc((size_t)x->run->nranks + 2, sizeof *x->rank_bytes);
    for (unsigned w = 0; w < x->nslots; w++) {
        const dr__rank *k = dr__run_rank_of(x->run, w);
        x->slots[w].rank = k != NULL ? k->rank : -1;
        x->slots[w].rank_slot = k != NULL ? w - k->first : 0;
    }
}

/* ------------------------------------------------------- locality */

typedef struct picker {
    exec *x;
    slot *self;
} picker;

/* The rank that holds most of t's input bytes (0: none holds any). */
static int best_rank(exec *x, dr_task t) {
    size_t nd;
    const dr_task *deps = dr_task_deps(x->g, t, &nd);
    unsigned nr = x->run->nranks;
    int best = 0;
    uint64_t most = 0;
    for (size_t i = 0; i < nd; i++) {
        int h = x->results[deps[i]].held;
        if (h > 0 && (unsigned)h <= nr)
            x->rank_bytes[h] += x->results[deps[i]].size;
    }
    for (size_t i = 0; i < nd; i++) {
        int h = x->results[deps[i]].held;
        if (h > 0 && (unsigned)h <= nr) {
            if (x->rank_bytes[h] > most ||
                (x->rank_bytes[h] == most && h < best)) {
                most = x->rank_bytes[h];
                best = h;
            }
        }
    }
    for (size_t i = 0; i < nd; i++) {
        int h = x->results[deps[i]].held;
        if (h > 0 && (unsigned)h <= nr)
            x->rank_bytes[h] = 0;
    }
    return best;
}

static unsigned pick_slot(void *arg, dr_task t) {
    picker *p = arg;
    exec *x = p->x;
    int want = x->locality ? best_rank(x, t) : 0;
    slot *self = p->self;
    if (self != NULL && (want == 0 || self->rank == want))
        return self->worker;
    unsigned best = UINT32_MAX;
    for (unsigned i = 0; i < x->nidle; i++) {
        slot *c = &x->slots[x->idle[i]];
        if (want != 0 && c->rank != want)
            continue;
        if (c->worker < best)
            best = c->worker;
    }
    if (best != UINT32_MAX)
        return best;
    if (self != NULL)
        return self->worker;
    for (unsigned i = 0; i < x->nidle; i++)
        if (x->idle[i] < best)
            best = x->idle[i];
    return best;
}

int dr__x_mpi_assign(exec *x, slot *self, double now, dr_task *t, slot **to) {
    if (self == NULL && x->nidle == 0)
        return 0;
    picker p = {x, self};
    unsigned w;
    if (!dr__core_assign_pick(x->core, now, pick_slot, &p, t, &w))
        return 0;
    *to = &x->slots[w];
    if (*to != self)
        for (unsigned i = 0; i < x->nidle; i++)
            if (x->idle[i] == w) {
                x->idle[i] = x->idle[--x->nidle];
                break;
            }
    return 1;
}

void dr__x_mpi_drop(exec *x, dr_task t, int rank) {
    if (x->ndrops + 2 > x->capdrops) {
        size_t cap = x->capdrops ? 2 * x->capdrops : 64;
        uint32_t *d = realloc(x->drops, cap * sizeof *d);
        if (d == NULL)
            return; /* the rank frees it at the end of the run */
        x->drops = d;
        x->capdrops = cap;
    }
    x->drops[x->ndrops++] = (uint32_t)rank;
    x->drops[x->ndrops++] = (uint32_t)t;
}

/* (thread) Tells the ranks of the held results dropped so far. */
static void send_drops(exec *x) {
    sched_lock(x);
    size_t n = x->ndrops;
    if (n == 0) {
        sched_unlock(x);
        return;
    }
    uint32_t *d = malloc(n * sizeof *d);
    if (d != NULL) {
        memcpy(d, x->drops, n * sizeof *d);
        x->ndrops = 0;
    }
    sched_unlock(x);
    for (size_t i = 0; d != NULL && i < n; i += 2) {
        json_t *b =
            json_pack("{sssI}", "op", "drop", "task", (json_int_t)d[i + 1]);
        send_control((int)d[i], DR__TAG_CTRL, DR__MSG_SHUTDOWN, b);
        json_decref(b);
    }
    free(d);
}

typedef struct waiter {
    slot *s;
    const dr__rank *k;
    int same_host;
    uint64_t next_check;
    int cancel_sent;
    double cancel_at;
    int rank_died, gave_up;
} waiter;

/* Whether worker rank k is gone: only knowable here for a rank on this
 * host (its pid). */
static int rank_gone(waiter *wt) {
    if (!wt->same_host || wt->k->pid <= 0)
        return 0;
    uint64_t now = uv_hrtime();
    if (now < wt->next_check)
        return 0;
    wt->next_check = now + (uint64_t)DEATH_CHECK_MS * 1000000;
    if (kill(wt->k->pid, 0) != 0)
        return errno == ESRCH;
    /* Killed but not yet reaped by mpirun (a zombie) is dead too. */
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", wt->k->pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')');
    return close != NULL && close[1] == ' ' &&
           (close[2] == 'Z' || close[2] == 'X');
}

/* The stop callback of a wait for slot s's answer. */
static int stop_wait(void *arg) {
    waiter *wt = arg;
    slot *s = wt->s;
    exec *x = s->x;
    if (rank_gone(wt)) {
        wt->rank_died = 1;
        return 1;
    }
    if (!atomic_load(&s->cancel))
        return 0;
    if (!wt->cancel_sent) {
        wt->cancel_sent = 1;
        wt->cancel_at = now_s(x);
        json_t *b = json_pack("{sssIsIsI}", "op", "cancel", "slot",
                              (json_int_t)s->rank_slot, "task",
                              (json_int_t)s->call.task, "attempt",
                              (json_int_t)s->attempt);
        send_control(s->rank, DR__TAG_CTRL, DR__MSG_SHUTDOWN, b);
        json_decref(b);
        return 0;
    }
    if (now_s(x) - wt->cancel_at > CANCEL_GRACE_S) {
        wt->gave_up = 1;
        return 1;
    }
    return 0;
}

/* (thread) A rank found dead: the run stops, once. */
static void rank_lost(exec *x, const dr__rank *k) {
    dr__mpi_abandon(); /* MPI_Finalize would wait for it forever */
    sched_lock(x);
    dr__core_stop(x->core);
    sched_unlock(x);
    (void)k;
}

void dr__x_run_mpi(slot *s) {
    exec *x = s->x;
    dr_call *call = &s->call;
    dr_task t = call->task;
    const char *key = dr_task_key(x->g, t);
    const dr__rank *k = dr__run_rank_of(x->run, s->worker);
    s->failed = 1;
    if (k == NULL) {
        snprintf(call->error, sizeof call->error, "worker %u has no rank",
                 s->worker);
        return;
    }
    if (x->rank_dead != NULL && atomic_load(&x->rank_dead[k - x->run->ranks])) {
        snprintf(call->error, sizeof call->error,
                 "worker rank %d (pid %d on %s) is gone", k->rank, k->pid,
                 k->host);
        return;
    }
    if (x->msg_limit == 0) {
        char why[256];
        if (dr__proto_limit(&x->msg_limit, why, sizeof why) != 0) {
            snprintf(call->error, sizeof call->error, "%s", why);
            return;
        }
    }
    waiter wt = {s, k, strcmp(k->host, x->run->host0) == 0, 0, 0, 0, 0, 0};
    send_drops(x);
    dr__task_msg tm;
    if (dr__x_task_msg(x, s, &tm) != 0)
        return;
    /* Inputs a worker rank keeps: [input, rank, task] each, fetched by the
     * rank that runs t (from itself or the holder); and whether rank 0
     * needs t's result back whatever its size (kept results, sinks). */
    json_t *held = NULL;
    for (size_t i = 0; i < call->ndeps; i++) {
        int h = x->results[call->deps[i]].held;
        if (h <= 0)
            continue;
        if (held == NULL)
            held = json_array();
        json_array_append_new(held,
                              json_pack("[III]", (json_int_t)i, (json_int_t)h,
                                        (json_int_t)call->deps[i]));
    }
    if (held != NULL)
        json_object_set_new(tm.body, "held", held);
    json_object_set_new(tm.body, "keep_min",
                        json_integer(x->run->keep[t] || is_command(x, t)
                                         ? -1
                                         : (json_int_t)x->keep_min));
    char why[256];
    double t0 = now_s(x);
    size_t sent = 0;
    int rc = dr__mpi_send(s->rank, DR__TAG_TASK(s->rank_slot), DR__MSG_TASK,
                          tm.body, tm.payload, tm.total, stop_wait, &wt, &sent,
                          why, sizeof why);
    double t1 = now_s(x);
    dr__x_task_msg_free(&tm);
    s->send_s = (float)(t1 - t0);
    s->bytes_sent = sent;
    dr__msg m;
    memset(&m, 0, sizeof m);
    while (rc == DR__PROTO_OK) {
        rc = dr__mpi_recv(s->rank, DR__TAG_RESULT(s->rank_slot), &m,
                          x->msg_limit, stop_wait, &wt, NULL, why, sizeof why);
        if (rc != DR__PROTO_OK)
            break;
        /* An answer to an attempt given up on earlier: dropped. */
        if (m.type == DR__MSG_RESULT &&
            json_integer_value(json_object_get(m.body, "task")) ==
                (json_int_t)t &&
            json_integer_value(json_object_get(m.body, "attempt")) ==
                (json_int_t)s->attempt)
            break;
        dr__msg_free(&m);
    }
    if (rc == DR__PROTO_STOPPED && wt.rank_died) {
        if (x->rank_dead != NULL)
            atomic_store(&x->rank_dead[k - x->run->ranks], 1);
        snprintf(call->error, sizeof call->error,
                 "worker rank %d (pid %d on %s) died while running '%s'; the "
                 "run stops",
                 k->rank, k->pid, k->host, key);
        rank_lost(x, k);
        return;
    }
    if (rc == DR__PROTO_STOPPED) {
        snprintf(call->error, sizeof call->error,
                 "stopped: worker rank %d did not answer within %g s of being "
                 "asked to stop '%s'",
                 k->rank, CANCEL_GRACE_S, key);
        return;
    }
    if (rc != DR__PROTO_OK) {
        snprintf(call->error, sizeof call->error,
                 "worker rank %d (pid %d on %s) while running '%s': %s",
                 k->rank, k->pid, k->host, key, why);
        dr__msg_free(&m);
        return;
    }
    json_t *fetched = json_object_get(m.body, "fetched");
    if (json_is_integer(fetched)) {
        s->bytes_sent += (uint64_t)json_integer_value(fetched);
        s->bytes_peer = (uint64_t)json_integer_value(fetched);
    }
    /* Fetching the inputs other ranks kept is sending them to the task. */
    json_t *fs = json_object_get(m.body, "fetch_seconds");
    if (json_is_number(fs))
        s->send_s += (float)json_number_value(fs);
    json_t *kept = json_object_get(m.body, "kept");
    if (json_is_true(json_object_get(m.body, "ok")) && json_is_integer(kept)) {
        /* The rank keeps it: only its size came. */
        s->bytes_received = m.wire_bytes;
        call->out.held = k->rank;
        call->out.size = (size_t)json_integer_value(kept);
        s->failed = 0;
    } else if (dr__x_result_msg(x, s, &m, why, sizeof why) != 0)
        snprintf(call->error, sizeof call->error,
                 "worker rank %d sent a result that is not JSON while running "
                 "'%s' (%s)",
                 k->rank, key, why);
    else if (is_command(x, t)) {
        /* A command has no result (as under every executor). */
        json_decref(call->out.json);
        call->out.json = NULL;
    }
    double end = now_s(x);
    /* Receiving: from the result's match to its decoding (mpi_link.c). */
    dr__x_transfer_times(s, &m, t0, end - dr__mpi_last_recv_seconds(), end);
    dr__msg_free(&m);
}
