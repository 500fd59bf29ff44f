/*
 * The run's trace in Chrome Trace Event Format (docs/trace-format.md): one
 * complete ("X") event per attempt, tid = worker, times in microseconds
 * since the run started, one instant ("i") event per cached task, plus
 * metadata naming the process and the workers.
 *
 * Two ways out, with the same content: dr_run_trace_json builds a jansson
 * tree (handy for tests and the C API), and dr__run_trace_text writes the
 * text one event at a time (each event still built and escaped by jansson)
 * so a million-attempt trace never exists as a tree of a million objects.
 */
#include "graph_internal.h"
#include "run_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many workers every worker gets a name event; beyond it only
 * the workers that ran something (100,000 simulated workers would otherwise
 * bury the trace in metadata). */
#define DR_TRACE_NAME_ALL_WORKERS 4096u

const char *dr__attempt_status_name(unsigned s) {
    switch (s) {
    case DR__ATTEMPT_OK:
        return "ok";
    case DR__ATTEMPT_TIMEOUT:
        return "timeout";
    case DR__ATTEMPT_INTERRUPTED:
        return "interrupted";
    default:
        return "failed";
    }
}

/* The trace's `cat` of a task: its structural group (graph/group.c), the
 * name the DAG diagram gives the group, so the Gantt chart, drawn from the
 * trace alone, colours by the same groups.  NULL groups (out of memory):
 * the key prefix. */
static const char *category(const dr__groups *groups, const dr_graph *g,
                            dr_task t, size_t *len) {
    if (groups != NULL && groups->of != NULL) {
        const char *name = groups->name[groups->of[t]];
        *len = strlen(name);
        return name;
    }
    const char *key = dr_task_key(g, t);
    *len = dr_key_prefix(key);
    return key;
}

static dr__groups *run_groups(const dr_run *run, dr__groups *space) {
    return dr__graph_group(run->graph, DR__GROUP_LIMIT, space) == 0 ? space
                                                                    : NULL;
}

/* A transfer time worth writing: above 0 and finite (never anything else
 * from a driver, but "inf" would not be JSON). */
static int moved_time(float s) { return s > 0 && isfinite(s); }

/* A host name (char[64] of a dr__rank or host0), never read past its
 * array. */
static json_t *host_json(const char *host) {
    return json_stringn(host, strnlen(host, 64));
}

static json_t *attempt_event(const dr_run *run, const dr__groups *groups,
                             const dr__attempt *a) {
    const dr_graph *g = run->graph;
    const char *key = dr_task_key(g, a->task);
    size_t clen;
    const char *cat = category(groups, g, a->task, &clen);
    json_t *args =
        json_pack("{s:s, s:s, s:f, s:s, s:I, s:I}", "task", key, "op",
                  dr_task_op_label(g, a->task), "ready", a->ready * 1e6,
                  "status", dr__attempt_status_name(a->status), "attempt",
                  (json_int_t)a->attempt, "worker", (json_int_t)a->worker);
    if (args != NULL && a->error != NULL)
        json_object_set_new(args, "error", json_string(a->error));
    /* Only what moved: a threads trace does not grow by four zeros an
     * attempt. */
    const dr__move *mv = dr__run_move(run, (size_t)(a - run->attempts));
    if (args != NULL && moved_time(mv->send_s))
        json_object_set_new(args, "send_s", json_real(mv->send_s));
    if (args != NULL && moved_time(mv->recv_s))
        json_object_set_new(args, "recv_s", json_real(mv->recv_s));
    if (args != NULL && mv->bytes_sent != 0)
        json_object_set_new(args, "bytes_sent",
                            json_integer((json_int_t)mv->bytes_sent));
    if (args != NULL && mv->bytes_received != 0)
        json_object_set_new(args, "bytes_received",
                            json_integer((json_int_t)mv->bytes_received));
    if (args != NULL && mv->bytes_peer != 0)
        json_object_set_new(args, "bytes_between_ranks",
                            json_integer((json_int_t)mv->bytes_peer));
    /* --executor mpi: the worker rank and host that ran it (the worker
     * number alone says neither); nothing for other runs. */
    const dr__rank *k = dr__run_rank_of(run, a->worker);
    if (args != NULL && k != NULL) {
        json_object_set_new(args, "rank", json_integer(k->rank));
        json_object_set_new(args, "host", host_json(k->host));
    }
    return json_pack("{s:s, s:o, s:s, s:i, s:I, s:f, s:f, s:o*}", "name", key,
                     "cat", json_stringn(cat, clen), "ph", "X", "pid", 1, "tid",
                     (json_int_t)a->worker, "ts", a->start * 1e6, "dur",
                     (a->end - a->start) * 1e6, "args", args);
}

