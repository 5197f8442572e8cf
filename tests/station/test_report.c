/* test_report.c - the station's side of the response-time report (station/report.c). */
#include "check.h"
#include "clock.h"
#include "err.h"
#include "mqtt.h"
#include "report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795000000000LL  /* 2026-11-18 */

static struct report_params params(void)
{
    struct report_params p = {
        .since_ms = T0 - 7LL * 86400000, .until_ms = T0,
        .day_starts_min = 7 * 60, .night_starts_min = 19 * 60,
        .target_s = { 600, 180, 60 },
    };
    return p;
}

static const char *ROW =
    "{\"room\":\"chair-1\",\"priority\":\"assist\",\"shift\":\"day\",\"calls\":5,"
    "\"acknowledged\":4,\"cleared\":5,\"ack_p50_s\":42.1,\"ack_p90_s\":80,\"ack_max_s\":95.2,"
    "\"clear_p50_s\":100,\"clear_p90_s\":200.25,\"clear_max_s\":300,\"within_target_pct\":75}";
static const char *ROW_NULLS =
    "{\"room\":\"chair-2\",\"priority\":\"urgent\",\"shift\":\"night\",\"calls\":1,"
    "\"acknowledged\":0,\"cleared\":0,\"ack_p50_s\":null,\"ack_p90_s\":null,\"ack_max_s\":null,"
    "\"clear_p50_s\":null,\"clear_p90_s\":null,\"clear_max_s\":null,\"within_target_pct\":0}";

/* A reply with id and the rows given (a JSON list body, may be ""). malloc'd. */
#define REPLY_FMT                                                                        \
    "{\"id\":\"%s\",\"controller\":\"room-1\","                                               \
    "\"generated\":\"2026-11-18T10:00:00.000Z\",\"since\":\"2026-11-11T10:00:00.000Z\","        \
    "\"until\":\"2026-11-18T10:00:00.000Z\",\"rows\":[%s]}"

static char *reply(const char *id, const char *rows)
{
    size_t n = strlen(REPLY_FMT) + strlen(id) + strlen(rows) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, REPLY_FMT, id, rows);
    return s;
}

static int check_text(const char *json, const char *id)
{
    return report_reply_check(json, strlen(json), id);
}

/* ---- the request ---- */

static void test_request_shape(void)
{
    struct report_params p = params();
    char *json = report_request_json("r-0123456789abcdef", &p);
    cJSON *o, *t;
    int64_t ms = 0;

    REQUIRE(json);
    o = cJSON_Parse(json);
    REQUIRE(o);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "id")->valuestring, "r-0123456789abcdef");
    CHECK_INT_EQ(clock_parse_rfc3339(cJSON_GetObjectItem(o, "since")->valuestring, &ms), 0);
    CHECK_INT_EQ(ms, p.since_ms);
    CHECK_INT_EQ(clock_parse_rfc3339(cJSON_GetObjectItem(o, "until")->valuestring, &ms), 0);
    CHECK_INT_EQ(ms, p.until_ms);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "day_starts")->valuestring, "07:00");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "night_starts")->valuestring, "19:00");
    t = cJSON_GetObjectItem(o, "target_s");
    REQUIRE(cJSON_IsObject(t));
    CHECK_INT_EQ(cJSON_GetObjectItem(t, "urgent")->valueint, 60);
    CHECK_INT_EQ(cJSON_GetObjectItem(t, "assist")->valueint, 180);
    CHECK_INT_EQ(cJSON_GetObjectItem(t, "routine")->valueint, 600);
    cJSON_Delete(o);
    free(json);

    p.day_starts_min = 6 * 60 + 30;
    p.night_starts_min = 18 * 60 + 45;
    json = report_request_json("r-1", &p);
    REQUIRE(json);
    CHECK(strstr(json, "\"day_starts\":\"06:30\""));
    CHECK(strstr(json, "\"night_starts\":\"18:45\""));
    free(json);
}

