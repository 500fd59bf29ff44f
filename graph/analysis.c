/*
 * Graph analysis: work, span, critical path, levels, the parallelism profile
 * and the width (maximum antichain) of a task graph.
 *
 * Everything but the width is one or two passes over a topological order:
 *  - top level t(v) = max over dependencies u of t(u) + c(u): the earliest
 *    start with unlimited workers;
 *  - bottom level b(v) = c(v) + max over dependents w of b(w);
 *  - span = max b(v); the critical path is a longest path, chosen among
 *    equals by dr__critical_path's rule (the one the run summary and the
 *    DAG picture use too): most tasks, then first;
 *  - the profile is an event sweep over [t(v), t(v) + c(v)) for every task
 *    with a positive cost.  Event times that differ only by rounding (paths
 *    summing the same costs in another order) are merged.
 *
 * Width.  By Dilworth's theorem the largest antichain equals the smallest
 * number of chains covering the tasks, where a chain may skip over tasks
 * (chains live in the transitive closure) and chains may share tasks.  That
 * is a minimum flow with a lower bound of 1 on every task, which we reduce
 * to a maximum flow without ever building the closure (it can be quadratic):
 * start from one unit per task (n chains of one task) and cancel as many
 * units as possible by pushing flow backwards, from the sink to the source.
 * The residual network of that start has, for tasks v and edges u -> v,
 *     S -> out(u)   capacity 1   (a chain ending at u may be extended)
 *     out(u) -> in(v) unbounded  (along an edge)
 *     in(v) -> out(v) unbounded  (pass through v, which another chain also
 *                                covers: this is what walks the closure)
 *     in(v) -> T    capacity 1   (a chain starting at v may be absorbed)
 * and each unit of maximum flow F merges two chains, so width = n - F.
 * Dinic's algorithm solves it; the unit capacities at both ends keep the
 * number of phases small (a few dozen on 5,000-task graphs), and a phase is
 * O(V + E) amortised thanks to the current-arc pointers.
 *
 * Above the exact limit we drop the pass-through arcs: the flow is then a
 * maximum matching on the graph's own edges (Hopcroft-Karp in Dinic's
 * clothes), n minus it is the smallest cover by vertex-disjoint paths, an
 * upper bound on the width.  The lower bound reported beside it is the
 * larger of the profile's peak and the widest level (tasks at the same
 * number of edges from the sources), both antichains.
 */
#include "graph_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_EXACT_WIDTH_LIMIT 20000

/* ------------------------------------------------------- maximum flow */

typedef struct flow_net {
    size_t nnodes, narcs;
    uint32_t *off;  /* nnodes + 1: arcs of node x are off[x]..off[x+1]-1 */
    uint32_t *to;   /* arc head */
    uint32_t *rev;  /* index of the reverse arc */
    int32_t *cap;   /* residual capacity */
    int32_t *level; /* BFS distance from the source, -1: unreached */
    uint32_t *it;   /* current arc of each node */
    uint32_t *queue, *stack;
} flow_net;

static void flow_free(flow_net *f) {
    free(f->off);
    free(f->to);
    free(f->rev);
    free(f->cap);
    free(f->level);
    free(f->it);
    free(f->queue);
    free(f->stack);
}

enum { NODE_SRC = 0, NODE_SINK = 1 };
#define NODE_OUT(v) (2 + 2 * (size_t)(v))
#define NODE_IN(v) (3 + 2 * (size_t)(v))

/* Adds arc a -> b (capacity c) and its reverse, placed by the fill
 * counters `pos` (CSR built in two passes). */
static void flow_arc(flow_net *f, uint32_t *pos, size_t a, size_t b,
                     int32_t c) {
    uint32_t i = pos[a]++, j = pos[b]++;
    f->to[i] = (uint32_t)b;
    f->cap[i] = c;
    f->rev[i] = j;
    f->to[j] = (uint32_t)a;
    f->cap[j] = 0;
    f->rev[j] = i;
}

