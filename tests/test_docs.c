/*
 * The commands of README.md, docs/lab.md and docs/mpi.md, run as written.
 *
 * docs/doctest.md is the contract: every ```sh block of a document runs, in
 * order, in one /bin/sh, from the root of a fresh copy of the source tree
 * with HOME set to a scratch folder; each command must exit 0 (or the code
 * a "# exits: N" line after it gives) and print the lines its "# prints:"
 * lines say.  HTML comments `<!-- doctest: ... -->` mark what cannot run
 * as written: a block to skip (with the reason), a block that is a file to
 * save, the size options that shorten long runs (only options the document
 * itself shows), and documents that assume the README's build.
 *
 * Nothing here knows the documents' commands: they are parsed from the
 * Markdown each time, so editing a document edits its test.
 */
#define _GNU_SOURCE
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun/run.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ parsing */

typedef struct doc_cmd {
    char *text;    /* the command line(s), shortened if a rule says so */
    int line;      /* its first line in the document */
    int exit_code; /* expected exit status */
    char **prints; /* lines its output must contain, in order */
    size_t nprints;
} doc_cmd;

typedef struct doc_file {
    char *name, *text;
} doc_file;

typedef struct doc {
    const char *path;
    doc_cmd *cmds;
    size_t ncmds;
    doc_file *files;
    size_t nfiles;
    char **patterns, **args; /* shorten rules */
    size_t nrules;
    int built; /* assumes the README's build in build/ */
} doc;

static void *grow(void *p, size_t n, size_t size) {
    void *q = realloc(p, (n + 1) * size);
    cr_assert_not_null(q);
    return q;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Where the simple command that goes on at `at` ends: the first shell
 * operator (| ; & < >) or comment outside quotes. */
static size_t simple_command_end(const char *cmd, size_t at) {
    char quote = 0;
    for (size_t i = at; cmd[i]; i++) {
        char c = cmd[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && cmd[i + 1])
                i++;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\' && cmd[i + 1]) {
            i++;
        } else if (strchr("|;&<>", c) != NULL ||
                   (c == '#' && cmd[i - 1] == ' ')) {
            return i;
        }
    }
    return strlen(cmd);
}

/* Appends each rule's arguments to every simple command that names its
 * pattern; the last --set wins, so they override the document's sizes. */
static char *shorten(const doc *d, const char *cmd) {
    char *out = strdup(cmd);
    for (size_t r = 0; r < d->nrules; r++) {
        size_t from = 0;
        const char *hit;
        while ((hit = strstr(out + from, d->patterns[r])) != NULL) {
            size_t at = (size_t)(hit - out) + strlen(d->patterns[r]);
            size_t end = simple_command_end(out, at);
            while (end > at && out[end - 1] == ' ')
                end--;
            char *next =
                drt_fmt("%.*s %s%s", (int)end, out, d->args[r], out + end);
            from = end + 1 + strlen(d->args[r]);
            free(out);
            out = next;
        }
    }
    return out;
}

/* Does the document show `text` outside HTML comments? */
static int shows(const char *md, const char *text) {
    for (const char *p = md; (p = strstr(p, text)) != NULL; p++) {
        const char *open = NULL;
        for (const char *q = md; (q = strstr(q, "<!--")) != NULL && q < p; q++)
            open = q;
        const char *close = open ? strstr(open, "-->") : NULL;
        if (open == NULL || (close != NULL && close < p))
            return 1;
    }
    return 0;
}

static void add_rule(doc *d, const char *md, int lineno, char *spec) {
    char *sp = strchr(spec, ' ');
    cr_assert_not_null(sp, "%s:%d: expected 'shorten PATTERN ARGS'", d->path,
                       lineno);
    *sp = '\0';
    char *args = trim(sp + 1);
    /* Only with an option the document itself shows: its text up to and
     * including the '=' ("--set samples="). */
    const char *eq = strchr(args, '=');
    char *shown = strndup(args, eq ? (size_t)(eq - args) + 1 : strlen(args));
    cr_assert(shows(md, shown),
              "%s:%d: shortened with '%s', which the document does not show "
              "outside comments",
              d->path, lineno, shown);
    free(shown);
    d->patterns = grow(d->patterns, d->nrules, sizeof(char *));
    d->args = grow(d->args, d->nrules, sizeof(char *));
    d->patterns[d->nrules] = strdup(spec);
    d->args[d->nrules++] = strdup(args);
}

