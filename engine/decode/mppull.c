/*
 * mppull.c - the msgpack hot path: one frame read straight into the field validator, with no
 * object tree and no allocation but the event's own strings.
 *
 * The pull reader only ever accepts. It walks the frame once, handing each key and value of the
 * event map (and of the customer map) to dn__fields_set() as it meets them and checking nested
 * values for duplicate keys and depth. The moment it meets anything it is not sure about - a
 * frame cut short, byte 0xc1, bytes after the map, a container at the depth limit, a key that is
 * not a string, a nested map of more than NESTED_KEYS_MAX keys, a duplicate key, or any reason
 * the validator gives - it gives up, and the frame is decoded again from scratch by the msgpack-c
 * tree path (msgpack.c, dn__decode_msgpack_tree). That path alone decides every rejection, so the
 * reason and detail of a bad frame cannot depend on which path saw it first.
 *
 * Why an accepted frame gives the same event on both paths:
 *   - it is one whole msgpack object filling the frame, a map at the root, no byte 0xc1 and no
 *     container DN_DECODE_MAX_DEPTH levels down (the root map is level 0), which is exactly what
 *     msgpack_unpack() plus object_depth_ok() accept in msgpack.c;
 *   - no map at any level holds a key twice: the event and customer maps through the validator
 *     (a bit per schema field, attribute keys compared by bytes), nested maps pairwise here;
 *     str and bin keys compare by bytes alone, as same_key() does, and other keys give up;
 *   - the validator sees the same (key, value) sequence in document order, each value mapped as
 *     to_dval() maps msgpack-c's objects: bin as a string, float32 widened to double, unsigned
 *     above INT64_MAX as DN__DV_BIGU holding (double)u, ext as DN__DV_EXT.
 * A nested container is recursed into at most DN_DECODE_MAX_DEPTH deep (bounded stack).
 */
#include "decode/fields.h"
#include "dragnet/error.h"

#include <string.h>

/* Nested maps (inside attributes) with more keys than this take the tree path. */
#define NESTED_KEYS_MAX 32

