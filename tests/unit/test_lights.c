/*
 * test_lights.c - the lighting logic with a recording struct lights_ops and a
 * clock the test moves: phase scenes and their fades (points of the
 * perceptual curve at the right times), each driver's exact payloads, calls
 * taking the room to the care scene and back, the dome light, staff
 * overrides and their end, the patient's theme, reconnects and reloads.
 */
#include "check.h"
#include "fade.h"
#include "lights.h"
#include "roomcfg.h"
#include "unit_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char config_text[] =
    "groups = [ \"nurses\" ];\n"
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
    "  phases = { infusion = { scene = \"infusion\"; fade = 40; }; recovery = { fade = 8; }; };\n"
    "  calls = { urgent = \"care\"; assist = \"\"; };\n"
    "  call_fade = 1; return_fade = 6; override_fade = 3; override_hold = 600; step = 5;\n"
    "  dome = { assist = \"#ffa000\"; urgent = \"#ff2000\"; flash = 2; };\n"
    "};\n"
    "rooms = (\n"
    "  { id = \"chair-1\"; lights = ( { driver = \"zigbee2mqtt\"; topic = \"z2m/lamp-1\"; } );\n"
    "    dome = { driver = \"zigbee2mqtt\"; topic = \"z2m/dome-1\"; }; },\n"
    "  { id = \"chair-2\"; lights = ( { driver = \"tasmota\"; topic = \"dimmer-2\"; } ); },\n"
    "  { id = \"chair-3\"; lights = ( { driver = \"homeassistant\"; topic = \"ha/light/c3/set\";\n"
    "                                 brightness_scale = 100; } ); },\n"
    "  { id = \"chair-4\"; }\n"
    ");\n";

/* ---- recording ops ---------------------------------------------------------------- */

#define LOG_MAX 512

static struct {
    char topic[LOG_MAX][128];
    char payload[LOG_MAX][256];
    int n;
    char state_room[64][40], state_scene[64][64];
    double state_brightness[64];
    int nstates;
} rec;

static void rec_command(void *ctx, const char *topic, const char *payload)
{
    (void)ctx;
    if (rec.n < LOG_MAX) {
        snprintf(rec.topic[rec.n], sizeof rec.topic[0], "%s", topic);
        snprintf(rec.payload[rec.n], sizeof rec.payload[0], "%s", payload);
        rec.n++;
    }
}

static void rec_state(void *ctx, const char *room, const char *scene, const struct light_level *lv)
{
    (void)ctx;
    if (rec.nstates < 64) {
        snprintf(rec.state_room[rec.nstates], sizeof rec.state_room[0], "%s", room);
        snprintf(rec.state_scene[rec.nstates], sizeof rec.state_scene[0], "%s", scene);
        rec.state_brightness[rec.nstates++] = lv->brightness;
    }
}

static const struct lights_ops rec_ops = { rec_command, rec_state };

static struct room_config cfg;
static lights *ls;

static bool setup_with(const char *text)
{
    struct cfg_error err;

    memset(&rec, 0, sizeof rec);
    if (roomcfg_load(unit_file("lights.cfg", text), &cfg, &err) != 0) {
        fprintf(stderr, "config: %s\n", err.text);
        return false;
    }
    ls = lights_new(&cfg, &rec_ops, NULL);
    return ls != NULL;
}

static bool setup(void)
{
    return setup_with(config_text);
}

static void teardown(void)
{
    lights_free(ls);
    roomcfg_free(&cfg);
    ls = NULL;
}

static void clear_rec(void)
{
    rec.n = 0;
    rec.nstates = 0;
}

/* Index of the first recorded command on topic at or after from, or -1. */
static int find_cmd(const char *topic, int from)
{
    for (int i = from; i < rec.n; i++)
        if (strcmp(rec.topic[i], topic) == 0)
            return i;
    return -1;
}

static int count_cmd(const char *topic)
{
    int n = 0;
    for (int i = 0; i < rec.n; i++)
        n += strcmp(rec.topic[i], topic) == 0;
    return n;
}

/* The payload of the last command on topic ("" when none). */
static const char *last_cmd(const char *topic)
{
    for (int i = rec.n - 1; i >= 0; i--)
        if (strcmp(rec.topic[i], topic) == 0)
            return rec.payload[i];
    return "";
}

/* A call change as the controller makes it: lights_call, then the tick that shows it. */
static void call_shown(const char *room, const struct contract_call *call, int64_t now)
{
    lights_call(ls, room, call, now);
    CHECK(lights_next_due(ls) <= now + 2);  /* shown within 2 ms, after the page went out */
    lights_tick(ls, now + 2);
}