/* The text of a directive line after "<!-- doctest:", or NULL. */
static char *directive(const doc *d, int lineno, char *line) {
    char *t = trim(line);
    if (strncmp(t, "<!-- doctest:", 13) != 0)
        return NULL;
    size_t n = strlen(t);
    cr_assert(n >= 16 && strcmp(t + n - 3, "-->") == 0,
              "%s:%d: a doctest directive is one line ending in -->", d->path,
              lineno);
    t[n - 3] = '\0';
    return trim(t + 13);
}

enum { PLAIN, SKIP, FILE_BLOCK };

static doc parse(const char *path, const char *md) {
    doc d = {.path = path};
    char *copy = strdup(md);
    int pending = PLAIN, pending_line = 0, kind = PLAIN, runs = 0;
    int in_block = 0;
    char *file_name = NULL, *file_text = NULL;
    char *cmd = NULL; /* a command continued with a backslash */
    int cmd_line = 0, lineno = 0;
    for (char *line = copy, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        char *t = trim(line);
        if (!in_block) {
            char *dir = directive(&d, lineno, t);
            if (dir != NULL) {
                if (strncmp(dir, "skip:", 5) == 0) {
                    cr_assert(*trim(dir + 5) != '\0',
                              "%s:%d: 'skip:' needs a reason", path, lineno);
                    pending = SKIP;
                } else if (strncmp(dir, "file ", 5) == 0) {
                    pending = FILE_BLOCK;
                    free(file_name);
                    file_name = strdup(trim(dir + 5));
                } else if (strncmp(dir, "shorten ", 8) == 0) {
                    add_rule(&d, md, lineno, trim(dir + 8));
                } else if (strcmp(dir, "built") == 0) {
                    d.built = 1;
                } else {
                    cr_assert_fail("%s:%d: unknown doctest directive '%s' "
                                   "(docs/doctest.md lists them)",
                                   path, lineno, dir);
                }
                pending_line = lineno;
                continue;
            }
            if (strncmp(t, "```", 3) == 0) {
                const char *info = t + 3;
                in_block = 1;
                kind = pending;
                runs = kind == PLAIN &&
                       (strcmp(info, "sh") == 0 || strcmp(info, "shell") == 0);
                pending = PLAIN;
                continue;
            }
            cr_assert(pending == PLAIN || *t == '\0',
                      "%s:%d: the directive of line %d is not followed by a "
                      "``` block",
                      path, lineno, pending_line);
            continue;
        }
        if (strcmp(t, "```") == 0) {
            cr_assert_null(cmd, "%s:%d: the block ends inside a command", path,
                           lineno);
            if (kind == FILE_BLOCK) {
                d.files = grow(d.files, d.nfiles, sizeof(*d.files));
                d.files[d.nfiles].name = file_name;
                d.files[d.nfiles++].text = file_text ? file_text : strdup("");
                file_name = file_text = NULL;
            }
            in_block = 0;
            continue;
        }
        if (kind == FILE_BLOCK) {
            char *more = drt_fmt("%s%s\n", file_text ? file_text : "", line);
            free(file_text);
            file_text = more;
            continue;
        }
        if (!runs)
            continue;
        if (cmd == NULL && (*t == '\0' || *t == '#')) {
            int prints = strncmp(t, "# prints:", 9) == 0;
            if (prints || strncmp(t, "# exits:", 8) == 0) {
                cr_assert_gt(d.ncmds, 0, "%s:%d: '%s' before any command", path,
                             lineno, t);
                doc_cmd *c = &d.cmds[d.ncmds - 1];
                if (prints) {
                    c->prints = grow(c->prints, c->nprints, sizeof(char *));
                    c->prints[c->nprints++] = strdup(trim(t + 9));
                } else {
                    c->exit_code = atoi(t + 8);
                }
            }
            continue;
        }
        size_t len = strlen(t);
        int more = len > 0 && t[len - 1] == '\\';
        if (cmd == NULL)
            cmd_line = lineno;
        char *joined = drt_fmt("%s%s%s", cmd ? cmd : "", cmd ? "\n" : "", line);
        free(cmd);
        cmd = joined;
        if (more)
            continue;
        d.cmds = grow(d.cmds, d.ncmds, sizeof(*d.cmds));
        doc_cmd *c = &d.cmds[d.ncmds++];
        memset(c, 0, sizeof(*c));
        c->text = shorten(&d, cmd);
        c->line = cmd_line;
        free(cmd);
        cmd = NULL;
    }
    cr_assert(!in_block, "%s: a ``` block is not closed", path);
    cr_assert(pending == PLAIN, "%s:%d: a directive at the end of the file",
              path, pending_line);
    free(file_name);
    free(copy);
    return d;
}

