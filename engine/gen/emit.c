/*
 * emit.c - putting records into the pending pool, and the small helpers every generator uses
 * (a customer's session, the reference text, a waking hour).
 *
 * A record emitted before the current day's start is moved to it (generators plan forward only;
 * see gen.h), one at or after the end of the period goes to g->scratch and is dropped. The
 * returned pointer is valid until the next emission.
 */
#include "gen/gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *default_channel(dn_event_type t)
{
    switch (t) {
    case DN_EV_CARD:
        return "card_present";
    case DN_EV_CASH_DEPOSIT:
        return "branch";
    case DN_EV_CASH_WITHDRAWAL:
        return "atm";
    case DN_EV_CRYPTO_BUY:
    case DN_EV_CRYPTO_SELL:
        return "crypto_exchange";
    case DN_EV_LOGIN:
        return "mobile";
    default:
        return "online";
    }
}

dn__gen_rec *dn__gen_emit(dn__gen *g, int64_t ts_ms, dn_event_type type, int32_t src, int32_t dst,
                          int64_t amount_minor)
{
    dn__gen_rec *rec = &g->scratch;
    if (ts_ms < g->day_start_ms)
        ts_ms = g->day_start_ms;
    if (ts_ms < g->end_ms && !DN__GEN_GROW(g, g->pend, g->pend_count, g->pend_cap))
        rec = &g->pend[g->pend_count++];
    memset(rec, 0, sizeof(*rec));
    rec->ts_ms = ts_ms;
    rec->seq = g->seq++;
    rec->type = (uint8_t)type;
    rec->src = src;
    rec->dst = dst;
    rec->device = rec->ip = -1;
    rec->remote_access = -1;
    rec->amount_minor = dn_event_type_is_payment(type) ? amount_minor : -1;
    if (rec->amount_minor >= 0)
        memcpy(rec->currency, "EUR", 4);
    rec->channel = default_channel(type);
    return rec;
}

void dn__gen_session(dn__gen *g, dn__gen_rng *r, dn__gen_rec *rec, int32_t cust)
{
    const dn__gen_party *p = &g->party[cust];
    bool is_shared = p->shared_device >= 0 && dn__gen_rng_chance(r, 0.35);
    rec->device = is_shared ? p->shared_device : p->phone;
    rec->ip = (is_shared || dn__gen_rng_chance(r, 0.6) || g->carrier_ip_count == 0)
                  ? p->home_ip
                  : g->carrier_ips[dn__gen_rng_below(r, g->carrier_ip_count)];
    if (strcmp(rec->channel, "online") == 0 || strcmp(rec->channel, "mobile") == 0)
        rec->channel = is_shared ? "online" : "mobile";
    /* A relative's screen-sharing help: the same tool scammers use. */
    rec->remote_access = (p->flags & DN__LA_HELPER) && dn__gen_rng_chance(r, 0.2) ? 1 : 0;
}

void dn__gen_ref(dn__gen_rec *rec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->ref, sizeof(rec->ref), fmt, ap);
    va_end(ap);
}

int64_t dn__gen_daytime(dn__gen_rng *r)
{
    /* Mostly 07:00-22:00 UTC, peaking around midday and evening; a few at night. */
    if (dn__gen_rng_chance(r, 0.04))
        return dn__gen_rng_range(r, 0, 7 * DN__GEN_HOUR_MS - 1);
    int64_t a = dn__gen_rng_range(r, 7 * DN__GEN_HOUR_MS, 22 * DN__GEN_HOUR_MS);
    int64_t b = dn__gen_rng_range(r, 7 * DN__GEN_HOUR_MS, 22 * DN__GEN_HOUR_MS);
    return ((a + b) / 2 / 1000) * 1000 + dn__gen_rng_range(r, 0, 999);
}
