/*
 * The journal file (scheduler/journal.c, docs/resuming.md "The journal"):
 * records read back as written, whatever their strings hold; a torn or
 * altered line is ignored and the rest read; a journal of another graph or
 * format gives a note and no records; the lock is held by a real second
 * process and dies with it; append mode cuts a torn tail; a journal that
 * cannot be written says so.
 */
#include "journal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

static dr__fp fp_of(uint64_t x) {
    dr__fp f = {x * 0x9e3779b97f4a7c15u, ~x};
    return f;
}

static char *hex(const dr__fp *f) {
    return drt_fmt("%016llx%016llx", (unsigned long long)f->hi,
                   (unsigned long long)f->lo);
}

/* A plain ok record of task `key`. */
static dr__jrec plain_rec(const char *key, const dr__fp *rfp) {
    dr__jrec r = {.task = key,
                  .attempt = 1,
                  .status = "ok",
                  .worker = 2,
                  .start = 0.5,
                  .end = 0.75,
                  .fp = fp_of(1),
                  .op = fp_of(2),
                  .result_fp = rfp};
    return r;
}

static dr__journal *open_ok(const char *path, const char *graph, int append) {
    dr__journal *j = NULL;
    dr_error err;
    dr_error_clear(&err);
    int rc = dr__journal_open(path, graph, append, &j, &err);
    cr_assert_eq(rc, 0, "open %s: %s", path, err.text);
    return j;
}

static void close_ok(dr__journal *j) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__journal_close(j, &err), 0, "%s", err.text);
}

static void read_ok(const char *path, const char *graph, dr__jread *r) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__journal_read(path, graph, r, &err), 0, "%s", err.text);
}

/* A journal of graph "pi" with n plain records t0..t(n-1). */
static void write_plain(const char *path, int n) {
    dr__journal *j = open_ok(path, "pi", 0);
    dr__fp rfp = fp_of(3);
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof(key), "t%d", i);
        dr__jrec r = plain_rec(key, &rfp);
        cr_assert_eq(dr__journal_append(j, &r), 0);
    }
    close_ok(j);
}

static const char *str(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k));
}

