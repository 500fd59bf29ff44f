/*
 * The process pool of --executor processes: worker processes forked, on
 * request, by a single-threaded "zygote" that the run forks before it
 * starts any thread of its own.  pool.c explains why; docs/running.md
 * ("Executors") says what it means for a C API program.
 *
 * Each worker is connected to dagrun by one AF_UNIX stream socket, over
 * which the executor speaks the worker protocol (protocol.h).  The pool
 * only starts, stops and reaps workers; it knows nothing of tasks.
 */
#ifndef DAGRUN_POOL_H
#define DAGRUN_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct dr__pool dr__pool;

/* Runs in a new worker process with `fd`, its end of the socket (always
 * fd 3), and the worker id it was started for.  Returning exits the
 * worker with status 0 (stdio flushed). */
typedef void (*dr__pool_main)(int fd, unsigned worker, void *arg);

typedef struct dr__pool_config {
    dr__pool_main main;
    void *arg;
    /* RLIMIT_AS of every worker, bytes; 0: unlimited. */
    uint64_t memory;
} dr__pool_config;

/* Forks the zygote.  Call it from a process with no thread of dagrun's
 * own running; the config is copied into the zygote.  Returns the pool, or
 * NULL with errno set (nothing started). */
dr__pool *dr__pool_start(const dr__pool_config *cfg);

/* Starts worker `worker`; thread-safe.  Returns 0 with *fd (dagrun's end
 * of the socket, close-on-exec, blocking) and *pid, or -1 with errno set
 * and a one-line reason in err ("cannot start worker process 3: Too many
 * open files"). */
int dr__pool_spawn(dr__pool *p, unsigned worker, int *fd, int *pid, char *err,
                   size_t errlen);

/* Kills worker `pid` (SIGKILL; harmless if it has already died) and
 * waits for it; thread-safe.  Returns its wait status (as waitpid's: a
 * crash keeps its signal), or -1 when the zygote is gone. */
int dr__pool_reap(dr__pool *p, int pid);

/* 1 when the zygote has died or was given up on (no worker can start any
 * more), with the reason in why ("the process that starts worker
 * processes (dagrun-zygote, pid 42) died of signal 9 (Killed)"); else 0.
 * Thread-safe. */
int dr__pool_gone(dr__pool *p, char *why, size_t len);

/* The zygote's pid, for tests and `ps` checks; 0 when none. */
int dr__pool_pid(const dr__pool *p);

/* Stops the pool: the workers still alive are given `grace_ms` to exit
 * on their own (dagrun closes their sockets first, which tells them to),
 * then killed; waits for the zygote.  NULL-safe. */
void dr__pool_finish(dr__pool *p, unsigned grace_ms);

/* "died of signal 11 (Segmentation fault)", "exited with status 3" for a
 * wait status; writes into buf and returns it. */
const char *dr__wait_status_text(int status, char *buf, size_t len);

#endif
