/* DAG diagrams: the DOT parses back with agmemread and carries the nodes,
 * edges and attributes the visualiser promises; collapsing counts right;
 * layouts render as well-formed SVG, PNG and PDF. */
#include "dagrun/viz.h"
#include "support.h"

#include <criterion/criterion.h>
#include <graphviz/cgraph.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RED "#D62728"

/* The lecture DAG: a -> {b, c, d}; b -> e; {c, d, e} -> f. */
static dr_graph *lecture(void) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, "lecture");
    const char *keys[] = {"a", "b", "c", "d", "e", "f"};
    double costs[] = {1, 3, 5, 1, 3, 1};
    for (int i = 0; i < 6; i++) {
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t), 0);
        dr_task_set_builtin(g, t, "sleep", NULL);
        dr_task_set_cost(g, t, costs[i]);
    }
    const char *edges[][2] = {{"b", "a"}, {"c", "a"}, {"d", "a"}, {"e", "b"},
                              {"f", "c"}, {"f", "d"}, {"f", "e"}};
    for (int i = 0; i < 7; i++)
        cr_assert_eq(dr_graph_add_dep_key(g, edges[i][0], edges[i][1]), 0);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

static json_t *load_json(const char *name) {
    char *path = drt_fmt("%s/viz/%s", DR_TEST_DATA, name);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j, "cannot read %s", path);
    free(path);
    return j;
}

static Agraph_t *render_dot(const dr_graph *g, const json_t *trace,
                            const dr_viz_options *o) {
    char *dot;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_render(g, trace, o, "dot", &dot, &len, &err), 0, "%s",
                 err.text);
    cr_assert_eq(strlen(dot), len);
    Agraph_t *ag = agmemread(dot);
    cr_assert_not_null(ag, "DOT does not parse back:\n%s", dot);
    free(dot);
    return ag;
}

static const char *attr(void *obj, const char *name) {
    char *v = agget(obj, (char *)name);
    return v ? v : "";
}

static Agedge_t *edge(Agraph_t *ag, const char *from, const char *to) {
    Agnode_t *t = agnode(ag, (char *)from, 0), *h = agnode(ag, (char *)to, 0);
    cr_assert(t && h, "no node %s or %s", from, to);
    Agedge_t *e = agedge(ag, t, h, NULL, 0);
    cr_assert_not_null(e, "no edge %s -> %s", from, to);
    return e;
}

/* Task nodes only: the legend lives in its own cluster. */
static int task_nodes(Agraph_t *ag) {
    return agnnodes(ag) - (agnode(ag, "_legend", 0) != NULL);
}

/* Checks well-formedness with xmllint; returns 1 ok, 0 bad, -1 no xmllint. */
static int xml_well_formed(const char *text) {
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        return -1;
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/x.svg", dir);
    cr_assert_eq(drt_write_file(path, text), 0);
    char *cmd = drt_fmt("xmllint --noout --nonet '%s' 2>/dev/null", path);
    int rc = system(cmd);
    free(cmd);
    free(path);
    drt_rmtree(dir);
    free(dir);
    return rc == 0;
}

