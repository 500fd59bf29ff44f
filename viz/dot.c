/*
 * DAG diagrams through Graphviz.  The graph is built with libcgraph (one
 * node per task, or per key prefix for large graphs), every attribute set
 * with agsafeset, and then either written as DOT with agwrite or laid out
 * with libgvc's "dot" engine and rendered (svg, png, pdf...).  DOT is never
 * printed by hand, so quoting and escaping are Graphviz's problem.
 *
 * Before a run the weights are the graph's costs; after a run they are the
 * measured durations read from the trace (the last attempt of each task).
 * The critical path is the longest path by those weights, found here in one
 * pass over the topological order, so the visualiser needs nothing from the
 * analysis module or the scheduler.
 *
 * Collapsing: above a threshold, tasks are grouped by key prefix
 * (dr_key_prefix) into one node per group ("map x1000", with total and
 * maximum cost or duration), and edges between groups carry the number of
 * task edges they stand for, as Dask's high-level graph does.  Graphviz's
 * dot layout is superlinear, so this is what makes 100,000 tasks draw in
 * well under a second; without it, layouts above max_layout_nodes nodes are
 * refused (DOT output is still allowed).
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

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

void dr_viz_options_init(dr_viz_options *o) {
    memset(o, 0, sizeof(*o));
    o->collapse = DR_VIZ_COLLAPSE_AUTO;
    o->collapse_threshold = 300;
    o->max_layout_nodes = 5000;
    o->rankdir = "TB";
    o->legend = 1;
}

/* What the trace says about one task: its last attempt. */
typedef struct task_run {
    const dr__vattempt *last; /* NULL: never ran */
    int attempts;
} task_run;

typedef struct group {
    char *name;
    size_t count, failed, notrun;
    double total, max;
    int worker; /* the single worker that ran all, -1 none yet, -2 several */
    int on_cp;
} group;

