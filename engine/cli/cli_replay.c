/* cli_replay.c - `dragnet replay`: replaced by its owner's implementation. */
#include "cli/cli.h"

#include <stdio.h>

int dn__cli_replay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("dragnet replay: not available in this build\n", stderr);
    return DN_EXIT_INPUT;
}
