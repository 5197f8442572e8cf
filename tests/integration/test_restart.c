/*
 * test_restart.c - the controller crashes or is stopped and comes back: open
 * calls are restored from the call log (same id, state, acknowledgement),
 * escalation keeps its schedule, a call sent while it was down is delivered
 * by its persistent session, its will/clean stop leave a retained offline
 * status, and nothing is paged or opened twice.  Real broker, real haven-room.
 */
#include "check.h"
#include "room_fixture.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long timers: nothing escalates on its own during a test. */
static const char config_long[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "priorities = {\n"
    "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "};\n"
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; } );\n";

/* The fixture's short assist chain: nurses at 0, charge at 2 s, then every 2 s. */
static const char config_short[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "priorities = {\n"
    "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 2; } );\n"
    "              repeat = 2; ack_timeout = 3; };\n"
    "};\n"
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; } );\n";

/* ---- helpers ----------------------------------------------------------------- */

static inline const char *js(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static inline int ji(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valueint : -999;
}

/* "<prefix>/controller/ctl-<prefix>/status" */
static const char *status_topic(const struct room_fixture *f)
{
    static char t[128];
    snprintf(t, sizeof t, "%s/controller/ctl-%s/status", f->prefix, f->prefix);
    return t;
}

static bool wait_log(const struct room_fixture *f, const char *needle, int timeout_ms)
{
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;

    do {
        char *log = hv_read_file(f->log_path);
        bool found = log && strstr(log, needle);
        free(log);
        if (found)
            return true;
        hv_sleep_ms(20);
    } while (hv_now_us() < end);
    return false;
}

/* Waits until the controller has handled everything published before (see test_supervision.c). */
static bool sync_room(const struct room_fixture *f, hv_client *c)
{
    static int n;
    char id[32], body[96], needle[96];

    snprintf(id, sizeof id, "probe-%d", ++n);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"probe\"}", id);
    snprintf(needle, sizeof needle, "acknowledgement for %s,", id);
    return hv_client_pub(c, rf_topic(f, "call/chair-2/ack"), body, 1, false) == 0 &&
           wait_log(f, needle, 5000);
}

/* The retained message a new subscriber to topic gets, parsed; NULL if none or empty. */
static cJSON *retained(const struct room_fixture *f, const char *topic)
{
    hv_client *b = rf_client(f, "late-subscriber");
    hv_msg *m;
    cJSON *o = NULL;

    if (!b || hv_client_sub(b, topic, 1) != 0) {
        hv_client_free(b);
        return NULL;
    }
    m = hv_client_expect_msg(b, topic, 3000);
    if (m && m->retain && m->payloadlen > 0)
        o = cJSON_Parse(m->payload);
    else
        fprintf(stderr, "no retained message on %s\n", topic);
    hv_msg_free(m);
    hv_client_free(b);
    return o;
}

/* Waits for the observer to see the controller's status go offline (will or clean stop). */
static bool saw_offline(const struct room_fixture *f)
{
    char *m;

    while ((m = hv_client_expect(f->obs, status_topic(f), 5000))) {
        bool off = strstr(m, "\"online\":false") != NULL;
        free(m);
        if (off)
            return true;
    }
    return false;
}

/* Checks that the retained controller status is exactly offline. */
static void check_status_offline(const struct room_fixture *f)
{
    cJSON *s = retained(f, status_topic(f));
    CHECK(s != NULL);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "online")));
    cJSON_Delete(s);
}

static int64_t ms_since(int64_t t0_us, int64_t t_us)
{
    return (t_us - t0_us) / 1000;
}

static void sleep_until(int64_t t0_us, int ms)
{
    int64_t left = t0_us + (int64_t)ms * 1000 - hv_now_us();
    if (left > 0)
        hv_sleep_ms((int)(left / 1000));
}

