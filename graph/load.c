/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

dr_graph *dr_graph_load(const char *path, const dr_load_options *opts, dr_error *err) { (void)opts; dr__error_set(err, DR_ENOTSUP, path, 0, 0, NULL, "loading is not built yet"); return NULL; }
dr_graph *dr_graph_load_buffer(const char *text, size_t len, const char *source, const dr_load_options *opts, dr_error *err) { (void)text; (void)len; (void)opts; dr__error_set(err, DR_ENOTSUP, source, 0, 0, NULL, "loading is not built yet"); return NULL; }
const char *dr_format_name(dr_format f) { (void)f; return "json"; }
dr_format dr_format_from_name(const char *name) { (void)name; return DR_FORMAT_AUTO; }
