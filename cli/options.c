/*
 * "Did you mean": one suggestion function for every subcommand and for the
 * command names, and one place that turns getopt_long's '?' into a single
 * line on stderr.
 *
 * The distance is a weighted edit distance with adjacent transpositions
 * (optimal string alignment), in the spirit of git's help.c: a letter the
 * user left out costs 1, a transposed pair 1, a wrong or an extra letter 2,
 * so `--wokers` is 1 from `--workers` and `--set` is far from `--seed`.  A
 * candidate is offered when its cost is at most half the typed length (and
 * at least 2), and every candidate that ties for the best is offered.
 *
 * getopt_long is told to stay quiet (main sets opterr = 0): it would print
 * "unrecognized option" and the command would add its own line.  Which
 * argument failed is read back the way glibc leaves it: after an error on a
 * long option it has consumed that argument, so argv[optind - 1] is it and
 * optopt is the option's value (0 when no option matched); after an error
 * on a short option optopt is the letter.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { COST_INSERT = 1, COST_SWAP = 1, COST_SUBSTITUTE = 2, COST_DELETE = 2 };

static size_t min2(size_t a, size_t b) { return a < b ? a : b; }

size_t cli_edit_cost(const char *typed, const char *candidate) {
    size_t n = strlen(typed), m = strlen(candidate);
    /* Three rows: the one before the previous one is needed for swaps. */
    size_t *rows = malloc(3 * (m + 1) * sizeof(*rows));
    if (rows == NULL)
        return (size_t)-1;
    size_t *older = rows, *prev = rows + (m + 1), *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j * COST_INSERT;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i * COST_DELETE;
        for (size_t j = 1; j <= m; j++) {
            int same = typed[i - 1] == candidate[j - 1];
            size_t c = prev[j - 1] + (same ? 0 : COST_SUBSTITUTE);
            c = min2(c, prev[j] + COST_DELETE);
            c = min2(c, cur[j - 1] + COST_INSERT);
            if (i > 1 && j > 1 && typed[i - 1] == candidate[j - 2] &&
                typed[i - 2] == candidate[j - 1] && !same)
                c = min2(c, older[j - 2] + COST_SWAP);
            cur[j] = c;
        }
        size_t *t = older;
        older = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    free(rows);
    return d;
}

size_t cli_suggest(const char *typed, const char *const *candidates,
                   size_t ncandidates, const char **out, size_t max) {
    size_t len = strlen(typed);
    size_t limit = len / 2 > 2 ? len / 2 : 2;
    size_t best = (size_t)-1, nout = 0;
    for (size_t i = 0; i < ncandidates; i++) {
        size_t d = cli_edit_cost(typed, candidates[i]);
        if (d > limit || d > best)
            continue;
        if (d < best) {
            best = d;
            nout = 0;
        }
        if (nout < max)
            out[nout++] = candidates[i];
    }
    return nout;
}

/* "'a'", "'a' or 'b'", "'a', 'b' or 'c'", each name after `prefix`. */
static void print_alternatives(const char *prefix, const char **names,
                               size_t n) {
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s'%s%s'",
                i == 0       ? ""
                : i + 1 == n ? " or "
                             : ", ",
                prefix, names[i]);
}

#define MAX_SUGGESTIONS 3

/* The long options whose name starts with the `len` bytes of `name`. */
static size_t prefix_matches(const struct option *longopts, const char *name,
                             size_t len, const char **out, size_t max) {
    size_t n = 0;
    for (const struct option *o = longopts; o->name != NULL; o++)
        if (strncmp(o->name, name, len) == 0) {
            if (strlen(o->name) == len)
                return (out[0] = o->name), 1; /* exact */
            if (n < max)
                out[n++] = o->name;
        }
    return n;
}

