/*
 * test_kiosk_screens.c - every screen of the real kiosk, at 1280x800 (96 dpi)
 * and at 800x480 (160 dpi, the smallest screen with the largest text), driven
 * as the nurse station and the staff would: kiosk/cmd for the phases, the
 * test control for the check-in prompt, a long press on the hidden corner
 * and the PIN from the config for the staff overlays.
 *
 * Each screen is photographed ("screens-<W>x<H>-<screen>.png", kept in
 * $HAVEN_SHOTS_DIR) and checked: the help button's region is mostly the
 * colour it should have in the screen's theme (night during the infusion),
 * its text is there, and every touch target the screen lists (the kiosk's
 * "targets" control, from the layout the screen draws and taps with) is
 * drawn, at least 16 mm each way at the kiosk's DPI, on the screen, and
 * clear of the help button, the staff corner and the other targets.  Last,
 * with the broker gone and a call waiting in the outbox, the intake (the
 * tallest screen under the tallest offline banner) must still fit.
 */
#include "check.h"
#include "json_util.h"
#include "kcfg.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "screen.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM "chair-1"
#define PIN "2468"
#define SOUND_TARGETS \
    "theme-1 theme-2 theme-3 sound-toggle sound-next sound-quieter sound-louder"

/* ---- the kiosk's touch targets, as it lists them ------------------------------------- */

struct listing {
    char screen[32];
    int n;
    struct {
        char name[32];
        SDL_Rect r;
    } t[SCREEN_TARGETS_MAX];
};

static size_t log_length(const struct kiosk_fixture *k)
{
    char *log = hv_read_file(k->log_path);
    size_t n = log ? strlen(log) : 0;

    free(log);
    return n;
}

/* Reads the kiosk's "target NAME X Y W H" log lines between from and end into l. */
static void parse_targets(const char *from, const char *end, struct listing *l)
{
    for (const char *p = from; p && p < end && l->n < SCREEN_TARGETS_MAX; p = strchr(p, '\n')) {
        const char *at = strstr(p, " target ");
        SDL_Rect *r = &l->t[l->n].r;
        if (!at || at > end)
            break;
        if (sscanf(at + 8, "%31s %d %d %d %d", l->t[l->n].name, &r->x, &r->y, &r->w, &r->h) == 5)
            l->n++;
        p = at + 8;
    }
}

/* Asks the kiosk for its current screen and targets ("targets" control). */
static bool list_targets(struct kiosk_fixture *k, struct listing *l)
{
    size_t from = log_length(k);
    int n = -1;

    memset(l, 0, sizeof *l);
    if (kf_send(k, "targets") != 0)
        return false;
    for (int i = 0; i < 100; i++) {
        char *log = hv_read_file(k->log_path);
        const char *end = log && strlen(log) > from ? strstr(log + from, " targets on ") : NULL;
        if (end) {
            parse_targets(log + from, end, l);
            sscanf(end + 12, "%31[^:]: %d", l->screen, &n);
        }
        free(log);
        if (end)
            return n == l->n;
        hv_sleep_ms(50);
    }
    return false;
}

/* Waits until the kiosk shows screen (phase changes arrive over MQTT). */
static bool wait_screen(struct kiosk_fixture *k, const char *screen, struct listing *l)
{
    for (int i = 0; i < 50; i++) {
        if (list_targets(k, l) && strcmp(l->screen, screen) == 0)
            return true;
        hv_sleep_ms(100);
    }
    fprintf(stderr, "the kiosk never showed the %s screen (it shows %s)\n", screen, l->screen);
    return false;
}

/* The names in l, space-separated. */
static const char *names(const struct listing *l)
{
    static char out[SCREEN_TARGETS_MAX * 32];
    size_t o = 0;

    out[0] = '\0';
    for (int i = 0; i < l->n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "", l->t[i].name);
    return out;
}

/* ---- checking a screenshot -------------------------------------------------------------- */

/* What the help button should look like: its colour and its text's. */
struct look {
    SDL_Color bg, fg;
};

static struct ui ui_of(const struct kiosk_fixture *k)
{
    struct ui ui;

    memset(&ui, 0, sizeof ui);
    ui.w = k->w;
    ui.h = k->h;
    ui.dpi = k->dpi;
    return ui;
}

static double share(SDL_Surface *s, SDL_Rect r, SDL_Color c)
{
    return (double)kf_count_colour(s, r, c, 6) / ((double)r.w * r.h);
}

static bool overlap(SDL_Rect a, SDL_Rect b)
{
    return SDL_HasIntersection(&a, &b) == SDL_TRUE;
}

/* The help button: mostly its colour, with its text (pixels of the text colour) in it. */
static void check_help(const struct kiosk_fixture *k, SDL_Surface *s, const char *shot,
                       struct look help)
{
    SDL_Rect r = kf_help_rect(k);
    double bg = share(s, r, help.bg);
    int text = kf_count_colour(s, r, help.fg, 6);

