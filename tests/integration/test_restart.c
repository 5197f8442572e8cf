/*
 * test_restart.c - the controller crashes or is stopped and comes back: open
 * calls are restored from the call log (same id, state, acknowledgement),
 * escalation keeps its schedule, a call sent while it was down is delivered
 * by its persistent session, its will/clean stop leave a retained offline
 * status, and nothing is paged or opened twice.  Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    char *s = retained_payload(f, status_topic(f), 3000);
    CHECK(s != NULL);
    CHECK(json_is_false(s, "online"));
    free(s);
}

static int64_t ms_since(int64_t t0_us, int64_t t_us)
{
    return (t_us - t0_us) / 1000;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_crash_restores_call_and_ack(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-1");
    hv_client *nurse = rf_client(&f, "nurse");
    REQUIRE(pager && kiosk && nurse);
    REQUIRE(hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 1) == 0);
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "call/chair-1"), 1) == 0);

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
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    REQUIRE(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-r1");
    CHECK_STR_EQ(json_str(c, "state"), "open");
    CHECK_STR_EQ(json_str(c, "reason"), "help");
    CHECK_STR_EQ(json_str(c, "priority"), "assist");
    CHECK_INT_EQ(json_int(c, "escalation"), 0);
    free(c);
    /* The first page reached the broker before the crash: it is not sent again. */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));

    /* An acknowledgement works on the restored call. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack/station"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\"}", 1, false) == 0);
    char *told = expect_call_state(kiosk, &f, "chair-1", "acknowledged", 3000);
    REQUIRE(told != NULL);
    CHECK_STR_EQ(json_str(told, "id"), "k-r1");
    CHECK_STR_EQ(json_str(told, "by"), "nurse-7");
    free(told);
    REQUIRE(sync_room(&f, nurse));

    /* Clean stop and start: still acknowledged, by the same nurse. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    REQUIRE(rf_start_room(&f) == 0);
    c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    REQUIRE(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-r1");
    CHECK_STR_EQ(json_str(c, "state"), "acknowledged");
    CHECK_STR_EQ(json_str(c, "by"), "nurse-7");
    CHECK(json_str(c, "acknowledged") != NULL);
    free(c);
    /* The same acknowledgement again is a duplicate: the restored call knows who acknowledged. */
    CHECK(hv_client_pub(nurse, rf_topic(&f, "call/chair-1/ack/station"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\"}", 1, false) == 0);
    REQUIRE(sync_room(&f, nurse));
    CHECK(hv_client_expect_none(kiosk, rf_topic(&f, "room/chair-1/kiosk/cmd"), 300));

    /* The patient presses again after the restarts: a re-alert of the same call. */
    CHECK(publish_call(kiosk, &f, "chair-1", "k-r1") == 0);
    page = hv_client_expect(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), "k-r1");
    CHECK_STR_EQ(json_str(page, "state"), "acknowledged");
    free(page);

    /* Cleared at the bedside; after one more crash the old id is a late duplicate. */
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/clear"),
                        "{\"id\":\"k-r1\",\"by\":\"nurse-7\",\"ts\":\"2026-11-21T10:05:00.000Z\"}",
                        1, false) == 0);
    told = expect_call_state(kiosk, &f, "chair-1", NULL, 3000);  /* the call went empty */
    CHECK(told != NULL);
    free(told);
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
    /* Else the test proves nothing.  Under valgrind memcheck (HAVEN_VALGRIND) haven-room
     * takes 1.5-3 s to start (2.3 s seen on a fresh clone): there the step due at 2 s may
     * fire at the restart instead, which the checks below accept too; the schedule itself
     * is the normal runs' job. */
    CHECK(ms_since(t0, hv_now_us()) < (rf_valgrind() ? 4000 : 1900));

    hv_msg *m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    int64_t at = ms_since(t0, m->recv_us);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK_STR_EQ(json_str(m->payload, "id"), "k-e1");
    CHECK_STR_EQ(json_str(m->payload, "state"), "open");
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    hv_msg_free(m);
    fprintf(stderr, "escalation 1 at %lld ms after the call\n", (long long)at);
    CHECK(at >= 1000 && at <= (rf_valgrind() ? 4500 : 3000));

    /* Nothing more until the repeat, due 2 s after the escalation (4 s). */
    int64_t quiet = t0 / 1000 + 3600 - hv_now_us() / 1000;
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), quiet > 0 ? (int)quiet : 0));
    m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    at = ms_since(t0, m->recv_us);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK(strstr(m->payload, "\"escalation\":2") != NULL);
    CHECK(at >= 3000 && at <= (rf_valgrind() ? 6500 : 5000));
    hv_msg_free(m);

    /* The board saw the one call, with escalation 0, 1, 2: one page per step. */
    int pages[3] = { 0, 0, 0 };
    while ((m = hv_client_expect_msg(f.obs, rf_topic(&f, "page/+"), 500))) {
        long long e = json_int(m->payload, "escalation");
        CHECK_STR_EQ(json_str(m->payload, "id"), "k-e1");
        if (e >= 0 && e < 3)
            pages[e]++;
        hv_msg_free(m);
    }
    CHECK_INT_EQ(pages[0], 1);
    CHECK_INT_EQ(pages[1], 1);
    CHECK_INT_EQ(pages[2], 1);
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-e1");
    CHECK_INT_EQ(json_int(c, "escalation"), 2);
    free(c);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/* SIGTERM: exit 0 and a retained offline status; a call sent meanwhile waits in the session. */
