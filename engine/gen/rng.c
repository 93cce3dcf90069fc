/*
 * rng.c - the generator's random numbers: xoshiro256** seeded through splitmix64.
 * Same seed, same sequence on every machine; nothing here reads global state.
 */
#include "gen/gen.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void dn__gen_rng_seed(dn__gen_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t dn__gen_rng_next(dn__gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t dn__gen_rng_below(dn__gen_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant for synthetic data. */
    return (uint64_t)(((unsigned __int128)dn__gen_rng_next(r) * n) >> 64);
}

int64_t dn__gen_rng_range(dn__gen_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)dn__gen_rng_below(r, (uint64_t)(hi - lo) + 1);
}

double dn__gen_rng_unit(dn__gen_rng *r)
{
    return (double)(dn__gen_rng_next(r) >> 11) * 0x1.0p-53;
}

bool dn__gen_rng_chance(dn__gen_rng *r, double p)
{
    return dn__gen_rng_unit(r) < p;
}

int64_t dn__gen_rng_lognorm(dn__gen_rng *r, double median, double sigma, int64_t lo, int64_t hi)
{
    double u1 = dn__gen_rng_unit(r), u2 = dn__gen_rng_unit(r);
    double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
    double v = median * exp(sigma * z);
    if (v < (double)lo)
        return lo;
    if (v > (double)hi)
        return hi;
    return (int64_t)v;
}
