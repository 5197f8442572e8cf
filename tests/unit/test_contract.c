/* test_contract.c - topics, payload codecs and UTF-8 checks (common/contract.c). */
#include "check.h"
#include "clock.h"
#include "contract.h"
#include "err.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P "haven"

/* ---- helpers ---------------------------------------------------------------------- */

/*
 * Decoders must not read past len: every payload is copied into a buffer of
 * exactly len bytes (no NUL after it), so ASan catches an over-read.
 */
static char *exact(const char *bytes, size_t len)
{
    char *b = malloc(len ? len : 1);
    if (b)
        memcpy(b, bytes, len);
    return b;
}

static int dec_call(const char *bytes, size_t len, struct msg_call *m, const char **why)
{
    char *b = exact(bytes, len);
    *why = NULL;
    int rc = contract_decode_call(b, len, m, why);
    free(b);
    return rc;
}

static int dec_ack(const char *bytes, size_t len, struct msg_ack *m, const char **why)
{
    char *b = exact(bytes, len);
    *why = NULL;
    int rc = contract_decode_ack(b, len, m, why);
    free(b);
    return rc;
}

static int dec_status(const char *bytes, size_t len, struct msg_status *m, const char **why)
{
    char *b = exact(bytes, len);
    *why = NULL;
    int rc = contract_decode_status(b, len, m, why);
    free(b);
    return rc;
}

/* Decoding text must fail with HV_EPARSE and a reason. */
static void call_rejected(const char *text, int line)
{
    struct msg_call m;
    const char *why = NULL;
    int rc = dec_call(text, strlen(text), &m, &why);

    if (rc != HV_EPARSE || why == NULL || why[0] == '\0') {
        check_true(false, text, __FILE__, line);
        return;
    }
}
#define CALL_REJECTED(text) call_rejected((text), __LINE__)

static void ack_rejected(const char *text, int line)
{
    struct msg_ack m;
    const char *why = NULL;
    int rc = dec_ack(text, strlen(text), &m, &why);

    if (rc != HV_EPARSE || why == NULL)
        check_true(false, text, __FILE__, line);
}
#define ACK_REJECTED(text) ack_rejected((text), __LINE__)

static void status_rejected(const char *text, int line)
{
    struct msg_status m;
    const char *why = NULL;
    int rc = dec_status(text, strlen(text), &m, &why);

    if (rc != HV_EPARSE || why == NULL)
        check_true(false, text, __FILE__, line);
}
#define STATUS_REJECTED(text) status_rejected((text), __LINE__)

/* ---- names ---------------------------------------------------------------------- */

static void test_names(void)
{
    for (int r = 0; r < REASON_COUNT; r++)
        CHECK_INT_EQ(reason_from_name(reason_name((enum call_reason)r)), r);
    for (int p = 0; p < PRIO_COUNT; p++)
        CHECK_INT_EQ(priority_from_name(priority_name((enum priority)p)), p);
    for (int p = 0; p < PHASE_COUNT; p++)
        CHECK_INT_EQ(phase_from_name(phase_name((enum phase)p)), p);
    CHECK_STR_EQ(reason_name(REASON_KIOSK_OFFLINE), "kiosk_offline");
    CHECK_STR_EQ(priority_name(PRIO_URGENT), "urgent");
    CHECK_STR_EQ(phase_name(PHASE_INFUSION), "infusion");
    CHECK_STR_EQ(call_state_name(CALL_OPEN), "open");
    CHECK_STR_EQ(call_state_name(CALL_ACKNOWLEDGED), "acknowledged");
    CHECK_STR_EQ(reason_name(REASON_COUNT), "?");
    CHECK_STR_EQ(priority_name(PRIO_COUNT), "?");
    CHECK_STR_EQ(phase_name((enum phase)-1), "?");
    CHECK_INT_EQ(reason_from_name("Help"), -1);
    CHECK_INT_EQ(reason_from_name(NULL), -1);
    CHECK_INT_EQ(priority_from_name("critical"), -1);
    CHECK_INT_EQ(phase_from_name(""), -1);
}

static void test_room_id_valid(void)
{
    CHECK(room_id_valid("chair-1"));
    CHECK(room_id_valid("a"));
    CHECK(room_id_valid("0-9"));
    CHECK(room_id_valid("abcdefghijklmnopqrstuvwxyz012345"));    /* 32 */
    CHECK(!room_id_valid("abcdefghijklmnopqrstuvwxyz0123456"));  /* 33 */
    CHECK(!room_id_valid(""));
    CHECK(!room_id_valid(NULL));
    CHECK(!room_id_valid("Chair-1"));
    CHECK(!room_id_valid("chair_1"));
    CHECK(!room_id_valid("chair 1"));
    CHECK(!room_id_valid("chair/1"));
    CHECK(!room_id_valid("+"));
    CHECK(!room_id_valid("#"));
}

/* ---- topics ---------------------------------------------------------------------- */

static void test_topic_parse_kinds(void)
{
    static const struct {
        const char *topic;
        enum topic_kind kind;
        const char *name;
    } ok[] = {
        { P "/room/chair-1/kiosk/status", TOPIC_KIOSK_STATUS, "chair-1" },
        { P "/room/chair-1/kiosk/call", TOPIC_KIOSK_CALL, "chair-1" },
        { P "/room/chair-2/kiosk/clear", TOPIC_KIOSK_CLEAR, "chair-2" },
        { P "/room/chair-1/kiosk/checkin", TOPIC_KIOSK_CHECKIN, "chair-1" },
        { P "/room/chair-1/kiosk/response", TOPIC_KIOSK_RESPONSE, "chair-1" },
        { P "/room/chair-1/kiosk/cmd", TOPIC_KIOSK_CMD, "chair-1" },
        { P "/room/chair-1/kiosk/theme", TOPIC_KIOSK_THEME, "chair-1" },
        { P "/room/chair-1/kiosk/stored", TOPIC_KIOSK_STORED, "chair-1" },
        { P "/room/chair-3/lights/set", TOPIC_LIGHTS_SET, "chair-3" },
        { P "/room/chair-3/lights/state", TOPIC_LIGHTS_STATE, "chair-3" },
        { P "/call/chair-4", TOPIC_CALL, "chair-4" },
        { P "/call/chair-4/ack/station", TOPIC_CALL_ACK, "chair-4" },
        { P "/call/chair-4/clear/pager-nurses", TOPIC_CALL_CLEAR, "chair-4" },
        { P "/page/nurses", TOPIC_PAGE, "nurses" },
        { P "/page/Charge_Team", TOPIC_PAGE, "Charge_Team" },
        { P "/controller/room-1/status", TOPIC_CONTROLLER, "room-1" },
        { P "/station/station-desk-2/status", TOPIC_STATION_STATUS, "station-desk-2" },
        { P "/report/room-1/request/station", TOPIC_REPORT_REQUEST, "room-1" },
        { P "/report/room-1/reply/station-desk-2", TOPIC_REPORT_REPLY, "room-1" },
        { P "/call/abcdefghijklmnopqrstuvwxyz012345", TOPIC_CALL,
          "abcdefghijklmnopqrstuvwxyz012345" },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char name[HV_NAME_MAX] = "untouched";
        enum topic_kind k = topic_parse(P, ok[i].topic, name);
        if (k != ok[i].kind)
            check_true(false, ok[i].topic, __FILE__, __LINE__);
        CHECK_STR_EQ(name, ok[i].name);
    }
}

