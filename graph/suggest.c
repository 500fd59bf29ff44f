/*
 * "Did you mean": the one suggestion function of dagrun, for the CLI's
 * options and commands and for the graph loader's keys and ops, so that a
 * slip is ranked the same way wherever it is made.
 *
 * The distance is a weighted edit distance with adjacent transpositions
 * (optimal string alignment), in the spirit of git's help.c: a letter the
 * user left out costs 1, a transposed pair 1, a wrong or an extra letter 2,
 * so `--wokers` is 1 from `--workers` and `--set` is far from `--seed`.  A
 * candidate is offered when its cost is at most half the typed length (and
 * at least 2), and every candidate that ties for the best is offered.  No
 * name is longer than DR__SUGGEST_MAX bytes, so longer text gets no
 * suggestion (and costs nothing to rank).
 */
#include "graph_internal.h"

#include <stdlib.h>
#include <string.h>

enum { COST_INSERT = 1, COST_SWAP = 1, COST_SUBSTITUTE = 2, COST_DELETE = 2 };

static size_t min2(size_t a, size_t b) { return a < b ? a : b; }

size_t dr__edit_cost(const char *typed, const char *candidate) {
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

size_t dr__suggest(const char *typed, const char *const *candidates,
                   size_t ncandidates, const char **out, size_t max) {
    size_t len = strlen(typed);
    if (len > DR__SUGGEST_MAX)
        return 0;
    size_t limit = len / 2 > 2 ? len / 2 : 2;
    size_t best = (size_t)-1, nout = 0;
    for (size_t i = 0; i < ncandidates; i++) {
        size_t d = dr__edit_cost(typed, candidates[i]);
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
