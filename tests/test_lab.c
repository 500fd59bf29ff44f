/*
 * The classroom lab (docs/lab.md) must work as written: every command in
 * its ```sh blocks is run, step by step, and must exit with 0.  Lines that
 * start with "dagrun " run the dagrun under test (drt_cli, "dagrun "
 * stripped, the π examples shrunk by shrink()); other lines (mkdir, grep)
 * run through /bin/sh.
 *
 * Every simulated `scale` must replay real durations: its scaling.json has
 * no warning about tasks without a cost.
 *
 * Each step runs in its own scratch folder that mirrors the source tree's
 * root (symbolic links to examples/ and tests/), so the commands' relative
 * paths work as they do for a student at the top of the tree, while their
 * dagrun-out/ stays out of the source tree and steps can run in parallel.
 */
#define _GNU_SOURCE
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The lab's commands: the lines of ```sh blocks, continuation lines joined,
 * each tagged with its step (0 before the first "## N." heading). */
typedef struct lab {
    char **cmd;
    int *step;
    size_t n;
} lab;

static void lab_add(lab *l, char *cmd, int step) {
    l->cmd = realloc(l->cmd, (l->n + 1) * sizeof(*l->cmd));
    l->step = realloc(l->step, (l->n + 1) * sizeof(*l->step));
    cr_assert(l->cmd && l->step);
    l->cmd[l->n] = cmd;
    l->step[l->n++] = step;
}

static lab lab_read(void) {
    char *md = drt_read_file(DR_SOURCE_DIR "/docs/lab.md", NULL);
    cr_assert_not_null(md, "docs/lab.md is missing");
    lab l = {0};
    int step = 0, in_sh = 0;
    char *pending = NULL;
    char *save = NULL;
    for (char *line = strtok_r(md, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "```", 3) == 0) {
            in_sh = !in_sh && strcmp(line, "```sh") == 0;
            continue;
        }
        if (!in_sh) {
            int n;
            if (sscanf(line, "## %d.", &n) == 1)
                step = n;
            continue;
        }
        size_t len = strlen(line);
        int more = len > 0 && line[len - 1] == '\\';
        if (more)
            line[--len] = '\0';
        char *joined = drt_fmt("%s%s", pending ? pending : "", line);
        free(pending);
        pending = NULL;
        if (more) {
            pending = joined;
            continue;
        }
        if (joined[0] == '\0' || joined[0] == '#') {
            free(joined);
            continue;
        }
        lab_add(&l, joined, step);
    }
    free(pending);
    free(md);
    return l;
}

static void lab_free(lab *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->cmd[i]);
    free(l->cmd);
    free(l->step);
}

/* The π examples are sized for a classroom (about a second per run); the
 * test appends a smaller size, which wins because the last --set does. */
static const char *shrink(const char *cmd) {
    if (strstr(cmd, "examples/pi.json") != NULL)
        return " --set samples=2000000";
    if (strstr(cmd, "examples/pi-weak.json") != NULL)
        return " --set chunk_samples=200000";
    return "";
}

/* The lesson of a simulated experiment depends on the tasks' durations:
 * every one the lab runs must have them (a cost, or --costs), so that its
 * report carries no "tasks without a cost" warning.  Reads the -o folder
 * of a `scale` command (run from the scratch root). */
static void check_scale_costs(const char *cmd) {
    if (strncmp(cmd, "dagrun scale ", 13) != 0)
        return;
    const char *o = strstr(cmd, " -o ");
    cr_assert_not_null(o, "`%s` has no -o", cmd);
    o += 4;
    char *dir = strndup(o, strcspn(o, " "));
    char *path = drt_fmt("%s/scaling.json", dir);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    cr_assert_not_null(j, "%s: %s", path, e.text);
    if (json_is_true(json_object_get(j, "simulated")))
        cr_assert(json_is_null(json_object_get(j, "warning")), "`%s`: %s", cmd,
                  json_string_value(json_object_get(j, "warning")));
    json_decref(j);
    free(path);
    free(dir);
}

/* Runs the set-up lines (step 0) and then the lines of `step`. */
static void run_step(int step) {
    lab l = lab_read();
    char *root = drt_tmpdir();
    char *ex = drt_fmt("%s/examples", root), *te = drt_fmt("%s/tests", root);
    cr_assert_eq(symlink(DR_SOURCE_DIR "/examples", ex), 0);
    cr_assert_eq(symlink(DR_SOURCE_DIR "/tests", te), 0);
    cr_assert_eq(chdir(root), 0);
    size_t ran = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.step[i] != 0 && l.step[i] != step)
            continue;
        char *err = NULL;
        int rc;
        if (strncmp(l.cmd[i], "dagrun ", 7) == 0) {
            rc = drt_cli(NULL, &err, "%s%s", l.cmd[i] + 7, shrink(l.cmd[i]));
        } else {
            char *quiet = drt_fmt("(%s) >/dev/null", l.cmd[i]);
            rc = system(quiet);
            free(quiet);
            rc = rc == -1 ? -1 : WEXITSTATUS(rc);
        }
        cr_assert_eq(rc, 0, "step %d: `%s` exited %d\n%s", step, l.cmd[i], rc,
                     err ? err : "");
        free(err);
        check_scale_costs(l.cmd[i]);
        ran += l.step[i] == step;
    }
    cr_assert_gt(ran, 0, "step %d has no commands", step);
    cr_assert_eq(chdir("/"), 0);
    drt_rmtree(root);
    free(ex);
    free(te);
    free(root);
    lab_free(&l);
}

Test(lab, has_seven_steps_with_commands) {
    lab l = lab_read();
    int seen[8] = {0};
    for (size_t i = 0; i < l.n; i++) {
        cr_assert(l.step[i] >= 0 && l.step[i] <= 7);
        seen[l.step[i]]++;
    }
    for (int s = 1; s <= 7; s++)
        cr_assert_gt(seen[s], 0, "step %d has no commands", s);
    lab_free(&l);
}

Test(lab, step_1_threads_versus_cores, .timeout = 300) { run_step(1); }
Test(lab, step_2_critical_path, .timeout = 300) { run_step(2); }
Test(lab, step_3_amdahl, .timeout = 300) { run_step(3); }
Test(lab, step_4_gustafson, .timeout = 300) { run_step(4); }
Test(lab, step_5_granularity, .timeout = 300) { run_step(5); }
Test(lab, step_6_policies_on_a_workflow, .timeout = 300) { run_step(6); }
Test(lab, step_7_optimal_schedules, .timeout = 300) { run_step(7); }
