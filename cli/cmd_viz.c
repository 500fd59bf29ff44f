/* Placeholder until the 'viz' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_viz(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun viz: not built yet\n");
    return DR_EXIT_USAGE;
}
