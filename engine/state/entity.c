/*
 * entity.c - the entity table of one shard: creation, lookup, LRU order and eviction, stats.
 *
 * Entities live in an open-addressing table of (hash, entity) slots keyed by
 * dn__hash_combine(kind, dn__hash64(id)); the table doubles past a load of 1/2. LRU order is
 * kept by a per-touch stamp (see the eviction section below). When a touch would create
 * an entity beyond cfg.max_entities, the least recently used entity is evicted whole (counted),
 * unless it was touched for the current event (touch_seq == event_seq): then the table stays
 * over the cap for this event only (at most the 4 role entities of one event).
 *
 * Bytes are accounted in stats.bytes for every allocation the state makes: the pool's regions
 * (entities, fact and id arrays, counterparty sets and hit notes live there, see pool.c) and
 * blocks too big for it, the distinct sets, hit logs, the slot array, the eviction batch and
 * scratch, as requested sizes, without malloc's own overhead.
 */
#include "state/state_int.h"

#include "common/hash.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of an entity's accumulator sums and counts. */
static size_t sums_counts_bytes(const dn__kind_layout *k)
{
    return k->sum_n * sizeof(int64_t) + (k->acc_count - k->cnt_from) * sizeof(uint32_t);
}

/* An entity's block after its header, without the id: sums, counts, window starts. */
static size_t acc_bytes_of(const dn__kind_layout *k)
{
    return sums_counts_bytes(k) + k->win_count * sizeof(dn__win);
}

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
    for (int c = 0; c < DN__COL_COUNT_; c++)
        if (k->col_off[c] >= 0)
            k->col_which[k->col_n++] = (uint8_t)c;
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
    /* What each accumulator keeps: 1 a sum, 2 a count (avg reads both). */
    uint32_t na = k->acc_count ? k->acc_count : 1;
    unsigned char *keeps = calloc(na, 1);
    if (!keeps)
        goto fail;
    for (uint32_t s = 0; s < plan->agg_count; s++) {
        if (k->slot_acc[s] < 0)
            continue;
        dn__agg_kind ak = plan->aggs[s].kind;
        keeps[k->slot_acc[s]] |= (ak != DN__AGG_COUNT ? 1u : 0u) | (ak != DN__AGG_SUM ? 2u : 0u);
    }
    /* Order: sums only, both, counts only (so sums and counts are each one range), and by window
     * within each, windows numbered in order of first use. */
    k->wins = malloc(na * sizeof(*k->wins));
    k->acc_win = malloc(na * sizeof(*k->acc_win));
    uint32_t *perm = malloc(na * sizeof(*perm));
    uint32_t *group = malloc(na * sizeof(*group));
    dn__acc_spec *sorted = malloc(na * sizeof(*sorted));
    if (!k->wins || !k->acc_win || !perm || !group || !sorted) {
        free(keeps);
        free(perm);
        free(group);
        free(sorted);
        goto fail;
    }
    for (uint32_t i = 0; i < k->acc_count; i++) {
        uint32_t g = 0;
        while (g < k->win_count && k->wins[g].window_ms != k->accs[i].window_ms)
            g++;
        if (g == k->win_count)
            k->wins[k->win_count++] = (dn__win_spec){k->accs[i].window_ms};
        group[i] = g;
    }
    static const unsigned char class_keeps[3] = {1, 3, 2};
    uint32_t n = 0;
    for (int c = 0; c < 3; c++) {
        if (c == 1)
            k->cnt_from = n;
        for (uint32_t g = 0; g < k->win_count; g++)
            for (uint32_t i = 0; i < k->acc_count; i++) {
                if (group[i] != g || keeps[i] != class_keeps[c])
                    continue;
                perm[i] = n;
                k->acc_win[n] = g;
                sorted[n++] = k->accs[i];
            }
        if (c == 1)
            k->sum_n = n;
    }
    memcpy(k->accs, sorted, k->acc_count * sizeof(*sorted));
    for (uint32_t s = 0; s < plan->agg_count; s++)
        if (k->slot_acc[s] >= 0)
            k->slot_acc[s] = (int32_t)perm[k->slot_acc[s]];
    free(keeps);
    free(perm);
    free(group);
    free(sorted);
    rc = DN_EINVAL;
    if (sums_counts_bytes(k) > UINT16_MAX)
        goto fail; /* dn__entity.wins_off */
    rc = DN_ENOMEM;
    /* the accumulator sets of observe() (see dn__kind_layout) */
    uint32_t nw = k->acc_words = (k->acc_count + 63) / 64;
    bool has_filter_col = k->col_off[DN__COL_FILTER] >= 0; /* without it no fact has a filter */
    uint64_t filters = 0;
    for (uint32_t i = 0; i < k->acc_count; i++)
        if (k->accs[i].filter >= 0 && has_filter_col)
            filters |= 1ull << k->accs[i].filter;
    for (uint32_t j = 0; j < 8; j++)
        if ((filters >> (8 * j)) & 0xffu)
            k->acc_fpos[k->acc_fbytes++] = (uint8_t)j;
    if (nw) {
        k->acc_dir = calloc(8 * nw, sizeof(uint64_t));
        k->acc_nofilt = calloc(nw, sizeof(uint64_t));
        k->acc_fbyte =
            calloc((size_t)(k->acc_fbytes ? k->acc_fbytes : 1) * 256 * nw, sizeof(uint64_t));
        k->win_bits = calloc((size_t)k->win_count * nw, sizeof(uint64_t));
        k->sum_bits = calloc(nw, sizeof(uint64_t));
        k->cnt_bits = calloc(nw, sizeof(uint64_t));
        if (!k->acc_dir || !k->acc_nofilt || !k->acc_fbyte || !k->win_bits || !k->sum_bits ||
            !k->cnt_bits)
            goto fail;
    }
    for (uint32_t i = 0; i < k->acc_count; i++) {
        const dn__acc_spec *a = &k->accs[i];
        uint32_t w = i / 64;
        uint64_t bit = 1ull << (i % 64);
        for (unsigned flags = 0; flags < 8; flags++)
            if ((flags & 3u & (unsigned)a->dir) &&
                (!a->amount_only || (flags & DN__FACT_HAS_AMOUNT)))
                k->acc_dir[flags * nw + w] |= bit;
        if (a->filter < 0) {
            k->acc_nofilt[w] |= bit;
        } else if (has_filter_col) {
            for (uint32_t j = 0; j < k->acc_fbytes; j++) {
                if ((uint32_t)a->filter / 8 != k->acc_fpos[j])
                    continue;
                for (uint32_t v = 0; v < 256; v++)
                    if ((v >> (a->filter % 8)) & 1u)
                        k->acc_fbyte[((size_t)j * 256 + v) * nw + w] |= bit;
            }
        }
    }
    for (uint32_t i = 0; i < k->acc_count; i++) {
        k->win_bits[(size_t)k->acc_win[i] * nw + i / 64] |= 1ull << (i % 64);
        if (i < k->sum_n)
            k->sum_bits[i / 64] |= 1ull << (i % 64);
        if (i >= k->cnt_from)
            k->cnt_bits[i / 64] |= 1ull << (i % 64);
    }
    k->slot_info = calloc(plan->agg_count, sizeof(*k->slot_info));
    if (!k->slot_info)
        goto fail;
    for (uint32_t s = 0; s < plan->agg_count; s++) {
        const dn__agg_spec *a = &plan->aggs[s];
        dn__slot_info *si = &k->slot_info[s];
        bool needs_amount = a->kind == DN__AGG_SUM || a->kind == DN__AGG_AVG ||
                            a->kind == DN__AGG_MAX || a->kind == DN__AGG_MIN ||
                            a->kind == DN__AGG_PAIR_SUM || a->kind == DN__AGG_PAIR_MAX;
        for (unsigned flags = 0; flags < 8; flags++)
            if ((flags & 3u & (unsigned)a->dir) && (!needs_amount || (flags & DN__FACT_HAS_AMOUNT)))
                si->flags_ok |= (uint8_t)(1u << flags);
        si->filter_off = -1;
        if (a->filter >= 0 && !has_filter_col)
            si->flags_ok = 0; /* no fact has the filter bit */
        else if (a->filter >= 0)
            si->filter_off = k->col_off[DN__COL_FILTER];
        si->filter = a->filter >= 0 ? (uint32_t)a->filter : 0;
        si->is_pair = a->kind >= DN__AGG_PAIR_COUNT;
        si->is_distinct = a->kind == DN__AGG_DISTINCT;
        int col = -1;
        switch (a->field) {
        case DN__FIELD_COUNTERPARTY:
        case DN__FIELD_ACCOUNT:
            si->value = 1;
            break;
        case DN__FIELD_COUNTRY:
            si->value = 2;
            break;
        case DN__FIELD_DEVICE:
            col = DN__COL_DEVICE;
            break;
        case DN__FIELD_IP:
            col = DN__COL_IP;
            break;
        case DN__FIELD_IP_COUNTRY:
            col = DN__COL_IPC;
            break;
        case DN__FIELD_CHANNEL:
            col = DN__COL_CHANNEL;
            break;
        default:
            break;
        }
        if (col >= 0 && k->col_off[col] >= 0) {
            si->value = 3;
            si->value_off = k->col_off[col];
        }
    }
    bool is_packable = has_filter_col && nw == 1 && plan->filter_count + k->acc_count <= 64;
    for (uint32_t s = 0; s < plan->agg_count; s++)
        if (plan->aggs[s].filter >= (int32_t)plan->filter_count)
            is_packable = false; /* it reads a bit the accumulator set would take */
    k->acc_shift = is_packable ? plan->filter_count : 0;
    k->ent_bytes = (uint32_t)(sizeof(dn__entity) + acc_bytes_of(k));
    for (uint32_t s = 0; s < plan->agg_count; s++)
        if (plan->aggs[s].kind == DN__AGG_DISTINCT)
            k->dist_count++;
    k->dist_slots = malloc((k->dist_count ? k->dist_count : 1) * sizeof(*k->dist_slots));
    if (!k->dist_slots)
        goto fail;
    k->dist_count = 0;
    for (uint32_t s = 0; s < plan->agg_count; s++)
        if (plan->aggs[s].kind == DN__AGG_DISTINCT)
            k->dist_slots[k->dist_count++] = s;
    return 0;
