/*
 * `dagrun run --executor mpi` for real, under Open MPI's mpirun with three
 * ranks on this one machine (rank 0 schedules, ranks 1 and 2 run the
 * tasks): results, commands on the worker ranks, the start-up checks, a
 * worker rank killed with kill -9 and the --resume after it, and mpirun
 * stopped by a signal.  No mock of MPI: a build without MPI, or a machine
 * without mpirun, skips these tests.
 */
#include "support.h"

#include <dagrun/run.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mpirun on PATH, or NULL. */
static char *mpirun_path(void) {
    const char *path = getenv("PATH");
    if (path == NULL)
        return NULL;
    char *copy = strdup(path);
    char *save = NULL, *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *p = drt_fmt("%s/mpirun", d);
        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(copy);
    return found;
}

static char *mpirun_or_skip(void) {
    if (!dr_mpi_available())
        cr_skip_test("this dagrun was built without MPI");
    char *m = mpirun_path();
    if (m == NULL)
        cr_skip_test("no mpirun on PATH");
    return m;
}

/* Starts `mpirun --oversubscribe --allow-run-as-root <args>` in dir, with
 * its output in dir/stdout and dir/stderr. */
static pid_t start_mpirun(const char *dir, char *const args[]) {
    char *m = mpirun_or_skip();
    char *argv[64];
    size_t n = 0;
    argv[n++] = m;
    argv[n++] = "--oversubscribe";
    argv[n++] = "--allow-run-as-root";
    /* Its session folder under dir, not the /tmp/ompi.HOST.UID every
     * mpirun shares: two mpiruns at once (Criterion's two jobs, another
     * build's tests) race there, one removing it as the other makes it. */
    argv[n++] = "--mca";
    argv[n++] = "orte_tmpdir_base";
    argv[n++] = (char *)dir;
    for (size_t i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    /* Under ASan, leak checking is off for the ranks: Open MPI keeps what
     * its start-up allocates, in libraries and components built without
     * frame pointers, so its leaks cannot be told from ours by their
     * stacks.  Memory errors are still caught. */
    const char *asan = getenv("ASAN_OPTIONS");
    char *opt = drt_fmt("ASAN_OPTIONS=%s%sdetect_leaks=0", asan ? asan : "",
                        asan && *asan ? ":" : "");
    char **env = drt_env_with(opt);
    pid_t pid = drt_start(dir, m, argv, env, "stdout", "stderr");
    free(env);
    free(opt);
    return pid;
}

/* Runs mpirun to its end (2 minutes at most); returns its exit code. */
static int run_mpirun(const char *dir, char *const args[]) {
    pid_t pid = start_mpirun(dir, args);
    int status;
    cr_assert_eq(drt_reap(pid, 120, &status), 0, "mpirun did not end");
    return drt_exit_code(status);
}

#define CLI DR_CLI

static json_t *load_json(const char *dir, const char *name) {
    char *p = drt_fmt("%s/%s", dir, name);
    json_t *j = json_load_file(p, 0, NULL);
    free(p);
    return j;
}

Test(mpi, lecture_runs_on_two_worker_ranks, .timeout = 180) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *args[] = {"-np", "3",  CLI, "run", lecture, "--executor",
                    "mpi", "-w", "2", "-o",  "out",   NULL};
    int rc = run_mpirun(dir, args);
    char *err = drt_text_in(dir, "stderr");
    char *out = drt_text_in(dir, "stdout");
    cr_assert_eq(rc, 0, "exit %d\n%s\n%s", rc, out, err);
    cr_expect(strstr(out, "Executor: mpi") != NULL, "%s", out);
    json_t *s = load_json(dir, "out/summary.json");
    cr_assert_not_null(s, "no summary.json");
    cr_expect_str_eq(json_string_value(json_object_get(s, "executor")), "mpi");
    /* Two worker ranks with two slots each. */
    cr_expect_eq(json_integer_value(json_object_get(s, "workers")), 4);
    json_decref(s);
    json_t *t = load_json(dir, "out/trace.json");
    cr_expect_not_null(t, "trace.json is not whole JSON");
    json_decref(t);
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");
    drt_rmtree(dir);
}

