/*
 * The worker protocol's framing (scheduler/protocol.c,
 * docs/worker-protocol.md): every message type survives a socketpair and
 * the push decoder, fed in any chunks; a 100 MB binary part crosses whole;
 * each kind of garbage is refused with the message that names it, through
 * both readers; lengths over the limit are refused from the header alone;
 * a stop callback ends a wait on a silent peer; a closed peer is EOF when
 * reading and EPIPE (not SIGPIPE) when writing.
 */
#include "protocol.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void pair(int sv[2]) {
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void write_raw(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        cr_assert(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

/* A header with the given fields (little-endian, as the protocol says). */
static void header(unsigned char h[DR__PROTO_HEADER], const char *magic,
                   unsigned version, unsigned type, uint32_t flags,
                   uint32_t body_len, uint64_t bin_len) {
    memcpy(h, magic, 4);
    h[4] = (unsigned char)version;
    h[5] = (unsigned char)(version >> 8);
    h[6] = (unsigned char)type;
    h[7] = (unsigned char)(type >> 8);
    for (int i = 0; i < 4; i++) {
        h[8 + i] = (unsigned char)(flags >> (8 * i));
        h[12 + i] = (unsigned char)(body_len >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        h[16 + i] = (unsigned char)(bin_len >> (8 * i));
}

/* The messages of one worker's life, one of each type. */
static json_t *body_of(unsigned type) {
    switch (type) {
    case DR__MSG_HELLO:
        return json_pack("{s:i,s:i,s:i,s:s,s:s}", "version", 1, "pid", 4242,
                         "worker", 3, "dagrun", "0.1.0", "graph",
                         "00112233445566778899aabbccddeeff");
    case DR__MSG_TASK:
        return json_pack("{s:i,s:s,s:i,s:i,s:{s:i},s:[i,i]}", "task", 7, "key",
                         "map-7 \"q\" \xc3\xa9", "attempt", 2, "worker", 3,
                         "args", "ms", 5, "inputs", 2, 7);
    case DR__MSG_RESULT:
        return json_pack("{s:i,s:i,s:b,s:f}", "task", 7, "attempt", 2, "ok", 1,
                         "seconds", 0.125);
    case DR__MSG_SHUTDOWN:
        return json_object();
    default:
        return json_pack("{s:s}", "error", "unexpected task message");
    }
}

static const char *bin_of(unsigned type) {
    switch (type) {
    case DR__MSG_TASK:
        return "42{\"a\":[1]}";
    case DR__MSG_RESULT:
        return "[1,2,3]";
    }
    return "";
}

static void expect_msg(const dr__msg *m, unsigned type) {
    cr_assert_eq(m->type, type);
    json_t *want = body_of(type);
    cr_assert(json_equal(m->body, want), "%s body differs",
              dr__proto_type_name(type));
    json_decref(want);
    const char *bin = bin_of(type);
    cr_assert_eq(m->nbin, strlen(bin));
    if (m->nbin == 0)
        cr_assert_null(m->bin);
    else
        cr_assert_eq(memcmp(m->bin, bin, m->nbin), 0);
}

Test(protocol, every_type_round_trips_through_a_socketpair) {
    int sv[2];
    pair(sv);
    for (unsigned t = DR__MSG_HELLO; t <= DR__MSG_LAST; t++) {
        json_t *b = body_of(t);
        size_t wire = 0;
        const char *bin = bin_of(t);
        cr_assert_eq(dr__proto_write(sv[0], t, b, bin, strlen(bin), &wire), 0);
        json_decref(b);
        dr__msg m;
        char err[256];
        cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                     DR__PROTO_OK, "%s", err);
        expect_msg(&m, t);
        cr_assert_eq(m.wire_bytes, wire);
        dr__msg_free(&m);
        cr_assert_null(m.body);
    }
    close(sv[0]);
    close(sv[1]);
}

Test(protocol, type_names) {
    cr_assert_str_eq(dr__proto_type_name(DR__MSG_HELLO), "hello");
    cr_assert_str_eq(dr__proto_type_name(DR__MSG_TASK), "task");
    cr_assert_str_eq(dr__proto_type_name(DR__MSG_RESULT), "result");
    cr_assert_str_eq(dr__proto_type_name(DR__MSG_SHUTDOWN), "shutdown");
    cr_assert_str_eq(dr__proto_type_name(DR__MSG_ERROR), "error");
    cr_assert_str_eq(dr__proto_type_name(0), "unknown");
    cr_assert_str_eq(dr__proto_type_name(6), "unknown");
}

Test(protocol, encode_is_what_write_sends) {
    json_t *b = body_of(DR__MSG_TASK);
    unsigned char *buf;
    size_t n;
    const char *bin = bin_of(DR__MSG_TASK);
    cr_assert_eq(dr__proto_encode(DR__MSG_TASK, b, bin, strlen(bin), &buf, &n),
                 0);
    cr_assert_eq(memcmp(buf, "DRWP\x01\x00\x02\x00\0\0\0\0", 12), 0);
    int sv[2];
    pair(sv);
    size_t wire;
    cr_assert_eq(
        dr__proto_write(sv[0], DR__MSG_TASK, b, bin, strlen(bin), &wire), 0);
    cr_assert_eq(wire, n);
    unsigned char *got = malloc(n);
    size_t have = 0;
    while (have < n) {
        ssize_t k = read(sv[1], got + have, n - have);
        cr_assert(k > 0);
        have += (size_t)k;
    }
    cr_assert_eq(memcmp(got, buf, n), 0);
    free(got);
    free(buf);
    json_decref(b);
    close(sv[0]);
    close(sv[1]);
}

Test(protocol, encode_refuses_what_is_not_a_message) {
    unsigned char *buf = NULL;
    size_t n;
    json_t *arr = json_array();
    cr_assert_eq(dr__proto_encode(DR__MSG_TASK, arr, NULL, 0, &buf, &n),
                 DR_EINVAL);
    cr_assert_eq(dr__proto_encode(0, NULL, NULL, 0, &buf, &n), DR_EINVAL);
    cr_assert_eq(dr__proto_encode(6, NULL, NULL, 0, &buf, &n), DR_EINVAL);
    cr_assert_eq(dr__proto_encode(DR__MSG_TASK, NULL, NULL, 3, &buf, &n),
                 DR_EINVAL);
    cr_assert_null(buf);
    errno = 0;
    cr_assert_eq(dr__proto_write(1, DR__MSG_TASK, arr, NULL, 0, NULL), -1);
    cr_assert_eq(errno, EINVAL);
    json_decref(arr);
    /* NULL body is {}. */
    cr_assert_eq(dr__proto_encode(DR__MSG_SHUTDOWN, NULL, NULL, 0, &buf, &n),
                 0);
    cr_assert_eq(n, DR__PROTO_HEADER + 2);
    cr_assert_eq(memcmp(buf + DR__PROTO_HEADER, "{}", 2), 0);
    free(buf);
}

struct big_writer {
    int fd;
    const unsigned char *bin;
    size_t n;
    int rc;
};

static void *write_big(void *arg) {
    struct big_writer *w = arg;
    json_t *b = json_pack("{s:i,s:i,s:b,s:f}", "task", 1, "attempt", 1, "ok", 1,
                          "seconds", 1.5);
    w->rc = dr__proto_write(w->fd, DR__MSG_RESULT, b, w->bin, w->n, NULL);
    json_decref(b);
    return NULL;
}

Test(protocol, a_100_mb_binary_part_crosses_whole, .timeout = 120) {
    size_t n = (size_t)100 << 20;
    unsigned char *bin = malloc(n);
    cr_assert_not_null(bin);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (unsigned char)(x >> 16);
    }
    int sv[2];
    pair(sv);
    struct big_writer w = {sv[0], bin, n, -2};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, write_big, &w), 0);
    dr__msg m;
    char err[256];
    int rc = dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err));
    pthread_join(t, NULL);
    cr_assert_eq(rc, DR__PROTO_OK, "%s", err);
    cr_assert_eq(w.rc, 0);
    cr_assert_eq(m.type, DR__MSG_RESULT);
    cr_assert_eq(m.nbin, n);
    cr_assert_eq(memcmp(m.bin, bin, n), 0);
    cr_assert_eq(json_real_value(json_object_get(m.body, "seconds")), 1.5);
    dr__msg_free(&m);
    free(bin);
    close(sv[0]);
    close(sv[1]);
}

