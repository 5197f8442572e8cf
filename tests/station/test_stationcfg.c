/*
 * test_stationcfg.c - the station { } group of haven.cfg (station/stationcfg.c):
 * the shipped example, the defaults, every key, bad types and ranges with
 * "file:line" errors, unknown keys, the broker login, the listen address
 * (config and --listen), loopback, the TLS files (checked at load: readable,
 * PEM, the key the station's alone, each error at its key's line), a
 * reload's restart-only settings, and the last check before serving (TLS or
 * loopback).
 */
#include "check.h"
#include "err.h"
#include "log.h"
#include "stationcfg.h"
#include "unit_util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

/* The clinic roomcfg_load needs; the station { } group comes after it. */
#define CLINIC \
    "prefix = \"haven\";\n" \
    "controller = { id = \"room-1\"; database = \"/tmp/calls.db\"; };\n" \
    "groups = [ \"nurses\", \"charge\" ];\n" \
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; } );\n"

static int load_text(const char *text, struct station_config *c, struct cfg_error *err,
                     const char **path)
{
    const char *p = unit_file("haven.cfg", text);

    if (path)
        *path = p;
    err->text[0] = '\0';
    return stationcfg_load(p, c, err);
}

/* text must fail with HV_ECONFIG and "<path>:<line of #!>: ...what...". */
static void expect_error(const char *text, const char *what, int src_line)
{
    struct station_config c;
    struct cfg_error err;
    const char *path;
    int rc = load_text(text, &c, &err, &path);

    unit_expect_config_error(rc, &err, path, text, what, __FILE__, src_line);
    if (rc == 0)
        stationcfg_free(&c);
}
#define EXPECT_ERROR(text, what) expect_error((text), (what), __LINE__)

/* Loads path; true when it loads with no "unknown setting" warning (else says why). */
static bool load_clean(const char *path, struct station_config *c, struct cfg_error *err)
{
    char *out;
    int rc;
    bool stray;

    err->text[0] = '\0';
    unit_capture_begin();
    rc = stationcfg_load(path, c, err);
    out = unit_capture_end();
    stray = strstr(out, "unknown setting") != NULL;
    free(out);
    if (rc)
        fprintf(stderr, "  %s\n", err->text);
    else if (stray)
        stationcfg_free(c);
    return rc == 0 && !stray;
}

/* A file of mode mode under the test's directory; its path in a static buffer of its own. */
static const char *secret_file(const char *name, const char *text, mode_t mode)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof paths[0], "%s", unit_file(name, text));
    chmod(p, mode);
    return p;
}

#define PEM_CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"

/* ---- the shipped configuration ------------------------------------------------------ */

static void test_shipped_config(void)
{
    struct station_config c;
    struct cfg_error err = { "" };

    REQUIRE(load_clean(HAVEN_SOURCE_DIR "/config/haven.cfg", &c, &err));
    CHECK_STR_EQ(c.listen_host, "127.0.0.1");
    CHECK_INT_EQ(c.listen_port, 8080);
    CHECK_STR_EQ(c.users, "/var/lib/haven/station-users");
    CHECK_STR_EQ(c.audit, "/var/lib/haven/station-audit.log");
    CHECK_STR_EQ(c.record, "/var/lib/haven/station-record.db");
    CHECK_INT_EQ(c.dropout_days, 14);
    CHECK_STR_EQ(c.tls_cert, "");
    CHECK_STR_EQ(c.tls_key, "");
    CHECK_INT_EQ(c.phone_idle_ms, 900000);
    CHECK_INT_EQ(c.board_max_ms, 43200000);
    CHECK_INT_EQ(c.day_starts_min, 7 * 60);
    CHECK_INT_EQ(c.night_starts_min, 19 * 60);
    CHECK_INT_EQ(c.target_s[PRIO_URGENT], 60);
    CHECK_INT_EQ(c.target_s[PRIO_ASSIST], 180);
    CHECK_INT_EQ(c.target_s[PRIO_ROUTINE], 600);
    CHECK_STR_EQ(stationcfg_login(&c), "station");
    CHECK_INT_EQ(c.clinic.nrooms, 4);
    CHECK(stationcfg_check_listen(&c, &err) == 0);
    stationcfg_free(&c);
}

/* ---- defaults ---------------------------------------------------------------------- */

