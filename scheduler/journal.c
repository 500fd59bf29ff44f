/*
 * The journal of a real run (journal.h, docs/resuming.md "The journal").
 *
 * Writing is the hot path: a run of 100,000 no-op tasks appends 100,000
 * records, so a record is formatted by hand into one growable buffer (no
 * jansson tree, no printf for the common case): plain ASCII strings are
 * copied, fingerprints and integers written digit by digit, and times take
 * a fast exact path (below).  Only strings that need escapes go through
 * jansson, which knows JSON's rules.  The buffer is the journal's own, not
 * a dr__buf, because an allocation failure must leave the records already
 * buffered intact (dr__buf's failure is sticky and drops them).
 *
 * Reading verifies every line's checksum first, then parses it with
 * jansson, then checks the members a record must have, so that a caller
 * can trust the types of whatever it gets; what fails any step is counted
 * and ignored.
 */
#include "journal.h"
#include "graph_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define NO_JOURNAL_HINT "(--no-journal runs without one)"

/* `,"sum":"` + 16 hex digits + `"}`: the end of every line. */
#define SUM_TAIL 26

struct dr__journal {
    int fd;
    char *path;
    char *buf; /* lines formatted and not yet written */
    size_t len, cap;
    off_t good; /* the file's size after the last complete write */
};

/* ---------------------------------------------------------- fingerprints */

/* The fingerprints' hex form (fingerprint.h: dr__fp_hex / dr__fp_parse),
 * here as static helpers while graph/fingerprint.c is written alongside:
 * `hi` then `lo`, 16 lower-case hex digits each. */
static const char hexdig[] = "0123456789abcdef";

static char *put_hex64(char *p, uint64_t v) {
    for (int i = 14; i >= 0; i -= 2) {
        p[i] = hexdig[(v >> 4) & 0xf];
        p[i + 1] = hexdig[v & 0xf];
        v >>= 8;
    }
    return p + 16;
}

static int parse_hex64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        int d = dr__hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static char *put_fp(char *p, const dr__fp *f) {
    *p++ = '"';
    p = put_hex64(p, f->hi);
    p = put_hex64(p, f->lo);
    *p++ = '"';
    return p;
}

/* ------------------------------------------------------------ formatting */

/* Room for `extra` more bytes; 0, or -1 with the buffer unchanged. */
static int reserve(dr__journal *j, size_t extra) {
    if (j->len + extra <= j->cap)
        return 0;
    size_t cap = j->cap ? j->cap : 65536;
    while (cap < j->len + extra)
        cap *= 2;
    char *b = realloc(j->buf, cap);
    if (b == NULL)
        return -1;
    j->buf = b;
    j->cap = cap;
    return 0;
}

static char *put_lit(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}
#define PUT(p, lit) put_lit(p, lit, sizeof(lit) - 1)

