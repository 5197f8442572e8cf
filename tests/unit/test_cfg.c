/* test_cfg.c - libconfig helpers with file:line errors (common/cfg.c). */
#include "cfg.h"
#include "check.h"
#include "err.h"
#include "mqtt.h"
#include "unit_util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- struct cfg_row: defaults, ranges, restart-only --------------------------------- */

struct rowed {
    int n;
    int64_t ms;
    char name[8];
    int flag;
    int port;      /* restart-only */
    char id[16];   /* restart-only */
};

static const struct cfg_row rows[] = {
    CFG_ROW_INT(struct rowed, "n", n, -5, 10, 3, 0),
    CFG_ROW_MS(struct rowed, "ms", ms, 0.5, 60, 7.25, 0),
    CFG_ROW_TEXT(struct rowed, "name", name, "dflt", 0),
    CFG_ROW_BOOL(struct rowed, "flag", flag, 1, 0),
    CFG_ROW_INT(struct rowed, "port", port, 1, 65535, 1883, CFG_RESTART),
    CFG_ROW_TEXT(struct rowed, "id", id, NULL, CFG_RESTART | CFG_REQUIRED),
    CFG_ROWS_END
};

/* Writes "sect = {\n" + body + "};\n", reads it through rows over the defaults. */
static int read_rows(const char *body, struct rowed *r, struct cfg_error *err,
                     const char **path_out)
{
    char text[2048];
    config_t cfg;
    const char *path;
    int rc;

    snprintf(text, sizeof text, "sect = {\n%s};\n", body);
    path = unit_file("rows.cfg", text);
    if (path_out)
        *path_out = path;
    memset(r, 0x55, sizeof *r);  /* whatever was there: the defaults replace it */
    cfg_rows_default(rows, r);
    err->text[0] = '\0';
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    rc = cfg_rows_read(config_lookup(&cfg, "sect"), rows, r, err);
    config_destroy(&cfg);
    return rc;
}

static void expect_row_error(const char *body, int line, const char *what, int src_line)
{
    struct rowed r;
    struct cfg_error err;
    const char *path;
    char want[1024];
    int rc = read_rows(body, &r, &err, &path);

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (rc != HV_ECONFIG || strncmp(err.text, want, strlen(want)) != 0 ||
        !strstr(err.text, what)) {
        fprintf(stderr, "  want \"%s...%s\" (HV_ECONFIG), got %d \"%s\"\n", want, what, rc,
                err.text);
        check_true(false, body, __FILE__, src_line);
    }
}
#define EXPECT_ROW_ERROR(body, line, what) expect_row_error((body), (line), (what), __LINE__)

static void test_rows_defaults(void)
{
    struct rowed r;

    memset(&r, 0x55, sizeof r);
    cfg_rows_default(rows, &r);
    CHECK_INT_EQ(r.n, 3);
    CHECK_INT_EQ(r.ms, 7250);          /* seconds in the table, ms in the struct */
    CHECK_STR_EQ(r.name, "dflt");
    CHECK_INT_EQ(r.flag, 1);
    CHECK_INT_EQ(r.port, 1883);
    CHECK_STR_EQ(r.id, "");            /* NULL: empty */
}

static void test_rows_ranges(void)
{
    struct rowed r;
    struct cfg_error err;

    /* Both ends of each range are accepted; an absent key keeps its default. */
    REQUIRE(read_rows("  id = \"a\";\n  n = -5;\n  ms = 0.5;\n  port = 65535;\n", &r, &err,
                      NULL) == 0);
    CHECK_INT_EQ(r.n, -5);
    CHECK_INT_EQ(r.ms, 500);
    CHECK_INT_EQ(r.port, 65535);
    CHECK_STR_EQ(r.name, "dflt");
    CHECK_INT_EQ(r.flag, 1);
    REQUIRE(read_rows("  id = \"a\";\n  n = 10;\n  ms = 60;\n  port = 1;\n  flag = false;\n"
                      "  name = \"abcdefg\";\n", &r, &err, NULL) == 0);
    CHECK_INT_EQ(r.n, 10);
    CHECK_INT_EQ(r.ms, 60000);
    CHECK_INT_EQ(r.port, 1);
    CHECK_INT_EQ(r.flag, 0);
    CHECK_STR_EQ(r.name, "abcdefg");

    /* One past each end: refused at the setting's own line. */
    EXPECT_ROW_ERROR("  id = \"a\";\n  n = -6;\n", 3, "'n' is -6; it must be between -5 and 10");
    EXPECT_ROW_ERROR("  id = \"a\";\n  n = 11;\n", 3, "'n' is 11; it must be between -5 and 10");
    EXPECT_ROW_ERROR("  ms = 0.4;\n  id = \"a\";\n", 2,
                     "'ms' is 0.4 s; it must be between 0.5 and 60 s");
    EXPECT_ROW_ERROR("  id = \"a\";\n\n  ms = 60.001;\n", 4, "'ms' is 60 s");
    EXPECT_ROW_ERROR("  id = \"a\";\n  port = 0;\n", 3,
                     "'port' is 0; it must be between 1 and 65535");
    EXPECT_ROW_ERROR("  id = \"a\";\n  port = 65536;\n", 3, "'port' is 65536");
    EXPECT_ROW_ERROR("  id = \"a\";\n  name = \"abcdefgh\";\n", 3, "'name' is longer than 7");
    EXPECT_ROW_ERROR("  id = \"a\";\n  flag = 1;\n", 3, "'flag' must be true or false");
    EXPECT_ROW_ERROR("  n = 1;\n", 1, "missing 'id'");
}