static void test_defaults_without_a_station_group(void)
{
    struct station_config c;
    struct cfg_error err;

    REQUIRE(load_text(CLINIC, &c, &err, NULL) == 0);
    CHECK_STR_EQ(c.listen_host, "127.0.0.1");
    CHECK_INT_EQ(c.listen_port, 8080);
    CHECK_STR_EQ(c.users, "/var/lib/haven/station-users");
    CHECK_STR_EQ(c.audit, "/var/lib/haven/station-audit.log");
    CHECK_STR_EQ(c.record, "/var/lib/haven/station-record.db");
    CHECK_INT_EQ(c.dropout_days, 14);
    CHECK_STR_EQ(c.tls_cert, "");
    CHECK_STR_EQ(c.tls_key, "");
    CHECK_INT_EQ(c.phone_idle_ms, 900 * 1000);
    CHECK_INT_EQ(c.board_max_ms, 43200 * 1000LL);
    CHECK_INT_EQ(c.recovery_ms, 30 * 60000);
    CHECK_STR_EQ(c.broker.host, "127.0.0.1");
    CHECK_INT_EQ(c.broker.port, 1883);
    CHECK_INT_EQ(c.broker.keepalive, 10);
    CHECK_STR_EQ(c.broker.username, "");
    CHECK_STR_EQ(c.broker.password, "");
    CHECK_STR_EQ(c.broker.cafile, "");
    CHECK_STR_EQ(stationcfg_login(&c), "station");
    CHECK_INT_EQ(c.day_starts_min, 420);
    CHECK_INT_EQ(c.night_starts_min, 1140);
    CHECK_INT_EQ(c.target_s[PRIO_URGENT], 60);
    CHECK_INT_EQ(c.target_s[PRIO_ASSIST], 180);
    CHECK_INT_EQ(c.target_s[PRIO_ROUTINE], 600);
    /* The clinic is roomcfg's: the same rooms and labels as the controller's. */
    REQUIRE(c.clinic.nrooms == 2);
    CHECK_STR_EQ(c.clinic.prefix, "haven");
    CHECK_STR_EQ(roomcfg_room(&c.clinic, "chair-1")->label, "Chair 1");
    CHECK_STR_EQ(roomcfg_room(&c.clinic, "chair-2")->label, "chair-2");
    CHECK(stationcfg_check_listen(&c, &err) == 0);   /* loopback: plain HTTP is allowed */
    stationcfg_free(&c);
    CHECK_STR_EQ(c.broker.password, "");
}

/* An empty station { } and an empty report { } keep every default. */
static void test_empty_groups_keep_the_defaults(void)
{
    struct station_config c;
    struct cfg_error err;

    REQUIRE(load_text(CLINIC "station = { report = { target = { }; }; broker = { }; };\n", &c,
                      &err, NULL) == 0);
    CHECK_INT_EQ(c.listen_port, 8080);
    CHECK_INT_EQ(c.day_starts_min, 420);
    CHECK_INT_EQ(c.target_s[PRIO_ROUTINE], 600);
    CHECK_STR_EQ(stationcfg_login(&c), "station");
    stationcfg_free(&c);
}

/* ---- every key ---------------------------------------------------------------------- */

