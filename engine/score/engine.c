/*
 * engine.c - the scoring pipeline (dn_engine_*): reorder, state, rule evaluation, typology
 * scoring, suppression and alert lines. See engine.h for the public contract.
 *
 * Per scored event (score_event): dn__state_event_begin; dn__lang_event_begin; then for each
 * role present, in the fixed order src, dst, device, ip: touch the role's entity, build its fact
 * (out for src, in for dst, any for device and ip), observe, evaluate the role's rules, and
 * handle the hits; finally dn__lang_event_end.
 *
 * Hits: every hit counts in rule_hits (shadow rules too, and stop there). A live hit is recorded
 * in the entity with a note (its because lines and event ids) and marks the typologies that list
 * its rule. After all hits of a role are recorded, each marked typology is scored once, in
 * typology order: total = the entity's live hit scores of the typology's rules in its window
 * (this event's included). At or over the threshold: with no open alert, or once the
 * suppression window since the open alert has ended, a new alert is raised (its id is a hash of
 * the raising event and stored as the typology state's alert_seq); inside the window an
 * alert_update is emitted carrying the open alert's id (a new hit arrived: that is what marked
 * the typology).
 *
 * Counterparty hashes: a fact's counterparty_h is dn__hash64 of the other account's id (for
 * device and ip: the src account, or dst when there is no src). The rule VM must pass the same
 * value as cp_h to pair aggregates.
 *
 * Ownership: the engine retains the rule set and owns the state, the lang scratch, the reorder
 * buffer (and the event copies in it) and its buffers. Per-event work allocates only when state
 * grows, the reorder buffer's pool grows (or holds an event too big for a pool block), or a hit
 * note is kept.
 */
#include "dragnet/engine.h"

#include "common/buf.h"
#include "common/hash.h"
#include "dragnet/error.h"
#include "lang/lang.h"
#include "score/score.h"
#include "state/state.h"

#include <stdlib.h>
#include <string.h>

#define ALERT_RULES_MAX 16

struct dn_engine {
    dn_ruleset *rs;
    dn_engine_config cfg;
    const dn__rule_info *rules;
    uint32_t rule_count;
    const dn__typology_info *typs;
    uint32_t typ_count;
    dn__state *st;
    dn__lang_scratch *sc;
    dn__reorder *ro;
    dn__buf line, note;
    dn__buf shown[ALERT_RULES_MAX]; /* the notes of an alert's hits, deferred lines written */
    uint8_t *marked;                /* per typology, for the role being scored */
    dn__hit_view views[ALERT_RULES_MAX];
    dn__alert_rule arules[ALERT_RULES_MAX];
    uint64_t *rule_hits, *typ_alerts, *typ_updates;
    bool has_channel; /* some fact keeps the channel: hash it */
    dn_engine_stats stats;
};

void dn_engine_config_default(dn_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    dn_state_config_default(&cfg->state);
    cfg->lateness_ms = 60000;
    cfg->shards = 1;
}

int dn_engine_new(dn_ruleset *rs, const dn_engine_config *cfg, dn_engine **out)
{
    int rc = DN_EINVAL;
    dn_engine *e = NULL;
    *out = NULL;
    if (!rs)
        goto fail;
    rc = DN_ENOMEM;
    e = calloc(1, sizeof(*e));
    if (!e)
        goto fail;
    if (cfg)
        e->cfg = *cfg;
    else
        dn_engine_config_default(&e->cfg);
    e->rs = dn_ruleset_retain(rs);
    dn__buf_init(&e->line);
    dn__buf_init(&e->note);
    for (int i = 0; i < ALERT_RULES_MAX; i++)
        dn__buf_init(&e->shown[i]);
    e->rules = dn__ruleset_rules(rs, &e->rule_count);
    e->typs = dn__ruleset_typologies(rs, &e->typ_count);
    e->rule_hits = calloc(e->rule_count + 1, sizeof(uint64_t));
    e->typ_alerts = calloc(e->typ_count + 1, sizeof(uint64_t));
    e->typ_updates = calloc(e->typ_count + 1, sizeof(uint64_t));
    e->marked = calloc(e->typ_count + 1, 1);
    if (!e->rule_hits || !e->typ_alerts || !e->typ_updates || !e->marked)
        goto fail;
    if ((rc = dn__state_new(&e->cfg.state, dn__ruleset_plans(rs), &e->st)) != 0 ||
        (rc = dn__lang_scratch_new(rs, &e->sc)) != 0 ||
        (rc = dn__reorder_new(e->cfg.lateness_ms, &e->ro)) != 0)
        goto fail;
    e->has_channel = dn__state_keeps_field(e->st, DN__FIELD_CHANNEL);
    dn__lang_scratch_defer_because(e->sc, true); /* lines written only for alerts (shown_note) */
    *out = e;
    return 0;
fail:
    dn_engine_free(e);
    return rc;
}

