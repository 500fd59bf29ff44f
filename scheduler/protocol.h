/*
 * The worker protocol (docs/worker-protocol.md): the messages between the
 * scheduler and a worker process (--executor processes) or an MPI rank
 * (--executor mpi).  This module only frames, encodes and decodes; it knows
 * nothing of processes, ranks or tasks beyond the bodies' member names.
 *
 * A message is a fixed 24-byte header, a JSON object (the body, compact
 * text) and an optional binary part (bin) that is never parsed here:
 *
 *   offset size  field
 *        0    4  magic "DRWP"
 *        4    2  version (u16 LE), DR__PROTO_VERSION
 *        6    2  type (u16 LE), DR__MSG_*
 *        8    4  flags (u32 LE), 0; a receiver rejects any bit set
 *       12    4  body_len (u32 LE), bytes of the JSON body
 *       16    8  bin_len (u64 LE), bytes of the binary part
 *
 * Lengths are checked against the limit before anything is allocated, so a
 * hostile length costs nothing.  Two readers share the checks: a blocking
 * one for a file descriptor (dr__proto_read, the socketpair of a worker
 * process) and a push decoder for transports that deliver chunks
 * (dr__proto_decoder_*, MPI or a libuv stream).
 */
#ifndef DAGRUN_PROTOCOL_H
#define DAGRUN_PROTOCOL_H

#include <dagrun.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DR__PROTO_VERSION 1
#define DR__PROTO_HEADER 24                       /* bytes */
#define DR__PROTO_MAX_DEFAULT ((uint64_t)1 << 30) /* 1 GiB */
/* The environment variable that replaces DR__PROTO_MAX_DEFAULT. */
#define DR__PROTO_MAX_ENV "DAGRUN_MAX_MESSAGE_BYTES"

enum {
    DR__MSG_HELLO = 1, /* worker -> scheduler, first message */
    DR__MSG_TASK,      /* scheduler -> worker: run one attempt */
    DR__MSG_RESULT,    /* worker -> scheduler: its outcome */
    DR__MSG_SHUTDOWN,  /* scheduler -> worker: exit cleanly */
    DR__MSG_ERROR /* either way: a protocol error, then the sender closes */
};
#define DR__MSG_LAST DR__MSG_ERROR

typedef struct dr__msg {
    unsigned type;
    json_t *body;       /* owned: a JSON object (never NULL after a read) */
    unsigned char *bin; /* owned: the binary part, NULL when nbin == 0 */
    size_t nbin;
    size_t wire_bytes; /* header + body + bin, as on the wire */
} dr__msg;

/* Frees what m owns and zeroes it; NULL-safe.  Can't fail. */
void dr__msg_free(dr__msg *m);

/* "hello", "task", "result", "shutdown", "error"; "unknown" for another
 * number.  A static string. */
const char *dr__proto_type_name(unsigned type);

/* The largest message accepted when a caller passes limit 0:
 * DAGRUN_MAX_MESSAGE_BYTES (a whole number, optionally followed by K, M or
 * G, as the graph limits) or DR__PROTO_MAX_DEFAULT.  Returns 0, or DR_EINVAL
 * with a one-line message in err for a malformed value (never silently the
 * default).  An executor calls it once at start and passes the value on. */
int dr__proto_limit(uint64_t *out, char *err, size_t errlen);

/* Encodes one message (header + compact JSON body + bin) into a new
 * malloc'd buffer *out of *nout bytes (the caller frees).  body NULL means
 * {}.  Returns 0, DR_EINVAL (type out of range, body not an object, body
 * text over 4 GiB, bin NULL with nbin > 0) or DR_ENOMEM. */
int dr__proto_encode(unsigned type, const json_t *body, const void *bin,
                     size_t nbin, unsigned char **out, size_t *nout);

/* Writes one whole message to a blocking fd with one gathered write
 * (header, body, bin: bin is not copied).  EINTR and short writes are
 * handled; a closed peer is -1 with errno EPIPE, never SIGPIPE (sockets:
 * MSG_NOSIGNAL; other fds: SIGPIPE is blocked in the calling thread for the
 * write and a pending one consumed).  Returns 0, or -1 with errno set
 * (EINVAL for what dr__proto_encode refuses).  *wire_bytes (may be NULL)
 * gets the message's size on the wire. */