/* The same graph gives the same results as under threads (pi's chunks are
 * seeded by their index). */
Test(mpi, pi_gives_the_threads_result, .timeout = 180) {
    char *dir = drt_tmpdir();
    char *pi = drt_fmt("%s/examples/pi.json", DR_SOURCE_DIR);
    char *args[] = {"-np",
                    "3",
                    CLI,
                    "run",
                    pi,
                    "--executor",
                    "mpi",
                    "-w",
                    "1",
                    "--set",
                    "samples=200000",
                    "--no-outputs",
                    "-q",
                    "--output",
                    "reduce",
                    NULL};
    int rc = run_mpirun(dir, args);
    char *mpi_out = drt_text_in(dir, "stdout");
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, mpi_out,
                 drt_text_in(dir, "stderr"));
    char *out = NULL, *err = NULL;
    int trc = drt_cli(&out, &err,
                      "run %s -w 2 --set samples=200000 --no-outputs -q "
                      "--output reduce",
                      pi);
    cr_assert_eq(trc, 0, "%s", err);
    cr_expect(strstr(mpi_out, "reduce") != NULL, "%s", mpi_out);
    cr_expect_str_eq(mpi_out, out);
    drt_rmtree(dir);
}

static const char *cmd_graph =
    "{\"dagrun\": 1, \"name\": \"cmds\", \"tasks\": ["
    "{\"id\": \"where\", \"shell\": \"echo $OMPI_COMM_WORLD_RANK > rank.txt\"},"
    "{\"id\": \"bad\", \"shell\": \"echo oops >&2; exit 3\", \"deps\": "
    "[\"where\"]},"
    "{\"id\": \"slow\", \"shell\": \"sleep 30\", \"timeout\": 0.5}"
    "]}";

Test(mpi, commands_run_on_the_worker_ranks, .timeout = 180) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_write_file(drt_fmt("%s/g.json", dir), cmd_graph), 0);
    char *args[] = {"-np",        "3",   CLI,  "run", "g.json",
                    "--executor", "mpi", "-w", "1",   "--keep-going",
                    "-o",         "out", NULL};
    int rc = run_mpirun(dir, args);
    char *out = drt_text_in(dir, "stdout");
    cr_expect_neq(rc, 0, "two tasks fail");
    char *rank = drt_text_in(dir, "rank.txt");
    cr_assert_not_null(rank, "the command did not run\n%s", out);
    cr_expect(strcmp(rank, "1\n") == 0 || strcmp(rank, "2\n") == 0,
              "the command ran on rank %s", rank);
    cr_expect(strstr(out, "exit status 3") != NULL, "%s", out);
    /* Its stderr tail, read by rank 0 from the run folder. */
    cr_expect(strstr(out, "    | oops") != NULL, "%s", out);
    cr_expect(strstr(out, "timed out after 0.5 s") != NULL, "%s", out);
    char *log = drt_text_in(dir, "out/logs/bad.err");
    cr_expect(log != NULL && strstr(log, "oops") != NULL,
              "bad's stderr is not in the run folder");
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");
    drt_rmtree(dir);
}

Test(mpi, without_mpirun_it_says_how_to_start, .timeout = 60) {
    if (!dr_mpi_available())
        cr_skip_test("built without MPI");
    char *out = NULL, *err = NULL;
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    int rc = drt_cli(&out, &err, "run %s --executor mpi --no-outputs", lecture);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "mpirun -np 3 dagrun run GRAPH --executor mpi") !=
                  NULL,
              "%s", err);
}

Test(mpi, one_rank_is_not_enough, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *args[] = {"-np",   "1",          CLI,   "run",
                    lecture, "--executor", "mpi", "--no-outputs",
                    NULL};
    int rc = run_mpirun(dir, args);
    char *err = drt_text_in(dir, "stderr");
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "needs worker ranks besides rank 0") != NULL, "%s",
              err);
    drt_rmtree(dir);
}

