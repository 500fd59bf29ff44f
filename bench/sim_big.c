/*
 * Simulator benchmark: a random layered graph of 1,000 layers x 1,000 tasks,
 * each task after the first layer depending on 4 tasks of the layer before
 * (1,000,000 tasks; 3,996,000 edges drawn, about 3,990,000 once repeats are
 * dropped), simulated on 1,024 workers with every
 * policy.  Prints the time of each phase: building the graph (not part of
 * the scheduler), the simulation itself (dr_run_graph: priorities, core,
 * virtual clock, attempt records), the summary and the trace text.
 *
 * Usage: sim_big [LAYERS WIDTH WORKERS [POLICY]]   (defaults 1000 1000 1024)
 * With POLICY (cp, fifo, lifo, order or random) only that policy runs and
 * no trace text is made, so that /usr/bin/time -v gives each policy's own
 * peak RSS; without it every policy runs and cp also makes the trace text.
 * Built by CMake as build/bench/dagrun_sim_big (bench/CMakeLists.txt).
 */
#include "run_internal.h" /* dr__run_trace_text; needs -I scheduler */

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a shared, loaded machine wall time
 * overstates the cost, so both are printed. */
static double cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    unsigned layers = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    unsigned width = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
    unsigned workers = argc > 3 ? (unsigned)atoi(argv[3]) : 1024;
    dr_policy only = DR_POLICY_CP;
    int one = argc > 4;
    if (one && dr_policy_from_name(argv[4], &only) != 0) {
        fprintf(stderr, "sim_big: unknown policy '%s'\n", argv[4]);
        return 2;
    }
    uint64_t seed = 42;
    double t0 = now();
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "layered-big");
    char key[32];
    for (unsigned l = 0; l < layers; l++)
        for (unsigned i = 0; i < width; i++) {
            dr_task t;
            snprintf(key, sizeof(key), "t%u-%u", l, i);
            if (dr_graph_add_task(g, key, &t) != 0)
                return 1;
            dr_task_set_cost(g, t, 1 + next(&seed) % 10);
            for (int k = 0; l > 0 && k < 4; k++)
                dr_graph_add_dep(g, t, (l - 1) * width + next(&seed) % width);
        }
    dr_error err;
    if (dr_graph_validate(g, &err) != 0)
        return 1;
    double t1 = now();
    printf("graph: %zu tasks, %zu edges, built in %.2f s\n", dr_graph_ntasks(g),
           dr_graph_nedges(g), t1 - t0);
    const dr_policy policies[] = {DR_POLICY_CP, DR_POLICY_FIFO, DR_POLICY_LIFO,
                                  DR_POLICY_ORDER, DR_POLICY_RANDOM};
    for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
        if (one && policies[i] != only)
            continue;
        dr_run_options o;
        dr_run_options_init(&o);
        o.simulate = 1;
        o.workers = workers;
        o.policy = policies[i];
        double a = now(), ca = cpu();
        dr_run *run = dr_run_graph(g, &o, &err);
        double b = now(), cb = cpu();
        if (run == NULL) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
        json_t *s = dr_run_summary_json(run);
        double c = now();
        size_t len = 0;
        char *text = i == 0 && !one ? dr__run_trace_text(run, &len) : NULL;
        double d = now();
        printf("%-6s P=%u: simulate %.2f s (cpu %.2f s), summary %.2f s",
               dr_policy_name(policies[i]), workers, b - a, cb - ca, c - b);
        if (i == 0 && !one)
            printf(", trace text %.2f s (%.0f MB)", d - c, len / 1e6);
        printf("; makespan %.0f, bound %.0f\n", dr_run_makespan(run),
               json_number_value(json_object_get(s, "lower_bound")));
        free(text);
        json_decref(s);
        dr_run_destroy(run);
    }
    dr_graph_destroy(g);
    return 0;
}
