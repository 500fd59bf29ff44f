/* Placeholder until the 'gen' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_gen(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun gen: not built yet\n");
    return DR_EXIT_USAGE;
}
