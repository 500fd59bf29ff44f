/*
 * Per-task arrays kept for the next run (bigmem.h has why).
 *
 * Each block has a 16-byte header holding its capacity, so a block keeps
 * malloc's alignment and dr__big_free needs no size.  Kept blocks are
 * looked up best fit, but never more than twice the size asked for (a
 * small array must not pin a large block), and the oldest go first when
 * the budget is full.  Under AddressSanitizer a kept block is poisoned, so
 * a use after dr__big_free is still caught, and so is the part of a reused
 * block past the size asked for.  A fork waits for the lock (atfork), and
 * the process pool's zygote gives the kept blocks back at once: its
 * workers' address-space limit (--worker-memory) must not count them.
 */
#include "bigmem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DR__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DR__ASAN 1
#endif
#ifdef DR__ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct big_head {
    _Alignas(16) size_t cap; /* usable bytes after the header */
    size_t used;             /* bytes asked for (<= cap) */
} big_head;
_Static_assert(sizeof(big_head) == 16, "the user's bytes are 16-aligned");

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static big_head *kept[DR__BIG_SLOTS]; /* oldest first */
static size_t nkept, kept_bytes;
static unsigned runs; /* started in this process, up to 2 */

/* A fork while another thread holds big_lock would leave it held in the
 * child (a process-pool worker that starts a run would hang): fork waits
 * for it, and both sides release it. */
static void lock_for_fork(void) { pthread_mutex_lock(&big_lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&big_lock); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) {
    pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
}

void dr__big_run_started(void) {
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&big_lock);
    if (runs < 2)
        runs++;
    pthread_mutex_unlock(&big_lock);
}

static void *user_of(big_head *h) { return h + 1; }
static big_head *head_of(void *p) { return (big_head *)p - 1; }

_Static_assert(DR__BIG_MAX <= DR__BIG_KEEP, "a kept block fits the budget");

static int keepable(size_t cap) {
    return cap >= DR__BIG_MIN && cap <= DR__BIG_MAX;
}

/* A kept block of at least size bytes, taken out of the list; NULL when
 * none fits.  Under big_lock. */
static big_head *take_kept(size_t size) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < nkept; i++)
        if (kept[i]->cap >= size && kept[i]->cap / 2 <= size &&
            (best == SIZE_MAX || kept[i]->cap < kept[best]->cap))
            best = i;
    if (best == SIZE_MAX)
        return NULL;
    big_head *h = kept[best];
    memmove(&kept[best], &kept[best + 1], (nkept - best - 1) * sizeof *kept);
    nkept--;
    kept_bytes -= h->cap;
    return h;
}

/* Marks the first `used` bytes of h as the user's; under AddressSanitizer
 * the rest of a larger kept block stays poisoned, so an overflow past what
 * was asked for is still caught. */
static void set_used(big_head *h, size_t used) {
    h->used = used;
    UNPOISON(user_of(h), used);
    POISON((char *)user_of(h) + used, h->cap - used);
}

static big_head *from_kept(size_t size) {
    if (!keepable(size))
        return NULL;
    pthread_mutex_lock(&big_lock);
    big_head *h = take_kept(size);
    pthread_mutex_unlock(&big_lock);
    if (h != NULL)
        set_used(h, size);
    return h;
}

static big_head *fresh(size_t size, int zero) {
    if (size > SIZE_MAX - sizeof(big_head))
        return NULL;
    big_head *h = zero ? calloc(1, sizeof(big_head) + size)
                       : malloc(sizeof(big_head) + size);
    if (h != NULL)
        h->cap = h->used = size;
    return h;
}

void *dr__big_malloc(size_t size) {
    big_head *h = from_kept(size);
    if (h == NULL)
        h = fresh(size, 0);
    return h != NULL ? user_of(h) : NULL;
}

void *dr__big_calloc(size_t n, size_t size) {
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    big_head *h = from_kept(total);
    if (h != NULL) {
        memset(user_of(h), 0, total);
        return user_of(h);
    }
    /* A fresh block comes zeroed from the kernel: calloc need not touch
     * its pages. */
    h = fresh(total, 1);
    return h != NULL ? user_of(h) : NULL;
}

void *dr__big_realloc(void *p, size_t size) {
    if (p == NULL)
        return dr__big_malloc(size);
    big_head *h = head_of(p);
    if (size <= h->cap) {
        if (size > h->used)
            set_used(h, size);
        return p;
    }
    if (size > DR__BIG_MAX) {
        /* Past what is ever kept: glibc can move the pages (mremap). */
        if (size > SIZE_MAX - sizeof(big_head))
            return NULL;
        big_head *g = realloc(h, sizeof(big_head) + size);
        if (g == NULL)
            return NULL;
        g->cap = g->used = size;
        return user_of(g);
    }
    void *q = dr__big_malloc(size);
    if (q == NULL)
        return NULL;
    memcpy(q, p, h->used);
    dr__big_free(p);
    return q;
}

void dr__big_free(void *p) {
    if (p == NULL)
        return;
    big_head *h = head_of(p);
    if (!keepable(h->cap)) {
        free(h);
        return;
    }
    big_head *drop[DR__BIG_SLOTS];
    size_t ndrop = 0;
    pthread_mutex_lock(&big_lock);
    if (runs < 2) {
        pthread_mutex_unlock(&big_lock);
        free(h);
        return;
    }
    while (nkept > 0 &&
           (nkept == DR__BIG_SLOTS || kept_bytes + h->cap > DR__BIG_KEEP)) {
        drop[ndrop++] = kept[0];
        kept_bytes -= kept[0]->cap;
        memmove(&kept[0], &kept[1], (nkept - 1) * sizeof *kept);
        nkept--;
    }
    kept[nkept++] = h;
    kept_bytes += h->cap;
    POISON(user_of(h), h->cap); /* the slack is poisoned already */
    pthread_mutex_unlock(&big_lock);
    for (size_t i = 0; i < ndrop; i++) {
        UNPOISON(user_of(drop[i]), drop[i]->cap);
        free(drop[i]);
    }
}

size_t dr__big_kept(size_t *blocks) {
    pthread_mutex_lock(&big_lock);
    size_t bytes = kept_bytes;
    if (blocks != NULL)
        *blocks = nkept;
    pthread_mutex_unlock(&big_lock);
    return bytes;
}

void dr__big_trim(void) {
    pthread_mutex_lock(&big_lock);
    while (nkept > 0) {
        big_head *h = kept[--nkept];
        kept_bytes -= h->cap;
        UNPOISON(user_of(h), h->cap);
        free(h);
    }
    pthread_mutex_unlock(&big_lock);
}

void dr__big_forget_runs(void) {
    dr__big_trim();
    pthread_mutex_lock(&big_lock);
    runs = 0;
    pthread_mutex_unlock(&big_lock);
}
