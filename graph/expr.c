/*
 * The integer expression language of graph files: parameters ("4*workers"),
 * template ranges, `{i-1}` substitutions and dependency conditions
 * ("i > 0 && j < n").
 *
 * Design: a recursive-descent evaluator straight over the text, with no
 * tree.  Expressions are a few characters long and each is evaluated once per
 * template instance, so building a tree would cost more than it saves.  All
 * arithmetic is on int64_t with overflow checks (the compiler's
 * __builtin_*_overflow); division truncates toward zero as in C.  `&&` and
 * `||` short-circuit: the skipped side is still parsed (so typos are always
 * reported) but not evaluated, so "i > 0 && n / i > 1" is safe at i = 0.
 * Nesting is capped so hostile input cannot exhaust the stack.
 */
#include "expr_internal.h"
#include "graph_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *text;
    size_t len, pos;
    const dr__expr_scope *scope;
    int depth;
    int skip; /* > 0 while evaluating the unevaluated side of && / || */
    int failed;
    char *msg;
    size_t msglen;
} parser;

static void fail(parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(parser *p, const char *fmt, ...) {
    if (p->failed)
        return;
    p->failed = 1;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int shown = p->len > 200 ? 200 : (int)p->len;
    snprintf(p->msg, p->msglen, "bad expression '%.*s%s': %s", shown, p->text,
             p->len > 200 ? "..." : "", what);
}

static void skip_space(parser *p) {
    while (p->pos < p->len &&
           (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
            p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
        p->pos++;
}

/* Consumes `tok` when it comes next (after spaces); returns 1 if it did. */
static int accept(parser *p, const char *tok) {
    skip_space(p);
    size_t n = strlen(tok);
    if (p->len - p->pos >= n && memcmp(p->text + p->pos, tok, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static int peek(parser *p) {
    skip_space(p);
    return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static int is_name_start(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(int c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

int dr__expr_is_name(const char *s, size_t len) {
    if (len == 0 || !is_name_start((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!is_name_char((unsigned char)s[i]))
            return 0;
    return 1;
}

static int64_t parse_or(parser *p);

/* Describes what stands at the current position, for syntax errors. */
static void expected(parser *p, const char *what) {
    skip_space(p);
    if (p->pos >= p->len)
        fail(p, "expected %s at the end", what);
    else
        fail(p, "expected %s at '%c' (column %zu)", what, p->text[p->pos],
             p->pos + 1);
}

static int64_t binary(parser *p, char op, int64_t a, int64_t b) {
    int64_t r = 0;
    if (p->skip || p->failed)
        return 0;
    switch (op) {
    case '+':
        if (__builtin_add_overflow(a, b, &r))
            fail(p, "integer overflow in %lld + %lld", (long long)a,
                 (long long)b);
        break;
    case '-':
        if (__builtin_sub_overflow(a, b, &r))
            fail(p, "integer overflow in %lld - %lld", (long long)a,
                 (long long)b);
        break;
    case '*':
        if (__builtin_mul_overflow(a, b, &r))
            fail(p, "integer overflow in %lld * %lld", (long long)a,
                 (long long)b);
        break;
    case '/':
    case '%':
        if (b == 0)
            fail(p, "division by zero");
        else if (a == INT64_MIN && b == -1)
            fail(p, "integer overflow in %lld %c -1", (long long)a, op);
        else
            r = op == '/' ? a / b : a % b;
        break;
    }
    return r;
}

static int same_name(const char *v, const char *name, size_t n) {
    return strncmp(v, name, n) == 0 && v[n] == '\0';
}

static int64_t lookup(parser *p, const char *name, size_t n) {
    const dr__expr_scope *sc = p->scope;
    size_t nvars = sc ? sc->nvars : 0;
    size_t indexed = sc && sc->index ? sc->nindexed : 0;
    if (indexed > nvars)
        indexed = nvars;
    for (size_t i = nvars; i-- > indexed;)
        if (same_name(sc->vars[i].name, name, n))
            return sc->vars[i].value;
    if (indexed > 0) {
        json_t *at = json_object_getn(sc->index, name, n);
        if (at != NULL && (size_t)json_integer_value(at) < indexed)
            return sc->vars[json_integer_value(at)].value;
    }
    char known[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < nvars && used < sizeof(known); i++) {
        int w = snprintf(known + used, sizeof(known) - used, "%s%s",
                         i ? ", " : "", sc->vars[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (nvars == 0)
        fail(p, "unknown name '%.*s' (no names are defined here)", (int)n,
             name);
    else
        fail(p, "unknown name '%.*s' (known: %s)", (int)n, name, known);
    return 0;
}

static int64_t parse_primary(parser *p) {
    int c = peek(p);
    if (c >= '0' && c <= '9') {
        int64_t v = 0;
        while (p->pos < p->len && p->text[p->pos] >= '0' &&
               p->text[p->pos] <= '9') {
            int d = p->text[p->pos++] - '0';
            if (__builtin_mul_overflow(v, 10, &v) ||
                __builtin_add_overflow(v, d, &v)) {
                fail(p, "number too large (at most %lld)",
                     (long long)INT64_MAX);
                return 0;
            }
        }
        if (p->pos < p->len && is_name_char((unsigned char)p->text[p->pos]))
            expected(p, "an operator");
        return v;
    }
    if (is_name_start(c)) {
        size_t start = p->pos;
        while (p->pos < p->len && is_name_char((unsigned char)p->text[p->pos]))
            p->pos++;
        const char *name = p->text + start;
        size_t n = p->pos - start;
        int is_min = n == 3 && memcmp(name, "min", 3) == 0;
        int is_max = n == 3 && memcmp(name, "max", 3) == 0;
        if ((is_min || is_max) && peek(p) == '(') {
            accept(p, "(");
            int64_t a = parse_or(p);
            if (!accept(p, ",")) {
                expected(p, "',' between the two arguments");
                return 0;
            }
            int64_t b = parse_or(p);
            if (!accept(p, ")")) {
                expected(p, "')'");
                return 0;
            }
            return is_min ? (a < b ? a : b) : (a > b ? a : b);
        }
        return lookup(p, name, n);
    }
    if (c == '(') {
        accept(p, "(");
        int64_t v = parse_or(p);
        if (!accept(p, ")"))
            expected(p, "')'");
        return v;
    }
    expected(p, "a number, a name or '('");
    return 0;
}

static int64_t parse_unary(parser *p) {
    if (++p->depth > MAX_DEPTH) {
        fail(p, "nested too deeply (more than %d levels)", MAX_DEPTH);
        return 0;
    }
    int64_t v;
    if (accept(p, "-")) {
        int64_t a = parse_unary(p);
        v = binary(p, '-', 0, a);
    } else if (accept(p, "+")) {
        v = parse_unary(p);
    } else if (peek(p) == '!' &&
               !(p->pos + 1 < p->len && p->text[p->pos + 1] == '=')) {
        accept(p, "!");
        v = !parse_unary(p);
    } else {
        v = parse_primary(p);
    }
    p->depth--;
    return v;
}

static int64_t parse_mul(parser *p) {
    int64_t v = parse_unary(p);
    while (!p->failed) {
        int c = peek(p);
        if (c != '*' && c != '/' && c != '%')
            break;
        p->pos++;
        int64_t b = parse_unary(p);
        v = binary(p, (char)c, v, b);
    }
    return v;
}

static int64_t parse_add(parser *p) {
    int64_t v = parse_mul(p);
    while (!p->failed) {
        int c = peek(p);
        if (c != '+' && c != '-')
            break;
        p->pos++;
        int64_t b = parse_mul(p);
        v = binary(p, (char)c, v, b);
    }
    return v;
}

static int64_t parse_cmp(parser *p) {
    int64_t v = parse_add(p);
    while (!p->failed) {
        int64_t b;
        if (accept(p, "<=")) {
            b = parse_add(p);
            v = v <= b;
        } else if (accept(p, ">=")) {
            b = parse_add(p);
            v = v >= b;
        } else if (accept(p, "==")) {
            b = parse_add(p);
            v = v == b;
        } else if (accept(p, "!=")) {
            b = parse_add(p);
            v = v != b;
        } else if (accept(p, "<")) {
            b = parse_add(p);
            v = v < b;
        } else if (accept(p, ">")) {
            b = parse_add(p);
            v = v > b;
        } else {
            break;
        }
    }
    return v;
}

static int64_t parse_and(parser *p) {
    int64_t v = parse_cmp(p);
    while (!p->failed && accept(p, "&&")) {
        int skipping = !v;
        p->skip += skipping;
        int64_t b = parse_cmp(p);
        p->skip -= skipping;
        v = v && b;
    }
    return v;
}

static int64_t parse_or(parser *p) {
    if (++p->depth > MAX_DEPTH) {
        fail(p, "nested too deeply (more than %d levels)", MAX_DEPTH);
        return 0;
    }
    int64_t v = parse_and(p);
    while (!p->failed && accept(p, "||")) {
        int skipping = v != 0;
        p->skip += skipping;
        int64_t b = parse_and(p);
        p->skip -= skipping;
        v = v || b;
    }
    p->depth--;
    return v;
}

int dr__expr_eval(const char *text, size_t len, const dr__expr_var *vars,
                  size_t nvars, int64_t *out, char *msg, size_t msglen) {
    dr__expr_scope scope = {vars, nvars, NULL, 0};
    return dr__expr_eval_in(text, len, &scope, out, msg, msglen);
}

int dr__expr_eval_in(const char *text, size_t len, const dr__expr_scope *scope,
                     int64_t *out, char *msg, size_t msglen) {
    parser p = {text, len, 0, scope, 0, 0, 0, msg, msglen};
    if (msglen > 0)
        msg[0] = '\0';
    skip_space(&p);
    if (p.pos >= len) {
        snprintf(msg, msglen, "empty expression");
        return -1;
    }
    int64_t v = parse_or(&p);
    if (!p.failed && peek(&p) != -1)
        expected(&p, "an operator");
    if (p.failed)
        return -1;
    *out = v;
    return 0;
}

int dr_param_parse(char *text, dr_param *out, dr_error *err) {
    char *eq = text ? strchr(text, '=') : NULL;
    if (eq == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "expected NAME=VALUE, got '%s'", text ? text : "");
        return DR_EINVAL;
    }
    size_t n = (size_t)(eq - text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (!dr__expr_is_name(text, n)) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "'%.*s' is not a parameter name (letters, digits and "
                      "'_', not starting with a digit)",
                      (int)n, text);
        return DR_EINVAL;
    }
    char msg[DR_ERROR_TEXT_LENGTH];
    int64_t v;
    if (dr__expr_eval(eq + 1, strlen(eq + 1), NULL, 0, &v, msg, sizeof(msg)) !=
        0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "%s", msg);
        return DR_EINVAL;
    }
    text[n] = '\0';
    out->name = text;
    out->value = v;
    return 0;
}
