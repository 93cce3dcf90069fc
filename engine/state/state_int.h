/*
 * state_int.h - the private layout of the state store, shared by the files of engine/state only.
 *
 * Layout of one shard's state (dn__state):
 *   - an open-addressing hash table (linear probing) of (hash, entity) pairs keyed by (kind, id)
 *     with dn__hash64: a lookup compares stored hashes without touching other entities; the
 *     table doubles past a load of 1/2;
 *   - LRU order by a stamp: every touch gives the entity the next value of a counter, so the
 *     least recently used entity is the one with the smallest stamp. Eviction takes entities
 *     from a batch of the oldest stamps collected by one pass over the table (see entity.c);
 *     a touch writes nothing outside the entity it touches;
 *   - per entity kind a fact layout (kind_layout) derived from the plan: the 32-byte core every
 *     fact has, plus an 8-byte word for each optional column the plan reads (where-filter bits,
 *     device, ip, channel, ip_country hashes), so state holds only what the rules read; the
 *     filter word's spare high bits carry the fact's accumulator set when it fits (acc_shift);
 *   - per entity kind the accumulators: the unique (dir, filter, window, amount-only) tuples of
 *     the plan's count/sum/avg slots; slots map onto them, so count(in, 24h) and sum(in, 24h)
 *     share one running (count, sum). An accumulator keeps only what its slots read: a running
 *     sum (8 bytes), a running count (4), or both (avg, or a count and a sum of one tuple); they
 *     are ordered sums only, both, counts only, so the sums are accs [0, sum_n) and the counts
 *     accs [cnt_from, acc_count), each an array without gaps. The accumulators of one window
 *     length form a group that shares one running window start (dn__win: tail, tail_ts);
 *   - scratch for distinct() (an open-addressing set cleared per query) owned by the state.
 *
 * One entity (dn__entity) is a single block of the pool (pool.c): header, the accumulators' sums
 * (int64) and counts (uint32), window starts, then the id bytes.
 * Beside it, allocated lazily:
 *   facts  the facts, oldest first, in an array addressed by ABSOLUTE uint32 indices [first, end):
 *          array position = abs - base (differences are taken modulo 2^32). When the array's end
 *          is reached, the live facts are moved to its front (base = first) if that frees at
 *          least an eighth of it, else it grows by half (a new block: the live facts move to
 *          its front) and takes whatever more its pool block holds. Capacities are not powers
 *          of two, so an account of 10 facts holds some 13 slots, not 16;
 *   ids    the facts' event ids, back to back, in a byte array addressed the same way by
 *          absolute offsets [ids_head, ids_tail) with ids_base at position 0. It is the tail
 *          of the facts' block (ids = facts + cap * stride; NULL while ids_cap is 0), sized
 *          with the facts for ids of their mean length, so one new block usually serves both;
 *   cps    the new_counterparty memory: open-addressing set of (counterparty hash, last ts);
 *   hl     the hit log (dn__hitlog, one block): the newest hit of each rule (last), then the
 *          hits (rule, ts, score, optional note), oldest first, each linked to the previous hit
 *          of its rule, so hit queries read the hits of the rules they ask about, not the whole
 *          log; and the per-typology alerting state. Out of the entity because most entities
 *          never hit a rule, and every event reads its entities' headers: a smaller header is
 *          fewer cache lines to wait for.
 *
 * Invariants:
 *   - facts are in non-decreasing ts order (a late fact takes the entity's newest ts);
 *   - base <= first <= end <= base + cap (modulo 2^32);
 *   - every window group's tail is in [first, end] and each of its accumulators' count/sum are
 *     exactly those of the matching facts in [tail, end); facts before tail are out of the
 *     window as of newest_ts; observe() walks each window's leaving facts once for the group;
 *   - the ids of facts [first, end) lie in order in [ids_head, ids_tail): ids_head is the
 *     oldest fact's id_off, ids_base <= ids_head <= ids_tail <= ids_base + ids_cap.
 *
 * Ownership: the state owns every entity and everything hanging off it; dn__state_free releases
 * them all. Plans are borrowed from the rule set.
 */
#ifndef DN_STATE_STATE_INT_H
#define DN_STATE_STATE_INT_H

