/*
 * entity.c - the entity table of one shard: creation, lookup, LRU order and eviction, stats.
 *
 * Entities live in a chained hash table (the chain link is inside the entity) keyed by
 * dn__hash_combine(kind, dn__hash64(id)); the table doubles when entities == buckets. Every
 * entity is also on the LRU list, most recently touched at the head. When a touch would create
 * an entity beyond cfg.max_entities, the least recently used entity is evicted whole (counted),
 * unless it was touched for the current event (touch_seq == event_seq): then the table stays
 * over the cap for this event only (at most the 4 role entities of one event).
 *
 * Bytes are accounted in stats.bytes for every allocation the state makes (entity blocks,
 * fact and id arrays, sets, hit notes, the bucket array and scratch), as requested sizes, without
 * malloc's own overhead.
 */
#include "state/state_int.h"

#include "common/hash.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

static int layout_init(dn__kind_layout *k, const dn__state_plan *plan)
{
    int rc = DN_ENOMEM;
    memset(k, 0, sizeof(*k));
    k->plan = plan;
    for (int c = 0; c < DN__COL_COUNT_; c++)
        k->col_off[c] = -1;
    uint32_t off = sizeof(dn__fact_core);
    if (plan->filter_count > 0) {
        k->col_off[DN__COL_FILTER] = (int16_t)off;
        off += 8;
    }
    static const struct {
        dn__fact_field field;
        int col;
    } field_cols[] = {{DN__FIELD_DEVICE, DN__COL_DEVICE},
                      {DN__FIELD_IP, DN__COL_IP},
                      {DN__FIELD_CHANNEL, DN__COL_CHANNEL},
                      {DN__FIELD_IP_COUNTRY, DN__COL_IPC}};
    for (size_t i = 0; i < sizeof(field_cols) / sizeof(field_cols[0]); i++) {
        for (uint32_t s = 0; s < plan->agg_count; s++) {
            if (plan->aggs[s].kind == DN__AGG_DISTINCT &&
                plan->aggs[s].field == field_cols[i].field) {
                k->col_off[field_cols[i].col] = (int16_t)off;
                off += 8;
                break;
            }
        }
    }
    k->stride = off;
    if (plan->agg_count == 0)
        return 0;
    if (plan->agg_count > UINT16_MAX)
        return DN_EINVAL;
    k->slot_acc = malloc(plan->agg_count * sizeof(*k->slot_acc));
    k->accs = malloc(plan->agg_count * sizeof(*k->accs));
    if (!k->slot_acc || !k->accs)
        goto fail;
    for (uint32_t s = 0; s < plan->agg_count; s++) {
        const dn__agg_spec *a = &plan->aggs[s];
        k->slot_acc[s] = -1;
        if (a->kind == DN__AGG_DISTINCT)
            k->has_distinct = true;
        if (a->kind != DN__AGG_COUNT && a->kind != DN__AGG_SUM && a->kind != DN__AGG_AVG)
            continue;
        dn__acc_spec want = {a->dir, a->filter, a->window_ms, a->kind == DN__AGG_AVG};
        uint32_t i = 0;
        while (i < k->acc_count &&
               !(k->accs[i].dir == want.dir && k->accs[i].filter == want.filter &&
                 k->accs[i].window_ms == want.window_ms &&
                 k->accs[i].amount_only == want.amount_only))
            i++;
        if (i == k->acc_count)
            k->accs[k->acc_count++] = want;
        k->slot_acc[s] = (int32_t)i;
    }
    return 0;
fail:
    free(k->slot_acc);
    free(k->accs);
    k->slot_acc = NULL;
    k->accs = NULL;
    return rc;
}

static bool plan_valid(const dn__state_plan *p)
{
    if (p->agg_count > 0 && !p->aggs)
        return false;
    if (p->filter_count > 64 || p->retention_ms < 0 || p->counterparty_memory_ms < 0)
        return false;
    for (uint32_t s = 0; s < p->agg_count; s++) {
        const dn__agg_spec *a = &p->aggs[s];
        if (a->window_ms <= 0 || a->filter >= 64 || a->filter < -1 || a->dir < DN__DIR_IN ||
            a->dir > DN__DIR_ANY || (uint32_t)a->kind > DN__AGG_PAIR_MAX ||
            (a->kind == DN__AGG_DISTINCT && (uint32_t)a->field >= DN__FIELD_COUNT_))
            return false;
    }
    return true;
}

int dn__state_new(const dn_state_config *cfg, const dn__state_plan plans[DN__ENT_KIND_COUNT],
                  dn__state **out)
{
    int rc = DN_EINVAL;
    dn__state *st = NULL;
    *out = NULL;
    if (!cfg || !plans || cfg->max_entities == 0 || cfg->max_facts_per_entity == 0 ||
        cfg->max_facts_per_entity > (1u << 30))
        goto fail;
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        if (!plan_valid(&plans[k]))
            goto fail;
    rc = DN_ENOMEM;
    st = calloc(1, sizeof(*st));
    if (!st)
        goto fail;
    st->cfg = *cfg;
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        if ((rc = layout_init(&st->kinds[k], &plans[k])) != 0)
            goto fail;
    rc = DN_ENOMEM;
    st->bucket_count = 1024;
    st->buckets = calloc(st->bucket_count, sizeof(*st->buckets));
    /* distinct() scratch: twice the most facts an entity can hold, a power of two. */
    st->scratch_cap = 16;
    while (st->scratch_cap < 2 * cfg->max_facts_per_entity)
        st->scratch_cap *= 2;
    st->scratch = malloc(st->scratch_cap * sizeof(*st->scratch));
    if (!st->buckets || !st->scratch)
        goto fail;
    st->stats.bytes = st->bucket_count * sizeof(*st->buckets);
    *out = st;
    return 0;
fail:
    dn__state_free(st);
    return rc;
}

