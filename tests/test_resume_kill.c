/*
 * Durable runs, for real (docs/resuming.md): a real `dagrun run` of 200
 * shell commands in five layers (seeded random dependencies and sleeps of
 * 0-30 ms) is stopped — kill -9 at 24 moments (and at 4 more where the
 * resumed run is killed too), SIGINT at 8, a task that fails its first
 * attempt (with and without --keep-going), dagrun itself crashing in a C
 * function task (abort() in a plugin op) — and then run again with
 * --resume to the end.  What the journal held before that last run decides
 * what may run again:
 *
 *   - a task with a complete "ok" record (a whole line whose checksum holds)
 *     does not run again: it ran once in all (at most twice when killed
 *     twice: unrecorded in the first run, recorded in the second);
 *   - every other task ran exactly once more during the resume, so at most
 *     twice in all (three times when killed twice);
 *   - the resumed run reports the first kind as cached (summary.json
 *     cached_tasks) and its journal says that exactly the second kind ran;
 *   - the final outputs equal those of one clean run; the journal keeps
 *     what it held (every valid line of it, in order), has no bad line, and
 *     `dagrun log` reads it; a --dry-run afterwards would run nothing;
 *   - nothing dagrun started outlives it (the test's mark in dagrun's
 *     environment tags every process it starts, as in test_run_faults.c).
 *
 * Every task appends $DAGRUN_ATTEMPT to counters/<key> (outside the output
 * folder and undeclared, so dagrun never touches it) and writes its
 * declared output files/<key>.txt: the cksum of its key and its inputs'
 * contents, so any task that ran on a wrong or missing input shows in the
 * final files.  The kill moments are counts of journal lines, drawn from a
 * seed per case and spread over the run; they are moments, not timings.
 * Each kind of stop writes a table of its cases to
 * build/tests/resume-<kind>.txt, printed when a case fails, and keeps a
 * failed case's folder under build/tests/resume-failed/.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef DR_CRASH_PLUGIN
#define DR_CRASH_PLUGIN DR_BUILD_DIR "/tests/dagrun_test_crash_plugin.so"
#endif

#define LAYERS 5
#define WIDTH 40
#define NCMD (LAYERS * WIDTH)
#define MAXDEPS 3
#define NTASKS (NCMD + 1) /* the commands and, in the crash graph, "crash" */
#define CRASH NCMD        /* the index of "crash" */

/* ------------------------------------------------------------ the graph */

typedef struct gtask {
    char key[16];
    int ndeps, deps[MAXDEPS]; /* indices in the layer above */
    int ms;                   /* how long it sleeps */
    int after_crash;          /* 1: depends on "crash" too */
} gtask;

typedef struct graph {
    gtask t[NCMD];
    int fail;        /* the command that fails its first attempt; -1 */
    int crash_layer; /* the layer "crash" is in; -1: no "crash" */
    int crash_deps[2], ncrash_deps;
    int ntasks; /* NCMD, or NTASKS with "crash" */
} graph;