Test(journal, records_read_back_as_written_whatever_their_strings) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    static const char *const keys[] = {
        "plain",
        "quote\" back\\slash /slash",
        "new\nline\ttab\r\x01\x1f\x7f",
        "caf\xc3\xa9 \xe2\x80\xae bidi \xf0\x9f\x98\x80",
    };
    const char *result = "{\"x\": [1, 2.5, \"a\\nb\"],\n \"u\": \"\xc3\xa9\"}";
    dr__jfile inputs[2] = {{.path = "data/\"odd\" name\n.csv",
                            .fp = {.exists = 1,
                                   .size = 10,
                                   .mtime_ns = 1733000000123456789,
                                   .hash = fp_of(7)}},
                           {.path = "gone.txt", .fp = {.exists = 0}}};
    dr__jfile outputs[1] = {{.path = "out/\xc3\xa9.txt",
                             .fp = {.exists = 1,
                                    .size = UINT64_C(1) << 40,
                                    .mtime_ns = -5,
                                    .hash = fp_of(8)}}};
    dr__fp rfp = fp_of(9);
    dr__journal *j = open_ok(path, "pi \"graph\"", 0);
    for (size_t i = 0; i < 4; i++) {
        dr__jrec r = plain_rec(keys[i], i % 2 ? NULL : &rfp);
        r.attempt = (unsigned)i + 1;
        r.worker = (unsigned)i * 1000;
        r.start = 1e-3 * (double)i + 0.1;
        r.end = (double)(1234567891 + i) * 1e-9;
        if (i == 1) {
            r.result = result;
            r.result_len = strlen(result);
            r.inputs = inputs;
            r.ninputs = 2;
            r.outputs = outputs;
            r.noutputs = 1;
        }
        if (i >= 2) {
            r.status = i == 2 ? "failed" : "timeout";
            r.error = "exit 3: \"boom\"\nsecond line \x1b[31m";
        }
        cr_assert_eq(dr__journal_append(j, &r), 0);
    }
    cr_expect_gt(dr__journal_pending(j), 0);
    close_ok(j);

    dr__jread rd;
    read_ok(path, "pi \"graph\"", &rd);
    cr_expect_str_eq(rd.note, "");
    cr_expect_eq(rd.runs, 1);
    cr_expect_eq(rd.bad, 0);
    cr_assert_eq(json_array_size(rd.records), 4);
    cr_expect_str_eq(str(rd.header, "journal"), "dagrun");
    cr_expect_eq(json_integer_value(json_object_get(rd.header, "format")), 1);
    cr_expect_str_eq(str(rd.header, "dagrun"), DAGRUN_VERSION_STRING);
    cr_expect_str_eq(str(rd.header, "graph"), "pi \"graph\"");
    cr_expect_eq(json_integer_value(json_object_get(rd.header, "pid")),
                 getpid());
    cr_expect(json_is_false(json_object_get(rd.header, "resume")));
    cr_expect_eq(strlen(str(rd.header, "started")), 20);
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_array_get(rd.records, i);
        cr_expect_str_eq(str(o, "task"), keys[i]);
        cr_expect_null(json_object_get(o, "sum"));
        cr_expect_eq(json_integer_value(json_object_get(o, "attempt")),
                     (json_int_t)i + 1);
        cr_expect_eq(json_integer_value(json_object_get(o, "worker")),
                     (json_int_t)i * 1000);
        cr_expect_eq(json_real_value(json_object_get(o, "start")),
                     1e-3 * (double)i + 0.1);
        cr_expect_eq(json_real_value(json_object_get(o, "end")),
                     (double)(1234567891 + i) * 1e-9);
        char *want = hex(&(dr__fp){fp_of(1).hi, fp_of(1).lo});
        cr_expect_str_eq(str(o, "fp"), want);
        free(want);
        if (i % 2) {
            cr_expect(json_is_null(json_object_get(o, "result_fp")));
        } else {
            want = hex(&rfp);
            cr_expect_str_eq(str(o, "result_fp"), want);
            free(want);
        }
        if (i >= 2)
            cr_expect_str_eq(str(o, "error"),
                             "exit 3: \"boom\"\nsecond line \x1b[31m");
        else
            cr_expect_null(json_object_get(o, "error"));
    }
    json_t *o = json_array_get(rd.records, 1);
    json_t *want = json_loads(result, 0, NULL);
    cr_expect(json_equal(json_object_get(o, "result"), want));
    json_decref(want);
    cr_expect_null(json_object_get(json_array_get(rd.records, 0), "result"));
    json_t *ins = json_object_get(o, "inputs");
    cr_assert_eq(json_array_size(ins), 2);
    dr__file_fp f;
    cr_assert_eq(dr__journal_file_fp(json_array_get(ins, 0), &f), 0);
    cr_expect_str_eq(str(json_array_get(ins, 0), "path"), inputs[0].path);
    cr_expect(f.exists && f.size == 10 && f.mtime_ns == 1733000000123456789 &&
              f.hash.hi == inputs[0].fp.hash.hi &&
              f.hash.lo == inputs[0].fp.hash.lo);
    cr_assert_eq(dr__journal_file_fp(json_array_get(ins, 1), &f), 0);
    cr_expect_eq(f.exists, 0);
    json_t *outs = json_object_get(o, "outputs");
    cr_assert_eq(dr__journal_file_fp(json_array_get(outs, 0), &f), 0);
    cr_expect_str_eq(str(json_array_get(outs, 0), "path"), outputs[0].path);
    cr_expect(f.exists && f.size == UINT64_C(1) << 40 && f.mtime_ns == -5);
    dr__journal_read_free(&rd);

    /* Every line is one line of JSON ending with its checksum. */
    size_t len;
    char *text = drt_read_file(path, &len);
    cr_assert_not_null(text);
    size_t lines = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        lines++;
        size_t n = (size_t)(nl - line);
        cr_assert_gt(n, 26);
        cr_expect_eq(strncmp(line + n - 26, ",\"sum\":\"", 8), 0);
        char sum[17];
        snprintf(sum, sizeof(sum), "%016llx",
                 (unsigned long long)XXH3_64bits(line, n - 26));
        cr_expect_eq(strncmp(line + n - 18, sum, 16), 0, "line %zu", lines);
    }
    cr_expect_eq(lines, 5);
    free(text);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* A string that is not UTF-8 cannot be JSON: it is recorded as printable
 * text, and the line is still valid. */
