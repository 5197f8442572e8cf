/* test_roomcfg.c - loading and validating haven.cfg (room/roomcfg.c). */
#include "check.h"
#include "err.h"
#include "roomcfg.h"
#include "unit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

/* A valid configuration; the pieces are swapped out by the error tests. */
#define HEAD \
    "prefix = \"haven\";\n" \
    "controller = { id = \"room-1\"; database = \"/tmp/calls.db\"; };\n" \
    "broker = {\n" \
    "  host = \"127.0.0.1\";\n" \
    "  port = 1883;\n" \
    "  keepalive = 10;\n" \
    "};\n"
#define GROUPS "groups = [ \"nurses\", \"charge\" ];\n"
#define ROOMS \
    "rooms = (\n" \
    "  { id = \"chair-1\"; label = \"Chair 1\"; },\n" \
    "  { id = \"chair-2\"; }\n" \
    ");\n"

static int load_text(const char *text, struct room_config *cfg, struct cfg_error *err,
                     const char **path)
{
    const char *p = unit_file("haven.cfg", text);
    if (path)
        *path = p;
    err->text[0] = '\0';
    return roomcfg_load(p, cfg, err);
}

/*
 * text must fail to load with HV_ECONFIG and "<path>:<line>: ...what...",
 * where line is the one marked "#!" in text.
 */
static void expect_error(const char *text, const char *what, int src_line)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *path;
    int rc = load_text(text, &cfg, &err, &path);

    unit_expect_config_error(rc, &err, path, text, what, __FILE__, src_line);
    if (rc == 0)
        roomcfg_free(&cfg);
    else if (cfg.rooms != NULL)
        check_true(false, "rooms freed after a failed load", __FILE__, src_line);
}
#define EXPECT_ERROR(text, what) expect_error((text), (what), __LINE__)

static void check_step(const struct prio_policy *pol, int i, const char *group, int64_t after_ms)
{
    REQUIRE(i < pol->nsteps);
    CHECK_STR_EQ(pol->steps[i].group, group);
    CHECK_INT_EQ(pol->steps[i].after_ms, after_ms);
}

/* ---- the shipped configuration ------------------------------------------------------ */

static void test_shipped_config(void)
{
    struct room_config cfg;
    struct cfg_error err = { "" };
    const char *path = HAVEN_SOURCE_DIR "/config/haven.cfg";
    char *out;
    int rc;

    unit_capture_begin();
    rc = roomcfg_load(path, &cfg, &err);
    out = unit_capture_end();
    if (rc)
        fprintf(stderr, "  %s\n", err.text);
    REQUIRE(rc == 0);
    CHECK(strstr(out, "unknown setting") == NULL);  /* the example has no stray keys */
    free(out);

    CHECK_STR_EQ(cfg.path, path);
    CHECK_STR_EQ(cfg.prefix, "haven");
    CHECK_STR_EQ(cfg.controller_id, "room-1");
    CHECK_STR_EQ(cfg.database, "/var/lib/haven/calls.db");
    CHECK_STR_EQ(cfg.broker.host, "127.0.0.1");
    CHECK_INT_EQ(cfg.broker.port, 1883);
    CHECK_INT_EQ(cfg.broker.keepalive, 10);

    CHECK_INT_EQ(cfg.ngroups, 2);
    CHECK_STR_EQ(cfg.groups[0], "nurses");
    CHECK_STR_EQ(cfg.groups[1], "charge");
    CHECK(roomcfg_has_group(&cfg, "nurses"));
    CHECK(roomcfg_has_group(&cfg, "charge"));
    CHECK(!roomcfg_has_group(&cfg, "porters"));
    CHECK_INT_EQ(cfg.stations.watch, 1);
    CHECK_STR_EQ(cfg.stations.group, "charge");
    CHECK_INT_EQ(cfg.stations.grace_ms, 60000);

    CHECK_INT_EQ(cfg.reason_priority[REASON_HELP], PRIO_ASSIST);
    CHECK_INT_EQ(cfg.reason_priority[REASON_UNWELL], PRIO_ASSIST);
    CHECK_INT_EQ(cfg.reason_priority[REASON_SAFETY], PRIO_URGENT);
    CHECK_INT_EQ(cfg.reason_priority[REASON_READY], PRIO_ROUTINE);
    CHECK_INT_EQ(cfg.reason_priority[REASON_KIOSK_OFFLINE], PRIO_ASSIST);

    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].nsteps, 2);
    check_step(&cfg.policy[PRIO_ROUTINE], 0, "nurses", 0);
    check_step(&cfg.policy[PRIO_ROUTINE], 1, "charge", 600000);
    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].repeat_ms, 600000);
    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].ack_timeout_ms, 1800000);
    CHECK_INT_EQ(cfg.policy[PRIO_ASSIST].nsteps, 2);
    check_step(&cfg.policy[PRIO_ASSIST], 0, "nurses", 0);
    check_step(&cfg.policy[PRIO_ASSIST], 1, "charge", 120000);
    CHECK_INT_EQ(cfg.policy[PRIO_ASSIST].repeat_ms, 120000);
    CHECK_INT_EQ(cfg.policy[PRIO_ASSIST].ack_timeout_ms, 900000);
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].nsteps, 2);
    check_step(&cfg.policy[PRIO_URGENT], 0, "nurses", 0);
    check_step(&cfg.policy[PRIO_URGENT], 1, "charge", 30000);
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].repeat_ms, 30000);
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].ack_timeout_ms, 300000);

    REQUIRE(cfg.nrooms == 4);
    for (int i = 0; i < 4; i++) {
        char id[16], label[16];
        const struct room_def *r;
        snprintf(id, sizeof id, "chair-%d", i + 1);
        snprintf(label, sizeof label, "Chair %d", i + 1);
        CHECK_STR_EQ(cfg.rooms[i].id, id);  /* sorted */
        r = roomcfg_room(&cfg, id);
        REQUIRE(r != NULL);
        CHECK_STR_EQ(r->label, label);
    }
    CHECK(roomcfg_room(&cfg, "chair-5") == NULL);
    roomcfg_free(&cfg);
    CHECK(cfg.rooms == NULL);
    CHECK_INT_EQ(cfg.nrooms, 0);
    roomcfg_free(&cfg);  /* twice is harmless */
}

