/*
 * test_escalation.c - an unacknowledged call climbs its priority's chain on
 * time, repeats past the end, stops when acknowledged and comes back as a
 * reminder when an acknowledged call is not cleared.  Arrival times are
 * measured at the pager (hv_msg.recv_us).  The test clinic's timers
 * (rf_default_config): assist nurses@0 -> charge@2s, repeat 2s, ack_timeout
 * 3s; urgent nurses@0 -> charge@1s, repeat 1s, ack_timeout 2s.
 * Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds from t0_us (hv_now_us) to the message's arrival; a large value if m is NULL. */
static double secs_since(int64_t t0_us, const hv_msg *m)
{
    return m ? (double)(m->recv_us - t0_us) / 1e6 : 1e9;
}

/* ---- an unacknowledged call climbs the chain ------------------------------------------ */

ROOM_TEST(test_assist_escalates_to_charge_then_repeats)
{
    int64_t t0 = hv_now_us();
    KIOSK_PUB(t, "room/chair-1/kiosk/call", "{\"id\":\"e-1\",\"reason\":\"help\"}");

    /* At once to the first group. */
    hv_msg *m = NEXT_PAGE_MSG(t, "nurses", 2000);
    REQUIRE(m != NULL);
    CHECK(secs_since(t0, m) < 0.5);
    CHECK_CALL(m->payload, "e-1", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    char raised[64];
    snprintf(raised, sizeof raised, "%s", json_str(m->payload, "raised") ? json_str(m->payload, "raised") : "?");
    hv_msg_free(m);
    char *upd = call_update(t, "chair-1", 2000);
    CHECK_CALL(upd, "e-1", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(upd);

    /* Then charge at 2 s (escalation 1), and charge again every 2 s past the chain's end. */
    for (int esc = 1; esc <= 3; esc++) {
        m = NEXT_PAGE_MSG(t, "charge", 3500);
        REQUIRE(m != NULL);
        CHECK_DBL_NEAR(secs_since(t0, m), 2.0 * esc, 0.7);
        CHECK_CALL(m->payload, "e-1", "chair-1", "Chair 1", "assist", "help", "open", esc, NULL,
                   NULL);
        CHECK_STR_EQ(json_str(m->payload, "raised"), raised);  /* the same call throughout */
        hv_msg_free(m);
        /* The retained call follows with the same escalation count. */
        upd = call_update(t, "chair-1", 1000);
        CHECK_CALL(upd, "e-1", "chair-1", "Chair 1", "assist", "help", "open", esc, NULL, NULL);
        free(upd);
    }
    char *call = RETAINED_CALL(t, "chair-1");
    CHECK_CALL(call, "e-1", "chair-1", "Chair 1", "assist", "help", "open", 3, NULL, NULL);
    free(call);
    /* Only this room's call pages: nothing went to another group or for another call. */
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 0));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"e-1\",\"by\":\"Sam\"}");
}

ROOM_TEST(test_urgent_escalates_every_second)
{
    int64_t t0 = hv_now_us();
    KIOSK_PUB(t, "room/chair-2/kiosk/call", "{\"id\":\"e-2\",\"reason\":\"safety\"}");

    hv_msg *m = NEXT_PAGE_MSG(t, "nurses", 2000);
    REQUIRE(m != NULL);
    CHECK(secs_since(t0, m) < 0.5);
    CHECK_CALL(m->payload, "e-2", "chair-2", "Chair 2", "urgent", "safety", "open", 0, NULL, NULL);
    hv_msg_free(m);
    for (int esc = 1; esc <= 2; esc++) {
        m = NEXT_PAGE_MSG(t, "charge", 2500);
        REQUIRE(m != NULL);
        CHECK_DBL_NEAR(secs_since(t0, m), 1.0 * esc, 0.4);
        CHECK_CALL(m->payload, "e-2", "chair-2", "Chair 2", "urgent", "safety", "open", esc, NULL,
                   NULL);
        hv_msg_free(m);
    }
    KIOSK_PUB(t, "room/chair-2/kiosk/clear", "{\"id\":\"e-2\",\"by\":\"nurse-7\"}");
    char *cmd = kiosk_told(t, "chair-2", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
    /* Cleared: the every-second repeats stop. */
    hv_client_drain(t->pager);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 1300));
}

/* ---- acknowledgement stops it; an acknowledged call is not forgotten -------------------- */