static void doc_free(doc *d) {
    for (size_t i = 0; i < d->ncmds; i++) {
        for (size_t k = 0; k < d->cmds[i].nprints; k++)
            free(d->cmds[i].prints[k]);
        free(d->cmds[i].prints);
        free(d->cmds[i].text);
    }
    for (size_t i = 0; i < d->nfiles; i++) {
        free(d->files[i].name);
        free(d->files[i].text);
    }
    for (size_t i = 0; i < d->nrules; i++) {
        free(d->patterns[i]);
        free(d->args[i]);
    }
    free(d->cmds);
    free(d->files);
    free(d->patterns);
    free(d->args);
}

/* ------------------------------------------------------------ running */

/* Does `line` match `pattern`, where "..." stands for any text? */
static int matches(const char *pattern, const char *line) {
    const char *dots = strstr(pattern, "...");
    if (dots == NULL)
        return strcmp(pattern, line) == 0;
    size_t head = (size_t)(dots - pattern);
    if (strncmp(pattern, line, head) != 0)
        return 0;
    for (const char *p = line + head;; p++) {
        if (matches(dots + 3, p))
            return 1;
        if (*p == '\0')
            return 0;
    }
}

/* Each "# prints:" line matches a line of the output, in order. */
static void check_prints(const doc *d, const doc_cmd *c, const char *out) {
    char *copy = strdup(out);
    char *line = copy;
    for (size_t k = 0; k < c->nprints; k++) {
        int found = 0;
        while (line != NULL && !found) {
            char *next = strchr(line, '\n');
            if (next != NULL)
                *next++ = '\0';
            found = matches(c->prints[k], trim(line));
            line = next;
        }
        cr_expect(found,
                  "%s:%d: `%s` printed no line matching '%s' (after the "
                  "lines matched before it); it printed:\n%s",
                  d->path, c->line, c->text, c->prints[k], out);
        if (!found)
            break;
    }
    free(copy);
}

/* The last n lines of s. */
static const char *tail(const char *s, int n) {
    const char *p = s + strlen(s);
    while (p > s) {
        if (p[-1] == '\n' && n-- < 0)
            break;
        p--;
    }
    return p;
}

/* A copy of the source tree without build folders, outputs or .git. */
static char *copy_tree(const char *dir, int built) {
    char *src = drt_fmt("%s/src", dir);
    cr_assert_eq(mkdir(src, 0755), 0);
    char *cmd = drt_fmt("cd '%s' && tar cf - --exclude='./build*' "
                        "--exclude=./dagrun-out --exclude=./.git "
                        "--exclude='*.tmp.*' . | (cd '%s' && tar xf -)",
                        DR_SOURCE_DIR, src);
    cr_assert_eq(system(cmd), 0, "could not copy the source tree");
    free(cmd);
    if (built) {
        /* The document assumes the README's build: make it the build
         * under test. */
        char *link = drt_fmt("%s/build", src);
        cr_assert_eq(symlink(DR_BUILD_DIR, link), 0);
        free(link);
    }
    return src;
}

