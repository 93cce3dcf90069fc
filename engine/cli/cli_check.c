/*
 * cli_check.c - `dragnet check RULES_DIR [--disasm]`: compile a rule set and report.
 *
 * Errors: every diagnostic, sorted, as `file:line:col: error: message`, the source line, a caret
 * and a `hint:` line when there is one; exit 1. Success: a one-line summary (rules, typologies,
 * params, lists, retention per role) and, with --disasm, the compiled programs; exit 0. Usage
 * errors exit 2.
 */
#include "cli/cli.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int dn__cli_check(int argc, char **argv)
{
    const char *dir = NULL;
    bool is_disasm = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--disasm") == 0) {
            is_disasm = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs("usage: dragnet check RULES_DIR [--disasm]\n", stdout);
            return DN_EXIT_OK;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr,
                    "dragnet check: unexpected argument '%s'\n"
                    "usage: dragnet check RULES_DIR [--disasm]\n",
                    argv[i]);
            return DN_EXIT_USAGE;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fputs("usage: dragnet check RULES_DIR [--disasm]\n", stderr);
        return DN_EXIT_USAGE;
    }
    dn_diags *diags = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn_ruleset_compile(dir, &diags, &rs);
    if (rc == DN_ESYNTAX) {
        dn_diags_print(diags, stderr);
        fprintf(stderr, "%s: %zu error%s\n", dir, dn_diags_count(diags),
                dn_diags_count(diags) == 1 ? "" : "s");
        dn_diags_free(diags);
        return DN_EXIT_INPUT;
    }
    dn_diags_free(diags);
    if (rc) {
        fprintf(stderr, "dragnet check: %s: %s\n", dir, dn_strerror(rc));
        return DN_EXIT_INPUT;
    }
    dn_ruleset_summary(rs, stdout);
    if (is_disasm)
        dn_ruleset_disasm(rs, stdout);
    dn_ruleset_release(rs);
    return DN_EXIT_OK;
}
