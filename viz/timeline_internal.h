/*
 * What the Gantt chart (gantt.c) and the parallelism profile (profile.c)
 * share: the time axis, the SVG header with their patterns, and colours.
 * Implemented in timeline.c.
 */
#ifndef DAGRUN_TIMELINE_INTERNAL_H
#define DAGRUN_TIMELINE_INTERNAL_H

#include "viz_internal.h"

#define DR__VFAIL_RED "#D62728"
#define DR__VCHAIN_INK "#1B1B1B"
#define DR__VFONT "font-family=\"Helvetica, Arial, sans-serif\""

/* A time axis: microseconds onto pixels, with 1-2-5 ticks in s, ms or µs. */
typedef struct dr__vaxis {
    double x0, w;      /* plot area in pixels */
    double span;       /* microseconds */
    double unit;       /* microseconds per displayed unit */
    const char *uname; /* "s", "ms", "µs" */
    double step;       /* tick step in displayed units */
    int decimals;
} dr__vaxis;

/* The 1-2-5 step at or above raw, always finite and positive. */
double dr__vnice_step(double raw);
void dr__vaxis_init(dr__vaxis *a, double x0, double w, double span_us);
/* The x of a time in microseconds. */
double dr__vaxis_x(const dr__vaxis *a, double us);
/* Vertical grid lines from y0 to y1 and (labels) tick labels under y1; at
 * most a few hundred ticks whatever the numbers. */
void dr__vaxis_draw(dr__buf *b, const dr__vaxis *a, double y0, double y1,
                    int labels);

/* Opens an SVG of width x height with the timeline's patterns (failed,
 * interrupted, idle tail) and arrow marker, on a white background. */
void dr__vtimeline_open(dr__buf *b, int width, double height);

/* Draws the running-tasks plot of t at y0 over axis a; returns the height
 * used, or -1 when out of memory (profile.c). */
double dr__vprofile_draw(dr__buf *b, const dr__vtrace *t, const dr__vaxis *a,
                         double y0);

#endif
