/*
 * The scheduling core: dependency counting, the ready set and the free
 * workers, shared by the executor and the simulator.
 *
 * The ready set is a binary min-heap of (key, task) pairs.  What the key is
 * depends on the policy:
 *  - cp and order use a static rank computed once at creation (0 = most
 *    urgent), so the heap compares one integer and the same graph always
 *    gives the same decisions;
 *  - fifo uses a counter of readiness events (oldest first), lifo its
 *    complement (newest first);
 *  - random keeps the ready tasks in a plain array and takes a uniformly
 *    random one with a seeded splitmix64 generator.
 * Ties cannot happen for cp, order, fifo and lifo because every key is unique,
 * so decisions never depend on heap layout.  Free workers are a second
 * min-heap of worker ids, so the lowest free id is always taken first.
 *
 * The cp rank: highest bottom level first (the longest path from the start
 * of the task to the end of the graph, its own duration included, the
 * classic HLFET priority).  Ties, frequent with integer costs, are broken by
 * the larger estimated descendant work (the sum over successors of their own
 * estimate, a cheap upper bound that favours tasks unlocking much work), then
 * by more successors, then by the lower task id.
 *
 * The order rank (Dask-like): a depth-first post-order from the sinks.
 * Sinks are taken longest-path-ending-there first; below each task its
 * dependencies are visited longest-path-ending-there first.  A task's rank is
 * its post-order number, so a branch's tasks are numbered together and its
 * join right after its last input: running lowest rank first finishes one
 * branch before starting the next, which releases intermediate results
 * early, while the longest chains still start first.
 */
#define _GNU_SOURCE /* qsort_r: ranking must be reentrant (no globals) */
#include "core.h"

#include "bigmem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DR__CORE_LEVELS 6 /* 64^6 > 2^32 ranks */

typedef struct ready_entry {
    uint64_t key;
    uint32_t task;
} ready_entry;

struct dr__core {
    const dr_graph *g;
    size_t n;
    dr_policy policy;
    uint32_t *waiting; /* per task: dependencies not yet finished */
    uint8_t *state;    /* per task: DR__* */
    double *ready_time;
    uint32_t *rank; /* cp / order: static key per task; NULL otherwise */

    ready_entry *ready; /* fifo, lifo: heap; random: plain array */
    size_t nready;
    /* cp, order: the ranks are 0..n-1, so the ready set is a bit per rank
     * under a summary bit per 64-bit word, level above level up to one
     * word: adding is setting a bit, taking the best is finding the lowest
     * set bit from the top word down (a few words for any n), and nothing
     * else moves (the heap's pops were a tenth of a no-op run). */
    uint64_t *bits[DR__CORE_LEVELS]; /* bits[0]: one bit per rank */
    unsigned nlevels;
    uint32_t *by_rank;      /* rank -> task */
    uint32_t *free_workers; /* min-heap of ids */
    uint32_t *free_pos;     /* per worker: index in free_workers, or
                               UINT32_MAX while it runs a task */
    size_t nfree;
    unsigned workers;
    uint32_t *held; /* per worker: tasks assigned and not yet ended */

    uint64_t seq; /* fifo / lifo readiness counter */
    uint64_t rng; /* random: splitmix64 state */
    int stopped;
    size_t nrunning, nfinished;
};

/* ------------------------------------------------------------ heaps */

static int entry_less(const ready_entry *a, const ready_entry *b) {
    return a->key < b->key || (a->key == b->key && a->task < b->task);
}

static void bits_set(dr__core *c, uint64_t r) {
    for (unsigned l = 0; l < c->nlevels; l++, r >>= 6) {
        uint64_t *w = &c->bits[l][r >> 6], was = *w;
        *w = was | (1ULL << (r & 63));
        if (was != 0)
            break; /* the levels above already say this word has some */
    }
}