/* Brings chair-1 to its infusion scene and lets the fade finish; clears the record. */
static void settle_in_infusion(int64_t *now)
{
    lights_phase(ls, "chair-1", PHASE_INTAKE, *now);
    lights_phase(ls, "chair-1", PHASE_INFUSION, *now += 1000);
    for (int i = 0; i < 100; i++)
        lights_tick(ls, *now += 1000);
    clear_rec();
}

/* ---- tests --------------------------------------------------------------------------- */

/* The first thing a room is told: one command, no curve (where the lamp is is unknown). */
static void test_first_phase_one_command(void)
{
    REQUIRE(setup());
    lights_phase(ls, "chair-1", PHASE_INTAKE, 1000);
    CHECK_INT_EQ(rec.n, 1);
    CHECK_STR_EQ(rec.topic[0], "z2m/lamp-1/set");
    /* 60 % of 254 = 152; 3000 K = 333 mireds; default intake fade 5 s, step 5 s. */
    CHECK_STR_EQ(rec.payload[0], "{\"state\":\"ON\",\"brightness\":152,\"color_temp\":333,\"transition\":5}");
    CHECK_INT_EQ(rec.nstates, 1);
    CHECK_STR_EQ(rec.state_scene[0], "intake");
    CHECK_DBL_NEAR(rec.state_brightness[0], 60, 1e-9);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "intake");
    CHECK(lights_next_due(ls) == INT64_MAX);
    /* The same phase again changes nothing. */
    lights_phase(ls, "chair-1", PHASE_INTAKE, 2000);
    CHECK_INT_EQ(rec.n, 1);
    teardown();
}

/* 40 s into infusion, step 5 s: 8 points, 5 s apart, each gliding 5 s, equal steps of L*. */
static void test_infusion_fade_follows_the_curve(void)
{
    int64_t now = 0;

    REQUIRE(setup());
    lights_phase(ls, "chair-1", PHASE_INTAKE, now);
    clear_rec();
    lights_phase(ls, "chair-1", PHASE_INFUSION, now = 10000);
    CHECK_INT_EQ(rec.n, 1);
    CHECK_INT_EQ(lights_next_due(ls), 15000);
    for (now = 10000; now <= 60000; now += 100)
        if (lights_next_due(ls) <= now)
            lights_tick(ls, now);
    REQUIRE(rec.n == 8);
    const struct light_level from = { 60, 3000, false, { 0 } }, to = { 12, 2200, false, { 0 } };
    for (int k = 1; k <= 8; k++) {
        struct light_level lv = fade_at(&from, &to, k / 8.0);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"state\":\"ON\",\"brightness\":%ld,\"color_temp\":%d,\"transition\":5}",
                 lround(lv.brightness * 254 / 100), light_mireds(lv.kelvin));
        CHECK_STR_EQ(rec.payload[k - 1], want);
    }
    /* The last point is the scene itself: 12 % = 30/254, 2200 K = 455 mireds. */
    CHECK_STR_EQ(rec.payload[7], "{\"state\":\"ON\",\"brightness\":30,\"color_temp\":455,\"transition\":5}");
    CHECK_INT_EQ(rec.nstates, 1);  /* the state says where it is going, once */
    CHECK(lights_next_due(ls) == INT64_MAX);
    teardown();
}

/* A tick that comes late (a stalled loop) skips to the point being glided to now. */
static void test_late_tick_catches_up(void)
{
    REQUIRE(setup());
    lights_phase(ls, "chair-1", PHASE_INTAKE, 0);
    lights_phase(ls, "chair-1", PHASE_INFUSION, 10000);
    clear_rec();
    lights_tick(ls, 10000 + 22000);  /* points 2..4 overdue: send point 5, due at 35 s */
    CHECK_INT_EQ(rec.n, 1);
    CHECK(strstr(rec.payload[0], "\"transition\":3") != NULL);
    CHECK_INT_EQ(lights_next_due(ls), 35000);
    teardown();
}

/* Tasmota: Speed in half-seconds, CT in mireds, Dimmer in %; fades past 20 s are stepped. */
static void test_tasmota_payloads(void)
{
    REQUIRE(setup());
    lights_connected(ls, 0);
    CHECK_STR_EQ(last_cmd("cmnd/dimmer-2/Fade"), "1");
    CHECK_STR_EQ(last_cmd("cmnd/dimmer-2/SetOption117"), "1");
    clear_rec();
    lights_phase(ls, "chair-2", PHASE_RECOVERY, 0);
    /* recovery fade 8 s but unknown start: one 5 s step (config step). */
    CHECK_INT_EQ(rec.n, 3);
    CHECK_STR_EQ(rec.topic[0], "cmnd/dimmer-2/Speed");
    CHECK_STR_EQ(rec.payload[0], "10");
    CHECK_STR_EQ(rec.topic[1], "cmnd/dimmer-2/CT");
    CHECK_STR_EQ(rec.payload[1], "400");
    CHECK_STR_EQ(rec.topic[2], "cmnd/dimmer-2/Dimmer");
    CHECK_STR_EQ(rec.payload[2], "30");
    teardown();
}