/* ---- defaults ---------------------------------------------------------------------- */

static void test_defaults(void)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *text = "groups = [ \"a\", \"b\", \"c\" ];\n"
                       "rooms = ( { id = \"x\"; } );\n";

    REQUIRE(load_text(text, &cfg, &err, NULL) == 0);
    CHECK_STR_EQ(cfg.prefix, "haven");
    CHECK_STR_EQ(cfg.controller_id, "room-1");
    CHECK_STR_EQ(cfg.broker.host, "127.0.0.1");
    CHECK_INT_EQ(cfg.broker.port, 1883);
    CHECK_INT_EQ(cfg.broker.keepalive, 10);
    CHECK_STR_EQ(cfg.database, "/var/lib/haven/calls.db");
    CHECK_INT_EQ(cfg.reason_priority[REASON_HELP], PRIO_ASSIST);
    CHECK_INT_EQ(cfg.reason_priority[REASON_UNWELL], PRIO_ASSIST);
    CHECK_INT_EQ(cfg.reason_priority[REASON_SAFETY], PRIO_URGENT);
    CHECK_INT_EQ(cfg.reason_priority[REASON_READY], PRIO_ROUTINE);
    CHECK_INT_EQ(cfg.reason_priority[REASON_KIOSK_OFFLINE], PRIO_ASSIST);
    /* Default chains page every group in order: 300 / 120 / 30 s apart. */
    {
        static const int64_t step_ms[PRIO_COUNT] = { 300000, 120000, 30000 };
        static const int64_t ack_ms[PRIO_COUNT] = { 900000, 600000, 300000 };
        for (int p = 0; p < PRIO_COUNT; p++) {
            const struct prio_policy *pol = &cfg.policy[p];
            CHECK_INT_EQ(pol->nsteps, 3);
            check_step(pol, 0, "a", 0);
            check_step(pol, 1, "b", step_ms[p]);
            check_step(pol, 2, "c", 2 * step_ms[p]);
            CHECK_INT_EQ(pol->repeat_ms, step_ms[p]);
            CHECK_INT_EQ(pol->ack_timeout_ms, ack_ms[p]);
        }
    }
    REQUIRE(cfg.nrooms == 1);
    CHECK_STR_EQ(cfg.rooms[0].label, "x");  /* no label: the id */
    roomcfg_free(&cfg);
}

