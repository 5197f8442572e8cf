/*
 * ui.c - drawing for the kiosk (ui.h): the day and night themes, fonts sized
 * for arm's length, word-wrapped text, big rounded buttons, the help button,
 * the look of the help button and of the offline banner, screenshots.
 * It knows nothing of the app: chrome.c says what the help button and the
 * banner say, from the app's state.
 *
 * Sizes come from the window's height with a floor in millimetres at the
 * configured DPI, so that text and targets stay large on a small, dense
 * screen.  Text is wrapped by hand at spaces (line by line with SDL2_ttf),
 * which also gives its height before drawing, for layout; a label that does
 * not fit its button is set in the next smaller font.  Nothing is cached:
 * the kiosk redraws only when something changes.
 */
#include "ui.h"
#include "err.h"
#include "log.h"

#include <SDL2/SDL_image.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- themes ------------------------------------------------------------------- */

#define RGB(hex) { (Uint8)((hex) >> 16), (Uint8)((hex) >> 8), (Uint8)(hex), 0xFF }

/* Warm dark blue-grey and soft cream: calm, not clinical white. */
const struct theme ui_theme_day = {
    .bg = RGB(0x2B3340),          .text = RGB(0xF4EBDA),      .text_soft = RGB(0xCFC6B4),
    .button = RGB(0x445064),      .button_text = RGB(0xF4EBDA),
    .help = RGB(0x5FC4B4),        .help_text = RGB(0x0F2A27),     /* calm teal */
    .called = RGB(0xF2B457),      .called_text = RGB(0x2E1F06),   /* warm amber */
    .coming = RGB(0x93D3A2),      .coming_text = RGB(0x12321C),   /* soft green */
    .banner = RGB(0xF3DFAE),      .banner_text = RGB(0x3A2A10),
};

/* The infusion: very dark and dim, every pair still >= 4.5:1. */
const struct theme ui_theme_night = {
    .bg = RGB(0x111419),          .text = RGB(0xB9B0A0),      .text_soft = RGB(0x8F887C),
    .button = RGB(0x252A33),      .button_text = RGB(0xB9B0A0),
    .help = RGB(0x2F6F66),        .help_text = RGB(0xE6F2EF),
    .called = RGB(0x7A5422),      .called_text = RGB(0xF8E6C4),
    .coming = RGB(0x2F5C3B),      .coming_text = RGB(0xDDF0E0),
    .banner = RGB(0x5A4622),      .banner_text = RGB(0xF3E3C0),
};

