/*
 * score.h - the internals of engine/score: the reorder buffer, hit notes and alert lines.
 *
 * Each piece is usable on its own (and unit-tested without the rule language): the reorder
 * buffer knows only events and times; alert rendering takes plain values (dn__score_alert);
 * the pipeline (engine.c, dn_engine_*) glues them to engine/state and engine/lang.
 */
#ifndef DN_SCORE_SCORE_H
#define DN_SCORE_SCORE_H

#include "common/buf.h"
#include "dragnet/event.h"
#include "state/state.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- reorder buffer (reorder.c) ----
 *
 * Holds events until the watermark (the newest event time seen minus the lateness) reaches
 * them, then releases them in (ts, arrival sequence) order: deep copies, kept in a pool of
 * fixed-size blocks the buffer owns, in a ring for those that arrived in order and a binary
 * min-heap for the rest (reorder.c says how they work, grow and free).
 * An event older than the watermark at its arrival is not held: it is to be scored at once and
 * is flagged late. An event that would be released at once while nothing is held is not copied
 * either (with lateness 0 and in-order input, nothing is ever copied).
 */
typedef struct dn__reorder dn__reorder;

/* dn__hash64 of the strings facts carry, 0 when absent or empty (dn__score_event_hashes), and
 * the state's hash of each role's entity (dn__state_entity_hash_of), 0 when the role is absent:
 * the prefetch stages and the lookup all need it. */
typedef struct dn__event_hashes {
    uint64_t src, dst, device, ip, channel;
    uint64_t entity[DN__ROLE_COUNT];
} dn__event_hashes;

typedef enum dn__reorder_verdict {
    DN__REORDER_NOW,  /* score ev now (the caller's own copy); no held event is due before it */
    DN__REORDER_LATE, /* older than the watermark: score now, count as late */
    DN__REORDER_HELD  /* copied into the buffer; pop what is due */
} dn__reorder_verdict;

typedef struct dn__reorder_item {
    dn_event *ev;  /* the buffer's copy, lent by pop: give it back with dn__reorder_done() */
    int64_t ts_ms; /* ev->ts_ms, beside the key it orders by */
    int64_t amount_base_minor;
    uint64_t seq;
    dn__event_hashes hs; /* as given to push */
} dn__reorder_item;

int dn__reorder_new(int64_t lateness_ms, dn__reorder **out);
/* Frees held events and the pool of copies; accepts NULL. Every popped copy must have been
 * given back (dn__reorder_done) before. */
void dn__reorder_free(dn__reorder *r);
/* Offers an event with its string hashes (kept with a held copy; NULL: zeros). Returns 0 and
 * *verdict, or DN_ENOMEM (nothing changed). */
int dn__reorder_push(dn__reorder *r, const dn_event *ev, int64_t amount_base_minor,
                     const dn__event_hashes *hs, dn__reorder_verdict *verdict);
/* Pops the next held event that is due (all of them, in order, when drain is set). Returns
 * true and fills *out, or false when none is due. */
bool dn__reorder_pop(dn__reorder *r, bool drain, dn__reorder_item *out);
/* Gives back a copy that pop lent (out->ev); it must not be used after. Its memory goes back
 * to the buffer's pool (reused by the next held event) or, for a big event, to the heap.
 * Accepts NULL. */
void dn__reorder_done(dn__reorder *r, dn_event *ev);
/* The item pop hands out i-th from now (0: next, due or not), without popping it; NULL past
 * the end. Exact while every held event arrived in order; otherwise exact for i = 0 and a
 * likely one beyond. For prefetching. */
const dn__reorder_item *dn__reorder_peek(const dn__reorder *r, uint64_t i);
uint64_t dn__reorder_held(const dn__reorder *r);
/* The newest event time seen minus the lateness; INT64_MIN before the first event. */
int64_t dn__reorder_watermark(const dn__reorder *r);

/* ---- hit notes (alert.c) ----
 *
 * What a recorded hit keeps to explain itself later: its because lines and event ids, packed
 * into bytes that engine/state stores opaquely with the hit. Capped at DN__NOTE_MAX_LINES lines
 * of at most DN__NOTE_MAX_LINE bytes and DN__NOTE_MAX_IDS ids of at most DN_ID_MAX_LEN bytes.
 * Layout: u8 line_count, then per line u16le length + bytes; u8 id_count, then per id u8 length
 * + bytes. A note of a deferred hit (dn__lang_scratch_defer_because) holds, instead of the
 * lines, 0xff, u32le length and the hit's why record; its lines are written when an alert shows
 * the hit (dn__lang_because_render).
 */
