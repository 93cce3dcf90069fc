/*
 * rates.c - ISO 4217 minor digits, the rates.csv table and conversion to the base currency.
 *
 * rates.csv: a header `currency,rate_to_base`, then rows `GBP,1.17` (one GBP is worth 1.17 units
 * of the base). Blank lines and `#` comments are skipped. A bad header, a malformed row, a code
 * that is not three upper-case letters, a rate that is not a positive number, or a repeated code
 * is a diagnostic naming the file and line (code `bad_rates`). The base currency is always known
 * with rate 1, whether or not the table lists it.
 *
 * Conversion rounds half away from zero, in long double, from minor units of the currency to
 * minor units of the base.
 */
#include "lang/ast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dn__lang_currency_digits(const char *code)
{
    static const char *const zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                       "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                       "VND", "VUV", "XAF", "XOF", "XPF"};
    static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        if (strcmp(code, zero[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
        if (strcmp(code, three[i]) == 0)
            return 3;
    return 2;
}

bool dn__lang_currency_code_ok(const char *s, size_t len)
{
    if (len != 3)
        return false;
    for (size_t i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return true;
}

static void rate_diag(dn_diags *d, const dn__src *src, int line, const char *msg, int *err)
{
    dn__span sp = {src, 0, 0, line, 1};
    /* offset of the line, for the source text in the diagnostic */
    const char *t = src->text;
    int l = 1;
    size_t off = 0;
    while (off < src->len && l < line) {
        if (t[off] == '\n')
            l++;
        off++;
    }
    sp.off = (uint32_t)off;
    if (dn__lang_diag_add(d, &sp, NULL, "bad_rates", "rates.csv rows look like GBP,1.17", "%s",
                          msg))
        *err = DN_ENOMEM;
}

int dn__lang_rates_parse(const dn__src *src, dn__arena *a, dn_diags *d, dn__rate **out,
                         uint32_t *count)
{
    int err = 0;
    uint32_t n = 0, cap = 16;
    dn__rate *rates = dn__arena_alloc(a, cap * sizeof(*rates));
    if (!rates)
        return DN_ENOMEM;
    const char *t = src->text;
    size_t pos = 0;
    int line = 0;
    bool seen_header = false;
    while (pos < src->len && !err) {
        line++;
        size_t e = pos;
        while (e < src->len && t[e] != '\n')
            e++;
        size_t b = pos, end = e;
        pos = e + 1;
        while (b < end && (t[b] == ' ' || t[b] == '\t'))
            b++;
        while (end > b && (t[end - 1] == ' ' || t[end - 1] == '\t' || t[end - 1] == '\r'))
            end--;
        if (b == end || t[b] == '#')
            continue;
        char row[128];
        size_t rl = end - b < sizeof(row) - 1 ? end - b : sizeof(row) - 1;
        memcpy(row, t + b, rl);
        row[rl] = '\0';
        if (!seen_header) {
            seen_header = true;
            if (strcmp(row, "currency,rate_to_base") != 0)
                rate_diag(d, src, line, "bad header: expected 'currency,rate_to_base'", &err);
            continue;
        }
        char *comma = strchr(row, ',');
        if (!comma || comma - row != 3 || !dn__lang_currency_code_ok(row, 3)) {
            rate_diag(d, src, line, "bad row: expected a currency code and a rate", &err);
            continue;
        }
        char *endp;
        double r = strtod(comma + 1, &endp);
        if (endp == comma + 1 || *endp != '\0' || !isfinite(r)) {
            rate_diag(d, src, line, "bad row: the rate is not a number", &err);
            continue;
        }
        if (r <= 0) {
            rate_diag(d, src, line, "bad row: a rate must be positive", &err);
            continue;
        }
        bool dup = false;
        for (uint32_t i = 0; i < n; i++)
            dup |= memcmp(rates[i].code, row, 3) == 0;
        if (dup) {
            rate_diag(d, src, line, "bad row: currency listed twice", &err);
            continue;
        }
        if (n == cap) {
            dn__rate *nr = dn__arena_alloc(a, cap * 2 * sizeof(*nr));
            if (!nr)
                return DN_ENOMEM;
            memcpy(nr, rates, n * sizeof(*nr));
            rates = nr;
            cap *= 2;
        }
        memcpy(rates[n].code, row, 3);
        rates[n].code[3] = '\0';
        rates[n].digits = dn__lang_currency_digits(rates[n].code);
        rates[n].rate = r;
        n++;
    }
    if (!seen_header && !err)
        rate_diag(d, src, 1, "bad header: expected 'currency,rate_to_base'", &err);
    *out = rates;
    *count = n;
    return err;
}

/* Rounds half away from zero after snapping to 1e-6 minor units, so that 1500.50 * 1.17 (which
 * binary floating point holds as 1755.58499...) rounds like the decimal 1755.585 does. */
static long double snap(long double v)
{
    return roundl(roundl(v * 1e6L) / 1e6L);
}

/* Codes are compared as 4 bytes (3 letters and the NUL) when currency is that short. */
static bool code_eq(const char *code, const char *currency, bool is_short)
{
    return is_short ? memcmp(code, currency, 4) == 0 : strcmp(code, currency) == 0;
}

static bool find_rate_digits(const dn_ruleset *rs, const char *currency, long double *rate,
                             int *digits)
{
    bool is_short = currency[0] && currency[1] && currency[2] && !currency[3];
    if (code_eq(rs->base, currency, is_short)) {
        *rate = 1;
        *digits = rs->base_digits;
        return true;
    }
    for (uint32_t i = 0; i < rs->rate_count; i++) {
        if (code_eq(rs->rates[i].code, currency, is_short)) {
            *rate = rs->rates[i].rate;
            *digits = rs->rates[i].digits;
            return true;
        }
    }
    return false;
}

static bool find_rate(const dn_ruleset *rs, const char *currency, long double *rate)
{
    int digits;
    return find_rate_digits(rs, currency, rate, &digits);
}

int dn_ruleset_to_base(const dn_ruleset *rs, const char *currency, int64_t amount_minor,
                       int64_t *out_base_minor)
{
    long double rate;
    int cd;
    if (!rs || !currency || !find_rate_digits(rs, currency, &rate, &cd))
        return DN_ENOENT;
    if (rate == 1 && cd == rs->base_digits && amount_minor > -1000000000000 &&
        amount_minor < 1000000000000) {
        *out_base_minor = amount_minor; /* what the arithmetic below gives, bit for bit */
        return 0;
    }
    /* x * powl(10, 0) is x exactly: skipping the call changes no bit */
    long double v = (long double)amount_minor * rate;
    if (rs->base_digits != cd)
        v *= powl(10.0L, rs->base_digits - cd);
    v = snap(v);
    if (v > 9.2e18L || v < -9.2e18L)
        return DN_EINVAL;
    *out_base_minor = (int64_t)v;
    return 0;
}

/* Converts a literal of `major` units of currency to base minor units (false: unknown code). */
bool dn__lang_money_literal(const dn_ruleset *rs, const char *currency, double major, int64_t *out)
{
    long double rate;
    if (!find_rate(rs, currency, &rate))
        return false;
    long double v = snap((long double)major * rate * powl(10.0L, rs->base_digits));
    if (v > 9.2e18L)
        v = 9.2e18L;
    *out = (int64_t)v;
    return true;
}
