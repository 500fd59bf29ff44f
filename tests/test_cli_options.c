/*
 * Option errors and --help, for every subcommand: a mistyped option is one
 * line on stderr with "did you mean", every --help ends with the exit codes
 * that command can return (and the README's table agrees), the columns of
 * every --help line up, every line fits 80 columns, and the options are one
 * block under "Options:".
 *
 * The commands and their options are read from `dagrun --help` and each
 * command's --help, so a new command or option is covered without an edit
 * here.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

typedef struct names {
    char **v;
    size_t n;
} names;

static void names_add(names *l, const char *s, size_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i]) == len && strncmp(l->v[i], s, len) == 0)
            return;
    l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
    cr_assert_not_null(l->v);
    l->v[l->n++] = strndup(s, len);
}

static void names_free(names *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static size_t count_lines(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The subcommands listed under "Commands:" in `dagrun --help`. */
static names commands(void) {
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "--help"), 0);
    const char *p = strstr(out, "\nCommands:\n");
    cr_assert_not_null(p, "no Commands: in dagrun --help:\n%s", out);
    p += strlen("\nCommands:\n");
    names l = {0};
    while (strncmp(p, "  ", 2) == 0) {
        p += 2;
        names_add(&l, p, strcspn(p, " \n"));
        p += strcspn(p, "\n") + 1;
    }
    free(out);
    cr_assert_geq(l.n, 8, "too few commands in dagrun --help");
    return l;
}

static char *help_of(const char *cmd) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "%s --help", cmd);
    cr_assert_eq(rc, 0, "dagrun %s --help exited %d: %s", cmd, rc, err);
    cr_assert_str_empty(err, "dagrun %s --help wrote to stderr: %s", cmd, err);
    free(err);
    return out;
}

/* The long options an option line of a --help names: lines that start
 * with spaces and '-', every "--name" before the description. */
static names long_options_of(const char *help) {
    names l = {0};
    for (const char *line = help; *line;) {
        size_t len = strcspn(line, "\n");
        size_t i = strspn(line, " ");
        if (i > 0 && i < len && line[i] == '-') {
            /* The option part ends at the first run of two spaces. */
            const char *end = strstr(line + i, "  ");
            size_t stop =
                end && (size_t)(end - line) < len ? (size_t)(end - line) : len;
            for (size_t k = i; k + 2 < stop; k++)
                if (line[k] == '-' && line[k + 1] == '-' &&
                    (k == i || line[k - 1] == ' ' || line[k - 1] == ',')) {
                    size_t n = strcspn(line + k + 2, " =,[\n");
                    if (n > 0)
                        names_add(&l, line + k + 2, n);
                }
        }
        line += len + (line[len] == '\n');
    }
    return l;
}

/* Is `s` a prefix of one of the options (getopt_long would accept it)? */
static int abbreviates(const names *opts, const char *s) {
    for (size_t i = 0; i < opts->n; i++)
        if (strncmp(opts->v[i], s, strlen(s)) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------- typos */

static void check_typo(const char *cmd, const char *name, const char *typo) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "%s --%s x", cmd, typo);
    cr_expect_eq(rc, 2, "dagrun %s --%s: exit %d", cmd, typo, rc);
    cr_expect_eq(count_lines(err), 1,
                 "dagrun %s --%s: not one line on stderr:\n%s", cmd, typo, err);
    char *opt = drt_fmt("'--%s'", name);
    cr_expect(strstr(err, "did you mean ") != NULL && strstr(err, opt) != NULL,
              "dagrun %s --%s: no suggestion of --%s:\n%s", cmd, typo, name,
              err);
    char *prefix = drt_fmt("dagrun %s: unknown option '--%s'", cmd, typo);
    cr_expect(strncmp(err, prefix, strlen(prefix)) == 0,
              "dagrun %s --%s: the line does not start with '%s':\n%s", cmd,
              typo, prefix, err);
    free(prefix);
    free(opt);
    free(err);
}