static void test_topic_parse_prefix(void)
{
    char name[HV_NAME_MAX];

    CHECK_INT_EQ(topic_parse("clinic/east", "clinic/east/call/chair-1/ack/station", name), TOPIC_CALL_ACK);
    CHECK_STR_EQ(name, "chair-1");
    CHECK_INT_EQ(topic_parse(P, "other/call/chair-1", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "havenx/call/chair-1", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "have/call/chair-1", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "/haven/call/chair-1", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "Haven/call/chair-1", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "haven", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "haven/", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse(P, "", name), TOPIC_UNKNOWN);
    CHECK_INT_EQ(topic_parse("clinic/east", "clinic/call/chair-1", name), TOPIC_UNKNOWN);
}

static void test_topic_parse_rejects(void)
{
    static const char *const bad[] = {
        /* extra or missing levels */
        P "/room/chair-1/kiosk/call/extra",
        P "/room/chair-1/x/kiosk/call",
        P "/room/chair-1/kiosk",
        P "/room/chair-1",
        P "/room/kiosk/call",
        P "/call/chair-1/ack",                /* no login: the old topic */
        P "/call/chair-1/clear",
        P "/call/chair-1/ack/station/extra",
        P "/call/chair-1/ack/+",
        P "/call/chair-1/ack/bad login",
        P "/call/chair-1/clear/" "0123456789012345678901234567890123456789012345678901234567890123x",
        P "/call/chair-1/ack/",
        P "/call/chair-1/",
        P "/call",
        P "/call/",
        P "/page/nurses/extra",
        P "/page/",
        P "/page",
        P "/controller/room-1/status/x",
        P "/controller/room-1",
        P "/controller//status",
        P "//call/chair-1",
        /* unknown leaves */
        P "/room/chair-1/kiosk/unknown",
        P "/room/chair-1/lights/get",
        P "/call/chair-1/nack",
        P "/rooms/chair-1/kiosk/call",
        /* room ids of the wrong shape */
        P "/room/Chair-1/kiosk/call",
        P "/call/CHAIR-1",
        P "/room/abcdefghijklmnopqrstuvwxyz0123456/kiosk/call",  /* 33 */
        P "/call/abcdefghijklmnopqrstuvwxyz0123456/ack",
        P "/room//kiosk/call",
        P "/call//ack",
        P "/call/chair_1",
        P "/call/chair 1/clear",
        /* wildcards */
        P "/room/+/kiosk/call",
        P "/room/#/kiosk/status",
        P "/call/+",
        P "/call/#",
        P "/call/+/ack",
        P "/page/+",
        P "/page/#",
        P "/controller/+/status",
        P "/#",
        "+/call/chair-1",
        "#",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[HV_NAME_MAX];
        if (topic_parse(P, bad[i], name) != TOPIC_UNKNOWN)
            check_true(false, bad[i], __FILE__, __LINE__);
    }
}

/* Issue 12 item 9: an escaped NUL and a key given twice are refused, not cut or guessed. */
static void test_decode_refuses_nul_and_duplicate_keys(void)
{
    static const char *const bad[] = {
        "{\"id\":\"z2\\u0000evil\",\"reason\":\"help\"}",
        "{\"id\":\"z2\",\"reason\":\"help\",\"detail\":\"a\\u0000b\"}",
        "{\"id\":\"a-1\",\"id\":\"a-2\",\"reason\":\"help\"}",
        "{\"id\":\"a-1\",\"reason\":\"help\",\"reason\":\"safety\"}",
        "{\"id\":\"a-1\",\"reason\":\"help\",\"x\":{\"k\":1,\"k\":2}}",
    };
    static const char *const good[] = {
        "{\"id\":\"a-1\",\"reason\":\"help\",\"detail\":\"back\\\\u0000slash\"}",
        "{\"id\":\"a-1\",\"reason\":\"help\",\"x\":{\"id\":1},\"y\":{\"id\":2}}",
    };
    struct msg_call m;
    const char *why;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (contract_decode_call(bad[i], strlen(bad[i]), &m, &why) == 0)
            check_true(false, bad[i], __FILE__, __LINE__);
        CHECK(why != NULL);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (contract_decode_call(good[i], strlen(good[i]), &m, &why) != 0)
            check_true(false, good[i], __FILE__, __LINE__);
}

/* The login level of an ack or clear (DESIGN P2), and who it makes the acknowledger. */
static void test_topic_login(void)
{
    char name[HV_NAME_MAX], login[HV_LOGIN_MAX], topic[HV_TOPIC_MAX];
    struct msg_ack m;

    CHECK_INT_EQ(topic_build_login(topic, sizeof topic, P, TOPIC_CALL_ACK, "chair-4", "station"), 0);
    CHECK_STR_EQ(topic, "haven/call/chair-4/ack/station");
    CHECK_INT_EQ(topic_parse_login(P, topic, name, login), TOPIC_CALL_ACK);
    CHECK_STR_EQ(name, "chair-4");
    CHECK_STR_EQ(login, "station");
    CHECK_INT_EQ(topic_build_login(topic, sizeof topic, P, TOPIC_CALL_CLEAR, "chair-2", "pager-7"), 0);
    CHECK_INT_EQ(topic_parse_login(P, topic, name, login), TOPIC_CALL_CLEAR);
    CHECK_STR_EQ(login, "pager-7");
    CHECK_INT_EQ(topic_build(topic, sizeof topic, P, TOPIC_CALL_ACK, "+"), 0);
    CHECK_STR_EQ(topic, "haven/call/+/ack/+");  /* the controller's filter */
    CHECK_INT_EQ(topic_parse_login(P, "haven/call/chair-1", name, login), TOPIC_CALL);
    CHECK_STR_EQ(login, "");

    CHECK(login_is_station("station"));
    CHECK(login_is_station("station-desk-2"));
    CHECK(!login_is_station("stations"));
    CHECK(!login_is_station("pager-station"));
    CHECK(login_valid("pager-nurses") && !login_valid("") && !login_valid("a/b"));

    /* A station vouches for its nurse; anyone else is named by the login alone. */
    memset(&m, 0, sizeof m);
    snprintf(m.by, sizeof m.by, "Sam");
    contract_ack_sender(&m, "station-desk-2");
    CHECK_STR_EQ(m.by, "Sam");
    CHECK_STR_EQ(m.via, "station-desk-2");
    snprintf(m.by, sizeof m.by, "Dr. Alvarez (attending)");
    contract_ack_sender(&m, "pager-nurses");
    CHECK_STR_EQ(m.by, "pager-nurses");
    CHECK_STR_EQ(m.via, "pager-nurses");
    m.by[0] = '\0';
    contract_ack_sender(&m, "station");
    CHECK_STR_EQ(m.by, "station");
}

static void test_topic_build(void)
{
    static const struct {
        enum topic_kind kind;
        const char *name;
        const char *topic;
    } cases[] = {
        { TOPIC_KIOSK_STATUS, "chair-1", "haven/room/chair-1/kiosk/status" },
        { TOPIC_KIOSK_CALL, "chair-1", "haven/room/chair-1/kiosk/call" },
        { TOPIC_KIOSK_CLEAR, "chair-1", "haven/room/chair-1/kiosk/clear" },
        { TOPIC_KIOSK_CHECKIN, "chair-1", "haven/room/chair-1/kiosk/checkin" },
        { TOPIC_KIOSK_RESPONSE, "chair-1", "haven/room/chair-1/kiosk/response" },
        { TOPIC_KIOSK_CMD, "chair-2", "haven/room/chair-2/kiosk/cmd" },
        { TOPIC_KIOSK_THEME, "chair-2", "haven/room/chair-2/kiosk/theme" },
        { TOPIC_LIGHTS_SET, "chair-3", "haven/room/chair-3/lights/set" },
        { TOPIC_LIGHTS_STATE, "chair-3", "haven/room/chair-3/lights/state" },
        { TOPIC_CALL, "chair-4", "haven/call/chair-4" },
        { TOPIC_PAGE, "charge", "haven/page/charge" },
        { TOPIC_CONTROLLER, "room-1", "haven/controller/room-1/status" },
        { TOPIC_STATION_STATUS, "station", "haven/station/station/status" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char topic[HV_TOPIC_MAX], name[HV_NAME_MAX] = "";
        CHECK_INT_EQ(topic_build(topic, sizeof topic, P, cases[i].kind, cases[i].name), 0);
        CHECK_STR_EQ(topic, cases[i].topic);
        CHECK_INT_EQ(topic_parse(P, topic, name), cases[i].kind);
        CHECK_STR_EQ(name, cases[i].name);
    }
    {   /* the report's topics carry the station's login, like ack and clear */
        char topic[HV_TOPIC_MAX], name[HV_NAME_MAX], login[HV_LOGIN_MAX];
        CHECK_INT_EQ(topic_build(topic, sizeof topic, P, TOPIC_REPORT_REQUEST, "room-1"), 0);
        CHECK_STR_EQ(topic, "haven/report/room-1/request/+");
        CHECK_INT_EQ(topic_build_login(topic, sizeof topic, P, TOPIC_REPORT_REPLY, "room-1",
                                       "station-desk-2"), 0);
        CHECK_STR_EQ(topic, "haven/report/room-1/reply/station-desk-2");
        CHECK_INT_EQ(topic_parse_login(P, topic, name, login), TOPIC_REPORT_REPLY);
        CHECK_STR_EQ(name, "room-1");
        CHECK_STR_EQ(login, "station-desk-2");
    }
    {
        char topic[HV_TOPIC_MAX], small[19];
        /* "haven/call/chair-1" is 18 characters: 19 bytes fit, 18 do not. */
        CHECK_INT_EQ(topic_build(small, sizeof small, P, TOPIC_CALL, "chair-1"), 0);
        CHECK_STR_EQ(small, "haven/call/chair-1");
        CHECK_INT_EQ(topic_build(small, 18, P, TOPIC_CALL, "chair-1"), HV_EINVAL);
        CHECK_INT_EQ(topic_build(topic, sizeof topic, P, TOPIC_UNKNOWN, "x"), HV_EINVAL);
    }
}

/* ---- kiosk/call ---------------------------------------------------------------------- */

static void test_decode_call_ok(void)
{
    struct msg_call m;
    const char *why;
    const char *t1 = "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"pressed\","
                     "\"ts\":\"2026-11-21T14:03:07.412Z\"}";
    const char *t2 = " {\"reason\":\"safety\",\"id\":\"call-mhx3k1a2-1k9z0c7q2x8f\"}\n";
    const char *t3 = "{\"id\":\"c.3\",\"reason\":\"ready\",\"detail\":null,\"extra\":[1,2]}";
    const char *t4 = "{\"id\":\"c:4\",\"reason\":\"unwell\",\"detail\":\"\"}";

    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(t1, strlen(t1), &m, &why) == 0);
    CHECK_STR_EQ(m.id, "c-1");
    CHECK_INT_EQ(m.reason, REASON_HELP);
    CHECK_STR_EQ(m.detail, "pressed");

    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(t2, strlen(t2), &m, &why) == 0);
    CHECK_STR_EQ(m.id, "call-mhx3k1a2-1k9z0c7q2x8f");
    CHECK_INT_EQ(m.reason, REASON_SAFETY);
    CHECK_STR_EQ(m.detail, "");

    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(t3, strlen(t3), &m, &why) == 0);
    CHECK_INT_EQ(m.reason, REASON_READY);
    CHECK_STR_EQ(m.detail, "");

    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(t4, strlen(t4), &m, &why) == 0);
    CHECK_STR_EQ(m.id, "c:4");
    CHECK_INT_EQ(m.reason, REASON_UNWELL);
    CHECK_STR_EQ(m.detail, "");
}

