/* DAG diagrams: the DOT parses back with agmemread and carries the nodes,
 * edges and attributes the visualiser promises; collapsing counts right;
 * layouts render as well-formed SVG, PNG and PDF. */
#include "dagrun/run.h"
#include "dagrun/viz.h"
#include "support.h"
#include "viz_internal.h"

#include <criterion/criterion.h>
#include <graphviz/cgraph.h>

#include <sys/stat.h>
#include <sys/wait.h>

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

/* Drawn edges: not the invisible ones that keep a wrapped level's grid. */
static int drawn_edges(Agraph_t *ag) {
    int n = 0;
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v))
        for (Agedge_t *e = agfstout(ag, v); e; e = agnxtout(ag, e))
            n += strcmp(attr(e, "style"), "invis") != 0;
    return n;
}

/* The legend's HTML label. */
static const char *legend_of(Agraph_t *ag) {
    Agnode_t *n = agnode(ag, "_legend", 0);
    cr_assert_not_null(n, "no legend");
    return attr(n, "label");
}

/* The legend's words, its line breaks made spaces again (legend rows wrap
 * at about 40 characters); a new string. */
static char *legend_words(Agraph_t *ag) {
    const char *l = legend_of(ag), *br = "<BR ALIGN=\"LEFT\"/>";
    char *out = malloc(strlen(l) + 1), *o = out;
    cr_assert_not_null(out);
    for (const char *p = l; *p;) {
        if (strncmp(p, br, strlen(br)) == 0) {
            *o++ = ' ';
            p += strlen(br);
        } else
            *o++ = *p++;
    }
    *o = '\0';
    return out;
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
    /* e is not on the critical path: its border must not be the critical
     * path's bold red, or a failure reads as the critical path. */
    cr_assert_str_neq(attr(e, "color"), RED);
    cr_assert_str_eq(attr(e, "fillcolor"), "#FBE3E4");
    cr_assert(strstr(attr(e, "label"), "failed") != NULL);
    Agnode_t *f = agnode(ag, "f", 0);
    cr_assert(strstr(attr(f, "style"), "dashed") != NULL);
    cr_assert(strstr(attr(f, "label"), "skipped") != NULL, "e failed");
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
    cr_assert_eq(task_nodes(ag), 3, "map-*, reduce-*, total");
    cr_assert_eq(drawn_edges(ag), 2);
    cr_assert(strstr(attr(agnode(ag, "map-*", 0), "label"), "\xC3\x97"
                                                            "1000"),
              "label: %s", attr(agnode(ag, "map-*", 0), "label"));
    cr_assert_str_eq(attr(edge(ag, "map-*", "reduce-*"), "label"), "1000");
    cr_assert_str_eq(attr(edge(ag, "reduce-*", "total"), "label"), "10");
    cr_assert_str_eq(attr(edge(ag, "map-*", "reduce-*"), "color"), RED);
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
    cr_assert_eq(drawn_edges(ag), 110);
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
    /* Graphviz writes '-' in SVG text as &#45;. */
    cr_assert(strstr(svg, "map&#45;* \xC3\x97"
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

/* ------------------------------------------- reduction, budget, wrapping */

/* 1 when t is reachable from d other than by the edge d -> t itself. */
static int implied_dep(const dr_graph *g, dr_task d, dr_task t) {
    size_t n = dr_graph_ntasks(g), top = 0;
    unsigned char *seen = calloc(n, 1);
    dr_task *stack = malloc(n * sizeof(*stack));
    size_t ns;
    const dr_task *s = dr_task_succs(g, d, &ns);
    for (size_t i = 0; i < ns; i++)
        if (s[i] != t && !seen[s[i]]) {
            seen[s[i]] = 1;
            stack[top++] = s[i];
        }
    int found = 0;
    while (top > 0 && !found) {
        dr_task x = stack[--top];
        s = dr_task_succs(g, x, &ns);
        for (size_t i = 0; i < ns; i++) {
            found |= s[i] == t;
            if (!seen[s[i]]) {
                seen[s[i]] = 1;
                stack[top++] = s[i];
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

Test(viz_dot, dense_graph_draws_its_transitive_reduction_and_counts_the_rest) {
    char *path = drt_fmt("%s/viz/dense100.stg", DR_TEST_DATA);
    dr_error err;
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    free(path);
    cr_assert_eq(dr_graph_nedges(g), 1119);
    size_t implied = 0;
    for (size_t t = 0; t < dr_graph_ntasks(g); t++) {
        size_t nd;
        const dr_task *deps = dr_task_deps(g, (dr_task)t, &nd);
        for (size_t j = 0; j < nd; j++)
            implied += (size_t)implied_dep(g, deps[j], (dr_task)t);
    }
    cr_assert_gt(implied, 800, "the test graph must be dense: %zu", implied);
    Agraph_t *ag = render_dot(g, NULL, NULL);
    cr_assert_eq(task_nodes(ag), 100, "drawn one node per task");
    /* Every drawn edge is needed (or is the critical path's), and every
     * needed one is drawn. */
    size_t drawn = 0, red_implied = 0;
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v))
        for (Agedge_t *e = agfstout(ag, v); e; e = agnxtout(ag, e)) {
            if (strcmp(attr(e, "style"), "invis") == 0)
                continue;
            drawn++;
            dr_task a = dr_graph_find(g, agnameof(agtail(e)));
            dr_task b = dr_graph_find(g, agnameof(aghead(e)));
            if (implied_dep(g, a, b)) {
                cr_assert_str_eq(attr(e, "color"), RED,
                                 "implied edge %s -> %s drawn",
                                 agnameof(agtail(e)), agnameof(aghead(e)));
                red_implied++;
            }
        }
    cr_assert_eq(drawn, 1119 - implied + red_implied);
    char want[96];
    snprintf(want, sizeof(want), "%zu of 1119 dependencies not drawn",
             implied - red_implied);
    char *legend = strdup(legend_of(ag));
    /* The legend wraps its lines: compare without the breaks. */
    for (char *br; (br = strstr(legend, "<BR ALIGN=\"LEFT\"/>")) != NULL;)
        memmove(br + 1, br + 18, strlen(br + 18) + 1), *br = ' ';
    cr_assert(strstr(legend, want) != NULL, "legend: %s", legend);
    free(legend);
    agclose(ag);
    dr_graph_destroy(g);
}

/* a (1) -> b (0) -> c (1) and a -> c; c lists `first` as its first
 * dependency. */
static dr_graph *triangle(const char *first) {
    dr_graph *g = dr_graph_create();
    const char *keys[] = {"a", "b", "c"};
    double cost[] = {1, 0, 1};
    for (int i = 0; i < 3; i++) {
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t), 0);
        dr_task_set_cost(g, t, cost[i]);
    }
    dr_graph_add_dep_key(g, "b", "a");
    dr_graph_add_dep_key(g, "c", first);
    dr_graph_add_dep_key(g, "c", strcmp(first, "a") == 0 ? "b" : "a");
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(viz_dot, critical_path_ties_go_through_the_zero_cost_task_in_any_order) {
    /* a -> c and a -> b -> c are equally long; the path with more tasks
     * wins (the rule `dagrun analyze` uses), whichever dependency c lists
     * first, so the implied edge a -> c is never the path's and is hidden. */
    const char *firsts[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        dr_graph *g = triangle(firsts[i]);
        Agraph_t *ag = render_dot(g, NULL, NULL);
        cr_assert_str_eq(attr(edge(ag, "a", "b"), "color"), RED);
        cr_assert_str_eq(attr(edge(ag, "b", "c"), "color"), RED);
        cr_assert_eq(drawn_edges(ag), 2, "a -> c is implied and hidden");
        cr_assert_null(
            agedge(ag, agnode(ag, "a", 0), agnode(ag, "c", 0), NULL, 0));
        cr_assert(strstr(legend_of(ag), "1 of 3 dependencies not drawn") !=
                      NULL,
                  "%s", legend_of(ag));
        agclose(ag);
        dr_graph_destroy(g);
    }
}

Test(viz_dot, hundred_thousand_task_layered_graph_shows_its_layers,
     .timeout = 300) {
    dr_param p[2];
    char a[] = "layers=100", b[] = "width=1000";
    dr_param_parse(a, &p[0], NULL);
    dr_param_parse(b, &p[1], NULL);
    dr_graph *g = dr_generate("layered", p, 2, 1, NULL, NULL);
    cr_assert_not_null(g);
    Agraph_t *ag = render_dot(g, NULL, NULL);
    cr_assert_leq(task_nodes(ag), 300);
    cr_assert_eq(task_nodes(ag), 100, "one node per layer");
    for (int l = 0; l < 100; l++) {
        char name[32];
        snprintf(name, sizeof(name), "layer-%d-*", l);
        Agnode_t *v = agnode(ag, name, 0);
        cr_assert_not_null(v, "no node %s", name);
        cr_assert(strstr(attr(v, "label"), "\xC3\x97"
                                           "1000") != NULL,
                  "%s", attr(v, "label"));
    }
    /* Layer to layer, with the count of dependencies each edge stands for
     * (the fan-in and fan-out). */
    size_t deps = 0;
    for (size_t t = 0; t < dr_graph_ntasks(g); t++) {
        const char *key = dr_task_key(g, (dr_task)t);
        if (strncmp(key, "layer-7-", 8) == 0) {
            size_t nd;
            dr_task_deps(g, (dr_task)t, &nd);
            deps += nd;
        }
    }
    char count[32];
    snprintf(count, sizeof(count), "%zu", deps);
    cr_assert_str_eq(attr(edge(ag, "layer-6-*", "layer-7-*"), "label"), count);
    cr_assert_eq(drawn_edges(ag), 99);
    cr_assert(strstr(attr(ag, "label"), "100 groups of 100000 tasks") != NULL,
              "%s", attr(ag, "label"));
    agclose(ag);
    dr_graph_destroy(g);
}

/* A sparse random graph of n tasks t1..tn whose long edges make one node
 * per task far too slow to lay out (tens of seconds). */
static dr_graph *sparse_random(size_t n, double p) {
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "sparse");
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t%zu", i + 1);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        for (size_t j = 0; j < i; j++) {
            s = s * 1103515245u + 12345u;
            if ((double)((s >> 8) & 0xFFFF) / 65536.0 < p)
                dr_graph_add_dep(g, t, (dr_task)j);
        }
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

typedef struct notes {
    int calls;
    char last[512];
} notes;

static void count_note(const char *line, void *user_data) {
    notes *n = user_data;
    n->calls++;
    snprintf(n->last, sizeof(n->last), "%s", line);
    cr_assert_null(strchr(line, '\n'), "one line: %s", line);
}

Test(viz_dot, graph_over_the_time_budget_is_grouped_and_says_so_once) {
    /* Predicted at about 0.7 s (dot takes 0.8 s of CPU): over a budget of
     * 0.3 s. */
    dr_graph *g = sparse_random(250, 0.03);
    notes seen = {0, ""};
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.time_budget = 0.3;
    o.note = count_note;
    o.note_data = &seen;
    Agraph_t *ag = render_dot(g, NULL, &o);
    cr_assert_lt(task_nodes(ag), 250, "grouped, not one node per task");
    cr_assert(strstr(attr(ag, "label"), "groups of 250 tasks") != NULL, "%s",
              attr(ag, "label"));
    cr_assert_eq(seen.calls, 1);
    cr_assert(strstr(seen.last, "250 tasks drawn as") != NULL &&
                  strstr(seen.last, "budget") != NULL &&
                  strstr(seen.last, "one node per task") != NULL,
              "%s", seen.last);
    cr_assert(strstr(legend_of(ag), "budget") != NULL, "%s", legend_of(ag));
    agclose(ag);
    /* Without a budget (or with --no-collapse) every task is drawn, and
     * nothing is said. */
    seen.calls = 0;
    o.time_budget = -1;
    ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 250);
    cr_assert_eq(seen.calls, 0);
    agclose(ag);
    o.time_budget = 0; /* the default */
    o.collapse = DR_VIZ_COLLAPSE_NEVER;
    ag = render_dot(g, NULL, &o);
    cr_assert_eq(task_nodes(ag), 250);
    cr_assert_eq(seen.calls, 0);
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, small_graphs_are_drawn_whole_within_the_budget) {
    /* The lecture and pi graphs, a dense graph once reduced, and a tiled
     * Cholesky of 220 tasks all fit: no note, one node per task. */
    const char *files[] = {"viz/lecture.json", "viz/dense100.stg"};
    for (size_t i = 0; i < 2; i++) {
        char *path = drt_fmt("%s/%s", DR_TEST_DATA, files[i]);
        dr_graph *g = dr_graph_load(path, NULL, NULL);
        cr_assert_not_null(g, "%s", path);
        notes seen = {0, ""};
        dr_viz_options o;
        dr_viz_options_init(&o);
        o.note = count_note;
        o.note_data = &seen;
        Agraph_t *ag = render_dot(g, NULL, &o);
        cr_assert_eq((size_t)task_nodes(ag), dr_graph_ntasks(g), "%s", path);
        cr_assert_eq(seen.calls, 0, "%s: %s", path, seen.last);
        agclose(ag);
        dr_graph_destroy(g);
        free(path);
    }
}

static dr_graph *load_example(const char *name) {
    char *path = drt_fmt("%s/examples/%s", DR_SOURCE_DIR, name);
    dr_error err;
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    free(path);
    return g;
}

static double svg_height_pt(const char *svg) {
    const char *h = strstr(svg, " height=\"");
    cr_assert_not_null(h);
    return strtod(h + strlen(" height=\""), NULL);
}

Test(viz_dot, wide_fan_in_wraps_into_rows_that_fit_a_page) {
    dr_graph *g = load_example("pi.json");
    char *svg;
    size_t len;
    dr_error err;
    cr_assert_eq(dr_viz_render(g, NULL, NULL, "svg", &svg, &len, &err), 0, "%s",
                 err.text);
    double w = svg_width_pt(svg), h = svg_height_pt(svg);
    /* One rank of 32 maps was 2,700 points wide and 225 high. */
    cr_assert_leq(w, 1100, "%g x %g pt", w, h);
    cr_assert_leq(h, 1100, "%g x %g pt", w, h);
    cr_assert_geq(h, 300, "rows, not one strip: %g x %g pt", w, h);
    free(svg);
    Agraph_t *ag = render_dot(g, NULL, NULL);
    cr_assert_eq(drawn_edges(ag), 32);
    cr_assert_str_eq(attr(ag, "concentrate"), "true");
    cr_assert(strstr(legend_of(ag), "wrap") != NULL, "%s", legend_of(ag));
    agclose(ag);
    dr_graph_destroy(g);
}

Test(viz_dot, a_fan_in_of_many_leaves_wraps_within_the_budget) {
    /* 120 maps feeding one reduce: the grid's edges share one lane per
     * column (concentrate), which the prediction must know, or the budget
     * would refuse to wrap what lays out in a tenth of a second. */
    dr_param p[1];
    char a[] = "n=120";
    dr_param_parse(a, &p[0], NULL);
    dr_graph *g = dr_generate("map-reduce", p, 1, 1, NULL, NULL);
    cr_assert_not_null(g);
    notes seen = {0, ""};
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.note = count_note;
    o.note_data = &seen;
    Agraph_t *ag = render_dot(g, NULL, &o);
    cr_assert_eq(seen.calls, 0, "%s", seen.last);
    cr_assert_str_eq(attr(ag, "concentrate"), "true");
    cr_assert_eq(task_nodes(ag), 121);
    agclose(ag);
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_render(g, NULL, &o, "svg", &svg, &len, NULL), 0);
    double w = svg_width_pt(svg), h = svg_height_pt(svg);
    cr_assert_leq(w, 2 * h, "a block, not a strip: %g x %g pt", w, h);
    free(svg);
    dr_graph_destroy(g);
}

/* --------------------------------------------------------------- legend */

Test(viz_dot, legend_names_failures_only_when_there_are_some) {
    dr_graph *g = lecture();
    json_t *ok = load_json("lecture-trace.json");
    Agraph_t *ag = render_dot(g, ok, NULL);
    const char *l = legend_of(ag);
    cr_assert(strstr(l, "failed") == NULL, "%s", l);
    cr_assert(strstr(l, "skipped") == NULL, "%s", l);
    cr_assert(strstr(l, "not run") == NULL, "%s", l);
    cr_assert(strstr(l, "never started") == NULL, "%s", l);
    cr_assert(strstr(l, "interrupted") == NULL, "%s", l);
    cr_assert(strstr(l, "critical path") != NULL, "%s", l);
    agclose(ag);
    json_t *bad = load_json("failed-trace.json");
    ag = render_dot(g, bad, NULL);
    l = legend_of(ag);
    cr_assert(strstr(l, "failed") != NULL, "%s", l);
    /* f never ran because e failed: skipped, and nothing else. */
    cr_assert(strstr(l, "skipped: a dependency failed") != NULL, "%s", l);
    cr_assert(strstr(l, "never started") == NULL, "%s", l);
    cr_assert(strstr(l, "interrupted") == NULL, "%s", l);
    agclose(ag);
    json_decref(ok);
    json_decref(bad);
    dr_graph_destroy(g);
}

static json_t *event(const char *task, int worker, double ts, double dur,
                     const char *status) {
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:{s:s, s:s, s:f}}",
                     "name", task, "cat", task, "ph", "X", "pid", 1, "tid",
                     worker, "ts", ts, "dur", dur, "args", "task", task,
                     "status", status, "ready", ts);
}

