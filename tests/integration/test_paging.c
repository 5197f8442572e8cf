/*
 * test_paging.c - a kiosk call reaches the nurses: opened, paged, retained,
 * re-alerted without a second call; several rooms at once; a second call id
 * joining (or upgrading) the room's open call; late duplicates; rooms outside
 * the config; the optional detail.  Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_call_opens_page_and_retained_call(void)
{
    struct room_fixture f;
    char *cfg = rf_default_config("%PREFIX%", NULL);
    REQUIRE(cfg && rf_start(&f, cfg, false) == 0);
    free(cfg);
    hv_client *kiosk = rf_client(&f, "kiosk-1");
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(kiosk && pager);
    REQUIRE(hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/call"),
                        "{\"id\":\"k-100\",\"reason\":\"help\",\"ts\":\"2026-11-21T10:00:00.000Z\"}",
                        1, false) == 0);
    char *topic = NULL;
    char *page = hv_client_expect_t(pager, rf_topic(&f, "page/+"), 3000, &topic, NULL);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(topic, rf_topic(&f, "page/nurses"));
    REQUIRE(json_parses(page));
    CHECK_STR_EQ(json_str(page, "id"), "k-100");
    CHECK_STR_EQ(json_str(page, "room"), "chair-1");
    CHECK_STR_EQ(json_str(page, "label"), "Chair 1");
    CHECK_STR_EQ(json_str(page, "priority"), "assist");
    CHECK_STR_EQ(json_str(page, "reason"), "help");
    CHECK_STR_EQ(json_str(page, "state"), "open");
    CHECK(json_is_null(page, "acknowledged"));
    CHECK(json_is_null(page, "by"));
    CHECK_INT_EQ(json_int(page, "escalation"), 0);
    /* Every field, and nothing else (no detail: the kiosk sent none). */
    CHECK_CALL(page, "k-100", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    free(topic);

    /* A board that subscribes now sees the call, retained. */
    hv_client *board = rf_client(&f, "board");
    REQUIRE(board && hv_client_sub(board, rf_topic(&f, "call/+"), 1) == 0);
    bool retained = false;
    char *call = hv_client_expect_t(board, rf_topic(&f, "call/chair-1"), 3000, NULL, &retained);
    REQUIRE(call != NULL);
    CHECK(retained);
    CHECK(strstr(call, "\"id\":\"k-100\"") != NULL);
    CHECK_CALL(call, "k-100", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(call);

    /* Pressing again: a re-page to the same group with the same id, never a second call. */
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "room/chair-1/kiosk/call"),
                        "{\"id\":\"k-100\",\"reason\":\"help\"}", 1, false) == 0);
    page = hv_client_expect_t(pager, rf_topic(&f, "page/+"), 3000, &topic, NULL);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(topic, rf_topic(&f, "page/nurses"));
    CHECK(strstr(page, "\"id\":\"k-100\"") != NULL);
    CHECK_CALL(page, "k-100", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    free(topic);
    /* ... and the retained call is not re-announced for a re-alert. */
    CHECK(hv_client_expect_none(board, rf_topic(&f, "call/+"), 300));

    hv_client_free(board);
    hv_client_free(pager);
    hv_client_free(kiosk);
    rf_finish(&f);
}

/* ---- priorities ------------------------------------------------------------------ */

/* Each reason opens a call with its default priority, paged first to nurses. */
ROOM_TEST(test_reasons_map_to_default_priorities)
{
    static const struct {
        const char *room, *label, *reason, *priority;
    } cases[] = {
        { "chair-1", "Chair 1", "help", "assist" },
        { "chair-2", "Chair 2", "unwell", "assist" },
        { "chair-3", "Chair 3", "ready", "routine" },
        { "chair-4", "Chair 4", "safety", "urgent" },  /* last: it escalates after 1 s */
    };
    char rest[96], payload[160], id[32];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(rest, sizeof rest, "room/%s/kiosk/call", cases[i].room);
        snprintf(id, sizeof id, "r-%s", cases[i].reason);
        snprintf(payload, sizeof payload,
                 "{\"id\":\"%s\",\"reason\":\"%s\",\"ts\":\"2026-11-21T10:00:00.000Z\"}", id,
                 cases[i].reason);
        KIOSK_PUB(t, rest, payload);
        char *page = NEXT_PAGE(t, "nurses", 2000);
        CHECK_CALL(page, id, cases[i].room, cases[i].label, cases[i].priority, cases[i].reason,
                   "open", 0, NULL, NULL);
        free(page);
        char *call = RETAINED_CALL(t, cases[i].room);
        CHECK_CALL(call, id, cases[i].room, cases[i].label, cases[i].priority, cases[i].reason,
                   "open", 0, NULL, NULL);
        free(call);
    }
}

/* ---- several rooms ------------------------------------------------------------------ */

