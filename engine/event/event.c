/*
 * event.c - helpers over dn_event: type names, init, deep clone, attribute lookup.
 * A clone is one malloc'd block: the struct, then the attrs array, then every string's bytes.
 */
#include "dragnet/error.h"
#include "dragnet/event.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[DN_EV_TYPE_COUNT] = {
#define DN_EVENT_TYPE_NAME(name, text) text,
    DN_EVENT_TYPE_MAP(DN_EVENT_TYPE_NAME)
#undef DN_EVENT_TYPE_NAME
};

static const uint8_t type_lens[DN_EV_TYPE_COUNT] = {
#define DN_EVENT_TYPE_LEN(name, text) sizeof(text) - 1,
    DN_EVENT_TYPE_MAP(DN_EVENT_TYPE_LEN)
#undef DN_EVENT_TYPE_LEN
};

const char *dn_event_type_name(dn_event_type t)
{
    if ((int)t < 0 || t >= DN_EV_TYPE_COUNT)
        return NULL;
    return type_names[t];
}

int dn_event_type_parse(const char *s, size_t len, dn_event_type *out)
{
    for (int i = 0; i < DN_EV_TYPE_COUNT; i++) {
        if (type_lens[i] == len && memcmp(type_names[i], s, len) == 0) {
            *out = (dn_event_type)i;
            return 0;
        }
    }
    return DN_EINVAL;
}

bool dn_event_type_is_payment(dn_event_type t)
{
    return t != DN_EV_ACCOUNT_OPEN && t != DN_EV_LOGIN;
}

void dn_event_init(dn_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->remote_access = -1;
}

static size_t str_need(dn_str s)
{
    return s.ptr ? (size_t)s.len + 1 : 0;
}

static dn_str str_copy(dn_str s, char **cursor)
{
    if (!s.ptr)
        return s;
    char *p = *cursor;
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    *cursor = p + s.len + 1;
    return (dn_str){p, s.len};
}

#define EVENT_STR_FIELDS(X)                                                                        \
    X(id)                                                                                          \
    X(src)                                                                                         \
    X(dst) X(src_name) X(dst_name) X(src_bank) X(dst_bank) X(reference) X(purpose) X(channel)      \
        X(device) X(ip) X(customer.segment)

int dn_event_clone(const dn_event *ev, dn_event **out)
{
    size_t need = sizeof(dn_event) + (size_t)ev->attr_count * sizeof(dn_attr);
#define NEED(f) need += str_need(ev->f);
    EVENT_STR_FIELDS(NEED)
#undef NEED
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        need += str_need(ev->attrs[i].key);
        if (ev->attrs[i].kind == DN_VAL_STR)
            need += str_need(ev->attrs[i].v.s);
    }
    dn_event *c = malloc(need);
    if (!c)
        return DN_ENOMEM;
    *c = *ev;
    dn_attr *attrs = (dn_attr *)(c + 1);
    char *cursor = (char *)(attrs + ev->attr_count);
#define COPY(f) c->f = str_copy(ev->f, &cursor);
    EVENT_STR_FIELDS(COPY)
#undef COPY
    c->attrs = ev->attr_count ? attrs : NULL;
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        attrs[i] = ev->attrs[i];
        attrs[i].key = str_copy(ev->attrs[i].key, &cursor);
        if (ev->attrs[i].kind == DN_VAL_STR)
            attrs[i].v.s = str_copy(ev->attrs[i].v.s, &cursor);
    }
    *out = c;
    return 0;
}

void dn_event_free(dn_event *ev)
{
    free(ev);
}

const dn_attr *dn_event_attr(const dn_event *ev, const char *key, size_t key_len)
{
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        const dn_attr *a = &ev->attrs[i];
        if (a->key.len == key_len && memcmp(a->key.ptr, key, key_len) == 0)
            return a;
    }
    return NULL;
}
