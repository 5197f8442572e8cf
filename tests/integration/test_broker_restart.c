/*
 * test_broker_restart.c - the broker dies and comes back (on the same port,
 * without persistence: its retained messages and sessions are gone).  The
 * controller reconnects with backoff (at most 5 s between attempts), sends
 * the escalation that fell due while the broker was away, republishes its
 * status and every room's retained call, and resubscribes.  A controller
 * started while the broker is down keeps trying and never exits.
 * Private broker per test, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Assist: nurses at 0, charge at 2 s, then a repeat only after 30 s. */
static const char config[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "priorities = {\n"
    "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 2; } );\n"
    "              repeat = 30; ack_timeout = 30; };\n"
    "};\n"
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; } );\n";

/* ---- helpers ----------------------------------------------------------------- */

/* Waits for the observer to see the controller's status say online; returns when (us) or 0. */
static int64_t wait_online(const struct room_fixture *f, int timeout_ms)
{
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;
    hv_msg *m;

    while (hv_now_us() < end &&
           (m = hv_client_expect_msg(f->obs, status_topic(f),
                                     (int)((end - hv_now_us()) / 1000) + 1))) {
        bool on = strstr(m->payload, "\"online\":true") != NULL;
        int64_t at = m->recv_us;
        hv_msg_free(m);
        if (on)
            return at;
    }
    return 0;
}

/* A new call in room is paged to nurses (the controller is subscribed). */
static void check_new_call_paged(const struct room_fixture *f, hv_client *kiosk, hv_client *pager,
                                 const char *room, const char *id)
{
    char *topic = NULL;
    char *page;

    CHECK(publish_call(kiosk, f, room, id) == 0);
    page = hv_client_expect_t(pager, rf_topic(f, "page/+"), 3000, &topic, NULL);
    CHECK(page != NULL);
    if (!page)
        return;
    CHECK_STR_EQ(topic, rf_topic(f, "page/nurses"));
    CHECK_STR_EQ(json_str(page, "id"), id);
    CHECK_STR_EQ(json_str(page, "room"), room);
    CHECK_INT_EQ(json_int(page, "escalation"), 0);
    free(page);
    free(topic);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_broker_crash_escalation_sent_after_reconnect(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config, true) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    int64_t t0 = hv_now_us();
    CHECK(publish_call(kiosk, &f, "chair-1", "k-b1") == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 2000);
    REQUIRE(page != NULL);
    free(page);

    sleep_until(t0, 300);
    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(wait_log(&f, "lost the broker", 3000));
    /* The escalation falls due while the broker is away; the controller pages into its queue. */
    sleep_until(t0, 2600);
    CHECK(wait_log(&f, "escalation 1, paging charge", 1000));

    /*
     * The broker has no persistence: pages reach only those subscribed when they
     * arrive.  Hold the controller (SIGSTOP) until the pager and the observer are
     * back, as a slow reconnect would, so that what it sends next can be seen.
     */
    REQUIRE(hv_proc_signal(f.room, SIGSTOP) == 0);
    REQUIRE(hv_broker_restart(f.broker) == 0);
    CHECK(hv_client_wait_ready(pager, 5000) == 0);
    CHECK(hv_client_wait_ready(f.obs, 5000) == 0);
    CHECK(hv_client_wait_ready(kiosk, 5000) == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 0));
    hv_client_drain(f.obs);
    int64_t t_cont = hv_now_us();
    REQUIRE(hv_proc_signal(f.room, SIGCONT) == 0);

    /* The escalation page arrives after the reconnect: not lost. */
    hv_msg *m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 8000);
    REQUIRE(m != NULL);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK_STR_EQ(json_str(m->payload, "id"), "k-b1");
    CHECK_STR_EQ(json_str(m->payload, "state"), "open");
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    CHECK(m->recv_us > t_cont);
    hv_msg_free(m);

    /* Online again within the 5 s backoff cap, status republished (retained). */
    int64_t on = wait_online(&f, 8000);
    CHECK(on != 0);
    fprintf(stderr, "controller online %lld ms after it could run again\n",
            (long long)((on - t_cont) / 1000));
    CHECK(on != 0 && on - t_cont <= 5500 * 1000);
    CHECK(wait_log(&f, "connected to the broker; 1 open call(s)", 1000));
    char *s = retained_payload(&f, status_topic(&f), 3000);
    CHECK(s && json_is_true(s, "online"));
    free(s);

    /* The broker lost the retained call: the controller put it back. */
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-b1");
    CHECK_STR_EQ(json_str(c, "state"), "open");
    CHECK_INT_EQ(json_int(c, "escalation"), 1);
    free(c);

    /* One page for the step, and the controller listens again: a new call is paged,
     * and an acknowledgement of the old one works. */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 500));
    check_new_call_paged(&f, kiosk, pager, "chair-2", "k-b2");
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "call/chair-1"), 1) == 0);
    CHECK(hv_client_pub(pager, rf_topic(&f, "call/chair-1/ack/station"), "{\"id\":\"k-b1\",\"by\":\"Sam\"}",
                        1, false) == 0);
    char *told = expect_call_state(kiosk, &f, "chair-1", "acknowledged", 3000);
    CHECK(told && strstr(told, "\"by\":\"Sam\""));
    free(told);
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);  /* still running */

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * The escalation falls due while the broker is down, and the controller is then
 * killed: the page it queued in memory is gone, but the call log knows the broker
 * never acknowledged it, so the restarted controller sends it.  Once.
 */
