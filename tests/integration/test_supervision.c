/*
 * test_supervision.c - kiosk supervision: a kiosk that vanishes during a visit
 * (its will, retained {"online":false}) opens a kiosk_offline call that clears
 * by itself when the kiosk is back; idle kiosks are not supervised; the same
 * offline status delivered again never opens a second call, not even across
 * a controller restart; a patient's call replaces the offline call.
 * Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tests run config_long_timers (kit.h): no escalation or reminder page may
 * disturb the counts below. */

static const char offline[] = "{\"online\":false}";
static const char online_infusion[] =
    "{\"online\":true,\"phase\":\"infusion\",\"visit\":\"V-1\",\"ts\":\"2026-11-21T10:00:00.000Z\"}";

/* ---- helpers ----------------------------------------------------------------- */

/* A kiosk with its will, announcing status (retained). */
static hv_client *kiosk_new(const struct room_fixture *f, const char *status)
{
    char id[64];
    hv_client *k;

    snprintf(id, sizeof id, "%s-kiosk-1", f->prefix);
    k = hv_client_new_will(id, f->port, rf_topic(f, "room/chair-1/kiosk/status"), offline, 1, true);
    if (k && hv_client_pub(k, rf_topic(f, "room/chair-1/kiosk/status"), status, 1, true) != 0) {
        hv_client_free(k);
        return NULL;
    }
    return k;
}

/* Waits for the observer to see the kiosk's will (the broker published it). */
static bool saw_will(const struct room_fixture *f)
{
    char *m;

    while ((m = hv_client_expect(f->obs, rf_topic(f, "room/chair-1/kiosk/status"), 5000))) {
        bool off = strcmp(m, offline) == 0;
        free(m);
        if (off)
            return true;
    }
    return false;
}

/* True if a new subscriber to call/chair-1 gets no retained message. */
static bool no_retained_call(const struct room_fixture *f)
{
    hv_client *b = rf_client(f, "board-empty");
    bool none = b && hv_client_sub(b, rf_topic(f, "call/chair-1"), 1) == 0 &&
                hv_client_expect_none(b, rf_topic(f, "call/chair-1"), 500);
    hv_client_free(b);
    return none;
}

/* Expects the next page: to nurses, a kiosk_offline call for chair-1.  Returns its id. */
static char *expect_offline_page(hv_client *pager, const struct room_fixture *f)
{
    char *topic = NULL, *id = NULL;
    char *page = hv_client_expect_t(pager, rf_topic(f, "page/+"), 3000, &topic, NULL);
    bool parsed = json_parses(page);

    CHECK(page != NULL);
    CHECK(parsed);
    if (parsed) {
        CHECK_STR_EQ(topic, rf_topic(f, "page/nurses"));
        CHECK_STR_EQ(json_str(page, "room"), "chair-1");
        CHECK_STR_EQ(json_str(page, "label"), "Chair 1");
        CHECK_STR_EQ(json_str(page, "reason"), "kiosk_offline");
        CHECK_STR_EQ(json_str(page, "priority"), "assist");
        CHECK_STR_EQ(json_str(page, "state"), "open");
        CHECK_INT_EQ(json_int(page, "escalation"), 0);
        const char *page_id = json_str(page, "id");
        CHECK(page_id && strncmp(page_id, "offline-", 8) == 0);
        id = strdup(page_id ? page_id : "");
    }
    free(page);
    free(topic);
    return id;
}

