/*
 * test_acl.c - the production broker's passwords and ACL against the real
 * controller: a kiosk speaks only for its own chair, a pager cannot silence
 * a call, nobody gets in without a password.
 *
 * The broker runs config/mosquitto/haven-prod.conf's settings with the
 * password file and ACL that scripts/make-credentials made for this clinic
 * (tests/security/sec_kit.h); the clients log in with the passwords it made.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"
#include "sec_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sec_env env;

/* A client logged in as user on the plain listener (sec_login), or NULL. */
static hv_client *login(const struct room_fixture *f, const char *user, const char *name)
{
    return sec_login(&env, f, user, name);
}

static int pub(hv_client *c, const struct room_fixture *f, const char *rest, const char *payload,
               bool retain)
{
    return hv_client_pub(c, rf_topic(f, rest), payload, 1, retain);
}

static void test_no_login_without_a_valid_password(void)
{
    struct room_fixture f;
    struct hv_client_opts o = { .client_id = "anon" };
    int connack = 0;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);  /* the controller's own login works */
    o.port = f.port;
    CHECK(hv_client_new_opts(&o, &connack) == NULL);
    CHECK_INT_EQ(connack, 5);  /* not authorised */

    o = sec_user(&env, "kiosk-chair-1", false);
    o.port = f.port;
    o.client_id = "wrong-password";
    o.password = "not-the-password";
    CHECK(hv_client_new_opts(&o, &connack) == NULL);
    CHECK(connack == 4 || connack == 5);

    o.username = "kiosk-chair-9";  /* a room that is not in the clinic */
    CHECK(hv_client_new_opts(&o, &connack) == NULL);
    CHECK(connack == 4 || connack == 5);

    hv_client *good = login(&f, "kiosk-chair-1", "good");
    CHECK(good != NULL);
    hv_client_free(good);
    rf_finish(&f);
}

static void test_kiosk_cannot_call_for_another_chair(void)
{
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    hv_client *pager = login(&f, "pager-nurses", "pager");
    REQUIRE(k1 && pager && hv_client_sub(pager, rf_topic(&f, "page/#"), 1) == 0);

    /* chair-1's credential, speaking for chair-2: the broker acknowledges and drops it. */
    CHECK(pub(k1, &f, "room/chair-2/kiosk/call", "{\"id\":\"forged-1\",\"reason\":\"help\"}",
              false) == 0);
    /* ... nor may it fake the room's call, a page, or a command. */
    CHECK(pub(k1, &f, "call/chair-2", "{\"id\":\"forged-2\",\"room\":\"chair-2\"}", true) == 0);
    CHECK(pub(k1, &f, "page/nurses", "{\"id\":\"forged-3\",\"room\":\"chair-2\"}", false) == 0);
    CHECK(pub(k1, &f, "call/chair-2/ack", "{\"id\":\"forged-4\",\"by\":\"x\"}", false) == 0);
    CHECK(pub(k1, &f, "call/chair-2/ack/kiosk-chair-1", "{\"id\":\"forged-5\"}", false) == 0);
    CHECK(pub(k1, &f, "call/chair-2/ack/pager-nurses", "{\"id\":\"forged-6\"}", false) == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/#"), 1500));
    /* The observer (reads everything) saw none of it: the broker dropped them. */
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-2/#")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "page/#")), 0);
    for (char *m; (m = hv_client_expect(f.obs, NULL, 0)); free(m))
        CHECK(!strstr(m, "forged"));
    char *log = hv_read_file(f.log_path);
    CHECK(log && !strstr(log, "forged"));
    free(log);

    /* Its own chair: paged. */
    CHECK(pub(k1, &f, "room/chair-1/kiosk/call", "{\"id\":\"own-1\",\"reason\":\"help\"}",
              false) == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 3000);
    CHECK(page != NULL);
    CHECK_STR_EQ(page ? json_str(page, "room") : NULL, "chair-1");
    CHECK_STR_EQ(page ? json_str(page, "id") : NULL, "own-1");
    free(page);

    hv_client_free(k1);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_kiosk_reads_only_its_own_chair(void)
{
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    hv_client *k2 = login(&f, "kiosk-chair-2", "k2");
    hv_client *station = login(&f, "station", "station");
    REQUIRE(k1 && k2 && station);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "room/chair-1/kiosk/cmd"), 1) == 0);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "call/chair-1"), 1) == 0);
    /* The broker may refuse these or grant them and deliver nothing: either way, nothing arrives. */
    hv_client_sub(k1, rf_topic(&f, "room/chair-2/kiosk/cmd"), 1);
    hv_client_sub(k1, rf_topic(&f, "call/chair-2"), 1);
    hv_client_sub(k1, rf_topic(&f, "page/#"), 1);

    CHECK(pub(station, &f, "room/chair-2/kiosk/cmd",
              "{\"cmd\":\"begin_visit\",\"visit\":\"V-2\",\"lang\":\"en\"}", false) == 0);
    CHECK(pub(station, &f, "room/chair-1/kiosk/cmd",
              "{\"cmd\":\"begin_visit\",\"visit\":\"V-1\",\"lang\":\"en\"}", false) == 0);
    char *cmd = hv_client_expect(k1, rf_topic(&f, "room/+/kiosk/cmd"), 3000);
    CHECK(cmd && strstr(cmd, "V-1"));
    free(cmd);

    /* chair-2's call is paged, but chair-1's kiosk sees neither the page nor the call. */
    CHECK(pub(k2, &f, "room/chair-2/kiosk/call", "{\"id\":\"c2-1\",\"reason\":\"help\"}",
              false) == 0);
    char *upd = hv_client_expect(f.obs, rf_topic(&f, "call/chair-2"), 3000);
    CHECK(upd && strstr(upd, "c2-1"));
    free(upd);
    CHECK(hv_client_expect_none(k1, NULL, 800));

    hv_client_free(k1);
    hv_client_free(k2);
    hv_client_free(station);
    rf_finish(&f);
}

