/*
 * arena.h - a bump allocator for things that die together.
 *
 * Three lifetimes use it: a per-event arena reset after each event is scored, a per-rule-set
 * arena that holds a whole compiled program, and scratch arenas in tests. Allocations are 8-byte
 * aligned and never freed one by one. dn__arena_reset() keeps the first block for reuse so that a
 * steady stream of events allocates nothing once the first block is large enough.
 */
#ifndef DN_COMMON_ARENA_H
#define DN_COMMON_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct dn__arena_block dn__arena_block;

typedef struct dn__arena {
    dn__arena_block *head;   /* current block; older blocks follow ->next */
    size_t block_size;       /* size of new blocks (grows for large requests) */
    size_t bytes_used_total; /* for memory reports */
} dn__arena;

void dn__arena_init(dn__arena *a, size_t block_size);
/* Returns NULL on allocation failure. Memory is uninitialised. */
void *dn__arena_alloc(dn__arena *a, size_t size);
void *dn__arena_calloc(dn__arena *a, size_t size);
/* Copies len bytes and appends a NUL; NULL on failure. */
char *dn__arena_strndup(dn__arena *a, const char *s, size_t len);
/* Drops every allocation; keeps the first block for reuse. */
void dn__arena_reset(dn__arena *a);
void dn__arena_destroy(dn__arena *a);

#endif
