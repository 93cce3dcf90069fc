/*
 * ordinary.c - one customer's ordinary day: account opening, salary or pension, rent, bills,
 * card spend, cash, small transfers to and from friends and family, logins, and the odd
 * foreign transfer or crypto purchase that ordinary people make too.
 *
 * Called once per customer per day, in customer order, drawing from g->rng. Customers whose
 * life belongs to a case (DN__F_CASE_ONLY) or who are dormant do nothing here.
 */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

static const char *const month_de[] = {"Januar",    "Februar", "März",     "April",
                                       "Mai",       "Juni",    "Juli",     "August",
                                       "September", "Oktober", "November", "Dezember"};

typedef struct spend_kind {
    double median, sigma;
    bool is_cnp;
} spend_kind;

static spend_kind spend_for(int32_t mcc)
{
    switch (mcc) {
    case 5411:
        return (spend_kind){3500, 0.6, false};
    case 5812:
        return (spend_kind){2800, 0.5, false};
    case 5814:
        return (spend_kind){1100, 0.4, false};
    case 5541:
        return (spend_kind){6000, 0.3, false};
    case 5912:
        return (spend_kind){1800, 0.6, false};
    case 5651:
        return (spend_kind){5500, 0.6, false};
    case 5732:
        return (spend_kind){12000, 0.9, false};
    case 4111:
        return (spend_kind){1200, 0.6, false};
    case 5999:
        return (spend_kind){4000, 0.8, true};
    case 4899:
        return (spend_kind){1299, 0.2, true};
    case 4511:
        return (spend_kind){25000, 0.6, true};
    case 5499:
        return (spend_kind){600, 0.4, false};
    default:
        return (spend_kind){3000, 0.6, false};
    }
}

static void card(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    int32_t m = g->merchants[dn__gen_rng_below(r, g->merchant_count)];
    if (g->party[m].mcc == 4511) /* flights are bought for holidays (lookalike.c) */
        m = g->merchants[dn__gen_rng_below(r, g->merchant_count)];
    spend_kind k = spend_for(g->party[m].mcc);
    int64_t at = day_ms + dn__gen_daytime(r);
    dn__gen_rec *e = dn__gen_emit(g, at, DN_EV_CARD, c, m,
                                  dn__gen_rng_lognorm(r, k.median, k.sigma, 50, 300000));
    e->mcc = g->party[m].mcc;
    e->channel = k.is_cnp ? "card_not_present" : "card_present";
}

/* Friends and family use the words mule flows hide behind too (loan, car, rent, gift, test). */
static const char *const p2p_refs[] = {"Essen gestern",
                                       "Danke!",
                                       "Konzertkarten",
                                       "Geschenk",
                                       "Anteil Urlaub",
                                       "Pizza",
                                       "Geburtstag",
                                       "Miete Anteil",
                                       "Rückzahlung",
                                       "Tickets",
                                       "Kino",
                                       "for dinner",
                                       "",
                                       "loan",
                                       "Darlehen",
                                       "Auto",
                                       "car",
                                       "rent",
                                       "gift",
                                       "Rückzahlung Darlehen",
                                       "test",
                                       ""};

static void p2p_out(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    double u = dn__gen_rng_unit(r);
    int32_t to;
    if (u < 0.6) {
        to = g->persons[dn__gen_rng_below(r, g->person_count)];
    } else {
        to = (int32_t)dn__gen_rng_below(r, g->customer_count);
        /* Household members pay each other most. */
        if (u < 0.8 && c + 1 < (int32_t)g->customer_count &&
            g->party[c + 1].household == p->household)
            to = c + 1;
    }
    if (to == c)
        return;
    int64_t amt = dn__gen_rng_lognorm(r, 4000, 0.9, 500, 80000);
    if (dn__gen_rng_chance(r, 0.7)) /* people send round sums */
        amt -= amt % (amt > 5000 ? 1000 : 500);
    dn__gen_rec *e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_TRANSFER, c, to, amt);
    e->channel = dn__gen_rng_chance(r, 0.6) ? "instant" : "mobile";
    dn__gen_session(g, r, e, c);
    dn__gen_ref(e, "%s", DN__GEN_PICK(r, p2p_refs));
}

static void account_open(dn__gen *g, int32_t c)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    dn__gen_rec *e = dn__gen_emit(g, p->opened_ms, DN_EV_ACCOUNT_OPEN, c, -1, 0);
    e->channel = dn__gen_rng_chance(r, 0.7) ? "online" : "branch";
    if (strcmp(e->channel, "online") == 0)
        dn__gen_session(g, r, e, c);
    /* New accounts are busy too: a first credit, sometimes a rental deposit at once. */
    if (dn__gen_rng_chance(r, 0.6)) {
        int32_t from = g->persons[dn__gen_rng_below(r, g->person_count)];
        int64_t at = p->opened_ms + dn__gen_rng_range(r, 1, 48) * DN__GEN_HOUR_MS;
        int64_t amt = dn__gen_rng_lognorm(r, 60000, 0.8, 2000, 500000);
        e = dn__gen_emit(g, at, DN_EV_TRANSFER, from, c, amt);
        dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "Startguthaben" : "Umzug");
        if (p->landlord >= 0 && dn__gen_rng_chance(r, 0.5)) {
            e = dn__gen_emit(g, p->opened_ms + dn__gen_rng_range(r, 50, 120) * DN__GEN_HOUR_MS,
                             DN_EV_TRANSFER, c, p->landlord, 3 * p->rent_minor);
            e->channel = "instant";
            dn__gen_session(g, r, e, c);
            dn__gen_ref(e, "Mietkaution");
        }
    }
}

