/*
 * ingest.h - internal API of the ingest stage: file readers that cut a byte stream into frames,
 * the duplicate-id filter, and the replay pipeline that joins reader -> decoder -> dedupe ->
 * (rules, later) -> dead letters.
 *
 * Memory: a reader holds one fixed buffer (1 MiB by default, at least frame_max + 64) and a 1 KiB
 * side copy of the head of a frame it had to skip, whatever the size of the input. A frame handed
 * out points into the reader and is valid until the next dn__reader_next() call.
 */
#ifndef DN_INGEST_INGEST_H
#define DN_INGEST_INGEST_H

#include "dragnet/event.h"

struct dn__decoder;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DN_FRAME_MAX_DEFAULT      (64u * 1024u)
#define DN_READ_BUF_DEFAULT       (1024u * 1024u)
#define DN_RAW_KEEP               1024u /* bytes of a bad frame kept for its dead letter */
#define DN_DEDUPE_HORIZON_DEFAULT (7 * 24 * 3600 * 1000LL)
#define DN_DEDUPE_MAX_DEFAULT     (1024u * 1024u) /* about 48 MB, touched as used */

typedef enum dn__format {
    DN__FMT_AUTO,             /* sniff per input */
    DN__FMT_NDJSON,           /* one JSON object a line */
    DN__FMT_MSGPACK,          /* msgpack; bare or length-prefixed is sniffed */
    DN__FMT_MSGPACK_BARE,     /* concatenated maps */
    DN__FMT_MSGPACK_PREFIXED, /* each map after a 4-byte big-endian length */
} dn__format;

typedef struct dn__reader_opts {
    dn__format format;
    size_t frame_max; /* 0: DN_FRAME_MAX_DEFAULT */
    size_t buf_size;  /* 0: DN_READ_BUF_DEFAULT (tests use small ones to cross refills) */
    struct dn__decoder *decoder; /* one pass (bare msgpack), or NULL: see dn__frame.ev */
} dn__reader_opts;

/*
 * One frame. When reject is NULL, data[0..len) is one event's bytes to decode (as JSON when
 * is_json). Otherwise the reader could not cut an event here: reject is frame_too_large,
 * truncated or invalid_msgpack (garbage skipped up to the next decodable map), data holds the
 * first len (<= DN_RAW_KEEP) of the full_len bytes the frame spanned.
 */
typedef struct dn__frame {
    const uint8_t *data;
    size_t len;
    uint64_t full_len;
    uint64_t offset; /* byte offset of the frame (of its length prefix when prefixed) */
    uint64_t line;   /* NDJSON line number (1-based), 0 for msgpack */
    bool is_json;
    bool is_unterminated; /* NDJSON: the last line, with no newline after it */
    const char *reject;   /* static string, or NULL */
    const char *detail;   /* static string, or NULL */
    /*
     * The frame, decoded in the pass that found its end, or NULL. A reader opened with a decoder
     * hands each bare msgpack map to dn__decode_msgpack_prefix() before measuring it, and measures
     * only what that gives up on; ev is then what dn__decode_msgpack(decoder, data, len) would
     * give, valid as long as data. NULL: decode data yourself (it may still be bad).
     */
    const dn_event *ev;
} dn__frame;

typedef struct dn__reader dn__reader;

/* Opens path ("-" for stdin). Returns 0, DN_ENOENT/DN_EIO (errno kept), DN_ENOMEM. */
int dn__reader_open(const char *path, const dn__reader_opts *o, dn__reader **out);
/* Reads from memory that the caller keeps alive (fuzzing, tests). */
int dn__reader_open_mem(const void *data, size_t len, const dn__reader_opts *o, dn__reader **out);
/* Next frame: 0 (*f filled), DN_EEOF at the end, DN_EIO on a read error. */
int dn__reader_next(dn__reader *r, dn__frame *f);
/*
 * The live bytes where the next frame's map would start (after a length prefix), and their offset
 * in the input: a hint for work that can start early, such as prefetching; they may be few.
 */