Test(viz_dot, interrupted_tasks_are_drawn_apart_with_a_legend_entry) {
    dr_graph *g = lecture();
    /* a ran, b and c were running when the run was stopped, the rest never
     * started. */
    json_t *events = json_array();
    json_array_append_new(events, event("a", 0, 0, 1e6, "ok"));
    json_array_append_new(events, event("b", 0, 1e6, 5e5, "interrupted"));
    json_array_append_new(events, event("c", 1, 1e6, 5e5, "interrupted"));
    json_t *trace = json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events,
                              "otherData", "graph", "lecture", "workers", 2);
    Agraph_t *ag = render_dot(g, trace, NULL);
    Agnode_t *b = agnode(ag, "b", 0);
    cr_assert_str_eq(attr(b, "peripheries"), "2");
    cr_assert(strstr(attr(b, "style"), "dashed") != NULL);
    cr_assert_str_neq(attr(b, "shape"), "octagon", "not a failure");
    cr_assert(strstr(attr(b, "label"), "interrupted") != NULL);
    /* Its worker's colour is kept. */
    cr_assert_str_eq(attr(b, "fillcolor"), dr_viz_palette(0));
    char *l = legend_words(ag);
    cr_assert(strstr(l, "interrupted") != NULL, "%s", l);
    cr_assert(strstr(l, "not run: never started, the run was stopped first") !=
                  NULL,
              "%s", l);
    cr_assert(strstr(l, "skipped") == NULL, "nothing failed: %s", l);
    cr_assert(strstr(l, "failed") == NULL, "%s", l);
    free(l);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* Issue 8: a task that never started because the run stopped is not one
 * whose dependency failed.  Each task that never ran says which it is, in
 * its label and its look, and the legend lists each kind only when the
 * picture has one, saying what happened. */