static void test_tasmota_long_step_is_capped(void)
{
    char *text = strdup(config_text);
    char *p = strstr(text, "step = 5;");
    REQUIRE(p);
    memcpy(p, "step =60;", 9);
    REQUIRE(setup_with(text));
    free(text);
    lights_phase(ls, "chair-2", PHASE_INTAKE, 0);
    lights_tick(ls, 30000);
    clear_rec();
    lights_phase(ls, "chair-2", PHASE_INFUSION, 30000);  /* 40 s: two 20 s steps */
    CHECK_STR_EQ(rec.payload[0], "40");
    CHECK_INT_EQ(lights_next_due(ls), 50000);
    lights_tick(ls, 50000);
    CHECK_STR_EQ(last_cmd("cmnd/dimmer-2/Dimmer"), "12");
    CHECK_INT_EQ(count_cmd("cmnd/dimmer-2/Speed"), 2);
    teardown();
}

/* Home Assistant: brightness on its brightness_scale; off is state OFF. */
static void test_homeassistant_payloads(void)
{
    struct msg_lights_set off = { .has_brightness = true, .brightness = 0 };
    const char *why = NULL;

    REQUIRE(setup());
    lights_phase(ls, "chair-3", PHASE_DISCHARGE, 0);
    CHECK_STR_EQ(last_cmd("ha/light/c3/set"),
                 "{\"state\":\"ON\",\"brightness\":65,\"color_temp\":333,\"transition\":5}");
    lights_override(ls, "chair-3", &off, 100000, &why);
    lights_tick(ls, 200000);
    CHECK_STR_EQ(last_cmd("ha/light/c3/set"), "{\"state\":\"OFF\",\"transition\":3}");
    teardown();
}

/* Urgent: care within the call fade; clear: back to the phase scene over return_fade. */
static void test_urgent_call_care_and_back(void)
{
    struct contract_call call = { .id = "c-1", .room = "chair-1", .priority = PRIO_URGENT };
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    call_shown("chair-1", &call, now);
    int i = find_cmd("z2m/lamp-1/set", 0);
    REQUIRE(i >= 0);
    CHECK_STR_EQ(rec.payload[i], "{\"state\":\"ON\",\"brightness\":254,\"color_temp\":250,\"transition\":1}");
    CHECK_STR_EQ(rec.state_scene[rec.nstates - 1], "care");
    /* Acknowledged: still care (the nurse is on the way). */
    call.state = CALL_ACKNOWLEDGED;
    clear_rec();
    call_shown("chair-1", &call, now += 5000);
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 0);
    /* Cleared: 6 s back, in two points, ending at the infusion scene. */
    call_shown("chair-1", NULL, now += 5000);
    CHECK_STR_EQ(rec.state_scene[rec.nstates - 1], "infusion");
    lights_tick(ls, now + 2 + 3000);
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 2);
    CHECK_STR_EQ(last_cmd("z2m/lamp-1/set"),
                 "{\"state\":\"ON\",\"brightness\":30,\"color_temp\":455,\"transition\":3}");
    teardown();
}

/* An assist call (calls { assist = ""; }) leaves the lamp alone; its dome shows amber. */
static void test_assist_call_leaves_lamp(void)
{
    struct contract_call call = { .id = "c-2", .room = "chair-1", .priority = PRIO_ASSIST };
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    call_shown("chair-1", &call, now);
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 0);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"),
                 "{\"state\":\"ON\",\"brightness\":254,\"color\":{\"r\":255,\"g\":160,\"b\":0},\"transition\":0}");
    CHECK(lights_next_due(ls) == INT64_MAX);  /* steady: nothing to flash */
    call_shown("chair-1", NULL, now + 1000);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), "{\"state\":\"OFF\",\"transition\":0}");
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 0);
    teardown();
}