fail:
    free(k->slot_acc);
    free(k->accs);
    free(k->wins);
    free(k->acc_win);
    free(k->acc_dir);
    free(k->acc_nofilt);
    free(k->acc_fbyte);
    free(k->win_bits);
    free(k->sum_bits);
    free(k->cnt_bits);
    free(k->dist_slots);
    free(k->slot_info);
    k->slot_info = NULL;
    k->sum_bits = k->cnt_bits = NULL;
    k->slot_acc = NULL;
    k->accs = NULL;
    k->wins = NULL;
    k->acc_win = NULL;
    k->acc_dir = k->acc_nofilt = k->acc_fbyte = k->win_bits = NULL;
    k->dist_slots = NULL;
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
    st->slot_count = 2048;
    st->slots = calloc(st->slot_count, sizeof(*st->slots));
    /* distinct() scratch: twice the most facts an entity can hold, a power of two. */
    st->scratch_cap = 16;
    while (st->scratch_cap < 2 * cfg->max_facts_per_entity)
        st->scratch_cap *= 2;
    st->scratch = malloc(st->scratch_cap * sizeof(*st->scratch));
    uint32_t words = 1;
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        if (st->kinds[k].acc_words > words)
            words = st->kinds[k].acc_words;
    st->acc_mask = calloc(words, sizeof(*st->acc_mask));
    if (!st->slots || !st->scratch || !st->acc_mask)
        goto fail;
    st->stats.bytes = st->slot_count * sizeof(*st->slots);
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
    dn__pool_free(st, e, (uint32_t)(sizeof(*e) + acc_bytes_of(&st->kinds[e->kind]) + e->id_len));
}

