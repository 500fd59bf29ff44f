/*
 * The run folder of command logs.
 *
 * Names.  Task ids are free text (a '/', a newline, an escape sequence, 300
 * bytes), file names are not.  A log is named after its task id with '/',
 * '%', '~' and control bytes written %XX, so that two tasks never share a
 * file ("x/y" is x%2Fy, "x_y" stays x_y) and no id makes a sub-folder or a
 * name a terminal would interpret.  An id whose name would not fit in a
 * file name (NAME_MAX) keeps its first LOG_NAME_KEEP bytes and gets '~' and
 * the FNV-1a 64-bit hash of the whole id: '~' never appears in a name that
 * was not cut, so a cut name never equals another task's.
 *
 * Stale logs.  A run folder is reused from run to run, and a task that did
 * not run this time must not leave last time's log beside this run's.  So
 * each run writes a manifest (DR__LOGS_MANIFEST: one log name per line)
 * listing the logs it may write.  The next run first removes the listed
 * logs of tasks that are not in its graph, and empties its own tasks' logs
 * (a folder used by an older dagrun has no manifest); at its end it removes
 * the (empty) logs of its tasks that did not start.  So during a run, or
 * after one was killed, a task not started yet has an empty log, and after
 * a run it has none.  Emptying rather than removing keeps each task's start
 * from creating a file, ten times dearer than truncating one on ext4.  Only
 * files dagrun named are ever touched, so a --run-dir shared with other
 * files is safe.
 *
 * Reading back.  A failure's stderr tail goes into the summary, and a
 * command's stdout is printed as its result: both are passed through
 * dr__safe_text (graph/escape.c), so raw escape sequences never reach a
 * terminal and the text is valid UTF-8 for JSON.  The log files keep the
 * raw bytes.
 */
#include "logs.h"
#include "graph_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_NAME_MAX 200  /* longest name (+ ".out") that is not cut */
#define LOG_NAME_KEEP 180 /* bytes of a cut name kept before '~' and hash */

static int escaped(unsigned char c) {
    return c < 0x20 || c == 0x7f || c == '/' || c == '%' || c == '~';
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

char *dr__log_name(const char *key, const char *ext) {
    size_t klen = strlen(key), elen = strlen(ext);
    char *out = malloc(3 * klen + 24 + elen);
    if (out == NULL)
        return NULL;
    size_t n = 0, cut = 0, char_start = 0;
    int cut_set = 0;
    for (size_t i = 0; i < klen; i++) {
        unsigned char c = (unsigned char)key[i];
        if ((c & 0xC0) != 0x80)
            char_start = n; /* not inside a UTF-8 sequence */
        size_t unit = escaped(c) ? 3 : 1;
        if (!cut_set && n + unit > LOG_NAME_KEEP) {
            cut = (c & 0xC0) == 0x80 ? char_start : n;
            cut_set = 1;
        }
        if (unit == 3)
            n += (size_t)sprintf(out + n, "%%%02X", c);
        else
            out[n++] = (char)c;
    }
    if (n > LOG_NAME_MAX)
        n = cut + (size_t)sprintf(out + cut, "~%016llx",
                                  (unsigned long long)fnv1a(key));
    memcpy(out + n, ext, elen + 1);
    return out;
}

char *dr__log_path(const char *dir, const char *key, const char *ext) {
    char *name = dr__log_name(key, ext);
    if (name == NULL)
        return NULL;
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path != NULL)
        snprintf(path, len, "%s/%s", dir, name);
    free(name);
    return path;
}

static const char *const exts[] = {".out", ".err"};

/* Removes the file at path; 0, or -1 with errno set for an error other
 * than "not there". */
static int remove_log(const char *path) {
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Empties the file at path if it exists.  Emptying keeps the file, so the
 * task's first start opens an empty file instead of creating one, which
 * costs a tenth as much on ext4.  A file already empty (the common case: a
 * rerun of commands that print nothing) is only looked at: truncating it
 * would still journal an inode update.  0, or -1 with errno set. */
static int truncate_log(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return 0;
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0)
        close(fd);
    return fd >= 0 || errno == ENOENT ? 0 : -1;
}

/* Applies `each` to dir/<name>.out and dir/<name>.err; 0, or -1 with errno
 * set when either failed. */