Test(cli_options, every_option_typo_of_every_command_gets_one_line_with_a_hint,
     .timeout = 300) {
    names cmds = commands();
    size_t checked = 0;
    for (size_t c = 0; c < cmds.n; c++) {
        char *help = help_of(cmds.v[c]);
        names opts = long_options_of(help);
        cr_assert_geq(opts.n, 1, "no options found in dagrun %s --help",
                      cmds.v[c]);
        for (size_t i = 0; i < opts.n; i++) {
            const char *name = opts.v[i];
            size_t len = strlen(name);
            if (len < 4)
                continue;
            /* A letter left out (--wokers) and two letters swapped
             * (--wrokers), both inside the name so that the typo is not an
             * abbreviation getopt_long would accept. */
            char *drop = strdup(name);
            memmove(drop + 2, drop + 3, len - 2);
            char *swap = strdup(name);
            char t = swap[1];
            swap[1] = swap[2];
            swap[2] = t;
            if (!abbreviates(&opts, drop)) {
                check_typo(cmds.v[c], name, drop);
                checked++;
            }
            if (swap[1] != swap[2] && !abbreviates(&opts, swap)) {
                check_typo(cmds.v[c], name, swap);
                checked++;
            }
            free(drop);
            free(swap);
        }
        names_free(&opts);
        free(help);
    }
    cr_expect_geq(checked, 60, "only %zu typos checked", checked);
    names_free(&cmds);
}

Test(cli_options, wokers_is_one_line_that_suggests_workers) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run examples/pi.json --wokers 2");
    cr_expect_eq(rc, 2);
    cr_expect_str_eq(err, "dagrun run: unknown option '--wokers' (did you "
                          "mean '--workers'?)\n");
    cr_expect_str_empty(out);
    free(out);
    free(err);
    /* The same before the graph, where `dagrun` hands over to run. */
    rc = drt_cli(NULL, &err, "--wokers 2 examples/pi.json");
    cr_expect_eq(rc, 2);
    cr_expect_str_eq(err, "dagrun run: unknown option '--wokers' (did you "
                          "mean '--workers'?)\n");
    free(err);
}

Test(cli_options, an_ambiguous_abbreviation_names_its_candidates) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "run g.json --out x");
    cr_expect_eq(rc, 2);
    cr_expect_str_eq(err, "dagrun run: ambiguous option '--out' (did you mean "
                          "'--output-dir' or '--output'?)\n");
    free(err);
}

Test(cli_options, a_missing_or_unexpected_value_is_one_line) {
    struct {
        const char *args, *expect;
    } cases[] = {
        {"run g.json --workers",
         "dagrun run: option '--workers' needs a value (see 'dagrun run "
         "--help')\n"},
        {"run g.json -w",
         "dagrun run: option '-w' needs a value (see 'dagrun run --help')\n"},
        {"run g.json --simulate=3",
         "dagrun run: option '--simulate' takes no value (got "
         "'--simulate=3')\n"},
        {"gen chain --seed",
         "dagrun gen: option '--seed' needs a value (see 'dagrun gen "
         "--help')\n"},
        {"run g.json -z",
         "dagrun run: unknown option '-z' (see 'dagrun run --help')\n"},
        {"run g.json -W 2",
         "dagrun run: unknown option '-W' (did you mean '-w'?)\n"},
        {"scale g.json --zzzzzz",
         "dagrun scale: unknown option '--zzzzzz' (see 'dagrun scale "
         "--help')\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err = NULL;
        int rc = drt_cli(NULL, &err, "%s", cases[i].args);
        cr_expect_eq(rc, 2, "%s: exit %d", cases[i].args, rc);
        cr_expect_str_eq(err, cases[i].expect, "%s", cases[i].args);
        free(err);
    }
}

Test(cli_options, command_and_global_option_typos_are_one_line) {
    char *err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "sclae g.json"), 2);
    cr_expect_str_eq(
        err, "dagrun: unknown command 'sclae' (did you mean 'scale'?)\n");
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "--verison"), 2);
    cr_expect_str_eq(
        err,
        "dagrun: unknown option '--verison' (did you mean '--version'?)\n");
    free(err);
}

Test(cli_options, run_options_before_the_graph_are_run_options) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"tasks\": [{\"id\": \"a\"}]}"), 0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "-w 1 --no-outputs '%s'", g);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "1 worker"), "%s", out);
    free(out);
    free(err);
    free(g);
    drt_rmtree(dir);
    free(dir);
}

