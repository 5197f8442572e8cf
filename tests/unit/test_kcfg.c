/* test_kcfg.c - the kiosk's configuration and staff PIN (kiosk/kcfg.c). */
#include "check.h"
#include "err.h"
#include "kcfg.h"
#include "unit_util.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

#define ROOMS \
    "rooms = (\n" \
    "  { id = \"chair-1\"; label = \"Chair 1\"; },\n" \
    "  { id = \"chair-2\"; }\n" \
    ");\n"

#define DEFAULT_OFFLINE "If you need help now, press the call cord by your chair or call out."

static int load_text(const char *text, const char *room, struct kiosk_config *cfg,
                     struct cfg_error *err, const char **path)
{
    const char *p = unit_file("haven.cfg", text);
    if (path)
        *path = p;
    err->text[0] = '\0';
    return kcfg_load(p, room, cfg, err);
}

/*
 * text must fail to load for chair-1 with HV_ECONFIG and
 * "<path>:<line>: ...what...", where line is the one marked "#!" in text.
 */
static void expect_error(const char *text, const char *what, int src_line)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    int rc = load_text(text, "chair-1", &cfg, &err, &path);

    unit_expect_config_error(rc, &err, path, text, what, __FILE__, src_line);
}
#define EXPECT_ERROR(text, what) expect_error((text), (what), __LINE__)

