/*
 * Fingerprints (graph/fingerprint.h, docs/resuming.md "What reruns").
 *
 * Every field goes into the hash behind a tag byte and, when its length
 * varies, its length as 8 little-endian bytes, so that no two different
 * tasks give the same bytes: ["ab","c"] and ["a","bc"] differ, and so do
 * an op name and a shell string that happen to be spelt alike.  Numbers are
 * written little-endian whatever the machine, so a journal hashed on one
 * machine holds on another.
 *
 * A task's fields are hashed through `chain` below rather than xxHash's
 * streaming state: that state may only be allocated on the stack when xxHash
 * is linked statically (Debian ships it shared), and creating it can fail,
 * while dr__task_fp cannot.  The chain hashes a 4 KiB block at a time and
 * starts each block with the digest of the one before, so a reduce over
 * 100,000 maps costs one pass over its dependencies' fingerprints.  File
 * contents use the streaming state (XXH3_128bits_update), 64 KiB a read.
 */
#include "fingerprint.h"
#include "graph_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

int dr__fp_equal(const dr__fp *a, const dr__fp *b) {
    return a->hi == b->hi && a->lo == b->lo;
}

void dr__fp_hex(const dr__fp *f, char out[DR__FP_HEX]) {
    snprintf(out, DR__FP_HEX, "%016llx%016llx", (unsigned long long)f->hi,
             (unsigned long long)f->lo);
}

int dr__fp_parse(const char *hex, dr__fp *out) {
    uint64_t half[2] = {0, 0};
    if (hex == NULL)
        return -1;
    for (int i = 0; i < 32; i++) {
        int d = dr__hex_digit(hex[i]); /* stops at the NUL of a short string */
        if (d < 0)
            return -1;
        half[i / 16] = half[i / 16] << 4 | (uint64_t)d;
    }
    if (hex[32] != '\0')
        return -1;
    out->hi = half[0];
    out->lo = half[1];
    return 0;
}

/* ------------------------------------------------------------ the chain */

typedef struct chain {
    unsigned char buf[4096];
    size_t n;
} chain;

static void chain_init(chain *c, const char *domain) {
    /* The domain (with its NUL) keeps task, op, result and JSON hashes
     * apart even where their bytes would coincide. */
    size_t n = strlen(domain) + 1;
    memcpy(c->buf, domain, n);
    c->n = n;
}

static void chain_fold(chain *c) {
    XXH128_hash_t d = XXH3_128bits(c->buf, c->n);
    c->n = 0;
    for (int i = 0; i < 8; i++)
        c->buf[c->n++] = (unsigned char)(d.high64 >> (8 * i));
    for (int i = 0; i < 8; i++)
        c->buf[c->n++] = (unsigned char)(d.low64 >> (8 * i));
}

static void put_bytes(chain *c, const void *p, size_t n) {
    const unsigned char *s = p;
    while (n > 0) {
        if (c->n == sizeof(c->buf))
            chain_fold(c);
        size_t k = sizeof(c->buf) - c->n;
        k = k < n ? k : n;
        memcpy(c->buf + c->n, s, k);
        c->n += k;
        s += k;
        n -= k;
    }
}

static void put_tag(chain *c, char tag) { put_bytes(c, &tag, 1); }

static void put_u64(chain *c, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(c, b, 8);
}

/* A tagged, length-prefixed field. */
static void put_field(chain *c, char tag, const void *p, size_t n) {
    put_tag(c, tag);
    put_u64(c, n);
    put_bytes(c, p, n);
}

static void put_fp(chain *c, const dr__fp *f) {
    put_u64(c, f->hi);
    put_u64(c, f->lo);
}

static void chain_end(chain *c, dr__fp *out) {
    XXH128_hash_t d = XXH3_128bits(c->buf, c->n);
    out->hi = d.high64;
    out->lo = d.low64;
}

/* ------------------------------------------------------------ JSON */

/* Canonical JSON text of v (NULL: "null") into `small` when it fits, else
 * a new buffer in *big (free it).  Reals get the precision the graph saver
 * uses (dr__json_real_precision), which prints each as a text that reads
 * back as the same double, so a value read back from the journal prints,
 * and hashes, as the one that was written.  Returns the text or NULL
 * (DR_ENOMEM). */
