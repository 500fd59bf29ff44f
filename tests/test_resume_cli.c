/*
 * `dagrun run --resume` as a user meets it (docs/resuming.md), with real
 * runs of a graph of six shell commands: a -> b -> c, a -> d, x -> y, each
 * appending a line to counters/<key> (so the test sees what ran) and
 * writing its declared output files/<key>.txt from its declared inputs (a
 * reads data/in.txt, x data/other.txt, b prints the parameter k).
 *
 * What reruns: a changed parameter or command reruns exactly its task and
 * its descendants; an input touched without a change reruns nothing, an
 * edited one its consumers (and theirs).  What a journal that cannot be
 * trusted gives — torn at several offsets, a bad checksum in the middle,
 * garbage, of another graph, of another format or dagrun version, in a
 * read-only folder (as another user when the test runs as root, since
 * root writes through chmod), in use by a live run: a clear message or a
 * safe fresh start, never a crash, never the journal of a live run
 * damaged.  --dry-run lists the reasons and runs nothing, --explain prints
 * them during the run, --no-journal, --simulate and `dagrun scale` keep
 * no journal.  The executor is in no fingerprint.
 */
#define _GNU_SOURCE /* vasprintf */
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun/run.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir; /* the test's folder, also its working folder */

#define NKEYS 6
static const char keys[] = "abcdxy";

static const char graph_text[] =
    "{\"name\": \"resume-cli\", \"params\": {\"k\": 1}, \"tasks\": [\n"
    "{\"id\": \"a\", \"shell\": \"echo 1 >> counters/a; cat data/in.txt > "
    "files/a.txt\", \"inputs\": [\"data/in.txt\"], \"outputs\": "
    "[\"files/a.txt\"]},\n"
    "{\"id\": \"b\", \"deps\": [\"a\"], \"shell\": \"echo 1 >> counters/b; "
    "(cat files/a.txt; echo k={k}) > files/b.txt\", \"inputs\": "
    "[\"files/a.txt\"], \"outputs\": [\"files/b.txt\"]},\n"
    "{\"id\": \"c\", \"deps\": [\"b\"], \"shell\": \"echo 1 >> counters/c; "
    "cat files/b.txt > files/c.txt\", \"inputs\": [\"files/b.txt\"], "
    "\"outputs\": [\"files/c.txt\"]},\n"
    "{\"id\": \"d\", \"deps\": [\"a\"], \"shell\": \"echo 1 >> counters/d; "
    "cat files/a.txt > files/d.txt\", \"inputs\": [\"files/a.txt\"], "
    "\"outputs\": [\"files/d.txt\"]},\n"
    "{\"id\": \"x\", \"shell\": \"echo 1 >> counters/x; cat data/other.txt > "
    "files/x.txt\", \"inputs\": [\"data/other.txt\"], \"outputs\": "
    "[\"files/x.txt\"]},\n"
    "{\"id\": \"y\", \"deps\": [\"x\"], \"shell\": \"echo 1 >> counters/y; "
    "cat files/x.txt > files/y.txt\", \"inputs\": [\"files/x.txt\"], "
    "\"outputs\": [\"files/y.txt\"]}\n"
    "]}\n";

static void write_in(const char *name, const char *text) {
    char *p = drt_fmt("%s/%s", dir, name);
    cr_assert_eq(drt_write_file(p, text), 0, "cannot write %s", p);
    free(p);
}

static void setup(void) {
    dir = drt_tmpdir();
    /* Each test runs in its own process: its folder can be the working
     * folder of every dagrun it starts. */
    cr_assert_eq(chdir(dir), 0);
    cr_assert_eq(mkdir("counters", 0777), 0);
    cr_assert_eq(mkdir("files", 0777), 0);
    cr_assert_eq(mkdir("data", 0777), 0);
    write_in("data/in.txt", "in\n");
    write_in("data/other.txt", "other\n");
    write_in("g.json", graph_text);
}

static void teardown(void) {
    if (chdir("/") != 0)
        perror("chdir /");
    drt_rmtree(dir);
    free(dir);
}

