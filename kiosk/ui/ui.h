/*
 * ui.h - drawing for the kiosk (ui.c): the theme, text, big buttons, the look
 * of the help button and of the offline banner.  It knows nothing of the app:
 * what those two say comes from chrome.h; shapes.h and layout.h build on this.
 *
 * Everything is sized for an anxious or drowsy patient at arm's length:
 * touch targets of at least 16 mm at the configured DPI, body text large,
 * text/background contrast of at least 4.5:1 (WCAG AA, checked by a unit
 * test over the theme), calm colours, and a dim night theme for the infusion.
 */
#ifndef HAVEN_KIOSK_UI_H
#define HAVEN_KIOSK_UI_H

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>
#include <stdbool.h>

/* The colours of one theme.  Every (text, background) pair drawn together is listed in ui_theme_pairs. */
struct theme {
    SDL_Color bg;            /* screen background */
    SDL_Color text;          /* body text on bg */
    SDL_Color text_soft;     /* secondary text on bg (still >= 4.5:1) */
    SDL_Color button;        /* ordinary button */
    SDL_Color button_text;
    SDL_Color help;          /* help button, no call */
    SDL_Color help_text;
    SDL_Color called;        /* help button, call sent / nurse called */
    SDL_Color called_text;
    SDL_Color coming;        /* help button, nurse on the way */
    SDL_Color coming_text;
    SDL_Color banner;        /* "cannot reach the nurses" banner */
    SDL_Color banner_text;
};

extern const struct theme ui_theme_day;    /* idle, intake, recovery, discharge */
extern const struct theme ui_theme_night;  /* infusion: dim and quiet */

/* WCAG 2 contrast ratio of two colours (1..21). */
double ui_contrast(SDL_Color a, SDL_Color b);

enum ui_font { FONT_SMALL, FONT_BODY, FONT_BUTTON, FONT_TITLE, FONT_HUGE, FONT_COUNT };
enum ui_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT };

/*
 * What the text functions drew, for the kiosk's test report ("texts"): each
 * text with the box it was given and where its ink went, recorded while
 * ui->texts is set (by the one drawing that makes the report, so it shows
 * exactly what was drawn).
 */
#define UI_TEXTS_MAX 48
#define UI_TEXT_BYTES 640

struct ui_text_rec {
    enum ui_font font;
    int px;                   /* the font's size in pixels per em */
    SDL_Rect box;             /* the box it was given: a button's rect, or [x, x + maxw] from y */
    bool in_button;           /* box is a button (the label must stay inside it) */
    SDL_Rect ink;             /* the lines' extent */
    int lines;
    bool over;                /* a line wider than the box (a word too long to wrap) */
    char text[UI_TEXT_BYTES]; /* as given (cut at UI_TEXT_BYTES - 1 bytes) */
};

struct ui_texts {
    int n;
    struct ui_text_rec r[UI_TEXTS_MAX];
};

struct ui {
    SDL_Window *win;
    SDL_Renderer *ren;
    int w, h;                 /* output size in pixels */
    int dpi;
    TTF_Font *font[FONT_COUNT];
    int px[FONT_COUNT];       /* each font's size in pixels per em */
    const struct theme *theme;
    struct ui_texts *texts;   /* NULL, or where the text functions record what they draw */
    const SDL_Rect *button;   /* the button whose label is being drawn (for texts) */
};

/*
 * Opens the window (fullscreen desktop unless w,h > 0) with a renderer and
 * the fonts.  Returns 0, or HV_EIO with the SDL error logged.
 */
int ui_open(struct ui *ui, const char *font_path, int dpi, int w, int h);
void ui_close(struct ui *ui);

/* Pixels for mm millimetres at the configured DPI. */
int ui_mm(const struct ui *ui, double mm);

/* The help button: lower-right corner, at least 15 % of the height and 16 mm tall. */
SDL_Rect ui_help_rect(const struct ui *ui);
/* The hidden staff corner (upper-left, 16 mm square): a long press opens the PIN pad. */
SDL_Rect ui_staff_corner(const struct ui *ui);

bool ui_hit(SDL_Rect r, int x, int y);

void ui_clear(struct ui *ui);
/* Draws UTF-8 text; wraps at maxw pixels when maxw > 0. Returns the height drawn. */
int ui_text(struct ui *ui, enum ui_font f, int x, int y, int maxw, enum ui_align align,
            SDL_Color color, const char *utf8);
/* A rounded-looking filled button with a centred label. */
void ui_button(struct ui *ui, SDL_Rect r, SDL_Color bg, SDL_Color fg, enum ui_font f,
               const char *label);
void ui_fill(struct ui *ui, SDL_Rect r, SDL_Color c);
/* The font ui_button sets label in: f, or the largest smaller one in which it fits r. */
enum ui_font ui_button_font(const struct ui *ui, SDL_Rect r, enum ui_font f, const char *label);
/*
 * The height a button w pixels wide needs for label set in f (its lines and
 * the padding above and below), or -1 when a word of it is wider than the
 * button holds: the label would be cut.
 */
int ui_button_need(const struct ui *ui, enum ui_font f, int w, const char *label);
/* The height ui_text would take for utf8 wrapped at maxw (no wrapping when maxw <= 0). */
int ui_text_height(const struct ui *ui, enum ui_font f, int maxw, const char *utf8);

/*
 * The help button (at ui_help_rect) in bg with its label in fg: in large type
 * with hint under it (the button at rest), or the label alone (hint NULL).
 */
void ui_help_button(struct ui *ui, SDL_Color bg, SDL_Color fg, const char *label,
                    const char *hint);
/* The offline banner across the top with text in it, and its height for that text. */
void ui_draw_banner(struct ui *ui, const char *text);
int ui_banner_height(const struct ui *ui, const char *text);

/* Saves what is on screen as PNG (after ui_present). Returns 0 or HV_EIO. */
int ui_screenshot(struct ui *ui, const char *path);
void ui_present(struct ui *ui);

#endif