/* Each type's mistakes, and 64-bit integers; required and optional rows without a group. */
static void test_rows_types(void)
{
    struct rowed r;
    struct cfg_error err = { "" };
    static const struct cfg_row optional[] = {
        CFG_ROW_INT(struct rowed, "n", n, 1, 10, 3, 0),
        CFG_ROWS_END
    };

    REQUIRE(read_rows("  id = \"a\";\n  n = 1L;\n  ms = 1.25;\n  flag = false;\n", &r, &err,
                      NULL) == 0);
    CHECK_INT_EQ(r.n, 1);
    CHECK_INT_EQ(r.ms, 1250);
    CHECK_INT_EQ(r.flag, 0);
    EXPECT_ROW_ERROR("  n = 5.0;\n  id = \"a\";\n", 2, "'n' must be a whole number");
    EXPECT_ROW_ERROR("  id = \"a\";\n\n\n  n = \"5\";\n", 5, "'n' must be a whole number");
    EXPECT_ROW_ERROR("  n = 99999999999L;\n  id = \"a\";\n", 2, "'n' is 99999999999");
    EXPECT_ROW_ERROR("  id = \"a\";\n  ms = \"5\";\n", 3, "'ms' must be a number of seconds");
    EXPECT_ROW_ERROR("  id = \"a\";\n  ms = true;\n", 3, "'ms' must be a number of seconds");
    EXPECT_ROW_ERROR("  id = \"a\";\n  name = 5;\n", 3, "'name' must be text in double quotes");
    EXPECT_ROW_ERROR("  id = \"a\";\n  flag = \"yes\";\n", 3, "'flag' must be true or false");

    cfg_rows_default(optional, &r);
    CHECK_INT_EQ(cfg_rows_read(NULL, optional, &r, &err), 0);
    CHECK_INT_EQ(r.n, 3);
    CHECK_INT_EQ(cfg_rows_read(NULL, rows, &r, &err), HV_ECONFIG);
    CHECK(strstr(err.text, "missing 'id'") != NULL);
}

static void test_rows_warn_unknown(void)
{
    config_t cfg;
    struct cfg_error err;
    const char *path = unit_file("unknown.cfg",
                                 "sect = {\n  n = 1;\n  nn = 2;\n  id = \"x\";\n  chain = 4;\n"
                                 "  Id = 5;\n};\n");
    static const char *const extra[] = { "chain", NULL };
    char want[1024];
    char *out;
    struct rowed r;

    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    unit_capture_begin();
    cfg_rows_warn_unknown(config_lookup(&cfg, "sect"), rows, extra);
    out = unit_capture_end();
    snprintf(want, sizeof want, "%s:3: unknown setting 'nn' ignored", path);
    CHECK(strstr(out, want) != NULL);
    snprintf(want, sizeof want, "%s:6: unknown setting 'Id' ignored", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "'n'") == NULL);
    CHECK(strstr(out, "'id'") == NULL);
    CHECK(strstr(out, "'chain'") == NULL);
    free(out);

    /* Without the extra list, chain is unknown too; reading still succeeds. */
    unit_capture_begin();
    cfg_rows_warn_unknown(config_lookup(&cfg, "sect"), rows, NULL);
    out = unit_capture_end();
    CHECK(strstr(out, "'chain'") != NULL);
    free(out);
    cfg_rows_default(rows, &r);
    CHECK_INT_EQ(cfg_rows_read(config_lookup(&cfg, "sect"), rows, &r, &err), 0);
    CHECK_STR_EQ(r.id, "x");

    /* A NULL or scalar setting is not a group, and a NULL table knows no key. */
    unit_capture_begin();
    cfg_rows_warn_unknown(NULL, rows, NULL);
    cfg_rows_warn_unknown(config_lookup(&cfg, "sect.n"), rows, NULL);
    out = unit_capture_end();
    CHECK_STR_EQ(out, "");
    free(out);
    unit_capture_begin();
    cfg_rows_warn_unknown(config_lookup(&cfg, "sect"), NULL, extra);
    out = unit_capture_end();
    CHECK(strstr(out, "'id'") != NULL && strstr(out, "'chain'") == NULL);
    free(out);
    config_destroy(&cfg);
}

