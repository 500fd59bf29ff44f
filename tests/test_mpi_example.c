/*
 * examples/mpi/mpi_pi.c, run as docs/mpi.md says: under a real
 * `mpirun -np 3` (rank 0 schedules, ranks 1 and 2 run the tasks), its
 * estimate must be exactly the one `dagrun run examples/pi.json` computes
 * on threads from the same seeds and split; and ranks that built another
 * graph are refused at start-up, naming the rank.  Built only when CMake
 * found MPI (tests/CMakeLists.txt); skipped when mpirun is not on PATH.
 *
 * Each mpirun carries a mark in its environment, which mpirun hands to the
 * ranks it starts: after the job, no process with the mark may be left
 * (a rank that outlived mpirun would be a bug of the example or of the
 * executor), and any such process is killed so that the test leaves the
 * machine clean.
 */
#define _GNU_SOURCE
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DR_MPI_PI_EXAMPLE
#define DR_MPI_PI_EXAMPLE DR_BUILD_DIR "/examples/dagrun_mpi_pi_example"
#endif

/* mpirun on PATH, new; NULL when there is none. */
static char *find_mpirun(void) {
    const char *path = getenv("PATH");
    if (path == NULL)
        return NULL;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char *cand = drt_fmt("%.*s/mpirun", (int)n, n ? p : ".");
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += n;
        if (*p == ':')
            p++;
    }
    return NULL;
}

typedef struct job {
    int code;
    char *out, *err;
} job;

/*
 * Runs `mpirun --oversubscribe --allow-run-as-root ARGS` (3 ranks on a
 * 2-core machine need --oversubscribe; a container runs as root) in a new
 * scratch folder, for at most 120 s, then checks that nothing it started
 * is left.  Open MPI's own allocations are reported as leaks by
 * LeakSanitizer in a sanitizer build, from components it has unloaded
 * (unknown frames no suppression can name), so the ranks run with
 * detect_leaks=0; AddressSanitizer still checks every access.
 */
static job mpirun(const char *mpirun_path, const char *args) {
    char *dir = drt_tmpdir();
    char *mark = drt_fmt("DAGRUN_TEST_MPI_MARK=%ld", (long)getpid());
    char **env = drt_env_with(mark);
    const char *asan = getenv("ASAN_OPTIONS");
    char *asan_opts = drt_fmt("ASAN_OPTIONS=%s%sdetect_leaks=0",
                              asan ? asan : "", asan && *asan ? ":" : "");
    for (size_t i = 0; env[i] != NULL; i++)
        if (strncmp(env[i], "ASAN_OPTIONS=", 13) == 0)
            env[i] = "DAGRUN_TEST_UNUSED=1";
    size_t n = 0;
    while (env[n] != NULL)
        n++;
    char **env2 = malloc((n + 2) * sizeof *env2);
    cr_assert_not_null(env2);
    memcpy(env2, env, n * sizeof *env2);
    env2[n] = asan_opts;
    env2[n + 1] = NULL;
    /* Its session folder in dir, not in the /tmp/ompi.HOST.UID that every
     * mpirun shares: two at once race there (test_exec_mpi.c). */
    char *cmd = drt_fmt("exec '%s' --oversubscribe --allow-run-as-root "
                        "--mca orte_tmpdir_base '%s' %s",
                        mpirun_path, dir, args);
    char *const argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid = drt_start(dir, "/bin/sh", argv, env2, "out", "err");
    int status = 0;
    int timed_out = drt_reap(pid, 120, &status) != 0;
    char who[1024] = "";
    int left = drt_wait_unmarked(mark, who, sizeof who);
    if (left > 0)
        drt_marked(mark, SIGKILL, NULL, 0);
    job j = {drt_exit_code(status), drt_text_in(dir, "out"),
             drt_text_in(dir, "err")};
    cr_assert(!timed_out, "mpirun %s: still running after 120 s\n%s%s", args,
              j.out, j.err);
    cr_expect_eq(left, 0, "mpirun %s left processes behind: %s", args, who);
    free(cmd);
    free(env2);
    free(env);
    free(asan_opts);
    free(mark);
    drt_rmtree(dir);
    free(dir);
    return j;
}

static void job_free(job *j) {
    free(j->out);
    free(j->err);
}

static char *mpirun_or_skip(void) {
    char *m = find_mpirun();
    if (m == NULL)
        cr_skip_test("mpirun is not on PATH (scripts/setup.sh installs "
                     "openmpi-bin)");
    return m;
}

