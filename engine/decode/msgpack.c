/*
 * msgpack.c - one msgpack map -> dn_event through msgpack-c's object tree: the reference path.
 *
 * dn__decode_msgpack() (mppull.c) reads most frames without building a tree; whenever it is not
 * sure it may accept a frame it hands the frame to dn__decode_msgpack_tree() here, so this file
 * alone decides every rejection and its reason and detail. It uses the FLOORS.md best path:
 * msgpack_unpack() into the decoder's own zone, cleared per event.
 *
 * Order of checks, so that the reason matches what the JSON decoder says for the same content:
 * framing (one complete object filling the frame), map or not, nesting depth (msgpack-c itself
 * gives up at 32 levels with a "no memory" error we must not mistake for one), then duplicate
 * keys in document order (jansson rejects them while parsing), then the fields in order.
 */
#include "decode/fields.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

static void to_dval(const msgpack_object *o, dn__dval *v)
{
    memset(v, 0, sizeof(*v));
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        v->kind = DN__DV_NIL;
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        v->kind = DN__DV_BOOL;
        v->b = o->via.boolean;
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX) {
            v->kind = DN__DV_BIGU;
            v->f = (double)o->via.u64;
        } else {
            v->kind = DN__DV_INT;
            v->i = (int64_t)o->via.u64;
        }
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        v->kind = DN__DV_INT;
        v->i = o->via.i64;
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        v->kind = DN__DV_FLOAT;
        v->f = o->via.f64;
        break;
    case MSGPACK_OBJECT_STR:
        v->kind = DN__DV_STR;
        v->s = o->via.str.ptr;
        v->len = o->via.str.size;
        break;
    case MSGPACK_OBJECT_BIN: /* bytes are accepted where a string is expected */
        v->kind = DN__DV_STR;
        v->s = o->via.bin.ptr;
        v->len = o->via.bin.size;
        break;
    case MSGPACK_OBJECT_ARRAY:
        v->kind = DN__DV_ARRAY;
        break;
    case MSGPACK_OBJECT_MAP:
        v->kind = DN__DV_MAP;
        break;
    default:
        v->kind = DN__DV_EXT;
        break;
    }
}

/* A map key as bytes; false when it is neither str nor bin. */
static bool key_bytes(const msgpack_object *k, const char **p, size_t *len)
{
    if (k->type == MSGPACK_OBJECT_STR) {
        *p = k->via.str.ptr;
        *len = k->via.str.size;
        return true;
    }
    if (k->type == MSGPACK_OBJECT_BIN) {
        *p = k->via.bin.ptr;
        *len = k->via.bin.size;
        return true;
    }
    return false;
}

static bool same_key(const msgpack_object *a, const msgpack_object *b)
{
    const char *pa, *pb;
    size_t la, lb;
    if (key_bytes(a, &pa, &la) && key_bytes(b, &pb, &lb))
        return la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
    return msgpack_object_equal(*a, *b);
}

/* Sort helper for large nested maps. */
typedef struct keyref {
    const msgpack_object *k;
    uint32_t idx;
} keyref;

static int keyref_cmp(const void *x, const void *y)
{
    const keyref *a = x, *b = y;
    const char *pa = "", *pb = "";
    size_t la = 0, lb = 0;
    int ka = key_bytes(a->k, &pa, &la), kb = key_bytes(b->k, &pb, &lb);
    if (ka != kb)
        return ka - kb;
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = la ? memcmp(pa, pb, la) : 0;
    if (c == 0 && !ka) /* non-string keys: compare their type, then order by index */
        c = (int)a->k->type - (int)b->k->type;
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static const msgpack_object *first_dup(dn__decoder *d, const msgpack_object *o, int *nomem);

/*
 * The first duplicated key of map o in document order (a key repeated in the map, or inside a
 * value that comes before it), or NULL. Maps of up to 32 keys compare pairwise; larger ones sort.
 */
static const msgpack_object *map_first_dup(dn__decoder *d, const msgpack_object_map *m, int *nomem)
{
    uint32_t n = m->size, dup_at = n;
    if (n <= 32) {
        for (uint32_t j = 1; j < n && dup_at == n; j++) {
            for (uint32_t i = 0; i < j; i++) {
                if (same_key(&m->ptr[i].key, &m->ptr[j].key)) {
                    dup_at = j;
                    break;
                }
            }
        }
    } else {
        keyref *refs = dn__arena_alloc(&d->arena, (size_t)n * sizeof(*refs));
        if (!refs) {
            *nomem = 1;
            return NULL;
        }
        for (uint32_t i = 0; i < n; i++)
            refs[i] = (keyref){&m->ptr[i].key, i};
        qsort(refs, n, sizeof(*refs), keyref_cmp);
        for (uint32_t i = 1; i < n; i++) {
            keyref a = refs[i - 1], b = refs[i];
            if (same_key(a.k, b.k) && b.idx < dup_at)
                dup_at = b.idx;
        }
    }
    for (uint32_t i = 0; i < n && i < dup_at; i++) {
        const msgpack_object *inner = first_dup(d, &m->ptr[i].val, nomem);
        if (inner || *nomem)
            return inner;
    }
    return dup_at < n ? &m->ptr[dup_at].key : NULL;
}

static const msgpack_object *first_dup(dn__decoder *d, const msgpack_object *o, int *nomem)
{
    if (o->type == MSGPACK_OBJECT_MAP)
        return map_first_dup(d, &o->via.map, nomem);
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            const msgpack_object *inner = first_dup(d, &o->via.array.ptr[i], nomem);
            if (inner || *nomem)
                return inner;
        }
    }
    return NULL;
}

