/*
 * The run folder: where command tasks' standard output and error go, what
 * the files are called, what a new run clears, and how their text is read
 * back safely (the stderr tail of a failure, a command's printed result).
 * See logs.c.
 */
#ifndef DAGRUN_LOGS_H
#define DAGRUN_LOGS_H

#include "dagrun.h"

#include <stddef.h>
#include <stdint.h>

/* The run folder's list of the log files a run wrote ("<name>" per line,
 * without .out/.err), read by the next run to clear them. */
#define DR__LOGS_MANIFEST ".dagrun-logs"

/* File name (no folder) of task `key`'s log with extension `ext` (".out",
 * ".err"): the key with '/', '%', '~' and control characters written %XX,
 * and a key too long for a file name cut and followed by '~' and a 64-bit
 * hash of the whole key.  New string (caller frees) or NULL (DR_ENOMEM). */
char *dr__log_name(const char *key, const char *ext);
/* dir/dr__log_name(...): new string or NULL. */
char *dr__log_path(const char *dir, const char *key, const char *ext);

/*
 * Makes `dir` ready for a run of `g`: removes the logs an earlier run
 * listed in the folder's manifest for tasks not in g, empties those of g's
 * command tasks, then (when `commands`) creates the folder and writes the
 * new manifest.  Without commands an existing folder is only cleared, a
 * missing one not created.  The logs of tasks with keep[t] (the cached
 * tasks of a resumed run; keep may be NULL) are left as they are.  Returns
 * 0, or DR_EIO / DR_ENOMEM with err filled.
 */
int dr__logs_prepare(const dr_graph *g, const char *dir, int commands,
                     const uint8_t *keep, dr_error *err);
/* At the end of a run: removes the logs of g's command tasks that made no
 * attempt (attempts[t] == 0), emptied by dr__logs_prepare, except those
 * with keep[t] (keep may be NULL). */
void dr__logs_forget_unrun(const dr_graph *g, const char *dir,
                           const uint32_t *attempts, const uint8_t *keep);
/* Removes g's logs, the manifest and the folder itself if nothing else is
 * left in it (the CLI's temporary run folder for --no-outputs). */
void dr__logs_remove(const dr_graph *g, const char *dir);

/* The last `lines` lines (at most `bytes` bytes) of the file at `path`,
 * trailing newlines dropped, made safe; NULL when the file is missing or
 * empty (or on DR_ENOMEM).  New string. */
char *dr__log_tail(const char *path, unsigned lines, size_t bytes);
/* The first `lines` lines (at most `bytes` bytes) of the file, made safe,
 * one trailing newline dropped.  *shown gets how many bytes of the file
 * that is, *size the file's size.  NULL when the file cannot be read (or
 * on DR_ENOMEM).  New string. */
char *dr__log_head(const char *path, unsigned lines, size_t bytes,
                   size_t *shown, size_t *size);

#endif
