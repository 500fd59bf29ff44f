/*
 * Line plots of a scaling experiment, written as SVG text: speedup against
 * workers (measured with min-max bars, ideal, the fitted law, the
 * critical-path ceiling of the tables) and efficiency (or, for weak
 * scaling, scaled efficiency) against workers.
 *
 * Speedup is drawn log-log, the convention of scaling studies: both axes
 * log 2, so the ideal S = P is the diagonal, every doubling of the workers
 * is one step to the right and one step up, and a measured speedup of 3
 * stays readable next to an ideal line at 256.  Efficiency, a share
 * between 0 and 1, keeps a linear value axis over the same log-2 worker
 * axis.  The worker axis reaches a quarter of a doubling beyond the first
 * and the last P, so that the points and their bars at either end stand
 * clear of the frame.
 *
 * Every reference line is a function of P drawn between the measured
 * counts: the ideal line; the ceiling min(P, T1/T-inf), with T1/T-inf
 * interpolated between the points (log-log) when each run has its own, so
 * that it passes through the table's `ceiling` column and can never rise
 * above the ideal line; and the fitted law, drawn only where it stays at or
 * below the ceiling, and not at all when the critical path sets the plateau
 * (cp_limited), when the machine was busy (no fit), or when R^2 is below
 * DR_SCALE_FIT_MIN_R2.  The band beyond the machine's cores is shaded
 * "oversubscribed" only for computing tasks (the points' oversubscribed
 * flag): for tasks that wait, more workers than cores is the lesson, not a
 * mistake.
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
#define H 440.0
#define LEFT 70.0
#define RIGHT 210.0
#define TOP 64.0
#define BOTTOM 60.0
/* The worker axis extends this many doublings beyond the first and last
 * P. */
#define X_PAD 0.25
/* The most tick labels on an axis. */
#define MAX_TICKS 10

typedef struct plot plot;

/* A curve: values at the points' worker counts, or a function of P drawn
 * smoothly between the first and the last count. */
typedef struct series {
    const char *name;
    const char *color;
    const char *dash; /* stroke-dasharray or NULL */
    int markers;      /* 1: dots at the measured points */
    const double *y;  /* per point, NAN to skip; or NULL with fn */
    double (*fn)(const plot *pl, double p);
    /* With fn: drawn only where fn(p) <= below(p) (the ceiling). */
    double (*below)(const plot *pl, double p);
    const double *lo, *hi; /* error bars per point, may be NULL */
    int on_top; /* 1: drawn over the measurement (a thin dotted line that
                   the measured line would otherwise hide where they meet) */
} series;

struct plot {
    const dr_scale_result *r;
    double x0, x1; /* log2 of the worker axis' ends */
    int ylog;      /* 1: log-2 value axis */
    double ymin, ymax;
    int per_worker; /* 1: reference lines divided by P (efficiency) */
    double fit;     /* the fitted serial fraction */
    const char *title;
    const char *ylabel;
    const char *id; /* prefix of element ids, unique within a report */
};

static double px(const plot *pl, double p) {
    double l = log2(p < 1 ? 1 : p);
    return LEFT + (W - LEFT - RIGHT) * (l - pl->x0) / (pl->x1 - pl->x0);
}

static double py(const plot *pl, double v) {
    double ph = H - TOP - BOTTOM;
    if (pl->ylog)
        return TOP + ph * (1 - (log2(v) - log2(pl->ymin)) /
                                   (log2(pl->ymax) - log2(pl->ymin)));
    return TOP + ph * (1 - (v - pl->ymin) / (pl->ymax - pl->ymin));
}

/* Whether v can be placed on the value axis. */
static int plottable(const plot *pl, double v) {
    return isfinite(v) && (!pl->ylog || v > 0);
}

/* A round step so that 0..ymax gets about 5 ticks. */
static double nice_step(double ymax) {
    double raw = ymax / 5, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/* ----------------------------------------------- the reference lines */

/* T1/T-inf at P: the points' ceiling_parallelism (one figure for every P
 * in strong scaling; each P's graph in weak scaling), interpolated log-log
 * between them, constant beyond the ends; NAN when no point has one. */
static double parallelism_at(const dr_scale_result *r, double p) {
    const dr_scale_point *prev = NULL;
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        if (!(isfinite(pt->ceiling_parallelism) && pt->ceiling_parallelism > 0))
            continue;
        if (p <= pt->workers) {
            if (prev == NULL || pt->workers == prev->workers)
                return pt->ceiling_parallelism;
            double t = (log2(p) - log2(prev->workers)) /
                       (log2(pt->workers) - log2(prev->workers));
            return exp2(log2(prev->ceiling_parallelism) +
                        t * (log2(pt->ceiling_parallelism) -
                             log2(prev->ceiling_parallelism)));
        }
        prev = pt;
    }
    return prev != NULL ? prev->ceiling_parallelism : NAN;
}

