/*
 * A busy machine in a scaling experiment: the check is a pure function of
 * measured figures (dr_scale_machine_busy), tested here on synthetic ones,
 * with the clocks it reads (the CPU time the computing tasks of a run
 * needed, from its attempts) and one end-to-end experiment in which the
 * test makes the machine busy itself: a spinning child pinned to the same
 * single CPU as the experiment, which then gets about half of that CPU
 * whatever else runs on the machine.
 */
#define _GNU_SOURCE
#include "dagrun/scale.h"
#include "run_internal.h"
#include "scaling_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A measured strong-scaling result of computing tasks on `cores` cores:
 * speedups of Amdahl's law with f = 0.1, and CPU figures of an idle
 * machine (the tasks got all the CPU time they needed, nobody else ran).
 * Tests spoil one figure at a time. */
static dr_scale_result *measured(unsigned cores) {
    unsigned p[] = {1, 2, 4};
    dr_scale_result *r = dr_scale_result_create(3);
    cr_assert_not_null(r);
    r->cores = cores;
    r->cpu_tasks = 1;
    r->graph = strdup("busy");
    r->policy = strdup("cp");
    r->load_before = 0.1;
    for (size_t i = 0; i < 3; i++) {
        dr_scale_point *pt = &r->points[i];
        pt->workers = p[i];
        pt->runs = 3;
        pt->makespan = pt->makespan_min = pt->makespan_max =
            4 * (0.1 + 0.9 / p[i]);
        pt->work = 4;
        pt->parallelism = 100;
        pt->span = 0.04;
        pt->lower_bound = fmax(pt->span, 4.0 / p[i]);
        pt->ntasks = 100;
        /* Three repeats at P: wall 3 T(P), the tasks busy on min(P, cores)
         * cores for the parallel part. */
        pt->wall = 3 * pt->makespan;
        pt->cpu_demand = 3 * 4;
        pt->cpu_time = 1.02 * pt->cpu_demand;
        pt->machine_cpu = pt->cpu_time + 0.05 * pt->wall;
        pt->load_after = 0.3;
    }
    return r;
}

