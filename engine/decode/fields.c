/*
 * fields.c - the event schema (DESIGN.md, "Event") applied one key at a time.
 *
 * Both decoders call dn__fields_set() for each key of the event map in document order and
 * dn__fields_finish() at the end, so validation order (and so the reason a bad event gets) does
 * not depend on the wire format. Strings are copied into d->arena; nothing else allocates.
 * Invariants: d->seen has a bit per schema field already set in this event; ev->attrs has room
 * for DN_ATTR_MAX_COUNT entries once the first attribute arrives.
 */
#include "decode/fields.h"
#include "dragnet/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const field_names[DN__F_COUNT] = {
#define DN__FIELD_NAME(name, text) text,
    DN__FIELD_MAP(DN__FIELD_NAME)
#undef DN__FIELD_NAME
};

static const char *reason_key(dn__field f)
{
    switch (f) {
    case DN__F_C_BIRTH_YEAR:
        return "customer.birth_year";
    case DN__F_C_OPENED:
        return "customer.opened";
    case DN__F_C_SEGMENT:
        return "customer.segment";
    case DN__F_C_RESIDENCE:
        return "customer.residence";
    case DN__F_ATTR:
        return "attrs";
    default:
        return field_names[f];
    }
}

#define IS(lit, f)                                                                                 \
    if (memcmp(key, lit, sizeof(lit) - 1) == 0)                                                    \
        return f;

/* Switch on length, then compare: a few ns per key on the hot path. */
static dn__field lookup_any(const char *key, size_t len)
{
    switch (len) {
    case 2:
        IS("id", DN__F_ID) IS("ts", DN__F_TS) IS("ip", DN__F_IP) break;
    case 3:
        IS("src", DN__F_SRC) IS("dst", DN__F_DST) IS("mcc", DN__F_MCC) break;
    case 4:
        IS("type", DN__F_TYPE) break;
    case 6:
        IS("amount", DN__F_AMOUNT) IS("device", DN__F_DEVICE) IS("opened", DN__F_C_OPENED) break;
    case 7:
        IS("purpose", DN__F_PURPOSE)
        IS("channel", DN__F_CHANNEL) IS("segment", DN__F_C_SEGMENT) break;
    case 8:
        IS("currency", DN__F_CURRENCY)
        IS("src_name", DN__F_SRC_NAME)
        IS("dst_name", DN__F_DST_NAME)
        IS("src_bank", DN__F_SRC_BANK)
        IS("dst_bank", DN__F_DST_BANK) IS("customer", DN__F_CUSTOMER) break;
    case 9:
        IS("reference", DN__F_REFERENCE) IS("residence", DN__F_C_RESIDENCE) break;
    case 10:
        IS("ip_country", DN__F_IP_COUNTRY) IS("birth_year", DN__F_C_BIRTH_YEAR) break;
    case 11:
        IS("src_country", DN__F_SRC_COUNTRY) IS("dst_country", DN__F_DST_COUNTRY) break;
    case 13:
        IS("remote_access", DN__F_REMOTE_ACCESS) break;
    }
    return DN__F_ATTR;
}
#undef IS

dn__field dn__fields_lookup(const char *key, size_t len, bool in_customer)
{
    dn__field f = lookup_any(key, len);
    if (f == DN__F_ATTR || (f >= DN__F_FIRST_CUSTOMER) == in_customer)
        return f;
    return DN__F_ATTR;
}

const char *dn__fields_name(dn__field f)
{
    return f < DN__F_COUNT ? field_names[f] : "attrs";
}

const char *dn__fields_dup_name(const char *key, size_t len)
{
    dn__field f = lookup_any(key, len);
    return dn__fields_name(f);
}

