/*
 * test_board.c - the station's board (station/board.c) with fake time: tiles
 * from the contract's payloads (made with the contract's own encoders), the
 * next tier checked against the real paging state machine (room/calls.c),
 * heartbeats that make no event, refused payloads that change nothing, the
 * event ring's replay and overflow, reloads, the call order.  Every JSON the
 * board returns is parsed with cJSON before it is looked at.
 */
#include "board.h"
#include "calllog.h"
#include "calls.h"
#include "check.h"
#include "err.h"
#include "harness.h"
#include "roomcfg.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T 1795000000000LL  /* a time in 2026; every test counts from here */
#define S 1000LL
#define RECOVERY (30 * 60 * S)

/* Chains (as in tests/unit/test_calls.c): assist nurses@0, charge@10 s, repeat 5 s;
 * urgent nurses@0, charge@3 s, repeat 2 s; routine nurses@0, charge@60 s,
 * nurses@120 s, repeat 60 s. */
#define CHAINS \
    "prefix = \"haven\";\n" \
    "controller = { realert_min = 0; offline_grace_ms = 0; online_settle = 0; };\n" \
    "groups = [ \"nurses\", \"charge\" ];\n" \
    "priorities = {\n" \
    "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; },\n" \
    "                        { group = \"nurses\"; after = 120; } ); repeat = 60; ack_timeout = 120; };\n" \
    "  assist = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 10; } );\n" \
    "             repeat = 5; ack_timeout = 20; };\n" \
    "  urgent = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 3; } );\n" \
    "             repeat = 2; ack_timeout = 10; };\n" \
    "};\n"

static const char config_a[] = CHAINS
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
    "          { id = \"chair-3\"; } );\n";

/* The reload: chair-1 relabelled, chair-2 as it was, chair-3 gone, chair-4 new. */
static const char config_b[] = CHAINS
    "rooms = ( { id = \"chair-1\"; label = \"Chair One\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
    "          { id = \"chair-4\"; label = \"Chair 4\"; } );\n";

static char *tmp_dir;
static int serial;

static int load_config(const char *text, struct room_config *cfg)
{
    char path[600];
    struct cfg_error err;

    snprintf(path, sizeof path, "%s/haven-%d.cfg", tmp_dir, ++serial);
    if (hv_write_file(path, text) != 0 || roomcfg_load(path, cfg, &err) != 0) {
        fprintf(stderr, "  config: %s\n", err.text);
        return -1;
    }
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

/* The tile of room, parsed (caller deletes). */
static cJSON *tile(const board *b, const char *room)
{
    char *s = board_tile_json(b, room);
    cJSON *o = s ? cJSON_Parse(s) : NULL;

    free(s);
    return o;
}

static cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A number field as an integer; -1 when null, -2 when missing or not a number. */
static long long num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (cJSON_IsNull(v))
        return -1;
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -2;
}

static bool is_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(get(o, key));
}

static int feed(board *b, int (*fn)(board *, const char *, const char *, size_t, int64_t),
                const char *room, const char *payload, int64_t now)
{
    return fn(b, room, payload, payload ? strlen(payload) : 0, now);
}

static int status(board *b, const char *room, const char *payload, int64_t now)
{
    return feed(b, board_on_kiosk_status, room, payload, now);
}

static struct contract_call a_call(const char *id, const char *room, enum priority p,
                                   int64_t raised)
{
    struct contract_call c;

    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.room, sizeof c.room, "%s", room);
    snprintf(c.label, sizeof c.label, "%s", room);
    c.priority = p;
    c.reason = p == PRIO_URGENT ? REASON_SAFETY : p == PRIO_ASSIST ? REASON_HELP : REASON_READY;
    c.state = CALL_OPEN;
    c.raised_ms = raised;
    return c;
}

/* Publishes c on the room's P/call/R as the controller would (contract_encode_call). */
static int put_call(board *b, const struct contract_call *c, int64_t now)
{
    char *p = contract_encode_call(c);
    int rc = p ? board_on_call(b, c->room, p, strlen(p), now) : -999;

    free(p);
    return rc;
}

/* ---- the events a replay delivers --------------------------------------------------- */

struct seen {
    int n;
    int64_t seq[64];
    char name[64][16];
    char room[64][HV_ROOM_MAX];
    int bad;   /* data that is not a JSON object */
};

static void on_event(void *ctx, int64_t seq, const char *event, const char *data)
{
    struct seen *s = ctx;
    cJSON *o = cJSON_Parse(data);

    if (!cJSON_IsObject(o))
        s->bad++;
    if (s->n < 64) {
        s->seq[s->n] = seq;
        snprintf(s->name[s->n], sizeof s->name[0], "%s", event);
        snprintf(s->room[s->n], sizeof s->room[0], "%s", str(o, "id") ? str(o, "id") : "");
    }
    s->n++;
    cJSON_Delete(o);
}

/* ---- tests --------------------------------------------------------------------------- */