/* sRGB channel (0..255) to linear light, as WCAG 2 defines it. */
static double linear(Uint8 c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double luminance(SDL_Color c)
{
    return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

double ui_contrast(SDL_Color a, SDL_Color b)
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

/* ---- geometry ----------------------------------------------------------------- */

/* Rounded up, so that a target of 16 mm is never a fraction short of it. */
int ui_mm(const struct ui *ui, double mm)
{
    return (int)ceil(mm * ui->dpi / 25.4 - 1e-9);
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* The gap kept between the help button and the screen's edges. */
static int edge_margin(const struct ui *ui)
{
    return max_int(ui_mm(ui, 3), ui->h / 50);
}

SDL_Rect ui_help_rect(const struct ui *ui)
{
    int m = edge_margin(ui);
    int w = ui->w * 30 / 100;
    int h = max_int((ui->h * 15 + 99) / 100, ui_mm(ui, 16));
    SDL_Rect r = { ui->w - m - w, ui->h - m - h, w, h };
    return r;
}

SDL_Rect ui_staff_corner(const struct ui *ui)
{
    int s = ui_mm(ui, 16);
    SDL_Rect r = { 0, 0, s, s };
    return r;
}

bool ui_hit(SDL_Rect r, int x, int y)
{
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

/* ---- opening and closing ------------------------------------------------------ */

/* Font sizes (pixels per em): a share of the height, at least so many mm. */
static const struct {
    double height_share;
    double min_mm;
    int style;
} font_sizes[FONT_COUNT] = {
    [FONT_SMALL] = { 0.032, 4.5, TTF_STYLE_NORMAL },
    [FONT_BODY] = { 0.045, 7.0, TTF_STYLE_NORMAL },
    [FONT_BUTTON] = { 0.048, 7.0, TTF_STYLE_BOLD },
    [FONT_TITLE] = { 0.065, 9.0, TTF_STYLE_NORMAL },
    [FONT_HUGE] = { 0.200, 20.0, TTF_STYLE_NORMAL },
};

static int open_fonts(struct ui *ui, const char *path)
{
    for (int f = 0; f < FONT_COUNT; f++) {
        int px = max_int((int)(ui->h * font_sizes[f].height_share + 0.5),
                         ui_mm(ui, font_sizes[f].min_mm));
        ui->px[f] = px;
        ui->font[f] = TTF_OpenFont(path, px);
        if (!ui->font[f]) {
            log_error("font %s: %s", path, TTF_GetError());
            return HV_EIO;
        }
        TTF_SetFontStyle(ui->font[f], font_sizes[f].style);
    }
    return 0;
}

/* Software rendering under the offscreen and dummy drivers (tests), else accelerated if we can. */
/*
 * Software rendering into the window's framebuffer.  The screens are calm and
 * mostly still (a redraw a minute), so a GPU buys nothing, while the GL stack
 * costs ~90 MB of memory (Mesa with LLVM) and a slow cold start: measured in
 * bench/bench_kiosk.c, docs/performance.md.  SDL_FRAMEBUFFER_ACCELERATION=1 in
 * the environment brings acceleration back (the hint is only a default).
 */
static SDL_Renderer *open_renderer(SDL_Window *win)
{
    return SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
}

static SDL_Window *open_window(int w, int h)
{
    Uint32 flags = SDL_WINDOW_SHOWN;
    SDL_DisplayMode dm;

    if (w <= 0 || h <= 0) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        w = 1280;
        h = 800;
        if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
            w = dm.w;
            h = dm.h;
        }
    }
    /* Before the window exists: otherwise SDL sets up GL for its framebuffer anyway. */
    SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_DEFAULT);
    return SDL_CreateWindow("Haven", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h, flags);
}

/* Closes whatever of the window, renderer and fonts is open. */
static void release(struct ui *ui)
{
    for (int f = 0; f < FONT_COUNT; f++)
        if (ui->font[f])
            TTF_CloseFont(ui->font[f]);
    if (ui->ren)
        SDL_DestroyRenderer(ui->ren);
    if (ui->win)
        SDL_DestroyWindow(ui->win);
    memset(ui, 0, sizeof *ui);
}

int ui_open(struct ui *ui, const char *font_path, int dpi, int w, int h)
{
    memset(ui, 0, sizeof *ui);
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        log_error("SDL video: %s", SDL_GetError());
        return HV_EIO;
    }
    if (TTF_Init() != 0) {
        log_error("SDL_ttf: %s", TTF_GetError());
        goto fail_ttf;
    }
    ui->win = open_window(w, h);
    ui->ren = ui->win ? open_renderer(ui->win) : NULL;
    if (!ui->ren) {
        log_error("SDL window: %s", SDL_GetError());
        goto fail_window;
    }
    ui->dpi = dpi > 0 ? dpi : 96;
    ui->theme = &ui_theme_day;
    SDL_GetRendererOutputSize(ui->ren, &ui->w, &ui->h);
    if (open_fonts(ui, font_path) != 0)
        goto fail_window;
    return 0;

fail_window:
    release(ui);
    TTF_Quit();
fail_ttf:
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return HV_EIO;
}