static void test_every_key(void)
{
    struct station_config c;
    struct cfg_error err;
    char text[4096];
    const char *pw = secret_file("station.password", "s3cret-pw\nsecond line ignored\n", 0600);
    const char *cert = secret_file("station.crt", PEM_CERT, 0644);
    const char *key = secret_file("station.key", PEM_KEY, 0600);
    const char *ca = secret_file("ca.crt", "CA\n", 0644);

    snprintf(text, sizeof text, CLINIC
             "broker = { host = \"10.0.0.5\"; port = 1884; keepalive = 20; };\n"
             "kiosk = { recovery_minutes = 45; };\n"
             "station = {\n"
             "  listen = \"[::1]:9443\";\n"
             "  users = \"/srv/users\";\n"
             "  audit = \"/srv/audit.log\";\n"
             "  record = \"/srv/record.db\"; dropout_days = 30;\n"
             "  tls_cert = \"%s\"; tls_key = \"%s\";\n"
             "  phone_idle = 60.5;\n"
             "  board_max = 604800;\n"
             "  broker = { host = \"broker.clinic\"; port = 8883; username = \"station-east\";\n"
             "             password_file = \"%s\"; cafile = \"%s\"; };\n"
             "  report = { day_starts = \"06:30\"; night_starts = \"18:45\";\n"
             "             target = { urgent = 1; assist = 86400; routine = 300; }; };\n"
             "};\n", cert, key, pw, ca);
    REQUIRE(load_clean(unit_file("haven.cfg", text), &c, &err));
    CHECK_STR_EQ(c.listen_host, "::1");
    CHECK_INT_EQ(c.listen_port, 9443);
    CHECK_STR_EQ(c.users, "/srv/users");
    CHECK_STR_EQ(c.audit, "/srv/audit.log");
    CHECK_STR_EQ(c.record, "/srv/record.db");
    CHECK_INT_EQ(c.dropout_days, 30);
    CHECK_STR_EQ(c.tls_cert, cert);
    CHECK_STR_EQ(c.tls_key, key);
    CHECK_INT_EQ(c.phone_idle_ms, 60500);
    CHECK_INT_EQ(c.board_max_ms, 604800000LL);
    CHECK_INT_EQ(c.recovery_ms, 45 * 60000);
    /* station.broker { } overrides broker { } key by key; keepalive comes from broker { }. */
    CHECK_STR_EQ(c.broker.host, "broker.clinic");
    CHECK_INT_EQ(c.broker.port, 8883);
    CHECK_INT_EQ(c.broker.keepalive, 20);
    CHECK_STR_EQ(c.broker.username, "station-east");
    CHECK_STR_EQ(stationcfg_login(&c), "station-east");
    CHECK_STR_EQ(c.broker.password, "s3cret-pw");          /* the first line of the file */
    CHECK_STR_EQ(c.broker.cafile, ca);
    CHECK_INT_EQ(c.day_starts_min, 6 * 60 + 30);
    CHECK_INT_EQ(c.night_starts_min, 18 * 60 + 45);
    CHECK_INT_EQ(c.target_s[PRIO_URGENT], 1);
    CHECK_INT_EQ(c.target_s[PRIO_ASSIST], 86400);
    CHECK_INT_EQ(c.target_s[PRIO_ROUTINE], 300);
    CHECK(stationcfg_check_listen(&c, &err) == 0);   /* both TLS files can be read */
    stationcfg_free(&c);
    CHECK_STR_EQ(c.broker.password, "");                    /* wiped */
}

/* The shared broker { } alone gives the station its broker too (never controller.broker). */
static void test_shared_broker_and_not_the_controllers(void)
{
    struct station_config c;
    struct cfg_error err;

    REQUIRE(load_text(CLINIC "broker = { host = \"10.1.2.3\"; port = 1999; };\n"
                      "station = { broker = { username = \"station\"; password = \"pw\"; }; };\n",
                      &c, &err, NULL) == 0);
    CHECK_STR_EQ(c.broker.host, "10.1.2.3");
    CHECK_INT_EQ(c.broker.port, 1999);
    CHECK_STR_EQ(c.broker.username, "station");
    CHECK_STR_EQ(c.broker.password, "pw");
    stationcfg_free(&c);
}

/* ---- errors: file:line -------------------------------------------------------------- */

static void test_bad_types(void)
{
    EXPECT_ERROR(CLINIC "station = 5; #!\n", "'station' must be a group");
    EXPECT_ERROR(CLINIC "station = {\n  listen = 8080; #!\n};\n", "'listen' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  users = 1; #!\n};\n", "'users' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  audit = true; #!\n};\n", "'audit' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  tls_cert = 3; #!\n};\n", "'tls_cert' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  tls_key = [ \"a\" ]; #!\n};\n", "'tls_key' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  phone_idle = \"900\"; #!\n};\n",
                 "'phone_idle' must be a number of seconds");
    EXPECT_ERROR(CLINIC "station = {\n  board_max = true; #!\n};\n",
                 "'board_max' must be a number of seconds");
    EXPECT_ERROR(CLINIC "station = {\n  report = 1; #!\n};\n", "'report' must be a group");
    EXPECT_ERROR(CLINIC "station = {\n  report = {\n    target = 60; #!\n  };\n};\n",
                 "'target' must be a group");
    EXPECT_ERROR(CLINIC "station = {\n  report = { day_starts = 7; #!\n  };\n};\n",
                 "'day_starts' must be text");
    EXPECT_ERROR(CLINIC "station = {\n  report = { target = {\n    urgent = \"60\"; #!\n  }; };\n};\n",
                 "'urgent' must be a whole number");
    EXPECT_ERROR(CLINIC "station = {\n  report = { target = {\n    assist = 1.5; #!\n  }; };\n};\n",
                 "'assist' must be a whole number");
    EXPECT_ERROR(CLINIC "station = {\n  broker = {\n    port = \"1883\"; #!\n  };\n};\n",
                 "'port' must be a whole number");
    EXPECT_ERROR(CLINIC "kiosk = {\n  recovery_minutes = \"30\"; #!\n};\n",
                 "'recovery_minutes' must be a whole number");
}

