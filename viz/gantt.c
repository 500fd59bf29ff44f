/*
 * The Gantt chart: SVG text written here, not by Graphviz, because a
 * timeline is a plain grid of rectangles and the interesting work is keeping
 * it readable and small at any size.
 *
 * Geometry: one row per worker, time on the x axis from 0 to the makespan.
 * Each row starts with a swatch of the worker's colour (dr_viz_palette, the
 * colour its tasks have in the DAG diagram).  Bars are coloured by worker,
 * or (--color group) by structural group (the trace's `cat`) from a
 * second, disjoint palette of light pastels (dr_viz_prefix_palette), with
 * the DAG's group colours (dr__vcolours_build), so that no colour in a
 * report means a worker in one picture and a group in another.  Failed
 * attempts are
 * hatched red, each worker's idle tail (its last end to the makespan) is
 * shaded, and the critical path's tasks (summary.json) are outlined.  Ticks
 * follow 1-2-5 steps in s, ms or µs.
 *
 * Scale: bars narrower than `minw` pixels that follow each other on a row
 * with no visible gap are merged into one rectangle titled "N tasks".  minw
 * starts at one pixel and doubles until the chart has at most MAX_RECTS
 * rectangles, so 100,000 attempts give a file of a few hundred kilobytes
 * while idle gaps of a pixel or more stay visible.
 *
 * Below the chart, the number of running tasks over time is drawn as a step
 * plot, compressed to at most four points per pixel column, with the worker
 * count as a dashed line.  The sweep relies on the trace reader clamping
 * each attempt's end to the next start on its worker: float rounding would
 * otherwise count two tasks on one worker at once.
 */
#include "graph_internal.h"
#include "viz_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECTS 12000
#define FAIL_RED "#D62728"
#define FONT "font-family=\"Helvetica, Arial, sans-serif\""

void dr_gantt_options_init(dr_gantt_options *o) {
    memset(o, 0, sizeof(*o));
    o->width = 1200;
    o->profile = 1;
    o->legend = 1;
}

/* ------------------------------------------------------------ time axis */

typedef struct axis {
    double x0, w;      /* plot area in pixels */
    double span;       /* microseconds */
    double unit;       /* microseconds per displayed unit */
    const char *uname; /* "s", "ms", "µs" */
    double step;       /* tick step in displayed units */
    int decimals;
} axis;

static double nice_step(double raw) {
    if (!(raw > 0))
        return 1;
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void axis_init(axis *a, double x0, double w, double span_us) {
    a->x0 = x0;
    a->w = w;
    a->span = span_us > 0 ? span_us : 1;
    if (a->span >= 1e6) {
        a->unit = 1e6;
        a->uname = "s";
    } else if (a->span >= 1e3) {
        a->unit = 1e3;
        a->uname = "ms";
    } else {
        a->unit = 1;
        a->uname = "\xC2\xB5s";
    }
    a->step = nice_step(a->span / a->unit / fmax(2, floor(w / 110)));
    a->decimals = a->step >= 1 ? 0 : (int)ceil(-log10(a->step) - 1e-9);
}

static double ax(const axis *a, double us) {
    return a->x0 + us / a->span * a->w;
}

/* Vertical grid lines from y0 to y1 and labels under y1. */
static void axis_draw(dr__vbuf *b, const axis *a, double y0, double y1,
                      int labels) {
    double end = a->span / a->unit;
    dr__vbuf_puts(b, "<g class=\"axis\">\n");
    for (int i = 0;; i++) {
        double v = i * a->step;
        if (v > end * (1 + 1e-9))
            break;
        double x = ax(a, v * a->unit);
        dr__vbuf_printf(b,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"#E3E7EB\"/>\n",
                        x, y0, x, y1 + 4);
        if (labels)
            dr__vbuf_printf(
                b,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "font-size=\"11\" fill=\"#4A5560\">%.*f</text>\n",
                x, y1 + 16, a->decimals, v);
    }
    dr__vbuf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#8A949E\"/>\n",
                    a->x0, y1, a->x0 + a->w, y1);
    if (labels)
        dr__vbuf_printf(b,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                        "font-size=\"11\" fill=\"#4A5560\">time (%s)</text>\n",
                        a->x0 + a->w, y1 + 32, a->uname);
    dr__vbuf_puts(b, "</g>\n");
}

/* --------------------------------------------------------- critical path */

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct cpset {
    const char **names;
    size_t n;
} cpset;

