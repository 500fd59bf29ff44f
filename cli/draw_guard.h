/*
 * Drawing a run's pictures so that a signal can stop it cleanly.  The tasks
 * have ended and trace.json and summary.json are written when `dagrun run`
 * draws; Graphviz's layout cannot be interrupted from inside, so the
 * drawing runs in a child process that the parent can stop at once.  See
 * draw_guard.c.
 */
#ifndef DAGRUN_CLI_DRAW_GUARD_H
#define DAGRUN_CLI_DRAW_GUARD_H

#include <stddef.h>

/* From now on SIGINT, SIGTERM and SIGHUP wait (blocked) instead of killing
 * dagrun: called when the run has ended, so that the trace and the summary
 * are written whole whatever comes.  This function can't fail. */
void draw_guard_hold_signals(void);

/* The signal that arrived since draw_guard_hold_signals (and was taken), or
 * 0.  Does not wait. */
int draw_guard_pending(void);

/* Runs draw(user_data) in a child process (its return value, 0 or not, is
 * the child's success) while the parent waits for it or for SIGINT, SIGTERM
 * or SIGHUP.  On a signal the child is killed, and the files it was writing
 * are cleaned up: for each of the `ntargets` paths, the atomic writer's
 * temporary files (`PATH.tmp.XXXXXX`, graph/fileio.c); `remove[i]` set
 * also removes targets[i] itself (the run folder's default pictures, so
 * that the folder shows all of them or none).  Returns 0 when draw
 * succeeded, -1 when it failed (it printed why) or the child could not be
 * started (printed), or the signal number when interrupted. */
int draw_guard_run(int (*draw)(void *user_data), void *user_data,
                   const char *const *targets, const int *remove,
                   size_t ntargets);

#endif