static void test_partial_sections(void)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *text = HEAD GROUPS
        "reasons = { ready = \"urgent\"; };\n"
        "priorities = {\n"
        "  urgent = { repeat = 10; };\n"
        "  routine = { chain = ( { group = \"charge\"; after = 0; } ); ack_timeout = 2.5; };\n"
        "  assist = { chain = ( { group = \"nurses\"; after = 0; },\n"
        "                       { group = \"charge\"; after = 0.25; },\n"
        "                       { group = \"nurses\"; after = 1.5; } ); };\n"
        "};\n" ROOMS;

    REQUIRE(load_text(text, &cfg, &err, NULL) == 0);
    CHECK_INT_EQ(cfg.reason_priority[REASON_READY], PRIO_URGENT);
    CHECK_INT_EQ(cfg.reason_priority[REASON_HELP], PRIO_ASSIST);
    CHECK_INT_EQ(cfg.reason_priority[REASON_SAFETY], PRIO_URGENT);
    /* urgent: default chain, repeat given, ack_timeout default */
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].nsteps, 2);
    check_step(&cfg.policy[PRIO_URGENT], 1, "charge", 30000);
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].repeat_ms, 10000);
    CHECK_INT_EQ(cfg.policy[PRIO_URGENT].ack_timeout_ms, 300000);
    /* routine: a one-step chain to charge */
    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].nsteps, 1);
    check_step(&cfg.policy[PRIO_ROUTINE], 0, "charge", 0);
    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].repeat_ms, 300000);
    CHECK_INT_EQ(cfg.policy[PRIO_ROUTINE].ack_timeout_ms, 2500);
    /* assist: three steps, fractions of seconds, a group may come back */
    CHECK_INT_EQ(cfg.policy[PRIO_ASSIST].nsteps, 3);
    check_step(&cfg.policy[PRIO_ASSIST], 0, "nurses", 0);
    check_step(&cfg.policy[PRIO_ASSIST], 1, "charge", 250);
    check_step(&cfg.policy[PRIO_ASSIST], 2, "nurses", 1500);
    roomcfg_free(&cfg);
}

/* ---- errors, each at its line --------------------------------------------------------- */