static char *state_file(const char *state, const char *name, size_t i) {
    char *p = drt_fmt("%s/%s.%zu", state, name, i);
    char *text = drt_read_file(p, NULL);
    free(p);
    return text;
}

/* A check of what a document's commands left in the copy of the tree
 * (`src`), run once every command has run as expected. */
typedef void (*doc_check)(const doc *d, const char *src);

/* Runs every command of the document at `rel` (relative to the source
 * tree) and checks exit codes and printed lines, then `check` (may be
 * NULL). */
static void run_doc(const char *rel, size_t min_cmds, doc_check check) {
    char *path = drt_fmt("%s/%s", DR_SOURCE_DIR, rel);
    char *md = drt_read_file(path, NULL);
    cr_assert_not_null(md, "cannot read %s", path);
    doc d = parse(rel, md);
    cr_assert_geq(d.ncmds, min_cmds, "%s: only %zu commands found", rel,
                  d.ncmds);

    char *dir = drt_tmpdir();
    char *src = copy_tree(dir, d.built);
    char *home = drt_fmt("%s/home", dir), *state = drt_fmt("%s/state", dir);
    cr_assert_eq(mkdir(home, 0755), 0);
    cr_assert_eq(mkdir(state, 0755), 0);
    for (size_t i = 0; i < d.nfiles; i++) {
        char *p = drt_fmt("%s/%s", src, d.files[i].name);
        cr_assert_eq(drt_write_file(p, d.files[i].text), 0, "cannot write %s",
                     p);
        free(p);
    }

    /* One shell for the whole document, so that cd and export carry over;
     * it stops at the first command with an unexpected exit status. */
    /* The lab's step 8 crashes a dagrun on purpose and expects the shell's
     * 139; under AddressSanitizer its SEGV handler would report and exit 1
     * instead, so the signal is left to the kernel (ASan still reports
     * every memory error it detects itself). */
    char *script = drt_fmt(
        "HOME='%s'; export HOME\n"
        "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0\"; "
        "export ASAN_OPTIONS\ncd '%s' || exit 99\n",
        home, src);
    for (size_t i = 0; i < d.ncmds; i++) {
        char *more = drt_fmt(
            "%s{\n%s\n} </dev/null >'%s/out.%zu' 2>&1\n"
            "echo $? >'%s/rc.%zu'\n[ \"$(cat '%s/rc.%zu')\" = %d ] || exit 1\n",
            script, d.cmds[i].text, state, i, state, i, state, i,
            d.cmds[i].exit_code);
        free(script);
        script = more;
    }
    char *script_path = drt_fmt("%s/doc.sh", state);
    cr_assert_eq(drt_write_file(script_path, script), 0);
    char *run = drt_fmt("/bin/sh '%s' </dev/null >'%s/shell.out' 2>&1",
                        script_path, state);
    int status = system(run);
    cr_assert_neq(status, -1);

    for (size_t i = 0; i < d.ncmds; i++) {
        const doc_cmd *c = &d.cmds[i];
        char *rc = state_file(state, "rc", i);
        char *out = state_file(state, "out", i);
        if (rc == NULL) {
            char *sh = drt_fmt("%s/shell.out", state);
            char *shell_out = drt_read_file(sh, NULL);
            cr_expect_fail("%s:%d: `%s` did not run; the shell said:\n%s", rel,
                           c->line, c->text, shell_out ? shell_out : "");
            free(shell_out);
            free(sh);
            free(out);
            break;
        }
        int code = atoi(rc);
        cr_expect_eq(code, c->exit_code,
                     "%s:%d: `%s` exited %d, expected %d; its output ends:\n%s",
                     rel, c->line, c->text, code, c->exit_code,
                     out ? tail(out, 40) : "");
        if (code == c->exit_code)
            check_prints(&d, c, out ? out : "");
        free(rc);
        free(out);
        if (code != c->exit_code)
            break;
        if (i + 1 == d.ncmds && check != NULL)
            check(&d, src);
    }
    free(run);
    free(script_path);
    free(script);
    drt_rmtree(dir);
    free(dir);
    free(src);
    free(home);
    free(state);
    doc_free(&d);
    free(md);
    free(path);
}

