/*
 * fields.h - private to engine/decode: the decoder's state and the one field validator that both
 * wire formats feed, value by value, in document order.
 *
 * Each format turns a value into a dn__dval (a view: strings point into the input, which outlives
 * the call) and hands it to dn__fields_set(); dn__fields_finish() checks what must be present.
 * All copies go to d->arena, reset by dn__fields_begin().
 *
 * The hot part of the validator is inline here, so that each decoder's loop runs it without a
 * call: the key lookup (a perfect hash over the schema names) and the accepting checks of the
 * typed fields, driven by one rule per field (dn__field_rules). Everything that rejects, and the
 * fields that are not a plain string, code or integer, is out of line in fields.c. A decoder whose
 * input outlives the event (the msgpack pull path: the frame stays valid until the next frame is
 * read, after the event is done with) sets is_borrowing after dn__fields_begin(), and schema
 * strings then point into the input instead of being copied.
 */
#ifndef DN_DECODE_FIELDS_H
#define DN_DECODE_FIELDS_H

#include "common/arena.h"
#include "common/buf.h"
#include "decode/decode.h"

#include <msgpack.h>
#include <string.h>

typedef enum dn__dval_kind {
    DN__DV_NIL,
    DN__DV_BOOL,
    DN__DV_INT,  /* fits int64 */
    DN__DV_BIGU, /* unsigned above INT64_MAX: never valid for a schema int */
    DN__DV_FLOAT,
    DN__DV_STR,
    DN__DV_MAP,
    DN__DV_ARRAY,
    DN__DV_EXT /* msgpack ext: kept as an opaque complex attribute */
} dn__dval_kind;

typedef struct dn__dval {
    dn__dval_kind kind;
    bool b;
    int64_t i;
    double f;
    const char *s;
    size_t len;
} dn__dval;

/* Schema keys. Top-level fields first, then the customer map's fields. */
#define DN__FIELD_MAP(X)                                                                           \
    X(ID, "id")                                                                                    \
    X(TS, "ts")                                                                                    \
    X(TYPE, "type")                                                                                \
    X(AMOUNT, "amount")                                                                            \
    X(CURRENCY, "currency")                                                                        \
    X(SRC, "src") X(DST, "dst") X(SRC_NAME, "src_name") X(DST_NAME, "dst_name")                    \
        X(SRC_COUNTRY, "src_country") X(DST_COUNTRY, "dst_country") X(SRC_BANK, "src_bank")        \
            X(DST_BANK, "dst_bank") X(REFERENCE, "reference") X(PURPOSE, "purpose")                \
                X(CHANNEL, "channel") X(MCC, "mcc") X(DEVICE, "device") X(IP, "ip")                \
                    X(IP_COUNTRY, "ip_country") X(REMOTE_ACCESS, "remote_access")                  \
                        X(CUSTOMER, "customer") X(C_BIRTH_YEAR, "birth_year")                      \
                            X(C_OPENED, "opened") X(C_SEGMENT, "segment")                          \
                                X(C_RESIDENCE, "residence")

typedef enum dn__field {
#define DN__FIELD_ENUM(name, text) DN__F_##name,
    DN__FIELD_MAP(DN__FIELD_ENUM)
#undef DN__FIELD_ENUM
        DN__F_COUNT,
    DN__F_ATTR = DN__F_COUNT /* a key the schema does not name */
} dn__field;

#define DN__F_FIRST_CUSTOMER DN__F_C_BIRTH_YEAR

/*
 * The msgpack pull path's guess of the key at one position of a map, from the last event that
 * had a key there (most feeds repeat one key order): the key's first 16 bytes with its fixstr
 * header, under masks that keep only the header and key, and the field that key names at that
 * level. A new decoder guesses the empty key (header 0xa0, an attribute) everywhere.
 */
typedef struct dn__key_guess {
    uint64_t lo, hi, mask_lo, mask_hi;
    uint8_t field; /* a dn__field */
} dn__key_guess;

/* Positions guessed per map: of the event map per event type (keys after "type" follow it), and
 * of the customer map. */
#define DN__GUESS_KEYS 32