static char *put_i64(char *p, int64_t v) {
    if (v < 0) {
        *p++ = '-';
        return dr__put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return dr__put_u64(p, (uint64_t)v);
}

/* The decimal digits of the fraction x - floor(x) for 1/256 <= x < 2^53,
 * exactly, by integer arithmetic: the fraction is F / 2^60 with F a whole
 * number (x's last bit is worth at least 2^-60), and each digit is the
 * whole part of 10 * F / 2^60.  Writes at most `max` digits (fewer when the
 * fraction ends) to d; returns how many. */
static int frac_digits(double x, char *d, int max) {
    double whole = floor(x);
    uint64_t f = (uint64_t)ldexp(x - whole, 60); /* exact: x - whole is */
    const uint64_t mask = ((uint64_t)1 << 60) - 1;
    int n = 0;
    while (f != 0 && n < max) {
        f *= 10; /* < 10 * 2^60 < 2^64 */
        d[n++] = (char)('0' + (f >> 60));
        f &= mask;
    }
    return n;
}

/*
 * A real that reads back as exactly the same double (at most 32 bytes),
 * without printf for the times a run records.  Times are seconds measured
 * in nanoseconds, so the first try writes x as a whole number of
 * nanoseconds when that decimal reads back as x: n / 1e9 in doubles is the
 * correctly rounded quotient, which is what strtod makes of the decimal
 * "n * 10^-9", so the test is exact.  Times computed as ns * 1e-9 are often
 * a bit off that grid; for 1/256 <= x < 2^53 they get 18 significant
 * digits of x's exact decimal expansion, cut (not rounded): the part cut
 * off is below 10^-17 of x's leading digit, less than half the gap between
 * x and the next double (more than 2^-54 of it), so the decimal still reads
 * back as x.  Anything else takes "%.17g", which always reads back.  A '.'
 * is always written, so that jansson reads a real, never an integer.
 */
static char *put_real(char *p, double x) {
    if (x >= 0 && x < 9e6) {
        uint64_t n = (uint64_t)(x * 1e9 + 0.5);
        if ((double)n / 1e9 == x) {
            p = dr__put_u64(p, n / 1000000000u);
            uint64_t frac = n % 1000000000u;
            *p++ = '.';
            if (frac == 0) {
                *p++ = '0';
                return p;
            }
            char d[9];
            for (int i = 8; i >= 0; i--) {
                d[i] = (char)('0' + frac % 10);
                frac /= 10;
            }
            int k = 9;
            while (d[k - 1] == '0')
                k--;
            return put_lit(p, d, (size_t)k);
        }
    }
    if (x >= 1.0 / 256 && x < 9007199254740992.0) {
        uint64_t whole = (uint64_t)x;
        char *at = dr__put_u64(p, whole);
        int used = whole ? (int)(at - p) : 0, lead = 0;
        *at++ = '.';
        char d[64];
        /* Below 1 the zeros after the point are not significant: at most
         * 3 of them (x >= 1/256). */
        int k = frac_digits(x, d, 18 - used + 3);
        if (whole == 0)
            while (lead < k && d[lead] == '0')
                lead++;
        if (k > lead + 18 - used)
            k = lead + 18 - used;
        while (k > 0 && d[k - 1] == '0')
            k--;
        if (k == 0)
            *at++ = '0';
        return put_lit(at, d, (size_t)k);
    }
    if (!isfinite(x))
        return PUT(p, "null"); /* JSON has no such number */
    char t[40];
    int n = snprintf(t, sizeof(t), "%.17g", x);
    p = put_lit(p, t, (size_t)n);
    if (strpbrk(t, ".e") == NULL)
        p = PUT(p, ".0");
    return p;
}

/* 1 when s[0..n) can be written between quotes as it is. */
static int plain(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* A JSON string.  Plain ASCII is copied; anything else is escaped by
 * jansson; text that is not UTF-8 (JSON cannot carry it) is first made
 * printable as dr__safe_text does (invalid bytes as \xHH), so a key that
 * is not UTF-8 is recorded under another spelling and its task reruns. */
static int put_string(dr__journal *j, const char *s, size_t n) {
    if (plain(s, n)) {
        if (reserve(j, n + 2) != 0)
            return -1;
        char *p = j->buf + j->len;
        *p++ = '"';
        p = put_lit(p, s, n);
        *p++ = '"';
        j->len = (size_t)(p - j->buf);
        return 0;
    }
    json_t *js = json_stringn(s, n);
    if (js == NULL) {
        char *safe = dr__safe_text(s, n, 0);
        if (safe == NULL)
            return -1;
        js = json_string(safe);
        free(safe);
        if (js == NULL)
            return -1;
    }
    size_t need = json_dumpb(js, NULL, 0, JSON_ENCODE_ANY);
    int rc = -1;
    if (need > 0 && reserve(j, need) == 0) {
        j->len += json_dumpb(js, j->buf + j->len, need, JSON_ENCODE_ANY);
        rc = 0;
    }
    json_decref(js);
    return rc;
}

static int put_cstr(dr__journal *j, const char *s) {
    return put_string(j, s ? s : "", s ? strlen(s) : 0);
}

/* Appends a literal known to fit (reserved by the caller's bound). */
static int put_raw(dr__journal *j, const char *s, size_t n) {
    if (reserve(j, n) != 0)
        return -1;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    return 0;
}

static int put_files(dr__journal *j, const char *name, const dr__jfile *f,
                     size_t n) {
    if (n == 0)
        return 0;
    if (put_raw(j, ",\"", 2) != 0 || put_raw(j, name, strlen(name)) != 0 ||
        put_raw(j, "\":[", 3) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (put_raw(j, i ? ",{\"path\":" : "{\"path\":", i ? 9 : 8) != 0 ||
            put_cstr(j, f[i].path) != 0 || reserve(j, 128) != 0)
            return -1;
        char *p = j->buf + j->len;
        if (f[i].fp.exists) {
            p = PUT(p, ",\"size\":");
            p = dr__put_u64(p, f[i].fp.size);
            p = PUT(p, ",\"mtime_ns\":");
            p = put_i64(p, f[i].fp.mtime_ns);
            p = PUT(p, ",\"hash\":");
            p = put_fp(p, &f[i].fp.hash);
        } else {
            p = PUT(p, ",\"exists\":false");
        }
        *p++ = '}';
        j->len = (size_t)(p - j->buf);
    }
    return put_raw(j, "]", 1);
}

/* Ends the line begun at `start`: its checksum and the newline. */
static int end_line(dr__journal *j, size_t start) {
    if (reserve(j, SUM_TAIL + 1) != 0)
        return -1;
    uint64_t sum = XXH3_64bits(j->buf + start, j->len - start);
    char *p = j->buf + j->len;
    p = PUT(p, ",\"sum\":\"");
    p = put_hex64(p, sum);
    p = PUT(p, "\"}\n");
    j->len = (size_t)(p - j->buf);
    return 0;
}

int dr__journal_append(dr__journal *j, const dr__jrec *r) {
    size_t start = j->len;
    if (put_raw(j, "{\"task\":", 8) != 0 || put_cstr(j, r->task) != 0)
        goto oom;
    /* attempt, worker: 10 digits; two reals: 32 each; three
     * fingerprints: 34 each; names: under 100. */
    if (reserve(j, 320) != 0)
        goto oom;
    char *p = j->buf + j->len;
    p = PUT(p, ",\"attempt\":");
    p = dr__put_u64(p, r->attempt);
    p = PUT(p, ",\"status\":");
    j->len = (size_t)(p - j->buf);
    if (put_cstr(j, r->status) != 0 || reserve(j, 320) != 0)
        goto oom;
    p = j->buf + j->len;
    p = PUT(p, ",\"worker\":");
    p = dr__put_u64(p, r->worker);
    p = PUT(p, ",\"start\":");
    p = put_real(p, r->start);
    p = PUT(p, ",\"end\":");
    p = put_real(p, r->end);
    p = PUT(p, ",\"fp\":");
    p = put_fp(p, &r->fp);
    p = PUT(p, ",\"op\":");
    p = put_fp(p, &r->op);
    p = PUT(p, ",\"result_fp\":");
    if (r->result_fp != NULL)
        p = put_fp(p, r->result_fp);
    else
        p = PUT(p, "null");
    j->len = (size_t)(p - j->buf);
    if (r->result != NULL && r->result_len > 0) {
        if (put_raw(j, ",\"result\":", 10) != 0)
            goto oom;
        size_t at = j->len;
        if (put_raw(j, r->result, r->result_len) != 0)
            goto oom;
        /* A newline outside a JSON string is white space (inside one it
         * is escaped): a pretty-printed result stays on its line. */
        char *q = j->buf + at, *end = j->buf + j->len;
        while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL)
            *q++ = ' ';
        for (q = j->buf + at; (q = memchr(q, '\r', (size_t)(end - q)));)
            *q++ = ' ';
    }
    if (put_files(j, "inputs", r->inputs, r->ninputs) != 0 ||
        put_files(j, "outputs", r->outputs, r->noutputs) != 0)
        goto oom;
    if (r->error != NULL &&
        (put_raw(j, ",\"error\":", 9) != 0 || put_cstr(j, r->error) != 0))
        goto oom;
    if (end_line(j, start) != 0)
        goto oom;
    return 0;
oom:
    j->len = start; /* nothing of this record stays */
    return DR_ENOMEM;
}

/* ------------------------------------------------------------ the file */

static void set_io(dr_error *err, const char *what, const char *path, int e) {
    dr__error_set(err, DR_EIO, NULL, 0, 0, NULL, "cannot %s journal %s: %s %s",
                  what, path, strerror(e), NO_JOURNAL_HINT);
}

/* Writes all of buf[0..len) (O_APPEND: at the end); 0 or errno. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int dr__journal_write(dr__journal *j, dr_error *err) {
    if (j->len == 0)
        return 0;
    int e = write_all(j->fd, j->buf, j->len);
    if (e != 0) {
        /* A part may be in the file: cut it off, so that the next line
         * does not continue a torn one, and keep the buffer for a later
         * try. */
        if (ftruncate(j->fd, j->good) != 0) {
            /* The torn part stays; the reader ignores it. */
        }
        set_io(err, "write", j->path, e);
        return DR_EIO;
    }
    j->good += (off_t)j->len;
    j->len = 0;
    return 0;
}