static void test_bad_ranges(void)
{
    EXPECT_ERROR(CLINIC "station = {\n  phone_idle = 59; #!\n};\n",
                 "'phone_idle' is 59 s; it must be between 60 and 86400 s");
    EXPECT_ERROR(CLINIC "station = {\n  phone_idle = 86401; #!\n};\n", "'phone_idle' is");
    EXPECT_ERROR(CLINIC "station = {\n  board_max = 59.9; #!\n};\n", "'board_max' is");
    EXPECT_ERROR(CLINIC "station = {\n  board_max = 604801; #!\n};\n",
                 "it must be between 60 and 604800 s");
    EXPECT_ERROR(CLINIC "station = { report = { target = {\n  urgent = 0; #!\n}; }; };\n",
                 "'urgent' is 0; it must be between 1 and 86400");
    EXPECT_ERROR(CLINIC "station = { report = { target = {\n  routine = 86401; #!\n}; }; };\n",
                 "'routine' is 86401");
    EXPECT_ERROR(CLINIC "station = { broker = {\n  port = 0; #!\n}; };\n",
                 "'port' is 0; it must be between 1 and 65535");
    EXPECT_ERROR(CLINIC "station = { broker = {\n  keepalive = 4; #!\n}; };\n", "'keepalive' is 4");
    EXPECT_ERROR(CLINIC "kiosk = {\n  recovery_minutes = 0; #!\n};\n", "'recovery_minutes' is 0");
    EXPECT_ERROR(CLINIC "station = {\n  dropout_days = 0; #!\n};\n",
                 "'dropout_days' is 0; it must be between 1 and 365");
    {   /* a path longer than PATH_MAX - 1 */
        static const char head[] = CLINIC "station = {\n  users = \"/", tail[] = "\"; #!\n};\n";
        char *text = malloc(sizeof head + PATH_MAX + sizeof tail);
        REQUIRE(text != NULL);
        memcpy(text, head, sizeof head - 1);
        memset(text + sizeof head - 1, 'x', PATH_MAX);
        memcpy(text + sizeof head - 1 + PATH_MAX, tail, sizeof tail);
        expect_error(text, "'users' is longer than 4095 characters", __LINE__);
        free(text);
    }
}

static void test_bad_values(void)
{
    static const char *const bad_listen[] = {
        "8080", "127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:80x", "127.0.0.1:65536",
        "127.0.0.1:-1", "::1:8080", "[::1]", "[::1:8080", "[]:8080", "[::1]x:80",
    };
    char text[512];

    for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
        snprintf(text, sizeof text, CLINIC "station = {\n  listen = \"%s\"; #!\n};\n",
                 bad_listen[i]);
        expect_error(text, "'listen' must be \"HOST:PORT\"", __LINE__);
    }
    EXPECT_ERROR(CLINIC "station = {\n  users = \"\"; #!\n};\n", "'users' must name a file");
    EXPECT_ERROR(CLINIC "station = {\n  audit = \"\"; #!\n};\n", "'audit' must name a file");
    EXPECT_ERROR(CLINIC "station = {\n  record = \"\"; #!\n};\n", "'record' must name a file");
    EXPECT_ERROR(CLINIC "station = {\n  tls_cert = \"/etc/haven/tls/station.crt\"; #!\n};\n",
                 "'tls_cert' and 'tls_key' go together");
    EXPECT_ERROR(CLINIC "station = {\n  tls_cert = \"\";\n  tls_key = \"/k.key\"; #!\n};\n",
                 "'tls_cert' and 'tls_key' go together");
    EXPECT_ERROR(CLINIC "station = { report = {\n  day_starts = \"7:00\"; #!\n}; };\n",
                 "'day_starts' must be a time \"HH:MM\"");
    EXPECT_ERROR(CLINIC "station = { report = {\n  day_starts = \"07:60\"; #!\n}; };\n",
                 "'day_starts' must be a time");
    EXPECT_ERROR(CLINIC "station = { report = {\n  night_starts = \"24:00\"; #!\n}; };\n",
                 "'night_starts' must be a time");
    EXPECT_ERROR(CLINIC "station = { report = {\n  night_starts = \"19-00\"; #!\n}; };\n",
                 "'night_starts' must be a time");
    EXPECT_ERROR(CLINIC "station = { report = { day_starts = \"08:00\";\n"
                 "  night_starts = \"08:00\"; #!\n}; };\n",
                 "'night_starts' must differ from 'day_starts'");
    /* The station's broker login must be a station's: the controller trusts its "by". */
    EXPECT_ERROR(CLINIC "station = { broker = {\n  username = \"nurse-sam\"; #!\n}; };\n",
                 "'username' must be \"station\" or start with \"station-\"");
    EXPECT_ERROR(CLINIC "station = { broker = {\n  username = \"station-a/b\"; #!\n}; };\n",
                 "'username' must be");
    EXPECT_ERROR(CLINIC "station = { broker = { password = \"x\";\n"
                 "  password_file = \"/nonexistent\"; #!\n}; };\n",
                 "set either 'password' or 'password_file', not both");
    EXPECT_ERROR(CLINIC "station = { broker = {\n  password_file = \"/nonexistent/pw\"; #!\n}; };\n",
                 "'password_file' /nonexistent/pw cannot be read");
    EXPECT_ERROR(CLINIC "station = { broker = {\n  cafile = \"/nonexistent/ca.crt\"; #!\n}; };\n",
                 "'cafile' /nonexistent/ca.crt cannot be read");
    EXPECT_ERROR(CLINIC "station = {\n  listen = = \"127.0.0.1:8080\"; #!\n};\n",
                 "syntax error");
}