static void test_unacknowledged_page_resent_after_crash(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config, true) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    int64_t t0 = hv_now_us();
    CHECK(publish_call(kiosk, &f, "chair-1", "k-u1") == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 2000);
    REQUIRE(page != NULL);
    free(page);

    sleep_until(t0, 300);
    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(wait_log(&f, "lost the broker", 3000));
    sleep_until(t0, 2500);
    CHECK(wait_log(&f, "escalation 1, paging charge", 1000));
    rf_kill_room(&f);

    REQUIRE(hv_broker_restart(f.broker) == 0);
    CHECK(hv_client_wait_ready(pager, 5000) == 0);
    CHECK(hv_client_wait_ready(f.obs, 5000) == 0);
    REQUIRE(rf_start_room(&f) == 0);

    hv_msg *m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK_STR_EQ(json_str(m->payload, "id"), "k-u1");
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    hv_msg_free(m);
    CHECK(wait_log(&f, "page of call k-u1 to charge was never acknowledged by the broker", 1000));
    /* Only that page: the nurses' page had been acknowledged before the outage. */
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));

    /* Now the broker has acknowledged it: another restart sends nothing. */
    rf_kill_room(&f);
    REQUIRE(rf_start_room(&f) == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), 800));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 3000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "k-u1");
    CHECK_INT_EQ(json_int(c, "escalation"), 1);
    free(c);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_controller_started_while_broker_down(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, config, true) == 0);
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    REQUIRE(hv_broker_stop(f.broker) == 0);

    char broker[64];
    snprintf(broker, sizeof broker, "127.0.0.1:%d", f.port);
    char *const argv[] = { (char *)rf_room_bin(), "--config", f.cfg_path, "--broker", broker,
                           "--db", f.db_path, NULL };
    int64_t t_spawn = hv_now_us();
    f.room = hv_proc_spawn(argv, f.log_path);
    REQUIRE(f.room != NULL);

    /*
     * Long enough for the backoff to reach its 5 s cap (attempts about 0.25, 0.75,
     * 1.75, 3.75 and 7.75 s after start); without the cap the next would be 8 s later.
     */
    sleep_until(t_spawn, 9000);
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);  /* it never gives up */
    CHECK(wait_log(&f, "cannot reach broker", 100));

    REQUIRE(hv_broker_restart(f.broker) == 0);
    int64_t t_up = hv_now_us();
    hv_client_drain(f.obs);
    int64_t on = wait_online(&f, 9000);
    CHECK(on != 0);
    fprintf(stderr, "controller online %lld ms after the broker\n", (long long)((on - t_up) / 1000));
    CHECK(on != 0 && on - t_up <= 5500 * 1000);
    char *s = retained_payload(&f, status_topic(&f), 3000);
    CHECK(s && json_is_true(s, "online"));
    free(s);

    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    check_new_call_paged(&f, kiosk, pager, "chair-1", "k-d1");
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_broker_crash_escalation_sent_after_reconnect);
    RUN(test_unacknowledged_page_resent_after_crash);
    RUN(test_controller_started_while_broker_down);
    return CHECK_SUMMARY();
}