void dn_engine_free(dn_engine *e)
{
    if (!e)
        return;
    dn__reorder_free(e->ro);
    dn__lang_scratch_free(e->sc);
    dn__state_free(e->st);
    dn__buf_free(&e->line);
    dn__buf_free(&e->note);
    for (int i = 0; i < ALERT_RULES_MAX; i++)
        dn__buf_free(&e->shown[i]);
    free(e->rule_hits);
    free(e->typ_alerts);
    free(e->typ_updates);
    free(e->marked);
    dn_ruleset_release(e->rs);
    free(e);
}

static bool present(dn_str s)
{
    return s.ptr && s.len > 0;
}

static const char *const role_kind_names[DN__ENT_KIND_COUNT] = {"account", "device", "ip"};

/* The note an alert shows for hit view v: a deferred hit's lines written now, into e->shown[i]. */
static int shown_note(dn_engine *e, const dn__hit_view *v, uint32_t i, const void **note,
                      uint32_t *note_len)
{
    const void *why;
    uint32_t why_len;
    *note = v->note;
    *note_len = v->note_len;
    if (!dn__score_note_why(v->note, v->note_len, &why, &why_len))
        return 0;
    char text[DN__NOTE_MAX_LINES * DN__BECAUSE_MAX];
    dn_str lines[DN__NOTE_MAX_LINES], ids[DN__NOTE_MAX_IDS];
    uint32_t nl = 0, nb = 0, ni = 0;
    dn_str none[1];
    if (dn__lang_because_render(e->rs, v->rule, why, why_len, text, sizeof(text), lines,
                                DN__NOTE_MAX_LINES, &nl) != 0 ||
        dn__score_note_decode(v->note, v->note_len, none, &nb, ids, &ni) != 0)
        nl = ni = 0; /* a note this engine wrote is never malformed; shown without it if so */
    int rc = dn__score_note_encode(&e->shown[i], lines, nl, ids, ni);
    if (rc)
        return rc;
    *note = e->shown[i].data;
    *note_len = (uint32_t)e->shown[i].len;
    return 0;
}

static int emit(dn_engine *e, dn__entity *ent, const dn__typology_info *t, uint32_t ti,
                dn__typology_state *ts, bool is_update, int64_t total, const dn_event *ev,
                int64_t now)
{
    int rc = 0;
    uint32_t n = dn__state_hit_list(e->st, ent, t->rules, t->rule_count, t->window_ms, now,
                                    e->views, ALERT_RULES_MAX);
    for (uint32_t i = 0; i < n; i++) {
        const dn__rule_info *r = &e->rules[e->views[i].rule];
        const void *note;
        uint32_t note_len;
        if ((rc = shown_note(e, &e->views[i], i, &note, &note_len)) != 0)
            goto fail;
        e->arules[i] = (dn__alert_rule){r->id, r->description, e->views[i].score, e->views[i].ts_ms,
                                        note,  note_len};
    }
    dn__alert a = {
        .alert_id = ts->alert_seq,
        .is_update = is_update,
        .ts_ms = ev->ts_ms,
        .entity = dn__entity_id(ent),
        .role = role_kind_names[dn__entity_kind_of(ent)],
        .typology = t->name,
        .description = t->description,
        .severity = t->severity,
        .score = total,
        .threshold = t->threshold,
        .review = t->review,
        .block = t->block,
        .ruleset_version = dn_ruleset_version(e->rs),
        .ruleset_hash = dn_ruleset_hash(e->rs),
        .rules = e->arules,
        .rule_count = n,
        .event_id = ev->id,
    };
    if ((rc = dn__score_alert_json(&e->line, &a)) != 0)
        goto fail;
    if (is_update) {
        e->typ_updates[ti]++;
        e->stats.alert_updates++;
    } else {
        e->typ_alerts[ti]++;
        e->stats.alerts++;
    }
    if (e->cfg.on_alert)
        e->cfg.on_alert(e->line.data, e->line.len, e->cfg.on_alert_ud);
    return 0;
fail:
    return rc;
}

static int score_typology(dn_engine *e, dn__entity *ent, uint32_t ti, const dn_event *ev)
{
    int rc = 0;
    const dn__typology_info *t = &e->typs[ti];
    int64_t now = ev->ts_ms;
    int64_t total = dn__state_hit_score(e->st, ent, t->rules, t->rule_count, t->window_ms, now);
    if (total < t->threshold)
        goto done;
    rc = DN_ENOMEM;
    dn__typology_state *ts = dn__state_typology(e->st, ent, ti);
    if (!ts)
        goto done;
    bool is_open = ts->is_open && now < ts->alert_ts_ms + t->suppress_ms;
    if (is_open && total <= ts->last_score) {
        rc = 0; /* nothing new to tell the investigator: the alert already says this much */
        goto done;
    }
    if (!is_open) {
        ts->is_open = true;
        ts->alert_ts_ms = now;
        ts->alert_seq = dn__score_alert_id(dn_ruleset_hash(e->rs), t->name, dn__entity_kind_of(ent),
                                           dn__entity_id(ent), ev->id);
    }
    ts->last_score = total;
    rc = emit(e, ent, t, ti, ts, is_open, total, ev, now);
done:
    return rc;
}

