/*
 * Metrics of a finished run, computed from its attempt list and the graph
 * alone, so real and simulated runs are measured by the same code: work and
 * span by measured durations, the critical path, bounds, utilisation, the
 * observed degree of parallelism and its profile, per-worker busy / idle /
 * idle-tail time, scheduling overhead, and the chain of attempts that set
 * the makespan (makespan_chain.c).  docs/scheduling.md defines every
 * figure; docs/trace-format.md lists the summary.json keys.
 *
 * Everything time-based is one sweep over the attempts' ready, start and end
 * instants, sorted once by a radix sort (O(A) for A attempts).  At equal
 * instants ends come before readies and readies before starts; zero-length
 * intervals add nothing, so the order only decides which profile steps are
 * merged.  Zero-length attempts never count as running.  Ready time counts as
 * overhead only while fewer than P attempts run.
 */
#include "graph_internal.h"
#include "metrics_internal.h"
#include "run_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Profiles longer than this are resampled into DR_PROFILE_BUCKETS equal
 * intervals holding the time-weighted mean (summary key profile_exact). */
#define DR_PROFILE_MAX_STEPS 10000u
#define DR_PROFILE_BUCKETS 2000u

typedef struct metrics {
    double makespan, work, span, parallelism, lower_bound, over_bound;
    double busy;               /* worker-seconds running attempts, any status */
    double utilization;        /* busy / (P x makespan) */
    double useful_utilization; /* work / (P x makespan) */
    double lost;               /* busy - work: attempts that did not succeed */
    double avg_running;
    size_t max_running;
    size_t peak_live; /* most results held at once (live_results) */
    dr_task *path;
    size_t path_len;
    double *prof_t, *prof_v;
    size_t nprof;
    double *bucket_v; /* flush_profile's sums, until resample_profile */
    int prof_exact;
    uint32_t *w_tasks;
    double *w_busy, *w_useful, *w_last;
    double ready_while_idle, lat_mean, lat_median, lat_max;
    double dispatch_mean; /* overhead per task: see compute_dispatch */
    size_t dispatches;
    double task_median; /* of the successful attempts' durations */
    size_t succeeded, failed, skipped, interrupted, not_run;
    size_t cached;         /* DR_STATE_CACHED: reused, never ran (--resume) */
    size_t cpu_tasks;      /* run->cpu_tasks less the cached ones */
    dr__chain_step *chain; /* the makespan chain, first step first */
    size_t chain_len, chain_waits; /* steps; of which waited for a worker */
} metrics;

/* EV_INSTANT: the start of a zero-length attempt, which leaves the ready
 * set but never counts as running (its end would sort before its start at
 * the same instant). */
enum { EV_END = 0, EV_READY = 1, EV_START = 2, EV_INSTANT = 3 };

/* A double's bits turned into an unsigned key with the same order. */
static uint64_t order_key(double t) {
    uint64_t u;
    memcpy(&u, &t, sizeof(u));
    return (u >> 63) ? ~u : u | (1ULL << 63);
}

/* The double order_key was made from. */
static double key_time(uint64_t k) {
    uint64_t u = (k >> 63) ? k & ~(1ULL << 63) : ~k;
    double t;
    memcpy(&t, &u, sizeof(t));
    return t;
}

/* LSD radix sort of keys, 11 bits a pass (2,048 buckets: the counts stay
 * in the L1 cache and the scatter has few streams), every pass's counts
 * made in one read, a pass skipped when all keys share its digit, nothing
 * done when the keys are in order already (a simulation records attempts
 * in start order).  (An in-place MSD radix sort, which needs no second
 * array, took twice as long at 10,000,000 tasks: its swaps go anywhere.)  tmp
 * holds n keys; n < 2^32.  Returns 0 or DR_ENOMEM (keys untouched).  Events are
 * sorted as plain 8-byte keys, one array per kind, and merged by kind
 * afterwards: a million-task run has three million events, and this moves half
 * the bytes of sorting (time, kind) pairs. */
#define RADIX_BITS 11
#define RADIX_PASSES ((64 + RADIX_BITS - 1) / RADIX_BITS)
#define RADIX_SIZE (1u << RADIX_BITS)
static int sort_keys(uint64_t *keys, uint64_t *tmp, size_t n) {
    size_t i = 1;
    while (i < n && keys[i - 1] <= keys[i])
        i++;
    if (i >= n)
        return 0;
    uint32_t(*count)[RADIX_SIZE] = calloc(RADIX_PASSES, sizeof(*count));
    if (count == NULL)
        return DR_ENOMEM;
    for (i = 0; i < n; i++)
        for (int p = 0; p < RADIX_PASSES; p++)
            count[p][(keys[i] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    uint64_t *from = keys, *to = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        uint32_t *c = count[p];
        int shift = p * RADIX_BITS;
        if (c[(from[0] >> shift) & (RADIX_SIZE - 1)] == n)
            continue; /* every key has the same digit: nothing moves */
        uint32_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            uint32_t x = c[d];
            c[d] = sum;
            sum += x;
        }
        for (i = 0; i < n; i++)
            to[c[(from[i] >> shift) & (RADIX_SIZE - 1)]++] = from[i];
        uint64_t *x = from;
        from = to;
        to = x;
    }
    if (from != keys)
        memcpy(keys, from, n * sizeof(*keys));
    free(count);
    return 0;
}

/* The k-th smallest of v[0..n-1] (k < n; v is reordered so that v[k] is
 * it, with nothing larger before it and nothing smaller after).  The
 * pivot is the median of three pseudo-random elements of the range: the
 * median of the first, middle and last turned quadratic on data runs
 * really have, such as the latencies of a thousand commands queued
 * since the start followed by a million noops released at once, each an
 * increasing series (5,410 rounds and 2 s for 3,000,000 values).  The
 * generator's seed is fixed, so a run's figures do not depend on luck,
 * and past 2 log2(n) + 16 rounds what is left is sorted instead, so the
 * worst case is O(n log n).  `rounds` (unless NULL) gets the number of
 * partitions made, for tests. */
