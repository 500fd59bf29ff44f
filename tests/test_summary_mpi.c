/*
 * What the outputs say about an --executor mpi run (docs/trace-format.md):
 * the trace's per-attempt rank and host, otherData.ranks and host0 and the
 * rows' names; summary.json's `ranks` (per rank: attempts, busy time,
 * utilisation, bytes, messages and seconds moved) and the printed per-rank
 * table; the Gantt chart's rows "rank R:J" grouped by host under a heading;
 * the report's worker table.  And that a run without ranks has none of it.
 *
 * The runs are built by hand (dr__run_create, dr__run_add_attempt) with
 * run->ranks set as exec_mpi.c sets them; tests/test_exec_mpi.c runs the
 * real thing under mpirun.
 */
#define _GNU_SOURCE /* open_memstream */
#include "run_internal.h"
#include "support.h"
#include "viz_internal.h"

#include <dagrun/viz.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dr_graph *graph;

/* a, b, c, d -> e. */
static void setup(void) {
    graph = dr_graph_create();
    dr_graph_set_name(graph, "spread");
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(dr_graph_add_task(graph, keys[i], NULL), 0);
    for (dr_task t = 0; t < 4; t++)
        dr_graph_add_dep(graph, 4, t);
    cr_assert_eq(dr_graph_validate(graph, NULL), 0);
}

static void teardown(void) { dr_graph_destroy(graph); }

/* Four workers under executor e, makespan 4:
 *   a [0,1) on 0: sent 100 bytes in 0.125 s, received 50 in 0.0625 s
 *   b [0,2) on 1: sent 200 in 0.25 s
 *   c [0,1) on 2: sent 300 in 0.25 s, received 30 in 0.125 s
 *   d [1,3) on 3: nothing moved
 *   e [3,4) on 0: sent 1000 in 0.5 s, received 10 in 0.25 s
 * With ranks: rank 1 on node-a has workers 0 and 1, rank 2 on node-b has 2
 * and 3; rank 0 (the scheduler) ran on node-a.  So, by hand:
 *   rank 1: 3 attempts, busy 1 + 2 + 1 = 4 s, 4 / (2 x 4) = 0.5,
 *           sent 1300, received 60, 6 messages, 0.875 s sending,
 *           0.3125 s receiving, 1.1875 s moving
 *   rank 2: 2 attempts, busy 1 + 2 = 3 s, 3 / 8 = 0.375, sent 300,
 *           received 30, 2 messages, 0.25 + 0.125 = 0.375 s moving */
static dr_run *hand_run(dr_executor e, int ranks) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.executor = e;
    dr_run *r = dr__run_create(graph, &o, 4, 2, 0);
    cr_assert_not_null(r);
    const double at[5][2] = {{0, 1}, {0, 2}, {0, 1}, {1, 3}, {3, 4}};
    const unsigned w[5] = {0, 1, 2, 3, 0};
    const float send[5] = {0.125f, 0.25f, 0.25f, 0, 0.5f};
    const float recv[5] = {0.0625f, 0, 0.125f, 0, 0.25f};
    const uint64_t sent[5] = {100, 200, 300, 0, 1000};
    const uint64_t received[5] = {50, 0, 30, 0, 10};
    for (dr_task t = 0; t < 5; t++) {
        long i = dr__run_add_attempt(r, t, w[t], 1, DR__ATTEMPT_OK, at[t][0],
                                     at[t][0], at[t][1], NULL);
        cr_assert_geq(i, 0);
        dr__move *mv = dr__run_move_set(r, (size_t)i);
        cr_assert_not_null(mv);
        mv->send_s = send[t];
        mv->recv_s = recv[t];
        mv->bytes_sent = sent[t];
        mv->bytes_received = received[t];
        r->state[t] = DR_STATE_OK;
    }
    r->makespan = 4;
    if (ranks) {
        r->ranks = calloc(2, sizeof(*r->ranks));
        cr_assert_not_null(r->ranks);
        r->ranks[0] = (dr__rank){1, 4242, 0, 2, "node-a"};
        r->ranks[1] = (dr__rank){2, 4343, 2, 2, "node-b"};
        r->nranks = 2;
        snprintf(r->host0, sizeof(r->host0), "node-a");
    }
    return r;
}

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

static const char *str(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_string(v), "no string '%s'", key);
    return json_string_value(v);
}

