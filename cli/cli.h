/*
 * The command-line front end.  One file per subcommand (cmd_<name>.c), each
 * with a usage text and getopt_long options, dispatched from main.c's table
 * as git.c does.  The CLI is thin: it parses options, calls the library and
 * prints; everything else lives in graph/, scheduler/ and viz/.
 */
#ifndef DAGRUN_CLI_H
#define DAGRUN_CLI_H

#include "dagrun.h"
#include "dagrun/run.h"

#include <stdio.h>

/* Exit codes.  Each means the same in every subcommand, but only `run` and
 * `scale` run tasks, so only they return 1 and 130 (README's table and each
 * command's --help list the codes it returns). */
enum {
    DR_EXIT_OK = 0,     /* success: every task succeeded */
    DR_EXIT_FAILED = 1, /* some task failed (run, scale) */
    DR_EXIT_USAGE = 2,  /* usage error, invalid input, unwritable output */
    DR_EXIT_INTERRUPTED = 130 /* stopped by a signal (run, scale) */
};

/* The exit-code paragraphs at the end of --help: `run`'s, `scale`'s, the
 * one of the commands that run no task (analyze, validate, convert, gen,
 * viz, gantt) and main's, which says which command returns what. */
extern const char cli_exit_codes_run[];
extern const char cli_exit_codes_scale[];
extern const char cli_exit_codes_no_tasks[];
extern const char cli_exit_codes_all[];

