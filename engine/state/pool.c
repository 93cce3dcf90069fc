/*
 * pool.c - the state's memory for the blocks that come and go while entities live: fact blocks,
 * new_counterparty sets and hit notes, and the entities themselves. Size classes from 32 bytes,
 * four to each doubling (32, 40, 48, 56, 64, 80, ..., 64 KiB), carved from 1 MiB regions; each
 * class is a free list reused last in, first out, and a class with none free carves a block
 * off the newest region. Regions are mapped populated (one call, not a page fault per page).
 * Larger blocks go to malloc.
 *
 * Why: these blocks are freed about as often as they are made (a fact block is replaced each
 * time it grows: about once per event across the state), and glibc's free of mid-sized blocks
 * merges each with its neighbours, reading memory nothing else needs; that, and the hit notes
 * before them, showed as a tenth of the replay time. A block's class follows from the size its
 * owner asked for and keeps (dn__pool_size tells what the block can hold), so blocks carry no
 * header. Regions are kept until the state is freed: stats.bytes counts regions and big blocks,
 * not each block. Under AddressSanitizer free blocks and the regions' uncarved rest are
 * poisoned, so a block used after its owner gave it back, or past its end, is still reported.
 */
#include "state/state_int.h"

#include "common/poison.h"

#include <stdlib.h>
#include <sys/mman.h>

#define REGION_BYTES (1024u * 1024u)
#define CLASS_MIN    32u

typedef struct free_block {
    struct free_block *next;
} free_block;

typedef struct region {
    struct region *next;
    unsigned char bytes[];
} region;

/* The class of a block of len bytes, -1 beyond the largest. Class 0 holds 32 bytes; above, each
 * octave (2^b, 2^(b+1)] has four classes a quarter of 2^b apart (40, 48, 56, 64, 80, ...), so a
 * block wastes at most a fifth of itself. */
static int class_of(uint32_t len)
{
    if (len <= CLASS_MIN)
        return 0;
    int b = 31 - __builtin_clz(len - 1); /* 2^b < len <= 2^(b+1), b >= 5 */
    uint32_t q = (len - (1u << b) + (1u << (b - 2)) - 1) >> (b - 2); /* 1..4 */
    int c = 4 * (b - 5) + (int)q;
    return c < DN__POOL_CLASSES ? c : -1;
}

static uint32_t class_size(int c)
{
    if (c == 0)
        return CLASS_MIN;
    int b = (c - 1) / 4 + 5;
    uint32_t q = (uint32_t)((c - 1) % 4) + 1;
    return (1u << b) + (q << (b - 2));
}

uint32_t dn__pool_size(uint32_t len)
{
    int c = class_of(len);
    return c < 0 ? len : class_size(c);
}

/* A block of class c never used before, carved from the newest region: NULL when memory ran
 * out. One at a time, so no memory is touched before its owner touches it. */
static void *carve(dn__state *st, int c)
{
    dn__pool *pl = &st->pool;
    uint32_t size = class_size(c);
    if ((size_t)(pl->end - pl->bump) < size) {
        /* populated at once: one call maps the region's pages instead of a fault per page */
        void *m = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        region *r = m;
        r->next = pl->regions;
        pl->regions = r;
        pl->bump = r->bytes;
        pl->end = (unsigned char *)m + REGION_BYTES;
        st->stats.bytes += REGION_BYTES;
        DN_POISON(pl->bump, (size_t)(pl->end - pl->bump));
    }
    void *b = pl->bump;
    pl->bump += size;
    DN_UNPOISON(b, size);
    return b;
}

void *dn__pool_alloc(dn__state *st, uint32_t len)
{
    dn__pool *pl = &st->pool;
    int c = class_of(len);
    if (c < 0) {
        void *p = malloc(len);
        if (p)
            st->stats.bytes += len;
        return p;
    }
    free_block *b = pl->free[c];
    if (!b)
        return carve(st, c);
    DN_UNPOISON(b, class_size(c));
    pl->free[c] = b->next;
    return b;
}

void dn__pool_free(dn__state *st, void *p, uint32_t len)
{
    dn__pool *pl = &st->pool;
    if (!p)
        return;
    int c = class_of(len);
    if (c < 0) {
        st->stats.bytes -= len;
        free(p);
        return;
    }
    free_block *b = p;
    b->next = pl->free[c];
    pl->free[c] = b;
    DN_POISON(b, class_size(c));
}

void dn__pool_destroy(dn__state *st)
{
    dn__pool *pl = &st->pool;
    while (pl->regions) {
        region *r = pl->regions;
        pl->regions = r->next;
        DN_UNPOISON(r->bytes, REGION_BYTES - sizeof(*r));
        munmap(r, REGION_BYTES);
        st->stats.bytes -= REGION_BYTES;
    }
    for (int c = 0; c < DN__POOL_CLASSES; c++)
        pl->free[c] = NULL;
    pl->bump = pl->end = NULL;
}
