/*
 * libFuzzer target for the HTML report writer fed by a fuzzed trace (without
 * a graph: Graphviz's layout would take the run's time; the DAG side is
 * dot.c's), once with no summary and once with the same document read as
 * the summary.  The report is written or refused with an error text; never
 * a crash, a hang, a leak, "inf"/"nan" among its figures, or an output far
 * larger than the input.  Seeds: tests/fuzz/corpus/report/.
 */
#include "report_figures.h"
#include "viz_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j == NULL)
        return 0;
    for (int with_summary = 0; with_summary < 2; with_summary++) {
        char *html = NULL;
        size_t len = 0;
        dr_error err;
        dr_error_clear(&err);
        int rc = dr_viz_report_html(NULL, j, with_summary ? j : NULL, NULL,
                                    &html, &len, &err);
        if (rc != 0 && (err.text[0] == '\0' || html != NULL))
            abort();
        if (rc == 0) {
            if (html == NULL || strlen(html) != len ||
                len > 16u * 1024 * 1024 + 128 * size)
                abort();
            if (!report_figures_are_finite(html))
                abort(); /* a figure printed as inf or nan */
        }
        free(html);
    }
    json_decref(j);
    return 0;
}
