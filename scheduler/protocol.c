/*
 * The worker protocol's framing (protocol.h, docs/worker-protocol.md).
 *
 * Both readers, the blocking one on a file descriptor and the push decoder,
 * go through the same two checks: check_header() on the 24 header bytes
 * (magic, version, type, flags, lengths against the limit, all before any
 * allocation) and parse_body() on the body's bytes (a JSON object, no
 * duplicate keys).  So a byte stream is accepted or refused the same way
 * whichever transport carried it, and the fuzzer, which drives the decoder,
 * covers what the socket reader checks.
 *
 * The fd reader never reads past the message it is reading (it asks read()
 * for at most what the message still lacks), so it needs no buffer that
 * outlives a call, and a worker's socket can be handed from one reader to
 * another between messages.  That costs one read() per part for small
 * messages, which the per-task cost of a process executor dwarfs.
 */
#include "protocol.h"
#include "graph_internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const unsigned char MAGIC[4] = {'D', 'R', 'W', 'P'};

/* The fields of a header, host order. */
typedef struct {
    unsigned type;
    uint32_t body_len;
    uint64_t bin_len;
} header;

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...) {
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* One line, whatever jansson or a peer's text held. */
    for (char *p = err; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static uint16_t get16(const unsigned char *p) {
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}
static void put16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

void dr__msg_free(dr__msg *m) {
    if (m == NULL)
        return;
    json_decref(m->body);
    free(m->bin);
    memset(m, 0, sizeof(*m));
}

const char *dr__proto_type_name(unsigned type) {
    switch (type) {
    case DR__MSG_HELLO:
        return "hello";
    case DR__MSG_TASK:
        return "task";
    case DR__MSG_RESULT:
        return "result";
    case DR__MSG_SHUTDOWN:
        return "shutdown";
    case DR__MSG_ERROR:
        return "error";
    }
    return "unknown";
}

int dr__proto_limit(uint64_t *out, char *err, size_t errlen) {
    size_t v = (size_t)DR__PROTO_MAX_DEFAULT;
    dr_error e;
    dr_error_clear(&e);
    if (dr__limit_from_env(DR__PROTO_MAX_ENV, &v, &e) != 0) {
        errf(err, errlen, "%s", e.message);
        return DR_EINVAL;
    }
    *out = (uint64_t)v;
    return 0;
}

/* limit, or the environment's or default one when limit is 0. */
static int resolve_limit(uint64_t limit, uint64_t *out, char *err,
                         size_t errlen) {
    if (limit != 0) {
        *out = limit;
        return 0;
    }
    return dr__proto_limit(out, err, errlen);
}

/* The header's fields, or BAD / TOOBIG.  Nothing is allocated. */
static int check_header(const unsigned char h[DR__PROTO_HEADER], uint64_t limit,
                        header *out, char *err, size_t errlen) {
    if (memcmp(h, MAGIC, 4) != 0) {
        errf(err, errlen,
             "bad magic 0x%02x%02x%02x%02x (not a dagrun worker message)", h[0],
             h[1], h[2], h[3]);
        return DR__PROTO_BAD;
    }
    unsigned version = get16(h + 4);
    if (version != DR__PROTO_VERSION) {
        errf(err, errlen,
             "worker protocol version %u, but this dagrun speaks version %d "
             "(are the scheduler and the worker the same dagrun?)",
             version, DR__PROTO_VERSION);
        return DR__PROTO_BAD;
    }
    unsigned type = get16(h + 6);
    if (type < DR__MSG_HELLO || type > DR__MSG_LAST) {
        errf(err, errlen, "unknown message type %u", type);
        return DR__PROTO_BAD;
    }
    uint32_t flags = get32(h + 8);
    if (flags != 0) {
        errf(err, errlen,
             "unknown flag bits 0x%08x in a %s message's header (reserved, "
             "must be 0)",
             (unsigned)flags, dr__proto_type_name(type));
        return DR__PROTO_BAD;
    }
    uint32_t body_len = get32(h + 12);
    uint64_t bin_len = get64(h + 16);
    /* header + body + bin, saturated: a hostile bin_len near 2^64 must
     * neither wrap nor pass. */
    uint64_t total = DR__PROTO_HEADER + (uint64_t)body_len;
    total = bin_len > UINT64_MAX - total ? UINT64_MAX : total + bin_len;
    if (total > limit || total > SIZE_MAX) {
        errf(err, errlen,
             "message of %llu bytes is over the %llu-byte limit (%s)",
             (unsigned long long)total, (unsigned long long)limit,
             DR__PROTO_MAX_ENV);
        return DR__PROTO_TOOBIG;
    }
    if (body_len == 0) {
        errf(err, errlen,
             "%s message has an empty body (expected a JSON "
             "object)",
             dr__proto_type_name(type));
        return DR__PROTO_BAD;
    }
    out->type = type;
    out->body_len = body_len;
    out->bin_len = bin_len;
    return DR__PROTO_OK;
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* The body as a JSON object into *body (new reference), or BAD. */
static int parse_body(unsigned type, const unsigned char *text, size_t n,
                      json_t **body, char *err, size_t errlen) {
    json_error_t je;
    /* JSON_ALLOW_NUL: whatever jansson encodes (a "\u0000" in a string)
     * must decode. */
    json_t *v = json_loadb((const char *)text, n,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (v == NULL) {
        errf(err, errlen,
             "%s message's body is not JSON: %s (byte %d of its %zu, byte "
             "%zu of the message)",
             dr__proto_type_name(type), je.text, je.position, n,
             (size_t)DR__PROTO_HEADER + (size_t)je.position);
        return DR__PROTO_BAD;
    }
    if (!json_is_object(v)) {
        errf(err, errlen, "%s message's body is %s, not a JSON object",
             dr__proto_type_name(type), json_kind(v));
        json_decref(v);
        return DR__PROTO_BAD;
    }
    *body = v;
    return DR__PROTO_OK;
}

/* ------------------------------------------------------------- encoding */

/* The body's compact text (new, malloc'd by jansson) and header, or
 * DR_EINVAL / DR_ENOMEM. */
static int prepare(unsigned type, const json_t *body, size_t nbin,
                   const void *bin, unsigned char h[DR__PROTO_HEADER],
                   char **text, size_t *ntext) {
    if (type < DR__MSG_HELLO || type > DR__MSG_LAST ||
        (body != NULL && !json_is_object(body)) || (bin == NULL && nbin > 0))
        return DR_EINVAL;
    char *s = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)
                           : strdup("{}");
    if (s == NULL)
        return DR_ENOMEM;
    size_t n = strlen(s);
    /* jansson writes "\u0000" for a NUL, so strlen is the text's length. */
    if (n > UINT32_MAX || (uint64_t)nbin > UINT64_MAX - DR__PROTO_HEADER - n) {
        free(s);
        return DR_EINVAL;
    }
    memcpy(h, MAGIC, 4);
    put16(h + 4, DR__PROTO_VERSION);
    put16(h + 6, (uint16_t)type);
    put32(h + 8, 0);
    put32(h + 12, (uint32_t)n);
    put64(h + 16, (uint64_t)nbin);
    *text = s;
    *ntext = n;
    return 0;
}

int dr__proto_encode(unsigned type, const json_t *body, const void *bin,
                     size_t nbin, unsigned char **out, size_t *nout) {
    unsigned char h[DR__PROTO_HEADER];
    char *text;
    size_t ntext;
    int rc = prepare(type, body, nbin, bin, h, &text, &ntext);
    if (rc != 0)
        return rc;
    if (nbin > SIZE_MAX - DR__PROTO_HEADER - ntext) {
        free(text);
        return DR_EINVAL;
    }
    size_t total = DR__PROTO_HEADER + ntext + nbin;
    unsigned char *buf = malloc(total);
    if (buf == NULL) {
        free(text);
        return DR_ENOMEM;
    }
    memcpy(buf, h, DR__PROTO_HEADER);
    memcpy(buf + DR__PROTO_HEADER, text, ntext);
    if (nbin > 0)
        memcpy(buf + DR__PROTO_HEADER + ntext, bin, nbin);
    free(text);
    *out = buf;
    *nout = total;
    return 0;
}

/* One gathered write of iov[0..n), or -1 with errno. */
static ssize_t gather(int fd, struct iovec *iov, int n, int *not_socket) {
    if (!*not_socket) {
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (w >= 0 || errno != ENOTSOCK)
            return w;
        *not_socket = 1;
    }
    return writev(fd, iov, n);
}

/* Writes all of iov, polling when the fd is non-blocking. */
static int write_all(int fd, struct iovec *iov, int n) {
    int not_socket = 0;
    while (n > 0) {
        ssize_t w = gather(fd, iov, n, &not_socket);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                    return -1;
                continue;
            }
            return -1;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int dr__proto_write(int fd, unsigned type, const json_t *body, const void *bin,
                    size_t nbin, size_t *wire_bytes) {
    unsigned char h[DR__PROTO_HEADER];
    char *text;
    size_t ntext;
    int rc = prepare(type, body, nbin, bin, h, &text, &ntext);
    if (rc != 0) {
        errno = rc == DR_ENOMEM ? ENOMEM : EINVAL;
        return -1;
    }
    struct iovec iov[3] = {
        {h, DR__PROTO_HEADER}, {text, ntext}, {(void *)bin, nbin}};
    int niov = nbin > 0 ? 3 : 2;

    /* A pipe has no MSG_NOSIGNAL: block SIGPIPE in this thread for the
     * write, then take a SIGPIPE it raised so that it is not delivered
     * when the mask is restored (unless one was pending before). */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    rc = write_all(fd, iov, niov);
    int saved = errno;
    if (rc != 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(text);
    if (rc != 0) {
        errno = saved;
        return -1;
    }
    if (wire_bytes != NULL)
        *wire_bytes = DR__PROTO_HEADER + ntext + nbin;
    return 0;
}

int dr__proto_write_error(int fd, const char *text) {
    json_t *body = json_pack("{s:s}", "error", text != NULL ? text : "");
    if (body == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = dr__proto_write(fd, DR__MSG_ERROR, body, NULL, 0, NULL);
    int saved = errno;
    json_decref(body);
    errno = saved;
    return rc;
}

/* -------------------------------------------------------------- fd reader */

/* Reads exactly n bytes into buf.  *got counts what arrived (for the EOF
 * message).  OK, EOF (closed before all n), STOPPED or IO. */
static int read_exact(int fd, unsigned char *buf, size_t n, size_t *got,
                      int (*stop)(void *), void *arg) {
    *got = 0;
    while (*got < n) {
        if (stop != NULL && stop(arg))
            return DR__PROTO_STOPPED;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 20);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return DR__PROTO_IO;
        }
        if (r == 0)
            continue;
        ssize_t k = read(fd, buf + *got, n - *got);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return DR__PROTO_IO;
        }
        if (k == 0)
            return DR__PROTO_EOF;
        *got += (size_t)k;
    }
    return DR__PROTO_OK;
}

static int io_error(char *err, size_t errlen, const char *what) {
    int saved = errno;
    errf(err, errlen, "cannot read a worker message's %s: %s", what,
         strerror(saved));
    errno = saved;
    return DR__PROTO_IO;
}

int dr__proto_read(int fd, dr__msg *m, uint64_t limit, int (*stop)(void *),
                   void *arg, char *err, size_t errlen) {
    memset(m, 0, sizeof(*m));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    uint64_t max;
    if (resolve_limit(limit, &max, err, errlen) != 0)
        return DR__PROTO_BAD;

    unsigned char h[DR__PROTO_HEADER];
    size_t got;
    int rc = read_exact(fd, h, sizeof(h), &got, stop, arg);
    if (rc == DR__PROTO_EOF && got == 0)
        return DR__PROTO_EOF;
    if (rc == DR__PROTO_EOF) {
        errf(err, errlen, "connection closed %zu bytes into a %d-byte header",
             got, DR__PROTO_HEADER);
        return DR__PROTO_BAD;
    }
    if (rc == DR__PROTO_IO)
        return io_error(err, errlen, "header");
    if (rc != DR__PROTO_OK)
        return rc;
    header hd;
    rc = check_header(h, max, &hd, err, errlen);
    if (rc != DR__PROTO_OK)
        return rc;

    unsigned char *text = malloc(hd.body_len);
    unsigned char *bin = hd.bin_len > 0 ? malloc((size_t)hd.bin_len) : NULL;
    if (text == NULL || (hd.bin_len > 0 && bin == NULL)) {
        free(text);
        free(bin);
        errno = ENOMEM;
        return io_error(err, errlen, "body");
    }
    rc = read_exact(fd, text, hd.body_len, &got, stop, arg);
    if (rc == DR__PROTO_EOF)
        errf(err, errlen,
             "connection closed %zu bytes into a %s message's %u-byte body",
             got, dr__proto_type_name(hd.type), (unsigned)hd.body_len);
    else if (rc == DR__PROTO_IO)
        io_error(err, errlen, "body");
    if (rc == DR__PROTO_OK && hd.bin_len > 0) {
        rc = read_exact(fd, bin, (size_t)hd.bin_len, &got, stop, arg);
        if (rc == DR__PROTO_EOF)
            errf(err, errlen,
                 "connection closed %zu bytes into a %s message's "
                 "%llu-byte binary part",
                 got, dr__proto_type_name(hd.type),
                 (unsigned long long)hd.bin_len);
        else if (rc == DR__PROTO_IO)
            io_error(err, errlen, "binary part");
    }
    json_t *body = NULL;
    if (rc == DR__PROTO_OK)
        rc = parse_body(hd.type, text, hd.body_len, &body, err, errlen);
    free(text);
    if (rc != DR__PROTO_OK) {
        int saved = errno;
        free(bin);
        errno = saved;
        return rc == DR__PROTO_EOF ? DR__PROTO_BAD : rc;
    }
    m->type = hd.type;
    m->body = body;
    m->bin = bin;
    m->nbin = (size_t)hd.bin_len;
    m->wire_bytes = DR__PROTO_HEADER + (size_t)hd.body_len + m->nbin;
    return DR__PROTO_OK;
}

/* ---------------------------------------------------------- push decoder */

/* The decoder fills three parts in turn, each into a buffer of exactly its
 * size (allocated once the header is checked), so a message's bytes are
 * copied once and the buffer never grows by doubling. */
enum { PART_HEADER, PART_BODY, PART_BIN };

struct dr__proto_decoder {
    uint64_t limit; /* 0 until resolved at the first feed */
    int failed;     /* the sticky result of a failed feed, or 0 */
    char failure[256];
    int part;
    size_t have; /* bytes of the current part */
    unsigned char h[DR__PROTO_HEADER];
    header hd;
    unsigned char *text;
    unsigned char *bin;
    /* Whole messages not yet taken: a ring would do, but the queue is
     * short (a feed rarely completes more than a few), so an array whose
     * taken front is compacted away is enough. */
    dr__msg *queue;
    size_t first, count, cap;
};

dr__proto_decoder *dr__proto_decoder_new(uint64_t limit) {
    dr__proto_decoder *d = calloc(1, sizeof(*d));
    if (d != NULL)
        d->limit = limit;
    return d;
}

void dr__proto_decoder_free(dr__proto_decoder *d) {
    if (d == NULL)
        return;
    for (size_t i = d->first; i < d->first + d->count; i++)
        dr__msg_free(&d->queue[i]);
    free(d->queue);
    free(d->text);
    free(d->bin);
    free(d);
}

int dr__proto_decoder_idle(const dr__proto_decoder *d) {
    return d->part == PART_HEADER && d->have == 0;
}

static int fail(dr__proto_decoder *d, int rc, char *err, size_t errlen) {
    d->failed = rc;
    errf(err, errlen, "%s", d->failure);
    return rc;
}

static int push(dr__proto_decoder *d, dr__msg *m) {
    if (d->first > 0 && d->first + d->count == d->cap) {
        memmove(d->queue, d->queue + d->first, d->count * sizeof(*d->queue));
        d->first = 0;
    }
    if (d->first + d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        dr__msg *q = realloc(d->queue, cap * sizeof(*q));
        if (q == NULL)
            return -1;
        d->queue = q;
        d->cap = cap;
    }
    d->queue[d->first + d->count++] = *m;
    return 0;
}

/* The current message is whole: parse its body and queue it. */
static int complete(dr__proto_decoder *d) {
    json_t *body;
    int rc = parse_body(d->hd.type, d->text, d->hd.body_len, &body, d->failure,
                        sizeof(d->failure));
    free(d->text);
    d->text = NULL;
    if (rc != DR__PROTO_OK)
        return rc;
    dr__msg m = {.type = d->hd.type,
                 .body = body,
                 .bin = d->bin,
                 .nbin = (size_t)d->hd.bin_len,
                 .wire_bytes = DR__PROTO_HEADER + (size_t)d->hd.body_len +
                               (size_t)d->hd.bin_len};
    d->bin = NULL;
    if (push(d, &m) != 0) {
        dr__msg_free(&m);
        snprintf(d->failure, sizeof(d->failure),
                 "out of memory queueing a worker message");
        errno = ENOMEM;
        return DR__PROTO_IO;
    }
    d->part = PART_HEADER;
    d->have = 0;
    return DR__PROTO_OK;
}

int dr__proto_decoder_feed(dr__proto_decoder *d, const void *bytes, size_t n,
                           char *err, size_t errlen) {
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (d->failed != 0)
        return fail(d, d->failed, err, errlen);
    if (d->limit == 0 &&
        dr__proto_limit(&d->limit, d->failure, sizeof(d->failure)) != 0)
        return fail(d, DR__PROTO_BAD, err, errlen);
    const unsigned char *p = bytes;
    while (n > 0) {
        size_t want, k;
        unsigned char *dst;
        switch (d->part) {
        case PART_HEADER:
            want = DR__PROTO_HEADER;
            dst = d->h;
            break;
        case PART_BODY:
            want = d->hd.body_len;
            dst = d->text;
            break;
        default:
            want = (size_t)d->hd.bin_len;
            dst = d->bin;
            break;
        }
        k = want - d->have < n ? want - d->have : n;
        memcpy(dst + d->have, p, k);
        d->have += k;
        p += k;
        n -= k;
        if (d->have < want)
            break;
        int rc = DR__PROTO_OK;
        if (d->part == PART_HEADER) {
            rc = check_header(d->h, d->limit, &d->hd, d->failure,
                              sizeof(d->failure));
            if (rc == DR__PROTO_OK) {
                d->text = malloc(d->hd.body_len);
                d->bin =
                    d->hd.bin_len > 0 ? malloc((size_t)d->hd.bin_len) : NULL;
                if (d->text == NULL || (d->hd.bin_len > 0 && d->bin == NULL)) {
                    snprintf(
                        d->failure, sizeof(d->failure),
                        "out of memory for a %llu-byte worker message",
                        (unsigned long long)(d->hd.body_len + d->hd.bin_len));
                    errno = ENOMEM;
                    rc = DR__PROTO_IO;
                }
                d->part = PART_BODY;
                d->have = 0;
            }
        } else if (d->part == PART_BODY && d->hd.bin_len > 0) {
            d->part = PART_BIN;
            d->have = 0;
        } else {
            rc = complete(d);
        }
        if (rc != DR__PROTO_OK)
            return fail(d, rc, err, errlen);
    }
    return DR__PROTO_OK;
}

int dr__proto_decoder_next(dr__proto_decoder *d, dr__msg *m) {
    if (d->count == 0) {
        memset(m, 0, sizeof(*m));
        return 0;
    }
    *m = d->queue[d->first];
    d->first++;
    d->count--;
    if (d->count == 0)
        d->first = 0;
    return 1;
}

/* ------------------------------------------------------------- bodies */

int dr__proto_task_inputs(const dr__msg *m, size_t *n,
                          const unsigned char **texts, size_t *lens, char *err,
                          size_t errlen) {
    size_t cap = *n;
    *n = 0;
    json_t *inputs = json_object_get(m->body, "inputs");
    if (!json_is_array(inputs)) {
        errf(err, errlen, "task message has no \"inputs\" array");
        return DR__PROTO_BAD;
    }
    size_t count = json_array_size(inputs);
    uint64_t sum = 0;
    size_t i;
    json_t *v;
    json_array_foreach(inputs, i, v) {
        json_int_t len = json_is_integer(v) ? json_integer_value(v) : -1;
        if (len < 0) {
            errf(err, errlen,
                 "task message's \"inputs\"[%zu] is not a byte length", i);
            return DR__PROTO_BAD;
        }
        if ((uint64_t)len > m->nbin - sum || sum > m->nbin) {
            errf(err, errlen,
                 "task message's \"inputs\" lengths add up to more than its "
                 "%zu-byte binary part (at input %zu)",
                 m->nbin, i);
            return DR__PROTO_BAD;
        }
        sum += (uint64_t)len;
    }
    if (sum != m->nbin) {
        errf(err, errlen,
             "task message's \"inputs\" lengths add up to %llu bytes, but "
             "its binary part has %zu",
             (unsigned long long)sum, m->nbin);
        return DR__PROTO_BAD;
    }
    *n = count;
    if (texts == NULL && lens == NULL && cap == 0)
        return DR__PROTO_OK;
    if (count > cap) {
        errf(err, errlen,
             "task message has %zu inputs, more than the %zu expected", count,
             cap);
        return DR__PROTO_BAD;
    }
    size_t at = 0;
    json_array_foreach(inputs, i, v) {
        size_t len = (size_t)json_integer_value(v);
        if (texts != NULL)
            texts[i] = m->bin != NULL ? m->bin + at : NULL;
        if (lens != NULL)
            lens[i] = len;
        at += len;
    }
    return DR__PROTO_OK;
}