static int publish_call(hv_client *kiosk, const struct room_fixture *f, const char *room,
                        const char *id)
{
    char topic[128], body[160];

    snprintf(topic, sizeof topic, "room/%s/kiosk/call", room);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"reason\":\"help\",\"ts\":\"2026-11-21T10:00:00.000Z\"}",
             id);
    return hv_client_pub(kiosk, rf_topic(f, topic), body, 1, false);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_crash_restores_call_and_ack(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-1");
    hv_client *nurse = rf_client(&f, "nurse");
    REQUIRE(pager && kiosk && nurse);
    REQUIRE(hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 1) == 0);

    CHECK(publish_call(kiosk, &f, "chair-1", "k-r1") == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 3000);
    REQUIRE(page != NULL);
    CHECK(strstr(page, "\"id\":\"k-r1\"") != NULL);
    free(page);
    /* The pager can see the page before the controller has handled the broker's
     * PUBACK for it; a crash in that window rightly re-sends the page.  Sync, so
     * that the page is recorded as delivered before the crash. */
    CHECK(sync_room(&f, nurse));

    /* SIGKILL: no goodbye, so the broker publishes the controller's will. */
    rf_kill_room(&f);
    CHECK(saw_offline(&f));
    check_status_offline(&f);

    REQUIRE(rf_start_room(&f) == 0);
    CHECK(wait_log(&f, "call k-r1 restored", 2000));
    cJSON *c = retained(&f, rf_topic(&f, "call/chair-1"));
    REQUIRE(c != NULL);
    CHECK_STR_EQ(js(c, "id"), "k-r1");
    CHECK_STR_EQ(js(c, "state"), "open");
    CHECK_STR_EQ(js(c, "reason"), "help");
    CHECK_STR_EQ(js(c, "priority"), "assist");
    CHECK_INT_EQ(ji(c, "escalation"), 0);
    cJSON_Delete(c);
    /* The first page reached the broker before the crash: it is not sent again. */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));

    /* An acknowledgement works on the restored call. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\"}", 1, false) == 0);
    char *cmd = hv_client_expect(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 3000);
    REQUIRE(cmd != NULL);
    cJSON *o = cJSON_Parse(cmd);
    CHECK_STR_EQ(js(o, "cmd"), "call_acknowledged");
    CHECK_STR_EQ(js(o, "id"), "k-r1");
    CHECK_STR_EQ(js(o, "by"), "nurse-7");
    cJSON_Delete(o);
    free(cmd);
    REQUIRE(sync_room(&f, nurse));

    /* Clean stop and start: still acknowledged, by the same nurse. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    REQUIRE(rf_start_room(&f) == 0);
    c = retained(&f, rf_topic(&f, "call/chair-1"));
    REQUIRE(c != NULL);
    CHECK_STR_EQ(js(c, "id"), "k-r1");
    CHECK_STR_EQ(js(c, "state"), "acknowledged");
    CHECK_STR_EQ(js(c, "by"), "nurse-7");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "acknowledged")));
    cJSON_Delete(c);
    /* The same acknowledgement again is a duplicate: the restored call knows who acknowledged. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\"}", 1, false) == 0);
    REQUIRE(sync_room(&f, nurse));
    CHECK(hv_client_expect_none(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 300));

    /* The patient presses again after the restarts: a re-alert of the same call. */
    CHECK(publish_call(kiosk, &f, "chair-1", "k-r1") == 0);
    page = hv_client_expect(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(page != NULL);
    o = cJSON_Parse(page);
    CHECK_STR_EQ(js(o, "id"), "k-r1");
    CHECK_STR_EQ(js(o, "state"), "acknowledged");
    cJSON_Delete(o);
    free(page);

    /* Cleared at the bedside; after one more crash the old id is a late duplicate. */
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/clear"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\",\"ts\":\"2026-11-21T10:05:00.000Z\"}",
                        1, false) == 0);
    cmd = hv_client_expect(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 3000);
    CHECK(cmd && strstr(cmd, "\"cmd\":\"call_cleared\"") && strstr(cmd, "\"id\":\"k-r1\""));
    free(cmd);
    REQUIRE(sync_room(&f, nurse));
    rf_kill_room(&f);
    REQUIRE(rf_start_room(&f) == 0);
    CHECK(publish_call(kiosk, &f, "chair-1", "k-r1") == 0);
    REQUIRE(sync_room(&f, kiosk));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));
    CHECK(wait_log(&f, "late duplicate", 1000));

    /* Over the whole test, one call: every call/chair-1 the board saw is k-r1 (or empty),
     * and exactly two pages went out (the first, and the re-alert). */
    hv_msg *m;
    int calls = 0;
    while ((m = hv_client_expect_msg(f.obs, rf_topic(&f, "call/chair-1"), 0))) {
        if (m->payloadlen > 0) {
            calls++;
            CHECK(strstr(m->payload, "\"id\":\"k-r1\"") != NULL);
        }
        hv_msg_free(m);
    }
    CHECK(calls >= 3);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "page/+")), 2);

    hv_client_free(nurse);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/* Raised at 0, crash at 0.5 s, back at 1 s: the charge page still comes at 2 s, once. */