static struct room_config cfg;

/* A new board: every room of the config in its order, all unknown; no event yet. */
static void test_initial_snapshot(void)
{
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    char *s = board_snapshot_json(b, T);
    cJSON *o = s ? cJSON_Parse(s) : NULL;
    const cJSON *rooms = get(o, "rooms"), *st = get(o, "station");

    CHECK(o != NULL);
    CHECK_INT_EQ(num(o, "seq"), 0);
    CHECK_INT_EQ(num(o, "now"), T);
    CHECK_INT_EQ(board_seq(b), 0);
    CHECK_INT_EQ(cJSON_GetArraySize(rooms), 3);
    CHECK_STR_EQ(str(cJSON_GetArrayItem(rooms, 0), "id"), "chair-1");
    CHECK_STR_EQ(str(cJSON_GetArrayItem(rooms, 0), "label"), "Chair 1");
    CHECK_STR_EQ(str(cJSON_GetArrayItem(rooms, 2), "id"), "chair-3");
    const cJSON *t = cJSON_GetArrayItem(rooms, 1);
    CHECK_STR_EQ(str(t, "kiosk"), "unknown");
    CHECK(is_null(t, "phase") && is_null(t, "phase_since") && is_null(t, "visit"));
    CHECK(is_null(t, "observe_until") && is_null(t, "scene") && is_null(t, "call"));
    CHECK(cJSON_IsFalse(get(st, "broker")) && cJSON_IsFalse(get(st, "controller")));
    CHECK_INT_EQ(cJSON_GetArraySize(get(st, "controllers")), 0);
    CHECK_INT_EQ(num(st, "boards"), 0);
    CHECK_INT_EQ(num(st, "armed"), 0);
    CHECK(board_tile_json(b, "chair-9") == NULL);
    CHECK(board_new(NULL, 0, 16) == NULL);
    cJSON_Delete(o);
    free(s);
    board_free(b);
}

/* A call's life on its tile: open with the next tier, escalations, ack (no next), cleared. */
static void test_call_lifecycle(void)
{
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    struct contract_call c = a_call("c-1", "chair-1", PRIO_ASSIST, T);
    snprintf(c.detail, sizeof c.detail, "%s", "needs a blanket");

    CHECK_INT_EQ(put_call(b, &c, T + 50), 0);
    CHECK_INT_EQ(board_seq(b), 1);
    cJSON *o = tile(b, "chair-1"), *call = get(o, "call");
    CHECK_STR_EQ(str(call, "id"), "c-1");
    CHECK_STR_EQ(str(call, "priority"), "assist");
    CHECK_STR_EQ(str(call, "reason"), "help");
    CHECK_STR_EQ(str(call, "detail"), "needs a blanket");
    CHECK_STR_EQ(str(call, "state"), "open");
    CHECK_INT_EQ(num(call, "raised"), T);
    CHECK(is_null(call, "acknowledged") && is_null(call, "by"));
    CHECK_INT_EQ(num(call, "escalation"), 0);
    CHECK_INT_EQ(num(call, "next_tier_at"), T + 10 * S);
    CHECK_STR_EQ(str(call, "next_group"), "charge");
    cJSON_Delete(o);

    /* The same call published again (the controller's reconnect): nothing shown changes. */
    CHECK_INT_EQ(put_call(b, &c, T + 3 * S), 0);
    CHECK_INT_EQ(board_seq(b), 1);

    c.escalation = 1;  /* charge paged at 10 s; past the chain, charge every 5 s */
    CHECK_INT_EQ(put_call(b, &c, T + 10 * S), 0);
    o = tile(b, "chair-1");
    CHECK_INT_EQ(num(get(o, "call"), "next_tier_at"), T + 15 * S);
    CHECK_STR_EQ(str(get(o, "call"), "next_group"), "charge");
    cJSON_Delete(o);
    c.escalation = 2;
    CHECK_INT_EQ(put_call(b, &c, T + 15 * S), 0);
    o = tile(b, "chair-1");
    CHECK_INT_EQ(num(get(o, "call"), "next_tier_at"), T + 20 * S);
    cJSON_Delete(o);

    c.state = CALL_ACKNOWLEDGED;
    c.acknowledged_ms = T + 17 * S;
    snprintf(c.by, sizeof c.by, "%s", "sam");
    CHECK_INT_EQ(put_call(b, &c, T + 17 * S), 0);
    o = tile(b, "chair-1");
    call = get(o, "call");
    CHECK_STR_EQ(str(call, "state"), "acknowledged");
    CHECK_STR_EQ(str(call, "by"), "sam");
    CHECK_INT_EQ(num(call, "acknowledged"), T + 17 * S);
    CHECK(is_null(call, "next_tier_at") && is_null(call, "next_group"));
    cJSON_Delete(o);

    int64_t before = board_seq(b);
    CHECK_INT_EQ(board_on_call(b, "chair-1", "", 0, T + 20 * S), 0);
    CHECK_INT_EQ(board_seq(b), before + 1);
    o = tile(b, "chair-1");
    CHECK(is_null(o, "call"));
    cJSON_Delete(o);
    CHECK_INT_EQ(board_on_call(b, "chair-1", "", 0, T + 21 * S), 0);  /* empty again: no event */
    CHECK_INT_EQ(board_seq(b), before + 1);
    board_free(b);
}