static void check_kiosk_defaults(const struct kiosk_config *cfg)
{
    CHECK_INT_EQ(cfg->dpi, 96);
    CHECK_STR_EQ(cfg->state_dir, "/var/lib/haven-kiosk");
    CHECK_STR_EQ(cfg->pin_file, "");
    CHECK_INT_EQ(cfg->pins.n, 0);
    CHECK_INT_EQ(cfg->recovery_ms, 30 * 60000LL);
    CHECK_INT_EQ(cfg->checkin_ms, 15 * 60000LL);
    CHECK_INT_EQ(cfg->checkin_timeout_ms, 120000);
    for (int f = 0; f <= 5; f++)
        CHECK_INT_EQ(cfg->unwell_feeling[f], f == 5);
    CHECK_STR_EQ(cfg->offline_text, DEFAULT_OFFLINE);
    CHECK_STR_EQ(cfg->font, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
}

/* ---- the shipped configuration --------------------------------------------------------- */

static void test_shipped_config(void)
{
    struct kiosk_config cfg;
    struct cfg_error err = { "" };
    const char *path = HAVEN_SOURCE_DIR "/config/haven.cfg";
    char *out;
    int rc;

    unit_capture_begin();
    rc = kcfg_load(path, "chair-1", &cfg, &err);
    out = unit_capture_end();
    if (rc)
        fprintf(stderr, "  %s\n", err.text);
    REQUIRE(rc == 0);
    CHECK(strstr(out, "unknown setting") == NULL);
    free(out);
    CHECK_STR_EQ(cfg.path, path);
    CHECK_STR_EQ(cfg.prefix, "haven");
    CHECK_STR_EQ(cfg.room, "chair-1");
    CHECK_STR_EQ(cfg.room_label, "Chair 1");
    CHECK_STR_EQ(cfg.broker.host, "127.0.0.1");
    CHECK_INT_EQ(cfg.broker.port, 1883);
    CHECK_INT_EQ(cfg.broker.keepalive, 10);
    /* Whatever its kiosk section says (or that it has none), the values are in range. */
    CHECK(cfg.dpi >= 72 && cfg.dpi <= 600);
    CHECK(cfg.state_dir[0] == '/');
    CHECK(cfg.recovery_ms >= 60000 && cfg.recovery_ms <= 600 * 60000LL);
    CHECK(cfg.checkin_ms >= 60000 && cfg.checkin_ms <= 240 * 60000LL);
    CHECK(cfg.checkin_timeout_ms >= 10000 && cfg.checkin_timeout_ms <= 3600000);
    CHECK(cfg.offline_text[0] != '\0');
    CHECK(cfg.font[0] != '\0');

    /* Every chair of the demo clinic loads. */
    for (int i = 2; i <= 4; i++) {
        char room[16], label[16];
        snprintf(room, sizeof room, "chair-%d", i);
        snprintf(label, sizeof label, "Chair %d", i);
        REQUIRE(kcfg_load(path, room, &cfg, &err) == 0);
        CHECK_STR_EQ(cfg.room, room);
        CHECK_STR_EQ(cfg.room_label, label);
    }
}

/* ---- defaults and values --------------------------------------------------------------- */

static void test_defaults(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;

    /* Only rooms: every default. */
    REQUIRE(load_text(ROOMS, "chair-2", &cfg, &err, NULL) == 0);
    CHECK_STR_EQ(cfg.prefix, "haven");
    CHECK_STR_EQ(cfg.broker.host, "127.0.0.1");
    CHECK_INT_EQ(cfg.broker.port, 1883);
    CHECK_INT_EQ(cfg.broker.keepalive, 10);
    CHECK_STR_EQ(cfg.broker.username, "");
    CHECK_STR_EQ(cfg.broker.password, "");
    CHECK_STR_EQ(cfg.room, "chair-2");
    CHECK_STR_EQ(cfg.room_label, "chair-2");  /* no label: the id */
    check_kiosk_defaults(&cfg);

    /* An empty kiosk section, and the controller's sections around it: still defaults. */
    REQUIRE(load_text("controller = { id = \"room-1\"; };\n"
                      "groups = [ \"nurses\" ];\n"
                      "kiosk = { };\n" ROOMS, "chair-1", &cfg, &err, NULL) == 0);
    CHECK_STR_EQ(cfg.room_label, "Chair 1");
    check_kiosk_defaults(&cfg);
}

static void test_every_value(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    char hash[256], text[4096];
    char *out;
    int rc;

    REQUIRE(kcfg_hash_pin("2468", hash, sizeof hash) == 0);
    char line[300];
    snprintf(line, sizeof line, "# the nurses' PINs\nnurse:%s\n", hash);
    char pins[600];
    snprintf(pins, sizeof pins, "%s", unit_file("pins", line));
    REQUIRE(chmod(pins, 0600) == 0);
    snprintf(text, sizeof text,
             "prefix = \"clinic/west\";\n"
             "broker = { host = \"broker.lan\"; port = 8883; keepalive = 30;\n"
             "           username = \"kiosk\"; password = \"s3cret\"; };\n"
             ROOMS
             "kiosk = {\n"
             "  dpi = 160;\n"
             "  state_dir = \"/srv/kiosk\";\n"
             "  pin_file = \"%s\";\n"
             "  recovery_minutes = 45;\n"
             "  checkin_minutes = 1;\n"
             "  checkin_timeout = 10.5;\n"
             "  unwell_feelings = [ 4, 5, 4 ];\n"
             "  offline_text = \"Pulse el timbre. Llame en voz alta ¡ya!\";\n"
             "  font = \"/opt/fonts/Atkinson.ttf\";\n"
             "};\n", pins);
    unit_capture_begin();
    rc = load_text(text, "chair-1", &cfg, &err, NULL);
    out = unit_capture_end();
    if (rc)
        fprintf(stderr, "  %s\n", err.text);
    REQUIRE(rc == 0);
    CHECK(strstr(out, "unknown setting") == NULL);
    free(out);
    CHECK_STR_EQ(cfg.prefix, "clinic/west");
    CHECK_STR_EQ(cfg.broker.host, "broker.lan");
    CHECK_INT_EQ(cfg.broker.port, 8883);
    CHECK_INT_EQ(cfg.broker.keepalive, 30);
    CHECK_STR_EQ(cfg.broker.username, "kiosk");
    CHECK_STR_EQ(cfg.broker.password, "s3cret");
    CHECK_INT_EQ(cfg.dpi, 160);
    CHECK_STR_EQ(cfg.state_dir, "/srv/kiosk");
    CHECK_STR_EQ(cfg.pin_file, pins);
    REQUIRE(kcfg_load_pins(&cfg, &err) == 0);
    CHECK_INT_EQ(cfg.pins.n, 1);
    CHECK_STR_EQ(kcfg_pin_who(&cfg, "2468"), "nurse");
    CHECK(kcfg_pin_ok(&cfg, "2468"));
    CHECK_INT_EQ(cfg.recovery_ms, 45 * 60000LL);
    CHECK_INT_EQ(cfg.checkin_ms, 60000);
    CHECK_INT_EQ(cfg.checkin_timeout_ms, 10500);
    for (int f = 0; f <= 5; f++)
        CHECK_INT_EQ(cfg.unwell_feeling[f], f >= 4);
    CHECK(strstr(cfg.offline_text, "Pulse el timbre") == cfg.offline_text);
    CHECK_STR_EQ(cfg.font, "/opt/fonts/Atkinson.ttf");

    /* Range ends; a list ( ) works like an array [ ]. */
    REQUIRE(load_text(ROOMS "kiosk = {\n  dpi = 72;\n  recovery_minutes = 600;\n"
                      "  checkin_minutes = 240;\n  checkin_timeout = 3600;\n"
                      "  unwell_feelings = ( 1 );\n};\n", "chair-1", &cfg, &err, NULL) == 0);
    CHECK_INT_EQ(cfg.dpi, 72);
    CHECK_INT_EQ(cfg.recovery_ms, 600 * 60000LL);
    CHECK_INT_EQ(cfg.checkin_ms, 240 * 60000LL);
    CHECK_INT_EQ(cfg.checkin_timeout_ms, 3600000);
    for (int f = 0; f <= 5; f++)
        CHECK_INT_EQ(cfg.unwell_feeling[f], f == 1);
    REQUIRE(load_text(ROOMS "kiosk = { dpi = 600; recovery_minutes = 1; };\n", "chair-1",
                      &cfg, &err, NULL) == 0);
    CHECK_INT_EQ(cfg.dpi, 600);
    CHECK_INT_EQ(cfg.recovery_ms, 60000);
}

/* An empty unwell_feelings is allowed, with a warning at its line. */
static void test_unwell_empty_warns(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char want[1024];
    char *out;
    int rc;

    unit_capture_begin();
    rc = load_text(ROOMS "kiosk = {\n  unwell_feelings = [ ];\n};\n", "chair-1", &cfg, &err,
                   &path);
    out = unit_capture_end();
    REQUIRE(rc == 0);
    for (int f = 0; f <= 5; f++)
        CHECK(!cfg.unwell_feeling[f]);
    snprintf(want, sizeof want, "%s:6: 'unwell_feelings' is empty", path);
    CHECK(strstr(out, want) != NULL);
    free(out);
}

/* ---- errors, each at its line --------------------------------------------------------- */

static void test_error_lines(void)
{
    /* kiosk { } ranges and types */
    EXPECT_ERROR(ROOMS "kiosk = {\n  dpi = 71; #!\n};\n",
                 "'dpi' is 71; it must be between 72 and 600");
    EXPECT_ERROR(ROOMS "kiosk = {\n  font = \"f\";\n  dpi = 601; #!\n};\n", "'dpi' is 601");
    EXPECT_ERROR(ROOMS "kiosk = {\n  dpi = 96.5; #!\n};\n", "'dpi' must be a whole number");
    EXPECT_ERROR(ROOMS "kiosk = {\n  recovery_minutes = 0; #!\n};\n",
                 "'recovery_minutes' is 0; it must be between 1 and 600");
    EXPECT_ERROR(ROOMS "kiosk = {\n  recovery_minutes = 601; #!\n};\n",
                 "'recovery_minutes' is 601");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_minutes = 0; #!\n};\n",
                 "'checkin_minutes' is 0; it must be between 1 and 240");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_minutes = 241; #!\n};\n", "'checkin_minutes' is 241");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_minutes = \"15\"; #!\n};\n",
                 "'checkin_minutes' must be a whole number");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_timeout = 9.5; #!\n};\n",
                 "'checkin_timeout' is 9.5 s; it must be between 10 and 3600 s");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_timeout = 3601; #!\n};\n", "'checkin_timeout' is");
    EXPECT_ERROR(ROOMS "kiosk = {\n  checkin_timeout = \"2m\"; #!\n};\n",
                 "'checkin_timeout' must be a number of seconds");
    EXPECT_ERROR(ROOMS "kiosk = {\n  state_dir = 5; #!\n};\n", "'state_dir' must be text");
    EXPECT_ERROR(ROOMS "kiosk = {\n  state_dir = \"var/lib/k\"; #!\n};\n",
                 "'state_dir' must be an absolute path");
    EXPECT_ERROR(ROOMS "kiosk = {\n  state_dir = \"\"; #!\n};\n",
                 "'state_dir' must be an absolute path");
    EXPECT_ERROR(ROOMS "kiosk = {\n  font = \"\"; #!\n};\n", "'font' must name");
    EXPECT_ERROR(ROOMS "kiosk = {\n  offline_text = \"\"; #!\n};\n", "'offline_text' must tell");
    EXPECT_ERROR(ROOMS "kiosk = {\n  offline_text = \"bad \\xff byte\"; #!\n};\n",
                 "'offline_text' must tell");
    EXPECT_ERROR(ROOMS "kiosk = {\n  font = 5; #!\n};\n", "'font' must be text");
    /* 512 characters: one too many for offline_text */
    {
        char text[2048];
        char longtext[513];
        memset(longtext, 'a', 512);
        longtext[512] = '\0';
        snprintf(text, sizeof text, ROOMS "kiosk = {\n  offline_text = \"%s\"; #!\n};\n", longtext);
        EXPECT_ERROR(text, "'offline_text' is longer than 511 characters");
    }
    /* unwell_feelings */
    EXPECT_ERROR(ROOMS "kiosk = {\n  unwell_feelings = 5; #!\n};\n",
                 "'unwell_feelings' must be a list");
    EXPECT_ERROR(ROOMS "kiosk = {\n  unwell_feelings = [\n    4,\n    6 #!\n  ];\n};\n",
                 "'unwell_feelings' entry 2 must be a whole number from 1");
    EXPECT_ERROR(ROOMS "kiosk = {\n  unwell_feelings = [ 0 ]; #!\n};\n",
                 "'unwell_feelings' entry 1");
    EXPECT_ERROR(ROOMS "kiosk = {\n  unwell_feelings = ( 5,\n    \"4\" ); #!\n};\n",
                 "'unwell_feelings' entry 2");
    /* pin: the hash is not kept in haven.cfg any more */
    EXPECT_ERROR(ROOMS "kiosk = {\n  pin = \"$y$j9T$abc\"; #!\n};\n", "'pin' no longer belongs");
    EXPECT_ERROR(ROOMS "kiosk = {\n  pin_file = \"\"; #!\n};\n", "'pin_file' must name");
    /* the section itself */
    EXPECT_ERROR(ROOMS "\nkiosk = 5; #!\n", "'kiosk' must be a group");
    EXPECT_ERROR(ROOMS "kiosk = {\n  dpi = = 5; #!\n};\n", "syntax error");
    /* the shared sections */
    EXPECT_ERROR("broker = {\n  port = 70000; #!\n};\n" ROOMS,
                 "'port' is 70000; it must be between 1 and 65535");
    EXPECT_ERROR("broker = {\n  keepalive = 4; #!\n};\n" ROOMS, "'keepalive' is 4");
    EXPECT_ERROR("broker = {\n  host = 127; #!\n};\n" ROOMS, "'host' must be text");
    EXPECT_ERROR("\nprefix = 5; #!\n" ROOMS, "'prefix' must be text");
    EXPECT_ERROR("\nprefix = \"haven/#\"; #!\n" ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"a/+/b\"; #!\n" ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"haven/\"; #!\n" ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"/haven\"; #!\n" ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"\"; #!\n" ROOMS, "'prefix' must be a topic");
    /* our room */
    EXPECT_ERROR("rooms = (\n  { id = \"chair-1\";\n    label = 5; } #!\n);\n",
                 "room 'chair-1': label must be");
    EXPECT_ERROR("rooms = (\n  { id = \"chair-1\"; label = \"\"; } #!\n);\n",
                 "room 'chair-1': label must be");
}

