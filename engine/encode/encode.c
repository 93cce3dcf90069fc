/*
 * encode.c - dn_event to msgpack (msgpack-c packer) and to JSON (dn__buf escaping).
 *
 * One walk over the fields drives both formats: a small emitter interface with a msgpack and a
 * JSON implementation, so the two can never disagree on which keys are written. The msgpack map
 * header needs the key count first, so the walk runs twice for msgpack: once counting, once
 * writing. Strings are written as given (the JSON side replaces invalid UTF-8, see buf.h).
 */
#include "encode/encode.h"
#include "dragnet/error.h"

#include <msgpack.h>
#include <string.h>

typedef enum { EM_COUNT, EM_MSGPACK, EM_JSON } em_kind;

typedef struct emitter {
    em_kind kind;
    uint32_t count; /* EM_COUNT: keys seen at the top level */
    bool is_first;  /* EM_JSON: no comma before the next key */
    msgpack_packer pk;
    dn__buf *out;
    int rc;
} emitter;

static int buf_write_cb(void *data, const char *buf, size_t len)
{
    return dn__buf_append((dn__buf *)data, buf, len) ? -1 : 0;
}

static void em_keyn(emitter *e, const char *key, size_t len)
{
    switch (e->kind) {
    case EM_COUNT:
        e->count++;
        break;
    case EM_MSGPACK:
        if (msgpack_pack_str(&e->pk, len) || msgpack_pack_str_body(&e->pk, key, len))
            e->rc = DN_ENOMEM;
        break;
    case EM_JSON:
        if ((!e->is_first && dn__buf_putc(e->out, ',')) || dn__buf_json_str(e->out, key, len) ||
            dn__buf_putc(e->out, ':'))
            e->rc = DN_ENOMEM;
        e->is_first = false;
        break;
    }
}

static void em_key(emitter *e, const char *key)
{
    em_keyn(e, key, strlen(key));
}

static void em_str(emitter *e, const char *s, size_t len)
{
    if (e->kind == EM_MSGPACK) {
        if (msgpack_pack_str(&e->pk, len) || msgpack_pack_str_body(&e->pk, s, len))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        if (dn__buf_json_str(e->out, s, len))
            e->rc = DN_ENOMEM;
    }
}

static void em_int(emitter *e, int64_t v)
{
    if (e->kind == EM_MSGPACK) {
        if (msgpack_pack_int64(&e->pk, v))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        if (dn__buf_printf(e->out, "%lld", (long long)v))
            e->rc = DN_ENOMEM;
    }
}

static void em_double(emitter *e, double v)
{
    if (e->kind == EM_MSGPACK) {
        if (msgpack_pack_double(&e->pk, v))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        /* %.17g round-trips a double; JSON has no NaN or infinity, so those become null. */
        int rc = v == v && v - v == 0 ? dn__buf_printf(e->out, "%.17g", v)
                                      : dn__buf_puts(e->out, "null");
        if (rc)
            e->rc = DN_ENOMEM;
    }
}