static void test_error_lines(void)
{
    EXPECT_ERROR(HEAD "groups = [ \"nurses\"; \"charge\" ]; #!\n" ROOMS, "syntax error");
    EXPECT_ERROR("prefix = \"haven\";\n\nbroker = { port = = 5; }; #!\n" GROUPS ROOMS,
                 "syntax error");
    /* rooms */
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"chair-1\"; },\n"
                 "  { id = \"Chair-2\"; } #!\n);\n", "room id must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"chair-1\"; },\n"
                 "  { id = \"abcdefghijklmnopqrstuvwxyz0123456\"; } #!\n);\n", "room id must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"\"; } #!\n);\n", "room id must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { label = \"No id\"; } #!\n);\n", "room id must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = 7; } #!\n);\n", "room id must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"chair-1\"; label = \"\"; } #!\n);\n",
                 "label must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  \"chair-1\" ); #!\n", "a room must be");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"chair-1\";\n    label = 5; } #!\n);\n",
                 "label must be text");
    EXPECT_ERROR(HEAD GROUPS "rooms = (\n  { id = \"chair-2\"; },\n  { id = \"chair-1\"; },\n"
                 "  { id = \"chair-3\"; },\n  { id = \"chair-2\"; label = \"again\"; } #!\n);\n",
                 "room 'chair-2' is listed twice");
    EXPECT_ERROR(HEAD GROUPS "rooms = ( ); #!\n", "'rooms' must list at least one room");
    /* groups */
    EXPECT_ERROR(HEAD "groups = [ \"nurses\", \"charge\", \"nurses\" ]; #!\n" ROOMS,
                 "group 'nurses' is listed twice");
    EXPECT_ERROR(HEAD "groups = [ \"nurses\", \"night shift\" ]; #!\n" ROOMS, "group 2 must be");
    EXPECT_ERROR(HEAD "groups = [\n  \"nurses\",\n  \"charge\",\n  \"nurses\", #!\n  \"porters\"\n];\n" ROOMS,
                 "group 'nurses' is listed twice");
    EXPECT_ERROR(HEAD "groups = [ \"nurses/a\" ]; #!\n" ROOMS, "group 1 must be");
    EXPECT_ERROR(HEAD "groups = [ \"+\" ]; #!\n" ROOMS, "group 1 must be");
    EXPECT_ERROR(HEAD "groups = [ ]; #!\n" ROOMS, "'groups' must name 1 to 16 groups");
    EXPECT_ERROR(HEAD "groups = \"nurses\"; #!\n" ROOMS, "'groups' must be a list");
    /* chains */
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = (\n"
                 "      { group = \"nurses\"; after = 0; },\n"
                 "      { group = \"porters\"; after = 60; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 2: group 'porters' is not in 'groups'");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  urgent = {\n    chain = (\n"
                 "      { group = \"nurses\"; after = 5; }, #!\n"
                 "      { group = \"charge\"; after = 60; }\n    );\n  };\n};\n" ROOMS,
                 "its 'after' must be 0");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  routine = {\n    chain = (\n"
                 "      { group = \"nurses\"; after = 0; },\n"
                 "      { group = \"charge\"; after = 60; },\n"
                 "      { group = \"nurses\"; after = 60; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 3: 'after' must be later than the step before it");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  routine = {\n    chain = (\n"
                 "      { group = \"nurses\"; after = 0; },\n"
                 "      { group = \"charge\"; after = 60; },\n"
                 "      { group = \"nurses\"; after = 30; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 3: 'after' must be later");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = (\n"
                 "      { group = \"nurses\"; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 1: 'after' must be 0 to 86400 seconds");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = (\n"
                 "      { after = 0; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 1: missing group");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = (\n"
                 "      { group = \"nurses\"; after = 0; },\n"
                 "      { group = \"charge\"; after = \"60\"; } #!\n    );\n  };\n};\n" ROOMS,
                 "chain step 2: 'after' must be 0 to 86400 seconds");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n"
                 "    chain = \"nurses\"; #!\n  };\n};\n" ROOMS, "'chain' must be a list");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n"
                 "    chain = ( ); #!\n  };\n};\n" ROOMS, "'chain' must be a list");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = (\n"
                 "      \"nurses\" ); #!\n  };\n};\n" ROOMS, "a chain step must be");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    chain = ( #!\n"
                 "      { group = \"nurses\"; after = 0; }, { group = \"nurses\"; after = 1; },\n"
                 "      { group = \"nurses\"; after = 2; }, { group = \"nurses\"; after = 3; },\n"
                 "      { group = \"nurses\"; after = 4; }, { group = \"nurses\"; after = 5; },\n"
                 "      { group = \"nurses\"; after = 6; }, { group = \"nurses\"; after = 7; },\n"
                 "      { group = \"nurses\"; after = 8; }\n    );\n  };\n};\n" ROOMS,
                 "of 1 to 8 steps");
    /* priorities and reasons */
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = { repeat = 60; };\n"
                 "  critical = { repeat = 5; }; #!\n};\n" ROOMS,
                 "unknown priority 'critical'");
    EXPECT_ERROR(HEAD GROUPS "priorities = 5; #!\n" ROOMS, "'priorities' must be a group");
    EXPECT_ERROR(HEAD GROUPS "reasons = {\n  help = \"assist\";\n  panic = \"urgent\"; #!\n};\n"
                 ROOMS, "unknown reason 'panic'");
    EXPECT_ERROR(HEAD GROUPS "reasons = {\n  help = \"high\"; #!\n};\n" ROOMS,
                 "reason 'help': priority must be");
    EXPECT_ERROR(HEAD GROUPS "reasons = {\n  safety = 2; #!\n};\n" ROOMS,
                 "reason 'safety': priority must be");
    EXPECT_ERROR(HEAD GROUPS "reasons = [ \"help\" ]; #!\n" ROOMS, "'reasons' must be a group");
    /* repeat and ack_timeout */
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    repeat = 0; #!\n  };\n};\n" ROOMS,
                 "'repeat' is 0 s; it must be between 1 and 86400 s");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  assist = {\n    repeat = 0.5; #!\n  };\n};\n"
                 ROOMS, "'repeat' is 0.5 s");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  urgent = {\n    ack_timeout = 86401; #!\n"
                 "  };\n};\n" ROOMS, "'ack_timeout' is");
    EXPECT_ERROR(HEAD GROUPS "priorities = {\n  urgent = {\n    repeat = \"30\"; #!\n"
                 "  };\n};\n" ROOMS, "'repeat' must be a number of seconds");
    /* broker and the rest */
    EXPECT_ERROR("broker = {\n  port = 70000; #!\n};\n" GROUPS ROOMS,
                 "'port' is 70000; it must be between 1 and 65535");
    EXPECT_ERROR("broker = {\n  host = \"h\";\n  port = 0; #!\n};\n" GROUPS ROOMS, "'port' is 0");
    EXPECT_ERROR("broker = {\n  port = \"1883\"; #!\n};\n" GROUPS ROOMS,
                 "'port' must be a whole number");
    EXPECT_ERROR("broker = {\n  keepalive = 4; #!\n};\n" GROUPS ROOMS, "'keepalive' is 4");
    EXPECT_ERROR("broker = {\n  keepalive = 10.5; #!\n};\n" GROUPS ROOMS,
                 "'keepalive' must be a whole number");
    EXPECT_ERROR("broker = {\n  host = 127; #!\n};\n" GROUPS ROOMS,
                 "'host' must be text in double quotes");
    EXPECT_ERROR("\nprefix = 5; #!\n" GROUPS ROOMS, "'prefix' must be text");
    EXPECT_ERROR("\nprefix = \"haven/#\"; #!\n" GROUPS ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"haven/\"; #!\n" GROUPS ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("\nprefix = \"\"; #!\n" GROUPS ROOMS, "'prefix' must be a topic");
    EXPECT_ERROR("controller = {\n  id = \"room 1\"; #!\n};\n" GROUPS ROOMS,
                 "controller 'id' must be a name");
}

