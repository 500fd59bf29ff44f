/*
 * A task's declared outputs at the end of an attempt (outputs.c,
 * docs/graph-format.md "Declared files"): a successful attempt must leave
 * each one, a failed attempt's are removed.  Plain file system work, done
 * by the executor outside its sched lock.  Tasks without an operation
 * (DR_OP_NONE) run nothing: both functions leave their files alone.
 */
#ifndef DAGRUN_OUTPUTS_H
#define DAGRUN_OUTPUTS_H

#include "dagrun.h"

#include <stddef.h>

/* 0 when every declared output of t exists (any kind of file; a symbolic
 * link counts, dangling or not), else 1 with msg set to "declared output
 * 'out/3.txt' was not written" for the first missing one.  Relative paths
 * are looked up in workdir (NULL: the current folder). */
int dr__outputs_check(const dr_graph *g, dr_task t, const char *workdir,
                      char *msg, size_t len);

/* Removes t's declared outputs before an attempt (note may be NULL), and
 * after a failed attempt (a file or a link,
 * never a folder) and sets note to what it removed, for the end of the
 * failure's message: " (removed its declared output 'x')", " (removed its
 * 3 declared outputs)"; "" when nothing was removed.  Returns how many it
 * removed. */
size_t dr__outputs_remove(const dr_graph *g, dr_task t, const char *workdir,
                          char *note, size_t len);

#endif
