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
 * The CPU seconds the computing tasks of a finished run needed: the
 * integral over the run of min(computing attempts running, cores), from
 * the run's attempts.  On an idle machine the process gets at least this
 * much CPU time; on a busy one, less.  0 when no task computes; NAN when
 * out of memory.
 */
double dr__cpu_demand(const dr_run *run, unsigned cores, dr_cost_op cost_op);

/*
 * The busy-machine test of measured runs of computing tasks, one formula
 * for `dagrun run` and every P of `dagrun scale` (docs/scaling.md, "A busy
 * machine"): over `wall` seconds the process used `cpu_time` CPU seconds,
 * its computing tasks needed `cpu_demand`, and the allowed CPUs were busy
 * `machine_cpu` seconds in all.  Sets *share = cpu_time / cpu_demand and
 * *others = (machine_cpu - cpu_time) / wall, at least 0 (NAN when unknown
 * or wall < DR_SCALE_BUSY_MIN_WALL, too short for /proc/stat's ticks) and
 * returns 1 when share < DR_SCALE_BUSY_CPU_SHARE or others >=
 * DR_SCALE_BUSY_OTHERS. Pure; cannot fail.
 */
int dr__busy_judge(double wall, double cpu_time, double cpu_demand,
                   double machine_cpu, double *share, double *others);

/* After a real run: fills run->busy, cpu_share, others_cores and busy_why
 * from the probes taken just before and after it (and run->load_before /
 * load_after, set by the caller).  Nothing for a simulation or when no
 * task computes.  Cannot fail. */
void dr__run_check_machine(dr_run *run, const dr__probe *before,
                           const dr__probe *after);

#endif