/* Builds the chain-merging network of the file comment.  `through` adds the
 * pass-through arcs (exact width); without them it is a bipartite
 * matching. */
static int flow_build(flow_net *f, const dr_graph *g, int through) {
    size_t n = g->ntasks, m = g->nedges;
    memset(f, 0, sizeof(*f));
    f->nnodes = 2 * n + 2;
    f->narcs = 2 * (2 * n + m + (through ? n : 0));
    if (f->narcs >= UINT32_MAX || n >= INT32_MAX / 2)
        return DR_ETOOBIG;
    f->off = calloc(f->nnodes + 1, sizeof(*f->off));
    f->to = malloc(f->narcs * sizeof(*f->to));
    f->rev = malloc(f->narcs * sizeof(*f->rev));
    f->cap = malloc(f->narcs * sizeof(*f->cap));
    f->level = malloc(f->nnodes * sizeof(*f->level));
    f->it = malloc(f->nnodes * sizeof(*f->it));
    f->queue = malloc(f->nnodes * sizeof(*f->queue));
    f->stack = malloc(f->nnodes * sizeof(*f->stack));
    uint32_t *pos = malloc((f->nnodes + 1) * sizeof(*pos));
    if (f->off == NULL || f->to == NULL || f->rev == NULL || f->cap == NULL ||
        f->level == NULL || f->it == NULL || f->queue == NULL ||
        f->stack == NULL || pos == NULL) {
        free(pos);
        flow_free(f);
        return DR_ENOMEM;
    }
    /* Degrees first (each arc counts at both ends), then prefix sums. */
    uint32_t *deg = f->off + 1;
    for (size_t v = 0; v < n; v++) {
        uint32_t nd;
        const dr_task *dv = dr__task_deps_of(g, (dr_task)v, &nd);
        deg[NODE_SRC]++, deg[NODE_OUT(v)]++;
        deg[NODE_IN(v)]++, deg[NODE_SINK]++;
        if (through)
            deg[NODE_IN(v)]++, deg[NODE_OUT(v)]++;
        for (uint32_t k = 0; k < nd; k++)
            deg[NODE_OUT(dv[k])]++, deg[NODE_IN(v)]++;
    }
    for (size_t x = 0; x < f->nnodes; x++)
        f->off[x + 1] += f->off[x];
    memcpy(pos, f->off, (f->nnodes + 1) * sizeof(*pos));
    const int32_t inf = (int32_t)(n + 1);
    for (size_t v = 0; v < n; v++) {
        uint32_t nd;
        const dr_task *dv = dr__task_deps_of(g, (dr_task)v, &nd);
        flow_arc(f, pos, NODE_SRC, NODE_OUT(v), 1);
        flow_arc(f, pos, NODE_IN(v), NODE_SINK, 1);
        if (through)
            flow_arc(f, pos, NODE_IN(v), NODE_OUT(v), inf);
        for (uint32_t k = 0; k < nd; k++)
            flow_arc(f, pos, NODE_OUT(dv[k]), NODE_IN(v), through ? inf : 1);
    }
    free(pos);
    return 0;
}

/* Levels by BFS from the source; returns 1 when the sink is reachable. */
static int flow_bfs(flow_net *f) {
    for (size_t x = 0; x < f->nnodes; x++)
        f->level[x] = -1;
    size_t head = 0, tail = 0;
    f->level[NODE_SRC] = 0;
    f->queue[tail++] = NODE_SRC;
    while (head < tail) {
        uint32_t x = f->queue[head++];
        if (x == NODE_SINK)
            continue;
        for (uint32_t a = f->off[x]; a < f->off[x + 1]; a++) {
            uint32_t y = f->to[a];
            if (f->cap[a] > 0 && f->level[y] < 0) {
                f->level[y] = f->level[x] + 1;
                f->queue[tail++] = y;
            }
        }
    }
    return f->level[NODE_SINK] >= 0;
}

