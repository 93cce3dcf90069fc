/*
 * lookalike.c - honest behaviour that looks like crime: the reason detection is hard.
 *
 *   SMB        many payers in (invoices), suppliers out, payroll fan-out, cash takings
 *              deposited (some just under 10,000)
 *   LANDLORD   rents in from several tenants at the start of the month
 *   TREASURER  a club: many small membership fees in, one larger payment out
 *   DCA        crypto bought every month on the same day
 *   REMIT      money sent home every month (PH, VN, IN, TR, RO), some in PHP or USD
 *   SWEEP      salary moved to one's own savings at another bank within hours (pass-through)
 *   HOLIDAY    a flight (sometimes a hotel deposit wired abroad), then card spend and ATM
 *              cash in TH, PH or KH (Siem Reap: in USD), logins from there
 *   BIGPAY     an older customer's one-off large payment to a new payee (car, notary, house)
 *   (HELPER and shared devices/IPs are in emit.c and population.c.)
 *
 * Called once per customer per day after the ordinary day, drawing from g->rng.
 */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

static void smb_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    dn__gen_rec *e;
    if (p->payer_count && dn__gen_rng_chance(r, 0.45)) {
        int n = (int)dn__gen_rng_range(r, 1, 2);
        for (int k = 0; k < n; k++) {
            int32_t from = p->payers[dn__gen_rng_below(r, p->payer_count)];
            int64_t at = day_ms + dn__gen_daytime(r);
            e = dn__gen_emit(g, at, DN_EV_TRANSFER, from, c,
                             dn__gen_rng_lognorm(r, 45000, 0.9, 2000, 2000000));
            e->purpose = "GDDS";
            dn__gen_ref(e, "RE-%d-%05u", g->year, (unsigned)dn__gen_rng_below(r, 100000));
            p = &g->party[c];
        }
    }
    if (dn__gen_rng_chance(r, 0.12)) {
        int32_t to = g->employers[dn__gen_rng_below(r, g->employer_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_TRANSFER, c, to,
                         dn__gen_rng_lognorm(r, 80000, 0.8, 5000, 3000000));
        e->purpose = "SUPP";
        dn__gen_session(g, r, e, c);
        dn__gen_ref(e, "Lieferantenrechnung %u", (unsigned)dn__gen_rng_below(r, 1000000));
    }
    if (dn__gen_rng_chance(r, 0.12)) {
        /* Takings from the till; now and then a big day lands just under 10,000. */
        int64_t amt = dn__gen_rng_chance(r, 0.06)
                          ? dn__gen_rng_range(r, 900000, 990000)
                          : dn__gen_rng_lognorm(r, 120000, 0.7, 10000, 900000);
        e = dn__gen_emit(g, day_ms + dn__gen_rng_range(r, 16, 19) * DN__GEN_HOUR_MS,
                         DN_EV_CASH_DEPOSIT, -1, c, amt - amt % 500);
        e->channel = dn__gen_rng_chance(r, 0.5) ? "branch" : "atm";
    }
    if (p->payee_count && g->dom == p->pay_day) {
        int64_t t = day_ms + dn__gen_rng_range(r, 6, 10) * DN__GEN_HOUR_MS;
        int32_t dev = -1, ip = -1;
        for (uint16_t k = 0; k < p->payee_count; k++) {
            p = &g->party[c];
            int64_t at = t + k * dn__gen_rng_range(r, 5000, 60000);
            int64_t wage = dn__gen_rng_lognorm(r, 220000, 0.3, 60000, 600000);
            e = dn__gen_emit(g, at, DN_EV_TRANSFER, c, p->payees[k], wage);
            e->purpose = "SALA";
            if (dev < 0) {
                dn__gen_session(g, r, e, c);
                dev = e->device;
                ip = e->ip;
            } else {
                e->device = dev;
                e->ip = ip;
                e->remote_access = 0;
            }
            dn__gen_ref(e, "Lohn %02u/%d", g->month, g->year);
        }
    }
}

