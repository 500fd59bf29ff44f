/*
 * What the outputs say about the executor (docs/running.md, "Executors"):
 * summary.json's `executor` and `transfer`, the printed summary's
 * "Executor:" line, the trace's otherData.executor and the per-attempt
 * send_s / recv_s / bytes_sent / bytes_received (written only when not 0,
 * read back by the viz reader, absent or bad ones taken as 0), the Gantt
 * chart's title, slivers and legend entry, and the report's executor fact
 * and "Data moved" row.
 *
 * Until the processes executor fills the transfer fields, the runs are
 * built by hand (dr__run_create, dr__run_add_attempt) with the fields set
 * as that executor will set them.  A simulation says nothing new.
 */
#define _GNU_SOURCE /* memmem, open_memstream */
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

/* a -> c, b -> c. */
static void setup(void) {
    graph = dr_graph_create();
    dr_graph_set_name(graph, "moved");
    const char *keys[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(dr_graph_add_task(graph, keys[i], NULL), 0);
    dr_graph_add_dep(graph, 2, 0);
    dr_graph_add_dep(graph, 2, 1);
    cr_assert_eq(dr_graph_validate(graph, NULL), 0);
}

static void teardown(void) { dr_graph_destroy(graph); }

/* A two-worker run under executor e: a [0,1) on 0, b [0,2) on 1, c [2,4)
 * on 0.  With moved, a and c moved data (b, say a command, did not):
 * a sent 1000 bytes in 0.25 s and received 500 in 0.125 s, c sent 2000 in
 * 0.5 s and received 0 bytes in 0 s. */
static dr_run *hand_run(dr_executor e, int moved, int simulated) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.executor = e;
    dr_run *r = dr__run_create(graph, &o, 2, 2, simulated);
    cr_assert_not_null(r);
    const double at[3][3] = {{0, 0, 1}, {0, 0, 2}, {2, 2, 4}};
    const unsigned w[3] = {0, 1, 0};
    for (dr_task t = 0; t < 3; t++) {
        long i = dr__run_add_attempt(r, t, w[t], 1, DR__ATTEMPT_OK, at[t][0],
                                     at[t][1], at[t][2], NULL);
        cr_assert_geq(i, 0);
        r->state[t] = DR_STATE_OK;
    }
    r->makespan = 4;
    if (moved) {
        dr__run_move_set(r, 0)->send_s = 0.25f;
        dr__run_move_set(r, 0)->recv_s = 0.125f;
        dr__run_move_set(r, 0)->bytes_sent = 1000;
        dr__run_move_set(r, 0)->bytes_received = 500;
        dr__run_move_set(r, 2)->send_s = 0.5f;
        dr__run_move_set(r, 2)->bytes_sent = 2000;
    }
    return r;
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

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

/* ------------------------------------------------------------- summary */

Test(executor_outputs, summary_json_names_the_executor_and_sums_transfer,
     .init = setup, .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    json_t *s = dr_run_summary_json(r);
    cr_assert_not_null(s);
    cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                     "processes");
    json_t *x = json_object_get(s, "transfer");
    cr_assert(json_is_object(x), "no transfer object");
    cr_expect_eq(num(x, "bytes_sent"), 3000);
    cr_expect_eq(num(x, "bytes_received"), 500);
    cr_expect_float_eq(num(x, "send_seconds"), 0.75, 1e-9);
    cr_expect_float_eq(num(x, "receive_seconds"), 0.125, 1e-9);
    cr_expect_eq(num(x, "messages"), 4, "two attempts moved data, two each");
    json_decref(s);
    dr_run_destroy(r);
}

Test(executor_outputs, threads_and_sync_have_zero_transfer, .init = setup,
     .fini = teardown) {
    const dr_executor es[] = {DR_EXECUTOR_THREADS, DR_EXECUTOR_SYNC};
    for (int k = 0; k < 2; k++) {
        dr_run *r = hand_run(es[k], 0, 0);
        json_t *s = dr_run_summary_json(r);
        cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                         dr_executor_name(es[k]));
        json_t *x = json_object_get(s, "transfer");
        cr_assert(json_is_object(x));
        cr_expect_eq(num(x, "bytes_sent"), 0);
        cr_expect_eq(num(x, "bytes_received"), 0);
        cr_expect_eq(num(x, "messages"), 0);
        cr_expect_eq(num(x, "send_seconds"), 0);
        cr_expect_eq(num(x, "receive_seconds"), 0);
        json_decref(s);
        dr_run_destroy(r);
    }
}