/* Issue 14: the tile lists every concern of the call, with what came past the list. */
static void test_call_concerns(void)
{
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    struct contract_call c = a_call("c-1", "chair-1", PRIO_ASSIST, T);
    snprintf(c.detail, sizeof c.detail, "%s", "chest pain");
    c.nconcerns = 2;
    c.concerns[0] = (struct contract_concern){ REASON_HELP, PRIO_ROUTINE, T, "ate" };
    c.concerns[1] = (struct contract_concern){ REASON_HELP, PRIO_ASSIST, T + S, "chest pain" };

    CHECK_INT_EQ(put_call(b, &c, T + S), 0);
    cJSON *o = tile(b, "chair-1"), *ks = get(get(o, "call"), "concerns");
    CHECK_INT_EQ(cJSON_GetArraySize(ks), 2);
    CHECK_STR_EQ(str(cJSON_GetArrayItem(ks, 0), "detail"), "ate");
    CHECK_STR_EQ(str(cJSON_GetArrayItem(ks, 0), "priority"), "routine");
    CHECK_STR_EQ(str(cJSON_GetArrayItem(ks, 1), "detail"), "chest pain");
    CHECK_STR_EQ(str(cJSON_GetArrayItem(ks, 1), "priority"), "assist");
    CHECK_INT_EQ(num(get(o, "call"), "concerns_more"), 0);
    cJSON_Delete(o);

    int64_t before = board_seq(b);  /* one more concern: the boards are told */
    c.concerns[2] = (struct contract_concern){ REASON_UNWELL, PRIO_ROUTINE, T + 2 * S, "dizzy" };
    c.nconcerns = 3;
    c.concerns_more = 1;
    CHECK_INT_EQ(put_call(b, &c, T + 2 * S), 0);
    CHECK_INT_EQ(board_seq(b), before + 1);
    o = tile(b, "chair-1");
    ks = get(get(o, "call"), "concerns");
    CHECK_INT_EQ(cJSON_GetArraySize(ks), 3);
    CHECK_STR_EQ(str(cJSON_GetArrayItem(ks, 2), "reason"), "unwell");
    CHECK_INT_EQ(num(get(o, "call"), "concerns_more"), 1);
    cJSON_Delete(o);
    board_free(b);
}

/* A routine chain of three steps: each step's time and group, then the repeats. */
static void test_chain_steps_and_repeats(void)
{
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    struct contract_call c = a_call("r-1", "chair-2", PRIO_ROUTINE, T);
    static const struct { long long at; const char *group; } want[] = {
        { T + 60 * S, "charge" }, { T + 120 * S, "nurses" }, { T + 180 * S, "nurses" },
        { T + 240 * S, "nurses" }, { T + 300 * S, "nurses" },
    };

    for (int e = 0; e < 5; e++) {
        c.escalation = e;
        CHECK_INT_EQ(put_call(b, &c, T + e * S), 0);
        cJSON *o = tile(b, "chair-2");
        CHECK_INT_EQ(num(get(o, "call"), "next_tier_at"), want[e].at);
        CHECK_STR_EQ(str(get(o, "call"), "next_group"), want[e].group);
        cJSON_Delete(o);
    }
    board_free(b);
}

/* ---- the board against the real controller's calls.c ---- */

struct ctl {
    char last[4096];      /* the room's last published call ("" for none) */
    char group[HV_NAME_MAX];
    int pages;
};

static void ctl_publish(void *ctx, const char *room, const struct contract_call *call)
{
    struct ctl *c = ctx;
    char *p = call ? contract_encode_call(call) : NULL;

    (void)room;
    snprintf(c->last, sizeof c->last, "%s", p ? p : "");
    free(p);
}

static void ctl_page(void *ctx, const char *group, const struct contract_call *call, int64_t seq)
{
    struct ctl *c = ctx;

    (void)call;
    (void)seq;
    snprintf(c->group, sizeof c->group, "%s", group);
    c->pages++;
}

static const struct calls_ops ctl_ops = { ctl_publish, ctl_page };

/* After each publish, the tile's next_tier_at must be calls_next_due and next_group the group
 * that calls.c then pages. */
