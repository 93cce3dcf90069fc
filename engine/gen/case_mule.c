/*
 * case_mule.c - money_mule cases: accounts that receive illicit funds and pass them on.
 *
 * Variants (indicators from FATF, Europol EMMA, AUSTRAC/FINTRAC mule guidance):
 *   pass_through        inflows from unrelated senders forwarded within hours, out/in 0.8-1.0
 *   fan_in              many unrelated senders, then a few large transfers out
 *   fan_out             one or two large inflows split to many recipients
 *   young_burst         a newly opened account with high velocity in its first days
 *   test_then_large     a 1-5 EUR test credit, then large credits passed on
 *   cash_in_wire_out    cash deposits, then wires abroad
 *   offramp             inflows, then ATM cash and crypto purchases within hours
 *   structuring         many cash deposits of 9,000-9,900, then out
 *   herder              several mule accounts driven from one device and IP (both labelled)
 *   dormant_reactivated an account silent for long, suddenly moving money
 * Flows carry benign references ("loan", "car", "rent", "gift"). A weak case (is_weak) has
 * fewer flows, slower forwarding (a day or two) and a lower out/in ratio: still true, hard.
 */
#include "gen/gen.h"

#include <string.h>

const char *const dn__gen_mule_variants[DN__GEN_MULE_VARIANTS] = {
    "pass_through",     "fan_in",  "fan_out",     "young_burst", "test_then_large",
    "cash_in_wire_out", "offramp", "structuring", "herder",      "dormant_reactivated"};

enum {
    PASS_THROUGH,
    FAN_IN,
    FAN_OUT,
    YOUNG_BURST,
    TEST_THEN_LARGE,
    CASH_IN_WIRE_OUT,
    OFFRAMP,
    STRUCTURING,
    HERDER,
    DORMANT
};

static const char *const out_cc[] = {"LT", "NL", "RO", "TR", "HK", "AE", "GB", "DE", "DE", "ES"};

static bool is_young(const dn__gen *g, const dn__gen_party *p)
{
    return p->birth_year >= 1988 && p->segment != DN__SEG_SMB && !(p->flags & DN__F_DORMANT) &&
           p->opened_ms < g->cfg.start_ms;
}

static bool is_any_adult(const dn__gen *g, const dn__gen_party *p)
{
    return p->segment != DN__SEG_SMB && !(p->flags & DN__F_DORMANT) && p->birth_year <= 2004 &&
           p->opened_ms < g->cfg.start_ms;
}

static bool is_dormant(const dn__gen *g, const dn__gen_party *p)
{
    (void)g;
    return (p->flags & DN__F_DORMANT) != 0;
}

bool dn__gen_mule_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c)
{
    int n = 1;
    dn__gen_filter_cb f = dn__gen_rng_chance(r, 0.75) ? is_young : is_any_adult;
    if (c->variant == HERDER)
        n = (int)dn__gen_rng_range(r, c->is_weak ? 3 : 4, c->is_weak ? 4 : 9);
    if (c->variant == DORMANT)
        f = is_dormant;
    for (int k = 0; k < n; k++) {
        int32_t a = dn__gen_pick_customer(g, r, f);
        if (a < 0)
            a = dn__gen_pick_customer(g, r, is_any_adult);
        if (a < 0)
            break;
        c->acct[c->acct_count++] = a;
    }
    if (c->acct_count == 0)
        return false;
    if (c->variant == YOUNG_BURST) {
        /* The account is opened for the purpose: its whole life is the case. */
        dn__gen_party *p = &g->party[c->acct[0]];
        p->flags |= DN__F_CASE_ONLY;
        p->opened_ms = g->cfg.start_ms + (int64_t)c->start_day * DN__GEN_DAY_MS +
                       dn__gen_rng_range(r, 8, 20) * DN__GEN_HOUR_MS;
    }
    if (c->variant == HERDER)
        for (int k = 0; k < c->acct_count; k++)
            g->party[c->acct[k]].quiet_from = (uint16_t)c->start_day;
    return true;
}

