/*
 * test_lighting.c - the room's lights over the real broker and the real
 * haven-room: for each driver (zigbee2mqtt, Home Assistant JSON, Tasmota) the
 * exact messages a phase change, a staff override, an urgent call and its
 * clearing produce; the dome light; the retained lights/state; the patient's
 * theme; out-of-range overrides never reaching a light; SIGHUP taking new
 * scenes; a broken lighting config refused with file:line.
 *
 * Light topics carry the test's prefix ("<prefix>-z2m/...") so parallel tests
 * on the shared broker never hear each other's lamps.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short fades so a test sees every point: infusion 2 s in two 1 s steps. */
static const char config_text[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "scenes = {\n"
    "  idle = { brightness = 70; kelvin = 3000; };\n"
    "  intake = { brightness = 60; kelvin = 3000; };\n"
    "  infusion = { brightness = 12; kelvin = 2200; };\n"
    "  recovery = { brightness = 30; kelvin = 2500; };\n"
    "  discharge = { brightness = 65; kelvin = 3000; };\n"
    "  care = { brightness = 100; kelvin = 4000; };\n"
    "  bright = { brightness = 100; kelvin = 4500; };\n"
    "  dusk = { brightness = 10; colour = \"#5a6ea0\"; };\n"
    "};\n"
    "lighting = {\n"
    "  phases = { intake = { fade = 1; }; infusion = { fade = 2; }; recovery = { fade = 1; }; };\n"
    "  calls = { urgent = \"care\"; };\n"
    "  call_fade = 1; return_fade = 1; override_fade = 0.5; override_hold = 600; step = 1;\n"
    "  dome = { urgent = \"#ff2000\"; assist = \"#ffa000\"; flash = 1; };\n"
    "};\n"
    "rooms = (\n"
    "  { id = \"chair-1\"; lights = ( { driver = \"zigbee2mqtt\"; topic = \"%PREFIX%-z2m/chair-1-lamp\"; } );\n"
    "    dome = { driver = \"zigbee2mqtt\"; topic = \"%PREFIX%-z2m/chair-1-dome\"; }; },\n"
    "  { id = \"chair-2\"; lights = ( { driver = \"homeassistant\";\n"
    "                                 topic = \"%PREFIX%-ha/light/chair_2/set\"; } ); },\n"
    "  { id = \"chair-3\"; lights = ( { driver = \"tasmota\"; topic = \"%PREFIX%-chair-3\"; } ); }\n"
    ");\n";

/* One room's lamp: where its driver's messages go. */
struct lamp {
    const char *room;
    const char *filter;   /* after "<prefix>" */
    bool tasmota;         /* several messages per command, ending with Dimmer */
};

static const struct lamp lamps[] = {
    { "chair-1", "-z2m/chair-1-lamp/set", false },
    { "chair-2", "-ha/light/chair_2/set", false },
    { "chair-3", "-chair-3/+", true },
};

struct lights_t {
    struct room_fixture f;
    hv_client *light;   /* every lamp and dome of the test */
    hv_client *staff;   /* nurse station: kiosk status, calls, overrides */
    hv_client *state;   /* every room's lights/state, since before the controller started */
    char *last_state[3];/* the newest lights/state heard per lamps[] room */
    char filters[3][160];
};

static const char *lamp_filter(struct lights_t *t, int i)
{
    if (lamps[i].tasmota)
        snprintf(t->filters[i], sizeof t->filters[i], "cmnd/%s%s", t->f.prefix, lamps[i].filter);
    else
        snprintf(t->filters[i], sizeof t->filters[i], "%s%s", t->f.prefix, lamps[i].filter);
    return t->filters[i];
}

/*
 * The next command to lamp i within timeout_ms, malloc'd: the JSON payload,
 * or for Tasmota its messages as "Speed 2|CT 333|Dimmer 60".  NULL on timeout.
 */
static char *next_command(struct lights_t *t, int i, int timeout_ms)
{
    char out[512] = "";

    if (!lamps[i].tasmota)
        return hv_client_expect(t->light, lamp_filter(t, i), timeout_ms);
    for (;;) {
        char *topic = NULL;
        char *p = hv_client_expect_t(t->light, lamp_filter(t, i), timeout_ms, &topic, NULL);
        if (!p)
            return NULL;
        const char *cmd = strrchr(topic, '/') + 1;
        bool init = !strcmp(cmd, "Fade") || !strcmp(cmd, "SetOption117");
        if (!init)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s %s", out[0] ? "|" : "",
                     cmd, p);
        bool last = !strcmp(cmd, "Dimmer");
        free(p);
        free(topic);
        if (last)
            return strdup(out);
    }
}