void dn__reader_lookahead(const dn__reader *r, const uint8_t **p, size_t *len, uint64_t *offset);
/* The format in use (resolved once the first bytes were seen; AUTO/MSGPACK before). */
dn__format dn__reader_format(const dn__reader *r);
void dn__reader_free(dn__reader *r);

/*
 * Duplicate ids within a horizon of event time. Keeps (keyed 64-bit hash of id, ts) in an
 * open-addressing table plus an insertion-ordered ring; entries expire when the newest event time
 * seen has moved horizon past them, and when the cap is reached the oldest entry is dropped (and
 * counted). Memory is fixed at creation: about 48 bytes per entry of the cap, touched as used in
 * 2 MiB huge pages where the kernel grants them (lookups are random: 4 KiB pages cost a TLB miss
 * on nearly every one), so a short replay already holds most of it.
 */
typedef struct dn__dedupe dn__dedupe;
typedef struct dn__dedupe_stats {
    uint64_t entries; /* live now */
    uint64_t expired; /* left by event time */
    uint64_t dropped; /* pushed out by the cap before they expired */
} dn__dedupe_stats;

int dn__dedupe_new(int64_t horizon_ms, size_t max_entries, uint64_t hash_key, dn__dedupe **out);
void dn__dedupe_free(dn__dedupe *d);
/* True when id was recorded with a time less than horizon away from ts_ms. */
bool dn__dedupe_contains(dn__dedupe *d, const char *id, size_t len, int64_t ts_ms);
/* Records id at ts_ms (an accepted event). Returns 0. */
int dn__dedupe_insert(dn__dedupe *d, const char *id, size_t len, int64_t ts_ms);
void dn__dedupe_stats_get(const dn__dedupe *d, dn__dedupe_stats *out);
/*
 * The same in two steps, for a caller that knows an id before it needs the answer: the id's
 * keyed hash, a prefetch of its table slot (a hint, no effect on results), and contains/insert
 * by hash. dn__dedupe_contains(d, id, ...) is dn__dedupe_contains_hash(d, dn__dedupe_hash(d, id,
 * len), ...), and likewise for insert.
 */
uint64_t dn__dedupe_hash(const dn__dedupe *d, const char *id, size_t len);
void dn__dedupe_prefetch(const dn__dedupe *d, uint64_t h);
bool dn__dedupe_contains_hash(dn__dedupe *d, uint64_t h, int64_t ts_ms);
int dn__dedupe_insert_hash(dn__dedupe *d, uint64_t h, int64_t ts_ms);

/*
 * The replay pipeline. cb sees each decoded, valid, non-duplicate event (valid until it returns);
 * it returns NULL to accept it, or a reason code (static string, e.g. "unknown_currency") to
 * dead-letter it instead. A NULL cb accepts everything.
 */
struct dn__deadletter;
typedef const char *(*dn__replay_event_cb)(void *ud, const dn_event *ev);

typedef struct dn__replay_opts {
    const char *const *inputs; /* file names, "-" for stdin */
    size_t input_count;
    dn__format format;
    size_t frame_max;          /* 0: default */
    size_t buf_size;           /* 0: default */
    int64_t dedupe_horizon_ms; /* 0: default; < 0: no dedupe */
    size_t dedupe_max;         /* 0: default */
    struct dn__deadletter *dl; /* where bad events go (counts them); required */
} dn__replay_opts;

typedef struct dn__replay_counts {
    uint64_t events; /* frames seen */
    uint64_t accepted;
    uint64_t dead_lettered; /* events == accepted + dead_lettered */
    dn__dedupe_stats dedupe;
    const char *failed_input; /* the input that could not be opened or read, or NULL */
    int failed_errno;
} dn__replay_counts;

/*
 * Runs every input in order through one decoder and one dedupe window. Checks that every input
 * can be opened before reading any. Returns 0 when all inputs were read (whatever was
 * dead-lettered), DN_ENOENT/DN_EIO with out->failed_input set, or DN_ENOMEM.
 */
int dn__replay_run(const dn__replay_opts *o, dn__replay_event_cb cb, void *ud,
                   dn__replay_counts *out);

#endif