Test(executor_outputs, a_simulation_says_nothing_new, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 0, 1);
    json_t *s = dr_run_summary_json(r);
    cr_expect_null(json_object_get(s, "executor"));
    cr_expect_null(json_object_get(s, "transfer"));
    json_decref(s);
    char *p = printed(r);
    cr_expect_null(strstr(p, "Executor"), "%s", p);
    free(p);
    json_t *tr = dr_run_trace_json(r);
    cr_expect_null(
        json_object_get(json_object_get(tr, "otherData"), "executor"));
    json_decref(tr);
    dr_run_destroy(r);
}

Test(executor_outputs, printed_summary_has_one_executor_line, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    char *p = printed(r);
    cr_expect_not_null(strstr(p, "  Executor: processes (2 workers); moved "
                                 "3.5 kB in 4 messages, 750 ms sending, "
                                 "125 ms receiving\n"),
                       "%s", p);
    free(p);
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_THREADS, 0, 0);
    p = printed(r);
    cr_expect_not_null(strstr(p, "  Executor: threads\n"), "%s", p);
    cr_expect_null(strstr(p, "; moved"), "%s", p);
    free(p);
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_SYNC, 0, 0);
    p = printed(r);
    cr_expect_not_null(strstr(p, "  Executor: sync (one task at a time on the "
                                 "calling thread)\n"),
                       "%s", p);
    free(p);
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_PROCESSES, 0, 0);
    p = printed(r);
    cr_expect_not_null(strstr(p, "Executor: processes (2 workers); no task "
                                 "data moved\n"),
                       "%s", p);
    free(p);
    dr_run_destroy(r);
}

/* --------------------------------------------------------------- trace */

static json_t *event_of(const json_t *trace, const char *task) {
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(trace, "traceEvents"), i, e) {
        json_t *args = json_object_get(e, "args");
        const char *ph = json_string_value(json_object_get(e, "ph"));
        const char *t = json_string_value(json_object_get(args, "task"));
        if (ph && strcmp(ph, "X") == 0 && t && strcmp(t, task) == 0)
            return args;
    }
    cr_assert_fail("no event of task %s", task);
    return NULL;
}

Test(executor_outputs, trace_args_carry_transfer_only_when_not_zero,
     .init = setup, .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    json_t *tree = dr_run_trace_json(r);
    size_t len;
    char *text = dr__run_trace_text(r, &len);
    cr_assert_not_null(text);
    json_error_t je;
    json_t *parsed = json_loadb(text, len, 0, &je);
    cr_assert_not_null(parsed, "%s", je.text);
    /* The two ways out write the same trace. */
    cr_expect(json_equal(tree, parsed), "%s", text);
    const json_t *traces[2] = {tree, parsed};
    for (int k = 0; k < 2; k++) {
        const json_t *t = traces[k];
        cr_expect_str_eq(json_string_value(json_object_get(
                             json_object_get(t, "otherData"), "executor")),
                         "processes");
        json_t *a = event_of(t, "a"), *b = event_of(t, "b"),
               *c = event_of(t, "c");
        cr_expect_float_eq(num(a, "send_s"), 0.25, 1e-9);
        cr_expect_float_eq(num(a, "recv_s"), 0.125, 1e-9);
        cr_expect_eq(num(a, "bytes_sent"), 1000);
        cr_expect_eq(num(a, "bytes_received"), 500);
        const char *keys[] = {"send_s", "recv_s", "bytes_sent",
                              "bytes_received"};
        for (int i = 0; i < 4; i++)
            cr_expect_null(json_object_get(b, keys[i]), "b has %s", keys[i]);
        cr_expect_eq(num(c, "bytes_sent"), 2000);
        cr_expect_null(json_object_get(c, "recv_s"));
        cr_expect_null(json_object_get(c, "bytes_received"));
    }
    free(text);
    json_decref(tree);
    json_decref(parsed);
    dr_run_destroy(r);

    /* Under threads no attempt grows. */
    r = hand_run(DR_EXECUTOR_THREADS, 0, 0);
    text = dr__run_trace_text(r, &len);
    cr_expect_null(strstr(text, "send_s"), "%s", text);
    cr_expect_null(strstr(text, "bytes_"), "%s", text);
    cr_expect_not_null(strstr(text, "\"executor\":\"threads\""), "%s", text);
    free(text);
    dr_run_destroy(r);
}

