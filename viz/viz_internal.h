/*
 * Private pieces shared by the files of viz/: a growable text buffer with
 * XML escaping (svg.c), the trace read into a flat array of attempts
 * (trace.c), and time formatting.  The trace's strings are borrowed from the
 * json_t, which must outlive the dr__vtrace.
 */
#ifndef DAGRUN_VIZ_INTERNAL_H
#define DAGRUN_VIZ_INTERNAL_H

#include "dagrun.h"
#include "dagrun/viz.h"
#include "graph_internal.h"

#include <stdarg.h>

/* ----------------------------------------------------------- text buffer */

/* Every writer builds its text in a dr__buf (graph/buf.c). */

/* Appends s with &, <, >, " and ' escaped (text and attribute safe); bytes
 * that XML forbids (control characters) become U+FFFD. */
void dr__vbuf_xml(dr__buf *b, const char *s);

/* --------------------------------------------------------------- traces */

typedef enum dr__vstatus {
    DR__V_OK = 0,
    DR__V_FAILED,
    DR__V_TIMEOUT,
    DR__V_INTERRUPTED
} dr__vstatus;

typedef struct dr__vattempt {
    const char *task; /* borrowed from the json */
    const char *cat;  /* key prefix ("" when absent) */
    const char *op;   /* may be NULL */
    const char *error;
    double ts, dur, ready; /* microseconds */
    /* Microseconds spent sending the task message and receiving the
     * result (args.send_s, recv_s: worker processes), each within dur, and
     * the bytes of each message; 0 when the trace has none. */
    double send, recv;
    double bytes_sent, bytes_received;
    int worker;
    int row; /* the Gantt row: the worker, or its band of workers */
    int attempt;
    dr__vstatus status;
} dr__vattempt;

/* A task the run did not run because a resumed run reused its recorded
 * result (an instant event with args.status "cached"). */
typedef struct dr__vcached {
    const char *task; /* borrowed from the json */
    const char *cat;  /* its group ("" when absent) */
    const char *op;   /* may be NULL */
} dr__vcached;

/* --executor mpi: a worker rank of otherData.ranks, whose slots were the
 * run's workers first .. first + slots - 1. */
typedef struct dr__vrank {
    int rank;
    const char *host; /* borrowed; "" when absent */
    int first, slots;
} dr__vrank;

typedef struct dr__vtrace {
    dr__vattempt *a; /* sorted by (worker, ts); on each worker an attempt's
                        end is clamped to the next one's start */
    size_t n;
    dr__vcached *cached; /* in trace order; none of them is an attempt */
    size_t ncached;
    int workers;     /* otherData.workers, at least 1 + highest tid */
    double makespan; /* microseconds: otherData.makespan_us or last end */
    const char *graph, *policy; /* "" when unknown */
    /* otherData.executor ("threads", "processes", "sync"): "" when
     * unknown, and in a simulation, which runs nothing anywhere. */
    const char *executor;
    /* Attempts whose args say they moved data (bytes or time), and their
     * sums (bytes; microseconds). */
    size_t moved;
    double bytes_moved, send_total, recv_total;
    int cores; /* 0 when unknown */
    int simulated;
    /* otherData.makespan_chain (borrowed, steps checked as summary.json's
     * are), NULL when the trace has none: the Gantt chart outlines it when
     * no summary gives one. */
    const json_t *chain;
    /* otherData.params (an object) and params_set (a list), borrowed, NULL
     * when absent or of another type: the report's header lists them. */
    const json_t *params, *params_set;
    /* otherData.ranks (entries that are not a rank with a whole first
     * worker and at least one slot are left out) and host0, rank 0's host
     * ("" when absent): none for runs that were not MPI runs. */
    dr__vrank *ranks;
    size_t nranks;
    const char *host0;
} dr__vtrace;

/* The most workers a trace may have unless a reader raises it: the most
 * `dagrun run` uses. */
#define DR__VMAX_WORKERS 100000

/* Reads a trace (docs/trace-format.md and its readers' limits).  Returns 0,
 * DR_EINVAL naming `source` (NULL: "the trace"), the event's index and its
 * task when the trace has no traceEvents array or an attempt that cannot be
 * drawn (no ts or dur, a negative or non-finite time, a worker number that
 * is not whole or not below max_workers; 0: DR__VMAX_WORKERS, and then
 * raise_hint, NULL for the default, says how to go further), or DR_ENOMEM.
 * Unknown events and keys are ignored.  On error *t is empty. */
int dr__vtrace_read_ex(const json_t *trace, const char *source, int max_workers,
                       const char *raise_hint, dr__vtrace *t, dr_error *err);
/* The same with the defaults. */
int dr__vtrace_read(const json_t *trace, dr__vtrace *t, dr_error *err);
void dr__vtrace_free(dr__vtrace *t);
/* How many of the trace's attempts are of tasks of g.  Can't fail. */
size_t dr__vtrace_count_in_graph(const dr__vtrace *t, const dr_graph *g);
/* DR_EINVAL, naming both graphs, when the trace has attempts but none of
 * them is of a task of g (a trace of another graph); else 0. */