static void test_unknown_room(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char want[1024];
    const char *text = "prefix = \"haven\";\n"
                       "\n"
                       "rooms = (\n"
                       "  { id = \"chair-1\"; },\n"
                       "  { id = \"chair-2\"; }\n"
                       ");\n";

    CHECK_INT_EQ(load_text(text, "chair-9", &cfg, &err, &path), HV_ECONFIG);
    snprintf(want, sizeof want, "%s:3: room 'chair-9' is not in 'rooms' (chair-1, chair-2)", path);
    CHECK_STR_EQ(err.text, want);

    /* Not an id at all: named, with the file. */
    CHECK_INT_EQ(load_text(text, "Chair 1", &cfg, &err, &path), HV_ECONFIG);
    snprintf(want, sizeof want, "%s: 'Chair 1' is not a room id", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);
    CHECK_INT_EQ(load_text(text, "", &cfg, &err, &path), HV_ECONFIG);
    CHECK(strstr(err.text, "is not a room id") != NULL);
    CHECK_INT_EQ(load_text(text, NULL, &cfg, &err, &path), HV_ECONFIG);
    CHECK(strstr(err.text, "is not a room id") != NULL);

    /* Other entries the controller would refuse do not stop the kiosk finding its own. */
    CHECK_INT_EQ(load_text("rooms = (\n  \"x\",\n  { label = \"L\"; },\n"
                           "  { id = \"chair-1\"; label = \"One\"; }\n);\n",
                           "chair-1", &cfg, &err, NULL), 0);
    CHECK_STR_EQ(cfg.room_label, "One");

    /* A long list is shortened, not overflowed. */
    {
        char big[8192];
        size_t used = (size_t)snprintf(big, sizeof big, "rooms = (\n");
        for (int i = 0; i < 100; i++)
            used += (size_t)snprintf(big + used, sizeof big - used,
                                     "  { id = \"chair-%d\"; },\n", i);
        snprintf(big + used - 2, sizeof big - used + 2, "\n);\n");
        CHECK_INT_EQ(load_text(big, "bay-1", &cfg, &err, &path), HV_ECONFIG);
        snprintf(want, sizeof want, "%s:1: room 'bay-1' is not in 'rooms' (chair-0, chair-1, ",
                 path);
        CHECK(strncmp(err.text, want, strlen(want)) == 0);
        CHECK(strstr(err.text, "...)") != NULL);
    }
}

