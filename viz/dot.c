/*
 * DAG diagrams through Graphviz.  What to draw is decided first, in a
 * drawing of our own (the nodes, their facts and labels, and a dr__dgraph
 * of edges: dag_layout.c); the cgraph graph is built from it at the end,
 * every attribute set with agsafeset, and either written as DOT with agwrite
 * or laid out with libgvc's "dot" engine and rendered (svg, png, pdf...).
 * DOT is never printed by hand, so quoting and escaping are Graphviz's
 * problem.
 *
 * Before a run the weights are the graph's costs; after a run they are the
 * measured durations read from the trace (the last attempt of each task).
 * The critical path is the longest path by those weights, found here in one
 * pass over the topological order, so the visualiser needs nothing from the
 * analysis module or the scheduler.
 *
 * A node is a task, or a group of tasks (graph/group.c: key patterns such
 * as layer-3-*, split by depth level where keys do not help).  Graphs above
 * the collapse threshold are drawn by group, and so are graphs whose layout
 * would not fit the time budget: the drawing's cost is predicted before dot
 * is called (dr__dgraph_cost; Graphviz offers no timeout), and when it is
 * over budget the tasks are grouped, and groups grouped coarser, until it
 * fits.  The note callback and the legend say when that happened.  Edges are
 * the transitive reduction's, and wide levels are wrapped over rows.
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SANITIZE_ADDRESS__
/* Graphviz 2.42 keeps memory it never frees (its plugin configuration,
 * HTML-label parsing, fontconfig caches).  In sanitizer builds, every binary
 * that draws through this file gets this LeakSanitizer hook, so dagrun is
 * not blamed for it; only frames inside those libraries match.  Normal
 * builds define nothing. */
__attribute__((visibility("default"))) const char *
__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libgvc.so\nleak:libfontconfig.so\nleak:libglib-2.0.so\n"
           "leak:libpango\nleak:libcairo\nleak:libgvplugin\n"
           "leak:libcgraph.so\nleak:libcdt.so\nleak:libpathplan.so\n";
}
#endif

#define CP_RED "#D62728"
#define PLAIN_FILL "#F4F6F8"
#define MIXED_FILL "#DCE3EA"
#define FAILED_FILL "#FBE3E4"
#define DARK_LINE "#2B333B"
#define NOTRUN_FILL "#EEEEEE"
#define NOTRUN_LINE "#9A9A9A"

/* A row of a level is at most this many points wide (TB; LR: tall) before
 * the level wraps, unless the whole drawing is larger (see wrap_extent). */
#define WRAP_WIDTH 800.0
#define WRAP_HEIGHT 560.0
#define NODESEP_PT 21.6 /* nodesep 0.3 in */
#define RANK_PT 60.0    /* a rank with its separation, roughly */

#define DEFAULT_BUDGET 1.5

void dr_viz_options_init(dr_viz_options *o) {
    memset(o, 0, sizeof(*o));
    o->collapse = DR_VIZ_COLLAPSE_AUTO;
    o->collapse_threshold = 300;
    o->max_layout_nodes = 5000;
    o->rankdir = "TB";
    o->legend = 1;
    o->color = DR_VIZ_COLOR_AUTO;
    o->time_budget = DEFAULT_BUDGET;
}

int dr_viz_color_parse(const char *text, dr_viz_color *out) {
    if (text != NULL && strcasecmp(text, "worker") == 0)
        *out = DR_VIZ_COLOR_WORKER;
    else if (text != NULL && strcasecmp(text, "group") == 0)
        *out = DR_VIZ_COLOR_GROUP;
    else
        return DR_EINVAL;
    return 0;
}

/* What the trace says about one task: its last attempt. */
typedef struct task_run {
    const dr__vattempt *last; /* NULL: never ran */
    int attempts;
} task_run;

enum { COLOR_NONE, COLOR_WORKER, COLOR_GROUP };

/* One node of the drawing: a task or a group, with what its tasks did. */
typedef struct dnode {
    const char *name;  /* node name: task key or group name (borrowed) */
    dr_task task;      /* the task when one task, else DR_TASK_NONE */
    char *label, *tip; /* owned, Graphviz escStrings */
    size_t count, failed, interrupted, notrun;
    double total, max;
    int worker;  /* -1 none yet, -2 several */
    long colour; /* group colour: -1 none yet, -2 several */
    int on_cp;
} dnode;

typedef struct drawing {
    size_t n;
    dnode *nodes;
    dr__dgraph dg;
    int collapsed;
    double cost; /* predicted layout seconds */
} drawing;

