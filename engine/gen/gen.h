/*
 * gen.h - the labelled synthetic feed generator behind `dragnet gen` (internal to engine/gen).
 *
 * What it makes: a population of bank customers (households, devices, IPs, employers,
 * landlords, merchants, exchanges) living ordinary lives, a share of them doing things that look
 * like crime and are not (look-alikes), and a small share caught up in labelled cases of three
 * typologies: money_mule, scam_victim, scam_centre_ops. The feed is what one German bank sees:
 * its customers' payments in and out, card spend, cash, crypto, logins and account openings.
 *
 * Invariants:
 *   - Deterministic: one seed gives one byte-identical output. Every random draw comes from a
 *     dn__gen_rng (xoshiro256**), never rand(); each case has its own stream derived from the
 *     seed and its number, so a change to ordinary life does not reshuffle the cases.
 *     Never two draws in one expression or argument list: C leaves their order unspecified
 *     and compilers differ (gcc vs clang, with and without sanitizers), so each draw is its own
 *     statement.
 *   - Sorted: events leave in (ts, emission sequence) order. Generation runs day by day; a
 *     generator may emit events at or after the current day's start (future days included), never
 *     before. At the end of each day the pending pool is sorted and every event before the next
 *     day's start is written; the rest waits. Memory is the population plus a few days of events.
 *   - Event ids ("e0000000001"...) are assigned in output order, so they are unique.
 *   - Case accounts are ordinary customers (same id scheme, names, banks, currencies); what makes
 *     them a case is only their behaviour. A party takes part in at most one case.
 *   - A label is written only for an entity that appeared in the written feed.
 *
 * Ownership: dn__gen owns everything (party table, strings in its arena, pending pool, labels).
 * Records point to static strings (channels, purposes) or carry their reference inline.
 */
#ifndef DN_GEN_GEN_H
#define DN_GEN_GEN_H

#include "common/arena.h"
#include "common/buf.h"
#include "dragnet/event.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DN__GEN_MIN_MS  60000LL
#define DN__GEN_HOUR_MS 3600000LL
#define DN__GEN_DAY_MS  86400000LL

/* ---- configuration and entry point ---------------------------------------------------------- */

typedef enum dn__gen_format { DN__GEN_MSGPACK, DN__GEN_NDJSON } dn__gen_format;

typedef enum dn__gen_typology {
    DN__GEN_MULE,
    DN__GEN_VICTIM,
    DN__GEN_OPS,
    DN__GEN_TYP_COUNT
} dn__gen_typology;

typedef struct dn__gen_config {
    uint32_t accounts; /* bank customers */
    uint32_t days;
    uint64_t seed;
    dn__gen_format format;
    int64_t start_ms; /* midnight UTC of the first day */
} dn__gen_config;

typedef struct dn__gen_stats {
    uint64_t events;
    uint32_t accounts; /* customers, including those opened during the period */
    uint32_t cases[DN__GEN_TYP_COUNT];
    uint32_t labelled[DN__GEN_TYP_COUNT];     /* label rows written */
    uint32_t weak[DN__GEN_TYP_COUNT];         /* cases made deliberately hard */
    uint32_t variants[DN__GEN_TYP_COUNT][16]; /* cases per variant */
} dn__gen_stats;

/*
 * Generates the whole feed to out (and the labels CSV to labels when non-NULL). The FILEs stay
 * the caller's. Returns 0, DN_ENOMEM, or DN_EIO when a write failed.
 */
int dn__gen_run(const dn__gen_config *cfg, FILE *out, FILE *labels, dn__gen_stats *stats);

const char *dn__gen_typology_name(dn__gen_typology t);
/* Name of variant v of typology t ("pass_through"), NULL past the last one. */
const char *dn__gen_variant_name(dn__gen_typology t, unsigned v);

/* Parses "YYYY-MM-DD" into midnight UTC in ms; 0 or DN_EINVAL. */
int dn__gen_parse_date(const char *s, int64_t *out_ms);