/* Errors that cannot point at a line still name the file. */
static void test_errors_without_line(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char want[1024], missing[600];

    CHECK_INT_EQ(load_text("prefix = \"haven\";\n", "chair-1", &cfg, &err, &path), HV_ECONFIG);
    snprintf(want, sizeof want, "%s: 'rooms' must list", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);

    snprintf(missing, sizeof missing, "%s/nowhere.cfg", unit_dir());
    CHECK_INT_EQ(kcfg_load(missing, "chair-1", &cfg, &err), HV_ECONFIG);
    CHECK(strncmp(err.text, missing, strlen(missing)) == 0);
    CHECK(strstr(err.text, "cannot open") != NULL);
}

/* ---- unknown keys in kiosk { }: warned about, not fatal -------------------------------- */

static void test_unknown_keys_warn(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char want[1024];
    char *out;
    int rc;
    const char *text = ROOMS                       /* 1-4 */
        "kiosk = {\n"                              /* 5 */
        "  dpi = 120;\n"                           /* 6 */
        "  recovery_minuts = 5;\n"                 /* 7 */
        "  unwell_feelings = [ 5 ];\n"             /* 8 */
        "  Font = \"x\";\n"                        /* 9 */
        "};\n";                                    /* 10 */

    unit_capture_begin();
    rc = load_text(text, "chair-1", &cfg, &err, &path);
    out = unit_capture_end();
    REQUIRE(rc == 0);
    snprintf(want, sizeof want, "%s:7: unknown setting 'recovery_minuts' ignored", path);
    CHECK(strstr(out, want) != NULL);
    snprintf(want, sizeof want, "%s:9: unknown setting 'Font' ignored", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "'dpi'") == NULL);
    CHECK(strstr(out, "'unwell_feelings'") == NULL);
    free(out);
    CHECK_INT_EQ(cfg.dpi, 120);
    CHECK_INT_EQ(cfg.recovery_ms, 30 * 60000LL);  /* the misspelt key did nothing */
}