static uint64_t bits_take_lowest(dr__core *c) {
    uint64_t r = 0;
    for (unsigned l = c->nlevels; l-- > 0;)
        r = (r << 6) | (uint64_t)__builtin_ctzll(c->bits[l][r]);
    uint64_t lowest = r;
    for (unsigned l = 0; l < c->nlevels; l++, r >>= 6) {
        uint64_t *w = &c->bits[l][r >> 6];
        *w &= ~(1ULL << (r & 63));
        if (*w != 0)
            break;
    }
    return lowest;
}

static void ready_push(dr__core *c, uint64_t key, dr_task t) {
    if (c->by_rank != NULL) {
        c->nready++;
        bits_set(c, key);
        return;
    }
    ready_entry e = {key, t};
    size_t i = c->nready++;
    if (c->policy == DR_POLICY_RANDOM) {
        c->ready[i] = e;
        return;
    }
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!entry_less(&e, &c->ready[p]))
            break;
        c->ready[i] = c->ready[p];
        i = p;
    }
    c->ready[i] = e;
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static dr_task ready_pop(dr__core *c) {
    if (c->by_rank != NULL) {
        c->nready--;
        return c->by_rank[bits_take_lowest(c)];
    }
    if (c->policy == DR_POLICY_RANDOM) {
        size_t i = (size_t)(splitmix64(&c->rng) % c->nready);
        dr_task t = c->ready[i].task;
        c->ready[i] = c->ready[--c->nready];
        return t;
    }
    dr_task top = c->ready[0].task;
    ready_entry last = c->ready[--c->nready];
    size_t n = c->nready, i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l;
        if (l + 1 < n && entry_less(&c->ready[l + 1], &c->ready[l]))
            m = l + 1;
        if (!entry_less(&c->ready[m], &last))
            break;
        c->ready[i] = c->ready[m];
        i = m;
    }
    if (n > 0)
        c->ready[i] = last;
    return top;
}

/* The free-worker heap keeps each worker's position (free_pos, UINT32_MAX
 * when busy) so that dr__core_assign_to can take a given worker out of it in
 * O(log P), while dr__core_assign still takes the lowest id from the top. */
static void worker_place(dr__core *c, size_t i, uint32_t w) {
    c->free_workers[i] = w;
    c->free_pos[w] = (uint32_t)i;
}

static void worker_sift_up(dr__core *c, size_t i, uint32_t w) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (c->free_workers[p] <= w)
            break;
        worker_place(c, i, c->free_workers[p]);
        i = p;
    }
    worker_place(c, i, w);
}

static void worker_sift_down(dr__core *c, size_t i, uint32_t w) {
    size_t n = c->nfree;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l;
        if (l + 1 < n && c->free_workers[l + 1] < c->free_workers[l])
            m = l + 1;
        if (c->free_workers[m] >= w)
            break;
        worker_place(c, i, c->free_workers[m]);
        i = m;
    }
    worker_place(c, i, w);
}

static void worker_push(dr__core *c, uint32_t w) {
    worker_sift_up(c, c->nfree++, w);
}

/* Takes worker w (which must be free) out of the heap. */
static void worker_remove(dr__core *c, uint32_t w) {
    size_t i = c->free_pos[w];
    uint32_t last = c->free_workers[--c->nfree];
    c->free_pos[w] = UINT32_MAX;
    if (i == c->nfree)
        return;
    if (i > 0 && c->free_workers[(i - 1) / 2] > last)
        worker_sift_up(c, i, last);
    else
        worker_sift_down(c, i, last);
}

static uint32_t worker_pop(dr__core *c) {
    uint32_t top = c->free_workers[0];
    worker_remove(c, top);
    return top;
}

/* ------------------------------------------------------------ ranks */

/* Keys for sorting task ids: descending k1, k2, k3 (k2, k3 may be NULL),
 * then ascending id. */
typedef struct sort_keys {
    const double *k1, *k2, *k3;
} sort_keys;

