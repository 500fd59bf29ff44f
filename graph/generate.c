/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

dr_graph *dr_generate(const char *shape, const dr_param *params, size_t nparams, uint64_t seed, const char *op, dr_error *err) { (void)shape; (void)params; (void)nparams; (void)seed; (void)op; dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL, "not built yet"); return NULL; }
const char *dr_generator_help(void) { return ""; }