/* mpirun's MPMD form gives rank 2 another graph file. */
Test(mpi, a_rank_with_another_graph_is_named, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *pi = drt_fmt("%s/examples/pi.json", DR_SOURCE_DIR);
    char *args[] = {"-np",
                    "2",
                    CLI,
                    "run",
                    lecture,
                    "--executor",
                    "mpi",
                    "--no-outputs",
                    ":",
                    "-np",
                    "1",
                    CLI,
                    "run",
                    pi,
                    "--executor",
                    "mpi",
                    "--no-outputs",
                    NULL};
    int rc = run_mpirun(dir, args);
    char *err = drt_text_in(dir, "stderr");
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "rank 2 (pid ") != NULL, "%s", err);
    cr_expect(strstr(err, "loaded another graph ('pi'") != NULL, "%s", err);
    /* Said once, by rank 0, not by every rank. */
    char *first = strstr(err, "loaded another graph");
    cr_expect(first != NULL &&
                  strstr(first + 1, "loaded another graph") == NULL,
              "%s", err);
    drt_rmtree(dir);
}

Test(mpi, a_rank_of_another_dagrun_is_named, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *args[] = {"-np",
                    "2",
                    CLI,
                    "run",
                    lecture,
                    "--executor",
                    "mpi",
                    "--no-outputs",
                    ":",
                    "-np",
                    "1",
                    "-x",
                    "DAGRUN_TEST_MPI_VERSION=9.9.9",
                    CLI,
                    "run",
                    lecture,
                    "--executor",
                    "mpi",
                    "--no-outputs",
                    NULL};
    int rc = run_mpirun(dir, args);
    char *err = drt_text_in(dir, "stderr");
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "rank 2 (pid ") != NULL &&
                  strstr(err, "runs dagrun 9.9.9") != NULL,
              "%s", err);
    drt_rmtree(dir);
}

/* The pid of rank `rank`'s dagrun running in dir, from its environment;
 * -1 when none. */
static long rank_pid(const char *dir, const char *comm, int rank) {
    char real[PATH_MAX];
    if (realpath(dir, real) == NULL)
        return -1;
    DIR *proc = opendir("/proc");
    struct dirent *e;
    long found = -1;
    char want[64];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    while (proc != NULL && (e = readdir(proc)) != NULL && found < 0) {
        if (strspn(e->d_name, "0123456789") != strlen(e->d_name))
            continue;
        char cwd[PATH_MAX];
        char *link = drt_fmt("/proc/%s/cwd", e->d_name);
        ssize_t len = readlink(link, cwd, sizeof cwd - 1);
        free(link);
        if (len < 0)
            continue;
        cwd[len] = '\0';
        char *cp = drt_fmt("/proc/%s/comm", e->d_name);
        char *c = drt_read_file(cp, NULL);
        free(cp);
        int is = c != NULL && strncmp(c, comm, strlen(comm)) == 0;
        free(c);
        if (strcmp(cwd, real) != 0 || !is)
            continue;
        char *ep = drt_fmt("/proc/%s/environ", e->d_name);
        size_t n = 0;
        char *env = drt_read_file(ep, &n);
        free(ep);
        for (size_t i = 0; env != NULL && i < n; i += strlen(env + i) + 1)
            if (rank < 0 ? strncmp(env + i, "OMPI_COMM_WORLD_RANK=", 21) == 0
                         : strcmp(env + i, want) == 0) {
                found = rank < 0 ? strtol(env + i + 21, NULL, 10)
                                 : strtol(e->d_name, NULL, 10);
                break;
            }
        free(env);
    }
    if (proc != NULL)
        closedir(proc);
    return found;
}

static const char *long_graph =
    "{\"dagrun\": 1, \"name\": \"long\", \"params\": {\"secs\": 60}, "
    "\"tasks\": ["
    "{\"id\": \"quick\", \"op\": \"sleep\", \"args\": {\"ms\": 10}},"
    "{\"id\": \"cmd\", \"shell\": \"sleep {secs}\"},"
    "{\"id\": \"end\", \"op\": \"noop\", \"deps\": [\"quick\", \"cmd\"]}"
    "]}";

