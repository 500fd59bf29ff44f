/*
 * Line plots of a scaling experiment, written as SVG text: speedup against
 * workers (measured, ideal, the Amdahl fit when its R^2 is at least
 * DR_SCALE_FIT_MIN_R2, the critical-path ceiling of the tables) and
 * efficiency (or, for weak scaling, scaled efficiency) against workers.
 *
 * One small plotting routine draws both: a log-2 worker axis with ticks at
 * powers of two (students read "doubling the workers" off it), a linear
 * value axis with round ticks, a legend to the right, and the worker counts
 * beyond the machine's cores shaded as oversubscribed.  Curves that leave
 * the plot are clipped rather than rescaling it, so that an ideal line up to
 * 256 workers does not flatten a measured speedup of 3.
 */
#include "dagrun/scale.h"
#include "viz_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Geometry of every plot, in SVG user units. */
#define W 720.0
#define H 420.0
#define LEFT 70.0
#define RIGHT 200.0
#define TOP 50.0
#define BOTTOM 60.0

/* A curve: values at the points' worker counts, or a function of P drawn
 * smoothly between them. */
typedef struct series {
    const char *name;
    const char *color;
    const char *dash; /* stroke-dasharray or NULL */
    int markers;      /* 1: dots at the measured points */
    const double *y;  /* per point, NAN to skip; or NULL with fn */
    double (*fn)(double p, const void *ctx);
    const void *ctx;
    const double *lo, *hi; /* error bars per point, may be NULL */
} series;

typedef struct plot {
    const dr_scale_result *r;
    double xmax; /* log2 of the largest P (at least 1) */
    double ymax;
    const char *title;
    const char *ylabel;
    const char *id; /* prefix of element ids, unique within a report */
} plot;

static double px(const plot *pl, double p) {
    double l = log2(p < 1 ? 1 : p);
    return LEFT + (W - LEFT - RIGHT) * l / pl->xmax;
}

static double py(const plot *pl, double v) {
    return TOP + (H - TOP - BOTTOM) * (1 - v / pl->ymax);
}