Test(viz_dot, dot_parses_back_with_every_task_and_dependency) {
    dr_graph *g = lecture();
    Agraph_t *ag = render_dot(g, NULL, NULL);
    cr_assert_eq(task_nodes(ag), 6);
    cr_assert_eq(agnedges(ag), 7);
    cr_assert(agisdirected(ag));
    cr_assert_str_eq(attr(ag, "rankdir"), "TB");
    cr_assert_not_null(agnode(ag, "_legend", 0), "a legend");
    cr_assert(strstr(attr(agnode(ag, "c", 0), "label"), "sleep") != NULL);
    /* Before a run a cost is in the graph's units, not a time. */
    cr_assert(strstr(attr(agnode(ag, "c", 0), "label"), "cost 5") != NULL, "%s",
              attr(agnode(ag, "c", 0), "label"));
    cr_assert(strstr(attr(agnode(ag, "c", 0), "label"), "5 s") == NULL);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, critical_path_by_cost_is_bold_and_red) {
    dr_graph *g = lecture();
    Agraph_t *ag = render_dot(g, NULL, NULL);
    const char *cp[][2] = {{"a", "b"}, {"b", "e"}, {"e", "f"}};
    for (int i = 0; i < 3; i++) {
        Agedge_t *e = edge(ag, cp[i][0], cp[i][1]);
        cr_assert_str_eq(attr(e, "color"), RED, "%s -> %s", cp[i][0], cp[i][1]);
        cr_assert_str_eq(attr(e, "penwidth"), "2.5");
    }
    const char *off[][2] = {{"a", "c"}, {"a", "d"}, {"c", "f"}, {"d", "f"}};
    for (int i = 0; i < 4; i++)
        cr_assert_str_neq(attr(edge(ag, off[i][0], off[i][1]), "color"), RED);
    cr_assert_str_eq(attr(agnode(ag, "e", 0), "color"), RED);
    cr_assert_str_neq(attr(agnode(ag, "c", 0), "color"), RED);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, rankdir_lr_is_passed_to_graphviz) {
    dr_graph *g = lecture();
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.rankdir = "LR";
    Agraph_t *ag = render_dot(g, NULL, &o);
    cr_assert_str_eq(attr(ag, "rankdir"), "LR");
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, trace_fills_nodes_by_worker_and_marks_failed_and_skipped) {
    dr_graph *g = lecture();
    json_t *trace = load_json("failed-trace.json");
    Agraph_t *ag = render_dot(g, trace, NULL);
    cr_assert_str_eq(attr(agnode(ag, "a", 0), "fillcolor"), dr_viz_palette(0));
    cr_assert_str_eq(attr(agnode(ag, "c", 0), "fillcolor"), dr_viz_palette(1));
    cr_assert_str_eq(attr(agnode(ag, "d", 0), "fillcolor"), dr_viz_palette(2));
    Agnode_t *e = agnode(ag, "e", 0);
    cr_assert_str_eq(attr(e, "shape"), "octagon");
    cr_assert_str_eq(attr(e, "color"), RED);
    cr_assert(strstr(attr(e, "label"), "failed") != NULL);
    Agnode_t *f = agnode(ag, "f", 0);
    cr_assert(strstr(attr(f, "style"), "dashed") != NULL);
    cr_assert(strstr(attr(f, "label"), "not run") != NULL);
    const char *tip = attr(agnode(ag, "b", 0), "tooltip");
    cr_assert(strstr(tip, "worker 0") && strstr(tip, "start 1 s") &&
                  strstr(tip, "end 4 s") && strstr(tip, "wait"),
              "tooltip: %s", tip);
    /* After a run the label is the measured time. */
    cr_assert(strstr(attr(agnode(ag, "c", 0), "label"), "5 s") != NULL);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

Test(viz_dot, measured_critical_path_follows_durations_not_costs) {
    dr_graph *g = lecture();
    json_t *trace = load_json("failed-trace.json");
    Agraph_t *ag = render_dot(g, trace, NULL);
    /* e failed and f never ran: the longest measured path is a -> c. */
    cr_assert_str_eq(attr(edge(ag, "a", "c"), "color"), RED);
    cr_assert_str_neq(attr(edge(ag, "a", "b"), "color"), RED);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

Test(viz_dot, key_prefix_strips_every_numeric_suffix) {
    const char *cases[][2] = {
        {"gemm-3-2-1", "gemm"}, {"map_7", "map"},
        {"map-0", "map"},       {"reduce", "reduce"},
        {"x-1a", "x-1a"},       {"-5", "-5"},
        {"v2", "v2"},           {"a-b-12", "a-b"},
        {"load_2-3", "load"},   {"mAdd_ID0000018", "mAdd"},
        {"ID12", "ID12"},       {"x_ID", "x_ID"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = dr_key_prefix(cases[i][0]);
        cr_assert_eq(n, strlen(cases[i][1]), "%s", cases[i][0]);
        cr_assert_eq(strncmp(cases[i][0], cases[i][1], n), 0);
    }
}

/* map-0..map-(n-1) -> reduce-(i % 10) -> total. */
static dr_graph *map_reduce(size_t n) {
    dr_graph *g = dr_graph_create();
    char key[64];
    dr_task total, reduce[10];
    dr_graph_add_task(g, "total", &total);
    for (int j = 0; j < 10; j++) {
        snprintf(key, sizeof(key), "reduce-%d", j);
        cr_assert_eq(dr_graph_add_task(g, key, &reduce[j]), 0);
        dr_task_set_cost(g, reduce[j], 0.5);
        dr_graph_add_dep(g, total, reduce[j]);
    }
    for (size_t i = 0; i < n; i++) {
        dr_task t;
        snprintf(key, sizeof(key), "map-%zu", i);
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        dr_task_set_cost(g, t, 0.001 * (double)(i % 7 + 1));
        dr_graph_add_dep(g, reduce[i % 10], t);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(viz_dot, large_graph_collapses_into_prefix_groups_with_edge_counts) {
    dr_graph *g = map_reduce(1000);
    Agraph_t *ag = render_dot(g, NULL, NULL);
    cr_assert_eq(task_nodes(ag), 3, "map, reduce, total");
    cr_assert_eq(agnedges(ag), 2);
    cr_assert(strstr(attr(agnode(ag, "map", 0), "label"), "\xC3\x97"
                                                          "1000"),
              "label: %s", attr(agnode(ag, "map", 0), "label"));
    cr_assert_str_eq(attr(edge(ag, "map", "reduce"), "label"), "1000");
    cr_assert_str_eq(attr(edge(ag, "reduce", "total"), "label"), "10");
    cr_assert_str_eq(attr(edge(ag, "map", "reduce"), "color"), RED);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, collapse_threshold_and_never_are_honoured) {
    dr_graph *g = map_reduce(100);
    dr_viz_options o;
    dr_viz_options_init(&o);
    Agraph_t *ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 111, "111 tasks is under the threshold");
    agclose(ag);
    o.collapse_threshold = 50;
    ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 3);
    agclose(ag);
    o.collapse = DR_VIZ_COLLAPSE_NEVER;
    ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 111);
    cr_assert_eq(agnedges(ag), 110);
    agclose(ag);
    o.collapse = DR_VIZ_COLLAPSE_ALWAYS;
    o.collapse_threshold = 100000;
    ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 3);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, huge_graph_without_collapsing_is_refused_for_layout_only) {
    dr_graph *g = map_reduce(6000);
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.collapse = DR_VIZ_COLLAPSE_NEVER;
    char *out = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_render(g, NULL, &o, "svg", &out, &len, &err),
                 DR_ETOOBIG);
    cr_assert_null(out);
    cr_assert(strstr(err.text, "--collapse") != NULL, "%s", err.text);
    Agraph_t *ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 6011);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, hundred_thousand_tasks_render_collapsed_as_svg, .timeout = 120) {
    dr_graph *g = map_reduce(100000);
    char *svg;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_render(g, NULL, NULL, "svg", &svg, &len, &err), 0, "%s",
                 err.text);
    cr_assert(strstr(svg, "map \xC3\x97"
                          "100000") != NULL);
    cr_assert_neq(xml_well_formed(svg), 0);
    free(svg);
    dr_graph_destroy(g);
}

