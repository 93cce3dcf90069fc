/* cli_demo.c - `dragnet demo`: replaced by its owner's implementation. */
#include "cli/cli.h"

#include <stdio.h>

int dn__cli_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("dragnet demo: not available in this build\n", stderr);
    return DN_EXIT_INPUT;
}