static const char *canonical_json(const json_t *v, char *small, size_t cap,
                                  char **big, size_t *len) {
    *big = NULL;
    if (v == NULL) {
        *len = 4;
        return "null";
    }
    size_t flags = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
                   JSON_REAL_PRECISION(dr__json_real_precision(v));
    size_t n = json_dumpb(v, small, cap, flags);
    if (n == 0)
        return NULL;
    if (n <= cap) {
        *len = n;
        return small;
    }
    if ((*big = malloc(n)) == NULL || json_dumpb(v, *big, n, flags) != n) {
        free(*big);
        *big = NULL;
        return NULL;
    }
    *len = n;
    return *big;
}

static void json_text_fp(const char *text, size_t n, dr__fp *out) {
    chain c;
    chain_init(&c, "dagrun json");
    put_bytes(&c, text, n);
    chain_end(&c, out);
}

int dr__json_fp(const json_t *v, dr__fp *out) {
    char small[512], *big;
    size_t n;
    const char *text = canonical_json(v, small, sizeof(small), &big, &n);
    if (text == NULL)
        return DR_ENOMEM;
    json_text_fp(text, n, out);
    free(big);
    return 0;
}

int dr__json_fp_text(const json_t *v, dr__fp *out, char **text, size_t *len) {
    char small[512], *big;
    const char *t = canonical_json(v, small, sizeof(small), &big, len);
    if (t == NULL)
        return DR_ENOMEM;
    json_text_fp(t, *len, out);
    if (big == NULL && (big = malloc(*len ? *len : 1)) != NULL)
        memcpy(big, t, *len);
    *text = big;
    return big != NULL ? 0 : DR_ENOMEM;
}

/* ------------------------------------------------------------ tasks */

/* `workdir` made absolute: NULL is the current folder, a relative one is
 * taken from it.  An absolute one is returned as it is (*owned NULL), else
 * a new string in *owned; NULL when out of memory.  When getcwd fails the
 * folder is hashed as given: every task of the run gets the same. */
static const char *absolute_folder(const char *workdir, char **owned) {
    *owned = NULL;
    if (workdir != NULL && workdir[0] == '/')
        return workdir;
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return workdir ? workdir : "";
    if (workdir == NULL || workdir[0] == '\0' || strcmp(workdir, ".") == 0)
        return *owned = cwd;
    size_t n = strlen(cwd) + strlen(workdir) + 2;
    if ((*owned = malloc(n)) != NULL)
        snprintf(*owned, n, "%s/%s", cwd, workdir);
    free(cwd);
    return *owned;
}

/*
 * The op fingerprint's two halves (fingerprint.h): the first takes what
 * names the operation (kind, and its name, or the command without its
 * folder), the second that and everything else.  Equal ops have equal halves; a
 * change of arguments or folder changes `all` only, which is how a plan
 * says "arguments changed" rather than "operation changed".
 */
