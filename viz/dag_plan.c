/*
 * What a DAG diagram draws, decided before Graphviz sees anything.
 *
 * Before a run the weights are the graph's costs; after a run they are the
 * measured durations read from the trace (the last attempt of each task).
 * The critical path is the longest path by those weights, chosen among
 * equals by the one rule `dagrun analyze` and the run summary use
 * (graph/analysis.c, dr__critical_path), so every view names one path.
 *
 * A node is a task, or a group of tasks (graph/group.c: key patterns such
 * as layer-3-*, split by depth level where keys do not help).  Graphs above
 * the collapse threshold are drawn by group, and so are graphs whose layout
 * would not fit the time budget: the drawing's cost is predicted before dot
 * is called (dr__dgraph_cost; Graphviz offers no timeout), and when it is
 * over budget wide levels are left unwrapped, then the tasks are grouped,
 * and groups grouped coarser, until it fits.  The note says when that
 * happened.  Edges are the transitive reduction's, and wide levels are
 * wrapped over rows (dag_layout.c).
 */
#include "dag_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A row of a level is at most this many points wide (TB; LR: tall) before
 * the level wraps, unless the whole drawing is larger (see wrap_extent). */
#define WRAP_WIDTH 800.0
#define WRAP_HEIGHT 560.0
#define NODESEP_PT 21.6 /* nodesep 0.3 in */
#define RANK_PT 60.0    /* a rank with its separation, roughly */

/* Appends `s` to a Graphviz escString: backslashes doubled. */
static void esc(dr__buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\')
            dr__buf_putn(b, "\\\\", 2);
        else
            dr__buf_putn(b, s, 1);
    }
}

/* Each task's last attempt, and why a task without one never ran: a
 * dependency failed or was skipped (skipped), or else the run stopped
 * before it could start (after a failure without --keep-going, or a
 * signal), which the trace alone cannot tell apart. */
static void read_runs(dr__dag *b, const dr_task *topo) {
    size_t n = dr_graph_ntasks(b->g);
    for (size_t i = 0; i < b->trace->n; i++) {
        const dr__vattempt *a = &b->trace->a[i];
        dr_task t = dr_graph_find(b->g, a->task);
        if (t == DR_TASK_NONE || t >= n)
            continue;
        dr__dag_run *r = &b->runs[t];
        r->attempts++;
        if (r->last == NULL || a->attempt > r->last->attempt ||
            (a->attempt == r->last->attempt && a->ts > r->last->ts))
            r->last = a;
    }
    /* A task with an attempt ran, whatever else the trace says. */
    for (size_t i = 0; i < b->trace->ncached; i++) {
        dr_task t = dr_graph_find(b->g, b->trace->cached[i].task);
        if (t != DR_TASK_NONE && t < n && b->runs[t].last == NULL)
            b->runs[t].cached = 1;
    }
    for (size_t i = 0; i < n; i++) {
        dr_task t = topo[i];
        const dr__vattempt *a = b->runs[t].last;
        if (b->runs[t].cached) {
            b->ncached++;
        } else if (a == NULL) {
            size_t nd;
            const dr_task *deps = dr_task_deps(b->g, t, &nd);
            for (size_t j = 0; j < nd && !b->runs[t].skipped; j++) {
                const dr__dag_run *d = &b->runs[deps[j]];
                b->runs[t].skipped =
                    d->skipped ||
                    (d->last != NULL && (d->last->status == DR__V_FAILED ||
                                         d->last->status == DR__V_TIMEOUT));
            }
            if (b->runs[t].skipped)
                b->nskipped++;
            else
                b->nnotrun++;
        } else if (a->status == DR__V_INTERRUPTED)
            b->ninterrupted++;
        else if (a->status != DR__V_OK)
            b->nfailed++;
    }
}

/* The critical path by the weights, by the rule analyze and the summary
 * use too (dr__critical_path: longest, then most tasks, then first).
 * After a run only the tasks that finished may be on it, and when none
 * finished in measurable time (an interrupted run, say) there is none, as
 * the summary says. */
