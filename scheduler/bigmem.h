/*
 * Per-task arrays of a run, kept for the next run (scheduler/bigmem.c).
 *
 * Every run allocates a few arrays of one entry per task (the core's
 * states and ranks, the attempt records, the results) and frees them at its
 * end.  glibc gives blocks of this size back to the kernel on free, so the
 * next run in the same process (dagrun scale, the lab, a program running a
 * graph again) faulted every page in afresh: a third to a half of a
 * 100,000-noop run's time.  Blocks from dr__big_* are kept instead, up to
 * DR__BIG_KEEP bytes, and handed to the next request they fit.
 *
 * Blocks are kept only once a second run has started in the process
 * (dr__big_run_started): a single run, as `dagrun run` makes, gains
 * nothing from them, and kept they would add up to DR__BIG_KEEP to the
 * peak of what follows the run (its summary).
 *
 * A block from dr__big_* must be freed with dr__big_free (it has a
 * header), and only such blocks.  Thread-safe.
 */
#ifndef DAGRUN_BIGMEM_H
#define DAGRUN_BIGMEM_H

#include <stddef.h>

/* Blocks smaller than this are malloc's business: not kept. */
#define DR__BIG_MIN ((size_t)64 * 1024)
/* At most this much is kept between runs, in at most DR__BIG_SLOTS blocks,
 * none over DR__BIG_MAX (a huge run's arrays go back to the kernel: kept,
 * they would add to the peak of what follows, the summary). */
#define DR__BIG_KEEP ((size_t)96 * 1024 * 1024)
#define DR__BIG_MAX ((size_t)32 * 1024 * 1024)
#define DR__BIG_SLOTS 24

void *dr__big_malloc(size_t size);
/* Zeroed, n * size bytes (NULL on overflow). */
void *dr__big_calloc(size_t n, size_t size);
/* Like realloc; the contents up to the smaller size are kept. */
void *dr__big_realloc(void *p, size_t size);
void dr__big_free(void *p);

/* A run starts (dr__core_create): from the second on, blocks are kept. */
void dr__big_run_started(void);

/* (tests) Bytes and blocks kept now; dr__big_trim gives them all back;
 * dr__big_forget_runs also makes the process as if no run had started. */
size_t dr__big_kept(size_t *blocks);
void dr__big_trim(void);
void dr__big_forget_runs(void);

#endif
