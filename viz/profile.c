/*
 * The parallelism profile: the number of running tasks over time, under
 * the Gantt chart or on its own in the report.  Each pixel column shows
 * the time-weighted mean of the running tasks over its stretch of time (the
 * shaded area) and the most at once in it (a dark line), with the worker
 * count as a dashed line.  The sweep relies on the trace reader clamping
 * each attempt's end to the next start on its worker: float rounding would
 * otherwise count two tasks on one worker at once.
 */
#include "timeline_internal.h"

#include <math.h>
#include <stdlib.h>

#define PROFILE_FILL "#5A6570" /* the mean: a shaded area */
#define PROFILE_INK "#2B333B"  /* the most at once: a line */

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

double dr__vprofile_draw(dr__buf *b, const dr__vtrace *t, const dr__vaxis *a,
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
    /* A billionth of the run: far below a pixel, far above an ulp.  Two
     * tasks "at once" for less than that are a hand-over at one instant
     * whose end and start rounding put a few ulps apart (the next task
     * starting on another worker with the finisher's clock reading). */
    double same_instant = t->makespan * 1e-9;
    /* Per pixel column: the time-weighted mean of the running tasks (the
     * shaded area) and the most at once (a dark line).  A min-max envelope
     * filled up to the max made a fine-grained run at half use look full:
     * every column held a moment with both workers busy. */
    size_t ncol = a->w >= 1 ? (size_t)ceil(a->w) : 1;
    double *mean = calloc(ncol, sizeof(*mean));
    int *most = calloc(ncol, sizeof(*most));
    if (mean == NULL || most == NULL) {
        free(mean);
        free(most);
        free(ev);
        return -1;
    }
    double col_us = a->span / (double)ncol; /* the axis's span: > 0 */
    double col_px = a->w / (double)ncol;
    int run = 0;
    double last = 0;
    for (size_t i = 0; i <= ne; i++) {
        double now = i < ne ? fmin(ev[i].t, t->makespan) : t->makespan;
        /* `run` tasks ran from last to now: onto the columns it covers.  A
         * hand-over (an end and the next start at one instant, give or
         * take an ulp: ts + dur of a trace built in memory often falls
         * just short of the next start, or past it when the next task is
         * on another worker) leaves a stretch too short to move the mean
         * or to count as a maximum (same_instant). */
        if (now > last) {
            size_t c = (size_t)(last / col_us);
            double from = last;
            int counts = now - last > same_instant;
            while (c < ncol && from < now) {
                double to = fmin(now, (double)(c + 1) * col_us);
                mean[c] += run * (to - from);
                if (counts && run > most[c])
                    most[c] = run;
                from = to;
                c++;
            }
            last = now;
        }
        if (i < ne)
            run += ev[i].d;
    }
    /* The header's figures are the columns' (the same filter of
     * hand-overs for the max). */
    int maxrun = 0;
    double area = 0;
    for (size_t c = 0; c < ncol; c++) {
        area += mean[c];
        if (most[c] > maxrun)
            maxrun = most[c];
    }
    double avg = t->makespan > 0 ? area / t->makespan : 0;
    int top = maxrun > t->workers ? maxrun : t->workers;
    double ystep = dr__vnice_step(top / 4.0);
    if (ystep < 1)
        ystep = 1;
    double ymax = ceil(top / ystep) * ystep;
    if (ymax < top + 0.5 && ymax > 0)
        ymax += ystep;
    double ph = 150, py = y0 + 30;
#define Y(v) (py + ph - (v) / ymax * ph)
    dr__buf_printf(b,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
                   "font-weight=\"bold\" fill=\"#2B333B\">Running tasks over "
                   "time</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                   "fill=\"#4A5560\">max %d, time-weighted mean %.2f, "
                   "%d worker%s</text>\n",
                   a->x0, y0 + 14, a->x0 + 190, y0 + 14, maxrun, avg,
                   t->workers, t->workers == 1 ? "" : "s");
    /* The key of the two marks, with swatches, at the right of the title
     * (text widths guessed at 6.1-6.6 px a character of 11 px type). */
    if (a->w >= 680) {
        /* right to left: "most at once", its line, the mean's text (its
         * end anchored), the mean's swatch */
        double xr = a->x0 + a->w, t2 = xr - 12 * 6.6, l1 = t2 - 26;
        double t1 = l1 - 14, r = t1 - 34 * 6.1 - 19;
        dr__buf_printf(
            b,
            "<g class=\"profile-key\" font-size=\"11\" fill=\"#4A5560\">"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
            "fill=\"" PROFILE_FILL "\" fill-opacity=\"0.3\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">mean "
            "running over each pixel column</text>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"" PROFILE_INK "\" stroke-width=\"1.5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">most at once</text></g>\n",
            r, y0 + 5, t1, y0 + 14, l1, y0 + 10, l1 + 18, y0 + 10, t2, y0 + 14);
    }
    for (double v = 0; v <= ymax + 1e-9; v += ystep) {
        dr__buf_printf(b,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#EEF1F4\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\" font-size=\"11\" "
                       "fill=\"#4A5560\">%g</text>\n",
                       a->x0, Y(v), a->x0 + a->w, Y(v), a->x0 - 6, Y(v) + 4, v);
    }
    dr__vaxis_draw(b, a, py, py + ph, 1);
    dr__buf_printf(b, "<path class=\"profile\" d=\"M%.1f,%.1f", a->x0, Y(0));
    double lasty = Y(0);
    for (size_t c = 0; c < ncol; c++) {
        double y = Y(mean[c] / col_us);
        if (fabs(y - lasty) >= 0.05) {
            dr__buf_printf(b, " H%.1f V%.1f", a->x0 + (double)c * col_px, y);
            lasty = y;
        }
    }
    dr__buf_printf(b,
                   " H%.1f V%.1f Z\" fill=\"" PROFILE_FILL "\" "
                   "fill-opacity=\"0.3\" stroke=\"" PROFILE_FILL "\" "
                   "stroke-opacity=\"0.6\" stroke-width=\"0.8\"/>\n",
                   dr__vaxis_x(a, t->makespan), Y(0));
    /* The most at once in each column, drawn over the mean. */
    dr__buf_printf(b, "<path class=\"profile-max\" d=\"M%.1f,%.1f", a->x0,
                   Y(most[0]));
    int lastm = most[0];
    for (size_t c = 1; c < ncol; c++)
        if (most[c] != lastm) {
            dr__buf_printf(b, " H%.1f V%.1f", a->x0 + (double)c * col_px,
                           Y(most[c]));
            lastm = most[c];
        }
    dr__buf_printf(b,
                   " H%.1f\" fill=\"none\" stroke=\"" PROFILE_INK "\" "
                   "stroke-width=\"1.5\"/>\n",
                   dr__vaxis_x(a, t->makespan));
    free(mean);
    free(most);
    dr__buf_printf(
        b,
        "<line class=\"workers\" x1=\"%.1f\" y1=\"%.1f\" "
        "x2=\"%.1f\" y2=\"%.1f\" stroke=\"" DR__VFAIL_RED "\" "
        "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
        "font-size=\"11\" fill=\"" DR__VFAIL_RED "\">%d worker%s</text>\n",
        a->x0, Y(t->workers), a->x0 + a->w, Y(t->workers), a->x0 + a->w,
        Y(t->workers) - 4, t->workers, t->workers == 1 ? "" : "s");
#undef Y
    free(ev);
    return 30 + ph + 40;
}

int dr__vprofile_svg(const dr__vtrace *t, int width, char **svg,
                     dr_error *err) {
    dr__vaxis a;
    dr__vaxis_init(&a, 84, width - 84 - 24, t->makespan);
    dr__buf body = {0}, out = {0};
    double h = dr__vprofile_draw(&body, t, &a, 4);
    dr__vtimeline_open(&out, width, h + 4);
    dr__buf_putn(&out, body.s ? body.s : "", body.len);
    dr__buf_puts(&out, "</svg>\n");
    if (body.oom || h < 0)
        out.oom = 1;
    dr__buf_free(&body);
    *svg = dr__buf_take(&out, NULL);
    if (*svg == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    return 0;
}
