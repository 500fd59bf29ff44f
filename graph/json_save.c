/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

json_t *dr_graph_to_json(const dr_graph *g) { (void)g; return NULL; }
int dr_graph_save(const dr_graph *g, const char *path, dr_error *err) { (void)g; dr__error_set(err, DR_ENOTSUP, path, 0, 0, NULL, "not built yet"); return DR_ENOTSUP; }