#define EXPECT_COMMAND(t, i, want) expect_command_((t), (i), (want), __LINE__)
static void expect_command_(struct lights_t *t, int i, const char *want, int line)
{
    char *got = next_command(t, i, 4000);

    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "  %s: want %s\n  %*s  got  %s\n", lamps[i].room, want,
                (int)strlen(lamps[i].room), "", got ? got : "(nothing)");
        check_true(false, "the lamp's command", __FILE__, line);
    }
    free(got);
}

static int start(struct lights_t *t)
{
    struct rf_opts o = { .cfg_text = config_text, .room_later = true };
    char filter[160];

    memset(t, 0, sizeof *t);
    if (rf_start_opts(&t->f, &o) != 0)
        return -1;
    t->light = rf_client(&t->f, "lights");
    t->staff = rf_client(&t->f, "staff");
    t->state = rf_client(&t->f, "state");
    if (!t->light || !t->staff || !t->state ||
        hv_client_sub(t->state, rf_topic(&t->f, "room/+/lights/state"), 1))
        return -1;
    snprintf(filter, sizeof filter, "%s-z2m/#", t->f.prefix);
    if (hv_client_sub(t->light, filter, 1))
        return -1;
    snprintf(filter, sizeof filter, "%s-ha/#", t->f.prefix);
    if (hv_client_sub(t->light, filter, 1))
        return -1;
    snprintf(filter, sizeof filter, "cmnd/%s-chair-3/+", t->f.prefix);
    if (hv_client_sub(t->light, filter, 1))
        return -1;
    /* Subscribed before the controller starts, so its connect sequence is all
     * heard: Tasmota's set-up before its online status, then, a settle (2 ms)
     * after the calls are published, chair-1's dome told it is off.  That dome
     * message is the sequence's last: wait for it, then start clean. */
    if (rf_start_room(&t->f) != 0)
        return -1;
    snprintf(filter, sizeof filter, "%s-z2m/chair-1-dome/set", t->f.prefix);
    char *off = hv_client_expect(t->light, filter, rf_valgrind() ? 30000 : 5000);
    if (!off || !strstr(off, "\"OFF\"")) {
        fprintf(stderr, "start: want chair-1's dome off as the controller connects, got %s\n",
                off ? off : "(nothing)");
        free(off);
        return -1;
    }
    free(off);
    hv_client_drain(t->light);
    return 0;
}

static void finish(struct lights_t *t)
{
    hv_client_free(t->light);
    hv_client_free(t->staff);
    hv_client_free(t->state);
    for (int k = 0; k < 3; k++)
        free(t->last_state[k]);
    rf_finish(&t->f);
}

static void set_phase(struct lights_t *t, const char *room, const char *phase)
{
    char topic[128], payload[160];

    snprintf(topic, sizeof topic, "room/%s/kiosk/status", room);
    snprintf(payload, sizeof payload,
             "{\"online\":true,\"phase\":\"%s\",\"visit\":\"V-7\",\"ts\":\"2026-11-21T10:00:00.000Z\"}",
             phase);
    CHECK(hv_client_pub(t->staff, rf_topic(&t->f, topic), payload, 1, true) == 0);
}

static void staff_pub(struct lights_t *t, const char *room, const char *rest, const char *payload)
{
    char topic[128];

    snprintf(topic, sizeof topic, "room/%s/%s", room, rest);
    CHECK(hv_client_pub(t->staff, rf_topic(&t->f, topic), payload, 1, false) == 0);
}