Test(scaling_busy, an_idle_machine_is_not_busy_and_the_law_is_fitted) {
    dr_scale_result *r = measured(8);
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->busy, 0);
    cr_assert_float_eq(r->amdahl_f, 0.1, 1e-9);
    cr_assert(strstr(r->verdict, "busy") == NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "Amdahl's law fits with a serial fraction "
                                 "f = 0.1") != NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, tasks_that_got_too_little_cpu_make_it_busy_and_first) {
    dr_scale_result *r = measured(2);
    /* At P = 2 the tasks got 55% of the CPU time they needed: another job
     * held one of the two cores. */
    r->points[1].cpu_time = 0.55 * r->points[1].cpu_demand;
    char why[512];
    cr_assert_eq(dr_scale_machine_busy(r, why, sizeof(why)), 1);
    cr_assert(strstr(why, "at 2 workers the computing tasks got 55% of the "
                          "CPU time they needed") != NULL,
              "%s", why);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->busy, 1);
    /* Said first, and no law fitted to the noise. */
    const char *lead = "The machine was busy while this was measured: at 2 "
                       "workers the computing tasks got 55%";
    cr_assert(strncmp(r->verdict, lead, strlen(lead)) == 0, "%s", r->verdict);
    cr_assert(isnan(r->amdahl_f) && isnan(r->amdahl_r2));
    cr_assert(strstr(r->verdict, "Amdahl") == NULL, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "no law is fitted") != NULL, "%s", r->verdict);
    for (size_t i = 0; i < r->npoints; i++)
        cr_assert(isnan(r->points[i].amdahl));
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Amdahl fit") == NULL, "%s", svg);
    cr_assert(strstr(svg, "Busy machine") != NULL, "%s", svg);
    free(svg);
    char *md = dr_scale_to_markdown(r);
    cr_assert(strstr(md, "No law is fitted: the machine was busy") != NULL,
              "%s", md);
    cr_assert(strstr(md, "Amdahl fit") == NULL, "%s", md);
    free(md);
    json_t *j = dr_scale_to_json(r);
    cr_assert(json_is_true(json_object_get(j, "busy")));
    cr_assert(json_is_null(
        json_object_get(json_object_get(j, "fit"), "serial_fraction")));
    json_decref(j);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, other_programs_using_cpu_make_it_busy) {
    dr_scale_result *r = measured(2);
    /* The tasks got their CPU (they were alone on their cores), but other
     * programs used 0.9 cores on average while P = 1 ran. */
    dr_scale_point *pt = &r->points[0];
    pt->machine_cpu = pt->cpu_time + 0.9 * pt->wall;
    char why[512];
    cr_assert_eq(dr_scale_machine_busy(r, why, sizeof(why)), 1);
    cr_assert(strstr(why, "other programs used 0.9 cores on average during "
                          "the runs at 1 worker") != NULL,
              "%s", why);
    cr_assert(strstr(why, "got") == NULL, "%s", why);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(r->busy);
    dr_scale_result_destroy(r);

    /* A point too short for /proc/stat's 10 ms ticks is not judged by
     * others: one tick in 10 ms would read as a whole core. */
    r = measured(2);
    r->points[0].wall = 0.01;
    r->points[0].machine_cpu = r->points[0].cpu_time + 0.163;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    double s, o;
    cr_assert_eq(dr__busy_judge(0.01, 0.02, 0.02, 0.183, &s, &o), 0);
    cr_assert(isnan(o));
    cr_assert_eq(
        dr__busy_judge(DR_SCALE_BUSY_MIN_WALL, 0.02, 0.02, 0.383, &s, &o), 1,
        "judged from the minimum window on");
    cr_assert_float_eq(o, 0.363 / DR_SCALE_BUSY_MIN_WALL, 1e-9);
    dr_scale_result_destroy(r);

    /* Below half a core it is not busy. */
    r = measured(2);
    r->points[0].machine_cpu = r->points[0].cpu_time + 0.4 * r->points[0].wall;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, evidence_names_the_load_averages_and_the_spread) {
    dr_scale_result *r = measured(2);
    r->points[2].cpu_time = 0.5 * r->points[2].cpu_demand;
    r->load_before = 1.93;
    r->points[1].load_after = 2.4;
    r->points[1].makespan_max = 1.5 * r->points[1].makespan_min;
    char why[512];
    cr_assert_eq(dr_scale_machine_busy(r, why, sizeof(why)), 1);
    cr_assert(strstr(why, "the load average was 1.93 before the runs and up "
                          "to 2.40 after them, on 2 cores") != NULL,
              "%s", why);
    cr_assert(strstr(why, "the repeats vary by up to 50% (at 2 workers)") !=
                  NULL,
              "%s", why);
    /* The spread is part of the first sentence, not said twice. */
    cr_assert_eq(dr_scale_analyse(r), 0);
    const char *first = strstr(r->verdict, "the repeats vary");
    cr_assert_not_null(first, "%s", r->verdict);
    cr_assert(strstr(first + strlen("the repeats vary"), "repeats vary") ==
                  NULL,
              "%s", r->verdict);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, a_high_load_average_alone_is_not_a_busy_machine) {
    /* The 1-minute load average lags: after an earlier experiment it stays
     * high for a minute while the machine is idle again.  The CPU figures
     * of the runs themselves decide. */
    dr_scale_result *r = measured(2);
    r->load_before = 4.5;
    r->points[2].load_after = 4.3;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, waiting_tasks_and_simulations_are_never_busy) {
    /* Sleeping tasks need no CPU: a busy machine costs them nothing. */
    dr_scale_result *r = measured(2);
    r->cpu_tasks = 0;
    r->points[1].cpu_time = 0.01;
    r->points[1].machine_cpu = 2 * r->points[1].wall;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert_eq(r->busy, 0);
    dr_scale_result_destroy(r);

    r = measured(2);
    r->simulated = 1;
    r->points[1].cpu_time = 0.01;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    dr_scale_result_destroy(r);

    /* Unknown figures (NAN: no /proc) decide nothing. */
    r = measured(2);
    for (size_t i = 0; i < r->npoints; i++)
        r->points[i].cpu_time = r->points[i].machine_cpu = NAN;
    cr_assert_eq(dr_scale_machine_busy(r, NULL, 0), 0);
    dr_scale_result_destroy(r);
}