static uint64_t rng(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void make_graph(graph *g, uint64_t seed, int fail, int crash_layer) {
    memset(g, 0, sizeof *g);
    g->fail = fail;
    g->crash_layer = crash_layer;
    g->ntasks = crash_layer >= 0 ? NTASKS : NCMD;
    uint64_t s = seed;
    for (int l = 0; l < LAYERS; l++)
        for (int i = 0; i < WIDTH; i++) {
            gtask *t = &g->t[l * WIDTH + i];
            snprintf(t->key, sizeof t->key, "t%d-%02d", l, i);
            t->ms = (int)(rng(&s) % 31);
            if (l == 0)
                continue;
            int want = 1 + (int)(rng(&s) % MAXDEPS);
            while (t->ndeps < want) {
                int d = (l - 1) * WIDTH + (int)(rng(&s) % WIDTH), dup = 0;
                for (int k = 0; k < t->ndeps; k++)
                    dup |= t->deps[k] == d;
                if (!dup)
                    t->deps[t->ndeps++] = d;
            }
        }
    if (crash_layer >= 0) {
        /* "crash" waits for two commands of the layer above it, and three
         * of the layer below wait for it. */
        for (int k = 0; crash_layer > 0 && k < 2; k++)
            g->crash_deps[g->ncrash_deps++] =
                (crash_layer - 1) * WIDTH + 7 * k + 3;
        for (int k = 0; crash_layer + 1 < LAYERS && k < 3; k++)
            g->t[(crash_layer + 1) * WIDTH + 5 * k + 1].after_crash = 1;
    }
}

static const char *key_of(const graph *g, int i) {
    return i == CRASH ? "crash" : g->t[i].key;
}

static int index_of(const graph *g, const char *key) {
    if (g->crash_layer >= 0 && strcmp(key, "crash") == 0)
        return CRASH;
    int l, i;
    char extra;
    if (sscanf(key, "t%d-%d%c", &l, &i, &extra) != 2 || l < 0 || l >= LAYERS ||
        i < 0 || i >= WIDTH)
        return -1;
    return l * WIDTH + i;
}

/* 1 when command i is command f or depends on it, through any path. */
static int depends_on(const graph *g, int i, int f) {
    if (i == f)
        return 1;
    if (i >= NCMD)
        return 0;
    for (int k = 0; k < g->t[i].ndeps; k++)
        if (depends_on(g, g->t[i].deps[k], f))
            return 1;
    return 0;
}

static char *graph_json(const graph *g) {
    json_t *tasks = json_array();
    for (int i = 0; i < NCMD; i++) {
        const gtask *t = &g->t[i];
        json_t *deps = json_array(), *inputs = json_array();
        char *cat = strdup("");
        for (int k = 0; k < t->ndeps; k++) {
            const char *d = g->t[t->deps[k]].key;
            json_array_append_new(deps, json_string(d));
            char *in = drt_fmt("files/%s.txt", d);
            json_array_append_new(inputs, json_string(in));
            char *more = drt_fmt("%s %s", cat, in);
            free(cat), free(in);
            cat = more;
        }
        if (t->after_crash)
            json_array_append_new(deps, json_string("crash"));
        char *fail = i == g->fail
                         ? strdup("; if [ ! -e flags/fail ]; then touch "
                                  "flags/fail; echo 'failing once, on "
                                  "purpose' >&2; exit 3; fi")
                         : strdup("");
        char *shell =
            drt_fmt("echo \"$DAGRUN_ATTEMPT\" >> counters/%s; sleep 0.%03d; "
                    "(echo %s%s%s) | cksum > files/%s.txt%s",
                    t->key, t->ms, t->key, t->ndeps > 0 ? "; cat" : "", cat,
                    t->key, fail);
        char *out = drt_fmt("files/%s.txt", t->key);
        json_t *task =
            json_pack("{s:s, s:s, s:o, s:o, s:[s]}", "id", t->key, "shell",
                      shell, "deps", deps, "inputs", inputs, "outputs", out);
        json_array_append_new(tasks, task);
        free(out), free(shell), free(fail), free(cat);
    }
    if (g->crash_layer >= 0) {
        json_t *deps = json_array();
        for (int k = 0; k < g->ncrash_deps; k++)
            json_array_append_new(deps,
                                  json_string(g->t[g->crash_deps[k]].key));
        json_array_append_new(
            tasks, json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "id", "crash",
                             "op", "crash_once", "args", "flag", "flags/crash",
                             "counter", "counters/crash", "deps", deps));
    }
    json_t *root =
        json_pack("{s:s, s:o}", "name", "resume-kill", "tasks", tasks);
    char *text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    cr_assert_not_null(text);
    return text;
}

/* ------------------------------------------------- one run, one folder */

static char *dir; /* the test's scratch folder */

