/*
 * Scaling experiments: run (or simulate) one graph at several worker counts
 * and explain the result.  Strong scaling runs the same graph at every P;
 * weak scaling reloads the graph file with its `workers` parameter set to P,
 * so that the work per worker stays constant.
 *
 * The experiment (dr_scale_run, scheduler/scaling.c) only collects numbers
 * from each run's summary.  Everything derived from them (speedup,
 * efficiency, the Amdahl and Gustafson fits, Karp-Flatt, ceilings and the
 * plain-words verdict) is computed by dr_scale_analyse (scheduler/
 * scaling_math.c) from the plain data in dr_scale_result, so it can be
 * checked on synthetic timings without running anything.  The plots and the
 * HTML report (viz/scale_plot.c, viz/scale_report.c) only read the result.
 */
#ifndef DAGRUN_SCALE_H
#define DAGRUN_SCALE_H

#include "run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dr_scale_mode {
    DR_SCALE_STRONG = 0, /* the same graph at every worker count */
    DR_SCALE_WEAK        /* the graph reloaded with workers=P */
} dr_scale_mode;

/* "strong" / "weak"; static. */
DR_EXTERN const char *dr_scale_mode_name(dr_scale_mode m);

/*
 * One worker count.  The fields down to `ntasks` are measured (filled by
 * dr_scale_run, or by a test); the rest is derived by dr_scale_analyse.
 * Times in seconds.  A figure that does not apply is NAN (written as an
 * empty CSV cell and JSON null).
 */
typedef struct dr_scale_point {
    unsigned workers;  /* P */
    int baseline_only; /* 1: P = 1 was run as the baseline, not asked for */
    unsigned runs;     /* repeats behind the makespan figures */
    double makespan;   /* median over the repeats: T(P) */
    double makespan_min, makespan_max;
    /* From the median run's summary. */
    double utilization;  /* work / (P * makespan) */
    double idle;         /* total idle worker-seconds */
    double idle_tail;    /* total idle-tail worker-seconds */
    double work;         /* T1 of this run: sum of task durations */
    double span;         /* T-infinity of this run */
    double parallelism;  /* work / span */
    double lower_bound;  /* max(span, work / P) */
    double latency_mean; /* mean ready-to-start latency per task */
    double overhead;     /* scheduling overhead per task (summary.json
                            overhead.per_task): a worker's time from the
                            end of one task to the start of the next,
                            already ready; NAN when unknown */
    double task_median;  /* median task duration of the run (NAN: unknown) */
    /* T1/T-inf of the graph by its costs, as `dagrun analyze` gives it,
     * when every task has a cost; NAN otherwise.  Set by dr_scale_run;
     * the ceiling uses it first. */
    double cost_parallelism;
    size_t ntasks;
    /* Simulated: tasks that had no duration (no cost, not a sleep or spin
     * with its own amount, not in the --costs trace) and so counted as the
     * default 1 s.  0 for measured runs. */
    size_t uncosted;
    /* Measured runs, summed over the repeats at this P (NAN when not
     * measured): what the busy-machine check (dr_scale_machine_busy)
     * reads. */
    double wall;        /* wall seconds from the start to the end of the runs */
    double cpu_time;    /* CPU seconds of this process and its children */
    double cpu_demand;  /* the integral over time of min(computing tasks
                           running, cores): the CPU seconds those tasks get
                           on an idle machine; 0 when no task computes */
    double machine_cpu; /* busy CPU seconds of every CPU this process may
                           run on (ours and everybody else's) */
    double load_after;  /* the highest 1-minute load average seen after a
                           run at this P */

    /* Derived by dr_scale_analyse. */
    int oversubscribed;         /* measured run of computing tasks (cpu_tasks)
                                   with P > cores */
    double speedup;             /* strong: T(1)/T(P); weak: Gustafson's
                                   scaled speedup T(1)*(W(P)/W(1))/T(P),
                                   W the work, when simulated; measured:
                                   P*T(1)/T(P) */
    double efficiency;          /* speedup / P */
    double scaled_efficiency;   /* weak only: speedup / P, the same formula
                                   as efficiency (measured: T(1)/T(P)) */
    double karp_flatt;          /* (1/S - 1/P) / (1 - 1/P), P > 1 */
    double ceiling_parallelism; /* the T1/T-inf of the ceiling: the
                                   graph's by its costs (cost_parallelism)
                                   when known, else the baseline run's
                                   (strong; P = 1 has no contention) or
                                   this run's (weak: another graph at
                                   each P) */
    double ceiling;             /* min(P, ceiling_parallelism): the graph's
                                   limit */
    double bound_ceiling;       /* T(1) / lower_bound: speedup if the run
                                   reached its lower bound */
    double amdahl;              /* the fitted Amdahl (strong) or Gustafson
                                   (weak) speedup at P */

    json_t *trace;   /* the median run's trace (owned, may be NULL) */
    json_t *summary; /* the median run's summary (owned, may be NULL) */
} dr_scale_point;