int dr__vtrace_check_graph(const dr__vtrace *t, const dr_graph *g,
                           dr_error *err);
const char *dr__vstatus_name(dr__vstatus s);
/* The rank whose slots include worker w, or NULL (not an MPI trace). */
const dr__vrank *dr__vtrace_rank_of(const dr__vtrace *t, int w);

/* Cached tasks (a resumed run reused their results; they never ran) look
 * the same in every picture: a pale blue-grey fill with a dotted
 * blue-grey outline, a colour neither palette has, and in the DAG a note
 * shape, so that the outline's style and the shape tell them apart from
 * tasks that did not run whatever one's colour vision. */
#define DR__VCACHED_FILL "#E8EEF4"
#define DR__VCACHED_LINE "#4F6D8A"

/* Colours of groups (palette.c).  A group is an attempt's `cat` (its
 * structural group), or its task when the trace has no cat. */
typedef struct dr__vcolour {
    const char *name; /* borrowed */
    double first;     /* earliest start in the trace; INFINITY: not in it */
    size_t seq;       /* 0 for trace names, else 1 + place in `extra` */
    size_t colour;    /* index into dr_viz_prefix_palette (mod its size) */
} dr__vcolour;

typedef struct dr__vcolours {
    dr__vcolour *by_name;   /* n, sorted by name */
    dr__vcolour **by_first; /* n, in colour order */
    size_t n;
} dr__vcolours;

const char *dr__vattempt_group(const dr__vattempt *a);
/* The trace's groups coloured in the order their first attempt started
 * (ties by name), then the names of `extra` it lacks, in their order.
 * Names are borrowed (from the trace and from extra).  t may be NULL.
 * 0 or DR_ENOMEM. */
int dr__vcolours_build(dr__vcolours *c, const dr__vtrace *t,
                       const char *const *extra, size_t nextra);
/* The colour index of a group, or -1 when unknown. */
long dr__vcolours_index(const dr__vcolours *c, const char *name);
void dr__vcolours_free(dr__vcolours *c);

/* The text colour to write on `fill` ("#rrggbb"): white on dark fills,
 * `dark` on light ones (and on anything that is not "#rrggbb"). */
const char *dr__vtext_on(const char *fill, const char *dark);
/* --------------------------------------------------------------- summary */

/* One step of summary.json's makespan_chain (docs/trace-format.md). */
typedef enum dr__vvia {
    DR__VVIA_START = 0, /* the first step */
    DR__VVIA_DEPENDENCY,
    DR__VVIA_WORKER, /* it waited for the previous step to free its worker */
    DR__VVIA_RETRY   /* it repeats the failed attempt before it */
} dr__vvia;

typedef struct dr__vstep {
    const char *task; /* borrowed */
    int worker;
    double start, end; /* seconds */
    dr__vvia via;
} dr__vstep;

/* Reads one step; NULL, or why it is not a step (a static string). */
const char *dr__vstep_read(const json_t *step, dr__vstep *out);
/* DR_EINVAL naming `source` and the key when a figure of the summary is of
 * the wrong type or out of its range, or a list is malformed; else 0. */
int dr__vsummary_check(const json_t *summary, const char *source,
                       dr_error *err);
/* 1 and *out when summary[key] is a number in [lo, hi]; else 0 (the figure
 * is left out).  summary may be NULL. */
int dr__vsummary_num(const json_t *summary, const char *key, double lo,
                     double hi, double *out);

/* ----------------------------------------------------------------- files */

/* The Graphviz format a task-graph picture's name asks for (".png":
 * "png", any case; .dot .gv .svg .png .pdf .jpg .jpeg .json), or NULL
 * when its extension is none of them (dot.c).  Can't fail. */
const char *dr__viz_format_of(const char *path);

/* trace.json read with the size cap (dr__json_load_run_file) and checked by
 * dr__vtrace_read_ex with the path as source; a new reference or NULL with
 * err filled.  For the command line, so that errors name the file. */
json_t *dr__vload_trace(const char *path, int max_workers,
                        const char *raise_hint, dr_error *err);
/* summary.json read with the size cap and checked by dr__vsummary_check. */
json_t *dr__vload_summary(const char *path, dr_error *err);

/* "1.25 s", "3.4 ms", "120 µs": a duration given in microseconds. */
void dr__vfmt_time(char *buf, size_t len, double us);

/* The degree of parallelism over time of a trace already read, as a
 * standalone SVG (the plot under the Gantt chart); new string in *svg or
 * DR_ENOMEM. */