static json_t *parse(const char *text, size_t len) {
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    cr_assert_not_null(j, "%s: %s", je.text, text);
    return j;
}

static char *printed(const dr_run *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    dr_run_print_summary(r, out);
    fclose(out);
    return text;
}

/* --------------------------------------------------------------- trace */

/* The tree and the streamed text, which must be the same trace. */
static void both_traces(const dr_run *r, json_t *out[2]) {
    out[0] = dr_run_trace_json(r);
    cr_assert_not_null(out[0]);
    size_t len;
    char *text = dr__run_trace_text(r, &len);
    cr_assert_not_null(text);
    out[1] = parse(text, len);
    cr_expect(json_equal(out[0], out[1]), "%s", text);
    free(text);
}

static const char *thread_name(const json_t *trace, int tid) {
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(trace, "traceEvents"), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        json_t *t = json_object_get(e, "tid");
        if (name && strcmp(name, "thread_name") == 0 && json_is_integer(t) &&
            json_integer_value(t) == tid)
            return str(json_object_get(e, "args"), "name");
    }
    cr_assert_fail("no thread_name of tid %d", tid);
    return NULL;
}

Test(mpi_outputs, trace_has_rank_and_host_on_every_attempt, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    json_t *tr[2];
    both_traces(r, tr);
    for (int k = 0; k < 2; k++) {
        size_t i, seen = 0;
        json_t *e;
        json_array_foreach(json_object_get(tr[k], "traceEvents"), i, e) {
            const char *ph = json_string_value(json_object_get(e, "ph"));
            if (ph == NULL || strcmp(ph, "X") != 0)
                continue;
            json_t *args = json_object_get(e, "args");
            int w = (int)num(args, "worker");
            cr_expect_eq(num(args, "rank"), w < 2 ? 1 : 2, "worker %d", w);
            cr_expect_str_eq(str(args, "host"), w < 2 ? "node-a" : "node-b");
            seen++;
        }
        cr_expect_eq(seen, 5);

        json_t *od = json_object_get(tr[k], "otherData");
        cr_expect_str_eq(str(od, "host0"), "node-a");
        cr_expect_str_eq(str(od, "executor"), "mpi");
        json_t *ranks = json_object_get(od, "ranks");
        cr_assert_eq(json_array_size(ranks), 2);
        json_t *r1 = json_array_get(ranks, 0), *r2 = json_array_get(ranks, 1);
        cr_expect_eq(num(r1, "rank"), 1);
        cr_expect_str_eq(str(r1, "host"), "node-a");
        cr_expect_eq(num(r1, "pid"), 4242);
        cr_expect_eq(num(r1, "first_worker"), 0);
        cr_expect_eq(num(r1, "slots"), 2);
        cr_expect_eq(num(r2, "rank"), 2);
        cr_expect_str_eq(str(r2, "host"), "node-b");
        cr_expect_eq(num(r2, "pid"), 4343);
        cr_expect_eq(num(r2, "first_worker"), 2);
        cr_expect_eq(num(r2, "slots"), 2);

        cr_expect_str_eq(thread_name(tr[k], 0), "rank 1:slot 0 (node-a)");
        cr_expect_str_eq(thread_name(tr[k], 1), "rank 1:slot 1 (node-a)");
        cr_expect_str_eq(thread_name(tr[k], 3), "rank 2:slot 1 (node-b)");
    }
    json_decref(tr[0]);
    json_decref(tr[1]);
    dr_run_destroy(r);
}

Test(mpi_outputs, a_run_without_ranks_has_none_of_the_keys, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 0);
    json_t *tr[2];
    both_traces(r, tr);
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(tr[k], "traceEvents"), i, e) {
            json_t *args = json_object_get(e, "args");
            cr_expect_null(json_object_get(args, "rank"));
            cr_expect_null(json_object_get(args, "host"));
        }
        json_t *od = json_object_get(tr[k], "otherData");
        cr_expect_null(json_object_get(od, "ranks"));
        cr_expect_null(json_object_get(od, "host0"));
        cr_expect_str_eq(thread_name(tr[k], 2), "worker 2");
    }
    json_decref(tr[0]);
    json_decref(tr[1]);

    json_t *s = dr_run_summary_json(r);
    cr_expect_null(json_object_get(s, "ranks"));
    cr_expect_null(json_object_get(s, "host0"));
    json_decref(s);
    char *p = printed(r);
    cr_expect_null(strstr(p, "utilisation  "), "%s", p);
    cr_expect_null(strstr(p, "rank"), "%s", p);
    free(p);
    dr_run_destroy(r);
}

