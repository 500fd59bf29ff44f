/*
 * A resumed run's plan (scheduler/resume.c, docs/resuming.md "What
 * reruns"): the public dr_plan (include/dagrun/run.h) and what the
 * executor reads from it.  The plan decides once, before anything starts,
 * which tasks are cached; the run then starts the others.
 *
 * How the plan checks a record, which is how the executor must write it:
 *  - "op" is dr__task_op_fp of the task with the run's workdir
 *    (dr__plan_op_fp gives it for every task, cached or not);
 *  - "fp" is dr__task_fp of that op fingerprint, the result fingerprints
 *    of the task's dependencies in dependency order (as dr__plan_result_fp
 *    gives a cached one's), and the record's own "inputs" in declaration
 *    order (each the task's declared input, same path, as seen when the
 *    task started);
 *  - "result_fp" is dr__json_fp of the result for a function or builtin
 *    task (of JSON null when it has none), dr__command_result_fp for a
 *    command, null when the result is a C pointer;
 *  - "outputs" are the declared outputs as seen when the attempt ended.
 */
#ifndef DAGRUN_RESUME_H
#define DAGRUN_RESUME_H

#include "dagrun/run.h"
#include "fingerprint.h"

/* The recorded result of a cached task (borrowed until dr_plan_destroy);
 * NULL when t is not cached or its record has no "result" (a command, or a
 * function that set none). */
json_t *dr__plan_result(const dr_plan *plan, dr_task t);
/* The result fingerprint of a cached task: 0, or -1 when t runs. */
int dr__plan_result_fp(const dr_plan *plan, dr_task t, dr__fp *out);
/* The op fingerprint of t (every task, cached or not, with or without
 * resume), computed once by dr_plan_create. */
const dr__fp *dr__plan_op_fp(const dr_plan *plan, dr_task t);
/* The journal record the plan reused for t (borrowed until
 * dr_plan_destroy), NULL when t runs. */
json_t *dr__plan_record(const dr_plan *plan, dr_task t);
/*
 * A cached task whose declared files were touched (same content, another
 * mtime): its inputs then its outputs as stat sees them now (the content
 * hashes unchanged), *n of them, so that the run can record them and the
 * next check needs no read.  NULL (and *n 0) when t runs or none of its
 * files was touched.  Borrowed until dr_plan_destroy.
 */
const dr__file_fp *dr__plan_touched(const dr_plan *plan, dr_task t, size_t *n);

#endif
