/*
 * The visualiser: DAG diagrams (DOT, SVG, PNG, PDF through Graphviz), Gantt
 * timelines with the degree of parallelism over time (SVG written by dagrun
 * itself), and a self-contained HTML run report.
 *
 * The visualiser reads a graph and, after a run, the run's trace.json and
 * summary.json (docs/trace-format.md) as jansson values.  It never runs
 * anything and never looks inside the scheduler: a trace written by another
 * dagrun version, or by hand, draws the same way.  No Graphviz type appears
 * here, so callers need not include Graphviz headers.
 *
 * Every function that writes a file writes it atomically (temporary file and
 * rename, dr_write_file_atomic), returns 0 or a negative DR_E* code, and fills
 * the optional dr_error on failure.  The graph must be validated (loaded
 * graphs and generated graphs are).
 */
#ifndef DAGRUN_VIZ_H
#define DAGRUN_VIZ_H

#include "../dagrun.h"

#ifdef __cplusplus
extern "C" {
#endif

/* When large graphs are drawn as groups of tasks (see dr_viz_options). */
typedef enum dr_viz_collapse {
    DR_VIZ_COLLAPSE_AUTO = 0, /* collapse above collapse_threshold tasks, or
                                 when one node per task would not be laid
                                 out within time_budget */
    DR_VIZ_COLLAPSE_ALWAYS,   /* always draw one node per group */
    DR_VIZ_COLLAPSE_NEVER     /* one node per task, however long its layout
                                 takes (refused above max_layout_nodes; DOT
                                 output is allowed) */
} dr_viz_collapse;

/* What the colour of a task means, in the DAG and in the Gantt chart. */
typedef enum dr_viz_color {
    DR_VIZ_COLOR_AUTO = 0, /* the worker after a run; no colour before */
    DR_VIZ_COLOR_WORKER,   /* the worker that ran it (dr_viz_palette) */
    DR_VIZ_COLOR_GROUP     /* its structural group (dr_viz_prefix_palette) */
} dr_viz_color;

/* Called with one line (no newline) when a picture was drawn otherwise
 * than asked, to stay within the time budget: "drawn as 40 groups: ...". */
typedef void (*dr_viz_note_fn)(const char *line, void *user_data);

typedef struct dr_viz_options {
    dr_viz_collapse collapse;
    size_t collapse_threshold; /* tasks; 0: 300 */
    size_t max_layout_nodes;   /* nodes Graphviz lays out at most; 0: 5,000 */
    const char *rankdir;       /* "TB" (default) or "LR" */
    int legend;                /* 1 (default after init): draw a legend */
    dr_viz_color color;        /* what colour means (default AUTO) */
    /* Seconds of predicted layout time a picture may take (default 1.5, so
     * that with rendering a picture takes about 2 s at most on an idle
     * machine); beyond it, wide levels stay unwrapped, then tasks are drawn
     * as (fewer) groups.  0: the default; negative: no budget. */
    double time_budget;
    dr_viz_note_fn note; /* may be NULL */
    void *note_data;
} dr_viz_options;

/* Fills the defaults: AUTO, 300, 5,000, "TB", legend on, colour AUTO,
 * budget 1.5 s, no note callback.  Can't fail. */
DR_EXTERN void dr_viz_options_init(dr_viz_options *o);

/* Parses "worker" or "group" (any case); returns 0 or DR_EINVAL. */
DR_EXTERN int dr_viz_color_parse(const char *text, dr_viz_color *out);

/*
 * The worker palette (colour-blind-friendly, Tableau-10-like without its
 * red, which marks failures): "#rrggbb" for worker i, cycling.  With
 * colour by worker, DAG nodes and Gantt bars are filled with it; the Gantt
 * chart also marks each worker's row with it.  Static string; can't fail.
 */
DR_EXTERN const char *dr_viz_palette(size_t i);
DR_EXTERN size_t dr_viz_palette_size(void);

/*
 * The group palette (colour by group, in the DAG and the Gantt chart):
 * light pastels, none of which is in the worker palette, so a colour means
 * either a worker or a group, never both.  The i-th group in the order its
 * first attempt started gets colour i.  Static string; can't fail.
 */
DR_EXTERN const char *dr_viz_prefix_palette(size_t i);
DR_EXTERN size_t dr_viz_prefix_palette_size(void);

/*
 * Draws the graph.  Before a run (trace == NULL): nodes labelled with key,
 * op and "cost N" (in the graph's own units, not a time), the critical path
 * by cost bold and red.  After a run (trace
 * is a Chrome trace as written by dagrun, borrowed): nodes filled with the
 * colour of the worker that ran them (or of their group, o->color) and
 * labelled with the measured duration, failed tasks pink octagons,
 * interrupted tasks with a dashed double border, tasks that did not run
 * grey and dashed, the measured critical path bold and red, tooltips with
 * worker, start, end and wait.  Only the transitive reduction's edges are
 * drawn (plus the critical path's); the legend says how many are hidden.
 * Wide ranks are wrapped over several rows.  Large graphs, and graphs
 * whose layout would exceed o->time_budget, are drawn one node per
 * structural group (key patterns such as layer-3-*, or depth levels).
 * o may be NULL (defaults).
 *
 * dr_viz_render produces `format` ("dot", "svg", "png", "pdf", any format
 * of Graphviz's `dot -T`) in a new buffer *out (caller frees with free(); a
 * NUL follows the *len bytes).  dr_viz_write picks the format from the
 * extension of `path` (.dot/.gv, .svg, .png, .pdf) and writes the file.
 * PNG and JPEG are rendered at 192 dpi (twice Graphviz's default 96, so
 * a point of the SVG is 8/3 pixels), so text stays sharp.
 * Errors: DR_EINVAL (unvalidated graph, unknown extension, or a trace of
 * another graph: it has attempts but none of a task of g), DR_ETOOBIG (too
 * many nodes to lay out: collapse, or write .dot), DR_EIO, DR_ENOMEM,
 * DR_ENOTSUP (Graphviz cannot render the format).
 */
DR_EXTERN int dr_viz_render(const dr_graph *g, const json_t *trace,
                            const dr_viz_options *o, const char *format,
                            char **out, size_t *len, dr_error *err);
DR_EXTERN int dr_viz_write(const dr_graph *g, const json_t *trace,
                           const dr_viz_options *o, const char *path,
                           dr_error *err);

/* What the Gantt chart draws. */
typedef struct dr_gantt_options {
    int width;       /* SVG width in pixels, 400 to 20000; 0 or outside: 1200 */
    int profile;     /* 1 (default after init): the parallelism plot below */
    int legend;      /* 1 (default after init): the legend */
    int max_workers; /* the most workers a trace may have; 0: 100,000 (the
                        most `dagrun run` uses).  Above 1,000 workers the
                        chart draws one row per band of workers. */
    dr_viz_color color; /* bars by worker (AUTO, WORKER) or by group */
} dr_gantt_options;

/* Fills the defaults.  Can't fail. */
DR_EXTERN void dr_gantt_options_init(dr_gantt_options *o);

/*
 * The Gantt chart of a trace as SVG text (no script): one row per worker,
 * labelled with the worker's colour (dr_viz_palette, as in the DAG), one
 * bar per attempt coloured by its worker or, with o->color GROUP, by its
 * group (the trace's `cat`; dr_viz_prefix_palette, a disjoint palette),
 * failed attempts hatched red, interrupted ones hatched amber,
 * each worker's idle tail shaded, a time axis, <title> tooltips, and (when
 * summary is given, borrowed, may be NULL) the chain of attempts that set
 * the makespan (summary.json "makespan_chain", else the trace's own
 * otherData.makespan_chain) outlined and linked, or, for a summary and a
 * trace without one, the summary's critical path's tasks outlined.  Legend
 * entries appear only for what the chart shows.  On each row an attempt's end
 * is clamped to the next attempt's start, so rounding in the trace never shows
 * two tasks at once on one worker.  Bars narrower than a pixel that follow
 * each other on a row are merged into one bar titled "N tasks", so 100,000
 * attempts stay a small file; above 1,000 workers a row stands for a band
 * of workers.  Below, the number of running tasks over time with the worker
 * count as a dashed line.  Returns a new NUL-terminated string in *svg
 * (caller frees; *len may be NULL) or DR_EINVAL (not a dagrun trace, or an
 * attempt that cannot be drawn: the message names the event and its task,
 * see docs/trace-format.md) / DR_ENOMEM.  The output is bounded whatever
 * the trace says: at most about 1,000 rows and 12,000 bars.
 */
DR_EXTERN int dr_viz_gantt_svg(const json_t *trace, const json_t *summary,
                               const dr_gantt_options *o, char **svg,
                               size_t *len, dr_error *err);
/* The same, written to `path` atomically. */
DR_EXTERN int dr_viz_gantt_write(const json_t *trace, const json_t *summary,
                                 const dr_gantt_options *o, const char *path,
                                 dr_error *err);

/*
 * The self-contained HTML report of a run (inline CSS and SVG, nothing
 * fetched): run facts, the summary metrics each explained in a line, the DAG,
 * the Gantt chart, the parallelism profile, a per-worker busy / idle / idle
 * tail table, the 10 slowest tasks and the failures with their stderr tails.
 * g (may be NULL: no DAG section) and summary (may be NULL: metrics computed
 * from the trace where possible) are borrowed; trace is required.  Returns
 * DR_EINVAL when g is given and the trace is of another graph (as
 * dr_viz_render).
 * dr_viz_report_html returns a new string in *html (caller frees).
 */
DR_EXTERN int dr_viz_report_html(const dr_graph *g, const json_t *trace,
                                 const json_t *summary, const dr_viz_options *o,
                                 char **html, size_t *len, dr_error *err);
DR_EXTERN int dr_viz_report_write(const dr_graph *g, const json_t *trace,
                                  const json_t *summary,
                                  const dr_viz_options *o, const char *path,
                                  dr_error *err);

/*
 * Everything a run leaves behind for people, in folder `dir` (which must
 * exist): dag.dot, dag.svg, gantt.svg and report.html, each written
 * atomically.  This is what `dagrun run` calls.  g and trace are required,
 * summary may be NULL; all are borrowed.  Stops at the first failure and
 * returns its code (files already written stay).
 */
DR_EXTERN int dr_viz_write_run_outputs(const dr_graph *g, const json_t *trace,
                                       const json_t *summary, const char *dir,
                                       dr_error *err);
/* The same with options (may be NULL): o->color applies to every picture
 * (the Gantt chart's too), o->note hears about budget fallbacks. */
DR_EXTERN int dr_viz_write_run_pictures(const dr_graph *g, const json_t *trace,
                                        const json_t *summary,
                                        const dr_viz_options *o,
                                        const char *dir, dr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAGRUN_VIZ_H */