Test(viz_dot, tasks_that_never_ran_say_whether_a_dependency_failed) {
    dr_graph *g = lecture();
    /* Stopped by a signal: a ran, b failed, c was running (interrupted);
     * d never started although its dependency a succeeded; e and f never
     * ran because b failed (f through e). */
    json_t *events = json_array();
    json_array_append_new(events, event("a", 0, 0, 1e6, "ok"));
    json_array_append_new(events, event("b", 0, 1e6, 5e5, "failed"));
    json_array_append_new(events, event("c", 1, 1e6, 9e5, "interrupted"));
    json_t *trace = json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events,
                              "otherData", "graph", "lecture", "workers", 2);
    Agraph_t *ag = render_dot(g, trace, NULL);
    Agnode_t *d = agnode(ag, "d", 0), *e = agnode(ag, "e", 0),
             *f = agnode(ag, "f", 0);
    cr_assert(strstr(attr(d, "label"), "not run") != NULL, "%s",
              attr(d, "label"));
    cr_assert(strstr(attr(d, "label"), "skipped") == NULL);
    cr_assert(strstr(attr(d, "style"), "dotted") != NULL, "%s",
              attr(d, "style"));
    for (Agnode_t *x = e; x != NULL; x = x == e ? f : NULL) {
        cr_assert(strstr(attr(x, "label"), "skipped") != NULL, "%s",
                  attr(x, "label"));
        cr_assert(strstr(attr(x, "style"), "dashed") != NULL);
    }
    cr_assert_str_neq(attr(d, "fillcolor"), attr(e, "fillcolor"),
                      "the two kinds look different");
    char *l = legend_words(ag);
    cr_assert(strstr(l, "skipped: a dependency failed") != NULL, "%s", l);
    cr_assert(strstr(l, "not run: never started, the run was stopped first") !=
                  NULL,
              "%s", l);
    cr_assert(strstr(l, "did not run") == NULL, "%s", l);
    agclose(ag);
    json_decref(trace);

    /* The user's case: a task failed and the run stopped (nothing was
     * running when the signal came, or the failure stopped it): d never
     * started, yet no dependency of d failed. */
    events = json_array();
    json_array_append_new(events, event("a", 0, 0, 1e6, "ok"));
    json_array_append_new(events, event("b", 0, 1e6, 5e5, "failed"));
    json_array_append_new(events, event("c", 1, 1e6, 9e5, "ok"));
    trace = json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events, "otherData",
                      "graph", "lecture", "workers", 2);
    ag = render_dot(g, trace, NULL);
    cr_assert(strstr(attr(agnode(ag, "d", 0), "label"), "not run") != NULL);
    free(l);
    l = legend_words(ag);
    cr_assert(strstr(l, "not run: never started, the run stopped after a "
                        "failure or a signal") != NULL,
              "%s", l);
    cr_assert(strstr(l, "skipped: a dependency failed") != NULL, "%s", l);
    cr_assert(strstr(l, "interrupted") == NULL, "%s", l);
    free(l);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* Groups of several tasks count what never ran by kind: x-0..x-2 depend on
 * the failed b (skipped), y-0..y-2 on the successful a (not run: the run
 * was stopped while c ran).  One-task groups are drawn as their task, so
 * the groups here hold three each. */