/* ---- random numbers (rng.c) ----------------------------------------------------------------- */

typedef struct dn__gen_rng {
    uint64_t s[4];
} dn__gen_rng;

void dn__gen_rng_seed(dn__gen_rng *r, uint64_t seed);
uint64_t dn__gen_rng_next(dn__gen_rng *r);
uint64_t dn__gen_rng_below(dn__gen_rng *r, uint64_t n);            /* [0, n), n > 0 */
int64_t dn__gen_rng_range(dn__gen_rng *r, int64_t lo, int64_t hi); /* [lo, hi] */
double dn__gen_rng_unit(dn__gen_rng *r);                           /* [0, 1) */
bool dn__gen_rng_chance(dn__gen_rng *r, double p);
/* Log-normal with the given median and shape; clamped to [lo, hi]. */
int64_t dn__gen_rng_lognorm(dn__gen_rng *r, double median, double sigma, int64_t lo, int64_t hi);
#define DN__GEN_PICK(r, arr) ((arr)[dn__gen_rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* ---- calendar (calendar.c) ------------------------------------------------------------------ */

int64_t dn__gen_days_from_civil(int y, unsigned m, unsigned d);
void dn__gen_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
unsigned dn__gen_days_in_month(int y, unsigned m);

/* ---- parties, devices, IPs (population.c, names.c) ------------------------------------------ */

typedef enum dn__gen_segment {
    DN__SEG_RETAIL,
    DN__SEG_STUDENT,
    DN__SEG_SENIOR,
    DN__SEG_SMB
} dn__gen_segment;

/* Look-alike roles and life flags of a customer. */
enum {
    DN__LA_SMB = 1u << 0,       /* business: many payers in, suppliers and payroll out, cash */
    DN__LA_LANDLORD = 1u << 1,  /* rents in from several tenants */
    DN__LA_DCA = 1u << 2,       /* buys crypto every month */
    DN__LA_REMIT = 1u << 3,     /* sends money home every month (PH, VN, IN...) */
    DN__LA_TREASURER = 1u << 4, /* club: many small fees in, a payment out */
    DN__LA_SWEEP = 1u << 5,     /* moves salary to own savings elsewhere right after payday */
    DN__LA_HOLIDAY = 1u << 6,   /* a holiday in TH or PH during the period */
    DN__LA_BIGPAY = 1u << 7,    /* an older customer's one-off large payment to a new payee */
    DN__LA_HELPER = 1u << 8,    /* a relative helps by remote-access tool now and then */
    DN__F_DORMANT = 1u << 12,   /* no ordinary activity */
    DN__F_CASE_ONLY = 1u << 13, /* life is written by its case only */
    DN__F_IN_CASE = 1u << 14,   /* taken by a case */
    DN__F_ALLOWANCE = 1u << 15, /* a student kept by parents, not by a job */
};

typedef struct dn__gen_party {
    const char *id, *name, *bank;
    char country[3];
    bool is_customer;
    bool is_seen; /* appeared in the written feed */
    /* customers only */
    uint8_t segment;
    int16_t birth_year;
    char residence[3];
    int64_t opened_ms;
    uint32_t flags;
    int32_t household;
    int32_t phone, shared_device; /* device indices; shared_device -1 when none */
    int32_t home_ip;
    int32_t employer, landlord, savings, abroad; /* party indices or -1 */
    int32_t utility[2];
    int64_t income_minor, rent_minor;
    uint8_t pay_day, rent_day, util_day, dca_day, remit_day;
    int16_t la_day;      /* day index of a dated look-alike (holiday, big payment) */
    uint16_t quiet_from; /* ordinary life stops on this day index (a case took over) */
    float card_rate, p2p_rate, cash_rate, login_rate;
    int32_t *payers; /* SMB customers, landlords, treasurers: who pays them */
    int32_t *payees; /* SMB customers: payroll */
    uint16_t payer_count, payee_count;
    int32_t mcc; /* merchants */
} dn__gen_party;

