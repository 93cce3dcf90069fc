/*
 * notepool.c - memory for hit notes: size classes of 64 bytes doubling to 2 KiB, carved from
 * 64 KiB slabs, each class a free list reused last in, first out.
 *
 * Every hit with a note used to cost a malloc and, when the hit left the log, a free; glibc's
 * free of such mid-sized blocks walks and merges its neighbours, which showed as a tenth of the
 * replay time on hit-heavy rule sets. A block's class follows from the note's length, which the
 * hit keeps, so blocks carry no header. Notes over the largest class go to malloc. Slabs are
 * kept until the state is freed: the pool holds at most what the most notes ever live at once
 * needed; stats.bytes counts the slabs (and big notes), not each note. Under AddressSanitizer free
 * blocks are poisoned, so a note used after its hit left is still reported.
 */
#include "state/state_int.h"

#include "common/poison.h"

#include <stdlib.h>

#define SLAB_BYTES (64u * 1024u)

typedef struct free_block {
    struct free_block *next;
} free_block;

typedef struct slab {
    struct slab *next;
    unsigned char bytes[];
} slab;

static int class_of(uint32_t len)
{
    int c = 0;
    uint32_t size = DN__NOTE_MIN;
    while (size < len) {
        size *= 2;
        c++;
    }
    return c < DN__NOTE_CLASSES ? c : -1;
}

void *dn__notepool_alloc(dn__state *st, uint32_t len)
{
    dn__notepool *np = &st->notes;
    int c = class_of(len);
    if (c < 0) {
        void *p = malloc(len);
        if (p)
            st->stats.bytes += len;
        return p;
    }
    free_block *b = np->free[c];
    if (!b) {
        uint32_t size = DN__NOTE_MIN << c;
        slab *s = malloc(sizeof(*s) + SLAB_BYTES);
        if (!s)
            return NULL;
        s->next = np->slabs;
        np->slabs = s;
        st->stats.bytes += sizeof(*s) + SLAB_BYTES;
        for (uint32_t off = SLAB_BYTES; off >= size; off -= size) {
            free_block *f = (free_block *)(s->bytes + off - size);
            f->next = np->free[c];
            np->free[c] = f;
            DN_POISON(f, size);
        }
        b = np->free[c];
    }
    DN_UNPOISON(b, DN__NOTE_MIN << c);
    np->free[c] = b->next;
    return b;
}

void dn__notepool_free(dn__state *st, void *p, uint32_t len)
{
    dn__notepool *np = &st->notes;
    if (!p)
        return;
    int c = class_of(len);
    if (c < 0) {
        st->stats.bytes -= len;
        free(p);
        return;
    }
    free_block *b = p;
    b->next = np->free[c];
    np->free[c] = b;
    DN_POISON(b, DN__NOTE_MIN << c);
}

void dn__notepool_destroy(dn__state *st)
{
    dn__notepool *np = &st->notes;
    while (np->slabs) {
        slab *s = np->slabs;
        np->slabs = s->next;
        DN_UNPOISON(s->bytes, SLAB_BYTES);
        free(s);
        st->stats.bytes -= sizeof(*s) + SLAB_BYTES;
    }
    for (int c = 0; c < DN__NOTE_CLASSES; c++)
        np->free[c] = NULL;
}