Test(mpi, a_killed_worker_rank_is_named_and_resume_goes_on, .timeout = 240) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_write_file(drt_fmt("%s/g.json", dir), long_graph), 0);
    char *args[] = {"-np", "3",  CLI, "run", "g.json", "--executor",
                    "mpi", "-w", "1", "-o",  "out",    NULL};
    pid_t pid = start_mpirun(dir, args);
    /* The command's shell carries its rank's environment. */
    long rank = -1;
    for (int i = 0; i < 3000 && rank < 0; i++) {
        rank = rank_pid(dir, "sleep", -1);
        if (rank < 0)
            drt_nap_ms(10);
    }
    cr_assert_geq(rank, 1, "the command did not start on a worker rank");
    drt_nap_ms(300); /* quick has ended and is in the journal */
    long victim = rank_pid(dir, "dagrun", (int)rank);
    cr_assert_gt(victim, 0);
    cr_assert_eq(kill((pid_t)victim, SIGKILL), 0);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "mpirun did not end");
    char *out = drt_text_in(dir, "stdout");
    char *expect = drt_fmt("worker rank %ld (pid %ld on ", rank, victim);
    cr_expect(strstr(out, expect) != NULL && strstr(out, "died while running "
                                                         "'cmd'") != NULL,
              "%s\n%s", out, drt_text_in(dir, "stderr"));
    json_t *t = load_json(dir, "out/trace.json");
    cr_expect_not_null(t, "trace.json is not whole JSON");
    json_decref(t);
    for (int i = 0; i < 300 && drt_processes_in(dir) > 0; i++)
        drt_nap_ms(10);
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");

    /* A new mpirun goes on from the journal: quick is not run again. */
    char *again[] = {"-np",        "3",        CLI,     "run",    "g.json",
                     "--executor", "mpi",      "-w",    "1",      "-o",
                     "out",        "--resume", "--set", "secs=0", NULL};
    int rc = run_mpirun(dir, again);
    out = drt_text_in(dir, "stdout");
    cr_expect_eq(rc, 0, "%s\n%s", out, drt_text_in(dir, "stderr"));
    json_t *s = load_json(dir, "out/summary.json");
    cr_assert_not_null(s);
    json_t *c = json_object_get(json_object_get(s, "tasks"), "cached_tasks");
    if (c == NULL)
        c = json_object_get(s, "cached_tasks");
    cr_expect_eq(json_integer_value(c), 1, "quick is reused: %s",
                 json_dumps(s, 0));
    json_decref(s);
    drt_rmtree(dir);
}

Test(mpi, a_signal_to_mpirun_writes_the_trace_and_leaves_nothing,
     .timeout = 180) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_write_file(drt_fmt("%s/g.json", dir), long_graph), 0);
    char *args[] = {"-np", "3",  CLI, "run", "g.json", "--executor",
                    "mpi", "-w", "1", "-o",  "out",    NULL};
    pid_t pid = start_mpirun(dir, args);
    for (int i = 0; i < 3000 && rank_pid(dir, "sleep", -1) < 0; i++)
        drt_nap_ms(10);
    drt_nap_ms(200);
    cr_assert_eq(kill(pid, SIGINT), 0);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "mpirun did not end");
    /* Open MPI's mpirun exits 1 after a signal, whatever the ranks say. */
    cr_expect_neq(drt_exit_code(status), 0);
    char *err = drt_text_in(dir, "stderr");
    cr_expect(strstr(err, "dagrun run: interrupted by SIGTERM") != NULL, "%s",
              err);
    json_t *t = load_json(dir, "out/trace.json");
    cr_expect_not_null(t, "trace.json is not whole JSON");
    json_decref(t);
    json_t *s = load_json(dir, "out/summary.json");
    cr_expect_not_null(s, "summary.json is not whole JSON");
    json_decref(s);
    for (int i = 0; i < 300 && drt_processes_in(dir) > 0; i++)
        drt_nap_ms(10);
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");
    drt_rmtree(dir);
}