static void test_request_refuses_bad_params(void)
{
    struct report_params p = params();

    CHECK(!report_request_json(NULL, &p));
    CHECK(!report_request_json("", &p));
    CHECK(!report_request_json("r 1", &p));
    CHECK(!report_request_json("r-1", NULL));
    p.until_ms = p.since_ms;
    CHECK(!report_request_json("r-1", &p));
    p = params();
    p.day_starts_min = 1440;
    CHECK(!report_request_json("r-1", &p));
    p = params();
    p.night_starts_min = p.day_starts_min;
    CHECK(!report_request_json("r-1", &p));
    p = params();
    p.target_s[1] = 0;
    CHECK(!report_request_json("r-1", &p));
}

/* ---- the reply ---- */

static void test_reply_good(void)
{
    char rows[2048];
    char *json;

    snprintf(rows, sizeof rows, "%s,%s", ROW, ROW_NULLS);
    json = reply("r-1", rows);
    CHECK_INT_EQ(check_text(json, "r-1"), 0);
    CHECK_INT_EQ(check_text(json, "r-2"), HV_EINVAL);   /* someone else's answer */
    CHECK_INT_EQ(report_reply_check(json, strlen(json), NULL), HV_EINVAL);
    free(json);

    json = reply("r-1", "");
    CHECK_INT_EQ(check_text(json, "r-1"), 0);            /* no calls: no rows */
    free(json);
}

/* One field of ROW replaced: from -> to; the reply must be refused. */
static void expect_refused(const char *from, const char *to)
{
    char row[1024], *at, *json;

    snprintf(row, sizeof row, "%s", ROW);
    at = strstr(row, from);
    REQUIRE(at);
    memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
    memcpy(at, to, strlen(to));
    json = reply("r-1", row);
    if (check_text(json, "r-1") != HV_EINVAL)
        fprintf(stderr, "  accepted: %s\n", json);
    CHECK_INT_EQ(check_text(json, "r-1"), HV_EINVAL);
    free(json);
}

static void test_reply_bad_rows(void)
{
    expect_refused("\"chair-1\"", "\"Chair 1\"");
    expect_refused("\"chair-1\"", "\"=cmd|' /C calc'!A0\"");
    expect_refused("\"assist\"", "\"loud\"");
    expect_refused("\"day\"", "\"evening\"");
    expect_refused("\"calls\":5", "\"calls\":-1");
    expect_refused("\"calls\":5", "\"calls\":2.5");
    expect_refused("\"calls\":5", "\"calls\":\"5\"");
    expect_refused("\"acknowledged\":4", "\"acknowledged\":6");   /* more than calls */
    expect_refused("\"cleared\":5", "\"cleared\":true");
    expect_refused("\"ack_p50_s\":42.1", "\"ack_p50_s\":-3");
    expect_refused("\"clear_max_s\":300", "\"clear_max_s\":\"300\"");
    expect_refused("\"within_target_pct\":75", "\"within_target_pct\":101");
    expect_refused(",\"within_target_pct\":75", "");               /* missing */
    expect_refused("\"room\":\"chair-1\",", "");
}

