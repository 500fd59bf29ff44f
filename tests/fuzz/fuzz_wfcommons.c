/*
 * libFuzzer target for the WfCommons reader (graph/wfcommons.c): any bytes
 * that jansson accepts as JSON are read as a WfFormat 1.4/1.5 instance.  A
 * load must give a validated graph or an error with a text, never a crash,
 * a hang, a leak or a read out of bounds (the text is handed over with its
 * exact length, as the locator of line:column reads it).  The oracle on
 * success: saving the graph as dagrun JSON and loading that gives an equal
 * graph.  Small limits keep one input from taking the run.
 * Seeds: tests/fuzz/corpus/wfcommons/.
 */
#include "formats_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    json_error_t jerr;
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        free(text);
        return 0;
    }
    dr__limits limits = {1 << 20, 5000, 100000};
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g =
        dr__load_wfcommons(root, text, size, "fuzz.json", &limits, &err);
    json_decref(root);
    if (g == NULL) {
        if (err.code == 0 || err.text[0] == '\0')
            abort(); /* a failure must always say why */
    } else {
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
            abort(); /* a converted WfCommons graph must load back equal */
        dr_graph_destroy(back);
        free(saved);
        dr_graph_destroy(g);
    }
    free(text);
    return 0;
}
