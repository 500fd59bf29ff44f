/* Helpers shared by the test files: reading files, running the dagrun CLI
 * and making scratch folders.  Everything returned is new (caller frees). */
#ifndef DAGRUN_TEST_SUPPORT_H
#define DAGRUN_TEST_SUPPORT_H

#include <stddef.h>

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

#endif