typedef struct mule_ctx {
    dn__gen *g;
    dn__gen_rng *r;
    dn__gen_case *c;
    int32_t acct;
    int32_t device, ip; /* herder's session, or -1 for the account holder's own */
    int32_t dest[4];    /* onward accounts */
    int dest_count;
} mule_ctx;

static void session(mule_ctx *m, dn__gen_rec *e)
{
    if (m->device >= 0) {
        e->device = m->device;
        e->ip = m->ip;
        e->remote_access = 0;
        if (strcmp(e->channel, "online") == 0)
            e->channel = "mobile";
    } else {
        dn__gen_session(m->g, m->r, e, m->acct);
    }
}

static void benign_ref(mule_ctx *m, dn__gen_rec *e)
{
    dn__gen_ref(e, "%s", dn__gen_benign_refs[dn__gen_rng_below(m->r, dn__gen_benign_ref_count)]);
}

static int64_t forward_delay(mule_ctx *m)
{
    if (m->c->is_weak)
        return dn__gen_rng_range(m->r, 18, 60) * DN__GEN_HOUR_MS;
    return dn__gen_rng_range(m->r, 20, 8 * 60) * DN__GEN_MIN_MS;
}

static int64_t ratio_pct(mule_ctx *m)
{
    return m->c->is_weak ? dn__gen_rng_range(m->r, 55, 80) : dn__gen_rng_range(m->r, 82, 99);
}

/* An inflow from an unrelated sender at another bank. */
static int64_t inflow(mule_ctx *m, int64_t t, int64_t amt)
{
    int32_t from = dn__gen_stranger(m->g, m->r);
    dn__gen_rec *e = dn__gen_emit(m->g, t, DN_EV_TRANSFER, from, m->acct, amt);
    e->channel = dn__gen_rng_chance(m->r, 0.7) ? "instant" : "online";
    benign_ref(m, e);
    return amt;
}

/* Money out to an onward account (wire, instant) or off-ramped to crypto. */
static void outflow(mule_ctx *m, int64_t t, int64_t amt)
{
    dn__gen *g = m->g;
    int32_t to = m->dest[dn__gen_rng_below(m->r, (uint64_t)m->dest_count)];
    dn__gen_rec *e;
    if (dn__gen_rng_chance(m->r, 0.2)) {
        int32_t x = g->exchanges[dn__gen_rng_below(m->r, g->exchange_count)];
        e = dn__gen_emit(g, t, DN_EV_CRYPTO_BUY, m->acct, x, amt);
    } else {
        e = dn__gen_emit(g, t, DN_EV_TRANSFER, m->acct, to, amt);
        e->channel = strcmp(g->party[to].country, "DE") == 0 ? "instant" : "swift";
        benign_ref(m, e);
    }
    session(m, e);
}

/* Inflows one by one, each forwarded (possibly split) after a delay. */
static int64_t pass_through(mule_ctx *m, int64_t t, int n, int64_t median)
{
    for (int k = 0; k < n; k++) {
        int64_t amt = dn__gen_rng_lognorm(m->r, (double)median, 0.5, 15000, 2500000);
        amt -= amt % 500;
        inflow(m, t, amt);
        int64_t out = amt * ratio_pct(m) / 100;
        int parts = dn__gen_rng_chance(m->r, 0.3) ? 2 : 1;
        int64_t tt = t + forward_delay(m);
        for (int p = 0; p < parts; p++)
            outflow(m, tt + p * dn__gen_rng_range(m->r, 2, 40) * DN__GEN_MIN_MS, out / parts);
        t += dn__gen_rng_range(m->r, 3, m->c->is_weak ? 96 : 40) * DN__GEN_HOUR_MS;
    }
    return t;
}

