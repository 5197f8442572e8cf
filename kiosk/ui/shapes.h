/*
 * shapes.h - the drawing primitives the screens add to ui.h (shapes.c):
 * discs and round-ended strokes as SDL geometry, the tick box and the check
 * row (a wide button with a tick box), and the check-in's faces.
 */
#ifndef HAVEN_KIOSK_SHAPES_H
#define HAVEN_KIOSK_SHAPES_H

#include "ui.h"

#include <stdbool.h>

/* A filled disc of radius r about (cx, cy). */
void disc(SDL_Renderer *ren, float cx, float cy, float r, SDL_Color c);
/* A thick line with round ends through the n points p. */
void polyline(SDL_Renderer *ren, const SDL_FPoint *p, int n, float th, SDL_Color c);

/* The largest font from f down in which label fits the check row r. */
enum ui_font check_font(const struct ui *ui, SDL_Rect r, enum ui_font f, const char *label);
/* A wide button with a tick box at the left (ticked when on) and its label (in font) beside it. */
void check_row(struct ui *ui, SDL_Rect r, bool on, const char *label, enum ui_font font);

/*
 * A face for feeling 1 (very good) .. 5 (very bad): a ring, two eyes and a
 * mouth that curves from a smile to a frown, in fg on bg.
 */
void face(struct ui *ui, float cx, float cy, float r, int feeling, SDL_Color fg, SDL_Color bg);

#endif
