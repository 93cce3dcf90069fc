/*
 * bench_state.c - the state store's speed and memory beside a floor measured in the same run.
 *
 * Workload: 1,000,000 facts over 100,000 accounts (10 facts each, spread over 30 days, in time
 * order), a plan of 12 slots (count, sum, avg, max, min, distinct, pair, with filters) and 30-day
 * retention and counterparty memory: a realistic account of ~10 facts a month.
 *
 * Figures (median of 5 runs, each on fresh state):
 *   floor        a plain open-addressing hash table of 100k accounts, one hash of the id and one
 *                count/sum update per fact (what "decode + one account update" does in FLOORS.md)
 *   cold floor   the same, writing a 48-byte slot in a 1.5 KiB record per account (memory
 *                latency: the misses any per-entity store pays)
 *   observe      dn__state_event_begin + touch + observe per fact
 *   observe+agg  the same plus the 12 slot queries a rule VM would make
 * and bytes per entity: stats.bytes / entities (what the state holds: its pool's regions, free
 * blocks and class rounding included, and what it mallocs), and the growth of the process's
 * resident memory over the run (/proc/self/statm: pages the kernel gave it).
 *
 * Build type matters: run the Release build (cmake -B build-rel -DCMAKE_BUILD_TYPE=Release).
 */
#include "state/state.h"

#include "common/hash.h"

#include "bench_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNTS 100000
#define FACTS    1000000
#define RUNS     5
#define DAY_MS   (24LL * 3600 * 1000)
#define T0       1790000000000LL

typedef struct gen_fact {
    uint32_t account;
    dn__fact_in f;
} gen_fact;

static char ids[ACCOUNTS][16];
static char ev_ids[FACTS][24];
static gen_fact facts[FACTS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void generate(void)
{
    for (uint32_t a = 0; a < ACCOUNTS; a++)
        snprintf(ids[a], sizeof(ids[a]), "ACCT%08u", a);
    for (uint32_t i = 0; i < FACTS; i++) {
        gen_fact *g = &facts[i];
        g->account = (uint32_t)(rnd() % ACCOUNTS);
        uint32_t cp = (uint32_t)(rnd() % ACCOUNTS);
        snprintf(ev_ids[i], sizeof(ev_ids[i]), "evt-%012u", i);
        memset(&g->f, 0, sizeof(g->f));
        g->f.ts_ms = T0 + (int64_t)i * (30 * DAY_MS / FACTS);
        g->f.dir = rnd() & 1 ? DN__DIR_IN : DN__DIR_OUT;
        g->f.type = DN_EV_TRANSFER;
        g->f.has_amount = true;
        g->f.amount_base_minor = (int64_t)(rnd() % 500000);
        g->f.counterparty_h = dn__hash64(ids[cp], strlen(ids[cp]));
        g->f.device_h = 1 + rnd() % 1000;
        g->f.ip_h = 1 + rnd() % 5000;
        g->f.channel_h = 1 + rnd() % 4;
        g->f.country = (uint16_t)('D' << 8 | 'E');
        g->f.filter_bits = rnd() & 3;
        g->f.event_id = (dn_str){ev_ids[i], (uint32_t)strlen(ev_ids[i])};
    }
}

/* ---- the floor: one hash table update per fact ---- */

typedef struct floor_slot {
    uint64_t h;
    int64_t sum;
    uint32_t count;
} floor_slot;

static double run_floor(uint64_t *checksum)
{
    uint32_t cap = 1u << 18;
    floor_slot *t = calloc(cap, sizeof(*t));
    double t0 = now_s();
    for (uint32_t i = 0; i < FACTS; i++) {
        const char *id = ids[facts[i].account];
        uint64_t h = dn__hash64(id, strlen(id)) | 1;
        uint32_t j = (uint32_t)h & (cap - 1);
        while (t[j].h != 0 && t[j].h != h)
            j = (j + 1) & (cap - 1);
        t[j].h = h;
        t[j].sum += facts[i].f.amount_base_minor;
        t[j].count++;
    }
    double el = now_s() - t0;
    for (uint32_t j = 0; j < cap; j++)
        *checksum += (uint64_t)t[j].sum;
    free(t);
    return el;
}

/* A second floor, for what memory costs: the same table, but each account's record is as
 * large as a state entity (1.5 KiB, 150 MB in all), and each fact writes its 48-byte slot in the
 * record: the cache misses a per-entity store cannot avoid. */
#define COLD_RECORD 1536
static double run_floor_cold(uint64_t *checksum)
{
    uint32_t cap = 1u << 18;
    floor_slot *t = calloc(cap, sizeof(*t));
    unsigned char *rec = calloc((size_t)cap, COLD_RECORD);
    double t0 = now_s();
    for (uint32_t i = 0; i < FACTS; i++) {
        const char *id = ids[facts[i].account];
        uint64_t h = dn__hash64(id, strlen(id)) | 1;
        uint32_t j = (uint32_t)h & (cap - 1);
        while (t[j].h != 0 && t[j].h != h)
            j = (j + 1) & (cap - 1);
        t[j].h = h;
        t[j].sum += facts[i].f.amount_base_minor;
        unsigned char *slot = rec + (size_t)j * COLD_RECORD + (t[j].count % 16) * 48 + 64;
        memcpy(slot, &facts[i].f, 48);
        t[j].count++;
    }
    double el = now_s() - t0;
    for (uint32_t j = 0; j < cap; j++)
        *checksum += (uint64_t)t[j].sum + rec[(size_t)j * COLD_RECORD + 64];
    free(rec);
    free(t);
    return el;
}

static const dn__agg_spec aggs[] = {
    {DN__AGG_COUNT, DN__DIR_IN, 0, DAY_MS, -1},
    {DN__AGG_SUM, DN__DIR_IN, 0, DAY_MS, -1},
    {DN__AGG_SUM, DN__DIR_OUT, 0, DAY_MS, -1},
    {DN__AGG_COUNT, DN__DIR_OUT, 0, DAY_MS / 24, -1},
    {DN__AGG_AVG, DN__DIR_OUT, 0, 30 * DAY_MS, -1},
    {DN__AGG_MAX, DN__DIR_IN, 0, 7 * DAY_MS, -1},
    {DN__AGG_MIN, DN__DIR_OUT, 0, 7 * DAY_MS, -1},
    {DN__AGG_DISTINCT, DN__DIR_IN, DN__FIELD_COUNTERPARTY, 7 * DAY_MS, -1},
    {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_DEVICE, 30 * DAY_MS, -1},
    {DN__AGG_PAIR_COUNT, DN__DIR_ANY, 0, 30 * DAY_MS, -1},
    {DN__AGG_PAIR_SUM, DN__DIR_ANY, 0, 7 * DAY_MS, -1},
    {DN__AGG_SUM, DN__DIR_IN, 0, 7 * DAY_MS, 0},
};

/* The process's resident bytes (0 when /proc is not there). */
static size_t resident_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static double run_state(bool query, uint64_t *checksum, dn_state_stats *stats, size_t *rss)
{
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        plans[k] = (dn__state_plan){aggs, 12, 2, 30 * DAY_MS, 30 * DAY_MS, 16, 4};
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    size_t rss0 = resident_bytes();
    dn__state *st = NULL;
    if (dn__state_new(&cfg, plans, &st) != 0)
        abort();
    double t0 = now_s();
    for (uint32_t i = 0; i < FACTS; i++) {
        const gen_fact *g = &facts[i];
        dn__entity *e;
        dn__observation pre;
        dn__state_event_begin(st);
        const char *id = ids[g->account];
        if (dn__state_touch(st, DN__ENT_ACCOUNT, (dn_str){id, 12}, &e) != 0 ||
            dn__state_observe(st, e, &g->f, &pre) != 0)
            abort();
        if (query) {
            for (uint32_t s = 0; s < 12; s++) {
                dn__agg_value v;
                dn__state_agg(st, e, s, g->f.ts_ms, g->f.counterparty_h, &v);
                *checksum += (uint64_t)v.i;
            }
        }
    }
    double el = now_s() - t0;
    dn__state_stats(st, stats);
    size_t rss1 = resident_bytes();
    *rss = rss1 > rss0 ? rss1 - rss0 : 0;
    dn__state_free(st);
    return el;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof(*v), cmp_double);
    return v[RUNS / 2];
}

