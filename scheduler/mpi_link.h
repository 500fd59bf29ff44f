/*
 * The MPI transport of --executor mpi (docs/mpi.md): worker-protocol
 * messages (protocol.h) carried whole, one MPI message each, on a
 * communicator of dagrun's own (a duplicate of MPI_COMM_WORLD, so that a
 * program's own messages never meet ours).  Built only when CMake found MPI
 * (DAGRUN_HAVE_MPI); without it every function fails with a message that
 * says so.
 *
 * Why polling: Open MPI's blocking calls spin on the CPU while they wait,
 * and on a machine with fewer cores than ranks and threads a spinning
 * waiter takes the core from the rank that would answer it.  So sends and
 * receives are non-blocking requests tested in a loop that spins for a few
 * microseconds and then sleeps, the sleep doubling up to POLL_MAX_US: an
 * answer that comes at once costs no sleep, an idle rank costs next to no
 * CPU.  The same loop calls a stop callback, which is how a timeout, a
 * Ctrl-C or a dead peer ends a wait.
 *
 * Tags: the start-up messages have their own (HELLO, START), each rank's
 * control channel (CTRL: cancel, shutdown) its own, and worker slot j of a
 * rank the pair TASK(j) / RESULT(j), so each of rank 0's slot threads
 * waits only for its own answer.
 */
#ifndef DAGRUN_MPI_LINK_H
#define DAGRUN_MPI_LINK_H

#include "protocol.h"

#include <stddef.h>
#include <stdint.h>

enum {
    DR__TAG_HELLO = 1, /* worker rank -> 0: who it is, what it holds */
    DR__TAG_START = 2, /* 0 -> worker rank: its first slot id, or refused */
    DR__TAG_CTRL = 3,  /* 0 -> worker rank: cancel an attempt, drop a
                          result, shutdown */
    DR__TAG_FETCH = 4, /* worker rank -> worker rank: send me a result */
    DR__TAG_SLOT0 = 16 /* slot j: TASK at 16 + 2j, RESULT at 17 + 2j */
};
/* Slots per rank: the tags must stay under MPI's guaranteed 32767. */
#define DR__MPI_MAX_SLOTS 4096
#define DR__TAG_TASK(j) (DR__TAG_SLOT0 + 2 * (int)(j))
#define DR__TAG_RESULT(j) (DR__TAG_SLOT0 + 2 * (int)(j) + 1)
/* The answer to slot j's FETCH, from the rank that holds the result. */
#define DR__TAG_DATA(j) (DR__TAG_SLOT0 + 2 * DR__MPI_MAX_SLOTS + (int)(j))

/* Initialises MPI once per process (MPI_THREAD_MULTIPLE, needed because
 * every worker slot thread sends and receives), unless the program did;
 * MPI is then finalised at exit.  Sets *rank and *size.  Returns 0, or -1
 * with one line in err. */
int dr__mpi_init(int *rank, int *size, char *err, size_t errlen);

/* This machine's name as MPI knows it (MPI_Get_processor_name). */
void dr__mpi_host(char *buf, size_t len);

/* Sends one message to `rank` with `tag`, and waits until MPI has taken it
 * (the buffer is freed then), polling stop(arg) (may be NULL).  Returns 0,
 * DR__PROTO_STOPPED, or DR__PROTO_IO with a line in err.  *wire (may be
 * NULL) gets the message's bytes. */
int dr__mpi_send(int rank, int tag, unsigned type, const json_t *body,
                 const void *bin, size_t nbin, int (*stop)(void *), void *arg,
                 size_t *wire, char *err, size_t errlen);

/* Waits for one message from `rank` (-1: any) with `tag` and decodes it
 * into *m (the caller frees it on DR__PROTO_OK); *from (may be NULL) gets
 * the sender.  Polls stop(arg) (may be NULL) while nothing has come.  Returns
 * DR__PROTO_OK, STOPPED, BAD, TOOBIG or IO, with a line in err. */
int dr__mpi_recv(int rank, int tag, dr__msg *m, uint64_t limit,
                 int (*stop)(void *), void *arg, int *from, char *err,
                 size_t errlen);

/* Seconds this thread's last dr__mpi_recv spent receiving and decoding
 * its message, from the moment it matched (the wait before not counted). */
double dr__mpi_last_recv_seconds(void);

/* 1 when a message from `rank` with `tag` is waiting, else 0. */
int dr__mpi_waiting(int rank, int tag);

/* The job cannot end cleanly any more (a rank died, or mpirun is stopping
 * every rank after a signal): MPI_Finalize, which waits for every rank,
 * and rank 0's goodbye are skipped at exit, so that this process exits at
 * once with what it has written.  Async-signal-safe. */
void dr__mpi_abandon(void);
int dr__mpi_abandoned(void);

#endif