typedef struct build {
    const dr_graph *g;
    const dr_viz_options *o;
    dr__vtrace trace;
    int have_trace;
    task_run *runs;
    double *weight;
    unsigned char *on_cp; /* task is on the critical path */
    dr_task *cp_prev;     /* predecessor on the critical path, or NONE */
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

/* White text on dark fills, black on light ones. */
static const char *text_on(const char *hex) {
    unsigned r, gr, b;
    if (sscanf(hex, "#%2x%2x%2x", &r, &gr, &b) != 3)
        return "black";
    return 0.299 * r + 0.587 * gr + 0.114 * b < 150 ? "white" : "black";
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

static void label_time(char *buf, size_t len, double seconds) {
    dr__vfmt_time(buf, len, seconds * 1e6);
}

/* A cost is in the graph's own units, not seconds: "cost 1", never "1 s",
 * so that a diagram drawn before a run is not read as measured times. */
static void label_cost(char *buf, size_t len, double cost) {
    snprintf(buf, len, "%.4g", cost);
}

/* A weight: a measured time after a run, a cost before. */
static void label_weight(const build *b, char *buf, size_t len, double w) {
    if (b->have_trace)
        label_time(buf, len, w);
    else
        label_cost(buf, len, w);
}

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
    agattr(g, AGNODE, "fillcolor", "#F4F6F8");
    agattr(g, AGNODE, "color", "#5F6B76");
    agattr(g, AGNODE, "penwidth", "1");
    agattr(g, AGNODE, "margin", "0.08,0.04");
    agattr(g, AGEDGE, "color", "#8A949E");
    agattr(g, AGEDGE, "arrowsize", "0.6");
    agattr(g, AGEDGE, "penwidth", "1");
    agattr(g, AGEDGE, "fontname", "Helvetica");
    agattr(g, AGEDGE, "fontsize", "9");
    agattr(g, AGEDGE, "fontcolor", "#5F6B76");
    agattr(g, AGNODE, "fontcolor", "black");
    agattr(g, AGNODE, "tooltip", "");
    agattr(g, AGEDGE, "tooltip", "");
    agattr(g, AGEDGE, "label", "");
}

static void graph_title(build *b, size_t nodes, int collapsed) {
    char title[512];
    const char *name = dr_graph_name(b->g);
    snprintf(title, sizeof(title), "%s%s%zu %s%s", name,
             name[0] ? " \xE2\x80\x94 " : "", nodes,
             collapsed ? "groups" : "tasks",
             b->have_trace ? " (after the run)" : "");
    set(b->ag, "label", title);
}

static void legend(build *b, int collapsed) {
    Agraph_t *sub = agsubg(b->ag, "cluster_legend", 1);
    set(sub, "label", "");
    set(sub, "color", "#C8CED4");
    set(sub, "style", "rounded");
    Agnode_t *n = agnode(sub, "_legend", 1);
    set(n, "shape", "plaintext");
    set(n, "style", "");
    dr__vbuf h = {0};
    dr__vbuf_puts(&h, "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" "
                      "CELLPADDING=\"2\"><TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">"
                      "<B>Legend</B></TD></TR>");
#define ROW(sw, text)                                                          \
    dr__vbuf_printf(                                                           \
        &h,                                                                    \
        "<TR><TD %s WIDTH=\"22\" HEIGHT=\"12\" FIXEDSIZE=\"TRUE\">"            \
        "</TD><TD ALIGN=\"LEFT\">%s</TD></TR>",                                \
        sw, text)
    ROW("BGCOLOR=\"" CP_RED "\"",
        b->have_trace ? "critical path (longest by measured time)"
                      : "critical path (longest by cost)");
    if (b->have_trace) {
        int w = b->trace.workers;
        int shown = w < 10 ? w : 10;
        for (int i = 0; i < shown; i++) {
            char sw[64], text[64];
            snprintf(sw, sizeof(sw), "BGCOLOR=\"%s\"",
                     dr_viz_palette((size_t)i));
            if (w <= 10)
                snprintf(text, sizeof(text), "ran on worker %d", i);
            else
                snprintf(text, sizeof(text), "worker %d, %d, %d...", i, i + 10,
                         i + 20);
            ROW(sw, text);
        }
        ROW("BGCOLOR=\"#FBE3E4\" BORDER=\"2\" COLOR=\"" CP_RED "\"",
            "failed (red octagon)");
        ROW("BGCOLOR=\"#EEEEEE\" BORDER=\"1\" STYLE=\"DASHED\" "
            "COLOR=\"#9A9A9A\"",
            "did not run (skipped)");
    }
    if (collapsed)
        ROW("BGCOLOR=\"#F4F6F8\" BORDER=\"1\"",
            "name \xC3\x97N: N tasks with that key prefix; "
            "edge labels count dependencies");
#undef ROW
    dr__vbuf_puts(&h, "</TABLE>");
    char *html = dr__vbuf_take(&h, NULL);
    if (html != NULL)
        set_html(b->ag, n, "label", html);
    free(html);
}

static void style_run(build *b, Agnode_t *an, dr_task t, dr__vbuf *label,
                      dr__vbuf *tip) {
    const task_run *r = &b->runs[t];
    char tbuf[64];
    if (r->last == NULL) {
        set(an, "style", "rounded,filled,dashed");
        set(an, "fillcolor", "#EEEEEE");
        set(an, "color", "#9A9A9A");
        set(an, "fontcolor", "#6B6B6B");
        dr__vbuf_puts(label, "\\nnot run");
        dr__vbuf_puts(tip, "\\nnot run (skipped)");
        return;
    }
    const dr__vattempt *a = r->last;
    const char *fill = dr_viz_palette((size_t)a->worker);
    dr__vfmt_time(tbuf, sizeof(tbuf), a->dur);
    if (a->status == DR__V_OK) {
        set(an, "fillcolor", fill);
        set(an, "fontcolor", text_on(fill));
        dr__vbuf_printf(label, "\\n%s", tbuf);
    } else {
        set(an, "shape", "octagon");
        set(an, "style", "filled,bold");
        set(an, "fillcolor", "#FBE3E4");
        set(an, "color", CP_RED);
        set(an, "penwidth", "3");
        dr__vbuf_printf(label, "\\n%s \xC2\xB7 %s", dr__vstatus_name(a->status),
                        tbuf);
    }
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
        dr__vbuf_printf(tip, " (attempt %d of %d)", a->attempt, r->attempts);
    if (a->error != NULL) {
        dr__vbuf_puts(tip, "\\n");
        esc(tip, a->error);
    }
}

static int build_tasks(build *b) {
    size_t n = dr_graph_ntasks(b->g);
    Agnode_t **nodes = malloc((n ? n : 1) * sizeof(*nodes));
    if (nodes == NULL)
        return DR_ENOMEM;
    dr__vbuf label = {0}, tip = {0};
    char tbuf[64];
    for (size_t i = 0; i < n; i++) {
        dr_task t = (dr_task)i;
        const char *key = dr_task_key(b->g, t);
        Agnode_t *an = nodes[i] = agnode(b->ag, DR__MUT(key), 1);
        label.len = tip.len = 0;
        esc(&label, key);
        esc(&tip, key);
        const char *op = dr_task_op_label(b->g, t);
        dr__vbuf_printf(&tip, "\\nop %s", op);
        if (b->have_trace) {
            style_run(b, an, t, &label, &tip);
        } else {
            label_cost(tbuf, sizeof(tbuf), dr_task_cost(b->g, t));
            dr__vbuf_printf(&label, "\\n%s \xC2\xB7 cost %s%s", op, tbuf,
                            dr_task_has_cost(b->g, t) ? "" : "?");
            dr__vbuf_printf(&tip, "\\ncost %s%s", tbuf,
                            dr_task_has_cost(b->g, t)
                                ? " (in the graph's units)"
                                : " (unset)");
        }
        if (b->on_cp[t]) {
            set(an, "color", CP_RED);
            set(an, "penwidth", "2.5");
            dr__vbuf_puts(&tip, "\\non the critical path");
        }
        if (label.oom || tip.oom)
            break;
        set(an, "label", label.s);
        set(an, "tooltip", tip.s);
    }
    int rc = (label.oom || tip.oom) ? DR_ENOMEM : 0;
    dr__vbuf_free(&label);
    dr__vbuf_free(&tip);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t nd;
        const dr_task *deps = dr_task_deps(b->g, (dr_task)i, &nd);
        for (size_t j = 0; j < nd; j++) {
            Agedge_t *e = agedge(b->ag, nodes[deps[j]], nodes[i], NULL, 1);
            if (b->cp_prev[i] == deps[j] && b->on_cp[i]) {
                set(e, "color", CP_RED);
                set(e, "penwidth", "2.5");
                set(e, "arrowsize", "0.8");
            }
        }
    }
    free(nodes);
    return rc;
}

