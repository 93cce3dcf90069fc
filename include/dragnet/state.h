/*
 * state.h - limits and counters of per-entity state (public part).
 *
 * Each shard keeps its entities' facts in memory, bounded by these limits. The internal contract
 * between the rule language and the state store is engine/state/state.h.
 */
#ifndef DRAGNET_STATE_H
#define DRAGNET_STATE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_state_config {
    uint64_t max_entities;         /* per shard, all kinds; LRU eviction beyond; default 2,000,000 */
    uint32_t max_facts_per_entity; /* oldest facts dropped beyond; default 4,096 */
} dn_state_config;

void dn_state_config_default(dn_state_config *cfg);

typedef struct dn_state_stats {
    uint64_t entities;          /* held now */
    uint64_t entities_created;  /* ever */
    uint64_t evicted_entities;  /* dropped whole by the LRU cap */
    uint64_t dropped_facts;     /* dropped by the per-entity cap */
    uint64_t facts;             /* held now */
    uint64_t bytes;             /* heap bytes held by entity state */
} dn_state_stats;

#ifdef __cplusplus
}
#endif
#endif