static int critical_path(dr__dag *b) {
    size_t n = dr_graph_ntasks(b->g);
    unsigned char *skip = NULL;
    if (b->have_trace) {
        if ((skip = calloc(n ? n : 1, 1)) == NULL)
            return DR_ENOMEM;
        for (size_t t = 0; t < n; t++)
            skip[t] =
                b->runs[t].last == NULL || b->runs[t].last->status != DR__V_OK;
    }
    dr_task end;
    double length;
    int rc =
        dr__critical_path(b->g, b->weight, skip, b->cp_prev, &end, &length);
    free(skip);
    if (rc != 0)
        return rc;
    if (b->have_trace && !(length > 0))
        end = DR_TASK_NONE;
    for (dr_task t = end; t != DR_TASK_NONE; t = b->cp_prev[t])
        b->on_cp[t] = 1;
    return 0;
}

/* A cost is in the graph's own units, not seconds: "cost 1", never "1 s",
 * so that a diagram drawn before a run is not read as measured times. */
static void label_cost(char *buf, size_t len, double cost) {
    snprintf(buf, len, "%.4g", cost);
}

/* A weight: a measured time after a run, a cost before. */
static void label_weight(const dr__dag *b, char *buf, size_t len, double w) {
    if (b->have_trace)
        dr__vfmt_time(buf, len, w * 1e6);
    else
        label_cost(buf, len, w);
}

/* The group whose colour a task takes: its attempt's `cat` when it ran
 * (so the DAG agrees with the Gantt chart of the same trace, whichever
 * dagrun wrote it), else its structural group. */
static const char *task_group(const dr__dag *b, dr_task t) {
    const dr__vattempt *a = b->runs[t].last;
    if (a != NULL && a->cat[0])
        return a->cat;
    return b->groups.name[b->groups.of[t]];
}

/* ------------------------------------------------------------- drawing */

void dr__drawing_free(dr__drawing *d) {
    for (size_t i = 0; d->nodes != NULL && i < d->n; i++) {
        free(d->nodes[i].label);
        free(d->nodes[i].tip);
    }
    free(d->nodes);
    dr__dgraph_free(&d->dg);
    memset(d, 0, sizeof(*d));
}

/* Adds what task t did to node x. */
static void collect(dr__dag *b, dr__dnode *x, dr_task t) {
    x->count++;
    x->total += b->weight[t];
    if (b->weight[t] > x->max)
        x->max = b->weight[t];
    x->on_cp |= b->on_cp[t];
    if (b->color == DR__DAG_COLOR_GROUP) {
        long c = dr__vcolours_index(&b->colours, task_group(b, t));
        x->colour = x->colour == -1 || x->colour == c ? c : -2;
    }
    if (!b->have_trace)
        return;
    const dr__vattempt *a = b->runs[t].last;
    if (b->runs[t].cached) {
        x->cached++;
        return;
    }
    if (a == NULL) {
        if (b->runs[t].skipped)
            x->skipped++;
        else
            x->notrun++;
        return;
    }
    if (a->status == DR__V_INTERRUPTED)
        x->interrupted++;
    else if (a->status != DR__V_OK)
        x->failed++;
    x->worker = x->worker == -1 || x->worker == a->worker ? a->worker : -2;
}

