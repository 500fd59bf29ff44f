/*
 * Hooks between the loader front door (dr_graph_load in graph/load.c) and
 * each format's reader.  Each reader builds tasks and dependencies into a
 * fresh graph and fills err (first error wins) naming source, line/column
 * where known, and the task, and validates the graph itself so that a
 * cycle is reported at a line and column of the file.  `limits` (NULL: the
 * defaults, without the environment) caps tasks, dependencies and, for the
 * JSON templates, the text they expand to.
 */
#ifndef DAGRUN_FORMATS_INTERNAL_H
#define DAGRUN_FORMATS_INTERNAL_H

#include "graph_internal.h"

/* dagrun JSON, already parsed by jansson from `text` (kept for locating
 * line:column of semantic errors). */
dr_graph *dr__load_json(json_t *root, const char *text, size_t len,
                        const char *source, const dr_load_options *opts,
                        const dr__limits *limits, dr_error *err);
/* The same from the text alone, without jansson's tree of the whole
 * document: each task object is parsed, read and freed in turn.  Returns
 * the graph, or NULL, with no error, for any file it does not load (every
 * invalid one among them): dr__load_json then says why. */
dr_graph *dr__load_json_text(const char *text, size_t len, const char *source,
                             const dr_load_options *opts,
                             const dr__limits *limits);
/* STG text. */
dr_graph *dr__load_stg(const char *text, size_t len, const char *source,
                       const dr__limits *limits, dr_error *err);
/* WfCommons WfFormat 1.4/1.5, already parsed. */
dr_graph *dr__load_wfcommons(json_t *root, const char *text, size_t len,
                             const char *source, const dr__limits *limits,
                             dr_error *err);
/* 1 when a parsed JSON document looks like a WfCommons instance (has a
 * "workflow" object and a "schemaVersion" or "wfcommons"-style keys). */
int dr__is_wfcommons(const json_t *root);

/*
 * Finds the 1-based line and column of the value at a path in JSON text, for
 * error messages on semantically wrong (but well-formed) input.  The path is
 * a sequence of object keys and array indexes, e.g. "tasks", 5, "deps", 2,
 * given as steps.  Returns 0 and sets line/column, or -1 (then they are 0).
 */
typedef struct dr__json_step {
    const char *key; /* object key, or NULL for an array index */
    size_t index;
} dr__json_step;
int dr__json_locate(const char *text, size_t len, const dr__json_step *path,
                    size_t npath, int *line, int *column);

/* The 1-based line and column of byte `at` of text, columns counting
 * characters (UTF-8 continuation bytes are not counted) as jansson's do;
 * both stop at INT_MAX. */
void dr__text_position(const char *text, size_t at, int *line, int *column);

#endif
