/*
 * screen.h - the kiosk's screens: one per visit phase, plus the overlays
 * (check-in prompt, staff PIN pad, staff menu), run by a tiny screen manager
 * (manager.c, in the manner of taisei's menus and lvgl's screens) that
 * main.c drives.
 *
 * A screen draws from the app model and turns a touch into an intent
 * (app_*); it knows nothing of MQTT.  The help button is not a screen's: main
 * draws it last (chrome.h), in the same place on every screen, and takes
 * every touch on it before any screen or overlay sees it.
 *
 * Each screen lists its touch targets by stable names ("check-1", "pin-ok",
 * "end-visit", ...), from the same layout its drawing uses and the manager
 * hit-tests (view.h), so that tests (and the kiosk's test control, "tapname
 * NAME") can touch and measure exactly what is drawn.
 */
#ifndef HAVEN_KIOSK_SCREEN_H
#define HAVEN_KIOSK_SCREEN_H

#include "app.h"
#include "chrome.h"
#include "ui.h"

#include <stdbool.h>
#include <stdint.h>

/* A touch target of a screen as drawn now: a stable name and where it is. */
struct screen_target {
    const char *name;           /* static: "check-1", "feeling-5", "pin-ok", "close", ... */
    SDL_Rect rect;
    int what, i;                /* what it is, and which of a row, in its screen's own terms */
};

/* No screen has more touch targets than this. */
#define SCREEN_TARGETS_MAX 16

struct screen_ops;

/* A screen as main.c sees it: the manager's entry points for the screen's ops (view.h). */
struct screen {
    const char *name;
    /* Called when the screen becomes current (the one shown before is left). */
    void (*enter)(struct app *a, int64_t now_ms);
    /* A tap at (x, y), not on the help button: the target under it, if any, is pressed. */
    void (*tap)(struct app *a, struct ui *ui, int x, int y, int64_t now_ms);
    /* Sets the phase's theme and draws the whole screen except the help button and the
     * offline banner. */
    void (*draw)(const struct app *a, struct ui *ui, int64_t now_ms);
    const struct screen_ops *ops;
};

extern const struct screen screen_idle, screen_intake, screen_infusion, screen_recovery,
    screen_discharge, screen_checkin, screen_pin, screen_staff, screen_form;

/* The screen for what the app shows now: an overlay if one is up, else the phase's. */
const struct screen *screen_current(const struct app *a);

/* s's touch targets shown now (0 for a screen without any), up to max. */
int screen_targets(const struct screen *s, const struct app *a, const struct ui *ui,
                   struct screen_target *out, int max);
/* The target of s called name, into *out. False if s shows none of that name now. */
bool screen_find_target(const struct screen *s, const struct app *a, const struct ui *ui,
                        const char *name, struct screen_target *out);

#endif