Test(scaling_busy, weak_scaling_on_a_busy_machine_fits_no_gustafson) {
    dr_scale_result *r = measured(2);
    r->mode = DR_SCALE_WEAK;
    r->points[1].cpu_time = 0.6 * r->points[1].cpu_demand;
    cr_assert_eq(dr_scale_analyse(r), 0);
    cr_assert(r->busy);
    cr_assert(isnan(r->gustafson_s));
    cr_assert(strncmp(r->verdict, "The machine was busy", 20) == 0, "%s",
              r->verdict);
    cr_assert(strstr(r->verdict, "Gustafson") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
}

/* ------------------------------------------------ the clocks it reads */

/* A run of g with hand-made attempts (task, start, end). */
static dr_run *run_with(dr_graph *g, const double (*a)[3], size_t n) {
    dr_run_options o;
    dr_run_options_init(&o);
    dr_run *run = dr__run_create(g, &o, 4, 2, 0);
    cr_assert_not_null(run);
    for (size_t i = 0; i < n; i++)
        cr_assert_geq(dr__run_add_attempt(run, (dr_task)a[i][0], 0, 1,
                                          DR__ATTEMPT_OK, 0, a[i][1], a[i][2],
                                          NULL),
                      0);
    return run;
}

Test(scaling_busy, cpu_demand_counts_computing_tasks_up_to_the_cores) {
    dr_graph *g = dr_graph_create();
    const char *ops[] = {"spin", "pi", "spin", "sleep", "spin"};
    for (size_t i = 0; i < 5; i++) {
        char key[8];
        snprintf(key, sizeof(key), "t%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        json_t *args =
            strcmp(ops[i], "pi") == 0      ? json_pack("{s:i}", "samples", 10)
            : strcmp(ops[i], "sleep") == 0 ? json_pack("{s:i}", "ms", 1)
                                           : json_pack("{s:i}", "units", 1);
        cr_assert_eq(dr_task_set_builtin(g, t, ops[i], args), 0);
        json_decref(args);
    }
    cr_assert(dr_graph_cpu_tasks(g, DR_COST_OP_NONE) > 0);
    cr_assert_eq(dr_task_uses_cpu(g, 3, DR_COST_OP_NONE), 0);
    /* Three computing tasks at once over [1, 2] on 2 cores count 2; the
     * sleeping task (3) counts nothing. */
    const double a[][3] = {
        {0, 0, 2}, {1, 1, 2}, {2, 1, 3}, {3, 0, 10}, {4, 5, 6}};
    dr_run *run = run_with(g, a, 5);
    /* [0,1]: 1; [1,2]: min(3, 2) = 2; [2,3]: 1; [5,6]: 1. */
    cr_assert_float_eq(dr__cpu_demand(run, 2, DR_COST_OP_NONE), 5.0, 1e-12);
    cr_assert_float_eq(dr__cpu_demand(run, 1, DR_COST_OP_NONE), 4.0, 1e-12);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(scaling_busy, tasks_without_an_op_compute_only_as_spin) {
    dr_graph *g = dr_graph_create();
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, "stg-1", &t), 0);
    cr_assert_eq(dr_graph_cpu_tasks(g, DR_COST_OP_NONE), 0);
    cr_assert_eq(dr_graph_cpu_tasks(g, DR_COST_OP_SLEEP), 0);
    cr_assert_eq(dr_graph_cpu_tasks(g, DR_COST_OP_SPIN), 1);
    cr_assert_eq(dr_task_set_shell(g, t, "true"), 0);
    cr_assert_eq(dr_graph_cpu_tasks(g, DR_COST_OP_SPIN), 0);
    dr_graph_destroy(g);
}

Test(scaling_busy, probe_reads_this_process_cpu_time) {
    dr__probe a, b;
    dr__probe_take(&a);
    volatile double x = 0;
    /* Burn CPU until the process clock moves: no timing threshold. */
    do {
        for (int i = 0; i < 1000000; i++)
            x += i * 0.5;
        dr__probe_take(&b);
    } while (!(b.cpu > a.cpu));
    cr_assert(b.wall >= a.wall);
    if (isfinite(a.machine_cpu))
        cr_assert(b.machine_cpu >= a.machine_cpu);
}

/* ------------------------------------------ end to end: a real neighbour */

/* Forks a child that spins on the calling thread's CPUs until killed (and
 * dies with its parent, should the test be aborted).  Returns once the
 * child has used CPU time. */
static pid_t start_spinner(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    /* Wait until it runs: its utime (field 14 of /proc/PID/stat) grows. */
    char *path = drt_fmt("/proc/%d/stat", (int)pid);
    for (;;) {
        char *stat = drt_read_file(path, NULL);
        cr_assert_not_null(stat);
        const char *p = strrchr(stat, ')');
        unsigned long utime = 0;
        cr_assert_eq(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu",
                            &utime),
                     1);
        free(stat);
        if (utime > 0)
            break;
        usleep(10000);
    }
    free(path);
    return pid;
}

