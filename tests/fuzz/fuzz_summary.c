/*
 * libFuzzer target for the summary.json reader (dr__vsummary_check, behind
 * `gantt --summary` and `viz --summary`) and for what the pictures do with
 * a summary the check refuses or accepts: the Gantt chart (critical path,
 * makespan chain) and the report (its figures, lists and failures) are drawn
 * from a fixed trace and the fuzzed summary.  Never a crash, a hang, a leak,
 * "inf" or "nan" in the report, or a chart far larger than the trace.
 * Seeds: tests/fuzz/corpus/summary/.
 */
#include "report_figures.h"
#include "viz_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lecture run, compact (tests/data/viz/lecture-trace.json). */
static const char lecture_trace[] =
    "{\"otherData\":{\"graph\":\"lecture\",\"workers\":3,\"policy\":\"cp\","
    "\"cores\":2,\"simulated\":true,\"makespan_us\":8e6},\"traceEvents\":["
    "{\"name\":\"a\",\"cat\":\"a\",\"ph\":\"X\",\"tid\":0,\"ts\":0,\"dur\":1e6,"
    "\"args\":{\"task\":\"a\",\"ready\":0,\"status\":\"ok\",\"attempt\":1}},"
    "{\"name\":\"b\",\"cat\":\"b\",\"ph\":\"X\",\"tid\":0,\"ts\":1e6,\"dur\":"
    "3e6,"
    "\"args\":{\"task\":\"b\",\"ready\":1e6,\"status\":\"ok\"}},"
    "{\"name\":\"c\",\"cat\":\"c\",\"ph\":\"X\",\"tid\":1,\"ts\":1e6,\"dur\":"
    "5e6,"
    "\"args\":{\"task\":\"c\",\"ready\":1e6,\"status\":\"interrupted\"}},"
    "{\"name\":\"d\",\"cat\":\"d\",\"ph\":\"X\",\"tid\":2,\"ts\":1e6,\"dur\":"
    "1e6,"
    "\"args\":{\"task\":\"d\",\"ready\":1e6,\"status\":\"failed\"}},"
    "{\"name\":\"e\",\"cat\":\"e\",\"ph\":\"X\",\"tid\":0,\"ts\":4e6,\"dur\":"
    "3e6,"
    "\"args\":{\"task\":\"e\",\"ready\":4e6,\"status\":\"ok\"}},"
    "{\"name\":\"f\",\"cat\":\"f\",\"ph\":\"X\",\"tid\":0,\"ts\":7e6,\"dur\":"
    "1e6,"
    "\"args\":{\"task\":\"f\",\"ready\":7e6,\"status\":\"ok\"}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static json_t *trace;
    if (trace == NULL && (trace = json_loads(lecture_trace, 0, NULL)) == NULL)
        abort();
    json_t *s = json_loadb((const char *)data, size, 0, NULL);
    if (s == NULL)
        return 0;
    dr_error err;
    dr_error_clear(&err);
    if (dr__vsummary_check(s, "fuzz.json", &err) != 0 && err.text[0] == '\0')
        abort();
    /* The library draws with any summary: what fails the check is left
     * out, never trusted. */
    char *svg = NULL;
    size_t len = 0;
    if (dr_viz_gantt_svg(trace, s, NULL, &svg, &len, NULL) != 0)
        abort(); /* the trace is good: only memory can fail */
    if (len > 256 * 1024 + 64 * size)
        abort(); /* a small summary made a large chart */
    free(svg);
    char *html = NULL;
    if (dr_viz_report_html(NULL, trace, s, NULL, &html, &len, NULL) != 0)
        abort();
    if (!report_figures_are_finite(html))
        abort(); /* a figure printed as inf or nan */
    if (len > 1024 * 1024 + 64 * size)
        abort();
    free(html);
    json_decref(s);
    return 0;
}
