/*
 * The memory budget of issue 13: a graph of 1,000,000 tasks and 4,000,000
 * edges built through the C API takes at most 80 bytes a task + 4 an edge
 * (96 MB), whether it is built task by task (a C program) or all tasks first
 * and then the dependencies (the loaders); dr_graph_memory tells the truth
 * about it (checked against the heap); and the run's own state per task is
 * measured and printed beside it.  Its own executable so it runs beside the
 * other test files rather than inside one of them.
 *
 * Under AddressSanitizer, whose allocator mallinfo2 does not see, the heap
 * is not compared (the budget still is: dr_graph_memory counts what the
 * graph asked for).  Nothing here asserts on time: times are printed for
 * the report only.
 */
#include <criterion/criterion.h>
#include <dagrun.h>
#include <dagrun/run.h>

#include <malloc.h>
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

#define NTASKS 1000000u
#define DEPS_PER_TASK 4u
#define BUDGET_TASK 80u
#define BUDGET_EDGE 4u

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

/* The heap in use: what malloc handed out from its arenas and by mmap (0
 * under ASan, whose allocator it does not see). */
static size_t heap_in_use(void) {
#ifdef DRT_ASAN
    return 0;
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

#ifdef DRT_ASAN
#define HEAP_NOTE " (heap not seen under ASan)"
#else
#define HEAP_NOTE ""
#endif

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024;
}

/* Task i's DEPS_PER_TASK distinct dependencies on earlier tasks (fewer for
 * the first ones): mostly near ones, as real graphs are, sometimes
 * anywhere.  Returns how many. */
static uint32_t pick_deps(uint32_t i, uint64_t *seed, dr_task *picked) {
    uint32_t want = i < DEPS_PER_TASK ? i : DEPS_PER_TASK, have = 0;
    while (have < want) {
        uint64_t r = next(seed);
        uint32_t span = (r & 3) == 0 || i < 1000 ? i : 1000;
        dr_task d = i - 1 - (dr_task)((r >> 8) % span);
        int dup = 0;
        for (uint32_t k = 0; k < have; k++)
            dup |= picked[k] == d;
        if (!dup)
            picked[have++] = d;
    }
    return want;
}

/* Builds the graph: each task a noop, as `dagrun gen` makes them.
 * tasks_first: every task, then every task's dependencies in task order (as
 * the loaders do); else a task and then its dependencies. */
static dr_graph *build(int tasks_first, size_t *nedges) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    char key[24];
    uint64_t seed = 0x5eed;
    size_t edges = 0;
    for (int pass = tasks_first ? 0 : 1; pass < 2; pass++) {
        for (uint32_t i = 0; i < NTASKS; i++) {
            if (pass == 0 || !tasks_first) {
                snprintf(key, sizeof(key), "t%06u", i);
                dr_task t;
                cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
                cr_assert_eq(dr_task_set_builtin(g, t, "noop", NULL), 0);
            }
            if (pass == 1) {
                dr_task picked[DEPS_PER_TASK];
                uint32_t n = pick_deps(i, &seed, picked);
                for (uint32_t k = 0; k < n; k++)
                    cr_assert_eq(dr_graph_add_dep(g, i, picked[k]), 0);
                edges += n;
            }
        }
    }
    *nedges = edges;
    return g;
}

/* Builds, validates and checks one way of building against the budget and
 * the heap; returns the graph. */