static void follow(board *b, calls *cs, struct ctl *ctl, const char *room, int64_t now,
                   int rounds)
{
    for (int i = 0; i < rounds; i++) {
        CHECK_INT_EQ(board_on_call(b, room, ctl->last, strlen(ctl->last), now), 0);
        cJSON *o = tile(b, room), *call = get(o, "call");
        const char *g = str(call, "next_group");
        char want[HV_NAME_MAX];
        snprintf(want, sizeof want, "%s", g ? g : "?");
        int64_t due = calls_next_due(cs);
        CHECK_INT_EQ(num(call, "next_tier_at"), due);
        cJSON_Delete(o);
        now = due;
        calls_tick(cs, now);
        CHECK_STR_EQ(ctl->group, want);
    }
}

static void test_next_tier_matches_calls(void)
{
    char db[600];
    struct ctl ctl;
    struct msg_call m;

    memset(&ctl, 0, sizeof ctl);
    snprintf(db, sizeof db, "%s/calls-%d.db", tmp_dir, ++serial);
    calllog *log = calllog_open(db);
    calls *cs = log ? calls_new(&cfg, log, &ctl_ops, &ctl) : NULL;
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(log && cs && b);

    memset(&m, 0, sizeof m);
    snprintf(m.id, sizeof m.id, "%s", "k-1");
    m.reason = REASON_READY;  /* routine: three steps, then repeats */
    calls_raise(cs, "chair-3", &m, T);
    follow(b, cs, &ctl, "chair-3", T, 6);

    /* An upgrade (a second, urgent call in the same room) restarts the chain at its time. */
    int64_t now = T + 400 * S;
    snprintf(m.id, sizeof m.id, "%s", "k-2");
    m.reason = REASON_SAFETY;
    calls_raise(cs, "chair-3", &m, now);
    follow(b, cs, &ctl, "chair-3", now, 5);
    CHECK(ctl.pages >= 12);

    board_free(b);
    calls_free(cs);
    calllog_close(log);
}

/* Kiosk status: phases and their start, the observation countdown, heartbeats, the will. */
static void test_kiosk_status(void)
{
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    char *p = contract_encode_kiosk_status_beat(PHASE_INFUSION, "V-1042", 2500, T);

    CHECK_INT_EQ(status(b, "chair-1", p, T), 0);
    free(p);
    CHECK_INT_EQ(board_seq(b), 1);
    cJSON *o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "kiosk"), "online");
    CHECK_STR_EQ(str(o, "phase"), "infusion");
    CHECK_INT_EQ(num(o, "phase_since"), T);
    CHECK_STR_EQ(str(o, "visit"), "V-1042");
    CHECK(is_null(o, "observe_until"));
    cJSON_Delete(o);

    /* Forty heartbeats, each with its own ts, one with another beat: no event. */
    for (int i = 1; i <= 40; i++) {
        p = contract_encode_kiosk_status_beat(PHASE_INFUSION, "V-1042", i == 20 ? 5000 : 2500,
                                              T + i * 2500);
        CHECK_INT_EQ(status(b, "chair-1", p, T + i * 2500), 0);
        free(p);
    }
    CHECK_INT_EQ(board_seq(b), 1);

    p = contract_encode_kiosk_status_beat(PHASE_RECOVERY, "V-1042", 2500, T + 200 * S);
    CHECK_INT_EQ(status(b, "chair-1", p, T + 200 * S), 0);
    free(p);
    CHECK_INT_EQ(board_seq(b), 2);
    o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "phase"), "recovery");
    CHECK_INT_EQ(num(o, "phase_since"), T + 200 * S);
    CHECK_INT_EQ(num(o, "observe_until"), T + 200 * S + RECOVERY);
    cJSON_Delete(o);

    /* The will: offline, the phase and its start kept. */
    CHECK_INT_EQ(status(b, "chair-1", "{\"online\":false}", T + 300 * S), 0);
    CHECK_INT_EQ(board_seq(b), 3);
    o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "kiosk"), "offline");
    CHECK_STR_EQ(str(o, "phase"), "recovery");
    CHECK_INT_EQ(num(o, "phase_since"), T + 200 * S);
    CHECK_STR_EQ(str(o, "visit"), "V-1042");
    CHECK_INT_EQ(num(o, "observe_until"), T + 200 * S + RECOVERY);
    cJSON_Delete(o);
    CHECK_INT_EQ(status(b, "chair-1", "{\"online\":false}", T + 301 * S), 0);
    CHECK_INT_EQ(board_seq(b), 3);

    /* Back in the same phase: online, its start unchanged. */
    p = contract_encode_kiosk_status_beat(PHASE_RECOVERY, "V-1042", 2500, T + 320 * S);
    CHECK_INT_EQ(status(b, "chair-1", p, T + 320 * S), 0);
    free(p);
    CHECK_INT_EQ(board_seq(b), 4);
    o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "kiosk"), "online");
    CHECK_INT_EQ(num(o, "phase_since"), T + 200 * S);
    cJSON_Delete(o);

    /* Idle, no visit. */
    p = contract_encode_kiosk_status(PHASE_IDLE, "", T + 400 * S);
    CHECK_INT_EQ(status(b, "chair-1", p, T + 400 * S), 0);
    free(p);
    o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "phase"), "idle");
    CHECK(is_null(o, "visit") && is_null(o, "observe_until"));
    cJSON_Delete(o);

    /* Empty retained status: unknown. */
    CHECK_INT_EQ(board_on_kiosk_status(b, "chair-1", "", 0, T + 500 * S), 0);
    o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "kiosk"), "unknown");
    CHECK(is_null(o, "phase") && is_null(o, "phase_since") && is_null(o, "visit"));
    cJSON_Delete(o);
    board_free(b);

    /* recovery_ms 0: no countdown. */
    b = board_new(&cfg, 0, 16);
    REQUIRE(b);
    p = contract_encode_kiosk_status(PHASE_RECOVERY, "V-1", T);
    CHECK_INT_EQ(status(b, "chair-2", p, T), 0);
    free(p);
    o = tile(b, "chair-2");
    CHECK(is_null(o, "observe_until"));
    CHECK_INT_EQ(num(o, "phase_since"), T);
    cJSON_Delete(o);
    board_free(b);
}