/*
 * Runs `AS dagrun ARGS` in dir through /bin/sh (AS: a command prefix such
 * as setpriv's, or ""), stdin from /dev/null; captures stdout and stderr
 * (either may be NULL) and returns the exit code (128 + signal).
 */
static int dagrun_as(const char *as, char **out, char **err, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static int dagrun_as(const char *as, char **out, char **err, const char *fmt,
                     ...) {
    va_list ap;
    va_start(ap, fmt);
    char *args = NULL;
    if (vasprintf(&args, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *cmd = drt_fmt("%s '%s' %s </dev/null >.stdout 2>.stderr", as,
                        drt_cli_path(), args);
    int status = system(cmd);
    int rc = status == -1 ? -1 : drt_exit_code(status);
    if (out != NULL)
        *out = drt_text_in(dir, ".stdout");
    if (err != NULL)
        *err = drt_text_in(dir, ".stderr");
    free(cmd), free(args);
    return rc;
}

#define dagrun(out, err, ...) dagrun_as("", out, err, __VA_ARGS__)

/* How many lines each task's counter file has. */
static void counts(int c[NKEYS]) {
    for (int i = 0; i < NKEYS; i++) {
        char name[32];
        snprintf(name, sizeof name, "counters/%c", keys[i]);
        char *text = drt_text_in(dir, name);
        c[i] = 0;
        for (const char *p = text; *p; p++)
            c[i] += *p == '\n';
        free(text);
    }
}

/* The keys of the tasks that ran since *c was taken, in graph order
 * ("bc"); *c becomes now.  Static buffer. */
static const char *ran(int c[NKEYS]) {
    static char which[NKEYS + 1];
    int now[NKEYS];
    counts(now);
    size_t n = 0;
    for (int i = 0; i < NKEYS; i++)
        if (now[i] != c[i])
            which[n++] = keys[i];
    which[n] = '\0';
    memcpy(c, now, sizeof now);
    return which;
}

/* A first, whole run of g.json into out/; every task runs once.  *c is
 * then the counts. */
static void full_run(int c[NKEYS]) {
    counts(c);
    char *err;
    int rc = dagrun(NULL, &err, "run g.json -o out -q");
    cr_assert_eq(rc, 0, "the first run failed: %s", err);
    free(err);
    cr_assert_str_eq(ran(c), "abcdxy");
}

/* `run ARGS -o out -q --resume` must succeed; returns what ran. */
static const char *resume(int c[NKEYS], const char *more) {
    char *err;
    int rc = dagrun(NULL, &err, "run g.json -o out -q --resume %s", more);
    cr_assert_eq(rc, 0, "--resume %s: exit %d: %s", more, rc, err);
    free(err);
    return ran(c);
}

static char *journal(size_t *len) {
    char *p = drt_fmt("%s/out/journal.jsonl", dir);
    char *text = drt_read_file(p, len);
    free(p);
    return text;
}

static void set_journal(const char *text, size_t len) {
    char *p = drt_fmt("%s/out/journal.jsonl", dir);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    free(p);
}

/* Every line of the journal is whole and its checksum holds; returns how
 * many header lines it has. */
static int journal_is_whole(void) {
    size_t len = 0;
    char *text = journal(&len);
    cr_assert_not_null(text, "no journal");
    int headers = 0, line = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        cr_assert_not_null(nl, "the journal's last line is not ended:\n%s",
                           text);
        size_t n = (size_t)(nl - (text + at));
        line++;
        cr_assert(drt_journal_line_ok(text + at, n),
                  "journal line %d is bad: %.*s", line, (int)n, text + at);
        headers += strncmp(text + at, "{\"journal\"", 10) == 0;
        at += n + 1;
    }
    free(text);
    return headers;
}

/* The summary's cached_tasks. */
static long cached_tasks(void) {
    json_t *s = json_load_file("out/summary.json", 0, NULL);
    json_t *c = json_object_get(s, "cached_tasks");
    long n = json_is_integer(c) ? (long)json_integer_value(c) : -1;
    json_decref(s);
    return n;
}

/* Lines of `text` that start with "<key>:". */
static int listed(const char *text, char key) {
    char want[4] = {key, ':', 0};
    if (strncmp(text, want, 2) == 0)
        return 1;
    char nl[5] = {'\n', key, ':', 0};
    return strstr(text, nl) != NULL;
}

/* The keys listed by --dry-run or --explain output, in graph order. */
static const char *listed_keys(const char *text) {
    static char which[NKEYS + 1];
    size_t n = 0;
    for (int i = 0; i < NKEYS; i++)
        if (listed(text, keys[i]))
            which[n++] = keys[i];
    which[n] = '\0';
    return which;
}

/* The line of `text` that starts with "<key>:", new; "" when none. */
static char *line_of(const char *text, char key) {
    char want[4] = {key, ':', 0};
    const char *p = strncmp(text, want, 2) == 0 ? text : NULL;
    if (p == NULL) {
        char nl[5] = {'\n', key, ':', 0};
        p = strstr(text, nl);
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return strdup("");
    return strndup(p, strcspn(p, "\n"));
}

/* `text` with its only `from` replaced by `to`, new. */
static char *replaced(const char *text, const char *from, const char *to) {
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "no '%s' in the graph", from);
    return drt_fmt("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* ---------------------------------------------------------- what reruns */

Test(resume_cli, an_unchanged_graph_reruns_nothing_and_no_resume_reruns_all,
     .init = setup, .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    cr_expect_eq(journal_is_whole(), 1);
    cr_expect_str_eq(resume(c, ""), "");
    cr_expect_eq(cached_tasks(), NKEYS);
    cr_expect_eq(journal_is_whole(), 2, "--resume appends to the journal");
    /* Without --resume every task runs, and the journal starts afresh. */
    char *err;
    cr_assert_eq(dagrun(NULL, &err, "run g.json -o out -q"), 0, "%s", err);
    free(err);
    cr_expect_str_eq(ran(c), "abcdxy");
    cr_expect_eq(journal_is_whole(), 1, "the journal did not start afresh");
    cr_expect_eq(cached_tasks(), 0);
}

/* The executor decides where tasks run, not what they compute: it is in no
 * fingerprint, so what ran under one executor is reused under another. */
Test(resume_cli, the_executor_changes_no_fingerprint, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    cr_expect_str_eq(resume(c, "--executor processes"), "");
    cr_expect_eq(cached_tasks(), NKEYS);
    cr_expect_str_eq(resume(c, "--executor sync"), "");
    cr_expect_eq(cached_tasks(), NKEYS);
    /* Recorded under processes with a memory limit, reused under threads. */
    char *err;
    cr_assert_eq(dagrun(NULL, &err,
                        "run g.json -o out -q --executor processes "
                        "--worker-memory 1G"),
                 0, "%s", err);
    free(err);
    cr_expect_str_eq(ran(c), "abcdxy");
    cr_expect_str_eq(resume(c, ""), "");
    cr_expect_eq(cached_tasks(), NKEYS);
    /* A real change still reruns under another executor. */
    cr_expect_str_eq(resume(c, "--executor processes --set k=2"), "bc");
}

Test(resume_cli, a_changed_parameter_reruns_its_task_and_descendants,
     .init = setup, .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    /* k is used by b only. */
    cr_expect_str_eq(resume(c, "--set k=2"), "bc");
    cr_expect_eq(cached_tasks(), 4);
    char *out = drt_text_in(dir, "files/c.txt");
    cr_expect_str_eq(out, "in\nk=2\n");
    free(out);
    cr_expect_str_eq(resume(c, "--set k=2"), "");
    cr_expect_str_eq(resume(c, ""), "bc", "back to k=1");
}

Test(resume_cli, an_edited_command_reruns_its_task_and_descendants,
     .init = setup, .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    /* d: a leaf; its command does the same in other words. */
    char *text = replaced(graph_text, "cat files/a.txt > files/d.txt",
                          "cat < files/a.txt > files/d.txt");
    write_in("g.json", text);
    cr_expect_str_eq(resume(c, ""), "d");
    /* a: the root of b, c and d (its output stays the same). */
    char *again = replaced(text, "cat data/in.txt > files/a.txt",
                           "cat < data/in.txt > files/a.txt");
    write_in("g.json", again);
    cr_expect_str_eq(resume(c, ""), "abcd");
    cr_expect_str_eq(resume(c, ""), "");
    free(again), free(text);
}

Test(resume_cli, a_touched_input_reruns_nothing_an_edited_one_its_consumers,
     .init = setup, .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    /* The same bytes with a new modification time (a day later, so that
     * no clock granularity hides it). */
    struct timespec later[2] = {{time(NULL) + 86400, 0},
                                {time(NULL) + 86400, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, "data/in.txt", later, 0), 0);
    char *out, *err;
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out --dry-run"), 0, "%s",
                 err);
    cr_expect_str_eq(listed_keys(out), "", "a touched input reruns:\n%s", out);
    free(out), free(err);
    cr_expect_str_eq(resume(c, ""), "");
    /* Touched again after the resume recorded the new time: still nothing. */
    cr_expect_str_eq(resume(c, ""), "");
    /* Edited: its consumer a, and what consumes a's output. */
    write_in("data/in.txt", "changed\n");
    cr_expect_str_eq(resume(c, ""), "abcd");
    out = drt_text_in(dir, "files/c.txt");
    cr_expect_str_eq(out, "changed\nk=1\n");
    free(out);
    /* An edit that keeps the size: the content decides. */
    write_in("data/other.txt", "OTHER\n");
    cr_expect_str_eq(resume(c, ""), "xy");
}

/* ------------------------------------------------ dry run, explain, off */

Test(resume_cli, dry_run_lists_reasons_and_runs_nothing, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    counts(c);
    char *out, *err;
    /* No journal yet: every task, for its first run. */
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out -n"), 0, "%s", err);
    cr_expect_str_eq(listed_keys(out), "abcdxy", "%s", out);
    cr_expect_str_eq(ran(c), "");
    cr_expect_neq(access("out/journal.jsonl", F_OK), 0,
                  "a dry run wrote a journal");
    free(out), free(err);

    full_run(c);
    write_in("data/other.txt", "changed\n");
    cr_assert_eq(unlink("files/d.txt"), 0);
    size_t len0 = 0, len1 = 0;
    char *before = journal(&len0);
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out --dry-run"), 0, "%s",
                 err);
    cr_expect_str_eq(listed_keys(out), "dxy", "%s", out);
    char *x = line_of(out, 'x'), *d = line_of(out, 'd'), *y = line_of(out, 'y');
    cr_expect_not_null(strstr(x, "data/other.txt"), "x's reason: %s", x);
    cr_expect_not_null(strstr(d, "files/d.txt"), "d's reason: %s", d);
    cr_expect_not_null(strstr(y, "x"), "y's reason: %s", y);
    cr_expect_not_null(strstr(out, "3"), "no count line:\n%s", out);
    cr_expect_str_eq(ran(c), "", "a dry run ran tasks");
    char *after = journal(&len1);
    cr_expect(len0 == len1 && memcmp(before, after, len0) == 0,
              "a dry run changed the journal");
    free(x), free(d), free(y), free(before), free(after), free(out), free(err);

    /* An invalid graph: exit 2, nothing listed. */
    write_in("bad.json", "{\"name\": \"resume-cli\", \"tasks\": [{\"id\": "
                         "\"a\", \"deps\": [\"nope\"]}]}");
    cr_expect_eq(dagrun(&out, &err, "run bad.json -o out --dry-run"), 2, "%s",
                 err);
    cr_expect_str_eq(ran(c), "");
    free(out), free(err);
}

Test(resume_cli, explain_prints_the_reasons_during_the_run, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    write_in("data/other.txt", "changed\n");
    char *out, *err;
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out --resume --explain"), 0,
                 "%s", err);
    cr_expect_str_eq(ran(c), "xy");
    cr_expect_str_eq(listed_keys(err), "xy", "stderr:\n%s", err);
    char *x = line_of(err, 'x');
    cr_expect_not_null(strstr(x, "data/other.txt"), "x's reason: %s", x);
    free(x), free(out), free(err);
}

Test(resume_cli, no_journal_simulate_and_scale_keep_none, .init = setup,
     .fini = teardown, .timeout = 300) {
    int c[NKEYS];
    counts(c);
    char *err;
    cr_assert_eq(dagrun(NULL, &err, "run g.json -o out -q --no-journal"), 0,
                 "%s", err);
    free(err);
    cr_expect_str_eq(ran(c), "abcdxy");
    cr_expect_neq(access("out/journal.jsonl", F_OK), 0,
                  "--no-journal wrote a journal");
    cr_assert_eq(dagrun(NULL, &err, "run g.json -o sim -q --simulate"), 0, "%s",
                 err);
    free(err);
    cr_expect_neq(access("sim/journal.jsonl", F_OK), 0,
                  "a simulation wrote a journal");
    /* scale: every repeat is a fresh run, none resumes, none journals. */
    cr_assert_eq(dagrun(NULL, &err, "scale g.json -w 1,2 -r 1 -o sc -q"), 0,
                 "%s", err);
    free(err);
    int now[NKEYS];
    counts(now);
    for (int i = 0; i < NKEYS; i++)
        cr_expect_eq(now[i] - c[i], 2, "%c ran %d times in 2 runs of scale",
                     keys[i], now[i] - c[i]);
    int found = system("find sc -name 'journal*' | grep -q .");
    cr_expect_neq(found, 0, "dagrun scale wrote a journal");
    cr_assert_eq(dagrun(NULL, &err, "scale g.json -w 1,2 -r 1 -o sc -q"), 0,
                 "%s", err);
    free(err);
    memcpy(c, now, sizeof now);
    counts(now);
    for (int i = 0; i < NKEYS; i++)
        cr_expect_eq(now[i] - c[i], 2, "%c: scale resumed", keys[i]);
}

/* ------------------------------------------ journals that cannot be used */

/* The key of the record on the journal's last line, and where that line
 * starts. */
static char last_key(const char *text, size_t len, size_t *start) {
    cr_assert(len > 1 && text[len - 1] == '\n');
    size_t at = len - 1;
    while (at > 0 && text[at - 1] != '\n')
        at--;
    *start = at;
    json_t *v = json_loadb(text + at, len - at - 1, 0, NULL);
    const char *k = json_string_value(json_object_get(v, "task"));
    cr_assert(k != NULL && strlen(k) == 1, "last line: %s", text + at);
    char key = k[0];
    json_decref(v);
    return key;
}

Test(resume_cli, a_torn_last_record_is_ignored_and_only_its_task_reruns,
     .init = setup, .fini = teardown, .timeout = 300) {
    int c[NKEYS];
    full_run(c);
    size_t len = 0, start = 0;
    char *whole = journal(&len);
    cr_assert_not_null(whole, "no journal");
    char key = last_key(whole, len, &start);
    size_t line = len - start; /* with its newline */
    /* Cut 1 byte into the line, in its middle, before its last brace; and
     * the line gone as a whole (nothing torn, one record fewer). */
    size_t cuts[] = {start + 1, start + line / 2, len - 2, start};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        set_journal(whole, cuts[i]);
        char *err;
        int rc = dagrun(NULL, &err, "run g.json -o out -q --resume");
        cr_expect_eq(rc, 0, "cut at %zu of %zu: exit %d: %s", cuts[i], len, rc,
                     err);
        free(err);
        char want[2] = {key, 0};
        cr_expect_str_eq(ran(c), want, "cut at %zu of %zu", cuts[i], len);
        journal_is_whole();
    }
    /* Only the newline missing: the record may be used or not, but the
     * journal must be whole afterwards. */
    set_journal(whole, len - 1);
    char *err;
    cr_expect_eq(dagrun(NULL, &err, "run g.json -o out -q --resume"), 0, "%s",
                 err);
    free(err);
    const char *r = ran(c);
    cr_expect(r[0] == '\0' || (r[0] == key && r[1] == '\0'), "ran %s", r);
    journal_is_whole();
    free(whole);
}

