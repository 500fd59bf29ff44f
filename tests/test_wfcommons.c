/*
 * The WfCommons reader (graph/wfcommons.c): real WfFormat 1.4 and 1.5
 * traces load with the right shape and runtimes, both layouts of the same
 * run give the same graph, and broken instances are reported naming the
 * task.
 */
#include "formats_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WF_DIR DR_TEST_DATA "/wfcommons"
#define EPI "epigenomics-chameleon-hep-1seq-100k-001.json"

static dr_graph *load_text(const char *text, const char *source,
                           dr_error *err) {
    dr_error_clear(err);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    cr_assert_not_null(root, "%s: %s", source, jerr.text);
    cr_expect(dr__is_wfcommons(root), "%s: not detected as WfCommons", source);
    dr_graph *g =
        dr__load_wfcommons(root, text, strlen(text), source, NULL, err);
    json_decref(root);
    return g;
}

static dr_graph *load_file(const char *name) {
    char *path = drt_fmt("%s/%s", WF_DIR, name);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    dr_error err;
    dr_graph *g = load_text(text, path, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    free(text);
    free(path);
    return g;
}

static double work_of(const dr_graph *g) {
    double w = 0;
    for (size_t t = 0; t < dr_graph_ntasks(g); t++)
        w += dr_task_cost(g, (dr_task)t);
    return w;
}

typedef struct known_shape {
    const char *file;
    size_t tasks, edges;
    double work;
    const char *name;
    size_t width;
} known_shape;

/* Counted independently with Python's json module from the same files; the
 * widths by transitive closure and bipartite matching in Python. */
static const known_shape shapes[] = {
    {"helloworld-chain-5-chameleon.json", 5, 4, -1, NULL, 1},
    {"helloworld-forkjoin-10-chameleon.json", 10, 16, 1028.704, NULL, 8},
    {"montage-chameleon-2mass-005d-001.json", 58, 114, 221.726, "montage", 18},
    {EPI, 41, 48, 539.307, "genome-dax-0", 9},
    {"v1.4/" EPI, 41, 48, 539.307, "genome-dax-0", 9},
};

Test(wfcommons, samples_have_the_known_task_counts_edges_and_work) {
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        const known_shape *s = &shapes[i];
        dr_graph *g = load_file(s->file);
        cr_expect_eq(dr_graph_ntasks(g), s->tasks, "%s: %zu tasks", s->file,
                     dr_graph_ntasks(g));
        cr_expect_eq(dr_graph_nedges(g), s->edges, "%s: %zu edges", s->file,
                     dr_graph_nedges(g));
        if (s->work >= 0)
            cr_expect(fabs(work_of(g) - s->work) < 1e-6, "%s: work %.9g",
                      s->file, work_of(g));
        if (s->name != NULL)
            cr_expect_str_eq(dr_graph_name(g), s->name);
        dr_analysis *a = dr_analyze(g, NULL, NULL);
        cr_assert_not_null(a);
        cr_expect_eq(a->width, s->width, "%s: width %zu", s->file, a->width);
        dr_analysis_destroy(a);
        for (size_t t = 0; t < dr_graph_ntasks(g); t++) {
            cr_expect(dr_task_has_cost(g, (dr_task)t), "%s: %s has no runtime",
                      s->file, dr_task_key(g, (dr_task)t));
            cr_expect_eq(dr_task_op_kind(g, (dr_task)t), DR_OP_NONE);
        }
        dr_graph_destroy(g);
    }
}