static json_t *parse(const char *text) {
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "%s: %s", je.text, text);
    return j;
}

Test(executor_outputs, the_reader_takes_transfer_back_and_tolerates_bad_ones) {
    json_t *trace = parse(
        "{\"otherData\": {\"executor\": \"processes\", \"workers\": 1},"
        " \"traceEvents\": ["
        "{\"ph\": \"X\", \"name\": \"a\", \"tid\": 0, \"ts\": 0, \"dur\": "
        "1000000, \"args\": {\"send_s\": 0.25, \"recv_s\": 0.125, "
        "\"bytes_sent\": 1000, \"bytes_received\": 500}},"
        "{\"ph\": \"X\", \"name\": \"b\", \"tid\": 0, \"ts\": 1000000, "
        "\"dur\": 1000000},"
        "{\"ph\": \"X\", \"name\": \"c\", \"tid\": 0, \"ts\": 2000000, "
        "\"dur\": 1000000, \"args\": {\"send_s\": \"soon\", \"recv_s\": -1, "
        "\"bytes_sent\": null}},"
        "{\"ph\": \"X\", \"name\": \"d\", \"tid\": 0, \"ts\": 3000000, "
        "\"dur\": 1000000, \"args\": {\"send_s\": 5, \"recv_s\": 5}}]}");
    dr__vtrace t;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__vtrace_read(trace, &t, &err), 0, "%s", err.text);
    cr_assert_eq(t.n, 4);
    cr_expect_str_eq(t.executor, "processes");
    cr_expect_float_eq(t.a[0].send, 250000, 1e-6, "microseconds");
    cr_expect_float_eq(t.a[0].recv, 125000, 1e-6);
    cr_expect_eq(t.a[0].bytes_sent, 1000);
    cr_expect_eq(t.a[0].bytes_received, 500);
    cr_expect_eq(t.a[1].send + t.a[1].recv + t.a[1].bytes_sent, 0, "absent: 0");
    cr_expect_eq(t.a[2].send + t.a[2].recv + t.a[2].bytes_sent, 0,
                 "not a number, negative, null: 0");
    /* Longer than the attempt: cut to fit, sending first. */
    cr_expect_eq(t.a[3].send, 1000000);
    cr_expect_eq(t.a[3].recv, 0);
    cr_expect_eq(t.moved, 2);
    cr_expect_eq(t.bytes_moved, 1500);
    dr__vtrace_free(&t);
    json_decref(trace);

    /* A trace of before executors: nothing moved, no executor. */
    trace = parse("{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\", "
                  "\"ts\": 0, \"dur\": 5}]}");
    cr_assert_eq(dr__vtrace_read(trace, &t, &err), 0, "%s", err.text);
    cr_expect_str_eq(t.executor, "");
    cr_expect_eq(t.moved, 0);
    dr__vtrace_free(&t);
    json_decref(trace);
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

