/*
 * test_kiosk_calls.c - the help button reaches a nurse: the real kiosk, the
 * real room controller and a real broker, driven by taps on the screen.
 */
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "ui.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

    /* The nurse acknowledges through the station: the button says who is coming. */
    char body[160];
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"Sam\"}", call_id);
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack/station"), body, 1, false) == 0);
    CHECK(kf_help_is(&k, "calls-help-coming", ui_theme_day.coming));

    /* Touching again while the call is open re-alerts with the same id. */
    CHECK(kf_tap_help(&k) == 0);
    call = hv_client_expect(f.obs, rf_topic(&f, "room/chair-1/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "id"), call_id);
    free(call);

    /* Cleared: back to normal. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/clear/station"), body, 1, false) == 0);
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
    /* The kiosk's heartbeat (its status again every beat) may come just before it stops. */
    for (st = NULL;; free(st)) {
        st = hv_client_expect(f.obs, rf_topic(&f, "room/chair-3/kiosk/status"), 5000);
        if (!st || !json_is_true(st, "online"))
            break;
    }
    REQUIRE(st != NULL);
    CHECK(json_is_false(st, "online"));
    free(st);

    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}


/* How many times needle is in the kiosk's log. */
static int log_count(const struct kiosk_fixture *k, const char *needle)
{
    char *log = hv_read_file(k->log_path);
    int n = 0;

    for (const char *p = log; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(log);
    return n;
}

/* Waits until needle is in the kiosk's log at least n times. */
static bool wait_log_n(const struct kiosk_fixture *k, const char *needle, int n, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000; hv_now_us() < end;) {
        if (log_count(k, needle) >= n)
            return true;
        hv_sleep_ms(20);
    }
    fprintf(stderr, "kiosk log: '%s' %d time(s), not %d\n", needle, log_count(k, needle), n);
    return false;
}

/* Taps help and returns the call's id (from what the broker got) into id. */
static void press_help(struct kiosk_fixture *k, const struct room_fixture *f, char *id,
                       size_t idlen)
{
    char rest[64];

    snprintf(rest, sizeof rest, "room/%s/kiosk/call", k->room);
    id[0] = '\0';
    CHECK(kf_tap_help(k) == 0);
    char *call = hv_client_expect(f->obs, rf_topic(f, rest), 5000);
    REQUIRE(call != NULL);
    snprintf(id, idlen, "%s", json_str(call, "id") ? json_str(call, "id") : "");
    free(call);
}

/*
 * A station login (anyone who may write kiosk/cmd) says "Dr. House is on the way",
 * then "cleared": the screen believes neither; only the room's call, written by the
 * controller, changes it (docs/protocol.md, issue 12 item 4).
 */
static void test_forged_ack_on_cmd_changes_nothing(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char id[64], body[200];
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    REQUIRE(kf_start(&k, &f, "chair-1", W, H) == 0);
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station != NULL);

    press_help(&k, &f, id, sizeof id);
    REQUIRE(id[0] != '\0');
    CHECK(kf_wait_log(&k, "help button: Your nurse has been called", 5000));
    snprintf(body, sizeof body, "{\"cmd\":\"call_acknowledged\",\"id\":\"%s\",\"by\":\"Dr. House\"}",
             id);
    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-1/kiosk/cmd"), body, 1, false) == 0);
    CHECK(kf_wait_log(&k, "ignored call_acknowledged", 5000));
    snprintf(body, sizeof body, "{\"cmd\":\"call_cleared\",\"id\":\"%s\"}", id);
    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-1/kiosk/cmd"), body, 1, false) == 0);
    CHECK(kf_wait_log(&k, "ignored call_cleared", 5000));
    CHECK(kf_help_is(&k, "calls-forged-ack-ignored", ui_theme_day.called));
    CHECK(log_count(&k, "Dr. House is on the way") == 0);
    CHECK(log_count(&k, "help button: Help") == 1);     /* the first frame only */

    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}

/*
 * A retained begin_visit (the station published it with the retain flag) begins the
 * visit once, live; at the kiosk's restart the broker delivers it again as retained
 * and the kiosk ignores it: the visit stays in its phase.
 */
static void test_retained_begin_visit_does_not_replay(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    REQUIRE(kf_start(&k, &f, "chair-2", W, H) == 0);
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station != NULL);
    const char *cmd = rf_topic(&f, "room/chair-2/kiosk/cmd");

    CHECK(hv_client_pub(station, cmd, "{\"cmd\":\"begin_visit\",\"visit\":\"V-RET\"}", 1,
                        true) == 0);
    CHECK(kf_wait_log(&k, "phase intake, visit V-RET", 5000));
    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-2/kiosk/cmd"),
                        "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", 1, false) == 0);
    CHECK(kf_wait_log(&k, "phase infusion", 5000));

    CHECK_INT_EQ(kf_stop(&k), 0);
    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(kf_wait_log(&k, "ignored a retained command", 5000));
    char *st = retained_payload(&f, rf_topic(&f, "room/chair-2/kiosk/status"), 2000);
    CHECK_STR_EQ(json_str(st, "phase"), "infusion");
    CHECK_STR_EQ(json_str(st, "visit"), "V-RET");
    free(st);
    CHECK_INT_EQ(log_count(&k, "phase intake"), 1);

    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-2/kiosk/cmd"), "", 1, true) == 0);
    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}

