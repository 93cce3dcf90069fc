/*
 * event.h - one decoded payment event.
 *
 * A dn_event is what the decoders (msgpack map or JSON object) produce and what the rules read.
 * Fixed fields are typed: time in ms since the epoch (UTC), money as int64 minor units beside its
 * ISO 4217 code, countries as ISO 3166-1 alpha-2 codes. Keys the schema does not name are kept as
 * attributes in the order they appeared.
 *
 * Ownership: every dn_str, the attrs array and the customer strings point into memory owned by
 * whoever decoded the event: the decoder's per-event arena, or (msgpack, schema strings) the
 * frame's own bytes in the reader's buffer. They stay valid until the next decode on that
 * decoder or the next frame read, which the pipeline does after the event is scored.
 * dn_event_clone() makes an event that owns its memory in one block (dn_event_clone_into()
 * does the same in a block the caller provides). A dn_str is not NUL-terminated: use its len.
 *
 * A string field that was absent has ptr == NULL and len == 0; a present empty string has a
 * non-NULL ptr and len == 0. Country and currency codes are NUL-terminated, "" when absent.
 */
#ifndef DRAGNET_EVENT_H
#define DRAGNET_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of the wire format (DESIGN.md, "Event"). */
#define DN_ID_MAX_LEN        64  /* id, src, dst, device, ip */
#define DN_REFERENCE_MAX_LEN 140 /* reference (ISO 20022 RmtInf/Ustrd) */
#define DN_TEXT_MAX_LEN      256 /* every other string field, attribute keys and values */
#define DN_ATTR_MAX_COUNT    64  /* unknown keys kept per event */

typedef struct dn_str {
    const char *ptr;
    uint32_t len;
} dn_str;

#define DN_EVENT_TYPE_MAP(X)                                                                       \
    X(TRANSFER, "transfer")                                                                        \
    X(CARD, "card")                                                                                \
    X(CASH_DEPOSIT, "cash_deposit")                                                                \
    X(CASH_WITHDRAWAL, "cash_withdrawal")                                                          \
    X(CRYPTO_BUY, "crypto_buy")                                                                    \
    X(CRYPTO_SELL, "crypto_sell")                                                                  \
    X(ACCOUNT_OPEN, "account_open")                                                                \
    X(LOGIN, "login")

typedef enum dn_event_type {
#define DN_EVENT_TYPE_ENUM(name, text) DN_EV_##name,
    DN_EVENT_TYPE_MAP(DN_EVENT_TYPE_ENUM)
#undef DN_EVENT_TYPE_ENUM
        DN_EV_TYPE_COUNT
} dn_event_type;

/* The wire name of a type ("transfer"), or NULL when t is out of range. */
const char *dn_event_type_name(dn_event_type t);
/* Parses a wire type name; returns 0 and sets *out, or DN_EINVAL. */
int dn_event_type_parse(const char *s, size_t len, dn_event_type *out);
/* True for types that move money: amount and currency are required. */
bool dn_event_type_is_payment(dn_event_type t);

typedef enum dn_value_kind {
    DN_VAL_NIL,
    DN_VAL_BOOL,
    DN_VAL_INT,
    DN_VAL_FLOAT,
    DN_VAL_STR,
    DN_VAL_COMPLEX /* a nested map or array: kept by key, its value is not interpreted */
} dn_value_kind;

typedef struct dn_attr {
    dn_str key;
    dn_value_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        dn_str s;
    } v;
} dn_attr;

typedef struct dn_customer {
    bool is_present; /* the event carried a customer map */
    bool has_birth_year;
    int32_t birth_year;
    bool has_opened;
    int64_t opened_ms; /* when the customer's account was opened */
    dn_str segment;
    char residence[3]; /* ISO 3166-1 alpha-2, "" when absent */
} dn_customer;

typedef struct dn_event {
    dn_str id;
    int64_t ts_ms;
    dn_event_type type;

    bool has_amount;
    int64_t amount_minor; /* in minor units of currency; never negative */
    char currency[4];     /* ISO 4217, "" when absent */

    dn_str src, dst;
    dn_str src_name, dst_name;
    char src_country[3], dst_country[3];
    dn_str src_bank, dst_bank;
    dn_str reference;
    dn_str purpose;
    dn_str channel;
    bool has_mcc;
    int32_t mcc;
    dn_str device, ip;
    char ip_country[3];
    int8_t remote_access; /* -1 absent, 0 false, 1 true */
    dn_customer customer;

    dn_attr *attrs;
    uint32_t attr_count;
} dn_event;

/* Sets every field to absent. */
void dn_event_init(dn_event *ev);

/*
 * Deep-copies ev into one heap block that the returned event owns (strings and attrs included).
 * Free with dn_event_free(). Returns 0 or DN_ENOMEM.
 */
int dn_event_clone(const dn_event *ev, dn_event **out);
void dn_event_free(dn_event *ev); /* a dn_event_clone() result; accepts NULL */

/*
 * The bytes a deep copy of ev takes: the struct, the attrs array and every present string
 * with a NUL after it. For callers that manage the memory of copies themselves.
 */
size_t dn_event_clone_size(const dn_event *ev);
/*
 * Deep-copies ev into buf, which must hold dn_event_clone_size(ev) bytes and be aligned for a
 * dn_event (as malloc'd memory is). Returns the copy, which starts at buf; its strings and attrs
 * point into buf, so it lives as long as buf does and is released by releasing buf (never with
 * dn_event_free unless buf came from malloc). Cannot fail. The copy's strings are
 * NUL-terminated, though a dn_str user still goes by len.
 */
dn_event *dn_event_clone_into(const dn_event *ev, void *buf);

/* Finds an attribute by key; NULL when absent. */
const dn_attr *dn_event_attr(const dn_event *ev, const char *key, size_t key_len);

#ifdef __cplusplus
}
#endif
#endif
