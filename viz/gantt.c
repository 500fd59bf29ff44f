/*
 * The Gantt chart: SVG text written here, not by Graphviz, because a
 * timeline is a plain grid of rectangles and the interesting work is keeping
 * it readable and small at any size.
 *
 * Geometry: one row per worker, time on the x axis from 0 to the makespan.
 * Each row starts with a swatch of the worker's colour (dr_viz_palette, the
 * colour its tasks have in the DAG diagram).  Bars are coloured by worker,
 * or (--color group) by structural group (the trace's `cat`) from a
 * second, disjoint palette of light pastels (dr_viz_prefix_palette), with
 * the DAG's group colours (dr__vcolours_build), so that no colour in a
 * report means a worker in one picture and a group in another.  Failed
 * attempts are hatched red, interrupted ones (running when a signal
 * stopped the run) hatched amber, each worker's idle tail (its last end to
 * the makespan) is shaded.  The chain of attempts that set the makespan
 * (summary.json "makespan_chain", else the trace's otherData copy of it)
 * is outlined, and consecutive steps are
 * linked by an arc: solid when the step waited for a dependency, dashed
 * when it waited for a worker.  A summary without a chain (older versions)
 * gets the critical path's tasks outlined instead.  Legend entries appear
 * only for what is drawn.  Ticks follow 1-2-5 steps in s, ms or µs.
 *
 * Scale: bars narrower than `minw` pixels that follow each other on a row
 * with no visible gap are merged into one rectangle titled "N tasks".  minw
 * starts at one pixel and doubles until the chart has at most MAX_RECTS
 * rectangles, so 100,000 attempts give a file of a few hundred kilobytes
 * while idle gaps of a pixel or more stay visible.  Above MAX_ROWS workers,
 * each row stands for a band of consecutive workers, BAND_ROWS rows in all
 * (rows are two pixels high by then, and a reader cannot tell worker 4,017
 * from 4,018 anyway), so the output stays bounded by MAX_ROWS rows and
 * MAX_RECTS-ish bars whatever the worker count.
 *
 * Below the chart, the number of running tasks over time (profile.c); the
 * time axis and the SVG header they share are in timeline.c.
 */
#include "graph_internal.h"
#include "timeline_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECTS 12000
#define MAX_ROWS 1000
#define BAND_ROWS 500
#define MAX_LINKS 1000
#define DR__VFAIL_RED "#D62728"
#define INTR_AMBER "#B8860B"
#define DR__VCHAIN_INK "#1B1B1B"
#define BAR_EDGE "#FFFFFF" /* the outline that keeps touching bars apart */
#define DR__VFONT "font-family=\"Helvetica, Arial, sans-serif\""

void dr_gantt_options_init(dr_gantt_options *o) {
    memset(o, 0, sizeof(*o));
    o->width = 1200;
    o->profile = 1;
    o->legend = 1;
}

/* --------------------------------------------------------- critical path */

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct cpset {
    const char **names;
    size_t n;
} cpset;

static void cpset_build(cpset *s, const json_t *summary) {
    memset(s, 0, sizeof(*s));
    json_t *cp = json_object_get(summary, "critical_path");
    size_t n = json_array_size(cp);
    if (n == 0 || (s->names = malloc(n * sizeof(*s->names))) == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(cp, i)))
            s->names[s->n++] = json_string_value(json_array_get(cp, i));
    qsort(s->names, s->n, sizeof(*s->names), str_cmp);
}

static int cpset_has(const cpset *s, const char *task) {
    return s->n > 0 &&
           bsearch(&task, s->names, s->n, sizeof(*s->names), str_cmp) != NULL;
}

/* ------------------------------------------------------ makespan chain */

/* The steps of summary.json's makespan_chain matched to the trace's
 * attempts: the same task on the same worker, the attempt whose start is
 * nearest the step's (a task retried on one worker has several).  Steps
 * that match no attempt (a summary of another run) are left out, and so
 * are the links on either side of them. */
typedef struct chain {
    size_t *at;         /* attempt index per step, SIZE_MAX: unmatched */
    dr__vvia *via;      /* per step */
    size_t n;           /* steps */
    unsigned char *has; /* per attempt: 1 when a step of the chain */
    size_t matched;
    int vias; /* bit set of the vias of drawn links */
} chain;

/* The attempts sorted by (task, worker, start): a step finds its attempt
 * by two binary searches, so matching a chain of S steps to A attempts costs
 * O((A + S) log A) even when one task was retried 10,000 times on one
 * worker. */
static int by_task_worker_start(const void *pa, const void *pb) {
    const dr__vattempt *a = *(const dr__vattempt *const *)pa,
                       *b = *(const dr__vattempt *const *)pb;
    int c = strcmp(a->task, b->task);
    if (c != 0)
        return c;
    if (a->worker != b->worker)
        return a->worker < b->worker ? -1 : 1;
    return a->ts < b->ts ? -1 : a->ts > b->ts ? 1 : 0;
}

/* Attempts looked at while matching chain steps, since the process started:
 * tests check that it grows as S log A, not S x A (a task retried 10,000
 * times made the matching take 10^8 comparisons).  Viz runs on one
 * thread. */
static size_t chain_probes;

size_t dr__vgantt_chain_probes(void) { return chain_probes; }

/* The first of by[0..n) not before (task, worker, ts). */
static size_t lower_bound(const dr__vattempt *const *by, size_t n,
                          const char *task, int worker, double ts) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dr__vattempt *m = by[mid];
        chain_probes++;
        int c = strcmp(m->task, task);
        int before = c < 0 || (c == 0 && (m->worker < worker ||
                                          (m->worker == worker && m->ts < ts)));
        if (before)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The attempt of (task, worker) whose start is nearest ts, or SIZE_MAX. */
static size_t nearest_attempt(const dr__vattempt *const *by, size_t n,
                              const char *task, int worker, double ts) {
    size_t i = lower_bound(by, n, task, worker, ts);
    size_t best = SIZE_MAX;
    double dbest = INFINITY;
    /* Only by[i] (the first at or after ts) and by[i-1] (the last before)
     * can be nearest. */
    for (size_t k = i > 0 ? i - 1 : i; k <= i && k < n; k++) {
        const dr__vattempt *a = by[k];
        chain_probes++;
        if (a->worker != worker || strcmp(a->task, task) != 0)
            continue;
        double d = fabs(a->ts - ts);
        if (d < dbest) {
            dbest = d;
            best = k;
        }
    }
    return best;
}

/* The summary's chain, else the trace's own (otherData.makespan_chain), so
 * that a chart drawn from the trace alone outlines it too.  Returns 0, or
 * -1 when out of memory. */