void ui_close(struct ui *ui)
{
    if (!ui->win)
        return;  /* never opened, or closed already */
    release(ui);
    TTF_Quit();
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

/* ---- text ----------------------------------------------------------------------- */

#define LINES_MAX 24
#define LINE_BYTES 512

/* Text broken into lines: each a span of the original string. */
struct lines {
    int n;
    int skip;                 /* line height */
    const char *s[LINES_MAX];
    int len[LINES_MAX];
    int w[LINES_MAX];
};

/* Copies len bytes of s into buf (LINE_BYTES) as a C string. */
static const char *span(char *buf, const char *s, int len)
{
    if (len >= LINE_BYTES)
        len = LINE_BYTES - 1;
    memcpy(buf, s, (size_t)len);
    buf[len] = '\0';
    return buf;
}

static int span_width(TTF_Font *f, const char *s, int len)
{
    char buf[LINE_BYTES];
    int w = 0, h = 0;

    if (len > 0)
        TTF_SizeUTF8(f, span(buf, s, len), &w, &h);
    return w;
}

/*
 * The end of the line that starts at p: as many whole words as fit in maxw
 * (at least one; maxw <= 0: no limit), ending early at '\n'.  Breaking only
 * at ASCII spaces keeps UTF-8 sequences whole.
 */
static const char *line_end(TTF_Font *f, const char *p, int maxw)
{
    const char *fit = NULL, *q = p;

    for (;;) {
        const char *w = q, *e;
        while (*w == ' ')
            w++;
        for (e = w; *e && *e != ' ' && *e != '\n'; e++)
            ;
        if (e == w)
            return fit ? fit : e;
        if (fit && maxw > 0 && span_width(f, p, (int)(e - p)) > maxw)
            return fit;
        fit = q = e;
        if (*q == '\n' || !*q)
            return fit;
    }
}

static void wrap(TTF_Font *f, const char *text, int maxw, struct lines *ls)
{
    const char *p = text ? text : "";

    ls->n = 0;
    ls->skip = TTF_FontLineSkip(f);
    while (*p && ls->n < LINES_MAX) {
        const char *e = line_end(f, p, maxw);
        ls->s[ls->n] = p;
        ls->len[ls->n] = (int)(e - p);
        ls->w[ls->n] = span_width(f, p, (int)(e - p));
        ls->n++;
        while (*e == ' ')
            e++;
        if (*e == '\n')
            e++;
        p = e;
    }
}

int ui_text_height(const struct ui *ui, enum ui_font f, int maxw, const char *utf8)
{
    struct lines ls;

    wrap(ui->font[f], utf8, maxw, &ls);
    return ls.n * ls.skip;
}

static void draw_span(struct ui *ui, TTF_Font *f, int x, int y, SDL_Color c, const char *s, int len)
{
    char buf[LINE_BYTES];
    SDL_Surface *surf;
    SDL_Texture *tex;

    if (len <= 0)
        return;
    surf = TTF_RenderUTF8_Blended(f, span(buf, s, len), c);
    if (!surf)
        return;
    tex = SDL_CreateTextureFromSurface(ui->ren, surf);
    if (tex) {
        SDL_Rect dst = { x, y, surf->w, surf->h };
        SDL_RenderCopy(ui->ren, tex, NULL, &dst);
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
}

/* Where a line of width w starts: in the box [x, x+maxw], or anchored at x when maxw <= 0. */
static int line_x(int x, int maxw, enum ui_align align, int w)
{
    int box = maxw > 0 ? maxw : 0;

    switch (align) {
    case ALIGN_CENTER:
        return maxw > 0 ? x + (box - w) / 2 : x - w / 2;
    case ALIGN_RIGHT:
        return maxw > 0 ? x + box - w : x - w;
    default:
        return x;
    }
}

/*
 * With maxw > 0 the text is wrapped and aligned in the box [x, x + maxw];
 * otherwise x is its left edge, centre or right edge as align says.
 */
/* Records text drawn as ls from (x, y) in box [x, x + maxw] into ui->texts, if set. */
static void record(struct ui *ui, enum ui_font f, int x, int y, int maxw, enum ui_align align,
                   const struct lines *ls, const char *utf8)
{
    struct ui_text_rec *r;
    int left = INT_MAX, right = INT_MIN;

    if (!ui->texts || ui->texts->n >= UI_TEXTS_MAX || !utf8 || !*utf8)
        return;
    r = &ui->texts->r[ui->texts->n++];
    memset(r, 0, sizeof *r);
    r->font = f;
    r->px = ui->px[f];
    r->lines = ls->n;
    for (int i = 0; i < ls->n; i++) {
        int lx = line_x(x, maxw, align, ls->w[i]);
        left = left < lx ? left : lx;
        right = right > lx + ls->w[i] ? right : lx + ls->w[i];
        r->over |= maxw > 0 && ls->w[i] > maxw;
    }
    if (ls->n == 0)
        left = right = x;
    r->ink = (SDL_Rect){ left, y, right - left, ls->n * ls->skip };
    r->in_button = ui->button != NULL;
    r->box = ui->button ? *ui->button : (SDL_Rect){ x, y, maxw > 0 ? maxw : 0, ls->n * ls->skip };
    snprintf(r->text, sizeof r->text, "%s", utf8);
}

int ui_text(struct ui *ui, enum ui_font f, int x, int y, int maxw, enum ui_align align,
            SDL_Color color, const char *utf8)
{
    struct lines ls;

    wrap(ui->font[f], utf8, maxw, &ls);
    record(ui, f, x, y, maxw, align, &ls, utf8);
    for (int i = 0; i < ls.n; i++)
        draw_span(ui, ui->font[f], line_x(x, maxw, align, ls.w[i]), y + i * ls.skip, color,
                  ls.s[i], ls.len[i]);
    return ls.n * ls.skip;
}

/* True if text set in f fits a w x h box (every line, and all lines together). */
static bool fits(const struct ui *ui, enum ui_font f, int w, int h, const char *text)
{
    struct lines ls;

    wrap(ui->font[f], text, w, &ls);
    if (ls.n * ls.skip > h)
        return false;
    for (int i = 0; i < ls.n; i++)
        if (ls.w[i] > w)
            return false;
    return true;
}

/* The largest font, from f down to FONT_SMALL, in which text fits w x h. */
static enum ui_font fit_font(const struct ui *ui, enum ui_font f, int w, int h, const char *text)
{
    while (f > FONT_SMALL && !fits(ui, f, w, h, text))
        f--;
    return f;
}

/* ---- shapes -------------------------------------------------------------------- */

#define CORNER_STEPS 6
#define ROUND_POINTS (4 * (CORNER_STEPS + 1))

/* A filled rectangle with corners of radius rad, as a triangle fan. */
static void fill_round(struct ui *ui, SDL_Rect r, int rad, SDL_Color c)
{
    static const int sx[4] = { 1, -1, -1, 1 }, sy[4] = { 1, 1, -1, -1 };
    SDL_Vertex v[ROUND_POINTS + 1];
    int idx[ROUND_POINTS * 3];
    float cx = r.x + r.w / 2.0f, cy = r.y + r.h / 2.0f;

    if (rad > r.w / 2)
        rad = r.w / 2;
    if (rad > r.h / 2)
        rad = r.h / 2;
    memset(v, 0, sizeof v);
    for (int k = 0; k < 4; k++) {          /* corners: lower-right, lower-left, upper-left, upper-right */
        float ox = cx + sx[k] * (r.w / 2.0f - rad), oy = cy + sy[k] * (r.h / 2.0f - rad);
        for (int i = 0; i <= CORNER_STEPS; i++) {
            double a = (k + (double)i / CORNER_STEPS) * M_PI / 2;
            SDL_Vertex *p = &v[1 + k * (CORNER_STEPS + 1) + i];
            p->position.x = ox + (float)(rad * cos(a));
            p->position.y = oy + (float)(rad * sin(a));
        }
    }
    v[0].position.x = cx;
    v[0].position.y = cy;
    for (int i = 0; i <= ROUND_POINTS; i++)
        v[i].color = c;
    for (int i = 0; i < ROUND_POINTS; i++) {
        idx[3 * i] = 0;
        idx[3 * i + 1] = 1 + i;
        idx[3 * i + 2] = 1 + (i + 1) % ROUND_POINTS;
    }
    SDL_RenderGeometry(ui->ren, NULL, v, ROUND_POINTS + 1, idx, ROUND_POINTS * 3);
}

void ui_fill(struct ui *ui, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(ui->ren, &r);
}

void ui_clear(struct ui *ui)
{
    SDL_Color c = ui->theme->bg;

    SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, c.a);
    SDL_RenderClear(ui->ren);
}

static int button_radius(const struct ui *ui)
{
    return ui_mm(ui, 3);
}

/* Room kept between a button's edge and its label: more at the sides than above and below. */
static int pad_x(const struct ui *ui)
{
    return ui_mm(ui, 2.5);
}

static int pad_y(const struct ui *ui)
{
    return ui_mm(ui, 1);
}

enum ui_font ui_button_font(const struct ui *ui, SDL_Rect r, enum ui_font f, const char *label)
{
    return fit_font(ui, f, r.w - 2 * pad_x(ui), r.h - 2 * pad_y(ui), label);
}

int ui_button_need(const struct ui *ui, enum ui_font f, int w, const char *label)
{
    struct lines ls;

    wrap(ui->font[f], label, w - 2 * pad_x(ui), &ls);
    for (int i = 0; i < ls.n; i++)
        if (ls.w[i] > w - 2 * pad_x(ui))
            return -1;
    return ls.n * ls.skip + 2 * pad_y(ui);
}

/* Text centred in r, in f or the largest smaller font that fits; clipped to r. */
static void label_in(struct ui *ui, SDL_Rect r, SDL_Color fg, enum ui_font f, const char *text)
{
    int w = r.w - 2 * pad_x(ui), h;

    f = ui_button_font(ui, r, f, text);
    h = ui_text_height(ui, f, w, text);
    SDL_RenderSetClipRect(ui->ren, &r);
    ui->button = &r;
    ui_text(ui, f, r.x + pad_x(ui), r.y + (r.h - h) / 2, w, ALIGN_CENTER, fg, text);
    ui->button = NULL;
    SDL_RenderSetClipRect(ui->ren, NULL);
}

void ui_button(struct ui *ui, SDL_Rect r, SDL_Color bg, SDL_Color fg, enum ui_font f,
               const char *label)
{
    fill_round(ui, r, button_radius(ui), bg);
    if (label && *label)
        label_in(ui, r, fg, f, label);
}

/* ---- the help button ---------------------------------------------------------------- */

/* "Help" in large type with a small hint under it, or alone if the button holds no more. */
static void label_with_hint(struct ui *ui, SDL_Rect r, SDL_Color fg, const char *label,
                            const char *hint)
{
    int w = r.w - 2 * pad_x(ui), hint_h = ui_text_height(ui, FONT_SMALL, w, hint);
    int y;

    if (!fits(ui, FONT_TITLE, w, r.h - 2 * pad_y(ui) - hint_h, label)) {
        label_in(ui, r, fg, FONT_TITLE, label);
        return;
    }
    y = r.y + (r.h - ui_text_height(ui, FONT_TITLE, w, label) - hint_h) / 2;
    SDL_RenderSetClipRect(ui->ren, &r);
    ui->button = &r;
    y += ui_text(ui, FONT_TITLE, r.x + pad_x(ui), y, w, ALIGN_CENTER, fg, label);
    ui_text(ui, FONT_SMALL, r.x + pad_x(ui), y, w, ALIGN_CENTER, fg, hint);
    ui->button = NULL;
    SDL_RenderSetClipRect(ui->ren, NULL);
}

void ui_help_button(struct ui *ui, SDL_Color bg, SDL_Color fg, const char *label,
                    const char *hint)
{
    SDL_Rect r = ui_help_rect(ui);

    if (!hint) {
        ui_button(ui, r, bg, fg, FONT_BUTTON, label);
        return;
    }
    fill_round(ui, r, button_radius(ui), bg);
    label_with_hint(ui, r, fg, label, hint);
}

/* ---- the offline banner ---------------------------------------------------------------- */

/* The banner's text box: right of the staff corner, across the rest of the width. */
static SDL_Rect banner_box(const struct ui *ui)
{
    SDL_Rect corner = ui_staff_corner(ui);
    int m = edge_margin(ui);
    SDL_Rect r = { corner.x + corner.w + m, ui_mm(ui, 2), 0, 0 };

    r.w = ui->w - r.x - m;
    return r;
}

/* The banner's font: body text if it takes at most a third of the screen, else small. */
static enum ui_font banner_font(const struct ui *ui, const char *text)
{
    SDL_Rect box = banner_box(ui);
    return fit_font(ui, FONT_BODY, box.w, ui->h / 3, text);
}

int ui_banner_height(const struct ui *ui, const char *text)
{
    SDL_Rect box = banner_box(ui);
    return ui_text_height(ui, banner_font(ui, text), box.w, text) + 2 * box.y;
}

void ui_draw_banner(struct ui *ui, const char *text)
{
    SDL_Rect box = banner_box(ui), all = { 0, 0, ui->w, ui_banner_height(ui, text) };

    ui_fill(ui, all, ui->theme->banner);
    ui_text(ui, banner_font(ui, text), box.x, box.y, box.w, ALIGN_LEFT, ui->theme->banner_text,
            text);
}

/* ---- output -------------------------------------------------------------------------- */

void ui_present(struct ui *ui)
{
    SDL_RenderPresent(ui->ren);
}

int ui_screenshot(struct ui *ui, const char *path)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, ui->w, ui->h, 32, SDL_PIXELFORMAT_ARGB8888);
    int rc = HV_EIO;

    if (!s) {
        log_error("screenshot: %s", SDL_GetError());
        return HV_EIO;
    }
    if (SDL_RenderReadPixels(ui->ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) != 0)
        log_error("screenshot: %s", SDL_GetError());
    else if (IMG_SavePNG(s, path) != 0)
        log_error("screenshot %s: %s", path, IMG_GetError());
    else
        rc = 0;
    SDL_FreeSurface(s);
    return rc;
}