Test(viz_dot, groups_count_skipped_and_not_run_tasks_apart) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, "kinds");
    const char *keys[] = {"a",   "b",   "c",   "x-0", "x-1",
                          "x-2", "y-0", "y-1", "y-2"};
    for (int i = 0; i < 9; i++) {
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t), 0);
        dr_task_set_builtin(g, t, "sleep", NULL);
        dr_task_set_cost(g, t, 1);
    }
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(dr_graph_add_dep_key(g, keys[3 + i], "b"), 0);
        cr_assert_eq(dr_graph_add_dep_key(g, keys[6 + i], "a"), 0);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    json_t *events = json_array();
    json_array_append_new(events, event("a", 0, 0, 1e6, "ok"));
    json_array_append_new(events, event("b", 0, 1e6, 5e5, "failed"));
    json_array_append_new(events, event("c", 1, 1e6, 9e5, "interrupted"));
    json_t *trace = json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events,
                              "otherData", "graph", "kinds", "workers", 2);
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.collapse = DR_VIZ_COLLAPSE_ALWAYS;
    Agraph_t *ag = render_dot(g, trace, &o);
    int x_group = 0, y_group = 0;
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v)) {
        const char *l = attr(v, "label");
        if (strncmp(l, "x-", 2) == 0 && strstr(l, "3") != NULL) {
            x_group = 1;
            cr_expect(strstr(l, "3 skipped") != NULL, "%s", l);
            cr_expect(strstr(l, "not run") == NULL, "%s", l);
            cr_expect(strstr(attr(v, "style"), "dashed") != NULL, "%s",
                      attr(v, "style"));
        }
        if (strncmp(l, "y-", 2) == 0 && strstr(l, "3") != NULL) {
            y_group = 1;
            cr_expect(strstr(l, "3 not run") != NULL, "%s", l);
            cr_expect(strstr(l, "skipped") == NULL, "%s", l);
        }
    }
    cr_expect(x_group, "no group of the x tasks");
    cr_expect(y_group, "no group of the y tasks");
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* -------------------------------------------------------------- colours */