/*
 * The lights/state of room (what a late subscriber would get retained): checks
 * scene, brightness and kelvin.  The state follows the lamps' command, so it
 * may lag the command a test just saw: the newest state heard is taken, and
 * while it does not match yet, the next one is waited for, for up to 3 s.
 */
static void expect_state(struct lights_t *t, const char *room, const char *scene, int brightness,
                         int kelvin)
{
    char topic[128];
    int k = 0;

    while (k < 2 && strcmp(lamps[k].room, room) != 0)
        k++;
    snprintf(topic, sizeof topic, "%s/room/%s/lights/state", t->f.prefix, room);
    for (int64_t end = hv_now_us() + 3000000;;) {
        const char *s = t->last_state[k];
        if (s && json_str(s, "scene") && !strcmp(json_str(s, "scene"), scene) &&
            json_int(s, "brightness") == brightness && hv_client_count(t->state, topic) == 0)
            break;
        int left_ms = (int)((end - hv_now_us()) / 1000);
        char *next = hv_client_expect(t->state, topic, left_ms > 0 ? left_ms : 0);
        if (!next)
            break;
        free(t->last_state[k]);
        t->last_state[k] = next;
    }
    const char *s = t->last_state[k];
    REQUIRE(s && json_parses(s));
    CHECK_STR_EQ(json_str(s, "scene"), scene);
    CHECK_INT_EQ(json_int(s, "brightness"), brightness);
    CHECK_INT_EQ(json_int(s, "kelvin"), kelvin);
    CHECK(json_str(s, "ts") != NULL);
}

/* ---- per driver: phase change --------------------------------------------------------- */

/*
 * What each driver is told for intake (first: one 1 s step) and then
 * infusion (2 s: the mid-point of the perceptual curve, then the scene).
 * Mid-point: L* half-way between 60 % and 12 % is 29.9 % of output
 * (not 36 %), 394 mireds half-way between 333 and 455.
 */
static const char *const phase_payloads[3][3] = {
    { "{\"state\":\"ON\",\"brightness\":152,\"color_temp\":333,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":76,\"color_temp\":394,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":30,\"color_temp\":455,\"transition\":1}" },
    { "{\"state\":\"ON\",\"brightness\":153,\"color_temp\":333,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":76,\"color_temp\":394,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":31,\"color_temp\":455,\"transition\":1}" },
    { "Speed 2|CT 333|Dimmer 60", "Speed 2|CT 394|Dimmer 30", "Speed 2|CT 455|Dimmer 12" },
};

static void test_phase_change_each_driver(void)
{
    struct lights_t t;

    REQUIRE(start(&t) == 0);
    for (int i = 0; i < 3; i++)
        set_phase(&t, lamps[i].room, "intake");
    for (int i = 0; i < 3; i++)
        EXPECT_COMMAND(&t, i, phase_payloads[i][0]);
    expect_state(&t, "chair-1", "intake", 60, 3000);
    for (int i = 0; i < 3; i++)
        set_phase(&t, lamps[i].room, "infusion");
    int64_t t0 = hv_now_us();
    for (int i = 0; i < 3; i++) {
        EXPECT_COMMAND(&t, i, phase_payloads[i][1]);
        EXPECT_COMMAND(&t, i, phase_payloads[i][2]);
    }
    /* The second point goes out a step (1 s) after the first, not at once. */
    CHECK(hv_now_us() - t0 >= 900000);
    expect_state(&t, "chair-2", "infusion", 12, 2200);
    /* Nothing more: the fade is over. */
    CHECK(hv_client_expect_none(t.light, NULL, 1500));
    finish(&t);
}

/* ---- per driver: staff override ---------------------------------------------------------- */

