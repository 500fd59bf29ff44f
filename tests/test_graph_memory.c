/*
 * The memory budget of issue 2: a graph of 1,000,000 tasks and about
 * 4,000,000 edges must fit well under 500 MB.  Its own executable so it runs
 * beside the other test files rather than inside one of them.
 *
 * Under AddressSanitizer every allocation carries a redzone and the run is
 * several times slower, so the sanitizer build checks a tenth of the graph
 * (the same per-task budget applies); the normal build always runs the full
 * size.  Nothing here asserts on time: the build time is printed for the
 * report only.
 */
#include <criterion/criterion.h>
#include <dagrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define DRT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRT_ASAN 1
#endif
#endif

#ifdef DRT_ASAN
#define NTASKS 100000u
#else
#define NTASKS 1000000u
#endif
#define DEPS_PER_TASK 4u

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *s) {
    /* xorshift64*: a fixed seed gives the same graph every run. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

Test(memory, million_task_graph_fits_the_budget, .timeout = 300) {
    double t0 = now();
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    char key[24];
    uint64_t seed = 0x5eed;
    size_t expect_edges = 0;
    for (uint32_t i = 0; i < NTASKS; i++) {
        snprintf(key, sizeof(key), "t%06u", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        /* 4 distinct dependencies on earlier tasks (fewer for the first 4):
         * mostly near ones, as real graphs are, sometimes anywhere. */
        dr_task picked[DEPS_PER_TASK];
        uint32_t want = i < DEPS_PER_TASK ? i : DEPS_PER_TASK, have = 0;
        while (have < want) {
            uint64_t r = next(&seed);
            uint32_t span = (r & 3) == 0 || i < 1000 ? i : 1000;
            dr_task d = i - 1 - (dr_task)((r >> 8) % span);
            int dup = 0;
            for (uint32_t k = 0; k < have; k++)
                dup |= picked[k] == d;
            if (dup)
                continue;
            picked[have++] = d;
            cr_assert_eq(dr_graph_add_dep(g, t, d), 0);
        }
        expect_edges += want;
    }
    double built = now();
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    double validated = now();

    cr_assert_eq(dr_graph_ntasks(g), NTASKS);
    cr_assert_eq(dr_graph_nedges(g), expect_edges);
    cr_assert_eq(dr_graph_find(g, "t000123"), 123);
    cr_assert_not_null(dr_graph_topo_order(g));

    size_t bytes = dr_graph_memory(g);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* Each edge costs a dependency entry and a successor entry (4 bytes
     * each); the rest is per task. */
    double per_task = ((double)bytes - 8.0 * (double)expect_edges) / NTASKS;
    printf("memory: %u tasks, %zu edges: dr_graph_memory %.1f MB = %.1f "
           "bytes/task + 8 bytes/edge; peak RSS %.1f MB; build %.2f s, "
           "validate %.2f s\n",
           NTASKS, expect_edges, (double)bytes / 1e6, per_task,
           (double)ru.ru_maxrss / 1024, built - t0, validated - built);
    fflush(stdout);
    /* The budget: well under 500 MB for 1M tasks, i.e. under 500 bytes a
     * task with 4 edges each, scaled to the size actually built. */
    cr_assert_lt(bytes, 500u * NTASKS, "%zu bytes", bytes);
    dr_graph_destroy(g);
}
