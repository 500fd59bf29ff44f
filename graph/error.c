/*
 * Error codes and the dr_error record.  The codes come from one X-macro list
 * in dagrun.h (as libuv's UV_ERRNO_MAP) so the enum, the names and the texts
 * cannot drift apart.  A dr_error keeps the first error recorded: later calls
 * on an already filled record are ignored, so the innermost, most precise
 * message is the one the user sees.  The human parts (message, text) have
 * control characters escaped: they echo ids and file names from the input.
 */
#include "graph_internal.h"

#include <stdio.h>
#include <string.h>

const char *dr_strerror(int err) {
    switch (err) {
    case 0:
        return "success";
#define DR__ERR_TEXT(name, num, text)                                          \
    case DR_E##name:                                                           \
        return text;
        DR_ERRNO_MAP(DR__ERR_TEXT)
#undef DR__ERR_TEXT
    }
    return "unknown error";
}

const char *dr_err_name(int err) {
    switch (err) {
    case 0:
        return "DR_OK";
#define DR__ERR_NAME(name, num, text)                                          \
    case DR_E##name:                                                           \
        return "DR_E" #name;
        DR_ERRNO_MAP(DR__ERR_NAME)
#undef DR__ERR_NAME
    }
    return "DR_EUNKNOWN";
}

void dr_error_clear(dr_error *err) {
    if (err != NULL)
        memset(err, 0, sizeof(*err));
}

size_t dr__strlcpy(char *dst, const char *src, size_t size) {
    size_t n = strlen(src);
    if (size > 0) {
        size_t k = n < size - 1 ? n : size - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return n;
}

/*
 * Copies src into dst (size bytes, NUL-terminated) with control characters
 * written as escapes (\n, \t, \r, \xHH; C1 controls as \u0080..\u009f), so
 * that an id or a file name holding ESC or a newline cannot rewrite the
 * user's terminal or forge a second line of output.  Other bytes pass
 * unchanged; a cut never splits a UTF-8 sequence.  Returns 1 when src did
 * not fit.
 */
/* Length of the UTF-8 sequence at s (lead byte 0xC2..0xF4), 0 when its
 * continuation bytes are missing. */
static size_t utf8_length(const unsigned char *s) {
    size_t want = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    for (size_t i = 1; i < want; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return want;
}

static int escape_into(char *dst, size_t size, const char *src) {
    size_t k = 0;
    int cut = 0;
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; s[i] != '\0'; i++) {
        char esc[8];
        size_t n = 0;
        unsigned char c = s[i];
        if (c == '\n')
            n = (size_t)snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\t')
            n = (size_t)snprintf(esc, sizeof(esc), "\\t");
        else if (c == '\r')
            n = (size_t)snprintf(esc, sizeof(esc), "\\r");
        else if (c < 0x20 || c == 0x7f)
            n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
        else if (c == 0xC2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[++i]);
        else if (c >= 0x80 && (c < 0xC2 || c > 0xF4 || utf8_length(s + i) == 0))
            /* Not UTF-8: an 8-bit terminal would take 0x80-0x9f for
             * control characters. */
            n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
        else {
            /* A whole UTF-8 sequence at once, or nothing of it. */
            size_t len = c < 0x80 ? 1 : utf8_length(s + i);
            if (k + len >= size) {
                cut = 1;
                break;
            }
            memcpy(dst + k, s + i, len);
            k += len;
            i += len - 1;
            continue;
        }
        if (k + n >= size) {
            cut = 1;
            break;
        }
        memcpy(dst + k, esc, n);
        k += n;
    }
    if (size > 0)
        dst[k < size ? k : size - 1] = '\0';
    return cut;
}

void dr__error_setv(dr_error *err, int code, const char *source, int line,
                    int column, const char *task, const char *fmt, va_list ap) {
    if (err == NULL || err->code != 0)
        return;
    err->code = code;
    err->line = line > 0 ? line : 0;
    err->column = column > 0 ? column : 0;
    /* source and task keep the exact bytes, for callers that look the
     * task up; message and text are for people, and escaped. */
    dr__strlcpy(err->source, source ? source : "", sizeof(err->source));
    dr__strlcpy(err->task, task ? task : "", sizeof(err->task));
    char raw[sizeof(err->message)];
    int want = vsnprintf(raw, sizeof(raw), fmt, ap);
    int cut = escape_into(err->message, sizeof(err->message), raw);
    size_t n = strlen(err->message);
    /* A message of the buffer's length was most likely cut on its way
     * here (readers format into buffers of this size too). */
    if ((want >= 0 && (size_t)want >= sizeof(raw) - 1) || cut) {
        /* Cut: say so, on a character boundary. */
        n = n < sizeof(err->message) - 4 ? n : sizeof(err->message) - 4;
        while (n > 0 && ((unsigned char)err->message[n] & 0xC0) == 0x80)
            n--;
        memcpy(err->message + n, "...", 4);
    }

    char src[DR_ERROR_SOURCE_LENGTH], key[DR_ERROR_TASK_LENGTH];
    escape_into(src, sizeof(src), err->source);
    escape_into(key, sizeof(key), err->task);
    char where[DR_ERROR_SOURCE_LENGTH + 32] = "";
    if (src[0] != '\0') {
        if (err->line > 0 && err->column > 0)
            snprintf(where, sizeof(where), "%s:%d:%d: ", src, err->line,
                     err->column);
        else if (err->line > 0)
            snprintf(where, sizeof(where), "%s:%d: ", src, err->line);
        else
            snprintf(where, sizeof(where), "%s: ", src);
    }
    if (key[0] != '\0')
        snprintf(err->text, sizeof(err->text), "%stask '%s': %s", where, key,
                 err->message);
    else
        snprintf(err->text, sizeof(err->text), "%s%s", where, err->message);
}

void dr__error_set(dr_error *err, int code, const char *source, int line,
                   int column, const char *task, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dr__error_setv(err, code, source, line, column, task, fmt, ap);
    va_end(ap);
}
