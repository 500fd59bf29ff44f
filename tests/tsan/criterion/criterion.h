/*
 * A Criterion-compatible subset for the ThreadSanitizer build only.
 *
 * Criterion 2.4 cannot start under ThreadSanitizer ("Could not initialize
 * inheritable arena", Snaipe/Criterion#274, open), yet the scheduler tests
 * must run under TSan.  In that build this folder comes first on the include
 * path, so the very same test files compile against this header and run in
 * one process, one test after another, under tests/tsan/runner.c.  Only what
 * the scheduler tests use is provided; anything else fails to compile, which
 * is the signal to add it here.
 */
#ifndef DAGRUN_TSAN_CRITERION_H
#define DAGRUN_TSAN_CRITERION_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct drs_test_opts {
    double timeout; /* seconds; 0: the runner's default */
    void (*init)(void);
    void (*fini)(void);
    int disabled;
    const char *description;
    int exit_code;
    int signal;
};

void drs_register(const char *suite, const char *name, void (*fn)(void),
                  const struct drs_test_opts *opts);
/* Records a failed check; `fatal` ends the test (longjmp). */
void drs_fail(int fatal, const char *file, int line, const char *what,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void drs_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void drs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define Test(suite, name, ...)                                                 \
    static void suite##_##name##_impl(void);                                   \
    static const struct drs_test_opts suite##_##name##_opts = {__VA_ARGS__};   \
    __attribute__((constructor)) static void suite##_##name##_reg(void) {      \
        drs_register(#suite, #name, suite##_##name##_impl,                     \
                     &suite##_##name##_opts);                                  \
    }                                                                          \
    static void suite##_##name##_impl(void)

/* `": " __VA_ARGS__` turns an absent message into ": " and a present one
 * ("fmt", args...) into ": fmt" (a format string is never empty, which
 * -Wformat-zero-length would reject). */
#define DRS_CHECK(fatal, cond, what, ...)                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            drs_fail(fatal, __FILE__, __LINE__, what, ": " __VA_ARGS__);       \
    } while (0)

#define cr_assert(c, ...) DRS_CHECK(1, (c), #c, __VA_ARGS__)
#define cr_expect(c, ...) DRS_CHECK(0, (c), #c, __VA_ARGS__)
#define cr_assert_not(c, ...) DRS_CHECK(1, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_expect_not(c, ...) DRS_CHECK(0, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_fail(...) DRS_CHECK(1, 0, "fail", __VA_ARGS__)
#define cr_expect_fail(...) DRS_CHECK(0, 0, "fail", __VA_ARGS__)
#define cr_fail(...) DRS_CHECK(1, 0, "fail", __VA_ARGS__)

#define DRS_CMP(fatal, a, op, b, ...)                                          \
    DRS_CHECK(fatal, (a)op(b), #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) DRS_CMP(1, a, ==, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) DRS_CMP(0, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) DRS_CMP(1, a, !=, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) DRS_CMP(0, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) DRS_CMP(1, a, <, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) DRS_CMP(0, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) DRS_CMP(1, a, <=, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) DRS_CMP(0, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) DRS_CMP(1, a, >, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) DRS_CMP(0, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) DRS_CMP(1, a, >=, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) DRS_CMP(0, a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...)                                                 \
    DRS_CHECK(1, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...)                                                 \
    DRS_CHECK(0, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...)                                             \
    DRS_CHECK(1, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...)                                             \
    DRS_CHECK(0, (p) != NULL, #p " != NULL", __VA_ARGS__)

#define DRS_STR(fatal, a, op, b, ...)                                          \
    DRS_CHECK(fatal, strcmp((a), (b)) op 0, #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) DRS_STR(1, a, ==, b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) DRS_STR(0, a, ==, b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) DRS_STR(1, a, !=, b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) DRS_STR(0, a, !=, b, __VA_ARGS__)
#define cr_assert_str_empty(a, ...)                                            \
    DRS_CHECK(1, (a)[0] == '\0', #a " empty", __VA_ARGS__)
#define cr_expect_str_empty(a, ...)                                            \
    DRS_CHECK(0, (a)[0] == '\0', #a " empty", __VA_ARGS__)
#define cr_assert_str_not_empty(a, ...)                                        \
    DRS_CHECK(1, (a)[0] != '\0', #a " not empty", __VA_ARGS__)
#define cr_expect_str_not_empty(a, ...)                                        \
    DRS_CHECK(0, (a)[0] != '\0', #a " not empty", __VA_ARGS__)

#define DRS_FLOAT(fatal, a, b, eps, ...)                                       \
    DRS_CHECK(fatal, fabs((double)(a) - (double)(b)) <= (double)(eps),         \
              #a " ~= " #b, __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) DRS_FLOAT(1, a, b, eps, __VA_ARGS__)
#define cr_expect_float_eq(a, b, eps, ...) DRS_FLOAT(0, a, b, eps, __VA_ARGS__)
#define cr_assert_float_neq(a, b, eps, ...)                                    \
    DRS_CHECK(1, fabs((double)(a) - (double)(b)) > (double)(eps),              \
              #a " !~= " #b, __VA_ARGS__)
#define cr_expect_float_neq(a, b, eps, ...)                                    \
    DRS_CHECK(0, fabs((double)(a) - (double)(b)) > (double)(eps),              \
              #a " !~= " #b, __VA_ARGS__)

#define cr_assert_arr_eq(a, b, n, ...)                                         \
    DRS_CHECK(1, memcmp((a), (b), (n)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_expect_arr_eq(a, b, n, ...)                                         \
    DRS_CHECK(0, memcmp((a), (b), (n)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_assert_arr_neq(a, b, n, ...)                                        \
    DRS_CHECK(1, memcmp((a), (b), (n)) != 0, #a " != " #b, __VA_ARGS__)
#define cr_expect_arr_neq(a, b, n, ...)                                        \
    DRS_CHECK(0, memcmp((a), (b), (n)) != 0, #a " != " #b, __VA_ARGS__)

#define cr_skip_test(...) drs_skip(": " __VA_ARGS__)
#define cr_log_info(...) drs_log(__VA_ARGS__)
#define cr_log_warn(...) drs_log(__VA_ARGS__)
#define cr_log_error(...) drs_log(__VA_ARGS__)

#endif
