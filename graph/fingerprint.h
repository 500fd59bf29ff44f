/*
 * Fingerprints of tasks, JSON values and files, for resuming runs
 * (docs/resuming.md).  All are XXH3 128-bit hashes from Debian's xxHash
 * (libxxhash): fast (several GB/s on file contents, tens of nanoseconds on a
 * task's few fields), and collisions are out of reach for change detection;
 * nobody attacks a build cache with crafted inputs, so a cryptographic hash
 * would only be slower.  Plain data and files: no threads, no libuv.
 */
#ifndef DAGRUN_FINGERPRINT_H
#define DAGRUN_FINGERPRINT_H

#include "dagrun.h"

#include <stdint.h>

typedef struct dr__fp {
    uint64_t hi, lo;
} dr__fp;

#define DR__FP_HEX 33 /* 32 hex digits and a NUL */

/* 1 when equal. */
int dr__fp_equal(const dr__fp *a, const dr__fp *b);
/* 32 lower-case hex digits, NUL-terminated. */
void dr__fp_hex(const dr__fp *f, char out[DR__FP_HEX]);
/* Parses 32 hex digits (the whole string); returns 0 or -1. */
int dr__fp_parse(const char *hex, dr__fp *out);

/*
 * What the task does, apart from its inputs: its op kind and name, its
 * arguments as canonical JSON (sorted keys, compact), its argv (each
 * element with its length) or shell string, and for commands the working
 * folder `workdir` (absolute; NULL: the current folder, made absolute
 * here).  Costs, timeouts, retries and descriptions are not part of it
 * (they do not change what the task produces).  Returns 0 or DR_ENOMEM.
 *
 * Unlike the other fingerprints it is two 64-bit XXH3 halves, so that a
 * plan can say what changed from the recorded fingerprint alone: `hi`
 * covers what names the operation (kind and name; for a command, its argv
 * or shell string), `lo` covers everything above.  Arguments or a working
 * folder that changed change `lo` only ("arguments changed", "working
 * folder changed"); a new op name or command changes both.  Change
 * detection rests on `lo`: 64 bits, a 2^-64 chance that one change goes
 * unseen.
 */
int dr__task_op_fp(const dr_graph *g, dr_task t, const char *workdir,
                   dr__fp *out);

/* A JSON value, canonical (sorted keys, compact, reals as saved); NULL
 * hashes as JSON null.  Returns 0 or DR_ENOMEM. */
int dr__json_fp(const json_t *v, dr__fp *out);
/* The same, and the canonical text it hashed (not NUL-terminated, *len
 * bytes, a new buffer in *text): what the journal stores, so that a
 * result is dumped once.  Returns 0 or DR_ENOMEM (*text NULL). */
int dr__json_fp_text(const json_t *v, dr__fp *out, char **text, size_t *len);

/* A declared file as recorded: size and mtime (nanoseconds) from stat, the
 * content hash when computed. */
typedef struct dr__file_fp {
    int exists;
    uint64_t size;
    int64_t mtime_ns;
    dr__fp hash; /* of the content */
} dr__file_fp;

/* Stats `path` (relative to `workdir` when not absolute; NULL: cwd) and
 * hashes its content.  A missing file gives exists 0 and returns 0; other
 * errors (a folder, unreadable) return DR_EIO with err naming the file. */
int dr__file_fp_compute(const char *workdir, const char *path, dr__file_fp *out,
                        dr_error *err);
/* Whether the file is still what `was` records: 1 when size and mtime are
 * the same (no read), or else when its content hash is the same (then
 * *touched = 1 and `now` gets the new stat, so that the journal can record
 * it and the next check needs no read); 0 when it changed or is gone
 * (*why: "missing" or "changed (content)").  Returns 1, 0, or -1 on an
 * error reading it (err filled). */
int dr__file_fp_same(const char *workdir, const char *path,
                     const dr__file_fp *was, dr__file_fp *now, int *touched,
                     const char **why, dr_error *err);

/*
 * The task's fingerprint: its op fingerprint, the result fingerprints of
 * its dependencies in dependency order, and the content hashes of its
 * declared inputs in declaration order.  Cannot fail.
 */
void dr__task_fp(const dr__fp *op, const dr__fp *dep_results, size_t ndeps,
                 const dr__file_fp *inputs, size_t ninputs, dr__fp *out);

/* A command's result fingerprint: its task fingerprint and the content
 * hashes of its declared outputs (commands have no JSON result). */
void dr__command_result_fp(const dr__fp *task_fp, const dr__file_fp *outputs,
                           size_t noutputs, dr__fp *out);

/* The whole graph: every task's key, dependencies and op fingerprint (its
 * commands' working folder left out), in task order.  What the ranks of an
 * MPI run compare at start-up, so that none runs another graph.  Returns 0
 * or DR_ENOMEM. */
int dr__graph_fp(const dr_graph *g, dr__fp *out);

#endif