Test(journal, a_key_that_is_not_utf8_is_recorded_printably) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    dr__journal *j = open_ok(path, "pi", 0);
    dr__jrec r = plain_rec("bad\xff\xfe key", NULL);
    r.error = "\xc3";
    cr_assert_eq(dr__journal_append(j, &r), 0);
    close_ok(j);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    cr_assert_eq(json_array_size(rd.records), 1);
    cr_expect_eq(rd.bad, 0);
    cr_expect_str_eq(str(json_array_get(rd.records, 0), "task"),
                     "bad\\xff\\xfe key");
    cr_expect_str_eq(str(json_array_get(rd.records, 0), "error"), "\\xc3");
    dr__journal_read_free(&rd);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* Times come as ns / 1e9, ns * 1e-9 or anything else: each reads back as
 * exactly the same double. */
Test(journal, times_read_back_as_exactly_the_same_double) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    enum { N = 3000 };
    static double starts[N], ends[N];
    uint64_t s = 88172645463325252u;
    for (int i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint64_t ns = s % 100000000000000u >> (i % 40);
        double bits;
        uint64_t raw = s & 0x7fefffffffffffffu; /* finite */
        memcpy(&bits, &raw, sizeof(bits));
        switch (i % 4) {
        case 0:
            starts[i] = (double)ns / 1e9, ends[i] = (double)ns * 1e-9;
            break;
        case 1:
            starts[i] = bits, ends[i] = -bits;
            break;
        case 2:
            starts[i] = (double)(s % 1000000) / 1024.0;
            ends[i] = 1.0 / 256 + (double)ns * 1e-12;
            break;
        default:
            starts[i] = (double)(s >> 11) * 0x1p-53; /* [0, 1) */
            ends[i] = (double)(i - 1500) * 0.1;
        }
    }
    starts[3] = 9007199254740991.0, ends[3] = 1.0 / 256;
    starts[7] = 8999999.999999999, ends[7] = 5e-324;
    dr__journal *j = open_ok(path, "pi", 0);
    for (int i = 0; i < N; i++) {
        dr__jrec r = plain_rec("t", NULL);
        r.start = starts[i], r.end = ends[i];
        cr_assert_eq(dr__journal_append(j, &r), 0);
    }
    close_ok(j);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    cr_assert_eq(json_array_size(rd.records), N, "bad %zu", rd.bad);
    for (int i = 0; i < N; i++) {
        json_t *o = json_array_get(rd.records, i);
        cr_assert(json_is_real(json_object_get(o, "start")));
        cr_assert_eq(json_real_value(json_object_get(o, "start")), starts[i],
                     "%d: %.17g", i, starts[i]);
        cr_assert_eq(json_real_value(json_object_get(o, "end")), ends[i],
                     "%d: %.17g", i, ends[i]);
    }
    dr__journal_read_free(&rd);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* kill -9 or a power cut in the middle of a write: the last line is cut
 * at any byte.  The earlier records are all read, the cut one is
 * ignored (a line counts only with its newline). */
Test(journal, a_torn_last_line_is_ignored_at_every_byte) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    write_plain(path, 4);
    size_t len;
    char *text = drt_read_file(path, &len);
    cr_assert_not_null(text);
    size_t last = len - 1;
    while (last > 0 && text[last - 1] != '\n')
        last--;
    for (size_t cut = last; cut <= len; cut++) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(text, 1, cut, f), cut);
        fclose(f);
        dr__jread rd;
        read_ok(path, "pi", &rd);
        size_t want = cut == len ? 4 : 3;
        cr_assert_eq(json_array_size(rd.records), want, "cut at %zu", cut);
        cr_expect_eq(rd.bad, cut == last || cut == len ? 0 : 1, "cut %zu", cut);
        cr_expect_str_eq(rd.note, "");
        cr_expect_str_eq(str(json_array_get(rd.records, 2), "task"), "t2");
        dr__journal_read_free(&rd);
    }
    free(text);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

Test(journal, a_flipped_byte_in_a_middle_record_is_ignored) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    write_plain(path, 3);
    size_t len;
    char *text = drt_read_file(path, &len);
    cr_assert_not_null(text);
    /* The second record: after the header and the first record. */
    char *a = strchr(strchr(text, '\n') + 1, '\n') + 1;
    char *b = strchr(a, '\n');
    for (char *p = a; p < b; p++) {
        *p ^= 0x01;
        cr_assert_eq(drt_write_file(path, text), 0);
        dr__jread rd;
        read_ok(path, "pi", &rd);
        cr_assert_eq(json_array_size(rd.records), 2, "flip at %td", p - text);
        cr_expect_eq(rd.bad, 1);
        cr_expect_str_eq(str(json_array_get(rd.records, 0), "task"), "t0");
        cr_expect_str_eq(str(json_array_get(rd.records, 1), "task"), "t2");
        dr__journal_read_free(&rd);
        *p ^= 0x01;
    }
    free(text);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