/* All five messages, encoded back to back. */
static unsigned char *stream_of_all(size_t *len) {
    unsigned char *all = NULL;
    size_t n = 0;
    for (unsigned t = DR__MSG_HELLO; t <= DR__MSG_LAST; t++) {
        json_t *b = body_of(t);
        unsigned char *buf;
        size_t k;
        const char *bin = bin_of(t);
        cr_assert_eq(dr__proto_encode(t, b, bin, strlen(bin), &buf, &k), 0);
        json_decref(b);
        all = realloc(all, n + k);
        memcpy(all + n, buf, k);
        n += k;
        free(buf);
    }
    *len = n;
    return all;
}

/* Feeds `all` in chunks of the sizes step() gives; expects every type in
 * order. */
static void decode_in_chunks(const unsigned char *all, size_t n,
                             size_t (*step)(void)) {
    dr__proto_decoder *d = dr__proto_decoder_new(0);
    cr_assert_not_null(d);
    unsigned next = DR__MSG_HELLO;
    size_t at = 0;
    char err[256];
    while (at < n) {
        size_t k = step();
        if (k > n - at)
            k = n - at;
        cr_assert_eq(dr__proto_decoder_feed(d, all + at, k, err, sizeof(err)),
                     DR__PROTO_OK, "%s", err);
        at += k;
        dr__msg m;
        while (dr__proto_decoder_next(d, &m)) {
            expect_msg(&m, next++);
            dr__msg_free(&m);
        }
    }
    cr_assert_eq(next, DR__MSG_LAST + 1);
    cr_assert(dr__proto_decoder_idle(d));
    dr__proto_decoder_free(d);
}