/* One blocking flow by repeated depth-first searches along the levels.
 * Every path carries one unit (the source's arcs have capacity 1).  The DFS
 * is iterative: a 100,000-task chain would be 200,000 frames deep. */
static size_t flow_blocking(flow_net *f) {
    size_t pushed = 0;
    for (size_t x = 0; x < f->nnodes; x++)
        f->it[x] = f->off[x];
    int32_t sink_level = f->level[NODE_SINK];
    for (;;) {
        /* stack[i] holds the arc taken out of the i-th node of the path. */
        size_t depth = 0;
        uint32_t x = NODE_SRC;
        for (;;) {
            if (x == NODE_SINK)
                break;
            uint32_t a = f->it[x];
            for (; a < f->off[x + 1]; a++) {
                uint32_t y = f->to[a];
                if (f->cap[a] > 0 && f->level[y] == f->level[x] + 1 &&
                    (f->level[y] < sink_level || y == NODE_SINK))
                    break;
            }
            f->it[x] = a;
            if (a < f->off[x + 1]) {
                f->stack[depth++] = a;
                x = f->to[a];
                continue;
            }
            /* Dead end: x is useless for the rest of this phase. */
            f->level[x] = -1;
            if (depth == 0)
                return pushed;
            uint32_t back = f->stack[--depth];
            x = f->to[f->rev[back]];
            f->it[x]++;
        }
        for (size_t i = 0; i < depth; i++) {
            uint32_t a = f->stack[i];
            f->cap[a] -= 1;
            f->cap[f->rev[a]] += 1;
        }
        pushed++;
    }
}

/* Width (exact) or the path-cover upper bound.  Returns 0 or DR_E*. */
static int compute_width(const dr_graph *g, int exact, size_t *width) {
    flow_net f;
    int rc = flow_build(&f, g, exact);
    if (rc != 0)
        return rc;
    size_t flow = 0;
    while (flow_bfs(&f))
        flow += flow_blocking(&f);
    flow_free(&f);
    *width = g->ntasks - flow;
    return 0;
}

/* ------------------------------------------------------------ profile */

/* qsort's order of doubles, ascending (graph_internal.h). */
int dr__cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dr__round3(double x) {
    if (!isfinite(x))
        return x;
    char t[32];
    snprintf(t, sizeof t, "%.3g", x);
    return strtod(t, NULL);
}

/* Sweeps the start and end events of the earliest-start schedule. */
static int compute_profile(dr_analysis *an, const double *cost) {
    size_t n = an->tasks, k = 0;
    double *starts = malloc((n ? n : 1) * sizeof(*starts));
    double *ends = malloc((n ? n : 1) * sizeof(*ends));
    if (starts == NULL || ends == NULL) {
        free(starts);
        free(ends);
        return DR_ENOMEM;
    }
    for (size_t v = 0; v < n; v++) {
        if (cost[v] > 0) {
            starts[k] = an->top_level[v];
            ends[k] = an->top_level[v] + cost[v];
            k++;
        }
    }
    qsort(starts, k, sizeof(*starts), dr__cmp_double);
    qsort(ends, k, sizeof(*ends), dr__cmp_double);
    /* At most one profile point per distinct event time. */
    an->profile_time = malloc((2 * k + 1) * sizeof(*an->profile_time));
    an->profile_running = malloc((2 * k + 1) * sizeof(*an->profile_running));
    if (an->profile_time == NULL || an->profile_running == NULL) {
        free(starts);
        free(ends);
        return DR_ENOMEM;
    }
    const double tol = 1e-9 * (an->span > 1 ? an->span : 1);
    size_t i = 0, j = 0, running = 0;
    while (i < k || j < k) {
        double t = j < k ? ends[j] : INFINITY;
        if (i < k && starts[i] < t)
            t = starts[i];
        while (j < k && ends[j] <= t + tol)
            j++, running--;
        while (i < k && starts[i] <= t + tol)
            i++, running++;
        if (i == k && j == k)
            break; /* the final end, at the span */
        size_t len = an->profile_len;
        if (len > 0 && an->profile_running[len - 1] == running)
            continue;
        an->profile_time[len] = t;
        an->profile_running[len] = (uint32_t)running;
        an->profile_len++;
        if (running > an->max_profile)
            an->max_profile = running;
    }
    free(starts);
    free(ends);
    return 0;
}

