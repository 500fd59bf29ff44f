/*
 * The worker protocol's cost per message (scheduler/protocol.c), what the
 * process and MPI executors pay twice per task on top of the transport:
 * encoding a small TASK message (dr__proto_encode: header, compact JSON
 * body, a 20-byte binary part) and decoding it back (the push decoder, fed
 * the whole message, then taken), and the same for a small RESULT.  No
 * socket: the transport's cost is the executors' benchmark, not this one.
 * Each measurement runs --runs times (5 by default) over --messages
 * messages (100,000) and the median is printed, in microseconds per
 * message.
 *
 * Usage: dagrun_bench_protocol [--messages N] [--runs N]
 */
#include "protocol.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Seconds for `count` encodes and decodes of (type, body, bin); the
 * decoded message is checked so the work cannot be skipped. */
static double round_trips(unsigned type, const json_t *body, const char *bin,
                          size_t nbin, long count, double *encode_only) {
    dr__proto_decoder *d = dr__proto_decoder_new(0);
    double enc = 0, t0 = now();
    for (long i = 0; i < count; i++) {
        double e0 = now();
        unsigned char *buf;
        size_t n;
        if (dr__proto_encode(type, body, bin, nbin, &buf, &n) != 0)
            exit(1);
        enc += now() - e0;
        dr__msg m;
        if (dr__proto_decoder_feed(d, buf, n, NULL, 0) != DR__PROTO_OK ||
            dr__proto_decoder_next(d, &m) != 1 || m.nbin != nbin)
            exit(1);
        dr__msg_free(&m);
        free(buf);
    }
    double total = now() - t0;
    dr__proto_decoder_free(d);
    *encode_only = enc;
    return total;
}

int main(int argc, char **argv) {
    long messages = 100000;
    int runs = 5;
    static const struct option longopts[] = {
        {"messages", required_argument, NULL, 'm'},
        {"runs", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'm')
            messages = atol(optarg);
        else if (c == 'r')
            runs = atoi(optarg);
        else {
            fprintf(stderr,
                    "usage: dagrun_bench_protocol [--messages N] [--runs N]\n");
            return 2;
        }
    }
    if (messages < 1 || runs < 1 || runs > 100) {
        fprintf(stderr, "dagrun_bench_protocol: --messages and --runs must "
                        "be positive (--runs at most 100)\n");
        return 2;
    }
    json_t *task = json_pack("{s:i,s:s,s:i,s:i,s:{s:i},s:[i,i]}", "task", 12345,
                             "key", "map-12345", "attempt", 1, "worker", 3,
                             "args", "ms", 5, "inputs", 10, 10);
    json_t *result = json_pack("{s:i,s:i,s:b,s:f}", "task", 12345, "attempt", 1,
                               "ok", 1, "seconds", 0.000123);
    const char *bin = "[1,2,3,4] [5,6,7,8] ";
    struct {
        const char *name;
        unsigned type;
        json_t *body;
        size_t nbin;
    } cases[] = {{"task", DR__MSG_TASK, task, 20},
                 {"result", DR__MSG_RESULT, result, 7}};
    printf("%-8s %12s %12s   (us per message, median of %d runs of %ld)\n",
           "message", "encode", "enc+decode", runs, messages);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        double both[100], enc[100];
        for (int r = 0; r < runs; r++)
            both[r] = round_trips(cases[k].type, cases[k].body, bin,
                                  cases[k].nbin, messages, &enc[r]);
        printf("%-8s %12.3f %12.3f\n", cases[k].name,
               median(enc, runs) / (double)messages * 1e6,
               median(both, runs) / (double)messages * 1e6);
    }
    json_decref(task);
    json_decref(result);
    return 0;
}