struct dn__decoder {
    dn__arena arena;   /* per event: strings and attrs of the last event */
    msgpack_zone zone; /* per event: msgpack objects, cleared before each unpack */
    uint32_t seen;     /* bit per dn__field seen in the current map level */
    uint32_t attr_cap;
    bool is_borrowing; /* schema strings may point into the input (see above) */
    bool json_mapped;  /* the JSON text had bytes that are not UTF-8: see json.c */
    char *scratch;     /* JSON text with those bytes mapped (grows, kept) */
    size_t scratch_cap;
    char reason[64];
    char detail[256];
    dn__key_guess guess[DN_EV_TYPE_COUNT + 1][DN__GUESS_KEYS]; /* [type or customer][position] */
};

/* How dn__fields_set() checks and stores a field. */
typedef enum dn__field_kind {
    DN__FK_STR,  /* a string of at most max bytes */
    DN__FK_CODE, /* exactly width uppercase ASCII letters, stored NUL-terminated */
    DN__FK_INT,  /* an integer in [lo, hi] */
    DN__FK_OTHER /* type, remote_access, customer: out of line */
} dn__field_kind;

typedef struct dn__field_rule {
    uint8_t kind;
    uint8_t width;
    uint32_t max;
    int64_t lo, hi;
} dn__field_rule;

/*
 * The schema's typed fields, one line each: STR(field, member, max), CODE(field, member, letters),
 * INT(field, member, lo, hi) and INT_HAS(field, member, has_member, lo, hi). The fields not here
 * (type, remote_access, customer) are checked out of line.
 */
#define DN__FIELD_RULES(STR, CODE, INT, INT_HAS)                                                   \
    STR(ID, id, DN_ID_MAX_LEN)                                                                     \
    INT(TS, ts_ms, INT64_MIN, INT64_MAX)                                                           \
    INT_HAS(AMOUNT, amount_minor, has_amount, 0, INT64_MAX)                                        \
    CODE(CURRENCY, currency, 3)                                                                    \
    STR(SRC, src, DN_ID_MAX_LEN)                                                                   \
    STR(DST, dst, DN_ID_MAX_LEN)                                                                   \
    STR(SRC_NAME, src_name, DN_TEXT_MAX_LEN)                                                       \
    STR(DST_NAME, dst_name, DN_TEXT_MAX_LEN)                                                       \
    CODE(SRC_COUNTRY, src_country, 2)                                                              \
    CODE(DST_COUNTRY, dst_country, 2)                                                              \
    STR(SRC_BANK, src_bank, DN_TEXT_MAX_LEN)                                                       \
    STR(DST_BANK, dst_bank, DN_TEXT_MAX_LEN)                                                       \
    STR(REFERENCE, reference, DN_REFERENCE_MAX_LEN)                                                \
    STR(PURPOSE, purpose, DN_TEXT_MAX_LEN)                                                         \
    STR(CHANNEL, channel, DN_TEXT_MAX_LEN)                                                         \
    INT_HAS(MCC, mcc, has_mcc, 0, INT32_MAX)                                                       \
    STR(DEVICE, device, DN_ID_MAX_LEN)                                                             \
    STR(IP, ip, DN_ID_MAX_LEN)                                                                     \
    CODE(IP_COUNTRY, ip_country, 2)                                                                \
    INT_HAS(C_BIRTH_YEAR, customer.birth_year, customer.has_birth_year, INT32_MIN, INT32_MAX)      \
    INT_HAS(C_OPENED, customer.opened_ms, customer.has_opened, INT64_MIN, INT64_MAX)               \
    STR(C_SEGMENT, customer.segment, DN_TEXT_MAX_LEN)                                              \
    CODE(C_RESIDENCE, customer.residence, 2)

/* The same as a table, for the texts of rejections (fields.c). */
#define DN__RULE_STR(F, m, mx)           [DN__F_##F] = {.kind = DN__FK_STR, .max = (mx)},
#define DN__RULE_CODE(F, m, n)           [DN__F_##F] = {.kind = DN__FK_CODE, .width = (n)},
#define DN__RULE_INT(F, m, l, h)         [DN__F_##F] = {.kind = DN__FK_INT, .lo = (l), .hi = (h)},
#define DN__RULE_INT_HAS(F, m, hm, l, h) DN__RULE_INT(F, m, l, h)
static const dn__field_rule dn__field_rules[DN__F_COUNT] = {
    [DN__F_TYPE] = {.kind = DN__FK_OTHER},
    [DN__F_REMOTE_ACCESS] = {.kind = DN__FK_OTHER},
    [DN__F_CUSTOMER] = {.kind = DN__FK_OTHER},
    DN__FIELD_RULES(DN__RULE_STR, DN__RULE_CODE, DN__RULE_INT, DN__RULE_INT_HAS)};