int dr__proto_write(int fd, unsigned type, const json_t *body, const void *bin,
                    size_t nbin, size_t *wire_bytes);

enum {
    DR__PROTO_OK = 0,
    DR__PROTO_EOF = 1, /* clean EOF before any byte of a message */
    DR__PROTO_STOPPED, /* stop(arg) returned nonzero */
    DR__PROTO_BAD,     /* malformed: magic, version, type, flags, JSON, ... */
    DR__PROTO_TOOBIG,  /* over the limit */
    DR__PROTO_IO       /* errno set (ENOMEM included) */
};

/* Reads exactly one whole message from fd (blocking or not: it polls) into
 * *m, which the caller frees with dr__msg_free on DR__PROTO_OK; on any other
 * result *m is zeroed.  Between poll() waits of at most 20 ms it calls
 * stop(arg) (stop may be NULL) and returns DR__PROTO_STOPPED when that
 * returns nonzero; the bytes read so far are lost, so the connection is then
 * unusable.  limit is the largest message accepted, header included (0: the
 * dr__proto_limit() value; a malformed environment value is DR__PROTO_BAD).
 * It never reads past the message.  err (may be NULL) gets one line for
 * EOF inside a message, BAD, TOOBIG and IO. */
int dr__proto_read(int fd, dr__msg *m, uint64_t limit, int (*stop)(void *),
                   void *arg, char *err, size_t errlen);

/* A push decoder: feed bytes as they come, take whole messages. */
typedef struct dr__proto_decoder dr__proto_decoder;

/* A new decoder (free with dr__proto_decoder_free), or NULL for no memory.
 * limit as for dr__proto_read (0: the default or environment limit; a
 * malformed environment value makes the first feed fail with BAD). */
dr__proto_decoder *dr__proto_decoder_new(uint64_t limit);
/* NULL-safe; frees the messages not taken. */
void dr__proto_decoder_free(dr__proto_decoder *d);
/* Takes n bytes (copied), which may end anywhere inside a message or hold
 * several.  Returns DR__PROTO_OK, DR__PROTO_BAD or DR__PROTO_TOOBIG with a
 * line in err (may be NULL), or DR__PROTO_IO (errno ENOMEM).  An error is
 * sticky: every later feed returns it again (the stream cannot be
 * resynchronised); messages completed before the bad bytes can still be
 * taken. */
int dr__proto_decoder_feed(dr__proto_decoder *d, const void *bytes, size_t n,
                           char *err, size_t errlen);
/* Moves the oldest whole message into *m (the caller frees it): 1; or 0
 * when there is none yet (*m zeroed). */
int dr__proto_decoder_next(dr__proto_decoder *d, dr__msg *m);
/* 1 when the decoder holds no byte of an unfinished message (so an EOF now
 * would be clean), else 0. */
int dr__proto_decoder_idle(const dr__proto_decoder *d);

/* Splits a TASK message's bin into its inputs, by the body's "inputs"
 * array of byte lengths.  On entry *n is the capacity of texts and lens
 * (both may be NULL with *n == 0 to only count); on return *n is the number
 * of inputs, and when it fits, texts[i] points into m->bin (borrowed: valid
 * while m is) and lens[i] is its length.  The texts are not parsed.
 * Returns DR__PROTO_OK, or DR__PROTO_BAD with a line in err (may be NULL):
 * "inputs" missing or not an array of non-negative integers, their sum not
 * nbin, or more inputs than the capacity (*n then says how many). */
int dr__proto_task_inputs(const dr__msg *m, size_t *n,
                          const unsigned char **texts, size_t *lens, char *err,
                          size_t errlen);

/* Writes an ERROR message {"error": text} (best effort: the sender closes
 * next anyway).  Returns as dr__proto_write. */
int dr__proto_write_error(int fd, const char *text);

#endif
