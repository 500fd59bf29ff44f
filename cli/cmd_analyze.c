/* Placeholder until the 'analyze' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_analyze(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun analyze: not built yet\n");
    return DR_EXIT_USAGE;
}
