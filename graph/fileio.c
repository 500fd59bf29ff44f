/*
 * Atomic output files: every file dagrun writes goes to a temporary file in
 * the same folder and is renamed over the target only once complete, so an
 * interrupted run never leaves a half-written trace, summary or picture.
 *
 * Permissions are what the user would get from a plain `> file`: a new file
 * is 0666 less the umask; a file that is replaced keeps its mode.  Summaries
 * carry the tails of commands' stderr, so forcing 0644 would publish what a
 * umask of 077 meant to keep private.
 *
 * Only a regular file is replaced.  What is not one is written the way a
 * shell's `>` would write it, because renaming over it would destroy it:
 * /dev/stdout, /dev/stderr and /dev/fd/N are this process's descriptors; a
 * character device (/dev/null, a terminal), a FIFO or a socket is opened
 * and written in place; a symbolic link stays a link and its target is
 * replaced (the temporary file goes beside the target); a dangling link
 * and a folder are refused, naming the path.
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

/* A name for one of this process's open descriptors: "/dev/stdout",
 * "/dev/stderr", "/dev/fd/N" or "/proc/self/fd/N".  Returns N, or -1.
 * Writing to the descriptor itself is what a shell's `> /dev/stdout` does:
 * reopening the name would start at offset 0 of a file opened for
 * appending, and replacing what it resolves to would replace the file the
 * caller's standard output is. */
static int descriptor_name(const char *path) {
    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *digits = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        digits = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        digits = path + 14;
    if (digits == NULL || *digits < '0' || *digits > '9')
        return -1;
    char *end;
    errno = 0;
    long n = strtol(digits, &end, 10);
    if (errno != 0 || *end != '\0' || n > 1 << 20)
        return -1;
    return (int)n;
}

static int write_all(int fd, const void *text, size_t len) {
    const char *p = text;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int write_failed(const char *path, int saved, dr_error *err) {
    int code = saved == ENOMEM ? DR_ENOMEM : DR_EIO;
    dr__error_set(err, code, path, 0, 0, NULL, "cannot write: %s",
                  strerror(saved));
    return code;
}

/* Writes `text` to a temporary file beside `real` and renames it over
 * `real`.  Errors name `shown`, the path the caller gave (and `real` too
 * when it is a link's target). */
static int replace_file(const char *real, const char *shown, const void *text,
                        size_t len, dr_error *err) {
    char *tmp = NULL;
    int fd = create_temp(real, &tmp);
    int saved = fd < 0 ? errno : 0;
    /* A file replaced keeps its permissions: a summary someone made
     * private (0600) stays private, and its text is never in a file
     * others may read, not even the temporary one (hence before writing). */
    struct stat old;
    if (fd >= 0 && stat(real, &old) == 0 && S_ISREG(old.st_mode) &&
        fchmod(fd, old.st_mode & 07777) != 0)
        saved = errno;
    if (fd >= 0 && saved == 0)
        saved = write_all(fd, text, len);
    if (fd >= 0 && saved == 0 && fsync(fd) != 0 && errno != EINVAL)
        saved = errno;
    if (fd >= 0 && close(fd) != 0 && saved == 0)
        saved = errno;
    if (fd >= 0 && saved == 0 && rename(tmp, real) != 0)
        saved = errno;
    if (tmp != NULL && saved != 0)
        unlink(tmp);
    free(tmp);
    if (saved == 0)
        return 0;
    int code = saved == ENOMEM ? DR_ENOMEM : DR_EIO;
    if (strcmp(real, shown) == 0)
        dr__error_set(err, code, shown, 0, 0, NULL, "cannot write: %s",
                      strerror(saved));
    else
        dr__error_set(err, code, shown, 0, 0, NULL,
                      "cannot write its target %s (it is a symbolic link): %s",
                      real, strerror(saved));
    return code;
}

/* Writes into an existing file that is not a regular file (a character
 * device such as /dev/null or a terminal, a FIFO, a socket): opened as it
 * is, never created, replaced or renamed over.  Sets *regular and writes
 * nothing when what was opened is a regular file after all (the path was
 * replaced meanwhile): the caller replaces it then. */
static int write_in_place(const char *path, const void *text, size_t len,
                          dr_error *err, int *regular) {
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return write_failed(path, errno, err);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        close(fd);
        *regular = 1;
        return 0;
    }
    int saved = write_all(fd, text, len);
    if (close(fd) != 0 && saved == 0 && errno != EINTR)
        saved = errno;
    return saved != 0 ? write_failed(path, saved, err) : 0;
}

/* A symbolic link whose target does not exist: refused, as cp refuses to
 * write through one, so a stale or planted link never makes dagrun create
 * a file somewhere else. */
static int dangling_link(const char *path, dr_error *err) {
    char target[4096];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    dr__error_set(err, DR_EIO, path, 0, 0, NULL,
                  "cannot write: it is a symbolic link to '%s', which does "
                  "not exist (dagrun does not write through a dangling link: "
                  "create the target or remove the link)",
                  target);
    return DR_EIO;
}

int dr_write_file_atomic(const char *path, const void *text, size_t len,
                         dr_error *err) {
    int fd = descriptor_name(path);
    if (fd >= 0) {
        int saved = write_all(fd, text, len);
        return saved != 0 ? write_failed(path, saved, err) : 0;
    }
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? replace_file(path, path, text, len, err)
                               : write_failed(path, errno, err);
    if (S_ISLNK(st.st_mode)) {
        /* The link stays a link: what it points to is replaced (or written
         * into, when that is a device or a FIFO). */
        if (stat(path, &st) != 0)
            return errno == ENOENT ? dangling_link(path, err)
                                   : write_failed(path, errno, err);
        if (S_ISREG(st.st_mode)) {
            char *real = realpath(path, NULL);
            if (real == NULL)
                return write_failed(path, errno, err);
            int rc = replace_file(real, path, text, len, err);
            free(real);
            return rc;
        }
    }
    if (S_ISDIR(st.st_mode))
        return write_failed(path, EISDIR, err);
    if (!S_ISREG(st.st_mode)) {
        int regular = 0;
        int rc = write_in_place(path, text, len, err, &regular);
        if (!regular)
            return rc;
    }
    return replace_file(path, path, text, len, err);
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

int dr__hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *dr__path_in(const char *workdir, const char *path) {
    if (path[0] == '/' || workdir == NULL || workdir[0] == '\0')
        return strdup(path);
    size_t n = strlen(workdir) + strlen(path) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s/%s", workdir, path);
    return s;
}