/* Errors that cannot point at a line still name the file. */
static void test_errors_without_line(void)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *path;
    char want[1024], missing[600];

    CHECK_INT_EQ(load_text(HEAD ROOMS, &cfg, &err, &path), HV_ECONFIG);
    snprintf(want, sizeof want, "%s: missing 'groups'", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);

    CHECK_INT_EQ(load_text(HEAD GROUPS, &cfg, &err, &path), HV_ECONFIG);
    snprintf(want, sizeof want, "%s: 'rooms' must list", path);
    CHECK(strncmp(err.text, want, strlen(want)) == 0);

    snprintf(missing, sizeof missing, "%s/nowhere.cfg", unit_dir());
    CHECK_INT_EQ(roomcfg_load(missing, &cfg, &err), HV_ECONFIG);
    CHECK(strncmp(err.text, missing, strlen(missing)) == 0);
    CHECK(strstr(err.text, "cannot open") != NULL);
    CHECK(cfg.rooms == NULL);
}

/* ---- unknown keys: warned about, not fatal -------------------------------------------- */

static void test_unknown_keys_warn(void)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *path;
    char *out;
    int rc;
    const char *text =
        "prefix = \"clinic\";\n"                                           /* 1 */
        "bogus = 1;\n"                                                     /* 2 */
        "kiosk = { screen = \"x\"; };\n"                                   /* 3 */
        "broker = {\n"                                                     /* 4 */
        "  port = 1884;\n"                                                 /* 5 */
        "  colour = \"red\";\n"                                            /* 6 */
        "};\n"                                                             /* 7 */
        "groups = [ \"nurses\", \"charge\" ];\n"                           /* 8 */
        "priorities = {\n"                                                 /* 9 */
        "  assist = {\n"                                                   /* 10 */
        "    repaet = 5;\n"                                                /* 11 */
        "    chain = ( { group = \"nurses\"; after = 0; },\n"              /* 12 */
        "              { group = \"charge\"; after = 9; aftr = 4; } );\n"  /* 13 */
        "  };\n"                                                           /* 14 */
        "};\n"                                                             /* 15 */
        "rooms = (\n"                                                      /* 16 */
        "  { id = \"chair-1\"; lamp = \"l1\";\n"                           /* 17 */
        "    flavour = \"mint\"; }\n"                                      /* 18 */
        ");\n";                                                            /* 19 */
    static const struct {
        int line;
        const char *name;
    } warned[] = {
        { 2, "bogus" }, { 6, "colour" }, { 11, "repaet" }, { 13, "aftr" }, { 17, "lamp" },
        { 18, "flavour" },
    };

    unit_capture_begin();
    rc = load_text(text, &cfg, &err, &path);
    out = unit_capture_end();
    if (rc)
        fprintf(stderr, "  %s\n", err.text);
    REQUIRE(rc == 0);
    for (size_t i = 0; i < sizeof warned / sizeof warned[0]; i++) {
        char want[1024];
        snprintf(want, sizeof want, "%s:%d: unknown setting '%s' ignored", path,
                 warned[i].line, warned[i].name);
        if (!strstr(out, want))
            check_true(false, want, __FILE__, __LINE__);
    }
    CHECK(strstr(out, "'kiosk'") == NULL);
    CHECK(strstr(out, "'screen'") == NULL);  /* other programs' sections are theirs */
    CHECK(strstr(out, "'chain'") == NULL);
    free(out);
    CHECK_STR_EQ(cfg.prefix, "clinic");
    CHECK_INT_EQ(cfg.broker.port, 1884);
    CHECK_INT_EQ(cfg.policy[PRIO_ASSIST].repeat_ms, 120000);  /* the misspelt key did nothing */
    check_step(&cfg.policy[PRIO_ASSIST], 1, "charge", 9000);
    roomcfg_free(&cfg);
}

/* ---- lookups ---------------------------------------------------------------------- */

