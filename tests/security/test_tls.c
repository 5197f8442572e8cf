/*
 * test_tls.c - the production broker's TLS listener: only devices with a
 * certificate from the clinic CA AND their password get in, and the real
 * kiosk and controller page a nurse over it end to end.
 */
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "sec_kit.h"
#include "ui.h"

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

    o = good;  /* a good certificate is not enough without the password */
    o.password = NULL;
    o.username = NULL;
    CHECK(!gets_in(o, "tls-nopass", &connack));
    CHECK_INT_EQ(connack, 5);
    o.username = "kiosk-chair-1";
    o.password = "guess";
    CHECK(!gets_in(o, "tls-badpass", &connack));
    CHECK(connack == 4 || connack == 5);

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
        char ack[160];
        snprintf(ack, sizeof ack, "{\"id\":\"%s\",\"by\":\"Sam\"}", json_str(page->payload, "id"));
        /* The pager acknowledges over TLS; the kiosk, over TLS, shows a nurse is coming. */
        CHECK(hv_client_pub(pager, rf_topic(&f, "call/chair-1/ack"), ack, 1, false) == 0);
        CHECK(kf_help_is(&k, "tls-help-coming", ui_theme_day.coming));
    }
    hv_msg_free(page);
    char *log = hv_read_file(f.log_path);
    CHECK(log && !strstr(log, "refused the connection"));
    free(log);

    kf_finish(&k);
    hv_client_free(pager);
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
    RUN(test_missing_tls_file_is_a_config_error);
    sec_env_free(&env);
    return CHECK_SUMMARY();
}
