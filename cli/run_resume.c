/*
 * --resume, --dry-run, --explain and --no-journal of `dagrun run`
 * (run_resume.h; docs/resuming.md).
 */
#include "run_resume.h"
#include "cli.h"
#include "graph_internal.h"

#include <stdio.h>
#include <stdlib.h>

int run_resume_check_options(int simulate, int resume, int dry_run, int explain,
                             int no_journal, int no_outputs) {
    const char *opt = resume    ? "--resume"
                      : dry_run ? "--dry-run"
                      : explain ? "--explain"
                                : NULL;
    if (opt == NULL)
        return 0;
    if (simulate) {
        cli_usage_error("run",
                        "%s: a simulation keeps no journal and never "
                        "resumes (drop --simulate, or %s)",
                        opt, opt);
        return -1;
    }
    if ((resume || dry_run) && no_journal) {
        cli_usage_error(
            "run", "%s needs the journal that --no-journal turns off", opt);
        return -1;
    }
    if ((resume || dry_run) && no_outputs) {
        cli_usage_error("run",
                        "%s reads the journal of the output folder, which "
                        "--no-outputs leaves out",
                        opt);
        return -1;
    }
    return 0;
}

int run_resume_dry_run(dr_graph *g, const dr_run_options *opts,
                       const char *outdir) {
    dr_error err;
    dr_error_clear(&err);
    char *path = cli_join(outdir, RUN_JOURNAL_FILE);
    if (path == NULL) {
        fprintf(stderr, "dagrun run: out of memory\n");
        return DR_EXIT_USAGE;
    }
    if (dr_graph_validate(g, &err) != 0 ||
        dr__graph_check_inputs(g, opts->workdir, &err) != 0) {
        fprintf(stderr, "dagrun run: %s\n", err.text);
        free(path);
        return DR_EXIT_USAGE;
    }
    dr_run_options o = *opts;
    o.journal = path;
    o.resume = 1;
    dr_plan *plan = dr_plan_create(g, &o, &err);
    if (plan == NULL) {
        fprintf(stderr, "dagrun run: %s\n", err.text[0] ? err.text : "failed");
        free(path);
        return DR_EXIT_USAGE;
    }
    if (dr_plan_note(plan)[0] != '\0')
        fprintf(stderr, "dagrun run: note: %s\n", dr_plan_note(plan));
    size_t n = dr_graph_ntasks(g);
    dr_plan_print(plan, stdout);
    size_t nrun = dr_plan_nrun(plan);
    printf("dry run: %zu of %zu task%s would run, %zu cached (journal %s); "
           "nothing was run\n",
           nrun, n, n == 1 ? "" : "s", n - nrun, path);
    dr_plan_destroy(plan);
    free(path);
    return DR_EXIT_OK;
}