void dn__gen_ordinary_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    if ((p->flags & (DN__F_CASE_ONLY | DN__F_DORMANT)) || g->day >= p->quiet_from)
        return;
    if (p->opened_ms >= day_ms + DN__GEN_DAY_MS)
        return;
    if (p->opened_ms >= day_ms) {
        account_open(g, c);
        p = &g->party[c];
    }
    const unsigned dom = g->dom, dim = g->dim;
    dn__gen_rec *e;

    /* Salary, pension, allowance. */
    if (p->employer >= 0 && !(p->flags & DN__LA_SMB) &&
        dom == (p->pay_day > dim ? dim : p->pay_day)) {
        int64_t amt =
            p->income_minor + dn__gen_rng_range(r, -p->income_minor / 40, p->income_minor / 40);
        int64_t at = day_ms + dn__gen_rng_range(r, 4, 9) * DN__GEN_HOUR_MS;
        at += dn__gen_rng_range(r, 0, DN__GEN_HOUR_MS);
        e = dn__gen_emit(g, at, DN_EV_TRANSFER, p->employer, c, amt);
        if (p->segment == DN__SEG_SENIOR) {
            e->purpose = "PENS";
            dn__gen_ref(e, "Rente %02u/%d", g->month, g->year);
        } else if (p->flags & DN__F_ALLOWANCE) {
            dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "Taschengeld" : "Unterhalt");
        } else {
            e->purpose = "SALA";
            dn__gen_ref(e, "Lohn/Gehalt %s %d", month_de[g->month - 1], g->year);
        }
    }
    if (p->landlord >= 0 && dom == p->rent_day) {
        e = dn__gen_emit(g, day_ms + dn__gen_rng_range(r, 2, 6) * DN__GEN_HOUR_MS, DN_EV_TRANSFER,
                         c, p->landlord, p->rent_minor);
        e->purpose = "RENT";
        dn__gen_ref(e, "Miete %s %d", month_de[g->month - 1], g->year);
    }
    if (dom == p->util_day) {
        for (int k = 0; k < 1 + (c & 1); k++) {
            int32_t u = p->utility[k];
            int64_t amt = dn__gen_rng_lognorm(r, 6500, 0.5, 999, 30000);
            e = dn__gen_emit(g, day_ms + dn__gen_rng_range(r, 3, 8) * DN__GEN_HOUR_MS,
                             DN_EV_TRANSFER, c, u, amt);
            const char *n = g->party[u].name;
            e->purpose =
                strstr(n, "Energie") || strstr(n, "Vattenfall") || strstr(n, "E.ON") ? "ELEC"
                : strstr(n, "Telekom") || strstr(n, "Vodafone") || strstr(n, "1&1")  ? "PHON"
                : strstr(n, "Versicherung") || strstr(n, "HUK")                      ? "INSU"
                                                                                     : NULL;
            dn__gen_ref(e, "Kd-Nr %06u Abschlag %02u/%d", (unsigned)(c * 7919u % 1000000u),
                        g->month, g->year);
        }
    }
    if (dn__gen_rng_chance(r, p->card_rate))
        card(g, c, day_ms);
    if (dn__gen_rng_chance(r, p->card_rate * 0.3))
        card(g, c, day_ms);
    if (dn__gen_rng_chance(r, p->cash_rate)) {
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CASH_WITHDRAWAL, c, -1,
                         20 * 100 *
                             dn__gen_rng_range(r, 1, p->segment == DN__SEG_SENIOR ? 25 : 12));
        if (p->segment == DN__SEG_SENIOR && dn__gen_rng_chance(r, 0.3))
            e->channel = "branch";
    }
    if (dn__gen_rng_chance(r, p->p2p_rate))
        p2p_out(g, c, day_ms);
    if (dn__gen_rng_chance(r, 0.012)) {
        int32_t from = g->persons[dn__gen_rng_below(r, g->person_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_TRANSFER, from, c,
                         dn__gen_rng_lognorm(r, 5000, 1.0, 500, 150000));
        e->channel = "instant";
        dn__gen_ref(e, "%s", DN__GEN_PICK(r, p2p_refs));
    }
    if (dn__gen_rng_chance(r, p->login_rate)) {
        e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_LOGIN, c, -1, 0);
        dn__gen_session(g, r, e, c);
    }
    /* What ordinary people do now and then: pay abroad, try crypto, sell some. */
    if (dn__gen_rng_chance(r, 0.003)) {
        static const char *const cc[] = {"AT", "NL", "PL", "FR", "ES", "IT", "RO"};
        int32_t to = g->persons[dn__gen_rng_below(r, g->person_count)];
        if (strcmp(g->party[to].country, "DE") == 0)
            to = dn__gen_add_external(g, r, DN__GEN_PICK(r, cc), g->party[to].name);
        if (to >= 0) {
            int64_t amt = dn__gen_rng_lognorm(r, 25000, 1.0, 2000, 500000);
            e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_TRANSFER, c, to,
                             amt - amt % 1000);
            dn__gen_session(g, r, e, c);
            dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "Ferienwohnung" : "Rechnung");
        }
    }
    p = &g->party[c]; /* adding a counterparty may have moved the table */
    if (p->segment != DN__SEG_SENIOR && dn__gen_rng_chance(r, 0.002)) {
        int32_t x = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CRYPTO_BUY, c, x,
                         dn__gen_rng_lognorm(r, 15000, 0.9, 1000, 300000));
        dn__gen_session(g, r, e, c);
    }
    if (p->segment != DN__SEG_SENIOR && dn__gen_rng_chance(r, 0.0008)) {
        int32_t x = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CRYPTO_SELL, x, c,
                         dn__gen_rng_lognorm(r, 30000, 1.0, 1000, 900000));
    }
}
