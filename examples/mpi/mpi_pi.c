/*
 * --executor mpi from C: the Monte Carlo pi graph of examples/pi.json (one
 * builtin `pi` task per chunk, seeded by its index, and a `sum` that adds
 * their counts), built with the C API and run on the worker ranks of an MPI
 * job (docs/mpi.md).
 *
 * Every rank runs this same program and builds the same graph: rank 0
 * checks at start-up that each worker rank's graph is its own (a
 * fingerprint), so the arguments must be the same on every rank too.  Rank
 * 0 then runs the graph with DR_EXECUTOR_MPI (it schedules; its worker
 * slots are the worker ranks' slots), while ranks 1..N-1 serve it with
 * dr_mpi_serve, SLOTS tasks at once each, until rank 0 is done.
 *
 * Usage: mpirun -np 3 dagrun_mpi_pi_example [SAMPLES [CHUNKS [SLOTS]]]
 *        (4000000 8 2)
 * Rank 0 prints "pi ~ ESTIMATE: INSIDE of SAMPLES points inside the
 * quarter circle, CHUNKS tasks on R worker ranks" and then the tasks each
 * worker rank ran.  The counts are those of
 * `dagrun run examples/pi.json --set samples=SAMPLES --set chunks=CHUNKS`:
 * the same seeds and the same split, whichever rank runs a chunk.
 */
#include <dagrun.h>
#include <dagrun/run.h>

#include <stdio.h>
#include <stdlib.h>

/* map-0..map-(chunks-1) -> reduce, as examples/pi.json: chunk i draws
 * samples*(i+1)/chunks - samples*i/chunks points with seed i. */
static dr_graph *build(long long samples, long chunks, dr_task *reduce) {
    dr_graph *g = dr_graph_create();
    if (g == NULL || dr_graph_set_name(g, "mpi-pi") != 0 ||
        dr_graph_add_task(g, "reduce", reduce) != 0 ||
        dr_task_set_builtin(g, *reduce, "sum", NULL) != 0) {
        dr_graph_destroy(g);
        return NULL;
    }
    for (long i = 0; i < chunks; i++) {
        char key[32];
        dr_task t;
        snprintf(key, sizeof key, "map-%ld", i);
        long long n = samples * (i + 1) / chunks - samples * i / chunks;
        json_t *args = json_pack("{sIsI}", "samples", (json_int_t)n, "seed",
                                 (json_int_t)i);
        int rc = args == NULL || dr_graph_add_task(g, key, &t) != 0 ||
                 dr_task_set_builtin(g, t, "pi", args) != 0 ||
                 dr_graph_add_dep(g, *reduce, t) != 0;
        json_decref(args);
        if (rc) {
            dr_graph_destroy(g);
            return NULL;
        }
    }
    return g;
}

/* Rank 0: schedules the run on the worker ranks and prints the estimate. */
static int schedule(dr_graph *g, dr_task reduce, long chunks, unsigned size,
                    unsigned slots) {
    dr_run_options opts;
    dr_run_options_init(&opts);
    opts.executor = DR_EXECUTOR_MPI;
    dr_error err;
    dr_run *run = dr_run_graph(g, &opts, &err);
    if (run == NULL) {
        fprintf(stderr, "mpi_pi: %s\n", err.text);
        return 2;
    }
    json_t *r = dr_run_task_result(run, reduce);
    if (dr_run_status(run) != 0 || !json_is_object(r)) {
        fprintf(stderr, "mpi_pi: the run failed (%s)\n",
                dr_strerror(dr_run_status(run)));
        dr_run_destroy(run);
        return 1;
    }
    printf("pi ~ %.6f: %lld of %lld points inside the quarter circle, %ld "
           "tasks on %u worker ranks\n",
           json_real_value(json_object_get(r, "estimate")),
           (long long)json_integer_value(json_object_get(r, "inside")),
           (long long)json_integer_value(json_object_get(r, "samples")), chunks,
           size - 1);
    /* The run's worker slots are the ranks' slots in rank order (rank 1's
     * first): with SLOTS each, slot w is on rank 1 + w / SLOTS. */
    unsigned *ran = calloc(size, sizeof *ran);
    if (ran != NULL) {
        for (long i = 0; i < chunks; i++) {
            char key[32];
            snprintf(key, sizeof key, "map-%ld", i);
            int w = dr_run_task_worker(run, dr_graph_find(g, key));
            if (w >= 0 && 1 + (unsigned)w / slots < size)
                ran[1 + (unsigned)w / slots]++;
        }
        for (unsigned k = 1; k < size; k++)
            printf("rank %u ran %u of the %ld pi tasks\n", k, ran[k], chunks);
        free(ran);
    }
    dr_run_destroy(run);
    return 0;
}

/* Ranks 1..N-1: run what rank 0 sends, run after run, until it ends the
 * job (dr_mpi_serve returns 1 then). */
static int serve(dr_graph *g, unsigned slots, int rank) {
    dr_run_options opts;
    dr_run_options_init(&opts);
    opts.workers = slots;
    dr_error err;
    int rc;
    while ((rc = dr_mpi_serve(g, &opts, &err)) == 0) {
    }
    if (rc == 1)
        return 0;
    /* Refused (another graph, another dagrun): rank 0 says why, once for
     * all ranks, naming the rank that differs; anything else is ours. */
    if (rc != DR_EINVAL)
        fprintf(stderr, "mpi_pi (rank %d): %s\n", rank, err.text);
    return 1;
}

int main(int argc, char **argv) {
    long long samples = argc > 1 ? atoll(argv[1]) : 4000000;
    long chunks = argc > 2 ? atol(argv[2]) : 8;
    long slots = argc > 3 ? atol(argv[3]) : 2;
    if (samples < chunks || chunks < 1 || slots < 1) {
        fprintf(stderr,
                "usage: mpirun -np 3 %s [SAMPLES [CHUNKS [SLOTS]]] "
                "(SAMPLES >= CHUNKS >= 1, SLOTS >= 1)\n",
                argv[0]);
        return 2;
    }
    unsigned size = 0;
    int rank = dr_mpi_rank(&size);
    if (rank < 0) {
        fprintf(stderr,
                "mpi_pi: not started by mpirun or srun: run it as "
                "`mpirun -np 3 %s` (rank 0 schedules, ranks 1 and 2 "
                "run the tasks)\n",
                argv[0]);
        return 2;
    }
    dr_task reduce;
    dr_graph *g = build(samples, chunks, &reduce);
    if (g == NULL) {
        fprintf(stderr, "mpi_pi: out of memory\n");
        return 2;
    }
    int rc = rank == 0 ? schedule(g, reduce, chunks, size, (unsigned)slots)
                       : serve(g, (unsigned)slots, rank);
    dr_graph_destroy(g);
    return rc;
}