typedef struct dr_scale_result {
    dr_scale_mode mode;
    int simulated;
    char *graph;        /* graph name (owned) */
    char *policy;       /* policy name (owned) */
    unsigned cores;     /* the host's core count */
    int baseline_added; /* 1 when P = 1 was not asked for but run */
    /* 1 when some task computes in this process (the builtins spin, compute
     * and pi, a C function, a task without an op run with --cost-op spin).
     * Only then can more workers than cores be oversubscribed, and only then
     * is the CPU time of a run compared with what it needed. */
    int cpu_tasks;
    double load_before; /* 1-minute load average before the first run (NAN
                           when unknown) */
    int costs_busy;     /* simulated with --costs from a trace that was
                           recorded on a busy machine: warned about */

    dr_scale_point *points; /* sorted by workers, no duplicates */
    size_t npoints;

    /* Derived by dr_scale_analyse. */
    double amdahl_f;    /* strong: serial fraction, clamped to [0, 1] */
    double amdahl_r2;   /* coefficient of determination of the fit */
    double gustafson_s; /* weak: serial fraction of Gustafson's law */
    double gustafson_r2;
    double task_mean;     /* mean task duration at P = 1 (s) */
    double task_median;   /* median task duration at P = 1 (s); the mean
                             when the summary has no median */
    double task_overhead; /* scheduling overhead per task at P = 1 (s):
                             overhead.per_task of its summary, else
                             (T(1) - work) / tasks */
    int fine_grained;     /* measured, not busy, and task_overhead is at
                             least DR_GRAIN_OVERHEAD_SHARE of task_median */
    size_t fit_points;    /* the points beyond P = 1 the fit used; below
                             DR_SCALE_FIT_MIN_POINTS - 1 nothing is fitted
                             ("too few points to fit") */
    int busy;             /* the measurements say that other programs took
                             CPU time from the runs: no law is fitted */
    int cp_limited;       /* the critical path, not a serial fraction, sets
                             the plateau: the fit is not drawn */
    char *warning;        /* about the inputs (tasks without a cost), one
                             sentence, or NULL (owned) */
    char *verdict;        /* plain words, several sentences (owned) */
} dr_scale_result;

/* Below this R^2 the timings are said not to follow the fitted law (Amdahl
 * or Gustafson): the verdict says so instead of quoting the serial
 * fraction, and the plots leave the fitted curve out. */
#define DR_SCALE_FIT_MIN_R2 0.5
/* A law is fitted only to at least this many worker counts, P = 1 (which
 * every law passes through) included: one parameter fitted to a single
 * point beyond the baseline always fits exactly and proves nothing. */
#define DR_SCALE_FIT_MIN_POINTS 3

/* Returns a new result with `npoints` zeroed points (the measured CPU and
 * load figures NAN), or NULL when out of memory. */