static int score_role(dn_engine *e, const dn_event *ev, dn__role role, const dn__event_hashes *hs,
                      dn__fact_in *fact)
{
    int rc = 0;
    dn_str id;
    uint64_t id_h;
    if (!dn__score_role_patch(ev, role, hs, &id, &id_h, fact))
        return 0;
    dn__entity *ent = NULL;
    if ((rc = dn__state_touch_eh(e->st, dn__role_kind(role), id, hs->entity[role], &ent)) != 0)
        goto fail;
    fact->filter_bits = dn__lang_filters(e->sc, role); /* set anew for every role */
    dn__observation pre;
    if ((rc = dn__state_observe(e->st, ent, fact, &pre)) != 0)
        goto fail;
    const dn__lang_hit *hits = NULL;
    uint32_t hit_count = 0;
    if ((rc = dn__lang_eval(e->sc, role, e->st, ent, &pre, &hits, &hit_count)) != 0)
        goto fail;
    bool any_marked = false;
    for (uint32_t i = 0; i < hit_count; i++) {
        const dn__lang_hit *h = &hits[i];
        if (h->rule >= e->rule_count)
            continue;
        const dn__rule_info *r = &e->rules[h->rule];
        e->rule_hits[h->rule]++;
        e->stats.rule_hits++;
        if (e->cfg.on_rule_hit) {
            dn_str id = dn__entity_id(ent);
            e->cfg.on_rule_hit(r->id, r->is_shadow, id.ptr, id.len, e->cfg.on_rule_hit_ud);
        }
        if (r->is_shadow)
            continue;
        if ((rc = h->why ? dn__score_note_encode_why(&e->note, h->why, h->why_len, h->event_ids,
                                                     h->event_id_count)
                         : dn__score_note_encode(&e->note, h->because, h->because_count,
                                                 h->event_ids, h->event_id_count)) != 0 ||
            (rc = dn__state_record_hit_note(e->st, ent, h->rule, ev->ts_ms, r->score, e->note.data,
                                            (uint32_t)e->note.len)) != 0)
            goto fail;
        for (uint32_t j = 0; j < r->typology_count; j++) {
            if (r->typologies[j] < e->typ_count) {
                e->marked[r->typologies[j]] = 1;
                any_marked = true;
            }
        }
    }
    for (uint32_t t = 0; any_marked && t < e->typ_count; t++) {
        if (!e->marked[t])
            continue;
        e->marked[t] = 0;
        if ((rc = score_typology(e, ent, t, ev)) != 0)
            goto fail;
    }
    return 0;
fail:
    memset(e->marked, 0, e->typ_count);
    return rc;
}

static int score_event(dn_engine *e, const dn_event *ev, int64_t amount_base,
                       const dn__event_hashes *hs)
{
    int rc = 0;
    dn__state_event_begin(e->st);
    dn__lang_event_begin_h(e->sc, ev, amount_base, hs->src, hs->dst);
    dn__fact_in fact; /* what every role's fact shares; score_role patches in the rest */
    dn__score_event_fact(ev, amount_base, hs, &fact);
    for (int role = 0; role < DN__ROLE_COUNT; role++)
        if ((rc = score_role(e, ev, (dn__role)role, hs, &fact)) != 0)
            break;
    dn__lang_event_end(e->sc);
    if (rc == 0)
        e->stats.events_scored++;
    return rc;
}

/*
 * Prefetching. Entity state is spread over hundreds of megabytes, so every lookup and update
 * would wait for memory; the engine walks each event's entities toward the cache before scoring
 * it, in the order the reorder buffer releases events (known exactly for a feed in time order;
 * how long an event waits in the buffer is not: a few pushes in a quiet minute, hundreds in a
 * busy one). When an event is released, the table slots of the event SLOT_LEAD places behind
 * it (prefetch_roles; at push instead for an event that enters the buffer nearer the front),
 * the entity headers of the one HEADER_LEAD behind and the fact lines of the one FACT_LEAD
 * behind, each stage reading only what an earlier one brought in. Each event's lines are asked
 * for once, a few events before they are used: asked for at push, a slot had left the cache
 * again by the time its event came out in one lookup in seven. Hints only.
 */