#undef DN__RULE_STR
#undef DN__RULE_CODE
#undef DN__RULE_INT
#undef DN__RULE_INT_HAS

/* A perfect hash of the schema names: slot -> field (DN__F_ATTR for an empty slot), each field's
 * name padded to 16 bytes, and its length. test_decode checks that every name finds its field. */
#define DN__FIELD_HASH_SLOTS 64
extern const uint8_t dn__field_slot[DN__FIELD_HASH_SLOTS];
extern const char dn__field_text[DN__F_COUNT][16];
extern const uint8_t dn__field_len[DN__F_COUNT];

static inline unsigned dn__field_hash(const uint8_t *k, size_t len)
{
    return (4u * k[0] + 21u * k[len / 2] + (unsigned)len + k[len - 1]) & (DN__FIELD_HASH_SLOTS - 1);
}

static inline uint64_t dn__load64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t dn__load32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* a[0..n) == b[0..n) for 1 <= n <= 16, reading nothing outside either (b has 16 bytes). */
static inline bool dn__same_short(const char *a, const char *b, size_t n)
{
    if (n >= 8)
        return dn__load64(a) == dn__load64(b) && dn__load64(a + n - 8) == dn__load64(b + n - 8);
    if (n >= 4)
        return dn__load32(a) == dn__load32(b) && dn__load32(a + n - 4) == dn__load32(b + n - 4);
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

/* len == n uppercase ASCII letters. */
static inline bool dn__is_code(const char *s, size_t len, size_t n)
{
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    }
    return true;
}

/* The schema field any map level names by key, or DN__F_ATTR. */
static inline dn__field dn__fields_lookup_any(const char *key, size_t len)
{
    if (len == 0 || len > 16)
        return DN__F_ATTR;
    dn__field f = (dn__field)dn__field_slot[dn__field_hash((const uint8_t *)key, len)];
    if (f != DN__F_ATTR && dn__field_len[f] == len && dn__same_short(key, dn__field_text[f], len))
        return f;
    return DN__F_ATTR;
}

/*
 * dn__fields_lookup_any() for a key with at least 16 readable bytes from its start (the msgpack
 * pull path, away from the frame's end): the key's first 8 bytes, zero-padded, tell the schema
 * names apart, so a multiply-shift of them finds the slot (dn__field_wide_slot) and two masked
 * words and the length confirm the match.
 */
#define DN__FIELD_WIDE_MUL 0xa2a0929b16890d91ull
extern const uint8_t dn__field_wide_slot[DN__FIELD_HASH_SLOTS];

static inline dn__field dn__fields_lookup_wide(const char *key, size_t len)
{
    if (len == 0 || len > 16)
        return DN__F_ATTR;
    uint64_t lo = dn__load64(key), hi = dn__load64(key + 8);
    if (len < 8) {
        lo &= ~0ull >> (64 - 8 * len);
        hi = 0;
    } else if (len == 8) {
        hi = 0;
    } else if (len < 16) {
        hi &= ~0ull >> (128 - 8 * len);
    }
    dn__field f = (dn__field)dn__field_wide_slot[(lo * DN__FIELD_WIDE_MUL) >> 58];
    if (f != DN__F_ATTR && dn__field_len[f] == len && dn__load64(dn__field_text[f]) == lo &&
        dn__load64(dn__field_text[f] + 8) == hi)
        return f;
    return DN__F_ATTR;
}

/* The field a key names (top-level when !in_customer), or DN__F_ATTR. */
static inline dn__field dn__fields_lookup(const char *key, size_t len, bool in_customer)
{
    dn__field f = dn__fields_lookup_any(key, len);
    if (f == DN__F_ATTR || (f >= DN__F_FIRST_CUSTOMER) == in_customer)
        return f;
    return DN__F_ATTR;
}

/* dn__fields_lookup() where 16 bytes can be read from key (see dn__fields_lookup_wide()). */
static inline dn__field dn__fields_lookup_at(const char *key, size_t len, bool in_customer)
{
    dn__field f = dn__fields_lookup_wide(key, len);
    if (f == DN__F_ATTR || (f >= DN__F_FIRST_CUSTOMER) == in_customer)
        return f;
    return DN__F_ATTR;
}
/* The schema name of a field; "attrs" for DN__F_ATTR. */
const char *dn__fields_name(dn__field f);
/* Name used in duplicate_key:<name>: the key itself when it is any schema name, else "attrs". */
const char *dn__fields_dup_name(const char *key, size_t len);

