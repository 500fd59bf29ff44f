/*
 * The output folder of `dagrun run` holds one run at a time.  A run takes
 * it by locking its RUNNING file (flock: the lock dies with its holder, so a
 * run killed with kill -9 never blocks the next), writes in it who runs, and
 * removes the outputs of the last run before anything starts; the files are
 * written again at the end and RUNNING removed last.  So the folder never
 * shows a mix of two runs: a RUNNING file left behind says the run in it
 * died and its outputs are partial (docs/running.md, "The output folder").
 * Also here: the temporary log folder of --no-outputs.
 */
#ifndef DAGRUN_CLI_RUN_FOLDER_H
#define DAGRUN_CLI_RUN_FOLDER_H

#include "dagrun.h"

typedef struct folder_lock {
    int fd; /* RUNNING, locked; -1: none */
    char *path;
} folder_lock;

#define FOLDER_LOCK_NONE                                                       \
    { -1, NULL }

/* Takes `outdir` (which exists) for this run: locks its RUNNING file,
 * failing if a live run holds it, writes who runs, and removes the last
 * run's outputs.  Returns 0, or prints why to stderr and returns -1. */
int run_folder_take(const char *outdir, const char *graph_path,
                    folder_lock *lk);
/* The run is over and its outputs are written: removes RUNNING and
 * unlocks.  Does nothing for FOLDER_LOCK_NONE. */
void run_folder_release(folder_lock *lk);

/* A new temporary folder for the command logs of a --no-outputs run, under
 * $TMPDIR (or /tmp); NULL after printing why.  New string. */
char *run_folder_temporary_logs(void);

#endif