/* The optional "priority" (a questionnaire rule's): decoded, round-tripped, checked. */
static void test_call_priority(void)
{
    struct msg_call m;
    const char *why;
    const char *plain = "{\"id\":\"c-1\",\"reason\":\"help\"}";
    const char *routine = "{\"id\":\"c-1\",\"reason\":\"help\",\"priority\":\"routine\"}";
    const char *null = "{\"id\":\"c-1\",\"reason\":\"help\",\"priority\":null}";
    char *enc;

    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(plain, strlen(plain), &m, &why) == 0);
    CHECK(!m.has_priority);
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_call(routine, strlen(routine), &m, &why) == 0);
    CHECK(m.has_priority);
    CHECK_INT_EQ(m.priority, PRIO_ROUTINE);
    REQUIRE(dec_call(null, strlen(null), &m, &why) == 0);
    CHECK(!m.has_priority);
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"priority\":\"soon\"}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"priority\":2}");

    enc = contract_encode_kiosk_call_priority("c-9", REASON_HELP, "no escort", PRIO_ROUTINE, 1795010587412LL);
    REQUIRE(enc != NULL);
    REQUIRE(dec_call(enc, strlen(enc), &m, &why) == 0);
    CHECK(m.has_priority && m.priority == PRIO_ROUTINE);
    CHECK_STR_EQ(m.detail, "no escort");
    free(enc);
    enc = contract_encode_kiosk_call("c-9", REASON_SAFETY, NULL, 1795010587412LL);
    REQUIRE(enc != NULL);
    CHECK(strstr(enc, "priority") == NULL);  /* absent unless a rule names one */
    free(enc);
}

/* A detail longer than a name but within HV_DETAIL_MAX is kept whole; longer is refused. */
static void test_decode_call_detail_length(void)
{
    char text[600], detail[300];
    struct msg_call m;
    const char *why;

    memset(detail, 'd', 255);
    detail[255] = '\0';
    snprintf(text, sizeof text, "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"%s\"}", detail);
    CHECK_INT_EQ(dec_call(text, strlen(text), &m, &why), 0);
    CHECK_STR_EQ(m.detail, detail);

    memset(detail, 'd', 256);
    detail[256] = '\0';
    snprintf(text, sizeof text, "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"%s\"}", detail);
    CALL_REJECTED(text);

    /* UTF-8 text is fine in a detail. */
    snprintf(text, sizeof text, "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"j'ai froid \xc3\xa0 la main\"}");
    CHECK_INT_EQ(dec_call(text, strlen(text), &m, &why), 0);
    CHECK_STR_EQ(m.detail, "j'ai froid \xc3\xa0 la main");
}

static void test_decode_call_rejects(void)
{
    /* not JSON, or not an object */
    CALL_REJECTED("hello");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\"");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",}");
    CALL_REJECTED("{'id':'c-1','reason':'help'}");
    CALL_REJECTED("[{\"id\":\"c-1\",\"reason\":\"help\"}]");
    CALL_REJECTED("[]");
    CALL_REJECTED("\"c-1\"");
    CALL_REJECTED("42");
    CALL_REJECTED("null");
    CALL_REJECTED("   ");
    /* trailing garbage after the object is not a JSON object either */
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\"} x");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\"}{}");
    /* id */
    CALL_REJECTED("{\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":17,\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":null,\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":[\"c-1\"],\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":\"\",\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":\"c/1\",\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":\"c 1\",\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":\"c\\u00e9\",\"reason\":\"help\"}");
    CALL_REJECTED("{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                  "\"reason\":\"help\"}");  /* 64 characters */
    CALL_REJECTED("{\"ID\":\"c-1\",\"reason\":\"help\"}");
    /* reason */
    CALL_REJECTED("{\"id\":\"c-1\"}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"panic\"}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"HELP\"}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":1}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":null}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"kiosk_offline\"}");
    /* detail of the wrong type, or with control characters */
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":5}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":true}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":{\"a\":1}}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":[\"x\"]}");
    CALL_REJECTED("{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"a\\u001bb\"}");

    /* the same check reports the reason */
    {
        struct msg_call m;
        const char *why = NULL;
        const char *t = "{\"id\":\"c-1\",\"reason\":\"kiosk_offline\"}";
        CHECK_INT_EQ(dec_call(t, strlen(t), &m, &why), HV_EPARSE);
        CHECK(why && strstr(why, "reason"));
        t = "{\"reason\":\"help\"}";
        CHECK_INT_EQ(dec_call(t, strlen(t), &m, &why), HV_EPARSE);
        CHECK(why && strstr(why, "id"));
    }
}