typedef struct cursor {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

static inline uint64_t be_n(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A str or bin at c (a key, or a value where bytes are expected); false when it is neither or is
 * cut short. */
static inline bool read_bytes(cursor *c, const char **s, size_t *len)
{
    const uint8_t *p = c->p;
    size_t avail = (size_t)(c->end - p);
    if (avail == 0)
        return false;
    uint8_t b = p[0];
    size_t hs, n;
    if (b >= 0xa0 && b <= 0xbf) {
        hs = 1;
        n = b & 0x1f;
    } else if (b == 0xd9 || b == 0xc4) {
        hs = 2;
        if (avail < hs)
            return false;
        n = p[1];
    } else if (b == 0xda || b == 0xc5) {
        hs = 3;
        if (avail < hs)
            return false;
        n = (size_t)be_n(p + 1, 2);
    } else if (b == 0xdb || b == 0xc6) {
        hs = 5;
        if (avail < hs)
            return false;
        n = (size_t)be_n(p + 1, 4);
    } else {
        return false;
    }
    if (n > avail - hs)
        return false;
    *s = (const char *)p + hs;
    *len = n;
    c->p = p + hs + n;
    return true;
}

/*
 * One value at c into *v as to_dval() would map it: a scalar whole, a container by its header
 * only (*count is its element count, entries for a map). False when cut short or at 0xc1.
 */
static inline bool read_value(cursor *c, dn__dval *v, uint32_t *count)
{
    const uint8_t *p = c->p;
    size_t avail = (size_t)(c->end - p);
    if (avail == 0)
        return false;
    uint8_t b = p[0];
    *v = (dn__dval){.kind = DN__DV_NIL};
    if ((b & 0xe0) == 0xa0) { /* fixstr: most values */
        size_t n = b & 0x1f;
        if (n > avail - 1)
            return false;
        v->kind = DN__DV_STR;
        v->s = (const char *)p + 1;
        v->len = n;
        c->p = p + 1 + n;
        return true;
    }
    if (b <= 0x7f) {
        v->kind = DN__DV_INT;
        v->i = b;
        c->p = p + 1;
        return true;
    }
    if (b >= 0xe0) {
        v->kind = DN__DV_INT;
        v->i = (int8_t)b;
        c->p = p + 1;
        return true;
    }
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb)) {
        v->kind = DN__DV_STR;
        return read_bytes(c, &v->s, &v->len);
    }
    if (b <= 0x9f) {
        v->kind = b <= 0x8f ? DN__DV_MAP : DN__DV_ARRAY;
        *count = b & 0x0f;
        c->p = p + 1;
        return true;
    }
    size_t hs, body = 0;
    switch (b) {
    case 0xc0:
        c->p = p + 1;
        return true;
    case 0xc2:
    case 0xc3:
        v->kind = DN__DV_BOOL;
        v->b = b == 0xc3;
        c->p = p + 1;
        return true;
    case 0xc7:
    case 0xc8:
    case 0xc9: { /* ext 8/16/32: length, type byte, body */
        unsigned n = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
        hs = 2 + n;
        if (avail < hs)
            return false;
        body = (size_t)be_n(p + 1, n);
        v->kind = DN__DV_EXT;
        break;
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext: type byte, 1..16 bytes */
        hs = 2;
        body = (size_t)1 << (b - 0xd4);
        v->kind = DN__DV_EXT;
        break;
    case 0xca: {
        hs = 5;
        if (avail < hs)
            return false;
        uint32_t bits = (uint32_t)be_n(p + 1, 4);
        float f;
        memcpy(&f, &bits, sizeof(f));
        v->kind = DN__DV_FLOAT;
        v->f = f;
        break;
    }
    case 0xcb: {
        hs = 9;
        if (avail < hs)
            return false;
        uint64_t bits = be_n(p + 1, 8);
        v->kind = DN__DV_FLOAT;
        memcpy(&v->f, &bits, sizeof(v->f));
        break;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: {
        unsigned n = 1u << (b - 0xcc);
        hs = 1 + n;
        if (avail < hs)
            return false;
        uint64_t u = be_n(p + 1, n);
        if (u > (uint64_t)INT64_MAX) {
            v->kind = DN__DV_BIGU;
            v->f = (double)u;
        } else {
            v->kind = DN__DV_INT;
            v->i = (int64_t)u;
        }
        break;
    }
    case 0xd0:
        hs = 2;
        if (avail < hs)
            return false;
        v->kind = DN__DV_INT;
        v->i = (int8_t)p[1];
        break;
    case 0xd1:
        hs = 3;
        if (avail < hs)
            return false;
        v->kind = DN__DV_INT;
        v->i = (int16_t)(uint16_t)be_n(p + 1, 2);
        break;
    case 0xd2:
        hs = 5;
        if (avail < hs)
            return false;
        v->kind = DN__DV_INT;
        v->i = (int32_t)(uint32_t)be_n(p + 1, 4);
        break;
    case 0xd3:
        hs = 9;
        if (avail < hs)
            return false;
        v->kind = DN__DV_INT;
        v->i = (int64_t)be_n(p + 1, 8);
        break;
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
        unsigned n = (b == 0xdc || b == 0xde) ? 2 : 4;
        hs = 1 + n;
        if (avail < hs)
            return false;
        *count = (uint32_t)be_n(p + 1, n);
        v->kind = b >= 0xde ? DN__DV_MAP : DN__DV_ARRAY;
        break;
    }
    default: /* 0xc1 */
        return false;
    }
    if (avail < hs || body > avail - hs)
        return false;
    c->p = p + hs + body;
    return true;
}

/*
 * Skips the body of a container at nesting level `level` (count elements; entries when is_map),
 * checking what the tree path checks of it: depth, and no key twice in any map. False to give up.
 */
static bool skip_nested(cursor *c, bool is_map, uint32_t count, unsigned level)
{
    const char *key[NESTED_KEYS_MAX];
    size_t key_len[NESTED_KEYS_MAX];
    if (level >= DN_DECODE_MAX_DEPTH)
        return false;
    /* Every element takes a byte at least: a count the frame cannot hold is a cut frame. */
    if (count > (size_t)(c->end - c->p) / (is_map ? 2 : 1))
        return false;
    if (is_map && count > NESTED_KEYS_MAX)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (is_map) {
            if (!read_bytes(c, &key[i], &key_len[i]))
                return false;
            for (uint32_t j = 0; j < i; j++) {
                if (key_len[j] == key_len[i] && memcmp(key[j], key[i], key_len[i]) == 0)
                    return false;
            }
        }
        dn__dval v;
        uint32_t n = 0;
        if (!read_value(c, &v, &n))
            return false;
        if ((v.kind == DN__DV_MAP || v.kind == DN__DV_ARRAY) &&
            !skip_nested(c, v.kind == DN__DV_MAP, n, level + 1))
            return false;
    }
    return true;
}

