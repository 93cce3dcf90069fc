/*
 * deadletter.c - the dead-letter sink: one NDJSON line per event that was not scored, and a
 * counter per reason. See sink.h for the line format.
 *
 * The sink owns its FILE and a line buffer reused for every write; reason names are copied into
 * the sink (reasons can live in decoder memory that the next event overwrites). The set of
 * reasons is bounded by the decoders; a cap guards the table anyway.
 */
#include "dragnet/error.h"
#include "sink/sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reason_count {
    char *name;
    uint64_t count;
} reason_count;

struct dn__deadletter {
    FILE *f;
    dn__buf line;
    reason_count reasons[DN_DEADLETTER_REASONS_MAX + 1];
    size_t reason_count;
    uint64_t total;
    bool failed;
    bool is_stdout; /* flushed, not closed */
};

int dn__deadletter_open(const char *path, bool append, dn__deadletter **out)
{
    dn__deadletter *dl = calloc(1, sizeof(*dl));
    if (!dl)
        return DN_ENOMEM;
    dn__buf_init(&dl->line);
    if (path && strcmp(path, "-") == 0) {
        dl->f = stdout;
        dl->is_stdout = true;
    } else if (path) {
        dl->f = fopen(path, append ? "ab" : "wb");
        if (!dl->f) {
            free(dl);
            return DN_EIO;
        }
    }
    *out = dl;
    return 0;
}

int dn__deadletter_format(dn__buf *b, const dn__dead *d)
{
    size_t keep = d->raw_len < DN_DEADLETTER_RAW_MAX ? d->raw_len : DN_DEADLETTER_RAW_MAX;
    bool cut = keep < d->full_len || keep < d->raw_len;
    int rc = dn__buf_puts(b, "{\"reason\":");
    rc = rc ? rc : dn__buf_json_str(b, d->reason, strlen(d->reason));
    rc = rc ? rc : dn__buf_puts(b, ",\"detail\":");
    rc = rc ? rc
            : dn__buf_json_str(b, d->detail ? d->detail : "", d->detail ? strlen(d->detail) : 0);
    rc = rc ? rc : dn__buf_puts(b, ",\"source\":");
    rc = rc ? rc
            : dn__buf_json_str(b, d->source ? d->source : "", d->source ? strlen(d->source) : 0);
    rc = rc ? rc : dn__buf_printf(b, ",\"offset\":%llu", (unsigned long long)d->offset);
    if (d->line)
        rc = rc ? rc : dn__buf_printf(b, ",\"line\":%llu", (unsigned long long)d->line);
    if (d->is_text) {
        rc = rc ? rc : dn__buf_puts(b, ",\"raw\":");
        rc = rc ? rc : dn__buf_json_str(b, d->raw ? d->raw : "", keep);
    } else {
        rc = rc ? rc : dn__buf_puts(b, ",\"raw_b64\":\"");
        rc = rc ? rc : dn__buf_base64(b, d->raw, keep);
        rc = rc ? rc : dn__buf_putc(b, '"');
    }
    if (cut)
        rc = rc ? rc : dn__buf_puts(b, ",\"raw_truncated\":true");
    rc = rc ? rc : dn__buf_puts(b, "}\n");
    return rc;
}

static int count(dn__deadletter *dl, const char *reason)
{
    dl->total++;
    for (size_t i = 0; i < dl->reason_count; i++) {
        if (strcmp(dl->reasons[i].name, reason) == 0) {
            dl->reasons[i].count++;
            return 0;
        }
    }
    if (dl->reason_count == DN_DEADLETTER_REASONS_MAX)
        reason = "other";
    char *name = strdup(reason);
    if (!name)
        return DN_ENOMEM;
    if (dl->reason_count == DN_DEADLETTER_REASONS_MAX) {
        /* The slot past the cap collects "other". */
        if (!dl->reasons[DN_DEADLETTER_REASONS_MAX].name)
            dl->reasons[DN_DEADLETTER_REASONS_MAX].name = name;
        else
            free(name);
        dl->reasons[DN_DEADLETTER_REASONS_MAX].count++;
        return 0;
    }
    dl->reasons[dl->reason_count++] = (reason_count){name, 1};
    return 0;
}

int dn__deadletter_write(dn__deadletter *dl, const dn__dead *d)
{
    int rc = count(dl, d->reason);
    if (rc || !dl->f)
        return rc;
    dn__buf_clear(&dl->line);
    rc = dn__deadletter_format(&dl->line, d);
    if (rc)
        return rc;
    if (fwrite(dl->line.data, 1, dl->line.len, dl->f) != dl->line.len) {
        dl->failed = true;
        return DN_EIO;
    }
    return 0;
}

int dn__deadletter_close(dn__deadletter *dl)
{
    if (!dl)
        return 0;
    bool failed = dl->failed;
    if (dl->f && (dl->is_stdout ? fflush(dl->f) : fclose(dl->f)) != 0)
        failed = true;
    for (size_t i = 0; i <= DN_DEADLETTER_REASONS_MAX; i++)
        free(dl->reasons[i].name);
    dn__buf_free(&dl->line);
    free(dl);
    return failed ? DN_EIO : 0;
}

uint64_t dn__deadletter_total(const dn__deadletter *dl)
{
    return dl->total;
}

size_t dn__deadletter_reason_count(const dn__deadletter *dl)
{
    return dl->reason_count + (dl->reasons[DN_DEADLETTER_REASONS_MAX].name ? 1 : 0);
}

void dn__deadletter_reason(const dn__deadletter *dl, size_t i, const char **reason,
                           uint64_t *count_out)
{
    const reason_count *rc =
        i < dl->reason_count ? &dl->reasons[i] : &dl->reasons[DN_DEADLETTER_REASONS_MAX];
    *reason = rc->name;
    *count_out = rc->count;
}

bool dn__deadletter_is_kept(const dn__deadletter *dl)
{
    return dl->f != NULL;
}
