/*
 * The summary for a caller that wants both its forms: the metrics of a big
 * run are sweeps over every attempt and task (seconds at 10,000,000 tasks),
 * so `dagrun run` computes them once for the printed text and for
 * summary.json.
 */
#ifndef DAGRUN_METRICS_INTERNAL_H
#define DAGRUN_METRICS_INTERNAL_H

#include "dagrun/run.h"

#include <stdio.h>

/* Computes the run's metrics once, prints dr_run_print_summary's text to
 * `out` (unless NULL), and returns dr_run_summary_json's object (new
 * reference), or NULL when out of memory (then nothing is printed unless
 * only the object failed). */
json_t *dr__run_summary_print(const dr_run *run, FILE *out);

/* The k-th smallest of v[0..n-1] (k < n), by selection: v is reordered so
 * that v[k] is it, nothing larger before it and nothing smaller after.
 * O(n) expected on any input, O(n log n) at worst; `rounds` (unless NULL)
 * gets the number of partitions made. */
double dr__select_kth(double *v, size_t n, size_t k, size_t *rounds);

#endif