static void test_room_lookup(void)
{
    struct room_config cfg;
    struct cfg_error err;
    static const char *const ids[] = {
        "chair-3", "chair-1", "chair-10", "a", "chair-2", "z9", "bay-4", "chair-20",
    };
    const char *text = HEAD GROUPS
        "rooms = (\n"
        "  { id = \"chair-3\"; label = \"L chair-3\"; },\n"
        "  { id = \"chair-1\"; label = \"L chair-1\"; },\n"
        "  { id = \"chair-10\"; label = \"L chair-10\"; },\n"
        "  { id = \"a\"; label = \"L a\"; },\n"
        "  { id = \"chair-2\"; label = \"L chair-2\"; },\n"
        "  { id = \"z9\"; label = \"L z9\"; },\n"
        "  { id = \"bay-4\"; label = \"L bay-4\"; },\n"
        "  { id = \"chair-20\"; label = \"L chair-20\"; }\n"
        ");\n";

    REQUIRE(load_text(text, &cfg, &err, NULL) == 0);
    REQUIRE(cfg.nrooms == 8);
    for (size_t i = 1; i < cfg.nrooms; i++)
        CHECK(strcmp(cfg.rooms[i - 1].id, cfg.rooms[i].id) < 0);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const struct room_def *r = roomcfg_room(&cfg, ids[i]);
        char label[64];
        snprintf(label, sizeof label, "L %s", ids[i]);
        if (!r) {
            check_true(false, ids[i], __FILE__, __LINE__);
            continue;
        }
        CHECK_STR_EQ(r->id, ids[i]);
        CHECK_STR_EQ(r->label, label);
    }
    CHECK(roomcfg_room(&cfg, "chair-4") == NULL);
    CHECK(roomcfg_room(&cfg, "chair") == NULL);
    CHECK(roomcfg_room(&cfg, "chair-1x") == NULL);
    CHECK(roomcfg_room(&cfg, "0") == NULL);
    CHECK(roomcfg_room(&cfg, "zz") == NULL);
    CHECK(roomcfg_room(&cfg, "") == NULL);
    CHECK(roomcfg_room(&cfg, "Chair-1") == NULL);
    CHECK(roomcfg_room(&cfg, "abcdefghijklmnopqrstuvwxyz0123456789") == NULL);
    CHECK(roomcfg_room(&cfg, NULL) == NULL);
    roomcfg_free(&cfg);
}


/* ---- lighting ---------------------------------------------------------------------------- */

/* The shipped clinic: a zigbee2mqtt lamp and a dome per chair, five phase scenes, care, bright. */
static void test_shipped_lighting(void)
{
    struct room_config cfg;
    struct cfg_error err = { "" };
    const struct lighting_config *lc = &cfg.lighting;
    static const char *const scenes[] = { "idle", "intake", "infusion", "recovery",
                                          "discharge", "care", "bright" };

    REQUIRE(roomcfg_load(HAVEN_SOURCE_DIR "/config/haven.cfg", &cfg, &err) == 0);
    for (size_t i = 0; i < sizeof scenes / sizeof scenes[0]; i++)
        CHECK(roomcfg_scene(&cfg, scenes[i]) >= 0);
    for (int p = 0; p < PHASE_COUNT; p++)
        CHECK_STR_EQ(lc->scenes[lc->phase_scene[p]].name, phase_name((enum phase)p));
    CHECK_STR_EQ(lc->scenes[lc->call_scene[PRIO_URGENT]].name, "care");
    CHECK_INT_EQ(lc->call_scene[PRIO_ASSIST], -1);
    /* Never startle: tens of seconds into the infusion, a few seconds elsewhere. */
    CHECK(lc->phase_fade_ms[PHASE_INFUSION] >= 20000);
    CHECK(lc->phase_fade_ms[PHASE_RECOVERY] <= 10000);
    CHECK(lc->call_fade_ms <= 2000);
    for (size_t i = 0; i < cfg.nrooms; i++) {
        const struct room_def *r = &cfg.rooms[i];
        char want[64];
        REQUIRE(r->nlights == 1);
        CHECK_INT_EQ(r->lights[0].driver, LIGHT_Z2M);
        snprintf(want, sizeof want, "zigbee2mqtt/%s-lamp", r->id);
        CHECK_STR_EQ(r->lights[0].topic, want);
        CHECK(r->has_dome);
        CHECK_INT_EQ(r->dome.driver, LIGHT_Z2M);
    }
    roomcfg_free(&cfg);
}

/* Without scenes or lights, lighting is simply off: no error, no scene for any phase. */
static void test_lighting_absent(void)
{
    struct room_config cfg;
    struct cfg_error err;

    REQUIRE(load_text(HEAD GROUPS ROOMS, &cfg, &err, NULL) == 0);
    CHECK_INT_EQ(cfg.lighting.nscenes, 0);
    CHECK_INT_EQ(cfg.lighting.phase_scene[PHASE_INFUSION], -1);
    CHECK_INT_EQ(cfg.rooms[0].nlights, 0);
    CHECK(!cfg.rooms[0].has_dome);
    CHECK_INT_EQ(cfg.lighting.phase_fade_ms[PHASE_INFUSION], 45000);
    roomcfg_free(&cfg);
}

#define SCENES \
    "scenes = { idle = { brightness = 70; }; intake = { brightness = 60; };\n" \
    "  infusion = { brightness = 12; kelvin = 2200; }; recovery = { brightness = 30; };\n" \
    "  discharge = { brightness = 65; }; care = { brightness = 100; kelvin = 4000; };\n" \
    "};\n"
