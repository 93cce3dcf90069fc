/*
 * decode.h - internal API of the decode stage: one msgpack map or one JSON object -> dn_event.
 *
 * A dn__decoder is per-thread scratch: a msgpack zone reused (cleared) per event and an arena
 * reset at the start of every decode. The strings of a decoded event (and its attrs array) live
 * in that arena, except on the msgpack fast path, where schema strings point into the frame
 * (data) itself: the event stays valid until the next decode call on the same decoder, its free,
 * or the end of data's lifetime, whichever comes first. Nothing on the msgpack path allocates per
 * event once the arena and zone have grown.
 *
 * Both formats go through one field validator (fields.c) in document order, so the same content
 * gives the same dn_event or the same reason code, whichever format carried it.
 *
 * Reason codes are a contract (they are counted and written to dead letters):
 *   invalid_msgpack invalid_json not_a_map missing_field:<key> bad_type:<key> too_long:<key>
 *   bad_currency bad_country negative_amount unknown_event_type duplicate_key:<key>
 *   too_many_attrs, and from ingest: frame_too_large truncated duplicate_id.
 * <key> is always a schema name (customer fields as customer.<name>; for duplicate_key the bare
 * name) or the word "attrs" for keys the schema does not name, so the set of reasons is bounded
 * whatever the input; the detail text names the actual key.
 */
#ifndef DN_DECODE_DECODE_H
#define DN_DECODE_DECODE_H

#include "dragnet/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Containers nested deeper than this (the event map counts as 1) are rejected as invalid. */
#define DN_DECODE_MAX_DEPTH 16

/* Why an event was rejected. Both strings belong to the decoder and live until its next call. */
typedef struct dn__reject {
    const char *reason; /* a reason code, see above */
    const char *detail; /* a sentence for a person */
} dn__reject;

typedef struct dn__decoder dn__decoder;

/* Creates a decoder; returns 0 or DN_ENOMEM. Free with dn__decoder_free (NULL is fine). */
int dn__decoder_new(dn__decoder **out);
void dn__decoder_free(dn__decoder *d);

/*
 * Decodes exactly one msgpack map occupying all of data[0..len) into *ev.
 * Returns 0 (ev filled, valid until the next call on d while data lives), DN_EBADEVENT (*rej
 * filled) or DN_ENOMEM.
 */
int dn__decode_msgpack(dn__decoder *d, const void *data, size_t len, dn_event *ev, dn__reject *rej);
/*
 * The same through msgpack-c's object tree (msgpack.c): the reference that dn__decode_msgpack()
 * falls back to whenever its tree-less reader gives up, so it alone decides rejections. Same
 * contract and the same result for every input; exposed so that tests can compare the two.
 */
int dn__decode_msgpack_tree(dn__decoder *d, const void *data, size_t len, dn_event *ev,
                            dn__reject *rej);
/*
 * One pass over an open buffer (the reader's, see ingest.h): when the pull reader accepts the
 * msgpack map that data[0..avail) starts with, sets *used to its length (what dn__mp_frame_end()
 * says) and returns 0, ev then being what dn__decode_msgpack() gives for data[0..*used). Returns
 * DN_EAGAIN when it is not sure (bad or cut short, or bytes it does not read itself): the caller
 * cuts the frame and dn__decode_msgpack() decides. Never rejects.
 */
int dn__decode_msgpack_prefix(dn__decoder *d, const void *data, size_t avail, dn_event *ev,
                              size_t *used);
/* Same for one JSON object (surrounding whitespace allowed). */
int dn__decode_json(dn__decoder *d, const void *data, size_t len, dn_event *ev, dn__reject *rej);

/*
 * msgpack framing without decoding (mpscan.c). A skipper finds where one msgpack object ends,
 * fed in pieces: it keeps only counters, so an object of any size is skipped in constant memory.
 */
typedef struct dn__mp_skipper {
    uint64_t pending; /* objects still to read (the top one included until its header is read) */
    uint64_t payload; /* bytes of a str/bin/ext body still to skip */
} dn__mp_skipper;

enum { DN__MP_DONE = 1, DN__MP_MORE = 0, DN__MP_INVALID = -1 };

void dn__mp_skipper_init(dn__mp_skipper *s);
/*
 * Feeds p[0..len). Sets *used to the bytes consumed. Returns DN__MP_DONE when the object ended
 * (at p + *used), DN__MP_MORE when more bytes are needed (an incomplete header of at most 8 bytes
 * is left unconsumed: feed it again with what follows), DN__MP_INVALID at a never-used byte (0xc1).
 */
int dn__mp_skipper_feed(dn__mp_skipper *s, const uint8_t *p, size_t len, size_t *used);
/*
 * Where the object at p[0..len) ends, in one pass over a buffer that holds it whole (no state
 * across calls, so it is cheaper than the skipper): DN__MP_DONE with *used its length,
 * DN__MP_MORE when it runs past len, DN__MP_INVALID at a header byte 0xc1 before that. The same
 * answer (and *used) as a fresh skipper fed p[0..len) at once.
 */
int dn__mp_frame_end(const uint8_t *p, size_t len, size_t *used);
/* True when b starts a msgpack map (fixmap, map16, map32). */
static inline bool dn__mp_is_map_byte(uint8_t b)
{
    return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
}
/*
 * Measures the single object at p[0..len) in one pass: sets *used to its length and returns
 * DN__MP_DONE, DN__MP_MORE (cut short), DN__MP_INVALID (0xc1) or DN__MP_TOO_DEEP when containers
 * nest deeper than max_depth (capped at DN_DECODE_MAX_DEPTH). Iterative: constant stack.
 */
enum { DN__MP_TOO_DEEP = -2 };
/*
 * The bytes of the id of an event frame whose map starts with the key "id" and a str value, as a
 * hint for work that can start before decoding (prefetching the dedupe slot): nothing else is
 * read or checked, and the decoder alone says what the id is. False for any other frame.
 */
bool dn__mp_peek_id(const uint8_t *p, size_t len, const char **id, size_t *id_len);
int dn__mp_measure(const uint8_t *p, size_t len, unsigned max_depth, size_t *used);

#endif
