/*
 * lang.h - what the rest of the engine uses of the compiled rule language.
 *
 * CONTRACT between engine/lang (compiler + VM, which implements it) and engine/score (the
 * pipeline that drives it). Owned by engine/lang.
 *
 * The compiled dn_ruleset exposes its rules and typologies (for scoring and alerts) and the state
 * plan per entity kind (engine/state/state.h). Evaluation needs per-shard scratch: VM registers,
 * PCRE2 match data, the vectorscan scratch, the witness buffer for explanations. Evaluation
 * allocates nothing.
 *
 * Per event, the pipeline calls:
 *   dn__lang_event_begin(sc, ev, amount_base)      once; scans text fields through the prefilter
 *   for each role present in the event (src, dst, device, ip):
 *       bits = dn__lang_filters(sc, role)          where-filters of that role's entity kind
 *       dn__state_observe(...)                     fact in, with bits
 *       dn__lang_eval(sc, role, st, ent, &pre, &hits, &n)
 *   dn__lang_event_end(sc)
 */
#ifndef DN_LANG_LANG_H
#define DN_LANG_LANG_H

#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "state/state.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct dn__rule_info {
    const char *id;          /* "mule.pass_through" */
    const char *description; /* the quoted text after the id */
    const char *file;        /* where it is defined */
    int line;
    int32_t score;
    bool is_shadow;     /* mode shadow: evaluated and counted, never scored into typologies */
    dn__role role;      /* `for` */
    uint32_t type_mask; /* `on`: bit (1u << dn_event_type) per type */
    const char *const *tags;
    uint32_t tag_count;
    const uint32_t *typologies; /* indexes of the typologies listing this rule */
    uint32_t typology_count;
} dn__rule_info;

typedef struct dn__typology_info {
    const char *name;
    const char *description;
    const uint32_t *rules; /* rule indexes */
    uint32_t rule_count;
    int64_t window_ms;
    int64_t threshold;
    const char *severity; /* "low", "medium", "high", "critical" */
    int64_t suppress_ms;
    int64_t review; /* verdict thresholds; -1 when not given */
    int64_t block;
} dn__typology_info;

const dn__rule_info *dn__ruleset_rules(const dn_ruleset *rs, uint32_t *count);
const dn__typology_info *dn__ruleset_typologies(const dn_ruleset *rs, uint32_t *count);
/* The plans for every entity kind, indexed by dn__entity_kind. */
const dn__state_plan *dn__ruleset_plans(const dn_ruleset *rs);
/* Minor-unit digits of the base currency (2 for EUR), for formatting money. */
int dn__ruleset_base_digits(const dn_ruleset *rs);

/* One fired rule, valid until the next dn__lang_eval or dn__lang_event_end. */
typedef struct dn__lang_hit {
    uint32_t rule;         /* index into dn__ruleset_rules */
    const dn_str *because; /* each comparison of the `when` that held, with its values, e.g.
                              "sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR"; NULL when deferred */
    uint32_t because_count;
    const void *why; /* deferred (dn__lang_scratch_defer_because): the same lines not yet
                        written, why_len bytes for dn__lang_because_render; else NULL */
    uint32_t why_len;
    const dn_str *event_ids; /* the current event's id first, then the events behind the
                                aggregates the rule read (deduplicated, capped at 16) */
    uint32_t event_id_count;
} dn__lang_hit;

typedef struct dn__lang_scratch dn__lang_scratch;

int dn__lang_scratch_new(const dn_ruleset *rs, dn__lang_scratch **out);
void dn__lang_scratch_free(dn__lang_scratch *sc);

void dn__lang_event_begin(dn__lang_scratch *sc, const dn_event *ev, int64_t amount_base_minor);
/* The same with the dn__hash64 of the event's src and dst (0 when absent or empty) already at
 * hand: the engine's dn__event_hashes, the values its facts keep as counterparties. */
void dn__lang_event_begin_h(dn__lang_scratch *sc, const dn_event *ev, int64_t amount_base_minor,
                            uint64_t src_h, uint64_t dst_h);
/* Where-filter bits of role's entity kind for the current event (see dn__state_plan). */
uint64_t dn__lang_filters(dn__lang_scratch *sc, dn__role role);
/*
 * Evaluates every rule `for role` whose `on` list has the event's type, live and shadow, against
 * entity e (whose fact for this event is already in state). Fired rules go to *hits (scratch
 * memory). Returns 0 or a negative code (never for bad data: a regex over its match limit is no
 * match and counted).
 */
int dn__lang_eval(dn__lang_scratch *sc, dn__role role, const dn__state *st, const dn__entity *e,
                  const dn__observation *pre, const dn__lang_hit **hits, uint32_t *hit_count);
void dn__lang_event_end(dn__lang_scratch *sc);
/*
 * With on, hits carry their because lines as a compact record of the values (why, why_len)
 * instead of text: most hits are never shown in an alert, and writing the lines (numbers,
 * money, durations, quoted strings) was the larger part of a hit's cost. The engine keeps the
 * record in the hit's note and writes the lines when an alert shows the hit.
 */
void dn__lang_scratch_defer_because(dn__lang_scratch *sc, bool on);
/* The longest because line, NUL included: longer ones are cut. */
#define DN__BECAUSE_MAX 512u
/*
 * Writes the because lines of a deferred hit of rule (why, why_len as the hit had them) into
 * text (cap bytes): lines[0..*n) point into it, at most max of them, the same lines the hit
 * would have carried without deferral. Returns 0, or DN_EINVAL when why is not such a record.
 */
int dn__lang_because_render(const dn_ruleset *rs, uint32_t rule, const void *why, uint32_t why_len,
                            char *text, size_t cap, dn_str *lines, uint32_t max, uint32_t *n);

typedef struct dn__lang_stats {
    uint64_t regex_limit_hits; /* PCRE2 matches that hit the match limit (counted as no match) */
    uint64_t regex_runs;       /* PCRE2 confirmations run */
    uint64_t prefilter_skips;  /* PCRE2 runs avoided because the prefilter did not fire */
    uint64_t memo_hits;        /* regex answers taken from the subject memo (vm.c) */
} dn__lang_stats;
void dn__lang_stats_get(const dn__lang_scratch *sc, dn__lang_stats *out);

#endif