DR_EXTERN dr_scale_result *dr_scale_result_create(size_t npoints);
DR_EXTERN void dr_scale_result_destroy(dr_scale_result *r);

/*
 * Derives everything below the measured fields: speedups, efficiencies,
 * Karp-Flatt, ceilings, the fits and the verdict.  Needs a point with
 * workers == 1 (the baseline); sorts points by workers first.  Returns 0,
 * DR_EINVAL when there is no P = 1 point or a makespan is not positive,
 * DR_ENOMEM.
 */
DR_EXTERN int dr_scale_analyse(dr_scale_result *r);

/* ----------------------------------------------------- pure math helpers */

/* A measured run of computing tasks that got less than this share of the
 * CPU time it needed (cpu_time / cpu_demand) was slowed by other
 * programs. */
#define DR_SCALE_BUSY_CPU_SHARE 0.8
/* Other programs that used this many cores on average during the runs
 * (machine_cpu - cpu_time over wall) make the machine busy. */
#define DR_SCALE_BUSY_OTHERS 0.5
/* ... judged only over this many seconds of wall time or more: the CPUs'
 * busy time is counted in ticks of 10 ms. */
#define DR_SCALE_BUSY_MIN_WALL 0.25

/*
 * Whether other programs took CPU time from a measured experiment of
 * computing tasks: a pure function of the measured fields (cpu_tasks,
 * cores, each point's cpu_time, cpu_demand, machine_cpu, wall), so that it
 * can be tested on synthetic figures.  Busy when at some P the tasks got
 * less than DR_SCALE_BUSY_CPU_SHARE of the CPU time they needed, or other
 * programs used DR_SCALE_BUSY_OTHERS cores or more.  Always 0 for a
 * simulation or for tasks that do not compute (sleeping tasks lose nothing
 * to a busy machine).  When busy and `why` is not NULL, writes the
 * evidence into it as one clause ("at 2 workers the tasks got 52% of the
 * CPU time they needed; ..."), adding the load averages and the spread of
 * the repeats.  Cannot fail.
 */
DR_EXTERN int dr_scale_machine_busy(const dr_scale_result *r, char *why,
                                    size_t len);

/* Median of n values (n > 0); the values are reordered.  NAN for n == 0. */
DR_EXTERN double dr_scale_median(double *v, size_t n);

/*
 * Amdahl's law 1/S = f + (1 - f)/P fitted by least squares on (1/P, 1/S):
 * with x = 1/P and y = 1/S it is y - x = f (1 - x), a line through the
 * origin, so f = sum((1-x)(y-x)) / sum((1-x)^2).  f is clamped to [0, 1];
 * *r2 gets R^2 of 1/S (1 when the data have no spread and fit exactly).
 * Points with P == 1 carry no information.  Returns 0, or DR_EINVAL when no
 * point has P > 1 (then *f and *r2 are NAN).
 */
DR_EXTERN int dr_scale_fit_amdahl(const unsigned *p, const double *speedup,
                                  size_t n, double *f, double *r2);

/* Gustafson's law S = P - s (P - 1) fitted by least squares on the scaled
 * speedups; s clamped to [0, 1].  As dr_scale_fit_amdahl otherwise. */
DR_EXTERN int dr_scale_fit_gustafson(const unsigned *p, const double *speedup,
                                     size_t n, double *s, double *r2);

/* The Karp-Flatt experimentally determined serial fraction
 * (1/S - 1/P) / (1 - 1/P); NAN for P <= 1 or S <= 0. */
DR_EXTERN double dr_scale_karp_flatt(double speedup, unsigned p);

/* Amdahl's predicted speedup 1 / (f + (1 - f)/P). */
DR_EXTERN double dr_scale_amdahl_speedup(double f, unsigned p);

/* ---------------------------------------------------------- experiment */

/* Progress of an experiment, passed to dr_scale_options.progress before
 * each run (done == 0) and after it (done == 1). */
