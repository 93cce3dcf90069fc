/*
 * population.c - the bank's customers: households, segments, income, rent, bills, devices and
 * home IPs, and the look-alike roles some of them play.
 *
 * Customers are party[0 .. customer_count); externals (externals.c) follow. Households share a
 * home IP; some families share a tablet; students share a flat's IP. A few percent of customers
 * are opened during the period (they get account_open events). Look-alike roles are set here as
 * flags and played out day by day in lookalike.c. Everything is drawn from g->rng in a fixed
 * order.
 */
#include "dragnet/error.h"
#include "gen/gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills in one customer of household hh. */
static void make_customer(dn__gen *g, dn__gen_rng *r, int32_t i, uint8_t seg, const char *last,
                          const char *origin, int32_t hh, int32_t home_ip, int32_t shared_dev)
{
    dn__gen_party *p = &g->party[i];
    int64_t start = g->cfg.start_ms;
    char id[40], name[160], first[64];
    dn__gen_iban(g, NULL, "DE", true, id);
    dn__gen_person_name(r, origin, first, sizeof(first));
    char *sp = strchr(first, ' ');
    if (sp)
        *sp = '\0';
    snprintf(name, sizeof(name), "%s %s", first, last);
    p->id = dn__gen_strdup(g, id);
    p->name = dn__gen_strdup(g, name);
    p->bank = dn__gen_our_bank;
    memcpy(p->country, "DE", 3);
    p->is_customer = true;
    p->segment = seg;
    p->household = hh;
    p->home_ip = home_ip;
    p->shared_device = shared_dev;
    p->phone = dn__gen_add_device(g, r);
    static const char *const abroad_res[] = {"AT", "NL", "PL", "FR", "CZ", "DK"};
    memcpy(p->residence, dn__gen_rng_chance(r, 0.04) ? DN__GEN_PICK(r, abroad_res) : "DE", 3);
    switch (seg) {
    case DN__SEG_STUDENT:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1999, 2007);
        break;
    case DN__SEG_SENIOR:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1935, 1960);
        break;
    case DN__SEG_SMB:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1955, 1995);
        break;
    default:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1950, 2003);
    }
    /* A few percent open during the period; the rest years before it. */
    int64_t period = (int64_t)g->cfg.days * DN__GEN_DAY_MS;
    if (dn__gen_rng_chance(r, 0.04)) {
        p->opened_ms = start + (int64_t)dn__gen_rng_below(r, (uint64_t)period);
    } else {
        int64_t max_years = seg == DN__SEG_STUDENT ? 5 : 30;
        int64_t days_before = dn__gen_rng_range(r, 30, 365 * max_years);
        int64_t hour = dn__gen_rng_range(r, 8, 18);
        p->opened_ms = start - DN__GEN_DAY_MS * days_before + hour * DN__GEN_HOUR_MS;
    }
    p->opened_ms -= p->opened_ms % DN__GEN_MIN_MS;

    /* Income, rent, bills. */
    if (seg == DN__SEG_SENIOR) {
        p->employer = g->pension[dn__gen_rng_below(r, g->pension_count)];
        p->income_minor = dn__gen_rng_lognorm(r, 145000, 0.35, 70000, 400000);
        p->pay_day = 28;
    } else if (seg == DN__SEG_STUDENT) {
        if (dn__gen_rng_chance(r, 0.5)) {
            p->employer = g->employers[dn__gen_rng_below(r, g->employer_count)];
        } else {
            p->employer = g->persons[dn__gen_rng_below(r, g->person_count)];
            p->flags |= DN__F_ALLOWANCE;
        }
        p->income_minor = dn__gen_rng_lognorm(r, 70000, 0.35, 25000, 160000);
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 1, 5);
    } else if (seg == DN__SEG_RETAIL) {
        if (dn__gen_rng_chance(r, 0.93)) {
            p->employer = g->employers[dn__gen_rng_below(r, g->employer_count)];
            p->income_minor = dn__gen_rng_lognorm(r, 280000, 0.35, 110000, 1200000);
        }
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 25, 28);
    }
    double rent_p = seg == DN__SEG_SENIOR ? 0.4 : seg == DN__SEG_SMB ? 0.5 : 0.7;
    if (dn__gen_rng_chance(r, rent_p)) {
        p->landlord = g->landlords[dn__gen_rng_below(r, g->landlord_count)];
        p->rent_minor =
            dn__gen_rng_lognorm(r, seg == DN__SEG_STUDENT ? 45000 : 85000, 0.3, 25000, 350000);
        p->rent_day = (uint8_t)dn__gen_rng_range(r, 1, 3);
    }
    p->utility[0] = g->utilities[dn__gen_rng_below(r, g->utility_count)];
    p->utility[1] = g->utilities[dn__gen_rng_below(r, g->utility_count)];
    p->util_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    p->card_rate = (float)(seg == DN__SEG_SENIOR ? 0.04 + 0.06 * dn__gen_rng_unit(r)
                                                 : 0.05 + 0.12 * dn__gen_rng_unit(r));
    p->cash_rate = (float)(seg == DN__SEG_SENIOR ? 0.05 + 0.05 * dn__gen_rng_unit(r)
                                                 : 0.01 + 0.03 * dn__gen_rng_unit(r));
    p->p2p_rate = (float)(0.01 + 0.03 * dn__gen_rng_unit(r));
    p->login_rate = (float)(0.015 + 0.04 * dn__gen_rng_unit(r));

    /* Look-alike roles. */
    double months = g->cfg.days / 30.0;
    if (seg == DN__SEG_SMB) {
        p->flags |= DN__LA_SMB;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 15, 120);
        p->payers = dn__gen_pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = dn__gen_rng_chance(r, 0.6)
                               ? g->persons[dn__gen_rng_below(r, g->person_count)]
                               : g->employers[dn__gen_rng_below(r, g->employer_count)];
        p->payee_count = (uint16_t)dn__gen_rng_range(r, 0, 9);
        p->payees = dn__gen_pool_alloc(g, p->payee_count);
        for (uint16_t k = 0; p->payees && k < p->payee_count; k++)
            p->payees[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
        p->income_minor = dn__gen_rng_lognorm(r, 250000, 0.4, 120000, 600000); /* wages */
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 25, 28);
    }
    if (seg != DN__SEG_STUDENT && p->birth_year < 1980 && dn__gen_rng_chance(r, 0.012)) {
        p->flags |= DN__LA_LANDLORD;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 2, 8);
        p->payers = dn__gen_pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
    } else if (dn__gen_rng_chance(r, 0.004)) {
        p->flags |= DN__LA_TREASURER;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 20, 80);
        p->payers = dn__gen_pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
    }
    if (seg != DN__SEG_SENIOR && dn__gen_rng_chance(r, seg == DN__SEG_STUDENT ? 0.06 : 0.035)) {
        p->flags |= DN__LA_DCA;
        p->dca_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    }
    bool is_migrant =
        strcmp(origin, "PH") == 0 || strcmp(origin, "VN") == 0 || strcmp(origin, "IN") == 0;
    if ((is_migrant && dn__gen_rng_chance(r, 0.7)) || dn__gen_rng_chance(r, 0.004)) {
        p->flags |= DN__LA_REMIT;
        const char *home = is_migrant ? origin : (dn__gen_rng_chance(r, 0.5) ? "TR" : "RO");
        char fam[160], fn[64];
        dn__gen_person_name(r, home, fn, sizeof(fn));
        sp = strchr(fn, ' ');
        if (sp)
            *sp = '\0';
        snprintf(fam, sizeof(fam), "%s %s", fn, last);
        int32_t acct = dn__gen_add_external(g, r, home, fam);
        p = &g->party[i]; /* the table may have moved */
        p->abroad = acct;
        p->remit_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    }
    if (p->employer >= 0 && seg == DN__SEG_RETAIL && dn__gen_rng_chance(r, 0.05)) {
        static const char *const cc[] = {"DE", "DE", "DE", "LT", "NL"};
        p->flags |= DN__LA_SWEEP;
        char own[80];
        snprintf(own, sizeof(own), "%s", p->name);
        int32_t acct = dn__gen_add_external(g, r, DN__GEN_PICK(r, cc), own);
        p = &g->party[i];
        p->savings = acct;
    }
    if (seg != DN__SEG_SMB && dn__gen_rng_chance(r, 0.02 * months)) {
        p->flags |= DN__LA_HOLIDAY;
        p->la_day = (int16_t)dn__gen_rng_below(r, g->cfg.days);
    } else if (p->birth_year <= 1966 && dn__gen_rng_chance(r, 0.008 * months)) {
        p->flags |= DN__LA_BIGPAY;
        p->la_day = (int16_t)dn__gen_rng_below(r, g->cfg.days);
    }
    if (seg == DN__SEG_SENIOR && dn__gen_rng_chance(r, 0.01))
        p->flags |= DN__LA_HELPER;
    if (p->opened_ms < start && dn__gen_rng_chance(r, 0.02))
        p->flags |= DN__F_DORMANT;
}

