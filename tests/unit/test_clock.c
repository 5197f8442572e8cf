/* test_clock.c - RFC 3339 formatting and parsing (common/clock.c). */
#include "check.h"
#include "clock.h"
#include "err.h"

#include <stdint.h>
#include <string.h>

/* 2026-11-21T14:03:07.412Z, computed independently: 20778 days since the epoch. */
#define T2026 (((int64_t)20778 * 86400 + 14 * 3600 + 3 * 60 + 7) * 1000 + 412)

static int64_t parse_ok(const char *text)
{
    int64_t ms = -12345;
    int rc = clock_parse_rfc3339(text, &ms);
    CHECK_INT_EQ(rc, 0);
    return ms;
}

static void test_format_epoch(void)
{
    char ts[HV_TS_LEN];

    clock_format_rfc3339(0, ts);
    CHECK_STR_EQ(ts, "1970-01-01T00:00:00.000Z");
    clock_format_rfc3339(1, ts);
    CHECK_STR_EQ(ts, "1970-01-01T00:00:00.001Z");
    clock_format_rfc3339(86399999, ts);
    CHECK_STR_EQ(ts, "1970-01-01T23:59:59.999Z");
    clock_format_rfc3339(-1, ts);
    CHECK_STR_EQ(ts, "1969-12-31T23:59:59.999Z");
    CHECK_INT_EQ(strlen(ts), HV_TS_LEN - 1);
}

static void test_format_2026(void)
{
    char ts[HV_TS_LEN];

    clock_format_rfc3339(T2026, ts);
    CHECK_STR_EQ(ts, "2026-11-21T14:03:07.412Z");
    clock_format_rfc3339(T2026 - 412 + 5, ts);
    CHECK_STR_EQ(ts, "2026-11-21T14:03:07.005Z");
    /* 2028-02-29T12:00:00Z: 21243 days. */
    clock_format_rfc3339(((int64_t)21243 * 86400 + 12 * 3600) * 1000, ts);
    CHECK_STR_EQ(ts, "2028-02-29T12:00:00.000Z");
}

static void test_parse_z_and_fractions(void)
{
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.412Z"), T2026);
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07Z"), T2026 - 412);
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.4Z"), T2026 - 12);
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.412999Z"), T2026);  /* truncated to ms */
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.000001Z"), T2026 - 412);
    CHECK_INT_EQ(parse_ok("2026-11-21t14:03:07.412z"), T2026);
    CHECK_INT_EQ(parse_ok("1970-01-01T00:00:00Z"), 0);
    CHECK_INT_EQ(parse_ok("1970-01-01T00:00:00.000Z"), 0);
}

static void test_parse_offsets(void)
{
    /* 15:33:07.412+01:30 and 12:03:07.412-02:00 are both 14:03:07.412Z. */
    CHECK_INT_EQ(parse_ok("2026-11-21T15:33:07.412+01:30"), T2026);
    CHECK_INT_EQ(parse_ok("2026-11-21T12:03:07.412-02:00"), T2026);
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.412+00:00"), T2026);
    CHECK_INT_EQ(parse_ok("2026-11-21T14:03:07.412-00:00"), T2026);
    /* Across midnight: 2026-11-22T01:00+11:00 is 2026-11-21T14:00Z. */
    CHECK_INT_EQ(parse_ok("2026-11-22T01:03:07.412+11:00"), T2026);
}

static void test_parse_date_only_and_leap(void)
{
    CHECK_INT_EQ(parse_ok("2026-11-21"), (int64_t)20778 * 86400000);
    CHECK_INT_EQ(parse_ok("1970-01-01"), 0);
    CHECK_INT_EQ(parse_ok("2028-02-29"), (int64_t)21243 * 86400000);
    CHECK_INT_EQ(parse_ok("2028-03-01"), (int64_t)21244 * 86400000);
    CHECK_INT_EQ(parse_ok("2028-02-29T23:59:59.999Z"), (int64_t)21244 * 86400000 - 1);
    CHECK_INT_EQ(parse_ok("2000-02-29"), (int64_t)11016 * 86400000);  /* 400-year rule */
}

static void test_parse_rejects(void)
{
    static const char *const bad[] = {
        "", "garbage", "2026", "2026-11", "2026-1-21", "26-11-21",
        "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-32",
        "2026-02-30", "2027-02-29", "2026-04-31", "1900-02-29",
        "2026-11-21T14:03:07",          /* no zone */
        "2026-11-21T14:03:07.412",      /* no zone */
        "2026-11-21T14:03:07.Z",        /* empty fraction */
        "2026-11-21T24:00:00Z", "2026-11-21T14:60:00Z", "2026-11-21T14:03:61Z",
        "2026-11-21T14:03Z", "2026-11-21T1:03:07Z",
        "2026-11-21T14:03:07.412Zjunk", "2026-11-21T14:03:07.412Z ",
        "2026-11-21 junk", "2026-11-21x",
        "2026-11-21T14:03:07+0100", "2026-11-21T14:03:07+01", "2026-11-21T14:03:07+1:00",
        "2026-11-21T14:03:07+24:00", "2026-11-21T14:03:07+01:60",
        "2026-11-21T14:03:07.412+01:00x",
        "-026-11-21",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 777;
        int rc = clock_parse_rfc3339(bad[i], &ms);
        if (rc != HV_EPARSE)
            check_true(false, bad[i], __FILE__, __LINE__);
        CHECK_INT_EQ(ms, 777);  /* untouched on failure */
    }
    {
        int64_t ms = 0;
        CHECK_INT_EQ(clock_parse_rfc3339(NULL, &ms), HV_EPARSE);
    }
}

static void test_round_trip(void)
{
    const int64_t samples[] = {
        0, 1, 999, 1000, T2026, (int64_t)21243 * 86400000 + 1,
        951782400000,      /* 2000-02-29 */
        4102444799999,     /* 2099-12-31T23:59:59.999Z */
        253402300799999,   /* 9999-12-31T23:59:59.999Z */
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char ts[HV_TS_LEN];
        int64_t back = -1;
        clock_format_rfc3339(samples[i], ts);
        CHECK_INT_EQ(clock_parse_rfc3339(ts, &back), 0);
        CHECK_INT_EQ(back, samples[i]);
    }
    /* A walk over four years in odd steps, through a leap day. */
    for (int64_t ms = 1704067200000; ms < 1830297600000; ms += 86400000LL * 7 + 3601001) {
        char ts[HV_TS_LEN];
        int64_t back = -1;
        clock_format_rfc3339(ms, ts);
        if (clock_parse_rfc3339(ts, &back) != 0 || back != ms) {
            CHECK_STR_EQ(ts, "round trip failed");
            break;
        }
    }
}

static void test_now(void)
{
    int64_t a = clock_now_ms(), m1 = clock_mono_ms(), m2 = clock_mono_ms();

    CHECK(a > 1700000000000);  /* after 2023 */
    CHECK(m2 >= m1);
}

int main(void)
{
    RUN(test_format_epoch);
    RUN(test_format_2026);
    RUN(test_parse_z_and_fractions);
    RUN(test_parse_offsets);
    RUN(test_parse_date_only_and_leap);
    RUN(test_parse_rejects);
    RUN(test_round_trip);
    RUN(test_now);
    return CHECK_SUMMARY();
}