Test(viz_dot, svg_is_well_formed_with_tooltips) {
    dr_graph *g = lecture();
    json_t *trace = load_json("lecture-trace.json");
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_render(g, trace, NULL, "svg", &svg, &len, NULL), 0);
    cr_assert(strstr(svg, "<svg") != NULL);
    cr_assert(strstr(svg,
                     "xlink:title=\"b&#10;op sleep&#10;worker 0&#10;"
                     "start 1 s&#10;end 4 s&#10;duration 3 s&#10;wait 0") !=
                  NULL,
              "tooltips carry worker, start, end, wait");
    int ok = xml_well_formed(svg);
    if (ok < 0)
        cr_log_warn("xmllint missing: well-formedness not checked");
    else
        cr_assert_eq(ok, 1, "the SVG is not well-formed XML");
    free(svg);
    json_decref(trace);
    dr_graph_destroy(g);
}

Test(viz_dot, unvalidated_graph_and_unknown_extension_are_errors) {
    dr_graph *g = dr_graph_create();
    dr_graph_add_task(g, "a", NULL);
    dr_graph_add_task(g, "b", NULL);
    dr_graph_add_dep_key(g, "b", "a");
    char *out = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_render(g, NULL, NULL, "svg", &out, &len, &err),
                 DR_EINVAL);
    cr_assert(strstr(err.text, "validated") != NULL, "%s", err.text);
    dr_graph_validate(g, NULL);
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_write(g, NULL, NULL, "/tmp/x.bmpx", &err), DR_EINVAL);
    cr_assert(strstr(err.text, ".svg") != NULL, "%s", err.text);
    dr_graph_destroy(g);
}

