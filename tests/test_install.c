/*
 * dagrun as an installed library: `cmake --install` into a scratch prefix,
 * then programs of one's own built against that copy -- a CMake project
 * with find_package(dagrun) (examples/find-package, shared and static) and
 * a plain `cc ... $(pkg-config --cflags --libs dagrun)` -- must start
 * without LD_LIBRARY_PATH and use the installed library, not the build
 * tree's.  The installed `dagrun` program runs too.
 *
 * The test builds with the compiler and sanitizer flags of the build under
 * test, since an ASan-built libdagrun.so needs an ASan-built program.
 */
#define _GNU_SOURCE
#include "dagrun.h"
#include "support.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef DR_TEST_C_COMPILER
#define DR_TEST_C_COMPILER "cc"
#endif
#ifndef DR_TEST_C_FLAGS
#define DR_TEST_C_FLAGS ""
#endif

static char *dir, *prefix;

/* Runs a shell command line without LD_LIBRARY_PATH; returns its exit
 * status and its output (stdout and stderr together, caller frees). */
static int sh(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int sh(char **out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    cr_assert_geq(vasprintf(&line, fmt, ap), 0);
    va_end(ap);
    char *cmd = drt_fmt("unset LD_LIBRARY_PATH; cd '%s' && ( %s ) "
                        "</dev/null >'%s/.out' 2>&1",
                        dir, line, dir);
    int status = system(cmd);
    char *path = drt_fmt("%s/.out", dir);
    char *text = drt_read_file(path, NULL);
    if (out != NULL)
        *out = text ? text : strdup("");
    else
        free(text);
    free(path);
    free(cmd);
    free(line);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void install(void) {
    dir = drt_tmpdir();
    prefix = drt_fmt("%s/prefix", dir);
    char *out = NULL;
    int rc =
        sh(&out, "cmake --install '%s' --prefix '%s'", DR_BUILD_DIR, prefix);
    cr_assert_eq(rc, 0, "cmake --install failed:\n%s", out);
    free(out);
}

static void uninstall(void) {
    drt_rmtree(dir);
    free(dir);
    free(prefix);
}

/* The C API example's two lines, as examples/README.md shows them. */
static void check_primes(const char *program) {
    char *out = NULL;
    int rc = sh(&out, "'%s' 2 20000 4", program);
    cr_expect_eq(rc, 0, "%s did not run:\n%s", program, out);
    cr_expect(strstr(out, "primes below 20000: 2262 (built in C") != NULL &&
                  strstr(out, "primes below 20000: 2262 (loaded from JSON") !=
                      NULL,
              "%s:\n%s", program, out);
    free(out);
}

/* The program loads libdagrun.so.0 from the prefix, not the build tree
 * (ldd's path may hold "..": compare the files themselves). */
static void check_uses_installed_library(const char *program) {
    char *out = NULL;
    cr_assert_eq(sh(&out, "ldd '%s'", program), 0, "%s", out);
    const char *p = strstr(out, "libdagrun.so.0 => ");
    cr_assert_not_null(p, "%s does not load libdagrun.so.0:\n%s", program, out);
    p += strlen("libdagrun.so.0 => ");
    char *loaded = strndup(p, strcspn(p, " \n"));
    char *installed = drt_fmt("%s/lib/libdagrun.so.0", prefix);
    char *a = realpath(loaded, NULL), *b = realpath(installed, NULL);
    cr_expect(a != NULL && b != NULL && strcmp(a, b) == 0,
              "%s loads %s, not the installed %s:\n%s", program, loaded,
              installed, out);
    free(a);
    free(b);
    free(installed);
    free(loaded);
    free(out);
}

Test(install, a_cmake_project_builds_and_runs_with_find_package,
     .init = install, .fini = uninstall, .timeout = 600) {
    char *out = NULL;
    int rc = sh(&out,
                "cmake -S '%s/examples/find-package' -B app "
                "-DCMAKE_PREFIX_PATH='%s' -DCMAKE_C_COMPILER='%s' "
                "-DCMAKE_C_FLAGS='%s' && cmake --build app",
                DR_SOURCE_DIR, prefix, DR_TEST_C_COMPILER, DR_TEST_C_FLAGS);
    cr_assert_eq(rc, 0, "the find_package project did not build:\n%s", out);
    free(out);
    char *shared = drt_fmt("%s/app/primes", dir);
    char *stat = drt_fmt("%s/app/primes_static", dir);
    check_primes(shared);
    check_uses_installed_library(shared);
    check_primes(stat);
    /* The static one needs no libdagrun.so at all. */
    cr_assert_eq(sh(&out, "ldd '%s'", stat), 0);
    cr_expect_null(strstr(out, "libdagrun"), "%s", out);
    free(out);
    free(stat);
    free(shared);
}

Test(install, a_wrong_version_is_refused_by_find_package, .init = install,
     .fini = uninstall, .timeout = 600) {
    char *cml = drt_fmt("%s/CMakeLists.txt", dir);
    cr_assert_eq(drt_write_file(cml, "cmake_minimum_required(VERSION 3.25)\n"
                                     "project(p LANGUAGES C)\n"
                                     "find_package(dagrun 9.0 REQUIRED)\n"),
                 0);
    char *out = NULL;
    int rc = sh(&out, "cmake -S . -B app -DCMAKE_PREFIX_PATH='%s'", prefix);
    cr_expect_neq(rc, 0, "find_package(dagrun 9.0) accepted 0.x:\n%s", out);
    cr_expect_not_null(strstr(out, "version: " DAGRUN_VERSION_STRING), "%s",
                       out);
    free(out);
    free(cml);
}

Test(install, a_pkg_config_build_runs_without_ld_library_path, .init = install,
     .fini = uninstall, .timeout = 600) {
    char *out = NULL;
    int rc = sh(&out,
                "%s %s '%s/examples/capi/capi.c' -o primes "
                "$(PKG_CONFIG_PATH='%s/lib/pkgconfig' pkg-config --cflags "
                "--libs dagrun)",
                DR_TEST_C_COMPILER, DR_TEST_C_FLAGS, DR_SOURCE_DIR, prefix);
    cr_assert_eq(rc, 0, "cc with pkg-config failed:\n%s", out);
    free(out);
    char *program = drt_fmt("%s/primes", dir);
    check_primes(program);
    check_uses_installed_library(program);
    free(program);
}

Test(install, the_installed_program_runs, .init = install, .fini = uninstall,
     .timeout = 600) {
    char *out = NULL;
    int rc = sh(&out, "'%s/bin/dagrun' --version", prefix);
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect_str_eq(out, "dagrun " DAGRUN_VERSION_STRING "\n");
    free(out);
    rc = sh(&out, "'%s/bin/dagrun' validate '%s/examples/lecture.json'", prefix,
            DR_SOURCE_DIR);
    cr_expect_eq(rc, 0, "%s", out);
    free(out);
}