static size_t one(void) { return 1; }
static size_t random_chunk(void) { return (size_t)(rand() % 40); }
static size_t everything(void) { return SIZE_MAX; }

Test(protocol, decoder_gives_the_same_messages_in_any_chunks) {
    size_t n;
    unsigned char *all = stream_of_all(&n);
    decode_in_chunks(all, n, one);
    decode_in_chunks(all, n, everything);
    for (unsigned seed = 1; seed <= 20; seed++) {
        srand(seed);
        decode_in_chunks(all, n, random_chunk);
    }
    free(all);
}

Test(protocol, decoder_not_idle_inside_a_message_and_frees_what_was_not_taken) {
    size_t n;
    unsigned char *all = stream_of_all(&n);
    dr__proto_decoder *d = dr__proto_decoder_new(0);
    cr_assert(dr__proto_decoder_idle(d));
    cr_assert_eq(dr__proto_decoder_feed(d, all, n - 3, NULL, 0), DR__PROTO_OK);
    cr_assert_not(dr__proto_decoder_idle(d));
    dr__proto_decoder_free(d); /* four queued messages, ASan checks */
    free(all);
}

/* A malformed stream and what both readers must say. */
struct bad_case {
    const char *name;
    unsigned char bytes[128];
    size_t n;
    uint64_t limit;
    int rc;
    const char *text;
};

static void add(struct bad_case *c, const void *p, size_t n) {
    memcpy(c->bytes + c->n, p, n);
    c->n += n;
}