/* Four rooms call at the same moment: four independent calls, four pages, four retained calls. */
ROOM_TEST(test_four_rooms_call_at_once)
{
    char rest[96], payload[128];
    bool seen[4] = { false, false, false, false };

    for (int i = 0; i < 4; i++) {
        snprintf(rest, sizeof rest, "room/chair-%d/kiosk/call", i + 1);
        snprintf(payload, sizeof payload, "{\"id\":\"q-%d\",\"reason\":\"help\"}", i + 1);
        CHECK(hv_client_pub_raw(t->kiosk, rf_topic(&t->f, rest), payload, (int)strlen(payload),
                                1, false) == 0);
    }
    for (int n = 0; n < 4; n++) {
        char *page = NEXT_PAGE(t, "nurses", 3000);
        const char *id = json_str(page, "id");
        int i = id && strncmp(id, "q-", 2) == 0 ? atoi(id + 2) - 1 : -1;
        CHECK(i >= 0 && i < 4);
        if (i >= 0 && i < 4) {
            char room[16], label[16], want_id[16];
            CHECK(!seen[i]);  /* each room paged once */
            seen[i] = true;
            snprintf(room, sizeof room, "chair-%d", i + 1);
            snprintf(label, sizeof label, "Chair %d", i + 1);
            snprintf(want_id, sizeof want_id, "q-%d", i + 1);
            CHECK_CALL(page, want_id, room, label, "assist", "help", "open", 0, NULL, NULL);
        }
        free(page);
    }
    /* Nothing more until the first escalation (2 s after the calls). */
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 600));

    /* A board subscribing to P/call/+ sees all four open calls at once. */
    hv_client *board = rf_client(&t->f, "board4");
    REQUIRE(board && hv_client_sub(board, rf_topic(&t->f, "call/+"), 1) == 0);
    bool got[4] = { false, false, false, false };
    for (int n = 0; n < 4; n++) {
        hv_msg *m = hv_client_expect_msg(board, rf_topic(&t->f, "call/+"), 1000);
        CHECK(m != NULL);
        if (!m)
            break;
        CHECK(m->retain);
        const char *room = strrchr(m->topic, '/') + 1;
        int i = strncmp(room, "chair-", 6) == 0 ? atoi(room + 6) - 1 : -1;
        CHECK(i >= 0 && i < 4);
        if (i >= 0 && i < 4) {
            char label[16], id[16];
            CHECK(!got[i]);
            got[i] = true;
            snprintf(label, sizeof label, "Chair %d", i + 1);
            snprintf(id, sizeof id, "q-%d", i + 1);
            CHECK_CALL(m->payload, id, room, label, "assist", "help", "open", 0, NULL, NULL);
        }
        hv_msg_free(m);
    }
    CHECK(hv_client_expect_none(board, rf_topic(&t->f, "call/+"), 200));
    hv_client_free(board);
}

/* ---- a second call id while the room's call is open ----------------------------------- */

/* Same or lower priority, and a concern the call already has: merged into the original
 * call, which keeps its id; never paged (a flood of new ids must not page the nurses once
 * per id: issue 12 item 3).  A new concern no higher pages (issue 14: test_calls.c,
 * kiosk.test_kiosk_forms test_checklist_concerns_raise_the_call). */
ROOM_TEST(test_new_id_same_or_lower_priority_realerts)
{
    KIOSK_PUB(t, "room/chair-2/kiosk/call", "{\"id\":\"a-1\",\"reason\":\"help\"}");
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "a-1", "chair-2", "Chair 2", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    char *upd = call_update(t, "chair-2", 2000);
    CHECK_CALL(upd, "a-1", "chair-2", "Chair 2", "assist", "help", "open", 0, NULL, NULL);
    free(upd);

    /* The same concern under a new id: same priority. */
    KIOSK_PUB(t, "room/chair-2/kiosk/call", "{\"id\":\"a-2\",\"reason\":\"help\"}");
    /* ... and asking routine: lower. */
    KIOSK_PUB(t, "room/chair-2/kiosk/call",
              "{\"id\":\"a-3\",\"reason\":\"help\",\"priority\":\"routine\"}");
    CHECK(wait_log(&t->f, "call a-3 joins open call a-1", 2000));

    /* Still the one original call: no new retained call, no page for another room. */
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 200));
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 0));
    char *call = RETAINED_CALL(t, "chair-2");
    CHECK_CALL(call, "a-1", "chair-2", "Chair 2", "assist", "help", "open", 0, NULL, NULL);
    free(call);

    /* The joined ids are aliases: one acknowledges the call, another clears it. */
    NURSE_PUB(t, "call/chair-2/ack/station", "{\"id\":\"a-3\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-2", "acknowledged", 2000);
    CHECK(cmd != NULL);
    CHECK_STR_EQ(json_str(cmd, "id"), "a-1");
    CHECK_STR_EQ(json_str(cmd, "by"), "Sam");
    free(cmd);
    upd = call_update(t, "chair-2", 2000);
    CHECK_CALL(upd, "a-1", "chair-2", "Chair 2", "assist", "help", "acknowledged", 0, "Sam",
               NULL);
    free(upd);
    NURSE_PUB(t, "call/chair-2/clear/station", "{\"id\":\"a-2\",\"by\":\"Sam\"}");
    cmd = kiosk_told(t, "chair-2", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
    upd = call_update(t, "chair-2", 2000);
    CHECK_STR_EQ(upd, "");
    free(upd);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 0));
}

