/* See run_folder.h. */
#include "run_folder.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUNNING_FILE "RUNNING"

/* What a run writes in its output folder, removed when the next starts. */
static const char *const folder_outputs[FOLDER_OUTPUTS] = {
    "trace.json", "summary.json", "dag.dot",
    "dag.svg",    "gantt.svg",    "report.html"};

/* Says in RUNNING who holds the folder (read by a run that finds it
 * taken, and by a user who finds it left behind). */
static void write_running_note(int fd, const char *graph_path) {
    char when[64] = "?";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) != NULL)
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char text[1024];
    int len = snprintf(
        text, sizeof text,
        "pid %ld\nstarted %s\ngraph %s\n"
        "A dagrun run is using this folder.  This file is removed when it "
        "ends; if no process %ld is running, the run was killed and the "
        "files here are only part of its outputs.\n",
        (long)getpid(), when, graph_path, (long)getpid());
    if (len < 0)
        return;
    if ((size_t)len >= sizeof text)
        len = (int)sizeof text - 1;
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) < 0) {
        /* Only a note: the lock is what matters. */
    }
}

int run_folder_take(const char *outdir, const char *graph_path,
                    folder_lock *lk) {
    lk->fd = -1;
    lk->path = cli_join(outdir, RUNNING_FILE);
    lk->dir = strdup(outdir);
    if (lk->path == NULL || lk->dir == NULL)
        return -1;
    for (int tries = 0; tries < 16 && lk->fd < 0; tries++) {
        int fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            fprintf(stderr, "dagrun run: cannot create %s: %s\n", lk->path,
                    strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int busy = errno == EWOULDBLOCK;
            char who[64] = "";
            ssize_t got = pread(fd, who, sizeof who - 1, 0);
            who[got > 0 ? got : 0] = '\0';
            who[strcspn(who, "\n")] = '\0';
            close(fd);
            if (busy)
                fprintf(stderr,
                        "dagrun run: the output folder '%s' is in use by "
                        "another run (%s); wait for it to end or choose "
                        "another folder with -o\n",
                        outdir, who[0] ? who : "see its RUNNING file");
            else
                fprintf(stderr, "dagrun run: cannot lock %s: %s\n", lk->path,
                        strerror(errno));
            return -1;
        }
        /* The run that held it may have removed the file between our open
         * and our lock: then this lock guards nothing; take the new one. */
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(lk->path, &now) == 0 &&
            held.st_dev == now.st_dev && held.st_ino == now.st_ino)
            lk->fd = fd;
        else
            close(fd);
    }
    if (lk->fd < 0) {
        fprintf(stderr, "dagrun run: cannot lock %s\n", lk->path);
        return -1;
    }
    write_running_note(lk->fd, graph_path);
    for (size_t i = 0; i < sizeof folder_outputs / sizeof folder_outputs[0];
         i++) {
        char *path = cli_join(outdir, folder_outputs[i]);
        /* Its mode is the one the next output of that name gets. */
        struct stat st;
        lk->kept[i] =
            path != NULL && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
        lk->mode[i] = lk->kept[i] ? st.st_mode & 07777 : 0;
        int rc = path != NULL && unlink(path) != 0 && errno != ENOENT;
        if (rc)
            fprintf(stderr, "dagrun run: cannot remove the last run's %s: %s\n",
                    path, strerror(errno));
        free(path);
        if (rc || path == NULL)
            return -1;
    }
    return 0;
}

void run_folder_keep_modes(folder_lock *lk) {
    for (size_t i = 0; lk->fd >= 0 && i < FOLDER_OUTPUTS; i++) {
        /* A file that is new keeps 0666 less the umask, as always. */
        if (!lk->kept[i])
            continue;
        char *path = cli_join(lk->dir, folder_outputs[i]);
        /* Created 0600, then given the old mode: never looser meanwhile. */
        int fd = path != NULL
                     ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
                     : -1;
        struct stat st;
        if (fd >= 0 && fchmod(fd, lk->mode[i]) == 0 && fstat(fd, &st) == 0) {
            lk->placed[i] = 1;
            lk->dev[i] = st.st_dev;
            lk->ino[i] = st.st_ino;
        } else if (fd >= 0) {
            unlink(path);
        }
        if (fd >= 0)
            close(fd);
        free(path);
    }
}

void run_folder_release(folder_lock *lk) {
    for (size_t i = 0; lk->fd >= 0 && i < FOLDER_OUTPUTS; i++) {
        char *path = lk->placed[i] ? cli_join(lk->dir, folder_outputs[i]) : 0;
        struct stat st;
        /* Still the empty placeholder: this run wrote no such output. */
        if (path != NULL && lstat(path, &st) == 0 && st.st_dev == lk->dev[i] &&
            st.st_ino == lk->ino[i] && st.st_size == 0)
            unlink(path);
        free(path);
        lk->placed[i] = 0;
    }
    if (lk->fd >= 0) {
        unlink(lk->path);
        close(lk->fd);
    }
    lk->fd = -1;
    free(lk->path);
    lk->path = NULL;
    free(lk->dir);
    lk->dir = NULL;
}

char *run_folder_temporary_logs(void) {
    const char *base = getenv("TMPDIR");
    char *tmpl = cli_join(base && *base ? base : "/tmp", "dagrun-logs-XXXXXX");
    if (tmpl != NULL && mkdtemp(tmpl) == NULL) {
        fprintf(stderr,
                "dagrun run: cannot create a folder for the logs "
                "in %s: %s\n",
                base && *base ? base : "/tmp", strerror(errno));
        free(tmpl);
        return NULL;
    }
    return tmpl;
}