void dn__state_free(dn__state *st)
{
    if (!st)
        return;
    for (uint64_t i = 0; st->slots && i < st->slot_count; i++)
        if (st->slots[i].e)
            entity_destroy(st, st->slots[i].e);
    dn__pool_destroy(st);
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        free(st->kinds[k].accs);
        free(st->kinds[k].slot_acc);
        free(st->kinds[k].wins);
        free(st->kinds[k].acc_win);
        free(st->kinds[k].acc_dir);
        free(st->kinds[k].acc_nofilt);
        free(st->kinds[k].acc_fbyte);
        free(st->kinds[k].win_bits);
        free(st->kinds[k].sum_bits);
        free(st->kinds[k].cnt_bits);
        free(st->kinds[k].dist_slots);
        free(st->kinds[k].slot_info);
    }
    free(st->acc_mask);
    free(st->slots);
    free(st->victims);
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

/* Removes e's slot; later members of its probe run shift back (no tombstones). */
static void table_remove(dn__state *st, dn__entity *e)
{
    uint64_t mask = st->slot_count - 1, i = e->h & mask;
    while (st->slots[i].e != e)
        i = (i + 1) & mask;
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!st->slots[j].e)
            break;
        uint64_t home = st->slots[j].h & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            st->slots[i] = st->slots[j];
            i = j;
        }
    }
    st->slots[i].e = NULL;
    st->slots[i].h = 0;
}

