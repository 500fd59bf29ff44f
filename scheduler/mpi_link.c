/*
 * The MPI transport of --executor mpi; mpi_link.h has the design.
 */
#define _GNU_SOURCE
#include "mpi_link.h"

#include <dagrun/run.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_SPINS 2000  /* tests before the first sleep */
#define POLL_MIN_US 20   /* first sleep */
#define POLL_MAX_US 2000 /* longest sleep */

/* The job's size and this rank, from the variables the launchers set
 * (Open MPI's mpirun, PMIx under Slurm's srun, MPICH's hydra and PMI-2). */
int dr_mpi_rank(unsigned *size) {
    /* Not SLURM_PROCID: a batch script has it too, outside any job step. */
    static const char *const ranks[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                        "PMI_RANK"};
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                        "OMPI_UNIVERSE_SIZE"};
    int rank = -1;
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0] && rank < 0; i++) {
        const char *v = getenv(ranks[i]);
        char *end;
        long r;
        if (v != NULL && *v && (r = strtol(v, &end, 10)) >= 0 && *end == '\0')
            rank = (int)r;
    }
    unsigned n = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rank >= 0; i++) {
        const char *v = getenv(sizes[i]);
        char *end;
        long s;
        if (v != NULL && *v && (s = strtol(v, &end, 10)) > 0 && *end == '\0') {
            n = (unsigned)s;
            break;
        }
    }
    if (size != NULL)
        *size = rank >= 0 ? n : 1;
    return rank;
}

#ifdef DAGRUN_HAVE_MPI
#include <mpi.h>

int dr_mpi_available(void) { return 1; }

static MPI_Comm comm = MPI_COMM_NULL;
/* This thread's last dr__mpi_recv: seconds from the message's match to
 * its decoding (the waiting before it left out). */
static _Thread_local double last_recv_s;

double dr__mpi_last_recv_seconds(void) { return last_recv_s; }

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static volatile sig_atomic_t abandoned;

void dr__mpi_abandon(void) { abandoned = 1; }

int dr__mpi_abandoned(void) { return abandoned != 0; }

static void finalize(void) {
    if (abandoned)
        return;
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

static void mpi_error_text(int code, char *buf, size_t len) {
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(code, s, &n) != MPI_SUCCESS)
        snprintf(s, sizeof s, "MPI error %d", code);
    snprintf(buf, len, "%s", s);
}

int dr__mpi_init(int *rank, int *size, char *err, size_t errlen) {
    int inited = 0, done = 0;
    MPI_Finalized(&done);
    if (done) {
        snprintf(err, errlen, "MPI has been finalised in this process");
        return -1;
    }
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) !=
            MPI_SUCCESS) {
            snprintf(err, errlen, "MPI_Init_thread failed");
            return -1;
        }
        atexit(finalize);
        if (provided < MPI_THREAD_MULTIPLE) {
            snprintf(err, errlen,
                     "this MPI library does not support MPI_THREAD_MULTIPLE "
                     "(it gives level %d), which --executor mpi needs",
                     provided);
            return -1;
        }
    } else {
        int provided = 0;
        MPI_Query_thread(&provided);
        if (provided < MPI_THREAD_MULTIPLE) {
            snprintf(err, errlen,
                     "MPI was initialised by the program without "
                     "MPI_THREAD_MULTIPLE, which --executor mpi needs: call "
                     "MPI_Init_thread(..., MPI_THREAD_MULTIPLE, ...)");
            return -1;
        }
    }
    if (comm == MPI_COMM_NULL) {
        if (MPI_Comm_dup(MPI_COMM_WORLD, &comm) != MPI_SUCCESS) {
            snprintf(err, errlen, "MPI_Comm_dup failed");
            return -1;
        }
        MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    }
    MPI_Comm_rank(comm, rank);
    MPI_Comm_size(comm, size);
    return 0;
}

void dr__mpi_host(char *buf, size_t len) {
    char name[MPI_MAX_PROCESSOR_NAME];
    int n = 0;
    if (MPI_Get_processor_name(name, &n) != MPI_SUCCESS)
        snprintf(name, sizeof name, "?");
    snprintf(buf, len, "%s", name);
}

/* The poll loop's pause after `tries` unsuccessful tests. */
static void pause_after(unsigned *tries, unsigned spins) {
    unsigned k = ++*tries;
    if (k < spins)
        return;
    unsigned us = POLL_MIN_US;
    for (unsigned i = spins; i < k && us < POLL_MAX_US; i += 8)
        us *= 2;
    if (us > POLL_MAX_US)
        us = POLL_MAX_US;
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

/* Waits for request r, polling stop; cancels it when stopped. */
static int wait_request(MPI_Request *r, int (*stop)(void *), void *arg,
                        MPI_Status *st, char *err, size_t errlen) {
    unsigned tries = 0;
    for (;;) {
        int flag = 0;
        int rc = MPI_Test(r, &flag, st);
        if (rc != MPI_SUCCESS) {
            mpi_error_text(rc, err, errlen);
            return DR__PROTO_IO;
        }
        if (flag)
            return DR__PROTO_OK;
        if (stop != NULL && stop(arg)) {
            MPI_Cancel(r);
            MPI_Request_free(r);
            snprintf(err, errlen, "stopped");
            return DR__PROTO_STOPPED;
        }
        pause_after(&tries, POLL_SPINS);
    }
}

int dr__mpi_send(int rank, int tag, unsigned type, const json_t *body,
                 const void *bin, size_t nbin, int (*stop)(void *), void *arg,
                 size_t *wire, char *err, size_t errlen) {
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = dr__proto_encode(type, body, bin, nbin, &buf, &n);
    if (rc != 0) {
        snprintf(err, errlen, "cannot encode a %s message: %s",
                 dr__proto_type_name(type), dr_strerror(rc));
        return DR__PROTO_IO;
    }
    if (n > (size_t)0x7fffffff) {
        free(buf);
        snprintf(err, errlen, "a %zu-byte message is over MPI's 2 GiB count",
                 n);
        return DR__PROTO_IO;
    }
    MPI_Request r;
    rc = MPI_Isend(buf, (int)n, MPI_BYTE, rank, tag, comm, &r);
    if (rc != MPI_SUCCESS) {
        free(buf);
        mpi_error_text(rc, err, errlen);
        return DR__PROTO_IO;
    }
    MPI_Status st;
    rc = wait_request(&r, stop, arg, &st, err, errlen);
    free(buf);
    if (rc == DR__PROTO_OK && wire != NULL)
        *wire = n;
    return rc;
}

int dr__mpi_waiting(int rank, int tag) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(rank < 0 ? MPI_ANY_SOURCE : rank, tag, comm, &flag, &st);
    return flag;
}