/* A reload: each restart-only member keeps the running value; a change is logged by key. */
static void test_rows_keep_restart(void)
{
    struct rowed running, next;
    char *out;

    cfg_rows_default(rows, &running);
    strcpy(running.id, "room-1");
    next = running;
    next.n = 9;                  /* not restart-only: the reload applies it */
    strcpy(next.name, "new");

    unit_capture_begin();
    CHECK_INT_EQ(cfg_rows_keep(rows, &next, &running, "reload", "sect."), 0);
    out = unit_capture_end();
    CHECK(strstr(out, "next restart") == NULL);  /* nothing restart-only changed: no word */
    free(out);
    CHECK_INT_EQ(next.n, 9);
    CHECK_STR_EQ(next.name, "new");

    next.port = 8883;
    strcpy(next.id, "room-2");
    unit_capture_begin();
    CHECK_INT_EQ(cfg_rows_keep(rows, &next, &running, "reload", "sect."), 2);
    out = unit_capture_end();
    CHECK(strstr(out, "reload: 'sect.port' changed in the file; it takes effect at the next "
                      "restart") != NULL);
    CHECK(strstr(out, "reload: 'sect.id' changed") != NULL);
    CHECK(strstr(out, "'sect.n'") == NULL && strstr(out, "'sect.name'") == NULL);
    CHECK(strstr(out, "room-2") == NULL && strstr(out, "8883") == NULL);  /* never the value */
    free(out);
    CHECK_INT_EQ(next.port, 1883);
    CHECK_STR_EQ(next.id, "room-1");
    CHECK_INT_EQ(next.n, 9);
}

/* ---- struct cfg_broker -------------------------------------------------------------------- */

/* Reads broker { } (body) and, when own is not NULL, prog { broker { own } } over it. */
static int read_cfg_broker(const char *body, const char *own, const char *room,
                           struct cfg_broker *b, struct cfg_error *err, const char **path_out)
{
    char text[4096];
    config_t cfg;
    const char *path;
    int rc;

    snprintf(text, sizeof text, "broker = {\n%s};\nprog = { broker = {\n%s}; };\n", body,
             own ? own : "");
    path = unit_file("cfgbroker.cfg", text);
    if (path_out)
        *path_out = path;
    memset(b, 0x55, sizeof *b);
    err->text[0] = '\0';
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    const config_setting_t *g[2] = { config_lookup(&cfg, "broker"),
                                     own ? config_lookup(&cfg, "prog.broker") : NULL };
    rc = cfg_broker_read(g, 2, path, room, b, err);
    config_destroy(&cfg);
    return rc;
}

static void expect_broker_error(const char *body, const char *own, int line, const char *what,
                                int src_line)
{
    struct cfg_broker b;
    struct cfg_error err;
    const char *path;
    char want[1024];
    int rc = read_cfg_broker(body, own, "chair-1", &b, &err, &path);

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (rc != HV_ECONFIG || strncmp(err.text, want, strlen(want)) != 0 ||
        !strstr(err.text, what)) {
        fprintf(stderr, "  want \"%s...%s\" (HV_ECONFIG), got %d \"%s\"\n", want, what, rc,
                err.text);
        check_true(false, body, __FILE__, src_line);
    }
}
#define EXPECT_BROKER_ERROR(body, own, line, what) \
    expect_broker_error((body), (own), (line), (what), __LINE__)