Test(viz_cli, formats_follow_the_extension) {
    char *dir = drt_tmpdir();
    const char *ext[] = {"svg", "png", "pdf", "dot"};
    const char *magic[] = {"<?xml", "\x89PNG", "%PDF", "digraph"};
    for (int i = 0; i < 4; i++) {
        char *err = NULL;
        int rc = drt_cli(NULL, &err, "viz %s/viz/lecture.json -o %s/g.%s",
                         DR_TEST_DATA, dir, ext[i]);
        cr_assert_eq(rc, 0, "%s: %s", ext[i], err);
        free(err);
        char *path = drt_fmt("%s/g.%s", dir, ext[i]);
        size_t len;
        char *data = drt_read_file(path, &len);
        cr_assert_not_null(data);
        cr_assert(len > 100 && memcmp(data, magic[i], strlen(magic[i])) == 0,
                  "%s starts wrong", path);
        free(data);
        free(path);
    }
    drt_rmtree(dir);
    free(dir);
}

Test(viz_cli, usage_errors_exit_2_with_a_message) {
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "viz %s/viz/lecture.json", DR_TEST_DATA),
                 2);
    cr_assert(strstr(err, "-o FILE") != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "viz %s/viz/lecture.json -o /tmp/x.bmpx",
                         DR_TEST_DATA),
                 2);
    cr_assert(strstr(err, "unknown picture format") != NULL, "%s", err);
    free(err);
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "viz --help"), 0);
    cr_assert(strstr(out, "Exit codes") != NULL);
    free(out);
}

/* Another graph, with none of lecture's task keys. */
static dr_graph *other_graph(void) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, "other");
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, "x", &t), 0);
    dr_task_set_builtin(g, t, "sleep", NULL);
    cr_assert_eq(dr_graph_add_task(g, "y", &t), 0);
    dr_task_set_builtin(g, t, "sleep", NULL);
    cr_assert_eq(dr_graph_add_dep_key(g, "y", "x"), 0);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(viz_dot, trace_of_another_graph_is_refused_naming_both_graphs) {
    dr_graph *g = other_graph();
    json_t *trace = load_json("lecture-trace.json");
    char *out = NULL, *html = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_render(g, trace, NULL, "dot", &out, &len, &err),
                 DR_EINVAL);
    cr_assert_null(out);
    cr_assert(strstr(err.text, "'lecture'") != NULL, "%s", err.text);
    cr_assert(strstr(err.text, "'other'") != NULL, "%s", err.text);
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_report_html(g, trace, NULL, NULL, &html, &len, &err),
                 DR_EINVAL);
    cr_assert_null(html);
    cr_assert(strstr(err.text, "'other'") != NULL, "%s", err.text);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* The width in points of a Graphviz SVG ("<svg width=\"409pt\""). */