#define H(c) ((c).pins.users[0].hash)

/* ---- the PIN ----------------------------------------------------------------------- */

static void test_pin_round_trip(void)
{
    struct kiosk_config cfg;
    char other[256];

    memset(&cfg, 0, sizeof cfg);
    cfg.pins.n = 1;
    REQUIRE(kcfg_hash_pin("1234", H(cfg), sizeof H(cfg)) == 0);
    CHECK(H(cfg)[0] == '$');
    CHECK(strstr(H(cfg), "1234") == NULL);
    CHECK_INT_EQ(crypt_checksalt(H(cfg)), CRYPT_SALT_OK);
    CHECK(kcfg_pin_ok(&cfg, "1234"));
    CHECK(!kcfg_pin_ok(&cfg, "1235"));
    CHECK(!kcfg_pin_ok(&cfg, "12345"));
    CHECK(!kcfg_pin_ok(&cfg, "123"));
    CHECK(!kcfg_pin_ok(&cfg, ""));
    CHECK(!kcfg_pin_ok(&cfg, NULL));

    /* A fresh salt each time: the same PIN hashes differently, and both verify. */
    REQUIRE(kcfg_hash_pin("1234", other, sizeof other) == 0);
    CHECK(strcmp(other, H(cfg)) != 0);

    /* Eight digits, leading zeros kept. */
    REQUIRE(kcfg_hash_pin("00012345", H(cfg), sizeof H(cfg)) == 0);
    CHECK(kcfg_pin_ok(&cfg, "00012345"));
    CHECK(!kcfg_pin_ok(&cfg, "12345"));
    CHECK(!kcfg_pin_ok(&cfg, "000123450"));
}