/* --------------------------------------------------- where results are */

/* The worker of task `key`'s last attempt in dir/out/trace.json; -1. */
static int worker_of(const char *dir, const char *key) {
    json_t *t = load_json(dir, "out/trace.json");
    int w = -1;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(t, "traceEvents"), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *ph = json_string_value(json_object_get(e, "ph"));
        if (name && ph && strcmp(ph, "X") == 0 && strcmp(name, key) == 0)
            w = (int)json_integer_value(
                json_object_get(json_object_get(e, "args"), "worker"));
    }
    json_decref(t);
    return w;
}

/* Six maps of 50,000 numbers each (about 290 KB of JSON), one reduce. */
static const char *map_reduce =
    "{\"dagrun\": 1, \"name\": \"mr\", \"tasks\": ["
    "{\"id\": \"map-{i}\", \"range\": {\"i\": 6}, \"op\": \"array\", "
    "\"args\": {\"n\": 50000}},"
    "{\"id\": \"reduce\", \"op\": \"sum\", \"deps\": [{\"all\": "
    "\"map-{i}\"}]}]}";

static json_t *transfer_of(const char *dir) {
    json_t *s = load_json(dir, "out/summary.json");
    json_t *t = json_incref(json_object_get(s, "transfer"));
    json_decref(s);
    return t;
}

Test(mpi, large_results_stay_on_their_worker_ranks, .timeout = 180) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_write_file(drt_fmt("%s/g.json", dir), map_reduce), 0);
    char *args[] = {"-np",        "3",   CLI,        "run",    "g.json",
                    "--executor", "mpi", "-w",       "1",      "-o",
                    "out",        "-q",  "--output", "reduce", NULL};
    int rc = run_mpirun(dir, args);
    char *out = drt_text_in(dir, "stdout");
    cr_assert_eq(rc, 0, "%s%s", out, drt_text_in(dir, "stderr"));
    /* 50,000 x 49,999 / 2 x 6 */
    cr_expect_str_eq(out, "reduce = 7499850000\n");
    json_t *t = transfer_of(dir);
    /* Only sizes came to rank 0: a few hundred bytes per task. */
    cr_expect_lt(json_integer_value(json_object_get(t, "bytes_received")),
                 10000, "%s", json_dumps(t, 0));
    json_decref(t);

    /* Sent back when asked: every map's result passes through rank 0. */
    char *args2[] = {
        "-np", "3",   "-x",       "DAGRUN_MPI_KEEP_BYTES=1000000000",
        CLI,   "run", "g.json",   "--executor",
        "mpi", "-w",  "1",        "-o",
        "out", "-q",  "--output", "reduce",
        NULL};
    rc = run_mpirun(dir, args2);
    out = drt_text_in(dir, "stdout");
    cr_assert_eq(rc, 0, "%s", drt_text_in(dir, "stderr"));
    cr_expect_str_eq(out, "reduce = 7499850000\n");
    t = transfer_of(dir);
    cr_expect_gt(json_integer_value(json_object_get(t, "bytes_received")),
                 6 * 250000, "%s", json_dumps(t, 0));
    json_decref(t);
    drt_rmtree(dir);
}

/* p (a large result) and q (a sleep) start on the two worker ranks; c needs
 * both and becomes ready when q ends.  The locality rule gives c to p's
 * rank, whose slot is idle, not to q's slot, which asks first. */
static const char *locality_graph =
    "{\"dagrun\": 1, \"name\": \"loc\", \"tasks\": ["
    "{\"id\": \"p\", \"op\": \"array\", \"args\": {\"n\": 50000}, "
    "\"cost\": 1},"
    "{\"id\": \"q\", \"op\": \"sleep\", \"args\": {\"ms\": 400}, \"cost\": 2},"
    "{\"id\": \"c\", \"op\": \"count\", \"deps\": [\"p\", \"q\"]}]}";

