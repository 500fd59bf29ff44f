/*
 * Atomic output files: every file dagrun writes goes to a temporary file in
 * the same folder and is renamed over the target only once complete, so an
 * interrupted run never leaves a half-written trace, summary or picture.
 *
 * Permissions are what the user would get from a plain `> file`: a new file
 * is 0666 less the umask; a file that is replaced keeps its mode.  Summaries
 * carry the tails of commands' stderr, so forcing 0644 would publish what a
 * umask of 077 meant to keep private.
 */
#include "graph_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Creates a new temporary file next to `path`, mode 0666 less the umask (the
 * kernel applies the umask and any default ACL of the folder, which
 * mkstemp's fixed 0600 would not).  Returns the descriptor and the name in
 * *tmp (free it), or -1 with errno set.
 */
static int create_temp(const char *path, char **tmp) {
    static unsigned long counter; /* distinct names within one process */
    size_t n = strlen(path) + 48;
    char *name = malloc(n);
    if (name == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        /* As short as mkstemp's suffix, so a name that fits still fits
         * with it; O_EXCL settles a collision. */
        uint64_t h = ((uint64_t)getpid() << 32) ^ ((uint64_t)c << 48) ^
                     (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
        h *= 0x9e3779b97f4a7c15ull;
        snprintf(name, n, "%s.tmp.%06llx", path, (unsigned long long)(h >> 40));
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp = name;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    int saved = errno;
    free(name);
    errno = saved;
    return -1;
}

int dr_write_file_atomic(const char *path, const void *text, size_t len,
                         dr_error *err) {
    char *tmp = NULL;
    int fd = create_temp(path, &tmp);
    if (fd < 0) {
        int code = errno == ENOMEM ? DR_ENOMEM : DR_EIO;
        dr__error_set(err, code, path, 0, 0, NULL, "cannot write: %s",
                      strerror(errno));
        return code;
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
    /* A file replaced keeps its permissions: a summary someone made
     * private (0600) stays private. */
    struct stat old;
    if (saved == 0 && stat(path, &old) == 0 && S_ISREG(old.st_mode) &&
        fchmod(fd, old.st_mode & 07777) != 0)
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
