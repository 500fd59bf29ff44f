/*
 * Text made safe to print: task ids, file names, commands' output and
 * failure messages come from outside and may hold escape sequences that
 * would rewrite the user's terminal, newlines that forge a second line of
 * output, or bytes that are not UTF-8 (which JSON cannot carry).  One
 * scanner decides what is unsafe for every printer in dagrun: C0 controls
 * and DEL, the C1 controls U+0080..U+009F (U+009B is CSI), every byte of
 * invalid UTF-8 (overlong forms and surrogates included), and the
 * invisible format characters (Unicode category Cf: the bidi controls
 * U+202A..U+202E and U+2066..U+2069 that reorder what a terminal shows, as
 * in "Trojan Source", zero-width spaces and joiners, U+FEFF, the tag
 * characters) with the line and paragraph separators U+2028/U+2029; these
 * are written \u202e (\U000e0001 beyond U+FFFF).  In text shown as it was
 * written (below) a backslash is written \\, so an escape there is always
 * one dagrun wrote: a stderr line `\x1b` shows as `\\x1b`, an ESC as
 * `\x1b`.  Other valid UTF-8 and printable ASCII pass unchanged, and a cut
 * never splits a character.
 *
 * Text is escaped once, where it enters (a failure's reason, a stderr
 * tail, an error message) or where it is printed (task ids): never both.
 *
 * Two spellings, for two kinds of text:
 *  - a message on one line (dr_error's text, DR__ESC_MESSAGE): newline,
 *    tab and carriage return are written \n, \t, \r, other controls \xHH
 *    and C1 controls \u0080..\u009f, as a C or JSON string would show
 *    them; a backslash stays one, because the whole formatted message is
 *    escaped and dagrun's own words may hold one ("\u0000");
 *  - text shown as it was written (a stderr tail, a command's output):
 *    tab is kept, newline too when asked (DR__ESC_NEWLINES), and every
 *    other unsafe byte is \xHH, so the bytes can be read back.
 */
#include "graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unicode's invisible format characters (general category Cf, Unicode
 * 15) and the line / paragraph separators: shown escaped. */
static int invisible(uint32_t cp) {
    static const uint32_t ranges[][2] = {
        {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
        {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},
        {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},
        {0x2028, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
        {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
        {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
        {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}};
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return 1;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (at most `left` bytes), or 0:
 * not a lead byte, truncated, overlong, out of range, a surrogate, or a C1
 * control (escaped like C0).  *code gets the code point. */
static size_t utf8_len(const unsigned char *s, size_t left, uint32_t *code) {
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp >= 0x80 && cp <= 0x9F)
        return 0;
    *code = cp;
    return n;
}

int dr__escape(char *dst, size_t size, const char *src, size_t len,
               unsigned flags) {
    const unsigned char *s = (const unsigned char *)src;
    int message = (flags & DR__ESC_MESSAGE) != 0;
    int newlines = (flags & DR__ESC_NEWLINES) != 0 && !message;
    size_t k = 0;
    int cut = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        char esc[12];
        const char *out = (const char *)s + i;
        size_t n = 1, used = 1;
        uint32_t cp = 0;
        if (c == '\\' && !message) {
            esc[0] = esc[1] = '\\';
            n = 2;
            out = esc;
        } else if ((c >= 0x20 && c < 0x7f) || (!message && c == '\t') ||
                   (newlines && c == '\n')) {
            /* as it is */
        } else if (c >= 0x80 && (n = utf8_len(s + i, len - i, &cp)) > 0) {
            used = n;
            if (invisible(cp)) {
                n = (size_t)snprintf(esc, sizeof(esc),
                                     cp > 0xFFFF ? "\\U%08x" : "\\u%04x",
                                     (unsigned)cp);
                out = esc;
            }
        } else if (message && (c == '\n' || c == '\t' || c == '\r')) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\%c",
                                 c == '\n'   ? 'n'
                                 : c == '\t' ? 't'
                                             : 'r');
            out = esc;
        } else if (message && c == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 &&
                   s[i + 1] <= 0x9F) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[i + 1]);
            out = esc;
            used = 2;
        } else {
            n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
            out = esc;
        }
        if (k + n >= size) {
            cut = 1;
            break;
        }
        memcpy(dst + k, out, n);
        k += n;
        i += used;
    }
    if (size > 0)
        dst[k < size ? k : size - 1] = '\0';
    return cut;
}

char *dr__safe_text(const char *s, size_t len, int newlines) {
    /* The longest spelling is 4 bytes ("\xHH") for 1 (\\ is 2 for 1,
     * \u202e 6 for 3, \U000e0001 10 for 4). */
    char *out = malloc(4 * len + 1);
    if (out != NULL)
        dr__escape(out, 4 * len + 1, s, len, newlines ? DR__ESC_NEWLINES : 0);
    return out;
}
