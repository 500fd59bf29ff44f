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

#include <sys/types.h>

#define FOLDER_OUTPUTS 6

typedef struct folder_lock {
    int fd; /* RUNNING, locked; -1: none */
    char *path;
    char *dir;
    /* The mode of each output the last run left (kept[i]), and the
     * placeholder made for it (its device and inode). */
    mode_t mode[FOLDER_OUTPUTS];
    unsigned char kept[FOLDER_OUTPUTS], placed[FOLDER_OUTPUTS];
    dev_t dev[FOLDER_OUTPUTS];
    ino_t ino[FOLDER_OUTPUTS];
} folder_lock;

#define FOLDER_LOCK_NONE                                                       \
    { .fd = -1 }

/* Takes `outdir` (which exists) for this run: locks its RUNNING file,
 * failing if a live run holds it, writes who runs, and removes the last
 * run's outputs.  Returns 0, or prints why to stderr and returns -1. */
int run_folder_take(const char *outdir, const char *graph_path,
                    folder_lock *lk);
/* Before the outputs are written: each output the last run left with a
 * mode of its own (chmod 600 summary.json) gets an empty placeholder with
 * that mode, which the atomic writer then replaces keeping the mode (a
 * file replaced keeps its mode, graph/fileio.c).  So a private output stays
 * private across runs, and is never readable by others even for a moment.
 * Does nothing for FOLDER_LOCK_NONE. */
void run_folder_keep_modes(folder_lock *lk);
/* The run is over and its outputs are written: removes the placeholders
 * that were not replaced (an output this run did not write), RUNNING, and
 * unlocks.  Does nothing for FOLDER_LOCK_NONE. */
void run_folder_release(folder_lock *lk);

/* A new temporary folder for the command logs of a --no-outputs run, under
 * $TMPDIR (or /tmp); NULL after printing why.  New string. */
char *run_folder_temporary_logs(void);

#endif