static int chain_build(chain *c, const dr__vtrace *t, const json_t *summary) {
    memset(c, 0, sizeof(*c));
    const json_t *steps = json_object_get(summary, "makespan_chain");
    if (!json_is_array(steps))
        steps = t->chain;
    size_t n = json_array_size(steps);
    if (n == 0 || t->n == 0)
        return 0;
    const dr__vattempt **by = malloc(t->n * sizeof(*by));
    c->at = malloc(n * sizeof(*c->at));
    c->via = malloc(n * sizeof(*c->via));
    c->has = calloc(t->n, 1);
    if (by == NULL || c->at == NULL || c->via == NULL || c->has == NULL) {
        free(by);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++)
        by[i] = &t->a[i];
    qsort(by, t->n, sizeof(*by), by_task_worker_start);
    for (size_t i = 0; i < n; i++) {
        dr__vstep st;
        c->at[c->n] = SIZE_MAX;
        c->via[c->n] = DR__VVIA_START;
        if (dr__vstep_read(json_array_get(steps, i), &st) != NULL) {
            c->n++;
            continue;
        }
        c->via[c->n] = st.via;
        size_t k =
            nearest_attempt(by, t->n, st.task, st.worker, st.start * 1e6);
        if (k != SIZE_MAX)
            c->at[c->n] = (size_t)(by[k] - t->a);
        if (c->at[c->n] != SIZE_MAX) {
            c->has[c->at[c->n]] = 1;
            c->matched++;
        }
        c->n++;
    }
    free(by);
    return 0;
}