static void setup(void) {
    dir = drt_tmpdir();
    /* "crash" dumps no core into the build machine. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

static void teardown(void) {
    drt_rmtree(dir);
    free(dir);
}

/* A new folder `name` in dir holding graph.json and the empty folders the
 * commands write into; returns its path.  `flags`: create the flag files,
 * so that nothing fails or crashes (the clean run). */
static char *make_case(const char *name, const char *graph_text, int flags) {
    char *cd = drt_fmt("%s/%s", dir, name);
    cr_assert_eq(mkdir(cd, 0755), 0, "%s", cd);
    const char *subs[] = {"counters", "files", "flags"};
    for (size_t i = 0; i < 3; i++) {
        char *p = drt_fmt("%s/%s", cd, subs[i]);
        cr_assert_eq(mkdir(p, 0755), 0);
        free(p);
    }
    char *p = drt_fmt("%s/graph.json", cd);
    cr_assert_eq(drt_write_file(p, graph_text), 0);
    free(p);
    if (flags) {
        const char *f[] = {"flags/fail", "flags/crash"};
        for (size_t i = 0; i < 2; i++) {
            p = drt_fmt("%s/%s", cd, f[i]);
            cr_assert_eq(drt_write_file(p, ""), 0);
            free(p);
        }
    }
    return cd;
}

/* Starts `dagrun run graph.json -o out --workers 4` in folder cd with the
 * mark in its environment, stdout and stderr into cd/<log>.out and
 * cd/<log>.err. */
static pid_t start_run(const char *cd, const char *mark, int resume,
                       int keep_going, int plugin, const char *log) {
    char *argv[16];
    int n = 0;
    argv[n++] = "dagrun", argv[n++] = "run", argv[n++] = "graph.json";
    argv[n++] = "-o", argv[n++] = "out", argv[n++] = "--workers";
    argv[n++] = "4";
    if (resume)
        argv[n++] = "--resume";
    if (keep_going)
        argv[n++] = "--keep-going";
    if (plugin)
        argv[n++] = "--plugin", argv[n++] = DR_CRASH_PLUGIN;
    argv[n] = NULL;
    char **env = drt_env_with(mark);
    char *out = drt_fmt("%s.out", log), *err = drt_fmt("%s.err", log);
    pid_t pid = drt_start_cli(cd, argv, env, out, err);
    free(env), free(out), free(err);
    return pid;
}

/* 1 while child pid has not ended (it is not reaped). */
static int running(pid_t pid) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return 0;
    return info.si_pid == 0;
}

/*
 * Waits until the journal cd/out/journal.jsonl exists and holds at least
 * `lines` complete lines, or dagrun ended first (returns 0).  Reads only
 * what was added since the last look.  The deadline (120 s) bounds a hang.
 */
static int wait_for_lines(pid_t pid, const char *cd, int lines) {
    char *path = drt_fmt("%s/out/journal.jsonl", cd);
    FILE *f = NULL;
    int seen = 0, reached = 0;
    for (long waited = 0; waited < 120000; waited += 2) {
        if (f == NULL)
            f = fopen(path, "rb");
        if (f != NULL) {
            int c;
            while ((c = getc(f)) != EOF)
                seen += c == '\n';
            clearerr(f);
            if (seen >= lines) {
                reached = 1;
                break;
            }
        }
        if (!running(pid))
            break;
        drt_nap_ms(2);
    }
    if (f != NULL)
        fclose(f);
    free(path);
    return reached;
}

/* What a folder holds between the runs and after them. */
typedef struct snap {
    int count[NTASKS];         /* lines in counters/<key> */
    int ok[NTASKS];            /* 1: a complete record with status "ok" */
    int ok_last[NTASKS];       /* the same, after the journal's last header */
    int headers, records, bad; /* valid header and record lines; others */
    int lost;                  /* bad lines before the last valid one */
    char *text;                /* the journal */
    size_t good_len;           /* bytes up to its first bad line */
    int unknown; /* records of keys that are no task of the graph */
} snap;

