/* Helpers shared by the test files: reading files, running the dagrun CLI
 * and making scratch folders.  Everything returned is new (caller frees). */
#ifndef DAGRUN_TEST_SUPPORT_H
#define DAGRUN_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* The whole file as a NUL-terminated string, or NULL. */
char *drt_read_file(const char *path, size_t *len);
/* Writes text to path; returns 0 or -1. */
int drt_write_file(const char *path, const char *text);
/* A new empty folder under $TMPDIR (or /tmp); never NULL (aborts). */
char *drt_tmpdir(void);
/* Removes a folder and everything in it. */
void drt_rmtree(const char *path);
/*
 * Runs `DR_CLI args` through /bin/sh with stdin from /dev/null, captures
 * stdout and stderr (either pointer may be NULL) and returns the exit status
 * (128+signal when killed, -1 when it could not run).
 */
int drt_cli(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Path of the dagrun binary under test. */
const char *drt_cli_path(void);
/* printf into a new string. */
char *drt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------ processes, for real (fork) */

/* Sleeps `ms` milliseconds. */
void drt_nap_ms(long ms);
/* The text of dir/name, or "" when it cannot be read; never NULL. */
char *drt_text_in(const char *dir, const char *name);
/* Polls every 10 ms until `path` exists, for at most `seconds` (a deadline
 * for a condition, never a measurement); returns whether it appeared. */
int drt_wait_for_path(const char *path, double seconds);
/* 1 while pid is a live process (it has a /proc entry and is not a
 * zombie). */
int drt_alive(long pid);
/* Live processes whose working folder is `dir` (what a test started runs
 * there, and so would anything it left behind); -1 on error. */
int drt_processes_in(const char *dir);
/*
 * Starts `program` (argv[0] first, NULL-terminated) in the background: in
 * folder `dir` (NULL: here), with environment `env` (NULL: ours), stdin
 * from /dev/null, stdout and stderr to the files `out` and `err` in that
 * folder (NULL: /dev/null).  Everything the child needs is made before
 * fork(), so the child only makes async-signal-safe calls.  Returns its pid
 * (aborts when fork fails).
 */
pid_t drt_start(const char *dir, const char *program, char *const argv[],
                char *const env[], const char *out, const char *err);
/* drt_start of the dagrun under test (argv[0] is "dagrun"). */
pid_t drt_start_cli(const char *dir, char *const argv[], char *const env[],
                    const char *out, const char *err);
/* Waits for child pid to end, for at most `seconds` (0: no limit), and
 * puts its wait status in *status; returns 0, or -1 after killing it with
 * SIGKILL (and reaping it) when it did not end in time. */
int drt_reap(pid_t pid, double seconds, int *status);
/* A wait status as a shell would say it: the exit code, or 128 + the
 * signal. */
int drt_exit_code(int status);

/* ------------------------------------ processes marked for one test */

/* A copy of our environment with `entry` ("NAME=value") added (in place
 * of NAME's value, if it has one), for
 * drt_start; free the array (not its strings) with free().  Aborts when
 * out of memory. */
char **drt_env_with(const char *entry);
/* Live processes (not zombies, not this one) whose environment holds
 * exactly `entry`: a mark given to one dagrun tags it, its watcher and
 * everything its commands start, and nothing else.  With `sig`, each is
 * sent it.  Their pids and command lines go into `who` (may be NULL). */
int drt_marked(const char *entry, int sig, char *who, size_t wholen);
/* Polls (up to 30 s, a deadline for a condition and not a measurement)
 * until no process carries `entry`; returns how many are left. */
int drt_wait_unmarked(const char *entry, char *who, size_t wholen);

/* -------------------------------------------- journal lines, by hand */

/* 1 when `line` (len bytes, its newline excluded) ends with the journal's
 * checksum member, `,"sum":"<16 hex digits>"}`, and the digits are the
 * XXH3-64 of the bytes before `,"sum"` (scheduler/journal.h): what the
 * reader accepts, checked without dagrun's own code. */
int drt_journal_line_ok(const char *line, size_t len);
/* `body` is a JSON object without its closing brace (`{"a":1`); returns
 * the journal line body + `,"sum":"..."}` (no newline), new. */
char *drt_journal_seal(const char *body);

#endif