static struct bad_case make_case(int i) {
    struct bad_case c = {.rc = DR__PROTO_BAD};
    unsigned char h[DR__PROTO_HEADER];
    switch (i) {
    case 0:
        c.name = "bad magic";
        header(h, "AAAA", 1, 1, 0, 2, 0);
        add(&c, h, sizeof(h));
        add(&c, "{}", 2);
        c.text = "bad magic 0x41414141 (not a dagrun worker message)";
        break;
    case 1:
        c.name = "wrong version";
        header(h, "DRWP", 2, 1, 0, 2, 0);
        add(&c, h, sizeof(h));
        add(&c, "{}", 2);
        c.text = "worker protocol version 2, but this dagrun speaks version 1";
        break;
    case 2:
        c.name = "unknown type";
        header(h, "DRWP", 1, 9, 0, 2, 0);
        add(&c, h, sizeof(h));
        add(&c, "{}", 2);
        c.text = "unknown message type 9";
        break;
    case 3:
        c.name = "unknown flags";
        header(h, "DRWP", 1, 4, 4, 2, 0);
        add(&c, h, sizeof(h));
        add(&c, "{}", 2);
        c.text = "unknown flag bits 0x00000004 in a shutdown message's header";
        break;
    case 4:
        c.name = "body not JSON";
        header(h, "DRWP", 1, 2, 0, 9, 0);
        add(&c, h, sizeof(h));
        add(&c, "{\"a\":1,}", 9);
        c.text = "task message's body is not JSON: ";
        break;
    case 5:
        c.name = "body not an object";
        header(h, "DRWP", 1, 3, 0, 5, 0);
        add(&c, h, sizeof(h));
        add(&c, "[1,2]", 5);
        c.text = "result message's body is an array, not a JSON object";
        break;
    case 6:
        c.name = "duplicate key";
        header(h, "DRWP", 1, 3, 0, 13, 0);
        add(&c, h, sizeof(h));
        add(&c, "{\"a\":1,\"a\":2}", 13);
        c.text = "duplicate object key";
        break;
    case 7:
        c.name = "body over a tiny limit";
        header(h, "DRWP", 1, 2, 0, 100, 0);
        add(&c, h, sizeof(h));
        c.limit = 64;
        c.rc = DR__PROTO_TOOBIG;
        c.text = "message of 124 bytes is over the 64-byte limit "
                 "(DAGRUN_MAX_MESSAGE_BYTES)";
        break;
    case 8:
        c.name = "bin of 2^63 over the default limit";
        header(h, "DRWP", 1, 2, 0, 2, (uint64_t)1 << 63);
        add(&c, h, sizeof(h));
        c.rc = DR__PROTO_TOOBIG;
        c.text = "message of 9223372036854775834 bytes is over the "
                 "1073741824-byte limit (DAGRUN_MAX_MESSAGE_BYTES)";
        break;
    case 9:
        c.name = "body of 2^31 over the default limit";
        header(h, "DRWP", 1, 2, 0, (uint32_t)1 << 31, 0);
        add(&c, h, sizeof(h));
        c.rc = DR__PROTO_TOOBIG;
        c.text = "message of 2147483672 bytes is over the 1073741824-byte "
                 "limit (DAGRUN_MAX_MESSAGE_BYTES)";
        break;
    case 10:
        c.name = "bin of 2^64-1 does not wrap";
        header(h, "DRWP", 1, 2, 0, 2, UINT64_MAX);
        add(&c, h, sizeof(h));
        c.limit = UINT64_MAX - 1;
        c.rc = DR__PROTO_TOOBIG;
        c.text = "message of 18446744073709551615 bytes is over";
        break;
    case 11:
        c.name = "empty body";
        header(h, "DRWP", 1, 4, 0, 0, 0);
        add(&c, h, sizeof(h));
        c.text = "shutdown message has an empty body";
        break;
    default:
        c.name = NULL;
    }
    return c;
}

Test(protocol, garbage_is_refused_with_what_was_wrong_by_both_readers) {
    for (int i = 0;; i++) {
        struct bad_case c = make_case(i);
        if (c.name == NULL)
            break;
        char err[512];
        /* The push decoder, fed byte by byte. */
        dr__proto_decoder *d = dr__proto_decoder_new(c.limit);
        int rc = DR__PROTO_OK;
        for (size_t k = 0; k < c.n && rc == DR__PROTO_OK; k++)
            rc = dr__proto_decoder_feed(d, c.bytes + k, 1, err, sizeof(err));
        cr_assert_eq(rc, c.rc, "%s: decoder gave %d (%s)", c.name, rc, err);
        cr_assert_not_null(strstr(err, c.text), "%s: '%s' lacks '%s'", c.name,
                           err, c.text);
        cr_assert_null(strchr(err, '\n'));
        /* Sticky. */
        cr_assert_eq(dr__proto_decoder_feed(d, "x", 1, err, sizeof(err)), c.rc);
        cr_assert_not_null(strstr(err, c.text), "%s: not sticky", c.name);
        dr__msg m;
        cr_assert_eq(dr__proto_decoder_next(d, &m), 0);
        dr__proto_decoder_free(d);
        /* The fd reader. */
        int sv[2];
        pair(sv);
        write_raw(sv[0], c.bytes, c.n);
        rc = dr__proto_read(sv[1], &m, c.limit, NULL, NULL, err, sizeof(err));
        cr_assert_eq(rc, c.rc, "%s: read gave %d (%s)", c.name, rc, err);
        cr_assert_not_null(strstr(err, c.text), "%s: '%s' lacks '%s'", c.name,
                           err, c.text);
        cr_assert_null(m.body);
        close(sv[0]);
        close(sv[1]);
    }
}

