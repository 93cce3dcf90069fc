/*
 * mpscan.c - msgpack framing without decoding: where an object ends, and how deep it nests.
 *
 * The skipper is a pair of counters (objects still to read, payload bytes still to skip), so it
 * skips an object of any size or depth in constant memory and can be fed across buffer refills.
 * It never reads past the bytes it is given. Invariant: a header is consumed only when all of its
 * bytes (at most 9) are present.
 */
#include "decode/decode.h"

#include <string.h>

void dn__mp_skipper_init(dn__mp_skipper *s)
{
    s->pending = 1;
    s->payload = 0;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/*
 * Reads the header at p (avail bytes). Returns its size (0 when incomplete, -1 when invalid) and
 * sets *children (objects inside) and *payload (raw body bytes after the header).
 */
static int header(const uint8_t *p, size_t avail, uint64_t *children, uint64_t *payload)
{
    uint8_t b = p[0];
    unsigned hs = 1;
    *children = 0;
    *payload = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 1;
    if (b <= 0x8f) {
        *children = 2u * (b & 0x0f);
        return 1;
    }
    if (b <= 0x9f) {
        *children = b & 0x0f;
        return 1;
    }
    if (b <= 0xbf) {
        *payload = b & 0x1f;
        return 1;
    }
    switch (b) {
    case 0xc4:
    case 0xc5:
    case 0xc6: /* bin 8/16/32 */
    case 0xd9:
    case 0xda:
    case 0xdb: /* str 8/16/32 */ {
        unsigned n = (b == 0xc4 || b == 0xd9) ? 1 : (b == 0xc5 || b == 0xda) ? 2 : 4;
        hs = 1 + n;
        if (avail < hs)
            return 0;
        *payload = be(p + 1, n);
        return (int)hs;
    }
    case 0xc7:
    case 0xc8:
    case 0xc9: { /* ext 8/16/32: length, then a type byte */
        unsigned n = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
        hs = 2 + n;
        if (avail < hs)
            return 0;
        *payload = be(p + 1, n);
        return (int)hs;
    }
    case 0xca:
        hs = 5;
        break;
    case 0xcb:
        hs = 9;
        break;
    case 0xcc:
    case 0xd0:
        hs = 2;
        break;
    case 0xcd:
    case 0xd1:
        hs = 3;
        break;
    case 0xce:
    case 0xd2:
        hs = 5;
        break;
    case 0xcf:
    case 0xd3:
        hs = 9;
        break;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext: type byte, 1..16 data */
        *payload = 1u << (b - 0xd4);
        return 2 <= avail ? 2 : 0;
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
        unsigned n = (b == 0xdc || b == 0xde) ? 2 : 4;
        hs = 1 + n;
        if (avail < hs)
            return 0;
        uint64_t c = be(p + 1, n);
        *children = b >= 0xde ? 2 * c : c;
        return (int)hs;
    }
    default: /* 0xc1 */
        return -1;
    }
    return avail >= hs ? (int)hs : 0;
}

int dn__mp_skipper_feed(dn__mp_skipper *s, const uint8_t *p, size_t len, size_t *used)
{
    size_t i = 0;
    int rc = DN__MP_MORE;
    for (;;) {
        if (s->payload) {
            uint64_t take = s->payload < len - i ? s->payload : len - i;
            s->payload -= take;
            i += (size_t)take;
            if (s->payload)
                break;
        }
        if (s->pending == 0) {
            rc = DN__MP_DONE;
            break;
        }
        if (i == len)
            break;
        uint64_t children, payload;
        int hs = header(p + i, len - i, &children, &payload);
        if (hs < 0) {
            rc = DN__MP_INVALID;
            break;
        }
        if (hs == 0)
            break;
        i += (size_t)hs;
        s->pending = s->pending - 1 + children;
        s->payload = payload;
    }
    *used = i;
    return rc;
}

/*
 * Per lead byte, for dn__mp_frame_end(): the whole size of an object whose size the byte alone
 * gives (its header and body: fixint, nil, bool, fixstr, the fixed-width numbers, fixext), or 0
 * when a length follows the byte (str, bin, ext, array and map 8/16/32) or it is 0xc1. And the
 * objects a fixmap (two per entry) or fixarray holds.
 */