/* The critical-path ceiling min(P, T1/T-inf) at P: at a measured count it
 * is that point's `ceiling` column. */
static double ceiling_speedup(const plot *pl, double p) {
    double par = parallelism_at(pl->r, p);
    return isfinite(par) ? fmin(p, par) : p;
}

static double ideal(const plot *pl, double p) {
    return pl->per_worker ? 1.0 : p;
}

static double ceiling_line(const plot *pl, double p) {
    double c = ceiling_speedup(pl, p);
    return pl->per_worker ? c / p : c;
}

static double fit_speedup(const plot *pl, double p) {
    double f = pl->fit;
    return pl->r->mode == DR_SCALE_WEAK ? p - f * (p - 1)
                                        : 1.0 / (f + (1.0 - f) / p);
}

static double fit_line(const plot *pl, double p) {
    double s = fit_speedup(pl, p);
    return pl->per_worker ? s / p : s;
}

/* ---------------------------------------------------------- drawing */

static void open_polyline(dr__buf *b, const series *s) {
    dr__buf_printf(b, "<polyline class=\"curve\" fill=\"none\" stroke=\"%s\"",
                   s->color);
    if (s->dash)
        dr__buf_printf(b, " stroke-dasharray=\"%s\"", s->dash);
    dr__buf_printf(b, " stroke-width=\"2\" points=\"");
}

/* Samples of a function of P between the first and the last count. */
#define SAMPLES 200

/* A function of P sampled between the first and the last count, and at
 * every count (so that at a measured P the line is exactly the table's
 * figure); where it leaves the region below s->below the line is broken
 * off. */
static void draw_function(dr__buf *b, const plot *pl, const series *s) {
    const dr_scale_result *r = pl->r;
    double p1 = r->points[0].workers, pn = r->points[r->npoints - 1].workers;
    int open = 0;
    size_t next = 0; /* the next count to sample */
    for (int i = 0; i <= SAMPLES || next < r->npoints;) {
        double p =
            i <= SAMPLES ? p1 * pow(pn / p1, (double)i / SAMPLES) : INFINITY;
        if (next < r->npoints && r->points[next].workers <= p) {
            double at = r->points[next++].workers;
            if (at == p)
                i++;
            p = at;
        } else {
            i++;
        }
        double v = s->fn(pl, p);
        int ok = plottable(pl, v) &&
                 (s->below == NULL || v <= s->below(pl, p) * (1 + 1e-9));
        if (ok && !open) {
            open_polyline(b, s);
            open = 1;
        } else if (!ok && open) {
            dr__buf_printf(b, "\"/>\n");
            open = 0;
        }
        if (ok)
            dr__buf_printf(b, "%.1f,%.1f ", px(pl, p), py(pl, v));
    }
    if (open)
        dr__buf_printf(b, "\"/>\n");
}

/* Samples drawn between two neighbouring points of a measured line. */
#define SEGMENT_SAMPLES 24

/* The measured line between points i and j at P (p_i < P < p_j): the
 * speedup interpolated as a straight line on the log-log speedup plot, so
 * that the efficiency plot shows the same line divided by P (a curve
 * there, as the ceiling is).  log min(P, T1/T-inf) is concave in log P, so
 * a line between two points at or below the ceiling stays below it; a
 * straight segment on the efficiency plot would cut above the ceiling's
 * curve P0/P.  The clamp only absorbs rounding. */
static double between(const plot *pl, const series *s, size_t i, size_t j,
                      double p) {
    const dr_scale_result *r = pl->r;
    double pi = r->points[i].workers, pj = r->points[j].workers;
    double di = pl->per_worker ? pi : 1, dj = pl->per_worker ? pj : 1;
    double si = s->y[i] * di, sj = s->y[j] * dj; /* speedups */
    double t = (log2(p) - log2(pi)) / (log2(pj) - log2(pi));
    double v = exp2(log2(si) + t * (log2(sj) - log2(si)));
    double ci = ceiling_speedup(pl, pi), cj = ceiling_speedup(pl, pj);
    if (si <= ci * (1 + 1e-9) && sj <= cj * (1 + 1e-9))
        v = fmin(v, ceiling_speedup(pl, p));
    return pl->per_worker ? v / p : v;
}