static void test_pager_cannot_silence_an_urgent_call(void)
{
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    hv_client *pager = login(&f, "pager-nurses", "pager");
    REQUIRE(k1 && pager && hv_client_sub(pager, rf_topic(&f, "page/#"), 1) == 0);
    CHECK(pub(k1, &f, "room/chair-1/kiosk/call", "{\"id\":\"u-1\",\"reason\":\"safety\"}",
              false) == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 3000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "urgent");
    free(page);

    /* Every way a pager might try to make the call go away, but its own remote clear. */
    CHECK(pub(pager, &f, "call/chair-1/clear", "{\"id\":\"u-1\",\"by\":\"pager\"}", false) == 0);
    CHECK(pub(pager, &f, "call/chair-1/clear/station", "{\"id\":\"u-1\"}", false) == 0);
    CHECK(pub(pager, &f, "call/chair-1", "", true) == 0);   /* wipe the retained call */
    CHECK(pub(pager, &f, "room/chair-1/kiosk/clear", "{\"id\":\"u-1\",\"by\":\"pager\"}",
              false) == 0);                                  /* pose as the bedside */
    CHECK(pub(pager, &f, "room/chair-1/kiosk/cmd", "{\"cmd\":\"call_cleared\",\"id\":\"u-1\"}",
              false) == 0);                                  /* tell the kiosk it is over */
    /* Its remote clear, on its own login's topic, is what reaches the controller (which
     * refuses it for an urgent call: tests/security/test_ack_login.c). */
    CHECK(pub(pager, &f, "call/chair-1/clear/pager-nurses", "{\"id\":\"u-1\"}", false) == 0);
    char *own = hv_client_expect(f.obs, rf_topic(&f, "call/chair-1/clear/+"), 3000);
    CHECK(own && strstr(own, "u-1"));
    free(own);

    /* The call stands: retained and open, and it escalates on time (urgent: charge at 1 s). */
    hv_client *charge = login(&f, "pager-charge", "charge");
    REQUIRE(charge && hv_client_sub(charge, rf_topic(&f, "page/charge"), 1) == 0);
    page = hv_client_expect(charge, rf_topic(&f, "page/charge"), 3000);
    CHECK(page && strstr(page, "u-1"));
    free(page);
    char *call = retained_payload(&f, rf_topic(&f, "call/chair-1"), 1000);
    CHECK(call != NULL);
    CHECK_STR_EQ(call ? json_str(call, "id") : NULL, "u-1");
    CHECK_STR_EQ(call ? json_str(call, "state") : NULL, "open");
    free(call);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-1/kiosk/clear")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-1/kiosk/cmd")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "call/chair-1/clear")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "call/chair-1/clear/station")), 0);
    /* The observer saw no empty P/call/chair-1. */
    for (char *upd; (upd = hv_client_expect(f.obs, rf_topic(&f, "call/chair-1"), 0)); free(upd))
        CHECK(upd[0] != '\0');

    /* The bedside (the kiosk) clears. */
    CHECK(pub(k1, &f, "room/chair-1/kiosk/clear", "{\"id\":\"u-1\",\"by\":\"Sam\"}", false) == 0);
    char *cleared = NULL;
    for (int i = 0; i < 20; i++) {
        free(cleared);
        cleared = hv_client_expect(f.obs, rf_topic(&f, "call/chair-1"), 3000);
        if (!cleared || !cleared[0])
            break;
    }
    CHECK(cleared && cleared[0] == '\0');
    free(cleared);

    hv_client_free(k1);
    hv_client_free(pager);
    hv_client_free(charge);
    rf_finish(&f);
}

