/*
 * The drawn graph: what a DAG diagram hands to Graphviz, decided before
 * Graphviz sees it.  Nodes (tasks, or groups of tasks) are numbered in a
 * topological order; edges carry how many dependencies they stand for and
 * whether they are on the critical path.  Three things are decided here:
 *
 * - Which edges are drawn: the transitive reduction (graph/reduce.c), so an
 *   edge a -> c is hidden when a -> b -> c already orders a before c.  The
 *   critical path's edges are always drawn.
 *
 * - How wide ranks wrap, as Graphviz's `unflatten` does (it is a command,
 *   not a library call, in Graphviz 2.42): in a level wider than a page,
 *   the leaves (a source with one edge out, a sink with one edge in) are
 *   laid out as a grid of k rows by raising the `minlen` of their edges.  An
 * edge u -> v gets minlen 1 + (rows below u in its level) + (rows above v in
 * its level), so every path through a wrapped level is k ranks long and the
 * level keeps its place in the picture; invisible edges down each column keep
 * the grid's columns aligned, and the caller concentrates edges so the rows
 * above share one lane.  Pi's 32 maps become a block of 7 rows instead of a
 * strip 3,600 pixels wide.
 *
 * - What the layout will cost, predicted from the ranks that result.  dot's
 *   time is governed by the graph it lays out after ranking: every rank an
 *   edge crosses becomes a virtual node, and x positioning (network simplex
 *   on an auxiliary graph) grows with the nodes, real and virtual, times the
 *   widest rank; crossing minimisation, on dense graphs whose edges no path
 *   implies (a layered graph with 20 of 50 dependencies per task), grows
 *   with the square of the edges drawn: `dot -v` spends 6 of its 9.5 s in
 *   mincross on 300 tasks and 5,000 edges.  So the prediction is ORDER *
 *   (nodes + virtual nodes) * widest rank + LINEAR * (nodes + edges) + PAIRS
 *   * edges^2 seconds, with the ranks estimated by longest path (dot's own
 *   ranking is never longer); the edges of a wrapped grid's column are
 *   merged by concentrate, so they count one lane.  Graphviz has no time
 *   limit that a library call can set, so the caller compares this with its
 *   budget and draws less before calling dot.  The constants were fitted to
 *   dot 2.43's CPU times on 20 graphs of 50-320 tasks (chains, trees,
 *   Cholesky, stencil, map-reduce, fork-join, STG, random DAGs sparse and
 *   dense, layered with 3-40 dependencies per task; docs/visualising.md):
 *   the prediction is within a factor of 2 of the measurement, either way.
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dr__dgraph_init(dr__dgraph *d, size_t n, int merge) {
    memset(d, 0, sizeof(*d));
    d->n = n;
    d->merge = merge;
    size_t m = n ? n : 1;
    d->extent = calloc(m, sizeof(*d->extent));
    d->rank = calloc(m, sizeof(*d->rank));
    d->shared = calloc(m, 1);
    d->off = calloc(m + 1, sizeof(*d->off));
    return d->extent && d->rank && d->shared && d->off ? 0 : DR_ENOMEM;
}

void dr__dgraph_free(dr__dgraph *d) {
    free(d->extent);
    free(d->rank);
    free(d->shared);
    free(d->off);
    free(d->e);
    free(d->slot);
    memset(d, 0, sizeof(*d));
}

static size_t pair_hash(uint32_t a, uint32_t b, size_t cap) {
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^
                 (uint64_t)b * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(h ^ h >> 29) & (cap - 1);
}

/* The index of edge (from, to) when merging, or -1 (new).  The table of
 * edge indexes grows to stay at most half full. */
static long merge_find(dr__dgraph *d, uint32_t from, uint32_t to, int *oom) {
    *oom = 0;
    if (2 * (d->m + 1) > d->nslot) {
        size_t cap = d->nslot ? 2 * d->nslot : 256;
        uint32_t *slot = malloc(cap * sizeof(*slot));
        if (slot == NULL) {
            *oom = 1;
            return -1;
        }
        memset(slot, 0xff, cap * sizeof(*slot));
        for (size_t i = 0; i < d->m; i++) {
            size_t h = pair_hash(d->e[i].from, d->e[i].to, cap);
            while (slot[h] != UINT32_MAX)
                h = (h + 1) & (cap - 1);
            slot[h] = (uint32_t)i;
        }
        free(d->slot);
        d->slot = slot;
        d->nslot = cap;
    }
    size_t h = pair_hash(from, to, d->nslot);
    for (; d->slot[h] != UINT32_MAX; h = (h + 1) & (d->nslot - 1)) {
        const dr__dedge *e = &d->e[d->slot[h]];
        if (e->from == from && e->to == to)
            return (long)d->slot[h];
    }
    d->slot[h] = (uint32_t)d->m; /* the edge about to be appended */
    return -1;
}

