/*
 * libFuzzer target for the parameter-expression language (graph/expr.c):
 * any bytes, not NUL-terminated, as one expression over a few names,
 * including the extremes of int64.  It must give a value or a message,
 * never a crash, a read past the end, undefined behaviour (UBSan aborts on
 * signed overflow) or unbounded recursion.  Two oracles:
 *  - the indexed lookup (a jansson object of names, as the JSON loader uses
 *    for its parameters) gives exactly what the linear one gives;
 *  - "x=<input>" through dr_param_parse (--set) agrees with an evaluation
 *    without names.
 * Seeds: tests/fuzz/corpus/expr/.
 */
#include "expr_internal.h"
#include "graph_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const dr__expr_var vars[] = {
    {"workers", 4},     {"n", 1000},          {"i", 3},          {"j", 0},
    {"big", INT64_MAX}, {"small", INT64_MIN}, {"minus_one", -1}, {"n_2", 500},
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);

    int64_t a = 0, b = 0;
    char ma[300], mb[300];
    int ra = dr__expr_eval(text, size, vars, NVARS, &a, ma, sizeof(ma));
    if (ra != 0 && ma[0] == '\0')
        abort(); /* a failure must say why */

    /* The same over an index of the first names and the last two searched
     * one by one, as a template's range variables are. */
    json_t *index = json_object();
    for (size_t k = 0; k + 2 < NVARS; k++)
        json_object_set_new(index, vars[k].name, json_integer((json_int_t)k));
    dr__expr_scope scope = {vars, NVARS, index, NVARS - 2};
    int rb = dr__expr_eval_in(text, size, &scope, &b, mb, sizeof(mb));
    json_decref(index);
    if (ra != rb || (ra == 0 && a != b) || (ra != 0 && strcmp(ma, mb) != 0))
        abort();

    /* --set x=<input>: the same value as without names, or an error. */
    char *set = malloc(size + 3);
    if (set != NULL) {
        memcpy(set, "x=", 2);
        memcpy(set + 2, text, size);
        set[size + 2] = '\0';
        dr_param p;
        dr_error err;
        dr_error_clear(&err);
        int rp = dr_param_parse(set, &p, &err);
        int64_t c = 0;
        char mc[300];
        size_t n = strlen(set + 2); /* stops at an embedded NUL */
        int rc = dr__expr_eval(text, n, NULL, 0, &c, mc, sizeof(mc));
        if ((rp == 0) != (rc == 0) || (rp == 0 && p.value != c) ||
            (rp != 0 && err.text[0] == '\0'))
            abort();
        free(set);
    }
    free(text);
    return 0;
}