static dr_graph *build_and_check(int tasks_first, const char *how) {
    malloc_trim(0);
    size_t heap0 = heap_in_use();
    double rss0 = peak_rss_mb();
    double t0 = now();
    size_t expect_edges;
    dr_graph *g = build(tasks_first, &expect_edges);
    double built = now();
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    double validated = now();

    cr_assert_eq(dr_graph_ntasks(g), NTASKS);
    cr_assert_eq(dr_graph_nedges(g), expect_edges);
    cr_assert_eq(dr_graph_find(g, "t000123"), 123);
    cr_assert_not_null(dr_graph_topo_order(g));
    size_t n;
    const dr_task *deps = dr_task_deps(g, NTASKS - 1, &n);
    cr_assert_eq(n, DEPS_PER_TASK);
    cr_assert_lt(deps[0], NTASKS - 1);

    size_t bytes = dr_graph_memory(g);
    size_t heap = heap_in_use() - heap0;
    /* Each edge costs a dependency entry and a successor entry (4 bytes
     * each); the rest is per task. */
    double per_task = ((double)bytes - 8.0 * (double)expect_edges) / NTASKS;
    printf("memory (%s): %u tasks, %zu edges: dr_graph_memory %.1f MB = "
           "%.1f bytes/task + 8 bytes/edge (budget %u/task + %u/edge = "
           "%.1f MB); heap %.1f MB%s; peak RSS %.1f -> %.1f MB; build %.2f s, "
           "validate %.2f s\n",
           how, NTASKS, expect_edges, (double)bytes / 1e6, per_task,
           BUDGET_TASK, BUDGET_EDGE,
           (BUDGET_TASK * (double)NTASKS + BUDGET_EDGE * (double)expect_edges) /
               1e6,
           (double)heap / 1e6, HEAP_NOTE, rss0, peak_rss_mb(), built - t0,
           validated - built);
    fflush(stdout);
    cr_assert_leq(bytes,
                  (size_t)BUDGET_TASK * NTASKS +
                      (size_t)BUDGET_EDGE * expect_edges,
                  "%zu bytes", bytes);
#ifndef DRT_ASAN
    /* What dr_graph_memory says is what the heap holds, within 5% (the
     * rest is malloc's own headers and the op table). */
    cr_assert_geq((double)bytes, 0.95 * (double)heap, "%zu vs heap %zu", bytes,
                  heap);
    cr_assert_leq((double)bytes, 1.05 * (double)heap, "%zu vs heap %zu", bytes,
                  heap);
#endif
    return g;
}

Test(memory, million_task_graph_fits_the_budget, .timeout = 300) {
    dr_graph_destroy(build_and_check(0, "task by task"));
}

Test(memory, million_task_graph_built_tasks_first_fits_the_budget,
     .timeout = 300) {
    dr_graph_destroy(build_and_check(1, "tasks first"));
}

/* The run's own state: what a finished run keeps per task (states, times,
 * attempt records, the sinks' results) and the peak it reached, printed
 * beside the graph's.  No budget is set for it (issue 13 asks for it to be
 * measured); that every task ran is checked. */
Test(memory, a_run_of_the_graph_reports_its_own_state, .timeout = 300) {
    dr_graph *g = build_and_check(0, "before the run");
    size_t graph_bytes = dr_graph_memory(g);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_error err;
    dr_error_clear(&err);
    malloc_trim(0);
    size_t heap0 = heap_in_use();
    double rss0 = peak_rss_mb();
    double t0 = now();
    dr_run *run = dr_run_graph(g, &o, &err);
    double t1 = now();
    cr_assert_not_null(run, "%s", err.text);
    cr_assert_eq(dr_run_status(run), 0);
    for (dr_task t = 0; t < NTASKS; t += 9973)
        cr_assert_eq(dr_run_task_state(run, t), DR_STATE_OK, "task %u", t);
    cr_assert_eq(dr_run_task_state(run, NTASKS - 1), DR_STATE_OK);
    size_t kept = heap_in_use() - heap0;
    double rss1 = peak_rss_mb();
    printf("run state: %u noop tasks, 2 workers, %.2f s: kept after the run "
           "%.1f MB = %.1f bytes/task%s; peak RSS grew %.1f MB = %.1f "
           "bytes/task (graph: %.1f bytes/task with its edges)\n",
           NTASKS, t1 - t0, (double)kept / 1e6, (double)kept / NTASKS,
           HEAP_NOTE, rss1 - rss0, (rss1 - rss0) * 1048576.0 / NTASKS,
           (double)graph_bytes / NTASKS);
    fflush(stdout);
#ifndef DRT_ASAN
    cr_assert_gt(kept, (size_t)NTASKS * 8, "a run keeps per-task records");
#endif
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