/* A cached task (a resumed run reused its recorded result; it never ran):
 * an instant event at the start of the run on a row of its own, tid =
 * workers, named by cached_thread_event.  Perfetto and chrome://tracing
 * draw it as a mark at 0 on that row, not as a slice of time on a
 * worker's, and readers that take only "X" events (dagrun before resumed
 * runs) skip it. */
static json_t *cached_event(const dr_run *run, const dr__groups *groups,
                            dr_task t) {
    const dr_graph *g = run->graph;
    const char *key = dr_task_key(g, t);
    size_t clen;
    const char *cat = category(groups, g, t, &clen);
    return json_pack("{s:s, s:o, s:s, s:s, s:i, s:I, s:f, s:{s:s, s:s, s:s}}",
                     "name", key, "cat", json_stringn(cat, clen), "ph", "i",
                     "s", "t", "pid", 1, "tid", (json_int_t)run->workers, "ts",
                     0.0, "args", "task", key, "op", dr_task_op_label(g, t),
                     "status", "cached");
}

static size_t cached_tasks(const dr_run *run) {
    size_t n = dr_graph_ntasks(run->graph), k = 0;
    for (size_t t = 0; t < n; t++)
        k += run->state[t] == DR_STATE_CACHED;
    return k;
}

static json_t *cached_thread_event(const dr_run *run) {
    return json_pack("{s:s, s:s, s:i, s:I, s:{s:s}}", "name", "thread_name",
                     "ph", "M", "pid", 1, "tid", (json_int_t)run->workers,
                     "args", "name", "cached (not run: results reused)");
}

/* --executor mpi: otherData.ranks, the worker ranks in rank order with the
 * workers each ran (first_worker .. first_worker + slots - 1), and host0,
 * rank 0's host, where the scheduler ran.  A Gantt chart drawn from the
 * trace alone groups its rows by host with these.  0 or -1 (out of
 * memory). */
static int put_ranks(json_t *o, const dr_run *run) {
    json_t *list = json_array();
    if (list == NULL || json_object_set_new(o, "ranks", list) != 0)
        return -1;
    for (unsigned i = 0; i < run->nranks; i++) {
        const dr__rank *k = &run->ranks[i];
        if (json_array_append_new(
                list, json_pack("{s:i, s:o, s:i, s:I, s:I}", "rank", k->rank,
                                "host", host_json(k->host), "pid", k->pid,
                                "first_worker", (json_int_t)k->first, "slots",
                                (json_int_t)k->nslots)) != 0)
            return -1;
    }
    return json_object_set_new(o, "host0", host_json(run->host0));
}

/* The run's facts: what the Gantt chart's title says, the parameters the
 * graph was made with, and the chain that set the makespan, so that a chart
 * drawn from the trace alone outlines it (docs/trace-format.md). */
static json_t *other_data(const dr_run *run) {
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:I, s:b, s:f, s:I, s:o, s:o, s:o}", "tool",
        "dagrun", "version", DAGRUN_VERSION_STRING, "graph",
        dr_graph_name(run->graph), "workers", (json_int_t)run->workers,
        "policy", dr_policy_name(run->opts.policy), "cores",
        (json_int_t)run->cores, "simulated", run->simulated, "makespan_us",
        run->makespan * 1e6, "tasks", (json_int_t)dr_graph_ntasks(run->graph),
        "params", dr__run_params_json(run), "params_set",
        dr__run_params_set_json(run), "makespan_chain",
        dr__run_chain_json(run));
    if (o != NULL &&
        json_object_set_new(o, "cached_tasks",
                            json_integer((json_int_t)cached_tasks(run))) != 0) {
        json_decref(o);
        return NULL;
    }
    /* A simulation's runtime overhead per task (--overhead), as the gap
     * before each of its attempts. */
    if (o != NULL && run->simulated &&
        json_object_set_new(o, "sim_overhead_us",
                            json_real(run->opts.sim_overhead * 1e6)) != 0) {
        json_decref(o);
        return NULL;
    }
    /* A real run says where its function tasks ran (a simulation ran
     * nothing anywhere). */
    if (o != NULL && !run->simulated &&
        json_object_set_new(
            o, "executor", json_string(dr_executor_name(run->opts.executor))) !=
            0) {
        json_decref(o);
        return NULL;
    }
    /* A real run says whether other programs took CPU from it, so that a
     * replay of its durations (--costs) can warn. */
    if (o != NULL && !run->simulated &&
        (json_object_set_new(o, "busy_machine", json_boolean(run->busy)) ||
         (run->busy && json_object_set_new(o, "busy_evidence",
                                           json_string(run->busy_why))))) {
        json_decref(o);
        return NULL;
    }
    if (o != NULL && run->nranks > 0 && put_ranks(o, run) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Which workers get a thread_name event; NULL when all do. */
static uint8_t *named_workers(const dr_run *run, int *fail) {
    *fail = 0;
    if (run->workers <= DR_TRACE_NAME_ALL_WORKERS)
        return NULL;
    uint8_t *used = calloc(run->workers, 1);
    if (used == NULL) {
        *fail = 1;
        return NULL;
    }
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].worker < run->workers)
            used[run->attempts[i].worker] = 1;
    return used;
}