static void cpset_build(cpset *s, const json_t *summary) {
    memset(s, 0, sizeof(*s));
    json_t *cp = json_object_get(summary, "critical_path");
    size_t n = json_array_size(cp);
    if (n == 0 || (s->names = malloc(n * sizeof(*s->names))) == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(cp, i)))
            s->names[s->n++] = json_string_value(json_array_get(cp, i));
    qsort(s->names, s->n, sizeof(*s->names), str_cmp);
}

static int cpset_has(const cpset *s, const char *task) {
    return s->n > 0 &&
           bsearch(&task, s->names, s->n, sizeof(*s->names), str_cmp) != NULL;
}

/* ------------------------------------------------------------------ bars */

typedef struct chart {
    const dr__vtrace *t;
    axis ax;
    double top, row_h, bar_h;
    dr__vcolours cats; /* group colours */
    int by_group;      /* bars by group (else by worker) */
    cpset cp;
} chart;

/* A bar's colour: its worker's, as the DAG colours the task, or with
 * --color group its group's (the trace's cat), as the DAG does then. */
static const char *bar_colour(const chart *c, const dr__vattempt *a) {
    if (!c->by_group)
        return dr_viz_palette((size_t)a->worker);
    long i = dr__vcolours_index(&c->cats, dr__vattempt_group(a));
    return dr_viz_prefix_palette(i >= 0 ? (size_t)i : 0);
}

static void title_attempt(dr__vbuf *b, const dr__vattempt *a) {
    char s[48], e[48], d[48], w[48];
    dr__vfmt_time(s, sizeof(s), a->ts);
    dr__vfmt_time(e, sizeof(e), a->ts + a->dur);
    dr__vfmt_time(d, sizeof(d), a->dur);
    dr__vfmt_time(w, sizeof(w), a->ts - a->ready);
    dr__vbuf_puts(b, "<title>");
    dr__vbuf_xml(b, a->task);
    if (a->attempt > 1)
        dr__vbuf_printf(b, " (attempt %d)", a->attempt);
    dr__vbuf_printf(b,
                    "\nworker %d\nstart %s\nend %s\nduration %s\nwait %s\n"
                    "status %s",
                    a->worker, s, e, d, w, dr__vstatus_name(a->status));
    if (a->error != NULL) {
        dr__vbuf_puts(b, "\n");
        dr__vbuf_xml(b, a->error);
    }
    dr__vbuf_puts(b, "</title>");
}

/* Draws (or, with b == NULL, counts) the bars of one row. */
static size_t draw_row(const chart *c, dr__vbuf *b, const dr__vattempt *a,
                       size_t n, double minw) {
    size_t rects = 0;
    double y = c->top + a[0].worker * c->row_h + (c->row_h - c->bar_h) / 2;
    for (size_t i = 0; i < n;) {
        double x0 = ax(&c->ax, a[i].ts), x1 = ax(&c->ax, a[i].ts + a[i].dur);
        size_t j = i + 1;
        if (x1 - x0 < minw) {
            /* Merge the narrow bars that follow with no visible gap. */
            while (j < n) {
                double nx0 = ax(&c->ax, a[j].ts),
                       nx1 = ax(&c->ax, a[j].ts + a[j].dur);
                if (nx1 - nx0 >= minw || nx0 - x1 >= 1.0)
                    break;
                if (nx1 > x1)
                    x1 = nx1;
                j++;
            }
        }
        rects++;
        if (b != NULL) {
            int failed = 0, cp = 0, mixed = 0;
            const char *col = bar_colour(c, &a[i]);
            double busy = 0;
            for (size_t k = i; k < j; k++) {
                failed |= a[k].status != DR__V_OK;
                cp |= a[k].status == DR__V_OK && cpset_has(&c->cp, a[k].task);
                mixed |= bar_colour(c, &a[k]) != col;
                busy += a[k].dur;
            }
            double w = x1 - x0 < 0.6 ? 0.6 : x1 - x0;
            /* A failure inside a merged bar only outlines it red: hatching
             * the whole run of thousands of tasks would overstate it. */
            const char *fill = failed && j - i == 1 ? "url(#dr-hatch)"
                               : mixed              ? "#8C96A0"
                                                    : col;
            const char *stroke = failed ? FAIL_RED : cp ? "#1B1B1B" : "none";
            dr__vbuf_printf(b,
                            "<rect class=\"bar%s%s%s\" x=\"%.2f\" y=\"%.1f\" "
                            "width=\"%.2f\" height=\"%.1f\"%s fill=\"%s\" "
                            "stroke=\"%s\"%s>",
                            j - i > 1 ? " merged" : "", cp ? " cp" : "",
                            failed ? " failed" : "", x0, y, w, c->bar_h,
                            w > 5 ? " rx=\"2\"" : "", fill, stroke,
                            cp       ? " stroke-width=\"1.8\""
                            : failed ? " stroke-width=\"1\""
                                     : "");
            if (j - i == 1) {
                title_attempt(b, &a[i]);
            } else {
                char s[48], e[48], d[48];
                dr__vfmt_time(s, sizeof(s), a[i].ts);
                dr__vfmt_time(e, sizeof(e), a[j - 1].ts + a[j - 1].dur);
                dr__vfmt_time(d, sizeof(d), busy);
                dr__vbuf_printf(b,
                                "<title>%zu tasks\nworker %d\nfrom %s to %s\n"
                                "busy %s%s</title>",
                                j - i, a[i].worker, s, e, d,
                                failed ? "\nsome failed" : "");
            }
            dr__vbuf_puts(b, "</rect>\n");
            /* Labels inside wide bars help small charts. */
            if (j - i == 1 && w > 7.0 * (double)strlen(a[i].task) + 8 &&
                c->bar_h >= 14)
                dr__vbuf_printf(b,
                                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                                "fill=\"%s\" pointer-events=\"none\">",
                                x0 + 4, y + c->bar_h / 2 + 4,
                                failed ? "#7A1010"
                                       : dr__vtext_on(fill, "#1B1F23"));
            if (j - i == 1 && w > 7.0 * (double)strlen(a[i].task) + 8 &&
                c->bar_h >= 14) {
                dr__vbuf_xml(b, a[i].task);
                dr__vbuf_puts(b, "</text>\n");
            }
        }
        i = j;
    }
    return rects;
}