Test(journal, another_graph_gives_a_note_and_no_records) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    write_plain(path, 2);
    dr__jread rd;
    read_ok(path, "lecture", &rd);
    char *want = drt_fmt("journal %s was written for graph 'pi', not "
                         "'lecture': every task runs",
                         path);
    cr_expect_str_eq(rd.note, want);
    cr_expect_eq(json_array_size(rd.records), 0);
    cr_expect_eq(rd.runs, 1);
    cr_expect_not_null(rd.header);
    dr__journal_read_free(&rd);
    /* Any graph: the records. */
    read_ok(path, NULL, &rd);
    cr_expect_str_eq(rd.note, "");
    cr_expect_eq(json_array_size(rd.records), 2);
    dr__journal_read_free(&rd);
    free(want);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* A line with a right checksum, as a later dagrun might write it. */
static char *signed_line(const char *body) {
    return drt_fmt("%s,\"sum\":\"%016llx\"}\n", body,
                   (unsigned long long)XXH3_64bits(body, strlen(body)));
}

Test(journal, another_format_gives_a_note_and_no_records) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    char *h = signed_line("{\"journal\":\"dagrun\",\"format\":2,\"dagrun\":"
                          "\"9.0.0\",\"graph\":\"pi\",\"pid\":1,\"started\":"
                          "\"2030-01-01T00:00:00Z\",\"resume\":false");
    char *r = signed_line(
        "{\"task\":\"a\",\"attempt\":1,\"status\":\"ok\",\"worker\":0,"
        "\"start\":0.0,\"end\":0.5,\"fp\":\"00000000000000000000000000000000\","
        "\"op\":\"00000000000000000000000000000000\",\"result_fp\":null");
    char *text = drt_fmt("%s%s", h, r);
    cr_assert_eq(drt_write_file(path, text), 0);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    char *want = drt_fmt("journal %s is of format 2, this dagrun reads "
                         "format 1: every task runs",
                         path);
    cr_expect_str_eq(rd.note, want);
    cr_expect_eq(json_array_size(rd.records), 0);
    cr_expect_eq(rd.bad, 0);
    dr__journal_read_free(&rd);
    /* The same lines under a format-1 header are a record: the note came
     * from the format alone.  The dagrun version is informational. */
    free(h);
    h = signed_line("{\"journal\":\"dagrun\",\"format\":1,\"dagrun\":"
                    "\"9.0.0\",\"graph\":\"pi\",\"pid\":1,\"started\":"
                    "\"2030-01-01T00:00:00Z\",\"resume\":false");
    free(text);
    text = drt_fmt("%s%s", h, r);
    cr_assert_eq(drt_write_file(path, text), 0);
    read_ok(path, "pi", &rd);
    cr_expect_str_eq(rd.note, "");
    cr_expect_eq(json_array_size(rd.records), 1);
    dr__journal_read_free(&rd);
    free(want);
    free(text);
    free(h);
    free(r);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* Content that is no journal at all never crashes the reader. */
Test(journal, any_content_reads_without_a_crash) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    dr__jread rd;
    dr_error err;
    /* Missing: an empty read, no note. */
    read_ok(path, "pi", &rd);
    cr_expect_str_eq(rd.note, "");
    cr_expect_eq(json_array_size(rd.records), 0);
    cr_expect_null(rd.header);
    dr__journal_read_free(&rd);
    /* Empty, garbage, NULs, no newline, many newlines. */
    static const char *const texts[] = {
        "",       "garbage", "{}\n", "\n\n\n", "{\"journal\":\"dagrun\"}\n",
        "[1,2]\n"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
        cr_assert_eq(drt_write_file(path, texts[i]), 0);
        read_ok(path, "pi", &rd);
        cr_expect_eq(json_array_size(rd.records), 0);
        cr_expect_null(rd.header);
        if (texts[i][0] != '\0')
            cr_expect_str_neq(rd.note, "", "%zu", i);
        dr__journal_read_free(&rd);
    }
    /* NUL bytes inside a valid journal's lines and between them. */
    write_plain(path, 2);
    size_t len;
    char *text = drt_read_file(path, &len);
    char *with_nul = malloc(len + 2);
    memcpy(with_nul, text, len);
    with_nul[len] = '\0';
    with_nul[len + 1] = '\n';
    with_nul[10] = '\0';
    int fd = open(path, O_WRONLY | O_TRUNC);
    cr_assert_eq(write(fd, with_nul, len + 2), (ssize_t)len + 2);
    close(fd);
    read_ok(path, NULL, &rd);
    cr_expect_null(rd.header);
    cr_expect_eq(json_array_size(rd.records), 2);
    cr_expect_eq(rd.bad, 2);
    dr__journal_read_free(&rd);
    /* A huge line without a newline after the journal. */
    size_t big = 20u << 20;
    char *huge = malloc(big);
    memset(huge, '{', big);
    fd = open(path, O_WRONLY | O_TRUNC);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    cr_assert_eq(write(fd, huge, big), (ssize_t)big);
    close(fd);
    read_ok(path, "pi", &rd);
    cr_expect_eq(json_array_size(rd.records), 2);
    cr_expect_eq(rd.bad, 1);
    dr__journal_read_free(&rd);
    free(huge);
    free(with_nul);
    free(text);
    /* A folder: an error naming it. */
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_read(dir, "pi", &rd, &err), DR_EIO);
    cr_expect_not_null(strstr(err.text, dir), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "folder"), "%s", err.text);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/*
 * A journal that cannot be created says where and how to run without one.
 * A folder made read-only (0555) stops anyone but root; as root (CI runs
 * as root) permissions stop nothing, so the folder is /sys, where even
 * root cannot create a file (sysfs has no such operation).
 */