/* clang-format off */
static const uint8_t whole_size[256] = {
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x00 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x10 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x20 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x30 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x40 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x50 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x60 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x70 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x80 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x90 */
     1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, /* 0xa0 */
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, /* 0xb0 */
     1,  0,  1,  1,  0,  0,  0,  0,  0,  0,  5,  9,  2,  3,  5,  9, /* 0xc0 */
     2,  3,  5,  9,  3,  4,  6, 10, 18,  0,  0,  0,  0,  0,  0,  0, /* 0xd0 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0xe0 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0xf0 */
};
static const uint8_t children[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x00 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x10 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x20 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x30 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x40 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x50 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x60 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x70 */
     0,  2,  4,  6,  8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, /* 0x80 */
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, /* 0x90 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xa0 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xb0 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xc0 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xd0 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xe0 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0xf0 */
};
/* clang-format on */

int dn__mp_frame_end(const uint8_t *p, size_t len, size_t *used)
{
    uint64_t pending = 1; /* objects still to read, the one at p[i] included */
    size_t i = 0;
    while (i < len) {
        uint8_t b = p[i];
        size_t n = whole_size[b];
        pending += children[b];
        if (n == 0) {
            uint64_t kids, payload;
            int hs = header(p + i, len - i, &kids, &payload);
            if (hs < 0)
                return DN__MP_INVALID;
            if (hs == 0)
                return DN__MP_MORE;
            pending += kids;
            n = (size_t)hs;
            if (payload > len - i - n)
                return DN__MP_MORE;
            n += (size_t)payload;
        }
        i += n;
        if (--pending == 0) {
            if (i > len)
                return DN__MP_MORE;
            *used = i;
            return DN__MP_DONE;
        }
    }
    return DN__MP_MORE;
}

int dn__mp_measure(const uint8_t *p, size_t len, unsigned max_depth, size_t *used)
{
    uint64_t left[DN_DECODE_MAX_DEPTH]; /* items still to read in each open container */
    unsigned depth = 0;
    size_t i = 0;
    int rc = DN__MP_DONE;
    if (max_depth > DN_DECODE_MAX_DEPTH)
        max_depth = DN_DECODE_MAX_DEPTH;
    do {
        if (i >= len) {
            rc = DN__MP_MORE;
            break;
        }
        uint64_t children, payload;
        uint8_t b = p[i];
        int hs = header(p + i, len - i, &children, &payload);
        if (hs < 0) {
            rc = DN__MP_INVALID;
            break;
        }
        if (hs == 0 || payload > len - i - (size_t)hs) {
            rc = DN__MP_MORE;
            break;
        }
        i += (size_t)hs + (size_t)payload;
        if (depth > 0)
            left[depth - 1]--;
        bool is_container = (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
        if (is_container && depth == max_depth) {
            rc = DN__MP_TOO_DEEP;
            break;
        }
        if (is_container && children > 0)
            left[depth++] = children;
        while (depth > 0 && left[depth - 1] == 0)
            depth--;
    } while (depth > 0);
    *used = i;
    return rc;
}

bool dn__mp_peek_id(const uint8_t *p, size_t len, const char **id, size_t *id_len)
{
    size_t hs = len == 0 ? 0 : (p[0] & 0xf0) == 0x80 ? 1 : p[0] == 0xde ? 3 : p[0] == 0xdf ? 5 : 0;
    /* the map header, fixstr "id", and a fixstr or str8 header */
    if (hs == 0 || len < hs + 4 || p[hs] != 0xa2 || p[hs + 1] != 'i' || p[hs + 2] != 'd')
        return false;
    const uint8_t *v = p + hs + 3;
    size_t vh = 1, n;
    if (v[0] >= 0xa0 && v[0] <= 0xbf) {
        n = v[0] & 0x1f;
    } else if (v[0] == 0xd9 && len >= hs + 5) {
        vh = 2;
        n = v[1];
    } else {
        return false;
    }
    if (n > len - (hs + 3 + vh))
        return false;
    *id = (const char *)v + vh;
    *id_len = n;
    return true;
}