static void landlord_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    for (uint16_t k = 0; k < p->payer_count; k++) {
        if (g->dom != 1u + (k * 3u) % 5u)
            continue;
        int64_t rent = 45000 + (int64_t)((p->payers[k] * 2654435761u) % 90000u);
        dn__gen_rec *e = dn__gen_emit(g, day_ms + dn__gen_rng_range(r, 1, 10) * DN__GEN_HOUR_MS,
                                      DN_EV_TRANSFER, p->payers[k], c, rent - rent % 100);
        e->purpose = "RENT";
        dn__gen_ref(e, "Miete %02u/%d Whg %u", g->month, g->year, (unsigned)k + 1);
        p = &g->party[c];
    }
    if (g->dom == 15) {
        int32_t to = g->landlords[dn__gen_rng_below(r, g->landlord_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        dn__gen_rec *e = dn__gen_emit(g, at, DN_EV_TRANSFER, c, to,
                                      dn__gen_rng_lognorm(r, 60000, 0.5, 10000, 300000));
        dn__gen_session(g, r, e, c);
        dn__gen_ref(e, "Hausgeld %02u/%d", g->month, g->year);
    }
}

static void treasurer_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    if (g->dom <= 10) {
        for (uint16_t k = 0; k < p->payer_count; k++) {
            if (g->dom != 1u + (k * 7u) % 10u || !dn__gen_rng_chance(r, 0.85))
                continue;
            dn__gen_rec *e =
                dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_TRANSFER, p->payers[k], c,
                             g->month == 1 ? 6000 + 1000 * (k % 4) : 1500 + 500 * (k % 3));
            dn__gen_ref(e, "Mitgliedsbeitrag %s %d", g->month == 1 ? "Jahr" : "Monat", g->year);
            p = &g->party[c];
        }
    }
    if (g->dom == 20) {
        int32_t to = g->dealers[dn__gen_rng_below(r, g->dealer_count)];
        int64_t at = day_ms + dn__gen_daytime(r);
        dn__gen_rec *e = dn__gen_emit(g, at, DN_EV_TRANSFER, c, to,
                                      dn__gen_rng_lognorm(r, 90000, 0.6, 20000, 600000));
        dn__gen_session(g, r, e, c);
        dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "Hallenmiete Verein" : "Trikots");
    }
}

static void holiday_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    int rel = (int)g->day - p->la_day;
    int len = 8 + (int)((uint32_t)c % 13u);
    /* Where to: Thailand most, the Philippines, now and then Cambodia (which pays in USD). */
    static const char *const dest_cc[] = {"TH", "TH", "TH", "PH", "PH", "KH", "TH"};
    static const char *const dest_cur[] = {"THB", "THB", "THB", "PHP", "PHP", "USD", "THB"};
    static const int64_t dest_fx[] = {38, 38, 38, 62, 62, 1, 38};
    unsigned dest = (unsigned)c % 7u;
    const char *cc = dest_cc[dest];
    dn__gen_rec *e;
    if (rel == 0) {
        int32_t m = g->merchants[0];
        for (uint32_t k = 0; k < g->merchant_count; k++)
            if (g->party[g->merchants[k]].mcc == 4511)
                m = g->merchants[k];
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CARD, c, m,
                         dn__gen_rng_lognorm(r, 110000, 0.4, 40000, 500000));
        e->mcc = 4511;
        e->channel = "card_not_present";
        if (c % 4 == 0) { /* a deposit wired to the hotel or tour operator */
            char name[80];
            dn__gen_company_name(r, name, sizeof(name));
            int32_t hotel = dn__gen_add_external(g, r, cc, name);
            int64_t at = day_ms + dn__gen_daytime(r);
            e = dn__gen_emit(g, at, DN_EV_TRANSFER, c, hotel, dn__gen_rng_range(r, 150, 900) * 100);
            e->channel = "swift";
            dn__gen_session(g, r, e, c);
            dn__gen_ref(e, "Booking %u deposit", (unsigned)dn__gen_rng_below(r, 1000000));
        }
        return;
    }
    if (rel < 4 || rel >= 4 + len)
        return;
    const char *cur = dest_cur[dest];
    int64_t fx = dest_fx[dest];
    int n = (int)dn__gen_rng_range(r, 1, 4);
    for (int k = 0; k < n; k++) {
        int32_t m = -1;
        for (int t = 0; t < 8; t++) {
            m = g->abroad_merchants[dn__gen_rng_below(r, g->abroad_merchant_count)];
            if (strcmp(g->party[m].country, cc) == 0)
                break;
        }
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CARD, c, m,
                         fx * dn__gen_rng_lognorm(r, 3000, 0.9, 200, 60000));
        memcpy(e->currency, cur, 4);
        e->mcc = g->party[m].mcc;
    }
    if (rel % 3 == 1) {
        int64_t at = day_ms + dn__gen_daytime(r);
        e = dn__gen_emit(g, at, DN_EV_CASH_WITHDRAWAL, c, -1,
                         fx * 100 * 50 * dn__gen_rng_range(r, 1, 6));
        memcpy(e->currency, cur, 4);
    }
    if (dn__gen_rng_chance(r, 0.3)) {
        e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_LOGIN, c, -1, 0);
        dn__gen_session(g, r, e, c);
        e->ip = dn__gen_add_ip(g, r, cc); /* hotel wifi */
    }
}

