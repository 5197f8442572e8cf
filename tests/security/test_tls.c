/*
 * test_tls.c - the production broker's TLS listener: only devices with a
 * certificate from the clinic CA get in, the certificate's CN is the login
 * (use_identity_as_username: whatever username and password are sent), a
 * revoked certificate is refused once the broker has re-read the CRL, and the
 * real kiosk and controller page a nurse over it end to end.
 */
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "sec_kit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sec_env env;

/* Tries to log in over TLS with o; returns true if the broker let it in (and frees it). */
static bool gets_in(struct hv_client_opts o, const char *id, int *connack)
{
    o.client_id = id;
    hv_client *c = hv_client_new_opts(&o, connack);
    hv_client_free(c);
    return c != NULL;
}

static void test_tls_refuses_what_it_should(void)
{
    struct room_fixture f;
    struct hv_client_opts good = sec_user(&env, "kiosk-chair-1", true), o;
    int connack = 0;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);

    CHECK(gets_in(good, "tls-good", &connack));  /* the control: certificate + password */
    CHECK_INT_EQ(connack, 0);

    o = good;  /* no client certificate */
    o.certfile = o.keyfile = NULL;
    CHECK(!gets_in(o, "tls-nocert", &connack));

    o = good;  /* a certificate from another CA, for the same name */
    o.certfile = sec_path(&env, "rogue/kiosk-chair-1.crt");
    o.keyfile = sec_path(&env, "rogue/kiosk-chair-1.key");
    CHECK(!gets_in(o, "tls-rogue", &connack));

    o = good;  /* a broker the client cannot verify (it trusts only the rogue CA) */
    o.cafile = sec_path(&env, "rogue/ca.crt");
    o.certfile = sec_path(&env, "rogue/kiosk-chair-1.crt");
    o.keyfile = sec_path(&env, "rogue/kiosk-chair-1.key");
    CHECK(!gets_in(o, "tls-wrong-ca", &connack));

    /* On this listener the certificate is the credential (use_identity_as_username):
     * Mosquitto does not check the password here; the loopback listener still does. */
    o = good;
    o.password = NULL;
    o.username = NULL;
    CHECK(gets_in(o, "tls-nopass", &connack));

    o = good;  /* plain MQTT on the TLS port */
    o.cafile = o.certfile = o.keyfile = NULL;
    CHECK(!gets_in(o, "tls-plain", &connack));
    rf_finish(&f);
}

/* The kiosk's broker credentials in kiosk { broker { } }, one line for every chair ("%r"). */
static char *kiosk_section(void)
{
    static char text[2048];

    snprintf(text, sizeof text,
             "kiosk = {\n"
             "  broker = {\n"
             "    username = \"kiosk-%%r\";\n"
             "    password_file = \"%s/creds/secrets/kiosk-%%r.pass\";\n"
             "    cafile = \"%s/tls/ca.crt\";\n"
             "    certfile = \"%s/tls/kiosk-%%r.crt\";\n"
             "    keyfile = \"%s/tls/kiosk-%%r.key\";\n"
             "  };\n"
             "};\n", env.dir, env.dir, env.dir, env.dir);
    return text;
}

static void test_call_paged_over_tls_end_to_end(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;

    /* The controller over TLS with its certificate; the observer too. */
    REQUIRE(sec_start(&f, &env, true, kiosk_section()) == 0);
    struct hv_client_opts po = sec_user(&env, "pager-nurses", true);
    po.client_id = "tls-pager";
    hv_client *pager = hv_client_new_opts(&po, NULL);
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/nurses"), 1) == 0);

    /* The real kiosk over TLS: it came online (its retained status went through the ACL). */
    REQUIRE(kf_start(&k, &f, "chair-1", 1280, 800) == 0);
    CHECK(kf_tap_help(&k) == 0);
    hv_msg *page = hv_client_expect_msg(pager, rf_topic(&f, "page/nurses"), 5000);
    CHECK(page != NULL);
    if (page) {
        CHECK_STR_EQ(json_str(page->payload, "room"), "chair-1");
        CHECK_STR_EQ(json_str(page->payload, "reason"), "help");
        /* The pager's acknowledgement over TLS, on its login's topic, reaches the broker
         * (the controller's and kiosk's side of it: tests/security/test_ack_login.c). */
        char ack[160];
        snprintf(ack, sizeof ack, "{\"id\":\"%s\"}", json_str(page->payload, "id"));
        CHECK(hv_client_pub(pager, rf_topic(&f, "call/chair-1/ack/pager-nurses"), ack, 1,
                            false) == 0);
        char *seen = hv_client_expect(f.obs, rf_topic(&f, "call/chair-1/ack/pager-nurses"), 3000);
        CHECK_STR_EQ(seen, ack);
        free(seen);
    }
    hv_msg_free(page);
    char *log = hv_read_file(f.log_path);
    CHECK(log && !strstr(log, "refused the connection"));
    free(log);

    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * The certificate is the login: kiosk-chair-1's certificate with the
 * station's username and password is kiosk-chair-1 on the TLS listener, so its
 * station-only publish (kiosk/cmd) is dropped, and its own chair's call goes
 * through.  Its client id is the login too: it cannot take the station's session.
 */
static void test_certificate_is_the_login(void)
{
    struct room_fixture f;
    struct hv_client_opts o = sec_user(&env, "kiosk-chair-1", true);
    struct hv_client_opts st = sec_user(&env, "station", true);

    REQUIRE(sec_start(&f, &env, true, NULL) == 0);
    st.client_id = "real-station";
    hv_client *station = hv_client_new_opts(&st, NULL);
    REQUIRE(station != NULL);
    o.username = "station";
    o.password = sec_password(&env, "station");
    o.client_id = "station";
    hv_client *posing = hv_client_new_opts(&o, NULL);
    REQUIRE(posing != NULL);
    CHECK(hv_client_pub(posing, rf_topic(&f, "room/chair-2/kiosk/cmd"),
                        "{\"cmd\":\"end_visit\"}", 1, false) == 0);
    CHECK(hv_client_pub(posing, rf_topic(&f, "call/chair-2/ack/station"), "{\"id\":\"x\"}", 1,
                        false) == 0);
    CHECK(hv_client_pub(posing, rf_topic(&f, "room/chair-1/kiosk/theme"), "{\"theme\":\"day\"}",
                        1, false) == 0);
    char *mine = hv_client_expect(f.obs, rf_topic(&f, "room/chair-1/kiosk/theme"), 3000);
    CHECK(mine != NULL);  /* what kiosk-chair-1 may do, it did: it is kiosk-chair-1 */
    free(mine);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "room/chair-2/kiosk/cmd")), 0);
    CHECK_INT_EQ(hv_client_count(f.obs, rf_topic(&f, "call/chair-2/ack/station")), 0);
    CHECK(hv_client_connected(station));  /* the real station's session was not taken */
    /* ... and the station's own certificate can do what a station does. */
    CHECK(hv_client_pub(station, rf_topic(&f, "room/chair-2/kiosk/cmd"), "{\"cmd\":\"end_visit\"}",
                        1, false) == 0);
    char *cmd = hv_client_expect(f.obs, rf_topic(&f, "room/chair-2/kiosk/cmd"), 3000);
    CHECK(cmd && strstr(cmd, "end_visit"));
    free(cmd);
    hv_client_free(posing);
    hv_client_free(station);
    rf_finish(&f);
}

