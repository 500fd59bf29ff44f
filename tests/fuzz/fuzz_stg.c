/*
 * libFuzzer target for the STG reader: any bytes, not NUL-terminated, must
 * give a graph or an error, never a crash, a hang or a leak.  A graph that
 * loads is also analysed, so the analysis sees odd shapes (cycles, dropped
 * dummies, zero costs) too.  Seeds: tests/fuzz/corpus/stg/.
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
    dr_graph *g = dr__load_stg(text, size, "fuzz.stg", &err);
    if (g != NULL) {
        dr_analysis *a = dr_analyze(g, NULL, NULL);
        dr_analysis_destroy(a);
    }
    dr_graph_destroy(g);
    free(text);
    return 0;
}