/* ----------------------------------------------------------- exit codes */

/* The codes listed in the "Exit codes" paragraph that ends a --help, as a
 * bit set (bit 0: 0, bit 1: 1, bit 2: 2, bit 3: 130). */
static unsigned code_bit(int code) {
    return code == 130 ? 8u : code >= 0 && code <= 2 ? 1u << code : 16u;
}

static unsigned help_codes(const char *cmd, const char *help) {
    const char *p = strstr(help, "Exit codes");
    cr_assert_not_null(p, "dagrun %s --help has no exit codes", cmd);
    p += strcspn(p, "\n") + 1;
    unsigned set = 0;
    while (strncmp(p, "  ", 2) == 0) {
        set |= code_bit(atoi(p));
        p += strcspn(p, "\n");
        p += *p == '\n';
    }
    cr_expect_str_empty(p, "dagrun %s --help: text after the exit codes: %s",
                        cmd, p);
    return set;
}

/* The README's exit-code table: the codes whose "returned by" cell says
 * "every command" or names `cmd` in backquotes. */
static unsigned readme_codes(const char *readme, const char *cmd) {
    const char *p = strstr(readme, "| code | meaning | returned by |");
    cr_assert_not_null(p, "README.md has no exit-code table");
    p += strcspn(p, "\n") + 1;
    p += strcspn(p, "\n") + 1; /* the |---| line */
    char *tick = drt_fmt("`%s`", cmd);
    unsigned set = 0;
    while (*p == '|') {
        size_t len = strcspn(p, "\n");
        char *row = strndup(p, len);
        int code = atoi(row + 1);
        char *last = strrchr(row, '|');
        *last = '\0';
        char *cell = strrchr(row, '|');
        if (strstr(cell, "every command") || strstr(cell, tick))
            set |= code_bit(code);
        free(row);
        p += len + (p[len] == '\n');
    }
    free(tick);
    return set;
}

Test(cli_options, every_help_ends_with_the_exit_codes_of_its_command) {
    char *readme = drt_read_file(DR_SOURCE_DIR "/README.md", NULL);
    cr_assert_not_null(readme);
    names cmds = commands();
    for (size_t c = 0; c < cmds.n; c++) {
        const char *cmd = cmds.v[c];
        char *help = help_of(cmd);
        unsigned set = help_codes(cmd, help);
        int runs_tasks = strcmp(cmd, "run") == 0 || strcmp(cmd, "scale") == 0;
        /* Only the commands that run tasks can fail a task or be
         * interrupted; every command succeeds or reports a usage error. */
        unsigned expect = runs_tasks ? (1u | 2u | 4u | 8u) : (1u | 4u);
        cr_expect_eq(
            set, expect,
            "dagrun %s --help lists exit codes 0x%x, expected 0x%x:\n%s", cmd,
            set, expect, help);
        cr_expect_eq(readme_codes(readme, cmd), set,
                     "README's exit-code table disagrees with dagrun %s --help",
                     cmd);
        free(help);
    }
    names_free(&cmds);
    free(readme);
}

Test(cli_options, commands_that_run_no_task_exit_2_when_they_cannot_write) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"tasks\": [{\"id\": \"a\"}]}"), 0);
    const char *cmds[] = {
        "gen chain -o /proc/no/such/dir/g.json",
        "convert '%s' -o /proc/no/such/dir/g.json",
        "viz '%s' -o /proc/no/such/dir/g.svg",
        "analyze /proc/no/such/graph.json",
        "validate /proc/no/such/graph.json",
        "gantt /proc/no/such/trace.json -o /proc/no/such/dir/g.svg",
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *args = drt_fmt(cmds[i], g);
        char *err = NULL;
        int rc = drt_cli(NULL, &err, "%s", args);
        cr_expect_eq(rc, 2, "dagrun %s: exit %d (%s)", args, rc, err);
        free(err);
        free(args);
    }
    free(g);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------ columns */

