/*
 * Finding where a value sits in JSON text, for error messages.
 *
 * jansson's DOM keeps no positions, and semantic errors (an unknown
 * dependency, a cost that is a string) are found after parsing.  Rather than
 * carry positions for every value of a million-task file, the loader keeps
 * the text and, only when it has an error to report, walks it again with this
 * small scanner: it follows a path of keys and indexes, skipping everything
 * else (strings with their escapes, nested containers).  The text has already
 * been accepted by jansson, so the scanner may be simple, but it still never
 * reads past `len` and gives up (-1) on anything unexpected.
 *
 * Columns count characters, not bytes (UTF-8 continuation bytes are not
 * counted), as jansson's own error columns do.
 */
#include "formats_internal.h"

#include <limits.h>
#include <string.h>

typedef struct scanner {
    const char *s;
    size_t len, pos;
} scanner;

static void skip_space(scanner *sc) {
    while (sc->pos < sc->len &&
           (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
            sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
        sc->pos++;
}

/* At a '"': moves past the closing quote. */
static int skip_string(scanner *sc) {
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return -1;
    for (sc->pos++; sc->pos < sc->len; sc->pos++) {
        char c = sc->s[sc->pos];
        if (c == '\\')
            sc->pos++;
        else if (c == '"') {
            sc->pos++;
            return 0;
        }
    }
    return -1;
}

/* Skips one value of any kind; containers by counting nesting. */
static int skip_value(scanner *sc) {
    skip_space(sc);
    if (sc->pos >= sc->len)
        return -1;
    char c = sc->s[sc->pos];
    if (c == '"')
        return skip_string(sc);
    if (c == '{' || c == '[') {
        size_t depth = 0;
        while (sc->pos < sc->len) {
            c = sc->s[sc->pos];
            if (c == '"') {
                if (skip_string(sc) != 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    sc->pos++;
                    return 0;
                }
            }
            sc->pos++;
        }
        return -1;
    }
    /* A number or a literal: runs to a delimiter. */
    while (sc->pos < sc->len) {
        c = sc->s[sc->pos];
        if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' ||
            c == '\n' || c == '\r')
            break;
        sc->pos++;
    }
    return 0;
}

/*
 * At a '"': compares the decoded string with `key` and moves past it.
 * Returns 1 when equal, 0 when not, -1 on malformed text.  \uXXXX escapes
 * are decoded to UTF-8 (surrogate pairs included) so keys written with
 * escapes still match.
 */
static int string_equals(scanner *sc, const char *key) {
    size_t k = 0, klen = strlen(key);
    int equal = 1;
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return -1;
    sc->pos++;
    while (sc->pos < sc->len) {
        unsigned char c = (unsigned char)sc->s[sc->pos++];
        unsigned char out[4];
        size_t nout = 1;
        if (c == '"')
            return equal && k == klen;
        if (c != '\\') {
            out[0] = c;
        } else {
            if (sc->pos >= sc->len)
                return -1;
            char e = sc->s[sc->pos++];
            switch (e) {
            case 'b':
                out[0] = '\b';
                break;
            case 'f':
                out[0] = '\f';
                break;
            case 'n':
                out[0] = '\n';
                break;
            case 'r':
                out[0] = '\r';
                break;
            case 't':
                out[0] = '\t';
                break;
            case 'u': {
                unsigned long cp = 0;
                for (int round = 0; round < 2; round++) {
                    unsigned long u = 0;
                    if (sc->len - sc->pos < 4)
                        return -1;
                    for (int i = 0; i < 4; i++) {
                        int h = dr__hex_digit(sc->s[sc->pos++]);
                        if (h < 0)
                            return -1;
                        u = u * 16 + (unsigned long)h;
                    }
                    if (round == 0 && u >= 0xD800 && u < 0xDC00 &&
                        sc->len - sc->pos >= 6 && sc->s[sc->pos] == '\\' &&
                        sc->s[sc->pos + 1] == 'u') {
                        cp = u;
                        sc->pos += 2;
                        continue;
                    }
                    cp = round == 0
                             ? u
                             : 0x10000 + ((cp - 0xD800) << 10) + (u - 0xDC00);
                    break;
                }
                if (cp < 0x80) {
                    out[0] = (unsigned char)cp;
                } else if (cp < 0x800) {
                    out[0] = (unsigned char)(0xC0 | (cp >> 6));
                    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
                    nout = 2;
                } else if (cp < 0x10000) {
                    out[0] = (unsigned char)(0xE0 | (cp >> 12));
                    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
                    nout = 3;
                } else {
                    out[0] = (unsigned char)(0xF0 | (cp >> 18));
                    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
                    nout = 4;
                }
                break;
            }
            default: /* \" \\ \/ */
                out[0] = (unsigned char)e;
                break;
            }
        }
        for (size_t i = 0; i < nout; i++) {
            if (k >= klen || (unsigned char)key[k] != out[i])
                equal = 0;
            k++;
        }
    }
    return -1;
}

/* Moves from the start of an object to the value of `key`. */
static int enter_key(scanner *sc, const char *key) {
    skip_space(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != '{')
        return -1;
    sc->pos++;
    for (;;) {
        skip_space(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] == '}')
            return -1;
        int eq = string_equals(sc, key);
        if (eq < 0)
            return -1;
        skip_space(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
            return -1;
        sc->pos++;
        skip_space(sc);
        if (eq)
            return 0;
        if (skip_value(sc) != 0)
            return -1;
        skip_space(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',')
            sc->pos++;
    }
}

/* Moves from the start of an array to its index-th element. */
static int enter_index(scanner *sc, size_t index) {
    skip_space(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != '[')
        return -1;
    sc->pos++;
    for (size_t i = 0;; i++) {
        skip_space(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] == ']')
            return -1;
        if (i == index)
            return 0;
        if (skip_value(sc) != 0)
            return -1;
        skip_space(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',')
            sc->pos++;
    }
}

void dr__text_position(const char *text, size_t at, int *line, int *column) {
    int l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l += l < INT_MAX;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c += c < INT_MAX;
        }
    }
    *line = l;
    *column = c;
}

int dr__json_locate(const char *text, size_t len, const dr__json_step *path,
                    size_t npath, int *line, int *column) {
    *line = 0;
    *column = 0;
    if (text == NULL)
        return -1;
    scanner sc = {text, len, 0};
    for (size_t i = 0; i < npath; i++) {
        int rc = path[i].key != NULL ? enter_key(&sc, path[i].key)
                                     : enter_index(&sc, path[i].index);
        if (rc != 0)
            return -1;
    }
    skip_space(&sc);
    if (sc.pos >= len)
        return -1;
    dr__text_position(text, sc.pos, line, column);
    return 0;
}