static void draw_points(dr__buf *b, const plot *pl, const series *s) {
    const dr_scale_result *r = pl->r;
    open_polyline(b, s);
    size_t prev = r->npoints; /* the last point drawn */
    for (size_t i = 0; i < r->npoints; i++) {
        if (!plottable(pl, s->y[i]) || !(s->y[i] > 0))
            continue;
        double pj = r->points[i].workers;
        if (prev < r->npoints && s->fn == NULL) {
            double pi = r->points[prev].workers;
            for (int k = 1; k < SEGMENT_SAMPLES; k++) {
                double p = pi * pow(pj / pi, (double)k / SEGMENT_SAMPLES);
                double v = between(pl, s, prev, i, p);
                if (plottable(pl, v))
                    dr__buf_printf(b, "%.1f,%.1f ", px(pl, p), py(pl, v));
            }
        }
        dr__buf_printf(b, "%.1f,%.1f ", px(pl, pj), py(pl, s->y[i]));
        prev = i;
    }
    dr__buf_printf(b, "\"/>\n");
    for (size_t i = 0; i < r->npoints; i++) {
        double x = px(pl, r->points[i].workers);
        if (s->lo && s->hi && plottable(pl, s->lo[i]) &&
            plottable(pl, s->hi[i]) && s->hi[i] > s->lo[i]) {
            double y0 = py(pl, s->lo[i]), y1 = py(pl, s->hi[i]);
            dr__buf_printf(
                b,
                "<path class=\"range\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1f"
                "M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                "fill=\"none\"><title>P = %u: min %.3g, max %.3g over %u "
                "runs</title></path>\n",
                x, y0, y1, x - 4, y0, x + 4, x - 4, y1, x + 4, s->color,
                r->points[i].workers, s->lo[i], s->hi[i], r->points[i].runs);
        }
        if (s->markers && plottable(pl, s->y[i])) {
            dr__buf_printf(
                b,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
                "<title>P = %u: ",
                x, py(pl, s->y[i]), s->color, r->points[i].workers);
            dr__vbuf_xml(b, s->name);
            dr__buf_printf(b, " %.3g%s</title></circle>\n", s->y[i],
                           r->points[i].oversubscribed ? " (oversubscribed)"
                                                       : "");
        }
    }
}

/* Whether any point has a min-max bar. */
static int has_bars(const series *s, size_t n) {
    if (s->lo == NULL || s->hi == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(s->lo[i]) && isfinite(s->hi[i]) && s->hi[i] > s->lo[i])
            return 1;
    return 0;
}

/* Worker-axis ticks: the measured counts when there are few, else powers
 * of two, thinned to at most MAX_TICKS. */
static void x_ticks(dr__buf *b, const plot *pl) {
    const dr_scale_result *r = pl->r;
    double ph = H - TOP - BOTTOM;
    unsigned ticks[64];
    size_t n = 0;
    if (r->npoints <= MAX_TICKS) {
        for (size_t i = 0; i < r->npoints; i++)
            ticks[n++] = r->points[i].workers;
    } else {
        int lo = (int)ceil(pl->x0), hi = (int)floor(pl->x1);
        int step = 1;
        while ((hi - lo) / step + 1 > MAX_TICKS)
            step++;
        for (int k = lo < 0 ? 0 : lo; k <= hi && k < 32 && n < 64; k += step)
            ticks[n++] = 1u << k;
    }
    for (size_t i = 0; i < n; i++) {
        double x = px(pl, ticks[i]);
        dr__buf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"middle\" stroke=\"none\" fill=\"#333\">%u</text>\n",
            x, TOP, x, TOP + ph, x, TOP + ph + 16, ticks[i]);
    }
}

static void y_tick(dr__buf *b, const plot *pl, double v) {
    double y = py(pl, v);
    dr__buf_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                   "text-anchor=\"end\" fill=\"#333\">%g</text>\n",
                   LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, v);
}

/* Value-axis ticks: powers of two on a log axis (with 1.5 times each when
 * the axis spans less than three doublings, every second or more when it
 * spans many), round steps on a linear one. */
