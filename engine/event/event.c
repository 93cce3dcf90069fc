/*
 * event.c - helpers over dn_event: type names, init, deep clone, attribute lookup.
 * A clone is one block: the struct, then the attrs array, then every string's bytes, each
 * followed by a NUL. dn_event_clone mallocs the block; dn_event_clone_into fills a block its
 * caller provides (the reorder buffer's pool), of exactly dn_event_clone_size bytes.
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

/* Copies n bytes that the source may not extend past (a dn_str is not NUL-terminated and may
 * end at a page boundary). Most event strings are short: those are copied with two overlapping
 * fixed-size moves each, inline, instead of a call into the library memcpy per string. */
static inline void copy_bytes(char *d, const char *s, uint32_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n > 16 && n <= 32) {
        uint64_t a[2], b[2];
        memcpy(a, s, 16);
        memcpy(b, s + n - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + n - 16, b, 16);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0 && n < 4) {
        char a = s[0], b = s[n / 2], c = s[n - 1];
        d[0] = a;
        d[n / 2] = b;
        d[n - 1] = c;
    } else if (n > 32) {
        memcpy(d, s, n);
    }
}

static inline dn_str str_copy(dn_str s, char **cursor)
{
    if (!s.ptr)
        return s;
    char *p = *cursor;
    copy_bytes(p, s.ptr, s.len);
    p[s.len] = '\0';
    *cursor = p + s.len + 1;
    return (dn_str){p, s.len};
}

/* One field a line: packed, clang-format does not settle on one layout for this list. */
#define EVENT_STR_FIELDS(X)                                                                        \
    X(id)                                                                                          \
    X(src)                                                                                         \
    X(dst)                                                                                         \
    X(src_name)                                                                                    \
    X(dst_name)                                                                                    \
    X(src_bank)                                                                                    \
    X(dst_bank)                                                                                    \
    X(reference)                                                                                   \
    X(purpose)                                                                                     \
    X(channel)                                                                                     \
    X(device)                                                                                      \
    X(ip)                                                                                          \
    X(customer.segment)

size_t dn_event_clone_size(const dn_event *ev)
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
    return need;
}

dn_event *dn_event_clone_into(const dn_event *ev, void *buf)
{
    dn_event *c = buf;
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
    return c;
}

int dn_event_clone(const dn_event *ev, dn_event **out)
{
    void *buf = malloc(dn_event_clone_size(ev));
    if (!buf)
        return DN_ENOMEM;
    *out = dn_event_clone_into(ev, buf);
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