/*
 * DESIGN P2: an acknowledgement or remote clear names its sender by topic,
 * P/call/R/ack/<login>, and the ACL pins each login to its own last level.
 * The old P/call/R/ack and P/call/R/clear are denied for everyone, and nobody
 * may write under another login's name.  Checked at the broker by the observer.
 */
static void test_ack_and_clear_only_under_ones_own_login(void)
{
    static const char *const users[] = { "pager-nurses", "pager-7", "station", "station-desk-2",
                                         "kiosk-chair-1", NULL };
    struct room_fixture f;
    char own[96], other[96], payload[96];
    const char *ctl;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    ctl = env.controller;
    for (int i = 0; users[i]; i++) {
        hv_client *c = login(&f, users[i], "acker");
        REQUIRE(c != NULL);
        bool may = strncmp(users[i], "kiosk-", 6) != 0;
        for (int k = 0; k < 2; k++) {
            const char *verb = k ? "clear" : "ack";
            snprintf(payload, sizeof payload, "{\"id\":\"%s-%s\",\"by\":\"Dr. X\"}", users[i],
                     verb);
            snprintf(own, sizeof own, "call/chair-2/%s/%s", verb, users[i]);
            snprintf(other, sizeof other, "call/chair-2/%s/%s", verb,
                     strcmp(users[i], "station") ? "station" : "pager-nurses");
            CHECK(pub(c, &f, own, payload, false) == 0);
            CHECK(pub(c, &f, other, payload, false) == 0);
            CHECK(pub(c, &f, k ? "call/chair-2/clear" : "call/chair-2/ack", payload, false) == 0);
            char *got = hv_client_expect(f.obs, rf_topic(&f, "call/chair-2/+/+"), may ? 3000 : 800);
            if (may) {
                CHECK_STR_EQ(got, payload);
            } else {
                CHECK(got == NULL);
            }
            free(got);
        }
        hv_client_free(c);
    }
    /* The controller may not forge a nurse's acknowledgement either. */
    hv_client *c = login(&f, ctl, "ctl-forger");
    REQUIRE(c != NULL);
    CHECK(pub(c, &f, "call/chair-2/ack/pager-nurses", "{\"id\":\"x\"}", false) == 0);
    CHECK(pub(c, &f, "call/chair-2/ack", "{\"id\":\"x\"}", false) == 0);
    hv_client_free(c);
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "call/chair-2/+/+"), 800));
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "call/chair-2/+")), 0);
    rf_finish(&f);
}

/*
 * DESIGN P3/P5: kiosk/cmd is the stations' alone (not the controller's, not a
 * pager's); the kiosk reads the controllers' status; the station reads the
 * kiosks' security events; a kiosk writes exactly its seven topics.
 */