static void y_ticks(dr__buf *b, const plot *pl) {
    if (!pl->ylog) {
        double step = nice_step(pl->ymax - pl->ymin);
        for (double v = ceil(pl->ymin / step) * step;
             v <= pl->ymax + step * 1e-6; v += step)
            y_tick(b, pl, fabs(v) < step * 1e-9 ? 0 : v);
        return;
    }
    int lo = (int)ceil(log2(pl->ymin) - 1e-9);
    int hi = (int)floor(log2(pl->ymax) + 1e-9);
    int step = 1;
    while ((hi - lo) / step + 1 > MAX_TICKS)
        step++;
    for (int k = lo; k <= hi; k += step) {
        y_tick(b, pl, exp2(k));
        if (hi - lo < 3 && exp2(k) * 1.5 < pl->ymax)
            y_tick(b, pl, exp2(k) * 1.5);
    }
    if (hi - lo < 3 && exp2(lo) * 0.75 > pl->ymin)
        y_tick(b, pl, exp2(lo) * 0.75);
}

static char *draw(const plot *pl, const series *ss, size_t nseries) {
    const dr_scale_result *r = pl->r;
    dr__buf b = {0};
    double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
    dr__buf_printf(
        &b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
        "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
        W, H, W, H);
    dr__buf_printf(&b, "<title>");
    dr__vbuf_xml(&b, pl->title);
    dr__buf_printf(&b, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
                       "fill=\"white\"/>\n");
    dr__buf_printf(
        &b,
        "<text class=\"title\" x=\"%.1f\" y=\"26\" text-anchor=\"middle\" "
        "font-size=\"16\" font-weight=\"bold\">",
        LEFT + pw / 2);
    dr__vbuf_xml(&b, pl->title);
    dr__buf_printf(&b, "</text>\n");
    /* What makes the figures doubtful, where nobody can miss it. */
    int uncosted = 0;
    for (size_t i = 0; i < r->npoints; i++)
        uncosted |= r->points[i].uncosted > 0;
    const char *note =
        r->busy         ? "Busy machine: these timings measure the competition "
                          "for the cores."
        : r->costs_busy ? "Busy machine: the replayed durations (--costs) "
                          "were measured on one."
        : uncosted      ? "Tasks without a cost counted as 1 s each."
                        : NULL;
    if (note != NULL)
        dr__buf_printf(&b,
                       "<text class=\"note\" x=\"%.1f\" y=\"46\" "
                       "text-anchor=\"middle\" fill=\"#b03a2e\">%s</text>\n",
                       LEFT + pw / 2, note);

    /* Oversubscribed region: from the core count to the right edge. */
    int over = 0;
    for (size_t i = 0; i < r->npoints; i++)
        over |= r->points[i].oversubscribed;
    if (over && r->cores >= 1) {
        double x0 = px(pl, r->cores);
        dr__buf_printf(
            &b,
            "<g class=\"oversubscribed\"><rect x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"#f4d9d9\" "
            "fill-opacity=\"0.6\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
            "font-size=\"11\" fill=\"#9a3b3b\">oversubscribed (&gt; %u "
            "cores)</text></g>\n",
            x0, TOP, LEFT + pw - x0, ph, x0 + 4, TOP + 14, r->cores);
    }

    /* Grid and ticks. */
    dr__buf_printf(&b, "<g class=\"axis x-axis\" stroke=\"#999\">\n");
    x_ticks(&b, pl);
    dr__buf_printf(&b, "</g>\n<g class=\"axis y-axis\">\n");
    y_ticks(&b, pl);
    dr__buf_printf(&b, "</g>\n");
    dr__buf_printf(&b,
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"none\" stroke=\"#333\"/>\n",
                   LEFT, TOP, pw, ph);
    dr__buf_printf(&b,
                   "<text class=\"xlabel\" x=\"%.1f\" y=\"%.1f\" "
                   "text-anchor=\"middle\">workers P (log scale)</text>\n",
                   LEFT + pw / 2, H - 16);
    dr__buf_printf(
        &b,
        "<text class=\"ylabel\" transform=\"translate(18 %.1f) rotate(-90)\" "
        "text-anchor=\"middle\">",
        TOP + ph / 2);
    dr__vbuf_xml(&b, pl->ylabel);
    dr__buf_printf(&b, "</text>\n");

    dr__buf_printf(&b,
                   "<defs><clipPath id=\"%s-area\"><rect x=\"%.1f\" y=\"%.1f\" "
                   "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
                   "<g clip-path=\"url(#%s-area)\">\n",
                   pl->id, LEFT, TOP, pw, ph, pl->id);
    /* Reference lines under the measurement, except the ceiling: where
     * the measured curve runs along it, it must still be seen. */
    for (int top = 0; top <= 1; top++)
        for (size_t i = nseries; i-- > 0;) {
            if (ss[i].on_top != top)
                continue;
            if (ss[i].fn != NULL)
                draw_function(&b, pl, &ss[i]);
            else
                draw_points(&b, pl, &ss[i]);
        }
    dr__buf_printf(&b, "</g>\n");

    /* Legend. */
    dr__buf_printf(&b, "<g class=\"legend\">\n");
    double y = TOP + 10, x = W - RIGHT + 16;
    for (size_t i = 0; i < nseries; i++, y += 22) {
        dr__buf_printf(&b,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"%s\" stroke-width=\"2\"",
                       x, y, x + 26, y, ss[i].color);
        if (ss[i].dash)
            dr__buf_printf(&b, " stroke-dasharray=\"%s\"", ss[i].dash);
        dr__buf_printf(&b, "/>\n<text x=\"%.1f\" y=\"%.1f\">", x + 32, y + 4);
        dr__vbuf_xml(&b, ss[i].name);
        dr__buf_printf(&b, "</text>\n");
        if (has_bars(&ss[i], r->npoints)) {
            y += 22;
            dr__buf_printf(
                &b,
                "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
                "stroke=\"%s\" stroke-width=\"1.5\" fill=\"none\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\">min–max of the repeats</text>\n",
                x + 13, y - 7, y + 7, x + 9, y - 7, x + 17, x + 9, y + 7,
                x + 17, ss[i].color, x + 32, y + 4);
        }
    }
    dr__buf_printf(&b, "</g>\n</svg>\n");
    return dr__buf_take(&b, NULL); /* NULL when out of memory */
}