int dr__journal_sync(dr__journal *j, dr_error *err) {
    int rc = dr__journal_write(j, err);
    if (rc != 0)
        return rc;
    while (fdatasync(j->fd) != 0) {
        if (errno == EINTR)
            continue;
        set_io(err, "sync", j->path, errno);
        return DR_EIO;
    }
    return 0;
}

size_t dr__journal_pending(const dr__journal *j) { return j->len; }

int dr__journal_close(dr__journal *j, dr_error *err) {
    if (j == NULL)
        return 0;
    int rc = dr__journal_sync(j, err);
    flock(j->fd, LOCK_UN);
    if (close(j->fd) != 0 && rc == 0) {
        set_io(err, "close", j->path, errno);
        rc = DR_EIO;
    }
    free(j->buf);
    free(j->path);
    free(j);
    return rc;
}

/* The whole content of fd from offset 0 (*len bytes, NUL added), or NULL
 * with errno set. */
static char *read_fd(int fd, size_t *len) {
    size_t cap = 65536, n = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *b = malloc(cap);
    if (b == NULL)
        return NULL;
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                errno = ENOMEM;
                return NULL;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t k = pread(fd, b + n, cap - 1 - n, (off_t)n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(b);
            errno = e;
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

/* ------------------------------------------------------------- reading */

/* One line (without its newline) as an object without "sum" when its
 * checksum verifies and it parses; else NULL. */
static json_t *parse_line(const char *s, size_t n) {
    if (n < SUM_TAIL + 1 || s[0] != '{')
        return NULL;
    const char *tail = s + n - SUM_TAIL;
    uint64_t want;
    if (memcmp(tail, ",\"sum\":\"", 8) != 0 || tail[24] != '"' ||
        tail[25] != '}' || parse_hex64(tail + 8, &want) != 0)
        return NULL;
    if (XXH3_64bits(s, n - SUM_TAIL) != want)
        return NULL;
    json_t *v = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    json_object_del(v, "sum");
    return v;
}

static int is_header(const json_t *v) {
    return json_object_get(v, "journal") != NULL;
}

static int valid_header(const json_t *v) {
    json_t *pid = json_object_get(v, "pid");
    return json_is_string(json_object_get(v, "journal")) &&
           strcmp(json_string_value(json_object_get(v, "journal")), "dagrun") ==
               0 &&
           json_is_integer(json_object_get(v, "format")) &&
           (pid == NULL || json_is_integer(pid));
}

static int valid_fp(const json_t *v) {
    dr__fp f;
    return json_is_string(v) && dr__fp_parse(json_string_value(v), &f) == 0;
}

static int valid_count(const json_t *v) {
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           json_integer_value(v) <= UINT32_MAX;
}

static int valid_files(const json_t *v) {
    if (v == NULL)
        return 1;
    if (!json_is_array(v))
        return 0;
    size_t i;
    json_t *f;
    dr__file_fp fp;
    json_array_foreach(v, i, f) if (dr__journal_file_fp(f, &fp) != 0) return 0;
    return 1;
}

/* A format-1 record whose members have the types journal.h promises. */
static int valid_record(const json_t *v) {
    json_t *rfp = json_object_get(v, "result_fp");
    json_t *error = json_object_get(v, "error");
    return json_is_string(json_object_get(v, "task")) &&
           valid_count(json_object_get(v, "attempt")) &&
           json_is_string(json_object_get(v, "status")) &&
           valid_count(json_object_get(v, "worker")) &&
           json_is_number(json_object_get(v, "start")) &&
           json_is_number(json_object_get(v, "end")) &&
           valid_fp(json_object_get(v, "fp")) &&
           valid_fp(json_object_get(v, "op")) &&
           (json_is_null(rfp) || valid_fp(rfp)) &&
           (error == NULL || json_is_string(error)) &&
           valid_files(json_object_get(v, "inputs")) &&
           valid_files(json_object_get(v, "outputs"));
}

int dr__journal_file_fp(const json_t *file, dr__file_fp *out) {
    memset(out, 0, sizeof(*out));
    if (!json_is_object(file) || !json_is_string(json_object_get(file, "path")))
        return -1;
    json_t *exists = json_object_get(file, "exists");
    if (exists != NULL) {
        if (!json_is_false(exists))
            return -1; /* only a missing file says so */
        return 0;
    }
    json_t *size = json_object_get(file, "size");
    json_t *mtime = json_object_get(file, "mtime_ns");
    json_t *hash = json_object_get(file, "hash");
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        !json_is_integer(mtime) || !json_is_string(hash) ||
        dr__fp_parse(json_string_value(hash), &out->hash) != 0)
        return -1;
    out->exists = 1;
    out->size = (uint64_t)json_integer_value(size);
    out->mtime_ns = (int64_t)json_integer_value(mtime);
    return 0;
}

/* Why the records of a journal whose first header is `h` cannot be used
 * for graph `graph` (may be NULL), into note; "" when they can. */
static void check_header(const json_t *h, const char *name, const char *graph,
                         char *note, size_t size) {
    char safe_name[200], safe_graph[120], safe_want[120];
    dr__escape(safe_name, sizeof(safe_name), name, strlen(name),
               DR__ESC_MESSAGE);
    note[0] = '\0';
    if (h == NULL) {
        if (graph != NULL)
            snprintf(note, size,
                     "journal %s has no valid header line: every task runs",
                     safe_name);
        return;
    }
    json_int_t format = json_integer_value(json_object_get(h, "format"));
    if (format != DR__JOURNAL_FORMAT) {
        snprintf(note, size,
                 "journal %s is of format %" JSON_INTEGER_FORMAT
                 ", this dagrun reads format %d: every task runs",
                 safe_name, format, DR__JOURNAL_FORMAT);
        return;
    }
    if (graph == NULL)
        return;
    const char *was = json_string_value(json_object_get(h, "graph"));
    if (was != NULL && strcmp(was, graph) == 0)
        return;
    dr__escape(safe_want, sizeof(safe_want), graph, strlen(graph),
               DR__ESC_MESSAGE);
    if (was == NULL)
        snprintf(note, size,
                 "journal %s does not name its graph, not '%s': every task "
                 "runs",
                 safe_name, safe_want);
    else {
        dr__escape(safe_graph, sizeof(safe_graph), was, strlen(was),
                   DR__ESC_MESSAGE);
        snprintf(note, size,
                 "journal %s was written for graph '%s', not '%s': every "
                 "task runs",
                 safe_name, safe_graph, safe_want);
    }
}

/* Walks the complete lines of data[0..len): the valid ones into `out`
 * (when not NULL); *good gets the offset just after the last complete
 * valid line.  0 or DR_ENOMEM. */
static int scan(const char *data, size_t len, dr__jread *out, size_t *good) {
    size_t at = 0;
    *good = 0;
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        if (nl == NULL) {
            if (out != NULL)
                out->bad++; /* a torn last line */
            break;
        }
        size_t n = (size_t)(nl - (data + at));
        json_t *v = parse_line(data + at, n);
        at += n + 1;
        int header = v != NULL && is_header(v);
        if (v == NULL || (header ? !valid_header(v) : !valid_record(v))) {
            json_decref(v);
            if (out != NULL)
                out->bad++;
            continue;
        }
        *good = at;
        if (out == NULL) {
            json_decref(v);
            continue;
        }
        if (header) {
            out->runs++;
            if (out->header == NULL)
                out->header = json_incref(v);
        } else if (json_array_append(out->records, v) != 0) {
            json_decref(v);
            return DR_ENOMEM;
        }
        if (json_array_append_new(out->lines, v) != 0)
            return DR_ENOMEM;
    }
    return 0;
}