int dn__reject_set(dn__decoder *d, dn__reject *rej, const char *code, const char *key,
                   const char *fmt, ...)
{
    if (key)
        snprintf(d->reason, sizeof(d->reason), "%s:%s", code, key);
    else
        snprintf(d->reason, sizeof(d->reason), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
    va_end(ap);
    rej->reason = d->reason;
    rej->detail = d->detail;
    return DN_EBADEVENT;
}

void dn__fields_begin(dn__decoder *d, dn_event *ev)
{
    dn__arena_reset(&d->arena);
    dn_event_init(ev);
    d->seen = 0;
    d->attr_cap = 0;
}

static const char *kind_name(dn__dval_kind k)
{
    static const char *const names[] = {"nil",    "bool", "integer", "integer", "float",
                                        "string", "map",  "array",   "ext"};
    return names[k];
}

/* Printable length of a key in a detail text. */
static int klen_shown(size_t klen)
{
    return klen > 64 ? 64 : (int)klen;
}

static int copy_str(dn__decoder *d, const dn__dval *v, dn_str *out)
{
    char *p = dn__arena_strndup(&d->arena, v->s ? v->s : "", v->len);
    if (!p)
        return DN_ENOMEM;
    out->ptr = p;
    out->len = (uint32_t)v->len;
    return 0;
}

static int set_str(dn__decoder *d, dn__field f, const dn__dval *v, size_t max, dn_str *out,
                   dn__reject *rej)
{
    if (v->kind != DN__DV_STR)
        return dn__reject_set(d, rej, "bad_type", reason_key(f), "%s must be a string, not %s",
                              reason_key(f), kind_name(v->kind));
    if (v->len > max)
        return dn__reject_set(d, rej, "too_long", reason_key(f), "%s is %zu bytes, at most %zu",
                              reason_key(f), v->len, max);
    return copy_str(d, v, out);
}

static bool all_upper(const char *s, size_t len, size_t want)
{
    if (len != want)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    }
    return true;
}

static int set_code(dn__decoder *d, dn__field f, const dn__dval *v, size_t n, char *out,
                    dn__reject *rej)
{
    if (v->kind != DN__DV_STR)
        return dn__reject_set(d, rej, "bad_type", reason_key(f), "%s must be a string, not %s",
                              reason_key(f), kind_name(v->kind));
    if (!all_upper(v->s, v->len, n))
        return dn__reject_set(d, rej, n == 3 ? "bad_currency" : "bad_country", NULL,
                              "%s must be %zu uppercase letters (%s), got \"%.*s\"", reason_key(f),
                              n, n == 3 ? "ISO 4217" : "ISO 3166-1 alpha-2", klen_shown(v->len),
                              v->s);
    memcpy(out, v->s, n);
    out[n] = '\0';
    return 0;
}

static int set_int(dn__decoder *d, dn__field f, const dn__dval *v, int64_t lo, int64_t hi,
                   int64_t *out, dn__reject *rej)
{
    if (v->kind != DN__DV_INT || v->i < lo || v->i > hi)
        return dn__reject_set(d, rej, "bad_type", reason_key(f),
                              "%s must be an integer in [%lld, %lld], got %s", reason_key(f),
                              (long long)lo, (long long)hi, kind_name(v->kind));
    *out = v->i;
    return 0;
}