static int unknown_long(const char *cmd, const struct option *longopts,
                        const char *arg) {
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const char *near[MAX_SUGGESTIONS];
    size_t n = prefix_matches(longopts, name, len, near, MAX_SUGGESTIONS);
    if (n > 1) {
        fprintf(stderr, "%s: ambiguous option '--%.*s' (did you mean ", cmd,
                (int)len, name);
        print_alternatives("--", near, n);
        fprintf(stderr, "?)\n");
        return DR_EXIT_USAGE;
    }
    size_t count = 0;
    for (const struct option *o = longopts; o->name != NULL; o++)
        count++;
    const char **names = malloc((count ? count : 1) * sizeof(*names));
    char *typed = strndup(name, len);
    n = 0;
    if (names != NULL && typed != NULL) {
        for (size_t i = 0; i < count; i++)
            names[i] = longopts[i].name;
        n = cli_suggest(typed, names, count, near, MAX_SUGGESTIONS);
    }
    fprintf(stderr, "%s: unknown option '--%.*s' (", cmd, (int)len, name);
    if (n > 0) {
        fprintf(stderr, "did you mean ");
        print_alternatives("--", near, n);
        fprintf(stderr, "?)\n");
    } else {
        fprintf(stderr, "see '%s --help')\n", cmd);
    }
    free(typed);
    free(names);
    return DR_EXIT_USAGE;
}

/* The long option `arg` ("--name" or "--name=value") names, if its value is
 * `val`; NULL otherwise. */
static const struct option *long_option_of(const struct option *longopts,
                                           const char *arg, int val) {
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
        return NULL;
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const struct option *found = NULL;
    for (const struct option *o = longopts; o->name != NULL; o++)
        if (strncmp(o->name, name, len) == 0 && o->val == val) {
            if (strlen(o->name) == len)
                return o;
            found = o;
        }
    return found;
}

int cli_option_error(const char *cmd, int argc, char **argv,
                     const char *shortopts, const struct option *longopts) {
    /* Messages start with "dagrun run" (or "dagrun" for main's options). */
    char who[64];
    if (cmd == NULL || strncmp(cmd, "dagrun", 6) == 0)
        snprintf(who, sizeof(who), "%s", cmd ? cmd : "dagrun");
    else
        snprintf(who, sizeof(who), "dagrun %s", cmd);
    cmd = who;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    if (optopt == 0 && strncmp(arg, "--", 2) == 0)
        return unknown_long(cmd, longopts, arg);
    const struct option *o = long_option_of(longopts, arg, optopt);
    if (o != NULL) {
        const char *eq = strchr(arg, '=');
        if (eq != NULL && o->has_arg == no_argument) {
            fprintf(stderr, "%s: option '--%s' takes no value (got '%s')\n",
                    cmd, o->name, arg);
            return DR_EXIT_USAGE;
        }
        if (eq == NULL && o->has_arg == required_argument && optind >= argc) {
            fprintf(stderr,
                    "%s: option '--%s' needs a value (see '%s "
                    "--help')\n",
                    cmd, o->name, cmd);
            return DR_EXIT_USAGE;
        }
    }
    /* A short option: unknown, or missing its value. */
    const char *letter =
        optopt > 0 && optopt < 128 ? strchr(shortopts, optopt) : NULL;
    if (letter != NULL && optopt != ':' && letter[1] == ':') {
        fprintf(stderr,
                "%s: option '-%c' needs a value (see '%s "
                "--help')\n",
                cmd, optopt, cmd);
        return DR_EXIT_USAGE;
    }
    if (optopt > 0 && optopt < 128) {
        /* The same letter in the other case is the likeliest slip. */
        int other = optopt >= 'a' && optopt <= 'z'   ? optopt - 'a' + 'A'
                    : optopt >= 'A' && optopt <= 'Z' ? optopt - 'A' + 'a'
                                                     : 0;
        const char *o2 = other ? strchr(shortopts, other) : NULL;
        if (o2 != NULL && other != ':')
            fprintf(stderr, "%s: unknown option '-%c' (did you mean '-%c'?)\n",
                    cmd, optopt, other);
        else
            fprintf(stderr,
                    "%s: unknown option '-%c' (see '%s "
                    "--help')\n",
                    cmd, optopt, cmd);
        return DR_EXIT_USAGE;
    }
    fprintf(stderr, "%s: bad option '%s' (see '%s --help')\n", cmd, arg, cmd);
    return DR_EXIT_USAGE;
}
