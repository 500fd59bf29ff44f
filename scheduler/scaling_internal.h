/*
 * What the scaling driver (scaling.c) measures around each run besides the
 * run itself, so that dr_scale_machine_busy (scaling_math.c) can tell a busy
 * machine from a graph that does not scale: the CPU time of this process and
 * its children, the busy time of the CPUs this process may run on, and the
 * CPU time the run's computing tasks needed.  Implemented in
 * scaling_probe.c.
 */
#ifndef DAGRUN_SCALING_INTERNAL_H
#define DAGRUN_SCALING_INTERNAL_H

#include "dagrun/run.h"

/* A snapshot of the clocks; any figure that cannot be read is NAN. */
typedef struct dr__probe {
    double wall;        /* monotonic seconds */
    double cpu;         /* user + system seconds of this process and of its
                           children that have been waited for */
    double machine_cpu; /* busy seconds (user, nice, system, irq, softirq,
                           steal) summed over the CPUs in this process's
                           affinity mask, from /proc/stat */
} dr__probe;

/* Takes a snapshot.  Cannot fail (unknown figures are NAN). */
void dr__probe_take(dr__probe *p);

/*
 * 1 when task t computes in this process: the builtins spin and pi, a C
 * function, or a task without an op run as spin (cost_op).  Sleeping
 * builtins, reductions, noop and commands (other processes) do not.
 * The metrics module's "tasks use CPU" predicate is meant to replace this
 * one when it lands; until then the scaling report keeps its own.
 */
int dr__task_computes(const dr_graph *g, dr_task t, dr_cost_op cost_op);

/* 1 when some task of g computes (dr__task_computes). */
int dr__graph_computes(const dr_graph *g, dr_cost_op cost_op);

/*
 * The CPU seconds the computing tasks of a finished run needed: the
 * integral over the run of min(computing attempts running, cores), from
 * the run's attempts.  On an idle machine the process gets at least this
 * much CPU time; on a busy one, less.  0 when no task computes; NAN when
 * out of memory.
 */
double dr__cpu_demand(const dr_run *run, unsigned cores, dr_cost_op cost_op);

/*
 * Simulated runs: the tasks of g that get no duration of their own (no
 * cost, not a sleep or spin with its amount, not found in the trace
 * `costs_trace` when it is not NULL) and so count as the default 1 s.
 */
size_t dr__uncosted_tasks(const dr_graph *g, const char *costs_trace);

#endif