/* ---------------------------------------------------------- the docs */

Test(docs, readme_commands_run_as_written, .timeout = 1800) {
#ifdef DR_SANITIZED
    /* README's commands build and install their own dagrun (without
     * sanitizers) from a copy of the tree: under a sanitizer build this
     * test would repeat exactly the same run. */
    cr_skip_test("the README builds its own dagrun: run in the plain build");
#endif
    run_doc("README.md", 10, NULL);
}

/* The lesson of a simulated experiment depends on the tasks' durations:
 * every one the lab runs must have them (a cost, or --costs), so that its
 * scaling.json carries no "tasks without a cost" warning.  Reads the -o
 * folder of each `scale` command (they run from the root of the tree). */
static void lab_scales_have_costs(const doc *d, const char *src) {
    for (size_t i = 0; i < d->ncmds; i++) {
        const char *cmd = d->cmds[i].text;
        if (strncmp(cmd, "dagrun scale ", 13) != 0)
            continue;
        const char *o = strstr(cmd, " -o ");
        cr_assert_not_null(o, "`%s` has no -o", cmd);
        o += 4;
        char *path =
            drt_fmt("%s/%.*s/scaling.json", src, (int)strcspn(o, " \n"), o);
        json_error_t e;
        json_t *j = json_load_file(path, 0, &e);
        cr_expect_not_null(j, "%s: %s", path, e.text);
        /* Only the uncosted-task warning: a replay of a trace measured
         * on a busy machine is warned about too, and rightly so when the
         * test runs next to other jobs. */
        const char *w = json_string_value(json_object_get(j, "warning"));
        if (json_is_true(json_object_get(j, "simulated")))
            cr_expect(w == NULL || strstr(w, "have no cost") == NULL,
                      "`%s`: %s", cmd, w);
        json_decref(j);
        free(path);
    }
}

/* The lab keeps its shape: steps "## 1." to "## 8." in order, each with
 * commands of its own to type (parsed as the run above parses them). */