static void bigpay_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    static const char *const refs[] = {"Kaufvertrag Fahrzeug vom %02u.%02u.",
                                       "Notaranderkonto UR-Nr. %u/%u",
                                       "Anzahlung Kaufpreis Wohnung",
                                       "Anzahlung Küche",
                                       "Restzahlung Rechnung %u",
                                       "Kaution Seniorenresidenz"};
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    int rel = (int)g->day - p->la_day;
    if (rel != 0 && rel != 9)
        return;
    if (rel == 9 && (c % 3) != 0)
        return;
    int32_t to = g->dealers[(uint32_t)c % g->dealer_count];
    int64_t amt = rel == 0 ? dn__gen_rng_lognorm(r, 1800000, 0.6, 500000, 9000000)
                           : dn__gen_rng_lognorm(r, 600000, 0.5, 100000, 3000000);
    int64_t t = day_ms + dn__gen_rng_range(r, 9, 16) * DN__GEN_HOUR_MS;
    dn__gen_rec *e = dn__gen_emit(g, t, DN_EV_TRANSFER, c, to, amt - amt % 10000);
    if (dn__gen_rng_chance(r, 0.4)) {
        e->channel = "branch";
    } else {
        dn__gen_session(g, r, e, c);
    }
    unsigned ref = (unsigned)dn__gen_rng_below(r, sizeof(refs) / sizeof(refs[0]));
    unsigned a = ref == 0 ? g->dom : (unsigned)dn__gen_rng_range(r, 100, 999);
    unsigned b = ref == 0 ? g->month : (unsigned)g->year;
    dn__gen_ref(e, refs[ref], a, b);
    if (ref == 0)
        e->purpose = "GDDS";
}

void dn__gen_lookalike_day(dn__gen *g, int32_t c, int64_t day_ms)
{
    dn__gen_rng *r = &g->rng;
    const dn__gen_party *p = &g->party[c];
    uint32_t f = p->flags;
    if ((f & (DN__F_CASE_ONLY | DN__F_DORMANT)) || g->day >= p->quiet_from ||
        p->opened_ms >= day_ms + DN__GEN_DAY_MS)
        return;
    if (f & DN__LA_SMB)
        smb_day(g, c, day_ms);
    if (f & DN__LA_LANDLORD)
        landlord_day(g, c, day_ms);
    if (f & DN__LA_TREASURER)
        treasurer_day(g, c, day_ms);
    if (f & DN__LA_HOLIDAY)
        holiday_day(g, c, day_ms);
    if (f & DN__LA_BIGPAY)
        bigpay_day(g, c, day_ms);
    p = &g->party[c];
    dn__gen_rec *e;
    if ((f & DN__LA_DCA) && g->dom == p->dca_day) {
        int32_t x = g->exchanges[(uint32_t)c % g->exchange_count];
        int64_t amt = 2500 * (1 + (int64_t)((uint32_t)c % 20u));
        if ((c & 1) == 0) {
            e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_CRYPTO_BUY, c, x, amt);
        } else {
            e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_TRANSFER, c, x, amt);
            e->channel = "instant";
            /* Honest investors write what scam platforms ask victims to write. */
            static const char *const refs[] = {"Einzahlung", "investment", "account top up",
                                               "BTC investment"};
            if (c % 3 == 0)
                dn__gen_ref(e, "%s", refs[(uint32_t)c / 3u % 4u]);
            else
                dn__gen_ref(e, "Sparplan BTC %u", (unsigned)((uint32_t)c * 31u % 100000u));
        }
        dn__gen_session(g, r, e, c);
    }
    if ((f & DN__LA_REMIT) && g->dom == p->remit_day && p->abroad >= 0) {
        static const char *const refs[] = {
            "for family", "school fees",  "padala",  "for Nanay", "Unterstützung Familie",
            "medicine",   "house repair", "for mama"};
        int64_t amt = dn__gen_rng_lognorm(r, 30000, 0.5, 5000, 250000);
        e = dn__gen_emit(g, day_ms + dn__gen_daytime(r), DN_EV_TRANSFER, c, p->abroad, amt);
        const char *cc = g->party[p->abroad].country;
        if (strcmp(cc, "PH") == 0 && (c % 3) == 0) {
            memcpy(e->currency, "PHP", 4);
            e->amount_minor = amt * 62;
        } else if ((strcmp(cc, "VN") == 0 || strcmp(cc, "IN") == 0) && (c % 3) == 1) {
            memcpy(e->currency, "USD", 4);
            e->amount_minor = amt * 108 / 100;
        }
        e->channel = dn__gen_rng_chance(r, 0.6) ? "swift" : "online";
        dn__gen_session(g, r, e, c);
        dn__gen_ref(e, "%s", DN__GEN_PICK(r, refs));
    }
    if ((f & DN__LA_SWEEP) && p->employer >= 0 && g->dom == p->pay_day && p->savings >= 0) {
        int64_t amt = p->income_minor * (50 + (int64_t)((uint32_t)c % 40u)) / 100;
        e = dn__gen_emit(g, day_ms + dn__gen_rng_range(r, 10, 14) * DN__GEN_HOUR_MS, DN_EV_TRANSFER,
                         c, p->savings, amt - amt % 1000);
        e->channel = "instant";
        e->purpose = "SAVG";
        dn__gen_session(g, r, e, c);
        dn__gen_ref(e, "%s", (c & 1) ? "Umbuchung Tagesgeld" : "Sparen");
    }
}
