/*
 * fact.c - the fact an event leaves in each of its role entities.
 *
 * One place decides what an event means for each role: src is the payer account (direction
 * out, counterparty dst), dst the payee account (in, counterparty src), device and ip have no
 * direction and take the src account (else dst) as their counterparty. The pipeline and the
 * tests that drive state and the VM directly both build facts here, so they cannot drift apart.
 * String hashes are computed once per event (dn__score_event_hashes) and shared by every role.
 */
#include "score/score.h"

#include "common/hash.h"

static bool present(dn_str s)
{
    return s.ptr && s.len > 0;
}

static uint64_t hash_present(dn_str s)
{
    return present(s) ? dn__hash64(s.ptr, s.len) : 0;
}

static uint16_t pack_country(const char c[3])
{
    return c[0] && c[1] ? (uint16_t)((unsigned char)c[0] << 8 | (unsigned char)c[1]) : 0;
}

void dn__score_event_hashes(const dn_event *ev, dn__event_hashes *out)
{
    dn__score_event_hashes_for(ev, true, out);
}

void dn__score_event_hashes_for(const dn_event *ev, bool has_channel, dn__event_hashes *out)
{
    out->src = hash_present(ev->src);
    out->dst = hash_present(ev->dst);
    out->device = hash_present(ev->device);
    out->ip = hash_present(ev->ip);
    out->channel = has_channel ? hash_present(ev->channel) : 0;
    const dn_str ids[DN__ROLE_COUNT] = {ev->src, ev->dst, ev->device, ev->ip};
    const uint64_t id_h[DN__ROLE_COUNT] = {out->src, out->dst, out->device, out->ip};
    for (int r = 0; r < DN__ROLE_COUNT; r++)
        out->entity[r] =
            present(ids[r]) ? dn__state_entity_hash_of(dn__role_kind((dn__role)r), id_h[r]) : 0;
}

void dn__score_event_fact(const dn_event *ev, int64_t amount_base_minor, const dn__event_hashes *hs,
                          dn__fact_in *f)
{
    *f = (dn__fact_in){
        .ts_ms = ev->ts_ms,
        .dir = DN__DIR_ANY,
        .type = ev->type,
        .has_amount = ev->has_amount,
        .amount_base_minor = amount_base_minor,
        .device_h = hs->device,
        .ip_h = hs->ip,
        .channel_h = hs->channel,
        .ip_country = pack_country(ev->ip_country),
        .event_id = ev->id,
        .opened_ms = ev->customer.opened_ms,
    };
}

bool dn__score_role_patch(const dn_event *ev, dn__role role, const dn__event_hashes *hs, dn_str *id,
                          uint64_t *id_h, dn__fact_in *f)
{
    uint64_t other_h;
    dn__dir dir = DN__DIR_ANY;
    const char *other_country;
    switch (role) {
    case DN__ROLE_SRC:
        *id = ev->src, *id_h = hs->src, other_h = hs->dst, other_country = ev->dst_country;
        dir = DN__DIR_OUT;
        break;
    case DN__ROLE_DST:
        *id = ev->dst, *id_h = hs->dst, other_h = hs->src, other_country = ev->src_country;
        dir = DN__DIR_IN;
        break;
    default:
        *id = role == DN__ROLE_DEVICE ? ev->device : ev->ip;
        *id_h = role == DN__ROLE_DEVICE ? hs->device : hs->ip;
        other_h = present(ev->src) ? hs->src : hs->dst;
        other_country = present(ev->src) ? ev->src_country : ev->dst_country;
    }
    if (!present(*id))
        return false;
    f->dir = dir;
    f->counterparty_h = other_h;
    f->country = pack_country(other_country);
    f->has_opened = role == DN__ROLE_SRC && ev->customer.is_present && ev->customer.has_opened;
    return true;
}

bool dn__score_role_fact(const dn_event *ev, int64_t amount_base_minor, dn__role role,
                         const dn__event_hashes *hs, dn_str *id, uint64_t *id_h, dn__fact_in *f)
{
    dn__score_event_fact(ev, amount_base_minor, hs, f);
    return dn__score_role_patch(ev, role, hs, id, id_h, f);
}
