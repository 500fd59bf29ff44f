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

/* The message parts echo ids and file names from the input: one line,
 * control characters escaped (escape.c). */
static int escape_into(char *dst, size_t size, const char *src) {
    return dr__escape(dst, size, src, strlen(src), DR__ESC_MESSAGE);
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
