/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

int dr_param_parse(char *text, dr_param *out, dr_error *err) { (void)text; (void)out; dr__error_set(err, DR_ENOTSUP, NULL, 0, 0, NULL, "not built yet"); return DR_ENOTSUP; }