/* Node labels: a task's key and op with its cost or measured time. */
static void task_text(dr__dag *b, dr__dnode *x, dr__buf *label, dr__buf *tip) {
    dr_task t = x->task;
    char tbuf[64];
    const char *op = dr_task_op_label(b->g, t);
    esc(label, dr_task_key(b->g, t));
    esc(tip, dr_task_key(b->g, t));
    dr__buf_printf(tip, "\\nop %s", op);
    if (!b->have_trace) {
        label_cost(tbuf, sizeof(tbuf), dr_task_cost(b->g, t));
        dr__buf_printf(label, "\\n%s \xC2\xB7 cost %s%s", op, tbuf,
                       dr_task_has_cost(b->g, t) ? "" : "?");
        dr__buf_printf(tip, "\\ncost %s%s", tbuf,
                       dr_task_has_cost(b->g, t) ? " (in the graph's units)"
                                                 : " (unset)");
    } else if (b->runs[t].cached) {
        dr__buf_puts(label, "\\ncached");
        dr__buf_puts(tip, "\\ncached: not run, its recorded result reused "
                          "(--resume)");
    } else if (b->runs[t].last == NULL && b->runs[t].skipped) {
        dr__buf_puts(label, "\\nskipped");
        dr__buf_puts(tip, "\\nskipped: a dependency failed");
    } else if (b->runs[t].last == NULL) {
        dr__buf_puts(label, "\\nnot run");
        dr__buf_puts(tip, "\\nnot run: it never started, the run stopped "
                          "first");
    } else {
        const dr__dag_run *r = &b->runs[t];
        const dr__vattempt *a = r->last;
        dr__vfmt_time(tbuf, sizeof(tbuf), a->dur);
        if (a->status == DR__V_OK)
            dr__buf_printf(label, "\\n%s", tbuf);
        else
            dr__buf_printf(label, "\\n%s \xC2\xB7 %s",
                           dr__vstatus_name(a->status), tbuf);
        dr__buf_printf(tip, "\\nworker %d", a->worker);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts);
        dr__buf_printf(tip, "\\nstart %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts + a->dur);
        dr__buf_printf(tip, "\\nend %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->dur);
        dr__buf_printf(tip, "\\nduration %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts - a->ready);
        dr__buf_printf(tip, "\\nwait %s", tbuf);
        dr__buf_printf(tip, "\\nstatus %s", dr__vstatus_name(a->status));
        if (r->attempts > 1)
            dr__buf_printf(tip, " (attempt %d of %d)", a->attempt, r->attempts);
        if (a->error != NULL) {
            dr__buf_puts(tip, "\\n");
            esc(tip, a->error);
        }
    }
    if (b->color == DR__DAG_COLOR_GROUP) {
        dr__buf_puts(tip, "\\ngroup ");
        esc(tip, task_group(b, t));
    } else if (x->name != NULL && strcmp(x->name, dr_task_key(b->g, t))) {
        /* A group of one task, drawn as that task. */
        dr__buf_puts(tip, "\\ngroup ");
        esc(tip, x->name);
    }
    if (x->on_cp)
        dr__buf_puts(tip, "\\non the critical path");
}

/* Group labels: "map-* ×1000", total and largest weight, what failed. */
static void group_text(dr__dag *b, dr__dnode *x, dr__buf *label, dr__buf *tip) {
    char t1[64], t2[64];
    esc(label, x->name);
    if (x->count > 1)
        dr__buf_printf(label, " \xC3\x97%zu", x->count);
    esc(tip, x->name);
    dr__buf_printf(tip, ": %zu task%s", x->count, x->count == 1 ? "" : "s");
    label_weight(b, t1, sizeof(t1), x->total);
    label_weight(b, t2, sizeof(t2), x->max);
    const char *what = b->have_trace ? "time" : "cost";
    if (b->have_trace)
        dr__buf_printf(label, "\\n\xCE\xA3 %s \xC2\xB7 max %s", t1, t2);
    else
        dr__buf_printf(label, "\\n\xCE\xA3 cost %s \xC2\xB7 max %s", t1, t2);
    dr__buf_printf(tip, "\\ntotal %s %s\\nmax %s %s", what, t1, what, t2);
    if (x->worker >= 0)
        dr__buf_printf(tip, "\\nall on worker %d", x->worker);
    else if (x->worker == -2)
        dr__buf_puts(tip, "\\nran on several workers");
    if (x->failed > 0) {
        dr__buf_printf(label, "\\n%zu failed", x->failed);
        dr__buf_printf(tip, "\\n%zu failed", x->failed);
    }
    if (x->interrupted > 0) {
        dr__buf_printf(label, "\\n%zu interrupted", x->interrupted);
        dr__buf_printf(tip, "\\n%zu interrupted", x->interrupted);
    }
    if (x->skipped > 0) {
        dr__buf_printf(label, "\\n%zu skipped", x->skipped);
        dr__buf_printf(tip, "\\n%zu skipped (a dependency failed)", x->skipped);
    }
    if (x->cached > 0) {
        dr__buf_printf(label, "\\n%zu cached", x->cached);
        dr__buf_printf(tip,
                       "\\n%zu cached (not run: %s recorded result%s "
                       "reused)",
                       x->cached, x->cached == 1 ? "its" : "their",
                       x->cached == 1 ? "" : "s");
    }
    if (x->notrun > 0) {
        dr__buf_printf(label, "\\n%zu not run", x->notrun);
        dr__buf_printf(tip,
                       "\\n%zu not run (never started: the run "
                       "stopped first)",
                       x->notrun);
    }
    if (x->on_cp)
        dr__buf_puts(tip, "\\non the critical path");
}

/* Points a label takes along a rank: its longest line's width for TB (10
 * pt Helvetica averages about 5.8 pt a character), its height for LR. */
static double label_extent(const char *label, int lr) {
    size_t lines = 1, longest = 0, cur = 0;
    for (const char *p = label; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            lines++;
            if (cur > longest)
                longest = cur;
            cur = 0;
            p++;
        } else if (((unsigned char)*p & 0xC0) != 0x80)
            cur++;
    }
    if (cur > longest)
        longest = cur;
    if (lr)
        return fmax(36.0, 12.0 * (double)lines + 10.0) + NODESEP_PT;
    return fmax(54.0, 5.8 * (double)longest + 16.0) + NODESEP_PT;
}

/* The row width at which levels wrap: a page, or for a drawing larger than
 * a page, the side of a rectangle of the page's proportions (3:2) that
 * holds it, so that large drawings grow in both directions. */
static double wrap_extent(const dr__drawing *d, int lr) {
    double area = 0;
    for (size_t v = 0; v < d->n; v++)
        area += d->dg.extent[v] * RANK_PT;
    double side = sqrt(area * (lr ? 2.0 / 3.0 : 1.5));
    double page = lr ? WRAP_HEIGHT : WRAP_WIDTH;
    return side > page ? side : page;
}

/*
 * Makes the drawing: node_of maps every task to one of n nodes, numbered in
 * a topological order; name[i] names node i (NULL: one task per node, the
 * node named by its key).  Then labels, edges, reduction, wrapping and the
 * predicted cost.
 */
static int make_drawing(dr__dag *b, const uint32_t *node_of, size_t n,
                        char *const *names, int collapsed, int wrap,
                        dr__drawing *d) {
    memset(d, 0, sizeof(*d));
    size_t nt = dr_graph_ntasks(b->g);
    d->n = n;
    d->collapsed = collapsed;
    d->nodes = calloc(n ? n : 1, sizeof(*d->nodes));
    if (d->nodes == NULL || dr__dgraph_init(&d->dg, n, collapsed) != 0)
        return DR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->nodes[i].worker = -1;
        d->nodes[i].colour = -1;
        d->nodes[i].task = DR_TASK_NONE;
        d->nodes[i].name = names ? names[i] : NULL;
    }
    for (size_t t = 0; t < nt; t++) {
        dr__dnode *x = &d->nodes[node_of[t]];
        if (names == NULL) {
            x->task = (dr_task)t;
            x->name = dr_task_key(b->g, (dr_task)t);
        } else /* the group's task while it has one */
            x->task = x->count == 0 ? (dr_task)t : DR_TASK_NONE;
        collect(b, x, (dr_task)t);
    }
    int lr = b->o->rankdir && strcasecmp(b->o->rankdir, "LR") == 0;
    dr__buf label = {0}, tip = {0};
    for (size_t i = 0; i < n; i++) {
        dr__dnode *x = &d->nodes[i];
        label.len = tip.len = 0;
        dr__buf_putn(&label, "", 0);
        dr__buf_putn(&tip, "", 0);
        /* A group of one task shows the task, key first: "sink", not "t*
         * (level 2)". */
        if (collapsed && x->count != 1)
            group_text(b, x, &label, &tip);
        else
            task_text(b, x, &label, &tip);
        if (label.oom || tip.oom)
            break;
        x->label = strdup(label.s);
        x->tip = strdup(tip.s);
        if (x->label == NULL || x->tip == NULL)
            break;
        d->dg.extent[i] = label_extent(x->label, lr);
    }
    int oom = label.oom || tip.oom;
    dr__buf_free(&label);
    dr__buf_free(&tip);
    for (size_t i = 0; i < n && !oom; i++)
        oom = d->nodes[i].label == NULL || d->nodes[i].tip == NULL;
    if (oom)
        return DR_ENOMEM;
    /* Edges: one per dependency between two nodes; a collapsed drawing
     * merges (and counts) repeats as they come. */
    for (size_t t = 0; t < nt; t++) {
        size_t nd;
        const dr_task *deps = dr_task_deps(b->g, (dr_task)t, &nd);
        for (size_t j = 0; j < nd; j++) {
            uint32_t from = node_of[deps[j]], to = node_of[t];
            if (from == to)
                continue;
            int cp = b->on_cp[t] && b->cp_prev[t] == deps[j];
            if (dr__dgraph_edge(&d->dg, from, to, 1, cp) != 0)
                return DR_ENOMEM;
        }
    }
    if (dr__dgraph_reduce(&d->dg) != 0 ||
        dr__dgraph_wrap(&d->dg, wrap ? wrap_extent(d, lr) : 0) != 0)
        return DR_ENOMEM;
    d->cost = dr__dgraph_cost(&d->dg);
    return 0;
}