/* Starts an event: resets the arena and *ev. */
void dn__fields_begin(dn__decoder *d, dn_event *ev);
/* The out-of-line parts of dn__fields_set(), below. */
int dn__fields_set_attr(dn__decoder *d, dn_event *ev, const char *key, size_t klen,
                        const dn__dval *v, bool in_customer, dn__reject *rej);
int dn__fields_set_other(dn__decoder *d, dn_event *ev, dn__field f, const dn__dval *v,
                         dn__reject *rej);
int dn__fields_reject_dup(dn__decoder *d, dn__field f, dn__reject *rej);
int dn__fields_reject_value(dn__decoder *d, dn__field f, const dn__dval *v, dn__reject *rej);
int dn__fields_copy_str(dn__decoder *d, const dn__dval *v, dn_str *out);

/*
 * Applies key = v to ev, where f = dn__fields_lookup(key, klen, in_customer) and in_customer
 * says the key is inside the customer map. A map value for "customer" only marks it present:
 * when f is DN__F_CUSTOMER and this returned 0, the caller feeds the map's entries with
 * in_customer = true. Returns 0, DN_EBADEVENT (rej filled) or DN_ENOMEM.
 */
static inline int dn__fields_set(dn__decoder *d, dn_event *ev, dn__field f, const char *key,
                                 size_t klen, const dn__dval *v, bool in_customer, dn__reject *rej)
{
    if (f == DN__F_ATTR)
        return dn__fields_set_attr(d, ev, key, klen, v, in_customer, rej);
    uint32_t bit = 1u << f;
    if (d->seen & bit)
        return dn__fields_reject_dup(d, f, rej);
    d->seen |= bit;
    switch (f) {
#define DN__SET_STR(F, m, mx)                                                                      \
    case DN__F_##F:                                                                                \
        if (v->kind != DN__DV_STR || v->len > (mx))                                                \
            return dn__fields_reject_value(d, f, v, rej);                                          \
        if (!d->is_borrowing)                                                                      \
            return dn__fields_copy_str(d, v, &ev->m);                                              \
        ev->m = (dn_str){v->s ? v->s : "", (uint32_t)v->len};                                      \
        return 0;
#define DN__SET_CODE(F, m, n)                                                                      \
    case DN__F_##F:                                                                                \
        if (v->kind != DN__DV_STR || !dn__is_code(v->s, v->len, n))                                \
            return dn__fields_reject_value(d, f, v, rej);                                          \
        memcpy(ev->m, v->s, n);                                                                    \
        ev->m[n] = '\0';                                                                           \
        return 0;
#define DN__SET_INT(F, m, l, h)                                                                    \
    case DN__F_##F:                                                                                \
        if (v->kind != DN__DV_INT || v->i < (l) || v->i > (h))                                     \
            return dn__fields_reject_value(d, f, v, rej);                                          \
        ev->m = v->i;                                                                              \
        return 0;
#define DN__SET_INT_HAS(F, m, hm, l, h)                                                            \
    case DN__F_##F:                                                                                \
        if (v->kind != DN__DV_INT || v->i < (l) || v->i > (h))                                     \
            return dn__fields_reject_value(d, f, v, rej);                                          \
        ev->m = v->i;                                                                              \
        ev->hm = true;                                                                             \
        return 0;
        DN__FIELD_RULES(DN__SET_STR, DN__SET_CODE, DN__SET_INT, DN__SET_INT_HAS)
#undef DN__SET_STR
#undef DN__SET_CODE
#undef DN__SET_INT
#undef DN__SET_INT_HAS
    default:
        return dn__fields_set_other(d, ev, f, v, rej);
    }
}
/* Checks required fields once the map is done. Returns 0 or DN_EBADEVENT. */
int dn__fields_finish(dn__decoder *d, dn_event *ev, dn__reject *rej);

/*
 * Fills rej: the reason is code, or code ":" key when key is not NULL (copied into d->reason);
 * the detail is printf-formatted into d->detail. Returns DN_EBADEVENT.
 */
int dn__reject_set(dn__decoder *d, dn__reject *rej, const char *code, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
