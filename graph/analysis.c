/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

dr_analysis *dr_analyze(dr_graph *g, const dr_analyze_options *opts, dr_error *err) { (void)g; (void)opts; dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL, "not built yet"); return NULL; }
void dr_analysis_destroy(dr_analysis *a) { (void)a; }
double dr_analysis_lower_bound(const dr_analysis *a, unsigned p) { (void)a; (void)p; return 0; }
json_t *dr_analysis_to_json(const dr_analysis *a, const dr_graph *g) { (void)a; (void)g; return NULL; }