#define DN__NOTE_MAX_LINES 16
#define DN__NOTE_MAX_LINE  1024
#define DN__NOTE_MAX_IDS   16

/* Encodes into b (cleared first). Returns 0 or DN_ENOMEM. */
int dn__score_note_encode(dn__buf *b, const dn_str *because, uint32_t because_count,
                          const dn_str *ids, uint32_t id_count);
/* The same for a deferred hit: its why record instead of lines. */
int dn__score_note_encode_why(dn__buf *b, const void *why, uint32_t why_len, const dn_str *ids,
                              uint32_t id_count);
/* True when note is a deferred hit's: *why and *why_len get its record. */
bool dn__score_note_why(const void *note, uint32_t note_len, const void **why, uint32_t *why_len);
/* Decodes a note; the strings point into note (a deferred hit's note has no lines). Returns 0
 * or DN_EINVAL on a malformed note. */
int dn__score_note_decode(const void *note, uint32_t note_len, dn_str *because,
                          uint32_t *because_count, dn_str *ids, uint32_t *id_count);

/* ---- alert lines (alert.c) ---- */

typedef struct dn__alert_rule {
    const char *id;
    const char *description;
    int32_t score;
    int64_t ts_ms;
    const void *note; /* dn__score_note_encode bytes, or NULL */
    uint32_t note_len;
} dn__alert_rule;

typedef struct dn__alert {
    uint64_t alert_id;
    bool is_update;
    int64_t ts_ms;
    dn_str entity;
    const char *role; /* "account", "device", "ip" */
    const char *typology, *description, *severity;
    int64_t score, threshold;
    int64_t review, block; /* -1 when not set */
    const char *ruleset_version, *ruleset_hash;
    const dn__alert_rule *rules;
    uint32_t rule_count;
    dn_str event_id;
} dn__alert;

/* The stable alert id: a hash of the rule set hash, typology, entity kind and id, and the id of
 * the event that raised the alert. */
uint64_t dn__score_alert_id(const char *ruleset_hash, const char *typology, int entity_kind,
                            dn_str entity_id, dn_str event_id);
/* "allow", "review", "block", or NULL when neither threshold is set. */
const char *dn__score_verdict(int64_t score, int64_t review, int64_t block);
/* Renders one alert line (no newline) into b (cleared first). Returns 0 or DN_ENOMEM. */
int dn__score_alert_json(dn__buf *b, const dn__alert *a);
/* Appends ms since the epoch as ISO 8601 UTC with milliseconds ("...T20:32:31.123Z"). */
int dn__score_iso8601(dn__buf *b, int64_t ms);

/*
 * Facts (fact.c). dn__score_event_hashes hashes the strings facts carry, once per event (0 when
 * absent or empty). dn__score_role_fact names the entity role plays in ev (*id, *id_h) and fills
 * the fact it leaves there, all but filter_bits (the caller asks dn__lang_filters); false when
 * the event has no such entity. Strings stay the event's.
 */
void dn__score_event_hashes(const dn_event *ev, dn__event_hashes *out);
/* The same, leaving channel 0 unless has_channel (when no fact keeps the channel). */
void dn__score_event_hashes_for(const dn_event *ev, bool has_channel, dn__event_hashes *out);
bool dn__score_role_fact(const dn_event *ev, int64_t amount_base_minor, dn__role role,
                         const dn__event_hashes *hs, dn_str *id, uint64_t *id_h, dn__fact_in *f);
/* dn__score_role_fact in two steps, for the pipeline: the fields every role's fact shares, once
 * per event, then per role the ones that differ (dir, counterparty, country, has_opened) over
 * them; the patch returns false, leaving f as it was, when the event has no such entity. */
void dn__score_event_fact(const dn_event *ev, int64_t amount_base_minor, const dn__event_hashes *hs,
                          dn__fact_in *f);
bool dn__score_role_patch(const dn_event *ev, dn__role role, const dn__event_hashes *hs, dn_str *id,
                          uint64_t *id_h, dn__fact_in *f);

#endif