/* ---------------------------------------------------------------- legend */

static double legend_item(dr__vbuf *b, double x, double y, const char *fill,
                          const char *stroke, const char *text) {
    dr__vbuf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" "
                    "rx=\"2\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>",
                    x, y - 10, fill, stroke);
    dr__vbuf_printf(b,
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                    "fill=\"#2B333B\">",
                    x + 19, y);
    dr__vbuf_xml(b, text);
    dr__vbuf_puts(b, "</text>\n");
    return x + 19 + 7.2 * (double)strlen(text) + 18;
}

/* Returns the height used. */
static double draw_legend(dr__vbuf *b, const chart *c, double x0, double y,
                          double right) {
    double x = x0, y0 = y;
    /* What colour means: the worker (its row says which) or the group. */
    size_t ncolours = c->by_group ? c->cats.n : 0;
    size_t shown = ncolours < 12 ? ncolours : 12;
    const char *head = c->by_group ? "Colour: group"
                                   : "Colour: the worker that ran it "
                                     "(as in the task graph)";
    dr__vbuf_printf(b,
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                    "font-weight=\"bold\" fill=\"#2B333B\">%s</text>\n",
                    x, y, head);
    x += 7.0 * (double)strlen(head) + 14;
    for (size_t i = 0; i < shown + 4; i++) {
        char more[64];
        const char *fill, *stroke = "none", *text;
        if (i < shown) {
            fill = dr_viz_prefix_palette(c->cats.by_first[i]->colour);
            text = c->cats.by_first[i]->name;
        } else if (i == shown) {
            if (ncolours <= shown)
                continue;
            snprintf(more, sizeof(more), "+%zu more groups", ncolours - shown);
            fill = "#8C96A0";
            text = more;
        } else if (i == shown + 1) {
            fill = "url(#dr-hatch)";
            stroke = FAIL_RED;
            text = "failed";
        } else if (i == shown + 2) {
            fill = "url(#dr-tail)";
            text = "idle tail";
        } else {
            if (c->cp.n == 0)
                continue;
            fill = "#FFFFFF";
            stroke = "#1B1B1B";
            text = "critical path";
        }
        double need = 19 + 7.2 * (double)strlen(text) + 18;
        if (x + need > right && x > x0) {
            x = x0;
            y += 20;
        }
        x = legend_item(b, x, y, fill, stroke, text);
    }
    return y - y0 + 20;
}

/* ------------------------------------------------------------- profile */

typedef struct step_ev {
    double t;
    int d;
} step_ev;