int dr__dgraph_edge(dr__dgraph *d, uint32_t from, uint32_t to, uint32_t count,
                    int cp) {
    if (d->merge) {
        int oom;
        long i = merge_find(d, from, to, &oom);
        if (oom)
            return DR_ENOMEM;
        if (i >= 0) {
            d->e[i].count += count;
            d->e[i].cp |= (unsigned char)(cp != 0);
            return 0;
        }
    }
    if (d->m == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        dr__dedge *e = realloc(d->e, cap * sizeof(*e));
        if (e == NULL)
            return DR_ENOMEM;
        d->e = e;
        d->cap = cap;
    }
    dr__dedge *e = &d->e[d->m++];
    memset(e, 0, sizeof(*e));
    e->from = from;
    e->to = to;
    e->count = count;
    e->cp = (unsigned char)(cp != 0);
    e->minlen = 1;
    return 0;
}

static int by_from_to(const void *pa, const void *pb) {
    const dr__dedge *a = pa, *b = pb;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    return 0;
}

/* Sorts the edges by (from, to), merges repeats (adding their counts) and
 * builds the successor offsets. */
static void finish_edges(dr__dgraph *d) {
    if (d->m > 1)
        qsort(d->e, d->m, sizeof(*d->e), by_from_to);
    size_t k = 0;
    for (size_t i = 0; i < d->m; i++) {
        if (k > 0 && d->e[k - 1].from == d->e[i].from &&
            d->e[k - 1].to == d->e[i].to) {
            d->e[k - 1].count += d->e[i].count;
            d->e[k - 1].cp |= d->e[i].cp;
            d->e[k - 1].invis &= d->e[i].invis;
        } else
            d->e[k++] = d->e[i];
    }
    d->m = k;
    /* Edges moved: the merge table is stale, and nothing merges later. */
    free(d->slot);
    d->slot = NULL;
    d->nslot = 0;
    d->merge = 0;
    memset(d->off, 0, (d->n + 1) * sizeof(*d->off));
    for (size_t i = 0; i < d->m; i++)
        d->off[d->e[i].from + 1]++;
    for (size_t u = 0; u < d->n; u++)
        d->off[u + 1] += d->off[u];
}

int dr__dgraph_reduce(dr__dgraph *d) {
    finish_edges(d);
    d->nhidden = 0;
    d->reduced = 0;
    uint32_t *succ = malloc((d->m ? d->m : 1) * sizeof(*succ));
    unsigned char *implied = malloc(d->m ? d->m : 1);
    if (succ == NULL || implied == NULL) {
        free(succ);
        free(implied);
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < d->m; i++)
        succ[i] = d->e[i].to;
    int rc = dr__dag_reduce(d->n, d->off, succ, implied, NULL);
    if (rc == 0) {
        d->reduced = 1;
        for (size_t i = 0; i < d->m; i++) {
            d->e[i].hidden = implied[i] && !d->e[i].cp;
            d->nhidden += d->e[i].hidden;
            d->hidden_count += d->e[i].hidden ? d->e[i].count : 0;
        }
    }
    free(succ);
    free(implied);
    /* Too many nodes to reduce: every edge is drawn. */
    return rc == DR_ETOOBIG ? 0 : rc;
}

/* rank[v] = max over drawn in-edges of rank[u] + minlen.  Edges are sorted
 * by source and sources are in a topological order, so every in-edge of u
 * comes before u's out-edges and one pass suffices. */
static void ranks(dr__dgraph *d) {
    memset(d->rank, 0, d->n * sizeof(*d->rank));
    for (size_t i = 0; i < d->m; i++) {
        const dr__dedge *e = &d->e[i];
        if (!e->hidden && d->rank[e->from] + e->minlen > d->rank[e->to])
            d->rank[e->to] = d->rank[e->from] + e->minlen;
    }
}

