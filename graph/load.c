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
#include <stdint.h>
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

/* jansson's wording names its own flags ("without JSON_ALLOW_NUL"); say it
 * in the user's words instead. */
static const char *parse_message(const char *jansson, char *buf, size_t size) {
    if (strstr(jansson, "JSON_ALLOW_NUL") != NULL ||
        strstr(jansson, "NUL byte in object key") != NULL)
        return "a string holds \\u0000 (a NUL character), which a graph may "
               "not contain";
    if (strstr(jansson, "maximum parsing depth") != NULL) {
        snprintf(buf, size,
                 "%s: arrays and objects are nested too deeply for a graph",
                 jansson);
        return buf;
    }
    return jansson;
}

static const char not_text[] =
    "not a text file: it holds a NUL byte (a graph is UTF-8 text; convert "
    "UTF-16 with iconv -f UTF-16 -t UTF-8)";

/* Refuses what no reader can take: binary data (a NUL byte: neither JSON
 * nor STG may hold one) and UTF-16, which would otherwise give jansson's
 * "'[' or '{' expected" or an STG syntax error.  Returns 0 or -1 with err
 * filled. */
static int check_text(const char *text, size_t len, const char *source,
                      dr_error *err) {
    if (len >= 2 && (memcmp(text, "\xFF\xFE", 2) == 0 ||
                     memcmp(text, "\xFE\xFF", 2) == 0)) {
        dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                      "the file is UTF-16 text (it starts with a UTF-16 "
                      "byte-order mark); dagrun reads UTF-8: convert it with "
                      "iconv -f UTF-16 -t UTF-8");
        return -1;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        int line, column;
        dr__text_position(text, (size_t)(nul - text), &line, &column);
        dr__error_set(err, DR_EFORMAT, source, line, column, NULL, "%s",
                      not_text);
        return -1;
    }
    return 0;
}

static dr_graph *load_text(const char *text, size_t len, const char *source,
                           dr_format format, const dr_load_options *opts,
                           dr_error *err) {
    dr__limits limits;
    if (dr__limits_get(&limits, opts, err) != 0)
        return NULL;
    if (len > limits.max_bytes) {
        dr__error_set(err, DR_ETOOBIG, source, 0, 0, NULL,
                      "the graph is %zu bytes, more than the limit of %zu "
                      "bytes " DR__RAISE_BYTES,
                      len, limits.max_bytes);
        return NULL;
    }
    if (check_text(text, len, source, err) != 0)
        return NULL;
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
        g = dr__load_stg(text, len, source, &limits, err);
    } else if (format != DR_FORMAT_WFCOMMONS &&
               (g = dr__load_json_text(text, len, source, opts, &limits)) !=
                   NULL) {
        /* Loaded without the whole document's tree (most graphs). */
    } else {
        /* Anything the streaming reader did not take: a WfCommons file, or
         * an error, which this finds again with its position. */
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
            char buf[sizeof(jerr.text) + 80];
            dr__error_set(err, DR_EPARSE, source, jerr.line, jerr.column, NULL,
                          "%s", parse_message(jerr.text, buf, sizeof(buf)));
            return NULL;
        }
        if (format == DR_FORMAT_WFCOMMONS ||
            (auto_detect && dr__is_wfcommons(root)))
            g = dr__load_wfcommons(root, text, len, source, &limits, err);
        else
            g = dr__load_json(root, text, len, source, opts, &limits, err);
        json_decref(root);
    }
    if (g == NULL) {
        if (err != NULL && err->code == 0)
            dr__error_set(err, DR_EFORMAT, source, 0, 0, NULL,
                          "cannot load the graph");
        return NULL;
    }
    /* Every reader has validated already (to place a cycle in the file);
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
    dr_error_clear(err); /* the caller's may be uninitialised (dagrun.h) */
    if (source == NULL)
        source = "<string>";
    if (text == NULL) {
        dr__error_set(err, DR_EINVAL, source, 0, 0, NULL, "no text to load");
        return NULL;
    }
    return load_text(text, len, source, format_of(source, text, len, opts),
                     opts, err);
}