#include "state/state.h"

#include <stddef.h>
#include <stdint.h>

/* The fixed part of every fact. The optional 8-byte columns follow it (see kind_layout). */
typedef struct dn__fact_core {
    int64_t ts;
    int64_t amount;   /* base minor units; 0 when the event had none */
    uint64_t cp_h;    /* counterparty hash, 0 when absent */
    uint32_t id_off;  /* absolute offset of the event id in the entity's id array */
    uint8_t id_len;   /* <= DN_ID_MAX_LEN (longer ids are cut) */
    uint8_t flags;    /* bits 0-1: dn__dir; bit 2: has_amount */
    uint16_t country; /* the counterparty's country, packed */
} dn__fact_core;

#define DN__FACT_HAS_AMOUNT 4u

enum { DN__COL_FILTER, DN__COL_DEVICE, DN__COL_IP, DN__COL_CHANNEL, DN__COL_IPC, DN__COL_COUNT_ };

/* One running window aggregate, shared by the plan slots that map to it. */
typedef struct dn__acc_spec {
    dn__dir dir;
    int32_t filter;
    int64_t window_ms;
    bool amount_only; /* count only facts that carry an amount (avg) */
} dn__acc_spec;

/* The running window of one window length, shared by the accumulators of that window (a group,
 * the bits win_bits[g] of accs): they always start at the same fact. */
typedef struct __attribute__((packed, aligned(4))) dn__win {
    uint32_t tail;   /* absolute index of the oldest fact still in the window */
    int64_t tail_ts; /* ts of the fact at tail when tail != end: whether the window moved is
                        known without touching the facts (a cache miss per window otherwise) */
} dn__win;

typedef struct dn__win_spec {
    int64_t window_ms;
} dn__win_spec;

/* What a scanned slot reads, worked out from its dn__agg_spec once (see slot_match, facts.c). */
typedef struct dn__slot_info {
    uint8_t flags_ok; /* bit (fact flags & 7) set: dir and has_amount let the fact in */
    bool is_pair;     /* only facts with the current event's counterparty */
    bool is_distinct; /* only facts whose value is not 0 */
    uint8_t value;    /* where the value is: 0 none (0), 1 cp_h, 2 country, 3 the column */
    int16_t value_off;
    int16_t filter_off; /* -1: no where-filter */
    uint32_t filter;
} dn__slot_info;

typedef struct dn__kind_layout {
    const dn__state_plan *plan;
    uint32_t stride;                 /* bytes per fact */
    int16_t col_off[DN__COL_COUNT_]; /* byte offset of each optional column, -1 when absent */
    uint8_t col_n;                   /* the columns present, in order: */
    uint8_t col_which[DN__COL_COUNT_];
    uint32_t ent_bytes; /* an entity's block without its id: header, accumulators, windows */
    dn__acc_spec *accs; /* sums only, then both, then counts only; by window within each */
    uint32_t acc_count;
    /* accs [0, sum_n) keep a sum and [cnt_from, acc_count) a count: an entity's accumulator
     * memory holds sum_n int64 sums, then acc_count - cnt_from uint32 counts (facts.c) */
    uint32_t sum_n, cnt_from;
    uint64_t *sum_bits, *cnt_bits; /* [acc_words]: those two ranges as bit sets */
    dn__win_spec *wins;            /* the window groups, in order of first use */
    uint32_t win_count;
    uint32_t *acc_win; /* per accumulator: its window group */
    /* Which accumulators a fact feeds, as bit sets of acc_words 64-bit words (bit i: accs[i]):
     * acc_dir[flags & 7] & (acc_nofilt | the accumulators reading a filter bit the fact has),
     * the latter looked up a byte of filter bits at a time: acc_fbyte[j][b] is the set of those
     * reading a bit set in byte value b at byte position acc_fpos[j]. A fact's set costs a few
     * loads, and each accumulator test becomes a bit test. */
    uint32_t acc_words;
    uint32_t acc_shift;   /* > 0: a fact keeps its accumulator set in its filter word, from this bit
                             up (the plan's filter_count; when one word holds both and no slot
                             reads a filter bit beyond filter_count), for the windows it leaves */
    uint32_t acc_fbytes;  /* filter-bit bytes some accumulator reads (<= 8) */
    uint8_t acc_fpos[8];  /* their byte positions in the filter word */
    uint64_t *acc_dir;    /* [8][acc_words] by fact flags (dir, has_amount) */
    uint64_t *acc_nofilt; /* [acc_words] accumulators without a filter */
    uint64_t *acc_fbyte;  /* [acc_fbytes][256][acc_words] */
    uint64_t *win_bits;   /* [win_count][acc_words]: the accumulators of each window group */
    uint32_t *dist_slots; /* the plan's distinct() slots, dist_count of them */
    uint32_t dist_count;
    int32_t *slot_acc;        /* per plan slot: its accumulator, -1 for scanned slots */
    dn__slot_info *slot_info; /* per plan slot */
    bool has_distinct;        /* the plan has a distinct() slot */
} dn__kind_layout;

