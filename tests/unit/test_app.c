/*
 * test_app.c - the kiosk's model (kiosk/app.c) without SDL or a network:
 * intents become messages in the outbox, commands change what is shown,
 * and the timers (check-ins, the end of observation) do their part.
 */
#include "app.h"
#include "check.h"
#include "contract.h"
#include "outbox.h"
#include "questionnaire.h"
#include "unit_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define T0 1795000000000LL   /* a wall-clock instant in 2026 */
#define MIN 60000LL

static struct kiosk_config cfg;

static void setup_cfg(void)
{
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.prefix, "haven");
    strcpy(cfg.room, "chair-1");
    strcpy(cfg.room_label, "Chair 1");
    cfg.recovery_ms = 30 * MIN;
    cfg.checkin_ms = 15 * MIN;
    cfg.checkin_timeout_ms = 2 * MIN;
    cfg.unwell_feeling[5] = true;
}

/* A model over a fresh outbox file (net NULL: messages stay in the outbox). */
static struct outbox *fresh(struct app *a, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.db", unit_dir(), name);
    unlink(path);
    struct outbox *ob = outbox_open(path);
    setup_cfg();
    if (ob)
        app_init(a, &cfg, ob, NULL, T0);
    return ob;
}

/* The queued messages, as "<topic> <payload>" lines. */
struct queued { int n; char topic[16][128]; char payload[16][512]; };

static int collect(void *ud, const struct outbox_msg *m)
{
    struct queued *q = ud;
    if (q->n < 16) {
        snprintf(q->topic[q->n], sizeof q->topic[0], "%s", m->topic);
        snprintf(q->payload[q->n], sizeof q->payload[0], "%s", m->payload);
        q->n++;
    }
    return 0;
}

static struct queued queued(struct outbox *ob)
{
    struct queued q;
    memset(&q, 0, sizeof q);
    outbox_each(ob, collect, &q);
    return q;
}

static const char *field(const char *json, const char *key, char *out, size_t outlen)
{
    cJSON *o = cJSON_Parse(json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(out, outlen, "%s", cJSON_IsString(v) ? v->valuestring
                                : cJSON_IsNumber(v) ? "number" : cJSON_IsNull(v) ? "null" : "");
    if (cJSON_IsNumber(v))
        snprintf(out, outlen, "%d", v->valueint);
    cJSON_Delete(o);
    return out;
}

static void cmd(struct app *a, const char *json, int64_t now)
{
    app_on_message(a, "haven/room/chair-1/kiosk/cmd", json, strlen(json), false, now);
}

/* The room's retained call as the controller publishes it (P/call/R), with state and via. */
static void room_call(struct app *a, const char *id, const char *state, const char *by,
                      const char *via, int64_t now)
{
    char json[600], byj[80], viaj[80];

    snprintf(byj, sizeof byj, "%s%s%s", by ? "\"" : "", by ? by : "null", by ? "\"" : "");
    snprintf(viaj, sizeof viaj, "%s%s%s", via ? "\"" : "", via ? via : "null", via ? "\"" : "");
    snprintf(json, sizeof json, "{\"id\":\"%s\",\"room\":\"chair-1\",\"label\":\"Chair 1\","
             "\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"%s\",\"raised\":"
             "\"2026-11-21T10:00:00.000Z\",\"acknowledged\":null,\"by\":%s,\"via\":%s,"
             "\"escalation\":0}", id, state, byj, viaj);
    app_on_message(a, "haven/call/chair-1", json, strlen(json), true, now);
}

static void test_help_opens_call_then_realerts_same_id(void)
{
    struct app a;
    char id1[64], id2[64], buf[64];
    struct outbox *ob = fresh(&a, "help");
    REQUIRE(ob != NULL);

    CHECK_INT_EQ(a.call, CALL_UI_NONE);
    app_help_pressed(&a, T0);
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    CHECK_STR_EQ(q.topic[0], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(field(q.payload[0], "reason", buf, sizeof buf), "help");
    field(q.payload[0], "id", id1, sizeof id1);
    CHECK_STR_EQ(id1, a.call_id);
    CHECK(field(q.payload[0], "ts", buf, sizeof buf)[0] == '2');

    app_help_pressed(&a, T0 + 1000);   /* pressed again: same id, no second call */
    q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(field(q.payload[1], "id", id2, sizeof id2), id1);
    outbox_close(ob);
}

/*
 * Only the room's call says acknowledged / cleared: the same on kiosk/cmd (any
 * station login may write it) changes nothing.  A station's "by" is the nurse's
 * name; a pager's login is not shown.
 */
static void test_acknowledged_then_cleared(void)
{
    struct app a;
    char json[256];
    struct outbox *ob = fresh(&a, "ack");
    REQUIRE(ob != NULL);

    app_help_pressed(&a, T0);
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);
    snprintf(json, sizeof json, "{\"cmd\":\"call_acknowledged\",\"id\":\"%s\",\"by\":"
             "\"Dr. House\"}", a.call_id);
    cmd(&a, json, T0 + 1000);
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);          /* a forged ack: ignored */
    CHECK_STR_EQ(a.call_by, "");
    snprintf(json, sizeof json, "{\"cmd\":\"call_cleared\",\"id\":\"%s\"}", a.call_id);
    cmd(&a, json, T0 + 2000);
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);          /* a forged clear: ignored */

    room_call(&a, a.call_id, "open", NULL, NULL, T0 + 3000);
    CHECK_INT_EQ(a.call, CALL_UI_CALLED);           /* the controller has it */
    room_call(&a, a.call_id, "acknowledged", "pager-7", "pager-7", T0 + 4000);
    CHECK_INT_EQ(a.call, CALL_UI_COMING);
    CHECK_STR_EQ(a.call_by, "");                    /* a pager: "A nurse is on the way" */
    room_call(&a, a.call_id, "acknowledged", "Sam", "station-desk", T0 + 5000);
    CHECK_STR_EQ(a.call_by, "Sam");                 /* a station names its nurse */
    room_call(&a, a.call_id, "acknowledged", "Kim", "station", T0 + 5000);
    CHECK_STR_EQ(a.call_by, "Kim");
    room_call(&a, a.call_id, "acknowledged", "Eve", "stationery", T0 + 5000);
    CHECK_STR_EQ(a.call_by, "");                    /* not a station login */
    app_on_message(&a, "haven/call/chair-1", "", 0, true, T0 + 9000);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);
    CHECK_STR_EQ(a.call_id, "");
    cmd(&a, "{\"cmd\":\"call_cleared\"}", T0);        /* malformed: dropped, no crash */
    cmd(&a, "not json", T0);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);
    outbox_close(ob);
}