/* Whether the fitted law is drawn: it explains the data (R^2), the
 * critical path does not set the plateau, and there is a fit at all (none
 * on a busy machine). */
static int fit_drawn(const dr_scale_result *r) {
    int weak = r->mode == DR_SCALE_WEAK;
    double fit = weak ? r->gustafson_s : r->amdahl_f;
    double r2 = weak ? r->gustafson_r2 : r->amdahl_r2;
    return isfinite(fit) && r2 >= DR_SCALE_FIT_MIN_R2 && !r->cp_limited;
}

/* The fitted law (when it is drawn) and the critical-path ceiling, the last
 * series of both plots; returns the new count. */
static size_t add_fit_and_ceiling(const dr_scale_result *r, series *ss,
                                  size_t k) {
    if (fit_drawn(r))
        ss[k++] = (series){.name = r->mode == DR_SCALE_WEAK ? "Gustafson fit"
                                                            : "Amdahl fit",
                           .color = "#e08a00",
                           .dash = "8 3 2 3",
                           .fn = fit_line,
                           .below = ceiling_line};
    ss[k++] = (series){.name = "critical-path ceiling",
                       .color = "#c0392b",
                       .dash = "2 3",
                       .fn = ceiling_line,
                       .on_top = 1};
    return k;
}

static void init_plot(plot *pl, const dr_scale_result *r) {
    memset(pl, 0, sizeof(*pl));
    pl->r = r;
    double l1 = log2(r->points[0].workers);
    double ln = log2(r->points[r->npoints - 1].workers);
    pl->x0 = l1 - X_PAD;
    pl->x1 = fmax(ln, l1 + 1) + X_PAD;
    pl->fit = r->mode == DR_SCALE_WEAK ? r->gustafson_s : r->amdahl_f;
}

