/*
 * The key index built at once (graph/graph.c, dr__graph_add_task_fresh and
 * dr__graph_index_build), as the generators use it: tasks appended without
 * a look-up, then the whole index written in home-slot order, or the few
 * new tasks put in one by one.
 */
#include "graph_internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* The index's hash (FNV-1a), to see where an entry's home slot is. */
static uint32_t fnv(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static void key_of(char *buf, size_t n, size_t i) {
    snprintf(buf, n, "task-%zu", i);
}

static void add_fresh(dr_graph *g, size_t from, size_t to) {
    char key[32];
    for (size_t i = from; i < to; i++) {
        dr_task t;
        key_of(key, sizeof key, i);
        cr_assert_eq(dr__graph_add_task_fresh(g, key, &t), 0);
        cr_assert_eq(t, (dr_task)i);
    }
}

static void all_found(const dr_graph *g, size_t n) {
    char key[32];
    for (size_t i = 0; i < n; i++) {
        key_of(key, sizeof key, i);
        cr_assert_eq(dr_graph_find(g, key), (dr_task)i, "%s", key);
    }
    cr_assert_eq(dr_graph_find(g, "task-x"), DR_TASK_NONE);
}

/* Entries that sit before their home slot: they ran past the end of the
 * table and wrapped round. */
static size_t wrapped(const dr_graph *g) {
    size_t n = 0;
    for (size_t j = 0; j < g->nslots; j++)
        if (g->slots[j].task != DR_TASK_NONE &&
            (fnv(g->tasks[g->slots[j].task].key) & (g->nslots - 1)) > j)
            n++;
    return n;
}

Test(graph_index, every_key_is_found_before_and_after_the_build) {
    size_t wraps = 0;
    for (size_t n = 1; n <= 3000; n += n < 100 ? 1 : 97) {
        dr_graph *g = dr_graph_create();
        add_fresh(g, 0, n);
        cr_assert_eq(g->nunindexed, n);
        all_found(g, n); /* by scanning the tasks not in the index */
        cr_assert_eq(dr__graph_index_build(g, NULL), 0);
        cr_assert_eq(g->nunindexed, 0);
        cr_assert_geq(g->nslots, 2 * (n + 1));
        all_found(g, n);
        wraps += wrapped(g);
        dr_graph_destroy(g);
    }
    /* Some table had a run past its end, so that case was checked too. */
    cr_assert_gt(wraps, 0);
}

Test(graph_index, a_few_new_tasks_go_in_one_by_one_and_many_rebuild) {
    dr_graph *g = dr_graph_create();
    add_fresh(g, 0, 1000);
    cr_assert_eq(dr__graph_index_build(g, NULL), 0);
    const dr__slot *before = g->slots;
    size_t nslots = g->nslots;
    add_fresh(g, 1000, 1010); /* room left, a few: the same table */
    cr_assert_eq(dr__graph_index_build(g, NULL), 0);
    cr_assert_eq(g->slots, before);
    cr_assert_eq(g->nslots, nslots);
    all_found(g, 1010);
    add_fresh(g, 1010, 3000); /* past the room: a larger table */
    cr_assert_eq(dr__graph_index_build(g, NULL), 0);
    cr_assert_gt(g->nslots, nslots);
    all_found(g, 3000);
    dr_graph_destroy(g);
}

Test(graph_index, a_key_made_twice_is_refused_and_the_index_kept) {
    for (int few = 0; few <= 1; few++) {
        dr_graph *g = dr_graph_create();
        add_fresh(g, 0, 500);
        if (few)
            cr_assert_eq(dr__graph_index_build(g, NULL), 0);
        const dr__slot *table = g->slots;
        size_t nslots = g->nslots;
        dr_task t, dup = DR_TASK_NONE;
        cr_assert_eq(dr__graph_add_task_fresh(g, "extra", &t), 0);
        cr_assert_eq(dr__graph_add_task_fresh(g, "task-7", &t), 0);
        cr_assert_eq(dr__graph_index_build(g, &dup), DR_EEXIST);
        cr_assert_eq(dup, t, "the second task with the key");
        /* The same table, and none of the new tasks in it. */
        cr_assert_eq(g->slots, table);
        cr_assert_eq(g->nslots, nslots);
        for (size_t j = 0; j < g->nslots; j++)
            cr_assert(g->slots[j].task == DR_TASK_NONE ||
                          g->slots[j].task < 500,
                      "slot %zu holds new task %u", j, g->slots[j].task);
        /* Nothing half-built: what was indexed is still found. */
        all_found(g, 500);
        if (few)
            cr_assert_eq(dr_graph_find(g, "extra"), (dr_task)500,
                         "found by the scan of the tasks not in the index");
        dr_graph_destroy(g);
    }
}

Test(graph_index, dr_graph_add_task_builds_first_and_sees_fresh_keys) {
    dr_graph *g = dr_graph_create();
    add_fresh(g, 0, 200);
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, "task-150", &t), DR_EEXIST);
    cr_assert_eq(g->nunindexed, 0);
    cr_assert_eq(dr_graph_add_task(g, "new", &t), 0);
    cr_assert_eq(t, 200);
    all_found(g, 200);
    cr_assert_eq(dr_graph_find(g, "new"), 200);
    dr_graph_destroy(g);
}

Test(graph_index, a_generated_graph_finds_every_key) {
    dr_error err;
    dr_error_clear(&err);
    dr_param p[] = {{"layers", 50}, {"width", 40}};
    dr_graph *g = dr_generate("layered", p, 2, 1, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_assert_eq(g->nunindexed, 0, "the generator builds the index");
    cr_assert_eq(dr_graph_ntasks(g), 2000);
    for (dr_task t = 0; t < 2000; t++)
        cr_assert_eq(dr_graph_find(g, dr_task_key(g, t)), t);
    dr_graph_destroy(g);
}