Test(resume_cli, a_record_with_a_bad_checksum_is_ignored, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    size_t len = 0;
    char *text = journal(&len);
    cr_assert_not_null(text, "no journal");
    /* The record of d, one digit of its times changed: still JSON, but its
     * sum no longer holds. */
    char *rec = strstr(text, "{\"task\":\"d\"");
    cr_assert_not_null(rec, "%s", text);
    char *digit = rec + strcspn(rec, "0123456789");
    *digit = *digit == '9' ? '8' : (char)(*digit + 1);
    set_journal(text, len);
    cr_expect_str_eq(resume(c, ""), "d");
    /* The bad line may stay (it is ignored); the journal still reads. */
    cr_expect_str_eq(resume(c, ""), "");
    char *out, *err;
    cr_expect_eq(dagrun(&out, &err, "log out"), 0, "%s", err);
    free(out), free(err);
    free(text);
}

Test(resume_cli, garbage_or_an_empty_journal_is_a_fresh_start, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)((i * 7919u) % 251u); /* NULs and newlines too */
    set_journal(garbage, sizeof garbage);
    cr_expect_str_eq(resume(c, ""), "abcdxy");
    journal_is_whole();
    cr_expect_str_eq(resume(c, ""), "", "the journal is usable again");
    set_journal("", 0);
    cr_expect_str_eq(resume(c, ""), "abcdxy");
    cr_expect_str_eq(resume(c, ""), "");
}

