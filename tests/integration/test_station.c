/*
 * test_station.c - the controller's side of the nurse station (issue 13):
 * supervision of the station's boards (stations { watch }) and the
 * response-time report over P/report/C/request|reply/<login>.
 *
 *  - a retained station status with armed 0 pages the group once, after the
 *    grace, with the no_board page; the same outage never pages twice, not
 *    even across a controller restart; armed 1 ends it and a muted-then-armed
 *    board within the grace pages nobody;
 *  - a report request gets a reply that station/report.c's own check accepts,
 *    with the call the test raised and acknowledged; a second request within
 *    the second is dropped (logged).
 *
 * Real broker, real haven-room, the station played by a plain MQTT client.
 */
#include "check.h"
#include "clock.h"
#include "json_util.h"
#include "kit.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRACE_MS 1000
#define STATIONS "stations = { watch = true; group = \"charge\"; grace = 1; };\n"

static const char armed0[] = "{\"online\":true,\"boards\":1,\"armed\":0,"
                             "\"ts\":\"2026-11-21T10:00:00.000Z\"}";
static const char armed1[] = "{\"online\":true,\"boards\":1,\"armed\":1,"
                             "\"ts\":\"2026-11-21T10:00:01.000Z\"}";

/* The station: publishes its retained status as login "station". */
static int station_says(hv_client *st, const struct room_fixture *f, const char *status)
{
    return hv_client_pub(st, rf_topic(f, "station/station/status"), status, 1, true);
}

/* The fixture with the stations { } group; the controller starts after the station
 * has said armed (so the grace does not run from its start). */
static int start(struct room_fixture *f, hv_client **station, hv_client **pager)
{
    char *cfg = rf_default_config("%PREFIX%", STATIONS);
    struct rf_opts o = { .cfg_text = cfg, .room_later = true };
    int rc = rf_start_opts(f, &o);

    free(cfg);
    if (rc != 0)
        return -1;
    *station = rf_client(f, "station");
    *pager = rf_client(f, "pager");
    if (!*station || !*pager || hv_client_sub(*pager, rf_topic(f, "page/+"), 1) != 0 ||
        station_says(*station, f, armed1) != 0 || rf_start_room(f) != 0)
        return -1;
    return 0;
}

/* The no_board page, checked; NULL if none came within timeout_ms. */
static bool expect_no_board_page(hv_client *pager, const struct room_fixture *f, int timeout_ms)
{
    char *topic = NULL;
    char *page = hv_client_expect_t(pager, rf_topic(f, "page/+"), timeout_ms, &topic, NULL);
    bool ok = page && json_parses(page);

    CHECK(ok);
    if (ok) {
        CHECK_STR_EQ(topic, rf_topic(f, "page/charge"));
        CHECK(strncmp(json_str(page, "id"), "noboard-", 8) == 0);
        CHECK_STR_EQ(json_str(page, "room"), "station");
        CHECK_STR_EQ(json_str(page, "label"), "Nurse station");
        CHECK_STR_EQ(json_str(page, "priority"), "assist");
        CHECK_STR_EQ(json_str(page, "reason"), "no_board");
        CHECK_STR_EQ(json_str(page, "state"), "open");
        CHECK_INT_EQ(json_int(page, "escalation"), 0);
        CHECK_STR_EQ(json_str(page, "detail"), "no nurse-station board has sound on");
    }
    free(topic);
    free(page);
    return ok;
}

/* ---- supervision ---------------------------------------------------------------- */

static void test_no_board_pages_once(void)
{
    struct room_fixture f;
    hv_client *station = NULL, *pager = NULL;

    REQUIRE(start(&f, &station, &pager) == 0);
    REQUIRE(wait_log(&f, "stations: a board has sound on at station", 5000));

    int64_t t0 = hv_now_us();
    CHECK(station_says(station, &f, armed0) == 0);     /* the last board muted */
    CHECK(expect_no_board_page(pager, &f, 5000));
    CHECK((hv_now_us() - t0) / 1000 >= GRACE_MS - 100);  /* not before the grace */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 3 * GRACE_MS));  /* once */

    /* A restart in the outage: the call log remembers it was paged. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    CHECK(rf_start_room(&f) == 0);
    CHECK(wait_log(&f, "not paged again", 5000));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 3 * GRACE_MS));

    /* A board armed again ends the outage (logged). */
    CHECK(station_says(station, &f, armed1) == 0);
    CHECK(wait_log(&f, "the no-board outage that began", 5000));

    /* Muted and armed again within the grace: nobody is paged. */
    CHECK(station_says(station, &f, armed0) == 0);
    CHECK(station_says(station, &f, armed1) == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 3 * GRACE_MS));

    /* The station dies (its will): a new outage, a new page. */
    CHECK(station_says(station, &f, "{\"online\":false}") == 0);
    CHECK(expect_no_board_page(pager, &f, 5000));

    hv_client_free(station);
    hv_client_free(pager);
    rf_finish(&f);
}