/* dagrun's own readers of traces still take an MPI trace. */
Test(mpi_outputs, the_readers_take_an_mpi_trace, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    json_t *tr = dr_run_trace_json(r);
    double dur[5] = {0};
    uint8_t found[5] = {0};
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__costs_from_trace_json(graph, tr, "t", dur, found, &err), 5,
                 "%s", err.text);
    cr_expect_float_eq(dur[3], 2, 1e-9);

    dr__vtrace t;
    cr_assert_eq(dr__vtrace_read(tr, &t, &err), 0, "%s", err.text);
    cr_expect_eq(t.n, 5);
    cr_assert_eq(t.nranks, 2);
    cr_expect_str_eq(t.host0, "node-a");
    cr_expect_eq(t.ranks[1].rank, 2);
    cr_expect_str_eq(t.ranks[1].host, "node-b");
    cr_expect_eq(t.ranks[1].first, 2);
    cr_expect_eq(t.ranks[1].slots, 2);
    cr_expect_eq(dr__vtrace_rank_of(&t, 3), &t.ranks[1]);
    cr_expect_eq(dr__vtrace_rank_of(&t, 1), &t.ranks[0]);
    cr_expect_null(dr__vtrace_rank_of(&t, 4));
    dr__vtrace_free(&t);
    json_decref(tr);
    dr_run_destroy(r);
}

Test(mpi_outputs, the_viz_reader_leaves_out_bad_ranks) {
    const char *text =
        "{\"otherData\": {\"workers\": 3, \"host0\": 7, \"ranks\": ["
        "{\"rank\": 1, \"host\": \"h\", \"first_worker\": 0, \"slots\": 1},"
        "{\"rank\": 2, \"first_worker\": 1, \"slots\": 0},"
        "{\"rank\": -1, \"host\": \"h\", \"first_worker\": 1, \"slots\": 1},"
        "{\"rank\": 3, \"host\": \"h\", \"first_worker\": 1.5, \"slots\": 1},"
        "\"rank 4\","
        "{\"rank\": 5, \"first_worker\": 1, \"slots\": 2}]},"
        " \"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\", \"tid\": 2, "
        "\"ts\": 0, \"dur\": 5}]}";
    json_t *tr = parse(text, strlen(text));
    dr__vtrace t;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__vtrace_read(tr, &t, &err), 0, "%s", err.text);
    cr_assert_eq(t.nranks, 2, "only ranks 1 and 5 are ranks");
    cr_expect_eq(t.ranks[0].rank, 1);
    cr_expect_eq(t.ranks[1].rank, 5);
    cr_expect_str_eq(t.ranks[1].host, "", "no host: \"\"");
    cr_expect_str_eq(t.host0, "", "not a string: \"\"");
    dr__vtrace_free(&t);
    /* And it draws. */
    char *svg = NULL;
    size_t len;
    cr_assert_eq(dr_viz_gantt_svg(tr, NULL, NULL, &svg, &len, &err), 0, "%s",
                 err.text);
    cr_expect_not_null(strstr(svg, ">rank 5:1</text>"), "%s", svg);
    free(svg);
    json_decref(tr);
}

/* ------------------------------------------------------------- summary */