static void test_kiosk_cmd_from_stations_only(void)
{
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    hv_client *pager = login(&f, "pager-nurses", "pager");
    hv_client *desk = login(&f, "station-desk-2", "desk");
    REQUIRE(k1 && pager && desk);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "room/chair-1/kiosk/cmd"), 1) == 0);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "controller/+/status"), 1) == 0);
    REQUIRE(hv_client_sub(desk, rf_topic(&f, "room/+/kiosk/event"), 1) == 0);

    /* The kiosk reads the controller's retained status (DESIGN P4). */
    char *st = hv_client_expect(k1, rf_topic(&f, "controller/+/status"), 3000);
    CHECK(st && strstr(st, "\"online\":true"));
    free(st);

    CHECK(pub(pager, &f, "room/chair-1/kiosk/cmd", "{\"cmd\":\"call_cleared\",\"id\":\"p\"}",
              false) == 0);
    CHECK(pub(desk, &f, "room/chair-1/kiosk/cmd", "{\"cmd\":\"phase\",\"phase\":\"infusion\"}",
              false) == 0);
    char *cmd = hv_client_expect(k1, rf_topic(&f, "room/chair-1/kiosk/cmd"), 3000);
    CHECK(cmd && strstr(cmd, "infusion"));
    free(cmd);
    CHECK(hv_client_expect_none(k1, rf_topic(&f, "room/chair-1/kiosk/cmd"), 500));

    /* The controller's own login can no longer write kiosk/cmd. */
    rf_stop_room(&f);
    hv_client *ctl = login(&f, env.controller, "ctl");
    REQUIRE(ctl != NULL);
    CHECK(pub(ctl, &f, "room/chair-1/kiosk/cmd", "{\"cmd\":\"call_acknowledged\",\"id\":\"c\"}",
              false) == 0);
    CHECK(hv_client_expect_none(k1, rf_topic(&f, "room/chair-1/kiosk/cmd"), 800));
    hv_client_free(ctl);

    /* The kiosk's security event reaches the station. */
    CHECK(pub(k1, &f, "room/chair-1/kiosk/event",
              "{\"id\":\"e-1\",\"event\":\"pin_locked\",\"failures\":5}", false) == 0);
    char *ev = hv_client_expect(desk, rf_topic(&f, "room/+/kiosk/event"), 3000);
    CHECK(ev && strstr(ev, "pin_locked"));
    free(ev);

    hv_client_free(k1);
    hv_client_free(pager);
    hv_client_free(desk);
    rf_finish(&f);
}

/*
 * DESIGN P5: a kiosk writes exactly status, call, clear, checkin, response,
 * theme and event under its own room: a retained message on any other
 * P/room/R/kiosk/<anything> (on main, kiosk/# let it park megabytes there) is
 * dropped, so a new subscriber finds none.
 */
static void test_kiosk_cannot_retain_on_other_topics(void)
{
    static const char *const denied[] = { "room/chair-1/kiosk/junk", "room/chair-1/kiosk/cmd",
                                          "room/chair-1/kiosk/status/x", "room/chair-1/kiosk/a/b/c",
                                          "room/chair-1/lights/set", "room/chair-1/lights/state",
                                          NULL };
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    REQUIRE(k1 != NULL);
    for (int i = 0; denied[i]; i++)
        CHECK(pub(k1, &f, denied[i], "{\"retained\":\"junk\"}", true) == 0);
    CHECK(pub(k1, &f, "room/chair-1/kiosk/theme", "{\"theme\":\"night\"}", true) == 0);
    char *theme = retained_payload(&f, rf_topic(&f, "room/chair-1/kiosk/theme"), 2000);
    CHECK(theme && strstr(theme, "night"));
    free(theme);
    hv_client *late = login(&f, "observer-2", "late");
    REQUIRE(late && hv_client_sub(late, rf_topic(&f, "room/chair-1/#"), 1) == 0);
    char *kept = hv_client_expect(late, rf_topic(&f, "room/chair-1/kiosk/theme"), 2000);
    CHECK(kept != NULL);
    free(kept);
    for (char *m; (m = hv_client_expect(late, NULL, 500)); free(m))
        CHECK(!strstr(m, "junk"));
    CHECK(pub(k1, &f, "room/chair-1/kiosk/theme", "", true) == 0);
    hv_client_free(late);
    hv_client_free(k1);
    rf_finish(&f);
}

