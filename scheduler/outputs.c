/*
 * Declared outputs around an attempt (outputs.h).  They are removed before
 * it starts (as Snakemake does), so that existence is all that must be
 * asked of them afterwards: mtimes are too coarse on some file systems to
 * tell a rewrite from an old file.  A successful attempt that left one out
 * fails; a failed attempt's outputs go, as make's .DELETE_ON_ERROR and
 * Snakemake remove them, so that no dependent or later run trusts half a
 * file.  A task without an operation runs
 * nothing (a join point, or a cost replayed with --cost-op), so its files
 * only describe the graph: they are neither checked nor removed.
 */
#include "outputs.h"
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dr__outputs_check(const dr_graph *g, dr_task t, const char *workdir,
                      char *msg, size_t len) {
    size_t n = dr_task_op_kind(g, t) != DR_OP_NONE ? dr_task_noutputs(g, t) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *out = dr_task_output(g, t, i);
        char *path = dr__path_in(workdir, out);
        struct stat st;
        /* Out of memory: the file is not looked for, rather than failing a
         * task that may well have written it. */
        int missing = path != NULL && lstat(path, &st) != 0 && errno != EACCES;
        free(path);
        if (missing) {
            snprintf(msg, len, "declared output '%s' was not written", out);
            return 1;
        }
    }
    return 0;
}

size_t dr__outputs_remove(const dr_graph *g, dr_task t, const char *workdir,
                          char *note, size_t len) {
    size_t n = dr_task_op_kind(g, t) != DR_OP_NONE ? dr_task_noutputs(g, t) : 0;
    size_t removed = 0;
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *out = dr_task_output(g, t, i);
        char *path = dr__path_in(workdir, out);
        struct stat st;
        /* unlink removes a link, not its target, and refuses a folder. */
        if (path != NULL && lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) &&
            unlink(path) == 0) {
            if (removed++ == 0)
                first = out;
        }
        free(path);
    }
    if (len > 0)
        note[0] = '\0';
    if (removed == 1)
        snprintf(note, len, " (removed its declared output '%s')", first);
    else if (removed == n && removed > 1)
        snprintf(note, len, " (removed its %zu declared outputs)", removed);
    else if (removed > 1)
        snprintf(note, len, " (removed %zu of its %zu declared outputs)",
                 removed, n);
    return removed;
}
