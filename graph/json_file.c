/*
 * Reading a run's JSON files (trace.json, summary.json) with a size cap.
 *
 * Those files come from outside: a previous run, another machine, a hand
 * edit, a pipe.  jansson would read a 3 GB file, or /dev/zero, until memory
 * runs out, so every reader of them goes through here: a regular file larger
 * than the cap is refused before a byte is read (its size is known), and any
 * other file (a pipe, a device) is read through jansson's callback loader,
 * which stops at the cap.  The cap is DR__RUN_FILE_MB_DEFAULT mebibytes, or
 * the environment's DAGRUN_MAX_TRACE_MB; the message says both.  A dagrun
 * trace takes about 250 bytes per attempt, so the default holds about two
 * million attempts (a jansson tree of that takes several gigabytes).
 */
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t dr__run_file_limit(void) {
    const char *env = getenv("DAGRUN_MAX_TRACE_MB");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        unsigned long long mb = strtoull(env, &end, 10);
        /* A bad value falls back to the default: the message that follows
         * a refusal names the variable, so the user can see it was not
         * taken. */
        if (errno == 0 && *end == '\0' && env[0] != '-' && mb > 0 &&
            mb <= (unsigned long long)(SIZE_MAX >> 21))
            return (size_t)mb << 20;
    }
    return (size_t)DR__RUN_FILE_MB_DEFAULT << 20;
}

typedef struct capped {
    FILE *f;
    size_t left; /* bytes still allowed */
    int over;    /* the cap was reached with more to read */
    int failed;  /* a read error (errno in saved) */
    int saved;
} capped;

static size_t capped_read(void *buf, size_t len, void *data) {
    capped *c = data;
    if (c->left == 0) {
        /* One more byte tells a file of exactly the cap from a longer one. */
        int ch = fgetc(c->f);
        if (ch == EOF)
            return 0;
        c->over = 1;
        return (size_t)-1;
    }
    if (len > c->left)
        len = c->left;
    size_t n = fread(buf, 1, len, c->f);
    if (n == 0 && ferror(c->f)) {
        c->failed = 1;
        c->saved = errno;
        return (size_t)-1;
    }
    c->left -= n;
    return n;
}

static void too_big(dr_error *err, const char *path, const char *what,
                    size_t limit, const char *size) {
    dr__error_set(err, DR_ETOOBIG, path, 0, 0, NULL,
                  "the %s is %s, above the limit of %zu MiB for trace and "
                  "summary files (set DAGRUN_MAX_TRACE_MB to raise it, e.g. "
                  "DAGRUN_MAX_TRACE_MB=%zu)",
                  what, size, limit >> 20, (limit >> 20) * 4);
}

json_t *dr__json_load_run_file(const char *path, const char *what,
                               dr_error *err) {
    size_t limit = dr__run_file_limit();
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read the %s: %s",
                      what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            dr__error_set(err, DR_EIO, path, 0, 0, NULL,
                          "cannot read the %s: %s", what, strerror(EISDIR));
            return NULL;
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > limit) {
            char size[64];
            snprintf(size, sizeof(size), "%.1f MiB",
                     (double)st.st_size / (1024.0 * 1024.0));
            fclose(f);
            too_big(err, path, what, limit, size);
            return NULL;
        }
    }
    capped c = {f, limit, 0, 0, 0};
    json_error_t je;
    json_t *j = json_load_callback(capped_read, &c, 0, &je);
    fclose(f);
    if (c.over) {
        json_decref(j);
        char size[64];
        snprintf(size, sizeof(size), "more than %zu MiB", limit >> 20);
        too_big(err, path, what, limit, size);
        return NULL;
    }
    if (c.failed) {
        json_decref(j);
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read the %s: %s",
                      what, strerror(c.saved ? c.saved : EIO));
        return NULL;
    }
    if (j == NULL) {
        dr__error_set(err, DR_EPARSE, path, je.line, je.column, NULL,
                      "the %s is not valid JSON: %s", what, je.text);
        return NULL;
    }
    return j;
}
