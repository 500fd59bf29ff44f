/*
 * The public dr_call_* functions a C function task calls while it runs on
 * a worker thread (include/dagrun/run.h).
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, strsignal */
#include "exec_internal.h"

/* ------------------------------------------------- C function task calls */

const char *dr_call_task(const dr_call *call) {
    return dr_task_key(call->x->g, call->task);
}

unsigned dr_call_worker(const dr_call *call) { return call->worker; }

json_t *dr_call_args(const dr_call *call) {
    return dr_task_op_args(call->x->g, call->task);
}

size_t dr_call_ninputs(const dr_call *call) { return call->ndeps; }

const char *dr_call_input_key(const dr_call *call, size_t i) {
    return i < call->ndeps ? dr_task_key(call->x->g, call->deps[i]) : NULL;
}

json_t *dr_call_input_json(const dr_call *call, size_t i) {
    if (i >= call->ndeps)
        return NULL;
    return call->in != NULL ? call->in[i]
                            : call->x->results[call->deps[i]].json;
}

void *dr_call_input_ptr(const dr_call *call, size_t i) {
    if (i >= call->ndeps || call->in != NULL)
        return NULL;
    return call->x->results[call->deps[i]].ptr;
}

void dr_call_set_json(dr_call *call, json_t *value) {
    dr__x_result_free(&call->out);
    call->out.json = value;
}

void dr_call_set_ptr(dr_call *call, void *ptr, void (*free_fn)(void *),
                     size_t size) {
    dr__x_result_free(&call->out);
    call->out.ptr = ptr;
    call->out.free_fn = free_fn;
    call->out.size = size;
}

int dr_call_fail(dr_call *call, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->error, sizeof call->error, fmt, ap);
    va_end(ap);
    /* One line: the failure record and the trace show it that way. */
    for (char *p = call->error; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

int dr_call_cancelled(const dr_call *call) {
    return atomic_load(call->cancel) != 0;
}