int dr__task_op_fp(const dr_graph *g, dr_task t, const char *workdir,
                   dr__fp *out) {
    /* half[0] names the op, half[1] takes everything. */
    chain half[2];
    chain_init(&half[0], "dagrun op id");
    chain_init(&half[1], "dagrun op");
    dr_op_kind kind = dr_task_op_kind(g, t);
    for (int k = 0; k < 2; k++)
        put_u64(&half[k], (uint64_t)kind);

    int rc = 0, command = 0;
    switch (kind) {
    case DR_OP_BUILTIN:
    case DR_OP_FUNCTION: {
        const char *name = dr_task_op_name(g, t);
        name = name ? name : "";
        for (int k = 0; k < 2; k++)
            put_field(&half[k], 'n', name, strlen(name));
        char small[512], *big;
        size_t n;
        const char *text = canonical_json(dr_task_op_args(g, t), small,
                                          sizeof(small), &big, &n);
        if (text == NULL)
            rc = DR_ENOMEM;
        else
            put_field(&half[1], 'a', text, n);
        free(big);
        break;
    }
    case DR_OP_ARGV: {
        size_t argc = 0;
        const char *const *argv = dr_task_argv(g, t, &argc);
        for (int k = 0; k < 2; k++) {
            put_tag(&half[k], 'v');
            put_u64(&half[k], argc);
            for (size_t i = 0; i < argc; i++)
                put_field(&half[k], 'e', argv[i], strlen(argv[i]));
        }
        command = 1;
        break;
    }
    case DR_OP_SHELL: {
        const char *sh = dr_task_shell(g, t);
        sh = sh ? sh : "";
        for (int k = 0; k < 2; k++)
            put_field(&half[k], 's', sh, strlen(sh));
        command = 1;
        break;
    }
    case DR_OP_NONE:
        break;
    }
    if (rc == 0 && command) {
        char *owned;
        const char *dir = absolute_folder(workdir, &owned);
        if (dir == NULL)
            rc = DR_ENOMEM;
        else
            put_field(&half[1], 'w', dir, strlen(dir));
        free(owned);
    }
    if (rc == 0) {
        dr__fp a, b;
        chain_end(&half[0], &a);
        chain_end(&half[1], &b);
        out->hi = a.lo;
        out->lo = b.lo;
    }
    return rc;
}

void dr__task_fp(const dr__fp *op, const dr__fp *dep_results, size_t ndeps,
                 const dr__file_fp *inputs, size_t ninputs, dr__fp *out) {
    chain c;
    chain_init(&c, "dagrun task");
    put_tag(&c, 'o');
    put_fp(&c, op);
    put_tag(&c, 'd');
    put_u64(&c, ndeps);
    for (size_t i = 0; i < ndeps; i++)
        put_fp(&c, &dep_results[i]);
    put_tag(&c, 'i');
    put_u64(&c, ninputs);
    for (size_t i = 0; i < ninputs; i++) {
        put_u64(&c, (uint64_t)(inputs[i].exists != 0));
        put_fp(&c, &inputs[i].hash);
    }
    chain_end(&c, out);
}

void dr__command_result_fp(const dr__fp *task_fp, const dr__file_fp *outputs,
                           size_t noutputs, dr__fp *out) {
    chain c;
    chain_init(&c, "dagrun command result");
    put_tag(&c, 't');
    put_fp(&c, task_fp);
    put_tag(&c, 'o');
    put_u64(&c, noutputs);
    for (size_t i = 0; i < noutputs; i++) {
        put_u64(&c, (uint64_t)(outputs[i].exists != 0));
        put_fp(&c, &outputs[i].hash);
    }
    chain_end(&c, out);
}

/* ------------------------------------------------------------ files */

static void set_stat(dr__file_fp *f, const struct stat *st) {
    f->exists = 1;
    f->size = (uint64_t)st->st_size;
    f->mtime_ns =
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* stat(2) of `full`, shown as `path`: 1 a regular file, 0 missing (no such
 * file, or a component is not a folder), -1 anything else (err filled). */
static int stat_file(const char *full, const char *path, struct stat *st,
                     dr_error *err) {
    if (stat(full, st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read: %s",
                      strerror(errno));
        return -1;
    }
    if (S_ISDIR(st->st_mode)) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "is a folder, not a file");
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        /* A FIFO or a device has no content to compare (and reading one
         * could block for ever). */
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "is not a regular file");
        return -1;
    }
    return 1;
}

/* Hashes the open regular file fd, 64 KiB a read, and fills `out` from its
 * fstat (the file read, even if the name was replaced meanwhile). */
static int hash_fd(int fd, const char *path, dr__file_fp *out, dr_error *err) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read: %s",
                      strerror(errno));
        return DR_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "is not a regular file");
        return DR_EIO;
    }
    enum { CHUNK = 64 * 1024 };
    unsigned char *buf = malloc(CHUNK);
    XXH3_state_t *s = XXH3_createState();
    if (buf == NULL || s == NULL || XXH3_128bits_reset(s) != XXH_OK) {
        free(buf);
        XXH3_freeState(s);
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read: %s",
                          strerror(errno));
            rc = DR_EIO;
            break;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(s, buf, (size_t)n);
    }
    if (rc == 0) {
        XXH128_hash_t d = XXH3_128bits_digest(s);
        set_stat(out, &st);
        out->hash.hi = d.high64;
        out->hash.lo = d.low64;
    }
    free(buf);
    XXH3_freeState(s);
    return rc;
}

