/*
 * layout.c - the layout kit of the screens (layout.h): the frame, rows and
 * cells of touch targets, fonts that fit, blocks of text.
 *
 * Touch targets are at least 16 mm and keep clear of the help button (lower
 * right, drawn by the manager) and of the hidden staff corner (upper left,
 * where nothing is drawn).  On a small screen with the offline banner up,
 * text gives way first: it is set smaller, then left out, before a target
 * is made smaller than 16 mm or pushed off the screen.
 */
#include "layout.h"
#include "chrome.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- the frame and rows of targets ---------------------------------------------------- */

struct frame frame_of(const struct app *a, const struct ui *ui)
{
    struct frame f;
    int banner = ui_offline_height(ui, a);

    f.w = ui->w;
    f.h = ui->h;
    f.m = imax(ui_mm(ui, 3), ui->h / 50);
    f.gap = imax(ui_mm(ui, 2.5), ui->h / 60);
    f.target = ui_mm(ui, 16);
    f.row_max = imax(f.target * 3 / 2, ui->h / 7);
    f.help = ui_help_rect(ui);
    f.corner = ui_staff_corner(ui);
    f.top = banner ? banner + f.gap : f.m;
    /* Text starting beside the staff corner keeps clear of it on both sides (it is centred). */
    f.text_x = f.top < f.corner.y + f.corner.h ? f.corner.x + f.corner.w + f.gap : f.m;
    f.text_w = f.w - 2 * f.text_x;
    return f;
}

int free_bottom(const struct frame *f)
{
    return f->help.y - f->gap;
}

SDL_Rect bottom_left(const struct frame *f)
{
    SDL_Rect r = { f->m, f->help.y, f->help.x - f->gap - f->m, f->help.h };
    return r;
}

int row_left(const struct frame *f, int y)
{
    return y < f->corner.y + f->corner.h ? f->corner.x + f->corner.w + f->gap : f->m;
}

void stack(const struct frame *f, int y0, int n, int maxw, SDL_Rect *out)
{
    int above = free_bottom(f) - y0 - (n - 1) * f->gap;
    int x0 = row_left(f, y0);
    int rh, x, w;

    if (above >= n * f->target) {
        rh = imin(above / n, f->row_max);
        w = imin(maxw, f->w - 2 * x0);
        x = (f->w - w) / 2;
    } else {
        int room = f->h - f->m - y0 - (n - 1) * f->gap;
        rh = imax(f->target, imin(room / n, f->row_max));
        w = imin(maxw, f->help.x - f->gap - x0);
        x = x0;
    }
    for (int i = 0; i < n; i++) {
        SDL_Rect r = { x, y0 + i * (rh + f->gap), w, rh };
        out[i] = r;
    }
}

SDL_Rect clear_of_corner(const struct frame *f, SDL_Rect r, int bottom)
{
    int below = f->corner.y + f->corner.h + f->gap, beside = f->corner.x + f->corner.w + f->gap;
    int right = r.x + r.w;

    if (r.y >= f->corner.y + f->corner.h || r.x >= f->corner.x + f->corner.w)
        return r;
    if (bottom - below >= f->target) {
        r.y = below;
        r.h = imin(r.h, bottom - below);
    } else {
        r.x = beside;
        r.w = right - beside - (beside - f->m);  /* symmetric: the row stays centred */
    }
    return r;
}

SDL_Rect cell(SDL_Rect r, int n, int i, int gap)
{
    int w = (r.w - (n - 1) * gap) / n;
    SDL_Rect c = { r.x + i * (w + gap), r.y, w, r.h };
    return c;
}

enum ui_font font_for(const struct ui *ui, enum ui_font f, int w, int h, const char *text)
{
    while (f > FONT_SMALL && ui_text_height(ui, f, w, text) > h)
        f--;
    return f;
}

enum ui_font group_font(const struct ui *ui, SDL_Rect r, const char *const *labels, int n)
{
    enum ui_font f = FONT_BUTTON;

    for (int i = 0; i < n; i++)
        if (labels[i])
            f = ui_button_font(ui, r, f, labels[i]);
    return f;
}

/* ---- text blocks ---------------------------------------------------------------- */

int lines_height(const struct ui *ui, const struct line *l, int n, int w, int gap)
{
    int h = 0;

    for (int i = 0; i < n; i++)
        h += (i ? gap : 0) + ui_text_height(ui, l[i].font, w, l[i].text);
    return h;
}

int lines_draw(struct ui *ui, const struct line *l, int n, int x, int y, int w, int gap)
{
    const struct theme *t = ui->theme;

    for (int i = 0; i < n; i++)
        y += ui_text(ui, l[i].font, x, y, w, ALIGN_CENTER, l[i].soft ? t->text_soft : t->text,
                     l[i].text) + gap;
    return y;
}

/*
 * The column of a line starting at y: while level with the staff corner,
 * from beside it to the right margin (a little right of centre: the room
 * matters more than the symmetry on a screen this full), else between the
 * margins.
 */
