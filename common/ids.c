/* ids.c - time-plus-random identifiers. */
#include "ids.h"
#include "clock.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void base36(uint64_t v, char *out, size_t outlen)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[16];
    size_t n = 0;

    do {
        tmp[n++] = digits[v % 36];
        v /= 36;
    } while (v && n < sizeof tmp);
    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

int ids_new(const char *prefix, char *out, size_t outlen)
{
    uint64_t rnd = 0;
    char t[16], r[16];
    size_t got = 0;

    if (!prefix || strlen(prefix) > 16 || outlen < 8)
        return HV_EINVAL;
    while (got < sizeof rnd) {
        ssize_t n = getrandom((char *)&rnd + got, sizeof rnd - got, 0);
        if (n <= 0)
            return HV_EIO;
        got += (size_t)n;
    }
    base36((uint64_t)clock_now_ms(), t, sizeof t);
    base36(rnd, r, sizeof r);
    if ((size_t)snprintf(out, outlen, "%s-%s-%s", prefix, t, r) >= outlen)
        return HV_EINVAL;
    return 0;
}

int ids_valid(const char *text)
{
    size_t n = 0;

    if (!text)
        return 0;
    for (; text[n]; n++) {
        char c = text[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok || n >= HV_ID_MAX - 1)
            return 0;
    }
    return n > 0;
}
