/* test_log.c - log records, the rate limiter (common/log.c) and hv_strerror (common/err.c). */
#include "check.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "unit_util.h"

#include <string.h>

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_record_format(void)
{
    char *out;
    int64_t ms = 0;

    log_set_tag("tst");
    log_set_level(LOG_INFO);
    unit_capture_begin();
    log_warn("chair-%d: hello", 1);
    log_debug("not shown");
    out = unit_capture_end();
    /* "2026-11-21T14:03:07.412Z tst   warn  chair-1: hello\n" */
    CHECK(strlen(out) > HV_TS_LEN);
    if (strlen(out) > HV_TS_LEN) {
        char ts[HV_TS_LEN];
        memcpy(ts, out, HV_TS_LEN - 1);
        ts[HV_TS_LEN - 1] = '\0';
        CHECK_INT_EQ(clock_parse_rfc3339(ts, &ms), 0);
        CHECK_STR_EQ(out + HV_TS_LEN - 1, " tst   warn  chair-1: hello\n");
    }
    CHECK(strstr(out, "not shown") == NULL);
    free(out);

    log_set_level(LOG_DEBUG);
    unit_capture_begin();
    log_debug("now shown");
    log_set_level(LOG_ERROR);
    log_warn("hidden");
    log_error("bad");
    out = unit_capture_end();
    CHECK(strstr(out, " debug now shown") != NULL);
    CHECK(strstr(out, "hidden") == NULL);
    CHECK(strstr(out, " error bad") != NULL);
    free(out);
    log_set_level(LOG_INFO);
}

static void test_ratelimit_burst_and_refill(void)
{
    struct log_ratelimit rl = LOG_RATELIMIT_INIT(3, 60000);
    char *out;

    log_set_level(LOG_INFO);
    unit_capture_begin();
    for (int i = 0; i < 10; i++)
        log_limited(&rl, LOG_WARN, "noisy %d", i);
    out = unit_capture_end();
    CHECK_INT_EQ(count_of(out, "noisy"), 3);
    CHECK(strstr(out, "noisy 0") && strstr(out, "noisy 2") && !strstr(out, "noisy 3"));
    CHECK_INT_EQ(rl.suppressed, 7);
    free(out);

    /* One interval later: one more record, carrying the count. */
    rl.last_ms -= 60000;
    unit_capture_begin();
    log_limited(&rl, LOG_WARN, "noisy again");
    log_limited(&rl, LOG_WARN, "noisy dropped");
    out = unit_capture_end();
    CHECK(strstr(out, "noisy again (7 similar suppressed)\n") != NULL);
    CHECK(strstr(out, "noisy dropped") == NULL);
    CHECK_INT_EQ(rl.suppressed, 1);
    free(out);

    /* A long quiet spell refills to the burst, no more. */
    rl.last_ms -= 10 * 60000;
    unit_capture_begin();
    for (int i = 0; i < 10; i++)
        log_limited(&rl, LOG_WARN, "later %d", i);
    out = unit_capture_end();
    CHECK_INT_EQ(count_of(out, "later"), 3);
    CHECK(strstr(out, "later 0 (1 similar suppressed)") != NULL);
    CHECK(strstr(out, "later 1 (") == NULL);
    free(out);
}

static void test_ratelimit_partial_refill(void)
{
    struct log_ratelimit rl = LOG_RATELIMIT_INIT(5, 1000);
    char *out;

    unit_capture_begin();
    for (int i = 0; i < 5; i++)
        log_limited(&rl, LOG_WARN, "p%d", i);
    rl.last_ms -= 2500;  /* 2.5 intervals: two tokens, the half carries over */
    for (int i = 5; i < 10; i++)
        log_limited(&rl, LOG_WARN, "p%d", i);
    out = unit_capture_end();
    CHECK_INT_EQ(count_of(out, " p"), 7);
    CHECK(strstr(out, "p6") != NULL);
    CHECK(strstr(out, "p7") == NULL);
    CHECK_INT_EQ(rl.suppressed, 3);
    free(out);
    rl.last_ms -= 500;  /* with the carried half: one more token */
    unit_capture_begin();
    log_limited(&rl, LOG_WARN, "q1");
    log_limited(&rl, LOG_WARN, "q2");
    out = unit_capture_end();
    CHECK(strstr(out, "q1 (3 similar suppressed)") != NULL);
    CHECK(strstr(out, "q2") == NULL);
    free(out);
}