/* A retained command is never acted on: a retained begin_visit would replay the visit. */
static void test_retained_command_is_ignored(void)
{
    struct app a;
    const char *t = "haven/room/chair-1/kiosk/cmd";
    const char *begin = "{\"cmd\":\"begin_visit\",\"visit\":\"V-7\",\"lang\":\"en\"}";
    struct outbox *ob = fresh(&a, "retainedcmd");
    REQUIRE(ob != NULL);

    app_on_message(&a, t, begin, strlen(begin), true, T0);
    CHECK_INT_EQ(a.phase, PHASE_IDLE);
    CHECK_STR_EQ(a.visit, "");
    app_on_message(&a, t, begin, strlen(begin), false, T0);
    CHECK_INT_EQ(a.phase, PHASE_INTAKE);
    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", T0 + MIN);
    app_on_message(&a, t, begin, strlen(begin), true, T0 + 2 * MIN);  /* at a reconnect */
    CHECK_INT_EQ(a.phase, PHASE_INFUSION);
    CHECK_INT_EQ(a.phase_since_ms, T0 + MIN);
    outbox_close(ob);
}

/* A phase command that changes nothing writes nothing (a flood of them must not fsync). */
static void test_same_phase_writes_nothing(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "samephase");
    REQUIRE(ob != NULL);

    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-8\",\"lang\":\"en\"}", T0);
    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", T0 + MIN);
    int64_t writes = outbox_writes(ob);
    for (int i = 0; i < 100; i++)
        cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", T0 + 2 * MIN + i);
    CHECK_INT_EQ(outbox_writes(ob), writes);
    CHECK_INT_EQ(a.phase_since_ms, T0 + MIN);
    outbox_close(ob);
}

/*
 * A controller coming online while our call is unconfirmed gets it again at once
 * (the same id); a retained "online" found at subscribe time does not, when the call
 * already went out on this link; a confirmed call is never re-sent.
 */
static void test_controller_online_resends_unconfirmed_call(void)
{
    struct app a;
    char id[64], buf[64];
    const char *st = "haven/controller/room-1/status", *online = "{\"online\":true}";
    struct outbox *ob = fresh(&a, "ctlonline");
    REQUIRE(ob != NULL);

    app_on_connected(&a, true, T0);
    app_help_pressed(&a, T0);
    snprintf(id, sizeof id, "%s", a.call_id);
    CHECK_INT_EQ(queued(ob).n, 1);
    app_on_message(&a, st, online, strlen(online), true, T0 + 10);   /* was there already */
    CHECK_INT_EQ(queued(ob).n, 1);
    app_on_message(&a, st, "{\"online\":false}", 17, false, T0 + 100);
    CHECK_INT_EQ(queued(ob).n, 1);
    app_on_message(&a, st, online, strlen(online), false, T0 + 600);  /* back */
    struct queued q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(field(q.payload[1], "id", buf, sizeof buf), id);
    /* A new link: the retained "online" is news now (the call went out before it). */
    app_on_connected(&a, false, T0 + 700);
    app_on_connected(&a, true, T0 + 800);
    app_on_message(&a, st, online, strlen(online), true, T0 + 810);
    CHECK_INT_EQ(queued(ob).n, 3);
    room_call(&a, id, "open", NULL, NULL, T0 + 900);
    app_on_message(&a, st, online, strlen(online), false, T0 + 1000);
    CHECK_INT_EQ(queued(ob).n, 3);                 /* confirmed: nothing more */
    outbox_close(ob);
}

