/*
 * country.c - countries from BICs and IBANs (see country.h).
 */
#include "decode/country.h"

#include <stdint.h>

#define IBAN_MIN 15 /* Norway's, the shortest */
#define IBAN_MAX 34

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool dn__country_of_bic(dn_str bic, char out[3])
{
    if (!bic.ptr || (bic.len != 8 && bic.len != 11))
        return false;
    for (uint32_t i = 0; i < bic.len; i++) {
        char c = bic.ptr[i];
        if (i < 6 ? !is_upper(c) : !is_upper(c) && !is_digit(c))
            return false;
    }
    out[0] = bic.ptr[4];
    out[1] = bic.ptr[5];
    out[2] = '\0';
    return true;
}

bool dn__country_of_iban(dn_str iban, char out[3])
{
    if (!iban.ptr || iban.len < IBAN_MIN)
        return false;
    char s[IBAN_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < iban.len; i++) {
        char c = iban.ptr[i];
        if (c == ' ')
            continue;
        if (n == IBAN_MAX || (!is_upper(c) && !is_digit(c)))
            return false;
        s[n++] = c;
    }
    if (n < IBAN_MIN || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) || !is_digit(s[3]))
        return false;
    /* the check: the number with its first four characters moved to the end, A = 10 ... Z = 35 */
    uint32_t rem = 0;
    for (uint32_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        rem = is_digit(c) ? (rem * 10 + (uint32_t)(c - '0')) % 97
                          : (rem * 100 + (uint32_t)(c - 'A' + 10)) % 97;
    }
    if (rem != 1)
        return false;
    out[0] = s[0];
    out[1] = s[1];
    out[2] = '\0';
    return true;
}

static void derive(char country[3], dn_str bank, dn_str account)
{
    if (country[0])
        return;
    if (!dn__country_of_bic(bank, country))
        dn__country_of_iban(account, country);
}

void dn__event_derive_countries(dn_event *ev)
{
    derive(ev->src_country, ev->src_bank, ev->src);
    derive(ev->dst_country, ev->dst_bank, ev->dst);
}