/* ---------------------------------------------------------------- groups */

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static size_t pow2_at_least(size_t n) {
    size_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

typedef struct edge_slot {
    uint32_t a, b; /* a == UINT32_MAX: empty */
    uint32_t count;
    uint32_t on_cp;
} edge_slot;

static int build_groups(build *b, size_t *ngroups_out) {
    size_t n = dr_graph_ntasks(b->g);
    size_t cap = pow2_at_least(2 * n + 2);
    uint32_t *slots = malloc(cap * sizeof(*slots));
    uint32_t *gof = malloc((n ? n : 1) * sizeof(*gof));
    group *groups = calloc(n ? n : 1, sizeof(*groups));
    size_t ng = 0;
    int rc = DR_ENOMEM;
    if (slots == NULL || gof == NULL || groups == NULL)
        goto out;
    memset(slots, 0xff, cap * sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        const char *key = dr_task_key(b->g, (dr_task)i);
        size_t plen = dr_key_prefix(key);
        size_t h = (size_t)hash_bytes(key, plen) & (cap - 1);
        while (slots[h] != UINT32_MAX) {
            const char *gn = groups[slots[h]].name;
            if (strncmp(gn, key, plen) == 0 && gn[plen] == '\0')
                break;
            h = (h + 1) & (cap - 1);
        }
        if (slots[h] == UINT32_MAX) {
            groups[ng].name = strndup(key, plen);
            if (groups[ng].name == NULL)
                goto out;
            groups[ng].worker = -1;
            slots[h] = (uint32_t)ng++;
        }
        group *gr = &groups[slots[h]];
        gof[i] = slots[h];
        gr->count++;
        gr->total += b->weight[i];
        if (b->weight[i] > gr->max)
            gr->max = b->weight[i];
        if (b->on_cp[i])
            gr->on_cp = 1;
        if (b->have_trace) {
            const dr__vattempt *a = b->runs[i].last;
            if (a == NULL)
                gr->notrun++;
            else {
                if (a->status != DR__V_OK)
                    gr->failed++;
                gr->worker = (gr->worker == -1 || gr->worker == a->worker)
                                 ? a->worker
                                 : -2;
            }
        }
    }
    *ngroups_out = ng;
    if (ng > b->o->max_layout_nodes && b->o->max_layout_nodes != 0) {
        rc = DR_ETOOBIG;
        goto out;
    }

    Agnode_t **nodes = malloc(ng * sizeof(*nodes));
    if (nodes == NULL)
        goto out;
    dr__vbuf label = {0}, tip = {0};
    char t1[64], t2[64];
    for (size_t i = 0; i < ng; i++) {
        group *gr = &groups[i];
        Agnode_t *an = nodes[i] = agnode(b->ag, gr->name, 1);
        label.len = tip.len = 0;
        esc(&label, gr->name);
        if (gr->count > 1)
            dr__vbuf_printf(&label, " \xC3\x97%zu", gr->count);
        esc(&tip, gr->name);
        dr__vbuf_printf(&tip, ": %zu task%s", gr->count,
                        gr->count == 1 ? "" : "s");
        label_weight(b, t1, sizeof(t1), gr->total);
        label_weight(b, t2, sizeof(t2), gr->max);
        const char *what = b->have_trace ? "time" : "cost";
        if (b->have_trace)
            dr__vbuf_printf(&label, "\\n\xCE\xA3 %s \xC2\xB7 max %s", t1, t2);
        else
            dr__vbuf_printf(&label, "\\n\xCE\xA3 cost %s \xC2\xB7 max %s", t1,
                            t2);
        dr__vbuf_printf(&tip, "\\ntotal %s %s\\nmax %s %s", what, t1, what, t2);
        if (b->have_trace) {
            if (gr->worker >= 0) {
                const char *fill = dr_viz_palette((size_t)gr->worker);
                set(an, "fillcolor", fill);
                set(an, "fontcolor", text_on(fill));
                dr__vbuf_printf(&tip, "\\nall on worker %d", gr->worker);
            } else if (gr->worker == -2) {
                set(an, "fillcolor", "#DCE3EA");
                dr__vbuf_puts(&tip, "\\nran on several workers");
            }
            if (gr->failed > 0) {
                set(an, "shape", "octagon");
                set(an, "style", "filled,bold");
                set(an, "fillcolor", "#FBE3E4");
                set(an, "fontcolor", "black");
                set(an, "color", CP_RED);
                set(an, "penwidth", "3");
                dr__vbuf_printf(&label, "\\n%zu failed", gr->failed);
                dr__vbuf_printf(&tip, "\\n%zu failed", gr->failed);
            }
            if (gr->notrun > 0) {
                dr__vbuf_printf(&label, "\\n%zu not run", gr->notrun);
                dr__vbuf_printf(&tip, "\\n%zu not run", gr->notrun);
                if (gr->notrun == gr->count) {
                    set(an, "style", "rounded,filled,dashed");
                    set(an, "fillcolor", "#EEEEEE");
                    set(an, "color", "#9A9A9A");
                    set(an, "fontcolor", "#6B6B6B");
                }
            }
        }
        if (gr->on_cp && gr->failed == 0) {
            set(an, "color", CP_RED);
            set(an, "penwidth", "2.5");
        }
        set(an, "label", label.s ? label.s : "");
        set(an, "tooltip", tip.s ? tip.s : "");
    }
    int oom = label.oom || tip.oom;
    dr__vbuf_free(&label);
    dr__vbuf_free(&tip);

    /* Group edges with counts: an open-addressing table of (a, b) pairs. */
    size_t ecap = pow2_at_least(2 * dr_graph_nedges(b->g) + 2);
    edge_slot *es = oom ? NULL : malloc(ecap * sizeof(*es));
    if (es != NULL) {
        for (size_t i = 0; i < ecap; i++)
            es[i].a = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            size_t nd;
            const dr_task *deps = dr_task_deps(b->g, (dr_task)i, &nd);
            for (size_t j = 0; j < nd; j++) {
                uint32_t ga = gof[deps[j]], gb = gof[i];
                if (ga == gb)
                    continue;
                size_t h = (size_t)(((uint64_t)ga * 0x9E3779B97F4A7C15ULL) ^
                                    ((uint64_t)gb * 0xC2B2AE3D27D4EB4FULL));
                h &= ecap - 1;
                while (es[h].a != UINT32_MAX &&
                       (es[h].a != ga || es[h].b != gb))
                    h = (h + 1) & (ecap - 1);
                es[h].a = ga;
                es[h].b = gb;
                es[h].count++;
                if (b->on_cp[i] && b->cp_prev[i] == deps[j])
                    es[h].on_cp = 1;
            }
        }
        char cnt[32];
        for (size_t h = 0; h < ecap; h++) {
            if (es[h].a == UINT32_MAX)
                continue;
            Agedge_t *e =
                agedge(b->ag, nodes[es[h].a], nodes[es[h].b], NULL, 1);
            snprintf(cnt, sizeof(cnt), "%u", es[h].count);
            set(e, "label", cnt);
            set(e, "tooltip", cnt);
            if (es[h].on_cp) {
                set(e, "color", CP_RED);
                set(e, "penwidth", "2.5");
                set(e, "fontcolor", CP_RED);
            }
        }
        rc = 0;
    }
    free(es);
    free(nodes);
out:
    for (size_t i = 0; i < ng; i++)
        free(groups[i].name);
    free(groups);
    free(gof);
    free(slots);
    return rc;
}

