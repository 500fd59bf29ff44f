/*
 * libFuzzer target for the loader's front door with format detection on:
 * any bytes, as a JSON graph, a WfCommons file or (when they start with a
 * digit) STG.  A load must either give a validated graph or fail with an
 * error text; it must never crash, hang, leak or read out of bounds.  A
 * small expansion cap keeps templates from spending the run on one input.
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
        (void)dr_graph_topo_order(g);
        dr_graph_destroy(g);
    }
    free(text);
    return 0;
}