/* A link that records the kiosk's statuses: (time, retain) of each publish on kiosk/status. */
struct beats { int n; int64_t at[64]; bool retained[64]; char last[512]; int64_t now; };

static int record_status(void *ctx, const char *topic, const char *payload, bool retain, int *mid)
{
    struct beats *b = ctx;

    if (mid)
        *mid = 1;
    if (!strstr(topic, "/kiosk/status") || b->n >= 64)
        return 0;
    b->at[b->n] = b->now;
    b->retained[b->n++] = retain;
    snprintf(b->last, sizeof b->last, "%s", payload);
    return 0;
}

/*
 * The heartbeat (protocol.md, Supervision): while connected the kiosk publishes its
 * retained status again every keepalive/2 with "beat" saying so; offline, none.
 */
static void test_status_heartbeat(void)
{
    struct app a;
    struct beats b = { 0 };
    const struct app_link link = { record_status, &b };
    char path[600], buf[64];

    snprintf(path, sizeof path, "%s/heartbeat.db", unit_dir());
    unlink(path);
    struct outbox *ob = outbox_open(path);
    REQUIRE(ob != NULL);
    setup_cfg();
    cfg.broker.keepalive = 5;
    app_init(&a, &cfg, ob, &link, T0);
    b.now = T0;
    app_on_connected(&a, true, T0);
    int first = b.n;
    REQUIRE(first >= 1);
    CHECK(b.retained[first - 1]);
    CHECK_STR_EQ(field(b.last, "beat", buf, sizeof buf), "2500");
    for (int64_t t = T0; t <= T0 + 10000; t += 100) {
        b.now = t;
        app_tick(&a, t);
    }
    CHECK_INT_EQ(b.n - first, 4);  /* at 2.5, 5, 7.5 and 10 s */
    for (int i = first; i < b.n; i++) {
        CHECK(b.retained[i]);
        CHECK_INT_EQ(b.at[i] - b.at[i - 1], 2500);
    }
    /* Offline: no heartbeat however long. */
    app_on_connected(&a, false, T0 + 10050);
    int offline = b.n;
    for (int64_t t = T0 + 10100; t <= T0 + 30000; t += 100) {
        b.now = t;
        app_tick(&a, t);
    }
    CHECK_INT_EQ(b.n, offline);
    outbox_close(ob);
}

static void test_state_survives_restart(void)
{
    struct app a, b;
    char path[600];
    struct outbox *ob = fresh(&a, "restart");
    REQUIRE(ob != NULL);

    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-1042\",\"lang\":\"es\"}", T0);
    CHECK_INT_EQ(a.phase, PHASE_INTAKE);
    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", T0 + MIN);
    app_help_pressed(&a, T0 + 2 * MIN);
    room_call(&a, a.call_id, "acknowledged", "Sam", "station", T0 + 3 * MIN);
    outbox_close(ob);

    snprintf(path, sizeof path, "%s/restart.db", unit_dir());
    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    app_init(&b, &cfg, ob, NULL, T0 + 4 * MIN);
    CHECK_INT_EQ(b.phase, PHASE_INFUSION);
    CHECK_STR_EQ(b.visit, "V-1042");
    CHECK_STR_EQ(b.lang, "es");
    CHECK_INT_EQ(b.phase_since_ms, T0 + MIN);
    CHECK_INT_EQ(b.call, CALL_UI_COMING);
    CHECK_STR_EQ(b.call_id, a.call_id);
    CHECK_STR_EQ(b.call_by, "Sam");
    CHECK_INT_EQ(b.pending, 1);                       /* the call still waits for a broker */
    outbox_close(ob);
}

static void test_end_visit_forgets_visit(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "end");
    REQUIRE(ob != NULL);

    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-7\"}", T0);
    CHECK_STR_EQ(a.lang, "en");
    cmd(&a, "{\"cmd\":\"end_visit\"}", T0 + MIN);
    CHECK_INT_EQ(a.phase, PHASE_IDLE);
    CHECK_STR_EQ(a.visit, "");
    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"nap\"}", T0);   /* unknown phase: dropped */
    CHECK_INT_EQ(a.phase, PHASE_IDLE);
    outbox_close(ob);
}