typedef struct dn__cp_entry {
    uint64_t h; /* 0: empty */
    int64_t ts;
} dn__cp_entry;

/* Incremental distinct(): for one distinct slot of a busy entity, how many in-window matching
 * facts carry each value. Built once the entity holds more than DN__DSET_MIN_FACTS facts, then
 * kept up to date by observe(). Below that a scan of the window, when a rule asks, costs less
 * than keeping the sets on every fact: on the shipped packs 128 replayed 3 % faster than 48 and
 * than 256. */
#define DN__DSET_MIN_FACTS 128u

typedef struct dn__dset_entry {
    uint64_t v; /* 0: empty */
    uint32_t n; /* matching facts in the window carrying v (> 0 when v != 0) */
} dn__dset_entry;

typedef struct dn__dset {
    uint32_t tail;     /* absolute index of the oldest fact still in the slot's window */
    uint32_t distinct; /* values with n > 0 */
    uint32_t cap;      /* power of two; 0 for slots that are not distinct() */
    uint32_t used;
    dn__dset_entry *tab;
} dn__dset;

typedef struct dn__hit {
    int64_t ts;
    uint32_t rule;
    int32_t score;
    void *note; /* the explanation (engine/score), a pool block, or NULL */
    uint32_t note_len;
    uint32_t prev; /* how many entries back the previous hit of the same rule was; 0: none */
} dn__hit;

/* The hit log of an entity that has had hits (hits.c): one block, [header][last][hits]. */
typedef struct dn__hitlog {
    int64_t oldest_ts;       /* ts of the oldest hit kept, when count > 0 */
    uint64_t abs0;           /* absolute index of the oldest hit kept (hits ever dropped) */
    uint64_t seq;            /* event sequence the trailing seq_count hits belong to */
    dn__typology_state *typ; /* per typology of the plan, NULL until the entity first alerts */
    uint32_t count, cap;     /* hits kept; entries of the block, skip of them before the oldest */
    uint32_t skip;
    uint16_t seq_count;
    uint64_t last[]; /* per plan rule: 1 + absolute index of its newest hit, 0: none; then the
                        cap dn__hit entries (dn__hitlog_entries) */
} dn__hitlog;

struct dn__entity {
    uint64_t h;
    uint64_t lru_stamp; /* st->lru_clock at the last touch: smallest = least recently used */
    uint64_t touch_seq; /* event sequence of the last touch */
    unsigned char *facts;
    char *ids;
    dn__cp_entry *cps;
    dn__hitlog *hl;    /* NULL until the first hit */
    dn__dset *dsets;   /* per plan slot, NULL until the entity gets busy (DN__DSET_MIN_FACTS) */
    int64_t newest_ts; /* ts of the newest fact ever inserted; INT64_MIN when none */
    int64_t first_seen, opened;
    int64_t last_ms[3];             /* by dir - 1: IN, OUT, ANY */
    uint32_t base, first, end, cap; /* fact array */
    uint32_t ids_base, ids_head, ids_tail, ids_cap;
    uint32_t cp_count, cp_cap;
    uint16_t id_len;
    uint16_t wins_off; /* byte offset of the window starts in body */
    uint16_t win_n;    /* the kind's window group count */
    uint8_t kind;
    bool has_opened : 1;
    bool has_facts_ever : 1; /* bit-fields: with them the header is 160 bytes, not 168 */
    /* the kind's sum_n int64 sums, acc_count - cnt_from uint32 counts, win_n dn__win
     * (dn__entity_wins), then id_len bytes */
    _Alignas(8) unsigned char body[];
};

