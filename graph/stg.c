/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

dr_graph *dr__load_stg(const char *text, size_t len, const char *source, dr_error *err) { (void)text; (void)len; dr__error_set(err, DR_ENOTSUP, source, 0, 0, NULL, "STG is not built yet"); return NULL; }
