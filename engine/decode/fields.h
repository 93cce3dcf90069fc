/*
 * fields.h - private to engine/decode: the decoder's state and the one field validator that both
 * wire formats feed, value by value, in document order.
 *
 * Each format turns a value into a dn__dval (a view: strings point into the input, which outlives
 * the call) and hands it to dn__fields_set(); dn__fields_finish() checks what must be present.
 * All copies go to d->arena, reset by dn__fields_begin().
 */
#ifndef DN_DECODE_FIELDS_H
#define DN_DECODE_FIELDS_H

#include "common/arena.h"
#include "common/buf.h"
#include "decode/decode.h"

#include <msgpack.h>

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

struct dn__decoder {
    dn__arena arena;   /* per event: strings and attrs of the last event */
    msgpack_zone zone; /* per event: msgpack objects, cleared before each unpack */
    uint32_t seen;     /* bit per dn__field seen in the current map level */
    uint32_t attr_cap;
    bool json_mapped; /* the JSON text had bytes that are not UTF-8: see json.c */
    char *scratch;    /* JSON text with those bytes mapped (grows, kept) */
    size_t scratch_cap;
    char reason[64];
    char detail[256];
};

/* The field a key names (top-level when !in_customer), or DN__F_ATTR. */
dn__field dn__fields_lookup(const char *key, size_t len, bool in_customer);
/* The schema name of a field; "attrs" for DN__F_ATTR. */
const char *dn__fields_name(dn__field f);
/* Name used in duplicate_key:<name>: the key itself when it is any schema name, else "attrs". */
const char *dn__fields_dup_name(const char *key, size_t len);

/* Starts an event: resets the arena and *ev. */
void dn__fields_begin(dn__decoder *d, dn_event *ev);
/*
 * Applies key = v to ev, where f = dn__fields_lookup(key, klen, in_customer) and in_customer
 * says the key is inside the customer map. A map value for "customer" only marks it present:
 * when f is DN__F_CUSTOMER and this returned 0, the caller feeds the map's entries with
 * in_customer = true. Returns 0, DN_EBADEVENT (rej filled) or DN_ENOMEM.
 */
int dn__fields_set(dn__decoder *d, dn_event *ev, dn__field f, const char *key, size_t klen,
                   const dn__dval *v, bool in_customer, dn__reject *rej);
/* Checks required fields once the map is done. Returns 0 or DN_EBADEVENT. */
int dn__fields_finish(dn__decoder *d, dn_event *ev, dn__reject *rej);

/*
 * Fills rej: the reason is code, or code ":" key when key is not NULL (copied into d->reason);
 * the detail is printf-formatted into d->detail. Returns DN_EBADEVENT.
 */
int dn__reject_set(dn__decoder *d, dn__reject *rej, const char *code, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
