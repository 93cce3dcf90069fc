/*
 * cli.h - the subcommands of the dragnet binary. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit code: 0 the run completed, 1 an
 * input, rule set or service could not be used (a message names it), 2 usage.
 */
#ifndef DN_CLI_CLI_H
#define DN_CLI_CLI_H

#define DN_EXIT_OK    0
#define DN_EXIT_INPUT 1
#define DN_EXIT_USAGE 2

int dn__cli_check(int argc, char **argv);
int dn__cli_replay(int argc, char **argv);
int dn__cli_gen(int argc, char **argv);
int dn__cli_demo(int argc, char **argv);

#endif
