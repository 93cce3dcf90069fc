/*
 * lang_state.h - the real entity state behind the rule language, for tests that drive the VM
 * directly (test_lang_eval, test_lang_vm, fuzz_rules_eval).
 *
 * It does for one event what engine/score does (engine.c, score_role), without typologies or
 * alerts: state and scratch begin the event; for each role the event has, the role's entity is
 * touched, its fact (built by engine/score's dn__score_role_fact, with the scratch's
 * where-filter bits) goes in, the VM evaluates the role's rules, and each live rule that fired
 * is recorded as a hit with its score, so later hits() see it. The data-driven cases
 * (test_lang_cases) run the same rules through dn_engine.
 *
 * Ownership: the state borrows the rule set's plans, so free the state before the rule set.
 * Static functions in a header: each test includes it once.
 */
#ifndef DN_TEST_LANG_STATE_H
#define DN_TEST_LANG_STATE_H

#include "common/hash.h"
#include "dragnet/error.h"
#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "score/score.h"
#include "state/state.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* A state store for rs's plans with the default limits, or at most max_entities entities when
 * that is not 0 (the fuzz target keeps memory bounded so); NULL when it cannot be made. */
static inline dn__state *lst_new_capped(const dn_ruleset *rs, uint64_t max_entities)
{
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    if (max_entities)
        cfg.max_entities = max_entities;
    dn__state *st = NULL;
    if (dn__state_new(&cfg, dn__ruleset_plans(rs), &st) != 0)
        return NULL;
    return st;
}

static inline dn__state *lst_new(const dn_ruleset *rs)
{
    return lst_new_capped(rs, 0);
}

/* Starts an event in state and scratch. */
static inline void lst_begin(dn__state *st, dn__lang_scratch *sc, const dn_event *ev,
                             int64_t amount_base_minor)
{
    dn__state_event_begin(st);
    dn__lang_event_begin(sc, ev, amount_base_minor);
}

/*
 * Touches role's entity of ev and puts the event's fact in it (after lst_begin). Returns the
 * entity, or NULL when the event has no such role or state failed. *pre gets the observation.
 */
static inline dn__entity *lst_observe(dn__state *st, dn__lang_scratch *sc, const dn_event *ev,
                                      int64_t amount_base_minor, dn__role role,
                                      dn__observation *pre)
{
    dn__event_hashes hs;
    dn__score_event_hashes(ev, &hs);
    dn_str id;
    uint64_t id_h;
    dn__fact_in f;
    if (!dn__score_role_fact(ev, amount_base_minor, role, &hs, &id, &id_h, &f))
        return NULL;
    dn__entity *e = NULL;
    if (dn__state_touch(st, dn__role_kind(role), id, &e) != 0)
        return NULL;
    f.filter_bits = dn__lang_filters(sc, role);
    if (dn__state_observe(st, e, &f, pre) != 0)
        return NULL;
    return e;
}

/* Records every live hit of hits[0..n) on e at ts, with its rule's score. Returns 0 or an
 * error code. */
static inline int lst_record(dn__state *st, const dn_ruleset *rs, dn__entity *e, int64_t ts_ms,
                             const dn__lang_hit *hits, uint32_t n)
{
    uint32_t rule_count = 0;
    const dn__rule_info *rules = dn__ruleset_rules(rs, &rule_count);
    for (uint32_t i = 0; i < n; i++) {
        if (hits[i].rule >= rule_count)
            return DN_EINVAL;
        if (rules[hits[i].rule].is_shadow)
            continue;
        int rc = dn__state_record_hit(st, e, hits[i].rule, ts_ms, rules[hits[i].rule].score);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * One whole event through state and the VM, every role in engine order, hits recorded.
 * Returns a mask of what fired: bit (rule + 8 * role) for rules 0..7. Negative on error.
 */
static inline int64_t lst_event(dn__state *st, dn__lang_scratch *sc, const dn_ruleset *rs,
                                const dn_event *ev, int64_t amount_base_minor)
{
    int64_t mask = 0;
    lst_begin(st, sc, ev, amount_base_minor);
    for (int r = 0; r < DN__ROLE_COUNT && mask >= 0; r++) {
        dn__observation pre;
        dn__entity *e = lst_observe(st, sc, ev, amount_base_minor, (dn__role)r, &pre);
        if (!e)
            continue;
        const dn__lang_hit *hits = NULL;
        uint32_t n = 0;
        if (dn__lang_eval(sc, (dn__role)r, st, e, &pre, &hits, &n) != 0 ||
            lst_record(st, rs, e, ev->ts_ms, hits, n) != 0) {
            mask = -1;
            break;
        }
        for (uint32_t i = 0; i < n; i++)
            if (hits[i].rule < 8)
                mask |= (int64_t)1 << (hits[i].rule + 8 * (uint32_t)r);
    }
    dn__lang_event_end(sc);
    return mask;
}

#endif