Test(journal, a_read_only_folder_is_an_io_error_naming_the_file) {
    char *dir = drt_tmpdir();
    char *ro = drt_fmt("%s/ro", dir);
    cr_assert_eq(mkdir(ro, 0555), 0);
    cr_assert_eq(chmod(ro, 0555), 0);
    char *probe = drt_fmt("%s/probe", ro);
    int fd = open(probe, O_WRONLY | O_CREAT, 0644);
    char *path;
    if (fd < 0) {
        path = drt_fmt("%s/journal.jsonl", ro);
    } else {
        close(fd);
        unlink(probe);
        struct statfs sf;
        if (statfs("/sys", &sf) != 0 || sf.f_type != 0x62656572 /* sysfs */)
            cr_skip_test("running as root and /sys is not sysfs: no folder "
                         "that refuses a new file");
        path = drt_fmt("%s", "/sys/dagrun-journal-test.jsonl");
    }
    dr__journal *j = NULL;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_open(path, "pi", 0, &j, &err), DR_EIO);
    cr_expect_null(j);
    char *want = drt_fmt("cannot create journal %s: %s (--no-journal runs "
                         "without one)",
                         path, strerror(EACCES));
    cr_expect_str_eq(err.text, want);
    chmod(ro, 0755);
    free(want);
    free(path);
    free(probe);
    free(ro);
    drt_rmtree(dir);
    free(dir);
}

Test(journal, a_folder_or_a_file_as_folder_is_an_io_error) {
    char *dir = drt_tmpdir();
    dr__journal *j = NULL;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_open(dir, "pi", 0, &j, &err), DR_EIO);
    cr_expect_not_null(strstr(err.text, "it is a folder"), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "--no-journal"), "%s", err.text);
    char *file = drt_fmt("%s/file", dir);
    cr_assert_eq(drt_write_file(file, "x"), 0);
    char *path = drt_fmt("%s/journal.jsonl", file);
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_open(path, "pi", 0, &j, &err), DR_EIO);
    cr_expect_not_null(strstr(err.text, path), "%s", err.text);
    cr_expect_not_null(strstr(err.text, strerror(ENOTDIR)), "%s", err.text);
    free(path);
    free(file);
    drt_rmtree(dir);
    free(dir);
}

/* A second run may not use the journal: a real process holds the lock;
 * killed with SIGKILL, its lock is gone with it. */
