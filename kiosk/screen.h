/*
 * screen.h - the kiosk's screens: one const vtable per visit phase, plus the
 * overlays (check-in prompt, staff PIN pad, staff menu), run by a tiny
 * screen manager in main.c (in the manner of taisei's menus).
 *
 * A screen draws from the app model and turns a touch into an intent
 * (app_*); it knows nothing of MQTT.  The help button is not a screen's: the
 * manager draws it last, in the same place on every screen, and takes every
 * touch on it before any screen or overlay sees it.
 */
#ifndef HAVEN_KIOSK_SCREEN_H
#define HAVEN_KIOSK_SCREEN_H

#include "app.h"
#include "ui.h"

#include <stdint.h>

struct screen {
    const char *name;
    /* Called when the screen becomes current. May be NULL. */
    void (*enter)(struct app *a, int64_t now_ms);
    /* A tap at (x, y), not on the help button. Sets a->dirty when something changed. */
    void (*tap)(struct app *a, struct ui *ui, int x, int y, int64_t now_ms);
    /* Draws the whole screen except the help button and the offline banner. */
    void (*draw)(const struct app *a, struct ui *ui, int64_t now_ms);
};

extern const struct screen screen_idle, screen_intake, screen_infusion, screen_recovery,
    screen_discharge, screen_checkin, screen_pin, screen_staff;

/* The screen for what the app shows now: an overlay if one is up, else the phase's. */
const struct screen *screen_current(const struct app *a);

#endif
