/*
 * Measuring the machine around the runs of a scaling experiment (see
 * scaling_internal.h): CPU clocks, the busy time of the allowed CPUs, and
 * the CPU time a run's computing tasks needed.
 *
 * The CPU time of this process comes from getrusage (RUSAGE_SELF counts
 * every thread, so every worker; RUSAGE_CHILDREN the commands the executor
 * has reaped).  libuv's uv_getrusage has no RUSAGE_CHILDREN, hence the
 * direct call.  The machine's busy time is read from /proc/stat, one line
 * per CPU, keeping only the CPUs in this process's affinity mask: in a
 * container pinned to two CPUs of a big host, the host's other CPUs are
 * nobody's competition.  (libuv's uv_cpu_info reads the same lines but
 * does not say which CPU number each entry is, and parses /proc/cpuinfo on
 * every call.)  Where /proc/stat does not exist the figure is NAN and the
 * busy-machine check relies on the CPU share alone.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#include "dagrun/scale.h"
#include "run_internal.h"
#include "scaling_internal.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

static double tv_seconds(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double process_cpu(void) {
    struct rusage self, children;
    if (getrusage(RUSAGE_SELF, &self) != 0 ||
        getrusage(RUSAGE_CHILDREN, &children) != 0)
        return NAN;
    return tv_seconds(self.ru_utime) + tv_seconds(self.ru_stime) +
           tv_seconds(children.ru_utime) + tv_seconds(children.ru_stime);
}

/* Busy seconds of the allowed CPUs since boot, or NAN. */
static double machine_cpu(void) {
    cpu_set_t allowed;
    int have_mask = sched_getaffinity(0, sizeof(allowed), &allowed) == 0;
    long hz = sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL || hz <= 0) {
        if (f != NULL)
            fclose(f);
        return NAN;
    }
    char line[512];
    unsigned long long busy = 0;
    int found = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        int cpu;
        unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
        /* "cpu " is the total; "cpuN" one CPU. */
        if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
            continue;
        steal = 0;
        if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
                   &user, &nice, &sys, &idle, &iowait, &irq, &softirq,
                   &steal) < 8)
            continue;
        if (have_mask && (cpu < 0 || cpu >= CPU_SETSIZE ||
                          !CPU_ISSET((size_t)cpu, &allowed)))
            continue;
        /* guest time is already part of user. */
        busy += user + nice + sys + irq + softirq + steal;
        found = 1;
    }
    fclose(f);
    return found ? (double)busy / (double)hz : NAN;
}

void dr__probe_take(dr__probe *p) {
    p->wall = (double)uv_hrtime() / 1e9;
    p->cpu = process_cpu();
    p->machine_cpu = machine_cpu();
}

int dr__busy_judge(double wall, double cpu_time, double cpu_demand,
                   double machine_cpu, double *share, double *others) {
    *share = isfinite(cpu_time) && cpu_demand > 0 ? cpu_time / cpu_demand : NAN;
    /* The CPUs' busy time comes in clock ticks (10 ms): over a shorter
     * window one tick per CPU reads as several cores ("other programs used
     * 16.3 cores ... on 2 cores"), so it is not judged. */
    *others = wall >= DR_SCALE_BUSY_MIN_WALL && isfinite(machine_cpu) &&
                      isfinite(cpu_time)
                  ? fmax(0, (machine_cpu - cpu_time) / wall)
                  : NAN;
    return *share < DR_SCALE_BUSY_CPU_SHARE || *others >= DR_SCALE_BUSY_OTHERS;
}

/* 1 when no computing task ran because every one was cached (a resumed
 * run, docs/resuming.md): nothing could have been slowed down, so there is
 * no verdict and the figures stay unknown. */
static int computing_all_cached(const dr_run *run) {
    size_t n = dr_graph_ntasks(run->graph), cached = 0;
    for (size_t t = 0; t < n; t++) {
        if (!dr_task_uses_cpu(run->graph, (dr_task)t, run->opts.cost_op))
            continue;
        if (run->state[t] != DR_STATE_CACHED)
            return 0;
        cached++;
    }
    return cached > 0;
}

void dr__run_check_machine(dr_run *run, const dr__probe *before,
                           const dr__probe *after) {
    run->busy = 0;
    run->busy_why[0] = '\0';
    if (run->simulated || run->cpu_tasks == 0)
        return;
    if (computing_all_cached(run))
        return;
    double demand =
        dr__cpu_demand(run, run->cores ? run->cores : 1, run->opts.cost_op);
    run->busy =
        dr__busy_judge(after->wall - before->wall, after->cpu - before->cpu,
                       demand, after->machine_cpu - before->machine_cpu,
                       &run->cpu_share, &run->others_cores);
    if (!run->busy)
        return;
    char *w = run->busy_why;
    size_t len = sizeof(run->busy_why), used = 0;
    if (run->cpu_share < DR_SCALE_BUSY_CPU_SHARE)
        used += (size_t)snprintf(w + used, len - used,
                                 "the computing tasks got %.0f%% of the CPU "
                                 "time they needed",
                                 run->cpu_share * 100);
    if (run->others_cores >= DR_SCALE_BUSY_OTHERS && used < len)
        used += (size_t)snprintf(w + used, len - used,
                                 "%sother programs used %.1f core%s on "
                                 "average",
                                 used ? "; " : "", run->others_cores,
                                 fabs(run->others_cores - 1) < 0.05 ? "" : "s");
    if (isfinite(run->load_before) && isfinite(run->load_after) && used < len)
        snprintf(w + used, len - used,
                 "; the load average was %.2f before the run and %.2f after "
                 "it, on %u core%s",
                 run->load_before, run->load_after, run->cores,
                 run->cores == 1 ? "" : "s");
}

/* A start (+1) or an end (-1) of a computing attempt. */
typedef struct edge {
    double at;
    int delta;
} edge;

static int cmp_edge(const void *a, const void *b) {
    const edge *x = a, *y = b;
    if (x->at != y->at)
        return (x->at > y->at) - (x->at < y->at);
    return x->delta - y->delta; /* ends first: touching bars do not overlap */
}

double dr__cpu_demand(const dr_run *run, unsigned cores, dr_cost_op cost_op) {
    size_t n = 0;
    for (size_t i = 0; i < run->nattempts; i++)
        n += dr_task_uses_cpu(run->graph, run->attempts[i].task, cost_op);
    if (n == 0)
        return 0;
    edge *e = malloc(2 * n * sizeof(*e));
    if (e == NULL)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        if (!dr_task_uses_cpu(run->graph, a->task, cost_op) ||
            !(a->end > a->start))
            continue;
        e[k++] = (edge){a->start, +1};
        e[k++] = (edge){a->end, -1};
    }
    qsort(e, k, sizeof(*e), cmp_edge);
    double demand = 0;
    long running = 0;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && running > 0)
            demand += (e[i].at - e[i - 1].at) *
                      (double)(running < (long)cores ? running : (long)cores);
        running += e[i].delta;
    }
    free(e);
    return demand;
}
