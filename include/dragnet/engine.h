/*
 * engine.h - the scoring engine: events in, explained alerts out.
 *
 * A dn_engine owns one shard's entity state and the per-shard scratch of the rule language, and
 * retains the compiled rule set it was made with. Events are submitted one at a time, in any
 * order within the configured lateness: a reorder buffer holds each event (a deep copy) until
 * the newest event time seen minus the lateness has passed it, then scores held events in
 * (event time, arrival) order. An event older than that watermark is scored at once against the
 * current state and counted as late. With lateness 0, events are scored as they arrive, without
 * a copy. dn_engine_flush scores everything still held (end of input).
 *
 * Alerts are delivered synchronously through the configured callback, from inside
 * dn_engine_submit or dn_engine_flush. Same events in the same order and the same rules give the
 * same alerts, byte for byte.
 *
 * Threads: one engine is used by one thread at a time.
 */
#ifndef DRAGNET_ENGINE_H
#define DRAGNET_ENGINE_H

#include "dragnet/alert.h"
#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "dragnet/state.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_engine dn_engine;

/* Told of every rule hit (shadow ones too) with the entity it fell on; for backtests. */
typedef void (*dn_rule_hit_cb)(const char *rule_id, bool is_shadow, const char *entity,
                               size_t entity_len, void *ud);

typedef struct dn_engine_config {
    dn_state_config state; /* limits of entity state */
    int64_t lateness_ms;   /* how late an event may arrive and still be scored in order;
                              default 60,000 */
    dn_alert_cb on_alert;  /* NULL: alerts are counted, not delivered */
    void *on_alert_ud;
    dn_rule_hit_cb on_rule_hit; /* NULL: counted only */
    void *on_rule_hit_ud;
    uint32_t shards; /* reserved: 1 */
} dn_engine_config;

void dn_engine_config_default(dn_engine_config *cfg);

/*
 * Creates an engine for rule set rs (retained until dn_engine_free). cfg may be NULL for the
 * defaults. Returns 0, DN_EINVAL or DN_ENOMEM.
 */
int dn_engine_new(dn_ruleset *rs, const dn_engine_config *cfg, dn_engine **out);
void dn_engine_free(dn_engine *e); /* accepts NULL; held events are dropped unscored */

/*
 * Submits one event (borrowed: copied when it must be held). Returns 0 when the event was
 * accepted (scored, or held to be scored in order); DN_EBADEVENT with *reject_reason set to a
 * static reason code ("unknown_currency") when it cannot be scored and must be dead-lettered;
 * DN_ENOMEM. Scoring of released events happens inside this call.
 */
int dn_engine_submit(dn_engine *e, const dn_event *ev, const char **reject_reason);

/* Scores every held event, in order (end of input). Returns 0 or DN_ENOMEM. */
int dn_engine_flush(dn_engine *e);

typedef struct dn_engine_stats {
    uint64_t events_submitted; /* accepted by dn_engine_submit */
    uint64_t events_rejected;  /* DN_EBADEVENT */
    uint64_t events_scored;
    uint64_t late_events; /* scored at once, older than the watermark */
    uint64_t events_held; /* in the reorder buffer now */
    uint64_t alerts;      /* over every typology */
    uint64_t alert_updates;
    uint64_t rule_hits;        /* over every rule, shadow included */
    uint64_t regex_limit_hits; /* regex matches stopped by their limit (counted as no match) */
    dn_state_stats state;      /* entities, evicted_entities, dropped_facts, bytes ... */
} dn_engine_stats;

void dn_engine_stats_get(const dn_engine *e, dn_engine_stats *out);

/* Counters per rule and per typology, in the rule set's order, for reports. */
typedef struct dn_engine_rule_stats {
    const char *id; /* owned by the rule set */
    bool is_shadow;
    uint64_t hits;
} dn_engine_rule_stats;

typedef struct dn_engine_typology_stats {
    const char *name; /* owned by the rule set */
    uint64_t alerts;
    uint64_t updates;
} dn_engine_typology_stats;

uint32_t dn_engine_rule_count(const dn_engine *e);
/* Returns 0, or DN_EINVAL when i >= dn_engine_rule_count(e). */
int dn_engine_rule_stats_get(const dn_engine *e, uint32_t i, dn_engine_rule_stats *out);
uint32_t dn_engine_typology_count(const dn_engine *e);
int dn_engine_typology_stats_get(const dn_engine *e, uint32_t i, dn_engine_typology_stats *out);

#ifdef __cplusplus
}
#endif
#endif
