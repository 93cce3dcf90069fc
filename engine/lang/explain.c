/*
 * explain.c - the `because` strings of a hit, and how values print.
 *
 * A witness site (codegen.c) holds the source text of a comparison's left side, its operator
 * and, for `in` and `~`, the source text of the right side; the VM records the values. Here they
 * become e.g. `sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR`, `dst_country = "KH" in
 * $scam.hotspots`, `age = 3d 4h < 30d`, `new_counterparty = true`. Money prints with the base
 * currency's minor digits and code, durations as d/h/m/s/ms parts, times as ISO 8601 UTC, strings
 * quoted with escapes. Output is written into caller memory (the scratch's text pool) and
 * truncated to fit; nothing is allocated.
 */
#include "lang/ast.h"
#include "lang/lang.h"

#include "dragnet/error.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->cap == 0)
        return;
    size_t room = o->cap - 1 - o->len;
    if (n > room)
        n = room;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* The decimal digits of a, as printf's %" PRIu64 " writes them, without a printf call. */
static void put_u64(out *o, uint64_t a)
{
    char d[20];
    size_t n = sizeof(d);
    do {
        d[--n] = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    put(o, d + n, sizeof(d) - n);
}

static inline bool needs_no_escape(unsigned char ch)
{
    return ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\';
}

static void put_value(out *o, const dn_ruleset *rs, const dn__value *v)
{
    char tmp[160];
    if (v->is_missing) {
        puts_(o, "(missing)");
        return;
    }
    switch (v->type) {
    case T_BOOL:
        puts_(o, v->v.b ? "true" : "false");
        return;
    case T_NUMBER:
        if (v->v.d == floor(v->v.d) && fabs(v->v.d) < 1e15) {
            /* what "%.0f" prints for an integral value, "-0" included */
            if (signbit(v->v.d))
                put(o, "-", 1);
            put_u64(o, (uint64_t)fabs(v->v.d));
            return;
        }
        snprintf(tmp, sizeof(tmp), "%.10g", v->v.d);
        puts_(o, tmp);
        return;
    case T_MONEY: {
        int d = rs->base_digits > 0 && rs->base_digits <= 3 ? rs->base_digits : 0;
        int64_t p = 1;
        for (int i = 0; i < d; i++)
            p *= 10;
        uint64_t a = v->v.i < 0 ? (uint64_t)0 - (uint64_t)v->v.i : (uint64_t)v->v.i;
        char frac[8] = "";
        uint64_t f = a % (uint64_t)p;
        for (int i = d - 1; i >= 0; i--) {
            frac[i] = (char)('0' + f % 10);
            f /= 10;
        }
        frac[d] = '\0';
        if (v->v.i < 0)
            put(o, "-", 1);
        put_u64(o, a / (uint64_t)p);
        if (d) {
            put(o, ".", 1);
            put(o, frac, (size_t)d);
        }
        put(o, " ", 1);
        puts_(o, rs->base);
        return;
    }
    case T_DURATION: {
        int64_t ms = v->v.i;
        if (ms < 0) {
            puts_(o, "-");
            ms = ms == INT64_MIN ? INT64_MAX : -ms;
        }
        if (ms == 0) {
            puts_(o, "0s");
            return;
        }
        static const struct {
            int64_t ms;
            const char *unit;
        } parts[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
        bool first = true;
        for (size_t i = 0; i < 5; i++) {
            int64_t q = ms / parts[i].ms;
            ms %= parts[i].ms;
            if (!q)
                continue;
            if (!first)
                put(o, " ", 1);
            put_u64(o, (uint64_t)q); /* q > 0: ms is not negative here */
            puts_(o, parts[i].unit);
            first = false;
        }
        return;
    }
    case T_TIME: {
        int64_t ms = v->v.i;
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        int rem = (int)(ms - (int64_t)secs * 1000);
        struct tm tm;
        if (!gmtime_r(&secs, &tm)) {
            snprintf(tmp, sizeof(tmp), "%" PRId64 "ms", ms);
        } else if (rem) {
            snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
        } else {
            snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        }
        puts_(o, tmp);
        return;
    }
    case T_STRING: {
        put(o, "\"", 1);
        for (uint32_t i = 0; i < v->v.s.len; i++) {
            uint32_t run = i; /* the bytes that print as they are, copied at once */
            while (run < v->v.s.len && needs_no_escape((unsigned char)v->v.s.ptr[run]))
                run++;
            if (run > i) {
                put(o, v->v.s.ptr + i, run - i);
                i = run - 1;
                continue;
            }
            unsigned char ch = (unsigned char)v->v.s.ptr[i];
            if (ch == '"' || ch == '\\') {
                char esc[2] = {'\\', (char)ch};
                put(o, esc, 2);
            } else if (ch == '\n') {
                put(o, "\\n", 2);
            } else if (ch < 0x20 || ch == 0x7f) {
                snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
                puts_(o, tmp);
            } else {
                put(o, (const char *)&ch, 1);
            }
        }
        put(o, "\"", 1);
        return;
    }
    default:
        puts_(o, "?");
    }
}

size_t dn__lang_value_format(const dn_ruleset *rs, const dn__value *v, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    put_value(&o, rs, v);
    return o.len;
}

size_t dn__lang_explain_site(const dn_ruleset *rs, const dn__site *site, const dn__value *l,
                             const dn__value *r, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    puts_(&o, site->left_text); /* flattened by codegen */
    if (site->is_text_only)
        return o.len;
    if (site->is_bare) {
        puts_(&o, " = true");
        return o.len;
    }
    puts_(&o, " = ");
    put_value(&o, rs, l);
    puts_(&o, " ");
    puts_(&o, site->op_text);
    puts_(&o, " ");
    if (site->right_text)
        puts_(&o, site->right_text); /* flattened by codegen */
    else
        put_value(&o, rs, r);
    return o.len;
}

/* ---- deferred because lines ----
 *
 * A witness record: u16le site index; then the values the site's line prints (the left one
 * unless the site is bare or text only, the right one too unless its text is source), each as
 * u8 type, u8 is_missing and, when present, the payload: strings u16le length + bytes (cut at
 * DN__WHY_STR_MAX), bools one byte, everything else the 8 bytes of the number. */

static bool prints_left(const dn__site *site)
{
    return !site->is_text_only && !site->is_bare;
}

static bool prints_right(const dn__site *site)
{
    return prints_left(site) && !site->right_text;
}

static size_t put_why_value(unsigned char *out, const dn__value *v)
{
    size_t n = 0;
    out[n++] = v->type;
    out[n++] = v->is_missing;
    if (v->is_missing)
        return n;
    if (v->type == T_STRING) {
        uint32_t len = v->v.s.len < DN__WHY_STR_MAX ? v->v.s.len : DN__WHY_STR_MAX;
        out[n++] = (unsigned char)(len & 0xff);
        out[n++] = (unsigned char)(len >> 8);
        if (len)
            memcpy(out + n, v->v.s.ptr, len);
        return n + len;
    }
    if (v->type == T_BOOL) {
        out[n++] = v->v.b;
        return n;
    }
    memcpy(out + n, &v->v.i, 8);
    return n + 8;
}

size_t dn__lang_why_put(const dn__site *site, uint16_t idx, const dn__value *l, const dn__value *r,
                        unsigned char *out)
{
    size_t n = 0;
    out[n++] = (unsigned char)(idx & 0xff);
    out[n++] = (unsigned char)(idx >> 8);
    if (prints_left(site))
        n += put_why_value(out + n, l);
    if (prints_right(site))
        n += put_why_value(out + n, r);
    return n;
}

/* Reads one value back; false when the record ends early. */
static bool get_why_value(const unsigned char **pp, const unsigned char *end, dn__value *v)
{
    const unsigned char *p = *pp;
    memset(v, 0, sizeof(*v));
    if (end - p < 2)
        return false;
    v->type = p[0];
    v->is_missing = p[1] != 0;
    p += 2;
    if (!v->is_missing) {
        if (v->type == T_STRING) {
            if (end - p < 2)
                return false;
            uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8;
            p += 2;
            if ((uint32_t)(end - p) < len)
                return false;
            v->v.s = (dn_str){(const char *)p, len};
            p += len;
        } else if (v->type == T_BOOL) {
            if (p == end)
                return false;
            v->v.b = *p++ != 0;
        } else {
            if (end - p < 8)
                return false;
            memcpy(&v->v.i, p, 8);
            p += 8;
        }
    }
    *pp = p;
    return true;
}

int dn__lang_because_render(const dn_ruleset *rs, uint32_t rule, const void *why, uint32_t why_len,
                            char *text, size_t cap, dn_str *lines, uint32_t max, uint32_t *n)
{
    *n = 0;
    if (rule >= rs->rule_count)
        return DN_EINVAL;
    const dn__program *prog = &rs->rules[rule].prog;
    const unsigned char *p = why, *end = p + why_len;
    size_t used = 0;
    while (p < end && *n < max) {
        if (end - p < 2)
            return DN_EINVAL;
        uint32_t idx = (uint32_t)p[0] | (uint32_t)p[1] << 8;
        p += 2;
        if (idx >= prog->site_count)
            return DN_EINVAL;
        const dn__site *site = &prog->sites[idx];
        dn__value l, r;
        memset(&l, 0, sizeof(l));
        memset(&r, 0, sizeof(r));
        if ((prints_left(site) && !get_why_value(&p, end, &l)) ||
            (prints_right(site) && !get_why_value(&p, end, &r)))
            return DN_EINVAL;
        size_t room = cap - used;
        if (room < 2)
            break;
        size_t len = dn__lang_explain_site(rs, site, &l, &r, text + used,
                                           room < DN__BECAUSE_MAX ? room : DN__BECAUSE_MAX);
        lines[(*n)++] = (dn_str){text + used, (uint32_t)len};
        used += len + 1;
    }
    return 0;
}