static void test_checkin_prompt_answer_and_unwell(void)
{
    struct app a;
    char buf[64];
    struct outbox *ob = fresh(&a, "checkin");
    REQUIRE(ob != NULL);

    app_set_phase(&a, PHASE_INFUSION, T0);
    CHECK_INT_EQ(app_tick(&a, T0 + 14 * MIN), T0 + 15 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_NONE);
    app_tick(&a, T0 + 15 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_PROMPT);
    app_checkin_answer(&a, 2, false, T0 + 16 * MIN);   /* fine: no call */
    CHECK_INT_EQ(a.checkin, CHECKIN_THANKS);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    CHECK_STR_EQ(q.topic[0], "haven/room/chair-1/kiosk/checkin");
    CHECK_STR_EQ(field(q.payload[0], "feeling", buf, sizeof buf), "2");
    app_tick(&a, T0 + 17 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_NONE);              /* the thank-you goes away */

    app_tick(&a, T0 + 30 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_PROMPT);
    app_checkin_answer(&a, 5, false, T0 + 30 * MIN);   /* the worst answer calls a nurse */
    q = queued(ob);
    REQUIRE(q.n == 3);
    CHECK_STR_EQ(q.topic[2], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(field(q.payload[2], "reason", buf, sizeof buf), "unwell");
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);
    outbox_close(ob);
}

static void test_checkin_want_someone_and_unanswered(void)
{
    struct app a;
    char buf[64];
    struct outbox *ob = fresh(&a, "checkin2");
    REQUIRE(ob != NULL);

    app_set_phase(&a, PHASE_INFUSION, T0);   /* (in recovery, observation ends at 30 min) */
    app_tick(&a, T0 + 15 * MIN);
    REQUIRE(a.checkin == CHECKIN_PROMPT);
    app_checkin_answer(&a, 1, true, T0 + 15 * MIN);    /* "I'd like someone to come" */
    struct queued q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(field(q.payload[1], "reason", buf, sizeof buf), "unwell");

    app_tick(&a, T0 + 30 * MIN);
    REQUIRE(a.checkin == CHECKIN_PROMPT);
    app_tick(&a, T0 + 31 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_PROMPT);            /* still up within the timeout */
    app_tick(&a, T0 + 32 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_NONE);              /* faded, recorded as unanswered */
    q = queued(ob);
    REQUIRE(q.n == 3);
    CHECK_STR_EQ(field(q.payload[2], "feeling", buf, sizeof buf), "null");
    CHECK(strstr(q.payload[2], "\"unanswered\":true") != NULL);
    outbox_close(ob);
}

static void test_no_checkins_outside_infusion_and_recovery(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "nocheckin");
    REQUIRE(ob != NULL);

    app_begin_visit(&a, "V-1", "en", T0);
    app_tick(&a, T0 + 60 * MIN);
    CHECK_INT_EQ(a.checkin, CHECKIN_NONE);
    CHECK_INT_EQ(queued(ob).n, 0);
    outbox_close(ob);
}

static void test_end_of_observation_sends_ready_once(void)
{
    struct app a;
    char buf[64];
    struct outbox *ob = fresh(&a, "ready");
    REQUIRE(ob != NULL);

    app_begin_visit(&a, "V-2", "en", T0);
    app_set_phase(&a, PHASE_RECOVERY, T0);
    a.next_checkin_ms = 0;                              /* this test is about the countdown */
    CHECK_INT_EQ(app_tick(&a, T0 + 29 * MIN), T0 + 30 * MIN);
    CHECK_INT_EQ(queued(ob).n, 0);
    app_tick(&a, T0 + 30 * MIN);
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    CHECK_STR_EQ(field(q.payload[0], "reason", buf, sizeof buf), "ready");
    a.next_checkin_ms = 0;
    app_tick(&a, T0 + 40 * MIN);
    CHECK_INT_EQ(queued(ob).n, 1);                      /* once per visit */
    outbox_close(ob);
}

static void test_retained_call_is_adopted(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "retained");
    const char *t = "haven/call/chair-1";
    REQUIRE(ob != NULL);

    const char *acked = "{\"id\":\"c-9\",\"room\":\"chair-1\",\"label\":\"Chair 1\",\"priority\":"
                        "\"assist\",\"reason\":\"help\",\"state\":\"acknowledged\",\"raised\":"
                        "\"2026-11-21T10:00:00.000Z\",\"acknowledged\":\"2026-11-21T10:01:00.000Z\","
                        "\"by\":\"Sam\",\"via\":\"station\",\"escalation\":0}";
    app_on_message(&a, t, acked, strlen(acked), false, T0);
    CHECK_INT_EQ(a.call, CALL_UI_COMING);
    CHECK_STR_EQ(a.call_id, "c-9");
    CHECK_STR_EQ(a.call_by, "Sam");
    app_on_message(&a, t, "", 0, false, T0);                   /* the room has no call any more */
    CHECK_INT_EQ(a.call, CALL_UI_NONE);

    const char *offline = "{\"id\":\"offline-1\",\"room\":\"chair-1\",\"label\":\"Chair 1\","
                          "\"priority\":\"assist\",\"reason\":\"kiosk_offline\",\"state\":\"open\","
                          "\"raised\":\"2026-11-21T10:00:00.000Z\",\"acknowledged\":null,"
                          "\"by\":null,\"escalation\":0}";
    app_on_message(&a, t, offline, strlen(offline), false, T0);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);                 /* about the kiosk, not the patient */
    app_on_message(&a, "haven/call/chair-2", acked, strlen(acked), false, T0);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);                 /* another room's */
    outbox_close(ob);
}

