/*
 * case_victim.c - scam_victim cases: customers pushed into paying scammers (authorised push
 * payment fraud, "pig butchering"). The victim's account is what is labelled.
 *
 * Variants (FinCEN FIN-2023-Alert005, UNODC and INTERPOL on SE-Asian scam centres):
 *   new_payee_large     a first payment to a new payee, large for this customer
 *   first_crypto        first ever crypto-exchange payments, growing
 *   ladder              escalating payments to one new payee over days or weeks
 *   bait                a small "profit" credit from the scammer, then much larger payments to it
 *   fee_refs            references of fees, tax, unlock, withdrawal, USDT, "release funds"
 *   remote_access       payments made inside a remote-access-tool session
 *   elderly_drain       an older customer (born 1960s or before) draining savings to new payees
 *   hotspot             payments to accounts in KH, MM, LA, PH, TH, AE, HK
 * Every case also mixes in a few features of the others at random. A weak case is one or two
 * moderate payments with an ordinary-looking reference to a domestic account, except for the
 * feature that defines its variant: a weak remote_access case still pays inside a remote
 * session, a weak hotspot case still pays a hotspot account, a weak fee_refs case still names
 * the fee.
 */
#include "gen/gen.h"

#include <string.h>

const char *const dn__gen_victim_variants[DN__GEN_VICTIM_VARIANTS] = {
    "new_payee_large", "first_crypto",  "ladder",        "bait",
    "fee_refs",        "remote_access", "elderly_drain", "hotspot"};

enum { NEW_PAYEE, FIRST_CRYPTO, LADDER, BAIT, FEE_REFS, REMOTE, ELDERLY, HOTSPOT };

static const char *const hotspots[] = {"KH", "MM", "LA", "PH", "TH", "AE", "HK"};
static const char *const domestic[] = {"DE", "DE", "LT", "NL"};
static const char *const invest_refs[] = {
    "investment",    "deposit trading account", "Einzahlung Plattform",
    "USDT purchase", "account top up",          "BTC investment",
    "Anlage"};
static const char *const fee_refs[] = {
    "withdrawal fee", "tax clearance fee",        "unlock fee",
    "release funds",  "USDT withdrawal tax",      "account verification fee",
    "Freigabegebühr", "security deposit release", "anti money laundering fee"};
static const char *const plain_refs[] = {"Rechnung", "invoice 2026", "payment", "Darlehen",
                                         "Beratung"};

static bool is_adult(const dn__gen *g, const dn__gen_party *p)
{
    return p->segment != DN__SEG_SMB && !(p->flags & DN__F_DORMANT) && p->birth_year <= 2002 &&
           p->opened_ms < g->cfg.start_ms;
}

static bool is_older(const dn__gen *g, const dn__gen_party *p)
{
    return is_adult(g, p) && p->birth_year <= 1966;
}

/* first_crypto: someone who has not been buying crypto every month. */
static bool is_new_to_crypto(const dn__gen *g, const dn__gen_party *p)
{
    return is_adult(g, p) && !(p->flags & DN__LA_DCA);
}

bool dn__gen_victim_cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c)
{
    dn__gen_filter_cb f = c->variant == ELDERLY        ? is_older
                          : c->variant == FIRST_CRYPTO ? is_new_to_crypto
                                                       : is_adult;
    int32_t a = dn__gen_pick_customer(g, r, f);
    if (a < 0)
        a = dn__gen_pick_customer(g, r, is_adult);
    if (a < 0)
        return false;
    c->acct[c->acct_count++] = a;
    return true;
}

typedef struct victim_ctx {
    dn__gen *g;
    dn__gen_rng *r;
    dn__gen_case *c;
    int32_t v;
    bool has_remote, has_fee_refs, has_hotspot;
} victim_ctx;

static void pay(victim_ctx *x, int64_t t, int32_t to, int64_t amt, const char *ref)
{
    dn__gen *g = x->g;
    dn__gen_rng *r = x->r;
    dn__gen_rec *e;
    bool is_exchange = false;
    for (uint32_t k = 0; k < g->exchange_count; k++)
        is_exchange |= g->exchanges[k] == to;
    if (x->has_remote) {
        e = dn__gen_emit(g, t - dn__gen_rng_range(r, 3, 20) * DN__GEN_MIN_MS, DN_EV_LOGIN, x->v, -1,
                         0);
        dn__gen_session(g, r, e, x->v);
        e->remote_access = 1;
    }
    if (is_exchange && dn__gen_rng_chance(r, 0.5)) {
        e = dn__gen_emit(g, t, DN_EV_CRYPTO_BUY, x->v, to, amt);
    } else {
        e = dn__gen_emit(g, t, DN_EV_TRANSFER, x->v, to, amt);
        const char *cc = g->party[to].country;
        bool is_far = strcmp(cc, "DE") != 0 && strcmp(cc, "LT") != 0 && strcmp(cc, "NL") != 0 &&
                      strcmp(cc, "MT") != 0 && strcmp(cc, "EE") != 0;
        e->channel = is_far ? "swift" : (dn__gen_rng_chance(r, 0.6) ? "instant" : "online");
        if (is_far && dn__gen_rng_chance(r, 0.6)) {
            memcpy(e->currency, "USD", 4);
            e->amount_minor = amt * 108 / 100;
        }
        dn__gen_ref(e, "%s", ref);
    }
    if (e->channel[0] == 'b') /* branch: no session */
        return;
    dn__gen_session(g, r, e, x->v);
    if (x->has_remote)
        e->remote_access = 1;
}

static int32_t scam_payee(victim_ctx *x, bool is_company)
{
    if (x->has_hotspot)
        return dn__gen_fresh_account(x->g, x->r, hotspots, 7, is_company);
    return dn__gen_fresh_account(x->g, x->r, domestic, 4, is_company);
}