static int ev_cmp(const void *pa, const void *pb) {
    const step_ev *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->d - b->d; /* ends (-1) before starts (+1) */
}

/* Draws the running-tasks plot at y0; returns the height used or -1. */
static double draw_profile(dr__vbuf *b, const dr__vtrace *t, const axis *a,
                           double y0) {
    step_ev *ev = malloc((2 * t->n + 1) * sizeof(*ev));
    if (ev == NULL)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        ev[2 * i] = (step_ev){t->a[i].ts, +1};
        ev[2 * i + 1] = (step_ev){t->a[i].ts + t->a[i].dur, -1};
    }
    size_t ne = 2 * t->n;
    qsort(ev, ne, sizeof(*ev), ev_cmp);
    int run = 0, maxrun = 0;
    double area = 0, last = 0;
    for (size_t i = 0; i < ne; i++) {
        area += run * (ev[i].t - last);
        last = ev[i].t;
        run += ev[i].d;
        if (run > maxrun)
            maxrun = run;
    }
    double avg = t->makespan > 0 ? area / t->makespan : 0;
    int top = maxrun > t->workers ? maxrun : t->workers;
    double ystep = nice_step(top / 4.0);
    if (ystep < 1)
        ystep = 1;
    double ymax = ceil(top / ystep) * ystep;
    if (ymax < top + 0.5 && ymax > 0)
        ymax += ystep;
    double ph = 150, py = y0 + 30;
#define Y(v) (py + ph - (v) / ymax * ph)
    dr__vbuf_printf(b,
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
                    "font-weight=\"bold\" fill=\"#2B333B\">Running tasks over "
                    "time</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                    "fill=\"#4A5560\">max %d, time-weighted mean %.2f, "
                    "%d workers</text>\n",
                    a->x0, y0 + 14, a->x0 + 190, y0 + 14, maxrun, avg,
                    t->workers);
    for (double v = 0; v <= ymax + 1e-9; v += ystep) {
        dr__vbuf_printf(b,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"#EEF1F4\"/><text x=\"%.1f\" y=\"%.1f\" "
                        "text-anchor=\"end\" font-size=\"11\" "
                        "fill=\"#4A5560\">%g</text>\n",
                        a->x0, Y(v), a->x0 + a->w, Y(v), a->x0 - 6, Y(v) + 4,
                        v);
    }
    axis_draw(b, a, py, py + ph, 1);
    /* The step path, at most four points per pixel column. */
    dr__vbuf_printf(b, "<path class=\"profile\" d=\"M%.1f,%.1f", a->x0, Y(0));
    run = 0;
    long col = -1;
    int cmin = 0, cmax = 0, cfirst = 0;
    double cx = a->x0;
    for (size_t i = 0; i <= ne; i++) {
        long c = i < ne ? (long)floor(ax(a, ev[i].t)) : -2;
        if (c != col && col != -1) {
            dr__vbuf_printf(b, " H%.1f V%.1f", cx, Y(cfirst));
            if (cmin != cfirst)
                dr__vbuf_printf(b, " V%.1f", Y(cmin));
            if (cmax != cmin)
                dr__vbuf_printf(b, " V%.1f", Y(cmax));
            dr__vbuf_printf(b, " V%.1f", Y(run));
        }
        if (i == ne)
            break;
        if (c != col) {
            col = c;
            cx = ax(a, ev[i].t);
            cfirst = cmin = cmax = run;
        }
        run += ev[i].d;
        /* Events at one instant (an end and the next start) are one step:
         * no dip in between. */
        if (i + 1 < ne && ev[i + 1].t == ev[i].t)
            continue;
        if (run < cmin)
            cmin = run;
        if (run > cmax)
            cmax = run;
    }
    dr__vbuf_printf(b,
                    " H%.1f V%.1f Z\" fill=\"#5A6570\" fill-opacity=\"0.22\" "
                    "stroke=\"#3B4550\" stroke-width=\"1.5\"/>\n",
                    ax(a, t->makespan), Y(0));
    dr__vbuf_printf(b,
                    "<line class=\"workers\" x1=\"%.1f\" y1=\"%.1f\" "
                    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"" FAIL_RED "\" "
                    "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                    "font-size=\"11\" fill=\"" FAIL_RED
                    "\">%d workers</text>\n",
                    a->x0, Y(t->workers), a->x0 + a->w, Y(t->workers),
                    a->x0 + a->w, Y(t->workers) - 4, t->workers);
#undef Y
    free(ev);
    return 30 + ph + 40;
}