/* True once path contains needle (read every 20 ms, up to timeout_ms). */
static bool file_has(const char *path, const char *needle, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;; hv_sleep_ms(20)) {
        char *text = hv_read_file(path);
        bool found = text && strstr(text, needle);
        free(text);
        if (found || hv_now_us() > end)
            return found;
    }
}

/* make-certs revoke kiosk-chair-3: refused over TLS once the broker re-read the CRL (SIGHUP). */
static void test_revoked_certificate_is_refused(void)
{
    struct room_fixture f;
    struct hv_client_opts o = sec_user(&env, "kiosk-chair-3", true);
    const char *revoke[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out", sec_path(&env, "tls"),
                             "revoke", "kiosk-chair-3", NULL };
    char log[600];
    int connack = 0;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    CHECK(gets_in(o, "before", &connack));
    REQUIRE(sec_run_tool(&env, revoke) == 0);
    CHECK(gets_in(o, "not-yet-reloaded", &connack));  /* the broker has the old CRL */
    snprintf(log, sizeof log, "%s/mosquitto.log", hv_broker_dir(f.broker));
    REQUIRE(kill(hv_broker_pid(f.broker), SIGHUP) == 0);
    REQUIRE(file_has(log, "Reloading config", 5000));
    CHECK(!gets_in(o, "revoked", &connack));
    CHECK(gets_in(sec_user(&env, "kiosk-chair-1", true), "others-still-in", &connack));
    rf_finish(&f);
}

/* A config naming TLS files that are not there fails at load, with file:line. */
static void test_missing_tls_file_is_a_config_error(void)
{
    char *cfg = sec_room_config(&env, true, NULL);
    char path[600], *bad = NULL;
    const char *at = cfg ? strstr(cfg, "tls/ca.crt") : NULL;

    REQUIRE(at != NULL);
    snprintf(path, sizeof path, "%s", sec_path(&env, "bad.cfg"));
    size_t n = strlen(cfg) + 16;
    bad = malloc(n);
    REQUIRE(bad != NULL);
    snprintf(bad, n, "%.*stls/nope.crt%s", (int)(at - cfg), cfg, at + strlen("tls/ca.crt"));
    CHECK(hv_write_file(path, bad) == 0);
    const char *args[] = { "check", "--config", path, NULL };
    const char *out = sec_path(&env, "check.out");
    CHECK_INT_EQ(rf_run_room_cli(args, out), 2);
    char *text = hv_read_file(out);
    CHECK(text && strstr(text, "bad.cfg:") && strstr(text, "'cafile'") && strstr(text, "nope.crt"));
    if (text)
        fprintf(stderr, "(expected) %s", text);
    free(text);
    free(bad);
    free(cfg);
}

int main(void)
{
    if (sec_env_make(&env, "htls") != 0) {
        fprintf(stderr, "test_tls: cannot make the credentials and certificates\n");
        return 1;
    }
    RUN(test_tls_refuses_what_it_should);
    RUN(test_call_paged_over_tls_end_to_end);
    RUN(test_certificate_is_the_login);
    RUN(test_missing_tls_file_is_a_config_error);
    RUN(test_revoked_certificate_is_refused);  /* last: it revokes kiosk-chair-3 */
    sec_env_free(&env);
    return CHECK_SUMMARY();
}