double dr__select_kth(double *v, size_t n, size_t k, size_t *rounds) {
    size_t lo = 0, hi = n - 1, made = 0, limit = 16;
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64 state */
    for (size_t m = n; m > 1; m >>= 1)
        limit += 2;
    while (lo < hi) {
        if (made == limit) {
            qsort(v + lo, hi - lo + 1, sizeof(*v), dr__cmp_double);
            break;
        }
        made++;
        size_t p[3];
        for (int r = 0; r < 3; r++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[r] = lo + (size_t)(x % (hi - lo + 1));
        }
        double a = v[p[0]], b = v[p[1]], c = v[p[2]];
        size_t at = a < b ? (b < c ? p[1] : (a < c ? p[2] : p[0]))
                          : (a < c ? p[0] : (b < c ? p[2] : p[1]));
        /* Hoare's partition around v[lo]: with the pivot first, j ends in
         * lo..hi-1, so both parts are non-empty and each round shrinks. */
        double pivot = v[at];
        v[at] = v[lo];
        v[lo] = pivot;
        size_t i = lo - 1, j = hi + 1; /* lo - 1 wraps; i++ comes first */
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (pivot < v[j]);
            if (i >= j)
                break;
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        /* v[lo..j] <= pivot <= v[j+1..hi], both parts non-empty */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    if (rounds != NULL)
        *rounds = made;
    return v[k];
}

/* The median of v[0..n-1] (n > 0; v is reordered): the middle value, or
 * the mean of the two middle ones, found by selection in O(n) rather than
 * a sort. */
static double median(double *v, size_t n) {
    if (n % 2)
        return dr__select_kth(v, n, n / 2, NULL);
    double lower = dr__select_kth(v, n, n / 2 - 1, NULL), upper = v[n / 2];
    for (size_t i = n / 2 + 1; i < n; i++) /* all >= lower once selected */
        if (v[i] < upper)
            upper = v[i];
    return (lower + upper) / 2;
}

static void metrics_free(metrics *m) {
    free(m->path);
    free(m->chain);
    free(m->prof_t);
    free(m->prof_v);
    free(m->bucket_v);
    free(m->w_tasks);
    free(m->w_busy);
    free(m->w_useful);
    free(m->w_last);
}

/* The critical path by measured durations (the ok attempt), over the tasks
 * that finished, by the one rule `dagrun analyze` and the DAG diagram use
 * (graph/analysis.c, dr__critical_path: longest, then most tasks, then
 * first), so every view names the same path.  After an interrupted run the
 * path runs over what finished. */
static int compute_span(const dr_run *run, metrics *m) {
    const dr_graph *g = run->graph;
    size_t n = dr_graph_ntasks(g);
    if (n == 0)
        return 0;
    double *dur = calloc(n, sizeof(*dur));
    unsigned char *skip = malloc(n);
    dr_task *pred = malloc(n * sizeof(*pred));
    if (dur == NULL || skip == NULL || pred == NULL) {
        free(dur), free(skip), free(pred);
        return DR_ENOMEM;
    }
    memset(skip, 1, n);
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        if (a->status == DR__ATTEMPT_OK) {
            dur[a->task] = a->end - a->start;
            skip[a->task] = 0;
        }
    }
    dr_task best;
    double span;
    if (dr__critical_path(g, dur, skip, pred, &best, &span) != 0) {
        free(dur), free(skip), free(pred);
        return DR_ENOMEM;
    }
    m->span = span;
    size_t len = 0;
    /* Nothing took measurable time (nothing succeeded, or only zero-length
     * tasks): there is no critical path to name. */
    for (dr_task t = best; m->span > 0 && t != DR_TASK_NONE; t = pred[t])
        len++;
    if (len == 0) {
        free(dur), free(skip), free(pred);
        return 0;
    }
    m->path = malloc(len * sizeof(*m->path));
    if (m->path == NULL) {
        free(dur), free(skip), free(pred);
        return DR_ENOMEM;
    }
    m->path_len = len;
    for (dr_task t = best; t != DR_TASK_NONE; t = pred[t])
        m->path[--len] = t;
    free(dur), free(skip), free(pred);
    return 0;
}

static int push_step(metrics *m, size_t *cap, double t, double v) {
    if (m->nprof > 0 && m->prof_v[m->nprof - 1] == v)
        return 0;
    if (m->nprof > 0 && m->prof_t[m->nprof - 1] == t) {
        m->prof_v[m->nprof - 1] = v;
        /* Merging may make it equal to the step before. */
        if (m->nprof > 1 && m->prof_v[m->nprof - 2] == v)
            m->nprof--;
        return 0;
    }
    if (m->nprof == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        double *pt = realloc(m->prof_t, c * sizeof(*pt));
        if (pt != NULL)
            m->prof_t = pt;
        double *pv = realloc(m->prof_v, c * sizeof(*pv));
        if (pv != NULL)
            m->prof_v = pv;
        if (pt == NULL || pv == NULL)
            return DR_ENOMEM;
        *cap = c;
    }
    m->prof_t[m->nprof] = t;
    m->prof_v[m->nprof++] = v;
    return 0;
}

/* Adds step i of the profile, value prof_v[i] from prof_t[i] to the next
 * step (or to the makespan, for the last), to the time-weighted sums bv of
 * DR_PROFILE_BUCKETS equal intervals. */
static void bucket_step(const metrics *m, double *bv, size_t i) {
    size_t nb = DR_PROFILE_BUCKETS;
    double width = m->makespan / nb;
    double a = m->prof_t[i];
    double b = i + 1 < m->nprof ? m->prof_t[i + 1] : m->makespan;
    double v = m->prof_v[i];
    while (a < b && v != 0) {
        size_t k = (size_t)(a / width);
        if (k >= nb)
            k = nb - 1;
        /* a at a bucket's edge, a / width rounded down: the next bucket
         * (the rest of the step once went to this one, however long). */
        if (k + 1 < nb && a >= (k + 1) * width)
            k++;
        double edge = k + 1 == nb ? b : fmin(b, (k + 1) * width);
        if (edge <= a) /* still no progress: the rest here */
            edge = b;
        bv[k] += v * (edge - a);
        a = edge;
    }
}

/* Replaces a long step profile by DR_PROFILE_BUCKETS time-weighted means
 * (added to the sums flush_profile started, if it did). */
static int resample_profile(metrics *m) {
    size_t nb = DR_PROFILE_BUCKETS;
    double width = m->makespan / nb;
    double *bt = calloc(nb, sizeof(*bt));
    double *bv = m->bucket_v ? m->bucket_v : calloc(nb, sizeof(*bv));
    if (bt == NULL || bv == NULL || !(width > 0)) {
        free(bt);
        if (bv != m->bucket_v)
            free(bv);
        return bt == NULL || bv == NULL ? DR_ENOMEM : 0;
    }
    m->bucket_v = NULL;
    for (size_t i = 0; i < m->nprof; i++)
        bucket_step(m, bv, i);
    for (size_t k = 0; k < nb; k++) {
        bt[k] = k * width;
        bv[k] /= width;
    }
    free(m->prof_t);
    free(m->prof_v);
    m->prof_t = bt;
    m->prof_v = bv;
    m->nprof = nb;
    m->prof_exact = 0;
    return 0;
}

/* A profile this long will be resampled: its steps but the last two
 * (which a later step may still change or remove, push_step) go into the
 * buckets now, in order, so that the sums are the ones resample_profile
 * would make from the whole profile, and the steps held stay few (a
 * 10,000,000-task run has tens of millions of them: hundreds of MB).
 * Returns 0 or DR_ENOMEM. */
static int flush_profile(metrics *m) {
    if (!(m->makespan / DR_PROFILE_BUCKETS > 0))
        return 0; /* resample_profile keeps the exact profile */
    if (m->bucket_v == NULL &&
        (m->bucket_v = calloc(DR_PROFILE_BUCKETS, sizeof(double))) == NULL)
        return DR_ENOMEM;
    size_t keep = 2, done = m->nprof - keep;
    for (size_t i = 0; i < done; i++)
        bucket_step(m, m->bucket_v, i);
    memmove(m->prof_t, m->prof_t + done, keep * sizeof(*m->prof_t));
    memmove(m->prof_v, m->prof_v + done, keep * sizeof(*m->prof_v));
    m->nprof = keep;
    return 0;
}

/* The ready-to-start latencies: mean, median and max.  Returns 0 or
 * DR_ENOMEM. */
static int compute_latency(const dr_run *run, metrics *m) {
    size_t na = run->nattempts;
    double *lat = malloc((na + 1) * sizeof(*lat));
    if (lat == NULL)
        return DR_ENOMEM;
    double sum = 0;
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        double ready =
            a->ready >= 0 && a->ready <= a->start ? a->ready : a->start;
        lat[i] = a->start - ready;
        sum += lat[i];
        if (lat[i] > m->lat_max)
            m->lat_max = lat[i];
    }
    if (na > 0) {
        m->lat_mean = sum / na;
        m->lat_median = median(lat, na);
    }
    free(lat);
    return 0;
}

/* One sorted list of event instants (keys) of one kind, read in order. */
typedef struct ev_list {
    const uint64_t *k;
    size_t n, at;
} ev_list;