static void test_reply_bad_envelope(void)
{
    const char *bad[] = {
        "",
        "[]",
        "{\"id\":\"r-1\"}",
        "{\"id\":\"r-1\",\"controller\":\"room-1\",\"generated\":\"x\",\"since\":"
        "\"2026-11-11T10:00:00Z\",\"until\":\"2026-11-18T10:00:00Z\",\"rows\":[]}",
        "{\"id\":\"r-1\",\"controller\":\"room 1\",\"generated\":\"2026-11-18T10:00:00Z\","
        "\"since\":\"2026-11-11T10:00:00Z\",\"until\":\"2026-11-18T10:00:00Z\",\"rows\":[]}",
        "{\"id\":\"r-1\",\"controller\":\"room-1\",\"generated\":\"2026-11-18T10:00:00Z\","
        "\"since\":\"2026-11-11T10:00:00Z\",\"until\":\"2026-11-18T10:00:00Z\",\"rows\":{}}",
        "{\"id\":\"r-1\",\"controller\":\"room-1\",\"generated\":\"2026-11-18T10:00:00Z\","
        "\"since\":\"2026-11-11T10:00:00Z\",\"until\":\"2026-11-18T10:00:00Z\",\"rows\":[1]}",
        "{\"id\":\"r-1\",\"controller\":\"room-1\",\"generated\":\"2026-11-18T10:00:00Z\","
        "\"since\":\"2026-11-11T10:00:00Z\",\"until\":\"2026-11-18T10:00:00Z\",\"rows\":[],"
        "\"truncated\":1}",
        "{\"id\":\"r-1\",\"controller\":\"room-1\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT_EQ(check_text(bad[i], "r-1"), HV_EINVAL);
    CHECK_INT_EQ(report_reply_check(NULL, 0, "r-1"), HV_EINVAL);

    /* A NUL inside the bytes, and bytes that are not UTF-8. */
    char *json = reply("r-1", "");
    size_t n = strlen(json);
    json[n - 3] = '\0';
    CHECK_INT_EQ(report_reply_check(json, n, "r-1"), HV_EINVAL);
    json[n - 3] = (char)0xff;
    CHECK_INT_EQ(report_reply_check(json, n, "r-1"), HV_EINVAL);
    free(json);

    json = reply("r-1", "");
    CHECK_INT_EQ(report_reply_check(json, strlen(json) - 1, "r-1"), HV_EINVAL);  /* cut */
    free(json);
}

/* A reply over the contract's payload limit is refused, however well-formed. */
static void test_reply_bounded(void)
{
    size_t each = strlen(ROW) + 1, n = HV_PAYLOAD_MAX / each + 2;
    char *rows = malloc(n * each + 1), *json;

    REQUIRE(rows);
    rows[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(rows, ",");
        strcat(rows, ROW);
    }
    json = reply("r-1", rows);
    CHECK(strlen(json) > HV_PAYLOAD_MAX);
    CHECK_INT_EQ(check_text(json, "r-1"), HV_EINVAL);
    CHECK(!report_reply_csv(json, strlen(json)));
    free(json);
    free(rows);

    json = reply("r-1", ROW);   /* the truncated flag the controller sets at its cap */
    char *t = malloc(strlen(json) + 32);
    snprintf(t, strlen(json) + 32, "%.*s,\"truncated\":true}", (int)strlen(json) - 1, json);
    CHECK_INT_EQ(check_text(t, "r-1"), 0);
    free(t);
    free(json);
}

/* ---- CSV ---- */

static void test_csv(void)
{
    char rows[2048], *json, *csv;

    snprintf(rows, sizeof rows, "%s,%s", ROW, ROW_NULLS);
    json = reply("r-1", rows);
    csv = report_reply_csv(json, strlen(json));
    REQUIRE(csv);
    CHECK_STR_EQ(csv,
                 "room,priority,shift,calls,acknowledged,cleared,ack_p50_s,ack_p90_s,ack_max_s,"
                 "clear_p50_s,clear_p90_s,clear_max_s,within_target_pct\r\n"
                 "chair-1,assist,day,5,4,5,42.1,80.0,95.2,100.0,200.2,300.0,75.0\r\n"
                 "chair-2,urgent,night,1,0,0,,,,,,,0.0\r\n");
    free(csv);
    free(json);

    json = reply("r-1", "");
    csv = report_reply_csv(json, strlen(json));
    REQUIRE(csv);
    CHECK(strncmp(csv, "room,", 5) == 0);
    CHECK_INT_EQ(strchr(csv, '\n') - csv + 1, (long long)strlen(csv));  /* the header only */
    free(csv);
    free(json);

    CHECK(!report_reply_csv("{}", 2));
    CHECK(!report_reply_csv(NULL, 0));
}

/* Many rows: the CSV buffer grows. */
static void test_csv_many_rows(void)
{
    size_t n = 200, each = strlen(ROW) + 1;
    char *rows = malloc(n * each + 1), *json, *csv;
    size_t lines = 0;

    REQUIRE(rows);
    rows[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(rows, ",");
        strcat(rows, ROW);
    }
    json = reply("r-1", rows);
    csv = report_reply_csv(json, strlen(json));
    REQUIRE(csv);
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    CHECK_INT_EQ(lines, n + 1);
    free(csv);
    free(json);
    free(rows);
}

int main(void)
{
    RUN(test_request_shape);
    RUN(test_request_refuses_bad_params);
    RUN(test_reply_good);
    RUN(test_reply_bad_rows);
    RUN(test_reply_bad_envelope);
    RUN(test_reply_bounded);
    RUN(test_csv);
    RUN(test_csv_many_rows);
    return CHECK_SUMMARY();
}
