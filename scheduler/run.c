/*
 * dr_run_graph and the run result object.  This file checks the options,
 * resolves the worker count, works out per-task durations (for the cp and
 * order priorities, and for the simulator's clock), creates the scheduling
 * core and hands the run to one of the two drivers: dr__simulate
 * (simulator.c) or dr__execute (executor.c).  Afterwards it derives what
 * both drivers share: final task states, the makespan and the status.
 *
 * A dr_run owns its attempts, failures, kept results and per-task arrays; it
 * borrows the graph, which must outlive it.
 */
#include "bigmem.h"
#include "graph_internal.h"
#include "journal.h"
#include "logs.h"
#include "mpi_link.h"
#include "recorder.h"
#include "run_internal.h"
#include "scaling_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* Real runs start one thread per worker; more makes no sense on any host
 * this runs on.  The simulator only keeps a heap of worker ids. */
#define DR_MAX_REAL_WORKERS 4096u
#define DR_MAX_SIM_WORKERS 100000u

static const char *const policy_names[] = {"cp", "fifo", "lifo", "order",
                                           "random"};

const char *dr_policy_name(dr_policy p) {
    if ((unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]))
        return policy_names[p];
    return "unknown";
}

int dr_policy_from_name(const char *name, dr_policy *out) {
    for (unsigned i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]);
         i++)
        if (name != NULL && strcmp(name, policy_names[i]) == 0) {
            *out = (dr_policy)i;
            return 0;
        }
    return DR_EINVAL;
}

const char *dr_executor_name(dr_executor e) {
    switch (e) {
    case DR_EXECUTOR_THREADS:
        return "threads";
    case DR_EXECUTOR_PROCESSES:
        return "processes";
    case DR_EXECUTOR_SYNC:
        return "sync";
    case DR_EXECUTOR_MPI:
        return "mpi";
    }
    return "?";
}

int dr_executor_from_name(const char *name, dr_executor *out) {
    static const dr_executor all[] = {DR_EXECUTOR_THREADS,
                                      DR_EXECUTOR_PROCESSES, DR_EXECUTOR_SYNC,
                                      DR_EXECUTOR_MPI};
    for (size_t i = 0; name != NULL && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, dr_executor_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return DR_EINVAL;
}

static unsigned host_cores(void) {
    unsigned n = uv_available_parallelism();
    return n > 0 ? n : 1;
}

json_t *dr__run_params_json(const dr_run *run) {
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < dr_graph_nparams(run->graph); i++)
        if (json_object_set_new(o, dr_graph_param_name(run->graph, i),
                                json_integer((json_int_t)dr_graph_param_value(
                                    run->graph, i))) != 0) {
            json_decref(o);
            return NULL;
        }
    return o;
}

