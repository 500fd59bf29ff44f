/* Placeholder until the 'gantt' subcommand lands (see the open issues). */
#include "cli.h"

int cmd_gantt(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "dagrun gantt: not built yet\n");
    return DR_EXIT_USAGE;
}
