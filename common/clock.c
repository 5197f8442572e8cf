/* clock.c - time sources and RFC 3339 formatting/parsing. */
#include "clock.h"
#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_format_rfc3339(int64_t ms, char out[HV_TS_LEN])
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    struct tm tm;

    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    /* strftime bounds every field; only the milliseconds are added by hand. */
    size_t n = strftime(out, HV_TS_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, HV_TS_LEN - n, ".%03dZ", frac % 1000);
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect_char(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

/* Days in month m (1..12) of year y, in the Gregorian calendar. */
static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int clock_parse_rfc3339(const char *text, int64_t *ms)
{
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0, frac_ms = 0, off_min = 0;

    if (!text || read_digits(&p, 4, &y) || expect_char(&p, '-') ||
        read_digits(&p, 2, &mo) || expect_char(&p, '-') || read_digits(&p, 2, &d))
        return HV_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return HV_EPARSE;
    if (*p == '\0')
        goto done;
    if ((*p != 'T' && *p != 't' && *p != ' ') || (p++, 0))
        return HV_EPARSE;
    if (read_digits(&p, 2, &h) || expect_char(&p, ':') || read_digits(&p, 2, &mi) ||
        expect_char(&p, ':') || read_digits(&p, 2, &s))
        return HV_EPARSE;
    if (h > 23 || mi > 59 || s > 60)
        return HV_EPARSE;
    if (*p == '.') {
        int scale = 100, digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++) {
            frac_ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (digits == 0)
            return HV_EPARSE;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (read_digits(&p, 2, &oh) || expect_char(&p, ':') || read_digits(&p, 2, &om) ||
            oh > 23 || om > 59)
            return HV_EPARSE;
        off_min = sign * (oh * 60 + om);
    } else {
        return HV_EPARSE;
    }
    if (*p != '\0')
        return HV_EPARSE;
done:
    *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) - off_min * 60) * 1000
          + frac_ms;
    return 0;
}
