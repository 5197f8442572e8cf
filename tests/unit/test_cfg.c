/* test_cfg.c - libconfig helpers with file:line errors (common/cfg.c). */
#include "cfg.h"
#include "check.h"
#include "err.h"
#include "unit_util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct sample {
    int n;
    int64_t ms;
    char name[8];
    int flag;
    int req;
};

static const struct cfg_field fields[] = {
    { "n", CFG_INT, offsetof(struct sample, n), 0, 1, 10, 0 },
    { "ms", CFG_MS, offsetof(struct sample, ms), 0, 0.5, 60, 0 },
    { "name", CFG_STRING, offsetof(struct sample, name), sizeof(((struct sample *)0)->name), 0, 0, 0 },
    { "flag", CFG_BOOL, offsetof(struct sample, flag), 0, 0, 0, 0 },
    { "req", CFG_INT, offsetof(struct sample, req), 0, 0, 100, 1 },
    CFG_FIELD_END
};

static struct sample defaults(void)
{
    struct sample s = { 3, 7000, "dflt", 0, -1 };
    return s;
}

/*
 * Writes "sect = {\n" + body + "};\n" (so the body's first line is line 2),
 * loads it and reads sect through fields into *s.  Returns cfg_read's code,
 * or cfg_load's when the file does not parse; err holds the message.
 */
static int read_sect(const char *body, struct sample *s, struct cfg_error *err,
                     const char **path_out)
{
    char text[2048];
    config_t cfg;
    const char *path;
    int rc;

    snprintf(text, sizeof text, "sect = {\n%s};\n", body);
    path = unit_file("sect.cfg", text);
    if (path_out)
        *path_out = path;
    *s = defaults();
    err->text[0] = '\0';
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    rc = cfg_read(config_lookup(&cfg, "sect"), fields, s, err);
    config_destroy(&cfg);
    return rc;
}

/* Expects read_sect(body) to fail with "<path>:<line>: ..." containing what. */
static void expect_error(const char *body, int line, const char *what, int src_line)
{
    struct sample s;
    struct cfg_error err;
    const char *path;
    char want[1024];
    int rc = read_sect(body, &s, &err, &path);

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (rc != HV_ECONFIG || strncmp(err.text, want, strlen(want)) != 0 ||
        !strstr(err.text, what)) {
        fprintf(stderr, "  want \"%s...%s\" (HV_ECONFIG), got %d \"%s\"\n", want, what, rc,
                err.text);
        check_true(false, body, __FILE__, src_line);
    }
}
#define EXPECT_ERROR(body, line, what) expect_error((body), (line), (what), __LINE__)

static void test_read_all_types(void)
{
    struct sample s;
    struct cfg_error err;

    REQUIRE(read_sect("  n = 10;\n  ms = 1.25;\n  name = \"abcdefg\";\n  flag = true;\n"
                      "  req = 0;\n", &s, &err, NULL) == 0);
    CHECK_INT_EQ(s.n, 10);
    CHECK_INT_EQ(s.ms, 1250);
    CHECK_STR_EQ(s.name, "abcdefg");
    CHECK_INT_EQ(s.flag, 1);
    CHECK_INT_EQ(s.req, 0);

    /* Whole seconds, 64-bit integers, range ends. */
    REQUIRE(read_sect("  n = 1L;\n  ms = 60;\n  flag = false;\n  req = 100;\n", &s, &err,
                      NULL) == 0);
    CHECK_INT_EQ(s.n, 1);
    CHECK_INT_EQ(s.ms, 60000);
    CHECK_INT_EQ(s.flag, 0);
    CHECK_INT_EQ(s.req, 100);
    CHECK_STR_EQ(s.name, "dflt");  /* absent: the default stays */

    REQUIRE(read_sect("  ms = 0.5;\n  req = 1;\n", &s, &err, NULL) == 0);
    CHECK_INT_EQ(s.ms, 500);
    CHECK_INT_EQ(s.n, 3);
}