Test(executor_outputs, gantt_names_the_executor_and_draws_the_transfer,
     .init = setup, .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    char *svg = gantt_of(r);
    cr_expect_not_null(strstr(svg, ", executor processes"), "%s", svg);
    /* a sent and received, c only sent (1200 px wide: 0.5 s of 4 s is far
     * more than a pixel). */
    cr_expect_eq(count(svg, "class=\"send\""), 2, "%s", svg);
    cr_expect_eq(count(svg, "class=\"recv\""), 1, "%s", svg);
    cr_expect_eq(count(svg, "sending inputs / receiving results"), 1);
    cr_expect_not_null(strstr(svg, "sending inputs 250 ms (1000 bytes)"),
                       "the bar's tooltip says it");
    free(svg);
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_THREADS, 0, 0);
    svg = gantt_of(r);
    cr_expect_not_null(strstr(svg, ", executor threads"));
    cr_expect_null(strstr(svg, "class=\"send\""));
    cr_expect_null(strstr(svg, "receiving results"), "no legend entry");
    free(svg);
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_PROCESSES, 0, 1);
    svg = gantt_of(r);
    cr_expect_null(strstr(svg, "executor"), "a simulation names none");
    free(svg);
    dr_run_destroy(r);
}

Test(executor_outputs, gantt_slivers_under_a_pixel_are_not_drawn, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    /* 1 µs of 4 s is a thousandth of a pixel. */
    dr__run_move_set(r, 0)->send_s = dr__run_move_set(r, 0)->recv_s = 1e-6f;
    dr__run_move_set(r, 2)->send_s = 1e-6f;
    char *svg = gantt_of(r);
    cr_expect_null(strstr(svg, "class=\"send\""), "%s", svg);
    cr_expect_null(strstr(svg, "class=\"recv\""));
    cr_expect_not_null(strstr(svg, "sending inputs / receiving results"),
                       "data moved, so the legend says so");
    free(svg);
    dr_run_destroy(r);
}

static char *report_of(const dr_run *r, int with_summary) {
    json_t *trace = dr_run_trace_json(r);
    json_t *summary = with_summary ? dr_run_summary_json(r) : NULL;
    char *html = NULL;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(
        dr_viz_report_html(graph, trace, summary, NULL, &html, &len, &err), 0,
        "%s", err.text);
    json_decref(trace);
    json_decref(summary);
    return html;
}

Test(executor_outputs, report_has_the_executor_and_data_moved, .init = setup,
     .fini = teardown) {
    dr_run *r = hand_run(DR_EXECUTOR_PROCESSES, 1, 0);
    for (int with_summary = 0; with_summary < 2; with_summary++) {
        char *html = report_of(r, with_summary);
        cr_expect_not_null(
            strstr(html, "<div><b>processes</b><span>executor</span></div>"),
            "summary %d", with_summary);
        cr_expect_not_null(strstr(html, "<th>Data moved</th><td "
                                        "class=\"rp-num\">3.5 kB in 4 "
                                        "messages</td>"),
                           "summary %d", with_summary);
        cr_expect_not_null(strstr(html, "750 ms sending, 125 ms receiving"));
        free(html);
    }
    dr_run_destroy(r);

    r = hand_run(DR_EXECUTOR_THREADS, 0, 0);
    char *html = report_of(r, 1);
    cr_expect_not_null(
        strstr(html, "<div><b>threads</b><span>executor</span></div>"));
    cr_expect_null(strstr(html, "Data moved"), "nothing moved: no row");
    free(html);
    dr_run_destroy(r);
}

/* A real run through dr_run_graph records the executor it was given. */
Test(executor_outputs, a_real_run_records_its_executor, .init = setup,
     .fini = teardown, .timeout = 60) {
    const dr_executor es[] = {DR_EXECUTOR_THREADS, DR_EXECUTOR_PROCESSES,
                              DR_EXECUTOR_SYNC};
    for (int k = 0; k < 3; k++) {
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = 2;
        o.executor = es[k];
        dr_error err;
        dr_error_clear(&err);
        dr_run *r = dr_run_graph(graph, &o, &err);
        cr_assert_not_null(r, "%s", err.text);
        cr_expect_eq(dr_run_status(r), 0);
        json_t *s = dr_run_summary_json(r);
        cr_expect_str_eq(json_string_value(json_object_get(s, "executor")),
                         dr_executor_name(es[k]));
        cr_expect(json_is_object(json_object_get(s, "transfer")));
        json_decref(s);
        dr_run_destroy(r);
    }
}