static void chain_free(chain *c) {
    free(c->at);
    free(c->via);
    free(c->has);
    memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ bars */

typedef struct chart {
    const dr__vtrace *t;
    dr__vaxis ax;
    double top, row_h, bar_h;
    int per_row; /* workers a row stands for: 1, or the band's size */
    int rows;
    dr__vcolours cats; /* group colours */
    int by_group;      /* bars by group (else by worker) */
    cpset cp;
    chain ch;
    /* What is drawn, for the legend. */
    int any_failed, any_interrupted, any_tail, any_cp, any_moved;
    /* --executor mpi (otherData.ranks, rows of one worker): rows grouped by
     * host, each group under a heading row.  NULL otherwise, and then row
     * r is worker r (or band r). */
    struct mpi_rows *mpi;
} chart;

/* The rows of an MPI run: per row its worker (-1: a host's heading) and
 * that worker's rank (NULL: a worker of no rank); per heading its host
 * group. */
typedef struct host_group {
    const char *host; /* "" for the workers of no rank */
    int ranks, workers, rank_lo, rank_hi;
} host_group;

typedef struct mpi_rows {
    int *worker;            /* per row */
    const dr__vrank **rank; /* per row */
    int *group;             /* per row: its group */
    int *row_of;            /* per worker */
    host_group *groups;
    int ngroups, rows, nhosts;
} mpi_rows;

/* A bar's colour: its worker's, as the DAG colours the task, or with
 * --color group its group's (the trace's cat), as the DAG does then. */
static const char *bar_colour(const chart *c, const dr__vattempt *a) {
    if (!c->by_group)
        return dr_viz_palette((size_t)a->worker);
    long i = dr__vcolours_index(&c->cats, dr__vattempt_group(a));
    return dr_viz_prefix_palette(i >= 0 ? (size_t)i : 0);
}

static int row_first(const chart *c, int row) { return row * c->per_row; }

static int row_last(const chart *c, int row) {
    long last = (long)(row + 1) * c->per_row - 1;
    return last < c->t->workers - 1 ? (int)last : c->t->workers - 1;
}

/* 1 when row is a host's heading (MPI runs), which has no attempts. */
static int is_heading(const chart *c, int row) {
    return c->mpi != NULL && c->mpi->worker[row] < 0;
}

/* The worker of a row of one worker. */
static int row_worker(const chart *c, int row) {
    return c->mpi != NULL ? c->mpi->worker[row] : row;
}

/* "worker 3" or "workers 300–399"; in an MPI run "rank 2:1" (rank 2's
 * slot 1) and "host NAME" for a heading. */
static void row_name(char *buf, size_t len, const chart *c, int row) {
    if (c->mpi != NULL) {
        const mpi_rows *m = c->mpi;
        const dr__vrank *k = m->rank[row];
        if (m->worker[row] < 0)
            snprintf(buf, len, "host %s",
                     m->groups[m->group[row]].host[0]
                         ? m->groups[m->group[row]].host
                         : "unknown");
        else if (k != NULL)
            snprintf(buf, len, "rank %d:%d", k->rank,
                     m->worker[row] - k->first);
        else
            snprintf(buf, len, "worker %d", m->worker[row]);
    } else if (c->per_row == 1)
        snprintf(buf, len, "worker %d", row);
    else
        snprintf(buf, len, "workers %d\xE2\x80\x93%d", row_first(c, row),
                 row_last(c, row));
}

static double row_y(const chart *c, int row) {
    return c->top + row * c->row_h + (c->row_h - c->bar_h) / 2;
}

static void title_attempt(dr__buf *b, const chart *c, const dr__vattempt *a) {
    char s[48], e[48], d[48], w[48];
    dr__vfmt_time(s, sizeof(s), a->ts);
    dr__vfmt_time(e, sizeof(e), a->ts + a->dur);
    dr__vfmt_time(d, sizeof(d), a->dur);
    dr__vfmt_time(w, sizeof(w), a->ts - a->ready);
    dr__buf_puts(b, "<title>");
    dr__vbuf_xml(b, a->task);
    if (a->attempt > 1)
        dr__buf_printf(b, " (attempt %d)", a->attempt);
    dr__buf_printf(b, "\nworker %d", a->worker);
    const dr__vrank *k =
        c->mpi != NULL ? c->mpi->rank[c->mpi->row_of[a->worker]] : NULL;
    if (k != NULL) {
        dr__buf_printf(b, " (rank %d, slot %d, host ", k->rank,
                       a->worker - k->first);
        dr__vbuf_xml(b, k->host);
        dr__buf_puts(b, ")");
    }
    dr__buf_printf(b, "\nstart %s\nend %s\nduration %s\nwait %s\nstatus %s", s,
                   e, d, w, dr__vstatus_name(a->status));
    if (a->status == DR__V_INTERRUPTED)
        dr__buf_puts(b, " (running when the run was stopped)");
    if (a->send > 0 || a->bytes_sent > 0) {
        dr__vfmt_time(d, sizeof(d), a->send);
        dr__buf_printf(b, "\nsending inputs %s (%.0f bytes)", d, a->bytes_sent);
    }
    if (a->recv > 0 || a->bytes_received > 0) {
        dr__vfmt_time(d, sizeof(d), a->recv);
        dr__buf_printf(b, "\nreceiving the result %s (%.0f bytes)", d,
                       a->bytes_received);
    }
    if (a->error != NULL) {
        dr__buf_puts(b, "\n");
        dr__vbuf_xml(b, a->error);
    }
    dr__buf_puts(b, "</title>");
}

static int is_failure(const dr__vattempt *a) {
    return a->status == DR__V_FAILED || a->status == DR__V_TIMEOUT;
}

/* The time an attempt spent moving data (worker processes: sending the
 * task message with its inputs, receiving the result) as darker slivers
 * over its bar, at its start and its end, each when at least a pixel wide.
 * Only unmerged bars get them: a merged bar is narrower than a few pixels
 * in all, so this adds at most two rectangles per drawn bar, and none to a
 * threads trace. */
/* Darker whatever the bar's colour: black at 42% over it. */
#define TRANSFER_PAINT "fill=\"#000000\" fill-opacity=\"0.42\""
static void draw_transfer(const chart *c, dr__buf *b, const dr__vattempt *a,
                          double x0, double x1, double y) {
    if (a->send <= 0 && a->recv <= 0)
        return;
    double ws = fmin(dr__vaxis_x(&c->ax, a->ts + a->send) - x0, x1 - x0);
    double wr = fmin(x1 - dr__vaxis_x(&c->ax, a->ts + a->dur - a->recv),
                     x1 - x0 - fmax(ws, 0));
    if (ws >= 1)
        dr__buf_printf(b,
                       "<rect class=\"send\" x=\"%.2f\" y=\"%.1f\" "
                       "width=\"%.2f\" height=\"%.1f\" " TRANSFER_PAINT
                       " pointer-events=\"none\"/>\n",
                       x0, y, ws, c->bar_h);
    if (wr >= 1)
        dr__buf_printf(b,
                       "<rect class=\"recv\" x=\"%.2f\" y=\"%.1f\" "
                       "width=\"%.2f\" height=\"%.1f\" " TRANSFER_PAINT
                       " pointer-events=\"none\"/>\n",
                       x1 - wr, y, wr, c->bar_h);
}

/* Draws (or, with b == NULL, counts) the bars of one row; a[0..n) are the
 * row's attempts by start time. */
static size_t draw_row(const chart *c, dr__buf *b, const dr__vattempt *a,
                       size_t n, double minw) {
    size_t rects = 0;
    double y = row_y(c, a[0].row);
    for (size_t i = 0; i < n;) {
        double x0 = dr__vaxis_x(&c->ax, a[i].ts),
               x1 = dr__vaxis_x(&c->ax, a[i].ts + a[i].dur);
        size_t j = i + 1;
        if (x1 - x0 < minw) {
            /* Merge the narrow bars that follow with no visible gap. */
            while (j < n) {
                double nx0 = dr__vaxis_x(&c->ax, a[j].ts),
                       nx1 = dr__vaxis_x(&c->ax, a[j].ts + a[j].dur);
                if (nx1 - nx0 >= minw || nx0 - x1 >= 1.0)
                    break;
                if (nx1 > x1)
                    x1 = nx1;
                j++;
            }
        }
        rects++;
        if (b != NULL) {
            int failed = 0, intr = 0, cp = 0, in_chain = 0, mixed = 0;
            const char *col = bar_colour(c, &a[i]);
            double busy = 0;
            for (size_t k = i; k < j; k++) {
                failed |= is_failure(&a[k]);
                intr |= a[k].status == DR__V_INTERRUPTED;
                if (c->ch.has != NULL)
                    in_chain |= c->ch.has[&a[k] - c->t->a];
                else
                    cp |=
                        a[k].status == DR__V_OK && cpset_has(&c->cp, a[k].task);
                mixed |= bar_colour(c, &a[k]) != col;
                busy += a[k].dur;
            }
            double w = x1 - x0 < 0.6 ? 0.6 : x1 - x0;
            /* A merged bar of tasks that kept its worker busy only part of
             * the time is shaded by that share: drawn solid, a run of short
             * tasks at 10% use looked fully busy above a profile at 0.1. */
            double from = a[i].ts, to = a[j - 1].ts + a[j - 1].dur;
            double share = j - i > 1 && to > from ? busy / (to - from) : 1;
            char opacity[40] = "";
            if (share < 0.95)
                snprintf(opacity, sizeof(opacity), " fill-opacity=\"%.2f\"",
                         0.2 + 0.8 * (share > 0 ? share : 0));
            /* A failure inside a merged bar only outlines it red: hatching
             * the whole run of thousands of tasks would overstate it. */
            const char *fill = failed && j - i == 1 ? "url(#dr-hatch)"
                               : intr && j - i == 1 ? "url(#dr-intr)"
                               : mixed              ? "#8C96A0"
                                                    : col;
            /* Every bar has an outline, so that two bars that touch on a
             * worker (back to back, same colour: common with --color
             * group) stay two.  A plain bar's is a thin white line on the
             * bar's own edge, which moves no time: narrower bars get a
             * thinner one, so that it never hides them. */
            const char *stroke = in_chain || cp ? DR__VCHAIN_INK
                                 : failed       ? DR__VFAIL_RED
                                 : intr         ? INTR_AMBER
                                                : BAR_EDGE;
            char sw[64];
            if (in_chain || cp || intr || failed)
                snprintf(sw, sizeof(sw), "%s",
                         in_chain ? " stroke-width=\"2.2\""
                         : cp     ? " stroke-width=\"1.8\""
                         : intr   ? " stroke-width=\"1\" "
                                    "stroke-dasharray=\"3 2\""
                                  : " stroke-width=\"1\"");
            else
                snprintf(sw, sizeof(sw), " stroke-width=\"%.2f\"",
                         w >= 4 ? 1.0 : w / 4);
            dr__buf_printf(b,
                           "<rect class=\"bar%s%s%s%s\" x=\"%.2f\" "
                           "y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"%s "
                           "fill=\"%s\"%s stroke=\"%s\"%s>",
                           j - i > 1 ? " merged" : "", cp ? " cp" : "",
                           in_chain ? " chain" : "",
                           failed ? " failed"
                           : intr ? " interrupted"
                                  : "",
                           x0, y, w, c->bar_h, w > 5 ? " rx=\"2\"" : "", fill,
                           opacity, stroke, sw);
            if (j - i == 1) {
                title_attempt(b, c, &a[i]);
            } else {
                char s[48], e[48], d[48], who[64];
                dr__vfmt_time(s, sizeof(s), a[i].ts);
                dr__vfmt_time(e, sizeof(e), a[j - 1].ts + a[j - 1].dur);
                dr__vfmt_time(d, sizeof(d), busy);
                row_name(who, sizeof(who), c, a[i].row);
                dr__buf_printf(b,
                               "<title>%zu tasks\n%s\nfrom %s to %s\n"
                               "busy %s (%.0f%% of that time)%s%s%s</title>",
                               j - i, who, s, e, d, 100 * share,
                               failed ? "\nsome failed" : "",
                               intr ? "\nsome interrupted" : "",
                               in_chain ? "\nsome are on the chain that set "
                                          "the makespan"
                                        : "");
            }
            dr__buf_puts(b, "</rect>\n");
            if (j - i == 1)
                draw_transfer(c, b, &a[i], x0, x1, y);
            /* Labels inside wide bars help small charts. */
            if (j - i == 1 && w > 7.0 * (double)strlen(a[i].task) + 8 &&
                c->bar_h >= 14) {
                dr__buf_printf(b,
                               "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                               "fill=\"%s\" pointer-events=\"none\">",
                               x0 + 4, y + c->bar_h / 2 + 4,
                               failed ? "#7A1010"
                               : intr ? "#5C4300"
                                      : dr__vtext_on(fill, "#1B1F23"));
                dr__vbuf_xml(b, a[i].task);
                dr__buf_puts(b, "</text>\n");
            }
        }
        i = j;
    }
    return rects;
}

/* Arcs between consecutive steps of the makespan chain, from the end of one
 * bar to the start of the next, bulging above the rows: solid when the step
 * waited for a dependency, dashed when it waited for a worker (then the two
 * bars touch on one row, and the arc straddles where they meet). */
static void draw_links(const chart *c, dr__buf *b) {
    const chain *ch = &c->ch;
    if (ch->n < 2 || ch->n > MAX_LINKS)
        return;
    dr__buf_puts(
        b, "<g class=\"chain-links\" fill=\"none\" stroke=\"" DR__VCHAIN_INK
           "\" stroke-width=\"1.6\">\n");
    for (size_t i = 1; i < ch->n; i++) {
        if (ch->at[i - 1] == SIZE_MAX || ch->at[i] == SIZE_MAX)
            continue;
        const dr__vattempt *p = &c->t->a[ch->at[i - 1]],
                           *q = &c->t->a[ch->at[i]];
        double px0 = dr__vaxis_x(&c->ax, p->ts),
               px1 = dr__vaxis_x(&c->ax, p->ts + p->dur);
        double qx0 = dr__vaxis_x(&c->ax, q->ts),
               qx1 = dr__vaxis_x(&c->ax, q->ts + q->dur);
        /* From inside the end of one bar to inside the start of the next,
         * so that even bars that touch get an arc as wide as they allow. */
        double x1 = px1 - fmin(36, (px1 - px0) / 3),
               x2 = qx0 + fmin(36, (qx1 - qx0) / 3);
        double y1 = row_y(c, p->row), y2 = row_y(c, q->row);
        double lift = fmax(10, 0.9 * c->row_h);
        int worker = ch->via[i] == DR__VVIA_WORKER;
        dr__buf_printf(b,
                       "<path class=\"link %s\" d=\"M%.2f,%.1f Q%.2f,%.1f "
                       "%.2f,%.1f\"%s marker-end=\"url(#dr-arrow)\">"
                       "<title>",
                       worker                         ? "worker"
                       : ch->via[i] == DR__VVIA_RETRY ? "retry"
                                                      : "dependency",
                       x1, y1, (x1 + x2) / 2, fmin(y1, y2) - lift, x2, y2,
                       worker ? " stroke-dasharray=\"4 3\"" : "");
        dr__vbuf_xml(b, q->task);
        if (ch->via[i] == DR__VVIA_RETRY) {
            /* A retry waits for the attempt it repeats, not for a
             * dependency. */
            dr__buf_printf(b, " (attempt %d) retried the failed attempt %d",
                           q->attempt, p->attempt);
        } else {
            dr__buf_puts(b, worker ? " waited for a worker: " : " waited for ");
            dr__vbuf_xml(b, p->task);
            dr__buf_puts(b, worker ? " freed it" : ", a dependency, to end");
        }
        dr__buf_puts(b, "</title></path>\n");
    }
    dr__buf_puts(b, "</g>\n");
}

/* ---------------------------------------------------------------- legend */

typedef enum swatch {
    SW_BOX = 0,     /* a filled box */
    SW_BOX_DASHED,  /* a filled box with a dashed outline */
    SW_LINE,        /* a link, solid */
    SW_LINE_DASHED, /* a link, dashed */
    SW_SLIVERS      /* a grey box with darker ends (data moved) */
} swatch;

static double legend_width(const char *text) {
    return 19 + 7.2 * (double)strlen(text) + 18;
}

static double legend_item(dr__buf *b, double x, double y, swatch kind,
                          const char *fill, const char *stroke,
                          const char *text) {
    if (kind == SW_LINE || kind == SW_LINE_DASHED)
        dr__buf_printf(b,
                       "<path d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\" "
                       "fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>",
                       x, y - 2, x + 7, y - 12, x + 14, y - 2, stroke,
                       kind == SW_LINE_DASHED ? " stroke-dasharray=\"4 3\""
                                              : "");
    else if (kind == SW_SLIVERS)
        dr__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" "
                       "height=\"12\" rx=\"2\" fill=\"%s\"/>"
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" "
                       "height=\"12\" " TRANSFER_PAINT "/>"
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" "
                       "height=\"12\" " TRANSFER_PAINT "/>",
                       x, y - 10, fill, x, y - 10, x + 11, y - 10);
    else
        dr__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" "
                       "height=\"12\" rx=\"2\" fill=\"%s\" stroke=\"%s\" "
                       "stroke-width=\"1.5\"%s/>",
                       x, y - 10, fill, stroke,
                       kind == SW_BOX_DASHED ? " stroke-dasharray=\"3 2\""
                                             : "");
    dr__buf_printf(b,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                   "fill=\"#2B333B\">",
                   x + 19, y);
    dr__vbuf_xml(b, text);
    dr__buf_puts(b, "</text>\n");
    return x + legend_width(text);
}

