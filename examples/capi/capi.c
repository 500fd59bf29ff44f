/*
 * Using dagrun from C: count the primes below a limit by splitting the range
 * into chunks, one C function task per chunk, and adding the counts in a
 * final task.  It shows the three ways a C program gives tasks work:
 *
 *  - dr_task_set_function: a function pointer (and user data) set directly;
 *  - an op table (dr_ops_register) so a graph loaded from JSON can name the
 *    function, as plugins do ("op": "count_primes");
 *  - pointer results (dr_call_set_ptr) handed from a task to its dependents
 *    and freed by dagrun after the last dependent has run, next to JSON
 *    results (dr_call_set_json) that the caller reads back.
 *
 * Usage: dagrun_capi_example [WORKERS [LIMIT [CHUNKS]]]   (2 200000 8)
 * Prints "primes below LIMIT: N" twice (built in C, loaded from JSON).
 */
#include <dagrun.h>
#include <dagrun/run.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_prime(uint64_t n) {
    if (n < 2)
        return 0;
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

/* A chunk task: counts primes in [lo, hi) and hands the count on as a
 * pointer result (a malloc'd integer, freed by dagrun with free()). */
static int count_primes(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *args = dr_call_args(call);
    json_int_t lo = json_integer_value(json_object_get(args, "lo"));
    json_int_t hi = json_integer_value(json_object_get(args, "hi"));
    if (lo < 0 || hi < lo)
        return dr_call_fail(call, "bad range [%lld, %lld)", (long long)lo,
                            (long long)hi);
    uint64_t *count = malloc(sizeof(*count));
    if (count == NULL)
        return dr_call_fail(call, "out of memory");
    *count = 0;
    for (json_int_t n = lo; n < hi; n++) {
        if ((n & 4095) == 0 && dr_call_cancelled(call)) {
            free(count);
            return dr_call_fail(call, "cancelled");
        }
        *count += is_prime((uint64_t)n);
    }
    dr_call_set_ptr(call, count, free, sizeof(*count));
    return 0;
}

/* The reduction: adds its dependencies' counts; a JSON result so the
 * caller can read it after the run. */
static int add_counts(dr_call *call, void *user_data) {
    (void)user_data;
    json_int_t total = 0;
    for (size_t i = 0; i < dr_call_ninputs(call); i++) {
        const uint64_t *c = dr_call_input_ptr(call, i);
        if (c == NULL)
            return dr_call_fail(call, "input '%s' has no count",
                                dr_call_input_key(call, i));
        total += (json_int_t)*c;
    }
    dr_call_set_json(call, json_pack("{sI}", "primes", total));
    return 0;
}

/* Builds the graph in C: chunk-0..chunk-(k-1) -> total. */
static dr_graph *build(long limit, long chunks) {
    dr_graph *g = dr_graph_create();
    dr_task total;
    if (g == NULL || dr_graph_set_name(g, "capi-primes") != 0 ||
        dr_graph_add_task(g, "total", &total) != 0 ||
        dr_task_set_function(g, total, "add_counts", add_counts, NULL, NULL) !=
            0)
        goto fail;
    for (long i = 0; i < chunks; i++) {
        char key[32];
        snprintf(key, sizeof(key), "chunk-%ld", i);
        dr_task t;
        json_t *args =
            json_pack("{sIsI}", "lo", (json_int_t)(limit * i / chunks), "hi",
                      (json_int_t)(limit * (i + 1) / chunks));
        int rc = args == NULL ? DR_ENOMEM : dr_graph_add_task(g, key, &t);
        if (rc == 0)
            rc = dr_task_set_function(g, t, "count_primes", count_primes, NULL,
                                      args);
        json_decref(args); /* the graph took its own reference */
        if (rc != 0 || dr_graph_add_dep(g, total, t) != 0)
            goto fail;
    }
    return g;
fail:
    fprintf(stderr, "capi: cannot build the graph\n");
    dr_graph_destroy(g);
    return NULL;
}

/* Runs g and prints the total; returns the exit status. */
static int run_and_print(dr_graph *g, unsigned workers, const dr_ops *ops,
                         long limit, const char *how) {
    dr_run_options opts;
    dr_run_options_init(&opts);
    opts.workers = workers;
    opts.ops = ops;
    dr_error err;
    dr_run *run = dr_run_graph(g, &opts, &err);
    if (run == NULL) {
        fprintf(stderr, "capi: %s\n", err.text);
        return 1;
    }
    int status = 1;
    json_t *r = dr_run_task_result(run, dr_graph_find(g, "total"));
    if (dr_run_status(run) == 0 && r != NULL) {
        printf("primes below %ld: %lld (%s, %u workers, %.3f s)\n", limit,
               (long long)json_integer_value(json_object_get(r, "primes")), how,
               workers, dr_run_makespan(run));
        status = 0;
    } else {
        fprintf(stderr, "capi: the run failed (%s)\n",
                dr_strerror(dr_run_status(run)));
    }
    dr_run_destroy(run);
    return status;
}

int main(int argc, char **argv) {
    unsigned workers = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2;
    long limit = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    long chunks = argc > 3 ? strtol(argv[3], NULL, 10) : 8;
    if (workers < 1 || limit < 1 || chunks < 1 || chunks > limit) {
        fprintf(stderr, "usage: %s [WORKERS [LIMIT [CHUNKS]]]\n", argv[0]);
        return 2;
    }

    /* 1. A graph built in C with function pointers. */
    dr_graph *g = build(limit, chunks);
    if (g == NULL)
        return 1;
    int status = run_and_print(g, workers, NULL, limit, "built in C");
    dr_graph_destroy(g);

    /* 2. The same graph described in JSON, naming registered ops. */
    dr_ops *ops = dr_ops_create();
    if (ops == NULL ||
        dr_ops_register(ops, "count_primes", count_primes, NULL) != 0 ||
        dr_ops_register(ops, "add_counts", add_counts, NULL) != 0) {
        dr_ops_destroy(ops);
        return 1;
    }
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"dagrun\": 1, \"name\": \"capi-primes-json\",\n"
             " \"params\": {\"limit\": %ld, \"k\": %ld},\n"
             " \"tasks\": [\n"
             "  {\"id\": \"chunk-{i}\", \"range\": {\"i\": \"k\"},\n"
             "   \"op\": \"count_primes\",\n"
             "   \"args\": {\"lo\": \"{limit*i/k}\","
             " \"hi\": \"{limit*(i+1)/k}\"}},\n"
             "  {\"id\": \"total\", \"op\": \"add_counts\",\n"
             "   \"deps\": [{\"all\": \"chunk-{i}\"}]}]}\n",
             limit, chunks);
    dr_load_options lo = {.ops = ops};
    dr_error err;
    g = dr_graph_load_buffer(text, strlen(text), "capi.json", &lo, &err);
    if (g == NULL) {
        fprintf(stderr, "capi: %s\n", err.text);
        status = 1;
    } else {
        status |= run_and_print(g, workers, ops, limit, "loaded from JSON");
    }
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
    return status;
}
