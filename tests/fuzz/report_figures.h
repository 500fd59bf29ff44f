/*
 * For the fuzzers of the report: are the figures of a report (its
 * <td class="rp-num"> cells) free of "inf" and "nan"?  The input's own
 * strings are escaped text and may say anything, so only the figure cells
 * are looked at.  One pass over the text: strstr() in a loop would rescan
 * (under ASan, re-measure) the whole report for every cell.
 */
#ifndef DAGRUN_FUZZ_REPORT_FIGURES_H
#define DAGRUN_FUZZ_REPORT_FIGURES_H

#include <string.h>

static int report_figures_are_finite(const char *html) {
    static const char open[] = "<td class=\"rp-num\">";
    int in_cell = 0;
    for (const char *q = html; *q; q++) {
        if (*q == '<') {
            in_cell = strncmp(q, open, sizeof(open) - 1) == 0;
            if (in_cell)
                q += sizeof(open) - 2;
            continue;
        }
        if (in_cell && (strncmp(q, "inf", 3) == 0 || strncmp(q, "nan", 3) == 0))
            return 0;
    }
    return 1;
}

#endif
