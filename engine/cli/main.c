/* main.c - the dragnet binary: dispatches to a subcommand (engine/cli/cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: dragnet COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  check  RULES_DIR [--disasm]          compile a rule set; errors as file:line:col\n"
    "  replay [--rules DIR] [--format auto|msgpack|ndjson] [--alerts FILE]\n"
    "         [--dead-letter FILE] [--report FILE] [--labels FILE]\n"
    "         [--max-frame BYTES] [--dedupe-horizon MS] FILE...\n"
    "                                       score a recorded feed (FILE may be - for stdin)\n"
    "  gen    --accounts N --days D [--seed S] [--format msgpack|ndjson]\n"
    "         [--labels FILE] [--start YYYY-MM-DD] -o FILE\n"
    "                                       generate a labelled synthetic feed\n"
    "  demo   [--rules DIR] [--accounts N] [--days D] [--seed S] [--out DIR]\n"
    "                                       generate a feed, replay it through rules/, explain\n"
    "\n"
    "exit codes: 0 the run completed, 1 an input or rule set could not be used, 2 usage\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return dn__cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return dn__cli_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "gen") == 0)
        return dn__cli_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return dn__cli_demo(argc - 1, argv + 1);
    fprintf(stderr, "dragnet: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
