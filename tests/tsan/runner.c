/*
 * The runner behind tests/tsan/criterion/criterion.h: runs every registered
 * test in this process, in registration order, each under an alarm so a
 * deadlock fails instead of hanging, and ends with Criterion's synthesis
 * line and a plain "N passed, N failed" line.  Exit status 0 only when no
 * test failed.
 */
#include "criterion/criterion.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TESTS 1024
#define DEFAULT_TIMEOUT 120

typedef struct drs_test {
    const char *suite, *name;
    void (*fn)(void);
    const struct drs_test_opts *opts;
} drs_test;

static drs_test tests[MAX_TESTS];
static int ntests;
static jmp_buf escape;
static int failed_checks;
static const drs_test *current;

void drs_register(const char *suite, const char *name, void (*fn)(void),
                  const struct drs_test_opts *opts) {
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "tsan runner: more than %d tests\n", MAX_TESTS);
        abort();
    }
    tests[ntests++] = (drs_test){suite, name, fn, opts};
}

void drs_fail(int fatal, const char *file, int line, const char *what,
              const char *fmt, ...) {
    failed_checks++;
    fprintf(stderr, "[----] %s:%d: %s::%s: check failed: %s", file, line,
            current ? current->suite : "?", current ? current->name : "?",
            what);
    if (strcmp(fmt, ": ") != 0) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    if (fatal)
        longjmp(escape, 1);
}

void drs_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[SKIP] %s::%s", current->suite, current->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    longjmp(escape, 2);
}

void drs_log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("[----] ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "[FAIL] test timed out (deadlock?)\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to do */
    }
    _exit(1);
}

int main(void) {
    /* Kept in memory across the longjmp of a failed check (setjmp below). */
    volatile int passed = 0, failed = 0, skipped = 0;
    signal(SIGALRM, on_alarm);
    for (volatile int i = 0; i < ntests; i++) {
        const drs_test *t = &tests[i];
        current = t;
        if (t->opts->disabled) {
            skipped++;
            continue;
        }
        failed_checks = 0;
        double timeout =
            t->opts->timeout > 0 ? t->opts->timeout : DEFAULT_TIMEOUT;
        /* Sanitizers slow everything down: allow four times the budget. */
        alarm((unsigned)(timeout * 4) + 1);
        int jumped = setjmp(escape);
        if (jumped == 0) {
            if (t->opts->init)
                t->opts->init();
            t->fn();
        }
        if (jumped != 2 && t->opts->fini)
            t->opts->fini();
        alarm(0);
        if (jumped == 2) {
            skipped++;
        } else if (failed_checks > 0) {
            failed++;
            fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
        } else {
            passed++;
        }
    }
    fprintf(stderr,
            "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | "
            "Crashing: 0\n",
            passed + failed, passed, failed);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0 ? 0 : 1;
}
