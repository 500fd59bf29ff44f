/*
 * dagrun_bench_overhead's --workers-list: "1,2,4" into worker counts.
 */
#ifndef DAGRUN_BENCH_WORKERS_LIST_H
#define DAGRUN_BENCH_WORKERS_LIST_H

#include <stddef.h>

/* The largest worker count a list may hold (threads per runtime). */
#define WORKERS_LIST_MAX_WORKERS 1024

/* Parses comma-separated decimal counts, each 1..WORKERS_LIST_MAX_WORKERS,
 * into out[0..max).  Returns how many, or -1 when the text is empty, a
 * count is missing, not a number, out of range, or there are more than
 * max. */
int workers_list_parse(const char *text, unsigned *out, size_t max);

#endif
