/*
 * The journal of a real run (docs/resuming.md): a JSON-lines file, one
 * header line per run that wrote to it, then one record per finished
 * attempt, appended as attempts end.  Every line is a JSON object whose last
 * member is "sum": the XXH3-64 (16 hex digits) of the line's bytes before
 * `,"sum"`, so that a torn or altered line is found and ignored on reading.
 *
 *   {"journal":"dagrun","format":1,"dagrun":"0.1.0","graph":"pi","pid":42,
 *    "started":"2026-12-02T07:30:00Z","resume":false,"sum":"..."}
 *   {"task":"map-3","attempt":1,"status":"ok","worker":0,"start":0.01,
 *    "end":0.02,"fp":"<32 hex>","op":"<32 hex>","result_fp":"<32 hex>",
 *    "result":<JSON>,"inputs":[{"path":"data/3.csv","size":10,
 *    "mtime_ns":1733..., "hash":"<32 hex>"}],"outputs":[...],"sum":"..."}
 *
 * "result" only for a function/builtin task that ended ok with a JSON
 * result; "result_fp" null when the result cannot be stored (a C pointer);
 * "error" (one line) on other statuses ("failed", "timeout",
 * "interrupted"); "inputs" and "outputs" left out when empty.  A declared
 * file that did not exist is {"path":"out/3.txt","exists":false}.  Times
 * are reals that read back as the same double (always with a '.').  A
 * string that is not UTF-8 (JSON cannot carry it) is recorded as
 * dr__safe_text shows it (invalid bytes as \xHH).  "resume" in the header
 * is the `append` of dr__journal_open.  Writing is not thread-safe: the
 * executor's loop thread is the only writer.
 */
#ifndef DAGRUN_JOURNAL_H
#define DAGRUN_JOURNAL_H

#include "dagrun.h"
#include "fingerprint.h"

#define DR__JOURNAL_FORMAT 1

typedef struct dr__journal dr__journal;

/* A declared file of a record: its path as declared and what was seen. */
typedef struct dr__jfile {
    const char *path;
    dr__file_fp fp;
} dr__jfile;

/* One attempt's record, as given to dr__journal_append (borrowed). */
typedef struct dr__jrec {
    const char *task;
    unsigned attempt, worker;
    const char *status; /* "ok", "failed", "timeout", "interrupted" */
    double start, end;  /* seconds since the run started */
    dr__fp fp, op;
    const dr__fp *result_fp; /* NULL: the result cannot be stored */
    const char *result;      /* compact JSON text, or NULL: none */
    size_t result_len;
    const dr__jfile *inputs, *outputs;
    size_t ninputs, noutputs;
    const char *error; /* NULL when ok */
} dr__jrec;

/*
 * Opens `path` for a run of the graph named `graph` (creating it, mode
 * 0644), takes an exclusive flock on it without waiting, and writes the
 * header line (written at once, so that a second run can name this one's
 * pid).  Without `append` the file is emptied first; with it, a torn tail
 * (bytes after the last complete, valid line: a line is complete when it
 * ends with its newline) is cut off and the new header follows the earlier
 * lines; a journal whose first header is of another format or of another
 * graph is emptied instead (its records could never be used).  The
 * descriptor is close-on-exec, so a command the run starts never holds the
 * lock.  Held by another process: DR_EBUSY with
 * "journal PATH is in use by another run (pid N)", the pid taken from the
 * last header in the file.  Other failures (read-only folder...) DR_EIO
 * naming the path and saying that --no-journal runs without one.
 */
int dr__journal_open(const char *path, const char *graph, int append,
                     dr__journal **out, dr_error *err);
/* Formats a record into the journal's buffer (no system call); cheap
 * enough for no-op tasks: no jansson tree.  Returns 0 or DR_ENOMEM. */
int dr__journal_append(dr__journal *j, const dr__jrec *r);
/* write()s what is buffered (then it survives kill -9 of this process).
 * Returns 0 or DR_EIO with err; after a failed write nothing of the buffer
 * stays in the file (a partial write is cut off again) and the buffer is
 * kept, so a later call tries again. */
int dr__journal_write(dr__journal *j, dr_error *err);
/* dr__journal_write, then fdatasync (it survives a power cut). */
int dr__journal_sync(dr__journal *j, dr_error *err);
/* Bytes buffered and not yet written. */
size_t dr__journal_pending(const dr__journal *j);
/* Writes, syncs, unlocks and closes; NULL does nothing.  Returns 0 or
 * DR_EIO (err may be NULL). */
int dr__journal_close(dr__journal *j, dr_error *err);

/* A journal as read back (dr__jread, not dr__journal_read: C cannot give
 * a type and the function that fills it one name). */
typedef struct dr__jread {
    json_t *header;  /* the first header line, NULL when none */
    json_t *records; /* array of the valid attempt records, in file order */
    size_t runs;     /* header lines */
    size_t bad;      /* lines ignored: torn, not JSON, wrong sum */
    /* "" when the records may be used; else why not, one line, e.g.
     * "journal dagrun-out/pi/journal.jsonl is of format 2, this dagrun
     * reads format 1: every task runs" or "... was written for graph 'pi',
     * not 'lecture' ...".  Records is then empty. */
    char note[512];
    /* Every valid line, headers and records, in file order, whatever the
     * note (for `dagrun log`). */
    json_t *lines;
} dr__jread;

/*
 * Reads `path` without locking it.  A missing file is an empty read (note
 * "", no records).  A line counts only when it ends with its newline, its
 * checksum is right, it parses, and its members have the types above
 * (records with the types of format 1).  `graph` (may be NULL: any) is the
 * graph the records must be of.  Never fails on content: what it cannot use it
 * ignores or explains in `note`.  Returns 0, or DR_EIO (unreadable, a folder)
 * or DR_ENOMEM with err.  Free with dr__journal_read_free.
 */
int dr__journal_read(const char *path, const char *graph, dr__jread *out,
                     dr_error *err);
/* dr__journal_read of data[0..len) read from the file `name` (for the
 * note); an empty buffer reads as a missing file. */
int dr__journal_read_buffer(const char *data, size_t len, const char *name,
                            const char *graph, dr__jread *out, dr_error *err);
void dr__journal_read_free(dr__jread *r);

/* A record's file list member (inputs/outputs) back as a dr__file_fp;
 * returns 0 or -1 when malformed. */
int dr__journal_file_fp(const json_t *file, dr__file_fp *out);

#endif