/* Subcommands: argv[0] is the subcommand's name; return the exit code. */
int cmd_run(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_viz(int argc, char **argv);
int cmd_gantt(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_log(int argc, char **argv);

/*
 * What getopt_long's '?' meant, as one line on stderr: an unknown option
 * with "did you mean" (dr__suggest over `longopts`), an ambiguous
 * abbreviation with its candidates, a missing or unexpected value.  Call it
 * right after getopt_long returned '?' (main sets opterr = 0 so that
 * getopt_long itself prints nothing).  cmd is the subcommand ("run"), or
 * NULL for dagrun's own options.  Returns DR_EXIT_USAGE.
 */
struct option;
/*
 * getopt_long (argv[0] and optind as for it; no long index), and an
 * option's value given as a separate argument that starts with '-' is
 * refused, so `--json --no-outputs` is an error rather than a file named
 * "--no-outputs": returns '?' and cli_option_error then says "option
 * '--json' needs a value; '--no-outputs' looks like an option (write
 * --json=--no-outputs if that is the value)".  Exactly "-" (standard input
 * or output) and negative numbers ("-1", "-0.5") are values.  Every
 * subcommand parses with it.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts);
int cli_option_error(const char *cmd, int argc, char **argv,
                     const char *shortopts, const struct option *longopts);

/* Prints "dagrun CMD: message" and a hint to stderr; returns DR_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Collected --set name=value options.  cli_params_add parses `text` (a copy
 * is kept); returns 0 or prints the error and returns DR_EXIT_USAGE. */
typedef struct cli_params {
    dr_param *items;
    char **texts;
    size_t n;
    /* words[i] (i < nwords): the WORD of a generator's NAME=WORD
     * (taskbench's pattern=fft, pointing into the caller's text), or NULL
     * (cli_params_add_gen); items past nwords have none. */
    const char **words;
    size_t nwords;
} cli_params;
int cli_params_add(cli_params *p, const char *cmd, const char *text);
/* As cli_params_add, for a generator's parameters: NAME=WORD is kept as a
 * placeholder (value 0) with its word, looked up by cli_generate once the
 * shape is known.  `text` must outlive p. */
int cli_params_add_gen(cli_params *p, const char *cmd, const char *text);
void cli_params_free(cli_params *p);

/* A generated graph (dr_generate) of `shape` with the parameters of
 * cli_params_add_gen (their words resolved here), `seed` and `op` (NULL:
 * the shape's default).  for_file 0: the graph is never saved, so the cap
 * on a graph file's bytes does not apply (graph/generate_internal.h).  On
 * failure prints "dagrun CMD: ..." (a usage error for a bad word) and
 * returns NULL. */
dr_graph *cli_generate(const char *cmd, const char *shape, cli_params *params,
                       uint64_t seed, const char *op, int for_file);

/* Loads a graph (any format); on failure prints the error to stderr and
 * returns NULL.  ops may be NULL. */
dr_graph *cli_load_graph(const char *path, dr_format format,
                         const cli_params *params, const dr_ops *ops);

/* Parses --format's value into *out; on a bad name prints a usage error and
 * returns DR_EXIT_USAGE, else 0. */
int cli_parse_format(const char *cmd, const char *text, dr_format *out);

/* A GRAPH written gen:SHAPE is generated in memory (dagrun gen's shapes). */
#define CLI_GEN_PREFIX "gen:"

/* Parses a seed (a whole number from 0, in `base` as strtoull reads it:
 * 10, or 0 for 0x.. too) or prints a usage error; returns 0/-1. */
int cli_parse_seed(const char *cmd, const char *opt, const char *text, int base,
                   uint64_t *out);
/* Parses a positive count ("4") or prints a usage error; returns 0/-1. */
int cli_parse_uint(const char *cmd, const char *opt, const char *text,
                   unsigned long max, unsigned long *out);
/* Parses a non-negative finite double or prints a usage error. */
int cli_parse_double(const char *cmd, const char *opt, const char *text,
                     double *out);
/* Parses a positive finite double (--cost-scale) or prints a usage error
 * "OPT: expected a positive finite number, got 'TEXT'"; returns 0/-1. */
int cli_parse_positive(const char *cmd, const char *opt, const char *text,
                       double *out);

/* Parses --executor's value (threads, processes, sync) into *out; on an
 * unknown name prints "OPT: unknown executor 'X' (threads, processes or
 * sync)" as --policy's error does and returns DR_EXIT_USAGE, else 0. */
int cli_parse_executor(const char *cmd, const char *text, dr_executor *out);
/* Parses a size in bytes (--worker-memory): a whole or decimal number, then
 * an optional unit K, M, G or T (powers of 1024, any case) and an optional
 * B or iB ("512M", "1.5g", "4096KiB", "1000000"); a fraction of a byte is
 * dropped.  0, a sign, anything else after the number and 2^63 bytes or
 * more are refused with a usage error naming `opt` and the text.  Returns
 * 0 or -1. */
int cli_parse_size(const char *cmd, const char *opt, const char *text,
                   uint64_t *out);
/* The rules between --executor, --worker-memory and --simulate, checked
 * once every option is read: --simulate runs no tasks, so --executor
 * (given: executor_given) does not apply to it; --worker-memory limits
 * worker processes, so it needs --executor processes.  Returns 0, or
 * prints the usage error and returns DR_EXIT_USAGE. */
/* --executor mpi on a rank other than 0: serves rank 0's run of g
 * (dr_mpi_serve).  Returns the exit code; prints an error unless it is
 * rank 0's refusal, which rank 0 prints. */
int cli_mpi_serve(const char *cmd, dr_graph *g, const dr_run_options *opts);
int cli_check_executor(const char *cmd, int simulate, int executor_given,
                       dr_executor executor, uint64_t worker_memory);

/* A real run (not `simulate`) without --cost-op runs tasks that have no
 * operation as noop, instantly, whatever their cost: prints one line on
 * stderr saying so and how to use the costs, before the run, when some task
 * has a cost above 0 and no operation. */
void cli_note_costs_not_spent(const char *cmd, const dr_graph *g, int simulate,
                              dr_cost_op cost_op);

/* "dir/file" as a new string, or NULL when out of memory. */
char *cli_join(const char *dir, const char *file);

/* What an output file holds (outputs.c). */
typedef enum cli_output {
    CLI_OUT_GRAPH,  /* the task graph: any Graphviz format, by extension */
    CLI_OUT_GANTT,  /* the timeline: .svg */
    CLI_OUT_REPORT, /* the report: .html, .htm */
    CLI_OUT_JSON    /* trace.json, summary.json: not a picture's name */
} cli_output;

/* 0 when option `opt`'s file `path` suits `kind` ("-", standard output,
 * only when stdout_ok); else prints one usage line naming the option, the
 * file and the names accepted, and returns -1.  Call it before anything
 * is loaded or run. */
int cli_check_output(const char *cmd, const char *opt, const char *path,
                     cli_output kind, int stdout_ok);
/* 1 when path is written in place rather than replaced (graph/fileio.c):
 * /dev/stdout, /dev/stderr, /dev/fd/N, or an existing file that is neither
 * a regular file nor a folder (a device such as /dev/null, a FIFO).  Such
 * a path passes cli_check_output whatever its name (for the task graph only
 * where "-" would: viz draws SVG for it). */
int cli_output_is_stream(const char *path);
/* Writes data to path atomically, or to standard output when path is
 * "-" (flushed; a failed write is DR_EIO).  0 or an error with err. */
int cli_write_output(const char *path, const char *data, size_t len,
                     dr_error *err);

#endif