json_t *dr__run_params_set_json(const dr_run *run) {
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && run->param_set != NULL &&
                       i < dr_graph_nparams(run->graph);
         i++)
        if (run->param_set[i] &&
            json_array_append_new(
                list, json_string(dr_graph_param_name(run->graph, i))) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

int dr__run_durations(const dr_graph *g, const dr_run_options *opts,
                      double *duration, size_t *without_cost, int *costs_busy,
                      dr_error *err) {
    size_t n = dr_graph_ntasks(g);
    double scale = opts->simulate ? opts->cost_scale : 1.0;
    uint8_t *guessed = calloc(n ? n : 1, 1);
    if (guessed == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) {
        /* The analysis's estimate (dagrun analyze agrees with --simulate). */
        int guess = 0;
        double d = dr__task_estimate(g, (dr_task)t, &guess);
        dr_op_kind kind = dr_task_op_kind(g, (dr_task)t);
        guessed[t] = (uint8_t)guess;
        /* A real run sleeps or spins a task without an operation for
         * cost x scale (--cost-op), so that product must be finite too. */
        int timed = opts->simulate ||
                    (kind == DR_OP_NONE && opts->cost_op != DR_COST_OP_NONE);
        double timed_scale = opts->simulate ? scale : opts->cost_scale;
        if (timed && !isfinite(d * timed_scale)) {
            dr__error_set(err, DR_ERANGE, NULL, 0, 0,
                          dr_task_key(g, (dr_task)t),
                          "its duration, %g s times the cost scale %g "
                          "(--cost-scale), is not a finite number of seconds",
                          d, timed_scale);
            free(guessed);
            return DR_ERANGE;
        }
        d *= scale;
        duration[t] = d > 0 ? d : 0;
    }
    if (opts->costs_trace != NULL) {
        uint8_t *found = calloc(n ? n : 1, 1);
        long rc = found == NULL
                      ? DR_ENOMEM
                      : dr__costs_from_trace(g, opts->costs_trace, duration,
                                             found, costs_busy, err);
        /* Measured durations are scaled like costs (--cost-scale asks
         * "what if every task took F times as long"), and must stay
         * finite once scaled. */
        for (size_t t = 0; rc >= 0 && t < n; t++) {
            guessed[t] &= !found[t];
            if (!found[t])
                continue;
            double d = duration[t] * scale;
            if (!isfinite(d)) {
                dr__error_set(err, DR_ERANGE, opts->costs_trace, 0, 0,
                              dr_task_key(g, (dr_task)t),
                              "its measured duration, %g s times the cost "
                              "scale %g (--cost-scale), is not a finite "
                              "number of seconds",
                              duration[t], scale);
                rc = DR_ERANGE;
                break;
            }
            duration[t] = d;
        }
        free(found);
        if (rc < 0) {
            if (rc == DR_ENOMEM)
                dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                              "out of memory");
            free(guessed);
            return (int)rc;
        }
    }
    /* The simulated runtime's own time per task (--overhead), after the
     * scale: it is the runtime's, not the task's. */
    if (opts->simulate && opts->sim_overhead > 0)
        for (size_t t = 0; t < n; t++)
            duration[t] += opts->sim_overhead;
    size_t count = 0;
    for (size_t t = 0; t < n; t++)
        count += guessed[t];
    free(guessed);
    if (without_cost != NULL)
        *without_cost = count;
    return 0;
}

/*
 * A simulation's clock must stay finite, and so must everything measured on
 * it: times in microseconds in the trace and worker-seconds (up to workers
 * x makespan) in the summary.  The makespan is at most the sum of the
 * durations, so checking that sum x 1e6 x workers is finite before the run
 * covers every figure.  Returns 0 or DR_ERANGE with err filled.
 */
static int check_simulated_total(const dr_graph *g, const double *duration,
                                 unsigned workers, dr_error *err) {
    size_t n = dr_graph_ntasks(g);
    double total = 0;
    dr_task longest = 0;
    for (size_t t = 0; t < n; t++) {
        total += duration[t];
        if (duration[t] > duration[longest])
            longest = (dr_task)t;
    }
    double limit = DBL_MAX / 1e6 / (workers ? workers : 1);
    if (isfinite(total) && total <= limit)
        return 0;
    char sum[40];
    if (isfinite(total))
        snprintf(sum, sizeof(sum), "%g s", total);
    else
        snprintf(sum, sizeof(sum), "more than %g s", DBL_MAX);
    dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                  "the simulated task durations add up to %s (the longest: "
                  "task '%s', %g s); a simulation on %u worker%s times at "
                  "most %g s: scale the costs down",
                  sum, dr_task_key(g, longest), duration[longest], workers,
                  workers == 1 ? "" : "s", limit);
    return DR_ERANGE;
}

/* A real run with a journal: decides what a resume reuses (resume.c), says
 * why the rest runs when asked (--explain), takes the journal (emptied, or
 * appended to when resuming) and marks the cached tasks done in the core
 * before it starts.  Returns 0 or a DR_E* code with err filled. */