#define LAMP "lights = ( { driver = \"zigbee2mqtt\"; topic = \"z/l\"; } );"

static void test_lighting_errors(void)
{
    EXPECT_ERROR(HEAD GROUPS "scenes = {\n  dim = { brightness = 120; }; #!\n};\n" ROOMS,
                 "'brightness' must be a number from 0 to 100");
    EXPECT_ERROR(HEAD GROUPS "scenes = {\n  dim = { brightness = 10; kelvin = 9000; }; #!\n};\n"
                 ROOMS, "'kelvin' must be a number from 2000 to 6500");
    EXPECT_ERROR(HEAD GROUPS "scenes = {\n  dim = { kelvin = 2700; }; #!\n};\n" ROOMS,
                 "missing brightness");
    EXPECT_ERROR(HEAD GROUPS "scenes = {\n  dim = { brightness = 10; colour = \"red\"; }; #!\n};\n"
                 ROOMS, "must be a colour \"#rrggbb\"");
    EXPECT_ERROR(HEAD GROUPS "scenes = {\n  Dim = { brightness = 10; }; #!\n};\n" ROOMS,
                 "scene name 'Dim'");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  phases = {\n"
                 "    infusion = { scene = \"disco\"; }; #!\n  };\n};\n" ROOMS,
                 "scene 'disco' is not in scenes");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  phases = {\n"
                 "    nap = { scene = \"idle\"; }; #!\n  };\n};\n" ROOMS, "'nap' is not a phase");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  phases = {\n"
                 "    infusion = { fade = -1; }; #!\n  };\n};\n" ROOMS, "'fade' must be 0 to 3600");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  calls = { critical = \"care\"; }; #!\n};\n"
                 ROOMS, "'critical' is not a priority");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  step = 0.1; #!\n};\n" ROOMS,
                 "'step' is 0.1 s");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  dome = { urgent = \"#ff20\"; }; #!\n};\n"
                 ROOMS, "'urgent' must be a colour");
    EXPECT_ERROR(HEAD GROUPS SCENES "lighting = {\n  dome = { flash = 0.1; }; #!\n};\n"
                 ROOMS, "'flash' must be 0.5 to 10 seconds");
    EXPECT_ERROR(HEAD GROUPS SCENES "rooms = (\n"
                 "  { id = \"chair-1\"; lights = ( { driver = \"hue\"; topic = \"x\"; } ); } #!\n);\n",
                 "driver must be \"zigbee2mqtt\"");
    EXPECT_ERROR(HEAD GROUPS SCENES "rooms = (\n"
                 "  { id = \"chair-1\"; lights = ( { driver = \"tasmota\"; topic = \"a/#\"; } ); } #!\n);\n",
                 "topic must be an MQTT topic without '+', '#'");
    EXPECT_ERROR(HEAD GROUPS SCENES "rooms = (\n"
                 "  { id = \"chair-1\"; lights = ( { driver = \"homeassistant\"; topic = \"h\";\n"
                 "    brightness_scale = 0; } ); } #!\n);\n", "'brightness_scale' must be a number from 1");
    EXPECT_ERROR(HEAD GROUPS SCENES "rooms = (\n  { id = \"chair-1\"; lights = (); } #!\n);\n",
                 "'lights' must be a list");
    /* Lights but no scene for a phase: the lighting section (or scenes) is blamed. */
    EXPECT_ERROR(HEAD GROUPS "scenes = { #!\n  idle = { brightness = 70; };\n};\n"
                 "rooms = ( { id = \"chair-1\"; " LAMP " } );\n", "phase 'intake' has no scene");
}

/* ---- stations { } (issue 13) ---- */

