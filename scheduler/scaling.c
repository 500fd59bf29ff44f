/*
 * The scaling experiment driver: for each worker count P, run (or simulate)
 * the graph `repeat` times and keep the median run's figures.
 *
 * Strong scaling loads the graph once and runs the same graph at every P.
 * Weak scaling reloads the graph file at every P with the parameter
 * `workers` set to P (replacing any --set workers=...), so a graph written
 * as `n = 4*workers` chunks keeps the work per worker constant.  P = 1 is the
 * baseline of every speedup; when it was not asked for it is run anyway and
 * marked.  A simulated run is deterministic, so it is done once per P.
 *
 * This file only runs things and reads each run's summary (the keys of
 * docs/trace-format.md); every derived figure comes from dr_scale_analyse.
 * The median run's trace and summary are kept per point for the Gantt
 * charts and for replaying measured durations (--costs).
 *
 * Around every measured run it also reads the clocks (scaling_probe.c):
 * the process's CPU time, the busy time of the CPUs it may use, the CPU
 * time the run's computing tasks needed, and the load average, so that the
 * analysis can tell a busy machine from a graph that does not scale.
 */
#include "dagrun/scale.h"
#include "graph_internal.h"
#include "run_internal.h"
#include "scaling_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

void dr_scale_options_init(dr_scale_options *opts) {
    memset(opts, 0, sizeof(*opts));
    dr_run_options_init(&opts->run);
    opts->keep_traces = 1;
}

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

static double now_seconds(void) { return (double)uv_hrtime() / 1e9; }