static const char *const override_payloads[3][3] = {
    { "{\"state\":\"ON\",\"brightness\":254,\"color_temp\":222,\"transition\":0.5}",
      "{\"state\":\"ON\",\"brightness\":76,\"color_temp\":370,\"transition\":1}",
      "{\"state\":\"OFF\",\"transition\":0}" },
    { "{\"state\":\"ON\",\"brightness\":255,\"color_temp\":222,\"transition\":0.5}",
      "{\"state\":\"ON\",\"brightness\":77,\"color_temp\":370,\"transition\":1}",
      "{\"state\":\"OFF\",\"transition\":0}" },
    { "Speed 1|CT 222|Dimmer 100", "Speed 2|CT 370|Dimmer 30", "Speed 1|Dimmer 0" },
};

static void test_override_each_driver(void)
{
    struct lights_t t;

    REQUIRE(start(&t) == 0);
    for (int i = 0; i < 3; i++)
        set_phase(&t, lamps[i].room, "idle");
    for (int i = 0; i < 3; i++)
        free(next_command(&t, i, 4000));
    for (int i = 0; i < 3; i++) {
        staff_pub(&t, lamps[i].room, "lights/set", "{\"scene\":\"bright\"}");
        EXPECT_COMMAND(&t, i, override_payloads[i][0]);
        /* A manual level: 30 %, 2700 K, over its own 1 s. */
        staff_pub(&t, lamps[i].room, "lights/set",
                  "{\"brightness\":30,\"kelvin\":2700,\"transition\":1}");
        EXPECT_COMMAND(&t, i, override_payloads[i][1]);
        staff_pub(&t, lamps[i].room, "lights/set", "{\"brightness\":0,\"transition\":0}");
        EXPECT_COMMAND(&t, i, override_payloads[i][2]);
    }
    expect_state(&t, "chair-3", "override", 0, 2700);
    /* Released: back to the room's idle scene (70 %, 3000 K) over return_fade (1 s). */
    staff_pub(&t, "chair-1", "lights/set", "{\"release\":true}");
    EXPECT_COMMAND(&t, 0, "{\"state\":\"ON\",\"brightness\":178,\"color_temp\":333,\"transition\":1}");
    expect_state(&t, "chair-1", "idle", 70, 3000);
    finish(&t);
}

/* Out of range, unknown scenes, retained overrides: logged, never passed to a light. */
static void test_override_rejected(void)
{
    struct lights_t t;
    static const char *const bad[] = {
        "{\"brightness\":150}", "{\"kelvin\":12000}", "{\"brightness\":50,\"transition\":-2}",
        "{\"scene\":\"disco\"}", "{\"scene\":\"bright\",\"brightness\":20}", "not json",
    };

    REQUIRE(start(&t) == 0);
    set_phase(&t, "chair-1", "idle");
    free(next_command(&t, 0, 4000));
    hv_client_drain(t.light);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        staff_pub(&t, "chair-1", "lights/set", bad[i]);
    CHECK(sync_room(&t.f, t.staff));
    CHECK(hv_client_expect_none(t.light, NULL, 500));
    CHECK(wait_log(&t.f, "lights/set: a number is missing its value or out of range", 0));
    CHECK(wait_log(&t.f, "lights/set: no such scene in config", 0));
    expect_state(&t, "chair-1", "idle", 70, 3000);
    finish(&t);
}

/* An override someone left retained is not replayed when the controller restarts. */
static void test_retained_override_not_replayed(void)
{
    struct lights_t t;

    REQUIRE(start(&t) == 0);
    set_phase(&t, "chair-1", "idle");
    free(next_command(&t, 0, 4000));
    CHECK(hv_client_pub(t.staff, rf_topic(&t.f, "room/chair-1/lights/set"),
                        "{\"scene\":\"bright\"}", 1, true) == 0);
    free(next_command(&t, 0, 4000));  /* live, it is an override like any other */
    CHECK_INT_EQ(rf_stop_room(&t.f), 0);
    REQUIRE(rf_start_room(&t.f) == 0);
    CHECK(wait_log(&t.f, "a retained override would replay", 3000));
    EXPECT_COMMAND(&t, 0, "{\"state\":\"ON\",\"brightness\":178,\"color_temp\":333,\"transition\":1}");
    expect_state(&t, "chair-1", "idle", 70, 3000);
    CHECK(hv_client_pub(t.staff, rf_topic(&t.f, "room/chair-1/lights/set"), "", 1, true) == 0);
    finish(&t);
}

