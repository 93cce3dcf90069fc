/*
 * sink.h - internal API of the sink stage. For now: the dead-letter sink.
 *
 * Every event that is not scored is written here with its reason, where it came from, and its
 * bytes (the first DN_RAW_KEEP of them), and counted per reason. A dead-letter sink opened without
 * a path only counts. One NDJSON line per dead letter:
 *   {"reason":..,"detail":..,"source":<input name>,"offset":<byte offset>[,"line":<n> (NDJSON)]
 *    ,"raw":<the JSON text, as a string> | ,"raw_b64":<base64 of msgpack bytes>
 *    [,"raw_truncated":true when only the head was kept]}
 * Not thread-safe: one sink per writer thread, or a lock around it.
 */
#ifndef DN_SINK_SINK_H
#define DN_SINK_SINK_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DN_DEADLETTER_RAW_MAX     1024u
#define DN_DEADLETTER_REASONS_MAX 128u /* distinct reasons counted; beyond, "other" */

typedef struct dn__dead {
    const char *reason; /* reason code */
    const char *detail; /* may be NULL */
    const char *source; /* input name */
    uint64_t offset;
    uint64_t line; /* 0: none (msgpack) */
    const void *raw;
    size_t raw_len;    /* bytes available at raw */
    uint64_t full_len; /* bytes the event spanned (>= raw_len) */
    bool is_text;      /* raw is JSON text: "raw" rather than "raw_b64" */
} dn__dead;

typedef struct dn__deadletter dn__deadletter;

/*
 * Opens a sink that writes to path ("-": stdout), appending or truncating, or that only counts
 * when path is NULL. Returns 0, DN_EIO (errno kept) or DN_ENOMEM.
 */
int dn__deadletter_open(const char *path, bool append, dn__deadletter **out);
/* Counts d and writes its line. Returns 0, DN_EIO (the count still moved) or DN_ENOMEM. */
int dn__deadletter_write(dn__deadletter *dl, const dn__dead *d);
/* Flushes and closes; returns 0 or DN_EIO when anything failed to reach the file. NULL is fine. */
int dn__deadletter_close(dn__deadletter *dl);

/* Number of dead letters in all. */
uint64_t dn__deadletter_total(const dn__deadletter *dl);
/* Distinct reasons counted, and the i-th (in order of first appearance). */
size_t dn__deadletter_reason_count(const dn__deadletter *dl);
void dn__deadletter_reason(const dn__deadletter *dl, size_t i, const char **reason,
                           uint64_t *count);
/* True when the sink writes somewhere (was opened with a path). */
bool dn__deadletter_is_kept(const dn__deadletter *dl);

/* Appends the line for d (with its newline) to b. Returns 0 or DN_ENOMEM. */
int dn__deadletter_format(dn__buf *b, const dn__dead *d);

#endif
