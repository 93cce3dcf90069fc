/*
 * state.h - per-entity state: the facts rules read, kept incrementally over event-time windows.
 *
 * CONTRACT between the rule language (engine/lang, which compiles the plan and queries state from
 * its VM) and the state stage (engine/state, which implements it). Owned by engine/state.
 *
 * Model. Accounts share one key space (an event is DN__DIR_OUT for its src account and DN__DIR_IN
 * for its dst account); devices and ips have their own, with direction DN__DIR_ANY. For each
 * entity kind the compiler produces a dn__state_plan: the aggregate slots the rules read, the
 * number of where-filters, and the retention (the longest window anything needs). State keeps,
 * per entity, only what the plan needs, no older than the retention.
 *
 * Order of calls for one event and one role entity (engine/score drives it):
 *   dn__state_touch()      find or create the entity (LRU head; may evict the least recent one)
 *   dn__state_observe()    take the pre-insert snapshot (new counterparty, since_last, first
 *                          seen), then insert the event's fact and update every aggregate slot
 *   dn__state_agg() ...    the VM's queries; the current event is included in every window
 *   dn__state_record_hit() for each rule that fired
 * Events reach state in event-time order (the engine's reorder buffer sees to that); a fact older
 * than the entity's newest is still accepted and treated as if it had the newest time.
 *
 * Windows: a window w at time t covers facts with ts in (t - w, t]. A fact exactly w old has left.
 *
 * Threads: a dn__state belongs to one shard (one thread). Nothing here locks.
 * Memory: bounded by dn_state_config.max_entities (LRU eviction of whole entities, counted) and
 * max_facts_per_entity (oldest facts dropped, counted).
 */
#ifndef DN_STATE_STATE_H
#define DN_STATE_STATE_H

#include "dragnet/event.h"
#include "dragnet/state.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum dn__entity_kind {
    DN__ENT_ACCOUNT,
    DN__ENT_DEVICE,
    DN__ENT_IP,
    DN__ENT_KIND_COUNT
} dn__entity_kind;

/* The role an entity plays in an event; a rule is written `for` one role. */
typedef enum dn__role {
    DN__ROLE_SRC,
    DN__ROLE_DST,
    DN__ROLE_DEVICE,
    DN__ROLE_IP,
    DN__ROLE_COUNT
} dn__role;

static inline dn__entity_kind dn__role_kind(dn__role r)
{
    return r == DN__ROLE_DEVICE ? DN__ENT_DEVICE : r == DN__ROLE_IP ? DN__ENT_IP : DN__ENT_ACCOUNT;
}

typedef enum dn__dir { DN__DIR_IN = 1, DN__DIR_OUT = 2, DN__DIR_ANY = 3 } dn__dir;

typedef enum dn__agg_kind {
    DN__AGG_COUNT,      /* facts in window matching dir and filter */
    DN__AGG_SUM,        /* sum of amount_base_minor */
    DN__AGG_AVG,        /* sum / count (0 when count is 0); the only double-valued aggregate */
    DN__AGG_MAX,        /* max amount (0 when empty) */
    DN__AGG_MIN,        /* min amount (0 when empty) */
    DN__AGG_DISTINCT,   /* distinct values of `field` (absent values not counted) */
    DN__AGG_PAIR_COUNT, /* facts in window whose counterparty is the current event's */
    DN__AGG_PAIR_SUM,
    DN__AGG_PAIR_MAX
} dn__agg_kind;

typedef enum dn__fact_field {
    DN__FIELD_COUNTERPARTY, /* the other account (for device/ip entities: the src account) */
    DN__FIELD_DEVICE,
    DN__FIELD_IP,
    DN__FIELD_IP_COUNTRY,
    DN__FIELD_COUNTRY, /* the counterparty's country (dst_country when out, src_country when in) */
    DN__FIELD_CHANNEL,
    DN__FIELD_ACCOUNT, /* for device and ip entities: same value as COUNTERPARTY */
    DN__FIELD_COUNT_
} dn__fact_field;

/* One aggregate the rules read. Pair aggregates ignore field; non-distinct ones ignore field. */
typedef struct dn__agg_spec {
    dn__agg_kind kind;
    dn__dir dir;          /* DN__DIR_ANY for device/ip entities */
    dn__fact_field field; /* DN__AGG_DISTINCT only */
    int64_t window_ms;    /* > 0 */
    int32_t filter;       /* -1: none; else the bit (0..63) of dn__fact_in.filter_bits */
} dn__agg_spec;

