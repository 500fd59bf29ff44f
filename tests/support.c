/* See support.h. */
#define _GNU_SOURCE /* vasprintf */
#include "support.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

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

/* ----------------------------------------------------------- processes */

void drt_nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

char *drt_text_in(const char *dir, const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    char *text = drt_read_file(path, NULL);
    free(path);
    return text ? text : strdup("");
}

int drt_wait_for_path(const char *path, double seconds) {
    for (long waited = 0;; waited += 10) {
        if (access(path, F_OK) == 0)
            return 1;
        if (waited >= seconds * 1000)
            return 0;
        drt_nap_ms(10);
    }
}

int drt_alive(long pid) {
    char *path = drt_fmt("/proc/%ld/stat", pid);
    char *stat = drt_read_file(path, NULL);
    free(path);
    if (stat == NULL)
        return 0;
    /* The command name may hold ')': the state follows the last one. */
    const char *paren = strrchr(stat, ')');
    int live =
        paren != NULL && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
    free(stat);
    return live;
}

pid_t drt_start(const char *dir, const char *program, char *const argv[],
                char *const env[], const char *out, const char *err) {
    extern char **environ;
    char *const *envp = env != NULL ? env : environ;
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        if (dir != NULL && chdir(dir) != 0)
            _exit(99);
        int in = open("/dev/null", O_RDONLY);
        int o = out != NULL ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)
                            : open("/dev/null", O_WRONLY);
        int e = err != NULL ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644)
                            : open("/dev/null", O_WRONLY);
        if (in < 0 || o < 0 || e < 0)
            _exit(97);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        execve(program, argv, envp);
        _exit(98);
    }
    return pid;
}

pid_t drt_start_cli(const char *dir, char *const argv[], char *const env[],
                    const char *out, const char *err) {
    return drt_start(dir, drt_cli_path(), argv, env, out, err);
}

int drt_reap(pid_t pid, double seconds, int *status) {
    int st = 0;
    pid_t done = 0;
    if (seconds <= 0)
        while ((done = waitpid(pid, &st, 0)) < 0)
            ;
    for (long waited = 0;
         done == 0 && (done = waitpid(pid, &st, WNOHANG)) == 0 &&
         waited < seconds * 1000;
         waited += 10)
        drt_nap_ms(10);
    if (status != NULL)
        *status = st;
    if (done != 0)
        return 0;
    kill(pid, SIGKILL);
    waitpid(pid, status != NULL ? status : &st, 0);
    return -1;
}

int drt_exit_code(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/* ----------------------------------------------------- marked processes */

char **drt_env_with(const char *entry) {
    extern char **environ;
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (env == NULL)
        abort();
    /* An entry of the same name is replaced: getenv takes the first. */
    const char *eq = strchr(entry, '=');
    size_t name = eq != NULL ? (size_t)(eq - entry) + 1 : strlen(entry);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], entry, name) != 0)
            env[k++] = environ[i];
    env[k] = (char *)entry;
    return env;
}

/* 1 when pid is alive and its environment holds `entry`. */
static int holds_entry(long pid, const char *entry) {
    if (!drt_alive(pid))
        return 0;
    char *path = drt_fmt("/proc/%ld/environ", pid);
    size_t len = 0;
    char *env = drt_read_file(path, &len);
    free(path);
    int found = 0;
    size_t elen = strlen(entry);
    for (size_t i = 0; env != NULL && i < len && !found;) {
        size_t n = strnlen(env + i, len - i);
        found = n == elen && memcmp(env + i, entry, elen) == 0;
        i += n + 1;
    }
    free(env);
    return found;
}

int drt_marked(const char *entry, int sig, char *who, size_t wholen) {
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    int count = 0;
    size_t used = 0;
    if (who != NULL && wholen > 0)
        who[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 1 || pid == (long)getpid())
            continue;
        if (!holds_entry(pid, entry))
            continue;
        count++;
        if (sig != 0)
            kill((pid_t)pid, sig);
        if (who != NULL && used + 128 < wholen) {
            char *path = drt_fmt("/proc/%ld/cmdline", pid);
            size_t n = 0;
            char *cmd = drt_read_file(path, &n);
            for (size_t i = 0; cmd != NULL && i + 1 < n; i++)
                if (cmd[i] == '\0')
                    cmd[i] = ' ';
            used += (size_t)snprintf(who + used, wholen - used, " [%ld %.80s]",
                                     pid, cmd ? cmd : "?");
            free(cmd);
            free(path);
        }
    }
    closedir(d);
    return count;
}

int drt_wait_unmarked(const char *entry, char *who, size_t wholen) {
    int left = 0;
    for (int i = 0; i < 1500; i++) {
        left = drt_marked(entry, 0, who, wholen);
        if (left == 0)
            return 0;
        drt_nap_ms(20);
    }
    return left;
}

/* -------------------------------------------------------- journal lines */

int drt_journal_line_ok(const char *line, size_t len) {
    static const char tail[] = ",\"sum\":\"";
    size_t tlen = sizeof tail - 1;
    if (len < tlen + 16 + 2 || line[len - 1] != '}' || line[len - 2] != '"')
        return 0;
    size_t at = len - 2 - 16 - tlen;
    if (memcmp(line + at, tail, tlen) != 0)
        return 0;
    char hex[17];
    memcpy(hex, line + at + tlen, 16);
    hex[16] = '\0';
    if (strspn(hex, "0123456789abcdefABCDEF") != 16)
        return 0;
    unsigned long long sum = strtoull(hex, NULL, 16);
    return sum == (unsigned long long)XXH3_64bits(line, at);
}

char *drt_journal_seal(const char *body) {
    return drt_fmt("%s,\"sum\":\"%016llx\"}", body,
                   (unsigned long long)XXH3_64bits(body, strlen(body)));
}

/* Processes whose working folder is `dir` (what the test started runs
 * there, and so would anything it left behind). */
int drt_processes_in(const char *dir) {
    char real[PATH_MAX];
    if (realpath(dir, real) == NULL)
        return -1;
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return -1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(proc)) != NULL) {
        if (strspn(e->d_name, "0123456789") != strlen(e->d_name))
            continue;
        long pid = strtol(e->d_name, NULL, 10);
        char *link = drt_fmt("/proc/%s/cwd", e->d_name);
        char cwd[PATH_MAX];
        ssize_t len = readlink(link, cwd, sizeof(cwd) - 1);
        free(link);
        if (len < 0)
            continue;
        cwd[len] = '\0';
        n += strcmp(cwd, real) == 0 && drt_alive(pid);
    }
    closedir(proc);
    return n;
}