/* A round step so that 0..ymax gets about 5 ticks. */
static double nice_step(double ymax) {
    double raw = ymax / 5, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

static void draw_series(dr__vbuf *b, const plot *pl, const series *s) {
    const dr_scale_result *r = pl->r;
    if (s->fn != NULL) {
        double p1 = r->points[0].workers;
        double pn = r->points[r->npoints - 1].workers;
        dr__vbuf_printf(b,
                        "<polyline class=\"curve\" fill=\"none\" stroke=\"%s\"",
                        s->color);
        if (s->dash)
            dr__vbuf_printf(b, " stroke-dasharray=\"%s\"", s->dash);
        dr__vbuf_printf(b, " stroke-width=\"2\" points=\"");
        for (int i = 0; i <= 100; i++) {
            double p = p1 * pow(pn / p1, i / 100.0);
            double v = s->fn(p, s->ctx);
            if (isfinite(v))
                dr__vbuf_printf(b, "%.1f,%.1f ", px(pl, p), py(pl, v));
        }
        dr__vbuf_printf(b, "\"/>\n");
        return;
    }
    dr__vbuf_printf(b, "<polyline class=\"curve\" fill=\"none\" stroke=\"%s\"",
                    s->color);
    if (s->dash)
        dr__vbuf_printf(b, " stroke-dasharray=\"%s\"", s->dash);
    dr__vbuf_printf(b, " stroke-width=\"2\" points=\"");
    for (size_t i = 0; i < r->npoints; i++)
        if (isfinite(s->y[i]))
            dr__vbuf_printf(b, "%.1f,%.1f ", px(pl, r->points[i].workers),
                            py(pl, s->y[i]));
    dr__vbuf_printf(b, "\"/>\n");
    for (size_t i = 0; i < r->npoints; i++) {
        double x = px(pl, r->points[i].workers);
        if (s->lo && s->hi && isfinite(s->lo[i]) && isfinite(s->hi[i]))
            dr__vbuf_printf(
                b,
                "<line class=\"range\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                x, py(pl, s->lo[i]), x, py(pl, s->hi[i]), s->color);
        if (s->markers && isfinite(s->y[i])) {
            dr__vbuf_printf(
                b,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
                "<title>P = %u: ",
                x, py(pl, s->y[i]), s->color, r->points[i].workers);
            dr__vbuf_xml(b, s->name);
            dr__vbuf_printf(b, " %.3g%s</title></circle>\n", s->y[i],
                            r->points[i].oversubscribed ? " (oversubscribed)"
                                                        : "");
        }
    }
}

static char *draw(const plot *pl, const series *ss, size_t nseries) {
    const dr_scale_result *r = pl->r;
    dr__vbuf b = {0};
    double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
    dr__vbuf_printf(
        &b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
        "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
        W, H, W, H);
    dr__vbuf_printf(&b, "<title>");
    dr__vbuf_xml(&b, pl->title);
    dr__vbuf_printf(&b, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
                        "fill=\"white\"/>\n");
    dr__vbuf_printf(
        &b,
        "<text class=\"title\" x=\"%.1f\" y=\"26\" text-anchor=\"middle\" "
        "font-size=\"16\" font-weight=\"bold\">",
        LEFT + pw / 2);
    dr__vbuf_xml(&b, pl->title);
    dr__vbuf_printf(&b, "</text>\n");

    /* Oversubscribed region: from the core count to the right edge. */
    int over = 0;
    for (size_t i = 0; i < r->npoints; i++)
        over |= r->points[i].oversubscribed;
    if (over && r->cores >= 1) {
        double x0 = px(pl, r->cores);
        dr__vbuf_printf(
            &b,
            "<g class=\"oversubscribed\"><rect x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"#f4d9d9\" "
            "fill-opacity=\"0.6\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
            "font-size=\"11\" fill=\"#9a3b3b\">oversubscribed (&gt; %u "
            "cores)</text></g>\n",
            x0, TOP, LEFT + pw - x0, ph, x0 + 4, TOP + 14, r->cores);
    }

    /* Grid and ticks. */
    dr__vbuf_printf(&b, "<g class=\"axis x-axis\" stroke=\"#999\">\n");
    for (int k = 0; k <= (int)ceil(pl->xmax - 1e-9); k++) {
        double x = LEFT + pw * k / pl->xmax;
        dr__vbuf_printf(
            &b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"middle\" stroke=\"none\" fill=\"#333\">%u</text>\n",
            x, TOP, x, TOP + ph, x, TOP + ph + 16, 1u << k);
    }
    dr__vbuf_printf(&b, "</g>\n<g class=\"axis y-axis\">\n");
    double step = nice_step(pl->ymax);
    for (double v = 0; v <= pl->ymax + step * 1e-6; v += step) {
        double y = py(pl, v);
        dr__vbuf_printf(&b,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                        "text-anchor=\"end\" fill=\"#333\">%g</text>\n",
                        LEFT, y, LEFT + pw, y, LEFT - 6, y + 4, v);
    }
    dr__vbuf_printf(&b, "</g>\n");
    dr__vbuf_printf(
        &b,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
        "fill=\"none\" stroke=\"#333\"/>\n",
        LEFT, TOP, pw, ph);
    dr__vbuf_printf(&b,
                    "<text class=\"xlabel\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\">workers P (log scale)</text>\n",
                    LEFT + pw / 2, H - 16);
    dr__vbuf_printf(
        &b,
        "<text class=\"ylabel\" transform=\"translate(18 %.1f) rotate(-90)\" "
        "text-anchor=\"middle\">",
        TOP + ph / 2);
    dr__vbuf_xml(&b, pl->ylabel);
    dr__vbuf_printf(&b, "</text>\n");

    dr__vbuf_printf(
        &b,
        "<defs><clipPath id=\"%s-area\"><rect x=\"%.1f\" y=\"%.1f\" "
        "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
        "<g clip-path=\"url(#%s-area)\">\n",
        pl->id, LEFT - 5, TOP, pw + 10, ph, pl->id);
    for (size_t i = 0; i < nseries; i++)
        draw_series(&b, pl, &ss[i]);
    dr__vbuf_printf(&b, "</g>\n");

    /* Legend. */
    dr__vbuf_printf(&b, "<g class=\"legend\">\n");
    for (size_t i = 0; i < nseries; i++) {
        double y = TOP + 10 + 22.0 * (double)i, x = W - RIGHT + 16;
        dr__vbuf_printf(&b,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"%s\" stroke-width=\"2\"",
                        x, y, x + 26, y, ss[i].color);
        if (ss[i].dash)
            dr__vbuf_printf(&b, " stroke-dasharray=\"%s\"", ss[i].dash);
        dr__vbuf_printf(&b, "/>\n<text x=\"%.1f\" y=\"%.1f\">", x + 32, y + 4);
        dr__vbuf_xml(&b, ss[i].name);
        dr__vbuf_printf(&b, "</text>\n");
    }
    dr__vbuf_printf(&b, "</g>\n</svg>\n");
    return dr__vbuf_take(&b, NULL); /* NULL when out of memory */
}

static double ideal_speedup(double p, const void *ctx) {
    (void)ctx;
    return p;
}

static double amdahl_curve(double p, const void *ctx) {
    double f = *(const double *)ctx;
    return 1.0 / (f + (1.0 - f) / p);
}

static double gustafson_curve(double p, const void *ctx) {
    double s = *(const double *)ctx;
    return p - s * (p - 1);
}

static double amdahl_eff_curve(double p, const void *ctx) {
    return amdahl_curve(p, ctx) / p;
}

static double gustafson_eff_curve(double p, const void *ctx) {
    return gustafson_curve(p, ctx) / p;
}

static double ceiling_curve(double p, const void *ctx) {
    double par = *(const double *)ctx;
    return p < par ? p : par;
}

static double ceiling_eff_curve(double p, const void *ctx) {
    return ceiling_curve(p, ctx) / p;
}

/* The average parallelism T1/T-inf when every point has the same one (a
 * simulated strong-scaling experiment), else NAN.  Measured runs each have
 * their own span, so their ceiling is drawn through the points' `ceiling`
 * column instead: the line in the plot is then exactly the figure in the
 * tables, never a median that matches none of them. */
static double constant_parallelism(const dr_scale_result *r) {
    double par = r->points[0].parallelism;
    if (!isfinite(par) || par <= 0)
        return NAN;
    for (size_t i = 1; i < r->npoints; i++)
        if (!(fabs(r->points[i].parallelism - par) <= 1e-9 * par))
            return NAN;
    return par;
}

/* Whether the fitted law explains the data well enough to be drawn. */
static int fit_drawn(const dr_scale_result *r, double fit) {
    double r2 = r->mode == DR_SCALE_WEAK ? r->gustafson_r2 : r->amdahl_r2;
    return isfinite(fit) && r2 >= DR_SCALE_FIT_MIN_R2;
}

static double one(double p, const void *ctx) {
    (void)p;
    (void)ctx;
    return 1.0;
}

static void init_plot(plot *pl, const dr_scale_result *r) {
    memset(pl, 0, sizeof(*pl));
    pl->r = r;
    unsigned pmax = r->points[r->npoints - 1].workers;
    pl->xmax = fmax(1.0, ceil(log2(pmax) - 1e-9));
}

static double finite_max(double a, double b) {
    return isfinite(b) && b > a ? b : a;
}

/*
 * The critical-path ceiling: a smooth curve `curve` when T1/T-inf (*par) is
 * the same at every point (strong scaling, simulated); otherwise (measured
 * spans, or weak scaling's growing graph) it is known only at the points
 * and drawn through `points`, the table's `ceiling` column.  *par must
 * outlive the series (NAN when not constant).
 */
static series ceiling_series(const double *points,
                             double (*curve)(double, const void *),
                             const double *par) {
    int smooth = isfinite(*par);
    return (series){.name = "critical-path ceiling",
                    .color = "#c0392b",
                    .dash = "2 3",
                    .y = smooth ? NULL : points,
                    .fn = smooth ? curve : NULL,
                    .ctx = par};
}

char *dr_scale_speedup_svg(const dr_scale_result *r) {
    if (r == NULL || r->npoints == 0)
        return NULL;
    size_t n = r->npoints;
    double *buf = malloc(4 * n * sizeof(*buf));
    if (buf == NULL)
        return NULL;
    double *s = buf, *lo = buf + n, *hi = buf + 2 * n, *ceil_ = buf + 3 * n;
    int weak = r->mode == DR_SCALE_WEAK;
    double t1 = r->points[0].makespan, top = 1;
    for (size_t i = 0; i < n; i++) {
        const dr_scale_point *pt = &r->points[i];
        double k = weak ? pt->workers : 1.0;
        s[i] = pt->speedup;
        lo[i] = pt->makespan_max > 0 ? k * t1 / pt->makespan_max : NAN;
        hi[i] = pt->makespan_min > 0 ? k * t1 / pt->makespan_min : NAN;
        ceil_[i] = pt->ceiling;
        top = finite_max(top, s[i]);
        top = finite_max(top, hi[i]);
        top = finite_max(top, ceil_[i]);
    }
    plot pl;
    init_plot(&pl, r);
    pl.ymax = top * 1.15;
    char title[512];
    snprintf(title, sizeof(title), "%s scaling of %s: %s speedup",
             weak ? "Weak" : "Strong", r->graph ? r->graph : "graph",
             weak ? "scaled" : (r->simulated ? "simulated" : "measured"));
    pl.title = title;
    pl.id = "speedup";
    pl.ylabel = weak ? "scaled speedup P·T(1)/T(P)" : "speedup T(1)/T(P)";
    double fit = weak ? r->gustafson_s : r->amdahl_f;
    series ss[4];
    size_t k = 0;
    ss[k++] = (series){.name = weak ? "scaled speedup" : "speedup",
                       .color = "#1f5fbf",
                       .markers = 1,
                       .y = s,
                       .lo = lo,
                       .hi = hi};
    ss[k++] = (series){.name = "ideal (S = P)",
                       .color = "#777777",
                       .dash = "6 4",
                       .fn = ideal_speedup};
    if (fit_drawn(r, fit))
        ss[k++] = (series){.name = weak ? "Gustafson fit" : "Amdahl fit",
                           .color = "#e08a00",
                           .dash = "8 3 2 3",
                           .fn = weak ? gustafson_curve : amdahl_curve,
                           .ctx = &fit};
    double par = weak ? NAN : constant_parallelism(r);
    ss[k++] = ceiling_series(ceil_, ceiling_curve, &par);
    char *svgtext = draw(&pl, ss, k);
    free(buf);
    return svgtext;
}

char *dr_scale_efficiency_svg(const dr_scale_result *r) {
    if (r == NULL || r->npoints == 0)
        return NULL;
    size_t n = r->npoints;
    double *buf = malloc(2 * n * sizeof(*buf));
    if (buf == NULL)
        return NULL;
    double *e = buf, *ceil_ = buf + n;
    int weak = r->mode == DR_SCALE_WEAK;
    double top = 1;
    for (size_t i = 0; i < n; i++) {
        const dr_scale_point *pt = &r->points[i];
        e[i] = weak ? pt->scaled_efficiency : pt->efficiency;
        ceil_[i] = pt->ceiling / pt->workers;
        top = finite_max(top, e[i]);
    }
    plot pl;
    init_plot(&pl, r);
    pl.ymax = top * 1.15;
    char title[512];
    snprintf(title, sizeof(title), "%s scaling of %s: %s",
             weak ? "Weak" : "Strong", r->graph ? r->graph : "graph",
             weak ? "scaled efficiency" : "efficiency");
    pl.title = title;
    pl.id = "efficiency";
    pl.ylabel = weak ? "scaled efficiency T(1)/T(P)" : "efficiency S(P)/P";
    double fit = weak ? r->gustafson_s : r->amdahl_f;
    series ss[4];
    size_t k = 0;
    ss[k++] = (series){.name = weak ? "scaled efficiency" : "efficiency",
                       .color = "#1f5fbf",
                       .markers = 1,
                       .y = e};
    ss[k++] = (series){
        .name = "ideal (1)", .color = "#777777", .dash = "6 4", .fn = one};
    if (fit_drawn(r, fit))
        ss[k++] = (series){.name = weak ? "Gustafson fit" : "Amdahl fit",
                           .color = "#e08a00",
                           .dash = "8 3 2 3",
                           .fn = weak ? gustafson_eff_curve : amdahl_eff_curve,
                           .ctx = &fit};
    double par = weak ? NAN : constant_parallelism(r);
    ss[k++] = ceiling_series(ceil_, ceiling_eff_curve, &par);
    char *svgtext = draw(&pl, ss, k);
    free(buf);
    return svgtext;
}
