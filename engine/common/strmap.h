/*
 * strmap.h - an open-addressing map from byte strings to a uint64 value.
 *
 * For sets and counters off the hot path (labels, report tallies, distinct-account counts). Keys
 * are copied into the map's own arena; values are the caller's. Iteration order is insertion
 * order, so reports built from a map are deterministic.
 */
#ifndef DN_COMMON_STRMAP_H
#define DN_COMMON_STRMAP_H

#include "common/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dn__strmap_entry {
    const char *key; /* NUL-terminated copy */
    uint32_t key_len;
    uint64_t hash;
    uint64_t value;
} dn__strmap_entry;

typedef struct dn__strmap {
    dn__strmap_entry *entries; /* insertion order */
    uint32_t count, entries_cap;
    uint32_t *slots; /* 1-based index into entries, 0 empty */
    uint32_t slot_mask;
    dn__arena keys;
} dn__strmap;

void dn__strmap_init(dn__strmap *m);
void dn__strmap_free(dn__strmap *m);
/* The entry for key, created with value 0 when absent (*is_new tells; may be NULL). NULL on
 * allocation failure. The pointer is valid until the next insertion. */
dn__strmap_entry *dn__strmap_upsert(dn__strmap *m, const char *key, size_t len, bool *is_new);
dn__strmap_entry *dn__strmap_find(const dn__strmap *m, const char *key, size_t len);

#endif