static void column_at(const struct frame *f, int y, int *x, int *w)
{
    bool beside = y < f->corner.y + f->corner.h;

    *x = beside ? f->text_x : f->m;
    *w = f->w - f->m - *x;
}

int lines_height_wide(const struct ui *ui, const struct frame *f, const struct line *l, int n)
{
    int y = f->top, x, w;

    for (int i = 0; i < n; i++) {
        column_at(f, y, &x, &w);
        y += ui_text_height(ui, l[i].font, w, l[i].text) + (i + 1 < n ? f->gap : 0);
    }
    return y - f->top;
}

int lines_draw_wide(struct ui *ui, const struct frame *f, const struct line *l, int n)
{
    const struct theme *t = ui->theme;
    int y = f->top, x, w;

    for (int i = 0; i < n; i++) {
        column_at(f, y, &x, &w);
        y += ui_text(ui, l[i].font, x, y, w, ALIGN_CENTER, l[i].soft ? t->text_soft : t->text,
                     l[i].text) + f->gap;
    }
    return y;
}

bool shrink(struct line *l, int n)
{
    int big = 0;

    for (int i = 1; i < n; i++)
        if (l[i].font > l[big].font)
            big = i;
    if (l[big].font <= FONT_BODY)
        return false;
    l[big].font = l[big].font == FONT_HUGE ? FONT_TITLE : FONT_BODY;
    return true;
}

void block(struct ui *ui, const struct frame *f, const struct line *lines, int n, bool low_left)
{
    struct line l[BLOCK_LINES];
    int w = f->text_w, bottom = free_bottom(f), h;

    n = imin(n, BLOCK_LINES);
    memcpy(l, lines, (size_t)n * sizeof l[0]);
    while ((h = lines_height(ui, l, n, w, f->gap)) > bottom - f->top && shrink(l, n))
        ;
    if (h > bottom - f->top && low_left) {
        w = f->help.x - f->gap - f->text_x;
        bottom = f->h - f->m;
        h = lines_height(ui, l, n, w, f->gap);
    }
    lines_draw(ui, l, n, f->text_x, imax(f->top, f->top + (bottom - f->top - h) / 2), w, f->gap);
}

int fit_lines(const struct ui *ui, const struct frame *f, struct line *l, int n, int need,
              int bottom)
{
    int h;

    while ((h = lines_height(ui, l, n, f->text_w, f->gap)) + f->gap + need > bottom - f->top &&
           shrink(l, n))
        ;
    if (h + f->gap + need > bottom - f->top) {
        for (int i = 0; i < n; i++)
            l[i].font = FONT_SMALL;
        h = lines_height(ui, l, n, f->text_w, f->gap);
    }
    return h;
}

int lines_that_fit(const struct ui *ui, const struct frame *f, const struct line *l, int n)
{
    struct line c[BLOCK_LINES];
    int room = free_bottom(f) - f->top;

    for (n = imin(n, BLOCK_LINES); n > 1; n--) {
        memcpy(c, l, (size_t)n * sizeof c[0]);
        while (lines_height(ui, c, n, f->text_w, f->gap) > room && shrink(c, n))
            ;
        if (lines_height(ui, c, n, f->text_w, f->gap) <= room)
            break;
    }
    return n;
}

void heading_fit(const struct ui *ui, const struct frame *f, const char *title, const char *sub,
                 int need, int bottom, struct heading *hd)
{
    enum ui_font tf = ui_text_height(ui, FONT_TITLE, f->text_w, title) >
                              ui_text_height(ui, FONT_TITLE, 0, title) ? FONT_BODY : FONT_TITLE;

    hd->l[0] = (struct line){ tf, false, title };
    hd->l[1] = (struct line){ FONT_BODY, true, sub };
    for (hd->n = sub ? 2 : 1; hd->n >= 0; hd->n--) {
        hd->h = hd->n ? lines_height(ui, hd->l, hd->n, f->text_w, f->gap) + f->gap : 0;
        if (f->top + hd->h + need <= bottom)
            return;
    }
    hd->n = 0;
}

void heading_draw(struct ui *ui, const struct frame *f, const struct heading *hd)
{
    lines_draw(ui, hd->l, hd->n, f->text_x, f->top, f->text_w, f->gap);
}

/* ---- words made for a screen ------------------------------------------------------------ */

void clock_text(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!localtime_r(&t, &tm) || strftime(out, outlen, "%H:%M", &tm) == 0)
        snprintf(out, outlen, "--:--");
}

const char *one_line(const struct ui *ui, enum ui_font f, const char *text, int w, char *out,
                     size_t outlen)
{
    size_t n = strlen(text);
    int tw = 0;

    snprintf(out, outlen, "%s", text);
    if (TTF_SizeUTF8(ui->font[f], out, &tw, NULL) != 0 || tw <= w)
        return out;
    while (n > 0) {
        do  /* back one UTF-8 character */
            n--;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80);
        snprintf(out, outlen, "%.*s\u2026", (int)n, text);
        if (TTF_SizeUTF8(ui->font[f], out, &tw, NULL) == 0 && tw <= w)
            break;
    }
    return out;
}