static void test_read_errors(void)
{
    /* The line is the offending setting's: sect = { is line 1. */
    EXPECT_ERROR("  req = 1;\n  n = 11;\n", 3, "'n' is 11; it must be between 1 and 10");
    EXPECT_ERROR("  n = 0;\n  req = 1;\n", 2, "'n' is 0");
    EXPECT_ERROR("  req = 1;\n\n\n  n = \"5\";\n", 5, "'n' must be a whole number");
    EXPECT_ERROR("  n = 5.0;\n  req = 1;\n", 2, "'n' must be a whole number");
    EXPECT_ERROR("  n = 99999999999L;\n  req = 1;\n", 2, "'n' is 99999999999");
    EXPECT_ERROR("  req = 1;\n  ms = 0.4;\n", 3, "'ms' is 0.4 s");
    EXPECT_ERROR("  req = 1;\n  ms = 61;\n", 3, "'ms' is 61 s");
    EXPECT_ERROR("  req = 1;\n  ms = \"5\";\n", 3, "'ms' must be a number of seconds");
    EXPECT_ERROR("  req = 1;\n  ms = true;\n", 3, "'ms' must be a number of seconds");
    EXPECT_ERROR("  req = 1;\n  name = \"abcdefgh\";\n", 3, "'name' is longer than 7 characters");
    EXPECT_ERROR("  req = 1;\n  name = 5;\n", 3, "'name' must be text in double quotes");
    EXPECT_ERROR("  req = 1;\n  flag = 1;\n", 3, "'flag' must be true or false");
    EXPECT_ERROR("  req = 1;\n  flag = \"yes\";\n", 3, "'flag' must be true or false");
    EXPECT_ERROR("  n = 2;\n", 1, "missing 'req'");
}

static void test_read_without_group(void)
{
    struct sample s = defaults();
    struct cfg_error err = { "" };
    static const struct cfg_field optional[] = {
        { "n", CFG_INT, offsetof(struct sample, n), 0, 1, 10, 0 },
        CFG_FIELD_END
    };

    CHECK_INT_EQ(cfg_read(NULL, optional, &s, &err), 0);
    CHECK_INT_EQ(s.n, 3);
    CHECK_INT_EQ(cfg_read(NULL, fields, &s, &err), HV_ECONFIG);
    CHECK(strstr(err.text, "missing 'req'") != NULL);
}

static void test_load_errors(void)
{
    config_t cfg;
    struct cfg_error err;
    char want[1024];
    const char *path = unit_file("syntax.cfg", "a = 1;\nb = 2;\nc = ;\nd = 4;\n");

    err.text[0] = '\0';
    CHECK_INT_EQ(cfg_load(&cfg, path, &err), HV_ECONFIG);
    snprintf(want, sizeof want, "%s:3: ", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);
    fprintf(stderr, "  syntax error reads: %s\n", err.text);

    path = unit_file("syntax2.cfg", "a = 1;\n\n\n\n\nb = = 2;\n");
    CHECK_INT_EQ(cfg_load(&cfg, path, &err), HV_ECONFIG);
    snprintf(want, sizeof want, "%s:6: ", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);

    snprintf(want, sizeof want, "%s/no-such.cfg", unit_dir());
    err.text[0] = '\0';
    CHECK_INT_EQ(cfg_load(&cfg, want, &err), HV_ECONFIG);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);
    CHECK(strstr(err.text, "cannot open") != NULL);

    path = unit_file("good.cfg", "a = 1;\n");
    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    {
        int a = 0;
        CHECK(config_lookup_int(&cfg, "a", &a) == CONFIG_TRUE);
        CHECK_INT_EQ(a, 1);
    }
    config_destroy(&cfg);
}

