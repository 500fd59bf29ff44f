/*
 * The benchmark graphs (shapes.h).  Keys are "t<i>" (and "sink0"), built
 * with the public API as a user program would.
 */
#include "shapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, int rc) {
    fprintf(stderr, "bench: %s: %s\n", what, dr_strerror(rc));
    exit(1);
}

static dr_task add(dr_graph *g, const char *prefix, size_t i) {
    char key[48];
    snprintf(key, sizeof(key), "%s%zu", prefix, i);
    dr_task t;
    int rc = dr_graph_add_task(g, key, &t);
    if (rc == 0)
        rc = dr_task_set_builtin(g, t, "noop", NULL);
    if (rc != 0)
        die("add task", rc);
    return t;
}

static void dep(dr_graph *g, dr_task t, dr_task d) {
    int rc = dr_graph_add_dep(g, t, d);
    if (rc != 0)
        die("add dependency", rc);
}

static dr_graph *create(void) {
    dr_graph *g = dr_graph_create();
    if (g == NULL)
        die("create graph", DR_ENOMEM);
    return g;
}

dr_graph *shape_wide(size_t n) {
    dr_graph *g = create();
    dr_task sink = add(g, "sink", 0);
    for (size_t i = 0; i < n; i++)
        dep(g, sink, add(g, "t", i));
    return g;
}

dr_graph *shape_chain(size_t n) {
    dr_graph *g = create();
    dr_task prev = add(g, "t", 0);
    for (size_t i = 1; i < n; i++) {
        dr_task t = add(g, "t", i);
        dep(g, t, prev);
        prev = t;
    }
    return g;
}

dr_graph *shape_tree(size_t leaves) {
    dr_graph *g = create();
    dr_task *level = malloc(leaves * sizeof(*level));
    size_t n = leaves, next_id = 0;
    for (size_t i = 0; i < n; i++)
        level[i] = add(g, "t", next_id++);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            dr_task t = add(g, "t", next_id++);
            dep(g, t, level[i]);
            dep(g, t, level[i + 1]);
            level[m++] = t;
        }
        if (n % 2 == 1)
            level[m++] = level[n - 1]; /* the odd one joins the next level */
        n = m;
    }
    free(level);
    return g;
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

dr_graph *shape_layered(size_t layers, size_t width, size_t deps) {
    dr_graph *g = create();
    uint64_t seed = 1;
    dr_task first_prev = 0;
    for (size_t l = 0; l < layers; l++) {
        dr_task first = DR_TASK_NONE;
        for (size_t i = 0; i < width; i++) {
            dr_task t = add(g, "t", l * width + i);
            if (first == DR_TASK_NONE)
                first = t;
            /* Repeats are possible and ignored by the graph, so a task has
             * at most `deps` dependencies (almost always exactly). */
            for (size_t d = 0; l > 0 && d < deps; d++)
                dep(g, t, first_prev + (dr_task)(rng_next(&seed) % width));
        }
        first_prev = first;
    }
    return g;
}

const shape shapes[] = {
    {"wide", "100,000 independent + 1 sink"},
    {"chain", "100,000 in a chain"},
    {"tree", "binary reduction, 100,000 leaves"},
    {"layered", "100 layers x 1,000, 4 deps each"},
};

const size_t nshapes = sizeof(shapes) / sizeof(shapes[0]);

dr_graph *shape_build(const char *name, double scale) {
    size_t n = (size_t)(100000 * scale);
    if (n < 2)
        n = 2;
    if (strcmp(name, "wide") == 0)
        return shape_wide(n);
    if (strcmp(name, "chain") == 0)
        return shape_chain(n);
    if (strcmp(name, "tree") == 0)
        return shape_tree(n);
    if (strcmp(name, "layered") != 0)
        return NULL;
    size_t layers = (size_t)(100 * scale);
    return shape_layered(layers < 2 ? 2 : layers, 1000, 4);
}

dr_graph *shape_build_valid(const char *name, double scale) {
    dr_graph *g = shape_build(name, scale);
    dr_error err;
    if (g == NULL || dr_graph_validate(g, &err) != 0) {
        fprintf(stderr, "bench: %s: %s\n", name,
                g == NULL ? "cannot build the graph" : err.text);
        exit(1);
    }
    return g;
}