/* Expects the observer to see call/chair-1 emptied (the call cleared). */
static bool saw_call_cleared(const struct room_fixture *f, int timeout_ms)
{
    hv_msg *m = hv_client_expect_msg(f->obs, rf_topic(f, "call/chair-1"), timeout_ms);
    bool empty = m && m->payloadlen == 0;

    if (m && !empty)
        fprintf(stderr, "expected an empty call/chair-1, got '%s'\n", m->payload);
    hv_msg_free(m);
    return empty;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_offline_during_visit_opens_call_and_clears(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, online_infusion);
    REQUIRE(kiosk != NULL);
    REQUIRE(sync_room(&f, pager));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 200));  /* online: no call */

    /* The kiosk vanishes: the broker publishes its will. */
    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    char *id = expect_offline_page(pager, &f);
    REQUIRE(id != NULL);

    /* Retained for boards, as the same call. */
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), id);
    CHECK_STR_EQ(json_str(c, "reason"), "kiosk_offline");
    CHECK_STR_EQ(json_str(c, "priority"), "assist");
    CHECK_STR_EQ(json_str(c, "state"), "open");
    free(c);

    /* The kiosk is back (its client reconnects by itself) and says so: cleared. */
    REQUIRE(hv_client_wait_ready(kiosk, 5000) == 0);
    hv_client_drain(f.obs);
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/status"), online_infusion, 1,
                        true) == 0);
    CHECK(saw_call_cleared(&f, 8000));  /* online_settle: 5 s */
    CHECK(no_retained_call(&f));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 300));
    CHECK(wait_log(&f, "cleared (kiosk_online)", 2000));

    free(id);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_offline_while_idle_opens_no_call(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, "{\"online\":true,\"phase\":\"idle\",\"visit\":null,"
                                     "\"ts\":\"2026-11-21T10:00:00.000Z\"}");
    REQUIRE(kiosk != NULL);
    REQUIRE(sync_room(&f, pager));

    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    REQUIRE(sync_room(&f, pager));  /* the will has been handled */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "call/chair-1"), 100));
    CHECK(no_retained_call(&f));

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_offline_status_again_opens_no_second_call(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *staff = rf_client(&f, "staff");
    REQUIRE(pager && staff && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, online_infusion);
    REQUIRE(kiosk != NULL);
    REQUIRE(sync_room(&f, pager));

    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    char *id = expect_offline_page(pager, &f);
    REQUIRE(id != NULL);

    /* The same retained offline status once more (a re-delivery): nothing new. */
    CHECK(hv_client_pub(staff, rf_topic(&f, "room/chair-1/kiosk/status"), offline, 1, true) == 0);
    REQUIRE(sync_room(&f, staff));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));

    /* A clean controller restart: the retained offline status is delivered again
     * on resubscribe; the call is restored, not opened twice. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    hv_client_drain(f.obs);
    REQUIRE(rf_start_room(&f) == 0);
    REQUIRE(sync_room(&f, staff));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), id);
    CHECK_STR_EQ(json_str(c, "reason"), "kiosk_offline");
    free(c);
    /* Every call/chair-1 the controller published since the restart is that call. */
    hv_msg *m;
    int n = 0;
    while ((m = hv_client_expect_msg(f.obs, rf_topic(&f, "call/chair-1"), 0))) {
        CHECK(m->payloadlen > 0 && strstr(m->payload, id) != NULL);
        hv_msg_free(m);
        n++;
    }
    CHECK(n >= 1);  /* republished after the reconnect */

    /* And it still clears when the kiosk is back. */
    REQUIRE(hv_client_wait_ready(kiosk, 5000) == 0);
    hv_client_drain(f.obs);
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/status"), online_infusion, 1,
                        true) == 0);
    CHECK(saw_call_cleared(&f, 8000));  /* online_settle: 5 s */

    free(id);
    hv_client_free(kiosk);
    hv_client_free(staff);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_kiosk_call_replaces_offline_call(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, online_infusion);
    REQUIRE(kiosk != NULL);
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 1) == 0);
    REQUIRE(sync_room(&f, pager));

    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    char *offline_id = expect_offline_page(pager, &f);
    REQUIRE(offline_id != NULL);

    /* The kiosk reconnects and replays its outbox: a patient's call, before its status. */
    REQUIRE(hv_client_wait_ready(kiosk, 5000) == 0);
    hv_client_drain(f.obs);
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/call"),
                        "{\"id\":\"k-replay-1\",\"reason\":\"unwell\",\"detail\":\"nausea\","
                        "\"ts\":\"2026-11-21T10:01:00.000Z\"}", 1, false) == 0);
    char *topic = NULL;
    char *page = hv_client_expect_t(pager, rf_topic(&f, "page/+"), 3000, &topic, NULL);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(topic, rf_topic(&f, "page/nurses"));
    REQUIRE(json_parses(page));
    CHECK_STR_EQ(json_str(page, "id"), "k-replay-1");
    CHECK_STR_EQ(json_str(page, "reason"), "unwell");
    CHECK_STR_EQ(json_str(page, "priority"), "assist");
    CHECK_STR_EQ(json_str(page, "state"), "open");
    CHECK_STR_EQ(json_str(page, "detail"), "nausea");
    CHECK_INT_EQ(json_int(page, "escalation"), 0);
    free(page);
    free(topic);

    /* The board saw the offline call go and the patient's call come, in that order. */
    hv_msg *m = hv_client_expect_msg(f.obs, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(m && m->payloadlen == 0);
    hv_msg_free(m);
    m = hv_client_expect_msg(f.obs, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(m && strstr(m->payload, "\"id\":\"k-replay-1\""));
    hv_msg_free(m);
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-replay-1");
    CHECK_STR_EQ(json_str(c, "reason"), "unwell");
    free(c);
    /* The kiosk is not told that the offline call (which it never knew of) cleared. */
    CHECK(hv_client_expect_none(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 200));

    /* Its status follows: the patient's call is not an offline call and stays. */
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/status"), online_infusion, 1,
                        true) == 0);
    REQUIRE(sync_room(&f, kiosk));
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "call/chair-1"), 300));
    c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-replay-1");
    free(c);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 200));

    free(offline_id);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_controller_crash_during_outage_restores_offline_call(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, online_infusion);
    REQUIRE(kiosk != NULL);
    REQUIRE(sync_room(&f, pager));

    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    char *id = expect_offline_page(pager, &f);
    REQUIRE(id != NULL);
    /* Until the controller has handled the broker's PUBACK for that page, a crash
     * rightly re-sends it (at least once); sync so this test sees the restore alone. */
    REQUIRE(sync_room(&f, pager));

    /* Crash and restart while the kiosk is still away. */
    rf_kill_room(&f);
    REQUIRE(rf_start_room(&f) == 0);
    REQUIRE(sync_room(&f, pager));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));
    char needle[128];
    snprintf(needle, sizeof needle, "call %s restored", id);
    CHECK(wait_log(&f, needle, 1000));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), id);
    CHECK_STR_EQ(json_str(c, "reason"), "kiosk_offline");
    CHECK_STR_EQ(json_str(c, "state"), "open");
    free(c);

    /* The restored call is still the kiosk's: it clears when the kiosk is back. */
    REQUIRE(hv_client_wait_ready(kiosk, 5000) == 0);
    hv_client_drain(f.obs);
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/status"), online_infusion, 1,
                        true) == 0);
    CHECK(saw_call_cleared(&f, 8000));  /* online_settle: 5 s */
    CHECK(no_retained_call(&f));

    free(id);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * The kiosk vanishes while the controller is down.  The will carries no phase,
 * but the controller remembers (call log) that it had seen the kiosk online in
 * infusion: it opens the offline call when it comes back, once, although the
 * offline status reaches it twice (queued in its session, and retained).
 */
