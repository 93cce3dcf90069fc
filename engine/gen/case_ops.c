/*
 * case_ops.c - scam_centre_ops cases: the financial footprint of scam compounds run with forced
 * labour (UNODC 2023/2024, INTERPOL Operation Storm Makers, FATF 2023 on human trafficking
 * proceeds).
 *
 * Variants:
 *   account_farm     5-12 accounts opened within days from the same one or two devices and
 *                    IPs (often geolocating to KH/MM/LA), then collecting and forwarding victim
 *                    money; accounts, devices and IPs are labelled
 *   remote_operated  existing accounts of people living here, suddenly operated from KH/MM/LA
 *                    (new device, hotspot IPs) and used to move money
 *   collector        one beneficiary collecting from many first-time senders with scam
 *                    references, swept to crypto
 *   recruitment      "visa", "agency fee", a flight; then the account is run from abroad
 *   ransom           several relatives paying "release", "debt", "fine" to one foreign account
 *                    (the foreign account is labelled)
 *   wage_pool        wages of many named workers paid into one account and sent on
 * A weak case is smaller, slower and operated from a domestic IP.
 */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

const char *const dn__gen_ops_variants[DN__GEN_OPS_VARIANTS] = {
    "account_farm", "remote_operated", "collector", "recruitment", "ransom", "wage_pool"};

enum { FARM, REMOTE_OP, COLLECTOR, RECRUIT, RANSOM, WAGE_POOL };

static const char *const ops_cc[] = {"KH", "MM", "LA"};
static const char *const scam_refs[] = {"USDT deposit",    "platform deposit", "trading account",
                                        "investment plan", "VIP upgrade",      "order task deposit",
                                        "Einzahlung",      "liquidity pool"};

static bool is_adult(const dn__gen *g, const dn__gen_party *p)
{
    return p->segment != DN__SEG_SMB && p->segment != DN__SEG_SENIOR &&
           !(p->flags & DN__F_DORMANT) && p->birth_year <= 2005 && p->opened_ms < g->cfg.start_ms;
}

static bool is_young(const dn__gen *g, const dn__gen_party *p)
{
    return is_adult(g, p) && p->birth_year >= 1990;
}

bool dn__gen_ops_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c)
{
    int n = 1;
    if (c->variant == FARM)
        n = (int)dn__gen_rng_range(r, c->is_weak ? 3 : 5, c->is_weak ? 5 : 12);
    else if (c->variant == REMOTE_OP)
        n = (int)dn__gen_rng_range(r, 1, 3);
    else if (c->variant == RANSOM)
        n = (int)dn__gen_rng_range(r, 1, 3); /* relatives who bank with us (not labelled) */
    int64_t day0 = g->cfg.start_ms + (int64_t)c->start_day * DN__GEN_DAY_MS;
    for (int k = 0; k < n; k++) {
        int32_t a = dn__gen_pick_customer(g, r, c->variant == RANSOM ? is_adult : is_young);
        if (a < 0)
            a = dn__gen_pick_customer(g, r, is_adult);
        if (a < 0)
            break;
        c->acct[c->acct_count++] = a;
        dn__gen_party *p = &g->party[a];
        if (c->variant == FARM) {
            /* Opened for the operation in a cluster of days; no life of its own. */
            p->flags |= DN__F_CASE_ONLY;
            int64_t day = dn__gen_rng_range(r, 0, 4);
            int64_t hour = dn__gen_rng_range(r, 1, 23);
            int64_t min = dn__gen_rng_range(r, 0, 59);
            p->opened_ms =
                day0 + day * DN__GEN_DAY_MS + hour * DN__GEN_HOUR_MS + min * DN__GEN_MIN_MS;
            memcpy(p->residence, "DE", 3);
        } else if (c->variant == REMOTE_OP || c->variant == RECRUIT) {
            p->quiet_from = (uint16_t)(c->start_day + (c->variant == RECRUIT ? 10 : 0));
        }
    }
    return c->acct_count > 0;
}

