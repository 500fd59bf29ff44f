/*
 * libFuzzer target for the STG reader: any bytes, not NUL-terminated, must
 * give a graph or an error with a text, never a crash, a hang or a leak.  A
 * graph that loads is validated (the reader reports cycles itself) and is
 * also analysed, so the analysis sees odd shapes (dropped dummies, zero
 * costs) too.  Seeds: tests/fuzz/corpus/stg/.
 */
#include "formats_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, exactly `size` bytes, so ASan catches any read past
     * the end of the input. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    dr_error err;
    dr_error_clear(&err);
    dr__limits limits = {1 << 20, 100000, 1000000};
    dr_graph *g = dr__load_stg(text, size, "fuzz.stg", &limits, &err);
    if (g == NULL && (err.code == 0 || err.text[0] == '\0'))
        abort(); /* a failure must always say why */
    if (g != NULL) {
        if (dr_graph_topo_order(g) == NULL)
            abort(); /* the reader validates: cycles are errors */
        dr_analysis *a = dr_analyze(g, NULL, NULL);
        dr_analysis_destroy(a);
    }
    dr_graph_destroy(g);
    free(text);
    return 0;
}