int dr__journal_read_buffer(const char *data, size_t len, const char *name,
                            const char *graph, dr__jread *out, dr_error *err) {
    memset(out, 0, sizeof(*out));
    out->records = json_array();
    out->lines = json_array();
    size_t good;
    if (out->records == NULL || out->lines == NULL ||
        scan(data, len, out, &good) != 0) {
        dr__journal_read_free(out);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                      "out of memory reading journal %s", name);
        return DR_ENOMEM;
    }
    if (len == 0)
        return 0;
    check_header(out->header, name, graph, out->note, sizeof(out->note));
    if (out->note[0] != '\0')
        json_array_clear(out->records);
    return 0;
}

int dr__journal_read(const char *path, const char *graph, dr__jread *out,
                     dr_error *err) {
    memset(out, 0, sizeof(*out));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        out->records = json_array();
        out->lines = json_array();
        if (out->records == NULL || out->lines == NULL) {
            dr__journal_read_free(out);
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                          "out of memory reading journal %s", path);
            return DR_ENOMEM;
        }
        return 0;
    }
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot read journal %s: it is a folder", path);
        return DR_EIO;
    }
    size_t len = 0;
    char *data = fd >= 0 ? read_fd(fd, &len) : NULL;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (data == NULL) {
        dr__error_set(err, e == ENOMEM ? DR_ENOMEM : DR_EIO, NULL, 0, 0, NULL,
                      "cannot read journal %s: %s", path, strerror(e));
        return e == ENOMEM ? DR_ENOMEM : DR_EIO;
    }
    int rc = dr__journal_read_buffer(data, len, path, graph, out, err);
    free(data);
    return rc;
}