static int cmp_desc3(const void *pa, const void *pb, void *data) {
    const sort_keys *k = data;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (k->k1[a] != k->k1[b])
        return k->k1[a] > k->k1[b] ? -1 : 1;
    if (k->k2 != NULL && k->k2[a] != k->k2[b])
        return k->k2[a] > k->k2[b] ? -1 : 1;
    if (k->k3 != NULL && k->k3[a] != k->k3[b])
        return k->k3[a] > k->k3[b] ? -1 : 1;
    return a < b ? -1 : (a > b);
}

static double task_duration(const dr_graph *g, const double *duration,
                            dr_task t) {
    double d = duration != NULL ? duration[t] : dr_task_cost(g, t);
    return isfinite(d) && d > 0 ? d : 0;
}

/* cp: bottom level, then descendant work estimate, then successor count,
 * all descending, then the lower id.  The keys go into one record per task
 * as unsigned integers whose ascending order is that order (a non-negative
 * double's bits order like the double; complemented for descending), and
 * the records are sorted by a stable LSD radix sort, starting in id order
 * (radix_sort_keys).  qsort's n log n comparisons were most of a run's
 * set-up on 100,000 no-op tasks. */
typedef struct cp_key {
    uint64_t bl, desc;
    uint32_t nsucc, task;
} cp_key;

static uint64_t descending_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return ~u; /* d >= 0: its bits grow with it */
}

/* Field f of a record, least significant first: nsucc, desc, bl. */
static uint64_t key_field(const cp_key *k, unsigned f) {
    return f == 0 ? k->nsucc : f == 1 ? k->desc : k->bl;
}

#define RADIX_BITS 11 /* 2048 counters: 16 KB, in L1 */

/* Sorts k[0..n) as described above into k or tmp, and returns which.  Only
 * the span of bits that differ between records is sorted on, in digits of
 * RADIX_BITS: a graph of equal costs sorts in one or two passes, and a
 * 64-bit estimate whose every bit differs in six. */
static cp_key *radix_sort_keys(cp_key *k, cp_key *tmp, size_t n) {
    uint64_t or_[3] = {0, 0, 0}, and_[3] = {~0ULL, ~0ULL, ~0ULL};
    for (size_t i = 0; i < n; i++)
        for (unsigned f = 0; f < 3; f++) {
            uint64_t v = key_field(&k[i], f);
            or_[f] |= v, and_[f] &= v;
        }
    cp_key *from = k, *to = tmp;
    static const unsigned radix = 1u << RADIX_BITS;
    size_t count[1u << RADIX_BITS];
    for (unsigned f = 0; f < 3; f++) {
        uint64_t differ = or_[f] ^ and_[f];
        if (differ == 0)
            continue;
        unsigned lo = (unsigned)__builtin_ctzll(differ);
        unsigned hi = 63 - (unsigned)__builtin_clzll(differ);
        /* Bits above `hi` are the same in every record, so a digit that
         * takes some of them in orders like one that does not. */
        for (unsigned shift = lo; shift <= hi; shift += RADIX_BITS) {
            memset(count, 0, sizeof count);
            for (size_t i = 0; i < n; i++)
                count[(key_field(&from[i], f) >> shift) & (radix - 1)]++;
            size_t pos = 0;
            for (unsigned d = 0; d < radix; d++) {
                size_t c = count[d];
                count[d] = pos;
                pos += c;
            }
            for (size_t i = 0; i < n; i++)
                to[count[(key_field(&from[i], f) >> shift) & (radix - 1)]++] =
                    from[i];
            cp_key *swap = from;
            from = to;
            to = swap;
        }
    }
    return from;
}

static int key_less(const cp_key *a, const cp_key *b) {
    if (a->bl != b->bl)
        return a->bl < b->bl;
    if (a->desc != b->desc)
        return a->desc < b->desc;
    if (a->nsucc != b->nsucc)
        return a->nsucc < b->nsucc;
    return a->task < b->task;
}