/* An urgent call flashes the dome (on, off, on: flash/2 each) until acknowledged. */
static void test_dome_flashes_urgent_until_acknowledged(void)
{
    struct contract_call call = { .id = "c-3", .room = "chair-1", .priority = PRIO_URGENT };
    const char *on = "{\"state\":\"ON\",\"brightness\":254,\"color\":{\"r\":255,\"g\":32,\"b\":0},\"transition\":0}";
    const char *off = "{\"state\":\"OFF\",\"transition\":0}";

    REQUIRE(setup());
    call_shown("chair-1", &call, 0);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), on);
    CHECK_INT_EQ(lights_next_due(ls), 2 + 1000);
    lights_tick(ls, 1002);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), off);
    lights_tick(ls, 2002);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), on);
    CHECK_INT_EQ(count_cmd("z2m/dome-1/set"), 3);
    call.state = CALL_ACKNOWLEDGED;
    call_shown("chair-1", &call, 2500);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), on);
    int n = count_cmd("z2m/dome-1/set");
    lights_tick(ls, 10000);
    CHECK_INT_EQ(count_cmd("z2m/dome-1/set"), n);  /* steady now */
    call_shown("chair-1", NULL, 11000);
    CHECK_STR_EQ(last_cmd("z2m/dome-1/set"), off);
    teardown();
}

/* Staff override: a scene; brightness only (kelvin kept); unknown scene refused. */
static void test_override(void)
{
    struct msg_lights_set bright = { .scene = "bright" };
    struct msg_lights_set dimmer = { .has_brightness = true, .brightness = 5,
                                     .has_transition = true, .transition_ms = 2000 };
    struct msg_lights_set nosuch = { .scene = "disco" };
    const char *why = NULL;
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    CHECK_INT_EQ(lights_override(ls, "chair-1", &bright, now, &why), 0);
    CHECK_STR_EQ(last_cmd("z2m/lamp-1/set"),
                 "{\"state\":\"ON\",\"brightness\":254,\"color_temp\":222,\"transition\":3}");
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "bright");
    lights_tick(ls, now += 4000);
    CHECK_INT_EQ(lights_override(ls, "chair-1", &dimmer, now, &why), 0);
    /* 5 % of 254 = 13; kelvin stays bright's 4500 (222 mireds). */
    CHECK_STR_EQ(last_cmd("z2m/lamp-1/set"),
                 "{\"state\":\"ON\",\"brightness\":13,\"color_temp\":222,\"transition\":2}");
    CHECK_STR_EQ(rec.state_scene[rec.nstates - 1], "override");
    clear_rec();
    CHECK(lights_override(ls, "chair-1", &nosuch, now, &why) != 0);
    CHECK(why != NULL);
    CHECK_INT_EQ(rec.n, 0);
    teardown();
}

/* An override ends at the next phase change, at its hold time, or when released. */
static void test_override_ends(void)
{
    struct msg_lights_set bright = { .scene = "bright" }, release = { .release = true };
    const char *why;
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    lights_override(ls, "chair-1", &bright, now, &why);
    lights_phase(ls, "chair-1", PHASE_RECOVERY, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "recovery");

    lights_override(ls, "chair-1", &bright, now += 1000, &why);
    CHECK(lights_next_due(ls) <= now + 600000);  /* the hold's end is a deadline */
    for (int i = 0; i < 700; i++)
        lights_tick(ls, now += 1000);  /* past override_hold = 600 s */
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "recovery");

    lights_override(ls, "chair-1", &bright, now, &why);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "bright");
    lights_override(ls, "chair-1", &release, now += 1000, &why);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "recovery");
    teardown();
}

/* A call's scene beats an override; when the call clears, the override is back. */
static void test_call_over_override(void)
{
    struct msg_lights_set bright = { .scene = "bright" };
    struct contract_call call = { .id = "c-4", .room = "chair-1", .priority = PRIO_URGENT };
    const char *why;
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    lights_override(ls, "chair-1", &bright, now, &why);
    call_shown("chair-1", &call, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "care");
    call_shown("chair-1", NULL, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "bright");
    teardown();
}

/* The patient's theme holds only in the phase it was chosen in. */
static void test_theme(void)
{
    struct msg_kiosk_theme rain = { .theme = "rain", .scene = "dusk", .phase = PHASE_INFUSION };
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    lights_theme(ls, "chair-1", &rain, now);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "dusk");
    CHECK(strstr(last_cmd("z2m/lamp-1/set"), "\"color\":{\"r\":90,\"g\":110,\"b\":160}") != NULL);
    lights_phase(ls, "chair-1", PHASE_RECOVERY, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "recovery");
    rain.phase = PHASE_RECOVERY;
    lights_theme(ls, "chair-1", &rain, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "dusk");
    lights_theme(ls, "chair-1", NULL, now += 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "recovery");
    teardown();
}