static void test_station_drives_visits_but_cannot_raise_calls(void)
{
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *station = login(&f, "station", "station");
    hv_client *pager = login(&f, "pager-7", "pager7");
    REQUIRE(station && pager && hv_client_sub(pager, rf_topic(&f, "page/#"), 1) == 0);
    CHECK(pub(station, &f, "room/chair-3/kiosk/call", "{\"id\":\"st-1\",\"reason\":\"help\"}",
              false) == 0);
    CHECK(pub(pager, &f, "room/chair-3/kiosk/call", "{\"id\":\"pg-1\",\"reason\":\"help\"}",
              false) == 0);
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/#"), 1200));
    CHECK(pub(station, &f, "room/chair-3/kiosk/cmd", "{\"cmd\":\"end_visit\"}", false) == 0);
    char *cmd = hv_client_expect(f.obs, rf_topic(&f, "room/chair-3/kiosk/cmd"), 3000);
    CHECK(cmd && strstr(cmd, "end_visit"));
    free(cmd);
    hv_client_free(station);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * The lamps: the controller may drive chair-1's lamp (make-credentials grants
 * it exactly the configured lamp topic) and its light bridge hears it; a
 * kiosk may not drive a lamp, not even its own chair's.  One login per bridge
 * (DESIGN P7): the zigbee2mqtt bridge cannot switch chair-2's Tasmota dome,
 * nor the dome's device chair-1's lamp, nor fake each other's state.
 */
static void test_only_the_controller_drives_the_lamps(void)
{
    struct room_fixture f;
    char lamp[128], dome[128], z2m[64], tas[64];

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    snprintf(lamp, sizeof lamp, "%s-z2m/chair-1-lamp/set", f.prefix);
    snprintf(dome, sizeof dome, "cmnd/%s-dome-2/#", f.prefix);
    snprintf(z2m, sizeof z2m, "lights-%s-z2m", f.prefix);
    snprintf(tas, sizeof tas, "lights-%s-dome-2", f.prefix);
    hv_client *bridge = login(&f, z2m, "bridge");
    hv_client *tasmota = login(&f, tas, "tasmota");
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    REQUIRE(bridge && tasmota && k1 && hv_client_sub(bridge, lamp, 1) == 0 &&
            hv_client_sub(tasmota, dome, 1) == 0);
    /* A bridge reads only its own lights' commands: these grant nothing. */
    hv_client_sub(bridge, dome, 1);
    hv_client_sub(tasmota, lamp, 1);

    CHECK(pub(k1, &f, "room/chair-1/kiosk/status",
              "{\"online\":true,\"phase\":\"infusion\",\"visit\":\"V-9\"}", true) == 0);
    char *cmd = hv_client_expect(bridge, lamp, 3000);
    CHECK(cmd && strstr(cmd, "\"brightness\":30"));  /* infusion: 12 % of 254 */
    free(cmd);
    CHECK(hv_client_expect_none(tasmota, lamp, 300));

    CHECK(hv_client_pub(k1, lamp, "{\"state\":\"ON\",\"brightness\":254}", 1, false) == 0);
    CHECK(hv_client_expect_none(bridge, lamp, 1000));

    /* The zigbee2mqtt bridge switching chair-2's dome off, and the reverse: dropped. */
    char dome_power[128], dome_state[128], lamp_state[128];
    snprintf(dome_power, sizeof dome_power, "cmnd/%s-dome-2/Power", f.prefix);
    snprintf(dome_state, sizeof dome_state, "stat/%s-dome-2/RESULT", f.prefix);
    snprintf(lamp_state, sizeof lamp_state, "%s-z2m/chair-1-lamp", f.prefix);
    REQUIRE(hv_client_sub(f.obs, dome_state, 1) == 0 && hv_client_sub(f.obs, lamp_state, 1) == 0);
    CHECK(hv_client_pub(bridge, dome_power, "OFF", 1, false) == 0);
    CHECK(hv_client_pub(tasmota, lamp, "{\"state\":\"OFF\"}", 1, false) == 0);
    CHECK(hv_client_pub(bridge, dome_state, "{\"POWER\":\"OFF\"}", 1, false) == 0);
    CHECK(hv_client_pub(tasmota, lamp_state, "{\"state\":\"OFF\"}", 1, false) == 0);
    /* Only the forged topics: the controller may legitimately re-send the dome's state
     * (after a reconnect under load), which is not what this checks. */
    CHECK(hv_client_expect_none(tasmota, dome_power, 1000));
    CHECK(hv_client_expect_none(bridge, lamp, 200));
    CHECK_INT_EQ(hv_client_count(f.obs, dome_state), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, lamp_state), 0);
    /* Each bridge's own state goes through. */
    CHECK(hv_client_pub(tasmota, dome_state, "{\"POWER\":\"ON\"}", 1, false) == 0);
    CHECK(hv_client_pub(bridge, lamp_state, "{\"state\":\"ON\"}", 1, false) == 0);
    char *lst = hv_client_expect(f.obs, lamp_state, 3000);
    CHECK(lst && strstr(lst, "ON"));
    free(lst);
    char *st = hv_client_expect(f.obs, dome_state, 3000);
    CHECK(st && strstr(st, "ON"));
    free(st);

    CHECK(pub(k1, &f, "room/chair-1/kiosk/status", "", true) == 0);
    hv_client_free(k1);
    hv_client_free(bridge);
    hv_client_free(tasmota);
    rf_finish(&f);
}