static void test_lights_state(void)
{
    board *b = board_new(&cfg, RECOVERY, 16);
    REQUIRE(b);
    char *p = contract_encode_lights_state("infusion", 40.0, 3000, T);

    CHECK_INT_EQ(feed(b, board_on_lights_state, "chair-2", p, T), 0);
    free(p);
    cJSON *o = tile(b, "chair-2");
    CHECK_STR_EQ(str(o, "scene"), "infusion");
    cJSON_Delete(o);
    CHECK_INT_EQ(board_seq(b), 1);
    p = contract_encode_lights_state("infusion", 41.0, 3100, T + S);  /* a fade step: same scene */
    CHECK_INT_EQ(feed(b, board_on_lights_state, "chair-2", p, T + S), 0);
    free(p);
    CHECK_INT_EQ(board_seq(b), 1);
    CHECK_INT_EQ(feed(b, board_on_lights_state, "chair-2", "{\"scene\":null}", T + 2 * S), 0);
    o = tile(b, "chair-2");
    CHECK(is_null(o, "scene"));
    cJSON_Delete(o);
    CHECK_INT_EQ(feed(b, board_on_lights_state, "chair-2", "{\"scene\":\"override\"}", T), 0);
    CHECK_INT_EQ(board_on_lights_state(b, "chair-2", "", 0, T), 0);
    o = tile(b, "chair-2");
    CHECK(is_null(o, "scene"));
    cJSON_Delete(o);
    CHECK_INT_EQ(board_seq(b), 4);
    board_free(b);
}

/* The station object: broker link, controllers, boards and armed; repeats make no event. */
static void test_station(void)
{
    board *b = board_new(&cfg, RECOVERY, 16);
    REQUIRE(b);
    struct seen s;
    const char *const rooms[] = { "chair-1" };
    char *p = contract_encode_controller_status(true, rooms, 1, T);

    board_on_link(b, true);
    board_on_link(b, true);
    CHECK_INT_EQ(board_seq(b), 1);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "room-1", p, T), 0);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "room-1", p, T + S), 0);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "room-0", p, T + S), 0);
    free(p);
    CHECK_INT_EQ(board_seq(b), 3);
    board_set_boards(b, 2, 1);
    board_set_boards(b, 2, 1);
    CHECK_INT_EQ(board_seq(b), 4);

    char *snap = board_snapshot_json(b, T);
    cJSON *o = snap ? cJSON_Parse(snap) : NULL, *st = get(o, "station");
    CHECK(cJSON_IsTrue(get(st, "broker")) && cJSON_IsTrue(get(st, "controller")));
    CHECK_INT_EQ(cJSON_GetArraySize(get(st, "controllers")), 2);
    CHECK_STR_EQ(cJSON_GetArrayItem(get(st, "controllers"), 0)->valuestring, "room-0");
    CHECK_STR_EQ(cJSON_GetArrayItem(get(st, "controllers"), 1)->valuestring, "room-1");
    CHECK_INT_EQ(num(st, "boards"), 2);
    CHECK_INT_EQ(num(st, "armed"), 1);
    CHECK_INT_EQ(num(o, "seq"), 4);
    cJSON_Delete(o);
    free(snap);

    /* At most 16 controllers are followed; the 17th is refused, nothing changes. */
    for (int i = 2; i < 16; i++) {
        char id[16];
        snprintf(id, sizeof id, "room-%02d", i);
        CHECK_INT_EQ(feed(b, board_on_controller_status, id, "{\"online\":true}", T), 0);
        CHECK_INT_EQ(feed(b, board_on_controller_status, id, "{\"online\":false}", T), 0);
    }
    for (int i = 2; i < 16; i++) {
        char id[16];
        snprintf(id, sizeof id, "room-%02d", i);
        CHECK_INT_EQ(feed(b, board_on_controller_status, id, "{\"online\":true}", T), 0);
    }
    int64_t full = board_seq(b);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "room-99", "{\"online\":true}", T),
                 HV_EINVAL);
    CHECK_INT_EQ(board_seq(b), full);
    for (int i = 2; i < 16; i++) {
        char id[16];
        snprintf(id, sizeof id, "room-%02d", i);
        CHECK_INT_EQ(feed(b, board_on_controller_status, id, "", T), 0);
    }
    CHECK_INT_EQ(board_seq(b), full + 14);

    /* The will of one, the empty status of the other: no controller. */
    CHECK_INT_EQ(feed(b, board_on_controller_status, "room-1", "{\"online\":false}", T), 0);
    CHECK_INT_EQ(board_on_controller_status(b, "room-0", "", 0, T), 0);
    board_on_link(b, false);
    memset(&s, 0, sizeof s);
    CHECK_INT_EQ(board_events_since(b, board_seq(b) - 3, on_event, &s), 3);
    CHECK_INT_EQ(s.bad, 0);
    CHECK_STR_EQ(s.name[2], "station");
    char *t = board_snapshot_json(b, T);
    o = t ? cJSON_Parse(t) : NULL;
    st = get(o, "station");
    CHECK(cJSON_IsFalse(get(st, "broker")) && cJSON_IsFalse(get(st, "controller")));
    CHECK_INT_EQ(cJSON_GetArraySize(get(st, "controllers")), 0);
    cJSON_Delete(o);
    free(t);
    board_free(b);
}