static double get_num(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Fills the measured fields of a point from the median run's summary. */
static void read_summary(dr_scale_point *pt, const json_t *s) {
    pt->utilization = get_num(s, "utilization");
    pt->work = get_num(s, "work");
    pt->span = get_num(s, "span");
    pt->parallelism = get_num(s, "parallelism");
    pt->lower_bound = get_num(s, "lower_bound");
    const json_t *over = json_object_get(s, "overhead");
    pt->latency_mean = get_num(over, "latency_mean");
    pt->overhead = get_num(over, "per_task");
    pt->task_median = get_num(over, "task_median");
    double tasks = get_num(s, "tasks");
    pt->ntasks = isfinite(tasks) && tasks > 0 ? (size_t)tasks : 0;
    const json_t *workers = json_object_get(s, "per_worker");
    if (json_is_array(workers)) {
        size_t i;
        const json_t *w;
        pt->idle = pt->idle_tail = 0;
        json_array_foreach(workers, i, w) {
            double idle = get_num(w, "idle"), tail = get_num(w, "idle_tail");
            pt->idle += isfinite(idle) ? idle : 0;
            pt->idle_tail += isfinite(tail) ? tail : 0;
        }
    } else {
        pt->idle = pt->idle_tail = NAN;
    }
}

/* T1/T-inf of g by its costs, as `dagrun analyze` computes it, when every
 * task has a cost (then the costs are what the graph says its tasks take);
 * NAN otherwise or when the analysis fails. */
static double cost_parallelism(dr_graph *g) {
    size_t n = dr_graph_ntasks(g);
    for (size_t t = 0; t < n; t++)
        if (!dr_task_has_cost(g, (dr_task)t))
            return NAN;
    dr_analyze_options ao = {.exact_width_limit = 1};
    dr_analysis *a = n > 0 ? dr_analyze(g, &ao, NULL) : NULL;
    double par = a != NULL && a->span > 0 ? a->parallelism : NAN;
    dr_analysis_destroy(a);
    return par;
}

/* Loads the graph file for P workers (weak scaling) or with the user's
 * parameters only (P == 0). */
static dr_graph *load_for(const dr_scale_options *opts, unsigned p,
                          dr_error *err) {
    dr_load_options lo = opts->load;
    dr_param *params = malloc((lo.nparams + 1) * sizeof(*params));
    if (params == NULL) {
        dr__error_set(err, DR_ENOMEM, opts->path, 0, 0, NULL, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < lo.nparams; i++)
        if (p == 0 || strcmp(lo.params[i].name, "workers") != 0)
            params[n++] = lo.params[i];
    if (p > 0)
        params[n++] = (dr_param){"workers", (int64_t)p};
    lo.params = params;
    lo.nparams = n;
    dr_graph *g = dr_graph_load(opts->path, &lo, err);
    free(params);
    return g;
}

/* One finished run of the current point. */
typedef struct sample {
    double makespan;
    json_t *summary, *trace;
} sample;

static int cmp_sample(const void *a, const void *b) {
    double x = ((const sample *)a)->makespan, y = ((const sample *)b)->makespan;
    return (x > y) - (x < y);
}

/* The most failed tasks named in the error; the rest are counted. */
#define MAX_NAMED_FAILURES 3

/* Writes "had a failed task: 'boom' (exit status 3: <stderr's last line>)"
 * from the run's summary into buf, naming up to MAX_NAMED_FAILURES tasks,
 * so that the user knows what to fix without digging through the logs. */
static void describe_failures(dr_run *run, char *buf, size_t len) {
    json_t *summary = dr_run_summary_json(run);
    const json_t *failures = json_object_get(summary, "failures");
    size_t n = json_is_array(failures) ? json_array_size(failures) : 0;
    size_t used = (size_t)snprintf(buf, len, "had %s",
                                   n > 1 ? "failed tasks:" : "a failed task");
    for (size_t i = 0; i < n && i < MAX_NAMED_FAILURES && used < len; i++) {
        const json_t *f = json_array_get(failures, i);
        const char *task = json_string_value(json_object_get(f, "task"));
        const char *reason = json_string_value(json_object_get(f, "reason"));
        const char *tail = json_string_value(json_object_get(f, "stderr_tail"));
        /* Only the last line of stderr: the error usually comes last. */
        const char *last = tail;
        size_t tlen = tail ? strlen(tail) : 0;
        while (tlen > 0 && (tail[tlen - 1] == '\n' || tail[tlen - 1] == '\r'))
            tlen--;
        for (size_t k = 0; k < tlen; k++)
            if (tail[k] == '\n')
                last = tail + k + 1;
        int lastlen = tail ? (int)(tail + tlen - last) : 0;
        if (lastlen > 120)
            lastlen = 120;
        used += (size_t)snprintf(
            buf + used, len - used, "%s '%s' (%s%s%.*s)", i ? "," : "",
            task ? task : "?", reason ? reason : "failed",
            lastlen > 0 ? ": " : "", lastlen, lastlen > 0 ? last : "");
    }
    if (n > MAX_NAMED_FAILURES && used < len)
        snprintf(buf + used, len - used, " and %zu more",
                 n - MAX_NAMED_FAILURES);
    json_decref(summary);
}

/* Runs one point: `repeats` runs at P workers.  Fills pt; returns 0 or an
 * error code with err filled. */
static int run_point(dr_graph *g, const dr_scale_options *opts,
                     dr_scale_point *pt, unsigned repeats, size_t *run_index,
                     size_t runs_total, double started, dr_error *err) {
    sample *s = calloc(repeats, sizeof(*s));
    if (s == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = 0;
    unsigned done = 0;
    int measured = !opts->run.simulate;
    if (measured)
        pt->wall = pt->cpu_time = pt->cpu_demand = pt->machine_cpu = 0;
    for (unsigned k = 0; k < repeats; k++) {
        dr_scale_progress pr = {
            pt->workers, k + 1, repeats, *run_index,
            runs_total,  0,     NAN,     now_seconds() - started};
        if (opts->progress)
            opts->progress(&pr, opts->user_data);
        dr_run_options ro = opts->run;
        ro.workers = pt->workers;
        /* Under MPI, P is a number of the worker ranks' slots. */
        if (ro.executor == DR_EXECUTOR_MPI && !ro.simulate)
            ro.mpi_slots = pt->workers;
        dr__probe before, after;
        dr__probe_take(&before);
        dr_run *run = dr_run_graph(g, &ro, err);
        dr__probe_take(&after);
        if (run == NULL) {
            rc = err != NULL && err->code ? err->code : DR_EINVAL;
            break;
        }
        if (measured) {
            /* NAN (an unreadable clock) stays NAN in the sums. */
            pt->wall += after.wall - before.wall;
            pt->cpu_time += after.cpu - before.cpu;
            pt->machine_cpu += after.machine_cpu - before.machine_cpu;
            pt->cpu_demand += dr__cpu_demand(run, run->cores, ro.cost_op);
            double load[3];
            uv_loadavg(load);
            if (!(pt->load_after >= load[0]))
                pt->load_after = load[0];
        }
        int status = dr_run_status(run);
        if (status != 0) {
            char why[512];
            if (status == DR_EINTR)
                snprintf(why, sizeof(why), "was interrupted");
            else
                describe_failures(run, why, sizeof(why));
            dr__error_set(err, status, NULL, 0, 0, NULL,
                          "the run with %u worker%s %s; scaling stopped",
                          pt->workers, pt->workers == 1 ? "" : "s", why);
            dr_run_destroy(run);
            rc = status;
            break;
        }
        s[k].makespan = dr_run_makespan(run);
        s[k].summary = dr_run_summary_json(run);
        if (opts->keep_traces)
            s[k].trace = dr_run_trace_json(run);
        dr_run_destroy(run);
        if (s[k].summary == NULL) {
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            rc = DR_ENOMEM;
            done = k + 1;
            break;
        }
        done = k + 1;
        pr.done = 1;
        pr.makespan = s[k].makespan;
        pr.elapsed = now_seconds() - started;
        (*run_index)++;
        if (opts->progress)
            opts->progress(&pr, opts->user_data);
    }
    if (rc == 0) {
        qsort(s, repeats, sizeof(*s), cmp_sample);
        sample *med = &s[(repeats - 1) / 2];
        double *m = malloc(repeats * sizeof(*m));
        if (m == NULL) {
            rc = DR_ENOMEM;
            dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
        } else {
            for (unsigned k = 0; k < repeats; k++)
                m[k] = s[k].makespan;
            pt->runs = repeats;
            pt->makespan = dr_scale_median(m, repeats);
            pt->makespan_min = m[0];
            pt->makespan_max = m[repeats - 1];
            free(m);
            read_summary(pt, med->summary);
            pt->summary = med->summary;
            pt->trace = med->trace;
            med->summary = med->trace = NULL;
        }
    }
    for (unsigned k = 0; k < done; k++) {
        json_decref(s[k].summary);
        json_decref(s[k].trace);
    }
    free(s);
    return rc;
}

dr_scale_result *dr_scale_run(dr_graph *g, const dr_scale_options *opts,
                              dr_error *err) {
    dr_error_clear(err);
    if (opts == NULL || opts->nworkers == 0 || opts->workers == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "no worker counts to run");
        return NULL;
    }
    if (opts->mode == DR_SCALE_WEAK && opts->path == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "weak scaling needs the graph file to reload it with "
                      "each worker count");
        return NULL;
    }
    if (g == NULL && opts->path == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no graph to run");
        return NULL;
    }
    /* The worker counts, sorted, without duplicates, with 1 first. */
    unsigned *ps = malloc((opts->nworkers + 1) * sizeof(*ps));
    if (ps == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    size_t np = 0;
    int has_one = 0;
    for (size_t i = 0; i < opts->nworkers; i++) {
        if (opts->workers[i] == 0) {
            free(ps);
            dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                          "a worker count must be at least 1");
            return NULL;
        }
        has_one |= opts->workers[i] == 1;
        ps[np++] = opts->workers[i];
    }
    if (!has_one)
        ps[np++] = 1;
    qsort(ps, np, sizeof(*ps), cmp_unsigned);
    size_t k = 0;
    for (size_t i = 0; i < np; i++)
        if (k == 0 || ps[i] != ps[k - 1])
            ps[k++] = ps[i];
    np = k;

    dr_scale_result *r = dr_scale_result_create(np);
    if (r == NULL) {
        free(ps);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    r->mode = opts->mode;
    r->simulated = opts->run.simulate != 0;
    r->baseline_added = !has_one;
    r->policy = strdup(dr_policy_name(opts->run.policy));
    unsigned cores = uv_available_parallelism();
    r->cores = cores > 0 ? cores : 1;
    unsigned repeats = r->simulated ? 1 : (opts->repeat > 0 ? opts->repeat : 3);

    dr_graph *strong = g, *owned = NULL;
    int rc = 0;
    if (opts->mode == DR_SCALE_STRONG && strong == NULL) {
        strong = owned = load_for(opts, 0, err);
        if (strong == NULL)
            rc = err != NULL && err->code ? err->code : DR_EINVAL;
    }
    /* A replay of measured durations (--costs) is not the graph's costs:
     * its runs' own figures are the ones to use. */
    int by_costs = opts->run.costs_trace == NULL;
    double strong_par =
        strong != NULL && by_costs ? cost_parallelism(strong) : NAN;
    size_t run_index = 0, runs_total = np * repeats;
    if (!r->simulated) {
        double load[3];
        uv_loadavg(load);
        r->load_before = load[0];
    }
    double started = now_seconds();
    for (size_t i = 0; rc == 0 && i < np; i++) {
        dr_scale_point *pt = &r->points[i];
        pt->workers = ps[i];
        pt->baseline_only = ps[i] == 1 && !has_one;
        dr_graph *gp = strong;
        dr_graph *weak = NULL;
        if (opts->mode == DR_SCALE_WEAK) {
            gp = weak = load_for(opts, ps[i], err);
            if (gp == NULL) {
                rc = err != NULL && err->code ? err->code : DR_EINVAL;
                break;
            }
        }
        if (r->graph == NULL)
            r->graph = strdup(dr_graph_name(gp)[0] ? dr_graph_name(gp)
                              : opts->path         ? opts->path
                                                   : "graph");
        r->cpu_tasks |= dr_graph_cpu_tasks(gp, opts->run.cost_op) > 0;
        pt->cost_parallelism = weak == NULL ? strong_par
                               : by_costs   ? cost_parallelism(gp)
                                            : NAN;
        rc = run_point(gp, opts, pt, repeats, &run_index, runs_total, started,
                       err);
        dr_graph_destroy(weak);
        /* The run counted the tasks it simulated at the default 1 s. */
        double uncosted = get_num(pt->summary, "tasks_without_cost");
        if (rc == 0 && r->simulated && isfinite(uncosted) && uncosted > 0)
            pt->uncosted = (size_t)uncosted;
        r->costs_busy |=
            rc == 0 && json_is_true(json_object_get(pt->summary,
                                                    "costs_from_busy_machine"));
        double c = get_num(pt->summary, "cores");
        if (rc == 0 && isfinite(c) && c >= 1)
            r->cores = (unsigned)c;
    }
    dr_graph_destroy(owned);
    free(ps);
    if (rc == 0 && (r->policy == NULL || r->graph == NULL))
        rc = DR_ENOMEM;
    if (rc == 0 && (rc = dr_scale_analyse(r)) != 0)
        dr__error_set(err, rc, NULL, 0, 0, NULL,
                      rc == DR_ENOMEM ? "out of memory"
                                      : "a run had a makespan of zero: "
                                        "nothing to compare");
    if (rc != 0) {
        if (err != NULL && err->code == 0)
            dr__error_set(err, rc, NULL, 0, 0, NULL, "%s", dr_strerror(rc));
        dr_scale_result_destroy(r);
        return NULL;
    }
    return r;
}