/* A simulated run of a small layered graph (keys layer-L-I). */
static json_t *layered_run(dr_graph **gout, int layers, int width) {
    dr_param p[2];
    char a[32], b[32];
    snprintf(a, sizeof(a), "layers=%d", layers);
    snprintf(b, sizeof(b), "width=%d", width);
    dr_param_parse(a, &p[0], NULL);
    dr_param_parse(b, &p[1], NULL);
    dr_graph *g = dr_generate("layered", p, 2, 5, NULL, NULL);
    cr_assert_not_null(g);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 3;
    dr_error err;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    json_t *trace = dr_run_trace_json(run);
    dr_run_destroy(run);
    *gout = g;
    return trace;
}

/* The fill of the Gantt bar whose tooltip starts with `task`. */
static char *gantt_fill(const char *svg, const char *task) {
    char *title = drt_fmt("<title>%s\n", task);
    const char *t = strstr(svg, title);
    cr_assert_not_null(t, "no bar for %s", task);
    free(title);
    const char *rect = t;
    while (rect > svg && strncmp(rect, "<rect", 5) != 0)
        rect--;
    const char *f = strstr(rect, " fill=\"");
    cr_assert(f != NULL && f < t);
    f += 7;
    return strndup(f, (size_t)(strchr(f, '"') - f));
}