/* What a budget fallback started from, for its note. */
typedef struct over {
    char what[96]; /* "one node per task", "300 groups", "" none */
    double cost;
    int unwrapped; /* the dr__drawing kept is not wrapped for the budget */
} over;

/*
 * Draws node_of's nodes into b->d, wrapped if that fits the budget, else
 * unwrapped (a simpler layout: no grid, no virtual nodes for it).  Returns
 * 0 (drawn within budget), 1 (over budget even unwrapped: b->d freed) or
 * DR_ENOMEM.
 */
static int try_drawing(dr__dag *b, const uint32_t *node_of, size_t n,
                       char *const *names, int collapsed, double budget,
                       const char *what, over *ov) {
    int rc = make_drawing(b, node_of, n, names, collapsed, 1, &b->d);
    if (rc != 0)
        return rc;
    if (b->d.cost <= budget)
        return 0;
    double wrapped = b->d.cost;
    int had_wrap = b->d.dg.wrapped_levels > 0;
    ov->unwrapped = 0;
    if (ov->what[0] == '\0') {
        snprintf(ov->what, sizeof(ov->what), "%s%s", what,
                 had_wrap ? ", wrapped" : "");
        ov->cost = wrapped;
    }
    if (had_wrap) {
        dr__drawing_free(&b->d);
        if ((rc = make_drawing(b, node_of, n, names, collapsed, 0, &b->d)))
            return rc;
        if (b->d.cost <= budget) {
            ov->unwrapped = 1;
            return 0;
        }
    }
    dr__drawing_free(&b->d);
    return 1;
}