typedef struct dr_scale_progress {
    unsigned workers; /* P of this run */
    unsigned repeat;  /* 1-based */
    unsigned repeats; /* repeats at this P */
    size_t run_index; /* 0-based index of this run in the experiment */
    size_t runs_total;
    int done;
    double makespan; /* this run's makespan when done */
    double elapsed;  /* wall-clock seconds since the experiment began */
} dr_scale_progress;

typedef struct dr_scale_options {
    dr_scale_mode mode;
    const unsigned *workers; /* the worker counts (any order) */
    size_t nworkers;
    unsigned repeat;    /* measured runs per P; 0: 3.  Simulated: 1 */
    dr_run_options run; /* for every run; workers is overwritten */
    /* Weak scaling reloads this file at each P with `workers` set; strong
     * scaling loads it once when no graph is given. */
    const char *path;
    dr_load_options load; /* params here are kept; `workers` replaced */
    int keep_traces;      /* 1: keep each point's median-run trace */
    void (*progress)(const dr_scale_progress *p, void *user_data);
    void *user_data;
} dr_scale_options;

/* Fills defaults: strong, repeat 0 (3), run options as dr_run_options_init,
 * keep_traces 1. */
DR_EXTERN void dr_scale_options_init(dr_scale_options *opts);

/*
 * Runs the experiment.  `g` is the graph for strong scaling (borrowed; may
 * be NULL, then opts->path is loaded); weak scaling needs opts->path.  When
 * P = 1 is not in the list it is run anyway as the baseline
 * (baseline_added).  A run in which a task failed stops the experiment;
 * err then names the failed tasks with their reasons (up to three).
 * Returns a new, analysed result, or NULL with err filled (bad options, a
 * graph that does not load, a failed or interrupted run).
 */
DR_EXTERN dr_scale_result *
dr_scale_run(dr_graph *g, const dr_scale_options *opts, dr_error *err);

/* ------------------------------------------------------------- outputs */

/* New strings (caller frees), NULL when out of memory. */
DR_EXTERN char *dr_scale_to_csv(const dr_scale_result *r);
DR_EXTERN char *dr_scale_to_markdown(const dr_scale_result *r);
/* A new JSON object with every figure, the fits and the verdict. */
DR_EXTERN json_t *dr_scale_to_json(const dr_scale_result *r);

/*
 * SVG line plots (viz/scale_plot.c), new strings, NULL when out of memory:
 * speedup against workers, log-log, with min-max bars, the ideal line, the
 * fitted law (left out when its R^2 is below DR_SCALE_FIT_MIN_R2, when
 * cp_limited, on a busy machine, and wherever it would rise above the
 * ceiling) and the critical-path ceiling (through the points' `ceiling`
 * column, never above the ideal line); efficiency against workers (linear
 * values, log-2 workers); for weak scaling, scaled efficiency.  The
 * measured line between two points is the log-log straight line of the
 * speedups (over P on the efficiency plot), so it never rises above the
 * ceiling between points that are under it.  Worker
 * counts beyond the cores are shaded only where points are oversubscribed
 * (computing tasks).
 */
DR_EXTERN char *dr_scale_speedup_svg(const dr_scale_result *r);
DR_EXTERN char *dr_scale_efficiency_svg(const dr_scale_result *r);

/* The self-contained HTML report (viz/scale_report.c): table, plots,
 * verdict, per-P Gantt charts where traces were kept.  A new string. */
DR_EXTERN char *dr_scale_report_html(const dr_scale_result *r);

/*
 * Writes scaling.csv, scaling.json, scaling.md, speedup.svg,
 * efficiency.svg (weak: scaled-efficiency.svg), report.html, and per
 * point with a trace trace-P<N>.json, summary-P<N>.json and gantt-P<N>.svg
 * into `dir` (created with its parents if missing), each atomically.  Returns 0
 * or a DR_E* code with err filled.
 */
DR_EXTERN int dr_scale_write(const dr_scale_result *r, const char *dir,
                             dr_error *err);

#ifdef __cplusplus
}
#endif
#endif
