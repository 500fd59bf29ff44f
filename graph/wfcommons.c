/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

dr_graph *dr__load_wfcommons(json_t *root, const char *text, size_t len, const char *source, dr_error *err) { (void)root; (void)text; (void)len; dr__error_set(err, DR_ENOTSUP, source, 0, 0, NULL, "WfCommons is not built yet"); return NULL; }
int dr__is_wfcommons(const json_t *root) { (void)root; return 0; }