static int draw_tasks(dr__dag *b, double budget, over *ov) {
    size_t n = dr_graph_ntasks(b->g);
    const dr_task *topo = dr_graph_topo_order(b->g);
    uint32_t *node_of = malloc((n ? n : 1) * sizeof(*node_of));
    if (node_of == NULL)
        return DR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        node_of[topo[i]] = (uint32_t)i;
    int rc =
        try_drawing(b, node_of, n, NULL, 0, budget, "one node per task", ov);
    free(node_of);
    return rc;
}

static double budget_of(const dr_viz_options *o) {
    if (o->time_budget < 0 || isnan(o->time_budget))
        return INFINITY;
    return o->time_budget == 0 ? DR__DAG_DEFAULT_BUDGET : o->time_budget;
}

static int need_groups(dr__dag *b) {
    if (b->have_groups)
        return 0;
    int rc = dr__graph_group(b->g, DR__GROUP_LIMIT, &b->groups);
    if (rc == 0)
        b->have_groups = 1;
    return rc;
}

/*
 * Chooses the drawing: one node per task when asked or small enough and
 * within budget, else the structural groups, coarser while over budget
 * (halving the number of groups each time; one group always fits).
 * `layout`: it will be laid out (and so is subject to max_layout_nodes).
 */
static int plan(dr__dag *b, int layout, dr_error *err) {
    const dr_viz_options *o = b->o;
    size_t n = dr_graph_ntasks(b->g);
    size_t threshold = o->collapse_threshold ? o->collapse_threshold : 300;
    double budget = budget_of(o);
    over ov = {"", 0, 0};
    int rc;
    if (o->collapse == DR_VIZ_COLLAPSE_NEVER ||
        (o->collapse == DR_VIZ_COLLAPSE_AUTO && n <= threshold)) {
        if (layout && o->max_layout_nodes != 0 && n > o->max_layout_nodes) {
            dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                          "%zu tasks are too many to lay out one by one (at "
                          "most %zu): collapse them into groups (--collapse) "
                          "or write .dot",
                          n, o->max_layout_nodes);
            return DR_ETOOBIG;
        }
        /* --no-collapse: one node per task, however long it takes. */
        rc = draw_tasks(
            b, o->collapse == DR_VIZ_COLLAPSE_NEVER ? INFINITY : budget, &ov);
        if (rc < 0)
            return rc;
        if (rc == 0)
            goto noted;
    }
    if ((rc = need_groups(b)) != 0)
        return rc;
    dr__groups coarse = {0};
    const dr__groups *gr = &b->groups;
    for (;;) {
        char what[64];
        snprintf(what, sizeof(what), "%zu groups", gr->n);
        rc = try_drawing(b, gr->of, gr->n, gr->name, 1,
                         gr->n <= 1 ? INFINITY : budget, what, &ov);
        if (rc <= 0)
            break;
        dr__groups next;
        if ((rc = dr__graph_group(b->g, gr->n / 2, &next)) != 0)
            break;
        dr__groups_free(&coarse);
        coarse = next;
        gr = &coarse;
    }
    dr__groups_free(&coarse);
    if (rc != 0)
        return rc;
    if (layout && o->max_layout_nodes != 0 && b->d.n > o->max_layout_nodes) {
        dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                      "%zu groups of tasks are too many to lay out (at most "
                      "%zu): write .dot",
                      b->d.n, o->max_layout_nodes);
        return DR_ETOOBIG;
    }
