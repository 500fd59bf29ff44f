/*
 * The per-task arrays kept from one run for the next (scheduler/bigmem.c):
 * a freed block serves the next request it fits, zeroed when asked, within
 * a budget of bytes and blocks, never for a request of under half its
 * size, with contents kept by realloc, and from several threads at once;
 * and a run's arrays are handed to the next run.
 */
#include "bigmem.h"
#include <dagrun.h>
#include <dagrun/run.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MB ((size_t)1024 * 1024)

/* Blocks are kept from the second run of a process on. */
static void clean(void) {
    dr__big_forget_runs();
    dr__big_run_started();
    dr__big_run_started();
}

static void no_runs_yet(void) { dr__big_forget_runs(); }

Test(bigmem, a_freed_block_serves_the_next_request_it_fits, .init = clean) {
    unsigned char *p = dr__big_malloc(MB);
    cr_assert_not_null(p);
    memset(p, 0xab, MB);
    dr__big_free(p);
    size_t blocks;
    cr_expect_geq(dr__big_kept(&blocks), MB);
    cr_expect_eq(blocks, 1);
    unsigned char *q = dr__big_malloc(MB - 4096);
    cr_expect_eq(q, p, "a kept block of the size was not reused");
    cr_expect_eq(dr__big_kept(&blocks), 0);
    dr__big_free(q);
}

Test(bigmem, calloc_zeroes_a_reused_block, .init = clean) {
    unsigned char *p = dr__big_malloc(2 * MB);
    memset(p, 0xcd, 2 * MB);
    dr__big_free(p);
    unsigned char *q = dr__big_calloc(2 * MB / 8, 8);
    cr_assert_eq(q, p);
    size_t nonzero = 0;
    for (size_t i = 0; i < 2 * MB; i++)
        nonzero += q[i] != 0;
    cr_expect_eq(nonzero, 0, "%zu bytes of a reused block not zeroed", nonzero);
    dr__big_free(q);
    cr_expect_null(dr__big_calloc(SIZE_MAX / 2, 4), "n * size overflows");
}

Test(bigmem, small_and_huge_blocks_are_not_kept, .init = clean) {
    dr__big_free(dr__big_malloc(DR__BIG_MIN - 1));
    dr__big_free(dr__big_malloc(DR__BIG_MAX + 1));
    size_t blocks;
    cr_expect_eq(dr__big_kept(&blocks), 0);
    cr_expect_eq(blocks, 0);
    dr__big_free(NULL);
}

Test(bigmem, a_block_over_twice_the_request_is_left_for_larger_ones,
     .init = clean) {
    void *big = dr__big_malloc(8 * MB);
    dr__big_free(big);
    void *small = dr__big_malloc(MB);
    cr_expect_neq(small, big, "1 MB took a kept 8 MB block");
    size_t blocks;
    cr_expect_geq(dr__big_kept(&blocks), 8 * MB);
    cr_expect_eq(blocks, 1);
    cr_expect_eq(dr__big_malloc(5 * MB), big, "5 MB may take the 8 MB block");
    dr__big_free(small);
    dr__big_free(big);
}

Test(bigmem, the_budget_drops_the_oldest_blocks_first, .init = clean) {
    /* Four blocks of 30 MB: only three fit in 96 MB. */
    void *p[4];
    for (int i = 0; i < 4; i++)
        cr_assert_not_null(p[i] = dr__big_malloc(30 * MB));
    for (int i = 0; i < 4; i++)
        dr__big_free(p[i]);
    size_t blocks, bytes = dr__big_kept(&blocks);
    cr_expect_leq(bytes, DR__BIG_KEEP);
    cr_expect_eq(blocks, 3);
    void *q[3];
    for (int i = 0; i < 3; i++) {
        q[i] = dr__big_malloc(30 * MB);
        cr_expect_neq(q[i], p[0], "the first block freed should have gone");
        cr_expect(q[i] == p[1] || q[i] == p[2] || q[i] == p[3]);
    }
    cr_expect_eq(dr__big_kept(NULL), 0);
    for (int i = 0; i < 3; i++)
        dr__big_free(q[i]);
    dr__big_trim();
    /* More blocks than slots: at most DR__BIG_SLOTS are kept. */
    void *many[DR__BIG_SLOTS + 8];
    for (int i = 0; i < DR__BIG_SLOTS + 8; i++)
        many[i] = dr__big_malloc(DR__BIG_MIN);
    for (int i = 0; i < DR__BIG_SLOTS + 8; i++)
        dr__big_free(many[i]);
    dr__big_kept(&blocks);
    cr_expect_eq(blocks, DR__BIG_SLOTS);
    dr__big_trim();
    cr_expect_eq(dr__big_kept(&blocks), 0);
}