static int both_logs(const char *dir, const char *name,
                     int (*each)(const char *path)) {
    size_t len = strlen(dir) + strlen(name) + 8;
    char *path = malloc(len);
    if (path == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(path, len, "%s/%s%s", dir, name, exts[i]);
        if (each(path) != 0)
            rc = -1;
    }
    free(path);
    return rc;
}

static int remove_pair(const char *dir, const char *name) {
    return both_logs(dir, name, remove_log);
}

static int truncate_pair(const char *dir, const char *name) {
    return both_logs(dir, name, truncate_log);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The log names (no extension) of g's command tasks, sorted; *n gets how
 * many.  New array of new strings (free_names), or NULL on DR_ENOMEM. */
static char **graph_log_names(const dr_graph *g, size_t *n) {
    size_t count = 0;
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++)
        count += dr__task_is_command(g, t);
    char **names = malloc((count ? count : 1) * sizeof *names);
    if (names == NULL)
        return NULL;
    size_t k = 0;
    for (dr_task t = 0; t < dr_graph_ntasks(g) && k < count; t++) {
        if (!dr__task_is_command(g, t))
            continue;
        if ((names[k] = dr__log_name(dr_task_key(g, t), "")) == NULL) {
            while (k > 0)
                free(names[--k]);
            free(names);
            return NULL;
        }
        k++;
    }
    qsort(names, count, sizeof *names, by_name);
    *n = count;
    return names;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

static char *manifest_path(const char *dir) {
    size_t len = strlen(dir) + sizeof DR__LOGS_MANIFEST + 2;
    char *path = malloc(len);
    if (path != NULL)
        snprintf(path, len, "%s/%s", dir, DR__LOGS_MANIFEST);
    return path;
}

/* Removes what the manifest in dir lists, except the names in `keep`
 * (sorted); names with a '/' are not ours and are ignored.  A missing
 * manifest is fine. */
static int remove_listed(const char *dir, char **keep, size_t nkeep) {
    char *path = manifest_path(dir);
    if (path == NULL)
        return -1;
    FILE *f = fopen(path, "re");
    free(path);
    if (f == NULL)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        if (got == 0 || strchr(line, '/') != NULL)
            continue;
        if (nkeep > 0 &&
            bsearch(&line, keep, nkeep, sizeof *keep, by_name) != NULL)
            continue;
        if (remove_pair(dir, line) != 0)
            rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* The manifest's text: the names, one per line. */
static char *manifest_text(char **names, size_t n, size_t *len) {
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(names[i]) + 1;
    char *text = malloc(total);
    if (text == NULL)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        memcpy(text + used, names[i], nl);
        used += nl;
        text[used++] = '\n';
    }
    text[used] = '\0';
    *len = used;
    return text;
}

int dr__logs_prepare(const dr_graph *g, const char *dir, int commands,
                     const uint8_t *keep, dr_error *err) {
    struct stat st;
    if (!commands && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return 0; /* nothing to clear, nothing to create */
    if (commands && dr_make_dirs(dir, err) != 0)
        return DR_EIO;
    size_t n = 0;
    char **names = graph_log_names(g, &n);
    char *mpath = manifest_path(dir);
    if (names == NULL || mpath == NULL) {
        free_names(names, n);
        free(mpath);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    /* The last run's logs of tasks not in this graph go; this graph's are
     * emptied (each task's start truncates its own anyway), but for the
     * tasks a resumed run reuses: their logs are what they printed. */
    errno = 0;
    int bad = remove_listed(dir, names, n) != 0;
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++) {
        if (!dr__task_is_command(g, t) || (keep != NULL && keep[t]))
            continue;
        char *name = dr__log_name(dr_task_key(g, t), "");
        if (name == NULL || truncate_pair(dir, name) != 0)
            bad = 1;
        free(name);
    }
    int rc = 0;
    if (bad) {
        int saved = errno ? errno : ENOMEM;
        rc = saved == ENOMEM ? DR_ENOMEM : DR_EIO;
        dr__error_set(err, rc, dir, 0, 0, NULL,
                      "cannot clear the logs of the last run: %s",
                      strerror(saved));
    } else if (commands) {
        size_t len = 0;
        char *text = manifest_text(names, n, &len);
        if (text == NULL) {
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            rc = DR_ENOMEM;
        } else {
            rc = dr_write_file_atomic(mpath, text, len, err);
        }
        free(text);
    } else if (unlink(mpath) != 0 && errno != ENOENT) {
        dr__error_set(err, DR_EIO, mpath, 0, 0, NULL, "cannot remove: %s",
                      strerror(errno));
        rc = DR_EIO;
    }
    free(mpath);
    free_names(names, n);
    return rc;
}

void dr__logs_forget_unrun(const dr_graph *g, const char *dir,
                           const uint32_t *attempts, const uint8_t *keep) {
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++) {
        if (!dr__task_is_command(g, t) || attempts[t] > 0 ||
            (keep != NULL && keep[t]))
            continue;
        char *name = dr__log_name(dr_task_key(g, t), "");
        if (name != NULL)
            remove_pair(dir, name);
        free(name);
    }
}

void dr__logs_remove(const dr_graph *g, const char *dir) {
    remove_listed(dir, NULL, 0);
    size_t n = 0;
    char **names = graph_log_names(g, &n);
    for (size_t i = 0; names != NULL && i < n; i++)
        remove_pair(dir, names[i]);
    free_names(names, n);
    char *path = manifest_path(dir);
    if (path != NULL)
        unlink(path);
    free(path);
    rmdir(dir); /* fails, harmlessly, if anything else is in it */
}

/* Reads up to `bytes` bytes of the file at `off` (from its end when
 * from_end); *size gets the file's size.  New buffer, *got its length. */
static char *read_part(const char *path, size_t bytes, int from_end,
                       size_t *got, size_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    size_t fsize = st.st_size > 0 ? (size_t)st.st_size : 0;
    size_t want = fsize < bytes ? fsize : bytes;
    off_t off = from_end ? (off_t)(fsize - want) : 0;
    char *buf = malloc(want + 1);
    ssize_t r = buf != NULL && want > 0 ? pread(fd, buf, want, off) : 0;
    close(fd);
    if (buf == NULL || r < 0) {
        free(buf);
        return NULL;
    }
    buf[r] = '\0';
    *got = (size_t)r;
    if (size != NULL)
        *size = fsize;
    return buf;
}

char *dr__log_tail(const char *path, unsigned lines, size_t bytes) {
    size_t len = 0;
    char *buf = read_part(path, bytes, 1, &len, NULL);
    if (buf == NULL)
        return NULL;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    size_t begin = len;
    unsigned seen = 0;
    while (begin > 0) {
        if (buf[begin - 1] == '\n' && ++seen == lines)
            break;
        begin--;
    }
    /* A tail cut inside a UTF-8 sequence starts at the next character. */
    while (begin < len && ((unsigned char)buf[begin] & 0xC0) == 0x80)
        begin++;
    char *text =
        len > begin ? dr__safe_text(buf + begin, len - begin, 1) : NULL;
    free(buf);
    return text;
}

char *dr__log_head(const char *path, unsigned lines, size_t bytes,
                   size_t *shown, size_t *size) {
    size_t len = 0;
    char *buf = read_part(path, bytes, 0, &len, size);
    if (buf == NULL)
        return NULL;
    size_t end = 0;
    unsigned seen = 0;
    while (end < len && seen < lines)
        if (buf[end++] == '\n')
            seen++;
    if (end < *size && end == len && seen < lines) {
        /* Cut by the byte limit: not inside a UTF-8 sequence. */
        size_t back = end;
        while (back > 0 && ((unsigned char)buf[back - 1] & 0xC0) == 0x80)
            back--;
        unsigned char lead = back > 0 ? (unsigned char)buf[back - 1] : 0;
        size_t need = lead >= 0xF0   ? 4
                      : lead >= 0xE0 ? 3
                      : lead >= 0xC0 ? 2
                                     : 1;
        if (lead >= 0xC0 && end - (back - 1) < need)
            end = back - 1;
    }
    *shown = end;
    size_t text_len = end > 0 && buf[end - 1] == '\n' ? end - 1 : end;
    char *text = dr__safe_text(buf, text_len, 1);
    free(buf);
    return text;
}