/* A password others may read is refused, as for every other program. */
static void test_password_file_readable_by_others(void)
{
    char text[1024];
    const char *pw = secret_file("open.password", "pw\n", 0644);

    snprintf(text, sizeof text, CLINIC "station = { broker = {\n  password_file = \"%s\"; #!\n"
             "}; };\n", pw);
    expect_error(text, "is readable by others (mode 0644)", __LINE__);
    pw = secret_file("empty.password", "\n", 0600);
    snprintf(text, sizeof text, CLINIC "station = { broker = {\n  password_file = \"%s\"; #!\n"
             "}; };\n", pw);
    expect_error(text, "the first line (the password) is empty", __LINE__);
}

/*
 * The shared broker { } may carry the controller's login; the station refuses to use it,
 * at the line of that username, and says where the station's own goes.
 */
static void test_shared_broker_username_is_not_the_stations(void)
{
    struct station_config c;
    struct cfg_error err;

    EXPECT_ERROR(CLINIC "broker = {\n  host = \"127.0.0.1\";\n  username = \"room-1\"; #!\n};\n",
                 "the shared broker 'username' \"room-1\" is not a station's login, and the "
                 "station would log in with it: give the station its own, station = { broker = "
                 "{ username = \"station\";");
    EXPECT_ERROR(CLINIC "broker = { username = \"kiosk-%r\"; #!\n};\n"
                 "station = { listen = \"127.0.0.1:8081\"; };\n", "docs/deployment.md");
    /* station.broker.username overrides it. */
    REQUIRE(load_text(CLINIC "broker = { username = \"room-1\"; };\n"
                      "station = { broker = { username = \"station-2\"; }; };\n", &c, &err,
                      NULL) == 0);
    CHECK_STR_EQ(stationcfg_login(&c), "station-2");
    stationcfg_free(&c);
}

/* A clinic error (roomcfg's) comes through as it is, file:line. */
static void test_clinic_errors_come_through(void)
{
    EXPECT_ERROR("prefix = \"haven\";\ngroups = [ \"nurses\" ];\n"
                 "rooms = ( { id = \"chair 1\"; } ); #!\n", "room id must be");
}

/* ---- unknown keys ------------------------------------------------------------------- */

static void test_unknown_keys_are_warned_with_file_and_line(void)
{
    static const struct {
        const char *key, *marker;
    } want[] = {
        { "colour", "#1" }, { "lisen", "#2" }, { "usename", "#3" }, { "day_start", "#4" },
        { "urgnet", "#5" },
    };
    struct station_config c;
    struct cfg_error err;
    const char *path;
    const char *text = CLINIC
        "station = {\n"
        "  colour = \"blue\"; #1\n"
        "  lisen = \"127.0.0.1:1\"; #2\n"
        "  broker = {\n"
        "    usename = \"station\"; #3\n"
        "  };\n"
        "  report = {\n"
        "    day_start = \"07:00\"; #4\n"
        "    target = { urgnet = 5; #5\n"
        "    };\n"
        "  };\n"
        "};\n";
    char *out;
    char line[700];
    int rc;

    unit_capture_begin();
    rc = load_text(text, &c, &err, &path);
    out = unit_capture_end();
    REQUIRE(rc == 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(line, sizeof line, "%s:%d: unknown setting '%s' ignored", path,
                 unit_line_of(text, want[i].marker), want[i].key);
        if (!strstr(out, line))
            fprintf(stderr, "  missing warning: %s\n", line);
        CHECK(strstr(out, line) != NULL);
    }
    CHECK_INT_EQ(c.listen_port, 8080);   /* the misspelt key changed nothing */
    CHECK_INT_EQ(c.day_starts_min, 420);
    CHECK_INT_EQ(c.target_s[PRIO_URGENT], 60);
    free(out);
    stationcfg_free(&c);
}