/*
 * Reads a whole file, or standard input for "-" (so `dagrun gen chain |
 * dagrun analyze -` works), of at most `max` bytes.  Returns the text,
 * NUL-terminated for readers that like it (none relies on it), or NULL with
 * err filled.  Reading stops at the limit, and at the first chunk that holds
 * a NUL byte, so `/dev/zero` or a multi-gigabyte binary costs one chunk, and
 * a FIFO or a pipe can be read like a file.
 */
static char *read_all(const char *path, const char *source, size_t max,
                      size_t *len, dr_error *err) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        dr__error_set(err, DR_EIO, source, 0, 0, NULL, "cannot read: %s",
                      strerror(errno));
        return NULL;
    }
    struct stat st;
    int have_stat = fstat(fileno(f), &st) == 0;
    if (have_stat && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            fclose(f);
        dr__error_set(err, DR_EIO, source, 0, 0, NULL,
                      "cannot read: %s (expected a graph file)",
                      strerror(EISDIR));
        return NULL;
    }
    size_t chunk = 1 << 16, cap = chunk;
    if (have_stat && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (uintmax_t)st.st_size <= max ? (size_t)st.st_size + 1 : chunk + 1;
    char *buf = malloc(cap);
    size_t n = 0;
    int failed = 0, saved = 0, binary = 0, toobig = 0;
    while (buf != NULL) {
        if (cap - n - 1 == 0) {
            /* Here n <= max; room for one byte past the limit tells a file
             * of exactly `max` bytes from a bigger one. */
            size_t want = cap * 2;
            if (want > max + 2)
                want = max + 2;
            char *grown = realloc(buf, want);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap = want;
        }
        size_t room = cap - n - 1 < chunk ? cap - n - 1 : chunk;
        size_t r = fread(buf + n, 1, room, f);
        if (memchr(buf + n, '\0', r) != NULL)
            binary = 1;
        n += r;
        /* A file known to be too big is read no further than needed to
         * tell binary data (the likelier mistake) from text. */
        if (n > max ||
            (have_stat && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max))
            toobig = 1;
        if (r == 0 || binary || toobig) {
            if (r == 0 && ferror(f)) {
                failed = 1;
                saved = errno;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (buf == NULL) {
        dr__error_set(err, DR_ENOMEM, source, 0, 0, NULL,
                      "cannot read: out of memory");
        return NULL;
    }
    if (failed) {
        free(buf);
        dr__error_set(err, DR_EIO, source, 0, 0, NULL, "cannot read: %s",
                      strerror(saved ? saved : EIO));
        return NULL;
    }
    if (binary) {
        /* Reported with its position by check_text(). */
        buf[n] = '\0';
        *len = n;
        return buf;
    }
    if (toobig) {
        free(buf);
        if (have_stat && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
            dr__error_set(err, DR_ETOOBIG, source, 0, 0, NULL,
                          "the file is %jd bytes, more than the limit of %zu "
                          "bytes " DR__RAISE_BYTES,
                          (intmax_t)st.st_size, max);
        else
            dr__error_set(err, DR_ETOOBIG, source, 0, 0, NULL,
                          "more than %zu bytes to read, the limit for a "
                          "graph " DR__RAISE_BYTES,
                          max);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

dr_graph *dr_graph_load(const char *path, const dr_load_options *opts,
                        dr_error *err) {
    dr_error_clear(err); /* the caller's may be uninitialised (dagrun.h) */
    if (path == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no file name");
        return NULL;
    }
    const char *source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    dr__limits limits;
    if (dr__limits_get(&limits, opts, err) != 0)
        return NULL;
    size_t len = 0;
    char *text = read_all(path, source, limits.max_bytes, &len, err);
    if (text == NULL)
        return NULL;
    dr_graph *g = load_text(text, len, source, format_of(path, text, len, opts),
                            opts, err);
    free(text);
    return g;
}
