/*
 * `dagrun run`'s durable-run options (run_resume.c): --resume, --dry-run,
 * --explain and --no-journal checked together, and the dry run itself.
 * The journal and the decisions are the library's (scheduler/journal.c,
 * scheduler/resume.c); this file only says them.
 */
#ifndef DAGRUN_CLI_RUN_RESUME_H
#define DAGRUN_CLI_RUN_RESUME_H

#include "dagrun/run.h"

/* The journal's name in the output folder. */
#define RUN_JOURNAL_FILE "journal.jsonl"

/* Options that cannot go together (a simulation keeps no journal; --resume
 * needs one): prints the usage error and returns -1, else 0. */
int run_resume_check_options(int simulate, int resume, int dry_run, int explain,
                             int no_journal, int no_outputs);

/* `dagrun run G --dry-run`: reads outdir's journal (creating nothing),
 * prints "KEY: REASON" for every task a --resume run would run, in
 * topological order, then one count line.  Returns the exit code: 0, or 2
 * when the graph is invalid. */
int run_resume_dry_run(dr_graph *g, const dr_run_options *opts,
                       const char *outdir);

#endif
