/*
 * --workers-list parsing (workers_list.h).
 */
#include "workers_list.h"

#include <ctype.h>

int workers_list_parse(const char *text, unsigned *out, size_t max) {
    size_t n = 0;
    const char *p = text;
    if (p == NULL || *p == '\0')
        return -1;
    for (;;) {
        /* A count: digits only (no sign, no spaces), so "2,,4" and "-1"
         * are refused rather than read as something else. */
        if (!isdigit((unsigned char)*p))
            return -1;
        unsigned long v = 0;
        while (isdigit((unsigned char)*p)) {
            v = v * 10 + (unsigned long)(*p - '0');
            if (v > WORKERS_LIST_MAX_WORKERS)
                return -1;
            p++;
        }
        if (v == 0 || n == max)
            return -1;
        out[n++] = (unsigned)v;
        if (*p == '\0')
            return (int)n;
        if (*p != ',')
            return -1;
        p++;
    }
}