static int rank_cp(dr__core *c, const double *duration) {
    const dr_graph *g = c->g;
    size_t n = c->n;
    const dr_task *topo = dr_graph_topo_order(g);
    /* One array: bl and desc are kept as doubles in the key's fields while
     * they are computed (a successor's are final before its dependency's),
     * then turned into key bits in place.  Fewer and smaller arrays are
     * fewer fresh pages to fault in at every run's start. */
    cp_key *k = dr__big_malloc((n ? n : 1) * sizeof(*k));
    if (k == NULL || topo == NULL) {
        dr__big_free(k);
        return DR_ENOMEM;
    }
    for (size_t i = n; i-- > 0;) {
        dr_task t = topo[i];
        size_t ns;
        const dr_task *s = dr_task_succs(g, t, &ns);
        double best = 0, sum = 0;
        for (size_t j = 0; j < ns; j++) {
            double bl, desc;
            memcpy(&bl, &k[s[j]].bl, sizeof bl);
            memcpy(&desc, &k[s[j]].desc, sizeof desc);
            if (bl > best)
                best = bl;
            sum += desc + task_duration(g, duration, s[j]);
        }
        double bl = task_duration(g, duration, t) + best;
        /* The estimate double-counts shared descendants; cap it so huge
         * dense graphs stay finite (it only breaks ties). */
        double desc = sum < 1e300 ? sum : 1e300;
        memcpy(&k[t].bl, &bl, sizeof bl);
        memcpy(&k[t].desc, &desc, sizeof desc);
        k[t].nsucc = ~(uint32_t)ns;
        k[t].task = (uint32_t)t;
    }
    int sorted_already = 1;
    for (size_t t = 0; t < n; t++) {
        double bl, desc;
        memcpy(&bl, &k[t].bl, sizeof bl);
        memcpy(&desc, &k[t].desc, sizeof desc);
        k[t].bl = descending_bits(bl);
        k[t].desc = descending_bits(desc);
        if (t > 0 && sorted_already && !key_less(&k[t - 1], &k[t]))
            sorted_already = 0;
    }
    /* Graphs made in an order that is already the rank order (a chain,
     * independent tasks and their sink) need no sort at all. */
    const cp_key *sorted = k;
    cp_key *tmp = NULL;
    if (!sorted_already && n > 1) {
        if ((tmp = dr__big_malloc(n * sizeof(*tmp))) == NULL) {
            dr__big_free(k);
            return DR_ENOMEM;
        }
        sorted = radix_sort_keys(k, tmp, n);
    }
    for (size_t i = 0; i < n; i++)
        c->rank[sorted[i].task] = (uint32_t)i;
    dr__big_free(k), dr__big_free(tmp);
    return 0;
}