/* Victim money in from first-time senders, forwarded to crypto or abroad. */
static void collect_and_forward(dn__gen *g, dn__gen_rng *r, int32_t acct, int64_t t, int n,
                                int32_t dev, int32_t ip, bool weak)
{
    int32_t xch = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
    for (int k = 0; k < n; k++) {
        int32_t from = dn__gen_stranger(g, r);
        int64_t amt = dn__gen_rng_lognorm(r, 150000, 0.8, 10000, 3000000);
        dn__gen_rec *e = dn__gen_emit(g, t, DN_EV_TRANSFER, from, acct, amt - amt % 100);
        e->channel = dn__gen_rng_chance(r, 0.7) ? "instant" : "online";
        dn__gen_ref(e, "%s", DN__GEN_PICK(r, scam_refs));
        int64_t tt = t + dn__gen_rng_range(r, 10, weak ? 30 * 60 : 5 * 60) * DN__GEN_MIN_MS;
        int64_t out = amt * dn__gen_rng_range(r, weak ? 70 : 88, 99) / 100;
        e = dn__gen_rng_chance(r, 0.6)
                ? dn__gen_emit(g, tt, DN_EV_CRYPTO_BUY, acct, xch, out - out % 100)
                : dn__gen_emit(g, tt, DN_EV_TRANSFER, acct, xch, out - out % 100);
        if (e->type == DN_EV_TRANSFER)
            dn__gen_ref(e, "%s", "wallet top up");
        e->device = dev;
        e->ip = ip;
        e->remote_access = 0;
        if (strcmp(e->channel, "online") == 0)
            e->channel = "mobile";
        t += dn__gen_rng_range(r, 1, weak ? 60 : 20) * DN__GEN_HOUR_MS;
    }
}

static void farm(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    (void)t0;
    bool weak = c->is_weak;
    int ndev = (int)dn__gen_rng_range(r, 1, 2);
    int32_t dev[2], ip[2];
    for (int k = 0; k < ndev; k++) {
        dev[k] = dn__gen_add_device(g, r);
        ip[k] = dn__gen_add_ip(g, r, weak ? "DE" : DN__GEN_PICK(r, ops_cc));
        dn__gen_label_add(g, c, DN__GEN_LABEL_DEVICE, dev[k]);
        dn__gen_label_add(g, c, DN__GEN_LABEL_IP, ip[k]);
    }
    for (int k = 0; k < c->acct_count; k++) {
        int32_t a = c->acct[k];
        int s = k % ndev;
        int64_t opened = g->party[a].opened_ms;
        dn__gen_rec *e = dn__gen_emit(g, opened, DN_EV_ACCOUNT_OPEN, a, -1, 0);
        e->device = dev[s];
        e->ip = ip[s];
        e->remote_access = 0;
        e = dn__gen_emit(g, opened + dn__gen_rng_range(r, 1, 30) * DN__GEN_HOUR_MS, DN_EV_LOGIN, a,
                         -1, 0);
        e->device = dev[s];
        e->ip = ip[s];
        e->remote_access = 0;
        int64_t first = opened + dn__gen_rng_range(r, 2, 6) * DN__GEN_DAY_MS;
        int n = (int)dn__gen_rng_range(r, weak ? 1 : 3, weak ? 3 : 8);
        collect_and_forward(g, r, a, first, n, dev[s], ip[s], weak);
    }
}

static void remote_operated(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    bool weak = c->is_weak;
    int32_t dev = dn__gen_add_device(g, r);
    dn__gen_label_add(g, c, DN__GEN_LABEL_DEVICE, dev);
    for (int k = 0; k < c->acct_count; k++) {
        int32_t a = c->acct[k];
        int32_t ip = dn__gen_add_ip(g, r, weak ? "TH" : DN__GEN_PICK(r, ops_cc));
        int64_t t = t0 + k * dn__gen_rng_range(r, 2, 20) * DN__GEN_HOUR_MS;
        for (int l = 0; l < 3; l++) {
            dn__gen_rec *e = dn__gen_emit(g, t + l * dn__gen_rng_range(r, 6, 40) * DN__GEN_HOUR_MS,
                                          DN_EV_LOGIN, a, -1, 0);
            e->device = dev;
            e->ip = ip;
            e->remote_access = 0;
        }
        collect_and_forward(g, r, a, t + DN__GEN_DAY_MS,
                            (int)dn__gen_rng_range(r, weak ? 2 : 4, weak ? 3 : 10), dev, ip, weak);
    }
}