Test(resume_cli, a_journal_of_another_graph_is_not_used, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    counts(c);
    /* The same tasks under another name: only the name tells. */
    char *other = strdup(graph_text);
    memcpy(strstr(other, "resume-cli"), "resume-oth", 10);
    write_in("h.json", other);
    free(other);
    char *out, *err;
    cr_assert_eq(dagrun(NULL, &err, "run h.json -o out -q"), 0, "%s", err);
    free(err);
    cr_expect_str_eq(ran(c), "abcdxy");
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out --dry-run"), 0, "%s",
                 err);
    cr_expect_str_eq(listed_keys(out), "abcdxy", "%s", out);
    char *both = drt_fmt("%s%s", out, err);
    cr_expect_not_null(strstr(both, "resume-oth"),
                       "the dry run does not say the journal is of graph "
                       "'resume-oth':\n%s",
                       both);
    free(both), free(out), free(err);
    cr_expect_str_eq(resume(c, ""), "abcdxy");
    journal_is_whole();
    cr_expect_str_eq(resume(c, ""), "", "the journal is usable again");
}

/* The journal with its (first) header line replaced by `header` plus a
 * checksum. */
static void replace_header(const char *member, json_t *value) {
    size_t len = 0;
    char *text = journal(&len);
    cr_assert_not_null(text);
    size_t hlen = strcspn(text, "\n");
    json_t *h = json_loadb(text, hlen, JSON_PRESERVE_ORDER, NULL);
    cr_assert_not_null(h, "%.*s", (int)hlen, text);
    json_object_del(h, "sum");
    json_object_set_new(h, member, value);
    char *body = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    body[strlen(body) - 1] = '\0'; /* the closing brace */
    char *line = drt_journal_seal(body);
    char *all = drt_fmt("%s%s", line, text + hlen);
    set_journal(all, strlen(all));
    free(all), free(line), free(body), free(text);
    json_decref(h);
}

