/*
 * An example dagrun plugin: a shared library exporting one function,
 * dagrun_plugin_init, which registers the plugin's operations in the op
 * table it is given.  `dagrun run --plugin ./dagrun_example_plugin.so
 * examples/plugin/graph.json` loads it (dr_plugin_load), after which JSON
 * tasks can name its ops like builtins: {"id": "f", "op": "fib", ...}.
 *
 * The plugin calls back into dagrun (dr_ops_register, dr_call_*).  It is
 * linked against the shared libdagrun so those symbols always resolve: in
 * the dagrun CLI (built with ENABLE_EXPORTS) the dynamic linker binds them
 * to the executable's own copies first, and in a program that does not
 * export them (a test, a C API user linking libdagrun.a) they come from
 * libdagrun.so.  Both copies only read and write the structures they are
 * handed, so either works.
 *
 * Ops:
 *   fib    {"n": k}  -> the k-th Fibonacci number (F0 = 0, F1 = 1), k <= 92
 *   square {"x": v}  -> v*v; without "x", the square of the sum of the
 *                       numeric results of its dependencies.  Integers are
 *                       squared exactly: a square beyond 64 bits fails the
 *                       task (from F48 on) instead of wrapping around.
 *   crash  {"signal": "SEGV" | "ABRT"}  (default "SEGV") -> never returns:
 *                       crashes the process it runs in, by a write through
 *                       a NULL pointer (SIGSEGV) or abort() (SIGABRT).  For
 *                       the threads-versus-processes lesson (docs/lab.md,
 *                       step 8): takes dagrun down under --executor threads,
 *                       one worker under --executor processes.
 */
#include <dagrun.h>
#include <dagrun/run.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Only dagrun_plugin_init leaves the library (the build hides the rest). */
#define PLUGIN_EXPORT __attribute__((visibility("default")))

static int op_fib(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *n = json_object_get(dr_call_args(call), "n");
    if (!json_is_integer(n) || json_integer_value(n) < 0 ||
        json_integer_value(n) > 92)
        return dr_call_fail(call, "op 'fib' needs an integer 'n' in 0..92");
    /* F92 is the largest Fibonacci number a json_int_t holds; the loop
     * stops at F(n) itself and never computes the one after it (F93 would
     * overflow, which is undefined behaviour in C). */
    json_int_t k = json_integer_value(n), a = 0, b = 1; /* F(i), F(i+1) */
    for (json_int_t i = 0; i + 1 < k; i++) {
        json_int_t next = a + b;
        a = b;
        b = next;
    }
    dr_call_set_json(call, json_integer(k == 0 ? 0 : b));
    return 0;
}

/* Integers are squared exactly or not at all: a square that does not fit a
 * json_int_t is an error naming the value, never a wrapped or rounded
 * number. */
static int square_integer(dr_call *call, json_int_t v) {
    json_int_t sq;
    if (__builtin_mul_overflow(v, v, &sq))
        return dr_call_fail(call,
                            "op 'square': %lld squared does not fit a 64-bit "
                            "integer",
                            (long long)v);
    dr_call_set_json(call, json_integer(sq));
    return 0;
}

static int square_real(dr_call *call, double v) {
    if (!isfinite(v * v))
        return dr_call_fail(call,
                            "op 'square': %g squared is not a finite "
                            "number",
                            v);
    dr_call_set_json(call, json_real(v * v));
    return 0;
}

static int op_square(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *x = json_object_get(dr_call_args(call), "x");
    if (x != NULL) {
        if (json_is_integer(x))
            return square_integer(call, json_integer_value(x));
        if (!json_is_number(x))
            return dr_call_fail(call, "op 'square': 'x' must be a number");
        return square_real(call, json_number_value(x));
    }
    /* The sum of the inputs, exact while they are all integers. */
    json_int_t isum = 0;
    double dsum = 0;
    int integral = 1;
    for (size_t i = 0; i < dr_call_ninputs(call); i++) {
        json_t *in = dr_call_input_json(call, i);
        if (in == NULL || json_is_null(in))
            continue;
        if (!json_is_number(in))
            return dr_call_fail(call, "op 'square': input '%s' is not a number",
                                dr_call_input_key(call, i));
        dsum += json_number_value(in);
        if (!json_is_integer(in))
            integral = 0;
        else if (integral &&
                 __builtin_add_overflow(isum, json_integer_value(in), &isum))
            return dr_call_fail(call,
                                "op 'square': the sum of the inputs does not "
                                "fit a 64-bit integer");
    }
    return integral ? square_integer(call, isum) : square_real(call, dsum);
}

/* The bug a C task can have, on purpose: a write to address 16, in the
 * unmapped first page, as through a field of a NULL struct pointer.  The
 * pointer is volatile so the compiler can neither prove the write
 * undefined and drop it nor move it, and it is not NULL itself so that
 * UndefinedBehaviorSanitizer builds crash the same way instead of
 * reporting and exiting; raise() follows in case the page is mapped, so
 * the process still dies of the same signal. */
static int op_crash(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *sig = json_object_get(dr_call_args(call), "signal");
    const char *name = json_is_string(sig) ? json_string_value(sig) : "SEGV";
    if (sig != NULL && !json_is_string(sig))
        return dr_call_fail(call, "op 'crash': 'signal' must be \"SEGV\" or "
                                  "\"ABRT\"");
    if (strcmp(name, "ABRT") == 0)
        abort();
    if (strcmp(name, "SEGV") != 0)
        return dr_call_fail(
            call, "op 'crash': unknown signal '%s' (SEGV or ABRT)", name);
    char *volatile nowhere = (char *)(uintptr_t)16;
    *nowhere = 1;
    raise(SIGSEGV);
    return dr_call_fail(call, "op 'crash': still alive after SIGSEGV");
}

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops);

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops) {
    int rc = dr_ops_register(ops, "fib", op_fib, NULL);
    if (rc == 0)
        rc = dr_ops_register(ops, "square", op_square, NULL);
    if (rc == 0)
        rc = dr_ops_register(ops, "crash", op_crash, NULL);
    return rc;
}