Test(wfcommons, chain_runtimes_become_costs_and_the_span_is_the_work) {
    dr_graph *g = load_file("helloworld-chain-5-chameleon.json");
    dr_task first = dr_graph_find(g, "cpuhog_chain_00000001");
    cr_assert_neq(first, DR_TASK_NONE);
    cr_expect_eq(dr_task_cost(g, first), 100.376);
    dr_analysis *a = dr_analyze(g, NULL, NULL);
    cr_assert_not_null(a);
    cr_expect_eq(a->critical_path_len, 5);
    cr_expect(fabs(a->span - a->work) < 1e-9);
    cr_expect_eq(a->width, 1);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(wfcommons, forkjoin_has_its_fan_as_width) {
    dr_graph *g = load_file("helloworld-forkjoin-10-chameleon.json");
    dr_analysis *a = dr_analyze(g, NULL, NULL);
    cr_assert_not_null(a);
    /* One fork, eight parallel tasks, one join. */
    cr_expect_eq(a->width, 8);
    cr_expect_eq(a->depth, 3);
    cr_expect_eq(a->sources, 1);
    cr_expect_eq(a->sinks, 1);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(wfcommons, format_1_4_and_1_5_of_the_same_run_give_the_same_graph) {
    dr_graph *g15 = load_file(EPI);
    dr_graph *g14 = load_file("v1.4/" EPI);
    cr_expect_eq(dr_graph_ntasks(g14), dr_graph_ntasks(g15));
    cr_expect_eq(dr_graph_nedges(g14), dr_graph_nedges(g15));
    cr_expect(fabs(work_of(g14) - work_of(g15)) < 1e-9);
    /* Same keys, dependencies and costs; only the description (who made
     * the trace) differs. */
    dr_graph_set_description(g14, "");
    dr_graph_set_description(g15, "");
    char why[256] = "";
    cr_expect(dr_graph_equal(g14, g15, why, sizeof(why)), "%s", why);
    dr_analysis *a14 = dr_analyze(g14, NULL, NULL);
    dr_analysis *a15 = dr_analyze(g15, NULL, NULL);
    cr_assert(a14 != NULL && a15 != NULL);
    cr_expect_eq(a14->span, a15->span);
    cr_expect_eq(a14->width, a15->width);
    dr_analysis_destroy(a14);
    dr_analysis_destroy(a15);
    dr_graph_destroy(g14);
    dr_graph_destroy(g15);
}

Test(wfcommons, detection_rejects_a_dagrun_graph) {
    json_t *j = json_pack("{s:[]}", "tasks");
    cr_expect_not(dr__is_wfcommons(j));
    json_decref(j);
    j = json_pack("{s:s}", "workflow", "x");
    cr_expect_not(dr__is_wfcommons(j));
    json_decref(j);
    j = json_pack("[]");
    cr_expect_not(dr__is_wfcommons(j));
    json_decref(j);
}

Test(wfcommons, tasks_without_runtime_keep_the_default_cost) {
    const char *text =
        "{\"name\":\"w\",\"schemaVersion\":\"1.5\",\"workflow\":{"
        "\"specification\":{\"tasks\":["
        "{\"id\":\"a\",\"parents\":[]},{\"id\":\"b\",\"parents\":[\"a\"]}]},"
        "\"execution\":{\"tasks\":[{\"id\":\"b\",\"runtimeInSeconds\":2.5}]}}}";
    dr_error err;
    dr_graph *g = load_text(text, "w.json", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_not(dr_task_has_cost(g, dr_graph_find(g, "a")));
    cr_expect_eq(dr_task_cost(g, dr_graph_find(g, "a")), 1.0);
    cr_expect_eq(dr_task_cost(g, dr_graph_find(g, "b")), 2.5);
    cr_expect_str_eq(dr_graph_name(g), "w");
    dr_graph_destroy(g);
}

Test(wfcommons, parents_may_come_after_their_children) {
    const char *text =
        "{\"workflow\":{\"tasks\":["
        "{\"name\":\"late\",\"id\":\"1\",\"parents\":[\"early\"],"
        "\"runtimeInSeconds\":1},"
        "{\"name\":\"early\",\"id\":\"2\",\"parents\":[],\"runtime\":3}]}}";
    dr_error err;
    dr_graph *g = load_text(text, "w.json", &err);
    cr_assert_not_null(g, "%s", err.text);
    size_t n;
    const dr_task *deps = dr_task_deps(g, dr_graph_find(g, "late"), &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(dr_task_key(g, deps[0]), "early");
    cr_expect_eq(dr_task_cost(g, dr_graph_find(g, "early")), 3);
    dr_graph_destroy(g);
}

typedef struct bad_case {
    const char *name, *text, *expected;
} bad_case;

#define V15(tasks, exec)                                                       \
    "{\"schemaVersion\":\"1.5\",\"workflow\":{\"specification\":{"             \
    "\"tasks\":" tasks "},\"execution\":{\"tasks\":" exec "}}}"
#define V14(tasks)                                                             \
    "{\"schemaVersion\":\"1.4\",\"workflow\":{\"tasks\":" tasks "}}"

static const bad_case bad_cases[] = {
    {"unknown parent 1.5",
     V15("[{\"id\":\"a\",\"parents\":[]},{\"id\":\"b\",\"parents\":[\"zz\"]}]",
         "[]"),
     "task 'b': unknown parent 'zz'"},
    {"unknown parent 1.4",
     V14("[{\"name\":\"a\",\"id\":\"ID1\",\"parents\":[\"ID1\"]}]"),
     "task 'a': unknown parent 'ID1'"},
    {"duplicate id",
     V15("[{\"id\":\"a\",\"parents\":[]},{\"id\":\"a\",\"parents\":[]}]", "[]"),
     "task 'a': duplicate task id"},
    {"missing id", V15("[{\"name\":\"a\",\"parents\":[]}]", "[]"),
     "task entry needs a non-empty string \"id\""},
    {"entry not an object", V15("[3]", "[]"), "task entry 0 must be an object"},
    {"parents not an array", V15("[{\"id\":\"a\",\"parents\":\"b\"}]", "[]"),
     "task 'a': \"parents\" must be an array of task ids"},
    {"parent not a string", V15("[{\"id\":\"a\",\"parents\":[1]}]", "[]"),
     "task 'a': each parent must be a string"},
    {"own parent", V15("[{\"id\":\"a\",\"parents\":[\"a\"]}]", "[]"),
     "task 'a': is its own parent"},
    {"negative runtime",
     V15("[{\"id\":\"a\",\"parents\":[]}]",
         "[{\"id\":\"a\",\"runtimeInSeconds\":-1}]"),
     "task 'a': runtimeInSeconds must not be negative"},
    {"runtime not a number",
     V14("[{\"name\":\"a\",\"parents\":[],\"runtimeInSeconds\":\"2\"}]"),
     "task 'a': runtimeInSeconds must be a number"},
    {"execution of unknown task",
     V15("[{\"id\":\"a\",\"parents\":[]}]",
         "[{\"id\":\"q\",\"runtimeInSeconds\":1}]"),
     "task 'q': execution record of a task that is not in "
     "workflow.specification.tasks"},
    {"no task list", "{\"schemaVersion\":\"1.5\",\"workflow\":{}}",
     "expected workflow.specification.tasks (WfFormat 1.5) or workflow.tasks"},
    {"spec tasks not an array",
     "{\"workflow\":{\"specification\":{\"tasks\":{}}}}",
     "workflow.specification.tasks must be an array"},
};

Test(wfcommons, broken_instances_are_reported_naming_the_task) {
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        dr_error err;
        dr_error_clear(&err);
        json_error_t jerr;
        json_t *root = json_loads(c->text, 0, &jerr);
        cr_assert_not_null(root, "%s: bad test JSON: %s", c->name, jerr.text);
        dr_graph *g = dr__load_wfcommons(root, c->text, strlen(c->text),
                                         "case.json", NULL, &err);
        json_decref(root);
        cr_expect_null(g, "%s: loaded", c->name);
        dr_graph_destroy(g);
        cr_expect_neq(err.code, 0, "%s", c->name);
        cr_expect(strncmp(err.text, "case.json:", 10) == 0, "%s: '%s'", c->name,
                  err.text);
        cr_expect(strstr(err.text, c->expected) != NULL,
                  "%s: got '%s', expected '%s'", c->name, err.text,
                  c->expected);
    }
}

Test(wfcommons, errors_point_at_the_line_and_column_of_the_bad_value) {
    const char *text = "{\"schemaVersion\":\"1.5\",\"workflow\":{"
                       "\"specification\":{\"tasks\":[\n"
                       " {\"id\":\"a\",\"parents\":[]},\n"
                       " {\"id\":\"b\",\"parents\":[\"zz\"]}\n"
                       "]}}}\n";
    json_t *root = json_loads(text, 0, NULL);
    cr_assert_not_null(root);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(
        dr__load_wfcommons(root, text, strlen(text), "case.json", NULL, &err));
    json_decref(root);
    cr_expect_str_eq(err.text, "case.json:3:23: task 'b': unknown parent 'zz'");
}

Test(wfcommons, a_document_that_is_not_an_object_is_an_error) {
    json_t *root = json_pack("[]");
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr__load_wfcommons(root, "[]", 2, "x.json", NULL, &err));
    cr_expect(strstr(err.text, "must be a JSON object") != NULL, "%s",
              err.text);
    json_decref(root);
}

/* End to end: dr_graph_load detects WfCommons by content. */
Test(wfcommons, cli_analyze_loads_a_trace_by_content) {
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs,
                     "analyze --json %s/montage-chameleon-2mass-005d-001.json",
                     WF_DIR);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, errs);
    json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    free(out);
    free(errs);
    if (j == NULL)
        return; /* already reported; asserting here would leak */
    cr_expect_eq(json_integer_value(json_object_get(j, "tasks")), 58);
    cr_expect_eq(json_integer_value(json_object_get(j, "edges")), 114);
    cr_expect(fabs(json_number_value(json_object_get(j, "work")) - 221.726) <
              1e-6);
    json_decref(j);
}

