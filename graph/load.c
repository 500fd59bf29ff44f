/*
 * The loader's front door: read a file, decide its format, hand it to that
 * format's reader, then validate (cycles).
 *
 * Format detection, first match wins: the caller's explicit format; the file
 * extension (".stg" is STG; ".json" is JSON); the content (first non-space
 * byte '{' is JSON, a digit is STG).  A JSON document is then told apart by
 * its shape: WfCommons instances have a "workflow" object
 * (dr__is_wfcommons), everything else is read as dagrun's own format, whose
 * reader names any unexpected key.
 *
 * jansson parses with JSON_REJECT_DUPLICATES: a repeated key in an object is
 * almost always a mistake (two "deps" lines after an edit) and silently
 * keeping the last one would lose dependencies.
 */
#include "formats_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *dr_format_name(dr_format f) {
    switch (f) {
    case DR_FORMAT_AUTO:
        return "auto";
    case DR_FORMAT_JSON:
        return "json";
    case DR_FORMAT_STG:
        return "stg";
    case DR_FORMAT_WFCOMMONS:
        return "wfcommons";
    }
    return "auto";
}

dr_format dr_format_from_name(const char *name) {
    if (name == NULL)
        return DR_FORMAT_AUTO;
    if (strcmp(name, "json") == 0 || strcmp(name, "dagrun") == 0)
        return DR_FORMAT_JSON;
    if (strcmp(name, "stg") == 0)
        return DR_FORMAT_STG;
    if (strcmp(name, "wfcommons") == 0 || strcmp(name, "wfformat") == 0)
        return DR_FORMAT_WFCOMMONS;
    return DR_FORMAT_AUTO;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static dr_format sniff(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '{')
            return DR_FORMAT_JSON;
        if (c >= '0' && c <= '9')
            return DR_FORMAT_STG;
        return DR_FORMAT_AUTO;
    }
    return DR_FORMAT_AUTO;
}

/* The caller's format, else the one the file name says; AUTO leaves it to
 * the content. */
static dr_format format_of(const char *name, const char *text, size_t len,
                           const dr_load_options *opts) {
    dr_format format = opts ? opts->format : DR_FORMAT_AUTO;
    if (format != DR_FORMAT_AUTO)
        return format;
    if (ends_with(name, ".stg"))
        return DR_FORMAT_STG;
    /* A .json file that does not start with '{': let jansson say what is
     * wrong with it rather than "cannot tell the format". */
    if (ends_with(name, ".json") && sniff(text, len) != DR_FORMAT_JSON)
        return DR_FORMAT_JSON;
    return DR_FORMAT_AUTO;
}

static dr_graph *load_text(const char *text, size_t len, const char *source,
                           dr_format format, const dr_load_options *opts,
                           dr_error *err) {
    /* JSON may still be a WfCommons instance: remember that the caller did
     * not choose, since sniffing only tells JSON from STG. */
    int auto_detect = format == DR_FORMAT_AUTO;
    /* A UTF-8 byte-order mark (some editors write one) is not content. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (format == DR_FORMAT_AUTO) {
        format = sniff(text, len);
        if (format == DR_FORMAT_AUTO) {
            size_t i = 0;
            while (i < len && strchr(" \t\r\n", text[i]) != NULL)
                i++;
            if (i == len)
                dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                              "the file is empty");
            else
                dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                              "cannot tell the format: expected a JSON "
                              "object ('{') or an STG file (a number); use "
                              "--format json|stg|wfcommons");
            return NULL;
        }
    }
    dr_graph *g = NULL;
    if (format == DR_FORMAT_STG) {
        g = dr__load_stg(text, len, source, err);
    } else {
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
            dr__error_set(err, DR_EPARSE, source, jerr.line, jerr.column, NULL,
                          "%s", jerr.text);
            return NULL;
        }
        if (format == DR_FORMAT_WFCOMMONS ||
            (auto_detect && dr__is_wfcommons(root)))
            g = dr__load_wfcommons(root, text, len, source, err);
        else
            g = dr__load_json(root, text, len, source, opts, err);
        json_decref(root);
    }
    if (g == NULL) {
        if (err != NULL && err->code == 0)
            dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                          "cannot load the graph");
        return NULL;
    }
    /* The JSON reader has validated already (to place a cycle in the file);
     * then this is a no-op, as the derived arrays are kept. */
    dr_error local;
    dr_error_clear(&local);
    if (dr_graph_validate(g, &local) != 0) {
        dr__error_set(err, local.code, source, 0, 0,
                      local.task[0] ? local.task : NULL, "%s", local.message);
        dr_graph_destroy(g);
        return NULL;
    }
    return g;
}

dr_graph *dr_graph_load_buffer(const char *text, size_t len, const char *source,
                               const dr_load_options *opts, dr_error *err) {
    if (source == NULL)
        source = "<string>";
    if (text == NULL) {
        dr__error_set(err, DR_EINVAL, source, 0, 0, NULL, "no text to load");
        return NULL;
    }
    return load_text(text, len, source, format_of(source, text, len, opts),
                     opts, err);
}

/* Reads a whole file; NULL with errno set.  The buffer is NUL-terminated
 * for readers that like it, though none relies on it. */
/* "-" is standard input, so `dagrun gen chain | dagrun analyze -` works. */
static char *read_all(const char *path, size_t *len) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct stat st;
    size_t cap = 1 << 16;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    else if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    char *buf = malloc(cap);
    size_t n = 0;
    while (buf != NULL) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    int failed = buf != NULL && ferror(f);
    int saved = errno;
    if (!is_stdin)
        fclose(f);
    if (failed) {
        free(buf);
        errno = saved ? saved : EIO;
        return NULL;
    }
    if (buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

dr_graph *dr_graph_load(const char *path, const dr_load_options *opts,
                        dr_error *err) {
    if (path == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no file name");
        return NULL;
    }
    size_t len = 0;
    char *text = read_all(path, &len);
    if (text == NULL) {
        dr__error_set(err, errno == ENOMEM ? DR_ENOMEM : DR_EIO, path, 0, 0,
                      NULL, "cannot read: %s", strerror(errno));
        return NULL;
    }
    const char *source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    dr_graph *g = load_text(text, len, source, format_of(path, text, len, opts),
                            opts, err);
    free(text);
    return g;
}
