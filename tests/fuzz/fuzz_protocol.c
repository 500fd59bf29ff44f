/*
 * libFuzzer target for the worker protocol (scheduler/protocol.c), what a
 * scheduler reads from a worker process or MPI rank and a worker from the
 * scheduler.  Any bytes go to the push decoder three ways: whole, one byte
 * at a time and in chunks whose sizes the input's first byte picks; the
 * three must give the same messages and the same result, since a transport
 * may cut a stream anywhere.  Every message taken must keep the promises of
 * protocol.h (a known type, a JSON object body, bin NULL exactly when it is
 * empty, wire_bytes adding up), re-encode to the same bytes' length, and
 * decode back equal; every TASK's binary part goes through the input
 * splitter, whose slices must tile it.  A refusal has a one-line text.
 * Seeds: tests/fuzz/corpus/protocol/.
 */
#include "protocol.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so that a length field is often over it and the limit is
 * exercised without big allocations. */
#define LIMIT ((uint64_t)1 << 20)

static void check_msg(const dr__msg *m) {
    if (m->type < DR__MSG_HELLO || m->type > DR__MSG_LAST)
        abort();
    if (!json_is_object(m->body))
        abort();
    if ((m->bin == NULL) != (m->nbin == 0))
        abort();
    if (m->wire_bytes < DR__PROTO_HEADER + 2 + m->nbin || m->wire_bytes > LIMIT)
        abort();
    if (m->type == DR__MSG_TASK) {
        size_t n = 0;
        char err[256];
        if (dr__proto_task_inputs(m, &n, NULL, NULL, err, sizeof(err)) ==
            DR__PROTO_OK) {
            const unsigned char **texts = malloc((n + 1) * sizeof(*texts));
            size_t *lens = malloc((n + 1) * sizeof(*lens));
            size_t cap = n;
            if (dr__proto_task_inputs(m, &cap, texts, lens, err, sizeof(err)) !=
                    DR__PROTO_OK ||
                cap != n)
                abort();
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                if (lens[i] > 0 && texts[i] != m->bin + at)
                    abort();
                at += lens[i];
            }
            if (at != m->nbin)
                abort();
            free(texts);
            free(lens);
        } else if (err[0] == '\0' || strchr(err, '\n') != NULL) {
            abort();
        }
    }
    /* Encoded again, it decodes back equal. */
    unsigned char *buf;
    size_t n;
    if (dr__proto_encode(m->type, m->body, m->bin, m->nbin, &buf, &n) != 0)
        abort();
    dr__proto_decoder *d = dr__proto_decoder_new(UINT64_MAX);
    if (dr__proto_decoder_feed(d, buf, n, NULL, 0) != DR__PROTO_OK)
        abort();
    dr__msg back;
    if (dr__proto_decoder_next(d, &back) != 1 || back.type != m->type ||
        back.nbin != m->nbin || back.wire_bytes != n ||
        !json_equal(back.body, m->body) ||
        (m->nbin > 0 && memcmp(back.bin, m->bin, m->nbin) != 0))
        abort();
    dr__msg_free(&back);
    dr__proto_decoder_free(d);
    free(buf);
}

/* What one way of cutting the input gave. */
typedef struct {
    int rc;
    size_t count;
    size_t bytes;   /* sum of wire_bytes */
    unsigned types; /* a running mix of the types seen, in order */
    int idle;
} outcome;

static outcome run(const uint8_t *data, size_t size, size_t chunk_seed) {
    outcome o = {0};
    dr__proto_decoder *d = dr__proto_decoder_new(LIMIT);
    if (d == NULL)
        abort();
    size_t at = 0;
    char err[512];
    unsigned x = (unsigned)chunk_seed;
    while (at < size && o.rc == DR__PROTO_OK) {
        size_t k;
        if (chunk_seed == 0)
            k = size - at;
        else if (chunk_seed == 1)
            k = 1;
        else {
            x = x * 1103515245u + 12345u;
            k = 1 + (x >> 16) % 64;
        }
        if (k > size - at)
            k = size - at;
        o.rc = dr__proto_decoder_feed(d, data + at, k, err, sizeof(err));
        if (o.rc != DR__PROTO_OK &&
            (err[0] == '\0' || strchr(err, '\n') != NULL))
            abort();
        at += k;
        dr__msg m;
        while (dr__proto_decoder_next(d, &m)) {
            check_msg(&m);
            o.count++;
            o.bytes += m.wire_bytes;
            o.types = o.types * 7 + m.type;
            dr__msg_free(&m);
        }
    }
    o.idle = dr__proto_decoder_idle(d);
    dr__proto_decoder_free(d);
    return o;
}

static int same(const outcome *a, const outcome *b) {
    return a->rc == b->rc && a->count == b->count && a->bytes == b->bytes &&
           a->types == b->types && a->idle == b->idle;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    outcome whole = run(data, size, 0);
    outcome bytes = run(data, size, 1);
    outcome chunks = run(data, size, 2 + (size > 0 ? data[0] : 0));
    if (!same(&whole, &bytes) || !same(&whole, &chunks))
        abort();
    if (whole.rc == DR__PROTO_OK && whole.idle && whole.bytes != size)
        abort();
    return 0;
}