static void test_warn_unknown(void)
{
    config_t cfg;
    struct cfg_error err;
    const char *path = unit_file("unknown.cfg",
                                 "sect = {\n  n = 1;\n  nn = 2;\n  req = 3;\n  chain = 4;\n"
                                 "  Req = 5;\n};\n");
    static const char *const extra[] = { "chain", NULL };
    char want[1024];
    char *out;
    struct sample s = defaults();

    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    unit_capture_begin();
    cfg_warn_unknown(config_lookup(&cfg, "sect"), fields, extra);
    out = unit_capture_end();
    snprintf(want, sizeof want, "%s:3: unknown setting 'nn' ignored", path);
    CHECK(strstr(out, want) != NULL);
    snprintf(want, sizeof want, "%s:6: unknown setting 'Req' ignored", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "'n'") == NULL);
    CHECK(strstr(out, "'req'") == NULL);
    CHECK(strstr(out, "'chain'") == NULL);
    free(out);

    /* Without the extra list, chain is unknown too; reading still succeeds. */
    unit_capture_begin();
    cfg_warn_unknown(config_lookup(&cfg, "sect"), fields, NULL);
    out = unit_capture_end();
    CHECK(strstr(out, "'chain'") != NULL);
    free(out);
    CHECK_INT_EQ(cfg_read(config_lookup(&cfg, "sect"), fields, &s, &err), 0);
    CHECK_INT_EQ(s.req, 3);

    /* A NULL or scalar setting is not a group: nothing to say. */
    unit_capture_begin();
    cfg_warn_unknown(NULL, fields, NULL);
    cfg_warn_unknown(config_lookup(&cfg, "sect.n"), fields, NULL);
    out = unit_capture_end();
    CHECK_STR_EQ(out, "");
    free(out);
    config_destroy(&cfg);
}

static void test_get_ms(void)
{
    config_t cfg;
    struct cfg_error err;
    int64_t ms = -1;
    const char *path = unit_file("ms.cfg", "i = 2;\nf = 1.5;\nl = 3L;\nt = 0.0004;\n"
                                           "h = 0.0015;\ns = \"1\";\nb = true;\ng = { };\n"
                                           "neg = -2.5;\n");

    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "i"), &ms), 0);
    CHECK_INT_EQ(ms, 2000);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "f"), &ms), 0);
    CHECK_INT_EQ(ms, 1500);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "l"), &ms), 0);
    CHECK_INT_EQ(ms, 3000);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "t"), &ms), 0);
    CHECK_INT_EQ(ms, 0);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "h"), &ms), 0);
    CHECK_INT_EQ(ms, 2);  /* rounded, not truncated */
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "neg"), &ms), 0);
    CHECK_INT_EQ(ms, -2500);
    ms = 77;
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "s"), &ms), -1);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "b"), &ms), -1);
    CHECK_INT_EQ(cfg_get_ms(config_lookup(&cfg, "g"), &ms), -1);
    CHECK_INT_EQ(cfg_get_ms(NULL, &ms), -1);
    CHECK_INT_EQ(ms, 77);
    config_destroy(&cfg);
}

static void test_fail_format(void)
{
    config_t cfg;
    struct cfg_error err;
    char want[1024];
    const char *path = unit_file("fail.cfg", "\n\nx = 1;\n");

    CHECK_INT_EQ(cfg_fail(&err, NULL, "/etc/haven/haven.cfg", "bad %s %d", "thing", 7),
                 HV_ECONFIG);
    CHECK_STR_EQ(err.text, "/etc/haven/haven.cfg: bad thing 7");
    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    /* The setting's own file wins over the one passed. */
    CHECK_INT_EQ(cfg_fail(&err, config_lookup(&cfg, "x"), "other.cfg", "x is %d", 1), HV_ECONFIG);
    snprintf(want, sizeof want, "%s:3: x is 1", path);
    CHECK_STR_EQ(err.text, want);
    config_destroy(&cfg);
}

/* A broker { } group through CFG_BROKER_FIELDS, then cfg_auth_finish. */
struct brk {
    char broker_host[256];
    int broker_port, keepalive;
    char username[64], password[32];
    struct cfg_auth auth;
};
static const struct cfg_field brk_fields[] = { CFG_BROKER_FIELDS(struct brk), CFG_FIELD_END };