static void em_bool(emitter *e, bool v)
{
    if (e->kind == EM_MSGPACK) {
        if (v ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        if (dn__buf_puts(e->out, v ? "true" : "false"))
            e->rc = DN_ENOMEM;
    }
}

static void em_nil(emitter *e)
{
    if (e->kind == EM_MSGPACK) {
        if (msgpack_pack_nil(&e->pk))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        if (dn__buf_puts(e->out, "null"))
            e->rc = DN_ENOMEM;
    }
}

static void em_map_begin(emitter *e, uint32_t n)
{
    if (e->kind == EM_MSGPACK) {
        if (msgpack_pack_map(&e->pk, n))
            e->rc = DN_ENOMEM;
    } else if (e->kind == EM_JSON) {
        if (dn__buf_putc(e->out, '{'))
            e->rc = DN_ENOMEM;
        e->is_first = true;
    }
}

static void em_map_end(emitter *e)
{
    if (e->kind == EM_JSON) {
        if (dn__buf_putc(e->out, '}'))
            e->rc = DN_ENOMEM;
        e->is_first = false;
    }
}

static void field_str(emitter *e, const char *key, dn_str s)
{
    if (!s.ptr)
        return;
    em_key(e, key);
    em_str(e, s.ptr, s.len);
}

static void field_code(emitter *e, const char *key, const char *code)
{
    if (!code[0])
        return;
    em_key(e, key);
    em_str(e, code, strlen(code));
}

static uint32_t customer_key_count(const dn_customer *c)
{
    return (uint32_t)c->has_birth_year + (uint32_t)c->has_opened + (c->segment.ptr != NULL) +
           (c->residence[0] != '\0');
}

/* Emits the whole event; in EM_COUNT mode only counts the top-level keys. */
static void walk(emitter *e, const dn_event *ev)
{
    const char *type = dn_event_type_name(ev->type);
    em_key(e, "id");
    em_str(e, ev->id.ptr ? ev->id.ptr : "", ev->id.len);
    em_key(e, "ts");
    em_int(e, ev->ts_ms);
    em_key(e, "type");
    em_str(e, type ? type : "", type ? strlen(type) : 0);
    if (ev->has_amount) {
        em_key(e, "amount");
        em_int(e, ev->amount_minor);
    }
    field_code(e, "currency", ev->currency);
    field_str(e, "src", ev->src);
    field_str(e, "dst", ev->dst);
    field_str(e, "src_name", ev->src_name);
    field_str(e, "dst_name", ev->dst_name);
    field_code(e, "src_country", ev->src_country);
    field_code(e, "dst_country", ev->dst_country);
    field_str(e, "src_bank", ev->src_bank);
    field_str(e, "dst_bank", ev->dst_bank);
    field_str(e, "reference", ev->reference);
    field_str(e, "purpose", ev->purpose);
    field_str(e, "channel", ev->channel);
    if (ev->has_mcc) {
        em_key(e, "mcc");
        em_int(e, ev->mcc);
    }
    field_str(e, "device", ev->device);
    field_str(e, "ip", ev->ip);
    field_code(e, "ip_country", ev->ip_country);
    if (ev->remote_access >= 0) {
        em_key(e, "remote_access");
        em_bool(e, ev->remote_access > 0);
    }
    const dn_customer *c = &ev->customer;
    if (c->is_present) {
        em_key(e, "customer");
        if (e->kind != EM_COUNT) {
            em_map_begin(e, customer_key_count(c));
            if (c->has_birth_year) {
                em_key(e, "birth_year");
                em_int(e, c->birth_year);
            }
            if (c->has_opened) {
                em_key(e, "opened");
                em_int(e, c->opened_ms);
            }
            field_str(e, "segment", c->segment);
            field_code(e, "residence", c->residence);
            em_map_end(e);
        }
    }
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        const dn_attr *a = &ev->attrs[i];
        em_keyn(e, a->key.ptr ? a->key.ptr : "", a->key.len);
        switch (a->kind) {
        case DN_VAL_BOOL:
            em_bool(e, a->v.b);
            break;
        case DN_VAL_INT:
            em_int(e, a->v.i);
            break;
        case DN_VAL_FLOAT:
            em_double(e, a->v.f);
            break;
        case DN_VAL_STR:
            em_str(e, a->v.s.ptr ? a->v.s.ptr : "", a->v.s.len);
            break;
        case DN_VAL_NIL:
        case DN_VAL_COMPLEX:
            em_nil(e);
            break;
        }
    }
}

int dn__encode_msgpack(const dn_event *ev, dn__buf *out)
{
    emitter e = {.kind = EM_COUNT, .out = out};
    walk(&e, ev);
    uint32_t n = e.count;
    e.kind = EM_MSGPACK;
    msgpack_packer_init(&e.pk, out, buf_write_cb);
    em_map_begin(&e, n);
    walk(&e, ev);
    return e.rc;
}

int dn__encode_json(const dn_event *ev, dn__buf *out)
{
    emitter e = {.kind = EM_JSON, .out = out};
    em_map_begin(&e, 0);
    walk(&e, ev);
    em_map_end(&e);
    return e.rc;
}
