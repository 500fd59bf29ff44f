/*
 * libFuzzer target for the Gantt chart writer fed by a fuzzed trace (with no
 * summary, and with the same document read as a summary, so critical paths
 * and makespan chains that name the trace's own tasks are tried).  A trace
 * is drawn or refused with an error text; never a crash, a hang (issue 9:
 * ts + dur infinite looped for ever), a leak, or an output far larger than
 * the input (a 240-byte trace once made a 3.4 GB SVG).  Seeds:
 * tests/fuzz/corpus/gantt/.
 */
#include "viz_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The chart is bounded by its rows (1,000), bars (about 12,000 after
 * merging) and the text of the input it repeats in titles and labels. */
static size_t bound(size_t size) { return 8u * 1024 * 1024 + 64 * size; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j == NULL)
        return 0;
    for (int with_summary = 0; with_summary < 2; with_summary++) {
        dr_gantt_options o;
        dr_gantt_options_init(&o);
        o.profile = !with_summary;
        /* Small widths try the merging, a raised limit the bands. */
        o.width = 400 + (int)(size % 3) * 900;
        o.max_workers = size % 2 ? 0 : 100000000;
        char *svg = NULL;
        size_t len = 0;
        dr_error err;
        dr_error_clear(&err);
        int rc =
            dr_viz_gantt_svg(j, with_summary ? j : NULL, &o, &svg, &len, &err);
        if (rc != 0 && (err.text[0] == '\0' || svg != NULL))
            abort();
        if (rc == 0 && (svg == NULL || strlen(svg) != len || len > bound(size)))
            abort();
        free(svg);
    }
    json_decref(j);
    return 0;
}