static json_t *process_event(const dr_run *run) {
    char name[512];
    int other = !run->simulated && run->opts.executor != DR_EXECUTOR_THREADS;
    snprintf(name, sizeof(name), "dagrun %s (%u worker%s, %s%s%s%s)",
             dr_graph_name(run->graph), run->workers,
             run->workers == 1 ? "" : "s", dr_policy_name(run->opts.policy),
             run->simulated ? ", simulated" : "", other ? ", " : "",
             other ? dr_executor_name(run->opts.executor) : "");
    return json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "process_name",
                     "ph", "M", "pid", 1, "tid", 0, "args", "name", name);
}

/* "worker 3", or under --executor mpi "rank 2:slot 1 (host)": the row's
 * name in Perfetto and chrome://tracing. */
static json_t *thread_event(const dr_run *run, unsigned w) {
    char name[128];
    const dr__rank *k = dr__run_rank_of(run, w);
    if (k != NULL)
        snprintf(name, sizeof(name), "rank %d:slot %u (%s)", k->rank,
                 w - k->first, k->host);
    else
        snprintf(name, sizeof(name), "worker %u", w);
    return json_pack("{s:s, s:s, s:i, s:I, s:{s:s}}", "name", "thread_name",
                     "ph", "M", "pid", 1, "tid", (json_int_t)w, "args", "name",
                     name);
}

