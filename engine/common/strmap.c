/* strmap.c - see strmap.h. Linear probing over a power-of-two slot table, load factor <= 1/2. */
#include "common/strmap.h"
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

void dn__strmap_init(dn__strmap *m)
{
    memset(m, 0, sizeof(*m));
    dn__arena_init(&m->keys, 64 * 1024);
}

void dn__strmap_free(dn__strmap *m)
{
    free(m->entries);
    free(m->slots);
    dn__arena_destroy(&m->keys);
    memset(m, 0, sizeof(*m));
}

static uint32_t *probe(const dn__strmap *m, uint64_t h, const char *key, size_t len)
{
    uint32_t i = (uint32_t)h & m->slot_mask;
    for (;;) {
        uint32_t *s = &m->slots[i];
        if (*s == 0)
            return s;
        const dn__strmap_entry *e = &m->entries[*s - 1];
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
            return s;
        i = (i + 1) & m->slot_mask;
    }
}

static int grow(dn__strmap *m)
{
    uint32_t nslots = m->slots ? (m->slot_mask + 1) * 2 : 64;
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    free(m->slots);
    m->slots = slots;
    m->slot_mask = nslots - 1;
    for (uint32_t k = 0; k < m->count; k++) {
        uint32_t i = (uint32_t)m->entries[k].hash & m->slot_mask;
        while (m->slots[i])
            i = (i + 1) & m->slot_mask;
        m->slots[i] = k + 1;
    }
    return 0;
}

dn__strmap_entry *dn__strmap_find(const dn__strmap *m, const char *key, size_t len)
{
    if (!m->slots)
        return NULL;
    uint32_t *s = probe(m, dn__hash64(key, len), key, len);
    return *s ? &m->entries[*s - 1] : NULL;
}

dn__strmap_entry *dn__strmap_upsert(dn__strmap *m, const char *key, size_t len, bool *is_new)
{
    if ((!m->slots || (m->count + 1) * 2 > m->slot_mask + 1) && grow(m))
        return NULL;
    uint64_t h = dn__hash64(key, len);
    uint32_t *s = probe(m, h, key, len);
    if (*s) {
        if (is_new)
            *is_new = false;
        return &m->entries[*s - 1];
    }
    if (m->count == m->entries_cap) {
        uint32_t cap = m->entries_cap ? m->entries_cap * 2 : 64;
        dn__strmap_entry *e = realloc(m->entries, cap * sizeof(*e));
        if (!e)
            return NULL;
        m->entries = e;
        m->entries_cap = cap;
    }
    char *copy = dn__arena_strndup(&m->keys, key, len);
    if (!copy)
        return NULL;
    dn__strmap_entry *e = &m->entries[m->count];
    e->key = copy;
    e->key_len = (uint32_t)len;
    e->hash = h;
    e->value = 0;
    *s = ++m->count;
    if (is_new)
        *is_new = true;
    return e;
}
