/*
 * lists.c - hashed sets for `in`: list files (`list NAME from "file"`) and list literals.
 *
 * A string set is an array of (dn__hash64, string) sorted by hash: membership is a binary search
 * on the hash and a byte comparison to confirm, so collisions cannot produce false hits. Small
 * sets of short strings (country, purpose and segment codes) compare each string packed into a
 * word with its length, which is exact as well. A number set is a sorted array of doubles. Sets
 * live in the rule set's arena and are immutable.
 *
 * List file format: one value a line; leading and trailing blanks trimmed; blank lines and lines
 * starting with `#` skipped; duplicates kept once.
 */
#include "common/hash.h"
#include "lang/ast.h"

#include <stdlib.h>
#include <string.h>

typedef struct pair {
    uint64_t h;
    dn_str s;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    if (x->s.len != y->s.len)
        return x->s.len < y->s.len ? -1 : 1;
    return memcmp(x->s.ptr, y->s.ptr, x->s.len);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int build_str(dn__arena *a, pair *ps, uint32_t n, dn__set *out)
{
    qsort(ps, n, sizeof(*ps), cmp_pair);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (m == 0 || cmp_pair(&ps[m - 1], &ps[i]) != 0)
            ps[m++] = ps[i];
    out->is_num = false;
    out->count = m;
    out->hashes = dn__arena_alloc(a, (m ? m : 1) * sizeof(uint64_t));
    out->strs = dn__arena_alloc(a, (m ? m : 1) * sizeof(dn_str));
    out->shorts = dn__arena_alloc(a, (m ? m : 1) * sizeof(uint64_t));
    if (!out->hashes || !out->strs || !out->shorts)
        return DN_ENOMEM;
    for (uint32_t i = 0; i < m; i++) {
        out->hashes[i] = ps[i].h;
        out->strs[i] = ps[i].s;
        out->shorts[i] =
            ps[i].s.len <= DN__SET_SHORT_MAX ? dn__set_short_word(ps[i].s.ptr, ps[i].s.len) : ~0ull;
    }
    return 0;
}

int dn__lang_set_from_text(dn__arena *a, const char *text, size_t len, dn__set *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t n = 0, cap = 64;
    pair *ps = malloc(cap * sizeof(*ps));
    if (!ps)
        return DN_ENOMEM;
    int rc = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        size_t b = pos, end = e;
        pos = e + 1;
        while (b < end && (text[b] == ' ' || text[b] == '\t'))
            b++;
        while (end > b && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
            end--;
        if (b == end || text[b] == '#')
            continue;
        if (n == cap) {
            pair *np = realloc(ps, cap * 2 * sizeof(*np));
            if (!np) {
                rc = DN_ENOMEM;
                goto done;
            }
            ps = np;
            cap *= 2;
        }
        char *s = dn__arena_strndup(a, text + b, end - b);
        if (!s) {
            rc = DN_ENOMEM;
            goto done;
        }
        ps[n].s.ptr = s;
        ps[n].s.len = (uint32_t)(end - b);
        ps[n].h = dn__hash64(s, end - b);
        n++;
    }
    rc = build_str(a, ps, n, out);
done:
    free(ps);
    return rc;
}

int dn__lang_set_from_values(dn__arena *a, const dn__value *vals, uint32_t n, bool is_num,
                             dn__set *out)
{
    memset(out, 0, sizeof(*out));
    if (is_num) {
        out->is_num = true;
        out->nums = dn__arena_alloc(a, (n ? n : 1) * sizeof(double));
        if (!out->nums)
            return DN_ENOMEM;
        for (uint32_t i = 0; i < n; i++)
            out->nums[i] = vals[i].v.d;
        qsort(out->nums, n, sizeof(double), cmp_double);
        out->count = n;
        return 0;
    }
    pair *ps = malloc((n ? n : 1) * sizeof(*ps));
    if (!ps)
        return DN_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        ps[i].s = vals[i].v.s;
        ps[i].h = dn__hash64(vals[i].v.s.ptr, vals[i].v.s.len);
    }
    int rc = build_str(a, ps, n, out);
    free(ps);
    return rc;
}

/* Up to this many values a set is searched by comparing strings: cheaper than hashing the
 * subject (country lists, purpose codes, segments). */
#define SET_LINEAR_MAX 8

bool dn__lang_set_has_str(const dn__set *s, dn_str v)
{
    if (s->is_num || !v.ptr)
        return false;
    if (s->count <= SET_LINEAR_MAX && v.len <= DN__SET_SHORT_MAX) {
        uint64_t w = dn__set_short_word(v.ptr, v.len);
        bool hit = false;
        for (uint32_t i = 0; i < s->count; i++)
            hit |= s->shorts[i] == w;
        return hit;
    }
    if (s->count <= SET_LINEAR_MAX) {
        for (uint32_t i = 0; i < s->count; i++) {
            if (s->strs[i].len != v.len)
                continue;
            uint32_t k = 0;
            while (k < v.len && s->strs[i].ptr[k] == v.ptr[k])
                k++;
            if (k == v.len)
                return true;
        }
        return false;
    }
    uint64_t h = dn__hash64(v.ptr, v.len);
    uint32_t lo = 0, hi = s->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->hashes[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t i = lo; i < s->count && s->hashes[i] == h; i++)
        if (s->strs[i].len == v.len && memcmp(s->strs[i].ptr, v.ptr, v.len) == 0)
            return true;
    return false;
}

bool dn__lang_set_has_num(const dn__set *s, double v)
{
    if (!s->is_num)
        return false;
    uint32_t lo = 0, hi = s->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->nums[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->count && s->nums[lo] == v;
}