/*
 * Higher priority: the call is upgraded (new priority and reason, original id,
 * the earlier acknowledgement no longer counts) and paged to the new chain's
 * first group at once; the new id, an alias, clears it at the bedside.
 */
ROOM_TEST(test_higher_priority_upgrades_call)
{
    static const char detail[] = "PHQ-9 item 9: 2";

    KIOSK_PUB(t, "room/chair-3/kiosk/call", "{\"id\":\"u-1\",\"reason\":\"help\"}");
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "u-1", "chair-3", "Chair 3", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    char *upd = call_update(t, "chair-3", 2000);
    CHECK_CALL(upd, "u-1", "chair-3", "Chair 3", "assist", "help", "open", 0, NULL, NULL);
    free(upd);

    /* A nurse acknowledges the help call ... */
    NURSE_PUB(t, "call/chair-3/ack/station", "{\"id\":\"u-1\",\"by\":\"Sam\"}");
    char *cmd = kiosk_told(t, "chair-3", "acknowledged", 2000);
    CHECK(cmd != NULL);
    free(cmd);
    upd = call_update(t, "chair-3", 2000);
    CHECK_CALL(upd, "u-1", "chair-3", "Chair 3", "assist", "help", "acknowledged", 0, "Sam",
               NULL);
    free(upd);

    /* ... then the questionnaire raises a safety concern with a new id. */
    KIOSK_PUB(t, "room/chair-3/kiosk/call",
              "{\"id\":\"u-2\",\"reason\":\"safety\",\"detail\":\"PHQ-9 item 9: 2\"}");
    page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "u-1", "chair-3", "Chair 3", "urgent", "safety", "open", 0, NULL, detail);
    free(page);
    upd = call_update(t, "chair-3", 2000);
    CHECK_CALL(upd, "u-1", "chair-3", "Chair 3", "urgent", "safety", "open", 0, NULL, detail);
    free(upd);
    char *call = RETAINED_CALL(t, "chair-3");
    CHECK_CALL(call, "u-1", "chair-3", "Chair 3", "urgent", "safety", "open", 0, NULL, detail);
    free(call);

    /* Cleared at the bedside with the new id: the call (by its original id) is gone. */
    KIOSK_PUB(t, "room/chair-3/kiosk/clear",
              "{\"id\":\"u-2\",\"by\":\"nurse-7\",\"ts\":\"2026-11-21T10:00:01.000Z\"}");
    cmd = kiosk_told(t, "chair-3", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
    /* The urgent chain may have escalated (after 1 s) before the clear: skip to the empty call. */
    for (upd = call_update(t, "chair-3", 2000); upd && upd[0]; upd = call_update(t, "chair-3", 2000))
        free(upd);
    CHECK_STR_EQ(upd, "");
    free(upd);
    CHECK(RETAINED_CALL(t, "chair-3") == NULL);
    /* No more pages once cleared (the urgent chain would page every second). */
    hv_client_drain(t->pager);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 1500));
}

/* ---- late duplicates ------------------------------------------------------------------ */

/*
 * A call id the log knows as cleared (QoS 1 may deliver it again after the
 * clear) is dropped: no page, no new call, and it does not join a newer call.
 */
ROOM_TEST(test_cleared_call_id_again_is_dropped)
{
    static const char d1[] = "{\"id\":\"d-1\",\"reason\":\"help\"}";

    KIOSK_PUB(t, "room/chair-4/kiosk/call", d1);
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "d-1", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    KIOSK_PUB(t, "room/chair-4/kiosk/clear", "{\"id\":\"d-1\",\"by\":null}");
    char *cmd = kiosk_told(t, "chair-4", NULL, 2000);
    CHECK(cmd && cmd[0] == '\0');  /* the room's call went empty */
    free(cmd);
    char *upd = call_update(t, "chair-4", 2000);  /* the open call */
    CHECK(upd && upd[0]);
    free(upd);
    upd = call_update(t, "chair-4", 2000);        /* ... then empty */
    CHECK_STR_EQ(upd, "");
    free(upd);

    /* The same call delivered again, with no call open. */
    KIOSK_PUB(t, "room/chair-4/kiosk/call", d1);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 1000));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    CHECK(RETAINED_CALL(t, "chair-4") == NULL);

    /* A new call, then the old id once more: it must not join (or re-page) the new call. */
    KIOSK_PUB(t, "room/chair-4/kiosk/call", "{\"id\":\"d-2\",\"reason\":\"help\"}");
    page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "d-2", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(page);
    upd = call_update(t, "chair-4", 2000);
    CHECK_CALL(upd, "d-2", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(upd);
    KIOSK_PUB(t, "room/chair-4/kiosk/call", d1);
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 800));
    /* Nor did it become an alias: an ack for d-1 does not acknowledge d-2. */
    NURSE_PUB(t, "call/chair-4/ack/station", "{\"id\":\"d-1\",\"by\":\"Sam\"}");
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 500));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    char *call = RETAINED_CALL(t, "chair-4");
    CHECK_CALL(call, "d-2", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(call);
}