/* Returns the height used.  Only what the chart shows gets an entry. */
static double draw_legend(dr__buf *b, const chart *c, double x0, double y,
                          double right) {
    double x = x0, y0 = y;
    /* What colour means: the worker (its row says which) or the group. */
    size_t ncolours = c->by_group ? c->cats.n : 0;
    size_t shown = ncolours < 12 ? ncolours : 12;
    const char *head = c->by_group ? "Colour: group"
                                   : "Colour: the worker that ran it "
                                     "(as in the task graph)";
    dr__buf_printf(b,
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                   "font-weight=\"bold\" fill=\"#2B333B\">%s</text>\n",
                   x, y, head);
    x += 7.0 * (double)strlen(head) + 14;
    char more[64], chain_text[96];
    if (c->ch.matched > 0)
        snprintf(chain_text, sizeof(chain_text),
                 "chain that set the makespan (%zu step%s)", c->ch.matched,
                 c->ch.matched == 1 ? "" : "s");
    enum { N_STATUS = 8 };
    for (size_t i = 0; i < shown + 1 + N_STATUS; i++) {
        const char *fill = "#FFFFFF", *stroke = "none", *text;
        swatch kind = SW_BOX;
        if (i < shown) {
            fill = dr_viz_prefix_palette(c->cats.by_first[i]->colour);
            text = c->cats.by_first[i]->name;
        } else if (i == shown) {
            if (ncolours <= shown)
                continue;
            snprintf(more, sizeof(more), "+%zu more groups", ncolours - shown);
            fill = "#8C96A0";
            text = more;
        } else {
            switch (i - shown - 1) {
            case 0:
                if (!c->any_failed)
                    continue;
                fill = "url(#dr-hatch)";
                stroke = DR__VFAIL_RED;
                text = "failed";
                break;
            case 1:
                if (!c->any_interrupted)
                    continue;
                fill = "url(#dr-intr)";
                stroke = INTR_AMBER;
                kind = SW_BOX_DASHED;
                text = "interrupted";
                break;
            case 2:
                if (!c->any_tail)
                    continue;
                fill = "url(#dr-tail)";
                text = "idle tail";
                break;
            case 3:
                if (c->ch.matched == 0)
                    continue;
                stroke = DR__VCHAIN_INK;
                text = chain_text;
                break;
            case 4:
                if (!(c->ch.vias &
                      ((1 << DR__VVIA_DEPENDENCY) | (1 << DR__VVIA_RETRY))))
                    continue;
                stroke = DR__VCHAIN_INK;
                kind = SW_LINE;
                text = !(c->ch.vias & (1 << DR__VVIA_RETRY))
                           ? "waited for a dependency"
                       : !(c->ch.vias & (1 << DR__VVIA_DEPENDENCY))
                           ? "waited for the failed attempt it retries"
                           : "waited for a dependency, or retried a failed "
                             "attempt";
                break;
            case 5:
                if (!(c->ch.vias & (1 << DR__VVIA_WORKER)))
                    continue;
                stroke = DR__VCHAIN_INK;
                kind = SW_LINE_DASHED;
                text = "waited for a worker";
                break;
            case 6:
                if (!c->any_cp)
                    continue;
                stroke = DR__VCHAIN_INK;
                text = "critical path";
                break;
            case 7:
                if (!c->any_moved)
                    continue;
                fill = "#B8C0C8";
                kind = SW_SLIVERS;
                text = "sending inputs / receiving results";
                break;
            default:
                continue;
            }
        }
        if (x + legend_width(text) > right && x > x0) {
            x = x0;
            y += 20;
        }
        x = legend_item(b, x, y, kind, fill, stroke, text);
    }
    return y - y0 + 20;
}