/* Refused payloads: HV_EINVAL, no event, and the picture exactly as before. */
static void test_bad_inputs(void)
{
    board *b = board_new(&cfg, RECOVERY, 16);
    REQUIRE(b);
    static char big[70000];
    static const char *const not_calls[] = {
        "not json", "[]", "{}", "{\"id\":\"c-1\"}", "{\"id\":5,\"priority\":\"assist\"}",
        "{\"id\":\"c-1\",\"priority\":\"high\",\"reason\":\"help\",\"state\":\"open\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"done\"}",
        "{\"id\":\"c-1\",\"room\":\"chair-2\",\"priority\":\"assist\",\"reason\":\"help\","
        "\"state\":\"open\"}",  /* another room's call */
        "{\"id\":\"c-1\",\"id\":\"c-2\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\"}",
        "{\"id\":\"c-1\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\"} x",
        "{\"id\":\"c\xff\",\"priority\":\"assist\",\"reason\":\"help\",\"state\":\"open\"}",
    };
    static const char *const not_statuses[] = {
        "nope", "{\"online\":\"yes\"}", "{\"phase\":\"infusion\"}", "{\"online\":true,\"phase\":\"nap\"}",
        "{\"online\":true,\"phase\":7}", "{\"online\":true,\"beat\":10}",
        "{\"online\":true,\"visit\":42}", "{\"online\":true} {\"online\":false}",
    };
    static const char *const not_lights[] = {
        "scene", "{\"scene\":5}", "{\"scene\":\"Bad Scene\"}", "{\"scene\":\"\"}",
        "{\"brightness\":1}", "{\"scene\":\"a\",\"kelvin\":\"warm\"}", "[\"infusion\"]",
        "{\"scene\":\"a\\u0000b\"}",
    };
    static const char *const not_controllers[] = {
        "x", "{}", "{\"online\":1}", "{\"online\":true,\"rooms\":\"chair-1\"}", "null",
    };
    char *p = contract_encode_kiosk_status(PHASE_INTAKE, "V-7", T);

    CHECK_INT_EQ(status(b, "chair-1", p, T), 0);
    free(p);
    char *before = board_snapshot_json(b, T);
    int64_t seq = board_seq(b);

    for (size_t i = 0; i < sizeof not_calls / sizeof *not_calls; i++)
        CHECK_INT_EQ(feed(b, board_on_call, "chair-1", not_calls[i], T), HV_EINVAL);
    for (size_t i = 0; i < sizeof not_statuses / sizeof *not_statuses; i++)
        CHECK_INT_EQ(status(b, "chair-1", not_statuses[i], T), HV_EINVAL);
    for (size_t i = 0; i < sizeof not_lights / sizeof *not_lights; i++)
        CHECK_INT_EQ(feed(b, board_on_lights_state, "chair-1", not_lights[i], T), HV_EINVAL);
    for (size_t i = 0; i < sizeof not_controllers / sizeof *not_controllers; i++)
        CHECK_INT_EQ(feed(b, board_on_controller_status, "room-1", not_controllers[i], T),
                     HV_EINVAL);
    /* Oversized: 70,000 bytes of an otherwise fine object. */
    memset(big, ' ', sizeof big - 1);
    memcpy(big, "{\"online\":true}", 15);
    CHECK_INT_EQ(board_on_kiosk_status(b, "chair-1", big, sizeof big - 1, T), HV_EINVAL);
    CHECK_INT_EQ(board_on_lights_state(b, "chair-1", big, sizeof big - 1, T), HV_EINVAL);
    CHECK_INT_EQ(board_on_controller_status(b, "room-1", big, sizeof big - 1, T), HV_EINVAL);
    CHECK_INT_EQ(board_on_call(b, "chair-1", big, sizeof big - 1, T), HV_EINVAL);
    /* A NUL inside the bytes. */
    CHECK_INT_EQ(board_on_kiosk_status(b, "chair-1", "{\"online\":true}\0", 16, T), HV_EINVAL);
    /* Unknown rooms and bad controller ids, even with good payloads. */
    p = contract_encode_kiosk_status(PHASE_IDLE, "", T);
    CHECK_INT_EQ(status(b, "chair-9", p, T), HV_EINVAL);
    CHECK_INT_EQ(status(b, NULL, p, T), HV_EINVAL);
    CHECK_INT_EQ(board_on_call(b, "chair-9", "", 0, T), HV_EINVAL);
    CHECK_INT_EQ(board_on_lights_state(b, "chair-9", "", 0, T), HV_EINVAL);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "", "{\"online\":true}", T), HV_EINVAL);
    CHECK_INT_EQ(feed(b, board_on_controller_status, "a/b", "{\"online\":true}", T), HV_EINVAL);
    free(p);

    char *after = board_snapshot_json(b, T);
    CHECK_INT_EQ(board_seq(b), seq);
    CHECK_STR_EQ(after, before);
    free(before);
    free(after);
    board_free(b);
}