static void test_broker_defaults(void)
{
    struct cfg_broker b;
    struct cfg_error err;
    const config_setting_t *none[2] = { NULL, NULL };

    memset(&b, 0x55, sizeof b);
    REQUIRE(cfg_broker_read(none, 2, "x.cfg", NULL, &b, &err) == 0);  /* no broker { } at all */
    CHECK_STR_EQ(b.host, "127.0.0.1");
    CHECK_INT_EQ(b.port, 1883);
    CHECK_INT_EQ(b.keepalive, 10);
    CHECK_STR_EQ(b.username, "");
    CHECK_STR_EQ(b.password, "");
    CHECK_STR_EQ(b.password_file, "");
    CHECK_STR_EQ(b.cafile, "");
    CHECK_STR_EQ(b.certfile, "");
    CHECK_STR_EQ(b.keyfile, "");
    REQUIRE(read_cfg_broker("", NULL, NULL, &b, &err, NULL) == 0);     /* an empty one */
    CHECK_STR_EQ(b.host, "127.0.0.1");
    CHECK_INT_EQ(b.port, 1883);
    CHECK_INT_EQ(b.keepalive, 10);

    /* Every row is restart-only: a program connects once. */
    for (const struct cfg_row *r = cfg_broker_rows; r->key; r++)
        CHECK((r->flags & CFG_RESTART) != 0);
}

static void test_broker_each_key(void)
{
    struct cfg_broker b;
    struct cfg_error err;
    char body[4096], own[1024];
    char pw[512], crt[512], key[512], ca[512];

    snprintf(pw, sizeof pw, "%s", unit_file("b-pw", "pass-from-file\n"));
    snprintf(crt, sizeof crt, "%s", unit_file("b-dev.crt", "cert\n"));
    snprintf(key, sizeof key, "%s", unit_file("b-dev.key", "key\n"));
    snprintf(ca, sizeof ca, "%s", unit_file("b-ca.crt", "ca\n"));
    CHECK(chmod(pw, 0600) == 0);

    snprintf(body, sizeof body, "host = \"broker.lan\";\nport = 8883;\nkeepalive = 3600;\n"
             "username = \"u\";\npassword = \"p\";\ncafile = \"%s\";\ncertfile = \"%s\";\n"
             "keyfile = \"%s\";\n", ca, crt, key);
    REQUIRE(read_cfg_broker(body, NULL, NULL, &b, &err, NULL) == 0);
    CHECK_STR_EQ(b.host, "broker.lan");
    CHECK_INT_EQ(b.port, 8883);
    CHECK_INT_EQ(b.keepalive, 3600);
    CHECK_STR_EQ(b.username, "u");
    CHECK_STR_EQ(b.password, "p");
    CHECK_STR_EQ(b.cafile, ca);
    CHECK_STR_EQ(b.certfile, crt);
    CHECK_STR_EQ(b.keyfile, key);

    /* The program's own group wins key by key; the rest stays the shared one's. */
    snprintf(own, sizeof own, "username = \"kiosk-%%r\";\npassword_file = \"%s\";\n"
             "keepalive = 5;\n", pw);
    REQUIRE(read_cfg_broker("host = \"h\";\nport = 1884;\n", own, "chair-7", &b, &err,
                            NULL) == 0);
    CHECK_STR_EQ(b.host, "h");
    CHECK_INT_EQ(b.port, 1884);
    CHECK_INT_EQ(b.keepalive, 5);
    CHECK_STR_EQ(b.username, "kiosk-chair-7");     /* %r: the room */
    CHECK_STR_EQ(b.password, "pass-from-file");
    CHECK_STR_EQ(b.password_file, pw);
    /* Without a room, %r stays as written. */
    REQUIRE(read_cfg_broker("username = \"kiosk-%r\";\n", NULL, NULL, &b, &err, NULL) == 0);
    CHECK_STR_EQ(b.username, "kiosk-%r");

    /* The options for the session: empty credentials are none. */
    struct mqtt_opts o = mqtt_opts_from_broker(&b);
    CHECK_STR_EQ(o.host, "127.0.0.1");
    CHECK_INT_EQ(o.port, 1883);
    CHECK_INT_EQ(o.keepalive, 10);
    CHECK_STR_EQ(o.username, "kiosk-%r");
    CHECK(o.password == NULL);
    CHECK(o.client_id == NULL && o.will_topic == NULL && !o.persistent);
    strcpy(b.password, "p");
    o = mqtt_opts_from_broker(&b);
    CHECK_STR_EQ(o.password, "p");
    CHECK(o.password == b.password);
}