/* --------------------------------------------------------- cached tasks */

/* Cached tasks did not run, so they are no bars of time: one line under
 * the title, with the swatch cached tasks have in the task graph (it is
 * their legend entry too, and stays when the legend is off), says how many
 * there are and which, named one by one when few and by group ("map-*
 * ×9,000") when many, as far as the line has room ("… and N more"); its
 * tooltip lists the first CACHED_TIP keys.  So the chart reads the same
 * for one cached task and for a million. */
#define CACHED_KEYS 8
#define CACHED_TIP 100

typedef struct cached_group {
    const char *name;
    size_t count, first; /* tasks; index of the first in the trace */
} cached_group;

static int by_cat(const void *pa, const void *pb) {
    const dr__vcached *a = *(const dr__vcached *const *)pa,
                      *b = *(const dr__vcached *const *)pb;
    int c = strcmp(a->cat[0] ? a->cat : a->task, b->cat[0] ? b->cat : b->task);
    return c != 0 ? c : a < b ? -1 : a > b;
}

static int by_count_desc(const void *pa, const void *pb) {
    const cached_group *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* The groups of the cached tasks, largest first (ties: first in the
 * trace); NULL when out of memory. */
static cached_group *cached_groups(const dr__vtrace *t, size_t *ngroups) {
    const dr__vcached **by = malloc(t->ncached * sizeof(*by));
    cached_group *g = malloc(t->ncached * sizeof(*g));
    if (by == NULL || g == NULL) {
        free(by), free(g);
        return NULL;
    }
    for (size_t i = 0; i < t->ncached; i++)
        by[i] = &t->cached[i];
    qsort(by, t->ncached, sizeof(*by), by_cat);
    size_t n = 0;
    for (size_t i = 0; i < t->ncached; i++) {
        const char *name = by[i]->cat[0] ? by[i]->cat : by[i]->task;
        size_t at = (size_t)(by[i] - t->cached);
        if (n > 0 && strcmp(g[n - 1].name, name) == 0) {
            g[n - 1].count++;
            continue;
        }
        g[n++] = (cached_group){name, 1, at};
    }
    free(by);
    qsort(g, n, sizeof(*g), by_count_desc);
    *ngroups = n;
    return g;
}

/* Appends an integer with thousands separators ("9,000"). */
static void put_count(dr__buf *b, size_t v) {
    char d[32];
    int len = snprintf(d, sizeof(d), "%zu", v);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            dr__buf_putn(b, ",", 1);
        dr__buf_putn(b, d + i, 1);
    }
}

/* Draws the line at baseline y from x to at most `right`; 0 or DR_ENOMEM. */
static int draw_cached_note(dr__buf *b, const dr__vtrace *t, double x, double y,
                            double right) {
    size_t n = t->ncached, ngroups = 0;
    cached_group *g = cached_groups(t, &ngroups);
    if (g == NULL)
        return DR_ENOMEM;
    /* By group when that says it shorter; else task by task. */
    int by_group = n > CACHED_KEYS && ngroups < n;
    dr__buf head = {0}, item = {0};
    put_count(&head, n);
    dr__buf_printf(&head,
                   " task%s cached: not run, %s recorded result%s reused "
                   "(--resume): ",
                   n == 1 ? "" : "s", n == 1 ? "its" : "their",
                   n == 1 ? "" : "s");
    /* Helvetica 12 averages about 6.6 px a character. */
    double room = (right - x - 19) / 6.6;
    size_t items = by_group ? ngroups : n, shown = 0;
    double used = (double)head.len;
    dr__buf list = {0};
    for (size_t i = 0; i < items; i++) {
        item.len = 0;
        if (item.s != NULL)
            item.s[0] = '\0';
        dr__buf_puts(&item, i ? ", " : "");
        if (by_group) {
            dr__vbuf_xml(&item, g[i].name);
            dr__buf_puts(&item, " \xC3\x97");
            put_count(&item, g[i].count);
        } else {
            dr__vbuf_xml(&item, t->cached[i].task);
        }
        /* Room for what follows: " … and 999,999 more groups". */
        double tail = i + 1 < items ? 26 : 0;
        if (shown > 0 && used + (double)item.len + tail > room)
            break;
        dr__buf_putn(&list, item.s, item.len);
        used += (double)item.len;
        shown++;
    }
    dr__buf_printf(b,
                   "<g class=\"cached-note\"><rect x=\"%.1f\" y=\"%.1f\" "
                   "width=\"14\" height=\"12\" rx=\"2\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"1.5\" "
                   "stroke-dasharray=\"1.5 1.5\"/><text x=\"%.1f\" "
                   "y=\"%.1f\" font-size=\"12\" fill=\"#2B333B\">",
                   x, y - 10, DR__VCACHED_FILL, DR__VCACHED_LINE, x + 19, y);
    dr__buf_putn(b, head.s, head.len);
    dr__buf_putn(b, list.s, list.len);
    if (shown < items) {
        dr__buf_puts(b, " \xE2\x80\xA6 and ");
        put_count(b, items - shown);
        dr__buf_printf(b, " more%s",
                       by_group ? (items - shown == 1 ? " group" : " groups")
                                : "");
    }
    dr__buf_puts(b, "<title>");
    for (size_t i = 0; i < n && i < CACHED_TIP; i++) {
        dr__buf_puts(b, i ? "\n" : "");
        dr__vbuf_xml(b, t->cached[i].task);
    }
    if (n > CACHED_TIP) {
        dr__buf_puts(b, "\n\xE2\x80\xA6 and ");
        put_count(b, n - CACHED_TIP);
        dr__buf_puts(b, " more");
    }
    dr__buf_puts(b, "</title></text></g>\n");
    int oom = head.oom || item.oom || list.oom;
    dr__buf_free(&head);
    dr__buf_free(&item);
    dr__buf_free(&list);
    free(g);
    return oom ? DR_ENOMEM : 0;
}