/* ---- the listen address ------------------------------------------------------------- */

static void test_set_listen(void)
{
    struct station_config c;
    struct cfg_error err;

    REQUIRE(load_text(CLINIC, &c, &err, NULL) == 0);
    CHECK(stationcfg_set_listen(&c, "0.0.0.0:443", &err) == 0);
    CHECK_STR_EQ(c.listen_host, "0.0.0.0");
    CHECK_INT_EQ(c.listen_port, 443);
    CHECK(stationcfg_set_listen(&c, "[fe80::1]:8443", &err) == 0);
    CHECK_STR_EQ(c.listen_host, "fe80::1");
    CHECK_INT_EQ(c.listen_port, 8443);
    CHECK(stationcfg_set_listen(&c, "localhost:0", &err) == 0);   /* 0: any free port */
    CHECK_STR_EQ(c.listen_host, "localhost");
    CHECK_INT_EQ(c.listen_port, 0);
    err.text[0] = '\0';
    CHECK(stationcfg_set_listen(&c, "fe80::1:8443", &err) == HV_ECONFIG);
    CHECK(strncmp(err.text, "--listen: 'fe80::1:8443' must be HOST:PORT", 40) == 0);
    CHECK(stationcfg_set_listen(&c, "host:99999", &err) == HV_ECONFIG);
    CHECK(stationcfg_set_listen(&c, "", &err) == HV_ECONFIG);
    /* A refused value leaves the last good one. */
    CHECK_STR_EQ(c.listen_host, "localhost");
    CHECK_INT_EQ(c.listen_port, 0);
    stationcfg_free(&c);
}

static void test_host_is_loopback(void)
{
    CHECK(stationcfg_host_is_loopback("127.0.0.1"));
    CHECK(stationcfg_host_is_loopback("127.255.0.9"));
    CHECK(stationcfg_host_is_loopback("::1"));
    CHECK(stationcfg_host_is_loopback("localhost"));
    CHECK(stationcfg_host_is_loopback("LocalHost"));
    CHECK(!stationcfg_host_is_loopback("0.0.0.0"));
    CHECK(!stationcfg_host_is_loopback("::"));
    CHECK(!stationcfg_host_is_loopback("128.0.0.1"));
    CHECK(!stationcfg_host_is_loopback("10.0.0.1"));
    CHECK(!stationcfg_host_is_loopback("126.255.255.255"));
    CHECK(!stationcfg_host_is_loopback("localhost.example.com"));
    CHECK(!stationcfg_host_is_loopback("127.0.0.1.example.com"));
    CHECK(!stationcfg_host_is_loopback("station.clinic"));
    CHECK(!stationcfg_host_is_loopback(""));
}

/* ---- the last check before serving -------------------------------------------------- */

static void test_check_listen_needs_tls_off_loopback(void)
{
    struct station_config c;
    struct cfg_error err;
    const char *path;

    REQUIRE(load_text(CLINIC "station = { listen = \"0.0.0.0:8443\"; };\n", &c, &err, &path) == 0);
    err.text[0] = '\0';
    CHECK(stationcfg_check_listen(&c, &err) == HV_ECONFIG);
    CHECK(strncmp(err.text, path, strlen(path)) == 0);
    CHECK(strstr(err.text, "listening on 0.0.0.0 needs HTTPS: set tls_cert and tls_key") != NULL);
    CHECK(stationcfg_set_listen(&c, "[::]:8443", &err) == 0);
    CHECK(stationcfg_check_listen(&c, &err) == HV_ECONFIG);
    CHECK(stationcfg_set_listen(&c, "192.0.2.7:8443", &err) == 0);
    CHECK(stationcfg_check_listen(&c, &err) == HV_ECONFIG);
    CHECK(stationcfg_set_listen(&c, "127.0.0.2:8080", &err) == 0);
    CHECK(stationcfg_check_listen(&c, &err) == 0);
    CHECK(stationcfg_set_listen(&c, "[::1]:8080", &err) == 0);
    CHECK(stationcfg_check_listen(&c, &err) == 0);
    stationcfg_free(&c);
}