ROOM_TEST(test_ack_stops_escalation_then_reminds)
{
    int64_t t0 = hv_now_us();
    KIOSK_PUB(t, "room/chair-3/kiosk/call", "{\"id\":\"e-3\",\"reason\":\"help\"}");
    hv_msg *m = NEXT_PAGE_MSG(t, "nurses", 2000);
    hv_msg_free(m);
    m = NEXT_PAGE_MSG(t, "charge", 3500);  /* escalated at 2 s */
    REQUIRE(m != NULL);
    CHECK_DBL_NEAR(secs_since(t0, m), 2.0, 0.7);
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    hv_msg_free(m);

    /* The charge nurse acknowledges. */
    int64_t ta = hv_now_us();
    NURSE_PUB(t, "call/chair-3/ack/station", "{\"id\":\"e-3\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-3", "acknowledged", 2000);
    CHECK(cmd != NULL);
    CHECK_STR_EQ(json_str(cmd, "by"), "Sam");
    free(cmd);
    char *upd;
    for (int i = 0; i < 2; i++) {  /* open (escalation 0), then escalation 1 */
        upd = call_update(t, "chair-3", 1000);
        CHECK_STR_EQ(json_str(upd, "state"), "open");
        free(upd);
    }
    upd = call_update(t, "chair-3", 1000);
    CHECK_CALL(upd, "e-3", "chair-3", "Chair 3", "assist", "help", "acknowledged", 1, "Sam", NULL);
    free(upd);

    /* No repeat at 4 s: nothing until the reminder, ack_timeout (3 s) after the ack ... */
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 2400));
    /* ... which goes to the group paged last, as a reminder of an acknowledged call. */
    for (int n = 1; n <= 2; n++) {
        m = NEXT_PAGE_MSG(t, "charge", 3500);
        REQUIRE(m != NULL);
        CHECK_DBL_NEAR(secs_since(ta, m), 3.0 * n, 0.7);
        CHECK_CALL(m->payload, "e-3", "chair-3", "Chair 3", "assist", "help", "acknowledged", 1,
                   "Sam", NULL);
        hv_msg_free(m);
        upd = call_update(t, "chair-3", 1000);
        CHECK_CALL(upd, "e-3", "chair-3", "Chair 3", "assist", "help", "acknowledged", 1, "Sam",
                   NULL);
        free(upd);
        if (n == 1)  /* and again every ack_timeout until cleared */
            CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 2200));
    }
    KIOSK_PUB(t, "room/chair-3/kiosk/clear", "{\"id\":\"e-3\",\"by\":\"Sam\"}");
    cmd = kiosk_told(t, "chair-3", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
}

/* ---- what moves the schedule and what does not -------------------------------------------- */

/* The patient pressing again re-pages at once, but the escalation stays due at 2 s. */
ROOM_TEST(test_realert_does_not_move_schedule)
{
    static const char call[] = "{\"id\":\"e-4\",\"reason\":\"help\"}";
    int64_t t0 = hv_now_us();

    KIOSK_PUB(t, "room/chair-4/kiosk/call", call);
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "e-4", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    hv_sleep_ms(1000);
    int64_t tr = hv_now_us();
    KIOSK_PUB(t, "room/chair-4/kiosk/call", call);
    hv_msg *m = NEXT_PAGE_MSG(t, "nurses", 2000);
    REQUIRE(m != NULL);
    CHECK(secs_since(tr, m) < 0.5);
    CHECK_CALL(m->payload, "e-4", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    hv_msg_free(m);
    m = NEXT_PAGE_MSG(t, "charge", 2500);
    REQUIRE(m != NULL);
    CHECK_DBL_NEAR(secs_since(t0, m), 2.0, 0.4);  /* not 3 s */
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    hv_msg_free(m);
    NURSE_PUB(t, "call/chair-4/clear/station", "{\"id\":\"e-4\",\"by\":\"Sam\"}");
}

/*
 * An upgrade (a safety call joining an acknowledged help call) re-opens the
 * call and starts the urgent chain from its first step: nurses at once,
 * charge 1 s after the upgrade, not 1 s after the call was first raised.
 */
ROOM_TEST(test_upgrade_restarts_chain)
{
    KIOSK_PUB(t, "room/chair-1/kiosk/call", "{\"id\":\"e-5\",\"reason\":\"help\"}");
    hv_msg *m = NEXT_PAGE_MSG(t, "nurses", 2000);
    hv_msg_free(m);
    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"e-5\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK(cmd != NULL);
    free(cmd);
    hv_sleep_ms(1500);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 0));

    int64_t tu = hv_now_us();
    KIOSK_PUB(t, "room/chair-1/kiosk/call", "{\"id\":\"e-6\",\"reason\":\"safety\"}");
    m = NEXT_PAGE_MSG(t, "nurses", 2000);
    REQUIRE(m != NULL);
    CHECK(secs_since(tu, m) < 0.5);
    CHECK_CALL(m->payload, "e-5", "chair-1", "Chair 1", "urgent", "safety", "open", 0, NULL, NULL);
    hv_msg_free(m);
    m = NEXT_PAGE_MSG(t, "charge", 2500);
    REQUIRE(m != NULL);
    CHECK_DBL_NEAR(secs_since(tu, m), 1.0, 0.3);
    CHECK_CALL(m->payload, "e-5", "chair-1", "Chair 1", "urgent", "safety", "open", 1, NULL, NULL);
    hv_msg_free(m);
    KIOSK_PUB(t, "room/chair-1/kiosk/clear", "{\"id\":\"e-6\",\"by\":\"nurse-7\"}");
    cmd = kiosk_told(t, "chair-1", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
}

int main(void)
{
    RUN(test_assist_escalates_to_charge_then_repeats);
    RUN(test_urgent_escalates_every_second);
    RUN(test_ack_stops_escalation_then_reminds);
    RUN(test_realert_does_not_move_schedule);
    RUN(test_upgrade_restarts_chain);
    return CHECK_SUMMARY();
}