static int open_journal(dr_run *run, dr__core *core, dr_error *err) {
    const dr_run_options *opts = &run->opts;
    dr_graph *g = run->graph;
    dr_plan *plan = dr_plan_create(g, opts, err);
    if (plan == NULL)
        return err != NULL && err->code ? err->code : DR_ENOMEM;
    const char *note = dr_plan_note(plan);
    snprintf(run->journal_note, sizeof run->journal_note, "%s", note);
    size_t n = dr_graph_ntasks(g);
    const dr_task *order = dr_graph_topo_order(g);
    if (opts->explain != NULL && !opts->resume) {
        fprintf(opts->explain, "dagrun: every task runs: --resume was not "
                               "given\n");
    } else if (opts->explain != NULL) {
        if (note[0] != '\0')
            fprintf(opts->explain, "dagrun: %s\n", note);
        dr_plan_print(plan, opts->explain);
        fflush(opts->explain);
    }
    int rc =
        dr__journal_open(opts->journal, dr_graph_name(g),
                         opts->resume && note[0] == '\0', &run->journal, err);
    if (rc != 0) {
        dr_plan_destroy(plan);
        return rc;
    }
    run->plan = plan;
    /* Touched but unchanged files are recorded as they are now; failing
     * to is harmless (the next resume hashes them again). */
    if (opts->resume)
        dr__record_touched(g, plan, run->journal);
    /* In topological order, so a task's dependencies are marked first. */
    for (size_t i = 0; i < n; i++)
        if (dr_plan_cached(plan, order[i])) {
            run->state[order[i]] = DR_STATE_CACHED;
            dr__core_cached(core, order[i]);
        }
    return 0;
}

const char *dr_run_journal_note(const dr_run *run) {
    return run != NULL ? run->journal_note : "";
}

