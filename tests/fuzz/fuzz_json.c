/*
 * libFuzzer target for the loader's front door with format detection on:
 * any bytes, as a JSON graph, a WfCommons file or (when they start with a
 * digit) STG.  A load must either give a validated graph or fail with an
 * error text; it must never crash, hang, leak or read out of bounds.  Small
 * limits (tasks, dependencies, bytes) keep templates from spending the run
 * on one input.  The oracle on success: the graph saved as dagrun JSON
 * loads back equal (dr_graph_equal), braces, escapes and all.
 * Seeds: tests/fuzz/corpus/json/.
 */
#include "dagrun.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The loader takes a length, not a string; copying into a buffer of
     * exactly `size` bytes lets ASan catch any read past the end. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    dr_load_options opts = {0};
    opts.format = DR_FORMAT_AUTO;
    opts.max_tasks = 5000;
    opts.max_deps = 100000;
    opts.max_bytes = 1 << 20;
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, size, "fuzz.json", &opts, &err);
    if (g == NULL) {
        if (err.code == 0 || err.text[0] == '\0')
            abort(); /* a failure must always say why */
    } else {
        /* Exercise the saver and the read side on what was accepted. */
        json_t *j = dr_graph_to_json(g);
        json_decref(j);
        if (dr_graph_topo_order(g) == NULL)
            abort(); /* a loaded graph is validated */
        size_t len;
        char *saved = dr_graph_to_text(g, &len);
        if (saved == NULL)
            abort();
        dr_error_clear(&err);
        dr_graph *back =
            dr_graph_load_buffer(saved, len, "saved.json", NULL, &err);
        char why[256];
        if (back == NULL || !dr_graph_equal(g, back, why, sizeof(why)))
            abort(); /* what dagrun saves, it loads back the same */
        dr_graph_destroy(back);
        free(saved);
        dr_graph_destroy(g);
    }
    free(text);
    return 0;
}