/* The broker took the call but no controller showed it: the kiosk sends it again. */
static void test_unconfirmed_call_is_sent_again(void)
{
    struct app a;
    char id[64], buf[64];
    struct outbox *ob = fresh(&a, "resend");
    REQUIRE(ob != NULL);

    a.connected = true;
    app_help_pressed(&a, T0);
    snprintf(id, sizeof id, "%s", a.call_id);
    CHECK_INT_EQ(app_tick(&a, T0 + 1000), T0 + 10000);
    app_on_message(&a, "haven/call/chair-1", "", 0, false, T0 + 2000);  /* empty: not ours yet */
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);                         /* kept */
    app_tick(&a, T0 + 10000);
    struct queued q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(field(q.payload[1], "id", buf, sizeof buf), id);  /* same id, same reason */
    CHECK_STR_EQ(field(q.payload[1], "reason", buf, sizeof buf), "help");
    CHECK_INT_EQ(app_tick(&a, T0 + 10001), T0 + 30000);            /* backing off: 20 s */

    /* The controller shows it: no more re-sends, and an empty call now means cleared. */
    char call[400];
    snprintf(call, sizeof call, "{\"id\":\"%s\",\"room\":\"chair-1\",\"label\":\"Chair 1\","
             "\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\",\"raised\":"
             "\"2026-11-21T10:00:00.000Z\",\"acknowledged\":null,\"by\":null,\"escalation\":0}", id);
    app_on_message(&a, "haven/call/chair-1", call, strlen(call), false, T0 + 11000);
    CHECK_INT_EQ(a.call, CALL_UI_CALLED);
    app_tick(&a, T0 + 60000);
    CHECK_INT_EQ(queued(ob).n, 2);
    app_on_message(&a, "haven/call/chair-1", "", 0, false, T0 + 61000);
    CHECK_INT_EQ(a.call, CALL_UI_NONE);

    /* Not while the link is down: the outbox and libmosquitto hold it then. */
    a.connected = false;
    app_help_pressed(&a, T0 + 70000);
    app_tick(&a, T0 + 200000);
    CHECK_INT_EQ(queued(ob).n, 3);
    outbox_close(ob);
}

static void test_bedside_clear(void)
{
    struct app a;
    char id[64], buf[64];
    struct outbox *ob = fresh(&a, "clear");
    REQUIRE(ob != NULL);

    app_clear_call_bedside(&a, "staff", T0);            /* nothing to clear */
    CHECK_INT_EQ(queued(ob).n, 0);
    app_help_pressed(&a, T0);
    snprintf(id, sizeof id, "%s", a.call_id);
    app_clear_call_bedside(&a, "staff", T0 + MIN);
    struct queued q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(q.topic[1], "haven/room/chair-1/kiosk/clear");
    CHECK_STR_EQ(field(q.payload[1], "id", buf, sizeof buf), id);
    CHECK_STR_EQ(field(q.payload[1], "by", buf, sizeof buf), "staff");
    CHECK_INT_EQ(a.call, CALL_UI_NONE);
    outbox_close(ob);
}

/*
 * The PIN pad: 3 wrong PINs are free, then 30 s locked, doubling; locked, even the
 * right PIN is not checked; the lock survives a restart; each lockout goes out as a
 * pin_locked event.  A right PIN says whose it is and resets the count.
 */