/* What one entity kind must keep. Owned by the compiled rule set; state borrows it. */
typedef struct dn__state_plan {
    const dn__agg_spec *aggs;
    uint32_t agg_count;
    uint32_t filter_count; /* <= 64 */
    int64_t retention_ms;  /* longest window any slot, hits() or typology needs; facts older go */
    int64_t counterparty_memory_ms; /* how far back new_counterparty looks (0: not used); kept as
                                       a compact set of counterparty hashes, not as facts */
    uint32_t rule_count;            /* rule indexes passed to record_hit/hits are < rule_count */
    uint32_t typology_count;
} dn__state_plan;

/* The fact one event leaves in one entity. Hashes are dn__hash64 of the value, 0 when absent. */
typedef struct dn__fact_in {
    int64_t ts_ms;
    dn__dir dir;
    dn_event_type type;
    bool has_amount;
    int64_t amount_base_minor; /* converted to the rule set's base currency */
    uint64_t counterparty_h;
    uint64_t device_h, ip_h, channel_h;
    uint16_t ip_country, country; /* two ASCII letters packed (c0 << 8 | c1), 0 when absent */
    uint64_t filter_bits;         /* bit i set when where-filter i held for this event */
    dn_str event_id;              /* copied by state as needed for explanations */
    bool has_opened;
    int64_t opened_ms; /* customer.opened of the event, when the entity is the src account */
} dn__fact_in;

/* The entity as it was just before the current event's fact went in. */
typedef struct dn__observation {
    bool is_new_entity;       /* no fact was held before (created now, or everything expired) */
    bool is_new_counterparty; /* counterparty_h != 0 and not seen with this entity within
                                 plan.counterparty_memory_ms before this event */
    int64_t first_seen_ms;    /* first fact ever seen for the entity (this one if new) */
    int64_t opened_ms;        /* customer.opened if ever seen for it, else first_seen_ms */
    int64_t last_ms[4];       /* index by dn__dir: time of the last earlier fact in IN, OUT, ANY;
                                 INT64_MIN when there was none */
} dn__observation;

typedef struct dn__agg_value {
    bool is_double;
    int64_t i; /* money in base minor units, or a count */
    double d;  /* avg */
} dn__agg_value;

typedef struct dn__entity dn__entity; /* opaque */
typedef struct dn__state dn__state;

/* Per (entity, typology) alerting state, kept in the entity; engine/score reads and writes it. */
typedef struct dn__typology_state {
    bool is_open;        /* an alert was raised and its suppression window has not ended */
    int64_t alert_ts_ms; /* event time the open alert was raised */
    uint64_t alert_seq;  /* disambiguates alert ids of one entity and typology */
    int64_t last_score;  /* score reported in the last alert or update */
} dn__typology_state;

/*
 * Creates state for one shard. plans[k] is the plan for entity kind k (borrowed; must outlive
 * the state). Returns 0, DN_EINVAL or DN_ENOMEM.
 */
int dn__state_new(const dn_state_config *cfg, const dn__state_plan plans[DN__ENT_KIND_COUNT],
                  dn__state **out);
void dn__state_free(dn__state *st);

/* Finds or creates the entity; it becomes the most recently used. May evict another entity
 * (never one touched for the current event: call dn__state_event_begin first). */
void dn__state_event_begin(dn__state *st);
int dn__state_touch(dn__state *st, dn__entity_kind kind, dn_str id, dn__entity **out);
/* The same, with id_h = dn__hash64 of id's bytes already computed by the caller. */
int dn__state_touch_h(dn__state *st, dn__entity_kind kind, dn_str id, uint64_t id_h,
                      dn__entity **out);
/* The same, with h = dn__state_entity_hash_of(kind, id_h) already computed by the caller. */
int dn__state_touch_eh(dn__state *st, dn__entity_kind kind, dn_str id, uint64_t h,
                       dn__entity **out);

/*
 * Prefetch hints, with no effect on state. The engine knows each event before it scores it (the
 * reorder buffer holds it), so it walks each role's entity toward the cache in stages, each
 * reading only what the previous one brought in (engine.c says when each runs):
 * dn__state_prefetch_slot (the table slot of hash h, from dn__state_entity_hash),
 * dn__state_prefetch_entity (the entity in that slot, when the stored hash matches), and
 * dn__state_prefetch_facts (the fact, id and counterparty arrays observe() will touch, and the
 * distinct() sets' slots of cp_h, the counterparty hash the event's fact will carry).
 */
