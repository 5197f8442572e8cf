/*
 * layout.h - the layout kit of the screens (layout.c): where things may go on
 * a screen now (its frame), rows and cells of touch targets that keep clear
 * of the help button and the staff corner, fonts that fit, and blocks of
 * text that shrink to fit a small screen under the offline banner.
 *
 * Everything here computes rectangles and fonts from the window, the DPI and
 * the banner; only lines_draw, block and heading_draw draw.  A screen's
 * layout (view.h) is made of these, once, and both its drawing and its touch
 * targets come from it.
 */
#ifndef HAVEN_KIOSK_LAYOUT_H
#define HAVEN_KIOSK_LAYOUT_H

#include "ui.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;

static inline int imax(int a, int b)
{
    return a > b ? a : b;
}

static inline int imin(int a, int b)
{
    return a < b ? a : b;
}

/* Where things may go on this screen now. */
struct frame {
    int w, h;
    int m, gap;              /* margin at the edges; space between things */
    int target;              /* the smallest touch target: 16 mm */
    int row_max;             /* the tallest a row of buttons needs to be */
    int top;                 /* first free y: below the offline banner */
    int text_x, text_w;      /* a centred text column clear of the staff corner */
    SDL_Rect help, corner;
};

/* The frame for a's screen now (the offline banner's height comes from a). */
struct frame frame_of(const struct app *a, const struct ui *ui);
/* The lowest y that full-width content may reach: above the help button. */
int free_bottom(const struct frame *f);
/* The strip left of the help button, level with it: for one wide bottom-left target. */
SDL_Rect bottom_left(const struct frame *f);
/* The left edge of a row starting at y: beside the staff corner when level with it. */
int row_left(const struct frame *f, int y);
/*
 * n rows of touch targets from y0 down, at most maxw wide: centred above the
 * help button when they fit there, else in the column left of it, down to
 * the bottom margin.  Rows are 16 mm at the least, and beside the staff
 * corner they keep clear of it.
 */
void stack(const struct frame *f, int y0, int n, int maxw, SDL_Rect *out);
/*
 * r moved down below the staff corner if it reaches into it and there is
 * room above bottom (shortened, to 16 mm at the least), else narrowed about
 * its centre to keep clear of it.
 */
SDL_Rect clear_of_corner(const struct frame *f, SDL_Rect r, int bottom);
/* Cell i of n equal cells across r, gap apart. */
SDL_Rect cell(SDL_Rect r, int n, int i, int gap);

/* The largest font from f down whose wrapped text is at most h tall in width w. */
enum ui_font font_for(const struct ui *ui, enum ui_font f, int w, int h, const char *text);
/* One font for a group of buttons of r's size: the largest in which every label fits. */
enum ui_font group_font(const struct ui *ui, SDL_Rect r, const char *const *labels, int n);

/* ---- text blocks ---- */

/* A line (or paragraph) of a block of text. */
struct line {
    enum ui_font font;
    bool soft;                  /* in text_soft rather than text */
    const char *text;
};

#define BLOCK_LINES 4

int lines_height(const struct ui *ui, const struct line *l, int n, int w, int gap);
/*
 * As lines_height and lines_draw from f's top, each line in the widest
 * column its first row may use: from beside the staff corner to the right
 * margin while level with it, between the margins below it (more words to a
 * row on a small, dense screen).
 */
int lines_height_wide(const struct ui *ui, const struct frame *f, const struct line *l, int n);
int lines_draw_wide(struct ui *ui, const struct frame *f, const struct line *l, int n);
/* Draws the lines centred in [x, x + w] from y down; returns the y under the last gap. */
int lines_draw(struct ui *ui, const struct line *l, int n, int x, int y, int w, int gap);
/* Sets the largest line one size smaller (HUGE to TITLE to BODY). False when all are BODY. */
bool shrink(struct line *l, int n);
/*
 * A screen of text alone: up to BLOCK_LINES lines centred in the free space
 * below the banner and above the help button.  On a small screen with the
 * banner up, the largest lines are set smaller until they fit; failing that
 * they use the column left of the help button down to the bottom margin,
 * unless the screen keeps that corner for something else (low_left false).
 */
void block(struct ui *ui, const struct frame *f, const struct line *lines, int n, bool low_left);
/*
 * Sets the lines' fonts so that they and need pixels fit from the top down
 * to bottom: the largest one size smaller at a time, down to body text, then
 * all in small text if even that is too tall.  Returns their height.
 */
int fit_lines(const struct ui *ui, const struct frame *f, struct line *l, int n, int need,
              int bottom);
/*
 * How many of the lines fit above f's bottom, the largest set smaller as
 * block() does: on a small screen the last lines go (the infusion's minutes)
 * rather than being hidden behind the controls.
 */
int lines_that_fit(const struct ui *ui, const struct frame *f, const struct line *l, int n);

/* A screen's title and the line under it, at the top, above its touch targets. */
struct heading {
    struct line l[2];
    int n;
    int h;                      /* 0 when left out */
};

/*
 * As much of the heading as leaves need pixels for the targets above bottom:
 * all of it, the title alone, or nothing (a small screen with the banner
 * up): the targets come first.  The title is set in the title font if it
 * takes one line, else in body text.
 */
void heading_fit(const struct ui *ui, const struct frame *f, const char *title, const char *sub,
                 int need, int bottom, struct heading *hd);
void heading_draw(struct ui *ui, const struct frame *f, const struct heading *hd);

/* ---- words made for a screen ---- */

/* "14:05" for wall-clock ms in local time ("--:--" if it cannot be had). */
void clock_text(int64_t ms, char *out, size_t outlen);
/* text cut to fit w pixels in font f on one line, with "…" where it was cut, into out. */
const char *one_line(const struct ui *ui, enum ui_font f, const char *text, int w, char *out,
                     size_t outlen);

#endif
