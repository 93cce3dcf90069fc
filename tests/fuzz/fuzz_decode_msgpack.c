/*
 * fuzz_decode_msgpack.c - libFuzzer target: arbitrary bytes as one msgpack frame through
 * dn__decode_msgpack, and through the msgpack-c tree path (dn__decode_msgpack_tree) that it
 * falls back to: the two must agree exactly (return code, reason, detail, every field of the
 * event). One decoder per path for the process, reused as in the pipeline (arena and zone carry
 * over between inputs, which is what must stay sound). Replayed over corpus/decode_msgpack/ by
 * ctest in non-fuzz builds.
 */
#include "decode/decode.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

static void same_str(dn_str a, dn_str b)
{
    if (a.len != b.len || (a.ptr == NULL) != (b.ptr == NULL) ||
        (a.len && memcmp(a.ptr, b.ptr, a.len) != 0))
        abort();
}

static void same_event(const dn_event *a, const dn_event *b)
{
    same_str(a->id, b->id);
    if (a->ts_ms != b->ts_ms || a->type != b->type || a->has_amount != b->has_amount ||
        a->amount_minor != b->amount_minor || strcmp(a->currency, b->currency) != 0)
        abort();
    same_str(a->src, b->src);
    same_str(a->dst, b->dst);
    same_str(a->src_name, b->src_name);
    same_str(a->dst_name, b->dst_name);
    if (strcmp(a->src_country, b->src_country) || strcmp(a->dst_country, b->dst_country))
        abort();
    same_str(a->src_bank, b->src_bank);
    same_str(a->dst_bank, b->dst_bank);
    same_str(a->reference, b->reference);
    same_str(a->purpose, b->purpose);
    same_str(a->channel, b->channel);
    if (a->has_mcc != b->has_mcc || a->mcc != b->mcc)
        abort();
    same_str(a->device, b->device);
    same_str(a->ip, b->ip);
    if (strcmp(a->ip_country, b->ip_country) || a->remote_access != b->remote_access)
        abort();
    const dn_customer *ca = &a->customer, *cb = &b->customer;
    if (ca->is_present != cb->is_present || ca->has_birth_year != cb->has_birth_year ||
        ca->birth_year != cb->birth_year || ca->has_opened != cb->has_opened ||
        ca->opened_ms != cb->opened_ms || strcmp(ca->residence, cb->residence) != 0)
        abort();
    same_str(ca->segment, cb->segment);
    if (a->attr_count != b->attr_count || (a->attrs == NULL) != (b->attrs == NULL))
        abort();
    for (uint32_t i = 0; i < a->attr_count; i++) {
        const dn_attr *x = &a->attrs[i], *y = &b->attrs[i];
        same_str(x->key, y->key);
        if (x->kind != y->kind)
            abort();
        if ((x->kind == DN_VAL_BOOL && x->v.b != y->v.b) ||
            (x->kind == DN_VAL_INT && x->v.i != y->v.i) ||
            (x->kind == DN_VAL_FLOAT && memcmp(&x->v.f, &y->v.f, sizeof(double)) != 0))
            abort();
        if (x->kind == DN_VAL_STR)
            same_str(x->v.s, y->v.s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dn__decoder *d, *t;
    if (!d && (dn__decoder_new(&d) != 0 || dn__decoder_new(&t) != 0))
        abort();
    dn_event ev, evt;
    dn__reject rej, rejt;
    int rc = dn__decode_msgpack(d, data, size, &ev, &rej);
    int rct = dn__decode_msgpack_tree(t, data, size, &evt, &rejt);
    if (rc != rct && rc != DN_ENOMEM && rct != DN_ENOMEM)
        abort();
    if (rc == 0) {
        /* Touch every string the event holds: they must be inside live memory. */
        volatile size_t sum = ev.id.len + ev.src.len + ev.dst.len;
        for (uint32_t i = 0; i < ev.attr_count; i++)
            sum +=
                ev.attrs[i].key.len + (ev.attrs[i].key.len ? (uint8_t)ev.attrs[i].key.ptr[0] : 0);
        if (ev.id.len)
            sum += (uint8_t)ev.id.ptr[ev.id.len - 1];
        (void)sum;
        if (rct == 0)
            same_event(&ev, &evt);
    } else if (rc == DN_EBADEVENT) {
        if (!rej.reason || !rej.detail || strlen(rej.reason) == 0)
            abort();
        if (rct == DN_EBADEVENT &&
            (strcmp(rej.reason, rejt.reason) != 0 || strcmp(rej.detail, rejt.detail) != 0))
            abort();
    } else if (rc != DN_ENOMEM) {
        abort();
    }
    return 0;
}
