/*
 * The text buffer every writer in viz/ builds its output in.  SVG, HTML and
 * labels are assembled as text, so one growable string with printf-style
 * appends and XML escaping is all that is needed.  Allocation failure is
 * sticky (the `oom` flag) so long sequences of appends need no checks; the
 * caller looks once, in dr__vbuf_take().
 */
#include "viz_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int vbuf_reserve(dr__vbuf *b, size_t extra) {
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void dr__vbuf_putn(dr__vbuf *b, const char *s, size_t n) {
    if (vbuf_reserve(b, n) != 0)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void dr__vbuf_puts(dr__vbuf *b, const char *s) {
    dr__vbuf_putn(b, s, strlen(s));
}

void dr__vbuf_printf(dr__vbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        dr__vbuf_putn(b, small, (size_t)n);
        return;
    }
    if (vbuf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void dr__vbuf_xml(dr__vbuf *b, const char *s) {
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
            dr__vbuf_putn(b, run, (size_t)(s - run));
            dr__vbuf_puts(b, rep);
            run = s + 1;
        }
    }
    dr__vbuf_putn(b, run, (size_t)(s - run));
}

void dr__vbuf_free(dr__vbuf *b) {
    free(b->s);
    memset(b, 0, sizeof(*b));
}

char *dr__vbuf_take(dr__vbuf *b, size_t *len) {
    if (b->oom || vbuf_reserve(b, 0) != 0) {
        dr__vbuf_free(b);
        return NULL;
    }
    char *s = b->s;
    if (len != NULL)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return s;
}