static void test_decode_call_empty_and_null(void)
{
    struct msg_call m;
    const char *why = NULL;

    CHECK_INT_EQ(contract_decode_call(NULL, 0, &m, &why), HV_EPARSE);
    CHECK(why != NULL);
    why = NULL;
    CHECK_INT_EQ(contract_decode_call("{}", 0, &m, &why), HV_EPARSE);
    CHECK(why != NULL);
}

static void test_decode_call_size_limit(void)
{
    const char *head = "{\"id\":\"c-1\",\"reason\":\"help\"}";
    size_t hl = strlen(head);
    char *buf = malloc(65537);
    struct msg_call m;
    const char *why = NULL;

    REQUIRE(buf != NULL);
    /* 64 KiB exactly (the object, then whitespace) is accepted ... */
    memcpy(buf, head, hl);
    memset(buf + hl, ' ', 65537 - hl);
    CHECK_INT_EQ(dec_call(buf, 65536, &m, &why), 0);
    CHECK_STR_EQ(m.id, "c-1");
    /* ... one byte more is HV_ETOOBIG, whatever is in it. */
    CHECK_INT_EQ(dec_call(buf, 65537, &m, &why), HV_ETOOBIG);
    CHECK(why != NULL);
    memset(buf, 'x', 65537);
    CHECK_INT_EQ(dec_call(buf, 65537, &m, &why), HV_ETOOBIG);
    CHECK_INT_EQ(contract_decode_ack(buf, (size_t)1 << 20, &(struct msg_ack){ 0 }, &why),
                 HV_ETOOBIG);
    CHECK_INT_EQ(contract_decode_status(buf, 65537, &(struct msg_status){ 0 }, &why),
                 HV_ETOOBIG);
    free(buf);
}

static void test_decode_call_bad_bytes(void)
{
    struct msg_call m;
    const char *why = NULL;
    static const char bad_utf8[] = "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"\xff\"}";
    static const char overlong[] = "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"\xc0\xaf\"}";
    static const char nul_after[] = "{\"id\":\"c-1\",\"reason\":\"help\"}\0junk";
    static const char nul_in_id[] = "{\"id\":\"c-1\0x\",\"reason\":\"help\"}";
    static const char nul_in_detail[] = "{\"id\":\"c-1\",\"reason\":\"help\",\"detail\":\"a\0b\"}";

    CHECK_INT_EQ(dec_call(bad_utf8, sizeof bad_utf8 - 1, &m, &why), HV_EPARSE);
    CHECK(why && strstr(why, "UTF-8"));
    CHECK_INT_EQ(dec_call(overlong, sizeof overlong - 1, &m, &why), HV_EPARSE);
    /* An embedded NUL within len: the payload is not one JSON object. */
    CHECK_INT_EQ(dec_call(nul_after, sizeof nul_after - 1, &m, &why), HV_EPARSE);
    CHECK_INT_EQ(dec_call(nul_in_id, sizeof nul_in_id - 1, &m, &why), HV_EPARSE);
    CHECK_INT_EQ(dec_call(nul_in_detail, sizeof nul_in_detail - 1, &m, &why), HV_EPARSE);
    /* The bytes before the NUL, on their own, are a good call. */
    CHECK_INT_EQ(dec_call(nul_after, strlen(nul_after), &m, &why), 0);
    /* A payload cut short is not JSON. */
    CHECK_INT_EQ(dec_call(nul_after, 10, &m, &why), HV_EPARSE);
}

/* ---- acks and clears ---------------------------------------------------------------- */

static void test_decode_ack(void)
{
    struct msg_ack m;
    const char *why;
    const char *t;

    t = "{\"id\":\"c-1\",\"by\":\"nurse-7\"}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_STR_EQ(m.id, "c-1");
    CHECK_STR_EQ(m.by, "nurse-7");

    t = "{\"id\":\"c-1\",\"by\":null,\"ts\":\"2026-11-21T14:03:07.412Z\"}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_STR_EQ(m.by, "");

    t = "{\"id\":\"c-1\"}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_STR_EQ(m.id, "c-1");
    CHECK_STR_EQ(m.by, "");

    t = "{\"id\":\"c-1\",\"by\":\"\"}";  /* empty: the same as null */
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_STR_EQ(m.by, "");

    t = "{\"id\":\"c-1\",\"by\":\"Sister Mar\xc3\xad" "a Jos\xc3\xa9\"}";  /* names may be UTF-8 */
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_STR_EQ(m.by, "Sister Mar\xc3\xad" "a Jos\xc3\xa9");

    /* 63 characters fit a name; 64 do not. */
    t = "{\"id\":\"c-1\",\"by\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}";
    REQUIRE(dec_ack(t, strlen(t), &m, &why) == 0);
    CHECK_INT_EQ(strlen(m.by), 63);
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}");

    ACK_REJECTED("{\"by\":\"nurse-7\"}");
    ACK_REJECTED("{\"id\":5,\"by\":\"nurse-7\"}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":7}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":false}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"nurse\\n7\"}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"nurse\\u00017\"}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"\\u001b[31mred\"}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"del\\u007f\"}");
    ACK_REJECTED("{\"id\":\"c-1\",\"by\":\"nurse\t7\"}");
    ACK_REJECTED("[\"c-1\"]");
    ACK_REJECTED("");
}

/* ---- kiosk/status ----------------------------------------------------------------------- */

static void test_decode_status(void)
{
    struct msg_status m;
    const char *why;
    const char *t;

    t = "{\"online\":true,\"phase\":\"infusion\",\"visit\":\"V-1042\",\"ts\":\"2026-11-21T14:03:07.412Z\"}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_status(t, strlen(t), &m, &why) == 0);
    CHECK(m.online);
    CHECK(m.has_phase);
    CHECK_INT_EQ(m.phase, PHASE_INFUSION);
    CHECK_STR_EQ(m.visit, "V-1042");
    CHECK_INT_EQ(m.beat_ms, 0);  /* no "beat": an older kiosk, the will alone tells */

    t = "{\"online\":false}";  /* the will */
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_status(t, strlen(t), &m, &why) == 0);
    CHECK(!m.online);
    CHECK(!m.has_phase);
    CHECK_STR_EQ(m.visit, "");
    CHECK_INT_EQ(m.beat_ms, 0);

    /* The heartbeat's interval, 1000..60000 ms, whole. */
    static const struct { const char *beat; int ms; } beats[] = {
        { "2500", 2500 }, { "1000", 1000 }, { "60000", 60000 }, { "5e3", 5000 },
    };
    for (size_t i = 0; i < sizeof beats / sizeof beats[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"online\":true,\"phase\":\"infusion\",\"beat\":%s}",
                 beats[i].beat);
        memset(&m, 0x5a, sizeof m);
        CHECK_INT_EQ(dec_status(text, strlen(text), &m, &why), 0);
        CHECK_INT_EQ(m.beat_ms, beats[i].ms);
    }
    STATUS_REJECTED("{\"online\":true,\"beat\":999}");
    STATUS_REJECTED("{\"online\":true,\"beat\":60001}");
    STATUS_REJECTED("{\"online\":true,\"beat\":0}");
    STATUS_REJECTED("{\"online\":true,\"beat\":-2500}");
    STATUS_REJECTED("{\"online\":true,\"beat\":2500.5}");
    STATUS_REJECTED("{\"online\":true,\"beat\":\"2500\"}");
    STATUS_REJECTED("{\"online\":true,\"beat\":null}");
    STATUS_REJECTED("{\"online\":true,\"beat\":1e300}");

    t = "{\"online\":true,\"phase\":null,\"visit\":null}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_status(t, strlen(t), &m, &why) == 0);
    CHECK(m.online);
    CHECK(!m.has_phase);
    CHECK_STR_EQ(m.visit, "");

    t = "{\"online\":true,\"phase\":\"idle\",\"visit\":\"\"}";
    memset(&m, 0x5a, sizeof m);
    REQUIRE(dec_status(t, strlen(t), &m, &why) == 0);
    CHECK_INT_EQ(m.phase, PHASE_IDLE);
    CHECK_STR_EQ(m.visit, "");

    for (int p = 0; p < PHASE_COUNT; p++) {
        char text[128];
        snprintf(text, sizeof text, "{\"online\":true,\"phase\":\"%s\",\"visit\":null}",
                 phase_name((enum phase)p));
        memset(&m, 0x5a, sizeof m);
        CHECK_INT_EQ(dec_status(text, strlen(text), &m, &why), 0);
        CHECK(m.has_phase);
        CHECK_INT_EQ(m.phase, p);
    }

    STATUS_REJECTED("{\"online\":true,\"phase\":\"sleeping\"}");
    STATUS_REJECTED("{\"online\":true,\"phase\":\"Infusion\"}");
    STATUS_REJECTED("{\"online\":true,\"phase\":2}");
    STATUS_REJECTED("{\"online\":true,\"phase\":\"\"}");
    STATUS_REJECTED("{\"phase\":\"idle\"}");
    STATUS_REJECTED("{\"online\":\"true\"}");
    STATUS_REJECTED("{\"online\":1}");
    STATUS_REJECTED("{\"online\":null}");
    STATUS_REJECTED("{\"online\":true,\"visit\":42}");
    STATUS_REJECTED("{\"online\":true,\"visit\":\"V\\n1\"}");
    STATUS_REJECTED("true");
}