typedef struct dn__gen_ent {
    const char *id;
    char country[3]; /* IPs: where the address geolocates */
    bool is_seen;
} dn__gen_ent;

/* ---- events -----------------------------------------------------------------------------------
 */

typedef struct dn__gen_rec {
    int64_t ts_ms;
    uint64_t seq;
    int64_t amount_minor; /* < 0: absent */
    int32_t src, dst;     /* party indices or -1 */
    int32_t device, ip;   /* -1: absent */
    int32_t mcc;          /* 0: absent */
    uint8_t type;
    int8_t remote_access; /* -1 absent */
    char currency[4];
    const char *channel, *purpose; /* static strings or NULL */
    char ref[88];
} dn__gen_rec;

typedef enum dn__gen_label_kind {
    DN__GEN_LABEL_PARTY,
    DN__GEN_LABEL_DEVICE,
    DN__GEN_LABEL_IP
} dn__gen_label_kind;

typedef struct dn__gen_label {
    uint8_t kind; /* dn__gen_label_kind */
    uint8_t typology, variant;
    int32_t index;
    uint32_t case_no;  /* per typology, from 1 */
    uint32_t case_idx; /* into dn__gen.cases */
} dn__gen_label;

typedef struct dn__gen_case {
    uint8_t typology, variant;
    bool is_weak;
    uint32_t no;        /* per typology, from 1 */
    uint32_t start_day; /* day index */
    uint64_t seed;
    int32_t acct[16];
    uint8_t acct_count;
} dn__gen_case;

#define DN__GEN_GROW(g, arr, count, cap)                                                           \
    dn__gen_grow((g), (void **)&(arr), sizeof(*(arr)), (count), &(cap))

typedef struct dn__gen {
    dn__gen_config cfg;
    dn__gen_rng rng;
    dn__arena arena; /* run-lifetime strings and small arrays */
    int rc;          /* first error; later calls become no-ops */

    dn__gen_party *party;
    size_t party_count, party_cap;
    uint32_t customer_count; /* customers are party[0 .. customer_count) */
    dn__gen_ent *device, *ip;
    size_t device_count, device_cap, ip_count, ip_cap;
    uint64_t name_serial; /* makes account and device ids unique */

    /* pools of external counterparties (party indices) */
    int32_t *employers, *merchants, *persons, *landlords, *utilities, *exchanges, *dealers,
        *pension;
    uint32_t employer_count, merchant_count, person_count, landlord_count, utility_count,
        exchange_count, dealer_count, pension_count;
    int32_t *abroad_merchants; /* TH and PH merchants, hotels, ATMs */
    uint32_t abroad_merchant_count;
    int32_t *carrier_ips; /* mobile carrier NAT addresses shared by many */
    uint32_t carrier_ip_count;

    dn__gen_case *cases;
    size_t case_count, case_cap;
    dn__gen_label *labels;
    size_t label_count, label_cap;

    /* the day being generated and the pending pool */
    uint32_t day;
    int64_t day_start_ms, end_ms;
    int year;
    unsigned month, dom, dim; /* calendar of the current day */
    dn__gen_rec *pend;
    size_t pend_count, pend_cap;
    uint64_t seq;
    dn__gen_rec scratch; /* target of emissions past the end of the period */

    /* writer */
    FILE *out;
    dn__buf buf;
    uint64_t written;
} dn__gen;

int dn__gen_grow(dn__gen *g, void **arr, size_t elem, size_t count, size_t *cap);
char *dn__gen_strdup(dn__gen *g, const char *s);

/* names.c: ids and names that look alike for every kind of account */
/* A fresh account id in country cc; is_ours: an IBAN of the bank whose feed this is. */
void dn__gen_iban(dn__gen *g, dn__gen_rng *r, const char *cc, bool is_ours, char out[40]);
const char *dn__gen_bank_for(dn__gen_rng *r, const char *cc);
extern const char *const dn__gen_our_bank; /* BIC of the bank whose feed this is */
void dn__gen_person_name(dn__gen_rng *r, const char *cc, char *out, size_t cap);
void dn__gen_company_name(dn__gen_rng *r, char *out, size_t cap);
const char *dn__gen_last_name(const char *full);

