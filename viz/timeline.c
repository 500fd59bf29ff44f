/*
 * The time axis and the SVG header shared by the Gantt chart and the
 * parallelism profile (timeline_internal.h).  Ticks follow 1-2-5 steps in
 * s, ms or µs; the axis draws at most MAX_TICKS ticks, whatever the numbers
 * (a NaN step once made it loop forever).
 */
#include "timeline_internal.h"

#include <math.h>
#include <stdio.h>

#define MAX_TICKS 200

/* ------------------------------------------------------------ time axis */

/* The 1-2-5 step at or above raw; raw itself when powers of ten fail
 * (denormals), so that the result is always finite and positive. */
double dr__vnice_step(double raw) {
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double p = pow(10, floor(log10(raw)));
    if (!(p > 0) || !isfinite(p))
        return raw;
    double f = raw / p;
    double s = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    return s > 0 && isfinite(s) ? s : raw;
}

void dr__vaxis_init(dr__vaxis *a, double x0, double w, double span_us) {
    a->x0 = x0;
    a->w = w;
    /* The reader guarantees a finite makespan; below a nanosecond the
     * ticks would only count rounding. */
    a->span = isfinite(span_us) && span_us > 1e-3 ? span_us : 1;
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
    a->step = dr__vnice_step(a->span / a->unit / fmax(2, floor(w / 110)));
    a->decimals = a->step >= 1 ? 0 : (int)fmin(9, ceil(-log10(a->step) - 1e-9));
}

double dr__vaxis_x(const dr__vaxis *a, double us) {
    return a->x0 + us / a->span * a->w;
}

/* A tick label: fixed decimals, or 1e+12 style once the numbers are too
 * long to read (a simulated run of absurd costs). */
static void tick_label(char *buf, size_t len, const dr__vaxis *a, double v) {
    if (fabs(v) >= 1e7)
        snprintf(buf, len, "%.3g", v);
    else
        snprintf(buf, len, "%.*f", a->decimals, v);
}

/* Vertical grid lines from y0 to y1 and labels under y1. */
void dr__vaxis_draw(dr__buf *b, const dr__vaxis *a, double y0, double y1,
                    int labels) {
    double end = a->span / a->unit;
    dr__buf_puts(b, "<g class=\"axis\">\n");
    /* The step comes from the span, so there are about w / 110 ticks; the
     * cap only guards against arithmetic that would say otherwise. */
    for (int i = 0; i <= MAX_TICKS; i++) {
        double v = i * a->step;
        if (!(v <= end * (1 + 1e-9)))
            break;
        double x = dr__vaxis_x(a, v * a->unit);
        dr__buf_printf(b,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#E3E7EB\"/>\n",
                       x, y0, x, y1 + 4);
        if (labels) {
            char t[48];
            tick_label(t, sizeof(t), a, v);
            dr__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                           "font-size=\"11\" fill=\"#4A5560\">%s</text>\n",
                           x, y1 + 16, t);
        }
    }
    dr__buf_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#8A949E\"/>\n",
                   a->x0, y1, a->x0 + a->w, y1);
    if (labels)
        dr__buf_printf(b,
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"11\" fill=\"#4A5560\">time (%s)</text>\n",
                       a->x0 + a->w, y1 + 32, a->uname);
    dr__buf_puts(b, "</g>\n");
}

void dr__vtimeline_open(dr__buf *b, int width, double height) {
    dr__buf_printf(b,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                   "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" " DR__VFONT ">\n"
                   "<defs><pattern id=\"dr-hatch\" width=\"6\" height=\"6\" "
                   "patternUnits=\"userSpaceOnUse\" "
                   "patternTransform=\"rotate(45)\"><rect width=\"6\" "
                   "height=\"6\" fill=\"#F8D0D1\"/><line x1=\"0\" y1=\"0\" "
                   "x2=\"0\" y2=\"6\" stroke=\"" DR__VFAIL_RED "\" "
                   "stroke-width=\"3\"/></pattern>"
                   "<pattern id=\"dr-intr\" width=\"8\" height=\"8\" "
                   "patternUnits=\"userSpaceOnUse\" "
                   "patternTransform=\"rotate(-45)\"><rect width=\"8\" "
                   "height=\"8\" fill=\"#FBEFD0\"/><line x1=\"0\" y1=\"0\" "
                   "x2=\"0\" y2=\"8\" stroke=\"#E3B23C\" "
                   "stroke-width=\"3\"/></pattern>"
                   "<pattern id=\"dr-tail\" width=\"8\" height=\"8\" "
                   "patternUnits=\"userSpaceOnUse\" "
                   "patternTransform=\"rotate(-45)\"><rect width=\"8\" "
                   "height=\"8\" fill=\"#F1F3F5\"/><line x1=\"0\" y1=\"0\" "
                   "x2=\"0\" y2=\"8\" stroke=\"#D5DADF\" "
                   "stroke-width=\"2\"/></pattern>"
                   "<marker id=\"dr-arrow\" viewBox=\"0 0 8 8\" refX=\"7\" "
                   "refY=\"4\" markerWidth=\"5\" markerHeight=\"5\" "
                   "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" "
                   "fill=\"" DR__VCHAIN_INK "\"/></marker></defs>\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                   width, height, width, height);
}