/* A room whose kiosk never reported a phase: after an urgent call, the idle scene. */
static void test_no_phase_returns_to_idle(void)
{
    struct contract_call call = { .id = "c-7", .room = "chair-1", .priority = PRIO_URGENT };

    REQUIRE(setup());
    call_shown("chair-1", NULL, 0);
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 0);  /* nothing asks for light yet */
    call_shown("chair-1", &call, 1000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "care");
    call_shown("chair-1", NULL, 5000);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "idle");
    teardown();
}

/* A room without lights, and rooms outside the config, send nothing and do not crash. */
static void test_rooms_without_lights(void)
{
    struct contract_call call = { .id = "c-5", .room = "chair-4", .priority = PRIO_URGENT };
    struct msg_lights_set bright = { .scene = "bright" };
    const char *why;

    REQUIRE(setup());
    lights_phase(ls, "chair-4", PHASE_INFUSION, 0);
    call_shown("chair-4", &call, 0);
    lights_phase(ls, "chair-9", PHASE_INFUSION, 0);
    CHECK(lights_override(ls, "chair-9", &bright, 0, &why) != 0);
    CHECK_INT_EQ(rec.n, 0);
    CHECK_INT_EQ(rec.nstates, 0);
    CHECK(lights_next_due(ls) == INT64_MAX);
    teardown();
}

/* After a reconnect: set-up again, each room's target and dome, the state re-announced. */
static void test_reconnect_resends(void)
{
    struct contract_call call = { .id = "c-6", .room = "chair-1", .priority = PRIO_ASSIST };
    int64_t now = 0;

    REQUIRE(setup());
    settle_in_infusion(&now);
    call_shown("chair-1", &call, now);
    clear_rec();
    lights_connected(ls, now += 1000);
    CHECK_STR_EQ(last_cmd("z2m/lamp-1/set"),
                 "{\"state\":\"ON\",\"brightness\":30,\"color_temp\":455,\"transition\":6}");
    CHECK(strstr(last_cmd("z2m/dome-1/set"), "\"g\":160") != NULL);
    CHECK_INT_EQ(rec.nstates, 1);
    CHECK_STR_EQ(rec.state_scene[0], "infusion");
    /* Mid-fade: the point being glided to, and the rest of the fade as planned. */
    lights_phase(ls, "chair-1", PHASE_RECOVERY, now += 1000);  /* 8 s: two points */
    clear_rec();
    lights_connected(ls, now + 1000);
    CHECK_INT_EQ(count_cmd("z2m/lamp-1/set"), 1);
    CHECK(strstr(last_cmd("z2m/lamp-1/set"), "\"transition\":3") != NULL);
    CHECK_INT_EQ(lights_next_due(ls), now + 4000);
    teardown();
}

/* A reload keeps each room where it is; a changed scene applies at the next change. */
static void test_reload_applies_at_next_change(void)
{
    struct room_config next;
    struct cfg_error err;
    int64_t now = 0;
    char *text = strdup(config_text);
    char *p = strstr(text, "recovery = { brightness = 30;");

    REQUIRE(setup() && text && p);
    memcpy(p, "recovery = { brightness = 45;", 29);
    settle_in_infusion(&now);
    REQUIRE(roomcfg_load(unit_file("next.cfg", text), &next, &err) == 0);
    free(text);
    roomcfg_free(&cfg);
    cfg = next;
    CHECK_INT_EQ(lights_set_config(ls, &cfg), 0);
    CHECK_INT_EQ(rec.n, 0);
    CHECK_STR_EQ(lights_scene(ls, "chair-1"), "infusion");
    lights_phase(ls, "chair-1", PHASE_RECOVERY, now += 1000);
    CHECK_DBL_NEAR(rec.state_brightness[rec.nstates - 1], 45, 1e-9);
    teardown();
}

int main(void)
{
    RUN(test_first_phase_one_command);
    RUN(test_infusion_fade_follows_the_curve);
    RUN(test_late_tick_catches_up);
    RUN(test_tasmota_payloads);
    RUN(test_tasmota_long_step_is_capped);
    RUN(test_homeassistant_payloads);
    RUN(test_urgent_call_care_and_back);
    RUN(test_assist_call_leaves_lamp);
    RUN(test_dome_flashes_urgent_until_acknowledged);
    RUN(test_override);
    RUN(test_override_ends);
    RUN(test_call_over_override);
    RUN(test_theme);
    RUN(test_no_phase_returns_to_idle);
    RUN(test_rooms_without_lights);
    RUN(test_reconnect_resends);
    RUN(test_reload_applies_at_next_change);
    unit_cleanup();
    return CHECK_SUMMARY();
}