/* ---------------------------------------------------------------- chart */

static void mpi_rows_free(mpi_rows *m) {
    free(m->worker);
    free(m->rank);
    free(m->group);
    free(m->row_of);
    free(m->groups);
    memset(m, 0, sizeof(*m));
}

typedef struct rank_place {
    int key, group, rank; /* key: the lowest rank of the group */
    size_t i;             /* in t->ranks */
} rank_place;

static int by_group_rank(const void *pa, const void *pb) {
    const rank_place *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The rows of an MPI run: hosts in the order of their lowest rank, each a
 * heading row and then its ranks' slots, rank by rank; workers that no
 * rank claims (an edited trace) last, under a heading of their own.  A
 * worker claimed twice keeps its first row.  Called with at most as many
 * ranks as workers, and at most MAX_ROWS workers.  0 or DR_ENOMEM. */
static int mpi_rows_build(mpi_rows *m, const dr__vtrace *t) {
    int W = t->workers;
    size_t R = t->nranks, cap = (size_t)W + R + 1;
    memset(m, 0, sizeof(*m));
    m->worker = malloc(cap * sizeof(*m->worker));
    m->rank = malloc(cap * sizeof(*m->rank));
    m->group = malloc(cap * sizeof(*m->group));
    m->row_of = malloc((size_t)W * sizeof(*m->row_of));
    m->groups = malloc((R + 1) * sizeof(*m->groups));
    rank_place *place = malloc((R ? R : 1) * sizeof(*place));
    if (m->worker == NULL || m->rank == NULL || m->group == NULL ||
        m->row_of == NULL || m->groups == NULL || place == NULL) {
        free(place);
        mpi_rows_free(m);
        return DR_ENOMEM;
    }
    for (int w = 0; w < W; w++)
        m->row_of[w] = -1;
    /* Hosts numbered in order of first appearance (R is at most W, at
     * most MAX_ROWS: the quadratic search is cheap). */
    for (size_t i = 0; i < R; i++) {
        const dr__vrank *k = &t->ranks[i];
        place[i] = (rank_place){0, -1, k->rank, i};
        for (size_t j = 0; j < i && place[i].group < 0; j++)
            if (strcmp(t->ranks[j].host, k->host) == 0)
                place[i].group = place[j].group;
        if (place[i].group < 0) {
            place[i].group = m->ngroups;
            m->groups[m->ngroups++] = (host_group){k->host, 0, 0, 0, 0};
        }
    }
    /* Groups in order of their lowest rank: each group's lowest rank
     * (rank_lo, for now) is every one of its ranks' sort key. */
    for (int g = 0; g < m->ngroups; g++)
        m->groups[g].rank_lo = INT_MAX;
    for (size_t i = 0; i < R; i++) {
        host_group *g = &m->groups[place[i].group];
        if (place[i].rank < g->rank_lo)
            g->rank_lo = place[i].rank;
    }
    for (size_t i = 0; i < R; i++)
        place[i].key = m->groups[place[i].group].rank_lo;
    qsort(place, R, sizeof(*place), by_group_rank);
    int rows = 0, cur = -1;
    for (size_t i = 0; i < R; i++) {
        const dr__vrank *k = &t->ranks[place[i].i];
        host_group *g = &m->groups[place[i].group];
        if (place[i].group != cur) {
            cur = place[i].group;
            m->worker[rows] = -1;
            m->rank[rows] = NULL;
            m->group[rows++] = cur;
            g->rank_lo = g->rank_hi = k->rank;
        }
        g->ranks++;
        g->rank_hi = k->rank;
        for (int sl = 0; sl < k->slots; sl++) {
            int w = k->first + sl;
            if (w >= W)
                break; /* an edited trace's 100,000 slots cost nothing */
            if (m->row_of[w] >= 0)
                continue;
            m->row_of[w] = rows;
            m->worker[rows] = w;
            m->rank[rows] = k;
            m->group[rows++] = cur;
            g->workers++;
        }
    }
    m->nhosts = m->ngroups;
    int heading = -1;
    for (int w = 0; w < W; w++) {
        if (m->row_of[w] >= 0)
            continue;
        if (heading < 0) {
            heading = m->ngroups;
            m->groups[m->ngroups++] = (host_group){"", 0, 0, 0, 0};
            m->worker[rows] = -1;
            m->rank[rows] = NULL;
            m->group[rows++] = heading;
        }
        m->groups[heading].workers++;
        m->row_of[w] = rows;
        m->worker[rows] = w;
        m->rank[rows] = NULL;
        m->group[rows++] = heading;
    }
    m->rows = rows;
    free(place);
    return 0;
}

static int by_row_start(const void *pa, const void *pb) {
    const dr__vattempt *a = pa, *b = pb;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->worker < b->worker ? -1 : a->worker > b->worker ? 1 : 0;
}

/* The end of the last attempt of each row, for idle tails; rows without
 * attempts end at 0.  NULL when out of memory. */
static double *row_ends(const chart *c) {
    double *end = calloc((size_t)c->rows, sizeof(*end));
    if (end == NULL)
        return NULL;
    for (size_t i = 0; i < c->t->n; i++) {
        const dr__vattempt *a = &c->t->a[i];
        if (a->ts + a->dur > end[a->row])
            end[a->row] = a->ts + a->dur;
    }
    return end;
}

/* What the legend must list, known before anything is drawn (the legend
 * is drawn first: its height decides where the rows go). */
static void chart_flags(chart *c, const double *ends) {
    for (size_t i = 0; i < c->t->n; i++) {
        const dr__vattempt *a = &c->t->a[i];
        c->any_failed |= is_failure(a);
        c->any_interrupted |= a->status == DR__V_INTERRUPTED;
        if (c->ch.has == NULL)
            c->any_cp |= a->status == DR__V_OK && cpset_has(&c->cp, a->task);
    }
    for (int r = 0; r < c->rows; r++)
        c->any_tail |= !is_heading(c, r) && c->t->makespan - ends[r] > 0;
    c->any_moved = c->t->moved > 0;
    if (c->ch.n >= 2 && c->ch.n <= MAX_LINKS)
        for (size_t i = 1; i < c->ch.n; i++)
            if (c->ch.at[i - 1] != SIZE_MAX && c->ch.at[i] != SIZE_MAX)
                c->ch.vias |= 1 << c->ch.via[i];
}

/* A host's heading row (MPI runs): a thin line across the chart above it
 * (none above the first), drawn with the rows; and "host NAME: ranks 1–2,
 * 4 workers", with "the scheduler (rank 0) ran here" on rank 0's host, in
 * the empty row where bars would be, drawn after the chain's arcs (which
 * may bulge into it) with a white halo so that it stays legible.  Rows too
 * thin for text get a grey band whose tooltip says it. */
static void draw_heading(const chart *c, dr__buf *b, int r, double ry,
                         double left) {
    if (r > 0)
        dr__buf_printf(b,
                       "<line class=\"host-line\" x1=\"8\" y1=\"%.1f\" "
                       "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8C96A0\" "
                       "stroke-width=\"1\"/>\n",
                       ry, left + c->ax.w, ry);
}

static void draw_heading_text(const chart *c, dr__buf *b, int r, double left) {
    const host_group *g = &c->mpi->groups[c->mpi->group[r]];
    const char *host0 = c->t->host0;
    double ry = c->top + r * c->row_h;
    dr__buf text = {0};
    if (g->ranks > 0) {
        dr__buf_puts(&text, "host ");
        dr__vbuf_xml(&text, g->host[0] ? g->host : "unknown");
        if (g->ranks == 1)
            dr__buf_printf(&text, ": rank %d", g->rank_lo);
        else
            dr__buf_printf(&text, ": %d ranks (%d\xE2\x80\x93%d)", g->ranks,
                           g->rank_lo, g->rank_hi);
    } else {
        dr__buf_puts(&text, "workers of no rank");
    }
    dr__buf_printf(&text, ", %d worker%s", g->workers,
                   g->workers == 1 ? "" : "s");
    if (g->ranks > 0 && host0[0] && strcmp(host0, g->host) == 0)
        dr__buf_puts(&text, "; the scheduler (rank 0) ran here");
    if (c->row_h >= 9)
        dr__buf_printf(b,
                       "<text class=\"host-heading\" x=\"8\" y=\"%.1f\" "
                       "font-size=\"%d\" font-weight=\"bold\" "
                       "fill=\"#2B333B\" stroke=\"#FFFFFF\" "
                       "stroke-width=\"3\" paint-order=\"stroke\" "
                       "pointer-events=\"none\">%s</text>\n",
                       ry + c->row_h / 2 + 4, c->row_h >= 12 ? 12 : 9,
                       text.s ? text.s : "");
    else
        dr__buf_printf(b,
                       "<rect class=\"host-heading\" x=\"8\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\" fill=\"#E4E8EC\">"
                       "<title>%s</title></rect>\n",
                       ry, left + c->ax.w - 8, c->row_h, text.s ? text.s : "");
    if (text.oom)
        b->oom = 1;
    dr__buf_free(&text);
}

static void draw_headings(const chart *c, dr__buf *b, double left) {
    for (int r = 0; c->mpi != NULL && r < c->rows; r++)
        if (is_heading(c, r))
            draw_heading_text(c, b, r, left);
}

static void draw_rows(const chart *c, dr__buf *b, const double *ends,
                      double left) {
    const dr__vtrace *t = c->t;
    for (int r = 0; r < c->rows; r++) {
        double ry = c->top + r * c->row_h;
        char name[128];
        row_name(name, sizeof(name), c, r);
        if (is_heading(c, r)) {
            draw_heading(c, b, r, ry, left);
            continue;
        }
        if (c->row_h >= 8 && r % 2 == 1)
            dr__buf_printf(b,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"%.1f\" fill=\"#F7F9FA\"/>\n",
                           left, ry, c->ax.w, c->row_h);
        /* The worker's colour, as its tasks have in the DAG diagram; a band
         * of workers has many colours, so none. */
        if (c->per_row == 1)
            dr__buf_printf(b,
                           "<rect class=\"worker-swatch\" x=\"%.1f\" "
                           "y=\"%.1f\" width=\"6\" height=\"%.1f\" "
                           "fill=\"%s\"><title>worker %d: its colour in the "
                           "task graph</title></rect>\n",
                           left - 9, ry + (c->row_h - c->bar_h) / 2, c->bar_h,
                           dr_viz_palette((size_t)row_worker(c, r)),
                           row_worker(c, r));
        if (c->row_h >= 10 || (c->rows <= 60 && r % 5 == 0) ||
            (c->rows > 60 && r % (c->rows / 10 + 1) == 0))
            dr__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                           "font-size=\"%d\" fill=\"#2B333B\">%s</text>\n",
                           left - 13, ry + c->row_h / 2 + 4,
                           c->row_h >= 10 ? 12 : 10, name);
        if (t->makespan - ends[r] > 0) {
            char d[48];
            dr__vfmt_time(d, sizeof(d), t->makespan - ends[r]);
            dr__buf_printf(
                b,
                "<rect class=\"idle-tail\" x=\"%.2f\" y=\"%.1f\" "
                "width=\"%.2f\" height=\"%.1f\" "
                "fill=\"url(#dr-tail)\"><title>%s: idle tail %s "
                "(from %s last task to the end)</title></rect>\n",
                dr__vaxis_x(&c->ax, ends[r]), row_y(c, r),
                dr__vaxis_x(&c->ax, t->makespan) - dr__vaxis_x(&c->ax, ends[r]),
                c->bar_h, name, d, c->per_row == 1 ? "its" : "their");
        }
    }
}

