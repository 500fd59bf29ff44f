/* Placeholder until the 'scale' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_scale(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun scale: not built yet\n");
    return DR_EXIT_USAGE;
}