int dr__mpi_recv(int rank, int tag, dr__msg *m, uint64_t limit,
                 int (*stop)(void *), void *arg, int *from, char *err,
                 size_t errlen) {
    memset(m, 0, sizeof *m);
    MPI_Status st;
    MPI_Message mh;
    unsigned tries = 0;
    for (;;) {
        int flag = 0;
        int rc = MPI_Improbe(rank < 0 ? MPI_ANY_SOURCE : rank, tag, comm, &flag,
                             &mh, &st);
        if (rc != MPI_SUCCESS) {
            mpi_error_text(rc, err, errlen);
            return DR__PROTO_IO;
        }
        if (flag)
            break;
        if (stop != NULL && stop(arg)) {
            snprintf(err, errlen, "stopped");
            return DR__PROTO_STOPPED;
        }
        pause_after(&tries, POLL_SPINS);
    }
    double matched = mono_s();
    last_recv_s = 0;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (from != NULL)
        *from = st.MPI_SOURCE;
    unsigned char *buf = malloc(count > 0 ? (size_t)count : 1);
    if (buf == NULL) {
        MPI_Mrecv(NULL, 0, MPI_BYTE, &mh, MPI_STATUS_IGNORE); /* drop it */
        snprintf(err, errlen, "out of memory for a %d-byte message", count);
        return DR__PROTO_IO;
    }
    MPI_Request r;
    int rc = MPI_Imrecv(buf, count, MPI_BYTE, &mh, &r);
    if (rc == MPI_SUCCESS)
        rc = wait_request(&r, NULL, NULL, &st, err, errlen);
    else {
        mpi_error_text(rc, err, errlen);
        rc = DR__PROTO_IO;
    }
    if (rc != DR__PROTO_OK) {
        free(buf);
        return rc;
    }
    dr__proto_decoder *d = dr__proto_decoder_new(limit);
    if (d == NULL) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return DR__PROTO_IO;
    }
    rc = dr__proto_decoder_feed(d, buf, (size_t)count, err, errlen);
    free(buf);
    if (rc == DR__PROTO_OK && !dr__proto_decoder_next(d, m)) {
        snprintf(err, errlen,
                 "a %d-byte MPI message that is not one whole "
                 "message",
                 count);
        rc = DR__PROTO_BAD;
    }
    if (rc == DR__PROTO_OK && !dr__proto_decoder_idle(d)) {
        dr__msg_free(m);
        snprintf(err, errlen, "an MPI message with bytes after its message");
        rc = DR__PROTO_BAD;
    }
    dr__proto_decoder_free(d);
    last_recv_s = mono_s() - matched;
    return rc;
}

#else /* no MPI */

int dr_mpi_available(void) { return 0; }

void dr__mpi_abandon(void) {}

int dr__mpi_abandoned(void) { return 0; }

int dr__mpi_init(int *rank, int *size, char *err, size_t errlen) {
    *rank = 0;
    *size = 1;
    snprintf(err, errlen,
             "this dagrun was built without MPI (CMake found no MPI "
             "library): install libopenmpi-dev (scripts/setup.sh does) and "
             "build again");
    return -1;
}

void dr__mpi_host(char *buf, size_t len) { snprintf(buf, len, "?"); }

int dr__mpi_send(int rank, int tag, unsigned type, const json_t *body,
                 const void *bin, size_t nbin, int (*stop)(void *), void *arg,
                 size_t *wire, char *err, size_t errlen) {
    (void)rank, (void)tag, (void)type, (void)body, (void)bin, (void)nbin;
    (void)stop, (void)arg, (void)wire;
    snprintf(err, errlen, "this dagrun was built without MPI");
    return DR__PROTO_IO;
}

int dr__mpi_recv(int rank, int tag, dr__msg *m, uint64_t limit,
                 int (*stop)(void *), void *arg, int *from, char *err,
                 size_t errlen) {
    (void)rank, (void)tag, (void)limit, (void)stop, (void)arg, (void)from;
    memset(m, 0, sizeof *m);
    snprintf(err, errlen, "this dagrun was built without MPI");
    return DR__PROTO_IO;
}

int dr__mpi_waiting(int rank, int tag) {
    (void)rank, (void)tag;
    return 0;
}

double dr__mpi_last_recv_seconds(void) { return 0; }

#endif
