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

/*
 * The entries of the event map (level 0) or of the customer map (level 1) into the validator.
 * The cursor is copied into a local that never has its address taken, so that it stays in
 * registers across the stores into ev.
 */
static bool pull_map(dn__decoder *d, dn_event *ev, cursor *cur, uint32_t count, bool in_customer,
                     dn__reject *rej)
{
    cursor c = *cur;
    if (count > (size_t)(c.end - c.p) / 2)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        const char *k;
        size_t kl;
        dn__dval v;
        uint32_t n = 0;
        const uint8_t *p = c.p;
        if (p < c.end && (p[0] & 0xe0) == 0xa0 && (size_t)(p[0] & 0x1f) < (size_t)(c.end - p)) {
            k = (const char *)p + 1; /* a fixstr key: nearly all of them */
            kl = p[0] & 0x1f;
            c.p = p + 1 + kl;
        } else if (!read_bytes(&c, &k, &kl)) {
            return false;
        }
        if (!read_value(&c, &v, &n))
            return false;
        dn__field f = c.end - (const uint8_t *)k >= 16 ? dn__fields_lookup_at(k, kl, in_customer)
                                                       : dn__fields_lookup(k, kl, in_customer);
        if (dn__fields_set(d, ev, f, k, kl, &v, in_customer, rej) != 0)
            return false;
        if (v.kind != DN__DV_MAP && v.kind != DN__DV_ARRAY)
            continue;
        /* The validator took a container only as the customer map or as an attribute. */
        cursor sub = c;
        if (f == DN__F_CUSTOMER) {
            if (!pull_map(d, ev, &sub, n, true, rej))
                return false;
        } else if (!skip_nested(&sub, v.kind == DN__DV_MAP, n, in_customer ? 2 : 1)) {
            return false;
        }
        c = sub;
    }
    *cur = c;
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
