/*
 * screen.h - the kiosk's screens: one const vtable per visit phase, plus the
 * overlays (check-in prompt, staff PIN pad, staff menu), run by a tiny
 * screen manager in main.c (in the manner of taisei's menus).
 *
 * A screen draws from the app model and turns a touch into an intent
 * (app_*); it knows nothing of MQTT.  The help button is not a screen's: the
 * manager draws it last, in the same place on every screen, and takes every
 * touch on it before any screen or overlay sees it.
 *
 * Each screen also lists its touch targets by stable names ("check-1",
 * "pin-ok", "end-visit", ...), from the same layout function its draw and
 * tap use, so that tests (and the kiosk's test control, "tapname NAME") can
 * touch and measure exactly what is drawn.
 */
#ifndef HAVEN_KIOSK_SCREEN_H
#define HAVEN_KIOSK_SCREEN_H

#include "app.h"
#include "ui.h"

#include <stdbool.h>
#include <stdint.h>

/* A touch target of a screen as drawn now: a stable name and where it is. */
struct screen_target {
    const char *name;           /* static: "check-1", "feeling-5", "pin-ok", "close", ... */
    SDL_Rect rect;
};

/* No screen has more touch targets than this. */
#define SCREEN_TARGETS_MAX 16

struct screen {
    const char *name;
    /* Called when the screen becomes current. May be NULL. */
    void (*enter)(struct app *a, int64_t now_ms);
    /* A tap at (x, y), not on the help button. Sets a->dirty when something changed. */
    void (*tap)(struct app *a, struct ui *ui, int x, int y, int64_t now_ms);
    /* Draws the whole screen except the help button and the offline banner. */
    void (*draw)(const struct app *a, struct ui *ui, int64_t now_ms);
    /* Writes up to max of the touch targets shown now into out; returns how many.
     * May be NULL (no targets). */
    int (*targets)(const struct app *a, const struct ui *ui, struct screen_target *out, int max);
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