static void play_one(mule_ctx *m, int64_t t0)
{
    dn__gen *g = m->g;
    dn__gen_rng *r = m->r;
    bool weak = m->c->is_weak;
    int64_t t = t0;
    dn__gen_rec *e;
    switch (m->c->variant) {
    case PASS_THROUGH:
    case HERDER:
    case DORMANT:
        pass_through(m, t, (int)dn__gen_rng_range(r, weak ? 2 : 4, weak ? 4 : 12), 180000);
        break;
    case YOUNG_BURST: {
        const dn__gen_party *p = &g->party[m->acct];
        e = dn__gen_emit(g, p->opened_ms, DN_EV_ACCOUNT_OPEN, m->acct, -1, 0);
        session(m, e);
        int64_t first = p->opened_ms + dn__gen_rng_range(r, 6, 48) * DN__GEN_HOUR_MS;
        int n = (int)dn__gen_rng_range(r, weak ? 3 : 6, weak ? 5 : 15);
        pass_through(m, first, n, 120000);
        break;
    }
    case FAN_IN: {
        int n = (int)dn__gen_rng_range(r, weak ? 6 : 10, weak ? 10 : 35);
        int64_t total = 0;
        for (int k = 0; k < n; k++) {
            int64_t amt = dn__gen_rng_lognorm(r, 40000, 0.6, 5000, 300000);
            total += inflow(m, t, amt - amt % 100);
            t += dn__gen_rng_range(r, 20, weak ? 24 * 60 : 8 * 60) * DN__GEN_MIN_MS;
        }
        int outs = (int)dn__gen_rng_range(r, 1, 3);
        int64_t out = total * ratio_pct(m) / 100 / outs;
        for (int k = 0; k < outs; k++)
            outflow(m, t + forward_delay(m) + k * DN__GEN_HOUR_MS, out - out % 100);
        break;
    }
    case FAN_OUT: {
        int64_t amt = dn__gen_rng_lognorm(r, weak ? 600000 : 1500000, 0.4, 200000, 6000000);
        inflow(m, t, amt - amt % 10000);
        int n = (int)dn__gen_rng_range(r, weak ? 3 : 6, weak ? 5 : 15);
        int64_t out = amt * ratio_pct(m) / 100 / n;
        t += forward_delay(m);
        for (int k = 0; k < n; k++) {
            int32_t to = dn__gen_stranger(g, r);
            e = dn__gen_emit(g, t + k * dn__gen_rng_range(r, 3, 50) * DN__GEN_MIN_MS,
                             DN_EV_TRANSFER, m->acct, to, out - out % 100);
            e->channel = "instant";
            session(m, e);
            benign_ref(m, e);
        }
        break;
    }
    case TEST_THEN_LARGE: {
        int32_t from = dn__gen_stranger(g, r);
        e = dn__gen_emit(g, t, DN_EV_TRANSFER, from, m->acct, dn__gen_rng_range(r, 1, 5) * 100);
        e->channel = "instant";
        dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "test" : "check");
        t += dn__gen_rng_range(r, 1, weak ? 72 : 12) * DN__GEN_HOUR_MS;
        for (int k = 0; k < (weak ? 1 : 3); k++) {
            e = dn__gen_emit(g, t, DN_EV_TRANSFER, from, m->acct,
                             dn__gen_rng_lognorm(r, 450000, 0.5, 100000, 3000000));
            e->channel = "instant";
            int64_t amt = e->amount_minor;
            benign_ref(m, e);
            int64_t at = t + forward_delay(m);
            outflow(m, at, amt * ratio_pct(m) / 100);
            t += dn__gen_rng_range(r, 10, 48) * DN__GEN_HOUR_MS;
        }
        break;
    }
    case CASH_IN_WIRE_OUT: {
        int n = (int)dn__gen_rng_range(r, weak ? 2 : 3, weak ? 3 : 8);
        int64_t total = 0;
        for (int k = 0; k < n; k++) {
            int64_t amt = dn__gen_rng_lognorm(r, 250000, 0.5, 50000, 990000);
            e = dn__gen_emit(g, t, DN_EV_CASH_DEPOSIT, -1, m->acct, amt - amt % 5000);
            e->channel = dn__gen_rng_chance(r, 0.5) ? "atm" : "branch";
            total += amt - amt % 5000;
            t += dn__gen_rng_range(r, 2, 30) * DN__GEN_HOUR_MS;
        }
        static const char *const far[] = {"HK", "AE", "TR", "CN", "SG"};
        int32_t to = dn__gen_fresh_account(g, r, far, 5, true);
        int64_t at = t + forward_delay(m);
        e = dn__gen_emit(g, at, DN_EV_TRANSFER, m->acct, to, total * ratio_pct(m) / 100);
        e->channel = "swift";
        if (dn__gen_rng_chance(r, 0.5))
            memcpy(e->currency, "USD", 4);
        dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "invoice payment" : "goods");
        session(m, e);
        break;
    }
    case OFFRAMP: {
        int n = (int)dn__gen_rng_range(r, weak ? 1 : 2, weak ? 3 : 6);
        for (int k = 0; k < n; k++) {
            int64_t amt = dn__gen_rng_lognorm(r, 150000, 0.5, 30000, 800000);
            inflow(m, t, amt - amt % 1000);
            int64_t tt = t + forward_delay(m);
            int64_t left = amt * ratio_pct(m) / 100;
            /* ATM cash up to the daily limit, the rest into crypto. */
            while (left > 100000) {
                e = dn__gen_emit(g, tt, DN_EV_CASH_WITHDRAWAL, m->acct, -1, 50000);
                left -= 50000;
                tt += dn__gen_rng_range(r, 5, 90) * DN__GEN_MIN_MS;
                if (dn__gen_rng_chance(r, 0.5))
                    break;
            }
            int32_t x = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
            e = dn__gen_emit(g, tt, DN_EV_CRYPTO_BUY, m->acct, x, left - left % 100);
            session(m, e);
            t += dn__gen_rng_range(r, 12, 96) * DN__GEN_HOUR_MS;
        }
        break;
    }
    case STRUCTURING: {
        int n = (int)dn__gen_rng_range(r, weak ? 3 : 5, weak ? 4 : 14);
        int64_t total = 0;
        for (int k = 0; k < n; k++) {
            int64_t amt = dn__gen_rng_range(r, weak ? 800000 : 900000, 990000);
            amt -= amt % 5000;
            e = dn__gen_emit(g, t, DN_EV_CASH_DEPOSIT, -1, m->acct, amt);
            e->channel = dn__gen_rng_chance(r, 0.6) ? "branch" : "atm";
            total += amt;
            t += dn__gen_rng_range(r, 3, weak ? 96 : 36) * DN__GEN_HOUR_MS;
        }
        int64_t at = t + forward_delay(m);
        outflow(m, at, total * ratio_pct(m) / 100);
        break;
    }
    }
}

