/*
 * Small CLI wordings from the acceptance tester: convert's "1 task"
 * (not "1 tasks"), validate refusing a graph whose costs add up past
 * DBL_MAX as analyze and run -s do, and --cost-scale saying what it
 * accepts, "a positive finite number", for 0 as for 1e400.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(cli_messages, convert_says_1_task_and_1_dependency) {
    char *dir = drt_tmpdir();
    char *out = NULL, *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "gen chain --set n=1 -o %s/one.json && %s gen chain "
                     "--set n=2 -o %s/two.json",
                     dir, drt_cli_path(), dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    rc = drt_cli(&out, &err, "convert %s/one.json -o %s/c.json", dir, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "1 task, 0 dependencies") != NULL, "%s", out);
    free(out);
    free(err);
    rc = drt_cli(&out, &err, "convert %s/two.json -o %s/d.json", dir, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "2 tasks, 1 dependency ") != NULL, "%s", out);
    free(out);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(cli_messages, validate_refuses_costs_that_add_up_past_dbl_max) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/huge.json", dir);
    cr_assert_eq(drt_write_file(path, "{\"name\": \"huge\", \"tasks\": ["
                                      "{\"id\": \"a\", \"cost\": 1e308},"
                                      "{\"id\": \"b\", \"cost\": 1e308, "
                                      "\"deps\": [\"a\"]}]}\n"),
                 0);
    char *out = NULL, *verr = NULL, *aerr = NULL;
    int rc = drt_cli(&out, &verr, "validate %s", path);
    cr_expect_eq(rc, 2, "validate said: %s", out);
    cr_expect(strstr(out, "ok") == NULL, "%s", out);
    cr_expect(strstr(verr, path) != NULL &&
                  strstr(verr, "add up to more than") != NULL,
              "%s", verr);
    free(out);
    /* The same words as analyze. */
    rc = drt_cli(NULL, &aerr, "analyze %s", path);
    cr_expect_eq(rc, 2);
    const char *v = strstr(verr, path), *a = strstr(aerr, path);
    cr_expect(v != NULL && a != NULL && strcmp(v, a) == 0, "%s / %s", verr,
              aerr);
    free(verr);
    free(aerr);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(cli_messages, cost_scale_says_it_wants_a_positive_finite_number) {
    static const char *const bad[] = {"0", "1e400", "-1", "nan", "x", "1e-400"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int scale = 0; scale < 2; scale++) {
            char *err = NULL;
            int rc = drt_cli(NULL, &err,
                             "%s %s/examples/lecture.json -s --cost-scale=%s",
                             scale ? "scale" : "run", DR_SOURCE_DIR, bad[i]);
            cr_expect_eq(rc, 2, "%s", err);
            char *want = drt_fmt("--cost-scale: expected a positive finite "
                                 "number, got '%s'",
                                 bad[i]);
            cr_expect(strstr(err, want) != NULL, "%s --cost-scale %s: %s",
                      scale ? "scale" : "run", bad[i], err);
            free(want);
            free(err);
        }
    }
}