void dr__journal_read_free(dr__jread *r) {
    if (r == NULL)
        return;
    json_decref(r->header);
    json_decref(r->records);
    json_decref(r->lines);
    r->header = r->records = r->lines = NULL;
}

/* ------------------------------------------------------------- opening */

/* The pid of the last valid header in fd's file, or 0. */
static long last_pid(int fd) {
    size_t len;
    char *data = read_fd(fd, &len);
    if (data == NULL)
        return 0;
    dr__jread r;
    long pid = 0;
    if (dr__journal_read_buffer(data, len, "", NULL, &r, NULL) == 0) {
        for (size_t i = json_array_size(r.lines); i-- > 0;) {
            json_t *v = json_array_get(r.lines, i);
            if (is_header(v)) {
                json_int_t p = json_integer_value(json_object_get(v, "pid"));
                pid = p > 0 && p < INT32_MAX ? (long)p : 0;
                break;
            }
        }
        dr__journal_read_free(&r);
    }
    free(data);
    return pid;
}

/* With append: where the file is to be cut (the end of its last complete
 * valid line, or 0 when its records are of no use to `graph`). */
static int append_point(dr__journal *j, const char *graph, off_t *cut,
                        dr_error *err) {
    size_t len, good;
    char *data = read_fd(j->fd, &len);
    if (data == NULL) {
        set_io(err, "read", j->path, errno);
        return DR_EIO;
    }
    dr__jread r;
    int rc = dr__journal_read_buffer(data, len, j->path, graph, &r, err);
    if (rc == 0) {
        scan(data, len, NULL, &good);
        /* Records of another graph or format could never be used, and a
         * journal must not mix formats: start afresh. */
        *cut = r.note[0] != '\0' ? 0 : (off_t)good;
        dr__journal_read_free(&r);
    }
    free(data);
    return rc;
}

