/*
 * fuzz_labels.c - the labels CSV reader of the backtest report (engine/report).
 *
 * The input is written to a temporary file (the reader takes a path, as the CLI does) and
 * loaded; a few alerts and rule hits are then measured against whatever it held. Any input must
 * load or be refused with a message, never crash.
 */
#include "report/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/dn_fuzz_labels_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    dn__quality *q = NULL;
    dn__buf err;
    dn__buf_init(&err);
    if (dn__quality_new(&q) == 0) {
        dn__quality_load_labels(q, path, &err);
        dn_str a = {"A1", 2};
        dn__quality_note_account(q, a);
        dn__quality_note_alert(q, a, "money_mule");
        dn__quality_note_rule_hit(q, a, "mule.fan_in");
        const char *typs[] = {"money_mule"};
        json_t *j = dn__quality_json(q, typs, 1);
        json_t *r = dn__quality_rules_json(q);
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            dn__quality_print(q, typs, 1, devnull);
            fclose(devnull);
        }
        json_decref(j);
        json_decref(r);
    }
    dn__quality_free(q);
    dn__buf_free(&err);
    unlink(path);
    return 0;
}