/* Widens [*lo, *hi] to v when v is finite (and positive on a log axis). */
static void extend(double *lo, double *hi, double v, int ylog) {
    if (!isfinite(v) || (ylog && !(v > 0)))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* The speedup (factor 1) or efficiency (1/P) series of the points and
 * their min-max bars.  buf has room for 3 * npoints values. */
static void measured_values(const dr_scale_result *r, int per_worker,
                            double *buf) {
    size_t n = r->npoints;
    int weak = r->mode == DR_SCALE_WEAK;
    double t1 = r->points[0].makespan;
    for (size_t i = 0; i < n; i++) {
        const dr_scale_point *pt = &r->points[i];
        /* The bars use the same numerator as the point: weak scaling's
         * speedup is the scaled efficiency T(1)/T(P) times the growth. */
        double k = weak ? pt->speedup * pt->makespan / t1 : 1.0;
        double d = per_worker ? pt->workers : 1.0;
        /* Weak scaling's scaled efficiency is its scaled speedup over P
         * (dr_scale_analyse), so both plots divide the same way. */
        buf[i] = pt->speedup / d;
        buf[n + i] = pt->makespan_max > 0 ? k * t1 / pt->makespan_max / d : NAN;
        buf[2 * n + i] =
            pt->makespan_min > 0 ? k * t1 / pt->makespan_min / d : NAN;
    }
}

char *dr_scale_speedup_svg(const dr_scale_result *r) {
    if (r == NULL || r->npoints == 0)
        return NULL;
    size_t n = r->npoints;
    double *buf = malloc(3 * n * sizeof(*buf));
    if (buf == NULL)
        return NULL;
    double *s = buf, *lo = buf + n, *hi = buf + 2 * n;
    measured_values(r, 0, buf);
    int weak = r->mode == DR_SCALE_WEAK;
    plot pl;
    init_plot(&pl, r);
    pl.ylog = 1;
    double ymin = 1, ymax = r->points[n - 1].workers; /* the ideal line */
    for (size_t i = 0; i < n; i++) {
        extend(&ymin, &ymax, s[i], 1);
        extend(&ymin, &ymax, lo[i], 1);
        extend(&ymin, &ymax, hi[i], 1);
    }
    if (ymax < 2 * ymin)
        ymax = 2 * ymin;
    pl.ymin = ymin / exp2(0.25);
    pl.ymax = ymax * exp2(0.25);
    char title[512];
    snprintf(title, sizeof(title), "%s scaling of %s: %s speedup",
             weak ? "Weak" : "Strong", r->graph ? r->graph : "graph",
             weak ? "scaled" : (r->simulated ? "simulated" : "measured"));
    pl.title = title;
    pl.id = "speedup";
    /* The label is the formula of the plotted figure (see dr_scale_point's
     * speedup): simulated weak scaling counts the work that was added. */
    pl.ylabel = !weak          ? "speedup T(1)/T(P) (log scale)"
                : r->simulated ? "scaled speedup T(1)·W(P)/(W(1)·T(P)) (log)"
                               : "scaled speedup P·T(1)/T(P) (log scale)";
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
                       .fn = ideal};
    k = add_fit_and_ceiling(r, ss, k);
    char *svgtext = draw(&pl, ss, k);
    free(buf);
    return svgtext;
}

char *dr_scale_efficiency_svg(const dr_scale_result *r) {
    if (r == NULL || r->npoints == 0)
        return NULL;
    size_t n = r->npoints;
    double *buf = malloc(3 * n * sizeof(*buf));
    if (buf == NULL)
        return NULL;
    double *e = buf, *lo = buf + n, *hi = buf + 2 * n;
    measured_values(r, 1, buf);
    int weak = r->mode == DR_SCALE_WEAK;
    plot pl;
    init_plot(&pl, r);
    pl.per_worker = 1;
    double ymin = 0, ymax = 1;
    for (size_t i = 0; i < n; i++) {
        extend(&ymin, &ymax, e[i], 0);
        extend(&ymin, &ymax, hi[i], 0);
    }
    pl.ymin = 0;
    pl.ymax = ymax * 1.1;
    char title[512];
    snprintf(title, sizeof(title), "%s scaling of %s: %s",
             weak ? "Weak" : "Strong", r->graph ? r->graph : "graph",
             weak ? "scaled efficiency" : "efficiency");
    pl.title = title;
    pl.id = "efficiency";
    pl.ylabel = !weak          ? "efficiency S(P)/P"
                : r->simulated ? "scaled efficiency T(1)·W(P)/(W(1)·T(P)·P)"
                               : "scaled efficiency T(1)/T(P)";
    series ss[4];
    size_t k = 0;
    ss[k++] = (series){.name = weak ? "scaled efficiency" : "efficiency",
                       .color = "#1f5fbf",
                       .markers = 1,
                       .y = e,
                       .lo = lo,
                       .hi = hi};
    ss[k++] = (series){
        .name = "ideal (1)", .color = "#777777", .dash = "6 4", .fn = ideal};
    /* The scaled efficiency is the scaled speedup over P (measured weak:
     * T(1)/T(P)), so the fit and the ceiling divide by P as for strong
     * scaling. */
    k = add_fit_and_ceiling(r, ss, k);
    char *svgtext = draw(&pl, ss, k);
    free(buf);
    return svgtext;
}
