/*
 * arena.c - bump allocation in a chain of blocks. See arena.h for the lifetimes it serves.
 * Invariant: head is the block being carved; reset frees every block but the oldest one.
 */
#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

struct dn__arena_block {
    dn__arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void dn__arena_init(dn__arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
    a->bytes_used_total = 0;
}

static dn__arena_block *block_new(size_t size)
{
    dn__arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *dn__arena_alloc(dn__arena *a, size_t size)
{
    size = (size + 7u) & ~(size_t)7u;
    if (size == 0)
        size = 8;
    dn__arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t want = a->block_size;
        while (want < size)
            want *= 2;
        dn__arena_block *nb = block_new(want);
        if (!nb)
            return NULL;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->bytes_used_total += size;
    return p;
}

void *dn__arena_calloc(dn__arena *a, size_t size)
{
    void *p = dn__arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *dn__arena_strndup(dn__arena *a, const char *s, size_t len)
{
    char *p = dn__arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void dn__arena_reset(dn__arena *a)
{
    dn__arena_block *b = a->head;
    if (!b)
        return;
    /* Keep the largest-so-far block (the head is the newest and at least as large as block_size).
     */
    dn__arena_block *keep = b;
    b = b->next;
    while (b) {
        dn__arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
    a->bytes_used_total = 0;
}

void dn__arena_destroy(dn__arena *a)
{
    dn__arena_block *b = a->head;
    while (b) {
        dn__arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->bytes_used_total = 0;
}