/* The kind of the next event of the sweep: the earliest instant, and at
 * equal instants ends, then readies, then starts (zero-length or not: the
 * order between those two changes nothing).  -1 when none is left. */
static int next_kind(const ev_list *l) {
    int best = -1;
    uint64_t key = 0;
    for (int kind = EV_END; kind <= EV_INSTANT; kind++)
        if (l[kind].at < l[kind].n && (best < 0 || l[kind].k[l[kind].at] < key))
            best = kind, key = l[kind].k[l[kind].at];
    return best;
}

static int compute_sweep(const dr_run *run, metrics *m) {
    size_t na = run->nattempts;
    unsigned P = run->workers;
    if (compute_latency(run, m) != 0)
        return DR_ENOMEM;
    /* ends | readies | starts, then zero-length starts from the top. */
    uint64_t *keys = malloc((3 * na + 1) * sizeof(*keys));
    uint64_t *tmp = malloc((na + 1) * sizeof(*tmp));
    if (keys == NULL || tmp == NULL) {
        free(keys), free(tmp);
        return DR_ENOMEM;
    }
    uint64_t *ends = keys, *readies = keys + na, *starts = keys + 2 * na;
    size_t nend = 0, nstart = 0, ninstant = 0;
    double busy_total = 0;
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        double ready =
            a->ready >= 0 && a->ready <= a->start ? a->ready : a->start;
        readies[i] = order_key(ready);
        if (a->end > a->start) {
            ends[nend++] = order_key(a->end);
            starts[nstart++] = order_key(a->start);
        } else {
            keys[3 * na - 1 - ninstant++] = order_key(a->start);
        }
        busy_total += a->end - a->start;
        if (a->worker < P) {
            m->w_tasks[a->worker]++;
            m->w_busy[a->worker] += a->end - a->start;
            if (a->status == DR__ATTEMPT_OK)
                m->w_useful[a->worker] += a->end - a->start;
            if (a->end > m->w_last[a->worker])
                m->w_last[a->worker] = a->end;
        }
    }
    uint64_t *instants = keys + 3 * na - ninstant;
    int bad = sort_keys(ends, tmp, nend) || sort_keys(readies, tmp, na) ||
              sort_keys(starts, tmp, nstart) ||
              sort_keys(instants, tmp, ninstant);
    free(tmp);
    if (bad) {
        free(keys);
        return DR_ENOMEM;
    }
    ev_list l[4] = {{ends, nend, 0},
                    {readies, na, 0},
                    {starts, nstart, 0},
                    {instants, ninstant, 0}};
    size_t cap = 0, running = 0, waiting = 0;
    int rc = push_step(m, &cap, 0, 0);
    double prev = 0;
    int first = 1;
    for (int kind; rc == 0 && (kind = next_kind(l)) >= 0; first = 0) {
        double t = key_time(l[kind].k[l[kind].at++]);
        /* Worker-seconds lost to scheduling: at each moment, the free
         * workers that a waiting task could have used, min(waiting, free).
         * Bounded by P x makespan, unlike a per-task sum of waits. */
        if (!first && running < P) {
            size_t usable = waiting < P - running ? waiting : P - running;
            m->ready_while_idle += usable * (t - prev);
        }
        prev = t;
        switch (kind) {
        case EV_END:
            running--;
            break;
        case EV_READY:
            waiting++;
            break;
        case EV_INSTANT:
            waiting--;
            break;
        default:
            waiting--;
            running++;
            break;
        }
        if (running > m->max_running)
            m->max_running = running;
        rc = push_step(m, &cap, t, (double)running);
        if (rc == 0 && m->nprof >= 2 * DR_PROFILE_MAX_STEPS)
            rc = flush_profile(m);
    }
    free(keys);
    m->prof_exact = 1;
    m->busy = busy_total;
    m->avg_running = m->makespan > 0 ? busy_total / m->makespan : 0;
    if (rc == 0 && (m->bucket_v != NULL || m->nprof > DR_PROFILE_MAX_STEPS))
        rc = resample_profile(m);
    return rc;
}

/* The scheduling overhead per task, as a user of the run can see it: on
 * each worker, the gap between the end of one attempt and the start of its
 * next one when that next one was already ready (the worker went straight
 * from one task to the other, so the whole gap is dagrun's: taking the
 * lock, recording, choosing, handing out, gathering inputs).  Gaps in which
 * the worker waited for work to become ready are not overhead and are
 * left out, as is the start of the run.  The mean over those gaps is
 * overhead.per_task; a simulation has none (0).  The executor times an
 * attempt from just before the task's body to just after it (exec_threads.c),
 * so these gaps are not hidden inside the attempts.  Also the median
 * duration of the successful attempts, the typical task it compares with.
 * Returns 0 or DR_ENOMEM. */
static int compute_dispatch(const dr_run *run, metrics *m) {
    size_t na = run->nattempts;
    unsigned P = run->workers ? run->workers : 1;
    double *prev_end = malloc(P * sizeof(*prev_end));
    double *dur = malloc((na + 1) * sizeof(*dur));
    if (prev_end == NULL || dur == NULL) {
        free(prev_end), free(dur);
        return DR_ENOMEM;
    }
    for (unsigned w = 0; w < P; w++)
        prev_end[w] = -1;
    double gaps = 0;
    size_t nok = 0;
    /* Record order is start order within a worker (run_internal.h). */
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        if (a->status == DR__ATTEMPT_OK)
            dur[nok++] = a->end - a->start;
        if (a->worker >= P)
            continue;
        double before = prev_end[a->worker];
        if (before >= 0 && a->ready >= 0 && a->ready <= before &&
            a->start >= before) {
            gaps += a->start - before;
            m->dispatches++;
        }
        prev_end[a->worker] = a->end;
    }
    free(prev_end);
    m->dispatch_mean = m->dispatches ? gaps / (double)m->dispatches : 0;
    if (nok > 0)
        m->task_median = median(dur, nok);
    free(dur);
    return 0;
}

/* When task t's result is no longer needed: the latest "done" instant of
 * its dependents (done[] in topological order), INFINITY when one never
 * ran or the run keeps it (sinks, --output). */
static double release_time(const dr_run *run, const double *done, dr_task t) {
    if (run->keep[t])
        return INFINITY;
    size_t ns;
    const dr_task *s = dr_task_succs(run->graph, t, &ns);
    double latest = -INFINITY;
    for (size_t i = 0; i < ns; i++)
        latest = fmax(latest, done[s[i]]);
    return latest;
}

/* Whether t's result is held during the run: every successful task's, and
 * a cached task's (read from the journal at the start, docs/resuming.md)
 * when the run keeps it or a task that is not cached depends on it; a
 * cached task whose dependents are all cached is never read back. */
static int holds_result(const dr_run *run, dr_task t) {
    if (run->state[t] == DR_STATE_OK)
        return 1;
    if (run->state[t] != DR_STATE_CACHED)
        return 0;
    if (run->keep[t])
        return 1;
    size_t ns;
    const dr_task *s = dr_task_succs(run->graph, t, &ns);
    for (size_t i = 0; i < ns; i++)
        if (run->state[s[i]] != DR_STATE_CACHED)
            return 1;
    return 0;
}

/*
 * Peak live results, for real and simulated runs alike, from the attempt
 * list and the task states (docs/scheduling.md, "peak live results"): the
 * result of a task that succeeded (whatever it is: a JSON value, null
 * included, a pointer, a command's standard output) is live from the end
 * of its successful attempt until its last dependent is done -- has ended
 * (well or not) or was skipped -- and until the end of the run when the run
 * keeps it or a dependent never ran.  At one instant results produced count
 * before results released, so a task's output and its inputs count
 * together, as they are held together when it ends.  A skipped task is done
 * when the first failure above it ended; a cached task was done at 0, and
 * its result counts from then when it is held (holds_result).  Returns 0
 * or DR_ENOMEM.
 */