static void prefetch_headers(dn_engine *e, const dn__event_hashes *hs)
{
    for (int r = 0; r < DN__ROLE_COUNT; r++)
        if (hs->entity[r])
            dn__state_prefetch_entity(e->st, dn__role_kind((dn__role)r), hs->entity[r]);
}

static void prefetch_facts(dn_engine *e, const dn_event *ev, const dn__event_hashes *hs)
{
    uint64_t other = present(ev->src) ? hs->src : hs->dst;
    const uint64_t cp_h[DN__ROLE_COUNT] = {hs->dst, hs->src, other, other};
    for (int r = 0; r < DN__ROLE_COUNT; r++)
        if (hs->entity[r])
            dn__state_prefetch_facts(e->st, hs->entity[r], cp_h[r]);
}

static void prefetch_roles(dn_engine *e, const dn__event_hashes *hs)
{
    for (int r = 0; r < DN__ROLE_COUNT; r++)
        if (hs->entity[r])
            dn__state_prefetch_slot(e->st, hs->entity[r]);
}

/* How far ahead of the event being scored each stage is prefetched, in events (an event takes
 * about 2 us): fact lines one event ahead, entity headers two events before that and table
 * slots five before those, so that what each stage reads has arrived. */
#define FACT_LEAD   1
#define HEADER_LEAD 3
#define SLOT_LEAD   8

static int release(dn_engine *e, bool drain)
{
    int rc = 0;
    dn__reorder_item it;
    while (dn__reorder_pop(e->ro, drain, &it)) {
        const dn__reorder_item *ahead = dn__reorder_peek(e->ro, SLOT_LEAD);
        if (ahead)
            prefetch_roles(e, &ahead->hs);
        ahead = dn__reorder_peek(e->ro, FACT_LEAD);
        if (ahead)
            prefetch_facts(e, ahead->ev, &ahead->hs);
        ahead = dn__reorder_peek(e->ro, HEADER_LEAD);
        if (ahead)
            prefetch_headers(e, &ahead->hs);
        int r = score_event(e, it.ev, it.amount_base_minor, &it.hs);
        dn__reorder_done(e->ro, it.ev);
        if (r && !rc)
            rc = r;
    }
    return rc;
}

int dn_engine_submit(dn_engine *e, const dn_event *ev, const char **reject_reason)
{
    int rc = 0;
    int64_t amount_base = 0;
    if (reject_reason)
        *reject_reason = NULL;
    if (ev->has_amount &&
        dn_ruleset_to_base(e->rs, ev->currency, ev->amount_minor, &amount_base) != 0) {
        if (reject_reason)
            *reject_reason = "unknown_currency";
        e->stats.events_rejected++;
        rc = DN_EBADEVENT;
        goto fail;
    }
    dn__event_hashes hs; /* once per event: the held copy keeps them for scoring */
    dn__score_event_hashes_for(ev, e->has_channel, &hs);
    dn__reorder_verdict v;
    if ((rc = dn__reorder_push(e->ro, ev, amount_base, &hs, &v)) != 0)
        goto fail;
    if (v == DN__REORDER_HELD && dn__reorder_held(e->ro) <= SLOT_LEAD + 1)
        prefetch_roles(e, &hs); /* it will not pass SLOT_LEAD places behind a released event */
    e->stats.events_submitted++;
    if (v == DN__REORDER_LATE)
        e->stats.late_events++;
    if (v != DN__REORDER_HELD && (rc = score_event(e, ev, amount_base, &hs)) != 0)
        goto fail;
    rc = release(e, false);
fail:
    return rc;
}

int dn_engine_flush(dn_engine *e)
{
    return release(e, true);
}

void dn_engine_stats_get(const dn_engine *e, dn_engine_stats *out)
{
    *out = e->stats;
    out->events_held = dn__reorder_held(e->ro);
    dn__lang_stats ls;
    dn__lang_stats_get(e->sc, &ls);
    out->regex_limit_hits = ls.regex_limit_hits;
    dn__state_stats(e->st, &out->state);
}

uint32_t dn_engine_rule_count(const dn_engine *e)
{
    return e->rule_count;
}

int dn_engine_rule_stats_get(const dn_engine *e, uint32_t i, dn_engine_rule_stats *out)
{
    if (i >= e->rule_count)
        return DN_EINVAL;
    out->id = e->rules[i].id;
    out->is_shadow = e->rules[i].is_shadow;
    out->hits = e->rule_hits[i];
    return 0;
}

uint32_t dn_engine_typology_count(const dn_engine *e)
{
    return e->typ_count;
}

int dn_engine_typology_stats_get(const dn_engine *e, uint32_t i, dn_engine_typology_stats *out)
{
    if (i >= e->typ_count)
        return DN_EINVAL;
    out->name = e->typs[i].name;
    out->alerts = e->typ_alerts[i];
    out->updates = e->typ_updates[i];
    return 0;
}