/* Adding a room re-runs make-credentials: nobody's password changes, unless --rotate. */
static void test_credentials_rerun_keeps_passwords(void)
{
    char before[128], ctl[128];
    const char *p;

    REQUIRE((p = sec_password(&env, "kiosk-chair-1")) != NULL);
    snprintf(before, sizeof before, "%s", p);
    REQUIRE((p = sec_password(&env, env.controller)) != NULL);
    snprintf(ctl, sizeof ctl, "%s", p);
    CHECK(strlen(before) >= 24);
    CHECK(strcmp(before, ctl) != 0);  /* one password per device */
    REQUIRE(sec_make_credentials(&env, NULL) == 0);
    CHECK_STR_EQ(sec_password(&env, "kiosk-chair-1"), before);
    char *acl = hv_read_file(sec_path(&env, "creds/acl"));
    CHECK(acl && strstr(acl, "user kiosk-chair-4\ntopic write hsec/room/chair-4/kiosk/status\n"));
    CHECK(acl && !strstr(acl, "write hsec/room/chair-4/kiosk/#") && !strstr(acl, "user lights\n"));
    free(acl);
    /* The regenerated files still let the devices in (a new broker reads them). */
    struct room_fixture f;
    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "again");
    CHECK(k1 != NULL);
    hv_client_free(k1);
    rf_finish(&f);

    REQUIRE(sec_make_credentials(&env, "--rotate") == 0);
    CHECK(strcmp(sec_password(&env, "kiosk-chair-1"), before) != 0);
}

/*
 * The nurse station's own topics (issue 13): a station writes its status and
 * report requests only under its own login and reads only its own replies;
 * the controller reads the statuses and requests and answers; a kiosk cannot
 * ask for a report.
 */