json_t *dr_run_trace_json(const dr_run *run) {
    int fail;
    uint8_t *used = named_workers(run, &fail);
    json_t *events = json_array();
    json_t *root =
        json_pack("{s:s, s:o, s:o}", "displayTimeUnit", "ms", "otherData",
                  other_data(run), "traceEvents", events);
    if (root == NULL || fail) {
        json_decref(root);
        free(used);
        return NULL;
    }
    int bad = json_array_append_new(events, process_event(run));
    for (unsigned w = 0; w < run->workers && !bad; w++)
        if (used == NULL || used[w])
            bad = json_array_append_new(events, thread_event(run, w));
    size_t ncached = cached_tasks(run);
    if (ncached > 0 && !bad)
        bad = json_array_append_new(events, cached_thread_event(run));
    dr__groups space, *groups = run_groups(run, &space);
    for (size_t t = 0; ncached > 0 && t < dr_graph_ntasks(run->graph) && !bad;
         t++)
        if (run->state[t] == DR_STATE_CACHED)
            bad = json_array_append_new(events,
                                        cached_event(run, groups, (dr_task)t));
    for (size_t i = 0; i < run->nattempts && !bad; i++)
        bad = json_array_append_new(
            events, attempt_event(run, groups, &run->attempts[i]));
    free(used);
    dr__groups_free(groups);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---------------------------------------------------------- streaming */

static int dump_cb(const char *buffer, size_t size, void *data) {
    dr__buf_putn(data, buffer, size);
    return ((dr__buf *)data)->oom ? -1 : 0;
}

/* Appends json (stolen) compactly; NULL marks the buffer failed. */
static void buf_json(dr__buf *b, json_t *json) {
    if (json == NULL || json_dump_callback(json, dump_cb, b, JSON_COMPACT))
        b->oom = 1;
    json_decref(json);
}

/* Appends s[0..len) as a JSON string.  Printable ASCII without quotes or
 * backslashes is written as it is (exactly what jansson writes for it);
 * anything else goes through jansson's encoder. */
static void buf_string(dr__buf *b, const char *s, size_t len) {
    size_t i = 0;
    while (i < len && (unsigned char)s[i] >= 0x20 &&
           (unsigned char)s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
        i++;
    if (i == len) {
        dr__buf_putn(b, "\"", 1);
        dr__buf_putn(b, s, len);
        dr__buf_putn(b, "\"", 1);
        return;
    }
    json_t *j = json_stringn_nocheck(s, len);
    if (j == NULL ||
        json_dump_callback(j, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY))
        b->oom = 1;
    json_decref(j);
}

/* A time in µs as a JSON number: %.3f (ns resolution), which is what
 * readers expect; a non-finite value (never recorded by either driver) as 0
 * rather than the invalid JSON "inf". */
static void buf_time(dr__buf *b, const char *key, double us) {
    dr__buf_printf(b, ",\"%s\":%.3f", key, isfinite(us) ? us : 0.0);
}

/* One attempt event as text, the same fields as attempt_event(). */
static void buf_attempt(dr__buf *b, const dr_run *run, const dr__groups *groups,
                        const dr__attempt *a) {
    const dr_graph *g = run->graph;
    const char *key = dr_task_key(g, a->task);
    const char *op = dr_task_op_label(g, a->task);
    size_t klen = strlen(key), clen;
    const char *cat = category(groups, g, a->task, &clen);
    dr__buf_putn(b, "{\"name\":", 8);
    buf_string(b, key, klen);
    dr__buf_putn(b, ",\"cat\":", 7);
    buf_string(b, cat, clen);
    dr__buf_printf(b, ",\"ph\":\"X\",\"pid\":1,\"tid\":%u",
                   (unsigned)a->worker);
    buf_time(b, "ts", a->start * 1e6);
    buf_time(b, "dur", (a->end - a->start) * 1e6);
    dr__buf_putn(b, ",\"args\":{\"task\":", 16);
    buf_string(b, key, klen);
    dr__buf_putn(b, ",\"op\":", 6);
    buf_string(b, op, strlen(op));
    buf_time(b, "ready", a->ready * 1e6);
    dr__buf_printf(b, ",\"status\":\"%s\",\"attempt\":%u,\"worker\":%u",
                   dr__attempt_status_name(a->status), (unsigned)a->attempt,
                   (unsigned)a->worker);
    if (a->error != NULL) {
        dr__buf_putn(b, ",\"error\":", 9);
        buf_string(b, a->error, strlen(a->error));
    }
    /* As attempt_event: only what moved.  %.17g keeps the float exactly
     * as jansson's real would print it back. */
    const dr__move *mv = dr__run_move(run, (size_t)(a - run->attempts));
    if (moved_time(mv->send_s))
        dr__buf_printf(b, ",\"send_s\":%.17g", (double)mv->send_s);
    if (moved_time(mv->recv_s))
        dr__buf_printf(b, ",\"recv_s\":%.17g", (double)mv->recv_s);
    if (mv->bytes_sent != 0)
        dr__buf_printf(b, ",\"bytes_sent\":%llu",
                       (unsigned long long)mv->bytes_sent);
    if (mv->bytes_received != 0)
        dr__buf_printf(b, ",\"bytes_received\":%llu",
                       (unsigned long long)mv->bytes_received);
    if (mv->bytes_peer != 0)
        dr__buf_printf(b, ",\"bytes_between_ranks\":%llu",
                       (unsigned long long)mv->bytes_peer);
    const dr__rank *k = dr__run_rank_of(run, a->worker);
    if (k != NULL) {
        dr__buf_printf(b, ",\"rank\":%d,\"host\":", k->rank);
        buf_string(b, k->host, strnlen(k->host, sizeof(k->host)));
    }
    dr__buf_putn(b, "}}", 2);
}

char *dr__run_trace_text(const dr_run *run, size_t *len) {
    dr__buf b = {0};
    int fail;
    uint8_t *used = named_workers(run, &fail);
    b.oom = fail;
    dr__buf_putn(&b, "{\"displayTimeUnit\":\"ms\",\"otherData\":", 36);
    buf_json(&b, other_data(run));
    dr__buf_putn(&b, ",\"traceEvents\":[\n", 17);
    buf_json(&b, process_event(run));
    for (unsigned w = 0; w < run->workers && !b.oom; w++)
        if (used == NULL || used[w]) {
            dr__buf_putn(&b, ",\n", 2);
            buf_json(&b, thread_event(run, w));
        }
    size_t ncached = cached_tasks(run);
    if (ncached > 0) {
        dr__buf_putn(&b, ",\n", 2);
        buf_json(&b, cached_thread_event(run));
    }
    dr__groups space, *groups = run_groups(run, &space);
    for (size_t t = 0; ncached > 0 && t < dr_graph_ntasks(run->graph) && !b.oom;
         t++)
        if (run->state[t] == DR_STATE_CACHED) {
            dr__buf_putn(&b, ",\n", 2);
            buf_json(&b, cached_event(run, groups, (dr_task)t));
        }
    for (size_t i = 0; i < run->nattempts && !b.oom; i++) {
        dr__buf_putn(&b, ",\n", 2);
        buf_attempt(&b, run, groups, &run->attempts[i]);
    }
    dr__groups_free(groups);
    dr__buf_putn(&b, "\n]}\n", 4);
    free(used);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.s;
}

int dr__run_write_trace(const dr_run *run, const char *path, dr_error *err) {
    size_t len;
    char *text = dr__run_trace_text(run, &len);
    if (text == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = dr_write_file_atomic(path, text, len, err);
    free(text);
    return rc;
}
