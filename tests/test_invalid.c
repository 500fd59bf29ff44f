/*
 * The data-driven suite of bad graphs, after jansson's test/suites/invalid:
 * every folder tests/data/invalid/<case>/ holds one input file (input.json,
 * input.stg, or input.wf.json for a WfCommons instance; the extension picks
 * the format as it does for users) and the error text the loader must give
 * for it (file-relative: "input.json:4:18: task 'reduce': unknown
 * dependency 'map-7'").  Each folder is one parameter of
 * one Criterion test, and every message names the case, so a failure says
 * which input broke.  Adding a case needs no code.
 */
#include "dagrun.h"
#include "support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define INVALID_DIR DR_TEST_DATA "/invalid"

typedef struct invalid_case {
    char name[128];
} invalid_case;

static int by_name(const void *a, const void *b) {
    return strcmp(((const invalid_case *)a)->name,
                  ((const invalid_case *)b)->name);
}

static size_t list_cases(invalid_case *out, size_t cap) {
    DIR *d = opendir(INVALID_DIR);
    size_t n = 0;
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(out->name))
            continue;
        if (out != NULL && n < cap)
            strcpy(out[n].name, e->d_name);
        n++;
    }
    closedir(d);
    if (out != NULL)
        qsort(out, n < cap ? n : cap, sizeof(*out), by_name);
    return n;
}

static void free_cases(struct criterion_test_params *crp) {
    cr_free(crp->params);
}

ParameterizedTestParameters(invalid, input_is_rejected_with_expected_error) {
    size_t n = list_cases(NULL, 0);
    invalid_case *cases = cr_malloc((n ? n : 1) * sizeof(*cases));
    n = list_cases(cases, n);
    return cr_make_param_array(invalid_case, cases, n, free_cases);
}

/* The name of the case's input file ("input.json", "input.stg", ...); new
 * string, NULL when there is none. */
static char *input_name(const char *name) {
    char *dir = drt_fmt("%s/%s", INVALID_DIR, name);
    DIR *d = opendir(dir);
    free(dir);
    char *found = NULL;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (found == NULL && strncmp(e->d_name, "input.", 6) == 0)
            found = strdup(e->d_name);
    if (d != NULL)
        closedir(d);
    return found;
}

/* The expected text without its trailing newline; new string. */
static char *expected_error(const char *name) {
    char *path = drt_fmt("%s/%s/expected-error", INVALID_DIR, name);
    char *text = drt_read_file(path, NULL);
    free(path);
    if (text != NULL) {
        size_t n = strlen(text);
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            text[--n] = '\0';
    }
    return text;
}

ParameterizedTest(invalid_case *c, invalid,
                  input_is_rejected_with_expected_error) {
    char *want = expected_error(c->name);
    cr_assert_not_null(want, "case '%s': no expected-error file", c->name);
    cr_assert(want[0] != '\0', "case '%s': expected-error is empty", c->name);

    char *name = input_name(c->name);
    cr_assert_not_null(name, "case '%s': no input.* file", c->name);
    char *path = drt_fmt("%s/%s/%s", INVALID_DIR, c->name, name);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_expect_null(g, "case '%s': the loader accepted the input", c->name);
    dr_graph_destroy(g);
    cr_expect_neq(err.code, 0, "case '%s': no error code", c->name);
    cr_expect(strstr(err.text, want) != NULL,
              "case '%s':\n  expected: %s\n  got:      %s", c->name, want,
              err.text);

    /* The same text from memory gives the same message. */
    size_t len = 0;
    char *text = drt_read_file(path, &len);
    cr_assert_not_null(text, "case '%s': cannot read input", c->name);
    dr_error_clear(&err);
    g = dr_graph_load_buffer(text, len, name, NULL, &err);
    cr_expect_null(g, "case '%s': the buffer loader accepted it", c->name);
    dr_graph_destroy(g);
    cr_expect(strstr(err.text, want) != NULL,
              "case '%s' (from memory):\n  expected: %s\n  got:      %s",
              c->name, want, err.text);
    free(text);
    free(path);
    free(name);
    free(want);
}

Test(invalid, suite_has_at_least_25_cases) {
    size_t n = list_cases(NULL, 0);
    cr_expect_geq(n, 25, "only %zu cases in %s", n, INVALID_DIR);
}

Test(invalid, validate_cli_exits_2_and_prints_the_position) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "validate %s/unknown_dependency/input.json",
                     INVALID_DIR);
    cr_expect_eq(rc, 2, "exit %d, stderr: %s", rc, err);
    cr_expect(strstr(err, "input.json:5:40: task 'reduce': unknown dependency "
                          "'map-7'") != NULL,
              "stderr: %s", err);
    free(out);
    free(err);
}