static void table_put(dn__slot *slots, uint64_t mask, uint64_t h, dn__entity *e)
{
    uint64_t i = h & mask;
    while (slots[i].e)
        i = (i + 1) & mask;
    slots[i].h = h;
    slots[i].e = e;
}

static void table_grow(dn__state *st)
{
    uint64_t n = st->slot_count * 2;
    dn__slot *ns = calloc(n, sizeof(*ns));
    if (!ns)
        return; /* a fuller table, still correct while it has an empty slot */
    for (uint64_t i = 0; i < st->slot_count; i++)
        if (st->slots[i].e)
            table_put(ns, n - 1, st->slots[i].h, st->slots[i].e);
    free(st->slots);
    st->stats.bytes += (n - st->slot_count) * sizeof(*ns);
    st->slots = ns;
    st->slot_count = n;
}

/* ---- LRU eviction ----
 *
 * A touch stamps the entity with the next lru_clock value, so the least recently used entity is
 * the one with the smallest stamp. When eviction is needed, one pass over the table collects the
 * entities sorted by stamp and keeps the oldest eighth as a batch of (entity, stamp at
 * collection). Every entity outside the batch had a larger stamp then, and stamps only grow, so
 * the first batch member whose stamp is unchanged (not touched since) is the least recently used
 * entity of the whole table; members touched since are skipped. Only eviction frees entities,
 * and it frees batch members as it passes them, so the batch never points at freed memory. The
 * cost is O(n log n) per n/8 evictions; a touch writes nothing outside its entity. */
typedef struct dn__victim {
    dn__entity *e;
    uint64_t stamp;
} victim;

static int cmp_victim(const void *a, const void *b)
{
    uint64_t x = ((const victim *)a)->stamp, y = ((const victim *)b)->stamp;
    return x < y ? -1 : x > y;
}

static bool victims_collect(dn__state *st)
{
    uint64_t n = st->stats.entities;
    victim *v = st->victims;
    if (n > st->victim_cap) {
        v = realloc(st->victims, n * sizeof(*v));
        if (!v)
            return false;
        st->stats.bytes += (n - st->victim_cap) * sizeof(*v);
        st->victims = v;
        st->victim_cap = n;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < st->slot_count && k < n; i++)
        if (st->slots[i].e)
            v[k++] = (victim){st->slots[i].e, st->slots[i].e->lru_stamp};
    qsort(v, k, sizeof(*v), cmp_victim);
    st->victim_pos = 0;
    st->victim_count = k / 8 ? k / 8 : k;
    return true;
}

/* The least recently used entity, or NULL when there is none (or no memory to find it). */
static dn__entity *victim_next(dn__state *st)
{
    for (int round = 0; round < 2; round++) {
        victim *v = st->victims;
        while (st->victim_pos < st->victim_count) {
            victim *c = &v[st->victim_pos];
            if (c->e->lru_stamp == c->stamp)
                return c->e;
            st->victim_pos++; /* touched since it was collected */
        }
        if (round == 0 && !victims_collect(st))
            return NULL;
    }
    return NULL;
}