uint64_t dn__state_entity_hash(dn__entity_kind kind, dn_str id);
/* The same from id_h = dn__hash64 of the id's bytes. */
uint64_t dn__state_entity_hash_of(dn__entity_kind kind, uint64_t id_h);
void dn__state_prefetch_slot(const dn__state *st, uint64_t h);
void dn__state_prefetch_entity(const dn__state *st, dn__entity_kind kind, uint64_t h);
void dn__state_prefetch_facts(const dn__state *st, uint64_t h, uint64_t cp_h);

/* The entity's id and kind (for alerts). The id stays valid while the entity lives. */
dn_str dn__entity_id(const dn__entity *e);
dn__entity_kind dn__entity_kind_of(const dn__entity *e);

/* Expires facts older than the retention at fact->ts_ms, fills *pre, inserts the fact and
 * updates every slot. Returns 0 or DN_ENOMEM. */
int dn__state_observe(dn__state *st, dn__entity *e, const dn__fact_in *fact, dn__observation *pre);

/* Value of aggregate slot `slot` of the entity's plan at time now (the current event's time).
 * cp_h is the current event's counterparty hash (pair aggregates only). */
void dn__state_agg(const dn__state *st, const dn__entity *e, uint32_t slot, int64_t now_ms,
                   uint64_t cp_h, dn__agg_value *out);

/* Up to cap ids of the events behind slot's value at now (newest first; for max/min/pair_max the
 * event holding the value comes first; for distinct, the newest event of each value). Returns how
 * many. The
 * strings stay valid until the next dn__state_observe or dn__state_touch. */
uint32_t dn__state_agg_event_ids(const dn__state *st, const dn__entity *e, uint32_t slot,
                                 int64_t now_ms, uint64_t cp_h, dn_str *ids, uint32_t cap);

/* How many hits rule `rule` recorded for the entity with ts in (now - window, now], earlier
 * events only (hits recorded for the current event are not counted). */
uint32_t dn__state_hits(const dn__state *st, const dn__entity *e, uint32_t rule, int64_t window_ms,
                        int64_t now_ms);
int dn__state_record_hit(dn__state *st, dn__entity *e, uint32_t rule, int64_t ts_ms, int32_t score);

/* Sum of scores of the rules in rules[0..rule_count) that hit in (now - window, now], current
 * event's hits included. Each rule counts once, with its newest hit's score, however often it
 * fired: a typology adds up distinct indicators. */
int64_t dn__state_hit_score(const dn__state *st, const dn__entity *e, const uint32_t *rules,
                            uint32_t rule_count, int64_t window_ms, int64_t now_ms);

/*
 * Explanations (engine/score). dn__state_record_hit_note records a hit like dn__state_record_hit
 * and keeps a copy of note (opaque bytes, engine/score's encoding) with it, freed when the hit
 * leaves. dn__state_hit_list writes the newest hit of each rule in rules[0..rule_count) that hit
 * in (now - window, now] to out (the hits dn__state_hit_score adds up), oldest first, at most
 * cap, current event included; returns how many. Notes stay valid until the next call that records
 * or prunes hits for the entity (observe, record_hit) or evicts it.
 */
typedef struct dn__hit_view {
    uint32_t rule;
    int32_t score;
    int64_t ts_ms;
    const void *note; /* NULL when none */
    uint32_t note_len;
} dn__hit_view;
int dn__state_record_hit_note(dn__state *st, dn__entity *e, uint32_t rule, int64_t ts_ms,
                              int32_t score, const void *note, uint32_t note_len);
uint32_t dn__state_hit_list(const dn__state *st, const dn__entity *e, const uint32_t *rules,
                            uint32_t rule_count, int64_t window_ms, int64_t now_ms,
                            dn__hit_view *out, uint32_t cap);

/* The alerting state of typology t for the entity (zeroed at creation). Never NULL for
 * t < plan.typology_count unless memory ran out. */
dn__typology_state *dn__state_typology(dn__state *st, dn__entity *e, uint32_t t);

/* Whether any entity kind keeps fact field `field` as a column (so the caller needs to fill it
 * in dn__fact_in): only DN__FIELD_DEVICE, _IP, _CHANNEL and _IP_COUNTRY are ever optional. */
bool dn__state_keeps_field(const dn__state *st, dn__fact_field field);

/* Counters for reports and metrics. */
void dn__state_stats(const dn__state *st, dn_state_stats *out);

#endif