/*
 * Duplicate check of the event map in document order. Schema keys are caught by a bit per field;
 * other keys are compared pairwise with the keys before them (events carry few); nested values
 * are searched only when present. A map too large for pairwise comparing is sorted instead.
 */
static int check_dups(dn__decoder *d, const msgpack_object_map *m, dn__reject *rej)
{
    int nomem = 0;
    const msgpack_object *dup = NULL;
    if (m->size > DN_ATTR_MAX_COUNT + DN__F_COUNT) {
        dup = map_first_dup(d, m, &nomem);
    } else {
        uint32_t seen = 0;
        for (uint32_t j = 0; j < m->size && !dup && !nomem; j++) {
            const msgpack_object_kv *kv = &m->ptr[j];
            const char *kp;
            size_t kl;
            dn__field f = DN__F_ATTR;
            if (key_bytes(&kv->key, &kp, &kl))
                f = dn__fields_lookup(kp, kl, false);
            if (f != DN__F_ATTR) {
                if (seen & (1u << f))
                    dup = &kv->key;
                seen |= 1u << f;
            } else {
                for (uint32_t i = 0; i < j && !dup; i++) {
                    if (same_key(&m->ptr[i].key, &kv->key))
                        dup = &kv->key;
                }
            }
            msgpack_object_type t = kv->val.type;
            if (!dup && (t == MSGPACK_OBJECT_MAP || t == MSGPACK_OBJECT_ARRAY))
                dup = first_dup(d, &kv->val, &nomem);
        }
    }
    if (nomem)
        return DN_ENOMEM;
    if (!dup)
        return 0;
    const char *kp = "";
    size_t kl = 0;
    if (!key_bytes(dup, &kp, &kl))
        return dn__reject_set(d, rej, "duplicate_key", "attrs", "a non-string key appears twice");
    return dn__reject_set(d, rej, "duplicate_key", dn__fields_dup_name(kp, kl),
                          "key %.*s appears twice", kl > 64 ? 64 : (int)kl, kp);
}

static int set_map(dn__decoder *d, dn_event *ev, const msgpack_object_map *m, bool in_customer,
                   dn__reject *rej)
{
    for (uint32_t i = 0; i < m->size; i++) {
        const char *kp;
        size_t kl;
        if (!key_bytes(&m->ptr[i].key, &kp, &kl))
            return dn__reject_set(d, rej, "bad_type", "attrs", "map keys must be strings");
        dn__dval v;
        to_dval(&m->ptr[i].val, &v);
        dn__field f = dn__fields_lookup(kp, kl, in_customer);
        int rc = dn__fields_set(d, ev, f, kp, kl, &v, in_customer, rej);
        if (rc)
            return rc;
        if (f == DN__F_CUSTOMER) {
            rc = set_map(d, ev, &m->ptr[i].val.via.map, true, rej);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int dn__decode_msgpack_tree(dn__decoder *d, const void *data, size_t len, dn_event *ev,
                            dn__reject *rej)
{
    const uint8_t *p = data;
    int rc;
    dn__fields_begin(d, ev);
    if (len == 0)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL, "empty frame");

    /* Framing, depth and map-ness from the bytes alone, before msgpack-c: dn__mp_measure passes
     * exactly the frames that msgpack_unpack() parses whole (one object, no byte 0xc1) and that
     * nest less than DN_DECODE_MAX_DEPTH deep (msgpack-c itself gives up at 32 levels with a "no
     * memory" error we must not mistake for one). Measuring first also keeps from msgpack-c the
     * cut frames whose counts it would allocate for before finding them short (a map32 header of
     * 2^32 - 1 entries asks for 128 GiB). */
    size_t used;
    int st = dn__mp_measure(p, len, DN_DECODE_MAX_DEPTH, &used);
    if (st == DN__MP_INVALID)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL, "byte 0x%02x at %zu is never used",
                              p[used], used);
    if (st == DN__MP_MORE)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL,
                              "the object is cut short (%zu bytes)", len);
    if (st == DN__MP_TOO_DEEP)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL, "nested deeper than %d levels",
                              DN_DECODE_MAX_DEPTH);
    if (used != len)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL,
                              "%zu bytes follow the object in the frame", len - used);
    if (!dn__mp_is_map_byte(p[0]))
        return dn__reject_set(d, rej, "not_a_map", NULL,
                              "the event is not a map (first byte 0x%02x)", p[0]);

    msgpack_object root;
    msgpack_zone_clear(&d->zone);
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack(data, len, &off, &d->zone, &root);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return DN_ENOMEM;
    if (ur != MSGPACK_UNPACK_SUCCESS || root.type != MSGPACK_OBJECT_MAP)
        return dn__reject_set(d, rej, "invalid_msgpack", NULL, "msgpack-c rejected the frame (%d)",
                              (int)ur);

    rc = check_dups(d, &root.via.map, rej);
    if (rc)
        return rc;
    rc = set_map(d, ev, &root.via.map, false, rej);
    if (rc)
        return rc;
    return dn__fields_finish(d, ev, rej);
}