/* order: depth-first post-order from the sinks (see the top comment). */
static int rank_order(dr__core *c, const double *duration) {
    const dr_graph *g = c->g;
    size_t n = c->n;
    const dr_task *topo = dr_graph_topo_order(g);
    double *reach = malloc(n * sizeof(*reach)); /* longest path ending at t */
    uint32_t *off = malloc((n + 1) * sizeof(*off));
    uint32_t *deps = NULL;
    uint32_t *sinks = malloc(n * sizeof(*sinks));
    uint8_t *seen = calloc(n ? n : 1, 1);
    struct frame {
        uint32_t task, next;
    } *stack = malloc(n * sizeof(*stack));
    size_t nedges = 0;
    for (size_t t = 0; t < n; t++) {
        size_t nd;
        dr_task_deps(g, (dr_task)t, &nd);
        nedges += nd;
    }
    deps = malloc((nedges ? nedges : 1) * sizeof(*deps));
    if (reach == NULL || off == NULL || deps == NULL || sinks == NULL ||
        seen == NULL || stack == NULL || topo == NULL) {
        free(reach), free(off), free(deps), free(sinks), free(seen);
        free(stack);
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        dr_task t = topo[i];
        size_t nd;
        const dr_task *d = dr_task_deps(g, t, &nd);
        double best = 0;
        for (size_t j = 0; j < nd; j++)
            if (reach[d[j]] > best)
                best = reach[d[j]];
        reach[t] = best + task_duration(g, duration, t);
    }
    /* Dependencies per task, sorted longest-reach first. */
    size_t pos = 0, nsinks = 0;
    sort_keys keys = {reach, NULL, NULL};
    for (size_t t = 0; t < n; t++) {
        size_t nd, ns;
        const dr_task *d = dr_task_deps(g, (dr_task)t, &nd);
        off[t] = (uint32_t)pos;
        if (nd > 0) {
            memcpy(deps + pos, d, nd * sizeof(*deps));
            qsort_r(deps + pos, nd, sizeof(*deps), cmp_desc3, &keys);
        }
        pos += nd;
        dr_task_succs(g, (dr_task)t, &ns);
        if (ns == 0)
            sinks[nsinks++] = (uint32_t)t;
    }
    off[n] = (uint32_t)pos;
    qsort_r(sinks, nsinks, sizeof(*sinks), cmp_desc3, &keys);
    uint64_t next_rank = 0;
    for (size_t i = 0; i < nsinks; i++) {
        size_t top = 0;
        stack[top++] = (struct frame){sinks[i], off[sinks[i]]};
        seen[sinks[i]] = 1;
        while (top > 0) {
            struct frame *f = &stack[top - 1];
            if (f->next < off[f->task + 1]) {
                uint32_t d = deps[f->next++];
                if (!seen[d]) {
                    seen[d] = 1;
                    stack[top++] = (struct frame){d, off[d]};
                }
            } else {
                c->rank[f->task] = next_rank++;
                top--;
            }
        }
    }
    free(reach), free(off), free(deps), free(sinks), free(seen), free(stack);
    return 0;
}

/* ------------------------------------------------------------ API */

dr__core *dr__core_create(const dr_graph *g, dr_policy policy, uint64_t seed,
                          unsigned workers, const double *duration) {
    if (workers == 0 || dr_graph_topo_order(g) == NULL)
        return NULL;
    dr__core *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    dr__big_run_started();
    size_t n = dr_graph_ntasks(g);
    size_t alloc = n ? n : 1;
    c->g = g;
    c->n = n;
    c->policy = policy;
    c->workers = workers;
    c->rng = seed;
    c->waiting = dr__big_malloc(alloc * sizeof(*c->waiting));
    c->state = dr__big_calloc(alloc, 1);
    c->ready_time = dr__big_malloc(alloc * sizeof(*c->ready_time));
    int ranked = policy == DR_POLICY_CP || policy == DR_POLICY_ORDER;
    if (ranked) {
        size_t words = alloc;
        do {
            words = (words + 63) / 64;
            if ((c->bits[c->nlevels++] = dr__big_calloc(words, 8)) == NULL)
                break;
        } while (words > 1 && c->nlevels < DR__CORE_LEVELS);
        c->by_rank = dr__big_malloc(alloc * sizeof(*c->by_rank));
    } else {
        c->ready = dr__big_malloc(alloc * sizeof(*c->ready));
    }
    c->free_workers = malloc(workers * sizeof(*c->free_workers));
    c->free_pos = malloc(workers * sizeof(*c->free_pos));
    c->held = calloc(workers, sizeof(*c->held));
    if (policy == DR_POLICY_CP || policy == DR_POLICY_ORDER)
        c->rank = dr__big_malloc(alloc * sizeof(*c->rank));
    if (c->waiting == NULL || c->state == NULL || c->ready_time == NULL ||
        (ranked ? c->by_rank == NULL || c->bits[c->nlevels - 1] == NULL
                : c->ready == NULL) ||
        c->free_workers == NULL || c->free_pos == NULL || c->held == NULL ||
        ((policy == DR_POLICY_CP || policy == DR_POLICY_ORDER) &&
         c->rank == NULL)) {
        dr__core_destroy(c);
        return NULL;
    }
    for (size_t t = 0; t < n; t++) {
        size_t nd;
        dr_task_deps(g, (dr_task)t, &nd);
        c->waiting[t] = (uint32_t)nd;
        c->ready_time[t] = -1;
    }
    /* 0..P-1 in order is already a valid min-heap. */
    for (unsigned w = 0; w < workers; w++)
        c->free_workers[w] = c->free_pos[w] = w;
    c->nfree = workers;
    int rc = 0;
    if (policy == DR_POLICY_CP)
        rc = rank_cp(c, duration);
    else if (policy == DR_POLICY_ORDER)
        rc = rank_order(c, duration);
    if (rc != 0) {
        dr__core_destroy(c);
        return NULL;
    }
    for (size_t t = 0; ranked && t < n; t++)
        c->by_rank[c->rank[t]] = (uint32_t)t;
    return c;
}