static void test_pin_backoff(void)
{
    struct app a, b;
    char path[600], buf[64];
    struct outbox *ob = fresh(&a, "pinlock");
    REQUIRE(ob != NULL);
    cfg.pins.n = 1;
    snprintf(cfg.pins.users[0].name, sizeof cfg.pins.users[0].name, "sam");
    REQUIRE(kcfg_hash_pin("1357", cfg.pins.users[0].hash, sizeof cfg.pins.users[0].hash) == 0);

    CHECK_INT_EQ(app_pin_submit(&a, "1111", T0), PIN_RESULT_WRONG);
    CHECK_INT_EQ(app_pin_submit(&a, "2222", T0 + 1000), PIN_RESULT_WRONG);
    CHECK_INT_EQ(queued(ob).n, 0);
    CHECK_INT_EQ(app_pin_submit(&a, "3333", T0 + 2000), PIN_RESULT_LOCKED);  /* the third */
    CHECK_INT_EQ(a.staff.lock.until_ms, T0 + 2000 + 30000);
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    CHECK_STR_EQ(q.topic[0], "haven/room/chair-1/kiosk/event");
    CHECK_STR_EQ(field(q.payload[0], "event", buf, sizeof buf), "pin_locked");
    CHECK_STR_EQ(field(q.payload[0], "failures", buf, sizeof buf), "3");
    CHECK(field(q.payload[0], "until", buf, sizeof buf)[0] == '2');
    CHECK(field(q.payload[0], "id", buf, sizeof buf)[0] != '\0');
    CHECK_INT_EQ(app_pin_submit(&a, "1357", T0 + 10000), PIN_RESULT_LOCKED);  /* not checked */
    CHECK_INT_EQ(a.staff.lock.failures, 3);
    outbox_close(ob);

    /* A restart does not lift it. */
    snprintf(path, sizeof path, "%s/pinlock.db", unit_dir());
    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    app_init(&b, &cfg, ob, NULL, T0 + 20000);
    CHECK_INT_EQ(app_pin_submit(&b, "1357", T0 + 20000), PIN_RESULT_LOCKED);
    /* After it: one more wrong PIN, 60 s; the next, 120 s. */
    CHECK_INT_EQ(app_pin_submit(&b, "4444", T0 + 32000), PIN_RESULT_LOCKED);
    CHECK_INT_EQ(b.staff.lock.until_ms, T0 + 32000 + 60000);
    CHECK_INT_EQ(app_pin_submit(&b, "5555", T0 + 92000), PIN_RESULT_LOCKED);
    CHECK_INT_EQ(b.staff.lock.until_ms, T0 + 92000 + 120000);
    CHECK_INT_EQ(queued(ob).n, 3);
    /* The right PIN once it has passed: whose, and the count starts again. */
    CHECK_INT_EQ(app_pin_submit(&b, "1357", T0 + 212000), PIN_RESULT_OK);
    CHECK_STR_EQ(b.staff.who, "sam");
    CHECK_INT_EQ(b.staff.lock.failures, 0);
    CHECK_INT_EQ(app_pin_submit(&b, "0000", T0 + 213000), PIN_RESULT_WRONG);

    /* In two halves, as the kiosk does it (the hash off the UI thread): a PIN typed
     * while another is being checked is checked next. */
    b.staff.menu_open = false;
    CHECK(app_pin_begin(&b, "1111", T0 + 214000));
    CHECK(b.staff.checking);
    CHECK(app_pin_begin(&b, "1357", T0 + 214100));
    CHECK_INT_EQ(app_pin_checked(&b, NULL, T0 + 214200), PIN_RESULT_WRONG);
    CHECK(b.staff.checking);
    CHECK_STR_EQ(b.staff.check_pin, "1357");
    CHECK_INT_EQ(app_pin_checked(&b, kcfg_pin_who(&cfg, b.staff.check_pin), T0 + 214400),
                 PIN_RESULT_OK);
    CHECK(b.staff.menu_open && !b.staff.checking);
    CHECK_STR_EQ(b.staff.check_pin, "");
    outbox_close(ob);
    memset(&cfg.pins, 0, sizeof cfg.pins);
}

/* The lockout's arithmetic: capped at an hour. */
static void test_pin_lock_cap(void)
{
    struct pin_lock l = { 0, 0 };
    int64_t last = 0;

    for (int i = 0; i < 20; i++)
        last = pin_lock_fail(&l, T0);
    CHECK_INT_EQ(last, PIN_LOCK_MAX_MS);
    CHECK(pin_lock_locked(&l, T0 + PIN_LOCK_MAX_MS - 1));
    CHECK(!pin_lock_locked(&l, T0 + PIN_LOCK_MAX_MS));
    pin_lock_reset(&l);
    CHECK(!pin_lock_locked(&l, T0));
    CHECK_INT_EQ(pin_lock_fail(&l, T0), 0);
}

static void test_staff_menu_locks_after_a_quiet_minute(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "staff");
    REQUIRE(ob != NULL);

    a.staff.menu_open = true;
    a.staff.menu_until_ms = T0 + MIN;
    CHECK_INT_EQ(app_tick(&a, T0), T0 + MIN);
    CHECK(a.staff.menu_open);
    app_tick(&a, T0 + MIN);
    CHECK(!a.staff.menu_open);
    outbox_close(ob);
}

/* ---- questionnaires ------------------------------------------------------------------ */

static struct qn_set *shipped_forms(void)
{
    struct qn_set *set = NULL;
    struct cfg_error err;

    if (qn_set_load(HAVEN_SOURCE_DIR "/config/haven.cfg", &set, &err) != 0)
        fprintf(stderr, "  %s\n", err.text);
    return set;
}