static void collector(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    int32_t a = c->acct[0];
    int n = (int)dn__gen_rng_range(r, c->is_weak ? 5 : 12, c->is_weak ? 8 : 40);
    int64_t t = t0;
    int32_t xch = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        /* Most senders bank elsewhere; some are our own customers (first-time payers). */
        int32_t from = dn__gen_rng_chance(r, 0.8)
                           ? dn__gen_stranger(g, r)
                           : (int32_t)dn__gen_rng_below(r, g->customer_count);
        if (from == a)
            continue;
        int64_t amt = dn__gen_rng_lognorm(r, 90000, 0.9, 5000, 2000000);
        dn__gen_rec *e = dn__gen_emit(g, t, DN_EV_TRANSFER, from, a, amt - amt % 100);
        e->channel = dn__gen_rng_chance(r, 0.6) ? "instant" : "online";
        dn__gen_ref(e, "%s", DN__GEN_PICK(r, scam_refs));
        if (g->party[from].is_customer)
            dn__gen_session(g, r, e, from);
        total += amt - amt % 100;
        t += dn__gen_rng_range(r, 20, c->is_weak ? 48 * 60 : 12 * 60) * DN__GEN_MIN_MS;
        if (k % 4 == 3) {
            e = dn__gen_emit(g, t, DN_EV_CRYPTO_BUY, a, xch, total * 95 / 100);
            dn__gen_session(g, r, e, a);
            total = 0;
        }
    }
    if (total > 0) {
        dn__gen_rec *e =
            dn__gen_emit(g, t + DN__GEN_HOUR_MS, DN_EV_CRYPTO_BUY, a, xch, total * 95 / 100);
        dn__gen_session(g, r, e, a);
    }
}

static void recruitment(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    int32_t a = c->acct[0];
    static const char *const agency_cc[] = {"TH", "AE", "DE", "MY"};
    int32_t agency = dn__gen_fresh_account(g, r, agency_cc, 4, true);
    dn__gen_rec *e =
        dn__gen_emit(g, t0, DN_EV_TRANSFER, a, agency, dn__gen_rng_range(r, 30000, 150000));
    e->channel = "online";
    dn__gen_session(g, r, e, a);
    dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "agency fee job Bangkok" : "visa processing");
    int32_t air = g->merchants[0];
    for (uint32_t k = 0; k < g->merchant_count; k++)
        if (g->party[g->merchants[k]].mcc == 4511)
            air = g->merchants[k];
    int64_t flight_at = t0 + dn__gen_rng_range(r, 1, 4) * DN__GEN_DAY_MS;
    e = dn__gen_emit(g, flight_at, DN_EV_CARD, a, air, dn__gen_rng_range(r, 45000, 120000));
    e->mcc = 4511;
    e->channel = "card_not_present";
    if (!c->is_weak) {
        int64_t visa_at = t0 + dn__gen_rng_range(r, 2, 6) * DN__GEN_DAY_MS;
        e = dn__gen_emit(g, visa_at, DN_EV_TRANSFER, a, agency, dn__gen_rng_range(r, 20000, 80000));
        dn__gen_session(g, r, e, a);
        dn__gen_ref(e, "%s", "visa fee");
    }
    /* From day 10 the account is run from the compound. */
    int32_t dev = dn__gen_add_device(g, r);
    int32_t ip = dn__gen_add_ip(g, r, c->is_weak ? "TH" : DN__GEN_PICK(r, ops_cc));
    dn__gen_label_add(g, c, DN__GEN_LABEL_DEVICE, dev);
    int64_t t = t0 + 10 * DN__GEN_DAY_MS + dn__gen_rng_range(r, 1, 20) * DN__GEN_HOUR_MS;
    e = dn__gen_emit(g, t, DN_EV_LOGIN, a, -1, 0);
    e->device = dev;
    e->ip = ip;
    e->remote_access = 0;
    collect_and_forward(g, r, a, t + DN__GEN_DAY_MS,
                        (int)dn__gen_rng_range(r, c->is_weak ? 2 : 4, c->is_weak ? 4 : 10), dev, ip,
                        c->is_weak);
}

