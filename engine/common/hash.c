/* hash.c - see hash.h. A 64x64->128 multiply folds each 16-byte step, in the manner of wyhash. */
#include "common/hash.h"

#include <string.h>

/* Little-endian loads, whatever the host's byte order: the hashes are the same everywhere. */
static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* The n (< 8) bytes at p as a little-endian number; two loads that may overlap, where the
 * overlapping bytes agree, instead of a loop. */
static inline uint64_t read_tail(const unsigned char *p, size_t n)
{
    if (n >= 4)
        return read32(p) | read32(p + n - 4) << (8 * (n - 4));
    if (n == 0)
        return 0;
    return (uint64_t)p[0] | (uint64_t)p[n >> 1] << (8 * (n >> 1)) |
           (uint64_t)p[n - 1] << (8 * (n - 1));
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t dn__hash64_keyed(const void *data, size_t len, uint64_t key)
{
    const unsigned char *p = data;
    const uint64_t s0 = 0xa0761d6478bd642full, s1 = 0xe7037ed1a0b428dbull,
                   s2 = 0x8ebc6af09c88c6e3ull;
    uint64_t h = key ^ mix(key ^ s0, (uint64_t)len ^ s1);
    size_t n = len;
    while (n >= 16) {
        h = mix(read64(p) ^ s1, read64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = read64(p);
        b = read_tail(p + 8, n - 8);
    } else {
        a = read_tail(p, n);
    }
    h = mix(a ^ s1 ^ h, b ^ s2);
    return mix(h ^ s0, (uint64_t)len ^ s1);
}