int dr__dgraph_wrap(dr__dgraph *d, double max_extent) {
    for (size_t i = 0; i < d->m; i++)
        d->e[i].minlen = 1;
    ranks(d);
    uint32_t levels = 0;
    for (size_t v = 0; v < d->n; v++)
        if (d->rank[v] + 1 > levels)
            levels = d->rank[v] + 1;
    d->wrapped_levels = 0;
    memset(d->shared, 0, d->n);
    if (levels == 0 || !(max_extent > 0))
        return 0;
    size_t m = d->n ? d->n : 1;
    double *extent = calloc(levels, sizeof(*extent));
    uint32_t *cols = calloc(levels, sizeof(*cols));
    uint32_t *total = calloc(levels, sizeof(*total));
    uint32_t *start = calloc(levels + 1, sizeof(*start));
    uint32_t *seen = calloc(levels, sizeof(*seen));
    uint32_t *bylevel = malloc(m * sizeof(*bylevel));
    uint32_t *down = calloc(m, sizeof(*down));
    uint32_t *up = calloc(m, sizeof(*up));
    uint32_t *above = malloc(m * sizeof(*above));
    double *moving = calloc(levels, sizeof(*moving));
    unsigned char *movable = malloc(m);
    int rc = DR_ENOMEM;
    if (!extent || !cols || !total || !start || !seen || !bylevel || !down ||
        !up || !above || !moving || !movable)
        goto out;
    /* Only leaves move, as unflatten -l moves them: a source with one
     * drawn edge out (a map feeding its reduce) or a sink with one in.
     * Moving a node with edges on both sides (fork -> work -> join) or
     * several on one drags them across the rows into a tangle. */
    for (size_t i = 0; i < d->m; i++)
        if (!d->e[i].hidden) {
            up[d->e[i].to]++;
            down[d->e[i].from]++;
        }
    for (size_t v = 0; v < d->n; v++) {
        movable[v] = up[v] == 0 && down[v] <= 1   ? 1 /* a source */
                     : down[v] == 0 && up[v] <= 1 ? 2 /* a sink */
                                                  : 0;
        up[v] = down[v] = 0;
        extent[d->rank[v]] += d->extent[v];
        if (movable[v]) {
            total[d->rank[v]]++;
            moving[d->rank[v]] += d->extent[v];
        }
    }
    /* A wrapped level is a grid of its movable nodes, as many columns as
     * fit beside the others within max_extent, in their order row by row;
     * cols == total: not wrapped. */
    for (uint32_t l = 0; l < levels; l++) {
        cols[l] = total[l];
        start[l + 1] = start[l] + total[l];
        /* Wrapping helps only when the movable nodes are most of the
         * level's width. */
        if (extent[l] <= max_extent || total[l] < 2 ||
            moving[l] < 0.5 * extent[l])
            continue;
        /* Each column also needs a lane for the edges of the rows above. */
        double each = moving[l] / total[l] + DR__WRAP_LANE;
        double room = max_extent - (extent[l] - moving[l]);
        uint32_t c = room < 2 * each ? 2 : (uint32_t)(room / each);
        uint32_t k = (total[l] + c - 1) / c;
        if (k > DR__WRAP_MAX_ROWS) {
            k = DR__WRAP_MAX_ROWS;
            c = (total[l] + k - 1) / k;
        }
        if (k > 1) {
            cols[l] = c;
            d->wrapped_levels++;
        }
    }
    for (size_t v = 0; v < d->n; v++) {
        above[v] = UINT32_MAX;
        uint32_t l = d->rank[v], c = cols[l];
        if (!movable[v] || c >= total[l])
            continue;
        uint32_t i = seen[l]++;
        bylevel[start[l] + i] = (uint32_t)v;
        uint32_t k = (total[l] + c - 1) / c, r = i / c;
        up[v] = r;
        down[v] = k - 1 - r;
        if (r > 0)
            above[v] = bylevel[start[l] + i - c];
        /* Concentrated, a column's edges share the lane of its longest:
         * the top row's for sources, the bottom row's for sinks. */
        d->shared[v] = movable[v] == 1 ? r > 0 : r + 1 < k;
    }
    for (size_t i = 0; i < d->m; i++)
        d->e[i].minlen = 1 + down[d->e[i].from] + up[d->e[i].to];
    /* Invisible edges down each column keep the rows stacked. */
    for (size_t v = 0; v < d->n; v++)
        if (above[v] != UINT32_MAX) {
            if (dr__dgraph_edge(d, above[v], (uint32_t)v, 0, 0) != 0)
                goto out;
            d->e[d->m - 1].invis = 1;
        }
    finish_edges(d);
    ranks(d);
    rc = 0;
out:
    free(extent);
    free(cols);
    free(total);
    free(start);
    free(seen);
    free(bylevel);
    free(down);
    free(up);
    free(above);
    free(moving);
    free(movable);
    return rc;
}

double dr__dgraph_cost(const dr__dgraph *d) {
    uint32_t ranks_n = 0;
    for (size_t v = 0; v < d->n; v++)
        if (d->rank[v] + 1 > ranks_n)
            ranks_n = d->rank[v] + 1;
    /* Width of each rank in real and virtual nodes: a difference array
     * over the ranks each long edge crosses. */
    double *width = calloc((size_t)ranks_n + 1, sizeof(*width));
    if (width == NULL)
        return INFINITY;
    for (size_t v = 0; v < d->n; v++)
        width[d->rank[v]] += 1;
    double *cross = calloc((size_t)ranks_n + 1, sizeof(*cross));
    if (cross == NULL) {
        free(width);
        return INFINITY;
    }
    double edges = 0, virt = 0;
    for (size_t i = 0; i < d->m; i++) {
        const dr__dedge *e = &d->e[i];
        if (e->hidden)
            continue;
        edges += 1;
        uint32_t a = d->rank[e->from], b = d->rank[e->to];
        if (b > a + 1 && !d->shared[e->from] && !d->shared[e->to]) {
            virt += b - a - 1;
            cross[a + 1] += 1;
            cross[b] -= 1;
        }
    }
    double run = 0, wmax = 0;
    for (uint32_t r = 0; r < ranks_n; r++) {
        run += cross[r];
        if (width[r] + run > wmax)
            wmax = width[r] + run;
    }
    free(width);
    free(cross);
    double nodes = (double)d->n + virt;
    return DR__COST_ORDER * nodes * wmax +
           DR__COST_LINEAR * ((double)d->n + edges) +
           DR__COST_PAIRS * edges * edges;
}