/* ------------------------------------------------------ critical path */

int dr__critical_path(const dr_graph *g, const double *weight,
                      const unsigned char *skip, dr_task *prev, dr_task *end,
                      double *length) {
    size_t n = dr_graph_ntasks(g);
    const dr_task *topo = dr_graph_topo_order(g);
    double *dist = malloc((n ? n : 1) * sizeof(*dist));
    size_t *count = malloc((n ? n : 1) * sizeof(*count));
    if (dist == NULL || count == NULL || (topo == NULL && n > 0)) {
        free(dist);
        free(count);
        return DR_ENOMEM;
    }
    /* (dist, count) of the best path ending at each task, compared
     * lexicographically; the first of equals wins everywhere. */
    dr_task best = DR_TASK_NONE;
    for (size_t i = 0; i < n; i++) {
        dr_task t = topo[i];
        prev[t] = DR_TASK_NONE;
        if (skip != NULL && skip[t])
            continue;
        size_t nd;
        const dr_task *deps = dr_task_deps(g, t, &nd);
        double before = 0;
        size_t tasks = 0;
        for (size_t j = 0; j < nd; j++) {
            dr_task u = deps[j];
            if (skip != NULL && skip[u])
                continue;
            if (prev[t] == DR_TASK_NONE || dist[u] > before ||
                (dist[u] == before && count[u] > tasks)) {
                before = dist[u];
                tasks = count[u];
                prev[t] = u;
            }
        }
        dist[t] = before + weight[t];
        count[t] = tasks + 1;
        if (best == DR_TASK_NONE || dist[t] > dist[best] ||
            (dist[t] == dist[best] && count[t] > count[best]))
            best = t;
    }
    *end = best;
    *length = best == DR_TASK_NONE ? 0 : dist[best];
    free(dist);
    free(count);
    return 0;
}

/* ----------------------------------------------------------- analysis */

void dr_analysis_destroy(dr_analysis *a) {
    if (a == NULL)
        return;
    free(a->critical_path);
    free(a->top_level);
    free(a->bottom_level);
    free(a->profile_time);
    free(a->profile_running);
    free(a);
}

double dr__task_estimate(const dr_graph *g, dr_task t, int *guessed) {
    int has_cost = dr_task_has_cost(g, t);
    const char *op = !has_cost && dr_task_op_kind(g, t) == DR_OP_BUILTIN
                         ? dr_task_op_name(g, t)
                         : NULL;
    /* (the first letter spares most tasks two string compares) */
    const char *arg = op == NULL || op[0] != 's' ? NULL
                      : strcmp(op, "sleep") == 0 ? "ms"
                      : strcmp(op, "spin") == 0  ? "units"
                                                 : NULL;
    if (guessed != NULL)
        *guessed = !has_cost && arg == NULL;
    if (arg != NULL)
        return json_number_value(json_object_get(dr_task_op_args(g, t), arg)) /
               1000.0;
    return dr_task_cost(g, t);
}

int dr__analysis_check_work(const dr_graph *g, dr_error *err) {
    size_t n = g->ntasks;
    double work = 0;
    dr_task longest = 0;
    double most = -1;
    for (size_t v = 0; v < n; v++) {
        double c = dr__task_estimate(g, (dr_task)v, NULL);
        work += c;
        if (c > most) {
            most = c;
            longest = (dr_task)v;
        }
    }
    /* Every cost is finite (dr_task_set_cost), but their sum may not be;
     * then the span, the parallelism and the bounds are meaningless
     * (inf / inf), so say which total overflowed instead. */
    if (isfinite(work))
        return 0;
    dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                  "the costs of the %zu tasks add up to more than %g s "
                  "(the largest: task '%s', %g s): the work T1 is not a "
                  "finite number; scale the costs down",
                  n, DBL_MAX, dr_task_key(g, longest), most);
    return DR_ERANGE;
}

