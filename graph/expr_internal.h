/*
 * Integer expressions of the JSON graph format (graph/expr.c): parameter
 * values, template ranges, `{...}` substitutions and dependency conditions.
 * Private to the JSON loader and dr_param_parse().
 */
#ifndef DAGRUN_EXPR_INTERNAL_H
#define DAGRUN_EXPR_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A name visible to an expression: a parameter or a range variable.  The
 * name is borrowed. */
typedef struct dr__expr_var {
    const char *name;
    int64_t value;
} dr__expr_var;

/*
 * The names an expression sees: vars[0..nvars), later entries shadowing
 * earlier ones.  A long list (a file may declare 100,000 parameters) comes
 * with an index, a jansson object mapping each name of vars[0..nindexed) to
 * its position, which must hold unique names; vars[nindexed..nvars) (a
 * template's few range variables) are searched one by one.  index may be
 * NULL (then every name is searched one by one).
 */
typedef struct dr__expr_scope {
    const dr__expr_var *vars;
    size_t nvars;
    const json_t *index;
    size_t nindexed;
} dr__expr_scope;

/*
 * Evaluates text[0..len) in scope (NULL: no names).  Returns 0 and sets
 * *out, or -1 with a complete sentence in msg, e.g. "bad expression 'n/0':
 * division by zero".  Never reads past len.
 */
int dr__expr_eval_in(const char *text, size_t len, const dr__expr_scope *scope,
                     int64_t *out, char *msg, size_t msglen);
/* The same over a plain list of names (later entries shadow earlier
 * ones). */
int dr__expr_eval(const char *text, size_t len, const dr__expr_var *vars,
                  size_t nvars, int64_t *out, char *msg, size_t msglen);

/* 1 when s[0..len) is a valid name: [A-Za-z_][A-Za-z0-9_]*. */
int dr__expr_is_name(const char *s, size_t len);

#endif
