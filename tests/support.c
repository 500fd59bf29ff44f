/* See support.h. */
#define _GNU_SOURCE /* vasprintf */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *drt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

int drt_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

char *drt_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

char *drt_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    char *tmpl = drt_fmt("%s/dagrun-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL)
        abort();
    return tmpl;
}

void drt_rmtree(const char *path) {
    char *cmd = drt_fmt("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    free(cmd);
}

const char *drt_cli_path(void) {
    const char *env = getenv("DR_CLI");
    return env && *env ? env : DR_CLI;
}

int drt_cli(char **out, char **err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *args = NULL;
    if (vasprintf(&args, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *dir = drt_tmpdir();
    char *cmd = drt_fmt("'%s' %s </dev/null >'%s/out' 2>'%s/err'",
                        drt_cli_path(), args, dir, dir);
    int status = system(cmd);
    int rc = -1;
    if (status != -1) {
        if (WIFEXITED(status))
            rc = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            rc = 128 + WTERMSIG(status);
    }
    char *p;
    if (out != NULL) {
        p = drt_fmt("%s/out", dir);
        *out = drt_read_file(p, NULL);
        free(p);
    }
    if (err != NULL) {
        p = drt_fmt("%s/err", dir);
        *err = drt_read_file(p, NULL);
        free(p);
    }
    drt_rmtree(dir);
    free(dir);
    free(cmd);
    free(args);
    return rc;
}