Test(mpi, a_task_goes_to_the_rank_that_holds_its_inputs, .timeout = 180) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_write_file(drt_fmt("%s/g.json", dir), locality_graph), 0);
    char *args[] = {"-np", "3", CLI,  "run", "g.json", "--executor", "mpi",
                    "-w",  "1", "-o", "out", "-q",     NULL};
    int rc = run_mpirun(dir, args);
    cr_assert_eq(rc, 0, "%s", drt_text_in(dir, "stderr"));
    int p = worker_of(dir, "p"), q = worker_of(dir, "q"),
        c = worker_of(dir, "c");
    cr_assert(p >= 0 && q >= 0 && p != q, "p on %d, q on %d", p, q);
    cr_expect_eq(c, p, "c ran on worker %d, p's result is on worker %d", c, p);
    /* Without the rule, q's slot, free first, takes c. */
    char *off[] = {"-np", "3",   "-x",     "DAGRUN_MPI_LOCALITY=0",
                   CLI,   "run", "g.json", "--executor",
                   "mpi", "-w",  "1",      "-o",
                   "out", "-q",  NULL};
    rc = run_mpirun(dir, off);
    cr_assert_eq(rc, 0, "%s", drt_text_in(dir, "stderr"));
    cr_expect_eq(worker_of(dir, "c"), worker_of(dir, "q"));
    drt_rmtree(dir);
}

/* ------------------------------------------------------ dagrun scale */

Test(mpi, scale_varies_the_worker_ranks_slots, .timeout = 240) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *args[] = {"-np",        "3",   CLI,  "scale", lecture,
                    "--executor", "mpi", "-w", "1,2,4", "-r",
                    "1",          "-q",  "-o", "sc",    NULL};
    int rc = run_mpirun(dir, args);
    cr_assert_eq(rc, 0, "%s%s", drt_text_in(dir, "stdout"),
                 drt_text_in(dir, "stderr"));
    json_t *s = load_json(dir, "sc/scaling.json");
    cr_assert_not_null(s);
    json_t *pts = json_object_get(s, "points");
    cr_expect_eq(json_array_size(pts), 3, "%s", json_dumps(s, 0));
    json_decref(s);
    /* Each run's summary: the slots of the worker ranks it used. */
    json_t *p4 = load_json(dir, "sc/summary-P4.json");
    cr_expect_eq(json_integer_value(json_object_get(p4, "workers")), 4);
    cr_expect_str_eq(json_string_value(json_object_get(p4, "executor")), "mpi");
    json_decref(p4);

    /* Two worker ranks with a slot per core: far fewer than 1000. */
    char *more[] = {"-np",        "3",   CLI,  "scale",  lecture,
                    "--executor", "mpi", "-w", "1,1000", "-r",
                    "1",          "-q",  "-o", "sc2",    NULL};
    rc = run_mpirun(dir, more);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(drt_text_in(dir, "stderr"),
                     "1000 workers asked for, but the worker ranks have ") !=
                  NULL,
              "%s", drt_text_in(dir, "stderr"));

    char *weak[] = {"-np", "3",  CLI,    "scale", lecture, "--executor",
                    "mpi", "-m", "weak", "-q",    NULL};
    rc = run_mpirun(dir, weak);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(drt_text_in(dir, "stderr"),
                     "--executor mpi scales strongly only") != NULL);
    drt_rmtree(dir);
}

/* A dry run under mpirun ends: rank 0 prints the plan, the worker ranks
 * do not wait for a run that never comes. */
Test(mpi, a_dry_run_under_mpirun_ends, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *lecture = drt_fmt("%s/examples/lecture.json", DR_SOURCE_DIR);
    char *args[] = {"-np", "3",  CLI,   "run",       lecture, "--executor",
                    "mpi", "-o", "out", "--dry-run", NULL};
    int rc = run_mpirun(dir, args);
    char *out = drt_text_in(dir, "stdout");
    cr_expect_eq(rc, 0, "%s%s", out, drt_text_in(dir, "stderr"));
    cr_expect(strstr(out, "dry run: 6 of 6 tasks would run") != NULL, "%s",
              out);
    drt_rmtree(dir);
}