int dn__gen_population(dn__gen *g)
{
    dn__gen_rng *r = &g->rng;
    uint32_t n = g->cfg.accounts;
    /* Customers first, so that they are party[0 .. n). Their externals come after. */
    g->party = calloc((size_t)n + 64, sizeof(*g->party));
    if (!g->party)
        return g->rc = DN_ENOMEM;
    g->party_cap = (size_t)n + 64;
    g->party_count = n;
    for (uint32_t i = 0; i < n; i++) {
        memset(&g->party[i], 0, sizeof(g->party[i]));
        g->party[i].household = g->party[i].phone = g->party[i].shared_device = -1;
        g->party[i].home_ip = g->party[i].employer = g->party[i].landlord = -1;
        g->party[i].savings = g->party[i].abroad = -1;
        g->party[i].quiet_from = UINT16_MAX;
    }
    g->customer_count = n;
    dn__gen_externals(g, r);

    static const char *const origins[] = {"DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                          "DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                          "PL", "TR", "PH", "VN", "IN", "DE"};
    uint32_t i = 0;
    int32_t hh = 0;
    while (i < n && !g->rc) {
        double u = dn__gen_rng_unit(r);
        uint8_t seg;
        uint32_t size;
        if (u < 0.07) {
            seg = DN__SEG_STUDENT; /* a shared flat */
            size = (uint32_t)dn__gen_rng_range(r, 2, 5);
        } else if (u < 0.19) {
            seg = DN__SEG_SENIOR;
            size = (uint32_t)dn__gen_rng_range(r, 1, 2);
        } else if (u < 0.24) {
            seg = DN__SEG_SMB;
            size = 1;
        } else {
            seg = DN__SEG_RETAIL;
            size = (uint32_t)dn__gen_rng_range(r, 1, 4);
        }
        if (size > n - i)
            size = n - i;
        int32_t home_ip = dn__gen_add_ip(g, r, "DE");
        int32_t shared = -1;
        if (seg != DN__SEG_STUDENT && size > 1 && dn__gen_rng_chance(r, 0.4))
            shared = dn__gen_add_device(g, r);
        const char *origin = DN__GEN_PICK(r, origins);
        char family[64];
        dn__gen_person_name(r, origin, family, sizeof(family));
        char last[64];
        snprintf(last, sizeof(last), "%s", dn__gen_last_name(family));
        for (uint32_t k = 0; k < size; k++, i++) {
            if (seg == DN__SEG_STUDENT && k > 0) { /* flatmates are not family */
                origin = DN__GEN_PICK(r, origins);
                dn__gen_person_name(r, origin, family, sizeof(family));
                snprintf(last, sizeof(last), "%s", dn__gen_last_name(family));
            }
            uint8_t s = seg == DN__SEG_RETAIL && k >= 2 ? DN__SEG_STUDENT : seg;
            make_customer(g, r, (int32_t)i, s, last, origin, hh, home_ip, shared);
        }
        hh++;
    }
    return g->rc;
}

int32_t dn__gen_pick_customer(dn__gen *g, dn__gen_rng *r, dn__gen_filter_cb filter)
{
    if (g->customer_count == 0)
        return -1;
    for (int tries = 0; tries < 4000; tries++) {
        int32_t i = (int32_t)dn__gen_rng_below(r, g->customer_count);
        dn__gen_party *p = &g->party[i];
        if (p->flags & DN__F_IN_CASE)
            continue;
        if (filter && !filter(g, p))
            continue;
        p->flags |= DN__F_IN_CASE;
        return i;
    }
    return -1;
}