noted:
    if (ov.what[0] != '\0') {
        char drawn[96];
        if (b->d.collapsed)
            snprintf(drawn, sizeof(drawn), "%zu tasks drawn as %zu groups", n,
                     b->d.n);
        else
            snprintf(drawn, sizeof(drawn), "%zu tasks drawn one by one", n);
        snprintf(b->note, sizeof(b->note),
                 "%s%s to keep the layout within its %.2g s budget (%s would "
                 "take about %.2g s)",
                 drawn, ov.unwrapped ? ", wide levels not wrapped," : "",
                 budget, ov.what, ov.cost);
    }
    return 0;
}

/* ---------------------------------------------------------------- driver */

void dr__dag_free(dr__dag *b) {
    dr__drawing_free(&b->d);
    dr__groups_free(&b->groups);
    dr__vcolours_free(&b->colours);
    free(b->runs);
    free(b->weight);
    free(b->on_cp);
    free(b->cp_prev);
}

int dr__dag_prepare(dr__dag *b, const dr_graph *g, const dr__vtrace *trace,
                    const dr_viz_options *o, int layout, dr_error *err) {
    memset(b, 0, sizeof(*b));
    b->g = g;
    b->o = o;
    const dr_task *topo = g ? dr_graph_topo_order(g) : NULL;
    if (topo == NULL && g != NULL && dr_graph_ntasks(g) == 0)
        topo = (const dr_task *)"";
    if (topo == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "the graph is not validated (or has a cycle)");
        return DR_EINVAL;
    }
    size_t n = dr_graph_ntasks(g), m = n ? n : 1;
    int rc;
    if (trace != NULL) {
        b->trace = trace;
        b->have_trace = 1;
        if ((rc = dr__vtrace_check_graph(trace, g, err)) != 0)
            return rc;
    }
    b->color = o->color == DR_VIZ_COLOR_GROUP ? DR__DAG_COLOR_GROUP
               : b->have_trace                ? DR__DAG_COLOR_WORKER
                                              : DR__DAG_COLOR_NONE;
    b->runs = calloc(m, sizeof(*b->runs));
    b->weight = calloc(m, sizeof(*b->weight));
    b->on_cp = calloc(m, 1);
    b->cp_prev = calloc(m, sizeof(*b->cp_prev));
    if (!b->runs || !b->weight || !b->on_cp || !b->cp_prev)
        goto oom;
    if (b->have_trace)
        read_runs(b, topo);
    for (size_t i = 0; i < n; i++) {
        if (!b->have_trace)
            b->weight[i] = dr_task_cost(g, (dr_task)i);
        else if (b->runs[i].last != NULL && b->runs[i].last->status == DR__V_OK)
            b->weight[i] = b->runs[i].last->dur / 1e6;
    }
    if (critical_path(b) != 0)
        goto oom;
    if (b->color == DR__DAG_COLOR_GROUP) {
        if (need_groups(b) != 0 ||
            dr__vcolours_build(&b->colours, b->trace,
                               (const char *const *)b->groups.name,
                               b->groups.n) != 0)
            goto oom;
    }
    if ((rc = plan(b, layout, err)) != 0) {
        if (rc == DR_ENOMEM)
            goto oom;
        return rc;
    }
    if (b->note[0] && o->note != NULL)
        o->note(b->note, o->note_data);
    return 0;
oom:
    dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    return DR_ENOMEM;
}