#define LAB_STEPS 8
Test(docs, lab_has_eight_steps_with_commands) {
    char *md = drt_read_file(DR_SOURCE_DIR "/docs/lab.md", NULL);
    cr_assert_not_null(md, "docs/lab.md is missing");
    doc d = parse("docs/lab.md", md);
    int heading[LAB_STEPS + 2] = {0}, lineno = 0;
    for (const char *line = md; line != NULL;) {
        lineno++;
        int n;
        if (sscanf(line, "## %d.", &n) == 1 && n >= 1 && n <= LAB_STEPS)
            heading[n] = lineno;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    heading[LAB_STEPS + 1] = lineno + 1;
    for (int step = 1; step <= LAB_STEPS; step++)
        cr_assert_gt(heading[step], 0, "step %d has no heading", step);
    for (int step = 1; step <= LAB_STEPS; step++) {
        cr_assert_gt(heading[step + 1], heading[step],
                     "step %d comes after step %d", step + 1, step);
        size_t cmds = 0;
        for (size_t i = 0; i < d.ncmds; i++)
            cmds += d.cmds[i].line > heading[step] &&
                    d.cmds[i].line < heading[step + 1];
        cr_expect_gt(cmds, 0, "step %d has no commands", step);
    }
    doc_free(&d);
    free(md);
}

Test(docs, lab_commands_run_as_written, .timeout = 1200) {
    run_doc("docs/lab.md", 20, lab_scales_have_costs);
}

/* docs/taskbench.md: Task Bench graphs, their errors and a simulated
 * METG point. */
Test(docs, taskbench_commands_run_as_written, .timeout = 600) {
    run_doc("docs/taskbench.md", 7, NULL);
}

/* docs/mpi.md's one-machine commands start real MPI jobs (its cluster and
 * Slurm commands are marked skip). */
Test(docs, mpi_commands_run_as_written, .timeout = 600) {
#ifdef DR_SANITIZED
    /* Open MPI's own allocations, in components it has unloaded, are leaks
     * to LeakSanitizer that no suppression can name (unknown frames): every
     * rank would exit 1.  tests/test_mpi_example.c runs MPI jobs under the
     * sanitizers, with leak checking off. */
    cr_skip_test("LeakSanitizer reports Open MPI's own allocations");
#endif
    if (!dr_mpi_available())
        cr_skip_test("dagrun was built without MPI");
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        cr_skip_test("mpirun is not on PATH (scripts/setup.sh installs "
                     "openmpi-bin)");
    /* Open MPI's session folders in a folder of this test's own, not in
     * the /tmp/ompi.HOST.UID every mpirun shares (test_exec_mpi.c). */
    char *base = drt_tmpdir();
    setenv("OMPI_MCA_orte_tmpdir_base", base, 1);
    run_doc("docs/mpi.md", 5, NULL);
    drt_rmtree(base);
    free(base);
}

/* ------------------------------------------------- the mechanism itself */

Test(docs, commands_are_parsed_with_directives_and_expectations) {
    const char md[] = "Intro with `--set n=` shown.\n"
                      "\n"
                      "<!-- doctest: shorten g.json --set n=2 -->\n"
                      "```sh\n"
                      "echo one  # a comment\n"
                      "# prints: one\n"
                      "tool g.json -x | wc -l\n"
                      "false\n"
                      "# exits: 1\n"
                      "echo a \\\n"
                      "  b\n"
                      "```\n"
                      "<!-- doctest: skip: not here -->\n"
                      "```sh\n"
                      "rm -rf /\n"
                      "```\n"
                      "<!-- doctest: file f.c -->\n"
                      "```c\n"
                      "int main(void) { return 0; }\n"
                      "```\n"
                      "```json\n"
                      "{\"not\": \"run\"}\n"
                      "```\n";
    doc d = parse("t.md", md);
    cr_assert_eq(d.ncmds, 4);
    cr_expect_str_eq(d.cmds[0].text, "echo one  # a comment");
    cr_assert_eq(d.cmds[0].nprints, 1);
    cr_expect_str_eq(d.cmds[0].prints[0], "one");
    cr_expect_str_eq(d.cmds[1].text, "tool g.json -x --set n=2 | wc -l");
    cr_expect_eq(d.cmds[2].exit_code, 1);
    cr_expect_str_eq(d.cmds[3].text, "echo a \\\n  b");
    cr_expect_eq(d.cmds[3].line, 10);
    cr_assert_eq(d.nfiles, 1);
    cr_expect_str_eq(d.files[0].name, "f.c");
    cr_expect_str_eq(d.files[0].text, "int main(void) { return 0; }\n");
    doc_free(&d);

    cr_expect(matches("sum = 285 in ... ms", "sum = 285 in 8.2 ms"));
    cr_expect(!matches("sum = 285 in ... ms", "sum = 284 in 8.2 ms"));
    cr_expect(matches("a ... b ... c", "a 1 b 2 c"));
    cr_expect(!matches("exact", "exact and more"));
}

Test(docs, a_shortening_option_must_be_shown_outside_comments) {
    /* parse() refuses such a rule with an assertion (that would fail this
     * test): check the predicate it uses. */
    const char md[] = "<!-- doctest: shorten g.json --set hidden=1 -->\n"
                      "```sh\ntool g.json\n```\n";
    cr_expect(!shows(md, "--set hidden="));
    cr_expect(shows("see `--set hidden=` <!-- x -->", "--set hidden="));
    cr_expect(!shows("<!-- --set hidden= -->", "--set hidden="));
}