static int set_attr(dn__decoder *d, dn_event *ev, const char *key, size_t klen, const dn__dval *v,
                    bool in_customer, dn__reject *rej)
{
    static const char prefix[] = "customer.";
    size_t full = klen + (in_customer ? sizeof(prefix) - 1 : 0);
    if (ev->attr_count >= DN_ATTR_MAX_COUNT)
        return dn__reject_set(d, rej, "too_many_attrs", NULL,
                              "more than %d keys outside the schema", DN_ATTR_MAX_COUNT);
    if (full > DN_TEXT_MAX_LEN)
        return dn__reject_set(d, rej, "too_long", "attrs", "a key of %zu bytes (at most %d): %.*s",
                              full, DN_TEXT_MAX_LEN, klen_shown(klen), key);
    if (v->kind == DN__DV_STR && v->len > DN_TEXT_MAX_LEN)
        return dn__reject_set(d, rej, "too_long", "attrs",
                              "attribute %.*s is %zu bytes, at most %d", klen_shown(klen), key,
                              v->len, DN_TEXT_MAX_LEN);
    if (!ev->attrs) {
        ev->attrs = dn__arena_alloc(&d->arena, DN_ATTR_MAX_COUNT * sizeof(dn_attr));
        if (!ev->attrs)
            return DN_ENOMEM;
    }
    char *k = dn__arena_alloc(&d->arena, full + 1);
    if (!k)
        return DN_ENOMEM;
    size_t at = 0;
    if (in_customer) {
        memcpy(k, prefix, sizeof(prefix) - 1);
        at = sizeof(prefix) - 1;
    }
    if (klen)
        memcpy(k + at, key, klen);
    k[full] = '\0';
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        if (ev->attrs[i].key.len == full && memcmp(ev->attrs[i].key.ptr, k, full) == 0)
            return dn__reject_set(d, rej, "duplicate_key", "attrs", "key %.*s appears twice",
                                  klen_shown(full), k);
    }
    dn_attr *a = &ev->attrs[ev->attr_count];
    a->key = (dn_str){k, (uint32_t)full};
    switch (v->kind) {
    case DN__DV_NIL:
        a->kind = DN_VAL_NIL;
        break;
    case DN__DV_BOOL:
        a->kind = DN_VAL_BOOL;
        a->v.b = v->b;
        break;
    case DN__DV_INT:
        a->kind = DN_VAL_INT;
        a->v.i = v->i;
        break;
    case DN__DV_BIGU:
    case DN__DV_FLOAT:
        a->kind = DN_VAL_FLOAT;
        a->v.f = v->f;
        break;
    case DN__DV_STR:
        a->kind = DN_VAL_STR;
        if (copy_str(d, v, &a->v.s))
            return DN_ENOMEM;
        break;
    case DN__DV_MAP:
    case DN__DV_ARRAY:
    case DN__DV_EXT:
        a->kind = DN_VAL_COMPLEX;
        break;
    }
    ev->attr_count++;
    return 0;
}

