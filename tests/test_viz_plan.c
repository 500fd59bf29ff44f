/* What a DAG diagram draws, decided before Graphviz runs (viz/dag_plan.c,
 * viz/dag_layout.c): the layout's predicted cost and the fallback it
 * chooses, the critical path it marks (the one `dagrun analyze` and the
 * run summary name, ties included), and the labels of groups of one task.
 * Nothing here is timed: the prediction is compared with the budget, and
 * the plan is read from the drawing it made. */
#include "dag_internal.h"
#include "dagrun/run.h"
#include "dagrun/viz.h"
#include "support.h"

#include <criterion/criterion.h>
#include <graphviz/cgraph.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RED "#D62728"

static dr_graph *generate(const char *shape, const char *const *sets,
                          size_t nsets) {
    dr_param p[8];
    char buf[8][32];
    cr_assert_leq(nsets, 8);
    for (size_t i = 0; i < nsets; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%s", sets[i]);
        cr_assert_eq(dr_param_parse(buf[i], &p[i], NULL), 0, "%s", sets[i]);
    }
    dr_graph *g = dr_generate(shape, p, nsets, 1, NULL, NULL);
    cr_assert_not_null(g, "%s", shape);
    return g;
}

/* The acceptance tester's graph: 300 tasks in 6 layers of 50, each
 * depending on 20 tasks of the layer above, so none of the 5,000 edges is
 * implied and the transitive reduction keeps them all. */
static dr_graph *dense_layered(void) {
    const char *sets[] = {"layers=6", "width=50", "deps=20"};
    return generate("layered", sets, 3);
}

typedef struct notes {
    int calls;
    char last[512];
} notes;

static void count_note(const char *line, void *user_data) {
    notes *n = user_data;
    n->calls++;
    snprintf(n->last, sizeof(n->last), "%s", line);
}

/* ------------------------------------------------------------ budget */

Test(viz_plan, dense_layers_are_predicted_over_the_default_budget) {
    dr_graph *g = dense_layered();
    cr_assert_eq(dr_graph_nedges(g), 5000);
    /* No budget, never collapsed: the drawing is one node per task, and
     * its cost is what the planner compares with the budget. */
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.collapse = DR_VIZ_COLLAPSE_NEVER;
    dr__dag b;
    dr_error err;
    cr_assert_eq(dr__dag_prepare(&b, g, NULL, &o, 1, &err), 0, "%s", err.text);
    cr_assert_eq(b.d.n, 300);
    cr_assert_not(b.d.collapsed);
    cr_assert_eq(b.d.dg.nhidden, 0, "no edge is implied");
    /* dot 2.43 takes 9.5 s of CPU on it; the old prediction was 1.2 s. */
    cr_assert_gt(b.d.cost, 2 * DR__DAG_DEFAULT_BUDGET, "predicted %g s",
                 b.d.cost);
    dr__dag_free(&b);
    dr_graph_destroy(g);
}

Test(viz_plan, dense_layers_fall_back_to_a_layer_summary_and_say_so) {
    dr_graph *g = dense_layered();
    notes seen = {0, ""};
    dr_viz_options o;
    dr_viz_options_init(&o); /* the default budget, 1.5 s */
    o.note = count_note;
    o.note_data = &seen;
    dr__dag b;
    dr_error err;
    cr_assert_eq(dr__dag_prepare(&b, g, NULL, &o, 1, &err), 0, "%s", err.text);
    /* One node per layer, the edges between them counting the 1,000
     * dependencies each stands for, and that fits. */
    cr_assert(b.d.collapsed, "drawn one node per task");
    cr_assert_eq(b.d.n, 6);
    cr_assert_leq(b.d.cost, DR__DAG_DEFAULT_BUDGET, "%g s", b.d.cost);
    for (size_t i = 0; i < b.d.dg.m; i++)
        cr_assert_eq(b.d.dg.e[i].count, 1000);
    cr_assert_eq(seen.calls, 1);
    cr_assert(strstr(seen.last, "300 tasks drawn as 6 groups") != NULL &&
                  strstr(seen.last, "1.5 s budget") != NULL &&
                  strstr(seen.last, "one node per task would take") != NULL,
              "%s", seen.last);
    cr_assert_str_eq(b.note, seen.last);
    dr__dag_free(&b);
    dr_graph_destroy(g);
}

