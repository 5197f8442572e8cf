/*
 * test_ack_clear.c - a nurse acknowledges a call (the kiosk is told who is
 * coming), and a call is cleared: remotely for routine and assist calls, only
 * at the bedside for urgent ones; acks and clears for another id are ignored.
 * Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens a call in room and consumes its page and its first retained update. */
static void open_call_(struct room_kit *t, const char *room, const char *id, const char *reason,
                       int line)
{
    char rest[96], payload[160];

    snprintf(rest, sizeof rest, "room/%s/kiosk/call", room);
    snprintf(payload, sizeof payload, "{\"id\":\"%s\",\"reason\":\"%s\"}", id, reason);
    check_true(hv_client_pub(t->kiosk, rf_topic(&t->f, rest), payload, 1, false) == 0,
               "call published", __FILE__, line);
    char *page = next_page_(t, "nurses", 2000, __FILE__, line);
    check_str_eq(json_str(page, "id"), id, "paged id", "id", __FILE__, line);
    free(page);
    char *upd = call_update(t, room, 2000);
    check_str_eq(json_str(upd, "id"), id, "retained call id", "id", __FILE__, line);
    free(upd);
}
#define OPEN_CALL(t, room, id, reason) open_call_((t), (room), (id), (reason), __LINE__)

/*
 * Checks what the kiosk was told (kiosk_told): id acknowledged by by, or, with a NULL id,
 * that its call was cleared (the room's retained call went empty: the kiosk's screen
 * knows which call it showed).
 */
static void check_told_(const char *call, const char *id, const char *by, int line)
{
    if (!check_true(call != NULL, "the kiosk was told through its room's call", __FILE__, line))
        return;
    if (!id) {
        check_true(call[0] == '\0', "the room's call went empty", __FILE__, line);
        return;
    }
    check_str_eq(json_str(call, "id"), id, "id", "expected id", __FILE__, line);
    check_str_eq(json_str(call, "by"), by, "by", "expected by", __FILE__, line);
}
#define CHECK_TOLD_ACK(call, id, by) check_told_((call), (id), (by), __LINE__)
#define CHECK_TOLD_CLEARED(call) check_told_((call), NULL, NULL, __LINE__)

/* ---- acknowledgement ------------------------------------------------------------- */

ROOM_TEST(test_ack_tells_kiosk_and_updates_call)
{
    OPEN_CALL(t, "chair-1", "k-1", "help");

    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-1", "Sam");
    free(cmd);
    char *upd = call_update(t, "chair-1", 2000);
    CHECK_CALL(upd, "k-1", "chair-1", "Chair 1", "assist", "help", "acknowledged", 0, "Sam", NULL);
    CHECK(json_str(upd, "raised") && json_str(upd, "acknowledged") &&
          strcmp(json_str(upd, "acknowledged"), json_str(upd, "raised")) >= 0);
    free(upd);
    char *call = RETAINED_CALL(t, "chair-1");
    CHECK_CALL(call, "k-1", "chair-1", "Chair 1", "assist", "help", "acknowledged", 0, "Sam",
               NULL);
    free(call);

    /* Only that room's kiosk is told, once; an ack is not a page. */
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 300));
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 0));

    /* An ack without "by" acknowledges too; by is then the login it came through. */
    OPEN_CALL(t, "chair-2", "k-2", "ready");
    NURSE_PUB(t, "call/chair-2/ack/station", "{\"id\":\"k-2\"}");
    cmd = kiosk_told(t, "chair-2", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-2", "station");
    free(cmd);
    upd = call_update(t, "chair-2", 2000);
    CHECK_CALL(upd, "k-2", "chair-2", "Chair 2", "routine", "ready", "acknowledged", 0, "station",
               NULL);
    free(upd);
}

