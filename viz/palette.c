/*
 * Colours and time labels, shared by the DAG diagram, the Gantt chart and
 * the report so that a worker or a group of tasks looks the same everywhere.
 * Both pictures colour either by worker or by structural group (--color
 * worker|group), and there are two palettes, so that one colour never means
 * a worker in one picture and a group in another:
 *
 * - workers: Tableau 10 without its red, plus a dark teal, all saturated
 *   and mid-dark, distinguishable with the common colour-vision
 *   deficiencies;
 * - groups: ColorBrewer Set3 without its salmon and grey, all light
 *   pastels, none of them in the worker palette, drawn with dark text.
 *
 * Both leave red free to mean "failed" and bold red "critical path", and
 * grey free for merged bars and tasks that did not run.
 *
 * A group's colour is decided by the trace (dr__vcolours_build): groups in
 * the order their first attempt started, ties by name.  The Gantt chart,
 * which has only the trace, and the DAG, which also has the graph, thus
 * give a group the same colour.
 */
#include "viz_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {
    "#4E79A7", /* blue */
    "#F28E2B", /* orange */
    "#59A14F", /* green */
    "#B07AA1", /* purple */
    "#76B7B2", /* teal */
    "#EDC948", /* yellow */
    "#9C755F", /* brown */
    "#FF9DA7", /* pink */
    "#499894", /* dark teal */
    "#BAB0AC", /* warm grey */
};

const char *dr_viz_palette(size_t i) {
    return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

size_t dr_viz_palette_size(void) {
    return sizeof(palette) / sizeof(palette[0]);
}

static const char *const prefix_palette[] = {
    "#8DD3C7", /* mint */
    "#FFFFB3", /* pale yellow */
    "#BEBADA", /* lavender */
    "#80B1D3", /* light blue */
    "#FDB462", /* apricot */
    "#B3DE69", /* lime */
    "#FCCDE5", /* light pink */
    "#BC80BD", /* orchid */
    "#CCEBC5", /* pale green */
    "#FFED6F", /* lemon */
};

const char *dr_viz_prefix_palette(size_t i) {
    return prefix_palette[i %
                          (sizeof(prefix_palette) / sizeof(prefix_palette[0]))];
}

size_t dr_viz_prefix_palette_size(void) {
    return sizeof(prefix_palette) / sizeof(prefix_palette[0]);
}

const char *dr__vtext_on(const char *fill, const char *dark) {
    unsigned r, g, b;
    if (sscanf(fill, "#%2x%2x%2x", &r, &g, &b) != 3)
        return dark;
    return 0.299 * r + 0.587 * g + 0.114 * b < 150 ? "white" : dark;
}

void dr__vfmt_time(char *buf, size_t len, double us) {
    double a = fabs(us);
    if (!isfinite(us)) { /* a figure that overflowed: unknown, not "inf s" */
        snprintf(buf, len, "\xE2\x80\x94");
        return;
    }
    if (a < 0.0005) {
        snprintf(buf, len, "0");
        return;
    }
    a = dr__round3(a); /* the unit after rounding: 999.9999 ms is 1 s */
    if (a >= 1e15)     /* beyond 31 years: "2e+300 s", not 300 digits */
        snprintf(buf, len, "%.3g s", us / 1e6);
    else if (a >= 1e9)
        snprintf(buf, len, "%.0f s", us / 1e6);
    else if (a >= 1e6)
        snprintf(buf, len, "%.3g s", us / 1e6);
    else if (a >= 1e3)
        snprintf(buf, len, "%.3g ms", us / 1e3);
    else
        snprintf(buf, len, "%.3g \xC2\xB5s", us);
}

/* --------------------------------------------------------- group colours */

static int by_name(const void *pa, const void *pb) {
    const dr__vcolour *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c;
    /* Equal names: the earliest first, so deduplication keeps it. */
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int by_first(const void *pa, const void *pb) {
    const dr__vcolour *a = *(dr__vcolour *const *)pa,
                      *b = *(dr__vcolour *const *)pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return strcmp(a->name, b->name);
}

const char *dr__vattempt_group(const dr__vattempt *a) {
    return a->cat[0] ? a->cat : a->task;
}

void dr__vcolours_free(dr__vcolours *c) {
    free(c->by_name);
    free(c->by_first);
    memset(c, 0, sizeof(*c));
}

int dr__vcolours_build(dr__vcolours *c, const dr__vtrace *t,
                       const char *const *extra, size_t nextra) {
    memset(c, 0, sizeof(*c));
    size_t n = t ? t->n : 0, cap = n + nextra;
    c->by_name = malloc((cap ? cap : 1) * sizeof(*c->by_name));
    c->by_first = malloc((cap ? cap : 1) * sizeof(*c->by_first));
    if (c->by_name == NULL || c->by_first == NULL) {
        dr__vcolours_free(c);
        return DR_ENOMEM;
    }
    dr__vcolour *e = c->by_name;
    /* Trace names tie by name (seq 0); names the trace lacks (tasks that
     * never ran, or no trace at all) come after, in the caller's order. */
    for (size_t i = 0; i < n; i++)
        e[i] = (dr__vcolour){dr__vattempt_group(&t->a[i]), t->a[i].ts, 0, 0};
    for (size_t i = 0; i < nextra; i++)
        e[n + i] = (dr__vcolour){extra[i], INFINITY, i + 1, 0};
    qsort(e, cap, sizeof(*e), by_name);
    size_t k = 0;
    for (size_t i = 0; i < cap; i++)
        if (k == 0 || strcmp(e[k - 1].name, e[i].name) != 0)
            e[k++] = e[i];
    for (size_t i = 0; i < k; i++)
        c->by_first[i] = &e[i];
    qsort(c->by_first, k, sizeof(*c->by_first), by_first);
    for (size_t i = 0; i < k; i++)
        c->by_first[i]->colour = i;
    c->n = k;
    return 0;
}

long dr__vcolours_index(const dr__vcolours *c, const char *name) {
    if (c->n == 0 || name == NULL)
        return -1;
    dr__vcolour key = {name, 0, 0, 0};
    /* by_name's tie-breaks never matter here: names are unique. */
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->by_name[mid].name, key.name);
        if (cmp == 0)
            return (long)c->by_name[mid].colour;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