Test(bigmem, realloc_keeps_the_contents, .init = clean) {
    unsigned char *p = dr__big_realloc(NULL, 100 * 1024);
    for (size_t i = 0; i < 100 * 1024; i++)
        p[i] = (unsigned char)(i * 7);
    cr_expect_eq(dr__big_realloc(p, 50 * 1024), p, "shrinking moved it");
    p = dr__big_realloc(p, 3 * MB);
    size_t bad = 0;
    for (size_t i = 0; i < 100 * 1024; i++)
        bad += p[i] != (unsigned char)(i * 7);
    cr_expect_eq(bad, 0, "growing within what is kept lost %zu bytes", bad);
    p = dr__big_realloc(p, DR__BIG_MAX + MB); /* past what is kept */
    for (size_t i = 0; i < 100 * 1024; i++)
        bad += p[i] != (unsigned char)(i * 7);
    cr_expect_eq(bad, 0, "growing past the largest kept lost %zu bytes", bad);
    dr__big_free(p);
}

/* Each thread allocates, fills, checks and frees blocks of several sizes;
 * a block handed to two threads at once would fail the check. */
static void *churn(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    long bad = 0;
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t size = DR__BIG_MIN + (seed >> 8) % (2 * MB);
        unsigned char *p =
            (seed & 1) ? dr__big_malloc(size) : dr__big_calloc(size, 1);
        if (p == NULL)
            return (void *)-1;
        unsigned char mark = (unsigned char)(seed >> 3);
        memset(p, mark, size);
        for (size_t j = 0; j < size; j += 4093)
            bad += p[j] != mark;
        bad += p[size - 1] != mark;
        dr__big_free(p);
    }
    return (void *)bad;
}

Test(bigmem, threads_never_share_a_block, .init = clean) {
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, churn, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        cr_expect_eq((long)bad, 0, "thread %d saw another's bytes", i);
    }
    cr_expect_leq(dr__big_kept(NULL), DR__BIG_KEEP);
}

/* The first run of a process keeps nothing (a single run gains nothing
 * from it, and its summary's peak would grow); the second run of 100,000
 * tasks keeps its per-task arrays for the third, which takes them and
 * finishes the same. */
Test(bigmem, a_run_hands_its_arrays_to_the_next, .init = no_runs_yet) {
    dr_graph *g = dr_graph_create();
    dr_task sink;
    cr_assert_eq(dr_graph_add_task(g, "sink", &sink), 0);
    for (int i = 0; i < 100000; i++) {
        char key[16];
        snprintf(key, sizeof key, "t%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        cr_assert_eq(dr_graph_add_dep(g, sink, t), 0);
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_assert_eq(dr_run_status(run), 0);
    dr_run_destroy(run);
    size_t blocks, kept = dr__big_kept(&blocks);
    cr_expect_eq(kept, 0, "the first run kept %zu bytes", kept);
    run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    dr_run_destroy(run);
    kept = dr__big_kept(&blocks);
    cr_expect_geq(blocks, 4, "only %zu blocks kept after a run", blocks);
    cr_expect_geq(kept, (size_t)100000 * 8, "%zu bytes kept", kept);
    run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_expect_eq(dr_run_status(run), 0);
    cr_expect_eq(dr_run_task_state(run, sink), DR_STATE_OK);
    cr_expect_lt(dr__big_kept(NULL), kept, "the second run took nothing");
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

#if defined(__SANITIZE_ADDRESS__)
/* Under AddressSanitizer (the test command's second pass) a kept block is
 * poisoned, and so is the part of a reused block past the size asked for:
 * both mistakes end the test process with ASan's report (exit code 1). */
Test(bigmem, asan_catches_a_use_after_free, .init = clean, .exit_code = 1) {
    volatile unsigned char *p = dr__big_malloc(MB);
    p[0] = 1;
    dr__big_free((void *)p);
    p[10] = 2; /* kept, poisoned */
}

Test(bigmem, asan_catches_a_write_past_the_size_asked_for, .init = clean,
     .exit_code = 1) {
    dr__big_free(dr__big_malloc(2 * MB));
    volatile unsigned char *q = dr__big_malloc(3 * MB / 2); /* the 2 MB one */
    q[3 * MB / 2 + 64] = 1;
}
#endif
