/*
 * DAG diagrams through Graphviz.  dag_plan.c decides what to draw (nodes,
 * labels, the edges of the transitive reduction, wrapped levels, the time
 * budget); this file turns that drawing into a cgraph graph, every
 * attribute set with agsafeset, with node styles and the legend, and then
 * either writes it as DOT with agwrite or lays it out with libgvc's "dot"
 * engine and renders it (svg, png, pdf...).  DOT is never printed by hand,
 * so quoting and escaping are Graphviz's problem.
 */
#include "dag_internal.h"

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
#define SKIPPED_FILL "#EEEEEE"
#define NOTRUN_FILL "#FFFFFF"
#define NOTRUN_LINE "#9A9A9A"

void dr_viz_options_init(dr_viz_options *o) {
    memset(o, 0, sizeof(*o));
    o->collapse = DR_VIZ_COLLAPSE_AUTO;
    o->collapse_threshold = 300;
    o->max_layout_nodes = 5000;
    o->rankdir = "TB";
    o->legend = 1;
    o->color = DR_VIZ_COLOR_AUTO;
    o->time_budget = DR__DAG_DEFAULT_BUDGET;
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

/* ---------------------------------------------------------- to cgraph */

/* Declares the defaults; must come before any node or edge is made, since
 * agsafeset on an undeclared attribute declares it with default "". */
static void graph_defaults(const dr__dag *b, Agraph_t *g) {
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

static void graph_title(const dr__dag *b, Agraph_t *ag) {
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
    set(ag, "label", title);
}

static const char *node_fill(const dr__dag *b, const dr__dnode *x) {
    if (b->color == DR__DAG_COLOR_WORKER) {
        if (x->worker >= 0)
            return dr_viz_palette((size_t)x->worker);
        return x->worker == -2 ? MIXED_FILL : PLAIN_FILL;
    }
    if (b->color == DR__DAG_COLOR_GROUP) {
        if (x->colour >= 0)
            return dr_viz_prefix_palette((size_t)x->colour);
        return x->colour == -2 ? MIXED_FILL : PLAIN_FILL;
    }
    return PLAIN_FILL;
}

/* Failed: a pink octagon with a dark border (bold red is the critical
 * path's).  Interrupted: its colour kept, a dashed double border.  Skipped
 * (a dependency failed): grey and dashed.  Not run (never started, the run
 * stopped first): white with a dotted grey border, so that the two kinds of
 * task that never ran are not taken for one another.  Cached (a resumed
 * run reused its result): a pale blue-grey note with a dotted blue-grey
 * border, told from "not run" by its shape as well as its colours. */
static void style_node(const dr__dag *b, Agnode_t *an, const dr__dnode *x) {
    const char *fill = node_fill(b, x);
    if (x->failed > 0) {
        set(an, "shape", "octagon");
        set(an, "style", "filled");
        set(an, "fillcolor", FAILED_FILL);
        set(an, "color", DARK_LINE);
        set(an, "penwidth", "2");
    } else if (x->cached == x->count && b->have_trace) {
        /* Reused, not run: a note (a record kept from an earlier run),
         * pale, with a dotted outline; no worker colour, as no worker ran
         * it. */
        set(an, "shape", "note");
        set(an, "style", "filled,dotted");
        set(an, "fillcolor", DR__VCACHED_FILL);
        set(an, "color", DR__VCACHED_LINE);
        set(an, "penwidth", "1.5");
        set(an, "fontcolor", "#2B333B");
    } else if (x->skipped + x->notrun + x->cached == x->count &&
               b->have_trace) {
        /* A group of several kinds is drawn as skipped, or as not run;
         * its label counts each. */
        set(an, "style",
            x->skipped > 0 ? "rounded,filled,dashed" : "rounded,filled,dotted");
        set(an, "fillcolor", x->skipped > 0 ? SKIPPED_FILL : NOTRUN_FILL);
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

static void emit(const dr__dag *b, Agraph_t *ag) {
    const dr__drawing *d = &b->d;
    Agnode_t **an = malloc((d->n ? d->n : 1) * sizeof(*an));
    if (an == NULL)
        return;
    char uniq[64];
    for (size_t i = 0; i < d->n; i++) {
        const dr__dnode *x = &d->nodes[i];
        /* Names are unique among tasks and among groups; only the legend's
         * node could clash. */
        const char *name = x->name;
        if (agnode(ag, DR__MUT(name), 0) != NULL) {
            snprintf(uniq, sizeof(uniq), "_node%zu", i);
            name = uniq;
        }
        an[i] = agnode(ag, DR__MUT(name), 1);
        set(an[i], "label", x->label);
        set(an[i], "tooltip", x->tip);
        style_node(b, an[i], x);
    }
    char num[32];
    for (size_t i = 0; i < d->dg.m; i++) {
        const dr__dedge *e = &d->dg.e[i];
        if (e->hidden)
            continue;
        Agedge_t *ae = agedge(ag, an[e->from], an[e->to], NULL, 1);
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
static void html_text(dr__buf *h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&')
            dr__buf_puts(h, "&amp;");
        else if (s[i] == '<')
            dr__buf_puts(h, "&lt;");
        else if (s[i] == '>')
            dr__buf_puts(h, "&gt;");
        else
            dr__buf_putn(h, s + i, 1);
    }
}

/* Legend text wrapped at spaces into lines of about LEGEND_LINE characters,
 * so that no row widens the legend (and its swatch column) by itself. */
#define LEGEND_LINE 40
static void legend_text(dr__buf *h, const char *text) {
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
            dr__buf_puts(h, "<BR ALIGN=\"LEFT\"/>");
    }
}

/* One legend row: a swatch (TD attributes, NULL: none) and its text;
 * `bold` rows are headings. */
static void legend_row_as(dr__buf *h, const char *swatch, const char *text,
                          int bold) {
    if (swatch == NULL)
        dr__buf_puts(h, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\" "
                        "BALIGN=\"LEFT\">");
    else
        dr__buf_printf(h,
                       "<TR><TD %s WIDTH=\"22\" HEIGHT=\"12\" "
                       "FIXEDSIZE=\"TRUE\"></TD><TD ALIGN=\"LEFT\" "
                       "BALIGN=\"LEFT\">",
                       swatch);
    dr__buf_puts(h, bold ? "<B>" : "");
    legend_text(h, text);
    dr__buf_puts(h, bold ? "</B></TD></TR>" : "</TD></TR>");
}

static void legend_row(dr__buf *h, const char *swatch, const char *text) {
    legend_row_as(h, swatch, text, 0);
}

static void legend_colours(const dr__dag *b, dr__buf *h) {
    const dr__drawing *d = &b->d;
    int mixed = 0;
    for (size_t i = 0; i < d->n; i++)
        mixed |= b->color == DR__DAG_COLOR_WORKER ? d->nodes[i].worker == -2
                                                  : d->nodes[i].colour == -2;
    char sw[96];
    if (b->color == DR__DAG_COLOR_WORKER) {
        legend_row_as(h, NULL, "Colour: the worker that ran it", 1);
        int w = b->trace->workers, shown = w < 10 ? w : 10;
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

static void legend(const dr__dag *b, Agraph_t *ag) {
    Agraph_t *sub = agsubg(ag, "cluster_legend", 1);
    set(sub, "label", "");
    set(sub, "color", "#C8CED4");
    set(sub, "style", "rounded");
    Agnode_t *n = agnode(sub, "_legend", 1);
    set(n, "shape", "plaintext");
    set(n, "style", "");
    dr__buf h = {0};
    char text[400];
    dr__buf_puts(&h, "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" "
                     "CELLPADDING=\"2\"><TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">"
                     "<B>Legend</B></TD></TR>");
    size_t ncp = 0;
    for (size_t t = 0; t < dr_graph_ntasks(b->g); t++)
        ncp += b->on_cp[t];
    if (ncp == 0 && b->have_trace && b->trace->n == 0 && b->ncached > 0)
        legend_row(&h, "BGCOLOR=\"#FFFFFF\"",
                   "no critical path: no task ran, every result was reused");
    else if (ncp == 0 && b->have_trace)
        legend_row(&h, "BGCOLOR=\"#FFFFFF\"",
                   "no critical path: no task finished in measurable time");
    else
        legend_row(&h, "BGCOLOR=\"" CP_RED "\"",
                   b->have_trace ? "critical path (longest by measured time)"
                                 : "critical path (longest by cost)");
    /* Nothing ran (every task cached): no colour means anything. */
    if (b->color != DR__DAG_COLOR_NONE &&
        !(b->trace != NULL && b->trace->n == 0 && b->ncached > 0))
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
    /* The two ways a task never ran, each said as what happened and only
     * when a task of the picture is so: skipped when a dependency failed
     * (the scheduler skips its dependents), not run when nothing upstream
     * failed and the run stopped before it (a signal, or a failure
     * elsewhere without --keep-going). */
    if (b->nskipped > 0)
        legend_row(&h,
                   "BGCOLOR=\"" SKIPPED_FILL "\" BORDER=\"1\" STYLE=\"DASHED\" "
                   "COLOR=\"" NOTRUN_LINE "\"",
                   "skipped: a dependency failed (grey, dashed)");
    if (b->nnotrun > 0)
        legend_row(&h,
                   "BGCOLOR=\"" NOTRUN_FILL "\" BORDER=\"1\" STYLE=\"DOTTED\" "
                   "COLOR=\"" NOTRUN_LINE "\"",
                   b->ninterrupted > 0
                       ? "not run: never started, the run was stopped first "
                         "(dotted)"
                   : b->nfailed > 0
                       ? "not run: never started, the run stopped after a "
                         "failure or a signal (dotted)"
                       : "not run: never started, the run stopped first "
                         "(dotted)");
    if (b->ncached > 0) {
        snprintf(text, sizeof(text),
                 "cached (%zu task%s): not run, the result of an earlier "
                 "run reused (--resume; a pale note, dotted)",
                 b->ncached, b->ncached == 1 ? "" : "s");
        legend_row(&h,
                   "BGCOLOR=\"" DR__VCACHED_FILL "\" BORDER=\"1\" "
                   "STYLE=\"DOTTED\" COLOR=\"" DR__VCACHED_LINE "\"",
                   text);
    }
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
        dr__buf_puts(&h, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\" "
                         "BALIGN=\"LEFT\"><FONT COLOR=\"#8A5A00\">");
        legend_text(&h, b->note);
        dr__buf_puts(&h, "</FONT></TD></TR>");
    }
    dr__buf_puts(&h, "</TABLE>");
    char *html = dr__buf_take(&h, NULL);
    if (html != NULL)
        set_html(ag, n, "label", html);
    free(html);
}

/* ---------------------------------------------------------------- driver */

/* The cgraph graph of a prepared drawing, or NULL when out of memory. */
static Agraph_t *to_cgraph(const dr__dag *b) {
    const char *name = dr_graph_name(b->g);
    Agraph_t *ag = agopen(DR__MUT(name[0] ? name : "dag"), Agdirected, NULL);
    if (ag == NULL)
        return NULL;
    graph_defaults(b, ag);
    /* A wrapped level's edges leave a grid of rows through the rows below:
     * merged, they take one lane instead of one each. */
    if (b->d.dg.wrapped_levels > 0)
        set(ag, "concentrate", "true");
    /* The legend first: dot places it left of the tasks, where a reader
     * scrolling a wide graph in the report sees it at once. */
    if (b->o->legend)
        legend(b, ag);
    emit(b, ag);
    graph_title(b, ag);
    return ag;
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

/* Lays out the cgraph graph of a drawing and renders it in `format`
 * ("svg", "png", ...) into a new string.  0 or a DR_E* code with err. */
static int render_laid_out(Agraph_t *ag, const char *format, char **out,
                           size_t *len, dr_error *err) {
    int rc = 0;
    pthread_mutex_lock(&gvc_lock);
    if (gvc_shared == NULL)
        gvc_shared = gvContext();
    GVC_t *gvc = gvc_shared;
    /* Bitmaps at Graphviz's default of 96 dpi are small and blurry on
     * today's screens (the lecture graph was about 500 pixels wide); 192
     * doubles them.  Vector formats need no dpi. */
    if (strcmp(format, "png") == 0 || strcmp(format, "jpg") == 0 ||
        strcmp(format, "jpeg") == 0)
        set(ag, "dpi", "192");
    if (gvc == NULL || gvLayout(gvc, ag, "dot") != 0) {
        dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL,
                      "Graphviz could not lay out the graph");
        rc = DR_ENOTSUP;
    } else {
        char *data = NULL;
        unsigned int n = 0;
        if (gvRenderData(gvc, ag, DR__MUT(format), &data, &n) != 0 ||
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
        gvFreeLayout(gvc, ag);
    }
    pthread_mutex_unlock(&gvc_lock);
    return rc;
}

static int is_dot_format(const char *format) {
    return strcmp(format, "dot") == 0 || strcmp(format, "gv") == 0;
}

int dr__viz_render_both(const dr_graph *g, const dr__vtrace *trace,
                        const dr_viz_options *o, char **dot, size_t *dot_len,
                        const char *format, char **out, size_t *len,
                        dr_error *err) {
    dr_viz_options defaults;
    if (o == NULL) {
        dr_viz_options_init(&defaults);
        o = &defaults;
    }
    if (g == NULL || (dot == NULL && out == NULL) ||
        (dot != NULL && dot_len == NULL) ||
        (out != NULL && (len == NULL || format == NULL))) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    if (dot != NULL) {
        *dot = NULL;
        *dot_len = 0;
    }
    if (out != NULL) {
        *out = NULL;
        *len = 0;
    }
    /* A picture is laid out, and so is held to max_layout_nodes; DOT alone
     * is not. */
    int layout = out != NULL;
    dr__dag dag;
    Agraph_t *ag = NULL;
    int rc = dr__dag_prepare(&dag, g, trace, o, layout, err);
    if (rc == 0 && (ag = to_cgraph(&dag)) == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = DR_ENOMEM;
    }
    /* DOT is written before the layout adds its positions. */
    if (rc == 0 && dot != NULL)
        rc = write_dot(ag, dot, dot_len, err);
    if (rc == 0 && out != NULL)
        rc = render_laid_out(ag, format, out, len, err);
    if (ag != NULL)
        agclose(ag);
    dr__dag_free(&dag);
    if (rc != 0 && dot != NULL) {
        free(*dot);
        *dot = NULL;
        *dot_len = 0;
    }
    return rc;
}

int dr_viz_render(const dr_graph *g, const json_t *trace,
                  const dr_viz_options *o, const char *format, char **out,
                  size_t *len, dr_error *err) {
    if (format == NULL || out == NULL || len == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    /* What is wrong with the graph is said before what is wrong with the
     * trace. */
    if (g == NULL || (dr_graph_topo_order(g) == NULL && dr_graph_ntasks(g) > 0))
        trace = NULL;
    dr__vtrace t;
    int rc = trace != NULL ? dr__vtrace_read(trace, &t, err) : 0;
    if (rc != 0)
        return rc;
    const dr__vtrace *tp = trace != NULL ? &t : NULL;
    if (is_dot_format(format))
        rc = dr__viz_render_both(g, tp, o, out, len, NULL, NULL, NULL, err);
    else
        rc = dr__viz_render_both(g, tp, o, NULL, NULL, format, out, len, err);
    if (tp != NULL)
        dr__vtrace_free(&t);
    return rc;
}

/* The format for a file name's extension, or NULL.  Not PostScript:
 * Graphviz's PostScript driver is Latin-1 only, and labels carry "·", "×"
 * and "Σ" (it warns and garbles them); PDF does that job. */
const char *dr__viz_format_of(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return NULL;
    static const char *const known[][2] = {
        {".dot", "dot"}, {".gv", "dot"},  {".svg", "svg"},  {".png", "png"},
        {".pdf", "pdf"}, {".jpg", "jpg"}, {".jpeg", "jpg"}, {".json", "json"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(dot, known[i][0]) == 0)
            return known[i][1];
    return NULL;
}

int dr_viz_write(const dr_graph *g, const json_t *trace,
                 const dr_viz_options *o, const char *path, dr_error *err) {
    const char *fmt = path ? dr__viz_format_of(path) : NULL;
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