/* Records below the log level are not printed and spend no tokens. */
static void test_ratelimit_filtered_spends_nothing(void)
{
    struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 60000);
    char *out;

    log_set_level(LOG_WARN);
    unit_capture_begin();
    for (int i = 0; i < 5; i++)
        log_limited(&rl, LOG_INFO, "quiet %d", i);
    log_limited(&rl, LOG_WARN, "loud 1");
    log_limited(&rl, LOG_WARN, "loud 2");
    out = unit_capture_end();
    log_set_level(LOG_INFO);
    CHECK_INT_EQ(count_of(out, "quiet"), 0);
    CHECK_INT_EQ(count_of(out, "loud"), 2);
    CHECK(strstr(out, "suppressed") == NULL);
    CHECK_INT_EQ(rl.suppressed, 0);
    free(out);
}

/* A flood that stops is still accounted for: the flush reports what was suppressed. */
static void test_ratelimit_flush(void)
{
    struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 60000);
    char *out;

    log_set_level(LOG_INFO);
    unit_capture_begin();
    log_limited_flush(&rl, LOG_WARN, "nothing yet");
    for (int i = 0; i < 7; i++)
        log_limited(&rl, LOG_WARN, "flood %d", i);
    log_limited_flush(&rl, LOG_WARN, "too soon");    /* no token yet */
    rl.last_ms -= 60000;                              /* one interval later */
    log_limited_flush(&rl, LOG_WARN, "dropped messages");
    log_limited_flush(&rl, LOG_WARN, "again");        /* nothing left to report */
    out = unit_capture_end();
    CHECK_INT_EQ(count_of(out, "flood"), 2);
    CHECK(strstr(out, "nothing yet") == NULL);
    CHECK(strstr(out, "too soon") == NULL);
    CHECK(strstr(out, "dropped messages: 5 similar suppressed\n") != NULL);
    CHECK(strstr(out, "again") == NULL);
    CHECK_INT_EQ(rl.suppressed, 0);
    free(out);
}

static void test_strerror(void)
{
    static const int codes[] = {
        HV_ENOMEM, HV_EINVAL, HV_ECONFIG, HV_EIO, HV_EDB, HV_EMQTT, HV_ENOCONN,
        HV_EPARSE, HV_ETOOBIG, HV_ENOTFOUND, HV_EEXISTS, HV_ESTATE,
    };
    size_t n = sizeof codes / sizeof codes[0];

    CHECK_STR_EQ(hv_strerror(0), "success");
    CHECK_STR_EQ(hv_strerror(HV_ECONFIG), "configuration error");
    CHECK_STR_EQ(hv_strerror(HV_ETOOBIG), "payload too large");
    CHECK_STR_EQ(hv_strerror(HV_EPARSE), "malformed payload");
    CHECK_STR_EQ(hv_strerror(1), "unknown error");
    CHECK_STR_EQ(hv_strerror(-1), "unknown error");
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < 0);
        CHECK(strcmp(hv_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(hv_strerror(codes[i]), hv_strerror(codes[j])) != 0);
        }
    }
}

int main(void)
{
    RUN(test_record_format);
    RUN(test_ratelimit_burst_and_refill);
    RUN(test_ratelimit_partial_refill);
    RUN(test_ratelimit_filtered_spends_nothing);
    RUN(test_ratelimit_flush);
    RUN(test_strerror);
    unit_cleanup();
    return CHECK_SUMMARY();
}