/*
 * Item 10: the broker dies with a call pressed; the kiosk is back on the new broker
 * first and sends its call to nobody; the controller comes later.  Its status
 * "online" makes the kiosk send the call again at once: the nurses are paged within
 * 1 s of both being back, not at the kiosk's 10 s re-send.
 */
static void test_call_paged_when_controller_returns_after_kiosk(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char id[64] = "";
    REQUIRE(rf_start(&f, config_long_timers, true) == 0);
    REQUIRE(kf_start(&k, &f, "chair-1", W, H) == 0);

    rf_kill_room(&f);
    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(kf_wait_log(&k, "cannot reach the broker", 5000));
    CHECK(kf_tap_help(&k) == 0);
    CHECK(kf_wait_log(&k, "help button: Waiting to send your call", 5000));
    char *log = hv_read_file(k.log_path);
    const char *at = log ? strstr(log, "call call-") : NULL;
    if (at)
        sscanf(at + 5, "%63s", id);
    free(log);
    REQUIRE(id[0] != '\0');

    REQUIRE(hv_broker_restart(f.broker) == 0);
    CHECK(wait_log_n(&k, "connected; ", 2, 10000));
    CHECK(kf_wait_log(&k, "help button: Calling your nurse", 5000));  /* sent, to nobody */
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    REQUIRE(rf_start_room(&f) == 0);  /* returns once its status says online */
    int64_t online_us = hv_now_us();
    hv_msg *page = hv_client_expect_msg(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page->payload, "id"), id);
    double ms = (page->recv_us - online_us) / 1000.0;
    printf("page %.0f ms after the controller was back (the kiosk was back first)\n", ms);
    CHECK(ms < 1000);
    hv_msg_free(page);
    CHECK(kf_wait_log(&k, "help button: Your nurse has been called", 5000));

    hv_client_free(pager);
    kf_finish(&k);
    rf_finish(&f);
}

/*
 * Item 11: with the broker down the button says the call waits to be sent, as the
 * banner does; once the controller shows it has the call, "Your nurse has been
 * called".  In English (chair-1) and Spanish (chair-2), with screenshots.
 */
static void test_help_waits_until_the_controller_has_the_call(void)
{
    struct room_fixture f;
    struct kiosk_fixture en, es;
    REQUIRE(rf_start(&f, config_long_timers, true) == 0);
    REQUIRE(kf_start(&en, &f, "chair-1", W, H) == 0);
    REQUIRE(kf_start(&es, &f, "chair-2", W, H) == 0);
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station != NULL);
    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-2/kiosk/cmd"),
                        "{\"cmd\":\"begin_visit\",\"visit\":\"V-ES\",\"lang\":\"es\"}", 1,
                        false) == 0);
    CHECK(kf_wait_log(&es, "phase intake", 5000));
    hv_client_free(station);

    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(kf_wait_log(&en, "cannot reach the broker", 5000));
    CHECK(kf_wait_log(&es, "cannot reach the broker", 5000));
    CHECK(kf_tap_help(&en) == 0);
    CHECK(kf_tap_help(&es) == 0);
    CHECK(kf_wait_log(&en, "help button: Waiting to send your call", 5000));
    CHECK(kf_wait_log(&es, "help button: Su llamada espera para enviarse", 5000));
    SDL_Rect top = { 0, 0, W, H / 10 };
    SDL_Surface *s = kf_shot(&en, "calls-waiting-offline-en");
    CHECK(s && kf_count_colour(s, top, ui_theme_day.banner, 6) > W * H / 40);
    SDL_FreeSurface(s);
    s = kf_shot(&es, "calls-waiting-offline-es");
    CHECK(s && kf_count_colour(s, top, ui_theme_day.banner, 6) > W * H / 40);
    SDL_FreeSurface(s);
    CHECK(log_count(&en, "has been called") == 0);

    REQUIRE(hv_broker_restart(f.broker) == 0);
    CHECK(kf_wait_log(&en, "help button: Your nurse has been called", 10000));
    CHECK(kf_wait_log(&es, "help button: Ya llamamos a su enfermero(a)", 10000));
    SDL_FreeSurface(kf_shot(&en, "calls-called-en"));
    SDL_FreeSurface(kf_shot(&es, "calls-called-es"));

    kf_finish(&es);
    kf_finish(&en);
    rf_finish(&f);
}