static int compute_live(const dr_run *run, metrics *m) {
    const dr_graph *g = run->graph;
    size_t n = dr_graph_ntasks(g);
    const dr_task *topo = dr_graph_topo_order(g);
    if (n == 0)
        return 0;
    double *done = malloc(n * sizeof(*done));
    /* productions | releases, then a sort's scratch */
    uint64_t *keys = malloc(2 * n * sizeof(*keys));
    if (done == NULL || keys == NULL || topo == NULL) {
        free(done), free(keys);
        return DR_ENOMEM;
    }
    /* In task order (attempts are mostly in that order too), then the
     * skipped tasks in topological order, since each one's instant is
     * that of a dependency. */
    for (size_t t = 0; t < n; t++) {
        int32_t last = run->last[t];
        done[t] = INFINITY;
        if (run->state[t] == DR_STATE_CACHED)
            done[t] = 0; /* done before the run started */
        else if (run->state[t] != DR_STATE_SKIPPED &&
                 run->state[t] != DR_STATE_PENDING && last >= 0 &&
                 (size_t)last < run->nattempts)
            done[t] = run->attempts[last].end;
    }
    for (size_t i = 0; m->skipped > 0 && i < n; i++) {
        dr_task t = topo[i];
        if (run->state[t] != DR_STATE_SKIPPED)
            continue;
        size_t nd;
        const dr_task *d = dr_task_deps(g, t, &nd);
        for (size_t j = 0; j < nd; j++)
            if (run->state[d[j]] != DR_STATE_OK &&
                run->state[d[j]] != DR_STATE_CACHED)
                done[t] = fmin(done[t], done[d[j]]);
    }
    uint64_t *made = keys, *freed = keys + n;
    size_t nmade = 0, nfreed = 0;
    for (size_t t = 0; t < n; t++)
        if (holds_result(run, (dr_task)t) && done[t] < INFINITY) {
            made[nmade++] = order_key(done[t]);
            double r = release_time(run, done, (dr_task)t);
            if (r < INFINITY)
                freed[nfreed++] = order_key(fmax(r, done[t]));
        }
    /* done is spent: its room is the sort's second array (the sort only
     * reads there what it wrote there). */
    int bad = sort_keys(made, (uint64_t *)done, nmade) ||
              sort_keys(freed, (uint64_t *)done, nfreed);
    free(done);
    if (bad) {
        free(keys);
        return DR_ENOMEM;
    }
    /* At equal instants the productions count first. */
    size_t live = 0, i = 0, j = 0;
    while (i < nmade) {
        if (j < nfreed && freed[j] < made[i]) {
            live--, j++;
            continue;
        }
        live++, i++;
        if (live > m->peak_live)
            m->peak_live = live;
    }
    free(keys);
    return 0;
}

static int compute(const dr_run *run, metrics *m) {
    memset(m, 0, sizeof(*m));
    unsigned P = run->workers ? run->workers : 1;
    size_t n = dr_graph_ntasks(run->graph);
    m->makespan = run->makespan;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].status == DR__ATTEMPT_OK)
            m->work += run->attempts[i].end - run->attempts[i].start;
    for (size_t t = 0; t < n; t++) {
        m->succeeded += run->state[t] == DR_STATE_OK;
        m->failed += run->state[t] == DR_STATE_FAILED;
        m->skipped += run->state[t] == DR_STATE_SKIPPED;
        m->interrupted += run->state[t] == DR_STATE_INTERRUPTED;
        m->not_run += run->state[t] == DR_STATE_PENDING;
        m->cached += run->state[t] == DR_STATE_CACHED;
    }
    /* A cached task burns no CPU: it did not run. */
    m->cpu_tasks = run->cpu_tasks;
    for (size_t t = 0; t < n && m->cached > 0; t++)
        if (run->state[t] == DR_STATE_CACHED && m->cpu_tasks > 0 &&
            dr_task_uses_cpu(run->graph, (dr_task)t, run->opts.cost_op))
            m->cpu_tasks--;
    m->w_tasks = calloc(P, sizeof(*m->w_tasks));
    m->w_busy = calloc(P, sizeof(*m->w_busy));
    m->w_useful = calloc(P, sizeof(*m->w_useful));
    m->w_last = calloc(P, sizeof(*m->w_last));
    if (m->w_tasks == NULL || m->w_busy == NULL || m->w_useful == NULL ||
        m->w_last == NULL || compute_span(run, m) != 0 ||
        compute_sweep(run, m) != 0 || compute_live(run, m) != 0 ||
        compute_dispatch(run, m) != 0 ||
        dr__run_makespan_chain(run, &m->chain, &m->chain_len) != 0) {
        metrics_free(m);
        return DR_ENOMEM;
    }
    for (size_t i = 0; i < m->chain_len; i++)
        m->chain_waits += m->chain[i].via == DR__VIA_WORKER;
    m->parallelism = m->span > 0 ? m->work / m->span : 0;
    m->lower_bound = fmax(m->span, m->work / P);
    m->over_bound = m->lower_bound > 0 ? m->makespan / m->lower_bound : 0;
    /* A worker running an attempt is busy, whether the attempt succeeds or
     * not; the useful share counts successful attempts only. */
    m->utilization = m->makespan > 0 ? m->busy / (P * m->makespan) : 0;
    m->useful_utilization = m->makespan > 0 ? m->work / (P * m->makespan) : 0;
    m->lost = fmax(0, m->busy - m->work);
    return 0;
}

/* More workers than cores slow a real run down only when its tasks burn
 * CPU in this process (dr_task_uses_cpu); sleeps and commands do not, nor
 * do cached tasks, which did not run. */
static int oversubscribed(const dr_run *run, const metrics *m) {
    return !run->simulated && run->workers > run->cores && m->cpu_tasks > 0;
}

static json_t *task_list(const dr_run *run, int state) {
    json_t *list = json_array();
    size_t n = dr_graph_ntasks(run->graph);
    for (size_t t = 0; t < n && list != NULL; t++)
        if (run->state[t] == state)
            json_array_append_new(list,
                                  json_string(dr_task_key(run->graph, t)));
    return list;
}

static json_t *num_or_null(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

/* summary.json `machine` of a real run: the busy-machine check
 * (scaling_probe.c). */
static json_t *machine_json(const dr_run *run) {
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:s?}", "busy", run->busy,
                     "cpu_share", num_or_null(run->cpu_share), "others_cores",
                     num_or_null(run->others_cores), "load_before",
                     num_or_null(run->load_before), "load_after",
                     num_or_null(run->load_after), "evidence",
                     run->busy ? run->busy_why : NULL);
}

/* What the attempts moved between dagrun and its worker processes
 * (DR_EXECUTOR_PROCESSES): each attempt that moved bytes sent one task
 * message and received one result message.  All 0 under threads and sync,
 * and under processes until an attempt moves data. */
typedef struct transfer {
    uint64_t sent, received, messages, peer;
    double send_s, recv_s;
} transfer;

static transfer run_transfer(const dr_run *run) {
    transfer x = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__move *a = dr__run_move(run, i);
        x.peer += a->bytes_peer;
        x.sent += a->bytes_sent;
        x.received += a->bytes_received;
        x.send_s += a->send_s;
        x.recv_s += a->recv_s;
        if (a->bytes_sent > 0 || a->bytes_received > 0)
            x.messages += 2;
    }
    return x;
}