int main(void)
{
    bench_print_host();
    generate();
    double fl[RUNS], fc[RUNS], ob[RUNS], oq[RUNS];
    uint64_t checksum = 0;
    dn_state_stats stats;
    size_t rss = 0;
    for (int r = 0; r < RUNS; r++) {
        fl[r] = run_floor(&checksum);
        fc[r] = run_floor_cold(&checksum);
        ob[r] = run_state(false, &checksum, &stats, &rss);
        oq[r] = run_state(true, &checksum, &stats, &rss);
    }
    double f = FACTS / median(fl), c = FACTS / median(fc), o = FACTS / median(ob),
           q = FACTS / median(oq);
    printf("bench_state: %d facts over %d accounts, 12 slots, 30-day retention (median of %d)\n",
           FACTS, ACCOUNTS, RUNS);
    printf("  floor (hash table update)  %8.2f M facts/s\n", f / 1e6);
    printf("  floor, cold (1.5 KiB/acct) %8.2f M facts/s\n", c / 1e6);
    printf("  observe                    %8.2f M facts/s  (%.2f x floor, %.2f x cold floor)\n",
           o / 1e6, o / f, o / c);
    printf("  observe + 12 queries       %8.2f M facts/s  (%.2f x floor, %.2f x cold floor)\n",
           q / 1e6, q / f, q / c);
    printf("  entities %llu, facts held %llu, dropped %llu, evicted %llu\n",
           (unsigned long long)stats.entities, (unsigned long long)stats.facts,
           (unsigned long long)stats.dropped_facts, (unsigned long long)stats.evicted_entities);
    printf("  bytes per entity: %.0f held by the state, %.0f resident (%.1f facts each)\n",
           (double)stats.bytes / (double)stats.entities, (double)rss / (double)stats.entities,
           (double)stats.facts / (double)stats.entities);
    printf("  (checksum %llu)\n", (unsigned long long)checksum);
    return 0;
}