static void test_station_topics_are_its_own(void)
{
    struct room_fixture f;
    char rest[160], req_st[256], req_desk[256], req_kiosk[256], reply_st[256], reply_desk[256];
    static const char armed[] = "{\"online\":true,\"boards\":1,\"armed\":1}";
    static const char rq[] = "{\"id\":\"r-%s\",\"since\":\"2026-01-01T00:00:00Z\","
                             "\"until\":\"2026-12-31T00:00:00Z\",\"day_starts\":\"07:00\","
                             "\"night_starts\":\"19:00\",\"target_s\":{\"urgent\":60,"
                             "\"assist\":180,\"routine\":600}}";
    char body[512];

    REQUIRE(sec_start(&f, &env, false,
                      "stations = { watch = true; group = \"charge\"; grace = 60; };\n") == 0);
    hv_client *station = login(&f, "station", "station");
    hv_client *desk = login(&f, "station-desk-2", "desk");
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    REQUIRE(station && desk && k1);
#define TOPIC(buf, fmt, login) \
    (snprintf(rest, sizeof rest, fmt, env.prefix, login), \
     snprintf(buf, sizeof buf, "%s", rf_topic(&f, rest)))
    TOPIC(req_st, "report/ctl-%s/request/%s", "station");
    TOPIC(req_desk, "report/ctl-%s/request/%s", "station-desk-2");
    TOPIC(req_kiosk, "report/ctl-%s/request/%s", "kiosk-chair-1");
    TOPIC(reply_st, "report/ctl-%s/reply/%s", "station");
    TOPIC(reply_desk, "report/ctl-%s/reply/%s", "station-desk-2");
#undef TOPIC
    REQUIRE(hv_client_sub(station, reply_st, 1) == 0);
    REQUIRE(hv_client_sub(desk, reply_desk, 1) == 0);
    /* desk-2 tries to read station's replies: never delivered. */
    REQUIRE(hv_client_sub(desk, reply_st, 1) == 0);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "report/#"), 1) == 0);

    /* Statuses: station speaks for itself only; the controller hears it. */
    CHECK(pub(station, &f, "station/station-desk-2/status", "{\"online\":true,\"boards\":9,"
              "\"armed\":9,\"forged\":1}", true) == 0);
    CHECK(pub(k1, &f, "station/kiosk-chair-1/status", armed, true) == 0);
    CHECK(pub(station, &f, "station/station/status", armed, true) == 0);
    CHECK(wait_log(&f, "stations: a board has sound on at station", 5000));
    char *forged = retained_payload(&f, rf_topic(&f, "station/station-desk-2/status"), 800);
    CHECK(forged == NULL);
    free(forged);
    char *log = hv_read_file(f.log_path);
    CHECK(log && !strstr(log, "at station-desk-2") && !strstr(log, "kiosk-chair-1/status"));
    free(log);

    /* Requests under another login (station as desk-2) or from a kiosk: dropped. */
    snprintf(body, sizeof body, rq, "f0rged");
    CHECK(hv_client_pub(station, req_desk, body, 1, false) == 0);
    snprintf(body, sizeof body, rq, "k10sk");
    CHECK(hv_client_pub(k1, req_kiosk, body, 1, false) == 0);
    /* station's own: answered on its own reply topic, which desk-2 cannot read. */
    snprintf(body, sizeof body, rq, "0wn");
    CHECK(hv_client_pub(station, req_st, body, 1, false) == 0);
    char *reply = hv_client_expect(station, reply_st, 5000);
    CHECK(reply && strstr(reply, "\"id\":\"r-0wn\""));
    free(reply);
    CHECK(hv_client_expect_none(desk, NULL, 500));
    CHECK(hv_client_expect_none(k1, NULL, 0));   /* no report topic reached the kiosk */
    log = hv_read_file(f.log_path);
    CHECK(log && strstr(log, "report r-0wn for station:"));
    CHECK(log && !strstr(log, "f0rged") && !strstr(log, "k10sk"));
    free(log);

    CHECK(pub(station, &f, "station/station/status", "", true) == 0);
    hv_client_free(station);
    hv_client_free(desk);
    hv_client_free(k1);
    rf_finish(&f);
}

/*
 * The record's delivery (issue 14 part 2): the stations read every room's
 * responses and check-ins and confirm them on P/room/R/kiosk/stored; each
 * kiosk reads its own room's confirmations only (and the stations' status, to
 * re-send what is held when one comes online); nobody else writes them, and a
 * pager reads no response.
 */
