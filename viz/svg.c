/*
 * XML escaping for the text every writer in viz/ builds (SVG, HTML and
 * labels, in a dr__buf from graph/buf.c).
 */
#include "viz_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dr__vbuf_xml(dr__buf *b, const char *s) {
    if (s == NULL)
        return;
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
                rep = "\xEF\xBF\xBD";
        }
        if (rep != NULL) {
            dr__buf_putn(b, run, (size_t)(s - run));
            dr__buf_puts(b, rep);
            run = s + 1;
        }
    }
    dr__buf_putn(b, run, (size_t)(s - run));
}