static void form_ev(struct app *a, enum run_ev_kind k, const char *item, const char *value,
                    int64_t now)
{
    struct run_event ev = run_ev(k, a->run.cur);
    snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
    snprintf(ev.value, sizeof ev.value, "%s", value ? value : "");
    app_form_event(a, &ev, now);
}

/* A checklist rule's call goes out at once with its priority; a form left part-way, as stopped. */
static void test_form_rule_call_and_stopped_response(void)
{
    struct app a;
    char buf[64];
    struct outbox *ob = fresh(&a, "forms");
    REQUIRE(ob != NULL);
    struct qn_set *set = shipped_forms();
    REQUIRE(set != NULL);
    app_forms_attach(&a, set, NULL, T0);

    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-9\",\"lang\":\"es\"}", T0);
    CHECK_INT_EQ(a.run.view, RUN_INTRO);
    CHECK_STR_EQ(run_form(&a.run)->id, "safety-checklist");
    form_ev(&a, EV_START, NULL, NULL, T0 + 1);
    form_ev(&a, EV_ANSWER, "food", "no", T0 + 2);
    form_ev(&a, EV_ANSWER, "drinks", "no", T0 + 2);
    CHECK_INT_EQ(queued(ob).n, 0);
    form_ev(&a, EV_ANSWER, "escort", "no", T0 + 3);  /* no one to take me home: routine */
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    CHECK_STR_EQ(q.topic[0], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(field(q.payload[0], "reason", buf, sizeof buf), "help");
    CHECK_STR_EQ(field(q.payload[0], "priority", buf, sizeof buf), "routine");
    CHECK_INT_EQ(a.call, CALL_UI_SENDING);
    /* A stale tap (an answer to another question) changes nothing. */
    form_ev(&a, EV_ANSWER, "chest-pain", "yes", T0 + 4);
    CHECK_STR_EQ(run_form(&a.run)->items[a.run.item].id, "new-medicines");
    CHECK_INT_EQ(queued(ob).n, 1);

    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", T0 + 5);
    q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(q.topic[1], "haven/room/chair-1/kiosk/response");
    CHECK(strstr(q.payload[1], "\"status\":\"stopped\"") != NULL);
    CHECK(strstr(q.payload[1], "\"language\":\"es\"") != NULL);
    CHECK_INT_EQ(a.run.view, RUN_NONE);  /* no forms during the infusion */
    app_forms_free(&a);
    outbox_close(ob);
}

/*
 * A rule's call that no controller showed goes again with what raised it (it went
 * without it: a controller that missed the first send paged a bare "help"), after a
 * restart too.
 */
static void test_form_rule_call_is_sent_again_with_its_detail(void)
{
    struct app a, b;
    char buf[300], detail[300], path[600];
    const char *st = "haven/controller/room-1/status", *online = "{\"online\":true}";
    struct outbox *ob = fresh(&a, "forms-resend");
    REQUIRE(ob != NULL);
    struct qn_set *set = shipped_forms();
    REQUIRE(set != NULL);
    app_forms_attach(&a, set, NULL, T0);

    app_on_connected(&a, true, T0);
    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-9\",\"lang\":\"en\"}", T0);
    form_ev(&a, EV_START, NULL, NULL, T0 + 1);
    form_ev(&a, EV_ANSWER, "food", "no", T0 + 2);
    form_ev(&a, EV_ANSWER, "drinks", "no", T0 + 2);
    form_ev(&a, EV_ANSWER, "escort", "no", T0 + 3);
    struct queued q = queued(ob);
    REQUIRE(q.n == 1);
    field(q.payload[0], "detail", detail, sizeof detail);
    CHECK(detail[0] != '\0');
    app_tick(&a, T0 + 3 + 10000);                         /* no sign of it: again */
    q = queued(ob);
    REQUIRE(q.n == 2);
    CHECK_STR_EQ(field(q.payload[1], "id", buf, sizeof buf), a.call_id);
    CHECK_STR_EQ(field(q.payload[1], "detail", buf, sizeof buf), detail);
    CHECK_STR_EQ(field(q.payload[1], "priority", buf, sizeof buf), "routine");
    app_forms_free(&a);
    outbox_close(ob);

    snprintf(path, sizeof path, "%s/forms-resend.db", unit_dir());
    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    app_init(&b, &cfg, ob, NULL, T0 + MIN);
    app_on_connected(&b, true, T0 + MIN);
    app_on_message(&b, st, online, strlen(online), false, T0 + MIN + 10);  /* a controller */
    q = queued(ob);
    REQUIRE(q.n == 3);
    CHECK_STR_EQ(field(q.payload[2], "detail", buf, sizeof buf), detail);
    outbox_close(ob);
}