/* externals.c: the tables, and the counterparties outside the bank */
void dn__gen_externals(dn__gen *g, dn__gen_rng *r);
int32_t dn__gen_add_party(dn__gen *g);
int32_t dn__gen_add_external(dn__gen *g, dn__gen_rng *r, const char *cc, const char *name);
int32_t dn__gen_add_person(dn__gen *g, dn__gen_rng *r, const char *cc);
int32_t dn__gen_add_company(dn__gen *g, dn__gen_rng *r, const char *cc);
int32_t dn__gen_add_device(dn__gen *g, dn__gen_rng *r);
int32_t dn__gen_add_ip(dn__gen *g, dn__gen_rng *r, const char *cc);
int32_t *dn__gen_pool_alloc(dn__gen *g, uint32_t n); /* run-lifetime array, NULL sets g->rc */

/* population.c */
int dn__gen_population(dn__gen *g);
/* A customer not yet in a case that satisfies the filter, or -1. */
typedef bool (*dn__gen_filter_cb)(const dn__gen *g, const dn__gen_party *p);
int32_t dn__gen_pick_customer(dn__gen *g, dn__gen_rng *r, dn__gen_filter_cb filter);

/* emit.c: records into the pending pool */
dn__gen_rec *dn__gen_emit(dn__gen *g, int64_t ts_ms, dn_event_type type, int32_t src, int32_t dst,
                          int64_t amount_minor);
/* The customer's own session: phone (or the household's shared device) on home or carrier IP. */
void dn__gen_session(dn__gen *g, dn__gen_rng *r, dn__gen_rec *rec, int32_t cust);
void dn__gen_ref(dn__gen_rec *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A time of day (ms after midnight) that people are awake at. */
int64_t dn__gen_daytime(dn__gen_rng *r);

/* ordinary.c and lookalike.c: one customer's day */
void dn__gen_ordinary_day(dn__gen *g, int32_t cust, int64_t day_ms);
void dn__gen_lookalike_day(dn__gen *g, int32_t cust, int64_t day_ms);

/* plan.c: choosing cases and labelling */
int dn__gen_plan(dn__gen *g);
void dn__gen_label_add(dn__gen *g, const dn__gen_case *c, dn__gen_label_kind kind, int32_t index);
void dn__gen_run_case(dn__gen *g, dn__gen_case *c);

/* case_mule.c, case_victim.c, case_ops.c: a case's whole story, emitted on its start day */
#define DN__GEN_MULE_VARIANTS   10
#define DN__GEN_VICTIM_VARIANTS 8
#define DN__GEN_OPS_VARIANTS    6
extern const char *const dn__gen_mule_variants[DN__GEN_MULE_VARIANTS];
extern const char *const dn__gen_victim_variants[DN__GEN_VICTIM_VARIANTS];
extern const char *const dn__gen_ops_variants[DN__GEN_OPS_VARIANTS];
/* Chooses the accounts of a new case (at plan time); false when none fit. */
bool dn__gen_mule_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c);
bool dn__gen_victim_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c);
bool dn__gen_ops_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c);
void dn__gen_mule_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0);
void dn__gen_victim_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0);
void dn__gen_ops_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0);

/* plan.c: helpers the case files share */
int32_t dn__gen_stranger(dn__gen *g, dn__gen_rng *r); /* an unrelated person at another bank */
/* A fresh account abroad or at another bank, in one of the given countries. */
int32_t dn__gen_fresh_account(dn__gen *g, dn__gen_rng *r, const char *const *cc, size_t n,
                              bool is_company);
extern const char *const dn__gen_benign_refs[];
extern const size_t dn__gen_benign_ref_count;

/* writer.c */
int dn__gen_flush_day(dn__gen *g, int64_t until_ms);
int dn__gen_write_labels(dn__gen *g, FILE *labels, dn__gen_stats *stats);

#endif