static char *gantt_of(const json_t *trace, dr_viz_color color) {
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.color = color;
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, &go, &svg, NULL, NULL), 0);
    return svg;
}

Test(viz_dot, both_pictures_colour_a_task_alike_by_worker_or_by_group) {
    dr_graph *g;
    json_t *trace = layered_run(&g, 3, 4);
    dr_viz_color modes[] = {DR_VIZ_COLOR_AUTO, DR_VIZ_COLOR_GROUP};
    for (int m = 0; m < 2; m++) {
        dr_viz_options o;
        dr_viz_options_init(&o);
        o.color = modes[m];
        Agraph_t *ag = render_dot(g, trace, &o);
        char *svg = gantt_of(trace, modes[m]);
        for (size_t t = 0; t < dr_graph_ntasks(g); t++) {
            const char *key = dr_task_key(g, (dr_task)t);
            char *bar = gantt_fill(svg, key);
            cr_assert_str_eq(attr(agnode(ag, (char *)key, 0), "fillcolor"), bar,
                             "%s, colour %s", key, m ? "group" : "default");
            free(bar);
        }
        const char *l = legend_of(ag);
        if (m == 0) {
            cr_assert(strstr(l, "Colour: the worker that ran it") != NULL, "%s",
                      l);
            cr_assert(strstr(svg, "Colour: the worker that ran it") != NULL);
        } else {
            cr_assert(strstr(l, "Colour: the task&#39;s group") != NULL ||
                          strstr(l, "Colour: the task's group") != NULL,
                      "%s", l);
            cr_assert(strstr(l, "layer-1-*") != NULL, "%s", l);
            cr_assert(strstr(svg, "Colour: group") != NULL);
        }
        free(svg);
        agclose(ag);
    }
    /* By worker, a task takes its worker's colour. */
    Agraph_t *ag = render_dot(g, trace, NULL);
    dr__vtrace t;
    cr_assert_eq(dr__vtrace_read(trace, &t, NULL), 0);
    for (size_t i = 0; i < t.n; i++)
        cr_assert_str_eq(attr(agnode(ag, (char *)t.a[i].task, 0), "fillcolor"),
                         dr_viz_palette((size_t)t.a[i].worker));
    dr__vtrace_free(&t);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

Test(viz_dot, three_hundred_task_layered_gantt_has_a_colour_per_layer) {
    dr_graph *g;
    json_t *trace = layered_run(&g, 10, 30);
    char *svg = gantt_of(trace, DR_VIZ_COLOR_GROUP);
    /* Distinct fills among the bars of the first task of each layer. */
    char *fills[10];
    for (int l = 0; l < 10; l++) {
        char key[32];
        snprintf(key, sizeof(key), "layer-%d-0", l);
        fills[l] = gantt_fill(svg, key);
        for (int k = 0; k < l; k++)
            cr_assert_str_neq(fills[k], fills[l], "layers %d and %d", k, l);
    }
    for (int l = 0; l < 10; l++)
        free(fills[l]);
    free(svg);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------------ CLI */

Test(viz_cli, color_is_worker_or_group_everywhere) {
    const char *cmds[] = {
        "viz %s/viz/lecture.json --trace %s/viz/lecture-trace.json --color "
        "pink -o /tmp/never.svg",
        "gantt %s/viz/lecture-trace.json --color pink -o /tmp/never.svg",
        "run %s/viz/lecture.json --simulate --no-outputs --color pink"};
    for (int i = 0; i < 3; i++) {
        char *err = NULL;
        cr_assert_eq(drt_cli(NULL, &err, cmds[i], DR_TEST_DATA, DR_TEST_DATA),
                     2, "%s", cmds[i]);
        cr_assert(strstr(err, "--color") && strstr(err, "worker or group"),
                  "%s", err);
        free(err);
    }
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json --color worker -o "
                         "/tmp/never.svg",
                         DR_TEST_DATA),
                 2);
    cr_assert(strstr(err, "--trace") != NULL, "%s", err);
    free(err);
    char *dir = drt_tmpdir();
    err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json --color group -o %s/g.svg",
                         DR_TEST_DATA, dir),
                 0, "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(viz_cli, run_draws_with_color_group_and_says_when_it_grouped) {
    char *dir = drt_tmpdir();
    /* 300 tasks in 6 layers, 20 dependencies each, none implied: over the
     * default budget of 1.5 s (dot takes about 9 s). */
    dr_param ps[3];
    char a[] = "layers=6", b[] = "width=50", c[] = "deps=20";
    dr_param_parse(a, &ps[0], NULL);
    dr_param_parse(b, &ps[1], NULL);
    dr_param_parse(c, &ps[2], NULL);
    dr_graph *g = dr_generate("layered", ps, 3, 1, NULL, NULL);
    cr_assert_not_null(g);
    char *graph = drt_fmt("%s/dense.json", dir);
    cr_assert_eq(dr_graph_save(g, graph, NULL), 0);
    dr_graph_destroy(g);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run %s --simulate -w 4 --color group -o %s",
                     graph, dir);
    cr_assert_eq(rc, 0, "%s", err);
    /* One line says the task graph was grouped to keep within budget. */
    const char *line = strstr(out, "Task graph: 300 tasks drawn as");
    cr_assert_not_null(line, "%s", out);
    cr_assert_null(strstr(line + 1, "Task graph:"), "said once: %s", out);
    char *p = drt_fmt("%s/gantt.svg", dir);
    char *svg = drt_read_file(p, NULL);
    cr_assert(svg && strstr(svg, "Colour: group") != NULL);
    free(svg);
    free(p);
    free(out);
    free(err);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}