/* summary.json `executor` and `transfer`, real runs only (a simulation
 * runs nothing anywhere).  0 or -1 (out of memory). */
static int put_executor(json_t *root, const dr_run *run) {
    if (run->simulated)
        return 0;
    transfer x = run_transfer(run);
    json_t *t = json_pack(
        "{s:I, s:I, s:f, s:f, s:I}", "bytes_sent", (json_int_t)x.sent,
        "bytes_received", (json_int_t)x.received, "send_seconds", x.send_s,
        "receive_seconds", x.recv_s, "messages", (json_int_t)x.messages);
    /* Under MPI: what went from one worker rank to another, not through
     * rank 0 (included in bytes_sent). */
    if (t != NULL && run->nranks > 0)
        json_object_set_new(t, "bytes_between_ranks",
                            json_integer((json_int_t)x.peer));
    if (json_object_set_new(
            root, "executor",
            json_string(dr_executor_name(run->opts.executor)))) {
        json_decref(t);
        return -1;
    }
    /* The memory limit of each worker process, bytes (0: none). */
    if (run->opts.executor == DR_EXECUTOR_PROCESSES &&
        json_object_set_new(
            root, "worker_memory",
            json_integer((json_int_t)run->opts.worker_memory)) != 0) {
        json_decref(t);
        return -1;
    }
    return json_object_set_new(root, "transfer", t);
}

/* One worker rank's figures (--executor mpi): its slots' attempts and
 * busy time, that over slots x makespan, and what its attempts' messages
 * moved between rank 0 and it. */
typedef struct rank_figures {
    uint64_t attempts, sent, received, messages;
    double busy, utilization, send_s, recv_s;
} rank_figures;

static rank_figures rank_of(const dr_run *run, const metrics *m,
                            const dr__rank *k) {
    rank_figures f = {0, 0, 0, 0, 0, 0, 0, 0};
    for (unsigned w = k->first; w < k->first + k->nslots && w < run->workers;
         w++) {
        f.attempts += m->w_tasks[w];
        f.busy += m->w_busy[w];
    }
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        if (a->worker < k->first || a->worker - k->first >= k->nslots)
            continue;
        const dr__move *mv = dr__run_move(run, i);
        f.sent += mv->bytes_sent;
        f.received += mv->bytes_received;
        f.send_s += mv->send_s;
        f.recv_s += mv->recv_s;
        if (mv->bytes_sent > 0 || mv->bytes_received > 0)
            f.messages += 2;
    }
    if (k->nslots > 0 && m->makespan > 0)
        f.utilization = f.busy / (k->nslots * m->makespan);
    return f;
}

/* summary.json `ranks` and `host0` (--executor mpi only): per worker rank
 * its host, slots and first worker, attempts, busy time and utilisation,
 * and the bytes, messages and seconds its attempts moved.  0 or -1. */
static int put_ranks(json_t *root, const dr_run *run, const metrics *m) {
    if (run->nranks == 0)
        return 0;
    json_t *list = json_array();
    if (list == NULL || json_object_set_new(root, "ranks", list) != 0)
        return -1;
    for (unsigned i = 0; i < run->nranks; i++) {
        const dr__rank *k = &run->ranks[i];
        rank_figures f = rank_of(run, m, k);
        json_t *o = json_pack(
            "{s:i, s:s#, s:i, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:f, "
            "s:f, s:f}",
            "rank", k->rank, "host", k->host, (int)strnlen(k->host, 64), "pid",
            k->pid, "first_worker", (json_int_t)k->first, "slots",
            (json_int_t)k->nslots, "attempts", (json_int_t)f.attempts, "busy",
            f.busy, "utilization", f.utilization, "bytes_sent",
            (json_int_t)f.sent, "bytes_received", (json_int_t)f.received,
            "messages", (json_int_t)f.messages, "send_seconds", f.send_s,
            "receive_seconds", f.recv_s, "transfer_seconds",
            f.send_s + f.recv_s);
        if (json_array_append_new(list, o) != 0)
            return -1;
    }
    return json_object_set_new(
        root, "host0", json_stringn(run->host0, strnlen(run->host0, 64)));
}
/* The time from `busy` (a worker's summed durations, or its last end) to
 * the makespan; 0 within rounding of it: a sum of durations can fall a few
 * ulps either side of the makespan, which printed as "1.78e-09 µs" of
 * idle time on a worker busy to the end. */
static double until_end(double makespan, double busy) {
    double d = makespan - busy;
    return d > fabs(makespan) * 1e-12 ? d : 0;
}