static void test_stations(void)
{
    struct room_config cfg;
    struct cfg_error err;
    char *out;

    /* Absent: off, and a grace of 60 s should it be turned on. */
    REQUIRE(load_text(HEAD GROUPS ROOMS, &cfg, &err, NULL) == 0);
    CHECK_INT_EQ(cfg.stations.watch, 0);
    CHECK_INT_EQ(cfg.stations.grace_ms, 60000);
    roomcfg_free(&cfg);

    /* The station's own group is haven-station's: no warning about it or its members. */
    unit_capture_begin();
    int rc = load_text(HEAD GROUPS ROOMS
                       "station = { listen = \"127.0.0.1:8080\"; phone_idle = 900;\n"
                       "  report = { day_starts = \"07:00\"; }; };\n"
                       "stations = { watch = true; group = \"charge\"; grace = 1.5; };\n",
                       &cfg, &err, NULL);
    out = unit_capture_end();
    REQUIRE(rc == 0);
    CHECK(strstr(out, "unknown setting") == NULL);
    free(out);
    CHECK_INT_EQ(cfg.stations.watch, 1);
    CHECK_STR_EQ(cfg.stations.group, "charge");
    CHECK_INT_EQ(cfg.stations.grace_ms, 1500);
    roomcfg_free(&cfg);

    /* watch = false needs no group. */
    REQUIRE(load_text(HEAD GROUPS ROOMS "stations = { watch = false; };\n", &cfg, &err,
                      NULL) == 0);
    CHECK_INT_EQ(cfg.stations.watch, 0);
    roomcfg_free(&cfg);

    EXPECT_ERROR(HEAD GROUPS ROOMS "stations = {\n  watch = true;\n  group = \"night\"; #!\n};\n",
                 "'group' must be one of 'groups'");
    EXPECT_ERROR(HEAD GROUPS ROOMS "stations = { watch = true; }; #!\n",
                 "'group' must be one of 'groups'");
    EXPECT_ERROR(HEAD GROUPS ROOMS "stations = {\n  watch = \"yes\"; #!\n};\n",
                 "must be true or false");
    EXPECT_ERROR(HEAD GROUPS ROOMS "stations = {\n  watch = true; group = \"charge\";\n"
                 "  grace = 0; #!\n};\n", "grace");
    EXPECT_ERROR(HEAD GROUPS ROOMS "stations = [ 1 ]; #!\n", "'stations' must be a group");

    /* A misspelt key warns with its line. */
    unit_capture_begin();
    rc = load_text(HEAD GROUPS ROOMS "stations = { watch = true; group = \"charge\";\n"
                   "  grase = 5; };\n", &cfg, &err, NULL);
    out = unit_capture_end();
    REQUIRE(rc == 0);
    CHECK(strstr(out, "unknown setting 'grase' ignored") != NULL);
    free(out);
    roomcfg_free(&cfg);
}

/*
 * A reload keeps what only a restart may change (prefix, controller id,
 * database, every broker setting) and logs each by name; the rest applies.
 */
static void test_reload_keeps_restart_only(void)
{
    struct room_config running, next;
    struct cfg_error err;
    char *out;

    REQUIRE(load_text(HEAD GROUPS ROOMS, &running, &err, NULL) == 0);
    REQUIRE(load_text(HEAD GROUPS ROOMS, &next, &err, NULL) == 0);
    unit_capture_begin();
    CHECK_INT_EQ(roomcfg_keep_restart(&next, &running), 0);   /* the same file: nothing */
    out = unit_capture_end();
    CHECK(strstr(out, "next restart") == NULL);
    free(out);
    roomcfg_free(&next);

    REQUIRE(load_text("prefix = \"clinic\";\n"
                      "controller = { id = \"room-9\"; database = \"/tmp/other.db\";\n"
                      "  realert_min = 7; };\n"
                      "broker = { host = \"10.0.0.9\"; port = 1884; keepalive = 30; };\n"
                      GROUPS ROOMS, &next, &err, NULL) == 0);
    unit_capture_begin();
    CHECK_INT_EQ(roomcfg_keep_restart(&next, &running), 6);
    out = unit_capture_end();
    CHECK(strstr(out, "reload: 'prefix' changed in the file; it takes effect at the next "
                      "restart") != NULL);
    CHECK(strstr(out, "'controller.id' changed") != NULL);
    CHECK(strstr(out, "'controller.database' changed") != NULL);
    CHECK(strstr(out, "'broker.host' changed") != NULL);
    CHECK(strstr(out, "'broker.port' changed") != NULL);
    CHECK(strstr(out, "'broker.keepalive' changed") != NULL);
    CHECK(strstr(out, "realert_min") == NULL);
    free(out);
    CHECK_STR_EQ(next.prefix, "haven");
    CHECK_STR_EQ(next.controller_id, "room-1");
    CHECK_STR_EQ(next.database, "/tmp/calls.db");
    CHECK_STR_EQ(next.broker.host, "127.0.0.1");
    CHECK_INT_EQ(next.broker.port, 1883);
    CHECK_INT_EQ(next.broker.keepalive, 10);
    CHECK_INT_EQ(next.realert_min_ms, 7000);      /* not restart-only: the reload applies it */
    roomcfg_free(&next);
    roomcfg_free(&running);
}

int main(void)
{
    RUN(test_shipped_config);
    RUN(test_shipped_lighting);
    RUN(test_lighting_absent);
    RUN(test_lighting_errors);
    RUN(test_defaults);
    RUN(test_partial_sections);
    RUN(test_error_lines);
    RUN(test_errors_without_line);
    RUN(test_unknown_keys_warn);
    RUN(test_room_lookup);
    RUN(test_stations);
    RUN(test_reload_keeps_restart_only);
    unit_cleanup();
    return CHECK_SUMMARY();
}