static double svg_width_pt(const char *svg) {
    const char *w = strstr(svg, "<svg width=\"");
    cr_assert_not_null(w);
    return strtod(w + strlen("<svg width=\""), NULL);
}

Test(viz_dot, png_is_rendered_at_twice_the_default_resolution) {
    dr_graph *g = lecture();
    char *svg, *png;
    size_t slen, plen;
    cr_assert_eq(dr_viz_render(g, NULL, NULL, "svg", &svg, &slen, NULL), 0);
    cr_assert_eq(dr_viz_render(g, NULL, NULL, "png", &png, &plen, NULL), 0);
    /* The IHDR chunk: signature (8), length (4), "IHDR" (4), then the
     * width and height as big-endian 32-bit numbers. */
    cr_assert(plen > 24 && memcmp(png, "\x89PNG", 4) == 0);
    cr_assert(memcmp(png + 12, "IHDR", 4) == 0);
    const unsigned char *p = (const unsigned char *)png + 16;
    unsigned long width = (unsigned long)p[0] << 24 |
                          (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 |
                          p[3];
    double pt = svg_width_pt(svg);
    /* 192 dpi: a point is 192 / 72 = 8/3 pixels (Graphviz's default 96 dpi
     * gave 4/3, about 500 pixels for this graph). */
    cr_assert(fabs((double)width - pt * 8 / 3) <= 4,
              "PNG %lu px wide for an SVG of %g pt", width, pt);
    cr_assert(width >= 1000, "%lu", width);
    free(svg);
    free(png);
    dr_graph_destroy(g);
}

Test(viz_cli, trace_of_another_graph_exits_2_and_a_renamed_one_warns) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/other.json", dir);
    cr_assert_eq(drt_write_file(graph, "{\"dagrun\": 1, \"name\": \"other\", "
                                       "\"tasks\": [{\"id\": \"x\", \"op\": "
                                       "\"sleep\", \"args\": {\"ms\": 1}}]}"),
                 0);
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "viz %s --trace %s/viz/lecture-trace.json "
                     "-o %s/mis.svg",
                     graph, DR_TEST_DATA, dir);
    cr_assert_eq(rc, 2, "%s", err);
    cr_assert(strstr(err, "'lecture'") != NULL && strstr(err, "'other'"), "%s",
              err);
    free(err);

    /* The same tasks under another graph name: drawn, with a warning. */
    json_t *trace = load_json("lecture-trace.json");
    json_object_set_new(json_object_get(trace, "otherData"), "graph",
                        json_string("lecture-v2"));
    char *renamed = drt_fmt("%s/renamed.json", dir);
    cr_assert_eq(json_dump_file(trace, renamed, 0), 0);
    json_decref(trace);
    err = NULL;
    rc = drt_cli(NULL, &err, "viz %s/viz/lecture.json --trace %s -o %s/ok.svg",
                 DR_TEST_DATA, renamed, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(err, "warning") != NULL && strstr(err, "lecture-v2"), "%s",
              err);
    free(err);
    free(renamed);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}

Test(viz_cli, unwritable_output_exits_2_not_1) {
    /* 1 means "a task failed"; drawing errors are all 2. */
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json -o "
                         "/nonexistent-dir/x.svg",
                         DR_TEST_DATA),
                 2);
    cr_assert(strstr(err, "/nonexistent-dir/x.svg") != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json --trace "
                         "%s/viz/lecture-trace.json --report "
                         "/nonexistent-dir/r.html",
                         DR_TEST_DATA, DR_TEST_DATA),
                 2, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "gantt %s/viz/lecture-trace.json -o "
                         "/nonexistent-dir/g.svg",
                         DR_TEST_DATA),
                 2, "%s", err);
    free(err);
}