ROOM_TEST(test_ack_for_another_id_or_room_ignored)
{
    OPEN_CALL(t, "chair-1", "k-1", "help");

    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"k-999\",\"by\":\"Sam\"}");  /* wrong id */
    NURSE_PUB(t, "call/chair-2/ack/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");    /* wrong room */
    NURSE_PUB(t, "call/chair-3/ack/station", "{\"id\":\"k-3\",\"by\":\"Sam\"}");    /* room with no call */
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 700));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    char *call = RETAINED_CALL(t, "chair-1");
    CHECK_CALL(call, "k-1", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(call);
    char *log = hv_read_file(t->f.log_path);
    CHECK(log && strstr(log, "k-999") != NULL);  /* logged */
    free(log);

    /* The call is still live: the right ack still works. */
    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-1", "Sam");
    free(cmd);
}

ROOM_TEST(test_same_ack_twice_tells_kiosk_once)
{
    static const char ack[] = "{\"id\":\"k-1\",\"by\":\"Sam\"}";

    OPEN_CALL(t, "chair-1", "k-1", "help");
    NURSE_PUB(t, "call/chair-1/ack/station", ack);
    char *cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-1", "Sam");
    free(cmd);
    char *upd = call_update(t, "chair-1", 2000);
    CHECK_CALL(upd, "k-1", "chair-1", "Chair 1", "assist", "help", "acknowledged", 0, "Sam", NULL);
    char first_ack[64];
    snprintf(first_ack, sizeof first_ack, "%s", json_str(upd, "acknowledged") ? json_str(upd, "acknowledged") : "");
    free(upd);

    /* The same acknowledgement delivered again: nothing. */
    NURSE_PUB(t, "call/chair-1/ack/station", ack);
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 700));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));

    /* Another nurse takes it over: by changes, the kiosk is told again, the time stays. */
    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"k-1\",\"by\":\"Alex\"}");
    cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-1", "Alex");
    free(cmd);
    upd = call_update(t, "chair-1", 2000);
    CHECK_CALL(upd, "k-1", "chair-1", "Chair 1", "assist", "help", "acknowledged", 0, "Alex",
               NULL);
    CHECK_STR_EQ(json_str(upd, "acknowledged"), first_ack);
    free(upd);
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 300));
}

/* ---- clearing ----------------------------------------------------------------------- */

ROOM_TEST(test_remote_clear_of_assist_call)
{
    OPEN_CALL(t, "chair-1", "k-1", "help");

    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-1", NULL, 2000);
    CHECK_TOLD_CLEARED(cmd);
    free(cmd);
    char *upd = call_update(t, "chair-1", 2000);
    CHECK_STR_EQ(upd, "");  /* an empty retained payload */
    free(upd);
    /* A board subscribing now finds no call for the room. */
    CHECK(RETAINED_CALL(t, "chair-1") == NULL);
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 300));

    /* Gone for good: an ack or clear for it now is ignored, and it does not escalate. */
    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");
    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 500));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));

    /* An acknowledged routine call clears remotely too. */
    OPEN_CALL(t, "chair-2", "k-2", "ready");
    NURSE_PUB(t, "call/chair-2/ack/station", "{\"id\":\"k-2\",\"by\":\"Sam\"}");
    cmd = kiosk_told(t, "chair-2", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "k-2", "Sam");
    free(cmd);
    NURSE_PUB(t, "call/chair-2/clear/station", "{\"id\":\"k-2\",\"by\":null}");
    cmd = kiosk_told(t, "chair-2", NULL, 2000);
    CHECK_TOLD_CLEARED(cmd);
    free(cmd);
    upd = call_update(t, "chair-2", 2000);  /* acknowledged */
    CHECK(upd && upd[0]);
    free(upd);
    upd = call_update(t, "chair-2", 2000);  /* then empty */
    CHECK_STR_EQ(upd, "");
    free(upd);
    CHECK(RETAINED_CALL(t, "chair-2") == NULL);

    /* No pages after the clears, not even at the escalation times (2 s, 4 s). */
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 2300));
}