Test(mpi_outputs, summary_has_figures_per_rank, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    json_t *s = dr_run_summary_json(r);
    cr_assert_not_null(s);
    cr_expect_str_eq(str(s, "executor"), "mpi");
    cr_expect_str_eq(str(s, "host0"), "node-a");
    json_t *ranks = json_object_get(s, "ranks");
    cr_assert_eq(json_array_size(ranks), 2);
    json_t *a = json_array_get(ranks, 0), *b = json_array_get(ranks, 1);
    cr_expect_eq(num(a, "rank"), 1);
    cr_expect_str_eq(str(a, "host"), "node-a");
    cr_expect_eq(num(a, "pid"), 4242);
    cr_expect_eq(num(a, "first_worker"), 0);
    cr_expect_eq(num(a, "slots"), 2);
    cr_expect_eq(num(a, "attempts"), 3);
    cr_expect_float_eq(num(a, "busy"), 4, 1e-9);
    cr_expect_float_eq(num(a, "utilization"), 0.5, 1e-9);
    cr_expect_eq(num(a, "bytes_sent"), 1300);
    cr_expect_eq(num(a, "bytes_received"), 60);
    cr_expect_eq(num(a, "messages"), 6);
    cr_expect_float_eq(num(a, "send_seconds"), 0.875, 1e-9);
    cr_expect_float_eq(num(a, "receive_seconds"), 0.3125, 1e-9);
    cr_expect_float_eq(num(a, "transfer_seconds"), 1.1875, 1e-9);

    cr_expect_eq(num(b, "rank"), 2);
    cr_expect_str_eq(str(b, "host"), "node-b");
    cr_expect_eq(num(b, "attempts"), 2);
    cr_expect_float_eq(num(b, "busy"), 3, 1e-9);
    cr_expect_float_eq(num(b, "utilization"), 0.375, 1e-9);
    cr_expect_eq(num(b, "bytes_sent"), 300);
    cr_expect_eq(num(b, "bytes_received"), 30);
    cr_expect_eq(num(b, "messages"), 2, "d moved nothing");
    cr_expect_float_eq(num(b, "transfer_seconds"), 0.375, 1e-9);

    /* The ranks add up to the run's transfer. */
    json_t *x = json_object_get(s, "transfer");
    cr_expect_eq(num(x, "bytes_sent"), 1600);
    cr_expect_eq(num(x, "messages"), 8);

    /* The summary's readers take it. */
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__vsummary_check(s, NULL, &err), 0, "%s", err.text);
    json_decref(s);
    dr_run_destroy(r);
}

Test(mpi_outputs, printed_summary_has_a_table_of_ranks, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    char *p = printed(r);
    cr_expect_not_null(strstr(p, "  Executor: mpi (4 workers on 2 worker "
                                 "ranks, scheduler on node-a); moved 1.69 kB "
                                 "in 8 messages, 1.12 s sending, 438 ms "
                                 "receiving\n"),
                       "%s", p);
    cr_expect_not_null(strstr(p, "\n  rank  host             slots attempts "
                                 "       busy utilisation       moved      "
                                 "moving\n"
                                 "  1     node-a               2        3    "
                                 "     4 s         50%     1.36 kB      1.19 "
                                 "s\n"
                                 "  2     node-b               2        2    "
                                 "     3 s         38%   330 bytes      375 "
                                 "ms\n"),
                       "%s", p);
    /* After the per-worker table. */
    const char *workers = strstr(p, "  worker  attempts");
    cr_expect(workers != NULL && workers < strstr(p, "  rank  host"), "%s", p);
    free(p);
    dr_run_destroy(r);
}

/* ------------------------------------------------------------- pictures */

static char *gantt_of(const dr_run *r) {
    json_t *trace = dr_run_trace_json(r), *summary = dr_run_summary_json(r);
    char *svg = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, &len, &err), 0,
                 "%s", err.text);
    json_decref(trace);
    json_decref(summary);
    return svg;
}

static size_t count(const char *text, const char *what) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

/* The y of the row labelled `label` (a <text ... y="Y" ...>label</text>). */
static double label_y(const char *svg, const char *label) {
    char want[96];
    snprintf(want, sizeof(want), ">%s</text>", label);
    const char *at = strstr(svg, want);
    cr_assert_not_null(at, "no label %s in\n%s", label, svg);
    const char *open = at;
    while (open > svg && strncmp(open, "<text", 5) != 0)
        open--;
    const char *y = strstr(open, " y=\"");
    cr_assert(y != NULL && y < at);
    return strtod(y + 4, NULL);
}