Test(protocol, body_not_json_names_the_byte) {
    unsigned char h[DR__PROTO_HEADER];
    header(h, "DRWP", 1, 2, 0, 9, 0);
    dr__proto_decoder *d = dr__proto_decoder_new(0);
    char err[512];
    cr_assert_eq(dr__proto_decoder_feed(d, h, sizeof(h), err, sizeof(err)), 0);
    cr_assert_eq(dr__proto_decoder_feed(d, "{\"a\": x}", 9, err, sizeof(err)),
                 DR__PROTO_BAD);
    cr_assert_not_null(strstr(err, "(byte 7 of its 9, byte 31 of the message)"),
                       "%s", err);
    dr__proto_decoder_free(d);
}

Test(protocol, messages_before_garbage_can_still_be_taken) {
    size_t n;
    unsigned char *all = stream_of_all(&n);
    all = realloc(all, n + 4);
    memcpy(all + n, "JUNK", 4);
    dr__proto_decoder *d = dr__proto_decoder_new(0);
    cr_assert_eq(dr__proto_decoder_feed(d, all, n + 4, NULL, 0), DR__PROTO_OK);
    /* "JUNK" is only 4 bytes of a header: not yet judged. */
    unsigned char pad[20] = {0};
    cr_assert_eq(dr__proto_decoder_feed(d, pad, sizeof(pad), NULL, 0),
                 DR__PROTO_BAD);
    dr__msg m;
    for (unsigned t = DR__MSG_HELLO; t <= DR__MSG_LAST; t++) {
        cr_assert_eq(dr__proto_decoder_next(d, &m), 1);
        expect_msg(&m, t);
        dr__msg_free(&m);
    }
    cr_assert_eq(dr__proto_decoder_next(d, &m), 0);
    dr__proto_decoder_free(d);
    free(all);
}

Test(protocol, eof_inside_a_message_is_bad_and_says_where) {
    size_t n;
    unsigned char *all = stream_of_all(&n);
    /* HELLO's header is 24 bytes; cut at 12, in its body, in TASK's bin. */
    struct {
        size_t cut;
        const char *text;
    } cuts[] = {
        {12, "connection closed 12 bytes into a 24-byte header"},
        {30, "connection closed 6 bytes into a hello message's "},
    };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        int sv[2];
        pair(sv);
        write_raw(sv[0], all, cuts[i].cut);
        close(sv[0]);
        dr__msg m;
        char err[256];
        cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                     DR__PROTO_BAD);
        cr_assert_not_null(strstr(err, cuts[i].text), "'%s'", err);
        close(sv[1]);
    }
    /* Inside TASK's binary part: HELLO whole, TASK less its last byte. */
    unsigned char *hello;
    size_t nh;
    json_t *b = body_of(DR__MSG_HELLO);
    cr_assert_eq(dr__proto_encode(DR__MSG_HELLO, b, NULL, 0, &hello, &nh), 0);
    json_decref(b);
    unsigned char *task;
    size_t nt;
    b = body_of(DR__MSG_TASK);
    const char *bin = bin_of(DR__MSG_TASK);
    cr_assert_eq(
        dr__proto_encode(DR__MSG_TASK, b, bin, strlen(bin), &task, &nt), 0);
    json_decref(b);
    int sv[2];
    pair(sv);
    write_raw(sv[0], hello, nh);
    write_raw(sv[0], task, nt - 1);
    close(sv[0]);
    dr__msg m;
    char err[256];
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                 DR__PROTO_OK);
    dr__msg_free(&m);
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                 DR__PROTO_BAD);
    char *want = strdup("connection closed 10 bytes into a task message's "
                        "11-byte binary part");
    cr_assert_str_eq(err, want);
    free(want);
    close(sv[1]);
    free(hello);
    free(task);
    free(all);
}

Test(protocol, clean_eof_is_eof) {
    int sv[2];
    pair(sv);
    cr_assert_eq(dr__proto_write(sv[0], DR__MSG_SHUTDOWN, NULL, NULL, 0, NULL),
                 0);
    close(sv[0]);
    dr__msg m;
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, NULL, 0),
                 DR__PROTO_OK);
    dr__msg_free(&m);
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, NULL, 0),
                 DR__PROTO_EOF);
    close(sv[1]);
}

static int stop_after(void *arg) {
    int *calls = arg;
    return ++*calls >= 5;
}