/* A weak case keeps what defines its variant, as weak remote_access and hotspot cases keep the
 * remote session and the hotspot payee: a weak fee_refs victim still writes the fee it was told
 * to pay, once and for less. Only the incidental references turn ordinary. */
static const char *ref_for(victim_ctx *x)
{
    if (x->has_fee_refs)
        return DN__GEN_PICK(x->r, fee_refs);
    if (x->c->is_weak)
        return DN__GEN_PICK(x->r, plain_refs);
    return DN__GEN_PICK(x->r, invest_refs);
}

void dn__gen_victim_play(dn__gen *g, dn__gen_rng *r, dn__gen_case *c, int64_t t0)
{
    victim_ctx x = {.g = g, .r = r, .c = c, .v = c->acct[0]};
    const dn__gen_party *p = &g->party[x.v];
    int64_t income = p->income_minor > 0 ? p->income_minor : 200000;
    bool weak = c->is_weak;
    x.has_remote = c->variant == REMOTE || (!weak && dn__gen_rng_chance(r, 0.12));
    x.has_fee_refs = c->variant == FEE_REFS || (!weak && dn__gen_rng_chance(r, 0.3));
    x.has_hotspot = c->variant == HOTSPOT || (!weak && dn__gen_rng_chance(r, 0.3));
    int64_t t = t0;
    int32_t payee;
    switch (c->variant) {
    case NEW_PAYEE:
    case REMOTE:
    case HOTSPOT:
    case FEE_REFS: {
        payee = scam_payee(&x, dn__gen_rng_chance(r, 0.5));
        int n = weak ? 1 : (int)dn__gen_rng_range(r, 1, 4);
        for (int k = 0; k < n; k++) {
            int64_t amt = income * dn__gen_rng_range(r, weak ? 80 : 150, weak ? 200 : 600) / 100;
            pay(&x, t, payee, amt - amt % 1000, ref_for(&x));
            t += dn__gen_rng_range(r, 1, 9) * DN__GEN_DAY_MS;
            t += dn__gen_rng_range(r, 0, 5) * DN__GEN_HOUR_MS;
            if (dn__gen_rng_chance(r, 0.3))
                payee = scam_payee(&x, true);
        }
        break;
    }
    case FIRST_CRYPTO: {
        int32_t xch = g->exchanges[dn__gen_rng_below(r, g->exchange_count)];
        int n = weak ? 2 : (int)dn__gen_rng_range(r, 3, 7);
        int64_t amt = dn__gen_rng_range(r, 25000, 100000);
        for (int k = 0; k < n; k++) {
            pay(&x, t, xch, amt - amt % 100, ref_for(&x));
            amt = amt * dn__gen_rng_range(r, 140, weak ? 160 : 260) / 100;
            t += dn__gen_rng_range(r, 2, 8) * DN__GEN_DAY_MS;
            t += dn__gen_daytime(r) % DN__GEN_HOUR_MS;
        }
        break;
    }
    case LADDER: {
        payee = scam_payee(&x, false);
        int n = weak ? 3 : (int)dn__gen_rng_range(r, 4, 9);
        int64_t amt = dn__gen_rng_range(r, 20000, 80000);
        for (int k = 0; k < n; k++) {
            pay(&x, t, payee, amt - amt % 500, ref_for(&x));
            amt = amt * dn__gen_rng_range(r, weak ? 110 : 140, weak ? 140 : 220) / 100;
            t += dn__gen_rng_range(r, 2, 7) * DN__GEN_DAY_MS;
            t += dn__gen_rng_range(r, 0, 6) * DN__GEN_HOUR_MS;
        }
        break;
    }
    case BAIT: {
        payee = scam_payee(&x, true);
        dn__gen_rec *e =
            dn__gen_emit(g, t, DN_EV_TRANSFER, payee, x.v, dn__gen_rng_range(r, 1500, 15000));
        e->channel = strcmp(g->party[payee].country, "DE") == 0 ? "instant" : "swift";
        dn__gen_ref(e, "%s", dn__gen_rng_chance(r, 0.5) ? "profit payout" : "bonus return");
        t += dn__gen_rng_range(r, 1, 4) * DN__GEN_DAY_MS;
        int n = weak ? 1 : (int)dn__gen_rng_range(r, 2, 5);
        int64_t amt = income * dn__gen_rng_range(r, 50, 150) / 100;
        for (int k = 0; k < n; k++) {
            pay(&x, t, payee, amt - amt % 1000, ref_for(&x));
            amt = amt * dn__gen_rng_range(r, 130, 250) / 100;
            t += dn__gen_rng_range(r, 2, 10) * DN__GEN_DAY_MS;
        }
        break;
    }
    case ELDERLY: {
        int64_t savings = dn__gen_rng_lognorm(r, weak ? 1500000 : 4500000, 0.6, 500000, 25000000);
        int n = weak ? 2 : (int)dn__gen_rng_range(r, 3, 7);
        for (int k = 0; k < n; k++) {
            payee = dn__gen_rng_chance(r, 0.25) && !weak
                        ? g->exchanges[dn__gen_rng_below(r, g->exchange_count)]
                        : scam_payee(&x, dn__gen_rng_chance(r, 0.5));
            int64_t amt = savings / n * dn__gen_rng_range(r, 70, 130) / 100;
            int64_t at = t - t % DN__GEN_DAY_MS + dn__gen_rng_range(r, 9, 15) * DN__GEN_HOUR_MS;
            const char *ref = ref_for(&x);
            pay(&x, at, payee, amt - amt % 10000, ref);
            t += dn__gen_rng_range(r, 2, 8) * DN__GEN_DAY_MS;
        }
        break;
    }
    }
}
