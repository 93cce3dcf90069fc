/*
 * calendar.c - proleptic Gregorian dates and day numbers (days since 1970-01-01), in UTC.
 * The generator lives in UTC: a "day" is [midnight, midnight) UTC.
 */
#include "dragnet/error.h"
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

int64_t dn__gen_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void dn__gen_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

unsigned dn__gen_days_in_month(int y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

int dn__gen_parse_date(const char *s, int64_t *out_ms)
{
    int y;
    unsigned m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        return DN_EINVAL;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > dn__gen_days_in_month(y, m))
        return DN_EINVAL;
    *out_ms = dn__gen_days_from_civil(y, m, d) * DN__GEN_DAY_MS;
    return 0;
}
