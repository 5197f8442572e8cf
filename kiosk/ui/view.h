/*
 * view.h - what a screen is made of, for the screens and their manager
 * (manager.c); the rest of the kiosk sees only screen.h.
 *
 * A screen is a const table of five functions (struct screen_ops).  Its
 * layout, computed once per draw or touch from the app and the window, fills
 * a struct view: the frame, the text it places, and its touch targets, each
 * with a name (for tests and "tapname") and what it is in the screen's own
 * terms.  The manager draws from that view and hit-tests the same targets,
 * so what is drawn is what is touched: a screen never tests a tap itself, it
 * is told which of its targets was pressed.
 */
#ifndef HAVEN_KIOSK_VIEW_H
#define HAVEN_KIOSK_VIEW_H

#include "chrome.h"
#include "layout.h"
#include "screen.h"

#include <stdint.h>

#define VIEW_TEXTS 4
#define VIEW_TEXT_MAX 256

/* A screen as laid out now. */
struct view {
    struct frame f;             /* set by the manager before the layout */
    struct heading hd;          /* a title and its line above the targets (hd.n 0: none) */
    struct line l[BLOCK_LINES]; /* a block of text, fonts already fitted where the screen does */
    int nl;
    bool wide;                  /* the lines drawn with lines_draw_wide (else in the text column) */
    char text[VIEW_TEXTS][VIEW_TEXT_MAX];  /* words made for this view ("Question 3 of 9") */
    int top;                    /* a screen's own edge: the sound controls' top */
    int n;                      /* touch targets, in the order they are listed and drawn */
    struct screen_target t[SCREEN_TARGETS_MAX];
};

struct screen_ops {
    /* The screen becomes current / stops being current. May be NULL. */
    void (*enter)(struct app *a, int64_t now_ms);
    void (*leave)(struct app *a, int64_t now_ms);
    /* Fills v (v->f is set, the rest zero) for a's screen now. */
    void (*layout)(const struct app *a, const struct ui *ui, struct view *v);
    /* Draws v: the whole screen except the help button and the offline banner (theme set, cleared). */
    void (*draw)(const struct app *a, struct ui *ui, const struct view *v, int64_t now_ms);
    /* The patient pressed target t of v. Sets a->dirty when something changed. */
    void (*press)(struct app *a, const struct view *v, const struct screen_target *t,
                  int64_t now_ms);
};

/* Adds a touch target (what and i: the screen's own) to v, if there is room. */
void view_add(struct view *v, const char *name, SDL_Rect r, int what, int i);

/* The screens (visit.c, rest.c, form.c, checkin.c, staff.c). */
extern const struct screen_ops idle_ops, intake_ops, discharge_ops, infusion_ops, recovery_ops,
    form_ops, checkin_ops, pin_ops, staff_ops;

/* ---- the language buttons: the welcome screen's and a form's intro (visit.c) ---- */

#define LANGS 2

/* The bottom-left strip split in two, added to v as "lang-en", "lang-es" (i: the language). */
void lang_add(struct view *v, int what);
/* The language targets of v (those with what) drawn: the one on screen inverted. */
void lang_draw(const struct app *a, struct ui *ui, const struct view *v, int what);
/* The language of target i chosen. */
void lang_press(struct app *a, int i);

#endif