int dr__vprofile_svg(const dr__vtrace *t, int width, char **svg, dr_error *err);
/* dr_viz_gantt_svg of a trace already read (profile.c, gantt.c). */
int dr__vgantt_svg(const dr__vtrace *t, const json_t *summary,
                   const dr_gantt_options *o, char **svg, size_t *len,
                   dr_error *err);
/* How many attempts the Gantt charts drawn so far in this process looked at
 * to match makespan-chain steps (a count of work, for tests). */
size_t dr__vgantt_chain_probes(void);

/* ---------------------------------------------------- the drawn graph */

/* One edge of a diagram (dag_layout.c). */
typedef struct dr__dedge {
    uint32_t from, to;    /* nodes, from < to */
    uint32_t count;       /* dependencies it stands for */
    uint32_t minlen;      /* ranks it spans at least (wrapping) */
    unsigned char cp;     /* on the critical path: always drawn */
    unsigned char hidden; /* implied by other edges: not drawn */
    unsigned char invis;  /* added by wrapping: keeps a grid's column */
} dr__dedge;

/* Nodes numbered in a topological order. */
typedef struct dr__dgraph {
    size_t n, m, cap;
    dr__dedge *e;          /* m edges, sorted by (from, to) after reduce */
    uint32_t *off;         /* n + 1: node u's edges are e[off[u] .. off[u+1]) */
    double *extent;        /* n: points a node takes along its rank (set by the
                              caller: its width, or its height for LR) */
    uint32_t *rank;        /* n: rank after wrapping, from 0 */
    unsigned char *shared; /* n: a wrapped leaf whose edge shares the lane
                              of its column's longest (no virtual nodes) */
    size_t nhidden;        /* edges hidden as implied */
    size_t hidden_count;   /* dependencies those edges stand for */
    int reduced;           /* 0: too many nodes to reduce, all edges drawn */
    size_t wrapped_levels;
    int merge;      /* repeated edges are merged as they are added */
    uint32_t *slot; /* merge: open-addressing table of edge indexes */
    size_t nslot;
} dr__dgraph;

#define DR__WRAP_MAX_ROWS 30
#define DR__WRAP_LANE 48.0 /* points beside a grid column for edges */
/* Predicted dot time (dag_layout.c), seconds: ORDER * (nodes + virtual
 * nodes) * widest rank + LINEAR * (nodes + edges) + PAIRS * edges^2. */
#define DR__COST_ORDER 1e-6
#define DR__COST_LINEAR 2e-4
#define DR__COST_PAIRS 2e-7

/* merge: repeated edges are merged as they come (a collapsed drawing,
 * where millions of dependencies become a few hundred edges); otherwise
 * the caller adds each edge once.  0 or DR_ENOMEM. */
int dr__dgraph_init(dr__dgraph *d, size_t n, int merge);
void dr__dgraph_free(dr__dgraph *d);
/* Adds an edge from < to (repeats are merged by dr__dgraph_reduce too). */
int dr__dgraph_edge(dr__dgraph *d, uint32_t from, uint32_t to, uint32_t count,
                    int cp);
/* Sorts and merges the edges, hides the implied ones (never a critical
 * path edge).  0 or DR_ENOMEM; above DR__REDUCE_MAX_NODES nothing is
 * hidden and `reduced` stays 0. */
int dr__dgraph_reduce(dr__dgraph *d);
/* Spreads every level wider than max_extent points over rows (minlen) and
 * sets the ranks.  Call after dr__dgraph_reduce.  0 or DR_ENOMEM. */
int dr__dgraph_wrap(dr__dgraph *d, double max_extent);
/* Predicted seconds of CPU that dot needs for the drawn graph. */
double dr__dgraph_cost(const dr__dgraph *d);
/* The DAG diagram of g after the run `trace` (read by dr__vtrace_read;
 * NULL: before a run) planned once and written as DOT (*dot, when dot is not
 * NULL) and laid out and rendered in `format` (*out, when out is not NULL),
 * both from the same drawing (dot.c).  New strings; on error neither is
 * set.  With out, the layout limit applies to both (as dr_viz_render's for
 * a picture). */
int dr__viz_render_both(const dr_graph *g, const dr__vtrace *trace,
                        const dr_viz_options *o, char **dot, size_t *dot_len,
                        const char *format, char **out, size_t *len,
                        dr_error *err);
/* dr_viz_report_html of a trace already read (t), with the task graph's
 * SVG already rendered (dag_svg, borrowed; NULL: rendered here), as
 * dr_viz_write_run_pictures has them from dag.svg. */
int dr__viz_report_html_with(const dr_graph *g, const dr__vtrace *t,
                             const json_t *summary, const dr_viz_options *o,
                             const char *dag_svg, char **html, size_t *len,
                             dr_error *err);
/* The report's style sheet (for tests: no rule may reach into a picture). */
const char *dr__viz_report_css(void);

/* Cast helper: Graphviz 2.42 takes char * where it means const char *. */
#define DR__MUT(s) ((char *)(uintptr_t)(s))

#endif
