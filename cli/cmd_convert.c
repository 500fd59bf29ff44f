/* Placeholder until the 'convert' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_convert(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun convert: not built yet\n");
    return DR_EXIT_USAGE;
}
