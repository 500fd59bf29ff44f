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

#include <stdarg.h>

/* ----------------------------------------------------------- text buffer */

/* A growable string.  After any allocation failure `oom` is set and later
 * appends do nothing, so callers check once at the end. */
typedef struct dr__vbuf {
    char *s;
    size_t len, cap;
    int oom;
} dr__vbuf;

void dr__vbuf_puts(dr__vbuf *b, const char *s);
void dr__vbuf_putn(dr__vbuf *b, const char *s, size_t n);
void dr__vbuf_printf(dr__vbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' escaped (text and attribute safe); bytes
 * that XML forbids (control characters) become U+FFFD. */
void dr__vbuf_xml(dr__vbuf *b, const char *s);
void dr__vbuf_free(dr__vbuf *b);
/* Hands the string over (caller frees); returns NULL when oom. */
char *dr__vbuf_take(dr__vbuf *b, size_t *len);

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
    int worker;
    int row; /* the Gantt row: the worker, or its band of workers */
    int attempt;
    dr__vstatus status;
} dr__vattempt;

typedef struct dr__vtrace {
    dr__vattempt *a; /* sorted by (worker, ts); on each worker an attempt's
                        end is clamped to the next one's start */
    size_t n;
    int workers;     /* otherData.workers, at least 1 + highest tid */
    double makespan; /* microseconds: otherData.makespan_us or last end */
    const char *graph, *policy; /* "" when unknown */
    int cores;                  /* 0 when unknown */
    int simulated;
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

/* --------------------------------------------------------------- summary */

/* One step of summary.json's makespan_chain (docs/trace-format.md). */
typedef enum dr__vvia {
    DR__VIA_START = 0, /* the first step */
    DR__VIA_DEPENDENCY,
    DR__VIA_WORKER /* it waited for the previous step to free its worker */
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

/* trace.json read with the size cap (dr__json_load_run_file) and checked by
 * dr__vtrace_read_ex with the path as source; a new reference or NULL with
 * err filled.  For the command line, so that errors name the file. */
json_t *dr__vload_trace(const char *path, int max_workers,
                        const char *raise_hint, dr_error *err);
/* summary.json read with the size cap and checked by dr__vsummary_check. */
json_t *dr__vload_summary(const char *path, dr_error *err);

/* "1.25 s", "3.4 ms", "120 µs": a duration given in microseconds. */
void dr__vfmt_time(char *buf, size_t len, double us);

/* The degree of parallelism over time as a standalone SVG (the plot under
 * the Gantt chart); new string in *svg or DR_EINVAL / DR_ENOMEM. */
int dr__viz_profile_svg(const json_t *trace, int width, char **svg,
                        dr_error *err);

/* The report's style sheet (for tests: no rule may reach into a picture). */
const char *dr__viz_report_css(void);

/* Cast helper: Graphviz 2.42 takes char * where it means const char *. */
#define DR__MUT(s) ((char *)(uintptr_t)(s))

#endif