/* ---- P/call/R round trip ---------------------------------------------------------------- */

static struct contract_call sample_call(void)
{
    struct contract_call c;

    memset(&c, 0, sizeof c);
    strcpy(c.id, "call-mhx3k1a2-1k9z0c7q2x8f");
    strcpy(c.room, "chair-1");
    strcpy(c.label, "Chair 1 \xe2\x80\x94 window");
    c.priority = PRIO_ASSIST;
    c.reason = REASON_UNWELL;
    c.state = CALL_OPEN;
    c.raised_ms = 1795010587412;  /* 2026-11-18T... */
    c.escalation = 0;
    return c;
}

static void check_same_call(const struct contract_call *a, const struct contract_call *b)
{
    CHECK_STR_EQ(a->id, b->id);
    CHECK_STR_EQ(a->room, b->room);
    CHECK_STR_EQ(a->label, b->label);
    CHECK_INT_EQ(a->priority, b->priority);
    CHECK_INT_EQ(a->reason, b->reason);
    CHECK_INT_EQ(a->state, b->state);
    CHECK_INT_EQ(a->raised_ms, b->raised_ms);
    CHECK_INT_EQ(a->acknowledged_ms, b->acknowledged_ms);
    CHECK_STR_EQ(a->by, b->by);
    CHECK_INT_EQ(a->escalation, b->escalation);
    CHECK_STR_EQ(a->detail, b->detail);
}

static void test_call_round_trip_open(void)
{
    struct contract_call c = sample_call(), back;
    const char *why = NULL;
    char *json = contract_encode_call(&c);
    cJSON *o;
    char ts[HV_TS_LEN];

    REQUIRE(json != NULL);
    o = cJSON_Parse(json);
    REQUIRE(o != NULL);
    clock_format_rfc3339(c.raised_ms, ts);
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id")), c.id);
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "room")), "chair-1");
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "priority")), "assist");
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "reason")), "unwell");
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state")), "open");
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "raised")), ts);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "acknowledged")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "by")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "escalation")));
    CHECK(cJSON_GetObjectItemCaseSensitive(o, "detail") == NULL);
    cJSON_Delete(o);

    memset(&back, 0x5a, sizeof back);
    CHECK_INT_EQ(contract_decode_call_state(json, strlen(json), &back, &why), 0);
    check_same_call(&c, &back);
    free(json);
}

static void test_call_round_trip_acknowledged(void)
{
    struct contract_call c = sample_call(), back;
    const char *why = NULL;
    char *json;
    cJSON *o;

    c.priority = PRIO_URGENT;
    c.reason = REASON_SAFETY;
    c.state = CALL_ACKNOWLEDGED;
    c.acknowledged_ms = c.raised_ms + 42123;
    strcpy(c.by, "nurse-7");
    c.escalation = 3;
    strcpy(c.detail, "PHQ-9 item 9: \"several days\"");
    json = contract_encode_call(&c);
    REQUIRE(json != NULL);
    o = cJSON_Parse(json);
    REQUIRE(o != NULL);
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state")), "acknowledged");
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "by")), "nurse-7");
    CHECK_INT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "escalation")), 3);
    cJSON_Delete(o);
    memset(&back, 0x5a, sizeof back);
    CHECK_INT_EQ(contract_decode_call_state(json, strlen(json), &back, &why), 0);
    check_same_call(&c, &back);
    free(json);

    /* Every reason and priority survives the trip. */
    for (int r = 0; r < REASON_COUNT; r++)
        for (int p = 0; p < PRIO_COUNT; p++) {
            c.reason = (enum call_reason)r;
            c.priority = (enum priority)p;
            json = contract_encode_call(&c);
            REQUIRE(json != NULL);
            CHECK_INT_EQ(contract_decode_call_state(json, strlen(json), &back, &why), 0);
            CHECK_INT_EQ(back.reason, r);
            CHECK_INT_EQ(back.priority, p);
            free(json);
        }
}

static void test_decode_call_state_rejects(void)
{
    struct contract_call back;
    const char *why;
    static const char *const bad[] = {
        "{\"room\":\"chair-1\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\"}",
        "{\"id\":\"c-1\",\"priority\":\"high\",\"reason\":\"help\",\"state\":\"open\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"nope\",\"state\":\"open\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"closed\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"help\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\",\"by\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (contract_decode_call_state(bad[i], strlen(bad[i]), &back, &why) != HV_EPARSE)
            check_true(false, bad[i], __FILE__, __LINE__);
}

/* ---- other encoders --------------------------------------------------------------------- */

static void test_encode_controller_status(void)
{
    const char *const rooms[] = { "chair-1", "chair-2", "chair-10" };
    int64_t ts = 1795010587412, back = 0;
    char *json = contract_encode_controller_status(true, rooms, 3, ts);
    cJSON *o, *arr;

    REQUIRE(json != NULL);
    o = cJSON_Parse(json);
    REQUIRE(o != NULL);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "online")));
    arr = cJSON_GetObjectItemCaseSensitive(o, "rooms");
    CHECK(cJSON_IsArray(arr));
    CHECK_INT_EQ(cJSON_GetArraySize(arr), 3);
    for (int i = 0; i < 3 && i < cJSON_GetArraySize(arr); i++)
        CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetArrayItem(arr, i)), rooms[i]);
    CHECK_INT_EQ(clock_parse_rfc3339(
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts")), &back), 0);
    CHECK_INT_EQ(back, ts);
    cJSON_Delete(o);
    free(json);

    json = contract_encode_controller_status(false, NULL, 0, ts);
    REQUIRE(json != NULL);
    o = cJSON_Parse(json);
    REQUIRE(o != NULL);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "online")));
    CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "rooms")), 0);
    cJSON_Delete(o);
    free(json);
}

/* ---- UTF-8 ---------------------------------------------------------------------------- */

#define U8(s) utf8_valid((s), sizeof(s) - 1)

