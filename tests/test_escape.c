/*
 * The text escaper (graph/escape.c): a literal backslash in text shown as
 * it was written is written \\, so an escaped byte (\x1b for ESC) can be
 * told from the text "\x1b"; the bidi controls (U+202A..U+202E,
 * U+2066..U+2069) and the other invisible format characters are written
 * \u202e, in messages as in shown text.  Unit tests on dr__safe_text and
 * dr_error, then a real run whose failing command prints both.
 */
#include "dagrun.h"
#include "graph_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *safe(const char *s) {
    char *t = dr__safe_text(s, strlen(s), 1);
    cr_assert_not_null(t);
    return t;
}

Test(escape, a_backslash_is_doubled_so_an_escape_is_unambiguous) {
    char *lit = safe("text \\x1b here");
    char *esc = safe("text \x1b here");
    cr_expect_str_eq(lit, "text \\\\x1b here");
    cr_expect_str_eq(esc, "text \\x1b here");
    cr_expect_str_neq(lit, esc);
    free(lit);
    free(esc);
}

Test(escape, bidi_controls_are_escaped) {
    static const struct {
        const char *utf8, *shown;
    } bidi[] = {
        {"\xe2\x80\xaa", "\\u202a"}, {"\xe2\x80\xab", "\\u202b"},
        {"\xe2\x80\xac", "\\u202c"}, {"\xe2\x80\xad", "\\u202d"},
        {"\xe2\x80\xae", "\\u202e"}, {"\xe2\x81\xa6", "\\u2066"},
        {"\xe2\x81\xa7", "\\u2067"}, {"\xe2\x81\xa8", "\\u2068"},
        {"\xe2\x81\xa9", "\\u2069"},
    };
    for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++) {
        char *in = drt_fmt("a%sb", bidi[i].utf8);
        char *want = drt_fmt("a%sb", bidi[i].shown);
        char *got = safe(in);
        cr_expect_str_eq(got, want);
        free(got);
        free(want);
        free(in);
    }
}

Test(escape, other_invisible_format_characters_are_escaped) {
    /* ZERO WIDTH SPACE, ZERO WIDTH JOINER, LEFT-TO-RIGHT MARK, WORD
     * JOINER, BOM, LINE SEPARATOR, SOFT HYPHEN, a tag character. */
    char *got = safe("x\xe2\x80\x8b\xe2\x80\x8d\xe2\x80\x8e\xe2\x81\xa0"
                     "\xef\xbb\xbf\xe2\x80\xa8\xc2\xad\xf3\xa0\x81\x81y");
    cr_expect_str_eq(got, "x\\u200b\\u200d\\u200e\\u2060\\ufeff\\u2028"
                          "\\u00ad\\U000e0041y");
    free(got);
}

Test(escape, visible_utf8_passes_unchanged) {
    const char *s = "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80 "
                    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d";
    char *got = safe(s);
    cr_expect_str_eq(got, s);
    free(got);
}

Test(escape, the_worst_case_fits_the_buffer) {
    /* 4 bytes out per byte in at most: \U000e0041 is 10 for 4. */
    char in[] = "\xf3\xa0\x81\x81\xf3\xa0\x81\x81\\\\\xe2\x80\xae";
    char *got = safe(in);
    cr_expect_str_eq(got, "\\U000e0041\\U000e0041\\\\\\\\\\u202e");
    cr_expect_leq(strlen(got), 4 * strlen(in));
    free(got);
}

Test(escape, an_error_message_escapes_bidi_controls_in_an_id) {
    dr_graph *g = dr_graph_create();
    dr_task a;
    cr_assert_eq(dr_graph_add_task(g,
                                   "evil\xe2\x80\xae"
                                   "txt.exe",
                                   &a),
                 0);
    dr_task b;
    cr_assert_eq(dr_graph_add_task(g, "b", &b), 0);
    cr_assert_eq(dr_graph_add_dep(g, a, b), 0);
    cr_assert_eq(dr_graph_add_dep(g, b, a), 0);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_neq(dr_graph_validate(g, &err), 0);
    cr_expect(strstr(err.text, "evil\\u202etxt.exe") != NULL, "%s", err.text);
    cr_expect(strstr(err.text, "\xe2\x80\xae") == NULL, "raw U+202E: %s",
              err.text);
    dr_graph_destroy(g);
}

Test(escape, a_failed_command_s_tail_and_id_are_shown_unambiguously) {
    char *dir = drt_tmpdir();
    char *script = drt_fmt("%s/s.sh", dir);
    /* A literal backslash-x-1-b, then a real ESC. */
    cr_assert_eq(drt_write_file(script, "printf '\\\\x1b lit \\033 esc\\n' >&2"
                                        "\nexit 1\n"),
                 0);
    char *graph = drt_fmt("%s/g.json", dir);
    char *text = drt_fmt("{\"name\": \"esc\", \"tasks\": [{\"id\": "
                         "\"bad\\u202eid\", \"cmd\": [\"sh\", \"%s\"]}]}\n",
                         script);
    cr_assert_eq(drt_write_file(graph, text), 0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run %s -o %s/out", graph, dir);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect(strstr(out, "| \\\\x1b lit \\x1b esc") != NULL, "stdout: %s",
              out);
    cr_expect(strstr(out, "bad\\u202eid") != NULL, "stdout: %s", out);
    cr_expect(strstr(out, "\xe2\x80\xae") == NULL &&
                  strchr(out, '\x1b') == NULL,
              "raw controls on stdout: %s", out);
    free(out);
    free(err);
    free(text);
    free(graph);
    free(script);
    drt_rmtree(dir);
    free(dir);
}