dr_analysis *dr_analyze(dr_graph *g, const dr_analyze_options *opts,
                        dr_error *err) {
    if (g == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no graph");
        return NULL;
    }
    if (dr_graph_validate(g, err) != 0 || dr__analysis_check_work(g, err) != 0)
        return NULL;
    size_t limit = opts != NULL && opts->exact_width_limit > 0
                       ? opts->exact_width_limit
                       : DEFAULT_EXACT_WIDTH_LIMIT;
    size_t n = g->ntasks;
    const dr_task *topo = dr_graph_topo_order(g);
    dr_analysis *an = calloc(1, sizeof(*an));
    double *cost = malloc((n ? n : 1) * sizeof(*cost));
    uint32_t *depth = calloc(n ? n : 1, sizeof(*depth));
    size_t *per_level = calloc(n + 1, sizeof(*per_level));
    int rc = DR_ENOMEM;
    if (an == NULL || cost == NULL || depth == NULL || per_level == NULL)
        goto fail;
    an->top_level = malloc((n ? n : 1) * sizeof(*an->top_level));
    an->bottom_level = malloc((n ? n : 1) * sizeof(*an->bottom_level));
    if (an->top_level == NULL || an->bottom_level == NULL)
        goto fail;
    an->tasks = n;
    an->edges = dr_graph_nedges(g);

    for (size_t v = 0; v < n; v++) {
        cost[v] = dr__task_estimate(g, (dr_task)v, NULL);
        an->work += cost[v]; /* finite: dr__analysis_check_work */
    }
    /* Forward pass: top levels and levels by count. */
    for (size_t i = 0; i < n; i++) {
        dr_task v = topo[i];
        uint32_t nd;
        const dr_task *dv = dr__task_deps_of(g, v, &nd);
        double top = 0;
        uint32_t d = 0;
        for (uint32_t k = 0; k < nd; k++) {
            dr_task u = dv[k];
            double end = an->top_level[u] + cost[u];
            if (end > top)
                top = end;
            if (depth[u] + 1 > d)
                d = depth[u] + 1;
        }
        an->top_level[v] = top;
        depth[v] = d;
        per_level[d]++;
        if (d + 1 > an->depth)
            an->depth = d + 1;
        if (nd == 0)
            an->sources++;
    }
    /* Backward pass: bottom levels. */
    for (size_t i = n; i-- > 0;) {
        dr_task v = topo[i];
        uint32_t a = g->succ_off[v], b = g->succ_off[v + 1];
        double below = 0;
        for (uint32_t k = a; k < b; k++)
            if (an->bottom_level[g->succ[k]] > below)
                below = an->bottom_level[g->succ[k]];
        an->bottom_level[v] = cost[v] + below;
        if (a == b)
            an->sinks++;
    }
    /* The critical path: the rule every picture and summary shares. */
    {
        dr_task *prev = malloc((n ? n : 1) * sizeof(*prev));
        dr_task end;
        double length;
        if (prev == NULL ||
            dr__critical_path(g, cost, NULL, prev, &end, &length) != 0) {
            free(prev);
            goto fail;
        }
        size_t len = 0;
        for (dr_task v = end; v != DR_TASK_NONE; v = prev[v])
            len++;
        an->span = length;
        if (len > 0) {
            an->critical_path = malloc(len * sizeof(*an->critical_path));
            if (an->critical_path == NULL) {
                free(prev);
                goto fail;
            }
            an->critical_path_len = len;
            for (dr_task v = end; v != DR_TASK_NONE; v = prev[v])
                an->critical_path[--len] = v;
        }
        free(prev);
    }
    an->parallelism = an->span > 0 ? an->work / an->span : 0;
    if ((rc = compute_profile(an, cost)) != 0)
        goto fail;

    size_t widest_level = 0;
    for (size_t d = 0; d < an->depth; d++)
        if (per_level[d] > widest_level)
            widest_level = per_level[d];
    an->width_lower =
        widest_level > an->max_profile ? widest_level : an->max_profile;
    an->width_exact = n <= limit;
    if ((rc = compute_width(g, an->width_exact, &an->width)) != 0)
        goto fail;
    if (an->width_exact)
        an->width_lower = an->width;
    free(cost);
    free(depth);
    free(per_level);
    return an;

fail:
    dr__error_set(err, rc, NULL, 0, 0, NULL, "analysis: %s", dr_strerror(rc));
    free(cost);
    free(depth);
    free(per_level);
    dr_analysis_destroy(an);
    return NULL;
}