Test(mpi_outputs, gantt_rows_are_rank_slots_grouped_by_host, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    char *svg = gantt_of(r);
    const char *rows[4] = {">rank 1:0<", ">rank 1:1<", ">rank 2:0<",
                           ">rank 2:1<"};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(count(svg, rows[i]), 1, "%s once", rows[i]);
    cr_expect_null(strstr(svg, ">worker 0</text>"), "%s", svg);
    cr_expect_eq(count(svg, "class=\"host-heading\""), 2, "%s", svg);
    cr_expect_not_null(strstr(svg, ">host node-a: rank 1, 2 workers; the "
                                   "scheduler (rank 0) ran here</text>"),
                       "%s", svg);
    cr_expect_not_null(strstr(svg, ">host node-b: rank 2, 2 workers</text>"),
                       "%s", svg);
    cr_expect_not_null(strstr(svg, "on 4 workers (2 ranks on 2 hosts)"));
    /* One separator line: between the hosts. */
    cr_expect_eq(count(svg, "class=\"host-line\""), 1, "%s", svg);
    /* Heading, its rows, heading, its rows. */
    double ha = label_y(svg, "host node-a: rank 1, 2 workers; the scheduler "
                             "(rank 0) ran here"),
           hb = label_y(svg, "host node-b: rank 2, 2 workers");
    cr_expect(ha < label_y(svg, "rank 1:0"));
    cr_expect(label_y(svg, "rank 1:1") < hb);
    cr_expect(hb < label_y(svg, "rank 2:0"));
    cr_expect_not_null(strstr(svg, "\nworker 3 (rank 2, slot 1, host node-b)"
                                   "\nstart"),
                       "the bar's tooltip");
    free(svg);
    dr_run_destroy(r);

    /* Without ranks, nothing changes. */
    r = hand_run(DR_EXECUTOR_PROCESSES, 0);
    svg = gantt_of(r);
    cr_expect_not_null(strstr(svg, ">worker 0</text>"), "%s", svg);
    cr_expect_not_null(strstr(svg, ">worker 3</text>"));
    cr_expect_null(strstr(svg, "host"), "%s", svg);
    cr_expect_null(strstr(svg, "rank"), "%s", svg);
    free(svg);
    dr_run_destroy(r);
}

/* Rank 1 and 3 on node-a, rank 2 on node-b: node-a's rows come first, both
 * of its ranks, then node-b's. */
Test(mpi_outputs, gantt_groups_interleaved_hosts, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    free(r->ranks);
    r->ranks = calloc(3, sizeof(*r->ranks));
    cr_assert_not_null(r->ranks);
    r->ranks[0] = (dr__rank){1, 11, 0, 1, "node-a"};
    r->ranks[1] = (dr__rank){2, 12, 1, 2, "node-b"};
    r->ranks[2] = (dr__rank){3, 13, 3, 1, "node-a"};
    r->nranks = 3;
    snprintf(r->host0, sizeof(r->host0), "login");
    char *svg = gantt_of(r);
    double ha = label_y(svg, "host node-a: 2 ranks (1\xE2\x80\x93"
                             "3), 2 workers"),
           hb = label_y(svg, "host node-b: rank 2, 2 workers");
    double r10 = label_y(svg, "rank 1:0"), r30 = label_y(svg, "rank 3:0"),
           r20 = label_y(svg, "rank 2:0"), r21 = label_y(svg, "rank 2:1");
    cr_expect(ha < r10 && r10 < r30 && r30 < hb && hb < r20 && r20 < r21,
              "%g %g %g %g %g %g", ha, r10, r30, hb, r20, r21);
    cr_expect_null(strstr(svg, "scheduler"), "rank 0 ran on neither");
    /* Worker 3 (rank 3) keeps its colour: the swatch of worker 3. */
    char sw[160];
    snprintf(sw, sizeof(sw), "fill=\"%s\"><title>worker 3:", dr_viz_palette(3));
    cr_expect_not_null(strstr(svg, sw), "%s", svg);
    free(svg);

    json_t *s = dr_run_summary_json(r);
    json_t *k3 = json_array_get(json_object_get(s, "ranks"), 2);
    cr_expect_eq(num(k3, "rank"), 3);
    cr_expect_eq(num(k3, "attempts"), 1, "d, on worker 3");
    cr_expect_float_eq(num(k3, "utilization"), 0.5, 1e-9, "2 s of 4");
    json_decref(s);
    dr_run_destroy(r);
}

Test(mpi_outputs, report_names_each_workers_rank, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_MPI, 1);
    json_t *trace = dr_run_trace_json(r), *summary = dr_run_summary_json(r);
    char *html = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(
        dr_viz_report_html(graph, trace, summary, NULL, &html, &len, &err), 0,
        "%s", err.text);
    cr_expect_not_null(strstr(html, "<tr><td>3 (rank 2:1, node-b)</td>"));
    cr_expect_not_null(strstr(html, "sent to the worker ranks"));
    free(html);
    json_decref(trace);
    json_decref(summary);
    dr_run_destroy(r);
}