/* The "reduce = {...}" result of `dagrun run examples/pi.json` on threads,
 * with the same samples and chunks. */
static json_t *threads_pi(long samples, long chunks) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run '%s/examples/pi.json' --set samples=%ld --set "
                     "chunks=%ld -w 2 --no-outputs -q --output reduce",
                     DR_SOURCE_DIR, samples, chunks);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    const char *p = strstr(out, "reduce = ");
    cr_assert_not_null(p, "%s", out);
    p += strlen("reduce = ");
    json_t *r = json_loadb(p, strcspn(p, "\n"), 0, NULL);
    cr_assert_not_null(r, "%s", out);
    free(out);
    free(err);
    return r;
}

Test(mpi_example, pi_on_two_worker_ranks_is_the_threads_estimate,
     .timeout = 300) {
    char *m = mpirun_or_skip();
    char *args = drt_fmt("-np 3 '%s' 400000 8 2", DR_MPI_PI_EXAMPLE);
    job j = mpirun(m, args);
    cr_assert_eq(j.code, 0, "exit %d\n%s%s", j.code, j.out, j.err);

    double estimate = 0;
    long long inside = 0, samples = 0;
    unsigned ranks = 0;
    const char *line = strstr(j.out, "pi ~ ");
    cr_assert_not_null(line, "%s", j.out);
    cr_assert_eq(sscanf(line,
                        "pi ~ %lf: %lld of %lld points inside the quarter "
                        "circle, 8 tasks on %u worker ranks",
                        &estimate, &inside, &samples, &ranks),
                 4, "%s", line);
    cr_expect_eq(samples, 400000);
    cr_expect_eq(ranks, 2);
    cr_expect(estimate > 3.13 && estimate < 3.15, "%s", line);
    /* Every chunk ran on a worker rank, 8 in all. */
    unsigned total = 0;
    for (unsigned k = 1; k <= 2; k++) {
        char *want = drt_fmt("rank %u ran ", k);
        const char *r = strstr(j.out, want);
        cr_assert_not_null(r, "no '%s' in:\n%s", want, j.out);
        unsigned n = 0;
        cr_assert_eq(sscanf(r + strlen(want), "%u", &n), 1);
        total += n;
        free(want);
    }
    cr_expect_eq(total, 8, "%s", j.out);

    /* The same points as on threads: same seeds, same split. */
    json_t *t = threads_pi(400000, 8);
    cr_expect_eq(inside, json_integer_value(json_object_get(t, "inside")),
                 "mpi counted %lld inside, threads %lld", inside,
                 (long long)json_integer_value(json_object_get(t, "inside")));
    json_decref(t);
    job_free(&j);
    free(args);
    free(m);
}

Test(mpi_example, a_rank_with_another_graph_is_refused_by_name,
     .timeout = 300) {
    char *m = mpirun_or_skip();
    /* Rank 2 splits the points into 7 chunks, not 8: another graph. */
    char *args = drt_fmt("-np 2 '%s' 400000 8 2 : -np 1 '%s' 400000 7 2",
                         DR_MPI_PI_EXAMPLE, DR_MPI_PI_EXAMPLE);
    job j = mpirun(m, args);
    cr_expect_neq(j.code, 0, "%s%s", j.out, j.err);
    cr_expect_null(strstr(j.out, "pi ~"), "%s", j.out);
    cr_expect_not_null(strstr(j.err, "mpi_pi: --executor mpi: rank 2 (pid "),
                       "%s", j.err);
    cr_expect_not_null(strstr(j.err, "loaded another graph ('mpi-pi', 8 "
                                     "tasks, 7 edges) than rank 0 ('mpi-pi', "
                                     "9 tasks, 8 edges)"),
                       "%s", j.err);
    job_free(&j);
    free(args);
    free(m);
}

Test(mpi_example, without_mpirun_it_says_how_to_start_it) {
    /* None of the variables by which dr_mpi_rank knows a launcher. */
    char *cmd = drt_fmt("env -u OMPI_COMM_WORLD_RANK -u PMIX_RANK -u PMI_RANK "
                        "-u SLURM_PROCID '%s' "
                        "</dev/null 2>&1",
                        DR_MPI_PI_EXAMPLE);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    int status = pclose(p);
    cr_expect_eq(drt_exit_code(status), 2, "%s", buf);
    cr_expect_not_null(strstr(buf, "not started by mpirun or srun: run it as "
                                   "`mpirun -np 3 "),
                       "%s", buf);
    free(cmd);
}