Test(protocol, stop_callback_ends_a_wait_on_a_silent_peer, .timeout = 30) {
    int sv[2];
    pair(sv);
    int calls = 0;
    dr__msg m;
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, stop_after, &calls, NULL, 0),
                 DR__PROTO_STOPPED);
    cr_assert_eq(calls, 5);
    /* Also in the middle of a message. */
    calls = 0;
    write_raw(sv[0], "DRWP", 4);
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, stop_after, &calls, NULL, 0),
                 DR__PROTO_STOPPED);
    cr_assert_null(m.body);
    close(sv[0]);
    close(sv[1]);
}

Test(protocol, a_closed_peer_is_epipe_not_sigpipe) {
    /* SIGPIPE keeps its default action (death) for the test to mean
     * anything. */
    signal(SIGPIPE, SIG_DFL);
    int sv[2];
    pair(sv);
    close(sv[1]);
    errno = 0;
    cr_assert_eq(dr__proto_write(sv[0], DR__MSG_SHUTDOWN, NULL, NULL, 0, NULL),
                 -1);
    cr_assert_eq(errno, EPIPE);
    close(sv[0]);
    /* A pipe has no MSG_NOSIGNAL. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    close(p[0]);
    errno = 0;
    cr_assert_eq(dr__proto_write_error(p[1], "gone"), -1);
    cr_assert_eq(errno, EPIPE);
    close(p[1]);
    sigset_t pending;
    sigpending(&pending);
    cr_assert_not(sigismember(&pending, SIGPIPE));
}

Test(protocol, error_message_carries_its_text) {
    int sv[2];
    pair(sv);
    cr_assert_eq(dr__proto_write_error(sv[0], "unexpected result"), 0);
    dr__msg m;
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, NULL, 0),
                 DR__PROTO_OK);
    cr_assert_eq(m.type, DR__MSG_ERROR);
    cr_assert_str_eq(json_string_value(json_object_get(m.body, "error")),
                     "unexpected result");
    dr__msg_free(&m);
    close(sv[0]);
    close(sv[1]);
}

Test(protocol, environment_limit_is_obeyed_and_a_bad_one_refused) {
    setenv("DAGRUN_MAX_MESSAGE_BYTES", "1K", 1);
    uint64_t lim = 0;
    char err[256];
    cr_assert_eq(dr__proto_limit(&lim, err, sizeof(err)), 0);
    cr_assert_eq(lim, 1024);
    unsigned char bin[1001] = {0};
    int sv[2];
    pair(sv);
    cr_assert_eq(
        dr__proto_write(sv[0], DR__MSG_RESULT, NULL, bin, sizeof(bin), NULL),
        0);
    dr__msg m;
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                 DR__PROTO_TOOBIG);
    cr_assert_not_null(strstr(err, "over the 1024-byte limit"), "%s", err);
    /* An explicit limit wins over the environment. */
    dr__proto_decoder *d = dr__proto_decoder_new(4096);
    unsigned char *buf;
    size_t n;
    cr_assert_eq(
        dr__proto_encode(DR__MSG_RESULT, NULL, bin, sizeof(bin), &buf, &n), 0);
    cr_assert_eq(dr__proto_decoder_feed(d, buf, n, err, sizeof(err)),
                 DR__PROTO_OK);
    dr__proto_decoder_free(d);
    setenv("DAGRUN_MAX_MESSAGE_BYTES", "lots", 1);
    cr_assert_eq(dr__proto_limit(&lim, err, sizeof(err)), DR_EINVAL);
    cr_assert_not_null(strstr(err, "DAGRUN_MAX_MESSAGE_BYTES='lots'"), "%s",
                       err);
    d = dr__proto_decoder_new(0);
    cr_assert_eq(dr__proto_decoder_feed(d, buf, n, err, sizeof(err)),
                 DR__PROTO_BAD);
    dr__proto_decoder_free(d);
    free(buf);
    close(sv[0]);
    close(sv[1]);
}

static dr__msg task_with(const char *inputs, const char *bin) {
    dr__msg m = {.type = DR__MSG_TASK};
    m.body = json_loads(inputs, 0, NULL);
    cr_assert_not_null(m.body, "%s", inputs);
    m.nbin = strlen(bin);
    m.bin = m.nbin ? (unsigned char *)strdup(bin) : NULL;
    return m;
}