Test(wfcommons, an_instance_without_a_name_is_named_after_its_file) {
    const char *text = "{\"workflow\": {\"tasks\": [{\"name\": \"a\"}]}}";
    dr_error err;
    dr_graph *g = load_text(text, "traces/blast-42.json", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_str_eq(dr_graph_name(g), "blast-42");
    dr_graph_destroy(g);
    g = load_text(text, "<string>", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_str_eq(dr_graph_name(g), "wfcommons");
    dr_graph_destroy(g);
    /* Standard input names a graph of any format "stdin". */
    g = load_text(text, "<stdin>", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_str_eq(dr_graph_name(g), "stdin");
    dr_graph_destroy(g);
}

Test(wfcommons, a_cycle_is_reported_at_the_parent_that_closes_it) {
    const char *text = "{\"workflow\": {\"specification\": {\"tasks\": [\n"
                       "  {\"id\": \"a\", \"parents\": [\"c\"]},\n"
                       "  {\"id\": \"b\", \"parents\": [\"a\"]},\n"
                       "  {\"id\": \"c\", \"parents\": [\"a\", \"b\"]}]}}}";
    dr_error err;
    dr_graph *g = load_text(text, "loop.json", &err);
    cr_expect_null(g);
    dr_graph_destroy(g);
    cr_expect_eq(err.code, DR_ECYCLE);
    cr_expect_str_eq(err.text, "loop.json:2:27: task 'a': cycle: a -> c -> a");
}