/* The mode bits of path (-1: it does not exist). */
static int mode_of(const char *dir, const char *name)
{
    char path[700];
    struct stat st;

    snprintf(path, sizeof path, "%s%s%s", dir, name[0] ? "/" : "", name);
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/*
 * Item 2: started with umask 022 (outside systemd), and with a state directory left
 * 0755 by hand, the kiosk keeps its state directory 0700 and its databases, with their
 * -wal and -shm files, 0600.
 */
static void test_state_is_private_whatever_the_umask(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    mode_t old = umask(022);
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    REQUIRE(kf_start(&k, &f, "chair-2", W, H) == 0);
    press_help(&k, &f, (char[64]){0}, 64);      /* something written: the WAL files exist */
    CHECK(kf_wait_log(&k, "help button: Your nurse has been called", 5000));

    CHECK_INT_EQ(mode_of(k.state, ""), 0700);
    CHECK_INT_EQ(mode_of(k.state, "kiosk.db"), 0600);
    CHECK_INT_EQ(mode_of(k.state, "kiosk.db-wal"), 0600);
    CHECK_INT_EQ(mode_of(k.state, "kiosk.db-shm"), 0600);
    CHECK_INT_EQ(mode_of(k.state, "journal.db"), -1);   /* one database now (issue 15) */

    CHECK_INT_EQ(kf_stop(&k), 0);                 /* a directory someone opened up */
    CHECK(chmod(k.state, 0755) == 0);
    REQUIRE(kf_restart(&k, true) == 0);
    CHECK_INT_EQ(mode_of(k.state, ""), 0700);
    umask(old);
    kf_finish(&k);
    rf_finish(&f);
}

#define FLOOD 10000

/*
 * Item 9: a station login floods kiosk/cmd with 10,000 commands (the same phase, so
 * each would change nothing); a help tap in the middle of it still reaches the
 * broker at once.  The kiosk lets 20 commands a second through and says how many
 * it dropped.
 */
static void test_help_is_not_queued_behind_a_command_flood(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    REQUIRE(kf_start(&k, &f, "chair-1", W, H) == 0);
    hv_client *station = rf_client(&f, "station"), *watch = rf_client(&f, "watch");
    REQUIRE(station && watch);
    REQUIRE(hv_client_sub(watch, rf_topic(&f, "room/chair-1/kiosk/call"), 1) == 0);
    const char *cmd = rf_topic(&f, "room/chair-1/kiosk/cmd");
    char topic[256];
    snprintf(topic, sizeof topic, "%s", cmd);
    CHECK(hv_client_pub(station, topic, "{\"cmd\":\"begin_visit\",\"visit\":\"V-FL\"}", 1,
                        false) == 0);
    CHECK(hv_client_pub(station, topic, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", 1,
                        false) == 0);
    CHECK(kf_wait_log(&k, "phase infusion", 5000));

    /* The flood: libmosquitto queues them all at once and sends as fast as it can. */
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    REQUIRE(m != NULL);
    REQUIRE(mosquitto_connect(m, "127.0.0.1", f.port, 10) == MOSQ_ERR_SUCCESS);
    REQUIRE(mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS);
    const char *phase = "{\"cmd\":\"phase\",\"phase\":\"infusion\"}";
    for (int i = 0; i < FLOOD; i++)
        mosquitto_publish(m, NULL, topic, (int)strlen(phase), phase, 1, false);
    CHECK(kf_wait_log(&k, "net: dropped", 10000));  /* the flood is arriving */

    int64_t t0 = hv_now_us();
    CHECK(kf_tap_help(&k) == 0);
    hv_msg *call = hv_client_expect_msg(watch, rf_topic(&f, "room/chair-1/kiosk/call"), 10000);
    REQUIRE(call != NULL);
    double ms = (call->recv_us - t0) / 1000.0;
    printf("help tap -> call at the broker: %.1f ms during a flood of %d commands\n", ms, FLOOD);
    CHECK(ms < 500);
    hv_msg_free(call);

    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    CHECK(kf_wait_log(&k, "over the limit of 20/s", 5000));
    hv_client_free(watch);
    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_touch_help_pages_nurse_then_ack_and_clear);
    RUN(test_call_survives_broker_down_and_kiosk_kill);
    RUN(test_status_online_and_clean_offline);
    RUN(test_forged_ack_on_cmd_changes_nothing);
    RUN(test_retained_begin_visit_does_not_replay);
    RUN(test_call_paged_when_controller_returns_after_kiosk);
    RUN(test_help_waits_until_the_controller_has_the_call);
    RUN(test_state_is_private_whatever_the_umask);
    RUN(test_help_is_not_queued_behind_a_command_flood);
    return CHECK_SUMMARY();
}