/* ---- per driver: an urgent call and its clearing ---------------------------------------------- */

static const char *const care_payloads[3][2] = {
    { "{\"state\":\"ON\",\"brightness\":254,\"color_temp\":250,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":30,\"color_temp\":455,\"transition\":1}" },
    { "{\"state\":\"ON\",\"brightness\":255,\"color_temp\":250,\"transition\":1}",
      "{\"state\":\"ON\",\"brightness\":31,\"color_temp\":455,\"transition\":1}" },
    { "Speed 2|CT 250|Dimmer 100", "Speed 2|CT 455|Dimmer 12" },
};

static void test_urgent_call_each_driver(void)
{
    struct lights_t t;
    char call[160];

    REQUIRE(start(&t) == 0);
    for (int i = 0; i < 3; i++)
        set_phase(&t, lamps[i].room, "infusion");
    for (int i = 0; i < 3; i++)
        free(next_command(&t, i, 4000));
    hv_client_drain(t.light);
    for (int i = 0; i < 3; i++) {
        snprintf(call, sizeof call, "{\"id\":\"u-%d\",\"reason\":\"safety\","
                 "\"ts\":\"2026-11-21T10:00:00.000Z\"}", i);
        int64_t t0 = hv_now_us();
        staff_pub(&t, lamps[i].room, "kiosk/call", call);
        EXPECT_COMMAND(&t, i, care_payloads[i][0]);
        /* Told within 2 s, with at most 1 s of transition: bright within 2 s. */
        CHECK(hv_now_us() - t0 < 1000000);
        expect_state(&t, lamps[i].room, "care", 100, 4000);
        snprintf(call, sizeof call, "{\"id\":\"u-%d\",\"by\":\"nurse-7\"}", i);
        staff_pub(&t, lamps[i].room, "kiosk/clear", call);
        EXPECT_COMMAND(&t, i, care_payloads[i][1]);
        expect_state(&t, lamps[i].room, "infusion", 12, 2200);
    }
    finish(&t);
}

/* The dome: urgent flashes red until acknowledged, then steady; off when cleared. */
static void test_dome(void)
{
    struct lights_t t;
    const char *on = "{\"state\":\"ON\",\"brightness\":254,\"color\":{\"r\":255,\"g\":32,\"b\":0},\"transition\":0}";
    const char *off = "{\"state\":\"OFF\",\"transition\":0}";
    char dome[160];
    char *p;

    REQUIRE(start(&t) == 0);
    snprintf(dome, sizeof dome, "%s-z2m/chair-1-dome/set", t.f.prefix);
    hv_client_drain(t.light);
    staff_pub(&t, "chair-1", "kiosk/call",
              "{\"id\":\"d-1\",\"reason\":\"safety\",\"ts\":\"2026-11-21T10:00:00.000Z\"}");
    const char *want[] = { on, off, on, off };
    for (int k = 0; k < 4; k++) {
        p = hv_client_expect(t.light, dome, 3000);
        CHECK_STR_EQ(p, want[k]);
        free(p);
    }
    CHECK(hv_client_pub(t.staff, rf_topic(&t.f, "call/chair-1/ack/station"),
                        "{\"id\":\"d-1\",\"by\":\"nurse-7\"}", 1, false) == 0);
    CHECK(wait_log(&t.f, "acknowledged", 3000));
    hv_client_drain(t.light);
    CHECK(sync_room(&t.f, t.staff));
    /* Steady on (possibly after one last flash message already in flight). */
    CHECK(hv_client_expect_none(t.light, dome, 1500) || hv_client_count(t.light, dome) <= 1);
    hv_client_drain(t.light);
    CHECK(hv_client_expect_none(t.light, dome, 1500));
    staff_pub(&t, "chair-1", "kiosk/clear", "{\"id\":\"d-1\",\"by\":\"nurse-7\"}");
    p = hv_client_expect(t.light, dome, 3000);
    CHECK_STR_EQ(p, off);
    free(p);
    finish(&t);
}