static void evict_if_full(dn__state *st)
{
    while (st->stats.entities >= st->cfg.max_entities) {
        dn__entity *victim = victim_next(st);
        if (!victim || victim->touch_seq == st->event_seq)
            break; /* every entity was touched for this event: over the cap for now */
        st->victim_pos++;
        table_remove(st, victim);
        st->stats.facts -= victim->end - victim->first;
        entity_destroy(st, victim);
        st->stats.entities--;
        st->stats.evicted_entities++;
    }
}

uint64_t dn__state_entity_hash(dn__entity_kind kind, dn_str id)
{
    return entity_hash(kind, id);
}

uint64_t dn__state_entity_hash_of(dn__entity_kind kind, uint64_t id_h)
{
    return dn__hash_combine((uint64_t)kind + 1, id_h);
}

void dn__state_prefetch_slot(const dn__state *st, uint64_t h)
{
    __builtin_prefetch(&st->slots[h & (st->slot_count - 1)]);
}

/* The entity stored under hash h, without comparing ids (a hint may pick a colliding one). */
static const dn__entity *slot_entity(const dn__state *st, uint64_t h)
{
    uint64_t mask = st->slot_count - 1;
    for (uint64_t i = h & mask; st->slots[i].e; i = (i + 1) & mask)
        if (st->slots[i].h == h)
            return st->slots[i].e;
    return NULL;
}

void dn__state_prefetch_entity(const dn__state *st, dn__entity_kind kind, uint64_t h)
{
    const dn__entity *e = slot_entity(st, h);
    if (!e)
        return;
    /* the size from the kind, not from the entity: reading it would wait for the first line */
    const char *p = (const char *)e;
    size_t size = st->kinds[kind].ent_bytes + DN_ID_MAX_LEN / 2;
    for (size_t off = 0; off < size; off += 64)
        __builtin_prefetch(p + off);
    __builtin_prefetch(p + size - 1); /* the last line, when the entity does not start one */
}

void dn__state_prefetch_facts(const dn__state *st, uint64_t h, uint64_t cp_h)
{
    const dn__entity *e = slot_entity(st, h);
    if (!e)
        return;
    if (e->facts && e->first != e->end) {
        /* A fact can straddle two lines (a stride of 40 does on three of every eight): each range
         * is asked for by its first and its last byte. */
        uint32_t stride = st->kinds[e->kind].stride;
        const char *lo = (const char *)dn__fact_at(st, e, e->first);
        const char *newest = (const char *)dn__fact_at(st, e, e->end - 1);
        /* the newest fact, and where the next one goes when the block has room for it */
        const char *hi = newest + (e->end - e->base < e->cap ? 2 * stride : stride) - 1;
        if (hi - lo <= 4 * 64) {
            /* a few lines hold every fact: all of them, not the tails one by one */
            for (const char *p = lo; p <= hi; p += 64)
                __builtin_prefetch(p);
            __builtin_prefetch(hi);
        } else {
            __builtin_prefetch(lo);
            for (const char *p = newest; p <= hi; p += 64)
                __builtin_prefetch(p);
            __builtin_prefetch(hi);
            /* one tail per window group (they share it): the fact, and the time of the one after
             * it, which a window that moves reads next (two lines at most while the stride is
             * under 57 bytes, as on the shipped packs) */
            const dn__win *w = dn__entity_wins(e);
            for (uint32_t i = 0; i < e->win_n; i++) {
                if (w[i].tail != e->end) {
                    const char *t = (const char *)dn__fact_at(st, e, w[i].tail);
                    __builtin_prefetch(t);
                    __builtin_prefetch(t + stride + sizeof(int64_t) - 1);
                }
            }
        }
    }
    if (e->ids)
        __builtin_prefetch(e->ids + (e->ids_tail - e->ids_base));
    if (e->cps)
        dn__state_prefetch_cps(e, cp_h);
    if (e->hl)
        __builtin_prefetch(e->hl);
    if (e->dsets)
        dn__state_prefetch_dsets(st, e, cp_h);
}

