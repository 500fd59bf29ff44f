/*
 * One place that turns getopt_long's '?' into a single line on stderr for
 * every subcommand, with "did you mean" from dr__suggest (graph/suggest.c,
 * shared with the graph loader's unknown keys and ops).
 *
 * getopt_long is told to stay quiet (main sets opterr = 0): it would print
 * "unrecognized option" and the command would add its own line.  Which
 * argument failed is read back the way glibc leaves it: after an error on a
 * long option it has consumed that argument, so argv[optind - 1] is it and
 * optopt is the option's value (0 when no option matched); after an error
 * on a short option optopt is the letter.
 *
 * cli_getopt is getopt_long for every subcommand, with one rule added: an
 * option's value given as the next argument must not look like another
 * option (`--json --no-outputs` would write a file named --no-outputs).
 */
#include "cli.h"
#include "graph_internal.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
        n = dr__suggest(typed, names, count, near, MAX_SUGGESTIONS);
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

/* The value cli_getopt refused, for cli_option_error to report. */
static struct {
    int set;
    char option[96];  /* "--json" or "-o" */
    char spelled[96]; /* "--json=" or "-o" */
    const char *value;
} refused;

/* A separate value that is another option: "--no-outputs", "-q"; not "-"
 * (standard input or output) and not a negative number ("-1", "-0.5"),
 * which the option's own parser accepts or refuses. */
static int looks_like_option(const char *v) {
    if (v[0] != '-' || v[1] == '\0')
        return 0;
    if ((v[1] >= '0' && v[1] <= '9') || v[1] == '.') {
        char *end;
        (void)strtod(v, &end);
        return *end != '\0';
    }
    return 1;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts) {
    int index = -1;
    int c = getopt_long(argc, argv, shortopts, longopts, &index);
    refused.set = 0;
    /* Only a value given as the next argument: `--json=--x` and `-o-x`
     * say plainly that the value is meant. */
    if (c == -1 || c == '?' || c == ':' || optarg == NULL || optind < 2 ||
        optind > argc || optarg != argv[optind - 1] ||
        !looks_like_option(optarg))
        return c;
    const struct option *lo = index >= 0 ? &longopts[index] : NULL;
    if (lo == NULL) /* a short option: say its long name when it has one */
        for (const struct option *o = longopts; o->name != NULL; o++)
            if (o->val == c && o->has_arg == required_argument) {
                snprintf(refused.spelled, sizeof refused.spelled,
                         "--%s=", o->name);
                break;
            }
    if (lo != NULL) {
        snprintf(refused.option, sizeof refused.option, "--%s", lo->name);
        snprintf(refused.spelled, sizeof refused.spelled, "--%s=", lo->name);
    } else {
        snprintf(refused.option, sizeof refused.option, "-%c", c);
        if (refused.spelled[0] == '\0')
            snprintf(refused.spelled, sizeof refused.spelled, "-%c", c);
    }
    refused.value = optarg;
    refused.set = 1;
    return '?';
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
    if (refused.set) {
        refused.set = 0;
        fprintf(stderr,
                "%s: option '%s' needs a value; '%s' looks like an option "
                "(write %s%s if that is the value)\n",
                cmd, refused.option, refused.value, refused.spelled,
                refused.value);
        return DR_EXIT_USAGE;
    }
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