typedef struct build {
    const dr_graph *g;
    const dr_viz_options *o;
    dr__vtrace trace;
    int have_trace;
    int color; /* COLOR_* */
    task_run *runs;
    double *weight;
    unsigned char *on_cp; /* task is on the critical path */
    dr_task *cp_prev;     /* predecessor on the critical path, or NONE */
    size_t nfailed, ninterrupted, nnotrun;
    dr__groups groups; /* DR__GROUP_LIMIT groups (same as the trace's cat) */
    int have_groups;
    dr__vcolours colours; /* group colours (COLOR_GROUP) */
    drawing d;
    char note[320]; /* the budget fallback, "" when none */
    Agraph_t *ag;
} build;

static void set(void *obj, const char *name, const char *value) {
    agsafeset(obj, DR__MUT(name), DR__MUT(value), DR__MUT(""));
}

/* Sets an HTML-like label: the value must be an HTML string of this graph
 * for Graphviz to keep its markup. */
static void set_html(Agraph_t *g, void *obj, const char *name,
                     const char *html) {
    char *h = agstrdup_html(g, DR__MUT(html));
    agsafeset(obj, DR__MUT(name), h, DR__MUT(""));
    agstrfree(g, h);
}

/* Appends `s` to a Graphviz escString: backslashes doubled. */
static void esc(dr__vbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\')
            dr__vbuf_putn(b, "\\\\", 2);
        else
            dr__vbuf_putn(b, s, 1);
    }
}

static void read_runs(build *b) {
    size_t n = dr_graph_ntasks(b->g);
    for (size_t i = 0; i < b->trace.n; i++) {
        const dr__vattempt *a = &b->trace.a[i];
        dr_task t = dr_graph_find(b->g, a->task);
        if (t == DR_TASK_NONE || t >= n)
            continue;
        task_run *r = &b->runs[t];
        r->attempts++;
        if (r->last == NULL || a->attempt > r->last->attempt ||
            (a->attempt == r->last->attempt && a->ts > r->last->ts))
            r->last = a;
    }
    for (size_t t = 0; t < n; t++) {
        const dr__vattempt *a = b->runs[t].last;
        if (a == NULL)
            b->nnotrun++;
        else if (a->status == DR__V_INTERRUPTED)
            b->ninterrupted++;
        else if (a->status != DR__V_OK)
            b->nfailed++;
    }
}

/* Longest path by weight over the topological order. */
static void critical_path(build *b, const dr_task *topo) {
    size_t n = dr_graph_ntasks(b->g);
    double *dist = malloc((n ? n : 1) * sizeof(*dist));
    if (dist == NULL)
        return;
    dr_task best = DR_TASK_NONE;
    for (size_t i = 0; i < n; i++) {
        dr_task t = topo[i];
        size_t nd;
        const dr_task *deps = dr_task_deps(b->g, t, &nd);
        double start = 0;
        b->cp_prev[t] = DR_TASK_NONE;
        for (size_t j = 0; j < nd; j++)
            if (dist[deps[j]] > start ||
                (b->cp_prev[t] == DR_TASK_NONE && dist[deps[j]] >= start)) {
                start = dist[deps[j]];
                b->cp_prev[t] = deps[j];
            }
        dist[t] = start + b->weight[t];
        if (best == DR_TASK_NONE || dist[t] > dist[best])
            best = t;
    }
    for (dr_task t = best; t != DR_TASK_NONE; t = b->cp_prev[t])
        b->on_cp[t] = 1;
    free(dist);
}

/* A cost is in the graph's own units, not seconds: "cost 1", never "1 s",
 * so that a diagram drawn before a run is not read as measured times. */
static void label_cost(char *buf, size_t len, double cost) {
    snprintf(buf, len, "%.4g", cost);
}

/* A weight: a measured time after a run, a cost before. */
static void label_weight(const build *b, char *buf, size_t len, double w) {
    if (b->have_trace)
        dr__vfmt_time(buf, len, w * 1e6);
    else
        label_cost(buf, len, w);
}

/* The group whose colour a task takes: its attempt's `cat` when it ran
 * (so the DAG agrees with the Gantt chart of the same trace, whichever
 * dagrun wrote it), else its structural group. */
static const char *task_group(const build *b, dr_task t) {
    const dr__vattempt *a = b->runs[t].last;
    if (a != NULL && a->cat[0])
        return a->cat;
    return b->groups.name[b->groups.of[t]];
}

/* ------------------------------------------------------------- drawing */

static void drawing_free(drawing *d) {
    for (size_t i = 0; d->nodes != NULL && i < d->n; i++) {
        free(d->nodes[i].label);
        free(d->nodes[i].tip);
    }
    free(d->nodes);
    dr__dgraph_free(&d->dg);
    memset(d, 0, sizeof(*d));
}