/* ---------------------------------------------------------------- driver */

static void build_free(build *b) {
    if (b->ag != NULL)
        agclose(b->ag);
    dr__vtrace_free(&b->trace);
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
    b->runs = calloc(m, sizeof(*b->runs));
    b->weight = calloc(m, sizeof(*b->weight));
    b->on_cp = calloc(m, 1);
    b->cp_prev = calloc(m, sizeof(*b->cp_prev));
    if (!b->runs || !b->weight || !b->on_cp || !b->cp_prev) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    if (b->have_trace)
        read_runs(b);
    for (size_t i = 0; i < n; i++) {
        if (!b->have_trace)
            b->weight[i] = dr_task_cost(g, (dr_task)i);
        else if (b->runs[i].last != NULL && b->runs[i].last->status == DR__V_OK)
            b->weight[i] = b->runs[i].last->dur / 1e6;
    }
    critical_path(b, topo);

    int collapsed =
        o->collapse == DR_VIZ_COLLAPSE_ALWAYS ||
        (o->collapse == DR_VIZ_COLLAPSE_AUTO && n > o->collapse_threshold);
    if (!collapsed && layout && o->max_layout_nodes != 0 &&
        n > o->max_layout_nodes) {
        dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                      "%zu tasks are too many to lay out one by one (at most "
                      "%zu): collapse them by key prefix (--collapse) or "
                      "write .dot",
                      n, o->max_layout_nodes);
        return DR_ETOOBIG;
    }
    const char *name = dr_graph_name(g);
    b->ag = agopen(DR__MUT(name[0] ? name : "dag"), Agdirected, NULL);
    if (b->ag == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    size_t nodes = n;
    graph_defaults(b);
    /* The legend first: dot places it left of the tasks, where a reader
     * scrolling a wide graph in the report sees it at once. */
    if (o->legend)
        legend(b, collapsed);
    if (collapsed) {
        dr_viz_options big = *o;
        if (!layout)
            big.max_layout_nodes = 0;
        b->o = &big;
        rc = build_groups(b, &nodes);
        b->o = o;
        if (rc == DR_ETOOBIG) {
            dr__error_set(err, rc, NULL, 0, 0, NULL,
                          "%zu groups of tasks after collapsing by key prefix "
                          "are too many to lay out (at most %zu): write .dot",
                          nodes, o->max_layout_nodes);
            return rc;
        }
    } else {
        rc = build_tasks(b);
    }
    if (rc == 0)
        graph_title(b, nodes, collapsed);
    if (rc != 0)
        dr__error_set(err, rc, NULL, 0, 0, NULL, "%s", dr_strerror(rc));
    return rc;
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