static void test_call_while_stopped_is_delivered(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-2");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    char *s = retained_payload(&f, status_topic(&f), 3000);
    CHECK(s && json_is_true(s, "online"));
    free(s);

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
    CHECK_STR_EQ(json_str(page, "id"), "k-s1");
    CHECK_STR_EQ(json_str(page, "room"), "chair-2");
    CHECK_STR_EQ(json_str(page, "state"), "open");
    CHECK_INT_EQ(json_int(page, "escalation"), 0);
    free(page);
    free(topic);

    /* The page goes out before the retained call: read the retained call only once
     * the controller has handled everything up to a later probe. */
    REQUIRE(sync_room(&f, kiosk));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-2"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-s1");
    free(c);
    s = retained_payload(&f, status_topic(&f), 3000);
    CHECK(s && json_is_true(s, "online"));
    free(s);
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

/* Issue 12 item 14: a second controller on the same call log refuses to start; the first
 * keeps serving and never loses the broker to it. */
static void test_second_controller_refuses(void)
{
    struct room_fixture f;
    char broker[64], out[700];
    mode_t was = umask(022);  /* as a hand-started controller might have it */

    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    umask(was);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-2");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    snprintf(broker, sizeof broker, "127.0.0.1:%d", f.port);
    snprintf(out, sizeof out, "%s/second.log", f.dir);
    const char *args[] = { "--config", f.cfg_path, "--broker", broker, "--db", f.db_path, NULL };
    CHECK_INT_EQ(rf_run_room_cli(args, out), 1);
    char *text = hv_read_file(out);
    CHECK(text && strstr(text, "another haven-room (pid ") && strstr(text, f.db_path));
    free(text);

    CHECK(publish_call(kiosk, &f, "chair-2", "k-two") == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 3000);
    CHECK(page && json_str(page, "id") && strcmp(json_str(page, "id"), "k-two") == 0);
    free(page);
    char *log = hv_read_file(f.log_path);
    CHECK(log && !strstr(log, "lost the broker"));
    free(log);

    /* Item 2: the call log, its WAL and its lock are the controller's alone. */
    const char *suffix[] = { "", "-wal", ".lock" };
    for (int i = 0; i < 3; i++) {
        char path[700];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", f.db_path, suffix[i]);
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    }

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_crash_restores_call_and_ack);
    RUN(test_escalation_keeps_schedule_across_crash);
    RUN(test_call_while_stopped_is_delivered);
    RUN(test_second_controller_refuses);
    return CHECK_SUMMARY();
}