/* With the help call open, the safety answer is a call of its own id (the controller upgrades). */
static void test_form_safety_call_joins_open_call(void)
{
    struct app a;
    char buf[64], help_id[64];
    struct outbox *ob = fresh(&a, "forms-safety");
    REQUIRE(ob != NULL);
    struct qn_set *set = shipped_forms();
    REQUIRE(set != NULL);
    app_forms_attach(&a, set, NULL, T0);
    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-10\"}", T0);
    form_ev(&a, EV_START, NULL, NULL, T0);
    form_ev(&a, EV_ANSWER, "food", "no", T0);
    form_ev(&a, EV_ANSWER, "drinks", "no", T0);
    form_ev(&a, EV_ANSWER, "escort", "yes", T0);
    form_ev(&a, EV_ANSWER, "new-medicines", "no", T0);
    form_ev(&a, EV_ANSWER, "chest-pain", "no", T0);
    form_ev(&a, EV_ANSWER, "blood-pressure", "no", T0);
    form_ev(&a, EV_SUBMIT, NULL, NULL, T0);
    CHECK_STR_EQ(run_form(&a.run)->id, "phq-9");
    app_help_pressed(&a, T0 + 1);
    snprintf(help_id, sizeof help_id, "%s", a.call_id);
    form_ev(&a, EV_START, NULL, NULL, T0 + 2);
    for (int i = 0; i < 8; i++)
        form_ev(&a, EV_ANSWER, run_form(&a.run)->items[i].id, "0", T0 + 3);
    CHECK_INT_EQ(queued(ob).n, 2);   /* the checklist's response, the help call */
    form_ev(&a, EV_ANSWER, "44260-8", "1", T0 + 4);
    struct queued q = queued(ob);
    REQUIRE(q.n == 3);
    CHECK_STR_EQ(q.topic[2], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(field(q.payload[2], "reason", buf, sizeof buf), "safety");
    CHECK(strcmp(field(q.payload[2], "id", buf, sizeof buf), help_id) != 0);
    CHECK_STR_EQ(a.call_id, help_id);  /* the kiosk still shows the room's one call */
    CHECK_INT_EQ(a.run.view, RUN_MESSAGE);
    app_forms_free(&a);
    outbox_close(ob);
}

/* A reload while the patient is part-way waits for the next phase; before that, it is used at once. */
static void test_form_reload_waits_for_the_phase(void)
{
    struct app a;
    struct outbox *ob = fresh(&a, "forms-reload");
    REQUIRE(ob != NULL);
    struct qn_set *set = shipped_forms(), *next = shipped_forms(), *third = shipped_forms();
    REQUIRE(set && next && third);
    app_forms_attach(&a, set, NULL, T0);
    cmd(&a, "{\"cmd\":\"begin_visit\",\"visit\":\"V-11\"}", T0);
    app_forms_reload(&a, next);   /* nothing begun: at once */
    CHECK(a.forms == next && a.forms_next == NULL);
    CHECK_INT_EQ(a.run.view, RUN_INTRO);
    form_ev(&a, EV_START, NULL, NULL, T0);
    form_ev(&a, EV_ANSWER, "food", "no", T0);
    app_forms_reload(&a, third);  /* part-way: waits */
    CHECK(a.forms == next && a.forms_next == third);
    CHECK_INT_EQ(a.run.view, RUN_QUESTION);
    CHECK_STR_EQ(run_form(&a.run)->items[a.run.item].id, "drinks");
    cmd(&a, "{\"cmd\":\"phase\",\"phase\":\"discharge\"}", T0 + 1);
    CHECK(a.forms == third && a.forms_next == NULL);
    CHECK_STR_EQ(run_form(&a.run)->id, "discharge-checklist");
    app_forms_free(&a);
    outbox_close(ob);
}

int main(void)
{
    RUN(test_help_opens_call_then_realerts_same_id);
    RUN(test_acknowledged_then_cleared);
    RUN(test_retained_command_is_ignored);
    RUN(test_same_phase_writes_nothing);
    RUN(test_controller_online_resends_unconfirmed_call);
    RUN(test_status_heartbeat);
    RUN(test_state_survives_restart);
    RUN(test_end_visit_forgets_visit);
    RUN(test_checkin_prompt_answer_and_unwell);
    RUN(test_checkin_want_someone_and_unanswered);
    RUN(test_no_checkins_outside_infusion_and_recovery);
    RUN(test_end_of_observation_sends_ready_once);
    RUN(test_retained_call_is_adopted);
    RUN(test_unconfirmed_call_is_sent_again);
    RUN(test_form_rule_call_is_sent_again_with_its_detail);
    RUN(test_bedside_clear);
    RUN(test_staff_menu_locks_after_a_quiet_minute);
    RUN(test_pin_backoff);
    RUN(test_pin_lock_cap);
    RUN(test_form_rule_call_and_stopped_response);
    RUN(test_form_safety_call_joins_open_call);
    RUN(test_form_reload_waits_for_the_phase);
    unit_cleanup();
    return CHECK_SUMMARY();
}