static void test_escalation_keeps_schedule_across_crash(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_short, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-1");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    int64_t t0 = hv_now_us();
    CHECK(publish_call(kiosk, &f, "chair-1", "k-e1") == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 2000);
    REQUIRE(page != NULL);
    CHECK(strstr(page, "\"escalation\":0") != NULL);
    free(page);

    sleep_until(t0, 500);
    rf_kill_room(&f);
    sleep_until(t0, 1000);
    REQUIRE(rf_start_room(&f) == 0);
    CHECK(ms_since(t0, hv_now_us()) < 1900);  /* else the test proves nothing */

    hv_msg *m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    int64_t at = ms_since(t0, m->recv_us);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    cJSON *o = cJSON_Parse(m->payload);
    CHECK_STR_EQ(js(o, "id"), "k-e1");
    CHECK_STR_EQ(js(o, "state"), "open");
    CHECK_INT_EQ(ji(o, "escalation"), 1);
    cJSON_Delete(o);
    hv_msg_free(m);
    fprintf(stderr, "escalation 1 at %lld ms after the call\n", (long long)at);
    CHECK(at >= 1000 && at <= 3000);

    /* Nothing more until the repeat, due 2 s after the escalation (4 s). */
    int64_t quiet = t0 / 1000 + 3600 - hv_now_us() / 1000;
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), quiet > 0 ? (int)quiet : 0));
    m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    at = ms_since(t0, m->recv_us);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK(strstr(m->payload, "\"escalation\":2") != NULL);
    CHECK(at >= 3000 && at <= 5000);
    hv_msg_free(m);

    /* The board saw the one call, with escalation 0, 1, 2: one page per step. */
    int pages[3] = { 0, 0, 0 };
    while ((m = hv_client_expect_msg(f.obs, rf_topic(&f, "page/+"), 500))) {
        o = cJSON_Parse(m->payload);
        int e = ji(o, "escalation");
        CHECK_STR_EQ(js(o, "id"), "k-e1");
        if (e >= 0 && e < 3)
            pages[e]++;
        cJSON_Delete(o);
        hv_msg_free(m);
    }
    CHECK_INT_EQ(pages[0], 1);
    CHECK_INT_EQ(pages[1], 1);
    CHECK_INT_EQ(pages[2], 1);
    cJSON *c = retained(&f, rf_topic(&f, "call/chair-1"));
    CHECK(c != NULL);
    CHECK_STR_EQ(js(c, "id"), "k-e1");
    CHECK_INT_EQ(ji(c, "escalation"), 2);
    cJSON_Delete(c);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/* SIGTERM: exit 0 and a retained offline status; a call sent meanwhile waits in the session. */
static void test_call_while_stopped_is_delivered(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-2");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    cJSON *s = retained(&f, status_topic(&f));
    CHECK(s && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "online")));
    cJSON_Delete(s);

    CHECK_INT_EQ(rf_stop_room(&f), 0);
    check_status_offline(&f);
    CHECK(wait_log(&f, "stopping;", 100));

    CHECK(publish_call(kiosk, &f, "chair-2", "k-s1") == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 300));  /* nobody to page */

    REQUIRE(rf_start_room(&f) == 0);
    char *topic = NULL;
    char *page = hv_client_expect_t(pager, rf_topic(&f, "page/+"), 3000, &topic, NULL);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(topic, rf_topic(&f, "page/nurses"));
    cJSON *o = cJSON_Parse(page);
    CHECK_STR_EQ(js(o, "id"), "k-s1");
    CHECK_STR_EQ(js(o, "room"), "chair-2");
    CHECK_STR_EQ(js(o, "state"), "open");
    CHECK_INT_EQ(ji(o, "escalation"), 0);
    cJSON_Delete(o);
    free(page);
    free(topic);

    cJSON *c = retained(&f, rf_topic(&f, "call/chair-2"));
    CHECK(c != NULL);
    CHECK_STR_EQ(js(c, "id"), "k-s1");
    cJSON_Delete(c);
    s = retained(&f, status_topic(&f));
    CHECK(s && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "online")));
    cJSON_Delete(s);
    REQUIRE(sync_room(&f, kiosk));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));

    /* Once more across a clean restart: still one call, no page. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    REQUIRE(rf_start_room(&f) == 0);
    REQUIRE(sync_room(&f, kiosk));
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 300));
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "page/+")), 1);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_crash_restores_call_and_ack);
    RUN(test_escalation_keeps_schedule_across_crash);
    RUN(test_call_while_stopped_is_delivered);
    return CHECK_SUMMARY();
}
