/*
 * The growable string every writer in dagrun builds text in: the trace
 * written one event at a time, the pictures' SVG and HTML, group names.
 * Appends never fail visibly: an allocation failure is sticky (`oom`) and
 * later appends do nothing, so long sequences of appends need no checks and
 * the caller looks once, in dr__buf_take().  printf output is formatted
 * straight into the buffer, growing it only when vsnprintf says it needs
 * more, so a number of 300 digits costs what it writes and no more.
 */
#include "graph_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `extra` more bytes and a NUL; 0, or -1 (and oom) when none. */
static int buf_reserve(dr__buf *b, size_t extra) {
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

void dr__buf_putn(dr__buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void dr__buf_puts(dr__buf *b, const char *s) { dr__buf_putn(b, s, strlen(s)); }

void dr__buf_printf(dr__buf *b, const char *fmt, ...) {
    for (int pass = 0; pass < 2 && !b->oom; pass++) {
        size_t room = b->cap > b->len ? b->cap - b->len : 0;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return; /* nothing written: an encoding error */
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        if (buf_reserve(b, (size_t)n) != 0)
            return;
        /* then format again, into the room */
    }
}

void dr__buf_free(dr__buf *b) {
    free(b->s);
    memset(b, 0, sizeof(*b));
}

char *dr__buf_take(dr__buf *b, size_t *len) {
    if (b->oom || buf_reserve(b, 0) != 0) {
        dr__buf_free(b);
        return NULL;
    }
    char *s = b->s;
    if (len != NULL)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return s;
}