    if (bg <= 0.5 || text < r.w * r.h / 100)
        fprintf(stderr, "%s: help button %.0f %% its colour, %d text pixels\n", shot, bg * 100,
                text);
    CHECK(bg > 0.5);
    CHECK(text >= r.w * r.h / 100);
}

/*
 * One touch target: 16 mm each way at least, on the screen, clear of the help
 * button and the staff corner, and drawn (less than half of it the background).
 */
static void check_target(const struct kiosk_fixture *k, SDL_Surface *s, const char *shot,
                         const char *name, SDL_Rect r, SDL_Color bg)
{
    struct ui ui = ui_of(k);
    double w_mm = r.w * 25.4 / k->dpi, h_mm = r.h * 25.4 / k->dpi, empty = share(s, r, bg);
    bool on_screen = r.x >= 0 && r.y >= 0 && r.x + r.w <= k->w && r.y + r.h <= k->h;
    bool clear = !overlap(r, ui_help_rect(&ui)) && !overlap(r, ui_staff_corner(&ui));

    if (w_mm < 16 || h_mm < 16 || !on_screen || !clear || empty >= 0.5)
        fprintf(stderr, "%s: target %s at %d,%d %dx%d (%.1f x %.1f mm, %.0f %% background)%s%s\n",
                shot, name, r.x, r.y, r.w, r.h, w_mm, h_mm, empty * 100,
                on_screen ? "" : ", off the screen", clear ? "" : ", on the help or staff corner");
    CHECK(w_mm >= 16 && h_mm >= 16);
    CHECK(on_screen);
    CHECK(clear);
    CHECK(empty < 0.5);
}

/*
 * Waits for screen, checks it lists the targets expected (space-separated
 * names), photographs it as screens-<W>x<H>-<shot> and checks the help
 * button and every target in the theme t.
 */
static void check_screen(struct kiosk_fixture *k, const char *screen, const char *shot_name,
                         const char *expected, const struct theme *t, struct look help)
{
    struct listing l;
    char shot[96];
    SDL_Surface *s;

    snprintf(shot, sizeof shot, "screens-%dx%d-%s", k->w, k->h, shot_name);
    REQUIRE(wait_screen(k, screen, &l));
    CHECK_STR_EQ(names(&l), expected);
    s = kf_shot(k, shot);
    REQUIRE(s != NULL);
    check_help(k, s, shot, help);
    for (int i = 0; i < l.n; i++) {
        check_target(k, s, shot, l.t[i].name, l.t[i].r, t->bg);
        for (int j = 0; j < i; j++)
            CHECK(!overlap(l.t[i].r, l.t[j].r));
    }
    SDL_FreeSurface(s);
}

/* ---- driving the kiosk ------------------------------------------------------------------ */

/* The default test clinic with a kiosk section: this DPI and the staff PIN's hash. */
static char *config(int dpi)
{
    char extra[1400];
    const char *hash = kf_pin_file(PIN, NULL);

    if (!hash)
        return NULL;
    /* the demo's sound (our own tracks): the infusion and recovery show their controls */
    snprintf(extra, sizeof extra, "kiosk = { dpi = %d; pin_file = \"%s\";\n"
             "  sound = { assets = \"" HAVEN_SOURCE_DIR "/assets/audio\";\n"
             "    playlists = { calm = { files = [ \"drone-low.ogg\" ]; }; };\n"
             "    phases = { infusion = \"calm\"; recovery = \"calm\"; };\n"
             "    themes = ( { name = \"ambient\"; playlist = \"calm\"; },\n"
             "               { name = \"nature\"; playlist = \"calm\"; },\n"
             "               { name = \"silence\"; } ); };\n"
             "};\n", dpi, hash);
    return rf_default_config("%PREFIX%", extra);
}

/* The nurse station's command on the room's kiosk/cmd. */
static void station_cmd(hv_client *station, const struct room_fixture *f, const char *json)
{
    CHECK(hv_client_pub(station, rf_topic(f, "room/" ROOM "/kiosk/cmd"), json, 1, false) == 0);
}

/* Stops the kiosk: a clean exit, and nothing from the sanitizers in its log (ASan builds). */
static void stop_kiosk(struct kiosk_fixture *k)
{
    CHECK_INT_EQ(kf_stop(k), 0);
    char *log = hv_read_file(k->log_path);
    CHECK(log && !strstr(log, "runtime error") && !strstr(log, "Sanitizer"));
    free(log);
    kf_finish(k);
}

static void send_line(struct kiosk_fixture *k, const char *line)
{
    CHECK(kf_send(k, line) == 0);
}

/* A long press on the hidden staff corner: the PIN pad. */
static void hold_corner(struct kiosk_fixture *k)
{
    struct ui ui = ui_of(k);
    SDL_Rect c = ui_staff_corner(&ui);
    char line[64];

    snprintf(line, sizeof line, "hold %d %d 2500", c.x + c.w / 2, c.y + c.h / 2);
    send_line(k, line);
}