/* ---------------------------------------------------------------- chart */

static void svg_open(dr__vbuf *b, int width, double height) {
    dr__vbuf_printf(b,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                    "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" " FONT ">\n"
                    "<defs><pattern id=\"dr-hatch\" width=\"6\" height=\"6\" "
                    "patternUnits=\"userSpaceOnUse\" "
                    "patternTransform=\"rotate(45)\"><rect width=\"6\" "
                    "height=\"6\" fill=\"#F8D0D1\"/><line x1=\"0\" y1=\"0\" "
                    "x2=\"0\" y2=\"6\" stroke=\"" FAIL_RED "\" "
                    "stroke-width=\"3\"/></pattern>"
                    "<pattern id=\"dr-tail\" width=\"8\" height=\"8\" "
                    "patternUnits=\"userSpaceOnUse\" "
                    "patternTransform=\"rotate(-45)\"><rect width=\"8\" "
                    "height=\"8\" fill=\"#F1F3F5\"/><line x1=\"0\" y1=\"0\" "
                    "x2=\"0\" y2=\"8\" stroke=\"#D5DADF\" "
                    "stroke-width=\"2\"/></pattern></defs>\n"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                    width, height, width, height);
}

int dr_viz_gantt_svg(const json_t *trace, const json_t *summary,
                     const dr_gantt_options *o, char **svg, size_t *len,
                     dr_error *err) {
    dr_gantt_options defaults;
    if (o == NULL) {
        dr_gantt_options_init(&defaults);
        o = &defaults;
    }
    if (svg == NULL || trace == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    *svg = NULL;
    dr__vtrace t;
    int rc = dr__vtrace_read(trace, &t, err);
    if (rc != 0)
        return rc;
    int width = o->width >= 400 && o->width <= 20000 ? o->width : 1200;
    chart c;
    memset(&c, 0, sizeof(c));
    c.t = &t;
    c.by_group = o->color == DR_VIZ_COLOR_GROUP;
    if (dr__vcolours_build(&c.cats, &t, NULL, 0) != 0) {
        dr__vtrace_free(&t);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    cpset_build(&c.cp, summary);
    double left = t.workers > 999 ? 96 : 84, right = 24;
    axis_init(&c.ax, left, width - left - right, t.makespan);
    c.row_h = fmin(26, fmax(2, 520.0 / t.workers));
    c.bar_h = c.row_h >= 8 ? c.row_h * 0.72 : c.row_h;

    /* Find the merge width that keeps the chart under MAX_RECTS rects. */
    double minw = 1;
    for (;; minw *= 2) {
        size_t rects = 0;
        for (size_t i = 0; i < t.n;) {
            size_t j = i;
            while (j < t.n && t.a[j].worker == t.a[i].worker)
                j++;
            rects += draw_row(&c, NULL, &t.a[i], j - i, minw);
            i = j;
        }
        if (rects <= MAX_RECTS || minw >= 64)
            break;
    }

    /* Draw the body first into its own buffer: the legend's height decides
     * where it goes, and the legend is drawn first. */
    dr__vbuf legend = {0}, body = {0}, out = {0};
    double y = 26;
    if (o->legend)
        y += draw_legend(&legend, &c, left, 46, width - right) + 8;
    c.top = y + 8;
    double gh = c.row_h * t.workers;
    /* Rows: stripes, labels, idle tails. */
    size_t i = 0;
    for (int w = 0; w < t.workers; w++) {
        double ry = c.top + w * c.row_h;
        if (c.row_h >= 8 && w % 2 == 1)
            dr__vbuf_printf(&body,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                            "height=\"%.1f\" fill=\"#F7F9FA\"/>\n",
                            left, ry, c.ax.w, c.row_h);
        /* The worker's colour, as its tasks have in the DAG diagram. */
        dr__vbuf_printf(&body,
                        "<rect class=\"worker-swatch\" x=\"%.1f\" "
                        "y=\"%.1f\" width=\"6\" height=\"%.1f\" "
                        "fill=\"%s\"><title>worker %d: its colour in the "
                        "task graph</title></rect>\n",
                        left - 9, ry + (c.row_h - c.bar_h) / 2, c.bar_h,
                        dr_viz_palette((size_t)w), w);
        if (c.row_h >= 10 || (t.workers <= 60 && w % 5 == 0) ||
            (t.workers > 60 && w % (t.workers / 10 + 1) == 0))
            dr__vbuf_printf(
                &body,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "font-size=\"%d\" fill=\"#2B333B\">worker %d</text>\n",
                left - 13, ry + c.row_h / 2 + 4, c.row_h >= 10 ? 12 : 10, w);
        double last_end = 0;
        size_t j = i;
        while (j < t.n && t.a[j].worker == w) {
            if (t.a[j].ts + t.a[j].dur > last_end)
                last_end = t.a[j].ts + t.a[j].dur;
            j++;
        }
        if (t.makespan - last_end > 0) {
            char d[48];
            dr__vfmt_time(d, sizeof(d), t.makespan - last_end);
            dr__vbuf_printf(
                &body,
                "<rect class=\"idle-tail\" x=\"%.2f\" y=\"%.1f\" "
                "width=\"%.2f\" height=\"%.1f\" fill=\"url(#dr-tail)\">"
                "<title>worker %d: idle tail %s (from its last task to "
                "the end)</title></rect>\n",
                ax(&c.ax, last_end),
                c.top + w * c.row_h + (c.row_h - c.bar_h) / 2,
                ax(&c.ax, t.makespan) - ax(&c.ax, last_end), c.bar_h, w, d);
        }
        i = j;
    }
    axis_draw(&body, &c.ax, c.top - 4, c.top + gh + 4, 1);
    for (i = 0; i < t.n;) {
        size_t j = i;
        while (j < t.n && t.a[j].worker == t.a[i].worker)
            j++;
        draw_row(&c, &body, &t.a[i], j - i, minw);
        i = j;
    }
    double height = c.top + gh + 44;
    if (o->profile) {
        double ph = draw_profile(&body, &t, &c.ax, height);
        if (ph < 0)
            body.oom = 1;
        height += ph;
    }
    svg_open(&out, width, height);
    char ms[48];
    dr__vfmt_time(ms, sizeof(ms), t.makespan);
    dr__vbuf_printf(&out,
                    "<text x=\"%.1f\" y=\"20\" font-size=\"15\" "
                    "font-weight=\"bold\" fill=\"#1B1F23\">",
                    left);
    dr__vbuf_xml(&out, t.graph[0] ? t.graph : "run");
    dr__vbuf_printf(&out,
                    "</text><text x=\"%.1f\" y=\"20\" text-anchor=\"end\" "
                    "font-size=\"12\" fill=\"#4A5560\">%zu attempts on %d "
                    "workers%s%s \xC2\xB7 makespan %s%s</text>\n",
                    (double)width - right, t.n, t.workers,
                    t.policy[0] ? ", policy " : "", t.policy, ms,
                    t.simulated ? " (simulated)" : "");
    dr__vbuf_putn(&out, legend.s ? legend.s : "", legend.len);
    dr__vbuf_putn(&out, body.s ? body.s : "", body.len);
    dr__vbuf_puts(&out, "</svg>\n");
    if (legend.oom || body.oom)
        out.oom = 1;
    dr__vbuf_free(&legend);
    dr__vbuf_free(&body);
    dr__vcolours_free(&c.cats);
    free(c.cp.names);
    dr__vtrace_free(&t);
    *svg = dr__vbuf_take(&out, len);
    if (*svg == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    return 0;
}

int dr__viz_profile_svg(const json_t *trace, int width, char **svg,
                        dr_error *err) {
    dr__vtrace t;
    int rc = dr__vtrace_read(trace, &t, err);
    if (rc != 0)
        return rc;
    axis a;
    axis_init(&a, 84, width - 84 - 24, t.makespan);
    dr__vbuf body = {0}, out = {0};
    double h = draw_profile(&body, &t, &a, 4);
    svg_open(&out, width, h + 4);
    dr__vbuf_putn(&out, body.s ? body.s : "", body.len);
    dr__vbuf_puts(&out, "</svg>\n");
    if (body.oom || h < 0)
        out.oom = 1;
    dr__vbuf_free(&body);
    dr__vtrace_free(&t);
    *svg = dr__vbuf_take(&out, NULL);
    if (*svg == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    return 0;
}

int dr_viz_gantt_write(const json_t *trace, const json_t *summary,
                       const dr_gantt_options *o, const char *path,
                       dr_error *err) {
    char *svg;
    size_t len;
    int rc = dr_viz_gantt_svg(trace, summary, o, &svg, &len, err);
    if (rc != 0)
        return rc;
    rc = dr_write_file_atomic(path, svg, len, err);
    free(svg);
    return rc;
}
