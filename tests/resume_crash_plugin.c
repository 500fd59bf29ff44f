/*
 * A plugin for tests/test_resume_kill.c: one op that crashes the process
 * running it, once.  {"op": "crash_once", "args": {"flag": F, "counter":
 * C}} appends a line to the file C (how many times the task ran), then, if
 * the file F does not exist, creates it and calls abort(): dagrun dies of
 * SIGABRT in the middle of its run, as with a bug in a C function task.
 * When F exists it succeeds with the result "survived".  Paths are relative
 * to dagrun's working folder.
 */
#include <dagrun.h>
#include <dagrun/run.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

static int op_crash_once(dr_call *call, void *user_data) {
    (void)user_data;
    json_t *args = dr_call_args(call);
    const char *flag = json_string_value(json_object_get(args, "flag"));
    const char *counter = json_string_value(json_object_get(args, "counter"));
    if (flag == NULL || counter == NULL)
        return dr_call_fail(call, "op 'crash_once' needs strings 'flag' and "
                                  "'counter' in \"args\"");
    FILE *c = fopen(counter, "a");
    if (c == NULL || fputs("ran\n", c) < 0 || fclose(c) != 0)
        return dr_call_fail(call, "cannot append to %s", counter);
    if (access(flag, F_OK) != 0) {
        FILE *f = fopen(flag, "w");
        if (f == NULL || fclose(f) != 0)
            return dr_call_fail(call, "cannot create %s", flag);
        abort();
    }
    dr_call_set_json(call, json_string("survived"));
    return 0;
}

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops);

PLUGIN_EXPORT int dagrun_plugin_init(dr_ops *ops) {
    return dr_ops_register(ops, "crash_once", op_crash_once, NULL);
}