static void test_utf8(void)
{
    CHECK(U8(""));
    CHECK(U8("plain ascii {}[]\"\\"));
    CHECK(U8("a\0b"));                        /* NUL is a valid code point */
    CHECK(U8("\xc3\xa9"));                    /* U+00E9 */
    CHECK(U8("\xc2\x80"));                    /* U+0080, smallest 2-byte */
    CHECK(U8("\xdf\xbf"));                    /* U+07FF */
    CHECK(U8("\xe0\xa0\x80"));                /* U+0800, smallest 3-byte */
    CHECK(U8("\xe2\x82\xac"));                /* U+20AC euro */
    CHECK(U8("\xed\x9f\xbf"));                /* U+D7FF, just below surrogates */
    CHECK(U8("\xee\x80\x80"));                /* U+E000, just above */
    CHECK(U8("\xef\xbf\xbf"));                /* U+FFFF */
    CHECK(U8("\xf0\x90\x80\x80"));            /* U+10000, smallest 4-byte */
    CHECK(U8("\xf0\x9f\x98\x80"));            /* U+1F600 emoji */
    CHECK(U8("\xf4\x8f\xbf\xbf"));            /* U+10FFFF, the last */
    CHECK(U8("x\xf0\x9f\x98\x80y\xc3\xa9z"));

    /* overlong encodings */
    CHECK(!U8("\xc0\x80"));
    CHECK(!U8("\xc0\xaf"));
    CHECK(!U8("\xc1\xbf"));
    CHECK(!U8("\xe0\x80\x80"));
    CHECK(!U8("\xe0\x9f\xbf"));
    CHECK(!U8("\xf0\x80\x80\x80"));
    CHECK(!U8("\xf0\x8f\xbf\xbf"));
    /* surrogates */
    CHECK(!U8("\xed\xa0\x80"));
    CHECK(!U8("\xed\xbf\xbf"));
    CHECK(!U8("\xed\xa0\xbd\xed\xb8\x80"));   /* CESU-8 pair */
    /* beyond U+10FFFF, and bytes that never start a sequence */
    CHECK(!U8("\xf4\x90\x80\x80"));
    CHECK(!U8("\xf5\x80\x80\x80"));
    CHECK(!U8("\xf8\x88\x80\x80\x80"));
    CHECK(!U8("\xfe"));
    CHECK(!U8("\xff"));
    CHECK(!U8("\x80"));
    CHECK(!U8("a\xbf"));
    /* truncated sequences */
    CHECK(!U8("\xc3"));
    CHECK(!U8("\xe2\x82"));
    CHECK(!U8("\xf0\x9f\x98"));
    CHECK(!U8("\xe2\x82" "A"));
    CHECK(!U8("\xf0\x9f" "ab"));
    CHECK(!U8("\xc3\xc3\xa9"));
    /* len is honoured: the byte after it is not read */
    CHECK(!utf8_valid("\xc3\xa9", 1));
    CHECK(utf8_valid("ab\xff", 2));
}

/* ---- the kiosk's messages ---- */

static void test_decode_kiosk_cmd(void)
{
    struct msg_kiosk_cmd c;
    const char *why = NULL;
#define DEC(text) contract_decode_kiosk_cmd((text), strlen(text), &c, &why)

    CHECK_INT_EQ(DEC("{\"cmd\":\"call_acknowledged\",\"id\":\"c-1\",\"by\":\"Sam\"}"), 0);
    CHECK_INT_EQ(c.cmd, CMD_CALL_ACKNOWLEDGED);
    CHECK_STR_EQ(c.id, "c-1");
    CHECK_STR_EQ(c.by, "Sam");
    CHECK_INT_EQ(DEC("{\"cmd\":\"call_acknowledged\",\"id\":\"c-1\",\"by\":null}"), 0);
    CHECK_STR_EQ(c.by, "");
    CHECK_INT_EQ(DEC("{\"cmd\":\"call_cleared\",\"id\":\"c-2\"}"), 0);
    CHECK_INT_EQ(c.cmd, CMD_CALL_CLEARED);
    CHECK_STR_EQ(c.id, "c-2");
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1042\",\"lang\":\"es\"}"), 0);
    CHECK_INT_EQ(c.cmd, CMD_BEGIN_VISIT);
    CHECK_STR_EQ(c.visit, "V-1042");
    CHECK_STR_EQ(c.lang, "es");
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\"}"), 0);
    CHECK_STR_EQ(c.lang, "en");
    CHECK_INT_EQ(c.infusion, 0);   /* not said: not known */
    /* Which infusion of the course (issue 14): 1..100, null as absent, anything else refused. */
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":1}"), 0);
    CHECK_INT_EQ(c.infusion, 1);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":6}"), 0);
    CHECK_INT_EQ(c.infusion, 6);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":null}"), 0);
    CHECK_INT_EQ(c.infusion, 0);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":0}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":2.5}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":1e12}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"infusion\":\"2\"}"), HV_EPARSE);
    CHECK_STR_EQ(c.patient, "");
    /* issue 14: the optional pseudonymous patient key, an id, never a name */
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"patient\":\"P-8c1f\"}"), 0);
    CHECK_STR_EQ(c.patient, "P-8c1f");
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"patient\":null}"), 0);
    CHECK_STR_EQ(c.patient, "");
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"patient\":\"Jane Doe\"}"),
                 HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"patient\":7}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"phase\",\"phase\":\"recovery\"}"), 0);
    CHECK_INT_EQ(c.cmd, CMD_PHASE);
    CHECK_INT_EQ(c.phase, PHASE_RECOVERY);
    CHECK_INT_EQ(DEC("{\"cmd\":\"end_visit\"}"), 0);
    CHECK_INT_EQ(c.cmd, CMD_END_VISIT);

    CHECK_INT_EQ(DEC("{\"cmd\":\"reboot\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"id\":\"c-1\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":7}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"call_cleared\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"begin_visit\",\"visit\":\"V 1\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("{\"cmd\":\"phase\",\"phase\":\"nap\"}"), HV_EPARSE);
    CHECK_INT_EQ(DEC("[\"cmd\"]"), HV_EPARSE);
    CHECK(why != NULL);
#undef DEC
}

/* Parses json and returns the object (caller deletes), checking it parsed. */
static cJSON *parse_ok(char *json)
{
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    CHECK(o != NULL);
    free(json);
    return o;
}

/* The patient's sound theme: the scene, or null; the phase it holds for. */
static void test_encode_kiosk_theme(void)
{
    int64_t ms = 0;
    cJSON *o;

    CHECK_INT_EQ(clock_parse_rfc3339("2026-11-21T14:03:07.412Z", &ms), 0);
    o = parse_ok(contract_encode_kiosk_theme("nature", "forest", PHASE_INFUSION, ms));
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "theme")->valuestring, "nature");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "scene")->valuestring, "forest");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "phase")->valuestring, "infusion");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "ts")->valuestring, "2026-11-21T14:03:07.412Z");
    CHECK_INT_EQ(cJSON_GetArraySize(o), 4);
    cJSON_Delete(o);
    o = parse_ok(contract_encode_kiosk_theme("silence", NULL, PHASE_RECOVERY, ms));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "scene")));
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "phase")->valuestring, "recovery");
    cJSON_Delete(o);
    o = parse_ok(contract_encode_kiosk_theme("rain \"soft\"", "", PHASE_INFUSION, ms));
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "theme")->valuestring, "rain \"soft\"");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "scene")));
    cJSON_Delete(o);
}

