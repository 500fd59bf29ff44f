/*
 * Colours, key prefixes and time labels, shared by the DAG diagram, the Gantt
 * chart and the report so that a worker or a group of tasks looks the same
 * everywhere.  The palette is Tableau 10 without its red, plus a dark teal:
 * distinguishable with the common colour-vision deficiencies, and leaving
 * red free to mean "failed" and bold red to mean "critical path".
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

void dr__vfmt_time(char *buf, size_t len, double us) {
    double a = fabs(us);
    if (a < 0.0005) {
        snprintf(buf, len, "0");
        return;
    }
    if (a >= 1e9)
        snprintf(buf, len, "%.0f s", us / 1e6);
    else if (a >= 1e6)
        snprintf(buf, len, "%.3g s", us / 1e6);
    else if (a >= 1e3)
        snprintf(buf, len, "%.3g ms", us / 1e3);
    else
        snprintf(buf, len, "%.3g \xC2\xB5s", us);
}