void dn__gen_mule_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    mule_ctx m = {.g = g, .r = r, .c = c, .device = -1, .ip = -1};
    m.dest_count = (int)dn__gen_rng_range(r, 1, 3);
    for (int k = 0; k < m.dest_count; k++)
        m.dest[k] = dn__gen_fresh_account(g, r, out_cc, sizeof(out_cc) / sizeof(out_cc[0]),
                                          dn__gen_rng_chance(r, 0.3));
    if (c->variant == HERDER) {
        m.device = dn__gen_add_device(g, r);
        m.ip = dn__gen_add_ip(g, r, "DE");
        dn__gen_label_add(g, c, DN__GEN_LABEL_DEVICE, m.device);
        dn__gen_label_add(g, c, DN__GEN_LABEL_IP, m.ip);
    }
    for (int k = 0; k < c->acct_count; k++) {
        m.acct = c->acct[k];
        if (c->variant == HERDER) {
            dn__gen_rec *e = dn__gen_emit(g, t0 + k * dn__gen_rng_range(r, 5, 120) * DN__GEN_MIN_MS,
                                          DN_EV_LOGIN, m.acct, -1, 0);
            session(&m, e);
        }
        play_one(&m, t0 + k * dn__gen_rng_range(r, 1, 30) * DN__GEN_HOUR_MS);
    }
}