/* An integer that fits int64 at p (avail >= 1 bytes): its value and size, or false. */
static inline bool fast_int(const uint8_t *p, size_t avail, int64_t *i, size_t *size)
{
    uint8_t b = p[0];
    if (b <= 0x7f || b >= 0xe0) {
        *i = (int8_t)b; /* positive and negative fixint */
        *size = 1;
        return true;
    }
    if (b < 0xcc || b > 0xd3)
        return false;
    unsigned w = 1u << ((b - 0xcc) & 3);
    if (avail <= w)
        return false;
    uint64_t u;
    int64_t v;
    switch (w) {
    case 1:
        u = p[1];
        v = (int8_t)p[1];
        break;
    case 2:
        u = (uint16_t)(p[1] << 8 | p[2]);
        v = (int16_t)u;
        break;
    case 4:
        u = __builtin_bswap32(dn__load32(p + 1));
        v = (int32_t)(uint32_t)u;
        break;
    default:
        u = __builtin_bswap64(dn__load64(p + 1));
        v = (int64_t)u;
        break;
    }
    if (b <= 0xcf) {
        if (u > (uint64_t)INT64_MAX)
            return false;
        v = (int64_t)u;
    }
    *i = v;
    *size = 1 + w;
    return true;
}

/*
 * The common case of one schema field, straight from the bytes: a fixstr for a string, code or
 * type, an integer, a bool for remote_access, each valid. Stores it as dn__fields_set() would
 * and returns the value's size; returns 0 without touching anything when the value is any other
 * case (another type, invalid, a duplicate, cut short), which the general path then takes.
 */
static inline size_t fast_value(dn__decoder *d, dn_event *ev, dn__field f, const uint8_t *p,
                                const uint8_t *end)
{
    if (f == DN__F_ATTR || (d->seen & (1u << f)) || p >= end)
        return 0;
    size_t avail = (size_t)(end - p), size, n;
    uint8_t b = p[0];
    int64_t i;
    switch (f) {
#define FAST_STR(F, m, mx)                                                                         \
    case DN__F_##F:                                                                                \
        n = b & 0x1f;                                                                              \
        if ((b & 0xe0) != 0xa0 || n >= avail || n > (mx))                                          \
            return 0;                                                                              \
        ev->m = (dn_str){(const char *)p + 1, (uint32_t)n};                                        \
        size = 1 + n;                                                                              \
        break;
#define FAST_CODE(F, m, w)                                                                         \
    case DN__F_##F:                                                                                \
        if (b != (0xa0 | (w)) || (w) >= avail || !dn__is_code((const char *)p + 1, w, w))          \
            return 0;                                                                              \
        memcpy(ev->m, p + 1, w);                                                                   \
        ev->m[w] = '\0';                                                                           \
        size = 1 + (w);                                                                            \
        break;
#define FAST_INT(F, m, l, h)                                                                       \
    case DN__F_##F:                                                                                \
        if (!fast_int(p, avail, &i, &size) || i < (l) || i > (h))                                  \
            return 0;                                                                              \
        ev->m = i;                                                                                 \
        break;
#define FAST_INT_HAS(F, m, hm, l, h)                                                               \
    case DN__F_##F:                                                                                \
        if (!fast_int(p, avail, &i, &size) || i < (l) || i > (h))                                  \
            return 0;                                                                              \
        ev->m = i;                                                                                 \
        ev->hm = true;                                                                             \
        break;
        DN__FIELD_RULES(FAST_STR, FAST_CODE, FAST_INT, FAST_INT_HAS)
#undef FAST_STR
#undef FAST_CODE
#undef FAST_INT
#undef FAST_INT_HAS
    case DN__F_TYPE:
        n = b & 0x1f;
        if ((b & 0xe0) != 0xa0 || n >= avail ||
            dn_event_type_parse((const char *)p + 1, n, &ev->type) != 0)
            return 0;
        size = 1 + n;
        break;
    case DN__F_REMOTE_ACCESS:
        if (b != 0xc2 && b != 0xc3)
            return 0;
        ev->remote_access = b == 0xc3;
        size = 1;
        break;
    default:
        return 0;
    }
    d->seen |= 1u << f;
    return size;
}

/*
 * The entries of the event map (level 0) or of the customer map (level 1) into the validator.
 * The cursor is copied into a local that never has its address taken, so that it stays in
 * registers across the stores into ev.
 */
