/*
 * fields.c - the event schema (DESIGN.md, "Event") applied one key at a time.
 *
 * Both decoders call dn__fields_set() for each key of the event map in document order and
 * dn__fields_finish() at the end, so validation order (and so the reason a bad event gets) does
 * not depend on the wire format. Strings are copied into d->arena (schema strings are borrowed
 * from the input instead when the decoder says it may, see fields.h); nothing else allocates.
 * dn__fields_set() itself is inline in fields.h, driven by dn__field_rules below; what rejects is
 * here.
 * Invariants: d->seen has a bit per schema field already set in this event; ev->attrs has room
 * for DN_ATTR_MAX_COUNT entries once the first attribute arrives.
 */
#include "decode/country.h"
#include "decode/fields.h"
#include "dragnet/error.h"

#include <stdarg.h>
#include <stddef.h>
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

/* clang-format off */
const uint8_t dn__field_slot[DN__FIELD_HASH_SLOTS] = {
    DN__F_IP_COUNTRY, DN__F_ATTR, DN__F_ATTR, DN__F_DST_NAME,
    DN__F_ATTR, DN__F_CHANNEL, DN__F_IP, DN__F_ATTR,
    DN__F_ATTR, DN__F_SRC_BANK, DN__F_ATTR, DN__F_ATTR,
    DN__F_SRC, DN__F_DST_BANK, DN__F_ATTR, DN__F_C_BIRTH_YEAR,
    DN__F_REFERENCE, DN__F_ATTR, DN__F_ATTR, DN__F_REMOTE_ACCESS,
    DN__F_ATTR, DN__F_ATTR, DN__F_CURRENCY, DN__F_AMOUNT,
    DN__F_DEVICE, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_PURPOSE, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_CUSTOMER, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_TYPE, DN__F_C_RESIDENCE, DN__F_SRC_COUNTRY,
    DN__F_C_OPENED, DN__F_ATTR, DN__F_ATTR, DN__F_DST_COUNTRY,
    DN__F_ATTR, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_TS, DN__F_ATTR, DN__F_DST, DN__F_ATTR,
    DN__F_C_SEGMENT, DN__F_MCC, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_ID, DN__F_SRC_NAME,
};
const uint8_t dn__field_wide_slot[DN__FIELD_HASH_SLOTS] = {
    DN__F_ATTR, DN__F_C_RESIDENCE, DN__F_MCC, DN__F_ATTR,
    DN__F_ATTR, DN__F_DST, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_CURRENCY, DN__F_ATTR, DN__F_AMOUNT, DN__F_DST_NAME,
    DN__F_SRC, DN__F_IP_COUNTRY, DN__F_DST_COUNTRY, DN__F_C_BIRTH_YEAR,
    DN__F_ATTR, DN__F_ATTR, DN__F_C_SEGMENT, DN__F_PURPOSE,
    DN__F_REFERENCE, DN__F_SRC_NAME, DN__F_ATTR, DN__F_ID,
    DN__F_SRC_COUNTRY, DN__F_CUSTOMER, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_DST_BANK, DN__F_ATTR, DN__F_ATTR, DN__F_C_OPENED,
    DN__F_REMOTE_ACCESS, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_CHANNEL, DN__F_SRC_BANK,
    DN__F_TS, DN__F_ATTR, DN__F_DEVICE, DN__F_ATTR,
    DN__F_ATTR, DN__F_ATTR, DN__F_TYPE, DN__F_ATTR,
    DN__F_IP, DN__F_ATTR, DN__F_ATTR, DN__F_ATTR,
};
/* clang-format on */

const char dn__field_text[DN__F_COUNT][16] = {
#define DN__FIELD_TEXT(name, text) text,
    DN__FIELD_MAP(DN__FIELD_TEXT)
#undef DN__FIELD_TEXT
};

const uint8_t dn__field_len[DN__F_COUNT] = {
#define DN__FIELD_LEN(name, text) sizeof(text) - 1,
    DN__FIELD_MAP(DN__FIELD_LEN)
#undef DN__FIELD_LEN
};

static dn__field lookup_any(const char *key, size_t len)
{
    return dn__fields_lookup_any(key, len);
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
    d->is_borrowing = false;
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

int dn__fields_copy_str(dn__decoder *d, const dn__dval *v, dn_str *out)
{
    char *p = dn__arena_strndup(&d->arena, v->s ? v->s : "", v->len);
    if (!p)
        return DN_ENOMEM;
    out->ptr = p;
    out->len = (uint32_t)v->len;
    return 0;
}

static int reject_not_string(dn__decoder *d, dn__field f, const dn__dval *v, dn__reject *rej)
{
    return dn__reject_set(d, rej, "bad_type", reason_key(f), "%s must be a string, not %s",
                          reason_key(f), kind_name(v->kind));
}

int dn__fields_set_attr(dn__decoder *d, dn_event *ev, const char *key, size_t klen,
                        const dn__dval *v, bool in_customer, dn__reject *rej)
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
        if (dn__fields_copy_str(d, v, &a->v.s))
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

int dn__fields_reject_dup(dn__decoder *d, dn__field f, dn__reject *rej)
{
    return dn__reject_set(d, rej, "duplicate_key", field_names[f], "key %s appears twice",
                          reason_key(f));
}

/* Why v is not a valid value for f, a string, code or integer field (the checks of
 * dn__fields_set() in the order they are made). */
int dn__fields_reject_value(dn__decoder *d, dn__field f, const dn__dval *v, dn__reject *rej)
{
    const dn__field_rule *r = &dn__field_rules[f];
    switch ((dn__field_kind)r->kind) {
    case DN__FK_STR:
        if (v->kind != DN__DV_STR)
            return reject_not_string(d, f, v, rej);
        return dn__reject_set(d, rej, "too_long", reason_key(f), "%s is %zu bytes, at most %zu",
                              reason_key(f), v->len, (size_t)r->max);
    case DN__FK_CODE:
        if (v->kind != DN__DV_STR)
            return reject_not_string(d, f, v, rej);
        return dn__reject_set(d, rej, r->width == 3 ? "bad_currency" : "bad_country", NULL,
                              "%s must be %zu uppercase letters (%s), got \"%.*s\"", reason_key(f),
                              (size_t)r->width, r->width == 3 ? "ISO 4217" : "ISO 3166-1 alpha-2",
                              klen_shown(v->len), v->s);
    case DN__FK_INT:
        if (f == DN__F_AMOUNT && v->kind == DN__DV_INT && v->i < 0)
            return dn__reject_set(d, rej, "negative_amount", NULL, "amount %lld is negative",
                                  (long long)v->i);
        return dn__reject_set(d, rej, "bad_type", reason_key(f),
                              "%s must be an integer in [%lld, %lld], got %s", reason_key(f),
                              (long long)r->lo, (long long)r->hi, kind_name(v->kind));
    default:
        return DN_EBADEVENT;
    }
}

int dn__fields_set_other(dn__decoder *d, dn_event *ev, dn__field f, const dn__dval *v,
                         dn__reject *rej)
{
    switch (f) {
    case DN__F_TYPE:
        if (v->kind != DN__DV_STR)
            return dn__reject_set(d, rej, "bad_type", "type", "type must be a string, not %s",
                                  kind_name(v->kind));
        if (dn_event_type_parse(v->s, v->len, &ev->type) != 0)
            return dn__reject_set(d, rej, "unknown_event_type", NULL, "unknown type \"%.*s\"",
                                  klen_shown(v->len), v->s);
        return 0;
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
    dn__event_derive_countries(ev);
    return 0;
}