Test(scaling_busy, a_spinning_neighbour_on_the_same_cpu_is_detected,
     .timeout = 120) {
    /* Pin the experiment to one of its CPUs; the spinner inherits it.  Two
     * runnable threads on one CPU get about half of it each, so the
     * tasks get about 50% (at 2 workers about 67%) of the CPU time they
     * need, whatever the rest of the machine does. */
    cpu_set_t mask, one;
    cr_assert_eq(sched_getaffinity(0, sizeof(mask), &mask), 0);
    int cpu = -1;
    for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
        if (CPU_ISSET(c, &mask))
            cpu = c;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);

    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "spin");
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "s%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        json_t *args = json_pack("{s:i}", "units", 50);
        cr_assert_eq(dr_task_set_builtin(g, t, "spin", args), 0);
        json_decref(args);
    }
    pid_t spinner = start_spinner();
    unsigned ps[] = {1, 2};
    dr_scale_options o;
    dr_scale_options_init(&o);
    o.workers = ps;
    o.nworkers = 2;
    o.repeat = 1;
    o.keep_traces = 0;
    char *dir = drt_tmpdir();
    o.run.run_dir = dir;
    dr_error err;
    dr_scale_result *r = dr_scale_run(g, &o, &err);
    /* Stop the neighbour before any assertion can end the test. */
    kill(spinner, SIGKILL);
    int status;
    waitpid(spinner, &status, 0);
    cr_assert_eq(sched_setaffinity(0, sizeof(mask), &mask), 0);

    cr_assert_not_null(r, "%s", err.text);
    cr_assert_eq(r->cores, 1);
    cr_assert(r->cpu_tasks);
    cr_assert_eq(r->busy, 1, "%s", r->verdict);
    cr_assert(strncmp(r->verdict, "The machine was busy", 20) == 0, "%s",
              r->verdict);
    cr_assert(isnan(r->amdahl_f));
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------- a single run, and replaying it */

/* Runs g for real with `workers` workers, its logs in dir. */
static dr_run *run_real(dr_graph *g, unsigned workers, const char *dir) {
    dr_run_options ro;
    dr_run_options_init(&ro);
    ro.workers = workers;
    ro.run_dir = dir;
    dr_error err;
    dr_run *run = dr_run_graph(g, &ro, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_assert_eq(dr_run_status(run), 0);
    return run;
}

static char *summary_text(const dr_run *run) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    return text;
}

/* Four spin tasks of 50 units each. */
static dr_graph *spin_graph(void) {
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "spin");
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "s%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        json_t *args = json_pack("{s:i}", "units", 50);
        cr_assert_eq(dr_task_set_builtin(g, t, "spin", args), 0);
        json_decref(args);
    }
    return g;
}