static void entity_destroy(dn__state *st, dn__entity *e)
{
    dn__state_facts_free(st, e);
    dn__state_cps_free(st, e);
    dn__state_hits_free(st, e);
    if (e->typ) {
        st->stats.bytes -= st->kinds[e->kind].plan->typology_count * sizeof(*e->typ);
        free(e->typ);
    }
    st->stats.bytes -=
        sizeof(*e) + st->kinds[e->kind].acc_count * sizeof(dn__acc) + (size_t)e->id_len;
    free(e);
}

void dn__state_free(dn__state *st)
{
    if (!st)
        return;
    dn__entity *e = st->lru_head;
    while (e) {
        dn__entity *next = e->lru_next;
        entity_destroy(st, e);
        e = next;
    }
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        free(st->kinds[k].accs);
        free(st->kinds[k].slot_acc);
    }
    free(st->buckets);
    free(st->scratch);
    free(st);
}

void dn__state_event_begin(dn__state *st)
{
    st->event_seq++;
}

static uint64_t entity_hash(dn__entity_kind kind, dn_str id)
{
    return dn__hash_combine((uint64_t)kind + 1, dn__hash64(id.ptr ? id.ptr : "", id.len));
}

static void lru_unlink(dn__state *st, dn__entity *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        st->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        st->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(dn__state *st, dn__entity *e)
{
    e->lru_prev = NULL;
    e->lru_next = st->lru_head;
    if (st->lru_head)
        st->lru_head->lru_prev = e;
    st->lru_head = e;
    if (!st->lru_tail)
        st->lru_tail = e;
}

static void table_remove(dn__state *st, dn__entity *e)
{
    dn__entity **pp = &st->buckets[e->h & (st->bucket_count - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
}

static void table_grow(dn__state *st)
{
    uint64_t n = st->bucket_count * 2;
    dn__entity **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return; /* longer chains, still correct */
    for (uint64_t i = 0; i < st->bucket_count; i++) {
        dn__entity *e = st->buckets[i];
        while (e) {
            dn__entity *next = e->hnext;
            e->hnext = nb[e->h & (n - 1)];
            nb[e->h & (n - 1)] = e;
            e = next;
        }
    }
    free(st->buckets);
    st->stats.bytes += (n - st->bucket_count) * sizeof(*nb);
    st->buckets = nb;
    st->bucket_count = n;
}

static void evict_if_full(dn__state *st)
{
    while (st->stats.entities >= st->cfg.max_entities && st->lru_tail &&
           st->lru_tail->touch_seq != st->event_seq) {
        dn__entity *victim = st->lru_tail;
        lru_unlink(st, victim);
        table_remove(st, victim);
        st->stats.facts -= victim->end - victim->first;
        entity_destroy(st, victim);
        st->stats.entities--;
        st->stats.evicted_entities++;
    }
}

int dn__state_touch(dn__state *st, dn__entity_kind kind, dn_str id, dn__entity **out)
{
    int rc = DN_EINVAL;
    *out = NULL;
    if ((unsigned)kind >= DN__ENT_KIND_COUNT || id.len > UINT16_MAX || (id.len && !id.ptr))
        goto fail;
    uint64_t h = entity_hash(kind, id);
    dn__entity *e = st->buckets[h & (st->bucket_count - 1)];
    for (; e; e = e->hnext) {
        if (e->h == h && e->kind == kind && e->id_len == id.len &&
            (id.len == 0 || memcmp(dn__entity_id_ptr(st, e), id.ptr, id.len) == 0))
            break;
    }
    if (e) {
        if (st->lru_head != e) {
            lru_unlink(st, e);
            lru_push_head(st, e);
        }
        e->touch_seq = st->event_seq;
        *out = e;
        return 0;
    }
    evict_if_full(st);
    rc = DN_ENOMEM;
    size_t acc_bytes = st->kinds[kind].acc_count * sizeof(dn__acc);
    size_t size = sizeof(*e) + acc_bytes + id.len;
    e = calloc(1, size);
    if (!e)
        goto fail;
    e->h = h;
    e->kind = (uint8_t)kind;
    e->id_len = (uint16_t)id.len;
    e->acc_n = (uint16_t)st->kinds[kind].acc_count;
    e->touch_seq = st->event_seq;
    e->newest_ts = INT64_MIN;
    e->first_seen = INT64_MIN;
    for (int d = 0; d < 3; d++)
        e->last_ms[d] = INT64_MIN;
    if (id.len)
        memcpy((char *)e->accs + acc_bytes, id.ptr, id.len);
    e->hnext = st->buckets[h & (st->bucket_count - 1)];
    st->buckets[h & (st->bucket_count - 1)] = e;
    lru_push_head(st, e);
    st->stats.entities++;
    st->stats.entities_created++;
    st->stats.bytes += size;
    if (st->stats.entities > st->bucket_count)
        table_grow(st);
    *out = e;
    return 0;
fail:
    return rc;
}

dn_str dn__entity_id(const dn__entity *e)
{
    return (dn_str){(const char *)(e->accs + e->acc_n), e->id_len};
}

dn__entity_kind dn__entity_kind_of(const dn__entity *e)
{
    return (dn__entity_kind)e->kind;
}

void dn__state_stats(const dn__state *st, dn_state_stats *out)
{
    *out = st->stats;
}
