/* cli_gen.c - `dragnet gen`: replaced by its owner's implementation. */
#include "cli/cli.h"

#include <stdio.h>

int dn__cli_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("dragnet gen: not available in this build\n", stderr);
    return DN_EXIT_INPUT;
}
