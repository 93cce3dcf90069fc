/*
 * hash.h - 64-bit hashing of byte strings.
 *
 * dn__hash64() is a fast non-cryptographic hash (a multiply-mix over 8-byte words) used for
 * entity tables, hashed sets and fact fields. dn__hash64_keyed() mixes in a key so that shard
 * placement cannot be steered by someone who chooses account ids. Same input, same key ⇒ same
 * value on every run and machine (little-endian reads are explicit).
 */
#ifndef DN_COMMON_HASH_H
#define DN_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t dn__hash64_keyed(const void *data, size_t len, uint64_t key);

static inline uint64_t dn__hash64(const void *data, size_t len)
{
    return dn__hash64_keyed(data, len, 0x9e3779b97f4a7c15ull);
}

/* Mixes two hashes into one (order matters). */
static inline uint64_t dn__hash_combine(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

#endif