static void ransom(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    static const char *const cc[] = {"KH", "MM", "TH", "LA"};
    static const char *const refs[] = {"release",     "debt payment", "fine",
                                       "release fee", "debt for %s",  "for release of %s",
                                       "compensation"};
    int32_t foreign = dn__gen_fresh_account(g, r, cc, 4, dn__gen_rng_chance(r, 0.3));
    dn__gen_label_add(g, c, DN__GEN_LABEL_PARTY, foreign);
    /* The trafficked person shares the family name of those who pay. */
    char first[64];
    dn__gen_person_name(r, "DE", first, sizeof(first));
    char *sp = strchr(first, ' ');
    if (sp)
        *sp = '\0';
    int64_t t = t0;
    int n = (int)dn__gen_rng_range(r, c->is_weak ? 2 : 3, c->is_weak ? 3 : 7);
    for (int k = 0; k < n; k++) {
        int32_t from = k < c->acct_count ? c->acct[k] : dn__gen_stranger(g, r);
        int64_t amt = dn__gen_rng_lognorm(r, 300000, 0.6, 50000, 2000000);
        dn__gen_rec *e = dn__gen_emit(g, t, DN_EV_TRANSFER, from, foreign, amt - amt % 5000);
        e->channel = "swift";
        if (dn__gen_rng_chance(r, 0.7)) {
            memcpy(e->currency, "USD", 4);
            e->amount_minor = e->amount_minor * 108 / 100;
        }
        if (g->party[from].is_customer)
            dn__gen_session(g, r, e, from);
        const char *ref = DN__GEN_PICK(r, refs);
        dn__gen_ref(e, ref, first);
        t += dn__gen_rng_range(r, 2, c->is_weak ? 120 : 48) * DN__GEN_HOUR_MS;
    }
}

static void wage_pool(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    int32_t a = c->acct[0];
    int agencies = (int)dn__gen_rng_range(r, 1, 3);
    int32_t payer[3];
    for (int k = 0; k < agencies; k++)
        payer[k] = g->employers[dn__gen_rng_below(r, g->employer_count)];
    static const char *const far[] = {"KH", "MM", "HK", "AE"};
    int32_t sink = dn__gen_fresh_account(g, r, far, 4, true);
    int workers = (int)dn__gen_rng_range(r, c->is_weak ? 4 : 8, c->is_weak ? 7 : 25);
    int months = c->is_weak ? 1 : 2;
    for (int m = 0; m < months; m++) {
        int64_t t = t0 + m * 30 * DN__GEN_DAY_MS;
        int64_t total = 0;
        for (int w = 0; w < workers; w++) {
            char name[64];
            dn__gen_rng rn;
            dn__gen_rng_seed(&rn, c->seed + (uint64_t)w);
            dn__gen_person_name(&rn, w % 2 ? "PH" : "VN", name, sizeof(name));
            int64_t amt = dn__gen_rng_range(r, 90000, 160000);
            dn__gen_rec *e = dn__gen_emit(g, t + w * dn__gen_rng_range(r, 1, 9) * DN__GEN_MIN_MS,
                                          DN_EV_TRANSFER, payer[w % agencies], a, amt);
            e->purpose = "SALA";
            dn__gen_ref(e, "Lohn %s", name);
            total += amt;
        }
        dn__gen_rec *e = dn__gen_emit(g, t + dn__gen_rng_range(r, 2, 20) * DN__GEN_HOUR_MS,
                                      DN_EV_TRANSFER, a, sink, total * 9 / 10);
        e->channel = "swift";
        dn__gen_session(g, r, e, a);
        dn__gen_ref(e, "%s", "service fee");
    }
}

void dn__gen_ops_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    switch (c->variant) {
    case FARM:
        farm(g, r, c, t0);
        break;
    case REMOTE_OP:
        remote_operated(g, r, c, t0);
        break;
    case COLLECTOR:
        collector(g, r, c, t0);
        break;
    case RECRUIT:
        recruitment(g, r, c, t0);
        break;
    case RANSOM:
        ransom(g, r, c, t0);
        break;
    case WAGE_POOL:
        wage_pool(g, r, c, t0);
        break;
    }
}