Test(scaling_busy, a_run_next_to_a_spinning_neighbour_says_so_and_its_replay,
     .timeout = 120) {
    /* As above: the run and a spinner share one CPU. */
    cpu_set_t mask, one;
    cr_assert_eq(sched_getaffinity(0, sizeof(mask), &mask), 0);
    int cpu = -1;
    for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
        if (CPU_ISSET(c, &mask))
            cpu = c;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
    dr_graph *g = spin_graph();
    char *dir = drt_tmpdir();
    pid_t spinner = start_spinner();
    dr_run_options ro;
    dr_run_options_init(&ro);
    ro.workers = 1;
    ro.run_dir = dir;
    dr_error err;
    dr_run *run = dr_run_graph(g, &ro, &err);
    kill(spinner, SIGKILL);
    int status;
    waitpid(spinner, &status, 0);
    cr_assert_eq(sched_setaffinity(0, sizeof(mask), &mask), 0);
    cr_assert_not_null(run, "%s", err.text);

    /* summary.json, the printed summary and the trace say it. */
    json_t *s = dr_run_summary_json(run);
    json_t *m = json_object_get(s, "machine");
    cr_assert(json_is_true(json_object_get(m, "busy")), "%s", json_dumps(m, 0));
    cr_assert_lt(json_number_value(json_object_get(m, "cpu_share")),
                 DR_SCALE_BUSY_CPU_SHARE);
    cr_assert(strstr(json_string_value(json_object_get(m, "evidence")),
                     "the computing tasks got") != NULL);
    json_decref(s);
    char *text = summary_text(run);
    cr_assert(strstr(text, "\nNote: the machine was busy during this run (the "
                           "computing tasks got ") != NULL,
              "%s", text);
    free(text);
    json_t *trace = dr_run_trace_json(run);
    json_t *other = json_object_get(trace, "otherData");
    cr_assert(json_is_true(json_object_get(other, "busy_machine")));
    cr_assert(json_is_string(json_object_get(other, "busy_evidence")));
    char *trace_path = drt_fmt("%s/busy-trace.json", dir);
    cr_assert_eq(json_dump_file(trace, trace_path, 0), 0);
    json_decref(trace);
    dr_run_destroy(run);

    /* Replaying those durations warns: `run --costs` ... */
    dr_run_options so;
    dr_run_options_init(&so);
    so.workers = 2;
    so.simulate = 1;
    so.costs_trace = trace_path;
    dr_run *sim = dr_run_graph(g, &so, &err);
    cr_assert_not_null(sim, "%s", err.text);
    s = dr_run_summary_json(sim);
    cr_assert(json_is_true(json_object_get(s, "costs_from_busy_machine")));
    cr_assert_null(json_object_get(s, "machine"));
    json_decref(s);
    text = summary_text(sim);
    cr_assert(strstr(text, "were measured on a busy machine") != NULL, "%s",
              text);
    free(text);
    dr_run_destroy(sim);

    /* ... and `scale --costs`. */
    unsigned ps[] = {1, 2, 4};
    dr_scale_options o;
    dr_scale_options_init(&o);
    o.workers = ps;
    o.nworkers = 3;
    o.keep_traces = 0;
    o.run.simulate = 1;
    o.run.costs_trace = trace_path;
    dr_scale_result *r = dr_scale_run(g, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    cr_assert(r->costs_busy);
    cr_assert_not_null(r->warning);
    cr_assert(strstr(r->warning, "measured on a busy machine") != NULL, "%s",
              r->warning);
    char *svg = dr_scale_speedup_svg(r);
    cr_assert(strstr(svg, "Busy machine: the replayed durations") != NULL);
    free(svg);
    dr_scale_result_destroy(r);

    /* A trace that says its machine was idle gives no warning. */
    trace = json_load_file(trace_path, 0, NULL);
    cr_assert_not_null(trace);
    json_object_set_new(json_object_get(trace, "otherData"), "busy_machine",
                        json_false());
    cr_assert_eq(json_dump_file(trace, trace_path, 0), 0);
    json_decref(trace);
    r = dr_scale_run(g, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    cr_assert_not(r->costs_busy);
    cr_assert_null(r->warning, "%s", r->warning);
    dr_scale_result_destroy(r);

    free(trace_path);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_busy, a_run_of_waiting_tasks_is_never_called_busy) {
    /* Sleeping tasks lose nothing to a busy machine (as in scale). */
    dr_graph *g = dr_graph_create();
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, "nap", &t), 0);
    json_t *args = json_pack("{s:i}", "ms", 5);
    cr_assert_eq(dr_task_set_builtin(g, t, "sleep", args), 0);
    json_decref(args);
    char *dir = drt_tmpdir();
    dr_run *run = run_real(g, 1, dir);
    json_t *s = dr_run_summary_json(run);
    cr_assert(
        json_is_false(json_object_get(json_object_get(s, "machine"), "busy")));
    json_decref(s);
    json_t *trace = dr_run_trace_json(run);
    cr_assert(json_is_false(
        json_object_get(json_object_get(trace, "otherData"), "busy_machine")));
    json_decref(trace);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_busy,
     a_resumed_run_whose_computing_tasks_were_cached_gets_no_verdict) {
    /* Two spinning tasks, both cached by a resumed run (docs/resuming.md),
     * and a sleep that ran.  The probes say other programs used 3 cores:
     * but nothing of this run computed, so nothing was slowed down. */
    dr_graph *g = dr_graph_create();
    const char *ops[] = {"spin", "spin", "sleep"};
    for (size_t i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof(key), "t%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        json_t *args = strcmp(ops[i], "sleep") == 0
                           ? json_pack("{s:i}", "ms", 1)
                           : json_pack("{s:i}", "units", 1);
        cr_assert_eq(dr_task_set_builtin(g, t, ops[i], args), 0);
        json_decref(args);
    }
    const double a[][3] = {{2, 0, 1}};
    dr_run *run = run_with(g, a, 1);
    run->state[0] = run->state[1] = DR_STATE_CACHED;
    run->state[2] = DR_STATE_OK;
    dr__probe before = {10, 1, 100}, after = {11, 1, 103};
    dr__run_check_machine(run, &before, &after);
    cr_expect_eq(run->busy, 0);
    cr_expect(isnan(run->others_cores), "unknown, not %g", run->others_cores);
    cr_expect_str_eq(run->busy_why, "");
    /* The same probes when one of them ran for that second: busy. */
    cr_assert_geq(
        dr__run_add_attempt(run, 1, 1, 1, DR__ATTEMPT_OK, 0, 0, 1, NULL), 0);
    run->state[1] = DR_STATE_OK;
    dr__run_check_machine(run, &before, &after);
    cr_expect_eq(run->busy, 1, "%s", run->busy_why);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
