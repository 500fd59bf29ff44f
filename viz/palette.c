/*
 * Colours, key prefixes and time labels, shared by the DAG diagram, the Gantt
 * chart and the report so that a worker or a group of tasks looks the same
 * everywhere.  There are two palettes, because the report shows both a
 * worker's colour (in the task graph) and a key prefix's colour (in the
 * timeline), and one colour must never mean both:
 *
 * - workers: Tableau 10 without its red, plus a dark teal, all saturated
 *   and mid-dark, distinguishable with the common colour-vision
 *   deficiencies;
 * - key prefixes: ColorBrewer Set3 without its salmon and grey, all light
 *   pastels, none of them in the worker palette, drawn with dark text.
 *
 * Both leave red free to mean "failed" and bold red "critical path", and
 * grey free for merged bars and tasks that did not run.
 */
#include "viz_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const palette[] = {
    "#4E79A7", /* blue */
    "#F28E2B", /* orange */
    "#59A14F", /* green */
    "#B07AA1", /* purple */
    "#76B7B2", /* teal */
    "#EDC948", /* yellow */
    "#9C755F", /* brown */
    "#FF9DA7", /* pink */
    "#499894", /* dark teal */
    "#BAB0AC", /* warm grey */
};

const char *dr_viz_palette(size_t i) {
    return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

size_t dr_viz_palette_size(void) {
    return sizeof(palette) / sizeof(palette[0]);
}

static const char *const prefix_palette[] = {
    "#8DD3C7", /* mint */
    "#FFFFB3", /* pale yellow */
    "#BEBADA", /* lavender */
    "#80B1D3", /* light blue */
    "#FDB462", /* apricot */
    "#B3DE69", /* lime */
    "#FCCDE5", /* light pink */
    "#BC80BD", /* orchid */
    "#CCEBC5", /* pale green */
    "#FFED6F", /* lemon */
};

const char *dr_viz_prefix_palette(size_t i) {
    return prefix_palette[i %
                          (sizeof(prefix_palette) / sizeof(prefix_palette[0]))];
}

size_t dr_viz_prefix_palette_size(void) {
    return sizeof(prefix_palette) / sizeof(prefix_palette[0]);
}

void dr__vfmt_time(char *buf, size_t len, double us) {
    double a = fabs(us);
    if (!isfinite(us)) { /* a figure that overflowed: unknown, not "inf s" */
        snprintf(buf, len, "\xE2\x80\x94");
        return;
    }
    if (a < 0.0005) {
        snprintf(buf, len, "0");
        return;
    }
    if (a >= 1e15) /* beyond 31 years: "2e+300 s", not 300 digits */
        snprintf(buf, len, "%.3g s", us / 1e6);
    else if (a >= 1e9)
        snprintf(buf, len, "%.0f s", us / 1e6);
    else if (a >= 1e6)
        snprintf(buf, len, "%.3g s", us / 1e6);
    else if (a >= 1e3)
        snprintf(buf, len, "%.3g ms", us / 1e3);
    else
        snprintf(buf, len, "%.3g \xC2\xB5s", us);
}