/* The summary object of a run whose metrics are *mp; frees them. */
static json_t *summary_json(const dr_run *run, metrics *mp) {
    metrics m = *mp;
    const dr_graph *g = run->graph;
    json_t *path = json_array(), *profile = json_array();
    json_t *workers = json_array(), *failures = json_array();
    for (size_t i = 0; i < m.path_len && path; i++)
        json_array_append_new(path, json_string(dr_task_key(g, m.path[i])));
    for (size_t i = 0; i < m.nprof && profile; i++)
        json_array_append_new(
            profile,
            m.prof_exact
                ? json_pack("[f,I]", m.prof_t[i], (json_int_t)m.prof_v[i])
                : json_pack("[f,f]", m.prof_t[i], m.prof_v[i]));
    for (unsigned w = 0; w < run->workers && workers; w++) {
        double tail = until_end(run->makespan, m.w_last[w]);
        json_array_append_new(
            workers, json_pack("{s:I, s:I, s:f, s:f, s:f, s:f}", "worker",
                               (json_int_t)w, "tasks", (json_int_t)m.w_tasks[w],
                               "busy", m.w_busy[w], "useful", m.w_useful[w],
                               "idle", until_end(run->makespan, m.w_busy[w]),
                               "idle_tail", tail));
    }
    for (size_t i = 0; i < run->nfailures && failures; i++) {
        const dr__failure *f = &run->failures[i];
        json_array_append_new(
            failures,
            json_pack("{s:s, s:s, s:I, s:s?}", "task", dr_task_key(g, f->task),
                      "reason", f->reason, "attempts", (json_int_t)f->attempts,
                      "stderr_tail", f->stderr_tail));
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:I, s:s, s:I, s:b, s:f, s:f, s:f, s:o, s:f, s:f, s:f, "
        "s:f, s:I, s:f, s:o, s:b, s:o}",
        "graph", dr_graph_name(g), "version", DAGRUN_VERSION_STRING, "workers",
        (json_int_t)run->workers, "policy", dr_policy_name(run->opts.policy),
        "cores", (json_int_t)run->cores, "simulated", run->simulated,
        "makespan", m.makespan, "work", m.work, "span", m.span, "critical_path",
        path, "parallelism", m.parallelism, "lower_bound", m.lower_bound,
        "makespan_over_bound", m.over_bound, "utilization", m.utilization,
        "max_running", (json_int_t)m.max_running, "avg_running", m.avg_running,
        "profile", profile, "profile_exact", m.prof_exact, "per_worker",
        workers);
    /* The runtime overhead a simulation was given (--overhead), seconds. */
    if (root != NULL && run->simulated &&
        json_object_set_new(root, "sim_overhead",
                            json_real(run->opts.sim_overhead)) != 0) {
        json_decref(root);
        root = NULL;
    }
    json_t *rest = json_pack(
        "{s:{s:f, s:f, s:f, s:f, s:f, s:I, s:f}, s:I, s:I, s:I, s:I, s:o, "
        "s:o, s:o, s:b, s:b}",
        "overhead", "ready_while_idle", m.ready_while_idle, "latency_mean",
        m.lat_mean, "latency_median", m.lat_median, "latency_max", m.lat_max,
        "per_task", m.dispatch_mean, "dispatches", (json_int_t)m.dispatches,
        "task_median", m.task_median, "peak_live_results",
        (json_int_t)m.peak_live, "peak_live_bytes",
        (json_int_t)run->peak_live_bytes, "tasks",
        (json_int_t)dr_graph_ntasks(g), "succeeded", (json_int_t)m.succeeded,
        "failed", task_list(run, DR_STATE_FAILED), "failures", failures,
        "skipped", task_list(run, DR_STATE_SKIPPED), "interrupted",
        run->interrupted, "oversubscribed", oversubscribed(run, &m));
    json_t *more = json_pack(
        "{s:o, s:o, s:o, s:I, s:I, s:f, s:f, s:f, s:o, s:o, s:I, s:o}",
        "makespan_chain", dr__chain_json(run, m.chain, m.chain_len),
        "interrupted_tasks", task_list(run, DR_STATE_INTERRUPTED), "not_run",
        task_list(run, DR_STATE_PENDING), "tasks_without_cost",
        (json_int_t)run->tasks_without_cost, "cpu_tasks",
        (json_int_t)m.cpu_tasks, "busy", m.busy, "busy_failed", m.lost,
        "useful_utilization", m.useful_utilization, "params",
        dr__run_params_json(run), "params_set", dr__run_params_set_json(run),
        "cached_tasks", (json_int_t)m.cached, "cached",
        task_list(run, DR_STATE_CACHED));
    /* Here, while the per-worker figures it sums are still there. */
    if (more != NULL && put_ranks(more, run, &m) != 0) {
        json_decref(more);
        more = NULL;
    }
    metrics_free(&m);
    if (root == NULL || rest == NULL || more == NULL ||
        json_object_update(root, rest) != 0 ||
        json_object_update(root, more) != 0) {
        json_decref(root);
        json_decref(rest);
        json_decref(more);
        return NULL;
    }
    json_decref(rest);
    json_decref(more);
    if (run->opts.policy == DR_POLICY_RANDOM)
        json_object_set_new(root, "seed",
                            json_integer((json_int_t)run->opts.seed));
    if (put_executor(root, run) != 0 ||
        (!run->simulated &&
         json_object_set_new(root, "machine", machine_json(run)) != 0)) {
        json_decref(root);
        return NULL;
    }
    if (run->opts.costs_trace != NULL &&
        json_object_set_new(root, "costs_from_busy_machine",
                            json_boolean(run->costs_busy)) != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------ text */

/* "1.23 s", "45.6 ms", "789 µs". */
static const char *fmt_time(char *buf, size_t len, double s) {
    s = dr__round3(s); /* the unit after rounding */
    if (s == 0)
        snprintf(buf, len, "0 s");
    else if (s >= 1e6 || !isfinite(s))
        snprintf(buf, len, "%.3g s", s);
    else if (s >= 100)
        snprintf(buf, len, "%.0f s", s);
    else if (s >= 1)
        snprintf(buf, len, "%.3g s", s);
    else if (s >= 1e-3)
        snprintf(buf, len, "%.3g ms", s * 1e3);
    else
        snprintf(buf, len, "%.3g µs", s * 1e6);
    return buf;
}

#define T(x) fmt_time((char[32]){0}, 32, (x))

/* Task ids, graph names and failure reasons come from the graph or the
 * tasks and may hold escape sequences or newlines: on a terminal they are
 * written as dr__safe_text makes them (graph/escape.c).  summary.json and
 * trace.json keep them exact. */
static void put_safe(FILE *out, const char *s) {
    char *t = dr__safe_text(s, strlen(s), 0);
    fputs(t != NULL ? t : "?", out);
    free(t);
}

static void put_key(FILE *out, const dr_run *run, dr_task t) {
    put_safe(out, dr_task_key(run->graph, t));
}

/* Prints at most `max` keys of `state`, then "and N more". */
static void print_keys(const dr_run *run, FILE *out, int state, size_t max) {
    size_t n = dr_graph_ntasks(run->graph), shown = 0, total = 0;
    for (size_t t = 0; t < n; t++) {
        if (run->state[t] != state)
            continue;
        if (shown < max) {
            fputs(shown ? ", " : "    ", out);
            put_key(out, run, t);
            shown++;
        }
        total++;
    }
    if (total > shown)
        fprintf(out, " and %zu more", total - shown);
    if (total)
        fputc('\n', out);
}

/* Long lists show their first six entries, "...", and the last. */
#define SHOWN_HEAD 6
#define SHOWN_MAX 8

static void print_critical_path(const dr_run *run, const metrics *m,
                                FILE *out) {
    fprintf(out,
            "  Critical path of the graph (%zu task%s, dependencies only%s): ",
            m->path_len, m->path_len == 1 ? "" : "s",
            run->interrupted ? ", over the tasks that finished"
            : m->cached > 0  ? ", over the tasks that ran"
                             : "");
    for (size_t i = 0; i < m->path_len; i++) {
        if (i == SHOWN_HEAD && m->path_len > SHOWN_MAX) {
            fprintf(out, " -> ... (%zu more) -> ",
                    m->path_len - SHOWN_HEAD - 1);
            put_key(out, run, m->path[m->path_len - 1]);
            break;
        }
        fputs(i ? " -> " : "", out);
        put_key(out, run, m->path[i]);
    }
    fputc('\n', out);
}

/* The chain is printed by items: a step, or a step and the retries that
 * followed it ("a (attempts 1 to 3, retried 2 times)"), so 10,000 attempts
 * of one task make one item, not a line of 10,000 arrows.  Returns the step
 * after the item starting at step i. */
static size_t chain_item_end(const metrics *m, size_t i) {
    size_t j = i + 1;
    while (j < m->chain_len && m->chain[j].via == DR__VIA_RETRY)
        j++;
    return j;
}

static void print_item(const dr_run *run, const metrics *m, size_t i,
                       FILE *out) {
    size_t j = chain_item_end(m, i);
    const dr__attempt *a = &run->attempts[m->chain[i].attempt];
    const dr__attempt *z = &run->attempts[m->chain[j - 1].attempt];
    put_key(out, run, a->task);
    if (j - i > 1)
        fprintf(out, " (attempts %u to %u, retried %zu time%s)",
                (unsigned)a->attempt, (unsigned)z->attempt, j - i - 1,
                j - i - 1 == 1 ? "" : "s");
    else if (a->attempt > 1)
        fprintf(out, " (attempt %u)", (unsigned)a->attempt);
}

static const char *via_arrow(unsigned via) {
    return via == DR__VIA_WORKER ? " => " : " -> ";
}

static void print_chain(const dr_run *run, const metrics *m, FILE *out) {
    size_t len = m->chain_len, items = 0, retries = 0;
    if (len == 0)
        return;
    for (size_t i = 0; i < len; i = chain_item_end(m, i))
        items++;
    for (size_t i = 0; i < len; i++)
        retries += m->chain[i].via == DR__VIA_RETRY;
    fprintf(out, "  Chain that set the makespan (%zu step%s%s): ", len,
            len == 1 ? "" : "s",
            m->chain_waits ? ""
            : retries      ? ", dependencies and retries only"
                           : ", dependencies only");
    size_t k = 0;
    for (size_t i = 0; i < len; i = chain_item_end(m, i), k++) {
        if (k == SHOWN_HEAD && items > SHOWN_MAX) {
            size_t last = len - 1;
            while (last > 0 && m->chain[last].via == DR__VIA_RETRY)
                last--;
            fprintf(out, " ... (%zu more)%s", items - SHOWN_HEAD - 1,
                    via_arrow(m->chain[last].via));
            print_item(run, m, last, out);
            break;
        }
        if (k > 0)
            fputs(via_arrow(m->chain[i].via), out);
        print_item(run, m, i, out);
    }
    if (m->chain_waits)
        fprintf(out, "  (-> dependency, => waited for a worker)");
    fputc('\n', out);
}

/* "1.5 MB", "340 kB", "512 bytes": decimal units, as data volumes are
 * usually quoted. */
static const char *fmt_bytes(char *buf, size_t len, uint64_t n) {
    if (n < 1000)
        snprintf(buf, len, "%llu byte%s", (unsigned long long)n,
                 n == 1 ? "" : "s");
    else if (n < 1000000)
        snprintf(buf, len, "%.3g kB", (double)n / 1e3);
    else if (n < 1000000000)
        snprintf(buf, len, "%.3g MB", (double)n / 1e6);
    else
        snprintf(buf, len, "%.3g GB", (double)n / 1e9);
    return buf;
}

/* A host name as the terminal should see it (it came from another
 * process). */
static void put_host(FILE *out, const char *host) {
    char h[65];
    snprintf(h, sizeof(h), "%.64s", host);
    put_safe(out, h);
}

/* --executor mpi: one line per worker rank after the per-worker table:
 * its host, slots and attempts, busy time and busy / (slots x makespan),
 * and what its attempts' messages moved and how long that took. */
static void print_ranks(const dr_run *run, const metrics *m, FILE *out) {
    if (run->nranks == 0)
        return;
    unsigned shown = run->nranks <= 32 ? run->nranks : 16;
    fprintf(out, "\n  %-5s %-16s %5s %8s %11s %11s %11s %11s\n", "rank", "host",
            "slots", "attempts", "busy", "utilisation", "moved", "moving");
    for (unsigned i = 0; i < shown; i++) {
        const dr__rank *k = &run->ranks[i];
        rank_figures f = rank_of(run, m, k);
        char h[65], bytes[48];
        snprintf(h, sizeof(h), "%.64s", k->host);
        char *safe = dr__safe_text(h, strlen(h), 0);
        fprintf(out, "  %-5d %-16s %5u %8llu %11s %10.0f%% %11s %11s\n",
                k->rank, safe != NULL ? safe : "?", k->nslots,
                (unsigned long long)f.attempts, T(f.busy), 100 * f.utilization,
                fmt_bytes(bytes, sizeof(bytes), f.sent + f.received),
                T(f.send_s + f.recv_s));
        free(safe);
    }
    if (shown < run->nranks)
        fprintf(out, "  ... %u more ranks (see summary.json)\n",
                run->nranks - shown);
}

/* "Executor: threads", or under processes and mpi the data the messages
 * moved: "Executor: processes (4 workers); moved 1.2 MB in 200 messages,
 * 15 ms sending, 9 ms receiving" ("(4 workers on 2 worker ranks, scheduler
 * on HOST)" under mpi).  Real runs only. */
static void print_executor(const dr_run *run, FILE *out) {
    if (run->simulated)
        return;
    dr_executor e = run->opts.executor;
    fprintf(out, "  Executor: %s", dr_executor_name(e));
    if (e == DR_EXECUTOR_SYNC)
        fputs(" (one task at a time on the calling thread)", out);
    if (e == DR_EXECUTOR_PROCESSES || e == DR_EXECUTOR_MPI) {
        transfer x = run_transfer(run);
        char bytes[48];
        fprintf(out, " (%u worker%s", run->workers,
                run->workers == 1 ? "" : "s");
        if (e == DR_EXECUTOR_MPI && run->nranks > 0) {
            fprintf(out, " on %u worker rank%s, scheduler on ", run->nranks,
                    run->nranks == 1 ? "" : "s");
            put_host(out, run->host0);
        }
        fputs("); ", out);
        if (x.messages == 0)
            fputs("no task data moved", out);
        else
            fprintf(out, "moved %s in %llu messages, %s sending, %s receiving",
                    fmt_bytes(bytes, sizeof(bytes), x.sent + x.received),
                    (unsigned long long)x.messages, T(x.send_s), T(x.recv_s));
    }
    fputc('\n', out);
}

/* "  Parameters: chunks=4 (--set), n=1000000, workers=2". */
static void print_params(const dr_run *run, FILE *out) {
    const dr_graph *g = run->graph;
    size_t np = dr_graph_nparams(g);
    if (np == 0)
        return;
    fputs("  Parameters: ", out);
    for (size_t i = 0; i < np; i++) {
        fputs(i ? ", " : "", out);
        put_safe(out, dr_graph_param_name(g, i));
        fprintf(out, "=%lld%s", (long long)dr_graph_param_value(g, i),
                run->param_set != NULL && run->param_set[i] ? " (--set)" : "");
    }
    fputc('\n', out);
}

/* The text summary of a run whose metrics are *mp (left to the caller). */
static void print_summary(const dr_run *run, const metrics *mp, FILE *out) {
    metrics m = *mp;
    const dr_graph *g = run->graph;
    size_t n = dr_graph_ntasks(g);
    unsigned P = run->workers;
    fprintf(out, "%s run of '", run->simulated ? "Simulated" : "Real");
    put_safe(out, dr_graph_name(g));
    fprintf(out, "': %zu tasks on %u worker%s, policy %s%s\n", n, P,
            P == 1 ? "" : "s", dr_policy_name(run->opts.policy),
            run->interrupted ? " (interrupted)" : "");
    print_params(run, out);
    print_executor(run, out);
    if (oversubscribed(run, &m))
        fprintf(out,
                "Note: %u workers on %u cores: %zu of the %zu tasks burn CPU "
                "in this process (spin, pi, C functions); they share cores, "
                "so their times grow and their speed-up is capped at %u.\n",
                P, run->cores, m.cpu_tasks, n, run->cores);
    if (run->simulated && run->tasks_without_cost > 0)
        fprintf(out,
                "Note: %zu of the %zu tasks %s no cost; each was simulated as "
                "taking 1 s.  Give them costs, or simulate with --costs "
                "TRACE.json from a real run.\n",
                run->tasks_without_cost, n,
                run->tasks_without_cost == 1 ? "has" : "have");
    if (run->busy)
        fprintf(out,
                "Note: the machine was busy during this run (%s): the "
                "durations include waiting for the cores.\n",
                run->busy_why);
    if (run->costs_busy)
        fprintf(out,
                "Note: the durations replayed from %s were measured on a "
                "busy machine (its trace says so): measure again on an idle "
                "machine.\n",
                run->opts.costs_trace);
    if (run->interrupted)
        fprintf(out, "Interrupted: the figures below cover only the tasks "
                     "that finished before the signal.\n");
    fprintf(out, "  Tasks: %zu succeeded, %zu failed, ", m.succeeded, m.failed);
    if (run->interrupted || m.interrupted > 0)
        fprintf(out, "%zu interrupted, ", m.interrupted);
    fprintf(out, "%zu skipped, %zu not run\n", m.skipped, m.not_run);
    if (m.cached > 0) {
        fprintf(out,
                "  %zu task%s cached: not run, %s recorded result%s reused "
                "(--resume)\n",
                m.cached, m.cached == 1 ? "" : "s",
                m.cached == 1 ? "its" : "their", m.cached == 1 ? "" : "s");
        print_keys(run, out, DR_STATE_CACHED, 10);
    }
    if (run->nattempts == 0 && m.cached > 0) {
        /* Every figure below is of the attempts, and there are none: a
         * table of idle workers would only say that nothing ran. */
        fprintf(out,
                "  Nothing ran (makespan %s): no durations, critical path, "
                "parallelism or worker figures to report.\n",
                T(m.makespan));
        goto lists;
    }
    fprintf(out,
            "  Makespan %s: %s from the start of the run to the end of "
            "its last task.\n",
            T(m.makespan), run->simulated ? "virtual time" : "wall time");
    fprintf(out,
            "  Work T1 %s: the sum of all successful task durations "
            "(time on one worker)%s.\n",
            T(m.work), m.cached > 0 ? "; cached tasks add nothing" : "");
    fprintf(out,
            "  Span T∞ %s: the longest chain of dependent tasks by "
            "%s durations (time on unlimited workers).\n",
            T(m.span), run->simulated ? "simulated" : "measured");
    if (m.work <= 0)
        /* Nothing measurable finished (an interrupted run, or only
         * zero-length tasks): ratios of zeros would only mislead. */
        fprintf(out, "  (No task took measurable time: no critical path, "
                     "parallelism or bounds.)\n");

    else
        print_critical_path(run, &m, out);
    if (m.makespan > 0)
        print_chain(run, &m, out);
    if (m.work <= 0)
        goto after_bounds;
    fprintf(out,
            "  Parallelism T1/T∞ %.2f: the most workers this graph can "
            "keep busy on average.\n",
            m.parallelism);
    fprintf(out,
            "  Lower bound %s = max(T∞, T1/P): no schedule on %u "
            "worker%s is shorter; makespan / bound = %.3f.\n",
            T(m.lower_bound), P, P == 1 ? "" : "s", m.over_bound);
after_bounds:
    fprintf(out,
            "  Utilisation %.0f%%: the share of worker time spent running "
            "attempts, failed ones included, busy / (P x makespan).\n",
            100 * m.utilization);
    if (m.lost > 0)
        fprintf(out,
                "  Useful %.0f%%: successful attempts only, T1 / (P x "
                "makespan); %s of busy worker time went to attempts that "
                "failed, timed out or were interrupted.\n",
                100 * m.useful_utilization, T(m.lost));
    fprintf(out,
            "  Running tasks: at most %zu at once, %.2f on average "
            "(observed degree of parallelism).\n",
            m.max_running, m.avg_running);
    fprintf(out,
            "  Idle while work waited %s: worker time during which a worker "
            "was free and a task ready (%s, in worker-seconds).\n",
            T(m.ready_while_idle),
            oversubscribed(run, &m)
                ? "more workers than cores: mostly a woken worker waiting "
                  "for a core, not scheduling overhead"
                : "scheduling overhead");
    fprintf(out, "  Ready-to-start latency: mean %s, median %s, max %s.\n",
            T(m.lat_mean), T(m.lat_median), T(m.lat_max));
    /* A simulation has the overhead it was given (--overhead), a real run
     * the gaps it measured; too few gaps are no ground for a verdict (one
     * delay of the OS in a dozen tasks looks like a huge overhead). */
    double ov = run->simulated ? run->opts.sim_overhead : m.dispatch_mean;
    int judged = run->simulated || m.dispatches >= DR_GRAIN_MIN_GAPS;
    if (run->simulated && ov > 0)
        fprintf(out,
                "  Overhead per task %s (--overhead): each simulated task "
                "holds its worker this long before its body, counted as "
                "overhead, not work; the median task took %s.\n",
                T(ov), T(m.task_median));
    else if (!run->simulated && m.dispatches > 0)
        fprintf(out,
                "  Overhead per task %s: a worker's time from the end of one "
                "task to the start of the next, already ready (mean of %zu%s); "
                "the median task took %s.\n",
                T(ov), m.dispatches,
                judged ? "" : ": too few to judge the grain by",
                T(m.task_median));
    if (judged && ov > 0 && ov >= DR_GRAIN_OVERHEAD_SHARE * m.task_median) {
        char share[48] = "longer than";
        if (m.task_median > 0)
            snprintf(share, sizeof(share), "%.0f%% of",
                     100 * ov / m.task_median);
        fprintf(out,
                "  Tasks too fine-grained: the overhead per task is %s "
                "the median task; make fewer, larger tasks.\n",
                share);
    }
    fprintf(out, "  Peak live results: %zu", m.peak_live);
    if (run->peak_live_bytes)
        fprintf(out, " (%zu bytes in memory)", run->peak_live_bytes);
    fprintf(out, ": most task results held at once for their dependents "
                 "(or kept to the end).\n");

    double tails = 0;
    for (unsigned w = 0; w < P; w++)
        tails += until_end(m.makespan, m.w_last[w]);
    fprintf(out,
            "  Idle tail %s in all: worker time from each worker's last "
            "task to the end (what an elastic pool could release).\n",
            T(tails));
    unsigned shown = P <= 32 ? P : 16;
    fprintf(out, "\n  %-7s %8s %11s %11s %11s %11s\n", "worker", "attempts",
            "busy", "useful", "idle", "idle tail");
    for (unsigned w = 0; w < shown; w++)
        fprintf(out, "  %-7u %8u %11s %11s %11s %11s\n", w, m.w_tasks[w],
                T(m.w_busy[w]), T(m.w_useful[w]),
                T(until_end(m.makespan, m.w_busy[w])),
                T(until_end(m.makespan, m.w_last[w])));
    if (shown < P)
        fprintf(out, "  ... %u more workers (see summary.json)\n", P - shown);
    print_ranks(run, &m, out);

lists:
    if (m.failed) {
        fprintf(out, "\nFailed tasks:\n");
        for (size_t i = 0; i < run->nfailures; i++) {
            const dr__failure *f = &run->failures[i];
            fputs("  ", out);
            put_key(out, run, f->task);
            fputs(": ", out);
            /* Made safe when it was recorded (run.c): not twice. */
            fputs(f->reason != NULL ? f->reason : "", out);
            fprintf(out, " (after %u attempt%s)\n", f->attempts,
                    f->attempts == 1 ? "" : "s");
            if (f->stderr_tail != NULL && f->stderr_tail[0]) {
                const char *s = f->stderr_tail;
                while (*s) {
                    const char *nl = strchr(s, '\n');
                    size_t len = nl ? (size_t)(nl - s) : strlen(s);
                    fprintf(out, "    | %.*s\n", (int)len, s);
                    s += len + (nl != NULL);
                }
            }
        }
    }
    if (m.skipped) {
        fprintf(out, "Skipped (a dependency failed): %zu task%s\n", m.skipped,
                m.skipped == 1 ? "" : "s");
        print_keys(run, out, DR_STATE_SKIPPED, 10);
    }
    if (m.interrupted) {
        fprintf(out,
                "Interrupted (running when the run was stopped): %zu "
                "task%s\n",
                m.interrupted, m.interrupted == 1 ? "" : "s");
        print_keys(run, out, DR_STATE_INTERRUPTED, 10);
    }
    if (m.not_run) {
        fprintf(out, "Not run (never started): %zu task%s\n", m.not_run,
                m.not_run == 1 ? "" : "s");
        print_keys(run, out, DR_STATE_PENDING, 10);
    }
}

json_t *dr_run_summary_json(const dr_run *run) {
    metrics m;
    if (compute(run, &m) != 0)
        return NULL;
    return summary_json(run, &m);
}

void dr_run_print_summary(const dr_run *run, FILE *out) {
    metrics m;
    if (compute(run, &m) != 0) {
        fprintf(out, "(summary unavailable: out of memory)\n");
        return;
    }
    print_summary(run, &m, out);
    metrics_free(&m);
}

json_t *dr__run_summary_print(const dr_run *run, FILE *out) {
    metrics m;
    if (compute(run, &m) != 0)
        return NULL;
    if (out != NULL)
        print_summary(run, &m, out);
    return summary_json(run, &m);
}