Test(viz_cli, run_prints_its_summary_before_it_draws) {
    char *dir = drt_tmpdir();
    /* The --svg file is a folder: drawing fails after the summary is
     * printed. */
    char *blocker = drt_fmt("%s/g.svg", dir);
    cr_assert_eq(mkdir(blocker, 0755), 0);
    char *log = drt_fmt("%s/log.txt", dir);
    char *cmd = drt_fmt("'%s' run %s/viz/lecture.json --simulate -o %s/out "
                        "--svg %s </dev/null >'%s' 2>&1",
                        drt_cli_path(), DR_TEST_DATA, dir, blocker, log);
    int status = system(cmd);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    char *text = drt_read_file(log, NULL);
    const char *summary = strstr(text, "Makespan");
    const char *failure = strstr(text, "cannot draw the run");
    cr_assert(summary && failure, "%s", text);
    cr_assert_lt(summary, failure, "summary first: %s", text);
    free(text);
    free(cmd);
    free(log);
    free(blocker);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------- cached tasks */

/* The instant event dagrun writes for a cached task (docs/trace-format.md):
 * not run, its result reused by a resumed run. */
static json_t *cached_event(const char *task) {
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:{s:s, s:s}}",
                     "name", task, "cat", task, "ph", "i", "s", "t", "pid", 1,
                     "tid", 2, "ts", 0.0, "args", "task", task, "status",
                     "cached");
}

Test(viz_dot, cached_tasks_have_a_look_of_their_own_and_a_legend_entry) {
    dr_graph *g = lecture();
    json_t *trace = load_json("cached-trace.json");
    Agraph_t *ag = render_dot(g, trace, NULL);
    for (const char *k = "abd"; *k; k++) {
        char key[2] = {*k, 0};
        Agnode_t *v = agnode(ag, key, 0);
        cr_assert_not_null(v);
        cr_expect_str_eq(attr(v, "shape"), "note", "%s", key);
        cr_expect(strstr(attr(v, "style"), "dotted") != NULL, "%s",
                  attr(v, "style"));
        cr_expect_str_eq(attr(v, "fillcolor"), DR__VCACHED_FILL);
        cr_expect_str_eq(attr(v, "color"), DR__VCACHED_LINE);
        cr_expect(strstr(attr(v, "label"), "\\ncached") != NULL, "%s",
                  attr(v, "label"));
        cr_expect(strstr(attr(v, "label"), "not run") == NULL);
        cr_expect(strstr(attr(v, "tooltip"),
                         "cached: not run, its recorded "
                         "result reused (--resume)") != NULL);
    }
    /* Their dependents ran: coloured by worker, not "not run". */
    Agnode_t *e = agnode(ag, "e", 0);
    cr_expect_str_eq(attr(e, "fillcolor"), dr_viz_palette(1));
    cr_expect(strstr(attr(e, "label"), "not run") == NULL);
    /* Nor do cached tasks take a place on the critical path. */
    cr_expect_str_neq(attr(agnode(ag, "a", 0), "color"), RED);
    cr_expect_str_eq(attr(agnode(ag, "c", 0), "color"), RED);
    char *l = legend_words(ag);
    cr_expect(strstr(l, "cached (3 tasks): not run, the result of an earlier "
                        "run reused (--resume; a pale note, dotted)") != NULL,
              "%s", l);
    cr_expect(strstr(l, "not run: never started") == NULL, "%s", l);
    cr_expect(strstr(l, "skipped") == NULL, "%s", l);
    free(l);
    agclose(ag);
    json_decref(trace);
    /* Legend entry only when there are some. */
    trace = load_json("lecture-trace.json");
    ag = render_dot(g, trace, NULL);
    l = legend_words(ag);
    cr_expect(strstr(l, "cached") == NULL, "%s", l);
    free(l);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

/* Every node of `ag` but `cached` differs from `cached` in shape, line
 * style or border count, not in colour alone. */
static void expect_unlike(Agraph_t *ag, const char *cached) {
    Agnode_t *c = agnode(ag, (char *)cached, 0);
    cr_assert_not_null(c);
    char look[128];
    snprintf(look, sizeof(look), "%s|%s|%s", attr(c, "shape"), attr(c, "style"),
             attr(c, "peripheries"));
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v)) {
        if (v == c || strcmp(agnameof(v), "_legend") == 0)
            continue;
        char other[128];
        snprintf(other, sizeof(other), "%s|%s|%s", attr(v, "shape"),
                 attr(v, "style"), attr(v, "peripheries"));
        cr_expect_str_neq(look, other, "%s and %s look alike", cached,
                          agnameof(v));
    }
}