/* The patient's theme: its scene while the room is in the theme's phase. */
static void test_theme(void)
{
    struct lights_t t;

    REQUIRE(start(&t) == 0);
    set_phase(&t, "chair-1", "infusion");
    free(next_command(&t, 0, 4000));
    CHECK(hv_client_pub(t.staff, rf_topic(&t.f, "room/chair-1/kiosk/theme"),
                        "{\"theme\":\"rain\",\"scene\":\"dusk\",\"phase\":\"infusion\","
                        "\"ts\":\"2026-11-21T10:00:00.000Z\"}", 1, true) == 0);
    EXPECT_COMMAND(&t, 0, "{\"state\":\"ON\",\"brightness\":25,\"color\":{\"r\":90,\"g\":110,\"b\":160},\"transition\":0.5}");
    expect_state(&t, "chair-1", "dusk", 10, 2700);
    set_phase(&t, "chair-1", "recovery");
    EXPECT_COMMAND(&t, 0, "{\"state\":\"ON\",\"brightness\":76,\"color_temp\":400,\"transition\":1}");
    CHECK(hv_client_pub(t.staff, rf_topic(&t.f, "room/chair-1/kiosk/theme"), "", 1, true) == 0);
    finish(&t);
}

/* SIGHUP: a changed scene applies at the room's next change; the room is not disturbed. */
static void test_reload_new_scene(void)
{
    struct lights_t t;

    REQUIRE(start(&t) == 0);
    set_phase(&t, "chair-1", "intake");
    EXPECT_COMMAND(&t, 0, phase_payloads[0][0]);
    char *text = hv_read_file(t.f.cfg_path);
    REQUIRE(text);
    char *p = strstr(text, "recovery = { brightness = 30;");
    REQUIRE(p);
    memcpy(p, "recovery = { brightness = 50;", 29);
    REQUIRE(hv_write_file(t.f.cfg_path, text) == 0);
    free(text);
    hv_proc_signal(t.f.room, SIGHUP);
    CHECK(wait_log(&t.f, "configuration reloaded", 3000));
    CHECK(hv_client_expect_none(t.light, NULL, 500));
    set_phase(&t, "chair-1", "recovery");
    EXPECT_COMMAND(&t, 0, "{\"state\":\"ON\",\"brightness\":127,\"color_temp\":400,\"transition\":1}");
    expect_state(&t, "chair-1", "recovery", 50, 2500);
    finish(&t);
}

/* A broken lighting section: exit 2 with file:line, at start-up and from `check`. */
static void test_bad_lighting_config(void)
{
    char *dir = hv_tmpdir("lights-cfg");
    char path[512], out[600];
    REQUIRE(dir);
    snprintf(path, sizeof path, "%s/haven.cfg", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    REQUIRE(hv_write_file(path,
        "groups = [ \"nurses\" ];\n"
        "scenes = { infusion = { brightness = 12; }; };\n"
        "lighting = {\n"
        "  phases = { infusion = { scene = \"nap\"; }; };\n"
        "};\n"
        "rooms = ( { id = \"chair-1\"; } );\n") == 0);
    const char *check[] = { "check", "--config", path, NULL };
    CHECK_INT_EQ(rf_run_room_cli(check, out), 2);
    char *text = hv_read_file(out);
    char want[600];
    snprintf(want, sizeof want, "%s:4: scene 'nap' is not in scenes", path);
    CHECK(text && strstr(text, want));
    free(text);
    const char *run[] = { "run", "--config", path, NULL };
    CHECK_INT_EQ(rf_run_room_cli(run, out), 2);
    hv_rm_rf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_phase_change_each_driver);
    RUN(test_override_each_driver);
    RUN(test_override_rejected);
    RUN(test_retained_override_not_replayed);
    RUN(test_urgent_call_each_driver);
    RUN(test_dome);
    RUN(test_theme);
    RUN(test_reload_new_scene);
    RUN(test_bad_lighting_config);
    return CHECK_SUMMARY();
}
