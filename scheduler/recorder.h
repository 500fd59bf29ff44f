/*
 * The recorder: turns a real run's finished attempts into journal records
 * (journal.h), for any driver.  A driver pushes each attempt as it ends,
 * under its own lock (cheap: a copy and a reference); one thread, outside
 * that lock, takes what was pushed and writes it: it computes fingerprints
 * there (a task's fingerprint needs its dependencies' result fingerprints,
 * which were computed when their own records were written, earlier in the
 * same order), hashes declared files, formats and writes the lines.  So the
 * journal is always a prefix of the run in completion order: when a
 * record is in the file, the records of every attempt that ended before it
 * was pushed are too (docs/resuming.md, "Flushing").
 */
#ifndef DAGRUN_RECORDER_H
#define DAGRUN_RECORDER_H

#include "dagrun/run.h"
#include "fingerprint.h"
#include "journal.h"

typedef struct dr__recorder dr__recorder;

/* A recorder writing to `j` (borrowed) for graph g.  `plan` (borrowed)
 * gives every task's op fingerprint and the cached tasks' result
 * fingerprints; `workdir` (borrowed, may be NULL) is where declared files
 * are.  NULL on DR_ENOMEM. */
dr__recorder *dr__recorder_create(const dr_graph *g, dr__journal *j,
                                  const dr_plan *plan, const char *workdir);
void dr__recorder_destroy(dr__recorder *r);

/* (driver's lock) Queues attempt `attempt` of t.  `status` is DR__ATTEMPT_*;
 * `error` (copied) its one-line error or NULL; `result` a JSON result
 * (a reference is taken) or NULL; `pointer` 1 when the task's result is a C
 * pointer (which no journal can store).  Returns 0 or DR_ENOMEM. */
int dr__recorder_push(dr__recorder *r, dr_task t, unsigned worker,
                      unsigned attempt, unsigned status, double start,
                      double end, const char *error, json_t *result,
                      int pointer);
/* (driver's lock) Attempts pushed and not yet taken. */
size_t dr__recorder_queued(const dr__recorder *r);
/* (driver's lock) Moves what was pushed to the writer's batch. */
void dr__recorder_take(dr__recorder *r);
/* (writer thread, no lock) Writes the batch taken, then fdatasyncs when
 * `sync`.  After a write error the recorder keeps taking attempts and
 * drops them; the first error is returned (DR_EIO, err filled) once and
 * kept for dr__recorder_error. */
int dr__recorder_write(dr__recorder *r, int sync, dr_error *err);
/* The first write error's message, or NULL. */
const char *dr__recorder_error(const dr__recorder *r);

/* At the start of a resumed run: for every cached task whose declared
 * files were touched (same content, new mtime; dr__plan_touched), appends
 * a copy of its record with the files as they are now, so that the next
 * resume compares size and mtime and reads nothing.  Returns 0 or a DR_E*
 * code (nothing else changes: a later resume only hashes again). */
int dr__record_touched(const dr_graph *g, const dr_plan *plan, dr__journal *j);

#endif