static void test_record_topics(void)
{
    static const char resp[] = "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"resp-a1\"}";
    struct room_fixture f;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    hv_client *k2 = login(&f, "kiosk-chair-2", "k2");
    hv_client *station = login(&f, "station", "station");
    hv_client *desk = login(&f, "station-desk-2", "desk");
    hv_client *pager = login(&f, "pager-nurses", "pager");
    REQUIRE(k1 && k2 && station && desk && pager);
    REQUIRE(hv_client_sub(station, rf_topic(&f, "room/+/kiosk/response"), 1) == 0);
    REQUIRE(hv_client_sub(station, rf_topic(&f, "room/+/kiosk/checkin"), 1) == 0);
    REQUIRE(hv_client_sub(pager, rf_topic(&f, "room/+/kiosk/#"), 1) == 0);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "room/chair-1/kiosk/stored"), 1) == 0);
    REQUIRE(hv_client_sub(k1, rf_topic(&f, "station/+/status"), 1) == 0);
    REQUIRE(hv_client_sub(k2, rf_topic(&f, "room/chair-1/kiosk/stored"), 1) == 0);
    REQUIRE(hv_client_sub(k2, rf_topic(&f, "room/+/kiosk/response"), 1) == 0);

    /* The station reads the kiosk's response and check-in; no pager, no other kiosk does. */
    CHECK(pub(k1, &f, "room/chair-1/kiosk/response", resp, false) == 0);
    CHECK(pub(k1, &f, "room/chair-1/kiosk/checkin", "{\"id\":\"checkin-a1\",\"feeling\":2}",
              false) == 0);
    char *m = hv_client_expect(station, rf_topic(&f, "room/chair-1/kiosk/response"), 3000);
    CHECK(m && strstr(m, "resp-a1"));
    free(m);
    m = hv_client_expect(station, rf_topic(&f, "room/chair-1/kiosk/checkin"), 3000);
    CHECK(m && strstr(m, "checkin-a1"));
    free(m);

    /* Confirmations: from a station, to the room's kiosk only. */
    CHECK(pub(station, &f, "room/chair-1/kiosk/stored", "{\"id\":\"resp-a1\"}", false) == 0);
    m = hv_client_expect(k1, rf_topic(&f, "room/chair-1/kiosk/stored"), 3000);
    CHECK(m && strstr(m, "resp-a1"));
    free(m);
    CHECK(pub(desk, &f, "room/chair-1/kiosk/stored", "{\"id\":\"checkin-a1\"}", false) == 0);
    m = hv_client_expect(k1, rf_topic(&f, "room/chair-1/kiosk/stored"), 3000);
    CHECK(m && strstr(m, "checkin-a1"));
    free(m);
    /* ... never forged by a kiosk (its own or another's) or a pager. */
    CHECK(pub(k1, &f, "room/chair-1/kiosk/stored", "{\"id\":\"forged-k1\"}", false) == 0);
    CHECK(pub(k2, &f, "room/chair-1/kiosk/stored", "{\"id\":\"forged-k2\"}", false) == 0);
    CHECK(pub(pager, &f, "room/chair-1/kiosk/stored", "{\"id\":\"forged-p\"}", false) == 0);
    CHECK(hv_client_expect_none(k1, rf_topic(&f, "room/chair-1/kiosk/stored"), 800));

    /* The kiosk reads the stations' status. */
    CHECK(pub(station, &f, "station/station/status", "{\"online\":true,\"boards\":0,\"armed\":0}",
              false) == 0);
    m = hv_client_expect(k1, rf_topic(&f, "station/station/status"), 3000);
    CHECK(m && strstr(m, "\"online\":true"));
    free(m);

    CHECK(hv_client_expect_none(k2, NULL, 0));      /* chair-1's confirmations, responses */
    CHECK(hv_client_count(pager, rf_topic(&f, "room/chair-1/kiosk/response")) == 0);
    CHECK(hv_client_count(pager, rf_topic(&f, "room/chair-1/kiosk/stored")) == 0);
    hv_client_free(k1);
    hv_client_free(k2);
    hv_client_free(station);
    hv_client_free(desk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    if (sec_env_make(&env, "hsec") != 0) {
        fprintf(stderr, "test_acl: cannot make the credentials and certificates\n");
        return 1;
    }
    RUN(test_no_login_without_a_valid_password);
    RUN(test_kiosk_cannot_call_for_another_chair);
    RUN(test_kiosk_reads_only_its_own_chair);
    RUN(test_pager_cannot_silence_an_urgent_call);
    RUN(test_ack_and_clear_only_under_ones_own_login);
    RUN(test_kiosk_cmd_from_stations_only);
    RUN(test_kiosk_cannot_retain_on_other_topics);
    RUN(test_station_drives_visits_but_cannot_raise_calls);
    RUN(test_only_the_controller_drives_the_lamps);
    RUN(test_station_topics_are_its_own);
    RUN(test_record_topics);
    RUN(test_credentials_rerun_keeps_passwords);  /* last: it rotates every password */
    sec_env_free(&env);
    return CHECK_SUMMARY();
}
