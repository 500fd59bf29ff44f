/*
 * The run's records (records.h): creating and destroying a dr_run, and
 * appending the attempts and failures the drivers record.  Both drivers
 * call here; nothing here calls a driver or run.c.
 */
#include "records.h"
#include "bigmem.h"
#include "graph_internal.h"
#include "journal.h"
#include "logs.h"
#include "resume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dr_run_options_init(dr_run_options *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->policy = DR_POLICY_CP;
    opts->cost_scale = 1.0;
}

dr_run *dr__run_create(dr_graph *g, const dr_run_options *opts,
                       unsigned workers, unsigned cores, int simulated) {
    dr_run *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return NULL;
    size_t n = dr_graph_ntasks(g), alloc = n ? n : 1;
    run->graph = g;
    if (opts != NULL)
        run->opts = *opts;
    else
        dr_run_options_init(&run->opts);
    run->workers = workers;
    run->cores = cores;
    run->simulated = simulated;
    run->cpu_tasks = dr_graph_cpu_tasks(g, run->opts.cost_op);
    run->cpu_share = run->others_cores = NAN;
    run->load_before = run->load_after = NAN;
    run->state = dr__big_calloc(alloc, sizeof(*run->state));
    run->last = dr__big_malloc(alloc * sizeof(*run->last));
    run->results = dr__big_calloc(alloc, sizeof(*run->results));
    run->keep = dr__big_calloc(alloc, sizeof(*run->keep));
    if (run->state == NULL || run->last == NULL || run->results == NULL ||
        run->keep == NULL) {
        dr_run_destroy(run);
        return NULL;
    }
    for (size_t t = 0; t < n; t++) {
        size_t ns;
        dr_task_succs(g, (dr_task)t, &ns);
        run->last[t] = -1;
        run->keep[t] = ns == 0;
    }
    for (size_t i = 0; opts != NULL && i < opts->nkeep_results; i++) {
        dr_task t = dr_graph_find(g, opts->keep_results[i]);
        if (t != DR_TASK_NONE)
            run->keep[t] = 1;
    }
    size_t np = dr_graph_nparams(g);
    for (size_t i = 0; opts != NULL && i < opts->nparams_set; i++)
        for (size_t p = 0; p < np; p++)
            if (opts->params_set[i] != NULL &&
                strcmp(opts->params_set[i], dr_graph_param_name(g, p)) == 0) {
                if (run->param_set == NULL &&
                    (run->param_set = calloc(np, 1)) == NULL) {
                    dr_run_destroy(run);
                    return NULL;
                }
                run->param_set[p] = 1;
            }
    /* The keys and names are borrowed only for the call that created the
     * run. */
    run->opts.keep_results = NULL;
    run->opts.nkeep_results = 0;
    run->opts.params_set = NULL;
    run->opts.nparams_set = 0;
    return run;
}

void dr_run_destroy(dr_run *run) {
    if (run == NULL)
        return;
    for (size_t i = 0; i < run->nattempts; i++)
        free(run->attempts[i].error);
    dr__big_free(run->attempts);
    free(run->moves);
    for (size_t i = 0; i < run->nfailures; i++) {
        free(run->failures[i].reason);
        free(run->failures[i].stderr_tail);
    }
    free(run->failures);
    if (run->results != NULL)
        for (size_t t = 0; t < dr_graph_ntasks(run->graph); t++)
            json_decref(run->results[t]);
    dr__big_free(run->results);
    dr__big_free(run->state);
    dr__big_free(run->last);
    dr__big_free(run->keep);
    free(run->run_dir);
    free(run->param_set);
    free(run->ranks);
    dr__journal_close(run->journal, NULL);
    dr_plan_destroy(run->plan);
    free(run);
}

const dr__rank *dr__run_rank_of(const dr_run *run, unsigned w) {
    for (unsigned i = 0; i < run->nranks; i++)
        if (w >= run->ranks[i].first &&
            w < run->ranks[i].first + run->ranks[i].nslots)
            return &run->ranks[i];
    return NULL;
}

int dr__run_reserve_attempts(dr_run *run, size_t n) {
    if (n <= run->capattempts)
        return 0;
    dr__attempt *a = dr__big_realloc(run->attempts, n * sizeof(*a));
    if (a == NULL)
        return DR_ENOMEM;
    run->attempts = a;
    if (run->moves != NULL) {
        dr__move *m = realloc(run->moves, n * sizeof(*m));
        if (m == NULL)
            return DR_ENOMEM; /* capattempts stays: both hold that many */
        memset(m + run->capattempts, 0, (n - run->capattempts) * sizeof(*m));
        run->moves = m;
    }
    run->capattempts = n;
    return 0;
}

const dr__move *dr__run_move(const dr_run *run, size_t i) {
    static const dr__move none;
    return run->moves != NULL && i < run->nattempts ? &run->moves[i] : &none;
}

dr__move *dr__run_move_set(dr_run *run, size_t i) {
    if (i >= run->nattempts)
        return NULL;
    if (run->moves == NULL &&
        (run->moves = calloc(run->capattempts, sizeof(*run->moves))) == NULL)
        return NULL;
    return &run->moves[i];
}

long dr__run_add_attempt(dr_run *run, dr_task t, unsigned worker,
                         unsigned attempt, unsigned status, double ready,
                         double start, double end, const char *error) {
    if (run->nattempts == run->capattempts &&
        dr__run_reserve_attempts(run, run->capattempts ? 2 * run->capattempts
                                                       : 64) != 0)
        return -1;
    /* Messages come from user code and commands: kept printable (logs.h). */
    char *copy = NULL;
    if (error != NULL &&
        (copy = dr__safe_text(error, strlen(error), 0)) == NULL)
        return -1;
    size_t i = run->nattempts++;
    run->attempts[i] =
        (dr__attempt){t, worker, attempt, status, ready, start, end, copy};
    run->last[t] = (int32_t)i;
    return (long)i;
}

int dr__run_add_failure(dr_run *run, dr_task t, unsigned attempts,
                        const char *reason, const char *stderr_tail) {
    if (run->nfailures == run->capfailures) {
        size_t cap = run->capfailures ? 2 * run->capfailures : 8;
        dr__failure *f = realloc(run->failures, cap * sizeof(*f));
        if (f == NULL)
            return DR_ENOMEM;
        run->failures = f;
        run->capfailures = cap;
    }
    if (reason == NULL)
        reason = "failed";
    char *r = dr__safe_text(reason, strlen(reason), 0);
    /* dr__log_tail made the tail safe: escaping it again would double
     * its backslashes. */
    char *tail = stderr_tail != NULL ? strdup(stderr_tail) : NULL;
    if (r == NULL || (stderr_tail != NULL && tail == NULL)) {
        free(r);
        free(tail);
        return DR_ENOMEM;
    }
    run->failures[run->nfailures++] = (dr__failure){t, attempts, r, tail};
    return 0;
}