static void test_check_listen_tls_files(void)
{
    struct station_config c;
    struct cfg_error err;
    char text[2048];
    const char *cert = secret_file("s.crt", PEM_CERT, 0644);
    const char *key = secret_file("s.key", PEM_KEY, 0600);

    /* Both files good: any address may be served (HTTPS). */
    snprintf(text, sizeof text, CLINIC "station = { listen = \"0.0.0.0:8443\";\n"
             "  tls_cert = \"%s\"; tls_key = \"%s\"; };\n", cert, key);
    REQUIRE(load_text(text, &c, &err, NULL) == 0);
    CHECK(stationcfg_check_listen(&c, &err) == 0);
    stationcfg_free(&c);
}

/* Each TLS file error is the config's, at the line of the key that named the file. */
static void test_tls_files_are_checked_at_load(void)
{
    char text[4096], want[1200];
    char cert[512], key[512], notpem[512], ecparams[512], rsa[512];

    snprintf(cert, sizeof cert, "%s", secret_file("t.crt", PEM_CERT, 0644));
    snprintf(key, sizeof key, "%s", secret_file("t.key", PEM_KEY, 0600));
    snprintf(notpem, sizeof notpem, "%s", secret_file("t.txt", "not a certificate\n", 0600));
    snprintf(ecparams, sizeof ecparams, "%s", secret_file("t.ec", "-----BEGIN EC PARAMETERS-----"
             "\nBggq\n-----END EC PARAMETERS-----\n", 0600));
    snprintf(rsa, sizeof rsa, "%s", secret_file("t.rsa", "junk\n-----BEGIN RSA PRIVATE KEY-----\n"
             "MIIE\n-----END RSA PRIVATE KEY-----\n", 0600));

    /* A missing certificate or key (on loopback too): the file, the reason, the line. */
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s/missing.crt\"; #!\n"
             "  tls_key = \"%s\";\n};\n", unit_dir(), key);
    snprintf(want, sizeof want, "'tls_cert' %s/missing.crt cannot be read: No such file or "
             "directory", unit_dir());
    expect_error(text, want, __LINE__);
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\";\n"
             "  tls_key = \"%s/missing.key\"; #!\n};\n", cert, unit_dir());
    snprintf(want, sizeof want, "'tls_key' %s/missing.key cannot be read", unit_dir());
    expect_error(text, want, __LINE__);
    /* A directory is not a certificate either. */
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\"; #!\n"
             "  tls_key = \"%s\";\n};\n", unit_dir(), key);
    snprintf(want, sizeof want, "'tls_cert' %s is not a file", unit_dir());
    expect_error(text, want, __LINE__);
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"/nonexistent-dir/\"; #!\n"
             "  tls_key = \"%s\";\n};\n", key);
    expect_error(text, "'tls_cert' /nonexistent-dir/ cannot be read", __LINE__);

    /* Not PEM (it was "cannot listen" when the server refused it). */
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\"; #!\n"
             "  tls_key = \"%s\";\n};\n", notpem, key);
    snprintf(want, sizeof want, "'tls_cert' %s is not a PEM certificate (no \"-----BEGIN "
             "CERTIFICATE-----\" line)", notpem);
    expect_error(text, want, __LINE__);
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\"; #!\n"
             "  tls_key = \"%s\";\n};\n", key, key);   /* a key where the certificate goes */
    expect_error(text, "is not a PEM certificate", __LINE__);
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\";\n"
             "  tls_key = \"%s\"; #!\n};\n", cert, ecparams);
    snprintf(want, sizeof want, "'tls_key' %s is not a PEM private key", ecparams);
    expect_error(text, want, __LINE__);
    snprintf(notpem, sizeof notpem, "%s", secret_file("t2.crt", PEM_CERT, 0600));
    snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\";\n"
             "  tls_key = \"%s\"; #!\n};\n", cert, notpem);   /* a certificate as the key */
    expect_error(text, "is not a PEM private key", __LINE__);

    /* The key is the station's alone, as ssh insists: group or others may not read it. */
    static const mode_t open_modes[] = { 0644, 0640, 0604, 0660 };
    for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
        REQUIRE(chmod(key, open_modes[i]) == 0);
        snprintf(text, sizeof text, CLINIC "station = {\n  tls_cert = \"%s\";\n"
                 "  tls_key = \"%s\"; #!\n};\n", cert, key);
        snprintf(want, sizeof want, "'tls_key' %s is readable by others (mode %04o); chmod 600 "
                 "it", key, (unsigned)open_modes[i]);
        expect_error(text, want, __LINE__);
    }
    /* 0400 (systemd's LoadCredential=) and 0600 are fine; so are an RSA or EC key. */
    struct station_config c;
    struct cfg_error err;
    REQUIRE(chmod(key, 0400) == 0);
    snprintf(text, sizeof text, CLINIC "station = { tls_cert = \"%s\"; tls_key = \"%s\"; };\n",
             cert, key);
    REQUIRE(load_text(text, &c, &err, NULL) == 0);
    stationcfg_free(&c);
    snprintf(text, sizeof text, CLINIC "station = { tls_cert = \"%s\"; tls_key = \"%s\"; };\n",
             cert, rsa);
    REQUIRE(load_text(text, &c, &err, NULL) == 0);
    stationcfg_free(&c);
    REQUIRE(chmod(key, 0600) == 0);
}

