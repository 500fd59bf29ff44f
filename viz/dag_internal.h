/*
 * The DAG diagram's private pieces, shared by dag_plan.c (what to draw: the
 * trace's facts per task, the critical path, one node per task or per group,
 * labels, and the time budget) and dot.c (drawing it through Graphviz: node
 * styles, the legend, layout and rendering).
 */
#ifndef DAGRUN_DAG_INTERNAL_H
#define DAGRUN_DAG_INTERNAL_H

#include "graph_internal.h"
#include "viz_internal.h"

#define DR__DAG_DEFAULT_BUDGET 1.5 /* seconds of predicted layout time */

/* What the trace says about one task: its last attempt. */
typedef struct dr__dag_run {
    const dr__vattempt *last; /* NULL: never ran */
    int attempts;
    /* Never ran because a dependency failed or was skipped (the scheduler
     * skips a failed task's dependents); a task that never ran otherwise
     * did not start because the run stopped first. */
    unsigned char skipped;
    /* Not run because a resumed run reused its result (the trace's cached
     * event); never with an attempt. */
    unsigned char cached;
} dr__dag_run;

/* What colour means in this drawing. */
enum { DR__DAG_COLOR_NONE, DR__DAG_COLOR_WORKER, DR__DAG_COLOR_GROUP };

/* One node of the drawing: a task or a group, with what its tasks did. */
typedef struct dr__dnode {
    const char *name;  /* node name: task key or group name (borrowed) */
    dr_task task;      /* the task when one task, else DR_TASK_NONE */
    char *label, *tip; /* owned, Graphviz escStrings */
    size_t count, failed, interrupted, skipped, notrun; /* notrun: never
                                                   started, not skipped */
    size_t cached; /* not run: their results reused (--resume) */
    double total, max;
    int worker;  /* -1 none yet, -2 several */
    long colour; /* group colour: -1 none yet, -2 several */
    int on_cp;
} dr__dnode;

typedef struct dr__drawing {
    size_t n;
    dr__dnode *nodes;
    dr__dgraph dg;
    int collapsed;
    double cost; /* predicted layout seconds */
} dr__drawing;

/* Everything decided about one diagram. */
typedef struct dr__dag {
    const dr_graph *g;
    const dr_viz_options *o;
    const dr__vtrace *trace; /* borrowed; NULL: drawn before a run */
    int have_trace;          /* trace != NULL */
    int color;               /* DR__DAG_COLOR_* */
    dr__dag_run *runs;
    double *weight;
    unsigned char *on_cp; /* task is on the critical path */
    dr_task *cp_prev;     /* predecessor on the critical path, or NONE */
    size_t nfailed, ninterrupted, nskipped, nnotrun, ncached; /* tasks */
    dr__groups groups; /* DR__GROUP_LIMIT groups (same as the trace's cat) */
    int have_groups;
    dr__vcolours colours; /* group colours (DR__DAG_COLOR_GROUP) */
    dr__drawing d;
    char note[320]; /* the budget fallback, "" when none */
} dr__dag;

/*
 * Checks that `trace` (read by dr__vtrace_read, may be NULL; borrowed until
 * dr__dag_free) is of g, finds the critical path and decides the drawing
 * (dag_plan.c).  `layout`: it will be laid out, so max_layout_nodes
 * applies.  Returns 0 or DR_EINVAL (unvalidated graph, trace of another
 * graph), DR_ETOOBIG, DR_ENOMEM with err filled; free with dr__dag_free
 * either way.  Calls o->note when the budget changed the drawing.
 */
int dr__dag_prepare(dr__dag *b, const dr_graph *g, const dr__vtrace *trace,
                    const dr_viz_options *o, int layout, dr_error *err);
void dr__dag_free(dr__dag *b);
void dr__drawing_free(dr__drawing *d);

#endif