ROOM_TEST(test_urgent_call_clears_only_at_bedside)
{
    OPEN_CALL(t, "chair-1", "s-1", "safety");

    /* A nurse's remote clear of an urgent call is refused and logged. */
    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"s-1\",\"by\":\"Sam\"}");
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 700));
    char *call = RETAINED_CALL(t, "chair-1");
    CHECK(call != NULL);
    CHECK_STR_EQ(json_str(call, "id"), "s-1");
    CHECK_STR_EQ(json_str(call, "priority"), "urgent");
    CHECK_STR_EQ(json_str(call, "state"), "open");
    free(call);
    /* The call/R updates meanwhile are escalations, never an empty payload. */
    for (char *upd; (upd = call_update(t, "chair-1", 0)); free(upd))
        CHECK(upd[0] != '\0');
    char *log = hv_read_file(t->f.log_path);
    CHECK(log && strstr(log, "refused") != NULL);
    free(log);

    /* Acknowledged, it still cannot be cleared remotely. */
    NURSE_PUB(t, "call/chair-1/ack/station", "{\"id\":\"s-1\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-1", "acknowledged", 2000);
    CHECK_TOLD_ACK(cmd, "s-1", "Sam");
    free(cmd);
    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"s-1\",\"by\":\"Sam\"}");
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 500));
    call = RETAINED_CALL(t, "chair-1");
    CHECK(call != NULL);
    CHECK_STR_EQ(json_str(call, "state"), "acknowledged");
    free(call);

    /* At the bedside it clears. */
    KIOSK_PUB(t, "room/chair-1/kiosk/clear",
              "{\"id\":\"s-1\",\"by\":\"nurse-7\",\"ts\":\"2026-11-21T10:00:05.000Z\"}");
    cmd = kiosk_told(t, "chair-1", NULL, 2000);
    CHECK_TOLD_CLEARED(cmd);
    free(cmd);
    char *upd;
    for (upd = call_update(t, "chair-1", 2000); upd && upd[0]; upd = call_update(t, "chair-1", 2000))
        free(upd);
    CHECK_STR_EQ(upd, "");
    free(upd);
    CHECK(RETAINED_CALL(t, "chair-1") == NULL);
    hv_client_drain(t->pager);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 1200));
}

ROOM_TEST(test_clear_for_another_id_ignored)
{
    OPEN_CALL(t, "chair-1", "k-1", "help");

    NURSE_PUB(t, "call/chair-1/clear/station", "{\"id\":\"k-999\",\"by\":\"Sam\"}");
    KIOSK_PUB(t, "room/chair-1/kiosk/clear", "{\"id\":\"k-998\",\"by\":\"nurse-7\"}");
    NURSE_PUB(t, "call/chair-2/clear/station", "{\"id\":\"k-1\",\"by\":\"Sam\"}");   /* wrong room */
    KIOSK_PUB(t, "room/chair-2/kiosk/clear", "{\"id\":\"k-1\",\"by\":null}"); /* wrong room */
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 700));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    char *call = RETAINED_CALL(t, "chair-1");
    CHECK_CALL(call, "k-1", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(call);

    /* The right id still clears it. */
    KIOSK_PUB(t, "room/chair-1/kiosk/clear", "{\"id\":\"k-1\",\"by\":\"nurse-7\"}");
    char *cmd = kiosk_told(t, "chair-1", NULL, 2000);
    CHECK_TOLD_CLEARED(cmd);
    free(cmd);
    char *upd = call_update(t, "chair-1", 2000);
    CHECK_STR_EQ(upd, "");
    free(upd);
}

int main(void)
{
    RUN(test_ack_tells_kiosk_and_updates_call);
    RUN(test_ack_for_another_id_or_room_ignored);
    RUN(test_same_ack_twice_tells_kiosk_once);
    RUN(test_remote_clear_of_assist_call);
    RUN(test_urgent_call_clears_only_at_bedside);
    RUN(test_clear_for_another_id_ignored);
    return CHECK_SUMMARY();
}