Test(resume_cli, a_journal_of_another_format_is_a_fresh_start, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    replace_header("format", json_integer(99));
    char *out, *err;
    cr_assert_eq(dagrun(&out, &err, "run g.json -o out --dry-run"), 0, "%s",
                 err);
    cr_expect_str_eq(listed_keys(out), "abcdxy", "%s", out);
    char *both = drt_fmt("%s%s", out, err);
    cr_expect_not_null(strstr(both, "format"),
                       "the dry run does not say why:\n%s", both);
    free(both), free(out), free(err);
    cr_expect_str_eq(resume(c, ""), "abcdxy");
    journal_is_whole();
    cr_expect_str_eq(resume(c, ""), "", "the journal is usable again");
}

Test(resume_cli, a_journal_of_another_dagrun_version_is_safe, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    replace_header("dagrun", json_string("0.0.1"));
    char *err;
    int rc = dagrun(NULL, &err, "run g.json -o out -q --resume");
    cr_expect_eq(rc, 0, "%s", err);
    free(err);
    /* Its records may be used (same format) or not: all or nothing. */
    const char *r = ran(c);
    cr_expect(strcmp(r, "") == 0 || strcmp(r, "abcdxy") == 0, "ran %s", r);
    journal_is_whole();
    cr_expect_str_eq(resume(c, ""), "");
}