Test(viz_dot, cached_tasks_look_unlike_every_other_kind) {
    /* Two hand-edited mixes (a real run stops or resumes): a ok, b failed,
     * c interrupted, d cached, e and f skipped; then a ok, b cached, c
     * interrupted, d not run, e and f not run. */
    dr_graph *g = lecture();
    for (int round = 0; round < 2; round++) {
        json_t *events = json_array();
        json_array_append_new(events, event("a", 0, 0, 1e6, "ok"));
        if (round == 0)
            json_array_append_new(events, event("b", 0, 1e6, 5e5, "failed"));
        else
            json_array_append_new(events, cached_event("b"));
        json_array_append_new(events, event("c", 1, 1e6, 9e5, "interrupted"));
        if (round == 0)
            json_array_append_new(events, cached_event("d"));
        json_t *trace =
            json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events, "otherData",
                      "graph", "lecture", "workers", 2);
        Agraph_t *ag = render_dot(g, trace, NULL);
        expect_unlike(ag, round == 0 ? "d" : "b");
        if (round == 1)
            cr_expect(strstr(attr(agnode(ag, "d", 0), "label"), "not run") !=
                      NULL);
        char *l = legend_words(ag);
        cr_expect(strstr(l, "cached (1 task)") != NULL, "%s", l);
        free(l);
        agclose(ag);
        json_decref(trace);
    }
    dr_graph_destroy(g);
}

Test(viz_dot, groups_count_their_cached_tasks) {
    /* x-0..x-2 all cached, y-0..y-2 one cached and two ran, z-0..z-2 one
     * cached and two never started. */
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, "resumed");
    const char *keys[] = {"x-0", "x-1", "x-2", "y-0", "y-1",
                          "y-2", "z-0", "z-1", "z-2"};
    for (int i = 0; i < 9; i++) {
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t), 0);
        dr_task_set_builtin(g, t, "sleep", NULL);
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    json_t *events = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(events, cached_event(keys[i]));
    json_array_append_new(events, cached_event("y-0"));
    json_array_append_new(events, event("y-1", 0, 0, 1e6, "ok"));
    json_array_append_new(events, event("y-2", 1, 0, 1e6, "ok"));
    json_array_append_new(events, cached_event("z-0"));
    json_t *trace = json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", events,
                              "otherData", "graph", "resumed", "workers", 2);
    dr_viz_options o;
    dr_viz_options_init(&o);
    o.collapse = DR_VIZ_COLLAPSE_ALWAYS;
    Agraph_t *ag = render_dot(g, trace, &o);
    int seen = 0;
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v)) {
        const char *l = attr(v, "label");
        if (strncmp(l, "x-", 2) == 0) {
            seen |= 1;
            cr_expect(strstr(l, "3 cached") != NULL, "%s", l);
            cr_expect_str_eq(attr(v, "shape"), "note", "all cached");
            cr_expect(strstr(attr(v, "tooltip"),
                             "3 cached (not run: their "
                             "recorded results reused)") != NULL);
        } else if (strncmp(l, "y-", 2) == 0) {
            seen |= 2;
            cr_expect(strstr(l, "1 cached") != NULL, "%s", l);
            cr_expect_str_neq(attr(v, "shape"), "note", "two of it ran");
        } else if (strncmp(l, "z-", 2) == 0) {
            seen |= 4;
            cr_expect(strstr(l, "1 cached") != NULL, "%s", l);
            cr_expect(strstr(l, "2 not run") != NULL, "%s", l);
            cr_expect(strstr(attr(v, "style"), "dotted") != NULL,
                      "drawn as never run: %s", attr(v, "style"));
            cr_expect_str_neq(attr(v, "shape"), "note");
        }
    }
    cr_expect_eq(seen, 7, "groups seen: %d", seen);
    agclose(ag);
    json_decref(trace);
    dr_graph_destroy(g);
}

Test(viz_dot, a_run_where_every_task_was_cached_draws_without_colours) {
    dr_graph *g = lecture();
    json_t *trace = load_json("allcached-trace.json");
    Agraph_t *ag = render_dot(g, trace, NULL);
    for (Agnode_t *v = agfstnode(ag); v; v = agnxtnode(ag, v))
        if (strcmp(agnameof(v), "_legend") != 0)
            cr_expect_str_eq(attr(v, "shape"), "note", "%s", agnameof(v));
    char *l = legend_words(ag);
    cr_expect(strstr(l, "no critical path: no task ran, every result was "
                        "reused") != NULL,
              "%s", l);
    cr_expect(strstr(l, "worker 0") == NULL, "no task has a worker: %s", l);
    cr_expect(strstr(l, "cached (6 tasks)") != NULL, "%s", l);
    free(l);
    agclose(ag);
    /* And it renders. */
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_render(g, trace, NULL, "svg", &svg, &len, NULL), 0);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
    json_decref(trace);
    dr_graph_destroy(g);
}