Test(journal, a_journal_held_by_another_process_is_busy_until_it_dies) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        close(fds[0]);
        dr__journal *j;
        dr_error err;
        dr_error_clear(&err);
        if (dr__journal_open(path, "pi", 0, &j, &err) != 0)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c;
    cr_assert_eq(read(fds[0], &c, 1), 1, "the child could not open it");
    close(fds[0]);
    dr__journal *j = NULL;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_open(path, "pi", 0, &j, &err), DR_EBUSY);
    cr_expect_null(j);
    char *want = drt_fmt("journal %s is in use by another run (pid %ld)", path,
                         (long)child);
    cr_expect_str_eq(err.text, want);
    /* Appending is refused too, and the holder's journal is untouched. */
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_open(path, "pi", 1, &j, &err), DR_EBUSY);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    cr_expect_eq(rd.runs, 1);
    cr_expect_eq(json_integer_value(json_object_get(rd.header, "pid")), child);
    dr__journal_read_free(&rd);
    cr_assert_eq(kill(child, SIGKILL), 0);
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    j = open_ok(path, "pi", 1);
    close_ok(j);
    read_ok(path, "pi", &rd);
    cr_expect_eq(rd.runs, 2);
    cr_expect_eq(rd.bad, 0);
    cr_expect(
        json_is_true(json_object_get(json_array_get(rd.lines, 1), "resume")));
    dr__journal_read_free(&rd);
    free(want);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* Resuming after a kill mid-write: the torn tail is cut, the new run's
 * lines follow the earlier ones, and the file reads back fully valid. */
Test(journal, append_cuts_a_torn_tail_and_the_file_reads_back_valid) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    write_plain(path, 2);
    size_t len;
    char *text = drt_read_file(path, &len);
    /* A record cut in the middle, as kill -9 during write(2) leaves it. */
    char *torn =
        drt_fmt("%s{\"task\":\"t9\",\"attempt\":1,\"status\":\"o", text);
    cr_assert_eq(drt_write_file(path, torn), 0);
    dr__journal *j = open_ok(path, "pi", 1);
    dr__fp rfp = fp_of(3);
    dr__jrec r = plain_rec("t2", &rfp);
    cr_assert_eq(dr__journal_append(j, &r), 0);
    close_ok(j);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    cr_expect_eq(rd.bad, 0);
    cr_expect_eq(rd.runs, 2);
    cr_expect_str_eq(rd.note, "");
    cr_assert_eq(json_array_size(rd.records), 3);
    cr_expect_str_eq(str(json_array_get(rd.records, 2), "task"), "t2");
    dr__journal_read_free(&rd);
    /* The earlier lines are kept byte for byte. */
    char *after = drt_read_file(path, NULL);
    cr_expect_eq(strncmp(after, text, len), 0);
    free(after);
    /* Without append the journal starts afresh. */
    j = open_ok(path, "pi", 0);
    close_ok(j);
    read_ok(path, "pi", &rd);
    cr_expect_eq(rd.runs, 1);
    cr_expect_eq(json_array_size(rd.records), 0);
    dr__journal_read_free(&rd);
    free(torn);
    free(text);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* Appending to a journal of another graph would mix two graphs' records:
 * it starts afresh instead. */
Test(journal, append_to_another_graphs_journal_starts_afresh) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    write_plain(path, 2);
    dr__journal *j = open_ok(path, "lecture", 1);
    close_ok(j);
    dr__jread rd;
    read_ok(path, "lecture", &rd);
    cr_expect_str_eq(rd.note, "");
    cr_expect_eq(rd.runs, 1);
    cr_expect_eq(rd.bad, 0);
    cr_expect_eq(json_array_size(rd.records), 0);
    dr__journal_read_free(&rd);
    drt_rmtree(dir);
    free(path);
    free(dir);
}

/* A write that fails half-way (here: a file-size limit) leaves no torn
 * line behind and keeps what was buffered for the next try. */
Test(journal, a_failed_write_leaves_no_torn_line_and_can_be_retried) {
    signal(SIGXFSZ, SIG_IGN);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/journal.jsonl", dir);
    dr__journal *j = open_ok(path, "pi", 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 300;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    dr__fp rfp = fp_of(3);
    for (int i = 0; i < 5; i++) {
        dr__jrec r = plain_rec("t", &rfp);
        cr_assert_eq(dr__journal_append(j, &r), 0);
    }
    size_t pending = dr__journal_pending(j);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__journal_write(j, &err), DR_EIO);
    char *want = drt_fmt("cannot write journal %s: %s (--no-journal runs "
                         "without one)",
                         path, strerror(EFBIG));
    cr_expect_str_eq(err.text, want);
    cr_expect_eq(dr__journal_pending(j), pending);
    struct stat now;
    cr_assert_eq(stat(path, &now), 0);
    cr_expect_eq(now.st_size, st.st_size, "the torn part was not cut off");
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    close_ok(j);
    dr__jread rd;
    read_ok(path, "pi", &rd);
    cr_expect_eq(rd.bad, 0);
    cr_expect_eq(json_array_size(rd.records), 5);
    dr__journal_read_free(&rd);
    free(want);
    drt_rmtree(dir);
    free(path);
    free(dir);
}
