/*
 * test_kiosk_calls.c - the help button reaches a nurse: the real kiosk, the
 * real room controller and a real broker, driven by taps on the screen.
 */
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 1280
#define H 800

static void test_touch_help_pages_nurse_then_ack_and_clear(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(rf_start(&f, NULL, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *nurse = rf_client(&f, "nurse");
    REQUIRE(pager && nurse && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(kf_start(&k, &f, "chair-1", W, H) == 0);

    REQUIRE(kf_help_is(&k, "calls-help-idle", ui_theme_day.help));
    CHECK(kf_tap_help(&k) == 0);
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/chair-1/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "help");
    const char *id = json_str(call, "id");
    REQUIRE(id != NULL);
    char call_id[64];
    snprintf(call_id, sizeof call_id, "%s", id);
    free(call);

    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), call_id);
    CHECK_STR_EQ(json_str(page, "room"), "chair-1");
    free(page);
    CHECK(kf_help_is(&k, "calls-help-called", ui_theme_day.called));

    /* The nurse acknowledges: the button says who is coming. */
    char body[160];
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"Sam\"}", call_id);
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack"), body, 1, false) == 0);
    CHECK(kf_help_is(&k, "calls-help-coming", ui_theme_day.coming));

    /* Touching again while the call is open re-alerts with the same id. */
    CHECK(kf_tap_help(&k) == 0);
    call = hv_client_expect(f.obs, rf_topic(&f, "room/chair-1/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "id"), call_id);
    free(call);

    /* Cleared: back to normal. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/clear"), body, 1, false) == 0);
    CHECK(kf_help_is(&k, "calls-help-cleared", ui_theme_day.help));

    kf_finish(&k);
    hv_client_free(nurse);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * Broker stopped -> touch -> kiosk killed -> kiosk and broker restarted:
 * the call arrives exactly once, with the id the kiosk gave it.
 */
static void test_call_survives_broker_down_and_kiosk_kill(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    /* Long timers: no escalation page may blur the count of pages below. */
    REQUIRE(rf_start(&f, config_long_timers, true) == 0);
    REQUIRE(kf_start(&k, &f, "chair-2", W, H) == 0);

    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(kf_wait_log(&k, "cannot reach the broker", 5000));
    SDL_Surface *s = kf_shot(&k, "calls-offline-banner");
    REQUIRE(s != NULL);
    /* The banner across the top says the nurses cannot be reached. */
    SDL_Rect top = { 0, 0, W, H / 10 };
    CHECK(kf_count_colour(s, top, ui_theme_day.banner, 6) > W * H / 40);
    SDL_FreeSurface(s);

    CHECK(kf_tap_help(&k) == 0);
    CHECK(kf_wait_log(&k, "call call-", 5000));
    char *log = hv_read_file(k.log_path);
    char id[64] = "";
    const char *at = log ? strstr(log, "call call-") : NULL;
    if (at)
        sscanf(at + 5, "%63s", id);
    free(log);
    REQUIRE(id[0] != '\0');
    kf_kill(&k);  /* before the broker could take it: only the outbox has it */

    REQUIRE(hv_broker_restart(f.broker) == 0);
    hv_client *watch = rf_client(&f, "watch");
    REQUIRE(watch && hv_client_sub(watch, rf_topic(&f, "room/chair-2/kiosk/call"), 1) == 0);
    REQUIRE(hv_client_sub(watch, rf_topic(&f, "page/+"), 1) == 0);
    /* This broker keeps no sessions: let the controller resubscribe before the kiosk
     * replays (if it did not, the kiosk would send the call again after 10 s; test_app). */
    char *up = retained_payload(&f, status_topic(&f), 10000);
    for (int i = 0; i < 40 && !(up && json_is_true(up, "online")); i++) {
        free(up);
        hv_sleep_ms(250);
        up = retained_payload(&f, status_topic(&f), 1000);
    }
    CHECK(up && json_is_true(up, "online"));
    free(up);
    REQUIRE(kf_restart(&k, true) == 0);

    char *call = hv_client_expect(watch, rf_topic(&f, "room/chair-2/kiosk/call"), 10000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "id"), id);
    CHECK_STR_EQ(json_str(call, "reason"), "help");
    free(call);
    char *page = hv_client_expect(watch, rf_topic(&f, "page/nurses"), 10000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), id);
    free(page);
    /* Exactly once: nothing more in the next seconds, even across another restart. */
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "room/chair-2/kiosk/call"), 2000));
    CHECK_INT_EQ(kf_stop(&k), 0);
    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "room/chair-2/kiosk/call"), 2000));
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "page/+"), 0));

    hv_client_free(watch);
    kf_finish(&k);
    rf_finish(&f);
}

/* The kiosk says it is online, with its phase, and offline when it stops cleanly. */
static void test_status_online_and_clean_offline(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(rf_start(&f, NULL, false) == 0);
    REQUIRE(kf_start(&k, &f, "chair-3", W, H) == 0);
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station != NULL);

    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-3/kiosk/cmd"),
                        "{\"cmd\":\"begin_visit\",\"visit\":\"V-1042\",\"lang\":\"en\"}", 1,
                        false) == 0);
    char *st = NULL;
    for (int i = 0; i < 10; i++) {
        free(st);
        st = hv_client_expect(f.obs, rf_topic(&f, "room/chair-3/kiosk/status"), 3000);
        if (!st || (json_str(st, "phase") && !strcmp(json_str(st, "phase"), "intake")))
            break;
    }
    REQUIRE(st != NULL);
    CHECK(json_is_true(st, "online"));
    CHECK_STR_EQ(json_str(st, "phase"), "intake");
    CHECK_STR_EQ(json_str(st, "visit"), "V-1042");
    free(st);

    CHECK_INT_EQ(kf_stop(&k), 0);
    st = hv_client_expect(f.obs, rf_topic(&f, "room/chair-3/kiosk/status"), 5000);
    REQUIRE(st != NULL);
    CHECK(json_is_false(st, "online"));
    free(st);

    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_touch_help_pages_nurse_then_ack_and_clear);
    RUN(test_call_survives_broker_down_and_kiosk_kill);
    RUN(test_status_online_and_clean_offline);
    return CHECK_SUMMARY();
}
