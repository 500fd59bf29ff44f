/* Placeholder until the 'run' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun run: not built yet\n");
    return DR_EXIT_USAGE;
}