int dn__fields_set(dn__decoder *d, dn_event *ev, dn__field f, const char *key, size_t klen,
                   const dn__dval *v, bool in_customer, dn__reject *rej)
{
    if (f == DN__F_ATTR)
        return set_attr(d, ev, key, klen, v, in_customer, rej);
    if (d->seen & (1u << f))
        return dn__reject_set(d, rej, "duplicate_key", field_names[f], "key %s appears twice",
                              reason_key(f));
    d->seen |= 1u << f;
    int64_t n = 0;
    int rc = 0;
    switch (f) {
    case DN__F_ID:
        return set_str(d, f, v, DN_ID_MAX_LEN, &ev->id, rej);
    case DN__F_TS:
        return set_int(d, f, v, INT64_MIN, INT64_MAX, &ev->ts_ms, rej);
    case DN__F_TYPE:
        if (v->kind != DN__DV_STR)
            return dn__reject_set(d, rej, "bad_type", "type", "type must be a string, not %s",
                                  kind_name(v->kind));
        if (dn_event_type_parse(v->s, v->len, &ev->type) != 0)
            return dn__reject_set(d, rej, "unknown_event_type", NULL, "unknown type \"%.*s\"",
                                  klen_shown(v->len), v->s);
        return 0;
    case DN__F_AMOUNT:
        if (v->kind == DN__DV_INT && v->i < 0)
            return dn__reject_set(d, rej, "negative_amount", NULL, "amount %lld is negative",
                                  (long long)v->i);
        rc = set_int(d, f, v, 0, INT64_MAX, &ev->amount_minor, rej);
        ev->has_amount = rc == 0;
        return rc;
    case DN__F_CURRENCY:
        return set_code(d, f, v, 3, ev->currency, rej);
    case DN__F_SRC:
        return set_str(d, f, v, DN_ID_MAX_LEN, &ev->src, rej);
    case DN__F_DST:
        return set_str(d, f, v, DN_ID_MAX_LEN, &ev->dst, rej);
    case DN__F_SRC_NAME:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->src_name, rej);
    case DN__F_DST_NAME:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->dst_name, rej);
    case DN__F_SRC_COUNTRY:
        return set_code(d, f, v, 2, ev->src_country, rej);
    case DN__F_DST_COUNTRY:
        return set_code(d, f, v, 2, ev->dst_country, rej);
    case DN__F_SRC_BANK:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->src_bank, rej);
    case DN__F_DST_BANK:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->dst_bank, rej);
    case DN__F_REFERENCE:
        return set_str(d, f, v, DN_REFERENCE_MAX_LEN, &ev->reference, rej);
    case DN__F_PURPOSE:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->purpose, rej);
    case DN__F_CHANNEL:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->channel, rej);
    case DN__F_MCC:
        rc = set_int(d, f, v, 0, INT32_MAX, &n, rej);
        ev->has_mcc = rc == 0;
        ev->mcc = (int32_t)n;
        return rc;
    case DN__F_DEVICE:
        return set_str(d, f, v, DN_ID_MAX_LEN, &ev->device, rej);
    case DN__F_IP:
        return set_str(d, f, v, DN_ID_MAX_LEN, &ev->ip, rej);
    case DN__F_IP_COUNTRY:
        return set_code(d, f, v, 2, ev->ip_country, rej);
    case DN__F_REMOTE_ACCESS:
        if (v->kind != DN__DV_BOOL)
            return dn__reject_set(d, rej, "bad_type", "remote_access",
                                  "remote_access must be a bool, not %s", kind_name(v->kind));
        ev->remote_access = v->b ? 1 : 0;
        return 0;
    case DN__F_CUSTOMER:
        if (v->kind != DN__DV_MAP)
            return dn__reject_set(d, rej, "bad_type", "customer", "customer must be a map, not %s",
                                  kind_name(v->kind));
        ev->customer.is_present = true;
        return 0;
    case DN__F_C_BIRTH_YEAR:
        rc = set_int(d, f, v, INT32_MIN, INT32_MAX, &n, rej);
        ev->customer.has_birth_year = rc == 0;
        ev->customer.birth_year = (int32_t)n;
        return rc;
    case DN__F_C_OPENED:
        rc = set_int(d, f, v, INT64_MIN, INT64_MAX, &ev->customer.opened_ms, rej);
        ev->customer.has_opened = rc == 0;
        return rc;
    case DN__F_C_SEGMENT:
        return set_str(d, f, v, DN_TEXT_MAX_LEN, &ev->customer.segment, rej);
    case DN__F_C_RESIDENCE:
        return set_code(d, f, v, 2, ev->customer.residence, rej);
    default:
        return 0;
    }
}

static bool has(const dn__decoder *d, dn__field f)
{
    return (d->seen & (1u << f)) != 0;
}

static int need(dn__decoder *d, dn__field f, dn__reject *rej)
{
    if (has(d, f))
        return 0;
    return dn__reject_set(d, rej, "missing_field", field_names[f], "required key %s is missing",
                          field_names[f]);
}

int dn__fields_finish(dn__decoder *d, dn_event *ev, dn__reject *rej)
{
    int rc;
    if ((rc = need(d, DN__F_ID, rej)) || (rc = need(d, DN__F_TS, rej)) ||
        (rc = need(d, DN__F_TYPE, rej)))
        return rc;
    if (dn_event_type_is_payment(ev->type) &&
        ((rc = need(d, DN__F_AMOUNT, rej)) || (rc = need(d, DN__F_CURRENCY, rej))))
        return rc;
    bool need_src = ev->type != DN_EV_CASH_DEPOSIT && ev->type != DN_EV_CRYPTO_SELL;
    bool need_dst = ev->type == DN_EV_TRANSFER || ev->type == DN_EV_CASH_DEPOSIT ||
                    ev->type == DN_EV_CRYPTO_SELL;
    if (need_src && (rc = need(d, DN__F_SRC, rej)))
        return rc;
    if (need_dst && (rc = need(d, DN__F_DST, rej)))
        return rc;
    return 0;
}