static void test_encode_kiosk_messages(void)
{
    int64_t ms = 0;
    cJSON *o;

    CHECK_INT_EQ(clock_parse_rfc3339("2026-11-21T14:03:07.412Z", &ms), 0);
    o = parse_ok(contract_encode_kiosk_status(PHASE_INFUSION, "V-1042", ms));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "online")));
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "phase")->valuestring, "infusion");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "visit")->valuestring, "V-1042");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "ts")->valuestring, "2026-11-21T14:03:07.412Z");
    CHECK(cJSON_GetObjectItem(o, "beat") == NULL);
    cJSON_Delete(o);
    o = parse_ok(contract_encode_kiosk_status(PHASE_IDLE, "", ms));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "visit")));
    cJSON_Delete(o);
    o = parse_ok(contract_encode_kiosk_status_beat(PHASE_INFUSION, "V-1042", 2500, ms));
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "beat")->valueint, 2500);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "ts")->valuestring, "2026-11-21T14:03:07.412Z");
    cJSON_Delete(o);

    o = parse_ok(contract_encode_kiosk_call("c-1", REASON_UNWELL, "check-in", ms));
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "id")->valuestring, "c-1");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "reason")->valuestring, "unwell");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "detail")->valuestring, "check-in");
    cJSON_Delete(o);
    o = parse_ok(contract_encode_kiosk_call("c-1", REASON_HELP, NULL, ms));
    CHECK(cJSON_GetObjectItem(o, "detail") == NULL);
    cJSON_Delete(o);

    /* What the kiosk sends, the controller's decoder takes. */
    char *call = contract_encode_kiosk_call("c-2", REASON_SAFETY, NULL, ms);
    struct msg_call m;
    const char *why;
    REQUIRE(call != NULL);
    CHECK_INT_EQ(contract_decode_call(call, strlen(call), &m, &why), 0);
    CHECK_INT_EQ(m.reason, REASON_SAFETY);
    free(call);
    char *clear = contract_encode_kiosk_clear("c-2", "staff", ms);
    struct msg_ack a;
    REQUIRE(clear != NULL);
    CHECK_INT_EQ(contract_decode_ack(clear, strlen(clear), &a, &why), 0);
    CHECK_STR_EQ(a.id, "c-2");
    CHECK_STR_EQ(a.by, "staff");
    free(clear);

    o = parse_ok(contract_encode_checkin("k-1", 4, true, ms));
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "feeling")->valueint, 4);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "symptoms")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "wants_someone")));
    CHECK(cJSON_GetObjectItem(o, "unanswered") == NULL);
    cJSON_Delete(o);
    o = parse_ok(contract_encode_checkin_visit("k-3", 2, false, "V-7", ms));
    CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(o, "visit")->valuestring, "V-7");
    cJSON_Delete(o);
    o = parse_ok(contract_encode_checkin("k-2", 0, false, ms));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "feeling")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "unanswered")));
    CHECK(cJSON_GetObjectItem(o, "wants_someone") == NULL);
    cJSON_Delete(o);
}

static void test_topic_prefix_valid(void)
{
    CHECK(topic_prefix_valid("haven"));
    CHECK(topic_prefix_valid("clinic/west"));
    CHECK(topic_prefix_valid("caf\xc3\xa9"));            /* UTF-8 */
    CHECK(!topic_prefix_valid(""));
    CHECK(!topic_prefix_valid(NULL));
    CHECK(!topic_prefix_valid("/haven"));
    CHECK(!topic_prefix_valid("haven/"));
    CHECK(!topic_prefix_valid("a//b"));
    CHECK(!topic_prefix_valid("haven/#"));
    CHECK(!topic_prefix_valid("a/+/b"));
    CHECK(!topic_prefix_valid("my clinic"));
    CHECK(!topic_prefix_valid("tab\there"));
    CHECK(!topic_prefix_valid("bad\xc3"));               /* truncated UTF-8 */
    CHECK(!topic_prefix_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

/* ---- lights ------------------------------------------------------------------------------ */

static int lights_set(const char *text, struct msg_lights_set *m, const char **why)
{
    *why = NULL;
    return contract_decode_lights_set(text, strlen(text), m, why);
}

static void test_decode_lights_set(void)
{
    struct msg_lights_set m;
    const char *why;

    CHECK_INT_EQ(lights_set("{\"scene\":\"bright\"}", &m, &why), 0);
    CHECK_STR_EQ(m.scene, "bright");
    CHECK(!m.has_brightness && !m.has_kelvin && !m.has_transition && !m.release);

    CHECK_INT_EQ(lights_set("{\"brightness\":40,\"kelvin\":2700,\"transition\":2.5}", &m, &why), 0);
    CHECK(m.has_brightness && m.has_kelvin && m.has_transition);
    CHECK_DBL_NEAR(m.brightness, 40, 1e-9);
    CHECK_INT_EQ(m.kelvin, 2700);
    CHECK_INT_EQ(m.transition_ms, 2500);
    CHECK_STR_EQ(m.scene, "");

    CHECK_INT_EQ(lights_set("{\"brightness\":0}", &m, &why), 0);     /* off is allowed */
    CHECK_INT_EQ(lights_set("{\"kelvin\":6500}", &m, &why), 0);
    CHECK_INT_EQ(lights_set("{\"scene\":\"care\",\"transition\":0}", &m, &why), 0);
    CHECK_INT_EQ(lights_set("{\"release\":true}", &m, &why), 0);
    CHECK(m.release);
}

static void test_decode_lights_set_rejects(void)
{
    static const char *const bad[] = {
        "{\"brightness\":101}", "{\"brightness\":-1}", "{\"brightness\":\"50\"}",
        "{\"kelvin\":1999}", "{\"kelvin\":6501}", "{\"brightness\":50,\"transition\":3601}",
        "{\"brightness\":50,\"transition\":-1}", "{\"scene\":\"Bright Light\"}",
        "{\"scene\":\"bright\",\"brightness\":50}", "{}", "{\"transition\":3}",
        "{\"release\":\"yes\"}", "{\"release\":true,\"scene\":\"bright\"}",
        "{\"scene\":\"\\u0007\"}", "[1]", "{\"brightness\":1e999}",
    };
    struct msg_lights_set m;
    const char *why;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lights_set(bad[i], &m, &why) == 0 || !why)
            check_true(false, bad[i], __FILE__, __LINE__);
    }
}

static void test_decode_kiosk_theme(void)
{
    struct msg_kiosk_theme m;
    const char *why = NULL;
    const char *t1 = "{\"theme\":\"rain\",\"scene\":\"dusk\",\"phase\":\"infusion\",\"ts\":\"x\"}";
    const char *t2 = "{\"theme\":\"silence\",\"scene\":null,\"phase\":\"recovery\"}";

    CHECK_INT_EQ(contract_decode_kiosk_theme(t1, strlen(t1), &m, &why), 0);
    CHECK_STR_EQ(m.theme, "rain");
    CHECK_STR_EQ(m.scene, "dusk");
    CHECK_INT_EQ(m.phase, PHASE_INFUSION);
    CHECK_INT_EQ(contract_decode_kiosk_theme(t2, strlen(t2), &m, &why), 0);
    CHECK_STR_EQ(m.scene, "");
    CHECK_INT_EQ(m.phase, PHASE_RECOVERY);
    static const char *const bad[] = {
        "{\"theme\":\"rain\",\"scene\":\"dusk\"}", "{\"scene\":\"dusk\",\"phase\":\"nap\"}",
        "{\"scene\":\"Dusk!\",\"phase\":\"idle\"}", "{\"scene\":5,\"phase\":\"idle\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (contract_decode_kiosk_theme(bad[i], strlen(bad[i]), &m, &why) == 0 || !why)
            check_true(false, bad[i], __FILE__, __LINE__);
    }
}

static void test_encode_lights_state(void)
{
    char *s = contract_encode_lights_state("infusion", 12.4, 2200, 1795269787412);

    CHECK_STR_EQ(s, "{\"scene\":\"infusion\",\"brightness\":12,\"kelvin\":2200,"
                    "\"ts\":\"2026-11-21T14:03:07.412Z\"}");
    free(s);
}