static int read_broker(const char *body, struct brk *b, struct cfg_error *err)
{
    char text[4096];
    config_t cfg;
    int rc;

    snprintf(text, sizeof text, "broker = {\n%s};\n", body);
    memset(b, 0, sizeof *b);
    err->text[0] = '\0';
    if ((rc = cfg_load(&cfg, unit_file("broker.cfg", text), err)) != 0)
        return rc;
    const config_setting_t *g[2] = { config_lookup(&cfg, "broker"), NULL };
    rc = cfg_read(g[0], brk_fields, b, err);
    if (rc == 0)
        rc = cfg_auth_finish(g, 2, "broker.cfg", &b->auth, b->password, sizeof b->password, err);
    config_destroy(&cfg);
    return rc;
}

static void test_broker_auth(void)
{
    struct brk b;
    struct cfg_error err;
    char body[2048];
    char pw[512], empty[512], longpw[512], crt[512];  /* unit_file's buffer is reused */

    snprintf(pw, sizeof pw, "%s", unit_file("pw", "s3cret\nsecond line ignored\n"));
    snprintf(empty, sizeof empty, "%s", unit_file("empty", "\n"));
    snprintf(longpw, sizeof longpw, "%s",
             unit_file("long", "0123456789012345678901234567890123456789\n"));
    snprintf(crt, sizeof crt, "%s", unit_file("dev.crt", "-----BEGIN CERTIFICATE-----\n"));
    /* Secrets are the owner's alone (issue 12 item 2): a file others may read is refused. */
    CHECK_INT_EQ(chmod(pw, 0644), 0);
    snprintf(body, sizeof body, "username = \"kiosk-chair-1\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "readable by others (mode 0644)"));
    CHECK_INT_EQ(chmod(pw, 0640), 0);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(chmod(pw, 0600) == 0 && chmod(empty, 0600) == 0 && chmod(longpw, 0600) == 0);

    snprintf(body, sizeof body, "username = \"kiosk-chair-1\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_broker(body, &b, &err), 0);
    CHECK_STR_EQ(b.password, "s3cret");
    CHECK_STR_EQ(b.username, "kiosk-chair-1");

    /* Each mistake names the line of the setting that is wrong. */
    snprintf(body, sizeof body, "password = \"x\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "not both"));
    CHECK_INT_EQ(read_broker("password_file = \"/nonexistent/pw\";\n", &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "cannot be read"));
    snprintf(body, sizeof body, "password_file = \"%s\";\n", empty);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "empty"));
    snprintf(body, sizeof body, "password_file = \"%s\";\n", longpw);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "longer"));
    snprintf(body, sizeof body, "cafile = \"%s\";\ncertfile = \"%s\";\n", crt, crt);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "go together"));
    snprintf(body, sizeof body, "certfile = \"%s\";\nkeyfile = \"%s\";\n", crt, crt);
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "cafile"));
    snprintf(body, sizeof body, "host = \"h\";\ncafile = \"/nonexistent/ca.crt\";\n");
    CHECK_INT_EQ(read_broker(body, &b, &err), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "'cafile'"));
    snprintf(body, sizeof body, "cafile = \"%s\";\ncertfile = \"%s\";\nkeyfile = \"%s\";\n",
             crt, crt, crt);
    CHECK_INT_EQ(read_broker(body, &b, &err), 0);
    CHECK_STR_EQ(b.auth.keyfile, crt);
}

int main(void)
{
    RUN(test_broker_auth);
    RUN(test_read_all_types);
    RUN(test_read_errors);
    RUN(test_read_without_group);
    RUN(test_load_errors);
    RUN(test_warn_unknown);
    RUN(test_get_ms);
    RUN(test_fail_format);
    unit_cleanup();
    return CHECK_SUMMARY();
}
