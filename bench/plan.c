/*
 * The cost of deciding what a resumed run reruns (scheduler/resume.c): a
 * random layered graph of 100 layers x 1,000 no-op tasks, 4 dependencies
 * each (100,000 tasks), and a journal of one successful record per task
 * written with the journal writer as a run would.  Timed, each the median
 * of --runs: reading the journal alone (dr__journal_read), and
 * dr_plan_create when every task is cached, when one task of the first
 * layer changed (it and its descendants run; every other task is checked
 * in full), and without --resume (op fingerprints only).  Wall and CPU
 * seconds both, as the machine is shared.
 *
 * Usage: dagrun_bench_plan [--layers N] [--width N] [--runs N] [DIR]
 * (DIR: where the journal goes, default /tmp).
 */
#include "dagrun/run.h"
#include "fingerprint.h"
#include "journal.h"
#include "resume.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[n / 2];
}

static void die(const char *what, const dr_error *err) {
    fprintf(stderr, "dagrun_bench_plan: %s: %s\n", what, err ? err->text : "");
    exit(1);
}

/* One ok record per task, in topological order, as the executor writes a
 * no-op's (no result: the fingerprint of JSON null). */
static void write_journal(dr_graph *g, const char *path) {
    dr_error err;
    dr__journal *j;
    if (dr__journal_open(path, dr_graph_name(g), 0, &j, &err) != 0)
        die("journal", &err);
    size_t n = dr_graph_ntasks(g);
    dr__fp *results = calloc(n, sizeof(*results)), *deps = NULL;
    size_t capdeps = 0;
    dr__fp null_fp;
    dr__json_fp(NULL, &null_fp);
    const dr_task *topo = dr_graph_topo_order(g);
    for (size_t i = 0; i < n; i++) {
        dr_task t = topo[i];
        size_t nd;
        const dr_task *d = dr_task_deps(g, t, &nd);
        if (nd > capdeps) {
            capdeps = nd * 2;
            deps = realloc(deps, capdeps * sizeof(*deps));
        }
        for (size_t k = 0; k < nd; k++)
            deps[k] = results[d[k]];
        dr__jrec r;
        memset(&r, 0, sizeof(r));
        r.task = dr_task_key(g, t);
        r.attempt = 1;
        r.status = "ok";
        r.start = (double)i * 1e-5;
        r.end = r.start + 1e-6;
        dr__task_op_fp(g, t, NULL, &r.op);
        dr__task_fp(&r.op, deps, nd, NULL, 0, &r.fp);
        r.result_fp = &null_fp;
        results[t] = null_fp;
        if (dr__journal_append(j, &r) != 0)
            die("append", NULL);
    }
    if (dr__journal_close(j, &err) != 0)
        die("close", &err);
    free(results);
    free(deps);
}

typedef struct timing {
    double wall, cpu;
    size_t nrun;
} timing;

static timing time_plan(dr_graph *g, const char *journal, int resume,
                        int runs) {
    double *w = calloc((size_t)runs, sizeof(double)),
           *c = calloc((size_t)runs, sizeof(double));
    timing t = {0, 0, 0};
    for (int i = 0; i < runs; i++) {
        dr_run_options o;
        dr_run_options_init(&o);
        o.journal = journal;
        o.resume = resume;
        dr_error err;
        double w0 = now(), c0 = cpu();
        dr_plan *p = dr_plan_create(g, &o, &err);
        w[i] = now() - w0;
        c[i] = cpu() - c0;
        if (p == NULL)
            die("plan", &err);
        t.nrun = dr_plan_nrun(p);
        dr_plan_destroy(p);
    }
    t.wall = median(w, runs);
    t.cpu = median(c, runs);
    free(w);
    free(c);
    return t;
}

static timing time_read(dr_graph *g, const char *journal, int runs) {
    double *w = calloc((size_t)runs, sizeof(double)),
           *c = calloc((size_t)runs, sizeof(double));
    timing t = {0, 0, 0};
    for (int i = 0; i < runs; i++) {
        dr__jread r;
        dr_error err;
        double w0 = now(), c0 = cpu();
        if (dr__journal_read(journal, dr_graph_name(g), &r, &err) != 0)
            die("read", &err);
        w[i] = now() - w0;
        c[i] = cpu() - c0;
        t.nrun = json_array_size(r.records);
        dr__journal_read_free(&r);
    }
    t.wall = median(w, runs);
    t.cpu = median(c, runs);
    free(w);
    free(c);
    return t;
}

int main(int argc, char **argv) {
    int layers = 100, width = 1000, runs = 5;
    static const struct option longs[] = {{"layers", 1, NULL, 'l'},
                                          {"width", 1, NULL, 'w'},
                                          {"runs", 1, NULL, 'r'},
                                          {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'l')
            layers = atoi(optarg);
        else if (c == 'w')
            width = atoi(optarg);
        else if (c == 'r')
            runs = atoi(optarg);
        else
            return 2;
    }
    if (layers < 2 || width < 1 || runs < 1)
        return 2;
    const char *dir = optind < argc ? argv[optind] : "/tmp";
    char journal[4096];
    snprintf(journal, sizeof(journal), "%s/dagrun-bench-plan-%ld.jsonl", dir,
             (long)getpid());

    char lv[32], wv[32], dv[] = "deps=4"; /* parsed in place */
    snprintf(lv, sizeof(lv), "layers=%d", layers);
    snprintf(wv, sizeof(wv), "width=%d", width);
    dr_param params[3];
    char *texts[3] = {lv, wv, dv};
    dr_error err;
    for (int i = 0; i < 3; i++)
        if (dr_param_parse(texts[i], &params[i], &err) != 0)
            die("params", &err);
    dr_graph *g = dr_generate("layered", params, 3, 1, "noop", &err);
    if (g == NULL)
        die("graph", &err);
    write_journal(g, journal);
    FILE *f = fopen(journal, "rb");
    long bytes = 0;
    if (f != NULL) {
        fseek(f, 0, SEEK_END);
        bytes = ftell(f);
        fclose(f);
    }
    printf("graph: %zu tasks, %zu dependencies; journal: %zu records, %.1f "
           "MB\n",
           dr_graph_ntasks(g), dr_graph_nedges(g), dr_graph_ntasks(g),
           (double)bytes / 1e6);
    printf("median of %d runs, seconds\n\n", runs);
    printf("%-44s %8s %8s %8s\n", "", "wall", "cpu", "run");

    timing r = time_read(g, journal, runs);
    printf("%-44s %8.3f %8.3f %8s\n", "dr__journal_read alone", r.wall, r.cpu,
           "-");
    timing all = time_plan(g, journal, 1, runs);
    printf("%-44s %8.3f %8.3f %8zu\n", "dr_plan_create, everything cached",
           all.wall, all.cpu, all.nrun);
    /* One task of the first layer changes: it and its descendants run. */
    json_t *args = json_pack("{s:i}", "ms", 1);
    dr_task_set_builtin(g, 0, "sleep", args);
    json_decref(args);
    timing one = time_plan(g, journal, 1, runs);
    printf("%-44s %8.3f %8.3f %8zu\n", "dr_plan_create, one first-layer change",
           one.wall, one.cpu, one.nrun);
    timing none = time_plan(g, journal, 0, runs);
    printf("%-44s %8.3f %8.3f %8zu\n", "dr_plan_create without --resume",
           none.wall, none.cpu, none.nrun);
    unlink(journal);
    dr_graph_destroy(g);
    return 0;
}