/* Hashes made elsewhere (mkpasswd -m sha-512, an older hash-pin) verify too. */
static void test_pin_sha512(void)
{
    struct kiosk_config cfg;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *h;

    REQUIRE(cd != NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.pins.n = 1;
    if (crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof salt) &&
        (h = crypt_r("4321", salt, cd)) != NULL && h[0] == '$') {
        snprintf(H(cfg), sizeof H(cfg), "%s", h);
        CHECK(kcfg_pin_ok(&cfg, "4321"));
        CHECK(!kcfg_pin_ok(&cfg, "4322"));
    } else {
        check_true(false, "libcrypt makes a $6$ hash", __FILE__, __LINE__);
    }
    free(cd);
}

static void test_pin_locked_and_bad_hashes(void)
{
    struct kiosk_config cfg;

    memset(&cfg, 0, sizeof cfg);
    /* No hash: the staff menu is locked, whatever is typed. */
    CHECK(!kcfg_pin_ok(&cfg, "1234"));
    CHECK(!kcfg_pin_ok(&cfg, ""));
    cfg.pins.n = 1;
    /* Hashes that are not hashes never match, not even what libcrypt answers them with. */
    static const char *const bad[] = { "*", "*0", "*1", "!", "1234", "$6$", "garbage$" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(H(cfg), sizeof H(cfg), "%s", bad[i]);
        CHECK(!kcfg_pin_ok(&cfg, "1234"));
        CHECK(!kcfg_pin_ok(&cfg, "*1"));
        CHECK(!kcfg_pin_ok(&cfg, ""));
    }
    /* A DES hash (legacy: a PIN could be brute-forced from it in no time) is refused. */
    snprintf(H(cfg), sizeof H(cfg), "ab01FAX.bQRSU");
    CHECK(!kcfg_pin_ok(&cfg, "1234"));
}

/* Writes text to the unit dir as name with mode; returns its path. */
static const char *pin_file(const char *name, const char *text, mode_t mode)
{
    const char *p = unit_file(name, text);
    if (chmod(p, mode) != 0)
        check_true(false, "chmod the pin file", __FILE__, __LINE__);
    return p;
}