/* The ring: a replay after n, n == seq (nothing), too old or from the future (-1). */
static void test_ring(void)
{
    board *b = board_new(&cfg, RECOVERY, 16);
    REQUIRE(b);
    struct seen s;

    memset(&s, 0, sizeof s);
    CHECK_INT_EQ(board_events_since(b, 0, on_event, &s), 0);  /* nothing yet */
    CHECK_INT_EQ(board_events_since(b, 1, on_event, &s), -1);
    for (int i = 0; i < 40; i++)  /* each a new board count: one event each */
        board_set_boards(b, i + 1, 0);
    CHECK_INT_EQ(board_seq(b), 40);

    CHECK_INT_EQ(board_events_since(b, 40, on_event, &s), 0);
    CHECK_INT_EQ(s.n, 0);
    CHECK_INT_EQ(board_events_since(b, 41, on_event, &s), -1);
    CHECK_INT_EQ(board_events_since(b, 0, on_event, &s), -1);   /* overflowed */
    CHECK_INT_EQ(board_events_since(b, 23, on_event, &s), -1);  /* 24 is gone */
    CHECK_INT_EQ(board_events_since(b, -1, on_event, &s), -1);
    CHECK_INT_EQ(s.n, 0);
    CHECK_INT_EQ(board_events_since(b, 24, on_event, &s), 16);  /* the ring's all */
    CHECK_INT_EQ(s.seq[0], 25);
    CHECK_INT_EQ(s.seq[15], 40);
    CHECK_INT_EQ(s.bad, 0);
    memset(&s, 0, sizeof s);

    /* Room events interleaved, in order, with the whole tile. */
    struct contract_call c = a_call("c-9", "chair-2", PRIO_URGENT, T);
    CHECK_INT_EQ(put_call(b, &c, T), 0);
    board_on_link(b, true);
    CHECK_INT_EQ(board_events_since(b, 38, on_event, &s), 4);
    CHECK_INT_EQ(s.seq[0], 39);
    CHECK_INT_EQ(s.seq[3], 42);
    CHECK_STR_EQ(s.name[1], "station");
    CHECK_STR_EQ(s.name[2], "room");
    CHECK_STR_EQ(s.room[2], "chair-2");
    CHECK_STR_EQ(s.name[3], "station");
    CHECK_INT_EQ(s.bad, 0);
    /* No callback: still the count. */
    CHECK_INT_EQ(board_events_since(b, 40, NULL, NULL), 2);
    board_free(b);
}