/* The password file and the TLS files of cfg_broker_read: each mistake at its own line. */
static void test_broker_files(void)
{
    struct cfg_broker b;
    struct cfg_error err;
    char body[2048];
    char pw[512], empty[512], longpw[512], crt[512];  /* unit_file's buffer is reused */

    snprintf(pw, sizeof pw, "%s", unit_file("pw", "s3cret\nsecond line ignored\n"));
    snprintf(empty, sizeof empty, "%s", unit_file("empty", "\n"));
    {   /* one character more than a struct cfg_broker password holds */
        char text[200];
        memset(text, 'p', sizeof b.password);
        strcpy(text + sizeof b.password, "\n");
        snprintf(longpw, sizeof longpw, "%s", unit_file("long", text));
    }
    snprintf(crt, sizeof crt, "%s", unit_file("dev.crt", "-----BEGIN CERTIFICATE-----\n"));
    /* Secrets are the owner's alone (issue 12 item 2): a file others may read is refused. */
    CHECK_INT_EQ(chmod(pw, 0644), 0);
    snprintf(body, sizeof body, "username = \"kiosk-chair-1\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "readable by others (mode 0644)"));
    CHECK_INT_EQ(chmod(pw, 0640), 0);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(chmod(pw, 0600) == 0 && chmod(empty, 0600) == 0 && chmod(longpw, 0600) == 0);

    snprintf(body, sizeof body, "username = \"kiosk-chair-1\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), 0);
    CHECK_STR_EQ(b.password, "s3cret");
    CHECK_STR_EQ(b.username, "kiosk-chair-1");

    /* Each mistake names the line of the setting that is wrong. */
    snprintf(body, sizeof body, "password = \"x\";\npassword_file = \"%s\";\n", pw);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "not both"));
    CHECK_INT_EQ(read_cfg_broker("password_file = \"/nonexistent/pw\";\n", NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "cannot be read"));
    snprintf(body, sizeof body, "password_file = \"%s\";\n", empty);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "empty"));
    snprintf(body, sizeof body, "password_file = \"%s\";\n", longpw);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "longer"));
    snprintf(body, sizeof body, "cafile = \"%s\";\ncertfile = \"%s\";\n", crt, crt);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "go together"));
    snprintf(body, sizeof body, "certfile = \"%s\";\nkeyfile = \"%s\";\n", crt, crt);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":2: ") && strstr(err.text, "cafile"));
    snprintf(body, sizeof body, "host = \"h\";\ncafile = \"/nonexistent/ca.crt\";\n");
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, ":3: ") && strstr(err.text, "'cafile'"));
    snprintf(body, sizeof body, "cafile = \"%s\";\ncertfile = \"%s\";\nkeyfile = \"%s\";\n",
             crt, crt, crt);
    CHECK_INT_EQ(read_cfg_broker(body, NULL, NULL, &b, &err, NULL), 0);
    CHECK_STR_EQ(b.keyfile, crt);
}

static void test_broker_errors(void)
{
    char own[1024];

    /* broker = { is line 1; the program's own group starts at line (body lines + 4). */
    EXPECT_BROKER_ERROR("host = \"h\";\nport = 99999;\n", NULL, 3,
                        "'port' is 99999; it must be between 1 and 65535");
    EXPECT_BROKER_ERROR("port = 0;\n", NULL, 2, "'port' is 0");
    EXPECT_BROKER_ERROR("keepalive = 4;\n", NULL, 2,
                        "'keepalive' is 4; it must be between 5 and 3600");
    EXPECT_BROKER_ERROR("keepalive = 3601;\n", NULL, 2, "'keepalive' is 3601");
    EXPECT_BROKER_ERROR("host = 5;\n", NULL, 2, "'host' must be text in double quotes");
    EXPECT_BROKER_ERROR("\n", "\nport = \"1883\";\n", 6, "'port' must be a whole number");
    EXPECT_BROKER_ERROR("cafile = \"/nonexistent/ca.crt\";\n", NULL, 2,
                        "'cafile' /nonexistent/ca.crt cannot be read");
    EXPECT_BROKER_ERROR("password = \"x\";\n", "password_file = \"/nonexistent\";\n", 5,
                        "not both");
    EXPECT_BROKER_ERROR("\n", "keyfile = \"/k\";\n", 5, "'certfile' and 'keyfile' go together");
    /* %r making a setting too long: the line of the program's own setting. */
    memset(own, 'u', 60);
    snprintf(own + 60, sizeof own - 60, "%%r\";\n");
    char text[1100];
    snprintf(text, sizeof text, "username = \"%s", own);
    EXPECT_BROKER_ERROR("host = \"h\";\n", text, 5,
                        "'username' is longer than 63 characters once %r is replaced by the room");
}

int main(void)
{
    RUN(test_rows_defaults);
    RUN(test_rows_ranges);
    RUN(test_rows_types);
    RUN(test_rows_warn_unknown);
    RUN(test_rows_keep_restart);
    RUN(test_broker_defaults);
    RUN(test_broker_each_key);
    RUN(test_broker_files);
    RUN(test_broker_errors);
    RUN(test_load_errors);
    RUN(test_get_ms);
    RUN(test_fail_format);
    unit_cleanup();
    return CHECK_SUMMARY();
}