/* pin_file must be the owner's alone; each line a hash or name:hash; errors at file:line. */
static void test_pin_file(void)
{
    struct pin_set set;
    struct cfg_error err;
    char h1[256], h2[256], text[1024];

    REQUIRE(kcfg_hash_pin("1357", h1, sizeof h1) == 0);
    REQUIRE(kcfg_hash_pin("8642", h2, sizeof h2) == 0);
    snprintf(text, sizeof text, "# staff PINs\n\nsam:%s\n  \nkim.lee:%s\n", h1, h2);

    /* Group- or world-readable: refused, naming the haven.cfg line that names the file. */
    const char *p = pin_file("pins-644", text, 0644);
    CHECK_INT_EQ(pin_set_load(p, "haven.cfg:73", &set, &err), HV_ECONFIG);
    CHECK(strncmp(err.text, "haven.cfg:73: ", 14) == 0 && strstr(err.text, "mode 644") &&
          strstr(err.text, "chmod 600"));
    p = pin_file("pins-640", text, 0640);
    CHECK_INT_EQ(pin_set_load(p, "haven.cfg:73", &set, &err), HV_ECONFIG);
    CHECK(strstr(err.text, "readable by others") != NULL);
    CHECK_INT_EQ(pin_set_load("/nonexistent/pins", "haven.cfg:73", &set, &err), HV_ECONFIG);
    CHECK(strstr(err.text, "cannot be read") != NULL);

    /* 0600: per-staff PINs, the name is who. */
    p = pin_file("pins-600", text, 0600);
    REQUIRE(pin_set_load(p, "haven.cfg:73", &set, &err) == 0);
    CHECK_INT_EQ(set.n, 2);
    CHECK_STR_EQ(pin_set_check(&set, "1357"), "sam");
    CHECK_STR_EQ(pin_set_check(&set, "8642"), "kim.lee");
    CHECK(pin_set_check(&set, "2468") == NULL);
    CHECK(pin_set_check(&set, "135") == NULL);

    /* One hash for all: "staff". */
    snprintf(text, sizeof text, "%s\n", h1);
    p = pin_file("pins-one", text, 0400);
    REQUIRE(pin_set_load(p, "haven.cfg:73", &set, &err) == 0);
    CHECK_STR_EQ(pin_set_check(&set, "1357"), "staff");

    /* Bad lines, at the pin file's own file:line. */
    static const struct { const char *text, *what; int line; } bad[] = {
        { "# c\n1234\n", "not the PIN itself", 2 },
        { "sam:$6$\n", "not a complete crypt(3) hash", 1 },
        { "\nab01FAX.bQRSU\n", "not a complete", 2 },
        { "dr house:$y$j9T$x\n", "a name before ':'", 1 },
        { "# nothing\n", "no PIN in the file", 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[700];
        p = pin_file("pins-bad", bad[i].text, 0600);
        snprintf(want, sizeof want, "%s:%d: ", p, bad[i].line);
        CHECK_INT_EQ(pin_set_load(p, "haven.cfg:73", &set, &err), HV_ECONFIG);
        if (strncmp(err.text, want, strlen(want)) != 0 || !strstr(err.text, bad[i].what))
            fprintf(stderr, "  got '%s', want '%s...%s'\n", err.text, want, bad[i].what);
        CHECK(strncmp(err.text, want, strlen(want)) == 0 && strstr(err.text, bad[i].what));
    }
}

/* The slow KDF: yescrypt at PIN_COST (the time is printed for docs/configuration.md). */
static void test_pin_hash_cost(void)
{
    char h[256];
    struct timespec a, b;
    struct pin_set set = { .n = 1 };

    clock_gettime(CLOCK_MONOTONIC, &a);
    REQUIRE(kcfg_hash_pin("2468", h, sizeof h) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("yescrypt cost %d: %.0f ms per PIN hash\n", PIN_COST,
           (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    CHECK(strncmp(h, "$y$jBT$", 7) == 0);      /* "B": cost 7, above the default "9" (5) */
    snprintf(set.users[0].hash, sizeof set.users[0].hash, "%s", h);
    CHECK(pin_set_check(&set, "2468") != NULL);
}

static void test_hash_pin_rejects(void)
{
    char out[256];
    static const char *const bad[] = {
        "", "1", "123", "123456789", "12a4", "12 34", " 1234", "1234\n", "-123", "+1234",
        "１２３４",  /* full-width digits */
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(out, "unchanged");
        unit_capture_begin();
        int rc = kcfg_hash_pin(bad[i], out, sizeof out);
        free(unit_capture_end());
        if (rc != HV_EIO)
            check_true(false, bad[i], __FILE__, __LINE__);
        CHECK_STR_EQ(out, "");
    }
    unit_capture_begin();
    CHECK_INT_EQ(kcfg_hash_pin(NULL, out, sizeof out), HV_EIO);
    /* Too small a buffer for the hash: refused, not truncated. */
    CHECK_INT_EQ(kcfg_hash_pin("1234", out, 20), HV_EIO);
    free(unit_capture_end());
    CHECK_STR_EQ(out, "");
    CHECK_INT_EQ(kcfg_hash_pin("9876", out, sizeof out), 0);
}

/* kiosk { broker { } } overrides broker { }, with %r for the room, for each chair's own login. */
static void test_own_broker_credentials(void)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    char dir[512], text[2048], pw1[600], pw2[600];

    snprintf(dir, sizeof dir, "%s", unit_dir());
    snprintf(pw1, sizeof pw1, "%s/kiosk-chair-1.pass", dir);
    snprintf(pw2, sizeof pw2, "%s/kiosk-chair-2.pass", dir);
    REQUIRE(hv_write_file(pw1, "one\n") == 0 && hv_write_file(pw2, "two\n") == 0);
    REQUIRE(chmod(pw1, 0600) == 0 && chmod(pw2, 0600) == 0);  /* secrets: the owner's only */
    snprintf(text, sizeof text,
             "broker = { host = \"10.0.0.2\"; username = \"shared\"; };\n"
             "kiosk = { broker = { username = \"kiosk-%%r\";\n"
             "  password_file = \"%s/kiosk-%%r.pass\"; }; };\n" ROOMS, dir);
    REQUIRE(load_text(text, "chair-1", &cfg, &err, NULL) == 0);
    CHECK_STR_EQ(cfg.broker.host, "10.0.0.2");
    CHECK_STR_EQ(cfg.broker.username, "kiosk-chair-1");
    CHECK_STR_EQ(cfg.broker.password, "one");
    REQUIRE(load_text(text, "chair-2", &cfg, &err, NULL) == 0);
    CHECK_STR_EQ(cfg.broker.username, "kiosk-chair-2");
    CHECK_STR_EQ(cfg.broker.password, "two");
    CHECK_STR_EQ(cfg.broker.password_file, pw2);

    /* A chair whose password file is missing: file:line of the setting. */
    snprintf(text, sizeof text,
             "kiosk = { broker = { username = \"kiosk-%%r\";\n"
             "  password_file = \"%s/none-%%r.pass\"; }; };\n" ROOMS, dir);
    CHECK_INT_EQ(load_text(text, "chair-1", &cfg, &err, NULL), HV_ECONFIG);
    CHECK(strstr(err.text, "haven.cfg:2: ") && strstr(err.text, "none-chair-1.pass"));
}

/*
 * A reload keeps the link and the state directory (prefix, broker, state_dir)
 * and logs each change by name; texts, times and the PIN file apply.
 */
static void test_reload_keeps_restart_only(void)
{
    struct kiosk_config running, next;
    struct cfg_error err;
    char *out;

    REQUIRE(load_text(ROOMS, "chair-1", &running, &err, NULL) == 0);
    REQUIRE(load_text("prefix = \"clinic\";\nbroker = { port = 1884; };\n"
                      "kiosk = { state_dir = \"/srv/k\"; checkin_minutes = 5; dpi = 200;\n"
                      "  broker = { username = \"kiosk-%r\"; }; };\n" ROOMS,
                      "chair-1", &next, &err, NULL) == 0);
    unit_capture_begin();
    CHECK_INT_EQ(kcfg_keep_restart(&next, &running), 4);
    out = unit_capture_end();
    CHECK(strstr(out, "reload: 'prefix' changed in the file; it takes effect at the next "
                      "restart") != NULL);
    CHECK(strstr(out, "'broker.port' changed") != NULL);
    CHECK(strstr(out, "'broker.username' changed") != NULL);
    CHECK(strstr(out, "'kiosk.state_dir' changed") != NULL);
    CHECK(strstr(out, "kiosk-chair-1") == NULL);  /* names, never values */
    CHECK(strstr(out, "dpi") == NULL);
    free(out);
    CHECK_STR_EQ(next.prefix, "haven");
    CHECK_INT_EQ(next.broker.port, 1883);
    CHECK_STR_EQ(next.broker.username, "");
    CHECK_STR_EQ(next.state_dir, "/var/lib/haven-kiosk");
    CHECK_INT_EQ(next.checkin_ms, 5 * 60000);
    CHECK_INT_EQ(next.dpi, 200);
    CHECK_STR_EQ(next.room, "chair-1");

    unit_capture_begin();
    CHECK_INT_EQ(kcfg_keep_restart(&next, &running), 0);  /* kept: nothing changed now */
    out = unit_capture_end();
    CHECK(strstr(out, "next restart") == NULL);
    free(out);
}

/* kcfg_read of a file parsed once gives what kcfg_load gives. */
static void test_read_parsed(void)
{
    struct kiosk_config a, b;
    struct cfg_error err;
    const char *path;
    config_t cfg;

    REQUIRE(load_text("kiosk = { dpi = 150; checkin_timeout = 30; };\n" ROOMS, "chair-2", &a,
                      &err, &path) == 0);
    REQUIRE(cfg_load(&cfg, path, &err) == 0);
    CHECK_INT_EQ(kcfg_read(&cfg, path, "chair-2", &b, &err), 0);
    config_destroy(&cfg);
    CHECK_INT_EQ(b.dpi, 150);
    CHECK_INT_EQ(b.checkin_timeout_ms, 30000);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
}

int main(void)
{
    RUN(test_shipped_config);
    RUN(test_own_broker_credentials);
    RUN(test_defaults);
    RUN(test_every_value);
    RUN(test_unwell_empty_warns);
    RUN(test_error_lines);
    RUN(test_unknown_room);
    RUN(test_errors_without_line);
    RUN(test_unknown_keys_warn);
    RUN(test_pin_round_trip);
    RUN(test_pin_sha512);
    RUN(test_pin_locked_and_bad_hashes);
    RUN(test_pin_file);
    RUN(test_pin_hash_cost);
    RUN(test_hash_pin_rejects);
    RUN(test_reload_keeps_restart_only);
    RUN(test_read_parsed);
    unit_cleanup();
    return CHECK_SUMMARY();
}