static void test_kiosk_lost_while_controller_down(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *kiosk = kiosk_new(&f, online_infusion);
    REQUIRE(kiosk != NULL);
    REQUIRE(sync_room(&f, pager));

    CHECK_INT_EQ(rf_stop_room(&f), 0);
    hv_client_drain(f.obs);
    REQUIRE(hv_client_drop(kiosk) == 0);
    CHECK(saw_will(&f));
    REQUIRE(rf_start_room(&f) == 0);
    char *id = expect_offline_page(pager, &f);
    REQUIRE(id != NULL);
    REQUIRE(sync_room(&f, pager));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), id);
    free(c);

    REQUIRE(hv_client_wait_ready(kiosk, 5000) == 0);
    hv_client_drain(f.obs);
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/status"), online_infusion, 1,
                        true) == 0);
    CHECK(saw_call_cleared(&f, 8000));  /* online_settle: 5 s */

    free(id);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_offline_during_visit_opens_call_and_clears);
    RUN(test_offline_while_idle_opens_no_call);
    RUN(test_offline_status_again_opens_no_second_call);
    RUN(test_kiosk_call_replaces_offline_call);
    RUN(test_controller_crash_during_outage_restores_offline_call);
    RUN(test_kiosk_lost_while_controller_down);
    return CHECK_SUMMARY();
}
