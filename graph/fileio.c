/*
 * Atomic output files: every file dagrun writes goes to a temporary file in
 * the same folder and is renamed over the target only once complete, so an
 * interrupted run never leaves a half-written trace, summary or picture.
 */
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dr_write_file_atomic(const char *path, const void *text, size_t len,
                         dr_error *err) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (tmp == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot write: %s",
                      strerror(errno));
        free(tmp);
        return DR_EIO;
    }
    const char *p = text;
    size_t left = len;
    int saved = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            saved = errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (saved == 0 && fchmod(fd, 0644) != 0)
        saved = errno;
    if (saved == 0 && fsync(fd) != 0 && errno != EINVAL)
        saved = errno;
    if (close(fd) != 0 && saved == 0)
        saved = errno;
    if (saved == 0 && rename(tmp, path) != 0)
        saved = errno;
    if (saved != 0) {
        unlink(tmp);
        free(tmp);
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot write: %s",
                      strerror(saved));
        return DR_EIO;
    }
    free(tmp);
    return 0;
}

int dr_make_dirs(const char *path, dr_error *err) {
    char *copy = strdup(path);
    if (copy == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int saved = 0;
    for (char *p = copy + 1; saved == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST)
            saved = errno;
        *p = c;
        if (c == '\0')
            break;
    }
    free(copy);
    struct stat st;
    if (saved == 0 && stat(path, &st) != 0)
        saved = errno;
    else if (saved == 0 && !S_ISDIR(st.st_mode))
        saved = ENOTDIR;
    if (saved != 0) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot create folder: %s",
                      strerror(saved));
        errno = saved;
        return DR_EIO;
    }
    return 0;
}

int dr_write_json_atomic(const char *path, const json_t *json, size_t flags,
                         dr_error *err) {
    char *text = json_dumps(json, flags);
    if (text == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL,
                      "cannot serialise JSON");
        return DR_ENOMEM;
    }
    size_t len = strlen(text);
    /* A final newline, as text tools expect. */
    char *withnl = realloc(text, len + 2);
    if (withnl == NULL) {
        free(text);
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    int rc = dr_write_file_atomic(path, withnl, len + 1, err);
    free(withnl);
    return rc;
}