int dr__file_fp_compute(const char *workdir, const char *path, dr__file_fp *out,
                        dr_error *err) {
    memset(out, 0, sizeof(*out));
    char *full = dr__path_in(workdir, path);
    if (full == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    struct stat st;
    int rc = stat_file(full, path, &st, err);
    if (rc <= 0) {
        free(full);
        return rc < 0 ? DR_EIO : 0;
    }
    /* O_NONBLOCK: had the name become a FIFO since stat, open would wait
     * for a writer; fstat in hash_fd then refuses it. */
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    free(full);
    if (fd < 0) {
        if (errno == ENOENT) /* removed since stat */
            return 0;
        dr__error_set(err, DR_EIO, path, 0, 0, NULL, "cannot read: %s",
                      strerror(errno));
        return DR_EIO;
    }
    rc = hash_fd(fd, path, out, err);
    close(fd);
    return rc;
}

int dr__file_fp_same(const char *workdir, const char *path,
                     const dr__file_fp *was, dr__file_fp *now, int *touched,
                     const char **why, dr_error *err) {
    *touched = 0;
    *why = NULL;
    memset(now, 0, sizeof(*now));
    char *full = dr__path_in(workdir, path);
    if (full == NULL) {
        dr__error_set(err, DR_ENOMEM, path, 0, 0, NULL, "out of memory");
        return -1;
    }
    struct stat st;
    int rc = stat_file(full, path, &st, err);
    free(full);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (!was->exists)
            return 1;
        *why = "missing";
        return 0;
    }
    set_stat(now, &st);
    if (was->exists && now->size == was->size &&
        now->mtime_ns == was->mtime_ns) {
        now->hash = was->hash;
        return 1;
    }
    if (!was->exists || now->size != was->size) {
        *why = "changed (content)";
        return 0;
    }
    /* Same size, another mtime: touched, or edited in place. */
    if (dr__file_fp_compute(workdir, path, now, err) != 0)
        return -1;
    if (!now->exists) { /* removed between the two looks */
        *why = "missing";
        return 0;
    }
    if (now->size == was->size && dr__fp_equal(&now->hash, &was->hash)) {
        *touched = 1;
        return 1;
    }
    *why = "changed (content)";
    return 0;
}

int dr__graph_fp(const dr_graph *g, dr__fp *out) {
    XXH3_state_t *s = XXH3_createState();
    if (s == NULL || XXH3_128bits_reset(s) != XXH_OK) {
        XXH3_freeState(s);
        return DR_ENOMEM;
    }
    size_t n = dr_graph_ntasks(g);
    uint64_t head[2] = {(uint64_t)n, (uint64_t)dr_graph_nedges(g)};
    XXH3_128bits_update(s, head, sizeof head);
    for (dr_task t = 0; t < n; t++) {
        const char *key = dr_task_key(g, t);
        size_t nd;
        const dr_task *deps = dr_task_deps(g, t, &nd);
        dr__fp op;
        /* One fixed folder: the ranks' own folders may differ. */
        if (dr__task_op_fp(g, t, "/", &op) != 0) {
            XXH3_freeState(s);
            return DR_ENOMEM;
        }
        uint64_t rec[3] = {(uint64_t)strlen(key) + 1, op.hi, op.lo};
        XXH3_128bits_update(s, rec, sizeof rec);
        XXH3_128bits_update(s, key, strlen(key) + 1);
        uint64_t nd64 = nd;
        XXH3_128bits_update(s, &nd64, sizeof nd64);
        if (nd > 0)
            XXH3_128bits_update(s, deps, nd * sizeof *deps);
    }
    XXH128_hash_t d = XXH3_128bits_digest(s);
    XXH3_freeState(s);
    out->hi = d.high64;
    out->lo = d.low64;
    return 0;
}