static bool pull_map(dn__decoder *d, dn_event *ev, cursor *cur, uint32_t count, bool in_customer,
                     dn__reject *rej)
{
    const uint8_t *q = cur->p, *const end = cur->end;
    if (count > (size_t)(end - q) / 2)
        return false;
    /* Keys after "type" follow it: the event map's guesses are per type (see fields.h). */
    dn__key_guess *guess = d->guess[in_customer ? DN_EV_TYPE_COUNT : ev->type];
    for (uint32_t i = 0; i < count; i++) {
        const char *k;
        size_t kl;
        dn__field f;
        uint64_t lo = 0, hi = 0;
        bool is_wide = end - q >= 16 && i < DN__GUESS_KEYS;
        if (is_wide) {
            /* The key as the last event of its type had it here: header and bytes in 16. */
            lo = dn__load64(q);
            hi = dn__load64(q + 8);
            const dn__key_guess *g = &guess[i];
            if ((((lo ^ g->lo) & g->mask_lo) | ((hi ^ g->hi) & g->mask_hi)) == 0) {
                f = (dn__field)g->field;
                k = (const char *)q + 1;
                kl = q[0] & 0x1f;
                q += 1 + kl;
                goto have_key;
            }
        }
        if (q < end && (q[0] & 0xe0) == 0xa0 && (size_t)(q[0] & 0x1f) < (size_t)(end - q)) {
            k = (const char *)q + 1; /* a fixstr key: nearly all of them */
            kl = q[0] & 0x1f;
            f = end - q >= 17 ? dn__fields_lookup_at(k, kl, in_customer)
                              : dn__fields_lookup(k, kl, in_customer);
            if (is_wide && kl < 16) {
                dn__key_guess *g = &guess[i];
                size_t n = 1 + kl; /* header and key: 1..16 bytes */
                g->mask_lo = n >= 8 ? ~0ull : ~0ull >> (64 - 8 * n);
                g->mask_hi = n <= 8 ? 0 : n >= 16 ? ~0ull : ~0ull >> (128 - 8 * n);
                g->lo = lo & g->mask_lo;
                g->hi = hi & g->mask_hi;
                g->field = (uint8_t)f;
            }
            q += 1 + kl;
        have_key:;
            size_t size = fast_value(d, ev, f, q, end);
            if (size) {
                q += size;
                if (f == DN__F_TYPE)
                    guess = d->guess[ev->type];
                continue;
            }
        } else {
            cursor t = {q, end};
            if (!read_bytes(&t, &k, &kl))
                return false;
            q = t.p;
            f = end - (const uint8_t *)k >= 16 ? dn__fields_lookup_at(k, kl, in_customer)
                                               : dn__fields_lookup(k, kl, in_customer);
        }
        /* Any other value: the general path. The cursor is a copy, so that q stays in a
         * register. */
        cursor t = {q, end};
        dn__dval v;
        uint32_t n = 0;
        if (!read_value(&t, &v, &n) || dn__fields_set(d, ev, f, k, kl, &v, in_customer, rej) != 0)
            return false;
        if (f == DN__F_TYPE)
            guess = d->guess[ev->type];
        if (v.kind == DN__DV_MAP || v.kind == DN__DV_ARRAY) {
            /* The validator took a container only as the customer map or as an attribute. */
            if (f == DN__F_CUSTOMER
                    ? !pull_map(d, ev, &t, n, true, rej)
                    : !skip_nested(&t, v.kind == DN__DV_MAP, n, in_customer ? 2 : 1))
                return false;
        }
        q = t.p;
    }
    cur->p = q;
    return true;
}

/*
 * The event map at the start of p[0..avail) through the pull reader into ev. True when it accepts
 * (*end is then where the map ends); false to give up, whatever the reason (rej may be filled).
 */
static inline bool pull_event(dn__decoder *d, const uint8_t *p, size_t avail, dn_event *ev,
                              const uint8_t **end, dn__reject *rej)
{
    if (avail == 0 || !dn__mp_is_map_byte(p[0]))
        return false;
    cursor c = {p, p + avail};
    dn__dval v;
    uint32_t n = 0;
    dn__fields_begin(d, ev);
    d->is_borrowing = true; /* the frame outlives the event: see decode.h */
    if (!read_value(&c, &v, &n) || !pull_map(d, ev, &c, n, false, rej) ||
        dn__fields_finish(d, ev, rej) != 0)
        return false;
    *end = c.p;
    return true;
}

int dn__decode_msgpack(dn__decoder *d, const void *data, size_t len, dn_event *ev, dn__reject *rej)
{
    const uint8_t *end;
    if (pull_event(d, data, len, ev, &end, rej) && end == (const uint8_t *)data + len)
        return 0;
    return dn__decode_msgpack_tree(d, data, len, ev, rej);
}

/*
 * The map the pull reader accepts is one whole object with no byte 0xc1 in any header, read
 * header by header with the bounds dn__mp_frame_end() checks, so it ends where that says the
 * frame ends, and dn__decode_msgpack() on exactly those bytes takes the same pull path to the
 * same event. Anything else is left to the caller, who cuts the frame and decodes it again.
 */
int dn__decode_msgpack_prefix(dn__decoder *d, const void *data, size_t avail, dn_event *ev,
                              size_t *used)
{
    const uint8_t *end;
    dn__reject rej;
    if (!pull_event(d, data, avail, ev, &end, &rej))
        return DN_EAGAIN;
    *used = (size_t)(end - (const uint8_t *)data);
    return 0;
}