/* ---- rooms outside the config ------------------------------------------------------------ */

ROOM_TEST(test_room_not_in_config_is_ignored)
{
    KIOSK_PUB(t, "room/chair-9/kiosk/call", "{\"id\":\"x-9\",\"reason\":\"safety\"}");
    NURSE_PUB(t, "call/chair-9/ack/station", "{\"id\":\"x-9\",\"by\":\"Sam\"}");
    KIOSK_PUB(t, "room/chair-9/kiosk/clear", "{\"id\":\"x-9\",\"by\":null}");
    CHECK(hv_client_expect_none(t->pager, rf_topic(&t->f, "page/+"), 1000));
    CHECK(hv_client_expect_none(t->kiosk, rf_topic(&t->f, "room/+/kiosk/cmd"), 0));
    CHECK(hv_client_expect_none(t->f.obs, rf_topic(&t->f, "call/+"), 0));
    CHECK(RETAINED_CALL(t, "chair-9") == NULL);

    /* The configured rooms are unaffected. */
    KIOSK_PUB(t, "room/chair-1/kiosk/call", "{\"id\":\"x-1\",\"reason\":\"help\"}");
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "x-1", "chair-1", "Chair 1", "assist", "help", "open", 0, NULL, NULL);
    free(page);

    char *log = hv_read_file(t->f.log_path);
    CHECK(log && strstr(log, "chair-9") != NULL);  /* logged as dropped */
    free(log);
}

/* ---- detail ------------------------------------------------------------------------------- */

ROOM_TEST(test_detail_passes_through)
{
    /* UTF-8 and JSON escapes survive the round trip. */
    static const char detail[] = "check-in: feeling 5/5 \xe2\x80\x94 dizzy, \"nausea\"";
    char payload[512], longdetail[256];

    snprintf(payload, sizeof payload,
             "{\"id\":\"t-1\",\"reason\":\"unwell\",\"detail\":\"check-in: feeling 5/5 "
             "\xe2\x80\x94 dizzy, \\\"nausea\\\"\",\"ts\":\"2026-11-21T10:00:00.000Z\"}");
    KIOSK_PUB(t, "room/chair-2/kiosk/call", payload);
    char *page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "t-1", "chair-2", "Chair 2", "assist", "unwell", "open", 0, NULL, detail);
    free(page);
    char *call = RETAINED_CALL(t, "chair-2");
    CHECK_CALL(call, "t-1", "chair-2", "Chair 2", "assist", "unwell", "open", 0, NULL, detail);
    free(call);

    /* The longest detail Haven keeps (255 bytes) is passed on whole. */
    memset(longdetail, 'd', 255);
    longdetail[255] = '\0';
    snprintf(payload, sizeof payload, "{\"id\":\"t-2\",\"reason\":\"ready\",\"detail\":\"%s\"}",
             longdetail);
    KIOSK_PUB(t, "room/chair-3/kiosk/call", payload);
    page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "t-2", "chair-3", "Chair 3", "routine", "ready", "open", 0, NULL,
               longdetail);
    free(page);

    /* "detail": null is the same as no detail. */
    KIOSK_PUB(t, "room/chair-4/kiosk/call", "{\"id\":\"t-3\",\"reason\":\"help\",\"detail\":null}");
    page = NEXT_PAGE(t, "nurses", 2000);
    CHECK_CALL(page, "t-3", "chair-4", "Chair 4", "assist", "help", "open", 0, NULL, NULL);
    free(page);
}

int main(void)
{
    RUN(test_call_opens_page_and_retained_call);
    RUN(test_reasons_map_to_default_priorities);
    RUN(test_four_rooms_call_at_once);
    RUN(test_new_id_same_or_lower_priority_realerts);
    RUN(test_higher_priority_upgrades_call);
    RUN(test_cleared_call_id_again_is_dropped);
    RUN(test_room_not_in_config_is_ignored);
    RUN(test_detail_passes_through);
    return CHECK_SUMMARY();
}
