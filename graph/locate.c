/* Placeholder until this module lands; replaced by its owner. */
#include "formats_internal.h"

int dr__json_locate(const char *text, size_t len, const dr__json_step *path, size_t npath, int *line, int *column) { (void)text; (void)len; (void)path; (void)npath; *line = 0; *column = 0; return -1; }