/* ---- the report ------------------------------------------------------------------- */

static void test_report_request(void)
{
    struct room_fixture f;
    hv_client *station = NULL, *pager = NULL;
    char rest[160], reply_topic[256], request_topic[256], *reply;
    struct report_params p = {
        .day_starts_min = 7 * 60, .night_starts_min = 19 * 60, .target_s = { 600, 180, 60 },
    };
    int64_t now_ms = clock_now_ms();   /* wall clock: the call log's times */

    REQUIRE(start(&f, &station, &pager) == 0);
    snprintf(rest, sizeof rest, "report/ctl-%s/reply/station", f.prefix);
    snprintf(reply_topic, sizeof reply_topic, "%s", rf_topic(&f, rest));
    snprintf(rest, sizeof rest, "report/ctl-%s/request/station", f.prefix);
    snprintf(request_topic, sizeof request_topic, "%s", rf_topic(&f, rest));
    REQUIRE(hv_client_sub(station, reply_topic, 1) == 0);

    /* A call raised and acknowledged, so the report has a row. */
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(kiosk != NULL);
    CHECK(publish_call(kiosk, &f, "chair-1", "k-rep-1") == 0);
    char *opened = expect_call_state(f.obs, &f, "chair-1", "open", 3000);
    CHECK(opened != NULL);
    free(opened);
    CHECK(hv_client_pub(station, rf_topic(&f, "call/chair-1/ack/station"),
                        "{\"id\":\"k-rep-1\",\"by\":\"sam\"}", 1, false) == 0);
    char *acked = expect_call_state(f.obs, &f, "chair-1", "acknowledged", 3000);
    CHECK(acked != NULL);
    free(acked);

    p.since_ms = now_ms - 3600 * 1000;
    p.until_ms = now_ms + 3600 * 1000;
    char *rq = report_request_json("r-00000000000000a1", &p);
    REQUIRE(rq != NULL);
    CHECK(hv_client_pub(station, request_topic, rq, 1, false) == 0);
    reply = hv_client_expect(station, reply_topic, 5000);
    REQUIRE(reply != NULL);
    CHECK_INT_EQ(report_reply_check(reply, strlen(reply), "r-00000000000000a1"), 0);
    CHECK(strstr(reply, "\"room\":\"chair-1\"") != NULL);
    CHECK(strstr(reply, "\"acknowledged\":1") != NULL);
    char *csv = report_reply_csv(reply, strlen(reply));
    CHECK(csv && strstr(csv, "\r\nchair-1,assist,"));
    free(csv);
    free(reply);

    /* Again at once: over 1/s for this login, dropped (and logged); no reply. */
    CHECK(hv_client_pub(station, request_topic, rq, 1, false) == 0);
    CHECK(wait_log(&f, "report request from station dropped", 5000));
    CHECK(hv_client_expect_none(station, reply_topic, 300));

    /* A malformed request (from a second station login, which has its own 1/s): logged,
     * no reply, and the controller still answers the next good one. */
    snprintf(rest, sizeof rest, "report/ctl-%s/reply/station-2", f.prefix);
    snprintf(reply_topic, sizeof reply_topic, "%s", rf_topic(&f, rest));
    snprintf(rest, sizeof rest, "report/ctl-%s/request/station-2", f.prefix);
    snprintf(request_topic, sizeof request_topic, "%s", rf_topic(&f, rest));
    hv_client *station2 = rf_client(&f, "station-2");
    REQUIRE(station2 && hv_client_sub(station2, reply_topic, 1) == 0);
    CHECK(hv_client_pub(station2, request_topic, "{\"id\":\"r-1\",\"since\":5}", 1,
                        false) == 0);
    CHECK(wait_log(&f, "is missing or not an RFC 3339 time", 5000));
    CHECK(hv_client_expect_none(station2, reply_topic, 300));
    hv_client_free(station2);
    free(rq);

    hv_client_free(kiosk);
    hv_client_free(station);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_no_board_pages_once);
    RUN(test_report_request);
    return CHECK_SUMMARY();
}