/* A reload: kept rooms keep their state; relabelled and new rooms make events; removed go. */
static void test_set_config(void)
{
    struct room_config cfg_b;
    board *b = board_new(&cfg, RECOVERY, 64);
    REQUIRE(b);
    REQUIRE(load_config(config_b, &cfg_b) == 0);
    struct contract_call c = a_call("c-1", "chair-1", PRIO_ASSIST, T);
    char *p = contract_encode_kiosk_status(PHASE_INFUSION, "V-2", T);
    struct seen s;

    CHECK_INT_EQ(put_call(b, &c, T), 0);
    CHECK_INT_EQ(status(b, "chair-2", p, T), 0);
    free(p);
    int64_t seq = board_seq(b);
    board_set_config(b, &cfg_b, RECOVERY);
    memset(&s, 0, sizeof s);
    CHECK_INT_EQ(board_events_since(b, seq, on_event, &s), 2);
    CHECK_STR_EQ(s.room[0], "chair-1");
    CHECK_STR_EQ(s.room[1], "chair-4");

    cJSON *o = tile(b, "chair-1");
    CHECK_STR_EQ(str(o, "label"), "Chair One");
    CHECK_STR_EQ(str(get(o, "call"), "id"), "c-1");
    CHECK_INT_EQ(num(get(o, "call"), "next_tier_at"), T + 10 * S);
    cJSON_Delete(o);
    o = tile(b, "chair-2");
    CHECK_STR_EQ(str(o, "phase"), "infusion");
    CHECK_INT_EQ(num(o, "phase_since"), T);
    cJSON_Delete(o);
    o = tile(b, "chair-4");
    CHECK_STR_EQ(str(o, "kiosk"), "unknown");
    cJSON_Delete(o);
    CHECK(board_tile_json(b, "chair-3") == NULL);
    CHECK_INT_EQ(board_on_call(b, "chair-3", "", 0, T), HV_EINVAL);

    char *snap = board_snapshot_json(b, T);
    o = snap ? cJSON_Parse(snap) : NULL;
    CHECK_INT_EQ(cJSON_GetArraySize(get(o, "rooms")), 3);
    CHECK_STR_EQ(str(cJSON_GetArrayItem(get(o, "rooms"), 2), "id"), "chair-4");
    cJSON_Delete(o);
    free(snap);

    /* The same config again: nothing changes, no event. */
    seq = board_seq(b);
    board_set_config(b, &cfg_b, RECOVERY);
    CHECK_INT_EQ(board_seq(b), seq);
    /* A new recovery time changes only tiles in recovery (none yet): no event. */
    board_set_config(b, &cfg_b, 10 * S);
    CHECK_INT_EQ(board_seq(b), seq);
    p = contract_encode_kiosk_status(PHASE_RECOVERY, "V-2", T + 60 * S);
    CHECK_INT_EQ(status(b, "chair-2", p, T + 60 * S), 0);
    free(p);
    seq = board_seq(b);
    board_set_config(b, &cfg_b, 20 * S);  /* ... now chair-2's countdown moves */
    memset(&s, 0, sizeof s);
    CHECK_INT_EQ(board_events_since(b, seq, on_event, &s), 1);
    CHECK_STR_EQ(s.room[0], "chair-2");
    o = tile(b, "chair-2");
    CHECK_INT_EQ(num(o, "observe_until"), T + 80 * S);
    cJSON_Delete(o);
    board_free(b);
    roomcfg_free(&cfg_b);
}

/* Open calls: urgent first, then the oldest; the count even past max. */
static void test_call_order(void)
{
    board *b = board_new(&cfg, RECOVERY, 16);
    REQUIRE(b);
    const char *rooms[3] = { NULL, NULL, NULL };
    struct contract_call c1 = a_call("a", "chair-1", PRIO_ROUTINE, T);
    struct contract_call c2 = a_call("b", "chair-2", PRIO_ASSIST, T + 5 * S);
    struct contract_call c3 = a_call("c", "chair-3", PRIO_ASSIST, T + 2 * S);

    CHECK_INT_EQ(board_call_order(b, rooms, 3), 0);
    CHECK_INT_EQ(put_call(b, &c1, T), 0);
    CHECK_INT_EQ(put_call(b, &c2, T), 0);
    CHECK_INT_EQ(put_call(b, &c3, T), 0);
    CHECK_INT_EQ(board_call_order(b, rooms, 3), 3);
    CHECK_STR_EQ(rooms[0], "chair-3");
    CHECK_STR_EQ(rooms[1], "chair-2");
    CHECK_STR_EQ(rooms[2], "chair-1");

    c1.priority = PRIO_URGENT;  /* the newest, but urgent */
    c1.raised_ms = T + 9 * S;
    CHECK_INT_EQ(put_call(b, &c1, T + 9 * S), 0);
    rooms[1] = NULL;
    CHECK_INT_EQ(board_call_order(b, rooms, 1), 3);
    CHECK_STR_EQ(rooms[0], "chair-1");
    CHECK(rooms[1] == NULL);
    board_free(b);
}

int main(void)
{
    tmp_dir = hv_tmpdir("board");
    if (!tmp_dir || load_config(config_a, &cfg) != 0) {
        fprintf(stderr, "test_board: no fixture\n");
        return 1;
    }
    RUN(test_initial_snapshot);
    RUN(test_call_lifecycle);
    RUN(test_call_concerns);
    RUN(test_chain_steps_and_repeats);
    RUN(test_next_tier_matches_calls);
    RUN(test_kiosk_status);
    RUN(test_lights_state);
    RUN(test_station);
    RUN(test_bad_inputs);
    RUN(test_ring);
    RUN(test_set_config);
    RUN(test_call_order);
    roomcfg_free(&cfg);
    hv_rm_rf(tmp_dir);
    free(tmp_dir);
    return CHECK_SUMMARY();
}