Test(protocol, task_inputs_split_the_binary_part) {
    dr__msg m = task_with("{\"inputs\":[2,0,9]}", "42{\"a\":[1]}");
    size_t n = 0;
    cr_assert_eq(dr__proto_task_inputs(&m, &n, NULL, NULL, NULL, 0),
                 DR__PROTO_OK);
    cr_assert_eq(n, 3);
    const unsigned char *texts[3];
    size_t lens[3];
    cr_assert_eq(dr__proto_task_inputs(&m, &n, texts, lens, NULL, 0),
                 DR__PROTO_OK);
    cr_assert_eq(lens[0], 2);
    cr_assert_eq(memcmp(texts[0], "42", 2), 0);
    cr_assert_eq(lens[1], 0);
    cr_assert_eq(lens[2], 9);
    cr_assert_eq(memcmp(texts[2], "{\"a\":[1]}", 9), 0);
    char err[256];
    n = 2;
    cr_assert_eq(dr__proto_task_inputs(&m, &n, texts, lens, err, sizeof(err)),
                 DR__PROTO_BAD);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(err,
                     "task message has 3 inputs, more than the 2 expected");
    dr__msg_free(&m);

    m = task_with("{\"inputs\":[]}", "");
    n = 0;
    cr_assert_eq(dr__proto_task_inputs(&m, &n, NULL, NULL, NULL, 0),
                 DR__PROTO_OK);
    cr_assert_eq(n, 0);
    dr__msg_free(&m);
}

Test(protocol, task_inputs_refuse_lengths_that_do_not_fit) {
    struct {
        const char *body, *bin, *text;
    } cases[] = {
        {"{}", "", "task message has no \"inputs\" array"},
        {"{\"inputs\":3}", "abc", "task message has no \"inputs\" array"},
        {"{\"inputs\":[1,\"2\"]}", "abc",
         "task message's \"inputs\"[1] is not a byte length"},
        {"{\"inputs\":[-1]}", "", "\"inputs\"[0] is not a byte length"},
        {"{\"inputs\":[1,1]}", "abc",
         "task message's \"inputs\" lengths add up to 2 bytes, but its binary "
         "part has 3"},
        {"{\"inputs\":[2,2]}", "abc",
         "lengths add up to more than its 3-byte binary part (at input 1)"},
        {"{\"inputs\":[9223372036854775807,9223372036854775807]}", "abc",
         "add up to more than its 3-byte binary part (at input 0)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dr__msg m = task_with(cases[i].body, cases[i].bin);
        const unsigned char *texts[4];
        size_t lens[4], n = 4;
        char err[256];
        cr_assert_eq(
            dr__proto_task_inputs(&m, &n, texts, lens, err, sizeof(err)),
            DR__PROTO_BAD, "%s", cases[i].body);
        cr_assert_not_null(strstr(err, cases[i].text), "'%s' lacks '%s'", err,
                           cases[i].text);
        dr__msg_free(&m);
    }
}

Test(protocol, a_nul_in_a_string_survives) {
    json_t *b = json_pack("{s:s%}", "error", "a\0b", (size_t)3);
    int sv[2];
    pair(sv);
    cr_assert_eq(dr__proto_write(sv[0], DR__MSG_ERROR, b, NULL, 0, NULL), 0);
    dr__msg m;
    char err[256];
    cr_assert_eq(dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err)),
                 DR__PROTO_OK, "%s", err);
    cr_assert(json_equal(m.body, b));
    dr__msg_free(&m);
    json_decref(b);
    close(sv[0]);
    close(sv[1]);
}

Test(protocol, non_blocking_fds_work_both_ways, .timeout = 60) {
    size_t n = (size_t)8 << 20;
    unsigned char *bin = malloc(n);
    for (size_t i = 0; i < n; i++)
        bin[i] = (unsigned char)(i * 31);
    int sv[2];
    pair(sv);
    for (int i = 0; i < 2; i++)
        fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK);
    struct big_writer w = {sv[0], bin, n, -2};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, write_big, &w), 0);
    dr__msg m;
    char err[256];
    int rc = dr__proto_read(sv[1], &m, 0, NULL, NULL, err, sizeof(err));
    pthread_join(t, NULL);
    cr_assert_eq(rc, DR__PROTO_OK, "%s", err);
    cr_assert_eq(w.rc, 0);
    cr_assert_eq(m.nbin, n);
    cr_assert_eq(memcmp(m.bin, bin, n), 0);
    dr__msg_free(&m);
    free(bin);
    close(sv[0]);
    close(sv[1]);
}