Test(viz_plan, sparse_shapes_stay_one_node_per_task) {
    /* The prediction rose for dense graphs only: chains, trees, stencils,
     * Cholesky and a layered graph with 3 dependencies per task (all laid
     * out by dot 2.43 in under 0.4 s of CPU) are still drawn whole. */
    const char *chain[] = {"n=300"}, *tree[] = {"n=128"},
               *stencil[] = {"w=15", "h=15"}, *chol[] = {"t=8"},
               *layered[] = {"layers=8", "width=30", "deps=3"};
    struct {
        const char *shape;
        const char *const *sets;
        size_t n;
    } shapes[] = {{"chain", chain, 1},
                  {"tree", tree, 1},
                  {"stencil", stencil, 2},
                  {"cholesky", chol, 1},
                  {"layered", layered, 3}};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        dr_graph *g = generate(shapes[i].shape, shapes[i].sets, shapes[i].n);
        dr_viz_options o;
        dr_viz_options_init(&o);
        dr__dag b;
        dr_error err;
        cr_assert_eq(dr__dag_prepare(&b, g, NULL, &o, 1, &err), 0, "%s",
                     err.text);
        cr_expect_not(b.d.collapsed, "%s grouped: %s", shapes[i].shape, b.note);
        cr_expect_eq(b.d.n, dr_graph_ntasks(g), "%s", shapes[i].shape);
        cr_expect_str_eq(b.note, "", "%s", shapes[i].shape);
        dr__dag_free(&b);
        dr_graph_destroy(g);
    }
}

/* ------------------------------------------------------ critical path */

static Agraph_t *render_dot(const dr_graph *g, const json_t *trace) {
    char *dot;
    size_t len;
    dr_error err;
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.collapse = DR_VIZ_COLLAPSE_NEVER;
    cr_assert_eq(dr_viz_render(g, trace, &o, "dot", &dot, &len, &err), 0, "%s",
                 err.text);
    Agraph_t *ag = agmemread(dot);
    cr_assert_not_null(ag);
    free(dot);
    return ag;
}

static const char *attr(void *obj, const char *name) {
    char *v = agget(obj, (char *)name);
    return v ? v : "";
}

/* The red path of the DOT, as "a -> b -> c": its red edges must chain, and
 * its red nodes must be exactly the chain's (one red node: no edge). */
static char *red_path(Agraph_t *ag) {
    size_t nred = 0, nedges = 0;
    Agnode_t *first = NULL;
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v)) {
        if (strcmp(attr(v, "color"), RED) != 0)
            continue;
        nred++;
        int into = 0;
        for (Agedge_t *e = agfstin(ag, v); e; e = agnxtin(ag, e))
            into |= strcmp(attr(e, "color"), RED) == 0;
        if (!into) {
            cr_assert_null(first, "two red paths start");
            first = v;
        }
        for (Agedge_t *e = agfstout(ag, v); e; e = agnxtout(ag, e))
            nedges += strcmp(attr(e, "color"), RED) == 0;
    }
    if (first == NULL)
        return strdup("");
    cr_assert_eq(nedges + 1, nred, "red edges do not make one path");
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (Agnode_t *v = first; v != NULL;) {
        len += (size_t)snprintf(s + len, cap - len, "%s%s", len ? " -> " : "",
                                agnameof(v));
        cr_assert_lt(len, cap);
        Agnode_t *next = NULL;
        for (Agedge_t *e = agfstout(ag, v); e; e = agnxtout(ag, e))
            if (strcmp(attr(e, "color"), RED) == 0) {
                cr_assert_null(next, "the red path forks at %s", agnameof(v));
                next = aghead(e);
            }
        v = next;
    }
    return s;
}

static char *analyzed_path(dr_graph *g) {
    dr_error err;
    dr_analysis *a = dr_analyze(g, NULL, &err);
    cr_assert_not_null(a, "%s", err.text);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < a->critical_path_len; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " -> " : "",
                                dr_task_key(g, a->critical_path[i]));
        cr_assert_lt(len, cap);
    }
    dr_analysis_destroy(a);
    return s;
}

static dr_graph *load_text(const char *json) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(path, json), 0);
    dr_error err;
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    drt_rmtree(dir);
    free(dir);
    free(path);
    return g;
}

#define IMPL                                                                   \
    "{\"name\":\"impl\",\"tasks\":[{\"id\":\"a\",\"cost\":1},"                 \
    "{\"id\":\"b\",\"cost\":0,\"deps\":[\"a\"]},"                              \
    "{\"id\":\"c\",\"cost\":1,\"deps\":[\"a\",\"b\"]}]}"

Test(viz_plan, picture_marks_the_path_analyze_names_through_a_zero_cost_task) {
    dr_graph *g = load_text(IMPL);
    char *want = analyzed_path(g);
    cr_assert_str_eq(want, "a -> b -> c");
    Agraph_t *ag = render_dot(g, NULL);
    char *got = red_path(ag);
    cr_assert_str_eq(got, want);
    agclose(ag);
    free(got);
    free(want);
    dr_graph_destroy(g);
}