/* Display columns of the first n bytes of s (UTF-8: count lead bytes). */
static size_t columns(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/*
 * In each block of indented lines (split by blank or unindented lines),
 * every "term  description" line -- an indent, a term without two spaces
 * in a row, two or more spaces, text -- starts its description at the same
 * display column, and lines that only continue a description start there
 * too (a line indented within 3 columns of it counts as one).
 */
static void check_columns(const char *what, const char *help) {
    long col = -1;
    size_t lineno = 0;
    for (const char *line = help; *line; lineno++) {
        size_t len = strcspn(line, "\n");
        size_t indent = strspn(line, " ");
        if (len == 0 || indent == 0) {
            col = -1; /* a new block */
        } else if (col >= 0 && labs((long)columns(line, indent) - col) <= 3) {
            /* Continues the description above: two spaces after a full
             * stop inside it are not a new term. */
            cr_expect_eq((long)columns(line, indent), col,
                         "%s, line %zu: continuation at column %ld, the "
                         "block's at %ld:\n%.*s",
                         what, lineno + 1, (long)columns(line, indent), col,
                         (int)len, line);
        } else if (indent < len) {
            const char *gap = strstr(line + indent, "  ");
            if (gap != NULL && (size_t)(gap - line) < len) {
                size_t text = (size_t)(gap - line) + strspn(gap, " ");
                long c = (long)columns(line, text);
                if (col < 0)
                    col = c;
                cr_expect_eq(c, col,
                             "%s, line %zu: description at column %ld, the "
                             "block's at %ld:\n%.*s",
                             what, lineno + 1, c, col, (int)len, line);
            }
        }
        line += len + (line[len] == '\n');
    }
}

/*
 * Every line fits in 80 display columns, and every option line (an indent,
 * then '-') sits in one block of indented lines that follows an "Options:"
 * heading: no option is left after the prose, where nobody looks for it.
 */
static void check_layout(const char *what, const char *help) {
    size_t lineno = 0, blocks = 0, block_start = 0;
    int in_block = 0, block_has_options = 0, after_heading = 0;
    const char *prev = NULL;
    for (const char *line = help; *line; lineno++) {
        size_t len = strcspn(line, "\n");
        size_t indent = strspn(line, " ");
        cr_expect_leq(columns(line, len), 80,
                      "%s, line %zu: %zu columns (at most 80):\n%.*s", what,
                      lineno + 1, columns(line, len), (int)len, line);
        int indented = len > 0 && indent > 0;
        if (indented && !in_block) {
            in_block = 1;
            block_has_options = 0;
            block_start = lineno;
            after_heading = prev != NULL && strncmp(prev, "Options:\n", 9) == 0;
        } else if (!indented) {
            in_block = 0;
        }
        if (indented && indent < len && line[indent] == '-') {
            if (!block_has_options)
                blocks++;
            block_has_options = 1;
            cr_expect(after_heading,
                      "%s, line %zu: an option outside the block under "
                      "\"Options:\" (its block starts at line %zu):\n%.*s",
                      what, lineno + 1, block_start + 1, (int)len, line);
        }
        prev = line;
        line += len + (line[len] == '\n');
    }
    cr_expect_eq(blocks, 1, "%s: options in %zu blocks, expected one:\n%s",
                 what, blocks, help);
}

Test(cli_options, every_help_fits_80_columns_with_its_options_in_one_block) {
    char *top = NULL;
    cr_assert_eq(drt_cli(&top, NULL, "--help"), 0);
    check_layout("dagrun --help", top);
    free(top);
    names cmds = commands();
    for (size_t c = 0; c < cmds.n; c++) {
        char *help = help_of(cmds.v[c]);
        char *what = drt_fmt("dagrun %s --help", cmds.v[c]);
        check_layout(what, help);
        free(what);
        free(help);
    }
    names_free(&cmds);
}

Test(cli_options, every_help_has_aligned_columns) {
    char *top = NULL;
    cr_assert_eq(drt_cli(&top, NULL, "--help"), 0);
    check_columns("dagrun --help", top);
    free(top);
    names cmds = commands();
    for (size_t c = 0; c < cmds.n; c++) {
        char *help = help_of(cmds.v[c]);
        char *what = drt_fmt("dagrun %s --help", cmds.v[c]);
        check_columns(what, help);
        free(what);
        free(help);
    }
    names_free(&cmds);
}
