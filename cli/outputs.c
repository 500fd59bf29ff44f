/*
 * The files the picture commands write (`viz -o/--report`, `gantt -o`,
 * `run --dot/--svg/--gantt/--report/--trace/--json`), checked before
 * anything is loaded or run: a name's extension must be a format the
 * writer gives (the task graph goes through Graphviz, which renders SVG,
 * PNG, PDF, DOT and a few more by name; the timeline is SVG only; the
 * report HTML only), so that no file named x.png ever holds SVG.  "-" is
 * standard output where a command has nothing else to say there (viz and
 * gantt: one picture, in its default format); `run` prints its summary on
 * standard output, so it refuses "-".  Where a picture goes to standard
 * output it is drawn in memory, written in one go and flushed, and a
 * failed write (a closed pipe, a full disk) is an error.  A file that is
 * not a regular one (/dev/null, a FIFO, /dev/stdout) has no extension to
 * check: it gets what "-" would get.
 */
#include "cli.h"
#include "viz_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* 1 when path ends in one of the extensions (".svg"), any case. */
static int ends_in(const char *path, const char *const *exts) {
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return 0;
    for (; *exts != NULL; exts++)
        if (strcasecmp(dot, *exts) == 0)
            return 1;
    return 0;
}

int cli_output_is_stream(const char *path) {
    if (strcmp(path, "/dev/stdout") == 0 || strcmp(path, "/dev/stderr") == 0 ||
        strncmp(path, "/dev/fd/", 8) == 0 ||
        strncmp(path, "/proc/self/fd/", 14) == 0)
        return 1;
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

int cli_check_output(const char *cmd, const char *opt, const char *path,
                     cli_output kind, int stdout_ok) {
    /* /dev/null, a FIFO, a terminal: no name to judge, and the file is
     * written in place in the default format (graph/fileio.c), as for
     * "-" (where the writer has a default: the task graph's picture has
     * one only in viz, which renders SVG for it). */
    if (cli_output_is_stream(path) && (kind != CLI_OUT_GRAPH || stdout_ok))
        return 0;
    static const char *const svg[] = {".svg", NULL},
                             *const html[] = {".html", ".htm", NULL},
                             *const json[] = {".json", NULL};
    if (strcmp(path, "-") == 0) {
        if (stdout_ok)
            return 0;
        cli_usage_error(cmd,
                        "%s -: standard output carries the run's summary; "
                        "give a file name",
                        opt);
        return -1;
    }
    switch (kind) {
    case CLI_OUT_GRAPH:
        if (dr__viz_format_of(path) != NULL)
            return 0;
        cli_usage_error(
            cmd,
            "%s %s: unknown picture format for the task graph: give "
            "a name ending in .svg, .png, .pdf or .dot (also .gv, "
            ".jpg, .jpeg, .json)%s",
            opt, path,
            stdout_ok ? ", or - for SVG on standard "
                        "output"
                      : "");
        return -1;
    case CLI_OUT_GANTT:
        if (ends_in(path, svg))
            return 0;
        cli_usage_error(cmd,
                        "%s %s: the timeline is drawn as SVG only: give a "
                        "name ending in .svg%s (a browser or rsvg-convert "
                        "turns it into PNG or PDF)",
                        opt, path,
                        stdout_ok ? ", or - for standard output" : "");
        return -1;
    case CLI_OUT_REPORT:
        if (ends_in(path, html))
            return 0;
        cli_usage_error(cmd,
                        "%s %s: the report is HTML only: give a name ending "
                        "in .html or .htm%s (a browser prints it to PDF)",
                        opt, path,
                        stdout_ok ? ", or - for standard output" : "");
        return -1;
    case CLI_OUT_JSON:
        /* trace.json and summary.json: the name is the user's, but not a
         * picture's (a trace named x.svg would open as a broken picture). */
        if (ends_in(path, json) || dr__viz_format_of(path) == NULL)
            return 0;
        cli_usage_error(cmd,
                        "%s %s: this file is JSON: give a name ending in "
                        ".json",
                        opt, path);
        return -1;
    }
    return 0;
}

int cli_write_output(const char *path, const char *data, size_t len,
                     dr_error *err) {
    if (strcmp(path, "-") != 0)
        return dr_write_file_atomic(path, data, len, err);
    errno = 0;
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        dr__error_set(err, DR_EIO, NULL, 0, 0, NULL,
                      "cannot write to standard output: %s",
                      strerror(errno ? errno : EIO));
        return DR_EIO;
    }
    return 0;
}