void dr__core_destroy(dr__core *c) {
    if (c == NULL)
        return;
    dr__big_free(c->waiting);
    dr__big_free(c->state);
    dr__big_free(c->ready_time);
    dr__big_free(c->rank);
    dr__big_free(c->ready);
    for (unsigned l = 0; l < c->nlevels; l++)
        dr__big_free(c->bits[l]);
    dr__big_free(c->by_rank);
    free(c->free_workers);
    free(c->free_pos);
    free(c->held);
    free(c);
}

static void make_ready(dr__core *c, dr_task t, double now) {
    uint64_t key;
    switch (c->policy) {
    case DR_POLICY_CP:
    case DR_POLICY_ORDER:
        key = c->rank[t];
        break;
    case DR_POLICY_LIFO:
        key = UINT64_MAX - c->seq++;
        break;
    default:
        key = c->seq++;
        break;
    }
    c->state[t] = DR__READY;
    c->ready_time[t] = now;
    ready_push(c, key, t);
}

void dr__core_cached(dr__core *c, dr_task t) {
    c->state[t] = DR__DONE;
    c->nfinished++;
    size_t ns;
    const dr_task *s = dr_task_succs(c->g, t, &ns);
    for (size_t i = 0; i < ns; i++)
        c->waiting[s[i]]--;
}

void dr__core_start(dr__core *c, double now) {
    for (size_t t = 0; t < c->n; t++)
        if (c->waiting[t] == 0 && c->state[t] == DR__WAITING)
            make_ready(c, (dr_task)t, now);
}

int dr__core_assign(dr__core *c, double now, dr_task *task, unsigned *worker) {
    (void)now;
    if (c->stopped || c->nready == 0 || c->nfree == 0)
        return 0;
    dr_task t = ready_pop(c);
    *task = t;
    *worker = worker_pop(c);
    c->held[*worker] = 1;
    c->state[t] = DR__RUNNING;
    c->nrunning++;
    return 1;
}

int dr__core_assign_to(dr__core *c, double now, unsigned worker,
                       dr_task *task) {
    (void)now;
    if (c->stopped || c->nready == 0 || worker >= c->workers ||
        c->free_pos[worker] == UINT32_MAX)
        return 0;
    dr_task t = ready_pop(c);
    *task = t;
    worker_remove(c, worker);
    c->held[worker] = 1;
    c->state[t] = DR__RUNNING;
    c->nrunning++;
    return 1;
}

int dr__core_assign_more(dr__core *c, double now, unsigned worker,
                         dr_task *task) {
    (void)now;
    if (c->stopped || c->nready == 0 || worker >= c->workers ||
        c->held[worker] == 0)
        return 0;
    dr_task t = ready_pop(c);
    *task = t;
    c->held[worker]++;
    c->state[t] = DR__RUNNING;
    c->nrunning++;
    return 1;
}

int dr__core_assign_pick(dr__core *c, double now,
                         unsigned (*pick)(void *arg, dr_task t), void *arg,
                         dr_task *task, unsigned *worker) {
    (void)now;
    if (c->stopped || c->nready == 0 || c->nfree == 0)
        return 0;
    dr_task t = ready_pop(c);
    unsigned w = pick(arg, t);
    if (w >= c->workers || c->free_pos[w] == UINT32_MAX)
        w = c->free_workers[0]; /* not free: the lowest free id */
    worker_remove(c, w);
    c->held[w] = 1;
    c->state[t] = DR__RUNNING;
    c->nrunning++;
    *task = t;
    *worker = w;
    return 1;
}