static inline uint64_t word_at(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* Ids of 8 to 32 bytes (IBANs, UUIDs without dashes) as overlapping words, without a call. */
static inline bool id_equal(const char *a, const char *b, uint32_t len)
{
    if (len < 8) {
        for (uint32_t i = 0; i < len; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }
    if (len <= 16)
        return ((word_at(a) ^ word_at(b)) | (word_at(a + len - 8) ^ word_at(b + len - 8))) == 0;
    if (len <= 32)
        return ((word_at(a) ^ word_at(b)) | (word_at(a + 8) ^ word_at(b + 8)) |
                (word_at(a + len - 16) ^ word_at(b + len - 16)) |
                (word_at(a + len - 8) ^ word_at(b + len - 8))) == 0;
    return memcmp(a, b, len) == 0;
}

int dn__state_touch(dn__state *st, dn__entity_kind kind, dn_str id, dn__entity **out)
{
    return dn__state_touch_h(st, kind, id, dn__hash64(id.ptr ? id.ptr : "", id.len), out);
}

int dn__state_touch_h(dn__state *st, dn__entity_kind kind, dn_str id, uint64_t id_h,
                      dn__entity **out)
{
    return dn__state_touch_eh(st, kind, id, dn__state_entity_hash_of(kind, id_h), out);
}

int dn__state_touch_eh(dn__state *st, dn__entity_kind kind, dn_str id, uint64_t h, dn__entity **out)
{
    int rc = DN_EINVAL;
    *out = NULL;
    if ((unsigned)kind >= DN__ENT_KIND_COUNT || id.len > UINT16_MAX || (id.len && !id.ptr))
        goto fail;
    uint64_t mask = st->slot_count - 1;
    dn__entity *e = NULL;
    for (uint64_t i = h & mask; st->slots[i].e; i = (i + 1) & mask) {
        dn__entity *c = st->slots[i].e;
        if (st->slots[i].h == h && c->kind == kind && c->id_len == id.len &&
            (id.len == 0 || id_equal(dn__entity_id_ptr(st, c), id.ptr, id.len))) {
            e = c;
            break;
        }
    }
    if (e) {
        e->lru_stamp = ++st->lru_clock;
        e->touch_seq = st->event_seq;
        *out = e;
        return 0;
    }
    evict_if_full(st);
    rc = DN_ENOMEM;
    size_t acc_bytes = acc_bytes_of(&st->kinds[kind]);
    size_t size = sizeof(*e) + acc_bytes + id.len;
    e = dn__pool_alloc(st, (uint32_t)size);
    if (!e)
        goto fail;
    memset(e, 0, size);
    e->h = h;
    e->kind = (uint8_t)kind;
    e->id_len = (uint16_t)id.len;
    e->wins_off = (uint16_t)sums_counts_bytes(&st->kinds[kind]);
    e->win_n = (uint16_t)st->kinds[kind].win_count;
    e->touch_seq = st->event_seq;
    e->lru_stamp = ++st->lru_clock;
    e->newest_ts = INT64_MIN;
    e->first_seen = INT64_MIN;
    for (int d = 0; d < 3; d++)
        e->last_ms[d] = INT64_MIN;
    if (id.len)
        memcpy(e->body + acc_bytes, id.ptr, id.len);
    table_put(st->slots, st->slot_count - 1, h, e);
    st->stats.entities++;
    st->stats.entities_created++;
    if (st->stats.entities * 2 > st->slot_count)
        table_grow(st);
    *out = e;
    return 0;
fail:
    return rc;
}

dn_str dn__entity_id(const dn__entity *e)
{
    return (dn_str){(const char *)(dn__entity_wins(e) + e->win_n), e->id_len};
}

dn__entity_kind dn__entity_kind_of(const dn__entity *e)
{
    return (dn__entity_kind)e->kind;
}

bool dn__state_keeps_field(const dn__state *st, dn__fact_field field)
{
    int col = field == DN__FIELD_DEVICE       ? DN__COL_DEVICE
              : field == DN__FIELD_IP         ? DN__COL_IP
              : field == DN__FIELD_CHANNEL    ? DN__COL_CHANNEL
              : field == DN__FIELD_IP_COUNTRY ? DN__COL_IPC
                                              : -1;
    if (col < 0)
        return true; /* always kept, or derived from the core */
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        if (st->kinds[k].col_off[col] >= 0)
            return true;
    return false;
}

void dn__state_stats(const dn__state *st, dn_state_stats *out)
{
    *out = st->stats;
}