static void type_pin(struct kiosk_fixture *k)
{
    char line[64];

    for (const char *d = PIN; *d; d++) {
        snprintf(line, sizeof line, "tapname pin-%c", *d);
        send_line(k, line);
    }
    send_line(k, "tapname pin-ok");
}

/* The phase set from the staff menu (the broker may be gone), which is closed again. */
static void staff_phase(struct kiosk_fixture *k, const char *button)
{
    struct listing l;
    char line[64];

    hold_corner(k);
    REQUIRE(wait_screen(k, "pin", &l));
    type_pin(k);
    REQUIRE(wait_screen(k, "staff", &l));
    snprintf(line, sizeof line, "tapname %s", button);
    send_line(k, line);
    send_line(k, "tapname close");
}

/*
 * Every screen at w x h and dpi, in the order of a visit; then the intake
 * again with the broker gone and a call waiting.
 */
static void every_screen(int w, int h, int dpi)
{
    const struct look help = { ui_theme_day.help, ui_theme_day.help_text };
    const struct look night = { ui_theme_night.help, ui_theme_night.help_text };
    const struct look called = { ui_theme_day.called, ui_theme_day.called_text };
    const struct look night_called = { ui_theme_night.called, ui_theme_night.called_text };
    struct room_fixture f;
    struct kiosk_fixture k;
    char *cfg = config(dpi);

    REQUIRE(cfg != NULL);
    REQUIRE(rf_start(&f, cfg, true) == 0);  /* a private broker: it is killed at the end */
    free(cfg);
    REQUIRE(kf_start(&k, &f, ROOM, w, h) == 0);
    k.dpi = dpi;
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station != NULL);

    check_screen(&k, "idle", "idle", "lang-en lang-es", &ui_theme_day, help);
    station_cmd(station, &f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-SCREENS\",\"lang\":\"en\"}");
    check_screen(&k, "intake", "intake", "check-1 check-2 check-3", &ui_theme_day, help);
    station_cmd(station, &f, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}");
    check_screen(&k, "infusion", "infusion", SOUND_TARGETS, &ui_theme_night, night);
    send_line(&k, "checkin");
    check_screen(&k, "checkin", "checkin",
                 "feeling-1 feeling-2 feeling-3 feeling-4 feeling-5 someone", &ui_theme_night,
                 night);
    station_cmd(station, &f, "{\"cmd\":\"phase\",\"phase\":\"recovery\"}");
    check_screen(&k, "recovery", "recovery", SOUND_TARGETS, &ui_theme_day, help);
    send_line(&k, "tapname theme-3");  /* silence: the themes stay, the rest goes */
    check_screen(&k, "recovery", "recovery-silence", "theme-1 theme-2 theme-3", &ui_theme_day,
                 help);
    station_cmd(station, &f, "{\"cmd\":\"phase\",\"phase\":\"discharge\"}");
    check_screen(&k, "discharge", "discharge", "escort", &ui_theme_day, help);

    hold_corner(&k);
    check_screen(&k, "pin", "pin", "pin-1 pin-2 pin-3 pin-4 pin-5 pin-6 pin-7 pin-8 pin-9 "
                 "pin-cancel pin-0 pin-ok", &ui_theme_day, help);
    type_pin(&k);
    check_screen(&k, "staff", "staff", "end-visit close phase-intake phase-infusion "
                 "phase-recovery phase-discharge", &ui_theme_day, help);
    send_line(&k, "tapname phase-intake");
    send_line(&k, "tapname close");
    check_screen(&k, "intake", "intake-again", "check-1 check-2 check-3", &ui_theme_day, help);

    /*
     * The broker gone, a call pressed: the banner says so and the screens with
     * targets still fit below it (the intake's three checks went off the
     * bottom at 800x480 and 160 dpi).
     */
    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(kf_wait_log(&k, "cannot reach the broker", 5000));
    CHECK(kf_tap_help(&k) == 0);
    CHECK(kf_wait_log(&k, "call call-", 5000));
    check_screen(&k, "intake", "intake-offline", "check-1 check-2 check-3", &ui_theme_day,
                 called);
    staff_phase(&k, "phase-discharge");
    check_screen(&k, "discharge", "discharge-offline", "escort", &ui_theme_day, called);
    staff_phase(&k, "phase-infusion");
    send_line(&k, "checkin");
    check_screen(&k, "checkin", "checkin-offline",
                 "feeling-1 feeling-2 feeling-3 feeling-4 feeling-5 someone", &ui_theme_night,
                 night_called);

    hv_client_free(station);
    stop_kiosk(&k);
    rf_finish(&f);
}

static void test_screens_1280x800_96dpi(void)
{
    every_screen(1280, 800, 96);
}

static void test_screens_800x480_160dpi(void)
{
    every_screen(800, 480, 160);
}

int main(void)
{
    RUN(test_screens_1280x800_96dpi);
    RUN(test_screens_800x480_160dpi);
    return CHECK_SUMMARY();
}