static int write_header(dr__journal *j, const char *graph, int resume,
                        dr_error *err) {
    char started[32];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(started, "1970-01-01T00:00:00Z");
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "{\"journal\":\"dagrun\",\"format\":%d,\"dagrun\":\"%s\","
                     "\"graph\":",
                     DR__JOURNAL_FORMAT, DAGRUN_VERSION_STRING);
    size_t start = j->len;
    if (put_raw(j, head, (size_t)n) != 0 || put_cstr(j, graph) != 0)
        goto oom;
    n = snprintf(head, sizeof(head),
                 ",\"pid\":%ld,\"started\":\"%s\",\"resume\":%s",
                 (long)getpid(), started, resume ? "true" : "false");
    if (put_raw(j, head, (size_t)n) != 0 || end_line(j, start) != 0)
        goto oom;
    /* Written at once: a second run names this one's pid from it. */
    return dr__journal_write(j, err);
oom:
    j->len = start;
    dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                  "out of memory opening journal %s", j->path);
    return DR_ENOMEM;
}

int dr__journal_open(const char *path, const char *graph, int append,
                     dr__journal **out, dr_error *err) {
    *out = NULL;
    dr__journal *j = calloc(1, sizeof(*j));
    if (j == NULL || (j->path = strdup(path)) == NULL) {
        free(j);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL,
                      "out of memory opening journal %s", path);
        return DR_ENOMEM;
    }
    int rc = DR_EIO;
    /* Close-on-exec: a command inheriting the descriptor would hold the
     * lock (it belongs to the open file) after dagrun is gone.  Not
     * O_TRUNC: the file is emptied only once the lock is ours. */
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        if (errno == EISDIR)
            dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                          "cannot open journal %s: it is a folder %s", path,
                          NO_JOURNAL_HINT);
        else
            set_io(err, "create", path, errno);
        free(j->path);
        free(j);
        return DR_EIO;
    }
    struct stat st;
    if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot use journal %s: it is not a regular file %s",
                      path, NO_JOURNAL_HINT);
        goto fail;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            long pid = last_pid(j->fd);
            rc = DR_EBUSY;
            if (pid > 0)
                dr__error_set(err, rc, NULL, 0, 0, NULL,
                              "journal %s is in use by another run (pid %ld)",
                              path, pid);
            else
                dr__error_set(err, rc, NULL, 0, 0, NULL,
                              "journal %s is in use by another run", path);
        } else {
            set_io(err, "lock", path, errno);
        }
        goto fail;
    }
    off_t cut = 0;
    if (append && (rc = append_point(j, graph, &cut, err)) != 0)
        goto fail;
    rc = DR_EIO;
    if (fstat(j->fd, &st) != 0 ||
        (st.st_size != cut && ftruncate(j->fd, cut) != 0)) {
        set_io(err, append ? "cut the torn end of" : "empty", path, errno);
        goto fail;
    }
    j->good = cut;
    if ((rc = write_header(j, graph ? graph : "", append, err)) != 0)
        goto fail;
    *out = j;
    return 0;
fail:
    close(j->fd);
    free(j->buf);
    free(j->path);
    free(j);
    return rc;
}
