/*
 * chrome.h - what the screen manager draws over every screen, from the app
 * (chrome.c): the help button for the call's state, the offline banner, and
 * the words in the visit's language.
 *
 * This is where the drawing kit (ui.h) and the words (str.h), which know
 * nothing of the app, meet the app's state.
 */
#ifndef HAVEN_KIOSK_CHROME_H
#define HAVEN_KIOSK_CHROME_H

#include "str.h"
#include "ui.h"

#include <stddef.h>

struct app;

/* The text of id in a's language (a may be NULL: English). Never NULL. */
const char *str(const struct app *a, enum str_id id);

/* The help button's words now (in a's language) into out; returns out. */
const char *ui_help_text(const struct app *a, char *out, size_t outlen);
/* The help button for the app's call state (lower right, on top of every screen). */
void ui_draw_help(struct ui *ui, const struct app *a);
/* The offline banner when the link is down (not under a staff overlay). */
void ui_draw_offline(struct ui *ui, const struct app *a);
/* The offline banner's height now (0 when connected or a staff overlay is up): screens start below it. */
int ui_offline_height(const struct ui *ui, const struct app *a);

#endif