/* Draws (b != NULL) or counts the bars of every row. */
static size_t draw_bars(const chart *c, dr__buf *b, double minw) {
    size_t rects = 0;
    const dr__vtrace *t = c->t;
    for (size_t i = 0; i < t->n;) {
        size_t j = i;
        while (j < t->n && t->a[j].row == t->a[i].row)
            j++;
        rects += draw_row(c, b, &t->a[i], j - i, minw);
        i = j;
    }
    return rects;
}

int dr_viz_gantt_svg(const json_t *trace, const json_t *summary,
                     const dr_gantt_options *o, char **svg, size_t *len,
                     dr_error *err) {
    dr_gantt_options defaults;
    if (o == NULL) {
        dr_gantt_options_init(&defaults);
        o = &defaults;
    }
    if (svg == NULL || trace == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "invalid argument");
        return DR_EINVAL;
    }
    *svg = NULL;
    dr__vtrace t;
    int rc = dr__vtrace_read_ex(
        trace, NULL, o->max_workers,
        o->max_workers > 0 ? "raise it with --max-workers N" : NULL, &t, err);
    if (rc != 0)
        return rc;
    rc = dr__vgantt_svg(&t, summary, o, svg, len, err);
    dr__vtrace_free(&t);
    return rc;
}

int dr__vgantt_svg(const dr__vtrace *trace, const json_t *summary,
                   const dr_gantt_options *o, char **svg, size_t *len,
                   dr_error *err) {
    *svg = NULL;
    /* The chart's own view of the trace: the same attempts, except that
     * bands of workers (below) regroup and reorder a copy of them. */
    dr__vtrace t = *trace;
    int width = o->width >= 400 && o->width <= 20000 ? o->width : 1200;
    chart c;
    memset(&c, 0, sizeof(c));
    c.t = &t;
    /* Above MAX_ROWS workers a row is a band of per_row workers, and there
     * are at most BAND_ROWS of them (two pixels each). */
    c.per_row =
        t.workers <= MAX_ROWS ? 1 : (t.workers + BAND_ROWS - 1) / BAND_ROWS;
    c.rows = (t.workers + c.per_row - 1) / c.per_row;
    dr__vattempt *banded = NULL;
    /* An MPI run: rows by host (below MAX_ROWS workers; a band of workers
     * spans ranks, and then rows are numbered as in any run). */
    mpi_rows mpi;
    memset(&mpi, 0, sizeof(mpi));
    if (c.per_row == 1 && t.nranks > 0 && t.nranks <= (size_t)t.workers) {
        if (mpi_rows_build(&mpi, &t) != 0) {
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            return DR_ENOMEM;
        }
        c.mpi = &mpi;
        c.rows = mpi.rows;
    }
    if (c.per_row > 1 || c.mpi != NULL) {
        if ((banded = malloc((t.n ? t.n : 1) * sizeof(*banded))) == NULL) {
            mpi_rows_free(&mpi);
            dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
            return DR_ENOMEM;
        }
        memcpy(banded, t.a, t.n * sizeof(*banded));
        t.a = banded;
        for (size_t i = 0; i < t.n; i++)
            t.a[i].row = c.mpi != NULL ? mpi.row_of[t.a[i].worker]
                                       : t.a[i].worker / c.per_row;
        qsort(t.a, t.n, sizeof(*t.a), by_row_start);
    }
    c.by_group = o->color == DR_VIZ_COLOR_GROUP;
    /* Group colours are looked up only when bars are coloured by group. */
    int cats_rc = c.by_group ? dr__vcolours_build(&c.cats, &t, NULL, 0) : 0;
    double *ends = row_ends(&c);
    cpset_build(&c.cp, summary);
    if (cats_rc != 0 || ends == NULL || chain_build(&c.ch, &t, summary) != 0) {
        dr__vcolours_free(&c.cats);
        free(ends);
        free(c.cp.names);
        chain_free(&c.ch);
        free(banded);
        mpi_rows_free(&mpi);
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    if (c.ch.matched == 0)
        chain_free(&c.ch); /* no chain drawn: the critical path is */
    chart_flags(&c, ends);
    /* Room for the longest row label ("workers 99500–99999" at 10 px). */
    char last[128];
    row_name(last, sizeof(last), &c, c.rows - 1);
    size_t longest = strlen(last);
    for (int r = 0; c.mpi != NULL && r < c.rows; r++)
        if (!is_heading(&c, r)) {
            row_name(last, sizeof(last), &c, r);
            longest = strlen(last) > longest ? strlen(last) : longest;
        }
    double left = fmax(t.workers > 999 ? 96 : 84, 20 + 6 * (double)longest),
           right = 24;
    dr__vaxis_init(&c.ax, left, width - left - right, t.makespan);
    c.row_h = fmin(26, fmax(2, 520.0 / c.rows));
    c.bar_h = c.row_h >= 8 ? c.row_h * 0.72 : c.row_h;

    /* Find the merge width that keeps the chart under MAX_RECTS rects. */
    double minw = 1;
    for (;; minw *= 2)
        if (draw_bars(&c, NULL, minw) <= MAX_RECTS || minw >= 64)
            break;

    /* The legend is drawn first into its own buffer: its height decides
     * where the rows go. */
    dr__buf legend = {0}, body = {0}, out = {0};
    double y = 26;
    if (t.ncached > 0) {
        if (draw_cached_note(&legend, &t, left, y + 14, width - right) != 0)
            legend.oom = 1;
        y += 20;
    }
    /* Nothing ran (every task cached): the note says all there is. */
    if (o->legend && !(t.n == 0 && t.ncached > 0))
        y += draw_legend(&legend, &c, left, y + 20, width - right) + 8;
    c.top = y + 8;
    double gh = c.row_h * c.rows;
    draw_rows(&c, &body, ends, left);
    /* A resumed run where every task was cached ran nothing: a time axis
     * of 0 to 1 µs and a flat profile would only look like a run. */
    int nothing_ran = t.n == 0 && t.ncached > 0;
    if (nothing_ran)
        dr__buf_printf(&body,
                       "<text class=\"nothing-ran\" x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"middle\" font-size=\"13\" "
                       "fill=\"#4A5560\">Nothing ran: every task was cached "
                       "(makespan 0)</text>\n",
                       left + c.ax.w / 2, c.top + gh / 2 + 5);
    else
        dr__vaxis_draw(&body, &c.ax, c.top - 4, c.top + gh + 4, 1);
    draw_bars(&c, &body, minw);
    draw_links(&c, &body);
    draw_headings(&c, &body, left);
    double height = c.top + gh + 44;
    if (o->profile && !nothing_ran) {
        double ph = dr__vprofile_draw(&body, &t, &c.ax, height);
        if (ph < 0)
            body.oom = 1;
        height += ph;
    }
    dr__vtimeline_open(&out, width, height);
    char ms[48], band[48] = "";
    dr__vfmt_time(ms, sizeof(ms), t.makespan);
    if (c.per_row > 1)
        snprintf(band, sizeof(band), " (%d a row)", c.per_row);
    else if (c.mpi != NULL)
        snprintf(band, sizeof(band), " (%zu rank%s on %d host%s)", t.nranks,
                 t.nranks == 1 ? "" : "s", mpi.nhosts,
                 mpi.nhosts == 1 ? "" : "s");
    dr__buf_printf(&out,
                   "<text x=\"%.1f\" y=\"20\" font-size=\"15\" "
                   "font-weight=\"bold\" fill=\"#1B1F23\">",
                   left);
    dr__vbuf_xml(&out, t.graph[0] ? t.graph : "run");
    dr__buf_printf(&out,
                   "</text><text x=\"%.1f\" y=\"20\" text-anchor=\"end\" "
                   "font-size=\"12\" fill=\"#4A5560\">%zu attempt%s on %d "
                   "worker%s%s",
                   (double)width - right, t.n, t.n == 1 ? "" : "s", t.workers,
                   t.workers == 1 ? "" : "s", band);
    if (t.policy[0]) {
        dr__buf_puts(&out, ", policy ");
        dr__vbuf_xml(&out, t.policy);
    }
    /* Real runs only: a simulation's trace names no executor. */
    if (t.executor[0] && !t.simulated) {
        dr__buf_puts(&out, ", executor ");
        dr__vbuf_xml(&out, t.executor);
    }
    dr__buf_printf(&out, " \xC2\xB7 makespan %s%s</text>\n", ms,
                   t.simulated ? " (simulated)" : "");
    dr__buf_putn(&out, legend.s ? legend.s : "", legend.len);
    dr__buf_putn(&out, body.s ? body.s : "", body.len);
    dr__buf_puts(&out, "</svg>\n");
    if (legend.oom || body.oom)
        out.oom = 1;
    dr__buf_free(&legend);
    dr__buf_free(&body);
    dr__vcolours_free(&c.cats);
    free(ends);
    free(c.cp.names);
    chain_free(&c.ch);
    free(banded);
    mpi_rows_free(&mpi);
    *svg = dr__buf_take(&out, len);
    if (*svg == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return DR_ENOMEM;
    }
    return 0;
}

int dr_viz_gantt_write(const json_t *trace, const json_t *summary,
                       const dr_gantt_options *o, const char *path,
                       dr_error *err) {
    char *svg;
    size_t len;
    int rc = dr_viz_gantt_svg(trace, summary, o, &svg, &len, err);
    if (rc != 0)
        return rc;
    rc = dr_write_file_atomic(path, svg, len, err);
    free(svg);
    return rc;
}
