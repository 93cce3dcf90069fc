/* cli_check.c - `dragnet check`: replaced by its owner's implementation. */
#include "cli/cli.h"

#include <stdio.h>

int dn__cli_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("dragnet check: not available in this build\n", stderr);
    return DN_EXIT_INPUT;
}