static int lines_in(const char *path) {
    char *text = drt_read_file(path, NULL);
    int n = 0;
    for (const char *p = text; p != NULL && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

static void take_snap(const graph *g, const char *cd, snap *s) {
    memset(s, 0, sizeof *s);
    for (int i = 0; i < g->ntasks; i++) {
        char *p = drt_fmt("%s/counters/%s", cd, key_of(g, i));
        s->count[i] = lines_in(p);
        free(p);
    }
    char *path = drt_fmt("%s/out/journal.jsonl", cd);
    size_t len = 0;
    s->text = drt_read_file(path, &len);
    free(path);
    if (s->text == NULL) {
        s->text = strdup("");
        len = 0;
    }
    int bad_before = 0, in_good = 1;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(s->text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (s->text + at)) : len - at;
        json_t *v = NULL;
        if (nl != NULL && drt_journal_line_ok(s->text + at, n))
            v = json_loadb(s->text + at, n, 0, NULL);
        if (v == NULL) {
            s->bad++;
            bad_before++;
            in_good = 0;
        } else {
            s->lost += bad_before;
            bad_before = 0;
            if (in_good)
                s->good_len = at + n + 1;
            if (json_object_get(v, "journal") != NULL) {
                s->headers++;
                memset(s->ok_last, 0, sizeof s->ok_last);
            } else {
                s->records++;
                const char *key = json_string_value(json_object_get(v, "task"));
                const char *st =
                    json_string_value(json_object_get(v, "status"));
                int i = key ? index_of(g, key) : -1;
                if (i < 0 || i >= g->ntasks)
                    s->unknown++;
                else if (st != NULL && strcmp(st, "ok") == 0)
                    s->ok[i] = s->ok_last[i] = 1;
            }
            json_decref(v);
        }
        at += n + (nl != NULL);
    }
}

/* --------------------------------------------------------- the checks */

typedef struct stop {
    const char *kind; /* table and folder names */
    int sig;          /* what the test sends; 0: the run ends by itself */
    int lines;        /* send it when the journal has this many lines */
    int expect;       /* the first run's exit code (128 + signal) */
    int keep_going, plugin;
    /* > 0: the first resumed run is killed (-9) too, once its journal has
     * this many records more, and a second one runs to the end. */
    int again;
    char moment[48]; /* the table's first column */
} stop;

typedef struct table {
    FILE *f;
    char *path;
    int failed;
} table;

static void table_open(table *t, const char *kind) {
    t->path = drt_fmt("%s/tests/resume-%s.txt", DR_BUILD_DIR, kind);
    t->f = fopen(t->path, "w");
    cr_assert_not_null(t->f, "cannot write %s", t->path);
    t->failed = 0;
    fprintf(t->f,
            "%-16s %4s %7s %5s %6s %5s %6s  %s\n"
            "%-16s %4s %7s %5s %6s %5s %6s  %s\n",
            "moment", "exit", "records", "torn", "unrec", "rerun", "cached",
            "checks", "", "", "ok", "", "ran", "", "", "");
}

/* Prints the table (and fails) when a case failed. */
static void table_close(table *t) {
    fclose(t->f);
    /* Copied and freed first: a failed assertion leaves the test at once,
     * and the leak checker would blame the test's own strings. */
    static char report[128 * 1024];
    char *text = drt_read_file(t->path, NULL);
    snprintf(report, sizeof report, "%d cases failed (%s):\n%s", t->failed,
             t->path, text ? text : "");
    free(text);
    free(t->path);
    cr_assert_eq(t->failed, 0, "%s", report);
}

/* Appends "; what" to the case's verdict. */
static void why(char *verdict, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why(char *verdict, size_t size, const char *fmt, ...) {
    size_t used = strlen(verdict);
    if (used + 4 >= size)
        return;
    if (used > 0)
        used += (size_t)snprintf(verdict + used, size - used, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(verdict + used, size - used, fmt, ap);
    va_end(ap);
    /* One row per case: quoted messages lose their newlines. */
    for (char *p = verdict + used; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

/* The files the commands wrote, compared with the clean run's. */
static int outputs_differ(const char *cd, const char *clean, char *first,
                          size_t size) {
    int differ = 0;
    for (int l = 0; l < LAYERS; l++)
        for (int i = 0; i < WIDTH; i++) {
            char *a = drt_fmt("%s/files/t%d-%02d.txt", cd, l, i);
            char *b = drt_fmt("%s/files/t%d-%02d.txt", clean, l, i);
            char *ta = drt_read_file(a, NULL), *tb = drt_read_file(b, NULL);
            if (ta == NULL || tb == NULL || strcmp(ta, tb) != 0) {
                if (differ++ == 0)
                    snprintf(first, size, "t%d-%02d.txt %s", l, i,
                             ta == NULL ? "missing" : "differs");
            }
            free(ta), free(tb), free(a), free(b);
        }
    return differ;
}

static int cached_in_summary(const char *cd) {
    char *p = drt_fmt("%s/out/summary.json", cd);
    json_t *s = json_load_file(p, 0, NULL);
    free(p);
    json_t *c = json_object_get(s, "cached_tasks");
    int n = json_is_integer(c) ? (int)json_integer_value(c) : -1;
    json_decref(s);
    return n;
}

/* Keeps a failed case's folder for a look (build/tests/resume-failed/). */
static void keep_failed(const char *cd, const stop *st, int number) {
    char *to =
        drt_fmt("%s/tests/resume-failed/%s-%d", DR_BUILD_DIR, st->kind, number);
    char *cmd = drt_fmt("mkdir -p '%s/tests/resume-failed' && rm -rf '%s' && "
                        "cp -r '%s' '%s'",
                        DR_BUILD_DIR, to, cd, to);
    if (system(cmd) != 0)
        fprintf(stderr, "could not keep %s\n", cd);
    free(cmd), free(to);
}

/*
 * One case: a fresh folder, the first run stopped as `st` says, then
 * --resume to the end, and every check of the file comment.  Appends the
 * case's row to the table.
 */
static void run_case(const graph *g, const char *graph_text, const char *clean,
                     const stop *st, int number, table *tab) {
    char *name = drt_fmt("%s-%d", st->kind, number);
    char *cd = make_case(name, graph_text, 0);
    static unsigned serial;
    char mark[128];
    snprintf(mark, sizeof mark, "DRT_MARK=resume-%s-%ld-%u-%ld", name,
             (long)getpid(), ++serial, (long)time(NULL));
    char verdict[1024] = "";
    char who[2048];

    /* The first run, stopped. */
    pid_t pid = start_run(cd, mark, 0, st->keep_going, st->plugin, "first");
    int reached = 1;
    if (st->sig != 0) {
        reached = wait_for_lines(pid, cd, st->lines);
        if (reached)
            kill(pid, st->sig);
        else
            /* Records are written as attempts end, not at the end of the
             * run: every moment is reached while it runs. */
            why(verdict, sizeof verdict,
                "the run ended before its journal held %d lines", st->lines);
    }
    int status = 0;
    if (drt_reap(pid, 180, &status) != 0)
        why(verdict, sizeof verdict, "first run hung");
    int code = drt_exit_code(status), first_code = code;
    int expect = reached ? st->expect : 0;
    if (code != expect) {
        char *err = drt_text_in(cd, "first.err");
        why(verdict, sizeof verdict, "first run exit %d, not %d: %.200s", code,
            expect, err);
        free(err);
    }
    int left = drt_wait_unmarked(mark, who, sizeof who);
    if (left > 0)
        why(verdict, sizeof verdict, "%d processes outlive the first run:%s",
            left, who);
    if (g->fail >= 0) {
        /* The failed attempt's declared output was written, and removed. */
        char *p = drt_fmt("%s/files/%s.txt", cd, g->t[g->fail].key);
        if (access(p, F_OK) == 0)
            why(verdict, sizeof verdict,
                "the output of the failed attempt of %s is still there",
                g->t[g->fail].key);
        free(p);
    }
    snap before;
    take_snap(g, cd, &before);
    for (int i = 0; i < g->ntasks; i++)
        if (before.count[i] > 1)
            why(verdict, sizeof verdict, "%s ran %d times in the first run",
                key_of(g, i), before.count[i]);
    if (st->again > 0) {
        /* A resumed run killed as well: it must not run what the first
         * recorded, nor lose a line of it; then what the journal holds is
         * what the last resume may trust. */
        int had = 0;
        for (const char *p = before.text; *p; p++)
            had += *p == '\n';
        pid = start_run(cd, mark, 1, st->keep_going, st->plugin, "again");
        if (wait_for_lines(pid, cd, had + 1 + st->again))
            kill(pid, SIGKILL);
        else
            why(verdict, sizeof verdict,
                "the resumed run ended before its journal held %d records "
                "more",
                st->again);
        if (drt_reap(pid, 180, &status) != 0)
            why(verdict, sizeof verdict, "the killed resumed run hung");
        if (drt_exit_code(status) != 128 + SIGKILL)
            why(verdict, sizeof verdict, "the killed resumed run: exit %d",
                drt_exit_code(status));
        left = drt_wait_unmarked(mark, who, sizeof who);
        if (left > 0)
            why(verdict, sizeof verdict,
                "%d processes outlive the killed resumed run:%s", left, who);
        snap mid;
        take_snap(g, cd, &mid);
        for (int i = 0; i < g->ntasks; i++)
            if (before.ok[i] && mid.count[i] != before.count[i])
                why(verdict, sizeof verdict,
                    "%s was recorded, and ran again in the resumed run",
                    key_of(g, i));
        if (strncmp(mid.text, before.text, before.good_len) != 0)
            why(verdict, sizeof verdict,
                "the killed resumed run lost lines of the journal");
        free(before.text);
        before = mid;
    }
    int recorded = 0, unrecorded = 0;
    for (int i = 0; i < g->ntasks; i++) {
        recorded += before.ok[i];
        unrecorded += !before.ok[i] && before.count[i] > 0;
    }
    if (before.unknown > 0)
        why(verdict, sizeof verdict, "%d records of unknown tasks",
            before.unknown);

    /* The resumed run, to the end. */
    pid = start_run(cd, mark, 1, st->keep_going, st->plugin, "resume");
    if (drt_reap(pid, 180, &status) != 0)
        why(verdict, sizeof verdict, "resumed run hung");
    code = drt_exit_code(status);
    if (code != 0) {
        char *err = drt_text_in(cd, "resume.err");
        why(verdict, sizeof verdict, "resumed run exit %d: %.300s", code, err);
        free(err);
    }
    left = drt_wait_unmarked(mark, who, sizeof who);
    if (left > 0)
        why(verdict, sizeof verdict, "%d processes outlive the resumed run:%s",
            left, who);
    snap after;
    take_snap(g, cd, &after);
    int rerun = 0, count_errors = 0;
    for (int i = 0; i < g->ntasks; i++) {
        int b = before.count[i], a = after.count[i];
        rerun += a > b;
        const char *k = key_of(g, i);
        /* Killed twice, a task may have run unrecorded in the first run
         * and recorded in the second. */
        int most = st->again > 0 ? 2 : 1;
        int wrong =
            before.ok[i] ? !(b >= 1 && b <= most && a == b) : !(a == b + 1);
        wrong |= a > most + 1;
        if (wrong && count_errors++ < 4)
            why(verdict, sizeof verdict, "%s (%s) ran %d times, then %d more",
                k, before.ok[i] ? "recorded" : "not recorded", b, a - b);
        if (after.ok_last[i] != (a > b) && count_errors++ < 4)
            why(verdict, sizeof verdict,
                "%s ran %d times in the resumed run, its journal says %s", k,
                a - b, after.ok_last[i] ? "it ran" : "it did not");
    }
    if (g->fail >= 0 && st->keep_going) {
        /* Everything else succeeded: exactly the failed task and what
         * depends on it ran again. */
        for (int i = 0; i < g->ntasks; i++) {
            int want = depends_on(g, i, g->fail);
            int got = after.count[i] > before.count[i];
            if (want != got && count_errors++ < 4)
                why(verdict, sizeof verdict, "%s %s, but it %s on %s",
                    key_of(g, i), got ? "ran again" : "did not run again",
                    want ? "depends" : "does not depend", g->t[g->fail].key);
        }
    }
    if (count_errors > 4)
        why(verdict, sizeof verdict, "%d counter errors in all", count_errors);
    int cached = cached_in_summary(cd);
    if (cached != recorded)
        why(verdict, sizeof verdict,
            "summary.json cached_tasks %d, %d tasks were recorded ok", cached,
            recorded);
    char first[128] = "";
    int differ = outputs_differ(cd, clean, first, sizeof first);
    if (differ > 0)
        why(verdict, sizeof verdict,
            "%d outputs differ from a clean run's (%s)", differ, first);

    /* The journal: whole, kept, readable. */
    if (after.bad > 0)
        why(verdict, sizeof verdict, "%d bad lines in the final journal",
            after.bad);
    if (strncmp(after.text, before.text, before.good_len) != 0)
        why(verdict, sizeof verdict,
            "the resumed run lost lines of the journal (%zu valid bytes "
            "before)",
            before.good_len);
    if (after.headers < 1)
        why(verdict, sizeof verdict, "no header in the final journal");
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "log '%s/out'", cd);
    if (rc != 0)
        why(verdict, sizeof verdict, "dagrun log: exit %d: %.200s", rc, err);
    for (int i = 0; rc == 0 && i < g->ntasks; i++)
        if (strstr(out, key_of(g, i)) == NULL) {
            why(verdict, sizeof verdict, "dagrun log does not list %s",
                key_of(g, i));
            break;
        }
    free(out), free(err);
    /* From another folder, naming the same working folder. */
    rc = drt_cli(&out, &err,
                 "run '%s/graph.json' -o '%s/out' --workdir '%s' --dry-run%s",
                 cd, cd, cd,
                 st->plugin ? " --plugin '" DR_CRASH_PLUGIN "'" : "");
    if (rc != 0)
        why(verdict, sizeof verdict, "--dry-run after it all: exit %d: %.200s",
            rc, err);
    for (int i = 0; rc == 0 && i < g->ntasks; i++) {
        char *line = drt_fmt("%s:", key_of(g, i));
        int listed = strstr(out, line) != NULL;
        free(line);
        if (listed) {
            why(verdict, sizeof verdict,
                "--dry-run after it all would run %s:\n%.300s", key_of(g, i),
                out);
            break;
        }
    }
    free(out), free(err);

    int torn = before.bad;
    fprintf(tab->f, "%-16s %4d %7d %5d %6d %5d %6d  %s\n", st->moment,
            first_code, recorded, torn, unrecorded, rerun, cached,
            verdict[0] ? verdict : "ok");
    fflush(tab->f);
    if (verdict[0] != '\0') {
        tab->failed++;
        keep_failed(cd, st, number);
    }
    drt_rmtree(cd);
    free(before.text), free(after.text);
    free(cd), free(name);
}

/* The clean run every case's outputs are compared with: flags made, so
 * nothing fails; every task must run once and succeed. */
static char *clean_run(const graph *g, const char *graph_text, int plugin) {
    char *cd = make_case("clean", graph_text, 1);
    char mark[96];
    snprintf(mark, sizeof mark, "DRT_MARK=resume-clean-%ld-%ld", (long)getpid(),
             (long)time(NULL));
    pid_t pid = start_run(cd, mark, 0, 0, plugin, "first");
    int status = 0;
    cr_assert_eq(drt_reap(pid, 180, &status), 0, "the clean run hung");
    char *err = drt_text_in(cd, "first.err");
    cr_assert_eq(drt_exit_code(status), 0, "the clean run failed: %s", err);
    free(err);
    snap s;
    take_snap(g, cd, &s);
    for (int i = 0; i < g->ntasks; i++)
        cr_assert_eq(s.count[i], 1, "%s ran %d times in the clean run",
                     key_of(g, i), s.count[i]);
    free(s.text);
    return cd;
}

/* Mixes a test's seed with a case number. */
static uint64_t case_seed(uint64_t seed, int number) {
    uint64_t s = seed ^ ((uint64_t)number * 0x2545f4914f6cdd1dULL);
    return rng(&s);
}

/* `cases` stops by `sig`, the first as soon as the journal exists and the
 * others once the journal holds a number of records drawn from the case's
 * seed in its share of the run, so that the moments cover it all. */
static void stopped_by_signal(const char *kind, int sig, int cases,
                              uint64_t seed) {
    graph g;
    make_graph(&g, seed, -1, -1);
    char *text = graph_json(&g);
    char *clean = clean_run(&g, text, 0);
    table tab;
    table_open(&tab, kind);
    for (int m = 0; m < cases; m++) {
        stop st = {.kind = kind, .sig = sig, .expect = 128 + sig};
        if (m == 0) {
            st.lines = 0;
            snprintf(st.moment, sizeof st.moment, "%s@journal",
                     sig == SIGKILL ? "kill" : "int");
        } else {
            /* The header, then records; the last share ends before the
             * last ten tasks. */
            int span = (NCMD - 10) / (cases - 1);
            uint64_t s = case_seed(seed, m);
            int records = (m - 1) * span + (int)(rng(&s) % (uint64_t)span);
            st.lines = 1 + records;
            snprintf(st.moment, sizeof st.moment, "%s@%d",
                     sig == SIGKILL ? "kill" : "int", records);
        }
        run_case(&g, text, clean, &st, m, &tab);
    }
    /* kill -9, then the resumed run killed too, then the last resume. */
    for (int k = 0; sig == SIGKILL && k < 4; k++) {
        uint64_t s = case_seed(seed, 100 + k);
        int records = 30 + 40 * k + (int)(rng(&s) % 20);
        int again = 1 + (int)(rng(&s) % (uint64_t)((NCMD - records) / 2));
        stop st = {.kind = kind,
                   .sig = sig,
                   .expect = 128 + sig,
                   .lines = 1 + records,
                   .again = again};
        snprintf(st.moment, sizeof st.moment, "kill@%d+%d", records, again);
        run_case(&g, text, clean, &st, cases + k, &tab);
    }
    free(clean), free(text);
    table_close(&tab);
}

Test(resume_kill, sigkill_at_24_moments_then_resume_and_4_killed_twice,
     .init = setup, .fini = teardown, .timeout = 1800) {
    stopped_by_signal("kill9", SIGKILL, 24, 0x5eed0001);
}

Test(resume_kill, sigint_at_8_moments_then_resume, .init = setup,
     .fini = teardown, .timeout = 900) {
    stopped_by_signal("sigint", SIGINT, 8, 0x5eed0002);
}

Test(resume_kill, a_task_failing_once_with_and_without_keep_going,
     .init = setup, .fini = teardown, .timeout = 900) {
    /* A task of layer 1 and one of layer 3, each failing its first attempt
     * after writing its declared output (which dagrun must remove).  The
     * output of every task does not depend on which fails, so one clean
     * run serves all four. */
    static const int fails[] = {1 * WIDTH + 17, 3 * WIDTH + 4};
    graph g;
    make_graph(&g, 0x5eed0003, -1, -1);
    char *text = graph_json(&g);
    char *clean = clean_run(&g, text, 0);
    free(text);
    table tab;
    table_open(&tab, "failure");
    int number = 0;
    for (size_t f = 0; f < 2; f++)
        for (int keep = 0; keep < 2; keep++) {
            make_graph(&g, 0x5eed0003, fails[f], -1);
            text = graph_json(&g);
            stop st = {.kind = "failure", .expect = 1, .keep_going = keep};
            snprintf(st.moment, sizeof st.moment, "%s fails%s",
                     g.t[fails[f]].key, keep ? " -k" : "");
            run_case(&g, text, clean, &st, number++, &tab);
            free(text);
        }
    free(clean);
    table_close(&tab);
}

Test(resume_kill, dagrun_crashing_in_a_c_function_task, .init = setup,
     .fini = teardown, .timeout = 900) {
    /* "crash" (a plugin op) aborts dagrun the first time it runs; it is
     * put early, in the middle and late in the graph. */
    static const int layers[] = {0, 1, 2, 4};
    table tab;
    table_open(&tab, "crash");
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
        graph g;
        make_graph(&g, 0x5eed0004, -1, layers[k]);
        char *text = graph_json(&g);
        char *name = drt_fmt("clean-%zu", k);
        char *clean = clean_run(&g, text, 1);
        /* Each variant has its own clean folder name. */
        char *moved = drt_fmt("%s/%s", dir, name);
        cr_assert_eq(rename(clean, moved), 0);
        stop st = {.kind = "crash", .expect = 128 + SIGABRT, .plugin = 1};
        snprintf(st.moment, sizeof st.moment, "abort in layer %d", layers[k]);
        run_case(&g, text, moved, &st, (int)k, &tab);
        free(moved), free(name), free(clean), free(text);
    }
    table_close(&tab);
}