/* A reload keeps listen, the files, the session lengths and the broker; the rest applies. */
static void test_keep_restart(void)
{
    struct station_config running, next;
    struct cfg_error err;
    char *out;

    REQUIRE(load_text(CLINIC "station = { listen = \"127.0.0.1:8081\"; users = \"/u1\";\n"
                      "  phone_idle = 120; broker = { username = \"station-a\"; };\n"
                      "  report = { target = { urgent = 30; }; }; };\n", &running, &err,
                      NULL) == 0);
    REQUIRE(load_text(CLINIC "kiosk = { recovery_minutes = 40; };\n"
                      "station = { listen = \"127.0.0.1:9999\"; users = \"/u2\"; dropout_days = 21;\n"
                      "  phone_idle = 300; broker = { username = \"station-b\"; port = 1884; };\n"
                      "  report = { day_starts = \"06:00\"; target = { urgent = 45; }; }; };\n",
                      &next, &err, NULL) == 0);
    unit_capture_begin();
    CHECK_INT_EQ(stationcfg_keep_restart(&next, &running), 5);
    out = unit_capture_end();
    CHECK(strstr(out, "reload: 'station.listen' changed in the file; it takes effect at the "
                      "next restart") != NULL);
    CHECK(strstr(out, "'station.users' changed") != NULL);
    CHECK(strstr(out, "'station.phone_idle' changed") != NULL);
    CHECK(strstr(out, "'broker.username' changed") != NULL);
    CHECK(strstr(out, "'broker.port' changed") != NULL);
    CHECK(strstr(out, "station-b") == NULL);            /* never the value */
    free(out);
    CHECK_STR_EQ(next.listen_host, "127.0.0.1");
    CHECK_INT_EQ(next.listen_port, 8081);
    CHECK_STR_EQ(next.users, "/u1");
    CHECK_INT_EQ(next.phone_idle_ms, 120000);
    CHECK_STR_EQ(stationcfg_login(&next), "station-a");
    CHECK_INT_EQ(next.broker.port, 1883);
    /* what a reload applies */
    CHECK_INT_EQ(next.target_s[PRIO_URGENT], 45);
    CHECK_INT_EQ(next.day_starts_min, 360);
    CHECK_INT_EQ(next.recovery_ms, 40 * 60000);
    CHECK_INT_EQ(next.dropout_days, 21);
    stationcfg_free(&next);
    stationcfg_free(&running);
}

int main(void)
{
    log_set_tag("test_stationcfg");
    RUN(test_shipped_config);
    RUN(test_defaults_without_a_station_group);
    RUN(test_empty_groups_keep_the_defaults);
    RUN(test_every_key);
    RUN(test_shared_broker_and_not_the_controllers);
    RUN(test_bad_types);
    RUN(test_bad_ranges);
    RUN(test_bad_values);
    RUN(test_password_file_readable_by_others);
    RUN(test_shared_broker_username_is_not_the_stations);
    RUN(test_clinic_errors_come_through);
    RUN(test_unknown_keys_are_warned_with_file_and_line);
    RUN(test_set_listen);
    RUN(test_host_is_loopback);
    RUN(test_check_listen_needs_tls_off_loopback);
    RUN(test_check_listen_tls_files);
    RUN(test_tls_files_are_checked_at_load);
    RUN(test_keep_restart);
    unit_cleanup();
    return CHECK_SUMMARY();
}