/* ---- the nurse station (issue 13) ---- */

static int dec_station(const char *text, struct msg_station_status *m, const char **why)
{
    char *b = exact(text, strlen(text));
    int rc = contract_decode_station_status(b, strlen(text), m, why);
    free(b);
    return rc;
}

static void test_decode_station_status(void)
{
    struct msg_station_status m;
    const char *why = NULL;
    static const char *const bad[] = {
        "{}", "{\"online\":1}", "{\"online\":true}", "{\"online\":true,\"boards\":2}",
        "{\"online\":true,\"boards\":2,\"armed\":3}", "{\"online\":true,\"boards\":-1,\"armed\":0}",
        "{\"online\":true,\"boards\":1.5,\"armed\":0}", "{\"online\":true,\"boards\":\"2\",\"armed\":0}",
        "{\"online\":true,\"boards\":100001,\"armed\":0}",
        "{\"online\":true,\"boards\":2,\"armed\":1,\"ts\":\"yesterday\"}",
        "{\"online\":true,\"boards\":2,\"armed\":1,\"armed\":2}", "[]", "",
        "{\"online\":false,\"ts\":5}",
    };

    CHECK_INT_EQ(dec_station("{\"online\":true,\"boards\":3,\"armed\":1,"
                             "\"ts\":\"2026-11-21T14:03:07.412Z\"}", &m, &why), 0);
    CHECK(m.online);
    CHECK_INT_EQ(m.boards, 3);
    CHECK_INT_EQ(m.armed, 1);
    CHECK_INT_EQ(dec_station("{\"online\":true,\"boards\":0,\"armed\":0}", &m, &why), 0);
    CHECK_INT_EQ(m.boards, 0);
    CHECK_INT_EQ(dec_station("{\"online\":false}", &m, &why), 0);   /* the will */
    CHECK(!m.online);
    CHECK_INT_EQ(m.armed, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (dec_station(bad[i], &m, &why) == 0 || !why)
            check_true(false, bad[i], __FILE__, __LINE__);
    }
}

#define RQ_OK "{\"id\":\"r-0123456789abcdef\",\"since\":\"2026-11-01T00:00:00Z\"," \
              "\"until\":\"2026-12-01T00:00:00.000Z\",\"day_starts\":\"07:00\"," \
              "\"night_starts\":\"19:30\",\"target_s\":{\"urgent\":60,\"assist\":180," \
              "\"routine\":600}}"

static int dec_request(const char *text, struct msg_report_request *m, const char **why)
{
    char *b = exact(text, strlen(text));
    int rc = contract_decode_report_request(b, strlen(text), m, why);
    free(b);
    return rc;
}

/* RQ_OK with from replaced by to. */
static int dec_request_with(const char *from, const char *to, const char **why)
{
    struct msg_report_request m;
    char text[1024];
    const char *at = strstr(RQ_OK, from);

    if (!at)
        return 99;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - RQ_OK), RQ_OK, to, at + strlen(from));
    return dec_request(text, &m, why);
}

static void test_decode_report_request(void)
{
    struct msg_report_request m;
    const char *why = NULL;
    int64_t since, until;
    static const char *const bad[][2] = {
        { "\"r-0123456789abcdef\"", "\"r 1\"" },
        { "\"since\":\"2026-11-01T00:00:00Z\",", "" },
        { "2026-11-01T00:00:00Z", "November" },
        { "2026-12-01T00:00:00.000Z", "2026-10-01T00:00:00Z" },       /* until before since */
        { "2026-12-01T00:00:00.000Z", "2026-11-01T00:00:00Z" },       /* empty range */
        { "2026-11-01T00:00:00Z", "2025-11-01T00:00:00Z" },           /* 395 days */
        { "\"07:00\"", "\"7:00\"" },
        { "\"07:00\"", "\"24:00\"" },
        { "\"07:00\"", "\"07:60\"" },
        { "\"07:00\"", "\"19:30\"" },                                 /* day == night */
        { "\"07:00\"", "420" },
        { "\"urgent\":60", "\"urgent\":0" },
        { "\"urgent\":60", "\"urgent\":86401" },
        { "\"assist\":180,", "" },
        { "\"routine\":600", "\"routine\":6.5" },
        { "{\"urgent\":60,\"assist\":180,\"routine\":600}", "60" },
    };

    CHECK_INT_EQ(dec_request(RQ_OK, &m, &why), 0);
    CHECK_STR_EQ(m.id, "r-0123456789abcdef");
    clock_parse_rfc3339("2026-11-01T00:00:00Z", &since);
    clock_parse_rfc3339("2026-12-01T00:00:00Z", &until);
    CHECK_INT_EQ(m.since_ms, since);
    CHECK_INT_EQ(m.until_ms, until);
    CHECK_INT_EQ(m.day_starts_min, 7 * 60);
    CHECK_INT_EQ(m.night_starts_min, 19 * 60 + 30);
    CHECK_INT_EQ(m.target_s[PRIO_URGENT], 60);
    CHECK_INT_EQ(m.target_s[PRIO_ASSIST], 180);
    CHECK_INT_EQ(m.target_s[PRIO_ROUTINE], 600);
    /* 366 days is allowed (a leap year's report). */
    CHECK_INT_EQ(dec_request_with("2026-11-01T00:00:00Z", "2025-11-30T00:00:00Z", &why), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (dec_request_with(bad[i][0], bad[i][1], &why) == 0 || !why)
            check_true(false, bad[i][1], __FILE__, __LINE__);
    }
}

static void test_encode_no_board_page(void)
{
    char *json = contract_encode_no_board_page(1795000000000LL);
    cJSON *o;
    int64_t ms = 0;

    REQUIRE(json);
    o = cJSON_Parse(json);
    REQUIRE(o);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "id")->valuestring, "noboard-1795000000000");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "room")->valuestring, "station");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "label")->valuestring, "Nurse station");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "priority")->valuestring, "assist");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "reason")->valuestring, "no_board");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "state")->valuestring, "open");
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "escalation")->valueint, 0);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "detail")->valuestring,
                 "no nurse-station board has sound on");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "acknowledged")));
    CHECK_INT_EQ(clock_parse_rfc3339(cJSON_GetObjectItem(o, "raised")->valuestring, &ms), 0);
    CHECK_INT_EQ(ms, 1795000000000LL);
    cJSON_Delete(o);
    free(json);
}

int main(void)
{
    RUN(test_names);
    RUN(test_room_id_valid);
    RUN(test_topic_parse_kinds);
    RUN(test_topic_parse_prefix);
    RUN(test_topic_parse_rejects);
    RUN(test_topic_build);
    RUN(test_topic_login);
    RUN(test_decode_refuses_nul_and_duplicate_keys);
    RUN(test_encode_kiosk_theme);
    RUN(test_decode_call_ok);
    RUN(test_call_priority);
    RUN(test_decode_call_detail_length);
    RUN(test_decode_call_rejects);
    RUN(test_decode_call_empty_and_null);
    RUN(test_decode_call_size_limit);
    RUN(test_decode_call_bad_bytes);
    RUN(test_decode_ack);
    RUN(test_decode_status);
    RUN(test_call_round_trip_open);
    RUN(test_call_round_trip_acknowledged);
    RUN(test_decode_call_state_rejects);
    RUN(test_encode_controller_status);
    RUN(test_utf8);
    RUN(test_topic_prefix_valid);
    RUN(test_decode_kiosk_cmd);
    RUN(test_encode_kiosk_messages);
    RUN(test_decode_lights_set);
    RUN(test_decode_lights_set_rejects);
    RUN(test_decode_kiosk_theme);
    RUN(test_encode_lights_state);
    RUN(test_decode_station_status);
    RUN(test_decode_report_request);
    RUN(test_encode_no_board_page);
    return CHECK_SUMMARY();
}