double dr_analysis_lower_bound(const dr_analysis *a, unsigned p) {
    if (a == NULL)
        return 0;
    double spread = a->work / (p > 0 ? p : 1);
    return spread > a->span ? spread : a->span;
}

/* json_real() refuses non-finite numbers; our values are finite, but a
 * NULL here would silently drop a key, so fall back to 0. */
static json_t *real(double x) { return json_real(isfinite(x) ? x : 0); }

json_t *dr_analysis_to_json(const dr_analysis *a, const dr_graph *g) {
    if (a == NULL || g == NULL)
        return NULL;
    json_t *o = json_object();
    json_t *path = json_array();
    json_t *bounds = json_object();
    json_t *profile = json_array();
    if (o == NULL || path == NULL || bounds == NULL || profile == NULL)
        goto fail;
    int bad = 0;
    bad |= json_object_set_new(o, "tasks", json_integer((json_int_t)a->tasks));
    bad |= json_object_set_new(o, "edges", json_integer((json_int_t)a->edges));
    bad |=
        json_object_set_new(o, "sources", json_integer((json_int_t)a->sources));
    bad |= json_object_set_new(o, "sinks", json_integer((json_int_t)a->sinks));
    bad |= json_object_set_new(o, "depth", json_integer((json_int_t)a->depth));
    bad |= json_object_set_new(o, "work", real(a->work));
    bad |= json_object_set_new(o, "span", real(a->span));
    bad |= json_object_set_new(o, "parallelism", real(a->parallelism));
    bad |= json_object_set_new(o, "width", json_integer((json_int_t)a->width));
    bad |= json_object_set_new(o, "width_exact", json_boolean(a->width_exact));
    bad |= json_object_set_new(o, "width_lower",
                               json_integer((json_int_t)a->width_lower));
    bad |= json_object_set_new(o, "max_profile",
                               json_integer((json_int_t)a->max_profile));
    for (size_t i = 0; i < a->critical_path_len; i++)
        bad |= json_array_append_new(
            path, json_string(dr_task_key(g, a->critical_path[i])));
    /* P = 1, 2, 4, ... up to the first power of two above the width. */
    for (unsigned long p = 1; p <= (1ul << 30); p *= 2) {
        char key[24];
        snprintf(key, sizeof(key), "%lu", p);
        bad |= json_object_set_new(
            bounds, key, real(dr_analysis_lower_bound(a, (unsigned)p)));
        if (p > a->width)
            break;
    }
    for (size_t i = 0; i < a->profile_len; i++)
        bad |= json_array_append_new(
            profile, json_pack("[f,I]", a->profile_time[i],
                               (json_int_t)a->profile_running[i]));
    if (a->profile_len > 0)
        bad |= json_array_append_new(profile, json_pack("[f,i]", a->span, 0));
    bad |= json_object_set(o, "critical_path", path);
    bad |= json_object_set(o, "lower_bounds", bounds);
    bad |= json_object_set(o, "profile", profile);
    json_decref(path);
    json_decref(bounds);
    json_decref(profile);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;

fail:
    json_decref(o);
    json_decref(path);
    json_decref(bounds);
    json_decref(profile);
    return NULL;
}
