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

/* A client logged in as user (client id "<prefix>-<name>"), or NULL. */
static hv_client *login(const struct room_fixture *f, const char *user, const char *name)
{
    struct hv_client_opts o = sec_user(&env, user, false);
    char id[96];

    snprintf(id, sizeof id, "%s-%s", f->prefix, name);
    o.client_id = id;
    o.port = f->port;
    return hv_client_new_opts(&o, NULL);
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

    /* Every way a pager might try to make the call go away. */
    CHECK(pub(pager, &f, "call/chair-1/clear", "{\"id\":\"u-1\",\"by\":\"pager\"}", false) == 0);
    CHECK(pub(pager, &f, "call/chair-1", "", true) == 0);   /* wipe the retained call */
    CHECK(pub(pager, &f, "room/chair-1/kiosk/clear", "{\"id\":\"u-1\",\"by\":\"pager\"}",
              false) == 0);                                  /* pose as the bedside */
    CHECK(pub(pager, &f, "room/chair-1/kiosk/cmd", "{\"cmd\":\"call_cleared\",\"id\":\"u-1\"}",
              false) == 0);                                  /* tell the kiosk it is over */
    CHECK(wait_log(&f, "refused", 3000));  /* the remote clear reached the controller: refused */

    /* The call stands: retained and open, and it escalates on time (urgent: charge at 1 s). */
    char *call = retained_payload(&f, rf_topic(&f, "call/chair-1"), 1000);
    CHECK(call != NULL);
    CHECK_STR_EQ(call ? json_str(call, "id") : NULL, "u-1");
    CHECK_STR_EQ(call ? json_str(call, "state") : NULL, "open");
    free(call);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-1/kiosk/clear")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-1/kiosk/cmd")), 0);
    /* The observer saw no empty P/call/chair-1. */
    for (char *upd; (upd = hv_client_expect(f.obs, rf_topic(&f, "call/chair-1"), 0)); free(upd))
        CHECK(upd[0] != '\0');
    hv_client *charge = login(&f, "pager-charge", "charge");
    REQUIRE(charge && hv_client_sub(charge, rf_topic(&f, "page/charge"), 1) == 0);
    page = hv_client_expect(charge, rf_topic(&f, "page/charge"), 3000);
    CHECK(page && strstr(page, "u-1"));
    free(page);

    /* What a pager may do: acknowledge.  The bedside (the kiosk) clears. */
    CHECK(pub(pager, &f, "call/chair-1/ack", "{\"id\":\"u-1\",\"by\":\"Sam\"}", false) == 0);
    char *ack = hv_client_expect(f.obs, rf_topic(&f, "room/chair-1/kiosk/cmd"), 3000);
    CHECK(ack && strstr(ack, "call_acknowledged"));
    free(ack);
    CHECK(pub(k1, &f, "room/chair-1/kiosk/clear", "{\"id\":\"u-1\",\"by\":\"Sam\"}", false) == 0);
    char *cleared = NULL;
    for (int i = 0; i < 10; i++) {
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
 * it exactly the configured lamp topic) and the light bridge hears it; a
 * kiosk may not drive a lamp, not even its own chair's.
 */
static void test_only_the_controller_drives_the_lamps(void)
{
    struct room_fixture f;
    char lamp[128];

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    snprintf(lamp, sizeof lamp, "%s-z2m/chair-1-lamp/set", f.prefix);
    hv_client *bridge = login(&f, "lights", "bridge");
    hv_client *k1 = login(&f, "kiosk-chair-1", "k1");
    REQUIRE(bridge && k1 && hv_client_sub(bridge, lamp, 1) == 0);

    CHECK(pub(k1, &f, "room/chair-1/kiosk/status",
              "{\"online\":true,\"phase\":\"infusion\",\"visit\":\"V-9\"}", true) == 0);
    char *cmd = hv_client_expect(bridge, lamp, 3000);
    CHECK(cmd && strstr(cmd, "\"brightness\":30"));  /* infusion: 12 % of 254 */
    free(cmd);

    CHECK(hv_client_pub(k1, lamp, "{\"state\":\"ON\",\"brightness\":254}", 1, false) == 0);
    CHECK(hv_client_expect_none(bridge, lamp, 1000));
    CHECK(pub(k1, &f, "room/chair-1/kiosk/status", "", true) == 0);
    hv_client_free(k1);
    hv_client_free(bridge);
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
    CHECK(acl && strstr(acl, "user kiosk-chair-4\ntopic write hsec/room/chair-4/kiosk/#\n"));
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
    RUN(test_station_drives_visits_but_cannot_raise_calls);
    RUN(test_only_the_controller_drives_the_lamps);
    RUN(test_credentials_rerun_keeps_passwords);  /* last: it rotates every password */
    sec_env_free(&env);
    return CHECK_SUMMARY();
}