static inline dn__win *dn__entity_wins(const dn__entity *e)
{
    return (dn__win *)(e->body + e->wins_off);
}

static inline int64_t *dn__entity_sums(dn__entity *e)
{
    return (int64_t *)(void *)e->body;
}

/* counts[i - k->cnt_from] is accumulator i's count */
static inline uint32_t *dn__entity_counts(dn__entity *e, const dn__kind_layout *k)
{
    return (uint32_t *)(void *)(e->body + (size_t)k->sum_n * sizeof(int64_t));
}

typedef struct dn__slot {
    uint64_t h;
    dn__entity *e; /* NULL: empty */
} dn__slot;

/* The pool of entities, fact blocks, new_counterparty sets and hit notes (pool.c): size classes
 * from 32 bytes, four per doubling, up to 64 KiB. */
#define DN__POOL_CLASSES 45

typedef struct dn__pool {
    struct free_block *free[DN__POOL_CLASSES];
    struct region *regions;
    unsigned char *bump, *end; /* the newest region's part not carved yet */
} dn__pool;

struct dn__state {
    dn_state_config cfg;
    dn__kind_layout kinds[DN__ENT_KIND_COUNT];
    dn__slot *slots;
    uint64_t slot_count; /* power of two */
    uint64_t lru_clock;
    struct dn__victim
        *victims; /* eviction batch: oldest stamps first, [victim_pos, victim_count) */
    uint64_t victim_pos, victim_count, victim_cap;
    uint64_t event_seq;
    uint64_t *scratch; /* distinct() set */
    uint32_t scratch_cap;
    uint64_t *acc_mask; /* observe(): one fact's accumulator set, the most acc_words of a kind */
    dn__pool pool;
    dn_state_stats stats;
};

static inline dn__fact_core *dn__fact_at(const dn__state *st, const dn__entity *e, uint32_t abs)
{
    return (dn__fact_core *)(e->facts + (size_t)(abs - e->base) * st->kinds[e->kind].stride);
}

static inline uint64_t dn__fact_col(const dn__state *st, const dn__entity *e,
                                    const dn__fact_core *f, int col)
{
    int off = st->kinds[e->kind].col_off[col];
    if (off < 0)
        return 0;
    uint64_t v;
    __builtin_memcpy(&v, (const unsigned char *)f + off, sizeof(v));
    return v;
}

static inline const char *dn__fact_id(const dn__entity *e, const dn__fact_core *f)
{
    return e->ids ? e->ids + (f->id_off - e->ids_base) : ""; /* no ids yet: all were empty */
}

static inline const char *dn__entity_id_ptr(const dn__state *st, const dn__entity *e)
{
    (void)st;
    return (const char *)(dn__entity_wins(e) + e->win_n);
}

/* pool.c: a block of at least len bytes (it holds dn__pool_size(len)); free it with the len
 * asked for, or any len between that and dn__pool_size(len) */
void *dn__pool_alloc(dn__state *st, uint32_t len);
uint32_t dn__pool_size(uint32_t len);
void dn__pool_free(dn__state *st, void *p, uint32_t len);
void dn__pool_destroy(dn__state *st);
/* hits.c */
void dn__state_hits_free(dn__state *st, dn__entity *e);
void dn__state_hits_prune(dn__state *st, dn__entity *e, int64_t now_ms);
/* facts.c */
void dn__state_prefetch_dsets(const dn__state *st, const dn__entity *e, uint64_t cp_h);
void dn__state_prefetch_cps(const dn__entity *e, uint64_t cp_h);
void dn__state_facts_free(dn__state *st, dn__entity *e);
void dn__state_cps_free(dn__state *st, dn__entity *e);
int dn__state_cps_seen(dn__state *st, dn__entity *e, uint64_t h, int64_t ts, int64_t memory_ms,
                       bool *was_seen);

#endif