Test(resume_cli, a_journal_in_a_read_only_folder, .init = setup,
     .fini = teardown, .timeout = 120) {
    int c[NKEYS];
    full_run(c);
    /* Root writes through any mode: then dagrun runs as nobody, for whom
     * the folder is read-only (and the rest of the test folder is not). */
    const char *as = "";
    if (geteuid() == 0) {
        as = "setpriv --reuid=65534 --regid=65534 --clear-groups";
        cr_assert_eq(system("chmod -R a+rwX . && chmod 755 ."), 0);
    }
    cr_assert_eq(system("chmod -R a-w out && chmod a+rx out"), 0);
    size_t len0 = 0, len1 = 0;
    char *before = journal(&len0);
    char *path = drt_fmt("%s/out", dir);
    char *out, *err;
    int rc = dagrun_as(as, &out, &err, "run g.json -o '%s' --resume", path);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, path), "no folder named: %s", err);
    cr_expect_str_eq(ran(c), "", "tasks ran without a journal");
    free(out), free(err);
    /* Without --resume the journal is not emptied either. */
    rc = dagrun_as(as, &out, &err, "run g.json -o '%s'", path);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, path), "no folder named: %s", err);
    free(out), free(err);
    char *after = journal(&len1);
    cr_expect(len0 == len1 && memcmp(before, after, len0) == 0,
              "the journal changed");
    /* Reading needs no write: a dry run works. */
    rc = dagrun_as(as, &out, &err, "run g.json -o '%s' --dry-run", path);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_str_eq(listed_keys(out), "", "%s", out);
    free(out), free(err);
    cr_expect_str_eq(ran(c), "");
    free(before), free(after);

    /* The folder writable, the journal not: the journal itself refuses. */
    cr_assert_eq(system("chmod -R u+w,a+w out && chmod a-w "
                        "out/journal.jsonl"),
                 0);
    before = journal(&len0);
    rc = dagrun_as(as, &out, &err, "run g.json -o '%s' --resume", path);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "journal.jsonl"), "no journal named: %s",
                       err);
    cr_expect(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s",
              err);
    cr_expect_str_eq(ran(c), "", "tasks ran without a journal");
    free(out), free(err);
    after = journal(&len1);
    cr_expect(len0 == len1 && memcmp(before, after, len0) == 0,
              "the journal changed");
    if (system("chmod -R u+w out") != 0)
        perror("chmod");
    free(path), free(before), free(after);
}

