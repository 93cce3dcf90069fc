/*
 * decoder.c - the decoder's lifetime: per-thread scratch (an arena for event strings and a
 * msgpack zone), created once and reused for every event. See decode.h.
 */
#include "decode/fields.h"
#include "dragnet/error.h"

#include <stdlib.h>

int dn__decoder_new(dn__decoder **out)
{
    dn__decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return DN_ENOMEM;
    dn__arena_init(&d->arena, 8192);
    if (!msgpack_zone_init(&d->zone, 4096)) {
        free(d);
        return DN_ENOMEM;
    }
    for (size_t t = 0; t <= DN_EV_TYPE_COUNT; t++) {
        for (size_t i = 0; i < DN__GUESS_KEYS; i++)
            d->guess[t][i] = (dn__key_guess){.lo = 0xa0, .mask_lo = 0xff, .field = DN__F_ATTR};
    }
    *out = d;
    return 0;
}

void dn__decoder_free(dn__decoder *d)
{
    if (!d)
        return;
    msgpack_zone_destroy(&d->zone);
    free(d->scratch);
    dn__arena_destroy(&d->arena);
    free(d);
}