dr_run *dr_run_graph(dr_graph *g, const dr_run_options *opts, dr_error *err) {
    /* The first error recorded wins, so an uninitialised dr_error (the
     * usual `dr_error err;` of the examples) must not pass for one. */
    dr_error_clear(err);
    dr_run_options defaults;
    if (opts == NULL) {
        dr_run_options_init(&defaults);
        opts = &defaults;
    }
    if (g == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no graph to run");
        return NULL;
    }
    if ((unsigned)opts->policy > DR_POLICY_RANDOM) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "unknown policy %d",
                      (int)opts->policy);
        return NULL;
    }
    if (!(opts->cost_scale > 0) || !isfinite(opts->cost_scale) ||
        opts->retries < 0 || !(opts->timeout >= 0) ||
        !(opts->sim_overhead >= 0) || !isfinite(opts->sim_overhead)) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "cost scale must be positive, retries, timeout and "
                      "simulated overhead non-negative");
        return NULL;
    }
    if (opts->costs_trace != NULL && !opts->simulate) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "durations from a trace (--costs) need --simulate");
        return NULL;
    }
    unsigned cores = host_cores();
    unsigned workers = opts->workers ? opts->workers : cores;
    /* One task at a time, on the calling thread (docs/executors.md). */
    if (!opts->simulate && opts->executor == DR_EXECUTOR_SYNC)
        workers = 1;
    unsigned max = opts->simulate ? DR_MAX_SIM_WORKERS : DR_MAX_REAL_WORKERS;
    if (workers > max) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "%u workers: at most %u for a %s run", workers, max,
                      opts->simulate ? "simulated" : "real");
        return NULL;
    }
    int rc = dr_graph_validate(g, err);
    if (rc != 0)
        return NULL;
    /* A missing input stops a real run before any task starts (graph/
     * files.c); a simulation touches no file. */
    if (!opts->simulate && dr__graph_check_inputs(g, opts->workdir, err) != 0)
        return NULL;

    size_t n = dr_graph_ntasks(g);
    double *duration = dr__big_malloc((n ? n : 1) * sizeof(*duration));
    if (duration == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    size_t without_cost = 0;
    int costs_busy = 0;
    if (dr__run_durations(g, opts, duration, &without_cost, &costs_busy, err) !=
            0 ||
        (opts->simulate &&
         check_simulated_total(g, duration, workers, err) != 0)) {
        dr__big_free(duration);
        return NULL;
    }
    /* --executor mpi: the worker ranks' slots are the run's workers. */
    dr__rank *ranks = NULL;
    unsigned nranks = 0;
    char host0[64] = "";
    if (!opts->simulate && opts->executor == DR_EXECUTOR_MPI) {
        unsigned nslots = 0;
        if (dr__mpi_connect(g, opts->run_dir, opts->output_dir, &ranks, &nranks,
                            &nslots, DR_MAX_REAL_WORKERS, host0, sizeof host0,
                            err) != 0) {
            dr__big_free(duration);
            return NULL;
        }
        workers = nslots;
        if (opts->mpi_slots > nslots) {
            dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                          "--executor mpi: %u workers asked for, but the "
                          "worker ranks have %u slots in all (--workers K "
                          "per rank, or more ranks)",
                          opts->mpi_slots, nslots);
            dr__mpi_disconnect(ranks, nranks);
            free(ranks);
            dr__big_free(duration);
            return NULL;
        }
        if (opts->mpi_slots > 0)
            workers = opts->mpi_slots;
    }
    dr_run *run = dr__run_create(g, opts, workers, cores, opts->simulate != 0);
    if (run != NULL) {
        run->ranks = ranks;
        run->nranks = nranks;
        snprintf(run->host0, sizeof run->host0, "%s", host0);
    } else if (ranks != NULL) {
        dr__mpi_disconnect(ranks, nranks);
        free(ranks);
    }
    if (run != NULL && opts->simulate)
        run->tasks_without_cost = without_cost;
    if (run != NULL)
        run->costs_busy = costs_busy;
    dr__core *core = run != NULL ? dr__core_create(g, opts->policy, opts->seed,
                                                   workers, duration)
                                 : NULL;
    if (core == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        if (run != NULL)
            dr__mpi_disconnect(run->ranks, run->nranks);
        dr_run_destroy(run);
        dr__big_free(duration);
        return NULL;
    }
    if (!opts->simulate && opts->journal != NULL &&
        open_journal(run, core, err) != 0) {
        dr__mpi_disconnect(run->ranks, run->nranks);
        dr__core_destroy(core);
        dr_run_destroy(run);
        dr__big_free(duration);
        return NULL;
    }
    dr__probe before, after;
    double load[3];
    if (!opts->simulate) {
        uv_loadavg(load);
        run->load_before = load[0];
        dr__probe_take(&before);
    }
    if (opts->simulate)
        rc = dr__simulate(run, core, duration, err);
    else
        rc = dr__execute(run, core, err);
    /* The worker ranks' part ends here, whatever became of the run.  A
     * signal under mpirun is mpirun stopping every rank (it sends them all
     * SIGTERM, then SIGKILL a second later): nothing waits for them. */
    if (run->nranks > 0 && run->stop_signal != 0)
        dr__mpi_abandon();
    dr__mpi_disconnect(run->ranks, run->nranks);
    if (!opts->simulate && rc == 0) {
        dr__probe_take(&after);
        uv_loadavg(load);
        run->load_after = load[0];
        /* The tasks of an MPI run use the worker ranks' CPU, not ours. */
        if (opts->executor != DR_EXECUTOR_MPI)
            dr__run_check_machine(run, &before, &after);
    }
    dr__big_free(duration);
    if (run->journal != NULL) {
        dr_error jerr;
        dr_error_clear(&jerr);
        if (dr__journal_close(run->journal, &jerr) != 0 &&
            run->journal_note[0] == '\0')
            snprintf(run->journal_note, sizeof run->journal_note,
                     "the journal could not be written (%.400s)", jerr.text);
        run->journal = NULL;
    }
    dr_plan_destroy(run->plan);
    run->plan = NULL;
    if (rc != 0) {
        dr__core_destroy(core);
        dr_run_destroy(run);
        return NULL;
    }
    /* States: what the driver set wins; otherwise the core's view. */
    for (size_t t = 0; t < n; t++) {
        if (run->state[t] != DR_STATE_PENDING)
            continue;
        switch (dr__core_state(core, (dr_task)t)) {
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
            break;
        }
    }
    dr__core_destroy(core);
    if (run->interrupted)
        dr__run_settle_interrupted(run);
    double makespan = 0;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].end > makespan)
            makespan = run->attempts[i].end;
    if (run->makespan < makespan)
        run->makespan = makespan;
    return run;
}