Test(resume_cli, a_journal_in_use_by_a_live_run, .init = setup,
     .fini = teardown, .timeout = 180) {
    /* The live run's task waits (at most a minute) for the file "go". */
    write_in("lock.json",
             "{\"name\": \"lock\", \"tasks\": [{\"id\": \"hold\", \"shell\": "
             "\"touch started; i=0; while [ ! -e go ] && [ $i -lt 6000 ]; do "
             "sleep 0.01; i=$((i+1)); done\"}, {\"id\": \"after\", \"deps\": "
             "[\"hold\"], \"shell\": \"echo 1 >> counters/after\"}]}");
    char mark[96];
    snprintf(mark, sizeof mark, "DRT_MARK=resume-lock-%ld-%ld", (long)getpid(),
             (long)time(NULL));
    char **env = drt_env_with(mark);
    char *path = drt_fmt("%s/out", dir);
    char *argv[] = {"dagrun", "run", "lock.json", "-o", path, "-q", NULL};
    pid_t pid = drt_start_cli(dir, argv, env, "live.out", "live.err");
    free(env);
    int started = drt_wait_for_path("started", 60);
    if (!started)
        kill(pid, SIGKILL);
    cr_assert(started, "the live run never started: %s",
              drt_text_in(dir, "live.err"));
    size_t len0 = 0, len1 = 0;
    char *before = journal(&len0);
    cr_assert_not_null(before, "the live run keeps no journal");
    char pidtext[32];
    snprintf(pidtext, sizeof pidtext, "%ld", (long)pid);
    const char *variants[] = {"--resume", "", "--no-journal"};
    for (size_t i = 0; i < 3; i++) {
        char *out, *err;
        int rc =
            dagrun(&out, &err, "run lock.json -o '%s' %s", path, variants[i]);
        cr_expect_eq(rc, 2, "'%s': exit %d: %s", variants[i], rc, err);
        cr_expect(strchr(err, '\n') == err + strlen(err) - 1,
                  "'%s': not one line: %s", variants[i], err);
        cr_expect_not_null(strstr(err, path), "'%s': no folder named: %s",
                           variants[i], err);
        cr_expect_not_null(strstr(err, pidtext), "'%s': pid %s not named: %s",
                           variants[i], pidtext, err);
        free(out), free(err);
    }
    /* The journal's own lock, for a program of the C API (a real second
     * process holds it; no folder lock comes first here). */
    dr_error e;
    dr_error_clear(&e);
    static const char noop[] =
        "{\"name\": \"lock\", \"tasks\": [{\"id\": \"n\", \"op\": \"noop\"}]}";
    dr_graph *g = dr_graph_load_buffer(noop, strlen(noop), NULL, NULL, &e);
    cr_assert_not_null(g, "%s", e.text);
    dr_run_options opts;
    dr_run_options_init(&opts);
    char *jpath = drt_fmt("%s/journal.jsonl", path);
    opts.journal = jpath;
    char *logs = drt_fmt("%s/api-logs", dir);
    opts.run_dir = logs;
    for (int r = 0; r < 2; r++) {
        opts.resume = r;
        dr_error_clear(&e);
        dr_run *run = dr_run_graph(g, &opts, &e);
        cr_expect_null(run, "the C API ran on a journal in use (resume %d)", r);
        dr_run_destroy(run);
        cr_expect_eq(e.code, DR_EBUSY, "%s", e.text);
        cr_expect_not_null(strstr(e.text, pidtext), "%s", e.text);
    }
    dr_graph_destroy(g);
    /* A dry run only reads, and works meanwhile. */
    char *out, *err;
    cr_expect_eq(dagrun(&out, &err, "run lock.json -o '%s' --dry-run", path), 0,
                 "%s", err);
    free(out), free(err);
    char *after = journal(&len1);
    cr_expect(len1 >= len0 && memcmp(before, after, len0) == 0,
              "the live run's journal was changed by the others");
    free(before), free(after);
    /* The live run ends well, its journal whole and complete. */
    write_in("go", "");
    int status = 0;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "the live run hung");
    cr_expect_eq(drt_exit_code(status), 0, "%s", drt_text_in(dir, "live.err"));
    char who[1024];
    cr_expect_eq(drt_wait_unmarked(mark, who, sizeof who), 0, "%s", who);
    journal_is_whole();
    char *text = journal(NULL);
    cr_expect_not_null(strstr(text, "\"task\":\"after\""), "%s", text);
    free(text), free(jpath), free(logs), free(path);
}

Test(resume_cli, a_failure_message_is_the_same_with_and_without_the_journal,
     .init = setup, .fini = teardown, .timeout = 120) {
    /* A command fails after writing its declared output, whose long name
     * goes into the message ("removed its declared output '...'"); a
     * journaled run once cut it at 127 bytes. */
    char name[160];
    memset(name, 'x', 140);
    name[140] = '\0';
    char *g = drt_fmt("{\"name\": \"fails\", \"tasks\": [{\"id\": \"f\", "
                      "\"shell\": \"touch files/%s.txt; exit 3\", "
                      "\"outputs\": [\"files/%s.txt\"]}]}",
                      name, name);
    write_in("fails.json", g);
    free(g);
    char *with, *without;
    cr_expect_eq(dagrun(NULL, &with, "run fails.json -o out -q"), 1);
    cr_expect_eq(
        dagrun(NULL, &without, "run fails.json -o out -q --no-journal"), 1);
    cr_expect_str_eq(with, without);
    char *whole = drt_fmt("%s.txt'", name);
    cr_expect_not_null(strstr(with, whole), "%s", with);
    free(whole), free(with), free(without);
}
