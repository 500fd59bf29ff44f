/*
 * The reaper: a small watcher process that stops whatever a run's commands
 * left running once the run ends, however it ends (a normal end, a signal,
 * kill -9).  reaper.c explains how; docs/running.md says what it covers.
 */
#ifndef DAGRUN_REAPER_H
#define DAGRUN_REAPER_H

#include <stddef.h>

/* The environment variable that marks every process a run's commands
 * start (inherited by their children): DAGRUN_RUN=<id>. */
#define DR__RUN_MARK_VAR "DAGRUN_RUN"

typedef struct dr__reaper {
    int fd;  /* dagrun's end of the socket to the watcher; -1: none */
    int pid; /* the watcher process; 0: none */
} dr__reaper;

/*
 * Forks the watcher.  `mark` is the whole environment entry the run's
 * commands carry ("DAGRUN_RUN=1234-5f0e..."); `groups` is how many command
 * process groups can be alive at once (the worker slots).  Call it before
 * the run starts threads of its own: the watcher only makes system calls
 * that are safe after fork().  Returns 0, or -1 with errno set (r is then
 * unusable and nothing was started).
 */
int dr__reaper_start(dr__reaper *r, const char *mark, unsigned groups);
/* A command started in its own process group `pgid`: the watcher kills
 * the group if dagrun dies before dr__reaper_forget.  Cannot fail (if the
 * watcher is gone there is nothing to tell). */
void dr__reaper_watch(dr__reaper *r, int pgid);
/* Group `pgid` was killed by dagrun itself (its command has exited). */
void dr__reaper_forget(dr__reaper *r, int pgid);
/* The run is over: the watcher stops what is left (processes carrying the
 * mark, groups never forgotten), and this waits for it to exit.  Nothing
 * the run started is running when it returns, except processes that both
 * left their process group and cleared their environment. */
void dr__reaper_finish(dr__reaper *r);

#endif