/* t no longer runs on `worker`; the worker is free once it holds nothing. */
static void release(dr__core *c, dr_task t, unsigned worker) {
    (void)t;
    if (--c->held[worker] == 0)
        worker_push(c, worker);
    c->nrunning--;
}

void dr__core_unassign(dr__core *c, dr_task t, unsigned worker) {
    release(c, t, worker);
    double ready = c->ready_time[t];
    make_ready(c, t, ready);
}

void dr__core_finish(dr__core *c, dr_task t, unsigned worker, double now) {
    dr__core_finish_claim(c, t, worker, now, DR_TASK_NONE);
}

void dr__core_finish_claim(dr__core *c, dr_task t, unsigned worker, double now,
                           dr_task claim) {
    c->state[t] = DR__DONE;
    c->nfinished++;
    size_t ns;
    const dr_task *s = dr_task_succs(c->g, t, &ns);
    for (size_t i = 0; i < ns; i++) {
        if (--c->waiting[s[i]] != 0 || c->state[s[i]] != DR__WAITING)
            continue;
        if (s[i] == claim) {
            /* Runs on `worker` at once: it stays taken. */
            c->state[claim] = DR__RUNNING;
            c->ready_time[claim] = now;
            c->nrunning++;
            c->held[worker]++;
        } else
            make_ready(c, s[i], now);
    }
    release(c, t, worker);
}

void dr__core_retry(dr__core *c, dr_task t, unsigned worker, double now) {
    release(c, t, worker);
    make_ready(c, t, now);
}

void dr__core_fail(dr__core *c, dr_task t, unsigned worker, double now,
                   int keep_going) {
    (void)now;
    release(c, t, worker);
    c->state[t] = DR__FAILED;
    c->nfinished++;
    /* Descendants of an unfinished task are all still waiting (or already
     * skipped by an earlier failure), so a DFS over WAITING tasks visits
     * each descendant once. */
    size_t cap = 64, top = 0;
    dr_task *stack = malloc(cap * sizeof(*stack));
    if (stack == NULL) { /* cannot skip: at least stop */
        c->stopped = 1;
        return;
    }
    stack[top++] = t;
    while (top > 0) {
        dr_task u = stack[--top];
        size_t ns;
        const dr_task *s = dr_task_succs(c->g, u, &ns);
        for (size_t i = 0; i < ns; i++) {
            if (c->state[s[i]] != DR__WAITING)
                continue;
            c->state[s[i]] = DR__SKIPPED;
            c->nfinished++;
            if (top == cap) {
                dr_task *bigger = realloc(stack, 2 * cap * sizeof(*stack));
                if (bigger == NULL) {
                    c->stopped = 1;
                    break;
                }
                stack = bigger;
                cap *= 2;
            }
            stack[top++] = s[i];
        }
    }
    free(stack);
    if (!keep_going)
        c->stopped = 1;
}

void dr__core_stop(dr__core *c) { c->stopped = 1; }

int dr__core_state(const dr__core *c, dr_task t) { return c->state[t]; }

double dr__core_ready_time(const dr__core *c, dr_task t) {
    return c->ready_time[t];
}

size_t dr__core_nready(const dr__core *c) { return c->nready; }
size_t dr__core_nrunning(const dr__core *c) { return c->nrunning; }
size_t dr__core_nfree(const dr__core *c) { return c->nfree; }
size_t dr__core_nfinished(const dr__core *c) { return c->nfinished; }

int dr__core_idle(const dr__core *c) {
    return c->nrunning == 0 && (c->stopped || c->nready == 0);
}

int dr__core_stopped(const dr__core *c) { return c->stopped; }

uint64_t dr__core_rank(const dr__core *c, dr_task t) {
    return c->rank != NULL ? c->rank[t] : 0;
}
