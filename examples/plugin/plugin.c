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
 *                       numeric results of its dependencies
 */
#include <dagrun.h>
#include <dagrun/run.h>

/* Only dagrun_plugin_init leaves the library (the build hides the rest). */
#define PLUGIN_EXPORT __attribute__((visibility("default")))

static int op_fib(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *n = json_object_get(dr_call_args(call), "n");
    if (!json_is_integer(n) || json_integer_value(n) < 0 ||
        json_integer_value(n) > 92)
        return dr_call_fail(call, "op 'fib' needs an integer 'n' in 0..92");
    json_int_t a = 0, b = 1;
    for (json_int_t i = 0; i < json_integer_value(n); i++) {
        json_int_t next = a + b;
        a = b;
        b = next;
    }
    dr_call_set_json(call, json_integer(a));
    return 0;
}

static int op_square(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *x = json_object_get(dr_call_args(call), "x");
    double v = 0;
    int integral = 1;
    if (x != NULL) {
        if (!json_is_number(x))
            return dr_call_fail(call, "op 'square': 'x' must be a number");
        v = json_number_value(x);
        integral = json_is_integer(x);
    } else {
        for (size_t i = 0; i < dr_call_ninputs(call); i++) {
            json_t *in = dr_call_input_json(call, i);
            if (in == NULL || json_is_null(in))
                continue;
            if (!json_is_number(in))
                return dr_call_fail(call,
                                    "op 'square': input '%s' is not a number",
                                    dr_call_input_key(call, i));
            v += json_number_value(in);
            integral = integral && json_is_integer(in);
        }
    }
    dr_call_set_json(call, integral ? json_integer((json_int_t)(v * v))
                                    : json_real(v * v));
    return 0;
}

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops);

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops) {
    int rc = dr_ops_register(ops, "fib", op_fib, NULL);
    if (rc == 0)
        rc = dr_ops_register(ops, "square", op_square, NULL);
    return rc;
}