/*
 * A task stopped by SIGINT, SIGTERM or SIGHUP did not fail: the run was stopped
 * while it ran.  It is "interrupted" (its own state, counted apart from
 * failures and from tasks that never started), its failure record goes, and a
 * task skipped only because of such tasks is "not run": it never started and
 * nothing failed.  Skips caused by a real failure before the interrupt stay.
 * The attempt itself stays in the trace with status "interrupted".
 */
void dr__run_settle_interrupted(dr_run *run) {
    size_t n = dr_graph_ntasks(run->graph);
    for (size_t t = 0; t < n; t++) {
        int32_t last = run->last[t];
        if ((run->state[t] == DR_STATE_FAILED ||
             run->state[t] == DR_STATE_PENDING) &&
            last >= 0 && run->attempts[last].status == DR__ATTEMPT_INTERRUPTED)
            run->state[t] = DR_STATE_INTERRUPTED;
    }
    const dr_task *topo = dr_graph_topo_order(run->graph);
    for (size_t i = 0; topo != NULL && i < n; i++) {
        dr_task t = topo[i];
        if (run->state[t] != DR_STATE_SKIPPED)
            continue;
        size_t nd;
        const dr_task *deps = dr_task_deps(run->graph, t, &nd);
        int caused = 0;
        for (size_t j = 0; j < nd && !caused; j++)
            caused = run->state[deps[j]] == DR_STATE_FAILED ||
                     run->state[deps[j]] == DR_STATE_SKIPPED;
        if (!caused)
            run->state[t] = DR_STATE_PENDING;
    }
    size_t k = 0;
    for (size_t i = 0; i < run->nfailures; i++) {
        dr__failure *f = &run->failures[i];
        if (run->state[f->task] == DR_STATE_FAILED) {
            run->failures[k++] = *f;
        } else {
            free(f->reason);
            free(f->stderr_tail);
        }
    }
    run->nfailures = k;
}

int dr_run_status(const dr_run *run) {
    if (run->interrupted)
        return DR_EINTR;
    size_t n = dr_graph_ntasks(run->graph);
    for (size_t t = 0; t < n; t++)
        if (run->state[t] != DR_STATE_OK && run->state[t] != DR_STATE_CACHED)
            return DR_EFAILED;
    return 0;
}

const dr_graph *dr_run_graph_of(const dr_run *run) { return run->graph; }

static int valid_task(const dr_run *run, dr_task t) {
    return run != NULL && t < dr_graph_ntasks(run->graph);
}

dr_task_state dr_run_task_state(const dr_run *run, dr_task t) {
    return valid_task(run, t) ? (dr_task_state)run->state[t] : DR_STATE_PENDING;
}

double dr_run_task_start(const dr_run *run, dr_task t) {
    if (!valid_task(run, t) || run->last[t] < 0)
        return -1;
    return run->attempts[run->last[t]].start;
}

double dr_run_task_end(const dr_run *run, dr_task t) {
    if (!valid_task(run, t) || run->last[t] < 0)
        return -1;
    return run->attempts[run->last[t]].end;
}

int dr_run_task_worker(const dr_run *run, dr_task t) {
    if (!valid_task(run, t) || run->last[t] < 0)
        return -1;
    return (int)run->attempts[run->last[t]].worker;
}

json_t *dr_run_task_result(const dr_run *run, dr_task t) {
    return valid_task(run, t) ? run->results[t] : NULL;
}

double dr_run_makespan(const dr_run *run) { return run->makespan; }

int dr_mpi_serve(dr_graph *g, const dr_run_options *opts, dr_error *err) {
    dr_error_clear(err); /* as dr_run_graph */
    dr_run_options defaults;
    if (opts == NULL) {
        dr_run_options_init(&defaults);
        opts = &defaults;
    }
    if (g == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no graph to serve");
        return DR_EINVAL;
    }
    int rc = dr_graph_validate(g, err);
    if (rc != 0)
        return rc;
    unsigned cores = host_cores();
    unsigned slots = opts->workers ? opts->workers : cores;
    dr_run *run = dr__run_create(g, opts, slots, cores, 0);
    if (run == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    rc = dr__serve_mpi(run, err);
    dr_run_destroy(run);
    return rc;
}