Test(viz_plan, picture_and_analyze_agree_on_tie_heavy_graphs) {
    const char *diamond =
        "{\"name\":\"diamond\",\"tasks\":[{\"id\":\"s\",\"cost\":1},"
        "{\"id\":\"l\",\"cost\":2,\"deps\":[\"s\"]},"
        "{\"id\":\"r\",\"cost\":2,\"deps\":[\"s\"]},"
        "{\"id\":\"z\",\"cost\":0,\"deps\":[\"s\"]},"
        "{\"id\":\"m\",\"cost\":2,\"deps\":[\"z\"]},"
        "{\"id\":\"t\",\"cost\":1,\"deps\":[\"l\",\"r\",\"m\"]},"
        "{\"id\":\"end\",\"cost\":0,\"deps\":[\"t\"]}]}";
    const char *zeros =
        "{\"name\":\"zeros\",\"tasks\":[{\"id\":\"p\",\"cost\":0},"
        "{\"id\":\"q\",\"cost\":0},{\"id\":\"x\",\"cost\":0,\"deps\":[\"p\"]},"
        "{\"id\":\"y\",\"cost\":0,\"deps\":[\"p\",\"q\",\"x\"]}]}";
    dr_graph *gs[5];
    gs[0] = load_text(diamond);
    gs[1] = load_text(zeros);
    const char *sten[] = {"w=6", "h=6"},
               *lay[] = {"layers=6", "width=6", "deps=3", "lo=1", "hi=1"};
    const char *fj[] = {"n=5", "stages=3"};
    gs[2] = generate("stencil", sten, 2);
    gs[3] = generate("layered", lay, 5);
    gs[4] = generate("fork-join", fj, 2);
    for (size_t i = 0; i < 5; i++) {
        char *want = analyzed_path(gs[i]);
        Agraph_t *ag = render_dot(gs[i], NULL);
        char *got = red_path(ag);
        cr_expect_str_eq(got, want, "%s", dr_graph_name(gs[i]));
        agclose(ag);
        free(got);
        free(want);
        dr_graph_destroy(gs[i]);
    }
}

Test(viz_plan, after_a_run_the_picture_marks_the_path_the_summary_names) {
    dr_graph *g = load_text(IMPL);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    dr_error err;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    json_t *trace = dr_run_trace_json(run);
    json_t *summary = dr_run_summary_json(run);
    json_t *cp = json_object_get(summary, "critical_path");
    cr_assert(json_is_array(cp));
    char want[256] = "";
    size_t i;
    json_t *v;
    json_array_foreach(cp, i, v) {
        const char *key = json_is_string(v)
                              ? json_string_value(v)
                              : json_string_value(json_object_get(v, "task"));
        cr_assert_not_null(key);
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
                 i ? " -> " : "", key);
    }
    cr_assert_str_eq(want, "a -> b -> c");
    Agraph_t *ag = render_dot(g, trace);
    char *got = red_path(ag);
    cr_assert_str_eq(got, want);
    agclose(ag);
    free(got);
    json_decref(trace);
    json_decref(summary);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* --------------------------------------------------- one-task groups */

Test(viz_plan, a_group_of_one_task_shows_its_key) {
    /* Keys without numbers, too many to be groups of their own: the
     * groups are depth levels.  src and sink are alone in theirs. */
    dr_graph *g = dr_graph_create();
    dr_task src, sink, t;
    cr_assert_eq(dr_graph_add_task(g, "src", &src), 0);
    cr_assert_eq(dr_graph_add_task(g, "sink", &sink), 0);
    for (int i = 0; i < 320; i++) {
        char key[8] = {(char)('a' + i / 26 % 26), (char)('a' + i % 26),
                       (char)('a' + i / 26 / 26), 0};
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        dr_graph_add_dep(g, t, src);
        dr_graph_add_dep(g, sink, t);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_viz_options o;
    dr_viz_options_init(&o);
    dr__dag b;
    dr_error err;
    cr_assert_eq(dr__dag_prepare(&b, g, NULL, &o, 1, &err), 0, "%s", err.text);
    cr_assert(b.d.collapsed);
    int found = 0;
    for (size_t i = 0; i < b.d.n; i++) {
        const dr__dnode *x = &b.d.nodes[i];
        if (x->count != 1) {
            cr_expect_eq(strncmp(x->label, x->name, strlen(x->name)), 0, "%s",
                         x->label);
            continue;
        }
        const char *key = strncmp(x->label, "src", 3) == 0 ? "src" : "sink";
        cr_expect_eq(strncmp(x->label, key, strlen(key)), 0,
                     "label '%s' of group '%s' hides its task's key", x->label,
                     x->name);
        cr_expect(x->label[strlen(key)] == '\\', "%s", x->label);
        /* The group is still named in the tooltip. */
        cr_expect(strstr(x->tip, x->name) != NULL, "%s", x->tip);
        found++;
    }
    cr_expect_eq(found, 2);
    dr__dag_free(&b);
    dr_graph_destroy(g);
}
