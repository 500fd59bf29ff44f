/*
 * libFuzzer target for the two readers of trace.json: the visualiser's
 * (dr__vtrace_read_ex, behind `gantt`, `viz --trace` and the report) and the
 * simulator's (dr__costs_from_trace_json, behind `run --costs`), on any
 * bytes.  Each must accept the trace or refuse it with an error text; it
 * must never crash, hang, leak, read out of bounds or cast an absurd number
 * to an int (UBSan).  What the visualiser accepts is held to its promises:
 * finite, non-negative times, workers in range, attempts sorted by worker
 * and start, no two at once on a worker.  Seeds: tests/fuzz/corpus/trace/.
 */
#include "run_internal.h"
#include "viz_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lecture graph's keys, so that --costs finds tasks it knows. */
static dr_graph *lecture(void) {
    static const char *const keys[] = {"a", "b", "c", "d", "e", "f", "map-3"};
    dr_graph *g = dr_graph_create();
    if (g == NULL)
        abort();
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        if (dr_graph_add_task(g, keys[i], NULL) != 0)
            abort();
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static dr_graph *g;
    if (g == NULL)
        g = lecture(); /* kept for the whole run: read only */
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j == NULL)
        return 0;
    dr_error err;
    dr_error_clear(&err);
    dr__vtrace t;
    int rc = dr__vtrace_read_ex(j, "fuzz.json", 0, NULL, &t, &err);
    if (rc != 0) {
        if (err.text[0] == '\0' || t.a != NULL || t.n != 0 ||
            t.cached != NULL || t.ncached != 0)
            abort(); /* a refusal says why and leaves nothing behind */
    } else {
        if (t.workers < 1 || t.workers > DR__VMAX_WORKERS ||
            !isfinite(t.makespan) || t.makespan < 0)
            abort();
        for (size_t i = 0; i < t.n; i++) {
            const dr__vattempt *a = &t.a[i];
            if (!(a->ts >= 0) || !(a->dur >= 0) || !isfinite(a->ts + a->dur) ||
                a->worker < 0 || a->worker >= t.workers ||
                a->ts + a->dur > t.makespan || a->ready > a->ts)
                abort();
            if (i > 0 && t.a[i - 1].worker == a->worker &&
                (t.a[i - 1].ts > a->ts ||
                 t.a[i - 1].ts + t.a[i - 1].dur > a->ts))
                abort();
        }
        for (size_t i = 0; i < t.ncached; i++)
            if (t.cached[i].task == NULL || t.cached[i].cat == NULL)
                abort(); /* a cached task always has a name */
        dr__vtrace_free(&t);
    }
    double duration[7] = {0};
    dr_error_clear(&err);
    long m = dr__costs_from_trace_json(g, j, "fuzz.json", duration, NULL, &err);
    if (m < 0 && err.text[0] == '\0')
        abort();
    for (int i = 0; i < 7; i++)
        if (!isfinite(duration[i]) || duration[i] < 0)
            abort(); /* a cost the simulator would choke on */
    json_decref(j);
    return 0;
}