/* Adds what task t did to node x. */
static void collect(build *b, dnode *x, dr_task t) {
    x->count++;
    x->total += b->weight[t];
    if (b->weight[t] > x->max)
        x->max = b->weight[t];
    x->on_cp |= b->on_cp[t];
    if (b->color == COLOR_GROUP) {
        long c = dr__vcolours_index(&b->colours, task_group(b, t));
        x->colour = x->colour == -1 || x->colour == c ? c : -2;
    }
    if (!b->have_trace)
        return;
    const dr__vattempt *a = b->runs[t].last;
    if (a == NULL) {
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
static void task_text(build *b, dnode *x, dr__vbuf *label, dr__vbuf *tip) {
    dr_task t = x->task;
    char tbuf[64];
    const char *op = dr_task_op_label(b->g, t);
    esc(label, x->name);
    esc(tip, x->name);
    dr__vbuf_printf(tip, "\\nop %s", op);
    if (!b->have_trace) {
        label_cost(tbuf, sizeof(tbuf), dr_task_cost(b->g, t));
        dr__vbuf_printf(label, "\\n%s \xC2\xB7 cost %s%s", op, tbuf,
                        dr_task_has_cost(b->g, t) ? "" : "?");
        dr__vbuf_printf(tip, "\\ncost %s%s", tbuf,
                        dr_task_has_cost(b->g, t) ? " (in the graph's units)"
                                                  : " (unset)");
    } else if (b->runs[t].last == NULL) {
        dr__vbuf_puts(label, "\\nnot run");
        dr__vbuf_puts(tip, "\\nnot run");
    } else {
        const task_run *r = &b->runs[t];
        const dr__vattempt *a = r->last;
        dr__vfmt_time(tbuf, sizeof(tbuf), a->dur);
        if (a->status == DR__V_OK)
            dr__vbuf_printf(label, "\\n%s", tbuf);
        else
            dr__vbuf_printf(label, "\\n%s \xC2\xB7 %s",
                            dr__vstatus_name(a->status), tbuf);
        dr__vbuf_printf(tip, "\\nworker %d", a->worker);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts);
        dr__vbuf_printf(tip, "\\nstart %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts + a->dur);
        dr__vbuf_printf(tip, "\\nend %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->dur);
        dr__vbuf_printf(tip, "\\nduration %s", tbuf);
        dr__vfmt_time(tbuf, sizeof(tbuf), a->ts - a->ready);
        dr__vbuf_printf(tip, "\\nwait %s", tbuf);
        dr__vbuf_printf(tip, "\\nstatus %s", dr__vstatus_name(a->status));
        if (r->attempts > 1)
            dr__vbuf_printf(tip, " (attempt %d of %d)", a->attempt,
                            r->attempts);
        if (a->error != NULL) {
            dr__vbuf_puts(tip, "\\n");
            esc(tip, a->error);
        }
    }
    if (b->color == COLOR_GROUP) {
        dr__vbuf_puts(tip, "\\ngroup ");
        esc(tip, task_group(b, t));
    }
    if (x->on_cp)
        dr__vbuf_puts(tip, "\\non the critical path");
}

/* Group labels: "map-* ×1000", total and largest weight, what failed. */
static void group_text(build *b, dnode *x, dr__vbuf *label, dr__vbuf *tip) {
    char t1[64], t2[64];
    esc(label, x->name);
    if (x->count > 1)
        dr__vbuf_printf(label, " \xC3\x97%zu", x->count);
    esc(tip, x->name);
    dr__vbuf_printf(tip, ": %zu task%s", x->count, x->count == 1 ? "" : "s");
    label_weight(b, t1, sizeof(t1), x->total);
    label_weight(b, t2, sizeof(t2), x->max);
    const char *what = b->have_trace ? "time" : "cost";
    if (b->have_trace)
        dr__vbuf_printf(label, "\\n\xCE\xA3 %s \xC2\xB7 max %s", t1, t2);
    else
        dr__vbuf_printf(label, "\\n\xCE\xA3 cost %s \xC2\xB7 max %s", t1, t2);
    dr__vbuf_printf(tip, "\\ntotal %s %s\\nmax %s %s", what, t1, what, t2);
    if (x->worker >= 0)
        dr__vbuf_printf(tip, "\\nall on worker %d", x->worker);
    else if (x->worker == -2)
        dr__vbuf_puts(tip, "\\nran on several workers");
    if (x->failed > 0) {
        dr__vbuf_printf(label, "\\n%zu failed", x->failed);
        dr__vbuf_printf(tip, "\\n%zu failed", x->failed);
    }
    if (x->interrupted > 0) {
        dr__vbuf_printf(label, "\\n%zu interrupted", x->interrupted);
        dr__vbuf_printf(tip, "\\n%zu interrupted", x->interrupted);
    }
    if (x->notrun > 0) {
        dr__vbuf_printf(label, "\\n%zu not run", x->notrun);
        dr__vbuf_printf(tip, "\\n%zu not run", x->notrun);
    }
    if (x->on_cp)
        dr__vbuf_puts(tip, "\\non the critical path");
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
static double wrap_extent(const drawing *d, int lr) {
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
static int make_drawing(build *b, const uint32_t *node_of, size_t n,
                        char *const *names, int collapsed, int wrap,
                        drawing *d) {
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
        dnode *x = &d->nodes[node_of[t]];
        if (names == NULL) {
            x->task = (dr_task)t;
            x->name = dr_task_key(b->g, (dr_task)t);
        }
        collect(b, x, (dr_task)t);
    }
    int lr = b->o->rankdir && strcasecmp(b->o->rankdir, "LR") == 0;
    dr__vbuf label = {0}, tip = {0};
    for (size_t i = 0; i < n; i++) {
        dnode *x = &d->nodes[i];
        label.len = tip.len = 0;
        dr__vbuf_putn(&label, "", 0);
        dr__vbuf_putn(&tip, "", 0);
        if (collapsed)
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
    dr__vbuf_free(&label);
    dr__vbuf_free(&tip);
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
    int unwrapped; /* the drawing kept is not wrapped for the budget */
} over;

/*
 * Draws node_of's nodes into b->d, wrapped if that fits the budget, else
 * unwrapped (a simpler layout: no grid, no virtual nodes for it).  Returns
 * 0 (drawn within budget), 1 (over budget even unwrapped: b->d freed) or
 * DR_ENOMEM.
 */
static int try_drawing(build *b, const uint32_t *node_of, size_t n,
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
        drawing_free(&b->d);
        if ((rc = make_drawing(b, node_of, n, names, collapsed, 0, &b->d)))
            return rc;
        if (b->d.cost <= budget) {
            ov->unwrapped = 1;
            return 0;
        }
    }
    drawing_free(&b->d);
    return 1;
}

static int draw_tasks(build *b, double budget, over *ov) {
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
    return o->time_budget == 0 ? DEFAULT_BUDGET : o->time_budget;
}

static int need_groups(build *b) {
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
static int plan(build *b, int layout, dr_error *err) {
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

/* ---------------------------------------------------------- to cgraph */

/* Declares the defaults; must come before any node or edge is made, since
 * agsafeset on an undeclared attribute declares it with default "". */
static void graph_defaults(build *b) {
    Agraph_t *g = b->ag;
    const char *rd = b->o->rankdir;
    set(g, "rankdir", rd && strcasecmp(rd, "LR") == 0 ? "LR" : "TB");
    set(g, "fontname", "Helvetica");
    set(g, "fontsize", "14");
    set(g, "labelloc", "t");
    /* The title on the left, where a wide graph shown at natural size in a
     * scrolling report figure is first seen. */
    set(g, "labeljust", "l");
    set(g, "nodesep", "0.3");
    set(g, "ranksep", "0.45");
    set(g, "bgcolor", "white");
    agattr(g, AGNODE, "shape", "box");
    agattr(g, AGNODE, "style", "rounded,filled");
    agattr(g, AGNODE, "fontname", "Helvetica");
    agattr(g, AGNODE, "fontsize", "10");
    agattr(g, AGNODE, "fillcolor", PLAIN_FILL);
    agattr(g, AGNODE, "color", "#5F6B76");
    agattr(g, AGNODE, "penwidth", "1");
    agattr(g, AGNODE, "peripheries", "1");
    agattr(g, AGNODE, "margin", "0.08,0.04");
    agattr(g, AGEDGE, "color", "#8A949E");
    agattr(g, AGEDGE, "arrowsize", "0.6");
    agattr(g, AGEDGE, "penwidth", "1");
    agattr(g, AGEDGE, "minlen", "1");
    agattr(g, AGEDGE, "style", "solid");
    agattr(g, AGEDGE, "weight", "1");
    agattr(g, AGEDGE, "fontname", "Helvetica");
    agattr(g, AGEDGE, "fontsize", "9");
    agattr(g, AGEDGE, "fontcolor", "#5F6B76");
    agattr(g, AGNODE, "fontcolor", "black");
    agattr(g, AGNODE, "tooltip", "");
    agattr(g, AGEDGE, "tooltip", "");
    agattr(g, AGEDGE, "label", "");
}

static void graph_title(build *b) {
    char title[512];
    const char *name = dr_graph_name(b->g);
    size_t n = dr_graph_ntasks(b->g);
    if (b->d.collapsed)
        snprintf(title, sizeof(title), "%s%s%zu groups of %zu tasks%s", name,
                 name[0] ? " \xE2\x80\x94 " : "", b->d.n, n,
                 b->have_trace ? " (after the run)" : "");
    else
        snprintf(title, sizeof(title), "%s%s%zu tasks%s", name,
                 name[0] ? " \xE2\x80\x94 " : "", n,
                 b->have_trace ? " (after the run)" : "");
    set(b->ag, "label", title);
}

static const char *node_fill(const build *b, const dnode *x) {
    if (b->color == COLOR_WORKER) {
        if (x->worker >= 0)
            return dr_viz_palette((size_t)x->worker);
        return x->worker == -2 ? MIXED_FILL : PLAIN_FILL;
    }
    if (b->color == COLOR_GROUP) {
        if (x->colour >= 0)
            return dr_viz_prefix_palette((size_t)x->colour);
        return x->colour == -2 ? MIXED_FILL : PLAIN_FILL;
    }
    return PLAIN_FILL;
}

/* Failed: a pink octagon with a dark border (bold red is the critical
 * path's).  Interrupted: its colour kept, a dashed double border.  Not
 * run: grey and dashed. */
static void style_node(const build *b, Agnode_t *an, const dnode *x) {
    const char *fill = node_fill(b, x);
    if (x->failed > 0) {
        set(an, "shape", "octagon");
        set(an, "style", "filled");
        set(an, "fillcolor", FAILED_FILL);
        set(an, "color", DARK_LINE);
        set(an, "penwidth", "2");
    } else if (x->notrun == x->count && b->have_trace) {
        set(an, "style", "rounded,filled,dashed");
        set(an, "fillcolor", NOTRUN_FILL);
        set(an, "color", NOTRUN_LINE);
        set(an, "fontcolor", "#6B6B6B");
    } else {
        if (strcmp(fill, PLAIN_FILL) != 0) {
            set(an, "fillcolor", fill);
            set(an, "fontcolor", dr__vtext_on(fill, "black"));
        }
        if (x->interrupted > 0) {
            set(an, "shape", "box");
            set(an, "style", "filled,dashed");
            set(an, "peripheries", "2");
            set(an, "color", DARK_LINE);
            set(an, "penwidth", "1.5");
        }
    }
    if (x->on_cp) {
        set(an, "color", CP_RED);
        set(an, "penwidth", "2.5");
    }
}

static void emit(build *b) {
    drawing *d = &b->d;
    Agnode_t **an = malloc((d->n ? d->n : 1) * sizeof(*an));
    if (an == NULL)
        return;
    char uniq[64];
    for (size_t i = 0; i < d->n; i++) {
        const dnode *x = &d->nodes[i];
        /* Names are unique among tasks and among groups; only the legend's
         * node could clash. */
        const char *name = x->name;
        if (agnode(b->ag, DR__MUT(name), 0) != NULL) {
            snprintf(uniq, sizeof(uniq), "_node%zu", i);
            name = uniq;
        }
        an[i] = agnode(b->ag, DR__MUT(name), 1);
        set(an[i], "label", x->label);
        set(an[i], "tooltip", x->tip);
        style_node(b, an[i], x);
    }
    char num[32];
    for (size_t i = 0; i < d->dg.m; i++) {
        const dr__dedge *e = &d->dg.e[i];
        if (e->hidden)
            continue;
        Agedge_t *ae = agedge(b->ag, an[e->from], an[e->to], NULL, 1);
        if (e->invis) {
            set(ae, "style", "invis");
            set(ae, "weight", "4");
            continue;
        }
        if (e->minlen > 1) {
            snprintf(num, sizeof(num), "%u", e->minlen);
            set(ae, "minlen", num);
        }
        if (d->collapsed) {
            snprintf(num, sizeof(num), "%u", e->count);
            set(ae, "label", num);
            set(ae, "tooltip", num);
        }
        if (e->cp) {
            /* Ports of its own keep concentrate from merging it into a
             * grey bundle (dot merges edges only between equal ports). */
            if (d->dg.wrapped_levels > 0) {
                int lr = b->o->rankdir && strcasecmp(b->o->rankdir, "LR") == 0;
                set(ae, "tailport", lr ? "e" : "s");
                set(ae, "headport", lr ? "w" : "n");
            }
            set(ae, "color", CP_RED);
            set(ae, "penwidth", "2.5");
            set(ae, "arrowsize", "0.8");
            if (d->collapsed)
                set(ae, "fontcolor", CP_RED);
        }
    }
    free(an);
}

/* ---------------------------------------------------------------- legend */

/* Text for an HTML label: &, < and > escaped. */
static void html_text(dr__vbuf *h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&')
            dr__vbuf_puts(h, "&amp;");
        else if (s[i] == '<')
            dr__vbuf_puts(h, "&lt;");
        else if (s[i] == '>')
            dr__vbuf_puts(h, "&gt;");
        else
            dr__vbuf_putn(h, s + i, 1);
    }
}

/* Legend text wrapped at spaces into lines of about LEGEND_LINE characters,
 * so that no row widens the legend (and its swatch column) by itself. */
#define LEGEND_LINE 40
static void legend_text(dr__vbuf *h, const char *text) {
    const char *p = text;
    while (*p) {
        const char *end = p, *space = NULL;
        size_t chars = 0;
        while (*end && (chars < LEGEND_LINE || space == NULL)) {
            if (*end == ' ')
                space = end;
            if (((unsigned char)*end & 0xC0) != 0x80)
                chars++;
            end++;
        }
        if (*end == '\0' || space == NULL)
            space = end;
        html_text(h, p, (size_t)(space - p));
        p = *space ? space + 1 : space;
        if (*p)
            dr__vbuf_puts(h, "<BR ALIGN=\"LEFT\"/>");
    }
}

/* One legend row: a swatch (TD attributes, NULL: none) and its text;
 * `bold` rows are headings. */
static void legend_row_as(dr__vbuf *h, const char *swatch, const char *text,
                          int bold) {
    if (swatch == NULL)
        dr__vbuf_puts(h, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\" "
                         "BALIGN=\"LEFT\">");
    else
        dr__vbuf_printf(h,
                        "<TR><TD %s WIDTH=\"22\" HEIGHT=\"12\" "
                        "FIXEDSIZE=\"TRUE\"></TD><TD ALIGN=\"LEFT\" "
                        "BALIGN=\"LEFT\">",
                        swatch);
    dr__vbuf_puts(h, bold ? "<B>" : "");
    legend_text(h, text);
    dr__vbuf_puts(h, bold ? "</B></TD></TR>" : "</TD></TR>");
}

static void legend_row(dr__vbuf *h, const char *swatch, const char *text) {
    legend_row_as(h, swatch, text, 0);
}

static void legend_colours(build *b, dr__vbuf *h) {
    const drawing *d = &b->d;
    int mixed = 0;
    for (size_t i = 0; i < d->n; i++)
        mixed |= b->color == COLOR_WORKER ? d->nodes[i].worker == -2
                                          : d->nodes[i].colour == -2;
    char sw[96];
    if (b->color == COLOR_WORKER) {
        legend_row_as(h, NULL, "Colour: the worker that ran it", 1);
        int w = b->trace.workers, shown = w < 10 ? w : 10;
        for (int i = 0; i < shown; i++) {
            char text[64];
            snprintf(sw, sizeof(sw), "BGCOLOR=\"%s\"",
                     dr_viz_palette((size_t)i));
            if (w <= 10)
                snprintf(text, sizeof(text), "worker %d", i);
            else
                snprintf(text, sizeof(text), "worker %d, %d, %d...", i, i + 10,
                         i + 20);
            legend_row(h, sw, text);
        }
        if (mixed)
            legend_row(h, "BGCOLOR=\"" MIXED_FILL "\"", "several workers");
        return;
    }
    legend_row_as(h, NULL, "Colour: the task's group, as in the timeline", 1);
    size_t shown = b->colours.n < 8 ? b->colours.n : 8;
    for (size_t i = 0; i < shown; i++) {
        const dr__vcolour *c = b->colours.by_first[i];
        snprintf(sw, sizeof(sw), "BGCOLOR=\"%s\"",
                 dr_viz_prefix_palette(c->colour));
        legend_row(h, sw, c->name);
    }
    if (b->colours.n > shown) {
        char more[64];
        snprintf(more, sizeof(more), "+%zu more groups (colours repeat)",
                 b->colours.n - shown);
        legend_row(h, NULL, more);
    }
    if (mixed)
        legend_row(h, "BGCOLOR=\"" MIXED_FILL "\"", "several groups");
}

static void legend(build *b) {
    Agraph_t *sub = agsubg(b->ag, "cluster_legend", 1);
    set(sub, "label", "");
    set(sub, "color", "#C8CED4");
    set(sub, "style", "rounded");
    Agnode_t *n = agnode(sub, "_legend", 1);
    set(n, "shape", "plaintext");
    set(n, "style", "");
    dr__vbuf h = {0};
    char text[400];
    dr__vbuf_puts(&h, "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" "
                      "CELLPADDING=\"2\"><TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">"
                      "<B>Legend</B></TD></TR>");
    legend_row(&h, "BGCOLOR=\"" CP_RED "\"",
               b->have_trace ? "critical path (longest by measured time)"
                             : "critical path (longest by cost)");
    if (b->color != COLOR_NONE)
        legend_colours(b, &h);
    if (b->nfailed > 0)
        legend_row(&h,
                   "BGCOLOR=\"" FAILED_FILL "\" BORDER=\"2\" COLOR=\"" DARK_LINE
                   "\"",
                   "failed or timed out (pink octagon)");
    if (b->ninterrupted > 0)
        legend_row(&h,
                   "BGCOLOR=\"#FFFFFF\" BORDER=\"2\" STYLE=\"DASHED\" "
                   "COLOR=\"" DARK_LINE "\"",
                   "interrupted: stopped by a signal (dashed double border)");
    if (b->nnotrun > 0)
        legend_row(&h,
                   "BGCOLOR=\"" NOTRUN_FILL "\" BORDER=\"1\" STYLE=\"DASHED\" "
                   "COLOR=\"" NOTRUN_LINE "\"",
                   b->ninterrupted > 0 && b->nfailed > 0
                       ? "did not run (a dependency failed, or the run stopped)"
                   : b->ninterrupted > 0 ? "did not run (the run stopped)"
                   : b->nfailed > 0      ? "did not run (a dependency failed)"
                                         : "did not run");
    if (b->d.collapsed)
        legend_row(&h, "BGCOLOR=\"" PLAIN_FILL "\" BORDER=\"1\"",
                   "name \xC3\x97N: a group of N tasks (* stands for any "
                   "number); edge labels count dependencies");
    if (b->d.dg.nhidden > 0) {
        if (b->d.collapsed)
            snprintf(text, sizeof(text),
                     "%zu implied edge%s between groups not drawn (%zu "
                     "dependencies): a longer path already orders them",
                     b->d.dg.nhidden, b->d.dg.nhidden == 1 ? "" : "s",
                     b->d.dg.hidden_count);
        else
            snprintf(text, sizeof(text),
                     "%zu of %zu dependencies not drawn: implied by longer "
                     "paths",
                     b->d.dg.nhidden, dr_graph_nedges(b->g));
        legend_row(&h, NULL, text);
    }
    if (b->d.dg.wrapped_levels > 0)
        legend_row(&h, NULL,
                   "wide levels wrap into rows: only arrows mean order");
    if (b->note[0]) {
        dr__vbuf_puts(&h, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\" "
                          "BALIGN=\"LEFT\"><FONT COLOR=\"#8A5A00\">");
        legend_text(&h, b->note);
        dr__vbuf_puts(&h, "</FONT></TD></TR>");
    }
    dr__vbuf_puts(&h, "</TABLE>");
    char *html = dr__vbuf_take(&h, NULL);
    if (html != NULL)
        set_html(b->ag, n, "label", html);
    free(html);
}

/* ---------------------------------------------------------------- driver */

static void build_free(build *b) {
    if (b->ag != NULL)
        agclose(b->ag);
    drawing_free(&b->d);
    dr__vtrace_free(&b->trace);
    dr__groups_free(&b->groups);
    dr__vcolours_free(&b->colours);
    free(b->runs);
    free(b->weight);
    free(b->on_cp);
    free(b->cp_prev);
}

/* Builds the cgraph graph.  `layout` says whether it will be laid out (and
 * so is subject to max_layout_nodes). */
static int build_graph(build *b, const dr_graph *g, const json_t *trace,
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
        if ((rc = dr__vtrace_read(trace, &b->trace, err)) != 0)
            return rc;
        b->have_trace = 1;
        if ((rc = dr__vtrace_check_graph(&b->trace, g, err)) != 0)
            return rc;
    }
    b->color = o->color == DR_VIZ_COLOR_GROUP ? COLOR_GROUP
               : b->have_trace                ? COLOR_WORKER
                                              : COLOR_NONE;
    b->runs = calloc(m, sizeof(*b->runs));
    b->weight = calloc(m, sizeof(*b->weight));
    b->on_cp = calloc(m, 1);
    b->cp_prev = calloc(m, sizeof(*b->cp_prev));
    if (!b->runs || !b->weight || !b->on_cp || !b->cp_prev)
        goto oom;
    if (b->have_trace)
        read_runs(b);
    for (size_t i = 0; i < n; i++) {
        if (!b->have_trace)
            b->weight[i] = dr_task_cost(g, (dr_task)i);
        else if (b->runs[i].last != NULL && b->runs[i].last->status == DR__V_OK)
            b->weight[i] = b->runs[i].last->dur / 1e6;
    }
    critical_path(b, topo);
    if (b->color == COLOR_GROUP) {
        if (need_groups(b) != 0 ||
            dr__vcolours_build(&b->colours, b->have_trace ? &b->trace : NULL,
                               (const char *const *)b->groups.name,
                               b->groups.n) != 0)
            goto oom;
    }
    if ((rc = plan(b, layout, err)) != 0) {
        if (rc == DR_ENOMEM)
            goto oom;
        return rc;
    }
    const char *name = dr_graph_name(g);
    b->ag = agopen(DR__MUT(name[0] ? name : "dag"), Agdirected, NULL);
    if (b->ag == NULL)
        goto oom;
    graph_defaults(b);
    /* A wrapped level's edges leave a grid of rows through the rows below:
     * merged, they take one lane instead of one each. */
    if (b->d.dg.wrapped_levels > 0)
        set(b->ag, "concentrate", "true");
    /* The legend first: dot places it left of the tasks, where a reader
     * scrolling a wide graph in the report sees it at once. */
    if (o->legend)
        legend(b);
    emit(b);
    graph_title(b);
    if (b->note[0] && o->note != NULL)
        o->note(b->note, o->note_data);
    return 0;
oom:
    dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    return DR_ENOMEM;
}

static int write_dot(Agraph_t *ag, char **out, size_t *len, dr_error *err) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = agwrite(ag, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL, "cannot write DOT");
        return DR_EIO;
    }
    *out = buf;
    *len = n;
    return 0;
}

/*
 * One Graphviz context for the life of the process.  Graphviz 2.42's pango
 * text plugin keeps a pointer into the font cache of the context that last
 * measured text, so freeing a context and making another reads freed memory
 * (AddressSanitizer finds it on the second render).  Keeping one context
 * avoids that and the cost of reloading plugins per picture.  gvc_lock
 * protects the context: Graphviz is not thread-safe, so layouts and renders
 * take turns.
 */
static GVC_t *gvc_shared;
static pthread_mutex_t gvc_lock = PTHREAD_MUTEX_INITIALIZER;

int dr_viz_render(const dr_graph *g, const json_t *trace,
                  const dr_viz_options *o, const char *format, char **out,
                  size_t *len, dr_error *err) {
    dr_viz_options defaults;
    if (o == NULL) {
        dr_viz_options_init(&defaults);
        o = &defaults;
    }
    if (g == NULL || format == NULL || out == NULL || len == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    *out = NULL;
    *len = 0;
    int is_dot = strcmp(format, "dot") == 0 || strcmp(format, "gv") == 0;
    build b;
    int rc = build_graph(&b, g, trace, o, !is_dot, err);
    if (rc == 0 && is_dot) {
        rc = write_dot(b.ag, out, len, err);
    } else if (rc == 0) {
        pthread_mutex_lock(&gvc_lock);
        if (gvc_shared == NULL)
            gvc_shared = gvContext();
        GVC_t *gvc = gvc_shared;
        /* Bitmaps at Graphviz's default of 96 dpi are small and blurry on
         * today's screens (the lecture graph was about 500 pixels wide);
         * 192 doubles them.  Vector formats need no dpi. */
        if (strcmp(format, "png") == 0 || strcmp(format, "jpg") == 0 ||
            strcmp(format, "jpeg") == 0)
            set(b.ag, "dpi", "192");
        if (gvc == NULL || gvLayout(gvc, b.ag, "dot") != 0) {
            dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL,
                          "Graphviz could not lay out the graph");
            rc = DR_ENOTSUP;
        } else {
            char *data = NULL;
            unsigned int n = 0;
            if (gvRenderData(gvc, b.ag, DR__MUT(format), &data, &n) != 0 ||
                data == NULL) {
                dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL,
                              "Graphviz cannot render format '%s'", format);
                rc = DR_ENOTSUP;
            } else if ((*out = malloc((size_t)n + 1)) == NULL) {
                rc = DR_ENOMEM;
                dr__error_set(err, rc, NULL, 0, 0, NULL, "out of memory");
            } else {
                memcpy(*out, data, n);
                (*out)[n] = '\0';
                *len = n;
            }
            if (data != NULL)
                gvFreeRenderData(data);
            gvFreeLayout(gvc, b.ag);
        }
        pthread_mutex_unlock(&gvc_lock);
    }
    build_free(&b);
    return rc;
}

/* The format for a file name's extension, or NULL. */
static const char *format_of(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return NULL;
    static const char *const known[][2] = {
        {".dot", "dot"}, {".gv", "dot"},   {".svg", "svg"},
        {".png", "png"}, {".pdf", "pdf"},  {".ps", "ps"},
        {".jpg", "jpg"}, {".jpeg", "jpg"}, {".json", "json"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(dot, known[i][0]) == 0)
            return known[i][1];
    return NULL;
}

int dr_viz_write(const dr_graph *g, const json_t *trace,
                 const dr_viz_options *o, const char *path, dr_error *err) {
    const char *fmt = path ? format_of(path) : NULL;
    if (fmt == NULL) {
        dr__error_set(err, DR_EINVAL, path, 0, 0, NULL,
                      "unknown picture format: use .dot, .svg, .png or .pdf");
        return DR_EINVAL;
    }
    char *data;
    size_t len;
    int rc = dr_viz_render(g, trace, o, fmt, &data, &len, err);
    if (rc != 0)
        return rc;
    rc = dr_write_file_atomic(path, data, len, err);
    free(data);
    return rc;
}
